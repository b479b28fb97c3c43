//! The OpenSSL libcrypto backend behind [`DhGroup::modexp`](super::DhGroup::modexp) (cargo
//! feature `openssl-bn`, on by default), and a fixed-base table for `g^x mod p`.
//!
//! Values cross the boundary as big-endian bytes (`BigUint::to_bytes_be` ↔
//! `BigNum::from_slice` / `BigNumRef::to_vec`). The `openssl` crate exposes `BN_mod_exp` and
//! `BN_mod_mul` with a `BN_CTX` but not `BN_MONT_CTX` (only the opaque type), so each
//! `mod_exp` sets up its own Montgomery context inside libcrypto; the `BN_CTX` scratch space
//! is cached per thread. Every function returns `None` on a libcrypto error (allocation
//! failure) and the caller then falls back to the `num-bigint` reference, so nothing here
//! panics.
//!
//! No constant-time flags are set: this is a simulator, and `BN_mod_exp` then picks the
//! fastest path (`BN_mod_exp_mont_word` for a one-word base such as `g = 2`).

use std::cell::RefCell;

use num_bigint::BigUint;
use openssl::bn::{BigNum, BigNumContext, BigNumRef};

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

/// `base^exp mod m` with `BN_mod_exp`. Callers pass an odd `m >= 3` (the reference handles
/// the rest), though libcrypto also accepts even moduli.
pub fn mod_exp(base: &BigUint, exp: &BigUint, m: &BigUint) -> Option<BigUint> {
    let (a, e, n) = (to_bn(base)?, to_bn(exp)?, to_bn(m)?);
    with_ctx(|ctx| {
        let mut r = BigNum::new().ok()?;
        r.mod_exp(&a, &e, &n, ctx).ok()?;
        Some(from_bn(&r))
    })
}

/// A fixed-base table for `g^x mod p` with exponents of up to `max_bits` bits, in radix
/// `2^window`: row `i` holds `g^(d * 2^(window*i)) mod p` for `d = 1 .. 2^window - 1`, so
/// `g^x` is the product of one entry per non-zero `window`-bit digit of `x`, with no
/// squarings: about `max_bits / window` modular multiplications instead of the ~`bits(x)`
/// squarings plus windowed multiplications of a general exponentiation.
///
/// Memory: `ceil(max_bits / window) * (2^window - 1)` residues of `bytes(p)` each.
pub struct FixedBaseTable {
    p: BigNum,
    window: u32,
    max_bits: usize,
    rows: Vec<Vec<BigNum>>,
}

impl std::fmt::Debug for FixedBaseTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FixedBaseTable")
            .field("p_bits", &self.p.num_bits())
            .field("window", &self.window)
            .field("max_bits", &self.max_bits)
            .field("entries", &self.entries())
            .finish()
    }
}

impl FixedBaseTable {
    /// Builds the table for base `g` modulo `p` (`p >= 2`, `1 <= window <= 16`);
    /// `(2^window - 1) * ceil(max_bits / window)` modular multiplications. `None` for
    /// unusable parameters or a libcrypto error.
    pub fn new(g: &BigUint, p: &BigUint, window: u32, max_bits: usize) -> Option<Self> {
        if !(1..=16).contains(&window) || p.bits() < 2 {
            return None;
        }
        let n = to_bn(p)?;
        let g = to_bn(g)?;
        let row_count = max_bits.div_ceil(window as usize);
        let per_row = (1usize << window) - 1;
        with_ctx(|ctx| {
            // base = g^(2^(window*i)) mod p for the current row i.
            let mut base = BigNum::new().ok()?;
            base.nnmod(&g, &n, ctx).ok()?;
            let mut rows = Vec::with_capacity(row_count);
            for _ in 0..row_count {
                let mut row: Vec<BigNum> = Vec::with_capacity(per_row);
                row.push(BigNumRef::to_owned(&base).ok()?);
                for _ in 1..per_row {
                    let mut next = BigNum::new().ok()?;
                    next.mod_mul(row.last()?, &base, &n, ctx).ok()?;
                    row.push(next);
                }
                // base^(2^window) = base^(2^window - 1) * base
                let mut next_base = BigNum::new().ok()?;
                next_base.mod_mul(row.last()?, &base, &n, ctx).ok()?;
                base = next_base;
                rows.push(row);
            }
            Some(FixedBaseTable {
                p: n,
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

    /// `g^x mod p`; `None` when `x` is longer than [`max_bits`](Self::max_bits) (or on a
    /// libcrypto error).
    pub fn pow(&self, x: &BigUint) -> Option<BigUint> {
        let bits = x.bits() as usize;
        if bits > self.max_bits {
            return None;
        }
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
                        tmp.mod_mul(a, entry, &self.p, ctx).ok()?;
                        std::mem::swap(a, &mut tmp);
                    }
                }
            }
            match acc {
                Some(a) => Some(from_bn(&a)),
                // x = 0: g^0 = 1, and p >= 2
                None => Some(BigUint::from(1u32)),
            }
        })
    }
}
