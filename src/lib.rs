//! tlsim: a deterministic network simulator for TLS interoperability.
//!
//! The library owns everything a user could embed in their own `cargo test`: the TLS 1.2
//! wire codec ([`wire`]), the cryptography whose disagreements cause interop failures
//! ([`crypto`]), the behaviour knobs of real stacks ([`profile`]) and the sans-IO handshake
//! engine ([`engine`]). The `tlsim` command (crate `sim/`) is a thin layer over it.

#![warn(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]

pub mod bench;
pub mod bridge;
pub mod cost;
pub mod crypto;
pub mod engine;
pub mod fuzz;
pub mod net;
pub mod profile;
pub mod report;
pub mod scenario;
pub mod seed;
pub mod study;
pub mod text;
pub mod wire;
