//! Record protection of TLS 1.0–1.2, one code path for the simulated mode and bridge mode:
//! real AES-GCM (RFC 5288), [`RecordProtector::aes_gcm`]; real ChaCha20-Poly1305 (RFC 7905),
//! [`RecordProtector::chacha20_poly1305`]; real AES-CBC with HMAC, MAC-then-encrypt
//! (RFC 5246 §6.2.3.2, RFC 4346 §6.2.3.2, RFC 2246 §6.2.3.2), [`RecordProtector::aes_cbc`].
//! Two peers that derived different keys (for example through mechanism M1) fail with
//! bad_record_mac at the first protected record, as real TLS does. Bulk ciphers tlsim has
//! no implementation of (3DES, RC4) keep [`RecordProtector::mac_only`]: the plaintext in the
//! clear followed by an HMAC over the RFC 5246 §6.2.3.1 MAC input, keyed with the real MAC
//! key (which is exactly the NULL cipher of RFC 5246, for the NULL suites).

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

/// The RFC 5246 §6.2.3.1 MAC input; `len` is `data.len()`, a 16-bit field.
fn mac_input<M: Mac>(m: &mut M, seq: u64, content_type: u8, version: u16, data: &[u8], len: u16) {
    m.update(&seq.to_be_bytes());
    m.update(&[content_type]);
    m.update(&version.to_be_bytes());
    m.update(&len.to_be_bytes());
    m.update(data);
}

/// The length field of the MAC input or AEAD additional data for a record we send.
fn sealed_len(plaintext: &[u8]) -> u16 {
    u16::try_from(plaintext.len())
        .expect("record plaintext fits 16 bits: the engine sends fragments of at most 2^14 bytes")
}

fn mac_tag<M: Mac + KeyInit>(key: &[u8], seq: u64, ct: u8, ver: u16, data: &[u8]) -> Vec<u8> {
    let mut m = <M as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac_input(&mut m, seq, ct, ver, data, sealed_len(data));
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
    // A record's fragment has a 16-bit length, so a received `data` always fits; anything
    // longer cannot be a record and fails to verify.
    let Ok(len) = u16::try_from(data.len()) else {
        return false;
    };
    let mut m = <M as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac_input(&mut m, seq, ct, ver, data, len);
    m.verify_slice(tag).is_ok() // constant-time comparison
}

/// How a direction's records are protected.
#[derive(Clone, PartialEq, Eq)]
enum Protection {
    /// Plaintext followed by HMAC(key, seq || type || version || length || plaintext).
    MacOnly { hash: MacHash, key: Vec<u8> },
    /// RFC 5288 AES-GCM: nonce = salt(4) || explicit(8), the explicit part (the sequence
    /// number) sent before the ciphertext; AAD = seq || type || version || plaintext length.
    Gcm { key: Vec<u8>, salt: [u8; 4] },
    /// RFC 7905 ChaCha20-Poly1305: no explicit nonce on the wire; nonce = the 12-byte
    /// write IV XOR the sequence number left-padded to 12 bytes (§2); AAD as for GCM.
    ChaCha { key: Vec<u8>, iv: [u8; 12] },
    /// AES-CBC, MAC-then-encrypt: HMAC over the RFC 5246 §6.2.3.1 MAC input, then
    /// `plaintext || mac || padding || padding_length` encrypted. `chain` is TLS 1.0's
    /// implicit IV (RFC 2246 §6.2.3.2: the last ciphertext block of the previous record, the
    /// key block's IV for the first); None for TLS 1.1/1.2, whose records carry an explicit
    /// IV (RFC 4346 §6.2.3.2, RFC 5246 §6.2.3.2).
    Cbc {
        hash: MacHash,
        mac_key: Vec<u8>,
        key: Vec<u8>,
        chain: Option<[u8; 16]>,
        /// The explicit IVs of records we send (TLS 1.1+): a ChaCha20 stream seeded from
        /// the direction's keys, unpredictable to anyone without them (RFC 5246 §6.2.3.2
        /// asks for unpredictable IVs) and still deterministic for a seed.
        ivs: Box<rand_chacha::ChaCha20Rng>,
    },
}

/// AES block size.
const BLOCK: usize = 16;

/// AES-128 or AES-256 (by key length) of one block in place, forward or inverse.
fn aes_block(key: &[u8], block: &mut [u8; 16], encrypt: bool) {
    use aes::cipher::{BlockDecrypt, BlockEncrypt, KeyInit};
    let mut g = aes::Block::from(*block);
    let b = &mut g;
    match key.len() {
        16 => {
            let c = aes::Aes128::new_from_slice(key).expect("16-byte key");
            if encrypt {
                c.encrypt_block(b)
            } else {
                c.decrypt_block(b)
            }
        }
        _ => {
            let c = aes::Aes256::new_from_slice(key).expect("32-byte key (checked in aes_cbc)");
            if encrypt {
                c.encrypt_block(b)
            } else {
                c.decrypt_block(b)
            }
        }
    }
    block.copy_from_slice(&g);
}

/// AES-CBC encryption of whole blocks (`data.len()` a multiple of 16) with `iv`.
pub fn aes_cbc_encrypt(key: &[u8], iv: &[u8; 16], data: &[u8]) -> Vec<u8> {
    let mut prev = *iv;
    let mut out = Vec::with_capacity(data.len());
    for chunk in data.chunks_exact(BLOCK) {
        let mut b = [0u8; 16];
        for (i, x) in b.iter_mut().enumerate() {
            *x = chunk[i] ^ prev[i];
        }
        aes_block(key, &mut b, true);
        out.extend_from_slice(&b);
        prev = b;
    }
    out
}

/// AES-CBC decryption of whole blocks (`data.len()` a multiple of 16) with `iv`.
pub fn aes_cbc_decrypt(key: &[u8], iv: &[u8; 16], data: &[u8]) -> Vec<u8> {
    let mut prev = *iv;
    let mut out = Vec::with_capacity(data.len());
    for chunk in data.chunks_exact(BLOCK) {
        let mut b: [u8; 16] = chunk.try_into().expect("chunks_exact(16)");
        aes_block(key, &mut b, false);
        for (i, x) in b.iter_mut().enumerate() {
            *x ^= prev[i];
        }
        out.extend_from_slice(&b);
        prev = chunk.try_into().expect("chunks_exact(16)");
    }
    out
}

/// The HMAC of a record with `hash`.
fn mac_of(hash: MacHash, key: &[u8], seq: u64, ct: u8, ver: u16, data: &[u8], len: u16) -> Vec<u8> {
    fn run<M: Mac + KeyInit>(
        key: &[u8],
        seq: u64,
        ct: u8,
        ver: u16,
        data: &[u8],
        len: u16,
    ) -> Vec<u8> {
        let mut m = <M as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
        mac_input(&mut m, seq, ct, ver, data, len);
        m.finalize().into_bytes().to_vec()
    }
    match hash {
        MacHash::Sha1 => run::<Hmac<Sha1>>(key, seq, ct, ver, data, len),
        MacHash::Sha256 => run::<Hmac<Sha256>>(key, seq, ct, ver, data, len),
        MacHash::Sha384 => run::<Hmac<Sha384>>(key, seq, ct, ver, data, len),
    }
}

/// Constant-time equality of two equal-length byte strings (false if lengths differ).
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Length of the GCM explicit nonce and tag (RFC 5288 §3).
const GCM_EXPLICIT: usize = 8;
const GCM_TAG: usize = 16;

fn gcm_aad(seq: u64, content_type: u8, version: u16, len: u16) -> [u8; 13] {
    let mut aad = [0u8; 13];
    aad[..8].copy_from_slice(&seq.to_be_bytes());
    aad[8] = content_type;
    aad[9..11].copy_from_slice(&version.to_be_bytes());
    aad[11..].copy_from_slice(&len.to_be_bytes());
    aad
}

/// AES-GCM encryption (AES-128 or AES-256 by key length) of `msg`: ciphertext || tag.
pub fn aes_gcm_seal(key: &[u8], nonce: &[u8; 12], aad: &[u8], msg: &[u8]) -> Vec<u8> {
    use aes_gcm::aead::{Aead, KeyInit, Payload};
    let n = &aes_gcm::Nonce::<aes_gcm::aead::consts::U12>::from(*nonce);
    let p = Payload { msg, aad };
    match key.len() {
        16 => aes_gcm::Aes128Gcm::new_from_slice(key)
            .expect("16-byte key")
            .encrypt(n, p),
        32 => aes_gcm::Aes256Gcm::new_from_slice(key)
            .expect("32-byte key")
            .encrypt(n, p),
        l => panic!("AES-GCM key of {l} bytes"),
    }
    .expect("AES-GCM encryption of a record cannot fail")
}

/// AES-GCM decryption of ciphertext || tag; `None` when the tag does not verify.
pub fn aes_gcm_open(key: &[u8], nonce: &[u8; 12], aad: &[u8], ct: &[u8]) -> Option<Vec<u8>> {
    use aes_gcm::aead::{Aead, KeyInit, Payload};
    let n = &aes_gcm::Nonce::<aes_gcm::aead::consts::U12>::from(*nonce);
    let p = Payload { msg: ct, aad };
    match key.len() {
        16 => aes_gcm::Aes128Gcm::new_from_slice(key).ok()?.decrypt(n, p),
        32 => aes_gcm::Aes256Gcm::new_from_slice(key).ok()?.decrypt(n, p),
        _ => return None,
    }
    .ok()
}

/// ChaCha20-Poly1305 (RFC 8439) encryption of `msg`: ciphertext || tag.
pub fn chacha20_poly1305_seal(key: &[u8], nonce: &[u8; 12], aad: &[u8], msg: &[u8]) -> Vec<u8> {
    use chacha20poly1305::aead::{Aead, KeyInit, Payload};
    chacha20poly1305::ChaCha20Poly1305::new_from_slice(key)
        .expect("32-byte key (checked in chacha20_poly1305)")
        .encrypt(&(*nonce).into(), Payload { msg, aad })
        .expect("ChaCha20-Poly1305 encryption of a record cannot fail")
}

/// ChaCha20-Poly1305 decryption of ciphertext || tag; `None` when the tag does not verify.
pub fn chacha20_poly1305_open(
    key: &[u8],
    nonce: &[u8; 12],
    aad: &[u8],
    ct: &[u8],
) -> Option<Vec<u8>> {
    use chacha20poly1305::aead::{Aead, KeyInit, Payload};
    chacha20poly1305::ChaCha20Poly1305::new_from_slice(key)
        .ok()?
        .decrypt(&(*nonce).into(), Payload { msg: ct, aad })
        .ok()
}

/// The RFC 7905 §2 nonce: `iv` XOR the sequence number, big-endian, left-padded to 12 bytes.
fn chacha_nonce(iv: &[u8; 12], seq: u64) -> [u8; 12] {
    let mut n = *iv;
    for (b, s) in n[4..].iter_mut().zip(seq.to_be_bytes()) {
        *b ^= s;
    }
    n
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
        match &self.protection {
            Protection::MacOnly { hash, .. } => f
                .debug_struct("RecordProtector")
                .field("mode", &"mac-only")
                .field("hash", hash)
                .field("seq", &self.seq)
                .finish(),
            Protection::Gcm { key, .. } => f
                .debug_struct("RecordProtector")
                .field("mode", &"aes-gcm")
                .field("key_bits", &(key.len() * 8))
                .field("seq", &self.seq)
                .finish(),
            Protection::ChaCha { .. } => f
                .debug_struct("RecordProtector")
                .field("mode", &"chacha20-poly1305")
                .field("seq", &self.seq)
                .finish(),
            Protection::Cbc {
                hash, key, chain, ..
            } => f
                .debug_struct("RecordProtector")
                .field("mode", &"aes-cbc")
                .field("key_bits", &(key.len() * 8))
                .field("hash", hash)
                .field("implicit_iv", &chain.is_some())
                .field("seq", &self.seq)
                .finish(),
        }
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

    /// Real TLS 1.2 AES-GCM protection (RFC 5288): `key` is the direction's write key (16 or
    /// 32 bytes), `fixed_iv` its 4-byte salt from the key block. `None` for other lengths.
    pub fn aes_gcm(key: &[u8], fixed_iv: &[u8]) -> Option<Self> {
        if !matches!(key.len(), 16 | 32) {
            return None;
        }
        Some(RecordProtector {
            protection: Protection::Gcm {
                key: key.to_vec(),
                salt: fixed_iv.try_into().ok()?,
            },
            seq: 0,
        })
    }

    /// Real TLS 1.2 ChaCha20-Poly1305 protection (RFC 7905): `key` the direction's 32-byte
    /// write key, `iv` its 12-byte write IV from the key block. `None` for other lengths.
    pub fn chacha20_poly1305(key: &[u8], iv: &[u8]) -> Option<Self> {
        if key.len() != 32 {
            return None;
        }
        Some(RecordProtector {
            protection: Protection::ChaCha {
                key: key.to_vec(),
                iv: iv.try_into().ok()?,
            },
            seq: 0,
        })
    }

    /// Real AES-CBC protection with HMAC (MAC-then-encrypt): `key` the direction's write
    /// key (16 or 32 bytes), `mac_key` its MAC key. `implicit_iv` is the key block's IV for
    /// TLS 1.0 (RFC 2246 §6.2.3.2, each record chained to the previous one's last block);
    /// None for TLS 1.1/1.2 (a fresh explicit IV in front of each record). `None` for other
    /// key or IV lengths.
    pub fn aes_cbc(
        hash: MacHash,
        mac_key: &[u8],
        key: &[u8],
        implicit_iv: Option<&[u8]>,
    ) -> Option<Self> {
        use rand_core::SeedableRng;
        if !matches!(key.len(), 16 | 32) {
            return None;
        }
        let chain = match implicit_iv {
            Some(iv) => Some(<[u8; 16]>::try_from(iv).ok()?),
            None => None,
        };
        let mut seed = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("any key length");
        seed.update(b"tlsim explicit CBC IVs");
        seed.update(mac_key);
        let seed: [u8; 32] = seed.finalize().into_bytes().into();
        Some(RecordProtector {
            protection: Protection::Cbc {
                hash,
                mac_key: mac_key.to_vec(),
                key: key.to_vec(),
                chain,
                ivs: Box::new(rand_chacha::ChaCha20Rng::from_seed(seed)),
            },
            seq: 0,
        })
    }

    fn gcm_nonce(salt: &[u8; 4], explicit: &[u8]) -> [u8; 12] {
        let mut n = [0u8; 12];
        n[..4].copy_from_slice(salt);
        n[4..].copy_from_slice(explicit);
        n
    }

    /// Protects one record and advances the sequence number. Panics if `plaintext` is 2^16
    /// bytes or more: no record can carry it (the engine fragments to 2^14).
    pub fn seal(&mut self, content_type: u8, version: u16, plaintext: &[u8]) -> Vec<u8> {
        crate::cost::probe(crate::cost::Kind::Prf, || {
            self.seal_unprobed(content_type, version, plaintext)
        })
    }

    fn seal_unprobed(&mut self, content_type: u8, version: u16, plaintext: &[u8]) -> Vec<u8> {
        let (hash, key) = match &mut self.protection {
            Protection::MacOnly { hash, key } => (hash, key),
            Protection::Gcm { key, salt } => {
                // The explicit nonce is the sequence number (unique per key, RFC 5288 §3).
                let explicit = self.seq.to_be_bytes();
                let nonce = Self::gcm_nonce(salt, &explicit);
                let aad = gcm_aad(self.seq, content_type, version, sealed_len(plaintext));
                let mut out = explicit.to_vec();
                out.extend(aes_gcm_seal(key, &nonce, &aad, plaintext));
                self.seq = self.seq.wrapping_add(1);
                return out;
            }
            Protection::ChaCha { key, iv } => {
                let nonce = chacha_nonce(iv, self.seq);
                let aad = gcm_aad(self.seq, content_type, version, sealed_len(plaintext));
                let out = chacha20_poly1305_seal(key, &nonce, &aad, plaintext);
                self.seq = self.seq.wrapping_add(1);
                return out;
            }
            Protection::Cbc {
                hash,
                mac_key,
                key,
                chain,
                ivs,
            } => {
                let mac = mac_of(
                    *hash,
                    mac_key,
                    self.seq,
                    content_type,
                    version,
                    plaintext,
                    sealed_len(plaintext),
                );
                let mut data = Vec::with_capacity(plaintext.len() + mac.len() + BLOCK);
                data.extend_from_slice(plaintext);
                data.extend_from_slice(&mac);
                // The least padding that fills the last block: padding_length + 1 bytes,
                // each equal to padding_length (RFC 5246 §6.2.3.2).
                let pad = BLOCK - 1 - data.len() % BLOCK;
                let pad_byte = u8::try_from(pad).expect("pad < 16");
                data.extend(std::iter::repeat_n(pad_byte, pad + 1));
                let out = match chain {
                    Some(prev) => {
                        let ct = aes_cbc_encrypt(key, prev, &data);
                        prev.copy_from_slice(&ct[ct.len() - BLOCK..]);
                        ct
                    }
                    None => {
                        use rand_core::RngCore;
                        let mut iv = [0u8; 16];
                        ivs.fill_bytes(&mut iv);
                        let mut out = iv.to_vec();
                        out.extend(aes_cbc_encrypt(key, &iv, &data));
                        out
                    }
                };
                self.seq = self.seq.wrapping_add(1);
                return out;
            }
        };
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
        crate::cost::probe(crate::cost::Kind::Prf, || {
            self.open_unprobed(content_type, version, fragment)
        })
    }

    fn open_unprobed(
        &mut self,
        content_type: u8,
        version: u16,
        fragment: &[u8],
    ) -> Result<Vec<u8>, BadRecordMac> {
        let (hash, key) = match &mut self.protection {
            Protection::MacOnly { hash, key } => (hash, key),
            Protection::Gcm { key, salt } => {
                if fragment.len() < GCM_EXPLICIT + GCM_TAG {
                    return Err(BadRecordMac);
                }
                let (explicit, ct) = fragment.split_at(GCM_EXPLICIT);
                let nonce = Self::gcm_nonce(salt, explicit);
                // As in `mac_ok`: a received fragment always fits 16 bits.
                let len = u16::try_from(ct.len() - GCM_TAG).map_err(|_| BadRecordMac)?;
                let aad = gcm_aad(self.seq, content_type, version, len);
                let plain = aes_gcm_open(key, &nonce, &aad, ct).ok_or(BadRecordMac)?;
                self.seq = self.seq.wrapping_add(1);
                return Ok(plain);
            }
            Protection::ChaCha { key, iv } => {
                if fragment.len() < GCM_TAG {
                    return Err(BadRecordMac);
                }
                let nonce = chacha_nonce(iv, self.seq);
                let len = u16::try_from(fragment.len() - GCM_TAG).map_err(|_| BadRecordMac)?;
                let aad = gcm_aad(self.seq, content_type, version, len);
                let plain =
                    chacha20_poly1305_open(key, &nonce, &aad, fragment).ok_or(BadRecordMac)?;
                self.seq = self.seq.wrapping_add(1);
                return Ok(plain);
            }
            Protection::Cbc {
                hash,
                mac_key,
                key,
                chain,
                ..
            } => {
                let (iv, ct) = match chain {
                    Some(prev) => (*prev, fragment),
                    None if fragment.len() >= BLOCK => {
                        let (iv, ct) = fragment.split_at(BLOCK);
                        (<[u8; 16]>::try_from(iv).map_err(|_| BadRecordMac)?, ct)
                    }
                    None => return Err(BadRecordMac),
                };
                let mac_len = hash.len();
                // At least one block, whole blocks, room for the MAC and the length byte.
                if ct.is_empty() || ct.len() % BLOCK != 0 || ct.len() < mac_len + 1 {
                    return Err(BadRecordMac);
                }
                let plain = aes_cbc_decrypt(key, &iv, ct);
                let data =
                    Self::cbc_unpad(*hash, mac_key, self.seq, content_type, version, &plain)?;
                if let Some(prev) = chain {
                    prev.copy_from_slice(&ct[ct.len() - BLOCK..]);
                }
                self.seq = self.seq.wrapping_add(1);
                return Ok(data);
            }
        };
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

    /// Checks the padding and the MAC of a decrypted CBC record and returns its content.
    /// Both checks always run, and a bad padding is treated as a zero-length one for the
    /// MAC, so that the work done does not depend on which failed; either failure is the
    /// same `BadRecordMac` (RFC 5246 §6.2.3.2: bad_record_mac for a padding error too, and
    /// the MAC computed even when the padding is wrong; this is "constant-ish": the HMAC's
    /// cost still depends on the data length, the Lucky Thirteen caveat the RFC notes).
    fn cbc_unpad(
        hash: MacHash,
        mac_key: &[u8],
        seq: u64,
        content_type: u8,
        version: u16,
        plain: &[u8],
    ) -> Result<Vec<u8>, BadRecordMac> {
        let mac_len = hash.len();
        let n = plain.len();
        let pad = usize::from(plain[n - 1]);
        // The padding must fit beside the MAC and every padding byte must equal pad.
        let fits = pad + 1 + mac_len <= n;
        let mut bad = u8::from(!fits);
        // Examine the last 256 bytes (or all) whatever `pad` is: each byte within the
        // padding must equal it.
        let span = n.min(256);
        for i in 1..=span {
            let in_pad = u8::from(i <= pad + 1);
            bad |= in_pad & u8::from(plain[n - i] != plain[n - 1]);
        }
        let pad_len = if bad == 0 { pad + 1 } else { 0 };
        let data_len = n.saturating_sub(pad_len + mac_len);
        let (data, rest) = plain.split_at(data_len);
        let tag = &rest[..mac_len.min(rest.len())];
        let len = u16::try_from(data_len).map_err(|_| BadRecordMac)?;
        let want = mac_of(hash, mac_key, seq, content_type, version, data, len);
        let mac_ok = ct_eq(&want, tag);
        if bad != 0 || !mac_ok {
            return Err(BadRecordMac);
        }
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

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// The AEAD itself against McGrew & Viega, "The Galois/Counter Mode of Operation",
    /// test cases 4 (AES-128) and 16 (AES-256): 60-byte plaintext, 20-byte AAD, 96-bit IV.
    #[test]
    fn aes_gcm_published_vectors() {
        let p = unhex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
        let a = unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        let iv: [u8; 12] = unhex("cafebabefacedbaddecaf888").try_into().unwrap();
        for (k, c, t) in [
            (
                "feffe9928665731c6d6a8f9467308308",
                "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
                "5bc94fbc3221a5db94fae95ae7121a47",
            ),
            (
                "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
                "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
                "76fc6ece0f4e1768cddf8853bb2d551b",
            ),
        ] {
            let key = unhex(k);
            let sealed = aes_gcm_seal(&key, &iv, &a, &p);
            assert_eq!(to_hex(&sealed), format!("{c}{t}"));
            assert_eq!(aes_gcm_open(&key, &iv, &a, &sealed).unwrap(), p);
            let mut bad = sealed.clone();
            bad[0] ^= 1;
            assert!(aes_gcm_open(&key, &iv, &a, &bad).is_none());
        }
    }

    /// The RFC 5288 record layout: explicit nonce = seq, nonce = salt || seq, AAD = seq ||
    /// type || version || plaintext length; built by hand and checked against seal/open.
    #[test]
    fn gcm_record_layout() {
        let key = [0x42u8; 16];
        let salt = [1, 2, 3, 4];
        let mut tx = RecordProtector::aes_gcm(&key, &salt).unwrap();
        let mut rx = RecordProtector::aes_gcm(&key, &salt).unwrap();
        for seq in 0..3u64 {
            let rec = tx.seal(23, 0x0303, b"hello");
            assert_eq!(rec.len(), 8 + 5 + 16);
            assert_eq!(&rec[..8], &seq.to_be_bytes());
            let mut nonce = [0u8; 12];
            nonce[..4].copy_from_slice(&salt);
            nonce[4..].copy_from_slice(&seq.to_be_bytes());
            let mut aad = seq.to_be_bytes().to_vec();
            aad.extend([23, 3, 3, 0, 5]);
            assert_eq!(&rec[8..], &aes_gcm_seal(&key, &nonce, &aad, b"hello")[..]);
            assert_eq!(rx.open(23, 0x0303, &rec).unwrap(), b"hello");
        }
        let rec = tx.seal(23, 0x0303, b"x");
        assert_eq!(rx.clone().open(22, 0x0303, &rec), Err(BadRecordMac));
        assert_eq!(rx.clone().open(23, 0x0303, &rec[..20]), Err(BadRecordMac));
        let mut other = RecordProtector::aes_gcm(&[0x43; 16], &salt).unwrap();
        other.seq = 3;
        assert_eq!(other.open(23, 0x0303, &rec), Err(BadRecordMac));
        assert!(RecordProtector::aes_gcm(&[0; 24], &salt).is_none());
        assert!(!format!("{rx:?}").contains("66"));
    }

    /// AES-CBC against NIST SP 800-38A, F.2.1 (CBC-AES128.Encrypt) and F.2.5
    /// (CBC-AES256.Encrypt), four blocks each, and back.
    #[test]
    fn aes_cbc_sp800_38a_vectors() {
        let iv: [u8; 16] = unhex("000102030405060708090a0b0c0d0e0f")
            .try_into()
            .unwrap();
        let p = unhex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");
        for (k, c) in [
            (
                "2b7e151628aed2a6abf7158809cf4f3c",
                "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b273bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7",
            ),
            (
                "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
                "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b",
            ),
        ] {
            let key = unhex(k);
            assert_eq!(to_hex(&aes_cbc_encrypt(&key, &iv, &p)), c);
            assert_eq!(aes_cbc_decrypt(&key, &iv, &unhex(c)), p);
        }
    }

    /// The RFC 5246 §6.2.3.2 record layout (TLS 1.1/1.2): explicit IV || CBC(plaintext ||
    /// HMAC || padding || padding_length), decrypted by hand; and TLS 1.0's implicit IV:
    /// the first record uses the key block's IV, the next the previous record's last block.
    #[test]
    fn cbc_record_layout_explicit_and_implicit_iv() {
        let (mac_key, key) = ([0x0b; 20], [0x42u8; 16]);
        let mut tx = RecordProtector::aes_cbc(MacHash::Sha1, &mac_key, &key, None).unwrap();
        let mut rx = RecordProtector::aes_cbc(MacHash::Sha1, &mac_key, &key, None).unwrap();
        let rec = tx.seal(23, 0x0303, b"hello");
        // 16 IV + (5 + 20 MAC + 7 padding) = 48.
        assert_eq!(rec.len(), 48);
        let plain = aes_cbc_decrypt(&key, &rec[..16].try_into().unwrap(), &rec[16..]);
        assert_eq!(&plain[..5], b"hello");
        let mac = mac_tag::<Hmac<Sha1>>(&mac_key, 0, 23, 0x0303, b"hello");
        assert_eq!(&plain[5..25], &mac[..]);
        assert_eq!(&plain[25..], &[6u8; 7]);
        assert_eq!(rx.open(23, 0x0303, &rec).unwrap(), b"hello");
        // A second record has a different IV and sequence number 1.
        let rec2 = tx.seal(23, 0x0303, b"hello");
        assert_ne!(&rec2[..16], &rec[..16]);
        assert_eq!(rx.open(23, 0x0303, &rec2).unwrap(), b"hello");
        // 11 + 20 + the length byte fill two blocks: padding_length 0. With 12 bytes the
        // length byte starts a block: 15 padding bytes.
        let rec3 = tx.seal(23, 0x0303, &[7; 11]);
        assert_eq!(rec3.len(), 16 + 32);
        assert_eq!(rx.open(23, 0x0303, &rec3).unwrap(), [7; 11]);
        let rec4 = tx.seal(23, 0x0303, &[7; 12]);
        assert_eq!(rec4.len(), 16 + 48);
        assert_eq!(rx.open(23, 0x0303, &rec4).unwrap(), [7; 12]);

        // TLS 1.0.
        let iv = [9u8; 16];
        let mut tx = RecordProtector::aes_cbc(MacHash::Sha256, &[1; 32], &key, Some(&iv)).unwrap();
        let mut rx = RecordProtector::aes_cbc(MacHash::Sha256, &[1; 32], &key, Some(&iv)).unwrap();
        let r1 = tx.seal(22, 0x0301, b"first");
        assert_eq!(r1.len(), 48); // 5 + 32 + 11 padding, no IV on the wire
        let p1 = aes_cbc_decrypt(&key, &iv, &r1);
        assert_eq!(&p1[..5], b"first");
        let r2 = tx.seal(22, 0x0301, b"second");
        let p2 = aes_cbc_decrypt(&key, &r1[32..].try_into().unwrap(), &r2);
        assert_eq!(&p2[..6], b"second");
        assert_eq!(rx.open(22, 0x0301, &r1).unwrap(), b"first");
        assert_eq!(rx.open(22, 0x0301, &r2).unwrap(), b"second");
        assert!(format!("{rx:?}").contains("implicit_iv: true"));
    }

    /// Every CBC error is bad_record_mac: a bad padding byte, a bad padding length, a bad
    /// MAC, a partial block, a record too short, another sequence number.
    #[test]
    fn cbc_errors_are_bad_record_mac() {
        let (mac_key, key) = ([3u8; 32], [4u8; 32]);
        let fresh = || RecordProtector::aes_cbc(MacHash::Sha256, &mac_key, &key, None).unwrap();
        let mut tx = fresh();
        let rec = tx.seal(23, 0x0302, b"data");
        assert_eq!(fresh().open(23, 0x0302, &rec).unwrap(), b"data");
        // Re-encrypt a plaintext with a chosen last block to forge padding errors.
        let iv: [u8; 16] = rec[..16].try_into().unwrap();
        let plain = aes_cbc_decrypt(&key, &iv, &rec[16..]);
        let n = plain.len();
        let forge = |plain: &[u8]| {
            let mut r = iv.to_vec();
            r.extend(aes_cbc_encrypt(&key, &iv, plain));
            r
        };
        assert_eq!(fresh().open(23, 0x0302, &forge(&plain)).unwrap(), b"data");
        let mut bad_pad_byte = plain.clone();
        bad_pad_byte[n - 2] ^= 1;
        assert_eq!(
            fresh().open(23, 0x0302, &forge(&bad_pad_byte)),
            Err(BadRecordMac)
        );
        let mut bad_pad_len = plain.clone();
        bad_pad_len[n - 1] = 200;
        assert_eq!(
            fresh().open(23, 0x0302, &forge(&bad_pad_len)),
            Err(BadRecordMac)
        );
        let mut bad_mac = plain.clone();
        bad_mac[5] ^= 1;
        assert_eq!(
            fresh().open(23, 0x0302, &forge(&bad_mac)),
            Err(BadRecordMac)
        );
        assert_eq!(
            fresh().open(23, 0x0302, &rec[..rec.len() - 1]),
            Err(BadRecordMac)
        );
        assert_eq!(fresh().open(23, 0x0302, &rec[..16]), Err(BadRecordMac));
        assert_eq!(fresh().open(23, 0x0302, &rec[..8]), Err(BadRecordMac));
        assert_eq!(fresh().open(22, 0x0302, &rec), Err(BadRecordMac));
        let mut ahead = fresh();
        ahead.seq = 1;
        assert_eq!(ahead.open(23, 0x0302, &rec), Err(BadRecordMac));
        assert!(RecordProtector::aes_cbc(MacHash::Sha1, &[0; 20], &[0; 24], None).is_none());
        assert!(
            RecordProtector::aes_cbc(MacHash::Sha1, &[0; 20], &[0; 16], Some(&[0; 8])).is_none()
        );
    }

    /// ChaCha20-Poly1305 against RFC 8439 §2.8.2 (the AEAD test vector: key 80..9f, nonce
    /// 07000000 40..47, AAD 50515253 c0..c7, the "sunscreen" plaintext).
    #[test]
    fn chacha20_poly1305_rfc8439_vector() {
        let key: Vec<u8> = (0x80u8..0xa0).collect();
        let nonce: [u8; 12] = unhex("070000004041424344454647").try_into().unwrap();
        let aad = unhex("50515253c0c1c2c3c4c5c6c7");
        let p = b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";
        let want = "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116\
                    1ae10b594f09e26a7e902ecbd0600691";
        let sealed = chacha20_poly1305_seal(&key, &nonce, &aad, p);
        assert_eq!(to_hex(&sealed), want.replace(' ', ""));
        assert_eq!(
            chacha20_poly1305_open(&key, &nonce, &aad, &sealed).unwrap(),
            p
        );
        let mut bad = sealed;
        bad[3] ^= 1;
        assert!(chacha20_poly1305_open(&key, &nonce, &aad, &bad).is_none());
    }

    /// The RFC 7905 §2 record layout: no explicit nonce, nonce = IV XOR padded seq, AAD =
    /// seq || type || version || plaintext length; built by hand and checked against
    /// seal/open, and a wrong key or IV is bad_record_mac.
    #[test]
    fn chacha_record_layout() {
        let key = [0x42u8; 32];
        let iv: [u8; 12] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
        let mut tx = RecordProtector::chacha20_poly1305(&key, &iv).unwrap();
        let mut rx = RecordProtector::chacha20_poly1305(&key, &iv).unwrap();
        for seq in 0..3u64 {
            let rec = tx.seal(22, 0x0303, b"finished");
            assert_eq!(rec.len(), 8 + 16);
            let mut nonce = iv;
            for (b, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
                *b ^= s;
            }
            let mut aad = seq.to_be_bytes().to_vec();
            aad.extend([22, 3, 3, 0, 8]);
            assert_eq!(rec, chacha20_poly1305_seal(&key, &nonce, &aad, b"finished"));
            assert_eq!(rx.open(22, 0x0303, &rec).unwrap(), b"finished");
        }
        let rec = tx.seal(23, 0x0303, b"x");
        assert_eq!(rx.clone().open(22, 0x0303, &rec), Err(BadRecordMac));
        assert_eq!(rx.clone().open(23, 0x0303, &rec[..15]), Err(BadRecordMac));
        let mut other_iv = RecordProtector::chacha20_poly1305(&key, &[0; 12]).unwrap();
        other_iv.seq = 3;
        assert_eq!(other_iv.open(23, 0x0303, &rec), Err(BadRecordMac));
        assert_eq!(rx.open(23, 0x0303, &rec).unwrap(), b"x");
        assert!(RecordProtector::chacha20_poly1305(&[0; 16], &iv).is_none());
        assert!(RecordProtector::chacha20_poly1305(&key, &[0; 4]).is_none());
        assert!(!format!("{rx:?}").contains("66"));
    }

    const MAC_KAT: &str = "452e3f6cf189ddeb12713c27eccc4f323917b1249c0ac50ba8765cc899231ecf";
}
