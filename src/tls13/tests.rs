use super::*;
use crate::engine::RealCrypto;
use crate::seed::rng_for;
use crate::wire::tls13::{PSK_DHE_KE, PSK_KE};
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
        for group in [
            NamedGroup::X25519,
            NamedGroup::Secp256r1,
            NamedGroup::Secp384r1,
            NamedGroup::Ffdhe2048,
            NamedGroup::Ffdhe3072,
            NamedGroup::Ffdhe4096,
            NamedGroup::Ffdhe6144,
            NamedGroup::Ffdhe8192,
        ] {
            let cfg = Config13 {
                suites: vec![suite],
                groups: vec![group],
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
                z_leading_zero: c.negotiated().is_some_and(|n| n.z_leading_zero),
                resumed: false,
                psk_mode: None,
                psk_rejected: false,
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

/// HelloRetryRequest to each FFDHE group and to P-384: the client predicts X25519, the
/// server takes only the other group.
#[test]
fn hello_retry_request_to_ffdhe_and_p384() {
    for (i, group) in [
        NamedGroup::Ffdhe2048,
        NamedGroup::Ffdhe3072,
        NamedGroup::Ffdhe8192,
        NamedGroup::Secp384r1,
    ]
    .into_iter()
    .enumerate()
    {
        let ccfg = Config13 {
            groups: vec![NamedGroup::X25519, group],
            ..Config13::default()
        };
        let scfg = Config13 {
            groups: vec![group],
            ..Config13::default()
        };
        let mut c = client(ccfg, 20 + i as u64);
        let mut s = server(scfg, 20 + i as u64);
        handshake_in_memory(&mut c, &mut s).unwrap();
        let n = c.negotiated().unwrap();
        assert!(n.hello_retry);
        assert_eq!(n.group, group);
        assert_eq!(s.negotiated(), Some(n));
        exchange(&mut c, &mut s);
    }
}

/// An FFDHE share that is not padded to the length of p is illegal_parameter (RFC 8446
/// §4.2.8.1).
#[test]
fn short_ffdhe_share_is_illegal_parameter() {
    let cfg = Config13 {
        groups: vec![NamedGroup::Ffdhe2048],
        key_share_groups: vec![NamedGroup::Ffdhe2048],
        ..Config13::default()
    };
    let mut c = client(cfg.clone(), 30);
    let mut s = server(cfg, 30);
    let ch = c.start().unwrap();
    // The share's key_exchange length (256) is 2 bytes before its value; cut one byte
    // from the record, the handshake message, the extensions, key_share and the entry.
    let ks = ch
        .windows(4)
        .position(|w| w == [0x01, 0x00, 0x01, 0x00])
        .expect("ffdhe2048 share header");
    let mut bad = ch.clone();
    bad[ks + 2] = 0x00;
    bad[ks + 3] = 0xff;
    bad.remove(ks + 4);
    let fix = |b: &mut Vec<u8>, at: usize, width: usize| {
        let mut v = 0usize;
        for j in 0..width {
            v = v << 8 | usize::from(b[at + j]);
        }
        v -= 1;
        for j in (0..width).rev() {
            b[at + j] = u8::try_from(v & 0xff).unwrap();
            v >>= 8;
        }
    };
    fix(&mut bad, 3, 2); // record length
    fix(&mut bad, 6, 3); // handshake length
                         // client_shares length and the key_share extension length: the 4 bytes before the
                         // entry are ext type 51 and its length, then the list length.
    fix(&mut bad, ks - 2, 2);
    fix(&mut bad, ks - 4, 2);
    // extensions block length: after version(2) random(32) sid(1+32) suites(2+n) comp(2).
    let sid_len = usize::from(bad[9 + 34]);
    let suites_at = 9 + 35 + sid_len;
    let suites_len = usize::from(u16::from_be_bytes([bad[suites_at], bad[suites_at + 1]]));
    let comp_at = suites_at + 2 + suites_len;
    let ext_at = comp_at + 1 + usize::from(bad[comp_at]);
    fix(&mut bad, ext_at, 2);
    let e = s.receive(&bad).unwrap_err();
    assert_eq!(e.alert, AlertDescription::IllegalParameter, "{e}");
    assert!(e.reason.contains("255 bytes, not 256"), "{e}");
}

/// RFC 8446 §7.4.1 pads the FFDHE `Z`; a server that strips it (Java before JDK-8328046)
/// derives other handshake keys exactly when `Z` has a leading zero byte, and the padding
/// client cannot open EncryptedExtensions: bad_record_mac (RFC 8446 §5.2). Pad against
/// Pad never fails on the same connections.
#[test]
fn pad_client_against_strip_server_fails_on_leading_zero_z() {
    let group = NamedGroup::Ffdhe2048;
    let cfg = Config13 {
        groups: vec![group],
        key_share_groups: vec![group],
        send_ticket: false,
        ..Config13::default()
    };
    let strip = Config13 {
        ffdhe_z: FfdheZ::Strip,
        ..cfg.clone()
    };
    let n = 1200u64;
    let (mut failures, mut zero_z) = (0u64, 0u64);
    for seed in 0..n {
        let mut c = client(cfg.clone(), 1000 + seed);
        let mut s = server(strip.clone(), 1000 + seed);
        let r = handshake_in_memory(&mut c, &mut s);
        let lz = c.negotiated().unwrap().z_leading_zero;
        assert_eq!(s.negotiated().unwrap().z_leading_zero, lz);
        if lz {
            zero_z += 1;
            let e = r.expect_err("a leading zero byte must break Pad against Strip");
            assert_eq!(e.alert, AlertDescription::BadRecordMac, "{e}");
            failures += 1;
            // The same connection between two padding peers succeeds.
            let mut c = client(cfg.clone(), 1000 + seed);
            let mut s = server(cfg.clone(), 1000 + seed);
            handshake_in_memory(&mut c, &mut s).unwrap();
            assert!(c.negotiated().unwrap().z_leading_zero);
        } else {
            r.unwrap();
        }
    }
    // Pr[leading zero byte] = 2^2040 / p ~ 1/256 (DhGroup::leading_zero_probability).
    assert!(zero_z >= 1, "no leading-zero Z in {n} connections");
    assert_eq!(failures, zero_z);
}

fn with_ticket(cfg: &Config13, seed: u64) -> (Ticket13, [u8; 32]) {
    let key = [u8::try_from(seed % 256).unwrap(); 32];
    let scfg = Config13 {
        ticket_key: Some(key),
        ..cfg.clone()
    };
    let mut c = client(cfg.clone(), seed);
    let mut s = server(scfg, seed);
    handshake_in_memory(&mut c, &mut s).unwrap();
    exchange(&mut c, &mut s);
    assert!(!c.negotiated().unwrap().resumed);
    (c.tickets[0].clone(), key)
}

/// RFC 8446 §2.2 / §4.2.11: a ticket from a first connection resumes in psk_dhe_ke and in
/// psk_ke, for each suite; the server skips Certificate and CertificateVerify, both sides
/// agree on the keys (application data flows), and the resumed connection issues a new
/// ticket that resumes again.
#[test]
fn psk_resumption_both_modes_each_suite() {
    for (i, suite) in Tls13Suite::ALL.into_iter().enumerate() {
        for mode in [PSK_DHE_KE, PSK_KE] {
            let cfg = Config13 {
                suites: vec![suite],
                psk_modes: vec![mode],
                ..Config13::default()
            };
            let seed = 40 + i as u64 * 2 + u64::from(mode);
            let (t, key) = with_ticket(&cfg, seed);
            let ccfg = Config13 {
                resume: Some(Ticket13 { age_ms: 1500, ..t }),
                ..cfg.clone()
            };
            let scfg = Config13 {
                ticket_key: Some(key),
                ..cfg.clone()
            };
            let mut c = client(ccfg, seed + 100);
            let mut s = server(scfg.clone(), seed + 100);
            let ch = c.start().unwrap();
            let flight = s.receive(&ch).unwrap();
            let fin = c.receive(&flight).unwrap();
            assert!(c.is_connected());
            let nst = s.receive(&fin).unwrap();
            assert!(c.receive(&nst).unwrap().is_empty());
            let n = c.negotiated().unwrap();
            assert!(n.resumed && !n.psk_rejected, "{n:?}");
            assert_eq!(n.psk_mode, Some(mode));
            if mode == PSK_KE {
                assert_eq!(n.group, NamedGroup::Unknown(0));
            }
            assert_eq!(s.negotiated(), Some(n));
            // The abbreviated flight: no certificate bytes on the wire.
            let cert = &RealCrypto::test_server().cert_chain[0];
            assert!(flight.len() < cert.len(), "{} bytes", flight.len());
            exchange(&mut c, &mut s);
            // The resumed connection's ticket resumes too.
            let t2 = c.tickets[0].clone();
            let mut c = client(
                Config13 {
                    resume: Some(t2),
                    ..cfg.clone()
                },
                seed + 200,
            );
            let mut s = server(scfg, seed + 200);
            handshake_in_memory(&mut c, &mut s).unwrap();
            assert!(c.negotiated().unwrap().resumed);
        }
    }
}

/// A ticket sealed under another key, or older than its lifetime, is refused: the server
/// falls back to a full handshake (with its certificate) and both sides say psk_rejected.
#[test]
fn unknown_or_expired_ticket_falls_back_to_full_handshake() {
    let cfg = Config13::default();
    let (t, key) = with_ticket(&cfg, 50);
    let cases = [
        ("other key", [key[0] ^ 1; 32], t.age_ms),
        ("expired", key, 7200 * 1000 + 1),
    ];
    for (what, skey, age_ms) in cases {
        let ccfg = Config13 {
            resume: Some(Ticket13 {
                age_ms,
                ..t.clone()
            }),
            ..cfg.clone()
        };
        let scfg = Config13 {
            ticket_key: Some(skey),
            ..cfg.clone()
        };
        let mut c = client(ccfg, 51);
        let mut s = server(scfg, 51);
        handshake_in_memory(&mut c, &mut s).unwrap();
        let n = c.negotiated().unwrap();
        assert!(!n.resumed && n.psk_rejected, "{what}: {n:?}");
        assert_eq!(s.negotiated(), Some(n));
        exchange(&mut c, &mut s);
    }
    // Just inside the lifetime it resumes.
    let ccfg = Config13 {
        resume: Some(Ticket13 {
            age_ms: 7200 * 1000,
            ..t.clone()
        }),
        ..cfg.clone()
    };
    let mut c = client(ccfg, 52);
    let mut s = server(
        Config13 {
            ticket_key: Some(key),
            ..cfg.clone()
        },
        52,
    );
    handshake_in_memory(&mut c, &mut s).unwrap();
    assert!(c.negotiated().unwrap().resumed);
}

/// A binder computed from a wrong PSK aborts with decrypt_error (RFC 8446 §4.2.11).
#[test]
fn wrong_binder_is_decrypt_error() {
    let cfg = Config13::default();
    let (mut t, key) = with_ticket(&cfg, 53);
    t.psk[0] ^= 1;
    let mut c = client(
        Config13 {
            resume: Some(t),
            ..cfg.clone()
        },
        54,
    );
    let mut s = server(
        Config13 {
            ticket_key: Some(key),
            ..cfg
        },
        54,
    );
    let e = handshake_in_memory(&mut c, &mut s).unwrap_err();
    assert_eq!(e.alert, AlertDescription::DecryptError, "{e}");
}

/// A psk_dhe_ke resumption where the client's predicted share is not the server's group:
/// HelloRetryRequest, and the second ClientHello's binder covers message_hash(CH1) and the
/// HRR (RFC 8446 §4.2.11.2).
#[test]
fn psk_resumption_after_hello_retry_request() {
    let cfg = Config13 {
        groups: vec![NamedGroup::X25519, NamedGroup::Ffdhe2048],
        ..Config13::default()
    };
    let (t, key) = with_ticket(&cfg, 55);
    let mut c = client(
        Config13 {
            resume: Some(t),
            ..cfg.clone()
        },
        56,
    );
    let mut s = server(
        Config13 {
            ticket_key: Some(key),
            groups: vec![NamedGroup::Ffdhe2048],
            ..cfg
        },
        56,
    );
    handshake_in_memory(&mut c, &mut s).unwrap();
    let n = c.negotiated().unwrap();
    assert!(n.resumed && n.hello_retry, "{n:?}");
    assert_eq!(n.group, NamedGroup::Ffdhe2048);
    assert_eq!(s.negotiated(), Some(n));
    exchange(&mut c, &mut s);
}

/// The simulated mode's modelled CertificateVerify: two modelled sides connect; a modelled
/// client rejects a real RSA-PSS signature (and a real client a modelled one) with
/// decrypt_error, as a wrong signature is (RFC 8446 §4.4.3).
#[test]
fn modelled_certificate_verify_is_checked() {
    let modelled = Config13 {
        modelled_signatures: true,
        ..Config13::default()
    };
    let mut c = client(modelled.clone(), 7);
    let mut s = server(modelled.clone(), 7);
    handshake_in_memory(&mut c, &mut s).unwrap();
    assert!(c.is_connected() && s.is_connected());
    for (cc, sc) in [
        (modelled.clone(), Config13::default()),
        (Config13::default(), modelled),
    ] {
        let mut c = client(cc, 8);
        let mut s = server(sc, 8);
        let e = handshake_in_memory(&mut c, &mut s).unwrap_err();
        assert_eq!(e.alert, AlertDescription::DecryptError, "{e}");
    }
}

/// Flips the last byte (in the AEAD tag) of the first protected record in `bytes`, or of
/// the last one with `last`.
fn flip_tag(bytes: &mut [u8], last: bool) {
    let mut at = 0;
    let mut ends = Vec::new();
    while at + 5 <= bytes.len() {
        let end = at + 5 + usize::from(u16::from_be_bytes([bytes[at + 3], bytes[at + 4]]));
        if bytes[at] == 23 {
            ends.push(end);
        }
        at = end;
    }
    let end = if last { ends.last() } else { ends.first() };
    bytes[end.expect("a protected record") - 1] ^= 1;
}

/// docs/tls13-alerts.md: a client failing on the server's flight protects its alert under
/// its client handshake keys, after the compatibility change_cipher_spec (JSSE, GnuTLS,
/// NSS), which the server reads as the peer's alert; with `plaintext_alerts` (OpenSSL 3.0)
/// the alert is a plaintext record with legacy_record_version 0x0303 (RFC 8446 §5.1).
#[test]
fn client_alert_before_its_finished() {
    for plaintext_alerts in [false, true] {
        let cfg = Config13 {
            plaintext_alerts,
            ..Config13::default()
        };
        let mut c = client(cfg.clone(), 5);
        let mut s = server(cfg, 5);
        let ch = c.start().unwrap();
        let mut flight = s.receive(&ch).unwrap();
        flip_tag(&mut flight, false);
        let e = c.receive(&flight).unwrap_err();
        assert_eq!(e.alert, AlertDescription::BadRecordMac);
        let alert = c.fatal_alert(e.alert);
        if plaintext_alerts {
            assert_eq!(alert, [21, 3, 3, 0, 2, 2, 20]);
            continue;
        }
        assert_eq!(alert[..6], [20, 3, 3, 0, 1, 1]);
        assert_eq!(alert[6..11], [23, 3, 3, 0, 2 + 1 + 16]);
        let e = s.receive(&alert).unwrap_err();
        assert_eq!(e.peer_alert(), Some(AlertDescription::BadRecordMac), "{e}");
    }
}

/// A server failing on the client's Finished protects its alert under its application
/// keys (OpenSSL 3.0, GnuTLS 3.7, JSSE 17 and NSS observed doing so), which the client,
/// having sent its Finished, reads as the peer's alert.
#[test]
fn server_alert_on_a_bad_client_finished() {
    let mut c = client(Config13::default(), 6);
    let mut s = server(Config13::default(), 6);
    let ch = c.start().unwrap();
    let flight = s.receive(&ch).unwrap();
    let mut fin = c.receive(&flight).unwrap();
    flip_tag(&mut fin, true);
    let e = s.receive(&fin).unwrap_err();
    assert_eq!(e.alert, AlertDescription::BadRecordMac);
    let alert = s.fatal_alert(e.alert);
    assert_eq!(alert[..5], [23, 3, 3, 0, 2 + 1 + 16]);
    let e = c.receive(&alert).unwrap_err();
    assert_eq!(e.peer_alert(), Some(AlertDescription::BadRecordMac), "{e}");
}
