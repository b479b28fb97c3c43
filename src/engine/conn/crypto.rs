//! What differs between the simulated mode and bridge mode, behind one trait: certificates,
//! ServerKeyExchange signatures and record protection. [`Modelled`] (the simulated mode)
//! sends modelled certificates and signatures (`crypto::model_cert`) and MAC-only records;
//! [`Real`] (bridge mode, a peer talking to a real TLS stack) sends its real certificate
//! chain, real RSA signatures and real AES-GCM records. The state machine calls the trait at
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
    BulkCipher, DigitallySigned, HashAlgorithm, KeyExchange, MacAlgorithm, Random, SignatureScheme,
    SuiteInfo,
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

    /// A client's reading of the server's leaf certificate: the key a real signature is
    /// checked with (None in a mode that checks modelled signatures).
    fn server_key(&self, leaf: &[u8]) -> Result<Option<RsaPublicKey>, LocalError>;

    /// Whether the ServerKeyExchange signature verifies (with the key from the certificate).
    fn verify_server_kx(
        &self,
        key: Option<&RsaPublicKey>,
        sig: &DigitallySigned,
        signed: &KxSigned<'_>,
    ) -> bool;

    /// This side's (read, write) record protection from the key block of `suite`.
    fn protectors(
        &self,
        suite: &SuiteInfo,
        kb: &KeyBlock,
        side: Side,
    ) -> Result<(RecordProtector, RecordProtector), LocalError>;
}

/// The simulated mode: modelled certificates and signatures, MAC-only records.
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

/// Whether a suite can run in bridge mode: (EC)DHE with an RSA certificate (the only key
/// bridge mode holds) and AES-GCM records.
pub(crate) fn real_suite_ok(info: &SuiteInfo) -> bool {
    matches!(info.bulk, BulkCipher::Aes128Gcm | BulkCipher::Aes256Gcm)
        && matches!(info.kx, KeyExchange::DheRsa | KeyExchange::EcdheRsa)
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

    fn server_key(&self, _: &[u8]) -> Result<Option<RsaPublicKey>, LocalError> {
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
    ) -> Result<(RecordProtector, RecordProtector), LocalError> {
        // AEAD suites have no MAC key: the simulated MAC is keyed with write_key || IV.
        let key = |mac: &[u8], k: &[u8], iv: &[u8]| {
            if mac.is_empty() {
                [k, iv].concat()
            } else {
                mac.to_vec()
            }
        };
        let hash = mac_hash(suite);
        let c = key(&kb.client_mac, &kb.client_key, &kb.client_iv);
        let s = key(&kb.server_mac, &kb.server_key, &kb.server_iv);
        let (r, w) = by_side(side, c, s);
        Ok((
            RecordProtector::mac_only(hash, r),
            RecordProtector::mac_only(hash, w),
        ))
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
            return Ok(None);
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
        let Some(scheme) = scheme else {
            return Err(LocalError::NoSharedVersion {
                offered: "TLS ≤ 1.1 signatures are not implemented in bridge mode".into(),
            });
        };
        let key = self.0.key.as_ref().ok_or(LocalError::IllegalParameter {
            what: "bridge server without an RSA key".into(),
        })?;
        real::sign(key, scheme, &signed.message(), rng)
            .map_err(|what| LocalError::IllegalParameter { what })
    }

    fn server_key(&self, leaf: &[u8]) -> Result<Option<RsaPublicKey>, LocalError> {
        // The RSA key from the real X.509 leaf (no chain validation: the peer is a local
        // test server with a self-signed certificate).
        real::leaf_public_key(leaf)
            .map(Some)
            .map_err(|e| LocalError::Decode {
                what: format!("server certificate: {e}"),
            })
    }

    fn verify_server_kx(
        &self,
        key: Option<&RsaPublicKey>,
        sig: &DigitallySigned,
        signed: &KxSigned<'_>,
    ) -> bool {
        let (Some(key), Some(scheme)) = (key, sig.scheme) else {
            return false; // TLS ≤ 1.1 MD5||SHA-1 signatures are not implemented
        };
        real::verify(key, scheme, &signed.message(), &sig.signature)
    }

    fn protectors(
        &self,
        _: &SuiteInfo,
        kb: &KeyBlock,
        side: Side,
    ) -> Result<(RecordProtector, RecordProtector), LocalError> {
        // Real RFC 5288 AES-GCM with the direction's write key and salt (only GCM suites are
        // negotiated in this mode, see `real_suite_ok`).
        let gcm = |k: &[u8], iv: &[u8]| {
            RecordProtector::aes_gcm(k, iv).ok_or_else(|| LocalError::IllegalParameter {
                what: "bridge mode needs an AES-GCM suite".into(),
            })
        };
        let c = gcm(&kb.client_key, &kb.client_iv)?;
        let s = gcm(&kb.server_key, &kb.server_iv)?;
        Ok(by_side(side, c, s))
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

    fn server_key(&self, leaf: &[u8]) -> Result<Option<RsaPublicKey>, LocalError> {
        match self {
            CryptoMode::Modelled(m) => m.server_key(leaf),
            CryptoMode::Real(r) => r.server_key(leaf),
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
    ) -> Result<(RecordProtector, RecordProtector), LocalError> {
        match self {
            CryptoMode::Modelled(m) => m.protectors(suite, kb, side),
            CryptoMode::Real(r) => r.protectors(suite, kb, side),
        }
    }
}
