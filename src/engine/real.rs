//! Real cryptography for bridge mode (a tlsim peer talking to a real TLS stack over a socket):
//! X.509 parsing of the server certificate, RSA PKCS#1 v1.5 / RSA-PSS signatures on
//! ServerKeyExchange. Records use real AES-GCM ([`crate::crypto::RecordProtector::aes_gcm`]).
//! The simulated mode never touches this module, so its bytes and outcomes are unchanged.

use crate::wire::SignatureScheme;
use rand_core::CryptoRngCore;
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::signature::{RandomizedSigner, SignatureEncoding, Signer, Verifier};
use rsa::{RsaPrivateKey, RsaPublicKey};

/// Test material only: a self-signed RSA-2048 certificate (CN=tlsim-test, 100 years) and
/// its unencrypted private key, generated once with
/// `openssl req -x509 -newkey rsa:2048 -nodes -days 36500 -subj /CN=tlsim-test`.
/// Never use them for anything but tests against local OpenSSL.
pub const TEST_CERT_DER: &[u8] = include_bytes!("../../tests/data/cert.der");
/// PEM of [`TEST_CERT_DER`], for `openssl s_server -cert`.
pub const TEST_CERT_PEM: &str = include_str!("../../tests/data/cert.pem");
/// PKCS#8 PEM private key of the test certificate (test material only).
pub const TEST_KEY_PEM: &str = include_str!("../../tests/data/key.pem");

/// What a peer needs to run with real crypto. A client needs nothing (it verifies with the
/// key of the certificate it receives); a server needs its chain and RSA key.
#[derive(Clone)]
pub struct RealCrypto {
    /// DER certificates, leaf first (server only).
    pub cert_chain: Vec<Vec<u8>>,
    /// RSA private key of the leaf (server only).
    pub key: Option<RsaPrivateKey>,
}

impl std::fmt::Debug for RealCrypto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RealCrypto")
            .field("certs", &self.cert_chain.len())
            .field("has_key", &self.key.is_some())
            .finish()
    }
}

impl RealCrypto {
    /// Client side: verify what the server sends.
    pub fn client() -> RealCrypto {
        RealCrypto {
            cert_chain: Vec::new(),
            key: None,
        }
    }

    /// Server side from a DER chain and a PKCS#8 PEM RSA key.
    pub fn server(cert_chain: Vec<Vec<u8>>, key_pem: &str) -> Result<RealCrypto, String> {
        let key = RsaPrivateKey::from_pkcs8_pem(key_pem).map_err(|e| format!("RSA key: {e}"))?;
        let leaf = cert_chain.first().ok_or("empty certificate chain")?;
        if leaf_public_key(leaf)? != key.to_public_key() {
            return Err("the private key does not match the certificate".into());
        }
        Ok(RealCrypto {
            cert_chain,
            key: Some(key),
        })
    }

    /// Server side with the bundled test certificate and key.
    pub fn test_server() -> RealCrypto {
        RealCrypto::server(vec![TEST_CERT_DER.to_vec()], TEST_KEY_PEM)
            .expect("the bundled test certificate and key match")
    }
}

/// The RSA public key of a DER X.509 certificate.
pub(super) fn leaf_public_key(der: &[u8]) -> Result<RsaPublicKey, String> {
    use x509_cert::der::{Decode, Encode};
    let cert = x509_cert::Certificate::from_der(der).map_err(|e| format!("X.509: {e}"))?;
    let spki = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| format!("X.509 SPKI: {e}"))?;
    RsaPublicKey::from_public_key_der(&spki).map_err(|e| format!("not an RSA key: {e}"))
}

/// The scheme a TLS 1.2 server signs ServerKeyExchange with, given the client's
/// signature_algorithms: rsa_pkcs1_sha256 when offered, else RSA-PSS (rsae) SHA-256, else the
/// other PKCS#1 hashes; RFC 5246 §7.4.1.4.1: no extension means rsa_pkcs1_sha1.
pub(super) fn choose_scheme(offered: Option<&[SignatureScheme]>) -> Option<SignatureScheme> {
    use SignatureScheme as S;
    let Some(offered) = offered else {
        return Some(S::RsaPkcs1Sha1);
    };
    [
        S::RsaPkcs1Sha256,
        S::RsaPssRsaeSha256,
        S::RsaPkcs1Sha384,
        S::RsaPssRsaeSha384,
        S::RsaPkcs1Sha512,
        S::RsaPkcs1Sha1,
    ]
    .into_iter()
    .find(|s| offered.contains(s))
}

/// Sign `msg` with `scheme` (PSS salts come from `rng`).
pub(super) fn sign(
    key: &RsaPrivateKey,
    scheme: SignatureScheme,
    msg: &[u8],
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>, String> {
    use rsa::{pkcs1v15, pss};
    use SignatureScheme as S;
    let k = key.clone();
    Ok(match scheme {
        S::RsaPkcs1Sha1 => pkcs1v15::SigningKey::<sha1::Sha1>::new(k)
            .sign(msg)
            .to_vec(),
        S::RsaPkcs1Sha256 => pkcs1v15::SigningKey::<sha2::Sha256>::new(k)
            .sign(msg)
            .to_vec(),
        S::RsaPkcs1Sha384 => pkcs1v15::SigningKey::<sha2::Sha384>::new(k)
            .sign(msg)
            .to_vec(),
        S::RsaPkcs1Sha512 => pkcs1v15::SigningKey::<sha2::Sha512>::new(k)
            .sign(msg)
            .to_vec(),
        S::RsaPssRsaeSha256 => pss::BlindedSigningKey::<sha2::Sha256>::new(k)
            .sign_with_rng(rng, msg)
            .to_vec(),
        S::RsaPssRsaeSha384 => pss::BlindedSigningKey::<sha2::Sha384>::new(k)
            .sign_with_rng(rng, msg)
            .to_vec(),
        other => return Err(format!("cannot sign with {other:?}")),
    })
}

/// Verify a signature made with `scheme`; false for schemes tlsim does not implement.
pub(super) fn verify(key: &RsaPublicKey, scheme: SignatureScheme, msg: &[u8], sig: &[u8]) -> bool {
    use rsa::{pkcs1v15, pss};
    use SignatureScheme as S;
    let k = key.clone();
    macro_rules! check {
        ($vk:ty, $sig:ty) => {
            match <$sig>::try_from(sig) {
                Ok(s) => <$vk>::new(k).verify(msg, &s).is_ok(),
                Err(_) => false,
            }
        };
    }
    match scheme {
        S::RsaPkcs1Sha1 => check!(pkcs1v15::VerifyingKey<sha1::Sha1>, pkcs1v15::Signature),
        S::RsaPkcs1Sha256 => check!(pkcs1v15::VerifyingKey<sha2::Sha256>, pkcs1v15::Signature),
        S::RsaPkcs1Sha384 => check!(pkcs1v15::VerifyingKey<sha2::Sha384>, pkcs1v15::Signature),
        S::RsaPkcs1Sha512 => check!(pkcs1v15::VerifyingKey<sha2::Sha512>, pkcs1v15::Signature),
        S::RsaPssRsaeSha256 => check!(pss::VerifyingKey<sha2::Sha256>, pss::Signature),
        S::RsaPssRsaeSha384 => check!(pss::VerifyingKey<sha2::Sha384>, pss::Signature),
        S::RsaPssRsaeSha512 => check!(pss::VerifyingKey<sha2::Sha512>, pss::Signature),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::rng_for;

    #[test]
    fn bundled_material_signs_and_verifies() {
        let rc = RealCrypto::test_server();
        let pk = leaf_public_key(&rc.cert_chain[0]).unwrap();
        let key = rc.key.as_ref().unwrap();
        let mut rng = rng_for(1, &[]);
        for s in [
            SignatureScheme::RsaPkcs1Sha256,
            SignatureScheme::RsaPssRsaeSha256,
            SignatureScheme::RsaPkcs1Sha1,
        ] {
            let sig = sign(key, s, b"params", &mut rng).unwrap();
            assert_eq!(sig.len(), 256);
            assert!(verify(&pk, s, b"params", &sig), "{s:?}");
            assert!(!verify(&pk, s, b"params!", &sig), "{s:?}");
        }
        assert!(leaf_public_key(b"not a cert").is_err());
        use SignatureScheme as S;
        assert_eq!(choose_scheme(None), Some(S::RsaPkcs1Sha1));
        assert_eq!(
            choose_scheme(Some(&[S::RsaPssRsaeSha256, S::RsaPkcs1Sha256])),
            Some(S::RsaPkcs1Sha256)
        );
        assert_eq!(
            choose_scheme(Some(&[S::RsaPssRsaeSha256])),
            Some(S::RsaPssRsaeSha256)
        );
        assert_eq!(choose_scheme(Some(&[S::Ed25519])), None);
    }
}
