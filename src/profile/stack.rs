//! Which TLS implementation a profile is: it decides nothing in the handshake, only the
//! vocabulary of the failure report (`report::words`): a Windows peer logs Schannel events
//! and SSPI status codes, an OpenSSL peer puts `SSL routines` reasons on its error queue, a
//! Java peer throws `javax.net.ssl` exceptions, and so on. Test profiles are `generic`:
//! they speak the RFC's words only.

use serde::{Deserialize, Serialize};

/// The TLS implementation (and, for curl, the program) whose words a profile's
/// administrator reads.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Stack {
    /// A test profile or an unknown implementation: RFC 5246 alert names only.
    #[default]
    Generic,
    /// Windows Schannel (SSPI), with the .NET / WinINet application messages.
    Schannel,
    /// OpenSSL 1.0.1 / 1.0.2: `error:XXXXXXXX:SSL routines:FUNCTION:reason`.
    #[serde(rename = "openssl-1.0")]
    OpenSsl10,
    /// OpenSSL 1.1.1: as 1.0.x with lower-case function names.
    #[serde(rename = "openssl-1.1")]
    OpenSsl11,
    /// OpenSSL 3.x: `error:0A0000XX:SSL routines::reason` (no function names).
    #[serde(rename = "openssl-3")]
    OpenSsl3,
    /// The JDK's SunJSSE provider (`javax.net.ssl` exceptions).
    Jsse,
    /// GnuTLS (`gnutls_strerror` texts).
    #[serde(rename = "gnutls")]
    GnuTls,
    /// Mozilla NSS (`SSL_ERROR_…` / `PR_…` codes).
    Nss,
    /// The curl command line tool on OpenSSL 3 (`curl: (35) …`).
    Curl,
}

impl Stack {
    /// Every stack, for tests over the whole vocabulary.
    pub const ALL: [Stack; 9] = [
        Stack::Generic,
        Stack::Schannel,
        Stack::OpenSsl10,
        Stack::OpenSsl11,
        Stack::OpenSsl3,
        Stack::Jsse,
        Stack::GnuTls,
        Stack::Nss,
        Stack::Curl,
    ];

    /// The name as written in profile files.
    pub fn name(self) -> &'static str {
        match self {
            Stack::Generic => "generic",
            Stack::Schannel => "schannel",
            Stack::OpenSsl10 => "openssl-1.0",
            Stack::OpenSsl11 => "openssl-1.1",
            Stack::OpenSsl3 => "openssl-3",
            Stack::Jsse => "jsse",
            Stack::GnuTls => "gnutls",
            Stack::Nss => "nss",
            Stack::Curl => "curl",
        }
    }

    /// A Windows peer: the only stack whose report names Schannel events and SEC_E codes.
    pub fn is_windows(self) -> bool {
        self == Stack::Schannel
    }
}

impl std::fmt::Display for Stack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_names_round_trip_through_serde() {
        for s in Stack::ALL {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.name()));
            assert_eq!(serde_json::from_str::<Stack>(&json).unwrap(), s);
        }
    }
}
