//! `tlsim` with no arguments: the flagship study of the October 2019 fleet, embedded, with
//! Microsoft's two workarounds as what-ifs.

use crate::cmd_study::{compare_table, exit_for, run_study, Failure};
use std::collections::BTreeMap;
use std::process::ExitCode;
use tlsim::engine::Mechanism;
use tlsim::scenario::Scenario;
use tlsim::study::{merge, replay, variant, ReplayId, Study, StudyReport};

const NAME: &str = "october-2019-fleet";
/// Shards of the flagship study (each one run of the scenario's workload).
const SHARDS: u32 = 24;

/// (attempts, failures, failures by mechanism) of one client → server pair.
type PairTotals = (u64, u64, BTreeMap<Mechanism, u64>);

fn pair_matrix(r: &StudyReport) -> String {
    let mut m: BTreeMap<(String, String), PairTotals> = BTreeMap::new();
    for c in &r.cells {
        let e = m.entry((c.client.clone(), c.server.clone())).or_default();
        e.0 += c.attempts;
        e.1 += c.failures;
        for (k, n) in &c.by_mechanism {
            *e.2.entry(*k).or_default() += n;
        }
    }
    let mut s = format!(
        "{:<32} {:<26} {:>8} {:>7} {:>9} {:>21}  mechanisms\n",
        "client", "server", "attempts", "failed", "rate", "95% CI"
    );
    for ((c, sv), (a, f, mech)) in m {
        let ci = tlsim::study::wilson95(f, a);
        let mechs: Vec<String> = mech.iter().map(|(k, n)| format!("{k} ×{n}")).collect();
        s.push_str(&format!(
            "{c:<32} {sv:<26} {a:>8} {f:>7} {:>9.5} [{:>8.5}, {:>8.5}]  {}\n",
            if a == 0 { 0.0 } else { f as f64 / a as f64 },
            ci[0],
            ci[1],
            if mechs.is_empty() {
                "-".into()
            } else {
                mechs.join(", ")
            }
        ));
    }
    s
}

pub fn run() -> Result<ExitCode, String> {
    exit_for(run_checked())
}

fn run_checked() -> Result<ExitCode, Failure> {
    let t0 = std::time::Instant::now();
    // The built-in scenario, never a file of the current directory.
    let flagship = tlsim::scenario::builtin(NAME).ok_or("the flagship scenario is built in")?;
    let sc = Scenario::parse(flagship, &format!("built-in:{NAME}"), NAME, None)
        .map_err(|e| e.to_string())?;
    // The one seed rule: the scenario's `seed` (20191008 here), as `tlsim study` and `tlsim
    // run` use it.
    let seed = sc.fleet.seed;
    let study = Study::new(sc.clone(), flagship, seed, SHARDS);
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let all: Vec<u32> = (0..SHARDS).collect();
    println!("tlsim — the October 2019 fleet (embedded flagship study)");
    println!("{}", sc.description.trim());
    println!(
        "\nRunning {} shards × {} connections on {threads} thread(s), seed {seed}…",
        SHARDS,
        study.per_shard()
    );
    // A few seconds of work: nothing to resume, so no state directory.
    let results = run_study(&study, &all, threads, None, false)?;
    let report = merge(&results, Some(&sc), 5)?;
    println!(
        "\nFailure matrix ({} connections):\n{}",
        report.connections,
        pair_matrix(&report)
    );

    let with_theory: Vec<_> = report
        .cells
        .iter()
        .filter(|c| c.theory.is_some_and(|t| t > 0.0))
        .collect();
    if !with_theory.is_empty() {
        println!("Cells with a theoretical rate (computed from the DH prime):");
        for c in with_theory {
            println!(
                "  {} → {} {} ({}): {} of {} = {:.5}, 95% CI [{:.5}, {:.5}], theory {:.5}: {}",
                c.client,
                c.server,
                c.suite,
                c.handshake,
                c.failures,
                c.attempts,
                c.rate,
                c.ci95[0],
                c.ci95[1],
                c.theory.unwrap_or(0.0),
                c.verdict.as_deref().unwrap_or("-")
            );
        }
    }

    // Top mechanisms, each explained from a replayed failure in an administrator's words.
    let mut totals: BTreeMap<Mechanism, (u64, Option<String>)> = BTreeMap::new();
    for c in &report.cells {
        for (m, n) in &c.by_mechanism {
            let e = totals.entry(*m).or_default();
            e.0 += n;
            if e.1.is_none() {
                e.1 = c.replay.first().cloned();
            }
        }
    }
    let mut top: Vec<_> = totals.into_iter().collect();
    top.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(&b.0)));
    println!("\nWhat failed, in the words an administrator sees:");
    let mut first_id = None;
    for (m, (n, id)) in &top {
        let Some(id) = id else { continue };
        first_id.get_or_insert(id.clone());
        let parsed: ReplayId = id.parse()?;
        let rec = replay(&study, parsed.shard, &parsed.conn.to_string())?;
        let [cv, sv] = tlsim::report::explain::both_views(&rec);
        println!("  {m} ({n} failures): {}", rec.outcome.explanation);
        println!("      client: {cv}");
        println!("      server: {sv}");
    }

    println!("\nMicrosoft's workarounds, as what-ifs on the same seeds:");
    for (v, what) in [
        ("no-dhe", "remove TLS_DHE_* from the clients' suite lists"),
        ("ems-on", "enable the Extended Master Secret on both sides"),
    ] {
        let vs = variant(&sc, v)?;
        let vstudy = Study::new(vs.clone(), &format!("{flagship}{v}"), seed, SHARDS);
        let vres = run_study(&vstudy, &all, threads, None, false)?;
        let vrep = merge(&vres, Some(&vs), 5)?;
        let total = |r: &StudyReport| r.cells.iter().map(|c| c.failures).sum::<u64>();
        println!(
            "  {v} ({what}): {} failures → {}",
            total(&report),
            total(&vrep)
        );
        let table = compare_table(&report, &vrep, v);
        for line in table.lines().skip(2).filter(|l| {
            // Only the pairs whose rate changes.
            let nums: Vec<&str> = l.split_whitespace().filter(|w| w.contains('/')).collect();
            nums.len() == 2 && nums[0].split('/').next() != nums[1].split('/').next()
        }) {
            println!("  {line}");
        }
    }
    println!("\nFinished in {:.1} s.", t0.elapsed().as_secs_f64());
    println!("Next: `tlsim demo` (step-by-step demos), `tlsim replay {}` (one failure, message by message),", first_id.unwrap_or_else(|| "ID".into()));
    println!("      `tlsim study october-2019-fleet --connections 100000`, `tlsim profiles`, `tlsim --help`.");
    Ok(ExitCode::SUCCESS)
}
