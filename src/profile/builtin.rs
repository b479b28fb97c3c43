//! A handful of named profiles for tests and `tlsim handshake`, each one knob away from
//! the RFC-compliant default. The catalogue of real builds is built on the same struct.

use super::{EmsResumption, LeadingZeros, Profile};
use crate::crypto::PublicEncoding;

/// (name, summary) of every built-in profile.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "rfc-strict",
        "RFC-compliant TLS 1.2 peer (OpenSSL 3-like): strips Z's zeros, pads DH values, EMS strict",
    ),
    (
        "strip-zeros",
        "strips leading zero bytes of Z (RFC 5246 §8.1.2), DHE suites only",
    ),
    (
        "keep-zeros",
        "keeps leading zero bytes of Z (left-pads to |p|), DHE suites only",
    ),
    (
        "minimal-public",
        "sends DH public values in minimal length (no padding to |p|), DHE only",
    ),
    (
        "rejects-short-public",
        "rejects a peer DH public value shorter than p, DHE only",
    ),
    (
        "no-ems",
        "does not implement the extended master secret (RFC 7627)",
    ),
    (
        "legacy-resume",
        "resumes whatever the EMS status (pre-RFC 7627)",
    ),
    (
        "oct2019-resume",
        "EMS enforced on resumption as the 8 Oct 2019 Windows updates",
    ),
    (
        "cert-request-on-resume",
        "server sends CertificateRequest in abbreviated handshakes (non-compliant)",
    ),
    (
        "message-limit-0",
        "rejects handshake messages split across records (MessageLimit* = 0)",
    ),
    (
        "schannel-message-limits",
        "Schannel default message limits (client 0x8000, server 0x4000)",
    ),
    ("big-chain", "sends a 40,000-byte certificate chain"),
    ("rsa-only", "accepts only TLS_RSA_* suites"),
    ("tls10-only", "TLS 1.0 only"),
    ("min-dh-2048", "refuses DH groups below 2048 bits"),
    ("dh-1024", "serves DHE on the 1024-bit Oakley group 2"),
];

pub fn builtin_names() -> Vec<&'static str> {
    BUILTIN.iter().map(|(n, _)| *n).collect()
}

fn dhe_only(mut p: Profile) -> Profile {
    use crate::wire::CipherSuite as S;
    p.client_suites = vec![S(0x009F), S(0x009E), S(0x0033)];
    p.server_suites = p.client_suites.clone();
    p
}

/// A built-in profile by name.
pub fn builtin(name: &str) -> Option<Profile> {
    let summary = BUILTIN.iter().find(|(n, _)| *n == name)?.1;
    let mut p = Profile {
        name: name.to_string(),
        summary: summary.to_string(),
        ..Profile::default()
    };
    match name {
        "rfc-strict" => {}
        "strip-zeros" => p = dhe_only(p),
        "keep-zeros" => {
            p = dhe_only(p);
            p.premaster_leading_zeros = LeadingZeros::Keep;
        }
        "minimal-public" => {
            p = dhe_only(p);
            p.public_value_encoding = PublicEncoding::Minimal;
        }
        "rejects-short-public" => {
            p = dhe_only(p);
            p.accepts_short_peer_public = false;
        }
        "no-ems" => {
            p.ems_offer = false;
            p.ems_negotiate = false;
        }
        "legacy-resume" => p.ems_resumption = EmsResumption::Legacy,
        "oct2019-resume" => p.ems_resumption = EmsResumption::Oct2019,
        "cert-request-on-resume" => {
            p.request_client_cert = true;
            p.cert_request_on_resume = true;
        }
        "message-limit-0" => {
            p.message_limit_client = Some(0);
            p.message_limit_server = Some(0);
            p.message_limit_server_client_auth = Some(0);
        }
        "schannel-message-limits" => {
            p.message_limit_client = Some(0x8000);
            p.message_limit_server = Some(0x4000);
            p.message_limit_server_client_auth = Some(0x8000);
        }
        "big-chain" => p.cert_chain = vec![4_000, 12_000, 12_000, 12_000],
        "rsa-only" => {
            use crate::wire::CipherSuite as S;
            p.client_suites = vec![S(0x009C), S(0x002F), S(0x0035)];
            p.server_suites = p.client_suites.clone();
        }
        "tls10-only" => {
            p.client_versions = vec![super::TlsVersion::Tls10];
            p.server_versions = vec![super::TlsVersion::Tls10];
        }
        "min-dh-2048" => p.client_min_dh_bits = 2048,
        "dh-1024" => p.dh_group = crate::crypto::GroupId::Oakley2,
        _ => return None,
    }
    Some(p)
}

/// Load a profile: see [`super::load`] (built-in and catalogue names, TOML files).
pub fn load(name_or_file: &str) -> Result<Profile, String> {
    super::load(name_or_file)
}
