//! Output files of the commands: checked before any work ([`check`]) and written
//! atomically ([`fn@write`]), so that a refused path costs nothing and an interrupted write
//! never leaves half a report.

use std::path::{Path, PathBuf};

/// The `format` of each JSON output (docs/json.md, docs/schema/): `tlsim-<output>/<version>`.
/// A version changes only when a field changes meaning or goes away; new fields keep it.
pub mod format {
    /// `tlsim run --json`.
    pub const RUN: &str = "tlsim-run/1";
    /// One connection: `tlsim handshake --json` (a line each), `tlsim replay --json`.
    pub const CONNECTION: &str = "tlsim-connection/1";
    /// `tlsim profiles --json`.
    pub const PROFILES: &str = "tlsim-profiles/1";
    /// `tlsim profiles diff --json`.
    pub const PROFILE_DIFF: &str = "tlsim-profile-diff/1";
    /// `tlsim bench --json`.
    pub const BENCH: &str = "tlsim-bench/1";
    /// Each line of `tlsim bridge connect|serve --json`.
    pub const BRIDGE: &str = "tlsim-bridge/1";
    /// `tlsim demo --json` (the list) and `tlsim demo NAME --json` (its steps).
    pub const DEMOS: &str = "tlsim-demos/1";
    pub const DEMO: &str = "tlsim-demo/1";
    pub use crate::profile::PROFILE_FORMAT as PROFILE;
    pub use crate::study::{FLAGSHIP_FORMAT as FLAGSHIP, STUDY_FORMAT as STUDY};
}

/// `value` (a struct or map) as JSON with `"format": format` as its first key; indented
/// when `pretty`.
pub fn versioned<T: serde::Serialize>(format: &str, value: &T, pretty: bool) -> String {
    #[derive(serde::Serialize)]
    struct V<'a, T> {
        format: &'a str,
        #[serde(flatten)]
        value: &'a T,
    }
    let v = V { format, value };
    let s = if pretty {
        serde_json::to_string_pretty(&v)
    } else {
        serde_json::to_string(&v)
    };
    s.unwrap_or_else(|e| {
        serde_json::json!({ "format": format, "error": e.to_string() }).to_string()
    })
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
/// `flag` names the option in messages (`--out`).
pub fn check(path: &Path, flag: &str) -> Result<(), String> {
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
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_then_writes_atomically() {
        let dir = std::env::temp_dir().join(format!("tlsim-output-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let e = check(&dir, "--out").unwrap_err();
        assert!(e.contains("is a directory"), "{e}");
        let e = check(&dir.join("no-such-dir/x.json"), "--out").unwrap_err();
        assert!(e.starts_with("--out ") && e.contains("directory"), "{e}");
        let file = dir.join("report.txt");
        check(&file, "--out").unwrap();
        assert!(!file.exists(), "the probe leaves nothing behind");
        write(&file, b"one").unwrap();
        write(&file, b"two").unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"two");
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary file is left");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// The capture files a command was asked for (`--pcap`, `--keylog`).
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct Capture {
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE"))]
    pub pcap: Option<PathBuf>,
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE"))]
    pub keylog: Option<PathBuf>,
}

impl Capture {
    /// Whether any capture file was asked for (the run then records its bytes).
    pub fn any(&self) -> bool {
        self.pcap.is_some() || self.keylog.is_some()
    }

    /// Check both paths before any work.
    pub fn check(&self) -> Result<(), String> {
        for (path, flag) in [(&self.pcap, "--pcap"), (&self.keylog, "--keylog")] {
            if let Some(p) = path {
                check(p, flag)?;
            }
        }
        Ok(())
    }

    /// Write the pcap and key log that were asked for, each with a note to `p`.
    pub fn write(
        &self,
        pcap: impl FnOnce() -> Vec<u8>,
        keylog: impl FnOnce() -> String,
        p: &dyn crate::study::Progress,
    ) -> Result<(), String> {
        if let Some(path) = &self.pcap {
            write(path, &pcap())?;
            p.note(&format!("wrote the capture to {}", path.display()));
        }
        if let Some(path) = &self.keylog {
            write(path, keylog().as_bytes())?;
            p.note(&format!("wrote the key log to {}", path.display()));
        }
        Ok(())
    }
}
