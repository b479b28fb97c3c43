//! A study as one command runs it (`tlsim study`): sized from a number of connections, the
//! shards this job runs (all, or one shard set), its what-if variants, and the state
//! directory where each saves its finished shards.

use super::{variant_with_notes, ShardSpec, StateDir, Study};
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
    /// Each what-if's notes ([`super::variant_with_notes`]).
    pub variant_notes: Vec<Vec<String>>,
}

/// The output files and what-ifs a `tlsim study` command line asks for, checked before any
/// work by [`Outputs::check`].
#[derive(Debug, Clone, Default)]
pub struct Outputs<'a> {
    pub part: Option<ShardSpec>,
    pub out: Option<&'a std::path::Path>,
    pub plot: Option<&'a std::path::Path>,
    pub html: Option<&'a std::path::Path>,
    pub compare: &'a [String],
}

impl Outputs<'_> {
    /// Refuse what a study cannot do: a shard set without --out, or with --plot, --html or
    /// --compare (whole-study outputs); an output path that cannot be written; a what-if
    /// named twice.
    pub fn check(&self) -> Result<(), String> {
        if self.part.is_some() {
            if self.out.is_none() {
                return Err(
                    "--shard i/n writes the shard results to a file: it needs --out \
                            FILE (then combine the files with `tlsim merge`)"
                        .into(),
                );
            }
            for (set, flag) in [
                (self.plot.is_some(), "--plot"),
                (self.html.is_some(), "--html"),
                (!self.compare.is_empty(), "--compare"),
            ] {
                if set {
                    return Err(format!(
                        "{flag} does not apply to --shard i/n, which writes shard results \
                         only; use it on the whole study"
                    ));
                }
            }
        }
        for (path, flag) in [
            (self.out, "--out"),
            (self.plot, "--plot"),
            (self.html, "--html"),
        ] {
            if let Some(p) = path {
                crate::report::output::check(p, flag)?;
            }
        }
        for (k, v) in self.compare.iter().enumerate() {
            if self.compare[..k].contains(v) {
                return Err(format!("--compare {v} is given twice"));
            }
        }
        Ok(())
    }
}

impl Plan {
    /// The plan of scenario `sc`, whose identity text is `text` (see
    /// [`crate::scenario::open_with_overlays`]). Refused: an unknown variant, or one that
    /// leaves a client nothing to offer; more connections than [`super::MAX_SHARDS`]
    /// shards; variants of a state directory without a name.
    pub fn new(sc: &Scenario, text: &str, o: &PlanOptions) -> Result<Plan, String> {
        let variants = o.compare.iter().map(|v| variant_with_notes(sc, v));
        let (variants, variant_notes): (Vec<Scenario>, Vec<Vec<String>>) = variants
            .collect::<Result<Vec<(Scenario, Vec<String>)>, String>>()?
            .into_iter()
            .unzip();
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
            variant_notes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_picks_the_shard_set_and_places_the_variants() {
        let text = crate::scenario::builtin("m1-dh-premaster-zeros").unwrap();
        let sc = Scenario::parse(text, "m1", "m1-dh-premaster-zeros", None).unwrap();
        let o = PlanOptions {
            connections: 3000,
            part: Some("1/2".parse().unwrap()),
            compare: vec!["ems-on".into()],
            ..PlanOptions::default()
        };
        let plan = Plan::new(&sc, text, &o).unwrap();
        // 10 peers × 60 connections per shard: 3000 connections are 5 shards.
        assert_eq!(plan.study.header.shards, 5);
        assert_eq!(plan.study.header.seed, sc.fleet.seed);
        assert_eq!(plan.which, vec![1, 3]);
        assert!(plan.state_dir.to_string_lossy().ends_with("-part-1of2"));
        let (name, vstudy, dir) = &plan.variants[0];
        assert_eq!(name, "ems-on");
        assert_eq!(vstudy.header.shards, 5);
        assert_ne!(
            vstudy.header.scenario_digest,
            plan.study.header.scenario_digest
        );
        assert!(dir.to_string_lossy().ends_with("-part-1of2+ems-on"));
        let bad = PlanOptions {
            compare: vec!["no-such".into()],
            ..o.clone()
        };
        assert!(Plan::new(&sc, text, &bad)
            .unwrap_err()
            .contains("unknown variant"));
        let huge = PlanOptions {
            connections: u64::MAX,
            ..o
        };
        let e = Plan::new(&sc, text, &huge).unwrap_err();
        assert!(
            e.starts_with(&format!("--connections {}: ", u64::MAX)),
            "{e}"
        );
    }
}
