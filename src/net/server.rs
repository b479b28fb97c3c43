//! The server side: one turmoil host per server host name, each running its servers'
//! listeners (an FTPS server also on its data port) with an accept loop that serves every
//! connection as its own task, with the server's profile and session cache, and checks an
//! FTPS data channel's resumption. A restarted host starts with empty session caches. Each
//! port's accept queue holds at most the server's backlog; a connection beyond it is reset.

use super::collect::Collector;
use super::drive::{drive, now_ms};
use super::spec::{by_host, listen_ports, Fleet, FtpsServer};
use super::stream::{refuse, FramedStream};
use crate::engine::{Connection, HandshakeKind, Millis, PeerState, Timeouts};
use crate::profile::Profile;
use crate::seed::{rng_at, Purpose};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

/// What every connection accepted on one listening port shares.
struct ServerCtx {
    profile: Arc<Profile>,
    /// The server's session cache and keys (shared by its ports).
    env: Rc<RefCell<PeerState>>,
    col: Rc<RefCell<Collector>>,
    /// The FTPS data-channel check of this port.
    check: Option<FtpsServer>,
    seed: u64,
    timeout: Millis,
    /// Seed path: server host, server, port, boot.
    path: [u64; 4],
    record: bool,
    backlog: u32,
}

/// The accept queue of one listening port, as `listen(2)` describes it: "The backlog
/// argument defines the maximum length to which the queue of pending connections for sockfd
/// may grow. If a connection request arrives when the queue is full, the client may receive
/// an error with an indication of ECONNREFUSED" (Linux man-pages, listen(2)); Winsock's
/// `listen`: "If a connection request arrives and the queue is full, the client will
/// receive an error with an indication of WSAECONNREFUSED".
///
/// The rule here: the server's application accepts once per simulation step (turmoil runs
/// a host's tasks once per tick, after delivering the segments due), so the connections
/// whose SYN arrives within one step are pending together, in arrival order; the first
/// `backlog` of them are accepted, and each one after finds the queue full and is reset.
/// A Linux server with the default `net.ipv4.tcp_abort_on_overflow = 0` ignores such a SYN
/// instead and the client retransmits it; turmoil's TCP has no retransmission, so tlsim
/// models the refusal (Windows; Linux with `tcp_abort_on_overflow = 1`).
struct AcceptQueue {
    backlog: u32,
    /// The step whose connections are pending, and how many of them there are.
    step_ms: Millis,
    pending: u32,
}

impl AcceptQueue {
    fn new(backlog: u32) -> AcceptQueue {
        AcceptQueue {
            backlog,
            step_ms: 0,
            pending: 0,
        }
    }

    /// Whether the connection that arrived at `now_ms` found room in the queue.
    fn admit(&mut self, now_ms: Millis) -> bool {
        if now_ms != self.step_ms {
            self.step_ms = now_ms;
            self.pending = 0;
        }
        self.pending = self.pending.saturating_add(1);
        self.pending <= self.backlog
    }
}

/// Register one turmoil host per server host of the fleet.
pub(super) fn add_server_hosts(
    sim: &mut turmoil::Sim<'_>,
    fleet: &Fleet,
    collector: &Rc<RefCell<Collector>>,
) {
    for (hi, (host, specs)) in by_host(&fleet.servers, |s| &s.host).into_iter().enumerate() {
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
                    let env = Rc::new(RefCell::new(PeerState::new(&mut rng_at(
                        seed,
                        Purpose::ServerState,
                        &[hi as u64, si as u64, boot],
                    ))));
                    for (pi, (port, check)) in listen_ports(&spec).into_iter().enumerate() {
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
                            backlog: spec.backlog,
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
}

/// Accept connections on one port forever, each served by its own task; reset those the
/// accept queue has no room for (the server's application never sees them).
async fn accept_loop(listener: turmoil::net::TcpListener, ctx: ServerCtx) {
    let ctx = Rc::new(ctx);
    let mut queue = AcceptQueue::new(ctx.backlog);
    let mut n = 0u64;
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        if !queue.admit(now_ms()) {
            tokio::task::spawn_local(refuse(stream));
            continue;
        }
        n += 1;
        let ctx = ctx.clone();
        ctx.col.borrow_mut().active += 1;
        tokio::task::spawn_local(serve(stream, ctx, n));
    }
}

/// Serve the `n`th connection accepted on a port and hand its report to the collector.
async fn serve(stream: turmoil::net::TcpStream, ctx: Rc<ServerCtx>, n: u64) {
    let [a, b, c, d] = ctx.path;
    let path = [a, b, c, d, n];
    let mut s = FramedStream::new(stream, None, rng_at(ctx.seed, Purpose::ServerStream, &path));
    let mut conn = Connection::server(
        ctx.profile.clone(),
        rng_at(ctx.seed, Purpose::ServerConnection, &path),
        now_ms(),
    )
    .with_summaries(ctx.record)
    .with_timeouts(Timeouts {
        handshake: Some(ctx.timeout),
        connection: None,
    });
    let mut wire = ctx.record.then(Vec::new);
    // A server never reads after its handshake (it has nothing to wait for).
    drive(&mut conn, &mut s, &ctx.env, &mut wire, 0).await;
    let report = conn.take_report();
    let cr = conn.client_random();
    // FTPS data channel: the server checks that the TLS session was resumed from a control
    // connection (M6).
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
}

#[cfg(test)]
mod tests {
    use super::AcceptQueue;

    #[test]
    fn the_queue_holds_backlog_connections_per_step() {
        let mut q = AcceptQueue::new(2);
        let admitted: Vec<bool> = [0, 0, 0, 1, 1, 1, 1, 5].map(|t| q.admit(t)).to_vec();
        assert_eq!(
            admitted,
            [true, true, false, true, true, false, false, true]
        );
    }
}
