//! `tlsim study`, `tlsim replay` and `tlsim merge`: their options and what they print;
//! sizing, running, merging and replaying are `tlsim::study`'s.

use crate::Bar;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tlsim::report::output;
use tlsim::scenario::open_with_overlays;
use tlsim::study::{
    merge, merge_files, replay_from, replay_needs, Plan, PlanOptions, ReplayId, ReportFormat,
    ShardFile, ShardSpec, StateDir, StudyError, StudyHeader, MAX_THREADS,
};

/// Files and exit codes, shown by `tlsim study --help`.
const STUDY_AFTER_HELP: &str = "\
State directory: finished shards are saved in a directory tlsim creates and marks \
(.tlsim-state, naming the study) and locks while it runs (.tlsim-lock, holding the pid). \
tlsim refuses a directory that exists, is not empty and has no marker, a marked directory \
of another study (scenario, its digest, seed, shards), and a directory another tlsim \
process holds; it never deletes anything it did not write. Without --resume, a run removes \
only its own saved shard files (shard-NNNNNN.json) of the shards it is about to run; with \
--resume it loads them (each one checked) and runs the rest. A lock left by a killed \
process is recovered automatically. The default directory is \
.tlsim-study/<scenario>-<seed>-<shards>-<digest> (with -part-<i>of<n> under --shard); \
--compare variants use <dir>+<variant> beside it.

Limits: at most 1000000 shards (a study keeps every shard's result in memory) and 1024 \
threads (never more threads than shards to run). Output paths (--out, --html, --plot), \
--compare names and --shard are checked before any work; files are written under a \
temporary name and renamed.

Exit status: 0 success; 2 bad input or refused (nothing is run, or the run stops with no \
report); 3 a tlsim bug (a shard panicked: its outcomes are not reported).";

const MERGE_AFTER_HELP: &str = "\
Every file must be a regular file of at most 1 GiB; every shard result is checked (header, \
shard index, failures <= attempts, mechanism counts, replay ids, connections) and the files \
together must hold each shard of one study exactly once: the same scenario (digest of the \
embedded text), seed, shard count and tlsim version. Each file embeds the scenario it ran, so \
merge works in any directory and gives the whole run's report byte for byte, theory and \
verdict included. Exit status: 0 success, 2 bad input.";

#[derive(clap::Args)]
#[command(after_long_help = STUDY_AFTER_HELP)]
pub struct StudyArgs {
    /// The scenario: a file, or the name of a built-in scenario (`tlsim study
    /// october-2019-fleet`; `scenarios/NAME.toml` also names the built-in one where no such
    /// file exists).
    pub scenario: PathBuf,
    /// Connections to run in total (rounded up to whole shards of the scenario's workload;
    /// at most 1000000 shards).
    #[arg(long, default_value_t = 20_000)]
    pub connections: u64,
    /// Study seed (default: the scenario's `seed`): shard i runs with a seed derived from it
    /// and i.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads, 1 to 1024 (never changes a number; never more than the shards to run).
    #[arg(long, default_value_t = default_threads(), value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1024))]
    pub threads: usize,
    /// Print JSON.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print CSV (one row per cell).
    #[arg(long)]
    pub csv: bool,
    /// Write the report (or, with --shard, the shard results) to this file.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Run only shard set i of n (shards whose index ≡ i mod n) and write their results to
    /// --out; merge the files with `tlsim merge`.
    #[arg(long, value_name = "i/n")]
    pub shard: Option<String>,
    /// Continue an interrupted study from its saved shards.
    #[arg(long)]
    pub resume: bool,
    /// Directory where finished shards are saved (default:
    /// .tlsim-study/<scenario>-<seed>-<shards>-<digest>). It must be new, empty, or a
    /// state directory tlsim made for this same study.
    #[arg(long)]
    pub state_dir: Option<PathBuf>,
    /// What-if variants to compare side by side: no-dhe, ems-on, strip-zeros, pad-publics.
    #[arg(long, num_args = 1..)]
    pub compare: Vec<String>,
    /// Write an SVG with (a) the running failure rate of the largest-theory cell and its
    /// 95% band over the connections in shard order and (b) every cell's rate with its interval.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    /// Write a self-contained HTML report (plots, cell table, scenario, seed, command).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    #[command(flatten)]
    pub overlays: crate::overlay_args::OverlayArgs,
}

fn default_threads() -> usize {
    crate::threads().min(MAX_THREADS)
}

/// Open a state directory, saying so when it was recovered from a killed process.
fn open_state(path: &Path, header: &StudyHeader, flag: &str) -> Result<StateDir, String> {
    let dir = StateDir::open(path, header, flag)?;
    if let Some(pid) = dir.recovered_from {
        eprintln!(
            "note: {} was left locked by process {pid}, which ended without releasing it \
             (killed?); recovered it",
            path.display()
        );
    }
    Ok(dir)
}

#[derive(clap::Args)]
#[command(after_long_help = MERGE_AFTER_HELP)]
pub struct MergeArgs {
    /// Shard result files written by `tlsim study --shard i/n --out FILE`.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The scenario file. Not needed: each shard file embeds the scenario it ran (theory and
    /// verdict come from it). If given, it must be that same text (its digest is checked).
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    #[arg(long)]
    pub csv: bool,
    /// The overlays the study ran with (needed for theoretical rates; checked with the
    /// scenario's digest).
    #[command(flatten)]
    pub overlays: crate::overlay_args::OverlayArgs,
}

const REPLAY_AFTER_HELP: &str = "\
The id's numbers are range-checked (seed u64; shards 1 to 1000000; shard below shards; peer \
and index u32) and its scenario must be the scenario file's name. Exit status: 0 success; 2 \
bad input (a malformed id, an id of another scenario, an output that cannot be written); 3 a \
tlsim bug (the shard panicked).";

#[derive(clap::Args)]
#[command(after_long_help = REPLAY_AFTER_HELP)]
pub struct ReplayArgs {
    /// A replay id from a study: scenario:seed:shards:shard:host.peer.index
    pub id: String,
    /// The scenario file (default scenarios/<scenario>.toml); its name must be the id's.
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// Draw the connection as a ladder.
    #[arg(long)]
    pub ladder: bool,
    #[arg(long)]
    pub json: bool,
    /// Write the connection to FILE as a classic pcap (client 10.0.0.1, server 10.0.1.1).
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<PathBuf>,
    /// Server TCP port in the pcap.
    #[arg(long, default_value_t = 443)]
    pub port: u16,
    /// Write the NSS key log line of the connection to FILE.
    #[arg(long, value_name = "FILE")]
    pub keylog: Option<PathBuf>,
    /// The overlays the study ran with (its replay ids name them: +overlays-<digest>).
    #[command(flatten)]
    pub overlays: crate::overlay_args::OverlayArgs,
}

pub fn study(a: StudyArgs) -> Result<ExitCode, StudyError> {
    // Everything that can be refused is refused before any work.
    let part: Option<ShardSpec> = match &a.shard {
        Some(s) => Some(s.parse().map_err(|e| format!("--shard {e}"))?),
        None => None,
    };
    if part.is_some() {
        if a.out.is_none() {
            return Err(
                "--shard i/n writes the shard results to a file: it needs --out FILE \
                        (then combine the files with `tlsim merge`)"
                    .into(),
            );
        }
        for (set, flag) in [
            (a.plot.is_some(), "--plot"),
            (a.html.is_some(), "--html"),
            (!a.compare.is_empty(), "--compare"),
        ] {
            if set {
                return Err(format!(
                    "{flag} does not apply to --shard i/n, which writes shard results only; \
                     use it on the whole study"
                )
                .into());
            }
        }
    }
    for (path, flag) in [(&a.out, "--out"), (&a.plot, "--plot"), (&a.html, "--html")] {
        if let Some(p) = path {
            output::check(p, flag)?;
        }
    }
    for (k, v) in a.compare.iter().enumerate() {
        if a.compare[..k].contains(v) {
            return Err(format!("--compare {v} is given twice").into());
        }
    }
    let (sc, text) = open_with_overlays(&a.scenario, &a.overlays.files())?;
    let notes = sc.overlay_notes_text();
    if !notes.is_empty() && (a.json || a.csv || part.is_some()) {
        eprint!("{}", notes.trim_start());
    }
    let plan = Plan::new(
        &sc,
        &text,
        &PlanOptions {
            seed: a.seed,
            connections: a.connections,
            part,
            compare: a.compare.clone(),
            state_dir: a.state_dir.clone(),
        },
    )?;
    let (study, which) = (&plan.study, &plan.which);
    let flag = match a.state_dir {
        Some(_) => "--state-dir",
        None => "the default state directory",
    };
    let state = open_state(&plan.state_dir, &study.header, flag)?;
    let vstates = plan
        .variants
        .iter()
        .map(|(_, v, p)| open_state(p, &v.header, flag));
    let vstates = vstates.collect::<Result<Vec<StateDir>, String>>()?;

    let bar = Bar::default();
    let results = study.run_shown(which, a.threads, Some(&state), a.resume, &bar)?;
    if let (Some(part), Some(out)) = (part, &a.out) {
        let file = ShardFile::new(&text, results);
        let json = serde_json::to_string(&file).map_err(|e| e.to_string())?;
        output::write(out, json.as_bytes())?;
        if file.results.is_empty() {
            let shards = study.header.shards;
            eprintln!("note: shard set {part} is empty: the study has only {shards} shards");
        }
        eprintln!(
            "wrote {} shard results to {}",
            file.results.len(),
            out.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let report = merge(&results, Some(&sc), study.replay_per_cell)?;
    let format = ReportFormat::from_flags(a.json, a.csv);
    let mut out = report.render(format);
    if format == ReportFormat::Text {
        out.push_str(&replay_needs(
            &report,
            &a.scenario,
            &text,
            !a.overlays.files().is_empty(),
        ));
        out.push_str(&notes);
    }
    for ((v, vstudy, _), vstate) in plan.variants.iter().zip(&vstates) {
        let vres = vstudy.run_shown(which, a.threads, Some(vstate), a.resume, &bar)?;
        let vrep = merge(&vres, Some(&vstudy.scenario), vstudy.replay_per_cell)?;
        out.push_str(&report.compare_table(&vrep, v));
    }
    if let Some(path) = &a.plot {
        let svg = tlsim::report::plot::study_svg(&report, &results)?;
        output::write(path, svg.as_bytes())?;
        eprintln!("wrote the plots to {}", path.display());
    }
    if let Some(path) = &a.html {
        let command = std::iter::once("tlsim".to_string())
            .chain(std::env::args().skip(1))
            .collect::<Vec<_>>()
            .join(" ");
        let html = tlsim::report::html::study_html(&report, &results, &sc.description, &command)?;
        output::write(path, html.as_bytes())?;
        eprintln!("wrote the HTML report to {}", path.display());
    }
    match &a.out {
        Some(path) => output::write(path, out.as_bytes())?,
        None => print!("{out}"),
    }
    Ok(ExitCode::SUCCESS)
}

pub fn merge_cmd(a: MergeArgs) -> Result<ExitCode, StudyError> {
    let report = merge_files(&a.files, a.scenario.as_deref(), &a.overlays.files())?;
    print!("{}", report.render(ReportFormat::from_flags(a.json, a.csv)));
    Ok(ExitCode::SUCCESS)
}

pub fn replay(a: ReplayArgs) -> Result<ExitCode, StudyError> {
    let id: ReplayId = a.id.parse::<ReplayId>()?;
    for (path, flag) in [(&a.pcap, "--pcap"), (&a.keylog, "--keylog")] {
        if let Some(p) = path {
            output::check(p, flag)?;
        }
    }
    let rec = replay_from(&id, a.scenario.as_deref(), &a.overlays.files())?;
    let one = std::slice::from_ref(&rec);
    if let Some(path) = &a.pcap {
        output::write(path, &tlsim::report::pcap::capture_records(one, |_| a.port))?;
        eprintln!("wrote the connection to {}", path.display());
    }
    if let Some(path) = &a.keylog {
        output::write(path, tlsim::report::pcap::keylog_records(one).as_bytes())?;
        eprintln!("wrote the key log to {}", path.display());
    }
    if a.json {
        let json = serde_json::to_string_pretty(&rec.outcome).map_err(|e| e.to_string())?;
        println!("{json}");
    } else {
        print!(
            "{}",
            tlsim::report::ladder::replay_text(&a.id, &rec, a.ladder)
        );
    }
    Ok(ExitCode::SUCCESS)
}
