//! The cryptography whose disagreements cause interop failures: finite-field Diffie–Hellman
//! (with the RFC 5246 §8.1.2 leading-zero stripping of the shared secret, mechanism M1), the
//! TLS 1.0–1.2 PRF and everything derived from it (master secret, extended master secret, key
//! block, Finished), elliptic-curve DH, and the simulated record protection.
//!
//! Every random value comes from an RNG passed in by the caller (in practice a
//! `rand_chacha::ChaCha20Rng` from [`crate::seed::rng_for`]); nothing here reads OS randomness.

pub mod dh;
pub mod ecdh;
pub mod prf;
pub mod record;
pub mod stats;

pub use dh::*;
pub use ecdh::*;
pub use prf::*;
pub use record::*;
pub use stats::*;
