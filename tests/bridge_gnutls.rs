//! Bridge mode against GnuTLS (Debian `gnutls-bin`: `gnutls-serv`, `gnutls-cli`) over
//! loopback: what real fleets negotiate besides AES-GCM — AES-CBC suites with HMAC-SHA1 and
//! SHA-256/384 in TLS 1.0, 1.1 and 1.2, RSA key transport, and client certificates — with
//! tlsim as client and as server. A missing GnuTLS prints "skipped: gnutls-cli not found"
//! (or gnutls-serv) and the test returns.
//!
//! GnuTLS priority strings (gnutls.org manual, "Priority strings"): `NORMAL` minus
//! everything but the one version, cipher, MAC and key exchange under test.

mod common;

use common::{data, gnutls_serv, have, run_client_holding, Server};
use std::time::Duration;
use tlsim::bridge::BridgeOutcome;
use tlsim::profile::{Profile, TlsVersion};

fn missing(tool: &str) -> bool {
    !have(tool, "--version")
}

/// One case: tlsim's version, GnuTLS's version keyword, the suite (IANA) and GnuTLS's
/// names for its key exchange, cipher and MAC.
#[derive(Clone, Copy, Debug)]
struct Case {
    version: TlsVersion,
    gnutls_version: &'static str,
    suite: &'static str,
    kx: &'static str,
    cipher: &'static str,
    mac: &'static str,
}

impl Case {
    /// A GnuTLS priority string allowing exactly this case.
    fn priority(&self) -> String {
        format!(
            "NORMAL:-VERS-ALL:+{}:-CIPHER-ALL:+{}:-MAC-ALL:+{}:-KX-ALL:+{}",
            self.gnutls_version, self.cipher, self.mac, self.kx
        )
    }

    /// The "- Description:" line gnutls-cli prints, e.g. `(TLS1.2-X.509)-(DHE-FFDHE2048)-
    /// (RSA-SHA256)-(AES-256-CBC)-(SHA1)` (the signature part only in TLS 1.2, no MAC part
    /// for an AEAD cipher): whether `line` matches this case.
    fn described_by(&self, out: &str) -> bool {
        let kx = match self.kx {
            "ECDHE-RSA" => "ECDHE-X25519", // GnuTLS names the curve (tlsim prefers X25519)
            "DHE-RSA" => "DHE-FFDHE2048",  // tlsim serves ffdhe2048
            k => k,
        };
        let version = self.gnutls_version.trim_start_matches("VERS-");
        let tail = match self.mac {
            "AEAD" => format!("({})", self.cipher),
            m => format!("({})-({m})", self.cipher),
        };
        out.lines().any(|l| {
            l.starts_with(&format!("- Description: ({version}-X.509)-({kx})-"))
                && l.ends_with(&tail)
        })
    }

    fn profile(&self) -> Profile {
        let mut p = common::profile("rfc-strict", self.suite);
        p.client_versions = vec![self.version];
        p.server_versions = vec![self.version];
        p
    }
}

fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    for (version, gv) in [
        (TlsVersion::Tls10, "VERS-TLS1.0"),
        (TlsVersion::Tls11, "VERS-TLS1.1"),
        (TlsVersion::Tls12, "VERS-TLS1.2"),
    ] {
        for (suite, kx, cipher) in [
            ("TLS_RSA_WITH_AES_128_CBC_SHA", "RSA", "AES-128-CBC"),
            ("TLS_DHE_RSA_WITH_AES_256_CBC_SHA", "DHE-RSA", "AES-256-CBC"),
            (
                "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
                "ECDHE-RSA",
                "AES-128-CBC",
            ),
        ] {
            v.push(Case {
                version,
                gnutls_version: gv,
                suite,
                kx,
                cipher,
                mac: "SHA1",
            });
        }
    }
    for (suite, kx, cipher, mac) in [
        (
            "TLS_RSA_WITH_AES_256_CBC_SHA256",
            "RSA",
            "AES-256-CBC",
            "SHA256",
        ),
        (
            "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256",
            "DHE-RSA",
            "AES-128-CBC",
            "SHA256",
        ),
        (
            "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
            "ECDHE-RSA",
            "AES-256-CBC",
            "SHA384",
        ),
        (
            "TLS_RSA_WITH_AES_128_GCM_SHA256",
            "RSA",
            "AES-128-GCM",
            "AEAD",
        ),
    ] {
        v.push(Case {
            version: TlsVersion::Tls12,
            gnutls_version: "VERS-TLS1.2",
            suite,
            kx,
            cipher,
            mac,
        });
    }
    v
}

fn connect(s: &Server, p: Profile, count: u64) -> Vec<BridgeOutcome> {
    common::connect(&s.addr(), p, count, false, 15, false)
}

/// One `gnutls-cli` run against `port`, `input` on its stdin kept open for 2 s (gnutls-cli
/// closes on EOF), bounded to 20 s; returns its stdout and stderr.
fn gnutls_cli_run(port: u16, args: &[String], input: &str) -> String {
    let cmd = common::gnutls_cli(port, args);
    run_client_holding(cmd, input, Duration::from_secs(2), 20).0
}

/// A tlsim server (in a thread) for one connection per `gnutls-cli` run; returns the
/// outcomes and each client's output.
fn serve(p: Profile, clients: &[Vec<String>], input: &str) -> (Vec<BridgeOutcome>, Vec<String>) {
    let count = u64::try_from(clients.len()).unwrap();
    common::serve(p, count, 15, |port| {
        clients
            .iter()
            .map(|args| gnutls_cli_run(port, args, input))
            .collect()
    })
}

fn sv(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// tlsim client → gnutls-serv: every case completes and echoes.
#[test]
fn client_cbc_rsa_kx_tls10_11_12_vs_gnutls_serv() {
    if missing("gnutls-serv") {
        return;
    }
    for c in cases() {
        let s = gnutls_serv(&c.priority(), &[]);
        let v = connect(&s, c.profile(), 2);
        for o in &v {
            assert!(o.ok(), "{c:?}: {o:#?}\n{}", s.output());
            assert_eq!(o.suite.as_deref(), Some(c.suite));
            assert_eq!(o.version.as_deref(), Some(c.version.name()), "{c:?}");
        }
    }
}

/// gnutls-cli → tlsim server: every case completes, gnutls-cli names the cipher and MAC
/// and prints the echo.
#[test]
fn server_cbc_rsa_kx_tls10_11_12_vs_gnutls_cli() {
    if missing("gnutls-cli") {
        return;
    }
    for c in cases() {
        let (v, outs) = serve(
            c.profile(),
            &[sv(&["--priority", &c.priority()])],
            "gnutls line\n",
        );
        assert!(v[0].ok(), "{c:?}: {:#?}\n{}", v[0], outs[0]);
        assert_eq!(v[0].app_received, "gnutls line\n");
        assert!(c.described_by(&outs[0]), "{c:?}: {}", outs[0]);
        assert!(outs[0].contains("gnutls line"), "{}", outs[0]);
    }
}

/// Client certificates both ways: gnutls-serv requiring and verifying a client certificate
/// (`--require-client-cert --verify-client-cert --x509cafile`) accepts the bundled one and
/// a real CertificateVerify (TLS 1.2 and TLS 1.0), and refuses a client without one; a tlsim
/// server asking for one accepts gnutls-cli with and without `--x509certfile`.
#[test]
fn client_auth_both_ways_vs_gnutls() {
    if missing("gnutls-serv") || missing("gnutls-cli") {
        return;
    }
    let ca = data("client-cert.pem");
    let picks = [cases()[0], cases()[4], cases()[11]]; // 1.0 RSA, 1.1 DHE, 1.2 SHA-256 DHE
    for c in picks {
        let s = gnutls_serv(
            &c.priority(),
            &[
                "--require-client-cert",
                "--verify-client-cert",
                "--x509cafile",
                &ca,
            ],
        );
        let v = connect(&s, c.profile(), 1);
        assert!(v[0].ok(), "{c:?}: {:#?}\n{}", v[0], s.output());
        let mut p = c.profile();
        p.client_cert = false;
        let v = connect(&s, p, 1);
        assert!(
            !v[0].ok(),
            "{c:?}: no certificate, yet accepted: {:#?}",
            v[0]
        );
        // GnuTLS refuses it (its alert, or a closed socket as tlsim sends its flight):
        // tlsim itself found nothing wrong.
        assert_eq!(v[0].local.error, None, "{:#?}", v[0]);

        let mut p = c.profile();
        p.request_client_cert = true;
        let pr = c.priority();
        let (v, outs) = serve(
            p,
            &[
                sv(&["--priority", &pr]),
                sv(&[
                    "--priority",
                    &pr,
                    "--x509certfile",
                    &data("client-cert.pem"),
                    "--x509keyfile",
                    &data("client-key.pem"),
                ]),
            ],
            "auth\n",
        );
        for (o, out) in v.iter().zip(&outs) {
            assert!(o.ok(), "{c:?}: {o:#?}\n{out}");
        }
    }
}

/// RFC 5746 §3.6: gnutls-cli with `%DISABLE_SAFE_RENEGOTIATION` sends neither the
/// renegotiation_info extension nor the SCSV; a tlsim server must then not answer with
/// renegotiation_info. Before, it always did, and GnuTLS 3.7.9 refused the handshake:
/// "*** Fatal error: An illegal TLS extension was received." (alert 110,
/// unsupported_extension, RFC 5246 §7.4.1.4). With a client that signals it, the server
/// still answers (GnuTLS lists "safe renegotiation" among its "- Options:").
#[test]
fn server_answers_renegotiation_info_only_when_gnutls_cli_signals_it() {
    if missing("gnutls-cli") {
        return;
    }
    let p = common::profile("rfc-strict", common::ECDHE128);
    let prio = "NORMAL:-VERS-TLS1.3";
    let (v, outs) = serve(
        p,
        &[
            sv(&["--priority", &format!("{prio}:%DISABLE_SAFE_RENEGOTIATION")]),
            sv(&["--priority", prio]),
        ],
        "gnutls line\n",
    );
    for (o, out) in v.iter().zip(&outs) {
        assert!(o.ok(), "{o:#?}\n{out}");
        assert!(!out.contains("illegal TLS extension"), "{out}");
        assert!(out.contains("gnutls line"), "{out}");
    }
    assert!(outs[1].contains("safe renegotiation,"), "{}", outs[1]);
    assert!(!outs[0].contains("safe renegotiation,"), "{}", outs[0]);
}
