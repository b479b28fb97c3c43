//! `tlsim bridge connect|serve`: a tlsim profile against a real TLS stack over loopback.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tlsim::bridge::{
    self, AppScript, BridgeOutcome, Limits, ServeOptions, Summary, DEFAULT_MAX_CONNECTIONS,
};
use tlsim::engine::RealCrypto;

#[derive(clap::Subcommand)]
pub enum BridgeCommand {
    /// A tlsim client profile makes N connections to a real server (e.g. `openssl s_server
    /// -rev`), with real AES-GCM records and RSA signatures, and an application-data round
    /// trip after each handshake.
    Connect(ConnectArgs),
    /// A tlsim server profile serves connections from real clients (e.g. `openssl
    /// s_client`) on 127.0.0.1:PORT, with the bundled test certificate (test material only),
    /// and echoes each line it receives. Connections are served concurrently, up to
    /// --max-connections; it runs until --count connections were served, --idle-exit
    /// passed, or SIGINT/SIGTERM, and prints a summary however it ends.
    Serve(ServeArgs),
}

#[derive(clap::Args)]
pub struct ConnectArgs {
    /// HOST:PORT of the server (loopback only).
    addr: String,
    /// Client profile: a built-in name or a TOML file.
    #[arg(long, default_value = "rfc-strict")]
    profile: String,
    /// Offer only this suite (IANA or OpenSSL name); bridge mode runs (EC)DHE_RSA AES-GCM
    /// suites only.
    #[arg(long)]
    suite: Option<String>,
    /// Connections to make, one after the other (at least 1).
    #[arg(long, default_value_t = 1)]
    count: u64,
    /// Keep the session store across connections, so connections 2.. try to resume.
    #[arg(long)]
    resume: bool,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Send an HTTP/1.0 GET and read until the server closes (for `s_server -www`, whose
    /// page shows OpenSSL's view of the session, EMS included), instead of a line.
    #[arg(long)]
    http: bool,
    /// Print one JSON object per connection, then a summary object.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    overlays: BridgeOverlays,
}

/// `--registry` and `--cipher-order` over the bridge's one profile.
#[derive(clap::Args)]
pub struct BridgeOverlays {
    /// A regedit export (.reg) of the Schannel keys applied over the profile; what it
    /// cannot model is listed on stderr.
    #[arg(long, value_name = "FILE")]
    registry: Option<String>,
    /// A suite order (Get-TlsCipherSuite names or an OpenSSL cipher string) replacing the
    /// profile's suites (after --registry).
    #[arg(long, value_name = "FILE")]
    cipher_order: Option<String>,
}

impl BridgeOverlays {
    /// The profile with the overlays applied; their notes go to stderr.
    fn load(&self, spec: &str) -> Result<tlsim::profile::Profile, String> {
        use tlsim::profile::OverlayKind::{CipherOrder, Registry};
        let mut r = tlsim::profile::resolve(spec)?;
        let files = [
            (Registry, self.registry.as_deref()),
            (CipherOrder, self.cipher_order.as_deref()),
        ];
        let notes = tlsim::profile::apply_files(&mut r, &files, "")?;
        eprint!("{}", tlsim::profile::notes_text(&notes));
        Ok(r.profile)
    }
}

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Port on 127.0.0.1 (0: any free port; the bound address is printed before accepting).
    port: u16,
    /// Server profile: a built-in name or a TOML file.
    #[arg(long, default_value = "rfc-strict")]
    profile: String,
    /// Stop after this many connections have been served (default: serve until interrupted
    /// or --idle-exit).
    #[arg(long)]
    count: Option<u64>,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Connections served at once; past it, a new connection is closed at once and counted
    /// as refused over the cap.
    #[arg(long, default_value_t = DEFAULT_MAX_CONNECTIONS)]
    max_connections: usize,
    /// Seconds a connection has to complete its handshake; an idle socket is dropped then.
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = parse_secs)]
    handshake_timeout: Duration,
    /// Seconds a connection may last, handshake and echo included.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_secs)]
    timeout: Duration,
    /// Exit after this many seconds with no connection accepted or in progress (default:
    /// wait indefinitely).
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    idle_exit: Option<Duration>,
    /// Print `{"listening": ADDR}`, one JSON object per connection, then a summary object.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    overlays: BridgeOverlays,
}

/// A positive number of seconds (fractions allowed), at most a day.
fn parse_secs(s: &str) -> Result<Duration, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !(v > 0.0 && v <= 86_400.0) {
        return Err(format!(
            "{s:?}: seconds must be greater than 0 and at most 86400"
        ));
    }
    Duration::try_from_secs_f64(v).map_err(|e| format!("{s:?}: {e}"))
}

fn print(o: &BridgeOutcome, json: bool) {
    if json {
        println!("{}", serde_json::to_string(o).expect("outcome serialises"));
    } else {
        print!("{}", tlsim::report::bridge::outcome_text(o));
    }
}

/// Exit status 0 when every connection succeeded, else 1.
fn exit(ok: bool) -> ExitCode {
    ExitCode::from(u8::from(!ok))
}

pub fn run(cmd: BridgeCommand) -> Result<ExitCode, String> {
    match cmd {
        BridgeCommand::Connect(a) => {
            if a.count == 0 {
                return Err("--count must be at least 1".into());
            }
            let mut p = a.overlays.load(&a.profile)?;
            if let Some(name) = &a.suite {
                p.client_suites = vec![bridge::bridge_suite(name)?.suite];
            }
            let json = a.json;
            let opts = bridge::ConnectOptions {
                count: a.count,
                resume: a.resume,
                seed: a.seed,
                script: if a.http {
                    AppScript::http_get()
                } else {
                    AppScript::default()
                },
                limits: Limits::default(),
            };
            let v = bridge::connect(&a.addr, p, &opts, |o| print(o, json))?;
            let s = Summary::from_outcomes(&v);
            if json {
                println!("{}", serde_json::json!({ "summary": s }));
            } else {
                print!("{}", tlsim::report::bridge::summary_text(&s));
            }
            Ok(exit(s.failures == 0 && s.attempts > 0))
        }
        BridgeCommand::Serve(a) => {
            if a.count == Some(0) {
                return Err("--count must be at least 1".into());
            }
            if a.max_connections == 0 {
                return Err("--max-connections must be at least 1".into());
            }
            let p = a.overlays.load(&a.profile)?;
            // Check the profile before binding, so a bad one fails with nothing listening.
            let p = bridge::bridge_profile(p, tlsim::engine::Side::Server)?;
            let json = a.json;
            let opts = ServeOptions {
                count: a.count,
                seed: a.seed,
                limits: Limits {
                    per_connection: a.timeout,
                    handshake: a.handshake_timeout,
                    ..Limits::default()
                },
                max_connections: a.max_connections,
                idle_exit: a.idle_exit,
            };
            let listener = bridge::bind(a.port)?;
            let addr = listener
                .local_addr()
                .map_err(|e| format!("bound address: {e}"))?;
            let stop = bridge::stop_on_signals()?;
            eprintln!("listening on {addr}");
            if json {
                println!("{}", serde_json::json!({ "listening": addr.to_string() }));
            }
            let report = bridge::serve_on(
                &listener,
                p,
                Arc::new(RealCrypto::test_server()),
                &opts,
                stop,
                |o| print(o, json),
            )?;
            let s = report.summary(a.max_connections);
            if json {
                println!("{}", serde_json::json!({ "summary": s }));
            } else {
                print!("{}", tlsim::report::bridge::serve_summary_text(&s));
            }
            Ok(exit(s.connections.failures == 0))
        }
    }
}
