//! The checks a [`Fleet`] passes before [`super::run_fleet`] builds a simulation: every
//! number in range, every host, label and port a fault or target names exists, simulated
//! time that cannot overflow, and a run small enough for memory and for turmoil's ports.
//! Each problem names the part of the fleet it is about ([`Locus`]), so the scenario
//! loader can point at the file, line and column that set it.

use super::{ClientSpec, FaultSpec, Fleet, DEFAULT_BACKLOG, MAX_BACKLOG};
use crate::engine::Millis;
use crate::profile::{Profile, MAX_SIMULATED_MS};
use std::collections::{BTreeMap, BTreeSet};

/// Ephemeral ports of one turmoil host: turmoil 0.7's default range is 49152..=65535
/// (`turmoil::Builder::ephemeral_ports`), 16,384 ports; a connect beyond them panics
/// ("ports exhausted"). Each logical peer holds at most one connection at a time (an FTPS
/// control connection is closed before its data connections), so the peers of one client
/// host may number at most this many.
pub const EPHEMERAL_PORTS: u64 = 65535 - 49152 + 1;

/// Hosts of one fleet. turmoil 0.7 numbers hosts 192.168.0.1 upwards in a /16 and wraps
/// after 65,535 (two hosts would share an address), and a simulation step scans every host
/// pair: DESIGN.md measured 14–19 ms per connection at 250 hosts, growing with the cube of
/// the host count, so 1,000 hosts are already about a second per connection.
pub const MAX_HOSTS: usize = 1000;

/// Memory for the records of one run: every record of a run (one scenario run, or one
/// shard of a study; a study runs one shard per thread at a time) is held until the run
/// ends.
pub const RUN_RECORD_BUDGET: u64 = 1 << 30;

/// Largest FTPS data transfers per control connection: a record's index is
/// `connection * 1000 + channel` (`net::client`), so channels 0..=999.
pub const MAX_FTPS_TRANSFERS: u32 = 999;

/// Estimated bytes of one connection's record in memory: the struct (856 bytes measured
/// with `size_of::<ConnRecord>()`), its short strings and explanation (about 700 bytes),
/// and per DH byte of p, 8 bytes of hex ground truth (Z and the pre-master secret, as hex,
/// on both sides). For ffdhe2048 that is 1,536 + 8 × 256 = 3,584 bytes; measured: 3.4 KB
/// of JSON per record of `scenarios/m1-dh-premaster-zeros.toml`.
pub fn record_bytes(dh_prime_bits: u64) -> u64 {
    1536 + 8 * dh_prime_bits.div_ceil(8)
}

/// Bits of the largest DH prime any server of the fleet serves.
fn largest_prime_bits(fleet: &Fleet) -> u64 {
    fleet
        .servers
        .iter()
        .map(|s| prime_bits(&s.profile))
        .max()
        .unwrap_or(2048)
        .max(2048)
}

fn prime_bits(p: &Profile) -> u64 {
    match &p.dh_custom_prime {
        Some(hex) => {
            let digits = hex.chars().filter(|c| c.is_ascii_hexdigit()).count();
            u64::try_from(digits).unwrap_or(u64::MAX).saturating_mul(4)
        }
        None => crate::crypto::DhGroup::named(p.dh_group).p.bits(),
    }
}

/// Largest connections one run may make, for the fleet's largest DH group.
pub fn max_connections_per_run(fleet: &Fleet) -> u64 {
    RUN_RECORD_BUDGET / record_bytes(largest_prime_bits(fleet))
}

/// Which part of a fleet a problem is about: `part` is "network", "server", "client",
/// "link" or "fault"; `index` the entry's position among its kind; `field` the scenario
/// file's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locus {
    pub part: &'static str,
    pub index: usize,
    pub field: &'static str,
}

/// One problem of a fleet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetIssue {
    pub at: Locus,
    pub message: String,
}

/// Connections one client entry makes in one run: peers × connections × (1 + transfers).
pub fn client_connections(c: &ClientSpec) -> Option<u64> {
    u64::from(c.peers)
        .checked_mul(u64::from(c.connections))?
        .checked_mul(1 + u64::from(c.ftps_transfers))
}

/// Flights a client writes in one connection, at most: ClientHello, its key exchange and
/// Finished (or, resumed, ChangeCipherSpec and Finished), and an alert; one more for
/// margin. A `slow` fault delays each of them.
const MAX_CLIENT_WRITES: u64 = 4;

/// The simulated time by which a client's last connection has ended (or timed out):
/// `start_ms + connections × (interval_ms + jitter_ms + (timeout_ms + delay) × (1 +
/// ftps_transfers)) + timeout_ms + delay`, where `delay` is the longest a connection fault
/// can hold the client's writes back ([`Fleet::fault_delay_ms`]; the application timeout
/// does not cover a write). None on overflow.
pub fn client_end_ms(c: &ClientSpec, timeout_ms: Millis, delay_ms: Millis) -> Option<Millis> {
    let conn = timeout_ms.checked_add(delay_ms)?;
    let per = conn
        .checked_mul(1 + u64::from(c.ftps_transfers))?
        .checked_add(c.interval_ms)?
        .checked_add(c.jitter_ms)?;
    u64::from(c.connections)
        .checked_mul(per)?
        .checked_add(c.start_ms)?
        .checked_add(conn)
}

/// The last time a fault acts on the network.
fn fault_end_ms(f: &FaultSpec) -> Millis {
    match f {
        FaultSpec::Partition { until_ms, .. } => *until_ms,
        FaultSpec::Crash {
            at_ms, restart_ms, ..
        } => restart_ms.unwrap_or(*at_ms),
        FaultSpec::Conn { .. } => 0,
    }
}

impl Fleet {
    /// The longest a connection fault can hold back the writes of one connection of the
    /// client labelled `label`: a `stall` once, a `slow` on each of its writes.
    pub fn fault_delay_ms(&self, label: &str) -> Millis {
        self.faults
            .iter()
            .filter_map(|f| match f {
                FaultSpec::Conn { fault, client, .. }
                    if client.as_deref().is_none_or(|c| c == label) =>
                {
                    match fault {
                        super::ConnFault::Stall { ms } => Some(*ms),
                        super::ConnFault::Slow { ms } => Some(ms.saturating_mul(MAX_CLIENT_WRITES)),
                        _ => None,
                    }
                }
                _ => None,
            })
            .max()
            .unwrap_or(0)
    }

    /// The simulated time by which every connection and fault is over, checked: an error
    /// when it overflows or exceeds [`MAX_SIMULATED_MS`] (10 years).
    pub fn end_estimate_ms(&self) -> Result<Millis, String> {
        let mut clients: Millis = 0;
        for c in &self.clients {
            let delay = self.fault_delay_ms(&c.label);
            let end = client_end_ms(c, self.timeout_ms, delay).ok_or_else(|| {
                format!(
                    "client {}: its schedule's simulated time overflows",
                    c.label
                )
            })?;
            clients = clients.max(end);
        }
        let faults = self.faults.iter().map(fault_end_ms).max().unwrap_or(0);
        let end = clients
            .checked_add(faults)
            .filter(|e| *e <= MAX_SIMULATED_MS)
            .ok_or_else(|| {
                format!(
                    "simulated time: the clients' schedules end at {clients} ms and the faults at {faults} ms; their sum is above 10 years ({MAX_SIMULATED_MS} ms)"
                )
            })?;
        Ok(end)
    }

    /// Every problem of the fleet, in the order of the scenario file (network, servers,
    /// clients, links, faults, then whole-fleet limits). Empty when it can run.
    pub fn issues(&self) -> Vec<FleetIssue> {
        let mut out = Vec::new();
        let mut bad = |part: &'static str, index: usize, field: &'static str, message: String| {
            out.push(FleetIssue {
                at: Locus { part, index, field },
                message,
            })
        };
        let ten_years = |v: u64| v > MAX_SIMULATED_MS;

        // ---- network ----
        let (lo, hi) = self.latency_ms;
        if self.tick_ms == 0 {
            bad(
                "network",
                0,
                "tick_ms",
                "tick_ms: 0; the simulation step is at least 1 ms".into(),
            );
        } else if self.tick_ms > self.timeout_ms && self.timeout_ms > 0 {
            bad(
                "network",
                0,
                "tick_ms",
                format!(
                    "tick_ms: {} ms is above timeout_ms ({} ms): a step longer than the timeout cannot measure it",
                    self.tick_ms, self.timeout_ms
                ),
            );
        }
        if self.timeout_ms == 0 {
            bad(
                "network",
                0,
                "timeout_ms",
                "timeout_ms: 0; every connection would time out before its first byte (at least 1 ms)".into(),
            );
        } else if ten_years(self.timeout_ms) {
            bad(
                "network",
                0,
                "timeout_ms",
                format!(
                    "timeout_ms: {} ms is above 10 years ({MAX_SIMULATED_MS} ms)",
                    self.timeout_ms
                ),
            );
        }
        latency_issue("network", 0, (lo, hi), self.timeout_ms, &mut bad);

        // ---- servers ----
        let mut ports: BTreeMap<(&str, u32), String> = BTreeMap::new();
        for (i, s) in self.servers.iter().enumerate() {
            if let Err(m) = host_name_ok(&s.host) {
                bad("server", i, "host", m);
            }
            if s.label.trim().is_empty() {
                bad(
                    "server",
                    i,
                    "label",
                    "label: empty; a label names the server in reports".into(),
                );
            }
            if s.port == 0 {
                bad(
                    "server",
                    i,
                    "port",
                    "port: 0 is not a port a client can connect to (1 to 65535)".into(),
                );
            }
            let key = format!("{}:{}", s.host, s.port);
            if let Some(first) = ports.get(&(s.host.as_str(), u32::from(s.port))) {
                bad(
                    "server",
                    i,
                    "port",
                    format!("{key} is given twice: it is already {first}; give each server its own host or port"),
                );
            }
            ports.insert(
                (&s.host, u32::from(s.port)),
                format!("the port of server {key}"),
            );
            if s.ftps.is_some() {
                let data = u32::from(s.port) + 1;
                if data > 65535 {
                    bad(
                        "server",
                        i,
                        "port",
                        format!("port: {}: an FTPS server (ftps = true) takes data connections on port + 1, and there is none above 65535 (at most 65534 for an FTPS server)", s.port),
                    );
                } else if let Some(first) = ports.get(&(s.host.as_str(), data)) {
                    bad(
                        "server",
                        i,
                        "ftps",
                        format!(
                            "ftps: the data port {}:{data} of this FTPS server is already {first}",
                            s.host
                        ),
                    );
                } else {
                    ports.insert((&s.host, data), format!("the FTPS data port of {key}"));
                }
            }
            if s.backlog == 0 || s.backlog > MAX_BACKLOG {
                bad(
                    "server",
                    i,
                    "backlog",
                    format!(
                        "backlog: {}; a listening port queues 1 to {MAX_BACKLOG} connections (listen(2) takes an int; default {DEFAULT_BACKLOG}, Linux's somaxconn since 5.4)",
                        s.backlog
                    ),
                );
            }
            if let Err(m) = s.profile.check() {
                bad(
                    "server",
                    i,
                    "profile",
                    format!("profile {}: {m}", s.profile.name),
                );
            }
        }
        let server_hosts: BTreeSet<&str> = self.servers.iter().map(|s| s.host.as_str()).collect();
        let hosts: BTreeSet<&str> = server_hosts
            .iter()
            .copied()
            .chain(self.clients.iter().map(|c| c.host.as_str()))
            .collect();
        let list = |set: &BTreeSet<&str>| set.iter().copied().collect::<Vec<_>>().join(", ");
        if hosts.len() > MAX_HOSTS {
            // Point at the entry that brings in host number MAX_HOSTS + 1.
            let mut seen: BTreeSet<&str> = BTreeSet::new();
            let entries = self
                .servers
                .iter()
                .enumerate()
                .map(|(i, s)| ("server", i, s.host.as_str()))
                .chain(
                    self.clients
                        .iter()
                        .enumerate()
                        .map(|(i, c)| ("client", i, c.host.as_str())),
                );
            for (part, i, h) in entries {
                seen.insert(h);
                if seen.len() > MAX_HOSTS {
                    bad(
                        part,
                        i,
                        "host",
                        format!(
                            "host: {h:?} is host number {}; a fleet has at most {MAX_HOSTS} hosts (turmoil's step cost grows with the cube of the host count, and its addresses wrap after 65535 hosts): put many peers on one host instead",
                            seen.len()
                        ),
                    );
                    break;
                }
            }
        }

        // ---- clients ----
        let mut labels: BTreeSet<(&str, &str)> = BTreeSet::new();
        for (i, c) in self.clients.iter().enumerate() {
            if let Err(m) = host_name_ok(&c.host) {
                bad("client", i, "host", m);
            }
            if server_hosts.contains(c.host.as_str()) {
                bad(
                    "client",
                    i,
                    "host",
                    format!(
                        "client host {:?} is also a server host; give clients their own host",
                        c.host
                    ),
                );
            }
            if c.label.trim().is_empty() {
                bad(
                    "client",
                    i,
                    "label",
                    "label: empty; a label names the client in reports".into(),
                );
            } else if !labels.insert((&c.host, &c.label)) {
                bad(
                    "client",
                    i,
                    "label",
                    format!(
                        "label: two clients on host {:?} are both labelled {:?}: their connections could not be told apart; give one a `label`",
                        c.host, c.label
                    ),
                );
            }
            if c.peers == 0 {
                bad(
                    "client",
                    i,
                    "peers",
                    "peers: 0; a client has at least 1 peer".into(),
                );
            }
            if c.connections == 0 {
                bad(
                    "client",
                    i,
                    "connections",
                    "connections: 0; each peer makes at least 1 connection".into(),
                );
            }
            if c.targets.is_empty() {
                bad(
                    "client",
                    i,
                    "targets",
                    "targets: a client needs at least one target".into(),
                );
            }
            for (h, p) in &c.targets {
                match self.servers.iter().find(|s| s.host == *h && s.port == *p) {
                    None => bad(
                        "client",
                        i,
                        "targets",
                        format!("targets: no server at \"{h}:{p}\""),
                    ),
                    Some(s) if c.ftps_transfers > 0 && s.ftps.is_none() => bad(
                        "client",
                        i,
                        "ftps_transfers",
                        format!(
                            "ftps_transfers: {} data connections per connection, but the target {h}:{p} is not an FTPS server (`ftps = true`): nothing listens on its data port",
                            c.ftps_transfers
                        ),
                    ),
                    Some(_) => {}
                }
            }
            if !(0.0..=1.0).contains(&c.resume_ratio) {
                bad(
                    "client",
                    i,
                    "resume_ratio",
                    format!("resume_ratio: {} is not within 0..=1", c.resume_ratio),
                );
            }
            if c.ftps_transfers > MAX_FTPS_TRANSFERS {
                bad(
                    "client",
                    i,
                    "ftps_transfers",
                    format!(
                        "ftps_transfers: {}; at most {MAX_FTPS_TRANSFERS} data connections per control connection",
                        c.ftps_transfers
                    ),
                );
            }
            for (field, v) in [
                ("start_ms", c.start_ms),
                ("interval_ms", c.interval_ms),
                ("jitter_ms", c.jitter_ms),
            ] {
                if ten_years(v) {
                    bad(
                        "client",
                        i,
                        field,
                        format!("{field}: {v} ms is above 10 years ({MAX_SIMULATED_MS} ms), the longest simulated time"),
                    );
                }
            }
            let fields_ok = !ten_years(c.start_ms)
                && !ten_years(c.interval_ms)
                && !ten_years(c.jitter_ms)
                && c.ftps_transfers <= MAX_FTPS_TRANSFERS;
            let delay = self.fault_delay_ms(&c.label);
            let end = client_end_ms(c, self.timeout_ms, delay);
            // A stall or slow fault longer than the timeout is reported with the fault.
            let delays_ok = self.faults.iter().all(|f| match f {
                FaultSpec::Conn {
                    fault: super::ConnFault::Slow { ms } | super::ConnFault::Stall { ms },
                    ..
                } => *ms <= self.timeout_ms,
                _ => true,
            });
            if fields_ok && delays_ok && end.is_none_or(ten_years) {
                let conn = if delay > 0 {
                    format!("({} + {delay} of fault delay)", self.timeout_ms)
                } else {
                    self.timeout_ms.to_string()
                };
                bad(
                    "client",
                    i,
                    "connections",
                    format!(
                        "simulated time: start_ms + connections × (interval_ms + jitter_ms + timeout_ms × (1 + ftps_transfers)) + timeout_ms = {} + {} × ({} + {} + {conn} × {}) + {conn} = {} ms, above 10 years ({MAX_SIMULATED_MS} ms)",
                        c.start_ms,
                        c.connections,
                        c.interval_ms,
                        c.jitter_ms,
                        1 + u64::from(c.ftps_transfers),
                        end.map_or_else(|| "more than 2^64".to_string(), |e| e.to_string())
                    ),
                );
            }
            if let Err(m) = c.profile.check_as_client() {
                bad(
                    "client",
                    i,
                    "profile",
                    format!("profile {}: {m}", c.profile.name),
                );
            }
        }

        // ---- links ----
        let mut pairs: BTreeSet<(&str, &str)> = BTreeSet::new();
        for (i, l) in self.links.iter().enumerate() {
            for (field, end) in [("a", &l.a), ("b", &l.b)] {
                if !hosts.contains(end.as_str()) {
                    bad(
                        "link",
                        i,
                        field,
                        format!("link: no host {end:?}; hosts: {}", list(&hosts)),
                    );
                }
            }
            if l.a == l.b {
                bad(
                    "link",
                    i,
                    "b",
                    format!("link: a link from {:?} to itself", l.a),
                );
            }
            let pair = if l.a <= l.b {
                (l.a.as_str(), l.b.as_str())
            } else {
                (l.b.as_str(), l.a.as_str())
            };
            if !pairs.insert(pair) {
                bad(
                    "link",
                    i,
                    "b",
                    format!("link: the link between {:?} and {:?} is given twice (the second would replace the first)", l.a, l.b),
                );
            }
            latency_issue("link", i, l.latency_ms, self.timeout_ms, &mut bad);
        }

        // ---- faults ----
        let client_labels: BTreeSet<&str> = self.clients.iter().map(|c| c.label.as_str()).collect();
        let mut share_sums: BTreeMap<&str, f64> = BTreeMap::new();
        for (i, f) in self.faults.iter().enumerate() {
            match f {
                FaultSpec::Partition {
                    a,
                    b,
                    at_ms,
                    until_ms,
                } => {
                    for (field, h) in [("a", a), ("b", b)] {
                        if !hosts.contains(h.as_str()) {
                            bad(
                                "fault",
                                i,
                                field,
                                format!("{field}: no host {h:?}; hosts: {}", list(&hosts)),
                            );
                        }
                    }
                    if a == b {
                        bad(
                            "fault",
                            i,
                            "b",
                            format!("b: a partition between {a:?} and itself"),
                        );
                    }
                    time_issue(i, "at_ms", *at_ms, &mut bad);
                    time_issue(i, "until_ms", *until_ms, &mut bad);
                    if until_ms <= at_ms {
                        bad(
                            "fault",
                            i,
                            "until_ms",
                            format!("until_ms: {until_ms} is not after at_ms ({at_ms}): the partition would never be in place"),
                        );
                    }
                }
                FaultSpec::Crash {
                    host,
                    at_ms,
                    restart_ms,
                } => {
                    if !hosts.contains(host.as_str()) {
                        bad(
                            "fault",
                            i,
                            "host",
                            format!("host: no host {host:?}; hosts: {}", list(&hosts)),
                        );
                    } else if !server_hosts.contains(host.as_str()) {
                        bad(
                            "fault",
                            i,
                            "host",
                            format!(
                                "host: {host:?} is a client host; crashing a client host is not supported (its peers are one turmoil client that cannot restart); server hosts: {}",
                                list(&server_hosts)
                            ),
                        );
                    }
                    time_issue(i, "at_ms", *at_ms, &mut bad);
                    if let Some(r) = restart_ms {
                        time_issue(i, "restart_ms", *r, &mut bad);
                        if r <= at_ms {
                            bad(
                                "fault",
                                i,
                                "restart_ms",
                                format!("restart_ms: {r} is not after at_ms ({at_ms}): a host restarts after it crashes"),
                            );
                        }
                    }
                }
                FaultSpec::Conn {
                    share,
                    fault,
                    client,
                } => {
                    if !(share.is_finite() && (0.0..=1.0).contains(share)) {
                        bad(
                            "fault",
                            i,
                            "share",
                            format!("share: {share} is not within 0..=1"),
                        );
                    }
                    if let Some(l) = client {
                        if !client_labels.contains(l.as_str()) {
                            bad(
                                "fault",
                                i,
                                "client",
                                format!(
                                    "client: no client labelled {l:?}; clients: {}",
                                    list(&client_labels)
                                ),
                            );
                        }
                    }
                    if let super::ConnFault::Slow { ms } | super::ConnFault::Stall { ms } = fault {
                        if *ms > self.timeout_ms {
                            bad(
                                "fault",
                                i,
                                "fault",
                                format!(
                                    "fault: {ms} ms is longer than timeout_ms ({} ms): the server gives up after the timeout, so a longer delay ends the same way and only lengthens the run (and the client's writes are not covered by its timeout)",
                                    self.timeout_ms
                                ),
                            );
                        }
                    }
                    if share.is_finite() && (0.0..=1.0).contains(share) {
                        for l in &client_labels {
                            if client.as_deref().is_none_or(|c| c == *l) {
                                let sum = share_sums.entry(l).or_insert(0.0);
                                let before = *sum;
                                *sum += share;
                                if *sum > 1.0 + 1e-9 && before <= 1.0 + 1e-9 {
                                    bad(
                                        "fault",
                                        i,
                                        "share",
                                        format!(
                                            "share: the connection faults that apply to client {l:?} have shares summing to {}, above 1 (each connection gets at most one fault)",
                                            (*sum * 1e9).round() / 1e9
                                        ),
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }

        // ---- whole fleet: ports, memory, time ----
        let mut per_host: BTreeMap<&str, u64> = BTreeMap::new();
        for (i, c) in self.clients.iter().enumerate() {
            let n = per_host.entry(&c.host).or_insert(0);
            let before = *n;
            *n += u64::from(c.peers);
            if *n > EPHEMERAL_PORTS && before <= EPHEMERAL_PORTS {
                bad(
                    "client",
                    i,
                    "peers",
                    format!(
                        "peers: the clients on host {:?} have {} peers in all, each holding one connection at a time, and a turmoil host has {EPHEMERAL_PORTS} ephemeral ports (49152 to 65535): at most {EPHEMERAL_PORTS} peers per client host; spread them over more hosts",
                        c.host, n
                    ),
                );
            }
        }
        let max_run = max_connections_per_run(self);
        let bytes = record_bytes(largest_prime_bits(self));
        let mut total: u64 = 0;
        for (i, c) in self.clients.iter().enumerate() {
            let before = total;
            total = client_connections(c).map_or(u64::MAX, |n| total.saturating_add(n));
            if total > max_run && before <= max_run {
                bad(
                    "client",
                    i,
                    "connections",
                    format!(
                        "connections per run: peers × connections × (1 + ftps_transfers), summed over the clients, is {total}; one run holds every record in memory (about {bytes} bytes each with a {}-bit DH group), and its budget is {RUN_RECORD_BUDGET} bytes (1 GiB): at most {max_run} connections per run. Use fewer here, and more shards in a study",
                        largest_prime_bits(self)
                    ),
                );
            }
        }
        if out.is_empty() {
            if let Err(m) = self.end_estimate_ms() {
                out.push(FleetIssue {
                    at: Locus {
                        part: "fault",
                        index: 0,
                        field: "at_ms",
                    },
                    message: m,
                });
            }
        }
        out
    }

    /// [`Fleet::issues`] as one message (the first problem), for callers without a file.
    pub fn validate(&self) -> Result<(), String> {
        match self.issues().into_iter().next() {
            None => Ok(()),
            Some(i) => Err(format!("{} {}: {}", i.at.part, i.at.index, i.message)),
        }
    }
}

/// A host name tlsim can give turmoil: letters, digits, '.', '-' and '_', not an IP
/// address (turmoil would take it for one).
pub fn host_name_ok(h: &str) -> Result<(), String> {
    if h.is_empty() {
        return Err("host: empty; name the host".into());
    }
    if !h
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        return Err(format!(
            "host: {h:?} is not a host name (letters, digits, '.', '-' and '_')"
        ));
    }
    if h.parse::<std::net::IpAddr>().is_ok() {
        return Err(format!(
            "host: {h:?} is an IP address; give hosts names (turmoil assigns the addresses)"
        ));
    }
    Ok(())
}

fn latency_issue(
    part: &'static str,
    index: usize,
    (lo, hi): (Millis, Millis),
    timeout_ms: Millis,
    bad: &mut impl FnMut(&'static str, usize, &'static str, String),
) {
    if lo > hi {
        bad(
            part,
            index,
            "latency_ms",
            format!("latency_ms: [{lo}, {hi}]: the minimum ({lo}) is above the maximum ({hi})"),
        );
    } else if hi > MAX_SIMULATED_MS {
        bad(
            part,
            index,
            "latency_ms",
            format!("latency_ms: {hi} ms is above 10 years ({MAX_SIMULATED_MS} ms)"),
        );
    } else if timeout_ms > 0 && hi >= timeout_ms {
        bad(
            part,
            index,
            "latency_ms",
            format!(
                "latency_ms: a one-way latency of up to {hi} ms is not below timeout_ms ({timeout_ms} ms): connections would time out before a segment arrives"
            ),
        );
    }
}

fn time_issue(
    index: usize,
    field: &'static str,
    v: Millis,
    bad: &mut impl FnMut(&'static str, usize, &'static str, String),
) {
    if v > MAX_SIMULATED_MS {
        bad(
            "fault",
            index,
            field,
            format!("{field}: {v} ms is above 10 years ({MAX_SIMULATED_MS} ms), the longest simulated time"),
        );
    }
}
