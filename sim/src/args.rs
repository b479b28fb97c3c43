//! Flag groups that several commands share: overlays over a scenario's peers, the two peers
//! of one connection, and the capture files.

use std::path::PathBuf;
use tlsim::scenario::OverlayFiles;

/// `--registry` and `--cipher-order` on `run`, `study`, `replay` and `merge` (over a
/// scenario's peers; read and applied by `tlsim::scenario::OverlayFiles`).
#[derive(clap::Args, Clone, Default)]
pub struct OverlayArgs {
    #[arg(long, value_name = "[PEER=]FILE", long_help = concat!("A regedit export (.reg, \
        UTF-16 or UTF-8) of the Schannel keys applied over peers' profiles; what it cannot \
        model is listed in the output. ", include_str!("../help/overlay_peers.txt")))]
    pub registry: Vec<String>,
    #[arg(long, value_name = "[PEER=]FILE", long_help = concat!("A cipher-suite order \
        (Get-TlsCipherSuite names, as PowerShell saves them, or an OpenSSL cipher string) \
        replacing peers' client and server suite lists. ",
        include_str!("../help/overlay_peers.txt")))]
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

/// The two peers of `tlsim handshake`: profiles, overlays over each, one suite.
#[derive(clap::Args)]
pub struct Peers {
    #[arg(long, default_value = "rfc-strict", value_name = "NAME|FILE")]
    pub client_profile: String,
    #[arg(long, default_value = "rfc-strict", value_name = "NAME|FILE")]
    pub server_profile: String,
    #[arg(long, value_name = "FILE")]
    pub client_registry: Option<String>,
    #[arg(long, value_name = "FILE")]
    pub server_registry: Option<String>,
    #[arg(long, value_name = "FILE")]
    pub client_cipher_order: Option<String>,
    #[arg(long, value_name = "FILE")]
    pub server_cipher_order: Option<String>,
    #[arg(long)]
    pub suite: Option<String>,
}

/// `--pcap` and `--keylog`.
#[derive(clap::Args)]
pub struct Capture {
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<PathBuf>,
    #[arg(long, value_name = "FILE")]
    pub keylog: Option<PathBuf>,
}

impl Capture {
    pub fn files(&self) -> tlsim::report::output::Capture {
        tlsim::report::output::Capture {
            pcap: self.pcap.clone(),
            keylog: self.keylog.clone(),
        }
    }
}
