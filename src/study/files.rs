//! Shard results files (`tlsim study --shard i/n --out FILE`) read back and merged: each
//! file bounded and checked, the files together holding each shard of one study exactly
//! once, into the whole study's report (`tlsim merge`).

use super::{
    merge, read_capped, read_capped_file, scenario_digest, ShardFile, ShardResult, StudyHeader,
    StudyReport, MAX_SHARDS, MAX_SHARD_FILE_BYTES,
};
use crate::scenario::{open_with_overlays, overlays::base_name, OverlayFiles, Scenario};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Read a shard results file: a regular file of at most [`MAX_SHARD_FILE_BYTES`], opened
/// without blocking (a FIFO put in its place cannot hang the open).
pub fn read_shard_file(path: &Path) -> Result<Vec<u8>, String> {
    let what = "a shard results file (written by `tlsim study --shard i/n --out FILE`)";
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if !meta.is_file() {
        // Refused by kind, without opening it.
        return read_capped(path, MAX_SHARD_FILE_BYTES, what);
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
    read_capped_file(file, path, MAX_SHARD_FILE_BYTES, what)
}

/// Merge shard results files into the study's report. Every file is read
/// ([`read_shard_file`]) and parsed ([`ShardFile::parse`]); every result must be of the
/// first one's study and pass its checks; each shard must appear once (a duplicate names
/// both files). The scenario is the one the files embed, with `overlays` (the study's
/// command-line overlays, which the files do not hold) applied, or `scenario`, a file
/// that must be that same text (its digest is checked). Errors name the file.
pub fn merge_files(
    files: &[PathBuf],
    scenario: Option<&Path>,
    overlays: &OverlayFiles,
) -> Result<StudyReport, String> {
    // (file index, result), checked file by file so that errors name the file.
    let mut all: Vec<ShardResult> = Vec::new();
    let mut from: Vec<usize> = Vec::new();
    let mut first: Option<(usize, StudyHeader, String)> = None;
    for (fi, f) in files.iter().enumerate() {
        let show = f.display();
        let bytes = read_shard_file(f)?;
        let file = ShardFile::parse(&bytes).map_err(|e| format!("{show}: {e}"))?;
        for (k, r) in file.results.iter().enumerate() {
            match &first {
                None => first = Some((fi, r.header.clone(), file.scenario_text.clone())),
                Some((f0, h, _)) if *h != r.header => {
                    return Err(format!(
                        "{show}: shard {} belongs to another study than {}: {}",
                        r.shard,
                        files[*f0].display(),
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
    let mut owner: BTreeMap<u32, usize> = BTreeMap::new();
    for (r, &fi) in all.iter().zip(&from) {
        if let Some(prev) = owner.insert(r.shard, fi) {
            return Err(format!(
                "{}: shard {} given twice (also in {})",
                files[fi].display(),
                r.shard,
                files[prev].display()
            ));
        }
    }
    let sc = match scenario {
        Some(path) => given_scenario(path, overlays, &header)?,
        None => embedded_scenario(&embedded, &files[f0], overlays, &header)?,
    };
    merge(&all, Some(&sc), 5)
}

/// `--scenario`: it must be the text the shards embed (the digest is checked).
fn given_scenario(
    path: &Path,
    overlays: &OverlayFiles,
    header: &StudyHeader,
) -> Result<Scenario, String> {
    let (sc, text) = open_with_overlays(path, overlays)?;
    let digest = scenario_digest(&text);
    if digest != header.scenario_digest {
        return Err(format!(
            "--scenario {}: its digest {digest} is not the digest {} the shards were run with; \
             give the scenario file the study ran, or leave --scenario out (the files embed it)",
            path.display(),
            header.scenario_digest
        ));
    }
    Ok(sc)
}

/// The scenario the shard files embed (every file's digest was checked against its text),
/// with the study's command-line overlays, which the files do not hold.
fn embedded_scenario(
    embedded: &str,
    file: &Path,
    overlays: &OverlayFiles,
    header: &StudyHeader,
) -> Result<Scenario, String> {
    let label = format!("{} (embedded scenario)", file.display());
    let sc = Scenario::parse(embedded, &label, base_name(&header.scenario), None).map_err(|e| {
        format!(
            "{e}\n(the scenario embedded in the shard files refers to a file that is not \
             embedded; pass --scenario with the scenario file the study ran)"
        )
    })?;
    let sc = overlays.apply(&sc)?;
    if sc.name != header.scenario {
        return Err(format!(
            "the shards are of scenario {}, not {} (the command-line overlays differ): pass \
             merge the --registry and --cipher-order options the study ran with",
            header.scenario, sc.name
        ));
    }
    Ok(sc)
}
