//! The key_share groups of the TLS 1.3 module (RFC 8446 §4.2.7, §4.2.8): X25519, P-256,
//! P-384 and the RFC 7919 FFDHE groups, and how each side turns the agreed value into the
//! (EC)DHE input of the key schedule (RFC 8446 §7.4).

use num_bigint::BigUint;
use p384::elliptic_curve::sec1::ToEncodedPoint;
use rand_core::{CryptoRng, RngCore};

use crate::crypto::{left_pad, rfc7919_group, Curve, DhGroup, DhKeyPair, EcdhKeyPair};
use crate::wire::{AlertDescription, NamedGroup};

use super::Tls13Error;

/// How this side writes an FFDHE shared secret `Z` as the (EC)DHE input of the TLS 1.3 key
/// schedule.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum FfdheZ {
    /// RFC 8446 §7.4.1: "the shared secret … is … left-padded with zeros to the size of the
    /// prime".
    #[default]
    Pad,
    /// Leading zero bytes removed, as TLS 1.2 does (RFC 5246 §8.1.2): what Java's TLS 1.3
    /// did before JDK-8328046 (https://bugs.openjdk.org/browse/JDK-8328046, fixed by
    /// https://github.com/openjdk/jdk/pull/27343), reported as intermittent
    /// bad_record_mac in https://github.com/openssl/openssl/issues/23728.
    Strip,
}

/// The RFC 7919 group behind an FFDHE NamedGroup.
pub(super) fn ffdhe_group(g: NamedGroup) -> Option<&'static DhGroup> {
    match g {
        NamedGroup::Ffdhe2048 => rfc7919_group(2048),
        NamedGroup::Ffdhe3072 => rfc7919_group(3072),
        NamedGroup::Ffdhe4096 => rfc7919_group(4096),
        NamedGroup::Ffdhe6144 => rfc7919_group(6144),
        NamedGroup::Ffdhe8192 => rfc7919_group(8192),
        _ => None,
    }
}

/// Whether this module can do a key exchange in `g`.
pub(super) fn supported(g: NamedGroup) -> bool {
    matches!(
        g,
        NamedGroup::X25519 | NamedGroup::Secp256r1 | NamedGroup::Secp384r1
    ) || ffdhe_group(g).is_some()
}

/// Private exponent length for the FFDHE groups: 384 bits, at least twice the security
/// strength of ffdhe8192 (RFC 7919 §5.2 / Appendix A: 192 bits), within the fixed-base
/// tables' reach.
const FFDHE_EXPONENT_BITS: usize = 384;

enum Key {
    Ec(EcdhKeyPair),
    P384(p384::SecretKey),
    Ff(&'static DhGroup, DhKeyPair),
}

/// One side's key share: the private key and its group.
pub(super) struct Kex {
    pub(super) group: NamedGroup,
    key: Key,
}

/// The agreed (EC)DHE input and whether `Z` (FFDHE only) had a leading zero byte when
/// written in the length of p.
pub(super) struct Shared {
    pub(super) secret: Vec<u8>,
    pub(super) z_leading_zero: bool,
}

fn bad_share(reason: impl Into<String>) -> Tls13Error {
    // RFC 8446 §4.2.8.1 / §4.2.8.2: an invalid share is illegal_parameter.
    Tls13Error {
        alert: AlertDescription::IllegalParameter,
        reason: reason.into(),
    }
}

impl Kex {
    /// A fresh key pair in `group`; `None` for a group this module does not implement.
    pub(super) fn generate(group: NamedGroup, rng: &mut (impl RngCore + CryptoRng)) -> Option<Kex> {
        let key = match group {
            NamedGroup::X25519 => Key::Ec(EcdhKeyPair::generate(Curve::X25519, rng)),
            NamedGroup::Secp256r1 => Key::Ec(EcdhKeyPair::generate(Curve::Secp256r1, rng)),
            NamedGroup::Secp384r1 => loop {
                let mut b = [0u8; 48];
                rng.fill_bytes(&mut b);
                if let Ok(k) = p384::SecretKey::from_slice(&b) {
                    break Key::P384(k);
                }
            },
            g => {
                let dh = ffdhe_group(g)?;
                Key::Ff(dh, dh.generate(rng, FFDHE_EXPONENT_BITS))
            }
        };
        Some(Kex { group, key })
    }

    /// The key_exchange bytes: X25519 32 bytes, NIST curves the uncompressed point (RFC 8446
    /// §4.2.8.2), FFDHE `Y` left-padded to the length of p (§4.2.8.1).
    pub(super) fn public(&self) -> Vec<u8> {
        match &self.key {
            Key::Ec(k) => k.public.clone(),
            Key::P384(k) => k.public_key().to_encoded_point(false).as_bytes().to_vec(),
            Key::Ff(g, k) => left_pad(k.public.to_bytes_be(), g.byte_len()),
        }
    }

    /// Agrees with the peer's key_exchange; FFDHE `Z` is written per `z_enc`.
    pub(super) fn agree(&self, peer: &[u8], z_enc: FfdheZ) -> Result<Shared, Tls13Error> {
        let secret = match &self.key {
            Key::Ec(k) => k
                .shared_secret(peer)
                .map_err(|e| bad_share(e.to_string()))?,
            Key::P384(k) => {
                if peer.len() != 97 || peer[0] != 0x04 {
                    return Err(bad_share("P-384 share is not an uncompressed point"));
                }
                let pk = p384::PublicKey::from_sec1_bytes(peer)
                    .map_err(|_| bad_share("invalid P-384 point"))?;
                let s = p384::ecdh::diffie_hellman(k.to_nonzero_scalar(), pk.as_affine());
                s.raw_secret_bytes().to_vec()
            }
            Key::Ff(g, k) => {
                // §4.2.8.1: Y is sent padded to the size of p.
                if peer.len() != g.byte_len() {
                    return Err(bad_share(format!(
                        "{} share of {} bytes, not {}",
                        g.name,
                        peer.len(),
                        g.byte_len()
                    )));
                }
                let y = BigUint::from_bytes_be(peer);
                let z = g
                    .shared_secret(&k.private, &y)
                    .map_err(|e| bad_share(e.to_string()))?;
                let padded = left_pad(z.to_bytes_be(), g.byte_len());
                let z_leading_zero = padded[0] == 0;
                let secret = match z_enc {
                    FfdheZ::Pad => padded,
                    FfdheZ::Strip => z.to_bytes_be(),
                };
                return Ok(Shared {
                    secret,
                    z_leading_zero,
                });
            }
        };
        Ok(Shared {
            secret,
            z_leading_zero: false,
        })
    }
}
