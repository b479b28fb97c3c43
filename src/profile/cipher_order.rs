//! A cipher-suite order, from either of the two forms administrators have at hand:
//!
//! * `Get-TlsCipherSuite | Select Name` (or `Format-Table Name`) output: one IANA name per
//!   line under a `Name` header and a `----` underline. Windows 7/8.1 curve-suffixed names
//!   (`TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256_P256`) map to the base suite.
//! * An OpenSSL cipher string: `ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384`,
//!   separated by `:`, `,` or spaces. Explicit suite names only, plus `-NAME` (remove a
//!   listed suite; it may be added again later) and `!NAME` (remove it for good), as in
//!   OpenSSL. Keywords (`HIGH`, `ALL`, `aNULL`, `kEDH`, `@STRENGTH`, `A+B`, ...) are
//!   rejected with an error naming the token.
//!
//! Both spellings are accepted in both forms (every token goes through
//! [`crate::wire::suite_by_name`]). The TLS 1.3 suites tlsim models (RFC 8446 §B.4:
//! `TLS_AES_128_GCM_SHA256`, `TLS_AES_256_GCM_SHA384`, `TLS_CHACHA20_POLY1305_SHA256`) go
//! into their own list, in their order (issue 16); the CCM pair, signalling values and IANA
//! suites that tlsim does not model (PSK, export, single DES, static DH/ECDH, anonymous) are
//! skipped and reported with their line and the reason; any other unknown name is an error
//! with a "did you mean" suggestion.

use serde::Serialize;

use super::registry::RegError;
use crate::crypto::tls13::Tls13Suite;
use crate::wire::{suite_by_name, CipherSuite, SUITES};

/// A parsed suite order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct CipherOrder {
    /// TLS 1.0–1.2 suites in order of preference, each once.
    pub suites: Vec<CipherSuite>,
    /// The line of each suite in `suites`.
    pub lines: Vec<usize>,
    /// TLS 1.3 suites in order of preference, each once (empty: the file lists none, and
    /// the profile's TLS 1.3 suites stay as they are).
    #[serde(with = "super::tls13_suite_names")]
    pub tls13_suites: Vec<Tls13Suite>,
    /// Names that were skipped: the name as written, its line, and why.
    pub skipped: Vec<(String, usize, String)>,
}

const TLS13: &[&str] = &[
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_AES_128_CCM_SHA256",
    "TLS_AES_128_CCM_8_SHA256",
];

const SCSVS: &[&str] = &["TLS_EMPTY_RENEGOTIATION_INFO_SCSV", "TLS_FALLBACK_SCSV"];

/// OpenSSL cipher-string keywords (OpenSSL 1.0.2–3.x `ciphers(1)`), upper-cased.
const KEYWORDS: &[&str] = &[
    "DEFAULT",
    "COMPLEMENTOFDEFAULT",
    "ALL",
    "COMPLEMENTOFALL",
    "HIGH",
    "MEDIUM",
    "LOW",
    "EXP",
    "EXPORT",
    "ENULL",
    "NULL",
    "ANULL",
    "KRSA",
    "ARSA",
    "RSA",
    "KDHR",
    "KDHD",
    "KDH",
    "KEDH",
    "KDHE",
    "EDH",
    "DHE",
    "DH",
    "ADH",
    "KEECDH",
    "KECDHE",
    "EECDH",
    "ECDHE",
    "ECDH",
    "AECDH",
    "ADSS",
    "DSS",
    "AECDSA",
    "ECDSA",
    "ANONE",
    "TLSV1.2",
    "TLSV1",
    "SSLV3",
    "AES",
    "AES128",
    "AES256",
    "AESGCM",
    "AESCCM",
    "CHACHA20",
    "3DES",
    "DES",
    "RC4",
    "MD5",
    "SHA1",
    "SHA",
    "SHA256",
    "SHA384",
    "CAMELLIA",
    "ARIA",
    "SEED",
    "IDEA",
    "PSK",
    "KPSK",
    "SRP",
    "SUITEB128",
    "SUITEB192",
];

/// IANA name fragments of suites that exist (Windows lists some) but tlsim does not model.
const UNMODELLED_IANA: &[&str] = &[
    "_PSK_",
    "TLS_PSK",
    "EXPORT",
    "_DES_CBC_",
    "_DES40_",
    "TLS_DH_",
    "TLS_ECDH_",
    "_ANON_",
    "TLS_NULL_",
    "_CAMELLIA_",
    "_ARIA_",
    "_SEED_",
    "_IDEA_",
    "_CCM",
    "TLS_SRP_",
    "TLS_KRB5_",
];

fn is_keyword(tok: &str) -> bool {
    let up = tok.to_ascii_uppercase();
    tok.starts_with('@') || tok.contains('+') || KEYWORDS.contains(&up.as_str())
}

/// Parses a suite order; see the module docs for the accepted forms. `file` is only used
/// in error messages.
pub fn parse_cipher_order(text: &str, file: &str) -> Result<CipherOrder, RegError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = CipherOrder::default();
    // `!NAME` removals are permanent, as in OpenSSL.
    let mut banned: Vec<CipherSuite> = Vec::new();
    let mut banned13: Vec<Tls13Suite> = Vec::new();
    // Line of the last token, and of the last one that removed a suite.
    let (mut last_line, mut last_removal) = (0, None);
    let mut lines_seen = 0;
    for (idx, raw) in text.lines().enumerate() {
        lines_seen = idx + 1;
        let lineno = idx + 1;
        let line = raw.trim();
        if line.is_empty()
            || line.eq_ignore_ascii_case("name")
            || line.chars().all(|c| c == '-' || c.is_whitespace())
        {
            continue;
        }
        for tok in line
            .split(|c: char| c == ':' || c == ',' || c.is_whitespace())
            .filter(|t| !t.is_empty())
        {
            last_line = lineno;
            let (op, name) = match tok.strip_prefix('!') {
                Some(rest) => (Some(b'!'), rest),
                None => match tok.strip_prefix('-') {
                    Some(rest) => (Some(b'-'), rest),
                    None => (None, tok),
                },
            };
            let err = |msg: String| RegError::new(file, lineno, msg);
            if name.is_empty() {
                return Err(err(format!("expected a suite name after `{tok}`")));
            }
            let up = name.to_ascii_uppercase();
            if let Some(t) = super::tls13_suite_names::NAMES
                .iter()
                .find(|(_, n)| *n == up)
                .map(|(t, _)| *t)
            {
                match op {
                    None => {
                        if !banned13.contains(&t) && !out.tls13_suites.contains(&t) {
                            out.tls13_suites.push(t);
                        }
                    }
                    Some(o) => {
                        out.tls13_suites.retain(|x| *x != t);
                        if o == b'!' {
                            banned13.push(t);
                        }
                        last_removal = Some(lineno);
                    }
                }
                continue;
            }
            if TLS13.contains(&up.as_str()) {
                if op.is_none() {
                    out.skipped.push((
                        name.to_string(),
                        lineno,
                        "TLS 1.3 suite not modelled by tlsim (CCM)".into(),
                    ));
                }
                continue;
            }
            if SCSVS.contains(&up.as_str()) {
                if op.is_none() {
                    out.skipped.push((
                        name.to_string(),
                        lineno,
                        "signalling value, not a suite".into(),
                    ));
                }
                continue;
            }
            let Some(info) = suite_by_name(name) else {
                if is_keyword(name) {
                    return Err(err(format!(
                        "`{tok}` is an OpenSSL cipher-string keyword; only explicit suite names \
                         (with optional `-NAME` / `!NAME` removals) are supported"
                    )));
                }
                if up.starts_with("TLS_")
                    && up.contains("_WITH_")
                    && UNMODELLED_IANA.iter().any(|f| up.contains(f))
                {
                    if op.is_none() {
                        out.skipped.push((
                            name.to_string(),
                            lineno,
                            "suite not modelled by tlsim".into(),
                        ));
                    }
                    continue;
                }
                let hint = suggest(&up)
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                return Err(err(format!("unknown cipher suite `{name}`{hint}")));
            };
            match op {
                None => {
                    if !banned.contains(&info.suite) && !out.suites.contains(&info.suite) {
                        out.suites.push(info.suite);
                        out.lines.push(lineno);
                    }
                }
                Some(b'!') => {
                    out.remove(info.suite);
                    banned.push(info.suite);
                    last_removal = Some(lineno);
                }
                Some(_) => {
                    out.remove(info.suite);
                    last_removal = Some(lineno);
                }
            }
        }
    }
    if out.suites.is_empty() && out.tls13_suites.is_empty() {
        let why = if let Some(l) = last_removal {
            format!("the removal on line {l} took out the last one")
        } else if out.skipped.is_empty() {
            "the file lists no suite".to_string()
        } else {
            format!(
                "every name was skipped: {}",
                out.skipped
                    .iter()
                    .map(|(n, l, r)| format!("{n} (line {l}: {r})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let line = last_removal
            .or((last_line > 0).then_some(last_line))
            .unwrap_or(lines_seen.max(1));
        return Err(RegError::new(
            file,
            line,
            format!(
                "no cipher suite left in the order ({why}); a client with no suites cannot send a ClientHello"
            ),
        ));
    }
    Ok(out)
}

impl CipherOrder {
    fn remove(&mut self, suite: CipherSuite) {
        if let Some(i) = self.suites.iter().position(|s| *s == suite) {
            self.suites.remove(i);
            self.lines.remove(i);
        }
    }
}

/// The closest IANA or OpenSSL name, if reasonably close.
fn suggest(up: &str) -> Option<&'static str> {
    // Windows 7/8.1 curve suffixes are not part of the table's names.
    let base = ["_P256", "_P384", "_P521"]
        .iter()
        .find_map(|s| up.strip_suffix(s))
        .unwrap_or(up);
    let names = SUITES.iter().flat_map(|i| [i.iana, i.openssl]);
    crate::text::did_you_mean(base, names, (base.len() / 3).max(2), 1)
        .first()
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cs(v: u16) -> CipherSuite {
        CipherSuite(v)
    }

    #[test]
    fn cipher_order_get_tlsciphersuite_list() {
        let text = "\r\nName\r\n----\r\nTLS_AES_256_GCM_SHA384\r\nTLS_AES_128_GCM_SHA256\r\n\
                    TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384\r\n  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256   \r\n\
                    TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256_P256\r\nTLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256_P384\r\n\
                    TLS_DHE_RSA_WITH_AES_256_GCM_SHA384\r\nTLS_PSK_WITH_AES_256_GCM_SHA384\r\n\
                    TLS_RSA_WITH_AES_128_CBC_SHA\r\n\r\n";
        let o = parse_cipher_order(text, "order.txt").unwrap();
        assert_eq!(
            o.suites,
            vec![cs(0xC02C), cs(0xC02F), cs(0xC027), cs(0x009F), cs(0x002F)]
        );
        // The TLS 1.3 suites, in their order (issue 16; they were skipped before).
        assert_eq!(
            o.tls13_suites,
            vec![Tls13Suite::Aes256GcmSha384, Tls13Suite::Aes128GcmSha256]
        );
        let skipped: Vec<(&str, usize)> = o.skipped.iter().map(|s| (s.0.as_str(), s.1)).collect();
        assert_eq!(skipped, vec![("TLS_PSK_WITH_AES_256_GCM_SHA384", 11)]);
    }

    #[test]
    fn cipher_order_openssl_string() {
        let o = parse_cipher_order(
            "ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384, EDH-RSA-DES-CBC3-SHA AES128-SHA:-AES128-SHA:TLS_AES_128_GCM_SHA256\n",
            "ossl.txt",
        )
        .unwrap();
        assert_eq!(o.suites, vec![cs(0xC02F), cs(0x009F), cs(0x0016)]);
        assert_eq!(o.tls13_suites, vec![Tls13Suite::Aes128GcmSha256]);
        assert!(o.skipped.is_empty());
        // `-` allows re-adding, `!` does not.
        let o = parse_cipher_order("AES128-SHA:-AES128-SHA:AES128-SHA", "f").unwrap();
        assert_eq!(o.suites, vec![cs(0x002F)]);
        let o = parse_cipher_order("AES128-SHA:!AES128-SHA:AES128-SHA:AES256-SHA", "f").unwrap();
        assert_eq!(o.suites, vec![cs(0x0035)]);
    }

    #[test]
    fn cipher_order_unknown_name_suggests() {
        let e = parse_cipher_order(
            "Name\n----\nTLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\nTLS_ECDHE_RSA_WITH_AES_128_GCM_SHA265\n",
            "o.txt",
        )
        .unwrap_err();
        assert_eq!(e.line, 4);
        assert!(e.to_string().starts_with("o.txt:4: "), "{e}");
        assert!(
            e.message.contains("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA265"),
            "{e}"
        );
        assert!(
            e.message
                .contains("did you mean `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`"),
            "{e}"
        );
        let e = parse_cipher_order("ECDHE-RSA-AES128-GCM-SHA265", "o.txt").unwrap_err();
        assert!(
            e.message
                .contains("did you mean `ECDHE-RSA-AES128-GCM-SHA256`"),
            "{e}"
        );
        let e = parse_cipher_order("ZZZ", "o.txt").unwrap_err();
        assert!(!e.message.contains("did you mean"), "{e}");
    }

    #[test]
    fn cipher_order_tls13_suites_keep_their_order_and_removals() {
        let o = parse_cipher_order(
            "TLS_CHACHA20_POLY1305_SHA256\nTLS_AES_128_GCM_SHA256\ntls_aes_256_gcm_sha384\n\
             TLS_AES_128_GCM_SHA256\n!TLS_AES_128_GCM_SHA256\nTLS_AES_128_GCM_SHA256\n",
            "o13.txt",
        )
        .unwrap();
        assert_eq!(
            o.tls13_suites,
            vec![
                Tls13Suite::ChaCha20Poly1305Sha256,
                Tls13Suite::Aes256GcmSha384
            ]
        );
        assert!(o.suites.is_empty());
        // Only the CCM pair: nothing tlsim models is left, as before.
        let e = parse_cipher_order(
            "TLS_AES_128_CCM_SHA256\nTLS_AES_128_CCM_8_SHA256\n",
            "c.txt",
        )
        .unwrap_err();
        assert!(e.message.contains("no cipher suite"), "{e}");
        assert!(e.message.contains("TLS 1.3 suite not modelled"), "{e}");
    }

    #[test]
    fn cipher_order_keywords_rejected() {
        for s in [
            "HIGH:!aNULL",
            "ECDHE-RSA-AES128-SHA:!aNULL",
            "kEDH+AESGCM",
            "ALL:@STRENGTH",
        ] {
            let e = parse_cipher_order(s, "k.txt").unwrap_err();
            assert!(e.message.contains("only explicit suite names"), "{s}: {e}");
            assert_eq!(e.line, 1);
        }
    }
}
