//! The `tlsim` command as a user runs it.

use sha2::{Digest, Sha256};
use std::process::Command;

fn tlsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tlsim"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("run tlsim")
}

#[test]
fn help_lists_subcommands_and_unknown_arguments_fail() {
    let out = tlsim(&["--help"]);
    assert!(out.status.code() == Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for cmd in ["handshake", "run", "profiles"] {
        assert!(text.contains(cmd), "{text}");
    }
    let out = tlsim(&["--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--no-such-flag"));
}

#[test]
fn same_scenario_same_seed_same_json_across_processes() {
    let hash = || {
        let out = tlsim(&["run", "--json", "scenarios/lossy-wan.toml"]);
        assert!(
            out.status.code() == Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        hex(&Sha256::digest(&out.stdout))
    };
    let (a, b) = (hash(), hash());
    println!("sha256 of the JSON output: {a}");
    assert_eq!(a, b);
}

#[test]
fn bad_scenario_file_exits_non_zero_with_file_and_line() {
    let dir = std::env::temp_dir().join(format!("tlsim-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("bad.toml");
    std::fs::write(&f, "description = \"x\"\nseed = \"one\"\n").unwrap();
    let out = tlsim(&["run", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.toml:2:"), "{err}");
}

#[test]
fn handshake_json_has_the_documented_fields() {
    let out = tlsim(&["handshake", "--json", "--resume"]);
    assert!(out.status.code() == Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    for key in [
        "outcome",
        "handshake",
        "suite",
        "version",
        "ems",
        "mechanism",
        "detected_by",
        "alert",
        "close",
    ] {
        assert!(lines[0].get(key).is_some(), "missing {key}");
    }
    assert_eq!(lines[1]["handshake"], "resumed");
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn run_and_replay_write_pcaps_without_changing_the_output() {
    let dir = std::env::temp_dir().join(format!("tlsim-cli-pcap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (pcap, keys) = (dir.join("fleet.pcap"), dir.join("fleet.keys"));
    let plain = tlsim(&["run", "scenarios/kb4557473-sqlserver.toml"]);
    let with = tlsim(&[
        "run",
        "scenarios/kb4557473-sqlserver.toml",
        "--pcap",
        pcap.to_str().unwrap(),
        "--keylog",
        keys.to_str().unwrap(),
    ]);
    assert_eq!(
        plain.stdout, with.stdout,
        "--pcap leaves the run output alone"
    );
    assert_eq!(plain.status.code(), with.status.code());
    let bytes = std::fs::read(&pcap).unwrap();
    assert_eq!(&bytes[..4], &[0xd4, 0xc3, 0xb2, 0xa1], "classic pcap magic");
    assert!(bytes.len() > 100_000);
    assert!(std::fs::read_to_string(&keys)
        .unwrap()
        .starts_with("CLIENT_RANDOM "));

    // A failing connection of a small M1 study, replayed with a ladder and a capture.
    let study = tlsim(&[
        "study",
        "scenarios/m1-dh-premaster-zeros.toml",
        "--connections",
        "3000",
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&study.stdout).expect("study JSON");
    let id = report["cells"][0]["replay"][0]
        .as_str()
        .expect("the M1 study has a failure to replay")
        .to_string();
    let one = dir.join("one.pcap");
    let out = tlsim(&["replay", &id, "--ladder", "--pcap", one.to_str().unwrap()]);
    assert!(
        out.status.code() == Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("ClientHello") && text.contains("bad_record_mac"),
        "{text}"
    );
    assert!(std::fs::read(&one).unwrap().len() > 1000);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn study_killed_midway_resumes_to_the_same_report() {
    let base = std::env::temp_dir().join(format!("tlsim-kill-{}", std::process::id()));
    let (killed, fresh) = (base.join("killed"), base.join("fresh"));
    let _ = std::fs::remove_dir_all(&base);
    let args = |dir: &std::path::Path| {
        vec![
            "study".to_string(),
            "tests/data/study-m1.toml".into(),
            "--connections".into(),
            "4000".into(),
            "--threads".into(),
            "1".into(),
            "--json".into(),
            "--state-dir".into(),
            dir.display().to_string(),
        ]
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_tlsim"))
        .args(args(&killed))
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start the study");
    // Kill it (SIGKILL) once a couple of shards are saved, before it can finish.
    let saved = |d: &std::path::Path| {
        std::fs::read_dir(d)
            .map(|r| {
                r.filter_map(|e| e.ok())
                    .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
                    .count()
            })
            .unwrap_or(0)
    };
    let start = std::time::Instant::now();
    while saved(&killed) < 2 && start.elapsed() < std::time::Duration::from_secs(120) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().expect("kill the study");
    let _ = child.wait();
    let before = saved(&killed);
    println!("killed with {before} of 10 shards saved");
    assert!(
        (2..10).contains(&before),
        "the kill landed mid-study ({before} shards saved)"
    );
    let mut resume = args(&killed);
    resume.push("--resume".into());
    let resumed = tlsim(&resume.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        resumed.status.code() == Some(1),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let whole = tlsim(&args(&fresh).iter().map(String::as_str).collect::<Vec<_>>());
    assert!(whole.status.code() == Some(1));
    assert_eq!(
        resumed.stdout, whole.stdout,
        "resumed report equals the uninterrupted one"
    );
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn every_option_has_help_and_every_command_examples_and_exit_codes() {
    let commands: [&[&str]; 13] = [
        &[],
        &["handshake"],
        &["run"],
        &["study"],
        &["replay"],
        &["merge"],
        &["profiles"],
        &["profiles", "show"],
        &["profiles", "diff"],
        &["bench"],
        &["bridge", "connect"],
        &["bridge", "serve"],
        &["demo"],
    ];
    for cmd in commands {
        let out = tlsim(&[cmd, &["-h"][..]].concat());
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(text.contains("Examples:\n  tlsim"), "{cmd:?}: {text}");
        assert!(text.contains("Exit status"), "{cmd:?}: {text}");
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let rest = line.trim_start();
            let indent = line.len() - rest.len();
            if !(rest.starts_with('-') && (2..=6).contains(&indent)) {
                continue;
            }
            let inline = rest
                .split_once("  ")
                .is_some_and(|(_, h)| !h.trim().is_empty());
            let below = lines.get(i + 1).is_some_and(|n| {
                n.len() - n.trim_start().len() >= indent + 4 && !n.trim_start().starts_with('-')
            });
            assert!(inline || below, "{cmd:?}: no help for {line:?}");
        }
    }
}
