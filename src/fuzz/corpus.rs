//! Seed corpora. Engine and decoder seeds are recorded real handshakes: pairs of profiles
//! run in memory, each side's received bytes kept with the exact state (profile, RNG path,
//! session caches, time) the receiving engine had, so that an unmutated seed replays to the
//! same complete handshake and a mutated one gets as deep as its mutation allows. Text
//! seeds are the shipped files: scenarios, profiles, the catalogue, `tests/data/fuzz-seeds`.

use super::tls::{Msg, Stream};
use crate::engine::{Connection, Millis, PeerState, RealCrypto, Side};
use crate::profile::Profile;
use crate::seed::rng_for;
use crate::wire::CipherSuite;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One side of one recorded connection, ready to be replayed with other bytes.
#[derive(Clone)]
pub struct EngineCase {
    /// e.g. `client:rfc-strict>rfc-strict/ecdhe#1` (connection 1: a resumption).
    pub name: String,
    pub side: Side,
    pub profile: Arc<Profile>,
    /// Bridge mode (real signatures, certificates and AES-GCM), or simulated.
    pub real: Option<Arc<RealCrypto>>,
    rng_seed: u64,
    conn: u64,
    /// The side's long-lived state just before the connection.
    pub state: PeerState,
    pub now: Millis,
    /// Transmits the side received, in order.
    pub received: Vec<Vec<u8>>,
    pub stream: Stream,
    /// Whether the side completed its handshake in the recording.
    pub complete: bool,
}

impl EngineCase {
    /// A fresh engine for this side, as it was at the start of the recorded connection.
    pub fn connection(&self, state: &mut PeerState) -> Connection {
        let rng = rng_for(self.rng_seed, &[self.conn, side_index(self.side)]);
        let c = match self.side {
            Side::Client => {
                Connection::client(self.profile.clone(), "server", rng, self.now, state)
            }
            Side::Server => Connection::server(self.profile.clone(), rng, self.now),
        };
        match &self.real {
            Some(r) => c.with_real_crypto(r.clone()),
            None => c,
        }
    }
}

fn side_index(s: Side) -> u64 {
    match s {
        Side::Client => 0,
        Side::Server => 1,
    }
}

/// Runs a client and a server against each other in memory until neither has anything to
/// send; after the handshake the client sends a line, the server answers, the client closes
/// with close_notify. Returns what the client and the server received.
pub(super) fn converse(
    c: &mut Connection,
    s: &mut Connection,
    cs: &mut PeerState,
    ss: &mut PeerState,
    now: Millis,
) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let (mut to_client, mut to_server) = (Vec::new(), Vec::new());
    let mut phase = 0;
    for _ in 0..64 {
        let mut moved = false;
        while let Some(t) = c.poll_transmit() {
            moved = true;
            if !t.bytes.is_empty() {
                s.handle_input(now, &t.bytes, ss);
                to_server.push(t.bytes);
            }
            if let Some(k) = t.close {
                s.handle_close(now, k);
            }
        }
        while let Some(t) = s.poll_transmit() {
            moved = true;
            if !t.bytes.is_empty() {
                c.handle_input(now, &t.bytes, cs);
                to_client.push(t.bytes);
            }
            if let Some(k) = t.close {
                c.handle_close(now, k);
            }
        }
        if c.is_handshake_complete() && s.is_handshake_complete() {
            match phase {
                0 => c.send_app_data(b"GET / HTTP/1.0\r\n\r\n"),
                1 => s.send_app_data(b"HTTP/1.0 200 OK\r\n\r\n"),
                2 => c.close_notify(),
                _ => {}
            }
            if phase < 3 {
                phase += 1;
                moved = true;
            }
        }
        if !moved {
            break;
        }
    }
    (to_client, to_server)
}

/// A client and a server profile, with optional suites forced on both.
struct PairSpec {
    label: &'static str,
    client: &'static str,
    server: &'static str,
    suites: &'static [u16],
    tweak: fn(&mut Profile, &mut Profile),
}

fn no_tweak(_: &mut Profile, _: &mut Profile) {}

/// Full handshakes and resumptions over ECDHE, DHE and RSA key exchange, TLS 1.0 and 1.2,
/// EMS on and off, tickets and session IDs, client authentication, fragmented
/// certificates, catalogue builds.
const SIM_PAIRS: &[PairSpec] = &[
    PairSpec {
        label: "ecdhe",
        client: "rfc-strict",
        server: "rfc-strict",
        suites: &[0xC02F],
        tweak: no_tweak,
    },
    PairSpec {
        label: "ecdhe-cbc-sha384",
        client: "rfc-strict",
        server: "rfc-strict",
        suites: &[0xC028],
        tweak: no_tweak,
    },
    PairSpec {
        label: "dhe",
        client: "rfc-strict",
        server: "rfc-strict",
        suites: &[0x009E],
        tweak: no_tweak,
    },
    PairSpec {
        label: "rsa-cbc",
        client: "rfc-strict",
        server: "rfc-strict",
        suites: &[0x002F],
        tweak: no_tweak,
    },
    PairSpec {
        label: "session-id",
        client: "rfc-strict",
        server: "rfc-strict",
        suites: &[],
        tweak: |c, s| {
            c.client_tickets = false;
            s.server_tickets = false;
        },
    },
    PairSpec {
        label: "no-ems",
        client: "no-ems",
        server: "rfc-strict",
        suites: &[],
        tweak: no_tweak,
    },
    PairSpec {
        label: "client-auth",
        client: "rfc-strict",
        server: "cert-request-on-resume",
        suites: &[],
        tweak: |_, s| {
            s.send_trusted_issuer_list = true;
            s.trusted_issuer_bytes = 300;
        },
    },
    PairSpec {
        label: "tls10",
        client: "tls10-only",
        server: "rfc-strict",
        suites: &[],
        tweak: no_tweak,
    },
    PairSpec {
        label: "big-chain",
        client: "rfc-strict",
        server: "big-chain",
        suites: &[],
        tweak: no_tweak,
    },
    PairSpec {
        label: "dhe-zeros",
        client: "keep-zeros",
        server: "strip-zeros",
        suites: &[],
        tweak: no_tweak,
    },
    PairSpec {
        label: "minimal-public",
        client: "minimal-public",
        server: "rfc-strict",
        suites: &[],
        tweak: no_tweak,
    },
    PairSpec {
        label: "small-records",
        client: "rfc-strict",
        server: "rfc-strict",
        suites: &[0x009E],
        tweak: |c, s| {
            c.max_fragment = 40;
            s.max_fragment = 40;
            s.pack_handshake_messages = false;
        },
    },
    PairSpec {
        label: "catalogue",
        client: "win2012r2",
        server: "openssl-1.0.2",
        suites: &[],
        tweak: no_tweak,
    },
    PairSpec {
        label: "catalogue",
        client: "java-8u161",
        server: "win2016",
        suites: &[],
        tweak: no_tweak,
    },
];

/// Bridge-mode pairs: only (EC)DHE_RSA AES-GCM suites run with real crypto.
const REAL_PAIRS: &[PairSpec] = &[
    PairSpec {
        label: "real-ecdhe",
        client: "rfc-strict",
        server: "rfc-strict",
        suites: &[0xC02F],
        tweak: no_tweak,
    },
    PairSpec {
        label: "real-ecdhe-256",
        client: "rfc-strict",
        server: "rfc-strict",
        suites: &[0xC030],
        tweak: no_tweak,
    },
    PairSpec {
        label: "real-dhe",
        client: "rfc-strict",
        server: "rfc-strict",
        suites: &[0x009E],
        tweak: no_tweak,
    },
    PairSpec {
        label: "real-session-id-no-ems",
        client: "rfc-strict",
        server: "rfc-strict",
        suites: &[0x009F, 0xC02F],
        tweak: |c, s| {
            c.client_tickets = false;
            s.ems_negotiate = false;
        },
    },
];

/// Records two connections (a full handshake, then a resumption where the profiles allow)
/// of every pair, both sides of each.
pub(super) fn engine_cases(real: bool) -> Result<Vec<EngineCase>, String> {
    let pairs = if real { REAL_PAIRS } else { SIM_PAIRS };
    let mut out = Vec::new();
    for (i, spec) in pairs.iter().enumerate() {
        let mut cp = crate::profile::load(spec.client)?;
        let mut sp = crate::profile::load(spec.server)?;
        if !spec.suites.is_empty() {
            let suites: Vec<CipherSuite> = spec.suites.iter().map(|v| CipherSuite(*v)).collect();
            cp.client_suites = suites.clone();
            sp.server_suites = suites;
        }
        (spec.tweak)(&mut cp, &mut sp);
        let (cp, sp) = (Arc::new(cp), Arc::new(sp));
        let seed = 0xF022 + u64::try_from(i).unwrap_or(0);
        let (client_real, server_real) = if real {
            (
                Some(Arc::new(RealCrypto::client())),
                Some(Arc::new(RealCrypto::test_server())),
            )
        } else {
            (None, None)
        };
        let mut cs = PeerState::new(&mut rng_for(seed, &[u64::MAX, 0]));
        let mut ss = PeerState::new(&mut rng_for(seed, &[u64::MAX, 1]));
        for conn in 0..2u64 {
            let now = 1_000 * conn;
            let name = format!("{}>{}/{}#{conn}", spec.client, spec.server, spec.label);
            let case = |side,
                        profile: &Arc<Profile>,
                        real: &Option<Arc<RealCrypto>>,
                        state: &PeerState| {
                EngineCase {
                    name: format!("{}:{name}", side_name(side)),
                    side,
                    profile: profile.clone(),
                    real: real.clone(),
                    rng_seed: seed,
                    conn,
                    state: state.clone(),
                    now,
                    received: Vec::new(),
                    stream: Stream::default(),
                    complete: false,
                }
            };
            let mut client = case(Side::Client, &cp, &client_real, &cs);
            let mut server = case(Side::Server, &sp, &server_real, &ss);
            let mut c = client.connection(&mut cs);
            let mut s = server.connection(&mut ss);
            let (to_client, to_server) = converse(&mut c, &mut s, &mut cs, &mut ss, now);
            for (case, got, conn) in [(&mut client, to_client, &c), (&mut server, to_server, &s)] {
                case.stream = Stream::parse(&got.concat());
                case.received = got;
                case.complete = conn.report().complete;
            }
            out.push(client);
            out.push(server);
        }
    }
    Ok(out)
}

fn side_name(s: Side) -> &'static str {
    match s {
        Side::Client => "client",
        Side::Server => "server",
    }
}

/// Files in `dir` whose names end with `suffix`, sorted by name.
pub(super) fn files_in(dir: &Path, suffix: &str) -> Result<Vec<PathBuf>, String> {
    let rd = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut v: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.to_string_lossy().ends_with(suffix))
        .collect();
    v.sort();
    Ok(v)
}

pub(super) fn read_text(p: &Path) -> Result<String, String> {
    std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))
}

/// Handshake messages of all the streams, to splice into others.
pub(super) fn donors<'a>(streams: impl IntoIterator<Item = &'a Stream>) -> Vec<Msg> {
    streams
        .into_iter()
        .flat_map(|s| s.messages().cloned())
        .collect()
}
