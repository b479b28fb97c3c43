//! The byte-level codec: a `Reader` that never panics on short input, the `Codec` trait
//! every wire type implements, length-prefixed writers, and the typed decode error.

use super::enums::AlertDescription;

/// Why a message could not be decoded. Each variant names what the peer sent wrong; the
/// alert to send for it is [`InvalidMessage::alert`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidMessage {
    /// The input ended before a field was complete.
    #[error("truncated: needed {needed} more bytes, {left} left")]
    Truncated { needed: usize, left: usize },
    /// Bytes remained after the structure was complete.
    #[error("trailing data after the message")]
    TrailingData,
    /// A length or vector exceeded its allowed maximum.
    #[error("value too long")]
    TooLong,
    /// A field held a value the RFC forbids (decode_error).
    #[error("unexpected value in {0}")]
    UnexpectedValue(&'static str),
    /// A vector whose minimum length is at least 1 was empty.
    #[error("empty vector: {0}")]
    EmptyVector(&'static str),
    /// The same extension type appeared twice in one hello (RFC 5246 §7.4.1.4).
    #[error("duplicate extension {0:#06x}")]
    DuplicateExtension(u16),
    /// A syntactically valid field carried a value the RFC calls illegal (illegal_parameter).
    #[error("illegal parameter: {0}")]
    IllegalParameter(&'static str),
    /// A record's length exceeded 2^14 + 2048 (RFC 5246 §6.2.3).
    #[error("record of {0} bytes exceeds the limit")]
    RecordOverflow(usize),
    /// A record carried a content type outside 20..=23.
    #[error("unknown record content type {0}")]
    UnknownContentType(u8),
    /// A handshake record with an empty fragment (RFC 5246 §6.2.1 forbids it).
    #[error("zero-length handshake fragment")]
    EmptyHandshakeFragment,
}

impl InvalidMessage {
    /// The alert a peer sends when it fails to decode with this error.
    pub fn alert(&self) -> AlertDescription {
        match self {
            // RFC 5246 §7.4.1.4: "There MUST NOT be more than one extension of the same type."
            // Most stacks answer illegal_parameter.
            InvalidMessage::DuplicateExtension(_) | InvalidMessage::IllegalParameter(_) => {
                AlertDescription::IllegalParameter
            }
            InvalidMessage::RecordOverflow(_) => AlertDescription::RecordOverflow,
            InvalidMessage::UnknownContentType(_) | InvalidMessage::EmptyHandshakeFragment => {
                AlertDescription::UnexpectedMessage
            }
            _ => AlertDescription::DecodeError,
        }
    }
}

/// A cursor over received bytes. Every read checks the length first and returns
/// [`InvalidMessage::Truncated`] instead of panicking.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], InvalidMessage> {
        let left = self.left();
        if n > left {
            return Err(InvalidMessage::Truncated {
                needed: n - left,
                left,
            });
        }
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    pub fn u8(&mut self) -> Result<u8, InvalidMessage> {
        Ok(self.take(1)?[0])
    }

    pub fn u16(&mut self) -> Result<u16, InvalidMessage> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub fn u24(&mut self) -> Result<u32, InvalidMessage> {
        let b = self.take(3)?;
        Ok(u32::from_be_bytes([0, b[0], b[1], b[2]]))
    }

    pub fn u32(&mut self) -> Result<u32, InvalidMessage> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// All remaining bytes (the reader is then empty).
    pub fn rest(&mut self) -> &'a [u8] {
        let out = &self.buf[self.pos..];
        self.pos = self.buf.len();
        out
    }

    pub fn left(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub fn is_empty(&self) -> bool {
        self.left() == 0
    }

    pub fn expect_empty(&self) -> Result<(), InvalidMessage> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(InvalidMessage::TrailingData)
        }
    }

    /// Reads a `len_bytes`-byte (1, 2 or 3) big-endian length and returns a reader over
    /// exactly that many following bytes.
    pub fn sub(&mut self, len_bytes: usize) -> Result<Reader<'a>, InvalidMessage> {
        let len = match len_bytes {
            1 => self.u8()? as usize,
            2 => self.u16()? as usize,
            3 => self.u24()? as usize,
            _ => return Err(InvalidMessage::UnexpectedValue("length prefix width")),
        };
        Ok(Reader::new(self.take(len)?))
    }

    /// A length-prefixed opaque vector whose length must lie in `min..=max`.
    pub fn opaque(
        &mut self,
        len_bytes: usize,
        min: usize,
        max: usize,
        what: &'static str,
    ) -> Result<&'a [u8], InvalidMessage> {
        let mut s = self.sub(len_bytes)?;
        let body = s.rest();
        if body.len() < min {
            return Err(if body.is_empty() {
                InvalidMessage::EmptyVector(what)
            } else {
                InvalidMessage::UnexpectedValue(what)
            });
        }
        if body.len() > max {
            return Err(InvalidMessage::TooLong);
        }
        Ok(body)
    }
}

/// Encoding and decoding of one wire type.
pub trait Codec: Sized {
    fn encode(&self, out: &mut Vec<u8>);
    fn read(r: &mut Reader) -> Result<Self, InvalidMessage>;

    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    /// Decodes `b`, which must hold exactly one value.
    fn from_bytes(b: &[u8]) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(b);
        let v = Self::read(&mut r)?;
        r.expect_empty()?;
        Ok(v)
    }
}

impl Codec for u8 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(*self);
    }
    fn read(r: &mut Reader) -> Result<Self, InvalidMessage> {
        r.u8()
    }
}

impl Codec for u16 {
    fn encode(&self, out: &mut Vec<u8>) {
        put_u16(out, *self);
    }
    fn read(r: &mut Reader) -> Result<Self, InvalidMessage> {
        r.u16()
    }
}

pub fn put_u8(out: &mut Vec<u8>, v: u8) {
    out.push(v);
}

pub fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// Writes the low 24 bits of `v`.
pub fn put_u24(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes()[1..]);
}

pub fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// `n` as a 24-bit length; `None` if it is 2^24 or more.
pub fn u24_len(n: usize) -> Option<u32> {
    u32::try_from(n).ok().filter(|n| *n < 1 << 24)
}

/// Writes `body` preceded by its length in `len_bytes` (1, 2 or 3) bytes.
///
/// Panics if the body does not fit the prefix, rather than write a truncated length. That is
/// a bug in the encoder's caller, never something a peer controls: what was decoded from a
/// peer was read with the same prefix, and what the engine builds from a profile (certificate
/// sizes, suite lists, the server name, the trusted-issuer list, a custom DH prime) fits as
/// long as profile validation bounds those fields (`Profile::validate`).
pub fn put_vec(out: &mut Vec<u8>, len_bytes: usize, body: &[u8]) {
    let n = body.len();
    match len_bytes {
        1 => put_u8(
            out,
            u8::try_from(n).expect("vector fits its u8 length prefix"),
        ),
        2 => put_u16(
            out,
            u16::try_from(n).expect("vector fits its u16 length prefix"),
        ),
        3 => put_u24(out, u24_len(n).expect("vector fits its u24 length prefix")),
        _ => panic!("length prefix width must be 1, 2 or 3"),
    }
    out.extend_from_slice(body);
}

/// Encodes with `f` into a scratch buffer, then writes it length-prefixed.
pub fn put_nested(out: &mut Vec<u8>, len_bytes: usize, f: impl FnOnce(&mut Vec<u8>)) {
    let mut body = Vec::new();
    f(&mut body);
    put_vec(out, len_bytes, &body);
}

/// Reads a length-prefixed list of `T` (the prefix counts bytes).
pub fn read_list<T: Codec>(r: &mut Reader, len_bytes: usize) -> Result<Vec<T>, InvalidMessage> {
    let mut s = r.sub(len_bytes)?;
    let mut v = Vec::new();
    while !s.is_empty() {
        v.push(T::read(&mut s)?);
    }
    Ok(v)
}

/// Writes a length-prefixed list of `T`.
pub fn put_list<T: Codec>(out: &mut Vec<u8>, len_bytes: usize, items: &[T]) {
    put_nested(out, len_bytes, |b| {
        for i in items {
            i.encode(b);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_never_panics_on_short_input() {
        let mut r = Reader::new(&[1, 2]);
        assert_eq!(
            r.u24(),
            Err(InvalidMessage::Truncated { needed: 1, left: 2 })
        );
        assert_eq!(r.u16(), Ok(0x0102));
        assert!(r.u8().is_err());
        assert!(r.sub(2).is_err());
        assert!(r.sub(7).is_err());
    }

    #[test]
    fn sub_reader_and_prefixes() {
        let mut out = Vec::new();
        put_vec(&mut out, 3, &[9, 8]);
        put_u24(&mut out, 0x010203);
        assert_eq!(out, [0, 0, 2, 9, 8, 1, 2, 3]);
        let mut r = Reader::new(&out);
        let mut s = r.sub(3).unwrap();
        assert_eq!(s.rest(), &[9, 8]);
        assert_eq!(r.u24(), Ok(0x010203));
        r.expect_empty().unwrap();
    }
}
