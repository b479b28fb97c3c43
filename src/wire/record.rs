//! The record layer's framing (RFC 5246 §6.2): records out of a byte stream, handshake
//! messages cut into record payloads, and handshake messages joined back from them —
//! keeping how many records each message spanned, which Schannel's MessageLimit checks.

use std::collections::VecDeque;

use super::codec::{put_vec, Codec, InvalidMessage, Reader};
use super::enums::{ContentType, HandshakeType, ProtocolVersion};

/// Largest TLSPlaintext fragment: 2^14 (RFC 5246 §6.2.1).
pub const MAX_FRAGMENT: usize = 16384;
/// Largest TLSCiphertext fragment: 2^14 + 2048 (RFC 5246 §6.2.3); longer → record_overflow.
pub const MAX_CIPHERTEXT: usize = MAX_FRAGMENT + 2048;
/// Record header: type, version, u16 length.
pub const RECORD_HEADER_LEN: usize = 5;
/// Handshake header: type, u24 length.
pub const HANDSHAKE_HEADER_LEN: usize = 4;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Record {
    pub typ: ContentType,
    pub version: ProtocolVersion,
    pub fragment: Vec<u8>,
}

impl Record {
    /// Writes the 5-byte header and the fragment (usable without `Codec` in scope).
    ///
    /// Panics if the fragment exceeds 65535 bytes, which no caller should build.
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.typ.encode(out);
        self.version.encode(out);
        put_vec(out, 2, &self.fragment);
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(RECORD_HEADER_LEN + self.fragment.len());
        self.encode(&mut out);
        out
    }
}

impl Codec for Record {
    fn encode(&self, out: &mut Vec<u8>) {
        Record::encode(self, out)
    }

    /// Reads one record without the deframer's checks on type and length.
    fn read(r: &mut Reader) -> Result<Self, InvalidMessage> {
        Ok(Record {
            typ: ContentType::read(r)?,
            version: ProtocolVersion::read(r)?,
            fragment: r.sub(2)?.rest().to_vec(),
        })
    }
}

/// Cuts a byte stream into records.
#[derive(Debug, Default, Clone)]
pub struct RecordDeframer {
    buf: Vec<u8>,
}

impl RecordDeframer {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete record, `Ok(None)` if more bytes are needed. Errors are fatal for
    /// the connection: a content type outside 20..=23 (unexpected_message) or a length
    /// above 2^14 + 2048 (record_overflow), both detected from the header alone.
    pub fn pop(&mut self) -> Result<Option<Record>, InvalidMessage> {
        if let Some(&t) = self.buf.first() {
            if !ContentType::from(t).is_known() {
                return Err(InvalidMessage::UnknownContentType(t));
            }
        }
        if self.buf.len() < RECORD_HEADER_LEN {
            return Ok(None);
        }
        let len = u16::from_be_bytes([self.buf[3], self.buf[4]]) as usize;
        if len > MAX_CIPHERTEXT {
            return Err(InvalidMessage::RecordOverflow(len));
        }
        if self.buf.len() < RECORD_HEADER_LEN + len {
            return Ok(None);
        }
        let rest = self.buf.split_off(RECORD_HEADER_LEN + len);
        let rec = std::mem::replace(&mut self.buf, rest);
        Ok(Some(Record {
            typ: ContentType::from(rec[0]),
            version: ProtocolVersion::from(u16::from_be_bytes([rec[1], rec[2]])),
            fragment: rec[RECORD_HEADER_LEN..].to_vec(),
        }))
    }

    /// The bytes not yet popped as records (for a connection handing its input to another
    /// record layer, as the TLS 1.2 engine does to TLS 1.3's after the hellos).
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }

    /// Bytes received but not yet returned as records.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }
}

/// Cuts encoded handshake messages into record payloads of at most `max_fragment` bytes.
/// With `pack`, messages are concatenated first so one record can carry several (OpenSSL);
/// without, each message starts a new record (Schannel, Java). A `max_fragment` of 0 is
/// treated as 1.
pub fn fragment_handshake(messages: &[Vec<u8>], max_fragment: usize, pack: bool) -> Vec<Vec<u8>> {
    let max = max_fragment.max(1);
    let cut = |bytes: &[u8], out: &mut Vec<Vec<u8>>| {
        out.extend(bytes.chunks(max).map(<[u8]>::to_vec));
    };
    let mut out = Vec::new();
    if pack {
        cut(&messages.concat(), &mut out);
    } else {
        for m in messages {
            cut(m, &mut out);
        }
    }
    out
}

/// A handshake message as reassembled from records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinedMessage {
    pub typ: HandshakeType,
    pub body_len: usize,
    /// Header and body exactly as received (what the handshake hash covers).
    pub raw: Vec<u8>,
    /// How many records carried part of it (1 = not fragmented).
    pub records: usize,
}

impl JoinedMessage {
    pub fn body(&self) -> &[u8] {
        &self.raw[HANDSHAKE_HEADER_LEN..]
    }
}

/// What [`HandshakeJoiner::push_limited`] knows of a message once its 4-byte header is
/// complete, before any of its body is buffered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageHeader {
    pub typ: HandshakeType,
    /// Declared body length (u24).
    pub len: usize,
    /// Whether the message spans more than one record: its header was split across records,
    /// or its body does not fit in what remains of the record that completed the header.
    /// Known exactly at this point.
    pub fragmented: bool,
    /// Records that carried part of it so far (those of its header).
    pub records: usize,
}

/// Joins handshake-record payloads into messages.
#[derive(Debug, Default, Clone)]
pub struct HandshakeJoiner {
    /// Bytes of the message being assembled (header first).
    partial: Vec<u8>,
    /// Records that contributed to `partial`.
    partial_records: usize,
    ready: VecDeque<JoinedMessage>,
}

impl HandshakeJoiner {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one handshake record's payload. An empty payload is refused
    /// (RFC 5246 §6.2.1: "Implementations MUST NOT send zero-length fragments of
    /// Handshake … content types").
    pub fn push(&mut self, fragment: &[u8]) -> Result<(), InvalidMessage> {
        self.push_limited(fragment, |_| true).map(|_| ())
    }

    /// As [`push`](Self::push), but `allow` sees each message's header as soon as it is
    /// complete, before any of its body is buffered. When it returns false the joiner stops
    /// there and returns that header: the body is never buffered (a peer claiming a 2^24-1
    /// byte message costs 4 bytes). Messages completed before it in the same fragment are
    /// still waiting in [`pop`](Self::pop), in order. After a refusal the connection is
    /// over: the joiner must not be fed again.
    pub fn push_limited(
        &mut self,
        fragment: &[u8],
        mut allow: impl FnMut(&MessageHeader) -> bool,
    ) -> Result<Option<MessageHeader>, InvalidMessage> {
        if fragment.is_empty() {
            return Err(InvalidMessage::EmptyHandshakeFragment);
        }
        let mut rest = fragment;
        let mut counted = false;
        loop {
            if let Some((_, len)) = self.peek_header() {
                if self.partial.len() == HANDSHAKE_HEADER_LEN + len {
                    self.finish();
                    counted = false;
                    continue;
                }
            }
            if rest.is_empty() {
                return Ok(None);
            }
            let need = match self.peek_header() {
                None => HANDSHAKE_HEADER_LEN - self.partial.len(),
                Some((_, len)) => HANDSHAKE_HEADER_LEN + len - self.partial.len(),
            };
            let header_was_partial = self.partial.len() < HANDSHAKE_HEADER_LEN;
            let (now, later) = rest.split_at(need.min(rest.len()));
            self.partial.extend_from_slice(now);
            if !counted {
                self.partial_records += 1;
                counted = true;
            }
            rest = later;
            if header_was_partial {
                if let Some((typ, len)) = self.peek_header() {
                    let h = MessageHeader {
                        typ,
                        len,
                        fragmented: self.partial_records > 1 || rest.len() < len,
                        records: self.partial_records,
                    };
                    if !allow(&h) {
                        return Ok(Some(h));
                    }
                }
            }
        }
    }

    fn finish(&mut self) {
        let raw = std::mem::take(&mut self.partial);
        self.ready.push_back(JoinedMessage {
            typ: HandshakeType::from(raw[0]),
            body_len: raw.len() - HANDSHAKE_HEADER_LEN,
            raw,
            records: std::mem::take(&mut self.partial_records),
        });
    }

    /// The next complete message, in order.
    pub fn pop(&mut self) -> Option<JoinedMessage> {
        self.ready.pop_front()
    }

    /// Type and declared body length of the message being assembled, as soon as its
    /// 4-byte header has arrived.
    pub fn peek_header(&self) -> Option<(HandshakeType, usize)> {
        self.partial.get(..HANDSHAKE_HEADER_LEN).map(|h| {
            (
                HandshakeType::from(h[0]),
                u32::from_be_bytes([0, h[1], h[2], h[3]]) as usize,
            )
        })
    }

    /// True when no partial message is buffered (complete ones may still wait in `pop`).
    pub fn is_empty(&self) -> bool {
        self.partial.is_empty()
    }

    /// Complete messages waiting to be popped.
    pub fn ready(&self) -> usize {
        self.ready.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deframer_checks_header() {
        let mut d = RecordDeframer::new();
        d.push(&[22, 3, 3, 0]);
        assert_eq!(d.pop(), Ok(None));
        d.push(&[2, 0xaa]);
        assert_eq!(d.pop(), Ok(None));
        d.push(&[0xbb, 21]);
        let r = d.pop().unwrap().unwrap();
        assert_eq!(r.typ, ContentType::Handshake);
        assert_eq!(r.version, ProtocolVersion::TLSv1_2);
        assert_eq!(r.fragment, vec![0xaa, 0xbb]);
        assert_eq!(d.buffered(), 1);
        assert_eq!(d.pop(), Ok(None));

        let mut d = RecordDeframer::new();
        d.push(&[0x80, 3, 3, 0, 1]);
        let e = d.pop().unwrap_err();
        assert_eq!(e.alert(), crate::wire::AlertDescription::UnexpectedMessage);

        let mut d = RecordDeframer::new();
        d.push(&[23, 3, 3, 0x48, 0x01]);
        let e = d.pop().unwrap_err();
        assert_eq!(e, InvalidMessage::RecordOverflow(0x4801));
        assert_eq!(e.alert(), crate::wire::AlertDescription::RecordOverflow);
        let mut d = RecordDeframer::new();
        d.push(&[23, 3, 3, 0x48, 0x00]);
        assert_eq!(d.pop(), Ok(None));
    }

    #[test]
    fn joiner_counts_records_and_peeks_header() {
        let mut j = HandshakeJoiner::new();
        assert!(j.push(&[]).is_err());
        // ServerHelloDone (empty body) packed with the start of a 5-byte Finished.
        j.push(&[14, 0, 0, 0, 20, 0, 0]).unwrap();
        assert_eq!(j.peek_header(), None);
        assert!(!j.is_empty());
        j.push(&[5, 1, 2]).unwrap();
        assert_eq!(j.peek_header(), Some((HandshakeType::Finished, 5)));
        j.push(&[3, 4, 5]).unwrap();
        assert!(j.is_empty());
        let a = j.pop().unwrap();
        assert_eq!(
            (a.typ, a.body_len, a.records),
            (HandshakeType::ServerHelloDone, 0, 1)
        );
        let b = j.pop().unwrap();
        assert_eq!(
            (b.typ, b.body_len, b.records),
            (HandshakeType::Finished, 5, 3)
        );
        assert_eq!(b.raw, vec![20, 0, 0, 5, 1, 2, 3, 4, 5]);
        assert_eq!(j.pop(), None);
    }

    #[test]
    fn push_limited_refuses_at_the_header_without_buffering_the_body() {
        let mut seen = Vec::new();
        let mut j = HandshakeJoiner::new();
        // A complete ServerHelloDone, then a Certificate header claiming 2^24-1 bytes and
        // the first bytes of its body.
        let r = j
            .push_limited(&[14, 0, 0, 0, 11, 0xff, 0xff, 0xff, 1, 2, 3], |h| {
                seen.push(*h);
                h.len < 1000
            })
            .unwrap();
        let want = MessageHeader {
            typ: HandshakeType::Certificate,
            len: 0xff_ffff,
            fragmented: true,
            records: 1,
        };
        assert_eq!(r, Some(want));
        assert_eq!(seen.last(), Some(&want));
        assert_eq!(
            j.partial.len(),
            HANDSHAKE_HEADER_LEN,
            "no body byte buffered"
        );
        assert_eq!(j.pop().map(|m| m.typ), Some(HandshakeType::ServerHelloDone));

        // Fragmented or not, as known at the header: a header split across records, a body
        // longer than the rest of the record, or a message that fits.
        let mut j = HandshakeJoiner::new();
        let mut seen = Vec::new();
        j.push_limited(&[20, 0], |h| {
            seen.push(*h);
            true
        })
        .unwrap();
        j.push_limited(&[0, 2, 9, 9, 20, 0, 0, 3, 1], |h| {
            seen.push(*h);
            true
        })
        .unwrap();
        let got: Vec<_> = seen
            .iter()
            .map(|h| (h.len, h.fragmented, h.records))
            .collect();
        assert_eq!(got, vec![(2, true, 2), (3, true, 1)]);
        let mut j = HandshakeJoiner::new();
        j.push_limited(&[20, 0, 0, 2, 9, 9], |h| {
            assert!(!h.fragmented);
            true
        })
        .unwrap();
        assert_eq!(j.pop().map(|m| m.records), Some(1));
    }

    #[test]
    fn fragmenting_packs_or_not() {
        let m = vec![vec![1u8; 5], vec![2u8; 3]];
        assert_eq!(fragment_handshake(&m, 4, true).len(), 2);
        assert_eq!(fragment_handshake(&m, 4, false).len(), 3);
        assert_eq!(
            fragment_handshake(&m, 100, true),
            vec![[m[0].clone(), m[1].clone()].concat()]
        );
    }
}
