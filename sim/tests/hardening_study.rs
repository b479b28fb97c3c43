//! Issue 12, the study side: `tlsim study`, `replay` and `merge` lose nothing, give no
//! silent wrong answer and never report a crash as results.
//!
//! Each test names the item of the issue it covers:
//! 1 data loss (state directories), 2 races, 3 silent wrong answers, 4 crashes,
//! 5 unbounded resources, 6 late errors.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
const M1: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../scenarios/m1-dh-premaster-zeros.toml"
);
const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/study-m1.toml");

/// The binary under test; `TLSIM_TEST_BIN=/path/to/old/tlsim` runs these tests against
/// another build (e.g. one from before these fixes, to see them fail).
fn bin() -> PathBuf {
    std::env::var_os("TLSIM_TEST_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_tlsim")))
}

fn tlsim_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(dir)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("run tlsim")
}

fn tlsim(args: &[&str]) -> Output {
    tlsim_in(Path::new(REPO), args)
}

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tlsim-h12-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Exit code 2, one clear error containing every `words` (case-insensitive), no panic.
fn refused(o: &Output, words: &[&str]) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "expected exit 2, stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.starts_with("error: "), "{err}");
    for w in words {
        assert!(
            err.to_lowercase().contains(&w.to_lowercase()),
            "stderr lacks {w:?}: {err}"
        );
    }
    assert!(o.stdout.is_empty(), "no report on a refusal");
}

fn ok(o: &Output) {
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(o));
}

fn shard_files(d: &Path) -> usize {
    std::fs::read_dir(d)
        .map(|r| {
            r.filter_map(|e| e.ok())
                .filter(|e| {
                    let n = e.file_name().to_string_lossy().into_owned();
                    n.starts_with("shard-") && n.ends_with(".json")
                })
                .count()
        })
        .unwrap_or(0)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

// ---- 1. data loss ----------------------------------------------------------------------

#[test]
fn item1_state_dir_with_user_files_is_refused_and_left_alone() {
    let t = scratch("userdir");
    let x = t.join("x");
    std::fs::create_dir_all(x.join("sub")).unwrap();
    std::fs::write(x.join("notes"), "keep\n").unwrap();
    let o = tlsim(&["study", M1, "--connections", "600", "--state-dir", s(&x)]);
    refused(&o, &["state-dir", "not created by tlsim"]);
    assert_eq!(std::fs::read_to_string(x.join("notes")).unwrap(), "keep\n");
    assert!(x.join("sub").is_dir());
    assert_eq!(std::fs::read_dir(&x).unwrap().count(), 2, "nothing added");

    // `--state-dir .` in a working directory with files in it.
    let o = tlsim_in(
        &x,
        &["study", M1, "--connections", "600", "--state-dir", "."],
    );
    refused(&o, &["not created by tlsim"]);
    assert!(x.join("notes").is_file() && x.join("sub").is_dir());

    // A file where the directory should be.
    let o = tlsim(&[
        "study",
        M1,
        "--connections",
        "600",
        "--state-dir",
        s(&x.join("notes")),
    ]);
    refused(&o, &["not a directory"]);
    assert_eq!(std::fs::read_to_string(x.join("notes")).unwrap(), "keep\n");
    let _ = std::fs::remove_dir_all(&t);
}

#[test]
fn item1_default_state_dir_is_marked_reused_and_never_wiped() {
    let t = scratch("default");
    let run = || tlsim_in(&t, &["study", M1, "--connections", "600", "--json"]);
    let first = run();
    ok(&first);
    let base = t.join(".tlsim-study");
    let dirs: Vec<PathBuf> = std::fs::read_dir(&base)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    let dir = &dirs[0];
    assert!(
        dir.join(".tlsim-state").is_file(),
        "the state dir is marked"
    );
    let marker = std::fs::read_to_string(dir.join(".tlsim-state")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&marker).unwrap();
    assert_eq!(v["tool"], "tlsim");
    assert_eq!(v["scenario"], "m1-dh-premaster-zeros");
    assert_eq!(v["seed"], 1);
    // A file the user put there survives a fresh run of the same study.
    std::fs::write(dir.join("notes"), "mine").unwrap();
    let second = run();
    ok(&second);
    assert_eq!(first.stdout, second.stdout);
    assert_eq!(std::fs::read_to_string(dir.join("notes")).unwrap(), "mine");
    // Without its marker the directory is not tlsim's any more: refused, kept.
    std::fs::remove_file(dir.join(".tlsim-state")).unwrap();
    let third = run();
    refused(&third, &["not created by tlsim"]);
    assert_eq!(std::fs::read_to_string(dir.join("notes")).unwrap(), "mine");
    assert_eq!(shard_files(dir), 1, "the saved shard is kept");
    let _ = std::fs::remove_dir_all(&t);
}

#[test]
fn item1_a_marked_dir_of_another_study_is_refused() {
    let t = scratch("other-study");
    let d = t.join("state");
    ok(&tlsim(&[
        "study",
        M1,
        "--connections",
        "600",
        "--state-dir",
        s(&d),
    ]));
    assert_eq!(shard_files(&d), 1);
    for extra in [
        &["--connections", "600", "--seed", "2"][..],
        &["--connections", "1200"][..],
        &["--connections", "600", "--resume", "--seed", "3"][..],
    ] {
        let mut args = vec!["study", M1, "--state-dir", s(&d)];
        args.extend_from_slice(extra);
        let o = tlsim(&args);
        refused(&o, &["another study"]);
        assert_eq!(shard_files(&d), 1, "its saved shard is kept");
    }
    let _ = std::fs::remove_dir_all(&t);
}

#[test]
fn item1_compare_variant_dirs_follow_the_same_rules() {
    let t = scratch("compare");
    let d = t.join("state");
    let v = t.join("state+ems-on");
    std::fs::create_dir_all(&v).unwrap();
    std::fs::write(v.join("notes"), "keep").unwrap();
    let o = tlsim(&[
        "study",
        M1,
        "--connections",
        "600",
        "--state-dir",
        s(&d),
        "--compare",
        "ems-on",
    ]);
    refused(&o, &["state+ems-on", "not created by tlsim"]);
    assert_eq!(std::fs::read_to_string(v.join("notes")).unwrap(), "keep");
    assert_eq!(shard_files(&d), 0, "refused before any work");
    std::fs::remove_dir_all(&v).unwrap();
    let o = tlsim(&[
        "study",
        M1,
        "--connections",
        "600",
        "--state-dir",
        s(&d),
        "--compare",
        "ems-on",
    ]);
    ok(&o);
    assert!(v.join(".tlsim-state").is_file());
    assert_eq!(shard_files(&v), 1);
    let _ = std::fs::remove_dir_all(&t);
}

// ---- 2. races --------------------------------------------------------------------------

#[test]
fn item2_a_second_study_on_a_locked_state_dir_is_refused() {
    let t = scratch("lock");
    let d = t.join("state");
    let args = |extra: &[&str]| {
        let mut v: Vec<String> = [
            "study",
            FIXTURE,
            "--connections",
            "4000",
            "--threads",
            "1",
            "--json",
            "--state-dir",
            s(&d),
        ]
        .iter()
        .map(|x| x.to_string())
        .collect();
        v.extend(extra.iter().map(|x| x.to_string()));
        v
    };
    let first = Command::new(bin())
        .args(args(&[]))
        .current_dir(REPO)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while shard_files(&d) < 1 && start.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(10));
    }
    // Same study, fresh and resumed: both refused while the first one runs.
    for extra in [&[][..], &["--resume"][..]] {
        let a = args(extra);
        let second = tlsim(&a.iter().map(String::as_str).collect::<Vec<_>>());
        refused(&second, &["locked by process", &first.id().to_string()]);
    }
    let out = first.wait_with_output().unwrap();
    ok(&out);
    assert_eq!(
        shard_files(&d),
        10,
        "the first study's shards are all there"
    );
    let leftovers: Vec<String> = std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // Its report equals a study that ran alone.
    let alone = t.join("alone");
    let mut a = args(&[]);
    let last = a.len() - 1;
    a[last] = s(&alone).to_string();
    let o = tlsim(&a.iter().map(String::as_str).collect::<Vec<_>>());
    ok(&o);
    assert_eq!(o.stdout, out.stdout);
    let _ = std::fs::remove_dir_all(&t);
}

#[test]
fn item2_a_lock_left_by_a_killed_study_is_recovered() {
    let t = scratch("stale");
    let d = t.join("state");
    let args = [
        "study",
        FIXTURE,
        "--connections",
        "4000",
        "--threads",
        "1",
        "--state-dir",
        s(&d),
    ];
    let mut child = Command::new(bin())
        .args(args)
        .current_dir(REPO)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let start = Instant::now();
    while shard_files(&d) < 1 && start.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL
    let _ = child.wait();
    let mut resume = args.to_vec();
    resume.push("--resume");
    let o = tlsim(&resume);
    ok(&o);
    let err = stderr(&o);
    assert!(
        err.contains("recovered") && err.contains(&pid.to_string()),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&t);
}

// ---- 3. silent wrong answers -----------------------------------------------------------

#[test]
fn item3_shard_count_is_never_truncated() {
    let t = scratch("trunc");
    // 2576980378200 / 600 = 4294967297 shards = 2^32 + 1: was run as 1 shard.
    let o = tlsim(&[
        "study",
        M1,
        "--connections",
        "2576980378200",
        "--state-dir",
        s(&t.join("s")),
    ]);
    refused(&o, &["4294967297 shards", "600"]);
    assert!(!t.join("s").exists(), "nothing created before refusing");
    let _ = std::fs::remove_dir_all(&t);
}

/// A failing connection's replay id from a small M1 study.
fn m1_replay_id(t: &Path) -> String {
    let o = tlsim(&[
        "study",
        M1,
        "--connections",
        "3000",
        "--json",
        "--state-dir",
        s(&t.join("m1")),
    ]);
    ok(&o);
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    report["cells"][0]["replay"][0]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn item3_replay_ids_are_range_checked_and_matched_to_their_scenario() {
    let t = scratch("replay");
    let id = m1_replay_id(&t);
    ok(&tlsim(&["replay", &id]));
    let parts: Vec<&str> = id.split(':').collect();
    assert_eq!(parts.len(), 5, "{id}");
    // Shard index 2^32 + shard: was truncated to the shard and replayed it.
    let shard: u64 = parts[3].parse().unwrap();
    let wrapped = format!(
        "{}:{}:{}:{}:{}",
        parts[0],
        parts[1],
        parts[2],
        shard + (1u64 << 32),
        parts[4]
    );
    refused(&tlsim(&["replay", &wrapped]), &["shard", "4294967296"]);
    let wrapped = format!(
        "{}:{}:{}:{}:{}",
        parts[0],
        parts[1],
        u64::from(parts[2].parse::<u32>().unwrap()) + (1u64 << 32),
        parts[3],
        parts[4]
    );
    refused(&tlsim(&["replay", &wrapped]), &["shards"]);
    // The id of an M1 study replayed with another scenario.
    let o = tlsim(&[
        "replay",
        &id,
        "--scenario",
        "scenarios/m4-ems-resumption.toml",
    ]);
    refused(&o, &["m1-dh-premaster-zeros", "m4-ems-resumption"]);
    // Peer and index beyond u32.
    let conn: Vec<&str> = parts[4].split('.').collect();
    let big = format!(
        "{}:{}:{}:{}:{}.{}.{}",
        parts[0],
        parts[1],
        parts[2],
        parts[3],
        conn[0],
        conn[1],
        u64::from(conn[2].parse::<u32>().unwrap()) + (1u64 << 32)
    );
    refused(&tlsim(&["replay", &big]), &["index"]);
    refused(&tlsim(&["replay", "no-colons"]), &["replay id"]);
    let _ = std::fs::remove_dir_all(&t);
}

/// Shard files of the M1 fixture, written with `--shard i/2 --out`.
fn shard_set(t: &Path) -> (PathBuf, PathBuf) {
    let (a, b) = (t.join("a.json"), t.join("b.json"));
    for (i, f) in [(0, &a), (1, &b)] {
        ok(&tlsim(&[
            "study",
            FIXTURE,
            "--connections",
            "2000",
            "--shard",
            &format!("{i}/2"),
            "--out",
            s(f),
            "--state-dir",
            s(&t.join(format!("state{i}"))),
        ]));
    }
    (a, b)
}

fn edit(src: &Path, dst: &Path, f: impl Fn(&mut serde_json::Value)) {
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(src).unwrap()).unwrap();
    f(&mut v);
    std::fs::write(dst, serde_json::to_string(&v).unwrap()).unwrap();
}

#[test]
fn item3_merge_validates_every_shard_file() {
    let t = scratch("merge");
    let (a, b) = shard_set(&t);
    let whole = tlsim(&[
        "study",
        FIXTURE,
        "--connections",
        "2000",
        "--json",
        "--state-dir",
        s(&t.join("whole")),
    ]);
    ok(&whole);
    let merged = tlsim(&["merge", s(&a), s(&b), "--json", "--scenario", FIXTURE]);
    ok(&merged);
    assert_eq!(merged.stdout, whole.stdout, "merge equals the whole run");

    let bad = t.join("bad.json");
    type Edit = fn(&mut serde_json::Value);
    let cases: Vec<(Edit, &[&str])> = vec![
        (
            |v| v["results"][0]["cells"][0][1]["failures"] = 1_000_000.into(),
            &["failures", "attempts"],
        ),
        (
            |v| {
                let m = v["results"][0]["cells"][0][1]["by_mechanism"]
                    .as_object_mut()
                    .unwrap();
                m.insert("key-mismatch".into(), 1.into());
            },
            &["by_mechanism", "failures"],
        ),
        (
            |v| {
                let m = v["results"][0]["cells"][0][1]["by_mechanism"]
                    .as_object_mut()
                    .unwrap();
                m.insert("made-up".into(), 1.into());
            },
            &["not a shard results file", "unknown mechanism \"made-up\""],
        ),
        (
            |v| {
                v["results"][0]["cells"][0][1]["replay_digest"]
                    .as_array_mut()
                    .unwrap()
                    .push("00".into());
            },
            &["replay_digest"],
        ),
        (
            |v| v["results"][0]["connections"] = 7.into(),
            &["connections", "attempts"],
        ),
        (
            |v| v["results"][0]["shard"] = 99.into(),
            &["shard 99", "0..5"],
        ),
        (
            |v| v["results"][0]["header"]["seed"] = 2.into(),
            &["another study", "seed"],
        ),
        (
            |v| v["results"][0]["header"]["shards"] = 4_294_967_295u64.into(),
            &["shards"],
        ),
        (
            |v| v["results"][0]["cells"][0][1]["attempts"] = u64::MAX.into(),
            &["attempts"],
        ),
    ];
    for (i, (f, words)) in cases.into_iter().enumerate() {
        edit(&a, &bad, f);
        let start = Instant::now();
        let o = tlsim(&["merge", s(&b), s(&bad), "--scenario", FIXTURE]);
        let mut w = vec!["bad.json"];
        w.extend_from_slice(words);
        println!("case {i}: {}", stderr(&o).trim());
        refused(&o, &w);
        assert!(start.elapsed() < Duration::from_secs(30));
    }
    // Duplicates and missing shards.
    refused(
        &tlsim(&["merge", s(&a), s(&a), s(&b)]),
        &["a.json", "given twice"],
    );
    refused(&tlsim(&["merge", s(&a)]), &["missing", "1, 3"]);
    // An explicit --scenario that is not the one the shards ran.
    refused(
        &tlsim(&["merge", s(&a), s(&b), "--scenario", M1]),
        &["digest"],
    );
    let _ = std::fs::remove_dir_all(&t);
}

#[test]
fn item3_resume_validates_saved_shards() {
    let t = scratch("resume-check");
    let d = t.join("state");
    let args = [
        "study",
        FIXTURE,
        "--connections",
        "2000",
        "--state-dir",
        s(&d),
        "--json",
    ];
    let whole = tlsim(&args);
    ok(&whole);
    let f = d.join("shard-000002.json");
    let text = std::fs::read_to_string(&f).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let failures = v["cells"][0][1]["failures"].as_u64().unwrap();
    v["cells"][0][1]["failures"] = (failures + 1).into();
    std::fs::write(&f, serde_json::to_string(&v).unwrap()).unwrap();
    let mut resume = args.to_vec();
    resume.push("--resume");
    refused(&tlsim(&resume), &["shard-000002.json", "by_mechanism"]);
    // A saved shard under another shard's name.
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["shard"] = 3.into();
    std::fs::write(&f, serde_json::to_string(&v).unwrap()).unwrap();
    refused(&tlsim(&resume), &["shard-000002.json", "shard 3"]);
    std::fs::write(&f, &text).unwrap();
    let o = tlsim(&resume);
    ok(&o);
    assert_eq!(o.stdout, whole.stdout);
    let _ = std::fs::remove_dir_all(&t);
}

// ---- 4. crashes ------------------------------------------------------------------------

#[test]
fn item4_a_panicking_shard_is_never_reported_as_results() {
    let t = scratch("panic");
    // The server's CertificateRequest cannot encode 100000 bytes of issuer names (u16
    // length prefix): the engine panics inside the server task. Once scenario validation
    // rejects the value up front the run ends with exit 2 instead; either way it must not
    // print a report and exit 0.
    let sc = t.join("srvpanic.toml");
    std::fs::write(
        &sc,
        r#"description = "a server profile the engine cannot encode"
seed = 1

[[server]]
host = "web"
profile = "strip-zeros"
set = { request_client_cert = true, send_trusted_issuer_list = true, trusted_issuer_bytes = 100000 }

[[client]]
host = "clients"
profile = "keep-zeros"
peers = 1
connections = 2
interval_ms = 10
targets = ["web:443"]
"#,
    )
    .unwrap();
    let d = t.join("state");
    let o = tlsim(&["study", s(&sc), "--connections", "4", "--state-dir", s(&d)]);
    let err = stderr(&o);
    assert!(
        o.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    match o.status.code() {
        Some(70) => {
            assert!(err.contains("tlsim bug: shard"), "{err}");
            assert!(err.contains("panicked"), "{err}");
            assert_eq!(shard_files(&d), 0, "a panicked shard is not saved");
        }
        Some(2) => assert!(!err.contains("panicked"), "{err}"),
        c => panic!("exit {c:?}: {err}"),
    }
    let _ = std::fs::remove_dir_all(&t);
}

// ---- 5. unbounded resources ------------------------------------------------------------

#[test]
fn item5_too_much_work_is_refused_up_front() {
    let t = scratch("huge");
    for n in ["1000000000000000", "18446744073709551615"] {
        let start = Instant::now();
        let o = tlsim(&[
            "study",
            M1,
            "--connections",
            n,
            "--state-dir",
            s(&t.join("s")),
        ]);
        refused(&o, &["shards", "limit", "--connections"]);
        assert!(start.elapsed() < Duration::from_secs(10));
    }
    refused(
        &tlsim(&["study", M1, "--threads", "100000000"]),
        &["--threads"],
    );
    refused(&tlsim(&["study", M1, "--threads", "0"]), &["--threads"]);
    assert!(!t.join("s").exists());
    let _ = std::fs::remove_dir_all(&t);
}

#[test]
fn item5_merge_reads_bounded_input() {
    let t = scratch("merge-bounds");
    let run = |args: &[&str]| {
        let mut child = Command::new(bin())
            .args(args)
            .current_dir(REPO)
            .env("RUST_BACKTRACE", "0")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let start = Instant::now();
        loop {
            if child.try_wait().unwrap().is_some() {
                break child.wait_with_output().unwrap();
            }
            if start.elapsed() > Duration::from_secs(20) {
                let _ = child.kill();
                panic!("tlsim {args:?} hangs");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    refused(
        &run(&["merge", "/dev/zero"]),
        &["/dev/zero", "regular file"],
    );
    let fifo = t.join("fifo");
    let c = std::ffi::CString::new(s(&fifo)).unwrap();
    // SAFETY: mkfifo with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    refused(&run(&["merge", s(&fifo)]), &["fifo", "regular file"]);
    // A sparse 4 GiB file: refused by its size, not read.
    let big = t.join("big.json");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(4 << 30)
        .unwrap();
    refused(&run(&["merge", s(&big)]), &["big.json", "bytes", "limit"]);
    // A shard file claiming 4294967295 shards: refused before allocating per shard.
    let claim = t.join("claim.json");
    std::fs::write(
        &claim,
        // sha256("x") starts 2d711642b726b04401627ca9: the embedded text's digest.
        format!(
            r#"{{"format":"tlsim-shard-results/1","scenario_text":"x","results":[{{"header":{{"scenario":"x","scenario_digest":"2d711642b726b04401627ca9","seed":1,"shards":4294967295,"tlsim":"{}"}},"shard":0,"connections":0,"cells":[]}}]}}"#,
            env!("CARGO_PKG_VERSION")
        ),
    )
    .unwrap();
    refused(
        &run(&["merge", s(&claim)]),
        &["claim.json", "shards", "limit"],
    );
    refused(&run(&["merge", s(&t)]), &["regular file"]);
    refused(&run(&["merge", s(&t.join("none.json"))]), &["none.json"]);
    let _ = std::fs::remove_dir_all(&t);
}

// ---- 6. late errors --------------------------------------------------------------------

#[test]
fn item6_bad_outputs_and_options_are_refused_before_any_work() {
    let t = scratch("late");
    let d = t.join("state");
    let missing = t.join("no-such-dir").join("r.txt");
    let base = ["study", M1, "--connections", "3000", "--state-dir", s(&d)];
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (vec!["--out", s(&missing)], vec!["--out", "no-such-dir"]),
        (vec!["--out", s(&t)], vec!["--out", "directory"]),
        (vec!["--html", s(&missing)], vec!["--html", "no-such-dir"]),
        (vec!["--plot", s(&missing)], vec!["--plot", "no-such-dir"]),
        (vec!["--compare", "no-such"], vec!["no-such", "no-dhe"]),
        (vec!["--shard", "0/2"], vec!["--shard", "--out"]),
        (vec!["--shard", "2/2", "--out", "x"], vec!["--shard"]),
        (
            vec!["--shard", "0/4294967296", "--out", "x"],
            vec!["--shard"],
        ),
        (vec!["--shard", "x", "--out", "x"], vec!["--shard"]),
    ];
    for (extra, words) in cases {
        let mut args = base.to_vec();
        args.extend(extra.iter().copied());
        let o = tlsim(&args);
        refused(&o, &words);
        assert!(!d.exists(), "{extra:?}: refused before any work");
    }
    // A file that is not writable (a path under a regular file).
    let f = t.join("file");
    std::fs::write(&f, "x").unwrap();
    let mut args = base.to_vec();
    let under = f.join("r.txt");
    args.extend(["--out", s(&under)]);
    refused(&tlsim(&args), &["--out"]);
    assert!(!d.exists());
    // A successful run writes the report atomically and leaves no temporary files.
    let out = t.join("r.json");
    let mut args = base.to_vec();
    args.extend(["--json", "--out", s(&out)]);
    ok(&tlsim(&args));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(v["connections"], 3000);
    let names: Vec<String> = std::fs::read_dir(&t)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| !n.contains("tmp") && !n.contains("probe")),
        "{names:?}"
    );
    let _ = std::fs::remove_dir_all(&t);
}
