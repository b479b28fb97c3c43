//! What each command prints on stdout, behind one trait: its JSON (the `format` field
//! first, every line ended) or its text (which the command wraps to its width), and whether
//! it found failures (exit status 1). The `tlsim` command picks one of the two by `--json`.

use super::output::{format, versioned};
use super::{demo, ladder, profiles, steps, RunDone};
use crate::bench::BenchReport;
use crate::engine::Run;
use crate::net::ConnRecord;
use crate::profile::catalogue::{self, KnobDiff};
use crate::profile::Resolved;
use crate::study::FlagshipReport;

/// A command's result as it is printed.
pub trait Printed {
    /// The `--json` output exactly as printed: each object with its `format`, each line
    /// ended.
    fn to_json(&self) -> Result<String, String>;
    /// The text output, before the command wraps its long lines.
    fn to_text(&self) -> String;
    /// Whether the run found failures or unmet expectations: exit status 1.
    fn found(&self) -> bool {
        false
    }
    /// Notes for stderr beside the JSON output (the text carries them itself).
    fn notes(&self) -> String {
        String::new()
    }
}

/// `value` with its format as one line of output ([`versioned`], newline-ended).
pub(crate) fn line<T: serde::Serialize>(format: &str, value: &T, pretty: bool) -> String {
    versioned(format, value, pretty) + "\n"
}

impl Printed for RunDone {
    fn to_json(&self) -> Result<String, String> {
        Ok(self.json()? + "\n")
    }
    fn to_text(&self) -> String {
        self.text()
    }
    fn found(&self) -> bool {
        RunDone::found(self)
    }
}

/// `tlsim handshake`: its connections (a JSON line each) and the overlays' notes.
pub struct HandshakeShown {
    pub runs: Vec<Run>,
    /// The overlays' notes as a block ([`crate::profile::notes_text`]), empty without any.
    pub notes: String,
    /// The text as message ladders ([`ladder::connection_text`]).
    pub ladder: bool,
}

impl Printed for HandshakeShown {
    fn to_json(&self) -> Result<String, String> {
        let lines = self.runs.iter();
        Ok(lines
            .map(|r| line(format::CONNECTION, &r.outcome, false))
            .collect())
    }
    fn to_text(&self) -> String {
        let mut s = match self.notes.is_empty() {
            true => String::new(),
            false => format!("{}\n", self.notes),
        };
        for (i, run) in self.runs.iter().enumerate() {
            s.push_str(&ladder::connection_text(
                i,
                &run.wire,
                &run.outcome,
                self.ladder,
            ));
        }
        s
    }
    fn found(&self) -> bool {
        !self.runs.iter().all(|r| r.outcome.ok())
    }
    fn notes(&self) -> String {
        self.notes.clone()
    }
}

/// `tlsim replay ID`: the connection, under the id as the user wrote it.
pub struct ReplayShown {
    pub id: String,
    pub record: ConnRecord,
    /// The text as a message ladder ([`ladder::replay_text`]).
    pub ladder: bool,
}

impl Printed for ReplayShown {
    fn to_json(&self) -> Result<String, String> {
        Ok(line(format::CONNECTION, &self.record.outcome, true))
    }
    fn to_text(&self) -> String {
        ladder::replay_text(&self.id, &self.record, self.ladder)
    }
    fn found(&self) -> bool {
        !self.record.outcome.ok()
    }
}

/// `tlsim` with no command: the flagship's report and, in the text, the seconds it took.
pub struct FlagshipShown {
    pub report: FlagshipReport,
    pub seconds: f64,
}

impl Printed for FlagshipShown {
    fn to_json(&self) -> Result<String, String> {
        Ok(self.report.json())
    }
    fn to_text(&self) -> String {
        self.report.text() + &self.report.next_steps(self.seconds)
    }
    /// The flagship finds the failures it is about: exit status 1.
    fn found(&self) -> bool {
        self.report.report.totals().failures > 0
    }
}

impl Printed for BenchReport {
    fn to_json(&self) -> Result<String, String> {
        Ok(line(format::BENCH, &self.json(), true))
    }
    fn to_text(&self) -> String {
        self.text()
    }
}

/// `tlsim profiles`: the catalogue.
pub struct ProfileList;

impl Printed for ProfileList {
    fn to_json(&self) -> Result<String, String> {
        Ok(line(format::PROFILES, &steps::profiles_json(), true))
    }
    fn to_text(&self) -> String {
        profiles::list_text()
    }
}

/// `tlsim profiles show NAME`: a resolved profile ([`profiles::resolve_shown`]).
pub struct ProfileShown(pub Resolved);

impl Printed for ProfileShown {
    fn to_json(&self) -> Result<String, String> {
        Ok(format!("{:#}\n", crate::profile::to_json(&self.0)))
    }
    fn to_text(&self) -> String {
        profiles::show_text(&self.0)
    }
}

/// `tlsim profiles diff A B`: the knobs that differ.
pub struct ProfileDiff {
    pub a: String,
    pub b: String,
    pub knobs: Vec<KnobDiff>,
}

impl ProfileDiff {
    /// Resolve both profiles and compare their knobs.
    pub fn new(a: String, b: String) -> Result<ProfileDiff, String> {
        let (ra, rb) = (catalogue::resolve(&a)?, catalogue::resolve(&b)?);
        let knobs = catalogue::diff(&ra, &rb);
        Ok(ProfileDiff { a, b, knobs })
    }
}

impl Printed for ProfileDiff {
    fn to_json(&self) -> Result<String, String> {
        let v = serde_json::json!({ "a": self.a, "b": self.b, "knobs": self.knobs });
        Ok(line(format::PROFILE_DIFF, &v, true))
    }
    fn to_text(&self) -> String {
        profiles::diff_text(&self.a, &self.b, &self.knobs)
    }
}

/// `tlsim demo`: the list of demos.
pub struct DemoList;

impl Printed for DemoList {
    fn to_json(&self) -> Result<String, String> {
        Ok(line(format::DEMOS, &steps::demos_json(), true))
    }
    fn to_text(&self) -> String {
        demo::list_text()
    }
}
