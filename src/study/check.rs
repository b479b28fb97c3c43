//! Limits, bounded reads and the checks every shard result passes before it is used
//! (merged, resumed from a state directory, or read by `tlsim merge`).

use super::{ReplayId, ShardResult, StudyHeader};
use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;

/// The most shards a study may have. A study keeps every shard's result in memory (about
/// [`SHARD_RESULT_BYTES`] per cell), and `merge` keeps one flag per shard.
pub const MAX_SHARDS: u32 = 1_000_000;
/// Rough in-memory size of one cell of one shard result (four strings of the key, the
/// mechanism map, up to five replay ids and digests), for the messages that refuse work.
pub const SHARD_RESULT_BYTES: u64 = 1024;
/// The most worker threads a study starts (never more than it has shards to run).
pub const MAX_THREADS: usize = 1024;
/// The largest shard results file `tlsim merge` reads.
pub const MAX_SHARD_FILE_BYTES: u64 = 1 << 30;
/// The largest saved shard file (one shard's result) a resumed study reads.
pub const MAX_SAVED_SHARD_BYTES: u64 = 64 << 20;

/// "1.5 GB", "12 KB", for the arithmetic in refusals.
pub fn human_bytes(n: u128) -> String {
    const UNITS: [&str; 7] = ["bytes", "KB", "MB", "GB", "TB", "PB", "EB"];
    let mut unit = 0;
    let mut scaled = n;
    while scaled >= 10_000 && unit + 1 < UNITS.len() {
        scaled /= 1000;
        unit += 1;
    }
    format!("{scaled} {}", UNITS[unit])
}

/// Read a regular file of at most `limit` bytes. Devices, FIFOs and directories are
/// refused without reading; a file larger than the limit is refused by its size, and a
/// file that grows while it is read stops being read at `limit + 1` bytes.
pub fn read_capped(path: &Path, limit: u64, what: &str) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    check_regular(path, &meta, limit, what)?;
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    read_capped_file(file, path, limit, what)
}

/// [`read_capped`] on a file the caller opened (e.g. non-blocking, so that a path
/// replaced by a FIFO cannot hang the open): checks the open file's kind and size, then
/// reads at most `limit + 1` bytes.
pub fn read_capped_file(
    file: std::fs::File,
    path: &Path,
    limit: u64,
    what: &str,
) -> Result<Vec<u8>, String> {
    let meta = file
        .metadata()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    check_regular(path, &meta, limit, what)?;
    let mut buf = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let len = u64::try_from(buf.len()).unwrap_or(u64::MAX);
    if len > limit {
        return Err(too_big(path, len, limit, what));
    }
    Ok(buf)
}

fn too_big(path: &Path, len: u64, limit: u64, what: &str) -> String {
    format!(
        "{} is {len} bytes ({}), over the limit of {limit} bytes ({}) for {what}",
        path.display(),
        human_bytes(u128::from(len)),
        human_bytes(u128::from(limit))
    )
}

fn check_regular(
    path: &Path,
    meta: &std::fs::Metadata,
    limit: u64,
    what: &str,
) -> Result<(), String> {
    if !meta.is_file() {
        let kind = if meta.is_dir() {
            "a directory"
        } else {
            "a device, FIFO or socket"
        };
        return Err(format!(
            "{} is not a regular file ({kind}); expected {what}",
            path.display()
        ));
    }
    if meta.len() > limit {
        return Err(too_big(path, meta.len(), limit, what));
    }
    Ok(())
}

impl ShardResult {
    /// Check a shard result on its own: its header is in range, its shard index lies
    /// within the header's shards, every cell has failures ≤ attempts, mechanism counts
    /// that add up to the failures, as many replay digests as replay ids (each id naming
    /// this study and shard), cells in strictly increasing key order, and `connections`
    /// equals the sum of the attempts. The error names the field.
    pub fn validate(&self) -> Result<(), String> {
        let h = &self.header;
        if h.shards == 0 || h.shards > super::MAX_SHARDS {
            return Err(format!(
                "header.shards {} is outside the limit 1..={} (a study keeps every shard's result in memory)",
                h.shards,
                super::MAX_SHARDS
            ));
        }
        if self.shard >= h.shards {
            return Err(format!(
                "shard {} is outside 0..{} (header.shards)",
                self.shard, h.shards
            ));
        }
        let mut attempts: u64 = 0;
        let mut previous: Option<&super::CellKey> = None;
        for (key, c) in &self.cells {
            let cell = || {
                format!(
                    "shard {}, cell ({}, {}, {}, {})",
                    self.shard, key.0, key.1, key.2, key.3
                )
            };
            if previous.is_some_and(|p| p >= key) {
                return Err(format!("{}: cells out of order or repeated", cell()));
            }
            previous = Some(key);
            if c.failures > c.attempts {
                return Err(format!(
                    "{}: failures {} > attempts {}",
                    cell(),
                    c.failures,
                    c.attempts
                ));
            }
            let mut by_mech: u64 = 0;
            for n in c.by_mechanism.values() {
                by_mech = by_mech
                    .checked_add(*n)
                    .ok_or_else(|| format!("{}: by_mechanism counts overflow", cell()))?;
            }
            if by_mech != c.failures {
                return Err(format!(
                    "{}: by_mechanism counts add up to {by_mech}, not failures {}",
                    cell(),
                    c.failures
                ));
            }
            if c.replay.len() != c.replay_digest.len() {
                return Err(format!(
                    "{}: {} replay ids but {} replay_digest entries",
                    cell(),
                    c.replay.len(),
                    c.replay_digest.len()
                ));
            }
            if u64::try_from(c.replay.len()).map_or(true, |n| n > c.failures) {
                return Err(format!(
                    "{}: {} replay ids for {} failures",
                    cell(),
                    c.replay.len(),
                    c.failures
                ));
            }
            for id in &c.replay {
                let parsed: ReplayId = id.parse().map_err(|e| format!("{}: {e}", cell()))?;
                if parsed.scenario != h.scenario
                    || parsed.seed != h.seed
                    || parsed.shards != h.shards
                    || parsed.shard != self.shard
                {
                    return Err(format!(
                        "{}: replay id {id:?} is not of this study and shard (seed {}, {} \
                         shards, shard {} in the header)",
                        cell(),
                        h.seed,
                        h.shards,
                        self.shard
                    ));
                }
            }
            attempts = attempts
                .checked_add(c.attempts)
                .ok_or_else(|| format!("shard {}: attempts overflow", self.shard))?;
        }
        if attempts != self.connections {
            return Err(format!(
                "shard {}: connections {} is not the sum of the cells' attempts ({attempts})",
                self.shard, self.connections
            ));
        }
        Ok(())
    }
}

impl StudyHeader {
    /// "scenario m1 (digest …), seed 1, 5 shards", for messages.
    pub fn describe(&self) -> String {
        format!(
            "{} (scenario digest {}), seed {}, {} shards",
            self.scenario, self.scenario_digest, self.seed, self.shards
        )
    }

    /// The fields that differ from `other`, each value labelled: with labels "saved" and
    /// "this study", "seed 11 (saved) vs 12 (this study)".
    pub fn difference(&self, other: &StudyHeader, mine: &str, theirs: &str) -> String {
        let mut d = Vec::new();
        let mut field = |name: &str, a: String, b: String| {
            if a != b {
                d.push(format!("{name} {a} ({mine}) vs {b} ({theirs})"));
            }
        };
        field("scenario", self.scenario.clone(), other.scenario.clone());
        field(
            "scenario digest",
            self.scenario_digest.clone(),
            other.scenario_digest.clone(),
        );
        field("seed", self.seed.to_string(), other.seed.to_string());
        field("shards", self.shards.to_string(), other.shards.to_string());
        field("tlsim version", self.tlsim.clone(), other.tlsim.clone());
        d.join(", ")
    }
}

/// A short list of shard indices for messages: "1, 3, 5, … (1000 in all)".
pub fn list_shards(shards: &BTreeSet<u32>) -> String {
    let shown: Vec<String> = shards.iter().take(20).map(u32::to_string).collect();
    if shards.len() > 20 {
        format!("{}, … ({} in all)", shown.join(", "), shards.len())
    } else {
        shown.join(", ")
    }
}
