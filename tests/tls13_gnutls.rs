//! The sans-IO TLS 1.3 client and server of `tlsim::tls13` against GnuTLS 3.7 over loopback
//! (`gnutls-serv --echo` / `gnutls-cli`, both with `--priority
//! NORMAL:-VERS-ALL:+VERS-TLS1.3`): full handshakes, HelloRetryRequest and PSK resumption
//! (RFC 8446 §4.2.11) in both directions. Each test prints "skipped: gnutls-serv not found"
//! (or gnutls-cli) and returns when the tool is missing.

mod common;

use std::net::TcpListener;

use common::{gnutls_cli, have, run_client, tls13_connect, tls13_serve_one, Conn13, Server};
use tlsim::tls13::{Config13, Ticket13};
use tlsim::wire::tls13::{PSK_DHE_KE, PSK_KE};
use tlsim::wire::NamedGroup;

const TLS13: &str = "NORMAL:-VERS-ALL:+VERS-TLS1.3";

fn gnutls_serv13(priority: &str) -> Option<Server> {
    have("gnutls-serv", "--version").then(|| common::gnutls_serv(priority, &[]))
}

fn all_groups() -> Config13 {
    Config13 {
        groups: vec![
            NamedGroup::X25519,
            NamedGroup::Secp256r1,
            NamedGroup::Secp384r1,
            NamedGroup::Ffdhe2048,
        ],
        ..Config13::default()
    }
}

/// tlsim client → gnutls-serv --echo with `priority`.
fn client_case(priority: &str, cfg: Config13, want_group: NamedGroup, want_hrr: bool) {
    let Some(srv) = gnutls_serv13(priority) else {
        return;
    };
    let c = tls13_connect(&srv.addr(), cfg, 80, "ping from tlsim\n");
    assert!(c.ok(), "{c:?}\ngnutls-serv: {}", srv.output());
    assert_eq!(c.peer_line, "ping from tlsim\n");
    let n = c.negotiated.unwrap();
    assert_eq!((n.group, n.hello_retry), (want_group, want_hrr), "{n:?}");
}

#[test]
fn client_full_x25519() {
    client_case(TLS13, all_groups(), NamedGroup::X25519, false);
}

/// The tlsim client predicts X25519; gnutls-serv takes only P-256, ffdhe2048 or P-384 and
/// sends a HelloRetryRequest.
#[test]
fn client_hello_retry_request() {
    for (g, name) in [
        (NamedGroup::Secp256r1, "SECP256R1"),
        (NamedGroup::Ffdhe2048, "FFDHE2048"),
        (NamedGroup::Secp384r1, "SECP384R1"),
    ] {
        let p = format!("{TLS13}:-GROUP-ALL:+GROUP-{name}");
        client_case(&p, all_groups(), g, true);
    }
}

/// PSK resumption against gnutls-serv: a ticket from a first connection resumes the
/// second in psk_dhe_ke. gnutls-serv under NORMAL refuses psk_ke (a full handshake follows,
/// psk_rejected) and issues no ticket to a client that offers psk_ke only.
#[test]
fn client_psk_resumption_both_modes() {
    for (prio, mode, want) in [
        (TLS13.to_string(), PSK_DHE_KE, true),
        (TLS13.to_string(), PSK_KE, false),
    ] {
        let Some(srv) = gnutls_serv13(&prio) else {
            return;
        };
        // gnutls-serv issues no ticket to a client offering psk_ke only: the ticket comes
        // from a connection offering psk_dhe_ke.
        let first = tls13_connect(&srv.addr(), Config13::default(), 81, "one\n");
        assert!(first.ok(), "{first:?}\ngnutls-serv: {}", srv.output());
        let t: Ticket13 = first.tickets.first().expect("a ticket").clone();
        let cfg = Config13 {
            psk_modes: vec![mode],
            resume: Some(Ticket13 { age_ms: 100, ..t }),
            ..Config13::default()
        };
        let c = tls13_connect(&srv.addr(), cfg, 82, "two\n");
        assert!(c.ok(), "{c:?}\ngnutls-serv: {}", srv.output());
        assert_eq!(c.peer_line, "two\n");
        let n = c.negotiated.unwrap();
        assert_eq!(
            (n.resumed, n.psk_rejected),
            (want, !want),
            "{prio} mode {mode}: {n:?}"
        );
        if want {
            assert_eq!(n.psk_mode, Some(mode));
        }
    }
}

/// tlsim server(s) ← one gnutls-cli run (`-r` makes two connections: the second resumes).
fn cli_run(cfg: Config13, conns: u64, args: &[&str]) -> Option<(Vec<Conn13>, String)> {
    if !have("gnutls-cli", "--version") {
        return None;
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        (0..conns)
            .map(|i| tls13_serve_one(&listener, cfg.clone(), 90 + i))
            .collect::<Vec<_>>()
    });
    let (out, _) = run_client(gnutls_cli(port, args), "ping from gnutls\n", 30);
    Some((server.join().unwrap(), out))
}

#[test]
fn server_full_and_hello_retry_request() {
    // GnuTLS sends two shares (X25519 and P-256 here): P-384 and ffdhe2048 need an HRR.
    let prio = ":-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:+GROUP-FFDHE2048";
    for (groups, hrr) in [
        (vec![NamedGroup::X25519], false),
        (vec![NamedGroup::Secp256r1], false),
        (vec![NamedGroup::Secp384r1], true),
        (vec![NamedGroup::Ffdhe2048], true),
    ] {
        let want = groups[0];
        let cfg = Config13 {
            groups,
            ..Config13::default()
        };
        let prio = format!("--priority={TLS13}{prio}");
        let Some((v, log)) = cli_run(cfg, 1, &[&prio]) else {
            return;
        };
        let s = &v[0];
        assert!(s.ok(), "{s:?}\ngnutls-cli: {log}");
        assert_eq!(s.peer_line, "ping from gnutls\n");
        let n = s.negotiated.as_ref().unwrap();
        assert_eq!(
            (n.group, n.hello_retry),
            (want, hrr),
            "{prio}: {n:?}\n{log}"
        );
    }
}

/// gnutls-cli -r: the second connection offers the tlsim server's ticket and resumes.
#[test]
fn server_psk_resumption_both_modes() {
    for mode in [PSK_DHE_KE, PSK_KE] {
        let cfg = Config13 {
            ticket_key: Some([9; 32]),
            psk_modes: vec![mode],
            ..Config13::default()
        };
        let prio = format!("--priority={TLS13}");
        let Some((v, log)) = cli_run(cfg, 2, &["-r", &prio]) else {
            return;
        };
        assert!(!v[0].negotiated.as_ref().unwrap().resumed);
        let s = &v[1];
        assert!(s.ok(), "{s:?}\ngnutls-cli: {log}");
        let n = s.negotiated.as_ref().unwrap();
        assert!(n.resumed, "mode {mode}: {n:?}\n{log}");
        assert_eq!(n.psk_mode, Some(mode));
        assert!(log.contains("This is a resumed session"), "{log}");
    }
}
