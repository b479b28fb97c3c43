//! The TLS 1.3 key schedule (RFC 8446 §7): HKDF-Extract and HKDF-Expand (RFC 5869 §2.2,
//! §2.3) on HMAC-SHA-256 / HMAC-SHA-384, HKDF-Expand-Label and Derive-Secret (RFC 8446 §7.1),
//! the early, handshake and master secrets with every traffic secret derived from them, the
//! traffic key and IV (§7.3), the Finished key and verify_data (§4.4.4), the PSK binder key
//! (§4.2.11.2), the resumption PSK from a ticket nonce (§4.6.1), the exporter (§7.5), the
//! key update (§7.2) and the transcript with its HelloRetryRequest `message_hash` (§4.4.1).
//!
//! Known-answer tests against the RFC 8448 traces are in `tests/rfc8448.rs`.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha384};

/// The hash of a TLS 1.3 cipher suite (RFC 8446 §B.4): every suite is AEAD + HKDF hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlg {
    Sha256,
    Sha384,
}

impl HashAlg {
    /// Hash.length in RFC 8446's notation (a hash is never empty, hence no `is_empty`).
    #[allow(clippy::len_without_is_empty)]
    pub fn len(self) -> usize {
        match self {
            HashAlg::Sha256 => 32,
            HashAlg::Sha384 => 48,
        }
    }

    pub fn hash(self, data: &[u8]) -> Vec<u8> {
        match self {
            HashAlg::Sha256 => Sha256::digest(data).to_vec(),
            HashAlg::Sha384 => Sha384::digest(data).to_vec(),
        }
    }

    pub fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        match self {
            HashAlg::Sha256 => {
                let mut m =
                    <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
                m.update(data);
                m.finalize().into_bytes().to_vec()
            }
            HashAlg::Sha384 => {
                let mut m =
                    <Hmac<Sha384> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
                m.update(data);
                m.finalize().into_bytes().to_vec()
            }
        }
    }

    /// A string of Hash.length zero bytes (the absent PSK and the master secret's IKM, §7.1).
    pub fn zeros(self) -> Vec<u8> {
        vec![0; self.len()]
    }
}

/// The AEAD of a TLS 1.3 cipher suite (RFC 8446 §5.3, §B.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Aead13 {
    Aes128Gcm,
    Aes256Gcm,
    ChaCha20Poly1305,
}

impl Aead13 {
    pub fn key_len(self) -> usize {
        match self {
            Aead13::Aes128Gcm => 16,
            Aead13::Aes256Gcm | Aead13::ChaCha20Poly1305 => 32,
        }
    }

    /// The per-record nonce length: 12 for all three (RFC 5116 §5.1, RFC 8439 §2.8; RFC 8446
    /// §5.3 iv_length = max(8, N_MIN)).
    pub fn iv_len(self) -> usize {
        12
    }

    /// The authentication tag length (16 for all three).
    pub fn tag_len(self) -> usize {
        16
    }
}

/// The TLS 1.3 cipher suites (RFC 8446 §B.4), without the CCM pair that no catalogued stack
/// enables by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tls13Suite {
    /// TLS_AES_128_GCM_SHA256 {0x13,0x01}
    Aes128GcmSha256,
    /// TLS_AES_256_GCM_SHA384 {0x13,0x02}
    Aes256GcmSha384,
    /// TLS_CHACHA20_POLY1305_SHA256 {0x13,0x03}
    ChaCha20Poly1305Sha256,
}

impl Tls13Suite {
    pub const ALL: [Tls13Suite; 3] = [
        Tls13Suite::Aes128GcmSha256,
        Tls13Suite::Aes256GcmSha384,
        Tls13Suite::ChaCha20Poly1305Sha256,
    ];

    pub fn id(self) -> u16 {
        match self {
            Tls13Suite::Aes128GcmSha256 => 0x1301,
            Tls13Suite::Aes256GcmSha384 => 0x1302,
            Tls13Suite::ChaCha20Poly1305Sha256 => 0x1303,
        }
    }

    pub fn from_id(id: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.id() == id)
    }

    pub fn hash(self) -> HashAlg {
        match self {
            Tls13Suite::Aes256GcmSha384 => HashAlg::Sha384,
            _ => HashAlg::Sha256,
        }
    }

    pub fn aead(self) -> Aead13 {
        match self {
            Tls13Suite::Aes128GcmSha256 => Aead13::Aes128Gcm,
            Tls13Suite::Aes256GcmSha384 => Aead13::Aes256Gcm,
            Tls13Suite::ChaCha20Poly1305Sha256 => Aead13::ChaCha20Poly1305,
        }
    }

    /// The IANA name, as OpenSSL's `-ciphersuites` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Tls13Suite::Aes128GcmSha256 => "TLS_AES_128_GCM_SHA256",
            Tls13Suite::Aes256GcmSha384 => "TLS_AES_256_GCM_SHA384",
            Tls13Suite::ChaCha20Poly1305Sha256 => "TLS_CHACHA20_POLY1305_SHA256",
        }
    }
}

/// HKDF-Extract(salt, IKM) = HMAC-Hash(salt, IKM) (RFC 5869 §2.2). An empty salt is a string
/// of Hash.length zeros, which HMAC treats the same way (both pad the key with zeros).
pub fn hkdf_extract(alg: HashAlg, salt: &[u8], ikm: &[u8]) -> Vec<u8> {
    alg.hmac(salt, ikm)
}

/// HKDF-Expand(PRK, info, L) (RFC 5869 §2.3): T(i) = HMAC(PRK, T(i-1) | info | i).
///
/// `len` must be at most 255 * Hash.length; TLS 1.3 asks for at most Hash.length bytes (or an
/// exporter length the caller bounded), so a longer request is a caller bug and panics.
pub fn hkdf_expand(alg: HashAlg, prk: &[u8], info: &[u8], len: usize) -> Vec<u8> {
    assert!(
        len <= 255 * alg.len(),
        "HKDF-Expand length over 255*HashLen"
    );
    let mut out = Vec::with_capacity(len);
    let mut t: Vec<u8> = Vec::new();
    let mut i = 1u8;
    while out.len() < len {
        let mut input = Vec::with_capacity(t.len() + info.len() + 1);
        input.extend_from_slice(&t);
        input.extend_from_slice(info);
        input.push(i);
        t = alg.hmac(prk, &input);
        let take = (len - out.len()).min(t.len());
        out.extend_from_slice(&t[..take]);
        i = i.wrapping_add(1);
    }
    out
}

/// The HkdfLabel structure of RFC 8446 §7.1: uint16 length, opaque label<7..255> =
/// "tls13 " + Label, opaque context<0..255>.
pub fn hkdf_label(label: &[u8], context: &[u8], len: u16) -> Vec<u8> {
    let full_len = u8::try_from(6 + label.len()).expect("TLS 1.3 labels are short constants");
    let ctx_len = u8::try_from(context.len()).expect("HkdfLabel context is at most 255 bytes");
    let mut info = Vec::with_capacity(4 + 6 + label.len() + context.len());
    info.extend_from_slice(&len.to_be_bytes());
    info.push(full_len);
    info.extend_from_slice(b"tls13 ");
    info.extend_from_slice(label);
    info.push(ctx_len);
    info.extend_from_slice(context);
    info
}

/// HKDF-Expand-Label(Secret, Label, Context, Length) (RFC 8446 §7.1).
pub fn hkdf_expand_label(
    alg: HashAlg,
    secret: &[u8],
    label: &[u8],
    context: &[u8],
    len: u16,
) -> Vec<u8> {
    hkdf_expand(
        alg,
        secret,
        &hkdf_label(label, context, len),
        usize::from(len),
    )
}

/// Derive-Secret(Secret, Label, Messages) = HKDF-Expand-Label(Secret, Label,
/// Transcript-Hash(Messages), Hash.length) (RFC 8446 §7.1); the caller passes the transcript
/// hash.
pub fn derive_secret(alg: HashAlg, secret: &[u8], label: &[u8], transcript_hash: &[u8]) -> Vec<u8> {
    hkdf_expand_label(alg, secret, label, transcript_hash, hash_len_u16(alg))
}

fn hash_len_u16(alg: HashAlg) -> u16 {
    match alg {
        HashAlg::Sha256 => 32,
        HashAlg::Sha384 => 48,
    }
}

/// Derive-Secret(Secret, "derived", "") — the salt of the next Extract (RFC 8446 §7.1).
fn derived(alg: HashAlg, secret: &[u8]) -> Vec<u8> {
    derive_secret(alg, secret, b"derived", &alg.hash(b""))
}

/// Early Secret = HKDF-Extract(0, PSK), with PSK = Hash.length zeros when there is none.
pub fn early_secret(alg: HashAlg, psk: Option<&[u8]>) -> Vec<u8> {
    let zeros = alg.zeros();
    hkdf_extract(alg, &zeros, psk.unwrap_or(&zeros))
}

/// binder_key = Derive-Secret(Early Secret, "ext binder" | "res binder", "") (RFC 8446 §7.1):
/// "res binder" for a resumption PSK, "ext binder" for an external one.
pub fn binder_key(alg: HashAlg, early: &[u8], resumption: bool) -> Vec<u8> {
    let label: &[u8] = if resumption {
        b"res binder"
    } else {
        b"ext binder"
    };
    derive_secret(alg, early, label, &alg.hash(b""))
}

/// The PSK binder (RFC 8446 §4.2.11.2): computed like a Finished verify_data from the binder
/// key, over the transcript hash of the truncated ClientHello (and, after a
/// HelloRetryRequest, the messages before it).
pub fn psk_binder(alg: HashAlg, binder_key: &[u8], truncated_transcript_hash: &[u8]) -> Vec<u8> {
    verify_data(alg, binder_key, truncated_transcript_hash)
}

/// client_early_traffic_secret = Derive-Secret(Early Secret, "c e traffic", ClientHello).
pub fn client_early_traffic_secret(alg: HashAlg, early: &[u8], ch_hash: &[u8]) -> Vec<u8> {
    derive_secret(alg, early, b"c e traffic", ch_hash)
}

/// early_exporter_master_secret = Derive-Secret(Early Secret, "e exp master", ClientHello).
pub fn early_exporter_master_secret(alg: HashAlg, early: &[u8], ch_hash: &[u8]) -> Vec<u8> {
    derive_secret(alg, early, b"e exp master", ch_hash)
}

/// Handshake Secret = HKDF-Extract(Derive-Secret(Early Secret, "derived", ""), (EC)DHE).
pub fn handshake_secret(alg: HashAlg, early: &[u8], shared_secret: &[u8]) -> Vec<u8> {
    hkdf_extract(alg, &derived(alg, early), shared_secret)
}

/// Master Secret = HKDF-Extract(Derive-Secret(Handshake Secret, "derived", ""), 0).
pub fn master_secret(alg: HashAlg, handshake: &[u8]) -> Vec<u8> {
    hkdf_extract(alg, &derived(alg, handshake), &alg.zeros())
}

/// The two handshake traffic secrets, from the transcript hash of ClientHello..ServerHello.
#[derive(Clone, PartialEq, Eq)]
pub struct HandshakeSecrets {
    pub handshake_secret: Vec<u8>,
    /// "c hs traffic"
    pub client: Vec<u8>,
    /// "s hs traffic"
    pub server: Vec<u8>,
}

impl std::fmt::Debug for HandshakeSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HandshakeSecrets { .. }")
    }
}

impl HandshakeSecrets {
    pub fn derive(alg: HashAlg, early: &[u8], shared: &[u8], hello_hash: &[u8]) -> Self {
        let hs = handshake_secret(alg, early, shared);
        HandshakeSecrets {
            client: derive_secret(alg, &hs, b"c hs traffic", hello_hash),
            server: derive_secret(alg, &hs, b"s hs traffic", hello_hash),
            handshake_secret: hs,
        }
    }
}

/// The secrets derived from the master secret with the transcript through the server
/// Finished (RFC 8446 §7.1).
#[derive(Clone, PartialEq, Eq)]
pub struct ApplicationSecrets {
    pub master_secret: Vec<u8>,
    /// client_application_traffic_secret_0, "c ap traffic"
    pub client: Vec<u8>,
    /// server_application_traffic_secret_0, "s ap traffic"
    pub server: Vec<u8>,
    /// exporter_master_secret, "exp master"
    pub exporter: Vec<u8>,
}

impl std::fmt::Debug for ApplicationSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApplicationSecrets { .. }")
    }
}

impl ApplicationSecrets {
    pub fn derive(alg: HashAlg, handshake_secret: &[u8], server_finished_hash: &[u8]) -> Self {
        let ms = master_secret(alg, handshake_secret);
        ApplicationSecrets {
            client: derive_secret(alg, &ms, b"c ap traffic", server_finished_hash),
            server: derive_secret(alg, &ms, b"s ap traffic", server_finished_hash),
            exporter: derive_secret(alg, &ms, b"exp master", server_finished_hash),
            master_secret: ms,
        }
    }

    /// resumption_master_secret = Derive-Secret(Master Secret, "res master",
    /// ClientHello..client Finished).
    pub fn resumption_master_secret(&self, alg: HashAlg, client_finished_hash: &[u8]) -> Vec<u8> {
        derive_secret(
            alg,
            &self.master_secret,
            b"res master",
            client_finished_hash,
        )
    }
}

/// The PSK a NewSessionTicket stands for: HKDF-Expand-Label(resumption_master_secret,
/// "resumption", ticket_nonce, Hash.length) (RFC 8446 §4.6.1).
pub fn resumption_psk(alg: HashAlg, resumption_master_secret: &[u8], nonce: &[u8]) -> Vec<u8> {
    hkdf_expand_label(
        alg,
        resumption_master_secret,
        b"resumption",
        nonce,
        hash_len_u16(alg),
    )
}

/// A traffic key and IV (RFC 8446 §7.3).
#[derive(Clone, PartialEq, Eq)]
pub struct TrafficKeys {
    pub key: Vec<u8>,
    pub iv: Vec<u8>,
}

impl std::fmt::Debug for TrafficKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TrafficKeys { .. }")
    }
}

impl TrafficKeys {
    /// [sender]_write_key = HKDF-Expand-Label(Secret, "key", "", key_length);
    /// [sender]_write_iv = HKDF-Expand-Label(Secret, "iv", "", iv_length).
    pub fn derive(alg: HashAlg, aead: Aead13, secret: &[u8]) -> Self {
        let key_len = u16::try_from(aead.key_len()).expect("AEAD key lengths are small");
        let iv_len = u16::try_from(aead.iv_len()).expect("AEAD IV lengths are small");
        TrafficKeys {
            key: hkdf_expand_label(alg, secret, b"key", b"", key_len),
            iv: hkdf_expand_label(alg, secret, b"iv", b"", iv_len),
        }
    }
}

/// finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length) (RFC 8446 §4.4.4).
pub fn finished_key(alg: HashAlg, base_key: &[u8]) -> Vec<u8> {
    hkdf_expand_label(alg, base_key, b"finished", b"", hash_len_u16(alg))
}

/// verify_data = HMAC(finished_key, Transcript-Hash(Handshake Context, Certificate*,
/// CertificateVerify*)) (RFC 8446 §4.4.4); `base_key` is the sender's handshake traffic
/// secret (or the binder key).
pub fn verify_data(alg: HashAlg, base_key: &[u8], transcript_hash: &[u8]) -> Vec<u8> {
    alg.hmac(&finished_key(alg, base_key), transcript_hash)
}

/// application_traffic_secret_N+1 = HKDF-Expand-Label(application_traffic_secret_N,
/// "traffic upd", "", Hash.length) (RFC 8446 §7.2).
pub fn next_traffic_secret(alg: HashAlg, secret: &[u8]) -> Vec<u8> {
    hkdf_expand_label(alg, secret, b"traffic upd", b"", hash_len_u16(alg))
}

/// TLS-Exporter(label, context_value, key_length) = HKDF-Expand-Label(Derive-Secret(Secret,
/// label, ""), "exporter", Hash(context_value), key_length) (RFC 8446 §7.5).
pub fn export(
    alg: HashAlg,
    exporter_secret: &[u8],
    label: &[u8],
    context: &[u8],
    len: u16,
) -> Vec<u8> {
    let s = derive_secret(alg, exporter_secret, label, &alg.hash(b""));
    hkdf_expand_label(alg, &s, b"exporter", &alg.hash(context), len)
}

/// The handshake transcript (RFC 8446 §4.4.1): the handshake messages as sent (type, length
/// and body, no record headers), hashed on demand so a client can buffer its ClientHello
/// before the ServerHello names the hash.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transcript {
    bytes: Vec<u8>,
}

/// The handshake type of the synthetic message_hash message (RFC 8446 §4.4.1).
pub const MESSAGE_HASH: u8 = 254;

impl Transcript {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends one whole handshake message.
    pub fn add(&mut self, msg: &[u8]) {
        self.bytes.extend_from_slice(msg);
    }

    pub fn hash(&self, alg: HashAlg) -> Vec<u8> {
        alg.hash(&self.bytes)
    }

    /// The hash of the transcript with `extra` appended, without keeping it (the PSK binder's
    /// truncated ClientHello).
    pub fn hash_with(&self, alg: HashAlg, extra: &[u8]) -> Vec<u8> {
        let mut all = self.bytes.clone();
        all.extend_from_slice(extra);
        alg.hash(&all)
    }

    /// On a HelloRetryRequest, ClientHello1 is replaced by the synthetic message
    /// `message_hash(254) 00 00 Hash.length Hash(ClientHello1)` (RFC 8446 §4.4.1). Call it
    /// when the transcript holds exactly ClientHello1, before adding the HelloRetryRequest.
    pub fn replace_with_message_hash(&mut self, alg: HashAlg) {
        let h = self.hash(alg);
        let mut m = vec![MESSAGE_HASH, 0, 0];
        m.push(u8::try_from(h.len()).expect("hash lengths fit a byte"));
        m.extend_from_slice(&h);
        self.bytes = m;
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 5869 Appendix A.1 (SHA-256, basic) and A.3 (zero-length salt and info).
    #[test]
    fn rfc5869_vectors() {
        let ikm = [0x0bu8; 22];
        let salt = h("000102030405060708090a0b0c");
        let info = h("f0f1f2f3f4f5f6f7f8f9");
        let prk = hkdf_extract(HashAlg::Sha256, &salt, &ikm);
        assert_eq!(
            prk,
            h("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5")
        );
        let okm = hkdf_expand(HashAlg::Sha256, &prk, &info, 42);
        assert_eq!(
            okm,
            h("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
        );
        let prk = hkdf_extract(HashAlg::Sha256, b"", &ikm);
        assert_eq!(
            prk,
            h("19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04")
        );
        let okm = hkdf_expand(HashAlg::Sha256, &prk, b"", 42);
        assert_eq!(
            okm,
            h("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8")
        );
    }

    /// RFC 8446 §7.1's HkdfLabel for "derived" with the empty hash, as RFC 8448 §3 prints it.
    #[test]
    fn hkdf_label_layout() {
        let info = hkdf_label(b"derived", &HashAlg::Sha256.hash(b""), 32);
        assert_eq!(
            info,
            h("00 20 0d 74 6c 73 31 33 20 64 65 72 69 76 65 64 20 e3 b0 c4 42 98 fc 1c 14 9a fb f4
               c8 99 6f b9 24 27 ae 41 e4 64 9b 93 4c a4 95 99 1b 78 52 b8 55")
        );
    }

    #[test]
    fn message_hash_replaces_client_hello1() {
        let mut t = Transcript::new();
        t.add(b"\x01\x00\x00\x01x");
        let ch1 = HashAlg::Sha384.hash(b"\x01\x00\x00\x01x");
        t.replace_with_message_hash(HashAlg::Sha384);
        assert_eq!(&t.as_bytes()[..4], &[254, 0, 0, 48]);
        assert_eq!(&t.as_bytes()[4..], ch1.as_slice());
    }

    #[test]
    fn sha384_lengths() {
        let alg = HashAlg::Sha384;
        let early = early_secret(alg, None);
        assert_eq!(early.len(), 48);
        let k = TrafficKeys::derive(alg, Aead13::Aes256Gcm, &early);
        assert_eq!((k.key.len(), k.iv.len()), (32, 12));
        assert_eq!(verify_data(alg, &early, &alg.hash(b"")).len(), 48);
    }
}
