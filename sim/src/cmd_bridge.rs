//! `tlsim bridge connect|serve`: a tlsim profile against a real TLS stack over loopback.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tlsim::bridge::{
    self, AppScript, BridgeOutcome, Limits, ServeOptions, Summary, DEFAULT_MAX_CONNECTIONS,
};
use tlsim::engine::RealCrypto;
use tlsim::report::output::{format, versioned};

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
    /// The profile with the overlays applied; their notes go to stderr.
    fn load(&self, spec: &str) -> Result<tlsim::profile::Profile, String> {
        use tlsim::profile::OverlayKind::{CipherOrder, Registry};
        let mut r = tlsim::profile::resolve(spec)?;
        let files = [
            (Registry, self.registry.as_deref()),
            (CipherOrder, self.cipher_order.as_deref()),
        ];
        let notes = tlsim::profile::apply_files(&mut r, &files, "")?;
        eprint!("{}", tlsim::profile::notes_text(&notes));
        Ok(r.profile)
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
    #[command(flatten)]
    overlays: BridgeOverlays,
}

/// With --json, each line is one object: `{"listening": ADDR}` (serve), one per
/// connection, then `{"summary": …}`; each carries the format.
fn print(o: &BridgeOutcome) {
    if crate::ui::json() {
        println!("{}", versioned(format::BRIDGE, o, false));
    } else {
        crate::ui::text(&tlsim::report::bridge::outcome_text(o));
    }
}

fn json_line(v: serde_json::Value) {
    println!("{}", versioned(format::BRIDGE, &v, false));
}

pub fn run(cmd: BridgeCommand) -> Result<ExitCode, String> {
    match cmd {
        BridgeCommand::Connect(a) => {
            if a.count == 0 {
                return Err("--count must be at least 1".into());
            }
            let mut p = a.overlays.load(&a.client_profile)?;
            if let Some(name) = &a.suite {
                p.client_suites = vec![bridge::bridge_suite(name)?.suite];
            }
            let opts = bridge::ConnectOptions {
                count: a.count,
                resume: a.resume,
                seed: a.seed,
                script: if a.http {
                    AppScript::http_get()
                } else {
                    AppScript::default()
                },
                limits: Limits::default(),
            };
            let v = bridge::connect(&a.addr, p, &opts, print)?;
            let s = Summary::from_outcomes(&v);
            if crate::ui::json() {
                json_line(serde_json::json!({ "summary": s }));
            } else {
                crate::ui::text(&tlsim::report::bridge::summary_text(&s));
            }
            Ok(crate::ui::found(s.failures > 0 || s.attempts == 0))
        }
        BridgeCommand::Serve(a) => {
            if a.count == Some(0) {
                return Err("--count must be at least 1".into());
            }
            if a.max_connections == 0 {
                return Err("--max-connections must be at least 1".into());
            }
            let p = a.overlays.load(&a.server_profile)?;
            // Check the profile before binding, so a bad one fails with nothing listening.
            let p = bridge::bridge_profile(p, tlsim::engine::Side::Server)?;
            let opts = ServeOptions {
                count: a.count,
                seed: a.seed,
                limits: Limits {
                    per_connection: a.timeout,
                    handshake: a.handshake_timeout,
                    ..Limits::default()
                },
                max_connections: a.max_connections,
                idle_exit: a.idle_exit,
            };
            let listener = bridge::bind(a.port)?;
            let addr = listener
                .local_addr()
                .map_err(|e| format!("bound address: {e}"))?;
            let stop = bridge::stop_on_signals()?;
            eprintln!("listening on {addr}");
            if crate::ui::json() {
                json_line(serde_json::json!({ "listening": addr.to_string() }));
            }
            let report = bridge::serve_on(
                &listener,
                p,
                Arc::new(RealCrypto::test_server()),
                &opts,
                stop,
                print,
            )?;
            let s = report.summary(a.max_connections);
            if crate::ui::json() {
                json_line(serde_json::json!({ "summary": s }));
            } else {
                crate::ui::text(&tlsim::report::bridge::serve_summary_text(&s));
            }
            Ok(crate::ui::found(s.connections.failures > 0))
        }
    }
}
