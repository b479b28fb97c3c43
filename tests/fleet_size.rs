//! Fleet sizes (issue 14): a server whose listen backlog is too small for a burst of peers
//! refuses the connections beyond it, and the run counts them as network failures
//! (connection resets) instead of crashing; 1,000 peers on one client host run to the end.

use tlsim::report::RunReport;
use tlsim::scenario::Scenario;
use tlsim::study::Study;

/// 200 peers whose SYNs all arrive in the same 1 ms step (latency fixed at 1 ms) at a
/// server whose backlog is 10: 10 are accepted, 190 find the queue full.
const BURST: &str = r#"description = "a burst of 200 peers at a server with a backlog of 10"

[network]
latency_ms = [1, 1]

[[server]]
host = "web"
profile = "rsa-only"
backlog = 10

[[client]]
host = "c"
profile = "rsa-only"
peers = 200
connections = 1
targets = ["web:443"]

[expect]
mechanisms = ["connection-reset"]
min_failures = 190
max_failures = 190
"#;

#[test]
fn a_full_backlog_is_counted_as_resets_not_a_panic() {
    let sc = Scenario::parse(BURST, "burst.toml", "burst", None).expect("burst parses");
    let records = tlsim::net::run_fleet(&sc.fleet).expect("the burst runs");
    assert_eq!(records.len(), 200);
    let ok = records.iter().filter(|r| r.outcome.ok()).count();
    assert_eq!(ok, 10, "the first 10 SYNs of the step fill the backlog");
    for r in records.iter().filter(|r| !r.outcome.ok()) {
        assert!(
            !r.outcome.server.complete && r.outcome.client.error.is_some(),
            "a refused connection never reached the server's application: {:?}",
            r.outcome
        );
    }
    let report = RunReport::build(&sc, &records);
    assert!(
        report.expectation_failures.is_empty(),
        "{:?}",
        report.expectation_failures
    );

    // A study counts them the same way in every shard.
    let study = Study::new(sc, BURST, 7, 2);
    for shard in 0..2 {
        let r = study.run_shard(shard).expect("a shard of the burst runs");
        let failures: u64 = r.cells.iter().map(|(_, c)| c.failures).sum();
        let attempts: u64 = r.cells.iter().map(|(_, c)| c.attempts).sum();
        assert_eq!((attempts, failures), (200, 190), "shard {shard}");
    }
}

#[test]
fn a_thousand_peers_on_one_client_host_run_to_completion() {
    let text = BURST
        .replace("backlog = 10\n", "")
        .replace("peers = 200", "peers = 1000")
        .replace("latency_ms = [1, 1]", "latency_ms = [1, 5]")
        .replace(
            "mechanisms = [\"connection-reset\"]\nmin_failures = 190\nmax_failures = 190",
            "all_ok = true",
        );
    let sc = Scenario::parse(&text, "k.toml", "k", None).expect("1,000 peers parse");
    assert_eq!(sc.fleet.clients[0].peers, 1000);
    let records = tlsim::net::run_fleet(&sc.fleet).expect("1,000 peers run");
    assert_eq!(records.len(), 1000);
    let report = RunReport::build(&sc, &records);
    assert!(
        report.expectation_failures.is_empty(),
        "{:?}",
        report.expectation_failures
    );
}
