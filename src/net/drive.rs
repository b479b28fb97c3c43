//! Moving one engine's bytes: each flight the engine has to send goes out as one write of
//! the framed stream, each frame received goes in, until the handshake completes, either
//! side closes or the application's timeout expires. Also the simulated clock in ms.

use super::stream::{Frame, FramedStream};
use crate::engine::{CloseKind, Connection, Millis, PeerState, WireEvent};
use std::cell::RefCell;
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

/// Move one engine's bytes over a framed stream until its handshake completes, it
/// closes, the peer closes, or the timeout expires.
pub(super) async fn drive(
    conn: &mut Connection,
    s: &mut FramedStream,
    env: &RefCell<PeerState>,
    timeout_ms: Millis,
    wire: &mut Option<Vec<WireEvent>>,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(timeout_ms);
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
