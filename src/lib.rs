//! tlsim: a deterministic network simulator for TLS interoperability.
//!
//! The library owns everything a user could embed in their own `cargo test`: the TLS 1.2
//! wire codec ([`wire`]), the cryptography whose disagreements cause interop failures
//! ([`crypto`]), the behaviour knobs of real stacks ([`profile`]) and the sans-IO handshake
//! engine ([`engine`]), and what the `tlsim` command runs and prints: scenarios on a
//! simulated network ([`net`], [`scenario`]), studies with their what-ifs, shard files and
//! replays ([`study`], the flagship study included), reports and output files ([`report`]),
//! and the benchmark ([`mod@bench`]). The command (crate `sim/`) parses arguments and prints.

#![warn(
    unreachable_pub,
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
