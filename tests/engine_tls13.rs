//! Issue 16: the engine negotiates TLS 1.3 when both profiles enable it, TLS 1.2 otherwise,
//! through the same `Connection` the pair, the fleet and the bridge drive.
//!
//! Most tests push "tls1.3" into (or take it out of) the versions of real catalogue
//! entries, so that they keep testing the engine whatever the catalogue says;
//! `catalogue_pairs_negotiate_what_the_real_stacks_do` takes the entries as they are.

use std::sync::Arc;

use tlsim::engine::{Connection, HandshakeKind, Mechanism, Outcome, Pair, PeerState};
use tlsim::profile::{load, Profile, Tls13Group, TlsVersion};
use tlsim::seed::rng_for;
use tlsim::wire::{ClientExtension, ClientHello, HandshakeMessage, HandshakePayload};

fn with13(name: &str) -> Profile {
    let mut p = load(name).unwrap_or_else(|e| panic!("profile {name}: {e}"));
    for v in [&mut p.client_versions, &mut p.server_versions] {
        if !v.contains(&TlsVersion::Tls13) {
            v.push(TlsVersion::Tls13);
        }
    }
    p
}

/// The entry without TLS 1.3.
fn plain(name: &str) -> Profile {
    let mut p = load(name).unwrap_or_else(|e| panic!("profile {name}: {e}"));
    p.client_versions.retain(|v| *v != TlsVersion::Tls13);
    p.server_versions.retain(|v| *v != TlsVersion::Tls13);
    p
}

/// Issue 16's Done-when: catalogue pairs negotiate what the real stacks do, the entries
/// as catalogued (Windows 11 / Server 2022 and OpenSSL 3 enable TLS 1.3; Windows 8.1 /
/// Server 2012 R2 has none).
#[test]
fn catalogue_pairs_negotiate_what_the_real_stacks_do() {
    for (c, s, want) in [
        ("win2022", "openssl-3.0", "TLS 1.3"),
        ("openssl-3.0", "win2022", "TLS 1.3"),
        ("win2012r2", "openssl-3.0", "TLS 1.2"),
        ("openssl-3.0", "win2012r2", "TLS 1.2"),
    ] {
        let o = Pair::new(load(c).unwrap(), load(s).unwrap(), 11)
            .connect()
            .outcome;
        assert!(o.ok(), "{c} -> {s}: {o:#?}");
        assert_eq!(o.version.as_deref(), Some(want), "{c} -> {s}");
    }
}

/// The TLS 1.3 FFDHE Z mismatch, emergent: a padding client (OpenSSL 3) against a
/// stripping server (Java before JDK-8328046) on ffdhe2048 fails exactly on the
/// connections whose Z has a leading zero byte, each as `tls13-ffdhe-z-mismatch`; two
/// padding peers never fail.
#[test]
fn tls13_ffdhe_z_mismatch_fails_exactly_where_z_has_a_leading_zero() {
    let only = |mut p: Profile| {
        p.tls13_groups = vec![Tls13Group::Ffdhe2048];
        p.tls13_key_shares = vec![Tls13Group::Ffdhe2048];
        p
    };
    let client = only(with13("openssl-3.0"));
    let strip = {
        let mut p = only(with13("openssl-3.0"));
        p.tls13_ffdhe_z = tlsim::profile::Tls13FfdheZ::Strip;
        p
    };
    let (mut fails, mut zeros) = (0, 0);
    // Seeds 0..600: enough that some Z has a leading zero byte (p ≈ 1/256).
    for seed in 0..600 {
        let o = Pair::new(client.clone(), strip.clone(), seed)
            .connect()
            .outcome;
        let z = o.client.truth.tls13_ffdhe_z.expect("an FFDHE handshake");
        assert!(!z.stripped);
        assert_eq!(o.ok(), !z.leading_zero, "seed {seed}: {o:#?}");
        if z.leading_zero {
            zeros += 1;
            assert_eq!(
                o.mechanism,
                Some(Mechanism::Tls13FfdheZMismatch),
                "seed {seed}: {o:#?}"
            );
        }
        if !o.ok() {
            fails += 1;
        }
        let ok = Pair::new(client.clone(), client.clone(), seed)
            .connect()
            .outcome;
        assert!(ok.ok(), "seed {seed}: {ok:#?}");
    }
    assert!(
        zeros > 0,
        "no leading zero in 600 seeds: the test proves nothing"
    );
    assert_eq!(fails, zeros);
}

fn summaries(run: &tlsim::engine::Run) -> Vec<String> {
    run.wire.iter().map(|w| w.summary.clone()).collect()
}

#[test]
fn both_with_tls13_negotiate_tls13_full_handshake() {
    let mut pair = Pair::new(with13("win2022"), with13("openssl-3.0"), 1);
    let run = pair.connect();
    let o = &run.outcome;
    assert!(o.ok(), "{o:#?}\n{:#?}", summaries(&run));
    assert_eq!(o.version.as_deref(), Some("TLS 1.3"));
    assert_eq!(o.client.version.as_deref(), Some("TLS 1.3"));
    assert_eq!(o.server.group.as_deref(), o.client.group.as_deref());
    assert!(o.client.group.is_some());
    assert!(!o.client.hello_retry);
    let s = summaries(&run);
    assert_eq!(s[0], "ClientHello");
    assert!(s.contains(&"ServerHello".to_string()), "{s:?}");
    assert!(s.iter().any(|x| x.contains("EncryptedExtensions")), "{s:?}");
    assert!(!s.iter().any(|x| x.contains("ServerHelloDone")), "{s:?}");
}

#[test]
fn the_one_client_hello_offers_tls13_and_tls12() {
    let p = Arc::new(with13("win2022"));
    let mut st = PeerState::new(&mut rng_for(3, &[9]));
    let mut c = Connection::client(p, "s", rng_for(3, &[0]), 0, &mut st);
    let t = c.poll_transmit().expect("a ClientHello");
    let msg = HandshakeMessage::read(&mut tlsim::wire::Reader::new(&t.bytes[5..]), true)
        .expect("a handshake message");
    let HandshakePayload::ClientHello(ch) = msg.payload else {
        panic!("not a ClientHello")
    };
    // TLS 1.3 suites first, the TLS 1.2 ones after.
    assert_eq!(ch.suites[0].0 >> 8, 0x13);
    assert!(ch.suites.iter().any(|s| s.0 >> 8 != 0x13));
    let e13 = tlsim::wire::tls13::ClientHello13::parse(&ch).unwrap();
    let v = e13.supported_versions.unwrap();
    assert_eq!(v[0], tlsim::wire::ProtocolVersion::TLSv1_3);
    assert!(v.contains(&tlsim::wire::ProtocolVersion::TLSv1_2));
    assert!(!e13.key_shares.unwrap().is_empty());
    assert_eq!(ch.session_id.0.len(), 32, "middlebox compatibility mode");
}

#[test]
fn hello_retry_request_when_the_predicted_share_is_not_wanted() {
    let mut c = with13("win2022");
    c.tls13_groups = vec![Tls13Group::X25519, Tls13Group::Secp256r1];
    c.tls13_key_shares = vec![Tls13Group::X25519];
    let mut s = with13("openssl-3.0");
    s.tls13_groups = vec![Tls13Group::Secp256r1];
    let run = Pair::new(c.clone(), s.clone(), 2).connect();
    let o = &run.outcome;
    assert!(o.ok(), "{o:#?}");
    assert!(o.client.hello_retry && o.server.hello_retry);
    assert_eq!(o.client.group.as_deref(), Some("secp256r1"));
    assert!(summaries(&run).contains(&"HelloRetryRequest".to_string()));
    // RFC 8446 §4.1.2: the second ClientHello is the first with key_share replaced (here
    // no cookie, no PSK): the same suites, TLS 1.2's included, and the same extensions.
    let hellos: Vec<ClientHello> = run
        .wire
        .iter()
        .filter(|w| w.from == tlsim::engine::Side::Client && w.bytes.get(..1) == Some(&[22]))
        .filter_map(|w| {
            let m = HandshakeMessage::read(&mut tlsim::wire::Reader::new(&w.bytes[5..]), true);
            match m.ok()?.payload {
                HandshakePayload::ClientHello(ch) => Some(ch),
                _ => None,
            }
        })
        .collect();
    assert_eq!(hellos.len(), 2, "two ClientHellos");
    let (first, second) = (&hellos[0], &hellos[1]);
    assert_eq!(first.suites, second.suites);
    assert_eq!(first.random, second.random);
    assert_eq!(first.session_id, second.session_id);
    let without_key_share = |ch: &ClientHello| -> Vec<ClientExtension> {
        ch.extensions
            .iter()
            .filter(|e| !matches!(e, ClientExtension::Unknown { typ: 51, .. }))
            .cloned()
            .collect()
    };
    assert_eq!(without_key_share(first), without_key_share(second));
    assert_ne!(first.extensions, second.extensions, "a new key_share");

    // The same pair with a client that cannot answer a HelloRetryRequest.
    c.tls13_client_handles_hrr = false;
    let o = Pair::new(c, s, 2).connect().outcome;
    assert!(!o.ok());
    assert_eq!(o.mechanism, Some(Mechanism::Tls13HrrUnsupported), "{o:#?}");
}

#[test]
fn no_common_group_aborts_with_its_mechanism() {
    let mut c = with13("win2022");
    c.tls13_groups = vec![Tls13Group::X25519];
    c.tls13_key_shares = vec![Tls13Group::X25519];
    // The client's supported_groups also lists its TLS 1.2 curves (x25519, secp256r1).
    let mut s = with13("openssl-3.0");
    s.tls13_groups = vec![Tls13Group::Secp384r1];
    let o = Pair::new(c, s, 4).connect().outcome;
    assert_eq!(o.mechanism, Some(Mechanism::Tls13NoCommonGroup), "{o:#?}");
}

#[test]
fn one_side_without_tls13_negotiates_tls12() {
    for (c, s) in [
        (plain("win2012r2"), with13("openssl-3.0")),
        (with13("win2022"), plain("openssl-3.0")),
    ] {
        let o = Pair::new(c, s, 5).connect().outcome;
        assert!(o.ok(), "{o:#?}");
        assert_eq!(o.version.as_deref(), Some("TLS 1.2"));
    }
}

fn downgraded(client: Profile, server: Profile) -> Outcome {
    let (c, s) = (Arc::new(client), Arc::new(server));
    let mut cs = PeerState::new(&mut rng_for(6, &[9]));
    let mut ss = PeerState::new(&mut rng_for(6, &[10]));
    let mut cl = Connection::client(c, "s", rng_for(6, &[0]), 0, &mut cs);
    let mut sv = Connection::server(s, rng_for(6, &[1]), 0);
    let hello = cl.poll_transmit().unwrap();
    // The middlebox of RFC 8446 §4.1.3 (the `strip-supported-versions` fault of a fleet).
    let stripped = tlsim::wire::tls13::strip_supported_versions(&hello.bytes)
        .expect("a ClientHello record with supported_versions");
    sv.handle_input(1, &stripped, &mut ss);
    for _ in 0..16 {
        let mut moved = false;
        while let Some(t) = sv.poll_transmit() {
            moved = true;
            cl.handle_input(2, &t.bytes, &mut cs);
            if let Some(k) = t.close {
                cl.handle_close(2, k);
            }
        }
        while let Some(t) = cl.poll_transmit() {
            moved = true;
            sv.handle_input(3, &t.bytes, &mut ss);
            if let Some(k) = t.close {
                sv.handle_close(3, k);
            }
        }
        if !moved {
            break;
        }
    }
    Outcome::from_reports(cl.report().clone(), sv.report().clone())
}

#[test]
fn a_downgrade_is_detected_by_the_sentinel() {
    let o = downgraded(with13("win2022"), with13("openssl-3.0"));
    assert_eq!(
        o.mechanism,
        Some(Mechanism::Tls13DowngradeDetected),
        "{o:#?}"
    );
    assert_eq!(o.detected_by, Some(tlsim::engine::Side::Client));
    assert_eq!(
        o.alert,
        Some(tlsim::wire::AlertDescription::IllegalParameter)
    );

    // Without the check, the client goes on in TLS 1.2 (and the rewritten hello breaks
    // the Finished instead).
    let mut c = with13("win2022");
    c.tls13_downgrade_check = false;
    let o = downgraded(c, with13("openssl-3.0"));
    assert_ne!(
        o.mechanism,
        Some(Mechanism::Tls13DowngradeDetected),
        "{o:#?}"
    );

    // A server without TLS 1.3 writes no sentinel.
    let o = downgraded(with13("win2022"), plain("openssl-3.0"));
    assert_ne!(
        o.mechanism,
        Some(Mechanism::Tls13DowngradeDetected),
        "{o:#?}"
    );
}

#[test]
fn same_seed_same_tls13_run() {
    let run = |seed| {
        let r = Pair::new(with13("win2022"), with13("openssl-3.0"), seed).connect();
        (
            serde_json::to_string(&r.outcome).unwrap(),
            r.wire.iter().map(|w| w.bytes.clone()).collect::<Vec<_>>(),
        )
    };
    assert_eq!(run(7), run(7));
    assert_ne!(run(7).1, run(8).1);
}

/// The fleet drives TLS 1.3 connections through the same `Connection`: a TLS 1.3 server,
/// one client host with TLS 1.3 and one without.
const FLEET: &str = r#"description = "a TLS 1.3 server, a TLS 1.3 client and a TLS 1.2 one"

[[server]]
host = "web"
profile = "openssl-3.0"

[[client]]
host = "new"
profile = "win2022"
peers = 3
connections = 2
targets = ["web:443"]

[[client]]
host = "old"
profile = "win2012r2"
peers = 3
connections = 2
targets = ["web:443"]
"#;

fn fleet_records(seed: u64) -> Vec<tlsim::net::ConnRecord> {
    let mut sc = tlsim::scenario::Scenario::parse(FLEET, "tls13.toml", "tls13", None)
        .expect("the scenario parses");
    sc.fleet.seed = seed;
    sc.fleet.servers[0].profile = Arc::new(with13("openssl-3.0"));
    sc.fleet.clients[0].profile = Arc::new(with13("win2022"));
    tlsim::net::run_fleet(&sc.fleet).expect("the fleet runs")
}

#[test]
fn the_fleet_negotiates_per_pair() {
    let records = fleet_records(11);
    assert_eq!(records.len(), 12);
    for r in &records {
        assert!(r.outcome.ok(), "{:#?}", r.outcome);
        let want = if r.client_host == "new" {
            "TLS 1.3"
        } else {
            "TLS 1.2"
        };
        assert_eq!(
            r.outcome.version.as_deref(),
            Some(want),
            "{}",
            r.client_host
        );
        // The second connection of each peer resumes: in TLS 1.3 from the ticket the
        // server sent after the first one's Finished (RFC 8446 §4.6.1), which the fleet's
        // client reads after its handshake completes.
        let want = if r.index == 0 {
            HandshakeKind::Full
        } else {
            HandshakeKind::Resumed
        };
        assert_eq!(r.outcome.handshake, want, "{} #{}", r.client_host, r.index);
    }
    let json = |rs: &[tlsim::net::ConnRecord]| {
        rs.iter()
            .map(|r| serde_json::to_string(&r.outcome).unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        json(&records),
        json(&fleet_records(11)),
        "same seed, same outcomes"
    );
}

/// The cost of a simulated TLS 1.3 handshake beside a TLS 1.2 one (printed, not asserted):
/// `cargo test --release --test engine_tls13 -- --ignored --nocapture`.
#[test]
#[ignore]
fn measure_tls13_against_tls12() {
    for (label, c, s) in [
        ("TLS 1.2", plain("win2022"), plain("openssl-3.0")),
        ("TLS 1.3", with13("win2022"), with13("openssl-3.0")),
    ] {
        let n = 200;
        let t = std::time::Instant::now();
        let mut pair = Pair::new(c, s, 1);
        pair.client_state = PeerState::new(&mut rng_for(1, &[9]));
        for _ in 0..n {
            pair.client_state = PeerState::new(&mut rng_for(1, &[9]));
            assert!(pair.connect().outcome.ok());
        }
        let us = t.elapsed().as_micros() / n;
        println!("{label}: {us} µs per full handshake (pair, both sides)");
    }
}

/// PSK resumption through the engine (RFC 8446 §2.2, §4.2.11): the client keeps the
/// server's NewSessionTickets and offers one on its next connection, in the one
/// ClientHello beside its TLS 1.2 offer; the server accepts its own ticket, so the second
/// and third connections are resumed (no Certificate on the wire). A server with another
/// ticket key (another peer) cannot open the ticket: a full handshake, counted as a refused
/// resumption like TLS 1.2's.
#[test]
fn tls13_tickets_resume_later_connections() {
    let mut pair = Pair::new(load("win2022").unwrap(), load("openssl-3.0").unwrap(), 21);
    let first = pair.connect();
    assert!(first.outcome.ok(), "{:#?}", first.outcome);
    assert_eq!(first.outcome.version.as_deref(), Some("TLS 1.3"));
    assert_eq!(first.outcome.handshake, HandshakeKind::Full);
    for _ in 0..2 {
        let r = pair.connect();
        assert!(r.outcome.ok(), "{:#?}", r.outcome);
        assert_eq!(r.outcome.version.as_deref(), Some("TLS 1.3"));
        assert_eq!(
            r.outcome.handshake,
            HandshakeKind::Resumed,
            "{:#?}",
            summaries(&r)
        );
        assert!(
            !summaries(&r).iter().any(|s| s.contains("Certificate,")),
            "{:#?}",
            summaries(&r)
        );
    }
    // Another server peer: another ticket key.
    pair.server_state = PeerState::new(&mut rng_for(99, &[1]));
    let r = pair.connect();
    assert!(r.outcome.ok(), "{:#?}", r.outcome);
    assert_eq!(r.outcome.handshake, HandshakeKind::ResumeRefused);
}

/// A TLS 1.3 server that restarts has a new ticket key (its state is made at boot): the
/// tickets its clients hold from before cannot be opened, and their next connection falls
/// back to a full handshake, counted as refused like a TLS 1.2 session the server lost.
const RESTART: &str = r#"description = "a TLS 1.3 server restarts between two connections of each client"

[network]
latency_ms = [1, 2]

[[server]]
host = "web"
profile = "openssl-3.0"

[[client]]
host = "c"
profile = "openssl-3.0"
peers = 2
connections = 4
interval_ms = 500
targets = ["web:443"]

[[fault]]
kind = "crash"
host = "web"
at_ms = 1200
restart_ms = 1300
"#;

#[test]
fn tickets_from_before_a_server_restart_are_refused() {
    let sc = tlsim::scenario::Scenario::parse(RESTART, "restart.toml", "restart", None)
        .expect("the scenario parses");
    let records = tlsim::net::run_fleet(&sc.fleet).expect("the fleet runs");
    let mut kinds: Vec<(u32, u32, HandshakeKind)> = records
        .iter()
        .map(|r| {
            assert!(r.outcome.ok(), "{:#?}", r.outcome);
            assert_eq!(r.outcome.version.as_deref(), Some("TLS 1.3"));
            (r.peer, r.index, r.outcome.handshake)
        })
        .collect();
    kinds.sort_by_key(|k| (k.0, k.1));
    for peer in 0..2 {
        let of_peer: Vec<HandshakeKind> =
            kinds.iter().filter(|k| k.0 == peer).map(|k| k.2).collect();
        // Connections at about 0, 500, 1000 ms, the restart at 1,200-1,300 ms, then 1,500.
        assert_eq!(
            of_peer,
            [
                HandshakeKind::Full,
                HandshakeKind::Resumed,
                HandshakeKind::Resumed,
                HandshakeKind::ResumeRefused
            ],
            "peer {peer}"
        );
    }
}

/// The first connections of a Java 17 client (stripping Z, JDK-8328046) to an OpenSSL 3.0
/// server, both limited to ffdhe2048, that fail on the Z mismatch.
fn z_mismatch_runs(client: &Profile, server: &Profile, want: usize) -> Vec<tlsim::engine::Run> {
    let mut runs = Vec::new();
    for seed in 0..3000 {
        let run = Pair::new(client.clone(), server.clone(), seed).connect();
        if run.outcome.mechanism == Some(Mechanism::Tls13FfdheZMismatch) {
            runs.push(run);
            if runs.len() == want {
                break;
            }
        }
    }
    assert_eq!(runs.len(), want, "Z mismatches in 3000 seeds");
    runs
}

/// The records one side sent after the first ServerHello: (outer content type, length).
fn sent_after_server_hello(
    run: &tlsim::engine::Run,
    from: tlsim::engine::Side,
) -> Vec<(u8, usize)> {
    run.wire
        .iter()
        .skip_while(|w| w.summary != "ServerHello")
        .filter(|w| w.from == from && !w.bytes.is_empty())
        .map(|w| (w.bytes[0], w.bytes.len()))
        .collect()
}

/// docs/tls13-alerts.md: a client that fails after the ServerHello and before its own
/// Finished protects its alert under its client handshake keys as JSSE, GnuTLS and NSS do
/// (a change_cipher_spec first in compatibility mode), or sends it in plaintext as OpenSSL
/// 3.0 does (`tls13_client_plaintext_alerts`). On a Z mismatch the server holds other keys:
/// it cannot decrypt a protected alert and fails with bad_record_mac itself, in its own
/// words (OpenSSL: "decryption failed or bad record mac", observed with s_server); a
/// plaintext alert it reads ("sslv3 alert bad record mac").
#[test]
fn a_client_alert_before_its_finished_is_protected_as_its_stack_does() {
    use tlsim::engine::{LocalError, Side};
    use tlsim::wire::AlertDescription;
    let only = |mut p: Profile| {
        p.tls13_groups = vec![Tls13Group::Ffdhe2048];
        p.tls13_key_shares = vec![Tls13Group::Ffdhe2048];
        p.client_resumes = false;
        p
    };
    let java = only(with13("java-17"));
    let server = only(with13("openssl-3.0"));
    assert!(!java.tls13_client_plaintext_alerts);
    for run in z_mismatch_runs(&java, &server, 2) {
        let o = &run.outcome;
        assert_eq!(o.detected_by, Some(Side::Client), "{o:#?}");
        // ChangeCipherSpec, then the alert: 2 bytes + inner type + 16-byte tag.
        assert_eq!(
            sent_after_server_hello(&run, Side::Client),
            vec![(20, 6), (23, 5 + 2 + 1 + 16)],
            "{:#?}",
            summaries(&run)
        );
        assert_eq!(o.server.alert_received, None, "{o:#?}");
        assert_eq!(o.server.error, Some(LocalError::BadRecordMac), "{o:#?}");
        assert_eq!(o.server.alert_sent, Some(AlertDescription::BadRecordMac));
        // The server's own alert is protected too (under its application keys).
        assert_eq!(
            sent_after_server_hello(&run, Side::Server).last(),
            Some(&(23, 24))
        );
    }

    // The same client with OpenSSL's behaviour: a plaintext alert the server reads.
    let mut plain = java.clone();
    plain.tls13_client_plaintext_alerts = true;
    for run in z_mismatch_runs(&plain, &server, 2) {
        let o = &run.outcome;
        assert_eq!(sent_after_server_hello(&run, Side::Client), vec![(21, 7)]);
        // RFC 8446 §5.1: legacy_record_version 0x0303.
        let alert = run
            .wire
            .iter()
            .find(|w| w.from == Side::Client && w.bytes.first() == Some(&21))
            .expect("the alert");
        assert_eq!(alert.bytes, [21, 3, 3, 0, 2, 2, 20]);
        assert_eq!(
            o.server.alert_received,
            Some(AlertDescription::BadRecordMac),
            "{o:#?}"
        );
        assert_eq!(o.server.error, None, "{o:#?}");
    }

    // OpenSSL 3.0 as the client (catalogue: plaintext), against a stripping server.
    let openssl = only(with13("openssl-3.0"));
    assert!(openssl.tls13_client_plaintext_alerts);
    let mut strip = server.clone();
    strip.tls13_ffdhe_z = tlsim::profile::Tls13FfdheZ::Strip;
    for run in z_mismatch_runs(&openssl, &strip, 1) {
        assert_eq!(sent_after_server_hello(&run, Side::Client), vec![(21, 7)]);
        assert_eq!(
            run.outcome.server.alert_received,
            Some(AlertDescription::BadRecordMac)
        );
    }
}

/// docs/tls13-alerts.md: an OpenSSL 3.0 client's plaintext alert (after the server's flight)
/// reaches servers that hold its handshake keys. OpenSSL reads it; GnuTLS, JSSE and NSS
/// open it as a protected record and fail, each with its own alert and words
/// (`tls13_server_plaintext_alert`).
#[test]
fn a_plaintext_alert_after_the_server_flight_reads_as_the_server_stack_does() {
    use tlsim::engine::LocalError;
    use tlsim::profile::{Tls13FfdheZ, Tls13PlaintextAlert};
    use tlsim::wire::AlertDescription as A;
    let only = |mut p: Profile| {
        p.tls13_groups = vec![Tls13Group::Ffdhe2048];
        p.tls13_key_shares = vec![Tls13Group::Ffdhe2048];
        p.client_resumes = false;
        p
    };
    let client = only(with13("openssl-3.0"));
    for (server, knob, want) in [
        ("openssl-3.0", Tls13PlaintextAlert::Read, None),
        (
            "gnutls-3.7",
            Tls13PlaintextAlert::BadRecordMac,
            Some((A::BadRecordMac, "Decryption has failed.")),
        ),
        (
            "java-17",
            Tls13PlaintextAlert::HandshakeFailure,
            Some((
                A::HandshakeFailure,
                "Insufficient buffer remaining for AEAD cipher fragment (2)",
            )),
        ),
    ] {
        let mut s = only(with13(server));
        assert_eq!(s.tls13_server_plaintext_alert, knob, "{server}");
        // A stripping server, so that the padding client fails on EncryptedExtensions.
        s.tls13_ffdhe_z = Tls13FfdheZ::Strip;
        let run = z_mismatch_runs(&client, &s, 1).remove(0);
        let o = &run.outcome;
        assert_eq!(
            sent_after_server_hello(&run, tlsim::engine::Side::Client),
            vec![(21, 7)],
            "{server}"
        );
        match want {
            None => {
                assert_eq!(o.server.alert_received, Some(A::BadRecordMac), "{o:#?}");
                assert_eq!(o.server.error, None, "{o:#?}");
            }
            Some((alert, words)) => {
                assert_eq!(o.server.alert_received, None, "{server}: {o:#?}");
                assert_eq!(
                    o.server.error,
                    Some(LocalError::PlaintextAlert {
                        alert: alert.to_u8()
                    }),
                    "{server}: {o:#?}"
                );
                assert_eq!(o.server.alert_sent, Some(alert), "{server}");
                let texts = tlsim::report::words::vendor_texts(&o.server);
                assert!(
                    texts.iter().any(|t| t.text.contains(words)),
                    "{server}: {texts:?}"
                );
                // The mechanism stays the client's finding.
                assert_eq!(o.mechanism, Some(Mechanism::Tls13FfdheZMismatch));
            }
        }
    }
}
