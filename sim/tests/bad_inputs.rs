//! The bad-input corpus: every `tests/bad-inputs/*.case` runs the `tlsim` binary on one
//! hostile input and checks that it gives one clear error, never a panic.
//!
//! A case file is header lines, each starting with `# `, then a blank line, then the
//! content (optional):
//!
//! ```text
//! # args: run {file}
//! # exit: 2
//! # stderr: input.toml:4:
//! # stderr: latency_ms
//! # ext: toml
//! # setup: <sh -c command, optional, may repeat>
//! # after: <sh -c command that must exit 0, optional, may repeat>
//!
//! description = "inverted latency"
//! ...
//! ```
//!
//! `{dir}` is a fresh directory per case, `{file}` the content written to
//! `{dir}/input.<ext>` (`ext` defaults to `toml`), `{repo}` the repository root. `args` are
//! split on whitespace (no quoting). `exit` is the expected exit code; every `stderr` line is
//! a case-insensitive substring that must appear on stderr. Besides, for every case:
//! stderr has no "panicked" and no "RUST_BACKTRACE"; the process ends within [`TIME_LIMIT`]
//! (it is killed and the case fails past it); and it runs under `ulimit -v`
//! [`MEMORY_LIMIT_KIB`] (4 GiB of address space: mimalloc reserves address space ahead of
//! use, and the corpus includes valid runs that must fit under the same limit). Setup and
//! `after` commands run with `sh -c` in `{dir}`; the binary runs in the repository root.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Wall-clock bound for one case.
const TIME_LIMIT: Duration = Duration::from_secs(30);
/// Address-space bound for the binary (`ulimit -v`, KiB): 4 GiB.
const MEMORY_LIMIT_KIB: u64 = 4 * 1024 * 1024;
/// Cases run on this many threads (the machine has 2 cores).
const WORKERS: usize = 2;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("sim/ has a parent")
        .to_path_buf()
}

#[derive(Debug, Default)]
struct Case {
    name: String,
    args: String,
    exit: i32,
    stderr: Vec<String>,
    ext: String,
    setup: Vec<String>,
    after: Vec<String>,
    /// Bytes, not text: a case may hold an input that is not valid UTF-8.
    content: Vec<u8>,
}

fn parse_case(name: &str, bytes: &[u8]) -> Result<Case, String> {
    let mut case = Case {
        name: name.to_string(),
        ext: "toml".into(),
        ..Case::default()
    };
    let mut exit = None;
    let mut consumed = 0;
    for raw in bytes.split_inclusive(|b| *b == b'\n') {
        consumed += raw.len();
        let line = std::str::from_utf8(raw)
            .map_err(|e| format!("{name}: header line is not UTF-8: {e}"))?;
        let l = line.trim_end_matches(['\n', '\r']);
        if l.is_empty() {
            break;
        }
        let Some(rest) = l.strip_prefix("# ") else {
            return Err(format!(
                "{name}: header line {l:?} does not start with \"# \" (end the header with a blank line)"
            ));
        };
        let Some((key, value)) = rest.split_once(':') else {
            return Err(format!("{name}: header line {l:?} has no `key:`"));
        };
        let value = value.trim().to_string();
        match key.trim() {
            "args" => case.args = value,
            "exit" => {
                exit = Some(
                    value
                        .parse::<i32>()
                        .map_err(|e| format!("{name}: exit {value:?}: {e}"))?,
                )
            }
            "stderr" => case.stderr.push(value),
            "ext" => case.ext = value,
            "setup" => case.setup.push(value),
            "after" => case.after.push(value),
            other => return Err(format!("{name}: unknown header key {other:?}")),
        }
    }
    case.content = bytes[consumed..].to_vec();
    if case.args.is_empty() {
        return Err(format!("{name}: no `# args:` line"));
    }
    case.exit = exit.ok_or_else(|| format!("{name}: no `# exit:` line"))?;
    Ok(case)
}

fn substitute(s: &str, dir: &Path, file: &Path) -> String {
    s.replace("{dir}", &dir.display().to_string())
        .replace("{file}", &file.display().to_string())
        .replace("{repo}", &repo().display().to_string())
}

fn sh(cmd: &str, cwd: &Path) -> Result<(), String> {
    let out = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .current_dir(cwd)
        .output()
        .map_err(|e| format!("sh -c {cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "sh -c {cmd:?} exited with {:?}: {}{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// A case's exit code and milliseconds, or the reasons it failed.
type CaseResult = Result<(i32, u128), Vec<String>>;

/// Runs one case.
fn run_case(case: &Case, root: &Path) -> CaseResult {
    let dir = root.join(&case.name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| vec![format!("{}: {e}", dir.display())])?;
    let file = dir.join(format!("input.{}", case.ext));
    std::fs::write(&file, &case.content).map_err(|e| vec![format!("{}: {e}", file.display())])?;
    for s in &case.setup {
        sh(&substitute(s, &dir, &file), &dir).map_err(|e| vec![format!("setup: {e}")])?;
    }
    let args: Vec<String> = case
        .args
        .split_whitespace()
        .map(|a| substitute(a, &dir, &file))
        .collect();
    let out_path = dir.join("stdout");
    let err_path = dir.join("stderr");
    let open =
        |p: &Path| std::fs::File::create(p).map_err(|e| vec![format!("{}: {e}", p.display())]);
    let start = Instant::now();
    // `exec` replaces the shell, so the pid is the binary's and `kill` reaches it.
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {MEMORY_LIMIT_KIB} && exec \"$0\" \"$@\""
        ))
        .arg(env!("CARGO_BIN_EXE_tlsim"))
        .args(&args)
        .current_dir(repo())
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(Stdio::from(open(&out_path)?))
        .stderr(Stdio::from(open(&err_path)?))
        .spawn()
        .map_err(|e| vec![format!("spawn: {e}")])?;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if start.elapsed() > TIME_LIMIT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(vec![format!(
                    "still running after {} s: killed",
                    TIME_LIMIT.as_secs()
                )]);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(vec![format!("wait: {e}")]),
        }
    };
    let ms = start.elapsed().as_millis();
    let stderr = std::fs::read(&err_path).unwrap_or_default();
    let stderr = String::from_utf8_lossy(&stderr).to_string();
    let lower = stderr.to_lowercase();
    let mut problems = Vec::new();
    let code = status.code().unwrap_or(-1);
    if code != case.exit {
        problems.push(format!(
            "exit {code} (signal or code), expected {}",
            case.exit
        ));
    }
    for want in &case.stderr {
        if !lower.contains(&want.to_lowercase()) {
            problems.push(format!("stderr lacks {want:?}"));
        }
    }
    for bad in ["panicked", "rust_backtrace"] {
        if lower.contains(bad) {
            problems.push(format!("stderr contains {bad:?}"));
        }
    }
    for a in &case.after {
        if let Err(e) = sh(&substitute(a, &dir, &file), &dir) {
            problems.push(format!("after: {e}"));
        }
    }
    if problems.is_empty() {
        Ok((code, ms))
    } else {
        let shown: String = stderr.chars().take(2000).collect();
        problems.push(format!("args: {args:?}\n      stderr: {shown}"));
        Err(problems)
    }
}

#[test]
fn every_bad_input_gets_one_clear_error_and_no_panic() {
    let cases_dir = repo().join("tests/bad-inputs");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&cases_dir)
        .unwrap_or_else(|e| panic!("{}: {e}", cases_dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "case"))
        .collect();
    names.sort();
    let mut cases = Vec::new();
    let mut failures: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in &names {
        let name = p
            .file_stem()
            .expect("a file name")
            .to_string_lossy()
            .to_string();
        let bytes = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        match parse_case(&name, &bytes) {
            Ok(c) => cases.push(c),
            Err(e) => {
                failures.insert(name, vec![e]);
            }
        }
    }
    assert!(
        cases.len() >= 30,
        "{} cases in {}",
        cases.len(),
        cases_dir.display()
    );
    let root = std::env::temp_dir().join(format!("tlsim-bad-inputs-{}", std::process::id()));
    let queue = Mutex::new(cases.iter());
    let results: Mutex<BTreeMap<String, CaseResult>> = Mutex::new(BTreeMap::new());
    std::thread::scope(|s| {
        for _ in 0..WORKERS {
            s.spawn(|| loop {
                let next = queue.lock().expect("queue").next();
                let Some(case) = next else { break };
                let r = run_case(case, &root);
                results
                    .lock()
                    .expect("results")
                    .insert(case.name.clone(), r);
            });
        }
    });
    let results = results.into_inner().expect("results");
    for (name, r) in &results {
        match r {
            Ok((code, ms)) => println!("case {name:<44} exit {code:<3} {ms:>6} ms  ok"),
            Err(p) => {
                println!("case {name:<44} FAILED");
                failures.insert(name.clone(), p.clone());
            }
        }
    }
    println!(
        "{} cases, {} failed (limits: {} s, ulimit -v {} KiB)",
        results.len(),
        failures.len(),
        TIME_LIMIT.as_secs(),
        MEMORY_LIMIT_KIB
    );
    if failures.is_empty() {
        let _ = std::fs::remove_dir_all(&root);
    } else {
        let mut msg = String::new();
        for (name, p) in &failures {
            msg.push_str(&format!("\n{name}:\n"));
            for line in p {
                msg.push_str(&format!("    {line}\n"));
            }
        }
        panic!("{} bad-input case(s) failed:{msg}", failures.len());
    }
}

#[test]
fn the_case_format_parses() {
    let c = parse_case(
        "t",
        b"# args: run {file}\n# exit: 2\n# stderr: a\n# stderr: b\n# ext: txt\n# setup: true\n\nbody\nmore\n",
    )
    .expect("valid");
    assert_eq!(c.args, "run {file}");
    assert_eq!(c.exit, 2);
    assert_eq!(c.stderr, ["a", "b"]);
    assert_eq!(c.ext, "txt");
    assert_eq!(c.setup, ["true"]);
    assert_eq!(c.content, b"body\nmore\n");
    assert!(
        parse_case("t", b"# args: x\n\n").is_err(),
        "exit is required"
    );
    assert!(
        parse_case("t", b"# exit: 2\n\n").is_err(),
        "args are required"
    );
    assert!(parse_case("t", b"# args: x\n# exit: 2\n# stdeer: y\n\n").is_err());
    assert!(parse_case("t", b"# args: x\nexit: 2\n\n").is_err());
}
