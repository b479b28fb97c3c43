//! RFC conformance of the engine at the record layer and after the handshake (issue 15):
//! which extensions a ServerHello may carry, fatal errors after the handshake and the alert
//! they put on the wire, renegotiation requests, record size limits, close_notify, and the
//! message a report names as `at`. The tests reach into the connection to seal records with
//! the peer's keys, as a real peer (or an attacker on the wire) would send them.

use super::*;
use crate::engine::{Mechanism, Outcome, Status};
use crate::profile::Renegotiation;
use crate::seed::rng_for;

fn profile(f: impl FnOnce(&mut Profile)) -> Arc<Profile> {
    let mut p = crate::profile::load("rfc-strict").unwrap();
    f(&mut p);
    Arc::new(p)
}

/// A client and a server engine in memory.
struct Two {
    c: Connection,
    s: Connection,
    cs: PeerState,
    ss: PeerState,
}

impl Two {
    fn new(client: Arc<Profile>, server: Arc<Profile>) -> Two {
        let mut cs = PeerState::new(&mut rng_for(7, &[9]));
        let ss = PeerState::new(&mut rng_for(7, &[10]));
        let c = Connection::client(client, "s", rng_for(7, &[0]), 0, &mut cs);
        let s = Connection::server(server, rng_for(7, &[1]), 0);
        Two { c, s, cs, ss }
    }

    /// Completed handshake between two rfc-strict peers (with `f` applied to both).
    fn connected(f: impl Fn(&mut Profile)) -> Two {
        let p = profile(f);
        let mut t = Two::new(p.clone(), p);
        t.converse();
        assert!(t.c.is_handshake_complete() && t.s.is_handshake_complete());
        t
    }

    /// Moves every transmit (and close) between the two until neither has anything to send.
    fn converse(&mut self) {
        for _ in 0..16 {
            let mut moved = false;
            while let Some(t) = self.c.poll_transmit() {
                moved = true;
                deliver(&mut self.s, t, &mut self.ss);
            }
            while let Some(t) = self.s.poll_transmit() {
                moved = true;
                deliver(&mut self.c, t, &mut self.cs);
            }
            if !moved {
                break;
            }
        }
    }

    fn outcome(&self) -> Outcome {
        Outcome::from_reports(self.c.report().clone(), self.s.report().clone())
    }
}

fn deliver(to: &mut Connection, t: Transmit, state: &mut PeerState) {
    if !t.bytes.is_empty() {
        to.handle_input(10, &t.bytes, state);
    }
    if let Some(k) = t.close {
        to.handle_close(10, k);
    }
}

fn drain(c: &mut Connection) -> Vec<Transmit> {
    std::iter::from_fn(|| c.poll_transmit()).collect()
}

/// The records in a list of transmits, in order.
fn records(ts: &[Transmit]) -> Vec<Record> {
    let mut d = RecordDeframer::new();
    let mut out = Vec::new();
    for t in ts {
        d.push(&t.bytes);
        while let Some(r) = d.pop().unwrap() {
            out.push(r);
        }
    }
    out
}

/// The handshake messages carried by unprotected handshake records.
fn handshake_messages(recs: &[Record]) -> Vec<HandshakeMessage> {
    let mut j = HandshakeJoiner::new();
    for r in recs.iter().filter(|r| r.typ == ContentType::Handshake) {
        j.push(&r.fragment).unwrap();
    }
    std::iter::from_fn(|| j.pop())
        .map(|m| HandshakeMessage::read(&mut Reader::new(&m.raw), true).unwrap())
        .collect()
}

/// A record sealed with `from`'s current write keys, as `from` would send it.
fn sealed(from: &mut Connection, typ: ContentType, plain: &[u8]) -> Vec<u8> {
    let w = from.common.record.write.as_mut().expect("write keys");
    let fragment = w.seal(typ.to_u8(), ProtocolVersion::TLSv1_2.to_u16(), plain);
    Record {
        typ,
        version: ProtocolVersion::TLSv1_2,
        fragment,
    }
    .to_bytes()
}

/// The plaintext of a protected record `to` received, opened with (a copy of) `to`'s read
/// keys: `to` itself can still receive the record afterwards.
fn opened(to: &Connection, r: &Record) -> Vec<u8> {
    let mut rd = to.common.record.read.clone().expect("read keys");
    rd.open(r.typ.to_u8(), r.version.to_u16(), &r.fragment)
        .expect("the record opens")
}

fn is_fin(t: &Transmit) -> bool {
    t.bytes.is_empty() && t.close == Some(CloseKind::Fin)
}

/// A ClientHello as the client engine would start a handshake with (its handshake-message
/// bytes), from a fresh client connection of profile `p`.
fn fresh_client_hello(p: Arc<Profile>) -> ClientHello {
    let mut st = PeerState::new(&mut rng_for(8, &[9]));
    let mut c = Connection::client(p, "s", rng_for(8, &[0]), 0, &mut st);
    let msgs = handshake_messages(&records(&drain(&mut c)));
    match msgs.into_iter().next().map(|m| m.payload) {
        Some(HandshakePayload::ClientHello(ch)) => ch,
        other => panic!("not a ClientHello: {other:?}"),
    }
}

fn hello_record(ch: ClientHello) -> Vec<u8> {
    Record {
        typ: ContentType::Handshake,
        version: ProtocolVersion::TLSv1_0,
        fragment: HandshakeMessage::new(HandshakePayload::ClientHello(ch)).to_bytes(),
    }
    .to_bytes()
}

/// The ServerHello a fresh server of profile `p` answers `ch` with.
fn server_hello(p: Arc<Profile>, ch: ClientHello) -> ServerHello {
    let mut st = PeerState::new(&mut rng_for(8, &[10]));
    let mut s = Connection::server(p, rng_for(8, &[1]), 0);
    s.handle_input(1, &hello_record(ch), &mut st);
    let msgs = handshake_messages(&records(&drain(&mut s)));
    match msgs.into_iter().next().map(|m| m.payload) {
        Some(HandshakePayload::ServerHello(sh)) => sh,
        other => panic!("no ServerHello: {other:?}"),
    }
}

// ------------------------------------------------------------------ defect 1

/// RFC 8422 §5.2, RFC 5246 §7.4.1.4: ec_point_formats in the ServerHello only when the
/// ClientHello offered it; an ECDHE suite is still negotiated without it (RFC 8422 §5.1:
/// "uncompressed" is implied).
#[test]
fn server_hello_echoes_ec_point_formats_only_when_offered() {
    let p = profile(|_| {});
    for offered in [true, false] {
        let mut ch = fresh_client_hello(p.clone());
        if !offered {
            ch.extensions
                .retain(|e| e.ext_type() != ExtensionType::EcPointFormats);
        }
        let sh = server_hello(p.clone(), ch);
        assert!(suite_info(sh.suite).is_some_and(|i| i.is_ecdhe()), "{sh:?}");
        assert_eq!(
            sh.has_ext(ExtensionType::EcPointFormats),
            offered,
            "offered {offered}: {sh:?}"
        );
    }
}

/// RFC 5746 §3.6: renegotiation_info in the ServerHello only when the ClientHello signalled
/// secure renegotiation, with the extension or with TLS_EMPTY_RENEGOTIATION_INFO_SCSV; a
/// client that sent neither (GnuTLS with %DISABLE_SAFE_RENEGOTIATION, SSL 3.0-era stacks)
/// gets no unsolicited extension (RFC 5246 §7.4.1.4).
#[test]
fn server_hello_answers_renegotiation_info_only_when_signalled() {
    let p = profile(|_| {});
    for (ext, scsv) in [(true, false), (false, true), (false, false)] {
        let mut ch = fresh_client_hello(p.clone());
        if !ext {
            (ch.extensions).retain(|e| e.ext_type() != ExtensionType::RenegotiationInfo);
        }
        if scsv {
            ch.suites
                .push(CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
        }
        let sh = server_hello(p.clone(), ch);
        assert_eq!(
            sh.has_ext(ExtensionType::RenegotiationInfo),
            ext || scsv,
            "extension {ext}, SCSV {scsv}: {sh:?}"
        );
    }
}

// ------------------------------------------------------------------ defect 2

/// A corrupted application-data record after the handshake: the receiver sends a fatal
/// bad_record_mac before its FIN, the peer records the alert, and the connection is a
/// failure, not `ok`.
#[test]
fn corrupted_record_after_the_handshake_fails_the_connection_with_its_alert() {
    let mut t = Two::connected(|_| {});
    t.c.send_app_data(b"ping\n");
    let mut rec = drain(&mut t.c).remove(0).bytes;
    *rec.last_mut().unwrap() ^= 1;
    t.s.handle_input(20, &rec, &mut t.ss);
    let out = drain(&mut t.s);
    let recs = records(&out);
    assert_eq!(out.len(), 2, "{out:?}");
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].typ, ContentType::Alert);
    assert_eq!(
        opened(&t.c, &recs[0]),
        vec![2, AlertDescription::BadRecordMac.to_u8()]
    );
    assert!(is_fin(&out[1]), "the alert goes before the FIN: {out:?}");
    assert_eq!(
        t.s.report().alert_sent,
        Some(AlertDescription::BadRecordMac)
    );
    assert_eq!(t.s.report().at, Some(MessageKind::APPLICATION_DATA));
    // The client receives the alert: a fatal alert after the handshake is recorded.
    for tr in out {
        deliver(&mut t.c, tr, &mut t.cs);
    }
    assert_eq!(
        t.c.report().alert_received,
        Some(AlertDescription::BadRecordMac)
    );
    let o = t.outcome();
    assert_eq!(o.outcome, Status::Failed, "{o:#?}");
    assert_eq!(o.detected_by, Some(Side::Server));
    assert_eq!(o.alert, Some(AlertDescription::BadRecordMac));
    assert_eq!(o.at, Some(MessageKind::APPLICATION_DATA));
    assert!(
        o.explanation.contains("after the handshake"),
        "{}",
        o.explanation
    );
}

/// A ClientHello after the handshake (a client-initiated renegotiation), refused per the
/// server's `renegotiation` knob: a warning no_renegotiation and the connection goes on
/// (OpenSSL 3's default), or a fatal handshake_failure and the connection is a failure
/// named `renegotiation-refused`.
#[test]
fn client_renegotiation_is_refused_per_the_server_knob() {
    let hello = HandshakeMessage::new(HandshakePayload::ClientHello(fresh_client_hello(profile(
        |_| {},
    ))))
    .to_bytes();

    let mut t = Two::connected(|_| {});
    let rec = sealed(&mut t.c, ContentType::Handshake, &hello);
    t.s.handle_input(20, &rec, &mut t.ss);
    let out = drain(&mut t.s);
    let recs = records(&out);
    assert_eq!((out.len(), recs.len()), (1, 1), "{out:?}");
    assert_eq!(recs[0].typ, ContentType::Alert);
    assert_eq!(
        opened(&t.c, &recs[0]),
        vec![1, AlertDescription::NoRenegotiation.to_u8()]
    );
    assert!(t.s.is_handshake_complete() && !t.s.is_closed());
    // The connection goes on: application data still flows.
    t.c.send_app_data(b"after\n");
    t.converse();
    assert_eq!(t.s.take_app_data(), b"after\n");
    assert!(t.outcome().ok(), "{:#?}", t.outcome());

    let mut t = Two::connected(|p| p.renegotiation = Renegotiation::HandshakeFailureFatal);
    let rec = sealed(&mut t.c, ContentType::Handshake, &hello);
    t.s.handle_input(20, &rec, &mut t.ss);
    let out = drain(&mut t.s);
    let recs = records(&out);
    assert_eq!((out.len(), recs.len()), (2, 1), "{out:?}");
    assert_eq!(
        opened(&t.c, &recs[0]),
        vec![2, AlertDescription::HandshakeFailure.to_u8()]
    );
    assert!(is_fin(&out[1]));
    let o = t.outcome();
    assert_eq!(o.outcome, Status::Failed, "{o:#?}");
    assert_eq!(o.mechanism, Some(Mechanism::RenegotiationRefused));
    assert_eq!(o.detected_by, Some(Side::Server));
    assert_eq!(o.alert, Some(AlertDescription::HandshakeFailure));
    assert_eq!(
        o.at,
        Some(MessageKind::Handshake(HandshakeType::ClientHello))
    );
}

/// A HelloRequest after the handshake (a server-initiated renegotiation), refused per the
/// client's knob.
#[test]
fn server_renegotiation_is_refused_per_the_client_knob() {
    let hr = HandshakeMessage::new(HandshakePayload::HelloRequest).to_bytes();
    for (knob, want, closes) in [
        (
            Renegotiation::NoRenegotiationWarning,
            vec![1, AlertDescription::NoRenegotiation.to_u8()],
            false,
        ),
        (
            Renegotiation::HandshakeFailureFatal,
            vec![2, AlertDescription::HandshakeFailure.to_u8()],
            true,
        ),
    ] {
        let mut t = Two::connected(|p| p.renegotiation = knob);
        let rec = sealed(&mut t.s, ContentType::Handshake, &hr);
        t.c.handle_input(20, &rec, &mut t.cs);
        let out = drain(&mut t.c);
        let recs = records(&out);
        assert_eq!(opened(&t.s, &recs[0]), want, "{knob:?}");
        assert_eq!(t.c.is_closed(), closes, "{knob:?}");
        assert_eq!(t.outcome().ok(), !closes, "{knob:?}");
    }
}

// ------------------------------------------------------------------ defect 3

/// RFC 5246 §6.2.1: a TLSPlaintext fragment longer than 2^14 is a fatal record_overflow,
/// before the handshake (an unprotected record) and after it (a protected record whose
/// ciphertext is within 2^14 + 2048 but whose plaintext is not within 2^14).
#[test]
fn records_longer_than_their_limit_are_a_fatal_record_overflow() {
    // Unprotected: a handshake record of 2^14 + 1 bytes.
    let p = profile(|_| {});
    let mut st = PeerState::new(&mut rng_for(8, &[10]));
    let mut s = Connection::server(p.clone(), rng_for(8, &[1]), 0);
    let big = Record {
        typ: ContentType::Handshake,
        version: ProtocolVersion::TLSv1_2,
        fragment: vec![1; MAX_FRAGMENT + 1],
    };
    s.handle_input(1, &big.to_bytes(), &mut st);
    assert_eq!(
        s.report().alert_sent,
        Some(AlertDescription::RecordOverflow)
    );
    // Exactly 2^14 is allowed: no record_overflow (the bytes are not a ClientHello).
    let mut s = Connection::server(p, rng_for(8, &[1]), 0);
    let mut ok = big.clone();
    ok.fragment.pop();
    s.handle_input(1, &ok.to_bytes(), &mut st);
    assert_ne!(
        s.report().alert_sent,
        Some(AlertDescription::RecordOverflow)
    );

    // Protected: 2^14 + 1 bytes of application data, sealed by the client.
    let mut t = Two::connected(|_| {});
    let rec = sealed(
        &mut t.c,
        ContentType::ApplicationData,
        &vec![b'x'; MAX_FRAGMENT + 1],
    );
    assert!(rec.len() - RECORD_HEADER_LEN <= MAX_CIPHERTEXT);
    t.s.handle_input(20, &rec, &mut t.ss);
    assert_eq!(
        t.s.report().alert_sent,
        Some(AlertDescription::RecordOverflow)
    );
    assert!(t.s.take_app_data().is_empty(), "nothing of it is delivered");
    let o = t.outcome();
    assert_eq!(o.outcome, Status::Failed, "{o:#?}");
    // 2^14 exactly is delivered.
    let mut t = Two::connected(|_| {});
    let rec = sealed(
        &mut t.c,
        ContentType::ApplicationData,
        &vec![b'x'; MAX_FRAGMENT],
    );
    t.s.handle_input(20, &rec, &mut t.ss);
    assert_eq!(t.s.take_app_data().len(), MAX_FRAGMENT);
    assert!(t.outcome().ok());
}

// ------------------------------------------------------------------ defect 4

/// RFC 5246 §7.2.1: "the other party MUST respond with a close_notify alert of its own".
#[test]
fn close_notify_is_answered_with_close_notify() {
    let mut t = Two::connected(|_| {});
    t.c.close_notify();
    for tr in drain(&mut t.c) {
        deliver(&mut t.s, tr, &mut t.ss);
    }
    let out = drain(&mut t.s);
    let recs = records(&out);
    assert_eq!((out.len(), recs.len()), (2, 1), "{out:?}");
    assert_eq!(
        opened(&t.c, &recs[0]),
        vec![1, AlertDescription::CloseNotify.to_u8()]
    );
    assert!(is_fin(&out[1]));
    assert!(t.s.is_closed());
    assert!(t.outcome().ok(), "{:#?}", t.outcome());
}

// ------------------------------------------------------------------ defect 6

/// When the peer ends the handshake (a close, an alert) or the deadline passes, `at` is the
/// message this side was waiting for, as the explanations say; when this side refuses a
/// message, it is that message.
#[test]
fn at_names_the_awaited_message_when_the_peer_ends_the_handshake() {
    let p = profile(|_| {});
    let mut t = Two::new(p.clone(), p);
    // ClientHello to the server, its first flight back to the client; the client's flight
    // is not delivered.
    for tr in drain(&mut t.c) {
        deliver(&mut t.s, tr, &mut t.ss);
    }
    for tr in drain(&mut t.s) {
        deliver(&mut t.c, tr, &mut t.cs);
    }
    assert_eq!(
        t.c.expected_name(),
        MessageKind::CHANGE_CIPHER_SPEC,
        "the client waits for the server's ChangeCipherSpec"
    );
    t.c.handle_close(30, CloseKind::Fin);
    assert_eq!(t.c.report().at, Some(MessageKind::CHANGE_CIPHER_SPEC));
    // The server, which never got the client's flight, times out waiting for it.
    let mut s = Connection::server(profile(|_| {}), rng_for(9, &[1]), 0).with_timeouts(Timeouts {
        handshake: Some(5),
        connection: None,
    });
    let mut st = PeerState::new(&mut rng_for(9, &[10]));
    s.handle_input(
        1,
        &hello_record(fresh_client_hello(profile(|_| {}))),
        &mut st,
    );
    s.handle_timeout(5);
    assert_eq!(
        s.report().at,
        Some(MessageKind::Handshake(HandshakeType::ClientKeyExchange))
    );
    // A fatal alert during the handshake: at is what this side was waiting for.
    let p = profile(|_| {});
    let mut t = Two::new(p.clone(), p);
    for tr in drain(&mut t.c) {
        deliver(&mut t.s, tr, &mut t.ss);
    }
    drain(&mut t.s);
    let alert = Record {
        typ: ContentType::Alert,
        version: ProtocolVersion::TLSv1_2,
        fragment: vec![2, AlertDescription::HandshakeFailure.to_u8()],
    };
    t.c.handle_input(30, &alert.to_bytes(), &mut t.cs);
    assert_eq!(
        t.c.report().at,
        Some(MessageKind::Handshake(HandshakeType::ServerHello))
    );
    assert_eq!(
        t.c.report().alert_received,
        Some(AlertDescription::HandshakeFailure)
    );
}
