//! The sans-IO TLS 1.3 client and server of `tlsim::tls13` against real OpenSSL 3 over
//! loopback (127.0.0.1 only): a tlsim client against `openssl s_server -tls1_3 -www`, a tlsim
//! server against `openssl s_client -tls1_3`, each AEAD suite, a HelloRetryRequest and PSK
//! resumption (psk_dhe_ke and psk_ke; RFC 8446 §4.2.11) in both directions. Each test
//! prints "skipped: openssl not found" and returns when the `openssl` binary is missing.

mod common;

use std::net::TcpListener;
use std::process::Command;

use common::{
    data, have, run_client, s_client, tls13_connect, tls13_serve_one, Conn13, Server, TempDir,
};
use tlsim::crypto::tls13::Tls13Suite;
use tlsim::tls13::{Config13, Ticket13};
use tlsim::wire::tls13::{PSK_DHE_KE, PSK_KE};
use tlsim::wire::NamedGroup;

fn openssl() -> bool {
    have("openssl", "version")
}

/// `openssl s_server -tls1_3 -www` with `args`.
fn s_server(args: &[&str]) -> Server {
    let port = common::free_port();
    let mut cmd = Command::new("openssl");
    cmd.arg("s_server")
        .args(["-accept", &format!("127.0.0.1:{port}")])
        .args(["-cert", &data("cert.pem"), "-key", &data("key.pem")])
        .args(["-tls1_3", "-www"])
        .args(args);
    Server::start(cmd, "ACCEPT", port, None)
}

const GET: &str = "GET / HTTP/1.0\r\n\r\n";

/// tlsim client → `openssl s_server -www`: handshake, GET, the status page.
fn client_case(suite: Tls13Suite, server_groups: &str, want_hrr: bool) {
    if !openssl() {
        return;
    }
    let srv = s_server(&["-ciphersuites", suite.name(), "-groups", server_groups]);
    let cfg = Config13 {
        suites: vec![suite],
        groups: vec![
            NamedGroup::X25519,
            NamedGroup::Secp256r1,
            NamedGroup::Secp384r1,
            NamedGroup::Ffdhe2048,
        ],
        ..Config13::default()
    };
    let c = tls13_connect(&srv.addr(), cfg, u64::from(suite.id()), GET);
    assert!(c.ok(), "{c:?}\ns_server: {}", srv.output());
    assert!(c.peer_line.contains("TLSv1.3"), "page: {}", c.peer_line);
    assert!(c.peer_line.contains(suite.name()), "page: {}", c.peer_line);
    assert_eq!(c.negotiated.unwrap().hello_retry, want_hrr);
    // OpenSSL issues two tickets after a full handshake by default.
    assert!(!c.tickets.is_empty());
}

#[test]
fn client_aes128_gcm_x25519() {
    client_case(Tls13Suite::Aes128GcmSha256, "X25519", false);
}

#[test]
fn client_aes256_gcm_x25519() {
    client_case(Tls13Suite::Aes256GcmSha384, "X25519", false);
}

#[test]
fn client_chacha20_poly1305_x25519() {
    client_case(Tls13Suite::ChaCha20Poly1305Sha256, "X25519", false);
}

/// The tlsim client predicts X25519; s_server accepts only P-256 and sends a
/// HelloRetryRequest.
#[test]
fn client_hello_retry_request_p256() {
    client_case(Tls13Suite::Aes128GcmSha256, "P-256", true);
}

/// HelloRetryRequest to ffdhe2048 and a full handshake on P-384.
#[test]
fn client_hello_retry_request_ffdhe2048_and_p384() {
    client_case(Tls13Suite::Aes128GcmSha256, "ffdhe2048", true);
    client_case(Tls13Suite::Aes256GcmSha384, "P-384", true);
}

/// PSK resumption against s_server: the first connection's ticket resumes the second in
/// psk_dhe_ke, and in psk_ke when s_server allows it (`-allow_no_dhe_kex`); without that
/// option OpenSSL refuses psk_ke and the client falls back to a full handshake.
#[test]
fn client_psk_resumption_both_modes() {
    if !openssl() {
        return;
    }
    for (mode, args, want_resumed) in [
        (PSK_DHE_KE, vec![], true),
        (PSK_KE, vec!["-allow_no_dhe_kex"], true),
        (PSK_KE, vec![], false),
    ] {
        let srv = s_server(&args);
        let cfg = Config13 {
            psk_modes: vec![mode],
            ..Config13::default()
        };
        let first = tls13_connect(&srv.addr(), cfg.clone(), 60, GET);
        assert!(first.ok(), "{first:?}\ns_server: {}", srv.output());
        let t: Ticket13 = first.tickets[0].clone();
        let cfg = Config13 {
            resume: Some(Ticket13 { age_ms: 100, ..t }),
            ..cfg
        };
        let c = tls13_connect(&srv.addr(), cfg, 61, GET);
        assert!(c.ok(), "{c:?}\ns_server: {}", srv.output());
        let n = c.negotiated.unwrap();
        assert_eq!(n.resumed, want_resumed, "mode {mode}: {n:?}");
        assert_eq!(n.psk_rejected, !want_resumed, "mode {mode}: {n:?}");
        if want_resumed {
            assert_eq!(n.psk_mode, Some(mode));
            // s_server -www reports "Reused" for a resumed session.
            assert!(c.peer_line.contains("Reused"), "page: {}", c.peer_line);
        }
    }
}

/// tlsim server ← `openssl s_client -ign_eof` (a line in, the echo back, close); extra
/// s_client arguments in `args`. Returns the tlsim side and s_client's output.
fn s_client_once(cfg: Config13, seed: u64, args: &[&str]) -> (Conn13, String) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || tls13_serve_one(&listener, cfg, seed));
    let (out, _) = run_client(s_client(port, "-tls1_3", args), "ping from openssl\n", 30);
    (server.join().unwrap(), out)
}

fn server_case(suite: Tls13Suite, client_groups: &str, groups: Vec<NamedGroup>, hrr: bool) {
    if !openssl() {
        return;
    }
    let cfg = Config13 {
        suites: vec![suite],
        groups,
        ..Config13::default()
    };
    let args = ["-ciphersuites", suite.name(), "-groups", client_groups];
    let (s, log) = s_client_once(cfg, 31 + u64::from(suite.id()), &args);
    assert!(s.ok(), "{s:?}\ns_client: {log}");
    assert_eq!(s.peer_line, "ping from openssl\n");
    assert!(log.contains("TLSv1.3"), "s_client: {log}");
    assert!(log.contains(suite.name()), "s_client: {log}");
    assert_eq!(s.negotiated.unwrap().hello_retry, hrr);
}

#[test]
fn server_aes128_gcm_x25519() {
    let g = vec![NamedGroup::X25519];
    server_case(Tls13Suite::Aes128GcmSha256, "X25519", g, false);
}

#[test]
fn server_aes256_gcm_p256() {
    let g = vec![NamedGroup::Secp256r1];
    server_case(Tls13Suite::Aes256GcmSha384, "P-256", g, false);
}

#[test]
fn server_chacha20_poly1305_x25519() {
    let g = vec![NamedGroup::X25519];
    server_case(Tls13Suite::ChaCha20Poly1305Sha256, "X25519", g, false);
}

/// s_client predicts X25519 (its first group); the tlsim server only takes P-256, then
/// ffdhe2048, then P-384, and sends a HelloRetryRequest.
#[test]
fn server_hello_retry_request_p256_ffdhe2048_p384() {
    for g in [
        NamedGroup::Secp256r1,
        NamedGroup::Ffdhe2048,
        NamedGroup::Secp384r1,
    ] {
        let groups = "X25519:P-256:ffdhe2048:P-384";
        server_case(Tls13Suite::Aes128GcmSha256, groups, vec![g], true);
    }
}

/// PSK resumption from s_client: `-sess_out` keeps the tlsim server's ticket, `-sess_in`
/// offers it; psk_dhe_ke by default, psk_ke with `-allow_no_dhe_kex` and a tlsim server
/// preferring psk_ke. A server with another ticket key refuses the ticket (full handshake).
#[test]
fn server_psk_resumption_both_modes() {
    if !openssl() {
        return;
    }
    let tmp = TempDir::new("tls13-sess");
    let sess = tmp.file("sess.pem");
    let key = [7u8; 32];
    for (mode, extra, skey, want) in [
        (PSK_DHE_KE, vec![], key, true),
        (PSK_KE, vec!["-allow_no_dhe_kex"], key, true),
        (PSK_DHE_KE, vec![], [8u8; 32], false),
    ] {
        let cfg = Config13 {
            ticket_key: Some(key),
            psk_modes: vec![mode],
            ..Config13::default()
        };
        let (s, log) = s_client_once(cfg.clone(), 70, &["-sess_out", &sess]);
        assert!(s.ok(), "{s:?}\ns_client: {log}");
        let mut args = vec!["-sess_in", sess.as_str()];
        args.extend(extra.iter().copied());
        let cfg = Config13 {
            ticket_key: Some(skey),
            ..cfg
        };
        let (s, log) = s_client_once(cfg, 71, &args);
        assert!(s.ok(), "{s:?}\ns_client: {log}");
        let n = s.negotiated.unwrap();
        assert_eq!(n.resumed, want, "mode {mode}: {n:?}\n{log}");
        assert_eq!(n.psk_rejected, !want, "{n:?}");
        if want {
            assert_eq!(n.psk_mode, Some(mode));
            assert!(log.contains("Reused, TLSv1.3"), "s_client: {log}");
        } else {
            assert!(log.contains("New, TLSv1.3"), "s_client: {log}");
        }
    }
}
