//! A study as one command runs it (`tlsim study`): sized from a number of connections, the
//! shards this job runs (all, or one shard set), its what-if variants, and the state
//! directory where each saves its finished shards.

use super::{variant, ShardSpec, StateDir, Study};
use crate::scenario::Scenario;
use std::path::PathBuf;

/// What to run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// The study seed (default: the scenario's `seed`).
    pub seed: Option<u64>,
    /// Connections in total, rounded up to whole shards ([`Study::sized`]).
    pub connections: u64,
    /// Run only this shard set.
    pub part: Option<ShardSpec>,
    /// What-if variants to run beside the study ([`variant`]).
    pub compare: Vec<String>,
    /// The state directory (default: [`StateDir::default_path`]).
    pub state_dir: Option<PathBuf>,
}

/// A study ready to run, with its what-ifs.
#[derive(Debug, Clone)]
pub struct Plan {
    pub study: Study,
    /// The shards this job runs, in order.
    pub which: Vec<u32>,
    pub state_dir: PathBuf,
    /// Each what-if: its name, its study (same seed and shards; its digest covers the
    /// scenario text and the name) and its state directory, `<state_dir>+<name>`.
    pub variants: Vec<(String, Study, PathBuf)>,
}

impl Plan {
    /// The plan of scenario `sc`, whose identity text is `text` (see
    /// [`crate::scenario::open_with_overlays`]). Refused: an unknown variant, or one that
    /// leaves a client nothing to offer; more connections than [`super::MAX_SHARDS`]
    /// shards; variants of a state directory without a name.
    pub fn new(sc: &Scenario, text: &str, o: &PlanOptions) -> Result<Plan, String> {
        let variants = o.compare.iter().map(|v| variant(sc, v));
        let variants = variants.collect::<Result<Vec<Scenario>, String>>()?;
        let seed = o.seed.unwrap_or(sc.fleet.seed);
        let study = Study::sized(sc.clone(), text, seed, o.connections)
            .map_err(|e| format!("--connections {}: {e}", o.connections))?;
        let shards = study.header.shards;
        let which = match o.part {
            Some(p) => p.shards(shards),
            None => (0..shards).collect(),
        };
        let state_dir = match &o.state_dir {
            Some(d) => d.clone(),
            None => StateDir::default_path(&study.header, o.part),
        };
        let variants = o
            .compare
            .iter()
            .zip(variants)
            .map(|(v, vs)| {
                let vstudy = Study::new(vs, &format!("{text}{v}"), seed, shards);
                Ok((v.clone(), vstudy, StateDir::variant_path(&state_dir, v)?))
            })
            .collect::<Result<_, String>>()?;
        Ok(Plan {
            study,
            which,
            state_dir,
            variants,
        })
    }
}
