//! Elliptic-curve Diffie–Hellman for ECDHE suites. Both curves give fixed-length shared
//! secrets (32 bytes: RFC 7748 §5 for X25519, the x-coordinate as a 32-byte field element for
//! P-256 per RFC 8422 §5.10), so there is no leading-zero effect as with finite-field DH.

use p256::elliptic_curve::sec1::ToEncodedPoint;
use rand_core::RngCore;
use x25519_dalek::{PublicKey as XPublic, StaticSecret};

/// Named curves tlsim supports.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Curve {
    X25519,
    Secp256r1,
}

/// Errors from ECDH agreement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EcdhError {
    /// The peer's public value has the wrong length or is not a valid point.
    #[error("invalid peer ECDH public value")]
    BadPublic,
    /// The shared secret is all zeros (X25519 with a low-order point; RFC 8422 §5.11 and
    /// RFC 7748 §6.1 require aborting).
    #[error("ECDH shared secret is all zeros")]
    AllZeroSecret,
    /// The given private bytes are not a valid scalar for the curve.
    #[error("invalid ECDH private scalar")]
    BadPrivate,
}

/// An ECDH key pair.
#[derive(Clone, PartialEq, Eq)]
pub struct EcdhKeyPair {
    pub curve: Curve,
    /// X25519: the 32 secret bytes (clamped at use); P-256: a valid big-endian scalar.
    secret: [u8; 32],
    /// X25519: 32 bytes; P-256: the 65-byte uncompressed point `0x04 || X || Y`.
    pub public: Vec<u8>,
}

impl std::fmt::Debug for EcdhKeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EcdhKeyPair")
            .field("curve", &self.curve)
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl EcdhKeyPair {
    /// Generates a key pair from `rng` (P-256: resamples until the bytes are a valid scalar).
    pub fn generate<R: RngCore>(curve: Curve, rng: &mut R) -> Self {
        loop {
            let mut bytes = [0u8; 32];
            rng.fill_bytes(&mut bytes);
            if let Ok(kp) = Self::from_secret_bytes(curve, bytes) {
                return kp;
            }
        }
    }

    /// A key pair from fixed secret bytes (for test vectors and replays).
    pub fn from_secret_bytes(curve: Curve, secret: [u8; 32]) -> Result<Self, EcdhError> {
        let public = match curve {
            Curve::X25519 => {
                let s = StaticSecret::from(secret);
                XPublic::from(&s).as_bytes().to_vec()
            }
            Curve::Secp256r1 => {
                let sk = p256::SecretKey::from_slice(&secret).map_err(|_| EcdhError::BadPrivate)?;
                sk.public_key().to_encoded_point(false).as_bytes().to_vec()
            }
        };
        Ok(EcdhKeyPair {
            curve,
            secret,
            public,
        })
    }

    /// The shared secret with `peer_public` (32 bytes for both curves).
    pub fn shared_secret(&self, peer_public: &[u8]) -> Result<Vec<u8>, EcdhError> {
        let out = match self.curve {
            Curve::X25519 => {
                let peer: [u8; 32] = peer_public.try_into().map_err(|_| EcdhError::BadPublic)?;
                let s = StaticSecret::from(self.secret);
                s.diffie_hellman(&XPublic::from(peer)).as_bytes().to_vec()
            }
            Curve::Secp256r1 => {
                // RFC 8422 §5.4.1: TLS uses the uncompressed form only.
                if peer_public.len() != 65 || peer_public[0] != 0x04 {
                    return Err(EcdhError::BadPublic);
                }
                let peer = p256::PublicKey::from_sec1_bytes(peer_public)
                    .map_err(|_| EcdhError::BadPublic)?;
                let sk =
                    p256::SecretKey::from_slice(&self.secret).map_err(|_| EcdhError::BadPrivate)?;
                let shared = p256::ecdh::diffie_hellman(sk.to_nonzero_scalar(), peer.as_affine());
                shared.raw_secret_bytes().to_vec()
            }
        };
        if out.iter().all(|&b| b == 0) {
            return Err(EcdhError::AllZeroSecret);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::prf::{from_hex, to_hex};
    use crate::seed::rng_for;

    fn h32(s: &str) -> [u8; 32] {
        from_hex(s).unwrap().try_into().unwrap()
    }

    /// RFC 7748 §6.1 X25519 test vector (Alice and Bob).
    #[test]
    fn x25519_rfc7748_vector() {
        let alice = EcdhKeyPair::from_secret_bytes(
            Curve::X25519,
            h32("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"),
        )
        .unwrap();
        let bob = EcdhKeyPair::from_secret_bytes(
            Curve::X25519,
            h32("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"),
        )
        .unwrap();
        assert_eq!(
            to_hex(&alice.public),
            "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
        );
        assert_eq!(
            to_hex(&bob.public),
            "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"
        );
        let k = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
        assert_eq!(to_hex(&alice.shared_secret(&bob.public).unwrap()), k);
        assert_eq!(to_hex(&bob.shared_secret(&alice.public).unwrap()), k);
    }

    #[test]
    fn both_curves_agree_and_reject_bad_points() {
        for curve in [Curve::X25519, Curve::Secp256r1] {
            for i in 0..4u64 {
                let mut rng = rng_for(9, &[i]);
                let a = EcdhKeyPair::generate(curve, &mut rng);
                let b = EcdhKeyPair::generate(curve, &mut rng);
                let expected_len = if curve == Curve::X25519 { 32 } else { 65 };
                assert_eq!(a.public.len(), expected_len);
                let sa = a.shared_secret(&b.public).unwrap();
                assert_eq!(sa.len(), 32);
                assert_eq!(sa, b.shared_secret(&a.public).unwrap());
                // deterministic
                let mut rng2 = rng_for(9, &[i]);
                assert_eq!(EcdhKeyPair::generate(curve, &mut rng2), a);
            }
            let a = EcdhKeyPair::generate(curve, &mut rng_for(1, &[]));
            assert_eq!(a.shared_secret(&[1, 2, 3]), Err(EcdhError::BadPublic));
        }
        let a = EcdhKeyPair::generate(Curve::X25519, &mut rng_for(2, &[]));
        assert_eq!(a.shared_secret(&[0u8; 32]), Err(EcdhError::AllZeroSecret));
        let p = EcdhKeyPair::generate(Curve::Secp256r1, &mut rng_for(3, &[]));
        let mut bad = p.public.clone();
        bad[64] ^= 1; // off the curve
        assert_eq!(p.shared_secret(&bad), Err(EcdhError::BadPublic));
        assert_eq!(
            EcdhKeyPair::from_secret_bytes(Curve::Secp256r1, [0u8; 32]),
            Err(EcdhError::BadPrivate)
        );
        assert_eq!(
            EcdhKeyPair::from_secret_bytes(Curve::Secp256r1, [0xffu8; 32]),
            Err(EcdhError::BadPrivate)
        );
    }
}
