//! Each peer's own words for a failure: the text the administrator of that peer reads,
//! chosen by the profile's [`Stack`]. One module per vocabulary; each text carries its
//! source. Only [`schannel`] names Schannel events and SEC_E codes, so a non-Windows peer
//! is never given a Windows event (tests/vendor_words.rs checks the whole catalogue).
//!
//! The input is what one side went through in protocol terms ([`Seen`], read from the
//! engine's [`LocalReport`]); the output is typed ([`VendorText`]), rendered by
//! `report::explain`.

mod curl;
mod gnutls;
mod java;
mod nss;
mod openssl;
mod schannel;

pub use schannel::sec_e_for_alert;

use crate::engine::{CloseKind, LocalError, LocalReport, Side};
use crate::profile::Stack;
use crate::wire::AlertDescription;
use serde::Serialize;

/// What one side went through, in protocol terms: the input of every vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen<'a> {
    /// This side found the fault and sent this fatal alert.
    SentAlert {
        alert: AlertDescription,
        error: Option<&'a LocalError>,
    },
    /// This side found the fault and closed the connection (FIN or RST) without an alert.
    ClosedSilently {
        error: &'a LocalError,
        close: CloseKind,
    },
    /// This side received a fatal alert.
    ReceivedAlert(AlertDescription),
    /// The peer closed (FIN) or reset (RST) the connection without an alert.
    PeerClosed(CloseKind),
    /// The application gave up waiting.
    TimedOut,
}

/// One text an administrator reads, in one vendor's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VendorText {
    pub stack: Stack,
    pub side: Side,
    /// Where it shows (`Schannel event 36888`, `SSPI status`, `.NET`, `OpenSSL 1.0.2
    /// error queue`, `Java`, `NSS`, `curl` …).
    pub label: String,
    /// The text itself, quoted where it is a message.
    pub text: String,
    /// Where the wording comes from (vendor documentation, source file, KB).
    pub source: &'static str,
}

impl std::fmt::Display for VendorText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.label, self.text)
    }
}

/// The context a vocabulary needs besides what was seen.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx<'a> {
    pub side: Side,
    pub stack: Stack,
    /// The negotiated suite, when there was one (Java's words depend on AEAD or not).
    pub suite: Option<&'a str>,
}

impl Ctx<'_> {
    pub(crate) fn text(
        &self,
        label: impl Into<String>,
        text: String,
        source: &'static str,
    ) -> VendorText {
        VendorText {
            stack: self.stack,
            side: self.side,
            label: label.into(),
            text,
            source,
        }
    }
}

/// What one side saw, in protocol terms, in the order it happened.
pub fn seen(r: &LocalReport) -> Vec<Seen<'_>> {
    let mut out = Vec::new();
    match (r.alert_sent, &r.error, r.closed_with) {
        (Some(a), e, _) if a != AlertDescription::CloseNotify => out.push(Seen::SentAlert {
            alert: a,
            error: e.as_ref(),
        }),
        (None, Some(e), Some(close))
            if !matches!(e, LocalError::PeerClosed | LocalError::Timeout) =>
        {
            out.push(Seen::ClosedSilently { error: e, close })
        }
        _ => {}
    }
    if let Some(a) = r.alert_received {
        out.push(Seen::ReceivedAlert(a));
    }
    match r.peer_closed {
        Some(CloseKind::Fin) if r.alert_received.is_none() => {
            out.push(Seen::PeerClosed(CloseKind::Fin))
        }
        Some(CloseKind::Rst) => out.push(Seen::PeerClosed(CloseKind::Rst)),
        _ => {}
    }
    if matches!(r.error, Some(LocalError::Timeout)) {
        out.push(Seen::TimedOut);
    }
    out
}

/// The texts one side's administrator reads, in its stack's words.
pub fn vendor_texts(r: &LocalReport) -> Vec<VendorText> {
    let ctx = Ctx {
        side: r.side,
        stack: r.stack,
        suite: r.suite.as_deref(),
    };
    let seen = seen(r);
    let mut out = Vec::new();
    for s in &seen {
        out.extend(match r.stack {
            Stack::Generic => Vec::new(),
            Stack::Schannel => schannel::words(s, &ctx),
            Stack::OpenSsl10 | Stack::OpenSsl11 | Stack::OpenSsl3 => openssl::words(s, &ctx),
            Stack::Jsse => java::words(s, &ctx),
            Stack::GnuTls => gnutls::words(s, &ctx),
            Stack::Nss => nss::words(s, &ctx),
            Stack::Curl => curl::words(s, &ctx),
        });
    }
    if r.stack == Stack::Schannel {
        out.extend(schannel::application(r, &seen, &ctx));
    }
    out
}

/// The alert a side that closed without one would have sent (its report names the error).
pub(crate) fn alert_of(seen: &Seen) -> Option<AlertDescription> {
    match seen {
        Seen::SentAlert { alert, .. } => Some(*alert),
        Seen::ClosedSilently { error, .. } => Some(error.alert()),
        _ => None,
    }
}

/// The error behind a sent alert or a silent close.
pub(crate) fn error_of<'a>(seen: &Seen<'a>) -> Option<&'a LocalError> {
    match seen {
        Seen::SentAlert { error, .. } => *error,
        Seen::ClosedSilently { error, .. } => Some(error),
        _ => None,
    }
}
