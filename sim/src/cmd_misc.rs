//! `tlsim profiles`, `tlsim bench` and `tlsim demo`: their options and what they print;
//! resolution, measurement and the demos' steps are the library's.

use crate::ui;
use clap::{Args, Subcommand};
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use tlsim::bench::{Bench, BenchOptions};
use tlsim::report::demo::{self, DemoOptions};
use tlsim::report::output::{format, versioned};
use tlsim::report::printed::{DemoList, ProfileDiff, ProfileList, ProfileShown};
use tlsim::report::{profiles, steps};
use tlsim::study::StudyError;

#[derive(Args)]
pub struct ProfilesArgs {
    #[command(subcommand)]
    command: Option<ProfilesCommand>,
}

#[derive(Subcommand)]
enum ProfilesCommand {
    #[command(after_help = after_help!("profiles"))]
    Show {
        name: String,
        #[arg(long, value_name = "FILE")]
        registry: Option<String>,
        #[arg(long, value_name = "FILE")]
        cipher_order: Option<String>,
    },
    #[command(after_help = after_help!("profiles"))]
    Diff { a: String, b: String },
}

pub fn profiles(args: ProfilesArgs) -> Result<ExitCode, StudyError> {
    match args.command {
        None => ui::print(&ProfileList),
        Some(ProfilesCommand::Show {
            name,
            registry,
            cipher_order,
        }) => {
            let r = profiles::resolve_shown(&name, registry.as_deref(), cipher_order.as_deref())?;
            ui::print(&ProfileShown(r))
        }
        Some(ProfilesCommand::Diff { a, b }) => ui::print(&ProfileDiff::new(a, b)?),
    }
}

pub fn bench(opts: BenchOptions) -> Result<ExitCode, StudyError> {
    let bench = Bench::new(opts)?;
    if !ui::json() {
        ui::text(&bench.intro());
    }
    ui::print(&bench.run()?)
}

#[derive(Args)]
pub struct DemoArgs {
    name: Option<String>,
    #[arg(long)]
    no_pause: bool,
    #[command(flatten)]
    opts: DemoOptions,
}

/// At the end of a demo step on a terminal: wait for Enter.
fn wait_for_enter() {
    print!("[Enter] ");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
}

pub fn demo(a: DemoArgs) -> Result<ExitCode, StudyError> {
    let opts = a.opts;
    match (a.name, ui::json()) {
        (None, _) => return ui::print(&DemoList),
        (Some(name), true) => {
            let v = steps::demo_json(&name, opts)?;
            println!("{}", versioned(format::DEMO, &v, true));
        }
        (Some(name), false) => {
            let pause = !a.no_pause && std::io::stdin().is_terminal();
            let mut t = demo::Terminal {
                colour: ui::colour(),
                out: |s: &str| print!("{s}"),
                pause: || {
                    if pause {
                        wait_for_enter()
                    }
                },
            };
            demo::run(&name, &mut t, opts)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
