//! What one side saw of a connection (`LocalReport`), and the merged `Outcome` of a
//! connection. The mechanism is found by comparing what the two peers really computed and
//! received, after the handshake ran — never assigned before.

use crate::wire::{AlertDescription, HandshakeType};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Client,
    Server,
}

impl Side {
    pub fn peer(self) -> Side {
        match self {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Side::Client => "client",
            Side::Server => "server",
        }
    }
}

/// How a TCP connection was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CloseKind {
    Fin,
    Rst,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HandshakeKind {
    Full,
    Resumed,
    /// The client held a session for this server but the handshake was full: the client
    /// did not offer it (RFC 7627 policy) or the server did not accept it.
    ResumeRefused,
}

impl HandshakeKind {
    pub fn name(self) -> &'static str {
        match self {
            HandshakeKind::Full => "full",
            HandshakeKind::Resumed => "resumed",
            HandshakeKind::ResumeRefused => "resume-refused",
        }
    }
}

/// What a peer itself detected, in the words of its own checks. Typed like rustls's
/// `PeerMisbehaved`: each variant names what the peer did or what this side refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum LocalError {
    /// Bytes that do not parse as the expected structure.
    Decode {
        what: String,
    },
    /// A message that is not allowed in this state.
    UnexpectedMessage {
        got: String,
        resumed: bool,
    },
    /// A protected record whose MAC does not verify (keys differ).
    BadRecordMac,
    /// Finished verify_data differs from ours.
    FinishedMismatch,
    /// A modelled signature that does not verify.
    BadSignature,
    NoSharedCipher,
    NoSharedVersion {
        offered: String,
    },
    DhGroupTooSmall {
        bits: usize,
        min: usize,
    },
    /// The peer's DH public value was shorter than p and this peer refuses that.
    ShortPeerPublic {
        len: usize,
        p_len: usize,
    },
    BadPeerPublic,
    /// A handshake message above this side's limit (for Schannel's limits, a fragmented
    /// one), refused as its header was read: `len` is the length it claimed, `records` how
    /// many records had carried part of it by then (those of its header).
    MessageTooLarge {
        message: String,
        len: usize,
        limit: u32,
        records: usize,
    },
    /// A handshake message split across records while the limit is 0, refused as its header
    /// was read.
    FragmentedMessageRejected {
        message: String,
        len: usize,
        records: usize,
    },
    /// RFC 7627 §5.3 resumption rules refused the handshake.
    EmsResumeMismatch {
        original_ems: bool,
        hello_ems: bool,
    },
    /// A parameter the peer chose that this side never offered.
    IllegalParameter {
        what: String,
    },
    UnsupportedExtension {
        what: String,
    },
    /// The peer closed the transport before the handshake completed.
    PeerClosed,
    /// The application gave up waiting (a stalled or partitioned network).
    Timeout,
}

/// The secrets and facts one side computed: the ground truth behind an outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Truth {
    /// DH shared secret Z, minimal big-endian hex (no leading zero bytes).
    pub z: Option<String>,
    /// Length of p in bytes for DHE.
    pub p_len: Option<usize>,
    pub premaster: Option<String>,
    pub master: Option<String>,
    /// Whether this side used the extended master secret.
    pub ems: bool,
    /// EMS status of the session being resumed (resumption only).
    pub original_session_ems: Option<bool>,
    /// Length in bytes of the DH public value this side sent.
    pub sent_public_len: Option<usize>,
    /// This side sent CertificateRequest in an abbreviated handshake.
    pub sent_cert_request_on_resume: bool,
}

/// One side's view at the end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalReport {
    pub side: Side,
    pub complete: bool,
    pub kind: HandshakeKind,
    pub version: Option<String>,
    pub suite: Option<String>,
    pub error: Option<LocalError>,
    /// The message being processed when this side failed.
    pub at: Option<String>,
    pub alert_sent: Option<u8>,
    pub alert_received: Option<u8>,
    /// How this side closed on failure.
    pub closed_with: Option<CloseKind>,
    /// How the peer closed, when it closed first.
    pub peer_closed: Option<CloseKind>,
    pub truth: Truth,
}

impl LocalReport {
    pub fn new(side: Side) -> LocalReport {
        LocalReport {
            side,
            complete: false,
            kind: HandshakeKind::Full,
            version: None,
            suite: None,
            error: None,
            at: None,
            alert_sent: None,
            alert_received: None,
            closed_with: None,
            peer_closed: None,
            truth: Truth::default(),
        }
    }
}

/// The merged outcome of one connection, as `tlsim handshake --json` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// "ok" or "failed".
    pub outcome: String,
    /// "full", "resumed" or "resume-refused".
    pub handshake: String,
    pub suite: Option<String>,
    pub version: Option<String>,
    pub ems: bool,
    /// Stable mechanism id; null on success.
    pub mechanism: Option<String>,
    pub detected_by: Option<Side>,
    /// The message at which the detecting side failed.
    pub at: Option<String>,
    /// The alert number on the wire, if any.
    pub alert: Option<u8>,
    /// "alert", "fin" or "rst": how the failing connection was closed. Null on success.
    pub close: Option<String>,
    /// Why, in one or two sentences.
    pub explanation: String,
    pub client: LocalReport,
    pub server: LocalReport,
}

/// Every mechanism id an outcome can carry, in the order the classifier tests them: the
/// ids of [`Outcome::from_reports`] and, last, the FTPS data-channel refusal that
/// `net::run_fleet` sets. Scenario `[expect]` names are checked against this list (a test
/// in `tests/scenario_errors.rs` keeps it equal to the ids in the code).
pub const MECHANISMS: &[&str] = &[
    "incomplete",
    "dh-premaster-zeros",
    "ems-mismatch",
    "key-mismatch",
    "dh-short-server-public",
    "dh-short-client-public",
    "message-too-large",
    "fragmented-message-rejected",
    "no-shared-cipher",
    "no-shared-version",
    "dh-group-too-small",
    "ems-resume-mismatch",
    "cert-request-on-resume",
    "connection-reset",
    "connection-closed",
    "network-timeout",
    "protocol-error",
    "ftps-data-not-resumed",
];

impl Outcome {
    pub fn ok(&self) -> bool {
        self.outcome == "ok"
    }

    /// Merge the two sides' reports into an outcome and find the mechanism.
    pub fn from_reports(client: LocalReport, server: LocalReport) -> Outcome {
        let failed = !(client.complete && server.complete);
        // The detecting side is the one that found an error itself (not one that merely
        // received an alert or a close).
        let detector = [&client, &server]
            .into_iter()
            .find(|r| {
                r.error
                    .as_ref()
                    .is_some_and(|e| *e != LocalError::PeerClosed)
            })
            .or_else(|| [&client, &server].into_iter().find(|r| r.error.is_some()));
        let (mechanism, explanation) = match (failed, detector) {
            (false, _) => (None, success_text(&client)),
            (true, None) => (
                Some("incomplete".to_string()),
                "the handshake stopped without either side reporting an error".to_string(),
            ),
            (true, Some(d)) => {
                let (m, e) = diagnose(d, &client, &server);
                (Some(m.to_string()), e)
            }
        };
        let detected_by = if failed {
            detector.map(|d| d.side)
        } else {
            None
        };
        let (alert, close) = match detector {
            Some(d) if failed => match (d.alert_sent, d.closed_with) {
                (Some(a), _) => (Some(a), Some("alert")),
                (None, Some(CloseKind::Rst)) => (None, Some("rst")),
                _ => (None, Some("fin")),
            },
            _ => (None, None),
        };
        let kind = if client.kind != HandshakeKind::Full {
            client.kind
        } else {
            server.kind
        };
        Outcome {
            outcome: if failed { "failed" } else { "ok" }.into(),
            handshake: kind.name().into(),
            suite: client.suite.clone().or_else(|| server.suite.clone()),
            version: client.version.clone().or_else(|| server.version.clone()),
            ems: client.truth.ems && server.truth.ems,
            mechanism,
            detected_by,
            at: detector.filter(|_| failed).and_then(|d| d.at.clone()),
            alert,
            close: close.map(str::to_string),
            explanation,
            client,
            server,
        }
    }
}

fn success_text(c: &LocalReport) -> String {
    format!(
        "{} handshake completed ({}, {})",
        c.kind.name(),
        c.version.as_deref().unwrap_or("?"),
        c.suite.as_deref().unwrap_or("?")
    )
}

/// Name the mechanism from what the detecting side saw and what both sides computed.
fn diagnose(d: &LocalReport, c: &LocalReport, s: &LocalReport) -> (&'static str, String) {
    let who = d.side.name();
    let err = d
        .error
        .as_ref()
        .expect("diagnose is called with a side that has an error");
    match err {
        LocalError::BadRecordMac | LocalError::FinishedMismatch => {
            let (ct, st) = (&c.truth, &s.truth);
            let same_z = ct.z.is_some() && ct.z == st.z;
            let pm_len = |t: &Truth| t.premaster.as_ref().map(|h| h.len() / 2);
            if same_z && ct.premaster != st.premaster && pm_len(ct) != pm_len(st) {
                let keeper = if pm_len(ct) > pm_len(st) { "client" } else { "server" };
                let stripper = if keeper == "client" { "server" } else { "client" };
                (
                    "dh-premaster-zeros",
                    format!(
                        "Z had a leading zero byte: the {keeper} kept it ({} byte pre-master secret), the {stripper} stripped it (RFC 5246 §8.1.2, {} bytes); the master secrets differ, so the {who} could not verify the peer's Finished",
                        pm_len(if keeper == "client" { ct } else { st }).unwrap_or(0),
                        pm_len(if keeper == "client" { st } else { ct }).unwrap_or(0),
                    ),
                )
            } else if ct.ems != st.ems {
                (
                    "ems-mismatch",
                    "one side derived an extended master secret and the other did not".into(),
                )
            } else {
                (
                    "key-mismatch",
                    format!("the {who} could not verify the peer's Finished: the key schedules differ"),
                )
            }
        }
        LocalError::ShortPeerPublic { len, p_len } => {
            let m = if d.side == Side::Client {
                "dh-short-server-public"
            } else {
                "dh-short-client-public"
            };
            (
                m,
                format!(
                    "the {}'s DH public value was {len} bytes, shorter than p ({p_len} bytes), and the {who} rejects short values",
                    d.side.peer().name()
                ),
            )
        }
        LocalError::MessageTooLarge { message, len, limit, .. } => (
            "message-too-large",
            format!("the {who} read the header of a {len}-byte {message}, above its message limit of {limit}, and refused it before reassembling it"),
        ),
        LocalError::FragmentedMessageRejected { message, len, .. } => (
            "fragmented-message-rejected",
            format!("the {who} read the header of a {len}-byte {message} split across records and refused it: its message limit is 0 (fragmented messages rejected)"),
        ),
        LocalError::NoSharedCipher => (
            "no-shared-cipher",
            "the server accepts none of the cipher suites the client offered".into(),
        ),
        LocalError::NoSharedVersion { offered } => (
            "no-shared-version",
            format!("no protocol version enabled on both sides (offered {offered})"),
        ),
        LocalError::DhGroupTooSmall { bits, min } => (
            "dh-group-too-small",
            format!("the server's DH group has {bits} bits, below the client's minimum of {min}"),
        ),
        LocalError::EmsResumeMismatch { original_ems, hello_ems } => (
            "ems-resume-mismatch",
            format!(
                "RFC 7627 §5.3: the original session {} EMS and the {} {} it; the {who} aborted the resumption",
                if *original_ems { "used" } else { "did not use" },
                if d.side == Side::Server { "ClientHello" } else { "ServerHello" },
                if *hello_ems { "carries" } else { "lacks" }
            ),
        ),
        LocalError::UnexpectedMessage { got, resumed: true }
            if got.starts_with("CertificateRequest") && s.truth.sent_cert_request_on_resume =>
        {
            (
                "cert-request-on-resume",
                "the server sent CertificateRequest in an abbreviated handshake (not RFC 5246 compliant); the client answered unexpected_message".into(),
            )
        }
        LocalError::PeerClosed if d.peer_closed == Some(CloseKind::Rst) => (
            "connection-reset",
            format!("the {who}'s connection was reset by the network or the peer before the handshake completed"),
        ),
        LocalError::PeerClosed => (
            "connection-closed",
            format!("the {who}'s peer closed the connection before the handshake completed"),
        ),
        LocalError::Timeout => (
            "network-timeout",
            format!("the {who} timed out waiting for the peer: the network stalled, dropped or partitioned the connection"),
        ),
        other => ("protocol-error", format!("the {who} rejected the handshake: {other:?}")),
    }
}

/// The alert a side sends for a local error (RFC 5246 §7.2.2).
pub fn alert_for(err: &LocalError) -> AlertDescription {
    use AlertDescription as A;
    match err {
        LocalError::Decode { .. } => A::DecodeError,
        LocalError::UnexpectedMessage { .. } => A::UnexpectedMessage,
        LocalError::BadRecordMac => A::BadRecordMac,
        LocalError::FinishedMismatch | LocalError::BadSignature => A::DecryptError,
        LocalError::NoSharedCipher => A::HandshakeFailure,
        LocalError::NoSharedVersion { .. } => A::ProtocolVersion,
        LocalError::DhGroupTooSmall { .. } => A::InsufficientSecurity,
        // Schannel reported SEC_E_BUFFER_TOO_SMALL locally; what went on the wire is not
        // documented (unverified): internal_error is the RFC's alert for a local failure.
        LocalError::ShortPeerPublic { .. } => A::InternalError,
        LocalError::BadPeerPublic | LocalError::IllegalParameter { .. } => A::IllegalParameter,
        // Schannel shows SEC_E_ILLEGAL_MESSAGE; the wire alert is unverified.
        LocalError::MessageTooLarge { .. } | LocalError::FragmentedMessageRejected { .. } => {
            A::IllegalParameter
        }
        LocalError::EmsResumeMismatch { .. } => A::HandshakeFailure,
        LocalError::UnsupportedExtension { .. } => A::UnsupportedExtension,
        LocalError::PeerClosed | LocalError::Timeout => A::CloseNotify,
    }
}

/// A handshake type's display name.
pub fn msg_name(t: HandshakeType) -> String {
    format!("{t:?}")
}
