//! Real cryptography for bridge mode (a tlsim peer talking to a real TLS stack over a socket):
//! X.509 parsing of the peer's certificate, RSA PKCS#1 v1.5 / RSA-PSS signatures on
//! ServerKeyExchange and CertificateVerify (TLS 1.2), MD5||SHA-1 signatures before TLS 1.2,
//! RSA key transport (PKCS#1 v1.5 encryption of the pre-master secret, the RFC 5246 §7.4.7.1
//! countermeasure on decryption). Records use real AES-GCM or AES-CBC with HMAC
//! ([`crate::crypto::RecordProtector`]).
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

/// Test material only: a self-signed RSA-2048 client certificate (CN=tlsim-test-client, 100
/// years) and its unencrypted key, generated once with `openssl req -x509 -newkey rsa:2048
/// -nodes -days 36500 -subj /CN=tlsim-test-client -keyout client-key.pem -out
/// client-cert.pem` (and `openssl x509 -outform DER` for the DER). Being self-signed, the
/// PEM is also the CA file a real server verifies it with (`-CAfile`, `--x509cafile`).
pub const TEST_CLIENT_CERT_DER: &[u8] = include_bytes!("../../tests/data/client-cert.der");
/// PEM of [`TEST_CLIENT_CERT_DER`].
pub const TEST_CLIENT_CERT_PEM: &str = include_str!("../../tests/data/client-cert.pem");
/// PKCS#8 PEM private key of the test client certificate (test material only).
pub const TEST_CLIENT_KEY_PEM: &str = include_str!("../../tests/data/client-key.pem");

/// What a peer needs to run with real crypto: its certificate chain and RSA key. A server
/// needs both; a client needs them only to answer a CertificateRequest (without them it
/// sends an empty Certificate, RFC 5246 §7.4.6).
#[derive(Clone)]
pub struct RealCrypto {
    /// DER certificates, leaf first (a client's: for client authentication; may be empty).
    pub cert_chain: Vec<Vec<u8>>,
    /// RSA private key of the leaf.
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
    /// Client side without a certificate: verify what the server sends, answer a
    /// CertificateRequest with an empty Certificate.
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

    /// Client side with the bundled test client certificate and key, sent when a server
    /// asks (and the profile's `client_cert` says so).
    pub fn test_client() -> RealCrypto {
        RealCrypto::server(vec![TEST_CLIENT_CERT_DER.to_vec()], TEST_CLIENT_KEY_PEM)
            .expect("the bundled test client certificate and key match")
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

/// MD5(msg) || SHA-1(msg), the 36 bytes an RSA signature covers before TLS 1.2 (RFC 2246
/// §7.4.3 ServerKeyExchange, §7.4.8 CertificateVerify; RFC 4346 the same).
fn md5_sha1(msg: &[u8]) -> Vec<u8> {
    use sha1::Digest;
    let mut h = md5::Md5::digest(msg).to_vec();
    h.extend_from_slice(&sha1::Sha1::digest(msg));
    h
}

/// A TLS 1.0/1.1 RSA signature: PKCS#1 v1.5 block type 1 over MD5||SHA-1, without a
/// DigestInfo (RFC 2246 §4.7, §7.4.3). Blinded with `rng`.
pub(super) fn sign_md5_sha1(
    key: &RsaPrivateKey,
    msg: &[u8],
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>, String> {
    key.sign_with_rng(rng, rsa::Pkcs1v15Sign::new_unprefixed(), &md5_sha1(msg))
        .map_err(|e| format!("RSA MD5-SHA1 signature: {e}"))
}

/// Verify a TLS 1.0/1.1 MD5||SHA-1 RSA signature.
pub(super) fn verify_md5_sha1(key: &RsaPublicKey, msg: &[u8], sig: &[u8]) -> bool {
    key.verify(rsa::Pkcs1v15Sign::new_unprefixed(), &md5_sha1(msg), sig)
        .is_ok()
}

/// RSA key transport, client side: the pre-master secret encrypted to the server's key with
/// PKCS#1 v1.5 (RFC 5246 §7.4.7.1), random padding from `rng`.
pub(super) fn encrypt_premaster(
    key: &RsaPublicKey,
    pms: &[u8],
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>, String> {
    key.encrypt(rng, rsa::Pkcs1v15Encrypt, pms)
        .map_err(|e| format!("RSA encryption of the pre-master secret: {e}"))
}

/// RSA key transport, server side, with the RFC 5246 §7.4.7.1 countermeasure against
/// Bleichenbacher's attack: a random 46-byte R is made first; if the PKCS#1 padding is wrong
/// or the plaintext is not 48 bytes, the pre-master secret is `client_version || R`, else
/// `client_version || M[2..48]` (the version check is folded in: a wrong version in M just
/// yields a pre-master the client does not have). No error is ever returned, so nothing
/// distinguishes the cases until Finished fails with bad_record_mac / decrypt_error. (The
/// `rsa` crate's PKCS#1 decryption is not constant-time, RUSTSEC-2023-0071: test tool only.)
pub(super) fn decrypt_premaster(
    key: &RsaPrivateKey,
    block: &[u8],
    client_version: [u8; 2],
    rng: &mut impl CryptoRngCore,
) -> Vec<u8> {
    let mut r = [0u8; 46];
    rng.fill_bytes(&mut r);
    let m = key
        .decrypt_blinded(rng, rsa::Pkcs1v15Encrypt, block)
        .ok()
        .filter(|m| m.len() == 48);
    let mut pms = client_version.to_vec();
    match m {
        Some(m) => pms.extend_from_slice(&m[2..]),
        None => pms.extend_from_slice(&r),
    }
    pms
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

    /// MD5||SHA-1 signatures round-trip and are exactly PKCS#1 v1.5 type 1 over the 36
    /// bytes with no DigestInfo (checked by raw RSA: s^e mod n).
    #[test]
    fn md5_sha1_signature_layout() {
        use rsa::traits::PublicKeyParts;
        let rc = RealCrypto::test_server();
        let key = rc.key.as_ref().unwrap();
        let pk = key.to_public_key();
        let mut rng = rng_for(2, &[]);
        let sig = sign_md5_sha1(key, b"params", &mut rng).unwrap();
        assert!(verify_md5_sha1(&pk, b"params", &sig));
        assert!(!verify_md5_sha1(&pk, b"params.", &sig));
        let m = rsa::BigUint::from_bytes_be(&sig).modpow(pk.e(), pk.n());
        let em = m.to_bytes_be(); // leading 0x00 dropped
        assert_eq!(em.len(), 255);
        assert_eq!(em[0], 1);
        assert!(em[1..255 - 37].iter().all(|b| *b == 0xff));
        assert_eq!(em[255 - 37], 0);
        assert_eq!(&em[255 - 36..], &md5_sha1(b"params")[..]);
    }

    /// RSA key transport: the encrypted pre-master decrypts to itself (with the client
    /// version of the hello), and every bad block (wrong length, garbage, a 47-byte
    /// plaintext) yields a 48-byte pre-master with the client version and random rest,
    /// never an error.
    #[test]
    fn rsa_premaster_round_trip_and_countermeasure() {
        let server = RealCrypto::test_server();
        let key = server.key.as_ref().unwrap();
        let pk = key.to_public_key();
        let mut rng = rng_for(3, &[]);
        let mut pms = vec![3, 3];
        pms.extend([0x5a; 46]);
        let block = encrypt_premaster(&pk, &pms, &mut rng).unwrap();
        assert_eq!(block.len(), 256);
        assert_eq!(decrypt_premaster(key, &block, [3, 3], &mut rng), pms);
        // A client that put another version in M: the server uses ClientHello's.
        let got = decrypt_premaster(key, &block, [3, 1], &mut rng);
        assert_eq!(&got[..2], &[3, 1]);
        assert_eq!(&got[2..], &pms[2..]);
        let short = encrypt_premaster(&pk, &pms[..47], &mut rng).unwrap();
        for bad in [&block[..100], &[0u8; 256][..], &short[..], &[][..]] {
            let a = decrypt_premaster(key, bad, [3, 3], &mut rng);
            let b = decrypt_premaster(key, bad, [3, 3], &mut rng);
            assert_eq!(a.len(), 48);
            assert_eq!(&a[..2], &[3, 3]);
            assert_ne!(a, b, "random R each time");
            assert_ne!(a, pms);
        }
    }
}
