//! M5 observed against real OpenSSL (the rest of the OpenSSL matrix is in
//! tests/bridge_openssl.rs): a tlsim server that sends CertificateRequest in the
//! abbreviated handshake, and `openssl s_client` resuming its session (`-sess_out`, then
//! `-sess_in`). Without openssl the test prints "skipped: openssl not found" and returns.
//! Results and versions: docs/interop.md.

mod common;

use common::*;

/// OpenSSL 3.0's client aborts the resumption at the CertificateRequest:
/// "ossl_statem_client_read_transition:unexpected message" and alert unexpected_message (10).
#[test]
fn server_m5_cert_request_on_resume() {
    if !have("openssl", "version") {
        return;
    }
    let dir = TempDir::new("sess");
    let sess = dir.file("sess.pem");
    let (v, outs) = serve(profile("cert-request-on-resume", ECDHE128), 2, 3, |port| {
        [
            run_client(
                s_client(port, "-tls1_2", &["-sess_out", &sess]),
                "one\n",
                20,
            )
            .0,
            run_client(s_client(port, "-tls1_2", &["-sess_in", &sess]), "two\n", 20).0,
        ]
    });
    check_m5(&v, &outs[0]);
    assert!(
        outs[1].contains("ossl_statem_client_read_transition:unexpected message"),
        "{}",
        outs[1]
    );
    println!(
        "s_client on CertificateRequest in a resumption: alert received by tlsim {:?}",
        v[1].alert_received.map(|a| a.to_u8())
    );
}
