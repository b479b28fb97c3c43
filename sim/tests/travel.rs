//! Studies that travel (issue 14): built-in scenario names from any directory, one seed rule
//! for `run`, `study` and the main job, and shard files that embed what `merge` needs, so a
//! merge anywhere equals the whole run byte for byte.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// A fresh empty directory outside the checkout.
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tlsim-travel-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("create a scratch directory");
    d
}

fn tlsim_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tlsim"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run tlsim")
}

fn ok(o: &Output) -> String {
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn built_in_scenario_names_work_outside_the_checkout_and_equal_the_files() {
    let tmp = scratch("builtin");
    // The built-in name, from a directory with no scenarios/.
    let by_name = ok(&tlsim_in(
        &tmp,
        &[
            "study",
            "october-2019-fleet",
            "--connections",
            "600",
            "--json",
            "--state-dir",
            "a",
        ],
    ));
    // The shipped file, from the checkout.
    let file = repo().join("scenarios/october-2019-fleet.toml");
    let by_file = ok(&tlsim_in(
        &tmp,
        &[
            "study",
            file.to_str().unwrap(),
            "--connections",
            "600",
            "--json",
            "--state-dir",
            "b",
        ],
    ));
    assert_eq!(by_name, by_file, "the built-in text is the file's text");
    // `run` too, and the README's path form where no such file exists.
    let run_name = ok(&tlsim_in(&tmp, &["run", "m1-dh-premaster-zeros", "--json"]));
    let run_path = ok(&tlsim_in(
        &tmp,
        &["run", "scenarios/m1-dh-premaster-zeros.toml", "--json"],
    ));
    assert_eq!(run_name, run_path);
    // A name that is neither a file nor built in: one error naming the built-ins.
    let o = tlsim_in(&tmp, &["run", "october-2019-flet"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("did you mean the built-in scenario \"october-2019-fleet\""),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn one_seed_rule_the_scenario_seed_is_the_default_and_seed_overrides_it() {
    let tmp = scratch("seed");
    let m1 = repo().join("scenarios/m1-dh-premaster-zeros.toml");
    let m1 = m1.to_str().unwrap();
    let text = std::fs::read_to_string(m1).unwrap();
    let seed = text
        .lines()
        .find_map(|l| l.strip_prefix("seed = "))
        .expect("m1 sets a seed")
        .trim()
        .to_string();
    // run: no --seed is --seed <the scenario's seed>; another seed changes the outcomes.
    let run = |extra: &[&str]| {
        let mut a = vec!["run", m1, "--json"];
        a.extend_from_slice(extra);
        ok(&tlsim_in(&tmp, &a))
    };
    assert_eq!(run(&[]), run(&["--seed", &seed]));
    assert_ne!(run(&[]), run(&["--seed", "77"]));
    // study: the same rule.
    let study = |dir: &str, extra: &[&str]| {
        let mut a = vec![
            "study",
            m1,
            "--connections",
            "2000",
            "--json",
            "--state-dir",
            dir,
        ];
        a.extend_from_slice(extra);
        ok(&tlsim_in(&tmp, &a))
    };
    let default = study("d", &[]);
    assert!(
        default.contains(&format!("\"seed\": {seed}")),
        "the study reports the scenario's seed: {default}"
    );
    assert_eq!(default, study("e", &["--seed", &seed]));
    assert_ne!(default, study("f", &["--seed", "77"]));
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn shards_run_elsewhere_merge_anywhere_into_the_whole_run_byte_for_byte() {
    let run_dir = scratch("shards");
    let merge_dir = scratch("merge");
    let conns = "3600"; // 3 shards of 1,230 connections
    for i in 0..3 {
        let spec = format!("{i}/3");
        let out = format!("part{i}.json");
        ok(&tlsim_in(
            &run_dir,
            &[
                "study",
                "october-2019-fleet",
                "--connections",
                conns,
                "--shard",
                &spec,
                "--out",
                &out,
            ],
        ));
        std::fs::rename(run_dir.join(&out), merge_dir.join(&out)).unwrap();
    }
    let whole = |args: &[&str]| {
        let mut a = vec![
            "study",
            "october-2019-fleet",
            "--connections",
            conns,
            "--state-dir",
            "whole",
        ];
        a.extend_from_slice(args);
        ok(&tlsim_in(&run_dir, &a))
    };
    let merged = |args: &[&str]| {
        let mut a = vec!["merge", "part0.json", "part1.json", "part2.json"];
        a.extend_from_slice(args);
        ok(&tlsim_in(&merge_dir, &a))
    };
    let whole_json = whole(&["--json"]);
    assert!(whole_json.contains("\"theory\": 0."), "{whole_json}");
    assert_eq!(
        merged(&["--json"]),
        whole_json,
        "theory and verdict included"
    );
    let _ = std::fs::remove_dir_all(run_dir.join("whole"));
    assert_eq!(merged(&[]), whole(&[]));
    // A shard set of another seed is refused, naming the difference.
    ok(&tlsim_in(
        &run_dir,
        &[
            "study",
            "october-2019-fleet",
            "--connections",
            conns,
            "--seed",
            "5",
            "--shard",
            "2/3",
            "--out",
            "other.json",
        ],
    ));
    std::fs::rename(run_dir.join("other.json"), merge_dir.join("other.json")).unwrap();
    let o = tlsim_in(
        &merge_dir,
        &["merge", "part0.json", "part1.json", "other.json"],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("another study") && err.contains("seed"),
        "{err}"
    );
    // Duplicated and missing shards.
    let o = tlsim_in(&merge_dir, &["merge", "part0.json", "part0.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("given twice"));
    let o = tlsim_in(&merge_dir, &["merge", "part0.json", "part1.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing shards"));
    // A replay id of the study replays from this directory too (built-in scenario).
    let id = whole_json
        .split('"')
        .find(|s| s.starts_with("october-2019-fleet:"))
        .expect("the study keeps replay ids")
        .to_string();
    let replay = ok(&tlsim_in(&merge_dir, &["replay", &id, "--json"]));
    assert!(replay.contains("\"outcome\": \"failed\"") || replay.contains("\"failed\""));
    let _ = std::fs::remove_dir_all(&run_dir);
    let _ = std::fs::remove_dir_all(&merge_dir);
}

#[test]
fn every_built_in_scenario_is_the_shipped_file() {
    let mut names: Vec<String> = std::fs::read_dir(repo().join("scenarios"))
        .unwrap()
        .filter_map(|e| {
            let p = e.ok()?.path();
            let stem = p.file_stem()?.to_string_lossy().into_owned();
            (p.extension()? == "toml").then_some(stem)
        })
        .collect();
    names.sort();
    let built: Vec<String> = tlsim::scenario::BUILTIN
        .iter()
        .map(|(n, _)| n.to_string())
        .collect();
    assert_eq!(names, built);
    for (n, t) in tlsim::scenario::BUILTIN {
        let file = std::fs::read_to_string(repo().join(format!("scenarios/{n}.toml"))).unwrap();
        assert_eq!(&file, t, "{n}");
    }
}
