//! NSS (Firefox, `tstclnt`/`selfserv`, RHEL's libcurl of old): the `SSL_ERROR_…` / `PR_…`
//! name and number. Numbers: lib/ssl/sslerr.h (`SSL_ERROR_BASE` = -0x3000 = -12288, plus
//! the offset) and nspr prerr.h, read from the installed headers (libnss3-dev).

use super::{error_of, Ctx, Seen, VendorText};
use crate::engine::{CloseKind, LocalError};
use crate::wire::AlertDescription;

const SSLERR: &str = "nss lib/ssl/sslerr.h (SSL_ERROR_BASE -0x3000 + offset), as installed in /usr/include/nss/sslerr.h";
const PRERR: &str = "nspr pr/include/prerr.h: PR_END_OF_FILE_ERROR -5938, PR_CONNECT_RESET_ERROR -5961, PR_IO_TIMEOUT_ERROR -5990";
const BASE: i32 = -0x3000;

/// The error a peer's alert becomes (sslerr.h, `SSL_ERROR_…_ALERT`).
fn alert_error(a: AlertDescription) -> Option<(&'static str, i32)> {
    use AlertDescription as A;
    Some(match a {
        A::UnexpectedMessage => ("SSL_ERROR_HANDSHAKE_UNEXPECTED_ALERT", 59),
        A::BadRecordMac => ("SSL_ERROR_BAD_MAC_ALERT", 16),
        A::DecryptionFailed => ("SSL_ERROR_DECRYPTION_FAILED_ALERT", 91),
        A::RecordOverflow => ("SSL_ERROR_RECORD_OVERFLOW_ALERT", 92),
        A::DecompressionFailure => ("SSL_ERROR_DECOMPRESSION_FAILURE_ALERT", 60),
        A::HandshakeFailure => ("SSL_ERROR_HANDSHAKE_FAILURE_ALERT", 61),
        A::BadCertificate => ("SSL_ERROR_BAD_CERT_ALERT", 17),
        A::UnsupportedCertificate => ("SSL_ERROR_UNSUPPORTED_CERT_ALERT", 63),
        A::CertificateRevoked => ("SSL_ERROR_REVOKED_CERT_ALERT", 18),
        A::CertificateExpired => ("SSL_ERROR_EXPIRED_CERT_ALERT", 19),
        A::CertificateUnknown => ("SSL_ERROR_CERTIFICATE_UNKNOWN_ALERT", 64),
        A::IllegalParameter => ("SSL_ERROR_ILLEGAL_PARAMETER_ALERT", 62),
        A::UnknownCa => ("SSL_ERROR_UNKNOWN_CA_ALERT", 93),
        A::AccessDenied => ("SSL_ERROR_ACCESS_DENIED_ALERT", 94),
        A::DecodeError => ("SSL_ERROR_DECODE_ERROR_ALERT", 95),
        A::DecryptError => ("SSL_ERROR_DECRYPT_ERROR_ALERT", 96),
        A::ExportRestriction => ("SSL_ERROR_EXPORT_RESTRICTION_ALERT", 97),
        A::ProtocolVersion => ("SSL_ERROR_PROTOCOL_VERSION_ALERT", 98),
        A::InsufficientSecurity => ("SSL_ERROR_INSUFFICIENT_SECURITY_ALERT", 99),
        A::InternalError => ("SSL_ERROR_INTERNAL_ERROR_ALERT", 100),
        A::UserCanceled => ("SSL_ERROR_USER_CANCELED_ALERT", 101),
        A::NoRenegotiation => ("SSL_ERROR_NO_RENEGOTIATION_ALERT", 102),
        A::UnsupportedExtension => ("SSL_ERROR_UNSUPPORTED_EXTENSION_ALERT", 104),
        A::InappropriateFallback => ("SSL_ERROR_INAPPROPRIATE_FALLBACK_ALERT", 131),
        _ => return None,
    })
}

pub(super) fn words(seen: &Seen, ctx: &Ctx) -> Vec<VendorText> {
    let (name, number, source) = match seen {
        Seen::ReceivedAlert(a) => match alert_error(*a) {
            Some((n, off)) => (n, BASE + off, SSLERR),
            None => return Vec::new(),
        },
        Seen::SentAlert { .. } | Seen::ClosedSilently { .. } => {
            let (n, off) = match error_of(seen) {
                Some(LocalError::BadRecordMac) => ("SSL_ERROR_BAD_MAC_READ", 15),
                Some(LocalError::FinishedMismatch) => ("SSL_ERROR_BAD_HANDSHAKE_HASH_VALUE", 87),
                // A plaintext record after the handshake keys (observed: selfserv against
                // OpenSSL 3.0.19 s_client's plaintext alert, docs/tls13-alerts.md).
                Some(LocalError::PlaintextAlert { .. }) => {
                    ("SSL_ERROR_RX_UNEXPECTED_RECORD_TYPE", 179)
                }
                Some(LocalError::NoSharedCipher) => ("SSL_ERROR_NO_CYPHER_OVERLAP", 2),
                Some(LocalError::NoSharedVersion { .. }) => ("SSL_ERROR_UNSUPPORTED_VERSION", 9),
                Some(LocalError::DhGroupTooSmall { .. }) => {
                    ("SSL_ERROR_WEAK_SERVER_EPHEMERAL_DH_KEY", 115)
                }
                Some(LocalError::EmsResumeMismatch { .. }) => {
                    ("SSL_ERROR_MISSING_EXTENDED_MASTER_SECRET", 136)
                }
                _ => return Vec::new(),
            };
            (n, BASE + off, SSLERR)
        }
        Seen::PeerClosed(CloseKind::Fin) => ("PR_END_OF_FILE_ERROR", -5938, PRERR),
        Seen::PeerClosed(CloseKind::Rst) => ("PR_CONNECT_RESET_ERROR", -5961, PRERR),
        Seen::TimedOut => ("PR_IO_TIMEOUT_ERROR", -5990, PRERR),
    };
    vec![ctx.text("NSS", format!("{name} ({number})"), source)]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The numbers the NSS documentation and `tstclnt` print for the two MAC errors.
    #[test]
    fn nss_mac_errors_have_their_documented_numbers() {
        assert_eq!(BASE + 15, -12273); // SSL_ERROR_BAD_MAC_READ
        assert_eq!(BASE + 16, -12272); // SSL_ERROR_BAD_MAC_ALERT
        assert_eq!(BASE + 179, -12109); // SSL_ERROR_RX_UNEXPECTED_RECORD_TYPE
        assert_eq!(
            alert_error(AlertDescription::BadRecordMac),
            Some(("SSL_ERROR_BAD_MAC_ALERT", 16))
        );
    }
}
