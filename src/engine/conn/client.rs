//! The client half of the handshake state machine.

use super::*;
use crate::profile::{EmsResumption, TlsVersion};

impl Connection {
    pub(super) fn start_client(&mut self, env: &mut PeerState) {
        let p = self.profile.clone();
        self.rng.fill_bytes(&mut self.client_random);
        let max_version = p
            .client_versions
            .iter()
            .copied()
            .max()
            .unwrap_or(TlsVersion::Tls12);
        let can_tls12 = max_version == TlsVersion::Tls12;

        // Resumption: a live session for this server, offered unless the RFC 7627 policy
        // says a client SHOULD NOT offer a non-EMS session (§5.3).
        let mut session_id = Vec::new();
        let mut ticket: Option<Vec<u8>> = None;
        if p.client_resumes && p.client_cache_secs > 0 {
            if let Some(s) = env.client_lookup(&self.server_id, self.now, p.client_cache_secs) {
                self.had_session = true;
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
                            self.rng.fill_bytes(&mut id);
                            session_id = id;
                            ticket = Some(t.clone());
                        }
                        _ if !s.id.is_empty() => session_id = s.id.clone(),
                        _ => {}
                    }
                    if !session_id.is_empty() {
                        self.report.truth.original_session_ems = Some(s.ems);
                        self.resume = Some(s);
                    }
                }
            }
        }
        if self.had_session && self.resume.is_none() {
            self.report.kind = HandshakeKind::ResumeRefused;
        }
        self.session_id = session_id.clone();

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
        let ch = ClientHello {
            version: max_version.wire(),
            random: self.client_random,
            session_id: SessionId(session_id),
            suites,
            compression: vec![CompressionMethod::Null],
            extensions: ext,
        };
        self.offered = Some(ch.clone());
        self.queue(HandshakePayload::ClientHello(ch));
        self.flush_flight();
    }

    pub(super) fn client_handle(
        &mut self,
        msg: HandshakeMessage,
        raw: &[u8],
        env: &mut PeerState,
    ) -> Result<(), LocalError> {
        match (self.state, msg.payload) {
            (State::ExpectServerHello, HandshakePayload::ServerHello(sh)) => {
                self.on_server_hello(sh)
            }
            (State::ExpectCertificate, HandshakePayload::Certificate(chain)) => {
                if chain.is_empty() {
                    return Err(LocalError::Decode {
                        what: "empty server Certificate".into(),
                    });
                }
                self.peer_key = self.crypto.server_key(&chain[0])?;
                let kx = self.suite.map(|s| s.kx);
                self.state = match kx {
                    Some(KeyExchange::Rsa) => State::ExpectCertReqOrDone,
                    _ => State::ExpectServerKx,
                };
                Ok(())
            }
            (State::ExpectServerKx, HandshakePayload::ServerKeyExchange(body)) => {
                self.on_server_kx(&body, env)
            }
            (State::ExpectCertReqOrDone, HandshakePayload::CertificateRequest(_)) => {
                self.client_cert_requested = true;
                self.state = State::ExpectServerDone;
                Ok(())
            }
            (
                State::ExpectCertReqOrDone | State::ExpectServerDone,
                HandshakePayload::ServerHelloDone,
            ) => self.send_client_flight(env),
            (State::ExpectCcs, HandshakePayload::NewSessionTicket(t)) if self.ticket_acked => {
                self.new_ticket = Some(t.ticket);
                Ok(())
            }
            (State::ExpectFinished, HandshakePayload::Finished(vd)) => {
                self.check_finished(&vd, raw)?;
                if self.resumed {
                    self.send_finished();
                }
                self.client_done(env);
                Ok(())
            }
            (_, other) => Err(self.unexpected(&other)),
        }
    }

    fn on_server_hello(&mut self, sh: ServerHello) -> Result<(), LocalError> {
        let p = self.profile.clone();
        let offered = self
            .offered
            .clone()
            .expect("a client has sent its ClientHello");
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
        let Some(info) = suite_info(sh.suite).filter(|_| offered.suites.contains(&sh.suite)) else {
            return Err(LocalError::IllegalParameter {
                what: format!("suite {} not offered", sh.suite.name()),
            });
        };
        if !self.crypto.suite_ok(info) {
            return Err(LocalError::IllegalParameter {
                what: format!(
                    "suite {} is not supported in bridge mode (only (EC)DHE_RSA AES-GCM)",
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
        self.server_random = sh.random;
        self.set_negotiated(version.wire(), info);
        self.ticket_acked = sh.has_ext(ExtensionType::SessionTicket);

        let resumed = !self.session_id.is_empty() && sh.session_id.0 == self.session_id;
        if let (true, Some(s)) = (resumed, self.resume.clone()) {
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
            self.resumed = true;
            self.ems = s.ems;
            self.report.kind = HandshakeKind::Resumed;
            let master: [u8; 48] =
                s.master
                    .as_slice()
                    .try_into()
                    .map_err(|_| LocalError::Decode {
                        what: "stored master".into(),
                    })?;
            self.set_master(master)?;
            self.state = State::ExpectCcs;
            return Ok(());
        }
        if self.resume.is_some() || self.had_session {
            self.report.kind = HandshakeKind::ResumeRefused;
        }
        self.resume = None;
        self.session_id = sh.session_id.0.clone();
        self.ems = sh_ems;
        self.state = State::ExpectCertificate;
        Ok(())
    }

    fn on_server_kx(&mut self, body: &[u8], env: &mut PeerState) -> Result<(), LocalError> {
        let p = self.profile.clone();
        let info = self
            .suite
            .expect("suite negotiated before ServerKeyExchange");
        let tls12 = self.version == Some(ProtocolVersion::TLSv1_2);
        let ske = ServerKeyExchangePayload::read_as(info.kx, tls12, body).map_err(|e| {
            LocalError::Decode {
                what: format!("ServerKeyExchange: {e}"),
            }
        })?;
        let params = ske.params_bytes();
        let signed = KxSigned {
            client_random: &self.client_random,
            server_random: &self.server_random,
            params: &params,
        };
        // A real RSA signature checked with the certificate's key in bridge mode, the
        // modelled one otherwise.
        let sig_ok = self
            .crypto
            .verify_server_kx(self.peer_key.as_ref(), ske.sig(), &signed);
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
                let ys = self.check_peer_public(&params.ys, &group)?;
                if !sig_ok {
                    return Err(LocalError::BadSignature);
                }
                let pair = env.dh_key_pair(&group, p.dh_exponent_bits, 0, self.now, &mut self.rng);
                let z = group
                    .shared_secret(&pair.private, &ys)
                    .map_err(|_| LocalError::BadPeerPublic)?;
                self.record_z(&z, &group);
                self.kx = Kx::Dh { group, pair };
                self.pending_z = Some(z);
            }
            ServerKeyExchangePayload::Ecdhe { params, .. } => {
                let offered = self
                    .offered
                    .as_ref()
                    .and_then(|c| c.groups().map(|g| g.to_vec()))
                    .unwrap_or_default();
                let Some(curve) =
                    group_curve(params.group).filter(|_| offered.contains(&params.group))
                else {
                    return Err(LocalError::IllegalParameter {
                        what: format!("curve {:?} not offered", params.group),
                    });
                };
                if !sig_ok {
                    return Err(LocalError::BadSignature);
                }
                let pair = env.ec_key_pair(curve, 0, self.now, &mut self.rng);
                let shared = pair
                    .shared_secret(&params.point)
                    .map_err(|_| LocalError::BadPeerPublic)?;
                self.kx = Kx::Ec { pair };
                self.pending_premaster = Some(shared);
            }
        }
        self.state = State::ExpectCertReqOrDone;
        Ok(())
    }

    fn send_client_flight(&mut self, env: &mut PeerState) -> Result<(), LocalError> {
        let p = self.profile.clone();
        let info = self.suite.expect("suite negotiated before ServerHelloDone");
        if self.client_cert_requested {
            let chain = p
                .cert_chain
                .iter()
                .enumerate()
                .map(|(i, n)| model_cert(*n, i, "client"))
                .collect();
            self.queue(HandshakePayload::Certificate(chain));
            self.client_cert_sent = true;
        }
        let (cke, pms) = match (&self.kx, info.kx) {
            (Kx::Dh { group, pair }, _) => {
                let yc = encode_public(&pair.public, group, p.public_encoding(true));
                self.report.truth.sent_public_len = Some(yc.len());
                let z = self
                    .pending_z
                    .take()
                    .expect("Z computed at ServerKeyExchange");
                let group = group.clone();
                (
                    ClientKeyExchangePayload::Dh(yc),
                    self.dh_premaster_for(&z, &group),
                )
            }
            (Kx::Ec { pair }, _) => {
                let shared = self
                    .pending_premaster
                    .take()
                    .expect("ECDH secret computed at ServerKeyExchange");
                (ClientKeyExchangePayload::Ecdh(pair.public.clone()), shared)
            }
            (Kx::None, KeyExchange::Rsa) => {
                // RFC 5246 §7.4.7.1: client_version || 46 random bytes, RSA-encrypted to the
                // server. The encryption is modelled: PKCS#1 v1.5 layout, not encrypted.
                let offered = self
                    .offered
                    .as_ref()
                    .map(|c| c.version)
                    .unwrap_or(ProtocolVersion::TLSv1_2);
                let mut pms = offered.to_u16().to_be_bytes().to_vec();
                let mut rnd = [0u8; 46];
                self.rng.fill_bytes(&mut rnd);
                pms.extend_from_slice(&rnd);
                let mut block = vec![0x00, 0x02];
                block.extend(std::iter::repeat_n(0xA5, 256 - 3 - 48));
                block.push(0);
                block.extend_from_slice(&pms);
                (ClientKeyExchangePayload::Rsa(block), pms)
            }
            (Kx::None, _) => {
                return Err(LocalError::UnexpectedMessage {
                    got: MessageKind::Handshake(HandshakeType::ServerHelloDone),
                    resumed: false,
                })
            }
        };
        let mut body = Vec::new();
        cke.encode(&mut body);
        self.queue(HandshakePayload::ClientKeyExchange(body));
        self.derive_master(&pms)?;
        if self.client_cert_sent {
            let hash = self.transcript_hash(self.transcript.len());
            let sig = modelled_signature(b"cv", &[&hash]);
            let scheme = (self.version == Some(ProtocolVersion::TLSv1_2))
                .then_some(SignatureScheme::RsaPkcs1Sha256);
            self.queue(HandshakePayload::CertificateVerify(DigitallySigned {
                scheme,
                signature: sig,
            }));
        }
        self.send_finished();
        let _ = env;
        self.state = State::ExpectCcs;
        Ok(())
    }

    fn client_done(&mut self, env: &mut PeerState) {
        self.complete();
        let p = &self.profile;
        if !p.client_resumes || p.client_cache_secs == 0 {
            return;
        }
        let session = match (&self.resume, self.new_ticket.take()) {
            (Some(s), None) => s.clone(),
            (resumed, ticket) => Session {
                id: self.session_id.clone(),
                ticket: ticket.or_else(|| resumed.as_ref().and_then(|s| s.ticket.clone())),
                master: self.master.map(|m| m.to_vec()).unwrap_or_default(),
                suite: self.suite.map(|s| s.suite).unwrap_or(CipherSuite(0)),
                version: self.version.map(|v| v.to_u16()).unwrap_or(0),
                ems: self.ems,
                created: resumed.as_ref().map(|s| s.created).unwrap_or(self.now),
            },
        };
        if session.ticket.is_some() || !session.id.is_empty() {
            env.client_store(&self.server_id, session);
        }
    }
}
