//! OpenSSL: the error-queue line of the release in the profile.
//!
//! Format: OpenSSL 3.x `error:0A0000XX:SSL routines::reason` (reason codes and strings of
//! ssl/ssl_err.c, checked with `openssl errstr` of OpenSSL 3.0.19); OpenSSL 1.0.x / 1.1.1
//! `error:14FFFRRR:SSL routines:function:reason` (library 20, a function code, the same
//! reason code), with upper-case function names in 1.0.x (`SSL3_GET_RECORD`) and
//! lower-case ones in 1.1.1 (`ssl3_get_record`). A received alert is reason 1000 + the alert
//! number, with "SSL alert number N" added (ssl/record/rec_layer_s3.c). The function codes
//! are given only where the full line is well attested (1408F119, 14094xxx, 1408A0C1 /
//! 1417A0C1); otherwise the 1.x text is the reason alone.
//!
//! The 3.x line is `ERR_error_string_n` with the error data appended, as servers log it
//! (nginx's "SSL_do_handshake() failed (SSL: …)"); `ERR_print_errors` (what `openssl
//! s_client` / `s_server` print) adds the function, file and line, e.g. seen on 127.0.0.1
//! with OpenSSL 3.0.19: `error:0A000410:SSL routines:ssl3_read_bytes:sslv3 alert handshake
//! failure:../ssl/record/rec_layer_s3.c:1601:SSL alert number 40` (client) and
//! `error:0A0000C1:SSL routines:tls_post_process_client_hello:no shared cipher:…` (server).

use super::{error_of, Ctx, Seen, VendorText};
use crate::engine::{CloseKind, LocalError};
use crate::profile::Stack;
use crate::wire::AlertDescription;

const SSL_ERR: &str = "openssl/openssl ssl/ssl_err.c (reason strings), checked with `openssl errstr` (OpenSSL 3.0.19); 1.x error codes ERR_PACK(20, function, reason) of crypto/err/err.h";
const ALERT: &str = "openssl/openssl ssl/record/rec_layer_s3.c: a received fatal alert is SSL_AD_REASON_OFFSET (1000) + the alert number, with \"SSL alert number N\"; strings of ssl/ssl_err.c (`openssl errstr 0A0003FC`)";
const EOF_3: &str = "OpenSSL 3.0 SSL_get_error(3): an EOF without close_notify is SSL_ERROR_SSL with reason SSL_R_UNEXPECTED_EOF_WHILE_READING (`openssl errstr 0A000126`)";
const EOF_1: &str = "OpenSSL 1.1.1 SSL_get_error(3), BUGS: an EOF without close_notify is reported as SSL_ERROR_SYSCALL with errno 0";
const RESET: &str = "OpenSSL SSL_get_error(3): SSL_ERROR_SYSCALL, a non-recoverable I/O error; errno ECONNRESET (104 on Linux, errno(3)) \"Connection reset by peer\"";

/// A reason of ssl/ssl_err.c: code and text; the 1.0.x and 1.1.1 function (code, name),
/// where the full error line is known.
struct Reason {
    code: u32,
    text: &'static str,
    func10: Option<(u32, &'static str)>,
    func11: Option<(u32, &'static str)>,
}

fn reason_for(e: &LocalError) -> Option<Reason> {
    let r = |code, text| Reason {
        code,
        text,
        func10: None,
        func11: None,
    };
    Some(match e {
        LocalError::BadRecordMac => Reason {
            func10: Some((0x8F, "SSL3_GET_RECORD")),
            func11: Some((0x8F, "ssl3_get_record")),
            ..r(0x119, "decryption failed or bad record mac")
        },
        LocalError::NoSharedCipher => Reason {
            func10: Some((0x8A, "SSL3_GET_CLIENT_HELLO")),
            func11: Some((0x17A, "tls_post_process_client_hello")),
            ..r(0xC1, "no shared cipher")
        },
        LocalError::FinishedMismatch => r(0x95, "digest check failed"),
        LocalError::NoSharedVersion { .. } => r(0x102, "unsupported protocol"),
        LocalError::DhGroupTooSmall { .. } => r(0x18A, "dh key too small"),
        LocalError::MessageTooLarge { .. } => r(0x98, "excessive message size"),
        LocalError::EmsResumeMismatch { .. } => r(0x68, "inconsistent extms"),
        LocalError::BadPeerPublic | LocalError::ShortPeerPublic { .. } => r(0x66, "bad dh value"),
        LocalError::UnexpectedMessage { .. } => r(0xF4, "unexpected message"),
        LocalError::Decode { .. } => r(0x9F, "length mismatch"),
        LocalError::UnsupportedExtension { .. } => r(0xD9, "unsolicited extension"),
        LocalError::BadSignature => r(0x7B, "bad signature"),
        // The TLS 1.3 downgrade sentinel (RFC 8446 §4.1.3), ssl_choose_client_version in
        // ssl/statem/statem_lib.c; seen on 127.0.0.1 with OpenSSL 3.0.19's s_client behind
        // a proxy that removed supported_versions: `error:0A000175:SSL
        // routines:ssl_choose_client_version:inappropriate fallback`.
        LocalError::DowngradeSentinel { .. } => r(0x175, "inappropriate fallback"),
        _ => return None,
    })
}

/// OpenSSL's reason string for a received alert (`openssl errstr 0A0003E8+N`).
fn alert_reason(a: AlertDescription) -> Option<&'static str> {
    use AlertDescription as A;
    Some(match a {
        A::UnexpectedMessage => "sslv3 alert unexpected message",
        A::BadRecordMac => "sslv3 alert bad record mac",
        A::DecryptionFailed => "tlsv1 alert decryption failed",
        A::RecordOverflow => "tlsv1 alert record overflow",
        A::DecompressionFailure => "sslv3 alert decompression failure",
        A::HandshakeFailure => "sslv3 alert handshake failure",
        A::NoCertificate => "sslv3 alert no certificate",
        A::BadCertificate => "sslv3 alert bad certificate",
        A::UnsupportedCertificate => "sslv3 alert unsupported certificate",
        A::CertificateRevoked => "sslv3 alert certificate revoked",
        A::CertificateExpired => "sslv3 alert certificate expired",
        A::CertificateUnknown => "sslv3 alert certificate unknown",
        A::IllegalParameter => "sslv3 alert illegal parameter",
        A::UnknownCa => "tlsv1 alert unknown ca",
        A::AccessDenied => "tlsv1 alert access denied",
        A::DecodeError => "tlsv1 alert decode error",
        A::DecryptError => "tlsv1 alert decrypt error",
        A::ExportRestriction => "tlsv1 alert export restriction",
        A::ProtocolVersion => "tlsv1 alert protocol version",
        A::InsufficientSecurity => "tlsv1 alert insufficient security",
        A::InternalError => "tlsv1 alert internal error",
        A::InappropriateFallback => "tlsv1 alert inappropriate fallback",
        A::UserCanceled => "tlsv1 alert user cancelled",
        A::NoRenegotiation => "tlsv1 alert no renegotiation",
        A::UnsupportedExtension => "tlsv1 unsupported extension",
        // TLS 1.3's (RFC 8446 §6.2), read with `openssl errstr` on OpenSSL 3.0.
        A::MissingExtension => "tlsv13 alert missing extension",
        A::UnrecognizedName => "tlsv1 unrecognized name",
        A::BadCertificateStatusResponse => "tlsv1 bad certificate status response",
        A::UnknownPskIdentity => "tlsv1 alert unknown psk identity",
        A::CertificateRequired => "tlsv13 alert certificate required",
        A::NoApplicationProtocol => "tlsv1 alert no application protocol",
        A::CloseNotify | A::Unknown(_) => return None,
    })
}

fn line(stack: Stack, code: u32, func: Option<(u32, &str)>, reason: &str) -> String {
    match (stack, func) {
        (Stack::OpenSsl10 | Stack::OpenSsl11, Some((f, name))) => {
            format!("error:14{f:03X}{code:03X}:SSL routines:{name}:{reason}")
        }
        (Stack::OpenSsl10 | Stack::OpenSsl11, None) => reason.to_string(),
        _ => format!("error:0A{code:06X}:SSL routines::{reason}"),
    }
}

fn version(stack: Stack) -> &'static str {
    match stack {
        Stack::OpenSsl10 => "OpenSSL 1.0.x",
        Stack::OpenSsl11 => "OpenSSL 1.1.1",
        _ => "OpenSSL 3",
    }
}

/// The error-queue line (without quotes) and its source; shared with curl.
pub(super) fn error_line(seen: &Seen, stack: Stack) -> Option<(String, &'static str)> {
    match seen {
        Seen::SentAlert { .. } | Seen::ClosedSilently { .. } => {
            let r = reason_for(error_of(seen)?)?;
            let func = if stack == Stack::OpenSsl10 {
                r.func10
            } else {
                r.func11
            };
            Some((line(stack, r.code, func, r.text), SSL_ERR))
        }
        Seen::ReceivedAlert(a) => {
            let reason = alert_reason(*a)?;
            let code = 1000 + u32::from(a.to_u8());
            let func = match stack {
                Stack::OpenSsl10 => Some((0x94, "SSL3_READ_BYTES")),
                _ => Some((0x94, "ssl3_read_bytes")),
            };
            Some((
                format!(
                    "{}:SSL alert number {}",
                    line(stack, code, func, reason),
                    a.to_u8()
                ),
                ALERT,
            ))
        }
        Seen::PeerClosed(CloseKind::Fin) => Some(match stack {
            Stack::OpenSsl10 | Stack::OpenSsl11 => (
                "SSL_ERROR_SYSCALL with errno 0 (an EOF without close_notify)".into(),
                EOF_1,
            ),
            _ => (
                line(stack, 0x126, None, "unexpected eof while reading"),
                EOF_3,
            ),
        }),
        Seen::PeerClosed(CloseKind::Rst) => Some((
            "SSL_ERROR_SYSCALL with errno 104, ECONNRESET (Connection reset by peer)".into(),
            RESET,
        )),
        Seen::TimedOut => None,
    }
}

pub(super) fn words(seen: &Seen, ctx: &Ctx) -> Vec<VendorText> {
    error_line(seen, ctx.stack)
        .map(|(text, source)| {
            // An error-queue line is quoted as printed; an SSL_get_error result is a name.
            let text = if text.starts_with("SSL_ERROR_SYSCALL") {
                text
            } else {
                format!("\"{text}\"")
            };
            vec![ctx.text(format!("{} error", version(ctx.stack)), text, source)]
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known lines: 1408F119 / 140943FC / 14094410 / 1408A0C1 / 1417A0C1 of OpenSSL 1.x
    /// (as they appear in countless field reports) and the 3.x codes of `openssl errstr`.
    #[test]
    fn openssl_lines_match_the_known_error_codes() {
        let mac = Seen::SentAlert {
            alert: AlertDescription::BadRecordMac,
            error: Some(&LocalError::BadRecordMac),
        };
        let l = |s, st| error_line(s, st).unwrap().0;
        assert_eq!(
            l(&mac, Stack::OpenSsl10),
            "error:1408F119:SSL routines:SSL3_GET_RECORD:decryption failed or bad record mac"
        );
        assert_eq!(
            l(&mac, Stack::OpenSsl11),
            "error:1408F119:SSL routines:ssl3_get_record:decryption failed or bad record mac"
        );
        assert_eq!(
            l(&mac, Stack::OpenSsl3),
            "error:0A000119:SSL routines::decryption failed or bad record mac"
        );
        let hf = Seen::ReceivedAlert(AlertDescription::HandshakeFailure);
        assert_eq!(
            l(&hf, Stack::OpenSsl11),
            "error:14094410:SSL routines:ssl3_read_bytes:sslv3 alert handshake failure:SSL alert number 40"
        );
        let bm = Seen::ReceivedAlert(AlertDescription::BadRecordMac);
        assert_eq!(
            l(&bm, Stack::OpenSsl3),
            "error:0A0003FC:SSL routines::sslv3 alert bad record mac:SSL alert number 20"
        );
        let nc = Seen::SentAlert {
            alert: AlertDescription::HandshakeFailure,
            error: Some(&LocalError::NoSharedCipher),
        };
        assert_eq!(
            l(&nc, Stack::OpenSsl10),
            "error:1408A0C1:SSL routines:SSL3_GET_CLIENT_HELLO:no shared cipher"
        );
        assert_eq!(
            l(&nc, Stack::OpenSsl11),
            "error:1417A0C1:SSL routines:tls_post_process_client_hello:no shared cipher"
        );
    }
}
