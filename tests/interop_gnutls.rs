//! Interop with real GnuTLS (Debian `gnutls-bin`: `gnutls-serv`, `gnutls-cli`) over
//! loopback: a tlsim client (bridge mode) against `gnutls-serv --echo`, a tlsim server
//! against `gnutls-cli`. DHE and ECDHE, EMS on and off (`%NO_SESSION_HASH` in the priority
//! string), session-ID (`--noticket`) and ticket (`--nodb`) resumption, M1 (keep-zeros),
//! M2 and M3 (GnuTLS sends unpadded Ys and Yc), M5 (CertificateRequest on resumption).
//! Without the tools each test prints "skipped: gnutls-serv not found" (or gnutls-cli) and
//! returns. Long rate runs: `cargo test --release --test interop_gnutls -- --ignored
//! --nocapture`. Results and versions: docs/interop.md.

mod common;

use common::*;
use std::process::Command;
use std::time::{Duration, Instant};
use tlsim::bridge::BridgeOutcome;
use tlsim::engine::Mechanism;

/// A GnuTLS priority string: TLS 1.2 only, one key exchange, EMS on or off.
fn prio(kx: &str, ems: bool) -> String {
    format!(
        "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+{kx}{}",
        if ems { "" } else { ":%NO_SESSION_HASH" }
    )
}

fn kx_of(suite: &str) -> &'static str {
    if suite.starts_with("TLS_ECDHE") {
        "ECDHE-RSA"
    } else {
        "DHE-RSA"
    }
}

/// `gnutls-cli` with the priority string `priority`, then `extra`.
fn gnutls_cli_prio(port: u16, priority: &str, extra: &[&str]) -> Command {
    let priority = format!("--priority={priority}");
    gnutls_cli(port, &[&[priority.as_str()], extra].concat())
}

/// Wait (bounded) until the server's log holds `n` occurrences of `what`.
fn log_count(s: &Server, what: &str, n: usize) -> usize {
    let until = Instant::now() + Duration::from_secs(3);
    loop {
        let c = s.output().matches(what).count();
        if c >= n || Instant::now() > until {
            return c;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ------------------------------------------------------------------ tlsim client

#[test]
fn client_dhe_ecdhe_ems_on_and_off() {
    if !have("gnutls-serv", "--version") {
        return;
    }
    for suite in [DHE128, DHE256, ECDHE128, ECDHE256] {
        // (server EMS, tlsim profile, EMS negotiated)
        for (serv_ems, prof, ems) in [
            (true, "rfc-strict", true),
            (false, "rfc-strict", false),
            (true, "no-ems", false),
        ] {
            let s = gnutls_serv(&prio(kx_of(suite), serv_ems), &["-a"]);
            let v = connect(&s.addr(), profile(prof, suite), 2, false, 7, false);
            for o in &v {
                assert!(o.ok(), "{suite} {prof}: {o:#?}\n{}", s.output());
                assert_eq!(o.suite.as_deref(), Some(suite));
                assert_eq!(o.ems, ems, "{suite} {prof} server ems {serv_ems}");
                assert_eq!(o.app_received, "tlsim bridge ping\n");
            }
            // GnuTLS's own view of each session ("- Options: extended master secret, ...").
            let seen = log_count(&s, "Options: extended master secret", 2);
            assert_eq!(seen, if ems { 2 } else { 0 }, "{}", s.output());
        }
    }
}

/// Session IDs only (`--noticket`) and tickets only (`--nodb`). A no-EMS session: the
/// strict RFC 7627 tlsim client does not offer to resume it; with legacy rules it does and
/// GnuTLS 3.7 resumes it (neither hello has EMS).
#[test]
fn client_resumption_session_id_and_ticket() {
    if !have("gnutls-serv", "--version") {
        return;
    }
    for flag in ["--noticket", "--nodb"] {
        for (serv_ems, prof, legacy, want) in [
            (true, "rfc-strict", false, ["full", "resumed", "resumed"]),
            (
                false,
                "rfc-strict",
                false,
                ["full", "resume-refused", "resume-refused"],
            ),
            (true, "no-ems", true, ["full", "resumed", "resumed"]),
        ] {
            let s = gnutls_serv(&prio("DHE-RSA", serv_ems), &["-a", flag]);
            let mut p = profile(prof, DHE128);
            if legacy {
                p.ems_resumption = tlsim::profile::EmsResumption::Legacy;
            }
            let v = connect(&s.addr(), p, 3, true, 11, false);
            assert!(v.iter().all(|o| o.ok()), "{flag} {prof}: {v:#?}");
            assert_eq!(kinds(&v), want, "{flag} {prof} server ems {serv_ems}");
        }
    }
}

/// M1: keep-zeros tlsim client, 60 connections: every failure is a kept-zero connection,
/// `dh-premaster-zeros`, with the bad_record_mac (20) GnuTLS really sent; strip-zeros on the
/// same seeds never fails.
#[test]
fn client_keep_zeros_failures_are_m1_strip_never_fails() {
    if !have("gnutls-serv", "--version") {
        return;
    }
    let s = gnutls_serv(&prio("DHE-RSA", true), &["-a"]);
    let v = connect(
        &s.addr(),
        profile("keep-zeros", DHE256),
        60,
        false,
        5,
        false,
    );
    let (_, alerts) = check_m1(&v, true, "gnutls-serv");
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

/// M2 for real: GnuTLS sends Ys in minimal length (about 1 in 256 is shorter than p), so a
/// tlsim client that rejects a short Ys (as old Schannel clients did) fails on those, as
/// `dh-short-server-public`; the others succeed. And GnuTLS accepts a short Yc from a
/// minimal-public tlsim client. Bounded: at most 3,000 connections (P(no short Ys) < 1e-5).
#[test]
fn client_m2_gnutls_sends_short_ys_and_accepts_short_yc() {
    if !have("gnutls-serv", "--version") {
        return;
    }
    let s = gnutls_serv(&prio("DHE-RSA", true), &["-a"]);
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
        "gnutls-serv: {} short Ys in {} connections",
        f.len(),
        v.len()
    );
    assert!(
        !f.is_empty(),
        "no short Ys from GnuTLS in {} connections",
        v.len()
    );
    for o in f {
        assert_eq!(
            o.mechanism.map(Mechanism::as_str),
            Some("dh-short-server-public"),
            "{o:#?}"
        );
    }
    let short_yc = |v: &[BridgeOutcome]| {
        v.iter()
            .any(|o| o.local.truth.sent_public_len.is_some_and(|l| l < 256))
    };
    let v = connect_until(
        &s.addr(),
        &profile("minimal-public", DHE128),
        3000,
        false,
        short_yc,
    );
    assert!(short_yc(&v), "no short Yc sent in {} connections", v.len());
    assert!(
        v.iter().all(|o| o.ok()),
        "GnuTLS refused a short Yc: {v:#?}"
    );
}

// ------------------------------------------------------------------ tlsim server

#[test]
fn server_dhe_ecdhe_ems_on_and_off() {
    if !have("gnutls-cli", "--version") {
        return;
    }
    for suite in [DHE128, DHE256, ECDHE128] {
        for (cli_ems, prof, ems) in [
            (true, "rfc-strict", true),
            (false, "rfc-strict", false),
            (true, "no-ems", false),
        ] {
            let (v, (out, _)) = serve(profile(prof, suite), 1, 3, |port| {
                run_client(
                    gnutls_cli_prio(port, &prio(kx_of(suite), cli_ems), &[]),
                    "hello tlsim\n",
                    20,
                )
            });
            assert!(v[0].ok(), "{suite} {prof}: {:#?}\n{out}", v[0]);
            assert_eq!(v[0].ems, ems, "{suite} {prof} client ems {cli_ems}");
            assert!(out.contains("- Handshake was completed"), "{out}");
            assert_eq!(
                out.contains("Options: extended master secret"),
                ems,
                "{out}"
            );
        }
    }
}

/// `gnutls-cli -r` (a full handshake, then a resumption) against a tlsim server with a
/// session-ID cache only and one with tickets only.
#[test]
fn server_resumption_session_id_and_ticket() {
    if !have("gnutls-cli", "--version") {
        return;
    }
    for mode in ["session id", "ticket"] {
        let mut p = profile("rfc-strict", DHE128);
        if mode == "session id" {
            p.server_tickets = false;
        } else {
            p.server_cache_size = 0;
        }
        let (v, (out, _)) = serve(p, 2, 3, |port| {
            run_client(
                gnutls_cli_prio(port, &prio("DHE-RSA", true), &["-r"]),
                "x\n",
                20,
            )
        });
        assert!(v.iter().all(|o| o.ok()), "{mode}: {v:#?}\n{out}");
        assert_eq!(kinds(&v), ["full", "resumed"], "{mode}");
        assert!(out.contains("This is a resumed session"), "{mode}: {out}");
    }
}

/// M1 with tlsim as the server: 60 `gnutls-cli` runs against a keep-zeros tlsim server.
/// Each failure is a kept-zero connection: tlsim cannot open GnuTLS's Finished and sends
/// bad_record_mac (20), which gnutls-cli reports receiving.
#[test]
fn server_keep_zeros_failures_are_m1() {
    if !have("gnutls-cli", "--version") {
        return;
    }
    server_m1("keep-zeros", 60);
}

fn server_m1(zeros: &str, n: u64) -> usize {
    let t = Instant::now();
    let (v, outs) = serve(profile(zeros, DHE128), n, 5, |port| {
        (0..n)
            .map(|_| {
                run_client(
                    gnutls_cli_prio(port, &prio("DHE-RSA", true), &[]),
                    "x\n",
                    20,
                )
                .0
            })
            .collect::<Vec<_>>()
    });
    let (fails, alerts) = check_m1(&v, false, "gnutls-cli");
    assert!(alerts.iter().all(|&a| a == 20), "{alerts:?}");
    for o in v.iter().filter(|o| !o.ok()) {
        let out = &outs[usize::try_from(o.index).unwrap()];
        assert!(out.contains("Received alert [20]"), "{out}");
    }
    println!(
        "gnutls-cli vs {zeros} tlsim server: {fails} failures in {n}, {:.1?}",
        t.elapsed()
    );
    fails
}

/// M5 observed: a tlsim server that sends CertificateRequest in the abbreviated handshake.
/// GnuTLS 3.7.9's client aborts the resumption: "An unexpected TLS packet was received"
/// (GNUTLS_E_UNEXPECTED_PACKET) and sends unexpected_message (10). Whether tlsim reads the
/// alert depends on timing: GnuTLS may close before tlsim's Finished is written (then tlsim
/// sees a broken pipe or a reset).
#[test]
fn server_m5_cert_request_on_resume() {
    if !have("gnutls-cli", "--version") {
        return;
    }
    let (v, (out, _)) = serve(profile("cert-request-on-resume", ECDHE128), 2, 3, |port| {
        run_client(
            gnutls_cli_prio(port, &prio("ECDHE-RSA", true), &["-r"]),
            "x\n",
            20,
        )
    });
    check_m5(&v, &out);
    let o = &v[1];
    assert!(
        out.contains("*** Fatal error: An unexpected TLS packet was received."),
        "{out}"
    );
    assert!(!out.contains("This is a resumed session"), "{out}");
    println!(
        "gnutls-cli on CertificateRequest in a resumption: alert received by tlsim {:?}, transport {:?}",
        o.alert_received.map(|a| a.to_u8()),
        o.transport
    );
}

// ------------------------------------------------------------------ long runs

/// M1 at scale, tlsim client → gnutls-serv: the keep-zeros count is inside the 99.9%
/// interval of the ffdhe2048 rate, every failure GnuTLS's bad_record_mac; strip-zeros over
/// the same seeds never fails. `TLSIM_INTEROP_N` (default 3,000).
#[test]
#[ignore = "long: ≥ 3,000 real connections"]
fn long_client_keep_zeros_rate() {
    if !have("gnutls-serv", "--version") {
        return;
    }
    let s = gnutls_serv(&prio("DHE-RSA", true), &["-a"]);
    long_client_m1(&s.addr(), "gnutls-serv", "gnutls-serv", long_n(), false);
}

/// M1 at scale with tlsim as the server, one gnutls-cli process per connection.
#[test]
#[ignore = "long: thousands of gnutls-cli processes"]
fn long_server_keep_zeros_rate() {
    if !have("gnutls-cli", "--version") {
        return;
    }
    long_server_m1("gnutls-cli", "keep-zeros", long_n(), server_m1);
}

/// Strip-zeros at scale, tlsim as the server: the same gnutls-cli workload never fails.
#[test]
#[ignore = "long: thousands of gnutls-cli processes"]
fn long_server_strip_zeros_never_fails() {
    if !have("gnutls-cli", "--version") {
        return;
    }
    long_server_m1("gnutls-cli", "strip-zeros", long_n(), server_m1);
}

/// M3 for real, tlsim as the server: GnuTLS sends Yc in minimal length, so a tlsim server
/// that rejects a short Yc (as IIS did) fails on about 1 in 256 connections, as
/// `dh-short-client-public`; gnutls-cli reports the alert tlsim sent. One gnutls-cli
/// process per connection until the first failure (at most 3,000), so it is long.
#[test]
#[ignore = "long: hundreds of gnutls-cli processes"]
fn long_server_m3_gnutls_sends_short_yc() {
    if !have("gnutls-cli", "--version") {
        return;
    }
    let (v, outs) = serve_open(profile("rejects-short-public", DHE128), 3, |port| {
        let mut outs = Vec::new();
        while outs.len() < 3000 {
            let (out, _) = run_client(
                gnutls_cli_prio(port, &prio("DHE-RSA", true), &[]),
                "x\n",
                20,
            );
            let failed = out.contains("*** Fatal error");
            outs.push(out);
            if failed {
                break;
            }
        }
        let n = outs.len() as u64;
        (outs, n)
    });
    let f: Vec<_> = v.iter().filter(|o| !o.ok()).collect();
    println!(
        "gnutls-cli: {} short Yc in {} connections",
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
    let alert = f[0].alert.map(|a| a.to_u8()).unwrap();
    let out = outs.last().unwrap();
    assert!(out.contains(&format!("Received alert [{alert}]")), "{out}");
    println!("gnutls-cli on the refusal: alert {alert} received");
}
