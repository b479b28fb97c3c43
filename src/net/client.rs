//! The client workload: one turmoil client per client host, each logical peer a task with
//! its own session store and seeded schedule. A peer makes its connections in turn to its
//! targets (keeping or forgetting its cached session by the resume ratio); with FTPS, each
//! is a control connection followed by data connections to port + 1. When every peer is
//! done, the host waits for the servers to finish the last connections.

use super::collect::{Channel, ClientMeta, Collector};
use super::drive::{deadline_passed, drive, now_ms, until_deadline, Anchor};
use super::faults::ConnFaults;
use super::spec::{by_host, server_key, ClientSpec, Fleet};
use super::stream::FramedStream;
use crate::engine::{CloseKind, Connection, Millis, PeerState, Timeouts};
use crate::seed::{rng_at, Purpose};
use rand_chacha::ChaCha20Rng;
use rand_core::RngCore;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

/// What every peer of one client host shares.
#[derive(Clone)]
struct HostCtx {
    col: Rc<RefCell<Collector>>,
    faults: ConnFaults,
    host: String,
    seed: u64,
    timeout: Millis,
    record: bool,
}

/// One logical peer: its entry, its number in reports and its seed path (client host,
/// client entry, peer within the entry).
struct Peer {
    spec: ClientSpec,
    number: u32,
    path: [u64; 3],
}

/// Register one turmoil client per client host of the fleet.
pub(super) fn add_client_hosts(
    sim: &mut turmoil::Sim<'_>,
    fleet: &Fleet,
    collector: &Rc<RefCell<Collector>>,
) {
    for (hi, (host, specs)) in by_host(&fleet.clients, |c| &c.host).into_iter().enumerate() {
        let ctx = HostCtx {
            col: collector.clone(),
            faults: ConnFaults::of(&fleet.faults),
            host: host.clone(),
            seed: fleet.seed,
            timeout: fleet.timeout_ms,
            record: fleet.record,
        };
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
                    let p = Peer {
                        spec: spec.clone(),
                        number: base.saturating_add(peer),
                        path: [hi as u64, ci as u64, u64::from(peer)],
                    };
                    tasks.push(tokio::task::spawn_local(run_peer(p, ctx.clone())));
                }
            }
            for t in tasks {
                let _ = t.await;
            }
            // Let servers finish (or time out on) the last connections before the Sim ends:
            // wait until none is running, at most one timeout.
            let until = tokio::time::Instant::now() + Duration::from_millis(ctx.timeout + 100);
            while ctx.col.borrow().active > 0 && tokio::time::Instant::now() < until {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            Ok(())
        });
    }
}

/// The channels of one of a peer's connections: a TLS connection, or an FTPS control
/// connection and its data connections.
fn channels(spec: &ClientSpec) -> Vec<Channel> {
    if spec.ftps_transfers > 0 {
        std::iter::once(Channel::FtpsControl)
            .chain(std::iter::repeat_n(
                Channel::FtpsData,
                spec.ftps_transfers as usize,
            ))
            .collect()
    } else {
        vec![Channel::Tls]
    }
}

/// A uniform draw in [0, 1] from the peer's schedule.
fn roll(sched: &mut ChaCha20Rng) -> f64 {
    sched.next_u64() as f64 / u64::MAX as f64
}

/// One peer's whole workload: its connections in turn, with think time between them.
async fn run_peer(p: Peer, ctx: HostCtx) {
    let [h, c, n] = p.path;
    let spec = &p.spec;
    let env = RefCell::new(PeerState::new(&mut rng_at(
        ctx.seed,
        Purpose::ClientState,
        &p.path,
    )));
    let mut sched = rng_at(ctx.seed, Purpose::ClientSchedule, &p.path);
    tokio::time::sleep(Duration::from_millis(spec.start_ms)).await;
    for i in 0..spec.connections {
        let (th, tp) = spec.targets[i as usize % spec.targets.len()].clone();
        let server_id = server_key(&th, tp);
        // Reconnect-and-resume ratio: some reconnects start afresh.
        let keep = roll(&mut sched) < spec.resume_ratio;
        if !keep {
            env.borrow_mut().client_forget(&server_id);
        }
        for (k, channel) in (0u32..).zip(channels(spec)) {
            let fault = ctx.faults.pick(&spec.label, roll(&mut sched));
            let anchor = Anchor::now();
            let start = anchor.ms;
            let meta = ClientMeta {
                client: spec.label.clone(),
                server: server_id.clone(),
                client_host: ctx.host.clone(),
                peer: p.number,
                index: i * 1000 + k,
                channel,
                start_ms: start,
            };
            let conn_path = [h, c, n, u64::from(i), u64::from(k)];
            let mut wire = ctx.record.then(Vec::new);
            let mut conn = Connection::client(
                spec.profile.clone(),
                &server_id,
                rng_at(ctx.seed, Purpose::ClientConnection, &conn_path),
                start,
                &mut env.borrow_mut(),
            )
            .with_summaries(ctx.record)
            .with_timeouts(Timeouts {
                handshake: Some(ctx.timeout),
                connection: None,
            });
            let port = if channel == Channel::FtpsData {
                tp + 1
            } else {
                tp
            };
            // The connect has the handshake's deadline; `drive` re-arms it once connected.
            let connected = until_deadline(
                &conn,
                anchor,
                turmoil::net::TcpStream::connect((th.as_str(), port)),
            )
            .await;
            match connected {
                Ok(Ok(stream)) => {
                    let mut s = FramedStream::new(
                        stream,
                        fault,
                        rng_at(ctx.seed, Purpose::ClientStream, &conn_path),
                    );
                    drive(&mut conn, &mut s, &env, &mut wire, ctx.timeout).await;
                    drop(s);
                }
                Ok(Err(_)) => conn.handle_close(now_ms(), CloseKind::Rst),
                Err(at) => deadline_passed(&mut conn, at),
            }
            let report = conn.take_report();
            ctx.col.borrow_mut().client.push((
                meta,
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
        tokio::time::sleep(Duration::from_millis(spec.interval_ms + jitter)).await;
    }
}
