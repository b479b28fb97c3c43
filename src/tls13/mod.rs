//! A sans-IO TLS 1.3 handshake (RFC 8446): a client and a server state machine that build
//! and read the messages of [`crate::wire::tls13`], run the real key schedule of
//! [`crate::crypto::tls13`] and protect records with [`crate::crypto::record13`].
//!
//! Scope (the foundation of issue 16, apart from the TLS 1.2 engine): full handshakes with
//! X25519, P-256, P-384 or ffdhe2048..ffdhe8192 (with the FFDHE `Z` padded or, as some
//! stacks did, stripped: [`FfdheZ`]), HelloRetryRequest when the client's predicted share is not one the
//! server wants, the three AEAD suites, a server authenticated with RSA-PSS
//! (rsa_pss_rsae_sha256) over its certificate, NewSessionTicket issued and read (its
//! resumption PSK is derived), PSK resumption from the server's own tickets in psk_dhe_ke and
//! psk_ke (RFC 8446 §4.2.11; a ticket the server cannot open or that is too old falls back
//! to a full handshake, reported as `psk_rejected`), application data both ways,
//! close_notify. Not yet: 0-RTT, client certificates, KeyUpdate.
//!
//! Each side consumes received bytes ([`Client13::receive`], [`Server13::receive`]) and
//! returns the bytes to send; nothing here does I/O or reads OS randomness (the caller's
//! RNG is seeded).

use rand_core::{CryptoRng, RngCore};

use crate::crypto::record13::{Record13Error, RecordLayer13};
use crate::crypto::tls13::{
    binder_key, early_secret, psk_binder, resumption_psk, verify_data, ApplicationSecrets,
    HandshakeSecrets, HashAlg, Tls13Suite, TrafficKeys, Transcript,
};
mod kex;
mod ticket;
pub use kex::FfdheZ;
use kex::Kex;

use crate::wire::tls13::{
    binder_truncation_len, certificate_verify_content, handshake_message, hs,
    is_hello_retry_request, split_handshake, CertificateEntry, ClientHello13, Extension,
    KeyShareEntry, Message13, OfferedPsks, PskIdentity, ServerHello13, PSK_DHE_KE, PSK_KE,
};
use crate::wire::{
    AlertDescription, CipherSuite, ClientExtension, ClientHello, Codec, CompressionMethod,
    NamedGroup, ProtocolVersion, ServerHello, SessionId, SignatureScheme,
};

/// Why a TLS 1.3 handshake or connection failed, with the alert the failing side sends.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{alert}: {reason}")]
pub struct Tls13Error {
    pub alert: AlertDescription,
    pub reason: String,
}

/// How a [`Tls13Error`]'s reason starts when the error is a fatal alert the peer sent.
const PEER_ALERT: &str = "peer sent alert";

impl Tls13Error {
    /// The alert the peer sent, when this error is one (this side then sends none back,
    /// RFC 8446 §6.2); None when this side found the error.
    pub fn peer_alert(&self) -> Option<AlertDescription> {
        self.reason.starts_with(PEER_ALERT).then_some(self.alert)
    }
}

fn fail<T>(alert: AlertDescription, reason: impl Into<String>) -> Result<T, Tls13Error> {
    Err(Tls13Error {
        alert,
        reason: reason.into(),
    })
}

impl From<Record13Error> for Tls13Error {
    fn from(e: Record13Error) -> Self {
        Tls13Error {
            alert: e.alert(),
            reason: e.to_string(),
        }
    }
}

impl From<crate::wire::InvalidMessage> for Tls13Error {
    fn from(e: crate::wire::InvalidMessage) -> Self {
        Tls13Error {
            alert: e.alert(),
            reason: e.to_string(),
        }
    }
}

/// Whether this module implements key exchange in `g` (RFC 8446 §4.2.7): X25519, P-256,
/// P-384 and ffdhe2048 to ffdhe8192.
pub fn group_supported(g: NamedGroup) -> bool {
    kex::supported(g)
}

/// The knobs of one side.
#[derive(Debug, Clone)]
pub struct Config13 {
    /// Cipher suites in preference order.
    pub suites: Vec<Tls13Suite>,
    /// Groups in preference order (client: supported_groups; server: acceptable groups).
    pub groups: Vec<NamedGroup>,
    /// Client: the groups it sends a key share for in its first ClientHello (the
    /// prediction; RFC 8446 §4.2.8).
    pub key_share_groups: Vec<NamedGroup>,
    /// Client: server_name to send; empty for none.
    pub server_name: Vec<u8>,
    /// Client: a 32-byte legacy_session_id and a change_cipher_spec before its second
    /// flight (middlebox compatibility mode, RFC 8446 §D.4).
    pub compat_mode: bool,
    /// Server: issue one NewSessionTicket after the handshake.
    pub send_ticket: bool,
    /// How this side writes an FFDHE `Z` into the key schedule (RFC 8446 §7.4.1 pads).
    pub ffdhe_z: FfdheZ,
    /// psk_key_exchange_modes (RFC 8446 §4.2.9), [`PSK_DHE_KE`] and/or [`PSK_KE`] in
    /// preference order. Client: the modes it offers with a ticket; server: the modes it
    /// accepts. Empty: no resumption.
    pub psk_modes: Vec<u8>,
    /// Client: a ticket to offer in pre_shared_key (RFC 8446 §4.2.11).
    pub resume: Option<Ticket13>,
    /// Server: the key its tickets are sealed with (AES-256-GCM); `None`: drawn from the
    /// server's RNG when it is created. Servers sharing a key accept each other's tickets.
    pub ticket_key: Option<[u8; 32]>,
    /// Server: ticket_lifetime in seconds (RFC 8446 §4.6.1; at most 604800). A ticket whose
    /// age (from the client's obfuscated_ticket_age) exceeds it is refused.
    pub ticket_lifetime: u32,
    /// The simulated mode's modelled CertificateVerify: a keyed digest of the signed
    /// content and the leaf certificate, 256 bytes like an RSA-2048 signature, in place of
    /// RSA-PSS (one real signature per handshake would dominate a simulated fleet, as the
    /// TLS 1.2 engine's modelled ServerKeyExchange signature avoids). Both sides must agree;
    /// bridge mode and tests against real stacks keep it off. The key exchange, key
    /// schedule and records stay real either way.
    pub modelled_signatures: bool,
    /// Client: a fatal alert this client sends after the ServerHello and before its own
    /// second flight (Certificate/Finished) goes out in plaintext, because its write keys
    /// change only with that flight (OpenSSL 1.1.1 to 3.1: ssl/statem/statem_lib.c
    /// `tls_construct_finished` and statem_clnt.c `tls_construct_client_certificate` install
    /// the client handshake write keys). False: under the client handshake traffic keys it
    /// derives from the ServerHello (RFC 8446 §5, §7.3; JSSE's ServerHello.java
    /// `T13ServerHelloConsumer` changes its write cipher there; GnuTLS 3.7 and NSS observed
    /// doing the same, docs/tls13-alerts.md).
    pub plaintext_alerts: bool,
}

impl Default for Config13 {
    fn default() -> Self {
        Config13 {
            suites: Tls13Suite::ALL.to_vec(),
            groups: vec![NamedGroup::X25519, NamedGroup::Secp256r1],
            key_share_groups: vec![NamedGroup::X25519],
            server_name: b"localhost".to_vec(),
            compat_mode: true,
            send_ticket: true,
            ffdhe_z: FfdheZ::Pad,
            psk_modes: vec![PSK_DHE_KE],
            resume: None,
            ticket_key: None,
            ticket_lifetime: 7200,
            modelled_signatures: false,
            plaintext_alerts: false,
        }
    }
}

/// An RFC 7919 finite-field group.
fn is_ffdhe(g: NamedGroup) -> bool {
    matches!(
        g,
        NamedGroup::Ffdhe2048
            | NamedGroup::Ffdhe3072
            | NamedGroup::Ffdhe4096
            | NamedGroup::Ffdhe6144
            | NamedGroup::Ffdhe8192
    )
}

/// The modelled CertificateVerify signature over `content` by the holder of `leaf`.
fn modelled_cv(leaf: &[u8], scheme: SignatureScheme, content: &[u8]) -> Vec<u8> {
    crate::crypto::model_cert::modelled_signature(
        b"tls13 cv",
        &[leaf, &scheme.to_u16().to_be_bytes(), content],
    )
}

/// Which handshake happened, for tests and reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated13 {
    pub suite: Tls13Suite,
    pub group: NamedGroup,
    pub hello_retry: bool,
    /// FFDHE only: the shared secret `Z`, written in the length of p, began with a zero byte
    /// (the connections on which a padding and a stripping peer disagree). Both sides compute
    /// the same `Z`, so both report the same value.
    pub z_leading_zero: bool,
    /// The handshake was resumed from a ticket (RFC 8446 §2.2): no Certificate and
    /// CertificateVerify.
    pub resumed: bool,
    /// The PSK mode of a resumed handshake ([`PSK_DHE_KE`] or [`PSK_KE`]). With `psk_ke`
    /// there is no key exchange and `group` is `NamedGroup::Unknown(0)`.
    pub psk_mode: Option<u8>,
    /// A ticket was offered (client) or received (server) but not used: the server could
    /// not open it (another ticket key), it was too old, its suite's hash differs, or no
    /// PSK mode was common. The handshake went on as a full one (like a refused TLS 1.2
    /// resumption).
    pub psk_rejected: bool,
}

/// A ticket the client received: its identity and the PSK it stands for (RFC 8446 §4.6.1).
#[derive(Clone, PartialEq, Eq)]
pub struct Ticket13 {
    pub ticket: Vec<u8>,
    pub psk: Vec<u8>,
    pub lifetime: u32,
    pub age_add: u32,
    /// The suite of the connection that issued it (the PSK belongs to its hash).
    pub suite: Tls13Suite,
    /// Milliseconds since the ticket arrived, as the client reports it in
    /// obfuscated_ticket_age (the module has no clock; the caller sets it).
    pub age_ms: u32,
}

impl std::fmt::Debug for Ticket13 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ticket13")
            .field("ticket_len", &self.ticket.len())
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

/// Record framing shared by both sides: splits received bytes into records, opens protected
/// ones, reassembles handshake messages across records.
struct Records {
    inbuf: Vec<u8>,
    hs_buf: Vec<u8>,
    read: Option<RecordLayer13>,
    write: Option<RecordLayer13>,
    app_in: Vec<u8>,
    closed: bool,
}

enum Incoming {
    Handshake(u8, Vec<u8>, Vec<u8>),
    None,
}

impl Records {
    fn new() -> Self {
        Records {
            inbuf: Vec::new(),
            hs_buf: Vec::new(),
            read: None,
            write: None,
            app_in: Vec::new(),
            closed: false,
        }
    }

    /// The next whole handshake message (type, body, whole message), reading records as
    /// needed; application data and alerts are handled on the way.
    fn next_handshake(&mut self) -> Result<Incoming, Tls13Error> {
        loop {
            if let Some((typ, body, whole, rest)) = split_handshake(&self.hs_buf)? {
                let out = Incoming::Handshake(typ, body.to_vec(), whole.to_vec());
                self.hs_buf = rest.to_vec();
                return Ok(out);
            }
            if self.inbuf.len() < 5 {
                return Ok(Incoming::None);
            }
            let len = usize::from(u16::from_be_bytes([self.inbuf[3], self.inbuf[4]]));
            if len > crate::crypto::record13::MAX_CIPHERTEXT {
                return fail(AlertDescription::RecordOverflow, "record too long");
            }
            if self.inbuf.len() < 5 + len {
                return Ok(Incoming::None);
            }
            let rec: Vec<u8> = self.inbuf.drain(..5 + len).collect();
            let outer = rec[0];
            let (typ, content) = match (outer, self.read.as_mut()) {
                // RFC 8446 §5: a change_cipher_spec of the single byte 1 is dropped during
                // the handshake (compatibility mode).
                (20, _) => {
                    if rec[5..] != [1] {
                        return fail(
                            AlertDescription::UnexpectedMessage,
                            "bad change_cipher_spec",
                        );
                    }
                    continue;
                }
                (23, Some(layer)) => layer.open(&rec)?,
                (22, None) | (21, None) => (outer, rec[5..].to_vec()),
                _ => {
                    return fail(
                        AlertDescription::UnexpectedMessage,
                        format!("record type {outer} here"),
                    )
                }
            };
            match typ {
                22 => {
                    if content.is_empty() {
                        return fail(
                            AlertDescription::UnexpectedMessage,
                            "empty handshake record",
                        );
                    }
                    self.hs_buf.extend_from_slice(&content);
                }
                23 => self.app_in.extend_from_slice(&content),
                21 => {
                    if content == [1, 0] {
                        self.closed = true;
                        return Ok(Incoming::None);
                    }
                    // RFC 8446 §6.1: user_canceled is a closure alert, not an error; a
                    // close_notify should follow (JSSE sends both when it closes).
                    if content.get(1) == Some(&90) {
                        continue;
                    }
                    let desc = content.get(1).copied().unwrap_or(0);
                    return fail(
                        AlertDescription::from(desc),
                        format!("{PEER_ALERT} {}", AlertDescription::from(desc)),
                    );
                }
                t => {
                    return fail(
                        AlertDescription::UnexpectedMessage,
                        format!("inner content type {t}"),
                    )
                }
            }
        }
    }

    fn seal(&mut self, typ: u8, content: &[u8], out: &mut Vec<u8>) -> Result<(), Tls13Error> {
        let layer = self.write.as_mut().ok_or_else(|| Tls13Error {
            alert: AlertDescription::InternalError,
            reason: "no write keys".into(),
        })?;
        for chunk in content.chunks(crate::crypto::record13::MAX_PLAINTEXT) {
            out.extend_from_slice(&layer.seal(typ, chunk, 0)?);
        }
        if content.is_empty() {
            out.extend_from_slice(&layer.seal(typ, &[], 0)?);
        }
        Ok(())
    }

    /// A fatal alert's record (RFC 8446 §6): sealed under the write keys when there are
    /// some and `protect`, else plaintext with record version 0x0303 (§5.1).
    fn fatal_alert(&mut self, desc: AlertDescription, protect: bool, out: &mut Vec<u8>) {
        let body = [2, desc.to_u8()];
        let mark = out.len();
        if protect && self.write.is_some() && self.seal(21, &body, out).is_ok() {
            return;
        }
        out.truncate(mark);
        plaintext_record(21, 0x0303, &body, out);
    }
}

fn plaintext_record(typ: u8, version: u16, body: &[u8], out: &mut Vec<u8>) {
    for chunk in body.chunks(crate::crypto::record13::MAX_PLAINTEXT) {
        out.push(typ);
        out.extend_from_slice(&version.to_be_bytes());
        let n = u16::try_from(chunk.len()).expect("chunks of at most 2^14");
        out.extend_from_slice(&n.to_be_bytes());
        out.extend_from_slice(chunk);
    }
}

fn layer(suite: Tls13Suite, secret: &[u8]) -> RecordLayer13 {
    RecordLayer13::new(
        suite.aead(),
        &TrafficKeys::derive(suite.hash(), suite.aead(), secret),
    )
}

const SIG_ALGS: [SignatureScheme; 4] = [
    SignatureScheme::RsaPssRsaeSha256,
    SignatureScheme::RsaPssRsaeSha384,
    SignatureScheme::EcdsaSecp256r1Sha256,
    SignatureScheme::RsaPkcs1Sha256,
];

/// The second ClientHello after a HelloRetryRequest, from the first one a caller sent
/// (RFC 8446 §4.1.2: "the client MUST send the same ClientHello without modification,
/// except as follows": key_share replaced, early_data removed, a cookie added, the
/// pre_shared_key updated, padding optional). `own` are the extensions this client would
/// send now; its key_share, cookie and pre_shared_key are taken from them (the
/// pre_shared_key last, §4.2.11), everything else from `first`, in its order.
fn second_hello(first: &ClientHello, own: Vec<ClientExtension>) -> ClientHello {
    use crate::wire::tls13::ext;
    let typ = |e: &ClientExtension| match e {
        ClientExtension::Unknown { typ, .. } => Some(*typ),
        _ => None,
    };
    let take = |t: u16| own.iter().find(|e| typ(e) == Some(t)).cloned();
    let mut extensions = Vec::new();
    for e in &first.extensions {
        match typ(e) {
            Some(ext::KEY_SHARE) => extensions.extend(take(ext::KEY_SHARE)),
            Some(ext::EARLY_DATA | ext::COOKIE | ext::PRE_SHARED_KEY) => {}
            _ => extensions.push(e.clone()),
        }
    }
    extensions.extend(take(ext::COOKIE));
    extensions.extend(take(ext::PRE_SHARED_KEY));
    ClientHello {
        extensions,
        ..first.clone()
    }
}

/// Reads the peer's Finished and checks its verify_data: the HMAC, under the finished key
/// of `base_key` (the peer's handshake traffic secret), of the transcript so far (RFC 8446
/// §4.4.4). A wrong one is decrypt_error (§4.4.4: "MUST terminate the connection with a
/// \"decrypt_error\" alert").
fn check_finished(
    alg: HashAlg,
    body: &[u8],
    base_key: &[u8],
    transcript: &Transcript,
    peer: &str,
) -> Result<(), Tls13Error> {
    let Message13::Finished(v) = Message13::read_body(hs::FINISHED, body, alg.len())? else {
        return fail(AlertDescription::DecodeError, "Finished");
    };
    if v != verify_data(alg, base_key, &transcript.hash(alg)) {
        return fail(
            AlertDescription::DecryptError,
            format!("{peer} Finished does not verify"),
        );
    }
    Ok(())
}

/// The methods client and server share, over their fields of the same names (`suite`,
/// `group`, `retried`, `z_leading_zero`, `resumed`, `psk_rejected`, `rec`) and their own
/// `is_connected` and `handle` (one handshake message).
macro_rules! common_methods {
    ($side:ident) => {
        impl<R: RngCore + CryptoRng> $side<R> {
            /// What the handshake chose, once the hellos are done.
            pub fn negotiated(&self) -> Option<Negotiated13> {
                Some(Negotiated13 {
                    suite: self.suite?,
                    group: self.group?,
                    hello_retry: self.retried,
                    z_leading_zero: self.z_leading_zero,
                    resumed: self.resumed.is_some(),
                    psk_mode: self.resumed,
                    psk_rejected: self.psk_rejected,
                })
            }

            /// Application data received so far (drained).
            pub fn take_app_data(&mut self) -> Vec<u8> {
                std::mem::take(&mut self.rec.app_in)
            }

            pub fn peer_closed(&self) -> bool {
                self.rec.closed
            }

            /// Protects application data for sending.
            pub fn send(&mut self, data: &[u8]) -> Result<Vec<u8>, Tls13Error> {
                if !self.is_connected() {
                    return fail(AlertDescription::InternalError, "not connected");
                }
                let mut out = Vec::new();
                self.rec.seal(23, data, &mut out)?;
                Ok(out)
            }

            /// A protected close_notify alert.
            pub fn close(&mut self) -> Result<Vec<u8>, Tls13Error> {
                let mut out = Vec::new();
                self.rec.seal(21, &[1, 0], &mut out)?;
                Ok(out)
            }

            /// Feeds received bytes; returns the bytes to send in answer.
            pub fn receive(&mut self, bytes: &[u8]) -> Result<Vec<u8>, Tls13Error> {
                self.rec.inbuf.extend_from_slice(bytes);
                let mut out = Vec::new();
                loop {
                    let Incoming::Handshake(typ, body, whole) = self.rec.next_handshake()? else {
                        return Ok(out);
                    };
                    self.handle(typ, &body, &whole, &mut out)?;
                }
            }
        }
    };
}

common_methods!(Client13);
common_methods!(Server13);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientState {
    Start,
    WaitServerHello,
    WaitEncryptedExtensions,
    WaitCertificate,
    WaitCertificateVerify,
    WaitFinished,
    Connected,
}

/// The client side.
pub struct Client13<R: RngCore + CryptoRng> {
    cfg: Config13,
    rng: R,
    state: ClientState,
    rec: Records,
    transcript: Transcript,
    random: [u8; 32],
    session_id: SessionId,
    shares: Vec<Kex>,
    /// The ClientHello a caller sent instead of this client's own
    /// ([`Client13::replace_hello`]): a second ClientHello after an HRR repeats it.
    first_hello: Option<ClientHello>,
    z_leading_zero: bool,
    psk_offered: bool,
    resumed: Option<u8>,
    psk_rejected: bool,
    /// The certificate_request_context of a CertificateRequest (RFC 8446 §4.3.2).
    cert_request: Option<Vec<u8>>,
    retried: bool,
    /// The middlebox-compatibility change_cipher_spec went out (RFC 8446 §D.4: once).
    ccs_sent: bool,
    suite: Option<Tls13Suite>,
    group: Option<NamedGroup>,
    hs: Option<HandshakeSecrets>,
    server_key: Option<rsa::RsaPublicKey>,
    /// The server's leaf certificate (for a modelled CertificateVerify).
    server_leaf: Vec<u8>,
    ap: Option<ApplicationSecrets>,
    resumption_master: Vec<u8>,
    /// Tickets received after the handshake.
    pub tickets: Vec<Ticket13>,
}

impl<R: RngCore + CryptoRng> Client13<R> {
    /// Once this side computed an FFDHE shared secret: whether its Z had a leading zero
    /// byte (the connections on which a padding and a stripping peer disagree, RFC 8446
    /// §7.4.1). None before, or on an elliptic-curve group.
    pub fn ffdhe_z_leading_zero(&self) -> Option<bool> {
        self.group
            .filter(|g| is_ffdhe(*g))
            .map(|_| self.z_leading_zero)
    }

    pub fn new(cfg: Config13, mut rng: R) -> Self {
        let mut random = [0u8; 32];
        rng.fill_bytes(&mut random);
        let session_id = if cfg.compat_mode {
            let mut id = vec![0u8; 32];
            rng.fill_bytes(&mut id);
            SessionId(id)
        } else {
            SessionId::empty()
        };
        Client13 {
            cfg,
            rng,
            state: ClientState::Start,
            rec: Records::new(),
            transcript: Transcript::new(),
            random,
            session_id,
            shares: Vec::new(),
            z_leading_zero: false,
            first_hello: None,
            psk_offered: false,
            resumed: None,
            psk_rejected: false,
            cert_request: None,
            retried: false,
            ccs_sent: false,
            suite: None,
            group: None,
            hs: None,
            server_key: None,
            server_leaf: Vec::new(),
            ap: None,
            resumption_master: Vec::new(),
            tickets: Vec::new(),
        }
    }

    fn client_hello(&mut self, cookie: Option<Vec<u8>>) -> Result<Vec<u8>, Tls13Error> {
        let shares: Vec<KeyShareEntry> = self
            .shares
            .iter()
            .map(|k| KeyShareEntry {
                group: k.group,
                key_exchange: k.public(),
            })
            .collect();
        let mut extensions = Vec::new();
        if !self.cfg.server_name.is_empty() {
            extensions.push(ClientExtension::ServerName(self.cfg.server_name.clone()));
        }
        extensions.push(ClientExtension::SupportedGroups(self.cfg.groups.clone()));
        extensions.push(ClientExtension::SignatureAlgorithms(SIG_ALGS.to_vec()));
        let offer = self.psk_offer();
        let e13 = ClientHello13 {
            supported_versions: Some(vec![ProtocolVersion::TLSv1_3]),
            key_shares: Some(shares),
            psk_modes: (!self.cfg.psk_modes.is_empty()).then(|| self.cfg.psk_modes.clone()),
            cookie,
            early_data: false,
            psk: offer.as_ref().map(|t| OfferedPsks {
                identities: vec![PskIdentity {
                    identity: t.ticket.clone(),
                    // §4.2.11.1: the age in milliseconds plus ticket_age_add, mod 2^32.
                    obfuscated_ticket_age: t.age_ms.wrapping_add(t.age_add),
                }],
                // A placeholder of the binder's length, filled in below.
                binders: vec![vec![0; t.suite.hash().len()]],
            }),
        };
        extensions.extend(e13.to_extensions());
        let ch = match &self.first_hello {
            // §4.1.2: after an HRR the client sends the same ClientHello, with key_share
            // replaced, a cookie added, early_data removed and pre_shared_key updated.
            Some(first) => second_hello(first, extensions),
            None => ClientHello {
                version: ProtocolVersion::TLSv1_2,
                random: self.random,
                session_id: self.session_id.clone(),
                suites: self
                    .cfg
                    .suites
                    .iter()
                    .map(|s| CipherSuite(s.id()))
                    .collect(),
                compression: vec![CompressionMethod::Null],
                extensions,
            },
        };
        let mut msg = handshake_message(hs::CLIENT_HELLO, &ch.to_bytes());
        if let Some(t) = &offer {
            self.bind(t, &mut msg);
            self.psk_offered = true;
        }
        self.transcript.add(&msg);
        Ok(msg)
    }

    /// §4.2.11.2: the binder is an HMAC over the transcript through the ClientHello
    /// truncated before the binders list (after an HRR, ClientHello1's message_hash and the
    /// HRR come first). `msg` ends with the one binder (pre_shared_key is the last
    /// extension), which is overwritten; returns it.
    fn bind(&self, t: &Ticket13, msg: &mut [u8]) -> Vec<u8> {
        let alg = t.suite.hash();
        let blen = alg.len();
        let cut = msg.len().saturating_sub(2 + 1 + blen);
        let hash = self.transcript.hash_with(alg, &msg[..cut]);
        let bk = binder_key(alg, &early_secret(alg, Some(&t.psk)), true);
        let binder = psk_binder(alg, &bk, &hash);
        let at = msg.len().saturating_sub(blen);
        msg[at..].copy_from_slice(&binder);
        binder
    }

    /// The ticket to offer: the configured one when its suite is offered (and, after an
    /// HRR, has the HRR suite's hash) and a PSK mode is offered.
    fn psk_offer(&self) -> Option<Ticket13> {
        let t = self.cfg.resume.clone()?;
        if self.cfg.psk_modes.is_empty() || !self.cfg.suites.contains(&t.suite) {
            return None;
        }
        if self.suite.is_some_and(|s| s.hash() != t.suite.hash()) {
            return None;
        }
        Some(t)
    }

    /// The first flight: the ClientHello record.
    pub fn start(&mut self) -> Result<Vec<u8>, Tls13Error> {
        if self.state != ClientState::Start {
            return fail(AlertDescription::InternalError, "already started");
        }
        for g in self.cfg.key_share_groups.clone() {
            let Some(k) = Kex::generate(g, &mut self.rng) else {
                return fail(AlertDescription::InternalError, format!("no {g} support"));
            };
            self.shares.push(k);
        }
        let msg = self.client_hello(None)?;
        let mut out = Vec::new();
        plaintext_record(22, 0x0301, &msg, &mut out);
        self.state = ClientState::WaitServerHello;
        Ok(out)
    }

    /// For a caller that sends its own ClientHello (the TLS 1.2 engine offering TLS 1.3
    /// and the older versions in one hello, as real stacks do): after [`Client13::start`],
    /// `hello` (the whole handshake message) is the ClientHello that went out instead of
    /// the one `start` built. It must carry this client's key shares (those of the hello
    /// `start` returned); its random and legacy_session_id become the client's, and the
    /// transcript starts from it.
    ///
    /// When this client offers a PSK, `hello` must end with its pre_shared_key extension
    /// (RFC 8446 §4.2.11: the last extension) holding a binder of the right length; the
    /// binder is computed over `hello` and returned, for the caller to write into the hello
    /// it sends (the last bytes of the message).
    pub fn replace_hello(&mut self, hello: &[u8]) -> Result<Option<Vec<u8>>, Tls13Error> {
        if self.state != ClientState::WaitServerHello || self.retried {
            return fail(AlertDescription::InternalError, "hello already answered");
        }
        let Some((hs::CLIENT_HELLO, body, whole, [])) = split_handshake(hello)? else {
            return fail(AlertDescription::InternalError, "not one ClientHello");
        };
        let ch = ClientHello::from_bytes(body)?;
        self.random = ch.random;
        self.session_id = ch.session_id.clone();
        self.first_hello = Some(ch);
        self.transcript = Transcript::new();
        let mut msg = whole.to_vec();
        let binder = self
            .psk_offer()
            .filter(|_| self.psk_offered)
            .map(|t| self.bind(&t, &mut msg));
        self.transcript.add(&msg);
        Ok(binder)
    }

    /// Check the server's CertificateVerify as a real RSA-PSS signature (false) or as a
    /// modelled one (true), for a client made before its connection chose its crypto mode
    /// (the engine's ClientHello is queued at construction, bridge mode is set after).
    pub fn set_modelled_signatures(&mut self, modelled: bool) {
        self.cfg.modelled_signatures = modelled;
    }

    /// The tickets received so far (drained), for the caller's session store.
    pub fn take_tickets(&mut self) -> Vec<Ticket13> {
        std::mem::take(&mut self.tickets)
    }

    pub fn is_connected(&self) -> bool {
        self.state == ClientState::Connected
    }

    /// The handshake message the client waits for next (None once connected).
    pub fn awaiting(&self) -> Option<crate::wire::HandshakeType> {
        use crate::wire::HandshakeType as T;
        match self.state {
            ClientState::Start | ClientState::WaitServerHello => Some(T::ServerHello),
            ClientState::WaitEncryptedExtensions => Some(T::EncryptedExtensions),
            ClientState::WaitCertificate => Some(T::Certificate),
            ClientState::WaitCertificateVerify => Some(T::CertificateVerify),
            ClientState::WaitFinished => Some(T::Finished),
            ClientState::Connected => None,
        }
    }

    fn hash(&self) -> HashAlg {
        self.suite.map_or(HashAlg::Sha256, |s| s.hash())
    }

    fn handle(
        &mut self,
        typ: u8,
        body: &[u8],
        whole: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Tls13Error> {
        use ClientState as S;
        match (self.state, typ) {
            (S::WaitServerHello, hs::SERVER_HELLO) => self.server_hello(body, whole, out),
            (S::WaitEncryptedExtensions, hs::ENCRYPTED_EXTENSIONS) => {
                Message13::read_body(typ, body, self.hash().len())?;
                self.transcript.add(whole);
                // §2.2: a PSK handshake has no Certificate / CertificateVerify.
                self.state = if self.resumed.is_some() {
                    S::WaitFinished
                } else {
                    S::WaitCertificate
                };
                Ok(())
            }
            (S::WaitCertificate, hs::CERTIFICATE_REQUEST) if self.cert_request.is_none() => {
                // §4.3.2: the client answers with a Certificate (empty here: this client
                // has none) and no CertificateVerify. GnuTLS's gnutls-serv asks by default.
                let Message13::CertificateRequest { context, .. } =
                    Message13::read_body(typ, body, self.hash().len())?
                else {
                    return fail(AlertDescription::DecodeError, "CertificateRequest");
                };
                self.cert_request = Some(context);
                self.transcript.add(whole);
                Ok(())
            }
            (S::WaitCertificate, hs::CERTIFICATE) => {
                let Message13::Certificate { entries, .. } =
                    Message13::read_body(typ, body, self.hash().len())?
                else {
                    return fail(AlertDescription::DecodeError, "Certificate");
                };
                let Some(leaf) = entries.first() else {
                    return fail(AlertDescription::DecodeError, "empty certificate_list");
                };
                self.server_leaf = leaf.cert_data.clone();
                if !self.cfg.modelled_signatures {
                    self.server_key =
                        Some(rsa_public_key(&leaf.cert_data).map_err(|r| Tls13Error {
                            alert: AlertDescription::BadCertificate,
                            reason: r,
                        })?);
                }
                self.transcript.add(whole);
                self.state = S::WaitCertificateVerify;
                Ok(())
            }
            (S::WaitCertificateVerify, hs::CERTIFICATE_VERIFY) => {
                let Message13::CertificateVerify { scheme, signature } =
                    Message13::read_body(typ, body, self.hash().len())?
                else {
                    return fail(AlertDescription::DecodeError, "CertificateVerify");
                };
                let content = certificate_verify_content(true, &self.transcript.hash(self.hash()));
                let ok = match &self.server_key {
                    _ if self.cfg.modelled_signatures => {
                        signature == modelled_cv(&self.server_leaf, scheme, &content)
                    }
                    Some(key) => verify_pss(key, scheme, &content, &signature),
                    None => false,
                };
                if !ok {
                    return fail(
                        AlertDescription::DecryptError,
                        format!("CertificateVerify ({scheme}) does not verify"),
                    );
                }
                self.transcript.add(whole);
                self.state = S::WaitFinished;
                Ok(())
            }
            (S::WaitFinished, hs::FINISHED) => self.server_finished(body, whole, out),
            (S::Connected, hs::NEW_SESSION_TICKET) => {
                let alg = self.hash();
                if let Message13::NewSessionTicket {
                    lifetime,
                    age_add,
                    nonce,
                    ticket,
                    ..
                } = Message13::read_body(typ, body, alg.len())?
                {
                    let psk = resumption_psk(alg, &self.resumption_master, &nonce);
                    self.tickets.push(Ticket13 {
                        ticket,
                        psk,
                        lifetime,
                        age_add,
                        suite: self.suite.unwrap_or(Tls13Suite::ALL[0]),
                        age_ms: 0,
                    });
                }
                Ok(())
            }
            (state, t) => fail(
                AlertDescription::UnexpectedMessage,
                format!("handshake type {t} in state {state:?}"),
            ),
        }
    }

    fn server_hello(
        &mut self,
        body: &[u8],
        whole: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Tls13Error> {
        let sh = ServerHello::from_bytes(body)?;
        let e = ServerHello13::parse(&sh)?;
        if e.selected_version != Some(ProtocolVersion::TLSv1_3) {
            // RFC 8446 §4.1.3: a TLS 1.2 ServerHello to a 1.3-only client.
            return fail(
                AlertDescription::ProtocolVersion,
                "server did not select TLS 1.3",
            );
        }
        let Some(suite) = Tls13Suite::from_id(sh.suite.0).filter(|s| self.cfg.suites.contains(s))
        else {
            return fail(AlertDescription::IllegalParameter, "suite not offered");
        };
        if sh.session_id != self.session_id {
            return fail(AlertDescription::IllegalParameter, "legacy_session_id_echo");
        }
        if let Some(s) = self.suite {
            if s != suite {
                // §4.1.4: the ServerHello must keep the HelloRetryRequest's suite.
                return fail(
                    AlertDescription::IllegalParameter,
                    "suite changed after HRR",
                );
            }
        }
        self.suite = Some(suite);
        let alg = suite.hash();
        if is_hello_retry_request(&sh) {
            let Some(group) = e.hrr_group else {
                return fail(AlertDescription::IllegalParameter, "HRR without key_share");
            };
            // §4.1.4: a second HRR, or one for a group offered already or never supported.
            if self.retried
                || !self.cfg.groups.contains(&group)
                || self.shares.iter().any(|k| k.group == group)
            {
                return fail(AlertDescription::IllegalParameter, "unacceptable HRR group");
            }
            let Some(kex) = Kex::generate(group, &mut self.rng) else {
                return fail(
                    AlertDescription::IllegalParameter,
                    "HRR group not implemented",
                );
            };
            self.retried = true;
            self.transcript.replace_with_message_hash(alg);
            self.transcript.add(whole);
            self.shares = vec![kex];
            if self.cfg.compat_mode {
                plaintext_record(20, 0x0303, &[1], out);
                self.ccs_sent = true;
            }
            let msg = self.client_hello(e.cookie)?;
            plaintext_record(22, 0x0303, &msg, out);
            return Ok(());
        }
        let psk = match e.selected_identity {
            None => {
                self.psk_rejected = self.psk_offered;
                None
            }
            Some(0) if self.psk_offered => match &self.cfg.resume {
                // §4.2.11: the selected PSK's hash must be the suite's.
                Some(t) if t.suite.hash() == alg => Some(t.psk.clone()),
                _ => return fail(AlertDescription::IllegalParameter, "PSK hash differs"),
            },
            Some(_) => {
                return fail(
                    AlertDescription::IllegalParameter,
                    "selected_identity not offered",
                )
            }
        };
        let z = match (e.key_share, psk.is_some()) {
            (None, true) if self.cfg.psk_modes.contains(&PSK_KE) => {
                // §7.1: without (EC)DHE the key schedule takes Hash.length zeros.
                self.resumed = Some(PSK_KE);
                self.group = Some(NamedGroup::Unknown(0));
                alg.zeros()
            }
            (None, _) => {
                // RFC 8446 §9.2: missing_extension(109).
                return fail(AlertDescription::from(109u8), "no key_share");
            }
            (Some(share), resumed) => {
                if resumed {
                    if !self.cfg.psk_modes.contains(&PSK_DHE_KE) {
                        return fail(AlertDescription::IllegalParameter, "psk_dhe_ke not offered");
                    }
                    self.resumed = Some(PSK_DHE_KE);
                }
                let Some(mine) = self.shares.iter().find(|k| k.group == share.group) else {
                    return fail(
                        AlertDescription::IllegalParameter,
                        "key_share group not offered",
                    );
                };
                let shared = mine.agree(&share.key_exchange, self.cfg.ffdhe_z)?;
                self.z_leading_zero = shared.z_leading_zero;
                self.group = Some(share.group);
                shared.secret
            }
        };
        self.transcript.add(whole);
        let hs_s = HandshakeSecrets::derive(
            alg,
            &early_secret(alg, psk.as_deref()),
            &z,
            &self.transcript.hash(alg),
        );
        self.rec.read = Some(layer(suite, &hs_s.server));
        // The client handshake write keys (RFC 8446 §7.3), for the second flight and for an
        // alert before it ([`Client13::fatal_alert`]).
        self.rec.write = Some(layer(suite, &hs_s.client));
        self.hs = Some(hs_s);
        self.state = ClientState::WaitEncryptedExtensions;
        Ok(())
    }

    fn server_finished(
        &mut self,
        body: &[u8],
        whole: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Tls13Error> {
        let suite = self.suite.expect("set by ServerHello");
        let alg = suite.hash();
        let hs_s = self.hs.clone().expect("set by ServerHello");
        check_finished(alg, body, &hs_s.server, &self.transcript, "server")?;
        self.transcript.add(whole);
        let ap =
            ApplicationSecrets::derive(alg, &hs_s.handshake_secret, &self.transcript.hash(alg));
        if self.cfg.compat_mode && !self.ccs_sent {
            plaintext_record(20, 0x0303, &[1], out);
            self.ccs_sent = true;
        }
        if let Some(context) = self.cert_request.clone() {
            let cert = Message13::Certificate {
                context,
                entries: vec![],
            }
            .to_bytes();
            self.rec.seal(22, &cert, out)?;
            self.transcript.add(&cert);
        }
        let fin = Message13::Finished(verify_data(alg, &hs_s.client, &self.transcript.hash(alg)))
            .to_bytes();
        self.rec.seal(22, &fin, out)?;
        self.transcript.add(&fin);
        self.resumption_master = ap.resumption_master_secret(alg, &self.transcript.hash(alg));
        self.rec.read = Some(layer(suite, &ap.server));
        self.rec.write = Some(layer(suite, &ap.client));
        self.ap = Some(ap);
        self.state = ClientState::Connected;
        Ok(())
    }

    /// The record(s) of a fatal alert this client sends now (RFC 8446 §6): protected under
    /// its current write keys (the handshake keys from the ServerHello on, then the
    /// application keys), after the middlebox-compatibility change_cipher_spec when that has
    /// not gone out yet (JSSE and GnuTLS send it first, docs/tls13-alerts.md); in plaintext
    /// before the ServerHello, and until its own Finished with
    /// [`Config13::plaintext_alerts`].
    pub fn fatal_alert(&mut self, desc: AlertDescription) -> Vec<u8> {
        let plaintext = self.cfg.plaintext_alerts && self.state != ClientState::Connected;
        let mut out = Vec::new();
        if self.rec.write.is_some() && !plaintext && self.cfg.compat_mode && !self.ccs_sent {
            plaintext_record(20, 0x0303, &[1], &mut out);
            self.ccs_sent = true;
        }
        self.rec.fatal_alert(desc, !plaintext, &mut out);
        out
    }

    /// The secrets for an SSLKEYLOGFILE (NSS key log format labels), once known.
    pub fn key_log(&self) -> Vec<(&'static str, [u8; 32], Vec<u8>)> {
        key_log(self.random, self.hs.as_ref(), self.ap.as_ref())
    }
}

/// NSS key log entries (label, client random, secret) from the secrets derived so far.
fn key_log(
    random: [u8; 32],
    hs: Option<&HandshakeSecrets>,
    ap: Option<&ApplicationSecrets>,
) -> Vec<(&'static str, [u8; 32], Vec<u8>)> {
    let mut v = Vec::new();
    if let Some(h) = hs {
        v.push(("CLIENT_HANDSHAKE_TRAFFIC_SECRET", random, h.client.clone()));
        v.push(("SERVER_HANDSHAKE_TRAFFIC_SECRET", random, h.server.clone()));
    }
    if let Some(a) = ap {
        v.push(("CLIENT_TRAFFIC_SECRET_0", random, a.client.clone()));
        v.push(("SERVER_TRAFFIC_SECRET_0", random, a.server.clone()));
        v.push(("EXPORTER_SECRET", random, a.exporter.clone()));
    }
    v
}

fn rsa_public_key(der: &[u8]) -> Result<rsa::RsaPublicKey, String> {
    use rsa::pkcs8::DecodePublicKey;
    use x509_cert::der::{Decode, Encode};
    let cert = x509_cert::Certificate::from_der(der).map_err(|e| format!("X.509: {e}"))?;
    let spki = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| format!("X.509 SPKI: {e}"))?;
    rsa::RsaPublicKey::from_public_key_der(&spki).map_err(|e| format!("not an RSA key: {e}"))
}

/// RFC 8446 §4.4.3: RSA signatures in TLS 1.3 are RSASSA-PSS only.
fn verify_pss(key: &rsa::RsaPublicKey, scheme: SignatureScheme, msg: &[u8], sig: &[u8]) -> bool {
    use rsa::pss::{Signature, VerifyingKey};
    use rsa::signature::Verifier;
    let Ok(s) = Signature::try_from(sig) else {
        return false;
    };
    match scheme {
        SignatureScheme::RsaPssRsaeSha256 => VerifyingKey::<sha2::Sha256>::new(key.clone())
            .verify(msg, &s)
            .is_ok(),
        SignatureScheme::RsaPssRsaeSha384 => VerifyingKey::<sha2::Sha384>::new(key.clone())
            .verify(msg, &s)
            .is_ok(),
        _ => false,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ServerState {
    WaitClientHello,
    WaitClientHello2,
    WaitFinished,
    Connected,
}

/// The server side: an RSA certificate chain and key (e.g. the bundled test material from
/// [`crate::engine::RealCrypto::test_server`]).
pub struct Server13<R: RngCore + CryptoRng> {
    cfg: Config13,
    rng: R,
    certs: Vec<Vec<u8>>,
    key: rsa::RsaPrivateKey,
    state: ServerState,
    rec: Records,
    transcript: Transcript,
    suite: Option<Tls13Suite>,
    group: Option<NamedGroup>,
    retried: bool,
    z_leading_zero: bool,
    resumed: Option<u8>,
    psk_rejected: bool,
    ticket_key: [u8; 32],
    tickets_sent: u8,
    hs: Option<HandshakeSecrets>,
    ap: Option<ApplicationSecrets>,
}

impl<R: RngCore + CryptoRng> Server13<R> {
    /// The secrets for an SSLKEYLOGFILE, once known, under the connection's
    /// `client_random` (as [`Client13::key_log`]).
    pub fn key_log(&self, client_random: [u8; 32]) -> Vec<(&'static str, [u8; 32], Vec<u8>)> {
        key_log(client_random, self.hs.as_ref(), self.ap.as_ref())
    }

    /// Once this side computed an FFDHE shared secret: whether its Z had a leading zero
    /// byte (the connections on which a padding and a stripping peer disagree, RFC 8446
    /// §7.4.1). None before, or on an elliptic-curve group.
    pub fn ffdhe_z_leading_zero(&self) -> Option<bool> {
        self.group
            .filter(|g| is_ffdhe(*g))
            .map(|_| self.z_leading_zero)
    }

    pub fn new(cfg: Config13, certs: Vec<Vec<u8>>, key: rsa::RsaPrivateKey, mut rng: R) -> Self {
        let ticket_key = cfg.ticket_key.unwrap_or_else(|| {
            let mut k = [0u8; 32];
            rng.fill_bytes(&mut k);
            k
        });
        Server13 {
            cfg,
            rng,
            certs,
            key,
            state: ServerState::WaitClientHello,
            rec: Records::new(),
            transcript: Transcript::new(),
            suite: None,
            group: None,
            retried: false,
            z_leading_zero: false,
            resumed: None,
            psk_rejected: false,
            ticket_key,
            tickets_sent: 0,
            hs: None,
            ap: None,
        }
    }

    pub fn is_connected(&self) -> bool {
        self.state == ServerState::Connected
    }

    /// The record of a fatal alert this server sends now (RFC 8446 §6): plaintext while it
    /// has no keys (a refused ClientHello), else protected under its current write keys,
    /// the application keys once its Finished went out. OpenSSL 3.0, GnuTLS 3.7, JSSE 17
    /// and NSS were all observed protecting their alert on a bad client Finished
    /// (docs/tls13-alerts.md).
    pub fn fatal_alert(&mut self, desc: AlertDescription) -> Vec<u8> {
        let mut out = Vec::new();
        self.rec.fatal_alert(desc, true, &mut out);
        out
    }

    /// The handshake message the server waits for next (None once connected).
    pub fn awaiting(&self) -> Option<crate::wire::HandshakeType> {
        use crate::wire::HandshakeType as T;
        match self.state {
            ServerState::WaitClientHello | ServerState::WaitClientHello2 => Some(T::ClientHello),
            ServerState::WaitFinished => Some(T::Finished),
            ServerState::Connected => None,
        }
    }

    fn handle(
        &mut self,
        typ: u8,
        body: &[u8],
        whole: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Tls13Error> {
        match (self.state, typ) {
            (ServerState::WaitClientHello | ServerState::WaitClientHello2, hs::CLIENT_HELLO) => {
                self.client_hello(body, whole, out)
            }
            (ServerState::WaitFinished, hs::FINISHED) => self.client_finished(body, whole, out),
            (state, t) => fail(
                AlertDescription::UnexpectedMessage,
                format!("handshake type {t} in state {state:?}"),
            ),
        }
    }

    fn client_hello(
        &mut self,
        body: &[u8],
        whole: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Tls13Error> {
        let ch = ClientHello::from_bytes(body)?;
        let e = ClientHello13::parse(&ch)?;
        if !e.offers_tls13() {
            return fail(
                AlertDescription::ProtocolVersion,
                "client does not offer TLS 1.3",
            );
        }
        let suite = match self.suite {
            Some(s) => s,
            None => {
                let Some(s) = self
                    .cfg
                    .suites
                    .iter()
                    .copied()
                    .find(|s| ch.suites.contains(&CipherSuite(s.id())))
                else {
                    return fail(
                        AlertDescription::HandshakeFailure,
                        "no common TLS 1.3 suite",
                    );
                };
                s
            }
        };
        self.suite = Some(suite);
        let alg = suite.hash();
        let psk = self.accept_psk(&e, whole, suite)?;
        let psk_ke = psk.as_ref().is_some_and(|(_, m)| *m == PSK_KE);
        let shares = e.key_shares.clone().unwrap_or_default();
        let client_groups = ch.groups().unwrap_or(&[]).to_vec();
        let chosen = self
            .cfg
            .groups
            .iter()
            .find_map(|g| shares.iter().find(|s| s.group == *g && kex::supported(*g)));
        let chosen = if psk_ke { None } else { chosen };
        let Some(share) = chosen.filter(|_| !psk_ke) else {
            if psk_ke {
                return self.server_flight(&ch, whole, suite, psk, None, out);
            }
            // §4.1.4: ask for a share of a group both support, once.
            let Some(g) = self
                .cfg
                .groups
                .iter()
                .copied()
                .find(|g| client_groups.contains(g) && kex::supported(*g))
            else {
                return fail(AlertDescription::HandshakeFailure, "no common group");
            };
            if self.retried {
                return fail(
                    AlertDescription::IllegalParameter,
                    "second ClientHello without the share",
                );
            }
            self.retried = true;
            self.transcript.add(whole);
            self.transcript.replace_with_message_hash(alg);
            let hrr13 = ServerHello13 {
                selected_version: Some(ProtocolVersion::TLSv1_3),
                hrr_group: Some(g),
                ..Default::default()
            };
            let hrr = ServerHello {
                version: ProtocolVersion::TLSv1_2,
                random: crate::wire::tls13::HRR_RANDOM,
                session_id: ch.session_id.clone(),
                suite: CipherSuite(suite.id()),
                compression: CompressionMethod::Null,
                extensions: hrr13.to_extensions(),
            };
            let msg = handshake_message(hs::SERVER_HELLO, &hrr.to_bytes());
            self.transcript.add(&msg);
            plaintext_record(22, 0x0303, &msg, out);
            if !ch.session_id.is_empty() {
                plaintext_record(20, 0x0303, &[1], out);
            }
            self.state = ServerState::WaitClientHello2;
            return Ok(());
        };
        let share = share.clone();
        self.server_flight(&ch, whole, suite, psk, Some(share), out)
    }

    /// §4.2.11: the first offered identity, if it is one of this server's tickets, young
    /// enough, of the suite's hash, with a common PSK mode and a binder that verifies (a
    /// binder that does not verify aborts with decrypt_error). `None`: full handshake.
    fn accept_psk(
        &mut self,
        e: &ClientHello13,
        whole: &[u8],
        suite: Tls13Suite,
    ) -> Result<Option<(Vec<u8>, u8)>, Tls13Error> {
        let Some(offer) = &e.psk else {
            return Ok(None);
        };
        let client_modes = e.psk_modes.clone().unwrap_or_default();
        let mode = self
            .cfg
            .psk_modes
            .iter()
            .copied()
            .find(|m| client_modes.contains(m));
        let (Some(mode), Some(id)) = (mode, offer.identities.first()) else {
            self.psk_rejected = true;
            return Ok(None);
        };
        let alg = suite.hash();
        let st = ticket::open(&self.ticket_key, &id.identity).filter(|st| {
            let age_ms = id.obfuscated_ticket_age.wrapping_sub(st.age_add);
            let lifetime = st.lifetime.min(self.cfg.ticket_lifetime);
            st.suite.hash() == alg && u64::from(age_ms) <= u64::from(lifetime) * 1000
        });
        let Some(st) = st else {
            self.psk_rejected = true;
            return Ok(None);
        };
        let Some(cut) = binder_truncation_len(whole, offer) else {
            return fail(
                AlertDescription::DecodeError,
                "ClientHello shorter than binders",
            );
        };
        let hash = self.transcript.hash_with(alg, &whole[..cut]);
        let bk = binder_key(alg, &early_secret(alg, Some(&st.psk)), true);
        if offer.binders.first() != Some(&psk_binder(alg, &bk, &hash)) {
            return fail(AlertDescription::DecryptError, "PSK binder does not verify");
        }
        self.psk_rejected = false;
        Ok(Some((st.psk, mode)))
    }

    /// ServerHello and the encrypted flight through the server Finished; `share` is the
    /// client's share to answer (none in a psk_ke resumption).
    fn server_flight(
        &mut self,
        ch: &ClientHello,
        whole: &[u8],
        suite: Tls13Suite,
        psk: Option<(Vec<u8>, u8)>,
        share: Option<KeyShareEntry>,
        out: &mut Vec<u8>,
    ) -> Result<(), Tls13Error> {
        let alg = suite.hash();
        let (z, key_share) = match &share {
            Some(share) => {
                let Some(kp) = Kex::generate(share.group, &mut self.rng) else {
                    return fail(AlertDescription::InternalError, "group filtered above");
                };
                let shared = kp.agree(&share.key_exchange, self.cfg.ffdhe_z)?;
                self.z_leading_zero = shared.z_leading_zero;
                self.group = Some(share.group);
                (
                    shared.secret,
                    Some(KeyShareEntry {
                        group: share.group,
                        key_exchange: kp.public(),
                    }),
                )
            }
            None => {
                self.group = Some(NamedGroup::Unknown(0));
                (alg.zeros(), None)
            }
        };
        self.resumed = psk.as_ref().map(|(_, m)| *m);
        self.transcript.add(whole);
        let mut random = [0u8; 32];
        self.rng.fill_bytes(&mut random);
        let sh13 = ServerHello13 {
            selected_version: Some(ProtocolVersion::TLSv1_3),
            key_share,
            selected_identity: psk.as_ref().map(|_| 0),
            ..Default::default()
        };
        let sh = ServerHello {
            version: ProtocolVersion::TLSv1_2,
            random,
            session_id: ch.session_id.clone(),
            suite: CipherSuite(suite.id()),
            compression: CompressionMethod::Null,
            extensions: sh13.to_extensions(),
        };
        let msg = handshake_message(hs::SERVER_HELLO, &sh.to_bytes());
        self.transcript.add(&msg);
        plaintext_record(22, 0x0303, &msg, out);
        if !ch.session_id.is_empty() && !self.retried {
            plaintext_record(20, 0x0303, &[1], out);
        }
        let hs_s = HandshakeSecrets::derive(
            alg,
            &early_secret(alg, psk.as_ref().map(|(k, _)| k.as_slice())),
            &z,
            &self.transcript.hash(alg),
        );
        self.rec.write = Some(layer(suite, &hs_s.server));
        self.rec.read = Some(layer(suite, &hs_s.client));

        let mut flight = Vec::new();
        let mut add = |t: &mut Transcript, m: Message13| {
            let b = m.to_bytes();
            t.add(&b);
            flight.extend_from_slice(&b);
        };
        let ee = if self.cfg.server_name.is_empty() || ch.server_name().is_none() {
            vec![]
        } else {
            vec![Extension::new(0, vec![])]
        };
        add(&mut self.transcript, Message13::EncryptedExtensions(ee));
        if self.resumed.is_none() {
            self.certificate_flight(ch, &mut add)?;
        }
        let fin = verify_data(alg, &hs_s.server, &self.transcript.hash(alg));
        add(&mut self.transcript, Message13::Finished(fin));
        self.rec.seal(22, &flight, out)?;
        let ap =
            ApplicationSecrets::derive(alg, &hs_s.handshake_secret, &self.transcript.hash(alg));
        self.rec.write = Some(layer(suite, &ap.server));
        self.hs = Some(hs_s);
        self.ap = Some(ap);
        self.state = ServerState::WaitFinished;
        Ok(())
    }

    /// Certificate and CertificateVerify of a full handshake.
    fn certificate_flight(
        &mut self,
        ch: &ClientHello,
        add: &mut impl FnMut(&mut Transcript, Message13),
    ) -> Result<(), Tls13Error> {
        let alg = self.suite.map_or(HashAlg::Sha256, |s| s.hash());
        add(
            &mut self.transcript,
            Message13::Certificate {
                context: vec![],
                entries: self
                    .certs
                    .iter()
                    .map(|c| CertificateEntry {
                        cert_data: c.clone(),
                        extensions: vec![],
                    })
                    .collect(),
            },
        );
        let offered = ch.sig_algs().unwrap_or(&[]);
        let scheme = [
            SignatureScheme::RsaPssRsaeSha256,
            SignatureScheme::RsaPssRsaeSha384,
        ]
        .into_iter()
        .find(|s| offered.contains(s));
        let Some(scheme) = scheme else {
            return fail(
                AlertDescription::HandshakeFailure,
                "client offers no RSA-PSS scheme",
            );
        };
        let content = certificate_verify_content(true, &self.transcript.hash(alg));
        let signature = if self.cfg.modelled_signatures {
            modelled_cv(
                self.certs.first().map_or(&[][..], |c| c.as_slice()),
                scheme,
                &content,
            )
        } else {
            sign_pss(&self.key, scheme, &content, &mut self.rng)
        };
        add(
            &mut self.transcript,
            Message13::CertificateVerify { scheme, signature },
        );
        Ok(())
    }

    fn client_finished(
        &mut self,
        body: &[u8],
        whole: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Tls13Error> {
        let suite = self.suite.expect("set by ClientHello");
        let alg = suite.hash();
        let hs_s = self.hs.clone().expect("set by ClientHello");
        check_finished(alg, body, &hs_s.client, &self.transcript, "client")?;
        self.transcript.add(whole);
        let ap = self.ap.clone().expect("derived with the server Finished");
        self.rec.read = Some(layer(suite, &ap.client));
        self.state = ServerState::Connected;
        if self.cfg.send_ticket {
            // §4.6.1: the PSK is HKDF-Expand-Label(resumption_master_secret, "resumption",
            // ticket_nonce); the ticket seals it under this server's ticket key.
            let rms = ap.resumption_master_secret(alg, &self.transcript.hash(alg));
            let nonce = vec![self.tickets_sent];
            self.tickets_sent = self.tickets_sent.wrapping_add(1);
            let st = ticket::TicketState {
                suite,
                age_add: self.rng.next_u32(),
                lifetime: self.cfg.ticket_lifetime,
                psk: resumption_psk(alg, &rms, &nonce),
            };
            let mut seal_nonce = [0u8; 12];
            self.rng.fill_bytes(&mut seal_nonce);
            let nst = Message13::NewSessionTicket {
                lifetime: st.lifetime,
                age_add: st.age_add,
                nonce,
                ticket: ticket::seal(&self.ticket_key, seal_nonce, &st),
                extensions: vec![],
            };
            self.rec.seal(22, &nst.to_bytes(), out)?;
        }
        Ok(())
    }
}

fn sign_pss(
    key: &rsa::RsaPrivateKey,
    scheme: SignatureScheme,
    msg: &[u8],
    rng: &mut (impl RngCore + CryptoRng),
) -> Vec<u8> {
    use rsa::pss::BlindedSigningKey;
    use rsa::signature::{RandomizedSigner, SignatureEncoding};
    match scheme {
        SignatureScheme::RsaPssRsaeSha384 => BlindedSigningKey::<sha2::Sha384>::new(key.clone())
            .sign_with_rng(rng, msg)
            .to_vec(),
        _ => BlindedSigningKey::<sha2::Sha256>::new(key.clone())
            .sign_with_rng(rng, msg)
            .to_vec(),
    }
}

/// Runs a client and a server against each other in memory until both are connected or one
/// fails (the failing side's error is returned).
pub fn handshake_in_memory<A, B>(
    client: &mut Client13<A>,
    server: &mut Server13<B>,
) -> Result<(), Tls13Error>
where
    A: RngCore + CryptoRng,
    B: RngCore + CryptoRng,
{
    let mut to_server = client.start()?;
    for _ in 0..8 {
        let to_client = server.receive(&to_server)?;
        to_server = client.receive(&to_client)?;
        if client.is_connected() && server.is_connected() && to_server.is_empty() {
            return Ok(());
        }
    }
    fail(AlertDescription::InternalError, "handshake did not finish")
}

#[cfg(test)]
mod tests;
