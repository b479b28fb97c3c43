//! A handful of named profiles for tests, demos and `tlsim handshake`, each one knob away
//! from the RFC-compliant default. They are data (`catalogue/builtin.toml`, compiled in),
//! parsed and resolved by the catalogue's code, but kept apart from the real builds: no
//! patch timeline, listed first as "(test)".

use super::catalogue::{self, Catalogue, Resolved};
use super::Profile;
use std::sync::OnceLock;

const FILES: &[(&str, &str)] = &[(
    "catalogue/builtin.toml",
    include_str!("../../catalogue/builtin.toml"),
)];

/// The built-in test profiles, parsed and checked once.
pub(crate) fn builtins() -> &'static Catalogue {
    static CAT: OnceLock<Catalogue> = OnceLock::new();
    CAT.get_or_init(|| {
        catalogue::parse(FILES)
            .unwrap_or_else(|e| panic!("the built-in test profiles are invalid: {e}"))
    })
}

/// (name, summary) of every built-in profile, in file order.
pub(crate) fn builtin_list() -> Vec<(&'static str, &'static str)> {
    builtins()
        .entries
        .iter()
        .map(|e| (e.name.as_str(), e.summary.as_str()))
        .collect()
}

pub(crate) fn builtin_names() -> Vec<&'static str> {
    builtin_list().into_iter().map(|(n, _)| n).collect()
}

/// A built-in profile by name (case-insensitive), resolved with the origin of its knobs.
pub(crate) fn resolve_builtin(name: &str) -> Option<Resolved> {
    builtins().entry(name)?;
    builtins().resolve(name).ok()
}

/// A built-in profile by name.
pub fn builtin(name: &str) -> Option<Profile> {
    resolve_builtin(name).map(|r| r.profile)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_names_are_not_catalogue_names() {
        for n in builtin_names() {
            assert!(
                catalogue::catalogue().entry(n).is_none(),
                "{n} is both a built-in and a catalogue name"
            );
        }
        assert_eq!(builtin_names().len(), 16);
    }
}
