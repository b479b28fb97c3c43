//! A reader for regedit `.reg` exports, and the mapping of the Schannel values that tlsim
//! models (docs/field-facts.md; Microsoft Learn "TLS registry settings").
//!
//! [`parse_reg`] is a faithful, strict reader of the export format: it knows nothing about
//! Schannel. [`schannel_settings`] then picks the values under
//! `HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL` that tlsim models and
//! lists everything else as ignored, with the reason.

use serde::Serialize;

/// A `file:line: message` error. Also used by [`super::cipher_order`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct RegError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl RegError {
    pub(crate) fn new(file: &str, line: usize, message: impl Into<String>) -> Self {
        RegError {
            file: file.to_string(),
            line,
            message: message.into(),
        }
    }
}

/// Which header the file had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RegFormat {
    /// `REGEDIT4`: ANSI text; `hex(2)`/`hex(7)` strings are single-byte.
    Regedit4,
    /// `Windows Registry Editor Version 5.00`: usually UTF-16LE; `hex(2)`/`hex(7)` strings
    /// are UTF-16LE.
    Regedit5,
}

/// One value line (with its continuation lines).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegValue {
    /// The full key path as written in the `[...]` line, e.g.
    /// `HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL`.
    pub key: String,
    /// The value name; `""` for the default value `@`.
    pub name: String,
    pub data: RegData,
    /// 1-based line of the value (its first line if continued).
    pub line: usize,
}

impl RegValue {
    /// The key path in lower case (registry key names compare case-insensitively).
    pub fn key_lower(&self) -> String {
        self.key.to_lowercase()
    }
}

/// The data of a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum RegData {
    /// `dword:0000000a`, or `hex(4):` with four little-endian bytes.
    Dword(u32),
    /// `hex(b):` with eight little-endian bytes.
    Qword(u64),
    /// `"string"`, or `hex(1):`.
    Sz(String),
    /// `hex(2):`.
    ExpandSz(String),
    /// `hex(7):`.
    MultiSz(Vec<String>),
    /// `hex:`.
    Binary(Vec<u8>),
    /// `"name"=-`: delete the value.
    Delete,
    /// `hex(N):` for any other type N, and `hex(4):` that is not exactly four bytes
    /// (`hex(b):` that is not exactly eight bytes is an error).
    Other { typ: u32, bytes: Vec<u8> },
}

impl RegData {
    fn type_name(&self) -> &'static str {
        match self {
            RegData::Dword(_) => "dword",
            RegData::Qword(_) => "qword (hex(b))",
            RegData::Sz(_) => "string",
            RegData::ExpandSz(_) => "expandable string (hex(2))",
            RegData::MultiSz(_) => "multi-string (hex(7))",
            RegData::Binary(_) => "binary (hex:)",
            RegData::Delete => "deletion (-)",
            RegData::Other { .. } => "hex(N) data",
        }
    }
}

/// A parsed `.reg` file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegFile {
    pub format: RegFormat,
    /// Values in file order.
    pub values: Vec<RegValue>,
    /// `[-HKEY_...]` lines: the key path (without the `-`) and its line.
    pub deleted_keys: Vec<(String, usize)>,
}

const HEADER5: &str = "Windows Registry Editor Version 5.00";
const HEADER4: &str = "REGEDIT4";

/// Decodes the file bytes: with a byte-order mark (UTF-16LE `FF FE`, what regedit writes;
/// UTF-16BE `FE FF`; UTF-8 `EF BB BF`) through [`super::text`], which names the line of
/// any invalid sequence; without one, UTF-8, or else Latin-1 (REGEDIT4 files are ANSI:
/// every byte one char, so nothing is lost).
fn decode(bytes: &[u8]) -> Result<String, (usize, String)> {
    let bom = [&[0xFF, 0xFE][..], &[0xFE, 0xFF], &[0xEF, 0xBB, 0xBF]];
    if bom.iter().any(|b| bytes.starts_with(b)) {
        return super::text::decode_at(bytes).map_err(|(line, _, m)| (line, m));
    }
    Ok(match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => latin1(bytes),
    })
}

fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| b as char).collect()
}

/// Parses a regedit export. `file` is only used in error messages.
pub fn parse_reg(bytes: &[u8], file: &str) -> Result<RegFile, RegError> {
    let text = decode(bytes).map_err(|(line, m)| RegError::new(file, line, m))?;
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let err = |line: usize, msg: String| RegError::new(file, line, msg);

    // Header.
    let mut i = 0;
    while i < lines.len() && lines[i].trim().is_empty() {
        i += 1;
    }
    let format = match lines.get(i).map(|l| l.trim()) {
        Some(HEADER5) => RegFormat::Regedit5,
        Some(h) if h.eq_ignore_ascii_case(HEADER4) => RegFormat::Regedit4,
        other => {
            let found = match other {
                None => "an empty file".to_string(),
                Some(h) => format!("`{}`", shorten(h)),
            };
            return Err(err(
                i.min(lines.len().saturating_sub(1)) + 1,
                format!(
                    "not a .reg file: expected `{HEADER5}` or `{HEADER4}` as the first line, found {found}"
                ),
            ));
        }
    };
    i += 1;

    let mut out = RegFile {
        format,
        values: Vec::new(),
        deleted_keys: Vec::new(),
    };
    let mut key: Option<String> = None;
    while i < lines.len() {
        let lineno = i + 1;
        let mut logical = lines[i].trim().to_string();
        i += 1;
        if logical.is_empty() || logical.starts_with(';') {
            continue;
        }
        if logical.starts_with('[') {
            let Some(end) = logical.rfind(']') else {
                return Err(err(
                    lineno,
                    "expected `]` at the end of the key name".into(),
                ));
            };
            if !logical[end + 1..].trim().is_empty() {
                return Err(err(
                    lineno,
                    "expected nothing after the `]` of a key name".into(),
                ));
            }
            let inner = &logical[1..end];
            if let Some(deleted) = inner.strip_prefix('-') {
                if deleted.trim().is_empty() {
                    return Err(err(lineno, "expected a key name after `[-`".into()));
                }
                out.deleted_keys.push((deleted.to_string(), lineno));
                key = None;
            } else {
                if inner.trim().is_empty() {
                    return Err(err(lineno, "expected a key name inside `[ ]`".into()));
                }
                key = Some(inner.to_string());
            }
            continue;
        }
        if !(logical.starts_with('"') || logical.starts_with('@')) {
            return Err(err(
                lineno,
                format!(
                    "expected a key `[HKEY_...]`, a value `\"name\"=...` or `@=...`, or a `;` comment; found `{}`",
                    shorten(&logical)
                ),
            ));
        }
        // Continuation lines: a line ending in `\` continues on the next line.
        while logical.ends_with('\\') && i < lines.len() {
            logical.pop();
            logical.push_str(lines[i].trim());
            i += 1;
        }
        let Some(k) = &key else {
            return Err(err(
                lineno,
                "value line outside any key: expected a `[HKEY_...]` line first".into(),
            ));
        };
        let (name, data) = parse_value(&logical, format).map_err(|m| err(lineno, m))?;
        out.values.push(RegValue {
            key: k.clone(),
            name,
            data,
            line: lineno,
        });
    }
    Ok(out)
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 60 {
        let mut t: String = s.chars().take(57).collect();
        t.push_str("...");
        t
    } else {
        s.to_string()
    }
}

/// Parses a quoted string starting at `s[0] == '"'`; returns the unescaped string and the
/// rest after the closing quote. Escapes: `\\` and `\"`; any other `\x` is kept as written.
fn parse_quoted(s: &str) -> Result<(String, &str), String> {
    let mut out = String::new();
    let mut chars = s.char_indices().skip(1);
    while let Some((idx, c)) = chars.next() {
        match c {
            '"' => return Ok((out, &s[idx + 1..])),
            '\\' => match chars.next() {
                Some((_, '\\')) => out.push('\\'),
                Some((_, '"')) => out.push('"'),
                Some((_, other)) => {
                    out.push('\\');
                    out.push(other);
                }
                None => break,
            },
            c => out.push(c),
        }
    }
    Err("unterminated string: expected a closing `\"`".into())
}

/// `"name"=data` or `@=data` (already joined with its continuation lines).
fn parse_value(line: &str, format: RegFormat) -> Result<(String, RegData), String> {
    let (name, rest) = if let Some(rest) = line.strip_prefix('@') {
        (String::new(), rest)
    } else {
        parse_quoted(line).map_err(|m| format!("value name: {m}"))?
    };
    let Some(rest) = rest.trim_start().strip_prefix('=') else {
        return Err(format!("expected `=` after the value name `{name}`"));
    };
    let data = parse_data(rest.trim(), format)?;
    Ok((name, data))
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

fn parse_data(d: &str, format: RegFormat) -> Result<RegData, String> {
    if d == "-" {
        return Ok(RegData::Delete);
    }
    if d.starts_with('"') {
        let (s, rest) = parse_quoted(d)?;
        if !rest.trim().is_empty() {
            return Err(format!(
                "expected nothing after the closing `\"` of a string, found `{}`",
                shorten(rest.trim())
            ));
        }
        return Ok(RegData::Sz(s));
    }
    if let Some(hex) = strip_prefix_ci(d, "dword:") {
        let hex = hex.trim();
        if hex.is_empty() || hex.len() > 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!(
                "expected dword:XXXXXXXX (1 to 8 hex digits), found `dword:{}`",
                shorten(hex)
            ));
        }
        return Ok(RegData::Dword(
            u32::from_str_radix(hex, 16).expect("checked"),
        ));
    }
    if let Some(list) = strip_prefix_ci(d, "hex:") {
        return Ok(RegData::Binary(parse_hex_list(list)?));
    }
    if let Some(rest) = strip_prefix_ci(d, "hex(") {
        let Some(close) = rest.find("):") else {
            return Err("expected `hex(N):` with a hex type number N".into());
        };
        let t = &rest[..close];
        if t.is_empty() || t.len() > 8 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!(
                "expected a hex type number (1 to 8 hex digits) in `hex(N):`, found `{}`",
                shorten(t)
            ));
        }
        let typ = u32::from_str_radix(t, 16).expect("checked");
        let bytes = parse_hex_list(&rest[close + 2..])?;
        return typed(typ, bytes, format);
    }
    Err(format!(
        "expected a value: `\"string\"`, `dword:XXXXXXXX`, `hex:..`, `hex(N):..` or `-`; found `{}`",
        shorten(d)
    ))
}

/// Comma-separated bytes, two hex digits each; a trailing comma is allowed (regedit writes
/// one before a line continuation).
fn parse_hex_list(list: &str) -> Result<Vec<u8>, String> {
    let list = list.trim();
    if list.is_empty() {
        return Ok(Vec::new());
    }
    let list = list.strip_suffix(',').unwrap_or(list);
    list.split(',')
        .map(|tok| {
            let tok = tok.trim();
            if tok.len() == 2 && tok.bytes().all(|b| b.is_ascii_hexdigit()) {
                Ok(u8::from_str_radix(tok, 16).expect("checked"))
            } else {
                Err(format!(
                    "expected two hex digits per byte in a hex list, found `{}`",
                    shorten(tok)
                ))
            }
        })
        .collect()
}

/// Strings in `hex(1)`/`hex(2)`/`hex(7)` data: UTF-16LE in version 5 files, single bytes in
/// REGEDIT4 files.
fn decode_reg_string(bytes: &[u8], format: RegFormat, typ: u32) -> Result<String, String> {
    match format {
        RegFormat::Regedit5 => {
            if !bytes.len().is_multiple_of(2) {
                return Err(format!(
                    "expected an even number of bytes (UTF-16LE) in hex({typ:x}) data, found {}",
                    bytes.len()
                ));
            }
            let units: Vec<u16> = bytes
                .chunks(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            Ok(String::from_utf16_lossy(&units))
        }
        RegFormat::Regedit4 => Ok(match std::str::from_utf8(bytes) {
            Ok(s) => s.to_string(),
            Err(_) => latin1(bytes),
        }),
    }
}

fn typed(typ: u32, bytes: Vec<u8>, format: RegFormat) -> Result<RegData, String> {
    let first_string = |s: String| s.split('\0').next().unwrap_or("").to_string();
    Ok(match typ {
        1 => RegData::Sz(first_string(decode_reg_string(&bytes, format, typ)?)),
        2 => RegData::ExpandSz(first_string(decode_reg_string(&bytes, format, typ)?)),
        7 => {
            let s = decode_reg_string(&bytes, format, typ)?;
            RegData::MultiSz(
                s.split('\0')
                    .take_while(|p| !p.is_empty())
                    .map(str::to_string)
                    .collect(),
            )
        }
        4 if bytes.len() == 4 => {
            RegData::Dword(u32::from_le_bytes(bytes[..4].try_into().expect("4 bytes")))
        }
        0xb if bytes.len() == 8 => {
            RegData::Qword(u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")))
        }
        0xb => {
            return Err(format!(
                "expected 8 bytes for a qword `hex(b):`, found {}",
                bytes.len()
            ))
        }
        _ => RegData::Other { typ, bytes },
    })
}

const HIVES: &[(&str, &str)] = &[
    ("HKLM", "HKEY_LOCAL_MACHINE"),
    ("HKCU", "HKEY_CURRENT_USER"),
    ("HKCR", "HKEY_CLASSES_ROOT"),
    ("HKU", "HKEY_USERS"),
    ("HKCC", "HKEY_CURRENT_CONFIG"),
];

/// Key path components, lower-cased, with hive abbreviations expanded and empty components
/// (doubled or trailing `\`) dropped.
fn components(key: &str) -> Vec<String> {
    key.split('\\')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| {
            HIVES
                .iter()
                .find(|(short, _)| c.eq_ignore_ascii_case(short))
                .map(|(_, long)| long.to_ascii_lowercase())
                .unwrap_or_else(|| c.to_lowercase())
        })
        .collect()
}

/// Whether `key` ends with the `\`-separated components of `suffix`, comparing
/// case-insensitively and treating `HKLM` as `HKEY_LOCAL_MACHINE` (likewise HKCU, HKCR,
/// HKU, HKCC). Matches whole components only: `...\SCHANNEL` does not match `NEL`.
pub fn key_matches(key: &str, suffix: &str) -> bool {
    let k = components(key);
    let s = components(suffix);
    s.len() <= k.len() && k[k.len() - s.len()..] == s[..]
}

/// A Schannel registry value that tlsim models.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum SchannelSetting {
    /// `SCHANNEL\DisableServerExtendedMasterSecret` (non-zero = EMS off).
    DisableServerEms(bool),
    /// `SCHANNEL\DisableClientExtendedMasterSecret` (non-zero = EMS off).
    DisableClientEms(bool),
    /// `SCHANNEL\Messaging\MessageLimitClient` (bytes; 0 = fragmented messages fail).
    MessageLimitClient(u32),
    /// `SCHANNEL\Messaging\MessageLimitServer`.
    MessageLimitServer(u32),
    /// `SCHANNEL\Messaging\MessageLimitServerClientAuth`.
    MessageLimitServerClientAuth(u32),
    /// `SCHANNEL\KeyExchangeAlgorithms\Diffie-Hellman\ClientMinKeyBitLength`.
    DhClientMinKeyBits(u32),
    /// `SCHANNEL\KeyExchangeAlgorithms\Diffie-Hellman\ServerMinKeyBitLength`.
    DhServerMinKeyBits(u32),
    /// `SCHANNEL\ClientCacheTime` (milliseconds; 0 = no client cache).
    ClientCacheTimeMs(u32),
    /// `SCHANNEL\ServerCacheTime` (milliseconds; 0 = no server cache).
    ServerCacheTimeMs(u32),
    /// `SCHANNEL\MaximumCacheSize` (entries; 0 = no server cache).
    MaximumCacheSize(u32),
    /// `SCHANNEL\Protocols\<version>\{Client,Server}\Enabled` (non-zero = enabled; regedit
    /// exports of "enabled" are often `0xffffffff`).
    ProtocolEnabled {
        version: &'static str,
        server: bool,
        enabled: bool,
    },
    /// `SCHANNEL\Protocols\<version>\{Client,Server}\DisabledByDefault` (non-zero = off
    /// unless the application asks for it).
    ProtocolDisabledByDefault {
        version: &'static str,
        server: bool,
        disabled: bool,
    },
    /// `SCHANNEL\SendTrustedIssuerList` (non-zero = send the CA list in CertificateRequest).
    SendTrustedIssuerList(bool),
    /// `SCHANNEL\KeyExchangeAlgorithms\{ECDH,Diffie-Hellman}\EphemKeyReuseTime` (ms).
    EphemKeyReuseTimeMs { ecdh: bool, ms: u32 },
    /// `SCHANNEL\KeyExchangeAlgorithms\{Diffie-Hellman,ECDH}\Enabled` (0 = the suites of
    /// that key exchange, TLS_DHE_* or TLS_ECDHE_*, are not used; Microsoft Learn "TLS
    /// registry settings", KeyExchangeAlgorithms).
    KeyExchangeEnabled { ecdh: bool, enabled: bool },
}

/// The modelled settings of a `.reg` file, and everything else with the reason it was
/// ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct SchannelOverlay {
    /// Settings in file order, with the line of the value.
    pub settings: Vec<(SchannelSetting, usize)>,
    /// `key\name` (`key\@` for a default value; the key alone for a deleted key), line,
    /// and why it was ignored.
    pub ignored: Vec<(String, usize, String)>,
}

/// The protocol version key names tlsim knows, as Schannel spells them.
const VERSIONS: &[&str] = &["SSL 3.0", "TLS 1.0", "TLS 1.1", "TLS 1.2", "TLS 1.3"];

pub(crate) const NOT_MODELLED: &str = "not modelled by tlsim";
pub(crate) const OUTSIDE: &str = "outside the Schannel keys";
pub(crate) const DELETION: &str = "deletion not modelled";

/// The components below `...\SecurityProviders\SCHANNEL`, lower-cased, if `key` is in the
/// Schannel tree. `ControlSet001` etc. are accepted as well as `CurrentControlSet`.
fn schannel_relative(key: &str) -> Option<Vec<String>> {
    let c = components(key);
    let root = [
        "hkey_local_machine",
        "system",
        "",
        "control",
        "securityproviders",
        "schannel",
    ];
    if c.len() < root.len() {
        return None;
    }
    for (i, r) in root.iter().enumerate() {
        let ok = if i == 2 {
            c[i] == "currentcontrolset"
                || c[i]
                    .strip_prefix("controlset")
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        } else {
            c[i] == *r
        };
        if !ok {
            return None;
        }
    }
    Some(c[root.len()..].to_vec())
}

/// What a modelled value name maps to, given its dword.
type Make = fn(u32) -> SchannelSetting;

/// Finds the setting constructor for a (relative key, lower-cased name), if modelled.
fn modelled(rel: &[String], name: &str) -> Option<Box<dyn Fn(u32) -> SchannelSetting>> {
    let rel: Vec<&str> = rel.iter().map(String::as_str).collect();
    let f: Make = match (rel.as_slice(), name) {
        ([], "disableserverextendedmastersecret") => |v| SchannelSetting::DisableServerEms(v != 0),
        ([], "disableclientextendedmastersecret") => |v| SchannelSetting::DisableClientEms(v != 0),
        ([], "clientcachetime") => SchannelSetting::ClientCacheTimeMs,
        ([], "servercachetime") => SchannelSetting::ServerCacheTimeMs,
        ([], "maximumcachesize") => SchannelSetting::MaximumCacheSize,
        ([], "sendtrustedissuerlist") => |v| SchannelSetting::SendTrustedIssuerList(v != 0),
        (["messaging"], "messagelimitclient") => SchannelSetting::MessageLimitClient,
        (["messaging"], "messagelimitserver") => SchannelSetting::MessageLimitServer,
        (["messaging"], "messagelimitserverclientauth") => {
            SchannelSetting::MessageLimitServerClientAuth
        }
        (["keyexchangealgorithms", "diffie-hellman"], "clientminkeybitlength") => {
            SchannelSetting::DhClientMinKeyBits
        }
        (["keyexchangealgorithms", "diffie-hellman"], "serverminkeybitlength") => {
            SchannelSetting::DhServerMinKeyBits
        }
        (["keyexchangealgorithms", "diffie-hellman"], "ephemkeyreusetime") => {
            |ms| SchannelSetting::EphemKeyReuseTimeMs { ecdh: false, ms }
        }
        (["keyexchangealgorithms", "ecdh"], "ephemkeyreusetime") => {
            |ms| SchannelSetting::EphemKeyReuseTimeMs { ecdh: true, ms }
        }
        (["keyexchangealgorithms", "diffie-hellman"], "enabled") => {
            |v| SchannelSetting::KeyExchangeEnabled {
                ecdh: false,
                enabled: v != 0,
            }
        }
        (["keyexchangealgorithms", "ecdh"], "enabled") => |v| SchannelSetting::KeyExchangeEnabled {
            ecdh: true,
            enabled: v != 0,
        },
        (["protocols", ver, side], "enabled" | "disabledbydefault")
            if *side == "client" || *side == "server" =>
        {
            let version = *VERSIONS.iter().find(|v| v.eq_ignore_ascii_case(ver))?;
            let server = *side == "server";
            return Some(if name == "enabled" {
                Box::new(move |v| SchannelSetting::ProtocolEnabled {
                    version,
                    server,
                    enabled: v != 0,
                })
            } else {
                Box::new(move |v| SchannelSetting::ProtocolDisabledByDefault {
                    version,
                    server,
                    disabled: v != 0,
                })
            });
        }
        _ => return None,
    };
    Some(Box::new(f))
}

/// Picks the Schannel values tlsim models out of a parsed `.reg` file.
///
/// Every modelled value must be a DWORD (`dword:` or `hex(4):`); anything else is an
/// error naming the line. Unmodelled values in the Schannel tree, values outside it,
/// deletions of values and deleted keys are listed in [`SchannelOverlay::ignored`].
pub fn schannel_settings(f: &RegFile, file: &str) -> Result<SchannelOverlay, RegError> {
    let mut out = SchannelOverlay::default();
    for (key, line) in &f.deleted_keys {
        let why = if schannel_relative(key).is_some() {
            DELETION
        } else {
            OUTSIDE
        };
        out.ignored.push((key.clone(), *line, why.to_string()));
    }
    for v in &f.values {
        let shown = format!(
            "{}\\{}",
            v.key,
            if v.name.is_empty() { "@" } else { &v.name }
        );
        let Some(rel) = schannel_relative(&v.key) else {
            out.ignored.push((shown, v.line, OUTSIDE.to_string()));
            continue;
        };
        let Some(make) = modelled(&rel, &v.name.to_lowercase()) else {
            out.ignored.push((shown, v.line, NOT_MODELLED.to_string()));
            continue;
        };
        match v.data {
            RegData::Dword(d) => out.settings.push((make(d), v.line)),
            RegData::Delete => out.ignored.push((shown, v.line, DELETION.to_string())),
            ref other => {
                return Err(RegError::new(
                    file,
                    v.line,
                    format!(
                        "`{}`: expected dword (e.g. `\"{}\"=dword:00000001`), found {}",
                        v.name,
                        v.name,
                        other.type_name()
                    ),
                ))
            }
        }
    }
    out.ignored.sort_by_key(|i| i.1);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SCH: &str =
        r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL";

    fn utf16le_bom(s: &str) -> Vec<u8> {
        let mut v = vec![0xFF, 0xFE];
        for u in s.encode_utf16() {
            v.extend_from_slice(&u.to_le_bytes());
        }
        v
    }

    fn sample_v5() -> String {
        format!(
            "Windows Registry Editor Version 5.00\r\n\r\n\
             [{SCH}]\r\n\
             \"DisableClientExtendedMasterSecret\"=dword:00000001\r\n\
             \r\n\
             [{SCH}\\Messaging]\r\n\
             \"MessageLimitServer\"=dword:00000000\r\n"
        )
    }

    #[test]
    fn registry_utf16_and_utf8_parse_identically() {
        let text = sample_v5();
        let a = parse_reg(&utf16le_bom(&text), "a.reg").unwrap();
        let b = parse_reg(text.as_bytes(), "a.reg").unwrap();
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(text.as_bytes());
        let c = parse_reg(&bom, "a.reg").unwrap();
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(a.format, RegFormat::Regedit5);
        assert_eq!(a.values.len(), 2);
        assert_eq!(a.values[0].line, 4);
        assert_eq!(a.values[1].key, format!("{SCH}\\Messaging"));
        assert_eq!(a.values[1].data, RegData::Dword(0));
        assert_eq!(a.values[1].line, 7);
    }

    #[test]
    // TODO(h12-merge): owned by another helper
    #[allow(clippy::cast_possible_truncation)]
    fn registry_regedit4_parses() {
        let text = format!(
            "REGEDIT4\n\n[{SCH}\\Protocols\\TLS 1.2\\Client]\n\"Enabled\"=dword:ffffffff\n\
             \"Path\"=hex(2):25,53,79,73,00\n\"Caf\u{e9}\"=\"na\u{ef}ve\"\n"
        );
        // ANSI bytes: encode chars U+0000..U+00FF as single bytes.
        let bytes: Vec<u8> = text
            .chars()
            .map(|c| u8::try_from(u32::from(c)).expect("the sample is Latin-1"))
            .collect();
        let f = parse_reg(&bytes, "v4.reg").unwrap();
        assert_eq!(f.format, RegFormat::Regedit4);
        assert_eq!(f.values[0].data, RegData::Dword(0xffff_ffff));
        assert_eq!(f.values[1].data, RegData::ExpandSz("%Sys".into()));
        assert_eq!(f.values[2].name, "Caf\u{e9}");
        assert_eq!(f.values[2].data, RegData::Sz("na\u{ef}ve".into()));
        let o = schannel_settings(&f, "v4.reg").unwrap();
        assert_eq!(
            o.settings,
            vec![(
                SchannelSetting::ProtocolEnabled {
                    version: "TLS 1.2",
                    server: false,
                    enabled: true
                },
                4
            )]
        );
        assert_eq!(o.ignored.len(), 2);
    }

    #[test]
    fn registry_schannel_two_settings_nothing_ignored() {
        let f = parse_reg(sample_v5().as_bytes(), "ems.reg").unwrap();
        let o = schannel_settings(&f, "ems.reg").unwrap();
        assert_eq!(
            o.settings,
            vec![
                (SchannelSetting::DisableClientEms(true), 4),
                (SchannelSetting::MessageLimitServer(0), 7),
            ]
        );
        assert!(o.ignored.is_empty(), "{:?}", o.ignored);
    }

    #[test]
    fn registry_all_modelled_values_case_insensitive_hklm() {
        let text = format!(
            "Windows Registry Editor Version 5.00\n\
             [hklm\\system\\currentcontrolset\\control\\securityproviders\\schannel]\n\
             \"DisableServerExtendedMasterSecret\"=dword:0\n\
             \"ClientCacheTime\"=dword:00000000\n\
             \"ServerCacheTime\"=dword:02255100\n\
             \"MaximumCacheSize\"=dword:00004e20\n\
             \"SendTrustedIssuerList\"=dword:00000000\n\
             [{SCH}\\Messaging]\n\
             \"MessageLimitClient\"=dword:00008000\n\
             \"MessageLimitServerClientAuth\"=dword:00008000\n\
             [{SCH}\\KeyExchangeAlgorithms\\Diffie-Hellman]\n\
             \"ClientMinKeyBitLength\"=dword:00000800\n\
             \"ServerMinKeyBitLength\"=dword:00000800\n\
             \"EphemKeyReuseTime\"=dword:00000000\n\
             [{SCH}\\KeyExchangeAlgorithms\\ECDH]\n\
             \"EphemKeyReuseTime\"=dword:00001000\n\
             [{SCH}\\Protocols\\tls 1.0\\Server]\n\
             \"DisabledByDefault\"=dword:00000001\n\
             \"Enabled\"=dword:00000000\n"
        );
        let f = parse_reg(text.as_bytes(), "all.reg").unwrap();
        let o = schannel_settings(&f, "all.reg").unwrap();
        let s: Vec<_> = o.settings.iter().map(|s| s.0.clone()).collect();
        use SchannelSetting::*;
        assert_eq!(
            s,
            vec![
                DisableServerEms(false),
                ClientCacheTimeMs(0),
                ServerCacheTimeMs(36_000_000),
                MaximumCacheSize(20_000),
                SendTrustedIssuerList(false),
                MessageLimitClient(0x8000),
                MessageLimitServerClientAuth(0x8000),
                DhClientMinKeyBits(2048),
                DhServerMinKeyBits(2048),
                EphemKeyReuseTimeMs { ecdh: false, ms: 0 },
                EphemKeyReuseTimeMs {
                    ecdh: true,
                    ms: 4096
                },
                ProtocolDisabledByDefault {
                    version: "TLS 1.0",
                    server: true,
                    disabled: true
                },
                ProtocolEnabled {
                    version: "TLS 1.0",
                    server: true,
                    enabled: false
                },
            ]
        );
        assert!(o.ignored.is_empty());
    }

    #[test]
    fn registry_bad_header_is_line_1() {
        let e = parse_reg(b"hello\n[HKLM\\x]\n", "bad.reg").unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.message.contains("not a .reg file: expected"), "{e}");
        assert!(e.to_string().starts_with("bad.reg:1: "), "{e}");
        let e = parse_reg(b"", "empty.reg").unwrap_err();
        assert_eq!(e.line, 1);
    }

    #[test]
    fn registry_string_for_dword_setting_is_an_error() {
        let text = format!(
            "Windows Registry Editor Version 5.00\n\n[{SCH}\\Messaging]\n\"MessageLimitServer\"=\"big\"\n"
        );
        let f = parse_reg(text.as_bytes(), "m.reg").unwrap();
        let e = schannel_settings(&f, "m.reg").unwrap_err();
        assert_eq!(e.line, 4);
        assert!(e.message.contains("expected dword"), "{e}");
        assert!(e.to_string().starts_with("m.reg:4: "), "{e}");
    }

    #[test]
    fn registry_ignored_values() {
        let text = format!(
            "Windows Registry Editor Version 5.00\n\
             [{SCH}]\n\
             \"Foo\"=dword:1\n\
             \"EventLogging\"=dword:00000007\n\
             [{SCH}\\Ciphers\\RC4 128/128]\n\
             \"Enabled\"=dword:00000000\n\
             [{SCH}\\Protocols\\PCT 1.0\\Server]\n\
             \"Enabled\"=dword:00000000\n\
             [HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319]\n\
             \"SchUseStrongCrypto\"=dword:00000001\n\
             [{SCH}\\Messaging]\n\
             \"MessageLimitClient\"=-\n\
             [-{SCH}\\Protocols\\SSL 2.0]\n"
        );
        let f = parse_reg(text.as_bytes(), "i.reg").unwrap();
        let o = schannel_settings(&f, "i.reg").unwrap();
        assert!(o.settings.is_empty());
        let got: Vec<(usize, &str)> = o.ignored.iter().map(|i| (i.1, i.2.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (3, NOT_MODELLED),
                (4, NOT_MODELLED),
                (6, NOT_MODELLED),
                (8, NOT_MODELLED),
                (10, OUTSIDE),
                (12, DELETION),
                (13, DELETION),
            ]
        );
        assert_eq!(o.ignored[0].0, format!("{SCH}\\Foo"));
    }

    #[test]
    fn registry_hex_continuations_and_types() {
        let text = "Windows Registry Editor Version 5.00\r\n\
             [HKEY_CURRENT_USER\\Test]\r\n\
             \"Bin\"=hex:01,02,03,\\\r\n\
             \x20 04,05\r\n\
             \"Q\"=hex(b):0a,00,00,00,00,00,00,01\r\n\
             \"Multi\"=hex(7):61,00,62,00,00,00,63,00,\\\r\n\
             \x20\x20\x20\x2000,00,00,00\r\n\
             \"Exp\"=hex(2):25,00,41,00,25,00,00,00\r\n\
             \"None\"=hex(0):\r\n\
             \"D4\"=hex(4):10,00,00,00\r\n\
             @=\"default\"\r\n\
             \"After\"=dword:0000000a\r\n";
        let f = parse_reg(text.as_bytes(), "h.reg").unwrap();
        let d: Vec<_> = f.values.iter().map(|v| (v.line, v.data.clone())).collect();
        assert_eq!(
            d,
            vec![
                (3, RegData::Binary(vec![1, 2, 3, 4, 5])),
                (5, RegData::Qword(0x0100_0000_0000_000a)),
                (6, RegData::MultiSz(vec!["ab".into(), "c".into()])),
                (8, RegData::ExpandSz("%A%".into())),
                (
                    9,
                    RegData::Other {
                        typ: 0,
                        bytes: vec![]
                    }
                ),
                (10, RegData::Dword(16)),
                (11, RegData::Sz("default".into())),
                (12, RegData::Dword(10)),
            ]
        );
        assert_eq!(f.values[6].name, "");
    }

    #[test]
    fn registry_string_escapes() {
        let text = "REGEDIT4\n[HKEY_CURRENT_USER\\T]\n\
                    \"a \\\"quoted\\\" name\"=\"C:\\\\Windows\\\\\"\n\
                    \"b\"=\"say \\\"hi\\\" ; not a comment\"\n";
        let f = parse_reg(text.as_bytes(), "e.reg").unwrap();
        assert_eq!(f.values[0].name, "a \"quoted\" name");
        assert_eq!(f.values[0].data, RegData::Sz("C:\\Windows\\".into()));
        assert_eq!(
            f.values[1].data,
            RegData::Sz("say \"hi\" ; not a comment".into())
        );
    }

    #[test]
    fn registry_malformed_values() {
        let cases: &[(&str, &str)] = &[
            ("\"A\"=dword:xyz", "expected dword:XXXXXXXX"),
            ("\"A\"=dword:123456789", "expected dword:XXXXXXXX"),
            ("\"A\"=dword:", "expected dword:XXXXXXXX"),
            ("\"A\"=hex:1,02", "two hex digits"),
            ("\"A\"=hex:012,02", "two hex digits"),
            ("\"A\"=hex(b):01,02", "8 bytes"),
            ("\"A\"=hex(2):41", "even number of bytes"),
            ("\"A\"=hex(zz):00", "hex type number"),
            ("\"A\" dword:1", "expected `=`"),
            ("\"A\"=\"open", "unterminated string"),
            ("\"A=dword:1", "unterminated string"),
            ("\"A\"=\"x\" junk", "expected nothing after"),
            ("\"A\"=word:1", "expected a value"),
            ("garbage", "expected a key"),
            ("[HKLM\\x", "expected `]`"),
        ];
        for (line, want) in cases {
            let text = format!("Windows Registry Editor Version 5.00\n\n[HKLM\\T]\n{line}\n");
            let e = parse_reg(text.as_bytes(), "x.reg").unwrap_err();
            assert_eq!(e.line, 4, "{line}: {e}");
            assert!(e.message.contains(want), "{line}: {e}");
        }
    }

    #[test]
    fn registry_value_before_key_is_an_error() {
        let e = parse_reg(
            b"Windows Registry Editor Version 5.00\n; c\n\"A\"=dword:1\n",
            "k.reg",
        )
        .unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("outside any key"));
    }

    #[test]
    fn registry_key_matches() {
        let k = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Client";
        assert!(key_matches(k, r"protocols\tls 1.2\client"));
        assert!(key_matches(
            k,
            r"HKLM\System\CurrentControlSet\Control\SecurityProviders\Schannel\Protocols\TLS 1.2\Client"
        ));
        assert!(key_matches(k, r"\Client\"));
        assert!(!key_matches(k, r"ient"));
        assert!(!key_matches(k, r"TLS 1.2"));
        assert!(key_matches(r"HKLM\A", r"HKEY_LOCAL_MACHINE\a"));
        assert!(!key_matches(r"A", r"B\A"));
    }

    proptest! {
        #[test]
        fn registry_arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse_reg(&bytes, "fuzz.reg");
            let mut v5 = b"Windows Registry Editor Version 5.00\n[HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL]\n".to_vec();
            v5.extend_from_slice(&bytes);
            if let Ok(f) = parse_reg(&v5, "fuzz.reg") {
                let _ = schannel_settings(&f, "fuzz.reg");
            }
            let mut u16 = vec![0xFF, 0xFE];
            u16.extend_from_slice(&bytes);
            let _ = parse_reg(&u16, "fuzz.reg");
        }

        #[test]
        fn registry_structured_lines_never_panic(lines in proptest::collection::vec(
            prop_oneof![
                Just("\"A\"=".to_string()),
                Just("hex(".to_string()),
                Just("\\".to_string()),
                Just("[".to_string()),
                Just("@=".to_string()),
                "[ -~\u{e9}\u{3b1}]{0,12}",
            ], 0..12)) {
            let text = format!("REGEDIT4\n[HKLM\\T]\n{}", lines.concat());
            let _ = parse_reg(text.as_bytes(), "fuzz.reg");
        }
    }
}
