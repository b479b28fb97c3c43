//! The two profiles of an in-memory handshake (`tlsim handshake`): each resolved from a
//! catalogue or built-in name or a file, with its overlay files applied, and the client's
//! suites optionally narrowed to one.

use super::{apply_files, resolve, OverlayKind, Profile};

/// Names and files as a command line gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct PairSetup {
    #[cfg_attr(
        feature = "cli",
        arg(
            long = "client-profile",
            id = "client_profile",
            default_value = "rfc-strict",
            value_name = "NAME|FILE"
        )
    )]
    pub client: String,
    #[cfg_attr(
        feature = "cli",
        arg(
            long = "server-profile",
            id = "server_profile",
            default_value = "rfc-strict",
            value_name = "NAME|FILE"
        )
    )]
    pub server: String,
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE"))]
    pub client_registry: Option<String>,
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE"))]
    pub server_registry: Option<String>,
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE"))]
    pub client_cipher_order: Option<String>,
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE"))]
    pub server_cipher_order: Option<String>,
    /// Offer only this suite (IANA or OpenSSL name).
    #[cfg_attr(feature = "cli", arg(long))]
    pub suite: Option<String>,
}

impl PairSetup {
    /// The client and server profiles, and the overlays' note lines ([`apply_files`];
    /// registry before cipher order, the client's first). The client must be able to
    /// connect at all ([`Profile::check_as_client`]).
    pub fn resolve(&self) -> Result<(Profile, Profile, Vec<String>), String> {
        let mut client = resolve(&self.client)?;
        let mut server = resolve(&self.server)?;
        let notes = [
            (
                &mut client,
                "client-",
                &self.client_registry,
                &self.client_cipher_order,
            ),
            (
                &mut server,
                "server-",
                &self.server_registry,
                &self.server_cipher_order,
            ),
        ]
        .into_iter()
        .map(|(r, prefix, registry, order)| {
            let files = [
                (OverlayKind::Registry, registry.as_deref()),
                (OverlayKind::CipherOrder, order.as_deref()),
            ];
            apply_files(r, &files, prefix)
        })
        .collect::<Result<Vec<_>, String>>()?
        .concat();
        let (mut client, server) = (client.profile, server.profile);
        if let Some(name) = &self.suite {
            let info = crate::wire::suite_by_name(name)
                .ok_or_else(|| format!("unknown cipher suite {name:?}"))?;
            client.client_suites = vec![info.suite];
        }
        client
            .check_as_client()
            .map_err(|m| format!("--client-profile {}: {m}", self.client))?;
        Ok((client, server, notes))
    }
}
