//! Bridge runs as text (`tlsim bridge connect|serve`): one connection's outcome, the
//! summary of a run, and the summary of a serve session however it ended.

use super::output::format;
use super::printed::{line, Printed};
use crate::bridge::{BridgeEvent, BridgeOutcome, ServeSummary, Summary};

/// One bridged connection: its outcome line, then the explanation indented.
pub fn outcome_text(o: &BridgeOutcome) -> String {
    format!(
        "connection {}: {} ({}), {} {}, {}{}\n  {}\n",
        o.index.saturating_add(1),
        o.outcome,
        o.handshake,
        o.version.as_deref().unwrap_or("-"),
        o.suite.as_deref().unwrap_or("-"),
        key_exchange(o),
        o.mechanism
            .map(|m| match o.alert {
                Some(a) => format!(", mechanism {m}, alert {} ({})", a.to_u8(), a.name()),
                None => format!(", mechanism {m}, no alert"),
            })
            .unwrap_or_default(),
        o.explanation
    )
}

fn key_exchange(o: &BridgeOutcome) -> String {
    super::ladder::key_exchange(o.version.as_deref(), o.ems, &o.local)
}

/// The summary line of `tlsim bridge connect`.
pub fn summary_text(s: &Summary) -> String {
    let counts = |v: Vec<String>| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    let mechs = counts(
        s.by_mechanism
            .iter()
            .map(|(m, n)| format!("{m} ×{n}"))
            .collect(),
    );
    let alerts = counts(
        s.by_alert_received
            .iter()
            .map(|(a, n)| format!("{a} ×{n}"))
            .collect(),
    );
    format!(
        "summary: {} attempts, {} ok, {} failed, {} resumed; failures by mechanism: {mechs}; \
         alerts received: {alerts}\n",
        s.attempts, s.ok, s.failures, s.resumed
    )
}

/// The summary line of `tlsim bridge serve`.
pub fn serve_summary_text(s: &ServeSummary) -> String {
    let c = &s.connections;
    let by: Vec<String> = c
        .by_mechanism
        .iter()
        .map(|(m, n)| format!("{m} ×{n}"))
        .collect();
    format!(
        "summary: {} accepted, {} completed, {} failed{}, {} refused over the cap of {}, {} resumed; ended: {}\n",
        s.accepted,
        c.ok,
        c.failures,
        if by.is_empty() {
            String::new()
        } else {
            format!(" ({})", by.join(", "))
        },
        s.refused_over_cap,
        s.max_connections,
        c.resumed,
        s.ended.name()
    )
}

/// What an event of a bridge run prints on stderr, whatever `-q` says: the overlays' notes,
/// and the address `serve` listens on.
pub fn event_stderr(e: &BridgeEvent) -> String {
    match e {
        BridgeEvent::Notes(n) => n.clone(),
        BridgeEvent::Listening(addr) => format!("listening on {addr}\n"),
        BridgeEvent::Outcome(_) => String::new(),
    }
}

/// With `--json`, each line is one object: `{"listening": ADDR}` (serve), one per
/// connection, then `{"summary": …}`; each carries the format.
impl Printed for BridgeEvent<'_> {
    fn to_json(&self) -> Result<String, String> {
        Ok(match self {
            BridgeEvent::Notes(_) => String::new(),
            BridgeEvent::Listening(addr) => {
                let v = serde_json::json!({ "listening": addr.to_string() });
                line(format::BRIDGE, &v, false)
            }
            BridgeEvent::Outcome(o) => line(format::BRIDGE, o, false),
        })
    }
    fn to_text(&self) -> String {
        match self {
            BridgeEvent::Outcome(o) => outcome_text(o),
            _ => String::new(),
        }
    }
}

impl Printed for Summary {
    fn to_json(&self) -> Result<String, String> {
        let v = serde_json::json!({ "summary": self });
        Ok(line(format::BRIDGE, &v, false))
    }
    fn to_text(&self) -> String {
        summary_text(self)
    }
    /// A run fails when a connection failed, or when none was attempted.
    fn found(&self) -> bool {
        self.failures > 0 || self.attempts == 0
    }
}

impl Printed for ServeSummary {
    fn to_json(&self) -> Result<String, String> {
        let v = serde_json::json!({ "summary": self });
        Ok(line(format::BRIDGE, &v, false))
    }
    fn to_text(&self) -> String {
        serve_summary_text(self)
    }
    fn found(&self) -> bool {
        self.connections.failures > 0
    }
}
