//! Collection: both sides' reports of every connection, matched by the client's random
//! into [`ConnRecord`]s (with the FTPS server's refusal of a data channel that did not
//! resume), labelled and ordered deterministically.

use super::spec::{server_key, Fleet};
use crate::engine::{Context, LocalReport, Millis, Outcome, Side, WireEvent};
use serde::Serialize;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

/// What a connection carried: a TLS connection (the default), or one of an FTPS
/// transfer's connections. Serialized as its name ("tls", "ftps-control", "ftps-data").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Channel {
    /// A TLS connection ("tls").
    #[default]
    Tls,
    /// The control connection of an FTPS transfer ("ftps-control").
    FtpsControl,
    /// A data connection of an FTPS transfer, on the server's port + 1, which tries to
    /// resume the control connection's session ("ftps-data").
    FtpsData,
}

impl Channel {
    /// The channel's name in reports and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Tls => "tls",
            Channel::FtpsControl => "ftps-control",
            Channel::FtpsData => "ftps-data",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Channels sort by name, as reports listed them when they were strings.
impl Ord for Channel {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for Channel {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// One connection's outcome with where it happened.
#[derive(Debug, Clone, Serialize)]
pub struct ConnRecord {
    pub client: String,
    pub server: String,
    pub client_host: String,
    pub peer: u32,
    pub index: u32,
    pub channel: Channel,
    pub start_ms: Millis,
    pub outcome: Outcome,
    /// The FTP reply the server sent, for FTPS data channels it refused.
    pub ftp_reply: Option<String>,
    /// The records both sides sent, when the fleet records.
    #[serde(skip)]
    pub wire: Option<Vec<WireEvent>>,
}

/// Where a client connection happened, known before it ends.
#[derive(Clone)]
pub(super) struct ClientMeta {
    pub(super) client: String,
    pub(super) server: String,
    pub(super) client_host: String,
    pub(super) peer: u32,
    pub(super) index: u32,
    pub(super) channel: Channel,
    pub(super) start_ms: Millis,
}

/// What a server connection reports: the engine's report, the FTP reply of a refused FTPS
/// data channel, and the records it sent.
pub(super) type ServerEnd = (LocalReport, Option<String>, Vec<WireEvent>);

/// Reports of both sides, matched by the client's random.
#[derive(Default)]
pub(super) struct Collector {
    /// Server-side connections still running.
    pub(super) active: usize,
    pub(super) client: Vec<(ClientMeta, LocalReport, [u8; 32], Vec<WireEvent>)>,
    pub(super) server: BTreeMap<[u8; 32], ServerEnd>,
}

impl Collector {
    /// An empty collector shared by the hosts of one Sim.
    pub(super) fn shared() -> Rc<RefCell<Collector>> {
        Rc::new(RefCell::new(Collector::default()))
    }
}

/// Every client connection's record with its server's report (an empty one when the server
/// never saw the connection), in the order (client host, client, peer, connection index).
pub(super) fn records(
    fleet: &Fleet,
    collector: Rc<RefCell<Collector>>,
) -> Result<Vec<ConnRecord>, String> {
    let col = Rc::try_unwrap(collector)
        .map_err(|_| "simulation still holds the collector".to_string())?
        .into_inner();
    let mut server = col.server;
    let mut out: Vec<ConnRecord> = col
        .client
        .into_iter()
        .map(|(meta, creport, cr, cwire)| {
            // A server that never saw this ClientHello still speaks its stack's words.
            let (sreport, reply, swire) = server.remove(&cr).unwrap_or_else(|| {
                let stack = fleet
                    .servers
                    .iter()
                    .find(|s| server_key(&s.host, s.port) == meta.server)
                    .map_or(crate::profile::Stack::Generic, |s| s.profile.stack);
                let report = LocalReport {
                    stack,
                    ..LocalReport::new(Side::Server)
                };
                (report, None, Vec::new())
            });
            let wire = fleet.record.then(|| {
                let mut w: Vec<_> = cwire.into_iter().chain(swire).collect();
                w.sort_by_key(|e| e.time_ms);
                w
            });
            let server_label = fleet
                .servers
                .iter()
                .find(|s| server_key(&s.host, s.port) == meta.server)
                .map(|s| s.label.clone())
                .unwrap_or_else(|| meta.server.clone());
            let outcome = outcome_of(creport, sreport, reply.as_deref());
            ConnRecord {
                client: meta.client,
                server: server_label,
                client_host: meta.client_host,
                peer: meta.peer,
                index: meta.index,
                channel: meta.channel,
                start_ms: meta.start_ms,
                outcome,
                ftp_reply: reply,
                wire,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        (&a.client_host, &a.client, a.peer, a.index).cmp(&(
            &b.client_host,
            &b.client,
            b.peer,
            b.index,
        ))
    });
    Ok(out)
}

/// The outcome of one connection from both sides' reports; an FTPS data channel whose
/// server replied `reply` (it required a resumed session and got a full handshake, M6)
/// failed at the FTP level even though its TLS handshake succeeded.
fn outcome_of(creport: LocalReport, sreport: LocalReport, reply: Option<&str>) -> Outcome {
    let ctx = match reply {
        Some(reply) => Context::FtpsDataRefused { reply },
        None => Context::Pair,
    };
    Outcome::classified(creport, sreport, &ctx)
}
