//! Bridge mode (real crypto) between two tlsim engines in memory: AES-GCM records, real RSA
//! signatures and certificate parsing, no OpenSSL needed.

use std::sync::Arc;
use tlsim::engine::{Connection, Mechanism, Outcome, PeerState, RealCrypto};

use tlsim::seed::rng_for;

fn run(server_real: Arc<RealCrypto>, suite: &str, seed: u64) -> Outcome {
    let mut p = tlsim::profile::load("rfc-strict").unwrap();
    p.client_suites = vec![tlsim::wire::suite_by_name(suite).unwrap().suite];
    let p = Arc::new(p);
    let mut cs = PeerState::new(&mut rng_for(seed, &[9]));
    let mut ss = PeerState::new(&mut rng_for(seed, &[10]));
    let mut c = Connection::client(p.clone(), "s", rng_for(seed, &[0]), 0, &mut cs)
        .with_real_crypto(Arc::new(RealCrypto::client()));
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

#[test]
fn real_mode_refuses_cbc_and_rsa_key_transport() {
    let o = run(
        Arc::new(RealCrypto::test_server()),
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        3,
    );
    assert_eq!(
        o.mechanism.map(Mechanism::as_str),
        Some("no-shared-cipher"),
        "{o:#?}"
    );
    let o = run(
        Arc::new(RealCrypto::test_server()),
        "TLS_RSA_WITH_AES_128_GCM_SHA256",
        3,
    );
    assert_eq!(
        o.mechanism.map(Mechanism::as_str),
        Some("no-shared-cipher"),
        "{o:#?}"
    );
}
