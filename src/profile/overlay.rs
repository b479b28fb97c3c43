//! Overlays on a resolved profile: the Schannel values of a `.reg` export
//! ([`apply_registry`]) and a cipher-suite order ([`apply_cipher_order`]).
//!
//! Protocol keys: `Enabled=0` removes the version; `DisabledByDefault=1` removes it too,
//! because tlsim models applications that do not ask for a version explicitly (Microsoft
//! Learn "TLS registry settings": DisabledByDefault keeps a version off unless the
//! application asks for it); `Enabled=1` or `DisabledByDefault=0`
//! (without the other turning it off) adds it. TLS 1.3 keys apply like the others (issue 16).
//!
//! Key exchange keys: `KeyExchangeAlgorithms\Diffie-Hellman\Enabled=0` removes the TLS_DHE_*
//! suites from the client and server lists, `ECDH\Enabled=0` the TLS_ECDHE_* suites (the last
//! value of each key wins). A non-zero `Enabled` keeps the lists as they are: tlsim cannot add
//! back suites a profile does not list.

use super::catalogue::{Origin, Resolved};
use super::{CipherOrder, Profile, SchannelOverlay, SchannelSetting, TlsVersion};
use serde::Serialize;
use std::collections::BTreeMap;

/// What a registry overlay did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RegistryApplied {
    /// Knob, the line of the value that set it last, and the Schannel value's name, for
    /// every knob a modelled value set (whether or not its value changed).
    pub set: Vec<(String, usize, String)>,
    /// Modelled values that tlsim still cannot apply (e.g. TLS 1.3 protocol keys).
    pub ignored: Vec<(String, usize, String)>,
}

/// Applies the modelled Schannel settings; returns the knobs whose value changed.
pub fn apply_registry(profile: &mut Profile, overlay: &SchannelOverlay) -> Vec<String> {
    let before = super::catalogue::knob_values(profile);
    apply_registry_detailed(profile, overlay);
    let after = super::catalogue::knob_values(profile);
    after
        .into_iter()
        .filter(|(k, v)| before.get(k) != Some(v))
        .map(|(k, _)| k)
        .collect()
}

fn version_by_name(name: &str) -> Option<TlsVersion> {
    TlsVersion::ALL.into_iter().find(|v| v.name() == name)
}

/// `Enabled`, `DisabledByDefault` (last value of each) and the line of the last one, for
/// one `Protocols\<version>\{Client,Server}` key.
type ProtocolKeys = (Option<bool>, Option<bool>, usize);

/// Applies the modelled Schannel settings and reports, per knob, which value set it.
pub(crate) fn apply_registry_detailed(
    profile: &mut Profile,
    overlay: &SchannelOverlay,
) -> RegistryApplied {
    use SchannelSetting as S;
    let mut out = RegistryApplied::default();
    let mut set = |knob: &str, line: usize, what: &str| {
        out.set.retain(|(k, _, _)| k != knob);
        out.set.push((knob.to_string(), line, what.to_string()));
    };
    // Protocol keys: (version, server) → (Enabled, DisabledByDefault, last line), the last
    // value of each in file order.
    let mut protocols: BTreeMap<(TlsVersion, bool), ProtocolKeys> = BTreeMap::new();
    // Key exchange keys: ecdh → (Enabled, line), the last value in file order.
    let mut key_exchanges: BTreeMap<bool, (bool, usize)> = BTreeMap::new();
    let mut ignored = Vec::new();
    for (s, line) in &overlay.settings {
        let line = *line;
        match s {
            S::DisableClientEms(d) => {
                profile.ems_offer = !d;
                set("ems_offer", line, "DisableClientExtendedMasterSecret");
            }
            S::DisableServerEms(d) => {
                profile.ems_negotiate = !d;
                set("ems_negotiate", line, "DisableServerExtendedMasterSecret");
            }
            S::MessageLimitClient(v) => {
                profile.message_limit_client = Some(*v);
                set(
                    "message_limit_client",
                    line,
                    "Messaging\\MessageLimitClient",
                );
            }
            S::MessageLimitServer(v) => {
                profile.message_limit_server = Some(*v);
                set(
                    "message_limit_server",
                    line,
                    "Messaging\\MessageLimitServer",
                );
            }
            S::MessageLimitServerClientAuth(v) => {
                profile.message_limit_server_client_auth = Some(*v);
                set(
                    "message_limit_server_client_auth",
                    line,
                    "Messaging\\MessageLimitServerClientAuth",
                );
            }
            S::DhClientMinKeyBits(v) => {
                profile.client_min_dh_bits = *v as usize;
                set(
                    "client_min_dh_bits",
                    line,
                    "Diffie-Hellman\\ClientMinKeyBitLength",
                );
            }
            S::DhServerMinKeyBits(v) => {
                profile.server_min_dh_bits = *v as usize;
                set(
                    "server_min_dh_bits",
                    line,
                    "Diffie-Hellman\\ServerMinKeyBitLength",
                );
            }
            S::ClientCacheTimeMs(ms) => {
                // Milliseconds → seconds, rounding a non-zero value up so it stays "on".
                profile.client_cache_secs = u64::from(*ms).div_ceil(1000);
                set("client_cache_secs", line, "ClientCacheTime");
            }
            S::ServerCacheTimeMs(ms) => {
                profile.server_cache_secs = u64::from(*ms).div_ceil(1000);
                set("server_cache_secs", line, "ServerCacheTime");
                if *ms == 0 {
                    // Microsoft Learn "TLS registry settings": 0 turns the cache off.
                    profile.server_cache_size = 0;
                    set("server_cache_size", line, "ServerCacheTime=0");
                }
            }
            S::MaximumCacheSize(n) => {
                profile.server_cache_size = *n as usize;
                set("server_cache_size", line, "MaximumCacheSize");
            }
            S::SendTrustedIssuerList(b) => {
                profile.send_trusted_issuer_list = *b;
                set("send_trusted_issuer_list", line, "SendTrustedIssuerList");
            }
            S::EphemKeyReuseTimeMs { ecdh, ms } => {
                // One knob for DH and ECDH in this engine: the last value wins.
                profile.ephemeral_key_reuse_secs = u64::from(*ms).div_ceil(1000);
                let key = if *ecdh { "ECDH" } else { "Diffie-Hellman" };
                set(
                    "ephemeral_key_reuse_secs",
                    line,
                    &format!("{key}\\EphemKeyReuseTime"),
                );
            }
            S::KeyExchangeEnabled { ecdh, enabled } => {
                key_exchanges.insert(*ecdh, (*enabled, line));
            }
            S::ProtocolEnabled {
                version,
                server,
                enabled,
            }
            | S::ProtocolDisabledByDefault {
                version,
                server,
                disabled: enabled,
            } => {
                let Some(v) = version_by_name(version) else {
                    ignored.push((
                        format!("Protocols\\{version}"),
                        line,
                        "not a protocol version tlsim models".to_string(),
                    ));
                    continue;
                };
                let slot = protocols.entry((v, *server)).or_default();
                if matches!(s, S::ProtocolEnabled { .. }) {
                    slot.0 = Some(*enabled);
                } else {
                    slot.1 = Some(*enabled);
                }
                slot.2 = line;
            }
        }
    }
    for ((v, server), (enabled, disabled_by_default, line)) in protocols {
        let on = match (enabled, disabled_by_default) {
            (Some(false), _) | (_, Some(true)) => false,
            (Some(true), _) | (_, Some(false)) => true,
            (None, None) => continue,
        };
        let (list, knob) = if server {
            (&mut profile.server_versions, "server_versions")
        } else {
            (&mut profile.client_versions, "client_versions")
        };
        list.retain(|x| *x != v);
        if on {
            list.push(v);
            list.sort();
        }
        set(
            knob,
            line,
            &format!(
                "Protocols\\{}\\{}",
                v.name(),
                if server { "Server" } else { "Client" }
            ),
        );
    }
    for (ecdh, (enabled, line)) in key_exchanges {
        if enabled {
            continue;
        }
        let uses = |s: &crate::wire::CipherSuite| {
            crate::wire::suite_info(*s)
                .is_some_and(|i| if ecdh { i.is_ecdhe() } else { i.is_dhe() })
        };
        let what = if ecdh {
            "KeyExchangeAlgorithms\\ECDH\\Enabled=0"
        } else {
            "KeyExchangeAlgorithms\\Diffie-Hellman\\Enabled=0"
        };
        for (list, knob) in [
            (&mut profile.client_suites, "client_suites"),
            (&mut profile.server_suites, "server_suites"),
        ] {
            list.retain(|s| !uses(s));
            set(knob, line, what);
        }
    }
    out.ignored = ignored;
    out
}

/// Replaces the client offer order and the server preference order with the given list.
///
/// Every suite tlsim models is kept, even one the real build lacks: tlsim does not know
/// each build's full supported set (a profile lists what is enabled), so the user's list
/// is taken as authoritative. The server order leaves out the TLS_ECDHE_ECDSA_* and
/// TLS_DHE_DSS_* suites: they need an ECDSA or DSA certificate, and tlsim's servers have
/// RSA certificates (as the catalogue's lists, which leave them out). TLS 1.3 suites in the
/// order replace `tls13_suites`, in their order. A list of one kind only (an OpenSSL cipher
/// string has no TLS 1.3 suites: OpenSSL sets those apart, `SSL_CTX_set_ciphersuites`)
/// leaves the other kind's list as the profile has it; unlike Windows' "SSL Cipher Suite
/// Order" policy, where a suite missing from the list is not used (Microsoft Learn "TLS
/// Cipher Suites in Windows Server 2022 and later"). Returns the suites that were in
/// neither list before.
pub fn apply_cipher_order(profile: &mut Profile, order: &CipherOrder) -> Vec<String> {
    let mut added: Vec<String> = order
        .suites
        .iter()
        .filter(|s| !profile.client_suites.contains(s) && !profile.server_suites.contains(s))
        .map(|s| s.name())
        .collect();
    // TLS 1.3 suites replace the profile's TLS 1.3 list when the order names any (issue 16).
    if !order.tls13_suites.is_empty() {
        added.extend(
            order
                .tls13_suites
                .iter()
                .filter(|s| !profile.tls13_suites.contains(s))
                .filter_map(|s| {
                    super::tls13_suite_names::NAMES
                        .iter()
                        .find(|(t, _)| t == s)
                        .map(|(_, n)| n.to_string())
                }),
        );
        profile.tls13_suites = order.tls13_suites.clone();
    }
    if order.suites.is_empty() {
        return added;
    }
    profile.client_suites = order.suites.clone();
    profile.server_suites = order
        .suites
        .iter()
        .copied()
        .filter(|s| !needs_other_certificate(*s))
        .collect();
    added
}

/// What a cipher order cannot model, by line: the names it skipped, and the suites kept in
/// the client order only ([`apply_cipher_order`]).
fn cipher_order_ignored(order: &CipherOrder) -> Vec<(String, usize, String)> {
    let mut v = order.skipped.clone();
    for (s, line) in order.suites.iter().zip(&order.lines) {
        if needs_other_certificate(*s) {
            v.push((
                s.name(),
                *line,
                "kept in the client order only: a server needs an ECDSA or DSA certificate for \
                 it, and tlsim's servers have RSA certificates"
                    .into(),
            ));
        }
    }
    v.sort_by_key(|i| i.1);
    v
}

/// A suite whose server authenticates with an ECDSA or DSA certificate.
fn needs_other_certificate(s: crate::wire::CipherSuite) -> bool {
    use crate::wire::KeyExchange as K;
    crate::wire::suite_info(s).is_some_and(|i| matches!(i.kx, K::EcdheEcdsa | K::DheDss))
}

impl Resolved {
    /// Applies a `.reg` overlay and records its origins; unmodelled values join `ignored`.
    /// A value the wire cannot carry (e.g. `MessageLimitClient=dword:ffffffff`, above
    /// 2^24-1) is an error naming the file and line that set it ([`Profile::validate`]).
    pub fn apply_registry(&mut self, overlay: &SchannelOverlay, file: &str) -> Result<(), String> {
        let mut profile = self.profile.clone();
        let applied = apply_registry_detailed(&mut profile, overlay);
        let errors = profile.validate();
        if !errors.is_empty() {
            return Err(errors
                .iter()
                .map(
                    |(knob, msg)| match applied.set.iter().find(|(k, _, _)| k == knob) {
                        Some((_, line, what)) => {
                            format!("{file}:{line}: {knob} (from {what}): {msg}")
                        }
                        None => format!("{file}: {knob}: {msg}"),
                    },
                )
                .collect::<Vec<_>>()
                .join("\n"));
        }
        self.profile = profile;
        for (knob, line, what) in applied.set {
            self.origins.insert(
                knob,
                Origin {
                    set_by: format!("registry {file}:{line}"),
                    source: format!("Schannel registry value {what} in {file}"),
                },
            );
        }
        self.ignored.extend(overlay.ignored.iter().cloned());
        self.ignored.extend(applied.ignored);
        self.ignored.sort_by_key(|i| i.1);
        Ok(())
    }

    /// Applies a suite order and records its origin; skipped names join `ignored`. An order
    /// that leaves the profile unusable (no suite its client versions can offer) is an
    /// error naming the file.
    pub fn apply_cipher_order(&mut self, order: &CipherOrder, file: &str) -> Result<(), String> {
        let mut profile = self.profile.clone();
        apply_cipher_order(&mut profile, order);
        profile.check().map_err(|m| format!("{file}: {m}"))?;
        self.profile = profile;
        let knobs: &[&str] = match (order.suites.is_empty(), order.tls13_suites.is_empty()) {
            (false, false) => &["client_suites", "server_suites", "tls13_suites"],
            (false, true) => &["client_suites", "server_suites"],
            (true, _) => &["tls13_suites"],
        };
        for &knob in knobs {
            self.origins.insert(
                knob.to_string(),
                Origin {
                    set_by: format!("cipher-order {file}"),
                    source: format!("suite order from {file}"),
                },
            );
        }
        self.ignored.extend(cipher_order_ignored(order));
        Ok(())
    }
}

/// Which kind of overlay file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OverlayKind {
    /// A regedit export of the Schannel keys (`.reg`).
    Registry,
    /// A cipher-suite order (`Get-TlsCipherSuite` names or an OpenSSL cipher string).
    CipherOrder,
}

impl OverlayKind {
    /// The option and scenario field that name it: `registry`, `cipher-order`.
    pub fn name(self) -> &'static str {
        match self {
            OverlayKind::Registry => "registry",
            OverlayKind::CipherOrder => "cipher-order",
        }
    }
}

/// An overlay file, read and parsed, ready to apply to any number of profiles.
#[derive(Debug, Clone)]
pub struct OverlayFile {
    pub kind: OverlayKind,
    /// The file as named in messages.
    pub file: String,
    /// SHA-256 of the file's bytes (12 bytes, hex): what identifies the overlay in a
    /// study, whatever the file's path.
    pub digest: String,
    parsed: Parsed,
}

#[derive(Debug, Clone)]
enum Parsed {
    Registry(SchannelOverlay),
    CipherOrder(CipherOrder),
}

/// What applying an overlay to one profile did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OverlayEffect {
    /// Knobs whose value changed.
    pub changed: Vec<String>,
    /// What the overlay could not model: the value or name, its line, and why.
    pub ignored: Vec<(String, usize, String)>,
}

impl OverlayFile {
    /// Reads and parses `path` (UTF-8, or UTF-16 with its byte-order mark; CRLF or LF);
    /// errors are `file:line: message`, `file` being `shown`.
    pub fn load(
        kind: OverlayKind,
        path: &std::path::Path,
        shown: &str,
    ) -> Result<OverlayFile, String> {
        use sha2::{Digest, Sha256};
        let bytes = super::read_input_bytes(path).map_err(|e| format!("{shown}: {}", e.message))?;
        let digest = crate::crypto::to_hex(&Sha256::digest(&bytes)[..12]);
        let parsed = match kind {
            OverlayKind::Registry => {
                let reg = super::parse_reg(&bytes, shown).map_err(|e| e.to_string())?;
                Parsed::Registry(super::schannel_settings(&reg, shown).map_err(|e| e.to_string())?)
            }
            OverlayKind::CipherOrder => {
                let text = super::decode_text(&bytes, shown)?;
                Parsed::CipherOrder(
                    super::parse_cipher_order(&text, shown).map_err(|e| e.to_string())?,
                )
            }
        };
        Ok(OverlayFile {
            kind,
            file: shown.to_string(),
            digest,
            parsed,
        })
    }

    /// Applies the overlay to a resolved profile (origins and ignored values recorded);
    /// refused, naming the file and line, when the result is not a usable profile.
    pub fn apply(&self, r: &mut Resolved) -> Result<OverlayEffect, String> {
        let before = super::catalogue::knob_values(&r.profile);
        match &self.parsed {
            Parsed::Registry(o) => r.apply_registry(o, &self.file)?,
            Parsed::CipherOrder(o) => r.apply_cipher_order(o, &self.file)?,
        }
        let ignored = match &self.parsed {
            Parsed::Registry(o) => {
                // apply_registry sorts `ignored` by line: collect this file's entries.
                let mut v = o.ignored.clone();
                let mut probe = r.profile.clone();
                v.extend(apply_registry_detailed(&mut probe, o).ignored);
                v.sort_by_key(|i| i.1);
                v
            }
            Parsed::CipherOrder(o) => cipher_order_ignored(o),
        };
        let changed = super::catalogue::knob_values(&r.profile)
            .into_iter()
            .filter(|(k, v)| before.get(k) != Some(v))
            .map(|(k, _)| k)
            .collect();
        Ok(OverlayEffect { changed, ignored })
    }

    /// [`OverlayFile::apply`] to a bare profile.
    pub fn apply_to(&self, profile: &Profile) -> Result<(Profile, OverlayEffect), String> {
        let mut r = Resolved {
            spec: profile.name.clone(),
            role: super::Role::Both,
            summary: profile.summary.clone(),
            profile: profile.clone(),
            origins: BTreeMap::new(),
            updates: Vec::new(),
            ignored: Vec::new(),
            windows_build: None,
        };
        let effect = self.apply(&mut r)?;
        Ok((r.profile, effect))
    }
}

/// Applies the overlay files given for one profile (`tlsim handshake`, `tlsim bridge`), in
/// order: `files` pairs each kind with its file, if given; errors name the option
/// `--<prefix><kind>`. Returns the note lines: per file, what it changed, then each value
/// it could not model.
pub fn apply_files(
    r: &mut Resolved,
    files: &[(OverlayKind, Option<&str>)],
    prefix: &str,
) -> Result<Vec<String>, String> {
    let mut notes = Vec::new();
    for &(kind, file) in files {
        let Some(file) = file else { continue };
        let flag = format!("--{prefix}{}", kind.name());
        let o = OverlayFile::load(kind, std::path::Path::new(file), file)
            .map_err(|m| format!("{flag}: {m}"))?;
        let effect = o.apply(r).map_err(|m| format!("{flag}: {m}"))?;
        notes.push(format!(
            "{} {} on {}: {}",
            kind.name(),
            file,
            r.spec,
            if effect.changed.is_empty() {
                "changed no knob".to_string()
            } else {
                format!("changed {}", effect.changed.join(", "))
            }
        ));
        for (what, line, why) in &effect.ignored {
            notes.push(format!("  not applied: line {line}: {what}: {why}"));
        }
    }
    Ok(notes)
}

/// Overlay note lines as a block: `overlays:` and the lines indented; empty without notes.
pub fn notes_text(notes: &[String]) -> String {
    if notes.is_empty() {
        return String::new();
    }
    format!("overlays:\n  {}\n", notes.join("\n  "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{parse_reg, schannel_settings};

    const SCH: &str =
        r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL";

    fn overlay(body: &str) -> SchannelOverlay {
        let text = format!("Windows Registry Editor Version 5.00\r\n\r\n{body}");
        let f = parse_reg(text.as_bytes(), "t.reg").expect("parses");
        schannel_settings(&f, "t.reg").expect("schannel")
    }

    #[test]
    fn profile_registry_protocols_and_caches() {
        let mut p = Profile {
            client_versions: vec![TlsVersion::Tls10],
            ..Profile::default()
        };
        let o = overlay(&format!(
            "[{SCH}\\Protocols\\TLS 1.2\\Client]\r\n\"DisabledByDefault\"=dword:00000000\r\n\
             [{SCH}\\Protocols\\TLS 1.0\\Client]\r\n\"Enabled\"=dword:00000000\r\n\
             [{SCH}\\Protocols\\TLS 1.2\\Server]\r\n\"Enabled\"=dword:ffffffff\r\n\"DisabledByDefault\"=dword:00000001\r\n\
             [{SCH}\\Protocols\\TLS 1.3\\Server]\r\n\"Enabled\"=dword:00000001\r\n\
             [{SCH}]\r\n\"ServerCacheTime\"=dword:00000000\r\n\"ClientCacheTime\"=dword:000001f4\r\n"
        ));
        let applied = apply_registry_detailed(&mut p, &o);
        assert_eq!(p.client_versions, vec![TlsVersion::Tls12]);
        // TLS 1.2 disabled on the server; TLS 1.3 enabled there (applied since the engine
        // negotiates TLS 1.3, issue 16).
        assert_eq!(p.server_versions, vec![TlsVersion::Tls13]);
        assert_eq!(p.server_cache_size, 0);
        assert_eq!(p.client_cache_secs, 1);
        assert!(applied.ignored.is_empty(), "{applied:?}");
    }

    #[test]
    fn profile_registry_key_exchange_disabled_removes_its_suites() {
        let mut p = Profile::default();
        let o = overlay(&format!(
            "[{SCH}\\KeyExchangeAlgorithms\\Diffie-Hellman]\r\n\"Enabled\"=dword:00000000\r\n\
             [{SCH}\\KeyExchangeAlgorithms\\ECDH]\r\n\"Enabled\"=dword:00000000\r\n\"Enabled\"=dword:ffffffff\r\n"
        ));
        let applied = apply_registry_detailed(&mut p, &o);
        let dhe = |v: &[crate::wire::CipherSuite]| {
            v.iter()
                .filter(|s| crate::wire::suite_info(**s).is_some_and(|i| i.is_dhe()))
                .count()
        };
        assert_eq!(dhe(&p.client_suites), 0);
        assert_eq!(dhe(&p.server_suites), 0);
        assert_eq!(dhe(&Profile::default().client_suites), 3);
        // The last ECDH value (enabled) wins: the ECDHE suites stay.
        assert!(p.client_suites.contains(&crate::wire::CipherSuite(0xC02F)));
        assert_eq!(p.client_suites.len(), 5);
        assert!(applied
            .set
            .iter()
            .any(|(k, l, _)| k == "client_suites" && *l == 4));
    }
}
