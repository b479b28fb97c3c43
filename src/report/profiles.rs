//! The profile catalogue as text (`tlsim profiles`): the list of names, one profile's knobs
//! with their values and sources, and the knobs two profiles set differently.

use crate::profile::catalogue::{self, KnobDiff, KnobRow, Origin, Resolved};
use crate::profile::{OverlayFile, OverlayKind};
use std::fmt::Write as _;

/// A knob's value as shown: `none` for null, a string bare, anything else as JSON.
fn value(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "none".into(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn origin(o: &Option<Origin>) -> String {
    match o {
        Some(o) => format!("{}: {}", o.set_by, o.source),
        None => "default".into(),
    }
}

/// Every name of the catalogue and the built-in test profiles: name, role, summary.
pub fn list_text() -> String {
    let mut s = String::new();
    for (name, role, summary) in catalogue::list() {
        let _ = writeln!(s, "{name:<26} {:<7} {summary}", role.name());
    }
    s
}

/// Every knob of a resolved profile with its value and where it was set (`*` marks values
/// that differ from the RFC-compliant default), then what overlays could not apply.
/// The profile `tlsim profiles show NAME` shows: `name` resolved, then the registry export
/// and the cipher order given over it.
pub fn resolve_shown(
    name: &str,
    registry: Option<&str>,
    cipher_order: Option<&str>,
) -> Result<Resolved, String> {
    let mut r = catalogue::resolve(name)?;
    for (kind, file) in [
        (OverlayKind::Registry, registry),
        (OverlayKind::CipherOrder, cipher_order),
    ] {
        if let Some(file) = file {
            OverlayFile::load(kind, std::path::Path::new(file), file)?.apply(&mut r)?;
        }
    }
    Ok(r)
}

pub fn show_text(r: &Resolved) -> String {
    let mut s = format!("{} ({}): {}\n", r.spec, r.role.name(), r.summary);
    if !r.updates.is_empty() {
        let _ = writeln!(s, "updates applied: {}", r.updates.join(", "));
    }
    s.push('\n');
    for KnobRow {
        knob,
        value: v,
        default,
        origin: o,
    } in catalogue::knob_rows(r)
    {
        let mark = if v != default { "*" } else { " " };
        let _ = writeln!(s, "{mark} {knob:<34} {}", value(&v));
        match &o {
            Some(o) => {
                let _ = writeln!(s, "      set by {}; source: {}", o.set_by, o.source);
            }
            None => s.push_str("      RFC-compliant default\n"),
        }
    }
    s.push_str("\n(* = differs from the RFC-compliant default)\n");
    if !r.ignored.is_empty() {
        s.push_str("\nignored (not applied):\n");
        for (what, line, why) in &r.ignored {
            let _ = writeln!(s, "  line {line}: {what}: {why}");
        }
    }
    s
}

/// The knobs that differ between profiles `a` and `b` ([`catalogue::diff`]), each with both
/// values and their sources.
pub fn diff_text(a: &str, b: &str, d: &[KnobDiff]) -> String {
    if d.is_empty() {
        return format!("{a} and {b} have the same knobs\n");
    }
    let mut s = format!("knobs that differ between {a} and {b}:\n");
    for k in d {
        let _ = writeln!(s, "  {}", k.knob);
        let _ = writeln!(s, "    {a:<24} {}  [{}]", value(&k.a), origin(&k.a_origin));
        let _ = writeln!(s, "    {b:<24} {}  [{}]", value(&k.b), origin(&k.b_origin));
    }
    s
}
