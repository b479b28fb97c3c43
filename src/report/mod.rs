//! Outcome tables: per (client, server, channel) counts, failures by mechanism, how each
//! side saw the first failure in an administrator's words (docs/field-facts.md §4), failures per
//! time bucket, and the scenario's expectations checked.

pub mod bridge;
pub mod demo;
pub mod explain;
pub mod html;
pub mod ladder;
pub mod output;
pub mod pcap;
pub mod plot;
pub mod printed;
pub mod profiles;
mod run;
pub mod steps;
pub mod table;
pub mod words;

pub use run::{HandshakeCommand, ReplayCommand, RunCommand, RunDone};

use crate::engine::{HandshakeKind, Mechanism};
use crate::net::{Channel, ConnRecord};
use crate::scenario::{Expect, Scenario};
use crate::study::Totals;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Row {
    pub client: String,
    pub server: String,
    pub channel: Channel,
    pub attempts: u64,
    pub ok_full: u64,
    pub ok_resumed: u64,
    pub ok_resume_refused: u64,
    pub failed: u64,
    pub by_mechanism: BTreeMap<Mechanism, u64>,
    /// For each mechanism, how the client and the server saw its first occurrence.
    pub seen_as: BTreeMap<Mechanism, [String; 2]>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub scenario: String,
    pub seed: u64,
    pub connections: u64,
    pub rows: Vec<Row>,
    /// (bucket start ms, failures) when the scenario asks for buckets.
    pub buckets: Option<Vec<(u64, u64, u64)>>,
    pub bucket_ms: Option<u64>,
    pub expectation_failures: Vec<String>,
}

impl RunReport {
    pub fn build(sc: &Scenario, records: &[ConnRecord]) -> RunReport {
        let mut rows: BTreeMap<(String, String, Channel), Row> = BTreeMap::new();
        for r in records {
            let key = (r.client.clone(), r.server.clone(), r.channel);
            let row = rows.entry(key).or_insert_with(|| Row {
                client: r.client.clone(),
                server: r.server.clone(),
                channel: r.channel,
                ..Row::default()
            });
            row.attempts += 1;
            let o = &r.outcome;
            match (o.ok(), o.handshake) {
                (true, HandshakeKind::Resumed) => row.ok_resumed += 1,
                (true, HandshakeKind::ResumeRefused) => row.ok_resume_refused += 1,
                (true, HandshakeKind::Full) => row.ok_full += 1,
                (false, _) => {
                    row.failed += 1;
                    // A failed outcome always names its mechanism (`engine::Verdict`).
                    if let Some(m) = o.mechanism {
                        *row.by_mechanism.entry(m).or_default() += 1;
                        row.seen_as
                            .entry(m)
                            .or_insert_with(|| explain::both_views(r));
                    }
                }
            }
        }
        let buckets = sc.bucket_ms.map(|b| {
            let mut m: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
            for r in records {
                let e = m.entry(r.start_ms / b * b).or_default();
                e.0 += 1;
                if !r.outcome.ok() {
                    e.1 += 1;
                }
            }
            m.into_iter().map(|(k, (a, f))| (k, a, f)).collect()
        });
        let rows: Vec<Row> = rows.into_values().collect();
        let expectation_failures = check(&sc.expect, &rows);
        RunReport {
            scenario: sc.name.clone(),
            seed: sc.fleet.seed,
            connections: records.len() as u64,
            rows,
            buckets,
            bucket_ms: sc.bucket_ms,
            expectation_failures,
        }
    }

    /// `tlsim run --json`: this report, every connection, and the overlays applied (when
    /// there are any), pretty-printed.
    pub fn json(&self, sc: &Scenario, records: &[ConnRecord]) -> Result<String, String> {
        serde_json::to_string_pretty(&self.json_value(sc, records)?).map_err(|e| e.to_string())
    }

    /// Whether the run found something (`tlsim run` then exits 1): with expectations in the
    /// scenario, whether one was not met; without, whether a connection failed.
    pub fn found(&self, sc: &Scenario) -> bool {
        let e = &sc.expect;
        let expects = e.all_ok.is_some()
            || e.mechanisms.is_some()
            || e.min_failures.is_some()
            || e.max_failures.is_some()
            || e.min_resumed.is_some()
            || e.min_resume_refused.is_some()
            || !e.rates.is_empty();
        if expects {
            !self.expectation_failures.is_empty()
        } else {
            self.rows.iter().any(|r| r.failed > 0)
        }
    }

    /// What [`RunReport::json`] prints, as a value (`tlsim run --json` adds its format).
    pub fn json_value(
        &self,
        sc: &Scenario,
        records: &[ConnRecord],
    ) -> Result<serde_json::Value, String> {
        let mut v = serde_json::json!({ "report": self, "connections": records });
        if !sc.overlays.is_empty() {
            v["overlays"] = serde_json::to_value(&sc.overlays).map_err(|e| e.to_string())?;
        }
        Ok(v)
    }

    /// The table as text (what `tlsim run` prints and what snapshots hold).
    pub fn text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "scenario {} (seed {}), {} connections",
            self.scenario, self.seed, self.connections
        );
        // Per client a heading line, then a row per server and channel; under a row with
        // failures, its mechanisms.
        let mut t = table::Table::new(&[
            ("client / server", false),
            ("channel", false),
            ("attempts", true),
            ("full", true),
            ("resumed", true),
            ("refused", true),
            ("failed", true),
        ]);
        let mut client = None;
        for r in &self.rows {
            if client != Some(&r.client) {
                t.line(r.client.clone());
                client = Some(&r.client);
            }
            t.row(vec![
                format!("  {}", r.server),
                r.channel.to_string(),
                r.attempts.to_string(),
                r.ok_full.to_string(),
                r.ok_resumed.to_string(),
                r.ok_resume_refused.to_string(),
                r.failed.to_string(),
            ]);
            let mechs: Vec<String> = r
                .by_mechanism
                .iter()
                .map(|(m, n)| format!("{m} ×{n}"))
                .collect();
            if !mechs.is_empty() {
                t.line(format!("      {}", mechs.join(", ")));
            }
        }
        s.push_str(&t.render(""));
        let seen: Vec<_> = self
            .rows
            .iter()
            .flat_map(|r| r.seen_as.iter().map(move |(m, v)| (r, m, v)))
            .collect();
        if !seen.is_empty() {
            let _ = writeln!(s, "\nhow each side saw the first failure of each kind:");
            for (r, m, [c, sv]) in seen {
                let _ = writeln!(s, "  {m}: {} → {}", r.client, r.server);
                let _ = writeln!(s, "    client: {c}");
                let _ = writeln!(s, "    server: {sv}");
            }
        }
        if let (Some(b), Some(bs)) = (self.bucket_ms, &self.buckets) {
            let _ = writeln!(s, "\nfailures per {} s of simulated time:", b / 1000);
            for (start, a, f) in bs {
                let bar = "#".repeat(
                    usize::try_from(*f).expect("a failure count fits usize: it counts records"),
                );
                let _ = writeln!(
                    s,
                    "  {:>7} s  {:>5} attempts  {:>4} failed  {bar}",
                    start / 1000,
                    a,
                    f
                );
            }
        }
        if self.expectation_failures.is_empty() {
            let _ = writeln!(s, "\nexpectations: met");
        } else {
            let _ = writeln!(s, "\nexpectations NOT met:");
            for e in &self.expectation_failures {
                let _ = writeln!(s, "  - {e}");
            }
        }
        s
    }
}

fn check(e: &Expect, rows: &[Row]) -> Vec<String> {
    let mut out = Vec::new();
    let mut totals = Totals::default();
    for r in rows {
        totals.add(r.attempts, r.failed, &r.by_mechanism);
    }
    let Totals {
        attempts,
        failures: failed,
        by_mechanism: mechs,
    } = totals;
    let resumed: u64 = rows.iter().map(|r| r.ok_resumed).sum();
    let refused: u64 = rows.iter().map(|r| r.ok_resume_refused).sum();
    if e.all_ok == Some(true) && failed > 0 {
        out.push(format!("all_ok: {failed} of {attempts} connections failed"));
    }
    if e.all_ok == Some(false) && failed == 0 {
        out.push("all_ok = false: no connection failed".into());
    }
    if let Some(want) = &e.mechanisms {
        let got: Vec<Mechanism> = mechs.keys().copied().collect();
        let mut w: Vec<Mechanism> = want.clone();
        w.sort();
        if got != w {
            out.push(format!("mechanisms: expected {w:?}, saw {got:?}"));
        }
    }
    if let Some(m) = e.min_failures {
        if failed < m {
            out.push(format!("min_failures: {failed} < {m}"));
        }
    }
    if let Some(m) = e.max_failures {
        if failed > m {
            out.push(format!("max_failures: {failed} > {m}"));
        }
    }
    if let Some(m) = e.min_resumed {
        if resumed < m {
            out.push(format!("min_resumed: {resumed} < {m}"));
        }
    }
    if let Some(m) = e.min_resume_refused {
        if refused < m {
            out.push(format!("min_resume_refused: {refused} < {m}"));
        }
    }
    for r in &e.rates {
        let n = mechs.get(&r.mechanism).copied().unwrap_or(0);
        let rate = if attempts == 0 {
            0.0
        } else {
            n as f64 / attempts as f64
        };
        if (rate - r.rate).abs() > r.tolerance {
            out.push(format!(
                "rate of {}: {rate:.5} not within {} of {}",
                r.mechanism, r.tolerance, r.rate
            ));
        }
    }
    out
}
