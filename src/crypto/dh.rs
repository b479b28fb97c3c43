//! Finite-field Diffie–Hellman over the named safe-prime groups, and the two encodings whose
//! disagreement is mechanism M1 (pre-master secret with or without Z's leading zero bytes) and
//! M2/M3 (public values with or without left padding).
//!
//! All modular exponentiation goes through [`DhGroup::modexp`]. For the named groups on an
//! x86-64 CPU with AVX-512 IFMA it runs on [`super::ifma`] (about 2x OpenSSL 3.0's
//! `BN_mod_exp_mont` for a 2048-bit modulus); otherwise, with the cargo feature `openssl-bn`
//! (on by default), on OpenSSL's `BN_mod_exp_mont` with a cached Montgomery context (see
//! [`super::bn`]). `g^x mod p` for the named groups uses a fixed-base table built once per
//! group. Without the feature, and as the reference the tests compare against, it is
//! `num_bigint::BigUint::modpow` ([`DhGroup::modexp_reference`]). Results are identical
//! whichever path runs.

use std::sync::OnceLock;

use num_bigint::BigUint;
use num_integer::Integer;
use num_traits::{One, ToPrimitive, Zero};
use rand_core::RngCore;

/// Window width (bits) of the named groups' fixed-base tables for `g^x mod p`.
///
/// Measured with `cargo bench --bench modexp` (ffdhe2048, 256-bit exponents, Montgomery
/// products, medians of 400 runs on the 2-core machine): w=6 about 44 us per `g^x` (1.3 MiB
/// for a 512-bit reach), w=8 about 33 us (4 MiB for 512 bits, 19 ms to build), against about
/// 239 us for `BN_mod_exp_mont` with `g = 2`. With the 384-bit reach below, a w=8 table for
/// a 2048-bit group is 3 MiB.
#[cfg(feature = "openssl-bn")]
pub const FIXED_BASE_WINDOW: u32 = 8;

/// Longest private exponent (bits) the fixed-base tables cover; longer ones (for example the
/// full-size exponents of `exponent_bits == 0`) use [`DhGroup::modexp`].
#[cfg(feature = "openssl-bn")]
pub const FIXED_BASE_MAX_BITS: usize = 384;

/// The named groups tlsim knows.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum GroupId {
    /// RFC 7919 Appendix A.1, 2048-bit.
    Ffdhe2048,
    /// RFC 7919 Appendix A.2, 3072-bit.
    Ffdhe3072,
    /// RFC 3526 §3, 2048-bit MODP group (IKE group 14).
    Modp2048,
    /// RFC 2409 §6.2, 1024-bit Oakley group 2.
    Oakley2,
}

impl GroupId {
    /// All named groups.
    pub const ALL: [GroupId; 4] = [
        GroupId::Ffdhe2048,
        GroupId::Ffdhe3072,
        GroupId::Modp2048,
        GroupId::Oakley2,
    ];
}

/// A Diffie–Hellman group: prime `p`, generator `g` and, when known, the order `q` of the
/// subgroup `g` generates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DhGroup {
    pub name: String,
    pub p: BigUint,
    pub g: BigUint,
    /// `(p-1)/2` for the named safe primes; `None` for custom groups.
    pub q: Option<BigUint>,
}

/// A private exponent and its public value `g^x mod p`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DhKeyPair {
    pub private: BigUint,
    pub public: BigUint,
}

/// Errors from Diffie–Hellman agreement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DhError {
    /// The peer's public value is outside `[2, p-2]` (RFC 7919 §5.1 / NIST SP 800-56A checks).
    #[error("peer DH public value out of range")]
    BadPublic,
    /// The agreed value is 0 or 1 (only possible with a private exponent that is 0 or a
    /// multiple of the group order, or a degenerate custom group).
    #[error("degenerate DH shared secret")]
    DegenerateSecret,
    /// The group itself is unusable (for example a peer-sent `p` that is even or below 5, or
    /// `g` outside `[2, p-2]`); see [`DhGroup::validate`].
    #[error("unusable DH group parameters")]
    BadGroup,
}

// RFC 7919 Appendix A.1 (ffdhe2048), typed from the RFC text.
const FFDHE2048_HEX: &str = "\
FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1\
D8B9C583CE2D3695A9E13641146433FBCC939DCE249B3EF9\
7D2FE363630C75D8F681B202AEC4617AD3DF1ED5D5FD6561\
2433F51F5F066ED0856365553DED1AF3B557135E7F57C935\
984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE735\
30ACCA4F483A797ABC0AB182B324FB61D108A94BB2C8E3FB\
B96ADAB760D7F4681D4F42A3DE394DF4AE56EDE76372BB19\
0B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61\
9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD73\
3BB5FCBC2EC22005C58EF1837D1683B2C6F34A26C1B2EFFA\
886B423861285C97FFFFFFFFFFFFFFFF";

// RFC 7919 Appendix A.2 (ffdhe3072).
const FFDHE3072_HEX: &str = "\
FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1\
D8B9C583CE2D3695A9E13641146433FBCC939DCE249B3EF9\
7D2FE363630C75D8F681B202AEC4617AD3DF1ED5D5FD6561\
2433F51F5F066ED0856365553DED1AF3B557135E7F57C935\
984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE735\
30ACCA4F483A797ABC0AB182B324FB61D108A94BB2C8E3FB\
B96ADAB760D7F4681D4F42A3DE394DF4AE56EDE76372BB19\
0B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61\
9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD73\
3BB5FCBC2EC22005C58EF1837D1683B2C6F34A26C1B2EFFA\
886B4238611FCFDCDE355B3B6519035BBC34F4DEF99C0238\
61B46FC9D6E6C9077AD91D2691F7F7EE598CB0FAC186D91C\
AEFE130985139270B4130C93BC437944F4FD4452E2D74DD3\
64F2E21E71F54BFF5CAE82AB9C9DF69EE86D2BC522363A0D\
ABC521979B0DEADA1DBF9A42D5C4484E0ABCD06BFA53DDEF\
3C1B20EE3FD59D7C25E41D2B66C62E37FFFFFFFFFFFFFFFF";

// RFC 3526 §3 (2048-bit MODP group, id 14).
const MODP2048_HEX: &str = "\
FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1\
29024E088A67CC74020BBEA63B139B22514A08798E3404DD\
EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245\
E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED\
EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D\
C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F\
83655D23DCA3AD961C62F356208552BB9ED529077096966D\
670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B\
E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9\
DE2BCBF6955817183995497CEA956AE515D2261898FA0510\
15728E5A8AACAA68FFFFFFFFFFFFFFFF";

// RFC 2409 §6.2 (Oakley group 2, 1024-bit).
const OAKLEY2_HEX: &str = "\
FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1\
29024E088A67CC74020BBEA63B139B22514A08798E3404DD\
EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245\
E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED\
EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381\
FFFFFFFFFFFFFFFF";

fn build_named(id: GroupId) -> DhGroup {
    let (name, hex) = match id {
        GroupId::Ffdhe2048 => ("ffdhe2048", FFDHE2048_HEX),
        GroupId::Ffdhe3072 => ("ffdhe3072", FFDHE3072_HEX),
        GroupId::Modp2048 => ("modp2048", MODP2048_HEX),
        GroupId::Oakley2 => ("oakley2", OAKLEY2_HEX),
    };
    // The constants above are compile-time data checked by the tests, never peer input.
    let p = BigUint::parse_bytes(hex.as_bytes(), 16).expect("named group hex is valid");
    let q = (&p - 1u32) >> 1;
    DhGroup {
        name: name.to_string(),
        p,
        g: BigUint::from(2u32),
        q: Some(q),
    }
}

/// Left-pads `bytes` with zeros to `len` bytes (returns them unchanged when already longer).
pub(crate) fn left_pad(bytes: Vec<u8>, len: usize) -> Vec<u8> {
    if bytes.len() >= len {
        return bytes;
    }
    let mut out = vec![0u8; len - bytes.len()];
    out.extend_from_slice(&bytes);
    out
}

/// A uniformly random integer with at most `bits` bits.
fn random_bits<R: RngCore>(rng: &mut R, bits: usize) -> BigUint {
    if bits == 0 {
        return BigUint::zero();
    }
    let nbytes = bits.div_ceil(8);
    let mut buf = vec![0u8; nbytes];
    rng.fill_bytes(&mut buf);
    let excess = nbytes * 8 - bits;
    buf[0] &= 0xffu8 >> excess;
    BigUint::from_bytes_be(&buf)
}

impl DhGroup {
    /// The named group `id`, built once from the RFC hex.
    pub fn named(id: GroupId) -> &'static DhGroup {
        static GROUPS: [OnceLock<DhGroup>; 4] = [
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
        ];
        let idx = match id {
            GroupId::Ffdhe2048 => 0,
            GroupId::Ffdhe3072 => 1,
            GroupId::Modp2048 => 2,
            GroupId::Oakley2 => 3,
        };
        GROUPS[idx].get_or_init(|| build_named(id))
    }

    /// A custom (for example server-chosen) group; the subgroup order is unknown.
    pub fn custom(p: BigUint, g: BigUint) -> DhGroup {
        DhGroup {
            name: format!("custom-{}", p.bits()),
            p,
            g,
            q: None,
        }
    }

    /// Bit length of `p`.
    pub fn bits(&self) -> usize {
        // Always fits on 64-bit targets; elsewhere p would need 2^29 bytes (a peer's p has at
        // most 2^16: its length field is 16 bits).
        usize::try_from(self.p.bits()).expect("bit length of p fits usize")
    }

    /// Byte length of `p` (256 for a 2048-bit group).
    pub fn byte_len(&self) -> usize {
        self.bits().div_ceil(8)
    }

    /// `base^exp mod p`: the one modular exponentiation hook. With the feature `openssl-bn`
    /// an odd `p >= 3` goes to OpenSSL's `BN_mod_exp_mont` (with the Montgomery context
    /// cached for the named groups); everything else (and any libcrypto
    /// error) to [`modexp_reference`](Self::modexp_reference). Same result either way.
    ///
    /// Never panics: a zero modulus (only possible in an unvalidated custom group) gives 0.
    pub fn modexp(&self, base: &BigUint, exp: &BigUint) -> BigUint {
        crate::cost::probe(crate::cost::Kind::Modexp, || {
            self.modexp_unprobed(base, exp)
        })
    }

    fn modexp_unprobed(&self, base: &BigUint, exp: &BigUint) -> BigUint {
        #[cfg(target_arch = "x86_64")]
        if let Some(c) = self.ifma_context() {
            return c.mod_exp(base, exp);
        }
        #[cfg(feature = "openssl-bn")]
        if self.p.is_odd() && self.p.bits() >= 2 {
            // Named groups: their cached Montgomery context; others: a fresh one per call.
            let r = match self.fixed_base_table() {
                Some(t) => t.mont().mod_exp(base, exp),
                None => super::bn::mod_exp(base, exp, &self.p),
            };
            if let Some(r) = r {
                return r;
            }
        }
        self.modexp_reference(base, exp)
    }

    /// `base^exp mod p` with `num_bigint::BigUint::modpow`: the reference backend (and the
    /// only one without the `openssl-bn` feature). A zero modulus gives 0.
    pub fn modexp_reference(&self, base: &BigUint, exp: &BigUint) -> BigUint {
        if self.p.is_zero() {
            return BigUint::zero();
        }
        base.modpow(exp, &self.p)
    }

    /// Position of this group's `p` and `g` in [`GroupId::ALL`], if it is a named group.
    fn named_index(&self) -> Option<usize> {
        GroupId::ALL.iter().position(|&id| {
            let named = DhGroup::named(id);
            named.p == self.p && named.g == self.g
        })
    }

    /// The AVX-512 IFMA Montgomery context of a named group (built on first use, once per
    /// process); `None` for other groups or on a CPU without IFMA.
    #[cfg(target_arch = "x86_64")]
    fn ifma_context(&self) -> Option<&'static super::ifma::IfmaMont> {
        static CTX: [OnceLock<Option<super::ifma::IfmaMont>>; 4] = [
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
        ];
        if !super::ifma::available() {
            return None;
        }
        let idx = self.named_index()?;
        CTX[idx]
            .get_or_init(|| super::ifma::IfmaMont::new(&self.p))
            .as_ref()
    }

    /// The fixed-base table for `g^x mod p` when this group has the `p` and `g` of a named
    /// group (built on first use, once per process); `None` for other groups, whose keys are
    /// computed with [`modexp`](Self::modexp). Tables cover exponents of up to
    /// [`FIXED_BASE_MAX_BITS`] bits.
    #[cfg(feature = "openssl-bn")]
    pub fn fixed_base_table(&self) -> Option<&'static super::bn::FixedBaseTable> {
        static TABLES: [OnceLock<Option<super::bn::FixedBaseTable>>; 4] = [
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
        ];
        let idx = self.named_index()?;
        TABLES[idx]
            .get_or_init(|| {
                super::bn::FixedBaseTable::new(
                    &self.g,
                    &self.p,
                    FIXED_BASE_WINDOW,
                    FIXED_BASE_MAX_BITS,
                )
            })
            .as_ref()
    }

    /// Checks that the group is usable: `p` odd and at least 5, `1 < g < p-1`. Custom groups
    /// built from peer data should be validated before use; [`generate`](Self::generate) and
    /// [`shared_secret`](Self::shared_secret) never panic on an invalid group, but
    /// `shared_secret` returns [`DhError::BadGroup`] for it.
    pub fn validate(&self) -> Result<(), DhError> {
        let five = BigUint::from(5u32);
        if self.p < five || self.p.is_even() {
            return Err(DhError::BadGroup);
        }
        if self.g <= BigUint::one() || self.g >= &self.p - 1u32 {
            return Err(DhError::BadGroup);
        }
        Ok(())
    }

    /// Generates a key pair. `exponent_bits == 0`: private `x` uniform in `[2, p-2]`.
    /// Otherwise `x` is `exponent_bits` uniformly random bits (the top bit may be 0),
    /// resampled while `x < 2`.
    pub fn generate<R: RngCore>(&self, rng: &mut R, exponent_bits: usize) -> DhKeyPair {
        let two = BigUint::from(2u32);
        let private = if self.p < BigUint::from(5u32) {
            two // degenerate group: [2, p-2] is empty; shared_secret will refuse it
        } else if exponent_bits == 0 {
            let max = &self.p - 2u32; // inclusive upper bound p-2
            let bits = self.bits();
            loop {
                let x = random_bits(rng, bits);
                if x >= two && x <= max {
                    break x;
                }
            }
        } else {
            loop {
                let x = random_bits(rng, exponent_bits);
                if x >= two {
                    break x;
                }
            }
        };
        let public = self.public_from_private(&private);
        DhKeyPair { private, public }
    }

    /// `g^x mod p`: through the group's fixed-base table when it has one and `x` is short
    /// enough (see [`fixed_base_table`](Self::fixed_base_table)), else [`modexp`](Self::modexp).
    pub fn public_from_private(&self, x: &BigUint) -> BigUint {
        #[cfg(feature = "openssl-bn")]
        if x.bits() <= FIXED_BASE_MAX_BITS as u64 {
            let table = self.fixed_base_table();
            let y = table.and_then(|t| crate::cost::probe(crate::cost::Kind::Modexp, || t.pow(x)));
            if let Some(y) = y {
                return y;
            }
        }
        self.modexp(&self.g, x)
    }

    /// `Z = peer_public^x mod p`, after checking `1 < peer_public < p-1`.
    pub fn shared_secret(&self, x: &BigUint, peer_public: &BigUint) -> Result<BigUint, DhError> {
        self.validate()?;
        let p_minus_1 = &self.p - 1u32;
        if *peer_public <= BigUint::one() || *peer_public >= p_minus_1 {
            return Err(DhError::BadPublic);
        }
        let z = self.modexp(peer_public, x);
        if z <= BigUint::one() {
            return Err(DhError::DegenerateSecret);
        }
        Ok(z)
    }

    /// The exact rational behind [`leading_zero_probability`](Self::leading_zero_probability):
    /// `(2^(8(L-1)), p)` with `L` = [`byte_len`](Self::byte_len).
    pub fn leading_zero_fraction(&self) -> (BigUint, &BigUint) {
        let l = self.byte_len();
        if l == 0 {
            return (BigUint::zero(), &self.p);
        }
        (BigUint::one() << (8 * (l - 1)), &self.p)
    }

    /// Probability that a shared secret `Z`, uniform in the subgroup `g` generates, has a
    /// zero top byte when written in [`byte_len`](Self::byte_len) bytes, i.e.
    /// `Pr[Z < 2^(8(L-1))]`.
    ///
    /// Computed as the rational `2^(8(L-1)) / p` (with `BigUint`, then converted to `f64` with
    /// relative error about 2^-53). This treats `Z` as uniform on `[1, p-1]`. For the named
    /// safe primes, `g = 2` generates the order-`q` subgroup of quadratic residues, and `Z` is
    /// uniform on that subgroup, not on all of `[1, p-1]`. By the Pólya–Vinogradov inequality
    /// the number of quadratic residues in any interval `[1, N]` differs from `N/2` by at most
    /// `O(sqrt(p) log p)`, so the relative error of the approximation is
    /// `O(log p / sqrt(p))`, about 2^-1013 for a 2048-bit `p`: far below `f64` precision and
    /// far below anything a simulation could measure. For custom groups whose generator
    /// generates a small subgroup the approximation need not hold.
    pub fn leading_zero_probability(&self) -> f64 {
        let (threshold, p) = self.leading_zero_fraction();
        if p.is_zero() {
            return 0.0;
        }
        // floor(threshold * 2^64 / p) lies in [2^56, 2^64): converting it to f64 rounds once.
        // (For the named groups the exact value exceeds 1/256 by a relative ~2^-64, below f64
        // resolution, so the result is 1/256 to the last bit; the exact rational is
        // [`leading_zero_fraction`](Self::leading_zero_fraction).)
        let scaled = (threshold << 64u32) / p;
        let as_f64 = scaled.to_f64().unwrap_or(f64::NAN);
        as_f64 / 18_446_744_073_709_551_616.0 // 2^64, exact
    }
}

/// How the DH shared secret `Z` becomes the pre-master secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PremasterEncoding {
    /// RFC 5246 §8.1.2: leading zero bytes of `Z` are stripped (minimal big-endian bytes).
    Strip,
    /// `Z` left-padded with zeros to the length of `p` (as RFC 8446 §7.4.1 does for TLS 1.3).
    Keep,
}

/// The pre-master secret for shared secret `z` under `enc`.
pub fn dh_premaster(z: &BigUint, group: &DhGroup, enc: PremasterEncoding) -> Vec<u8> {
    let minimal = if z.is_zero() {
        Vec::new()
    } else {
        z.to_bytes_be()
    };
    match enc {
        PremasterEncoding::Strip => minimal,
        PremasterEncoding::Keep => left_pad(minimal, group.byte_len()),
    }
}

/// How a peer writes its public value `Ys`/`Yc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PublicEncoding {
    /// Minimal big-endian bytes (at least one byte).
    Minimal,
    /// Left-padded with zeros to the length of `p`.
    Padded,
}

/// Encodes a public value.
pub fn encode_public(y: &BigUint, group: &DhGroup, enc: PublicEncoding) -> Vec<u8> {
    let minimal = y.to_bytes_be(); // [0] for zero
    match enc {
        PublicEncoding::Minimal => minimal,
        PublicEncoding::Padded => left_pad(minimal, group.byte_len()),
    }
}

/// Decodes a big-endian public value; leading zeros are allowed.
pub fn decode_public(bytes: &[u8]) -> BigUint {
    BigUint::from_bytes_be(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::prf::{master_secret, PrfAlgorithm};
    use crate::crypto::stats::binomial_interval;
    use crate::seed::rng_for;
    use proptest::prelude::*;

    // ---- independent derivations of the primes ----

    /// floor(e * 2^bits), from the series sum 1/k!, with guard bits against truncation.
    fn e_fixed(bits: usize) -> BigUint {
        let guard = 32;
        let mut term = BigUint::one() << (bits + guard);
        let mut sum = BigUint::zero();
        let mut k = 0u32;
        while !term.is_zero() {
            sum += &term;
            k += 1;
            term /= k;
        }
        sum >> guard
    }

    /// floor(pi * 2^bits) by Machin's formula pi = 16 atan(1/5) - 4 atan(1/239).
    fn pi_fixed(bits: usize) -> BigUint {
        let guard = 32;
        let one = BigUint::one() << (bits + guard);
        let atan_inv = |x: u32| -> (BigUint, BigUint) {
            // returns (positive terms, negative terms)
            let x2 = BigUint::from(x * x);
            let mut t = &one / x;
            let (mut pos, mut neg) = (BigUint::zero(), BigUint::zero());
            let mut n = 1u32;
            let mut plus = true;
            while !t.is_zero() {
                if plus {
                    pos += &t / n;
                } else {
                    neg += &t / n;
                }
                t /= &x2;
                n += 2;
                plus = !plus;
            }
            (pos, neg)
        };
        let (p5, n5) = atan_inv(5);
        let (p239, n239) = atan_inv(239);
        let pi = (p5 * 16u32 + n239 * 4u32) - (n5 * 16u32 + p239 * 4u32);
        pi >> guard
    }

    /// RFC 7919 Appendix A: p = 2^b - 2^{b-64} + {[2^{b-130} e] + X} * 2^64 - 1.
    fn ffdhe_formula(b: usize, x: u32) -> BigUint {
        let one = BigUint::one();
        ((&one << b) + ((e_fixed(b - 130) + x) << 64)) - (&one << (b - 64)) - 1u32
    }

    /// RFC 3526 §3 / RFC 2409 §6.2: p = 2^b - 2^{b-64} - 1 + 2^64 * {[2^{b-130} pi] + X}.
    fn modp_formula(b: usize, x: u32) -> BigUint {
        let one = BigUint::one();
        ((&one << b) + ((pi_fixed(b - 130) + x) << 64)) - (&one << (b - 64)) - 1u32
    }

    /// The Miller–Rabin check that profile validation applies to custom primes.
    use crate::profile::validate::probably_prime;

    #[test]
    fn ffdhe2048_matches_rfc7919_formula() {
        // RFC 7919 Appendix A.1: "p = 2^2048 - 2^1984 + {[2^1918 * e] + 560316 } * 2^64 - 1"
        let g = DhGroup::named(GroupId::Ffdhe2048);
        assert_eq!(g.p, ffdhe_formula(2048, 560316));
        assert_eq!(g.bits(), 2048);
        assert_eq!(g.byte_len(), 256);
    }

    #[test]
    fn ffdhe3072_matches_rfc7919_formula() {
        // RFC 7919 Appendix A.2: "p = 2^3072 - 2^3008 + {[2^2942 * e] + 2625351} * 2^64 - 1"
        let g = DhGroup::named(GroupId::Ffdhe3072);
        assert_eq!(g.p, ffdhe_formula(3072, 2625351));
        assert_eq!(g.byte_len(), 384);
    }

    #[test]
    fn modp2048_matches_rfc3526_formula() {
        // RFC 3526 §3: "2^2048 - 2^1984 - 1 + 2^64 * { [2^1918 pi] + 124476 }"
        let g = DhGroup::named(GroupId::Modp2048);
        assert_eq!(g.p, modp_formula(2048, 124476));
    }

    #[test]
    fn oakley2_matches_rfc2409_formula() {
        // RFC 2409 §6.2: "2^1024 - 2^960 - 1 + 2^64 * { [2^894 pi] + 129093 }".
        // (149686 is the constant of the 768-bit group 1, RFC 2409 §6.1.)
        let g = DhGroup::named(GroupId::Oakley2);
        assert_eq!(g.p, modp_formula(1024, 129093));
        assert_eq!(g.byte_len(), 128);
    }

    #[test]
    fn named_groups_are_safe_primes_and_g_has_order_q() {
        for id in GroupId::ALL {
            let g = DhGroup::named(id);
            let q = g.q.as_ref().expect("named groups know q");
            assert_eq!(&(q * 2u32 + 1u32), &g.p, "{id:?}");
            assert_eq!(g.modexp(&g.g, q), BigUint::one(), "{id:?}: g^q != 1");
            assert!(probably_prime(&g.p), "{id:?}: p not prime");
            assert!(probably_prime(q), "{id:?}: q not prime");
            assert!(g.p.is_odd());
        }
    }

    #[test]
    fn agreement_and_range_checks() {
        let g = DhGroup::named(GroupId::Ffdhe2048);
        let mut rng = rng_for(1, &[0]);
        let a = g.generate(&mut rng, 0);
        let b = g.generate(&mut rng, 256);
        assert!(a.private >= BigUint::from(2u32) && a.private <= &g.p - 2u32);
        assert!(b.private.bits() <= 256);
        let za = g.shared_secret(&a.private, &b.public).unwrap();
        let zb = g.shared_secret(&b.private, &a.public).unwrap();
        assert_eq!(za, zb);
        for bad in [
            BigUint::zero(),
            BigUint::one(),
            &g.p - 1u32,
            g.p.clone(),
            &g.p + 5u32,
        ] {
            assert_eq!(g.shared_secret(&a.private, &bad), Err(DhError::BadPublic));
        }
        // deterministic from the seed
        let mut rng2 = rng_for(1, &[0]);
        assert_eq!(g.generate(&mut rng2, 0), a);
    }

    #[test]
    fn custom_group_small() {
        let g = DhGroup::custom(BigUint::from(23u32), BigUint::from(5u32));
        assert_eq!(g.q, None);
        assert_eq!(g.byte_len(), 1);
        assert_eq!(
            g.public_from_private(&BigUint::from(6u32)),
            BigUint::from(8u32)
        );
        let z = g
            .shared_secret(&BigUint::from(15u32), &BigUint::from(8u32))
            .unwrap();
        assert_eq!(z, BigUint::from(2u32)); // 8^15 mod 23 = 2 (5^90 mod 23)
    }

    #[test]
    fn invalid_custom_groups_never_panic() {
        let mut rng = rng_for(5, &[]);
        for (p, g) in [
            (0u32, 2u32),
            (1, 2),
            (2, 2),
            (4, 2),
            (9, 2),
            (23, 1),
            (23, 22),
            (23, 0),
        ] {
            let grp = DhGroup::custom(BigUint::from(p), BigUint::from(g));
            let kp = grp.generate(&mut rng, 0);
            let kp2 = grp.generate(&mut rng, 16);
            let _ = grp.leading_zero_probability();
            let r = grp.shared_secret(&kp.private, &kp2.public);
            if p == 9 {
                // odd composite passes the cheap checks; only the range checks apply
                assert!(grp.validate().is_ok());
            } else {
                assert_eq!(grp.validate(), Err(DhError::BadGroup), "p={p} g={g}");
                assert_eq!(r, Err(DhError::BadGroup));
            }
        }
        for id in GroupId::ALL {
            assert_eq!(DhGroup::named(id).validate(), Ok(()));
        }
    }

    #[test]
    fn leading_zero_probability_values() {
        for id in GroupId::ALL {
            let g = DhGroup::named(id);
            let p = g.leading_zero_probability();
            // p is just below 2^(8L), so the exact rate is just above 1/256 (by a relative
            // ~2^-64, which rounds away in f64).
            assert!(
                (1.0 / 256.0..1.0 / 256.0 * (1.0 + 1e-15)).contains(&p),
                "{id:?}: {p}"
            );
            let (num, den) = g.leading_zero_fraction();
            assert!(&(num * 256u32) > den, "{id:?}: exact rate not above 1/256");
        }
        let small = DhGroup::custom(BigUint::from(23u32), BigUint::from(5u32));
        assert!((small.leading_zero_probability() - 1.0 / 23.0).abs() < 1e-17);
        let g = DhGroup::custom(BigUint::from(0x1_8000u32), BigUint::from(3u32));
        assert!((g.leading_zero_probability() - 65536.0 / 98304.0).abs() < 1e-17);
    }

    #[test]
    fn encodings() {
        let g = DhGroup::named(GroupId::Ffdhe2048);
        let z = BigUint::from(0x01_02u32);
        assert_eq!(dh_premaster(&z, g, PremasterEncoding::Strip), vec![1, 2]);
        let kept = dh_premaster(&z, g, PremasterEncoding::Keep);
        assert_eq!(kept.len(), 256);
        assert_eq!(&kept[254..], &[1, 2]);
        assert!(kept[..254].iter().all(|&b| b == 0));
        assert_eq!(encode_public(&z, g, PublicEncoding::Minimal), vec![1, 2]);
        assert_eq!(encode_public(&z, g, PublicEncoding::Padded).len(), 256);
        assert_eq!(decode_public(&[0, 0, 1, 2]), z);
        assert_eq!(decode_public(&[]), BigUint::zero());
    }

    const CR: [u8; 32] = [0x11; 32];
    const SR: [u8; 32] = [0x22; 32];

    /// Mechanism M1: a Z whose top byte is 0 gives different pre-master secrets (255 vs 256
    /// bytes) and so different master secrets under Strip and Keep; any other Z gives the same.
    #[test]
    fn m1_leading_zero_changes_master_secret() {
        let g = DhGroup::named(GroupId::Ffdhe2048);
        let threshold = BigUint::one() << (8 * 255);
        let mut found_zero = None;
        let mut found_nonzero = None;
        for i in 0..5000u64 {
            let mut rng = rng_for(42, &[i]);
            let c = g.generate(&mut rng, 256);
            let s = g.generate(&mut rng, 256);
            let z = g.shared_secret(&c.private, &s.public).unwrap();
            assert_eq!(z, g.shared_secret(&s.private, &c.public).unwrap());
            if z < threshold {
                found_zero.get_or_insert((i, z));
            } else {
                found_nonzero.get_or_insert((i, z));
            }
            if found_zero.is_some() && found_nonzero.is_some() {
                break;
            }
        }
        let (i, z) = found_zero.expect("a Z with a zero top byte within 5000 tries");
        println!("seeded exchange {i} has a zero top byte");
        let strip = dh_premaster(&z, g, PremasterEncoding::Strip);
        let keep = dh_premaster(&z, g, PremasterEncoding::Keep);
        assert!(strip.len() <= 255);
        assert_eq!(keep.len(), 256);
        assert_eq!(keep[0], 0);
        assert_eq!(&keep[256 - strip.len()..], &strip[..]);
        let ms_strip = master_secret(PrfAlgorithm::Sha256, &strip, &CR, &SR);
        let ms_keep = master_secret(PrfAlgorithm::Sha256, &keep, &CR, &SR);
        assert_ne!(ms_strip, ms_keep);

        let (_, z) = found_nonzero.expect("a Z without leading zero");
        let strip = dh_premaster(&z, g, PremasterEncoding::Strip);
        let keep = dh_premaster(&z, g, PremasterEncoding::Keep);
        assert_eq!(strip, keep);
        assert_eq!(strip.len(), 256);
        assert_eq!(
            master_secret(PrfAlgorithm::Sha256, &strip, &CR, &SR),
            master_secret(PrfAlgorithm::Sha256, &keep, &CR, &SR)
        );
    }

    /// The observed M1 rate over 20,000 seeded ffdhe2048 exchanges (256-bit exponents) lies in
    /// the 99.9% binomial interval around n * leading_zero_probability().
    #[test]
    fn m1_rate_over_20000_exchanges() {
        let start = std::time::Instant::now();
        let g = DhGroup::named(GroupId::Ffdhe2048);
        let threshold = BigUint::one() << (8 * (g.byte_len() - 1));
        let n: u64 = 20_000;
        // Exchange i depends only on its own counter-derived RNG, so splitting the range over
        // threads gives the same count as a sequential loop.
        let workers = std::thread::available_parallelism()
            .map(|w| w.get() as u64)
            .unwrap_or(1)
            .clamp(1, 4);
        let count_range = |from: u64, to: u64| -> u64 {
            let mut zeros = 0u64;
            for i in from..to {
                let mut rng = rng_for(2026, &[i]);
                let c = g.generate(&mut rng, 256);
                let s = g.generate(&mut rng, 256);
                let z = g.shared_secret(&c.private, &s.public).unwrap();
                if z < threshold {
                    zeros += 1;
                }
            }
            zeros
        };
        let zeros: u64 = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|w| {
                    let (from, to) = (n * w / workers, n * (w + 1) / workers);
                    scope.spawn(move || count_range(from, to))
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        });
        let p = g.leading_zero_probability();
        let (lo, hi) = binomial_interval(n, p, 0.999);
        println!(
            "M1 rate: observed {zeros}/{n}, expected {:.2} (p = {p:.10}), 99.9% interval [{lo}, {hi}], {workers} threads, {:.2?}",
            n as f64 * p,
            start.elapsed()
        );
        assert!(lo <= zeros && zeros <= hi);
    }

    /// Timing of the modexp backend (run with `--ignored --nocapture`); not an assertion.
    #[test]
    #[ignore]
    fn modexp_timing() {
        let g = DhGroup::named(GroupId::Ffdhe2048);
        let mut rng = rng_for(3, &[]);
        for bits in [256usize, 0] {
            let kp = g.generate(&mut rng, bits);
            let n = if bits == 0 { 50 } else { 400 };
            let t = std::time::Instant::now();
            for _ in 0..n {
                std::hint::black_box(g.public_from_private(&kp.private));
            }
            println!(
                "ffdhe2048 modexp, exponent bits {}: {:.1} us/op",
                if bits == 0 { 2048 } else { bits },
                t.elapsed().as_secs_f64() * 1e6 / n as f64
            );
        }
    }

    proptest! {
        #[test]
        fn premaster_encodings(bytes in proptest::collection::vec(any::<u8>(), 1..256)) {
            let g = DhGroup::named(GroupId::Ffdhe2048);
            let z = BigUint::from_bytes_be(&bytes) % &g.p;
            prop_assume!(!z.is_zero());
            let strip = dh_premaster(&z, g, PremasterEncoding::Strip);
            let keep = dh_premaster(&z, g, PremasterEncoding::Keep);
            prop_assert!(!strip.is_empty() && strip[0] != 0);
            prop_assert_eq!(keep.len(), g.byte_len());
            prop_assert_eq!(BigUint::from_bytes_be(&keep), z);
        }

        #[test]
        fn public_roundtrip(bytes in proptest::collection::vec(any::<u8>(), 0..256), padded in any::<bool>()) {
            let g = DhGroup::named(GroupId::Ffdhe2048);
            let y = BigUint::from_bytes_be(&bytes) % &g.p;
            let enc = if padded { PublicEncoding::Padded } else { PublicEncoding::Minimal };
            let e = encode_public(&y, g, enc);
            if padded { prop_assert_eq!(e.len(), 256); } else { prop_assert!(e.len() == 1 || e[0] != 0); }
            prop_assert_eq!(decode_public(&e), y);
        }
    }

    // ---- fast backends against the num-bigint reference ----

    /// Edge cases of the dispatching `modexp` (small, even and composite moduli, bases 0, 1,
    /// p-1, p and above, exponents 0 and 1) equal `BigUint::modpow`.
    #[test]
    fn modexp_edge_cases_match_reference() {
        let moduli: Vec<BigUint> = [1u64, 2, 3, 4, 5, 9, 23, 255, 256, 65_537, u64::MAX]
            .iter()
            .map(|&m| BigUint::from(m))
            .chain([
                BigUint::one() << 64u32,
                (BigUint::one() << 64u32) + 1u32,
                DhGroup::named(GroupId::Ffdhe2048).p.clone(),
                DhGroup::named(GroupId::Oakley2).p.clone(),
            ])
            .collect();
        for p in &moduli {
            let grp = DhGroup::custom(p.clone(), BigUint::from(2u32));
            let bases = [
                BigUint::zero(),
                BigUint::one(),
                BigUint::from(2u32),
                p.clone(),
                p + 1u32,
                p * 3u32 + 7u32,
            ]
            .into_iter()
            .chain((p >= &BigUint::one()).then(|| p - 1u32));
            for base in bases {
                for exp in [0u32, 1, 2, 3, 65_537].map(BigUint::from) {
                    assert_eq!(
                        grp.modexp(&base, &exp),
                        grp.modexp_reference(&base, &exp),
                        "p={p} base={base} exp={exp}"
                    );
                }
            }
        }
    }

    /// Keys from `generate` equal `g^x` by the reference, for every named group, both
    /// exponent sizes, and a few seeds (so the fast paths keep `generate` bit-identical).
    #[test]
    fn generate_matches_reference_backend() {
        for id in GroupId::ALL {
            let g = DhGroup::named(id);
            for (seed, bits) in [(1u64, 256usize), (2, 0), (3, 160), (4, 512), (5, 513)] {
                let mut rng = rng_for(seed, &[id as u64]);
                let kp = g.generate(&mut rng, bits);
                assert_eq!(kp.public, g.modexp_reference(&g.g, &kp.private), "{id:?}");
                let peer = g.generate(&mut rng, bits);
                assert_eq!(
                    g.shared_secret(&kp.private, &peer.public).unwrap(),
                    g.modexp_reference(&peer.public, &kp.private),
                    "{id:?}"
                );
            }
        }
    }

    /// Groups shared across threads give the same keys on every thread (per-thread BN_CTX,
    /// one fixed-base table built under a OnceLock).
    #[test]
    fn fast_backend_is_thread_safe() {
        let g = DhGroup::named(GroupId::Modp2048);
        let xs: Vec<BigUint> = (0..8u64)
            .map(|i| g.generate(&mut rng_for(9, &[i]), 256).private)
            .collect();
        let want: Vec<BigUint> = xs.iter().map(|x| g.modexp_reference(&g.g, x)).collect();
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4)
                .map(|_| scope.spawn(|| xs.iter().map(|x| g.public_from_private(x)).collect()))
                .collect();
            for h in handles {
                let got: Vec<BigUint> = h.join().unwrap();
                assert_eq!(got, want);
            }
        });
    }

    #[cfg(feature = "openssl-bn")]
    #[test]
    fn fixed_base_tables_exist_for_named_groups_only() {
        for id in GroupId::ALL {
            let t = DhGroup::named(id)
                .fixed_base_table()
                .expect("named group table");
            assert_eq!(t.window(), FIXED_BASE_WINDOW);
            assert_eq!(t.max_bits(), FIXED_BASE_MAX_BITS);
        }
        let named = DhGroup::named(GroupId::Ffdhe2048);
        // same p and g as a named group: shares its table
        let same = DhGroup::custom(named.p.clone(), named.g.clone());
        assert!(same.fixed_base_table().is_some());
        // other g, or other p: none
        assert!(DhGroup::custom(named.p.clone(), BigUint::from(5u32))
            .fixed_base_table()
            .is_none());
        assert!(DhGroup::custom(BigUint::from(23u32), BigUint::from(5u32))
            .fixed_base_table()
            .is_none());
        // exponents at and just past the table's reach
        let t = named.fixed_base_table().unwrap();
        let top = (BigUint::one() << FIXED_BASE_MAX_BITS) - 1u32;
        assert_eq!(t.pow(&top), Some(named.modexp_reference(&named.g, &top)));
        assert_eq!(t.pow(&(&top + 1u32)), None);
        assert_eq!(t.pow(&BigUint::zero()), Some(BigUint::one()));
    }

    fn big(bytes: &[u8]) -> BigUint {
        BigUint::from_bytes_be(bytes)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Named groups: modexp (OpenSSL) and public_from_private (fixed-base table, or
        /// modexp past its reach) equal BigUint::modpow.
        #[test]
        fn named_groups_fast_paths_match_reference(
            gi in 0usize..4,
            base in proptest::collection::vec(any::<u8>(), 0..400),
            exp in proptest::collection::vec(any::<u8>(), 0..80),
        ) {
            let g = DhGroup::named(GroupId::ALL[gi]);
            let (base, exp) = (big(&base), big(&exp));
            prop_assert_eq!(g.modexp(&base, &exp), g.modexp_reference(&base, &exp));
            prop_assert_eq!(g.public_from_private(&exp), g.modexp_reference(&g.g, &exp));
        }

        /// Custom groups (odd or even moduli of 1..=64 bytes, any generator): modexp,
        /// public_from_private and a fixed-base table of any window (odd moduli; none for
        /// even ones) equal BigUint::modpow.
        #[test]
        fn custom_groups_fast_paths_match_reference(
            p in proptest::collection::vec(any::<u8>(), 1..65),
            gen in proptest::collection::vec(any::<u8>(), 0..70),
            base in proptest::collection::vec(any::<u8>(), 0..70),
            exp in proptest::collection::vec(any::<u8>(), 0..40),
            window in 1u32..9,
        ) {
            let (p, gen, base, exp) = (big(&p), big(&gen), big(&base), big(&exp));
            let grp = DhGroup::custom(p.clone(), gen.clone());
            prop_assert_eq!(grp.modexp(&base, &exp), grp.modexp_reference(&base, &exp));
            prop_assert_eq!(grp.public_from_private(&exp), grp.modexp_reference(&gen, &exp));
            #[cfg(feature = "openssl-bn")]
            {
                let t = crate::crypto::bn::FixedBaseTable::new(&gen, &p, window, 320);
                if p.bits() >= 2 && p.bit(0) {
                    // Montgomery tables need an odd modulus >= 3
                    prop_assert_eq!(t.unwrap().pow(&exp), Some(grp.modexp_reference(&gen, &exp)));
                } else {
                    prop_assert!(t.is_none());
                }
            }
            let _ = window;
        }
    }
}
