//! The server side: one turmoil host per server host name, each running its servers'
//! listeners (an FTPS server also on its data port) with an accept loop that serves every
//! connection as its own task, with the server's profile and session cache, and checks an
//! FTPS data channel's resumption. A restarted host starts with empty session caches.

use super::collect::Collector;
use super::drive::{drive, now_ms};
use super::spec::{by_host, listen_ports, Fleet, FtpsServer};
use super::stream::FramedStream;
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

/// Accept connections on one port forever, each served by its own task.
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
    drive(&mut conn, &mut s, &ctx.env, &mut wire).await;
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
