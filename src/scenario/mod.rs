//! Scenario files (`scenarios/*.toml`): hosts, peers, workloads, faults, seed and
//! expectations, validated with errors that name the file, line, column and field. A
//! scenario maps one to one onto a [`crate::net::Fleet`].
//!
//! Every value is range-checked where it is read: the file's shape here (types, required
//! fields, `[min, max]` pairs, fault kinds, expectation names and rates), every profile
//! with [`Profile::validate`] (pointing at the `profile` or the knob inside `set`), and the
//! fleet as a whole with [`Fleet::issues`] (hosts, ports, labels, shares, simulated time,
//! the size of a run), each issue mapped back to the line that set it.

mod builtin;
pub(crate) mod overlays;

pub use builtin::{builtin, open, Loaded, Origin, BUILTIN};
pub use overlays::{
    base_name, open_with_overlays, AppliedOverlay, OverlayFiles, PeerBuilds, PeerOverlay,
    PeerSelector,
};

use crate::engine::Mechanism;
use crate::net::{ClientSpec, ConnFault, FaultSpec, Fleet, FtpsServer, LinkSpec, ServerSpec};
use crate::profile::{Profile, MAX_SIMULATED_MS};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use toml::Spanned;

/// A scenario error: `file:line:column: message` (`file: message` when no position
/// applies, e.g. a file that cannot be read) — the same positioned error as every other
/// text input.
pub type ScenarioError = crate::profile::TextError;

use crate::text::line_col;

fn default_seed() -> u64 {
    1
}

/// A `set` table: knob → value, each with its position.
type SetTable = Spanned<BTreeMap<String, Spanned<toml::Value>>>;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNetwork {
    /// Simulation step. Size it to the workload: 1 ms for dense runs, seconds for a day.
    tick_ms: Option<Spanned<u64>>,
    /// One-way latency range [min, max] in ms.
    latency_ms: Option<Spanned<Vec<u64>>>,
    /// Application timeout for one connection.
    timeout_ms: Option<Spanned<u64>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    host: Spanned<String>,
    port: Option<Spanned<u16>>,
    /// Profile name (built-in, catalogue) or a TOML file relative to the scenario.
    profile: Spanned<String>,
    label: Option<Spanned<String>>,
    /// Knob overrides applied over the profile (same names as profile files).
    set: Option<SetTable>,
    /// A `.reg` export of the Schannel keys applied over the profile (before `set`),
    /// relative to the scenario file.
    registry: Option<Spanned<String>>,
    /// A cipher-suite order (`Get-TlsCipherSuite` output or an OpenSSL cipher string)
    /// replacing the profile's suite lists (after `registry`, before `set`), relative to
    /// the scenario file.
    cipher_order: Option<Spanned<String>>,
    /// Serve FTPS: data connections on port + 1, checked against the profile's
    /// `ftps_require_reuse` and `ftps_reuse_reply`.
    ftps: Option<Spanned<bool>>,
    /// The listen backlog of each port ([`ServerSpec::backlog`]).
    backlog: Option<Spanned<u32>>,
    /// The application protocol carrying TLS: "tls" (default) or "tds" (SQL Server); only
    /// captures show it ([`crate::net::AppProtocol`]).
    app_protocol: Option<crate::net::AppProtocol>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClient {
    host: Spanned<String>,
    profile: Spanned<String>,
    label: Option<Spanned<String>>,
    set: Option<SetTable>,
    /// As on a server: a `.reg` export, then a cipher order, then `set`.
    registry: Option<Spanned<String>>,
    cipher_order: Option<Spanned<String>>,
    peers: Option<Spanned<u32>>,
    connections: Spanned<u32>,
    start_ms: Option<Spanned<u64>>,
    interval_ms: Option<Spanned<u64>>,
    jitter_ms: Option<Spanned<u64>>,
    /// "host:port" of the servers to connect to, in turn.
    targets: Spanned<Vec<Spanned<String>>>,
    resume_ratio: Option<Spanned<f64>>,
    ftps_transfers: Option<Spanned<u32>>,
}

/// A `[[fault]]`: its fields depend on `kind` (partition: a, b, at_ms, until_ms; crash:
/// host, at_ms, restart_ms; connection: share, fault, client). Read as one struct so each
/// field keeps its position.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFault {
    kind: Spanned<String>,
    a: Option<Spanned<String>>,
    b: Option<Spanned<String>>,
    host: Option<Spanned<String>>,
    at_ms: Option<Spanned<u64>>,
    until_ms: Option<Spanned<u64>>,
    restart_ms: Option<Spanned<u64>>,
    share: Option<Spanned<f64>>,
    fault: Option<Spanned<ConnFault>>,
    client: Option<Spanned<String>>,
}

/// A link with its own latency range (a WAN between two sites).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLink {
    a: Spanned<String>,
    b: Spanned<String>,
    latency_ms: Spanned<Vec<u64>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRate {
    mechanism: Spanned<String>,
    rate: Spanned<f64>,
    tolerance: Spanned<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpect {
    all_ok: Option<Spanned<bool>>,
    mechanisms: Option<Spanned<Vec<Spanned<String>>>>,
    min_failures: Option<Spanned<u64>>,
    max_failures: Option<Spanned<u64>>,
    min_resumed: Option<Spanned<u64>>,
    min_resume_refused: Option<Spanned<u64>>,
    #[serde(default)]
    rates: Vec<RawRate>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReport {
    /// Show failures per time bucket of this many ms.
    bucket_ms: Option<Spanned<u64>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    name: Option<Spanned<String>>,
    description: String,
    #[serde(default = "default_seed")]
    seed: u64,
    network: Option<Spanned<RawNetwork>>,
    #[serde(rename = "server")]
    servers: Vec<RawServer>,
    #[serde(rename = "client")]
    clients: Vec<RawClient>,
    #[serde(default, rename = "fault")]
    faults: Vec<RawFault>,
    #[serde(default, rename = "link")]
    links: Vec<RawLink>,
    // Not `Spanned`: toml 0.8 cannot read `[[expect.rates]]` into a spanned table; the
    // fields carry their own positions.
    expect: Option<RawExpect>,
    report: Option<RawReport>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RateExpect {
    pub mechanism: Mechanism,
    pub rate: f64,
    pub tolerance: f64,
}

/// What a scenario must show; `cargo test` checks it besides the snapshot.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub all_ok: Option<bool>,
    /// The failures' mechanisms are exactly these (each seen at least once).
    pub mechanisms: Option<Vec<Mechanism>>,
    pub min_failures: Option<u64>,
    pub max_failures: Option<u64>,
    pub min_resumed: Option<u64>,
    pub min_resume_refused: Option<u64>,
    #[serde(default)]
    pub rates: Vec<RateExpect>,
}

/// A validated scenario, ready to run.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub fleet: Fleet,
    pub expect: Expect,
    pub bucket_ms: Option<u64>,
    /// The Windows build of each entry's profile: the peers command-line overlays apply
    /// to by default.
    pub windows_builds: PeerBuilds,
    /// The overlays applied to the peers, in order: the scenario's own, then the command
    /// line's ([`Scenario::with_overlays`]).
    pub overlays: Vec<AppliedOverlay>,
}

fn apply_set(mut p: Profile, set: &toml::Table) -> Result<Profile, String> {
    let mut base = toml::Table::try_from(&p).map_err(|e| e.to_string())?;
    for (k, v) in set {
        base.insert(k.clone(), v.clone());
    }
    let name = std::mem::take(&mut p.name);
    let mut out: Profile = toml::Value::Table(base)
        .try_into()
        .map_err(|e: toml::de::Error| e.message().to_string())?;
    out.name = name;
    Ok(out)
}

/// Positions of the fields of one file, for the issues [`Fleet::issues`] reports:
/// (part, index, field) → offset, and each entry's fallback offset.
#[derive(Default)]
struct Spans {
    fields: BTreeMap<(&'static str, usize, &'static str), usize>,
    entries: BTreeMap<(&'static str, usize), usize>,
}

impl Spans {
    fn field<T>(
        &mut self,
        part: &'static str,
        i: usize,
        name: &'static str,
        v: &Option<Spanned<T>>,
    ) {
        if let Some(v) = v {
            self.fields.insert((part, i, name), v.span().start);
        }
    }

    fn at(&self, l: &crate::net::Locus) -> usize {
        self.fields
            .get(&(l.part, l.index, l.field))
            .or_else(|| self.entries.get(&(l.part, l.index)))
            .copied()
            .unwrap_or(0)
    }
}

/// A `[min, max]` pair.
fn range(v: &Spanned<Vec<u64>>) -> Result<(u64, u64), String> {
    match v.get_ref().as_slice() {
        [a, b] => Ok((*a, *b)),
        other => Err(format!(
            "latency_ms: expected [min, max] (2 values), found {} value{}",
            other.len(),
            if other.len() == 1 { "" } else { "s" }
        )),
    }
}

impl Scenario {
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let text = crate::profile::read_text_at(path).map_err(|e| ScenarioError {
            file: e.file,
            line: e.line,
            column: e.column,
            message: e.message,
        })?;
        let file = path.display().to_string();
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        Scenario::parse(&text, &file, &stem, path.parent())
    }

    /// Parse and validate scenario text. `file` names it in errors; `dir` resolves
    /// relative profile files.
    pub fn parse(
        text: &str,
        file: &str,
        default_name: &str,
        dir: Option<&Path>,
    ) -> Result<Scenario, ScenarioError> {
        let err_at = |offset: usize, message: String| {
            let (line, column) = line_col(text, offset);
            ScenarioError {
                file: file.to_string(),
                line,
                column,
                message,
            }
        };
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let off = e.span().map(|s| s.start).unwrap_or(0);
            err_at(off, e.message().trim().to_string())
        })?;
        // An entry's profile: the profile, then its `registry`, its `cipher_order` and its
        // `set`, each error at the field that caused it. Returns the profile, its Windows
        // build and the overlays applied.
        type Loaded = (Profile, Option<String>, Vec<AppliedOverlay>);
        let resolve = |name: &Spanned<String>,
                       registry: &Option<Spanned<String>>,
                       cipher_order: &Option<Spanned<String>>,
                       set: &Option<SetTable>,
                       peer: &str,
                       client: bool|
         -> Result<Loaded, ScenarioError> {
            let spec = name.get_ref();
            let as_file = dir
                .map(|d| d.join(spec))
                .filter(|p| (spec.ends_with(".toml") || spec.ends_with(".json")) && p.exists());
            let loaded = match as_file {
                Some(p) => crate::profile::resolve(&p.display().to_string()),
                None => crate::profile::resolve(spec),
            };
            let mut r = loaded.map_err(|m| err_at(name.span().start, format!("profile: {m}")))?;
            let mut applied = Vec::new();
            for (field, kind, v) in [
                ("registry", crate::profile::OverlayKind::Registry, registry),
                (
                    "cipher_order",
                    crate::profile::OverlayKind::CipherOrder,
                    cipher_order,
                ),
            ] {
                let Some(v) = v else { continue };
                let path = match dir {
                    Some(d) => d.join(v.get_ref()),
                    None => Path::new(v.get_ref()).to_path_buf(),
                };
                let shown = path.display().to_string();
                let effect = crate::profile::OverlayFile::load(kind, &path, &shown)
                    .and_then(|o| Ok((o.apply(&mut r)?, o)))
                    .map_err(|m| err_at(v.span().start, format!("{field}: {m}")))?;
                let mut a = overlays::applied(&effect.1, peer.to_string(), effect.0);
                a.command_line = false;
                applied.push(a);
            }
            let build = r.windows_build.clone();
            let p = r.profile;
            let Some(set) = set else {
                if client {
                    // An overlay that leaves the client nothing to offer.
                    let at = cipher_order.as_ref().or(registry.as_ref());
                    if let (Some(at), Some((knob, msg))) = (at, p.client_issues().first()) {
                        let field = if cipher_order.is_some() {
                            "cipher_order"
                        } else {
                            "registry"
                        };
                        return Err(err_at(
                            at.span().start,
                            format!("{field}: the client could not connect at all: {knob}: {msg}"),
                        ));
                    }
                }
                return Ok((p, build, applied));
            };
            let table: toml::Table = set
                .get_ref()
                .iter()
                .map(|(k, v)| (k.clone(), v.get_ref().clone()))
                .collect();
            let out =
                apply_set(p, &table).map_err(|m| err_at(set.span().start, format!("set: {m}")))?;
            let mut errors = out.validate();
            if client {
                errors.extend(out.client_issues());
            }
            if let Some((knob, _)) = errors.first() {
                let at = set
                    .get_ref()
                    .get(knob)
                    .map_or(set.span().start, |v| v.span().start);
                let all: Vec<String> = errors.iter().map(|(k, m)| format!("{k}: {m}")).collect();
                return Err(err_at(
                    at,
                    format!("set (over profile {spec}): {}", all.join("; ")),
                ));
            }
            Ok((out, build, applied))
        };
        let mut windows_builds = PeerBuilds::default();
        let mut applied_overlays: Vec<AppliedOverlay> = Vec::new();
        let mut spans = Spans::default();

        // ---- network ----
        let mut tick_ms = 1;
        let mut latency_ms = (1, 5);
        let mut timeout_ms = 10_000;
        if let Some(n) = &raw.network {
            spans.entries.insert(("network", 0), n.span().start);
            let n = n.get_ref();
            spans.field("network", 0, "tick_ms", &n.tick_ms);
            spans.field("network", 0, "latency_ms", &n.latency_ms);
            spans.field("network", 0, "timeout_ms", &n.timeout_ms);
            if let Some(v) = &n.tick_ms {
                tick_ms = *v.get_ref();
            }
            if let Some(v) = &n.timeout_ms {
                timeout_ms = *v.get_ref();
            }
            if let Some(v) = &n.latency_ms {
                latency_ms = range(v).map_err(|m| err_at(v.span().start, m))?;
            }
        }

        // ---- servers ----
        let mut servers = Vec::new();
        for (i, s) in raw.servers.iter().enumerate() {
            spans.entries.insert(("server", i), s.host.span().start);
            spans
                .fields
                .insert(("server", i, "host"), s.host.span().start);
            spans
                .fields
                .insert(("server", i, "profile"), s.profile.span().start);
            spans.field("server", i, "port", &s.port);
            spans.field("server", i, "ftps", &s.ftps);
            spans.field("server", i, "backlog", &s.backlog);
            spans.field("server", i, "label", &s.label);
            let label = s
                .label
                .as_ref()
                .map_or_else(|| s.profile.get_ref().clone(), |l| l.get_ref().clone());
            let (profile, build, applied) = resolve(
                &s.profile,
                &s.registry,
                &s.cipher_order,
                &s.set,
                &overlays::describe_peer(false, &label, s.host.get_ref()),
                false,
            )?;
            windows_builds.servers.push(build);
            applied_overlays.extend(applied);
            let ftps =
                s.ftps
                    .as_ref()
                    .is_some_and(|f| *f.get_ref())
                    .then(|| FtpsServer {
                        require_reuse: profile.ftps_require_reuse,
                        reply: profile.ftps_reuse_reply.clone().unwrap_or_else(|| {
                            "425 TLS session of data connection not resumed".into()
                        }),
                    });
            servers.push(ServerSpec {
                host: s.host.get_ref().clone(),
                port: s.port.as_ref().map_or(443, |p| *p.get_ref()),
                label,
                profile: Arc::new(profile),
                ftps,
                backlog: s
                    .backlog
                    .as_ref()
                    .map_or(crate::net::DEFAULT_BACKLOG, |b| *b.get_ref()),
                app_protocol: s.app_protocol.unwrap_or_default(),
            });
        }

        // ---- clients ----
        let mut clients = Vec::new();
        for (i, c) in raw.clients.iter().enumerate() {
            spans.entries.insert(("client", i), c.host.span().start);
            spans
                .fields
                .insert(("client", i, "host"), c.host.span().start);
            spans
                .fields
                .insert(("client", i, "profile"), c.profile.span().start);
            // A client's label defaults to its profile's name.
            spans.fields.insert(
                ("client", i, "label"),
                c.label
                    .as_ref()
                    .map_or(c.profile.span().start, |l| l.span().start),
            );
            spans
                .fields
                .insert(("client", i, "connections"), c.connections.span().start);
            spans
                .fields
                .insert(("client", i, "targets"), c.targets.span().start);
            spans.field("client", i, "peers", &c.peers);
            spans.field("client", i, "start_ms", &c.start_ms);
            spans.field("client", i, "interval_ms", &c.interval_ms);
            spans.field("client", i, "jitter_ms", &c.jitter_ms);
            spans.field("client", i, "resume_ratio", &c.resume_ratio);
            spans.field("client", i, "ftps_transfers", &c.ftps_transfers);
            let label = c
                .label
                .as_ref()
                .map_or_else(|| c.profile.get_ref().clone(), |l| l.get_ref().clone());
            let (profile, build, applied) = resolve(
                &c.profile,
                &c.registry,
                &c.cipher_order,
                &c.set,
                &overlays::describe_peer(true, &label, c.host.get_ref()),
                true,
            )?;
            windows_builds.clients.push(build);
            applied_overlays.extend(applied);
            let mut targets = Vec::new();
            for t in c.targets.get_ref() {
                let Some((h, p)) = t
                    .get_ref()
                    .rsplit_once(':')
                    .and_then(|(h, p)| Some((h.to_string(), p.parse::<u16>().ok()?)))
                else {
                    return Err(err_at(
                        t.span().start,
                        format!("targets: {:?} is not host:port", t.get_ref()),
                    ));
                };
                targets.push((h, p));
            }
            let value = |v: &Option<Spanned<u64>>, d: u64| v.as_ref().map_or(d, |v| *v.get_ref());
            clients.push(ClientSpec {
                host: c.host.get_ref().clone(),
                label,
                profile: Arc::new(profile),
                peers: c.peers.as_ref().map_or(1, |p| *p.get_ref()),
                connections: *c.connections.get_ref(),
                start_ms: value(&c.start_ms, 0),
                interval_ms: value(&c.interval_ms, 100),
                jitter_ms: value(&c.jitter_ms, 0),
                targets,
                resume_ratio: c.resume_ratio.as_ref().map_or(1.0, |r| *r.get_ref()),
                ftps_transfers: c.ftps_transfers.as_ref().map_or(0, |f| *f.get_ref()),
            });
        }

        // ---- links ----
        let mut links = Vec::new();
        for (i, l) in raw.links.iter().enumerate() {
            spans.entries.insert(("link", i), l.a.span().start);
            spans.fields.insert(("link", i, "a"), l.a.span().start);
            spans.fields.insert(("link", i, "b"), l.b.span().start);
            spans
                .fields
                .insert(("link", i, "latency_ms"), l.latency_ms.span().start);
            links.push(LinkSpec {
                a: l.a.get_ref().clone(),
                b: l.b.get_ref().clone(),
                latency_ms: range(&l.latency_ms)
                    .map_err(|m| err_at(l.latency_ms.span().start, m))?,
            });
        }

        // ---- faults: the fields of each kind ----
        let mut faults = Vec::new();
        for (i, f) in raw.faults.iter().enumerate() {
            spans.entries.insert(("fault", i), f.kind.span().start);
            for (name, v) in [
                ("a", &f.a),
                ("b", &f.b),
                ("host", &f.host),
                ("client", &f.client),
            ] {
                spans.field("fault", i, name, v);
            }
            for (name, v) in [
                ("at_ms", &f.at_ms),
                ("until_ms", &f.until_ms),
                ("restart_ms", &f.restart_ms),
            ] {
                spans.field("fault", i, name, v);
            }
            spans.field("fault", i, "share", &f.share);
            spans.field("fault", i, "fault", &f.fault);
            let kind = f.kind.get_ref().as_str();
            let allowed: &[&str] = match kind {
                "partition" => &["a", "b", "at_ms", "until_ms"],
                "crash" => &["host", "at_ms", "restart_ms"],
                "connection" => &["share", "fault", "client"],
                other => {
                    return Err(err_at(
                        f.kind.span().start,
                        format!(
                        "kind: unknown fault kind {other:?}; kinds: partition, crash, connection"
                    ),
                    ))
                }
            };
            let present: [(&str, Option<usize>); 9] = [
                ("a", f.a.as_ref().map(|v| v.span().start)),
                ("b", f.b.as_ref().map(|v| v.span().start)),
                ("host", f.host.as_ref().map(|v| v.span().start)),
                ("at_ms", f.at_ms.as_ref().map(|v| v.span().start)),
                ("until_ms", f.until_ms.as_ref().map(|v| v.span().start)),
                ("restart_ms", f.restart_ms.as_ref().map(|v| v.span().start)),
                ("share", f.share.as_ref().map(|v| v.span().start)),
                ("fault", f.fault.as_ref().map(|v| v.span().start)),
                ("client", f.client.as_ref().map(|v| v.span().start)),
            ];
            for (name, at) in present {
                if let Some(at) = at.filter(|_| !allowed.contains(&name)) {
                    return Err(err_at(
                        at,
                        format!(
                            "{name}: not a field of a {kind} fault (a {kind} fault has: {})",
                            allowed.join(", ")
                        ),
                    ));
                }
            }
            let need = |name: &str| {
                err_at(
                    f.kind.span().start,
                    format!(
                        "a {kind} fault needs `{name}` (a {kind} fault has: {})",
                        allowed.join(", ")
                    ),
                )
            };
            let get = |v: &Option<Spanned<String>>, name: &str| {
                v.as_ref()
                    .map(|v| v.get_ref().clone())
                    .ok_or_else(|| need(name))
            };
            let num = |v: &Option<Spanned<u64>>, name: &str| {
                v.as_ref().map(|v| *v.get_ref()).ok_or_else(|| need(name))
            };
            faults.push(match kind {
                "partition" => FaultSpec::Partition {
                    a: get(&f.a, "a")?,
                    b: get(&f.b, "b")?,
                    at_ms: num(&f.at_ms, "at_ms")?,
                    until_ms: num(&f.until_ms, "until_ms")?,
                },
                "crash" => FaultSpec::Crash {
                    host: get(&f.host, "host")?,
                    at_ms: num(&f.at_ms, "at_ms")?,
                    restart_ms: f.restart_ms.as_ref().map(|v| *v.get_ref()),
                },
                _ => FaultSpec::Conn {
                    share: f
                        .share
                        .as_ref()
                        .map(|v| *v.get_ref())
                        .ok_or_else(|| need("share"))?,
                    fault: f
                        .fault
                        .as_ref()
                        .map(|v| *v.get_ref())
                        .ok_or_else(|| need("fault"))?,
                    client: f.client.as_ref().map(|v| v.get_ref().clone()),
                },
            });
        }

        let fleet = Fleet {
            seed: raw.seed,
            tick_ms,
            latency_ms,
            timeout_ms,
            servers,
            clients,
            faults,
            links,
            record: false,
        };
        if let Some(issue) = fleet.issues().into_iter().next() {
            let mut message = issue.message;
            if issue.at.part == "client" && issue.at.field == "targets" {
                let servers: Vec<String> = fleet
                    .servers
                    .iter()
                    .map(|s| format!("{}:{}", s.host, s.port))
                    .collect();
                message = format!("{message}; servers: {}", servers.join(", "));
            }
            return Err(err_at(spans.at(&issue.at), message));
        }

        // ---- expectations ----
        let mut expect = Expect::default();
        if let Some(e) = &raw.expect {
            let known = |m: &Spanned<String>, field: &str| -> Result<Mechanism, ScenarioError> {
                Mechanism::parse_simulated(m.get_ref())
                    .map_err(|e| err_at(m.span().start, format!("{field}: {e}")))
            };
            if let Some(ms) = &e.mechanisms {
                expect.mechanisms = Some(
                    ms.get_ref()
                        .iter()
                        .map(|m| known(m, "mechanisms"))
                        .collect::<Result<_, _>>()?,
                );
            }
            for r in &e.rates {
                let mechanism = known(&r.mechanism, "rates.mechanism")?;
                for (name, v) in [("rate", &r.rate), ("tolerance", &r.tolerance)] {
                    let x = *v.get_ref();
                    if !(x.is_finite() && (0.0..=1.0).contains(&x)) {
                        return Err(err_at(
                            v.span().start,
                            format!("{name}: {x} is not within 0..=1 (a share of connections)"),
                        ));
                    }
                }
                expect.rates.push(RateExpect {
                    mechanism,
                    rate: *r.rate.get_ref(),
                    tolerance: *r.tolerance.get_ref(),
                });
            }
            let v = |x: &Option<Spanned<u64>>| x.as_ref().map(|s| *s.get_ref());
            expect.all_ok = e.all_ok.as_ref().map(|s| *s.get_ref());
            expect.min_failures = v(&e.min_failures);
            expect.max_failures = v(&e.max_failures);
            expect.min_resumed = v(&e.min_resumed);
            expect.min_resume_refused = v(&e.min_resume_refused);
            // A minimum above the connections of a run can never be met.
            let total: u64 = fleet
                .clients
                .iter()
                .map(|c| crate::net::client_connections(c).unwrap_or(u64::MAX))
                .fold(0, u64::saturating_add);
            for (field, v) in [
                ("min_failures", &e.min_failures),
                ("min_resumed", &e.min_resumed),
                ("min_resume_refused", &e.min_resume_refused),
            ] {
                if let Some(v) = v.as_ref().filter(|v| *v.get_ref() > total) {
                    return Err(err_at(
                        v.span().start,
                        format!(
                            "{field}: {} is more than the {total} connections the scenario makes (peers × connections × (1 + ftps_transfers), summed over the clients): no run could meet it",
                            v.get_ref()
                        ),
                    ));
                }
            }
            if let (Some(min), Some(max)) = (&e.min_failures, &e.max_failures) {
                if max.get_ref() < min.get_ref() {
                    return Err(err_at(
                        max.span().start,
                        format!(
                            "max_failures: {} is below min_failures ({}): no run could meet both",
                            max.get_ref(),
                            min.get_ref()
                        ),
                    ));
                }
            }
            if let Some(all_ok) = e.all_ok.as_ref().filter(|a| *a.get_ref()) {
                let wants_failures = expect.min_failures.is_some_and(|m| m > 0)
                    || expect.mechanisms.as_ref().is_some_and(|m| !m.is_empty());
                if wants_failures {
                    return Err(err_at(
                        all_ok.span().start,
                        "all_ok = true contradicts min_failures > 0 or a non-empty mechanisms list"
                            .into(),
                    ));
                }
            }
        }

        // ---- report ----
        let mut bucket_ms = None;
        if let Some(b) = raw.report.as_ref().and_then(|r| r.bucket_ms.as_ref()) {
            let v = *b.get_ref();
            if v == 0 || v > MAX_SIMULATED_MS {
                return Err(err_at(
                    b.span().start,
                    format!(
                        "bucket_ms: {v}; a time bucket is 1 ms to 10 years ({MAX_SIMULATED_MS} ms)"
                    ),
                ));
            }
            bucket_ms = Some(v);
        }

        // The name starts every replay id (`name:seed:shards:shard:host.peer.index`).
        let name = raw
            .name
            .as_ref()
            .map_or_else(|| default_name.to_string(), |n| n.get_ref().clone());
        if name.is_empty() || name.contains(':') || name.chars().any(char::is_whitespace) {
            return Err(err_at(
                raw.name.as_ref().map_or(0, |n| n.span().start),
                format!(
                    "name: {name:?} cannot start a replay id (name:seed:shards:shard:connection): give a name without ':' or spaces{}",
                    if raw.name.is_none() { " (it comes from the file name; set `name`)" } else { "" }
                ),
            ));
        }

        Ok(Scenario {
            name,
            description: raw.description.clone(),
            fleet,
            expect,
            bucket_ms,
            windows_builds,
            overlays: applied_overlays,
        })
    }
}
