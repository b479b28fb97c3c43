//! What differs between the simulated mode and bridge mode, behind one trait: certificates,
//! ServerKeyExchange and CertificateVerify signatures, RSA key transport and record
//! protection. [`Modelled`] (the simulated mode) sends modelled certificates and signatures
//! (`crypto::model_cert`) and a modelled RSA block; [`Real`] (bridge mode, a peer talking
//! to a real TLS stack) sends its real certificate chain, real RSA signatures and
//! encryption. Both protect records with the same real record layer (`real_protector`:
//! AES-GCM, ChaCha20-Poly1305, AES-CBC + HMAC); the simulated mode alone also runs suites
//! whose bulk cipher tlsim lacks (3DES, RC4), with MAC-only records. The state machine calls the trait at
//! the one place each matters and never asks which mode it runs in.
//!
//! The engine holds a [`CryptoMode`], an enum of the two: calls are static (a `match`), not
//! through a vtable, and none sits in the per-record path (the record protectors it builds
//! are plain values).

use super::super::outcome::{LocalError, Side};
use super::super::real::{self, RealCrypto};
use crate::crypto::model_cert::{model_cert, modelled_signature};
use crate::crypto::{KeyBlock, MacHash, RecordProtector};
use crate::profile::Profile;
use crate::wire::{
    BulkCipher, DigitallySigned, HashAlgorithm, KeyExchange, MacAlgorithm, ProtocolVersion, Random,
    SignatureScheme, SuiteInfo,
};
use rand_chacha::ChaCha20Rng;
use rsa::RsaPublicKey;
use std::sync::Arc;

/// What a ServerKeyExchange signature covers (RFC 5246 §7.4.3): both randoms and the
/// encoded key-exchange parameters.
pub(super) struct KxSigned<'a> {
    pub client_random: &'a Random,
    pub server_random: &'a Random,
    pub params: &'a [u8],
}

impl KxSigned<'_> {
    /// `client_random || server_random || params`, the bytes a real signature signs.
    fn message(&self) -> Vec<u8> {
        [
            &self.client_random[..],
            &self.server_random[..],
            self.params,
        ]
        .concat()
    }
}

/// The cryptography of one mode.
pub(super) trait Crypto {
    /// Whether a suite can run in this mode: a server skips the others, a client rejects them.
    fn suite_ok(&self, info: &SuiteInfo) -> bool;

    /// The certificate chain a server sends, leaf first.
    fn server_chain(&self, profile: &Profile) -> Vec<Vec<u8>>;

    /// The scheme a server signs ServerKeyExchange with: None before TLS 1.2 (no
    /// SignatureAndHashAlgorithm field); `offered` is the client's signature_algorithms.
    fn server_kx_scheme(
        &self,
        tls12: bool,
        offered: Option<&[SignatureScheme]>,
    ) -> Result<Option<SignatureScheme>, LocalError>;

    /// The server's signature over its key-exchange parameters.
    fn sign_server_kx(
        &self,
        scheme: Option<SignatureScheme>,
        signed: &KxSigned<'_>,
        rng: &mut ChaCha20Rng,
    ) -> Result<Vec<u8>, LocalError>;

    /// A reading of the peer's leaf certificate (the server's, or a client's): the key a
    /// real signature is checked with (None in a mode that checks modelled signatures).
    fn peer_key(&self, leaf: &[u8]) -> Result<Option<RsaPublicKey>, LocalError>;

    /// Whether the ServerKeyExchange signature verifies (with the key from the certificate).
    fn verify_server_kx(
        &self,
        key: Option<&RsaPublicKey>,
        sig: &DigitallySigned,
        signed: &KxSigned<'_>,
    ) -> bool;

    /// This side's (read, write) record protection from the key block of `suite` in
    /// `version` (TLS 1.0 CBC chains its IVs across records).
    fn protectors(
        &self,
        suite: &SuiteInfo,
        kb: &KeyBlock,
        side: Side,
        version: ProtocolVersion,
    ) -> Result<(RecordProtector, RecordProtector), LocalError>;

    /// The chain a client answers CertificateRequest with, leaf first; empty when it has
    /// none (an empty Certificate, RFC 5246 §7.4.6, and no CertificateVerify).
    fn client_chain(&self, profile: &Profile) -> Vec<Vec<u8>>;

    /// The client's CertificateVerify over the handshake `messages` so far (`hash` is their
    /// handshake hash), with a scheme from the server's `offered` list in TLS 1.2.
    fn sign_client_cv(
        &self,
        tls12: bool,
        offered: Option<&[SignatureScheme]>,
        messages: &[u8],
        hash: &[u8],
        rng: &mut ChaCha20Rng,
    ) -> Result<DigitallySigned, LocalError>;

    /// The supported_signature_algorithms of a server's CertificateRequest (None before
    /// TLS 1.2, which has no such field).
    fn cert_request_sig_algs(&self, tls12: bool) -> Option<Vec<SignatureScheme>>;

    /// Whether a client's CertificateVerify verifies (with the key of its certificate).
    fn verify_client_cv(
        &self,
        key: Option<&RsaPublicKey>,
        sig: &DigitallySigned,
        messages: &[u8],
        hash: &[u8],
    ) -> bool;

    /// RSA key transport, client side: the EncryptedPreMasterSecret for `pms`, to the key
    /// of the server's certificate.
    fn encrypt_premaster(
        &self,
        key: Option<&RsaPublicKey>,
        pms: &[u8],
        rng: &mut ChaCha20Rng,
    ) -> Result<Vec<u8>, LocalError>;

    /// RSA key transport, server side: the pre-master secret from the client's block;
    /// `client_version` is the ClientHello's.
    fn decrypt_premaster(
        &self,
        block: &[u8],
        client_version: ProtocolVersion,
        rng: &mut ChaCha20Rng,
    ) -> Result<Vec<u8>, LocalError>;
}

/// The simulated mode: modelled certificates and signatures, real record protection.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Modelled;

/// Bridge mode: real certificates, RSA signatures and AES-GCM records.
#[derive(Debug, Clone)]
pub(super) struct Real(pub Arc<RealCrypto>);

/// The mode a connection runs in.
#[derive(Debug, Clone)]
pub(super) enum CryptoMode {
    Modelled(Modelled),
    Real(Real),
}

/// Whether a suite can run in bridge mode: RSA key transport or (EC)DHE with an RSA
/// certificate (the only key bridge mode holds), and AES-GCM or AES-CBC (HMAC-SHA1/256/384)
/// records.
pub(crate) fn real_suite_ok(info: &SuiteInfo) -> bool {
    let bulk = match info.bulk {
        BulkCipher::Aes128Gcm | BulkCipher::Aes256Gcm => true,
        BulkCipher::Aes128Cbc | BulkCipher::Aes256Cbc => matches!(
            info.mac,
            MacAlgorithm::Sha1 | MacAlgorithm::Sha256 | MacAlgorithm::Sha384
        ),
        _ => false,
    };
    bulk && matches!(
        info.kx,
        KeyExchange::Rsa | KeyExchange::DheRsa | KeyExchange::EcdheRsa
    )
}

/// The simulated record MAC's hash for a suite.
fn mac_hash(suite: &SuiteInfo) -> MacHash {
    match suite.mac {
        MacAlgorithm::Sha1 | MacAlgorithm::Md5 => MacHash::Sha1,
        MacAlgorithm::Sha256 => MacHash::Sha256,
        MacAlgorithm::Sha384 => MacHash::Sha384,
        MacAlgorithm::Aead => match suite.prf_hash {
            HashAlgorithm::Sha384 => MacHash::Sha384,
            HashAlgorithm::Sha256 => MacHash::Sha256,
        },
    }
}

/// One direction's real record protection, the same in both modes, from its MAC key, write
/// key and IV in the key block: RFC 5288 AES-GCM (write key and 4-byte salt), RFC 7905
/// ChaCha20-Poly1305 (write key and 12-byte IV), or AES-CBC with HMAC (TLS 1.0 starts from
/// the key block's IV and chains, RFC 2246 §6.2.3.2; TLS 1.1+ sends an explicit IV per
/// record, RFC 4346 §6.2.3.2). None for a bulk cipher tlsim has no implementation of (3DES,
/// RC4, NULL) or a CBC suite with an MD5 MAC.
fn real_protector(
    suite: &SuiteInfo,
    version: ProtocolVersion,
    mac: &[u8],
    key: &[u8],
    iv: &[u8],
) -> Option<RecordProtector> {
    let tls10 = version == ProtocolVersion::TLSv1_0;
    match suite.bulk {
        BulkCipher::Aes128Gcm | BulkCipher::Aes256Gcm => RecordProtector::aes_gcm(key, iv),
        BulkCipher::ChaCha20Poly1305 => RecordProtector::chacha20_poly1305(key, iv),
        BulkCipher::Aes128Cbc | BulkCipher::Aes256Cbc if suite.mac != MacAlgorithm::Md5 => {
            RecordProtector::aes_cbc(mac_hash(suite), mac, key, tls10.then_some(iv))
        }
        _ => None,
    }
}

/// (read, write) from the client's and the server's write protection.
fn by_side<T>(side: Side, client: T, server: T) -> (T, T) {
    match side {
        Side::Client => (server, client),
        Side::Server => (client, server),
    }
}

impl Crypto for Modelled {
    fn suite_ok(&self, _: &SuiteInfo) -> bool {
        true
    }

    fn server_chain(&self, profile: &Profile) -> Vec<Vec<u8>> {
        profile
            .cert_chain
            .iter()
            .enumerate()
            .map(|(i, n)| model_cert(*n, i, "server"))
            .collect()
    }

    fn server_kx_scheme(
        &self,
        tls12: bool,
        _: Option<&[SignatureScheme]>,
    ) -> Result<Option<SignatureScheme>, LocalError> {
        Ok(tls12.then_some(SignatureScheme::RsaPkcs1Sha256))
    }

    fn sign_server_kx(
        &self,
        _: Option<SignatureScheme>,
        signed: &KxSigned<'_>,
        _: &mut ChaCha20Rng,
    ) -> Result<Vec<u8>, LocalError> {
        Ok(modelled_kx_signature(signed))
    }

    fn peer_key(&self, _: &[u8]) -> Result<Option<RsaPublicKey>, LocalError> {
        Ok(None)
    }

    fn verify_server_kx(
        &self,
        _: Option<&RsaPublicKey>,
        sig: &DigitallySigned,
        signed: &KxSigned<'_>,
    ) -> bool {
        sig.signature == modelled_kx_signature(signed)
    }

    fn protectors(
        &self,
        suite: &SuiteInfo,
        kb: &KeyBlock,
        side: Side,
        version: ProtocolVersion,
    ) -> Result<(RecordProtector, RecordProtector), LocalError> {
        // The real record layer wherever tlsim has the bulk cipher (`real_protector`, the
        // code bridge mode runs). 3DES and RC4 have no implementation here: their records
        // keep the plaintext in the clear followed by an HMAC keyed with the real MAC key
        // (the failure point is the same record, the bytes are not the real ciphertext).
        let make = |mac: &[u8], k: &[u8], iv: &[u8]| {
            real_protector(suite, version, mac, k, iv)
                .unwrap_or_else(|| RecordProtector::mac_only(mac_hash(suite), mac.to_vec()))
        };
        let c = make(&kb.client_mac, &kb.client_key, &kb.client_iv);
        let s = make(&kb.server_mac, &kb.server_key, &kb.server_iv);
        Ok(by_side(side, c, s))
    }

    fn client_chain(&self, profile: &Profile) -> Vec<Vec<u8>> {
        if !profile.client_cert {
            return Vec::new();
        }
        profile
            .cert_chain
            .iter()
            .enumerate()
            .map(|(i, n)| model_cert(*n, i, "client"))
            .collect()
    }

    fn sign_client_cv(
        &self,
        tls12: bool,
        _: Option<&[SignatureScheme]>,
        _: &[u8],
        hash: &[u8],
        _: &mut ChaCha20Rng,
    ) -> Result<DigitallySigned, LocalError> {
        Ok(DigitallySigned {
            scheme: tls12.then_some(SignatureScheme::RsaPkcs1Sha256),
            signature: modelled_signature(b"cv", &[hash]),
        })
    }

    fn cert_request_sig_algs(&self, tls12: bool) -> Option<Vec<SignatureScheme>> {
        tls12.then(|| vec![SignatureScheme::RsaPkcs1Sha256])
    }

    fn verify_client_cv(
        &self,
        _: Option<&RsaPublicKey>,
        sig: &DigitallySigned,
        _: &[u8],
        hash: &[u8],
    ) -> bool {
        sig.signature == modelled_signature(b"cv", &[hash])
    }

    fn encrypt_premaster(
        &self,
        _: Option<&RsaPublicKey>,
        pms: &[u8],
        _: &mut ChaCha20Rng,
    ) -> Result<Vec<u8>, LocalError> {
        // The encryption is modelled: the PKCS#1 v1.5 layout of a 2048-bit block, not
        // encrypted.
        let mut block = vec![0x00, 0x02];
        block.extend(std::iter::repeat_n(0xA5, 256 - 3 - pms.len()));
        block.push(0);
        block.extend_from_slice(pms);
        Ok(block)
    }

    fn decrypt_premaster(
        &self,
        block: &[u8],
        _: ProtocolVersion,
        _: &mut ChaCha20Rng,
    ) -> Result<Vec<u8>, LocalError> {
        if block.len() < 48 {
            return Err(LocalError::Decode {
                what: "RSA pre-master".into(),
            });
        }
        Ok(block[block.len() - 48..].to_vec())
    }
}

/// The modelled ServerKeyExchange signature.
fn modelled_kx_signature(signed: &KxSigned<'_>) -> Vec<u8> {
    modelled_signature(
        b"ske",
        &[signed.client_random, signed.server_random, signed.params],
    )
}

impl Crypto for Real {
    fn suite_ok(&self, info: &SuiteInfo) -> bool {
        real_suite_ok(info)
    }

    fn server_chain(&self, _: &Profile) -> Vec<Vec<u8>> {
        self.0.cert_chain.clone()
    }

    fn server_kx_scheme(
        &self,
        tls12: bool,
        offered: Option<&[SignatureScheme]>,
    ) -> Result<Option<SignatureScheme>, LocalError> {
        if !tls12 {
            return Ok(None); // MD5||SHA-1 (RFC 2246 §7.4.3)
        }
        real::choose_scheme(offered)
            .map(Some)
            .ok_or(LocalError::IllegalParameter {
                what: "no RSA signature scheme in signature_algorithms".into(),
            })
    }

    fn sign_server_kx(
        &self,
        scheme: Option<SignatureScheme>,
        signed: &KxSigned<'_>,
        rng: &mut ChaCha20Rng,
    ) -> Result<Vec<u8>, LocalError> {
        let key = self.key()?;
        match scheme {
            Some(scheme) => real::sign(key, scheme, &signed.message(), rng),
            None => real::sign_md5_sha1(key, &signed.message(), rng),
        }
        .map_err(|what| LocalError::IllegalParameter { what })
    }

    fn peer_key(&self, leaf: &[u8]) -> Result<Option<RsaPublicKey>, LocalError> {
        // The RSA key from the real X.509 leaf (no chain validation: the peer is a local
        // test peer with a self-signed certificate).
        real::leaf_public_key(leaf)
            .map(Some)
            .map_err(|e| LocalError::Decode {
                what: format!("peer certificate: {e}"),
            })
    }

    fn verify_server_kx(
        &self,
        key: Option<&RsaPublicKey>,
        sig: &DigitallySigned,
        signed: &KxSigned<'_>,
    ) -> bool {
        real_verify(key, sig, &signed.message())
    }

    fn protectors(
        &self,
        suite: &SuiteInfo,
        kb: &KeyBlock,
        side: Side,
        version: ProtocolVersion,
    ) -> Result<(RecordProtector, RecordProtector), LocalError> {
        // Only suites with a real record layer are negotiated in this mode (`real_suite_ok`).
        let make = |mac: &[u8], k: &[u8], iv: &[u8]| {
            real_protector(suite, version, mac, k, iv).ok_or_else(|| LocalError::IllegalParameter {
                what: "bridge mode needs an AES-GCM or AES-CBC suite".into(),
            })
        };
        let c = make(&kb.client_mac, &kb.client_key, &kb.client_iv)?;
        let s = make(&kb.server_mac, &kb.server_key, &kb.server_iv)?;
        Ok(by_side(side, c, s))
    }

    fn client_chain(&self, profile: &Profile) -> Vec<Vec<u8>> {
        if profile.client_cert && self.0.key.is_some() {
            self.0.cert_chain.clone()
        } else {
            Vec::new()
        }
    }

    fn sign_client_cv(
        &self,
        tls12: bool,
        offered: Option<&[SignatureScheme]>,
        messages: &[u8],
        _: &[u8],
        rng: &mut ChaCha20Rng,
    ) -> Result<DigitallySigned, LocalError> {
        let key = self.key()?;
        let scheme = if tls12 {
            // RFC 5246 §7.4.8: a scheme from the CertificateRequest's list.
            Some(
                real::choose_scheme(Some(offered.unwrap_or_default())).ok_or(
                    LocalError::IllegalParameter {
                        what: "no RSA signature scheme in CertificateRequest".into(),
                    },
                )?,
            )
        } else {
            None
        };
        let signature = match scheme {
            Some(s) => real::sign(key, s, messages, rng),
            None => real::sign_md5_sha1(key, messages, rng),
        }
        .map_err(|what| LocalError::IllegalParameter { what })?;
        Ok(DigitallySigned { scheme, signature })
    }

    fn cert_request_sig_algs(&self, tls12: bool) -> Option<Vec<SignatureScheme>> {
        use SignatureScheme as S;
        tls12.then(|| {
            vec![
                S::RsaPkcs1Sha256,
                S::RsaPssRsaeSha256,
                S::RsaPkcs1Sha384,
                S::RsaPssRsaeSha384,
                S::RsaPkcs1Sha512,
                S::RsaPkcs1Sha1,
            ]
        })
    }

    fn verify_client_cv(
        &self,
        key: Option<&RsaPublicKey>,
        sig: &DigitallySigned,
        messages: &[u8],
        _: &[u8],
    ) -> bool {
        real_verify(key, sig, messages)
    }

    fn encrypt_premaster(
        &self,
        key: Option<&RsaPublicKey>,
        pms: &[u8],
        rng: &mut ChaCha20Rng,
    ) -> Result<Vec<u8>, LocalError> {
        let key = key.ok_or(LocalError::IllegalParameter {
            what: "RSA key transport without the server's key".into(),
        })?;
        real::encrypt_premaster(key, pms, rng).map_err(|what| LocalError::IllegalParameter { what })
    }

    fn decrypt_premaster(
        &self,
        block: &[u8],
        client_version: ProtocolVersion,
        rng: &mut ChaCha20Rng,
    ) -> Result<Vec<u8>, LocalError> {
        let key = self.key()?;
        Ok(real::decrypt_premaster(
            key,
            block,
            client_version.to_u16().to_be_bytes(),
            rng,
        ))
    }
}

impl Real {
    fn key(&self) -> Result<&rsa::RsaPrivateKey, LocalError> {
        self.0.key.as_ref().ok_or(LocalError::IllegalParameter {
            what: "bridge peer without an RSA key".into(),
        })
    }
}

/// A real signature check: `sig.scheme` in TLS 1.2, MD5||SHA-1 before (no scheme field).
fn real_verify(key: Option<&RsaPublicKey>, sig: &DigitallySigned, msg: &[u8]) -> bool {
    let Some(key) = key else {
        return false;
    };
    match sig.scheme {
        Some(scheme) => real::verify(key, scheme, msg, &sig.signature),
        None => real::verify_md5_sha1(key, msg, &sig.signature),
    }
}

impl Crypto for CryptoMode {
    fn suite_ok(&self, info: &SuiteInfo) -> bool {
        match self {
            CryptoMode::Modelled(m) => m.suite_ok(info),
            CryptoMode::Real(r) => r.suite_ok(info),
        }
    }

    fn server_chain(&self, profile: &Profile) -> Vec<Vec<u8>> {
        match self {
            CryptoMode::Modelled(m) => m.server_chain(profile),
            CryptoMode::Real(r) => r.server_chain(profile),
        }
    }

    fn server_kx_scheme(
        &self,
        tls12: bool,
        offered: Option<&[SignatureScheme]>,
    ) -> Result<Option<SignatureScheme>, LocalError> {
        match self {
            CryptoMode::Modelled(m) => m.server_kx_scheme(tls12, offered),
            CryptoMode::Real(r) => r.server_kx_scheme(tls12, offered),
        }
    }

    fn sign_server_kx(
        &self,
        scheme: Option<SignatureScheme>,
        signed: &KxSigned<'_>,
        rng: &mut ChaCha20Rng,
    ) -> Result<Vec<u8>, LocalError> {
        match self {
            CryptoMode::Modelled(m) => m.sign_server_kx(scheme, signed, rng),
            CryptoMode::Real(r) => r.sign_server_kx(scheme, signed, rng),
        }
    }

    fn peer_key(&self, leaf: &[u8]) -> Result<Option<RsaPublicKey>, LocalError> {
        match self {
            CryptoMode::Modelled(m) => m.peer_key(leaf),
            CryptoMode::Real(r) => r.peer_key(leaf),
        }
    }

    fn verify_server_kx(
        &self,
        key: Option<&RsaPublicKey>,
        sig: &DigitallySigned,
        signed: &KxSigned<'_>,
    ) -> bool {
        match self {
            CryptoMode::Modelled(m) => m.verify_server_kx(key, sig, signed),
            CryptoMode::Real(r) => r.verify_server_kx(key, sig, signed),
        }
    }

    fn protectors(
        &self,
        suite: &SuiteInfo,
        kb: &KeyBlock,
        side: Side,
        version: ProtocolVersion,
    ) -> Result<(RecordProtector, RecordProtector), LocalError> {
        match self {
            CryptoMode::Modelled(m) => m.protectors(suite, kb, side, version),
            CryptoMode::Real(r) => r.protectors(suite, kb, side, version),
        }
    }

    fn client_chain(&self, profile: &Profile) -> Vec<Vec<u8>> {
        match self {
            CryptoMode::Modelled(m) => m.client_chain(profile),
            CryptoMode::Real(r) => r.client_chain(profile),
        }
    }

    fn sign_client_cv(
        &self,
        tls12: bool,
        offered: Option<&[SignatureScheme]>,
        messages: &[u8],
        hash: &[u8],
        rng: &mut ChaCha20Rng,
    ) -> Result<DigitallySigned, LocalError> {
        match self {
            CryptoMode::Modelled(m) => m.sign_client_cv(tls12, offered, messages, hash, rng),
            CryptoMode::Real(r) => r.sign_client_cv(tls12, offered, messages, hash, rng),
        }
    }

    fn cert_request_sig_algs(&self, tls12: bool) -> Option<Vec<SignatureScheme>> {
        match self {
            CryptoMode::Modelled(m) => m.cert_request_sig_algs(tls12),
            CryptoMode::Real(r) => r.cert_request_sig_algs(tls12),
        }
    }

    fn verify_client_cv(
        &self,
        key: Option<&RsaPublicKey>,
        sig: &DigitallySigned,
        messages: &[u8],
        hash: &[u8],
    ) -> bool {
        match self {
            CryptoMode::Modelled(m) => m.verify_client_cv(key, sig, messages, hash),
            CryptoMode::Real(r) => r.verify_client_cv(key, sig, messages, hash),
        }
    }

    fn encrypt_premaster(
        &self,
        key: Option<&RsaPublicKey>,
        pms: &[u8],
        rng: &mut ChaCha20Rng,
    ) -> Result<Vec<u8>, LocalError> {
        match self {
            CryptoMode::Modelled(m) => m.encrypt_premaster(key, pms, rng),
            CryptoMode::Real(r) => r.encrypt_premaster(key, pms, rng),
        }
    }

    fn decrypt_premaster(
        &self,
        block: &[u8],
        client_version: ProtocolVersion,
        rng: &mut ChaCha20Rng,
    ) -> Result<Vec<u8>, LocalError> {
        match self {
            CryptoMode::Modelled(m) => m.decrypt_premaster(block, client_version, rng),
            CryptoMode::Real(r) => r.decrypt_premaster(block, client_version, rng),
        }
    }
}
