//! The client half of the handshake state machine.

use super::crypto::KxSigned;
use super::*;
use crate::crypto::{encode_public, DhKeyPair};
use crate::profile::{EmsResumption, TlsVersion};
use rand_core::RngCore;
use rsa::RsaPublicKey;

/// The client's handshake: what it offered, the session it tried to resume, and what the
/// server's flight has told it so far.
pub(in crate::engine) struct ClientHs {
    state: ClientState,
    /// Identity of the server, the key of the client's session store.
    server_id: String,
    /// The ClientHello it sent.
    offered: ClientHello,
    /// Held a session for this server at the start (offered or not).
    had_session: bool,
    /// The session it offered for resumption, kept only if the server resumes it.
    resume: Option<Session>,
    /// Bridge mode: the RSA key of the server's certificate (None in the simulated mode,
    /// which checks modelled signatures).
    server_key: Option<RsaPublicKey>,
    /// The key exchange, settled at ServerKeyExchange (RSA key transport: at
    /// ServerHelloDone).
    kx: ClientKx,
    /// The server sent CertificateRequest: its signature algorithms (None before TLS 1.2).
    cert_requested: Option<Option<Vec<SignatureScheme>>>,
    /// The ticket of a NewSessionTicket, stored with the session at the end.
    new_ticket: Option<Vec<u8>>,
    /// The profile enables TLS 1.3: the TLS 1.3 client holding the key shares of the
    /// hello, until a ServerHello selecting TLS 1.3 takes it (`tls13::switch`).
    tls13: Option<Box<crate::tls13::Client13<ChaCha20Rng>>>,
    /// TLS 1.3 was offered in this hello (the downgrade sentinel is checked).
    offered_tls13: bool,
}

/// Where the client's handshake is.
enum ClientState {
    /// ClientHello sent.
    ExpectServerHello,
    /// ServerHello accepted: what it settled (fixed from here on) and the next message.
    Negotiated(Negotiated, ClientStep),
}

/// The messages a client expects after ServerHello, in order; the steps after the key
/// schedule carry the master secret.
#[derive(Clone, Copy)]
enum ClientStep {
    Certificate,
    ServerKx,
    CertReqOrDone,
    ServerDone,
    Ccs(Master),
    Finished(Master),
}

/// The client's side of the key exchange, computed at ServerKeyExchange and sent at
/// ServerHelloDone.
enum ClientKx {
    /// RSA key transport (no ServerKeyExchange): the pre-master secret is made at
    /// ServerHelloDone.
    None,
    /// Finite-field DHE: the client's key pair and the shared secret Z.
    Dh {
        group: DhGroup,
        pair: DhKeyPair,
        z: BigUint,
    },
    /// ECDHE: the client's public point and the shared secret (the pre-master secret).
    Ec { public: Vec<u8>, shared: Vec<u8> },
}

impl ClientHs {
    /// Build and queue the ClientHello, offering a stored session for `server_id` if the
    /// profile resumes and the RFC 7627 policy allows it.
    pub(super) fn start(c: &mut Common, server_id: &str, env: &mut PeerState) -> ClientHs {
        let p = c.profile.clone();
        c.rng.fill_bytes(&mut c.client_random);
        let max_version = p.max_legacy_client_version().unwrap_or(TlsVersion::Tls12);
        let can_tls12 = max_version == TlsVersion::Tls12;

        // Resumption: a live session for this server, offered unless the RFC 7627 policy
        // says a client SHOULD NOT offer a non-EMS session (§5.3).
        let mut session_id = Vec::new();
        let mut ticket: Option<Vec<u8>> = None;
        let mut had_session = false;
        let mut resume = None;
        if p.client_resumes && p.client_cache_secs > 0 {
            if let Some(s) = env.client_lookup(server_id, c.now, p.client_cache_secs) {
                had_session = true;
                let refuse = !s.ems
                    && matches!(
                        p.ems_resumption,
                        EmsResumption::Strict | EmsResumption::Oct2019
                    );
                if !refuse {
                    match (&s.ticket, p.client_tickets) {
                        (Some(t), true) => {
                            // RFC 5077 §3.4: a fresh session ID lets the client see acceptance.
                            let mut id = vec![0u8; 32];
                            c.rng.fill_bytes(&mut id);
                            session_id = id;
                            ticket = Some(t.clone());
                        }
                        _ if !s.id.is_empty() => session_id = s.id.clone(),
                        _ => {}
                    }
                    if !session_id.is_empty() {
                        c.report.truth.original_session_ems = Some(s.ems);
                        resume = Some(s);
                    }
                }
            }
        }
        if had_session && resume.is_none() {
            c.report.kind = HandshakeKind::ResumeRefused;
        }

        let suites: Vec<CipherSuite> = p
            .client_suites
            .iter()
            .copied()
            .filter(|s| can_tls12 || !suite_info(*s).is_some_and(|i| i.tls12_only))
            .collect();
        let any_ecc = suites
            .iter()
            .any(|s| suite_info(*s).is_some_and(|i| i.is_ecdhe()));
        let mut ext = Vec::new();
        if let Some(sni) = &p.server_name {
            ext.push(ClientExtension::ServerName(sni.as_bytes().to_vec()));
        }
        if any_ecc && !p.curves.is_empty() {
            ext.push(ClientExtension::SupportedGroups(
                p.curves.iter().map(|c| curve_group(*c)).collect(),
            ));
            ext.push(ClientExtension::EcPointFormats(vec![0]));
        }
        if can_tls12 {
            ext.push(ClientExtension::SignatureAlgorithms(vec![
                SignatureScheme::RsaPkcs1Sha256,
                SignatureScheme::RsaPkcs1Sha384,
                SignatureScheme::RsaPkcs1Sha1,
            ]));
        }
        if p.client_tickets {
            ext.push(ClientExtension::SessionTicket(ticket.unwrap_or_default()));
        }
        if p.ems_offer {
            ext.push(ClientExtension::ExtendedMasterSecret);
        }
        ext.push(ClientExtension::RenegotiationInfo(Vec::new()));
        let mut ch = ClientHello {
            version: max_version.wire(),
            random: c.client_random,
            session_id: SessionId(session_id),
            suites,
            compression: vec![CompressionMethod::Null],
            extensions: ext,
        };
        // TLS 1.3 in the same hello (RFC 8446 §4.1.2), as real stacks offer it.
        let mut tls13 = None;
        let mut failed = None;
        if p.tls13(true) {
            // A TLS 1.3 ticket from this server, offered as a PSK (RFC 8446 §4.2.11).
            let ticket = (p.client_resumes && p.client_cache_secs > 0)
                .then(|| env.take_ticket13(server_id, c.now, p.client_cache_secs))
                .flatten();
            match super::tls13::offer(c, &mut ch, ticket) {
                Ok(m) => tls13 = Some(m),
                Err(e) => failed = Some(e),
            }
        }
        if let Some(m) = tls13.as_mut() {
            let bytes = HandshakeMessage {
                payload: HandshakePayload::ClientHello(ch.clone()),
            }
            .to_bytes();
            match m.replace_hello(&bytes) {
                // The PSK binder over this hello: the last bytes of its last extension,
                // pre_shared_key.
                Ok(Some(binder)) => {
                    if let Some(ClientExtension::Unknown { data, .. }) = ch.extensions.last_mut() {
                        let at = data.len().saturating_sub(binder.len());
                        data[at..].copy_from_slice(&binder);
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    failed = Some(LocalError::Tls13 {
                        alert: e.alert.to_u8(),
                        reason: e.reason,
                    })
                }
            }
        }
        c.queue(HandshakePayload::ClientHello(ch.clone()));
        match failed {
            Some(e) => c.fail(e),
            None => c.flush_flight(),
        }
        ClientHs {
            offered_tls13: tls13.is_some(),
            tls13,
            state: ClientState::ExpectServerHello,
            server_id: server_id.to_string(),
            offered: ch,
            had_session,
            resume,
            server_key: None,
            kx: ClientKx::None,
            cert_requested: None,
            new_ticket: None,
        }
    }

    /// The hello offered TLS 1.3 and no ServerHello has taken the TLS 1.3 client yet.
    pub(super) fn server_id(&self) -> &str {
        &self.server_id
    }

    pub(super) fn offers_tls13(&self) -> bool {
        self.tls13.is_some() && matches!(self.state, ClientState::ExpectServerHello)
    }

    /// The TLS 1.3 client waiting for the ServerHello, if this hello offers TLS 1.3.
    pub(super) fn tls13_mut(&mut self) -> Option<&mut crate::tls13::Client13<ChaCha20Rng>> {
        self.tls13.as_deref_mut()
    }

    /// The TLS 1.3 client, for a ServerHello that selected TLS 1.3.
    pub(super) fn take_tls13(&mut self) -> Option<Box<crate::tls13::Client13<ChaCha20Rng>>> {
        self.tls13.take()
    }

    /// Whether the handshake resumes a session (false until ServerHello says so).
    pub(super) fn resumed(&self) -> bool {
        matches!(&self.state, ClientState::Negotiated(neg, _) if neg.resumed)
    }

    /// The message the client waits for.
    pub(super) fn expected(&self) -> MessageKind {
        use HandshakeType as H;
        let hs = MessageKind::Handshake;
        match &self.state {
            ClientState::ExpectServerHello => hs(H::ServerHello),
            ClientState::Negotiated(_, step) => match step {
                ClientStep::Certificate => hs(H::Certificate),
                ClientStep::ServerKx => hs(H::ServerKeyExchange),
                ClientStep::CertReqOrDone | ClientStep::ServerDone => hs(H::ServerHelloDone),
                ClientStep::Ccs(_) => MessageKind::CHANGE_CIPHER_SPEC,
                ClientStep::Finished(_) => hs(H::Finished),
            },
        }
    }

    /// A ChangeCipherSpec arrived: true (and Finished is next) if it was expected.
    pub(super) fn ccs_received(&mut self) -> bool {
        match &mut self.state {
            ClientState::Negotiated(_, step) => match *step {
                ClientStep::Ccs(master) => {
                    *step = ClientStep::Finished(master);
                    true
                }
                _ => false,
            },
            ClientState::ExpectServerHello => false,
        }
    }

    /// One handshake message from the server (`raw`: its bytes, header included).
    pub(super) fn handle(
        &mut self,
        c: &mut Common,
        msg: HandshakeMessage,
        raw: &[u8],
        env: &mut PeerState,
    ) -> Result<(), LocalError> {
        // The state is moved out for the handlers to read `neg` beside `&mut self`, and put
        // back on every path: what the hellos settled stays, only the step moves on.
        match std::mem::replace(&mut self.state, ClientState::ExpectServerHello) {
            ClientState::ExpectServerHello => match msg.payload {
                HandshakePayload::ServerHello(sh) => {
                    self.state = self.on_server_hello(c, sh)?;
                    Ok(())
                }
                other => Err(c.unexpected(&other, false)),
            },
            ClientState::Negotiated(neg, step) => {
                let next = self.after_hello(c, &neg, step, msg, raw, env);
                let step = next.as_ref().map_or(step, |s| *s);
                self.state = ClientState::Negotiated(neg, step);
                next.map(drop)
            }
        }
    }

    /// A message after ServerHello, at `step`: the next step.
    fn after_hello(
        &mut self,
        c: &mut Common,
        neg: &Negotiated,
        step: ClientStep,
        msg: HandshakeMessage,
        raw: &[u8],
        env: &mut PeerState,
    ) -> Result<ClientStep, LocalError> {
        Ok(match (step, msg.payload) {
            (ClientStep::Certificate, HandshakePayload::Certificate(chain)) => {
                let Some(leaf) = chain.first() else {
                    return Err(LocalError::Decode {
                        what: "empty server Certificate".into(),
                    });
                };
                self.server_key = c.crypto.peer_key(leaf)?;
                match neg.suite.kx {
                    KeyExchange::Rsa => ClientStep::CertReqOrDone,
                    _ => ClientStep::ServerKx,
                }
            }
            (ClientStep::ServerKx, HandshakePayload::ServerKeyExchange(body)) => {
                self.on_server_kx(c, neg, &body, env)?;
                ClientStep::CertReqOrDone
            }
            (ClientStep::CertReqOrDone, HandshakePayload::CertificateRequest(cr)) => {
                self.cert_requested = Some(cr.sig_algs);
                ClientStep::ServerDone
            }
            (
                ClientStep::CertReqOrDone | ClientStep::ServerDone,
                HandshakePayload::ServerHelloDone,
            ) => self.send_client_flight(c, neg)?,
            (ClientStep::Ccs(_), HandshakePayload::NewSessionTicket(t)) if neg.ticket_acked => {
                self.new_ticket = Some(t.ticket);
                step
            }
            (ClientStep::Finished(master), HandshakePayload::Finished(vd)) => {
                c.check_finished(neg, &master, &vd, raw)?;
                if neg.resumed {
                    c.send_finished(neg, &master);
                }
                c.complete();
                self.store_session(c, neg, &master, env);
                step
            }
            (_, other) => return Err(c.unexpected(&other, neg.resumed)),
        })
    }

    /// ServerHello: check it against what was offered and settle the [`Negotiated`]
    /// parameters; a resumption installs the stored master secret at once.
    fn on_server_hello(
        &mut self,
        c: &mut Common,
        sh: ServerHello,
    ) -> Result<ClientState, LocalError> {
        let p = c.profile.clone();
        let offered = &self.offered;
        let Some(version) =
            TlsVersion::from_wire(sh.version).filter(|v| p.client_versions.contains(v))
        else {
            return Err(LocalError::NoSharedVersion {
                offered: offered.version.name().to_string(),
            });
        };
        if sh.version > offered.version {
            return Err(LocalError::NoSharedVersion {
                offered: offered.version.name().to_string(),
            });
        }
        // RFC 8446 §4.1.3: a TLS 1.3 client that negotiated an older version "MUST check"
        // the last 8 bytes of ServerHello.random and abort with illegal_parameter on the
        // sentinel of a TLS 1.3 server.
        if self.offered_tls13
            && p.tls13_downgrade_check
            && crate::wire::tls13::downgrade_sentinel(&sh.random).is_some()
        {
            return Err(LocalError::DowngradeSentinel {
                version: sh.version.name().to_string(),
            });
        }
        let Some(info) = suite_info(sh.suite).filter(|_| offered.suites.contains(&sh.suite)) else {
            return Err(LocalError::IllegalParameter {
                what: format!("suite {} not offered", sh.suite.name()),
            });
        };
        if !c.crypto.suite_ok(info) {
            return Err(LocalError::IllegalParameter {
                what: format!(
                    "suite {} is not supported in bridge mode (only RSA and (EC)DHE_RSA with AES-GCM or AES-CBC)",
                    info.iana
                ),
            });
        }
        if info.tls12_only && version != TlsVersion::Tls12 {
            return Err(LocalError::IllegalParameter {
                what: "TLS 1.2 suite in an older version".into(),
            });
        }
        if sh.compression != CompressionMethod::Null {
            return Err(LocalError::IllegalParameter {
                what: "compression".into(),
            });
        }
        // RFC 5246 §7.4.1.4: "If a client receives an extension type in ServerHello that it
        // did not request in the associated ClientHello, it MUST abort the handshake with an
        // unsupported_extension fatal alert." (This client always sends renegotiation_info,
        // never only the SCSV, so no exception is needed for it.)
        if let Some(e) = sh.extensions.iter().find(|e| {
            let t = e.ext_type();
            !offered.extensions.iter().any(|o| o.ext_type() == t)
        }) {
            return Err(LocalError::UnsupportedExtension {
                what: e.ext_type().to_string(),
            });
        }
        let sh_ems = sh.offers_ems();
        let ticket_acked = sh.has_ext(ExtensionType::SessionTicket);
        c.set_negotiated(version.wire(), info);
        let offered_id = &offered.session_id.0;
        let resumed = !offered_id.is_empty() && sh.session_id.0 == *offered_id;
        let mut neg = Negotiated {
            version: version.wire(),
            suite: info,
            client_random: c.client_random,
            server_random: sh.random,
            session_id: sh.session_id.0,
            ems: sh_ems,
            resumed: false,
            ticket_acked,
        };
        if let (true, Some(s)) = (resumed, self.resume.as_ref()) {
            if s.suite != sh.suite || s.version != sh.version.to_u16() {
                return Err(LocalError::IllegalParameter {
                    what: "resumed session with another suite or version".into(),
                });
            }
            // RFC 7627 §5.3: the client MUST abort when the ServerHello's EMS status
            // differs from the original session's.
            if sh_ems != s.ems && p.ems_resumption != EmsResumption::Legacy {
                return Err(LocalError::EmsResumeMismatch {
                    original_ems: s.ems,
                    hello_ems: sh_ems,
                });
            }
            neg.resumed = true;
            neg.ems = s.ems;
            c.report.kind = HandshakeKind::Resumed;
            let master: Master =
                s.master
                    .as_slice()
                    .try_into()
                    .map_err(|_| LocalError::Decode {
                        what: "stored master".into(),
                    })?;
            c.set_master(&neg, master)?;
            return Ok(ClientState::Negotiated(neg, ClientStep::Ccs(master)));
        }
        if self.resume.is_some() || self.had_session {
            c.report.kind = HandshakeKind::ResumeRefused;
        }
        self.resume = None;
        Ok(ClientState::Negotiated(neg, ClientStep::Certificate))
    }

    /// ServerKeyExchange: check the parameters and the signature, make this side's key pair
    /// and compute the shared secret.
    fn on_server_kx(
        &mut self,
        c: &mut Common,
        neg: &Negotiated,
        body: &[u8],
        env: &mut PeerState,
    ) -> Result<(), LocalError> {
        let p = c.profile.clone();
        let ske =
            ServerKeyExchangePayload::read_as(neg.suite.kx, neg.tls12(), body).map_err(|e| {
                LocalError::Decode {
                    what: format!("ServerKeyExchange: {e}"),
                }
            })?;
        let params = ske.params_bytes();
        let signed = KxSigned {
            client_random: &neg.client_random,
            server_random: &neg.server_random,
            params: &params,
        };
        // A real RSA signature checked with the certificate's key in bridge mode, the
        // modelled one otherwise.
        let sig_ok = c
            .crypto
            .verify_server_kx(self.server_key.as_ref(), ske.sig(), &signed);
        match ske {
            ServerKeyExchangePayload::Dhe { params, .. } => {
                let prime = crate::crypto::decode_public(&params.p);
                let g = crate::crypto::decode_public(&params.g);
                let group = DhGroup::custom(prime, g);
                group.validate().map_err(|_| LocalError::IllegalParameter {
                    what: "DH group".into(),
                })?;
                // MS15-055: Schannel clients refuse groups below ClientMinKeyBitLength.
                if group.bits() < p.client_min_dh_bits {
                    return Err(LocalError::DhGroupTooSmall {
                        bits: group.bits(),
                        min: p.client_min_dh_bits,
                    });
                }
                let ys = c.check_peer_public(&params.ys, &group)?;
                if !sig_ok {
                    return Err(LocalError::BadSignature);
                }
                let pair = env.dh_key_pair(&group, p.dh_exponent_bits, 0, c.now, &mut c.rng);
                let z = group
                    .shared_secret(&pair.private, &ys)
                    .map_err(|_| LocalError::BadPeerPublic)?;
                c.record_z(&z, &group);
                self.kx = ClientKx::Dh { group, pair, z };
            }
            ServerKeyExchangePayload::Ecdhe { params, .. } => {
                let groups = self.offered.groups().unwrap_or_default();
                let Some(curve) =
                    group_curve(params.group).filter(|_| groups.contains(&params.group))
                else {
                    return Err(LocalError::IllegalParameter {
                        what: format!("curve {:?} not offered", params.group),
                    });
                };
                if !sig_ok {
                    return Err(LocalError::BadSignature);
                }
                let pair = env.ec_key_pair(curve, 0, c.now, &mut c.rng);
                let shared = pair
                    .shared_secret(&params.point)
                    .map_err(|_| LocalError::BadPeerPublic)?;
                self.kx = ClientKx::Ec {
                    public: pair.public.clone(),
                    shared,
                };
            }
        }
        Ok(())
    }

    /// ServerHelloDone: the client's flight (its certificate if asked, ClientKeyExchange,
    /// CertificateVerify, ChangeCipherSpec, Finished), with the key schedule in between.
    fn send_client_flight(
        &mut self,
        c: &mut Common,
        neg: &Negotiated,
    ) -> Result<ClientStep, LocalError> {
        let p = c.profile.clone();
        // Asked for a certificate: the chain this client holds, or an empty Certificate
        // (RFC 5246 §7.4.6) and then no CertificateVerify.
        let mut signs = false;
        if self.cert_requested.is_some() {
            let chain = c.crypto.client_chain(&p);
            signs = !chain.is_empty();
            c.queue(HandshakePayload::Certificate(chain));
        }
        let (cke, pms) = match (
            std::mem::replace(&mut self.kx, ClientKx::None),
            neg.suite.kx,
        ) {
            (ClientKx::Dh { group, pair, z }, _) => {
                let yc = encode_public(&pair.public, &group, p.public_encoding(true));
                c.report.truth.sent_public_len = Some(yc.len());
                let pms = c.dh_premaster_for(neg, &z, &group);
                (ClientKeyExchangePayload::Dh(yc), pms)
            }
            (ClientKx::Ec { public, shared }, _) => {
                (ClientKeyExchangePayload::Ecdh(public), shared)
            }
            (ClientKx::None, KeyExchange::Rsa) => {
                // RFC 5246 §7.4.7.1: client_version || 46 random bytes, RSA-encrypted to the
                // server (PKCS#1 v1.5 in bridge mode; the layout, unencrypted, when modelled).
                let mut pms = self.offered.version.to_u16().to_be_bytes().to_vec();
                let mut rnd = [0u8; 46];
                c.rng.fill_bytes(&mut rnd);
                pms.extend_from_slice(&rnd);
                let block =
                    c.crypto
                        .encrypt_premaster(self.server_key.as_ref(), &pms, &mut c.rng)?;
                (ClientKeyExchangePayload::Rsa(block), pms)
            }
            (ClientKx::None, _) => {
                return Err(LocalError::UnexpectedMessage {
                    got: MessageKind::Handshake(HandshakeType::ServerHelloDone),
                    resumed: false,
                })
            }
        };
        let mut body = Vec::new();
        cke.encode(&mut body);
        c.queue(HandshakePayload::ClientKeyExchange(body));
        let master = c.derive_master(neg, &pms)?;
        if signs {
            // RFC 5246 §7.4.8: a signature over every handshake message so far.
            let hash = c.transcript_hash(neg);
            let offered = self.cert_requested.as_ref().and_then(|o| o.as_deref());
            let cv = c.crypto.sign_client_cv(
                neg.tls12(),
                offered,
                &c.transcript.bytes,
                &hash,
                &mut c.rng,
            )?;
            c.queue(HandshakePayload::CertificateVerify(cv));
        }
        c.send_finished(neg, &master);
        Ok(ClientStep::Ccs(master))
    }

    /// The handshake completed: store the session (or the resumed one with its new ticket)
    /// for the next connection to this server.
    fn store_session(
        &mut self,
        c: &Common,
        neg: &Negotiated,
        master: &Master,
        env: &mut PeerState,
    ) {
        let p = &c.profile;
        if !p.client_resumes || p.client_cache_secs == 0 {
            return;
        }
        let session = match (&self.resume, self.new_ticket.take()) {
            (Some(s), None) => s.clone(),
            (resumed, ticket) => {
                let ticket = ticket.or_else(|| resumed.as_ref().and_then(|s| s.ticket.clone()));
                let created = resumed.as_ref().map(|s| s.created).unwrap_or(c.now);
                neg.session(master, ticket, created)
            }
        };
        if session.ticket.is_some() || !session.id.is_empty() {
            env.client_store(&self.server_id, session);
        }
    }
}
