//! The sans-IO TLS 1.0–1.2 peer. One `Connection` is a client or a server; the caller feeds
//! received bytes with the simulated time and pulls records to send. Every behaviour
//! difference between real stacks is a `Profile` knob read at the one place it matters.
//! The engine never reads a clock, a socket or OS randomness: time and the RNG come in.

use super::outcome::{
    alert_for, CloseKind, HandshakeKind, LocalError, LocalReport, MessageKind, Secret, Side,
};
use super::real::RealCrypto;
use crypto::{Crypto, CryptoMode, KxSigned, Modelled, Real};
use super::session::{Millis, PeerState, Session};
use crate::crypto::model_cert::{model_cert, modelled_signature};
use crate::crypto::{
    dh_premaster, encode_public, extended_master_secret, key_block, master_secret, verify_data,
    DhGroup, EcdhKeyPair, KeyBlock, PrfAlgorithm, RecordProtector,
};
use crate::profile::{FatalClose, Profile};
use crate::wire::*;
use num_bigint::BigUint;
use rand_chacha::ChaCha20Rng;
use rand_core::RngCore;
use std::collections::VecDeque;
use std::sync::Arc;

/// One record (or a close) to put on the wire, with a one-line description for ladders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    pub bytes: Vec<u8>,
    pub close: Option<CloseKind>,
    pub summary: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    // client
    ExpectServerHello,
    ExpectCertificate,
    ExpectServerKx,
    ExpectCertReqOrDone,
    ExpectServerDone,
    // server
    ExpectClientHello,
    ExpectClientCert,
    ExpectClientKx,
    ExpectCertVerify,
    // both
    ExpectCcs,
    ExpectFinished,
    Connected,
    Closed,
}

/// Key exchange material of the current handshake.
enum Kx {
    None,
    Dh {
        group: DhGroup,
        pair: crate::crypto::DhKeyPair,
    },
    Ec {
        pair: EcdhKeyPair,
    },
}

pub struct Connection {
    side: Side,
    profile: Arc<Profile>,
    rng: ChaCha20Rng,
    now: Millis,
    state: State,
    /// Identity of the server, the key of the client's session store.
    server_id: String,
    deframer: RecordDeframer,
    joiner: HandshakeJoiner,
    transcript: Vec<u8>,
    /// Running hash of a prefix of `transcript` (see [`Connection::transcript_hash`]).
    transcript_hasher: Option<crate::crypto::RunningHash>,
    version: Option<ProtocolVersion>,
    suite: Option<&'static SuiteInfo>,
    client_random: Random,
    server_random: Random,
    session_id: Vec<u8>,
    /// Session the client offered, or the server accepted, for resumption.
    resume: Option<Session>,
    /// Client: held a session for this server at the start.
    had_session: bool,
    /// Client: the ClientHello it sent.
    offered: Option<ClientHello>,
    /// Server: the client's ClientHello.
    client_hello: Option<ClientHello>,
    ems: bool,
    resumed: bool,
    ticket_acked: bool,
    new_ticket: Option<Vec<u8>>,
    client_cert_requested: bool,
    client_cert_sent: bool,
    kx: Kx,
    pending_z: Option<BigUint>,
    pending_premaster: Option<Vec<u8>>,
    master: Option<[u8; 48]>,
    read: Option<RecordProtector>,
    pending_read: Option<RecordProtector>,
    write: Option<RecordProtector>,
    pending_write: Option<RecordProtector>,
    /// Modelled (simulated) or real (bridge mode) certificates, signatures and records.
    crypto: CryptoMode,
    /// Client in bridge mode: the RSA key of the server's certificate.
    peer_key: Option<rsa::RsaPublicKey>,
    flight: Vec<Vec<u8>>,
    flight_names: Vec<String>,
    /// False: records carry no summary text (studies that keep no wire log).
    summaries: bool,
    outbox: VecDeque<Transmit>,
    received_app_data: Vec<u8>,
    report: LocalReport,
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
            let mut c = Connection::new(Side::Client, profile, server_id, rng, now);
            c.start_client(state);
            c
        })
    }

    pub fn server(profile: Arc<Profile>, rng: ChaCha20Rng, now: Millis) -> Connection {
        Connection::new(Side::Server, profile, "", rng, now)
    }

    fn new(
        side: Side,
        profile: Arc<Profile>,
        server_id: &str,
        rng: ChaCha20Rng,
        now: Millis,
    ) -> Self {
        Connection {
            side,
            profile,
            rng,
            now,
            state: if side == Side::Client {
                State::ExpectServerHello
            } else {
                State::ExpectClientHello
            },
            server_id: server_id.to_string(),
            deframer: RecordDeframer::new(),
            joiner: HandshakeJoiner::new(),
            transcript: Vec::new(),
            transcript_hasher: None,
            version: None,
            suite: None,
            client_random: [0; 32],
            server_random: [0; 32],
            session_id: Vec::new(),
            resume: None,
            had_session: false,
            offered: None,
            client_hello: None,
            ems: false,
            resumed: false,
            ticket_acked: false,
            new_ticket: None,
            client_cert_requested: false,
            client_cert_sent: false,
            kx: Kx::None,
            pending_z: None,
            pending_premaster: None,
            master: None,
            read: None,
            pending_read: None,
            write: None,
            pending_write: None,
            crypto: CryptoMode::Modelled(Modelled),
            peer_key: None,
            flight: Vec::new(),
            flight_names: Vec::new(),
            summaries: true,
            outbox: VecDeque::new(),
            received_app_data: Vec::new(),
            report: LocalReport::new(side),
        }
    }

    /// Switch to bridge mode before the first input: real certificates and RSA signatures
    /// on ServerKeyExchange, real AES-GCM record protection. Only (EC)DHE_RSA AES-GCM suites
    /// are usable in this mode: a server skips the others, a client rejects them. (A client's
    /// ClientHello, queued at construction, is the same in both modes.)
    pub fn with_real_crypto(mut self, real: Arc<RealCrypto>) -> Self {
        self.crypto = CryptoMode::Real(Real(real));
        self
    }

    /// Whether a suite can run in bridge mode (real crypto): (EC)DHE with an RSA
    /// certificate (the only key bridge mode holds) and AES-GCM records.
    pub(crate) fn real_suite_ok(info: &SuiteInfo) -> bool {
        crypto::real_suite_ok(info)
    }

    pub fn side(&self) -> Side {
        self.side
    }

    /// Next record or close to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.outbox.pop_front()
    }

    pub fn is_handshake_complete(&self) -> bool {
        self.state == State::Connected
    }

    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// The report so far (final once the connection is connected or closed).
    /// Turns the per-record summary text of [`Transmit`] on or off (on by default); a study
    /// that records no wire log turns it off to save the formatting.
    pub fn with_summaries(mut self, on: bool) -> Self {
        self.summaries = on;
        self
    }

    /// Moves this side's report out (the connection keeps an empty one); for callers done
    /// with the connection.
    pub fn take_report(&mut self) -> LocalReport {
        let side = self.report.side;
        std::mem::replace(&mut self.report, LocalReport::new(side))
    }

    pub fn report(&self) -> &LocalReport {
        &self.report
    }

    pub fn master_secret(&self) -> Option<[u8; 48]> {
        self.master
    }

    pub fn client_random(&self) -> Random {
        self.client_random
    }

    /// Application data received so far.
    pub fn take_app_data(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.received_app_data)
    }

    /// Queue application data (after the handshake).
    pub fn send_app_data(&mut self, data: &[u8]) {
        if self.state != State::Connected {
            return;
        }
        for chunk in data.chunks(MAX_FRAGMENT) {
            self.push_record(
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
        if self.state == State::Closed {
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
        self.state = State::Closed;
    }

    /// The peer closed the transport.
    pub fn handle_close(&mut self, now: Millis, kind: CloseKind) {
        self.now = now;
        if matches!(self.state, State::Connected | State::Closed) {
            return;
        }
        self.report.peer_closed = Some(kind);
        if self.report.error.is_none() {
            self.report.error = Some(LocalError::PeerClosed);
        }
        self.state = State::Closed;
    }

    /// The application's timeout expired before the handshake completed: give up and
    /// close (FIN, no alert), as an application closing its socket would.
    pub fn handle_timeout(&mut self, now: Millis) {
        self.now = now;
        if matches!(self.state, State::Connected | State::Closed) {
            return;
        }
        self.report.error = Some(LocalError::Timeout);
        let expected = self.expected_name();
        self.report.at.get_or_insert(expected);
        self.push_close(CloseKind::Fin);
        self.state = State::Closed;
    }

    /// Feed bytes received from the peer at simulated time `now`.
    pub fn handle_input(&mut self, now: Millis, bytes: &[u8], env: &mut PeerState) {
        crate::cost::probe(crate::cost::Kind::Engine, || {
            self.handle_input_unprobed(now, bytes, env)
        })
    }

    fn handle_input_unprobed(&mut self, now: Millis, bytes: &[u8], env: &mut PeerState) {
        self.now = now;
        if self.state == State::Closed {
            return;
        }
        self.deframer.push(bytes);
        while self.state != State::Closed {
            let rec = match self.deframer.pop() {
                Ok(Some(r)) => r,
                Ok(None) => break,
                Err(e) => {
                    let alert = e.alert();
                    self.fail_with(
                        LocalError::Decode {
                            what: e.to_string(),
                        },
                        Some(alert),
                    );
                    break;
                }
            };
            self.handle_record(rec, env);
        }
    }

    fn handle_record(&mut self, rec: Record, env: &mut PeerState) {
        let mut fragment = rec.fragment;
        if let Some(read) = self.read.as_mut() {
            match read.open(rec.typ.to_u8(), rec.version.to_u16(), &fragment) {
                Ok(p) => fragment = p,
                Err(_) => {
                    self.report.at = Some(self.expected_name());
                    return self.fail(LocalError::BadRecordMac);
                }
            }
        }
        match rec.typ {
            ContentType::Handshake => {
                // Size limits are applied as each message's header is read, before its body
                // is buffered (M7; see `HeaderLimits`).
                let limits = self.header_limits();
                let mut refused = None;
                let pushed = self.joiner.push_limited(&fragment, |h| {
                    refused = limits.check(h).map(|e| (h.typ, e));
                    refused.is_none()
                });
                if let Err(e) = pushed {
                    return self.fail_with(
                        LocalError::Decode {
                            what: e.to_string(),
                        },
                        Some(e.alert()),
                    );
                }
                // Messages completed before a refused header come first, in order.
                while self.state != State::Closed {
                    let Some(msg) = self.joiner.pop() else { break };
                    self.handle_joined(msg, env);
                }
                if let (Some((typ, err)), false) = (refused, self.state == State::Closed) {
                    self.report.at = Some(MessageKind::Handshake(typ));
                    self.fail(err);
                }
            }
            ContentType::ChangeCipherSpec => {
                if fragment != [1] {
                    return self.fail(LocalError::Decode {
                        what: "ChangeCipherSpec".into(),
                    });
                }
                if self.state != State::ExpectCcs || !self.joiner.is_empty() {
                    return self.fail(LocalError::UnexpectedMessage {
                        got: MessageKind::CHANGE_CIPHER_SPEC,
                        resumed: self.resumed,
                    });
                }
                self.read = self.pending_read.take();
                self.state = State::ExpectFinished;
            }
            ContentType::Alert => match Alert::from_bytes(&fragment) {
                Ok(a) => {
                    if a.level == AlertLevel::Warning
                        && a.description != AlertDescription::CloseNotify
                    {
                        return;
                    }
                    if self.state != State::Connected {
                        self.report.alert_received = Some(a.description);
                        self.report.at.get_or_insert(MessageKind::ALERT);
                    }
                    self.state = State::Closed;
                }
                Err(e) => self.fail_with(
                    LocalError::Decode {
                        what: e.to_string(),
                    },
                    Some(e.alert()),
                ),
            },
            ContentType::ApplicationData if self.state == State::Connected => {
                self.received_app_data.extend_from_slice(&fragment);
            }
            other => self.fail(LocalError::UnexpectedMessage {
                got: MessageKind::Record(other),
                resumed: self.resumed,
            }),
        }
    }

    fn expected_name(&self) -> MessageKind {
        use HandshakeType as H;
        let hs = MessageKind::Handshake;
        match self.state {
            State::ExpectServerHello => hs(H::ServerHello),
            State::ExpectCertificate => hs(H::Certificate),
            State::ExpectServerKx => hs(H::ServerKeyExchange),
            State::ExpectCertReqOrDone | State::ExpectServerDone => hs(H::ServerHelloDone),
            State::ExpectClientHello => hs(H::ClientHello),
            State::ExpectClientCert => hs(H::Certificate),
            State::ExpectClientKx => hs(H::ClientKeyExchange),
            State::ExpectCertVerify => hs(H::CertificateVerify),
            State::ExpectCcs => MessageKind::CHANGE_CIPHER_SPEC,
            State::ExpectFinished => hs(H::Finished),
            State::Connected => MessageKind::APPLICATION_DATA,
            State::Closed => MessageKind::Closed,
        }
    }

    fn message_limit(&self) -> Option<u32> {
        let p = &self.profile;
        match self.side {
            Side::Client => p.message_limit_client,
            Side::Server if self.client_cert_requested => p.message_limit_server_client_auth,
            Side::Server => p.message_limit_server,
        }
    }

    /// This side's handshake-message size limits, checked at each message's header.
    fn header_limits(&self) -> HeaderLimits {
        HeaderLimits {
            fragmented: self.message_limit(),
            any: self.profile.max_handshake_message,
        }
    }

    fn handle_joined(&mut self, msg: JoinedMessage, env: &mut PeerState) {
        self.report.at = Some(MessageKind::Handshake(msg.typ));
        let tls12 = self.version.is_none_or(|v| v == ProtocolVersion::TLSv1_2);
        let parsed = match HandshakeMessage::read(&mut Reader::new(&msg.raw), tls12) {
            Ok(m) => m,
            Err(e) => {
                return self.fail_with(
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
            self.transcript.extend_from_slice(&msg.raw);
        }
        let r = match self.side {
            Side::Client => self.client_handle(parsed, &msg.raw, env),
            Side::Server => self.server_handle(parsed, &msg.raw, env),
        };
        if let Err(e) = r {
            self.fail(e);
        }
    }

    fn unexpected(&self, p: &HandshakePayload) -> LocalError {
        LocalError::UnexpectedMessage {
            got: MessageKind::Handshake(p.typ()),
            resumed: self.resumed,
        }
    }

    // ------------------------------------------------------------------ failing

    fn fail(&mut self, err: LocalError) {
        let alert = alert_for(&err);
        self.fail_with(err, Some(alert));
    }

    fn fail_with(&mut self, err: LocalError, alert: Option<AlertDescription>) {
        if self.state == State::Closed {
            return;
        }
        self.report.error = Some(err);
        self.flush_flight();
        match (self.profile.close_style(self.side == Side::Client), alert) {
            (FatalClose::Alert, Some(a)) => {
                self.report.alert_sent = Some(a);
                let body = Alert {
                    level: AlertLevel::Fatal,
                    description: a,
                }
                .to_bytes();
                self.push_record(
                    ContentType::Alert,
                    body,
                    format!("Alert(fatal, {})", a.name()),
                );
                self.push_close(CloseKind::Fin);
            }
            (FatalClose::Rst, _) => self.push_close(CloseKind::Rst),
            _ => self.push_close(CloseKind::Fin),
        }
        self.state = State::Closed;
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

    fn record_version(&self) -> ProtocolVersion {
        self.version.unwrap_or(ProtocolVersion::TLSv1_0)
    }

    fn push_record(&mut self, typ: ContentType, plain: Vec<u8>, summary: String) {
        let version = self.record_version();
        let fragment = match self.write.as_mut() {
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
            self.transcript.extend_from_slice(&bytes);
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

    // ------------------------------------------------------------------ key schedule

    fn prf_alg(&self) -> PrfAlgorithm {
        match (self.version, self.suite) {
            (Some(ProtocolVersion::TLSv1_2), Some(s)) => match s.prf_hash {
                HashAlgorithm::Sha384 => PrfAlgorithm::Sha384,
                HashAlgorithm::Sha256 => PrfAlgorithm::Sha256,
            },
            _ => PrfAlgorithm::Tls10,
        }
    }

    /// Derive the master secret from the pre-master secret (at ClientKeyExchange).
    fn derive_master(&mut self, pms: &[u8]) -> Result<(), LocalError> {
        let alg = self.prf_alg();
        let master = if self.ems {
            // RFC 7627 §4: session_hash covers the transcript up to and including
            // ClientKeyExchange (the caller adds it before deriving).
            let sh = self.transcript_hash(self.transcript.len());
            extended_master_secret(alg, pms, &sh)
        } else {
            master_secret(alg, pms, &self.client_random, &self.server_random)
        };
        self.report.truth.premaster = Some(Secret::from(pms));
        self.set_master(master)
    }

    fn set_master(&mut self, master: [u8; 48]) -> Result<(), LocalError> {
        self.report.truth.master = Some(Secret::from(&master[..]));
        self.report.truth.ems = self.ems;
        self.master = Some(master);
        let suite = self
            .suite
            .expect("a suite is chosen before the key schedule runs");
        let (mac_len, key_len, iv_len) = (
            suite.mac_key_len(),
            suite.enc_key_len(),
            suite.fixed_iv_len(),
        );
        let block = key_block(
            self.prf_alg(),
            &master,
            &self.server_random,
            &self.client_random,
            KeyBlock::total_len(mac_len, key_len, iv_len),
        );
        let kb = KeyBlock::split(&block, mac_len, key_len, iv_len);
        let (read, write) = self.crypto.protectors(suite, &kb, self.side)?;
        self.pending_read = Some(read);
        self.pending_write = Some(write);
        Ok(())
    }

    fn activate_write(&mut self) {
        if let Some(w) = self.pending_write.take() {
            self.write = Some(w);
        }
    }

    fn finished(&mut self, from_client: bool) -> [u8; 12] {
        let alg = self.prf_alg();
        let master = self.master.expect("Finished comes after the master secret");
        let hash = self.transcript_hash(self.transcript.len());
        verify_data(alg, &master, from_client, &hash)
    }

    /// `handshake_hash(prf_alg, transcript[..upto])`, from a running hash that only takes
    /// the bytes it has not seen (restarted if the PRF changed or `upto` went backwards).
    fn transcript_hash(&mut self, upto: usize) -> Vec<u8> {
        let alg = self.prf_alg();
        let h = match self.transcript_hasher.as_mut() {
            Some(h) if h.alg() == alg && h.fed() <= upto => h,
            _ => self
                .transcript_hasher
                .insert(crate::crypto::RunningHash::new(alg)),
        };
        h.update(&self.transcript[h.fed()..upto]);
        h.current()
    }

    fn send_finished(&mut self) {
        self.send_ccs();
        self.activate_write();
        let vd = self.finished(self.side == Side::Client);
        self.queue(HandshakePayload::Finished(vd.to_vec()));
        self.flush_flight();
    }

    fn check_finished(&mut self, vd: &[u8], raw: &[u8]) -> Result<(), LocalError> {
        let expect = self.finished(self.side == Side::Server);
        if vd != expect {
            return Err(LocalError::FinishedMismatch);
        }
        self.transcript.extend_from_slice(raw);
        Ok(())
    }

    fn dh_premaster_for(&self, z: &BigUint, group: &DhGroup) -> Vec<u8> {
        dh_premaster(z, group, self.profile.premaster_encoding(self.ems))
    }

    fn record_z(&mut self, z: &BigUint, group: &DhGroup) {
        self.report.truth.z = Some(Secret(z.to_bytes_be()));
        self.report.truth.p_len = Some(group.byte_len());
    }

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
        self.state = State::Connected;
        self.report.complete = true;
        self.report.at = None;
    }

    fn set_negotiated(&mut self, version: ProtocolVersion, suite: &'static SuiteInfo) {
        self.version = Some(version);
        self.suite = Some(suite);
        self.report.version = Some(version.name().to_string());
        self.report.suite = Some(suite.iana.to_string());
    }
}

mod client;
mod crypto;
mod server;

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
