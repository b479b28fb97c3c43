//! `tlsim study`, `tlsim replay` and `tlsim merge`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tlsim::scenario::Scenario;
use tlsim::study::{merge, variant, ShardResult, Study, StudyReport};

#[derive(clap::Args)]
pub struct StudyArgs {
    /// The scenario file whose fleet is studied.
    pub scenario: PathBuf,
    /// Connections to run in total (rounded up to whole shards of the scenario's workload).
    #[arg(long, default_value_t = 20_000)]
    pub connections: u64,
    /// Study seed: shard i runs with a seed derived from it and i.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Worker threads (never changes a number).
    #[arg(long, default_value_t = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1))]
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
    /// Run only shard set i of n (shards whose index ≡ i mod n); merge the files with
    /// `tlsim merge`.
    #[arg(long, value_name = "i/n")]
    pub shard: Option<String>,
    /// Continue an interrupted study from its saved shards.
    #[arg(long)]
    pub resume: bool,
    /// Directory where finished shards are saved (default: .tlsim-study/<scenario>-<seed>-<shards>).
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
}

pub fn load(path: &Path) -> Result<(Scenario, String), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let sc = Scenario::load(path).map_err(|e| e.to_string())?;
    Ok((sc, text))
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
    state: &Path,
    resume: bool,
) -> Result<Vec<ShardResult>, String> {
    let pb = bar(which.len() as u64, &study.header.scenario);
    let res = study.run(which, threads, Some(state), resume, &|n| pb.inc(n));
    pb.finish_and_clear();
    res
}

// TODO(h12-merge): owned by another helper
#[allow(clippy::cast_possible_truncation)]
pub fn study(a: StudyArgs) -> Result<ExitCode, String> {
    let (sc, text) = load(&a.scenario)?;
    let per = Study::new(sc.clone(), &text, a.seed, 1).per_shard().max(1);
    let shards = a.connections.div_ceil(per).max(1) as u32;
    let study = Study::new(sc.clone(), &text, a.seed, shards);
    let which: Vec<u32> = match &a.shard {
        None => (0..shards).collect(),
        Some(spec) => {
            let (i, n) = spec
                .split_once('/')
                .and_then(|(i, n)| Some((i.parse::<u32>().ok()?, n.parse::<u32>().ok()?)))
                .filter(|(i, n)| *n > 0 && i < n)
                .ok_or_else(|| format!("--shard {spec:?}: expected i/n with 0 <= i < n"))?;
            (0..shards).filter(|s| s % n == i).collect()
        }
    };
    let state = a.state_dir.clone().unwrap_or_else(|| {
        PathBuf::from(format!(
            ".tlsim-study/{}-{}-{}",
            study.header.scenario, a.seed, shards
        ))
    });
    if !a.resume {
        let _ = std::fs::remove_dir_all(&state);
    }
    let results = run_study(&study, &which, a.threads, &state, a.resume)?;
    if a.shard.is_some() {
        let out = a
            .out
            .ok_or("--shard needs --out FILE for the shard results")?;
        let text = serde_json::to_string(&results).map_err(|e| e.to_string())?;
        std::fs::write(&out, text).map_err(|e| format!("{}: {e}", out.display()))?;
        eprintln!("wrote {} shard results to {}", results.len(), out.display());
        return Ok(ExitCode::SUCCESS);
    }
    let report = merge(&results, Some(&sc), study.replay_per_cell)?;
    if let Some(path) = &a.plot {
        let svg = tlsim::report::plot::study_svg(&report, &results)?;
        std::fs::write(path, svg).map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("wrote the plots to {}", path.display());
    }
    if let Some(path) = &a.html {
        let command = std::iter::once("tlsim".to_string())
            .chain(std::env::args().skip(1))
            .collect::<Vec<_>>()
            .join(" ");
        let html = tlsim::report::html::study_html(&report, &results, &sc.description, &command)?;
        std::fs::write(path, html).map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("wrote the HTML report to {}", path.display());
    }
    let mut text = render(&report, a.json, a.csv);
    let default_path = PathBuf::from(format!("scenarios/{}.toml", study.header.scenario));
    if !a.json
        && !a.csv
        && a.scenario != default_path
        && report.cells.iter().any(|c| !c.replay.is_empty())
    {
        text.push_str(&format!(
            "(the scenario is not scenarios/{}.toml: add `--scenario {}` to tlsim replay)\n",
            study.header.scenario,
            a.scenario.display()
        ));
    }
    for v in &a.compare {
        let vs = variant(&sc, v)?;
        let vstudy = Study::new(vs.clone(), &format!("{text}{v}"), a.seed, shards);
        let vstate = state.with_file_name(format!(
            "{}+{v}",
            state
                .file_name()
                .and_then(|s| s.to_str())
                .unwrap_or("study")
        ));
        if !a.resume {
            let _ = std::fs::remove_dir_all(&vstate);
        }
        let vres = run_study(&vstudy, &which, a.threads, &vstate, a.resume)?;
        let vrep = merge(&vres, Some(&vs), vstudy.replay_per_cell)?;
        text.push_str(&compare_table(&report, &vrep, v));
    }
    match &a.out {
        Some(out) => std::fs::write(out, &text).map_err(|e| format!("{}: {e}", out.display()))?,
        None => print!("{text}"),
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
            e.0 += c.attempts;
            e.1 += c.failures;
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
pub struct MergeArgs {
    /// Shard result files written by `tlsim study --shard i/n --out FILE`.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The scenario file (for theoretical rates; default scenarios/<name>.toml).
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    #[arg(long)]
    pub csv: bool,
}

pub fn merge_cmd(a: MergeArgs) -> Result<ExitCode, String> {
    let mut all: Vec<ShardResult> = Vec::new();
    for f in &a.files {
        let text = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
        let part: Vec<ShardResult> = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not a shard results file: {e}", f.display()))?;
        all.extend(part);
    }
    let name = all
        .first()
        .map(|r| r.header.scenario.clone())
        .ok_or("no shard results in the files")?;
    let path = a
        .scenario
        .unwrap_or_else(|| PathBuf::from(format!("scenarios/{name}.toml")));
    let sc = Scenario::load(&path).ok();
    let report = merge(&all, sc.as_ref(), 5)?;
    print!("{}", render(&report, a.json, a.csv));
    Ok(ExitCode::SUCCESS)
}

#[derive(clap::Args)]
pub struct ReplayArgs {
    /// A replay id from a study: scenario:seed:shards:shard:host.peer.index
    pub id: String,
    /// The scenario file (default scenarios/<scenario>.toml).
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
}

// TODO(h12-merge): owned by another helper
#[allow(clippy::cast_possible_truncation)]
pub fn replay(a: ReplayArgs) -> Result<ExitCode, String> {
    let parts: Vec<&str> = a.id.split(':').collect();
    let [name, seed, shards, shard, conn] = parts[..] else {
        return Err(format!(
            "replay id {:?}: expected scenario:seed:shards:shard:host.peer.index",
            a.id
        ));
    };
    let num = |s: &str, what: &str| {
        s.parse::<u64>()
            .map_err(|_| format!("replay id: {what} {s:?} is not a number"))
    };
    let (seed, shards, shard) = (
        num(seed, "seed")?,
        num(shards, "shards")? as u32,
        num(shard, "shard")? as u32,
    );
    let path = a
        .scenario
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("scenarios/{name}.toml")));
    let (sc, text) = load(&path)?;
    let study = Study::new(sc, &text, seed, shards);
    let rec = tlsim::study::replay(&study, shard, conn)?;
    let wire = rec.wire.as_deref().unwrap_or(&[]);
    if let Some(path) = &a.pcap {
        let mut w = tlsim::report::pcap::PcapWriter::new();
        w.add_connection(wire, tlsim::report::pcap::Endpoints::nth(0, a.port));
        std::fs::write(path, w.into_bytes()).map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("wrote the connection to {}", path.display());
    }
    if let Some(path) = &a.keylog {
        let line = tlsim::report::pcap::keylog_of(wire, &rec.outcome)
            .map(|l| l + "\n")
            .unwrap_or_default();
        std::fs::write(path, line).map_err(|e| format!("{}: {e}", path.display()))?;
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
