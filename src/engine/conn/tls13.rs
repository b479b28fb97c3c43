//! TLS 1.3 inside a [`Connection`]: version negotiation between the TLS 1.0–1.2 engine and
//! the TLS 1.3 module ([`crate::tls13`]), and the adapter that runs a [`Client13`] or
//! [`Server13`] behind the connection's API (records out through the outbox, the report,
//! the phase, application data, close).
//!
//! How a connection becomes a TLS 1.3 one, as real stacks do it (RFC 8446 §4.1.1–§4.1.3):
//! - A client whose profile enables TLS 1.3 sends one ClientHello carrying the TLS 1.3
//!   suites first, `supported_versions` (1.3 and its older versions), `key_share`,
//!   `psk_key_exchange_modes` and RSA-PSS signature schemes beside its TLS 1.2 offer
//!   ([`offer`]). A ServerHello (or HelloRetryRequest) selecting TLS 1.3 hands the
//!   connection to the TLS 1.3 client, which already holds the hello and its key shares; a
//!   TLS 1.2 or older one continues in the TLS 1.2 engine, which checks the downgrade
//!   sentinel (`ClientHs::on_server_hello`).
//! - A server whose profile enables TLS 1.3 and receives a ClientHello offering it in
//!   `supported_versions` hands the hello to a TLS 1.3 server ([`Conn13::server`]);
//!   otherwise the TLS 1.2 engine answers, and writes the sentinel into its random
//!   (`ServerHs::on_client_hello`).

use super::*;
use crate::profile::TlsVersion;
use crate::tls13::{Client13, Config13, Server13, Tls13Error};
use crate::wire::tls13::{split_handshake, ClientHello13, HRR_RANDOM, PSK_DHE_KE, PSK_KE};
use rand_core::{RngCore, SeedableRng};
use std::sync::OnceLock;

type Rng13 = ChaCha20Rng;

/// The TLS 1.3 side of one role.
pub(super) enum Machine {
    Client(Box<Client13<Rng13>>),
    Server(Box<Server13<Rng13>>),
}

/// A connection that negotiated TLS 1.3.
pub(in crate::engine) struct Conn13 {
    m: Machine,
    /// Received bytes that are not yet a whole record.
    inbuf: Vec<u8>,
    /// A client's server identity, under which it keeps the server's tickets.
    server_id: String,
}

/// The module's configuration from a profile's TLS 1.3 knobs.
fn config(p: &Profile) -> Config13 {
    Config13 {
        suites: p.tls13_suites.clone(),
        groups: p.tls13_groups.iter().map(|g| g.wire()).collect(),
        key_share_groups: p.tls13_key_shares.iter().map(|g| g.wire()).collect(),
        server_name: p
            .server_name
            .as_ref()
            .map(|s| s.as_bytes().to_vec())
            .unwrap_or_default(),
        compat_mode: p.tls13_middlebox_compat,
        send_ticket: p.tls13_tickets > 0,
        // The one reading of the knob, shared with `study::tls13_ffdhe_theory`.
        ffdhe_z: match p.tls13_z_encoding() {
            crate::crypto::PremasterEncoding::Strip => crate::tls13::FfdheZ::Strip,
            _ => crate::tls13::FfdheZ::Pad,
        },
        psk_modes: p
            .tls13_psk_modes
            .iter()
            .map(|m| match m {
                crate::profile::PskMode::PskDheKe => PSK_DHE_KE,
                crate::profile::PskMode::PskKe => PSK_KE,
            })
            .collect(),
        // Tickets are issued, but the engine does not store or offer them yet (PSK
        // resumption runs in the module and the bridge; the fleet's session store is TLS
        // 1.2's), so a server's ticket key is drawn per connection.
        resume: None,
        ticket_key: None,
        // Validated at most 604,800 s (RFC 8446 §4.6.1), so it fits.
        ticket_lifetime: u32::try_from(p.tls13_ticket_lifetime_secs).unwrap_or(604_800),
        // Set by the caller from the connection's crypto mode.
        modelled_signatures: false,
        plaintext_alerts: p.tls13_client_plaintext_alerts,
    }
}

/// An RNG for the module, seeded from the connection's stream (deterministic).
fn rng13(c: &mut Common) -> Rng13 {
    let mut seed = [0u8; 32];
    c.rng.fill_bytes(&mut seed);
    Rng13::from_seed(seed)
}

/// The module's refusal, as this side's error.
fn local(e: Tls13Error) -> LocalError {
    match e.alert {
        AlertDescription::BadRecordMac => LocalError::BadRecordMac,
        a => LocalError::Tls13 {
            alert: a.to_u8(),
            reason: e.reason,
        },
    }
}

fn decode(what: &str, e: impl std::fmt::Display) -> LocalError {
    LocalError::Decode {
        what: format!("{what}: {e}"),
    }
}

/// The RFC 8446 §B.4 name of a suite.
pub(super) fn suite_name(s: crate::crypto::tls13::Tls13Suite) -> &'static str {
    use crate::crypto::tls13::Tls13Suite as S;
    match s {
        S::Aes128GcmSha256 => "TLS_AES_128_GCM_SHA256",
        S::Aes256GcmSha384 => "TLS_AES_256_GCM_SHA384",
        S::ChaCha20Poly1305Sha256 => "TLS_CHACHA20_POLY1305_SHA256",
    }
}

/// A client enabling TLS 1.3: makes the TLS 1.3 client (its key shares) and adds the TLS 1.3
/// parts to the TLS 1.2 engine's ClientHello `ch`, one hello as real stacks send. The caller
/// queues `ch` and gives its bytes to [`Client13::replace_hello`].
pub(super) fn offer(
    c: &mut Common,
    ch: &mut ClientHello,
    ticket: Option<crate::tls13::Ticket13>,
) -> Result<Box<Client13<Rng13>>, LocalError> {
    let p = c.profile.clone();
    let rng = rng13(c);
    // One supported_groups list for every version, as real stacks send: a TLS 1.2 curve
    // it lists can be asked for by a HelloRetryRequest too.
    let mut cfg = config(&p);
    cfg.modelled_signatures = matches!(c.crypto, CryptoMode::Modelled(_));
    cfg.resume = ticket;
    for e in &ch.extensions {
        if let ClientExtension::SupportedGroups(g) = e {
            cfg.groups.extend(
                g.iter()
                    .copied()
                    .filter(|x| !p.tls13_groups.iter().any(|t| t.wire() == *x)),
            );
        }
    }
    let mut m = Client13::new(cfg, rng);
    let rec = m.start().map_err(local)?;
    let h13 = match rec.get(5..).map(split_handshake) {
        Some(Ok(Some((_, body, _, _)))) => {
            ClientHello::from_bytes(body).map_err(|e| decode("TLS 1.3 ClientHello", e))?
        }
        _ => return Err(decode("TLS 1.3 ClientHello", "not one message")),
    };
    let mut e13 = ClientHello13::parse(&h13).map_err(|e| decode("TLS 1.3 ClientHello", e))?;
    // RFC 8446 §4.2.1: every version offered, highest first.
    let mut versions = vec![ProtocolVersion::TLSv1_3];
    let mut legacy: Vec<TlsVersion> = p
        .client_versions
        .iter()
        .copied()
        .filter(|v| *v <= TlsVersion::Tls12)
        .collect();
    legacy.sort_unstable_by(|a, b| b.cmp(a));
    legacy.dedup();
    versions.extend(legacy.iter().map(|v| v.wire()));
    e13.supported_versions = Some(versions);
    // §4.2.9: the modes this client offers (none: no PSK can be offered).
    let modes: Vec<u8> = p
        .tls13_psk_modes
        .iter()
        .map(|m| match m {
            crate::profile::PskMode::PskKe => PSK_KE,
            crate::profile::PskMode::PskDheKe => PSK_DHE_KE,
        })
        .collect();
    e13.psk_modes = (!modes.is_empty()).then_some(modes);

    // Suites: TLS 1.3 first, then the TLS 1.0–1.2 ones (none for a TLS 1.3-only client).
    let mut suites = h13.suites.clone();
    if !legacy.is_empty() {
        suites.extend(
            ch.suites
                .iter()
                .copied()
                .filter(|s| !h13.suites.contains(s)),
        );
    }
    ch.suites = suites;
    // §4.1.2 / D.4: legacy_session_id is the TLS 1.2 session being resumed, else (compat
    // mode) the module's 32 random bytes.
    if ch.session_id.0.is_empty() {
        ch.session_id = h13.session_id.clone();
    }
    let groups13 = h13.groups().unwrap_or(&[]).to_vec();
    let sigs13 = h13.sig_algs().unwrap_or(&[]).to_vec();
    let mut ext = Vec::new();
    let (mut have_groups, mut have_sigs, mut have_sni) = (false, false, false);
    for e in std::mem::take(&mut ch.extensions) {
        ext.push(match e {
            ClientExtension::SupportedGroups(g) => {
                have_groups = true;
                let mut all = groups13.clone();
                all.extend(g.into_iter().filter(|x| !groups13.contains(x)));
                ClientExtension::SupportedGroups(all)
            }
            ClientExtension::SignatureAlgorithms(s) => {
                have_sigs = true;
                let mut all = sigs13.clone();
                all.extend(s.into_iter().filter(|x| !sigs13.contains(x)));
                ClientExtension::SignatureAlgorithms(all)
            }
            ClientExtension::ServerName(n) => {
                have_sni = true;
                ClientExtension::ServerName(n)
            }
            other => other,
        });
    }
    if !have_sni {
        if let Some(n) = h13.server_name() {
            ext.insert(0, ClientExtension::ServerName(n.to_vec()));
        }
    }
    if !have_groups {
        ext.push(ClientExtension::SupportedGroups(groups13));
    }
    if !have_sigs {
        ext.push(ClientExtension::SignatureAlgorithms(sigs13));
    }
    ext.extend(e13.to_extensions());
    ch.extensions = ext;
    Ok(Box::new(m))
}

/// The bundled test certificate and key: the server's identity in the simulated mode.
fn test_identity() -> &'static super::RealCrypto {
    static ID: OnceLock<super::RealCrypto> = OnceLock::new();
    ID.get_or_init(super::RealCrypto::test_server)
}

/// One record, as the TLS 1.2 engine framed it, back into bytes for the module.
fn reframe(typ: ContentType, fragment: &[u8]) -> Vec<u8> {
    Record {
        typ,
        version: ProtocolVersion::TLSv1_2,
        fragment: fragment.to_vec(),
    }
    .to_bytes()
}

impl Conn13 {
    /// The client's TLS 1.3 handshake after a ServerHello or HelloRetryRequest selecting
    /// TLS 1.3 (`raw`: the message), which it reads at once.
    pub(super) fn client(
        c: &mut Common,
        m: Box<Client13<Rng13>>,
        raw: &[u8],
        server_id: String,
    ) -> Conn13 {
        c.record.version = Some(ProtocolVersion::TLSv1_3);
        c.report.version = Some(ProtocolVersion::TLSv1_3.name().to_string());
        let mut me = Conn13 {
            m: Machine::Client(m),
            inbuf: Vec::new(),
            server_id,
        };
        me.input(c, &reframe(ContentType::Handshake, raw));
        me
    }

    /// The server's TLS 1.3 handshake for a ClientHello offering TLS 1.3 (`raw`: the
    /// message), answered at once.
    pub(super) fn server(c: &mut Common, raw: &[u8], ticket_key: [u8; 32]) -> Conn13 {
        let p = c.profile.clone();
        // The simulated mode sends the profile's modelled chain (its sizes matter to
        // message limits) with a modelled CertificateVerify; the module still holds a
        // key, the bundled test key, which it then never uses.
        let modelled = matches!(c.crypto, CryptoMode::Modelled(_));
        let (chain, key) = match &c.crypto {
            CryptoMode::Real(r) => (r.0.cert_chain.clone(), r.0.key.clone()),
            CryptoMode::Modelled(_) => (c.crypto.server_chain(&p), None),
        };
        c.record.version = Some(ProtocolVersion::TLSv1_3);
        c.report.version = Some(ProtocolVersion::TLSv1_3.name().to_string());
        let rng = rng13(c);
        let key = key.unwrap_or_else(|| {
            test_identity()
                .key
                .clone()
                .expect("the bundled test identity has a key")
        });
        let mut cfg = config(&p);
        cfg.modelled_signatures = modelled;
        cfg.ticket_key = Some(ticket_key);
        let s = Server13::new(cfg, chain, key, rng);
        let mut me = Conn13 {
            m: Machine::Server(Box::new(s)),
            inbuf: Vec::new(),
            server_id: String::new(),
        };
        me.input(c, &reframe(ContentType::Handshake, raw));
        me
    }

    fn connected(&self) -> bool {
        match &self.m {
            Machine::Client(m) => m.is_connected(),
            Machine::Server(m) => m.is_connected(),
        }
    }

    /// What this side waits for, for reports of a failure it did not detect itself.
    pub(super) fn expected(&self) -> MessageKind {
        let awaiting = match &self.m {
            Machine::Client(m) => m.awaiting(),
            Machine::Server(m) => m.awaiting(),
        };
        awaiting.map_or(MessageKind::APPLICATION_DATA, MessageKind::Handshake)
    }

    /// Bytes from the peer.
    pub(super) fn input(&mut self, c: &mut Common, bytes: &[u8]) {
        self.inbuf.extend_from_slice(bytes);
        while c.phase != Phase::Closed && self.inbuf.len() >= 5 {
            let len = usize::from(u16::from_be_bytes([self.inbuf[3], self.inbuf[4]]));
            if self.inbuf.len() < 5 + len {
                break;
            }
            let rec: Vec<u8> = self.inbuf.drain(..5 + len).collect();
            // A plaintext alert (a peer failing before or without its keys, as this
            // engine's TLS 1.2 side does): the peer's verdict.
            if rec[0] == 21 && len == 2 {
                let desc = AlertDescription::from(rec[6]);
                let expected = self.expected();
                // A server that sent its flight holds the client's handshake keys: only some
                // stacks read a plaintext alert then (docs/tls13-alerts.md).
                let refusal = c.profile.tls13_server_plaintext_alert.refusal();
                if let (Machine::Server(_), Some(alert)) = (&self.m, refusal) {
                    if expected == MessageKind::Handshake(HandshakeType::Finished) {
                        c.report.at = Some(expected);
                        return self.fail(
                            c,
                            LocalError::PlaintextAlert {
                                alert: alert.to_u8(),
                            },
                        );
                    }
                }
                if desc == AlertDescription::CloseNotify && c.phase == Phase::Connected {
                    self.close(c);
                    c.phase = Phase::Closed;
                    return;
                }
                c.report.alert_received = Some(desc);
                c.report.at = Some(expected);
                c.phase = Phase::Closed;
                return;
            }
            let was_connected = self.connected();
            let r = match &mut self.m {
                Machine::Client(m) => m.receive(&rec),
                Machine::Server(m) => m.receive(&rec),
            };
            self.note_z(c);
            self.note_negotiated(c);
            match r {
                Ok(out) => {
                    let label = match (&self.m, was_connected) {
                        (Machine::Server(_), false) if self.connected() => "{NewSessionTicket}",
                        // A PSK resumption sends no Certificate (RFC 8446 §2.2).
                        (Machine::Server(m), false)
                            if m.negotiated().is_some_and(|n| n.resumed) =>
                        {
                            "{EncryptedExtensions, Finished}"
                        }
                        (Machine::Server(_), false) => {
                            "{EncryptedExtensions, Certificate, CertificateVerify, Finished}"
                        }
                        (Machine::Client(_), false) => "{Finished}",
                        (_, true) => "{NewSessionTicket}",
                    };
                    self.emit(c, &out, label);
                }
                Err(e) => {
                    let at = self.expected();
                    c.report.at = Some(at);
                    if let Some(desc) = e.peer_alert() {
                        // An encrypted fatal alert from the peer: its verdict, as a
                        // plaintext one above; nothing is sent back (RFC 8446 §6.2).
                        c.report.alert_received = Some(desc);
                        c.phase = Phase::Closed;
                        return;
                    }
                    return self.fail(c, local(e));
                }
            }
            if self.connected() && c.phase == Phase::Handshake {
                self.completed(c);
            }
            let (app, closed) = match &mut self.m {
                Machine::Client(m) => (m.take_app_data(), m.peer_closed()),
                Machine::Server(m) => (m.take_app_data(), m.peer_closed()),
            };
            c.received_app_data.extend_from_slice(&app);
            if closed {
                // RFC 8446 §6.1: answer a close_notify with one.
                self.close(c);
                return;
            }
        }
    }

    /// This side found a fault: its fatal alert goes out as the module makes it, protected
    /// under the keys it holds now or in plaintext (`Client13::fatal_alert`,
    /// `Server13::fatal_alert`; docs/tls13-alerts.md).
    fn fail(&mut self, c: &mut Common, err: LocalError) {
        let alert = alert_for(&err);
        let m = &mut self.m;
        c.fail_sending(err, Some(alert), |c, a| {
            let out = match m {
                Machine::Client(m) => m.fatal_alert(a),
                Machine::Server(m) => m.fatal_alert(a),
            };
            emit(c, &out, &format!("{{Alert(fatal, {})}}", a.name()));
        });
    }

    /// The truth of this side's FFDHE Z, once computed.
    fn note_z(&self, c: &mut Common) {
        let lz = match &self.m {
            Machine::Client(m) => m.ffdhe_z_leading_zero(),
            Machine::Server(m) => m.ffdhe_z_leading_zero(),
        };
        if let Some(leading_zero) = lz {
            c.report.truth.tls13_ffdhe_z = Some(crate::engine::outcome::Tls13ZTruth {
                leading_zero,
                stripped: c.profile.tls13_z_encoding() == crate::crypto::PremasterEncoding::Strip,
            });
        }
    }

    /// The NSS key log entries known so far (`client_random`: the connection's).
    pub(super) fn key_log(
        &self,
        client_random: [u8; 32],
    ) -> Vec<(&'static str, [u8; 32], Vec<u8>)> {
        match &self.m {
            Machine::Client(m) => m.key_log(),
            Machine::Server(m) => m.key_log(client_random),
        }
    }

    /// A client keeps the tickets the server sent, for later connections.
    pub(super) fn store_tickets(&mut self, now: Millis, env: &mut PeerState) {
        if let Machine::Client(m) = &mut self.m {
            for t in m.take_tickets() {
                env.store_ticket13(&self.server_id, t, now);
            }
        }
    }

    /// What the hellos chose, in the report as soon as it is known (a handshake that fails
    /// after the ServerHello, as on a Z mismatch, reports its suite and group).
    fn note_negotiated(&self, c: &mut Common) {
        let n = match &self.m {
            Machine::Client(m) => m.negotiated(),
            Machine::Server(m) => m.negotiated(),
        };
        if let Some(n) = n {
            c.report.suite = Some(suite_name(n.suite).to_string());
            // A psk_ke resumption has no key exchange.
            c.report.group =
                (n.group != crate::wire::NamedGroup::Unknown(0)).then(|| n.group.to_string());
            c.report.hello_retry = n.hello_retry;
        }
    }

    fn completed(&mut self, c: &mut Common) {
        self.note_negotiated(c);
        let n = match &self.m {
            Machine::Client(m) => m.negotiated(),
            Machine::Server(m) => m.negotiated(),
        };
        if let Some(n) = n {
            // Like TLS 1.2: resumed, or a ticket offered and refused (full handshake).
            if n.resumed {
                c.report.kind = HandshakeKind::Resumed;
            } else if n.psk_rejected {
                c.report.kind = HandshakeKind::ResumeRefused;
            }
        }
        c.complete();
    }

    /// Application data to send.
    pub(super) fn send(&mut self, c: &mut Common, data: &[u8]) {
        let r = match &mut self.m {
            Machine::Client(m) => m.send(data),
            Machine::Server(m) => m.send(data),
        };
        if let Ok(out) = r {
            self.emit(
                c,
                &out,
                &format!("{{ApplicationData({} bytes)}}", data.len()),
            );
        }
    }

    /// A protected close_notify, then FIN.
    pub(super) fn close(&mut self, c: &mut Common) {
        if c.phase == Phase::Closed {
            return;
        }
        let r = match &mut self.m {
            Machine::Client(m) => m.close(),
            Machine::Server(m) => m.close(),
        };
        if let Ok(out) = r {
            self.emit(c, &out, "{Alert(warning, close_notify)}");
        }
        c.outbox.push_back(Transmit {
            bytes: Vec::new(),
            close: Some(CloseKind::Fin),
            summary: "FIN".into(),
        });
        c.phase = Phase::Closed;
    }

    fn emit(&self, c: &mut Common, out: &[u8], protected: &str) {
        emit(c, out, protected);
    }
}

/// The module's output, one transmit per record, named for the ladder (`protected`: what
/// the encrypted records carry, in RFC 8446 §2's braces).
fn emit(c: &mut Common, out: &[u8], protected: &str) {
    let mut rest = out;
    while rest.len() >= 5 {
        let len = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        let n = (5 + len).min(rest.len());
        let (rec, tail) = rest.split_at(n);
        rest = tail;
        let summary = if !c.summaries {
            String::new()
        } else {
            match rec[0] {
                20 => "ChangeCipherSpec".to_string(),
                // A fatal alert sent in plaintext (`Client13::fatal_alert`).
                21 => protected.trim_matches(['{', '}']).to_string(),
                22 => match rec.get(5) {
                    Some(1) => "ClientHello".to_string(),
                    Some(2) if rec.get(11..43) == Some(&HRR_RANDOM[..]) => {
                        "HelloRetryRequest".to_string()
                    }
                    Some(2) => "ServerHello".to_string(),
                    _ => "Handshake".to_string(),
                },
                _ => protected.to_string(),
            }
        };
        c.outbox.push_back(Transmit {
            bytes: rec.to_vec(),
            close: None,
            summary,
        });
    }
}

/// Whether the hello `parsed` (just read by the TLS 1.2 engine, `raw` its bytes) moves the
/// connection to TLS 1.3: Some(the TLS 1.3 connection, or this side's refusal), None to go
/// on in the TLS 1.2 engine.
pub(super) fn switch(
    c: &mut Common,
    role: &mut Role,
    parsed: &HandshakePayload,
    raw: &[u8],
    env: &PeerState,
) -> Option<Result<Conn13, LocalError>> {
    match (role, parsed) {
        (Role::Client(hs), HandshakePayload::ServerHello(sh)) if hs.offers_tls13() => {
            let e13 = crate::wire::tls13::ServerHello13::parse(sh).ok()?;
            if e13.selected_version != Some(ProtocolVersion::TLSv1_3) {
                return None;
            }
            if crate::wire::tls13::is_hello_retry_request(sh) && !c.profile.tls13_client_handles_hrr
            {
                // The profile's client cannot send a second ClientHello.
                return Some(Err(LocalError::HelloRetryUnsupported));
            }
            let m = hs.take_tls13()?;
            let server_id = hs.server_id().to_string();
            Some(Ok(Conn13::client(c, m, raw, server_id)))
        }
        (Role::Server(hs), HandshakePayload::ClientHello(ch))
            if hs.expects_client_hello() && c.profile.tls13(false) =>
        {
            let e13 = ClientHello13::parse(ch).ok()?;
            if !e13.offers_tls13() {
                return None;
            }
            c.client_random = ch.random;
            // RFC 8446 §4.1.1: a group both support, for a key share now or after a
            // HelloRetryRequest; none: handshake_failure.
            let offered = ch.groups().unwrap_or(&[]);
            if !c
                .profile
                .tls13_groups
                .iter()
                .any(|g| offered.contains(&g.wire()))
            {
                return Some(Err(LocalError::NoCommonGroup));
            }
            Some(Ok(Conn13::server(c, raw, env.ticket_key13())))
        }
        _ => None,
    }
}
