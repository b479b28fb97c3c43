//! The socket bridge: a tlsim client or server engine over a real TCP connection on
//! loopback, talking to a real TLS stack (OpenSSL's `s_server` / `s_client`). The engine runs
//! in bridge mode ([`Connection::with_real_crypto`]): real certificates, RSA signatures and
//! AES-GCM records. Everything here is bounded: every socket has read and write timeouts,
//! every connection a deadline, every loop an iteration cap.
//!
//! A real peer's internals are not visible, so a bridge outcome is built from the tlsim
//! side's [`LocalReport`] plus what the peer put on the wire (its alert, its close); the
//! engine's classifier names the mechanism from that ([`Context::Bridge`]).
//!
//! As a server ([`serve_on`]) the bridge is a target real clients (and anything else on
//! loopback) connect to: connections are served concurrently, one thread each, up to a cap;
//! each has a handshake deadline and an overall deadline, so idle sockets are dropped; the
//! engine refuses an oversized handshake message at its header (see the engine's
//! `HeaderLimits`), so nothing is buffered for a claimed 2^24-1 byte ClientHello.

mod command;
mod signals;
pub use command::{BridgeEvent, BridgeOverlays, ConnectCommand, ServeCommand};
pub use signals::stop_on_signals;

use crate::crypto::tls13::Tls13Suite;
use crate::engine::{
    classify, Close, CloseKind, Connection, Context, HandshakeKind, LocalReport, Mechanism,
    MessageKind, Millis, PeerState, RealCrypto, Side, Status, Timeouts, Timer,
};
use crate::profile::{Profile, TlsVersion};
use crate::report::pcap::Flight;
use crate::seed::rng_for;
use crate::wire::{suite_info, AlertDescription, SuiteInfo, SUITES};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// What to do with application data once the handshake is complete.
#[derive(Debug, Clone)]
pub struct AppScript {
    /// Client: bytes sent after the handshake (a line for `s_server -rev`, an HTTP request
    /// for `s_server -www`). Server: ignored (it echoes what it receives).
    pub send: Vec<u8>,
    /// Client: keep reading until the peer closes (`-www`) rather than until the first
    /// newline (`-rev`).
    pub read_until_close: bool,
}

impl AppScript {
    /// An HTTP/1.0 GET, read until the server closes (`s_server -www`, whose page shows
    /// OpenSSL's view of the session).
    pub fn http_get() -> AppScript {
        AppScript {
            send: b"GET / HTTP/1.0\r\n\r\n".to_vec(),
            read_until_close: true,
        }
    }
}

impl Default for AppScript {
    fn default() -> Self {
        AppScript {
            send: b"tlsim bridge ping\n".to_vec(),
            read_until_close: false,
        }
    }
}

/// Limits of one bridged connection.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Deadline of one connection, handshake and application data included.
    pub per_connection: Duration,
    /// Deadline of the handshake: a peer that has not completed it by then (an idle
    /// socket, a stalled handshake) is dropped with a FIN.
    pub handshake: Duration,
    /// Socket read timeout (one poll step).
    pub io_timeout: Duration,
}

impl Limits {
    /// The engine's deadlines: the handshake's (never after the connection's) and the
    /// connection's, in whole milliseconds.
    pub fn timeouts(&self) -> Timeouts {
        let ms = |d: Duration| Millis::try_from(d.as_millis()).unwrap_or(Millis::MAX);
        Timeouts {
            handshake: Some(ms(self.handshake.min(self.per_connection))),
            connection: Some(ms(self.per_connection)),
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            per_connection: Duration::from_secs(10),
            handshake: Duration::from_secs(5),
            io_timeout: Duration::from_millis(50),
        }
    }
}

/// The outcome of one bridged connection, shaped like `tlsim handshake --json`'s outcome
/// with the tlsim side's report in `local` (the real peer has no report). The verdict comes
/// from the same classifier as the simulated outcomes ([`classify`], [`Context::Bridge`]).
#[derive(Debug, Clone, Serialize)]
pub struct BridgeOutcome {
    pub index: u64,
    /// Ok: the handshake and the application-data round trip succeeded.
    pub outcome: Status,
    pub handshake: HandshakeKind,
    pub suite: Option<String>,
    pub version: Option<String>,
    pub ems: bool,
    pub mechanism: Option<Mechanism>,
    pub detected_by: Option<Detector>,
    pub at: Option<MessageKind>,
    /// The alert on the wire: the one tlsim sent, or the one the real peer sent.
    #[serde(serialize_with = "alert_number")]
    pub alert: Option<AlertDescription>,
    /// The alert received from the real peer, if any.
    #[serde(serialize_with = "alert_number")]
    pub alert_received: Option<AlertDescription>,
    pub close: Option<Close>,
    pub explanation: String,
    /// Application data sent and received after the handshake (lossy UTF-8); empty when
    /// none was (a failed handshake sends none).
    pub app_sent: String,
    pub app_received: String,
    /// Socket-level problem (timeout, connection refused), if any.
    pub transport: Option<String>,
    pub local: LocalReport,
    /// The connection's NSS key log lines (`--keylog`; [`Connection::key_log`]): TLS 1.3's
    /// traffic secrets or TLS 1.0–1.2's `CLIENT_RANDOM`; empty when none was derived.
    #[serde(skip)]
    pub key_log: String,
    /// What crossed the socket, both ways, timed from the start of the run (`--pcap`,
    /// [`crate::report::pcap::capture_flights`]).
    #[serde(skip)]
    pub flights: Vec<Flight>,
}

/// Who detected a bridged connection's failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Detector {
    /// The tlsim side found the failure itself.
    Tlsim,
    /// The real stack did: it sent an alert or closed.
    Peer,
}

/// An alert as its number on the wire.
fn alert_number<S: serde::Serializer>(
    a: &Option<AlertDescription>,
    s: S,
) -> Result<S::Ok, S::Error> {
    a.map(AlertDescription::to_u8).serialize(s)
}

impl BridgeOutcome {
    pub fn ok(&self) -> bool {
        self.outcome == Status::Ok
    }
}

/// Counts over a bridge run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub attempts: u64,
    pub ok: u64,
    pub failures: u64,
    pub resumed: u64,
    pub by_mechanism: BTreeMap<Mechanism, u64>,
    /// Failures by the alert received from the real peer ("20 bad_record_mac").
    pub by_alert_received: BTreeMap<String, u64>,
}

impl Summary {
    pub fn from_outcomes(v: &[BridgeOutcome]) -> Summary {
        let mut s = Summary::default();
        for o in v {
            s.attempts += 1;
            if o.handshake == HandshakeKind::Resumed {
                s.resumed += 1;
            }
            if o.ok() {
                s.ok += 1;
                continue;
            }
            s.failures += 1;
            if let Some(m) = o.mechanism {
                *s.by_mechanism.entry(m).or_default() += 1;
            }
            if let Some(a) = o.alert_received {
                *s.by_alert_received
                    .entry(format!("{} {}", a.to_u8(), a.name()))
                    .or_default() += 1;
            }
        }
        s
    }
}

/// The suites bridge mode can run: (EC)DHE_RSA with AES-GCM (TLS 1.2), in code-point order.
/// CBC suites, RSA key transport and ECDSA are modelled in the simulated mode only.
pub fn bridge_suites() -> Vec<&'static SuiteInfo> {
    SUITES
        .iter()
        .filter(|i| Connection::real_suite_ok(i))
        .collect()
}

/// Whether bridge mode can run this suite.
pub fn bridge_suite_ok(info: &SuiteInfo) -> bool {
    Connection::real_suite_ok(info)
}

fn bridge_suite_names() -> String {
    bridge_suites()
        .iter()
        .map(|i| i.iana)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Keep only the suites and versions bridge mode can run (TLS 1.0–1.2: SSL 3.0's MAC and
/// key derivation are not implemented; TLS 1.3 with its three suites, RFC 8446 §B.4, run by
/// [`crate::tls13`] behind the engine), and refuse (before any connection) a profile that
/// would have nothing to offer in `role`: a client's list as its ClientHello would carry it
/// (TLS 1.2-only suites dropped when TLS 1.2 is not its highest version below 1.3), a
/// server's list usable in a version it enables. A profile enabling TLS 1.3 with a TLS 1.3
/// suite is usable even when none of its TLS 1.0–1.2 suites is.
pub fn bridge_profile(mut p: Profile, role: Side) -> Result<Profile, String> {
    let ok = |s: &crate::wire::CipherSuite| suite_info(*s).is_some_and(Connection::real_suite_ok);
    p.client_suites.retain(ok);
    p.server_suites.retain(ok);
    p.client_versions.retain(|v| *v != TlsVersion::Ssl30);
    p.server_versions.retain(|v| *v != TlsVersion::Ssl30);
    let (suites, versions) = match role {
        Side::Client => (&p.client_suites, &p.client_versions),
        Side::Server => (&p.server_suites, &p.server_versions),
    };
    let tls12 = match role {
        Side::Client => p.max_legacy_client_version() == Some(TlsVersion::Tls12),
        Side::Server => versions.contains(&TlsVersion::Tls12),
    };
    let legacy = versions.iter().any(|v| *v <= TlsVersion::Tls12);
    let usable12 = legacy
        && suites
            .iter()
            .filter_map(|s| suite_info(*s))
            .any(|i| tls12 || !i.tls12_only);
    let usable13 = p.tls13(role == Side::Client) && !p.tls13_suites.is_empty();
    if !usable12 && !usable13 {
        return Err(format!(
            "profile {}: no cipher suite left to {} in bridge mode ({}); bridge mode supports only {} with TLS 1.0-1.2 (the GCM and SHA-256/384 suites with TLS 1.2 only), and {} with TLS 1.3",
            p.name,
            if role == Side::Client { "offer" } else { "accept" },
            match (suites.is_empty(), legacy) {
                _ if p.tls13(role == Side::Client) => "TLS 1.3 is enabled with no TLS 1.3 suite, and no TLS 1.0-1.2 suite is usable",
                (_, false) => "no TLS 1.0-1.3 version is enabled",
                (true, _) => "none of its suites is supported",
                (false, true) => "its suites need TLS 1.2, which it does not use",
            },
            bridge_suite_names(),
            Tls13Suite::ALL.map(Tls13Suite::name).join(", ")
        ));
    }
    Ok(p)
}

/// A suite named on the command line: a TLS 1.3 one (RFC 8446 §B.4 name), or a TLS 1.0–1.2
/// one refused unless bridge mode can run it.
pub fn bridge_suite(name: &str) -> Result<BridgeSuite, String> {
    if let Some(s) = crate::profile::tls13_suite_by_name(name) {
        return Ok(BridgeSuite::Tls13(s));
    }
    let info =
        crate::wire::suite_by_name(name).ok_or_else(|| format!("unknown cipher suite {name:?}"))?;
    if !Connection::real_suite_ok(info) {
        return Err(format!(
            "cipher suite {} is not supported in bridge mode; bridge mode supports only {}",
            info.iana,
            bridge_suite_names()
        ));
    }
    Ok(BridgeSuite::Legacy(info))
}

/// A suite `--suite` names: TLS 1.3's or an older version's.
#[derive(Debug, Clone, Copy)]
pub enum BridgeSuite {
    Tls13(Tls13Suite),
    Legacy(&'static SuiteInfo),
}

impl BridgeSuite {
    /// `p` as a client offering this suite only, in its version family: a TLS 1.3 suite
    /// offers TLS 1.3 only (refused for a profile without it), an older suite drops TLS
    /// 1.3 from the offer, so the connection runs the suite asked for or fails.
    pub fn restrict(self, p: &mut Profile) -> Result<(), String> {
        match self {
            BridgeSuite::Tls13(s) => {
                if !p.tls13(true) {
                    return Err(format!(
                        "cipher suite {} is TLS 1.3's, and profile {} does not enable TLS 1.3",
                        s.name(),
                        p.name
                    ));
                }
                p.tls13_suites = vec![s];
                p.client_versions = vec![TlsVersion::Tls13];
            }
            BridgeSuite::Legacy(i) => {
                p.client_suites = vec![i.suite];
                p.client_versions.retain(|v| *v != TlsVersion::Tls13);
            }
        }
        Ok(())
    }
}

/// True when this side's Z had a leading zero byte and it kept it in the pre-master secret
/// (M1 on the tlsim side): see [`crate::engine::Truth::kept_leading_zero`].
pub fn kept_leading_zero(r: &LocalReport) -> bool {
    r.truth.kept_leading_zero()
}

struct Clock(Instant);

impl Clock {
    // TODO(h12-merge): owned by another helper
    #[allow(clippy::cast_possible_truncation)]
    fn now(&self) -> Millis {
        // Milliseconds since the run started: u64 holds 584 million years of them.
        Millis::try_from(self.0.elapsed().as_millis()).unwrap_or(Millis::MAX)
    }
}

/// The shared peer state (session cache, ticket key), locked only while the engine runs.
fn lock(state: &Mutex<PeerState>) -> MutexGuard<'_, PeerState> {
    // A panic elsewhere cannot leave the state half-written in a way that matters here.
    state.lock().unwrap_or_else(|e| e.into_inner())
}

/// Note what crossed the socket (`--pcap`): bytes or a close from one side at `now`, merged
/// into that side's flight at the same millisecond.
fn record(cap: &mut Vec<Flight>, from: Side, now: Millis, bytes: &[u8], close: Option<CloseKind>) {
    match cap.last_mut() {
        Some(f) if f.from == from && f.time_ms == now && f.close.is_none() => {
            f.bytes.extend_from_slice(bytes);
            f.close = close;
        }
        _ => cap.push(Flight {
            from,
            time_ms: now,
            bytes: bytes.to_vec(),
            close,
        }),
    }
}

/// Send what the engine has queued (noted in `cap` at `now`). Returns Err on a socket
/// error, Ok(true) if it closed.
fn flush(
    stream: &mut TcpStream,
    conn: &mut Connection,
    cap: &mut Vec<Flight>,
    now: Millis,
) -> Result<bool, String> {
    let mut closed = false;
    let side = conn.side();
    while let Some(t) = conn.poll_transmit() {
        record(cap, side, now, &t.bytes, t.close);
        if !t.bytes.is_empty() {
            stream
                .write_all(&t.bytes)
                .map_err(|e| format!("write: {e}"))?;
        }
        if let Some(k) = t.close {
            // std has no SO_LINGER=0 on stable, so an RST close is a full shutdown too.
            let how = if k == CloseKind::Rst {
                Shutdown::Both
            } else {
                Shutdown::Write
            };
            let _ = stream.shutdown(how);
            closed = true;
        }
    }
    Ok(closed)
}

/// What [`drive`] moved: the application data received and sent, and the transport
/// problem that ended it, if any.
struct Driven {
    received: Vec<u8>,
    sent: Vec<u8>,
    transport: Option<String>,
    /// What crossed the socket, both ways.
    flights: Vec<Flight>,
}

/// Drive one connection over `stream` until it ends, one of the engine's deadlines passes
/// (its [`Timeouts`] from `limits`, running from now) or `stop` is set.
fn drive(
    stream: &mut TcpStream,
    conn: &mut Connection,
    state: &Mutex<PeerState>,
    clock: &Clock,
    limits: &Limits,
    script: &AppScript,
    stop: Option<&AtomicBool>,
) -> Driven {
    let (mut sent, mut flights) = (Vec::new(), Vec::new());
    let (received, transport) = drive_loop(
        stream,
        conn,
        state,
        clock,
        limits,
        script,
        stop,
        &mut sent,
        &mut flights,
    );
    Driven {
        received,
        sent,
        transport,
        flights,
    }
}

#[allow(clippy::too_many_arguments)]
fn drive_loop(
    stream: &mut TcpStream,
    conn: &mut Connection,
    state: &Mutex<PeerState>,
    clock: &Clock,
    limits: &Limits,
    script: &AppScript,
    stop: Option<&AtomicBool>,
    sent: &mut Vec<u8>,
    cap: &mut Vec<Flight>,
) -> (Vec<u8>, Option<String>) {
    let peer = conn.side().peer();
    conn.restart_timers(clock.now());
    let _ = stream.set_read_timeout(Some(limits.io_timeout));
    let _ = stream.set_write_timeout(Some(limits.per_connection));
    let _ = stream.set_nodelay(true);
    let is_client = conn.side() == Side::Client;
    let mut received = Vec::new();
    let mut app_sent = false;
    let mut echoed = 0;
    let mut buf = vec![0u8; 32 * 1024];
    // At most one read per iteration, each at most io_timeout long: the cap is far above
    // what the deadline allows.
    let steps = limits.per_connection.as_millis() / limits.io_timeout.as_millis().max(1);
    let max_iter = usize::try_from(steps)
        .unwrap_or(usize::MAX)
        .saturating_mul(4)
        .saturating_add(1000);
    for _ in 0..max_iter {
        match flush(stream, conn, cap, clock.now()) {
            Err(e) => return (received, Some(e)),
            Ok(true) => {
                // Drain briefly so the peer's last alert (if any) is read, then stop.
                let until = Instant::now() + Duration::from_millis(200);
                while Instant::now() < until {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            record(cap, peer, clock.now(), &buf[..n], None);
                            conn.handle_input(clock.now(), &buf[..n], &mut lock(state))
                        }
                    }
                }
                received.extend(conn.take_app_data());
                return (received, None);
            }
            Ok(false) => {}
        }
        if conn.is_closed() {
            received.extend(conn.take_app_data());
            return (received, None);
        }
        if conn.is_handshake_complete() {
            received.extend(conn.take_app_data());
            if is_client {
                if !app_sent {
                    conn.send_app_data(&script.send);
                    sent.extend_from_slice(&script.send);
                    app_sent = true;
                    continue;
                }
                if !script.read_until_close && received.contains(&b'\n') {
                    conn.close_notify();
                    continue;
                }
            } else if received.len() > echoed {
                // Echo what arrives; after a full line, close cleanly.
                conn.send_app_data(&received[echoed..]);
                sent.extend_from_slice(&received[echoed..]);
                echoed = received.len();
                if received.contains(&b'\n') {
                    conn.close_notify();
                }
                continue;
            }
        }
        if stop.is_some_and(|s| s.load(Ordering::Relaxed)) {
            let _ = stream.shutdown(Shutdown::Both);
            return (received, Some("interrupted".into()));
        }
        let now = clock.now();
        let expired = conn
            .poll_timeout()
            .is_some_and(|at| now >= at)
            .then(|| conn.handle_timeout(now))
            .flatten();
        if let Some(timer) = expired {
            // The engine gave up (FIN, no alert), as an application closing its socket, or
            // the connection's time is up.
            let what = match timer {
                Timer::Handshake => format!(
                    "no complete handshake within {:?} (handshake deadline)",
                    limits.handshake.min(limits.per_connection)
                ),
                Timer::Connection => {
                    format!("connection deadline of {:?} passed", limits.per_connection)
                }
            };
            let _ = flush(stream, conn, cap, now);
            let _ = stream.shutdown(Shutdown::Both);
            return (received, Some(what));
        }
        match stream.read(&mut buf) {
            Ok(0) => {
                record(cap, peer, clock.now(), &[], Some(CloseKind::Fin));
                conn.handle_close(clock.now(), CloseKind::Fin)
            }
            Ok(n) => {
                record(cap, peer, clock.now(), &buf[..n], None);
                conn.handle_input(clock.now(), &buf[..n], &mut lock(state))
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted
                ) =>
            {
                record(cap, peer, clock.now(), &[], Some(CloseKind::Rst));
                conn.handle_close(clock.now(), CloseKind::Rst)
            }
            Err(e) => return (received, Some(format!("read: {e}"))),
        }
        if conn.is_closed() && conn.report().complete {
            // The connection ended after the handshake: the peer closed (close_notify, which
            // the engine answers with its own, or FIN), or the engine refused a record and
            // queued its fatal alert. What the engine queued goes out before the socket is
            // shut; what arrived counts.
            received.extend(conn.take_app_data());
            let transport = flush(stream, conn, cap, clock.now()).err();
            let _ = stream.shutdown(Shutdown::Write);
            return (received, transport);
        }
    }
    (received, Some("iteration cap".into()))
}

fn finish(index: u64, conn: &Connection, d: Driven, app_ok: bool) -> BridgeOutcome {
    let Driven {
        received,
        sent,
        transport,
        flights,
    } = d;
    let local = conn.report().clone();
    // The real peer has no report: the classifier reads it from what tlsim received.
    let peer = LocalReport::new(local.side.peer());
    let (client, server) = match local.side {
        Side::Client => (&local, &peer),
        Side::Server => (&peer, &local),
    };
    let ctx = Context::Bridge {
        tlsim: local.side,
        app_ok,
        transport: transport.as_deref(),
    };
    let v = classify(client, server, &ctx);
    BridgeOutcome {
        index,
        outcome: v.status,
        handshake: local.kind,
        suite: local.suite.clone(),
        version: local.version.clone(),
        ems: local.truth.ems,
        mechanism: v.mechanism,
        detected_by: v.detected_by.map(|d| {
            if d == local.side {
                Detector::Tlsim
            } else {
                Detector::Peer
            }
        }),
        at: v.at,
        alert: v.alert,
        alert_received: local.alert_received,
        close: v.close,
        explanation: v.explanation,
        app_sent: String::from_utf8_lossy(&sent).into_owned(),
        app_received: String::from_utf8_lossy(&received).into_owned(),
        transport,
        local,
        key_log: crate::report::pcap::keylog_tls13(&conn.key_log()),
        flights,
    }
}

/// What `connect` does: how many connections, whether to resume, the seed, the
/// application data and the limits.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub count: u64,
    pub resume: bool,
    pub seed: u64,
    pub script: AppScript,
    pub limits: Limits,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            count: 1,
            resume: false,
            seed: 1,
            script: AppScript::default(),
            limits: Limits::default(),
        }
    }
}

/// A tlsim client making `opts.count` connections to a real server at `addr` (loopback).
/// With `resume`, one session store is kept across the connections, so connection 2.. try to
/// resume (session ID or ticket, as the profile says); without it every connection is full.
/// Connection i uses the RNG `rng_for(seed, [i, 0])`, as the in-memory driver does.
/// A profile with nothing to offer in bridge mode is refused before any connection.
pub fn connect(
    addr: &str,
    profile: Profile,
    opts: &ConnectOptions,
    mut on_outcome: impl FnMut(&BridgeOutcome),
) -> Result<Vec<BridgeOutcome>, String> {
    let (count, resume, seed) = (opts.count, opts.resume, opts.seed);
    let (script, limits) = (&opts.script, &opts.limits);
    let profile = Arc::new(bridge_profile(profile, Side::Client)?);
    let sock = addr
        .to_socket_addrs()
        .map_err(|e| format!("{addr}: {e}"))?
        .next()
        .ok_or_else(|| format!("{addr}: no address"))?;
    if !sock.ip().is_loopback() {
        return Err(format!("{addr}: bridge mode is loopback only"));
    }
    // The bundled test client certificate, sent when a server asks and the profile's
    // `client_cert` knob is on (else an empty Certificate).
    let real = Arc::new(RealCrypto::test_client());
    let clock = Clock(Instant::now());
    let state = Mutex::new(PeerState::new(&mut rng_for(seed, &[u64::MAX, 0])));
    let mut out = Vec::new();
    for i in 0..count {
        if !resume {
            *lock(&state) = PeerState::new(&mut rng_for(seed, &[u64::MAX, 0, i]));
        }
        let mut conn = Connection::client(
            profile.clone(),
            addr,
            rng_for(seed, &[i, 0]),
            clock.now(),
            &mut lock(&state),
        )
        .with_real_crypto(real.clone())
        .with_timeouts(limits.timeouts());
        let o = match TcpStream::connect_timeout(&sock, limits.per_connection) {
            Ok(mut stream) => {
                let d = drive(&mut stream, &mut conn, &state, &clock, limits, script, None);
                let app_ok = conn.report().complete
                    && if script.read_until_close {
                        !d.received.is_empty()
                    } else {
                        d.received.contains(&b'\n')
                    };
                finish(i, &conn, d, app_ok)
            }
            Err(e) => finish(
                i,
                &conn,
                Driven {
                    received: Vec::new(),
                    sent: Vec::new(),
                    transport: Some(format!("connect: {e}")),
                    flights: Vec::new(),
                },
                false,
            ),
        };
        on_outcome(&o);
        out.push(o);
    }
    Ok(out)
}

/// Default cap on concurrently served connections of [`serve_on`] (`--max-connections`).
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;

/// What `serve_on` does.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Stop accepting after this many connections (those refused over the cap do not
    /// count) and return once they are done; None: until `stop` is set or `idle_exit`.
    pub count: Option<u64>,
    pub seed: u64,
    pub limits: Limits,
    /// Connections served at once; a connection accepted while this many are in progress
    /// is closed at once and counted in [`ServeReport::refused_over_cap`].
    pub max_connections: usize,
    /// Return when no connection has been accepted or in progress for this long; None:
    /// wait indefinitely.
    pub idle_exit: Option<Duration>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            count: None,
            seed: 1,
            limits: Limits::default(),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            idle_exit: None,
        }
    }
}

/// Why [`serve_on`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServeEnd {
    /// `count` connections were accepted and served.
    Count,
    /// `idle_exit` passed without a connection.
    Idle,
    /// The stop flag was set (SIGINT/SIGTERM in `tlsim bridge serve`).
    Interrupted,
}

impl ServeEnd {
    pub fn name(self) -> &'static str {
        match self {
            ServeEnd::Count => "count reached",
            ServeEnd::Idle => "idle",
            ServeEnd::Interrupted => "interrupted",
        }
    }
}

/// The result of a [`serve_on`] run.
#[derive(Debug, Clone)]
pub struct ServeReport {
    /// One per accepted connection, by index (accept order).
    pub outcomes: Vec<BridgeOutcome>,
    /// Connections closed at once because `max_connections` were in progress.
    pub refused_over_cap: u64,
    pub ended: ServeEnd,
}

/// The counts `tlsim bridge serve` prints however it ends.
#[derive(Debug, Clone, Serialize)]
pub struct ServeSummary {
    /// Connections accepted and served (each has an outcome).
    pub accepted: u64,
    /// Connections closed at once over the cap.
    pub refused_over_cap: u64,
    pub max_connections: usize,
    pub ended: ServeEnd,
    /// Outcome counts over the accepted connections: `ok` completed the handshake and the
    /// echo, `failures` by mechanism.
    pub connections: Summary,
}

impl ServeReport {
    pub fn summary(&self, max_connections: usize) -> ServeSummary {
        let connections = Summary::from_outcomes(&self.outcomes);
        ServeSummary {
            accepted: connections.attempts,
            refused_over_cap: self.refused_over_cap,
            max_connections,
            ended: self.ended,
            connections,
        }
    }
}

/// One accepted connection, served to its end.
#[allow(clippy::too_many_arguments)]
fn serve_one(
    index: u64,
    mut stream: TcpStream,
    profile: Arc<Profile>,
    real: Arc<RealCrypto>,
    seed: u64,
    limits: &Limits,
    state: &Mutex<PeerState>,
    clock: &Clock,
    stop: &AtomicBool,
) -> BridgeOutcome {
    let _ = stream.set_nonblocking(false);
    let script = AppScript::default();
    let mut conn = Connection::server(profile, rng_for(seed, &[index, 1]), clock.now())
        .with_real_crypto(real)
        .with_timeouts(limits.timeouts());
    let d = drive(
        &mut stream,
        &mut conn,
        state,
        clock,
        limits,
        &script,
        Some(stop),
    );
    // The echo is the round trip: a line came in and went back.
    let app_ok = conn.report().complete && d.received.contains(&b'\n');
    // A real client that only handshakes and closes (s_client -reconnect's first
    // connections) has no line to echo: a complete handshake closed cleanly by the peer
    // counts as ok with nothing echoed.
    let app_ok =
        app_ok || (conn.report().complete && d.transport.is_none() && d.received.is_empty());
    finish(index, &conn, d, app_ok)
}

/// A tlsim server accepting connections from real clients on `listener` (bound to loopback
/// by the caller, see [`bind`]), serving each on its own thread, at most
/// `opts.max_connections` at once; it returns when `opts.count` connections were served,
/// when `opts.idle_exit` passed without one, or soon after `stop` is set (connections in
/// progress are then cut short, their transport "interrupted").
///
/// Each connection echoes the application data it receives and closes cleanly after the
/// first full line. One session cache and ticket key serve all connections, so real clients
/// can resume. Connections are numbered in accept order; connection i uses the RNG
/// `rng_for(seed, [i, 1])`. `on_outcome` is called on the calling thread as connections end
/// (in completion order); the report's outcomes are in index order.
pub fn serve_on(
    listener: &TcpListener,
    profile: Profile,
    real: Arc<RealCrypto>,
    opts: &ServeOptions,
    stop: &AtomicBool,
    mut on_outcome: impl FnMut(&BridgeOutcome),
) -> Result<ServeReport, String> {
    if opts.max_connections == 0 {
        return Err("max_connections must be at least 1".into());
    }
    let profile = Arc::new(bridge_profile(profile, Side::Server)?);
    let clock = Clock(Instant::now());
    let state = Mutex::new(PeerState::new(&mut rng_for(opts.seed, &[u64::MAX, 1])));
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("listener: {e}"))?;
    let active = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<BridgeOutcome>();
    let mut out = Vec::new();
    let mut accepted = 0u64;
    let mut refused = 0u64;
    let mut last_activity = Instant::now();
    let ended = std::thread::scope(|scope| {
        let mut deliver = |o: BridgeOutcome, out: &mut Vec<BridgeOutcome>| {
            on_outcome(&o);
            out.push(o);
        };
        let ended = loop {
            while let Ok(o) = rx.try_recv() {
                last_activity = Instant::now();
                deliver(o, &mut out);
            }
            if stop.load(Ordering::Relaxed) {
                break ServeEnd::Interrupted;
            }
            if opts.count.is_some_and(|n| accepted >= n) {
                break ServeEnd::Count;
            }
            if let Some(idle) = opts.idle_exit {
                if active.load(Ordering::Acquire) == 0 && last_activity.elapsed() >= idle {
                    break ServeEnd::Idle;
                }
            }
            let stream = match listener.accept() {
                Ok((s, _)) => s,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                }
                // Transient (a connection reset before accept, EMFILE): keep serving.
                Err(_) => {
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                }
            };
            last_activity = Instant::now();
            if active.load(Ordering::Acquire) >= opts.max_connections {
                refused += 1;
                let _ = stream.shutdown(Shutdown::Both);
                continue;
            }
            let index = accepted;
            active.fetch_add(1, Ordering::AcqRel);
            let (profile, real, tx) = (profile.clone(), real.clone(), tx.clone());
            let (limits, state, clock, active) = (&opts.limits, &state, &clock, &active);
            let spawned = std::thread::Builder::new()
                .name(format!("bridge-conn-{index}"))
                .spawn_scoped(scope, move || {
                    let o = serve_one(
                        index, stream, profile, real, opts.seed, limits, state, clock, stop,
                    );
                    let _ = tx.send(o);
                    active.fetch_sub(1, Ordering::AcqRel);
                });
            match spawned {
                Ok(_) => accepted += 1,
                Err(_) => {
                    // No thread for it (resource limits): closed at once, like the cap.
                    active.fetch_sub(1, Ordering::AcqRel);
                    refused += 1;
                }
            }
        };
        // Connections in progress finish (or, interrupted, stop at their next poll step).
        while active.load(Ordering::Acquire) > 0 {
            if let Ok(o) = rx.recv_timeout(Duration::from_millis(20)) {
                deliver(o, &mut out);
            }
        }
        ended
    });
    drop(tx);
    while let Ok(o) = rx.try_recv() {
        on_outcome(&o);
        out.push(o);
    }
    out.sort_by_key(|o| o.index);
    Ok(ServeReport {
        outcomes: out,
        refused_over_cap: refused,
        ended,
    })
}

/// Bind 127.0.0.1:`port` (0: any free port; see `local_addr`).
pub fn bind(port: u16) -> Result<TcpListener, String> {
    TcpListener::bind(("127.0.0.1", port)).map_err(|e| format!("bind 127.0.0.1:{port}: {e}"))
}
