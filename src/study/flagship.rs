//! The flagship study, what `tlsim` with no arguments runs: the built-in October 2019
//! fleet as [`SHARDS`] shards, its failure matrix per client → server pair, each mechanism
//! explained from a replayed failure in an administrator's words, and Microsoft's two
//! workarounds as what-ifs on the same seeds. [`Flagship::run`] returns the numbers,
//! [`FlagshipReport::text`] renders them.

use super::{
    merge, replay_id, variant_with_notes, Progress, ReplayId, Study, StudyError, StudyReport,
    WhatIf,
};
use crate::engine::Mechanism;
use crate::report::table;
use crate::scenario::Scenario;
use serde::Serialize;

/// The built-in scenario of the flagship study.
pub(super) const NAME: &str = "october-2019-fleet";
/// The version of `tlsim --json` (docs/json.md).
pub const FLAGSHIP_FORMAT: &str = "tlsim-flagship/1";
/// Shards of the flagship study (each one run of the scenario's workload).
pub(super) const SHARDS: u32 = 24;
/// Microsoft's workarounds, as what-if variants ([`super::variant`]).
pub(super) const WHAT_IFS: [&str; 2] = ["no-dhe", "ems-on"];

/// The flagship study, ready to run.
#[derive(Debug, Clone)]
pub struct Flagship {
    pub scenario: Scenario,
    pub study: Study,
    text: &'static str,
}

/// A mechanism of the flagship study, explained from its first replayed failure.
#[derive(Debug, Clone, Serialize)]
pub struct Explained {
    pub mechanism: Mechanism,
    /// Its failures in the whole study.
    pub failures: u64,
    pub replay_id: String,
    /// The outcome's explanation, then how the client and the server saw it.
    pub explanation: String,
    pub views: [String; 2],
}

/// What the flagship study found.
#[derive(Debug, Clone, Serialize)]
pub struct FlagshipReport {
    pub report: StudyReport,
    /// The mechanisms, most failures first (then by name).
    pub explained: Vec<Explained>,
    pub what_ifs: Vec<WhatIf>,
}

impl Flagship {
    /// The built-in scenario, never a file of the current directory, with its own seed
    /// (20191008), as `tlsim study` and `tlsim run` use it.
    pub fn new() -> Result<Flagship, String> {
        let text = crate::scenario::builtin(NAME).ok_or("the flagship scenario is built in")?;
        let sc = Scenario::parse(text, &format!("built-in:{NAME}"), NAME, None)
            .map_err(|e| e.to_string())?;
        let study = Study::new(sc.clone(), text, sc.fleet.seed, SHARDS);
        Ok(Flagship {
            scenario: sc,
            study,
            text,
        })
    }

    /// What is about to run, printed before it runs.
    pub fn intro(&self, threads: usize) -> String {
        format!(
            "tlsim — the October 2019 fleet (embedded flagship study)\n{}\n\nRunning {SHARDS} \
             shards × {} connections on {threads} thread(s), seed {}…\n",
            self.scenario.description.trim(),
            self.study.per_shard(),
            self.study.header.seed
        )
    }

    /// Run the study, replay the first failure of each mechanism, then run the what-ifs.
    /// A few seconds of work: nothing to resume, so no state directory.
    pub fn run(
        &self,
        threads: usize,
        progress: &dyn Progress,
    ) -> Result<FlagshipReport, StudyError> {
        let all: Vec<u32> = (0..SHARDS).collect();
        let results = self.study.run_shown(&all, threads, None, false, progress)?;
        let report = merge(&results, Some(&self.scenario), 5)?;
        let mut top: Vec<(Mechanism, u64)> = report.totals().by_mechanism.into_iter().collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut explained = Vec::new();
        for (mechanism, failures) in top {
            let Some(id) = report.first_replay(mechanism) else {
                continue;
            };
            let rec = replay_id(&self.study, &id.parse::<ReplayId>()?)?;
            explained.push(Explained {
                mechanism,
                failures,
                replay_id: id.to_string(),
                views: crate::report::explain::both_views(&rec),
                explanation: rec.outcome.explanation,
            });
        }
        let mut what_ifs = Vec::new();
        for name in WHAT_IFS {
            let (vs, notes) = variant_with_notes(&self.scenario, name)?;
            let text = format!("{}{name}", self.text);
            let vstudy = Study::new(vs.clone(), &text, self.study.header.seed, SHARDS);
            let vres = vstudy.run_shown(&all, threads, None, false, progress)?;
            let vrep = merge(&vres, Some(&vs), 5)?;
            what_ifs.push(WhatIf::new(&report, name, notes, vrep));
        }
        Ok(FlagshipReport {
            report,
            explained,
            what_ifs,
        })
    }
}

impl FlagshipReport {
    /// The failure matrix, the cells with a theoretical rate, the explained mechanisms and
    /// the what-ifs (only the pairs whose failures change).
    pub fn text(&self) -> String {
        let r = &self.report;
        let mut s = format!(
            "\nFailure matrix ({} connections):\n{}\n",
            r.connections,
            r.pair_matrix()
        );
        let with_theory: Vec<_> = r
            .cells
            .iter()
            .filter(|c| c.theory.is_some_and(|t| t > 0.0))
            .collect();
        let pairs = r.totals_by_pair();
        if !with_theory.is_empty() {
            s.push_str("Cells with a theoretical rate (computed from the DH prime):\n");
            for c in with_theory {
                s.push_str(&format!(
                    "  {} → {} ({}, {})\n    {} of {} failed: {} (95% CI {}); theory {}, {}\n",
                    c.client,
                    c.server,
                    c.suite,
                    c.handshake,
                    c.failures,
                    c.attempts,
                    table::percent(c.rate),
                    table::interval(c.ci95),
                    table::rate_of(c.theory.unwrap_or(0.0)),
                    c.verdict.as_deref().unwrap_or("-")
                ));
                let all = pairs
                    .get(&(c.client.clone(), c.server.clone()))
                    .map_or(c.attempts, |t| t.attempts);
                if all > c.attempts {
                    s.push_str(&format!(
                        "    the pair's other {} attempts were resumed or not DHE: the theory is \
                         of full DHE handshakes\n",
                        all - c.attempts
                    ));
                }
            }
        }
        s.push_str("\nWhat failed, in the words an administrator sees:\n");
        for e in &self.explained {
            s.push_str(&format!(
                "  {} ({} failures): {}\n    client: {}\n    server: {}\n",
                e.mechanism, e.failures, e.explanation, e.views[0], e.views[1]
            ));
        }
        s.push_str("\nMicrosoft's workarounds, as what-ifs on the same seeds:\n");
        for w in &self.what_ifs {
            s.push_str(&w.text("  "));
        }
        s
    }

    /// The report as JSON (`tlsim --json`): `format`, the study's report, the explained
    /// mechanisms and the what-ifs.
    pub fn json(&self) -> String {
        #[derive(Serialize)]
        struct J<'a> {
            format: &'static str,
            #[serde(flatten)]
            r: &'a FlagshipReport,
        }
        let j = J {
            format: FLAGSHIP_FORMAT,
            r: self,
        };
        serde_json::to_string_pretty(&j).expect("a FlagshipReport serialises") + "\n"
    }

    /// The closing lines: the time the run took and what to try next.
    pub fn next_steps(&self, elapsed_secs: f64) -> String {
        let id = self
            .explained
            .first()
            .map_or("ID", |e| e.replay_id.as_str());
        format!(
            "\nFinished in {elapsed_secs:.1} s. Next:\n  tlsim demo                 step-by-step \
             demos\n  tlsim replay {id} --ladder\n                             one failure, \
             message by message\n  tlsim study october-2019-fleet --connections 100000\n  \
             tlsim profiles             the profile catalogue\n  tlsim --help\n"
        )
    }
}
