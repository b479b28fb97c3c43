//! Profile files: the knobs of a [`Profile`] as TOML or JSON, optionally over a `base`.
//!
//! ```toml
//! base = "win2012r2@2019-10-08"        # any catalogue or built-in name (optional)
//! name = "our-2012r2"                  # labels (optional)
//! summary = "2012 R2, strips Z's zeros"
//! premaster_leading_zeros = "strip"    # knobs: the `Profile` field names
//! ```
//!
//! Without `base` the knobs are set over the RFC-compliant default. Besides the knobs, a
//! file may carry what `tlsim profiles show --json` prints about where the knobs come from
//! — `role`, `updates`, `windows_build`, `sources` (knob → `{ set_by, source }`, or a plain
//! source string) and `ignored` — so that output is itself a profile file, loaded back unchanged. A file
//! whose first character (after white space) is `{` is read as JSON, any other as TOML.
//! Errors name the file, the line and column of the key, and the key, with a "did you mean"
//! for an unknown knob or base.

use super::catalogue::{knob_names, knob_values, Origin, Resolved, Role};
use super::Profile;
use std::collections::BTreeMap;

/// The version `tlsim profiles show --json` writes in a profile file's `format` key
/// (docs/json.md); a file without it is read the same.
pub const PROFILE_FORMAT: &str = "tlsim-profile/1";

/// Keys of a profile file that are not knobs.
const META: &[&str] = &[
    "format",
    "base",
    "role",
    "updates",
    "sources",
    "ignored",
    "windows_build",
];

/// A top-level key of the file: its value and the byte offset of the value.
struct Key {
    name: String,
    value: serde_json::Value,
    at: usize,
}

use crate::text::line_col;

/// Parses a profile file's text. `file` names it in errors and in the origin of the knobs
/// it sets; it is also the profile's name when the file gives none.
pub(crate) fn parse(text: &str, file: &str) -> Result<Resolved, String> {
    let at = |offset: usize, msg: String| {
        let (line, col) = line_col(text, offset);
        format!("{file}:{line}:{col}: {msg}")
    };
    let keys = if text.trim_start().starts_with('{') {
        json_keys(text, file)?
    } else {
        toml_keys(text, file)?
    };
    let get = |k: &str| keys.iter().find(|x| x.name == k);

    // ---- base ----
    let mut r = match get("base") {
        None => Resolved {
            spec: String::new(),
            role: Role::Both,
            summary: Profile::default().summary,
            profile: Profile::default(),
            origins: BTreeMap::new(),
            updates: Vec::new(),
            ignored: Vec::new(),
            windows_build: None,
        },
        Some(k) => {
            let serde_json::Value::String(spec) = &k.value else {
                return Err(at(
                    k.at,
                    "base: expected a profile name in quotes (a catalogue or built-in name, e.g. \"win2012r2@2019-10-08\")".into(),
                ));
            };
            super::catalogue::resolve_name(spec).map_err(|m| at(k.at, format!("base: {m}")))?
        }
    };

    // ---- knobs (and the name and summary labels) over the base ----
    let base_values = knob_values(&r.profile);
    let serde_json::Value::Object(mut table) =
        serde_json::to_value(&r.profile).map_err(|e| e.to_string())?
    else {
        return Err("a profile serialises to an object".into());
    };
    let known = knob_names();
    for k in keys.iter().filter(|k| !META.contains(&k.name.as_str())) {
        if k.name != "name" && k.name != "summary" && !known.contains(&k.name) {
            let mut names: Vec<&str> = known.iter().map(String::as_str).collect();
            names.extend(META);
            let hint = crate::text::did_you_mean(&k.name, names, 3, 3);
            return Err(at(
                k.at,
                format!(
                    "{}: unknown knob{}",
                    k.name,
                    if hint.is_empty() {
                        String::new()
                    } else {
                        format!("; did you mean {}?", hint.join(", "))
                    }
                ),
            ));
        }
        table.insert(k.name.clone(), k.value.clone());
    }
    let summary_before = r.summary.clone();
    let mut profile: Profile = match serde_json::from_value(serde_json::Value::Object(table)) {
        Ok(p) => p,
        Err(e) => {
            // Name the first key (in file order) that does not fit its knob.
            let base = serde_json::to_value(&r.profile).map_err(|e| e.to_string())?;
            for k in keys.iter().filter(|k| !META.contains(&k.name.as_str())) {
                let mut one = base.clone();
                if let Some(o) = one.as_object_mut() {
                    o.insert(k.name.clone(), k.value.clone());
                }
                if let Err(e) = serde_json::from_value::<Profile>(one) {
                    return Err(at(k.at, format!("{}: {e}", k.name)));
                }
            }
            return Err(format!("{file}: {e}"));
        }
    };
    let errors = profile.validate();
    if let Some((knob, _)) = errors.first() {
        let all: Vec<String> = errors.iter().map(|(k, m)| format!("{k}: {m}")).collect();
        return Err(match get(knob) {
            Some(k) => at(k.at, all.join("; ")),
            None => format!("{file}: {}", all.join("; ")),
        });
    }
    if get("name").is_none() {
        profile.name = file.to_string();
    }
    if get("summary").is_none() {
        profile.summary = summary_before;
    }
    r.spec = profile.name.clone();
    r.summary = profile.summary.clone();

    // ---- where the knobs come from ----
    let file_origin = Origin {
        set_by: file.to_string(),
        source: format!("profile file {file}"),
    };
    for (knob, v) in knob_values(&profile) {
        if base_values.get(&knob) != Some(&v) {
            r.origins.insert(knob, file_origin.clone());
        }
    }
    r.profile = profile;
    if let Some(k) = get("role") {
        r.role = serde_json::from_value(k.value.clone()).map_err(|_| {
            at(
                k.at,
                "role: expected \"client\", \"server\" or \"both\"".into(),
            )
        })?;
    }
    if let Some(k) = get("updates") {
        r.updates = serde_json::from_value(k.value.clone()).map_err(|_| {
            at(
                k.at,
                "updates: expected a list of strings (e.g. [\"KB3081320 (2015-11-10)\"])".into(),
            )
        })?;
    }
    if let Some(k) = get("sources") {
        let serde_json::Value::Object(map) = &k.value else {
            return Err(at(
                k.at,
                "sources: expected a table of knob = \"source\" (or { set_by, source })".into(),
            ));
        };
        for (knob, v) in map {
            if !known.contains(knob) {
                let hint = crate::text::did_you_mean(knob, known.iter().map(String::as_str), 3, 3);
                return Err(at(
                    k.at,
                    format!(
                        "sources: {knob} is not a knob{}",
                        if hint.is_empty() {
                            String::new()
                        } else {
                            format!("; did you mean {}?", hint.join(", "))
                        }
                    ),
                ));
            }
            let origin = match v {
                serde_json::Value::String(s) => Origin {
                    set_by: file.to_string(),
                    source: s.clone(),
                },
                other => serde_json::from_value(other.clone()).map_err(|_| {
                    at(
                        k.at,
                        format!("sources: {knob}: expected \"source\" or {{ set_by, source }}"),
                    )
                })?,
            };
            r.origins.insert(knob.clone(), origin);
        }
    }
    if let Some(k) = get("windows_build") {
        let builds = super::catalogue::catalogue().build_names();
        r.windows_build = match &k.value {
            serde_json::Value::Null => None,
            serde_json::Value::String(b) if builds.contains(&b.as_str()) => Some(b.clone()),
            _ => {
                return Err(at(
                    k.at,
                    format!(
                        "windows_build: expected the name of a Windows build ({})",
                        builds.join(", ")
                    ),
                ))
            }
        };
    }
    if let Some(k) = get("ignored") {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Ignored {
            what: String,
            line: usize,
            reason: String,
        }
        let v: Vec<Ignored> = serde_json::from_value(k.value.clone()).map_err(|_| {
            at(
                k.at,
                "ignored: expected a list of { what, line, reason }".into(),
            )
        })?;
        r.ignored = v.into_iter().map(|i| (i.what, i.line, i.reason)).collect();
    }
    Ok(r)
}

/// A resolved profile as a profile file (JSON): the labels, every knob, where each knob
/// comes from and what an overlay did not apply. [`parse`] reads it back to the same
/// [`Resolved`] (its name as the spec).
pub fn to_json(r: &Resolved) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    m.insert("format".into(), PROFILE_FORMAT.into());
    m.insert("name".into(), r.spec.clone().into());
    m.insert("summary".into(), r.summary.clone().into());
    m.insert("role".into(), r.role.name().into());
    m.insert("updates".into(), r.updates.clone().into());
    if let Some(b) = &r.windows_build {
        m.insert("windows_build".into(), b.clone().into());
    }
    for (k, v) in knob_values(&r.profile) {
        m.insert(k, v);
    }
    m.insert(
        "sources".into(),
        serde_json::to_value(&r.origins).unwrap_or_default(),
    );
    m.insert(
        "ignored".into(),
        r.ignored
            .iter()
            .map(|(what, line, why)| serde_json::json!({ "what": what, "line": line, "reason": why }))
            .collect::<Vec<_>>()
            .into(),
    );
    serde_json::Value::Object(m)
}

fn toml_keys(text: &str, file: &str) -> Result<Vec<Key>, String> {
    let map: BTreeMap<String, toml::Spanned<toml::Value>> = toml::from_str(text).map_err(|e| {
        let (line, col) = line_col(text, e.span().map_or(0, |s| s.start));
        format!("{file}:{line}:{col}: {}", e.message().trim())
    })?;
    let mut keys: Vec<Key> = map
        .into_iter()
        .map(|(name, v)| {
            let at = v.span().start;
            let value = serde_json::to_value(v.into_inner()).map_err(|e| {
                let (line, col) = line_col(text, at);
                format!("{file}:{line}:{col}: {name}: {e}")
            })?;
            Ok(Key { name, value, at })
        })
        .collect::<Result<_, String>>()?;
    keys.sort_by_key(|k| k.at);
    Ok(keys)
}

fn json_keys(text: &str, file: &str) -> Result<Vec<Key>, String> {
    let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text)
        .map_err(|e| format!("{file}:{}:{}: {e}", e.line(), e.column()))?;
    let offsets = json_value_offsets(text);
    let mut keys: Vec<Key> = map
        .into_iter()
        .map(|(name, value)| Key {
            at: offsets.get(&name).copied().unwrap_or(0),
            name,
            value,
        })
        .collect();
    keys.sort_by_key(|k| k.at);
    Ok(keys)
}

/// Byte offset of the value of each key of the top-level JSON object (the text is valid
/// JSON: checked by the caller).
fn json_value_offsets(text: &str) -> BTreeMap<String, usize> {
    let b = text.as_bytes();
    let mut out = BTreeMap::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            b'"' => {
                let start = i;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                let end = i.min(b.len());
                if depth == 1 {
                    let mut j = end + 1;
                    while j < b.len() && b[j].is_ascii_whitespace() {
                        j += 1;
                    }
                    if b.get(j) == Some(&b':') {
                        j += 1;
                        while j < b.len() && b[j].is_ascii_whitespace() {
                            j += 1;
                        }
                        let raw = text.get(start..=end).unwrap_or("\"\"");
                        if let Ok(key) = serde_json::from_str::<String>(raw) {
                            out.entry(key).or_insert(j);
                        }
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::LeadingZeros;

    #[test]
    fn profile_file_base_and_overrides() {
        let r = parse(
            "base = \"win2012r2@2019-10-08\"\npremaster_leading_zeros = \"strip\"\n",
            "p.toml",
        )
        .expect("valid");
        let base = crate::profile::resolve("win2012r2@2019-10-08").unwrap();
        assert_eq!(r.profile.premaster_leading_zeros, LeadingZeros::Strip);
        assert_ne!(base.profile.premaster_leading_zeros, LeadingZeros::Strip);
        assert_eq!(r.profile.ems_resumption, base.profile.ems_resumption);
        assert_eq!(r.profile.client_suites, base.profile.client_suites);
        assert_eq!(r.role, base.role);
        assert_eq!(r.updates, base.updates);
        assert_eq!(r.windows_build.as_deref(), Some("win2012r2"));
        assert_eq!(r.profile.name, "p.toml");
        assert_eq!(r.origins["premaster_leading_zeros"].set_by, "p.toml");
        assert_eq!(r.origins["ems_resumption"], base.origins["ems_resumption"]);
    }

    #[test]
    fn profile_file_unknown_base_points_at_it() {
        let e = parse(
            "name = \"x\"\nbase =   \"win2021r2@2019-10-08\"\n",
            "p.toml",
        )
        .unwrap_err();
        assert!(e.starts_with("p.toml:2:10: base: "), "{e}");
        assert!(e.contains("did you mean") && e.contains("win2012r2"), "{e}");
        let e = parse("{\n  \"base\": \"opensl-1.0.2\"\n}\n", "p.json").unwrap_err();
        assert!(e.starts_with("p.json:2:11: base: "), "{e}");
        assert!(e.contains("openssl-1.0.2"), "{e}");
        let e = parse("base = 3\n", "p.toml").unwrap_err();
        assert!(e.starts_with("p.toml:1:8: base: expected"), "{e}");
    }

    #[test]
    fn profile_file_unknown_and_bad_knobs_point_at_them() {
        let e = parse("name = \"x\"\nems_ofer = false\n", "p.toml").unwrap_err();
        assert!(e.starts_with("p.toml:2:12: ems_ofer: unknown knob"), "{e}");
        assert!(e.contains("did you mean ems_offer"), "{e}");
        let e = parse("name = \"x\"\n\nems_offer = \"yes\"\n", "p.toml").unwrap_err();
        assert!(e.starts_with("p.toml:3:13: ems_offer: "), "{e}");
        let e = parse("{\"name\": \"x\", \"ems_offer\": 1}", "p.json").unwrap_err();
        assert!(e.starts_with("p.json:1:28: ems_offer: "), "{e}");
        let e = parse("{\"name\": \"x\",", "p.json").unwrap_err();
        assert!(e.starts_with("p.json:1:"), "{e}");
    }

    #[test]
    fn profile_file_json_round_trip() {
        for spec in [
            "win2012r2@2019-10-08",
            "keep-zeros",
            "openssl-1.0.2",
            "rfc-strict",
        ] {
            let r = crate::profile::resolve(spec).unwrap();
            let json = serde_json::to_string_pretty(&to_json(&r)).unwrap();
            let back = parse(&json, "shown.json").unwrap_or_else(|e| panic!("{spec}: {e}"));
            assert_eq!(back.profile, r.profile, "{spec}");
            assert_eq!(back.spec, r.spec, "{spec}");
            assert_eq!(back.windows_build, r.windows_build, "{spec}");
            assert_eq!(to_json(&back), to_json(&r), "{spec}");
        }
    }

    #[test]
    fn profile_file_json_value_offsets() {
        let o = json_value_offsets("{\"a\": {\"b\": 1}, \"c\" :\n [\"x\\\"\"], \"d\": \"}\"}");
        assert_eq!(o.keys().collect::<Vec<_>>(), ["a", "c", "d"]);
        assert_eq!(o["a"], 6);
    }
}
