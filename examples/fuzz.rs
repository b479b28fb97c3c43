//! Long fuzz runs on all cores, and replay of single inputs.
//!
//! ```text
//! cargo run --release --example fuzz -- --target all --inputs 1000000 --seed 1 --threads 2
//! cargo run --release --example fuzz -- --target wire:5000000,client-sim:500000
//! cargo run --release --example fuzz -- --target server-sim --seed 1 --iter 370
//! cargo run --release --example fuzz -- --target reg --seed 1 --iter 5 --file found.bin
//! cargo run --release --example fuzz -- --target wire --export fuzz/corpus
//! ```
//!
//! Each target runs iterations `from..from+N` of its own seeded stream; the inputs, and so
//! the findings, do not depend on `--threads`. Findings are saved under `--out` (default
//! `target/fuzz-found`) with a note giving the replay command. Exit status 1 if any.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tlsim::fuzz::{self, Corpus, Target, Verdict};

struct Args {
    targets: Vec<(Target, Option<u64>)>,
    inputs: u64,
    seed: u64,
    from: u64,
    threads: usize,
    iter: Option<u64>,
    file: Option<PathBuf>,
    out: PathBuf,
    export: Option<PathBuf>,
}

const USAGE: &str = "usage: fuzz [--target all|NAME[:N],...] [--inputs N] [--seed S] [--from I] \
[--threads T] [--out DIR] [--iter I [--file F]] [--export DIR]\ntargets: ";

fn parse_args() -> Result<Args, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut a = Args {
        targets: Vec::new(),
        inputs: 100_000,
        seed: 1,
        from: 0,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        iter: None,
        file: None,
        out: root.join("target/fuzz-found"),
        export: None,
    };
    let mut it = std::env::args().skip(1);
    let num = |v: Option<String>, what: &str| -> Result<u64, String> {
        let v = v.ok_or(format!("{what} needs a value"))?;
        v.replace('_', "")
            .parse()
            .map_err(|e| format!("{what} {v:?}: {e}"))
    };
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--target" => {
                let v = it.next().ok_or("--target needs a value")?;
                for part in v.split(',') {
                    let (name, n) = match part.split_once(':') {
                        Some((n, c)) => (n, Some(num(Some(c.to_string()), "count")?)),
                        None => (part, None),
                    };
                    if name == "all" {
                        a.targets.extend(Target::ALL.iter().map(|t| (*t, n)));
                    } else {
                        let t =
                            Target::from_name(name).ok_or(format!("unknown target {name:?}"))?;
                        a.targets.push((t, n));
                    }
                }
            }
            "--inputs" => a.inputs = num(it.next(), "--inputs")?,
            "--seed" => a.seed = num(it.next(), "--seed")?,
            "--from" => a.from = num(it.next(), "--from")?,
            "--threads" => {
                a.threads =
                    usize::try_from(num(it.next(), "--threads")?).map_err(|e| e.to_string())?
            }
            "--iter" => a.iter = Some(num(it.next(), "--iter")?),
            "--file" => a.file = Some(it.next().ok_or("--file needs a path")?.into()),
            "--out" => a.out = it.next().ok_or("--out needs a path")?.into(),
            "--export" => a.export = Some(it.next().ok_or("--export needs a path")?.into()),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if a.targets.is_empty() {
        a.targets = Target::ALL.iter().map(|t| (*t, None)).collect();
    }
    Ok(a)
}

fn replay(corpus: &Corpus, a: &Args, iter: u64) -> bool {
    let mut input = corpus.generate(a.seed, iter);
    if let Some(f) = &a.file {
        match std::fs::read(f) {
            Ok(b) => input = corpus.with_bytes(input, b),
            Err(e) => {
                eprintln!("{}: {e}", f.display());
                return false;
            }
        }
    }
    println!(
        "{} seed {} iter {}: case {}, {} bytes, chunks {:?}, end {:?}",
        corpus.target(),
        a.seed,
        iter,
        input.case,
        input.bytes.len(),
        input.chunks,
        input.end
    );
    let v = fuzz::check(corpus, &input);
    println!("verdict: {v:?}");
    let bin = a
        .out
        .join(format!("{}-{}-{}.input", corpus.target(), a.seed, iter));
    if std::fs::create_dir_all(&a.out).is_ok() && std::fs::write(&bin, &input.bytes).is_ok() {
        println!("input written to {}", bin.display());
    }
    matches!(v, Verdict::Accepted | Verdict::Rejected)
}

/// Writes the seeds as a cargo-fuzz corpus in `dir/<target>/`: each file is the seed's
/// index byte (see `Corpus::raw_input`) followed by its bytes.
fn export(corpus: &Corpus, dir: &Path) -> Result<(), String> {
    let d = dir.join(corpus.target().name());
    std::fs::create_dir_all(&d).map_err(|e| format!("{}: {e}", d.display()))?;
    for i in 0..corpus.len().min(256) {
        let index = u8::try_from(i).map_err(|e| e.to_string())?;
        let mut data = vec![index];
        data.extend(corpus.seed_input(i).bytes);
        let f = d.join(format!("seed-{i:03}"));
        std::fs::write(&f, data).map_err(|e| format!("{}: {e}", f.display()))?;
    }
    println!(
        "{}: {} seeds written to {}",
        corpus.target(),
        corpus.len().min(256),
        d.display()
    );
    Ok(())
}

fn main() {
    let a = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            let names: Vec<&str> = Target::ALL.iter().map(|t| t.name()).collect();
            eprintln!("{e}\n{USAGE}{}", names.join(", "));
            std::process::exit(2);
        }
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut clean = true;
    let mut total = (0u64, Duration::ZERO);
    let fuzzing = a.iter.is_none() && a.export.is_none();
    if fuzzing {
        println!(
            "seed {}, iterations from {}, {} threads",
            a.seed, a.from, a.threads
        );
        println!(
            "{:<13} {:>7} {:>11} {:>10} {:>11} {:>10} {:>9} {:>16}",
            "target", "seeds", "inputs", "accepted", "inputs/s", "wall", "findings", "slowest"
        );
    }
    for &(target, n) in &a.targets {
        let t0 = Instant::now();
        let corpus = match Corpus::build(target, root) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("{target}: cannot build the corpus: {e}");
                std::process::exit(2);
            }
        };
        let build = t0.elapsed();
        if let Some(dir) = &a.export {
            if let Err(e) = export(&corpus, dir) {
                eprintln!("{target}: {e}");
                std::process::exit(2);
            }
            continue;
        }
        if let Some(iter) = a.iter {
            clean &= replay(&corpus, &a, iter);
            continue;
        }
        let count = n.unwrap_or(a.inputs);
        let done = AtomicU64::new(0);
        let finished = AtomicBool::new(false);
        let report = std::thread::scope(|s| {
            s.spawn(|| {
                // A progress line every 30 s on stderr for long runs.
                let start = Instant::now();
                let mut last = Instant::now();
                while !finished.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(200));
                    if last.elapsed() >= Duration::from_secs(30) {
                        last = Instant::now();
                        let d = done.load(Ordering::Relaxed);
                        eprintln!(
                            "  {target}: {d}/{count} after {:.0} s",
                            start.elapsed().as_secs_f64()
                        );
                    }
                }
            });
            let r = fuzz::run(&corpus, a.seed, a.from, count, a.threads, Some(&done));
            finished.store(true, Ordering::Relaxed);
            r
        });
        total.0 += report.inputs;
        total.1 += report.wall;
        println!(
            "{:<13} {:>7} {:>11} {:>10} {:>11.0} {:>9.1}s {:>9} {:>9} {:>5.1}ms",
            target.name(),
            corpus.len(),
            report.inputs,
            report.accepted,
            report.per_second(),
            report.wall.as_secs_f64(),
            report.findings.len() as u64 + report.more_findings,
            format!("#{}", report.slowest.0),
            report.slowest.1.as_secs_f64() * 1e3
        );
        if build > Duration::from_secs(2) {
            println!("  (corpus built in {:.1} s)", build.as_secs_f64());
        }
        for f in &report.findings {
            clean = false;
            let saved = f
                .save(&a.out)
                .map_or_else(|e| format!("not saved: {e}"), |p| p.display().to_string());
            println!(
                "  {:?} #{}: {}\n    {}\n    {saved}",
                f.kind,
                f.iter,
                f.message,
                f.command()
            );
        }
    }
    if fuzzing && a.targets.len() > 1 {
        println!(
            "total: {} inputs in {:.1} s of fuzzing ({:.0} inputs/s)",
            total.0,
            total.1.as_secs_f64(),
            total.0 as f64 / total.1.as_secs_f64().max(1e-9)
        );
    }
    if !clean {
        std::process::exit(1);
    }
}
