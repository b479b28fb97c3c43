//! Studies: intervals contain the theory, the thread count changes nothing, merged shards
//! equal the whole run, an interrupted study resumes to the same report, and every replay
//! id reproduces its failure.

use std::path::Path;
use tlsim::crypto::{DhGroup, GroupId};
use tlsim::scenario::Scenario;
use tlsim::study::{merge, outcome_digest, replay, Study};

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
    st.run(&[0, 3], 1, Some(&dir), false, &|_| {}).unwrap();
    let saved = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(saved, 2);
    let resumed = st.run(&all(), 2, Some(&dir), true, &|_| {}).unwrap();
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
