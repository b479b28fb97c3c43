//! Interop with real Java 17 JSSE over loopback: tests/java/TlsEcho.java (an echo server
//! and a client, compiled here with `javac` into cargo's target tmp dir, never into the
//! repo) against a tlsim client and a tlsim server in bridge mode. The server's keystore is
//! the bundled test certificate and key converted at test time with `openssl pkcs12
//! -export`. JSSE is configured with its documented system properties:
//! `jdk.tls.useExtendedMasterSecret` (EMS), `jdk.tls.server.enableSessionTicketExtension`
//! and `jdk.tls.client.enableSessionTicketExtension` (tickets), `jdk.tls.namedGroups`.
//! Without `java`, `javac` or `openssl` each test prints "skipped: <tool> not found" and
//! returns. Long rate runs: `cargo test --release --test interop_java -- --ignored
//! --nocapture`. Results and versions: docs/interop.md.

mod common;

use common::*;
use std::process::Command;
use tlsim::bridge::BridgeOutcome;
use tlsim::engine::Mechanism;

const GROUPS: &str = "-Djdk.tls.namedGroups=ffdhe2048,secp256r1,x25519";

fn java_server(props: &[&str], suites: &str) -> Server {
    let (dir, ks) = java_tls_echo().unwrap();
    let mut cmd = Command::new("java");
    cmd.args(props)
        .arg("-cp")
        .arg(&dir)
        .args(["TlsEcho", "server", &ks, "changeit", suites]);
    Server::start(cmd, "listening ", 0, Some("listening "))
}

/// One JSSE client process making `count` connections; its per-connection lines.
fn java_client(port: u16, count: u64, suites: &str, mode: &str, props: &[&str]) -> Vec<String> {
    let (dir, _) = java_tls_echo().unwrap();
    let mut cmd = Command::new("java");
    cmd.args(props).arg("-cp").arg(&dir).args([
        "TlsEcho",
        "client",
        &port.to_string(),
        &count.to_string(),
        suites,
        mode,
    ]);
    let (out, _) = run_client(cmd, "", 600);
    let lines: Vec<String> = out
        .lines()
        .filter(|l| l.starts_with("conn "))
        .map(String::from)
        .collect();
    assert!(!lines.is_empty(), "no output from the Java client: {out}");
    lines
}

// ------------------------------------------------------------------ tlsim client

#[test]
fn client_dhe_ecdhe_ems_on_and_off() {
    if java_tls_echo().is_none() {
        return;
    }
    // One JVM per server EMS setting, enabling all three suites; the tlsim client offers
    // one suite at a time.
    for serv_ems in [true, false] {
        let prop = format!("-Djdk.tls.useExtendedMasterSecret={serv_ems}");
        let all = format!("{DHE128},{DHE256},{ECDHE128}");
        let s = java_server(&[GROUPS, &prop], &all);
        for suite in [DHE128, DHE256, ECDHE128] {
            for (prof, ems) in [("rfc-strict", serv_ems), ("no-ems", false)] {
                let v = connect(&s.addr(), profile(prof, suite), 2, false, 7, false);
                for o in &v {
                    assert!(o.ok(), "{suite} {prof}: {o:#?}\n{}", s.output());
                    assert_eq!(o.suite.as_deref(), Some(suite));
                    assert_eq!(o.ems, ems, "{suite} {prof} server ems {serv_ems}");
                    assert_eq!(o.app_received, "tlsim bridge ping\n");
                }
            }
        }
    }
}

/// JSSE's server with tickets (its default) and without
/// (`jdk.tls.server.enableSessionTicketExtension=false`: session IDs): the tlsim client
/// resumes; a non-EMS session is not offered for resumption by the strict RFC 7627 client,
/// and with legacy rules JSSE (EMS off) resumes it.
#[test]
fn client_resumption_session_id_and_ticket() {
    if java_tls_echo().is_none() {
        return;
    }
    for tickets in [true, false] {
        // One JVM per (tickets, EMS) server.
        let mut servers = std::collections::BTreeMap::new();
        for (serv_ems, prof, legacy, want) in [
            (true, "rfc-strict", false, ["full", "resumed", "resumed"]),
            (
                false,
                "rfc-strict",
                false,
                ["full", "resume-refused", "resume-refused"],
            ),
            (false, "no-ems", true, ["full", "resumed", "resumed"]),
        ] {
            let s = servers.entry(serv_ems).or_insert_with(|| {
                let t = format!("-Djdk.tls.server.enableSessionTicketExtension={tickets}");
                let e = format!("-Djdk.tls.useExtendedMasterSecret={serv_ems}");
                java_server(&[GROUPS, &t, &e], DHE128)
            });
            let mut p = profile(prof, DHE128);
            if legacy {
                p.ems_resumption = tlsim::profile::EmsResumption::Legacy;
            }
            let v = connect(&s.addr(), p, 3, true, 11, false);
            assert!(v.iter().all(|o| o.ok()), "tickets {tickets} {prof}: {v:#?}");
            assert_eq!(kinds(&v), want, "tickets {tickets} {prof} ems {serv_ems}");
        }
    }
}

/// M1: keep-zeros tlsim client, 60 connections against JSSE: every failure a kept-zero
/// connection with JSSE's bad_record_mac (20); strip-zeros on the same seeds never fails.
#[test]
fn client_keep_zeros_failures_are_m1_strip_never_fails() {
    if java_tls_echo().is_none() {
        return;
    }
    let s = java_server(&[GROUPS], DHE256);
    let v = connect(
        &s.addr(),
        profile("keep-zeros", DHE256),
        60,
        false,
        5,
        false,
    );
    let (_, alerts) = check_m1(&v, true, "jsse server");
    assert!(alerts.iter().all(|&a| a == 20), "{alerts:?}");
    let v = connect(
        &s.addr(),
        profile("strip-zeros", DHE256),
        60,
        false,
        5,
        false,
    );
    assert!(v.iter().all(|o| o.ok()), "{v:#?}");
}

/// M2 for real: JSSE sends Ys in minimal length, so a tlsim client that rejects a short Ys
/// fails on about 1 in 256, as `dh-short-server-public`. Bounded at 3,000 connections.
#[test]
fn client_m2_jsse_sends_short_ys() {
    if java_tls_echo().is_none() {
        return;
    }
    let s = java_server(&[GROUPS], DHE128);
    let failed = |v: &[BridgeOutcome]| v.iter().any(|o| !o.ok());
    let v = connect_until(
        &s.addr(),
        &profile("rejects-short-public", DHE128),
        3000,
        false,
        failed,
    );
    let f: Vec<_> = v.iter().filter(|o| !o.ok()).collect();
    println!(
        "jsse server: {} short Ys in {} connections",
        f.len(),
        v.len()
    );
    assert!(
        !f.is_empty(),
        "no short Ys from JSSE in {} connections",
        v.len()
    );
    for o in f {
        assert_eq!(
            o.mechanism.map(Mechanism::as_str),
            Some("dh-short-server-public"),
            "{o:#?}"
        );
    }
}

// ------------------------------------------------------------------ tlsim server

#[test]
fn server_dhe_ecdhe_ems_on_and_off() {
    if java_tls_echo().is_none() {
        return;
    }
    // DHE256 is covered by the M1 tests (one JVM per case: kept short).
    for suite in [DHE128, ECDHE128] {
        for (cli_ems, prof, ems) in [
            (true, "rfc-strict", true),
            (false, "rfc-strict", false),
            (true, "no-ems", false),
        ] {
            let prop = format!("-Djdk.tls.useExtendedMasterSecret={cli_ems}");
            let (v, lines) = serve(profile(prof, suite), 1, 3, |port| {
                java_client(port, 1, suite, "fresh", &[GROUPS, &prop])
            });
            assert!(v[0].ok(), "{suite} {prof}: {:#?}\n{lines:?}", v[0]);
            assert_eq!(v[0].ems, ems, "{suite} {prof} client ems {cli_ems}");
            assert_eq!(
                lines[0],
                format!("conn 0 ok resumed=false suite={suite} reply=ping from jsse")
            );
        }
    }
}

/// A JSSE client keeping its SSLContext resumes against a tlsim server with a session-ID
/// cache only and one with tickets only (JSSE 17's client offers tickets by default).
#[test]
fn server_resumption_session_id_and_ticket() {
    if java_tls_echo().is_none() {
        return;
    }
    for mode in ["session id", "ticket"] {
        let mut p = profile("rfc-strict", DHE128);
        if mode == "session id" {
            p.server_tickets = false;
        } else {
            p.server_cache_size = 0;
        }
        let (v, lines) = serve(p, 3, 3, |port| {
            java_client(port, 3, DHE128, "resume", &[GROUPS])
        });
        assert!(v.iter().all(|o| o.ok()), "{mode}: {v:#?}\n{lines:?}");
        assert_eq!(kinds(&v), ["full", "resumed", "resumed"], "{mode}");
        assert!(lines[1].contains("ok resumed=true"), "{mode}: {lines:?}");
        assert!(lines[2].contains("ok resumed=true"), "{mode}: {lines:?}");
    }
}

/// M1 with tlsim as the server: one JSSE client process, 60 fresh connections, against a
/// keep-zeros tlsim server: each failure is a kept-zero connection, tlsim sends
/// bad_record_mac (20), and JSSE reports "Received fatal alert: bad_record_mac".
#[test]
fn server_keep_zeros_failures_are_m1() {
    if java_tls_echo().is_none() {
        return;
    }
    server_m1("keep-zeros", 60);
}

fn server_m1(zeros: &str, n: u64) -> usize {
    let (v, lines) = serve(profile(zeros, DHE128), n, 5, |port| {
        java_client(port, n, DHE128, "fresh", &[GROUPS])
    });
    let (fails, alerts) = check_m1(&v, false, "jsse client");
    assert!(alerts.iter().all(|&a| a == 20), "{alerts:?}");
    for o in v.iter().filter(|o| !o.ok()) {
        let line = &lines[usize::try_from(o.index).unwrap()];
        assert!(
            line.contains("Received fatal alert: bad_record_mac"),
            "{line}"
        );
    }
    fails
}

/// M3 for real: JSSE sends Yc in minimal length, so a tlsim server that rejects a short Yc
/// (as IIS did) fails on about 1 in 256, as `dh-short-client-public`, the alert tlsim sent
/// reaching JSSE. The client stops at its first failure (at most 3,000 connections).
#[test]
fn server_m3_jsse_sends_short_yc() {
    if java_tls_echo().is_none() {
        return;
    }
    let (v, lines) = serve_open(profile("rejects-short-public", DHE128), 3, |port| {
        let l = java_client(port, 3000, DHE128, "fresh-until-fail", &[GROUPS]);
        let n = l.len() as u64;
        (l, n)
    });
    let f: Vec<_> = v.iter().filter(|o| !o.ok()).collect();
    println!(
        "jsse client: {} short Yc in {} connections",
        f.len(),
        v.len()
    );
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(
        f[0].mechanism.map(Mechanism::as_str),
        Some("dh-short-client-public"),
        "{:#?}",
        f[0]
    );
    let last = lines.last().unwrap();
    assert!(last.contains(" fail "), "{last}");
    println!("jsse client on the refusal: {last}");
}

/// M5 observed: JSSE 17's client aborts a resumption in which the server sends
/// CertificateRequest: SSLProtocolException "Unexpected handshake message:
/// certificate_request", alert unexpected_message (10).
#[test]
fn server_m5_cert_request_on_resume() {
    if java_tls_echo().is_none() {
        return;
    }
    let (v, lines) = serve(profile("cert-request-on-resume", ECDHE128), 2, 3, |port| {
        java_client(port, 2, ECDHE128, "resume", &[])
    });
    check_m5(&v, &format!("{lines:?}"));
    let o = &v[1];
    assert!(
        lines[1].contains(
            "javax.net.ssl.SSLProtocolException: Unexpected handshake message: certificate_request"
        ),
        "{lines:?}"
    );
    println!(
        "jsse on CertificateRequest in a resumption: {}; alert received by tlsim {:?}",
        lines[1],
        o.alert_received.map(|a| a.to_u8())
    );
}

// ------------------------------------------------------------------ long runs

/// M1 at scale, tlsim client → JSSE server (`TLSIM_INTEROP_N`, default 3,000), then
/// strip-zeros over the same seeds.
#[test]
#[ignore = "long: ≥ 3,000 real connections"]
fn long_client_keep_zeros_rate() {
    if java_tls_echo().is_none() {
        return;
    }
    let s = java_server(&[GROUPS], DHE256);
    long_client_m1(&s.addr(), "JSSE server", "jsse server", long_n(), false);
}

/// M1 at scale, JSSE client → tlsim keep-zeros server.
#[test]
#[ignore = "long: ≥ 3,000 real connections"]
fn long_server_keep_zeros_rate() {
    if java_tls_echo().is_none() {
        return;
    }
    long_server_m1("JSSE client", "keep-zeros", long_n(), server_m1);
}

/// Strip-zeros at scale, JSSE client → tlsim strip-zeros server: never fails.
#[test]
#[ignore = "long: ≥ 3,000 real connections"]
fn long_server_strip_zeros_never_fails() {
    if java_tls_echo().is_none() {
        return;
    }
    long_server_m1("JSSE client", "strip-zeros", long_n(), server_m1);
}
