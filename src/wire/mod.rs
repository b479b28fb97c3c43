//! The TLS 1.0–1.2 wire codec: record layer framing and handshake reassembly, handshake
//! messages and hello extensions, alerts, and the IANA cipher-suite table.

pub mod codec;
pub mod enums;
pub mod extensions;
pub mod messages;
pub mod record;
pub mod suites;

pub use codec::*;
pub use enums::*;
pub use extensions::*;
pub use messages::*;
pub use record::*;
pub use suites::*;

#[cfg(test)]
mod tests;
