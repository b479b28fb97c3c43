//! The `tlsim` command: argument parsing and printing only; everything else is the library.

#![warn(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]

mod cmd_bench;
mod cmd_bridge;
mod cmd_demo;
mod cmd_profiles;
mod cmd_study;
mod overlay_args;

use clap::{Parser, Subcommand};
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use tlsim::engine::Pair;
use tlsim::report::{ladder, pcap};
use tlsim::study::StudyError;

/// mimalloc instead of the system allocator: a study allocates and frees many small buffers
/// per connection, and glibc's malloc/free were about 5 % of a DHE study's time
/// (`perf` on `tlsim study`; see `tlsim bench`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "tlsim",
    version,
    about = "Deterministic network simulator for TLS interoperability testing"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run one TLS connection between a client and a server profile (in memory) and print
    /// the message sequence and the outcome.
    Handshake(HandshakeArgs),
    /// List the profile catalogue; `show NAME` prints every knob with its source, `diff A B`
    /// the knobs that differ.
    Profiles(cmd_profiles::ProfilesArgs),
    /// Run a scenario file on the simulated network and print the outcome table.
    Run(RunArgs),
    /// Monte-Carlo study of a scenario: failure rates per cell with 95% intervals and theory.
    Study(cmd_study::StudyArgs),
    /// Re-run one connection of a study from its replay id.
    Replay(cmd_study::ReplayArgs),
    /// Merge shard result files of a study into its report.
    Merge(cmd_study::MergeArgs),
    /// Benchmark: DHE handshakes per second per core through the study path, the cost split,
    /// and a real OpenSSL handshake loop measured in the same run.
    Bench(cmd_bench::BenchArgs),
    /// Drive a tlsim client or server over loopback TCP against a real TLS stack (OpenSSL).
    #[command(subcommand)]
    Bridge(cmd_bridge::BridgeCommand),
    /// List the teaching demos, or run one step by step (`tlsim demo kb4557473`).
    Demo(cmd_demo::DemoArgs),
}

#[derive(clap::Args)]
struct RunArgs {
    /// The scenario: a file, or the name of a built-in scenario (`tlsim run
    /// m1-dh-premaster-zeros`).
    scenario: std::path::PathBuf,
    /// Seed of the run (default: the scenario's `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Record every connection and write them to FILE as a classic pcap (connection i on
    /// client port 49152+i, 16384 per client address 10.0.0.1, 10.1.1.1, …; servers
    /// 10.0.1.1 on their scenario ports).
    #[arg(long, value_name = "FILE")]
    pcap: Option<std::path::PathBuf>,
    /// Write the NSS key log of every connection whose client derived a master secret.
    #[arg(long, value_name = "FILE")]
    keylog: Option<std::path::PathBuf>,
    #[command(flatten)]
    overlays: overlay_args::OverlayArgs,
}

#[derive(clap::Args)]
struct HandshakeArgs {
    /// Client profile: a catalogue or built-in name (`win2012r2@2019-10-08`) or a TOML file.
    #[arg(long, default_value = "rfc-strict")]
    client_profile: String,
    /// Server profile: a catalogue or built-in name or a TOML file.
    #[arg(long, default_value = "rfc-strict")]
    server_profile: String,
    /// A regedit export (.reg) of the Schannel keys applied over the client profile; what
    /// it cannot model is listed.
    #[arg(long, value_name = "FILE")]
    client_registry: Option<String>,
    /// A regedit export (.reg) of the Schannel keys applied over the server profile.
    #[arg(long, value_name = "FILE")]
    server_registry: Option<String>,
    /// A suite order (Get-TlsCipherSuite names or an OpenSSL cipher string) replacing the
    /// client profile's suites (after --client-registry).
    #[arg(long, value_name = "FILE")]
    client_cipher_order: Option<String>,
    /// A suite order replacing the server profile's suites (after --server-registry).
    #[arg(long, value_name = "FILE")]
    server_cipher_order: Option<String>,
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
    /// Print each connection as a ladder diagram (client | network | server).
    #[arg(long)]
    ladder: bool,
    /// Write the connection(s) to FILE as a classic pcap (Ethernet/IPv4/TCP, client
    /// 10.0.0.1, server 10.0.1.1, timestamps from 2019-10-08 08:00 UTC) for Wireshark.
    #[arg(long, value_name = "FILE")]
    pcap: Option<std::path::PathBuf>,
    /// Server TCP port in the pcap.
    #[arg(long, default_value_t = 443)]
    port: u16,
    /// Write the NSS key log (CLIENT_RANDOM <client random> <master secret>) to FILE.
    /// Simulated-mode records are plaintext plus a real HMAC, not encrypted with the
    /// negotiated cipher, so Wireshark cannot decrypt them with it: the Finished and
    /// later records show as encrypted data. The key log lets you check the master
    /// secrets against another tool.
    #[arg(long, value_name = "FILE")]
    keylog: Option<std::path::PathBuf>,
}

/// `mi_option_purge_delay` in mimalloc.h's `mi_option_e` (v2 and v3; libmimalloc-sys exports
/// no constant for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    // Keep freed memory for reuse instead of returning it to the OS 10 ms later: a study
    // frees each shard's buffers and allocates the next shard's, and re-faulting those pages
    // cost about 2 % of a DHE study (`perf`: clear_page_erms under mi_page_fresh_alloc).
    // SAFETY: sets one option value; mimalloc reads options at each purge decision.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    // Behave like other command-line tools when the reader of a pipe goes away
    // (`tlsim profiles show X | head`): end quietly instead of panicking in println!.
    #[cfg(unix)]
    // SAFETY: restoring the default SIGPIPE disposition before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let result = match Cli::parse().command {
        None => flagship(),
        Some(Command::Handshake(a)) => handshake(a),
        Some(Command::Run(a)) => run(a),
        Some(Command::Study(a)) => cmd_study::study(a),
        Some(Command::Replay(a)) => cmd_study::replay(a),
        Some(Command::Merge(a)) => cmd_study::merge_cmd(a),
        Some(Command::Profiles(a)) => cmd_profiles::run(a).map_err(StudyError::Input),
        Some(Command::Bridge(c)) => cmd_bridge::run(c).map_err(StudyError::Input),
        Some(Command::Bench(a)) => cmd_bench::run(a),
        Some(Command::Demo(a)) => cmd_demo::run(a).map_err(StudyError::Input),
    };
    match result {
        Ok(code) => code,
        Err(StudyError::Input(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        // A panic inside a shard: distinct from 2, bad input.
        Err(bug) => {
            eprintln!(
                "error: {bug}\nNo report was written. This is a bug in tlsim: please report it \
                 with the scenario file and the command line."
            );
            ExitCode::from(3)
        }
    }
}

/// The threads a study uses by default: one per core.
fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The progress bar of study runs, drawn on stderr when it is a terminal (quiet when
/// stderr is a pipe or a file).
struct Bar(std::sync::Mutex<indicatif::ProgressBar>);

impl Default for Bar {
    fn default() -> Bar {
        Bar(std::sync::Mutex::new(indicatif::ProgressBar::hidden()))
    }
}

impl tlsim::study::Progress for Bar {
    fn start(&self, shards: u64, label: &str) {
        if std::io::stderr().is_terminal() {
            let template = "{prefix} [{bar:40}] {pos}/{len} shards, {elapsed} elapsed, ~{eta} left";
            let style =
                indicatif::ProgressStyle::with_template(template).expect("a valid template");
            let pb = indicatif::ProgressBar::new(shards).with_prefix(label.to_string());
            *self.0.lock().unwrap_or_else(|e| e.into_inner()) =
                pb.with_style(style.progress_chars("=> "));
        }
    }
    fn advance(&self, shards: u64) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).inc(shards);
    }
    fn finish(&self) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .finish_and_clear();
    }
}

/// `tlsim` with no arguments: the flagship study (`tlsim::study::flagship`).
fn flagship() -> Result<ExitCode, StudyError> {
    let t0 = std::time::Instant::now();
    let f = tlsim::study::Flagship::new()?;
    print!("{}", f.intro(threads()));
    let r = f.run(threads(), &Bar::default())?;
    print!("{}{}", r.text(), r.next_steps(t0.elapsed().as_secs_f64()));
    Ok(ExitCode::SUCCESS)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

fn run(a: RunArgs) -> Result<ExitCode, StudyError> {
    let (sc, _) = tlsim::scenario::open_with_overlays(&a.scenario, &a.overlays.files())?;
    let mut fleet = sc.fleet.clone();
    fleet.seed = a.seed.unwrap_or(fleet.seed);
    fleet.record = a.pcap.is_some() || a.keylog.is_some();
    let records = tlsim::net::run_fleet(&fleet)?;
    if let Some(path) = &a.pcap {
        write_file(path, &pcap::capture_fleet(&fleet, &records))?;
        let n = records.len();
        eprintln!("wrote {n} connection(s) to {}", path.display());
    }
    if let Some(path) = &a.keylog {
        write_file(path, pcap::keylog_records(&records).as_bytes())?;
        eprintln!("wrote the key log to {}", path.display());
    }
    let report = tlsim::report::RunReport::build(&sc, &records);
    if a.json {
        println!("{}", report.json(&sc, &records)?);
    } else {
        print!("{}{}", report.text(), sc.overlay_notes_text());
    }
    Ok(ExitCode::from(u8::from(
        !report.expectation_failures.is_empty(),
    )))
}

fn handshake(a: HandshakeArgs) -> Result<ExitCode, StudyError> {
    let (client, server, notes) = tlsim::profile::PairSetup {
        client: a.client_profile,
        server: a.server_profile,
        client_registry: a.client_registry,
        client_cipher_order: a.client_cipher_order,
        server_registry: a.server_registry,
        server_cipher_order: a.server_cipher_order,
        suite: a.suite,
    }
    .resolve()?;
    let mut pair = Pair::new(client, server, a.seed);
    let mut runs = vec![pair.connect()];
    if a.resume {
        runs.push(pair.connect());
    }
    if let Some(path) = &a.pcap {
        write_file(path, &pcap::capture(&runs, a.port))?;
        eprintln!(
            "wrote {} connection(s) to {} (simulated mode: records after ChangeCipherSpec are plaintext + HMAC, shown by Wireshark as encrypted data)",
            runs.len(),
            path.display()
        );
    }
    if let Some(path) = &a.keylog {
        write_file(path, pcap::keylog_runs(&runs).as_bytes())?;
        eprintln!(
            "wrote the key log to {} (Wireshark cannot decrypt simulated-mode records with it: they are not encrypted, only MAC-protected)",
            path.display()
        );
    }
    // Beside JSON lines on stdout, the notes go to stderr.
    let notes = tlsim::profile::notes_text(&notes);
    if a.json {
        eprint!("{notes}");
    } else if !notes.is_empty() {
        println!("{notes}");
    }
    for (i, run) in runs.iter().enumerate() {
        if a.json {
            let json = serde_json::to_string(&run.outcome).map_err(|e| e.to_string())?;
            println!("{json}");
        } else {
            print!(
                "{}",
                ladder::connection_text(i, &run.wire, &run.outcome, a.ladder)
            );
        }
    }
    Ok(ExitCode::from(u8::from(
        !runs.iter().all(|r| r.outcome.ok()),
    )))
}
