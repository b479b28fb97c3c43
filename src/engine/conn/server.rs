//! The server half of the handshake state machine.

use super::crypto::KxSigned;
use super::*;
use crate::crypto::model_cert::model_cert;
use crate::crypto::{encode_public, DhKeyPair, EcdhKeyPair};
use crate::profile::{EmsResumption, TlsVersion};
use rand_core::RngCore;

/// What the server does with a session the client offered, per RFC 7627 §5.3.
enum ResumeDecision {
    Resume,
    Full,
    Abort,
}

/// The server's handshake: its key-exchange material and whether it asked for (and got) a
/// client certificate.
pub(in crate::engine) struct ServerHs {
    state: ServerState,
    /// The server's ephemeral key pair, made for its ServerKeyExchange.
    kx: ServerKx,
    /// It sent CertificateRequest in a full handshake (the client-auth message limit
    /// applies, M7).
    cert_requested: bool,
    /// The client sent a non-empty Certificate, so a CertificateVerify follows.
    client_cert_sent: bool,
    /// Bridge mode: the RSA key of the client's certificate.
    client_key: Option<rsa::RsaPublicKey>,
    /// The ClientHello's version, the first two bytes of an RSA pre-master secret
    /// (RFC 5246 §7.4.7.1).
    client_version: ProtocolVersion,
}

/// Where the server's handshake is.
enum ServerState {
    /// Waiting for the ClientHello.
    ExpectClientHello,
    /// ServerHello sent: what it settled (fixed from here on) and the next message.
    Negotiated(Negotiated, ServerStep),
}

/// The messages a server expects after its ServerHello, in order; the steps after the key
/// schedule carry the master secret.
#[derive(Clone, Copy)]
enum ServerStep {
    ClientCert,
    ClientKx,
    CertVerify(Master),
    Ccs(Master),
    Finished(Master),
}

/// The server's side of the key exchange (none for RSA key transport).
enum ServerKx {
    None,
    Dh { group: DhGroup, pair: DhKeyPair },
    Ec { pair: EcdhKeyPair },
}

impl ServerHs {
    pub(super) fn new() -> ServerHs {
        ServerHs {
            state: ServerState::ExpectClientHello,
            kx: ServerKx::None,
            cert_requested: false,
            client_cert_sent: false,
            client_key: None,
            client_version: ProtocolVersion::TLSv1_2,
        }
    }

    /// Waiting for the first ClientHello.
    pub(super) fn expects_client_hello(&self) -> bool {
        matches!(self.state, ServerState::ExpectClientHello)
    }

    /// Whether the handshake resumes a session (false until ClientHello settles it).
    pub(super) fn resumed(&self) -> bool {
        matches!(&self.state, ServerState::Negotiated(neg, _) if neg.resumed)
    }

    /// It asked for a client certificate in a full handshake.
    pub(super) fn cert_requested(&self) -> bool {
        self.cert_requested
    }

    /// The message the server waits for.
    pub(super) fn expected(&self) -> MessageKind {
        use HandshakeType as H;
        let hs = MessageKind::Handshake;
        match &self.state {
            ServerState::ExpectClientHello => hs(H::ClientHello),
            ServerState::Negotiated(_, step) => match step {
                ServerStep::ClientCert => hs(H::Certificate),
                ServerStep::ClientKx => hs(H::ClientKeyExchange),
                ServerStep::CertVerify(_) => hs(H::CertificateVerify),
                ServerStep::Ccs(_) => MessageKind::CHANGE_CIPHER_SPEC,
                ServerStep::Finished(_) => hs(H::Finished),
            },
        }
    }

    /// A ChangeCipherSpec arrived: true (and Finished is next) if it was expected.
    pub(super) fn ccs_received(&mut self) -> bool {
        match &mut self.state {
            ServerState::Negotiated(_, step) => match *step {
                ServerStep::Ccs(master) => {
                    *step = ServerStep::Finished(master);
                    true
                }
                _ => false,
            },
            ServerState::ExpectClientHello => false,
        }
    }

    /// One handshake message from the client (`raw`: its bytes, header included).
    pub(super) fn handle(
        &mut self,
        c: &mut Common,
        msg: HandshakeMessage,
        raw: &[u8],
        env: &mut PeerState,
    ) -> Result<(), LocalError> {
        // As the client's: the state is moved out beside `&mut self` and put back on every
        // path.
        match std::mem::replace(&mut self.state, ServerState::ExpectClientHello) {
            ServerState::ExpectClientHello => match msg.payload {
                HandshakePayload::ClientHello(ch) => {
                    self.state = self.on_client_hello(c, ch, env)?;
                    Ok(())
                }
                other => Err(c.unexpected(&other, false)),
            },
            ServerState::Negotiated(neg, step) => {
                let next = self.after_hello(c, &neg, step, msg, raw, env);
                let step = next.as_ref().map_or(step, |s| *s);
                self.state = ServerState::Negotiated(neg, step);
                next.map(drop)
            }
        }
    }

    /// A message after the server's hello, at `step`: the next step.
    fn after_hello(
        &mut self,
        c: &mut Common,
        neg: &Negotiated,
        step: ServerStep,
        msg: HandshakeMessage,
        raw: &[u8],
        env: &mut PeerState,
    ) -> Result<ServerStep, LocalError> {
        Ok(match (step, msg.payload) {
            (ServerStep::ClientCert, HandshakePayload::Certificate(chain)) => {
                self.client_cert_sent = !chain.is_empty();
                if let Some(leaf) = chain.first() {
                    self.client_key = c.crypto.peer_key(leaf)?;
                }
                ServerStep::ClientKx
            }
            (ServerStep::ClientKx, HandshakePayload::ClientKeyExchange(body)) => {
                self.on_client_kx(c, neg, &body)?
            }
            (ServerStep::CertVerify(master), HandshakePayload::CertificateVerify(cv)) => {
                // The signature covers the transcript before CertificateVerify.
                let upto = c.transcript.len() - raw.len();
                let before = c.transcript_hash_upto(neg, upto);
                let messages = &c.transcript.bytes[..upto];
                if neg.tls12() != cv.scheme.is_some()
                    || !c
                        .crypto
                        .verify_client_cv(self.client_key.as_ref(), &cv, messages, &before)
                {
                    return Err(LocalError::BadSignature);
                }
                ServerStep::Ccs(master)
            }
            (ServerStep::Finished(master), HandshakePayload::Finished(vd)) => {
                c.check_finished(neg, &master, &vd, raw)?;
                if !neg.resumed {
                    if neg.ticket_acked {
                        let t = env.seal_ticket(&neg.session(&master, None, c.now));
                        // The hint is a u32 (RFC 5077 §3.3): longer lifetimes are capped.
                        let lifetime =
                            u32::try_from(c.profile.ticket_lifetime_secs).unwrap_or(u32::MAX);
                        c.queue(HandshakePayload::NewSessionTicket(
                            NewSessionTicketPayload {
                                lifetime_hint: lifetime,
                                ticket: t,
                            },
                        ));
                    }
                    c.send_finished(neg, &master);
                    env.cache_insert(
                        neg.session(&master, None, c.now),
                        c.profile.server_cache_size,
                    );
                }
                c.complete();
                step
            }
            (_, other) => return Err(c.unexpected(&other, neg.resumed)),
        })
    }

    /// RFC 7627 §5.3 for a session the client offered: resume it, fall back to a full
    /// handshake, or abort, by the server's `ems_resumption` policy.
    fn ems_decision(p: &Profile, original: bool, hello: bool) -> ResumeDecision {
        use ResumeDecision::*;
        if !p.ems_negotiate {
            // A server that does not implement RFC 7627 ignores the extension.
            return Resume;
        }
        match (p.ems_resumption, original, hello) {
            (_, true, true) => Resume,
            (EmsResumption::Legacy, _, _) => Resume,
            // §5.3: original EMS, ClientHello without it: MUST abort.
            (_, true, false) => Abort,
            // §5.3: original without EMS, ClientHello with it: MUST NOT resume, SHOULD do
            // a full handshake.
            (_, false, true) => Full,
            // §5.3: neither: SHOULD abort (strict); the Oct 2019 Windows behaviour falls
            // back to a full handshake (KB4517389: extra CPU from full handshakes).
            (EmsResumption::Strict, false, false) => Abort,
            (EmsResumption::Oct2019, false, false) => Full,
        }
    }

    /// ClientHello: choose the version, resume an offered session or choose a suite, and
    /// send the server's flight (ServerHello … ServerHelloDone, or ServerHello,
    /// ChangeCipherSpec, Finished when resuming).
    fn on_client_hello(
        &mut self,
        c: &mut Common,
        ch: ClientHello,
        env: &mut PeerState,
    ) -> Result<ServerState, LocalError> {
        let p = c.profile.clone();
        c.client_random = ch.random;
        self.client_version = ch.version;
        // Version: the highest the server enables that is not above the client's.
        let Some(version) = p
            .server_versions
            .iter()
            .copied()
            .filter(|v| *v <= TlsVersion::Tls12 && v.wire() <= ch.version)
            .max()
        else {
            return Err(LocalError::NoSharedVersion {
                offered: ch.version.name().to_string(),
            });
        };
        if !ch.compression.contains(&CompressionMethod::Null) {
            return Err(LocalError::IllegalParameter {
                what: "no null compression".into(),
            });
        }
        let mut server_random = [0u8; 32];
        c.rng.fill_bytes(&mut server_random);
        // RFC 8446 §4.1.3: a server that enables TLS 1.3 and negotiates an older version
        // says so in the last 8 bytes of its random.
        if p.tls13(false) {
            crate::wire::tls13::set_downgrade_sentinel(&mut server_random, version.wire());
        }
        let hello_ems = ch.offers_ems();

        // Resumption: a ticket first (RFC 5077), else the session-ID cache.
        let ticket = ch
            .session_ticket()
            .filter(|t| !t.is_empty() && p.server_tickets);
        let candidate = match ticket {
            Some(t) => env.open_ticket(t, c.now, p.ticket_lifetime_secs),
            None if !ch.session_id.0.is_empty() && p.server_cache_size > 0 => {
                env.cache_lookup(&ch.session_id.0, c.now, p.server_cache_secs)
            }
            None => None,
        }
        .filter(|s| ch.suites.contains(&s.suite) && s.version == version.wire().to_u16());
        if let Some(s) = candidate {
            c.report.truth.original_session_ems = Some(s.ems);
            match Self::ems_decision(&p, s.ems, hello_ems) {
                ResumeDecision::Resume => {
                    return self.resume_session(c, ch, s, version, server_random)
                }
                ResumeDecision::Abort => {
                    return Err(LocalError::EmsResumeMismatch {
                        original_ems: s.ems,
                        hello_ems,
                    })
                }
                ResumeDecision::Full => c.report.kind = HandshakeKind::ResumeRefused,
            }
        } else if ticket.is_some() || !ch.session_id.0.is_empty() {
            c.report.kind = HandshakeKind::ResumeRefused;
        }

        // Full handshake: choose a suite.
        let info = Self::choose_suite(c, &ch, version).ok_or(LocalError::NoSharedCipher)?;
        c.set_negotiated(version.wire(), info);
        let ems = p.negotiates_ems(hello_ems);
        let ticket_acked = ch.session_ticket().is_some() && p.server_tickets;
        let session_id = if p.server_cache_size > 0 {
            let mut id = vec![0u8; 32];
            c.rng.fill_bytes(&mut id);
            id
        } else {
            Vec::new()
        };
        let neg = Negotiated {
            version: version.wire(),
            suite: info,
            client_random: ch.random,
            server_random,
            session_id,
            ems,
            resumed: false,
            ticket_acked,
        };
        let mut ext = renegotiation_info(&ch);
        if ems {
            ext.push(ServerExtension::ExtendedMasterSecret);
        }
        if ticket_acked {
            ext.push(ServerExtension::SessionTicket);
        }
        // RFC 8422 §5.2 (and RFC 5246 §7.4.1.4: a server sends only extensions the client
        // offered): ec_point_formats answers the client's, it is never volunteered.
        if info.is_ecdhe() && ch.has_ext(ExtensionType::EcPointFormats) {
            ext.push(ServerExtension::EcPointFormats(vec![0]));
        }
        c.queue(HandshakePayload::ServerHello(ServerHello {
            version: neg.version,
            random: server_random,
            session_id: SessionId(neg.session_id.clone()),
            suite: info.suite,
            compression: CompressionMethod::Null,
            extensions: ext,
        }));
        let chain = c.crypto.server_chain(&p);
        c.queue(HandshakePayload::Certificate(chain));
        self.send_server_kx(c, &neg, &ch, env)?;
        if p.request_client_cert {
            self.cert_requested = true;
            c.queue(HandshakePayload::CertificateRequest(Self::cert_request(
                c,
                neg.tls12(),
            )));
        }
        c.queue(HandshakePayload::ServerHelloDone);
        c.flush_flight();
        let step = if self.cert_requested {
            ServerStep::ClientCert
        } else {
            ServerStep::ClientKx
        };
        Ok(ServerState::Negotiated(neg, step))
    }

    fn cert_request(c: &Common, tls12: bool) -> CertificateRequest {
        let p = &c.profile;
        let authorities = if p.send_trusted_issuer_list {
            let n = p.trusted_issuer_bytes.div_ceil(100);
            (0..n).map(|i| model_cert(100, i, "ca")).collect()
        } else {
            Vec::new()
        };
        CertificateRequest {
            cert_types: vec![ClientCertificateType::RsaSign],
            sig_algs: c.crypto.cert_request_sig_algs(tls12),
            authorities,
        }
    }

    /// The suite of a full handshake: the first shared one, in the client's or the server's
    /// order, that this server can run (M8: none is `NoSharedCipher`).
    fn choose_suite(
        c: &Common,
        ch: &ClientHello,
        version: TlsVersion,
    ) -> Option<&'static SuiteInfo> {
        let p = &c.profile;
        let shared_curve = Self::shared_curve(p, ch).is_some();
        let dh_ok = p
            .server_dh_group()
            .map(|g| g.bits() >= p.server_min_dh_bits)
            .unwrap_or(false);
        let usable = |s: &CipherSuite| -> Option<&'static SuiteInfo> {
            let i = suite_info(*s)?;
            if i.tls12_only && version != TlsVersion::Tls12 {
                return None;
            }
            if i.is_ecdhe() && !shared_curve {
                return None;
            }
            if i.is_dhe() && !dh_ok {
                return None;
            }
            if !c.crypto.suite_ok(i) {
                return None;
            }
            Some(i)
        };
        if p.server_honors_client_order {
            ch.suites
                .iter()
                .filter(|s| p.server_suites.contains(s))
                .find_map(usable)
        } else {
            p.server_suites
                .iter()
                .filter(|s| ch.suites.contains(s))
                .find_map(usable)
        }
    }

    fn shared_curve(p: &Profile, ch: &ClientHello) -> Option<crate::crypto::Curve> {
        let curves = &p.curves;
        match ch.groups() {
            // RFC 4492 §4: without the extension the server may use any curve.
            None => curves.first().copied(),
            Some(offered) => curves
                .iter()
                .copied()
                .find(|c| offered.contains(&curve_group(*c))),
        }
    }

    /// ServerKeyExchange for a (EC)DHE suite: the server's ephemeral key pair (reused within
    /// `ephemeral_key_reuse_secs`), its public value as the profile encodes it, signed.
    fn send_server_kx(
        &mut self,
        c: &mut Common,
        neg: &Negotiated,
        ch: &ClientHello,
        env: &mut PeerState,
    ) -> Result<(), LocalError> {
        let p = c.profile.clone();
        let info = neg.suite;
        let scheme = c.crypto.server_kx_scheme(neg.tls12(), ch.sig_algs())?;
        let unsigned = || DigitallySigned {
            scheme,
            signature: Vec::new(),
        };
        let ske = if info.is_dhe() {
            let group = p
                .server_dh_group()
                .map_err(|w| LocalError::IllegalParameter { what: w })?;
            let pair = env.dh_key_pair(
                &group,
                p.dh_exponent_bits,
                p.ephemeral_key_reuse_secs,
                c.now,
                &mut c.rng,
            );
            let ys = encode_public(&pair.public, &group, p.public_encoding(false));
            c.report.truth.sent_public_len = Some(ys.len());
            let params = ServerDhParams {
                p: group.p.to_bytes_be(),
                g: group.g.to_bytes_be(),
                ys,
            };
            self.kx = ServerKx::Dh { group, pair };
            ServerKeyExchangePayload::Dhe {
                params,
                sig: unsigned(),
            }
        } else if info.is_ecdhe() {
            let curve = Self::shared_curve(&p, ch).ok_or(LocalError::NoSharedCipher)?;
            let pair = env.ec_key_pair(curve, p.ephemeral_key_reuse_secs, c.now, &mut c.rng);
            let params = ServerEcdhParams {
                curve_type: 3,
                group: curve_group(curve),
                point: pair.public.clone(),
            };
            self.kx = ServerKx::Ec { pair };
            ServerKeyExchangePayload::Ecdhe {
                params,
                sig: unsigned(),
            }
        } else {
            return Ok(());
        };
        let params = ske.params_bytes();
        let signed = KxSigned {
            client_random: &neg.client_random,
            server_random: &neg.server_random,
            params: &params,
        };
        // A real RSA signature with the server's key in bridge mode, the modelled one
        // otherwise.
        let signature = c.crypto.sign_server_kx(scheme, &signed, &mut c.rng)?;
        let sig = DigitallySigned { scheme, signature };
        let ske = match ske {
            ServerKeyExchangePayload::Dhe { params, .. } => {
                ServerKeyExchangePayload::Dhe { params, sig }
            }
            ServerKeyExchangePayload::Ecdhe { params, .. } => {
                ServerKeyExchangePayload::Ecdhe { params, sig }
            }
        };
        let mut body = Vec::new();
        ske.encode(&mut body);
        c.queue(HandshakePayload::ServerKeyExchange(body));
        Ok(())
    }

    /// An abbreviated handshake from a cached or ticketed session: ServerHello echoing the
    /// client's session ID, then ChangeCipherSpec and Finished (M5: some servers also send
    /// CertificateRequest, which does not belong here).
    fn resume_session(
        &mut self,
        c: &mut Common,
        ch: ClientHello,
        s: Session,
        version: TlsVersion,
        server_random: Random,
    ) -> Result<ServerState, LocalError> {
        let p = c.profile.clone();
        let info = suite_info(s.suite).ok_or(LocalError::NoSharedCipher)?;
        c.set_negotiated(version.wire(), info);
        c.report.kind = HandshakeKind::Resumed;
        let hello_ems = ch.offers_ems();
        let mut ext = renegotiation_info(&ch);
        // Echo the client's session ID to signal resumption (RFC 5246 §7.4.1.3, RFC 5077 §3.4).
        let neg = Negotiated {
            version: version.wire(),
            suite: info,
            client_random: ch.random,
            server_random,
            session_id: ch.session_id.0,
            ems: s.ems,
            resumed: true,
            ticket_acked: false,
        };
        if p.negotiates_ems(hello_ems) {
            ext.push(ServerExtension::ExtendedMasterSecret);
        }
        c.queue(HandshakePayload::ServerHello(ServerHello {
            version: neg.version,
            random: server_random,
            session_id: SessionId(neg.session_id.clone()),
            suite: s.suite,
            compression: CompressionMethod::Null,
            extensions: ext,
        }));
        if p.cert_request_on_resume {
            // Not RFC 2246/5246 compliant (KB4528489 item 2): an abbreviated handshake has
            // no CertificateRequest.
            c.report.truth.sent_cert_request_on_resume = true;
            c.queue(HandshakePayload::CertificateRequest(Self::cert_request(
                c,
                neg.tls12(),
            )));
        }
        let master: Master = s
            .master
            .as_slice()
            .try_into()
            .map_err(|_| LocalError::Decode {
                what: "cached master".into(),
            })?;
        c.set_master(&neg, master)?;
        c.send_finished(&neg, &master);
        Ok(ServerState::Negotiated(neg, ServerStep::Ccs(master)))
    }

    /// ClientKeyExchange: the pre-master secret from the client's public value (or its RSA
    /// block), then the master secret.
    fn on_client_kx(
        &mut self,
        c: &mut Common,
        neg: &Negotiated,
        body: &[u8],
    ) -> Result<ServerStep, LocalError> {
        let cke = ClientKeyExchangePayload::read_as(neg.suite.kx, body).map_err(|e| {
            LocalError::Decode {
                what: format!("ClientKeyExchange: {e}"),
            }
        })?;
        let pms = match (cke, std::mem::replace(&mut self.kx, ServerKx::None)) {
            (ClientKeyExchangePayload::Dh(yc), ServerKx::Dh { group, pair }) => {
                let y = c.check_peer_public(&yc, &group)?;
                let z = group
                    .shared_secret(&pair.private, &y)
                    .map_err(|_| LocalError::BadPeerPublic)?;
                c.record_z(&z, &group);
                c.dh_premaster_for(neg, &z, &group)
            }
            (ClientKeyExchangePayload::Ecdh(point), ServerKx::Ec { pair }) => pair
                .shared_secret(&point)
                .map_err(|_| LocalError::BadPeerPublic)?,
            (ClientKeyExchangePayload::Rsa(block), ServerKx::None) => {
                // Bridge mode: real PKCS#1 v1.5 decryption with the RFC 5246 §7.4.7.1
                // countermeasure (never an error here).
                c.crypto
                    .decrypt_premaster(&block, self.client_version, &mut c.rng)?
            }
            _ => {
                return Err(LocalError::Decode {
                    what: "ClientKeyExchange for another key exchange".into(),
                })
            }
        };
        let master = c.derive_master(neg, &pms)?;
        Ok(if self.client_cert_sent {
            ServerStep::CertVerify(master)
        } else {
            ServerStep::Ccs(master)
        })
    }
}

/// The ServerHello's first extensions: an empty renegotiation_info when the client signalled
/// secure renegotiation (RFC 5746 §3.6), else none.
fn renegotiation_info(ch: &ClientHello) -> Vec<ServerExtension> {
    match ch.signals_secure_renegotiation() {
        true => vec![ServerExtension::RenegotiationInfo(Vec::new())],
        false => Vec::new(),
    }
}

#[cfg(test)]
mod sslv2_tests {
    use super::*;
    use crate::seed::rng_for;

    /// A hand-built SSL 2.0 CLIENT-HELLO (RFC 5246 Appendix E.2): version 3.3, specs
    /// TLS_RSA_WITH_AES_128_CBC_SHA and an SSL 2.0-only one, a 32-byte challenge.
    fn v2_hello() -> Vec<u8> {
        let mut body = vec![1, 3, 3, 0, 6, 0, 0, 0, 32];
        body.extend([0, 0, 0x2f, 7, 0, 0xc0]);
        body.extend(1..=32u8);
        let mut v = vec![0x80, u8::try_from(body.len()).unwrap()];
        v.extend(body);
        v
    }

    fn server(accept: bool) -> (Connection, PeerState) {
        let mut p = crate::profile::load("rfc-strict").unwrap();
        p.accept_sslv2_hello = accept;
        p.server_suites.push(CipherSuite(0x002f));
        let s = Connection::server(Arc::new(p), rng_for(5, &[1]), 0);
        (s, PeerState::new(&mut rng_for(5, &[2])))
    }

    /// Accepted per profile: the server answers with a TLS 1.2 ServerHello for the only TLS
    /// suite in the specs (the hello arriving in two pieces); refused by default: the first
    /// byte is no content type, unexpected_message.
    #[test]
    fn sslv2_hello_accepted_or_refused_per_profile() {
        let h = v2_hello();
        let (mut s, mut env) = server(true);
        s.handle_input(1, &h[..7], &mut env);
        assert!(s.poll_transmit().is_none());
        s.handle_input(1, &h[7..], &mut env);
        let t = s.poll_transmit().expect("server flight");
        assert_eq!(&t.bytes[..3], &[22, 3, 3]);
        assert_eq!(t.bytes[5], 2, "ServerHello");
        assert!(t.summary.starts_with("ServerHello"), "{}", t.summary);
        assert_eq!(
            s.report().suite.as_deref(),
            Some("TLS_RSA_WITH_AES_128_CBC_SHA")
        );
        assert!(s.report().error.is_none());
        // The transcript holds the hello from msg_type on.
        assert_eq!(&s.common.transcript.bytes[..h.len() - 2], &h[2..]);

        let (mut s, mut env) = server(false);
        s.handle_input(1, &h, &mut env);
        assert!(s.is_closed());
        assert_eq!(
            s.report().alert_sent,
            Some(AlertDescription::UnexpectedMessage)
        );
        // A malformed one (challenge too short) with the knob on: decode_error.
        let mut bad = h.clone();
        bad[10] = 8;
        let (mut s, mut env) = server(true);
        s.handle_input(1, &bad, &mut env);
        assert_eq!(s.report().alert_sent, Some(AlertDescription::DecodeError));
    }
}
