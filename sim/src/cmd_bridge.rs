//! `tlsim bridge connect|serve`: a tlsim profile against a real TLS stack over loopback.

use crate::ui;
use std::process::ExitCode;
use std::time::Duration;
use tlsim::bridge::{
    BridgeEvent, BridgeProfile, ConnectCommand, ServeCommand, DEFAULT_MAX_CONNECTIONS,
};
use tlsim::report::bridge;
use tlsim::study::StudyError;

#[derive(clap::Subcommand)]
pub enum BridgeCommand {
    #[command(after_help = concat!(include_str!("../help/bridge.txt"), include_str!("../help/exit.txt")))]
    Connect(ConnectArgs),
    #[command(after_help = concat!(include_str!("../help/bridge.txt"), include_str!("../help/exit.txt")))]
    Serve(ServeArgs),
}

#[derive(clap::Args)]
pub struct ConnectArgs {
    addr: String,
    #[arg(
        long,
        alias = "profile",
        default_value = "rfc-strict",
        value_name = "NAME|FILE"
    )]
    client_profile: String,
    #[arg(long)]
    suite: Option<String>,
    #[arg(long, default_value_t = 1)]
    count: u64,
    #[arg(long)]
    resume: bool,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long)]
    http: bool,
    #[arg(long, value_name = "FILE")]
    keylog: Option<std::path::PathBuf>,
    #[arg(long, value_name = "FILE")]
    pcap: Option<std::path::PathBuf>,
    #[command(flatten)]
    overlays: BridgeOverlays,
}

/// `--registry` and `--cipher-order` over the bridge's one profile.
#[derive(clap::Args)]
pub struct BridgeOverlays {
    #[arg(long, value_name = "FILE")]
    registry: Option<String>,
    #[arg(long, value_name = "FILE")]
    cipher_order: Option<String>,
}

impl BridgeOverlays {
    fn over(&self, spec: &str) -> BridgeProfile {
        BridgeProfile {
            spec: spec.to_string(),
            registry: self.registry.clone(),
            cipher_order: self.cipher_order.clone(),
        }
    }
}

#[derive(clap::Args)]
pub struct ServeArgs {
    port: u16,
    #[arg(
        long,
        alias = "profile",
        default_value = "rfc-strict",
        value_name = "NAME|FILE"
    )]
    server_profile: String,
    #[arg(long)]
    count: Option<u64>,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long, default_value_t = DEFAULT_MAX_CONNECTIONS)]
    max_connections: usize,
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = tlsim::text::seconds)]
    handshake_timeout: Duration,
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = tlsim::text::seconds)]
    timeout: Duration,
    #[arg(long, value_name = "SECS", value_parser = tlsim::text::seconds)]
    idle_exit: Option<Duration>,
    #[arg(long, value_name = "FILE")]
    keylog: Option<std::path::PathBuf>,
    #[arg(long, value_name = "FILE")]
    pcap: Option<std::path::PathBuf>,
    #[command(flatten)]
    overlays: BridgeOverlays,
}

/// An event of the run: its stderr lines, then its stdout (`tlsim::report::bridge`).
fn show(e: BridgeEvent) {
    eprint!("{}", bridge::event_stderr(&e));
    // An event's JSON is of fields it always has: printing it cannot fail.
    let _ = ui::print(&e);
}

pub fn run(cmd: BridgeCommand) -> Result<ExitCode, StudyError> {
    match cmd {
        BridgeCommand::Connect(a) => {
            let c = ConnectCommand {
                addr: a.addr,
                profile: a.overlays.over(&a.client_profile),
                suite: a.suite,
                count: a.count,
                resume: a.resume,
                seed: a.seed,
                http: a.http,
                keylog: a.keylog,
                pcap: a.pcap,
            };
            ui::print(&c.run(&mut show)?)
        }
        BridgeCommand::Serve(a) => {
            let c = ServeCommand {
                port: a.port,
                profile: a.overlays.over(&a.server_profile),
                count: a.count,
                seed: a.seed,
                max_connections: a.max_connections,
                handshake_timeout: a.handshake_timeout,
                timeout: a.timeout,
                idle_exit: a.idle_exit,
                keylog: a.keylog,
                pcap: a.pcap,
            };
            ui::print(&c.run(&mut show)?)
        }
    }
}
