//! Ladder diagrams: one connection as three columns, client | network | server, one line
//! per record (time, direction, the handshake messages it carries, its size in bytes),
//! alerts and TCP FIN/RST, then the outcome and what each side's administrator sees — the
//! shape of the network trace in KB4557473. Plain text, no colours.

use super::explain::side_view;
use crate::engine::{CloseKind, LocalReport, Outcome, Side, WireEvent};
use std::fmt::Write as _;

/// The ladder of one connection.
pub fn ladder(wire: &[WireEvent], outcome: &Outcome) -> String {
    let labels: Vec<(String, String)> = wire
        .iter()
        .map(|w| match w.close {
            Some(k) if w.bytes.is_empty() => (
                match k {
                    CloseKind::Fin => "TCP FIN (close)".to_string(),
                    CloseKind::Rst => "TCP RST (reset)".to_string(),
                },
                String::new(),
            ),
            _ => (w.summary.clone(), format!("{} B", w.bytes.len())),
        })
        .collect();
    let widest = labels
        .iter()
        .map(|(l, b)| l.chars().count() + b.len())
        .max()
        .unwrap_or(0);
    // "-- " + label + " " + fill + " " + size + " -->" with at least 3 fill dashes.
    let width = (widest + 12).max(40);
    let mut s = String::new();
    // Bars at columns 10 and 11 + width + 1: "client" and "server" sit on them.
    let _ = writeln!(
        s,
        "{:<9}client{:^mid$}server",
        "    time",
        "network",
        mid = width.saturating_sub(5)
    );
    for (w, (label, size)) in wire.iter().zip(&labels) {
        let used = 3 + label.chars().count() + 1 + 1 + size.len() + 4;
        let fill = "-".repeat(width.saturating_sub(used).max(1));
        let body = match (w.from, size.is_empty()) {
            (Side::Client, false) => format!("-- {label} {fill} {size} -->"),
            (Side::Server, false) => format!("<-- {label} {fill} {size} --"),
            // A close: no record, the line ends in an X at the receiver.
            (Side::Client, true) => format!("-- {label} {fill}---- X"),
            (Side::Server, true) => format!("X-- {label} {fill}-----"),
        };
        let _ = writeln!(
            s,
            "{:>6} ms  |{body:<width$}|",
            w.time_ms,
            width = width + 1
        );
    }
    let o = outcome;
    let _ = writeln!(s);
    for line in outcome_lines(o) {
        let _ = writeln!(s, "{line}");
    }
    if !o.ok() {
        let _ = writeln!(s, "client: {}", side_view(&o.client));
        let _ = writeln!(s, "server: {}", side_view(&o.server));
    }
    s
}

/// TLS 1.0–1.2: whether EMS was used (RFC 7627); TLS 1.3, which has no EMS (its key
/// schedule hashes the transcript, RFC 8446 §7.1): the group `side` used, and a
/// HelloRetryRequest.
pub(crate) fn key_exchange(version: Option<&str>, ems: bool, side: &LocalReport) -> String {
    if version != Some("TLS 1.3") {
        return format!("EMS {}", if ems { "yes" } else { "no" });
    }
    let group = side.group.as_deref().unwrap_or("no group (psk_ke)");
    match side.hello_retry {
        true => format!("{group} after a HelloRetryRequest"),
        false => group.to_string(),
    }
}

/// The outcome in three lines: what happened, the mechanism (on failure) and why.
pub fn outcome_lines(o: &Outcome) -> Vec<String> {
    let mut v = vec![format!(
        "outcome: {} ({}), {} {}, {}",
        o.outcome,
        o.handshake,
        o.version.as_deref().unwrap_or("-"),
        o.suite.as_deref().unwrap_or("-"),
        key_exchange(o.version.as_deref(), o.ems, &o.client)
    )];
    if let Some(m) = &o.mechanism {
        let mut line = format!("mechanism: {m}");
        if let Some(side) = o.detected_by {
            line.push_str(&format!(", detected by the {}", side.name()));
            if let Some(at) = o.at {
                line.push_str(&format!(" at {at}"));
            }
        }
        match o.alert {
            Some(a) => line.push_str(&format!(", alert {} ({})", a.to_u8(), a.name())),
            None => line.push_str(", no alert"),
        }
        if let Some(c) = o.close {
            line.push_str(&format!(", close {c}"));
        }
        v.push(line);
    }
    v.push(format!("why: {}", o.explanation));
    v
}

/// One line per record: time, direction, what it carries and its size.
pub fn wire_lines(wire: &[WireEvent]) -> Vec<String> {
    wire.iter()
        .map(|w| {
            let arrow = match w.from {
                Side::Client => "client → server",
                Side::Server => "client ← server",
            };
            format!(
                "{:>7} ms  {arrow}  {:<54} {:>6} bytes",
                w.time_ms,
                w.summary,
                w.bytes.len()
            )
        })
        .collect()
}

/// Connection `i` (from 0) of `tlsim handshake`: `connection N:`, then its ladder, or its
/// records and outcome one per indented line.
pub fn connection_text(i: usize, wire: &[WireEvent], outcome: &Outcome, as_ladder: bool) -> String {
    let mut s = format!("connection {}:\n", i + 1);
    if as_ladder {
        s.push_str(&ladder(wire, outcome));
    } else {
        for line in wire_lines(wire).into_iter().chain(outcome_lines(outcome)) {
            let _ = writeln!(s, "  {line}");
        }
    }
    s
}

/// A replayed study connection (`tlsim replay ID`): who, which channel and when, then its
/// ladder, or its records, outcome and how each side saw it.
pub fn replay_text(id: &str, rec: &crate::net::ConnRecord, as_ladder: bool) -> String {
    let wire = rec.wire.as_deref().unwrap_or(&[]);
    let mut s = format!(
        "replay {id} — {} → {} ({}), started at {} ms\n",
        rec.client, rec.server, rec.channel, rec.start_ms
    );
    if as_ladder {
        s.push_str(&ladder(wire, &rec.outcome));
        return s;
    }
    for line in wire_lines(wire)
        .into_iter()
        .chain(outcome_lines(&rec.outcome))
    {
        let _ = writeln!(s, "  {line}");
    }
    let [c, sv] = super::explain::both_views(rec);
    let _ = writeln!(s, "  client: {c}\n  server: {sv}");
    s
}
