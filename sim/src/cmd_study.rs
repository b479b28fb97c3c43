//! `tlsim study`, `tlsim replay` and `tlsim merge`: their options and what they print;
//! sizing, running, merging and replaying are `tlsim::study`'s.

use crate::args::{Capture, OverlayArgs};
use crate::ui;
use std::path::PathBuf;
use std::process::ExitCode;
use tlsim::report::printed::ReplayShown;
use tlsim::report::ReplayCommand;
use tlsim::study::{merge_files, ReplayId, ReportFormat, StudyCommand, StudyError, MAX_THREADS};

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
    let command_line = std::iter::once("tlsim".to_string()).chain(std::env::args().skip(1));
    let format = ReportFormat::from_flags(ui::json(), a.csv);
    let done = StudyCommand {
        scenario: a.scenario,
        connections: a.connections,
        seed: a.seed,
        threads: a.threads,
        format,
        out: a.out,
        shard: a.shard,
        resume: a.resume,
        state_dir: a.state_dir,
        compare: a.compare,
        plot: a.plot,
        html: a.html,
        overlays: a.overlays.files(),
        command_line: command_line.collect::<Vec<_>>().join(" "),
    }
    .run(&ui::Bar::default())?;
    if let Some(out) = done.output {
        ui::report(format, &out);
    }
    Ok(ui::found(done.found))
}

pub fn merge_cmd(a: MergeArgs) -> Result<ExitCode, StudyError> {
    let report = merge_files(&a.files, a.scenario.as_deref(), &a.overlays.files())?;
    let format = ReportFormat::from_flags(ui::json(), a.csv);
    ui::report(format, &report.render(format, &[]));
    Ok(ui::found(report.found()))
}

pub fn replay(a: ReplayArgs) -> Result<ExitCode, StudyError> {
    let record = ReplayCommand {
        id: a.id.parse::<ReplayId>()?,
        scenario: a.scenario,
        overlays: a.overlays.files(),
        port: a.port,
        capture: a.capture.files(),
    }
    .run(&ui::Bar::default())?;
    ui::print(&ReplayShown {
        id: a.id,
        record,
        ladder: a.ladder,
    })
}
