//! A received TLS byte stream as a tree the mutator can edit: records, handshake messages
//! and, inside each message, its length-prefixed vectors. Editing a node and encoding again
//! keeps every enclosing length right (unless a length itself was the edit), so a mutation
//! deep inside an extension reaches the parser of that extension instead of dying at the
//! record header.

use super::mutate::Mutator;

/// One field of a handshake message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Bytes(Vec<u8>),
    /// A vector with a `width`-byte big-endian length prefix (1, 2 or 3); `len`, when set,
    /// is written instead of the true length (a mutation).
    Vector {
        width: usize,
        len: Option<u32>,
        items: Vec<Node>,
    },
    Seq(Vec<Node>),
}

/// The low `width` bytes of `v`, big-endian (a length that does not fit wraps, as a
/// careless encoder's would).
fn put_len(out: &mut Vec<u8>, width: usize, v: u32) {
    let b = v.to_be_bytes();
    out.extend_from_slice(&b[4 - width.clamp(1, 4)..]);
}

fn len_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Node {
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Node::Bytes(b) => out.extend_from_slice(b),
            Node::Seq(v) => v.iter().for_each(|n| n.encode(out)),
            Node::Vector { width, len, items } => {
                let mut body = Vec::new();
                items.iter().for_each(|n| n.encode(&mut body));
                put_len(out, *width, len.unwrap_or(len_u32(body.len())));
                out.extend_from_slice(&body);
            }
        }
    }

    fn count(&self) -> usize {
        1 + match self {
            Node::Bytes(_) => 0,
            Node::Seq(v) | Node::Vector { items: v, .. } => v.iter().map(Node::count).sum(),
        }
    }

    /// The `k`-th node in pre-order (`k` counts down as the walk goes).
    fn nth_mut(&mut self, k: &mut usize) -> Option<&mut Node> {
        if *k == 0 {
            return Some(self);
        }
        *k -= 1;
        match self {
            Node::Bytes(_) => None,
            Node::Seq(v) | Node::Vector { items: v, .. } => v.iter_mut().find_map(|n| n.nth_mut(k)),
        }
    }
}

/// A small cursor for splitting a message body into nodes; every method returns `None`
/// when the input does not have the expected shape (the caller then keeps raw bytes).
struct Cut<'a> {
    b: &'a [u8],
}

impl<'a> Cut<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.b.len() {
            return None;
        }
        let (a, rest) = self.b.split_at(n);
        self.b = rest;
        Some(a)
    }

    fn bytes(&mut self, n: usize) -> Option<Node> {
        self.take(n).map(|b| Node::Bytes(b.to_vec()))
    }

    fn prefixed(&mut self, width: usize) -> Option<&'a [u8]> {
        let l = self.take(width)?;
        let n = l.iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        self.take(n)
    }

    /// A vector whose body is split by `inner`.
    fn vector(&mut self, width: usize, inner: impl Fn(&[u8]) -> Option<Vec<Node>>) -> Option<Node> {
        let body = self.prefixed(width)?;
        Some(Node::Vector {
            width,
            len: None,
            items: inner(body)?,
        })
    }

    fn done(&self) -> bool {
        self.b.is_empty()
    }
}

fn opaque(b: &[u8]) -> Option<Vec<Node>> {
    Some(vec![Node::Bytes(b.to_vec())])
}

/// A list of fixed-size items (cipher suites, groups, signature schemes).
fn items(size: usize) -> impl Fn(&[u8]) -> Option<Vec<Node>> {
    move |b: &[u8]| {
        if !b.len().is_multiple_of(size) {
            return opaque(b);
        }
        Some(b.chunks(size).map(|c| Node::Bytes(c.to_vec())).collect())
    }
}

/// A list of vectors (certificates, distinguished names, ALPN names).
fn vectors(width: usize) -> impl Fn(&[u8]) -> Option<Vec<Node>> {
    move |b: &[u8]| {
        let mut c = Cut { b };
        let mut v = Vec::new();
        while !c.done() {
            v.push(c.vector(width, opaque)?);
        }
        Some(v)
    }
}

fn whole(b: &[u8], f: impl Fn(&mut Cut) -> Option<Vec<Node>>) -> Option<Node> {
    let mut c = Cut { b };
    let v = f(&mut c)?;
    c.done().then_some(Node::Seq(v))
}

/// An extension body by type; unknown or malformed bodies stay raw.
fn extension_body(typ: u16, b: &[u8]) -> Vec<Node> {
    let parsed = match typ {
        // server_name: list of (name_type, opaque name<2>)
        0 => whole(b, |c| {
            Some(vec![c.vector(2, |l| {
                let mut c = Cut { b: l };
                let mut v = Vec::new();
                while !c.done() {
                    v.push(Node::Seq(vec![c.bytes(1)?, c.vector(2, opaque)?]));
                }
                Some(v)
            })?])
        }),
        10 | 13 => whole(b, |c| Some(vec![c.vector(2, items(2))?])),
        11 | 45 => whole(b, |c| Some(vec![c.vector(1, items(1))?])),
        16 => whole(b, |c| Some(vec![c.vector(2, vectors(1))?])),
        // supported_versions in a ClientHello
        43 => whole(b, |c| Some(vec![c.vector(1, items(2))?])),
        // key_share in a ClientHello: (group, opaque key<2>) entries
        51 => whole(b, |c| {
            Some(vec![c.vector(2, |l| {
                let mut c = Cut { b: l };
                let mut v = Vec::new();
                while !c.done() {
                    v.push(Node::Seq(vec![c.bytes(2)?, c.vector(2, opaque)?]));
                }
                Some(v)
            })?])
        }),
        0xff01 => whole(b, |c| Some(vec![c.vector(1, opaque)?])),
        _ => None,
    };
    match parsed {
        Some(n) => vec![n],
        None if b.is_empty() => Vec::new(),
        None => vec![Node::Bytes(b.to_vec())],
    }
}

fn extensions(b: &[u8]) -> Option<Vec<Node>> {
    let mut c = Cut { b };
    let mut v = Vec::new();
    while !c.done() {
        let t = c.take(2)?;
        let typ = u16::from_be_bytes([t[0], t[1]]);
        let body = c.prefixed(2)?;
        v.push(Node::Seq(vec![
            Node::Bytes(t.to_vec()),
            Node::Vector {
                width: 2,
                len: None,
                items: extension_body(typ, body),
            },
        ]));
    }
    Some(v)
}

fn hello(b: &[u8], client: bool) -> Option<Node> {
    whole(b, |c| {
        let mut v = vec![c.bytes(2)?, c.bytes(32)?, c.vector(1, opaque)?];
        if client {
            v.push(c.vector(2, items(2))?);
            v.push(c.vector(1, items(1))?);
        } else {
            v.push(c.bytes(3)?);
        }
        if !c.done() {
            v.push(c.vector(2, extensions)?);
        }
        Some(v)
    })
}

/// A message body split into fields by its type; raw bytes when it does not parse (the
/// kind of ServerKeyExchange is guessed from which layout consumes the body exactly).
pub(super) fn parse_body(typ: u8, b: &[u8]) -> Node {
    let signed = |c: &mut Cut, v: &mut Vec<Node>| -> Option<()> {
        if c.b.len() >= 2 && usize::from(u16::from_be_bytes([c.b[0], c.b[1]])) + 2 != c.b.len() {
            v.push(c.bytes(2)?); // TLS 1.2 SignatureAndHashAlgorithm
        }
        v.push(c.vector(2, opaque)?);
        Some(())
    };
    let parsed = match typ {
        1 => hello(b, true),
        2 => hello(b, false),
        4 => whole(b, |c| Some(vec![c.bytes(4)?, c.vector(2, opaque)?])),
        11 => whole(b, |c| Some(vec![c.vector(3, vectors(3))?])),
        12 => whole(b, |c| {
            let mut v = vec![
                c.vector(2, opaque)?,
                c.vector(2, opaque)?,
                c.vector(2, opaque)?,
            ];
            signed(c, &mut v)?;
            Some(v)
        })
        .or_else(|| {
            whole(b, |c| {
                let mut v = vec![c.bytes(3)?, c.vector(1, opaque)?];
                signed(c, &mut v)?;
                Some(v)
            })
        }),
        13 => whole(b, |c| {
            Some(vec![
                c.vector(1, items(1))?,
                c.vector(2, items(2))?,
                c.vector(2, vectors(2))?,
            ])
        })
        .or_else(|| {
            whole(b, |c| {
                Some(vec![c.vector(1, items(1))?, c.vector(2, vectors(2))?])
            })
        }),
        15 => whole(b, |c| {
            let mut v = Vec::new();
            signed(c, &mut v)?;
            Some(v)
        }),
        16 => whole(b, |c| Some(vec![c.vector(2, opaque)?]))
            .or_else(|| whole(b, |c| Some(vec![c.vector(1, opaque)?]))),
        _ => None,
    };
    parsed.unwrap_or_else(|| Node::Bytes(b.to_vec()))
}

/// A handshake message: type, u24 length (or an override), body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    pub typ: u8,
    pub len: Option<u32>,
    pub body: Node,
}

impl Msg {
    pub fn encode(&self, out: &mut Vec<u8>) {
        let mut body = Vec::new();
        self.body.encode(&mut body);
        out.push(self.typ);
        put_len(out, 3, self.len.unwrap_or(len_u32(body.len())));
        out.extend_from_slice(&body);
    }
}

/// A run of consecutive records of one sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unit {
    /// Plaintext handshake records: their messages, and the fragment sizes they were cut
    /// into (the last record takes whatever remains).
    Handshake {
        version: [u8; 2],
        msgs: Vec<Msg>,
        frags: Vec<usize>,
    },
    /// Any other record (ChangeCipherSpec, alert, application data, anything encrypted),
    /// kept opaque; `len` overrides the header's length.
    Record {
        typ: u8,
        version: [u8; 2],
        len: Option<u16>,
        body: Vec<u8>,
    },
}

fn put_record(out: &mut Vec<u8>, typ: u8, version: [u8; 2], len: Option<u16>, body: &[u8]) {
    out.push(typ);
    out.extend_from_slice(&version);
    let n = len.unwrap_or_else(|| u16::try_from(body.len()).unwrap_or(u16::MAX));
    out.extend_from_slice(&n.to_be_bytes());
    out.extend_from_slice(body);
}

/// A byte stream as records and messages, plus bytes after the last whole record.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Stream {
    pub units: Vec<Unit>,
    pub trailing: Vec<u8>,
}

impl Stream {
    /// Splits a stream one side received. Handshake records after a ChangeCipherSpec are
    /// encrypted and stay opaque; a run of handshake records that does not split into
    /// whole messages stays as records too.
    pub fn parse(bytes: &[u8]) -> Stream {
        let mut out = Stream::default();
        let mut c = Cut { b: bytes };
        let mut encrypted = false;
        // Pending run of plaintext handshake records.
        let mut run: Vec<([u8; 2], Vec<u8>)> = Vec::new();
        let flush = |run: &mut Vec<([u8; 2], Vec<u8>)>, units: &mut Vec<Unit>| {
            if run.is_empty() {
                return;
            }
            let joined: Vec<u8> = run.iter().flat_map(|r| r.1.iter().copied()).collect();
            let mut m = Cut { b: &joined };
            let mut msgs = Vec::new();
            while m.b.len() >= 4 {
                let typ = m.b[0];
                m.take(1);
                let Some(body) = m.prefixed(3) else { break };
                msgs.push(Msg {
                    typ,
                    len: None,
                    body: parse_body(typ, body),
                });
            }
            if m.done() && !msgs.is_empty() {
                units.push(Unit::Handshake {
                    version: run[0].0,
                    msgs,
                    frags: run.iter().map(|r| r.1.len()).collect(),
                });
            } else {
                units.extend(run.iter().map(|(version, body)| Unit::Record {
                    typ: 22,
                    version: *version,
                    len: None,
                    body: body.clone(),
                }));
            }
            run.clear();
        };
        while c.b.len() >= 5 {
            let save = c.b;
            let Some(&[typ, v0, v1]) = c.take(3) else {
                break;
            };
            let version = [v0, v1];
            let Some(body) = c.prefixed(2) else {
                c.b = save;
                break;
            };
            if typ == 22 && !encrypted {
                if run.first().is_some_and(|r| r.0 != version) {
                    flush(&mut run, &mut out.units);
                }
                run.push((version, body.to_vec()));
                continue;
            }
            flush(&mut run, &mut out.units);
            if typ == 20 {
                encrypted = true;
            }
            out.units.push(Unit::Record {
                typ,
                version,
                len: None,
                body: body.to_vec(),
            });
        }
        flush(&mut run, &mut out.units);
        out.trailing = c.b.to_vec();
        out
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for u in &self.units {
            match u {
                Unit::Record {
                    typ,
                    version,
                    len,
                    body,
                } => put_record(&mut out, *typ, *version, *len, body),
                Unit::Handshake {
                    version,
                    msgs,
                    frags,
                } => {
                    let mut all = Vec::new();
                    msgs.iter().for_each(|m| m.encode(&mut all));
                    let mut rest = &all[..];
                    for (i, f) in frags.iter().enumerate() {
                        let last = i + 1 == frags.len();
                        let n = if last {
                            rest.len()
                        } else {
                            (*f).min(rest.len())
                        };
                        let (now, later) = rest.split_at(n);
                        put_record(&mut out, 22, *version, None, now);
                        rest = later;
                    }
                    if frags.is_empty() {
                        put_record(&mut out, 22, *version, None, rest);
                    }
                }
            }
        }
        out.extend_from_slice(&self.trailing);
        out
    }

    /// Every handshake message, for splicing into other streams.
    pub fn messages(&self) -> impl Iterator<Item = &Msg> {
        self.units.iter().flat_map(|u| match u {
            Unit::Handshake { msgs, .. } => msgs.as_slice(),
            Unit::Record { .. } => &[],
        })
    }
}

/// Handshake types worth changing a message into.
const HS_TYPES: &[u8] = &[0, 1, 2, 4, 11, 12, 13, 14, 15, 16, 20, 22, 24, 254, 255];
/// Record content types worth changing a record into.
const REC_TYPES: &[u8] = &[0, 19, 20, 21, 22, 23, 24, 128, 255];
const VERSIONS: &[[u8; 2]] = &[
    [3, 0],
    [3, 1],
    [3, 2],
    [3, 3],
    [3, 4],
    [2, 0],
    [0, 0],
    [0xfe, 0xfd],
    [0xff, 0xff],
];

/// One structure-aware edit of `s`; `donors` are messages from other seeds to splice in.
pub(super) fn mutate_stream(m: &mut Mutator, s: &mut Stream, donors: &[Msg]) {
    let hs: Vec<usize> = (0..s.units.len())
        .filter(|&i| matches!(s.units[i], Unit::Handshake { .. }))
        .collect();
    let choice = m.below(100);
    if choice < 45 && !hs.is_empty() {
        let u = hs[m.below(hs.len())];
        if let Unit::Handshake { msgs, .. } = &mut s.units[u] {
            if !msgs.is_empty() {
                let i = m.below(msgs.len());
                mutate_msg(m, &mut msgs[i]);
            }
        }
    } else if choice < 60 && !hs.is_empty() {
        let u = hs[m.below(hs.len())];
        if let Unit::Handshake { msgs, .. } = &mut s.units[u] {
            mutate_msg_list(m, msgs, donors);
        }
    } else if choice < 72 && !hs.is_empty() {
        let u = hs[m.below(hs.len())];
        if let Unit::Handshake {
            version,
            frags,
            msgs,
        } = &mut s.units[u]
        {
            let total: usize = msgs
                .iter()
                .map(|x| {
                    let mut b = Vec::new();
                    x.encode(&mut b);
                    b.len()
                })
                .sum();
            refragment(m, frags, version, total);
        }
    } else if choice < 90 && !s.units.is_empty() {
        let i = m.below(s.units.len());
        mutate_unit_list(m, &mut s.units, i);
    } else {
        // Bytes after the last record: a partial record, or junk.
        match m.below(3) {
            0 => s.trailing = m.some_junk(1, 8),
            1 => {
                let typ = *m.pick(REC_TYPES);
                s.trailing = vec![typ, 3, 3, 0xff, 0xff];
            }
            _ => s.trailing.clear(),
        }
    }
}

fn mutate_msg(m: &mut Mutator, msg: &mut Msg) {
    match m.below(10) {
        0 => msg.typ = *m.pick(HS_TYPES),
        1 => {
            let mut b = Vec::new();
            msg.body.encode(&mut b);
            msg.len = Some(m.interesting_len(b.len(), 3));
        }
        _ => {
            let n = msg.body.count();
            let mut k = m.below(n);
            if let Some(node) = msg.body.nth_mut(&mut k) {
                mutate_node(m, node);
            }
        }
    }
}

fn mutate_node(m: &mut Mutator, node: &mut Node) {
    match node {
        Node::Bytes(b) => m.bytes(b),
        Node::Seq(v) => {
            if !v.is_empty() {
                let i = m.below(v.len());
                match m.below(3) {
                    0 => {
                        v.remove(i);
                    }
                    1 => {
                        let d = v[i].clone();
                        v.insert(i, d);
                    }
                    _ => mutate_node(m, &mut v[i]),
                }
            }
        }
        Node::Vector { width, len, items } => match m.below(7) {
            0 | 1 => {
                let mut b = Vec::new();
                items.iter().for_each(|n| n.encode(&mut b));
                *len = Some(m.interesting_len(b.len(), *width));
            }
            2 if !items.is_empty() => {
                items.remove(m.below(items.len()));
            }
            3 if !items.is_empty() => {
                let i = m.below(items.len());
                let d = items[i].clone();
                let at = m.below(items.len() + 1);
                items.insert(at, d);
            }
            4 if items.len() > 1 => {
                let (a, b) = (m.below(items.len()), m.below(items.len()));
                items.swap(a, b);
            }
            5 => items.clear(),
            _ => {
                if items.is_empty() {
                    items.push(Node::Bytes(m.some_junk(1, 4)));
                } else {
                    let i = m.below(items.len());
                    mutate_node(m, &mut items[i]);
                }
            }
        },
    }
}

fn mutate_msg_list(m: &mut Mutator, msgs: &mut Vec<Msg>, donors: &[Msg]) {
    match m.below(5) {
        0 if !msgs.is_empty() => {
            msgs.remove(m.below(msgs.len()));
        }
        1 if !msgs.is_empty() => {
            let i = m.below(msgs.len());
            let d = msgs[i].clone();
            msgs.insert(m.below(msgs.len() + 1), d);
        }
        2 if msgs.len() > 1 => {
            let (a, b) = (m.below(msgs.len()), m.below(msgs.len()));
            msgs.swap(a, b);
        }
        3 if !donors.is_empty() => {
            let d = donors[m.below(donors.len())].clone();
            msgs.insert(m.below(msgs.len() + 1), d);
        }
        _ => msgs.truncate(m.below(msgs.len() + 1)),
    }
}

fn refragment(m: &mut Mutator, frags: &mut Vec<usize>, version: &mut [u8; 2], total: usize) {
    let total = total.max(1);
    match m.below(6) {
        // one record for everything
        0 => *frags = vec![total],
        // one byte per record (capped: a long flight would make a huge input)
        1 => *frags = vec![1; total.min(64)],
        // random cuts
        2 => {
            let n = 1 + m.below(8);
            *frags = (0..n).map(|_| 1 + m.below(total)).collect();
        }
        // an empty handshake record somewhere (RFC 5246 §6.2.1 forbids them)
        3 => {
            let at = m.below(frags.len() + 1);
            frags.insert(at, 0);
        }
        4 => *version = *m.pick(VERSIONS),
        // a record above 2^14
        _ => *frags = vec![total.max(16385)],
    }
}

fn mutate_unit_list(m: &mut Mutator, units: &mut Vec<Unit>, i: usize) {
    match m.below(8) {
        0 => {
            units.remove(i);
        }
        1 => {
            let d = units[i].clone();
            units.insert(i, d);
        }
        2 => {
            let j = m.below(units.len());
            units.swap(i, j);
        }
        3 => {
            // a stray record: ChangeCipherSpec, an alert, application data or junk
            let (typ, body) = match m.below(5) {
                0 => (20, vec![1]),
                1 => (21, vec![*m.pick(&[1, 2, 3]), m.below(256).to_le_bytes()[0]]),
                2 => (23, m.some_junk(0, 32)),
                3 => (22, Vec::new()),
                _ => {
                    let typ = *m.pick(REC_TYPES);
                    (typ, m.some_junk(0, 16))
                }
            };
            units.insert(
                i,
                Unit::Record {
                    typ,
                    version: [3, 3],
                    len: None,
                    body,
                },
            );
        }
        _ => match &mut units[i] {
            Unit::Record {
                typ,
                version,
                len,
                body,
            } => match m.below(5) {
                0 => *typ = *m.pick(REC_TYPES),
                1 => *version = *m.pick(VERSIONS),
                2 => {
                    let l = m.interesting_len(body.len(), 2);
                    *len = u16::try_from(l).ok();
                }
                _ => m.bytes(body),
            },
            Unit::Handshake { version, .. } => *version = *m.pick(VERSIONS),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_round_trips_byte_for_byte() {
        // A ClientHello with extensions, split over two records, then a CCS and junk.
        let mut ch = vec![3, 3];
        ch.extend([7u8; 32]);
        ch.extend([0, 0, 4, 0xc0, 0x2f, 0, 0x9e, 1, 0]);
        ch.extend([0, 13, 0, 10, 0, 4, 0, 2, 0, 0x1d, 0xff, 0x01, 0, 1, 0]);
        let mut msg = vec![1, 0, 0, u8::try_from(ch.len()).unwrap()];
        msg.extend(&ch);
        let mut bytes = Vec::new();
        let (a, b) = msg.split_at(10);
        for part in [a, b] {
            bytes.extend([22, 3, 1, 0, u8::try_from(part.len()).unwrap()]);
            bytes.extend(part);
        }
        bytes.extend([20, 3, 3, 0, 1, 1, 22, 3, 3, 0, 2, 9, 9, 0x42]);
        let s = Stream::parse(&bytes);
        assert_eq!(s.encode(), bytes);
        assert_eq!(s.messages().count(), 1);
        assert!(matches!(s.messages().next().unwrap().body, Node::Seq(_)));
        assert_eq!(s.trailing, vec![0x42]);
    }

    #[test]
    fn a_vector_edit_fixes_the_enclosing_lengths() {
        let mut n = Node::Vector {
            width: 2,
            len: None,
            items: vec![Node::Vector {
                width: 1,
                len: None,
                items: vec![Node::Bytes(vec![1, 2])],
            }],
        };
        let mut k = 2;
        *n.nth_mut(&mut k).unwrap() = Node::Bytes(vec![1, 2, 3]);
        let mut out = Vec::new();
        n.encode(&mut out);
        assert_eq!(out, [0, 4, 3, 1, 2, 3]);
    }
}
