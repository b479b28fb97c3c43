//! What every command shares: `--json`, `-q`, `-v`, `--color`, where text, JSON and notes
//! go, the exit status, and the progress bar of studies.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use tlsim::report::printed::Printed;
use tlsim::study::{ReportFormat, StudyError};
use tlsim::text::HelpTable;

/// No line of text output is wider than this (prose is wrapped, tables are built to fit).
const WIDTH: usize = 100;

/// The options every command takes, before or after its name.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct UiArgs {
    /// Print the results as JSON instead of text; its "format" field names the output and
    /// its version (docs/json.md, docs/schema/).
    #[arg(long, global = true, display_order = 900)]
    pub json: bool,
    /// Print only the results: no progress bar, notes or "wrote FILE" lines on stderr.
    #[arg(
        short,
        long,
        global = true,
        conflicts_with = "verbose",
        display_order = 901
    )]
    pub quiet: bool,
    /// Say more on stderr: what runs, on how many threads, and how long it took.
    #[arg(short, long, global = true, display_order = 902)]
    pub verbose: bool,
    /// Colour on terminals: auto (when the output is a terminal and NO_COLOR is unset),
    /// always, or never.
    #[arg(
        long,
        global = true,
        value_name = "WHEN",
        default_value = "auto",
        display_order = 903
    )]
    pub color: clap::ColorChoice,
}

static UI: OnceLock<UiArgs> = OnceLock::new();

pub fn init(a: UiArgs) {
    let _ = UI.set(a);
}

fn get() -> &'static UiArgs {
    UI.get_or_init(UiArgs::default)
}

/// Whether results are printed as JSON.
pub fn json() -> bool {
    get().json
}

/// Whether stdout gets colour: `--color`, else a terminal and no `NO_COLOR`.
pub fn colour() -> bool {
    match get().color {
        clap::ColorChoice::Always => true,
        clap::ColorChoice::Never => false,
        clap::ColorChoice::Auto => {
            std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    }
}

/// `text` in bold (and `red` for failures) when colour is on.
pub fn paint(text: &str, red: bool) -> String {
    match (colour(), red) {
        (false, _) => text.to_string(),
        (true, false) => format!("\x1b[1m{text}\x1b[0m"),
        (true, true) => format!("\x1b[1;31m{text}\x1b[0m"),
    }
}

/// Text results on stdout, long lines wrapped to [`WIDTH`].
pub fn text(s: &str) {
    print!("{}", tlsim::report::table::fit(s, WIDTH));
}

/// A note on stderr (not with `-q`).
pub fn note(s: &str) {
    if !get().quiet && !s.is_empty() {
        eprint!("{}", tlsim::report::table::fit(s.trim_start(), WIDTH));
        if !s.ends_with('\n') {
            eprintln!();
        }
    }
}

/// A detail on stderr with `-v` only.
pub fn detail(s: &str) {
    if get().verbose {
        eprintln!("{s}");
    }
}

/// Exit status 0 when the run found nothing wrong, 1 when it found failures.
pub fn found(failures: bool) -> ExitCode {
    ExitCode::from(u8::from(failures))
}

/// A command's result on stdout, as JSON with `--json` (its notes on stderr), else as text;
/// and the exit status it makes.
pub fn print(r: &impl Printed) -> Result<ExitCode, StudyError> {
    if json() {
        note(&r.notes());
        print!("{}", r.to_json()?);
    } else {
        text(&r.to_text());
    }
    Ok(found(r.found()))
}

/// A study report in its format: text wrapped like all text, JSON and CSV as they are.
pub fn report(format: ReportFormat, out: &str) {
    match format {
        ReportFormat::Text => text(out),
        _ => print!("{out}"),
    }
}

/// The exit status of a command's result: 2 for bad input, 70 for a bug.
pub fn exit(result: Result<ExitCode, StudyError>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(StudyError::Input(e)) => {
            eprintln!("{}: {e}", paint("error", true));
            ExitCode::from(2)
        }
        Err(bug) => {
            eprintln!(
                "error: {bug}\nNo report was written. This is a bug in tlsim: please report it \
                 with the scenario file and the command line."
            );
            ExitCode::from(BUG)
        }
    }
}

/// The exit status of a bug (a panic), as sysexits.h's EX_SOFTWARE.
pub const BUG: u8 = 70;

/// A panic prints one line saying it is a bug and what to report; `main` exits with [`BUG`].
pub fn panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        eprintln!(
            "tlsim bug: {info}\nThis is a bug in tlsim (exit status {BUG}): please report it \
             with the command line and the scenario or profile files it used."
        );
    }));
}

/// The progress bar of study runs: connections done of the total and the failures so far,
/// on stderr when it is a terminal (never with `-q`; stdout stays clean for `--json`).
#[derive(Default)]
pub struct Bar {
    pb: Mutex<Option<indicatif::ProgressBar>>,
    failures: AtomicU64,
}

impl tlsim::study::Progress for Bar {
    fn start(&self, shards: u64, connections: u64, label: &str) {
        detail(&format!(
            "{label}: {shards} shards, {connections} connections"
        ));
        self.failures.store(0, Ordering::Relaxed);
        if get().quiet || !std::io::stderr().is_terminal() {
            return;
        }
        let template = "{prefix} [{bar:30}] {pos}/{len} connections, {msg} failed, ~{eta} left";
        let Ok(style) = indicatif::ProgressStyle::with_template(template) else {
            return;
        };
        let pb = indicatif::ProgressBar::new(connections)
            .with_prefix(label.to_string())
            .with_message("0")
            .with_style(style.progress_chars("=> "));
        *self.pb.lock().unwrap_or_else(|e| e.into_inner()) = Some(pb);
    }
    fn advance(&self, connections: u64, failures: u64) {
        let f = self.failures.fetch_add(failures, Ordering::Relaxed) + failures;
        if let Some(pb) = &*self.pb.lock().unwrap_or_else(|e| e.into_inner()) {
            pb.inc(connections);
            pb.set_message(f.to_string());
        }
    }
    fn finish(&self) {
        if let Some(pb) = self.pb.lock().unwrap_or_else(|e| e.into_inner()).take() {
            pb.finish_and_clear();
        }
    }
    fn note(&self, text: &str) {
        note(text);
    }
    fn detail(&self, text: &str) {
        detail(text);
    }
}

/// `cmd` with the descriptions and option help of help/flags.txt, at every level.
pub fn with_help(cmd: clap::Command) -> clap::Command {
    fn apply(cmd: clap::Command, path: &str, t: &HelpTable) -> clap::Command {
        cmd.mut_args(|a| match t.option(path, a.get_id().as_str()) {
            // `--registry` and `--cipher-order` over a scenario's peers: --help says how
            // PEER= selects them.
            Some(text) if a.get_value_names().is_some_and(|v| v[0] == "[PEER=]FILE") => {
                a.help(text.to_string()).long_help(format!(
                    "{text} {}",
                    include_str!("../help/overlay_peers.txt")
                ))
            }
            Some(text) => a.help(text.to_string()),
            None => a,
        })
        .mut_subcommands(|s| {
            let (p, about) = t.subcommand(path, s.get_name());
            let s = match about {
                Some(about) => s.about(about.to_string()),
                None => s,
            };
            apply(s, &p, t)
        })
    }
    let table = HelpTable::new(include_str!("../help/flags.txt"));
    apply(cmd.max_term_width(100), "", &table)
}
