//! The one-run commands as calls: `tlsim run` (a scenario's fleet, once), `tlsim handshake`
//! (two profiles in memory) and `tlsim replay` (one connection of a study or run), each
//! with its capture files; what they return is printed by the command.

use super::output::{format, versioned, Capture};
use super::pcap;
use super::RunReport;
use crate::engine::{Pair, Run};
use crate::net::{run_fleet, ConnRecord};
use crate::profile::PairSetup;
use crate::scenario::{open_with_overlays, OverlayFiles, Scenario};
use crate::study::{replay_from, Progress, ReplayId, StudyError};
use std::path::PathBuf;

/// `tlsim run`: a scenario file with overlays, its fleet run once.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct RunCommand {
    pub scenario: PathBuf,
    /// The seed instead of the scenario's.
    #[cfg_attr(feature = "cli", arg(long))]
    pub seed: Option<u64>,
    #[cfg_attr(feature = "cli", command(flatten))]
    pub capture: Capture,
    #[cfg_attr(feature = "cli", command(flatten))]
    pub overlays: OverlayFiles,
}

/// What a [`RunCommand`] ran and found.
#[derive(Debug, Clone)]
pub struct RunDone {
    pub scenario: Scenario,
    pub records: Vec<ConnRecord>,
    pub report: RunReport,
}

impl RunCommand {
    /// Run the fleet and write the capture files (with a note each to `p`).
    pub fn run(&self, p: &dyn Progress) -> Result<RunDone, StudyError> {
        self.capture.check()?;
        let (scenario, _) = open_with_overlays(&self.scenario, &self.overlays)?;
        let mut fleet = scenario.fleet.clone();
        fleet.seed = self.seed.unwrap_or(fleet.seed);
        fleet.record = self.capture.any();
        let records = run_fleet(&fleet)?;
        self.capture.write(
            || pcap::capture_fleet(&fleet, &records),
            || pcap::keylog_records(&records),
            p,
        )?;
        let report = RunReport::build(&scenario, &records);
        Ok(RunDone {
            scenario,
            records,
            report,
        })
    }
}

impl RunDone {
    /// `tlsim run --json`, with its format.
    pub fn json(&self) -> Result<String, String> {
        let v = self.report.json_value(&self.scenario, &self.records)?;
        Ok(versioned(format::RUN, &v, true))
    }

    /// The report's text, then the notes of the overlays.
    pub fn text(&self) -> String {
        format!(
            "{}{}",
            self.report.text(),
            self.scenario.overlay_notes_text()
        )
    }

    /// Whether the run found something ([`RunReport::found`]).
    pub fn found(&self) -> bool {
        self.report.found(&self.scenario)
    }
}

/// `tlsim handshake`: one connection (and with `resume`, a second one resuming it) between
/// two profiles, in memory.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct HandshakeCommand {
    #[cfg_attr(feature = "cli", command(flatten))]
    pub peers: PairSetup,
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 1))]
    pub seed: u64,
    #[cfg_attr(feature = "cli", arg(long))]
    pub resume: bool,
    /// The server's TCP port in the capture.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 443))]
    pub port: u16,
    #[cfg_attr(feature = "cli", command(flatten))]
    pub capture: Capture,
}

impl HandshakeCommand {
    /// The connections and the overlays' notes (a block, empty without overlays).
    pub fn run(&self, p: &dyn Progress) -> Result<(Vec<Run>, String), StudyError> {
        self.capture.check()?;
        let (client, server, notes) = self.peers.resolve()?;
        let mut pair = Pair::new(client, server, self.seed);
        let mut runs = vec![pair.connect()];
        if self.resume {
            runs.push(pair.connect());
        }
        self.capture.write(
            || pcap::capture(&runs, self.port),
            || pcap::keylog_runs(&runs),
            p,
        )?;
        Ok((runs, crate::profile::notes_text(&notes)))
    }
}

/// `tlsim replay ID`: one connection of a study or run, replayed from its scenario.
#[derive(Debug, Clone)]
pub struct ReplayCommand {
    pub id: ReplayId,
    /// The scenario file, instead of the one the id names.
    pub scenario: Option<PathBuf>,
    pub overlays: OverlayFiles,
    /// The server's TCP port in the capture.
    pub port: u16,
    pub capture: Capture,
}

impl ReplayCommand {
    /// The connection, with the capture files written (a note each to `p`).
    pub fn run(&self, p: &dyn Progress) -> Result<ConnRecord, StudyError> {
        self.capture.check()?;
        let rec = replay_from(&self.id, self.scenario.as_deref(), &self.overlays)?;
        let one = std::slice::from_ref(&rec);
        self.capture.write(
            || pcap::capture_records(one, |_| self.port),
            || pcap::keylog_records(one),
            p,
        )?;
        Ok(rec)
    }
}
