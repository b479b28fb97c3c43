//! The fleet's description ([`Fleet`]: servers, clients, links, faults, timing) and the
//! turmoil Sim it builds: simulated duration, tick, latencies, seed, epoch and the TCP
//! capacity its listeners need; which ports a server listens on; hosts grouped by name.

use super::faults::FaultSpec;
use crate::engine::Millis;
use crate::profile::Profile;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

/// How a data channel of an FTPS server treats TLS session reuse (M6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FtpsServer {
    /// The data connection must resume the control connection's TLS session.
    pub require_reuse: bool,
    /// The reply the server sends on the control connection when it does not
    /// (FileZilla Server 1.x: "425 Unable to build data connection: TLS session of data
    /// connection not resumed"; 0.9.x: "450 TLS session of data connection has not
    /// resumed").
    pub reply: String,
}

/// The application protocol that carries a server's TLS. It changes only how a capture
/// frames the records (`report::pcap`), never the simulated handshake.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AppProtocol {
    /// TLS directly over TCP (HTTPS, FTPS, LDAPS, …).
    #[default]
    Tls,
    /// SQL Server's TDS: the TLS handshake travels as the payload of TDS PRELOGIN packets
    /// (type 0x12) after the PRELOGIN exchange, then TLS records directly over TCP
    /// (MS-TDS §2.2.6.5 PRELOGIN, §3.2.5.1 Sent Initial PRE-LOGIN Packet State,
    /// https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-tds/60f56408-0188-4cd5-8b90-25c6f2423868).
    Tds,
}

#[derive(Debug, Clone)]
pub struct ServerSpec {
    pub host: String,
    pub port: u16,
    /// Label in reports (profile name).
    pub label: String,
    pub profile: Arc<Profile>,
    pub ftps: Option<FtpsServer>,
    /// The listen backlog of each of its ports: the connections that may wait in the accept
    /// queue (`listen(2)`'s `backlog`). The server's application accepts once per
    /// simulation step, so the connections whose SYN arrives within one step wait together;
    /// one that finds `backlog` connections waiting is refused with a reset, which its
    /// client sees before its handshake completes (`connection-reset`). 1 to
    /// [`MAX_BACKLOG`]; [`DEFAULT_BACKLOG`] when the scenario does not say.
    pub backlog: u32,
    /// The application protocol carrying its TLS (scenario `app_protocol`, default `tls`).
    pub app_protocol: AppProtocol,
}

/// The backlog of a server whose scenario does not give one: 4096, the cap Linux puts on
/// every listen backlog since 5.4 (`net.core.somaxconn`, "Since Linux 5.4, the default in
/// this file is 4096; in earlier kernels, the default value is 128", listen(2)), which a
/// server asking for `SOMAXCONN` or more gets. Windows gives a listener asking for
/// `SOMAXCONN` "a maximum reasonable value" and one asking for `SOMAXCONN_HINT(N)` N within
/// 200 to 65535 (Microsoft, Winsock `listen` function,
/// <https://learn.microsoft.com/en-us/windows/win32/api/winsock2/nf-winsock2-listen>).
pub const DEFAULT_BACKLOG: u32 = 4096;

/// The largest backlog: `listen(2)` takes an `int` (`i32::MAX`, which is also Windows'
/// `SOMAXCONN`).
pub const MAX_BACKLOG: u32 = 0x7fff_ffff;

#[derive(Debug, Clone)]
pub struct ClientSpec {
    pub host: String,
    pub label: String,
    pub profile: Arc<Profile>,
    /// Logical peers on the host, each with its own session store.
    pub peers: u32,
    /// Connections (or FTPS transfers) per peer.
    pub connections: u32,
    /// Time of the first connection of each peer.
    pub start_ms: Millis,
    /// Think time between two connections of one peer.
    pub interval_ms: Millis,
    /// Extra random think time in [0, jitter_ms).
    pub jitter_ms: Millis,
    /// Servers ("host:port") this peer connects to, chosen in turn.
    pub targets: Vec<(String, u16)>,
    /// Share of reconnects that keep the cached session (the rest start afresh).
    pub resume_ratio: f64,
    /// FTPS: each connection is a control connection followed by this many data
    /// connections that try to resume it.
    pub ftps_transfers: u32,
}

/// A link whose latency differs from the fleet's default range.
#[derive(Debug, Clone)]
pub struct LinkSpec {
    pub a: String,
    pub b: String,
    /// One-way latency range [min, max] in ms.
    pub latency_ms: (Millis, Millis),
}

#[derive(Debug, Clone)]
pub struct Fleet {
    pub seed: u64,
    pub tick_ms: Millis,
    pub latency_ms: (Millis, Millis),
    pub timeout_ms: Millis,
    pub servers: Vec<ServerSpec>,
    pub clients: Vec<ClientSpec>,
    pub faults: Vec<FaultSpec>,
    /// Per-link latency ranges.
    pub links: Vec<LinkSpec>,
    /// Record every connection's wire events (for replays and ladders; costs memory).
    pub record: bool,
}

/// The name a client uses for a server, and the key of its session cache: "host:port".
pub(super) fn server_key(host: &str, port: u16) -> String {
    format!("{host}:{port}")
}

/// The ports a server listens on, each with the FTPS check its connections get: the TLS
/// (or FTPS control) port without one and, for an FTPS server, the data port (port + 1)
/// with it. Both share the server's session cache, so a data connection can resume the
/// control connection's session.
pub(super) fn listen_ports(spec: &ServerSpec) -> Vec<(u16, Option<FtpsServer>)> {
    match &spec.ftps {
        Some(f) => vec![(spec.port, None), (spec.port + 1, Some(f.clone()))],
        None => vec![(spec.port, None)],
    }
}

/// Entries grouped by their host, hosts in name order, entries in file order.
pub(super) fn by_host<T: Clone>(entries: &[T], host: impl Fn(&T) -> &str) -> Vec<(String, Vec<T>)> {
    let mut out: BTreeMap<String, Vec<T>> = BTreeMap::new();
    for e in entries {
        out.entry(host(e).to_string()).or_default().push(e.clone());
    }
    out.into_iter().collect()
}

/// The Sim of a fleet whose connections and faults are over by `end_ms`: it runs for twice
/// that plus a minute, so the last connections can time out.
pub(super) fn build_sim(fleet: &Fleet, end_ms: Millis) -> turmoil::Sim<'static> {
    turmoil::Builder::new()
        .simulation_duration(Duration::from_millis(end_ms * 2 + 60_000))
        .tick_duration(Duration::from_millis(fleet.tick_ms.max(1)))
        .min_message_latency(Duration::from_millis(fleet.latency_ms.0))
        .max_message_latency(Duration::from_millis(
            fleet.latency_ms.1.max(fleet.latency_ms.0),
        ))
        .rng_seed(fleet.seed)
        // turmoil's own SYN queue never overflows (it panics when one does); the server's
        // modelled backlog (`ServerSpec::backlog`) refuses connections in server.rs.
        .tcp_capacity(tcp_capacity(fleet))
        .epoch(std::time::UNIX_EPOCH + Duration::from_secs(1_570_492_800)) // 2019-10-08
        .build()
}

/// Per-link latency: turmoil sets a fixed latency, then raises the link's maximum.
pub(super) fn set_link_latencies(sim: &mut turmoil::Sim<'_>, fleet: &Fleet) {
    for l in &fleet.links {
        sim.set_link_latency(
            l.a.as_str(),
            l.b.as_str(),
            Duration::from_millis(l.latency_ms.0),
        );
        sim.set_link_max_message_latency(
            l.a.as_str(),
            l.b.as_str(),
            Duration::from_millis(l.latency_ms.1.max(l.latency_ms.0)),
        );
    }
}

/// turmoil 0.7's default `tcp_capacity`: the backlog of a listening socket (and the segment
/// queue of a stream). A SYN that finds the backlog full panics ("server socket buffer
/// full").
const TURMOIL_TCP_CAPACITY: usize = 64;

/// The `tcp_capacity` a fleet needs so that no turmoil listener queue can overflow: it
/// holds SYNs not yet accepted, and each peer has at most one connection attempt at a time,
/// so the peers that target one listening port (FTPS data ports included) bound it. At
/// least turmoil's default of 64, so fleets within it run exactly as before. This is the
/// simulator's bound, not the server's: the backlog a server models is
/// [`ServerSpec::backlog`], applied as its accept loop takes the connections.
pub(super) fn tcp_capacity(fleet: &Fleet) -> usize {
    let mut per: BTreeMap<(&str, u32), u64> = BTreeMap::new();
    for c in &fleet.clients {
        let targets: BTreeSet<(&str, u16)> =
            c.targets.iter().map(|(h, p)| (h.as_str(), *p)).collect();
        for (h, p) in targets {
            *per.entry((h, u32::from(p))).or_insert(0) += u64::from(c.peers);
            if c.ftps_transfers > 0 {
                *per.entry((h, u32::from(p) + 1)).or_insert(0) += u64::from(c.peers);
            }
        }
    }
    per.values()
        .map(|n| usize::try_from(*n).unwrap_or(usize::MAX))
        .max()
        .unwrap_or(0)
        .max(TURMOIL_TCP_CAPACITY)
}
