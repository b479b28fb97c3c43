//! What each side's administrator sees: the alert, the Schannel event, the SSPI status
//! code and the application's message (docs/field-facts.md §4; Microsoft Learn "Schannel
//! error codes for TLS and SSL alerts", KB4557473, KB4528489).

use crate::engine::{CloseKind, LocalReport, Side};
use crate::net::ConnRecord;
use crate::wire::AlertDescription;

/// The SSPI status a Windows peer reports for an alert (Microsoft Learn "Schannel error
/// codes for TLS and SSL alerts").
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

/// The application message a client application shows for what it saw.
fn app_message(r: &LocalReport) -> &'static str {
    match (r.alert_received, r.peer_closed, r.alert_sent) {
        (Some(AlertDescription::HandshakeFailure), _, _)
        | (_, _, Some(AlertDescription::HandshakeFailure)) => {
            "The client and server cannot communicate, because they do not possess a common algorithm"
        }
        (Some(_), _, _) => "The request was aborted: Could not create SSL/TLS secure channel",
        // KB4557473: the server closed with FIN and no alert; the client application
        // reported the connection as forcibly closed.
        (None, Some(CloseKind::Fin), _) | (None, Some(CloseKind::Rst), _) => {
            "An existing connection was forcibly closed by the remote host (WSAECONNRESET 10054)"
        }
        _ => "Authentication failed because the remote party has closed the transport stream",
    }
}

/// One side's view of a failed connection, in an administrator's words.
pub fn side_view(r: &LocalReport) -> String {
    let mut parts = Vec::new();
    if let Some(a) = r.alert_sent {
        parts.push(format!(
            "sent fatal alert {} ({}); Schannel event 36888 \"A fatal alert was generated and sent to the remote endpoint\"; {}",
            a.to_u8(),
            a.name(),
            sec_e_for_alert(a)
        ));
    }
    if let Some(a) = r.alert_received {
        parts.push(format!(
            "received fatal alert {n} ({}); Schannel event 36887 \"The TLS protocol defined fatal alert code is {n}\"; {}",
            a.name(),
            sec_e_for_alert(a),
            n = a.to_u8()
        ));
    }
    match (r.error.is_some() && r.alert_sent.is_none(), r.closed_with) {
        (true, Some(CloseKind::Fin)) => {
            parts.push("closed the connection (TCP FIN) without an alert".into())
        }
        (true, Some(CloseKind::Rst)) => {
            parts.push("reset the connection (TCP RST) without an alert".into())
        }
        _ => {}
    }
    match r.peer_closed {
        Some(CloseKind::Fin) if r.alert_received.is_none() => {
            parts.push("the peer closed the connection (FIN) without an alert".into())
        }
        Some(CloseKind::Rst) => parts.push("the connection was reset (RST)".into()),
        _ => {}
    }
    if matches!(r.error, Some(crate::engine::LocalError::Timeout)) {
        parts.push("timed out waiting for the peer".into());
    }
    if parts.is_empty() && !r.complete && r.error.is_none() {
        return "never saw a ClientHello for this connection: nothing logged".into();
    }
    if parts.is_empty() {
        return "saw nothing wrong".into();
    }
    if r.side == Side::Client && (r.alert_received.is_some() || r.peer_closed.is_some()) {
        parts.push(format!("application: \"{}\"", app_message(r)));
    }
    parts.join("; ")
}

/// Both sides' views of a failed connection record.
pub fn both_views(r: &ConnRecord) -> [String; 2] {
    let mut server = side_view(&r.outcome.server);
    if let Some(reply) = &r.ftp_reply {
        server = format!("completed the TLS handshake on the data connection, then replied \"{reply}\" on the control connection and closed it");
    }
    [side_view(&r.outcome.client), server]
}
