//! tlsim: a deterministic network simulator for TLS interoperability.
//!
//! The library owns everything a user could embed in their own `cargo test`: the TLS 1.2
//! wire codec ([`wire`]), the cryptography whose disagreements cause interop failures
//! ([`crypto`]), the behaviour knobs of real stacks ([`profile`]), the sans-IO handshake
//! engine and its one classifier ([`engine`]), the simulated network ([`net`]), scenarios
//! ([`scenario`]), Monte-Carlo studies ([`study`]), reports ([`report`]), the bridge to real
//! stacks ([`bridge`]), the benchmark ([`bench`]), the fuzz harness ([`fuzz`]) and the TLS 1.3
//! handshake being built beside the TLS 1.2 engine ([`tls13`]). The
//! `tlsim` command (crate `sim/`) is a thin layer over it: clap and printing. With feature
//! `cli`, the command structs (`study::StudyCommand`, `report::RunCommand`, …) derive
//! `clap::Args`, so the command and a user's own tool declare each option once.
//!
//! The surface is curated: each module keeps its submodules private and re-exports what it
//! offers, except the namespaces that are an API of their own (`profile::catalogue`, the
//! output formats under `report`, `crypto::bn` and `crypto::ifma` for the modexp bench, the
//! TLS 1.3 `crypto::tls13`, `crypto::record13` and `wire::tls13`).
//! `unreachable_pub` keeps everything else crate-private, so unused code warns.
//! docs/ARCHITECTURE.md maps the layers and the path from an outcome to its code.

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
pub mod tls13;
pub mod wire;
