//! Fleet benchmark (issues 6 and 14): a scenario with 20 hosts and 10,000 connections, and
//! one with 10,000 logical peers on 12 hosts (1,000 per client host), on the turmoil
//! network; for each, the cost split between the network and the TLS work and the
//! non-crypto (network simulation) cost per connection. Run with `cargo bench --bench
//! fleet`. It prints what it measured; nothing is asserted.

use std::time::Instant;
use tlsim::engine::Pair;
use tlsim::scenario::Scenario;

fn peak_rss_kb() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    for name in ["fleet-20-hosts.toml", "fleet-10000-peers.toml"] {
        bench(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("scenarios/bench")
                .join(name),
        );
    }
}

fn bench(path: &std::path::Path) {
    let sc = Scenario::load(path).expect("benchmark scenario");
    let hosts: std::collections::BTreeSet<&str> = sc
        .fleet
        .servers
        .iter()
        .map(|s| s.host.as_str())
        .chain(sc.fleet.clients.iter().map(|c| c.host.as_str()))
        .collect();

    let t = Instant::now();
    let records = tlsim::net::run_fleet(&sc.fleet).expect("fleet runs");
    let fleet_s = t.elapsed().as_secs_f64();
    let n = records.len();

    // The same TLS work without the network: each client profile against its target's
    // server profile, in memory, with the same number of connections and the same share
    // share of reconnects that keep their session (the scenario's resume_ratio).
    let t = Instant::now();
    let mut tls_only = 0usize;
    for (ci, c) in sc.fleet.clients.iter().enumerate() {
        let (th, tp) = &c.targets[0];
        let server = sc
            .fleet
            .servers
            .iter()
            .find(|s| &s.host == th && s.port == *tp)
            .expect("target");
        for peer in 0..c.peers {
            let mut pair = Pair::new(
                (*c.profile).clone(),
                (*server.profile).clone(),
                (ci as u64) << 32 | peer as u64,
            );
            let mut rng = tlsim::seed::rng_for(7, &[ci as u64, peer as u64]);
            for _ in 0..c.connections {
                use rand_core::RngCore;
                if (rng.next_u64() as f64 / u64::MAX as f64) >= c.resume_ratio {
                    pair.client_state.client_forget("server");
                }
                pair.connect();
                tls_only += 1;
            }
        }
    }
    let tls_s = t.elapsed().as_secs_f64();
    println!(
        "fleet benchmark: {} hosts, {n} connections (scenario {})",
        hosts.len(),
        path.display()
    );
    println!(
        "  whole run on the turmoil network: {fleet_s:.2} s wall, {:.0} connections/s",
        n as f64 / fleet_s
    );
    println!("  same TLS work in memory (engine + crypto, no network): {tls_s:.2} s for {tls_only} connections");
    let net = (fleet_s - tls_s).max(0.0);
    println!(
        "  cost split: TLS engine + crypto {:.0} %, network simulation {:.0} %",
        100.0 * tls_s / fleet_s,
        100.0 * net / fleet_s
    );
    println!(
        "  non-crypto cost per connection (network simulation, peers, collection): {:.1} µs",
        1e6 * net / n.max(1) as f64
    );
    if let Some(kb) = peak_rss_kb() {
        println!(
            "  peak memory of the process so far (VmHWM): {:.1} MB",
            kb as f64 / 1024.0
        );
    }
}
