//! TLS 1.3 wire messages (RFC 8446 §4): the hello extensions TLS 1.3 adds
//! (supported_versions, key_share, pre_shared_key, psk_key_exchange_modes, cookie,
//! early_data), the messages after ServerHello (EncryptedExtensions, Certificate with its
//! request context and per-entry extensions, CertificateRequest, CertificateVerify, Finished,
//! NewSessionTicket, KeyUpdate, EndOfEarlyData), the HelloRetryRequest random and the
//! downgrade sentinels (§4.1.3).
//!
//! ClientHello and ServerHello themselves are the TLS 1.2 structures of
//! [`super::messages`]: their TLS 1.3 extensions travel there as
//! `ClientExtension::Unknown` / `ServerExtension::Unknown` (raw bytes, so a hello re-encodes
//! byte for byte) and are read and built with the typed helpers here.

use super::codec::{put_nested, put_u16, put_u24, put_u32, put_vec, InvalidMessage, Reader};
use super::enums::{NamedGroup, ProtocolVersion, SignatureScheme};
use super::extensions::{ClientExtension, ServerExtension};
use super::messages::{ClientHello, Random, ServerHello};

/// Extension code points TLS 1.3 adds (RFC 8446 §4.2).
pub mod ext {
    pub const SERVER_NAME: u16 = 0;
    pub const SUPPORTED_GROUPS: u16 = 10;
    pub const SIGNATURE_ALGORITHMS: u16 = 13;
    pub const PRE_SHARED_KEY: u16 = 41;
    pub const EARLY_DATA: u16 = 42;
    pub const SUPPORTED_VERSIONS: u16 = 43;
    pub const COOKIE: u16 = 44;
    pub const PSK_KEY_EXCHANGE_MODES: u16 = 45;
    pub const CERTIFICATE_AUTHORITIES: u16 = 47;
    pub const SIGNATURE_ALGORITHMS_CERT: u16 = 50;
    pub const KEY_SHARE: u16 = 51;
}

/// Handshake types TLS 1.3 adds or keeps (RFC 8446 §4).
pub mod hs {
    pub const CLIENT_HELLO: u8 = 1;
    pub const SERVER_HELLO: u8 = 2;
    pub const NEW_SESSION_TICKET: u8 = 4;
    pub const END_OF_EARLY_DATA: u8 = 5;
    pub const ENCRYPTED_EXTENSIONS: u8 = 8;
    pub const CERTIFICATE: u8 = 11;
    pub const CERTIFICATE_REQUEST: u8 = 13;
    pub const CERTIFICATE_VERIFY: u8 = 15;
    pub const FINISHED: u8 = 20;
    pub const KEY_UPDATE: u8 = 24;
    pub const MESSAGE_HASH: u8 = 254;
}

/// PskKeyExchangeMode (RFC 8446 §4.2.9).
pub const PSK_KE: u8 = 0;
pub const PSK_DHE_KE: u8 = 1;

/// The ServerHello.random of a HelloRetryRequest: SHA-256("HelloRetryRequest")
/// (RFC 8446 §4.1.3).
pub const HRR_RANDOM: Random = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// The last 8 bytes of ServerHello.random from a TLS 1.3 server negotiating TLS 1.2
/// (RFC 8446 §4.1.3): "DOWNGRD" 01.
pub const DOWNGRADE_TLS12: [u8; 8] = [0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01];
/// ... negotiating TLS 1.1 or below: "DOWNGRD" 00.
pub const DOWNGRADE_TLS11: [u8; 8] = [0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x00];

/// Which downgrade a ServerHello.random announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Downgrade {
    ToTls12,
    ToTls11OrBelow,
}

/// The sentinel in the last 8 bytes of `random`, if any (RFC 8446 §4.1.3).
pub fn downgrade_sentinel(random: &Random) -> Option<Downgrade> {
    match &random[24..] {
        s if s == DOWNGRADE_TLS12 => Some(Downgrade::ToTls12),
        s if s == DOWNGRADE_TLS11 => Some(Downgrade::ToTls11OrBelow),
        _ => None,
    }
}

/// Writes the sentinel for a server that supports TLS 1.3 and negotiated `version`
/// (RFC 8446 §4.1.3); nothing for TLS 1.3 itself.
pub fn set_downgrade_sentinel(random: &mut Random, version: ProtocolVersion) {
    match version {
        ProtocolVersion::TLSv1_3 => {}
        ProtocolVersion::TLSv1_2 => random[24..].copy_from_slice(&DOWNGRADE_TLS12),
        _ => random[24..].copy_from_slice(&DOWNGRADE_TLS11),
    }
}

/// A ClientHello record with its supported_versions extension removed, as a
/// TLS-inspecting middlebox that rewrites hellos it does not understand leaves it: the
/// server then sees a TLS 1.2 ClientHello, and a TLS 1.3 server answering it with TLS 1.2
/// writes the downgrade sentinel (RFC 8446 §4.1.3). None when `record` is not one whole
/// ClientHello record, or has no supported_versions (nothing to rewrite).
pub fn strip_supported_versions(record: &[u8]) -> Option<Vec<u8>> {
    if record.len() < 5 || record[0] != 22 {
        return None;
    }
    let len = usize::from(u16::from_be_bytes([record[3], record[4]]));
    if record.len() != 5 + len {
        return None;
    }
    let msg = super::HandshakeMessage::read(&mut Reader::new(&record[5..]), true).ok()?;
    let super::HandshakePayload::ClientHello(mut ch) = msg.payload else {
        return None;
    };
    let before = ch.extensions.len();
    ch.extensions.retain(
        |e| !matches!(e, ClientExtension::Unknown { typ, .. } if *typ == ext::SUPPORTED_VERSIONS),
    );
    if ch.extensions.len() == before {
        return None;
    }
    let body = super::HandshakeMessage {
        payload: super::HandshakePayload::ClientHello(ch),
    }
    .to_bytes();
    let mut out = record[..3].to_vec();
    out.extend_from_slice(&u16::try_from(body.len()).ok()?.to_be_bytes());
    out.extend_from_slice(&body);
    Some(out)
}

pub fn is_hello_retry_request(sh: &ServerHello) -> bool {
    sh.random == HRR_RANDOM
}

/// One raw extension (type and body), for the TLS 1.3 messages whose extension lists
/// tlsim does not otherwise model (EncryptedExtensions, Certificate entries,
/// CertificateRequest, NewSessionTicket).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    pub typ: u16,
    pub data: Vec<u8>,
}

impl Extension {
    pub fn new(typ: u16, data: Vec<u8>) -> Self {
        Extension { typ, data }
    }
}

/// Writes `extensions<0..2^16-1>` (always present in TLS 1.3 messages, empty or not).
pub fn put_extension_list(out: &mut Vec<u8>, exts: &[Extension]) {
    put_nested(out, 2, |b| {
        for e in exts {
            put_u16(b, e.typ);
            put_vec(b, 2, &e.data);
        }
    });
}

/// Reads `extensions<0..2^16-1>`, refusing a duplicate type (RFC 8446 §4.2).
pub fn read_extension_list(r: &mut Reader) -> Result<Vec<Extension>, InvalidMessage> {
    let mut block = r.sub(2)?;
    let mut out: Vec<Extension> = Vec::new();
    while !block.is_empty() {
        let typ = block.u16()?;
        let data = block.sub(2)?.rest().to_vec();
        if out.iter().any(|e| e.typ == typ) {
            return Err(InvalidMessage::DuplicateExtension(typ));
        }
        out.push(Extension { typ, data });
    }
    Ok(out)
}

fn find(exts: &[Extension], typ: u16) -> Option<&[u8]> {
    exts.iter()
        .find(|e| e.typ == typ)
        .map(|e| e.data.as_slice())
}

/// A key_share entry (RFC 8446 §4.2.8): group and key_exchange<1..2^16-1>.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyShareEntry {
    pub group: NamedGroup,
    pub key_exchange: Vec<u8>,
}

impl KeyShareEntry {
    fn encode(&self, out: &mut Vec<u8>) {
        put_u16(out, self.group.to_u16());
        put_vec(out, 2, &self.key_exchange);
    }

    fn read(r: &mut Reader) -> Result<Self, InvalidMessage> {
        let group = NamedGroup::from(r.u16()?);
        let key_exchange = r.opaque(2, 1, 0xffff, "key_exchange")?.to_vec();
        Ok(KeyShareEntry {
            group,
            key_exchange,
        })
    }
}

/// A PSK identity (RFC 8446 §4.2.11): identity<1..2^16-1> and obfuscated_ticket_age.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PskIdentity {
    pub identity: Vec<u8>,
    pub obfuscated_ticket_age: u32,
}

/// OfferedPsks (RFC 8446 §4.2.11): identities<7..2^16-1> and binders<33..2^16-1>, each
/// binder opaque<32..255>.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferedPsks {
    pub identities: Vec<PskIdentity>,
    pub binders: Vec<Vec<u8>>,
}

impl OfferedPsks {
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_nested(out, 2, |b| {
            for id in &self.identities {
                put_vec(b, 2, &id.identity);
                put_u32(b, id.obfuscated_ticket_age);
            }
        });
        self.encode_binders(out);
    }

    fn encode_binders(&self, out: &mut Vec<u8>) {
        put_nested(out, 2, |b| {
            for binder in &self.binders {
                put_vec(b, 1, binder);
            }
        });
    }

    /// Bytes the binders list takes at the end of the ClientHello (its length prefix
    /// included): what §4.2.11.2's truncated ClientHello leaves out.
    pub fn binders_len(&self) -> usize {
        2 + self.binders.iter().map(|b| 1 + b.len()).sum::<usize>()
    }

    pub fn read(r: &mut Reader) -> Result<Self, InvalidMessage> {
        let mut ids = r.sub(2)?;
        let mut identities = Vec::new();
        while !ids.is_empty() {
            let identity = ids.opaque(2, 1, 0xffff, "psk identity")?.to_vec();
            let obfuscated_ticket_age = ids.u32()?;
            identities.push(PskIdentity {
                identity,
                obfuscated_ticket_age,
            });
        }
        let mut bl = r.sub(2)?;
        let mut binders = Vec::new();
        while !bl.is_empty() {
            binders.push(bl.opaque(1, 32, 255, "psk binder")?.to_vec());
        }
        if identities.is_empty() {
            return Err(InvalidMessage::EmptyVector("psk identities"));
        }
        // RFC 8446 §4.2.11: one binder per identity.
        if binders.len() != identities.len() {
            return Err(InvalidMessage::IllegalParameter("psk binder count"));
        }
        Ok(OfferedPsks {
            identities,
            binders,
        })
    }
}

/// The TLS 1.3 extensions of a ClientHello, typed. Each field is `None` when the extension
/// is absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientHello13 {
    /// supported_versions: ProtocolVersion versions<2..254> (§4.2.1).
    pub supported_versions: Option<Vec<ProtocolVersion>>,
    /// key_share: KeyShareEntry client_shares<0..2^16-1> (§4.2.8).
    pub key_shares: Option<Vec<KeyShareEntry>>,
    /// psk_key_exchange_modes: ke_modes<1..255> (§4.2.9).
    pub psk_modes: Option<Vec<u8>>,
    /// cookie: opaque cookie<1..2^16-1> (§4.2.2).
    pub cookie: Option<Vec<u8>>,
    /// early_data: empty in a ClientHello (§4.2.10).
    pub early_data: bool,
    /// pre_shared_key: OfferedPsks (§4.2.11); must be the last extension.
    pub psk: Option<OfferedPsks>,
}

fn raw_client_ext(ch: &ClientHello, typ: u16) -> Option<&[u8]> {
    ch.extensions.iter().find_map(|e| match e {
        ClientExtension::Unknown { typ: t, data } if *t == typ => Some(data.as_slice()),
        _ => None,
    })
}

fn raw_server_ext(sh: &ServerHello, typ: u16) -> Option<&[u8]> {
    sh.extensions.iter().find_map(|e| match e {
        ServerExtension::Unknown { typ: t, data } if *t == typ => Some(data.as_slice()),
        _ => None,
    })
}

fn whole<T>(
    data: &[u8],
    f: impl FnOnce(&mut Reader) -> Result<T, InvalidMessage>,
) -> Result<T, InvalidMessage> {
    let mut r = Reader::new(data);
    let v = f(&mut r)?;
    r.expect_empty()?;
    Ok(v)
}

impl ClientHello13 {
    /// Reads the TLS 1.3 extensions of `ch`. pre_shared_key that is not the last extension is
    /// illegal_parameter (RFC 8446 §4.2.11).
    pub fn parse(ch: &ClientHello) -> Result<Self, InvalidMessage> {
        let mut out = ClientHello13::default();
        if let Some(d) = raw_client_ext(ch, ext::SUPPORTED_VERSIONS) {
            out.supported_versions = Some(whole(d, |r| {
                let mut l = r.sub(1)?;
                if l.left() < 2 || l.left() % 2 != 0 {
                    return Err(InvalidMessage::UnexpectedValue("supported_versions"));
                }
                let mut v = Vec::new();
                while !l.is_empty() {
                    v.push(ProtocolVersion::from(l.u16()?));
                }
                Ok(v)
            })?);
        }
        if let Some(d) = raw_client_ext(ch, ext::KEY_SHARE) {
            out.key_shares = Some(whole(d, |r| {
                let mut l = r.sub(2)?;
                let mut v: Vec<KeyShareEntry> = Vec::new();
                while !l.is_empty() {
                    let e = KeyShareEntry::read(&mut l)?;
                    // §4.2.8: no two shares for the same group.
                    if v.iter().any(|x| x.group == e.group) {
                        return Err(InvalidMessage::IllegalParameter(
                            "duplicate key_share group",
                        ));
                    }
                    v.push(e);
                }
                Ok(v)
            })?);
        }
        if let Some(d) = raw_client_ext(ch, ext::PSK_KEY_EXCHANGE_MODES) {
            out.psk_modes = Some(whole(d, |r| {
                Ok(r.opaque(1, 1, 255, "psk_key_exchange_modes")?.to_vec())
            })?);
        }
        if let Some(d) = raw_client_ext(ch, ext::COOKIE) {
            out.cookie = Some(whole(d, |r| {
                Ok(r.opaque(2, 1, 0xffff, "cookie")?.to_vec())
            })?);
        }
        if let Some(d) = raw_client_ext(ch, ext::EARLY_DATA) {
            whole(d, |_| Ok(()))?;
            out.early_data = true;
        }
        if let Some(d) = raw_client_ext(ch, ext::PRE_SHARED_KEY) {
            let last = ch.extensions.last().map(|e| e.ext_type().to_u16());
            if last != Some(ext::PRE_SHARED_KEY) {
                return Err(InvalidMessage::IllegalParameter("pre_shared_key not last"));
            }
            out.psk = Some(whole(d, OfferedPsks::read)?);
        }
        Ok(out)
    }

    /// The extensions to append to a ClientHello's list, in a fixed order with
    /// pre_shared_key last.
    pub fn to_extensions(&self) -> Vec<ClientExtension> {
        let mut v = Vec::new();
        let mut push = |typ: u16, data: Vec<u8>| v.push(ClientExtension::Unknown { typ, data });
        if let Some(versions) = &self.supported_versions {
            let mut d = Vec::new();
            put_nested(&mut d, 1, |b| {
                for ver in versions {
                    put_u16(b, ver.to_u16());
                }
            });
            push(ext::SUPPORTED_VERSIONS, d);
        }
        if let Some(shares) = &self.key_shares {
            let mut d = Vec::new();
            put_nested(&mut d, 2, |b| {
                for s in shares {
                    s.encode(b);
                }
            });
            push(ext::KEY_SHARE, d);
        }
        if let Some(modes) = &self.psk_modes {
            let mut d = Vec::new();
            put_vec(&mut d, 1, modes);
            push(ext::PSK_KEY_EXCHANGE_MODES, d);
        }
        if let Some(c) = &self.cookie {
            let mut d = Vec::new();
            put_vec(&mut d, 2, c);
            push(ext::COOKIE, d);
        }
        if self.early_data {
            push(ext::EARLY_DATA, Vec::new());
        }
        if let Some(p) = &self.psk {
            let mut d = Vec::new();
            p.encode(&mut d);
            push(ext::PRE_SHARED_KEY, d);
        }
        v
    }

    /// Whether this ClientHello offers TLS 1.3 (supported_versions lists 0x0304).
    pub fn offers_tls13(&self) -> bool {
        self.supported_versions
            .as_ref()
            .is_some_and(|v| v.contains(&ProtocolVersion::TLSv1_3))
    }
}

/// The length of the PartialClientHello over which PSK binders are computed (RFC 8446
/// §4.2.11.2): the whole encoded ClientHello handshake message minus its binders list.
pub fn binder_truncation_len(ch_message: &[u8], psk: &OfferedPsks) -> Option<usize> {
    ch_message.len().checked_sub(psk.binders_len())
}

/// The TLS 1.3 extensions of a ServerHello or HelloRetryRequest, typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerHello13 {
    /// supported_versions: selected_version (§4.2.1).
    pub selected_version: Option<ProtocolVersion>,
    /// key_share in a ServerHello: one KeyShareEntry (§4.2.8).
    pub key_share: Option<KeyShareEntry>,
    /// key_share in a HelloRetryRequest: selected_group (§4.2.8).
    pub hrr_group: Option<NamedGroup>,
    /// cookie in a HelloRetryRequest (§4.2.2).
    pub cookie: Option<Vec<u8>>,
    /// pre_shared_key in a ServerHello: selected_identity (§4.2.11).
    pub selected_identity: Option<u16>,
}

impl ServerHello13 {
    /// Reads the TLS 1.3 extensions of `sh`; `hrr` decides how key_share reads.
    pub fn parse(sh: &ServerHello) -> Result<Self, InvalidMessage> {
        let hrr = is_hello_retry_request(sh);
        let mut out = ServerHello13::default();
        if let Some(d) = raw_server_ext(sh, ext::SUPPORTED_VERSIONS) {
            out.selected_version = Some(whole(d, |r| Ok(ProtocolVersion::from(r.u16()?)))?);
        }
        if let Some(d) = raw_server_ext(sh, ext::KEY_SHARE) {
            if hrr {
                out.hrr_group = Some(whole(d, |r| Ok(NamedGroup::from(r.u16()?)))?);
            } else {
                out.key_share = Some(whole(d, KeyShareEntry::read)?);
            }
        }
        if let Some(d) = raw_server_ext(sh, ext::COOKIE) {
            out.cookie = Some(whole(d, |r| {
                Ok(r.opaque(2, 1, 0xffff, "cookie")?.to_vec())
            })?);
        }
        if let Some(d) = raw_server_ext(sh, ext::PRE_SHARED_KEY) {
            out.selected_identity = Some(whole(d, |r| r.u16())?);
        }
        Ok(out)
    }

    /// The extensions of a ServerHello / HelloRetryRequest in the order RFC 8448's traces
    /// use: key_share (or pre_shared_key first when resuming), cookie, supported_versions.
    pub fn to_extensions(&self) -> Vec<ServerExtension> {
        let mut v = Vec::new();
        let mut push = |typ: u16, data: Vec<u8>| v.push(ServerExtension::Unknown { typ, data });
        if let Some(i) = self.selected_identity {
            push(ext::PRE_SHARED_KEY, i.to_be_bytes().to_vec());
        }
        if let Some(ks) = &self.key_share {
            let mut d = Vec::new();
            ks.encode(&mut d);
            push(ext::KEY_SHARE, d);
        }
        if let Some(g) = self.hrr_group {
            push(ext::KEY_SHARE, g.to_u16().to_be_bytes().to_vec());
        }
        if let Some(c) = &self.cookie {
            let mut d = Vec::new();
            put_vec(&mut d, 2, c);
            push(ext::COOKIE, d);
        }
        if let Some(ver) = self.selected_version {
            push(ext::SUPPORTED_VERSIONS, ver.to_u16().to_be_bytes().to_vec());
        }
        v
    }
}

/// A certificate_list entry (RFC 8446 §4.4.2): cert_data<1..2^24-1> and extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateEntry {
    pub cert_data: Vec<u8>,
    pub extensions: Vec<Extension>,
}

/// The TLS 1.3 messages after ServerHello (RFC 8446 §4.3–§4.6, §4.5), and their encoding as
/// handshake messages (type, uint24 length, body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message13 {
    /// §4.3.1
    EncryptedExtensions(Vec<Extension>),
    /// §4.3.2: certificate_request_context<0..255>, extensions<2..2^16-1>.
    CertificateRequest {
        context: Vec<u8>,
        extensions: Vec<Extension>,
    },
    /// §4.4.2: certificate_request_context<0..255>, certificate_list<0..2^24-1>.
    Certificate {
        context: Vec<u8>,
        entries: Vec<CertificateEntry>,
    },
    /// §4.4.3
    CertificateVerify {
        scheme: SignatureScheme,
        signature: Vec<u8>,
    },
    /// §4.4.4: verify_data[Hash.length].
    Finished(Vec<u8>),
    /// §4.6.1
    NewSessionTicket {
        lifetime: u32,
        age_add: u32,
        nonce: Vec<u8>,
        ticket: Vec<u8>,
        extensions: Vec<Extension>,
    },
    /// §4.5
    EndOfEarlyData,
    /// §4.6.3: request_update (0 = not requested, 1 = requested).
    KeyUpdate(u8),
}

impl Message13 {
    pub fn typ(&self) -> u8 {
        match self {
            Message13::EncryptedExtensions(_) => hs::ENCRYPTED_EXTENSIONS,
            Message13::CertificateRequest { .. } => hs::CERTIFICATE_REQUEST,
            Message13::Certificate { .. } => hs::CERTIFICATE,
            Message13::CertificateVerify { .. } => hs::CERTIFICATE_VERIFY,
            Message13::Finished(_) => hs::FINISHED,
            Message13::NewSessionTicket { .. } => hs::NEW_SESSION_TICKET,
            Message13::EndOfEarlyData => hs::END_OF_EARLY_DATA,
            Message13::KeyUpdate(_) => hs::KEY_UPDATE,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Message13::EncryptedExtensions(_) => "EncryptedExtensions",
            Message13::CertificateRequest { .. } => "CertificateRequest",
            Message13::Certificate { .. } => "Certificate",
            Message13::CertificateVerify { .. } => "CertificateVerify",
            Message13::Finished(_) => "Finished",
            Message13::NewSessionTicket { .. } => "NewSessionTicket",
            Message13::EndOfEarlyData => "EndOfEarlyData",
            Message13::KeyUpdate(_) => "KeyUpdate",
        }
    }

    fn encode_body(&self, out: &mut Vec<u8>) {
        match self {
            Message13::EncryptedExtensions(e) => put_extension_list(out, e),
            Message13::CertificateRequest {
                context,
                extensions,
            } => {
                put_vec(out, 1, context);
                put_extension_list(out, extensions);
            }
            Message13::Certificate { context, entries } => {
                put_vec(out, 1, context);
                put_nested(out, 3, |b| {
                    for e in entries {
                        put_vec(b, 3, &e.cert_data);
                        put_extension_list(b, &e.extensions);
                    }
                });
            }
            Message13::CertificateVerify { scheme, signature } => {
                put_u16(out, scheme.to_u16());
                put_vec(out, 2, signature);
            }
            Message13::Finished(v) => out.extend_from_slice(v),
            Message13::NewSessionTicket {
                lifetime,
                age_add,
                nonce,
                ticket,
                extensions,
            } => {
                put_u32(out, *lifetime);
                put_u32(out, *age_add);
                put_vec(out, 1, nonce);
                put_vec(out, 2, ticket);
                put_extension_list(out, extensions);
            }
            Message13::EndOfEarlyData => {}
            Message13::KeyUpdate(r) => out.push(*r),
        }
    }

    /// The whole handshake message: msg_type, uint24 length, body.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut body = Vec::new();
        self.encode_body(&mut body);
        handshake_message(self.typ(), &body)
    }

    /// Decodes the body of a message of type `typ`; `hash_len` is the negotiated hash's
    /// length (Finished is exactly that long, §4.4.4).
    pub fn read_body(typ: u8, body: &[u8], hash_len: usize) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(body);
        let m = match typ {
            hs::ENCRYPTED_EXTENSIONS => {
                Message13::EncryptedExtensions(read_extension_list(&mut r)?)
            }
            hs::CERTIFICATE_REQUEST => {
                let context = r.opaque(1, 0, 255, "certificate_request_context")?.to_vec();
                let extensions = read_extension_list(&mut r)?;
                // §4.3.2: signature_algorithms MUST be specified.
                if find(&extensions, ext::SIGNATURE_ALGORITHMS).is_none() {
                    return Err(InvalidMessage::UnexpectedValue(
                        "CertificateRequest without signature_algorithms",
                    ));
                }
                Message13::CertificateRequest {
                    context,
                    extensions,
                }
            }
            hs::CERTIFICATE => {
                let context = r.opaque(1, 0, 255, "certificate_request_context")?.to_vec();
                let mut list = r.sub(3)?;
                let mut entries = Vec::new();
                while !list.is_empty() {
                    let cert_data = list.opaque(3, 1, usize::MAX, "cert_data")?.to_vec();
                    let extensions = read_extension_list(&mut list)?;
                    entries.push(CertificateEntry {
                        cert_data,
                        extensions,
                    });
                }
                Message13::Certificate { context, entries }
            }
            hs::CERTIFICATE_VERIFY => Message13::CertificateVerify {
                scheme: SignatureScheme::from(r.u16()?),
                signature: r.opaque(2, 0, 0xffff, "signature")?.to_vec(),
            },
            hs::FINISHED => Message13::Finished(r.take(hash_len)?.to_vec()),
            hs::NEW_SESSION_TICKET => Message13::NewSessionTicket {
                lifetime: r.u32()?,
                age_add: r.u32()?,
                nonce: r.opaque(1, 0, 255, "ticket_nonce")?.to_vec(),
                ticket: r.opaque(2, 1, 0xffff, "ticket")?.to_vec(),
                extensions: read_extension_list(&mut r)?,
            },
            hs::END_OF_EARLY_DATA => Message13::EndOfEarlyData,
            hs::KEY_UPDATE => {
                let v = r.u8()?;
                if v > 1 {
                    return Err(InvalidMessage::IllegalParameter("KeyUpdateRequest"));
                }
                Message13::KeyUpdate(v)
            }
            _ => return Err(InvalidMessage::UnexpectedValue("TLS 1.3 handshake type")),
        };
        r.expect_empty()?;
        Ok(m)
    }

    /// The early_data extension of a NewSessionTicket: max_early_data_size (§4.2.10).
    pub fn max_early_data(&self) -> Option<u32> {
        match self {
            Message13::NewSessionTicket { extensions, .. } => {
                let d = find(extensions, ext::EARLY_DATA)?;
                whole(d, |r| r.u32()).ok()
            }
            _ => None,
        }
    }
}

/// msg_type, uint24 length, body (RFC 8446 §4). Panics if the body is 2^24 bytes or more
/// (an encoder bug, never peer input).
pub fn handshake_message(typ: u8, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + body.len());
    out.push(typ);
    put_u24(
        &mut out,
        super::codec::u24_len(body.len()).expect("handshake body under 2^24 bytes"),
    );
    out.extend_from_slice(body);
    out
}

/// Splits the first whole handshake message off `buf`: (type, body, whole message, rest).
/// `Ok(None)` when `buf` holds only part of one (it continues in the next record).
#[allow(clippy::type_complexity)]
pub fn split_handshake(buf: &[u8]) -> Result<Option<(u8, &[u8], &[u8], &[u8])>, InvalidMessage> {
    if buf.len() < 4 {
        return Ok(None);
    }
    let len = usize::try_from(u32::from_be_bytes([0, buf[1], buf[2], buf[3]]))
        .map_err(|_| InvalidMessage::TooLong)?;
    if buf.len() < 4 + len {
        return Ok(None);
    }
    Ok(Some((
        buf[0],
        &buf[4..4 + len],
        &buf[..4 + len],
        &buf[4 + len..],
    )))
}

/// The content a CertificateVerify signs (RFC 8446 §4.4.3): 64 spaces, the context string,
/// a zero byte, the transcript hash.
pub fn certificate_verify_content(server: bool, transcript_hash: &[u8]) -> Vec<u8> {
    let mut out = vec![0x20; 64];
    out.extend_from_slice(if server {
        b"TLS 1.3, server CertificateVerify".as_slice()
    } else {
        b"TLS 1.3, client CertificateVerify".as_slice()
    });
    out.push(0);
    out.extend_from_slice(transcript_hash);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{CipherSuite, Codec, CompressionMethod, SessionId};

    #[test]
    fn hrr_random_is_sha256_of_its_name() {
        use sha2::Digest;
        assert_eq!(
            &sha2::Sha256::digest(b"HelloRetryRequest")[..],
            HRR_RANDOM.as_slice()
        );
    }

    #[test]
    fn downgrade_sentinels() {
        let mut r = [7u8; 32];
        assert_eq!(downgrade_sentinel(&r), None);
        set_downgrade_sentinel(&mut r, ProtocolVersion::TLSv1_2);
        assert_eq!(&r[24..], b"DOWNGRD\x01");
        assert_eq!(downgrade_sentinel(&r), Some(Downgrade::ToTls12));
        set_downgrade_sentinel(&mut r, ProtocolVersion::TLSv1_0);
        assert_eq!(&r[24..], b"DOWNGRD\x00");
        assert_eq!(downgrade_sentinel(&r), Some(Downgrade::ToTls11OrBelow));
        let mut r = [7u8; 32];
        set_downgrade_sentinel(&mut r, ProtocolVersion::TLSv1_3);
        assert_eq!(r, [7u8; 32]);
    }

    fn sample_ch(ext13: &ClientHello13) -> ClientHello {
        let mut extensions = vec![ClientExtension::ServerName(b"server".to_vec())];
        extensions.extend(ext13.to_extensions());
        ClientHello {
            version: ProtocolVersion::TLSv1_2,
            random: [1; 32],
            session_id: SessionId::empty(),
            suites: vec![CipherSuite(0x1301)],
            compression: vec![CompressionMethod::Null],
            extensions,
        }
    }

    #[test]
    fn client_hello_extensions_round_trip() {
        let e = ClientHello13 {
            supported_versions: Some(vec![ProtocolVersion::TLSv1_3, ProtocolVersion::TLSv1_2]),
            key_shares: Some(vec![KeyShareEntry {
                group: NamedGroup::X25519,
                key_exchange: vec![9; 32],
            }]),
            psk_modes: Some(vec![PSK_DHE_KE]),
            cookie: Some(vec![1, 2, 3]),
            early_data: true,
            psk: Some(OfferedPsks {
                identities: vec![PskIdentity {
                    identity: vec![5; 10],
                    obfuscated_ticket_age: 77,
                }],
                binders: vec![vec![6; 32]],
            }),
        };
        let ch = sample_ch(&e);
        let bytes = ch.to_bytes();
        let back = ClientHello::from_bytes(&bytes).unwrap();
        assert_eq!(ClientHello13::parse(&back).unwrap(), e);
        assert!(e.offers_tls13());
        // The binders list is the tail of the message.
        let msg = handshake_message(1, &bytes);
        let n = binder_truncation_len(&msg, e.psk.as_ref().unwrap()).unwrap();
        assert_eq!(&msg[n..], [&[0, 33, 32][..], &[6; 32]].concat().as_slice());
    }

    #[test]
    fn psk_not_last_is_illegal() {
        let e = ClientHello13 {
            psk: Some(OfferedPsks {
                identities: vec![PskIdentity {
                    identity: vec![5; 10],
                    obfuscated_ticket_age: 0,
                }],
                binders: vec![vec![6; 32]],
            }),
            ..Default::default()
        };
        let mut ch = sample_ch(&e);
        ch.extensions.push(ClientExtension::ExtendedMasterSecret);
        assert_eq!(
            ClientHello13::parse(&ch),
            Err(InvalidMessage::IllegalParameter("pre_shared_key not last"))
        );
    }

    #[test]
    fn bad_extension_bodies_are_decode_errors() {
        for (typ, data) in [
            (ext::SUPPORTED_VERSIONS, vec![3, 3, 4, 3]),
            (ext::SUPPORTED_VERSIONS, vec![0]),
            (ext::KEY_SHARE, vec![0, 4, 0, 29, 0, 0]),
            (ext::KEY_SHARE, vec![0, 10, 0, 29, 0, 1, 1, 0, 29, 0, 1, 2]),
            (ext::PSK_KEY_EXCHANGE_MODES, vec![0]),
            (ext::COOKIE, vec![0, 0]),
            (ext::EARLY_DATA, vec![0]),
        ] {
            let ch = ClientHello {
                extensions: vec![ClientExtension::Unknown { typ, data }],
                ..sample_ch(&ClientHello13::default())
            };
            assert!(ClientHello13::parse(&ch).is_err(), "{typ}");
        }
    }

    #[test]
    fn server_hello_and_hrr_extensions() {
        let sh13 = ServerHello13 {
            selected_version: Some(ProtocolVersion::TLSv1_3),
            key_share: Some(KeyShareEntry {
                group: NamedGroup::Secp256r1,
                key_exchange: vec![4; 65],
            }),
            selected_identity: Some(0),
            ..Default::default()
        };
        let sh = ServerHello {
            version: ProtocolVersion::TLSv1_2,
            random: [3; 32],
            session_id: SessionId::empty(),
            suite: CipherSuite(0x1301),
            compression: CompressionMethod::Null,
            extensions: sh13.to_extensions(),
        };
        let back = ServerHello::from_bytes(&sh.to_bytes()).unwrap();
        assert_eq!(ServerHello13::parse(&back).unwrap(), sh13);
        let hrr13 = ServerHello13 {
            selected_version: Some(ProtocolVersion::TLSv1_3),
            hrr_group: Some(NamedGroup::Secp384r1),
            cookie: Some(vec![8; 20]),
            ..Default::default()
        };
        let hrr = ServerHello {
            random: HRR_RANDOM,
            extensions: hrr13.to_extensions(),
            ..sh
        };
        let back = ServerHello::from_bytes(&hrr.to_bytes()).unwrap();
        assert!(is_hello_retry_request(&back));
        assert_eq!(ServerHello13::parse(&back).unwrap(), hrr13);
    }

    #[test]
    fn messages_round_trip() {
        let msgs = [
            Message13::EncryptedExtensions(vec![]),
            Message13::EncryptedExtensions(vec![Extension::new(0, vec![])]),
            Message13::Certificate {
                context: vec![],
                entries: vec![
                    CertificateEntry {
                        cert_data: vec![0x30; 100],
                        extensions: vec![Extension::new(5, vec![1, 2])],
                    },
                    CertificateEntry {
                        cert_data: vec![0x31; 3],
                        extensions: vec![],
                    },
                ],
            },
            Message13::CertificateRequest {
                context: vec![1],
                extensions: vec![Extension::new(13, vec![0, 2, 8, 4])],
            },
            Message13::CertificateVerify {
                scheme: SignatureScheme::RsaPssRsaeSha256,
                signature: vec![9; 256],
            },
            Message13::Finished(vec![7; 48]),
            Message13::NewSessionTicket {
                lifetime: 7200,
                age_add: 0xdeadbeef,
                nonce: vec![0, 1],
                ticket: vec![2; 50],
                extensions: vec![Extension::new(42, vec![0, 0, 4, 0])],
            },
            Message13::EndOfEarlyData,
            Message13::KeyUpdate(1),
        ];
        for m in msgs {
            let b = m.to_bytes();
            let (typ, body, whole_msg, rest) = split_handshake(&b).unwrap().unwrap();
            assert_eq!((whole_msg, rest), (b.as_slice(), &[][..]));
            let hl = if typ == hs::FINISHED { 48 } else { 32 };
            assert_eq!(
                Message13::read_body(typ, body, hl).unwrap(),
                m,
                "{}",
                m.name()
            );
        }
    }

    #[test]
    fn truncated_and_malformed_messages_are_errors() {
        assert!(Message13::read_body(hs::FINISHED, &[0; 31], 32).is_err());
        assert!(Message13::read_body(hs::FINISHED, &[0; 33], 32).is_err());
        assert!(Message13::read_body(hs::KEY_UPDATE, &[2], 32).is_err());
        assert!(Message13::read_body(hs::ENCRYPTED_EXTENSIONS, &[0, 4, 0, 0], 32).is_err());
        // Duplicate extension in EncryptedExtensions.
        assert_eq!(
            Message13::read_body(
                hs::ENCRYPTED_EXTENSIONS,
                &[0, 8, 0, 1, 0, 0, 0, 1, 0, 0],
                32
            ),
            Err(InvalidMessage::DuplicateExtension(1))
        );
        assert!(Message13::read_body(hs::CERTIFICATE_REQUEST, &[0, 0, 0], 32).is_err());
        assert!(Message13::read_body(99, &[], 32).is_err());
        assert_eq!(split_handshake(&[8, 0, 0, 5, 0]).unwrap(), None);
    }

    #[test]
    fn certificate_verify_content_layout() {
        let c = certificate_verify_content(true, &[0xaa; 32]);
        assert_eq!(c.len(), 64 + 33 + 1 + 32);
        assert_eq!(&c[64..97], b"TLS 1.3, server CertificateVerify");
        assert_eq!(c[97], 0);
    }
}
