//! The simulated fleet: turmoil hosts (machines or sites), each running many logical TLS
//! peers as tokio tasks, connected over turmoil's seeded TCP. The TLS engine is the sans-IO
//! engine; this module only moves its bytes, keeps the per-host session state, injects the
//! configured network faults and collects both sides' reports into outcomes.
//!
//! turmoil facts that shape this (DESIGN.md "The network"): a step costs roughly the cube of
//! the host count, so a host is a machine or a site and carries many peers; each Sim is
//! built and run on one thread; turmoil's TCP has no retransmit (a dropped segment stalls
//! the connection until the application's timeout); per-connection faults go through a
//! seeded stream wrapper here, not turmoil's per-link `fail_rate`.

mod stream;
mod validate;

use crate::engine::{
    Connection, Context, HandshakeKind, LocalReport, Millis, Outcome, PeerState, Side,
};
use crate::profile::Profile;
use crate::seed::rng_for;
use rand_core::RngCore;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;
use stream::{Frame, FramedStream};
pub use validate::{
    client_connections, client_end_ms, host_name_ok, max_connections_per_run, record_bytes,
    FleetIssue, Locus, EPHEMERAL_PORTS, MAX_FTPS_TRANSFERS, MAX_HOSTS, RUN_RECORD_BUDGET,
};

/// A network fault applied to a share of connections, through the stream wrapper.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum ConnFault {
    /// The client's bytes stop reaching the server after this many bytes (a black hole):
    /// the connection stalls until the application's timeout.
    DropAfter { bytes: u64 },
    /// The connection is reset after the client has sent this many bytes.
    ResetAfter { bytes: u64 },
    /// Every write of the client waits this long (a slow peer).
    Slow { ms: u64 },
    /// The client stalls this long before its first write.
    Stall { ms: u64 },
}

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

#[derive(Debug, Clone)]
pub struct ServerSpec {
    pub host: String,
    pub port: u16,
    /// Label in reports (profile name).
    pub label: String,
    pub profile: Arc<Profile>,
    pub ftps: Option<FtpsServer>,
}

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

#[derive(Debug, Clone)]
pub enum FaultSpec {
    Partition {
        a: String,
        b: String,
        at_ms: Millis,
        until_ms: Millis,
    },
    Crash {
        host: String,
        at_ms: Millis,
        restart_ms: Option<Millis>,
    },
    Conn {
        share: f64,
        fault: ConnFault,
        client: Option<String>,
    },
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

/// One connection's outcome with where it happened.
#[derive(Debug, Clone, Serialize)]
pub struct ConnRecord {
    pub client: String,
    pub server: String,
    pub client_host: String,
    pub peer: u32,
    pub index: u32,
    /// "tls", "ftps-control" or "ftps-data".
    pub channel: String,
    pub start_ms: Millis,
    pub outcome: Outcome,
    /// The FTP reply the server sent, for FTPS data channels it refused.
    pub ftp_reply: Option<String>,
    /// The records both sides sent, when the fleet records.
    #[serde(skip)]
    pub wire: Option<Vec<crate::engine::WireEvent>>,
}

/// Reports of both sides, matched by the client's random.
#[derive(Default)]
struct Collector {
    /// Server-side connections still running.
    active: usize,
    client: Vec<(
        ClientMeta,
        LocalReport,
        [u8; 32],
        Vec<crate::engine::WireEvent>,
    )>,
    server: BTreeMap<[u8; 32], (LocalReport, Option<String>, Vec<crate::engine::WireEvent>)>,
}

#[derive(Clone)]
struct ClientMeta {
    client: String,
    server: String,
    client_host: String,
    peer: u32,
    index: u32,
    channel: &'static str,
    start_ms: Millis,
}

fn now_ms() -> Millis {
    millis(turmoil::elapsed())
}

/// `d` in whole milliseconds, saturating: a u64 holds 584 million years of them, and a run's
/// simulated time is bounded by its `simulation_duration` (u64 milliseconds) plus a tick.
fn millis(d: Duration) -> Millis {
    Millis::try_from(d.as_millis()).unwrap_or(Millis::MAX)
}

/// Move one engine's bytes over a framed stream until its handshake completes, it
/// closes, the peer closes, or the timeout expires.
async fn drive(
    conn: &mut Connection,
    s: &mut FramedStream,
    env: &RefCell<PeerState>,
    timeout_ms: Millis,
    wire: &mut Option<Vec<crate::engine::WireEvent>>,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(timeout_ms);
    let mut flight: Vec<Vec<u8>> = Vec::new();
    loop {
        // Everything the engine has to send now goes out as one write; a close ends it.
        let mut close = None;
        while let Some(t) = conn.poll_transmit() {
            if let Some(w) = wire.as_mut() {
                w.push(crate::engine::WireEvent {
                    time_ms: now_ms(),
                    from: conn.side(),
                    summary: t.summary.clone(),
                    bytes: t.bytes.clone(),
                    close: t.close,
                });
            }
            if !t.bytes.is_empty() {
                flight.push(t.bytes);
            }
            if t.close.is_some() {
                close = t.close;
                break;
            }
        }
        if !flight.is_empty() {
            let sent = s.send(&flight).await;
            flight.clear();
            if sent.is_err() {
                conn.handle_close(now_ms(), crate::engine::CloseKind::Rst);
                return;
            }
        }
        if let Some(k) = close {
            s.close(k).await;
            return;
        }
        if conn.is_handshake_complete() || conn.is_closed() {
            return;
        }
        match tokio::time::timeout_at(deadline, s.recv()).await {
            Ok(Frame::Data(b)) => conn.handle_input(now_ms(), &b, &mut env.borrow_mut()),
            Ok(Frame::Closed(k)) => conn.handle_close(now_ms(), k),
            Err(_) => conn.handle_timeout(now_ms()),
        }
    }
}

struct ServerCtx {
    profile: Arc<Profile>,
    env: Rc<RefCell<PeerState>>,
    col: Rc<RefCell<Collector>>,
    check: Option<FtpsServer>,
    seed: u64,
    timeout: Millis,
    path: [u64; 4],
    record: bool,
}

async fn accept_loop(listener: turmoil::net::TcpListener, ctx: ServerCtx) {
    let ctx = Rc::new(ctx);
    let mut n = 0u64;
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        n += 1;
        let ctx = ctx.clone();
        ctx.col.borrow_mut().active += 1;
        tokio::task::spawn_local(async move {
            let [a, b, c, d] = ctx.path;
            let mut s = FramedStream::new(stream, None, rng_for(ctx.seed, &[3, a, b, c, d, n]));
            let mut conn = Connection::server(
                ctx.profile.clone(),
                rng_for(ctx.seed, &[2, a, b, c, d, n]),
                now_ms(),
            )
            .with_summaries(ctx.record);
            let mut wire = ctx.record.then(Vec::new);
            drive(&mut conn, &mut s, &ctx.env, ctx.timeout, &mut wire).await;
            let report = conn.take_report();
            let cr = conn.client_random();
            // FTPS data channel: the server checks that the TLS session was resumed from
            // a control connection (M6).
            let reply = match (&ctx.check, report.complete) {
                (Some(f), true) if f.require_reuse && report.kind != HandshakeKind::Resumed => {
                    Some(f.reply.clone())
                }
                _ => None,
            };
            let mut col = ctx.col.borrow_mut();
            col.active -= 1;
            if cr != [0; 32] {
                col.server
                    .insert(cr, (report, reply, wire.unwrap_or_default()));
            }
        });
    }
}

fn server_key(host: &str, port: u16) -> String {
    format!("{host}:{port}")
}

/// Run a fleet to completion and return every connection's record, in a deterministic
/// order (client host, peer, connection index, channel).
pub fn run_fleet(fleet: &Fleet) -> Result<Vec<ConnRecord>, String> {
    // Every value checked before the simulation exists: nothing below may panic on what a
    // file said (validate.rs), and the end time cannot overflow.
    fleet.validate()?;
    let end_ms = fleet.end_estimate_ms()?;
    let collector: Rc<RefCell<Collector>> = Rc::new(RefCell::new(Collector::default()));
    let mut sim = turmoil::Builder::new()
        .simulation_duration(Duration::from_millis(end_ms * 2 + 60_000))
        .tick_duration(Duration::from_millis(fleet.tick_ms.max(1)))
        .min_message_latency(Duration::from_millis(fleet.latency_ms.0))
        .max_message_latency(Duration::from_millis(
            fleet.latency_ms.1.max(fleet.latency_ms.0),
        ))
        .rng_seed(fleet.seed)
        // No listener's backlog can overflow (turmoil panics when one does).
        .tcp_capacity(validate::tcp_capacity(fleet))
        .epoch(std::time::UNIX_EPOCH + Duration::from_secs(1_570_492_800)) // 2019-10-08
        .build();

    // Servers, grouped by host; each (host, port) has its own session cache and keys.
    let mut by_host: BTreeMap<String, Vec<ServerSpec>> = BTreeMap::new();
    for s in &fleet.servers {
        by_host.entry(s.host.clone()).or_default().push(s.clone());
    }
    for (hi, (host, specs)) in by_host.into_iter().enumerate() {
        let col = collector.clone();
        let seed = fleet.seed;
        let timeout = fleet.timeout_ms;
        let record = fleet.record;
        // A restarted host loses its session caches: state is created inside the factory.
        let boots = Rc::new(RefCell::new(0u64));
        sim.host(host.as_str(), move || {
            let specs = specs.clone();
            let col = col.clone();
            let boot = {
                let mut b = boots.borrow_mut();
                *b += 1;
                *b
            };
            async move {
                let mut tasks = Vec::new();
                for (si, spec) in specs.into_iter().enumerate() {
                    let env = Rc::new(RefCell::new(PeerState::new(&mut rng_for(
                        seed,
                        &[1, hi as u64, si as u64, boot],
                    ))));
                    // An FTPS server also listens on port + 1 for data connections, with
                    // the same session cache so a data connection can resume the control
                    // connection's session.
                    let ports: Vec<(u16, Option<FtpsServer>)> = match &spec.ftps {
                        Some(f) => vec![(spec.port, None), (spec.port + 1, Some(f.clone()))],
                        None => vec![(spec.port, None)],
                    };
                    for (pi, (port, check)) in ports.into_iter().enumerate() {
                        let listener = turmoil::net::TcpListener::bind(("0.0.0.0", port)).await?;
                        let ctx = ServerCtx {
                            profile: spec.profile.clone(),
                            env: env.clone(),
                            col: col.clone(),
                            check,
                            seed,
                            timeout,
                            path: [hi as u64, si as u64, pi as u64, boot],
                            record,
                        };
                        tasks.push(tokio::task::spawn_local(accept_loop(listener, ctx)));
                    }
                }
                for t in tasks {
                    let _ = t.await;
                }
                Ok(())
            }
        });
    }

    // Clients: one turmoil client per client host; each logical peer a task.
    let mut by_client_host: BTreeMap<String, Vec<ClientSpec>> = BTreeMap::new();
    for c in &fleet.clients {
        by_client_host
            .entry(c.host.clone())
            .or_default()
            .push(c.clone());
    }
    for (hi, (host, specs)) in by_client_host.into_iter().enumerate() {
        let col = collector.clone();
        let seed = fleet.seed;
        let timeout = fleet.timeout_ms;
        let record = fleet.record;
        let faults: Vec<(f64, ConnFault, Option<String>)> = fleet
            .faults
            .iter()
            .filter_map(|f| match f {
                FaultSpec::Conn {
                    share,
                    fault,
                    client,
                } => Some((*share, *fault, client.clone())),
                _ => None,
            })
            .collect();
        let host_name = host.clone();
        sim.client(host.as_str(), async move {
            let mut tasks = Vec::new();
            // Peers are numbered per host across its client entries, so that
            // `host.peer.index` (a replay id's connection) names one connection even when
            // two entries share a host; the seed paths keep the entry's own numbering.
            let mut peer_base = 0u32;
            for (ci, spec) in specs.into_iter().enumerate() {
                let base = peer_base;
                // Fleet validation bounds the peers of one host (EPHEMERAL_PORTS).
                peer_base = peer_base.saturating_add(spec.peers);
                for peer in 0..spec.peers {
                    let spec = spec.clone();
                    let col = col.clone();
                    let faults = faults.clone();
                    let host_name = host_name.clone();
                    tasks.push(tokio::task::spawn_local(async move {
                        let path = [hi as u64, ci as u64, peer as u64];
                        let env = RefCell::new(PeerState::new(&mut rng_for(
                            seed,
                            &[4, path[0], path[1], path[2]],
                        )));
                        let mut sched = rng_for(seed, &[5, path[0], path[1], path[2]]);
                        tokio::time::sleep(Duration::from_millis(spec.start_ms)).await;
                        for i in 0..spec.connections {
                            let (th, tp) = spec.targets[i as usize % spec.targets.len()].clone();
                            let server_id = server_key(&th, tp);
                            // Reconnect-and-resume ratio: some reconnects start afresh.
                            let keep =
                                (sched.next_u64() as f64 / u64::MAX as f64) < spec.resume_ratio;
                            if !keep {
                                env.borrow_mut().client_forget(&server_id);
                            }
                            let channels: Vec<&'static str> = if spec.ftps_transfers > 0 {
                                std::iter::once("ftps-control")
                                    .chain(std::iter::repeat_n(
                                        "ftps-data",
                                        spec.ftps_transfers as usize,
                                    ))
                                    .collect()
                            } else {
                                vec!["tls"]
                            };
                            for (k, channel) in (0u32..).zip(channels) {
                                let roll = sched.next_u64() as f64 / u64::MAX as f64;
                                let mut acc = 0.0;
                                let fault = faults.iter().find_map(|(share, f, only)| {
                                    if only.as_ref().is_some_and(|o| *o != spec.label) {
                                        return None;
                                    }
                                    acc += share;
                                    (roll < acc).then_some(*f)
                                });
                                let start = now_ms();
                                let meta = ClientMeta {
                                    client: spec.label.clone(),
                                    server: String::new(),
                                    client_host: host_name.clone(),
                                    peer: base.saturating_add(peer),
                                    index: i * 1000 + k,
                                    channel,
                                    start_ms: start,
                                };
                                let mut wire = record.then(Vec::new);
                                let conn_rng = rng_for(
                                    seed,
                                    &[6, path[0], path[1], path[2], u64::from(i), u64::from(k)],
                                );
                                let mut conn = Connection::client(
                                    spec.profile.clone(),
                                    &server_id,
                                    conn_rng,
                                    start,
                                    &mut env.borrow_mut(),
                                )
                                .with_summaries(record);
                                let port = if channel == "ftps-data" { tp + 1 } else { tp };
                                let connected = tokio::time::timeout(
                                    Duration::from_millis(timeout),
                                    turmoil::net::TcpStream::connect((th.as_str(), port)),
                                )
                                .await;
                                match connected {
                                    Ok(Ok(stream)) => {
                                        let mut s = FramedStream::new(
                                            stream,
                                            fault,
                                            rng_for(
                                                seed,
                                                &[
                                                    7,
                                                    path[0],
                                                    path[1],
                                                    path[2],
                                                    u64::from(i),
                                                    u64::from(k),
                                                ],
                                            ),
                                        );
                                        drive(&mut conn, &mut s, &env, timeout, &mut wire).await;
                                        drop(s);
                                    }
                                    Ok(Err(_)) => {
                                        conn.handle_close(now_ms(), crate::engine::CloseKind::Rst)
                                    }
                                    Err(_) => conn.handle_timeout(now_ms()),
                                }
                                let report = conn.take_report();
                                col.borrow_mut().client.push((
                                    ClientMeta {
                                        server: server_id.clone(),
                                        ..meta
                                    },
                                    report,
                                    conn.client_random(),
                                    wire.unwrap_or_default(),
                                ));
                            }
                            let jitter = if spec.jitter_ms > 0 {
                                sched.next_u64() % spec.jitter_ms
                            } else {
                                0
                            };
                            tokio::time::sleep(Duration::from_millis(spec.interval_ms + jitter))
                                .await;
                        }
                    }));
                }
            }
            for t in tasks {
                let _ = t.await;
            }
            // Let servers finish (or time out on) the last connections before the Sim ends:
            // wait until none is running, at most one timeout.
            let until = tokio::time::Instant::now() + Duration::from_millis(timeout + 100);
            while col.borrow().active > 0 && tokio::time::Instant::now() < until {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            Ok(())
        });
    }

    // Per-link latency: turmoil sets a fixed latency, then raises the link's maximum.
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

    // Host-level faults by simulated time; the loop steps the Sim itself.
    let mut events: Vec<(Millis, usize, &FaultSpec, bool)> = Vec::new();
    for (i, f) in fleet.faults.iter().enumerate() {
        match f {
            FaultSpec::Partition {
                at_ms, until_ms, ..
            } => {
                events.push((*at_ms, i, f, true));
                events.push((*until_ms, i, f, false));
            }
            FaultSpec::Crash {
                at_ms, restart_ms, ..
            } => {
                events.push((*at_ms, i, f, true));
                if let Some(r) = restart_ms {
                    events.push((*r, i, f, false));
                }
            }
            FaultSpec::Conn { .. } => {}
        }
    }
    events.sort_by_key(|e| (e.0, e.1, !e.3));
    let mut next = 0;
    loop {
        let t = millis(sim.elapsed());
        while next < events.len() && events[next].0 <= t {
            let (_, _, f, on) = events[next];
            match (f, on) {
                (FaultSpec::Partition { a, b, .. }, true) => sim.partition(a.as_str(), b.as_str()),
                (FaultSpec::Partition { a, b, .. }, false) => sim.repair(a.as_str(), b.as_str()),
                (FaultSpec::Crash { host, .. }, true) => sim.crash(host.as_str()),
                (FaultSpec::Crash { host, .. }, false) => sim.bounce(host.as_str()),
                _ => {}
            }
            next += 1;
        }
        match sim.step() {
            Ok(true) => break,
            Ok(false) => {}
            Err(e) => return Err(format!("simulation failed: {e}")),
        }
    }
    drop(sim);

    let col = Rc::try_unwrap(collector)
        .map_err(|_| "simulation still holds the collector".to_string())?
        .into_inner();
    let mut server = col.server;
    let mut out: Vec<ConnRecord> = col
        .client
        .into_iter()
        .map(|(meta, creport, cr, cwire)| {
            let (sreport, reply, swire) = server
                .remove(&cr)
                .unwrap_or_else(|| (LocalReport::new(Side::Server), None, Vec::new()));
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
            let ctx = match &reply {
                Some(reply) => Context::FtpsDataRefused { reply },
                None => Context::Pair,
            };
            let outcome = Outcome::classified(creport, sreport, &ctx);
            ConnRecord {
                client: meta.client,
                server: server_label,
                client_host: meta.client_host,
                peer: meta.peer,
                index: meta.index,
                channel: meta.channel.to_string(),
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
