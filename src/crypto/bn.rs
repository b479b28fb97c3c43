//! The OpenSSL libcrypto backend behind [`DhGroup::modexp`](super::DhGroup::modexp) (cargo
//! feature `openssl-bn`, on by default), and a fixed-base table for `g^x mod p`.
//!
//! Values cross the boundary as big-endian bytes (`BigUint::to_bytes_be` ↔
//! `BigNum::from_slice` / `BigNumRef::to_vec`). The `openssl` crate wraps `BN_mod_exp` and
//! `BN_mod_mul` but not Montgomery contexts, so [`Mont`] declares the few `BN_MONT_CTX`
//! functions of libcrypto's public API (`openssl/bn.h`, present since OpenSSL 0.9.8) itself
//! and links them through `openssl-sys`. A [`Mont`] is built once per modulus:
//! `BN_mod_exp` would otherwise set up a new Montgomery context (one 4096-by-2048-bit
//! division) on every call, and the fixed-base table multiplies in the Montgomery domain
//! (`BN_mod_mul_montgomery`) instead of dividing after every product (`BN_mod_mul`).
//!
//! Every function returns `None` on a libcrypto error (allocation failure) and the caller
//! then falls back to the `num-bigint` reference, so nothing here panics. The `BN_CTX`
//! scratch space is cached per thread.
//!
//! No constant-time flags are set: this is a simulator, and the fastest paths are wanted.

use std::cell::RefCell;
use std::os::raw::c_int;

use foreign_types::{ForeignType, ForeignTypeRef};
use num_bigint::BigUint;
use openssl::bn::{BigNum, BigNumContext, BigNumRef};
use openssl_sys::{BIGNUM, BN_CTX, BN_MONT_CTX};

// Declared in openssl/bn.h (OpenSSL 1.1 and 3.x); openssl-sys links libcrypto.
extern "C" {
    fn BN_MONT_CTX_new() -> *mut BN_MONT_CTX;
    fn BN_MONT_CTX_free(mont: *mut BN_MONT_CTX);
    fn BN_MONT_CTX_set(mont: *mut BN_MONT_CTX, modulus: *const BIGNUM, ctx: *mut BN_CTX) -> c_int;
    fn BN_mod_mul_montgomery(
        r: *mut BIGNUM,
        a: *const BIGNUM,
        b: *const BIGNUM,
        mont: *mut BN_MONT_CTX,
        ctx: *mut BN_CTX,
    ) -> c_int;
    fn BN_to_montgomery(
        r: *mut BIGNUM,
        a: *const BIGNUM,
        mont: *mut BN_MONT_CTX,
        ctx: *mut BN_CTX,
    ) -> c_int;
    fn BN_from_montgomery(
        r: *mut BIGNUM,
        a: *const BIGNUM,
        mont: *mut BN_MONT_CTX,
        ctx: *mut BN_CTX,
    ) -> c_int;
    fn BN_mod_exp_mont(
        r: *mut BIGNUM,
        a: *const BIGNUM,
        p: *const BIGNUM,
        m: *const BIGNUM,
        ctx: *mut BN_CTX,
        mont: *mut BN_MONT_CTX,
    ) -> c_int;
}

thread_local! {
    /// Per-thread `BN_CTX` scratch space (groups are shared across threads as `&'static`).
    static CTX: RefCell<Option<BigNumContext>> = const { RefCell::new(None) };
}

/// Runs `f` with this thread's `BN_CTX`; `None` if it cannot be had (allocation failure, or
/// a re-entrant call on the same thread).
fn with_ctx<T>(f: impl FnOnce(&mut BigNumContext) -> Option<T>) -> Option<T> {
    CTX.with(|cell| {
        let mut slot = cell.try_borrow_mut().ok()?;
        if slot.is_none() {
            *slot = BigNumContext::new().ok();
        }
        f(slot.as_mut()?)
    })
}

/// `BigUint` → `BigNum` through big-endian bytes.
pub fn to_bn(x: &BigUint) -> Option<BigNum> {
    BigNum::from_slice(&x.to_bytes_be()).ok()
}

/// `BigNum` → `BigUint` through big-endian bytes (the sign is ignored; nothing here is
/// negative).
pub fn from_bn(x: &BigNumRef) -> BigUint {
    BigUint::from_bytes_be(&x.to_vec())
}

/// `libcrypto` status → `Option`.
fn ok(rc: c_int) -> Option<()> {
    (rc == 1).then_some(())
}

/// `base^exp mod m` with `BN_mod_exp` (a fresh Montgomery context per call). Callers pass
/// an odd `m >= 3` (the reference handles the rest), though libcrypto also accepts even
/// moduli. [`Mont::mod_exp`] is the faster path for a modulus used many times.
pub fn mod_exp(base: &BigUint, exp: &BigUint, m: &BigUint) -> Option<BigUint> {
    let (a, e, n) = (to_bn(base)?, to_bn(exp)?, to_bn(m)?);
    with_ctx(|ctx| {
        let mut r = BigNum::new().ok()?;
        r.mod_exp(&a, &e, &n, ctx).ok()?;
        Some(from_bn(&r))
    })
}

/// A Montgomery context (`BN_MONT_CTX`) for one odd modulus, built once.
pub struct Mont {
    n: BigNum,
    ptr: *mut BN_MONT_CTX,
}

// SAFETY: after `BN_MONT_CTX_set` the context is only read: `BN_mod_exp_mont`,
// `BN_mod_mul_montgomery`, `BN_to_montgomery` and `BN_from_montgomery` take it as a parameter
// and never write it (their scratch space is the caller's `BN_CTX`, which is per thread).
unsafe impl Send for Mont {}
unsafe impl Sync for Mont {}

impl Drop for Mont {
    fn drop(&mut self) {
        // SAFETY: `ptr` came from `BN_MONT_CTX_new` and is freed once.
        unsafe { BN_MONT_CTX_free(self.ptr) }
    }
}

impl std::fmt::Debug for Mont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mont")
            .field("modulus_bits", &self.n.num_bits())
            .finish()
    }
}

impl Mont {
    /// The context for an odd modulus `m >= 3`; `None` otherwise or on a libcrypto error.
    pub fn new(m: &BigUint) -> Option<Self> {
        if m.bits() < 2 || m % 2u32 == BigUint::from(0u32) {
            return None;
        }
        let n = to_bn(m)?;
        // SAFETY: a fresh context; freed by `Drop` (or here on failure).
        let ptr = unsafe { BN_MONT_CTX_new() };
        if ptr.is_null() {
            return None;
        }
        let mont = Mont { n, ptr };
        with_ctx(|ctx| {
            // SAFETY: valid pointers; `n` is odd and > 1.
            ok(unsafe { BN_MONT_CTX_set(mont.ptr, mont.n.as_ptr(), ctx.as_ptr()) })
        })?;
        Some(mont)
    }

    /// `base^exp mod m` with `BN_mod_exp_mont` and this context. `base` may be `>= m`.
    pub fn mod_exp(&self, base: &BigUint, exp: &BigUint) -> Option<BigUint> {
        let (a, e) = (to_bn(base)?, to_bn(exp)?);
        with_ctx(|ctx| {
            let r = BigNum::new().ok()?;
            // SAFETY: valid pointers; the context belongs to `self.n`.
            ok(unsafe {
                BN_mod_exp_mont(
                    r.as_ptr(),
                    a.as_ptr(),
                    e.as_ptr(),
                    self.n.as_ptr(),
                    ctx.as_ptr(),
                    self.ptr,
                )
            })?;
            Some(from_bn(&r))
        })
    }

    /// `a * R mod m` (into the Montgomery domain; `a < m`).
    fn enter_mont(&self, a: &BigNumRef, ctx: &mut BigNumContext) -> Option<BigNum> {
        let r = BigNum::new().ok()?;
        // SAFETY: valid pointers.
        ok(unsafe { BN_to_montgomery(r.as_ptr(), a.as_ptr(), self.ptr, ctx.as_ptr()) })?;
        Some(r)
    }

    /// `a * R^-1 mod m` (out of the Montgomery domain).
    fn out_of_mont(&self, a: &BigNumRef, ctx: &mut BigNumContext) -> Option<BigNum> {
        let r = BigNum::new().ok()?;
        // SAFETY: valid pointers.
        ok(unsafe { BN_from_montgomery(r.as_ptr(), a.as_ptr(), self.ptr, ctx.as_ptr()) })?;
        Some(r)
    }

    /// `r = a * b * R^-1 mod m` (the Montgomery product; `r` may not alias `a` or `b`).
    fn mul(
        &self,
        r: &mut BigNumRef,
        a: &BigNumRef,
        b: &BigNumRef,
        ctx: &mut BigNumContext,
    ) -> Option<()> {
        // SAFETY: valid pointers, `r` distinct from `a` and `b` (borrow rules).
        ok(unsafe {
            BN_mod_mul_montgomery(r.as_ptr(), a.as_ptr(), b.as_ptr(), self.ptr, ctx.as_ptr())
        })
    }
}

/// A fixed-base table for `g^x mod p` with exponents of up to `max_bits` bits, in radix
/// `2^window`: row `i` holds `g^(d * 2^(window*i)) mod p` for `d = 1 .. 2^window - 1`, so
/// `g^x` is the product of one entry per non-zero `window`-bit digit of `x`, with no
/// squarings: about `max_bits / window` Montgomery multiplications instead of the
/// ~`bits(x)` squarings plus windowed multiplications of a general exponentiation. Entries
/// are stored in the Montgomery domain (`e * R mod p`), so the product needs one conversion
/// back at the end.
///
/// Memory: `ceil(max_bits / window) * (2^window - 1)` residues of `bytes(p)` each.
pub struct FixedBaseTable {
    mont: Mont,
    window: u32,
    max_bits: usize,
    rows: Vec<Vec<BigNum>>,
}

impl std::fmt::Debug for FixedBaseTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FixedBaseTable")
            .field("p_bits", &self.mont.n.num_bits())
            .field("window", &self.window)
            .field("max_bits", &self.max_bits)
            .field("entries", &self.entries())
            .finish()
    }
}

impl FixedBaseTable {
    /// Builds the table for base `g` modulo an odd `p >= 3` (`1 <= window <= 16`);
    /// `(2^window - 1) * ceil(max_bits / window)` Montgomery multiplications. `None` for
    /// unusable parameters or a libcrypto error.
    pub fn new(g: &BigUint, p: &BigUint, window: u32, max_bits: usize) -> Option<Self> {
        if !(1..=16).contains(&window) {
            return None;
        }
        let mont = Mont::new(p)?;
        let g = to_bn(g)?;
        let row_count = max_bits.div_ceil(window as usize);
        let per_row = (1usize << window) - 1;
        with_ctx(|ctx| {
            // base = g^(2^(window*i)) mod p (Montgomery form) for the current row i.
            let mut reduced = BigNum::new().ok()?;
            reduced.nnmod(&g, &mont.n, ctx).ok()?;
            let mut base = mont.enter_mont(&reduced, ctx)?;
            let mut rows = Vec::with_capacity(row_count);
            for _ in 0..row_count {
                let mut row: Vec<BigNum> = Vec::with_capacity(per_row);
                row.push(BigNumRef::to_owned(&base).ok()?);
                for _ in 1..per_row {
                    let mut next = BigNum::new().ok()?;
                    mont.mul(&mut next, row.last()?, &base, ctx)?;
                    row.push(next);
                }
                // base^(2^window) = base^(2^window - 1) * base
                let mut next_base = BigNum::new().ok()?;
                mont.mul(&mut next_base, row.last()?, &base, ctx)?;
                base = next_base;
                rows.push(row);
            }
            Some(FixedBaseTable {
                mont,
                window,
                max_bits,
                rows,
            })
        })
    }

    /// Window width in bits.
    pub fn window(&self) -> u32 {
        self.window
    }

    /// Longest exponent (in bits) the table covers.
    pub fn max_bits(&self) -> usize {
        self.max_bits
    }

    /// Number of stored residues.
    pub fn entries(&self) -> usize {
        self.rows.iter().map(Vec::len).sum()
    }

    /// The Montgomery context of the table's modulus.
    pub fn mont(&self) -> &Mont {
        &self.mont
    }

    /// `g^x mod p`; `None` when `x` is longer than [`max_bits`](Self::max_bits) (or on a
    /// libcrypto error).
    pub fn pow(&self, x: &BigUint) -> Option<BigUint> {
        let bits = usize::try_from(x.bits())
            .ok()
            .filter(|b| *b <= self.max_bits)?;
        let limbs: Vec<u64> = x.iter_u64_digits().collect();
        let w = self.window as usize;
        let digit = |i: usize| -> usize {
            // bits [w*i, w*i + w) of x, little-endian
            let start = w * i;
            let mut d = 0usize;
            for k in 0..w {
                let b = start + k;
                if b < bits && (limbs[b / 64] >> (b % 64)) & 1 == 1 {
                    d |= 1 << k;
                }
            }
            d
        };
        with_ctx(|ctx| {
            let mut acc: Option<BigNum> = None;
            let mut tmp = BigNum::new().ok()?;
            for (i, row) in self.rows.iter().enumerate().take(bits.div_ceil(w)) {
                let d = digit(i);
                if d == 0 {
                    continue;
                }
                let entry = &row[d - 1];
                match acc.as_mut() {
                    None => acc = Some(BigNumRef::to_owned(entry).ok()?),
                    Some(a) => {
                        self.mont.mul(&mut tmp, a, entry, ctx)?;
                        std::mem::swap(a, &mut tmp);
                    }
                }
            }
            match acc {
                Some(a) => {
                    let r = self.mont.out_of_mont(&a, ctx)?;
                    Some(from_bn(&r))
                }
                // x = 0: g^0 = 1, and p >= 3
                None => Some(BigUint::from(1u32)),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{DhGroup, GroupId};
    use proptest::prelude::*;

    /// The cached-context path is what the named groups use on a CPU without IFMA, so it is
    /// checked here directly against `num-bigint` (the dispatch on an IFMA machine skips it).
    #[test]
    fn cached_montgomery_context_matches_reference_on_named_groups() {
        for id in GroupId::ALL.iter().copied() {
            let g = DhGroup::named(id);
            let mont = Mont::new(&g.p).expect("odd prime");
            let mut rng = crate::seed::rng_for(9, &[id as u64]);
            for bits in [2usize, 64, 225, 256] {
                let x = g.generate(&mut rng, bits).private;
                let y = g.generate(&mut rng, 256).public;
                assert_eq!(mont.mod_exp(&y, &x), Some(y.modpow(&x, &g.p)), "{id:?}");
            }
            let big = &g.p + 12345u32; // a base above p
            let e = BigUint::from(65537u32);
            assert_eq!(mont.mod_exp(&big, &e), Some(big.modpow(&e, &g.p)));
        }
        assert!(Mont::new(&BigUint::from(10u32)).is_none(), "even modulus");
        assert!(Mont::new(&BigUint::from(1u32)).is_none(), "modulus 1");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn cached_montgomery_context_matches_reference(
            m in proptest::collection::vec(any::<u8>(), 1..80),
            b in proptest::collection::vec(any::<u8>(), 0..90),
            e in proptest::collection::vec(any::<u8>(), 0..40),
        ) {
            let m = BigUint::from_bytes_be(&m) | BigUint::from(1u32);
            prop_assume!(m > BigUint::from(1u32));
            let (b, e) = (BigUint::from_bytes_be(&b), BigUint::from_bytes_be(&e));
            let mont = Mont::new(&m).expect("odd modulus >= 3");
            prop_assert_eq!(mont.mod_exp(&b, &e), Some(b.modpow(&e, &m)));
        }
    }
}
