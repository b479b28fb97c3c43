//! The TLS 1.0–1.2 wire codec: record layer framing and handshake reassembly, handshake
//! messages and hello extensions, alerts, and the IANA cipher-suite table.

mod codec;
mod enums;
mod extensions;
mod messages;
mod record;
mod sslv2;
mod suites;
pub mod tls13;

pub use codec::*;
pub use enums::*;
pub use extensions::*;
pub use messages::*;
pub use record::*;
pub use sslv2::*;
pub use suites::*;

#[cfg(test)]
mod tests;
