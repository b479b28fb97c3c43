//! What a study report shows: its renderings (text, JSON, CSV), the what-if comparison
//! table, and its totals per client → server pair or per mechanism, the one aggregation
//! every view of a report uses.

use super::{CellReport, StudyReport};
use crate::engine::Mechanism;
use std::collections::BTreeMap;

/// The output formats of a study report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// The table `tlsim study` prints.
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
    /// The report in `format`.
    pub fn render(&self, format: ReportFormat) -> String {
        match format {
            ReportFormat::Text => self.text(),
            ReportFormat::Json => self.json() + "\n",
            ReportFormat::Csv => self.csv(),
        }
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

    /// The failure matrix: one line per client → server pair with its rate, 95% interval
    /// and failures by mechanism.
    pub fn pair_matrix(&self) -> String {
        let mut s = format!(
            "{:<32} {:<26} {:>8} {:>7} {:>9} {:>21}  mechanisms\n",
            "client", "server", "attempts", "failed", "rate", "95% CI"
        );
        for ((c, sv), t) in self.totals_by_pair() {
            let (a, f) = (t.attempts, t.failures);
            let ci = super::wilson95(f, a);
            s.push_str(&format!(
                "{c:<32} {sv:<26} {a:>8} {f:>7} {:>9.5} [{:>8.5}, {:>8.5}]  {}\n",
                t.rate(),
                ci[0],
                ci[1],
                t.mechanisms_text()
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

    /// Failure rates per client → server pair of this study and of what-if `name`, side by
    /// side: a heading line, then [`compare_line`] per pair.
    pub fn compare_table(&self, variant: &StudyReport, name: &str) -> String {
        let mut s = format!("\nwhat-if {name}: failure rate per pair, base → {name}\n");
        for (pair, b, v) in self.compare(variant) {
            s.push_str(&compare_line(&pair, &b, &v));
        }
        s
    }

    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a StudyReport serialises")
    }

    pub fn csv(&self) -> String {
        let mut s = String::from("client,server,suite,handshake,attempts,failures,rate,ci95_low,ci95_high,theory,verdict,mechanisms\n");
        for c in &self.cells {
            let mechs: Vec<String> = c
                .by_mechanism
                .iter()
                .map(|(m, n)| format!("{m}={n}"))
                .collect();
            s.push_str(&format!(
                "\"{}\",\"{}\",{},{},{},{},{:.6},{:.6},{:.6},{},{},\"{}\"\n",
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

    pub fn text(&self) -> String {
        let mut s = format!(
            "study {} (seed {}, {} shards), {} connections\n{:<26} {:<24} {:<40} {:<22} {:>8} {:>6} {:>9} {:>21} {:>9}  verdict / mechanisms\n",
            self.scenario, self.seed, self.shards, self.connections, "client", "server", "suite", "handshake", "attempts", "failed", "rate", "95% CI", "theory"
        );
        for c in &self.cells {
            let mechs: Vec<String> = c
                .by_mechanism
                .iter()
                .map(|(m, n)| format!("{m} ×{n}"))
                .collect();
            s.push_str(&format!(
                "{:<26} {:<24} {:<40} {:<22} {:>8} {:>6} {:>9.5} [{:>8.5}, {:>8.5}] {:>9}  {}{}\n",
                c.client,
                c.server,
                c.suite,
                c.handshake,
                c.attempts,
                c.failures,
                c.rate,
                c.ci95[0],
                c.ci95[1],
                c.theory
                    .map(|t| format!("{t:.5}"))
                    .unwrap_or_else(|| "-".into()),
                c.verdict
                    .as_ref()
                    .map(|v| format!("{v}; "))
                    .unwrap_or_default(),
                mechs.join(", ")
            ));
        }
        let ids: Vec<&String> = self
            .cells
            .iter()
            .flat_map(|c| c.replay.iter())
            .take(3)
            .collect();
        if !ids.is_empty() {
            s.push_str("\nreplay a failure: ");
            s.push_str(
                &ids.iter()
                    .map(|i| format!("tlsim replay {i}"))
                    .collect::<Vec<_>>()
                    .join("  |  "),
            );
            s.push('\n');
        }
        s
    }
}

/// One pair of [`StudyReport::compare_table`]: `  client → server  rate (f/a)  →  rate (f/a)`.
pub fn compare_line(pair: &Pair, base: &Totals, variant: &Totals) -> String {
    format!(
        "  {:<28} → {:<26} {:>9.5} ({}/{})  →  {:>9.5} ({}/{})\n",
        pair.0,
        pair.1,
        base.rate(),
        base.failures,
        base.attempts,
        variant.rate(),
        variant.failures,
        variant.attempts
    )
}

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
        let table = base.compare_table(&variant, "no-dhe");
        assert!(table.starts_with("\nwhat-if no-dhe: failure rate per pair, base → no-dhe\n"));
        assert!(table.contains("(6/150)  →    0.00000 (0/150)"), "{table}");
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
