//! The one classifier: from what was observed of a connection (the two sides' reports, plus
//! what the driver knows beyond them) to its verdict and [`Mechanism`]. The in-memory pair
//! and the fleet's TLS connections ([`Context::Pair`]), the fleet's FTPS data channels
//! ([`Context::FtpsDataRefused`]) and the socket bridge ([`Context::Bridge`]) all come here.

use super::mechanism::Mechanism;
use super::outcome::{Close, CloseKind, HandshakeKind, LocalError, LocalReport, MessageKind};
use super::outcome::{Side, Status, Truth};
use crate::wire::{AlertDescription, HandshakeType};

/// What the classifier is told besides the two reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context<'a> {
    /// Both peers are tlsim engines and both reports are complete views: the in-memory
    /// pair, and the fleet's TLS connections.
    Pair,
    /// An FTPS data connection that the server refused after its TLS handshake, because the
    /// handshake did not resume the control connection's session (M6); `reply` is what the
    /// server answered on the control connection.
    FtpsDataRefused { reply: &'a str },
    /// The socket bridge: only the `tlsim` side's report is tlsim's; the other side is a
    /// real stack, seen only through what it put on the wire (the alert and close in the
    /// tlsim side's report), and its report is empty. `app_ok`: the application-data round
    /// trip after the handshake succeeded; `transport`: a socket-level problem, if any.
    Bridge {
        tlsim: Side,
        app_ok: bool,
        transport: Option<&'a str>,
    },
}

/// The classifier's answer: everything an outcome says beyond the reports themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub status: Status,
    /// Why it failed; `Some` exactly when `status` is `Failed`.
    pub mechanism: Option<Mechanism>,
    /// The side that detected the failure (in the bridge, the real peer's side when the
    /// real stack did).
    pub detected_by: Option<Side>,
    /// The message at which the detecting side failed.
    pub at: Option<MessageKind>,
    /// The alert on the wire, if any.
    pub alert: Option<AlertDescription>,
    pub close: Option<Close>,
    /// Why, in one or two sentences.
    pub explanation: String,
}

/// Name the verdict of a connection from its two sides' reports and the context.
pub fn classify(client: &LocalReport, server: &LocalReport, ctx: &Context<'_>) -> Verdict {
    match *ctx {
        Context::Pair => pair(client, server),
        Context::FtpsDataRefused { reply } => {
            // The handshake's own verdict stands for where it stopped (`at`, `alert`); the
            // refusal after it decides the rest.
            let mut v = pair(client, server);
            v.status = Status::Failed;
            v.mechanism = Some(Mechanism::FtpsDataNotResumed);
            v.detected_by = Some(Side::Server);
            v.close = Some(Close::Fin);
            v.explanation = format!(
                "the FTPS server requires the data connection to resume the control connection's TLS session; this one was a {} handshake, so it replied \"{reply}\" and closed it",
                HandshakeKind::merged(client, server)
            );
            v
        }
        Context::Bridge {
            tlsim,
            app_ok,
            transport,
        } => bridge(client, server, tlsim, app_ok, transport),
    }
}

/// Two tlsim peers: the detecting side is the one that found an error itself (not one that
/// merely received an alert or a close).
fn pair(client: &LocalReport, server: &LocalReport) -> Verdict {
    // A side that completed its handshake and then found an error (a corrupted record, a
    // refused renegotiation) failed the connection too.
    let failed =
        !(client.complete && server.complete) || client.error.is_some() || server.error.is_some();
    let detector = [client, server]
        .into_iter()
        .find(|r| {
            r.error
                .as_ref()
                .is_some_and(|e| *e != LocalError::PeerClosed)
        })
        .or_else(|| [client, server].into_iter().find(|r| r.error.is_some()));
    let (mechanism, explanation) = match (failed, detector) {
        (false, _) => (None, success_text(client)),
        (true, None) => (
            Some(Mechanism::Incomplete),
            "the handshake stopped without either side reporting an error".to_string(),
        ),
        (true, Some(d)) => {
            let (m, e) = diagnose(d, client, server);
            (Some(m), e)
        }
    };
    let detector = detector.filter(|_| failed);
    let (alert, close) = match detector {
        Some(d) => match (d.alert_sent, d.closed_with) {
            (Some(a), _) => (Some(a), Some(Close::Alert)),
            (None, Some(CloseKind::Rst)) => (None, Some(Close::Rst)),
            // The detector closed nothing itself: the connection ended as the peer (or the
            // network, or a full listen backlog) ended it.
            (None, None) if d.peer_closed == Some(CloseKind::Rst) => (None, Some(Close::Rst)),
            _ => (None, Some(Close::Fin)),
        },
        None => (None, None),
    };
    Verdict {
        status: if failed { Status::Failed } else { Status::Ok },
        mechanism,
        detected_by: detector.map(|d| d.side),
        at: detector.and_then(|d| d.at),
        alert,
        close,
        explanation,
    }
}

fn success_text(c: &LocalReport) -> String {
    format!(
        "{} handshake completed ({}, {})",
        c.kind,
        c.version.as_deref().unwrap_or("?"),
        c.suite.as_deref().unwrap_or("?")
    )
}

/// Name the mechanism from what the detecting side saw and what both sides computed.
fn diagnose(d: &LocalReport, c: &LocalReport, s: &LocalReport) -> (Mechanism, String) {
    let who = d.side.name();
    let err = d
        .error
        .as_ref()
        .expect("diagnose is called with a side that has an error");
    if d.complete {
        let (who, peer) = (
            format!("the {who}"),
            format!("the {}", d.side.peer().name()),
        );
        return after_handshake(d, err, &who, &peer);
    }
    match err {
        LocalError::BadRecordMac | LocalError::FinishedMismatch => {
            let (ct, st) = (&c.truth, &s.truth);
            let same_z = ct.z.is_some() && ct.z == st.z;
            let pm_len = |t: &Truth| t.premaster.as_ref().map(|p| p.len());
            if let (Some(cz), Some(sz)) = (ct.tls13_ffdhe_z, st.tls13_ffdhe_z) {
                if cz.leading_zero && sz.leading_zero && cz.stripped != sz.stripped {
                    let (stripper, padder) = if cz.stripped {
                        ("client", "server")
                    } else {
                        ("server", "client")
                    };
                    return (
                        Mechanism::Tls13FfdheZMismatch,
                        format!(
                            "TLS 1.3 FFDHE: Z had a leading zero byte; the {padder} padded it to the length of p (RFC 8446 §7.4.1), the {stripper} stripped it, so the handshake secrets differ and the {who} could not decrypt the peer's first protected record"
                        ),
                    );
                }
            }
            if same_z && ct.premaster != st.premaster && pm_len(ct) != pm_len(st) {
                let keeper = if pm_len(ct) > pm_len(st) { "client" } else { "server" };
                let stripper = if keeper == "client" { "server" } else { "client" };
                (
                    Mechanism::DhPremasterZeros,
                    format!(
                        "Z had a leading zero byte: the {keeper} kept it ({} byte pre-master secret), the {stripper} stripped it (RFC 5246 §8.1.2, {} bytes); the master secrets differ, so the {who} could not verify the peer's Finished",
                        pm_len(if keeper == "client" { ct } else { st }).unwrap_or(0),
                        pm_len(if keeper == "client" { st } else { ct }).unwrap_or(0),
                    ),
                )
            } else if ct.ems != st.ems {
                (
                    Mechanism::EmsMismatch,
                    "one side derived an extended master secret and the other did not".into(),
                )
            } else {
                (
                    Mechanism::KeyMismatch,
                    format!("the {who} could not verify the peer's Finished: the key schedules differ"),
                )
            }
        }
        LocalError::ShortPeerPublic { len, p_len } => (
            short_public(d.side),
            format!(
                "the {}'s DH public value was {len} bytes, shorter than p ({p_len} bytes), and the {who} rejects short values",
                d.side.peer().name()
            ),
        ),
        LocalError::MessageTooLarge { message, len, limit, .. } => (
            Mechanism::MessageTooLarge,
            format!("the {who} read the header of a {len}-byte {message}, above its message limit of {limit}, and refused it before reassembling it"),
        ),
        LocalError::FragmentedMessageRejected { message, len, .. } => (
            Mechanism::FragmentedMessageRejected,
            format!("the {who} read the header of a {len}-byte {message} split across records and refused it: its message limit is 0 (fragmented messages rejected)"),
        ),
        LocalError::NoSharedCipher => (
            Mechanism::NoSharedCipher,
            "the server accepts none of the cipher suites the client offered".into(),
        ),
        LocalError::NoSharedVersion { offered } => (
            Mechanism::NoSharedVersion,
            format!("no protocol version enabled on both sides (offered {offered})"),
        ),
        LocalError::DhGroupTooSmall { bits, min } => (
            Mechanism::DhGroupTooSmall,
            format!("the server's DH group has {bits} bits, below the client's minimum of {min}"),
        ),
        LocalError::EmsResumeMismatch { original_ems, hello_ems } => (
            Mechanism::EmsResumeMismatch,
            format!(
                "RFC 7627 §5.3: the original session {} EMS and the {} {} it; the {who} aborted the resumption",
                if *original_ems { "used" } else { "did not use" },
                if d.side == Side::Server { "ClientHello" } else { "ServerHello" },
                if *hello_ems { "carries" } else { "lacks" }
            ),
        ),
        LocalError::UnexpectedMessage { got, resumed: true }
            if *got == MessageKind::Handshake(HandshakeType::CertificateRequest)
                && s.truth.sent_cert_request_on_resume =>
        {
            (
                Mechanism::CertRequestOnResume,
                "the server sent CertificateRequest in an abbreviated handshake (not RFC 5246 compliant); the client answered unexpected_message".into(),
            )
        }
        LocalError::PeerClosed if d.peer_closed == Some(CloseKind::Rst) => (
            Mechanism::ConnectionReset,
            format!("the {who}'s connection was reset by the network or the peer before the handshake completed"),
        ),
        LocalError::PeerClosed => (
            Mechanism::ConnectionClosed,
            format!("the {who}'s peer closed the connection before the handshake completed"),
        ),
        LocalError::Timeout => (
            Mechanism::NetworkTimeout,
            format!("the {who} timed out waiting for the peer: the network stalled, dropped or partitioned the connection"),
        ),
        LocalError::DowngradeSentinel { version } => (
            Mechanism::Tls13DowngradeDetected,
            format!("the {who} offered TLS 1.3 but the server answered {version} with the RFC 8446 §4.1.3 downgrade sentinel in its random: the server enables TLS 1.3 and never saw the offer, so the {who} aborted"),
        ),
        LocalError::HelloRetryUnsupported => (
            Mechanism::Tls13HrrUnsupported,
            format!("the server asked for another key share (HelloRetryRequest) and the {who} cannot send a second ClientHello"),
        ),
        LocalError::NoCommonGroup => (
            Mechanism::Tls13NoCommonGroup,
            "TLS 1.3: the server accepts none of the groups in the client's supported_groups".into(),
        ),
        other => (
            Mechanism::ProtocolError,
            format!("the {who} rejected the handshake: {other:?}"),
        ),
    }
}

/// An error a side (`who`, its peer `peer`, as the explanation names them) found after its
/// handshake completed.
fn after_handshake(
    d: &LocalReport,
    err: &LocalError,
    who: &str,
    peer: &str,
) -> (Mechanism, String) {
    match err {
        LocalError::RenegotiationRefused => (
            Mechanism::RenegotiationRefused,
            format!(
                "after the handshake {peer} asked to renegotiate ({}) and {who} refused with a fatal alert (its renegotiation knob is handshake-failure-fatal; RFC 5746)",
                d.at.map_or_else(|| "?".to_string(), |m| m.to_string())
            ),
        ),
        other => (
            Mechanism::ProtocolError,
            format!("after the handshake {who} rejected a record from {peer}: {other:?}"),
        ),
    }
}

/// M2 when the client refused the server's public value, M3 the other way round.
fn short_public(refused_by: Side) -> Mechanism {
    match refused_by {
        Side::Client => Mechanism::DhShortServerPublic,
        Side::Server => Mechanism::DhShortClientPublic,
    }
}

/// A bridged connection, named from the tlsim side alone.
///
/// The real peer's secrets are invisible, so M1 is inferred: the peer (OpenSSL, which
/// strips Z's leading zeros in TLS 1.2 per RFC 5246 §8.1.2) rejected our Finished with
/// bad_record_mac (20) or decrypt_error (51) — or, as a server, we could not open the
/// peer's Finished — *and* the Z this side computed had a zero top byte that this side kept
/// ([`Truth::kept_leading_zero`]). Both facts come from what tlsim computed itself; the
/// peer's alert is what it really sent. Any other alert is [`Mechanism::PeerAlert`].
fn bridge(
    client: &LocalReport,
    server: &LocalReport,
    tlsim: Side,
    app_ok: bool,
    transport: Option<&str>,
) -> Verdict {
    let local = match tlsim {
        Side::Client => client,
        Side::Server => server,
    };
    let (us, peer) = (Some(tlsim), Some(tlsim.peer()));
    let at = local.at.map_or_else(|| "?".to_string(), |m| m.to_string());
    let zeros_text = || {
        format!(
            "Z had a leading zero byte and tlsim kept it ({} byte pre-master secret) while the real peer strips it (RFC 5246 §8.1.2): the master secrets differ (inferred from tlsim's own Z and pre-master secret)",
            local.truth.p_len.unwrap_or(0)
        )
    };
    let keep_zero = local.truth.kept_leading_zero();
    let after = (local.complete).then_some((&local.error, local.alert_received));
    let (mechanism, detected_by, explanation) = if let Some((Some(e), _)) = after {
        // tlsim found an error after the handshake and sent its alert.
        let (m, text) = after_handshake(local, e, "tlsim", "the peer");
        (Some(m), us, text)
    } else if let Some((None, Some(a))) = after {
        (
            Some(Mechanism::PeerAlert),
            peer,
            format!(
                "the peer sent fatal alert {} ({}) after the handshake",
                a.to_u8(),
                a.name()
            ),
        )
    } else if local.complete {
        if app_ok {
            (
                None,
                None,
                format!(
                    "{} handshake completed ({}, {}) and the application-data round trip succeeded",
                    local.kind,
                    local.version.as_deref().unwrap_or("?"),
                    local.suite.as_deref().unwrap_or("?")
                ),
            )
        } else {
            (
                Some(Mechanism::AppData),
                us,
                format!(
                    "the handshake completed but the application-data round trip did not ({})",
                    transport.unwrap_or("no answer")
                ),
            )
        }
    } else {
        use AlertDescription::{BadRecordMac, DecryptError};
        match (&local.error, local.alert_received) {
            (Some(LocalError::BadRecordMac | LocalError::FinishedMismatch), _) if keep_zero => {
                (Some(Mechanism::DhPremasterZeros), us, zeros_text())
            }
            (None | Some(LocalError::PeerClosed), Some(a @ (BadRecordMac | DecryptError)))
                if keep_zero =>
            {
                (
                    Some(Mechanism::DhPremasterZeros),
                    peer,
                    format!(
                        "the peer sent alert {} ({}) after tlsim's Finished; {}",
                        a.to_u8(),
                        a.name(),
                        zeros_text()
                    ),
                )
            }
            // M5 seen from a misbehaving tlsim server: what it sent is its own truth, and the
            // real client's unexpected_message is what it really sent.
            (None | Some(LocalError::PeerClosed), Some(AlertDescription::UnexpectedMessage))
                if local.truth.sent_cert_request_on_resume =>
            {
                (
                    Some(Mechanism::CertRequestOnResume),
                    peer,
                    "tlsim sent CertificateRequest in an abbreviated handshake (not RFC 5246 compliant); the peer answered unexpected_message (10)".into(),
                )
            }
            (None | Some(LocalError::PeerClosed), Some(a)) => (
                Some(Mechanism::PeerAlert),
                peer,
                format!(
                    "the peer sent fatal alert {} ({}) while tlsim was waiting for {at}",
                    a.to_u8(),
                    a.name()
                ),
            ),
            (Some(LocalError::PeerClosed), None) => (
                Some(Mechanism::ConnectionClosed),
                peer,
                format!(
                    "the peer closed the connection ({}) without an alert, waiting for {at}",
                    match local.peer_closed {
                        Some(CloseKind::Rst) => "RST",
                        _ => "FIN",
                    },
                ),
            ),
            (Some(LocalError::Timeout), _) => (
                Some(Mechanism::NetworkTimeout),
                us,
                format!(
                    "tlsim gave up waiting for the peer's {at}: {}",
                    transport.unwrap_or("deadline passed")
                ),
            ),
            (Some(LocalError::ShortPeerPublic { len, p_len }), _) => (
                Some(short_public(tlsim)),
                us,
                format!("the peer's DH public value was {len} bytes, shorter than p ({p_len}), and this tlsim profile rejects short values"),
            ),
            // Anything else tlsim refused itself: the simulated-mode diagnosis, with the
            // peer's report empty.
            (Some(e), _) => (
                Some(diagnose(local, client, server).0),
                us,
                format!("tlsim rejected the handshake: {e:?}"),
            ),
            (None, None) => (
                Some(Mechanism::Incomplete),
                None,
                format!(
                    "the handshake did not complete: {}",
                    transport.unwrap_or("no error reported")
                ),
            ),
        }
    };
    let failed = mechanism.is_some();
    let alert = if failed {
        local.alert_sent.or(local.alert_received)
    } else {
        None
    };
    let close = if !failed {
        None
    } else if alert.is_some() {
        Some(Close::Alert)
    } else if local.closed_with == Some(CloseKind::Rst) || local.peer_closed == Some(CloseKind::Rst)
    {
        Some(Close::Rst)
    } else {
        Some(Close::Fin)
    };
    Verdict {
        status: if failed { Status::Failed } else { Status::Ok },
        mechanism,
        detected_by,
        at: if failed { local.at } else { None },
        alert,
        close,
        explanation,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Outcome, Pair, Secret};
    use crate::profile::load;

    fn pair_run(client: &str, server: &str, seed: u64) -> Outcome {
        let p = |n: &str| load(n).unwrap_or_else(|e| panic!("profile {n}: {e}"));
        Pair::new(p(client), p(server), seed).connect().outcome
    }

    /// A failure always names its mechanism, and a success never does.
    fn consistent(v: &Verdict) {
        assert_eq!(v.mechanism.is_some(), v.status == Status::Failed, "{v:#?}");
    }

    #[test]
    fn ftps_refusal_overrides_a_completed_handshake() {
        let o = pair_run("rfc-strict", "rfc-strict", 1);
        assert!(o.ok());
        let v = classify(
            &o.client,
            &o.server,
            &Context::FtpsDataRefused { reply: "425 no" },
        );
        consistent(&v);
        assert_eq!(v.mechanism, Some(Mechanism::FtpsDataNotResumed));
        assert_eq!(
            (v.detected_by, v.close),
            (Some(Side::Server), Some(Close::Fin))
        );
        assert_eq!((v.at, v.alert), (None, None));
        assert!(v
            .explanation
            .contains("full handshake, so it replied \"425 no\""));
    }

    #[test]
    fn bridge_names_m1_from_the_tlsim_side_alone() {
        let mut local = LocalReport::new(Side::Client);
        local.truth.p_len = Some(4);
        local.truth.z = Some(Secret(vec![1, 2, 3]));
        local.truth.premaster = Some(Secret(vec![0, 1, 2, 3]));
        local.alert_received = Some(AlertDescription::BadRecordMac);
        local.peer_closed = Some(CloseKind::Fin);
        local.error = Some(LocalError::PeerClosed);
        local.at = Some(MessageKind::CHANGE_CIPHER_SPEC);
        let peer = LocalReport::new(Side::Server);
        let ctx = Context::Bridge {
            tlsim: Side::Client,
            app_ok: false,
            transport: None,
        };
        let v = classify(&local, &peer, &ctx);
        consistent(&v);
        assert_eq!(v.mechanism, Some(Mechanism::DhPremasterZeros));
        assert_eq!(
            v.detected_by,
            Some(Side::Server),
            "the real peer detected it"
        );
        assert_eq!(v.alert, Some(AlertDescription::BadRecordMac));
        assert_eq!(v.close, Some(Close::Alert));
        // Without the kept zero, the same alert is only the peer's.
        local.truth.premaster = Some(Secret(vec![1, 2, 3]));
        let v = classify(&local, &peer, &ctx);
        assert_eq!(v.mechanism, Some(Mechanism::PeerAlert));
        assert!(
            v.explanation
                .contains("alert 20 (bad_record_mac) while tlsim was waiting for ChangeCipherSpec"),
            "{v:#?}"
        );
        // An alert number no enum variant names is kept as it was on the wire.
        local.alert_received = Some(AlertDescription::from(255));
        let v = classify(&local, &peer, &ctx);
        assert_eq!(v.alert.map(AlertDescription::to_u8), Some(255));
    }

    #[test]
    fn bridge_success_needs_the_application_round_trip() {
        let o = pair_run("rfc-strict", "rfc-strict", 1);
        let peer = LocalReport::new(Side::Server);
        for (app_ok, want) in [(true, None), (false, Some(Mechanism::AppData))] {
            let ctx = Context::Bridge {
                tlsim: Side::Client,
                app_ok,
                transport: None,
            };
            let v = classify(&o.client, &peer, &ctx);
            consistent(&v);
            assert_eq!(v.mechanism, want);
        }
    }

    #[test]
    fn pair_verdicts_are_consistent() {
        for (c, s, seed) in [
            ("rfc-strict", "rfc-strict", 1),
            ("rfc-strict", "elb-tls-1-2-2017-01", 1),
            ("schannel-message-limits", "big-chain", 1),
        ] {
            let o = pair_run(c, s, seed);
            consistent(&classify(&o.client, &o.server, &Context::Pair));
        }
    }
}
