//! Each peer speaks its own vendor's words (issue 17): the same mechanism seen by a Windows,
//! OpenSSL, Java and FTP peer, snapshotted; no non-Windows peer of the whole catalogue is
//! ever given a Schannel event or an SSPI code; the flagship names event 36888 and a SEC_E
//! code.

use tlsim::engine::{
    CloseKind, HandshakeKind, LocalError, LocalReport, Mechanism, MessageKind, Outcome, Pair, Side,
};
use tlsim::profile::{catalogue_names, load, Profile, Stack};
use tlsim::report::explain::side_view;
use tlsim::report::words::vendor_texts;
use tlsim::wire::{suite_by_name, AlertDescription, HandshakeType};

fn snap(name: &str, text: String) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(name.to_string(), text));
}

/// What only a Windows peer may say.
const WINDOWS_ONLY: &[&str] = &[
    "Schannel",
    "36874",
    "36887",
    "36888",
    "SEC_E_",
    "0x8009",
    "SSPI",
    "WSAE",
    "10054",
    "SSL/TLS secure channel",
];

fn prof(name: &str) -> Profile {
    load(name).unwrap_or_else(|e| panic!("profile {name}: {e}"))
}

/// Offer only TLS_DHE_RSA_WITH_AES_256_GCM_SHA384 (as the KB4557473 application does) and
/// never resume, so every connection computes a fresh Z.
fn dhe_first(mut p: Profile) -> Profile {
    p.client_suites = ["TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"]
        .iter()
        .filter_map(|s| suite_by_name(s).map(|i| i.suite))
        .collect();
    p.client_resumes = false;
    p
}

/// The first seed whose connection fails on M1 (Z with a leading zero byte, kept by one
/// side and stripped by the other): about one in 256.
fn first_m1(client: &str, server: &str) -> Outcome {
    let (c, s) = (dhe_first(prof(client)), prof(server));
    (0..5000)
        .map(|seed| Pair::new(c.clone(), s.clone(), seed).connect().outcome)
        .find(|o| o.mechanism == Some(Mechanism::DhPremasterZeros))
        .unwrap_or_else(|| panic!("{client} → {server}: no M1 failure in 5000 seeds"))
}

/// M1 (`dh-premaster-zeros`) against different peers: the Windows client's event 36887
/// with alert 20 and SEC_E_MESSAGE_ALTERED (KB4528489) against a non-Windows server, and
/// each non-Windows peer in its own words.
#[test]
fn m1_in_each_peers_words() {
    let pairs = [
        // Windows client keeps Z's zeros; the servers strip them (RFC 5246 §8.1.2).
        ("win2012r2@2019-10-08", "openssl-1.0.2"),
        ("win2012r2@2019-10-08", "openssl-3.0"),
        ("win2012r2@2019-10-08", "java-8u161"),
        ("win2012r2@2019-10-08", "filezilla-server-0.9.60"),
        ("win2012r2@2019-10-08", "win2019-sqlserver"),
        // Non-Windows clients strip; the Windows server keeps.
        ("java-8u161", "win2012r2@2019-10-08"),
        ("openssl-1.1.1", "win2012r2@2019-10-08"),
    ];
    let mut text = String::new();
    for (client, server) in pairs {
        let o = first_m1(client, server);
        text.push_str(&format!(
            "{client} → {server} ({}, detected by the {}):\n  client: {}\n  server: {}\n\n",
            o.suite.as_deref().unwrap_or("-"),
            o.detected_by.map(Side::name).unwrap_or("-"),
            side_view(&o.client),
            side_view(&o.server)
        ));
    }
    // KB4528489: the Windows client logs 36887 with alert 20 and gets 0x8009030F.
    assert!(text.contains("Schannel event 36887"), "{text}");
    assert!(text.contains("SEC_E_MESSAGE_ALTERED 0x8009030F"), "{text}");
    snap("vendor-words-m1", text);
}

/// Every error this engine can report, as the detecting side.
fn errors() -> Vec<LocalError> {
    vec![
        LocalError::Decode { what: "x".into() },
        LocalError::UnexpectedMessage {
            got: MessageKind::Handshake(HandshakeType::CertificateRequest),
            resumed: true,
        },
        LocalError::BadRecordMac,
        LocalError::FinishedMismatch,
        LocalError::BadSignature,
        LocalError::NoSharedCipher,
        LocalError::NoSharedVersion {
            offered: "TLS 1.0".into(),
        },
        LocalError::DhGroupTooSmall {
            bits: 768,
            min: 1024,
        },
        LocalError::ShortPeerPublic {
            len: 255,
            p_len: 256,
        },
        LocalError::BadPeerPublic,
        LocalError::MessageTooLarge {
            message: "Certificate".into(),
            len: 40_000,
            limit: 0x8000,
            records: 1,
        },
        LocalError::FragmentedMessageRejected {
            message: "Certificate".into(),
            len: 3_000,
            records: 2,
        },
        LocalError::EmsResumeMismatch {
            original_ems: false,
            hello_ems: true,
        },
        LocalError::IllegalParameter { what: "x".into() },
        LocalError::UnsupportedExtension { what: "x".into() },
    ]
}

/// Every report a side can end with: detector (alert, FIN, RST), victim (each alert
/// received, FIN, RST), timeout; on both sides, for a GCM and a CBC suite.
fn reports(stack: Stack) -> Vec<LocalReport> {
    let mut out = Vec::new();
    for side in [Side::Client, Side::Server] {
        for suite in [
            "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
        ] {
            let base = LocalReport {
                stack,
                suite: Some(suite.into()),
                kind: HandshakeKind::Full,
                ..LocalReport::new(side)
            };
            for e in errors() {
                out.push(LocalReport {
                    alert_sent: Some(e.alert()),
                    closed_with: Some(CloseKind::Fin),
                    error: Some(e.clone()),
                    ..base.clone()
                });
                for close in [CloseKind::Fin, CloseKind::Rst] {
                    out.push(LocalReport {
                        closed_with: Some(close),
                        error: Some(e.clone()),
                        ..base.clone()
                    });
                }
            }
            for a in (0..=255u8).map(AlertDescription::from) {
                out.push(LocalReport {
                    alert_received: Some(a),
                    peer_closed: Some(CloseKind::Fin),
                    ..base.clone()
                });
            }
            for close in [CloseKind::Fin, CloseKind::Rst] {
                out.push(LocalReport {
                    error: Some(LocalError::PeerClosed),
                    peer_closed: Some(close),
                    ..base.clone()
                });
            }
            out.push(LocalReport {
                error: Some(LocalError::Timeout),
                closed_with: Some(CloseKind::Fin),
                ..base.clone()
            });
        }
    }
    out
}

/// Every profile of the catalogue (test profiles, every build and stack, and Windows builds
/// at a patch level) × every report the explainer can be given: a non-Windows peer never
/// names a Schannel event, an SSPI code or a WinSock error; a Windows peer always names the
/// Schannel event of an alert it sent or received.
#[test]
fn no_non_windows_peer_is_given_schannel_words() {
    let mut names = catalogue_names();
    names.extend(
        [
            "win2012r2@2019-10-08",
            "win2016+KB4537806",
            "win7@2019-10-08",
        ]
        .map(String::from),
    );
    let mut windows = 0;
    let mut others = 0;
    for name in &names {
        let p = prof(name);
        let is_windows = name.starts_with("win") || name == "schannel";
        assert_eq!(
            p.stack.is_windows(),
            is_windows,
            "{name}: stack {} (Windows builds and only they are schannel)",
            p.stack
        );
        for r in reports(p.stack) {
            let view = side_view(&r);
            if p.stack.is_windows() {
                windows += 1;
                let alert = r.alert_sent.or(r.alert_received);
                if alert.is_some_and(|a| a != AlertDescription::CloseNotify) {
                    assert!(view.contains("Schannel event 3688"), "{name}: {view}");
                    assert!(view.contains("SEC_E_"), "{name}: {view}");
                }
            } else {
                others += 1;
                for w in WINDOWS_ONLY {
                    assert!(!view.contains(w), "{name} ({}): {w:?} in {view}", p.stack);
                }
            }
        }
    }
    assert!(windows > 0 && others > 0, "{windows} / {others}");
}

/// Every stack, not only those the catalogue uses: only Schannel's texts are Windows texts,
/// and every text names its source.
#[test]
fn every_vocabulary_keeps_to_its_own_words() {
    for stack in Stack::ALL {
        for r in reports(stack) {
            for t in vendor_texts(&r) {
                assert_eq!(t.stack, stack);
                assert!(!t.source.trim().is_empty(), "{stack}: {t} has no source");
                if !stack.is_windows() {
                    for w in WINDOWS_ONLY {
                        assert!(!t.to_string().contains(w), "{stack}: {w:?} in {t}");
                    }
                }
            }
        }
    }
}

/// Test profiles speak the RFC's words only.
#[test]
fn test_profiles_are_generic() {
    for name in [
        "rfc-strict",
        "keep-zeros",
        "strip-zeros",
        "schannel-message-limits",
    ] {
        assert_eq!(prof(name).stack, Stack::Generic, "{name}");
    }
}

/// The October 2019 fleet, the scenario the flagship (`tlsim` with no arguments) runs and
/// explains with the same `explain::both_views`, names the event KB4557473 says the server
/// logs and the SSPI status of its alert (the snapshot itself is checked by
/// tests/scenarios.rs; the flagship's own text by /work/baseline/capture.sh, see the
/// report of issue 17).
#[test]
fn flagship_names_event_36888_and_a_sec_e_code() {
    let flagship = include_str!("../snapshots/october-2019-fleet.snap");
    assert!(flagship.contains("Schannel event 36888"), "{flagship}");
    assert!(
        flagship.contains("SEC_E_MESSAGE_ALTERED 0x8009030F"),
        "{flagship}"
    );
    assert!(
        flagship.contains("An existing connection was forcibly closed by the remote host"),
        "{flagship}"
    );
}
