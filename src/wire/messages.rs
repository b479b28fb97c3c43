//! Handshake messages (RFC 5246 §7.4, RFC 4492/8422 for ECDHE, RFC 5077 for tickets) and
//! alerts. Public values (DH p, g, Ys, Yc; EC points) are kept exactly as on the wire:
//! leading zero bytes are one of the interop failures tlsim studies.

use super::codec::{
    put_list, put_nested, put_u24, put_u32, put_vec, read_list, u24_len, Codec, InvalidMessage,
    Reader,
};
use super::enums::{
    AlertDescription, AlertLevel, ClientCertificateType, CompressionMethod, ExtensionType,
    HandshakeType, NamedGroup, ProtocolVersion, SignatureScheme,
};
use super::extensions::{put_extensions, read_extensions, ClientExtension, ServerExtension};
use super::suites::{CipherSuite, KeyExchange};

pub type Random = [u8; 32];

/// A session ID: 0..=32 bytes (RFC 5246 §7.4.1.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub struct SessionId(pub Vec<u8>);

impl SessionId {
    pub const MAX_LEN: usize = 32;

    pub fn empty() -> Self {
        SessionId(Vec::new())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Codec for SessionId {
    fn encode(&self, out: &mut Vec<u8>) {
        put_vec(out, 1, &self.0);
    }
    fn read(r: &mut Reader) -> Result<Self, InvalidMessage> {
        Ok(SessionId(
            r.opaque(1, 0, Self::MAX_LEN, "session_id")?.to_vec(),
        ))
    }
}

fn read_random(r: &mut Reader) -> Result<Random, InvalidMessage> {
    let mut out = [0u8; 32];
    out.copy_from_slice(r.take(32)?);
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClientHello {
    pub version: ProtocolVersion,
    pub random: Random,
    pub session_id: SessionId,
    pub suites: Vec<CipherSuite>,
    pub compression: Vec<CompressionMethod>,
    /// Empty means no extensions block on the wire (an empty block decodes to this too).
    pub extensions: Vec<ClientExtension>,
}

impl ClientHello {
    pub fn has_ext(&self, t: ExtensionType) -> bool {
        self.extensions.iter().any(|e| e.ext_type() == t)
    }

    pub fn ext(&self, t: ExtensionType) -> Option<&ClientExtension> {
        self.extensions.iter().find(|e| e.ext_type() == t)
    }

    /// The session_ticket extension's ticket, if the extension is present (possibly empty).
    pub fn session_ticket(&self) -> Option<&[u8]> {
        self.extensions.iter().find_map(|e| match e {
            ClientExtension::SessionTicket(t) => Some(t.as_slice()),
            _ => None,
        })
    }

    pub fn groups(&self) -> Option<&[NamedGroup]> {
        self.extensions.iter().find_map(|e| match e {
            ClientExtension::SupportedGroups(g) => Some(g.as_slice()),
            _ => None,
        })
    }

    pub fn sig_algs(&self) -> Option<&[SignatureScheme]> {
        self.extensions.iter().find_map(|e| match e {
            ClientExtension::SignatureAlgorithms(s) => Some(s.as_slice()),
            _ => None,
        })
    }

    pub fn server_name(&self) -> Option<&[u8]> {
        self.extensions.iter().find_map(|e| match e {
            ClientExtension::ServerName(n) => Some(n.as_slice()),
            _ => None,
        })
    }

    pub fn renegotiation_info(&self) -> Option<&[u8]> {
        self.extensions.iter().find_map(|e| match e {
            ClientExtension::RenegotiationInfo(v) => Some(v.as_slice()),
            _ => None,
        })
    }

    /// RFC 5746 §3.6: the client signals secure renegotiation, with the renegotiation_info
    /// extension or the TLS_EMPTY_RENEGOTIATION_INFO_SCSV suite; only then does a server
    /// answer with renegotiation_info (§3.6, and RFC 5246 §7.4.1.4: no unsolicited
    /// extensions).
    pub fn signals_secure_renegotiation(&self) -> bool {
        self.renegotiation_info().is_some()
            || (self.suites).contains(&CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV)
    }

    pub fn offers_ems(&self) -> bool {
        self.has_ext(ExtensionType::ExtendedMasterSecret)
    }
}

/// `read` expects the reader to hold exactly the hello's body (the extensions block is
/// optional, so only the end of the body says there is none) and fails on trailing bytes.
impl Codec for ClientHello {
    fn encode(&self, out: &mut Vec<u8>) {
        self.version.encode(out);
        out.extend_from_slice(&self.random);
        self.session_id.encode(out);
        put_list(out, 2, &self.suites);
        put_list(out, 1, &self.compression);
        put_extensions(out, &self.extensions);
    }

    fn read(r: &mut Reader) -> Result<Self, InvalidMessage> {
        let version = ProtocolVersion::read(r)?;
        let random = read_random(r)?;
        let session_id = SessionId::read(r)?;
        let mut s = r.sub(2)?;
        if s.is_empty() {
            return Err(InvalidMessage::EmptyVector("cipher_suites"));
        }
        if s.left() % 2 != 0 {
            return Err(InvalidMessage::UnexpectedValue("cipher_suites length"));
        }
        let mut suites = Vec::with_capacity(s.left() / 2);
        while !s.is_empty() {
            suites.push(CipherSuite::read(&mut s)?);
        }
        let compression = read_list(r, 1)?;
        if compression.is_empty() {
            return Err(InvalidMessage::EmptyVector("compression_methods"));
        }
        let extensions = read_extensions(r)?;
        r.expect_empty()?;
        Ok(ClientHello {
            version,
            random,
            session_id,
            suites,
            compression,
            extensions,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ServerHello {
    pub version: ProtocolVersion,
    pub random: Random,
    pub session_id: SessionId,
    pub suite: CipherSuite,
    pub compression: CompressionMethod,
    pub extensions: Vec<ServerExtension>,
}

impl ServerHello {
    pub fn has_ext(&self, t: ExtensionType) -> bool {
        self.extensions.iter().any(|e| e.ext_type() == t)
    }

    pub fn offers_ems(&self) -> bool {
        self.has_ext(ExtensionType::ExtendedMasterSecret)
    }

    pub fn renegotiation_info(&self) -> Option<&[u8]> {
        self.extensions.iter().find_map(|e| match e {
            ServerExtension::RenegotiationInfo(v) => Some(v.as_slice()),
            _ => None,
        })
    }
}

/// As for [`ClientHello`], `read` consumes the whole body.
impl Codec for ServerHello {
    fn encode(&self, out: &mut Vec<u8>) {
        self.version.encode(out);
        out.extend_from_slice(&self.random);
        self.session_id.encode(out);
        self.suite.encode(out);
        self.compression.encode(out);
        put_extensions(out, &self.extensions);
    }

    fn read(r: &mut Reader) -> Result<Self, InvalidMessage> {
        let sh = ServerHello {
            version: ProtocolVersion::read(r)?,
            random: read_random(r)?,
            session_id: SessionId::read(r)?,
            suite: CipherSuite::read(r)?,
            compression: CompressionMethod::read(r)?,
            extensions: read_extensions(r)?,
        };
        r.expect_empty()?;
        Ok(sh)
    }
}

/// RFC 5246 §7.4.4.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CertificateRequest {
    pub cert_types: Vec<ClientCertificateType>,
    /// Present in TLS 1.2 only.
    pub sig_algs: Option<Vec<SignatureScheme>>,
    /// DER DistinguishedNames (empty when the server sends no trusted-issuer list).
    pub authorities: Vec<Vec<u8>>,
}

impl CertificateRequest {
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_list(out, 1, &self.cert_types);
        if let Some(s) = &self.sig_algs {
            put_list(out, 2, s);
        }
        put_nested(out, 2, |b| {
            for a in &self.authorities {
                put_vec(b, 2, a);
            }
        });
    }

    pub fn read(r: &mut Reader, tls12: bool) -> Result<Self, InvalidMessage> {
        let cert_types = read_list(r, 1)?;
        if cert_types.is_empty() {
            return Err(InvalidMessage::EmptyVector("certificate_types"));
        }
        let sig_algs = if tls12 {
            let s: Vec<SignatureScheme> = read_list(r, 2)?;
            if s.is_empty() {
                return Err(InvalidMessage::EmptyVector(
                    "supported_signature_algorithms",
                ));
            }
            Some(s)
        } else {
            None
        };
        let mut list = r.sub(2)?;
        let mut authorities = Vec::new();
        while !list.is_empty() {
            authorities.push(list.opaque(2, 1, usize::MAX, "DistinguishedName")?.to_vec());
        }
        Ok(CertificateRequest {
            cert_types,
            sig_algs,
            authorities,
        })
    }
}

/// RFC 5246 §4.7: the algorithm pair is on the wire in TLS 1.2 only.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DigitallySigned {
    pub scheme: Option<SignatureScheme>,
    pub signature: Vec<u8>,
}

impl DigitallySigned {
    pub fn encode(&self, out: &mut Vec<u8>) {
        if let Some(s) = self.scheme {
            s.encode(out);
        }
        put_vec(out, 2, &self.signature);
    }

    pub fn read(r: &mut Reader, tls12: bool) -> Result<Self, InvalidMessage> {
        let scheme = if tls12 {
            Some(SignatureScheme::read(r)?)
        } else {
            None
        };
        let signature = r.sub(2)?.rest().to_vec();
        Ok(DigitallySigned { scheme, signature })
    }
}

/// RFC 5246 §7.4.3 ServerDHParams; each value exactly as on the wire.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ServerDhParams {
    pub p: Vec<u8>,
    pub g: Vec<u8>,
    pub ys: Vec<u8>,
}

impl Codec for ServerDhParams {
    fn encode(&self, out: &mut Vec<u8>) {
        put_vec(out, 2, &self.p);
        put_vec(out, 2, &self.g);
        put_vec(out, 2, &self.ys);
    }
    fn read(r: &mut Reader) -> Result<Self, InvalidMessage> {
        Ok(ServerDhParams {
            p: r.opaque(2, 1, usize::MAX, "dh_p")?.to_vec(),
            g: r.opaque(2, 1, usize::MAX, "dh_g")?.to_vec(),
            ys: r.opaque(2, 1, usize::MAX, "dh_Ys")?.to_vec(),
        })
    }
}

/// RFC 8422 §5.4 ServerECDHParams.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ServerEcdhParams {
    /// 3 = named_curve, the only type RFC 8422 allows.
    pub curve_type: u8,
    pub group: NamedGroup,
    pub point: Vec<u8>,
}

impl ServerEcdhParams {
    pub const NAMED_CURVE: u8 = 3;
}

impl Codec for ServerEcdhParams {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.curve_type);
        self.group.encode(out);
        put_vec(out, 1, &self.point);
    }
    fn read(r: &mut Reader) -> Result<Self, InvalidMessage> {
        let curve_type = r.u8()?;
        if curve_type != Self::NAMED_CURVE {
            // explicit_prime/explicit_char2 curves: removed by RFC 8422 §5.4.
            return Err(InvalidMessage::IllegalParameter("ECCurveType"));
        }
        Ok(ServerEcdhParams {
            curve_type,
            group: NamedGroup::read(r)?,
            point: r.opaque(1, 1, 255, "ec_point")?.to_vec(),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ServerKeyExchangePayload {
    Dhe {
        params: ServerDhParams,
        sig: DigitallySigned,
    },
    Ecdhe {
        params: ServerEcdhParams,
        sig: DigitallySigned,
    },
}

impl ServerKeyExchangePayload {
    /// Parses a ServerKeyExchange body for the negotiated key exchange; `tls12` decides
    /// whether the signature carries its algorithm pair.
    pub fn read_as(kx: KeyExchange, tls12: bool, body: &[u8]) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(body);
        let out = match kx {
            KeyExchange::Rsa => {
                // Only export RSA suites (not modelled) send a ServerKeyExchange.
                return Err(InvalidMessage::UnexpectedValue("ServerKeyExchange for RSA"));
            }
            KeyExchange::DheRsa | KeyExchange::DheDss => ServerKeyExchangePayload::Dhe {
                params: ServerDhParams::read(&mut r)?,
                sig: DigitallySigned::read(&mut r, tls12)?,
            },
            KeyExchange::EcdheRsa | KeyExchange::EcdheEcdsa => ServerKeyExchangePayload::Ecdhe {
                params: ServerEcdhParams::read(&mut r)?,
                sig: DigitallySigned::read(&mut r, tls12)?,
            },
        };
        r.expect_empty()?;
        Ok(out)
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.params_bytes());
        self.sig().encode(out);
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    /// The params exactly as encoded; the signature covers client_random + server_random
    /// + these bytes.
    pub fn params_bytes(&self) -> Vec<u8> {
        match self {
            ServerKeyExchangePayload::Dhe { params, .. } => params.to_bytes(),
            ServerKeyExchangePayload::Ecdhe { params, .. } => params.to_bytes(),
        }
    }

    pub fn sig(&self) -> &DigitallySigned {
        match self {
            ServerKeyExchangePayload::Dhe { sig, .. }
            | ServerKeyExchangePayload::Ecdhe { sig, .. } => sig,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ClientKeyExchangePayload {
    /// EncryptedPreMasterSecret, opaque<0..2^16-1> (TLS 1.0+; SSL 3.0's unprefixed form is
    /// not modelled).
    Rsa(Vec<u8>),
    /// ClientDiffieHellmanPublic Yc, opaque<1..2^16-1>, exact bytes.
    Dh(Vec<u8>),
    /// ClientECDiffieHellmanPublic point, opaque<1..2^8-1>.
    Ecdh(Vec<u8>),
}

impl ClientKeyExchangePayload {
    pub fn read_as(kx: KeyExchange, body: &[u8]) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(body);
        let out = match kx {
            KeyExchange::Rsa => ClientKeyExchangePayload::Rsa(
                r.opaque(2, 0, usize::MAX, "EncryptedPreMasterSecret")?
                    .to_vec(),
            ),
            KeyExchange::DheRsa | KeyExchange::DheDss => {
                ClientKeyExchangePayload::Dh(r.opaque(2, 1, usize::MAX, "dh_Yc")?.to_vec())
            }
            KeyExchange::EcdheRsa | KeyExchange::EcdheEcdsa => {
                ClientKeyExchangePayload::Ecdh(r.opaque(1, 1, 255, "ecdh_Yc")?.to_vec())
            }
        };
        r.expect_empty()?;
        Ok(out)
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            ClientKeyExchangePayload::Rsa(v) | ClientKeyExchangePayload::Dh(v) => {
                put_vec(out, 2, v)
            }
            ClientKeyExchangePayload::Ecdh(v) => put_vec(out, 1, v),
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}

/// RFC 5077 §3.3.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NewSessionTicketPayload {
    pub lifetime_hint: u32,
    pub ticket: Vec<u8>,
}

impl Codec for NewSessionTicketPayload {
    fn encode(&self, out: &mut Vec<u8>) {
        put_u32(out, self.lifetime_hint);
        put_vec(out, 2, &self.ticket);
    }
    fn read(r: &mut Reader) -> Result<Self, InvalidMessage> {
        Ok(NewSessionTicketPayload {
            lifetime_hint: r.u32()?,
            ticket: r.sub(2)?.rest().to_vec(),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum HandshakePayload {
    HelloRequest,
    ClientHello(ClientHello),
    ServerHello(ServerHello),
    /// DER certificates, leaf first.
    Certificate(Vec<Vec<u8>>),
    /// Raw body: parse with [`ServerKeyExchangePayload::read_as`] once the suite is known.
    ServerKeyExchange(Vec<u8>),
    CertificateRequest(CertificateRequest),
    ServerHelloDone,
    CertificateVerify(DigitallySigned),
    /// Raw body: parse with [`ClientKeyExchangePayload::read_as`].
    ClientKeyExchange(Vec<u8>),
    /// verify_data.
    Finished(Vec<u8>),
    NewSessionTicket(NewSessionTicketPayload),
    /// A message type this codec does not model, with its raw body.
    Unknown(u8, Vec<u8>),
}

impl HandshakePayload {
    pub fn typ(&self) -> HandshakeType {
        match self {
            HandshakePayload::HelloRequest => HandshakeType::HelloRequest,
            HandshakePayload::ClientHello(_) => HandshakeType::ClientHello,
            HandshakePayload::ServerHello(_) => HandshakeType::ServerHello,
            HandshakePayload::Certificate(_) => HandshakeType::Certificate,
            HandshakePayload::ServerKeyExchange(_) => HandshakeType::ServerKeyExchange,
            HandshakePayload::CertificateRequest(_) => HandshakeType::CertificateRequest,
            HandshakePayload::ServerHelloDone => HandshakeType::ServerHelloDone,
            HandshakePayload::CertificateVerify(_) => HandshakeType::CertificateVerify,
            HandshakePayload::ClientKeyExchange(_) => HandshakeType::ClientKeyExchange,
            HandshakePayload::Finished(_) => HandshakeType::Finished,
            HandshakePayload::NewSessionTicket(_) => HandshakeType::NewSessionTicket,
            HandshakePayload::Unknown(t, _) => HandshakeType::from(*t),
        }
    }

    fn encode_body(&self, out: &mut Vec<u8>) {
        match self {
            HandshakePayload::HelloRequest | HandshakePayload::ServerHelloDone => {}
            HandshakePayload::ClientHello(ch) => ch.encode(out),
            HandshakePayload::ServerHello(sh) => sh.encode(out),
            HandshakePayload::Certificate(chain) => put_nested(out, 3, |b| {
                for c in chain {
                    put_vec(b, 3, c);
                }
            }),
            HandshakePayload::ServerKeyExchange(b)
            | HandshakePayload::ClientKeyExchange(b)
            | HandshakePayload::Finished(b)
            | HandshakePayload::Unknown(_, b) => out.extend_from_slice(b),
            HandshakePayload::CertificateRequest(cr) => cr.encode(out),
            HandshakePayload::CertificateVerify(ds) => ds.encode(out),
            HandshakePayload::NewSessionTicket(t) => t.encode(out),
        }
    }

    fn read_body(typ: u8, r: &mut Reader, tls12: bool) -> Result<Self, InvalidMessage> {
        let p = match HandshakeType::from(typ) {
            HandshakeType::HelloRequest => HandshakePayload::HelloRequest,
            HandshakeType::ClientHello => HandshakePayload::ClientHello(ClientHello::read(r)?),
            HandshakeType::ServerHello => HandshakePayload::ServerHello(ServerHello::read(r)?),
            HandshakeType::Certificate => {
                let mut list = r.sub(3)?;
                let mut chain = Vec::new();
                while !list.is_empty() {
                    chain.push(list.opaque(3, 1, usize::MAX, "ASN.1Cert")?.to_vec());
                }
                HandshakePayload::Certificate(chain)
            }
            HandshakeType::ServerKeyExchange => {
                HandshakePayload::ServerKeyExchange(r.rest().to_vec())
            }
            HandshakeType::CertificateRequest => {
                HandshakePayload::CertificateRequest(CertificateRequest::read(r, tls12)?)
            }
            HandshakeType::ServerHelloDone => HandshakePayload::ServerHelloDone,
            HandshakeType::CertificateVerify => {
                HandshakePayload::CertificateVerify(DigitallySigned::read(r, tls12)?)
            }
            HandshakeType::ClientKeyExchange => {
                HandshakePayload::ClientKeyExchange(r.rest().to_vec())
            }
            HandshakeType::Finished => HandshakePayload::Finished(r.rest().to_vec()),
            HandshakeType::NewSessionTicket => {
                HandshakePayload::NewSessionTicket(NewSessionTicketPayload::read(r)?)
            }
            // TLS 1.3's messages are the tls13 module's; here they are unknown, as before.
            t @ (HandshakeType::EncryptedExtensions | HandshakeType::Unknown(_)) => {
                HandshakePayload::Unknown(t.to_u8(), r.rest().to_vec())
            }
        };
        r.expect_empty()?;
        Ok(p)
    }

    /// One line for ladder diagrams, e.g. `ClientHello(TLS 1.2, suites=[…], ext=[…])`.
    pub fn debug_name(&self) -> String {
        fn suite(s: CipherSuite) -> String {
            match s.info() {
                Some(i) => i.openssl.to_string(),
                None => s.name(),
            }
        }
        fn join<T>(v: &[T], f: impl Fn(&T) -> String) -> String {
            v.iter().map(f).collect::<Vec<_>>().join(",")
        }
        match self {
            HandshakePayload::ClientHello(ch) => format!(
                "ClientHello({}, sid={}, suites=[{}], ext=[{}])",
                ch.version.name(),
                ch.session_id.0.len(),
                join(&ch.suites, |s| suite(*s)),
                join(&ch.extensions, |e| e.ext_type().to_string())
            ),
            HandshakePayload::ServerHello(sh) => format!(
                "ServerHello({}, sid={}, suite={}, ext=[{}])",
                sh.version.name(),
                sh.session_id.0.len(),
                suite(sh.suite),
                join(&sh.extensions, |e| e.ext_type().to_string())
            ),
            HandshakePayload::Certificate(c) => format!(
                "Certificate(certs={}, bytes={})",
                c.len(),
                c.iter().map(Vec::len).sum::<usize>()
            ),
            HandshakePayload::ServerKeyExchange(b) => {
                format!("ServerKeyExchange({} bytes)", b.len())
            }
            HandshakePayload::CertificateRequest(cr) => format!(
                "CertificateRequest(types={}, sig_algs={}, CAs={})",
                join(&cr.cert_types, |t| t.to_string()),
                cr.sig_algs.as_ref().map_or(0, Vec::len),
                cr.authorities.len()
            ),
            HandshakePayload::CertificateVerify(ds) => format!(
                "CertificateVerify({}{} bytes)",
                ds.scheme.map(|s| format!("{s}, ")).unwrap_or_default(),
                ds.signature.len()
            ),
            HandshakePayload::ClientKeyExchange(b) => {
                format!("ClientKeyExchange({} bytes)", b.len())
            }
            HandshakePayload::Finished(b) => format!("Finished({} bytes)", b.len()),
            HandshakePayload::NewSessionTicket(t) => format!(
                "NewSessionTicket(lifetime={}, ticket={} bytes)",
                t.lifetime_hint,
                t.ticket.len()
            ),
            HandshakePayload::HelloRequest => "HelloRequest".to_string(),
            HandshakePayload::ServerHelloDone => "ServerHelloDone".to_string(),
            HandshakePayload::Unknown(t, b) => format!("Unknown(type={t}, {} bytes)", b.len()),
        }
    }
}

impl std::fmt::Display for HandshakePayload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.debug_name())
    }
}

/// A handshake message: `msg_type`, u24 length, body (RFC 5246 §7.4).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HandshakeMessage {
    pub payload: HandshakePayload,
}

impl HandshakeMessage {
    pub fn new(payload: HandshakePayload) -> Self {
        HandshakeMessage { payload }
    }

    pub fn typ(&self) -> HandshakeType {
        self.payload.typ()
    }

    /// Writes the 4-byte header and the body.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let mut body = Vec::new();
        self.payload.encode_body(&mut body);
        out.push(self.typ().to_u8());
        put_u24(
            out,
            u24_len(body.len()).expect("handshake body fits its u24 length"),
        );
        out.extend_from_slice(&body);
    }

    /// Reads one message; `tls12` decides whether CertificateRequest and
    /// CertificateVerify carry signature-algorithm fields.
    pub fn read(r: &mut Reader, tls12: bool) -> Result<Self, InvalidMessage> {
        let typ = r.u8()?;
        let mut body = r.sub(3)?;
        Ok(HandshakeMessage {
            payload: HandshakePayload::read_body(typ, &mut body, tls12)?,
        })
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    /// Decodes exactly one message from `b`.
    pub fn from_bytes(b: &[u8], tls12: bool) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(b);
        let m = Self::read(&mut r, tls12)?;
        r.expect_empty()?;
        Ok(m)
    }
}

impl std::fmt::Display for HandshakeMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.payload.fmt(f)
    }
}

/// RFC 5246 §7.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Alert {
    pub level: AlertLevel,
    pub description: AlertDescription,
}

impl Alert {
    pub fn fatal(description: AlertDescription) -> Self {
        Alert {
            level: AlertLevel::Fatal,
            description,
        }
    }
}

impl Codec for Alert {
    fn encode(&self, out: &mut Vec<u8>) {
        self.level.encode(out);
        self.description.encode(out);
    }
    fn read(r: &mut Reader) -> Result<Self, InvalidMessage> {
        Ok(Alert {
            level: AlertLevel::read(r)?,
            description: AlertDescription::read(r)?,
        })
    }
}

impl std::fmt::Display for Alert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Alert({}, {} ({}))",
            self.level,
            self.description,
            self.description.to_u8()
        )
    }
}
