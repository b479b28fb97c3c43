//! `tlsim bridge connect|serve` as calls: the profile with its overlays, the options from
//! the command line, checked before any socket is opened; each step reported as a
//! [`BridgeEvent`], the summary returned.

use super::{
    bind, bridge_profile, bridge_suite, connect, serve_on, stop_on_signals, AppScript,
    BridgeOutcome, ConnectOptions, Limits, ServeOptions, ServeSummary, Summary,
};
use crate::engine::{RealCrypto, Side};
use crate::profile::{apply_files, notes_text, resolve, OverlayKind, Profile};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// What a bridge command reports while it runs.
#[derive(Debug)]
pub enum BridgeEvent<'a> {
    /// The notes of the profile's overlays, as a block (empty without overlays).
    Notes(String),
    /// `serve` is listening on this address.
    Listening(SocketAddr),
    /// One connection is done.
    Outcome(&'a BridgeOutcome),
}

/// A registry export and a cipher order over the bridge's one profile (`--registry`,
/// `--cipher-order`).
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct BridgeOverlays {
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE"))]
    pub registry: Option<String>,
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE"))]
    pub cipher_order: Option<String>,
}

impl BridgeOverlays {
    /// Profile `spec` (a name or file) with the overlays applied, and their notes.
    fn load(&self, spec: &str, on: &mut dyn FnMut(BridgeEvent)) -> Result<Profile, String> {
        let mut r = resolve(spec)?;
        let files = [
            (OverlayKind::Registry, self.registry.as_deref()),
            (OverlayKind::CipherOrder, self.cipher_order.as_deref()),
        ];
        let notes = apply_files(&mut r, &files, "")?;
        on(BridgeEvent::Notes(notes_text(&notes)));
        Ok(r.profile)
    }
}

/// `tlsim bridge connect`: a tlsim client against a real server.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct ConnectCommand {
    pub addr: String,
    /// The client profile: a name or a file.
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            alias = "profile",
            default_value = "rfc-strict",
            value_name = "NAME|FILE"
        )
    )]
    pub client_profile: String,
    /// The one suite to offer, instead of the profile's list.
    #[cfg_attr(feature = "cli", arg(long))]
    pub suite: Option<String>,
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 1))]
    pub count: u64,
    #[cfg_attr(feature = "cli", arg(long))]
    pub resume: bool,
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 1))]
    pub seed: u64,
    /// Send an HTTP GET ([`AppScript::http_get`]) instead of a ping line.
    #[cfg_attr(feature = "cli", arg(long))]
    pub http: bool,
    /// Write each connection's NSS key log lines here (`--keylog`).
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE"))]
    pub keylog: Option<PathBuf>,
    /// Write a capture of the run here (`--pcap`).
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE"))]
    pub pcap: Option<PathBuf>,
    #[cfg_attr(feature = "cli", command(flatten))]
    pub overlays: BridgeOverlays,
}

impl ConnectCommand {
    pub fn run(&self, on: &mut dyn FnMut(BridgeEvent)) -> Result<Summary, String> {
        if self.count == 0 {
            return Err("--count must be at least 1".into());
        }
        let mut p = self.overlays.load(&self.client_profile, on)?;
        if let Some(name) = &self.suite {
            bridge_suite(name)?.restrict(&mut p)?;
        }
        let opts = ConnectOptions {
            count: self.count,
            resume: self.resume,
            seed: self.seed,
            script: match self.http {
                true => AppScript::http_get(),
                false => AppScript::default(),
            },
            limits: Limits::default(),
        };
        let mut keys = KeyLog::create(self.keylog.as_deref())?;
        let pcap = Pcap::create(self.pcap.as_deref())?;
        let v = connect(&self.addr, p, &opts, |o| {
            keys.add(o);
            on(BridgeEvent::Outcome(o))
        })?;
        keys.result()?;
        let port = std::net::ToSocketAddrs::to_socket_addrs(self.addr.as_str())
            .ok()
            .and_then(|mut a| a.next())
            .map_or(443, |a| a.port());
        pcap.write(&v, port)?;
        Ok(Summary::from_outcomes(&v))
    }
}

/// `tlsim bridge serve`: a tlsim server real clients connect to, until `count` connections,
/// `idle_exit` or SIGINT/SIGTERM.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct ServeCommand {
    pub port: u16,
    /// The server profile: a name or a file.
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            alias = "profile",
            default_value = "rfc-strict",
            value_name = "NAME|FILE"
        )
    )]
    pub server_profile: String,
    #[cfg_attr(feature = "cli", arg(long))]
    pub count: Option<u64>,
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 1))]
    pub seed: u64,
    #[cfg_attr(feature = "cli", arg(long, default_value_t = super::DEFAULT_MAX_CONNECTIONS))]
    pub max_connections: usize,
    #[cfg_attr(feature = "cli", arg(long, value_name = "SECS", default_value = "5",
        value_parser = crate::text::seconds))]
    pub handshake_timeout: Duration,
    #[cfg_attr(feature = "cli", arg(long, value_name = "SECS", default_value = "10",
        value_parser = crate::text::seconds))]
    pub timeout: Duration,
    #[cfg_attr(feature = "cli", arg(long, value_name = "SECS",
        value_parser = crate::text::seconds))]
    pub idle_exit: Option<Duration>,
    /// Write each connection's NSS key log lines here (`--keylog`).
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE"))]
    pub keylog: Option<PathBuf>,
    /// Write a capture of the connections served here (`--pcap`), once the run ends.
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE"))]
    pub pcap: Option<PathBuf>,
    #[cfg_attr(feature = "cli", command(flatten))]
    pub overlays: BridgeOverlays,
}

impl ServeCommand {
    pub fn run(&self, on: &mut dyn FnMut(BridgeEvent)) -> Result<ServeSummary, String> {
        if self.count == Some(0) {
            return Err("--count must be at least 1".into());
        }
        if self.max_connections == 0 {
            return Err("--max-connections must be at least 1".into());
        }
        let p = self.overlays.load(&self.server_profile, on)?;
        // Check the profile before binding, so a bad one fails with nothing listening.
        let p = bridge_profile(p, Side::Server)?;
        let opts = ServeOptions {
            count: self.count,
            seed: self.seed,
            limits: Limits {
                per_connection: self.timeout,
                handshake: self.handshake_timeout,
                ..Limits::default()
            },
            max_connections: self.max_connections,
            idle_exit: self.idle_exit,
        };
        let mut keys = KeyLog::create(self.keylog.as_deref())?;
        let pcap = Pcap::create(self.pcap.as_deref())?;
        let listener = bind(self.port)?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("bound address: {e}"))?;
        let stop = stop_on_signals()?;
        on(BridgeEvent::Listening(addr));
        let real = Arc::new(RealCrypto::test_server());
        let report = serve_on(&listener, p, real, &opts, stop, |o| {
            keys.add(o);
            on(BridgeEvent::Outcome(o))
        })?;
        keys.result()?;
        pcap.write(&report.outcomes, addr.port())?;
        Ok(report.summary(self.max_connections))
    }
}

/// `--keylog FILE`: the NSS key log (SSLKEYLOGFILE format) of a bridge run, each
/// connection's lines appended as it ends, so Wireshark (or `tshark -o
/// tls.keylog_file:FILE`) decrypts a capture of the run.
struct KeyLog {
    file: Option<(std::fs::File, String)>,
    /// The first write error, reported when the run ends.
    error: Option<String>,
}

impl KeyLog {
    fn create(path: Option<&Path>) -> Result<KeyLog, String> {
        let file = match path {
            None => None,
            Some(p) => {
                let name = p.display().to_string();
                let f = std::fs::File::create(p).map_err(|e| format!("--keylog {name}: {e}"))?;
                Some((f, name))
            }
        };
        Ok(KeyLog { file, error: None })
    }

    fn add(&mut self, o: &BridgeOutcome) {
        if let Some((f, name)) = &mut self.file {
            if self.error.is_none() && !o.key_log.is_empty() {
                if let Err(e) = f.write_all(o.key_log.as_bytes()).and_then(|_| f.flush()) {
                    self.error = Some(format!("--keylog {name}: {e}"));
                }
            }
        }
    }

    fn result(self) -> Result<(), String> {
        self.error.map_or(Ok(()), Err)
    }
}

/// `--pcap FILE`: a capture of a bridge run (libpcap, [`crate::report::pcap`]) from what
/// crossed each socket, written when the run ends; the file is created at the start, so an
/// unwritable path fails before any connection.
struct Pcap(Option<(std::fs::File, String)>);

impl Pcap {
    fn create(path: Option<&Path>) -> Result<Pcap, String> {
        Ok(Pcap(match path {
            None => None,
            Some(p) => {
                let name = p.display().to_string();
                let f = std::fs::File::create(p).map_err(|e| format!("--pcap {name}: {e}"))?;
                Some((f, name))
            }
        }))
    }

    fn write(self, outcomes: &[BridgeOutcome], server_port: u16) -> Result<(), String> {
        let Some((mut f, name)) = self.0 else {
            return Ok(());
        };
        let conns: Vec<_> = outcomes.iter().map(|o| o.flights.clone()).collect();
        let bytes = crate::report::pcap::capture_flights(&conns, server_port);
        f.write_all(&bytes)
            .and_then(|_| f.flush())
            .map_err(|e| format!("--pcap {name}: {e}"))
    }
}
