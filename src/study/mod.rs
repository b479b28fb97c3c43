//! Monte-Carlo studies: a scenario's fleet run as many independent shards (each a Sim
//! whose seed derives from the study seed and the shard index), aggregated per cell
//! (client × server × suite × handshake kind) in shard order so the thread count never
//! changes a number. Cells report a 95% Wilson interval and, where the mechanism has one,
//! the theoretical rate computed exactly from the group's prime.
//!
//! Shards are the unit of saving, resuming and distributing: a shard's result is a small
//! JSON file; merging the files of all shards gives byte-for-byte the whole study.
//!
//! Nothing is lost and no answer is silently wrong: saved shards live in a [`StateDir`]
//! that tlsim created, marked and locked; every shard result is validated before it is
//! used ([`ShardResult::validate`]); shard counts, threads and file sizes are bounded
//! ([`MAX_SHARDS`], [`MAX_THREADS`], [`MAX_SHARD_FILE_BYTES`]); and a panic in a shard —
//! even one the simulated network swallows inside a task — stops the study with
//! [`StudyError::Bug`] instead of becoming connection outcomes.
//!
//! As commands run them: [`Plan`] sizes a study from a connection count, with its shard
//! set ([`ShardSpec`]), what-ifs and state directories; [`merge_files`] merges shard files;
//! [`replay_from`] replays an id from its scenario; [`flagship`] is the study `tlsim` runs
//! without arguments; the report renders as text, JSON or CSV ([`ReportFormat`]).

mod check;
mod command;
mod files;
mod flagship;
mod plan;
mod render;
mod replay_id;
mod shard_spec;
mod state;

pub use check::{
    human_bytes, list_shards, read_capped, read_capped_file, MAX_SAVED_SHARD_BYTES, MAX_SHARDS,
    MAX_SHARD_FILE_BYTES, MAX_THREADS, SHARD_RESULT_BYTES,
};
pub use command::{default_threads, StudyCommand, StudyDone};
pub use files::{merge_files, read_shard_file};
pub use flagship::{Flagship, FlagshipReport, FLAGSHIP_FORMAT};
pub use plan::{Outputs, Plan, PlanOptions};
pub use render::{Counts, Pair, PairChange, ReportFormat, Totals, WhatIf, STUDY_FORMAT};
pub use replay_id::{ConnId, ReplayId};
pub use shard_spec::ShardSpec;
pub use state::{StateDir, LOCK, MARKER};

use crate::crypto::{binomial_interval, PublicEncoding};
use crate::engine::{HandshakeKind, Mechanism};
use crate::net::{run_fleet, ConnRecord};
use crate::profile::{LeadingZeros, Profile, Tls13Group};
use crate::scenario::Scenario;
use rand_core::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// What identifies a study: results of different studies never merge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StudyHeader {
    /// Scenario name (file stem), used in replay ids.
    pub scenario: String,
    /// SHA-256 of the scenario file's text.
    pub scenario_digest: String,
    pub seed: u64,
    pub shards: u32,
    /// The tlsim version that ran the shard: results of different versions never merge (the
    /// engine, its seeds or the theory may differ between them).
    pub tlsim: String,
}

/// This build's version, as shard results and state directories record it.
pub const TLSIM_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The format tag of a shard results file.
pub const SHARD_FILE_FORMAT: &str = "tlsim-shard-results/1";

/// A shard results file, as `tlsim study --shard i/n --out FILE` writes it: the results and
/// the scenario text they were run with (its digest is each result's `scenario_digest`), so
/// that `tlsim merge` anywhere rebuilds the whole run's report, theory and verdict
/// included, without the scenario file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardFile {
    /// Always [`SHARD_FILE_FORMAT`].
    pub format: String,
    /// The scenario's text, byte for byte.
    pub scenario_text: String,
    pub results: Vec<ShardResult>,
}

impl ShardFile {
    pub fn new(scenario_text: &str, results: Vec<ShardResult>) -> ShardFile {
        ShardFile {
            format: SHARD_FILE_FORMAT.into(),
            scenario_text: scenario_text.into(),
            results,
        }
    }

    /// Parse a shard results file and check its format, the tlsim version and the embedded
    /// scenario against every result's digest. Each result is then checked by the caller
    /// with [`ShardResult::validate`], after comparing headers across files. Errors say what
    /// is wrong without the file name (the caller adds it).
    pub fn parse(bytes: &[u8]) -> Result<ShardFile, String> {
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if first == Some(&b'[') {
            return Err(
                "a shard results file of an older tlsim (a bare list, without the \
                        scenario or the tlsim version): run those shards again with this tlsim"
                    .into(),
            );
        }
        let f: ShardFile =
            serde_json::from_slice(bytes).map_err(|e| format!("not a shard results file: {e}"))?;
        if f.format != SHARD_FILE_FORMAT {
            return Err(format!(
                "format {:?}, but this tlsim reads {SHARD_FILE_FORMAT:?}",
                f.format
            ));
        }
        let digest = scenario_digest(&f.scenario_text);
        for r in &f.results {
            if r.header.tlsim != TLSIM_VERSION {
                return Err(format!(
                    "shard {} was run by tlsim {}, this is tlsim {TLSIM_VERSION}: merge it with the tlsim that ran it",
                    r.shard, r.header.tlsim
                ));
            }
            if r.header.scenario_digest != digest {
                return Err(format!(
                    "shard {}: its scenario digest {} is not the digest {digest} of the scenario embedded in the file",
                    r.shard, r.header.scenario_digest
                ));
            }
        }
        Ok(f)
    }
}

/// (client, server, suite, handshake kind).
pub type CellKey = (String, String, String, CellKind);

/// What a cell counts beside its pair and suite: the handshake kind, and for an FTPS
/// transfer's connections the channel. Written as its label: the kind for TLS connections
/// ("full", "resumed", "resume-refused"), "channel kind" for the others ("ftps-data
/// resumed"); cells sort by that label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CellKind {
    pub channel: crate::net::Channel,
    pub handshake: HandshakeKind,
}

impl fmt::Display for CellKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.channel == crate::net::Channel::Tls {
            f.pad(self.handshake.name())
        } else {
            f.pad(&format!(
                "{} {}",
                self.channel.as_str(),
                self.handshake.name()
            ))
        }
    }
}

impl std::str::FromStr for CellKind {
    type Err = String;
    fn from_str(label: &str) -> Result<CellKind, String> {
        use crate::net::Channel;
        let (channel, kind) = match label.split_once(' ') {
            None => (Channel::Tls, label),
            Some((c, k)) => (
                [Channel::FtpsControl, Channel::FtpsData]
                    .into_iter()
                    .find(|ch| ch.as_str() == c)
                    .ok_or_else(|| format!("cell {label:?}: unknown channel {c:?}"))?,
                k,
            ),
        };
        let handshake = kind
            .parse()
            .map_err(|_| format!("cell {label:?}: unknown handshake kind {kind:?}"))?;
        Ok(CellKind { channel, handshake })
    }
}

impl Ord for CellKind {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.to_string().cmp(&other.to_string())
    }
}

impl PartialOrd for CellKind {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Serialize for CellKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CellKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<CellKind, D::Error> {
        let label = String::deserialize(d)?;
        label.parse().map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellAgg {
    pub attempts: u64,
    pub failures: u64,
    pub by_mechanism: BTreeMap<Mechanism, u64>,
    /// Replay ids of the first failures, in shard order.
    pub replay: Vec<String>,
    /// A digest of each replayed failure's outcome, to check replays against.
    pub replay_digest: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardResult {
    pub header: StudyHeader,
    pub shard: u32,
    pub connections: u64,
    pub cells: Vec<(CellKey, CellAgg)>,
}

/// What a study run reports while it runs (`tlsim` draws a progress bar): the library
/// prints nothing itself. `advance` is called from worker threads.
pub trait Progress: Sync {
    /// A run of `shards` shards, `connections` connections in all, of the study of scenario
    /// `label` starts.
    fn start(&self, shards: u64, connections: u64, label: &str) {
        let _ = (shards, connections, label);
    }
    /// One more shard is done (run, or loaded from the state directory), with these
    /// connections and failures.
    fn advance(&self, connections: u64, failures: u64) {
        let _ = (connections, failures);
    }
    /// The run ended, with or without an error.
    fn finish(&self) {}
    /// A note for the user beside the results (`tlsim` prints it on stderr unless `-q`):
    /// what a command wrote, recovered or could not model.
    fn note(&self, text: &str) {
        let _ = text;
    }
    /// A detail worth showing only when asked (`tlsim -v`): how long a run took.
    fn detail(&self, text: &str) {
        let _ = text;
    }
}

/// No progress shown.
impl Progress for () {}

/// A study: the scenario, its seed and shard count.
#[derive(Debug, Clone)]
pub struct Study {
    pub header: StudyHeader,
    pub scenario: Scenario,
    /// Failures per cell that keep a replay id.
    pub replay_per_cell: usize,
}

/// The seed of shard `i` of a study with `seed`.
pub fn shard_seed(seed: u64, shard: u32) -> u64 {
    crate::seed::rng_at(seed, crate::seed::Purpose::StudyShard, &[u64::from(shard)]).next_u64()
}

/// The digest of a scenario file's text that identifies a study's scenario.
pub fn scenario_digest(text: &str) -> String {
    crate::crypto::to_hex(&Sha256::digest(text.as_bytes())[..12])
}

/// Why a study stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StudyError {
    /// Bad input or an environment problem (a file that cannot be written, a saved shard
    /// that fails its checks): the user can act on the message.
    Input(String),
    /// A panic inside a shard (or a study worker): a bug in tlsim. The shard's outcomes are
    /// not reported, nor saved.
    Bug { shard: Option<u32>, message: String },
}

impl fmt::Display for StudyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StudyError::Input(m) => f.write_str(m),
            StudyError::Bug {
                shard: Some(s),
                message,
            } => write!(f, "tlsim bug: shard {s} panicked: {message}"),
            StudyError::Bug {
                shard: None,
                message,
            } => write!(f, "tlsim bug: a study worker panicked: {message}"),
        }
    }
}

impl std::error::Error for StudyError {}

impl From<String> for StudyError {
    fn from(m: String) -> StudyError {
        StudyError::Input(m)
    }
}

impl From<&str> for StudyError {
    fn from(m: &str) -> StudyError {
        StudyError::Input(m.to_string())
    }
}

impl From<StudyError> for String {
    fn from(e: StudyError) -> String {
        e.to_string()
    }
}

thread_local! {
    /// The first panic seen on this thread while it runs a shard, and how many there were
    /// (None outside shards).
    static SHARD_PANICS: RefCell<Option<(Option<String>, u64)>> = const { RefCell::new(None) };
}

/// Install (once) a panic hook that records panics on threads running a shard, so that a
/// panic the simulated network swallows (a task's panic becomes a JoinError there) still
/// stops the study. Outside shards it calls the previous hook; inside, it stays quiet
/// unless RUST_BACKTRACE asks for a backtrace, since the study reports the message.
fn watch_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let recorded = SHARD_PANICS
                .try_with(|cell| match cell.try_borrow_mut() {
                    Ok(mut slot) => match slot.as_mut() {
                        Some((first, count)) => {
                            *count = count.saturating_add(1);
                            if first.is_none() {
                                let msg = info
                                    .payload_as_str()
                                    .unwrap_or("(a non-text panic payload)");
                                *first = Some(match info.location() {
                                    Some(l) => format!(
                                        "{msg} (at {}:{}:{})",
                                        l.file(),
                                        l.line(),
                                        l.column()
                                    ),
                                    None => msg.to_string(),
                                });
                            }
                            true
                        }
                        None => false,
                    },
                    Err(_) => false,
                })
                .unwrap_or(false);
            let backtrace = std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0");
            if !recorded || backtrace {
                previous(info);
            }
        }));
    });
}

fn payload_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(a non-text panic payload)".into())
}

/// Run `f` as shard `shard`: any panic inside it — propagated, or caught and swallowed by
/// code below — becomes [`StudyError::Bug`].
fn guarded<T>(shard: u32, f: impl FnOnce() -> Result<T, String>) -> Result<T, StudyError> {
    watch_panics();
    SHARD_PANICS.with(|c| *c.borrow_mut() = Some((None, 0)));
    let r = std::panic::catch_unwind(AssertUnwindSafe(f));
    let (first, count) = SHARD_PANICS
        .with(|c| c.borrow_mut().take())
        .unwrap_or_default();
    let bug = |message: String| StudyError::Bug {
        shard: Some(shard),
        message,
    };
    match (r, first) {
        (_, Some(first)) if count > 1 => Err(bug(format!(
            "{first} (and {} more in this shard)",
            count - 1
        ))),
        (_, Some(first)) => Err(bug(first)),
        (Err(payload), None) => Err(bug(payload_text(payload.as_ref()))),
        (Ok(r), None) => r.map_err(StudyError::Input),
    }
}

/// A digest of an outcome (its JSON), for replay checks.
pub fn outcome_digest(o: &crate::engine::Outcome) -> String {
    let json = serde_json::to_vec(o).expect("an Outcome serialises");
    crate::crypto::to_hex(&Sha256::digest(&json)[..8])
}

impl Study {
    pub fn new(scenario: Scenario, scenario_text: &str, seed: u64, shards: u32) -> Study {
        let digest = scenario_digest(scenario_text);
        Study {
            header: StudyHeader {
                scenario: scenario.name.clone(),
                scenario_digest: digest,
                seed,
                shards,
                tlsim: TLSIM_VERSION.into(),
            },
            scenario,
            replay_per_cell: 5,
        }
    }

    /// Connections one shard runs (the scenario's workload), saturating at u64::MAX.
    pub fn per_shard(&self) -> u64 {
        self.try_per_shard().unwrap_or(u64::MAX)
    }

    /// Connections one shard runs, with the arithmetic checked.
    pub fn try_per_shard(&self) -> Result<u64, String> {
        let mut total: u64 = 0;
        for c in &self.scenario.fleet.clients {
            let n = u64::from(c.peers)
                .checked_mul(u64::from(c.connections))
                .and_then(|n| n.checked_mul(1 + u64::from(c.ftps_transfers)))
                .and_then(|n| total.checked_add(n))
                .ok_or_else(|| {
                    format!(
                        "client {:?}: {} peers × {} connections × (1 + {} FTPS transfers) overflows a 64-bit count",
                        c.label, c.peers, c.connections, c.ftps_transfers
                    )
                })?;
            total = n;
        }
        Ok(total)
    }

    /// The number of shards for `connections` in total (rounded up to whole shards of
    /// the scenario's workload), refused beyond [`MAX_SHARDS`] with the arithmetic.
    pub fn shards_for(&self, connections: u64) -> Result<u32, String> {
        let per = self.try_per_shard()?.max(1);
        let shards = connections.div_ceil(per).max(1);
        if shards > u64::from(MAX_SHARDS) {
            let max_conn = per.saturating_mul(u64::from(MAX_SHARDS));
            return Err(format!(
                "{connections} connections need {shards} shards of {per} connections (the \
                 scenario's workload per shard); the limit is {MAX_SHARDS} shards: a study keeps \
                 every shard's result in memory, about {} per cell, so {shards} shards × {} ≈ {} \
                 or more. Use at most {max_conn} --connections, or give the scenario a larger \
                 workload per shard (more peers or connections per peer)",
                human_bytes(u128::from(SHARD_RESULT_BYTES)),
                human_bytes(u128::from(SHARD_RESULT_BYTES)),
                human_bytes(u128::from(shards) * u128::from(SHARD_RESULT_BYTES))
            ));
        }
        u32::try_from(shards).map_err(|_| format!("{shards} shards do not fit a u32"))
    }

    /// The study of `connections` in total: as many shards of the scenario's workload as
    /// they need, rounded up ([`Study::shards_for`], the one place that sizes a study).
    pub fn sized(
        scenario: Scenario,
        scenario_text: &str,
        seed: u64,
        connections: u64,
    ) -> Result<Study, String> {
        let shards =
            Study::new(scenario.clone(), scenario_text, seed, 1).shards_for(connections)?;
        Ok(Study::new(scenario, scenario_text, seed, shards))
    }

    /// Run one shard's fleet, returning its records.
    pub fn shard_records(&self, shard: u32, record: bool) -> Result<Vec<ConnRecord>, String> {
        let mut fleet = self.scenario.fleet.clone();
        fleet.seed = shard_seed(self.header.seed, shard);
        fleet.record = record;
        run_fleet(&fleet)
    }

    /// The replay id of connection `r` of shard `shard`.
    pub fn replay_id_of(&self, shard: u32, r: &ConnRecord) -> ReplayId {
        ReplayId {
            scenario: self.header.scenario.clone(),
            seed: self.header.seed,
            shards: self.header.shards,
            shard,
            conn: ConnId {
                host: r.client_host.clone(),
                peer: r.peer,
                index: r.index,
            },
        }
    }

    pub fn replay_id(&self, shard: u32, r: &ConnRecord) -> String {
        self.replay_id_of(shard, r).to_string()
    }

    /// Run one shard and aggregate it.
    pub fn run_shard(&self, shard: u32) -> Result<ShardResult, String> {
        let records = self.shard_records(shard, false)?;
        let mut cells: BTreeMap<CellKey, CellAgg> = BTreeMap::new();
        for r in &records {
            let o = &r.outcome;
            let key = (
                r.client.clone(),
                r.server.clone(),
                o.suite.clone().unwrap_or_else(|| "-".into()),
                CellKind {
                    channel: r.channel,
                    handshake: o.handshake,
                },
            );
            let c = cells.entry(key).or_default();
            c.attempts += 1;
            if !o.ok() {
                c.failures += 1;
                // A failed outcome always names its mechanism (`engine::Verdict`); the
                // result's checks compare the counts.
                if let Some(m) = o.mechanism {
                    *c.by_mechanism.entry(m).or_default() += 1;
                }
                if c.replay.len() < self.replay_per_cell {
                    c.replay.push(self.replay_id(shard, r));
                    c.replay_digest.push(outcome_digest(o));
                }
            }
        }
        Ok(ShardResult {
            header: self.header.clone(),
            shard,
            connections: u64::try_from(records.len())
                .map_err(|_| format!("shard {shard}: {} connections", records.len()))?,
            cells: cells.into_iter().collect(),
        })
    }

    /// Run the shards in `which` on up to `threads` threads (never more threads than
    /// shards to run, nor more than [`MAX_THREADS`]). Finished shards are saved to `state`
    /// as they complete (so an interrupted study loses nothing); with `resume`, shards
    /// already saved there are loaded (and validated) instead of run; without, this
    /// study's saved results of the shards in `which` are removed first. Results come back
    /// in shard order whatever the thread count. A panic in a shard stops the study with
    /// [`StudyError::Bug`]; no other shard is started after an error.
    pub fn run(
        &self,
        which: &[u32],
        threads: usize,
        state: Option<&StateDir>,
        resume: bool,
        progress: &(dyn Fn(&ShardResult) + Sync),
    ) -> Result<Vec<ShardResult>, StudyError> {
        self.run_with(which, threads, state, resume, progress, &|i| {
            self.run_shard(i)
        })
    }

    /// [`Study::run`] reporting to `progress`: [`Progress::start`] with the shards to run
    /// and the scenario's name, [`Progress::advance`] as shards finish, then
    /// [`Progress::finish`], whether the run succeeded or not.
    pub fn run_shown(
        &self,
        which: &[u32],
        threads: usize,
        state: Option<&StateDir>,
        resume: bool,
        progress: &dyn Progress,
    ) -> Result<Vec<ShardResult>, StudyError> {
        let shards = u64::try_from(which.len()).unwrap_or(u64::MAX);
        let per_shard = self.try_per_shard().unwrap_or(0);
        progress.start(
            shards,
            shards.saturating_mul(per_shard),
            &self.header.scenario,
        );
        let res = self.run(which, threads, state, resume, &|r| {
            let failures = r.cells.iter().map(|(_, c)| c.failures).sum::<u64>();
            progress.advance(r.connections, failures)
        });
        progress.finish();
        res
    }

    /// [`Study::run`] with `shard` computing each shard's result (tests inject faults
    /// through it).
    pub fn run_with(
        &self,
        which: &[u32],
        threads: usize,
        state: Option<&StateDir>,
        resume: bool,
        progress: &(dyn Fn(&ShardResult) + Sync),
        shard: &(dyn Fn(u32) -> Result<ShardResult, String> + Sync),
    ) -> Result<Vec<ShardResult>, StudyError> {
        let mut unique = BTreeSet::new();
        for &i in which {
            if i >= self.header.shards {
                return Err(format!("shard {i} is outside 0..{}", self.header.shards).into());
            }
            if !unique.insert(i) {
                return Err(format!("shard {i} is listed twice").into());
            }
        }
        let mut done: BTreeMap<u32, ShardResult> = BTreeMap::new();
        if let Some(dir) = state {
            if resume {
                done = dir.load(which)?;
                done.values().for_each(progress);
            } else {
                dir.clear(which)?;
            }
        }
        let todo: Vec<u32> = which
            .iter()
            .copied()
            .filter(|i| !done.contains_key(i))
            .collect();
        let workers = threads.clamp(1, MAX_THREADS).min(todo.len());
        let next = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        let results: Vec<Result<ShardResult, StudyError>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..workers)
                .map(|worker| {
                    let (todo, next, stop) = (&todo, &next, &stop);
                    let spawned = std::thread::Builder::new()
                        .name(format!("tlsim-shards-{worker}"))
                        .spawn_scoped(s, move || {
                            let mut out = Vec::new();
                            while !stop.load(Ordering::SeqCst) {
                                let k = next.fetch_add(1, Ordering::SeqCst);
                                let Some(&i) = todo.get(k) else { break };
                                let r = guarded(i, || shard(i)).and_then(|res| {
                                    self.check_result(i, &res)?;
                                    if let Some(dir) = state {
                                        dir.save(&res, worker)?;
                                    }
                                    Ok(res)
                                });
                                match &r {
                                    Ok(res) => progress(res),
                                    Err(_) => stop.store(true, Ordering::SeqCst),
                                }
                                out.push(r);
                            }
                            out
                        });
                    if spawned.is_err() {
                        stop.store(true, Ordering::SeqCst);
                    }
                    spawned
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| match h {
                    Ok(h) => h.join().unwrap_or_else(|p| {
                        vec![Err(StudyError::Bug {
                            shard: None,
                            message: payload_text(p.as_ref()),
                        })]
                    }),
                    Err(e) => vec![Err(StudyError::Input(format!(
                        "cannot start a worker thread ({e}); try fewer --threads"
                    )))],
                })
                .collect()
        });
        let mut errors: Vec<StudyError> = Vec::new();
        for r in results {
            match r {
                Ok(r) => {
                    done.insert(r.shard, r);
                }
                Err(e) => errors.push(e),
            }
        }
        // Report a bug before bad input, and the lowest shard first.
        errors.sort_by_key(|e| match e {
            StudyError::Bug { shard, .. } => (0, *shard),
            StudyError::Input(_) => (1, None),
        });
        if let Some(e) = errors.into_iter().next() {
            return Err(e);
        }
        Ok(done.into_values().collect())
    }

    /// A freshly computed shard result must be of this study and shard, and pass its
    /// checks; anything else is a bug.
    fn check_result(&self, shard: u32, r: &ShardResult) -> Result<(), StudyError> {
        let bug = |message: String| StudyError::Bug {
            shard: Some(shard),
            message,
        };
        if r.header != self.header || r.shard != shard {
            return Err(bug(format!(
                "the result is of shard {} of {}",
                r.shard,
                r.header.describe()
            )));
        }
        r.validate()
            .map_err(|e| bug(format!("its result fails its checks: {e}")))
    }
}

/// One cell of the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellReport {
    pub client: String,
    pub server: String,
    pub suite: String,
    pub handshake: CellKind,
    pub attempts: u64,
    pub successes: u64,
    pub failures: u64,
    pub by_mechanism: BTreeMap<Mechanism, u64>,
    pub rate: f64,
    pub ci95: [f64; 2],
    /// Theoretical failure rate from the group's prime, where the mechanism has one.
    pub theory: Option<f64>,
    /// Whether the failure count lies in the 99.9% binomial interval of the theory.
    pub verdict: Option<String>,
    pub replay: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyReport {
    pub scenario: String,
    pub seed: u64,
    pub connections: u64,
    pub shards: u32,
    pub cells: Vec<CellReport>,
}

/// The 95% Wilson score interval for `k` successes in `n` trials.
pub fn wilson95(k: u64, n: u64) -> [f64; 2] {
    if n == 0 {
        return [0.0, 1.0];
    }
    let z = 1.959_963_984_540_054_f64;
    let (n, p) = (n as f64, k as f64 / n as f64);
    let denom = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denom;
    [(centre - half).max(0.0), (centre + half).min(1.0)]
}

/// The theoretical failure rate of a full DHE handshake between two profiles: M1 (the
/// peers treat Z's leading zero byte differently), M2 (the server sends a short Ys and
/// the client rejects it) and M3 (the client sends a short Yc and the server rejects
/// it), each happening when a uniformly distributed element of g's subgroup has a zero
/// top byte, with probability `leading_zero_probability()` computed from p; the three
/// events are independent (Ys, Yc and Z come from independent exponents), so the rate
/// is 1 − (1 − p2)(1 − p3)(1 − p1). Other cells have no theory (None).
///
/// The rules are the engine's own: [`Profile::negotiates_ems`], [`Profile::premaster_encoding`],
/// [`Profile::public_encoding`] and [`Profile::accepts_short_public`].
pub fn theory(
    client: &Profile,
    server: &Profile,
    suite: &str,
    handshake: HandshakeKind,
) -> Option<f64> {
    if crate::profile::tls13_suite_by_name(suite).is_some() {
        // A TLS 1.3 cell: the FFDHE Z mismatch, on the one group the pair has in common
        // (with several, the server's choice decides, and the cell does not say which).
        if handshake == HandshakeKind::Resumed {
            return None;
        }
        let common: Vec<Tls13Group> = client
            .tls13_groups
            .iter()
            .copied()
            .filter(|g| server.tls13_groups.contains(g))
            .collect();
        return match common.as_slice() {
            [g] => tls13_ffdhe_theory(client, server, *g),
            _ => None,
        };
    }
    let info = crate::wire::suite_by_name(suite)?;
    if !info.is_dhe() || handshake == HandshakeKind::Resumed {
        return None;
    }
    let group = server.server_dh_group().ok()?;
    let pz = group.leading_zero_probability();
    let ems = server.negotiates_ems(client.ems_offer);
    let p1 = if client.premaster_encoding(ems) != server.premaster_encoding(ems) {
        pz
    } else {
        0.0
    };
    let p2 = if server.public_encoding(false) == PublicEncoding::Minimal
        && !client.accepts_short_public(true)
    {
        pz
    } else {
        0.0
    };
    let p3 = if client.public_encoding(true) == PublicEncoding::Minimal
        && !server.accepts_short_public(false)
    {
        pz
    } else {
        0.0
    };
    Some(1.0 - (1.0 - p1) * (1.0 - p2) * (1.0 - p3))
}

/// The theoretical failure rate of a full TLS 1.3 handshake on `group` from the FFDHE Z
/// encoding alone: RFC 8446 §7.4.1 pads Z to the length of p; a peer that strips it
/// instead (Java before JDK-8328046, openssl/openssl issue 23728) derives other handshake
/// keys exactly when Z has a zero top byte, with probability
/// [`DhGroup::leading_zero_probability`](crate::crypto::DhGroup::leading_zero_probability)
/// computed from p. 0 when both sides encode Z alike, None for an elliptic-curve group.
/// The encodings are [`Profile::tls13_z_encoding`], the engine's own reading.
pub fn tls13_ffdhe_theory(client: &Profile, server: &Profile, group: Tls13Group) -> Option<f64> {
    let id = group.ffdhe()?;
    if client.tls13_z_encoding() == server.tls13_z_encoding() {
        return Some(0.0);
    }
    Some(id.leading_zero_probability())
}

/// Merge shard results into the report. Every shard result is validated
/// ([`ShardResult::validate`]) and must be of the first one's study; every shard
/// 0..shards must be present exactly once; all sums are checked.
pub fn merge(
    results: &[ShardResult],
    scenario: Option<&Scenario>,
    replay_per_cell: usize,
) -> Result<StudyReport, String> {
    let first = results.first().ok_or("no shard results to merge")?;
    let header = first.header.clone();
    let mut seen: BTreeSet<u32> = BTreeSet::new();
    let mut sorted: Vec<&ShardResult> = results.iter().collect();
    sorted.sort_by_key(|r| r.shard);
    // Per cell: its totals, and the replay ids and digests of its first failures.
    let mut cells: BTreeMap<CellKey, (Totals, Vec<String>, Vec<String>)> = BTreeMap::new();
    let mut connections: u64 = 0;
    let overflow = |what: &str| format!("the merged {what} overflow a 64-bit count");
    for r in sorted {
        if r.header != header {
            return Err(format!(
                "shard {} belongs to another study than the first result: {}",
                r.shard,
                r.header.difference(&header, "this shard", "first result")
            ));
        }
        r.validate()?;
        if !seen.insert(r.shard) {
            return Err(format!("shard {} given twice", r.shard));
        }
        connections = connections
            .checked_add(r.connections)
            .ok_or_else(|| overflow("connections"))?;
        for (k, c) in &r.cells {
            let (totals, replay, digests) = cells.entry(k.clone()).or_default();
            totals
                .checked_add(c.attempts, c.failures, &c.by_mechanism)
                .map_err(overflow)?;
            for (id, d) in c.replay.iter().zip(&c.replay_digest) {
                if replay.len() < replay_per_cell {
                    replay.push(id.clone());
                    digests.push(d.clone());
                }
            }
        }
    }
    let have = u32::try_from(seen.len()).unwrap_or(u32::MAX);
    if have != header.shards {
        let missing: BTreeSet<u32> = (0..header.shards)
            .filter(|i| !seen.contains(i))
            .take(20)
            .collect();
        let n = header.shards - have;
        let list = list_shards(&missing);
        return Err(if n > 20 {
            format!(
                "missing shards: {list}, … ({n} of {} missing)",
                header.shards
            )
        } else {
            format!("missing shards: {list} of {}", header.shards)
        });
    }
    let profile = |label: &str, server: bool| -> Option<Profile> {
        let sc = scenario?;
        if server {
            sc.fleet
                .servers
                .iter()
                .find(|s| s.label == label)
                .map(|s| (*s.profile).clone())
        } else {
            sc.fleet
                .clients
                .iter()
                .find(|c| c.label == label)
                .map(|c| (*c.profile).clone())
        }
    };
    let cells = cells
        .into_iter()
        .map(|((client, server, suite, handshake), (a, replay, _))| {
            let th = match (profile(&client, false), profile(&server, true)) {
                (Some(c), Some(s)) => theory(&c, &s, &suite, handshake.handshake),
                _ => None,
            };
            let verdict = th.map(|p| {
                let (lo, hi) = binomial_interval(a.attempts, p, 0.999);
                if (lo..=hi).contains(&a.failures) {
                    "consistent"
                } else {
                    "inconsistent"
                }
                .to_string()
            });
            CellReport {
                rate: if a.attempts == 0 {
                    0.0
                } else {
                    a.failures as f64 / a.attempts as f64
                },
                ci95: wilson95(a.failures, a.attempts),
                successes: a.attempts - a.failures,
                client,
                server,
                suite,
                handshake,
                attempts: a.attempts,
                failures: a.failures,
                by_mechanism: a.by_mechanism,
                theory: th,
                verdict,
                replay,
            }
        })
        .collect();
    Ok(StudyReport {
        scenario: header.scenario,
        seed: header.seed,
        connections,
        shards: header.shards,
        cells,
    })
}

/// The what-if variants of `--compare`: name and what each changes on every peer.
pub const VARIANTS: [(&str, &str); 5] = [
    ("no-dhe", "remove TLS_DHE_* from the clients' suite lists"),
    ("ems-on", "enable the Extended Master Secret on both sides"),
    (
        "tls13",
        "enable TLS 1.3 on both sides, on every peer whose build has it (Windows before \
         Windows 11 / Server 2022 and OpenSSL 1.0.x stay as they are)",
    ),
    ("strip-zeros", "every peer strips Z's leading zero bytes"),
    ("pad-publics", "every peer pads its DH public values"),
];

/// What what-if `name` changes ("" for an unknown name).
pub fn variant_what(name: &str) -> &'static str {
    VARIANTS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or("", |(_, w)| w)
}

/// A what-if variant of a scenario: an overlay applied to every peer.
pub fn variant(sc: &Scenario, name: &str) -> Result<Scenario, String> {
    variant_with_notes(sc, name).map(|(v, _)| v)
}

/// [`variant`], with notes on what it had to decide beyond its rule: `no-dhe` gives a
/// client whose every suite is DHE the ECDHE suites with the same ciphers instead (what an
/// administrator who removes DHE from such a client has to enable), and says so.
pub fn variant_with_notes(sc: &Scenario, name: &str) -> Result<(Scenario, Vec<String>), String> {
    let mut v = sc.clone();
    let mut notes = Vec::new();
    if name == "no-dhe" {
        for c in &mut v.fleet.clients {
            let is_dhe = |s: &crate::wire::CipherSuite| {
                crate::wire::suite_info(*s).is_some_and(|i| i.is_dhe())
            };
            if c.profile.client_suites.is_empty() || !c.profile.client_suites.iter().all(is_dhe) {
                continue;
            }
            let mut p = (*c.profile).clone();
            let mut instead = Vec::new();
            for s in &p.client_suites {
                let ecdhe = crate::wire::suite_info(*s)
                    .and_then(|i| crate::wire::suite_by_name(&i.iana.replace("_DHE_", "_ECDHE_")));
                if let Some(e) = ecdhe {
                    if !instead.contains(&e.suite) {
                        instead.push(e.suite);
                    }
                }
            }
            if instead.is_empty() {
                continue;
            }
            let names: Vec<&str> = instead
                .iter()
                .filter_map(|s| crate::wire::suite_info(*s).map(|i| i.iana))
                .collect();
            notes.push(format!(
                "client {} offers only DHE suites; no-dhe gives it {} instead (the ECDHE \
                 suite with the same cipher)",
                c.label,
                names.join(", ")
            ));
            p.client_suites = instead;
            c.profile = Arc::new(p);
        }
    }
    if name == "tls13" {
        notes = tls13_what_if(&mut v);
    }
    let edit = |f: &dyn Fn(&mut Profile), v: &mut Scenario| {
        for c in &mut v.fleet.clients {
            let mut p = (*c.profile).clone();
            f(&mut p);
            c.profile = Arc::new(p);
        }
        for s in &mut v.fleet.servers {
            let mut p = (*s.profile).clone();
            f(&mut p);
            s.profile = Arc::new(p);
        }
    };
    match name {
        // Microsoft's workaround 1: remove TLS_DHE_* from the clients' lists.
        "no-dhe" => edit(
            &|p| {
                p.client_suites
                    .retain(|s| !crate::wire::suite_info(*s).is_some_and(|i| i.is_dhe()))
            },
            &mut v,
        ),
        // Workaround 2: enable the extended master secret on both sides.
        "ems-on" => edit(
            &|p| {
                p.ems_offer = true;
                p.ems_negotiate = true;
            },
            &mut v,
        ),
        // Done above, peer by peer: only builds that have TLS 1.3 can turn it on.
        "tls13" => {}
        // Every peer strips Z's leading zeros (the KB4557473 fix everywhere).
        "strip-zeros" => edit(&|p| p.premaster_leading_zeros = LeadingZeros::Strip, &mut v),
        // Every peer pads its DH public values.
        "pad-publics" => edit(
            &|p| {
                p.public_value_encoding = PublicEncoding::Padded;
                p.client_public_value_encoding = None;
            },
            &mut v,
        ),
        other => {
            let names: Vec<&str> = VARIANTS.iter().map(|(n, _)| *n).collect();
            return Err(format!(
                "unknown variant {other:?}; variants: {}",
                names.join(", ")
            ));
        }
    }
    // A what-if that leaves a client nothing to offer is not a study of that client: say so
    // rather than run ClientHellos no real stack would send.
    if let Some(c) = v
        .fleet
        .clients
        .iter()
        .find(|c| !c.profile.client_issues().is_empty())
    {
        let why: Vec<String> = c
            .profile
            .client_issues()
            .into_iter()
            .map(|(k, m)| format!("{k}: {m}"))
            .collect();
        return Err(format!(
            "what-if {name}: client {} ({}) could not connect at all: {}",
            c.label,
            c.profile.name,
            why.join("; ")
        ));
    }
    v.name = format!("{}+{name}", sc.name);
    Ok((v, notes))
}

/// Why a peer cannot turn TLS 1.3 on by configuration, or None when it can: a Windows
/// build before Windows 11 / Server 2022 (the catalogue's build entry at RTM has no
/// `tls1.3`: Microsoft Learn "Protocols in TLS/SSL (Schannel SSP)"; Windows 10 had it on
/// only in Insider Preview builds), OpenSSL 1.0.x (TLS 1.3 arrived in OpenSSL 1.1.1) and
/// Java 8 as catalogued (8u161; TLS 1.3 is JDK 11's, JEP 332).
/// A peer that already enables TLS 1.3 in one role can in the other.
pub fn tls13_unavailable(p: &Profile, windows_build: Option<&str>) -> Option<String> {
    use crate::profile::Stack;
    if p.tls13(true) || p.tls13(false) {
        return None;
    }
    if let Some(b) = windows_build {
        let cat = crate::profile::catalogue::catalogue();
        let has = cat
            .resolve(b)
            .is_ok_and(|r| r.profile.tls13(true) || r.profile.tls13(false));
        return (!has).then(|| {
            format!(
                "Windows build {b} has no TLS 1.3 (Schannel enables it from Windows 11 / \
                 Server 2022 on; Windows 10 only in Insider Preview builds)"
            )
        });
    }
    match p.stack {
        Stack::Schannel => {
            Some("a Schannel profile without a Windows build that enables TLS 1.3".to_string())
        }
        Stack::OpenSsl10 => Some("OpenSSL 1.0.x has no TLS 1.3 (added in OpenSSL 1.1.1)".into()),
        // JEP 332 (https://openjdk.org/jeps/332) delivered TLS 1.3 in JDK 11; the Java 8
        // backport came with 8u261 (2020-07), after the catalogue's 8u161.
        Stack::Jsse if p.name.starts_with("java-8") => Some(
            "Java 8 before 8u261 has no TLS 1.3 (JEP 332 delivered it in JDK 11; \
             unverified: the backport's first Java 8 update, 8u261)"
                .into(),
        ),
        _ => None,
    }
}

/// The `tls13` what-if: every peer that can adds `tls1.3` to its client and server
/// versions (an administrator's change: a registry key on Windows 11 / Server 2022, a
/// configuration line elsewhere); the others stay, and the notes name them and why.
fn tls13_what_if(v: &mut Scenario) -> Vec<String> {
    use crate::profile::TlsVersion;
    let mut kept: Vec<(String, String)> = Vec::new();
    let mut turn_on = |label: &str, profile: &mut Arc<Profile>, build: Option<&str>| {
        if let Some(why) = tls13_unavailable(profile, build) {
            let who = format!("{label} ({})", profile.name);
            if !kept.iter().any(|(w, _)| *w == who) {
                kept.push((who, why));
            }
            return;
        }
        let mut p = (**profile).clone();
        for vs in [&mut p.client_versions, &mut p.server_versions] {
            if !vs.contains(&TlsVersion::Tls13) {
                vs.push(TlsVersion::Tls13);
            }
        }
        *profile = Arc::new(p);
    };
    for (i, c) in v.fleet.clients.iter_mut().enumerate() {
        let build = v.windows_builds.clients.get(i).cloned().flatten();
        turn_on(
            &format!("client {}", c.label),
            &mut c.profile,
            build.as_deref(),
        );
    }
    for (i, s) in v.fleet.servers.iter_mut().enumerate() {
        let build = v.windows_builds.servers.get(i).cloned().flatten();
        turn_on(
            &format!("server {}", s.label),
            &mut s.profile,
            build.as_deref(),
        );
    }
    kept.into_iter()
        .map(|(who, why)| format!("{who} keeps its versions: {why}"))
        .collect()
}

/// Re-run the shard of a replay id with wire recording and return that connection. The
/// shard runs from its start, so the connection sees exactly the session state (caches,
/// reused keys, earlier connections) it depended on in the study. A panic while it runs
/// is [`StudyError::Bug`].
pub fn replay(study: &Study, shard: u32, conn: &str) -> Result<ConnRecord, StudyError> {
    if shard >= study.header.shards {
        return Err(format!("shard {shard} is outside 0..{}", study.header.shards).into());
    }
    let records = guarded(shard, || study.shard_records(shard, true))?;
    records
        .into_iter()
        .find(|r| format!("{}.{}.{}", r.client_host, r.peer, r.index) == conn)
        .ok_or_else(|| format!("no connection {conn:?} in shard {shard}").into())
}

/// [`replay`] of a parsed id, which must be of this study: the scenario's name, the seed
/// and the shard count must all match.
pub fn replay_id(study: &Study, id: &ReplayId) -> Result<ConnRecord, StudyError> {
    let h = &study.header;
    if id.scenario != h.scenario {
        return Err(format!(
            "replay id {id} is of scenario {}, but the scenario given is {}; pass --scenario \
             with the file the study ran",
            id.scenario, h.scenario
        )
        .into());
    }
    if id.seed != h.seed || id.shards != h.shards {
        return Err(format!(
            "replay id {id} is of seed {} and {} shards, not seed {} and {} shards",
            id.seed, id.shards, h.seed, h.shards
        )
        .into());
    }
    replay(study, id.shard, &id.conn.to_string())
}

/// What `tlsim replay` of a text report's ids needs besides the id, as note lines (empty
/// when nothing): `--scenario` when the study's scenario (`scenario`, with text
/// `scenario_text`) is neither `scenarios/<name>.toml` nor the built-in scenario of that
/// name, and the same overlay options when the study ran with command-line overlays.
pub fn replay_needs(
    report: &StudyReport,
    scenario: &std::path::Path,
    scenario_text: &str,
    command_line_overlays: bool,
) -> String {
    let mut s = String::new();
    if report.cells.iter().all(|c| c.replay.is_empty()) {
        return s;
    }
    let base = crate::scenario::overlays::base_name(&report.scenario);
    let default_path = std::path::PathBuf::from(format!("scenarios/{base}.toml"));
    if scenario != default_path && crate::scenario::builtin(base) != Some(scenario_text) {
        s.push_str(&format!(
            "(the scenario is not scenarios/{base}.toml: add `--scenario {}` to tlsim replay)\n",
            scenario.display()
        ));
    }
    if command_line_overlays {
        s.push_str(
            "(the study ran with command-line overlays: give tlsim replay the same --registry \
             and --cipher-order options)\n",
        );
    }
    s
}

/// Re-run the connection of replay id `id` from the scenario that ran it: `scenario`, or by
/// default `scenarios/<name>.toml` (here, or the built-in scenario of that name), with the
/// command-line overlays the study ran with. The scenario's name must be the id's (an
/// overlaid study's name carries the overlays' digest); then [`replay_id`].
pub fn replay_from(
    id: &ReplayId,
    scenario: Option<&std::path::Path>,
    overlays: &crate::scenario::OverlayFiles,
) -> Result<ConnRecord, StudyError> {
    use crate::scenario::overlays::base_name;
    let path = scenario.map_or_else(
        || std::path::PathBuf::from(format!("scenarios/{}.toml", base_name(&id.scenario))),
        std::path::Path::to_path_buf,
    );
    let (sc, text) = crate::scenario::open_with_overlays(&path, overlays)?;
    if sc.name != id.scenario {
        let hint = if base_name(&sc.name) == base_name(&id.scenario) {
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
    replay_id(&Study::new(sc, &text, id.seed, id.shards), id)
}

#[cfg(test)]
mod tls13_theory_tests {
    use super::*;
    use crate::crypto::{DhGroup, GroupId};
    use crate::profile::Tls13FfdheZ;

    fn peer(z: Tls13FfdheZ, groups: &[Tls13Group]) -> Profile {
        Profile {
            tls13_ffdhe_z: z,
            tls13_groups: groups.to_vec(),
            ..Profile::default()
        }
    }

    #[test]
    fn one_stripping_side_fails_at_the_leading_zero_rate_of_p() {
        use Tls13FfdheZ::{Pad, Strip};
        let g = [Tls13Group::Ffdhe2048, Tls13Group::Ffdhe3072];
        let (java, openssl) = (peer(Strip, &g), peer(Pad, &g));
        for (tg, id) in [
            (Tls13Group::Ffdhe2048, GroupId::Ffdhe2048),
            (Tls13Group::Ffdhe3072, GroupId::Ffdhe3072),
        ] {
            let want = DhGroup::named(id).leading_zero_probability();
            assert_eq!(tls13_ffdhe_theory(&java, &openssl, tg), Some(want));
            assert_eq!(tls13_ffdhe_theory(&openssl, &java, tg), Some(want));
            // RFC 7919 primes have their top 64 bits set: Pr[Z < 2^(8(L-1))] is 1/256 to
            // f64 precision (the exact rational is 2^(8(L-1)) / p).
            assert!((want - 1.0 / 256.0).abs() < 1e-15, "{want}");
            assert_eq!(tls13_ffdhe_theory(&java, &java, tg), Some(0.0));
            assert_eq!(tls13_ffdhe_theory(&openssl, &openssl, tg), Some(0.0));
        }
        assert_eq!(
            tls13_ffdhe_theory(&java, &openssl, Tls13Group::X25519),
            None
        );
    }

    #[test]
    fn a_tls13_cell_has_the_ffdhe_theory_only_on_its_one_common_group() {
        use Tls13FfdheZ::{Pad, Strip};
        let pz = DhGroup::named(GroupId::Ffdhe2048).leading_zero_probability();
        let client = peer(Strip, &[Tls13Group::Ffdhe2048]);
        let server = peer(Pad, &[Tls13Group::X25519, Tls13Group::Ffdhe2048]);
        let full = HandshakeKind::Full;
        assert_eq!(
            theory(&client, &server, "TLS_AES_256_GCM_SHA384", full),
            Some(pz)
        );
        assert_eq!(
            theory(
                &client,
                &server,
                "TLS_AES_256_GCM_SHA384",
                HandshakeKind::Resumed
            ),
            None
        );
        // Two groups in common: the server's choice decides, and the cell does not say.
        let client2 = peer(Strip, &[Tls13Group::X25519, Tls13Group::Ffdhe2048]);
        assert_eq!(
            theory(&client2, &server, "TLS_AES_128_GCM_SHA256", full),
            None
        );
        // An elliptic curve as the one common group: no Z mismatch.
        let ec = peer(Strip, &[Tls13Group::X25519]);
        assert_eq!(theory(&ec, &server, "TLS_AES_128_GCM_SHA256", full), None);
    }
}
