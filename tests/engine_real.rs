//! Bridge mode (real crypto) between two tlsim engines in memory: AES-GCM and AES-CBC
//! records, RSA key transport, TLS 1.0-1.2, real RSA signatures, client certificates and
//! certificate parsing, no OpenSSL needed.

use std::sync::Arc;
use tlsim::engine::{Connection, Mechanism, Outcome, PeerState, RealCrypto};

use tlsim::seed::rng_for;

fn run(server_real: Arc<RealCrypto>, suite: &str, seed: u64) -> Outcome {
    let mut p = tlsim::profile::load("rfc-strict").unwrap();
    p.client_suites = vec![tlsim::wire::suite_by_name(suite).unwrap().suite];
    run_with(p, Arc::new(RealCrypto::client()), server_real, seed)
}

fn run_with(
    p: tlsim::profile::Profile,
    client_real: Arc<RealCrypto>,
    server_real: Arc<RealCrypto>,
    seed: u64,
) -> Outcome {
    let p = Arc::new(p);
    let mut cs = PeerState::new(&mut rng_for(seed, &[9]));
    let mut ss = PeerState::new(&mut rng_for(seed, &[10]));
    let mut c = Connection::client(p.clone(), "s", rng_for(seed, &[0]), 0, &mut cs)
        .with_real_crypto(client_real);
    let mut s = Connection::server(p, rng_for(seed, &[1]), 0).with_real_crypto(server_real);
    let mut sent_app = false;
    for _ in 0..32 {
        let mut moved = false;
        while let Some(t) = c.poll_transmit() {
            moved = true;
            if !t.bytes.is_empty() {
                s.handle_input(1, &t.bytes, &mut ss);
            }
            if let Some(k) = t.close {
                s.handle_close(1, k);
            }
        }
        while let Some(t) = s.poll_transmit() {
            moved = true;
            if !t.bytes.is_empty() {
                c.handle_input(1, &t.bytes, &mut cs);
            }
            if let Some(k) = t.close {
                c.handle_close(1, k);
            }
        }
        if c.is_handshake_complete() && !sent_app {
            c.send_app_data(b"ping\n");
            sent_app = true;
            moved = true;
        }
        if !moved {
            break;
        }
    }
    if c.is_handshake_complete() {
        assert_eq!(s.take_app_data(), b"ping\n");
    }
    Outcome::from_reports(c.report().clone(), s.report().clone())
}

#[test]
fn real_mode_in_memory_gcm_suites() {
    for suite in [
        "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    ] {
        let o = run(Arc::new(RealCrypto::test_server()), suite, 1);
        assert!(o.ok(), "{suite}: {o:#?}");
    }
}

#[test]
fn real_mode_wrong_key_is_decrypt_error() {
    // The bundled certificate with a different RSA key: the signature does not verify.
    let other = rsa::RsaPrivateKey::new(&mut rng_for(5, &[]), 1024).unwrap();
    let bad = RealCrypto {
        cert_chain: vec![tlsim::engine::TEST_CERT_DER.to_vec()],
        key: Some(other),
    };
    let o = run(Arc::new(bad), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 2);
    assert!(!o.ok());
    assert_eq!(o.alert.map(|a| a.to_u8()), Some(51), "{o:#?}");
    assert_eq!(
        o.client.error,
        Some(tlsim::engine::LocalError::BadSignature)
    );
}

/// CBC suites and RSA key transport in TLS 1.0, 1.1 and 1.2, with and without a client
/// certificate: every handshake completes and the ping arrives.
#[test]
fn real_mode_cbc_rsa_kx_versions_and_client_auth() {
    use tlsim::profile::TlsVersion as V;
    for (version, suite) in [
        (V::Tls10, "TLS_RSA_WITH_AES_128_CBC_SHA"),
        (V::Tls10, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"),
        (V::Tls11, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"),
        (V::Tls11, "TLS_RSA_WITH_AES_256_CBC_SHA"),
        (V::Tls12, "TLS_RSA_WITH_AES_128_CBC_SHA256"),
        (V::Tls12, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"),
        (V::Tls12, "TLS_RSA_WITH_AES_128_GCM_SHA256"),
    ] {
        for (auth, client_cert) in [(false, true), (true, false), (true, true)] {
            let mut p = tlsim::profile::load("rfc-strict").unwrap();
            p.client_suites = vec![tlsim::wire::suite_by_name(suite).unwrap().suite];
            p.server_suites = p.client_suites.clone();
            p.client_versions = vec![version];
            p.server_versions = vec![version];
            p.request_client_cert = auth;
            p.client_cert = client_cert;
            let o = run_with(
                p,
                Arc::new(RealCrypto::test_client()),
                Arc::new(RealCrypto::test_server()),
                7,
            );
            assert!(
                o.ok(),
                "{version:?} {suite} auth={auth} cert={client_cert}: {o:#?}"
            );
        }
    }
}

/// A client certificate whose key is not the one the client signs with: the server's real
/// CertificateVerify check fails (decrypt_error, 51).
#[test]
fn real_mode_bad_client_certificate_verify_is_decrypt_error() {
    let other = rsa::RsaPrivateKey::new(&mut rng_for(6, &[]), 1024).unwrap();
    let bad_client = RealCrypto {
        cert_chain: vec![tlsim::engine::TEST_CLIENT_CERT_DER.to_vec()],
        key: Some(other),
    };
    let mut p = tlsim::profile::load("rfc-strict").unwrap();
    p.request_client_cert = true;
    let o = run_with(
        p,
        Arc::new(bad_client),
        Arc::new(RealCrypto::test_server()),
        8,
    );
    assert!(!o.ok());
    assert_eq!(o.alert.map(|a| a.to_u8()), Some(51), "{o:#?}");
    assert_eq!(
        o.server.error,
        Some(tlsim::engine::LocalError::BadSignature)
    );
}

/// RSA key transport to a certificate whose key the server does not hold: the server's
/// decryption fails, and the RFC 5246 §7.4.7.1 countermeasure hides it: the server goes on
/// with a random pre-master and the first sign of trouble is the client's Finished, which
/// fails as bad_record_mac / Finished mismatch, never a decryption error of its own.
#[test]
fn real_mode_rsa_decryption_failure_is_hidden_until_finished() {
    let other = rsa::RsaPrivateKey::new(&mut rng_for(9, &[]), 2048).unwrap();
    let bad = RealCrypto {
        cert_chain: vec![tlsim::engine::TEST_CERT_DER.to_vec()],
        key: Some(other),
    };
    let o = run(Arc::new(bad), "TLS_RSA_WITH_AES_128_CBC_SHA", 4);
    assert!(!o.ok());
    assert!(
        matches!(
            o.server.error,
            Some(tlsim::engine::LocalError::BadRecordMac)
                | Some(tlsim::engine::LocalError::FinishedMismatch)
        ),
        "{o:#?}"
    );
    assert_ne!(o.client.truth.premaster, o.server.truth.premaster);
}

/// What bridge mode still does not run (3DES) is never chosen by a real-crypto server,
/// even when both lists have it.
#[test]
fn real_mode_refuses_3des() {
    let mut p = tlsim::profile::load("rfc-strict").unwrap();
    p.client_suites = vec![
        tlsim::wire::suite_by_name("TLS_RSA_WITH_3DES_EDE_CBC_SHA")
            .unwrap()
            .suite,
    ];
    p.server_suites = p.client_suites.clone();
    let o = run_with(
        p,
        Arc::new(RealCrypto::client()),
        Arc::new(RealCrypto::test_server()),
        3,
    );
    assert_eq!(
        o.mechanism.map(Mechanism::as_str),
        Some("no-shared-cipher"),
        "{o:#?}"
    );
}
