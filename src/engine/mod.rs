//! The sans-IO handshake engine: client and server state machines ([`Connection`]), the
//! state that outlives a connection ([`PeerState`]), what each side saw ([`LocalReport`]),
//! the merged [`Outcome`], the mechanism ids ([`Mechanism`]) and the one classifier that
//! names them ([`classify()`]). The in-memory driver ([`Pair`]) connects a client and a
//! server engine directly, for tests and for `tlsim handshake`.

mod classify;
mod conn;
mod mechanism;
mod outcome;
mod real;
mod session;

pub use classify::{classify, Context, Verdict};
pub use conn::{Connection, Timeouts, Timer, Transmit};
pub use mechanism::Mechanism;
pub use outcome::{
    Close, CloseKind, HandshakeKind, LocalError, LocalReport, MessageKind, Outcome, Secret, Side,
    Status, Tls13ZTruth, Truth,
};
pub use real::{
    RealCrypto, TEST_CERT_DER, TEST_CERT_PEM, TEST_CLIENT_CERT_DER, TEST_CLIENT_CERT_PEM,
    TEST_CLIENT_KEY_PEM, TEST_KEY_PEM,
};
pub use session::{Millis, PeerState, Session};

use crate::profile::Profile;
use crate::seed::rng_for;
use serde::Serialize;
use std::sync::Arc;

/// One line of a connection's ladder: a record (or a close) crossing the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WireEvent {
    /// Simulated time at which it was sent, in milliseconds.
    pub time_ms: Millis,
    pub from: Side,
    /// What the record carries ("ServerHello, Certificate, …", "Alert(fatal, …)", "FIN").
    pub summary: String,
    /// Record bytes on the wire (header included); 0 for a close.
    pub bytes: Vec<u8>,
    pub close: Option<CloseKind>,
}

/// The result of one in-memory connection.
#[derive(Debug, Clone)]
pub struct Run {
    pub outcome: Outcome,
    pub wire: Vec<WireEvent>,
}

/// A client peer and a server peer with their long-lived state, connected in memory.
pub struct Pair {
    pub client: Arc<Profile>,
    pub server: Arc<Profile>,
    pub client_state: PeerState,
    pub server_state: PeerState,
    pub seed: u64,
    /// Index of the next connection (part of its RNG seed).
    pub next_conn: u64,
    /// Simulated time now.
    pub now: Millis,
    /// One-way latency.
    pub latency_ms: Millis,
}

impl Pair {
    pub fn new(client: Profile, server: Profile, seed: u64) -> Pair {
        Pair {
            client: Arc::new(client),
            server: Arc::new(server),
            client_state: PeerState::new(&mut rng_for(seed, &[u64::MAX, 0])),
            server_state: PeerState::new(&mut rng_for(seed, &[u64::MAX, 1])),
            seed,
            next_conn: 0,
            now: 0,
            latency_ms: 1,
        }
    }

    /// Run one connection to completion (or failure).
    pub fn connect(&mut self) -> Run {
        let n = self.next_conn;
        self.next_conn += 1;
        let mut now = self.now;
        let mut c = Connection::client(
            self.client.clone(),
            "server",
            rng_for(self.seed, &[n, 0]),
            now,
            &mut self.client_state,
        );
        let mut s = Connection::server(self.server.clone(), rng_for(self.seed, &[n, 1]), now);
        let mut wire = Vec::new();
        // Each round moves everything one side has to send; a handshake needs < 10.
        for _ in 0..64 {
            let mut moved = false;
            for dir in [Side::Client, Side::Server] {
                let (from, to, to_state) = match dir {
                    Side::Client => (&mut c, &mut s, &mut self.server_state),
                    Side::Server => (&mut s, &mut c, &mut self.client_state),
                };
                let mut sent = false;
                while let Some(t) = from.poll_transmit() {
                    sent = true;
                    let arrive = now + self.latency_ms;
                    if !t.bytes.is_empty() {
                        to.handle_input(arrive, &t.bytes, to_state);
                    }
                    if let Some(k) = t.close {
                        to.handle_close(arrive, k);
                    }
                    wire.push(WireEvent {
                        time_ms: now,
                        from: dir,
                        summary: t.summary,
                        bytes: t.bytes,
                        close: t.close,
                    });
                }
                if sent {
                    now += self.latency_ms;
                    moved = true;
                }
            }
            if !moved {
                break;
            }
        }
        self.now = now;
        Run {
            outcome: Outcome::from_reports(c.take_report(), s.take_report()),
            wire,
        }
    }
}
