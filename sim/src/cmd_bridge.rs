//! `tlsim bridge connect|serve`: a tlsim profile against a real TLS stack over loopback.

use std::process::ExitCode;
use std::sync::Arc;
use tlsim::bridge::{self, AppScript, BridgeOutcome, Limits, Summary};
use tlsim::engine::RealCrypto;
use tlsim::profile::builtin;

#[derive(clap::Subcommand)]
pub enum BridgeCommand {
    /// A tlsim client profile makes N connections to a real server (e.g. `openssl s_server
    /// -rev`), with real AES-GCM records and RSA signatures, and an application-data round
    /// trip after each handshake.
    Connect(ConnectArgs),
    /// A tlsim server profile accepts N connections from a real client (e.g. `openssl
    /// s_client`) on 127.0.0.1:PORT, with the bundled test certificate (test material only),
    /// and echoes each line it receives.
    Serve(ServeArgs),
}

#[derive(clap::Args)]
pub struct ConnectArgs {
    /// HOST:PORT of the server (loopback only).
    addr: String,
    /// Client profile: a built-in name or a TOML file.
    #[arg(long, default_value = "rfc-strict")]
    profile: String,
    /// Offer only this suite (IANA or OpenSSL name).
    #[arg(long)]
    suite: Option<String>,
    #[arg(long, default_value_t = 1)]
    count: u64,
    /// Keep the session store across connections, so connections 2.. try to resume.
    #[arg(long)]
    resume: bool,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Send an HTTP/1.0 GET and read until the server closes (for `s_server -www`, whose
    /// page shows OpenSSL's view of the session, EMS included), instead of a line.
    #[arg(long)]
    http: bool,
    /// Print one JSON object per connection, then a summary object.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Port on 127.0.0.1.
    port: u16,
    /// Server profile: a built-in name or a TOML file.
    #[arg(long, default_value = "rfc-strict")]
    profile: String,
    #[arg(long, default_value_t = 1)]
    count: u64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long)]
    json: bool,
}

fn print(o: &BridgeOutcome, json: bool) {
    if json {
        println!("{}", serde_json::to_string(o).expect("outcome serialises"));
        return;
    }
    println!(
        "connection {}: {} ({}), {} {}, EMS {}{}",
        o.index + 1,
        o.outcome,
        o.handshake,
        o.version.as_deref().unwrap_or("-"),
        o.suite.as_deref().unwrap_or("-"),
        if o.ems { "yes" } else { "no" },
        o.mechanism
            .as_deref()
            .map(|m| format!(", mechanism {m}, alert {:?}", o.alert))
            .unwrap_or_default()
    );
    println!("  {}", o.explanation);
}

fn summarise(v: &[BridgeOutcome], json: bool) -> ExitCode {
    let s = Summary::from_outcomes(v);
    if json {
        println!("{}", serde_json::json!({ "summary": s }));
    } else {
        println!(
            "summary: {} attempts, {} ok, {} failed, {} resumed; by mechanism {:?}; by alert received {:?}",
            s.attempts, s.ok, s.failures, s.resumed, s.by_mechanism, s.by_alert_received
        );
    }
    if s.failures == 0 && s.attempts > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

pub fn run(cmd: BridgeCommand) -> Result<ExitCode, String> {
    let limits = Limits::default();
    match cmd {
        BridgeCommand::Connect(a) => {
            let mut p = builtin::load(&a.profile)?;
            if let Some(name) = &a.suite {
                let info = tlsim::wire::suite_by_name(name)
                    .ok_or_else(|| format!("unknown cipher suite {name:?}"))?;
                p.client_suites = vec![info.suite];
            }
            let script = if a.http {
                AppScript {
                    send: b"GET / HTTP/1.0\r\n\r\n".to_vec(),
                    read_until_close: true,
                }
            } else {
                AppScript::default()
            };
            let json = a.json;
            let opts = bridge::ConnectOptions {
                count: a.count,
                resume: a.resume,
                seed: a.seed,
                script,
                limits,
            };
            let v = bridge::connect(&a.addr, p, &opts, |o| print(o, json))?;
            Ok(summarise(&v, json))
        }
        BridgeCommand::Serve(a) => {
            let p = builtin::load(&a.profile)?;
            let json = a.json;
            let v = bridge::serve(
                a.port,
                p,
                Arc::new(RealCrypto::test_server()),
                a.count,
                a.seed,
                &limits,
                |o| print(o, json),
            )?;
            Ok(summarise(&v, json))
        }
    }
}
