//! The SSL 2.0-format CLIENT-HELLO that TLS servers may accept for backward compatibility
//! (RFC 5246 Appendix E.2; RFC 6176 §3 keeps it a MAY after prohibiting SSL 2.0 itself):
//! a 2-byte header with the high bit set, then msg_type 1, version, three lengths, the
//! 3-byte cipher specs, the session ID and the challenge. A TLS suite is a spec whose first
//! byte is 0; the challenge, left-padded with zeros to 32 bytes, is the client random.
//! The handshake hash covers the message from msg_type on (not the 2-byte header).

use super::codec::{InvalidMessage, Reader};
use super::enums::{CompressionMethod, ProtocolVersion};
use super::messages::{ClientHello, SessionId};
use super::suites::CipherSuite;

/// Whether the first byte of a connection starts an SSL 2.0 record with a 2-byte header
/// (high bit set). No TLS content type (20..=23) has it.
pub fn is_sslv2_start(first: u8) -> bool {
    first & 0x80 != 0
}

/// An SSL 2.0 CLIENT-HELLO read from the start of a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sslv2Hello {
    /// The hello as a TLS ClientHello (no extensions, null compression).
    pub hello: ClientHello,
    /// The bytes the handshake hash covers: msg_type onwards.
    pub transcript: Vec<u8>,
    /// Bytes of input the record took (header included).
    pub consumed: usize,
}

/// Reads an SSL 2.0 CLIENT-HELLO at the start of `buf`: `Ok(None)` until the whole record is
/// there, an error for anything but a well-formed CLIENT-HELLO.
pub fn read_sslv2_hello(buf: &[u8]) -> Result<Option<Sslv2Hello>, InvalidMessage> {
    let (Some(&b0), Some(&b1)) = (buf.first(), buf.get(1)) else {
        return Ok(None);
    };
    if !is_sslv2_start(b0) {
        return Err(InvalidMessage::UnexpectedValue("SSL 2.0 record header"));
    }
    let len = usize::from(b0 & 0x7f) << 8 | usize::from(b1);
    let Some(body) = buf.get(2..2 + len) else {
        return Ok(None);
    };
    let mut r = Reader::new(body);
    if r.u8()? != 1 {
        return Err(InvalidMessage::UnexpectedValue("SSL 2.0 msg_type"));
    }
    let version = ProtocolVersion::from(r.u16()?);
    let spec_len = usize::from(r.u16()?);
    let sid_len = usize::from(r.u16()?);
    let challenge_len = usize::from(r.u16()?);
    if spec_len == 0 || spec_len % 3 != 0 {
        return Err(InvalidMessage::UnexpectedValue(
            "SSL 2.0 cipher_spec_length",
        ));
    }
    // E.2: session_id_length is 0 or 16 (SSL 2.0's), the challenge 16 to 32 bytes.
    if !matches!(sid_len, 0 | 16) || !(16..=32).contains(&challenge_len) {
        return Err(InvalidMessage::UnexpectedValue("SSL 2.0 lengths"));
    }
    let specs = r.take(spec_len)?;
    let sid = r.take(sid_len)?;
    let challenge = r.take(challenge_len)?;
    r.expect_empty()?;
    let suites = specs
        .chunks_exact(3)
        .filter(|s| s[0] == 0)
        .map(|s| CipherSuite(u16::from_be_bytes([s[1], s[2]])))
        .collect();
    let mut random = [0u8; 32];
    random[32 - challenge_len..].copy_from_slice(challenge);
    Ok(Some(Sslv2Hello {
        hello: ClientHello {
            version,
            random,
            session_id: SessionId(sid.to_vec()),
            suites,
            compression: vec![CompressionMethod::Null],
            extensions: Vec::new(),
        },
        transcript: body.to_vec(),
        consumed: 2 + len,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand-built hello: version 3.3, specs TLS_RSA_WITH_AES_128_CBC_SHA (00 00 2f), an
    /// SSL 2.0-only spec (07 00 c0: SSL_CK_DES_192_EDE3_CBC_WITH_MD5) and the SCSV, no
    /// session ID, a 16-byte challenge.
    fn hello() -> Vec<u8> {
        let mut body = vec![1, 3, 3, 0, 9, 0, 0, 0, 16];
        body.extend([0, 0, 0x2f, 7, 0, 0xc0, 0, 0, 0xff]);
        body.extend(1..=16u8);
        let mut v = vec![0x80, u8::try_from(body.len()).unwrap()];
        v.extend(body);
        v
    }

    #[test]
    fn reads_a_hand_built_hello() {
        let h = hello();
        let got = read_sslv2_hello(&h).unwrap().unwrap();
        assert_eq!(got.consumed, h.len());
        assert_eq!(got.transcript, h[2..]);
        assert_eq!(got.hello.version, ProtocolVersion::TLSv1_2);
        assert_eq!(
            got.hello.suites,
            vec![CipherSuite(0x002f), CipherSuite(0x00ff)]
        );
        assert_eq!(&got.hello.random[..16], &[0; 16]);
        assert_eq!(&got.hello.random[16..], &(1..=16u8).collect::<Vec<_>>()[..]);
        assert!(got.hello.session_id.0.is_empty());
        // Incomplete input waits; a TLS record or bad lengths are errors.
        for n in 0..h.len() {
            assert_eq!(read_sslv2_hello(&h[..n]), Ok(None), "{n}");
        }
        assert!(read_sslv2_hello(&[0x16, 3, 1, 0, 5]).is_err());
        let mut bad = h.clone();
        bad[2] = 2; // not CLIENT-HELLO
        assert!(read_sslv2_hello(&bad).is_err());
        let mut bad = h.clone();
        bad[6] = 8; // cipher_spec_length not a multiple of 3
        assert!(read_sslv2_hello(&bad).is_err());
        let mut bad = h;
        bad[10] = 8; // challenge shorter than 16
        assert!(read_sslv2_hello(&bad).is_err());
    }
}
