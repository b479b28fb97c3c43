//! The short fuzz run: every target for a fixed number of seeded inputs (a few seconds in
//! all), no panic and no broken invariant allowed. The long run is `examples/fuzz.rs`
//! (README, "Fuzzing"). A failure prints each finding's replay command and saves its input
//! under `target/fuzz-found/`.

use std::path::{Path, PathBuf};
use tlsim::fuzz::{self, Corpus, Target, Verdict};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Seed of the short run; change it to explore, never to make a failure go away.
const SEED: u64 = 1;

fn short_run(target: Target, inputs: u64) {
    let corpus = Corpus::build(target, root()).expect("corpus builds");
    let r = fuzz::run(&corpus, SEED, 0, inputs, 2, None);
    println!(
        "{target}: {} seeds, {} inputs, {} accepted, {:.0} inputs/s, slowest #{} {:?}",
        corpus.len(),
        r.inputs,
        r.accepted,
        r.per_second(),
        r.slowest.0,
        r.slowest.1
    );
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-found");
    for f in &r.findings {
        let saved = f.save(&out).map(|p| p.display().to_string());
        println!(
            "FINDING {:?} #{}: {}\n  {}\n  saved: {saved:?}",
            f.kind,
            f.iter,
            f.message,
            f.command()
        );
    }
    assert!(
        r.findings.is_empty(),
        "{target}: {} findings (+{} more), see above",
        r.findings.len(),
        r.more_findings
    );
    assert!(r.accepted > 0, "{target}: no input was accepted at all");
}

#[test]
fn fuzz_wire() {
    short_run(Target::Wire, 20_000);
}

#[test]
fn fuzz_client_sim() {
    short_run(Target::ClientSim, 3000);
}

#[test]
fn fuzz_server_sim() {
    short_run(Target::ServerSim, 3000);
}

#[test]
fn fuzz_client_real() {
    short_run(Target::ClientReal, 1000);
}

#[test]
fn fuzz_server_real() {
    short_run(Target::ServerReal, 300);
}

#[test]
fn fuzz_scenario() {
    short_run(Target::Scenario, 2000);
}

#[test]
fn fuzz_profile() {
    short_run(Target::Profile, 2000);
}

#[test]
fn fuzz_reg() {
    short_run(Target::Reg, 10_000);
}

#[test]
fn fuzz_cipher_order() {
    short_run(Target::CipherOrder, 1000);
}

/// Unmutated engine seeds replay to the end their recording reached (nearly all complete
/// handshakes): the corpus is real, so mutations start deep.
#[test]
fn engine_seeds_replay_as_recorded() {
    for t in [
        Target::ClientSim,
        Target::ServerSim,
        Target::ClientReal,
        Target::ServerReal,
    ] {
        let corpus = Corpus::build(t, root()).expect("corpus builds");
        let cases = corpus.engine_cases();
        // (OpenSSL ClientHellos get as far as the server's first flight.)
        let recorded = cases.iter().filter(|c| !c.name.contains("openssl"));
        let complete = recorded.clone().filter(|c| c.complete).count();
        let n = recorded.count();
        assert!(complete * 10 >= n * 8, "{t}: {complete} of {n} complete");
        for (i, case) in cases.iter().enumerate() {
            let v = fuzz::check(&corpus, &corpus.seed_input(i));
            let want = if case.complete {
                Verdict::Accepted
            } else {
                Verdict::Rejected
            };
            assert_eq!(v, want, "{t}: seed {}", case.name);
        }
    }
}

/// The same (seed, iteration) gives the same input, whatever ran before.
#[test]
fn inputs_depend_only_on_seed_and_iteration() {
    let corpus = Corpus::build(Target::ClientSim, root()).expect("corpus builds");
    let a: Vec<_> = (0..20).map(|i| corpus.generate(7, i)).collect();
    let b: Vec<_> = (0..20).rev().map(|i| corpus.generate(7, i)).collect();
    assert!(a.iter().eq(b.iter().rev()));
    assert!(a.iter().any(|x| x != &a[0]));
}
