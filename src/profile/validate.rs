//! What a profile value may be: every knob checked against what the wire can carry and
//! what the engine can compute, before any connection starts ([`Profile::validate`]).
//! Each limit below says where it comes from.

use super::{Profile, TlsVersion};
use crate::crypto::DhGroup;
use num_bigint::BigUint;
use num_traits::{One, ToPrimitive, Zero};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// The longest simulated time tlsim accepts anywhere (a schedule, a fault time, a
/// lifetime): 10 years of 365 days, in milliseconds. Far beyond any study, and far below
/// `u64::MAX` ms, so sums of a few such values cannot overflow.
pub const MAX_SIMULATED_MS: u64 = 10 * 365 * 24 * 3600 * 1000;
/// [`MAX_SIMULATED_MS`] in seconds, the bound of every `*_secs` knob (the engine works in
/// milliseconds: `secs * 1000` must not overflow).
pub const MAX_LIFETIME_SECS: u64 = MAX_SIMULATED_MS / 1000;
/// A 3-byte length (RFC 5246 §7.4: handshake message lengths and `ASN.1Cert<1..2^24-1>`).
/// The longest TLS 1.3 ticket lifetime, seven days (RFC 8446 §4.6.1).
pub(crate) const TLS13_MAX_TICKET_LIFETIME: u64 = 604_800;
/// The most NewSessionTickets a server sends after one handshake. No RFC limit; OpenSSL's
/// SSL_CTX_set_num_tickets takes a size_t, and no stack sends more than a handful.
pub(crate) const TLS13_MAX_TICKETS: u32 = 16;
pub(crate) const U24_MAX: usize = (1 << 24) - 1;
/// A 2-byte length (RFC 5246 vectors `<..2^16-1>`).
pub(crate) const U16_MAX: usize = u16::MAX as usize;
/// RFC 5246 §6.2.1: `TLSPlaintext.length` MUST NOT exceed 2^14.
pub(crate) const MAX_FRAGMENT: usize = crate::wire::MAX_FRAGMENT;
/// Suites in a ClientHello: `CipherSuite cipher_suites<2..2^16-2>`, 2 bytes each.
pub(crate) const MAX_SUITES: usize = (U16_MAX - 1) / 2;
/// Curves in `supported_groups`: `NamedGroup named_group_list<2..2^16-1>`, 2 bytes each.
pub(crate) const MAX_CURVES: usize = U16_MAX / 2;
/// Smallest custom DH prime: 512 bits, the export-grade size (Logjam); below it a "DH
/// group" is a toy whose results say nothing about a real stack.
pub(crate) const MIN_DH_PRIME_BITS: u64 = 512;
/// Largest custom DH prime: 8192 bits, the largest RFC 7919 group (ffdhe8192). Each
/// handshake's modular exponentiations grow with the cube of the size.
pub(crate) const MAX_DH_PRIME_BITS: u64 = 8192;
/// Largest `client_min_dh_bits` / `server_min_dh_bits`: 16384 (twice the largest group
/// tlsim can serve, so any larger value would mean the same: refuse every DH group).
pub(crate) const MAX_MIN_DH_BITS: usize = 16384;
/// Largest session cache: Schannel's `MaximumCacheSize` is a DWORD.
pub(crate) const MAX_CACHE_ENTRIES: usize = u32::MAX as usize;
/// Smallest modelled certificate: the model writes a 4-byte DER header (`30 82 LL LL`);
/// below 4 bytes it could not send the configured size.
pub(crate) const MIN_CERT_BYTES: usize = 4;
/// Bytes of one modelled CA name in CertificateRequest (`engine::conn::server`): names of
/// 100 bytes, each behind a 2-byte length.
const ISSUER_NAME_BYTES: usize = 100;
/// Room kept for the session_ticket extension when bounding the ClientHello extensions:
/// tlsim's own tickets are 127 bytes; a real server's (bridge mode) are a few hundred.
const TICKET_ROOM: usize = 1024;

/// Parses `dh_custom_prime`: hex digits, whitespace ignored.
pub(crate) fn parse_prime_hex(hex: &str) -> Result<BigUint, String> {
    let clean: String = hex.chars().filter(|c| !c.is_whitespace()).collect();
    if clean.is_empty() || !clean.bytes().all(|b| b.is_ascii_hexdigit()) {
        let shown: String = hex.chars().take(20).collect();
        return Err(format!(
            "{shown:?}{} is not hex digits (write p in hexadecimal, without 0x)",
            if hex.chars().count() > 20 { "…" } else { "" }
        ));
    }
    BigUint::parse_bytes(clean.as_bytes(), 16).ok_or_else(|| "is not hex".to_string())
}

/// Small primes for trial division.
fn small_primes() -> impl Iterator<Item = u32> {
    (3u32..2000).step_by(2).filter(|n| {
        let mut d = 3;
        while d * d <= *n {
            if n % d == 0 {
                return false;
            }
            d += 2;
        }
        true
    })
}

/// Whether an odd `n` above 2000 is probably prime: trial division by the primes below 2000,
/// then Miller–Rabin to the bases 2, 3, 5 and 7 (deterministic: no randomness in tlsim's
/// checks). Catches typos and trivially composite values; it is not a proof. Results are
/// memoised: a study validates its fleet once per shard.
pub(crate) fn probably_prime(n: &BigUint) -> bool {
    static MEMO: Mutex<BTreeMap<BigUint, bool>> = Mutex::new(BTreeMap::new());
    if let Some(v) = MEMO.lock().ok().and_then(|m| m.get(n).copied()) {
        return v;
    }
    let v = miller_rabin(n);
    if let Ok(mut m) = MEMO.lock() {
        if m.len() < 64 {
            m.insert(n.clone(), v);
        }
    }
    v
}

fn miller_rabin(n: &BigUint) -> bool {
    let two = BigUint::from(2u32);
    if *n < two {
        return false;
    }
    if n.bits() <= 11 {
        let v = n.to_u32().unwrap_or(0);
        return v == 2 || (v % 2 == 1 && small_primes().all(|p| p == v || !v.is_multiple_of(p)));
    }
    if !n.bit(0) {
        return false;
    }
    if small_primes().any(|p| (n % p).is_zero()) {
        return false;
    }
    let one = BigUint::one();
    let n1 = n - 1u32;
    let s = n1.trailing_zeros().unwrap_or(0);
    let d = &n1 >> s;
    // DhGroup::modexp: OpenSSL's Montgomery exponentiation where available.
    let group = DhGroup::custom(n.clone(), two);
    'base: for a in [2u32, 3, 5, 7] {
        let mut x = group.modexp(&BigUint::from(a), &d);
        if x == one || x == n1 {
            continue;
        }
        for _ in 1..s {
            x = (&x * &x) % n;
            if x == n1 {
                continue 'base;
            }
        }
        return false;
    }
    true
}

impl Profile {
    /// Every value that the wire cannot carry or the engine cannot compute, as
    /// `(knob, message)` sorted by knob name; empty when the profile is usable. Called wherever a
    /// profile is loaded or built (files, catalogue, scenario `set`, overlays) and by
    /// [`crate::net::run_fleet`] before it starts a connection.
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut bad = |knob: &str, msg: String| out.push((knob.to_string(), msg));

        // ---- cert_chain ----
        if self.cert_chain.is_empty() {
            bad(
                "cert_chain",
                "empty: a server sends at least one certificate (RFC 5246 §7.4.2), and tlsim's \
                 servers use RSA certificates"
                    .into(),
            );
        }
        for (i, &n) in self.cert_chain.iter().enumerate() {
            if n > U24_MAX {
                bad(
                    "cert_chain",
                    format!(
                        "certificate {i} is {n} bytes; a certificate's length field has 3 bytes (at most {U24_MAX})"
                    ),
                );
            } else if n < MIN_CERT_BYTES {
                bad(
                    "cert_chain",
                    format!(
                        "certificate {i} is {n} bytes; the smallest modelled certificate is {MIN_CERT_BYTES} bytes (its DER header)"
                    ),
                );
            }
        }
        // The Certificate body: a 3-byte list length, then each certificate behind its own
        // 3-byte length; the handshake header's 3-byte length covers all of it.
        let body = self
            .cert_chain
            .iter()
            .try_fold(3usize, |acc, &n| acc.checked_add(n)?.checked_add(3));
        if self.cert_chain.iter().all(|&n| n <= U24_MAX) && body.is_none_or(|b| b > U24_MAX) {
            bad(
                "cert_chain",
                format!(
                    "the Certificate message would be {} bytes ({} certificates of {} bytes, 3 length bytes each, plus 3); its length field holds at most {U24_MAX}",
                    body.map_or_else(|| "more than 2^64".to_string(), |b| b.to_string()),
                    self.cert_chain.len(),
                    self.cert_chain.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(" + ")
                ),
            );
        }

        // ---- versions and suites ----
        if self.client_suites.len() > MAX_SUITES {
            bad(
                "client_suites",
                format!(
                    "{} suites; the ClientHello's suite list has a 2-byte length, so at most {MAX_SUITES} suites of 2 bytes",
                    self.client_suites.len()
                ),
            );
        }
        if self.server_suites.len() > MAX_SUITES {
            bad(
                "server_suites",
                format!(
                    "{} suites; at most {MAX_SUITES} (the length of a suite list is 2 bytes)",
                    self.server_suites.len()
                ),
            );
        }
        if self.curves.len() > MAX_CURVES {
            bad(
                "curves",
                format!(
                    "{} curves; supported_groups has a 2-byte length, so at most {MAX_CURVES} curves of 2 bytes",
                    self.curves.len()
                ),
            );
        }

        // ---- the ClientHello extensions block (2-byte length) ----
        if let Some(name) = &self.server_name {
            if name.is_empty() {
                bad(
                    "server_name",
                    "empty: RFC 6066 HostName is <1..2^16-1>; leave server_name out to send no SNI"
                        .into(),
                );
            }
        }
        let sni = self.server_name.as_ref().map_or(0, |n| 9 + n.len());
        let groups = if self.curves.is_empty() {
            0
        } else {
            6 + 2 * self.curves.len().min(MAX_CURVES + 1)
        };
        // ec_point_formats 6, signature_algorithms 12, session_ticket 4 + ticket,
        // extended_master_secret 4, renegotiation_info 5.
        let others = groups + 6 + 12 + 4 + TICKET_ROOM + 4 + 5;
        if sni + others > U16_MAX && self.curves.len() <= MAX_CURVES {
            let room = U16_MAX.saturating_sub(9 + others);
            if sni >= groups {
                bad(
                    "server_name",
                    format!(
                        "{} bytes; the ClientHello extensions block has a 2-byte length (at most {U16_MAX} bytes), the other extensions take up to {others} and SNI adds 9 bytes of headers: at most {room} bytes",
                        sni.saturating_sub(9)
                    ),
                );
            } else {
                bad(
                    "curves",
                    format!(
                        "{} curves and a {}-byte server_name do not fit the ClientHello extensions block (a 2-byte length, at most {U16_MAX} bytes)",
                        self.curves.len(),
                        sni.saturating_sub(9)
                    ),
                );
            }
        }

        // ---- finite-field DH ----
        let mut p_bits = None;
        match &self.dh_custom_prime {
            None => p_bits = Some(DhGroup::named(self.dh_group).p.bits()),
            Some(hex) => match parse_prime_hex(hex) {
                Err(m) => bad("dh_custom_prime", m),
                Ok(p) => {
                    let bits = p.bits();
                    if !p.bit(0) {
                        bad(
                            "dh_custom_prime",
                            format!(
                                "0x{} is even: a DH prime is an odd prime of {MIN_DH_PRIME_BITS} to {MAX_DH_PRIME_BITS} bits",
                                short_hex(&p)
                            ),
                        );
                    } else if bits < MIN_DH_PRIME_BITS {
                        bad(
                            "dh_custom_prime",
                            format!(
                                "{bits} bits; the smallest accepted prime has {MIN_DH_PRIME_BITS} bits (export-grade DH)"
                            ),
                        );
                    } else if bits > MAX_DH_PRIME_BITS {
                        bad(
                            "dh_custom_prime",
                            format!(
                                "{bits} bits; the largest accepted prime has {MAX_DH_PRIME_BITS} bits (ffdhe8192)"
                            ),
                        );
                    } else if !probably_prime(&p) {
                        bad(
                            "dh_custom_prime",
                            format!(
                                "0x{} ({bits} bits) is not prime (it fails trial division or a Miller-Rabin round): DH over it would give results no real stack sees",
                                short_hex(&p)
                            ),
                        );
                    } else {
                        p_bits = Some(bits);
                    }
                }
            },
        }
        if let Some(bits) = p_bits.and_then(|b| usize::try_from(b).ok()) {
            if self.dh_exponent_bits != 0 && !(2..=bits).contains(&self.dh_exponent_bits) {
                bad(
                    "dh_exponent_bits",
                    format!(
                        "{}; 0 (a full-length exponent) or 2 to {bits}, the size of the group's prime (a 1-bit exponent can never be at least 2; a longer one only costs time)",
                        self.dh_exponent_bits
                    ),
                );
            }
        }
        for (knob, v) in [
            ("client_min_dh_bits", self.client_min_dh_bits),
            ("server_min_dh_bits", self.server_min_dh_bits),
        ] {
            if v > MAX_MIN_DH_BITS {
                bad(
                    knob,
                    format!(
                        "{v} bits; at most {MAX_MIN_DH_BITS} (tlsim's largest group has {MAX_DH_PRIME_BITS} bits: any value above that already refuses every DH group)"
                    ),
                );
            }
        }

        // ---- lifetimes and caches ----
        for (knob, v) in [
            ("ephemeral_key_reuse_secs", self.ephemeral_key_reuse_secs),
            ("client_cache_secs", self.client_cache_secs),
            ("server_cache_secs", self.server_cache_secs),
            ("ticket_lifetime_secs", self.ticket_lifetime_secs),
        ] {
            if v > MAX_LIFETIME_SECS {
                bad(
                    knob,
                    format!(
                        "{v} s; at most {MAX_LIFETIME_SECS} s (10 years, the longest simulated time)"
                    ),
                );
            }
        }
        if self.server_cache_size > MAX_CACHE_ENTRIES {
            bad(
                "server_cache_size",
                format!(
                    "{} entries; at most {MAX_CACHE_ENTRIES} entries (Schannel's MaximumCacheSize is a DWORD)",
                    self.server_cache_size
                ),
            );
        }

        // ---- message sizes ----
        for (knob, v) in [
            ("message_limit_client", self.message_limit_client),
            ("message_limit_server", self.message_limit_server),
            (
                "message_limit_server_client_auth",
                self.message_limit_server_client_auth,
            ),
            ("max_handshake_message", self.max_handshake_message),
        ] {
            if let Some(v) = v.and_then(|v| usize::try_from(v).ok()) {
                if v > U24_MAX {
                    bad(
                        knob,
                        format!(
                            "{v} bytes; a handshake message's length has 3 bytes, so a limit above {U24_MAX} means no limit: leave it out"
                        ),
                    );
                }
            }
        }
        if !(1..=MAX_FRAGMENT).contains(&self.max_fragment) {
            bad(
                "max_fragment",
                format!(
                    "{} bytes; a record fragment is 1 to {MAX_FRAGMENT} bytes (RFC 5246 §6.2.1)",
                    self.max_fragment
                ),
            );
        }

        // ---- client authentication ----
        let names = self.trusted_issuer_bytes.div_ceil(ISSUER_NAME_BYTES);
        let max_bytes = U16_MAX / (ISSUER_NAME_BYTES + 2) * ISSUER_NAME_BYTES;
        if self.trusted_issuer_bytes > max_bytes {
            bad(
                "trusted_issuer_bytes",
                format!(
                    "{} bytes: {names} names of {ISSUER_NAME_BYTES} bytes with a 2-byte length each; the certificate_authorities list has a 2-byte length (at most {U16_MAX} bytes), so at most {max_bytes}",
                    self.trusted_issuer_bytes
                ),
            );
        }
        // ---- TLS 1.3 ----
        if self.tls13(true) || self.tls13(false) {
            for (knob, empty) in [
                ("tls13_suites", self.tls13_suites.is_empty()),
                ("tls13_groups", self.tls13_groups.is_empty()),
            ] {
                if empty {
                    bad(
                        knob,
                        "empty while tls1.3 is enabled: a TLS 1.3 handshake needs at least one \
                         (RFC 8446 §4.1.2, §4.2.7)"
                            .into(),
                    );
                }
            }
            if self.tls13_psk_modes.is_empty() && self.tls13_tickets > 0 {
                bad(
                    "tls13_psk_modes",
                    "empty while the server issues tickets: a ticket can only be used with a \
                     psk_key_exchange_modes value (RFC 8446 §4.2.9); give [] tickets too, or a mode"
                        .into(),
                );
            }
        }
        for g in &self.tls13_key_shares {
            if !self.tls13_groups.contains(g) {
                bad(
                    "tls13_key_shares",
                    format!(
                        "{} is not in tls13_groups: each KeyShareEntry must be for a group in \
                         supported_groups (RFC 8446 §4.2.8)",
                        g.wire()
                    ),
                );
            }
        }
        if self.tls13_ticket_lifetime_secs > TLS13_MAX_TICKET_LIFETIME {
            bad(
                "tls13_ticket_lifetime_secs",
                format!(
                    "{} s; at most {TLS13_MAX_TICKET_LIFETIME} s (seven days, RFC 8446 §4.6.1)",
                    self.tls13_ticket_lifetime_secs
                ),
            );
        }
        if self.tls13_tickets > TLS13_MAX_TICKETS {
            bad(
                "tls13_tickets",
                format!(
                    "{} tickets per handshake; at most {TLS13_MAX_TICKETS} (each is a message \
                     in the simulated flight)",
                    self.tls13_tickets
                ),
            );
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// What a profile needs to act as a client, beyond [`Profile::validate`]: a version and a
    /// suite it can offer with it. Checked where a profile connects (fleet clients,
    /// `tlsim handshake`, the bridge client), not where it is loaded: a server-only profile,
    /// or a what-if that removes a client's suites, is not wrong until it must send a
    /// ClientHello.
    pub fn client_issues(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut bad = |knob: &str, msg: String| out.push((knob.to_string(), msg));
        if self.client_versions.is_empty() {
            bad(
                "client_versions",
                "empty: a client with no protocol version enabled cannot send a ClientHello \
                 (enable at least one of ssl3.0, tls1.0, tls1.1, tls1.2)"
                    .into(),
            );
        }
        if self.client_suites.is_empty() {
            bad(
                "client_suites",
                "empty: a client with no cipher suite cannot send a ClientHello \
                 (RFC 5246 §7.4.1.2: cipher_suites<2..2^16-2>)"
                    .into(),
            );
        } else if self
            .max_legacy_client_version()
            .is_some_and(|v| v < TlsVersion::Tls12)
            && self
                .client_suites
                .iter()
                .all(|s| crate::wire::suite_info(*s).is_some_and(|i| i.tls12_only))
        {
            bad(
                "client_suites",
                format!(
                    "every suite is TLS 1.2 only and the client's highest version is {}: the client would offer no cipher suite",
                    self.max_legacy_client_version().map_or("?", |v| v.name())
                ),
            );
        }
        out
    }

    /// [`Profile::validate`] and [`Profile::client_issues`] as one message.
    pub fn check_as_client(&self) -> Result<(), String> {
        self.check()?;
        let errs = self.client_issues();
        if errs.is_empty() {
            Ok(())
        } else {
            Err(errs
                .iter()
                .map(|(k, m)| format!("{k}: {m}"))
                .collect::<Vec<_>>()
                .join("; "))
        }
    }

    /// [`Profile::validate`] as one message (`knob: message; knob: message`), for callers
    /// that report a single error.
    pub fn check(&self) -> Result<(), String> {
        let errs = self.validate();
        if errs.is_empty() {
            Ok(())
        } else {
            Err(errs
                .iter()
                .map(|(k, m)| format!("{k}: {m}"))
                .collect::<Vec<_>>()
                .join("; "))
        }
    }
}

fn short_hex(p: &BigUint) -> String {
    let h = p.to_str_radix(16);
    if h.len() > 24 {
        format!("{}…{}", &h[..12], &h[h.len() - 8..])
    } else {
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primality_check_knows_small_and_large_cases() {
        for p in [2u32, 3, 5, 1999, 2003, 65537] {
            assert!(probably_prime(&BigUint::from(p)), "{p}");
        }
        for c in [0u32, 1, 4, 1001, 2047, 3215031751] {
            assert!(!probably_prime(&BigUint::from(c)), "{c}");
        }
        let m521 = (BigUint::one() << 521usize) - 1u32;
        assert!(probably_prime(&m521));
        assert!(!probably_prime(&(&m521 + 2u32)));
        let ffdhe = &DhGroup::named(crate::crypto::GroupId::Ffdhe2048).p;
        assert!(probably_prime(ffdhe));
        assert!(!probably_prime(&(ffdhe * 3u32)));
    }

    #[test]
    fn the_limits_hold_their_arithmetic() {
        assert_eq!(MAX_SIMULATED_MS, 315_360_000_000);
        assert_eq!(MAX_SUITES, 32767);
        assert_eq!(MAX_CURVES, 32767);
        assert_eq!(
            U16_MAX / (ISSUER_NAME_BYTES + 2) * ISSUER_NAME_BYTES,
            64_200
        );
        assert!(Profile::default().validate().is_empty());
    }
}
