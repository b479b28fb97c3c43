//! The exit status is the same across commands: 0 ran and found no failure (or the
//! scenario's expectations were met), 1 ran and found failures or unmet expectations, 2 a
//! usage or input error; a panic is 70 (a bug), never Rust's 101.

use std::process::Command;

fn code(args: &[&str]) -> Option<i32> {
    let o = Command::new(env!("CARGO_BIN_EXE_tlsim"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("run tlsim");
    o.status.code()
}

fn scratch(name: &str) -> String {
    let d = std::env::temp_dir().join(format!("tlsim-exit-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d.to_string_lossy().into_owned()
}

#[test]
fn success_is_0() {
    assert_eq!(code(&["handshake"]), Some(0));
    assert_eq!(code(&["profiles"]), Some(0));
    assert_eq!(code(&["demo"]), Some(0));
    // Expectations met (the scenario expects its failure).
    assert_eq!(code(&["run", "m1-dh-premaster-zeros"]), Some(0));
    // A study that finds nothing.
    let d = scratch("ok");
    let args = [
        "study",
        "workaround-disable-dhe",
        "--connections",
        "200",
        "--state-dir",
        &d,
    ];
    assert_eq!(code(&args), Some(0));
}

#[test]
fn found_failures_are_1_from_every_command() {
    // No shared suite: the ELB policy has no DHE suite.
    let hs = [
        "handshake",
        "--server-profile",
        "elb-2016-08",
        "--suite",
        "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
    ];
    assert_eq!(code(&hs), Some(1));
    let d = scratch("found");
    let out = format!("{d}-part.json");
    let study = [
        "study",
        "m1-dh-premaster-zeros",
        "--connections",
        "600",
        "--json",
        "--state-dir",
        &d,
    ];
    let o = Command::new(env!("CARGO_BIN_EXE_tlsim"))
        .args(study)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "a study that finds failures");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let id = v["cells"][0]["replay"][0].as_str().unwrap().to_string();
    let shard = [
        "study",
        "m1-dh-premaster-zeros",
        "--connections",
        "600",
        "--shard",
        "0/1",
        "--out",
        &out,
        "--state-dir",
        &format!("{d}-2"),
    ];
    assert_eq!(
        code(&shard),
        Some(0),
        "a shard run writes results; the merge judges"
    );
    assert_eq!(code(&["merge", &out]), Some(1));
    assert_eq!(code(&["replay", &id]), Some(1), "a replayed failure");
    let _ = std::fs::remove_file(&out);
}

#[test]
fn bad_input_is_2() {
    assert_eq!(code(&["--no-such-flag"]), Some(2));
    assert_eq!(
        code(&["handshake", "--client-profile", "no-such-profile"]),
        Some(2)
    );
    assert_eq!(code(&["run", "no-such-scenario"]), Some(2));
    assert_eq!(
        code(&["study", "m1-dh-premaster-zeros", "--compare", "no-such"]),
        Some(2)
    );
    assert_eq!(code(&["replay", "not-an-id"]), Some(2));
    assert_eq!(code(&["profiles", "show", "nope"]), Some(2));
    assert_eq!(code(&["demo", "nope"]), Some(2));
    assert_eq!(
        code(&["study", "m1-dh-premaster-zeros", "--json", "--csv"]),
        Some(2)
    );
}
