//! `--registry` and `--cipher-order` on `run`, `study`, `replay` and `merge` (over a
//! scenario's peers; read and applied by `tlsim::scenario::OverlayFiles`).

use tlsim::scenario::OverlayFiles;

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
    pub fn files(&self) -> OverlayFiles {
        OverlayFiles {
            registry: self.registry.clone(),
            cipher_order: self.cipher_order.clone(),
        }
    }
}
