//! The sans-IO TLS 1.0–1.2 peer. One [`Connection`] is a client or a server; the caller feeds
//! received bytes with the simulated time and pulls records to send. Every behaviour
//! difference between real stacks is a `Profile` knob read at the one place it matters.
//! The engine never reads a clock, a socket or OS randomness: time and the RNG come in.
//!
//! The shape is quinn-proto's: a [`Common`] part both roles share (the record layer, the
//! transcript and its hash, the key schedule, the outgoing flight and records, the report,
//! the RNG, the time and the profile) and a [`Role`], the client's or the server's handshake
//! ([`client::ClientHs`], [`server::ServerHs`]), each with its own small state enum and only
//! the fields that role needs. What the hellos settle is a [`Negotiated`] value, set once
//! when ServerHello is sent or received and carried by the role's state from then on.

use super::outcome::{
    alert_for, CloseKind, HandshakeKind, LocalError, LocalReport, MessageKind, Secret, Side,
};
use super::real::RealCrypto;
use super::session::{Millis, PeerState, Session};
use crate::crypto::{
    dh_premaster, extended_master_secret, key_block, master_secret, verify_data, DhGroup, KeyBlock,
    PrfAlgorithm, RecordProtector, RunningHash,
};
use crate::profile::{FatalClose, Profile, Renegotiation};
use crate::wire::*;
use client::ClientHs;
use crypto::{Crypto, CryptoMode, Modelled, Real};
use num_bigint::BigUint;
use rand_chacha::ChaCha20Rng;
use server::ServerHs;
use std::collections::VecDeque;
use std::sync::Arc;

/// One record (or a close) to put on the wire, with a one-line description for ladders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    pub bytes: Vec<u8>,
    pub close: Option<CloseKind>,
    pub summary: String,
}

/// A master secret (RFC 5246 §8.1).
type Master = [u8; 48];

/// The application's deadlines for one connection, as durations from the moment the timers
/// are armed: at construction ([`Connection::with_timeouts`]) and again when the driver says
/// the transport is up ([`Connection::restart_timers`]). They are the driver's configuration
/// (quinn-proto's idle timeout is its `TransportConfig`); the engine turns them into the
/// instants [`Connection::poll_timeout`] reports and acts on them in
/// [`Connection::handle_timeout`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timeouts {
    /// The handshake must complete within this long; if it does not, the engine gives up
    /// (FIN, no alert: [`LocalError::Timeout`]).
    pub handshake: Option<Millis>,
    /// The whole connection, handshake and application data, ends after this long.
    pub connection: Option<Millis>,
}

/// Which of a connection's deadlines expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timer {
    /// [`Timeouts::handshake`]: the handshake did not complete in time.
    Handshake,
    /// [`Timeouts::connection`]: the connection's time is up.
    Connection,
}

/// [`Timeouts`] armed at a time: the instants they expire at.
#[derive(Debug, Clone, Copy, Default)]
struct Timers {
    timeouts: Timeouts,
    handshake_at: Option<Millis>,
    connection_at: Option<Millis>,
}

impl Timers {
    fn armed(timeouts: Timeouts, now: Millis) -> Timers {
        let at = |d: Option<Millis>| d.map(|d| now.saturating_add(d));
        Timers {
            timeouts,
            handshake_at: at(timeouts.handshake),
            connection_at: at(timeouts.connection),
        }
    }

    /// The next deadline in `phase`, and which it is (the handshake's first on a tie).
    fn next(&self, phase: Phase) -> Option<(Timer, Millis)> {
        let hs = self.handshake_at.map(|t| (Timer::Handshake, t));
        let conn = self.connection_at.map(|t| (Timer::Connection, t));
        match phase {
            Phase::Handshake => [hs, conn].into_iter().flatten().min_by_key(|(_, t)| *t),
            Phase::Connected => conn,
            Phase::Closed => None,
        }
    }
}

/// Where a connection is, whatever its role: in the handshake (the role's state says which
/// message it expects), connected, or closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Handshake,
    Connected,
    Closed,
}

/// What the hellos settled: set once, when the server sends its ServerHello or the client
/// accepts one, and read by everything after it (the key schedule, Finished, the session
/// stored at the end).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Negotiated {
    version: ProtocolVersion,
    suite: &'static SuiteInfo,
    client_random: Random,
    server_random: Random,
    /// The ServerHello's session ID (the client's own, echoed, when resuming).
    session_id: Vec<u8>,
    /// The master secret is (or, resumed, was) an extended master secret (RFC 7627).
    ems: bool,
    /// An abbreviated handshake: the master secret comes from a stored session.
    resumed: bool,
    /// The server will send a NewSessionTicket (RFC 5077 §3.2).
    ticket_acked: bool,
}

impl Negotiated {
    fn tls12(&self) -> bool {
        self.version == ProtocolVersion::TLSv1_2
    }

    /// The PRF of the negotiated version and suite (RFC 5246 §5; TLS 1.0/1.1: MD5 ⊕ SHA-1).
    fn prf_alg(&self) -> PrfAlgorithm {
        match (self.version, self.suite.prf_hash) {
            (ProtocolVersion::TLSv1_2, HashAlgorithm::Sha384) => PrfAlgorithm::Sha384,
            (ProtocolVersion::TLSv1_2, HashAlgorithm::Sha256) => PrfAlgorithm::Sha256,
            _ => PrfAlgorithm::Tls10,
        }
    }

    /// The session this handshake establishes, created at `now`.
    fn session(&self, master: &Master, ticket: Option<Vec<u8>>, created: Millis) -> Session {
        Session {
            id: self.session_id.clone(),
            ticket,
            master: master.to_vec(),
            suite: self.suite.suite,
            version: self.version.to_u16(),
            ems: self.ems,
            created,
        }
    }
}

/// The handshake transcript (every handshake message but HelloRequest, in order) and a
/// running hash of a prefix of it.
struct Transcript {
    bytes: Vec<u8>,
    hasher: Option<RunningHash>,
}

impl Transcript {
    fn add(&mut self, msg: &[u8]) {
        self.bytes.extend_from_slice(msg);
    }

    fn len(&self) -> usize {
        self.bytes.len()
    }

    /// `handshake_hash(alg, bytes[..upto])`, from a running hash that only takes the bytes it
    /// has not seen (restarted if the PRF changed or `upto` went backwards).
    fn hash(&mut self, alg: PrfAlgorithm, upto: usize) -> Vec<u8> {
        let h = match self.hasher.as_mut() {
            Some(h) if h.alg() == alg && h.fed() <= upto => h,
            _ => self.hasher.insert(RunningHash::new(alg)),
        };
        h.update(&self.bytes[h.fed()..upto]);
        h.current()
    }
}

/// Records in and out: reassembly of records and handshake messages, the record version
/// and the current and pending protection of each direction.
struct RecordLayer {
    deframer: RecordDeframer,
    joiner: HandshakeJoiner,
    /// The negotiated version once the hellos set it. Before, records go out as TLS 1.0 and
    /// handshake messages are read as TLS 1.2 ones.
    version: Option<ProtocolVersion>,
    read: Option<RecordProtector>,
    pending_read: Option<RecordProtector>,
    /// Some input has arrived (the first byte decides whether an SSL 2.0 hello follows).
    started: bool,
    /// A server accepting SSL 2.0 hellos: the bytes of one, until it is complete.
    sslv2: Option<Vec<u8>>,
    write: Option<RecordProtector>,
    pending_write: Option<RecordProtector>,
}

/// What both roles share: the record layer, the transcript, the key schedule, the outgoing
/// flight and records, what this side saw, and the time, randomness and profile that came in.
pub(super) struct Common {
    side: Side,
    profile: Arc<Profile>,
    rng: ChaCha20Rng,
    now: Millis,
    phase: Phase,
    record: RecordLayer,
    transcript: Transcript,
    /// The client's random: the client's own from the start, the server's copy from the
    /// ClientHello (a failed handshake's connection is still known by it).
    client_random: Random,
    /// Modelled (simulated) or real (bridge mode) certificates, signatures and records.
    crypto: CryptoMode,
    /// Handshake messages of the flight being built, and their names for the ladder.
    flight: Vec<Vec<u8>>,
    flight_names: Vec<String>,
    /// False: records carry no summary text (studies that keep no wire log).
    summaries: bool,
    outbox: VecDeque<Transmit>,
    received_app_data: Vec<u8>,
    report: LocalReport,
    timers: Timers,
}

/// The role's part: the client's or the server's handshake.
// A connection holds one role inline: boxing the larger client would cost an allocation per
// connection, and connections are never stored in bulk for the size difference to matter.
#[allow(clippy::large_enum_variant)]
enum Role {
    Client(ClientHs),
    Server(ServerHs),
    /// A connection that negotiated TLS 1.3 (either role): the TLS 1.3 module runs it.
    Tls13(Box<tls13::Conn13>),
}

pub struct Connection {
    common: Common,
    role: Role,
}

impl Connection {
    /// A client connection to the server known as `server_id`. If the client resumes and
    /// holds a live session for that server in `state`, it offers it (subject to the
    /// RFC 7627 policy), else it starts a full handshake.
    pub fn client(
        profile: Arc<Profile>,
        server_id: &str,
        rng: ChaCha20Rng,
        now: Millis,
        state: &mut PeerState,
    ) -> Connection {
        crate::cost::probe(crate::cost::Kind::Engine, || {
            let mut common = Common::new(Side::Client, profile, rng, now);
            let hs = ClientHs::start(&mut common, server_id, state);
            Connection {
                common,
                role: Role::Client(hs),
            }
        })
    }

    pub fn server(profile: Arc<Profile>, rng: ChaCha20Rng, now: Millis) -> Connection {
        Connection {
            common: Common::new(Side::Server, profile, rng, now),
            role: Role::Server(ServerHs::new()),
        }
    }

    /// Switch to bridge mode before the first input: real certificates, RSA signatures on
    /// ServerKeyExchange and CertificateVerify, real RSA key transport, real AES-GCM or
    /// AES-CBC record protection. Only RSA, DHE_RSA and ECDHE_RSA suites with AES-GCM or
    /// AES-CBC are usable in this mode: a server skips the others, a client rejects them. (A client's
    /// ClientHello, queued at construction, is the same in both modes.)
    pub fn with_real_crypto(mut self, real: Arc<RealCrypto>) -> Self {
        self.common.crypto = CryptoMode::Real(Real(real));
        // A TLS 1.3 client made with the hello checks the server's real RSA-PSS
        // CertificateVerify from now on.
        if let Role::Client(hs) = &mut self.role {
            if let Some(m) = hs.tls13_mut() {
                m.set_modelled_signatures(false);
            }
        }
        self
    }

    /// Whether a suite can run in bridge mode (real crypto): RSA key transport or (EC)DHE
    /// with an RSA certificate (the only key bridge mode holds), AES-GCM or AES-CBC records.
    pub(crate) fn real_suite_ok(info: &SuiteInfo) -> bool {
        crypto::real_suite_ok(info)
    }

    /// This connection's secrets for an NSS key log (label, client random, secret), once
    /// known: in TLS 1.3 the traffic secrets of RFC 8446 §7.1
    /// (`CLIENT_HANDSHAKE_TRAFFIC_SECRET` … `EXPORTER_SECRET`), in TLS 1.0–1.2 the master
    /// secret (`CLIENT_RANDOM`). Format them with [`crate::report::pcap::keylog_tls13`].
    pub fn key_log(&self) -> Vec<(&'static str, [u8; 32], Vec<u8>)> {
        let random = self.common.client_random;
        match (&self.role, &self.common.report.truth.master) {
            (Role::Tls13(t), _) => t.key_log(random),
            (_, Some(m)) => vec![("CLIENT_RANDOM", random, m.0.clone())],
            _ => Vec::new(),
        }
    }

    pub fn side(&self) -> Side {
        self.common.side
    }

    /// Next record or close to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.common.outbox.pop_front()
    }

    pub fn is_handshake_complete(&self) -> bool {
        self.common.phase == Phase::Connected
    }

    pub fn is_closed(&self) -> bool {
        self.common.phase == Phase::Closed
    }

    /// A TLS 1.3 client whose handshake is complete: the server's NewSessionTickets come
    /// after the client's Finished (RFC 8446 §4.6.1), so a driver that wants the client to
    /// resume later reads on (the tickets are kept as they arrive, in
    /// [`Connection::handle_input`]).
    pub fn awaits_tickets(&self) -> bool {
        self.common.side == Side::Client
            && self.is_handshake_complete()
            && matches!(self.role, Role::Tls13(_))
    }

    /// Turns the per-record summary text of [`Transmit`] on or off (on by default); a study
    /// that records no wire log turns it off to save the formatting.
    pub fn with_summaries(mut self, on: bool) -> Self {
        self.common.summaries = on;
        self
    }

    /// Moves this side's report out (the connection keeps an empty one); for callers done
    /// with the connection. A TLS 1.3 connection that records its wire (`with_summaries`)
    /// first adds its key log secrets to the truth.
    pub fn take_report(&mut self) -> LocalReport {
        if let (Role::Tls13(t), true) = (&self.role, self.common.summaries) {
            let keys = t.key_log(self.common.client_random);
            self.common.report.truth.tls13_key_log =
                keys.into_iter().map(|(l, _, s)| (l, s)).collect();
        }
        let blank = LocalReport {
            stack: self.common.report.stack,
            ..LocalReport::new(self.common.report.side)
        };
        std::mem::replace(&mut self.common.report, blank)
    }

    /// The report so far (final once the connection is connected or closed).
    pub fn report(&self) -> &LocalReport {
        &self.common.report
    }

    /// The master secret, once the key schedule has run.
    pub fn master_secret(&self) -> Option<[u8; 48]> {
        let m = self.common.report.truth.master.as_ref()?;
        m.0.as_slice().try_into().ok()
    }

    pub fn client_random(&self) -> Random {
        self.common.client_random
    }

    /// Application data received so far.
    pub fn take_app_data(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.common.received_app_data)
    }

    /// Queue application data (after the handshake).
    pub fn send_app_data(&mut self, data: &[u8]) {
        if self.common.phase != Phase::Connected {
            return;
        }
        if let Role::Tls13(t) = &mut self.role {
            return t.send(&mut self.common, data);
        }
        for chunk in data.chunks(MAX_FRAGMENT) {
            self.common.push_record(
                ContentType::ApplicationData,
                chunk.to_vec(),
                format!("ApplicationData({} bytes)", chunk.len()),
            );
        }
    }

    /// End a completed connection cleanly: a close_notify alert (RFC 5246 §7.2.1), then FIN.
    /// Used by the socket bridge, whose real peers keep a session resumable only after a
    /// clean shutdown. Nothing in the report changes.
    pub fn close_notify(&mut self) {
        if let Role::Tls13(t) = &mut self.role {
            return t.close(&mut self.common);
        }
        self.common.send_close_notify();
    }

    /// The peer closed the transport.
    pub fn handle_close(&mut self, now: Millis, kind: CloseKind) {
        self.common.now = now;
        if self.common.phase != Phase::Handshake {
            return;
        }
        let expected = self.expected_name();
        let c = &mut self.common;
        // What this side was waiting for when the peer ended it (the explanations say so).
        c.report.at = Some(expected);
        c.report.peer_closed = Some(kind);
        if c.report.error.is_none() {
            c.report.error = Some(LocalError::PeerClosed);
        }
        c.phase = Phase::Closed;
    }

    /// Give this connection the application's deadlines, armed from its construction time
    /// (a driver that connects the transport afterwards re-arms them with
    /// [`Connection::restart_timers`]). Without them the engine never needs time.
    pub fn with_timeouts(mut self, timeouts: Timeouts) -> Self {
        self.common.timers = Timers::armed(timeouts, self.common.now);
        self
    }

    /// Re-arm the deadlines from `now`: the transport is up. (The fleet's clients connect
    /// after making the engine, and the connect has the same timeout as the handshake.)
    pub fn restart_timers(&mut self, now: Millis) {
        self.common.timers = Timers::armed(self.common.timers.timeouts, now);
    }

    /// When the engine next needs [`Connection::handle_timeout`] called, if ever: the
    /// handshake's deadline while it runs, the connection's (if it has one) until it closes.
    pub fn poll_timeout(&self) -> Option<Millis> {
        self.common.timers.next(self.common.phase).map(|(_, at)| at)
    }

    /// Time has reached `now`: act on a deadline that has passed, and say which. The
    /// handshake's (or the connection's, before the handshake completed): the application
    /// gives up and closes (FIN, no alert, [`LocalError::Timeout`]), as an application
    /// closing its socket would. The connection's, after the handshake: the connection is
    /// over (nothing is sent; the driver closes the transport). None: nothing was due.
    pub fn handle_timeout(&mut self, now: Millis) -> Option<Timer> {
        self.common.now = now;
        let (timer, at) = self.common.timers.next(self.common.phase)?;
        if now < at {
            return None;
        }
        if self.common.phase == Phase::Handshake {
            let expected = self.expected_name();
            let c = &mut self.common;
            c.report.error = Some(LocalError::Timeout);
            c.report.at = Some(expected);
            c.push_close(CloseKind::Fin);
        }
        self.common.phase = Phase::Closed;
        Some(timer)
    }

    /// Feed bytes received from the peer at simulated time `now`.
    pub fn handle_input(&mut self, now: Millis, bytes: &[u8], env: &mut PeerState) {
        crate::cost::probe(crate::cost::Kind::Engine, || {
            self.handle_input_unprobed(now, bytes, env)
        })
    }

    fn handle_input_unprobed(&mut self, now: Millis, bytes: &[u8], env: &mut PeerState) {
        self.common.now = now;
        if self.common.phase == Phase::Closed {
            return;
        }
        if let Role::Tls13(t) = &mut self.role {
            t.input(&mut self.common, bytes);
            t.store_tickets(now, env);
            return;
        }
        let Some(bytes) = self.sslv2_hello(bytes, env) else {
            return;
        };
        self.common.record.deframer.push(&bytes);
        while self.common.phase != Phase::Closed {
            let rec = match self.common.record.deframer.pop() {
                Ok(Some(r)) => r,
                Ok(None) => break,
                Err(e) => {
                    let alert = e.alert();
                    self.common.fail_with(
                        LocalError::Decode {
                            what: e.to_string(),
                        },
                        Some(alert),
                    );
                    break;
                }
            };
            self.handle_record(rec, env);
            // The hellos chose TLS 1.3: the records after the hello are the module's.
            if let Role::Tls13(t) = &mut self.role {
                let rest = self.common.record.deframer.take();
                t.input(&mut self.common, &rest);
                t.store_tickets(now, env);
                break;
            }
        }
    }

    /// A server whose profile has `accept_sslv2_hello` reads an SSL 2.0-format CLIENT-HELLO
    /// when the connection's first byte has the high bit set (RFC 5246 Appendix E.2): it is
    /// handled as a ClientHello without extensions, its bytes from msg_type on entering the
    /// transcript. Returns the input left for the record layer (None: nothing yet). Any
    /// other peer leaves such a byte to the record layer, which refuses it as an unknown
    /// content type (unexpected_message).
    fn sslv2_hello(&mut self, bytes: &[u8], env: &mut PeerState) -> Option<Vec<u8>> {
        let rl = &mut self.common.record;
        if !rl.started {
            let first = *bytes.first()?;
            rl.started = true;
            if matches!(self.role, Role::Server(_))
                && self.common.profile.accept_sslv2_hello
                && is_sslv2_start(first)
            {
                rl.sslv2 = Some(Vec::new());
            }
        }
        let Some(mut buf) = self.common.record.sslv2.take() else {
            return Some(bytes.to_vec());
        };
        buf.extend_from_slice(bytes);
        let c = &mut self.common;
        c.report.at = Some(MessageKind::Handshake(HandshakeType::ClientHello));
        let h = match read_sslv2_hello(&buf) {
            Ok(None) => {
                c.record.sslv2 = Some(buf);
                return None;
            }
            Ok(Some(h)) => h,
            Err(e) => {
                c.fail_with(
                    LocalError::Decode {
                        what: format!("SSL 2.0 CLIENT-HELLO: {e}"),
                    },
                    Some(e.alert()),
                );
                return None;
            }
        };
        let rest = buf[h.consumed..].to_vec();
        c.transcript.add(&h.transcript);
        let msg = HandshakeMessage {
            payload: HandshakePayload::ClientHello(h.hello),
        };
        if let Role::Server(hs) = &mut self.role {
            if let Err(e) = hs.handle(c, msg, &h.transcript, env) {
                c.fail(e);
                return None;
            }
        }
        Some(rest)
    }

    fn handle_record(&mut self, rec: Record, env: &mut PeerState) {
        let mut fragment = rec.fragment;
        if let Some(read) = self.common.record.read.as_mut() {
            match read.open(rec.typ.to_u8(), rec.version.to_u16(), &fragment) {
                Ok(p) => fragment = p,
                Err(_) => {
                    self.common.report.at = Some(self.expected_name());
                    return self.common.fail(LocalError::BadRecordMac);
                }
            }
        }
        // RFC 5246 §6.2.1: a TLSPlaintext fragment is at most 2^14 bytes; §7.2.2: a record
        // that decrypts to a TLSCompressed fragment above 2^14 + 1024 is a record_overflow,
        // and with null compression (the only method tlsim offers or accepts) TLSCompressed
        // is TLSPlaintext, whose own limit is 2^14. (The TLSCiphertext limit, 2^14 + 2048,
        // is checked from the header by the deframer.) OpenSSL 3 answers record_overflow
        // for both (`ssl/record/ssl3_record.c`, SSL_R_DATA_LENGTH_TOO_LONG).
        if fragment.len() > MAX_FRAGMENT {
            self.common.report.at = Some(match rec.typ {
                ContentType::Handshake => self.expected_name(),
                t => MessageKind::Record(t),
            });
            return self.common.fail_with(
                LocalError::Decode {
                    what: format!(
                        "{:?} record of {} plaintext bytes, above 2^14 (RFC 5246 §6.2.1)",
                        rec.typ,
                        fragment.len()
                    ),
                },
                Some(AlertDescription::RecordOverflow),
            );
        }
        match rec.typ {
            ContentType::Handshake => {
                // Size limits are applied as each message's header is read, before its body
                // is buffered (M7; see `HeaderLimits`).
                let limits = self.header_limits();
                let mut refused = None;
                let pushed = self.common.record.joiner.push_limited(&fragment, |h| {
                    refused = limits.check(h).map(|e| (h.typ, e));
                    refused.is_none()
                });
                if let Err(e) = pushed {
                    return self.common.fail_with(
                        LocalError::Decode {
                            what: e.to_string(),
                        },
                        Some(e.alert()),
                    );
                }
                // Messages completed before a refused header come first, in order.
                while self.common.phase != Phase::Closed {
                    let Some(msg) = self.common.record.joiner.pop() else {
                        break;
                    };
                    self.handle_joined(msg, env);
                }
                if let (Some((typ, err)), false) = (refused, self.common.phase == Phase::Closed) {
                    self.common.report.at = Some(MessageKind::Handshake(typ));
                    self.common.fail(err);
                }
            }
            ContentType::ChangeCipherSpec => {
                if fragment != [1] {
                    return self.common.fail(LocalError::Decode {
                        what: "ChangeCipherSpec".into(),
                    });
                }
                let expected = self.common.phase == Phase::Handshake
                    && self.common.record.joiner.is_empty()
                    && match &mut self.role {
                        Role::Client(hs) => hs.ccs_received(),
                        Role::Server(hs) => hs.ccs_received(),
                        Role::Tls13(_) => false,
                    };
                if !expected {
                    let resumed = self.resumed();
                    return self.common.fail(LocalError::UnexpectedMessage {
                        got: MessageKind::CHANGE_CIPHER_SPEC,
                        resumed,
                    });
                }
                self.common.record.read = self.common.record.pending_read.take();
            }
            ContentType::Alert => match Alert::from_bytes(&fragment) {
                Ok(a) => {
                    let close_notify = a.description == AlertDescription::CloseNotify;
                    if a.level == AlertLevel::Warning && !close_notify {
                        return;
                    }
                    let expected = self.expected_name();
                    let c = &mut self.common;
                    // In the handshake any alert that ends it is the peer's verdict; after
                    // it, a fatal alert is (a close_notify is the clean end).
                    if c.phase == Phase::Handshake || !close_notify {
                        c.report.alert_received = Some(a.description);
                        c.report.at = Some(expected);
                    }
                    if close_notify {
                        // RFC 5246 §7.2.1: "The other party MUST respond with a
                        // close_notify alert of its own and close down the connection
                        // immediately".
                        c.send_close_notify();
                    }
                    c.phase = Phase::Closed;
                }
                Err(e) => self.common.fail_with(
                    LocalError::Decode {
                        what: e.to_string(),
                    },
                    Some(e.alert()),
                ),
            },
            ContentType::ApplicationData if self.common.phase == Phase::Connected => {
                self.common.received_app_data.extend_from_slice(&fragment);
            }
            other => {
                let resumed = self.resumed();
                self.common.fail(LocalError::UnexpectedMessage {
                    got: MessageKind::Record(other),
                    resumed,
                })
            }
        }
    }

    /// Whether this is an abbreviated handshake (false until the hellos settle it).
    fn resumed(&self) -> bool {
        match &self.role {
            Role::Client(hs) => hs.resumed(),
            Role::Server(hs) => hs.resumed(),
            Role::Tls13(_) => false,
        }
    }

    /// What this side waits for (the "at" of a failure it did not detect itself).
    fn expected_name(&self) -> MessageKind {
        match self.common.phase {
            Phase::Connected => MessageKind::APPLICATION_DATA,
            Phase::Closed => MessageKind::Closed,
            Phase::Handshake => match &self.role {
                Role::Client(hs) => hs.expected(),
                Role::Server(hs) => hs.expected(),
                Role::Tls13(t) => t.expected(),
            },
        }
    }

    /// This side's handshake-message size limits, checked at each message's header.
    fn header_limits(&self) -> HeaderLimits {
        let p = &self.common.profile;
        let fragmented = match &self.role {
            Role::Client(_) => p.message_limit_client,
            Role::Server(hs) if hs.cert_requested() => p.message_limit_server_client_auth,
            Role::Server(_) | Role::Tls13(_) => p.message_limit_server,
        };
        HeaderLimits {
            fragmented,
            any: p.max_handshake_message,
        }
    }

    fn handle_joined(&mut self, msg: JoinedMessage, env: &mut PeerState) {
        let c = &mut self.common;
        c.report.at = Some(MessageKind::Handshake(msg.typ));
        let tls12 = c
            .record
            .version
            .is_none_or(|v| v == ProtocolVersion::TLSv1_2);
        let parsed = match HandshakeMessage::read(&mut Reader::new(&msg.raw), tls12) {
            Ok(m) => m,
            Err(e) => {
                return c.fail_with(
                    LocalError::Decode {
                        what: format!("{:?}: {e}", msg.typ),
                    },
                    Some(e.alert()),
                )
            }
        };
        // Finished is checked against the transcript before it, so it is added after.
        if !matches!(
            parsed.payload,
            HandshakePayload::Finished(_) | HandshakePayload::HelloRequest
        ) {
            c.transcript.add(&msg.raw);
        }
        let r = if c.phase != Phase::Handshake {
            // A renegotiation request after the handshake: a ClientHello to the server, a
            // HelloRequest to the client (RFC 5246 §7.4.1.1, §7.4.1.2).
            let renegotiation = matches!(
                (&self.role, &parsed.payload),
                (Role::Server(_), HandshakePayload::ClientHello(_))
                    | (Role::Client(_), HandshakePayload::HelloRequest)
            );
            if renegotiation {
                return self.common.refuse_renegotiation();
            }
            let resumed = self.resumed();
            Err(self.common.unexpected(&parsed.payload, resumed))
        } else {
            if let Some(t) = tls13::switch(c, &mut self.role, &parsed.payload, &msg.raw, env) {
                match t {
                    Ok(t) => self.role = Role::Tls13(Box::new(t)),
                    Err(e) => c.fail(e),
                }
                return;
            }
            match &mut self.role {
                Role::Client(hs) => hs.handle(c, parsed, &msg.raw, env),
                Role::Server(hs) => hs.handle(c, parsed, &msg.raw, env),
                Role::Tls13(_) => Err(c.unexpected(&parsed.payload, false)),
            }
        };
        if let Err(e) = r {
            self.common.fail(e);
        }
    }
}

impl Common {
    fn new(side: Side, profile: Arc<Profile>, rng: ChaCha20Rng, now: Millis) -> Common {
        let report = LocalReport {
            stack: profile.stack,
            ..LocalReport::new(side)
        };
        Common {
            side,
            profile,
            rng,
            now,
            phase: Phase::Handshake,
            record: RecordLayer {
                deframer: RecordDeframer::new(),
                joiner: HandshakeJoiner::new(),
                version: None,
                read: None,
                pending_read: None,
                started: false,
                sslv2: None,
                write: None,
                pending_write: None,
            },
            transcript: Transcript {
                bytes: Vec::new(),
                hasher: None,
            },
            client_random: [0; 32],
            crypto: CryptoMode::Modelled(Modelled),
            flight: Vec::new(),
            flight_names: Vec::new(),
            summaries: true,
            outbox: VecDeque::new(),
            received_app_data: Vec::new(),
            report,
            timers: Timers::default(),
        }
    }

    fn unexpected(&self, p: &HandshakePayload, resumed: bool) -> LocalError {
        LocalError::UnexpectedMessage {
            got: MessageKind::Handshake(p.typ()),
            resumed,
        }
    }

    // ------------------------------------------------------------------ failing

    fn fail(&mut self, err: LocalError) {
        let alert = alert_for(&err);
        self.fail_with(err, Some(alert));
    }

    fn fail_with(&mut self, err: LocalError, alert: Option<AlertDescription>) {
        self.fail_sending(err, alert, |c, a| {
            let body = Alert {
                level: AlertLevel::Fatal,
                description: a,
            }
            .to_bytes();
            c.push_record(
                ContentType::Alert,
                body,
                format!("Alert(fatal, {})", a.name()),
            );
        });
    }

    /// [`Common::fail_with`], the alert's record(s) queued by `send` (a TLS 1.3 connection
    /// has the module protect it under its current keys).
    fn fail_sending(
        &mut self,
        err: LocalError,
        alert: Option<AlertDescription>,
        send: impl FnOnce(&mut Common, AlertDescription),
    ) {
        if self.phase == Phase::Closed {
            return;
        }
        self.report.error = Some(err);
        self.flush_flight();
        match (self.profile.close_style(self.side == Side::Client), alert) {
            (FatalClose::Alert, Some(a)) => {
                self.report.alert_sent = Some(a);
                send(self, a);
                self.push_close(CloseKind::Fin);
            }
            (FatalClose::Rst, _) => self.push_close(CloseKind::Rst),
            _ => self.push_close(CloseKind::Fin),
        }
        self.phase = Phase::Closed;
    }

    /// A close_notify alert (RFC 5246 §7.2.1), then FIN; the connection is over. Nothing in
    /// the report changes.
    fn send_close_notify(&mut self) {
        if self.phase == Phase::Closed {
            return;
        }
        let body = Alert {
            level: AlertLevel::Warning,
            description: AlertDescription::CloseNotify,
        }
        .to_bytes();
        self.push_record(
            ContentType::Alert,
            body,
            "Alert(warning, close_notify)".into(),
        );
        self.outbox.push_back(Transmit {
            bytes: Vec::new(),
            close: Some(CloseKind::Fin),
            summary: "FIN".into(),
        });
        self.phase = Phase::Closed;
    }

    /// The peer asked to renegotiate after the handshake; tlsim never does, and the
    /// profile's `renegotiation` knob says how it refuses (RFC 5746, RFC 5246 §7.2.2).
    fn refuse_renegotiation(&mut self) {
        match self.profile.renegotiation {
            Renegotiation::NoRenegotiationWarning => {
                // The connection goes on: the request leaves no failure behind.
                self.report.at = None;
                let body = Alert {
                    level: AlertLevel::Warning,
                    description: AlertDescription::NoRenegotiation,
                }
                .to_bytes();
                self.push_record(
                    ContentType::Alert,
                    body,
                    "Alert(warning, no_renegotiation)".into(),
                );
            }
            Renegotiation::HandshakeFailureFatal => self.fail(LocalError::RenegotiationRefused),
        }
    }

    fn push_close(&mut self, kind: CloseKind) {
        self.report.closed_with = Some(kind);
        self.outbox.push_back(Transmit {
            bytes: Vec::new(),
            close: Some(kind),
            summary: format!("{kind:?}").to_uppercase(),
        });
    }

    // ------------------------------------------------------------------ sending

    fn push_record(&mut self, typ: ContentType, plain: Vec<u8>, summary: String) {
        let version = self.record.version.unwrap_or(ProtocolVersion::TLSv1_0);
        let fragment = match self.record.write.as_mut() {
            Some(w) => w.seal(typ.to_u8(), version.to_u16(), &plain),
            None => plain,
        };
        let mut bytes = Vec::with_capacity(fragment.len() + 5);
        Record {
            typ,
            version,
            fragment,
        }
        .encode(&mut bytes);
        self.outbox.push_back(Transmit {
            bytes,
            close: None,
            summary,
        });
    }

    fn queue(&mut self, payload: HandshakePayload) {
        let m = HandshakeMessage { payload };
        let bytes = m.to_bytes();
        if !matches!(m.payload, HandshakePayload::HelloRequest) {
            self.transcript.add(&bytes);
        }
        if self.summaries {
            self.flight_names.push(format!("{:?}", m.typ()));
        }
        self.flight.push(bytes);
    }

    fn flush_flight(&mut self) {
        if self.flight.is_empty() {
            return;
        }
        let msgs = std::mem::take(&mut self.flight);
        let names = std::mem::take(&mut self.flight_names);
        let max = self.profile.max_fragment.clamp(1, MAX_FRAGMENT);
        let payloads = fragment_handshake(&msgs, max, self.profile.pack_handshake_messages);
        let total: usize = msgs.iter().map(Vec::len).sum();
        let n = payloads.len();
        for (i, p) in payloads.into_iter().enumerate() {
            let summary = if !self.summaries {
                String::new()
            } else if n == 1 {
                names.join(", ")
            } else {
                format!(
                    "{} [record {}/{n} of {total} bytes]",
                    names.join(", "),
                    i + 1
                )
            };
            self.push_record(ContentType::Handshake, p, summary);
        }
    }

    fn send_ccs(&mut self) {
        self.flush_flight();
        self.push_record(
            ContentType::ChangeCipherSpec,
            vec![1],
            "ChangeCipherSpec".into(),
        );
    }

    // ------------------------------------------------------------------ the hellos

    /// The hellos chose `version` and `suite`: records use the version from now on, and the
    /// report names both.
    fn set_negotiated(&mut self, version: ProtocolVersion, suite: &'static SuiteInfo) {
        self.record.version = Some(version);
        self.report.version = Some(version.name().to_string());
        self.report.suite = Some(suite.iana.to_string());
    }

    // ------------------------------------------------------------------ key schedule

    /// Derive the master secret from the pre-master secret (at ClientKeyExchange).
    fn derive_master(&mut self, neg: &Negotiated, pms: &[u8]) -> Result<Master, LocalError> {
        let alg = neg.prf_alg();
        let master = if neg.ems {
            // RFC 7627 §4: session_hash covers the transcript up to and including
            // ClientKeyExchange (the caller adds it before deriving).
            let sh = self.transcript_hash(neg);
            extended_master_secret(alg, pms, &sh)
        } else {
            master_secret(alg, pms, &neg.client_random, &neg.server_random)
        };
        self.report.truth.premaster = Some(Secret::from(pms));
        self.set_master(neg, master)?;
        Ok(master)
    }

    /// Install a master secret (derived, or a resumed session's): the key block and the
    /// pending record protection of both directions.
    fn set_master(&mut self, neg: &Negotiated, master: Master) -> Result<(), LocalError> {
        self.report.truth.master = Some(Secret::from(&master[..]));
        self.report.truth.ems = neg.ems;
        let suite = neg.suite;
        let (mac_len, key_len, iv_len) = (
            suite.mac_key_len(),
            suite.enc_key_len(),
            suite.fixed_iv_len(),
        );
        let block = key_block(
            neg.prf_alg(),
            &master,
            &neg.server_random,
            &neg.client_random,
            KeyBlock::total_len(mac_len, key_len, iv_len),
        );
        let kb = KeyBlock::split(&block, mac_len, key_len, iv_len);
        let (read, write) = self.crypto.protectors(suite, &kb, self.side, neg.version)?;
        self.record.pending_read = Some(read);
        self.record.pending_write = Some(write);
        Ok(())
    }

    /// The verify_data of the Finished `from_client` sends (or would), over the transcript
    /// so far.
    fn finished(&mut self, neg: &Negotiated, master: &Master, from_client: bool) -> [u8; 12] {
        let hash = self.transcript_hash(neg);
        verify_data(neg.prf_alg(), master, from_client, &hash)
    }

    /// The hash of the whole transcript so far.
    fn transcript_hash(&mut self, neg: &Negotiated) -> Vec<u8> {
        self.transcript_hash_upto(neg, self.transcript.len())
    }

    /// The hash of the first `upto` bytes of the transcript.
    fn transcript_hash_upto(&mut self, neg: &Negotiated, upto: usize) -> Vec<u8> {
        self.transcript.hash(neg.prf_alg(), upto)
    }

    /// ChangeCipherSpec, the new write protection, then Finished.
    fn send_finished(&mut self, neg: &Negotiated, master: &Master) {
        self.send_ccs();
        if let Some(w) = self.record.pending_write.take() {
            self.record.write = Some(w);
        }
        let vd = self.finished(neg, master, self.side == Side::Client);
        self.queue(HandshakePayload::Finished(vd.to_vec()));
        self.flush_flight();
    }

    /// Check the peer's Finished (`raw` is the whole message, added to the transcript once
    /// it verifies).
    fn check_finished(
        &mut self,
        neg: &Negotiated,
        master: &Master,
        vd: &[u8],
        raw: &[u8],
    ) -> Result<(), LocalError> {
        let expect = self.finished(neg, master, self.side == Side::Server);
        if vd != expect {
            return Err(LocalError::FinishedMismatch);
        }
        self.transcript.add(raw);
        Ok(())
    }

    /// The DH pre-master secret from Z, encoded as this side's profile does for the
    /// negotiated EMS state (M1: leading zero bytes stripped or kept).
    fn dh_premaster_for(&self, neg: &Negotiated, z: &BigUint, group: &DhGroup) -> Vec<u8> {
        dh_premaster(z, group, self.profile.premaster_encoding(neg.ems))
    }

    fn record_z(&mut self, z: &BigUint, group: &DhGroup) {
        self.report.truth.z = Some(Secret(z.to_bytes_be()));
        self.report.truth.p_len = Some(group.byte_len());
    }

    /// The peer's DH public value, refused if shorter than p and this side's profile does not
    /// accept short values (M2, M3).
    fn check_peer_public(&self, bytes: &[u8], group: &DhGroup) -> Result<BigUint, LocalError> {
        if bytes.len() < group.byte_len()
            && !self.profile.accepts_short_public(self.side == Side::Client)
        {
            return Err(LocalError::ShortPeerPublic {
                len: bytes.len(),
                p_len: group.byte_len(),
            });
        }
        Ok(crate::crypto::decode_public(bytes))
    }

    fn complete(&mut self) {
        self.phase = Phase::Connected;
        self.report.complete = true;
        self.report.at = None;
    }
}

mod client;
#[cfg(test)]
mod conformance;
mod crypto;
mod server;
mod tls13;

/// A side's handshake-message size limits (M7), applied by [`HandshakeJoiner::push_limited`]
/// as each message's 4-byte header is read, before any of its body is buffered: whether a
/// message is fragmented and how long it claims to be are both known from the header and
/// the record that carried it.
#[derive(Debug, Clone, Copy)]
struct HeaderLimits {
    /// Schannel `Messaging\MessageLimit*` (Microsoft Learn "TLS registry settings",
    /// Messaging; docs/field-facts.md M7): a message split across records and
    /// longer than this is refused; 0 = any message split across records is refused.
    fragmented: Option<u32>,
    /// Java `jdk.tls.maxHandshakeMessageSize`: any message longer than this is refused.
    any: Option<u32>,
}

impl HeaderLimits {
    /// The error for a message announced by `h`, or None to accept it.
    fn check(self, h: &MessageHeader) -> Option<LocalError> {
        // (Called for every message: nothing is formatted unless it is refused.)
        let message = || format!("{:?}", h.typ);
        let too_large = |limit: u32| LocalError::MessageTooLarge {
            message: message(),
            len: h.len,
            limit,
            records: h.records,
        };
        let over = |limit: u32| usize::try_from(limit).is_ok_and(|l| h.len > l);
        match self.fragmented {
            Some(0) if h.fragmented => {
                return Some(LocalError::FragmentedMessageRejected {
                    message: message(),
                    len: h.len,
                    records: h.records,
                })
            }
            Some(l) if h.fragmented && over(l) => return Some(too_large(l)),
            _ => {}
        }
        if let Some(l) = self.any.filter(|l| over(*l)) {
            return Some(too_large(l));
        }
        header_cap(h.typ).filter(|c| over(*c)).map(too_large)
    }
}

/// The longest body a handshake message of this type can have, from the length fields of
/// its TLS 1.0–1.2 structure (RFC 5246 §7.4, RFC 5077 §3.3), or 2^14 for the short ones:
/// a longer message cannot be well formed, so it is refused at its header (illegal_parameter,
/// as OpenSSL 3 does for a message above its per-state maximum: `statem.c`,
/// `SSL_R_EXCESSIVE_MESSAGE_SIZE`; OpenSSL's own maxima for ClientHello, ServerHello,
/// CertificateVerify and NewSessionTicket are these same numbers). Short malformed messages
/// (a 20-byte Finished) are left to the parser, which answers decode_error as before; the
/// 2^14 floor only bounds what is buffered. Certificate (a u24 list) has no cap below the
/// protocol's 2^24-1: only a profile's limits bound it.
fn header_cap(typ: HandshakeType) -> Option<u32> {
    // u8/u16/u24-prefixed vectors cost 1/2/3 bytes of length plus at most 2^8-1 / 2^16-1 /
    // 2^24-1 bytes of content.
    const V8: u32 = 1 + 255;
    const V16: u32 = 2 + 65_535;
    let cap = match typ {
        // version, random, session_id<0..32>, cipher_suites<2..2^16-2>,
        // compression_methods<1..2^8-1>, extensions<0..2^16-1>: 131396.
        HandshakeType::ClientHello => 2 + 32 + (1 + 32) + (2 + 65_534) + V8 + V16,
        // version, random, session_id, suite, compression, extensions: 65607.
        HandshakeType::ServerHello => 2 + 32 + (1 + 32) + 2 + 1 + V16,
        HandshakeType::Certificate => return None,
        // DH p, g, Ys (or a smaller ECDH point), then SignatureAndHashAlgorithm and a
        // signature<0..2^16-1>.
        HandshakeType::ServerKeyExchange => 3 * V16 + 2 + V16,
        // certificate_types<1..2^8-1>, supported_signature_algorithms<2..2^16-2>,
        // certificate_authorities<0..2^16-1>.
        HandshakeType::CertificateRequest => V8 + (2 + 65_534) + V16,
        // SignatureAndHashAlgorithm, signature<0..2^16-1>.
        HandshakeType::CertificateVerify => 2 + V16,
        // Yc<1..2^16-1> or EncryptedPreMasterSecret<0..2^16-1> (an ECDH point is shorter).
        HandshakeType::ClientKeyExchange => V16,
        // lifetime_hint, ticket<0..2^16-1>.
        HandshakeType::NewSessionTicket => 4 + V16,
        // HelloRequest, ServerHelloDone (empty), Finished (12 or 36 bytes), unknown types.
        _ => 0,
    };
    Some(cap.max(u32::try_from(MAX_FRAGMENT).unwrap_or(u32::MAX)))
}

/// The wire name of a curve.
pub(crate) fn curve_group(c: crate::crypto::Curve) -> NamedGroup {
    match c {
        crate::crypto::Curve::X25519 => NamedGroup::X25519,
        crate::crypto::Curve::Secp256r1 => NamedGroup::Secp256r1,
    }
}

pub(crate) fn group_curve(g: NamedGroup) -> Option<crate::crypto::Curve> {
    [
        crate::crypto::Curve::X25519,
        crate::crypto::Curve::Secp256r1,
    ]
    .into_iter()
    .find(|c| curve_group(*c) == g)
}

#[cfg(test)]
mod timer_tests {
    use super::*;
    use crate::seed::rng_for;

    /// Moves every transmit between the two until neither has anything to send.
    fn converse(c: &mut Connection, s: &mut Connection, cs: &mut PeerState, ss: &mut PeerState) {
        for _ in 0..16 {
            let mut moved = false;
            while let Some(t) = c.poll_transmit() {
                moved = true;
                s.handle_input(10, &t.bytes, ss);
            }
            while let Some(t) = s.poll_transmit() {
                moved = true;
                c.handle_input(10, &t.bytes, cs);
            }
            if !moved {
                break;
            }
        }
    }

    #[test]
    fn the_engine_reports_its_deadlines_and_acts_on_them() {
        let p = Arc::new(crate::profile::load("rfc-strict").unwrap());
        let (mut cs, mut ss) = (
            PeerState::new(&mut rng_for(1, &[9])),
            PeerState::new(&mut rng_for(1, &[10])),
        );
        let timeouts = Timeouts {
            handshake: Some(50),
            connection: Some(80),
        };
        let c = Connection::client(p.clone(), "s", rng_for(1, &[0]), 0, &mut cs);
        assert_eq!(c.poll_timeout(), None, "no timeouts, no deadline");

        // A handshake that never gets an answer: the handshake's deadline, re-armed when the
        // transport is up.
        let mut c = c.with_timeouts(timeouts);
        assert_eq!(c.poll_timeout(), Some(50));
        c.restart_timers(20);
        assert_eq!(c.poll_timeout(), Some(70));
        assert_eq!(c.handle_timeout(69), None);
        assert!(!c.is_closed());
        assert_eq!(c.handle_timeout(70), Some(Timer::Handshake));
        assert!(c.is_closed());
        assert_eq!(c.report().error, Some(LocalError::Timeout));
        assert_eq!(
            c.report().at,
            Some(MessageKind::Handshake(HandshakeType::ServerHello))
        );
        assert_eq!(c.poll_timeout(), None);

        // A completed handshake: only the connection's deadline is left, and it closes
        // without a word or a change to the report.
        let mut c = Connection::client(p.clone(), "s", rng_for(2, &[0]), 0, &mut cs)
            .with_timeouts(timeouts);
        let mut s = Connection::server(p, rng_for(2, &[1]), 0).with_timeouts(timeouts);
        converse(&mut c, &mut s, &mut cs, &mut ss);
        assert!(c.is_handshake_complete() && s.is_handshake_complete());
        assert_eq!(c.poll_timeout(), Some(80));
        let report = c.report().clone();
        assert_eq!(c.handle_timeout(80), Some(Timer::Connection));
        assert!(c.is_closed() && c.poll_transmit().is_none());
        assert_eq!(format!("{:?}", c.report()), format!("{report:?}"));
    }
}
