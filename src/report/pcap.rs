//! Classic pcap export of simulated connections (libpcap format 2.4, LINKTYPE_ETHERNET),
//! with synthetic Ethernet, IPv4 and TCP headers around the engine's real TLS records:
//! a SYN / SYN-ACK / ACK opening, sequence and acknowledgement numbers that count every
//! byte, correct IPv4 header and TCP checksums, records larger than [`MAX_SEGMENT`] split
//! across segments, and a FIN or RST at the end as the engine closed the connection.
//! Timestamps are the simulated time in milliseconds after [`EPOCH_SECS`].
//!
//! What the capture holds is exactly what the engine put on the wire. In the simulated
//! mode records after ChangeCipherSpec carry plaintext plus the real HMAC (README "What is
//! real and what is modelled"), not AES-GCM or CBC ciphertext, so Wireshark shows them as
//! encrypted data it cannot decrypt even with the key log ([`keylog_line`]).

use crate::engine::{CloseKind, Run, Side, WireEvent};
use std::fmt::Write as _;

/// 2019-10-08 08:00:00 UTC (the morning of the October 2019 Windows updates), the capture's
/// time origin: simulated time 0.
pub const EPOCH_SECS: u64 = 1_570_521_600;

/// The largest TCP payload of one segment; larger records are split.
pub const MAX_SEGMENT: usize = 1400;

const LINKTYPE_ETHERNET: u32 = 1;
const WINDOW: u16 = 64240;

/// The addresses of one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoints {
    pub client_ip: [u8; 4],
    pub server_ip: [u8; 4],
    pub client_port: u16,
    pub server_port: u16,
}

impl Endpoints {
    /// Connection `index` of a capture: client 10.0.0.1 port 49152+index, server
    /// 10.0.1.1 port `server_port`.
    pub fn nth(index: usize, server_port: u16) -> Endpoints {
        Endpoints {
            client_ip: [10, 0, 0, 1],
            server_ip: [10, 0, 1, 1],
            client_port: 49152u16.wrapping_add(low16(index)),
            server_port,
        }
    }
}

/// `x` mod 2^16: port numbers wrap.
fn low16(x: usize) -> u16 {
    let [.., hi, lo] = x.to_be_bytes();
    u16::from_be_bytes([hi, lo])
}

/// A pcap file being built in memory.
#[derive(Debug, Clone)]
pub struct PcapWriter {
    buf: Vec<u8>,
    packets: usize,
}

impl Default for PcapWriter {
    fn default() -> Self {
        Self::new()
    }
}

/// One direction of a TCP connection.
struct Flow {
    ip: [u8; 4],
    port: u16,
    mac: [u8; 6],
    /// Next sequence number to send.
    seq: u32,
    ip_id: u16,
}

const FIN: u8 = 0x01;
const SYN: u8 = 0x02;
const RST: u8 = 0x04;
const PSH: u8 = 0x08;
const ACK: u8 = 0x10;

impl PcapWriter {
    pub fn new() -> PcapWriter {
        let mut buf = Vec::new();
        buf.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        buf.extend_from_slice(&2u16.to_le_bytes());
        buf.extend_from_slice(&4u16.to_le_bytes());
        buf.extend_from_slice(&0i32.to_le_bytes()); // thiszone: UTC
        buf.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
        buf.extend_from_slice(&65535u32.to_le_bytes()); // snaplen
        buf.extend_from_slice(&LINKTYPE_ETHERNET.to_le_bytes());
        PcapWriter { buf, packets: 0 }
    }

    /// Number of packets written so far.
    pub fn packets(&self) -> usize {
        self.packets
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// `time_us`: microseconds since the Unix epoch. Classic pcap holds whole seconds in 32
    /// bits: a time past 2106-02-07 06:28:15 UTC (over 86 years of simulated time) is written
    /// as that last second.
    fn packet(&mut self, time_us: u64, frame: &[u8]) {
        let t = time_us;
        let secs = u32::try_from(t / 1_000_000).unwrap_or(u32::MAX);
        let micros = u32::try_from(t % 1_000_000).expect("below 10^6");
        let len = u32::try_from(frame.len())
            .expect("a frame is at most 14 + 20 + 24 + MAX_SEGMENT bytes");
        self.buf.extend_from_slice(&secs.to_le_bytes());
        self.buf.extend_from_slice(&micros.to_le_bytes());
        self.buf.extend_from_slice(&len.to_le_bytes());
        self.buf.extend_from_slice(&len.to_le_bytes());
        self.buf.extend_from_slice(frame);
        self.packets += 1;
    }

    fn segment(
        &mut self,
        time_us: u64,
        from: &mut Flow,
        to: &Flow,
        flags: u8,
        payload: &[u8],
        ack: u32,
    ) {
        let frame = frame(from, to, flags, payload, ack);
        self.packet(time_us, &frame);
        from.ip_id = from.ip_id.wrapping_add(1);
        let len = u32::try_from(payload.len()).expect("a segment is at most MAX_SEGMENT bytes");
        from.seq = from
            .seq
            .wrapping_add(len)
            .wrapping_add(u32::from(flags & (SYN | FIN) != 0));
    }

    /// Add one connection: the TCP opening just before its first record, each record as
    /// one or more segments at its simulated send time, and the close.
    pub fn add_connection(&mut self, wire: &[WireEvent], ends: Endpoints) {
        let base = EPOCH_SECS * 1_000_000;
        let start_us = base + wire.first().map(|w| w.time_ms * 1000).unwrap_or(0);
        // Deterministic initial sequence numbers, different per connection.
        let isn = |ip: [u8; 4], port: u16| {
            u32::from_be_bytes(ip)
                .wrapping_mul(2_654_435_761)
                .wrapping_add(u32::from(port).wrapping_mul(40_503))
        };
        let mut c = Flow {
            ip: ends.client_ip,
            port: ends.client_port,
            mac: [0x02, 0, 0, 0, 0, ends.client_ip[3]],
            seq: isn(ends.client_ip, ends.client_port),
            ip_id: ends.client_port,
        };
        let mut s = Flow {
            ip: ends.server_ip,
            port: ends.server_port,
            mac: [0x02, 0, 0, 0, 1, ends.server_ip[3]],
            seq: isn(ends.server_ip, ends.client_port),
            ip_id: ends.client_port ^ 0x5a5a,
        };
        // The three-way handshake takes 300 µs before the first record (the opening is
        // not simulated; the first record is at its real simulated time).
        let t0 = start_us - 300;
        let s_isn = s.seq;
        self.segment(t0, &mut c, &s, SYN, &[], 0);
        let c_next = c.seq;
        self.segment(t0 + 100, &mut s, &c, SYN | ACK, &[], c_next);
        let s_next = s.seq;
        debug_assert_eq!(s_next, s_isn.wrapping_add(1));
        self.segment(t0 + 200, &mut c, &s, ACK, &[], s_next);
        let mut closed = [false, false];
        for w in wire {
            let (from, to) = match w.from {
                Side::Client => (&mut c, &mut s),
                Side::Server => (&mut s, &mut c),
            };
            let idx = w.from as usize;
            if closed[idx] {
                continue;
            }
            let t = base + w.time_ms * 1000;
            for (i, chunk) in w.bytes.chunks(MAX_SEGMENT).enumerate() {
                let last = (i + 1) * MAX_SEGMENT >= w.bytes.len();
                let ack = to.seq;
                let flags = ACK | if last { PSH } else { 0 };
                self.segment(t, from, to, flags, chunk, ack);
            }
            match w.close {
                Some(CloseKind::Fin) => {
                    let ack = to.seq;
                    self.segment(t, from, to, FIN | ACK, &[], ack);
                    closed[idx] = true;
                    // The peer's stack acknowledges the FIN when it arrives.
                    let ack = from.seq;
                    if !closed[1 - idx] {
                        self.segment(t + 1000, to, from, ACK, &[], ack);
                    }
                }
                Some(CloseKind::Rst) => {
                    let ack = to.seq;
                    self.segment(t, from, to, RST | ACK, &[], ack);
                    closed = [true, true];
                }
                None => {}
            }
        }
    }
}

/// An Ethernet II frame with an IPv4 header and a TCP segment.
fn frame(from: &Flow, to: &Flow, flags: u8, payload: &[u8], ack: u32) -> Vec<u8> {
    let opts: &[u8] = if flags & SYN != 0 {
        &[2, 4, 0x05, 0xb4] // MSS 1460
    } else {
        &[]
    };
    // At most 24 + MAX_SEGMENT bytes: `add_connection` splits records into segments.
    let tcp_len = 20 + opts.len() + payload.len();
    let tcp_len16 = u16::try_from(tcp_len).expect("a TCP segment is at most 24 + MAX_SEGMENT");
    let mut tcp = Vec::with_capacity(tcp_len);
    tcp.extend_from_slice(&from.port.to_be_bytes());
    tcp.extend_from_slice(&to.port.to_be_bytes());
    tcp.extend_from_slice(&from.seq.to_be_bytes());
    tcp.extend_from_slice(&(if flags & ACK != 0 { ack } else { 0 }).to_be_bytes());
    tcp.push(if opts.is_empty() { 5 << 4 } else { 6 << 4 }); // data offset: 20 or 24 bytes
    tcp.push(flags);
    tcp.extend_from_slice(&WINDOW.to_be_bytes());
    tcp.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
    tcp.extend_from_slice(opts);
    tcp.extend_from_slice(payload);
    let mut pseudo = Vec::with_capacity(12 + tcp.len());
    pseudo.extend_from_slice(&from.ip);
    pseudo.extend_from_slice(&to.ip);
    pseudo.extend_from_slice(&[0, 6]);
    pseudo.extend_from_slice(&tcp_len16.to_be_bytes());
    pseudo.extend_from_slice(&tcp);
    let sum = checksum(&pseudo);
    tcp[16..18].copy_from_slice(&sum.to_be_bytes());

    let mut ip = Vec::with_capacity(20);
    ip.push(0x45);
    ip.push(0);
    let ip_len = u16::try_from(20 + tcp_len).expect("an IP packet is at most 44 + MAX_SEGMENT");
    ip.extend_from_slice(&ip_len.to_be_bytes());
    ip.extend_from_slice(&from.ip_id.to_be_bytes());
    ip.extend_from_slice(&[0x40, 0]); // don't fragment
    ip.push(if from.mac[4] == 0 { 128 } else { 64 }); // TTL
    ip.push(6); // TCP
    ip.extend_from_slice(&[0, 0]);
    ip.extend_from_slice(&from.ip);
    ip.extend_from_slice(&to.ip);
    let sum = checksum(&ip);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());

    let mut f = Vec::with_capacity(14 + ip.len() + tcp.len());
    f.extend_from_slice(&to.mac);
    f.extend_from_slice(&from.mac);
    f.extend_from_slice(&[0x08, 0x00]);
    f.extend_from_slice(&ip);
    f.extend_from_slice(&tcp);
    f
}

/// The Internet checksum (RFC 1071): one's complement of the one's complement sum.
pub fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for c in data.chunks(2) {
        let w = if c.len() == 2 {
            u16::from_be_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], 0])
        };
        sum += u32::from(w);
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !u16::try_from(sum).expect("folded to 16 bits")
}

/// A capture of connections `runs`, the i-th on client port 49152+i to `server_port`.
pub fn capture(runs: &[Run], server_port: u16) -> Vec<u8> {
    let mut w = PcapWriter::new();
    for (i, r) in runs.iter().enumerate() {
        w.add_connection(&r.wire, Endpoints::nth(i, server_port));
    }
    w.into_bytes()
}

/// A capture of fleet connections (records with their `wire`), the i-th on client
/// 10.0.0.1 port 49152+i to the server's port `server_port(record)` (past 16384 connections the next client
/// address); records without a wire are skipped.
pub fn capture_records(
    records: &[crate::net::ConnRecord],
    server_port: impl Fn(&crate::net::ConnRecord) -> u16,
) -> Vec<u8> {
    let mut w = PcapWriter::new();
    for (i, r) in records.iter().enumerate() {
        if let Some(wire) = &r.wire {
            // 16384 ports per client address, then the next address (10.1.b.1 for block b).
            let (block, slot) = (i / 16384, i % 16384);
            let mut ends = Endpoints::nth(slot, server_port(r));
            if block > 0 {
                let [.., hi, lo] = block.to_be_bytes();
                ends.client_ip = [10, 1 + hi, lo, 1];
            }
            w.add_connection(wire, ends);
        }
    }
    w.into_bytes()
}

/// [`capture_records`] of a fleet's run: each connection to its server's port in `fleet`
/// (443 for a server the fleet does not name).
pub fn capture_fleet(fleet: &crate::net::Fleet, records: &[crate::net::ConnRecord]) -> Vec<u8> {
    capture_records(records, |r| {
        fleet
            .servers
            .iter()
            .find(|s| s.label == r.server)
            .map_or(443, |s| s.port)
    })
}

/// The NSS key log of fleet connections: a line (with its newline) for each recorded
/// connection whose client derived a master secret.
pub fn keylog_records(records: &[crate::net::ConnRecord]) -> String {
    records
        .iter()
        .filter_map(|r| keylog_of(r.wire.as_deref()?, &r.outcome))
        .map(|l| l + "\n")
        .collect()
}

/// The NSS key log of in-memory connections, as [`keylog_records`].
pub fn keylog_runs(runs: &[Run]) -> String {
    runs.iter()
        .filter_map(keylog_line)
        .map(|l| l + "\n")
        .collect()
}

/// The client random of a connection, read from its ClientHello record on the wire.
pub fn client_random(wire: &[WireEvent]) -> Option<[u8; 32]> {
    let ch = wire.iter().find(|w| {
        w.from == Side::Client && w.bytes.len() >= 43 && w.bytes[0] == 22 && w.bytes[5] == 1
    })?;
    ch.bytes[11..43].try_into().ok()
}

/// The NSS key log line (`CLIENT_RANDOM <client random> <master secret>`) of a connection
/// whose client derived a master secret. In the simulated mode Wireshark cannot use it to
/// decrypt: the records are plaintext plus an HMAC, not the negotiated cipher's output.
pub fn keylog_line(run: &Run) -> Option<String> {
    keylog_of(&run.wire, &run.outcome)
}

/// [`keylog_line`] from a connection's wire records and outcome (a fleet's `ConnRecord`).
pub fn keylog_of(wire: &[WireEvent], outcome: &crate::engine::Outcome) -> Option<String> {
    let random = client_random(wire)?;
    let master = outcome.client.truth.master.as_ref()?;
    let mut s = String::from("CLIENT_RANDOM ");
    for b in random {
        let _ = write!(s, "{b:02x}");
    }
    let _ = write!(s, " {master}");
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_of_rfc1071_example() {
        // RFC 1071 §3: the sum of 0001 f203 f4f5 f6f7 is ddf2 (checksum 220d).
        assert_eq!(
            checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
            0x220d
        );
    }

    #[test]
    fn ip_header_checksum_verifies_to_zero() {
        let c = Flow {
            ip: [10, 0, 0, 1],
            port: 49152,
            mac: [2, 0, 0, 0, 0, 1],
            seq: 7,
            ip_id: 1,
        };
        let s = Flow {
            ip: [10, 0, 1, 1],
            port: 443,
            mac: [2, 0, 0, 0, 1, 1],
            seq: 9,
            ip_id: 2,
        };
        let f = frame(&c, &s, ACK | PSH, b"hello", 10);
        assert_eq!(checksum(&f[14..34]), 0);
    }
}
