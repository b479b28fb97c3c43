//! `--registry`, `--cipher-order` and profile files on the command line: the shipped
//! UTF-16LE examples change an outcome where they matter and nothing without them.

use std::path::PathBuf;
use std::process::{Command, Output};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn tlsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tlsim"))
        .args(args)
        .current_dir(ROOT)
        .output()
        .expect("run tlsim")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tlsim-cli-ov-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

const DISABLE_DHE: &str = "examples/schannel-disable-dhe.reg";
const NO_DHE_ORDER: &str = "examples/Get-TlsCipherSuite-no-dhe.txt";

/// A 2012 R2 application that puts DHE first (KB4557473), as a profile file over the
/// catalogue entry.
fn dhe_first_profile(dir: &std::path::Path) -> String {
    let p = dir.join("dhe-first.toml");
    std::fs::write(
        &p,
        "base = \"win2012r2@2019-10-08\"\nname = \"app (DHE first)\"\nclient_suites = [\"TLS_DHE_RSA_WITH_AES_256_GCM_SHA384\", \"TLS_DHE_RSA_WITH_AES_128_GCM_SHA256\", \"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384\"]\n",
    )
    .unwrap();
    p.display().to_string()
}

#[test]
fn handshake_overlays_per_side_remove_the_m1_failure() {
    let dir = temp_dir("hs");
    let client = dhe_first_profile(&dir);
    let base = [
        "handshake",
        "--client-profile",
        &client,
        "--server-profile",
        "win2019-sqlserver",
        "--seed",
        "30",
        "--json",
    ];
    let plain = tlsim(&base);
    assert_eq!(plain.status.code(), Some(1), "{}", stderr(&plain));
    assert!(stdout(&plain).contains("\"mechanism\":\"dh-premaster-zeros\""));
    for extra in [
        ["--server-registry", DISABLE_DHE],
        ["--client-registry", DISABLE_DHE],
        ["--client-cipher-order", NO_DHE_ORDER],
    ] {
        let out = tlsim(&[&base[..], &extra[..]].concat());
        assert!(out.status.code() == Some(0), "{extra:?}: {}", stderr(&out));
        assert!(stdout(&out).contains("\"outcome\":\"ok\""), "{extra:?}");
        assert!(stdout(&out).contains("TLS_ECDHE_RSA_"), "{extra:?}");
        // What the overlay cannot model is listed (on stderr beside JSON).
        assert!(stderr(&out).contains("not applied: line"), "{extra:?}");
    }
    let text = tlsim(&[
        "handshake",
        "--client-profile",
        &client,
        "--server-profile",
        "win2019-sqlserver",
        "--seed",
        "30",
        "--server-registry",
        DISABLE_DHE,
    ]);
    let t = stdout(&text);
    // The line is wrapped to 100 columns.
    assert!(t.starts_with("overlays:\n  registry examples/schannel-disable-dhe.reg on win2019-sqlserver: changed client_suites,\n      server_suites\n"), "{t}");
    let flat = t.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("KeyExchangeAlgorithms\\PKCS\\Enabled: not modelled"),
        "{t}"
    );
}

fn mechanisms_json(out: &Output) -> String {
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(out));
    stdout(out)
}

#[test]
fn run_with_a_registry_export_loses_the_dhe_failures_and_lists_what_it_ignored() {
    let plain = tlsim(&["run", "scenarios/october-2019-fleet.toml", "--json"]);
    let j = mechanisms_json(&plain);
    assert!(j.contains("\"dh-premaster-zeros\""));
    assert!(!j.contains("\"overlays\""));
    let with = tlsim(&[
        "run",
        "scenarios/october-2019-fleet.toml",
        "--json",
        "--registry",
        DISABLE_DHE,
    ]);
    let j = mechanisms_json(&with);
    assert!(!j.contains("\"dh-premaster-zeros\""));
    assert!(j.contains("ftps-data-not-resumed"), "other failures stay");
    let v: serde_json::Value = serde_json::from_str(&j).unwrap();
    let overlays = v["overlays"].as_array().expect("overlays listed");
    assert_eq!(
        overlays.len(),
        12,
        "every Windows client entry and the SQL server"
    );
    assert!(overlays[0]["ignored"][0][0]
        .as_str()
        .is_some_and(|s| s.ends_with("PKCS\\Enabled")));
    let text = stdout(&tlsim(&[
        "run",
        "scenarios/october-2019-fleet.toml",
        "--registry",
        &format!("sqlapp={DISABLE_DHE}"),
    ]));
    assert!(
        text.starts_with("scenario october-2019-fleet+overlays-"),
        "{text}"
    );
    assert!(
        text.contains("\noverlays:\n  registry examples/schannel-disable-dhe.reg (command line):\n    changed client_suites, server_suites on client win2012r2 SQL app (DHE first) (host sqlapp)\n"),
        "{text}"
    );
    // The EMS example: the M4 server now negotiates EMS, so October 2019 clients resume.
    let m4 = |extra: &[&str]| {
        let out = tlsim(
            &[
                &["run", "scenarios/m4-ems-resumption.toml", "--json"],
                extra,
            ]
            .concat(),
        );
        let v: serde_json::Value = serde_json::from_str(&mechanisms_json(&out)).unwrap();
        v["connections"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["outcome"]["handshake"] == "resume-refused")
            .count()
    };
    assert!(m4(&[]) >= 36);
    assert_eq!(
        m4(&["--registry", "server=examples/schannel-enable-ems.reg"]),
        0
    );
    let e = tlsim(&[
        "run",
        "scenarios/m1-dh-premaster-zeros.toml",
        "--registry",
        DISABLE_DHE,
    ]);
    assert_eq!(e.status.code(), Some(2));
    assert!(stderr(&e).contains("no peer whose profile is a Windows build"));
}

fn dhe_failures(study_json: &str) -> u64 {
    let v: serde_json::Value = serde_json::from_str(study_json).expect("study JSON");
    v["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["by_mechanism"]["dh-premaster-zeros"].as_u64())
        .sum()
}

#[test]
fn study_with_overlays_is_another_study() {
    let dir = temp_dir("study");
    let state = |n: &str| dir.join(n).display().to_string();
    let study = |extra: &[&str], sd: &str| {
        tlsim(
            &[
                &[
                    "study",
                    "scenarios/october-2019-fleet.toml",
                    "--connections",
                    "3000",
                    "--json",
                    "--state-dir",
                    sd,
                ],
                extra,
            ]
            .concat(),
        )
    };
    let plain = study(&[], &state("a"));
    assert!(plain.status.code() == Some(1), "{}", stderr(&plain));
    assert!(dhe_failures(&stdout(&plain)) > 0);
    let with = study(&["--registry", DISABLE_DHE], &state("b"));
    assert!(with.status.code() == Some(1), "{}", stderr(&with));
    let out = stdout(&with);
    assert_eq!(dhe_failures(&out), 0);
    assert!(out.contains("\"scenario\": \"october-2019-fleet+overlays-"));
    assert!(
        stderr(&with).contains("not applied: line 12"),
        "{}",
        stderr(&with)
    );
    // Resuming the base study's state directory with overlays is refused, not mixed.
    let mixed = study(&["--registry", DISABLE_DHE, "--resume"], &state("a"));
    assert_eq!(mixed.status.code(), Some(2));
    assert!(
        stderr(&mixed).contains("holds another study"),
        "{}",
        stderr(&mixed)
    );
    // A replay id of the overlaid study needs its overlays.
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let id = v["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|c| c["replay"][0].as_str())
        .expect("a failure to replay")
        .to_string();
    let refused = tlsim(&["replay", &id]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("give replay its --registry"),
        "{}",
        stderr(&refused)
    );
    let ok = tlsim(&["replay", &id, "--registry", DISABLE_DHE]);
    assert!(ok.status.code() == Some(1), "{}", stderr(&ok));
}

#[test]
fn profiles_show_json_is_a_profile_file() {
    let dir = temp_dir("show");
    for name in ["win2012r2@2019-10-08", "keep-zeros", "openssl-1.0.2"] {
        let first = tlsim(&["profiles", "show", name, "--json"]);
        assert!(first.status.code() == Some(0), "{}", stderr(&first));
        let file = dir.join("shown.json");
        std::fs::write(&file, &first.stdout).unwrap();
        let f = file.display().to_string();
        let again = tlsim(&["profiles", "show", &f, "--json"]);
        assert_eq!(stdout(&again), stdout(&first), "{name}: round trip");
        // The saved profile behaves as the name in a handshake, on either side.
        for (c, s) in [(name, "rfc-strict"), ("rfc-strict", name)] {
            let hs = |c: &str, s: &str| {
                stdout(&tlsim(&[
                    "handshake",
                    "--client-profile",
                    c,
                    "--server-profile",
                    s,
                    "--resume",
                    "--json",
                ]))
            };
            let by_name = hs(c, s);
            let by_file = hs(
                if c == name { &f } else { c },
                if s == name { &f } else { s },
            );
            assert!(!by_name.is_empty());
            assert_eq!(by_file, by_name, "{name}");
        }
    }
    // With an overlay: the saved file keeps the overlay's knobs, sources and notes.
    let shown = tlsim(&[
        "profiles",
        "show",
        "win2016",
        "--cipher-order",
        NO_DHE_ORDER,
        "--json",
    ]);
    let file = dir.join("ordered.json");
    std::fs::write(&file, &shown.stdout).unwrap();
    let again = tlsim(&["profiles", "show", &file.display().to_string(), "--json"]);
    assert_eq!(stdout(&again), stdout(&shown));
    assert!(stdout(&shown).contains("TLS_PSK_WITH_AES_256_GCM_SHA384"));
    // A scenario accepts the saved file as a profile.
    std::fs::write(
        dir.join("s.toml"),
        "description = \"d\"\n[[server]]\nhost = \"s\"\nprofile = \"rfc-strict\"\n[[client]]\nhost = \"c\"\nprofile = \"ordered.json\"\nconnections = 2\ntargets = [\"s:443\"]\n",
    )
    .unwrap();
    let run = tlsim(&["run", &dir.join("s.toml").display().to_string()]);
    assert!(run.status.code() == Some(0), "{}", stderr(&run));
}

#[test]
fn merge_of_overlaid_shards_needs_the_same_overlays() {
    let dir = temp_dir("merge");
    let common = [
        "study",
        "scenarios/october-2019-fleet.toml",
        "--connections",
        "3000",
        "--registry",
        DISABLE_DHE,
    ];
    let mut files = Vec::new();
    for part in ["0/2", "1/2"] {
        let out = dir.join(format!("part{}.json", &part[..1]));
        let sd = dir.join(format!("sd{}", &part[..1]));
        let o = tlsim(
            &[
                &common[..],
                &[
                    "--shard",
                    part,
                    "--out",
                    &out.display().to_string(),
                    "--state-dir",
                    &sd.display().to_string(),
                ],
            ]
            .concat(),
        );
        assert!(o.status.code() == Some(0), "{}", stderr(&o));
        files.push(out.display().to_string());
    }
    let whole = tlsim(
        &[
            &common[..],
            &[
                "--json",
                "--state-dir",
                &dir.join("whole").display().to_string(),
            ],
        ]
        .concat(),
    );
    assert!(whole.status.code() == Some(1), "{}", stderr(&whole));
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    let merged = tlsim(
        &[
            &["merge", "--json"],
            &files[..],
            &["--registry", DISABLE_DHE],
        ]
        .concat(),
    );
    assert!(merged.status.code() == Some(1), "{}", stderr(&merged));
    assert!(!stderr(&merged).contains("note:"), "{}", stderr(&merged));
    assert_eq!(stdout(&merged), stdout(&whole));
    // Without them the report would lack theory and verdicts: refused, not degraded.
    let bare = tlsim(&[&["merge", "--json"], &files[..]].concat());
    assert_eq!(bare.status.code(), Some(2), "{}", stderr(&bare));
    assert!(stdout(&bare).is_empty());
    assert!(
        stderr(&bare).contains("pass merge the --registry"),
        "{}",
        stderr(&bare)
    );
}
