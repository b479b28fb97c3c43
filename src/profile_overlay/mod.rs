//! Pure parsers for profile overlays: what an administrator can hand tlsim to describe a
//! real machine, before any `Profile` type exists.
//!
//! * [`registry`]: a regedit `.reg` export ([`parse_reg`]) and the Schannel values tlsim
//!   models ([`schannel_settings`]).
//! * [`cipher_order`]: a suite order, either `Get-TlsCipherSuite` output (one IANA name per
//!   line) or an OpenSSL cipher string ([`parse_cipher_order`]).
//!
//! Nothing here touches the file system: callers pass bytes/text and a file name that is
//! only used in error messages (`file:line: message`).

pub mod cipher_order;
pub mod registry;

pub use cipher_order::{parse_cipher_order, CipherOrder};
pub use registry::{
    key_matches, parse_reg, schannel_settings, RegData, RegError, RegFile, RegFormat, RegValue,
    SchannelOverlay, SchannelSetting,
};
