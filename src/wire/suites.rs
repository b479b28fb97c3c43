//! The IANA cipher-suite table for the TLS 1.0–1.2 suites that Windows (7 … Server 2022),
//! OpenSSL 1.0.2–3.x and the AWS ELB security policies offer, with both spellings.
//! Code points: IANA "TLS Cipher Suites" registry (RFC 5246, 5288, 5289, 4492, 7905);
//! OpenSSL names checked against `openssl ciphers -V` (3.0.19), and 1.0.2 for 3DES/RC4.

use super::codec::{Codec, InvalidMessage, Reader};

/// A cipher suite code point, known or not.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct CipherSuite(pub u16);

impl CipherSuite {
    /// RFC 5746 §3.3: signals secure renegotiation support; never negotiated.
    pub const TLS_EMPTY_RENEGOTIATION_INFO_SCSV: CipherSuite = CipherSuite(0x00ff);
    /// RFC 7507: signals a fallback retry; never negotiated.
    pub const TLS_FALLBACK_SCSV: CipherSuite = CipherSuite(0x5600);

    /// The IANA name, or "0xXXXX" for a code point not in the table.
    pub fn name(self) -> String {
        match self {
            CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV => {
                "TLS_EMPTY_RENEGOTIATION_INFO_SCSV".to_string()
            }
            CipherSuite::TLS_FALLBACK_SCSV => "TLS_FALLBACK_SCSV".to_string(),
            s => match suite_info(s) {
                Some(i) => i.iana.to_string(),
                None => format!("0x{:04X}", s.0),
            },
        }
    }

    /// True for the signalling values that are not real suites.
    pub fn is_scsv(self) -> bool {
        self == CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV
            || self == CipherSuite::TLS_FALLBACK_SCSV
    }

    pub fn info(self) -> Option<&'static SuiteInfo> {
        suite_info(self)
    }
}

impl std::fmt::Display for CipherSuite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

impl Codec for CipherSuite {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0.to_be_bytes());
    }
    fn read(r: &mut Reader) -> Result<Self, InvalidMessage> {
        Ok(CipherSuite(r.u16()?))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum KeyExchange {
    Rsa,
    DheRsa,
    DheDss,
    EcdheRsa,
    EcdheEcdsa,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum BulkCipher {
    Aes128Gcm,
    Aes256Gcm,
    Aes128Cbc,
    Aes256Cbc,
    TripleDesCbc,
    Rc4_128,
    ChaCha20Poly1305,
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MacAlgorithm {
    Aead,
    Sha1,
    Sha256,
    Sha384,
    Md5,
}

/// The hash of the TLS 1.2 PRF and handshake hash for a suite (RFC 5246 §5, RFC 5289).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum HashAlgorithm {
    Sha256,
    Sha384,
}

/// Everything tlsim needs to know about one suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct SuiteInfo {
    pub suite: CipherSuite,
    pub iana: &'static str,
    pub openssl: &'static str,
    pub kx: KeyExchange,
    pub bulk: BulkCipher,
    pub mac: MacAlgorithm,
    pub prf_hash: HashAlgorithm,
    /// Defined for TLS 1.2 only (SHA-256/384 MACs and AEAD suites).
    pub tls12_only: bool,
}

impl SuiteInfo {
    /// HMAC key length; 0 for AEAD suites.
    pub fn mac_key_len(&self) -> usize {
        match self.mac {
            MacAlgorithm::Aead => 0,
            MacAlgorithm::Md5 => 16,
            MacAlgorithm::Sha1 => 20,
            MacAlgorithm::Sha256 => 32,
            MacAlgorithm::Sha384 => 48,
        }
    }

    pub fn enc_key_len(&self) -> usize {
        match self.bulk {
            BulkCipher::Aes128Gcm | BulkCipher::Aes128Cbc | BulkCipher::Rc4_128 => 16,
            BulkCipher::Aes256Gcm | BulkCipher::Aes256Cbc | BulkCipher::ChaCha20Poly1305 => 32,
            BulkCipher::TripleDesCbc => 24,
            BulkCipher::Null => 0,
        }
    }

    /// IV bytes taken from the key block: the GCM salt (RFC 5288 §3), the ChaCha20 nonce
    /// mask (RFC 7905 §2), or the CBC IV used by TLS 1.0 (a block).
    pub fn fixed_iv_len(&self) -> usize {
        match self.bulk {
            BulkCipher::Aes128Gcm | BulkCipher::Aes256Gcm => 4,
            BulkCipher::Aes128Cbc | BulkCipher::Aes256Cbc => 16,
            BulkCipher::TripleDesCbc => 8,
            BulkCipher::ChaCha20Poly1305 => 12,
            BulkCipher::Rc4_128 | BulkCipher::Null => 0,
        }
    }

    /// Explicit per-record IV bytes in TLS 1.1/1.2: the GCM explicit nonce (8) or one
    /// cipher block for CBC. (TLS 1.0 CBC records carry none.)
    pub fn record_iv_len(&self) -> usize {
        match self.bulk {
            BulkCipher::Aes128Gcm | BulkCipher::Aes256Gcm => 8,
            BulkCipher::Aes128Cbc | BulkCipher::Aes256Cbc => 16,
            BulkCipher::TripleDesCbc => 8,
            BulkCipher::ChaCha20Poly1305 | BulkCipher::Rc4_128 | BulkCipher::Null => 0,
        }
    }

    pub fn is_dhe(&self) -> bool {
        matches!(self.kx, KeyExchange::DheRsa | KeyExchange::DheDss)
    }

    pub fn is_ecdhe(&self) -> bool {
        matches!(self.kx, KeyExchange::EcdheRsa | KeyExchange::EcdheEcdsa)
    }

    pub fn is_aead(&self) -> bool {
        self.mac == MacAlgorithm::Aead
    }
}

macro_rules! suites {
    ( $( $id:literal $iana:literal $ossl:literal $kx:ident $bulk:ident $mac:ident $prf:ident $only:literal; )* ) => {
        /// The suite table, in code-point order.
        pub static SUITES: &[SuiteInfo] = &[ $(
            SuiteInfo {
                suite: CipherSuite($id),
                iana: $iana,
                openssl: $ossl,
                kx: KeyExchange::$kx,
                bulk: BulkCipher::$bulk,
                mac: MacAlgorithm::$mac,
                prf_hash: HashAlgorithm::$prf,
                tls12_only: $only,
            },
        )* ];
    };
}

suites! {
    0x0002 "TLS_RSA_WITH_NULL_SHA" "NULL-SHA" Rsa Null Sha1 Sha256 false;
    0x0004 "TLS_RSA_WITH_RC4_128_MD5" "RC4-MD5" Rsa Rc4_128 Md5 Sha256 false;
    0x0005 "TLS_RSA_WITH_RC4_128_SHA" "RC4-SHA" Rsa Rc4_128 Sha1 Sha256 false;
    0x000A "TLS_RSA_WITH_3DES_EDE_CBC_SHA" "DES-CBC3-SHA" Rsa TripleDesCbc Sha1 Sha256 false;
    0x0013 "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA" "EDH-DSS-DES-CBC3-SHA" DheDss TripleDesCbc Sha1 Sha256 false;
    0x0016 "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA" "EDH-RSA-DES-CBC3-SHA" DheRsa TripleDesCbc Sha1 Sha256 false;
    0x002F "TLS_RSA_WITH_AES_128_CBC_SHA" "AES128-SHA" Rsa Aes128Cbc Sha1 Sha256 false;
    0x0032 "TLS_DHE_DSS_WITH_AES_128_CBC_SHA" "DHE-DSS-AES128-SHA" DheDss Aes128Cbc Sha1 Sha256 false;
    0x0033 "TLS_DHE_RSA_WITH_AES_128_CBC_SHA" "DHE-RSA-AES128-SHA" DheRsa Aes128Cbc Sha1 Sha256 false;
    0x0035 "TLS_RSA_WITH_AES_256_CBC_SHA" "AES256-SHA" Rsa Aes256Cbc Sha1 Sha256 false;
    0x0038 "TLS_DHE_DSS_WITH_AES_256_CBC_SHA" "DHE-DSS-AES256-SHA" DheDss Aes256Cbc Sha1 Sha256 false;
    0x0039 "TLS_DHE_RSA_WITH_AES_256_CBC_SHA" "DHE-RSA-AES256-SHA" DheRsa Aes256Cbc Sha1 Sha256 false;
    0x003B "TLS_RSA_WITH_NULL_SHA256" "NULL-SHA256" Rsa Null Sha256 Sha256 true;
    0x003C "TLS_RSA_WITH_AES_128_CBC_SHA256" "AES128-SHA256" Rsa Aes128Cbc Sha256 Sha256 true;
    0x003D "TLS_RSA_WITH_AES_256_CBC_SHA256" "AES256-SHA256" Rsa Aes256Cbc Sha256 Sha256 true;
    0x0040 "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256" "DHE-DSS-AES128-SHA256" DheDss Aes128Cbc Sha256 Sha256 true;
    0x0067 "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256" "DHE-RSA-AES128-SHA256" DheRsa Aes128Cbc Sha256 Sha256 true;
    0x006A "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256" "DHE-DSS-AES256-SHA256" DheDss Aes256Cbc Sha256 Sha256 true;
    0x006B "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256" "DHE-RSA-AES256-SHA256" DheRsa Aes256Cbc Sha256 Sha256 true;
    0x009C "TLS_RSA_WITH_AES_128_GCM_SHA256" "AES128-GCM-SHA256" Rsa Aes128Gcm Aead Sha256 true;
    0x009D "TLS_RSA_WITH_AES_256_GCM_SHA384" "AES256-GCM-SHA384" Rsa Aes256Gcm Aead Sha384 true;
    0x009E "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256" "DHE-RSA-AES128-GCM-SHA256" DheRsa Aes128Gcm Aead Sha256 true;
    0x009F "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384" "DHE-RSA-AES256-GCM-SHA384" DheRsa Aes256Gcm Aead Sha384 true;
    0x00A2 "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256" "DHE-DSS-AES128-GCM-SHA256" DheDss Aes128Gcm Aead Sha256 true;
    0x00A3 "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384" "DHE-DSS-AES256-GCM-SHA384" DheDss Aes256Gcm Aead Sha384 true;
    0xC007 "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA" "ECDHE-ECDSA-RC4-SHA" EcdheEcdsa Rc4_128 Sha1 Sha256 false;
    0xC008 "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA" "ECDHE-ECDSA-DES-CBC3-SHA" EcdheEcdsa TripleDesCbc Sha1 Sha256 false;
    0xC009 "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA" "ECDHE-ECDSA-AES128-SHA" EcdheEcdsa Aes128Cbc Sha1 Sha256 false;
    0xC00A "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA" "ECDHE-ECDSA-AES256-SHA" EcdheEcdsa Aes256Cbc Sha1 Sha256 false;
    0xC011 "TLS_ECDHE_RSA_WITH_RC4_128_SHA" "ECDHE-RSA-RC4-SHA" EcdheRsa Rc4_128 Sha1 Sha256 false;
    0xC012 "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA" "ECDHE-RSA-DES-CBC3-SHA" EcdheRsa TripleDesCbc Sha1 Sha256 false;
    0xC013 "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA" "ECDHE-RSA-AES128-SHA" EcdheRsa Aes128Cbc Sha1 Sha256 false;
    0xC014 "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA" "ECDHE-RSA-AES256-SHA" EcdheRsa Aes256Cbc Sha1 Sha256 false;
    0xC023 "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256" "ECDHE-ECDSA-AES128-SHA256" EcdheEcdsa Aes128Cbc Sha256 Sha256 true;
    0xC024 "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384" "ECDHE-ECDSA-AES256-SHA384" EcdheEcdsa Aes256Cbc Sha384 Sha384 true;
    0xC027 "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256" "ECDHE-RSA-AES128-SHA256" EcdheRsa Aes128Cbc Sha256 Sha256 true;
    0xC028 "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384" "ECDHE-RSA-AES256-SHA384" EcdheRsa Aes256Cbc Sha384 Sha384 true;
    0xC02B "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" "ECDHE-ECDSA-AES128-GCM-SHA256" EcdheEcdsa Aes128Gcm Aead Sha256 true;
    0xC02C "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" "ECDHE-ECDSA-AES256-GCM-SHA384" EcdheEcdsa Aes256Gcm Aead Sha384 true;
    0xC02F "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" "ECDHE-RSA-AES128-GCM-SHA256" EcdheRsa Aes128Gcm Aead Sha256 true;
    0xC030 "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" "ECDHE-RSA-AES256-GCM-SHA384" EcdheRsa Aes256Gcm Aead Sha384 true;
    0xCCA8 "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" "ECDHE-RSA-CHACHA20-POLY1305" EcdheRsa ChaCha20Poly1305 Aead Sha256 true;
    0xCCA9 "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" "ECDHE-ECDSA-CHACHA20-POLY1305" EcdheEcdsa ChaCha20Poly1305 Aead Sha256 true;
    0xCCAA "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256" "DHE-RSA-CHACHA20-POLY1305" DheRsa ChaCha20Poly1305 Aead Sha256 true;
}

pub fn suite_info(s: CipherSuite) -> Option<&'static SuiteInfo> {
    SUITES
        .binary_search_by_key(&s, |i| i.suite)
        .ok()
        .map(|i| &SUITES[i])
}

/// Looks a suite up by IANA name, OpenSSL name (either the `EDH-` spelling of 1.0.2 or
/// the `DHE-` one of 1.1+), Windows' curve-suffixed name (`…_P256`, `_P384`, `_P521`,
/// used by Windows 7/8 suite lists), or hex code point ("0x009F"); case-insensitive.
/// The SCSVs are names, not suites, so they are not found here.
pub fn suite_by_name(name: &str) -> Option<&'static SuiteInfo> {
    let n = name.trim().to_ascii_uppercase();
    if let Some(hex) = n.strip_prefix("0X") {
        return u16::from_str_radix(hex, 16)
            .ok()
            .and_then(|v| suite_info(CipherSuite(v)));
    }
    let find = |n: &str| SUITES.iter().find(|i| i.iana == n || i.openssl == n);
    if let Some(i) = find(&n) {
        return Some(i);
    }
    for suffix in ["_P256", "_P384", "_P521"] {
        if let Some(base) = n.strip_suffix(suffix) {
            if base.starts_with("TLS_ECDHE_") {
                return find(base);
            }
        }
    }
    if let Some(rest) = n.strip_prefix("DHE-") {
        return find(&format!("EDH-{rest}"));
    }
    if let Some(rest) = n.strip_prefix("EDH-") {
        return find(&format!("DHE-{rest}"));
    }
    None
}

/// Like [`suite_by_name`], but also knows the signalling values
/// (`TLS_EMPTY_RENEGOTIATION_INFO_SCSV`, `TLS_FALLBACK_SCSV`) and any hex code point.
pub fn suite_id_by_name(name: &str) -> Option<CipherSuite> {
    let n = name.trim();
    for scsv in [
        CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV,
        CipherSuite::TLS_FALLBACK_SCSV,
    ] {
        if n.eq_ignore_ascii_case(&scsv.name()) {
            return Some(scsv);
        }
    }
    if let Some(hex) = n.strip_prefix("0x").or_else(|| n.strip_prefix("0X")) {
        return u16::from_str_radix(hex, 16).ok().map(CipherSuite);
    }
    suite_by_name(n).map(|i| i.suite)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn ids_and_names_are_unique_and_sorted() {
        let ids: BTreeSet<_> = SUITES.iter().map(|i| i.suite).collect();
        assert_eq!(ids.len(), SUITES.len());
        assert!(SUITES.windows(2).all(|w| w[0].suite < w[1].suite));
        let names: BTreeSet<_> = SUITES.iter().flat_map(|i| [i.iana, i.openssl]).collect();
        assert_eq!(names.len(), 2 * SUITES.len());
        assert!(!ids.contains(&CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV));
    }

    #[test]
    fn every_name_round_trips_both_spellings() {
        for i in SUITES {
            assert_eq!(suite_by_name(i.iana).map(|x| x.suite), Some(i.suite));
            assert_eq!(suite_by_name(i.openssl).map(|x| x.suite), Some(i.suite));
            let lower = i.openssl.to_ascii_lowercase();
            assert_eq!(suite_by_name(&lower).map(|x| x.suite), Some(i.suite));
            assert_eq!(i.suite.name(), i.iana);
            let hex = format!("0x{:04x}", i.suite.0);
            assert_eq!(suite_by_name(&hex).map(|x| x.suite), Some(i.suite));
            // Derived fields agree with the name.
            assert_eq!(
                i.iana.ends_with("_SHA384"),
                i.prf_hash == HashAlgorithm::Sha384
            );
            assert_eq!(
                i.tls12_only,
                i.iana.ends_with("SHA256") || i.iana.ends_with("SHA384")
            );
            assert_eq!(i.is_dhe(), i.iana.starts_with("TLS_DHE_"));
            assert_eq!(i.is_ecdhe(), i.iana.starts_with("TLS_ECDHE_"));
        }
    }

    #[test]
    fn known_code_points() {
        let id = |n| suite_by_name(n).map(|i| i.suite.0);
        assert_eq!(id("TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"), Some(0x009F));
        assert_eq!(id("DHE-RSA-AES256-GCM-SHA384"), Some(0x009F));
        assert_eq!(id("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"), Some(0xC02F));
        assert_eq!(id("TLS_RSA_WITH_AES_128_CBC_SHA"), Some(0x002F));
        assert_eq!(id("TLS_DHE_RSA_WITH_AES_128_CBC_SHA"), Some(0x0033));
        assert_eq!(id("TLS_DHE_DSS_WITH_AES_128_CBC_SHA"), Some(0x0032));
        assert_eq!(
            id("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256_P256"),
            Some(0xC027)
        );
        assert_eq!(
            id("tls_ecdhe_ecdsa_with_aes_256_cbc_sha384_p384"),
            Some(0xC024)
        );
        assert_eq!(id("DHE-RSA-DES-CBC3-SHA"), Some(0x0016));
        assert_eq!(id("0x009F"), Some(0x009F));
        assert_eq!(id("TLS_EMPTY_RENEGOTIATION_INFO_SCSV"), None);
        assert_eq!(
            suite_id_by_name("tls_empty_renegotiation_info_scsv"),
            Some(CipherSuite(0x00FF))
        );
        assert_eq!(suite_id_by_name("0x1301"), Some(CipherSuite(0x1301)));
        assert_eq!(suite_id_by_name("AES128-SHA"), Some(CipherSuite(0x002F)));
        assert_eq!(suite_id_by_name("NOPE"), None);
        assert_eq!(
            CipherSuite(0x00FF).name(),
            "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"
        );
        assert_eq!(CipherSuite(0x1301).name(), "0x1301");
        let gcm = suite_info(CipherSuite(0x009F)).unwrap();
        assert_eq!(
            (gcm.mac_key_len(), gcm.enc_key_len(), gcm.fixed_iv_len()),
            (0, 32, 4)
        );
        assert_eq!(gcm.prf_hash, HashAlgorithm::Sha384);
        let cbc = suite_info(CipherSuite(0x002F)).unwrap();
        assert_eq!(
            (cbc.mac_key_len(), cbc.enc_key_len(), cbc.record_iv_len()),
            (20, 16, 16)
        );
    }
}
