//! The bridge client's rules, which are the client engine's rules (simulated mode too):
//! a ServerHello extension the client never offered aborts the handshake with
//! unsupported_extension (RFC 5246 §7.4.1.4), and `bridge connect` refuses, before
//! connecting, a suite list that bridge mode cannot run.
//!
//! The "server" here is a few lines of Rust on loopback that answer a crafted ServerHello,
//! so these tests need no OpenSSL.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;
use tlsim::bridge::{self, AppScript, Detector, Limits};
use tlsim::engine::{Connection, LocalError, PeerState};
use tlsim::profile::Profile;
use tlsim::seed::rng_for;
use tlsim::wire::{
    suite_by_name, CompressionMethod, ContentType, HandshakeMessage, HandshakePayload,
    ProtocolVersion, Record, ServerExtension, ServerHello, SessionId,
};

fn prof(name: &str) -> Profile {
    tlsim::profile::load(name).unwrap()
}

const ECDHE128: &str = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256";

/// A ServerHello record for `suite` carrying `extensions`.
fn server_hello_record(suite: &str, extensions: Vec<ServerExtension>) -> Vec<u8> {
    let sh = ServerHello {
        version: ProtocolVersion::TLSv1_2,
        random: [7; 32],
        session_id: SessionId(vec![1; 32]),
        suite: suite_by_name(suite).unwrap().suite,
        compression: CompressionMethod::Null,
        extensions,
    };
    let msg = HandshakeMessage::new(HandshakePayload::ServerHello(sh)).to_bytes();
    Record {
        typ: ContentType::Handshake,
        version: ProtocolVersion::TLSv1_2,
        fragment: msg,
    }
    .to_bytes()
}

/// A simulated-mode client fed `record` after its ClientHello; returns its error and the
/// alert it sent.
fn client_answer(p: Profile, record: &[u8]) -> (Option<LocalError>, Option<u8>) {
    let mut state = PeerState::new(&mut rng_for(1, &[9]));
    let mut c = Connection::client(Arc::new(p), "server", rng_for(1, &[0]), 0, &mut state);
    while c.poll_transmit().is_some() {}
    c.handle_input(1, record, &mut state);
    (
        c.report().error.clone(),
        c.report().alert_sent.map(|a| a.to_u8()),
    )
}

#[test]
fn unsolicited_server_hello_extensions_abort_with_unsupported_extension() {
    // session_ticket acknowledged to a client that sent no session_ticket extension.
    let mut p = prof("rfc-strict");
    p.client_tickets = false;
    let rec = server_hello_record(ECDHE128, vec![ServerExtension::SessionTicket]);
    let (err, alert) = client_answer(p, &rec);
    assert!(
        matches!(err, Some(LocalError::UnsupportedExtension { .. })),
        "{err:?}"
    );
    assert_eq!(alert, Some(110));

    // An extension type the client never sends at all (ALPN, 16).
    let rec = server_hello_record(
        ECDHE128,
        vec![
            ServerExtension::RenegotiationInfo(Vec::new()),
            ServerExtension::Unknown {
                typ: 16,
                data: vec![0, 3, 2, b'h', b'2'],
            },
        ],
    );
    let (err, alert) = client_answer(prof("rfc-strict"), &rec);
    assert!(
        matches!(err, Some(LocalError::UnsupportedExtension { .. })),
        "{err:?}"
    );
    assert_eq!(alert, Some(110));

    // ec_point_formats to a client that offered no ECC extensions (no curves).
    let mut p = prof("rfc-strict");
    p.curves.clear();
    let rec = server_hello_record(ECDHE128, vec![ServerExtension::EcPointFormats(vec![0])]);
    let (err, alert) = client_answer(p, &rec);
    assert!(
        matches!(err, Some(LocalError::UnsupportedExtension { .. })),
        "{err:?}"
    );
    assert_eq!(alert, Some(110));

    // The same ServerHello without the unsolicited extension is accepted (the client then
    // waits for the Certificate).
    let rec = server_hello_record(
        ECDHE128,
        vec![
            ServerExtension::RenegotiationInfo(Vec::new()),
            ServerExtension::EcPointFormats(vec![0]),
        ],
    );
    let (err, alert) = client_answer(prof("rfc-strict"), &rec);
    assert_eq!((err, alert), (None, None));
}

/// A tlsim bridge client against a loopback "server" that reads the ClientHello and answers
/// a ServerHello acknowledging an extension the client never offered: the client aborts
/// with alert 110 on the wire.
#[test]
fn bridge_client_refuses_unsolicited_extension_on_the_wire() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = vec![0u8; 4096];
        let n = s.read(&mut buf).unwrap();
        assert!(n > 5 && buf[0] == 22, "a ClientHello record");
        let rec = server_hello_record(
            ECDHE128,
            vec![
                ServerExtension::RenegotiationInfo(Vec::new()),
                ServerExtension::Unknown {
                    typ: 0x3374,
                    data: Vec::new(),
                },
            ],
        );
        s.write_all(&rec).unwrap();
        // What the client sends back: its alert.
        let mut got = Vec::new();
        let _ = s.read_to_end(&mut got);
        got
    });
    let v = bridge::connect(
        &addr,
        prof("rfc-strict"),
        &bridge::ConnectOptions {
            count: 1,
            resume: false,
            seed: 1,
            script: AppScript::default(),
            limits: Limits::default(),
        },
        |_| {},
    )
    .unwrap();
    let o = &v[0];
    assert!(!o.ok());
    assert_eq!(o.alert.map(|a| a.to_u8()), Some(110), "{o:#?}");
    assert_eq!(o.detected_by, Some(Detector::Tlsim));
    let got = server.join().unwrap();
    // Alert record: type 21, version, length 2, fatal (2), unsupported_extension (110).
    assert_eq!(got.get(..1), Some(&[21u8][..]), "{got:?}");
    assert_eq!(got.get(5..7), Some(&[2u8, 110][..]), "{got:?}");
}

/// A client profile that bridge mode cannot run is refused before any connection: here
/// only a 3DES suite (bridge mode runs RSA and (EC)DHE_RSA with AES-GCM or AES-CBC only).
#[test]
fn bridge_connect_refuses_an_empty_suite_list_before_connecting() {
    // Nothing listens here; the error must come before any connection attempt.
    let mut p = prof("rfc-strict");
    p.client_suites = vec![
        suite_by_name("TLS_RSA_WITH_3DES_EDE_CBC_SHA")
            .unwrap()
            .suite,
    ];
    let e =
        bridge::connect("127.0.0.1:9", p, &bridge::ConnectOptions::default(), |_| {}).unwrap_err();
    assert!(e.contains("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"), "{e}");

    // A TLS 1.0-only client with only GCM suites (TLS 1.2 only), which it would not offer.
    let mut p = prof("rfc-strict");
    p.client_versions = vec![tlsim::profile::TlsVersion::Tls10];
    p.client_suites
        .retain(|s| tlsim::wire::suite_info(*s).is_some_and(|i| i.tls12_only));
    let e =
        bridge::connect("127.0.0.1:9", p, &bridge::ConnectOptions::default(), |_| {}).unwrap_err();
    assert!(e.to_lowercase().contains("suite"), "{e}");
}
