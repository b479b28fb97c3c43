//! A tlsim pcap with its NSS key log decrypts in Wireshark's tshark, for TLS 1.2 (the
//! engine's simulated connections, one per record protection: AES-GCM, ChaCha20-Poly1305,
//! AES-CBC with explicit IVs in TLS 1.2 and chained implicit IVs in TLS 1.0) and for TLS 1.3
//! (the `tls13` module's exchange): the decrypted Finished messages (and in TLS 1.3 the
//! Certificate) appear, they do not without the key log, and no packet is malformed.
//! Skipped (with a message) when tshark is not installed.

use std::path::{Path, PathBuf};
use std::process::Command;
use tlsim::crypto::tls13::Tls13Suite;
use tlsim::engine::{Pair, RealCrypto};
use tlsim::profile::{builtin, TlsVersion};
use tlsim::report::pcap::{
    capture, capture_flights, keylog_runs, keylog_tls13, tls13_flights, Flight,
};
use tlsim::seed::rng_for;
use tlsim::tls13::{Client13, Config13, Server13};
use tlsim::wire::{CipherSuite, NamedGroup};

fn have_tshark() -> bool {
    Command::new("tshark").arg("--version").output().is_ok()
}

fn dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("tlsim-pcap-decrypt-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// tshark's output for `file` with `keys` as its key log (or none) and `args`.
fn tshark(file: &Path, keys: Option<&Path>, args: &[&str]) -> String {
    let mut c = Command::new("tshark");
    c.arg("-r").arg(file);
    match keys {
        Some(k) => c.arg("-o").arg(format!("tls.keylog_file:{}", k.display())),
        None => c.arg("-o").arg("tls.keylog_file:"),
    };
    let out = c.args(args).output().expect("tshark runs");
    assert!(
        out.status.success(),
        "tshark {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The handshake types tshark reads in `file`, in order, with the key log `keys`.
fn handshake_types(file: &Path, keys: Option<&Path>) -> Vec<u32> {
    tshark(file, keys, &["-T", "fields", "-e", "tls.handshake.type"])
        .split([',', '\n'])
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse().unwrap())
        .collect()
}

/// Writes the capture and key log; checks that with the key log tshark finds no malformed
/// packet and shows decrypted Finished messages (`-Y tls -V`); returns the handshake types
/// read with and without the key log.
fn check(name: &str, pcap: Vec<u8>, keylog: String) -> (Vec<u32>, Vec<u32>) {
    let d = dir();
    let (f, k) = (
        d.join(format!("{name}.pcap")),
        d.join(format!("{name}.keys")),
    );
    std::fs::write(&f, pcap).unwrap();
    std::fs::write(&k, &keylog).unwrap();
    assert!(!keylog.is_empty(), "{name}: a key log");
    let malformed = tshark(&f, Some(&k), &["-Y", "_ws.malformed"]);
    assert!(
        malformed.trim().is_empty(),
        "{name}: malformed:\n{malformed}"
    );
    let expert = tshark(&f, Some(&k), &["-q", "-z", "expert"]);
    assert!(!expert.contains("Malformed"), "{name}: {expert}");
    let v = tshark(&f, Some(&k), &["-Y", "tls", "-V"]);
    assert!(
        v.contains("Handshake Protocol: Finished"),
        "{name}: no decrypted Finished:\n{v}"
    );
    assert!(
        !v.contains("BER Error"),
        "{name}: a certificate did not dissect"
    );
    (handshake_types(&f, Some(&k)), handshake_types(&f, None))
}

fn count(types: &[u32], t: u32) -> usize {
    types.iter().filter(|&&x| x == t).count()
}

#[test]
fn tls12_pcaps_decrypt_with_their_key_log() {
    if !have_tshark() {
        println!("skipped: tshark not found");
        return;
    }
    for (name, suite, version) in [
        ("gcm", 0xC02F, TlsVersion::Tls12), // ECDHE-RSA-AES128-GCM-SHA256
        ("dhe-gcm", 0x009F, TlsVersion::Tls12), // DHE-RSA-AES256-GCM-SHA384
        ("chacha", 0xCCA8, TlsVersion::Tls12), // ECDHE-RSA-CHACHA20-POLY1305
        ("cbc12", 0xC027, TlsVersion::Tls12), // ECDHE-RSA-AES128-SHA256
        ("cbc10", 0x002F, TlsVersion::Tls10), // AES128-SHA, implicit IVs
    ] {
        let mut p = builtin("rfc-strict").unwrap();
        p.client_suites = vec![CipherSuite(suite)];
        p.server_suites = vec![CipherSuite(suite)];
        p.client_versions = vec![version];
        p.server_versions = vec![version];
        let mut pair = Pair::new(p.clone(), p, 11);
        let run = pair.connect();
        assert!(run.outcome.ok(), "{name}: {:?}", run.outcome);
        let runs = [run];
        let (with, without) = check(name, capture(&runs, 443), keylog_runs(&runs));
        assert_eq!(count(&with, 20), 2, "{name}: both Finished: {with:?}");
        assert_eq!(count(&without, 20), 0, "{name}: {without:?}");
        assert_eq!(count(&with, 1), 1, "{name}: {with:?}");
    }
}

/// A TLS 1.3 exchange: handshake, a request and a response, close_notify both ways.
fn tls13_exchange(suite: Tls13Suite, seed: u64) -> (Vec<Flight>, String) {
    let cfg = Config13 {
        suites: vec![suite],
        key_share_groups: vec![NamedGroup::X25519],
        ..Config13::default()
    };
    let rc = RealCrypto::test_server();
    let mut s = Server13::new(
        cfg.clone(),
        rc.cert_chain.clone(),
        rc.key.expect("test key"),
        rng_for(seed, &[2]),
    );
    let mut c = Client13::new(cfg, rng_for(seed, &[1]));
    let flights = tls13_flights(
        &mut c,
        &mut s,
        b"GET / HTTP/1.1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n\r\n",
        1,
    )
    .unwrap();
    (flights, keylog_tls13(&c.key_log()))
}

#[test]
fn tls13_pcaps_decrypt_with_their_key_log() {
    if !have_tshark() {
        println!("skipped: tshark not found");
        return;
    }
    for (i, suite) in Tls13Suite::ALL.into_iter().enumerate() {
        let (flights, keys) = tls13_exchange(suite, i as u64);
        for label in [
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET ",
            "SERVER_HANDSHAKE_TRAFFIC_SECRET ",
            "CLIENT_TRAFFIC_SECRET_0 ",
            "SERVER_TRAFFIC_SECRET_0 ",
        ] {
            assert_eq!(keys.matches(label).count(), 1, "{label}in\n{keys}");
        }
        let name = format!("tls13-{suite:?}");
        let (with, without) = check(&name, capture_flights(&[flights], 443), keys);
        // EncryptedExtensions, Certificate, CertificateVerify, Finished (server), Finished
        // (client), NewSessionTicket: all encrypted, read only with the key log.
        for t in [8, 11, 15, 4] {
            assert_eq!(count(&with, t), 1, "{name}: type {t}: {with:?}");
            assert_eq!(count(&without, t), 0, "{name}: type {t}: {without:?}");
        }
        assert_eq!(count(&with, 20), 2, "{name}: {with:?}");
        assert_eq!(count(&without, 20), 0, "{name}: {without:?}");
    }
}

/// `tlsim handshake --pcap --keylog` and `tlsim run --pcap --keylog` of TLS 1.3 peers: the
/// engine's connections (in memory and in a fleet) log their TLS 1.3 secrets, so the
/// capture decrypts. Before, only TLS 1.2 master secrets were logged and the TLS 1.3
/// connections stayed opaque.
#[test]
fn engine_tls13_connections_decrypt_with_their_key_log() {
    if !have_tshark() {
        println!("skipped: tshark not found");
        return;
    }
    let p = tlsim::profile::load("openssl-3.0").unwrap();
    let mut pair = Pair::new(p.clone(), p, 3);
    let runs = [pair.connect(), pair.connect()];
    assert_eq!(runs[0].outcome.version.as_deref(), Some("TLS 1.3"));
    let keys = keylog_runs(&runs);
    assert_eq!(
        keys.matches("CLIENT_HANDSHAKE_TRAFFIC_SECRET ").count(),
        2,
        "{keys}"
    );
    let (with, without) = check("engine-tls13", capture(&runs, 443), keys);
    // The full handshake's Certificate and both handshakes' EncryptedExtensions.
    assert_eq!(count(&with, 8), 2, "{with:?}");
    assert_eq!(count(&with, 11), 1, "{with:?}");
    assert_eq!(count(&without, 8), 0, "{without:?}");

    let d = dir();
    let (f, k) = (d.join("fleet-tls13.pcap"), d.join("fleet-tls13.keys"));
    let cmd = tlsim::report::RunCommand {
        scenario: "scenarios/modern-fleet-tls13.toml".into(),
        seed: None,
        capture: tlsim::report::output::Capture {
            pcap: Some(f.clone()),
            keylog: Some(k.clone()),
        },
        overlays: Default::default(),
    };
    let done = cmd.run(&()).unwrap();
    let tls13 = (done.records.iter())
        .filter(|r| r.outcome.version.as_deref() == Some("TLS 1.3"))
        .count();
    assert!(tls13 > 0);
    let keys = std::fs::read_to_string(&k).unwrap();
    assert_eq!(keys.matches("SERVER_TRAFFIC_SECRET_0 ").count(), tls13);
    let with = handshake_types(&f, Some(&k));
    assert_eq!(
        count(&with, 8),
        tls13,
        "an EncryptedExtensions per TLS 1.3 connection"
    );
    assert_eq!(count(&handshake_types(&f, None), 8), 0);
}

/// The pcap and the key log of a TLS 1.3 exchange are the same bytes for the same seed.
#[test]
fn tls13_capture_is_deterministic() {
    let a = tls13_exchange(Tls13Suite::Aes128GcmSha256, 5);
    let b = tls13_exchange(Tls13Suite::Aes128GcmSha256, 5);
    assert_eq!(a, b);
    assert_eq!(capture_flights(&[a.0], 443), capture_flights(&[b.0], 443));
}

/// Without tshark: the client's Finished in a simulated TLS 1.2 AES-128-GCM connection is
/// RFC 5288 ciphertext under the key block derived from the connection's master secret
/// (decrypted here by hand), not plaintext; a wrong key fails there (bad_record_mac).
#[test]
fn simulated_finished_is_real_aes_gcm() {
    use tlsim::crypto::{aes_gcm_open, key_block, KeyBlock, PrfAlgorithm};
    let mut p = builtin("rfc-strict").unwrap();
    p.client_suites = vec![CipherSuite(0xC02F)];
    p.server_suites = vec![CipherSuite(0xC02F)];
    p.client_versions = vec![TlsVersion::Tls12];
    p.server_versions = vec![TlsVersion::Tls12];
    let run = Pair::new(p.clone(), p, 4).connect();
    assert!(run.outcome.ok());
    let master: [u8; 48] = run.outcome.client.truth.master.as_ref().unwrap().as_bytes()[..48]
        .try_into()
        .unwrap();
    let first = |from| {
        run.wire
            .iter()
            .find(|w| w.from == from && w.bytes.first() == Some(&22))
            .unwrap()
    };
    let cr: [u8; 32] = first(tlsim::engine::Side::Client).bytes[11..43]
        .try_into()
        .unwrap();
    let sr: [u8; 32] = first(tlsim::engine::Side::Server).bytes[11..43]
        .try_into()
        .unwrap();
    let kb = KeyBlock::split(
        &key_block(PrfAlgorithm::Sha256, &master, &sr, &cr, 40),
        0,
        16,
        4,
    );
    // The client's records after its ChangeCipherSpec: the first is the Finished.
    let ccs = run
        .wire
        .iter()
        .position(|w| w.from == tlsim::engine::Side::Client && w.bytes.first() == Some(&20))
        .unwrap();
    let fin = run.wire[ccs + 1..]
        .iter()
        .find(|w| w.from == tlsim::engine::Side::Client)
        .unwrap();
    let rec = &fin.bytes;
    assert_eq!(&rec[..3], &[22, 3, 3]);
    // explicit nonce(8) || ciphertext(16) || tag(16)
    assert_eq!(rec.len(), 5 + 8 + 16 + 16);
    let mut nonce = [0u8; 12];
    nonce[..4].copy_from_slice(&kb.client_iv);
    nonce[4..].copy_from_slice(&rec[5..13]);
    let mut aad = 0u64.to_be_bytes().to_vec();
    aad.extend([22, 3, 3, 0, 16]);
    let plain = aes_gcm_open(&kb.client_key, &nonce, &aad, &rec[13..]).expect("decrypts");
    assert_eq!(&plain[..4], &[20, 0, 0, 12], "a Finished message");
    assert_ne!(&rec[13..17], &plain[..4], "not sent in the clear");
    assert!(aes_gcm_open(&kb.server_key, &nonce, &aad, &rec[13..]).is_none());
}
