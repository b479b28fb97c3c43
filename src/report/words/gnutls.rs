//! GnuTLS: the error code and its `gnutls_strerror` text (and, for a received alert,
//! `gnutls_alert_get_name`). Codes from gnutls.h, texts from lib/errors.c and lib/alert.c,
//! checked in the installed libgnutls.so.30 (gnutls-bin's library). Seen on 127.0.0.1 with
//! `gnutls-cli`: "*** Fatal error: A TLS fatal alert has been received." / "*** Received
//! alert [40]: Handshake failed" (from `openssl s_server`), "The TLS connection was
//! non-properly terminated." (FIN), "Error in the pull function." (RST).

use super::{error_of, Ctx, Seen, VendorText};
use crate::engine::{CloseKind, LocalError};
use crate::wire::AlertDescription;

const ERRORS: &str = "gnutls lib/errors.c (gnutls_strerror texts) and gnutls.h (GNUTLS_E_* codes), checked in libgnutls.so.30";
const ALERTS: &str = "gnutls lib/alert.c (gnutls_alert_get_name), lib/errors.c GNUTLS_E_FATAL_ALERT_RECEIVED; gnutls-cli prints \"*** Received alert [N]: NAME\"";

fn alert_name(a: AlertDescription) -> Option<&'static str> {
    use AlertDescription as A;
    Some(match a {
        A::UnexpectedMessage => "Unexpected message",
        A::BadRecordMac => "Bad record MAC",
        A::DecryptionFailed => "Decryption failed",
        A::RecordOverflow => "Record overflow",
        A::DecompressionFailure => "Decompression failed",
        A::HandshakeFailure => "Handshake failed",
        A::BadCertificate => "Certificate is bad",
        A::UnsupportedCertificate => "Certificate is not supported",
        A::CertificateRevoked => "Certificate was revoked",
        A::CertificateExpired => "Certificate is expired",
        A::CertificateUnknown => "Unknown certificate",
        A::IllegalParameter => "Illegal parameter",
        A::UnknownCa => "CA is unknown",
        A::AccessDenied => "Access was denied",
        A::DecodeError => "Decode error",
        A::DecryptError => "Decrypt error",
        A::ExportRestriction => "Export restriction",
        A::ProtocolVersion => "Error in protocol version",
        A::InsufficientSecurity => "Insufficient security",
        A::InternalError => "Internal error",
        A::InappropriateFallback => "Inappropriate fallback",
        A::UserCanceled => "User canceled",
        A::NoRenegotiation => "No renegotiation is allowed",
        A::UnsupportedExtension => "An unsupported extension was sent",
        _ => return None,
    })
}

pub(super) fn words(seen: &Seen, ctx: &Ctx) -> Vec<VendorText> {
    let mut extra = String::new();
    let (code, name, text): (i32, &str, String) = match seen {
        Seen::ReceivedAlert(a) => {
            extra = format!(
                " (alert [{}]: {})",
                a.to_u8(),
                alert_name(*a).unwrap_or("unknown")
            );
            (
                -12,
                "GNUTLS_E_FATAL_ALERT_RECEIVED",
                "A TLS fatal alert has been received.".into(),
            )
        }
        Seen::SentAlert { .. } | Seen::ClosedSilently { .. } => match error_of(seen) {
            // A TLS 1.3 server opening an OpenSSL client's plaintext alert as a protected
            // record: observed with gnutls-serv 3.7.9 (-d 9: "Sending Alert[2|20] - Bad
            // record MAC"), docs/tls13-alerts.md.
            Some(LocalError::BadRecordMac | LocalError::PlaintextAlert { .. }) => (
                -24,
                "GNUTLS_E_DECRYPTION_FAILED",
                "Decryption has failed.".into(),
            ),
            Some(LocalError::FinishedMismatch) => (
                -18,
                "GNUTLS_E_ERROR_IN_FINISHED_PACKET",
                "An error was encountered at the TLS Finished packet calculation.".into(),
            ),
            Some(LocalError::NoSharedCipher) => (
                -87,
                "GNUTLS_E_NO_CIPHER_SUITES",
                "No supported cipher suites have been found.".into(),
            ),
            Some(LocalError::NoSharedVersion { .. }) => (
                -8,
                "GNUTLS_E_UNSUPPORTED_VERSION_PACKET",
                "A packet with illegal or unsupported version was received.".into(),
            ),
            Some(LocalError::DhGroupTooSmall { .. }) => (
                -63,
                "GNUTLS_E_DH_PRIME_UNACCEPTABLE",
                "The Diffie-Hellman prime sent by the server is not acceptable (not long enough)."
                    .into(),
            ),
            Some(LocalError::UnexpectedMessage { .. }) => (
                -15,
                "GNUTLS_E_UNEXPECTED_PACKET",
                "An unexpected TLS packet was received.".into(),
            ),
            _ => return Vec::new(),
        },
        Seen::PeerClosed(CloseKind::Fin) => (
            -110,
            "GNUTLS_E_PREMATURE_TERMINATION",
            "The TLS connection was non-properly terminated.".into(),
        ),
        Seen::PeerClosed(CloseKind::Rst) => (
            -54,
            "GNUTLS_E_PULL_ERROR",
            "Error in the pull function.".into(),
        ),
        Seen::TimedOut => return Vec::new(),
    };
    let source = if matches!(seen, Seen::ReceivedAlert(_)) {
        ALERTS
    } else {
        ERRORS
    };
    vec![ctx.text(
        "GnuTLS",
        format!("{name} ({code}) \"{text}\"{extra}"),
        source,
    )]
}
