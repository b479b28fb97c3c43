//! `tlsim study` as one call: check the outputs, open the scenario with its overlays, plan
//! it, run the study and its what-ifs in their state directories, then write the shard file,
//! the plots and the HTML report asked for. [`StudyCommand::run`] returns the report to
//! print; notes and progress go to a [`Progress`].

use super::{
    merge, replay_needs, Outputs, Plan, PlanOptions, Progress, ReportFormat, ShardFile, ShardSpec,
    StateDir, StudyError, StudyHeader, WhatIf, MAX_THREADS,
};
use crate::report::output;
use crate::scenario::{open_with_overlays, OverlayFiles};
use std::path::{Path, PathBuf};

/// The threads a study uses by default: one per core, at most [`MAX_THREADS`].
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_THREADS))
}

/// A `tlsim study` command line.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct StudyCommand {
    pub scenario: PathBuf,
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 20_000))]
    pub connections: u64,
    #[cfg_attr(feature = "cli", arg(long))]
    pub seed: Option<u64>,
    #[cfg_attr(feature = "cli", arg(long, default_value_t = default_threads(),
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1024)))]
    pub threads: usize,
    /// Set by the command from `--json` and `--csv`.
    #[cfg_attr(feature = "cli", arg(skip))]
    pub format: ReportFormat,
    /// Where the report (or, with `shard`, the shard results) goes instead of the output.
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE"))]
    pub out: Option<PathBuf>,
    /// `--shard i/n`, as given.
    #[cfg_attr(feature = "cli", arg(long, value_name = "i/n"))]
    pub shard: Option<String>,
    #[cfg_attr(feature = "cli", arg(long))]
    pub resume: bool,
    #[cfg_attr(feature = "cli", arg(long, value_name = "DIR"))]
    pub state_dir: Option<PathBuf>,
    #[cfg_attr(feature = "cli", arg(long, num_args = 1.., value_name = "VARIANT"))]
    pub compare: Vec<String>,
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE.svg"))]
    pub plot: Option<PathBuf>,
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE"))]
    pub html: Option<PathBuf>,
    #[cfg_attr(feature = "cli", command(flatten))]
    pub overlays: OverlayFiles,
    /// The command line, shown in the HTML report (set by the command).
    #[cfg_attr(feature = "cli", arg(skip))]
    pub command_line: String,
}

/// What a study command leaves to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudyDone {
    /// The report in the command's format, unless it went to `out`.
    pub output: Option<String>,
    /// Whether the study found failures.
    pub found: bool,
}

/// Open a state directory, with a note when it was recovered from a killed process.
fn open_state(
    path: &Path,
    header: &StudyHeader,
    flag: &str,
    p: &dyn Progress,
) -> Result<StateDir, String> {
    let dir = StateDir::open(path, header, flag)?;
    if let Some(pid) = dir.recovered_from {
        p.note(&format!(
            "note: {} was left locked by process {pid}, which ended without releasing it \
             (killed?); recovered it",
            path.display()
        ));
    }
    Ok(dir)
}

impl StudyCommand {
    /// Run the command, reporting progress and notes to `p`.
    pub fn run(&self, p: &dyn Progress) -> Result<StudyDone, StudyError> {
        let part: Option<ShardSpec> = match &self.shard {
            Some(s) => Some(s.parse().map_err(|e| format!("--shard {e}"))?),
            None => None,
        };
        let outputs = Outputs {
            part,
            out: self.out.as_deref(),
            plot: self.plot.as_deref(),
            html: self.html.as_deref(),
            compare: &self.compare,
        };
        outputs.check()?;
        let (sc, text) = open_with_overlays(&self.scenario, &self.overlays)?;
        let notes = sc.overlay_notes_text();
        if self.format != ReportFormat::Text || part.is_some() {
            p.note(&notes);
        }
        let options = PlanOptions {
            seed: self.seed,
            connections: self.connections,
            part,
            compare: self.compare.clone(),
            state_dir: self.state_dir.clone(),
        };
        let plan = Plan::new(&sc, &text, &options)?;
        let (study, which) = (&plan.study, &plan.which);
        let flag = match self.state_dir {
            Some(_) => "--state-dir",
            None => "the default state directory",
        };
        let state = open_state(&plan.state_dir, &study.header, flag, p)?;
        let vstates = plan
            .variants
            .iter()
            .map(|(_, v, path)| open_state(path, &v.header, flag, p));
        let vstates = vstates.collect::<Result<Vec<StateDir>, String>>()?;
        let t0 = std::time::Instant::now();
        let (threads, resume) = (self.threads, self.resume);
        let results = study.run_shown(which, threads, Some(&state), resume, p)?;
        if let (Some(part), Some(out)) = (part, &self.out) {
            let file = ShardFile::new(&text, results);
            let json = serde_json::to_string(&file).map_err(|e| e.to_string())?;
            output::write(out, json.as_bytes())?;
            if file.results.is_empty() {
                let shards = study.header.shards;
                p.note(&format!(
                    "note: shard set {part} is empty: the study has only {shards} shards"
                ));
            }
            p.note(&format!(
                "wrote {} shard results to {}",
                file.results.len(),
                out.display()
            ));
            return Ok(StudyDone {
                output: None,
                found: false,
            });
        }
        let report = merge(&results, Some(&sc), study.replay_per_cell)?;
        let mut what_ifs = Vec::new();
        let variants = plan.variants.iter().zip(&plan.variant_notes).zip(&vstates);
        for (((v, vstudy, _), notes), vstate) in variants {
            let vres = vstudy.run_shown(which, threads, Some(vstate), resume, p)?;
            let vrep = merge(&vres, Some(&vstudy.scenario), vstudy.replay_per_cell)?;
            what_ifs.push(WhatIf::new(&report, v, notes.clone(), vrep));
        }
        p.detail(&format!("ran in {:.1} s", t0.elapsed().as_secs_f64()));
        let mut out = report.render(self.format, &what_ifs);
        if self.format == ReportFormat::Text {
            let overlays = !self.overlays.is_empty();
            out.push_str(&replay_needs(&report, &self.scenario, &text, overlays));
            out.push_str(&notes);
        }
        if let Some(path) = &self.plot {
            let svg = crate::report::plot::study_svg(&report, &results)?;
            output::write(path, svg.as_bytes())?;
            p.note(&format!("wrote the plots to {}", path.display()));
        }
        if let Some(path) = &self.html {
            let (desc, cmd) = (&sc.description, &self.command_line);
            let html = crate::report::html::study_html(&report, &results, desc, cmd)?;
            output::write(path, html.as_bytes())?;
            p.note(&format!("wrote the HTML report to {}", path.display()));
        }
        let found = report.found();
        match &self.out {
            Some(path) => {
                output::write(path, out.as_bytes())?;
                Ok(StudyDone {
                    output: None,
                    found,
                })
            }
            None => Ok(StudyDone {
                output: Some(out),
                found,
            }),
        }
    }
}
