//! Studies: intervals contain the theory, the thread count changes nothing, merged shards
//! equal the whole run, an interrupted study resumes to the same report, and every replay
//! id reproduces its failure. Issue 12: state directories, validation of shard results,
//! bounds, and panics that stop a study instead of becoming results.

use std::path::{Path, PathBuf};
use tlsim::crypto::{DhGroup, GroupId};
use tlsim::engine::Mechanism;
use tlsim::scenario::Scenario;
use tlsim::study::{
    merge, outcome_digest, replay, ReplayId, ShardResult, StateDir, Study, StudyError,
};

const SHARDS: u32 = 5;

fn study(seed: u64) -> Study {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/study-m1.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let sc = Scenario::load(&path).unwrap();
    Study::new(sc, &text, seed, SHARDS)
}

fn all() -> Vec<u32> {
    (0..SHARDS).collect()
}

#[test]
fn interval_contains_theory_and_threads_change_nothing() {
    let st = study(7);
    let one = st.run(&all(), 1, None, false, &|_| {}).unwrap();
    let two = st.run(&all(), 2, None, false, &|_| {}).unwrap();
    let r1 = merge(&one, Some(&st.scenario), 5).unwrap();
    let r2 = merge(&two, Some(&st.scenario), 5).unwrap();
    assert_eq!(
        r1.json(),
        r2.json(),
        "--threads 1 and --threads 2 give identical JSON"
    );
    let cell = &r1.cells[0];
    let p = DhGroup::named(GroupId::Ffdhe2048).leading_zero_probability();
    assert_eq!(cell.theory, Some(p));
    println!(
        "{} failures in {} (rate {:.5}), 95% CI {:?}, theory {p:.5}",
        cell.failures, cell.attempts, cell.rate, cell.ci95
    );
    assert!(
        cell.ci95[0] <= p && p <= cell.ci95[1],
        "{:?} does not contain {p}",
        cell.ci95
    );
    assert_eq!(cell.verdict.as_deref(), Some("consistent"));
    assert_eq!(r1.connections, SHARDS as u64 * 400);
}

#[test]
fn merged_shard_sets_equal_the_whole_run() {
    let st = study(8);
    let whole = merge(
        &st.run(&all(), 2, None, false, &|_| {}).unwrap(),
        Some(&st.scenario),
        5,
    )
    .unwrap();
    let even: Vec<u32> = all().into_iter().filter(|s| s % 2 == 0).collect();
    let odd: Vec<u32> = all().into_iter().filter(|s| s % 2 == 1).collect();
    let mut parts = st.run(&odd, 1, None, false, &|_| {}).unwrap();
    parts.extend(st.run(&even, 1, None, false, &|_| {}).unwrap());
    // Through files, as `--shard i/n --out` and `tlsim merge` do.
    let text = serde_json::to_string(&parts).unwrap();
    let back: Vec<tlsim::study::ShardResult> = serde_json::from_str(&text).unwrap();
    let merged = merge(&back, Some(&st.scenario), 5).unwrap();
    assert_eq!(merged.json(), whole.json());
    assert!(merge(&back[1..], Some(&st.scenario), 5)
        .unwrap_err()
        .contains("missing shards"));
}

#[test]
fn resume_after_interruption_gives_the_same_report() {
    let st = study(9);
    let dir = std::env::temp_dir().join(format!("tlsim-study-resume-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // An interrupted run: only shards 0 and 3 finished and were saved.
    let state = StateDir::open(&dir, &st.header, "--state-dir").unwrap();
    st.run(&[0, 3], 1, Some(&state), false, &|_| {}).unwrap();
    drop(state);
    let saved = shard_files(&dir);
    assert_eq!(saved, 2);
    let state = StateDir::open(&dir, &st.header, "--state-dir").unwrap();
    let resumed = st.run(&all(), 2, Some(&state), true, &|_| {}).unwrap();
    let fresh = st.run(&all(), 2, None, false, &|_| {}).unwrap();
    assert_eq!(
        merge(&resumed, Some(&st.scenario), 5).unwrap().json(),
        merge(&fresh, Some(&st.scenario), 5).unwrap().json()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_replay_id_reproduces_its_failure() {
    let mut st = study(10);
    st.replay_per_cell = usize::MAX;
    let shards = st.run(&all(), 2, None, false, &|_| {}).unwrap();
    let mut checked = 0;
    for sh in &shards {
        for (_, cell) in &sh.cells {
            for (id, digest) in cell.replay.iter().zip(&cell.replay_digest) {
                let conn = id.rsplit(':').next().unwrap();
                let rec = replay(&st, sh.shard, conn).unwrap();
                assert_eq!(
                    &outcome_digest(&rec.outcome),
                    digest,
                    "replay of {id} differs"
                );
                assert!(
                    rec.wire.as_ref().is_some_and(|w| !w.is_empty()),
                    "replay records the wire"
                );
                checked += 1;
            }
        }
    }
    println!("replayed {checked} failures");
    assert!(checked > 0);
}

fn shard_files(d: &Path) -> usize {
    std::fs::read_dir(d)
        .unwrap()
        .filter(|e| {
            let n = e.as_ref().unwrap().file_name();
            let n = n.to_string_lossy();
            n.starts_with("shard-") && n.ends_with(".json")
        })
        .count()
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tlsim-study-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

// Issue 12, item 1: tlsim uses only state directories it created, for one study.
#[test]
fn state_dirs_are_marked_locked_and_never_taken_over() {
    let st = study(11);
    let t = scratch("state");
    // A user's directory: refused, untouched.
    let user = t.join("user");
    std::fs::create_dir_all(user.join("sub")).unwrap();
    std::fs::write(user.join("notes"), "keep").unwrap();
    let e = StateDir::open(&user, &st.header, "--state-dir").unwrap_err();
    assert!(e.contains("not created by tlsim"), "{e}");
    assert_eq!(std::fs::read_dir(&user).unwrap().count(), 2);
    // A new directory is created and marked; a second open is refused while the first
    // holds it, with this process's pid.
    let d = t.join("new");
    let held = StateDir::open(&d, &st.header, "--state-dir").unwrap();
    assert!(held.created && d.join(tlsim::study::MARKER).is_file());
    let e = StateDir::open(&d, &st.header, "--state-dir").unwrap_err();
    assert!(
        e.contains(&format!("locked by process {}", std::process::id())),
        "{e}"
    );
    st.run(&[1], 1, Some(&held), false, &|_| {}).unwrap();
    drop(held);
    // Another study (another seed) is refused; the saved shard stays.
    let other = study(12);
    let e = StateDir::open(&d, &other.header, "--state-dir").unwrap_err();
    assert!(
        e.contains("another study") && e.contains("seed 11 (there) vs 12 (this study)"),
        "{e}"
    );
    assert_eq!(shard_files(&d), 1);
    // A fresh run of the same study removes only its own shard files.
    std::fs::write(d.join("notes"), "mine").unwrap();
    std::fs::write(d.join("shard-000001.json.tmp.999999.0"), "half").unwrap();
    let again = StateDir::open(&d, &st.header, "--state-dir").unwrap();
    assert!(!d.join("shard-000001.json.tmp.999999.0").exists());
    st.run(&[0], 1, Some(&again), false, &|_| {}).unwrap();
    assert_eq!(shard_files(&d), 2, "shard 1 kept: it was not rerun");
    st.run(&[1], 1, Some(&again), false, &|_| {}).unwrap();
    assert_eq!(std::fs::read_to_string(d.join("notes")).unwrap(), "mine");
    let _ = std::fs::remove_dir_all(&t);
}

// Item 3: saved shards are validated when a study resumes.
#[test]
fn resume_refuses_a_tampered_saved_shard() {
    let st = study(13);
    let t = scratch("tampered");
    let d = t.join("s");
    let state = StateDir::open(&d, &st.header, "--state-dir").unwrap();
    st.run(&[0], 1, Some(&state), false, &|_| {}).unwrap();
    let f = d.join("shard-000000.json");
    let mut r: ShardResult = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
    r.cells[0].1.failures = r.cells[0].1.attempts + 1;
    std::fs::write(&f, serde_json::to_string(&r).unwrap()).unwrap();
    let e = st.run(&[0], 1, Some(&state), true, &|_| {}).unwrap_err();
    let e = e.to_string();
    assert!(
        e.contains("shard-000000.json") && e.contains("failures"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&t);
}

// Item 3: merge validates every shard result before using it.
#[test]
fn merge_refuses_inconsistent_shard_results() {
    let st = study(14);
    let good = st.run(&all(), 2, None, false, &|_| {}).unwrap();
    merge(&good, Some(&st.scenario), 5).unwrap();
    type Edit = fn(&mut ShardResult);
    let cases: [(Edit, &str); 8] = [
        (
            |r| r.cells[0].1.failures = r.cells[0].1.attempts + 1,
            "failures",
        ),
        (
            |r| {
                // A mechanism count the failures do not account for.
                r.cells[0].1.by_mechanism.insert(Mechanism::KeyMismatch, 1);
            },
            "by_mechanism",
        ),
        (
            |r| r.cells[0].1.replay_digest.push("00".into()),
            "replay_digest",
        ),
        (|r| r.connections += 1, "connections"),
        (|r| r.shard = SHARDS, "outside"),
        (|r| r.header.shards = u32::MAX, "shards 4294967295"),
        (|r| r.header.seed += 1, "another study"),
        (|r| r.cells[0].1.attempts = u64::MAX, "attempts"),
    ];
    for (edit, word) in cases {
        let mut bad = good.clone();
        edit(&mut bad[1]);
        let e = merge(&bad, Some(&st.scenario), 5).unwrap_err();
        assert!(e.contains(word), "{word}: {e}");
    }
    let mut twice = good.clone();
    twice.push(good[2].clone());
    assert!(merge(&twice, None, 5).unwrap_err().contains("given twice"));
}

// Item 4: a panic in a shard stops the study as a bug, never as outcomes, and is not
// saved; a panic swallowed below the study (as a task's JoinError) counts too.
#[test]
fn a_panic_in_a_shard_is_a_bug_not_results() {
    let st = study(15);
    let t = scratch("panic");
    let state = StateDir::open(&t.join("s"), &st.header, "--state-dir").unwrap();
    let e = st
        .run_with(&all(), 2, Some(&state), false, &|_| {}, &|i| {
            if i == 2 {
                panic!("boom in shard {i}");
            }
            st.run_shard(i)
        })
        .unwrap_err();
    match &e {
        StudyError::Bug { shard, message } => {
            assert_eq!(*shard, Some(2));
            assert!(message.contains("boom in shard 2"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(e
        .to_string()
        .starts_with("tlsim bug: shard 2 panicked: boom"));
    assert!(!t.join("s").join("shard-000002.json").exists());
    let e = st
        .run_with(&[0, 1], 1, None, false, &|_| {}, &|i| {
            let _ = std::panic::catch_unwind(|| panic!("swallowed in shard {i}"));
            st.run_shard(i)
        })
        .unwrap_err();
    assert!(
        matches!(&e, StudyError::Bug { shard: Some(0), message } if message.contains("swallowed in shard 0")),
        "{e:?}"
    );
    let _ = std::fs::remove_dir_all(&t);
}

// Item 5: never more worker threads than shards to run.
#[test]
fn threads_never_exceed_the_work() {
    let st = study(16);
    let ids = std::sync::Mutex::new(std::collections::BTreeSet::new());
    st.run_with(&[0, 1], 10_000, None, false, &|_| {}, &|i| {
        ids.lock()
            .unwrap()
            .insert(format!("{:?}", std::thread::current().id()));
        st.run_shard(i)
    })
    .unwrap();
    assert!(ids.lock().unwrap().len() <= 2);
}

// Items 3 and 5: shard counts are computed in u64 and bounded, with the arithmetic.
#[test]
fn shard_counts_are_checked() {
    let st = study(17);
    assert_eq!(st.per_shard(), 400);
    assert_eq!(st.shards_for(0).unwrap(), 1);
    assert_eq!(st.shards_for(401).unwrap(), 2);
    for n in [400 * (1u64 << 32) + 400, 1_000_000_000_000_000, u64::MAX] {
        let e = st.shards_for(n).unwrap_err();
        assert!(e.contains("limit") && e.contains(" shards of 400"), "{e}");
    }
}

// Item 3: a replay id is checked against the study it is replayed with.
#[test]
fn replay_ids_name_their_study() {
    let st = study(18);
    let id: ReplayId = "m4-ems-resumption:18:5:0:clients.0.0".parse().unwrap();
    let e = tlsim::study::replay_id(&st, &id).unwrap_err().to_string();
    assert!(
        e.contains("m4-ems-resumption") && e.contains("study-m1"),
        "{e}"
    );
    let id: ReplayId = "study-m1:19:5:0:clients.0.0".parse().unwrap();
    assert!(tlsim::study::replay_id(&st, &id).is_err());
}

/// The `tls13` what-if turns TLS 1.3 on only where an administrator can: in the October
/// 2019 fleet every client is a Windows build before Windows 11 / Server 2022, so none
/// changes, and the notes say so; a server whose stack has TLS 1.3 gains it.
#[test]
fn tls13_what_if_changes_only_peers_that_have_tls13() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/october-2019-fleet.toml");
    let sc = Scenario::load(&path).unwrap();
    let (v, notes) = tlsim::study::variant_with_notes(&sc, "tls13").unwrap();
    for (a, b) in sc.fleet.clients.iter().zip(&v.fleet.clients) {
        assert_eq!(
            a.profile.client_versions, b.profile.client_versions,
            "{}",
            a.label
        );
        assert!(!b.profile.tls13(true), "{}", a.label);
    }
    for b in &v.fleet.servers {
        let has = b.profile.tls13(false);
        match b.profile.name.as_str() {
            n if n.starts_with("win")
                || n.starts_with("openssl-1.0")
                || n.starts_with("filezilla-server-0") =>
            {
                assert!(!has, "{n}")
            }
            n => assert!(has, "{n} gains TLS 1.3"),
        }
    }
    let all = notes.join("\n");
    for build in ["win2008r2", "win2012r2", "win2016", "win2019"] {
        assert!(
            all.contains(&format!("Windows build {build} has no TLS 1.3")),
            "{all}"
        );
    }
    assert!(all.contains("OpenSSL 1.0.x has no TLS 1.3"), "{all}");
    // A Windows 11 / Server 2022 client can, and keeps its other versions.
    let p = tlsim::profile::load("win10-1903").unwrap();
    assert!(tlsim::study::tls13_unavailable(&p, Some("win10-1903")).is_some());
    let p = tlsim::profile::load("win2022").unwrap();
    assert!(tlsim::study::tls13_unavailable(&p, Some("win2022")).is_none());
    let java8 = tlsim::profile::load("java-8u161").unwrap();
    assert!(tlsim::study::tls13_unavailable(&java8, None).is_some());
    let java11 = tlsim::profile::load("java-11").unwrap();
    assert!(tlsim::study::tls13_unavailable(&java11, None).is_none());
    assert!(v.name.ends_with("+tls13"));
}

/// Issue 16: a padding TLS 1.3 client against a stripping TLS 1.3 server on ffdhe2048 fails
/// at the rate computed from p (the leading-zero probability of Z), inside the study's
/// 99.9% interval, and every failure is the Z mismatch.
#[test]
fn tls13_ffdhe_padding_client_against_stripping_server_matches_theory() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/study-tls13-ffdhe.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let sc = Scenario::load(&path).unwrap();
    let st = Study::new(sc, &text, 3, SHARDS);
    let shards = st.run(&all(), 2, None, false, &|_| {}).unwrap();
    let r = merge(&shards, Some(&st.scenario), 5).unwrap();
    assert_eq!(r.cells.len(), 1, "one cell: failures keep their suite");
    let cell = &r.cells[0];
    let p = DhGroup::named(GroupId::Ffdhe2048).leading_zero_probability();
    assert_eq!(cell.theory, Some(p));
    println!(
        "{} failures in {}, theory {p:.5}",
        cell.failures, cell.attempts
    );
    assert!(cell.failures > 0);
    assert_eq!(cell.verdict.as_deref(), Some("consistent"));
    assert_eq!(r.connections, SHARDS as u64 * 400);
    let json = r.json();
    assert!(json.contains("tls13-ffdhe-z-mismatch"), "{json}");
    assert!(!json.contains("dh-premaster-zeros"), "{json}");
}
