//! `tlsim bridge connect|serve`: a tlsim profile against a real TLS stack over loopback.

use crate::ui;
use std::process::ExitCode;
use tlsim::bridge::{BridgeEvent, ConnectCommand, ServeCommand};
use tlsim::report::bridge;
use tlsim::study::StudyError;

#[derive(clap::Subcommand)]
pub enum BridgeCommand {
    #[command(after_help = after_help!("bridge"))]
    Connect(ConnectCommand),
    #[command(after_help = after_help!("bridge"))]
    Serve(ServeCommand),
}

/// An event of the run: its stderr lines, then its stdout (`tlsim::report::bridge`).
fn show(e: BridgeEvent) {
    eprint!("{}", bridge::event_stderr(&e));
    // An event's JSON is of fields it always has: printing it cannot fail.
    let _ = ui::print(&e);
}

pub fn run(cmd: BridgeCommand) -> Result<ExitCode, StudyError> {
    match cmd {
        BridgeCommand::Connect(c) => ui::print(&c.run(&mut show)?),
        BridgeCommand::Serve(c) => ui::print(&c.run(&mut show)?),
    }
}
