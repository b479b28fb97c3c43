//! The scenarios shipped in `scenarios/`, embedded in the binary so that their names work
//! from any directory: `tlsim study october-2019-fleet`, `tlsim replay <id>` and `tlsim
//! merge` of their shards need no checkout. The embedded text is the file's text byte for
//! byte, so a study of `scenarios/NAME.toml` and of the built-in `NAME` have the same digest,
//! the same state directory and the same replay ids (a test keeps this list equal to the
//! directory).

use super::{Scenario, ScenarioError};
use std::path::{Path, PathBuf};

macro_rules! builtin {
    ($($name:literal),* $(,)?) => {
        /// (name, text) of every shipped scenario, sorted by name.
        pub const BUILTIN: &[(&str, &str)] = &[
            $(($name, include_str!(concat!("../../scenarios/", $name, ".toml"))),)*
        ];
    };
}

builtin!(
    "ftps-after-october-2019",
    "iis-ephemeral-key-reuse",
    "java-tls13-ffdhe",
    "kb4557473-sqlserver",
    "lossy-wan",
    "m1-dh-premaster-zeros",
    "m10-network-faults",
    "m2-dh-short-server-public",
    "m3-dh-short-client-public",
    "m4-ems-resumption",
    "m5-cert-request-on-resume",
    "m6-ftps-data-channel",
    "m7-message-limits",
    "m8-no-shared-cipher",
    "m9-dh-group-too-small",
    "modern-fleet-tls13",
    "october-2019-fleet",
    "tls13-middlebox-downgrade",
    "workaround-disable-dhe",
    "workaround-enable-ems",
);

/// The text of the built-in scenario `name`.
pub fn builtin(name: &str) -> Option<&'static str> {
    BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// Where a scenario's text came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A file the user named.
    File(PathBuf),
    /// A built-in scenario, by name.
    Builtin(&'static str),
    /// Text embedded in a shard results file (`tlsim merge`).
    Embedded(String),
}

impl Origin {
    /// How errors and notes name it.
    pub fn label(&self) -> String {
        match self {
            Origin::File(p) => p.display().to_string(),
            Origin::Builtin(n) => format!("built-in:{n}"),
            Origin::Embedded(f) => format!("{f} (embedded scenario)"),
        }
    }
}

/// A scenario with its text (whose digest identifies a study) and where it came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub scenario: Scenario,
    pub text: String,
    pub origin: Origin,
}

/// The built-in name an argument stands for when it is not a file here: the bare name
/// (`october-2019-fleet`, with or without `.toml`) or the shipped path
/// `scenarios/NAME.toml` (so the README's commands work outside the checkout).
fn builtin_name(arg: &Path) -> Option<&'static str> {
    let s = arg.to_str()?;
    let s = s.strip_prefix("./").unwrap_or(s);
    let s = s.strip_prefix("scenarios/").unwrap_or(s);
    let s = s.strip_suffix(".toml").unwrap_or(s);
    BUILTIN.iter().map(|(n, _)| *n).find(|n| *n == s)
}

/// Open a scenario given as a path or a built-in name, the rule every command uses: a file
/// that exists wins; otherwise a built-in scenario's name (or its shipped path
/// `scenarios/NAME.toml`); otherwise the error names the file and the built-in names.
pub fn open(arg: &Path) -> Result<Loaded, ScenarioError> {
    if arg.exists() {
        let text = crate::profile::read_text_at(arg)?;
        let stem = arg
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let scenario = Scenario::parse(&text, &arg.display().to_string(), &stem, arg.parent())?;
        return Ok(Loaded {
            scenario,
            text,
            origin: Origin::File(arg.to_path_buf()),
        });
    }
    if let Some(name) = builtin_name(arg) {
        let text = builtin(name).unwrap_or_default();
        let scenario = Scenario::parse(text, &format!("built-in:{name}"), name, None)?;
        return Ok(Loaded {
            scenario,
            text: text.to_string(),
            origin: Origin::Builtin(name),
        });
    }
    let shown = arg.display().to_string();
    // Compare the stem only (bounded: a name, not a whole path).
    let stem: String = arg
        .file_stem()
        .map(|s| s.to_string_lossy().chars().take(64).collect())
        .unwrap_or_default();
    let hint = BUILTIN
        .iter()
        .map(|(n, _)| (crate::text::edit_distance(&stem, n), *n))
        .filter(|(d, _)| *d <= 3)
        .min()
        .map(|(_, n)| format!("; did you mean the built-in scenario {n:?}?"))
        .unwrap_or_default();
    Err(ScenarioError {
        file: shown,
        line: 0,
        column: 0,
        message: format!(
            "no such file, and not a built-in scenario{hint} (built-in: {})",
            BUILTIN
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })
}
