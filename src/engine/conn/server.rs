//! The server half of the handshake state machine.

use super::*;
use crate::profile::{EmsResumption, TlsVersion};

/// What the server does with a session the client offered, per RFC 7627 §5.3.
enum ResumeDecision {
    Resume,
    Full,
    Abort,
}

impl Connection {
    pub(super) fn server_handle(
        &mut self,
        msg: HandshakeMessage,
        raw: &[u8],
        env: &mut PeerState,
    ) -> Result<(), LocalError> {
        match (self.state, msg.payload) {
            (State::ExpectClientHello, HandshakePayload::ClientHello(ch)) => {
                self.on_client_hello(ch, env)
            }
            (State::ExpectClientCert, HandshakePayload::Certificate(chain)) => {
                self.client_cert_sent = !chain.is_empty();
                self.state = State::ExpectClientKx;
                Ok(())
            }
            (State::ExpectClientKx, HandshakePayload::ClientKeyExchange(body)) => {
                self.on_client_kx(&body, env)
            }
            (State::ExpectCertVerify, HandshakePayload::CertificateVerify(cv)) => {
                // The signature covers the transcript before CertificateVerify.
                let before = self.transcript_hash(self.transcript.len() - raw.len());
                let expect = modelled_signature(b"cv", &[&before]);
                if cv.signature != expect {
                    return Err(LocalError::BadSignature);
                }
                self.state = State::ExpectCcs;
                Ok(())
            }
            (State::ExpectFinished, HandshakePayload::Finished(vd)) => {
                self.check_finished(&vd, raw)?;
                if !self.resumed {
                    if self.ticket_acked {
                        let t = env.seal_ticket(&self.current_session());
                        // The hint is a u32 (RFC 5077 §3.3): longer lifetimes are capped.
                        let lifetime =
                            u32::try_from(self.profile.ticket_lifetime_secs).unwrap_or(u32::MAX);
                        self.queue(HandshakePayload::NewSessionTicket(
                            NewSessionTicketPayload {
                                lifetime_hint: lifetime,
                                ticket: t,
                            },
                        ));
                    }
                    self.send_finished();
                    env.cache_insert(self.current_session(), self.profile.server_cache_size);
                }
                self.complete();
                Ok(())
            }
            (_, other) => Err(self.unexpected(&other)),
        }
    }

    fn current_session(&self) -> Session {
        Session {
            id: self.session_id.clone(),
            ticket: None,
            master: self.master.map(|m| m.to_vec()).unwrap_or_default(),
            suite: self.suite.map(|s| s.suite).unwrap_or(CipherSuite(0)),
            version: self.version.map(|v| v.to_u16()).unwrap_or(0),
            ems: self.ems,
            created: self.now,
        }
    }

    fn ems_decision(&self, original: bool, hello: bool) -> ResumeDecision {
        use ResumeDecision::*;
        if !self.profile.ems_negotiate {
            // A server that does not implement RFC 7627 ignores the extension.
            return Resume;
        }
        match (self.profile.ems_resumption, original, hello) {
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

    fn on_client_hello(&mut self, ch: ClientHello, env: &mut PeerState) -> Result<(), LocalError> {
        let p = self.profile.clone();
        self.client_random = ch.random;
        // Version: the highest the server enables that is not above the client's.
        let Some(version) = p
            .server_versions
            .iter()
            .copied()
            .filter(|v| v.wire() <= ch.version)
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
        self.client_random = ch.random;
        self.rng.fill_bytes(&mut self.server_random);
        let hello_ems = ch.offers_ems();

        // Resumption: a ticket first (RFC 5077), else the session-ID cache.
        let ticket = ch
            .session_ticket()
            .filter(|t| !t.is_empty() && p.server_tickets);
        let candidate = match ticket {
            Some(t) => env.open_ticket(t, self.now, p.ticket_lifetime_secs),
            None if !ch.session_id.0.is_empty() && p.server_cache_size > 0 => {
                env.cache_lookup(&ch.session_id.0, self.now, p.server_cache_secs)
            }
            None => None,
        }
        .filter(|s| ch.suites.contains(&s.suite) && s.version == version.wire().to_u16());
        if let Some(s) = candidate {
            self.report.truth.original_session_ems = Some(s.ems);
            match self.ems_decision(s.ems, hello_ems) {
                ResumeDecision::Resume => return self.resume_session(ch, s, version),
                ResumeDecision::Abort => {
                    return Err(LocalError::EmsResumeMismatch {
                        original_ems: s.ems,
                        hello_ems,
                    })
                }
                ResumeDecision::Full => self.report.kind = HandshakeKind::ResumeRefused,
            }
        } else if ticket.is_some() || !ch.session_id.0.is_empty() {
            self.report.kind = HandshakeKind::ResumeRefused;
        }

        // Full handshake: choose a suite.
        let info = self
            .choose_suite(&ch, version)
            .ok_or(LocalError::NoSharedCipher)?;
        self.set_negotiated(version.wire(), info);
        self.ems = p.negotiates_ems(hello_ems);
        self.ticket_acked = ch.session_ticket().is_some() && p.server_tickets;
        self.session_id = if p.server_cache_size > 0 {
            let mut id = vec![0u8; 32];
            self.rng.fill_bytes(&mut id);
            id
        } else {
            Vec::new()
        };
        let mut ext = vec![ServerExtension::RenegotiationInfo(Vec::new())];
        if self.ems {
            ext.push(ServerExtension::ExtendedMasterSecret);
        }
        if self.ticket_acked {
            ext.push(ServerExtension::SessionTicket);
        }
        if info.is_ecdhe() {
            ext.push(ServerExtension::EcPointFormats(vec![0]));
        }
        self.queue(HandshakePayload::ServerHello(ServerHello {
            version: version.wire(),
            random: self.server_random,
            session_id: SessionId(self.session_id.clone()),
            suite: info.suite,
            compression: CompressionMethod::Null,
            extensions: ext,
        }));
        let chain = self.crypto.server_chain(&p);
        self.queue(HandshakePayload::Certificate(chain));
        self.client_hello = Some(ch);
        self.send_server_kx(info, env)?;
        if p.request_client_cert {
            self.client_cert_requested = true;
            self.queue(HandshakePayload::CertificateRequest(self.cert_request()));
        }
        self.queue(HandshakePayload::ServerHelloDone);
        self.flush_flight();
        self.state = if self.client_cert_requested {
            State::ExpectClientCert
        } else {
            State::ExpectClientKx
        };
        Ok(())
    }

    fn cert_request(&self) -> CertificateRequest {
        let p = &self.profile;
        let authorities = if p.send_trusted_issuer_list {
            let n = p.trusted_issuer_bytes.div_ceil(100);
            (0..n).map(|i| model_cert(100, i, "ca")).collect()
        } else {
            Vec::new()
        };
        CertificateRequest {
            cert_types: vec![ClientCertificateType::RsaSign],
            sig_algs: (self.version == Some(ProtocolVersion::TLSv1_2))
                .then(|| vec![SignatureScheme::RsaPkcs1Sha256]),
            authorities,
        }
    }

    fn choose_suite(&self, ch: &ClientHello, version: TlsVersion) -> Option<&'static SuiteInfo> {
        let p = &self.profile;
        let shared_curve = self.shared_curve(ch).is_some();
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
            if !self.crypto.suite_ok(i) {
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

    fn shared_curve(&self, ch: &ClientHello) -> Option<crate::crypto::Curve> {
        let curves = &self.profile.curves;
        match ch.groups() {
            // RFC 4492 §4: without the extension the server may use any curve.
            None => curves.first().copied(),
            Some(offered) => curves
                .iter()
                .copied()
                .find(|c| offered.contains(&curve_group(*c))),
        }
    }

    fn send_server_kx(
        &mut self,
        info: &'static SuiteInfo,
        env: &mut PeerState,
    ) -> Result<(), LocalError> {
        let p = self.profile.clone();
        let tls12 = self.version == Some(ProtocolVersion::TLSv1_2);
        let offered = self.client_hello.as_ref().and_then(|c| c.sig_algs());
        let scheme = self.crypto.server_kx_scheme(tls12, offered)?;
        let ske = if info.is_dhe() {
            let group = p
                .server_dh_group()
                .map_err(|w| LocalError::IllegalParameter { what: w })?;
            let pair = env.dh_key_pair(
                &group,
                p.dh_exponent_bits,
                p.ephemeral_key_reuse_secs,
                self.now,
                &mut self.rng,
            );
            let ys = encode_public(&pair.public, &group, p.public_encoding(false));
            self.report.truth.sent_public_len = Some(ys.len());
            let params = ServerDhParams {
                p: group.p.to_bytes_be(),
                g: group.g.to_bytes_be(),
                ys,
            };
            self.kx = Kx::Dh { group, pair };
            ServerKeyExchangePayload::Dhe {
                params,
                sig: DigitallySigned {
                    scheme,
                    signature: Vec::new(),
                },
            }
        } else if info.is_ecdhe() {
            let ch = self
                .client_hello
                .as_ref()
                .expect("ClientHello stored before the key exchange");
            let curve = self.shared_curve(ch).ok_or(LocalError::NoSharedCipher)?;
            let pair = env.ec_key_pair(curve, p.ephemeral_key_reuse_secs, self.now, &mut self.rng);
            let params = ServerEcdhParams {
                curve_type: 3,
                group: curve_group(curve),
                point: pair.public.clone(),
            };
            self.kx = Kx::Ec { pair };
            ServerKeyExchangePayload::Ecdhe {
                params,
                sig: DigitallySigned {
                    scheme,
                    signature: Vec::new(),
                },
            }
        } else {
            return Ok(());
        };
        let params = ske.params_bytes();
        let signed = KxSigned {
            client_random: &self.client_random,
            server_random: &self.server_random,
            params: &params,
        };
        // A real RSA signature with the server's key in bridge mode, the modelled one
        // otherwise.
        let sig = self.crypto.sign_server_kx(scheme, &signed, &mut self.rng)?;
        let ske = match ske {
            ServerKeyExchangePayload::Dhe { params, .. } => ServerKeyExchangePayload::Dhe {
                params,
                sig: DigitallySigned {
                    scheme,
                    signature: sig,
                },
            },
            ServerKeyExchangePayload::Ecdhe { params, .. } => ServerKeyExchangePayload::Ecdhe {
                params,
                sig: DigitallySigned {
                    scheme,
                    signature: sig,
                },
            },
        };
        let mut body = Vec::new();
        ske.encode(&mut body);
        self.queue(HandshakePayload::ServerKeyExchange(body));
        Ok(())
    }

    fn resume_session(
        &mut self,
        ch: ClientHello,
        s: Session,
        version: TlsVersion,
    ) -> Result<(), LocalError> {
        let p = self.profile.clone();
        let info = suite_info(s.suite).ok_or(LocalError::NoSharedCipher)?;
        self.set_negotiated(version.wire(), info);
        self.resumed = true;
        self.report.kind = HandshakeKind::Resumed;
        self.ems = s.ems;
        let hello_ems = ch.offers_ems();
        // Echo the client's session ID to signal resumption (RFC 5246 §7.4.1.3, RFC 5077 §3.4).
        self.session_id = ch.session_id.0.clone();
        let mut ext = vec![ServerExtension::RenegotiationInfo(Vec::new())];
        if p.negotiates_ems(hello_ems) {
            ext.push(ServerExtension::ExtendedMasterSecret);
        }
        self.queue(HandshakePayload::ServerHello(ServerHello {
            version: version.wire(),
            random: self.server_random,
            session_id: SessionId(self.session_id.clone()),
            suite: s.suite,
            compression: CompressionMethod::Null,
            extensions: ext,
        }));
        if p.cert_request_on_resume {
            // Not RFC 2246/5246 compliant (KB4528489 item 2): an abbreviated handshake has
            // no CertificateRequest.
            self.report.truth.sent_cert_request_on_resume = true;
            self.queue(HandshakePayload::CertificateRequest(self.cert_request()));
        }
        let master: [u8; 48] = s
            .master
            .as_slice()
            .try_into()
            .map_err(|_| LocalError::Decode {
                what: "cached master".into(),
            })?;
        self.set_master(master)?;
        self.client_hello = Some(ch);
        self.send_finished();
        self.state = State::ExpectCcs;
        Ok(())
    }

    fn on_client_kx(&mut self, body: &[u8], env: &mut PeerState) -> Result<(), LocalError> {
        let _ = env;
        let info = self
            .suite
            .expect("suite negotiated before ClientKeyExchange");
        let cke =
            ClientKeyExchangePayload::read_as(info.kx, body).map_err(|e| LocalError::Decode {
                what: format!("ClientKeyExchange: {e}"),
            })?;
        let pms = match (cke, std::mem::replace(&mut self.kx, Kx::None)) {
            (ClientKeyExchangePayload::Dh(yc), Kx::Dh { group, pair }) => {
                let y = self.check_peer_public(&yc, &group)?;
                let z = group
                    .shared_secret(&pair.private, &y)
                    .map_err(|_| LocalError::BadPeerPublic)?;
                self.record_z(&z, &group);
                let pms = self.dh_premaster_for(&z, &group);
                self.kx = Kx::Dh { group, pair };
                pms
            }
            (ClientKeyExchangePayload::Ecdh(point), Kx::Ec { pair }) => {
                let shared = pair
                    .shared_secret(&point)
                    .map_err(|_| LocalError::BadPeerPublic)?;
                self.kx = Kx::Ec { pair };
                shared
            }
            (ClientKeyExchangePayload::Rsa(block), Kx::None) => {
                if block.len() < 48 {
                    return Err(LocalError::Decode {
                        what: "RSA pre-master".into(),
                    });
                }
                block[block.len() - 48..].to_vec()
            }
            _ => {
                return Err(LocalError::Decode {
                    what: "ClientKeyExchange for another key exchange".into(),
                })
            }
        };
        self.derive_master(&pms)?;
        self.state = if self.client_cert_sent {
            State::ExpectCertVerify
        } else {
            State::ExpectCcs
        };
        Ok(())
    }
}
