//! Bridge mode in TLS 1.3 (RFC 8446): the engine's [`tlsim::engine::Connection`] with real
//! crypto, as `tlsim bridge connect|serve` runs it (`tlsim::bridge::connect` / `serve_on`),
//! against real OpenSSL 3 (`s_server -tls1_3`, `s_client -tls1_3`) and GnuTLS
//! (`gnutls-serv` / `gnutls-cli --priority NORMAL:-VERS-ALL:+VERS-TLS1.3`) over loopback:
//! full handshakes, HelloRetryRequest (the server wants a group the client sent no share
//! for) and PSK resumption (RFC 8446 §4.2.11) on a later connection of the same run. Each
//! test prints "skipped: <tool> not found" and returns when its peer is missing.

mod common;

use common::{data, free_port, have, run_client, Server, TempDir};
use std::process::Command;
use std::time::Duration;
use tlsim::bridge::{BridgeEvent, BridgeOutcome, BridgeOverlays, ConnectCommand, ServeCommand};
use tlsim::engine::HandshakeKind;
use tlsim::profile::{Profile, TlsVersion};

/// `openssl-3.0` (TLS 1.2 and 1.3) with only TLS 1.3 enabled: bridge mode must accept a
/// profile with no TLS 1.0–1.2 version at all.
fn tls13_only() -> Profile {
    let mut p = tlsim::profile::load("openssl-3.0").unwrap();
    p.client_versions = vec![TlsVersion::Tls13];
    p.server_versions = vec![TlsVersion::Tls13];
    p
}

/// `openssl s_server -tls1_3` on a free port (killed on drop).
fn s_server(args: &[&str]) -> Option<Server> {
    s_server_v("-tls1_3", args)
}

/// `openssl s_server` with one version (`-tls1_3`, `-tls1_2`).
fn s_server_v(version: &str, args: &[&str]) -> Option<Server> {
    if !have("openssl", "version") {
        return None;
    }
    let port = free_port();
    let mut cmd = Command::new("openssl");
    cmd.arg("s_server")
        .args(["-accept", &format!("127.0.0.1:{port}")])
        .args(["-cert", &data("cert.pem"), "-key", &data("key.pem")])
        .arg(version)
        .args(args);
    Some(Server::start(cmd, "ACCEPT", port, None))
}

fn assert_tls13(o: &BridgeOutcome, kind: HandshakeKind, hrr: bool, log: &str) {
    assert!(o.ok(), "{o:#?}\npeer: {log}");
    assert_eq!(o.version.as_deref(), Some("TLS 1.3"), "{o:#?}");
    assert_eq!(o.handshake, kind, "{o:#?}\npeer: {log}");
    assert_eq!(o.local.hello_retry, hrr, "{o:#?}\npeer: {log}");
}

/// tlsim bridge client → `s_server -tls1_3 -www`: two connections in one run; the second
/// resumes with a ticket of the first (the bridge client keeps the tickets across its
/// connections). OpenSSL's status page says "New" then "Reused".
fn client_www_case(p: Profile, server_args: &[&str], hrr: bool) {
    let mut args = vec!["-www"];
    args.extend_from_slice(server_args);
    let Some(s) = s_server(&args) else {
        return;
    };
    let v = common::connect(&s.addr(), p, 2, true, 13, true);
    let log = s.output();
    assert_tls13(&v[0], HandshakeKind::Full, hrr, &log);
    // psk_dhe_ke: the resuming hello predicts the same share, so the same HRR follows.
    assert_tls13(&v[1], HandshakeKind::Resumed, hrr, &log);
    let page0 = &v[0].app_received;
    let page1 = &v[1].app_received;
    let suite = v[0].suite.clone().unwrap();
    let openssl_suite = format!("New, TLSv1.3, Cipher is {suite}");
    assert!(page0.contains(&openssl_suite), "{page0}");
    assert!(
        page1.contains(&format!("Reused, TLSv1.3, Cipher is {suite}")),
        "{page1}"
    );
    println!("s_server -www, connection 0: {}", status_lines(page0));
    println!("s_server -www, connection 1: {}", status_lines(page1));
}

/// The lines of OpenSSL's `-www` page that name the session.
fn status_lines(page: &str) -> String {
    page.lines()
        .filter(|l| {
            l.starts_with("New, ") || l.starts_with("Reused, ") || l.starts_with("Shared groups")
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

#[test]
fn client_full_and_resumed_vs_openssl() {
    client_www_case(tls13_only(), &[], false);
}

/// The client predicts X25519 (its one key share); s_server takes P-256 only and sends a
/// HelloRetryRequest.
#[test]
fn client_hello_retry_vs_openssl() {
    client_www_case(tls13_only(), &["-groups", "P-256"], true);
}

/// Each TLS 1.3 suite, chosen by the server, with the profile's TLS 1.2 offer beside it
/// (the default `openssl-3.0` profile offers both versions in one ClientHello).
#[test]
fn client_each_suite_vs_openssl() {
    for suite in [
        "TLS_AES_128_GCM_SHA256",
        "TLS_AES_256_GCM_SHA384",
        "TLS_CHACHA20_POLY1305_SHA256",
    ] {
        let Some(s) = s_server(&["-rev", "-ciphersuites", suite]) else {
            return;
        };
        let p = tlsim::profile::load("openssl-3.0").unwrap();
        let v = common::connect(&s.addr(), p, 1, false, 14, false);
        assert_tls13(&v[0], HandshakeKind::Full, false, &s.output());
        assert_eq!(v[0].suite.as_deref(), Some(suite));
        // s_server -rev answers the line reversed.
        assert!(v[0].app_received.contains("gnip egdirb mislt"), "{v:#?}");
    }
}

/// One `openssl s_client -tls1_3 -ign_eof` run against a tlsim bridge server on `port`,
/// a line on its stdin; its stdout and stderr.
fn s_client(port: u16, args: &[&str]) -> String {
    let mut cmd = Command::new("openssl");
    cmd.arg("s_client")
        .args([
            "-connect",
            &format!("127.0.0.1:{port}"),
            "-tls1_3",
            "-ign_eof",
        ])
        .args(args);
    run_client(cmd, "hello tlsim\n", 20).0
}

/// `openssl s_client -tls1_3` → tlsim bridge server: a full handshake that writes its
/// session (`-sess_out`), then one resuming it (`-sess_in`) with the tlsim server's ticket;
/// with `client_groups` leading with a group the server does not take, both start with a
/// HelloRetryRequest.
fn server_case(server: Profile, client_groups: &str, hrr: bool) {
    if !have("openssl", "version") {
        return;
    }
    let dir = TempDir::new("sess13");
    let sess = dir.file("sess.pem");
    let (v, outs) = common::serve(server, 2, 21, |port| {
        [
            s_client(port, &["-groups", client_groups, "-sess_out", &sess]),
            s_client(port, &["-groups", client_groups, "-sess_in", &sess]),
        ]
    });
    assert_tls13(&v[0], HandshakeKind::Full, hrr, &outs[0]);
    assert_tls13(&v[1], HandshakeKind::Resumed, hrr, &outs[1]);
    let suite = v[0].suite.clone().unwrap();
    for (o, out, word) in [(&v[0], &outs[0], "New"), (&v[1], &outs[1], "Reused")] {
        assert_eq!(o.app_received, "hello tlsim\n");
        let line = format!("{word}, TLSv1.3, Cipher is {suite}");
        assert!(out.contains(&line), "{out}");
        let temp = out.lines().find(|l| l.starts_with("Server Temp Key"));
        println!(
            "s_client: {line}; {}",
            temp.unwrap_or("(no Server Temp Key line)")
        );
    }
}

#[test]
fn server_full_and_resumed_vs_openssl() {
    server_case(tls13_only(), "X25519:P-256", false);
}

/// s_client sends a share for X25519 only; the tlsim server takes P-256 only.
#[test]
fn server_hello_retry_vs_openssl() {
    let mut p = tlsim::profile::load("openssl-3.0").unwrap();
    p.tls13_groups = vec![tlsim::profile::Tls13Group::Secp256r1];
    server_case(p, "X25519:P-256", true);
}

const GNUTLS13: &str = "NORMAL:-VERS-ALL:+VERS-TLS1.3";

/// `gnutls-serv --echo` in TLS 1.3 only, with `priority` after [`GNUTLS13`].
fn gnutls_serv(priority: &str) -> Option<Server> {
    have("gnutls-serv", "--version")
        .then(|| common::gnutls_serv(&format!("{GNUTLS13}{priority}"), &[]))
}

/// tlsim bridge client → gnutls-serv: two connections, the second resumed from the
/// first's ticket.
fn gnutls_client_case(priority: &str, hrr: bool) {
    let Some(s) = gnutls_serv(priority) else {
        return;
    };
    let v = common::connect(&s.addr(), tls13_only(), 2, true, 31, false);
    let log = s.output();
    assert_tls13(&v[0], HandshakeKind::Full, hrr, &log);
    assert_tls13(&v[1], HandshakeKind::Resumed, hrr, &log);
    for o in &v {
        assert_eq!(o.app_received, "tlsim bridge ping\n");
    }
    println!(
        "gnutls-serv{priority}: {:?} {:?} hrr={hrr}; log: {}",
        v[0].suite,
        v[0].local.group,
        log.lines()
            .filter(|l| l.contains("Description") || l.contains("resumed"))
            .collect::<Vec<_>>()
            .join(" | ")
    );
}

#[test]
fn client_full_and_resumed_vs_gnutls() {
    gnutls_client_case("", false);
}

/// The client predicts X25519; gnutls-serv takes P-256 only.
#[test]
fn client_hello_retry_vs_gnutls() {
    gnutls_client_case(":-GROUP-ALL:+GROUP-SECP256R1", true);
}

/// `gnutls-cli -r` → tlsim bridge server: the second connection resumes with the tlsim
/// server's ticket. `server` groups chosen against gnutls-cli's two key shares (X25519
/// and P-256): P-384 needs a HelloRetryRequest.
fn gnutls_server_case(server: Profile, hrr: bool) {
    if !have("gnutls-cli", "--version") {
        return;
    }
    let (v, out) = common::serve(server, 2, 41, |port| {
        let mut cmd = Command::new("gnutls-cli");
        cmd.args(["-p", &port.to_string(), "127.0.0.1", "--insecure", "-r"])
            .arg(format!("--priority={GNUTLS13}"));
        run_client(cmd, "ping from gnutls\n", 30).0
    });
    assert_tls13(&v[0], HandshakeKind::Full, hrr, &out);
    assert_tls13(&v[1], HandshakeKind::Resumed, hrr, &out);
    assert_eq!(v[1].app_received, "ping from gnutls\n");
    assert!(out.contains("This is a resumed session"), "{out}");
    let said: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("Description") || l.contains("resumed") || l.contains("Version"))
        .collect();
    println!("gnutls-cli: {}", said.join(" | "));
}

#[test]
fn server_full_and_resumed_vs_gnutls() {
    gnutls_server_case(tls13_only(), false);
}

#[test]
fn server_hello_retry_vs_gnutls() {
    let mut p = tls13_only();
    p.tls13_groups = vec![tlsim::profile::Tls13Group::Secp384r1];
    gnutls_server_case(p, true);
}

/// JSSE (the machine's JDK) in TLS 1.3 with X25519 only (its FFDHE Z encoding is
/// tests/tls13_java.rs's subject).
fn jsse_props() -> [&'static str; 2] {
    ["-Dtlsecho.protocol=TLSv1.3", "-Djdk.tls.namedGroups=x25519"]
}

/// tlsim bridge client → a JSSE TLS 1.3 echo server (tests/java/TlsEcho.java).
#[test]
fn client_vs_jsse() {
    let Some((dir, ks)) = common::java_tls_echo() else {
        return;
    };
    let mut cmd = Command::new("java");
    cmd.args(jsse_props()).arg("-cp").arg(&dir).args([
        "TlsEcho",
        "server",
        &ks,
        "changeit",
        "TLS_AES_128_GCM_SHA256",
    ]);
    let s = Server::start(cmd, "listening ", 0, Some("listening "));
    let v = common::connect(&s.addr(), tls13_only(), 1, false, 51, false);
    assert_tls13(&v[0], HandshakeKind::Full, false, &s.output());
    assert_eq!(v[0].suite.as_deref(), Some("TLS_AES_128_GCM_SHA256"));
    assert_eq!(v[0].app_received, "tlsim bridge ping\n");
    drop(s);
}

/// A JSSE client (one process, two connections on one SSLContext) → tlsim bridge server:
/// the second resumes with the tlsim server's ticket.
#[test]
fn jsse_client_resumes_vs_server() {
    let Some((dir, _)) = common::java_tls_echo() else {
        return;
    };
    let (v, out) = common::serve(tls13_only(), 2, 61, |port| {
        let mut cmd = Command::new("java");
        cmd.args(jsse_props()).arg("-cp").arg(&dir).args([
            "TlsEcho",
            "client",
            &port.to_string(),
            "2",
            "TLS_AES_128_GCM_SHA256",
            "resume",
        ]);
        run_client(cmd, "", 60).0
    });
    assert_tls13(&v[0], HandshakeKind::Full, false, &out);
    assert_tls13(&v[1], HandshakeKind::Resumed, false, &out);
    // TlsEcho's "resumed=" compares session IDs and creation times, which a TLS 1.3
    // resumption does not keep (JSSE makes a new SSLSession with a new legacy_session_id):
    // it prints resumed=false both times. The tlsim server's Resumed is the evidence: it
    // accepted the JSSE client's PSK and sent no Certificate, and JSSE completed.
    let lines: Vec<&str> = out.lines().filter(|l| l.starts_with("conn ")).collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines.iter().all(|l| l.contains(" ok ")), "{out}");
    println!("JSSE client: {}", lines.join(" | "));
}

// ------------------------------------------------------------------ key logs (--keylog)

/// The lines of an NSS key log, sorted (OpenSSL and tlsim write them in different orders).
fn sorted_lines(path: &str) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut v: Vec<String> = text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect();
    v.sort();
    v
}

/// `tlsim bridge serve --keylog` (ServeCommand) ← `openssl s_client -tls1_3 -keylogfile`:
/// the two files hold the same lines (the four traffic secrets and EXPORTER_SECRET), for a
/// full and for a HelloRetryRequest handshake.
#[test]
fn server_keylog_equals_openssl_s_client() {
    if !have("openssl", "version") {
        return;
    }
    // s_client sends one key share, for its first group: X448, which tlsim does not
    // implement, brings a HelloRetryRequest for P-384.
    for (groups, hrr) in [("X25519", false), ("X448:P-384", true)] {
        let dir = TempDir::new("keylog-s");
        let (ours, theirs) = (dir.file("tlsim.keys"), dir.file("openssl.keys"));
        let cmd = ServeCommand {
            port: 0,
            server_profile: "openssl-3.0".into(),
            count: Some(1),
            seed: 71,
            max_connections: 4,
            handshake_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            idle_exit: Some(Duration::from_secs(20)),
            keylog: Some(ours.clone().into()),
            pcap: None,
            overlays: BridgeOverlays::default(),
        };
        let (tx, rx) = std::sync::mpsc::channel();
        let server = std::thread::spawn(move || {
            let mut outcomes = Vec::new();
            let r = cmd.run(&mut |e| match e {
                BridgeEvent::Listening(a) => tx.send(a.port()).unwrap(),
                BridgeEvent::Outcome(o) => outcomes.push(o.clone()),
                BridgeEvent::Notes(_) => {}
            });
            (r, outcomes)
        });
        let port = rx.recv_timeout(Duration::from_secs(20)).unwrap();
        let out = s_client(port, &["-groups", groups, "-keylogfile", &theirs]);
        let (r, outcomes) = server.join().unwrap();
        let summary = r.unwrap();
        assert_eq!(summary.connections.ok, 1, "{outcomes:#?}\n{out}");
        assert_eq!(outcomes[0].local.hello_retry, hrr);
        let (a, b) = (sorted_lines(&ours), sorted_lines(&theirs));
        assert_eq!(a.len(), 5, "{a:#?}");
        assert_eq!(a, b, "tlsim's key log differs from OpenSSL's\n{out}");
        println!(
            "{groups}: hrr={}; OpenSSL's and tlsim's key logs equal, labels: {}",
            outcomes[0].local.hello_retry,
            a.iter()
                .map(|l| l.split(' ').next().unwrap_or(""))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
}

/// `tlsim bridge connect --keylog` (ConnectCommand) → `openssl s_server -keylogfile`, in
/// TLS 1.3 (five lines) and in TLS 1.2 (one CLIENT_RANDOM line): the same lines.
#[test]
fn client_keylog_equals_openssl_s_server() {
    if !have("openssl", "version") {
        return;
    }
    for version in ["-tls1_3", "-tls1_2"] {
        let dir = TempDir::new("keylog-c");
        let (ours, theirs) = (dir.file("tlsim.keys"), dir.file("openssl.keys"));
        let port = free_port();
        let mut cmd = Command::new("openssl");
        cmd.arg("s_server")
            .args(["-accept", &format!("127.0.0.1:{port}")])
            .args(["-cert", &data("cert.pem"), "-key", &data("key.pem")])
            .args([version, "-rev", "-keylogfile", &theirs]);
        let s = Server::start(cmd, "ACCEPT", port, None);
        let c = ConnectCommand {
            addr: s.addr(),
            client_profile: "openssl-3.0".into(),
            suite: None,
            count: 1,
            resume: false,
            seed: 72,
            http: false,
            keylog: Some(ours.clone().into()),
            pcap: None,
            overlays: BridgeOverlays::default(),
        };
        let summary = c.run(&mut |_| {}).unwrap();
        assert_eq!(summary.ok, 1, "{}", s.output());
        // s_server writes its lines as the handshake goes; give it the connection's end.
        let until = std::time::Instant::now() + Duration::from_secs(5);
        while sorted_lines(&theirs).len() < sorted_lines(&ours).len()
            && std::time::Instant::now() < until
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        let (a, b) = (sorted_lines(&ours), sorted_lines(&theirs));
        assert_eq!(a.len(), if version == "-tls1_3" { 5 } else { 1 }, "{a:#?}");
        assert_eq!(a, b, "{version}: tlsim's key log differs from OpenSSL's");
    }
}

// ------------------------------------------------------------------ alerts from the peer

/// s_server requires a client certificate (`-Verify 1 -verify_return_error`); the tlsim
/// client answers the CertificateRequest with an empty Certificate, and OpenSSL sends
/// certificate_required (116, RFC 8446 §4.4.2.4 / §6.2), encrypted under its traffic keys.
/// The outcome names that alert as the peer's, not a protocol error of tlsim's.
#[test]
fn encrypted_alert_from_openssl_is_named() {
    let Some(s) = s_server(&["-rev", "-Verify", "1", "-verify_return_error"]) else {
        return;
    };
    let v = common::connect(&s.addr(), tls13_only(), 1, false, 81, false);
    let o = &v[0];
    // s_server prints its error after the alert went out: wait for it (bounded).
    let until = std::time::Instant::now() + Duration::from_secs(5);
    while !s.output().contains("peer did not return a certificate")
        && std::time::Instant::now() < until
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    let log = s.output();
    println!(
        "s_server: {}",
        log.lines()
            .filter(|l| l.contains("error"))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    println!("tlsim: {:?} {:?} {}", o.outcome, o.mechanism, o.explanation);
    assert!(!o.ok(), "{o:#?}");
    assert_eq!(
        o.alert_received.map(|a| a.to_u8()),
        Some(116),
        "{o:#?}\n{log}"
    );
    assert_eq!(o.detected_by, Some(tlsim::bridge::Detector::Peer), "{o:#?}");
    assert_ne!(
        o.mechanism.map(|m| m.to_string()),
        Some("protocol-error".into()),
        "{o:#?}"
    );
    // tlsim sends nothing back to a fatal alert (RFC 8446 §6.2).
    assert_eq!(o.local.alert_sent, None, "{o:#?}");
    assert!(log.contains("peer did not return a certificate"), "{log}");
}

// ------------------------------------------------------------------ pcaps (--pcap)

/// `tlsim bridge connect --pcap --keylog` against `s_server -rev`, TLS 1.3 and TLS 1.2,
/// two connections (the second resumed): `tshark -o tls.keylog_file:` decrypts the capture
/// (TLS 1.3: the Certificate, CertificateVerify, Finished and the tickets appear; TLS 1.2:
/// the Finished messages), with no malformed packet.
#[test]
fn bridge_pcap_decrypts_in_tshark() {
    if !have("openssl", "version") || !have("tshark", "--version") {
        return;
    }
    for (version, want) in [
        (
            "-tls1_3",
            &[
                "Encrypted Extensions, Certificate, Certificate Verify, Finished",
                "Change Cipher Spec, Finished",
                "New Session Ticket",
            ][..],
        ),
        ("-tls1_2", &["Finished"][..]),
    ] {
        let dir = TempDir::new("pcap");
        let (keys, pcap) = (dir.file("keys.log"), dir.file("run.pcap"));
        let Some(s) = s_server_v(version, &["-rev"]) else {
            return;
        };
        let c = ConnectCommand {
            addr: s.addr(),
            client_profile: "openssl-3.0".into(),
            suite: None,
            count: 2,
            resume: true,
            seed: 91,
            http: false,
            keylog: Some(keys.clone().into()),
            pcap: Some(pcap.clone().into()),
            overlays: BridgeOverlays::default(),
        };
        let summary = c.run(&mut |_| {}).unwrap();
        assert_eq!((summary.ok, summary.resumed), (2, 1), "{}", s.output());
        let out = Command::new("tshark")
            .args([
                "-r",
                &pcap,
                "-o",
                &format!("tls.keylog_file:{keys}"),
                "-Y",
                "tls",
            ])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        for w in want {
            assert!(text.contains(w), "{version}: no {w:?} in\n{text}");
        }
        assert!(!text.contains("Malformed"), "{text}");
        // Without the key log the handshake stays encrypted.
        let plain = Command::new("tshark")
            .args(["-r", &pcap, "-Y", "tls"])
            .output()
            .unwrap();
        let plain = String::from_utf8_lossy(&plain.stdout);
        assert!(!plain.contains(want[0]), "{plain}");
        println!("{version}:\n{text}");
    }
}

/// `--suite` keeps to its version family: a TLS 1.3 suite offers TLS 1.3 only, a TLS 1.2
/// suite drops TLS 1.3, so against a server doing both the connection runs the suite asked.
#[test]
fn suite_option_picks_its_version() {
    // No version flag: s_server does TLS 1.2 and 1.3.
    let Some(s) = s_server_v("-rev", &[]) else {
        return;
    };
    for (suite, version) in [
        ("TLS_CHACHA20_POLY1305_SHA256", "TLS 1.3"),
        ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS 1.2"),
    ] {
        let mut got = Vec::new();
        let c = ConnectCommand {
            addr: s.addr(),
            client_profile: "openssl-3.0".into(),
            suite: Some(suite.into()),
            count: 1,
            resume: false,
            seed: 93,
            http: false,
            keylog: None,
            pcap: None,
            overlays: BridgeOverlays::default(),
        };
        let summary = c
            .run(&mut |e| {
                if let BridgeEvent::Outcome(o) = e {
                    got.push(o.clone())
                }
            })
            .unwrap();
        assert_eq!(summary.ok, 1, "{got:#?}\n{}", s.output());
        assert_eq!(got[0].suite.as_deref(), Some(suite));
        assert_eq!(got[0].version.as_deref(), Some(version));
    }
}

// ------------------------------------------------------------------ alerts tlsim sends

/// A one-connection TCP relay on loopback between a client and `upstream` that flips the
/// last byte (in the AEAD tag) of the server's first protected record (EncryptedExtensions)
/// and, with `garble_alert`, of the client's first protected record too (its alert, which a
/// server holding other keys, as on an FFDHE Z mismatch, cannot decrypt). Returns its
/// address.
fn tag_flipping_relay(upstream: String, garble_alert: bool) -> String {
    use std::io::{Read, Write};
    use std::net::{Shutdown, TcpListener, TcpStream};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        let Ok((client, _)) = listener.accept() else {
            return;
        };
        let Ok(server) = TcpStream::connect(&upstream) else {
            return;
        };
        let pump = |mut from: TcpStream, mut to: TcpStream, flip: bool| {
            std::thread::spawn(move || {
                let _ = from.set_read_timeout(Some(Duration::from_secs(10)));
                let (mut buf, mut done) = (Vec::new(), !flip);
                let mut chunk = [0u8; 16384];
                while let Ok(n) = from.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let mut out = Vec::new();
                    while buf.len() >= 5 {
                        let len = 5 + usize::from(u16::from_be_bytes([buf[3], buf[4]]));
                        if buf.len() < len {
                            break;
                        }
                        let mut rec: Vec<u8> = buf.drain(..len).collect();
                        if rec[0] == 23 && !done {
                            done = true;
                            *rec.last_mut().unwrap() ^= 1;
                        }
                        out.extend_from_slice(&rec);
                    }
                    if to.write_all(&out).is_err() {
                        break;
                    }
                }
                let _ = to.shutdown(Shutdown::Write);
            })
        };
        let a = pump(
            client.try_clone().unwrap(),
            server.try_clone().unwrap(),
            garble_alert,
        );
        let b = pump(server, client, true);
        let _ = (a.join(), b.join());
    });
    addr
}

/// The OpenSSL 3 error tlsim predicts, as its code and reason ("0A000119", "decryption
/// failed or bad record mac"): the words of `report::words` without the function name and
/// file position that the real s_server adds.
fn openssl_code_and_reason(words: &[tlsim::report::words::VendorText]) -> (String, String) {
    let text = words
        .iter()
        .find(|w| w.text.contains("error:0A"))
        .unwrap_or_else(|| panic!("no OpenSSL 3 error in {words:?}"))
        .text
        .trim_matches('"')
        .to_string();
    let code = text["error:".len()..text.find(":SSL routines").unwrap()].to_string();
    let reason = text.split("routines::").nth(1).unwrap();
    let reason = reason
        .split(":SSL alert number")
        .next()
        .unwrap()
        .to_string();
    (code, reason)
}

/// What tlsim predicts an OpenSSL 3.0 server says when a client with `client`'s alert
/// behaviour aborts on the server's first protected record under keys the server does not
/// share (the FFDHE Z mismatch, the first one in the simulated seeds).
fn predicted_server_words(plaintext_alerts: bool) -> (String, String) {
    let only = |mut p: Profile| {
        p.tls13_groups = vec![tlsim::profile::Tls13Group::Ffdhe2048];
        p.tls13_key_shares = vec![tlsim::profile::Tls13Group::Ffdhe2048];
        p
    };
    let mut client = only(tls13_only());
    client.tls13_ffdhe_z = tlsim::profile::Tls13FfdheZ::Strip;
    client.tls13_client_plaintext_alerts = plaintext_alerts;
    let server = only(tlsim::profile::load("openssl-3.0").unwrap());
    for seed in 0..3000 {
        let o = tlsim::engine::Pair::new(client.clone(), server.clone(), seed)
            .connect()
            .outcome;
        if !o.ok() {
            return openssl_code_and_reason(&tlsim::report::words::vendor_texts(&o.server));
        }
    }
    panic!("no Z mismatch in 3000 seeds");
}

/// docs/tls13-alerts.md against real OpenSSL 3.0 (s_server): the tlsim client fails on a
/// corrupted EncryptedExtensions, after the ServerHello and before its Finished, and sends
/// bad_record_mac as its profile says:
/// - in plaintext (OpenSSL's own behaviour, openssl-3.0's catalogue value): s_server reads
///   it, with legacy_record_version 0x0303 (a 0x0304 one it refuses as "wrong version
///   number");
/// - protected under the client handshake keys after a change_cipher_spec (JSSE, GnuTLS,
///   NSS): s_server decrypts and reads it;
/// - protected, and garbled on the way as under keys s_server does not share (the FFDHE Z
///   mismatch of openssl/openssl issue 23728): s_server cannot decrypt it and prints
///   "decryption failed or bad record mac".
///
/// Each time, s_server's printed error is the one tlsim predicts for the OpenSSL 3.0
/// server of the simulated Z mismatch with the same client behaviour.
#[test]
fn client_alert_before_finished_reads_as_openssl_says() {
    for (plaintext, garble) in [(true, false), (false, false), (false, true)] {
        let Some(s) = s_server(&["-rev"]) else {
            return;
        };
        let relay = tag_flipping_relay(s.addr(), garble);
        let mut p = tls13_only();
        p.tls13_client_plaintext_alerts = plaintext;
        let v = common::connect(&relay, p, 1, false, 91, false);
        let o = &v[0];
        assert!(!o.ok(), "{o:#?}");
        assert_eq!(
            o.local.error,
            Some(tlsim::engine::LocalError::BadRecordMac),
            "{o:#?}"
        );
        // The prediction: a readable alert (plaintext, or protected under shared keys) is
        // "sslv3 alert bad record mac"; the garbled one is the Z mismatch's.
        let (code, reason) = if garble {
            predicted_server_words(false)
        } else {
            predicted_server_words(true)
        };
        let until = std::time::Instant::now() + Duration::from_secs(5);
        while !s.output().contains(&reason) && std::time::Instant::now() < until {
            std::thread::sleep(Duration::from_millis(20));
        }
        let log = s.output();
        let errors: Vec<&str> = log.lines().filter(|l| l.contains("error:")).collect();
        println!("plaintext={plaintext} garbled={garble}: s_server: {errors:?}; tlsim predicts {code} {reason:?}");
        assert!(
            errors.iter().any(|l| l.contains(&code) && l.contains(&reason)),
            "plaintext={plaintext} garbled={garble}: s_server printed {errors:?}, tlsim predicts {code} {reason:?}"
        );
    }
}

/// docs/tls13-alerts.md, the receiving side of a plaintext alert: `openssl s_client
/// -verify_return_error` does not trust the bundled certificate and sends unknown_ca in
/// plaintext after the server's flight. Real gnutls-serv 3.7 opens it as a protected record
/// and fails with "Decryption has failed."; tlsim predicts the same words for its
/// `gnutls-3.7` server given an `openssl-3.0` client's plaintext alert (simulated on the Z
/// mismatch, the failure that makes the client alert at that point).
#[test]
fn plaintext_alert_from_openssl_reads_as_gnutls_says() {
    if !have("openssl", "version") {
        return;
    }
    let Some(s) = gnutls_serv("") else {
        return;
    };
    let out = s_client(s.port, &["-verify_return_error"]);
    assert!(out.contains("certificate verify failed"), "{out}");
    let until = std::time::Instant::now() + Duration::from_secs(5);
    while !s.output().contains("Error in handshake") && std::time::Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    let log = s.output();

    let only = |mut p: Profile| {
        p.tls13_groups = vec![tlsim::profile::Tls13Group::Ffdhe2048];
        p.tls13_key_shares = vec![tlsim::profile::Tls13Group::Ffdhe2048];
        p
    };
    let client = only(tls13_only());
    let mut server = only(tlsim::profile::load("gnutls-3.7").unwrap());
    server.client_versions = vec![TlsVersion::Tls13];
    server.server_versions = vec![TlsVersion::Tls13];
    server.tls13_ffdhe_z = tlsim::profile::Tls13FfdheZ::Strip;
    let o = (0..3000)
        .map(|seed| {
            tlsim::engine::Pair::new(client.clone(), server.clone(), seed)
                .connect()
                .outcome
        })
        .find(|o| !o.ok())
        .expect("a Z mismatch in 3000 seeds");
    let words = tlsim::report::words::vendor_texts(&o.server);
    // "GNUTLS_E_DECRYPTION_FAILED (-24) \"Decryption has failed.\"": the quoted text is
    // what gnutls-serv prints.
    let predicted = words
        .iter()
        .find_map(|w| w.text.split('"').nth(1))
        .unwrap_or_else(|| panic!("no GnuTLS text in {words:?}"))
        .to_string();
    let printed: Vec<&str> = log.lines().filter(|l| l.contains("Error in")).collect();
    println!("gnutls-serv: {printed:?}; tlsim predicts {predicted:?}");
    assert!(
        printed.iter().any(|l| l.contains(&predicted)),
        "gnutls-serv printed {printed:?}, tlsim predicts {predicted:?}\n{log}"
    );
}
