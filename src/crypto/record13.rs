//! TLS 1.3 record protection (RFC 8446 §5.2–§5.4): real AEAD (AES-128-GCM, AES-256-GCM,
//! ChaCha20-Poly1305), the per-record nonce (the write IV XOR the 64-bit sequence number,
//! left-padded), the TLSInnerPlaintext (content, real content type, zero padding), the outer
//! opaque_type application_data(23) with legacy_record_version 0x0303, and the record header
//! as additional data.

use super::tls13::{Aead13, TrafficKeys};
use crate::wire::AlertDescription;

/// Outer content type of every protected record (RFC 8446 §5.2).
pub const OPAQUE_TYPE: u8 = 23;
/// legacy_record_version of every protected record (RFC 8446 §5.2).
pub const LEGACY_RECORD_VERSION: u16 = 0x0303;
/// Most content bytes one record may carry (RFC 8446 §5.1).
pub const MAX_PLAINTEXT: usize = 1 << 14;
/// Most bytes of encrypted_record (RFC 8446 §5.2: 2^14 + 256).
pub const MAX_CIPHERTEXT: usize = (1 << 14) + 256;

/// Why a protected record was refused; [`Record13Error::alert`] names the alert RFC 8446
/// sends for it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Record13Error {
    /// The AEAD tag did not verify (§5.2: bad_record_mac).
    #[error("AEAD decryption failed")]
    BadRecordMac,
    /// The encrypted_record or the inner plaintext exceeds its limit (§5.2, §5.4).
    #[error("record of {0} bytes exceeds the limit")]
    Overflow(usize),
    /// The inner plaintext held no non-zero byte, so no content type (§5.4).
    #[error("protected record without a content type")]
    NoContentType,
    /// The outer type was not application_data or the header was malformed (§5.2).
    #[error("protected record with outer type {0}")]
    BadOuterType(u8),
    /// The record is shorter than its header, or its length field disagrees.
    #[error("malformed record header")]
    BadHeader,
    /// 2^64 records were sent with one key (§5.3: the key must change first).
    #[error("sequence number exhausted")]
    SequenceExhausted,
}

impl Record13Error {
    pub fn alert(&self) -> AlertDescription {
        match self {
            Record13Error::BadRecordMac => AlertDescription::BadRecordMac,
            Record13Error::Overflow(_) => AlertDescription::RecordOverflow,
            Record13Error::NoContentType | Record13Error::BadOuterType(_) => {
                AlertDescription::UnexpectedMessage
            }
            Record13Error::BadHeader => AlertDescription::DecodeError,
            Record13Error::SequenceExhausted => AlertDescription::InternalError,
        }
    }
}

enum Cipher {
    Aes128(Box<aes_gcm::Aes128Gcm>),
    Aes256(Box<aes_gcm::Aes256Gcm>),
    ChaCha(Box<chacha20poly1305::ChaCha20Poly1305>),
}

/// One direction's record protection: AEAD key, write IV and sequence number (RFC 8446 §5.3).
pub struct RecordLayer13 {
    aead: Aead13,
    cipher: Cipher,
    iv: [u8; 12],
    seq: u64,
    exhausted: bool,
}

impl std::fmt::Debug for RecordLayer13 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordLayer13")
            .field("aead", &self.aead)
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}

impl RecordLayer13 {
    /// A record layer keyed with `keys` (from [`TrafficKeys::derive`]), sequence number 0.
    /// Panics if the key or IV lengths do not match `aead` — they come from the key schedule,
    /// never from a peer.
    pub fn new(aead: Aead13, keys: &TrafficKeys) -> Self {
        use aes_gcm::aead::KeyInit;
        assert_eq!(keys.key.len(), aead.key_len(), "traffic key length");
        let iv: [u8; 12] = keys.iv.as_slice().try_into().expect("12-byte IV");
        let cipher = match aead {
            Aead13::Aes128Gcm => Cipher::Aes128(Box::new(
                aes_gcm::Aes128Gcm::new_from_slice(&keys.key).expect("16-byte key"),
            )),
            Aead13::Aes256Gcm => Cipher::Aes256(Box::new(
                aes_gcm::Aes256Gcm::new_from_slice(&keys.key).expect("32-byte key"),
            )),
            Aead13::ChaCha20Poly1305 => Cipher::ChaCha(Box::new(
                chacha20poly1305::ChaCha20Poly1305::new_from_slice(&keys.key).expect("32-byte key"),
            )),
        };
        RecordLayer13 {
            aead,
            cipher,
            iv,
            seq: 0,
            exhausted: false,
        }
    }

    /// The sequence number of the next record.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The per-record nonce: the 64-bit sequence number, big-endian, left-padded to 12 bytes,
    /// XOR the write IV (RFC 8446 §5.3).
    pub fn nonce(&self) -> [u8; 12] {
        let mut n = self.iv;
        for (b, s) in n[4..].iter_mut().zip(self.seq.to_be_bytes()) {
            *b ^= s;
        }
        n
    }

    fn bump(&mut self) {
        match self.seq.checked_add(1) {
            Some(s) => self.seq = s,
            None => self.exhausted = true,
        }
    }

    /// Protects `content` of `content_type` with `padding` zero bytes after the type, and
    /// returns the whole record (header and encrypted_record).
    pub fn seal(
        &mut self,
        content_type: u8,
        content: &[u8],
        padding: usize,
    ) -> Result<Vec<u8>, Record13Error> {
        if self.exhausted {
            return Err(Record13Error::SequenceExhausted);
        }
        let inner_len = content.len() + 1 + padding;
        if inner_len > MAX_PLAINTEXT + 1 {
            return Err(Record13Error::Overflow(inner_len));
        }
        let mut inner = Vec::with_capacity(inner_len + self.aead.tag_len());
        inner.extend_from_slice(content);
        inner.push(content_type);
        inner.resize(inner_len, 0);
        let ct_len = inner_len + self.aead.tag_len();
        let len = u16::try_from(ct_len).map_err(|_| Record13Error::Overflow(ct_len))?;
        let mut header = [OPAQUE_TYPE, 0x03, 0x03, 0, 0];
        header[3..].copy_from_slice(&len.to_be_bytes());
        let nonce = self.nonce();
        let sealed = self.crypt(true, &nonce, &header, &inner)?;
        self.bump();
        let mut out = Vec::with_capacity(5 + sealed.len());
        out.extend_from_slice(&header);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Opens one whole protected record (header included) and returns the real content type
    /// and the content with its padding removed (RFC 8446 §5.2, §5.4).
    pub fn open(&mut self, record: &[u8]) -> Result<(u8, Vec<u8>), Record13Error> {
        if record.len() < 5 {
            return Err(Record13Error::BadHeader);
        }
        let (header, body) = record.split_at(5);
        if header[0] != OPAQUE_TYPE {
            return Err(Record13Error::BadOuterType(header[0]));
        }
        if usize::from(u16::from_be_bytes([header[3], header[4]])) != body.len() {
            return Err(Record13Error::BadHeader);
        }
        self.open_fragment(header, body)
    }

    /// As [`open`](Self::open) for a record already split into its header and fragment.
    pub fn open_fragment(
        &mut self,
        header: &[u8],
        fragment: &[u8],
    ) -> Result<(u8, Vec<u8>), Record13Error> {
        if self.exhausted {
            return Err(Record13Error::SequenceExhausted);
        }
        if fragment.len() > MAX_CIPHERTEXT {
            return Err(Record13Error::Overflow(fragment.len()));
        }
        if fragment.len() < self.aead.tag_len() {
            return Err(Record13Error::BadRecordMac);
        }
        let nonce = self.nonce();
        let mut inner = self.crypt(false, &nonce, header, fragment)?;
        self.bump();
        if inner.len() > MAX_PLAINTEXT + 1 {
            return Err(Record13Error::Overflow(inner.len()));
        }
        let Some(pos) = inner.iter().rposition(|b| *b != 0) else {
            return Err(Record13Error::NoContentType);
        };
        let typ = inner[pos];
        inner.truncate(pos);
        Ok((typ, inner))
    }

    fn crypt(
        &self,
        seal: bool,
        nonce: &[u8; 12],
        aad: &[u8],
        msg: &[u8],
    ) -> Result<Vec<u8>, Record13Error> {
        use aes_gcm::aead::{Aead, Payload};
        let payload = Payload { msg, aad };
        let r = match &self.cipher {
            Cipher::Aes128(c) => {
                let n = &aes_gcm::Nonce::<aes_gcm::aead::consts::U12>::from(*nonce);
                if seal {
                    c.encrypt(n, payload)
                } else {
                    c.decrypt(n, payload)
                }
            }
            Cipher::Aes256(c) => {
                let n = &aes_gcm::Nonce::<aes_gcm::aead::consts::U12>::from(*nonce);
                if seal {
                    c.encrypt(n, payload)
                } else {
                    c.decrypt(n, payload)
                }
            }
            Cipher::ChaCha(c) => {
                let n = &chacha20poly1305::Nonce::from(*nonce);
                if seal {
                    c.encrypt(n, payload)
                } else {
                    c.decrypt(n, payload)
                }
            }
        };
        r.map_err(|_| Record13Error::BadRecordMac)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::tls13::{HashAlg, TrafficKeys};

    fn pair(aead: Aead13) -> (RecordLayer13, RecordLayer13) {
        let keys = TrafficKeys::derive(HashAlg::Sha256, aead, b"some traffic secret");
        (
            RecordLayer13::new(aead, &keys),
            RecordLayer13::new(aead, &keys),
        )
    }

    #[test]
    fn round_trip_each_aead_with_padding() {
        for aead in [
            Aead13::Aes128Gcm,
            Aead13::Aes256Gcm,
            Aead13::ChaCha20Poly1305,
        ] {
            let (mut tx, mut rx) = pair(aead);
            for (i, pad) in [0usize, 7, 300].into_iter().enumerate() {
                let rec = tx.seal(22, b"hello", pad).unwrap();
                assert_eq!(&rec[..3], &[23, 3, 3]);
                assert_eq!(rec.len(), 5 + 5 + 1 + pad + 16);
                assert_eq!(rx.open(&rec).unwrap(), (22, b"hello".to_vec()));
                assert_eq!(rx.seq(), i as u64 + 1);
            }
        }
    }

    #[test]
    fn tampering_and_reordering_fail_with_bad_record_mac() {
        let (mut tx, mut rx) = pair(Aead13::ChaCha20Poly1305);
        let a = tx.seal(23, b"first", 0).unwrap();
        let b = tx.seal(23, b"second", 0).unwrap();
        // Out of order: the nonce differs, so the tag fails.
        assert_eq!(rx.open(&b), Err(Record13Error::BadRecordMac));
        let (mut _tx, mut rx) = pair(Aead13::ChaCha20Poly1305);
        let mut bad = a.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(rx.open(&bad), Err(Record13Error::BadRecordMac));
        // The header is authenticated too.
        let (mut _tx, mut rx) = pair(Aead13::ChaCha20Poly1305);
        let mut hdr = a.clone();
        hdr[2] = 1;
        assert_eq!(rx.open(&hdr), Err(Record13Error::BadRecordMac));
    }

    #[test]
    fn all_zero_inner_plaintext_has_no_type() {
        let (mut tx, mut rx) = pair(Aead13::Aes128Gcm);
        let rec = tx.seal(0, b"", 3).unwrap();
        assert_eq!(rx.open(&rec), Err(Record13Error::NoContentType));
        assert_eq!(
            Record13Error::NoContentType.alert(),
            AlertDescription::UnexpectedMessage
        );
    }

    #[test]
    fn limits() {
        let (mut tx, mut rx) = pair(Aead13::Aes128Gcm);
        assert!(tx.seal(23, &vec![1; MAX_PLAINTEXT], 0).is_ok());
        assert_eq!(
            tx.seal(23, &vec![1; MAX_PLAINTEXT], 1),
            Err(Record13Error::Overflow(MAX_PLAINTEXT + 2))
        );
        let mut big = vec![23, 3, 3, 0, 0];
        big.extend(vec![0; MAX_CIPHERTEXT + 1]);
        let n = u16::try_from(MAX_CIPHERTEXT + 1).unwrap();
        big[3..5].copy_from_slice(&n.to_be_bytes());
        assert_eq!(
            rx.open(&big),
            Err(Record13Error::Overflow(MAX_CIPHERTEXT + 1))
        );
        assert_eq!(
            rx.open(&[22, 3, 3, 0, 0]),
            Err(Record13Error::BadOuterType(22))
        );
        assert_eq!(rx.open(&[23, 3]), Err(Record13Error::BadHeader));
    }

    #[test]
    fn nonce_is_iv_xor_seq() {
        let keys = TrafficKeys {
            key: vec![0; 16],
            iv: vec![0xff; 12],
        };
        let mut l = RecordLayer13::new(Aead13::Aes128Gcm, &keys);
        assert_eq!(l.nonce(), [0xff; 12]);
        l.seal(23, b"", 0).unwrap();
        let mut want = [0xff; 12];
        want[11] = 0xfe;
        assert_eq!(l.nonce(), want);
    }
}
