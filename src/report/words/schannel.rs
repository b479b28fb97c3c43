//! Windows: Schannel System-log events, the SSPI status an application gets back, and the
//! .NET / WinSock message the application shows.
//!
//! Sources: Microsoft Learn "Schannel error codes for TLS and SSL alerts"
//! (<https://learn.microsoft.com/en-us/windows/win32/secauthn/schannel-error-codes-for-tls-and-ssl-alerts>);
//! KB4528489 (client: event 36887 with alert code 20, error 0x8009030F, "The request was
//! aborted: Could not create SSL/TLS secure channel"); KB4557473 (server: event 36888 "A
//! Fatal Alert was generated" although the trace shows only a FIN; client: "An existing
//! connection was forcibly closed by the remote host").

use super::{alert_of, error_of, Ctx, Seen, VendorText};
use crate::engine::{CloseKind, LocalError, LocalReport, Side};
use crate::wire::AlertDescription;

const ALERT_CODES: &str = "Microsoft Learn \"Schannel error codes for TLS and SSL alerts\" (learn.microsoft.com/en-us/windows/win32/secauthn/schannel-error-codes-for-tls-and-ssl-alerts)";
const KB4528489: &str = "KB4528489 \"Transport Layer Security (TLS) connections might fail or timeout when connecting or attempting a resumption\": event 36887 with alert code 20, error 0x8009030f, \"The request was aborted: Could not create SSL/TLS secure channel\"";
const KB4557473: &str = "KB4557473 \"Applications experience forcibly closed TLS connection errors when connecting SQL Servers in Windows\": the server logs Event ID 36888 (A Fatal Alert was generated); the client shows \"An existing connection was forcibly closed by the remote host\"; the trace shows a FIN and no alert";
const EV36874: &str = "Microsoft Learn \"Connection to linked server failed\" (SQL Server troubleshooting): Schannel event 36874 means the client and server support no cipher suite in common";
const SEC_E_ALGORITHM_MISMATCH: &str = "winerror.h SEC_E_ALGORITHM_MISMATCH (0x80090331): \"The client and server cannot communicate, because they do not possess a common algorithm.\"";

/// The SSPI status a Windows peer reports for an alert (Microsoft Learn "Schannel error
/// codes for TLS and SSL alerts"; 0x8009030F is SEC_E_MESSAGE_ALTERED in winerror.h, the
/// HRESULT -2146893041 of the windows-sys `SEC_E_MESSAGE_ALTERED` constant, "The message has
/// been altered" in Microsoft Learn's VerifySignature (sspi.h) page).
pub fn sec_e_for_alert(alert: AlertDescription) -> &'static str {
    use AlertDescription as A;
    match alert {
        A::BadRecordMac => "SEC_E_MESSAGE_ALTERED 0x8009030F",
        A::DecryptionFailed | A::DecryptError => "SEC_E_DECRYPT_FAILURE 0x80090330",
        A::ProtocolVersion => "SEC_E_UNSUPPORTED_FUNCTION 0x80090302",
        A::InsufficientSecurity => "SEC_E_ALGORITHM_MISMATCH 0x80090331",
        A::InternalError => "SEC_E_INTERNAL_ERROR 0x80090304",
        A::UnknownCa => "SEC_E_UNTRUSTED_ROOT 0x80090325",
        A::CertificateExpired => "SEC_E_CERT_EXPIRED 0x80090328",
        _ => "SEC_E_ILLEGAL_MESSAGE 0x80090326",
    }
}

pub(super) fn words(seen: &Seen, ctx: &Ctx) -> Vec<VendorText> {
    let mut out = Vec::new();
    match seen {
        Seen::SentAlert { .. } | Seen::ClosedSilently { .. } => {
            let Some(a) = alert_of(seen) else {
                return out;
            };
            if ctx.side == Side::Server
                && matches!(error_of(seen), Some(LocalError::NoSharedCipher))
            {
                out.push(ctx.text(
                    "Schannel event 36874",
                    "no cipher suite offered by the client is enabled on the server".into(),
                    EV36874,
                ));
            }
            let silent = matches!(seen, Seen::ClosedSilently { .. });
            out.push(ctx.text(
                "Schannel event 36888",
                format!(
                    "\"A fatal alert was generated and sent to the remote endpoint\" (alert code {}{})",
                    a.to_u8(),
                    if silent {
                        "; logged although no alert reached the wire, as KB4557473 reports"
                    } else {
                        ""
                    }
                ),
                if silent { KB4557473 } else { ALERT_CODES },
            ));
            out.push(ctx.text("SSPI status", sec_e_for_alert(a).into(), ALERT_CODES));
        }
        Seen::ReceivedAlert(a) => {
            out.push(ctx.text(
                "Schannel event 36887",
                format!(
                    "\"A fatal alert was received from the remote endpoint. The TLS protocol defined fatal alert code is {}.\"",
                    a.to_u8()
                ),
                KB4528489,
            ));
            out.push(ctx.text("SSPI status", sec_e_for_alert(*a).into(), ALERT_CODES));
        }
        Seen::PeerClosed(_) | Seen::TimedOut => {}
    }
    out
}

/// The client application's message (.NET, WinSock), once per connection.
pub(super) fn application(r: &LocalReport, seen: &[Seen], ctx: &Ctx) -> Vec<VendorText> {
    if r.side != Side::Client {
        return Vec::new();
    }
    let no_common = |s: &Seen| match s {
        Seen::ReceivedAlert(AlertDescription::HandshakeFailure) => true,
        Seen::SentAlert { alert, .. } => *alert == AlertDescription::HandshakeFailure,
        _ => false,
    };
    let (text, source): (&str, &'static str) = if seen.iter().any(no_common) {
        (
            "The client and server cannot communicate, because they do not possess a common algorithm",
            SEC_E_ALGORITHM_MISMATCH,
        )
    } else if seen.iter().any(|s| matches!(s, Seen::ReceivedAlert(_))) {
        (
            "The request was aborted: Could not create SSL/TLS secure channel",
            KB4528489,
        )
    } else if seen.iter().any(|s| matches!(s, Seen::PeerClosed(_))) {
        let how = if seen.contains(&Seen::PeerClosed(CloseKind::Rst)) {
            "reset"
        } else {
            "FIN"
        };
        return vec![ctx.text(
            "application",
            format!("\"An existing connection was forcibly closed by the remote host\" (WSAECONNRESET 10054; the peer's {how})"),
            KB4557473,
        )];
    } else {
        return Vec::new();
    };
    vec![ctx.text("application", format!("\"{text}\""), source)]
}
