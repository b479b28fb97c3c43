//! Modular exponentiation with AVX-512 IFMA (x86-64 `vpmadd52luq` / `vpmadd52huq`), for the
//! 1024- to 4096-bit odd moduli of finite-field DH.
//!
//! Numbers are held in radix 2^52, eight digits per 512-bit register, `V` registers per
//! number (`V = 5` for a 2048-bit modulus: 40 digits, 2080 bits). The product is
//! word-serial *almost Montgomery multiplication* (AMM) with `R = 2^(52 * 8V)`: for each
//! digit `b_i`, add the low halves of `a * b_i` and `m * y` (with `y` chosen so that digit 0
//! becomes zero), shift one digit down, then add the high halves, which belong one digit up.
//! Lanes hold up to 64 bits, so carries are resolved once at the end of a product. With
//! `4m < R`, inputs below `2m` give an output below `2m`; one subtraction at the very end
//! gives the canonical residue.
//!
//! This is the same arithmetic as OpenSSL's `rsaz-*-avx512` code (OpenSSL 3.2+ uses it for
//! RSA; the OpenSSL 3.0 on these machines does not have it for 2048-bit moduli), written
//! here from the algorithm, with intrinsics. Nothing is constant-time: this is a
//! simulator. Every result is cross-checked against `num-bigint` in the tests.

use core::arch::x86_64::*;
use num_bigint::BigUint;
use num_traits::{One, Zero};

const DIGIT_BITS: u32 = 52;
const MASK52: u64 = (1 << DIGIT_BITS) - 1;

/// Whether this CPU has AVX-512F and AVX-512 IFMA (checked once).
pub fn available() -> bool {
    use std::sync::OnceLock;
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512ifma")
    })
}

/// A number in radix 2^52, `V` registers of eight digits (digit 0 = lane 0 of register 0).
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Num<const V: usize>([[u64; 8]; V]);

impl<const V: usize> Num<V> {
    const ZERO: Self = Num([[0; 8]; V]);

    fn digit(&self, i: usize) -> u64 {
        self.0[i / 8][i % 8]
    }

    fn set_digit(&mut self, i: usize, d: u64) {
        self.0[i / 8][i % 8] = d;
    }

    /// `x` as digits; `None` if it does not fit.
    fn from_biguint(x: &BigUint) -> Option<Self> {
        if x.bits() > u64::from(DIGIT_BITS) * 8 * V as u64 {
            return None;
        }
        let mut n = Self::ZERO;
        let limbs: Vec<u64> = x.iter_u64_digits().collect();
        // Digit i holds bits [52i, 52i + 52).
        for i in 0..8 * V {
            let start = 52 * i;
            let (w, off) = (start / 64, start % 64);
            let lo = limbs.get(w).copied().unwrap_or(0) >> off;
            let hi = if off > 12 {
                limbs.get(w + 1).copied().unwrap_or(0) << (64 - off)
            } else {
                0
            };
            n.set_digit(i, (lo | hi) & MASK52);
        }
        Some(n)
    }

    /// Normalised digits (each below 2^52) → `BigUint`.
    fn to_biguint(self) -> BigUint {
        let mut limbs = vec![0u64; (52 * 8 * V).div_ceil(64) + 1];
        for i in 0..8 * V {
            let d = self.digit(i);
            let start = 52 * i;
            let (w, off) = (start / 64, start % 64);
            limbs[w] |= d << off;
            if off > 12 {
                limbs[w + 1] |= d >> (64 - off);
            }
        }
        let bytes: Vec<u8> = limbs.iter().flat_map(|l| l.to_le_bytes()).collect();
        BigUint::from_bytes_le(&bytes)
    }
}

/// Montgomery context for one odd modulus `m` with `4m < R = 2^(52 * 8V)`.
struct Ctx<const V: usize> {
    m: Num<V>,
    /// `-m^-1 mod 2^52`
    k0: u64,
    /// `R^2 mod m`
    r2: Num<V>,
    modulus: BigUint,
}

impl<const V: usize> Ctx<V> {
    fn new(m: &BigUint) -> Option<Self> {
        let r_bits = 52 * 8 * V as u64;
        if m.bits() < 2 || !m.bit(0) || m.bits() + 2 > r_bits {
            return None;
        }
        let m0 = m.iter_u64_digits().next()?;
        // Newton: inv = m0^-1 mod 2^64 (each step doubles the correct low bits; 6 > log2 64).
        let mut inv: u64 = 1;
        for _ in 0..6 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(m0.wrapping_mul(inv)));
        }
        debug_assert_eq!(m0.wrapping_mul(inv), 1);
        let k0 = inv.wrapping_neg() & MASK52;
        let r2 = (BigUint::one() << (2 * r_bits)) % m;
        Some(Ctx {
            m: Num::from_biguint(m)?,
            k0,
            r2: Num::from_biguint(&r2)?,
            modulus: m.clone(),
        })
    }

    /// `a * b * R^-1 mod m`, up to one extra `m` (inputs and output below `2m`, normalised).
    // Register j of a, m and the accumulator move together: indexing reads clearer than zips.
    #[allow(clippy::needless_range_loop)]
    #[target_feature(enable = "avx512f,avx512ifma")]
    fn amm(&self, a: &Num<V>, b: &Num<V>) -> Num<V> {
        // SAFETY (whole body): `Num` is 64-byte aligned, so every register load and store is
        // aligned and in bounds; the target features are enabled on this function, and its
        // callers check `available()` first.
        unsafe {
            let zero = _mm512_setzero_si512();
            let mut av = [zero; V];
            let mut mv = [zero; V];
            for j in 0..V {
                av[j] = _mm512_load_si512(a.0[j].as_ptr().cast());
                mv[j] = _mm512_load_si512(self.m.0[j].as_ptr().cast());
            }
            let m0 = self.m.digit(0);
            let mut acc = [zero; V];
            for i in 0..8 * V {
                let bi = b.digit(i);
                // The intrinsics take lanes as i64: same bits (`cast_signed` is free).
                let bv = _mm512_set1_epi64(bi.cast_signed());
                for j in 0..V {
                    acc[j] = _mm512_madd52lo_epu64(acc[j], av[j], bv);
                }
                let t = _mm_cvtsi128_si64(_mm512_castsi512_si128(acc[0])).cast_unsigned();
                let y = t.wrapping_mul(self.k0) & MASK52;
                let yv = _mm512_set1_epi64(y.cast_signed());
                for j in 0..V {
                    acc[j] = _mm512_madd52lo_epu64(acc[j], mv[j], yv);
                }
                // Digit 0 is now 0 mod 2^52; its carry moves into the next digit.
                let carry = (t + ((m0.wrapping_mul(y)) & MASK52)) >> DIGIT_BITS;
                for j in 0..V - 1 {
                    acc[j] = _mm512_alignr_epi64::<1>(acc[j + 1], acc[j]);
                }
                acc[V - 1] = _mm512_alignr_epi64::<1>(zero, acc[V - 1]);
                acc[0] = _mm512_mask_add_epi64(
                    acc[0],
                    1,
                    acc[0],
                    _mm512_set1_epi64(carry.cast_signed()),
                );
                // High halves belong one digit up, which after the shift is the same index.
                for j in 0..V {
                    acc[j] = _mm512_madd52hi_epu64(acc[j], av[j], bv);
                    acc[j] = _mm512_madd52hi_epu64(acc[j], mv[j], yv);
                }
            }
            let mut out = Num::<V>::ZERO;
            for j in 0..V {
                _mm512_store_si512(out.0[j].as_mut_ptr().cast(), acc[j]);
            }
            // Resolve the carries (lanes hold up to ~2^61).
            let mut carry = 0u64;
            for i in 0..8 * V {
                let v = out.digit(i) + carry;
                out.set_digit(i, v & MASK52);
                carry = v >> DIGIT_BITS;
            }
            debug_assert_eq!(carry, 0, "AMM output overflowed R");
            out
        }
    }

    /// `base^exp mod m` (sliding window over the exponent's bits).
    #[target_feature(enable = "avx512f,avx512ifma")]
    fn mod_exp(&self, base: &BigUint, exp: &BigUint) -> BigUint {
        if exp.is_zero() {
            return BigUint::one() % &self.modulus;
        }
        let reduced;
        let base = if base >= &self.modulus {
            reduced = base % &self.modulus;
            &reduced
        } else {
            base
        };
        let Some(a) = Num::<V>::from_biguint(base) else {
            unreachable!("a reduced base fits")
        };
        let bits = exp.bits();
        let w: u64 = match bits {
            0..=24 => 1,
            25..=80 => 3,
            81..=240 => 4,
            241..=672 => 5,
            _ => 6,
        };
        // Odd powers a^1, a^3, ..., a^(2^w - 1), in the Montgomery domain.
        let a_m = self.amm(&a, &self.r2);
        let a2 = self.amm(&a_m, &a_m);
        let mut table = Vec::with_capacity(1 << (w - 1));
        table.push(a_m);
        for k in 1..(1usize << (w - 1)) {
            let next = self.amm(&table[k - 1], &a2);
            table.push(next);
        }
        let bit = |i: u64| exp.bit(i);
        let mut acc: Option<Num<V>> = None;
        // Bits below `end` are still to be consumed, from the top.
        let mut end = bits;
        while end > 0 {
            let i = end - 1;
            if !bit(i) {
                if let Some(x) = acc.as_mut() {
                    *x = self.amm(x, x);
                }
                end = i;
                continue;
            }
            // The longest window [j, i] of at most w bits that ends in a 1 bit.
            let mut j = (i + 1).saturating_sub(w);
            while !bit(j) {
                j += 1;
            }
            let mut val = 0usize;
            for k in (j..=i).rev() {
                val = (val << 1) | usize::from(bit(k));
            }
            let entry = &table[val >> 1];
            acc = Some(match acc {
                None => *entry,
                Some(mut x) => {
                    for _ in j..=i {
                        x = self.amm(&x, &x);
                    }
                    self.amm(&x, entry)
                }
            });
            end = j;
        }
        let Some(acc) = acc else {
            unreachable!("exp > 0 has a 1 bit")
        };
        let mut one = Num::<V>::ZERO;
        one.set_digit(0, 1);
        let r = self.amm(&acc, &one).to_biguint();
        if r >= self.modulus {
            r - &self.modulus
        } else {
            r
        }
    }
}

enum AnyCtx {
    V3(Box<Ctx<3>>),
    V5(Box<Ctx<5>>),
    V8(Box<Ctx<8>>),
    V10(Box<Ctx<10>>),
}

/// An IFMA Montgomery context for one odd modulus of up to 4158 bits, built once.
pub struct IfmaMont(AnyCtx);

impl std::fmt::Debug for IfmaMont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = match &self.0 {
            AnyCtx::V3(_) => 3,
            AnyCtx::V5(_) => 5,
            AnyCtx::V8(_) => 8,
            AnyCtx::V10(_) => 10,
        };
        f.debug_struct("IfmaMont").field("registers", &v).finish()
    }
}

impl IfmaMont {
    /// The context for an odd modulus `m >= 3` of at most 4158 bits, sized to the fewest
    /// registers that keep `4m < R`; `None` without IFMA or for an unusable modulus.
    pub fn new(m: &BigUint) -> Option<Self> {
        if !available() {
            return None;
        }
        let bits = m.bits();
        let ctx = if bits + 2 <= 52 * 24 {
            AnyCtx::V3(Box::new(Ctx::new(m)?))
        } else if bits + 2 <= 52 * 40 {
            AnyCtx::V5(Box::new(Ctx::new(m)?))
        } else if bits + 2 <= 52 * 64 {
            AnyCtx::V8(Box::new(Ctx::new(m)?))
        } else if bits + 2 <= 52 * 80 {
            AnyCtx::V10(Box::new(Ctx::new(m)?))
        } else {
            return None;
        };
        Some(IfmaMont(ctx))
    }

    /// `base^exp mod m`.
    pub fn mod_exp(&self, base: &BigUint, exp: &BigUint) -> BigUint {
        // SAFETY: `new` only succeeds when `available()` saw AVX-512F and IFMA.
        unsafe {
            match &self.0 {
                AnyCtx::V3(c) => c.mod_exp(base, exp),
                AnyCtx::V5(c) => c.mod_exp(base, exp),
                AnyCtx::V8(c) => c.mod_exp(base, exp),
                AnyCtx::V10(c) => c.mod_exp(base, exp),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{DhGroup, GroupId};
    use proptest::prelude::*;

    #[test]
    fn digits_round_trip() {
        let g = DhGroup::named(GroupId::Ffdhe2048);
        let x = &g.p - 12345u32;
        let n = Num::<5>::from_biguint(&x).unwrap();
        assert_eq!(n.to_biguint(), x);
        assert!(Num::<5>::from_biguint(&(BigUint::one() << 2080)).is_none());
    }

    #[test]
    fn named_groups_match_reference() {
        if !available() {
            eprintln!("skipped: this CPU has no AVX-512 IFMA");
            return;
        }
        for id in GroupId::ALL.iter().copied() {
            let g = DhGroup::named(id);
            let ctx = IfmaMont::new(&g.p).expect("named group fits");
            let mut rng = crate::seed::rng_for(5, &[id as u64]);
            for bits in [1usize, 2, 7, 64, 225, 256, 400] {
                let k = g.generate(&mut rng, bits.max(2));
                let y = g.generate(&mut rng, 256).public;
                assert_eq!(
                    ctx.mod_exp(&y, &k.private),
                    y.modpow(&k.private, &g.p),
                    "{id:?} {bits}"
                );
            }
            // Edge bases and exponents.
            let pm1 = &g.p - 1u32;
            for base in [
                BigUint::zero(),
                BigUint::one(),
                pm1.clone(),
                g.p.clone(),
                &g.p + 5u32,
            ] {
                for e in [
                    BigUint::zero(),
                    BigUint::one(),
                    BigUint::from(2u32),
                    pm1.clone(),
                ] {
                    assert_eq!(ctx.mod_exp(&base, &e), base.modpow(&e, &g.p), "{id:?}");
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Random odd moduli of every supported size against `BigUint::modpow`.
        #[test]
        fn random_moduli_match_reference(
            m_bytes in proptest::collection::vec(any::<u8>(), 1..520),
            b_bytes in proptest::collection::vec(any::<u8>(), 0..530),
            e_bytes in proptest::collection::vec(any::<u8>(), 0..40),
        ) {
            let m = BigUint::from_bytes_be(&m_bytes) | BigUint::one();
            prop_assume!(m > BigUint::from(2u32));
            let Some(ctx) = IfmaMont::new(&m) else {
                // No IFMA, or a modulus above 4158 bits.
                return Ok(());
            };
            let b = BigUint::from_bytes_be(&b_bytes);
            let e = BigUint::from_bytes_be(&e_bytes);
            prop_assert_eq!(ctx.mod_exp(&b, &e), b.modpow(&e, &m));
        }
    }
}
