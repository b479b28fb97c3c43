//! `tlsim bridge serve|connect` as a user runs them: the bound address printed before
//! accepting, a summary however the server ends (count, idle exit, SIGINT, SIGTERM), and
//! suites bridge mode cannot run refused before connecting. No OpenSSL needed: the client
//! is a second tlsim process.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn tlsim() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tlsim"));
    c.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    c
}

/// A `tlsim bridge serve` process; its stderr lines arrive on a channel.
struct Serve {
    child: Child,
    stderr: mpsc::Receiver<String>,
}

impl Serve {
    fn start(args: &[&str]) -> Serve {
        let mut child = tlsim()
            .args(["bridge", "serve"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run tlsim");
        let err = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Serve { child, stderr: rx }
    }

    /// The address from the "listening on ADDR" line (bounded wait).
    fn listening(&self) -> String {
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            if let Ok(line) = self.stderr.recv_timeout(Duration::from_millis(100)) {
                if let Some(a) = line.strip_prefix("listening on ") {
                    return a.trim().to_string();
                }
            }
        }
        panic!("no \"listening on\" line on stderr within 10 s");
    }

    fn signal(&self, sig: libc::c_int) {
        let pid = libc::pid_t::try_from(self.child.id()).unwrap();
        // SAFETY: sends a signal to our own child process.
        assert_eq!(unsafe { libc::kill(pid, sig) }, 0);
    }

    /// Wait (bounded) for the exit; returns the exit code and stdout.
    fn wait(mut self, within: Duration) -> (Option<i32>, String) {
        let until = Instant::now() + within;
        while self.child.try_wait().unwrap().is_none() {
            if Instant::now() > until {
                let _ = self.child.kill();
                panic!("tlsim bridge serve did not exit within {within:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let code = self.child.wait().unwrap().code();
        let mut out = String::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        (code, out)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn serve_0_prints_its_address_and_a_summary_on_sigint() {
    let s = Serve::start(&["0"]);
    let addr = s.listening();
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    assert_ne!(addr, "127.0.0.1:0");
    // A tlsim client process against it: one full handshake and echo.
    let c = tlsim().args(["bridge", "connect", &addr]).output().unwrap();
    assert!(c.status.success(), "{}", String::from_utf8_lossy(&c.stdout));
    s.signal(libc::SIGINT);
    let (code, out) = s.wait(Duration::from_secs(5));
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("connection 1: ok"), "{out}");
    assert!(
        out.contains("summary: 1 accepted, 1 completed, 0 failed, 0 refused over the cap of 256"),
        "{out}"
    );
    // The summary is wrapped at 100 columns; compare it with its whitespace folded.
    let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("ended: interrupted"), "{out}");
}

#[test]
fn serve_json_reports_listening_and_summary_on_sigterm() {
    let s = Serve::start(&["0", "--json"]);
    let addr = s.listening();
    s.signal(libc::SIGTERM);
    let (code, out) = s.wait(Duration::from_secs(5));
    assert_eq!(code, Some(0), "{out}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    assert_eq!(lines[0]["listening"], serde_json::json!(addr));
    let summary = &lines.last().unwrap()["summary"];
    assert_eq!(summary["accepted"], 0);
    assert_eq!(summary["refused_over_cap"], 0);
    assert_eq!(summary["max_connections"], 256);
    assert_eq!(summary["ended"], "interrupted");
    assert_eq!(summary["connections"]["failures"], 0);
}

#[test]
fn serve_idle_exit_and_count_end_with_a_summary() {
    // Nobody connects: idle exit after 0.3 s.
    let s = Serve::start(&["0", "--idle-exit", "0.3"]);
    let t = Instant::now();
    let (code, out) = s.wait(Duration::from_secs(5));
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("summary: 0 accepted"), "{out}");
    assert!(out.contains("ended: idle"), "{out}");
    assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());

    // --count 2: two connections (the second resumes the first's session), then it ends.
    let s = Serve::start(&["0", "--count", "2"]);
    let addr = s.listening();
    let c = tlsim()
        .args(["bridge", "connect", &addr, "--count", "2", "--resume"])
        .output()
        .unwrap();
    assert!(c.status.success(), "{}", String::from_utf8_lossy(&c.stdout));
    let (code, out) = s.wait(Duration::from_secs(10));
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("summary: 2 accepted, 2 completed, 0 failed"),
        "{out}"
    );
    let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("1 resumed; ended: count reached"), "{out}");
}

/// An idle socket is dropped at the handshake deadline and counted as a failure by
/// mechanism; the exit code says a connection failed.
#[test]
fn serve_drops_an_idle_socket_and_counts_it() {
    let s = Serve::start(&["0", "--count", "1", "--handshake-timeout", "0.3"]);
    let addr = s.listening();
    let mut idle = std::net::TcpStream::connect(&addr).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut b = [0u8; 8];
    assert_eq!(
        idle.read(&mut b).unwrap(),
        0,
        "the server closes the idle socket"
    );
    let (code, out) = s.wait(Duration::from_secs(5));
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("summary: 1 accepted, 0 completed, 1 failed (network-timeout ×1)"),
        "{out}"
    );
}

#[test]
fn connect_refuses_a_suite_bridge_mode_cannot_run() {
    // Nothing listens on port 9: the refusal comes before any connection.
    let out = tlsim()
        .args([
            "bridge",
            "connect",
            "127.0.0.1:9",
            "--suite",
            "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not supported in bridge mode"), "{err}");
    for s in [
        "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    ] {
        assert!(err.contains(s), "{err}");
    }
    assert!(String::from_utf8_lossy(&out.stdout).is_empty());
    assert_eq!(err.lines().count(), 1, "one clear error: {err}");
}

/// `--registry` on the bridge's profile: a DHE-disabling export leaves a DHE-only client
/// without a shared suite, which the same server without it serves.
#[test]
fn serve_applies_a_registry_export_to_its_profile() {
    for (registry, ok) in [
        (None, true),
        (Some("examples/schannel-disable-dhe.reg"), false),
    ] {
        let mut args = vec!["0", "--count", "1"];
        if let Some(r) = registry {
            args.extend(["--registry", r]);
        }
        let s = Serve::start(&args);
        // The overlay notes come on stderr before the "listening on" line.
        let mut before = String::new();
        let addr = loop {
            let line = s
                .stderr
                .recv_timeout(Duration::from_secs(10))
                .expect("a listening line");
            match line.strip_prefix("listening on ") {
                Some(a) => break a.trim().to_string(),
                None => before.push_str(&(line + "\n")),
            }
        };
        assert_eq!(
            before.contains("not applied: line 12"),
            registry.is_some(),
            "{before}"
        );
        let c = tlsim()
            .args(["bridge", "connect", &addr, "--profile", "strip-zeros"])
            .output()
            .unwrap();
        assert_eq!(
            c.status.success(),
            ok,
            "{registry:?}: {}",
            String::from_utf8_lossy(&c.stdout)
        );
        let (_, out) = s.wait(Duration::from_secs(10));
        if !ok {
            assert!(out.contains("no-shared-cipher"), "{out}");
        }
    }
}
