//! Interop with real NSS (Debian `libnss3-tools`: `selfserv`, `tstclnt`, `certutil`,
//! `pk12util`) over loopback: a tlsim client (bridge mode) against `selfserv`, a tlsim
//! server against `tstclnt`. The server's certificate database is made at test time in a
//! temp dir (`certutil -N`, the bundled test certificate and key imported with `pk12util`
//! from a PKCS12 file made by `openssl pkcs12 -export`). NSS options used: `-V tls1.2:tls1.2`,
//! `-c :XXXX` (one suite by code point), `-H 1` (DHE on the server), `-G` (EMS), `-u`
//! (tickets), `-N` (no server session cache), `-L N` (client reconnects, resuming).
//! Without the tools each test prints "skipped: <tool> not found" and returns. Long rate
//! runs: `cargo test --release --test interop_nss -- --ignored --nocapture`. Results and
//! versions: docs/interop.md.

mod common;

use common::*;
use std::process::Command;
use tlsim::bridge::BridgeOutcome;
use tlsim::engine::Mechanism;

/// NSS's `-c :XXXX` form of a suite.
fn code(suite: &str) -> &'static str {
    match suite {
        DHE128 => ":009E",
        DHE256 => ":009F",
        ECDHE128 => ":C02F",
        ECDHE256 => ":C030",
        _ => panic!("no NSS code for {suite}"),
    }
}

/// The tools present (saying which is not), and a certificate database holding the
/// bundled test certificate and key as "tlsim".
fn nss_db(need: &str) -> Option<TempDir> {
    if !(have(need, "-h")
        && have("certutil", "-H")
        && have("pk12util", "-h")
        && have("openssl", "version"))
    {
        return None;
    }
    let dir = TempDir::new("nssdb");
    let p12 = dir.file("server.p12");
    let db = format!("sql:{}", path_str(&dir.0));
    let ok = |c: &mut Command| c.output().map(|o| o.status.success()).unwrap_or(false);
    assert!(ok(Command::new("openssl")
        .args([
            "pkcs12",
            "-export",
            "-in",
            &data("cert.pem"),
            "-inkey",
            &data("key.pem")
        ])
        .args(["-name", "tlsim", "-passout", "pass:", "-out", &p12])));
    assert!(ok(Command::new("certutil").args([
        "-N",
        "-d",
        &db,
        "--empty-password"
    ])));
    assert!(ok(
        Command::new("pk12util").args(["-i", &p12, "-d", &db, "-W", ""])
    ));
    Some(dir)
}

fn selfserv(db: &TempDir, args: &[&str]) -> Server {
    let port = free_port();
    let mut cmd = Command::new("selfserv");
    cmd.args(["-d", &format!("sql:{}", path_str(&db.0)), "-n", "tlsim"])
        .args([
            "-p",
            &port.to_string(),
            "-V",
            "tls1.2:tls1.2",
            "-H",
            "1",
            "-v",
        ])
        .args(args);
    Server::start(cmd, "About to call accept", port, None)
}

/// One `tstclnt` run (`-L n`: n connections, resuming); it sends a line read from a file.
fn tstclnt(port: u16, dir: &TempDir, args: &[&str]) -> String {
    let req = dir.file("request.txt");
    std::fs::write(&req, "hello from nss\n").unwrap();
    let mut cmd = Command::new("tstclnt");
    cmd.args(["-h", "127.0.0.1", "-p", &port.to_string(), "-D", "-o"])
        .args(["-V", "tls1.2:tls1.2", "-A", &req, "-v"])
        .args(args);
    run_client(cmd, "", 30).0
}

// ------------------------------------------------------------------ tlsim client

#[test]
fn client_dhe_ecdhe_ems_on_and_off() {
    let Some(db) = nss_db("selfserv") else {
        return;
    };
    for suite in [DHE128, DHE256, ECDHE128] {
        // NSS 3.87 negotiates EMS by default and selfserv has no option to turn it off
        // (`-G` enables it), so EMS off is tried from the tlsim side only.
        for (serv_ems, prof, ems) in [(true, "rfc-strict", true), (true, "no-ems", false)] {
            let mut args = vec!["-c", code(suite)];
            if serv_ems {
                args.push("-G");
            }
            let s = selfserv(&db, &args);
            let v = connect(&s.addr(), profile(prof, suite), 2, false, 7, true);
            for o in &v {
                assert!(o.ok(), "{suite} {prof}: {o:#?}\n{}", s.output());
                assert_eq!(o.suite.as_deref(), Some(suite));
                assert_eq!(o.ems, ems, "{suite} {prof} server ems {serv_ems}");
                assert!(o.app_received.starts_with("HTTP/1.0 200 OK"), "{o:#?}");
            }
            // NSS's own view: "Extended Master Secret: Yes/No" per connection.
            let want = format!("Extended Master Secret: {}", if ems { "Yes" } else { "No" });
            assert!(s.output().contains(&want), "{}", s.output());
        }
    }
}

/// selfserv with its session cache and no tickets (session IDs), and with tickets (`-u`)
/// and no cache (`-N`).
#[test]
fn client_resumption_session_id_and_ticket() {
    let Some(db) = nss_db("selfserv") else {
        return;
    };
    for (mode, flags) in [("session id", vec![]), ("ticket", vec!["-u", "-N"])] {
        for (serv_ems, prof, legacy, want) in [
            (true, "rfc-strict", false, ["full", "resumed", "resumed"]),
            (true, "no-ems", true, ["full", "resumed", "resumed"]),
        ] {
            let mut args = vec!["-c", code(DHE128)];
            args.extend(flags.iter().copied());
            if serv_ems {
                args.push("-G");
            }
            let s = selfserv(&db, &args);
            let mut p = profile(prof, DHE128);
            if legacy {
                p.ems_resumption = tlsim::profile::EmsResumption::Legacy;
            }
            let v = connect(&s.addr(), p, 3, true, 11, true);
            assert!(v.iter().all(|o| o.ok()), "{mode} {prof}: {v:#?}");
            assert_eq!(kinds(&v), want, "{mode} {prof} ems {serv_ems}");
        }
    }
}

/// M1: keep-zeros tlsim client, 60 connections against selfserv: every failure a
/// kept-zero connection with NSS's bad_record_mac (20); strip-zeros never fails. And NSS
/// accepts a short Yc from a minimal-public tlsim client (bounded search for one).
#[test]
fn client_keep_zeros_failures_are_m1_strip_never_fails_short_yc_accepted() {
    let Some(db) = nss_db("selfserv") else {
        return;
    };
    let s = selfserv(&db, &["-c", code(DHE256), "-G"]);
    let v = connect(&s.addr(), profile("keep-zeros", DHE256), 60, false, 5, true);
    let (_, alerts) = check_m1(&v, true, "selfserv");
    assert!(alerts.iter().all(|&a| a == 20), "{alerts:?}");
    let v = connect(
        &s.addr(),
        profile("strip-zeros", DHE256),
        60,
        false,
        5,
        true,
    );
    assert!(v.iter().all(|o| o.ok()), "{v:#?}");
    let short_yc = |v: &[BridgeOutcome]| {
        v.iter()
            .any(|o| o.local.truth.sent_public_len.is_some_and(|l| l < 256))
    };
    let v = connect_until(
        &s.addr(),
        &profile("minimal-public", DHE256),
        3000,
        true,
        short_yc,
    );
    assert!(short_yc(&v), "no short Yc sent in {} connections", v.len());
    assert!(v.iter().all(|o| o.ok()), "NSS refused a short Yc: {v:#?}");
}

// ------------------------------------------------------------------ tlsim server

#[test]
fn server_dhe_ecdhe_ems_on_and_off() {
    let Some(dir) = nss_db("tstclnt") else {
        return;
    };
    for suite in [DHE128, DHE256, ECDHE128] {
        // tstclnt, like selfserv, cannot turn EMS off (NSS 3.87's default is on).
        for (cli_ems, prof, ems) in [(true, "rfc-strict", true), (true, "no-ems", false)] {
            let mut args = vec!["-c", code(suite)];
            if cli_ems {
                args.push("-G");
            }
            let (v, out) = serve(profile(prof, suite), 1, 3, |port| {
                tstclnt(port, &dir, &args)
            });
            assert!(v[0].ok(), "{suite} {prof}: {:#?}\n{out}", v[0]);
            assert_eq!(v[0].ems, ems, "{suite} {prof} client ems {cli_ems}");
            assert_eq!(v[0].app_received, "hello from nss\n");
            assert!(out.contains("hello from nss"), "{out}");
        }
    }
}

/// `tstclnt -L 3` resumes against a tlsim server with a session-ID cache only, and with
/// `-u` against one with tickets only.
#[test]
fn server_resumption_session_id_and_ticket() {
    let Some(dir) = nss_db("tstclnt") else {
        return;
    };
    for mode in ["session id", "ticket"] {
        let mut p = profile("rfc-strict", DHE128);
        // No `-c` with `-L`: tstclnt 3.87 aborts on its first reconnect when given `-c`
        // ("free(): invalid pointer"); the tlsim server accepts only the suite under test.
        let mut args = vec!["-G", "-L", "3"];
        if mode == "session id" {
            p.server_tickets = false;
        } else {
            p.server_cache_size = 0;
            args.push("-u");
        }
        let (v, out) = serve(p, 3, 3, |port| tstclnt(port, &dir, &args));
        assert!(v.iter().all(|o| o.ok()), "{mode}: {v:#?}\n{out}");
        assert_eq!(kinds(&v), ["full", "resumed", "resumed"], "{mode}: {out}");
    }
}

/// M1 with tlsim as the server: 60 tstclnt runs against a keep-zeros tlsim server; each
/// failure a kept-zero connection, tlsim's bad_record_mac (20) reported by NSS as
/// SSL_ERROR_BAD_MAC_ALERT.
#[test]
fn server_keep_zeros_failures_are_m1() {
    let Some(dir) = nss_db("tstclnt") else {
        return;
    };
    server_m1("keep-zeros", &dir, 60);
}

fn server_m1(zeros: &str, dir: &TempDir, n: u64) -> usize {
    let (v, outs) = serve(profile(zeros, DHE128), n, 5, |port| {
        (0..n)
            .map(|_| tstclnt(port, dir, &["-c", code(DHE128), "-G"]))
            .collect::<Vec<_>>()
    });
    let (fails, alerts) = check_m1(&v, false, "tstclnt");
    assert!(alerts.iter().all(|&a| a == 20), "{alerts:?}");
    for o in v.iter().filter(|o| !o.ok()) {
        let out = &outs[usize::try_from(o.index).unwrap()];
        assert!(out.contains("SSL_ERROR_BAD_MAC_ALERT"), "{out}");
    }
    fails
}

/// M5 observed: NSS 3.87's client aborts a resumption in which the server sends
/// CertificateRequest: SSL_ERROR_RX_UNEXPECTED_CERT_REQUEST, alert unexpected_message (10).
#[test]
fn server_m5_cert_request_on_resume() {
    let Some(dir) = nss_db("tstclnt") else {
        return;
    };
    let (v, out) = serve(profile("cert-request-on-resume", ECDHE128), 2, 3, |port| {
        // No `-c` with `-L` (see server_resumption_session_id_and_ticket).
        tstclnt(port, &dir, &["-G", "-L", "2"])
    });
    check_m5(&v, &out);
    let o = &v[1];
    assert!(
        out.contains("SSL_ERROR_RX_UNEXPECTED_CERT_REQUEST"),
        "{out}"
    );
    println!(
        "tstclnt on CertificateRequest in a resumption: alert received by tlsim {:?}",
        o.alert_received.map(|a| a.to_u8())
    );
}

// ------------------------------------------------------------------ long runs

/// M1 at scale, tlsim client → selfserv, then strip-zeros on the same seeds; then M2's
/// victim (a client rejecting short Ys) over as many connections: NSS pads Ys, so none
/// fails.
#[test]
#[ignore = "long: ≥ 3,000 real connections"]
fn long_client_keep_zeros_rate_and_padded_ys() {
    let Some(db) = nss_db("selfserv") else {
        return;
    };
    let n = long_n();
    let s = selfserv(&db, &["-c", code(DHE256), "-G"]);
    long_client_m1(&s.addr(), "selfserv", "selfserv", n, true);
    let v = connect(
        &s.addr(),
        profile("rejects-short-public", DHE256),
        n,
        false,
        7,
        true,
    );
    let m2 = v
        .iter()
        .filter(|o| o.mechanism.map(Mechanism::as_str) == Some("dh-short-server-public"))
        .count();
    println!("tlsim rejects-short-public client → selfserv: {m2} short Ys in {n}");
    assert_eq!(m2, 0);
    assert!(v.iter().all(|o| o.ok()));
}

/// M1 at scale, tstclnt → tlsim keep-zeros server, one process per connection.
#[test]
#[ignore = "long: thousands of tstclnt processes"]
fn long_server_keep_zeros_rate() {
    let Some(dir) = nss_db("tstclnt") else {
        return;
    };
    long_server_m1("tstclnt", "keep-zeros", long_n(), |z, n| {
        server_m1(z, &dir, n)
    });
}

/// Strip-zeros at scale, tstclnt → tlsim strip-zeros server: never fails.
#[test]
#[ignore = "long: thousands of tstclnt processes"]
fn long_server_strip_zeros_never_fails() {
    let Some(dir) = nss_db("tstclnt") else {
        return;
    };
    long_server_m1("tstclnt", "strip-zeros", long_n(), |z, n| {
        server_m1(z, &dir, n)
    });
}
