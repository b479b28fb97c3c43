//! Scenario files (`scenarios/*.toml`): hosts, peers, workloads, faults, seed and
//! expectations, validated with errors that name the file, line and field. A scenario maps
//! one to one onto a [`crate::net::Fleet`].

use crate::net::{ClientSpec, ConnFault, FaultSpec, Fleet, FtpsServer, ServerSpec};
use crate::profile::Profile;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use toml::Spanned;

/// A scenario error: `file:line:column: message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct ScenarioError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

fn default_seed() -> u64 {
    1
}
fn default_port() -> u16 {
    443
}
fn default_one() -> u32 {
    1
}
fn default_interval() -> u64 {
    100
}
fn default_ratio() -> f64 {
    1.0
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// Simulation step. Size it to the workload: 1 ms for dense runs, seconds for a day.
    #[serde(default = "default_tick")]
    pub tick_ms: u64,
    /// One-way latency range [min, max] in ms.
    #[serde(default = "default_latency")]
    pub latency_ms: [u64; 2],
    /// Application timeout for one connection.
    #[serde(default = "default_timeout")]
    pub timeout_ms: u64,
}
fn default_tick() -> u64 {
    1
}
fn default_latency() -> [u64; 2] {
    [1, 5]
}
fn default_timeout() -> u64 {
    10_000
}
impl Default for NetworkSpec {
    fn default() -> Self {
        NetworkSpec {
            tick_ms: 1,
            latency_ms: default_latency(),
            timeout_ms: default_timeout(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerEntry {
    pub host: String,
    #[serde(default = "default_port")]
    pub port: u16,
    /// Profile name (built-in, catalogue) or a TOML file relative to the scenario.
    pub profile: Spanned<String>,
    pub label: Option<String>,
    /// Knob overrides applied over the profile (same names as profile files).
    pub set: Option<Spanned<toml::Table>>,
    /// Serve FTPS: data connections on port + 1, checked against the profile's
    /// `ftps_require_reuse` and `ftps_reuse_reply`.
    #[serde(default)]
    pub ftps: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientEntry {
    pub host: String,
    pub profile: Spanned<String>,
    pub label: Option<String>,
    pub set: Option<Spanned<toml::Table>>,
    #[serde(default = "default_one")]
    pub peers: u32,
    pub connections: u32,
    #[serde(default)]
    pub start_ms: u64,
    #[serde(default = "default_interval")]
    pub interval_ms: u64,
    #[serde(default)]
    pub jitter_ms: u64,
    /// "host:port" of the servers to connect to, in turn.
    pub targets: Vec<Spanned<String>>,
    #[serde(default = "default_ratio")]
    pub resume_ratio: f64,
    #[serde(default)]
    pub ftps_transfers: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum FaultEntry {
    Partition {
        a: String,
        b: String,
        at_ms: u64,
        until_ms: u64,
    },
    Crash {
        host: String,
        at_ms: u64,
        restart_ms: Option<u64>,
    },
    Connection {
        share: f64,
        fault: ConnFault,
        client: Option<String>,
    },
}

/// A link with its own latency range (a WAN between two sites).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkEntry {
    pub a: Spanned<String>,
    pub b: Spanned<String>,
    pub latency_ms: [u64; 2],
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RateExpect {
    pub mechanism: String,
    pub rate: f64,
    pub tolerance: f64,
}

/// What a scenario must show; `cargo test` checks it besides the snapshot.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub all_ok: Option<bool>,
    /// The failures' mechanisms are exactly these (each seen at least once).
    pub mechanisms: Option<Vec<String>>,
    pub min_failures: Option<u64>,
    pub max_failures: Option<u64>,
    pub min_resumed: Option<u64>,
    pub min_resume_refused: Option<u64>,
    #[serde(default)]
    pub rates: Vec<RateExpect>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportOpts {
    /// Show failures per time bucket of this many ms.
    pub bucket_ms: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub name: Option<String>,
    pub description: String,
    #[serde(default = "default_seed")]
    pub seed: u64,
    #[serde(default)]
    pub network: NetworkSpec,
    #[serde(rename = "server")]
    pub servers: Vec<ServerEntry>,
    #[serde(rename = "client")]
    pub clients: Vec<ClientEntry>,
    #[serde(default, rename = "fault")]
    pub faults: Vec<FaultEntry>,
    #[serde(default, rename = "link")]
    pub links: Vec<LinkEntry>,
    #[serde(default)]
    pub expect: Expect,
    #[serde(default)]
    pub report: ReportOpts,
}

/// A validated scenario, ready to run.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub fleet: Fleet,
    pub expect: Expect,
    pub bucket_ms: Option<u64>,
}

fn apply_set(mut p: Profile, set: &toml::Table) -> Result<Profile, String> {
    let mut base: toml::Table = toml::from_str(&p.to_toml()).map_err(|e| e.to_string())?;
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

impl Scenario {
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
            file: file.clone(),
            line: 0,
            column: 0,
            message: e.to_string(),
        })?;
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
        let raw: ScenarioFile = toml::from_str(text).map_err(|e| {
            let off = e.span().map(|s| s.start).unwrap_or(0);
            err_at(off, e.message().trim().to_string())
        })?;
        let resolve = |name: &Spanned<String>,
                       set: &Option<Spanned<toml::Table>>|
         -> Result<Profile, ScenarioError> {
            let spec = name.get_ref();
            let as_file = dir
                .map(|d| d.join(spec))
                .filter(|p| spec.ends_with(".toml") && p.exists());
            let loaded = match as_file {
                Some(p) => crate::profile::load(&p.display().to_string()),
                None => crate::profile::load(spec),
            };
            let p = loaded.map_err(|m| err_at(name.span().start, format!("profile: {m}")))?;
            match set {
                Some(s) => apply_set(p, s.get_ref())
                    .map_err(|m| err_at(s.span().start, format!("set: {m}"))),
                None => Ok(p),
            }
        };
        let mut servers = Vec::new();
        let mut endpoints = BTreeSet::new();
        for s in &raw.servers {
            let profile = resolve(&s.profile, &s.set)?;
            endpoints.insert(format!("{}:{}", s.host, s.port));
            let ftps = s.ftps.then(|| FtpsServer {
                require_reuse: profile.ftps_require_reuse,
                reply: profile
                    .ftps_reuse_reply
                    .clone()
                    .unwrap_or_else(|| "425 TLS session of data connection not resumed".into()),
            });
            servers.push(ServerSpec {
                host: s.host.clone(),
                port: s.port,
                label: s
                    .label
                    .clone()
                    .unwrap_or_else(|| s.profile.get_ref().clone()),
                profile: Arc::new(profile),
                ftps,
            });
        }
        let server_hosts: BTreeSet<&str> = raw.servers.iter().map(|s| s.host.as_str()).collect();
        let mut clients = Vec::new();
        for c in &raw.clients {
            if server_hosts.contains(c.host.as_str()) {
                return Err(err_at(
                    c.profile.span().start,
                    format!(
                        "client host {:?} is also a server host; give clients their own host",
                        c.host
                    ),
                ));
            }
            let profile = resolve(&c.profile, &c.set)?;
            let mut targets = Vec::new();
            for t in &c.targets {
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
                if !endpoints.contains(t.get_ref()) {
                    return Err(err_at(
                        t.span().start,
                        format!(
                            "targets: no server at {:?}; servers: {}",
                            t.get_ref(),
                            endpoints.iter().cloned().collect::<Vec<_>>().join(", ")
                        ),
                    ));
                }
                targets.push((h, p));
            }
            if targets.is_empty() {
                return Err(err_at(
                    c.profile.span().start,
                    "targets: a client needs at least one target".into(),
                ));
            }
            if !(0.0..=1.0).contains(&c.resume_ratio) {
                return Err(err_at(
                    c.profile.span().start,
                    format!("resume_ratio: {} is not within 0..=1", c.resume_ratio),
                ));
            }
            clients.push(ClientSpec {
                host: c.host.clone(),
                label: c
                    .label
                    .clone()
                    .unwrap_or_else(|| c.profile.get_ref().clone()),
                profile: Arc::new(profile),
                peers: c.peers,
                connections: c.connections,
                start_ms: c.start_ms,
                interval_ms: c.interval_ms,
                jitter_ms: c.jitter_ms,
                targets,
                resume_ratio: c.resume_ratio,
                ftps_transfers: c.ftps_transfers,
            });
        }
        let hosts: BTreeSet<&str> = raw
            .servers
            .iter()
            .map(|s| s.host.as_str())
            .chain(raw.clients.iter().map(|c| c.host.as_str()))
            .collect();
        let mut links = Vec::new();
        for l in &raw.links {
            for end in [&l.a, &l.b] {
                if !hosts.contains(end.get_ref().as_str()) {
                    return Err(err_at(
                        end.span().start,
                        format!(
                            "link: no host {:?}; hosts: {}",
                            end.get_ref(),
                            hosts.iter().copied().collect::<Vec<_>>().join(", ")
                        ),
                    ));
                }
            }
            links.push(crate::net::LinkSpec {
                a: l.a.get_ref().clone(),
                b: l.b.get_ref().clone(),
                latency_ms: (l.latency_ms[0], l.latency_ms[1]),
            });
        }
        let faults = raw
            .faults
            .iter()
            .map(|f| match f.clone() {
                FaultEntry::Partition {
                    a,
                    b,
                    at_ms,
                    until_ms,
                } => FaultSpec::Partition {
                    a,
                    b,
                    at_ms,
                    until_ms,
                },
                FaultEntry::Crash {
                    host,
                    at_ms,
                    restart_ms,
                } => FaultSpec::Crash {
                    host,
                    at_ms,
                    restart_ms,
                },
                FaultEntry::Connection {
                    share,
                    fault,
                    client,
                } => FaultSpec::Conn {
                    share,
                    fault,
                    client,
                },
            })
            .collect();
        Ok(Scenario {
            name: raw.name.clone().unwrap_or_else(|| default_name.to_string()),
            description: raw.description.clone(),
            fleet: Fleet {
                seed: raw.seed,
                tick_ms: raw.network.tick_ms,
                latency_ms: (raw.network.latency_ms[0], raw.network.latency_ms[1]),
                timeout_ms: raw.network.timeout_ms,
                servers,
                clients,
                faults,
                links,
                record: false,
            },
            expect: raw.expect,
            bucket_ms: raw.report.bucket_ms,
        })
    }
}
