//! What a study report shows: its renderings (text, JSON, CSV), the what-if comparison
//! table, and its totals per client → server pair or per mechanism, the one aggregation
//! every view of a report uses.

use super::{CellReport, StudyReport};
use crate::engine::{HandshakeKind, Mechanism};
use crate::report::table::{self, Table};
use serde::Serialize;
use std::collections::BTreeMap;

/// The output formats of a study report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReportFormat {
    /// The table `tlsim study` prints.
    #[default]
    Text,
    /// Pretty-printed JSON of the whole report, with a final newline.
    Json,
    /// One row per cell.
    Csv,
}

impl ReportFormat {
    /// JSON, CSV or (neither) text, from the command's two flags.
    pub fn from_flags(json: bool, csv: bool) -> ReportFormat {
        match (json, csv) {
            (true, _) => ReportFormat::Json,
            (false, true) => ReportFormat::Csv,
            (false, false) => ReportFormat::Text,
        }
    }
}

/// Attempts, failures and failures by mechanism of a group of cells (or of run rows).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub attempts: u64,
    pub failures: u64,
    pub by_mechanism: BTreeMap<Mechanism, u64>,
}

impl Totals {
    /// Add one cell's (or row's) counts, saturating.
    pub fn add(&mut self, attempts: u64, failures: u64, by_mechanism: &BTreeMap<Mechanism, u64>) {
        self.attempts = self.attempts.saturating_add(attempts);
        self.failures = self.failures.saturating_add(failures);
        for (m, n) in by_mechanism {
            let e = self.by_mechanism.entry(*m).or_default();
            *e = e.saturating_add(*n);
        }
    }

    /// Add one shard's counts of a cell, refusing an overflow: `Err` names what overflowed
    /// (`attempts`, `failures` or `mechanism counts`), and `self` is then partly updated.
    pub fn checked_add(
        &mut self,
        attempts: u64,
        failures: u64,
        by_mechanism: &BTreeMap<Mechanism, u64>,
    ) -> Result<(), &'static str> {
        self.attempts = self.attempts.checked_add(attempts).ok_or("attempts")?;
        self.failures = self.failures.checked_add(failures).ok_or("failures")?;
        for (m, n) in by_mechanism {
            let e = self.by_mechanism.entry(*m).or_default();
            *e = e.checked_add(*n).ok_or("mechanism counts")?;
        }
        Ok(())
    }

    fn add_cell(&mut self, c: &CellReport) {
        self.add(c.attempts, c.failures, &c.by_mechanism);
    }

    /// failures / attempts (0 without attempts).
    pub fn rate(&self) -> f64 {
        if self.attempts == 0 {
            0.0
        } else {
            self.failures as f64 / self.attempts as f64
        }
    }

    /// `mechanism ×n, …`, or `-` without failures.
    fn mechanisms_text(&self) -> String {
        if self.by_mechanism.is_empty() {
            return "-".into();
        }
        let v: Vec<String> = self
            .by_mechanism
            .iter()
            .map(|(m, n)| format!("{m} ×{n}"))
            .collect();
        v.join(", ")
    }
}

/// A client → server pair of a report.
pub type Pair = (String, String);

impl StudyReport {
    /// The report and its what-ifs in `format`.
    pub fn render(&self, format: ReportFormat, what_ifs: &[WhatIf]) -> String {
        match format {
            ReportFormat::Text => {
                let mut s = self.text();
                for w in what_ifs {
                    s.push('\n');
                    s.push_str(&w.text(""));
                }
                s
            }
            ReportFormat::Json => {
                let j = StudyJson {
                    format: STUDY_FORMAT,
                    report: self,
                    what_ifs,
                };
                serde_json::to_string_pretty(&j).expect("a StudyReport serialises") + "\n"
            }
            ReportFormat::Csv => {
                let mut s = self.csv("");
                for w in what_ifs {
                    let rows = w.report.csv(&w.name);
                    s.push_str(rows.split_once('\n').map_or("", |(_, r)| r));
                }
                s
            }
        }
    }

    /// Whether the study found something: a failure, or a count inconsistent with its
    /// theory (`tlsim study` then exits 1).
    pub fn found(&self) -> bool {
        self.totals().failures > 0
            || self
                .cells
                .iter()
                .any(|c| c.verdict.as_deref() == Some("inconsistent"))
    }

    /// The whole study's totals.
    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        self.cells.iter().for_each(|c| t.add_cell(c));
        t
    }

    /// Totals per client → server pair, in name order.
    pub fn totals_by_pair(&self) -> BTreeMap<Pair, Totals> {
        let mut m: BTreeMap<Pair, Totals> = BTreeMap::new();
        for c in &self.cells {
            m.entry((c.client.clone(), c.server.clone()))
                .or_default()
                .add_cell(c);
        }
        m
    }

    /// The replay id of the first failure (in cell order) of `mechanism`.
    pub fn first_replay(&self, mechanism: Mechanism) -> Option<&str> {
        self.cells
            .iter()
            .filter(|c| c.by_mechanism.contains_key(&mechanism))
            .find_map(|c| c.replay.first())
            .map(String::as_str)
    }

    /// Attempts per handshake kind (full, resumed, resume-refused) of each client → server
    /// pair, FTPS channels included.
    pub fn kinds_by_pair(&self) -> BTreeMap<Pair, [u64; 3]> {
        let mut m: BTreeMap<Pair, [u64; 3]> = BTreeMap::new();
        for c in &self.cells {
            let e = m.entry((c.client.clone(), c.server.clone())).or_default();
            let k = &mut e[kind_index(c.handshake.handshake)];
            *k = k.saturating_add(c.attempts);
        }
        m
    }

    /// The failure matrix: per client, a line per server with its attempts by handshake kind,
    /// failures and rate; under a pair with failures, its 95% interval and mechanisms; then
    /// the resumptions the servers refused, each an extra full handshake.
    pub fn pair_matrix(&self) -> String {
        let mut t = Table::new(&[
            ("client / server", false),
            ("attempts", true),
            ("full", true),
            ("resumed", true),
            ("refused", true),
            ("failed", true),
            ("rate", false),
        ]);
        let kinds = self.kinds_by_pair();
        let mut client = None;
        let mut all = [0u64; 3];
        for ((c, sv), tot) in self.totals_by_pair() {
            if client.as_ref() != Some(&c) {
                t.line(c.clone());
                client = Some(c.clone());
            }
            let k = kinds
                .get(&(c.clone(), sv.clone()))
                .copied()
                .unwrap_or_default();
            for (a, n) in all.iter_mut().zip(k) {
                *a = a.saturating_add(n);
            }
            let (a, f) = (tot.attempts, tot.failures);
            let mut row = vec![format!("  {sv}"), a.to_string()];
            row.extend(k.iter().map(u64::to_string));
            row.extend([f.to_string(), table::rate(f, a)]);
            t.row(row);
            if f > 0 {
                t.line(format!(
                    "      95% CI {}; {}",
                    table::interval(super::wilson95(f, a)),
                    tot.mechanisms_text()
                ));
            }
        }
        let mut s = t.render("");
        let [_, resumed, refused] = all;
        if resumed.saturating_add(refused) > 0 {
            s.push_str(&format!(
                "refused: resumptions the server refused, each done as a full handshake instead \
                 (the extra CPU KB4517389 notes): {refused} of {} resumption attempts ({})\n",
                resumed.saturating_add(refused),
                table::percent(refused as f64 / resumed.saturating_add(refused) as f64)
            ));
        }
        s
    }

    /// Per client → server pair, this report's and `variant`'s failures: (pair, base,
    /// variant), in name order (a pair the variant lacks counts zero there).
    pub fn compare(&self, variant: &StudyReport) -> Vec<(Pair, Totals, Totals)> {
        let mut v = variant.totals_by_pair();
        self.totals_by_pair()
            .into_iter()
            .map(|(k, b)| {
                let t = v.remove(&k).unwrap_or_default();
                (k, b, t)
            })
            .collect()
    }

    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a StudyReport serialises")
    }

    /// One row per cell; the last column names the what-if the row is of (empty for the
    /// study itself).
    pub fn csv(&self, what_if: &str) -> String {
        let mut s = String::from("client,server,suite,handshake,attempts,failures,rate,ci95_low,ci95_high,theory,verdict,mechanisms,what_if\n");
        for c in &self.cells {
            let mechs: Vec<String> = c
                .by_mechanism
                .iter()
                .map(|(m, n)| format!("{m}={n}"))
                .collect();
            s.push_str(&format!(
                "\"{}\",\"{}\",{},{},{},{},{:.6},{:.6},{:.6},{},{},\"{}\",{what_if}\n",
                c.client,
                c.server,
                c.suite,
                c.handshake,
                c.attempts,
                c.failures,
                c.rate,
                c.ci95[0],
                c.ci95[1],
                c.theory.map(|t| format!("{t:.6}")).unwrap_or_default(),
                c.verdict.clone().unwrap_or_default(),
                mechs.join(";")
            ));
        }
        s
    }

    /// The cells as a table grouped by client → server and suite: per handshake kind its
    /// attempts, failures, rate with its 95% interval and the theoretical rate; under a cell
    /// with failures or a theory, the verdict and mechanisms; then up to three replay commands.
    pub fn text(&self) -> String {
        let mut s = format!(
            "study {} (seed {}, {} shards), {} connections\n",
            self.scenario, self.seed, self.shards, self.connections
        );
        let theory = self.cells.iter().any(|c| c.theory.is_some());
        let mut cols = vec![
            ("handshake", false),
            ("attempts", true),
            ("failed", true),
            ("rate", false),
            ("95% CI", false),
        ];
        if theory {
            cols.push(("theory", false));
        }
        let mut t = Table::new(&cols);
        let mut group = None;
        for c in &self.cells {
            let g = (&c.client, &c.server, &c.suite);
            if group != Some(g) {
                t.line(format!("{} → {}, {}", c.client, c.server, c.suite));
                group = Some(g);
            }
            let mut row = vec![
                format!("  {}", c.handshake),
                c.attempts.to_string(),
                c.failures.to_string(),
                table::rate(c.failures, c.attempts),
                table::interval(c.ci95),
            ];
            if theory {
                row.push(c.theory.map_or_else(|| "-".into(), table::rate_of));
            }
            t.row(row);
            let mechs: Vec<String> = c
                .by_mechanism
                .iter()
                .map(|(m, n)| format!("{m} ×{n}"))
                .collect();
            let verdict = c.verdict.as_ref().map(|v| format!("{v} with the theory"));
            let note: Vec<String> = verdict.into_iter().chain(mechs).collect();
            if !note.is_empty() {
                t.line(format!("      {}", note.join("; ")));
            }
        }
        s.push_str(&t.render(""));
        let ids: Vec<&String> = self
            .cells
            .iter()
            .flat_map(|c| c.replay.iter())
            .take(3)
            .collect();
        if !ids.is_empty() {
            s.push_str("\nreplay a failure:\n");
            for i in ids {
                s.push_str(&format!("  tlsim replay {i}\n"));
            }
        }
        s
    }
}

/// The index of a handshake kind in [`StudyReport::kinds_by_pair`]'s counts.
fn kind_index(k: HandshakeKind) -> usize {
    match k {
        HandshakeKind::Full => 0,
        HandshakeKind::Resumed => 1,
        HandshakeKind::ResumeRefused => 2,
    }
}

/// A count of failures in attempts: "13 of 3000 (0.43 %)", "0 of 3000".
fn counts_text(t: &Totals) -> String {
    if t.failures == 0 {
        format!("0 of {}", t.attempts)
    } else {
        format!(
            "{} of {} ({})",
            t.failures,
            t.attempts,
            table::percent(t.rate())
        )
    }
}

/// Attempts and failures of a client → server pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub attempts: u64,
    pub failures: u64,
}

/// A client → server pair whose failures a what-if changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PairChange {
    pub client: String,
    pub server: String,
    pub base: Counts,
    pub what_if: Counts,
}

/// A what-if beside a study: the same seeds and shards with one change on every peer.
#[derive(Debug, Clone, Serialize)]
pub struct WhatIf {
    /// The variant's name (`no-dhe`).
    pub name: String,
    /// What it changes.
    pub what: String,
    /// What it had to decide beyond its rule ([`super::variant_with_notes`]).
    pub notes: Vec<String>,
    /// Failures of the study, and of the what-if.
    pub base_failures: u64,
    pub failures: u64,
    /// The pairs whose failures changed, in name order.
    pub changed: Vec<PairChange>,
    /// How many pairs did not change (not listed).
    pub unchanged: usize,
    /// The what-if's whole report.
    pub report: StudyReport,
}

impl WhatIf {
    /// What-if `name` of `base`, whose report is `report`.
    pub fn new(base: &StudyReport, name: &str, notes: Vec<String>, report: StudyReport) -> Self {
        let rows = base.compare(&report);
        let total = rows.len();
        let counts = |t: &Totals| Counts {
            attempts: t.attempts,
            failures: t.failures,
        };
        let changed: Vec<PairChange> = rows
            .into_iter()
            .filter(|(_, b, v)| b.failures != v.failures || b.attempts != v.attempts)
            .map(|((client, server), b, v)| PairChange {
                client,
                server,
                base: counts(&b),
                what_if: counts(&v),
            })
            .collect();
        WhatIf {
            name: name.to_string(),
            what: super::variant_what(name).to_string(),
            notes,
            base_failures: base.totals().failures,
            failures: report.totals().failures,
            unchanged: total - changed.len(),
            changed,
            report,
        }
    }

    /// The heading, the notes, then a table of the pairs whose failures changed (each line
    /// indented by `indent`), and how many did not.
    pub fn text(&self, indent: &str) -> String {
        let mut s = format!(
            "{indent}what-if {} ({}): {} failures → {}\n",
            self.name, self.what, self.base_failures, self.failures
        );
        for n in &self.notes {
            s.push_str(&format!("{indent}  note: {n}\n"));
        }
        let mut t = Table::new(&[
            ("client", false),
            ("server", false),
            ("base", true),
            ("", false),
            (self.name.as_str(), true),
        ]);
        for p in &self.changed {
            let (b, v) = (&p.base, &p.what_if);
            let tot = |c: &Counts| Totals {
                attempts: c.attempts,
                failures: c.failures,
                ..Totals::default()
            };
            t.row(vec![
                p.client.clone(),
                p.server.clone(),
                counts_text(&tot(b)),
                "→".into(),
                counts_text(&tot(v)),
            ]);
        }
        if t.is_empty() {
            s.push_str(&format!("{indent}  no pair's failures changed\n"));
        } else {
            s.push_str(&t.render(&format!("{indent}  ")));
        }
        if self.unchanged > 0 && !self.changed.is_empty() {
            let pairs = if self.unchanged == 1 { "pair" } else { "pairs" };
            s.push_str(&format!(
                "{indent}  ({} other {pairs} unchanged, not shown)\n",
                self.unchanged
            ));
        }
        s
    }
}

/// A study report with its what-ifs, as `tlsim study --json` prints it: `format` first,
/// the report's fields, then `what_ifs` when there are any.
#[derive(Serialize)]
struct StudyJson<'a> {
    format: &'static str,
    #[serde(flatten)]
    report: &'a StudyReport,
    #[serde(skip_serializing_if = "<[WhatIf]>::is_empty")]
    what_ifs: &'a [WhatIf],
}

/// The version of `tlsim study --json` and `tlsim merge --json` (docs/json.md).
pub const STUDY_FORMAT: &str = "tlsim-study/1";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::study::wilson95;

    fn cell(
        client: &str,
        attempts: u64,
        mechs: &[(Mechanism, u64)],
        replay: &[&str],
    ) -> CellReport {
        let by_mechanism: BTreeMap<Mechanism, u64> = mechs.iter().copied().collect();
        let failures = by_mechanism.values().sum();
        CellReport {
            client: client.into(),
            server: "s".into(),
            suite: "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256".into(),
            handshake: "full".parse().unwrap(),
            attempts,
            successes: attempts - failures,
            failures,
            by_mechanism,
            rate: failures as f64 / attempts as f64,
            ci95: wilson95(failures, attempts),
            theory: None,
            verdict: None,
            replay: replay.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn report(cells: Vec<CellReport>) -> StudyReport {
        StudyReport {
            scenario: "x".into(),
            seed: 1,
            connections: cells.iter().map(|c| c.attempts).sum(),
            shards: 1,
            cells,
        }
    }

    #[test]
    fn totals_by_pair_and_mechanism_and_the_comparison() {
        let (zeros, short) = (Mechanism::DhPremasterZeros, Mechanism::DhShortServerPublic);
        let base = report(vec![
            cell("a", 100, &[(zeros, 2)], &["x:1:1:0:h.0.1"]),
            cell("a", 50, &[(zeros, 1), (short, 3)], &["x:1:1:0:h.0.7"]),
            cell("b", 10, &[], &[]),
        ]);
        let pairs = base.totals_by_pair();
        let a = &pairs[&("a".to_string(), "s".to_string())];
        assert_eq!((a.attempts, a.failures), (150, 6));
        assert_eq!(a.by_mechanism[&zeros], 3);
        assert_eq!(base.totals().failures, 6);
        assert_eq!(base.first_replay(short), Some("x:1:1:0:h.0.7"));
        assert_eq!(base.first_replay(zeros), Some("x:1:1:0:h.0.1"));
        // A pair the variant lacks counts zero there.
        let variant = report(vec![cell("a", 150, &[], &[])]);
        let rows = base.compare(&variant);
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[1].2.attempts, rows[1].2.failures), (0, 0));
        let w = WhatIf::new(&base, "no-dhe", vec!["a note".into()], variant);
        assert_eq!((w.base_failures, w.failures, w.unchanged), (6, 0, 0));
        let table = w.text("");
        assert!(table.starts_with("what-if no-dhe (remove TLS_DHE_* from the clients' suite lists): 6 failures → 0\n  note: a note\n"), "{table}");
        assert!(
            table.contains("a       s       6 of 150 (4.00 %)  →  0 of 150"),
            "{table}"
        );
        let json = base.render(ReportFormat::Json, std::slice::from_ref(&w));
        assert!(
            json.starts_with("{\n  \"format\": \"tlsim-study/1\",\n  \"scenario\""),
            "{json}"
        );
        assert!(json.contains("\"what_ifs\": ["), "{json}");
        let csv = base.render(ReportFormat::Csv, &[w]);
        assert_eq!(
            csv.lines().filter(|l| l.ends_with(",no-dhe")).count(),
            1,
            "{csv}"
        );
        assert!(base
            .pair_matrix()
            .contains("dh-premaster-zeros ×3, dh-short-server-public ×3"));
    }

    #[test]
    fn checked_add_names_the_overflow_and_formats_follow_the_flags() {
        let mut t = Totals::default();
        t.checked_add(u64::MAX, 0, &BTreeMap::new()).unwrap();
        assert_eq!(t.checked_add(1, 0, &BTreeMap::new()), Err("attempts"));
        let mut t = Totals::default();
        let m: BTreeMap<Mechanism, u64> = [(Mechanism::DhPremasterZeros, u64::MAX)].into();
        t.checked_add(1, 1, &m).unwrap();
        assert_eq!(t.checked_add(1, 1, &m), Err("mechanism counts"));
        t.add(u64::MAX, u64::MAX, &m);
        assert_eq!(
            (t.attempts, t.by_mechanism[&Mechanism::DhPremasterZeros]),
            (u64::MAX, u64::MAX)
        );
        assert_eq!(ReportFormat::from_flags(true, true), ReportFormat::Json);
        assert_eq!(ReportFormat::from_flags(false, true), ReportFormat::Csv);
        assert_eq!(ReportFormat::from_flags(false, false), ReportFormat::Text);
    }
}
