//! A study's state directory: where finished shards are saved so an interrupted study can
//! resume.
//!
//! tlsim owns its state directories. It creates them and marks them with a
//! [`MARKER`] file naming the study; it refuses a directory that exists, is not empty and
//! has no marker, and a marked directory of another study. It deletes nothing it did not
//! write: a fresh (not resumed) run removes only its own `shard-NNNNNN.json` files of the
//! shards it is about to run, and leftover temporary files of its own names. While a
//! study runs, the directory is locked ([`LOCK`], an advisory `flock` the kernel releases
//! when the process ends, however it ends); a second process is refused with the pid of
//! the first. Saved shards are written under a unique temporary name and renamed.

use super::check::{read_capped, MAX_SAVED_SHARD_BYTES};
use super::{ShardResult, ShardSpec, StudyHeader};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The marker file of a tlsim state directory.
pub const MARKER: &str = ".tlsim-state";
/// The lock file of a tlsim state directory; it holds the pid of the process using it.
pub const LOCK: &str = ".tlsim-lock";

/// The marker's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Marker {
    /// Always "tlsim".
    pub tool: String,
    /// The tlsim version that created the directory.
    pub version: String,
    pub scenario: String,
    pub scenario_digest: String,
    pub seed: u64,
    pub shards: u32,
}

impl Marker {
    fn of(h: &StudyHeader) -> Marker {
        Marker {
            tool: "tlsim".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            scenario: h.scenario.clone(),
            scenario_digest: h.scenario_digest.clone(),
            seed: h.seed,
            shards: h.shards,
        }
    }

    fn header(&self) -> StudyHeader {
        StudyHeader {
            scenario: self.scenario.clone(),
            scenario_digest: self.scenario_digest.clone(),
            seed: self.seed,
            shards: self.shards,
            tlsim: self.version.clone(),
        }
    }
}

/// An open, locked state directory of one study. Dropping it releases the lock.
#[derive(Debug)]
pub struct StateDir {
    path: PathBuf,
    header: StudyHeader,
    lock: File,
    /// The pid a previous process left in the lock file when it ended without releasing
    /// the directory (killed, or crashed): the directory was recovered from it.
    pub recovered_from: Option<u32>,
    /// Whether this process created the directory.
    pub created: bool,
}

/// `shard-NNNNNN.json`, the name of shard `i`'s saved result.
pub(super) fn shard_file_name(shard: u32) -> String {
    format!("shard-{shard:06}.json")
}

/// The shard index of a saved shard's file name.
fn parse_shard_file(name: &str) -> Option<u32> {
    let digits = name.strip_prefix("shard-")?.strip_suffix(".json")?;
    (digits.len() >= 6 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// Whether `name` is one of tlsim's temporary names in a state directory
/// (`shard-NNNNNN.json.tmp.<pid>.<worker>` or `.tlsim-state.tmp.<pid>`).
fn is_own_tmp(name: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if let Some(rest) = name.strip_prefix(".tlsim-state.tmp.") {
        return digits(rest);
    }
    let Some((file, rest)) = name.split_once(".tmp.") else {
        return false;
    };
    parse_shard_file(file).is_some()
        && rest
            .split_once('.')
            .is_some_and(|(pid, worker)| digits(pid) && digits(worker))
}

/// A scenario name as a directory name: letters, digits and `-_.+`; other bytes become `_`
/// (and a leading `.` too, so the directory is never hidden).
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

fn io_err(path: &Path, e: std::io::Error) -> String {
    format!("{}: {e}", path.display())
}

impl StateDir {
    /// The default state directory of a study:
    /// `.tlsim-study/<scenario>-<seed>-<shards>-<digest>` (the digest's first 8 hex digits;
    /// the scenario name made safe as a directory name), with `-part-<i>of<n>` for a shard
    /// set.
    pub fn default_path(h: &StudyHeader, part: Option<ShardSpec>) -> PathBuf {
        let digest: String = h.scenario_digest.chars().take(8).collect();
        let mut name = format!("{}-{}-{}-{digest}", dir_safe(&h.scenario), h.seed, h.shards);
        if let Some(ShardSpec { index, count }) = part {
            name.push_str(&format!("-part-{index}of{count}"));
        }
        Path::new(".tlsim-study").join(name)
    }

    /// The state directory of what-if `variant` of the study whose state directory is
    /// `base`: `<base>+<variant>`, beside it.
    pub fn variant_path(base: &Path, variant: &str) -> Result<PathBuf, String> {
        let name = base.file_name().ok_or_else(|| {
            format!(
                "--state-dir {}: --compare needs a state directory with a name (its variants go \
                 beside it as <name>+<variant>)",
                base.display()
            )
        })?;
        Ok(base.with_file_name(format!("{}+{variant}", name.to_string_lossy())))
    }

    /// Open (creating it if needed) and lock the state directory `path` for the study
    /// `header`. `flag` names the option in messages (e.g. "--state-dir").
    pub fn open(path: &Path, header: &StudyHeader, flag: &str) -> Result<StateDir, String> {
        let show = path.display();
        let created = match std::fs::create_dir(path) {
            Ok(()) => true,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => false,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).map_err(|e| {
                        format!("{flag} {show}: cannot create {}: {e}", parent.display())
                    })?;
                }
                match std::fs::create_dir(path) {
                    Ok(()) => true,
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => false,
                    Err(e) => return Err(format!("{flag} {show}: {e}")),
                }
            }
            Err(e) => return Err(format!("{flag} {show}: {e}")),
        };
        let meta = std::fs::metadata(path).map_err(|e| format!("{flag} {show}: {e}"))?;
        if !meta.is_dir() {
            return Err(format!(
                "{flag} {show} exists and is not a directory; give a new or empty directory"
            ));
        }
        let not_ours = || {
            format!(
                "{flag} {show} exists, is not empty and was not created by tlsim (it has no \
                 {MARKER} marker); tlsim uses only directories it created and never deletes \
                 files it did not write: give a new or empty directory{}",
                if flag == "--state-dir" {
                    ""
                } else {
                    " (or pass --state-dir DIR)"
                }
            )
        };
        let marker_path = path.join(MARKER);
        // Before creating anything in an existing directory: it must be empty or marked.
        if !created && !marker_path.exists() && has_foreign_entries(path)? {
            return Err(not_ours());
        }
        let lock_path = path.join(LOCK);
        let mut lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(|e| io_err(&lock_path, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let holder = read_pid(&mut lock)
                    .map(|p| format!("process {p}"))
                    .unwrap_or_else(|| "another process (pid not yet written)".into());
                return Err(format!(
                    "{flag} {show} is locked by {holder}: another tlsim study is using it; \
                     wait for it to finish, or give another directory"
                ));
            }
            Err(TryLockError::Error(e)) => {
                return Err(format!("{flag} {show}: cannot lock {LOCK}: {e}"))
            }
        }
        // The lock is ours. A pid left in the file is that of a process that ended
        // without releasing the directory.
        let recovered_from = read_pid(&mut lock).filter(|p| *p != std::process::id());
        write_pid(&mut lock, Some(std::process::id())).map_err(|e| io_err(&lock_path, e))?;
        let dir = StateDir {
            path: path.to_path_buf(),
            header: header.clone(),
            lock,
            recovered_from,
            created,
        };
        // Check again under the lock: a concurrent process may have marked it meanwhile.
        if marker_path.exists() {
            let bytes = read_capped(&marker_path, 64 << 10, "a tlsim state marker")?;
            let marker: Marker = serde_json::from_slice(&bytes).map_err(|e| {
                format!(
                    "{flag} {show}: its marker {} is damaged ({e}); give another directory",
                    marker_path.display()
                )
            })?;
            if marker.tool != "tlsim" {
                return Err(not_ours());
            }
            let theirs = marker.header();
            if &theirs != header {
                return Err(format!(
                    "{flag} {show} holds another study: {} ({}); give another directory (or \
                     delete that one yourself if you no longer need its shards)",
                    theirs.describe(),
                    theirs.difference(header, "there", "this study")
                ));
            }
        } else {
            if has_foreign_entries(path)? {
                return Err(not_ours());
            }
            let text = serde_json::to_string_pretty(&Marker::of(header))
                .map_err(|e| format!("the state marker: {e}"))?;
            let tmp = path.join(format!("{MARKER}.tmp.{}", std::process::id()));
            write_new(&tmp, text.as_bytes())
                .and_then(|()| std::fs::rename(&tmp, &marker_path))
                .map_err(|e| {
                    let _ = std::fs::remove_file(&tmp);
                    io_err(&marker_path, e)
                })?;
        }
        // Temporary files of ours left by a process that was killed mid-write.
        for name in entry_names(path)? {
            if is_own_tmp(&name) {
                let _ = std::fs::remove_file(path.join(&name));
            }
        }
        Ok(dir)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn shard_path(&self, shard: u32) -> PathBuf {
        self.path.join(shard_file_name(shard))
    }

    /// Remove this study's saved results of the shards in `which` (a fresh start).
    pub fn clear(&self, which: &[u32]) -> Result<(), String> {
        let mut sorted = which.to_vec();
        sorted.sort_unstable();
        for name in entry_names(&self.path)? {
            if let Some(i) = parse_shard_file(&name) {
                if sorted.binary_search(&i).is_ok() && name == shard_file_name(i) {
                    let p = self.path.join(&name);
                    std::fs::remove_file(&p).map_err(|e| io_err(&p, e))?;
                }
            }
        }
        Ok(())
    }

    /// The saved results of the shards in `which`, each read with a size cap and
    /// validated (its own checks, this study's header, the shard its file is named for).
    pub fn load(&self, which: &[u32]) -> Result<BTreeMap<u32, ShardResult>, String> {
        let mut sorted = which.to_vec();
        sorted.sort_unstable();
        let mut out = BTreeMap::new();
        for name in entry_names(&self.path)? {
            let Some(i) = parse_shard_file(&name) else {
                continue;
            };
            if sorted.binary_search(&i).is_err() || name != shard_file_name(i) {
                continue;
            }
            let f = self.path.join(&name);
            let bytes = read_capped(&f, MAX_SAVED_SHARD_BYTES, "a saved shard result")?;
            let r: ShardResult = serde_json::from_slice(&bytes)
                .map_err(|e| format!("{}: not a saved shard result: {e}", f.display()))?;
            if r.header != self.header {
                return Err(format!(
                    "{}: saved shard belongs to another study: {} ({})",
                    f.display(),
                    r.header.describe(),
                    r.header.difference(&self.header, "saved", "this study")
                ));
            }
            r.validate().map_err(|e| format!("{}: {e}", f.display()))?;
            if r.shard != i {
                return Err(format!(
                    "{}: the file of shard {i} holds shard {}",
                    f.display(),
                    r.shard
                ));
            }
            out.insert(i, r);
        }
        Ok(out)
    }

    /// Save one shard's result: written to a temporary file unique to this process and
    /// worker, then renamed over `shard-NNNNNN.json`.
    pub fn save(&self, r: &ShardResult, worker: usize) -> Result<(), String> {
        let f = self.shard_path(r.shard);
        let tmp = self.path.join(format!(
            "{}.tmp.{}.{worker}",
            shard_file_name(r.shard),
            std::process::id()
        ));
        let text = serde_json::to_string(r).map_err(|e| format!("{}: {e}", f.display()))?;
        write_new(&tmp, text.as_bytes())
            .and_then(|()| std::fs::rename(&tmp, &f))
            .map_err(|e| {
                let _ = std::fs::remove_file(&tmp);
                io_err(&f, e)
            })
    }
}

impl Drop for StateDir {
    fn drop(&mut self) {
        // An empty lock file says the last holder released it; the kernel drops the lock
        // when the file closes.
        let _ = write_pid(&mut self.lock, None);
    }
}

/// Entries of `dir` other than the lock file.
fn has_foreign_entries(dir: &Path) -> Result<bool, String> {
    for e in std::fs::read_dir(dir).map_err(|e| io_err(dir, e))? {
        let e = e.map_err(|e| io_err(dir, e))?;
        if e.file_name() != LOCK {
            return Ok(true);
        }
    }
    Ok(false)
}

fn entry_names(dir: &Path) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| io_err(dir, e))? {
        let e = e.map_err(|e| io_err(dir, e))?;
        if let Ok(n) = e.file_name().into_string() {
            names.push(n);
        }
    }
    Ok(names)
}

fn read_pid(f: &mut File) -> Option<u32> {
    let mut s = String::new();
    f.seek(SeekFrom::Start(0)).ok()?;
    f.take(32).read_to_string(&mut s).ok()?;
    s.trim().parse().ok()
}

fn write_pid(f: &mut File, pid: Option<u32>) -> std::io::Result<()> {
    f.set_len(0)?;
    f.seek(SeekFrom::Start(0))?;
    if let Some(p) = pid {
        writeln!(f, "{p}")?;
    }
    f.sync_data()
}

/// Write a new file (never an existing one) and flush it to disk.
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = OpenOptions::new().write(true).create_new(true).open(path)?;
    f.write_all(bytes)?;
    f.sync_data()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_names() {
        assert_eq!(parse_shard_file("shard-000012.json"), Some(12));
        assert_eq!(parse_shard_file("shard-12.json"), None);
        assert_eq!(parse_shard_file("shard-00001x.json"), None);
        assert!(is_own_tmp("shard-000012.json.tmp.123.0"));
        assert!(is_own_tmp(".tlsim-state.tmp.77"));
        assert!(!is_own_tmp("shard-000012.json.tmp"));
        assert!(!is_own_tmp("notes.tmp.1.2"));
        assert!(!is_own_tmp("shard-000012.json.tmp.1.x"));
    }

    #[test]
    fn default_and_variant_paths() {
        let h = StudyHeader {
            scenario: ".a b/c+overlays-1a2b3c4d".into(),
            scenario_digest: "0123456789abcdef".into(),
            seed: 7,
            shards: 3,
            tlsim: "0".into(),
        };
        let base = StateDir::default_path(&h, None);
        assert_eq!(
            base,
            Path::new(".tlsim-study/_a_b_c+overlays-1a2b3c4d-7-3-01234567")
        );
        let part = StateDir::default_path(&h, Some(ShardSpec { index: 1, count: 4 }));
        assert!(part.to_string_lossy().ends_with("-01234567-part-1of4"));
        let v = StateDir::variant_path(&base, "no-dhe").unwrap();
        assert_eq!(
            v.file_name().unwrap(),
            "_a_b_c+overlays-1a2b3c4d-7-3-01234567+no-dhe"
        );
        assert!(StateDir::variant_path(Path::new("/"), "no-dhe").is_err());
    }
}
