//! The `tlsim` command: argument parsing and printing only; everything else is the library.

mod cmd_bridge;

use clap::{Parser, Subcommand};
use std::process::ExitCode;
use tlsim::engine::{Pair, Run};
use tlsim::profile::builtin;

const PLANNED: &str =
    "Planned subcommands (later issues): run SCENARIO, study SCENARIO, replay ID, \
merge FILE..., profiles [show|diff], demo [NAME], bench.";

#[derive(Parser)]
#[command(name = "tlsim", version, about = "Deterministic network simulator for TLS interoperability testing", after_help = PLANNED)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run one TLS connection between a client and a server profile (in memory) and print
    /// the message sequence and the outcome.
    Handshake(HandshakeArgs),
    /// List the built-in profiles.
    Profiles,
    /// Drive a tlsim client or server over loopback TCP against a real TLS stack (OpenSSL).
    #[command(subcommand)]
    Bridge(cmd_bridge::BridgeCommand),
}

#[derive(clap::Args)]
struct HandshakeArgs {
    /// Client profile: a built-in name or a TOML file.
    #[arg(long, default_value = "rfc-strict")]
    client_profile: String,
    /// Server profile: a built-in name or a TOML file.
    #[arg(long, default_value = "rfc-strict")]
    server_profile: String,
    /// Offer only this suite (IANA or OpenSSL name).
    #[arg(long)]
    suite: Option<String>,
    /// Seed for every random choice.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// After the first connection, run a second one that tries to resume its session.
    #[arg(long)]
    resume: bool,
    /// Print one JSON object per connection.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Handshake(a)) => handshake(a),
        Some(Command::Bridge(c)) => cmd_bridge::run(c),
        Some(Command::Profiles) => {
            for (name, summary) in builtin::BUILTIN {
                println!("{name:<26} both    {summary}");
            }
            Ok(ExitCode::SUCCESS)
        }
        None => {
            println!("tlsim: no subcommand given; try `tlsim --help` or `tlsim handshake`.");
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn handshake(a: HandshakeArgs) -> Result<ExitCode, String> {
    let mut client = builtin::load(&a.client_profile)?;
    let server = builtin::load(&a.server_profile)?;
    if let Some(name) = &a.suite {
        let info = tlsim::wire::suite_by_name(name)
            .ok_or_else(|| format!("unknown cipher suite {name:?}"))?;
        client.client_suites = vec![info.suite];
    }
    let mut pair = Pair::new(client, server, a.seed);
    let mut runs = vec![pair.connect()];
    if a.resume {
        runs.push(pair.connect());
    }
    for (i, run) in runs.iter().enumerate() {
        if a.json {
            println!(
                "{}",
                serde_json::to_string(&run.outcome).map_err(|e| e.to_string())?
            );
        } else {
            print_run(i, run);
        }
    }
    let ok = runs.iter().all(|r| r.outcome.ok());
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_run(i: usize, run: &Run) {
    println!("connection {}:", i + 1);
    for w in &run.wire {
        let arrow = match w.from {
            tlsim::engine::Side::Client => "client → server",
            tlsim::engine::Side::Server => "client ← server",
        };
        println!(
            "  {:>5} ms  {arrow}  {:<60} {:>6} bytes",
            w.time_ms,
            w.summary,
            w.bytes.len()
        );
    }
    let o = &run.outcome;
    println!(
        "  outcome: {} ({}), {} {}, EMS {}",
        o.outcome,
        o.handshake,
        o.version.as_deref().unwrap_or("-"),
        o.suite.as_deref().unwrap_or("-"),
        if o.ems { "yes" } else { "no" }
    );
    if let Some(m) = &o.mechanism {
        println!(
            "  mechanism: {m}, detected by the {} at {}, alert {}, close {}",
            o.detected_by.map(|s| s.name()).unwrap_or("-"),
            o.at.as_deref().unwrap_or("-"),
            o.alert
                .map(|a| a.to_string())
                .unwrap_or_else(|| "none".into()),
            o.close.as_deref().unwrap_or("-")
        );
    }
    println!("  {}", o.explanation);
}
