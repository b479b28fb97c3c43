//! The `tlsim` command: argument parsing and printing only; everything else is the library.

#![warn(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]

/// A command's examples (help/NAME.txt) followed by the exit statuses every command shares.
macro_rules! after_help {
    ($name:literal) => {
        concat!(
            include_str!(concat!("../help/", $name, ".txt")),
            include_str!("../help/exit.txt")
        )
    };
}

mod cmd_bridge;
mod cmd_misc;
mod cmd_study;
mod ui;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::process::ExitCode;
use tlsim::report::printed::{FlagshipShown, HandshakeShown};
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
    about = "Deterministic network simulator for TLS interoperability testing. Without a \
             command: the flagship study (the October 2019 fleet).",
    after_help = after_help!("tlsim")
)]
struct Cli {
    #[command(flatten)]
    ui: ui::UiArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    #[command(after_help = after_help!("handshake"))]
    Handshake(HandshakeArgs),
    #[command(after_help = after_help!("profiles"))]
    Profiles(cmd_misc::ProfilesArgs),
    #[command(after_help = after_help!("run"))]
    Run(tlsim::report::RunCommand),
    #[command(after_help = after_help!("study"))]
    Study(cmd_study::StudyArgs),
    #[command(after_help = after_help!("replay"))]
    Replay(cmd_study::ReplayArgs),
    #[command(after_help = after_help!("merge"))]
    Merge(cmd_study::MergeArgs),
    #[command(after_help = after_help!("bench"))]
    Bench(tlsim::bench::BenchOptions),
    #[command(subcommand, after_help = after_help!("bridge"))]
    Bridge(cmd_bridge::BridgeCommand),
    #[command(after_help = after_help!("demo"))]
    Demo(cmd_misc::DemoArgs),
}

/// `tlsim handshake`: the library's command and how to draw it.
#[derive(clap::Args)]
struct HandshakeArgs {
    #[command(flatten)]
    command: tlsim::report::HandshakeCommand,
    #[arg(long)]
    ladder: bool,
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
    ui::panic_hook();
    let matches = ui::with_help(Cli::command()).get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    ui::init(cli.ui);
    let run = std::panic::catch_unwind(|| {
        ui::exit(match cli.command {
            None => flagship(),
            Some(Command::Handshake(a)) => handshake(a),
            Some(Command::Run(c)) => c.run(&ui::Bar::default()).and_then(|r| ui::print(&r)),
            Some(Command::Study(a)) => cmd_study::study(a),
            Some(Command::Replay(a)) => cmd_study::replay(a),
            Some(Command::Merge(a)) => cmd_study::merge_cmd(a),
            Some(Command::Profiles(a)) => cmd_misc::profiles(a),
            Some(Command::Bridge(c)) => cmd_bridge::run(c),
            Some(Command::Bench(o)) => cmd_misc::bench(o),
            Some(Command::Demo(a)) => cmd_misc::demo(a),
        })
    });
    run.unwrap_or(ExitCode::from(ui::BUG))
}

/// `tlsim` with no arguments: the flagship study (`tlsim::study::flagship`). It exits 1: it
/// finds the failures it is about.
fn flagship() -> Result<ExitCode, StudyError> {
    let t0 = std::time::Instant::now();
    let f = tlsim::study::Flagship::new()?;
    let threads = tlsim::study::default_threads();
    if !ui::json() {
        ui::text(&f.intro(threads));
    }
    let report = f.run(threads, &ui::Bar::default())?;
    let seconds = t0.elapsed().as_secs_f64();
    ui::print(&FlagshipShown { report, seconds })
}

fn handshake(a: HandshakeArgs) -> Result<ExitCode, StudyError> {
    let (runs, notes) = a.command.run(&ui::Bar::default())?;
    let ladder = a.ladder;
    ui::print(&HandshakeShown {
        runs,
        notes,
        ladder,
    })
}
