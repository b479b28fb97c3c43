//! Faults: what a scenario's `[[fault]]` entries do to the fleet. Connection faults
//! ([`ConnFault`]) are drawn per connection from the client's seeded schedule and act in the
//! stream wrapper; host faults (partitions, crashes and restarts) act on turmoil's links and
//! hosts at their simulated times, while this module steps the Sim.

use super::drive::millis;
use crate::engine::Millis;
use serde::{Deserialize, Serialize};

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
    /// A middlebox on the path removes supported_versions from the client's ClientHello
    /// (a TLS-inspecting proxy that rewrites hellos it does not understand): the server
    /// sees a TLS 1.2 hello, and a TLS 1.3 client checks the downgrade sentinel of a TLS 1.3
    /// server's answer (RFC 8446 §4.1.3).
    StripSupportedVersions,
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

/// The connection faults of a fleet, in file order: (share, fault, only this client label).
#[derive(Clone)]
pub(super) struct ConnFaults(Vec<(f64, ConnFault, Option<String>)>);

impl ConnFaults {
    pub(super) fn of(faults: &[FaultSpec]) -> ConnFaults {
        ConnFaults(
            faults
                .iter()
                .filter_map(|f| match f {
                    FaultSpec::Conn {
                        share,
                        fault,
                        client,
                    } => Some((*share, *fault, client.clone())),
                    _ => None,
                })
                .collect(),
        )
    }

    /// The fault of a connection of client `label` whose roll is `roll` in [0, 1]: the
    /// faults that apply to it split [0, 1) by their shares in file order (validation keeps
    /// their sum at most 1); a roll past them gets none.
    pub(super) fn pick(&self, label: &str, roll: f64) -> Option<ConnFault> {
        let mut acc = 0.0;
        self.0.iter().find_map(|(share, f, only)| {
            if only.as_ref().is_some_and(|o| o != label) {
                return None;
            }
            acc += share;
            (roll < acc).then_some(*f)
        })
    }
}

/// Step `sim` until its clients are done, applying the partitions, repairs, crashes and
/// restarts of `faults` when simulated time reaches them (in time order; at one time, in
/// file order, a fault's start before another's end).
pub(super) fn run_with_host_faults(
    sim: &mut turmoil::Sim<'_>,
    faults: &[FaultSpec],
) -> Result<(), String> {
    let mut events: Vec<(Millis, usize, &FaultSpec, bool)> = Vec::new();
    for (i, f) in faults.iter().enumerate() {
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
            Ok(true) => return Ok(()),
            Ok(false) => {}
            Err(e) => return Err(format!("simulation failed: {e}")),
        }
    }
}
