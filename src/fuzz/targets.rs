//! Each target's corpus, how an input is made from a seed, and how it is run and checked.

use super::corpus::{self, EngineCase};
use super::mutate::{dictionary, Mutator};
use super::tls::{mutate_stream, Msg, Stream};
use super::Target;
use crate::engine::{CloseKind, Connection, LocalReport, Outcome, PeerState, Side, Timeouts};
use crate::profile::{self, Profile};
use crate::wire::*;
use std::path::{Path, PathBuf};

/// How an engine input ends after its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The peer just stops sending (the engine is left waiting).
    Nothing,
    Fin,
    Rst,
    Timeout,
}

/// One generated input: the bytes, which seed they came from, and for engines how they are
/// delivered (`chunks`: sizes of successive deliveries; the last takes the rest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub case: String,
    case_index: usize,
    pub bytes: Vec<u8>,
    pub chunks: Vec<usize>,
    pub end: End,
}

/// What a text seed feeds.
#[derive(Debug, Clone, PartialEq, Eq)]
enum TextKind {
    /// A scenario file, parsed with its directory (for relative profile files).
    Scenario(PathBuf),
    ProfileToml,
    /// One catalogue file, parsed together with the others as shipped.
    Catalogue(usize),
    /// A profile spec: `name`, `name@date`, `name+KB…`.
    Spec,
    Reg,
    CipherOrder,
}

#[derive(Debug, Clone)]
struct TextSeed {
    name: String,
    kind: TextKind,
    text: String,
}

enum Seeds {
    Wire(Vec<(String, Stream)>),
    Engine(Vec<EngineCase>),
    Text {
        seeds: Vec<TextSeed>,
        dict: Vec<String>,
        /// The shipped catalogue files (name, text), for catalogue seeds.
        catalogue: Vec<(String, String)>,
    },
}

/// A target's seeds and what it splices.
pub struct Corpus {
    target: Target,
    seeds: Seeds,
    donors: Vec<Msg>,
}

/// OpenSSL recordings shipped in `tests/data/fuzz-seeds` (see the README there).
fn openssl_seeds(root: &Path) -> Result<Vec<(String, Vec<u8>)>, String> {
    let dir = root.join("tests/data/fuzz-seeds");
    corpus::files_in(&dir, ".bin")?
        .into_iter()
        .map(|p| {
            let b = std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?;
            let name = p.file_name().map(|n| n.to_string_lossy().to_string());
            Ok((name.unwrap_or_default(), b))
        })
        .collect()
}

impl Corpus {
    /// Builds the seeds of `target`. `root` is the repository (shipped scenarios, the
    /// catalogue files and `tests/data/fuzz-seeds` are read from it).
    pub fn build(target: Target, root: &Path) -> Result<Corpus, String> {
        let side_cases = |real: bool, side: Side| -> Result<Vec<EngineCase>, String> {
            Ok(corpus::engine_cases(real)?
                .into_iter()
                .filter(|c| c.side == side)
                .collect())
        };
        let seeds = match target {
            Target::Wire => {
                let mut v: Vec<(String, Stream)> = Vec::new();
                for real in [false, true] {
                    for c in corpus::engine_cases(real)? {
                        v.push((c.name.clone(), c.stream.clone()));
                    }
                }
                for (name, b) in openssl_seeds(root)? {
                    v.push((name, Stream::parse(&b)));
                }
                Seeds::Wire(v)
            }
            Target::ClientSim => Seeds::Engine(side_cases(false, Side::Client)?),
            Target::ClientReal => Seeds::Engine(side_cases(true, Side::Client)?),
            Target::ServerSim | Target::ServerReal => {
                let real = target == Target::ServerReal;
                let mut cases = side_cases(real, Side::Server)?;
                // Real OpenSSL ClientHellos, answered by the first server of the corpus
                // in its state before its first connection.
                let first = cases.first().cloned().ok_or("no server case")?;
                for (name, b) in openssl_seeds(root)? {
                    if name.contains("clienthello") {
                        let mut c = first.clone();
                        c.name = format!("server:{name}");
                        c.stream = Stream::parse(&b);
                        c.received = vec![b];
                        c.complete = false;
                        cases.push(c);
                    }
                }
                Seeds::Engine(cases)
            }
            _ => text_seeds(target, root)?,
        };
        let donors = match &seeds {
            Seeds::Wire(v) => corpus::donors(v.iter().map(|s| &s.1)),
            Seeds::Engine(v) => corpus::donors(v.iter().map(|c| &c.stream)),
            Seeds::Text { .. } => Vec::new(),
        };
        Ok(Corpus {
            target,
            seeds,
            donors,
        })
    }

    pub fn target(&self) -> Target {
        self.target
    }

    /// Number of seeds.
    pub fn len(&self) -> usize {
        match &self.seeds {
            Seeds::Wire(v) => v.len(),
            Seeds::Engine(v) => v.len(),
            Seeds::Text { seeds, .. } => seeds.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Seed names, in order.
    pub fn seed_names(&self) -> Vec<String> {
        match &self.seeds {
            Seeds::Wire(v) => v.iter().map(|s| s.0.clone()).collect(),
            Seeds::Engine(v) => v.iter().map(|c| c.name.clone()).collect(),
            Seeds::Text { seeds, .. } => seeds.iter().map(|s| s.name.clone()).collect(),
        }
    }

    /// The engine seeds (empty for other targets).
    pub fn engine_cases(&self) -> &[EngineCase] {
        match &self.seeds {
            Seeds::Engine(v) => v,
            _ => &[],
        }
    }

    /// Input number `iter` under `seed`: a seed picked and mutated by a ChaCha stream
    /// that depends only on (seed, target, iter). About one input in fifty is a seed
    /// unchanged, so the deep paths stay covered.
    pub fn generate(&self, seed: u64, iter: u64) -> Input {
        let mut m = Mutator::new(seed, self.target.id(), iter);
        let n = self.len().max(1);
        let case_index = m.below(n);
        let unchanged = m.chance(2);
        let edits = 1 + m.below(4);
        match &self.seeds {
            Seeds::Wire(v) => {
                let (name, s) = &v[case_index];
                let bytes = self.mutated_stream(&mut m, s, unchanged, edits);
                Input {
                    case: name.clone(),
                    case_index,
                    chunks: random_chunks(&mut m, bytes.len()),
                    bytes,
                    end: End::Nothing,
                }
            }
            Seeds::Engine(v) => {
                let c = &v[case_index];
                let bytes = self.mutated_stream(&mut m, &c.stream, unchanged, edits);
                let chunks = if m.chance(50) {
                    c.received.iter().map(Vec::len).collect()
                } else {
                    random_chunks(&mut m, bytes.len())
                };
                let end = match m.below(10) {
                    0 => End::Fin,
                    1 => End::Rst,
                    2 => End::Timeout,
                    _ => End::Nothing,
                };
                Input {
                    case: c.name.clone(),
                    case_index,
                    bytes,
                    chunks,
                    end,
                }
            }
            Seeds::Text { seeds, dict, .. } => {
                let s = &seeds[case_index];
                let bytes = if unchanged {
                    s.text.as_bytes().to_vec()
                } else {
                    m.text(&s.text, dict)
                };
                Input {
                    case: s.name.clone(),
                    case_index,
                    bytes,
                    chunks: Vec::new(),
                    end: End::Nothing,
                }
            }
        }
    }

    fn mutated_stream(
        &self,
        m: &mut Mutator,
        s: &Stream,
        unchanged: bool,
        edits: usize,
    ) -> Vec<u8> {
        if unchanged {
            return s.encode();
        }
        let mut s = s.clone();
        for _ in 0..edits {
            mutate_stream(m, &mut s, &self.donors);
        }
        let mut bytes = s.encode();
        if m.chance(15) {
            m.bytes(&mut bytes);
        }
        bytes
    }

    /// Seed number `i` unchanged, delivered as it was recorded.
    pub fn seed_input(&self, i: usize) -> Input {
        let (case, bytes, chunks) = match &self.seeds {
            Seeds::Wire(v) => (v[i].0.clone(), v[i].1.encode(), Vec::new()),
            Seeds::Engine(v) => (
                v[i].name.clone(),
                v[i].stream.encode(),
                v[i].received.iter().map(Vec::len).collect(),
            ),
            Seeds::Text { seeds, .. } => (
                seeds[i].name.clone(),
                seeds[i].text.as_bytes().to_vec(),
                Vec::new(),
            ),
        };
        Input {
            case,
            case_index: i,
            bytes,
            chunks,
            end: End::Nothing,
        }
    }

    /// Runs one input: `Ok(true)` accepted, `Ok(false)` rejected cleanly, `Err` a broken
    /// invariant. Panics propagate (the caller catches them).
    pub fn execute(&self, input: &Input) -> Result<bool, String> {
        match &self.seeds {
            Seeds::Wire(_) => wire(input),
            Seeds::Engine(v) => engine(&v[input.case_index], input),
            Seeds::Text {
                seeds, catalogue, ..
            } => text(&seeds[input.case_index], catalogue, &input.bytes),
        }
    }

    /// The input as it would be with other bytes (to replay a saved `.bin`).
    pub fn with_bytes(&self, mut input: Input, bytes: Vec<u8>) -> Input {
        input.bytes = bytes;
        input.chunks.clear();
        input
    }

    /// An input straight from a coverage-guided fuzzer's bytes (cargo-fuzz, AFL): the first
    /// byte picks the seed whose context (engine state, text kind) the rest runs in.
    pub fn raw_input(&self, data: &[u8]) -> Input {
        let (pick, rest) = data.split_first().unwrap_or((&0, &[]));
        let i = usize::from(*pick) % self.len().max(1);
        let mut input = self.seed_input(i);
        input.bytes = rest.to_vec();
        input.chunks.clear();
        input
    }
}

/// Up to six delivery sizes (zero or more cuts of the stream).
fn random_chunks(m: &mut Mutator, len: usize) -> Vec<usize> {
    let n = m.below(7);
    (0..n).map(|_| 1 + m.below(len.max(1))).collect()
}

/// Cuts `bytes` into deliveries of the given sizes; the last delivery takes the rest.
fn deliveries<'a>(bytes: &'a [u8], chunks: &[usize]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut rest = bytes;
    for &c in chunks {
        if rest.is_empty() {
            break;
        }
        let (a, b) = rest.split_at(c.min(rest.len()));
        out.push(a);
        rest = b;
    }
    if !rest.is_empty() || out.is_empty() {
        out.push(rest);
    }
    out
}

// ------------------------------------------------------------------------- wire

/// A decoded message must re-encode to at most its own size and decode again to itself.
fn round_trip(raw: &[u8], tls12: bool) -> Result<bool, String> {
    let Ok(m) = HandshakeMessage::from_bytes(raw, tls12) else {
        return Ok(false);
    };
    let enc = m.to_bytes();
    if enc.len() > raw.len() {
        return Err(format!(
            "{} re-encodes to {} bytes from {} (tls12={tls12})",
            m.typ().name(),
            enc.len(),
            raw.len()
        ));
    }
    match HandshakeMessage::from_bytes(&enc, tls12) {
        Ok(m2) if m2 == m => {}
        other => {
            return Err(format!(
                "{} does not decode to itself after re-encoding (tls12={tls12}): {other:?}",
                m.typ().name()
            ))
        }
    }
    let kxs = [KeyExchange::Rsa, KeyExchange::DheRsa, KeyExchange::EcdheRsa];
    match &m.payload {
        HandshakePayload::ServerKeyExchange(body) => {
            for kx in kxs {
                if let Ok(p) = ServerKeyExchangePayload::read_as(kx, tls12, body) {
                    if p.to_bytes() != *body {
                        return Err(format!(
                            "ServerKeyExchange as {kx:?} re-encodes differently"
                        ));
                    }
                }
            }
        }
        HandshakePayload::ClientKeyExchange(body) => {
            for kx in kxs {
                if let Ok(p) = ClientKeyExchangePayload::read_as(kx, body) {
                    if p.to_bytes() != *body {
                        return Err(format!(
                            "ClientKeyExchange as {kx:?} re-encodes differently"
                        ));
                    }
                }
            }
        }
        _ => {}
    }
    Ok(true)
}

/// The records of a stream delivered in `parts`, up to the first framing error.
fn deframe(parts: &[&[u8]]) -> (Vec<Record>, Option<InvalidMessage>) {
    let mut d = RecordDeframer::new();
    let mut out = Vec::new();
    for p in parts {
        d.push(p);
        loop {
            match d.pop() {
                Ok(Some(r)) => out.push(r),
                Ok(None) => break,
                Err(e) => return (out, Some(e)),
            }
        }
    }
    (out, None)
}

fn wire(input: &Input) -> Result<bool, String> {
    let parts = deliveries(&input.bytes, &input.chunks);
    let (records, err) = deframe(&parts);
    if parts.len() > 1 && deframe(&[&input.bytes]) != (records.clone(), err) {
        return Err(
            "the deframer cuts the same bytes differently when they arrive in parts".into(),
        );
    }
    let mut joiner = HandshakeJoiner::new();
    let mut accepted = false;
    let mut joining = true;
    for rec in records {
        if rec.fragment.len() > MAX_CIPHERTEXT || !rec.typ.is_known() {
            return Err(format!(
                "deframer returned a {:?} record of {} bytes",
                rec.typ,
                rec.fragment.len()
            ));
        }
        if Record::from_bytes(&rec.to_bytes()).as_ref() != Ok(&rec) {
            return Err("record does not round-trip".into());
        }
        match rec.typ {
            ContentType::Handshake if joining => {
                if joiner.push(&rec.fragment).is_err() {
                    joining = false;
                }
                while let Some(msg) = joiner.pop() {
                    if msg.raw.len() != msg.body_len + HANDSHAKE_HEADER_LEN {
                        return Err("joined message length disagrees with its header".into());
                    }
                    for tls12 in [true, false] {
                        accepted |= round_trip(&msg.raw, tls12)?;
                    }
                }
            }
            ContentType::Alert => {
                if let Ok(a) = Alert::from_bytes(&rec.fragment) {
                    if a.to_bytes() != rec.fragment {
                        return Err("alert does not round-trip".into());
                    }
                }
            }
            _ => {}
        }
    }
    Ok(accepted)
}

// ------------------------------------------------------------------------- engines

/// Checks what the engine sent since the last call: each transmit is one well-formed
/// record or a close, and nothing follows a close. Appends it to `sent` (a close as `[0]`).
fn drain(c: &mut Connection, closed: &mut bool, sent: &mut Vec<u8>) -> Result<(), String> {
    while let Some(t) = c.poll_transmit() {
        if *closed {
            return Err(format!("sent {:?} after closing", t.summary));
        }
        if t.close.is_some() {
            if !t.bytes.is_empty() {
                return Err("a close transmit carries bytes".into());
            }
            *closed = true;
            sent.push(0);
            continue;
        }
        let mut r = Reader::new(&t.bytes);
        let rec = Record::read(&mut r).map_err(|e| format!("sent a malformed record: {e}"))?;
        if !r.is_empty() {
            return Err("a transmit holds more than one record".into());
        }
        if !rec.typ.is_known() || rec.fragment.len() > MAX_CIPHERTEXT {
            return Err(format!(
                "sent a {:?} record of {} bytes",
                rec.typ,
                rec.fragment.len()
            ));
        }
        sent.extend_from_slice(&t.bytes);
    }
    Ok(())
}

/// Feeds `bytes` to a fresh engine of `case` in deliveries of `chunks`, then `end`; returns
/// everything it sent and its final report.
fn feed(
    case: &EngineCase,
    bytes: &[u8],
    chunks: &[usize],
    end: End,
) -> Result<(Vec<u8>, LocalReport), String> {
    let mut state: PeerState = case.state.clone();
    // `End::Timeout` ends the input at the handshake's deadline, 2 ms after the start.
    let mut c = case.connection(&mut state).with_timeouts(Timeouts {
        handshake: Some(2),
        connection: None,
    });
    let mut closed = false;
    let mut sent = Vec::new();
    drain(&mut c, &mut closed, &mut sent)?;
    let now = case.now;
    for part in deliveries(bytes, chunks) {
        c.handle_input(now + 1, part, &mut state);
        drain(&mut c, &mut closed, &mut sent)?;
    }
    match end {
        End::Nothing => {}
        End::Fin => c.handle_close(now + 2, CloseKind::Fin),
        End::Rst => c.handle_close(now + 2, CloseKind::Rst),
        End::Timeout => {
            c.handle_timeout(now + 2);
        }
    }
    drain(&mut c, &mut closed, &mut sent)?;
    let report = c.report().clone();
    if c.is_closed()
        && !report.complete
        && report.error.is_none()
        && report.alert_received.is_none()
    {
        return Err("closed during the handshake with no error and no alert".into());
    }
    if closed && !c.is_closed() {
        return Err("sent a close but is not closed".into());
    }
    Ok((sent, report))
}

fn engine(case: &EngineCase, input: &Input) -> Result<bool, String> {
    let (sent, report) = feed(case, &input.bytes, &input.chunks, input.end)?;
    // How the bytes were cut into deliveries must not matter (a sans-IO engine buffers).
    if deliveries(&input.bytes, &input.chunks).len() > 1 {
        let (sent1, report1) = feed(case, &input.bytes, &[], input.end)?;
        if sent1 != sent || format!("{report1:?}") != format!("{report:?}") {
            return Err("the same bytes in one delivery give another result".into());
        }
    }
    // The classifier must explain whatever one side saw.
    let other = LocalReport::new(case.side.peer());
    let outcome = match case.side {
        Side::Client => Outcome::from_reports(report.clone(), other),
        Side::Server => Outcome::from_reports(other, report.clone()),
    };
    if outcome.explanation.is_empty() && !outcome.ok() {
        return Err("a failed outcome with no explanation".into());
    }
    Ok(report.complete)
}

// ------------------------------------------------------------------------- text

fn text_seeds(target: Target, root: &Path) -> Result<Seeds, String> {
    let seed_dir = root.join("tests/data/fuzz-seeds");
    let mut seeds = Vec::new();
    let mut catalogue = Vec::new();
    let mut add = |name: String, kind: TextKind, text: String| {
        seeds.push(TextSeed { name, kind, text });
    };
    match target {
        Target::Scenario => {
            let mut files = corpus::files_in(&root.join("scenarios"), ".toml")?;
            files.extend(corpus::files_in(&root.join("scenarios/bench"), ".toml")?);
            files.extend(corpus::files_in(&root.join("tests/data"), ".toml")?);
            for f in files {
                let dir = f.parent().map(Path::to_path_buf).unwrap_or_default();
                let name = f.strip_prefix(root).unwrap_or(&f).display().to_string();
                add(name, TextKind::Scenario(dir), corpus::read_text(&f)?);
            }
        }
        Target::Profile => {
            for f in corpus::files_in(&root.join("catalogue"), ".toml")? {
                let name = f.strip_prefix(root).unwrap_or(&f).display().to_string();
                catalogue.push((name, corpus::read_text(&f)?));
            }
            for (i, (name, text)) in catalogue.iter().enumerate() {
                add(name.clone(), TextKind::Catalogue(i), text.clone());
            }
            let mut names: Vec<String> = profile::builtin::builtin_names()
                .into_iter()
                .map(str::to_string)
                .collect();
            names.extend(profile::catalogue_names());
            for n in &names {
                // Abstract catalogue entries (bases) do not load; they are not seeds.
                if let Ok(p) = profile::load(n) {
                    add(format!("profile:{n}"), TextKind::ProfileToml, p.to_toml());
                }
            }
            // A profile file over a catalogue base.
            add(
                "profile:base".into(),
                TextKind::ProfileToml,
                "base = \"win2012r2@2019-10-08\"\nname = \"app\"\npremaster_leading_zeros = \"strip\"\n".into(),
            );
            for spec in [
                "win2012r2",
                "win2012r2@2019-10-08",
                "win2016+KB4537806",
                "win2012r2@2015-05-12+KB3061518",
                "openssl-1.0.2",
                "rfc-strict",
            ] {
                add(format!("spec:{spec}"), TextKind::Spec, spec.to_string());
            }
        }
        Target::Reg => {
            for f in corpus::files_in(&seed_dir, ".reg")? {
                let b = std::fs::read(&f).map_err(|e| format!("{}: {e}", f.display()))?;
                // Seeds are edited as text; UTF-16 exports come back through `reencode`.
                let text = decode_utf16_or_utf8(&b);
                add(f.display().to_string(), TextKind::Reg, text);
            }
        }
        Target::CipherOrder => {
            for f in corpus::files_in(&seed_dir, ".txt")? {
                if f.to_string_lossy().contains("order") {
                    add(
                        f.display().to_string(),
                        TextKind::CipherOrder,
                        corpus::read_text(&f)?,
                    );
                }
            }
        }
        _ => return Err(format!("{target} has no text seeds")),
    }
    if seeds.is_empty() {
        return Err(format!("no seeds for {target} under {}", root.display()));
    }
    let mut words: Vec<&str> = seeds.iter().map(|s| s.text.as_str()).collect();
    let names = profile::catalogue_names();
    words.extend(names.iter().map(String::as_str));
    let dict = dictionary(words);
    Ok(Seeds::Text {
        seeds,
        dict,
        catalogue,
    })
}

fn decode_utf16_or_utf8(b: &[u8]) -> String {
    match b {
        [0xFF, 0xFE, rest @ ..] => {
            let units: Vec<u16> = rest
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        _ => String::from_utf8_lossy(b).into_owned(),
    }
}

fn text(seed: &TextSeed, catalogue: &[(String, String)], bytes: &[u8]) -> Result<bool, String> {
    let s = String::from_utf8_lossy(bytes);
    match &seed.kind {
        TextKind::Scenario(dir) => {
            Ok(crate::scenario::Scenario::parse(&s, "fuzz.toml", "fuzz", Some(dir)).is_ok())
        }
        TextKind::ProfileToml => {
            let Ok(p) = Profile::from_toml(&s) else {
                return Ok(false);
            };
            // What a profile writes, it reads back unchanged.
            let t = p.to_toml();
            match Profile::from_toml(&t) {
                Ok(q) if q.to_toml() == t => {}
                Ok(_) => return Err("profile TOML does not round-trip".into()),
                Err(e) => return Err(format!("a parsed profile writes TOML it rejects: {e}")),
            }
            let _ = profile::catalogue::knob_values(&p);
            let _ = p.server_dh_group();
            // The profile-file reader (base, JSON, sources): the JSON form of what it
            // reads (`profiles show --json`) reads back to the same profile file.
            if let Ok(r) = profile::file::parse(&s, "fuzz.toml") {
                let j = profile::file::to_json(&r);
                let text = serde_json::to_string(&j).map_err(|e| e.to_string())?;
                match profile::file::parse(&text, "fuzz.json") {
                    Ok(b) if profile::file::to_json(&b) == j => {}
                    Ok(_) => return Err("a profile file's JSON form does not round-trip".into()),
                    Err(e) => return Err(format!("a profile file's JSON form is rejected: {e}")),
                }
            }
            Ok(true)
        }
        TextKind::Catalogue(i) => {
            let files: Vec<(&str, &str)> = catalogue
                .iter()
                .enumerate()
                .map(|(j, (n, t))| (n.as_str(), if j == *i { s.as_ref() } else { t.as_str() }))
                .collect();
            let Ok(cat) = profile::catalogue::parse(&files) else {
                return Ok(false);
            };
            for e in &cat.entries {
                let _ = cat.resolve(&e.name);
            }
            if let Some(u) = cat.updates.first() {
                for b in &u.builds {
                    let _ = cat.resolve(&format!("{b}+{}", u.kb));
                    let _ = cat.resolve(&format!("{b}@{}", u.date));
                }
            }
            Ok(true)
        }
        TextKind::Spec => Ok(profile::resolve(&s).is_ok()),
        TextKind::Reg => {
            let Ok(f) = profile::parse_reg(bytes, "fuzz.reg") else {
                return Ok(false);
            };
            let lines = bytes.iter().filter(|b| **b == b'\n').count() + 1;
            if f.values.iter().any(|v| v.line == 0 || v.line > lines) {
                return Err("a value's line number is outside the file".into());
            }
            let Ok(o) = profile::schannel_settings(&f, "fuzz.reg") else {
                return Ok(false);
            };
            let mut p = Profile::default();
            profile::apply_registry(&mut p, &o);
            Ok(true)
        }
        TextKind::CipherOrder => {
            let Ok(o) = profile::parse_cipher_order(&s, "fuzz.txt") else {
                return Ok(false);
            };
            let mut seen = std::collections::BTreeSet::new();
            for suite in &o.suites {
                if suite_info(*suite).is_none() || !seen.insert(suite.0) {
                    return Err(format!("order holds {suite:?} twice or unknown"));
                }
            }
            let mut p = Profile::default();
            profile::apply_cipher_order(&mut p, &o);
            Ok(true)
        }
    }
}
