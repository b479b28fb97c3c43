//! The profile catalogue: real builds and stacks as data (`catalogue/*.toml`, compiled in),
//! the Windows update timeline, and the resolution of a name such as
//! `win2012r2@2019-10-08` or `win2016+KB4537806` into a [`Profile`] whose every knob
//! remembers which entry or update set it and on what source (docs/field-facts.md).
//!
//! Knob tables use exactly the `Profile` field names and serde spellings: they are merged
//! over `Profile::default()` as TOML and deserialised with `deny_unknown_fields`, so a typo
//! in the catalogue is an error, checked by a unit test.

use super::Profile;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::OnceLock;

const FILES: &[(&str, &str)] = &[
    (
        "catalogue/windows.toml",
        include_str!("../../catalogue/windows.toml"),
    ),
    (
        "catalogue/updates.toml",
        include_str!("../../catalogue/updates.toml"),
    ),
    (
        "catalogue/thirdparty.toml",
        include_str!("../../catalogue/thirdparty.toml"),
    ),
];

/// Which ends of a connection an entry describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Client,
    Server,
    Both,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Client => "client",
            Role::Server => "server",
            Role::Both => "both",
        }
    }
}

/// A build or stack: knobs over its base (or over `Profile::default()`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub role: Role,
    /// What the bare name loads: for a Windows build, the fully patched build (every update
    /// of updates.toml applied).
    pub summary: String,
    /// A Windows build before any update of updates.toml, where that differs from
    /// `summary`: the start of the summary of `NAME@DATE` and `NAME+KB` (see
    /// [`Catalogue::resolve`]); `summary` when absent.
    pub rtm_summary: Option<String>,
    /// Inherit this entry's resolved knobs first.
    pub base: Option<String>,
    /// A Windows build: updates whose `builds` name it apply to it.
    #[serde(default)]
    pub build: bool,
    /// A base for other entries only; not listed or loadable.
    #[serde(default, rename = "abstract")]
    pub is_abstract: bool,
    /// A Windows build's release (general availability) date, `YYYY-MM-DD`: a patch level
    /// `@date` before it is refused. Required for builds.
    pub released: Option<String>,
    /// Where `released` comes from (Microsoft's lifecycle pages).
    pub released_source: Option<String>,
    #[serde(default)]
    pub knobs: toml::Table,
    /// Knob → source. May also name an inherited knob, to give its source for this entry.
    #[serde(default)]
    pub sources: BTreeMap<String, String>,
}

/// A Windows update that changes TLS behaviour.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Update {
    /// KB number (`KB4537806`), or an id where no KB number is known.
    pub kb: String,
    /// Other names: the bulletin (`MS15-121`), the security-only sibling KB.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Release date, `YYYY-MM-DD`.
    pub date: String,
    /// Primary names of the builds it applies to.
    pub builds: Vec<String>,
    pub summary: String,
    pub knobs: toml::Table,
    /// Source of every knob of the update.
    pub source: String,
    /// Per-knob refinements of `source`.
    #[serde(default)]
    pub sources: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    entry: Vec<Entry>,
    #[serde(default)]
    update: Vec<Update>,
}

/// The whole catalogue.
#[derive(Debug, Clone)]
pub struct Catalogue {
    /// Entries in file order.
    pub entries: Vec<Entry>,
    /// Updates sorted by date (then KB).
    pub updates: Vec<Update>,
}

/// Who set a knob, and on what source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    /// Entry name, update KB, `registry FILE:LINE`, `cipher-order FILE`, …
    pub set_by: String,
    pub source: String,
}

/// A name resolved to a profile, with the origin of every knob that an entry, update or
/// overlay set.
#[derive(Debug, Clone, Serialize)]
pub struct Resolved {
    /// The name as asked (`win2012r2@2019-10-08`).
    pub spec: String,
    pub role: Role,
    pub summary: String,
    pub profile: Profile,
    /// Knob → who set it last.
    pub origins: BTreeMap<String, Origin>,
    /// Updates applied, in order (`KB3081320 (2015-11-10)`).
    pub updates: Vec<String>,
    /// Registry values and suite names an overlay did not apply, with line and reason.
    pub ignored: Vec<(String, usize, String)>,
    /// The Windows build the profile is, or derives from (`win2012r2`): a peer whose
    /// Schannel a `.reg` export configures. None for other stacks and test profiles.
    pub windows_build: Option<String>,
}

/// One knob of a resolved profile, for `tlsim profiles show`.
#[derive(Debug, Clone, Serialize)]
pub struct KnobRow {
    pub knob: String,
    pub value: serde_json::Value,
    pub default: serde_json::Value,
    /// Set by an entry, update or overlay (else the RFC-compliant default).
    pub origin: Option<Origin>,
}

/// A knob that differs between two resolved profiles.
#[derive(Debug, Clone, Serialize)]
pub struct KnobDiff {
    pub knob: String,
    pub a: serde_json::Value,
    pub b: serde_json::Value,
    pub a_origin: Option<Origin>,
    pub b_origin: Option<Origin>,
}

/// The catalogue compiled into the binary, parsed and checked once.
pub fn catalogue() -> &'static Catalogue {
    static CAT: OnceLock<Catalogue> = OnceLock::new();
    CAT.get_or_init(|| {
        parse(FILES).unwrap_or_else(|e| panic!("the built-in catalogue is invalid: {e}"))
    })
}

/// Parses and checks catalogue files: unique names, known bases and builds, valid dates,
/// knobs that deserialise into a `Profile`, and a source for every knob.
pub fn parse(files: &[(&str, &str)]) -> Result<Catalogue, String> {
    let mut entries = Vec::new();
    let mut updates = Vec::new();
    for (path, text) in files {
        let f: File = toml::from_str(text).map_err(|e| format!("{path}: {e}"))?;
        for e in &f.entry {
            check_knobs(&e.knobs).map_err(|m| format!("{path}: entry {}: {m}", e.name))?;
            match (&e.released, &e.released_source, e.build) {
                (Some(d), Some(src), true) if !src.trim().is_empty() => {
                    check_date(d).map_err(|m| format!("{path}: entry {}: released: {m}", e.name))?
                }
                (None, None, false) => {}
                (_, _, true) => {
                    return Err(format!(
                        "{path}: entry {}: a Windows build needs `released` (YYYY-MM-DD) and `released_source`",
                        e.name
                    ))
                }
                (_, _, false) => {
                    return Err(format!(
                        "{path}: entry {}: `released` applies to Windows builds only (build = true)",
                        e.name
                    ))
                }
            }
            for k in e.knobs.keys() {
                if !e.sources.contains_key(k) {
                    return Err(format!("{path}: entry {}: knob {k} has no source", e.name));
                }
            }
            for k in e.sources.keys() {
                if !knob_names().contains(k) {
                    return Err(format!(
                        "{path}: entry {}: source for unknown knob {k}",
                        e.name
                    ));
                }
            }
        }
        for u in &f.update {
            check_knobs(&u.knobs).map_err(|m| format!("{path}: update {}: {m}", u.kb))?;
            check_date(&u.date).map_err(|m| format!("{path}: update {}: {m}", u.kb))?;
            if u.source.trim().is_empty() {
                return Err(format!("{path}: update {}: empty source", u.kb));
            }
        }
        entries.extend(f.entry);
        updates.extend(f.update);
    }
    let mut seen = BTreeMap::new();
    for e in &entries {
        for n in std::iter::once(&e.name).chain(&e.aliases) {
            if seen
                .insert(n.to_ascii_lowercase(), e.name.clone())
                .is_some()
            {
                return Err(format!("catalogue: name {n} used twice"));
            }
        }
    }
    for u in &updates {
        for n in std::iter::once(&u.kb).chain(&u.aliases) {
            if seen.insert(n.to_ascii_lowercase(), u.kb.clone()).is_some() {
                return Err(format!("catalogue: name {n} used twice"));
            }
        }
    }
    let cat = Catalogue {
        entries,
        updates: {
            updates.sort_by(|a, b| (&a.date, &a.kb).cmp(&(&b.date, &b.kb)));
            updates
        },
    };
    for e in &cat.entries {
        if let Some(b) = &e.base {
            if cat.entry(b).is_none() {
                return Err(format!("catalogue: entry {}: unknown base {b}", e.name));
            }
        }
        cat.chain(&e.name)?;
    }
    for u in &cat.updates {
        for b in &u.builds {
            if !cat.entry(b).is_some_and(|e| e.build && e.name == *b) {
                return Err(format!(
                    "catalogue: update {}: {b} is not the primary name of a Windows build",
                    u.kb
                ));
            }
        }
    }
    Ok(cat)
}

/// Every knob name of `Profile`, alphabetically.
pub fn knob_names() -> &'static Vec<String> {
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    NAMES.get_or_init(|| knob_values(&Profile::default()).into_keys().collect())
}

/// Every knob of a profile as JSON (`null` for an unset option), by name. `name` and
/// `summary` are labels, not knobs.
pub fn knob_values(p: &Profile) -> BTreeMap<String, serde_json::Value> {
    let v = serde_json::to_value(p).expect("a Profile always serialises to JSON");
    let serde_json::Value::Object(map) = v else {
        unreachable!("a struct serialises to a JSON object")
    };
    map.into_iter()
        .filter(|(k, _)| k != "name" && k != "summary")
        .collect()
}

fn check_knobs(knobs: &toml::Table) -> Result<(), String> {
    for k in ["name", "summary"] {
        if knobs.contains_key(k) {
            return Err(format!("`{k}` is not a knob (set it on the entry)"));
        }
    }
    merge(base_table(), knobs)
        .try_into::<Profile>()
        .map(|_| ())
        .map_err(|e| format!("knobs: {}", e.to_string().trim()))
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Checks a `YYYY-MM-DD` date against the calendar (Gregorian leap years).
fn check_date(d: &str) -> Result<(), String> {
    let b = d.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return Err(format!("date {d:?}: expected YYYY-MM-DD"));
    }
    // Digits only, checked above.
    let num = |r: std::ops::Range<usize>| d[r].parse::<u32>().unwrap_or(0);
    let (year, month, day) = (num(0..4), num(5..7), num(8..10));
    let Some(name) = month
        .checked_sub(1)
        .and_then(|m| MONTHS.get(usize::try_from(m).ok()?))
    else {
        return Err(format!(
            "date {d:?}: month {month} does not exist (expected YYYY-MM-DD, month 01 to 12)"
        ));
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if !(1..=days).contains(&day) {
        return Err(format!(
            "date {d:?}: {name} {year} has {days} days (expected YYYY-MM-DD)"
        ));
    }
    Ok(())
}

fn base_table() -> toml::Table {
    toml::Table::try_from(Profile::default()).expect("a Profile always serialises to TOML")
}

fn merge(mut table: toml::Table, knobs: &toml::Table) -> toml::Table {
    for (k, v) in knobs {
        table.insert(k.clone(), v.clone());
    }
    table
}

impl Catalogue {
    /// An entry by name or alias (case-insensitive), abstract ones included.
    pub fn entry(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| {
            e.name.eq_ignore_ascii_case(name)
                || e.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
        })
    }

    /// An update by KB or alias (case-insensitive).
    pub fn update(&self, kb: &str) -> Option<&Update> {
        self.updates.iter().find(|u| {
            u.kb.eq_ignore_ascii_case(kb) || u.aliases.iter().any(|a| a.eq_ignore_ascii_case(kb))
        })
    }

    /// The entry and its bases, root first.
    fn chain(&self, name: &str) -> Result<Vec<&Entry>, String> {
        let mut out = Vec::new();
        let mut cur = self.entry(name);
        while let Some(e) = cur {
            if out.iter().any(|o: &&Entry| o.name == e.name) || out.len() > 32 {
                return Err(format!("catalogue: entry {name}: base cycle"));
            }
            out.push(e);
            cur = e.base.as_deref().and_then(|b| self.entry(b));
        }
        out.reverse();
        Ok(out)
    }

    /// Primary names of the Windows builds (the entries `@date` and `+KB` apply to).
    pub fn build_names(&self) -> Vec<&str> {
        self.entries
            .iter()
            .filter(|e| e.build)
            .map(|e| e.name.as_str())
            .collect()
    }

    /// Updates that apply to a build, in date order.
    pub fn updates_for(&self, build: &str) -> Vec<&Update> {
        self.updates
            .iter()
            .filter(|u| u.builds.iter().any(|b| b == build))
            .collect()
    }

    /// Resolves `NAME[@YYYY-MM-DD][+KB…]`.
    pub fn resolve(&self, spec: &str) -> Result<Resolved, String> {
        let mut parts = spec.split('+');
        let head = parts.next().unwrap_or("").trim();
        let extra: Vec<&str> = parts.map(str::trim).collect();
        let (name, date) = match head.split_once('@') {
            Some((n, d)) => {
                check_date(d.trim()).map_err(|m| format!("{spec}: {m}"))?;
                (n.trim(), Some(d.trim()))
            }
            None => (head, None),
        };
        let entry = self
            .entry(name)
            .filter(|e| !e.is_abstract)
            .ok_or_else(|| unknown(name))?;
        let chain = self.chain(&entry.name)?;
        let build_entry = chain.iter().rev().find(|e| e.build);
        let build = build_entry.map(|e| e.name.clone());
        if build.is_none() && (date.is_some() || !extra.is_empty()) {
            return Err(format!(
                "{spec}: {} is not a Windows build; `@date` and `+KB` apply to Windows builds only: {}",
                entry.name,
                self.build_names().join(", ")
            ));
        }
        if let (Some(d), Some(b)) = (date, build_entry) {
            if let Some(rel) = b.released.as_deref().filter(|rel| d < *rel) {
                return Err(format!(
                    "{spec}: {d} is before {} was released ({rel}; {}); give a date from {rel} on",
                    b.name,
                    b.released_source.as_deref().unwrap_or("")
                ));
            }
        }

        // Updates: every one up to the date (all for a bare name) plus the explicit ones.
        let mut chosen: Vec<&Update> = Vec::new();
        if let Some(b) = &build {
            for u in self.updates_for(b) {
                // A date selects everything released up to it; a bare name means fully
                // patched; `name+KB…` without a date means RTM plus the listed updates.
                let by_date = match date {
                    Some(d) => u.date.as_str() <= d,
                    None => extra.is_empty(),
                };
                if by_date {
                    chosen.push(u);
                }
            }
            for kb in &extra {
                let u = self.update(kb).ok_or_else(|| {
                    format!(
                        "{spec}: unknown update {kb:?}; updates for {b}: {}",
                        self.updates_for(b)
                            .iter()
                            .map(|u| u.kb.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })?;
                if !u.builds.iter().any(|x| x == b) {
                    return Err(format!(
                        "{spec}: {} does not apply to {b} (it applies to {})",
                        u.kb,
                        u.builds.join(", ")
                    ));
                }
                if !chosen.iter().any(|c| c.kb == u.kb) {
                    chosen.push(u);
                }
            }
            chosen.sort_by(|a, b| (&a.date, &a.kb).cmp(&(&b.date, &b.kb)));
        }

        let mut table = base_table();
        let mut origins = BTreeMap::new();
        let apply_entry = |e: &Entry, table: &mut toml::Table, origins: &mut BTreeMap<_, _>| {
            *table = merge(std::mem::take(table), &e.knobs);
            for (k, s) in &e.sources {
                origins.insert(
                    k.clone(),
                    Origin {
                        set_by: e.name.clone(),
                        source: s.clone(),
                    },
                );
            }
        };
        // The chain up to the build, then its updates, then entries derived from the
        // build (an application on top of the patched OS).
        let split = chain
            .iter()
            .rposition(|e| e.build)
            .map(|i| i + 1)
            .unwrap_or(chain.len());
        for e in &chain[..split] {
            apply_entry(e, &mut table, &mut origins);
        }
        let mut applied = Vec::new();
        for u in &chosen {
            table = merge(table, &u.knobs);
            for k in u.knobs.keys() {
                let source = u.sources.get(k).unwrap_or(&u.source).clone();
                origins.insert(
                    k.clone(),
                    Origin {
                        set_by: format!("{} ({})", u.kb, u.date),
                        source,
                    },
                );
            }
            applied.push(format!("{} ({})", u.kb, u.date));
        }
        for e in &chain[split..] {
            apply_entry(e, &mut table, &mut origins);
        }
        let mut profile: Profile = table
            .try_into()
            .map_err(|e| format!("{spec}: {}", e.to_string().trim()))?;
        profile.name = spec.to_string();
        // A bare build name is the fully patched build its summary describes; a patch level
        // (`@date`, `+KB`) is described by the build at RTM and the updates applied to it.
        let summary = if build.is_some() && (date.is_some() || !extra.is_empty()) {
            let rtm = entry.rtm_summary.as_deref().unwrap_or(&entry.summary);
            let level = match date {
                Some(d) => format!("updates to {d}"),
                None => "updates".to_string(),
            };
            if chosen.is_empty() {
                format!("{rtm}; {level}: none that change TLS")
            } else {
                let list: Vec<String> = chosen
                    .iter()
                    .map(|u| format!("{} {}", u.kb, u.summary))
                    .collect();
                format!("{rtm}; {level}: {}", list.join("; "))
            }
        } else {
            entry.summary.clone()
        };
        profile.summary = summary.clone();
        profile.check().map_err(|m| format!("{spec}: {m}"))?;
        Ok(Resolved {
            spec: spec.to_string(),
            role: entry.role,
            summary,
            profile,
            origins,
            updates: applied,
            ignored: Vec::new(),
            windows_build: build,
        })
    }
}

fn unknown(name: &str) -> String {
    format!("unknown profile {name:?}{}", did_you_mean(name))
}

/// ", did you mean …?" with the closest known names, or the list of all names.
pub fn did_you_mean(name: &str) -> String {
    let mut all: Vec<String> = super::builtin::builtin_names()
        .into_iter()
        .map(String::from)
        .collect();
    for e in catalogue().entries.iter().filter(|e| !e.is_abstract) {
        all.push(e.name.clone());
        all.extend(e.aliases.iter().cloned());
    }
    let best = crate::text::did_you_mean(name, all.iter().map(String::as_str), 3, 4);
    if best.is_empty() {
        format!("; known profiles: {}", catalogue_names().join(", "))
    } else {
        format!("; did you mean {}?", best.join(", "))
    }
}

/// Every loadable name: built-in test profiles, then catalogue entries (primary names).
pub fn catalogue_names() -> Vec<String> {
    let mut v: Vec<String> = super::builtin::builtin_names()
        .into_iter()
        .map(String::from)
        .collect();
    v.extend(
        catalogue()
            .entries
            .iter()
            .filter(|e| !e.is_abstract)
            .map(|e| e.name.clone()),
    );
    v
}

/// (name, role, summary) of every loadable profile, built-ins first.
pub fn list() -> Vec<(String, Role, String)> {
    let mut v: Vec<(String, Role, String)> = super::builtin::builtin_list()
        .into_iter()
        .map(|(n, s)| (n.to_string(), Role::Both, format!("(test) {s}")))
        .collect();
    v.extend(
        catalogue()
            .entries
            .iter()
            .filter(|e| !e.is_abstract)
            .map(|e| (e.name.clone(), e.role, e.summary.clone())),
    );
    v
}

/// Resolves a built-in name or a catalogue name (with `@date` and `+KB`); not a file. An
/// unknown name gets a "did you mean" list.
pub fn resolve_name(spec: &str) -> Result<Resolved, String> {
    if let Some(r) = super::builtin::resolve_builtin(spec) {
        return Ok(r);
    }
    let head = spec.split(['@', '+']).next().unwrap_or("").trim();
    if super::builtin::builtins().entry(head).is_some() {
        return Err(format!(
            "{spec}: {head} is a built-in profile without a patch timeline; @date and +KB apply to Windows builds: {}",
            catalogue().build_names().join(", ")
        ));
    }
    if catalogue().entry(head).is_some_and(|e| !e.is_abstract) {
        return catalogue().resolve(spec);
    }
    Err(unknown(head))
}

/// Resolves anything [`super::load`] accepts: a built-in name, a catalogue name (with
/// `@date` and `+KB`), or a profile file (TOML or JSON, see [`super::file`]).
pub fn resolve(spec: &str) -> Result<Resolved, String> {
    let head = spec.split(['@', '+']).next().unwrap_or("").trim();
    let known = super::builtin::builtins().entry(head).is_some()
        || catalogue().entry(head).is_some_and(|e| !e.is_abstract);
    let path = std::path::Path::new(spec);
    if !known && path.is_file() {
        let text = super::read_text(path)?;
        return super::file::parse(&text, spec);
    }
    resolve_name(spec).map_err(|m| {
        if known {
            m
        } else {
            format!(
                "unknown profile {head:?} (not a built-in or catalogue name, nor a file){}",
                did_you_mean(head)
            )
        }
    })
}

/// Every knob of a resolved profile with its value, default and origin.
pub fn knob_rows(r: &Resolved) -> Vec<KnobRow> {
    let def = knob_values(&Profile::default());
    knob_values(&r.profile)
        .into_iter()
        .map(|(k, v)| KnobRow {
            default: def.get(&k).cloned().unwrap_or(serde_json::Value::Null),
            origin: r.origins.get(&k).cloned(),
            knob: k,
            value: v,
        })
        .collect()
}

/// The knobs whose values differ between two resolved profiles.
pub fn diff(a: &Resolved, b: &Resolved) -> Vec<KnobDiff> {
    let (va, vb) = (knob_values(&a.profile), knob_values(&b.profile));
    va.into_iter()
        .filter_map(|(k, x)| {
            let y = vb.get(&k).cloned().unwrap_or(serde_json::Value::Null);
            (x != y).then(|| KnobDiff {
                a_origin: a.origins.get(&k).cloned(),
                b_origin: b.origins.get(&k).cloned(),
                knob: k,
                a: x,
                b: y,
            })
        })
        .collect()
}

/// Knobs that differ from `Profile::default()` but have no origin: must be empty for
/// every catalogue resolution.
pub fn unsourced(r: &Resolved) -> Vec<String> {
    knob_rows(r)
        .into_iter()
        .filter(|row| {
            row.value != row.default
                && row
                    .origin
                    .as_ref()
                    .is_none_or(|o| o.source.trim().is_empty())
        })
        .map(|row| row.knob)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{EmsResumption, LeadingZeros};

    #[test]
    fn profile_catalogue_parses_and_every_entry_resolves_with_sources() {
        let cat = catalogue();
        assert!(cat.entries.len() >= 25, "{}", cat.entries.len());
        for e in cat.entries.iter().filter(|e| !e.is_abstract) {
            let r = cat.resolve(&e.name).expect("resolves");
            assert_eq!(unsourced(&r), Vec::<String>::new(), "{}", e.name);
            if e.build {
                let released = e.released.as_deref().expect("a build has a release date");
                for d in [
                    "2010-01-01",
                    "2015-06-01",
                    "2016-01-01",
                    "2019-10-08",
                    "2020-03-01",
                ]
                .into_iter()
                .filter(|d| *d >= released)
                {
                    let r = cat.resolve(&format!("{}@{d}", e.name)).expect("resolves");
                    assert_eq!(unsourced(&r), Vec::<String>::new(), "{}@{d}", e.name);
                }
            }
        }
    }

    /// Issue 15, defect 6: a bare build name is the fully patched build and its summary
    /// says so; a patch level is summarized from the build at RTM and the updates applied.
    #[test]
    fn summaries_describe_the_patch_level_they_load() {
        let cat = catalogue();
        let full = cat.resolve("win2016").unwrap();
        assert_eq!(full.profile.premaster_leading_zeros, LeadingZeros::Strip);
        assert!(
            full.summary.contains("strips Z's zeros"),
            "{}",
            full.summary
        );
        assert!(!full.summary.contains("keeps"), "{}", full.summary);
        let old = cat.resolve("win2016@2019-10-08").unwrap();
        assert_eq!(old.profile.premaster_leading_zeros, LeadingZeros::Keep);
        assert!(old.summary.contains("keeps Z's zeros"), "{}", old.summary);
        assert!(old.summary.contains("KB4519998"), "{}", old.summary);
        assert!(
            !old.summary.contains("KB4537806 OS build"),
            "{}",
            old.summary
        );
        assert_eq!(old.profile.summary, old.summary);
        let patched = cat.resolve("win2016@2020-03-01").unwrap();
        assert!(
            patched
                .summary
                .contains("KB4537806 OS build 14393.3542: strips"),
            "{}",
            patched.summary
        );
        let rtm = cat.resolve("win2016@2016-08-02").unwrap();
        assert!(
            rtm.summary.ends_with("none that change TLS"),
            "{}",
            rtm.summary
        );
    }

    #[test]
    fn profile_catalogue_typo_is_an_error() {
        let bad = "[[entry]]\nname = \"x\"\nrole = \"both\"\nsummary = \"s\"\n[entry.knobs]\nems_ofer = false\n[entry.sources]\nems_ofer = \"s\"\n";
        let err = parse(&[("bad.toml", bad)]).unwrap_err();
        assert!(
            err.contains("ems_ofer") && err.contains("bad.toml"),
            "{err}"
        );
        let nosrc = "[[entry]]\nname = \"x\"\nrole = \"both\"\nsummary = \"s\"\n[entry.knobs]\nems_offer = false\n";
        let err = parse(&[("n.toml", nosrc)]).unwrap_err();
        assert!(err.contains("no source"), "{err}");
    }

    #[test]
    fn profile_timeline_selects_by_date_and_kb() {
        let cat = catalogue();
        let rtm = cat.resolve("win2012r2@2013-10-18").unwrap();
        assert!(!rtm.profile.ems_offer);
        assert_eq!(rtm.profile.client_min_dh_bits, 512);
        let mid = cat.resolve("win2012r2@2016-01-01").unwrap();
        assert!(mid.profile.ems_offer && mid.profile.ems_negotiate);
        assert_eq!(mid.profile.client_min_dh_bits, 1024);
        assert_eq!(mid.profile.ems_resumption, EmsResumption::Legacy);
        assert_eq!(mid.origins["ems_offer"].set_by, "KB3081320 (2015-11-10)");
        let full = cat.resolve("win2012r2").unwrap();
        assert_eq!(full.profile.ems_resumption, EmsResumption::Oct2019);
        let plus = cat.resolve("win2016@2019-01-01+KB4537806").unwrap();
        assert_eq!(plus.profile.premaster_leading_zeros, LeadingZeros::Strip);
        assert_eq!(plus.profile.ems_resumption, EmsResumption::Legacy);
        let via_alias = cat.resolve("server2012r2+MS15-121").unwrap();
        assert!(via_alias.profile.ems_offer);
        let err = cat.resolve("win2012r2+KB4537806").unwrap_err();
        assert!(err.contains("does not apply"), "{err}");
        let err = cat.resolve("openssl-1.0.2@2019-01-01").unwrap_err();
        assert!(err.contains("not a Windows build"), "{err}");
        let err = cat.resolve("win2012r2@2019-13-01").unwrap_err();
        assert!(err.contains("YYYY-MM-DD"), "{err}");
        let err = cat.resolve("win2012r2@2019-02-29").unwrap_err();
        assert!(err.contains("February 2019 has 28 days"), "{err}");
        assert!(cat.resolve("win2016@2016-02-29").is_err(), "before 1607");
        cat.resolve("win2012r2@2016-02-29").expect("a leap day");
        let sql = cat.resolve("win2019-sqlserver").unwrap();
        assert_eq!(sql.profile.ems_resumption, EmsResumption::Oct2019);
        assert_eq!(
            sql.origins["server_fatal_close"].set_by,
            "win2019-sqlserver"
        );
    }

    #[test]
    fn profile_typo_suggests_names() {
        let err = resolve("win2021r2").unwrap_err();
        assert!(
            err.contains("did you mean") && err.contains("win2012r2"),
            "{err}"
        );
    }
}
