//! Classic pcap export of simulated connections (libpcap format 2.4, LINKTYPE_ETHERNET),
//! with synthetic Ethernet, IPv4 and TCP headers around the engine's real TLS records:
//! a SYN / SYN-ACK / ACK opening, sequence and acknowledgement numbers that count every
//! byte, correct IPv4 header and TCP checksums, each flight (the records one side sent at
//! one simulated time) in one segment, split only where it exceeds [`MAX_SEGMENT`], as a
//! stack's single send of a flight is, and a FIN or RST at the end as the engine closed
//! the connection. A server whose TLS is carried by SQL Server's TDS
//! ([`AppProtocol::Tds`]) gets the PRELOGIN exchange and its handshake inside TDS
//! PRELOGIN packets, as Microsoft KB4557473's network trace shows.
//! Timestamps are the simulated time in milliseconds after [`EPOCH_SECS`].
//!
//! What the capture holds is exactly what the engine put on the wire. Records after
//! ChangeCipherSpec are protected as a real stack protects them (AES-GCM,
//! ChaCha20-Poly1305, AES-CBC + HMAC; `crypto::record`), so with the key log
//! ([`keylog_line`], NSS key log format) Wireshark decrypts them; only the 3DES and RC4
//! suites keep plaintext plus an HMAC (README "What is real and what is modelled"). The
//! capture is written from [`Flight`]s, so a TLS 1.3 exchange ([`tls13_flights`], with
//! [`keylog_tls13`] for its secrets) is captured the same way. In the simulated mode the
//! certificates are modelled (`crypto::model_cert`), not X.509: Wireshark shows their bytes.

use crate::engine::{CloseKind, Run, Side, WireEvent};
pub use crate::net::AppProtocol;
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

    /// Add one connection carried directly over TCP: [`PcapWriter::add_connection_over`]
    /// with [`AppProtocol::Tls`].
    pub fn add_connection(&mut self, wire: &[WireEvent], ends: Endpoints) {
        self.add_connection_over(wire, ends, AppProtocol::Tls);
    }

    /// Send `payload` from `from` as segments of at most [`MAX_SEGMENT`] bytes, PSH on the
    /// last.
    fn send(&mut self, t: u64, from: &mut Flow, to: &Flow, payload: &[u8]) {
        for (i, chunk) in payload.chunks(MAX_SEGMENT).enumerate() {
            let last = (i + 1) * MAX_SEGMENT >= payload.len();
            let ack = to.seq;
            let flags = ACK | if last { PSH } else { 0 };
            self.segment(t, from, to, flags, chunk, ack);
        }
    }

    /// Add one connection: the TCP opening just before its first record, each flight (the
    /// records one side sent at one simulated time) as one send, segmented only where it
    /// exceeds [`MAX_SEGMENT`], at its simulated send time, and the close. Over
    /// [`AppProtocol::Tds`] the opening is followed by the PRELOGIN exchange and the
    /// handshake flights travel inside TDS PRELOGIN packets ([`tds_packets`]) until the
    /// first application-data record.
    pub fn add_connection_over(&mut self, wire: &[WireEvent], ends: Endpoints, app: AppProtocol) {
        self.add_flights(&flights(wire), ends, app);
    }

    /// Add one connection given as its [`Flight`]s (from the engine's wire events through
    /// [`flights`], or from a TLS 1.3 exchange through [`tls13_flights`]), as
    /// [`PcapWriter::add_connection_over`] describes.
    pub fn add_flights(&mut self, flights: &[Flight], ends: Endpoints, app: AppProtocol) {
        let base = EPOCH_SECS * 1_000_000;
        let start_us = base + flights.first().map(|w| w.time_ms * 1000).unwrap_or(0);
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
        // not simulated; the first record is at its real simulated time); over TDS the
        // PRELOGIN exchange takes 300 µs more before it.
        let t0 = start_us.saturating_sub(if app == AppProtocol::Tds { 600 } else { 300 });
        let s_isn = s.seq;
        self.segment(t0, &mut c, &s, SYN, &[], 0);
        let c_next = c.seq;
        self.segment(t0 + 100, &mut s, &c, SYN | ACK, &[], c_next);
        let s_next = s.seq;
        debug_assert_eq!(s_next, s_isn.wrapping_add(1));
        self.segment(t0 + 200, &mut c, &s, ACK, &[], s_next);
        // TDS packet ids per direction (client, server).
        let mut packet_id = [1u8, 1u8];
        if app == AppProtocol::Tds {
            let req = tds_packets(TDS_PRELOGIN, &prelogin_request(), &mut packet_id[0]);
            self.send(t0 + 300, &mut c, &s, &req);
            let resp = tds_packets(TDS_RESPONSE, &prelogin_response(), &mut packet_id[1]);
            self.send(t0 + 450, &mut s, &c, &resp);
        }
        let mut closed = [false, false];
        // Over TDS, handshake records go in PRELOGIN packets until application data flows.
        let mut in_handshake = app == AppProtocol::Tds;
        for flight in flights {
            let (from, to) = match flight.from {
                Side::Client => (&mut c, &mut s),
                Side::Server => (&mut s, &mut c),
            };
            let idx = flight.from as usize;
            if closed[idx] {
                continue;
            }
            let t = base + flight.time_ms * 1000;
            if !flight.bytes.is_empty() {
                if in_handshake && flight.bytes.first() == Some(&23) {
                    in_handshake = false;
                }
                if in_handshake {
                    let framed = tds_packets(TDS_PRELOGIN, &flight.bytes, &mut packet_id[idx]);
                    self.send(t, from, to, &framed);
                } else {
                    self.send(t, from, to, &flight.bytes);
                }
            }
            match flight.close {
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

/// What one side sent at one simulated time: its records' bytes, concatenated, and the
/// close that ended them, if any. The unit the capture is written from
/// ([`PcapWriter::add_flights`]): the TLS 1.2 engine's wire events give them through
/// [`flights`], a TLS 1.3 exchange through [`tls13_flights`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flight {
    pub from: Side,
    /// Simulated send time, in milliseconds.
    pub time_ms: u64,
    /// The records, headers included.
    pub bytes: Vec<u8>,
    pub close: Option<CloseKind>,
}

/// Group a connection's wire events into flights: consecutive events of one side at one
/// simulated time, up to and including a close.
pub fn flights(wire: &[WireEvent]) -> Vec<Flight> {
    let mut out: Vec<Flight> = Vec::new();
    for w in wire {
        match out.last_mut() {
            Some(f) if f.from == w.from && f.time_ms == w.time_ms && f.close.is_none() => {
                f.bytes.extend_from_slice(&w.bytes);
                f.close = w.close;
            }
            _ => out.push(Flight {
                from: w.from,
                time_ms: w.time_ms,
                bytes: w.bytes.clone(),
                close: w.close,
            }),
        }
    }
    out
}

/// A TLS 1.3 exchange between `client` and `server` as flights, `one_way_ms` apart: the
/// handshake (as [`crate::tls13::handshake_in_memory`] runs it, each side answering what it
/// received), then `request` from the client and `response` from the server as
/// application data, then close_notify and FIN from the client, then from the server.
/// The first error of either side ends it.
pub fn tls13_flights<A, B>(
    client: &mut crate::tls13::Client13<A>,
    server: &mut crate::tls13::Server13<B>,
    request: &[u8],
    response: &[u8],
    one_way_ms: u64,
) -> Result<Vec<Flight>, crate::tls13::Tls13Error>
where
    A: rand_core::RngCore + rand_core::CryptoRng,
    B: rand_core::RngCore + rand_core::CryptoRng,
{
    let mut out = Vec::new();
    let mut t = 0;
    let mut push = |from: Side, bytes: Vec<u8>, close: Option<CloseKind>| {
        if !bytes.is_empty() || close.is_some() {
            out.push(Flight {
                from,
                time_ms: t,
                bytes,
                close,
            });
        }
        t += one_way_ms;
    };
    let mut to_server = client.start()?;
    push(Side::Client, to_server.clone(), None);
    for _ in 0..8 {
        let to_client = server.receive(&to_server)?;
        push(Side::Server, to_client.clone(), None);
        to_server = client.receive(&to_client)?;
        push(Side::Client, to_server.clone(), None);
        if client.is_connected() && server.is_connected() && to_server.is_empty() {
            break;
        }
    }
    if !(client.is_connected() && server.is_connected()) {
        return Err(crate::tls13::Tls13Error {
            alert: crate::wire::AlertDescription::InternalError,
            reason: "handshake did not finish".into(),
        });
    }
    let req = client.send(request)?;
    push(Side::Client, req.clone(), None);
    server.receive(&req)?;
    let resp = server.send(response)?;
    push(Side::Server, resp.clone(), None);
    client.receive(&resp)?;
    let bye = client.close()?;
    push(Side::Client, bye.clone(), Some(CloseKind::Fin));
    server.receive(&bye)?;
    push(Side::Server, server.close()?, Some(CloseKind::Fin));
    Ok(out)
}

/// TDS packet type of a PRELOGIN message and of the TLS handshake it carries (MS-TDS
/// §2.2.3.1.1).
pub const TDS_PRELOGIN: u8 = 0x12;
/// TDS packet type of a server's response, here the PRELOGIN response (MS-TDS §2.2.3.1.1).
pub const TDS_RESPONSE: u8 = 0x04;
/// SQL Server's default network packet size, header included: "The default packet size is
/// 4,096 bytes" (https://learn.microsoft.com/en-us/sql/database-engine/configure-windows/configure-the-network-packet-size-server-configuration-option).
pub const TDS_PACKET_SIZE: usize = 4096;

/// `payload` as TDS packets of type `kind`: an 8-byte header (type, status 0x01 =
/// end of message on the last packet, length big-endian including the header, SPID 0,
/// packet id counting from 1 per direction modulo 256, window 0; MS-TDS §2.2.3.1) before
/// each piece of at most [`TDS_PACKET_SIZE`] − 8 bytes.
pub fn tds_packets(kind: u8, payload: &[u8], packet_id: &mut u8) -> Vec<u8> {
    let room = TDS_PACKET_SIZE - 8;
    let pieces = payload.len().div_ceil(room).max(1);
    let mut out = Vec::with_capacity(payload.len() + 8 * pieces);
    for i in 0..pieces {
        let piece = &payload[(i * room).min(payload.len())..((i + 1) * room).min(payload.len())];
        let last = i + 1 == pieces;
        let len = u16::try_from(piece.len() + 8).expect("at most TDS_PACKET_SIZE bytes");
        out.push(kind);
        out.push(u8::from(last));
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&[0, 0]);
        out.push(*packet_id);
        out.push(0);
        out.extend_from_slice(piece);
        *packet_id = packet_id.wrapping_add(1);
    }
    out
}

/// A PRELOGIN option table and its data (MS-TDS §2.2.6.5): each option is a token, the
/// offset of its data from the start of the message and its length (big-endian), then
/// the terminator 0xFF, then the data in order.
fn prelogin(options: &[(u8, &[u8])]) -> Vec<u8> {
    let mut table = Vec::new();
    let mut data = Vec::new();
    let head = options.len() * 5 + 1;
    for (token, value) in options {
        let off = u16::try_from(head + data.len()).expect("a short option table");
        let len = u16::try_from(value.len()).expect("a short option");
        table.push(*token);
        table.extend_from_slice(&off.to_be_bytes());
        table.extend_from_slice(&len.to_be_bytes());
        data.extend_from_slice(value);
    }
    table.push(0xff);
    table.extend_from_slice(&data);
    table
}

/// The client's PRELOGIN, laid out as MS-TDS §4.1's sample: VERSION 9.0.0.0 sub-build 0,
/// ENCRYPTION 0x01 (ENCRYPT_ON: the application asks for TLS), INSTOPT "" (0x00),
/// THREADID 0, MARS 0 (off).
pub fn prelogin_request() -> Vec<u8> {
    prelogin(&[
        (0x00, &[9, 0, 0, 0, 0, 0]),
        (0x01, &[0x01]),
        (0x02, &[0x00]),
        (0x03, &[0, 0, 0, 0]),
        (0x04, &[0x00]),
    ])
}

/// The server's PRELOGIN response: VERSION 15.0.2000 sub-build 0 (SQL Server 2019 RTM,
/// 15.0.2000.5), ENCRYPTION 0x01 (ENCRYPT_ON), INSTOPT 0x00, MARS 0; THREADID, the
/// client application's thread id (MS-TDS §2.2.6.5), is left out.
pub fn prelogin_response() -> Vec<u8> {
    let [hi, lo] = 2000u16.to_be_bytes();
    prelogin(&[
        (0x00, &[15, 0, hi, lo, 0, 0]),
        (0x01, &[0x01]),
        (0x02, &[0x00]),
        (0x04, &[0x00]),
    ])
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

/// A capture of connections given as flights ([`Flight`]), the i-th on client port 49152+i
/// to `server_port`: TLS 1.2 engine runs ([`flights`]) and TLS 1.3 exchanges
/// ([`tls13_flights`]) alike.
pub fn capture_flights(conns: &[Vec<Flight>], server_port: u16) -> Vec<u8> {
    let mut w = PcapWriter::new();
    for (i, f) in conns.iter().enumerate() {
        w.add_flights(f, Endpoints::nth(i, server_port), AppProtocol::Tls);
    }
    w.into_bytes()
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
/// address); records without a wire are skipped. TLS directly over TCP.
pub fn capture_records(
    records: &[crate::net::ConnRecord],
    server_port: impl Fn(&crate::net::ConnRecord) -> u16,
) -> Vec<u8> {
    capture_records_over(records, |r| (server_port(r), AppProtocol::Tls))
}

/// [`capture_records`] with each connection's server port and the application protocol
/// carrying its TLS.
pub fn capture_records_over(
    records: &[crate::net::ConnRecord],
    server: impl Fn(&crate::net::ConnRecord) -> (u16, AppProtocol),
) -> Vec<u8> {
    let mut w = PcapWriter::new();
    for (i, r) in records.iter().enumerate() {
        if let Some(wire) = &r.wire {
            let (port, app) = server(r);
            // 16384 ports per client address, then the next address (10.1.b.1 for block b).
            let (block, slot) = (i / 16384, i % 16384);
            let mut ends = Endpoints::nth(slot, port);
            if block > 0 {
                let [.., hi, lo] = block.to_be_bytes();
                ends.client_ip = [10, 1 + hi, lo, 1];
            }
            w.add_connection_over(wire, ends, app);
        }
    }
    w.into_bytes()
}

/// [`capture_records_over`] of a fleet's run: each connection to its server's port in
/// `fleet`, framed in the server's `app_protocol` (443 and TLS for a server the fleet does
/// not name).
pub fn capture_fleet(fleet: &crate::net::Fleet, records: &[crate::net::ConnRecord]) -> Vec<u8> {
    capture_records_over(records, |r| {
        fleet
            .servers
            .iter()
            .find(|s| s.label == r.server)
            .map_or((443, AppProtocol::Tls), |s| (s.port, s.app_protocol))
    })
}

/// The NSS key log of fleet connections: the lines (each with its newline) of each
/// recorded connection whose client derived its secrets ([`keylog_of`]).
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

/// The NSS key log line (`CLIENT_RANDOM <client random> <master secret>`, the format of
/// https://firefox-source-docs.mozilla.org/security/nss/legacy/key_log_format/index.html)
/// of a TLS 1.0–1.2 connection whose client derived a master secret. With it Wireshark
/// decrypts the connection's records (all but the 3DES and RC4 suites, whose simulated
/// records are plaintext plus an HMAC: README "What is real and what is modelled").
pub fn keylog_line(run: &Run) -> Option<String> {
    keylog_of(&run.wire, &run.outcome)
}

/// The NSS key log lines (each with its newline) of a TLS 1.3 connection from its labelled
/// secrets, `LABEL <client random> <secret>` (`CLIENT_HANDSHAKE_TRAFFIC_SECRET`,
/// `SERVER_HANDSHAKE_TRAFFIC_SECRET`, `CLIENT_TRAFFIC_SECRET_0`, `SERVER_TRAFFIC_SECRET_0`,
/// `EXPORTER_SECRET`), as [`crate::tls13::Client13::key_log`] gives them.
pub fn keylog_tls13(secrets: &[(&str, [u8; 32], Vec<u8>)]) -> String {
    let mut s = String::new();
    for (label, random, secret) in secrets {
        s.push_str(label);
        s.push(' ');
        for b in random {
            let _ = write!(s, "{b:02x}");
        }
        s.push(' ');
        for b in secret {
            let _ = write!(s, "{b:02x}");
        }
        s.push('\n');
    }
    s
}

/// [`keylog_line`] from a connection's wire records and outcome (a fleet's `ConnRecord`);
/// for TLS 1.3, the client's five secret lines ([`keylog_tls13`]), without a final newline.
pub fn keylog_of(wire: &[WireEvent], outcome: &crate::engine::Outcome) -> Option<String> {
    let random = client_random(wire)?;
    let truth = &outcome.client.truth;
    if !truth.tls13_key_log.is_empty() {
        let secrets: Vec<_> = (truth.tls13_key_log.iter())
            .map(|(label, secret)| (*label, random, secret.clone()))
            .collect();
        return Some(keylog_tls13(&secrets).trim_end().to_string());
    }
    let master = truth.master.as_ref()?;
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
