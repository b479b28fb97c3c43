//! `tlsim demo [NAME] [--no-pause]`: the teaching demos of `tlsim::report::demo`, with a
//! pause between steps when stdin is a terminal and colours when stdout is one (and
//! `NO_COLOR` is unset).

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use tlsim::report::demo::{self, wrap, DemoOptions, Narrator, DEMOS};

#[derive(clap::Args)]
pub struct DemoArgs {
    /// The demo to run; without it, list the demos.
    name: Option<String>,
    /// Do not wait for Enter between steps.
    #[arg(long)]
    no_pause: bool,
    /// Connections of the rate part of dhe-leading-zero.
    #[arg(long, default_value_t = 10_000)]
    connections: u64,
}

struct Terminal {
    pause: bool,
    colour: bool,
}

impl Narrator for Terminal {
    fn heading(&mut self, text: &str) {
        if self.colour {
            println!("\x1b[1;36m== {text} ==\x1b[0m\n");
        } else {
            println!("== {text} ==\n");
        }
    }
    fn say(&mut self, text: &str) {
        println!("{}\n", wrap(text, 92));
    }
    fn block(&mut self, text: &str) {
        if self.colour {
            println!("\x1b[2m{}\x1b[0m\n", text.trim_end());
        } else {
            println!("{}\n", text.trim_end());
        }
    }
    fn pause(&mut self) {
        if self.pause {
            print!("[Enter] ");
            let _ = std::io::stdout().flush();
            let mut line = String::new();
            let _ = std::io::stdin().lock().read_line(&mut line);
        }
    }
}

pub fn run(a: DemoArgs) -> Result<ExitCode, String> {
    let Some(name) = a.name else {
        println!("demos (run one with `tlsim demo NAME`):");
        for (n, d) in DEMOS {
            println!("  {n:<18} {d}");
        }
        return Ok(ExitCode::SUCCESS);
    };
    let mut t = Terminal {
        pause: !a.no_pause && std::io::stdin().is_terminal(),
        colour: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    demo::run(
        &name,
        &mut t,
        DemoOptions {
            connections: a.connections,
        },
    )?;
    Ok(ExitCode::SUCCESS)
}
