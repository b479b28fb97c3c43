//! Detects a local Slurm for sim/tests/slurm.rs, which starts a private single-node cluster
//! (munged, slurmctld, slurmd) and submits deploy/slurm/study-array.sbatch to it. Without the
//! programs it is marked ignored ("skipped: slurm not installed ..."); as a user other than
//! root, ignored with "skipped: ... needs root", so cargo counts it as skipped rather than
//! passed. `TLSIM_NO_SLURM=1` forces the skip (to see it).

use std::path::PathBuf;

/// The programs the test runs (Debian packages slurm-wlm, slurm-client and munge).
const PROGRAMS: [&str; 7] = [
    "munged",
    "slurmctld",
    "slurmd",
    "sbatch",
    "sinfo",
    "scancel",
    "munge",
];

fn find(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/local/sbin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn main() {
    println!("cargo::rustc-check-cfg=cfg(tlsim_no_slurm)");
    println!("cargo::rustc-check-cfg=cfg(tlsim_slurm_not_root)");
    println!("cargo:rerun-if-env-changed=PATH");
    println!("cargo:rerun-if-env-changed=TLSIM_NO_SLURM");
    println!("cargo:rerun-if-changed=build.rs");
    let missing: Vec<&str> = PROGRAMS.into_iter().filter(|p| find(p).is_none()).collect();
    if std::env::var("TLSIM_NO_SLURM").as_deref() == Ok("1") || !missing.is_empty() {
        println!(
            "cargo:warning=slurm not found ({}): sim/tests/slurm.rs is skipped (apt-get install slurm-wlm munge)",
            if missing.is_empty() { "TLSIM_NO_SLURM=1".to_string() } else { missing.join(", ") }
        );
        println!("cargo:rustc-cfg=tlsim_no_slurm");
        return;
    }
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    if !root {
        println!(
            "cargo:warning=not root: sim/tests/slurm.rs is skipped (its slurmd runs jobs as root)"
        );
        println!("cargo:rustc-cfg=tlsim_slurm_not_root");
    }
}
