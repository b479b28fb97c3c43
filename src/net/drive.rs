//! Moving one engine's bytes: each flight the engine has to send goes out as one write of
//! the framed stream, each frame received goes in, until the handshake completes, either
//! side closes or the engine's deadline ([`Connection::poll_timeout`]) passes. Also the
//! simulated clock in ms, and its link to tokio's timers.

use super::stream::{Frame, FramedStream};
use crate::engine::{CloseKind, Connection, Millis, PeerState, WireEvent};
use std::cell::RefCell;
use std::future::Future;
use std::time::Duration;

/// The simulated time of the current host, in ms.
pub(super) fn now_ms() -> Millis {
    millis(turmoil::elapsed())
}

/// `d` in whole milliseconds, saturating: a u64 holds 584 million years of them, and a run's
/// simulated time is bounded by its `simulation_duration` (u64 milliseconds) plus a tick.
pub(super) fn millis(d: Duration) -> Millis {
    Millis::try_from(d.as_millis()).unwrap_or(Millis::MAX)
}

/// One moment of the simulated clock, as the engine reads it (ms) and as tokio's timers take
/// it: an engine deadline in ms becomes the tokio instant that many ms after the anchor.
#[derive(Debug, Clone, Copy)]
pub(super) struct Anchor {
    instant: tokio::time::Instant,
    pub(super) ms: Millis,
}

impl Anchor {
    pub(super) fn now() -> Anchor {
        Anchor {
            instant: tokio::time::Instant::now(),
            ms: now_ms(),
        }
    }

    fn instant(self, at: Millis) -> tokio::time::Instant {
        self.instant + Duration::from_millis(at.saturating_sub(self.ms))
    }
}

/// Run `fut` until the engine's next deadline ([`Connection::poll_timeout`]; forever if it
/// has none). Err(deadline) if the deadline came first.
pub(super) async fn until_deadline<F: Future>(
    conn: &Connection,
    anchor: Anchor,
    fut: F,
) -> Result<F::Output, Millis> {
    match conn.poll_timeout() {
        Some(at) => tokio::time::timeout_at(anchor.instant(at), fut)
            .await
            .map_err(|_| at),
        None => Ok(fut.await),
    }
}

/// The engine's deadline `at` has passed on the simulated clock: tell it (now is at least
/// `at`, whatever the whole-ms rounding of the clock).
pub(super) fn deadline_passed(conn: &mut Connection, at: Millis) {
    conn.handle_timeout(now_ms().max(at));
}

/// Move one engine's bytes over a framed stream until its handshake completes, it
/// closes, the peer closes, or its deadline passes; a TLS 1.3 client then reads the
/// server's tickets for at most `linger` ms ([`read_tickets`]). The transport is up: the
/// engine's timers run from now.
pub(super) async fn drive(
    conn: &mut Connection,
    s: &mut FramedStream,
    env: &RefCell<PeerState>,
    wire: &mut Option<Vec<WireEvent>>,
    linger: Millis,
) {
    let anchor = Anchor::now();
    conn.restart_timers(anchor.ms);
    let mut flight: Vec<Vec<u8>> = Vec::new();
    loop {
        // Everything the engine has to send now goes out as one write; a close ends it.
        let mut close = None;
        while let Some(t) = conn.poll_transmit() {
            if let Some(w) = wire.as_mut() {
                w.push(WireEvent {
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
                conn.handle_close(now_ms(), CloseKind::Rst);
                return;
            }
        }
        if let Some(k) = close {
            s.close(k).await;
            return;
        }
        if conn.is_closed() {
            return;
        }
        if conn.is_handshake_complete() {
            if conn.awaits_tickets() {
                read_tickets(conn, s, env, linger).await;
            }
            return;
        }
        match until_deadline(conn, anchor, s.recv()).await {
            Ok(Frame::Data(b)) => conn.handle_input(now_ms(), &b, &mut env.borrow_mut()),
            Ok(Frame::Closed(k)) => conn.handle_close(now_ms(), k),
            Err(at) => deadline_passed(conn, at),
        }
    }
}

/// A TLS 1.3 client after its Finished: read what the server sends next (its
/// NewSessionTickets, RFC 8446 §4.6.1; the engine keeps them) until the server closes the
/// connection, or `linger` ms have passed (the fleet's handshake timeout: a server that
/// neither sends nor closes, behind a partition or a crash, leaves it with no tickets). A
/// real client reads them the same way, with its first response.
async fn read_tickets(
    conn: &mut Connection,
    s: &mut FramedStream,
    env: &RefCell<PeerState>,
    linger: Millis,
) {
    let until = tokio::time::Instant::now() + Duration::from_millis(linger);
    while !conn.is_closed() {
        match tokio::time::timeout_at(until, s.recv()).await {
            Ok(Frame::Data(b)) => conn.handle_input(now_ms(), &b, &mut env.borrow_mut()),
            Ok(Frame::Closed(_)) | Err(_) => return,
        }
    }
}
