//! The TLS 1.0–1.2 wire codec: record layer framing and handshake reassembly, handshake
//! messages and hello extensions, alerts, and the IANA cipher-suite table.

pub mod codec;
pub mod enums;
pub mod suites;

pub use codec::*;
pub use enums::*;
pub use suites::*;
