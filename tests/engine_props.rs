//! Property tests of the engine: compliant profiles never fail, runs are byte-identical
//! per seed, malformed input never panics and is answered with an RFC alert, and the M1
//! failure rate matches the arithmetic.

#![allow(clippy::field_reassign_with_default)] // profiles are built knob by knob for readability

use proptest::prelude::*;
use std::sync::Arc;
use tlsim::crypto::{Curve, DhGroup, GroupId, PublicEncoding};
use tlsim::engine::{Connection, Mechanism, Pair, PeerState, Side};
use tlsim::profile::builtin;
use tlsim::profile::{LeadingZeros, Profile, TlsVersion};
use tlsim::seed::rng_for;
use tlsim::wire::CipherSuite;

const SUITES: [u16; 8] = [
    0xC02F, 0xC030, 0x009E, 0x009F, 0xC013, 0x0033, 0x009C, 0x002F,
];

prop_compose! {
    /// A pair of RFC-compliant profiles with random (valid, mutually compatible) knobs.
    fn compliant_pair()(
        client_mask in 1u8..=255,
        server_extra in any::<u8>(),
        honor in any::<bool>(),
        group in prop::sample::select(vec![GroupId::Ffdhe2048, GroupId::Modp2048, GroupId::Oakley2]),
        exp_bits in prop::sample::select(vec![160usize, 224, 256]),
        curves in prop::sample::select(vec![vec![Curve::X25519], vec![Curve::Secp256r1], vec![Curve::Secp256r1, Curve::X25519]]),
        ems in any::<bool>(),
        tickets in any::<bool>(),
        cache in prop::sample::select(vec![0usize, 1, 100]),
        frag in 300usize..=16384,
        pack in any::<bool>(),
        chain in prop::collection::vec(200usize..6000, 1..4),
        client_auth in any::<bool>(),
        issuers in 0usize..3000,
        versions in prop::sample::select(vec![vec![TlsVersion::Tls12], vec![TlsVersion::Tls10, TlsVersion::Tls11, TlsVersion::Tls12], vec![TlsVersion::Tls10]]),
        enc in prop::sample::select(vec![PublicEncoding::Padded, PublicEncoding::Minimal]),
    ) -> (Profile, Profile) {
        let pick = |mask: u8| -> Vec<CipherSuite> {
            SUITES.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, s)| CipherSuite(*s)).collect()
        };
        let mut c = Profile::default();
        // TLS 1.0 has no GCM suites: keep a CBC suite in every offer.
        c.client_suites = pick(client_mask);
        c.client_suites.push(CipherSuite(0x002F));
        c.client_suites.dedup();
        c.client_versions = versions.clone();
        c.curves = curves.clone();
        c.ems_offer = ems;
        c.client_tickets = tickets;
        c.cert_chain = chain.clone();
        c.max_fragment = frag;
        c.pack_handshake_messages = pack;
        c.public_value_encoding = enc;
        c.dh_exponent_bits = exp_bits;
        let mut s = Profile::default();
        s.server_suites = pick(client_mask | server_extra);
        s.server_suites.push(CipherSuite(0x002F));
        s.server_honors_client_order = honor;
        s.server_versions = versions;
        s.dh_group = group;
        s.dh_exponent_bits = exp_bits;
        s.curves = curves;
        s.ems_negotiate = ems;
        s.server_tickets = tickets;
        s.server_cache_size = cache;
        s.max_fragment = frag;
        s.pack_handshake_messages = !pack;
        s.cert_chain = chain;
        s.request_client_cert = client_auth;
        s.send_trusted_issuer_list = issuers > 0;
        s.trusted_issuer_bytes = issuers;
        s.public_value_encoding = enc;
        (c, s)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn compliant_profiles_never_fail_and_replay_identically((c, s) in compliant_pair(), seed in any::<u64>()) {
        let mut pair = Pair::new(c.clone(), s.clone(), seed);
        let runs: Vec<_> = (0..3).map(|_| pair.connect()).collect();
        for r in &runs {
            prop_assert!(r.outcome.ok(), "{:#?}", r.outcome);
        }
        let mut again = Pair::new(c, s, seed);
        for r in &runs {
            let r2 = again.connect();
            prop_assert_eq!(&r.wire, &r2.wire, "same seed, same bytes");
            prop_assert_eq!(&r.outcome, &r2.outcome);
        }
    }

    /// Arbitrary bytes fed to either engine at any point of a handshake: never a panic, and
    /// any failure is answered with one of the RFC 5246 alerts for bad input.
    #[test]
    fn garbage_at_every_state_gets_an_alert(step in 0usize..12, garbage in prop::collection::vec(any::<u8>(), 0..300), as_record in any::<bool>(), seed in 0u64..1000) {
        let profile = Arc::new(Profile::default());
        let mut cs = PeerState::new(&mut rng_for(seed, &[9]));
        let mut ss = PeerState::new(&mut rng_for(seed, &[10]));
        let mut c = Connection::client(profile.clone(), "server", rng_for(seed, &[0]), 0, &mut cs);
        let mut s = Connection::server(profile, rng_for(seed, &[1]), 0);
        // Run the honest handshake for `step` transmits, then inject garbage into whichever
        // side would receive next.
        let mut delivered = 0;
        let mut target = Side::Server;
        'outer: for _ in 0..16 {
            for dir in [Side::Client, Side::Server] {
                let (from, to, st) = match dir {
                    Side::Client => (&mut c, &mut s, &mut ss),
                    Side::Server => (&mut s, &mut c, &mut cs),
                };
                while let Some(t) = from.poll_transmit() {
                    if delivered == step {
                        target = dir.peer();
                        break 'outer;
                    }
                    to.handle_input(1, &t.bytes, st);
                    delivered += 1;
                }
            }
        }
        let bytes = if as_record {
            // A well-framed handshake record with a garbage body.
            let mut b = vec![22, 3, 3, (garbage.len() >> 8) as u8, garbage.len() as u8];
            b.extend_from_slice(&garbage);
            b
        } else {
            garbage
        };
        let (conn, st) = match target {
            Side::Client => (&mut c, &mut cs),
            Side::Server => (&mut s, &mut ss),
        };
        conn.handle_input(2, &bytes, st);
        let r = conn.report();
        if let Some(a) = r.alert_sent {
            // unexpected_message, bad_record_mac, record_overflow, handshake_failure,
            // illegal_parameter, decode_error, decrypt_error, protocol_version,
            // insufficient_security, internal_error, unsupported_extension
            prop_assert!([10u8, 20, 22, 40, 47, 50, 51, 70, 71, 80, 110].contains(&a.to_u8()), "alert {a}: {r:#?}");
            prop_assert!(conn.is_closed());
        }
    }
}

#[test]
fn specific_bad_input_gets_the_rfc_alert() {
    let profile = Arc::new(Profile::default());
    // A Finished before any ClientHello: unexpected_message.
    let mut s = Connection::server(profile.clone(), rng_for(1, &[1]), 0);
    let mut st = PeerState::new(&mut rng_for(1, &[2]));
    s.handle_input(
        0,
        &[
            22, 3, 1, 0, 16, 20, 0, 0, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
        ],
        &mut st,
    );
    assert_eq!(s.report().alert_sent.map(|a| a.to_u8()), Some(10));
    // A truncated ClientHello body: decode_error.
    let mut s = Connection::server(profile.clone(), rng_for(1, &[1]), 0);
    s.handle_input(0, &[22, 3, 1, 0, 8, 1, 0, 0, 4, 3, 3, 0, 0], &mut st);
    assert_eq!(s.report().alert_sent.map(|a| a.to_u8()), Some(50));
    // A record with an unknown content type: unexpected_message.
    let mut s = Connection::server(profile, rng_for(1, &[1]), 0);
    s.handle_input(0, &[99, 3, 1, 0, 1, 0], &mut st);
    assert_eq!(s.report().alert_sent.map(|a| a.to_u8()), Some(10));
}

/// 20,000 seeded DHE handshakes on ffdhe2048 between a `keep` client and a `strip` server:
/// the number that fail with dh-premaster-zeros lies inside the 99.9% binomial interval of
/// the exact rate computed from p.
#[test]
fn m1_failure_rate_matches_the_arithmetic() {
    let client = builtin("keep-zeros").expect("built-in");
    let server = builtin("strip-zeros").expect("built-in");
    let n = 20_000u64;
    let mut failures = 0u64;
    let mut pair = Pair::new(client, server, 2026);
    let mut c = (*pair.client).clone();
    c.client_resumes = false; // every connection a full DHE handshake
    pair.client = Arc::new(c);
    for _ in 0..n {
        let o = pair.connect().outcome;
        match o.mechanism.map(Mechanism::as_str) {
            None => {}
            Some("dh-premaster-zeros") => failures += 1,
            other => panic!("unexpected mechanism {other:?}: {o:#?}"),
        }
    }
    let p = DhGroup::named(GroupId::Ffdhe2048).leading_zero_probability();
    let (lo, hi) = tlsim::crypto::binomial_interval(n, p, 0.999);
    println!(
        "M1 over {n} handshakes: observed {failures} failures ({:.5}), expected {:.1} (p = {p:.6}), 99.9% interval [{lo}, {hi}]",
        failures as f64 / n as f64,
        n as f64 * p
    );
    assert!(
        (lo..=hi).contains(&failures),
        "{failures} outside [{lo}, {hi}]"
    );
}

#[test]
fn keep_unless_ems_hypothesis_only_fails_without_ems() {
    // KB4528489 item 1 read as "keeps zeros only when EMS is not negotiated".
    let mut client = builtin("keep-zeros").expect("built-in");
    client.premaster_leading_zeros = LeadingZeros::KeepUnlessEms;
    client.client_resumes = false;
    let server = builtin("strip-zeros").expect("built-in");
    let mut no_ems = client.clone();
    no_ems.ems_offer = false;
    let fails = |c: &Profile| {
        (0..1500)
            .filter(|s| {
                !Pair::new(c.clone(), server.clone(), *s)
                    .connect()
                    .outcome
                    .ok()
            })
            .count()
    };
    assert_eq!(fails(&client), 0, "with EMS the hypothesis strips");
    assert!(
        fails(&no_ems) > 0,
        "without EMS it keeps, and fails about 1 in 256"
    );
}
