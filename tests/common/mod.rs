//! Shared helpers of the interop and bridge tests (tests/interop_*.rs, tests/bridge_*.rs):
//! finding a real TLS tool (and saying "skipped: <tool> not found" when it is missing),
//! running it bounded on loopback with its output in a file, a tlsim client ([`connect`])
//! and a tlsim server ([`serve`]) in bridge mode, and the checks every peer shares (M1
//! failures, rates, the long keep-zeros / strip-zeros runs).
//!
//! Each test binary uses part of this module only.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tlsim::bridge::{self, kept_leading_zero, AppScript, BridgeOutcome, Limits, ServeOptions};
use tlsim::crypto::{binomial_interval, DhGroup, GroupId};
use tlsim::engine::{HandshakeKind, Mechanism, RealCrypto};
use tlsim::profile::Profile;
use tlsim::wire::suite_by_name;

/// Whether `bin` can be started (`arg` is a harmless option: `--version`, `-h`). Prints
/// "skipped: <bin> not found" when it cannot, so a missing peer is never a silent pass.
pub fn have(bin: &str, arg: &str) -> bool {
    let ok = Command::new(bin)
        .arg(arg)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !ok {
        println!("skipped: {bin} not found");
        eprintln!("skipped: {bin} not found");
    }
    ok
}

pub fn data(f: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(f)
        .to_string_lossy()
        .into_owned()
}

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let p =
            std::env::temp_dir().join(format!("tlsim-interop-{}-{n}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    pub fn file(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().into_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running real server, its stdout and stderr in a log file; killed on drop.
pub struct Server {
    child: Child,
    pub port: u16,
    log: PathBuf,
    _dir: TempDir,
}

impl Server {
    /// Start `cmd` (already given its arguments) and wait (bounded, 20 s) until its log
    /// contains `ready`; `port` is where it listens (0: read it from the log with
    /// `port_after`, the word following that text).
    pub fn start(mut cmd: Command, ready: &str, port: u16, port_after: Option<&str>) -> Server {
        let dir = TempDir::new("server");
        let log = dir.0.join("server.log");
        let out = std::fs::File::create(&log).unwrap();
        let child = cmd
            .stdin(Stdio::piped())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("spawn server");
        let mut s = Server {
            child,
            port,
            log,
            _dir: dir,
        };
        let until = Instant::now() + Duration::from_secs(20);
        while Instant::now() < until {
            let text = s.output();
            if text.contains(ready) {
                if let Some(after) = port_after {
                    let p = text
                        .split(after)
                        .nth(1)
                        .and_then(|t| t.split_whitespace().next())
                        .and_then(|w| w.parse().ok());
                    match p {
                        Some(p) => s.port = p,
                        None => continue,
                    }
                }
                // A little grace for the listening socket of servers that print first.
                std::thread::sleep(Duration::from_millis(100));
                return s;
            }
            if let Ok(Some(st)) = s.child.try_wait() {
                panic!("server exited ({st}): {}", s.output());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("server did not start: {}", s.output());
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Run a real client to completion (bounded: killed after `secs`), `input` on its stdin;
/// returns its stdout and stderr together and whether it exited successfully.
pub fn run_client(cmd: Command, input: &str, secs: u64) -> (String, bool) {
    run_client_holding(cmd, input, Duration::ZERO, secs)
}

/// [`run_client`], with its stdin kept open for `hold` after `input` (or until it exits): a
/// client that closes on end of input (gnutls-cli) then waits for the peer's answer.
pub fn run_client_holding(
    mut cmd: Command,
    input: &str,
    hold: Duration,
    secs: u64,
) -> (String, bool) {
    use std::io::Write;
    let dir = TempDir::new("client");
    let log = dir.0.join("client.log");
    let out = std::fs::File::create(&log).unwrap();
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .expect("spawn client");
    let mut stdin = child.stdin.take();
    if let Some(stdin) = stdin.as_mut() {
        let _ = stdin.write_all(input.as_bytes());
    }
    let start = Instant::now();
    let until = start + Duration::from_secs(secs);
    let mut exited = false;
    while Instant::now() < until {
        if let Ok(Some(_)) = child.try_wait() {
            exited = true;
            break;
        }
        if start.elapsed() >= hold {
            stdin = None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    drop(stdin);
    if !exited {
        let _ = child.kill();
    }
    // Reaps the child (std keeps the status try_wait saw).
    let status = child.wait();
    let success = exited && status.is_ok_and(|s| s.success());
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    (text, success)
}

/// `openssl s_client -connect 127.0.0.1:PORT VERSION -ign_eof` (`-tls1_2`, `-tls1_3`), then
/// `args`.
pub fn s_client<S: AsRef<std::ffi::OsStr>>(port: u16, version: &str, args: &[S]) -> Command {
    let mut cmd = Command::new("openssl");
    cmd.args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
        .args([version, "-ign_eof"])
        .args(args);
    cmd
}

/// `gnutls-serv --echo` on a free port (it binds every interface; the tests use loopback
/// only) with the bundled certificate and key, ffdhe2048 for DHE, `--priority=priority`,
/// then `extra` (e.g. `-a`: no CertificateRequest); killed on drop.
pub fn gnutls_serv(priority: &str, extra: &[&str]) -> Server {
    let port = free_port();
    let mut cmd = Command::new("gnutls-serv");
    cmd.args(["--echo", "-p", &port.to_string()])
        .args(["--x509certfile", &data("cert.pem")])
        .args(["--x509keyfile", &data("key.pem")])
        .args(["--dhparams", &data("ffdhe2048.pem")])
        .arg(format!("--priority={priority}"))
        .args(extra);
    Server::start(cmd, "listening", port, None)
}

/// `gnutls-cli --insecure -p PORT`, then `args`, then the host 127.0.0.1.
pub fn gnutls_cli<S: AsRef<std::ffi::OsStr>>(port: u16, args: &[S]) -> Command {
    let mut cmd = Command::new("gnutls-cli");
    cmd.args(["--insecure", "-p", &port.to_string()])
        .args(args)
        .arg("127.0.0.1");
    cmd
}

/// A built-in profile offering (and accepting) one suite only.
pub fn profile(name: &str, suite: &str) -> Profile {
    let mut p = tlsim::profile::load(name).unwrap();
    let s = suite_by_name(suite).unwrap().suite;
    p.client_suites = vec![s];
    p.server_suites = vec![s];
    p
}

pub const DHE128: &str = "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256";
pub const DHE256: &str = "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384";
pub const ECDHE128: &str = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256";
pub const ECDHE256: &str = "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384";

/// A tlsim client (bridge mode) makes `count` connections to `addr`. `http`: send a GET
/// and read until the server closes (for servers that answer requests, as `selfserv`),
/// instead of one line read back.
pub fn connect(
    addr: &str,
    p: Profile,
    count: u64,
    resume: bool,
    seed: u64,
    http: bool,
) -> Vec<BridgeOutcome> {
    bridge::connect(
        addr,
        p,
        &bridge::ConnectOptions {
            count,
            resume,
            seed,
            script: if http {
                AppScript::http_get()
            } else {
                AppScript::default()
            },
            limits: Limits::default(),
        },
        |_| {},
    )
    .unwrap()
}

/// A tlsim server (bridge mode, in a thread, on a free loopback port) for `count`
/// connections while `clients` runs real clients against the port; returns the tlsim
/// outcomes (in accept order) and what `clients` returned.
pub fn serve<T>(
    p: Profile,
    count: u64,
    seed: u64,
    clients: impl FnOnce(u16) -> T,
) -> (Vec<BridgeOutcome>, T) {
    serve_inner(p, Some(count), seed, |port| {
        let t = clients(port);
        (t, count)
    })
}

/// Like [`serve`] when the number of connections is known only once the clients are done:
/// `clients` returns how many connections it made; the server stops when that many have
/// ended (bounded wait).
pub fn serve_open<T>(
    p: Profile,
    seed: u64,
    clients: impl FnOnce(u16) -> (T, u64),
) -> (Vec<BridgeOutcome>, T) {
    serve_inner(p, None, seed, clients)
}

fn serve_inner<T>(
    p: Profile,
    count: Option<u64>,
    seed: u64,
    clients: impl FnOnce(u16) -> (T, u64),
) -> (Vec<BridgeOutcome>, T) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let stop = Arc::new(AtomicBool::new(false));
    let ended = Arc::new(AtomicU64::new(0));
    let (flag, done) = (stop.clone(), ended.clone());
    let h = std::thread::spawn(move || {
        let opts = ServeOptions {
            count,
            seed,
            // Bounded: a client that never comes ends the server after 20 s idle.
            idle_exit: Some(Duration::from_secs(20)),
            ..ServeOptions::default()
        };
        bridge::serve_on(
            &listener,
            p,
            Arc::new(RealCrypto::test_server()),
            &opts,
            &flag,
            |_| {
                done.fetch_add(1, Ordering::SeqCst);
            },
        )
        .map(|r| r.outcomes)
    });
    let (t, made) = clients(port);
    if count.is_none() {
        let until = Instant::now() + Duration::from_secs(20);
        while ended.load(Ordering::SeqCst) < made && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(10));
        }
        stop.store(true, Ordering::SeqCst);
    }
    let v = match h.join() {
        Ok(r) => r.unwrap(),
        Err(_) => panic!("tlsim server thread panicked"),
    };
    (v, t)
}

pub fn kinds(v: &[BridgeOutcome]) -> Vec<&'static str> {
    v.iter().map(|o| o.handshake.name()).collect()
}

/// M1 seen from the tlsim side: every connection fails exactly when tlsim's Z had a leading
/// zero byte that it kept, always as `dh-premaster-zeros`. Returns the number of failures
/// and the alerts on the wire of the failures (`peer_alerts`: the ones the real peer sent,
/// else the ones tlsim sent).
pub fn check_m1(v: &[BridgeOutcome], peer_alerts: bool, ctx: &str) -> (usize, Vec<u8>) {
    let mut alerts = Vec::new();
    for o in v {
        assert_eq!(o.ok(), !kept_leading_zero(&o.local), "{ctx}: {o:#?}");
        if !o.ok() {
            assert_eq!(
                o.mechanism.map(Mechanism::as_str),
                Some("dh-premaster-zeros"),
                "{ctx}: {o:#?}"
            );
            let a = if peer_alerts {
                o.alert_received
            } else {
                o.alert
            };
            alerts.push(a.map(|a| a.to_u8()).unwrap_or(0));
        }
    }
    (v.iter().filter(|o| !o.ok()).count(), alerts)
}

/// M5 as each real client shows it: the first connection completes; the second, resumed,
/// fails after the tlsim server sent CertificateRequest in the abbreviated handshake, with
/// unexpected_message (10) received or the transport closed. `out` is the client's output.
pub fn check_m5(v: &[BridgeOutcome], out: &str) {
    assert!(v[0].ok(), "{v:#?}\n{out}");
    let o = &v[1];
    assert_eq!(o.handshake, HandshakeKind::Resumed, "{o:#?}");
    assert!(!o.ok());
    assert!(o.local.truth.sent_cert_request_on_resume);
    assert!(
        o.alert_received.map(|a| a.to_u8()) == Some(10) || o.transport.is_some(),
        "{o:#?}"
    );
    if o.alert_received.is_some() {
        // The bridge names M5 from its own truth and the peer's real alert.
        assert_eq!(o.mechanism, Some(Mechanism::CertRequestOnResume), "{o:#?}");
    }
}

/// The M1 rate over `n` connections on ffdhe2048: (p, expected, 99.9% interval).
pub fn m1_interval(n: u64) -> (f64, f64, (u64, u64)) {
    let p = DhGroup::named(GroupId::Ffdhe2048).leading_zero_probability();
    (p, n as f64 * p, binomial_interval(n, p, 0.999))
}

/// Print and check a long run's M1 count against its 99.9% interval.
pub fn report_rate(what: &str, n: u64, fails: usize, elapsed: Duration) {
    let (p, e, (lo, hi)) = m1_interval(n);
    println!(
        "{what}: {fails} failures in {n} connections, p = {p:.6}, expected {e:.2}, 99.9% interval [{lo}, {hi}], {elapsed:.1?}"
    );
    assert!(
        (lo..=hi).contains(&(fails as u64)),
        "{what}: {fails} outside [{lo}, {hi}]"
    );
}

/// Connections from a tlsim client in batches until `stop` says enough (at most `max`);
/// used to find a rare event (a short public value) without a fixed long run.
pub fn connect_until(
    addr: &str,
    p: &Profile,
    max: u64,
    http: bool,
    mut stop: impl FnMut(&[BridgeOutcome]) -> bool,
) -> Vec<BridgeOutcome> {
    let mut all = Vec::new();
    let mut seed = 1000;
    while (all.len() as u64) < max {
        let v = connect(addr, p.clone(), 100, false, seed, http);
        seed += 1;
        all.extend(v);
        if stop(&all) {
            break;
        }
    }
    all
}

pub fn path_str(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Connections of a long rate run: `TLSIM_INTEROP_N`, default 3,000.
pub fn long_n() -> u64 {
    std::env::var("TLSIM_INTEROP_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3000)
}

/// M1 at scale with tlsim as the client of `peer` at `addr`: `n` keep-zeros connections
/// (seeds from 2026) fail within the 99.9% interval, each failure the peer's
/// bad_record_mac (20); strip-zeros over the same seeds never fails. `ctx` names the peer
/// in assertion messages.
pub fn long_client_m1(addr: &str, peer: &str, ctx: &str, n: u64, http: bool) {
    let t = Instant::now();
    let v = connect(addr, profile("keep-zeros", DHE256), n, false, 2026, http);
    let (fails, alerts) = check_m1(&v, true, ctx);
    assert!(alerts.iter().all(|&a| a == 20), "{alerts:?}");
    report_rate(
        &format!("tlsim keep-zeros client → {peer}"),
        n,
        fails,
        t.elapsed(),
    );
    let t = Instant::now();
    let v = connect(addr, profile("strip-zeros", DHE256), n, false, 2026, http);
    let sf = v.iter().filter(|o| !o.ok()).count();
    println!(
        "tlsim strip-zeros client → {peer}: {sf} failures in {n}, {:.1?}",
        t.elapsed()
    );
    assert_eq!(sf, 0);
}

/// M1 at scale with tlsim as the server of `client`: `server_m1(zeros, n)` runs `n`
/// connections against a tlsim server of profile `zeros` and returns the failures.
/// Keep-zeros fails within the 99.9% interval, strip-zeros never.
pub fn long_server_m1(
    client: &str,
    zeros: &str,
    n: u64,
    server_m1: impl FnOnce(&str, u64) -> usize,
) {
    let t = Instant::now();
    let fails = server_m1(zeros, n);
    if zeros == "keep-zeros" {
        report_rate(
            &format!("{client} → tlsim keep-zeros server"),
            n,
            fails,
            t.elapsed(),
        );
    } else {
        println!(
            "{client} → tlsim {zeros} server: {fails} failures in {n}, {:.1?}",
            t.elapsed()
        );
        assert_eq!(fails, 0);
    }
}

// ------------------------------------------------------------------ TLS 1.3 (tlsim::tls13)

/// Java, javac and openssl present; tests/java/TlsEcho.java compiled (once per test process)
/// and the bundled test key put in a PKCS12 keystore (password "changeit"). Returns (classes
/// dir, keystore path), or None after saying "skipped: … not found".
pub fn java_tls_echo() -> Option<(PathBuf, String)> {
    static BUILT: std::sync::Mutex<Option<(PathBuf, String)>> = std::sync::Mutex::new(None);
    if !(have("java", "-version") && have("javac", "-version") && have("openssl", "version")) {
        return None;
    }
    let mut b = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(x) = b.as_ref() {
        return Some(x.clone());
    }
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("tlsecho-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/java/TlsEcho.java");
    let st = Command::new("javac")
        .arg("-d")
        .arg(&dir)
        .arg(&src)
        .status()
        .expect("javac");
    assert!(st.success(), "javac failed");
    let ks = dir.join("server.p12").to_string_lossy().into_owned();
    let st = Command::new("openssl")
        .args(["pkcs12", "-export", "-in", &data("cert.pem")])
        .args(["-inkey", &data("key.pem"), "-name", "tlsim"])
        .args(["-passout", "pass:changeit", "-out", &ks])
        .status()
        .expect("openssl pkcs12");
    assert!(st.success(), "openssl pkcs12 -export failed");
    *b = Some((dir, ks.clone()));
    Some((b.as_ref().unwrap().0.clone(), ks))
}

/// One TLS 1.3 connection driven by the sans-IO `tlsim::tls13` client or server over a
/// socket: what happened, and what the tlsim side knew.
#[derive(Debug, Clone)]
pub struct Conn13 {
    /// `None` when the handshake and the exchange of one line each way completed.
    pub error: Option<String>,
    pub negotiated: Option<tlsim::tls13::Negotiated13>,
    /// Tickets the client received.
    pub tickets: Vec<tlsim::tls13::Ticket13>,
    /// The line the peer sent (server: its request; client: its answer).
    pub peer_line: String,
}

impl Conn13 {
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }
}

fn read_some(sock: &mut std::net::TcpStream, buf: &mut [u8]) -> Result<usize, String> {
    use std::io::Read;
    match sock.read(buf) {
        Ok(0) => Err("peer closed the connection".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("read: {e}")),
    }
}

/// A tlsim TLS 1.3 client on `addr`: handshake, send `line`, read until the peer's answer
/// has a newline or the peer closes (an HTTP server answers and closes: `line` is then a
/// request), close_notify. Tickets the server sends on the way are kept.
pub fn tls13_connect(addr: &str, cfg: tlsim::tls13::Config13, seed: u64, line: &str) -> Conn13 {
    use std::io::Write;
    let mut c = tlsim::tls13::Client13::new(cfg, tlsim::seed::rng_for(seed, &[1]));
    let mut got = Vec::new();
    let mut run = || -> Result<(), String> {
        let mut sock = std::net::TcpStream::connect(addr).map_err(|e| e.to_string())?;
        sock.set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(|e| e.to_string())?;
        sock.write_all(&c.start().map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
        let mut buf = vec![0u8; 1 << 16];
        let mut sent = false;
        loop {
            if c.is_connected() && !sent {
                let rec = c.send(line.as_bytes()).map_err(|e| e.to_string())?;
                sock.write_all(&rec).map_err(|e| e.to_string())?;
                sent = true;
            }
            got.extend(c.take_app_data());
            if sent && (got.contains(&b'\n') || c.peer_closed()) {
                let _ = sock.write_all(&c.close().map_err(|e| e.to_string())?);
                return Ok(());
            }
            let n = match read_some(&mut sock, &mut buf) {
                Err(_) if sent && !got.is_empty() => return Ok(()),
                r => r?,
            };
            let out = c.receive(&buf[..n]).map_err(|e| e.to_string())?;
            sock.write_all(&out).map_err(|e| e.to_string())?;
        }
    };
    let error = run().err();
    Conn13 {
        error,
        negotiated: c.negotiated(),
        tickets: c.tickets.clone(),
        peer_line: String::from_utf8_lossy(&got).into_owned(),
    }
}

/// A tlsim TLS 1.3 server answering one connection on `listener`: handshake, read a line,
/// echo it, close_notify.
pub fn tls13_serve_one(listener: &TcpListener, cfg: tlsim::tls13::Config13, seed: u64) -> Conn13 {
    use std::io::Write;
    let rc = RealCrypto::test_server();
    let mut s = tlsim::tls13::Server13::new(
        cfg,
        rc.cert_chain.clone(),
        rc.key.clone().expect("test server key"),
        tlsim::seed::rng_for(seed, &[2]),
    );
    let mut got = Vec::new();
    let mut run = || -> Result<(), String> {
        let (mut sock, _) = listener.accept().map_err(|e| e.to_string())?;
        sock.set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(|e| e.to_string())?;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = read_some(&mut sock, &mut buf)?;
            let out = s.receive(&buf[..n]).map_err(|e| e.to_string())?;
            sock.write_all(&out).map_err(|e| e.to_string())?;
            got.extend(s.take_app_data());
            if got.contains(&b'\n') {
                let rec = s.send(&got).map_err(|e| e.to_string())?;
                sock.write_all(&rec).map_err(|e| e.to_string())?;
                let _ = sock.write_all(&s.close().map_err(|e| e.to_string())?);
                return Ok(());
            }
        }
    };
    let error = run().err();
    Conn13 {
        error,
        negotiated: s.negotiated(),
        tickets: Vec::new(),
        peer_line: String::from_utf8_lossy(&got).into_owned(),
    }
}
