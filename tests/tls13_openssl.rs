//! The sans-IO TLS 1.3 client and server of `tlsim::tls13` against real OpenSSL over
//! loopback (127.0.0.1 only): a tlsim client against `openssl s_server -tls1_3 -www`, a tlsim
//! server against `openssl s_client -tls1_3`, each AEAD suite, and a HelloRetryRequest in
//! both directions. Each test prints "skipped: openssl not found" and returns when the
//! `openssl` binary is missing.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tlsim::crypto::tls13::Tls13Suite;
use tlsim::engine::RealCrypto;
use tlsim::seed::rng_for;
use tlsim::tls13::{Client13, Config13, Server13};
use tlsim::wire::NamedGroup;

fn openssl_missing() -> bool {
    let ok = Command::new("openssl")
        .arg("version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        println!("skipped: openssl not found (apt-get install openssl)");
    }
    !ok
}

fn data(f: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(f)
        .to_string_lossy()
        .into_owned()
}

fn tmp(name: &str) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    std::env::temp_dir().join(format!("tlsim-tls13-{}-{n}-{name}", std::process::id()))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child process whose output goes to a file; killed on drop.
struct Proc {
    child: Child,
    log: PathBuf,
}

impl Proc {
    fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

fn s_server(args: &[&str]) -> (Proc, u16) {
    let port = free_port();
    let log = tmp("s_server.log");
    let out = std::fs::File::create(&log).unwrap();
    let child = Command::new("openssl")
        .arg("s_server")
        .args(["-accept", &format!("127.0.0.1:{port}")])
        .args(["-cert", &data("cert.pem"), "-key", &data("key.pem")])
        .args(["-tls1_3", "-www"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .expect("spawn openssl s_server");
    let p = Proc { child, log };
    let until = Instant::now() + Duration::from_secs(10);
    while Instant::now() < until {
        if p.output().contains("ACCEPT") {
            return (p, port);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("s_server did not start: {}", p.output());
}

/// tlsim client → `openssl s_server -www`: handshake, GET, read the status page.
fn client_case(suite: Tls13Suite, server_groups: &str, want_hrr: bool) {
    if openssl_missing() {
        return;
    }
    let (srv, port) = s_server(&["-ciphersuites", suite.name(), "-groups", server_groups]);
    let mut sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let cfg = Config13 {
        suites: vec![suite],
        ..Config13::default()
    };
    let mut c = Client13::new(cfg, rng_for(13, &[u64::from(suite.id())]));
    sock.write_all(&c.start().unwrap()).unwrap();
    let mut buf = [0u8; 16384];
    let mut page = Vec::new();
    let mut sent_get = false;
    let until = Instant::now() + Duration::from_secs(20);
    while Instant::now() < until {
        let n = match sock.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => panic!("read: {e}\ns_server: {}", srv.output()),
        };
        let out = c
            .receive(&buf[..n])
            .unwrap_or_else(|e| panic!("tlsim client: {e}\ns_server: {}", srv.output()));
        sock.write_all(&out).unwrap();
        if c.is_connected() && !sent_get {
            sock.write_all(&c.send(b"GET / HTTP/1.0\r\n\r\n").unwrap())
                .unwrap();
            sent_get = true;
        }
        page.extend(c.take_app_data());
        if c.peer_closed() {
            break;
        }
    }
    let page = String::from_utf8_lossy(&page);
    assert!(
        c.is_connected(),
        "not connected; s_server: {}",
        srv.output()
    );
    assert!(page.contains("TLSv1.3"), "page: {page}");
    assert!(page.contains(suite.name()), "page: {page}");
    assert_eq!(c.negotiated().unwrap().hello_retry, want_hrr);
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

/// tlsim server ← `openssl s_client`: handshake, a line each way, close.
fn server_case(
    suite: Tls13Suite,
    client_groups: &str,
    server_groups: Vec<NamedGroup>,
    want_hrr: bool,
) {
    if openssl_missing() {
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let log = tmp("s_client.log");
    let out = std::fs::File::create(&log).unwrap();
    let child = Command::new("openssl")
        .arg("s_client")
        .args(["-connect", &format!("127.0.0.1:{port}")])
        .args([
            "-tls1_3",
            "-ciphersuites",
            suite.name(),
            "-groups",
            client_groups,
        ])
        .stdin(Stdio::piped())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .expect("spawn openssl s_client");
    let mut cli = Proc { child, log };
    listener.set_nonblocking(false).unwrap();
    let (mut sock, _) = listener.accept().unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let rc = RealCrypto::test_server();
    let cfg = Config13 {
        suites: vec![suite],
        groups: server_groups,
        ..Config13::default()
    };
    let mut s = Server13::new(
        cfg,
        rc.cert_chain,
        rc.key.unwrap(),
        rng_for(31, &[u64::from(suite.id())]),
    );
    let mut buf = [0u8; 16384];
    let mut got = Vec::new();
    let mut greeted = false;
    let until = Instant::now() + Duration::from_secs(20);
    while Instant::now() < until && !got.ends_with(b"\n") {
        let n = match sock.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => panic!("read: {e}\ns_client: {}", cli.output()),
        };
        let out = s
            .receive(&buf[..n])
            .unwrap_or_else(|e| panic!("tlsim server: {e}\ns_client: {}", cli.output()));
        sock.write_all(&out).unwrap();
        if s.is_connected() && !greeted {
            sock.write_all(&s.send(b"hello from tlsim\n").unwrap())
                .unwrap();
            greeted = true;
            // Now the client may send its line.
            let stdin = cli.child.stdin.as_mut().unwrap();
            stdin.write_all(b"ping from openssl\n").unwrap();
            stdin.flush().unwrap();
        }
        got.extend(s.take_app_data());
    }
    assert!(
        s.is_connected(),
        "not connected; s_client: {}",
        cli.output()
    );
    assert_eq!(String::from_utf8_lossy(&got), "ping from openssl\n");
    sock.write_all(&s.close().unwrap()).unwrap();
    drop(cli.child.stdin.take());
    let until = Instant::now() + Duration::from_secs(10);
    while Instant::now() < until && !cli.output().contains("hello from tlsim") {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = cli.child.wait();
    let log = cli.output();
    assert!(log.contains("hello from tlsim"), "s_client: {log}");
    assert!(log.contains("TLSv1.3"), "s_client: {log}");
    assert!(log.contains(suite.name()), "s_client: {log}");
    assert_eq!(s.negotiated().unwrap().hello_retry, want_hrr);
}

#[test]
fn server_aes128_gcm_x25519() {
    server_case(
        Tls13Suite::Aes128GcmSha256,
        "X25519",
        vec![NamedGroup::X25519],
        false,
    );
}

#[test]
fn server_aes256_gcm_p256() {
    server_case(
        Tls13Suite::Aes256GcmSha384,
        "P-256",
        vec![NamedGroup::Secp256r1],
        false,
    );
}

#[test]
fn server_chacha20_poly1305_x25519() {
    server_case(
        Tls13Suite::ChaCha20Poly1305Sha256,
        "X25519",
        vec![NamedGroup::X25519],
        false,
    );
}

/// s_client predicts X25519 (its first group); the tlsim server only takes P-256 and sends a
/// HelloRetryRequest.
#[test]
fn server_hello_retry_request_p256() {
    server_case(
        Tls13Suite::Aes128GcmSha256,
        "X25519:P-256",
        vec![NamedGroup::Secp256r1],
        true,
    );
}
