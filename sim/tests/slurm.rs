//! The README's Slurm job array, for real: a private single-node Slurm on this machine (its
//! own munged, slurmctld and slurmd, on free ports of 127.0.0.1, everything in a temporary
//! directory) runs deploy/slurm/study-array.sbatch as 4 array tasks; `tlsim merge` of their
//! shard files must equal the single-process `tlsim study` byte for byte, as JSON and as text.
//!
//! Needs Debian's slurm-wlm and munge (`.ci/run` installs them as root) and root (slurmd
//! runs the jobs). Without them sim/build.rs marks the test ignored ("skipped: ..."), so cargo
//! counts it as skipped; if they disappear after the build the test prints that and returns.
//! Every wait is bounded and the daemons are stopped when the test ends, pass or fail.
//!
//! The other tests here need no Slurm: the README shows exactly the script, and the
//! Kubernetes manifest (deploy/k8s/study-indexed-job.yaml, not run: no cluster) keeps the
//! same `--shard INDEX/4` convention.

use std::fs::File;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

const SCRIPT: &str = "deploy/slurm/study-array.sbatch";
const MANIFEST: &str = "deploy/k8s/study-indexed-job.yaml";
/// 4,800 connections are 8 shards of 600: two per array task.
const SCENARIO: &str = "scenarios/m1-dh-premaster-zeros.toml";
const CONNECTIONS: &str = "4800";
const SEED: &str = "7";
const TASKS: usize = 4;
const SKIP: &str = "skipped: slurm not installed (apt-get install slurm-wlm munge)";
const SKIP_ROOT: &str = "skipped: the slurm test needs root (its slurmd runs the jobs)";
/// Bounds: daemons up, the whole job array, one tlsim run, stopping a daemon.
const START: Duration = Duration::from_secs(60);
const JOB: Duration = Duration::from_secs(600);
const STOP: Duration = Duration::from_secs(10);

fn repo() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// A program on PATH or in the sbin directories (not always on a user's PATH).
fn find(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/local/sbin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

#[test]
fn readme_shows_the_job_array_script() {
    let script = read(SCRIPT);
    let readme = read("README.md");
    assert!(
        readme.contains(&format!("```sh\n{script}```\n")),
        "README.md must show {SCRIPT} verbatim in a ```sh block"
    );
    assert!(readme.contains(MANIFEST), "README.md must name {MANIFEST}");
    for part in [
        "#SBATCH --array=0-3",
        "SHARDS=${SHARDS:-4}",
        "--shard \"$SLURM_ARRAY_TASK_ID/$SHARDS\"",
        "--state-dir \"$OUT/state-$SLURM_ARRAY_TASK_ID\"",
        "--out \"$OUT/shard-$SLURM_ARRAY_TASK_ID.json\"",
    ] {
        assert!(script.contains(part), "{SCRIPT} lost {part:?}");
    }
}

#[test]
fn kubernetes_manifest_uses_the_same_shard_convention() {
    let text = read(MANIFEST);
    for part in [
        "completionMode: Indexed",
        "completions: 4",
        "parallelism:",
        "- $(JOB_COMPLETION_INDEX)/4",
        "- /study/state-$(JOB_COMPLETION_INDEX)",
        "- /study/shard-$(JOB_COMPLETION_INDEX).json",
    ] {
        assert!(text.contains(part), "{MANIFEST} lost {part:?}");
    }
    // The YAML itself, where python3 has its yaml module (no dependency added for this).
    let out = Command::new("python3")
        .args([
            "-c",
            "import json, sys, yaml; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))",
        ])
        .arg(repo().join(MANIFEST))
        .output()
        .ok()
        .filter(|o| matches!(o.status.code(), Some(0 | 1)));
    let Some(out) = out else {
        println!("{MANIFEST}: YAML not parsed (no python3 with its yaml module)");
        return;
    };
    let docs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let job = docs
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "Job")
        .expect("a Job");
    assert_eq!(job["apiVersion"], "batch/v1");
    assert_eq!(job["spec"]["completionMode"], "Indexed");
    assert_eq!(job["spec"]["completions"], 4);
    let c = &job["spec"]["template"]["spec"]["containers"][0];
    let args: Vec<&str> = c["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().expect("args are strings"))
        .collect();
    let after = |flag: &str| {
        let i = args.iter().position(|a| *a == flag);
        i.and_then(|i| args.get(i + 1)).copied()
    };
    assert_eq!(args[0], "study");
    assert!(
        tlsim::scenario::builtin(args[1]).is_some() || repo().join(args[1]).is_file(),
        "{} is neither a built-in scenario nor a scenario file",
        args[1]
    );
    assert_eq!(after("--shard"), Some("$(JOB_COMPLETION_INDEX)/4"));
    let mount = c["volumeMounts"][0]["mountPath"].as_str().unwrap();
    for flag in ["--out", "--state-dir"] {
        let v = after(flag).unwrap_or_else(|| panic!("no {flag}"));
        assert!(
            v.starts_with(mount) && v.contains("$(JOB_COMPLETION_INDEX)"),
            "{flag} {v}"
        );
    }
}

/// The daemons of the private cluster; stopped (TERM, then KILL) when dropped.
struct Daemons(Vec<(&'static str, Child)>);

impl Drop for Daemons {
    fn drop(&mut self) {
        for (_, c) in self.0.iter_mut().rev() {
            if let Ok(pid) = i32::try_from(c.id()) {
                // SAFETY: kill(2) on our own child's pid; it has not been waited for.
                unsafe { libc::kill(pid, libc::SIGTERM) };
            }
        }
        for (name, c) in self.0.iter_mut().rev() {
            let t = Instant::now();
            while matches!(c.try_wait(), Ok(None)) {
                if t.elapsed() > STOP {
                    eprintln!("{name} did not stop on SIGTERM: killing it");
                    let _ = c.kill();
                    let _ = c.wait();
                    break;
                }
                sleep(Duration::from_millis(50));
            }
        }
    }
}

/// A Slurm command that sees only our cluster: no SLURM_*/SBATCH_* settings of the caller
/// (e.g. when the tests themselves run inside a Slurm job).
fn slurm(bin: &str, conf: &Path) -> Command {
    let mut cmd = Command::new(find(bin).unwrap_or_else(|| PathBuf::from(bin)));
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy();
        if ["SLURM", "SBATCH", "SINFO", "SQUEUE", "SCANCEL"]
            .iter()
            .any(|p| k.starts_with(p))
        {
            cmd.env_remove(k.as_ref());
        }
    }
    cmd.env("SLURM_CONF", conf).stdin(Stdio::null());
    cmd
}

fn spawn(daemons: &mut Daemons, name: &'static str, mut cmd: Command, log: &Path) {
    let f = File::create(log).unwrap();
    cmd.stdout(f.try_clone().unwrap()).stderr(f);
    // SAFETY: prctl only, between fork and exec: the daemon gets SIGTERM if this thread
    // dies without dropping `daemons` (e.g. the test process is killed).
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
    let child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
    daemons.0.push((name, child));
}

fn free_port() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").unwrap()
}

/// The last lines of the daemons' logs, for failure messages.
fn logs(dir: &Path) -> String {
    let mut s = String::new();
    for f in [
        "munged.log",
        "slurmctld.log",
        "slurmd.log",
        "slurmctld.out",
        "slurmd.out",
    ] {
        let text = std::fs::read_to_string(dir.join(f)).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        s += &format!("--- {f} (last 15 lines)\n");
        for l in &lines[lines.len().saturating_sub(15)..] {
            s += l;
            s.push('\n');
        }
    }
    s
}

fn until(what: &str, limit: Duration, dir: &Path, mut ok: impl FnMut() -> bool) {
    let t = Instant::now();
    while !ok() {
        assert!(
            t.elapsed() < limit,
            "{what}: not within {limit:?}\n{}",
            logs(dir)
        );
        sleep(Duration::from_millis(200));
    }
}

fn tlsim(cwd: &Path, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_tlsim"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run tlsim");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "tlsim {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn slurm_missing() -> bool {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    let why = if [
        "munged",
        "munge",
        "slurmctld",
        "slurmd",
        "sbatch",
        "sinfo",
        "scancel",
    ]
    .iter()
    .any(|p| find(p).is_none())
    {
        SKIP
    } else if !is_root {
        SKIP_ROOT
    } else {
        return false;
    };
    println!("{why}");
    eprintln!("{why}");
    true
}

#[test]
#[cfg_attr(
    tlsim_no_slurm,
    ignore = "skipped: slurm not installed (apt-get install slurm-wlm munge)"
)]
#[cfg_attr(
    tlsim_slurm_not_root,
    ignore = "skipped: the slurm test needs root (its slurmd runs the jobs)"
)]
fn slurm_job_array_merges_to_the_single_process_study() {
    if slurm_missing() {
        return;
    }
    let t0 = Instant::now();
    let repo = repo().canonicalize().unwrap();
    let dir = std::env::temp_dir().join(format!("tlsim-slurm-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for d in ["", "state", "spool", "study", "single"] {
        std::fs::create_dir_all(dir.join(d)).unwrap();
    }
    // munged insists that nobody else can write to its socket's directory, nor read its key.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o711)).unwrap();
    let mut key = vec![0u8; 1024];
    std::io::Read::read_exact(&mut File::open("/dev/urandom").unwrap(), &mut key).unwrap();
    let key_file = dir.join("munge.key");
    std::fs::write(&key_file, &key).unwrap();
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let socket = dir.join("munge.socket");
    let conf = dir.join("slurm.conf");

    let mut daemons = Daemons(Vec::new());
    let mut munged = Command::new(find("munged").unwrap());
    munged
        .arg("--foreground")
        .arg("--force")
        .arg(format!("--socket={}", socket.display()))
        .arg(format!("--key-file={}", key_file.display()))
        .arg(format!("--log-file={}", dir.join("munged.log").display()))
        .arg(format!("--pid-file={}", dir.join("munged.pid").display()))
        .arg(format!("--seed-file={}", dir.join("munged.seed").display()))
        .stdin(Stdio::null());
    spawn(&mut daemons, "munged", munged, &dir.join("munged.out"));
    until("munged answers", START, &dir, || {
        Command::new(find("munge").unwrap())
            .arg("--no-input")
            .arg(format!("--socket={}", socket.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });

    // Two free ports on 127.0.0.1, held until the configuration is written.
    let (a, b) = (free_port(), free_port());
    let (ctld_port, d_port) = (
        a.local_addr().unwrap().port(),
        b.local_addr().unwrap().port(),
    );
    let d = dir.display();
    std::fs::write(
        &conf,
        format!(
            "# A private single-node cluster for sim/tests/slurm.rs.
ClusterName=tlsimtest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={d_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={socket}
StateSaveLocation={d}/state
SlurmdSpoolDir={d}/spool
SlurmctldPidFile={d}/slurmctld.pid
SlurmdPidFile={d}/slurmd.pid
SlurmctldLogFile={d}/slurmctld.log
SlurmdLogFile={d}/slurmd.log
MailProg=/bin/true
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
",
            socket = socket.display()
        ),
    )
    .unwrap();
    drop((a, b));

    let mut ctld = slurm("slurmctld", &conf);
    ctld.arg("-D").arg("-i").arg("-f").arg(&conf);
    spawn(&mut daemons, "slurmctld", ctld, &dir.join("slurmctld.out"));
    let mut slurmd = slurm("slurmd", &conf);
    slurmd.args(["-D", "-N", "localhost", "-f"]).arg(&conf);
    spawn(&mut daemons, "slurmd", slurmd, &dir.join("slurmd.out"));
    until("the node is idle in sinfo", START, &dir, || {
        slurm("sinfo", &conf)
            .args(["-h", "-N", "-o", "%T"])
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "idle")
    });
    println!("slurm up in {:.1} s", t0.elapsed().as_secs_f64());

    // The README's script, as a user submits it from the checkout.
    let t1 = Instant::now();
    let study = dir.join("study");
    let mut sbatch = slurm("sbatch", &conf);
    sbatch
        .args(["--wait", "--parsable", "--time=10"])
        .arg(format!("--output={}/tlsim-study-%A_%a.out", d))
        .arg(repo.join(SCRIPT))
        .current_dir(&repo)
        .env("TLSIM", env!("CARGO_BIN_EXE_tlsim"))
        .env("SCENARIO", SCENARIO)
        .env("CONNECTIONS", CONNECTIONS)
        .env("SEED", SEED)
        .env("OUT", &study)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut job = sbatch.spawn().expect("sbatch");
    let waited = Instant::now();
    let status = loop {
        if let Some(s) = job.try_wait().unwrap() {
            break s;
        }
        if waited.elapsed() > JOB {
            let _ = slurm("scancel", &conf).arg("--partition=debug").status();
            let _ = job.kill();
            let _ = job.wait();
            panic!(
                "the job array did not finish within {JOB:?}\n{}",
                logs(&dir)
            );
        }
        sleep(Duration::from_millis(200));
    };
    let out = job.wait_with_output().unwrap();
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let task_log = |i: usize| {
        std::fs::read_to_string(dir.join(format!("tlsim-study-{id}_{i}.out"))).unwrap_or_default()
    };
    let all_task_logs = || {
        (0..TASKS)
            .map(|i| format!("--- task {i}\n{}", task_log(i)))
            .collect::<String>()
    };
    assert!(
        status.success(),
        "sbatch --wait: {status}: {}\n{}{}",
        String::from_utf8_lossy(&out.stderr),
        all_task_logs(),
        logs(&dir)
    );
    println!(
        "job {id}: {TASKS} array tasks done in {:.1} s",
        t1.elapsed().as_secs_f64()
    );
    let files: Vec<String> = (0..TASKS)
        .map(|i| study.join(format!("shard-{i}.json")).display().to_string())
        .collect();
    for (i, f) in files.iter().enumerate() {
        assert!(
            task_log(i).contains("shard results to"),
            "task {i}:\n{}",
            all_task_logs()
        );
        let text = std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{f}: {e}"));
        let file: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            file["results"].as_array().map(Vec::len),
            Some(2),
            "{f}: two shards"
        );
        assert!(study.join(format!("state-{i}")).is_dir(), "state-{i}");
    }
    drop(daemons);

    // One process against the merged array, from the checkout and from elsewhere.
    let state = dir.join("single").display().to_string();
    let single = |extra: &[&str]| {
        let mut args = vec![
            "study",
            SCENARIO,
            "--connections",
            CONNECTIONS,
            "--seed",
            SEED,
            "--state-dir",
            &state,
        ];
        args.extend_from_slice(extra);
        tlsim(&repo, &args).stdout
    };
    let merge = |cwd: &Path, extra: &[&str]| {
        let mut args = vec!["merge"];
        args.extend(files.iter().map(String::as_str));
        args.extend_from_slice(extra);
        tlsim(cwd, &args).stdout
    };
    let scenario = repo.join(SCENARIO).display().to_string();
    let (json, text) = (single(&["--json"]), single(&[]));
    assert!(!json.is_empty() && !text.is_empty());
    assert!(
        merge(&repo, &["--json"]) == json,
        "merged JSON differs from the single-process JSON"
    );
    assert!(
        merge(&repo, &[]) == text,
        "merged text differs from the single-process text"
    );
    assert!(
        merge(&dir, &["--scenario", &scenario, "--json"]) == json,
        "merged JSON outside the checkout (with --scenario) differs"
    );
    assert!(
        merge(&dir, &["--scenario", &scenario]) == text,
        "merged text outside the checkout (with --scenario) differs"
    );
    // Outside the checkout without --scenario: the files embed the scenario, so the merge is
    // the whole run byte for byte, theory and verdict included.
    assert!(
        merge(&dir, &["--json"]) == json,
        "merged JSON outside the checkout (no --scenario) differs"
    );
    assert!(
        merge(&dir, &[]) == text,
        "merged text outside the checkout (no --scenario) differs"
    );
    assert!(
        String::from_utf8_lossy(&json).contains("\"verdict\": \"consistent\""),
        "the merged report has its verdicts"
    );
    println!(
        "merge == single-process study, byte for byte (JSON {} bytes, text {} bytes); whole test {:.1} s",
        json.len(),
        text.len(),
        t0.elapsed().as_secs_f64()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
