//! Monte-Carlo studies: a scenario's fleet run as many independent shards (each a Sim
//! whose seed derives from the study seed and the shard index), aggregated per cell
//! (client × server × suite × handshake kind) in shard order so the thread count never
//! changes a number. Cells report a 95% Wilson interval and, where the mechanism has one,
//! the theoretical rate computed exactly from the group's prime.
//!
//! Shards are the unit of saving, resuming and distributing: a shard's result is a small
//! JSON file; merging the files of all shards gives byte-for-byte the whole study.

use crate::crypto::{binomial_interval, PublicEncoding};
use crate::net::{run_fleet, ConnRecord};
use crate::profile::{LeadingZeros, Profile};
use crate::scenario::Scenario;
use rand_core::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// What identifies a study: results of different studies never merge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StudyHeader {
    /// Scenario name (file stem), used in replay ids.
    pub scenario: String,
    /// SHA-256 of the scenario file's text.
    pub scenario_digest: String,
    pub seed: u64,
    pub shards: u32,
}

/// (client, server, suite, handshake kind).
pub type CellKey = (String, String, String, String);

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellAgg {
    pub attempts: u64,
    pub failures: u64,
    pub by_mechanism: BTreeMap<String, u64>,
    /// Replay ids of the first failures, in shard order.
    pub replay: Vec<String>,
    /// A digest of each replayed failure's outcome, to check replays against.
    pub replay_digest: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardResult {
    pub header: StudyHeader,
    pub shard: u32,
    pub connections: u64,
    pub cells: Vec<(CellKey, CellAgg)>,
}

/// A study: the scenario, its seed and shard count.
#[derive(Debug, Clone)]
pub struct Study {
    pub header: StudyHeader,
    pub scenario: Scenario,
    /// Failures per cell that keep a replay id.
    pub replay_per_cell: usize,
}

/// The seed of shard `i` of a study with `seed`.
pub fn shard_seed(seed: u64, shard: u32) -> u64 {
    crate::seed::rng_for(seed, &[0x0053_5455_4459, shard as u64]).next_u64()
}

/// A digest of an outcome (its JSON), for replay checks.
pub fn outcome_digest(o: &crate::engine::Outcome) -> String {
    let json = serde_json::to_vec(o).expect("an Outcome serialises");
    crate::crypto::to_hex(&Sha256::digest(&json)[..8])
}

impl Study {
    pub fn new(scenario: Scenario, scenario_text: &str, seed: u64, shards: u32) -> Study {
        let digest = crate::crypto::to_hex(&Sha256::digest(scenario_text.as_bytes())[..12]);
        Study {
            header: StudyHeader {
                scenario: scenario.name.clone(),
                scenario_digest: digest,
                seed,
                shards,
            },
            scenario,
            replay_per_cell: 5,
        }
    }

    /// Connections one shard runs (the scenario's workload).
    pub fn per_shard(&self) -> u64 {
        self.scenario
            .fleet
            .clients
            .iter()
            .map(|c| c.peers as u64 * c.connections as u64 * (1 + c.ftps_transfers as u64))
            .sum()
    }

    /// Run one shard's fleet, returning its records.
    pub fn shard_records(&self, shard: u32, record: bool) -> Result<Vec<ConnRecord>, String> {
        let mut fleet = self.scenario.fleet.clone();
        fleet.seed = shard_seed(self.header.seed, shard);
        fleet.record = record;
        run_fleet(&fleet)
    }

    pub fn replay_id(&self, shard: u32, r: &ConnRecord) -> String {
        format!(
            "{}:{}:{}:{}:{}.{}.{}",
            self.header.scenario,
            self.header.seed,
            self.header.shards,
            shard,
            r.client_host,
            r.peer,
            r.index
        )
    }

    /// Run one shard and aggregate it.
    pub fn run_shard(&self, shard: u32) -> Result<ShardResult, String> {
        let records = self.shard_records(shard, false)?;
        let mut cells: BTreeMap<CellKey, CellAgg> = BTreeMap::new();
        for r in &records {
            let o = &r.outcome;
            let key = (
                r.client.clone(),
                r.server.clone(),
                o.suite.clone().unwrap_or_else(|| "-".into()),
                if r.channel == "tls" {
                    o.handshake.clone()
                } else {
                    format!("{} {}", r.channel, o.handshake)
                },
            );
            let c = cells.entry(key).or_default();
            c.attempts += 1;
            if !o.ok() {
                c.failures += 1;
                *c.by_mechanism
                    .entry(o.mechanism.clone().unwrap_or_else(|| "unknown".into()))
                    .or_default() += 1;
                if c.replay.len() < self.replay_per_cell {
                    c.replay.push(self.replay_id(shard, r));
                    c.replay_digest.push(outcome_digest(o));
                }
            }
        }
        Ok(ShardResult {
            header: self.header.clone(),
            shard,
            connections: records.len() as u64,
            cells: cells.into_iter().collect(),
        })
    }

    fn shard_file(dir: &Path, shard: u32) -> PathBuf {
        dir.join(format!("shard-{shard:06}.json"))
    }

    /// Run the shards in `which` on `threads` threads. Finished shards are saved to
    /// `state` as they complete (so an interrupted study loses nothing); with `resume`,
    /// shards already saved there are loaded instead of run. Results come back in shard
    /// order whatever the thread count.
    pub fn run(
        &self,
        which: &[u32],
        threads: usize,
        state: Option<&Path>,
        resume: bool,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Vec<ShardResult>, String> {
        let mut done: BTreeMap<u32, ShardResult> = BTreeMap::new();
        if let Some(dir) = state {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            if resume {
                for &i in which {
                    let f = Self::shard_file(dir, i);
                    if let Ok(text) = std::fs::read_to_string(&f) {
                        let r: ShardResult = serde_json::from_str(&text)
                            .map_err(|e| format!("{}: {e}", f.display()))?;
                        if r.header != self.header {
                            return Err(format!(
                                "{}: saved shard belongs to another study ({:?})",
                                f.display(),
                                r.header
                            ));
                        }
                        progress(1);
                        done.insert(i, r);
                    }
                }
            }
        }
        let todo: Vec<u32> = which
            .iter()
            .copied()
            .filter(|i| !done.contains_key(i))
            .collect();
        let next = AtomicUsize::new(0);
        let results: Vec<Result<ShardResult, String>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads.max(1))
                .map(|_| {
                    s.spawn(|| {
                        let mut out = Vec::new();
                        loop {
                            let k = next.fetch_add(1, Ordering::SeqCst);
                            let Some(&i) = todo.get(k) else { break };
                            let r = self.run_shard(i);
                            if let (Ok(res), Some(dir)) = (&r, state) {
                                let f = Self::shard_file(dir, i);
                                let tmp = f.with_extension("json.tmp");
                                let text =
                                    serde_json::to_string(res).expect("a ShardResult serialises");
                                if let Err(e) = std::fs::write(&tmp, text)
                                    .and_then(|_| std::fs::rename(&tmp, &f))
                                {
                                    out.push(Err(format!("{}: {e}", f.display())));
                                    break;
                                }
                            }
                            progress(1);
                            out.push(r);
                        }
                        out
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("a shard thread panicked"))
                .collect()
        });
        for r in results {
            let r = r?;
            done.insert(r.shard, r);
        }
        Ok(done.into_values().collect())
    }
}

/// One cell of the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellReport {
    pub client: String,
    pub server: String,
    pub suite: String,
    pub handshake: String,
    pub attempts: u64,
    pub successes: u64,
    pub failures: u64,
    pub by_mechanism: BTreeMap<String, u64>,
    pub rate: f64,
    pub ci95: [f64; 2],
    /// Theoretical failure rate from the group's prime, where the mechanism has one.
    pub theory: Option<f64>,
    /// Whether the failure count lies in the 99.9% binomial interval of the theory.
    pub verdict: Option<String>,
    pub replay: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyReport {
    pub scenario: String,
    pub seed: u64,
    pub connections: u64,
    pub shards: u32,
    pub cells: Vec<CellReport>,
}

/// The 95% Wilson score interval for `k` successes in `n` trials.
pub fn wilson95(k: u64, n: u64) -> [f64; 2] {
    if n == 0 {
        return [0.0, 1.0];
    }
    let z = 1.959_963_984_540_054_f64;
    let (n, p) = (n as f64, k as f64 / n as f64);
    let denom = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denom;
    [(centre - half).max(0.0), (centre + half).min(1.0)]
}

/// The theoretical failure rate of a full DHE handshake between two profiles: M1 (the
/// peers treat Z's leading zero byte differently), M2 (the server sends a short Ys and
/// the client rejects it) and M3 (the client sends a short Yc and the server rejects
/// it), each happening when a uniformly distributed element of g's subgroup has a zero
/// top byte, with probability `leading_zero_probability()` computed from p; the three
/// events are independent (Ys, Yc and Z come from independent exponents), so the rate
/// is 1 − (1 − p2)(1 − p3)(1 − p1). Other cells have no theory (None).
pub fn theory(client: &Profile, server: &Profile, suite: &str, handshake: &str) -> Option<f64> {
    let info = crate::wire::suite_by_name(suite)?;
    if !info.is_dhe() || handshake.ends_with("resumed") {
        return None;
    }
    let group = server.server_dh_group().ok()?;
    let pz = group.leading_zero_probability();
    let ems = client.ems_offer && server.ems_negotiate;
    let keeps = |p: &Profile| match p.premaster_leading_zeros {
        LeadingZeros::Strip => false,
        LeadingZeros::Keep => true,
        LeadingZeros::KeepUnlessEms => !ems,
    };
    let p1 = if keeps(client) != keeps(server) {
        pz
    } else {
        0.0
    };
    let p2 = if server.public_encoding(false) == PublicEncoding::Minimal
        && !client.accepts_short_public(true)
    {
        pz
    } else {
        0.0
    };
    let p3 = if client.public_encoding(true) == PublicEncoding::Minimal
        && !server.accepts_short_public(false)
    {
        pz
    } else {
        0.0
    };
    Some(1.0 - (1.0 - p1) * (1.0 - p2) * (1.0 - p3))
}

/// Merge shard results into the report. Every shard 0..n must be present exactly once.
pub fn merge(
    results: &[ShardResult],
    scenario: Option<&Scenario>,
    replay_per_cell: usize,
) -> Result<StudyReport, String> {
    let first = results.first().ok_or("no shard results to merge")?;
    let header = first.header.clone();
    let mut seen = vec![false; header.shards as usize];
    let mut sorted: Vec<&ShardResult> = results.iter().collect();
    sorted.sort_by_key(|r| r.shard);
    let mut cells: BTreeMap<CellKey, CellAgg> = BTreeMap::new();
    let mut connections = 0;
    for r in sorted {
        if r.header != header {
            return Err(format!(
                "shard {} belongs to another study: {:?} vs {:?}",
                r.shard, r.header, header
            ));
        }
        let slot = seen
            .get_mut(r.shard as usize)
            .ok_or_else(|| format!("shard {} is outside 0..{}", r.shard, header.shards))?;
        if *slot {
            return Err(format!("shard {} given twice", r.shard));
        }
        *slot = true;
        connections += r.connections;
        for (k, c) in &r.cells {
            let a = cells.entry(k.clone()).or_default();
            a.attempts += c.attempts;
            a.failures += c.failures;
            for (m, n) in &c.by_mechanism {
                *a.by_mechanism.entry(m.clone()).or_default() += n;
            }
            for (id, d) in c.replay.iter().zip(&c.replay_digest) {
                if a.replay.len() < replay_per_cell {
                    a.replay.push(id.clone());
                    a.replay_digest.push(d.clone());
                }
            }
        }
    }
    let missing: Vec<usize> = seen
        .iter()
        .enumerate()
        .filter(|(_, s)| !**s)
        .map(|(i, _)| i)
        .collect();
    if !missing.is_empty() {
        return Err(format!("missing shards: {missing:?} of {}", header.shards));
    }
    let profile = |label: &str, server: bool| -> Option<Profile> {
        let sc = scenario?;
        if server {
            sc.fleet
                .servers
                .iter()
                .find(|s| s.label == label)
                .map(|s| (*s.profile).clone())
        } else {
            sc.fleet
                .clients
                .iter()
                .find(|c| c.label == label)
                .map(|c| (*c.profile).clone())
        }
    };
    let cells = cells
        .into_iter()
        .map(|((client, server, suite, handshake), a)| {
            let th = match (profile(&client, false), profile(&server, true)) {
                (Some(c), Some(s)) => theory(&c, &s, &suite, &handshake),
                _ => None,
            };
            let verdict = th.map(|p| {
                let (lo, hi) = binomial_interval(a.attempts, p, 0.999);
                if (lo..=hi).contains(&a.failures) {
                    "consistent"
                } else {
                    "inconsistent"
                }
                .to_string()
            });
            CellReport {
                rate: if a.attempts == 0 {
                    0.0
                } else {
                    a.failures as f64 / a.attempts as f64
                },
                ci95: wilson95(a.failures, a.attempts),
                successes: a.attempts - a.failures,
                client,
                server,
                suite,
                handshake,
                attempts: a.attempts,
                failures: a.failures,
                by_mechanism: a.by_mechanism,
                theory: th,
                verdict,
                replay: a.replay,
            }
        })
        .collect();
    Ok(StudyReport {
        scenario: header.scenario,
        seed: header.seed,
        connections,
        shards: header.shards,
        cells,
    })
}

impl StudyReport {
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a StudyReport serialises")
    }

    pub fn csv(&self) -> String {
        let mut s = String::from("client,server,suite,handshake,attempts,failures,rate,ci95_low,ci95_high,theory,verdict,mechanisms\n");
        for c in &self.cells {
            let mechs: Vec<String> = c
                .by_mechanism
                .iter()
                .map(|(m, n)| format!("{m}={n}"))
                .collect();
            s.push_str(&format!(
                "\"{}\",\"{}\",{},{},{},{},{:.6},{:.6},{:.6},{},{},\"{}\"\n",
                c.client,
                c.server,
                c.suite,
                c.handshake,
                c.attempts,
                c.failures,
                c.rate,
                c.ci95[0],
                c.ci95[1],
                c.theory.map(|t| format!("{t:.6}")).unwrap_or_default(),
                c.verdict.clone().unwrap_or_default(),
                mechs.join(";")
            ));
        }
        s
    }

    pub fn text(&self) -> String {
        let mut s = format!(
            "study {} (seed {}, {} shards), {} connections\n{:<26} {:<24} {:<40} {:<22} {:>8} {:>6} {:>9} {:>21} {:>9}  verdict / mechanisms\n",
            self.scenario, self.seed, self.shards, self.connections, "client", "server", "suite", "handshake", "attempts", "failed", "rate", "95% CI", "theory"
        );
        for c in &self.cells {
            let mechs: Vec<String> = c
                .by_mechanism
                .iter()
                .map(|(m, n)| format!("{m} ×{n}"))
                .collect();
            s.push_str(&format!(
                "{:<26} {:<24} {:<40} {:<22} {:>8} {:>6} {:>9.5} [{:>8.5}, {:>8.5}] {:>9}  {}{}\n",
                c.client,
                c.server,
                c.suite,
                c.handshake,
                c.attempts,
                c.failures,
                c.rate,
                c.ci95[0],
                c.ci95[1],
                c.theory
                    .map(|t| format!("{t:.5}"))
                    .unwrap_or_else(|| "-".into()),
                c.verdict
                    .as_ref()
                    .map(|v| format!("{v}; "))
                    .unwrap_or_default(),
                mechs.join(", ")
            ));
        }
        let ids: Vec<&String> = self
            .cells
            .iter()
            .flat_map(|c| c.replay.iter())
            .take(3)
            .collect();
        if !ids.is_empty() {
            s.push_str("\nreplay a failure: ");
            s.push_str(
                &ids.iter()
                    .map(|i| format!("tlsim replay {i}"))
                    .collect::<Vec<_>>()
                    .join("  |  "),
            );
            s.push('\n');
        }
        s
    }
}

/// A what-if variant of a scenario: an overlay applied to every peer.
pub fn variant(sc: &Scenario, name: &str) -> Result<Scenario, String> {
    let mut v = sc.clone();
    let edit = |f: &dyn Fn(&mut Profile), v: &mut Scenario| {
        for c in &mut v.fleet.clients {
            let mut p = (*c.profile).clone();
            f(&mut p);
            c.profile = Arc::new(p);
        }
        for s in &mut v.fleet.servers {
            let mut p = (*s.profile).clone();
            f(&mut p);
            s.profile = Arc::new(p);
        }
    };
    match name {
        // Microsoft's workaround 1: remove TLS_DHE_* from the clients' lists.
        "no-dhe" => edit(
            &|p| {
                p.client_suites
                    .retain(|s| !crate::wire::suite_info(*s).is_some_and(|i| i.is_dhe()))
            },
            &mut v,
        ),
        // Workaround 2: enable the extended master secret on both sides.
        "ems-on" => edit(
            &|p| {
                p.ems_offer = true;
                p.ems_negotiate = true;
            },
            &mut v,
        ),
        // Every peer strips Z's leading zeros (the KB4557473 fix everywhere).
        "strip-zeros" => edit(&|p| p.premaster_leading_zeros = LeadingZeros::Strip, &mut v),
        // Every peer pads its DH public values.
        "pad-publics" => edit(
            &|p| {
                p.public_value_encoding = PublicEncoding::Padded;
                p.client_public_value_encoding = None;
            },
            &mut v,
        ),
        other => {
            return Err(format!(
                "unknown variant {other:?}; variants: no-dhe, ems-on, strip-zeros, pad-publics"
            ))
        }
    }
    v.name = format!("{}+{name}", sc.name);
    Ok(v)
}

/// Re-run the shard of a replay id with wire recording and return that connection. The
/// shard runs from its start, so the connection sees exactly the session state (caches,
/// reused keys, earlier connections) it depended on in the study.
pub fn replay(study: &Study, shard: u32, conn: &str) -> Result<ConnRecord, String> {
    if shard >= study.header.shards {
        return Err(format!(
            "shard {shard} is outside 0..{}",
            study.header.shards
        ));
    }
    let records = study.shard_records(shard, true)?;
    records
        .into_iter()
        .find(|r| format!("{}.{}.{}", r.client_host, r.peer, r.index) == conn)
        .ok_or_else(|| format!("no connection {conn:?} in shard {shard}"))
}
