//! `tlsim study`, `tlsim replay` and `tlsim merge`: their options and what they print;
//! sizing, running, merging and replaying are `tlsim::study`'s.

use crate::args::{Capture, OverlayArgs};
use crate::ui;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tlsim::report::output::{self, format, versioned};
use tlsim::scenario::open_with_overlays;
use tlsim::study::{
    merge, merge_files, replay_from, replay_needs, Outputs, Plan, PlanOptions, ReplayId,
    ReportFormat, ShardFile, ShardSpec, StateDir, StudyError, StudyHeader, WhatIf, MAX_THREADS,
};

#[derive(clap::Args)]
pub struct StudyArgs {
    pub scenario: PathBuf,
    #[arg(long, default_value_t = 20_000)]
    pub connections: u64,
    #[arg(long)]
    pub seed: Option<u64>,
    #[arg(long, default_value_t = crate::threads().min(MAX_THREADS), value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1024))]
    pub threads: usize,
    #[arg(long, conflicts_with = "json")]
    pub csv: bool,
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[arg(long, value_name = "i/n")]
    pub shard: Option<String>,
    #[arg(long)]
    pub resume: bool,
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    #[arg(long, num_args = 1.., value_name = "VARIANT")]
    pub compare: Vec<String>,
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    #[command(flatten)]
    pub overlays: OverlayArgs,
}

/// Open a state directory, saying so when it was recovered from a killed process.
fn open_state(path: &Path, header: &StudyHeader, flag: &str) -> Result<StateDir, String> {
    let dir = StateDir::open(path, header, flag)?;
    if let Some(pid) = dir.recovered_from {
        ui::note(&format!(
            "note: {} was left locked by process {pid}, which ended without releasing it \
             (killed?); recovered it",
            path.display()
        ));
    }
    Ok(dir)
}

#[derive(clap::Args)]
pub struct MergeArgs {
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    #[arg(long, conflicts_with = "json")]
    pub csv: bool,
    #[command(flatten)]
    pub overlays: OverlayArgs,
}

#[derive(clap::Args)]
pub struct ReplayArgs {
    pub id: String,
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    #[arg(long)]
    pub ladder: bool,
    #[arg(long, default_value_t = 443)]
    pub port: u16,
    #[command(flatten)]
    pub capture: Capture,
    #[command(flatten)]
    pub overlays: OverlayArgs,
}

pub fn study(a: StudyArgs) -> Result<ExitCode, StudyError> {
    let part: Option<ShardSpec> = match &a.shard {
        Some(s) => Some(s.parse().map_err(|e| format!("--shard {e}"))?),
        None => None,
    };
    let outputs = Outputs {
        part,
        out: a.out.as_deref(),
        plot: a.plot.as_deref(),
        html: a.html.as_deref(),
        compare: &a.compare,
    };
    outputs.check()?;
    let (sc, text) = open_with_overlays(&a.scenario, &a.overlays.files())?;
    let notes = sc.overlay_notes_text();
    let format = ReportFormat::from_flags(ui::json(), a.csv);
    if format != ReportFormat::Text || part.is_some() {
        ui::note(&notes);
    }
    let options = PlanOptions {
        seed: a.seed,
        connections: a.connections,
        part,
        compare: a.compare.clone(),
        state_dir: a.state_dir.clone(),
    };
    let plan = Plan::new(&sc, &text, &options)?;
    let (study, which) = (&plan.study, &plan.which);
    let flag = match a.state_dir {
        Some(_) => "--state-dir",
        None => "the default state directory",
    };
    let state = open_state(&plan.state_dir, &study.header, flag)?;
    let vstates = plan
        .variants
        .iter()
        .map(|(_, v, p)| open_state(p, &v.header, flag));
    let vstates = vstates.collect::<Result<Vec<StateDir>, String>>()?;
    let t0 = std::time::Instant::now();
    let bar = ui::Bar::default();
    let results = study.run_shown(which, a.threads, Some(&state), a.resume, &bar)?;
    if let (Some(part), Some(out)) = (part, &a.out) {
        let file = ShardFile::new(&text, results);
        let json = serde_json::to_string(&file).map_err(|e| e.to_string())?;
        output::write(out, json.as_bytes())?;
        if file.results.is_empty() {
            let shards = study.header.shards;
            ui::note(&format!(
                "note: shard set {part} is empty: the study has only {shards} shards"
            ));
        }
        ui::note(&format!(
            "wrote {} shard results to {}",
            file.results.len(),
            out.display()
        ));
        return Ok(ExitCode::SUCCESS);
    }
    let report = merge(&results, Some(&sc), study.replay_per_cell)?;
    let mut what_ifs = Vec::new();
    let variants = plan.variants.iter().zip(&plan.variant_notes).zip(&vstates);
    for (((v, vstudy, _), notes), vstate) in variants {
        let vres = vstudy.run_shown(which, a.threads, Some(vstate), a.resume, &bar)?;
        let vrep = merge(&vres, Some(&vstudy.scenario), vstudy.replay_per_cell)?;
        what_ifs.push(WhatIf::new(&report, v, notes.clone(), vrep));
    }
    ui::detail(&format!("ran in {:.1} s", t0.elapsed().as_secs_f64()));
    let mut out = report.render(format, &what_ifs);
    if format == ReportFormat::Text {
        let overlays = !a.overlays.files().is_empty();
        out.push_str(&replay_needs(&report, &a.scenario, &text, overlays));
        out.push_str(&notes);
    }
    if let Some(path) = &a.plot {
        let svg = tlsim::report::plot::study_svg(&report, &results)?;
        output::write(path, svg.as_bytes())?;
        ui::note(&format!("wrote the plots to {}", path.display()));
    }
    if let Some(path) = &a.html {
        let command = std::iter::once("tlsim".to_string())
            .chain(std::env::args().skip(1))
            .collect::<Vec<_>>()
            .join(" ");
        let html = tlsim::report::html::study_html(&report, &results, &sc.description, &command)?;
        output::write(path, html.as_bytes())?;
        ui::note(&format!("wrote the HTML report to {}", path.display()));
    }
    match &a.out {
        Some(path) => output::write(path, out.as_bytes())?,
        None if format == ReportFormat::Text => ui::text(&out),
        None => print!("{out}"),
    }
    Ok(ui::found(report.found()))
}

pub fn merge_cmd(a: MergeArgs) -> Result<ExitCode, StudyError> {
    let report = merge_files(&a.files, a.scenario.as_deref(), &a.overlays.files())?;
    let format = ReportFormat::from_flags(ui::json(), a.csv);
    let out = report.render(format, &[]);
    match format {
        ReportFormat::Text => ui::text(&out),
        _ => print!("{out}"),
    }
    Ok(ui::found(report.found()))
}

pub fn replay(a: ReplayArgs) -> Result<ExitCode, StudyError> {
    let id: ReplayId = a.id.parse::<ReplayId>()?;
    a.capture.check()?;
    let rec = replay_from(&id, a.scenario.as_deref(), &a.overlays.files())?;
    let one = std::slice::from_ref(&rec);
    a.capture.write(
        || tlsim::report::pcap::capture_records(one, |_| a.port),
        || tlsim::report::pcap::keylog_records(one),
    )?;
    if ui::json() {
        println!("{}", versioned(format::CONNECTION, &rec.outcome, true));
    } else {
        ui::text(&tlsim::report::ladder::replay_text(&a.id, &rec, a.ladder));
    }
    Ok(ui::found(!rec.outcome.ok()))
}
