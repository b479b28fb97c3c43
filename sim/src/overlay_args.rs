//! `--registry` and `--cipher-order` on `run`, `study`, `replay` and `merge` (over a
//! scenario's peers), on `handshake` (one per side) and on `bridge` (its one profile).

use std::path::Path;
use tlsim::profile::catalogue::Resolved;
use tlsim::profile::{OverlayFile, OverlayKind};
use tlsim::scenario::{PeerOverlay, PeerSelector, Scenario};

/// Which peers a command-line overlay applies to, shown by `--help`.
const PEERS: &str = "Without PEER=, it applies to every peer whose profile is a Windows build \
(catalogue names such as win2012r2@2019-10-08, and profile files based on one): the peers \
Schannel settings configure; PEER=FILE applies it instead to `client` (every client entry), \
`server` (every server entry), or the entries whose host or label is PEER. Repeatable; \
applied after the scenario's own registry, cipher_order and set, registry files first, each \
in the order given. A study with overlays is another study: its name gets \
+overlays-<digest> (replay ids included) and its digest covers the files' contents.";

#[derive(clap::Args, Clone, Default)]
pub struct OverlayArgs {
    /// A regedit export (.reg, UTF-16 or UTF-8) of the Schannel keys applied over peers'
    /// profiles; what it cannot model is listed in the output.
    #[arg(long, value_name = "[PEER=]FILE", long_help = format!("A regedit export (.reg, UTF-16 or UTF-8) of the Schannel keys applied over peers' profiles; what it cannot model is listed in the output. {PEERS}"))]
    pub registry: Vec<String>,
    /// A cipher-suite order (Get-TlsCipherSuite names, as PowerShell saves them, or an
    /// OpenSSL cipher string) replacing peers' client and server suite lists.
    #[arg(long, value_name = "[PEER=]FILE", long_help = format!("A cipher-suite order (Get-TlsCipherSuite names, as PowerShell saves them, or an OpenSSL cipher string) replacing peers' client and server suite lists. {PEERS}"))]
    pub cipher_order: Vec<String>,
}

impl OverlayArgs {
    pub fn is_empty(&self) -> bool {
        self.registry.is_empty() && self.cipher_order.is_empty()
    }

    /// Reads and parses the files, before any work.
    pub fn load(&self) -> Result<Vec<PeerOverlay>, String> {
        let mut out = Vec::new();
        for (kind, args) in [
            (OverlayKind::Registry, &self.registry),
            (OverlayKind::CipherOrder, &self.cipher_order),
        ] {
            for arg in args {
                let (peers, file) = PeerSelector::split(arg);
                let overlay = OverlayFile::load(kind, Path::new(file), file)
                    .map_err(|m| format!("--{} {arg}: {m}", kind.name()))?;
                out.push(PeerOverlay { peers, overlay });
            }
        }
        Ok(out)
    }

    /// The scenario with the overlays applied (unchanged without any).
    pub fn apply(&self, sc: &Scenario) -> Result<Scenario, String> {
        if self.is_empty() {
            return Ok(sc.clone());
        }
        sc.with_overlays(&self.load()?)
    }
}

/// The overlays section of a report: empty without overlays.
pub fn notes_text(sc: &Scenario) -> String {
    let notes = sc.overlay_notes();
    if notes.is_empty() {
        return String::new();
    }
    let mut s = String::from("\noverlays:\n");
    for n in notes {
        s.push_str(&format!("  {n}\n"));
    }
    s
}

/// Applies an overlay file given by `flag` to one resolved profile and returns the note
/// lines (what it changed and could not model).
pub fn apply_one(
    r: &mut Resolved,
    kind: OverlayKind,
    file: &str,
    flag: &str,
) -> Result<Vec<String>, String> {
    let o = OverlayFile::load(kind, Path::new(file), file).map_err(|m| format!("{flag}: {m}"))?;
    let effect = o.apply(r).map_err(|m| format!("{flag}: {m}"))?;
    let mut notes = vec![format!(
        "{} {} on {}: {}",
        kind.name(),
        file,
        r.spec,
        if effect.changed.is_empty() {
            "changed no knob".to_string()
        } else {
            format!("changed {}", effect.changed.join(", "))
        }
    )];
    for (what, line, why) in &effect.ignored {
        notes.push(format!("  not applied: line {line}: {what}: {why}"));
    }
    Ok(notes)
}
