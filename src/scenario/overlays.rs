//! Overlays on a scenario's peers: `.reg` exports of the Schannel keys and cipher-suite
//! orders, named by a client or server entry (`registry = "…"`, `cipher_order = "…"`) or
//! given on the command line ([`Scenario::with_overlays`]).
//!
//! Every overlay applied is kept in [`Scenario::overlays`] with what it changed and what it
//! could not model, for the notes of `run` and `study`, and with the digest of its file, so
//! a study of the scenario with other overlays is another study
//! ([`Scenario::overlay_identity`]).

use super::Scenario;
use crate::profile::{OverlayFile, OverlayKind, Profile};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The suffix command-line overlays add to a scenario's name (and so to its replay ids):
/// `m1-dh-premaster-zeros+overlays-1a2b3c4d`.
pub(crate) const OVERLAY_SUFFIX: &str = "+overlays-";

/// The Windows build of each entry's profile (see
/// [`crate::profile::catalogue::Resolved::windows_build`]), in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeerBuilds {
    pub servers: Vec<Option<String>>,
    pub clients: Vec<Option<String>>,
}

/// One overlay applied to one client or server entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedOverlay {
    /// The entry: `client win2012r2 (host app)`.
    pub peer: String,
    pub kind: OverlayKind,
    pub file: String,
    /// SHA-256 of the file's bytes (12 bytes, hex).
    pub digest: String,
    /// Given on the command line (not by the scenario file).
    pub command_line: bool,
    /// Knobs whose value changed.
    pub changed: Vec<String>,
    /// What the overlay could not model: the value or suite name, its line, and why.
    pub ignored: Vec<(String, usize, String)>,
}

/// Which entries of a scenario a command-line overlay applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerSelector {
    /// Every entry whose profile is a Windows build: the peers whose Schannel a `.reg`
    /// export or a `Get-TlsCipherSuite` order configures.
    Windows,
    /// Every client entry.
    Clients,
    /// Every server entry.
    Servers,
    /// Entries whose host or label is this.
    Named(String),
}

impl PeerSelector {
    /// Splits `[PEER=]FILE`: `client=`, `server=`, `HOST=` or `LABEL=` before the file, or
    /// nothing (every Windows peer). A path that exists as given is never split.
    pub fn split(arg: &str) -> (PeerSelector, &str) {
        if std::path::Path::new(arg).exists() {
            return (PeerSelector::Windows, arg);
        }
        match arg.split_once('=') {
            Some((sel, file)) if !sel.is_empty() && !sel.contains(['/', '\\']) => {
                let sel = match sel {
                    "client" | "clients" => PeerSelector::Clients,
                    "server" | "servers" => PeerSelector::Servers,
                    other => PeerSelector::Named(other.to_string()),
                };
                (sel, file)
            }
            _ => (PeerSelector::Windows, arg),
        }
    }

    fn describe(&self) -> String {
        match self {
            PeerSelector::Windows => "every Windows peer".into(),
            PeerSelector::Clients => "client".into(),
            PeerSelector::Servers => "server".into(),
            PeerSelector::Named(n) => n.clone(),
        }
    }
}

/// A command-line overlay: a file and the entries it applies to.
#[derive(Debug, Clone)]
pub struct PeerOverlay {
    pub peers: PeerSelector,
    pub overlay: OverlayFile,
}

/// The overlay files a command line names (`--registry`, `--cipher-order`), each
/// `[PEER=]FILE` (see [`PeerSelector::split`]), not read yet: [`OverlayFiles::load`] reads
/// them when a command needs them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct OverlayFiles {
    #[cfg_attr(feature = "cli", arg(long, value_name = "[PEER=]FILE"))]
    pub registry: Vec<String>,
    #[cfg_attr(feature = "cli", arg(long, value_name = "[PEER=]FILE"))]
    pub cipher_order: Vec<String>,
}

impl OverlayFiles {
    pub fn is_empty(&self) -> bool {
        self.registry.is_empty() && self.cipher_order.is_empty()
    }

    /// Reads and parses the files, registry files first, each in the order given; errors
    /// name the option and its argument.
    pub fn load(&self) -> Result<Vec<PeerOverlay>, String> {
        let mut out = Vec::new();
        for (kind, args) in [
            (OverlayKind::Registry, &self.registry),
            (OverlayKind::CipherOrder, &self.cipher_order),
        ] {
            for arg in args {
                let (peers, file) = PeerSelector::split(arg);
                let overlay = OverlayFile::load(kind, std::path::Path::new(file), file)
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

/// Open a scenario ([`super::open`]: a file or a built-in name) with command-line overlays
/// applied, and the text that identifies it in a study: the scenario's text (decoded as
/// every input: UTF-8 or UTF-16 with a BOM, CRLF or LF) and its overlays
/// ([`Scenario::overlay_identity`]; nothing without).
pub fn open_with_overlays(
    path: &std::path::Path,
    overlays: &OverlayFiles,
) -> Result<(Scenario, String), String> {
    let l = super::open(path).map_err(|e| e.to_string())?;
    let sc = overlays.apply(&l.scenario)?;
    let identity = sc.overlay_identity();
    Ok((sc, l.text + &identity))
}

pub(super) fn describe_peer(client: bool, label: &str, host: &str) -> String {
    format!(
        "{} {label} (host {host})",
        if client { "client" } else { "server" }
    )
}

impl Scenario {
    /// The scenario with command-line overlays applied, in order, over each selected
    /// entry's profile (after the scenario's own `registry`, `cipher_order` and `set`),
    /// renamed `<name>+overlays-<digest>` so its replay ids name the overlays too. Refused
    /// when a selector matches no entry, or when an overlay leaves a profile unusable.
    pub fn with_overlays(&self, overlays: &[PeerOverlay]) -> Result<Scenario, String> {
        if overlays.is_empty() {
            return Ok(self.clone());
        }
        let mut sc = self.clone();
        for o in overlays {
            let flag = format!("--{} {}", o.overlay.kind.name(), o.overlay.file);
            let servers: Vec<usize> = (0..sc.fleet.servers.len())
                .filter(|&i| {
                    let s = &sc.fleet.servers[i];
                    match &o.peers {
                        PeerSelector::Windows => sc.windows_builds.servers[i].is_some(),
                        PeerSelector::Clients => false,
                        PeerSelector::Servers => true,
                        PeerSelector::Named(n) => s.host == *n || s.label == *n,
                    }
                })
                .collect();
            let clients: Vec<usize> = (0..sc.fleet.clients.len())
                .filter(|&i| {
                    let c = &sc.fleet.clients[i];
                    match &o.peers {
                        PeerSelector::Windows => sc.windows_builds.clients[i].is_some(),
                        PeerSelector::Clients => true,
                        PeerSelector::Servers => false,
                        PeerSelector::Named(n) => c.host == *n || c.label == *n,
                    }
                })
                .collect();
            if servers.is_empty() && clients.is_empty() {
                let mut names: Vec<String> = Vec::new();
                for s in &sc.fleet.servers {
                    names.push(format!("server {} (host {})", s.label, s.host));
                }
                for c in &sc.fleet.clients {
                    names.push(format!("client {} (host {})", c.label, c.host));
                }
                return Err(match &o.peers {
                    PeerSelector::Windows => format!(
                        "{flag}: scenario {} has no peer whose profile is a Windows build, the \
                         peers a Schannel setting applies to; name the peers: --{kind} \
                         client=FILE, server=FILE, HOST=FILE or LABEL=FILE (peers: {})",
                        sc.name,
                        names.join(", "),
                        kind = o.overlay.kind.name()
                    ),
                    other => format!(
                        "{flag}: no peer of scenario {} is {:?} (give client, server, a host or \
                         a label; peers: {})",
                        sc.name,
                        other.describe(),
                        names.join(", ")
                    ),
                });
            }
            for i in servers {
                let s = &mut sc.fleet.servers[i];
                let peer = describe_peer(false, &s.label, &s.host);
                let profile = apply(&o.overlay, &s.profile, false, &flag, &peer)?;
                s.profile = Arc::new(profile.0);
                sc.overlays.push(applied(&o.overlay, peer, profile.1));
            }
            for i in clients {
                let c = &mut sc.fleet.clients[i];
                let peer = describe_peer(true, &c.label, &c.host);
                let profile = apply(&o.overlay, &c.profile, true, &flag, &peer)?;
                c.profile = Arc::new(profile.0);
                sc.overlays.push(applied(&o.overlay, peer, profile.1));
            }
        }
        let mut h = Sha256::new();
        for o in overlays {
            h.update(format!(
                "{:?} {} {}\n",
                o.peers,
                o.overlay.kind.name(),
                o.overlay.digest
            ));
        }
        let digest = crate::crypto::to_hex(&h.finalize()[..4]);
        sc.name = format!("{}{OVERLAY_SUFFIX}{digest}", self.name);
        Ok(sc)
    }

    /// What identifies the scenario's overlays for a study: empty without overlays; else
    /// one line per overlay applied (peer, kind, file digest). A study's digest covers the
    /// scenario text and this, so a state directory or shard file of the scenario with
    /// other overlays (or an overlay file since changed) is refused, never mixed.
    pub fn overlay_identity(&self) -> String {
        self.overlays
            .iter()
            .map(|o| {
                format!(
                    "\n# overlay {} {} on {}: {}",
                    if o.command_line {
                        "command-line"
                    } else {
                        "scenario"
                    },
                    o.kind.name(),
                    o.peer,
                    o.digest
                )
            })
            .collect()
    }

    /// The overlays applied, as note lines for `run` and `study`: per overlay file, the
    /// entries it changed (and which knobs), then every value or suite it could not model,
    /// once. Empty without overlays.
    pub fn overlay_notes(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut done: Vec<(OverlayKind, &str, bool)> = Vec::new();
        for o in &self.overlays {
            let key = (o.kind, o.file.as_str(), o.command_line);
            if done.contains(&key) {
                continue;
            }
            done.push(key);
            let same: Vec<&AppliedOverlay> = self
                .overlays
                .iter()
                .filter(|x| (x.kind, x.file.as_str(), x.command_line) == key)
                .collect();
            out.push(format!(
                "{} {} ({}):",
                o.kind.name(),
                o.file,
                if o.command_line {
                    "command line"
                } else {
                    "scenario file"
                }
            ));
            // Entries with the same changes on one line.
            let mut groups: Vec<(&[String], Vec<&str>)> = Vec::new();
            for x in &same {
                match groups.iter_mut().find(|g| g.0 == x.changed.as_slice()) {
                    Some(g) => g.1.push(&x.peer),
                    None => groups.push((&x.changed, vec![&x.peer])),
                }
            }
            for (changed, peers) in groups {
                out.push(format!(
                    "  {} on {}",
                    if changed.is_empty() {
                        "changed no knob".to_string()
                    } else {
                        format!("changed {}", changed.join(", "))
                    },
                    peers.join(", ")
                ));
            }
            for (what, line, why) in &o.ignored {
                out.push(format!("  not applied: line {line}: {what}: {why}"));
            }
        }
        out
    }
}

impl Scenario {
    /// The overlays section of a report (`tlsim run`, `tlsim study`): a blank line, then
    /// [`Scenario::overlay_notes`] as a block; empty without overlays.
    pub fn overlay_notes_text(&self) -> String {
        let notes = self.overlay_notes();
        if notes.is_empty() {
            return String::new();
        }
        format!("\n{}", crate::profile::notes_text(&notes))
    }
}

/// The name of the scenario file a (possibly overlaid) scenario name comes from.
pub fn base_name(name: &str) -> &str {
    match name.rfind(OVERLAY_SUFFIX) {
        Some(i)
            if name[i + OVERLAY_SUFFIX.len()..].len() == 8
                && name[i + OVERLAY_SUFFIX.len()..]
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit()) =>
        {
            &name[..i]
        }
        _ => name,
    }
}

fn apply(
    o: &OverlayFile,
    p: &Profile,
    client: bool,
    flag: &str,
    peer: &str,
) -> Result<(Profile, crate::profile::OverlayEffect), String> {
    let (out, effect) = o
        .apply_to(p)
        .map_err(|m| format!("{flag}: on {peer}: {m}"))?;
    if client {
        let issues = out.client_issues();
        if !issues.is_empty() {
            let why: Vec<String> = issues.iter().map(|(k, m)| format!("{k}: {m}")).collect();
            return Err(format!(
                "{flag}: on {peer}: the client could not connect at all: {}",
                why.join("; ")
            ));
        }
    }
    Ok((out, effect))
}

pub(super) fn applied(
    o: &OverlayFile,
    peer: String,
    effect: crate::profile::OverlayEffect,
) -> AppliedOverlay {
    AppliedOverlay {
        peer,
        kind: o.kind,
        file: o.file.clone(),
        digest: o.digest.clone(),
        command_line: true,
        changed: effect.changed,
        ignored: effect.ignored,
    }
}
