//! A fuzz harness that runs on stable Rust: structure-aware mutation of recorded handshakes
//! into the wire decoders and both engines (simulated and bridge mode), and of the shipped
//! text files into the scenario, profile, `.reg` and cipher-order parsers. Every input is
//! a pure function of (seed, target, iteration), so any finding replays alone.
//!
//! `tests/fuzz.rs` runs a short seeded pass under `cargo test`; `examples/fuzz.rs` runs long
//! ones on all cores (see the README). A finding is a panic, caught with `catch_unwind`, or
//! a broken invariant (a decoded message that re-encodes differently, an engine that sends
//! a malformed record or speaks after closing).

mod corpus;
mod mutate;
mod targets;
mod tls;

pub use corpus::EngineCase;
pub use mutate::Mutator;
pub use targets::{Corpus, End, Input};

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

/// What a fuzz target feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// Record deframer, handshake joiner, every handshake message and key-exchange decoder.
    Wire,
    /// A simulated client engine fed mutated server flights.
    ClientSim,
    /// A simulated server engine fed mutated client flights.
    ServerSim,
    /// A bridge-mode client (real RSA signatures, X.509, AES-GCM) fed mutated server flights.
    ClientReal,
    /// A bridge-mode server fed mutated client flights.
    ServerReal,
    /// `Scenario::parse`.
    Scenario,
    /// `Profile::from_toml`, `catalogue::parse` and profile specs (`name@date+KB`).
    Profile,
    /// `parse_reg` and the Schannel overlay.
    Reg,
    /// `parse_cipher_order` and its overlay.
    CipherOrder,
}

impl Target {
    pub const ALL: [Target; 9] = [
        Target::Wire,
        Target::ClientSim,
        Target::ServerSim,
        Target::ClientReal,
        Target::ServerReal,
        Target::Scenario,
        Target::Profile,
        Target::Reg,
        Target::CipherOrder,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Target::Wire => "wire",
            Target::ClientSim => "client-sim",
            Target::ServerSim => "server-sim",
            Target::ClientReal => "client-real",
            Target::ServerReal => "server-real",
            Target::Scenario => "scenario",
            Target::Profile => "profile",
            Target::Reg => "reg",
            Target::CipherOrder => "cipher-order",
        }
    }

    pub fn from_name(s: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.name() == s)
    }

    /// Part of every input's seed path: never renumber.
    fn id(self) -> u64 {
        match self {
            Target::Wire => 1,
            Target::ClientSim => 2,
            Target::ServerSim => 3,
            Target::ClientReal => 4,
            Target::ServerReal => 5,
            Target::Scenario => 6,
            Target::Profile => 7,
            Target::Reg => 8,
            Target::CipherOrder => 9,
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindingKind {
    Panic,
    /// An invariant the target checks failed (a silent wrong answer).
    Invariant,
}

/// One input that made a target panic or break an invariant.
#[derive(Debug, Clone)]
pub struct Finding {
    pub target: Target,
    pub seed: u64,
    pub iter: u64,
    pub kind: FindingKind,
    pub message: String,
    pub input: Input,
}

impl Finding {
    /// The command that replays exactly this input.
    pub fn command(&self) -> String {
        format!(
            "cargo run --release --example fuzz -- --target {} --seed {} --iter {}",
            self.target, self.seed, self.iter
        )
    }

    /// Writes the input to `dir/<target>-<seed>-<iter>.bin` and a note beside it (`.txt`:
    /// what happened, the replay command, the seed case, the delivery and a hex dump).
    pub fn save(&self, dir: &Path) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let stem = format!("{}-{}-{}", self.target, self.seed, self.iter);
        let bin = dir.join(format!("{stem}.bin"));
        std::fs::write(&bin, &self.input.bytes)?;
        let head = &self.input.bytes[..self.input.bytes.len().min(512)];
        let note = format!(
            "{:?} in target {}: {}\nreplay: {}\nseed case: {}\nchunks: {:?}\nend: {:?}\n\
             {} bytes, first {}:\n{}\n",
            self.kind,
            self.target,
            self.message,
            self.command(),
            self.input.case,
            self.input.chunks,
            self.input.end,
            self.input.bytes.len(),
            head.len(),
            crate::crypto::to_hex(head)
        );
        std::fs::write(dir.join(format!("{stem}.txt")), note)?;
        Ok(bin)
    }
}

/// What one input did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The target rejected the input cleanly (a parse error, a failed handshake).
    Rejected,
    /// The target accepted the input (it parsed, or the engine completed).
    Accepted,
    Panic(String),
    Invariant(String),
}

thread_local! {
    /// Set while this thread runs a fuzz input: the panic hook stores the message here
    /// instead of printing it.
    static CAPTURE: RefCell<Option<Option<String>>> = const { RefCell::new(None) };
}

/// Installs (once) a panic hook that is silent for threads running fuzz inputs and the
/// previous hook for every other thread.
fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let captured = CAPTURE.with(|c| {
                let mut c = c.borrow_mut();
                match c.as_mut() {
                    Some(slot) => {
                        let msg = info
                            .payload()
                            .downcast_ref::<&str>()
                            .map(|s| s.to_string())
                            .or_else(|| info.payload().downcast_ref::<String>().cloned())
                            .unwrap_or_else(|| "non-string panic".into());
                        let at = info
                            .location()
                            .map(|l| format!(" at {}:{}", l.file(), l.line()))
                            .unwrap_or_default();
                        *slot = Some(format!("{msg}{at}"));
                        true
                    }
                    None => false,
                }
            });
            if !captured {
                previous(info);
            }
        }));
    });
}

/// Runs one input, catching panics.
pub fn check(corpus: &Corpus, input: &Input) -> Verdict {
    guarded(|| corpus.execute(input))
}

fn guarded(f: impl FnOnce() -> Result<bool, String>) -> Verdict {
    install_hook();
    CAPTURE.with(|c| *c.borrow_mut() = Some(None));
    let r = catch_unwind(AssertUnwindSafe(f));
    let msg = CAPTURE.with(|c| c.borrow_mut().take().flatten());
    match r {
        Ok(Ok(true)) => Verdict::Accepted,
        Ok(Ok(false)) => Verdict::Rejected,
        Ok(Err(v)) => Verdict::Invariant(v),
        Err(_) => Verdict::Panic(msg.unwrap_or_else(|| "panic".into())),
    }
}

/// The numbers of one run of one target.
#[derive(Debug, Clone)]
pub struct Report {
    pub target: Target,
    pub seed: u64,
    pub inputs: u64,
    pub accepted: u64,
    /// At most [`MAX_FINDINGS`], lowest iterations first.
    pub findings: Vec<Finding>,
    /// Findings beyond those kept.
    pub more_findings: u64,
    pub wall: Duration,
    /// The slowest input: iteration and time.
    pub slowest: (u64, Duration),
}

impl Report {
    pub fn per_second(&self) -> f64 {
        let s = self.wall.as_secs_f64();
        if s > 0.0 {
            self.inputs as f64 / s
        } else {
            0.0
        }
    }
}

pub const MAX_FINDINGS: usize = 50;

/// Runs iterations `from..from + count` of the corpus's target on `threads` threads. The
/// inputs, and so the findings, do not depend on the thread count. `progress`, if given,
/// counts finished inputs as they go.
pub fn run(
    corpus: &Corpus,
    seed: u64,
    from: u64,
    count: u64,
    threads: usize,
    progress: Option<&AtomicU64>,
) -> Report {
    const BLOCK: u64 = 64;
    let next = AtomicU64::new(0);
    let merged = Mutex::new((0u64, Vec::<Finding>::new(), 0u64, (from, Duration::ZERO)));
    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| {
                let mut accepted = 0u64;
                let mut findings = Vec::new();
                let mut more = 0u64;
                let mut slowest = (from, Duration::ZERO);
                loop {
                    let b = next.fetch_add(BLOCK, Ordering::Relaxed);
                    if b >= count {
                        break;
                    }
                    for i in b..(b + BLOCK).min(count) {
                        let iter = from + i;
                        let t = Instant::now();
                        let input = corpus.generate(seed, iter);
                        let v = check(corpus, &input);
                        let took = t.elapsed();
                        if took > slowest.1 {
                            slowest = (iter, took);
                        }
                        let kind = match v {
                            Verdict::Accepted => {
                                accepted += 1;
                                None
                            }
                            Verdict::Rejected => None,
                            Verdict::Panic(m) => Some((FindingKind::Panic, m)),
                            Verdict::Invariant(m) => Some((FindingKind::Invariant, m)),
                        };
                        if let Some((kind, message)) = kind {
                            if findings.len() < MAX_FINDINGS {
                                findings.push(Finding {
                                    target: corpus.target(),
                                    seed,
                                    iter,
                                    kind,
                                    message,
                                    input,
                                });
                            } else {
                                more += 1;
                            }
                        }
                    }
                    if let Some(p) = progress {
                        p.fetch_add((b + BLOCK).min(count) - b, Ordering::Relaxed);
                    }
                }
                let mut m = merged.lock().unwrap_or_else(|e| e.into_inner());
                m.0 += accepted;
                m.1.extend(findings);
                m.2 += more;
                if slowest.1 > m.3 .1 {
                    m.3 = slowest;
                }
            });
        }
    });
    let (accepted, mut findings, mut more, slowest) =
        merged.into_inner().unwrap_or_else(|e| e.into_inner());
    findings.sort_by_key(|f| f.iter);
    if findings.len() > MAX_FINDINGS {
        more += u64::try_from(findings.len() - MAX_FINDINGS).unwrap_or(0);
        findings.truncate(MAX_FINDINGS);
    }
    Report {
        target: corpus.target(),
        seed,
        inputs: count,
        accepted,
        findings,
        more_findings: more,
        wall: start.elapsed(),
        slowest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_caught_with_its_message_and_place() {
        let v = guarded(|| panic!("boom {}", 7));
        let Verdict::Panic(m) = v else {
            panic!("not caught: {v:?}")
        };
        assert!(m.starts_with("boom 7 at src/fuzz/mod.rs:"), "{m}");
        assert_eq!(guarded(|| Ok(true)), Verdict::Accepted);
        assert_eq!(guarded(|| Ok(false)), Verdict::Rejected);
        assert_eq!(guarded(|| Err("x".into())), Verdict::Invariant("x".into()));
    }
}
