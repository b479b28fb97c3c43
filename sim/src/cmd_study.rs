//! `tlsim study`, `tlsim replay` and `tlsim merge`: their options and what they print;
//! sizing, running, merging and replaying are `tlsim::study`'s.

use crate::ui;
use std::path::PathBuf;
use std::process::ExitCode;
use tlsim::report::output::Capture;
use tlsim::report::printed::ReplayShown;
use tlsim::report::ReplayCommand;
use tlsim::scenario::OverlayFiles;
use tlsim::study::{merge_files, ReplayId, ReportFormat, StudyCommand, StudyError};

/// `tlsim study`: the library's command, and `--csv`.
#[derive(clap::Args)]
pub struct StudyArgs {
    #[command(flatten)]
    command: StudyCommand,
    #[arg(long, conflicts_with = "json")]
    csv: bool,
}

#[derive(clap::Args)]
pub struct MergeArgs {
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    #[arg(long, value_name = "FILE")]
    scenario: Option<PathBuf>,
    #[arg(long, conflicts_with = "json")]
    csv: bool,
    #[command(flatten)]
    overlays: OverlayFiles,
}

/// `tlsim replay`: the id as typed (it is parsed, and printed back, by the command).
#[derive(clap::Args)]
pub struct ReplayArgs {
    id: String,
    #[arg(long, value_name = "FILE")]
    scenario: Option<PathBuf>,
    #[arg(long)]
    ladder: bool,
    #[arg(long, default_value_t = 443)]
    port: u16,
    #[command(flatten)]
    capture: Capture,
    #[command(flatten)]
    overlays: OverlayFiles,
}

pub fn study(a: StudyArgs) -> Result<ExitCode, StudyError> {
    let command_line = std::iter::once("tlsim".to_string()).chain(std::env::args().skip(1));
    let format = ReportFormat::from_flags(ui::json(), a.csv);
    let done = StudyCommand {
        format,
        command_line: command_line.collect::<Vec<_>>().join(" "),
        ..a.command
    }
    .run(&ui::Bar::default())?;
    if let Some(out) = done.output {
        ui::report(format, &out);
    }
    Ok(ui::found(done.found))
}

pub fn merge_cmd(a: MergeArgs) -> Result<ExitCode, StudyError> {
    let report = merge_files(&a.files, a.scenario.as_deref(), &a.overlays)?;
    let format = ReportFormat::from_flags(ui::json(), a.csv);
    ui::report(format, &report.render(format, &[]));
    Ok(ui::found(report.found()))
}

pub fn replay(a: ReplayArgs) -> Result<ExitCode, StudyError> {
    let record = ReplayCommand {
        id: a.id.parse::<ReplayId>()?,
        scenario: a.scenario,
        overlays: a.overlays,
        port: a.port,
        capture: a.capture,
    }
    .run(&ui::Bar::default())?;
    ui::print(&ReplayShown {
        id: a.id,
        record,
        ladder: a.ladder,
    })
}
