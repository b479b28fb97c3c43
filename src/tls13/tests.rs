use super::*;
use crate::engine::RealCrypto;
use crate::seed::rng_for;
use rand_chacha::ChaCha20Rng;

fn server(cfg: Config13, seed: u64) -> Server13<ChaCha20Rng> {
    let rc = RealCrypto::test_server();
    Server13::new(
        cfg,
        rc.cert_chain.clone(),
        rc.key.expect("test server key"),
        rng_for(seed, &[2]),
    )
}

fn client(cfg: Config13, seed: u64) -> Client13<ChaCha20Rng> {
    Client13::new(cfg, rng_for(seed, &[1]))
}

fn exchange(c: &mut Client13<ChaCha20Rng>, s: &mut Server13<ChaCha20Rng>) {
    let rec = c.send(b"ping from the client").unwrap();
    assert!(s.receive(&rec).unwrap().is_empty());
    assert_eq!(s.take_app_data(), b"ping from the client");
    let big = vec![0x5a; 40_000];
    let rec = s.send(&big).unwrap();
    c.receive(&rec).unwrap();
    assert_eq!(c.take_app_data(), big);
    let bye = c.close().unwrap();
    s.receive(&bye).unwrap();
    assert!(s.peer_closed());
}

#[test]
fn full_handshake_each_suite_and_group() {
    for (i, suite) in Tls13Suite::ALL.into_iter().enumerate() {
        for group in [NamedGroup::X25519, NamedGroup::Secp256r1] {
            let cfg = Config13 {
                suites: vec![suite],
                key_share_groups: vec![group],
                ..Config13::default()
            };
            let mut c = client(cfg.clone(), i as u64);
            let mut s = server(cfg, i as u64);
            handshake_in_memory(&mut c, &mut s).unwrap();
            let want = Negotiated13 {
                suite,
                group,
                hello_retry: false,
            };
            assert_eq!(c.negotiated(), Some(want.clone()));
            assert_eq!(s.negotiated(), Some(want));
            // The server's ticket arrived and its PSK was derived.
            assert_eq!(c.tickets.len(), 1);
            assert_eq!(c.tickets[0].psk.len(), suite.hash().len());
            exchange(&mut c, &mut s);
        }
    }
}

/// The client predicts X25519; a server that only takes P-256 answers with a
/// HelloRetryRequest and the second ClientHello carries a P-256 share (RFC 8446 §4.1.4).
#[test]
fn hello_retry_request_for_p256() {
    for compat_mode in [false, true] {
        let ccfg = Config13 {
            compat_mode,
            ..Config13::default()
        };
        let scfg = Config13 {
            groups: vec![NamedGroup::Secp256r1],
            ..Config13::default()
        };
        let mut c = client(ccfg, 7);
        let mut s = server(scfg, 7);
        handshake_in_memory(&mut c, &mut s).unwrap();
        let n = c.negotiated().unwrap();
        assert!(n.hello_retry);
        assert_eq!(n.group, NamedGroup::Secp256r1);
        assert_eq!(s.negotiated(), Some(n));
        exchange(&mut c, &mut s);
    }
}

#[test]
fn no_common_group_is_handshake_failure() {
    let ccfg = Config13 {
        groups: vec![NamedGroup::X25519],
        ..Config13::default()
    };
    let scfg = Config13 {
        groups: vec![NamedGroup::Secp256r1],
        ..Config13::default()
    };
    let mut c = client(ccfg, 1);
    let mut s = server(scfg, 1);
    let e = handshake_in_memory(&mut c, &mut s).unwrap_err();
    assert_eq!(e.alert, AlertDescription::HandshakeFailure);
}

#[test]
fn same_seed_same_bytes() {
    let run = || {
        let mut c = client(Config13::default(), 3);
        let mut s = server(Config13::default(), 3);
        let ch = c.start().unwrap();
        let flight = s.receive(&ch).unwrap();
        (ch, flight)
    };
    assert_eq!(run(), run());
}

/// A server whose certificate does not belong to its signing key fails the client's
/// CertificateVerify check with decrypt_error; a flipped bit in the encrypted flight fails
/// with bad_record_mac.
#[test]
fn forged_signature_and_tampered_record_fail() {
    let mut c = client(Config13::default(), 4);
    let other = rsa::RsaPrivateKey::new(&mut rng_for(4, &[9]), 1024).unwrap();
    let rc = RealCrypto::test_server();
    let mut s = Server13::new(Config13::default(), rc.cert_chain, other, rng_for(4, &[2]));
    let e = handshake_in_memory(&mut c, &mut s).unwrap_err();
    assert_eq!(e.alert, AlertDescription::DecryptError);

    let mut c = client(Config13::default(), 5);
    let mut s = server(Config13::default(), 5);
    let ch = c.start().unwrap();
    let mut flight = s.receive(&ch).unwrap();
    let n = flight.len();
    flight[n - 3] ^= 0x80;
    let e = c.receive(&flight).unwrap_err();
    assert_eq!(e.alert, AlertDescription::BadRecordMac);
}

/// Records split at every byte boundary still reassemble.
#[test]
fn byte_at_a_time_delivery() {
    let mut c = client(Config13::default(), 6);
    let mut s = server(Config13::default(), 6);
    let ch = c.start().unwrap();
    let mut flight = Vec::new();
    for b in &ch {
        flight.extend(s.receive(std::slice::from_ref(b)).unwrap());
    }
    let mut fin = Vec::new();
    for b in &flight {
        fin.extend(c.receive(std::slice::from_ref(b)).unwrap());
    }
    assert!(c.is_connected());
    s.receive(&fin).unwrap();
    assert!(s.is_connected());
}
