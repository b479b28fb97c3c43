//! Hello extensions (RFC 5246 §7.4.1.4 and the RFCs of each extension). Extensions tlsim
//! does not model are kept as raw bytes so that a hello re-encodes byte for byte.

use super::codec::{put_list, put_nested, put_u16, put_vec, read_list, InvalidMessage, Reader};
use super::enums::{ExtensionType, NamedGroup, SignatureScheme};

/// server_name's NameType for a DNS host name (RFC 6066 §3).
const HOST_NAME: u8 = 0;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ClientExtension {
    /// RFC 6066 §3: a server_name list holding exactly one host_name entry.
    ServerName(Vec<u8>),
    /// RFC 8422 §5.1.1 / RFC 7919: NamedGroup list<2..2^16-1>.
    SupportedGroups(Vec<NamedGroup>),
    /// RFC 8422 §5.1.2: ECPointFormat list<1..2^8-1>.
    EcPointFormats(Vec<u8>),
    /// RFC 5246 §7.4.1.4.1: SignatureAndHashAlgorithm list<2..2^16-2>.
    SignatureAlgorithms(Vec<SignatureScheme>),
    /// RFC 7627: empty body.
    ExtendedMasterSecret,
    /// RFC 5746: renegotiated_connection opaque<0..255>.
    RenegotiationInfo(Vec<u8>),
    /// RFC 5077: the raw ticket (empty to ask for a new one).
    SessionTicket(Vec<u8>),
    /// Anything else, kept as on the wire (also a server_name list that is not a single
    /// host_name).
    Unknown { typ: u16, data: Vec<u8> },
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ServerExtension {
    EcPointFormats(Vec<u8>),
    ExtendedMasterSecret,
    RenegotiationInfo(Vec<u8>),
    /// RFC 5077 §3.2: the empty acknowledgement that a NewSessionTicket will follow.
    SessionTicket,
    /// RFC 6066 §3: the empty server_name acknowledgement.
    ServerNameAck,
    Unknown {
        typ: u16,
        data: Vec<u8>,
    },
}

impl ClientExtension {
    pub fn ext_type(&self) -> ExtensionType {
        match self {
            ClientExtension::ServerName(_) => ExtensionType::ServerName,
            ClientExtension::SupportedGroups(_) => ExtensionType::SupportedGroups,
            ClientExtension::EcPointFormats(_) => ExtensionType::EcPointFormats,
            ClientExtension::SignatureAlgorithms(_) => ExtensionType::SignatureAlgorithms,
            ClientExtension::ExtendedMasterSecret => ExtensionType::ExtendedMasterSecret,
            ClientExtension::RenegotiationInfo(_) => ExtensionType::RenegotiationInfo,
            ClientExtension::SessionTicket(_) => ExtensionType::SessionTicket,
            ClientExtension::Unknown { typ, .. } => ExtensionType::from(*typ),
        }
    }

    fn encode_body(&self, out: &mut Vec<u8>) {
        match self {
            ClientExtension::ServerName(name) => put_nested(out, 2, |l| {
                l.push(HOST_NAME);
                put_vec(l, 2, name);
            }),
            ClientExtension::SupportedGroups(g) => put_list(out, 2, g),
            ClientExtension::EcPointFormats(f) => put_vec(out, 1, f),
            ClientExtension::SignatureAlgorithms(s) => put_list(out, 2, s),
            ClientExtension::ExtendedMasterSecret => {}
            ClientExtension::RenegotiationInfo(v) => put_vec(out, 1, v),
            ClientExtension::SessionTicket(t) => out.extend_from_slice(t),
            ClientExtension::Unknown { data, .. } => out.extend_from_slice(data),
        }
    }

    fn decode(typ: u16, data: &[u8]) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(data);
        let ext = match ExtensionType::from(typ) {
            ExtensionType::ServerName => {
                let mut list = r.sub(2)?;
                let mut entries = Vec::new();
                while !list.is_empty() {
                    let name_type = list.u8()?;
                    let name = list.opaque(2, 0, usize::MAX, "server_name")?;
                    entries.push((name_type, name));
                }
                match entries.as_slice() {
                    [(HOST_NAME, name)] => ClientExtension::ServerName(name.to_vec()),
                    _ => ClientExtension::Unknown {
                        typ,
                        data: data.to_vec(),
                    },
                }
            }
            ExtensionType::SupportedGroups => {
                let g = read_list(&mut r, 2)?;
                non_empty(&g, "supported_groups")?;
                ClientExtension::SupportedGroups(g)
            }
            ExtensionType::EcPointFormats => {
                ClientExtension::EcPointFormats(r.opaque(1, 1, 255, "ec_point_formats")?.to_vec())
            }
            ExtensionType::SignatureAlgorithms => {
                let s = read_list(&mut r, 2)?;
                non_empty(&s, "signature_algorithms")?;
                ClientExtension::SignatureAlgorithms(s)
            }
            ExtensionType::ExtendedMasterSecret => ClientExtension::ExtendedMasterSecret,
            ExtensionType::RenegotiationInfo => ClientExtension::RenegotiationInfo(
                r.opaque(1, 0, 255, "renegotiation_info")?.to_vec(),
            ),
            ExtensionType::SessionTicket => ClientExtension::SessionTicket(r.rest().to_vec()),
            _ => ClientExtension::Unknown {
                typ,
                data: r.rest().to_vec(),
            },
        };
        r.expect_empty()?;
        Ok(ext)
    }
}

impl ServerExtension {
    pub fn ext_type(&self) -> ExtensionType {
        match self {
            ServerExtension::EcPointFormats(_) => ExtensionType::EcPointFormats,
            ServerExtension::ExtendedMasterSecret => ExtensionType::ExtendedMasterSecret,
            ServerExtension::RenegotiationInfo(_) => ExtensionType::RenegotiationInfo,
            ServerExtension::SessionTicket => ExtensionType::SessionTicket,
            ServerExtension::ServerNameAck => ExtensionType::ServerName,
            ServerExtension::Unknown { typ, .. } => ExtensionType::from(*typ),
        }
    }

    fn encode_body(&self, out: &mut Vec<u8>) {
        match self {
            ServerExtension::EcPointFormats(f) => put_vec(out, 1, f),
            ServerExtension::RenegotiationInfo(v) => put_vec(out, 1, v),
            ServerExtension::ExtendedMasterSecret
            | ServerExtension::SessionTicket
            | ServerExtension::ServerNameAck => {}
            ServerExtension::Unknown { data, .. } => out.extend_from_slice(data),
        }
    }

    fn decode(typ: u16, data: &[u8]) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(data);
        let ext = match ExtensionType::from(typ) {
            ExtensionType::EcPointFormats => {
                ServerExtension::EcPointFormats(r.opaque(1, 1, 255, "ec_point_formats")?.to_vec())
            }
            ExtensionType::ExtendedMasterSecret => ServerExtension::ExtendedMasterSecret,
            ExtensionType::RenegotiationInfo => ServerExtension::RenegotiationInfo(
                r.opaque(1, 0, 255, "renegotiation_info")?.to_vec(),
            ),
            ExtensionType::SessionTicket => ServerExtension::SessionTicket,
            ExtensionType::ServerName => ServerExtension::ServerNameAck,
            _ => ServerExtension::Unknown {
                typ,
                data: r.rest().to_vec(),
            },
        };
        // The empty-bodied ones fail here if the peer sent a body.
        r.expect_empty()?;
        Ok(ext)
    }
}

fn non_empty<T>(v: &[T], what: &'static str) -> Result<(), InvalidMessage> {
    if v.is_empty() {
        Err(InvalidMessage::EmptyVector(what))
    } else {
        Ok(())
    }
}

/// Something that can sit in a hello's extensions block.
pub(crate) trait HelloExtension: Sized {
    fn typ(&self) -> u16;
    fn body(&self, out: &mut Vec<u8>);
    fn parse(typ: u16, data: &[u8]) -> Result<Self, InvalidMessage>;
}

impl HelloExtension for ClientExtension {
    fn typ(&self) -> u16 {
        self.ext_type().to_u16()
    }
    fn body(&self, out: &mut Vec<u8>) {
        self.encode_body(out)
    }
    fn parse(typ: u16, data: &[u8]) -> Result<Self, InvalidMessage> {
        Self::decode(typ, data)
    }
}

impl HelloExtension for ServerExtension {
    fn typ(&self) -> u16 {
        self.ext_type().to_u16()
    }
    fn body(&self, out: &mut Vec<u8>) {
        self.encode_body(out)
    }
    fn parse(typ: u16, data: &[u8]) -> Result<Self, InvalidMessage> {
        Self::decode(typ, data)
    }
}

/// Writes the extensions block, or nothing at all when there are no extensions.
pub(crate) fn put_extensions<E: HelloExtension>(out: &mut Vec<u8>, exts: &[E]) {
    if exts.is_empty() {
        return;
    }
    put_nested(out, 2, |b| {
        for e in exts {
            put_u16(b, e.typ());
            put_nested(b, 2, |d| e.body(d));
        }
    });
}

/// Reads an optional extensions block that must end the message. An absent block and an
/// empty one both give an empty list. Duplicate types are refused (RFC 5246 §7.4.1.4).
pub(crate) fn read_extensions<E: HelloExtension>(r: &mut Reader) -> Result<Vec<E>, InvalidMessage> {
    let mut out = Vec::new();
    if r.is_empty() {
        return Ok(out);
    }
    let mut block = r.sub(2)?;
    let mut seen = std::collections::BTreeSet::new();
    while !block.is_empty() {
        let typ = block.u16()?;
        let data = block.sub(2)?.rest();
        if !seen.insert(typ) {
            return Err(InvalidMessage::DuplicateExtension(typ));
        }
        out.push(E::parse(typ, data)?);
    }
    Ok(out)
}
