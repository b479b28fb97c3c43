//! `tlsim study`, `tlsim replay` and `tlsim merge`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tlsim::scenario::Scenario;
use tlsim::study::{
    merge, variant, ReplayId, ShardResult, StateDir, Study, StudyError, StudyHeader, StudyReport,
    MAX_SHARDS, MAX_SHARD_FILE_BYTES, MAX_THREADS,
};

/// Exit status of a tlsim bug (a panic inside a shard): distinct from 2, bad input.
const EXIT_BUG: u8 = 3;

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
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(MAX_THREADS)
}

/// Why a command stopped: bad input (exit 2) or a tlsim bug (exit 3).
pub enum Failure {
    Input(String),
    Bug(String),
}

impl From<String> for Failure {
    fn from(m: String) -> Failure {
        Failure::Input(m)
    }
}

impl From<&str> for Failure {
    fn from(m: &str) -> Failure {
        Failure::Input(m.to_string())
    }
}

impl From<StudyError> for Failure {
    fn from(e: StudyError) -> Failure {
        match e {
            StudyError::Input(m) => Failure::Input(m),
            bug @ StudyError::Bug { .. } => Failure::Bug(bug.to_string()),
        }
    }
}

/// Bad input goes back to `main` (exit 2); a bug is reported here with exit 3.
pub fn exit_for(r: Result<ExitCode, Failure>) -> Result<ExitCode, String> {
    match r {
        Ok(c) => Ok(c),
        Err(Failure::Input(m)) => Err(m),
        Err(Failure::Bug(m)) => {
            eprintln!(
                "error: {m}\nNo report was written. This is a bug in tlsim: please report it \
                 with the scenario file and the command line."
            );
            Ok(ExitCode::from(EXIT_BUG))
        }
    }
}

/// The scenario (a file or a built-in name, `tlsim::scenario::open`) with the command-line
/// overlays applied, and the text that identifies it in a study: the scenario's text
/// (decoded as every input: UTF-8 or UTF-16 with a BOM, CRLF or LF) and its overlays
/// ([`Scenario::overlay_identity`]; nothing without).
pub fn load(
    path: &Path,
    overlays: &crate::overlay_args::OverlayArgs,
) -> Result<(Scenario, String), String> {
    let l = tlsim::scenario::open(path).map_err(|e| e.to_string())?;
    let sc = overlays.apply(&l.scenario)?;
    let identity = sc.overlay_identity();
    Ok((sc, l.text + &identity))
}

fn bar(total: u64, label: &str) -> indicatif::ProgressBar {
    // Drawn only on a terminal: quiet when stderr is a pipe or a file.
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let pb = indicatif::ProgressBar::new(total);
    pb.set_style(
        indicatif::ProgressStyle::with_template(
            "{prefix} [{bar:40}] {pos}/{len} shards, {elapsed} elapsed, ~{eta} left",
        )
        .expect("a valid template")
        .progress_chars("=> "),
    );
    pb.set_prefix(label.to_string());
    pb
}

pub fn run_study(
    study: &Study,
    which: &[u32],
    threads: usize,
    state: Option<&StateDir>,
    resume: bool,
) -> Result<Vec<ShardResult>, StudyError> {
    let pb = bar(
        u64::try_from(which.len()).unwrap_or(u64::MAX),
        &study.header.scenario,
    );
    let res = study.run(which, threads, state, resume, &|n| pb.inc(n));
    pb.finish_and_clear();
    res
}

/// `--shard i/n`: 0 <= i < n, both u32.
fn parse_shard_spec(spec: &str) -> Result<(u32, u32), String> {
    let bad = || format!("--shard {spec:?}: expected i/n with 0 <= i < n (n at most {MAX_SHARDS})");
    let (i, n) = spec.split_once('/').ok_or_else(bad)?;
    let num = |s: &str| {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    let (i, n) = (num(i).ok_or_else(bad)?, num(n).ok_or_else(bad)?);
    if n == 0 || i >= n || n > MAX_SHARDS {
        return Err(bad());
    }
    Ok((i, n))
}

/// The directory that will hold `path` (the current one for a bare file name).
fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Check, before any work, that `path` can be written: not a directory, in an existing
/// directory where files can be created (probed with a file created and removed again).
/// An existing device or FIFO (/dev/null, /dev/stdout) is fine: it is written directly.
pub fn check_output(path: &Path, flag: &str) -> Result<(), String> {
    let show = path.display();
    if let Ok(m) = std::fs::metadata(path) {
        if m.is_dir() {
            return Err(format!("{flag} {show} is a directory; give a file name"));
        }
        if !m.is_file() {
            return Ok(());
        }
    }
    let name = path
        .file_name()
        .ok_or_else(|| format!("{flag} {show}: not a file name"))?;
    let parent = parent_of(path);
    match std::fs::metadata(&parent) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(format!(
                "{flag} {show}: {} is not a directory",
                parent.display()
            ))
        }
        Err(e) => {
            return Err(format!(
                "{flag} {show}: directory {}: {e}",
                parent.display()
            ))
        }
    }
    let probe = parent.join(format!(
        ".{}.tlsim-probe.{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .map_err(|e| {
            format!(
                "{flag} {show}: cannot create files in {}: {e}",
                parent.display()
            )
        })?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Write `bytes` to `path` atomically: a temporary file in the same directory, renamed
/// over it (through a symlink, its target is replaced). A device or FIFO is written
/// directly.
pub fn write_output(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let err = |e: std::io::Error| format!("{}: {e}", path.display());
    if let Ok(m) = std::fs::metadata(path) {
        if !m.is_file() && !m.is_dir() {
            return std::fs::write(path, bytes).map_err(err);
        }
    }
    let target = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path).map_err(err)?,
        _ => path.to_path_buf(),
    };
    let name = target
        .file_name()
        .ok_or_else(|| format!("{}: not a file name", path.display()))?;
    let tmp = parent_of(&target).join(format!(
        ".{}.tmp.{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|mut f| {
            f.write_all(bytes)?;
            f.sync_data()
        })
        .and_then(|()| std::fs::rename(&tmp, &target));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(err(e));
    }
    Ok(())
}

/// A scenario name as a directory name: letters, digits and `-_.+`; other bytes become `_`.
fn dir_safe(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.+".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    match s.strip_prefix('.') {
        Some(rest) => format!("_{rest}"),
        None => s,
    }
}

fn default_state_dir(h: &StudyHeader, part: Option<(u32, u32)>) -> PathBuf {
    let digest: String = h.scenario_digest.chars().take(8).collect();
    let mut name = format!("{}-{}-{}-{digest}", dir_safe(&h.scenario), h.seed, h.shards);
    if let Some((i, n)) = part {
        name.push_str(&format!("-part-{i}of{n}"));
    }
    Path::new(".tlsim-study").join(name)
}

/// `<dir>+<variant>`, beside the base state directory.
fn variant_dir(base: &Path, v: &str) -> Result<PathBuf, String> {
    let name = base.file_name().ok_or_else(|| {
        format!(
            "--state-dir {}: --compare needs a state directory with a name (its variants go \
             beside it as <name>+<variant>)",
            base.display()
        )
    })?;
    Ok(base.with_file_name(format!("{}+{v}", name.to_string_lossy())))
}

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

pub fn study(a: StudyArgs) -> Result<ExitCode, String> {
    exit_for(study_checked(a))
}

fn study_checked(a: StudyArgs) -> Result<ExitCode, Failure> {
    // Everything that can be refused is refused before any work.
    let part = a.shard.as_deref().map(parse_shard_spec).transpose()?;
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
            check_output(p, flag)?;
        }
    }
    for (k, v) in a.compare.iter().enumerate() {
        if a.compare[..k].contains(v) {
            return Err(format!("--compare {v} is given twice").into());
        }
    }
    let (sc, text) = load(&a.scenario, &a.overlays)?;
    let seed = a.seed.unwrap_or(sc.fleet.seed);
    let notes = crate::overlay_args::notes_text(&sc);
    if !notes.is_empty() && (a.json || a.csv || part.is_some()) {
        eprint!("{}", notes.trim_start());
    }
    let variants = a
        .compare
        .iter()
        .map(|v| Ok((v.clone(), variant(&sc, v)?)))
        .collect::<Result<Vec<(String, Scenario)>, String>>()?;
    let shards = Study::new(sc.clone(), &text, seed, 1)
        .shards_for(a.connections)
        .map_err(|e| format!("--connections {}: {e}", a.connections))?;
    let study = Study::new(sc.clone(), &text, seed, shards);
    let which: Vec<u32> = match part {
        None => (0..shards).collect(),
        Some((i, n)) => (0..shards).filter(|s| s % n == i).collect(),
    };
    let (state_path, flag) = match &a.state_dir {
        Some(d) => (d.clone(), "--state-dir"),
        None => (
            default_state_dir(&study.header, part),
            "the default state directory",
        ),
    };
    // A variant's digest covers the scenario text and the variant's name.
    let vstudies: Vec<(String, Study, PathBuf)> = variants
        .into_iter()
        .map(|(v, vs)| {
            let vstudy = Study::new(vs, &format!("{text}{v}"), seed, shards);
            Ok((v.clone(), vstudy, variant_dir(&state_path, &v)?))
        })
        .collect::<Result<_, String>>()?;
    let state = open_state(&state_path, &study.header, flag)?;
    let vstates = vstudies
        .iter()
        .map(|(_, vstudy, p)| open_state(p, &vstudy.header, flag))
        .collect::<Result<Vec<StateDir>, String>>()?;

    let results = run_study(&study, &which, a.threads, Some(&state), a.resume)?;
    if let Some((i, n)) = part {
        let out = a.out.as_deref().ok_or("--shard needs --out FILE")?;
        let file = tlsim::study::ShardFile::new(&text, results);
        let json = serde_json::to_string(&file).map_err(|e| e.to_string())?;
        write_output(out, json.as_bytes())?;
        let results = file.results;
        if results.is_empty() {
            eprintln!("note: shard set {i}/{n} is empty: the study has only {shards} shards");
        }
        eprintln!("wrote {} shard results to {}", results.len(), out.display());
        return Ok(ExitCode::SUCCESS);
    }
    let report = merge(&results, Some(&sc), study.replay_per_cell)?;
    let mut out = render(&report, a.json, a.csv);
    // `tlsim replay ID` finds scenarios/NAME.toml here or the built-in NAME; anything
    // else needs --scenario.
    let base = tlsim::scenario::overlays::base_name(&study.header.scenario);
    let default_path = PathBuf::from(format!("scenarios/{base}.toml"));
    let replays = !a.json && !a.csv && report.cells.iter().any(|c| !c.replay.is_empty());
    if replays
        && a.scenario != default_path
        && tlsim::scenario::builtin(base) != Some(text.as_str())
    {
        out.push_str(&format!(
            "(the scenario is not scenarios/{base}.toml: add `--scenario {}` to tlsim replay)\n",
            a.scenario.display()
        ));
    }
    if replays && !a.overlays.is_empty() {
        out.push_str(
            "(the study ran with command-line overlays: give tlsim replay the same --registry \
             and --cipher-order options)\n",
        );
    }
    if !a.json && !a.csv {
        out.push_str(&notes);
    }
    for ((v, vstudy, _), vstate) in vstudies.iter().zip(&vstates) {
        let vres = run_study(vstudy, &which, a.threads, Some(vstate), a.resume)?;
        let vrep = merge(&vres, Some(&vstudy.scenario), vstudy.replay_per_cell)?;
        out.push_str(&compare_table(&report, &vrep, v));
    }
    if let Some(path) = &a.plot {
        let svg = tlsim::report::plot::study_svg(&report, &results)?;
        write_output(path, svg.as_bytes())?;
        eprintln!("wrote the plots to {}", path.display());
    }
    if let Some(path) = &a.html {
        let command = std::iter::once("tlsim".to_string())
            .chain(std::env::args().skip(1))
            .collect::<Vec<_>>()
            .join(" ");
        let html = tlsim::report::html::study_html(&report, &results, &sc.description, &command)?;
        write_output(path, html.as_bytes())?;
        eprintln!("wrote the HTML report to {}", path.display());
    }
    match &a.out {
        Some(path) => write_output(path, out.as_bytes())?,
        None => print!("{out}"),
    }
    Ok(ExitCode::SUCCESS)
}

fn render(r: &StudyReport, json: bool, csv: bool) -> String {
    if json {
        r.json() + "\n"
    } else if csv {
        r.csv()
    } else {
        r.text()
    }
}

/// Failure rates per (client, server) of the base study and a variant, side by side.
pub fn compare_table(base: &StudyReport, var: &StudyReport, name: &str) -> String {
    use std::collections::BTreeMap;
    let sum = |r: &StudyReport| {
        let mut m: BTreeMap<(String, String), (u64, u64)> = BTreeMap::new();
        for c in &r.cells {
            let e = m.entry((c.client.clone(), c.server.clone())).or_default();
            e.0 = e.0.saturating_add(c.attempts);
            e.1 = e.1.saturating_add(c.failures);
        }
        m
    };
    let (b, v) = (sum(base), sum(var));
    let mut s = format!("\nwhat-if {name}: failure rate per pair, base → {name}\n");
    for (k, (ba, bf)) in &b {
        let (va, vf) = v.get(k).copied().unwrap_or((0, 0));
        let rate = |f: u64, a: u64| if a == 0 { 0.0 } else { f as f64 / a as f64 };
        s.push_str(&format!(
            "  {:<28} → {:<26} {:>9.5} ({bf}/{ba})  →  {:>9.5} ({vf}/{va})\n",
            k.0,
            k.1,
            rate(*bf, *ba),
            rate(vf, va)
        ));
    }
    s
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

/// Read a shard results file: a regular file of at most [`MAX_SHARD_FILE_BYTES`], opened
/// without blocking (a FIFO put in its place cannot hang the open).
fn read_shard_file(path: &Path) -> Result<Vec<u8>, String> {
    let what = "a shard results file (written by `tlsim study --shard i/n --out FILE`)";
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if !meta.is_file() {
        // Refused by kind, without opening it.
        return tlsim::study::read_capped(path, MAX_SHARD_FILE_BYTES, what);
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NONBLOCK);
    }
    let file = opts
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    tlsim::study::read_capped_file(file, path, MAX_SHARD_FILE_BYTES, what)
}

pub fn merge_cmd(a: MergeArgs) -> Result<ExitCode, String> {
    // (file index, result), checked file by file so that errors name the file.
    let mut all: Vec<ShardResult> = Vec::new();
    let mut from: Vec<usize> = Vec::new();
    let mut first: Option<(usize, StudyHeader, String)> = None;
    for (fi, f) in a.files.iter().enumerate() {
        let show = f.display();
        let bytes = read_shard_file(f)?;
        let file = tlsim::study::ShardFile::parse(&bytes).map_err(|e| format!("{show}: {e}"))?;
        for (k, r) in file.results.iter().enumerate() {
            match &first {
                None => first = Some((fi, r.header.clone(), file.scenario_text.clone())),
                Some((f0, h, _)) if *h != r.header => {
                    return Err(format!(
                        "{show}: shard {} belongs to another study than {}: {}",
                        r.shard,
                        a.files[*f0].display(),
                        r.header.difference(h, "here", "there")
                    ))
                }
                Some(_) => {}
            }
            r.validate()
                .map_err(|e| format!("{show}: shard result #{k}: {e}"))?;
        }
        let part = file.results;
        let total = all.len().saturating_add(part.len());
        if u64::try_from(total).map_or(true, |n| n > u64::from(MAX_SHARDS)) {
            return Err(format!(
                "{show}: the files hold more than {MAX_SHARDS} shard results (the limit of a study)"
            ));
        }
        from.extend(std::iter::repeat_n(fi, part.len()));
        all.extend(part);
    }
    let Some((f0, header, embedded)) = first else {
        return Err("no shard results in the files".into());
    };
    // Each shard once, naming both files of a duplicate.
    let mut owner: std::collections::BTreeMap<u32, usize> = std::collections::BTreeMap::new();
    for (r, &fi) in all.iter().zip(&from) {
        if let Some(prev) = owner.insert(r.shard, fi) {
            return Err(format!(
                "{}: shard {} given twice (also in {})",
                a.files[fi].display(),
                r.shard,
                a.files[prev].display()
            ));
        }
    }
    // The scenario the shards ran: the one embedded in the files (every file's digest was
    // checked against its text), or --scenario, which must be that same text.
    let sc = match &a.scenario {
        Some(path) => {
            let (sc, text) = load(path, &a.overlays)?;
            let digest = tlsim::study::scenario_digest(&text);
            if digest != header.scenario_digest {
                return Err(format!(
                    "--scenario {}: its digest {digest} is not the digest {} the shards were \
                     run with; give the scenario file the study ran, or leave --scenario out \
                     (the files embed it)",
                    path.display(),
                    header.scenario_digest
                ));
            }
            sc
        }
        None => {
            let base = tlsim::scenario::overlays::base_name(&header.scenario);
            let sc = Scenario::parse(
                &embedded,
                &format!("{} (embedded scenario)", a.files[f0].display()),
                base,
                None,
            )
            .map_err(|e| {
                format!(
                    "{e}\n(the scenario embedded in the shard files refers to a file that is \
                     not embedded; pass --scenario with the scenario file the study ran)"
                )
            })?;
            // Command-line overlays are not in the files: the same options must be given.
            let sc = a.overlays.apply(&sc)?;
            if sc.name != header.scenario {
                return Err(format!(
                    "the shards are of scenario {}, not {} (the command-line overlays differ): \
                     pass merge the --registry and --cipher-order options the study ran with",
                    header.scenario, sc.name
                ));
            }
            sc
        }
    };
    let report = merge(&all, Some(&sc), 5)?;
    print!("{}", render(&report, a.json, a.csv));
    Ok(ExitCode::SUCCESS)
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

pub fn replay(a: ReplayArgs) -> Result<ExitCode, String> {
    exit_for(replay_checked(a))
}

fn replay_checked(a: ReplayArgs) -> Result<ExitCode, Failure> {
    let id: ReplayId = a.id.parse::<ReplayId>()?;
    for (path, flag) in [(&a.pcap, "--pcap"), (&a.keylog, "--keylog")] {
        if let Some(p) = path {
            check_output(p, flag)?;
        }
    }
    let path = a.scenario.clone().unwrap_or_else(|| {
        PathBuf::from(format!(
            "scenarios/{}.toml",
            tlsim::scenario::overlays::base_name(&id.scenario)
        ))
    });
    let (sc, text) = load(&path, &a.overlays)?;
    if sc.name != id.scenario {
        let base = tlsim::scenario::overlays::base_name;
        let hint = if base(&sc.name) == base(&id.scenario) {
            "; the study ran with other command-line overlays: give replay its --registry and \
             --cipher-order options"
        } else {
            "; pass --scenario with the file the study ran"
        };
        return Err(format!(
            "replay id {id} is of scenario {}, but {} is scenario {}{hint}",
            id.scenario,
            path.display(),
            sc.name
        )
        .into());
    }
    let study = Study::new(sc, &text, id.seed, id.shards);
    let rec = tlsim::study::replay_id(&study, &id)?;
    let wire = rec.wire.as_deref().unwrap_or(&[]);
    if let Some(path) = &a.pcap {
        let mut w = tlsim::report::pcap::PcapWriter::new();
        w.add_connection(wire, tlsim::report::pcap::Endpoints::nth(0, a.port));
        write_output(path, &w.into_bytes())?;
        eprintln!("wrote the connection to {}", path.display());
    }
    if let Some(path) = &a.keylog {
        let line = tlsim::report::pcap::keylog_of(wire, &rec.outcome)
            .map(|l| l + "\n")
            .unwrap_or_default();
        write_output(path, line.as_bytes())?;
        eprintln!("wrote the key log to {}", path.display());
    }
    if a.ladder && !a.json {
        println!(
            "replay {} — {} → {} ({}), started at {} ms",
            a.id, rec.client, rec.server, rec.channel, rec.start_ms
        );
        print!("{}", tlsim::report::ladder::ladder(wire, &rec.outcome));
        return Ok(ExitCode::SUCCESS);
    }
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&rec.outcome).map_err(|e| e.to_string())?
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "replay {} — {} → {} ({}), started at {} ms",
        a.id, rec.client, rec.server, rec.channel, rec.start_ms
    );
    let wire = rec.wire.clone().unwrap_or_default();
    for line in tlsim::report::ladder::wire_lines(&wire)
        .into_iter()
        .chain(tlsim::report::ladder::outcome_lines(&rec.outcome))
    {
        println!("  {line}");
    }
    let [c, s] = tlsim::report::explain::both_views(&rec);
    println!("  client saw: {c}\n  server saw: {s}");
    Ok(ExitCode::SUCCESS)
}
