//! The socket bridge: a tlsim client or server engine over a real TCP connection on
//! loopback, talking to a real TLS stack (OpenSSL's `s_server` / `s_client`). The engine runs
//! in bridge mode ([`Connection::with_real_crypto`]): real certificates, RSA signatures and
//! AES-GCM records. Everything here is bounded: every socket has read and write timeouts,
//! every connection a deadline, every loop an iteration cap.
//!
//! A real peer's internals are not visible, so a bridge outcome is built from the tlsim
//! side's [`LocalReport`] plus what the peer put on the wire (its alert, its close). See
//! [`infer`] for how a mechanism is named from that.

use crate::engine::{
    CloseKind, Connection, LocalError, LocalReport, Millis, PeerState, RealCrypto,
};
use crate::profile::Profile;
use crate::seed::rng_for;
use crate::wire::{suite_info, AlertDescription};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::Arc;
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

impl Default for AppScript {
    fn default() -> Self {
        AppScript {
            send: b"tlsim bridge ping\n".to_vec(),
            read_until_close: false,
        }
    }
}

/// Limits of one bridge run.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Deadline of one connection, handshake and application data included.
    pub per_connection: Duration,
    /// Socket read/write timeout (one poll step).
    pub io_timeout: Duration,
    /// Server: how long to wait for each incoming connection.
    pub accept_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            per_connection: Duration::from_secs(10),
            io_timeout: Duration::from_millis(50),
            accept_timeout: Duration::from_secs(20),
        }
    }
}

/// The outcome of one bridged connection, shaped like `tlsim handshake --json`'s outcome
/// with the tlsim side's report in `local` (the real peer has no report).
#[derive(Debug, Clone, Serialize)]
pub struct BridgeOutcome {
    pub index: u64,
    /// "ok" (handshake and application-data round trip) or "failed".
    pub outcome: String,
    pub handshake: String,
    pub suite: Option<String>,
    pub version: Option<String>,
    pub ems: bool,
    pub mechanism: Option<String>,
    /// "tlsim" when the tlsim side detected the failure, "peer" when the real stack did
    /// (it sent an alert or closed).
    pub detected_by: Option<String>,
    pub at: Option<String>,
    /// The alert on the wire: the one tlsim sent, or the one the real peer sent.
    pub alert: Option<u8>,
    /// The alert received from the real peer, if any.
    pub alert_received: Option<u8>,
    pub close: Option<String>,
    pub explanation: String,
    /// Application data sent and received after the handshake (lossy UTF-8).
    pub app_sent: String,
    pub app_received: String,
    /// Socket-level problem (timeout, connection refused), if any.
    pub transport: Option<String>,
    pub local: LocalReport,
}

impl BridgeOutcome {
    pub fn ok(&self) -> bool {
        self.outcome == "ok"
    }
}

/// Counts over a bridge run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub attempts: u64,
    pub ok: u64,
    pub failures: u64,
    pub resumed: u64,
    pub by_mechanism: BTreeMap<String, u64>,
    /// Failures by the alert received from the real peer ("20 bad_record_mac").
    pub by_alert_received: BTreeMap<String, u64>,
}

impl Summary {
    pub fn from_outcomes(v: &[BridgeOutcome]) -> Summary {
        let mut s = Summary::default();
        for o in v {
            s.attempts += 1;
            if o.handshake == "resumed" {
                s.resumed += 1;
            }
            if o.ok() {
                s.ok += 1;
                continue;
            }
            s.failures += 1;
            let m = o.mechanism.clone().unwrap_or_else(|| "unknown".into());
            *s.by_mechanism.entry(m).or_default() += 1;
            if let Some(a) = o.alert_received {
                let name = AlertDescription::from(a).name();
                *s.by_alert_received
                    .entry(format!("{a} {name}"))
                    .or_default() += 1;
            }
        }
        s
    }
}

/// Keep only the suites bridge mode can run ((EC)DHE_RSA with AES-GCM); error if none is left.
pub fn bridge_profile(mut p: Profile) -> Result<Profile, String> {
    let ok = |s: &crate::wire::CipherSuite| suite_info(*s).is_some_and(Connection::real_suite_ok);
    p.client_suites.retain(ok);
    p.server_suites.retain(ok);
    if p.client_suites.is_empty() && p.server_suites.is_empty() {
        return Err(format!(
            "profile {} has no (EC)DHE_RSA AES-GCM suite: bridge mode supports only those (CBC and RSA key transport are modelled, not real)",
            p.name
        ));
    }
    Ok(p)
}

/// True when this side's Z had a leading zero byte and it kept it in the pre-master secret
/// (M1 on the tlsim side). `truth.z` is Z in minimal big-endian hex, `truth.premaster` what
/// this side actually used, `truth.p_len` the length of p.
pub fn kept_leading_zero(r: &LocalReport) -> bool {
    let t = &r.truth;
    match (&t.z, &t.premaster, t.p_len) {
        (Some(z), Some(pm), Some(p_len)) => z.len() / 2 < p_len && pm.len() / 2 == p_len,
        _ => false,
    }
}

/// Name the mechanism of a bridged connection from the tlsim side alone.
///
/// The real peer's secrets are invisible, so the M1 case is inferred: the peer (OpenSSL,
/// which strips Z's leading zeros per RFC 5246 §8.1.2 — FACTS.md §3) rejected our Finished
/// with bad_record_mac (20) or decrypt_error (51) — or, as a server, we could not open the
/// peer's Finished — *and* the Z this side computed had a zero top byte that this side kept.
/// Both facts come from what tlsim computed itself (`truth.z`, `truth.premaster`); the
/// peer's alert is what it really sent. Any other alert is reported as `peer-alert`.
pub fn infer(
    local: &LocalReport,
    app_ok: bool,
    transport: Option<&str>,
) -> (Option<String>, Option<String>, String) {
    let s = |x: &str| Some(x.to_string());
    let keep_zero = kept_leading_zero(local);
    let zeros_text = || {
        format!(
            "Z had a leading zero byte and tlsim kept it ({} byte pre-master secret) while the real peer strips it (RFC 5246 §8.1.2): the master secrets differ (inferred from tlsim's own Z and pre-master secret)",
            local.truth.p_len.unwrap_or(0)
        )
    };
    if local.complete {
        if app_ok {
            return (
                None,
                None,
                format!(
                    "{} handshake completed ({}, {}) and the application-data round trip succeeded",
                    local.kind.name(),
                    local.version.as_deref().unwrap_or("?"),
                    local.suite.as_deref().unwrap_or("?")
                ),
            );
        }
        return (
            s("app-data"),
            s("tlsim"),
            format!(
                "the handshake completed but the application-data round trip did not ({})",
                transport.unwrap_or("no answer")
            ),
        );
    }
    match (&local.error, local.alert_received) {
        (Some(LocalError::BadRecordMac | LocalError::FinishedMismatch), _) if keep_zero => {
            (s("dh-premaster-zeros"), s("tlsim"), zeros_text())
        }
        (None | Some(LocalError::PeerClosed), Some(a)) if keep_zero && (a == 20 || a == 51) => (
            s("dh-premaster-zeros"),
            s("peer"),
            format!(
                "the peer sent alert {a} ({}) after tlsim's Finished; {}",
                AlertDescription::from(a).name(),
                zeros_text()
            ),
        ),
        (None | Some(LocalError::PeerClosed), Some(a)) => (
            s("peer-alert"),
            s("peer"),
            format!(
                "the peer sent fatal alert {a} ({}) at {}",
                AlertDescription::from(a).name(),
                local.at.as_deref().unwrap_or("?")
            ),
        ),
        (Some(LocalError::PeerClosed), None) => (
            s("connection-closed"),
            s("peer"),
            format!(
                "the peer closed the connection ({}) without an alert, waiting for {}",
                match local.peer_closed {
                    Some(CloseKind::Rst) => "RST",
                    _ => "FIN",
                },
                local.at.as_deref().unwrap_or("?")
            ),
        ),
        (Some(LocalError::ShortPeerPublic { len, p_len }), _) => (
            s(if local.side == crate::engine::Side::Client {
                "dh-short-server-public"
            } else {
                "dh-short-client-public"
            }),
            s("tlsim"),
            format!("the peer's DH public value was {len} bytes, shorter than p ({p_len}), and this tlsim profile rejects short values"),
        ),
        (Some(e), _) => {
            // Reuse the simulated-mode diagnosis with an empty peer report.
            let peer = LocalReport::new(local.side.peer());
            let (c, sv) = match local.side {
                crate::engine::Side::Client => (local.clone(), peer),
                crate::engine::Side::Server => (peer, local.clone()),
            };
            let o = crate::engine::Outcome::from_reports(c, sv);
            let m = o.mechanism.unwrap_or_else(|| "protocol-error".into());
            (Some(m), s("tlsim"), format!("tlsim rejected the handshake: {e:?}"))
        }
        (None, None) => (
            s("incomplete"),
            None,
            format!(
                "the handshake did not complete: {}",
                transport.unwrap_or("no error reported")
            ),
        ),
    }
}

struct Clock(Instant);

impl Clock {
    // TODO(h12-merge): owned by another helper
    #[allow(clippy::cast_possible_truncation)]
    fn now(&self) -> Millis {
        self.0.elapsed().as_millis() as Millis
    }
}

/// Drive one connection over `stream` until it ends or the deadline passes.
/// Returns (application data received, transport problem).
fn drive(
    stream: &mut TcpStream,
    conn: &mut Connection,
    state: &mut PeerState,
    clock: &Clock,
    limits: &Limits,
    script: &AppScript,
) -> (Vec<u8>, Option<String>) {
    let deadline = Instant::now() + limits.per_connection;
    let _ = stream.set_read_timeout(Some(limits.io_timeout));
    let _ = stream.set_write_timeout(Some(limits.per_connection));
    let _ = stream.set_nodelay(true);
    let is_client = conn.side() == crate::engine::Side::Client;
    let mut received = Vec::new();
    let mut app_sent = false;
    let mut echoed = 0;
    let mut we_closed = false;
    let mut buf = vec![0u8; 32 * 1024];
    // At most one read per iteration; the cap is far above what a deadline allows.
    let max_iter =
        (limits.per_connection.as_millis() / limits.io_timeout.as_millis().max(1)) as usize * 4
            + 1000;
    for _ in 0..max_iter {
        while let Some(t) = conn.poll_transmit() {
            if !t.bytes.is_empty() {
                if let Err(e) = stream.write_all(&t.bytes) {
                    return (received, Some(format!("write: {e}")));
                }
            }
            if let Some(k) = t.close {
                // std has no SO_LINGER=0 on stable, so an RST close is a full shutdown too.
                let how = if k == CloseKind::Rst {
                    Shutdown::Both
                } else {
                    Shutdown::Write
                };
                let _ = stream.shutdown(how);
                we_closed = true;
            }
        }
        if we_closed {
            // Drain briefly so the peer's last alert (if any) is read, then stop.
            let until = Instant::now() + Duration::from_millis(200);
            while Instant::now() < until {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => conn.handle_input(clock.now(), &buf[..n], state),
                }
            }
            received.extend(conn.take_app_data());
            return (received, None);
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
                echoed = received.len();
                if received.contains(&b'\n') {
                    conn.close_notify();
                }
                continue;
            }
        }
        if Instant::now() >= deadline {
            return (received, Some("timeout".into()));
        }
        match stream.read(&mut buf) {
            Ok(0) => conn.handle_close(clock.now(), CloseKind::Fin),
            Ok(n) => conn.handle_input(clock.now(), &buf[..n], state),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted
                ) =>
            {
                conn.handle_close(clock.now(), CloseKind::Rst)
            }
            Err(e) => return (received, Some(format!("read: {e}"))),
        }
        if conn.is_closed() && conn.report().complete {
            // The peer closed after the handshake (close_notify or FIN): what arrived counts.
            received.extend(conn.take_app_data());
            return (received, None);
        }
    }
    (received, Some("iteration cap".into()))
}

fn finish(
    index: u64,
    conn: &Connection,
    sent: &[u8],
    received: Vec<u8>,
    transport: Option<String>,
    app_ok: bool,
) -> BridgeOutcome {
    let local = conn.report().clone();
    let (mechanism, detected_by, explanation) = infer(&local, app_ok, transport.as_deref());
    let failed = mechanism.is_some();
    let alert = if failed {
        local.alert_sent.or(local.alert_received)
    } else {
        None
    };
    let close = if !failed {
        None
    } else if alert.is_some() {
        Some("alert".to_string())
    } else if local.closed_with == Some(CloseKind::Rst) || local.peer_closed == Some(CloseKind::Rst)
    {
        Some("rst".to_string())
    } else {
        Some("fin".to_string())
    };
    BridgeOutcome {
        index,
        outcome: if failed { "failed" } else { "ok" }.into(),
        handshake: local.kind.name().into(),
        suite: local.suite.clone(),
        version: local.version.clone(),
        ems: local.truth.ems,
        mechanism,
        detected_by,
        at: if failed { local.at.clone() } else { None },
        alert,
        alert_received: local.alert_received,
        close,
        explanation,
        app_sent: String::from_utf8_lossy(sent).into_owned(),
        app_received: String::from_utf8_lossy(&received).into_owned(),
        transport,
        local,
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
pub fn connect(
    addr: &str,
    profile: Profile,
    opts: &ConnectOptions,
    mut on_outcome: impl FnMut(&BridgeOutcome),
) -> Result<Vec<BridgeOutcome>, String> {
    let (count, resume, seed) = (opts.count, opts.resume, opts.seed);
    let (script, limits) = (&opts.script, &opts.limits);
    let sock = addr
        .to_socket_addrs()
        .map_err(|e| format!("{addr}: {e}"))?
        .next()
        .ok_or_else(|| format!("{addr}: no address"))?;
    if !sock.ip().is_loopback() {
        return Err(format!("{addr}: bridge mode is loopback only"));
    }
    let profile = Arc::new(bridge_profile(profile)?);
    let real = Arc::new(RealCrypto::client());
    let clock = Clock(Instant::now());
    let mut state = PeerState::new(&mut rng_for(seed, &[u64::MAX, 0]));
    let mut out = Vec::new();
    for i in 0..count {
        if !resume {
            state = PeerState::new(&mut rng_for(seed, &[u64::MAX, 0, i]));
        }
        let mut conn = Connection::client(
            profile.clone(),
            addr,
            rng_for(seed, &[i, 0]),
            clock.now(),
            &mut state,
        )
        .with_real_crypto(real.clone());
        let o = match TcpStream::connect_timeout(&sock, limits.per_connection) {
            Ok(mut stream) => {
                let (received, transport) =
                    drive(&mut stream, &mut conn, &mut state, &clock, limits, script);
                let app_ok = conn.report().complete
                    && if script.read_until_close {
                        !received.is_empty()
                    } else {
                        received.contains(&b'\n')
                    };
                finish(i, &conn, &script.send, received, transport, app_ok)
            }
            Err(e) => finish(
                i,
                &conn,
                &[],
                Vec::new(),
                Some(format!("connect: {e}")),
                false,
            ),
        };
        on_outcome(&o);
        out.push(o);
    }
    Ok(out)
}

/// A tlsim server accepting `count` connections from real clients on `listener` (bound to
/// loopback by the caller, or use [`serve`]). Each connection echoes the application data it
/// receives and closes cleanly after the first full line. One session cache and ticket key
/// serve all connections, so real clients can resume. Connection i uses the RNG
/// `rng_for(seed, [i, 1])`.
pub fn serve_on(
    listener: &TcpListener,
    profile: Profile,
    real: Arc<RealCrypto>,
    count: u64,
    seed: u64,
    limits: &Limits,
    mut on_outcome: impl FnMut(&BridgeOutcome),
) -> Result<Vec<BridgeOutcome>, String> {
    let profile = Arc::new(bridge_profile(profile)?);
    let clock = Clock(Instant::now());
    let mut state = PeerState::new(&mut rng_for(seed, &[u64::MAX, 1]));
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("listener: {e}"))?;
    let script = AppScript::default();
    let mut out = Vec::new();
    for i in 0..count {
        let until = Instant::now() + limits.accept_timeout;
        let mut stream = loop {
            match listener.accept() {
                Ok((s, _)) => break Some(s),
                Err(e) if e.kind() == ErrorKind::WouldBlock && Instant::now() < until => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                Err(_) => break None,
            }
        };
        let Some(stream) = stream.as_mut() else {
            return Err(format!(
                "no connection {} of {count} within {:?}",
                i + 1,
                limits.accept_timeout
            ));
        };
        let _ = stream.set_nonblocking(false);
        let mut conn = Connection::server(profile.clone(), rng_for(seed, &[i, 1]), clock.now())
            .with_real_crypto(real.clone());
        let (received, transport) = drive(stream, &mut conn, &mut state, &clock, limits, &script);
        // The echo is the round trip: a line came in and went back.
        let app_ok = conn.report().complete && received.contains(&b'\n');
        // A real client that only handshakes and closes (s_client -reconnect's first
        // connections) has no line to echo: a complete handshake closed cleanly by the peer
        // counts as ok with nothing echoed.
        let app_ok =
            app_ok || (conn.report().complete && transport.is_none() && received.is_empty());
        let o = finish(i, &conn, &received, received.clone(), transport, app_ok);
        on_outcome(&o);
        out.push(o);
    }
    Ok(out)
}

/// Bind 127.0.0.1:`port` and [`serve_on`] it.
pub fn serve(
    port: u16,
    profile: Profile,
    real: Arc<RealCrypto>,
    count: u64,
    seed: u64,
    limits: &Limits,
    on_outcome: impl FnMut(&BridgeOutcome),
) -> Result<Vec<BridgeOutcome>, String> {
    let l = TcpListener::bind(("127.0.0.1", port)).map_err(|e| format!("bind {port}: {e}"))?;
    serve_on(&l, profile, real, count, seed, limits, on_outcome)
}
