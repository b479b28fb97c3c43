//! Record protection. In simulated mode a record is sent in the clear followed by an HMAC over
//! the RFC 5246 §6.2.3.1 MAC input, keyed with the real key-block material: two peers that
//! derived different keys (for example through mechanism M1) fail with bad_record_mac exactly
//! where real TLS would. A real AEAD mode can be added as another [`Protection`] variant.

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Sha256, Sha384};

/// The key block of RFC 5246 §6.3, split into its six parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyBlock {
    pub client_mac: Vec<u8>,
    pub server_mac: Vec<u8>,
    pub client_key: Vec<u8>,
    pub server_key: Vec<u8>,
    pub client_iv: Vec<u8>,
    pub server_iv: Vec<u8>,
}

impl KeyBlock {
    /// Bytes of key block needed: `2 * (mac_len + key_len + iv_len)`.
    pub fn total_len(mac_len: usize, key_len: usize, iv_len: usize) -> usize {
        2 * (mac_len + key_len + iv_len)
    }

    /// Splits `block` in the order client MAC, server MAC, client key, server key, client IV,
    /// server IV. A short `block` yields short (possibly empty) trailing parts.
    pub fn split(block: &[u8], mac_len: usize, key_len: usize, iv_len: usize) -> KeyBlock {
        let mut rest = block;
        let mut take = |n: usize| -> Vec<u8> {
            let n = n.min(rest.len());
            let (a, b) = rest.split_at(n);
            rest = b;
            a.to_vec()
        };
        KeyBlock {
            client_mac: take(mac_len),
            server_mac: take(mac_len),
            client_key: take(key_len),
            server_key: take(key_len),
            client_iv: take(iv_len),
            server_iv: take(iv_len),
        }
    }
}

/// The HMAC hash of a MAC-protected record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MacHash {
    Sha1,
    Sha256,
    Sha384,
}

impl MacHash {
    /// Tag length in bytes.
    pub fn len(self) -> usize {
        match self {
            MacHash::Sha1 => 20,
            MacHash::Sha256 => 32,
            MacHash::Sha384 => 48,
        }
    }

    /// Always false (a MAC is never empty); present for clippy's `len_without_is_empty`.
    pub fn is_empty(self) -> bool {
        false
    }
}

/// The record MAC failed to verify (alert bad_record_mac, 20).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad record MAC")]
pub struct BadRecordMac;

fn mac_input<M: Mac>(m: &mut M, seq: u64, content_type: u8, version: u16, data: &[u8]) {
    m.update(&seq.to_be_bytes());
    m.update(&[content_type]);
    m.update(&version.to_be_bytes());
    // Records are at most 2^14 (+ expansion) bytes; the 16-bit length field truncates anything
    // larger exactly as a 16-bit wire field would.
    m.update(&(data.len() as u16).to_be_bytes());
    m.update(data);
}

fn mac_tag<M: Mac + KeyInit>(key: &[u8], seq: u64, ct: u8, ver: u16, data: &[u8]) -> Vec<u8> {
    let mut m = <M as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac_input(&mut m, seq, ct, ver, data);
    m.finalize().into_bytes().to_vec()
}

fn mac_ok<M: Mac + KeyInit>(
    key: &[u8],
    seq: u64,
    ct: u8,
    ver: u16,
    data: &[u8],
    tag: &[u8],
) -> bool {
    let mut m = <M as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac_input(&mut m, seq, ct, ver, data);
    m.verify_slice(tag).is_ok() // constant-time comparison
}

/// How a direction's records are protected.
#[derive(Clone, PartialEq, Eq)]
enum Protection {
    /// Plaintext followed by HMAC(key, seq || type || version || length || plaintext).
    MacOnly { hash: MacHash, key: Vec<u8> },
}

/// Protection state of one direction (one sequence-number space).
#[derive(Clone, PartialEq, Eq)]
pub struct RecordProtector {
    protection: Protection,
    seq: u64,
}

impl std::fmt::Debug for RecordProtector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Keys stay out of logs.
        let Protection::MacOnly { hash, .. } = &self.protection;
        f.debug_struct("RecordProtector")
            .field("mode", &"mac-only")
            .field("hash", hash)
            .field("seq", &self.seq)
            .finish()
    }
}

impl RecordProtector {
    /// Simulated protection: the plaintext is sent in the clear followed by
    /// HMAC(key, seq_num(8) || type(1) || version(2) || length(2) || plaintext) (RFC 5246
    /// §6.2.3.1 MAC input); `key` is the direction's MAC key from the real key block — for AEAD
    /// suites (no MAC key) pass write_key || fixed_iv. Mismatched keys → `open()` fails →
    /// bad_record_mac.
    pub fn mac_only(hash: MacHash, key: Vec<u8>) -> Self {
        RecordProtector {
            protection: Protection::MacOnly { hash, key },
            seq: 0,
        }
    }

    /// Protects one record and advances the sequence number.
    pub fn seal(&mut self, content_type: u8, version: u16, plaintext: &[u8]) -> Vec<u8> {
        let Protection::MacOnly { hash, key } = &self.protection;
        let tag = match hash {
            MacHash::Sha1 => mac_tag::<Hmac<Sha1>>(key, self.seq, content_type, version, plaintext),
            MacHash::Sha256 => {
                mac_tag::<Hmac<Sha256>>(key, self.seq, content_type, version, plaintext)
            }
            MacHash::Sha384 => {
                mac_tag::<Hmac<Sha384>>(key, self.seq, content_type, version, plaintext)
            }
        };
        let mut out = Vec::with_capacity(plaintext.len() + tag.len());
        out.extend_from_slice(plaintext);
        out.extend_from_slice(&tag);
        self.seq = self.seq.wrapping_add(1);
        out
    }

    /// Verifies and strips the MAC of one record; advances the sequence number on success.
    pub fn open(
        &mut self,
        content_type: u8,
        version: u16,
        fragment: &[u8],
    ) -> Result<Vec<u8>, BadRecordMac> {
        let Protection::MacOnly { hash, key } = &self.protection;
        let mac_len = hash.len();
        if fragment.len() < mac_len {
            return Err(BadRecordMac);
        }
        let (data, tag) = fragment.split_at(fragment.len() - mac_len);
        let ok = match hash {
            MacHash::Sha1 => mac_ok::<Hmac<Sha1>>(key, self.seq, content_type, version, data, tag),
            MacHash::Sha256 => {
                mac_ok::<Hmac<Sha256>>(key, self.seq, content_type, version, data, tag)
            }
            MacHash::Sha384 => {
                mac_ok::<Hmac<Sha384>>(key, self.seq, content_type, version, data, tag)
            }
        };
        if !ok {
            return Err(BadRecordMac);
        }
        self.seq = self.seq.wrapping_add(1);
        Ok(data.to_vec())
    }

    /// The sequence number of the next record.
    pub fn seq(&self) -> u64 {
        self.seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::prf::to_hex;

    #[test]
    fn key_block_split() {
        let block: Vec<u8> = (0u8..88).collect();
        assert_eq!(KeyBlock::total_len(20, 16, 8), 88);
        let kb = KeyBlock::split(&block, 20, 16, 8);
        assert_eq!(kb.client_mac, (0u8..20).collect::<Vec<_>>());
        assert_eq!(kb.server_mac, (20u8..40).collect::<Vec<_>>());
        assert_eq!(kb.client_key, (40u8..56).collect::<Vec<_>>());
        assert_eq!(kb.server_key, (56u8..72).collect::<Vec<_>>());
        assert_eq!(kb.client_iv, (72u8..80).collect::<Vec<_>>());
        assert_eq!(kb.server_iv, (80u8..88).collect::<Vec<_>>());
        // AEAD (GCM): no MAC key, 4-byte fixed IV
        let kb = KeyBlock::split(&block[..40], 0, 16, 4);
        assert!(kb.client_mac.is_empty());
        assert_eq!(kb.server_iv, (36u8..40).collect::<Vec<_>>());
        // short input does not panic
        let kb = KeyBlock::split(&block[..3], 20, 16, 8);
        assert_eq!(kb.client_mac.len(), 3);
        assert!(kb.server_iv.is_empty());
    }

    #[test]
    fn seal_open_roundtrip_and_sequence() {
        for hash in [MacHash::Sha1, MacHash::Sha256, MacHash::Sha384] {
            let mut tx = RecordProtector::mac_only(hash, vec![7; 32]);
            let mut rx = RecordProtector::mac_only(hash, vec![7; 32]);
            for i in 0..3u8 {
                let rec = tx.seal(23, 0x0303, &[i; 10]);
                assert_eq!(rec.len(), 10 + hash.len());
                assert_eq!(rx.open(23, 0x0303, &rec).unwrap(), vec![i; 10]);
            }
            assert_eq!((tx.seq(), rx.seq()), (3, 3));
        }
    }

    #[test]
    fn mismatches_are_bad_record_mac() {
        let mut tx = RecordProtector::mac_only(MacHash::Sha256, vec![1; 32]);
        let rec = tx.seal(22, 0x0303, b"finished");
        let wrong_key = RecordProtector::mac_only(MacHash::Sha256, vec![2; 32]);
        assert_eq!(wrong_key.clone().open(22, 0x0303, &rec), Err(BadRecordMac));
        let right = RecordProtector::mac_only(MacHash::Sha256, vec![1; 32]);
        assert_eq!(right.clone().open(21, 0x0303, &rec), Err(BadRecordMac)); // type
        assert_eq!(right.clone().open(22, 0x0302, &rec), Err(BadRecordMac)); // version
        let mut tampered = rec.clone();
        tampered[0] ^= 1;
        assert_eq!(right.clone().open(22, 0x0303, &tampered), Err(BadRecordMac));
        assert_eq!(right.clone().open(22, 0x0303, &rec[..5]), Err(BadRecordMac)); // too short
        let mut ahead = right.clone();
        ahead.seq = 1;
        assert_eq!(ahead.open(22, 0x0303, &rec), Err(BadRecordMac)); // sequence
        let mut r = right;
        assert_eq!(r.open(22, 0x0303, &rec).unwrap(), b"finished");
        assert_eq!(r.seq(), 1);
        let dbg = format!("{r:?}");
        assert!(!dbg.contains("[1, 1"));
    }

    /// Known answer for the MAC input layout: HMAC-SHA256 over
    /// seq(8)=0 || type 0x17 || version 0x0303 || length 0x0005 || "hello", key = 32 x 0x0b,
    /// computed with OpenSSL 3.0.19:
    /// `printf '\x00\x00\x00\x00\x00\x00\x00\x00\x17\x03\x03\x00\x05hello' | openssl dgst
    ///  -sha256 -mac HMAC -macopt hexkey:0b0b...0b (32 bytes)`.
    #[test]
    fn mac_input_layout_known_answer() {
        let mut tx = RecordProtector::mac_only(MacHash::Sha256, vec![0x0b; 32]);
        let rec = tx.seal(0x17, 0x0303, b"hello");
        assert_eq!(&rec[..5], b"hello");
        assert_eq!(to_hex(&rec[5..]), MAC_KAT);
    }

    const MAC_KAT: &str = "452e3f6cf189ddeb12713c27eccc4f323917b1249c0ac50ba8765cc899231ecf";
}
