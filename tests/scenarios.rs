//! The scenario harness: every file in scenarios/ runs on the simulated network; its
//! outcome table must match the insta snapshot in snapshots/ (accept a change with
//! `cargo insta review`) and its expectations must hold.

use std::path::{Path, PathBuf};
use tlsim::report::RunReport;
use tlsim::scenario::Scenario;

/// One scenario file and its run: the rendered report and the report, or an error.
type ScenarioResult = (PathBuf, Result<(String, RunReport), String>);

fn scenario_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("scenarios/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

fn run(path: &Path) -> Result<(String, RunReport), String> {
    let sc = Scenario::load(path).map_err(|e| e.to_string())?;
    let records = tlsim::net::run_fleet(&sc.fleet)?;
    let report = RunReport::build(&sc, &records);
    Ok((sc.name.clone(), report))
}

#[test]
fn every_scenario_matches_its_snapshot_and_expectations() {
    let files = scenario_files();
    assert!(files.len() >= 10, "scenarios/ holds the shipped scenarios");
    // Each Sim is built and run on its own thread (turmoil's Sim is not Send).
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let results: Vec<ScenarioResult> = files
        .chunks(files.len().div_ceil(threads))
        .map(|chunk| {
            let chunk = chunk.to_vec();
            std::thread::spawn(move || {
                chunk
                    .into_iter()
                    .map(|f| {
                        let r = run(&f);
                        (f, r)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .flat_map(|h| h.join().expect("scenario thread"))
        .collect();
    let mut problems = Vec::new();
    for (file, result) in results {
        let (name, report) = match result {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!("{}: {e}", file.display()));
                continue;
            }
        };
        let text = report.text();
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path("../snapshots");
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        let snap = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            settings.bind(|| insta::assert_snapshot!(name.clone(), text))
        }));
        if snap.is_err() {
            problems.push(format!("{name}: outcome table differs from snapshots/{name}.snap (see the diff above; `cargo insta review` to accept)"));
        }
        for e in &report.expectation_failures {
            problems.push(format!("{name}: expectation not met: {e}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A replay id names a connection as `host.peer.index`; two client entries on one host
/// (m4's clients, the October fleet's Windows 7 hosts) must not both have a peer 0, or a
/// replay re-runs the first entry's connection in place of the second's.
#[test]
fn connection_ids_are_unique_when_client_entries_share_a_host() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/m4-ems-resumption.toml");
    let sc = Scenario::load(&path).expect("m4 loads");
    let hosts: Vec<&str> = sc.fleet.clients.iter().map(|c| c.host.as_str()).collect();
    let shared = hosts
        .iter()
        .enumerate()
        .any(|(i, h)| hosts[..i].contains(h));
    assert!(shared, "m4 has two client entries on one host: {hosts:?}");
    let records = tlsim::net::run_fleet(&sc.fleet).expect("m4 runs");
    let mut ids = std::collections::BTreeSet::new();
    for r in &records {
        assert!(
            ids.insert((r.client_host.clone(), r.peer, r.index)),
            "{}.{}.{} names two connections ({} and another entry)",
            r.client_host,
            r.peer,
            r.index,
            r.client
        );
    }
}
