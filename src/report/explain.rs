//! What each side's administrator sees: what happened in protocol terms (the alert, the
//! close), then the same failure in the words of that side's stack (`report::words`,
//! chosen by the profile's `stack`: Schannel events and SEC_E codes only for Windows).

use super::words::{seen, vendor_texts, Seen};
use crate::engine::{CloseKind, LocalError, LocalReport};
use crate::net::ConnRecord;
use crate::wire::AlertDescription;

pub use super::words::{sec_e_for_alert, VendorText};

/// One side's view of a failed connection, in an administrator's words.
pub fn side_view(r: &LocalReport) -> String {
    let mut parts: Vec<String> = Vec::new();
    // A side that gave up waiting closes its end too.
    if matches!(r.error, Some(LocalError::Timeout)) && r.closed_with == Some(CloseKind::Fin) {
        parts.push("closed the connection (TCP FIN) without an alert".into());
    }
    for s in seen(r) {
        parts.push(match s {
            Seen::SentAlert { alert, .. } => {
                format!("sent fatal alert {} ({})", alert.to_u8(), alert.name())
            }
            Seen::ClosedSilently {
                close: CloseKind::Fin,
                ..
            } => "closed the connection (TCP FIN) without an alert".into(),
            Seen::ClosedSilently {
                close: CloseKind::Rst,
                ..
            } => "reset the connection (TCP RST) without an alert".into(),
            Seen::ReceivedAlert(a) => {
                format!("received fatal alert {} ({})", a.to_u8(), a.name())
            }
            Seen::PeerClosed(CloseKind::Fin) => {
                "the peer closed the connection (FIN) without an alert".into()
            }
            Seen::PeerClosed(CloseKind::Rst) => "the connection was reset (RST)".into(),
            Seen::TimedOut => "timed out waiting for the peer".into(),
        });
    }
    if parts.is_empty() && !r.complete && r.error.is_none() {
        return "never saw a ClientHello for this connection: nothing logged".into();
    }
    if parts.is_empty() {
        return "saw nothing wrong".into();
    }
    parts.extend(vendor_texts(r).iter().map(ToString::to_string));
    parts.join("; ")
}

/// Both sides' views of a failed connection record: [client, server].
pub fn both_views(r: &ConnRecord) -> [String; 2] {
    let mut client = side_view(&r.outcome.client);
    let mut server = side_view(&r.outcome.server);
    if let Some(reply) = &r.ftp_reply {
        // M6: the TLS handshake succeeded; the refusal is an FTP reply on the control
        // connection, the same words whatever the TLS stacks (KB4528489 item 3).
        server = format!("completed the TLS handshake on the data connection, then replied \"{reply}\" on the control connection and closed it");
        let client_alert = r.outcome.client.alert_received;
        if client_alert.is_none_or(|a| a == AlertDescription::CloseNotify) {
            client = format!("the FTP client received \"{reply}\" on the control connection; its TLS handshake succeeded, so no TLS error or event is logged");
        }
    }
    [client, server]
}

/// Every vendor text of both sides of a record, for JSON reports: [client, server].
pub fn both_texts(r: &ConnRecord) -> [Vec<VendorText>; 2] {
    [
        vendor_texts(&r.outcome.client),
        vendor_texts(&r.outcome.server),
    ]
}
