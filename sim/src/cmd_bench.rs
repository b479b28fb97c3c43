//! `tlsim bench`: DHE (ffdhe2048) handshakes per second per core through the whole study
//! path, the cost split (modular exponentiation, PRF/MAC, engine, network), and a real
//! OpenSSL handshake loop (client and server in one process, memory buffers) measured in
//! the same run. It reports what it measured; it asserts nothing.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{Read, Write};
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Instant;
use tlsim::crypto::{self, DhGroup, GroupId};
use tlsim::scenario::Scenario;
use tlsim::study::Study;

#[derive(clap::Args)]
pub struct BenchArgs {
    /// Connections through the study path (one thread).
    #[arg(long, default_value_t = 4000)]
    pub connections: u64,
    /// Handshakes of the real OpenSSL loop.
    #[arg(long, default_value_t = 300)]
    pub openssl_handshakes: u32,
    /// Timed runs of the study path (each with and without the cost probes); medians are
    /// reported.
    #[arg(long, default_value_t = 3)]
    pub repeat: u32,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

const SCENARIO: &str = r#"description = "bench: full DHE handshakes on ffdhe2048 between two OpenSSL 3.0 peers"
seed = 1
[network]
latency_ms = [1, 1]
[[server]]
host = "web"
profile = "openssl-3.0"
set = { server_suites = ["TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"], dh_group = "ffdhe2048" }
[[client]]
host = "clients"
profile = "openssl-3.0"
set = { client_resumes = false, client_suites = ["TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"] }
peers = 10
connections = 100
interval_ms = 5
targets = ["web:443"]
"#;

/// The median (upper median for an even count) of `xs`.
fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn secs(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

pub fn run(a: BenchArgs) -> Result<ExitCode, String> {
    let sc = Scenario::parse(SCENARIO, "bench", "bench", None).map_err(|e| e.to_string())?;
    let per = Study::new(sc.clone(), SCENARIO, 1, 1).per_shard();
    let shards = u32::try_from(a.connections.div_ceil(per).max(1)).map_err(|_| {
        format!(
            "--connections {}: more than 2^32 shards of {per}",
            a.connections
        )
    })?;
    let study = Study::new(sc.clone(), SCENARIO, 1, shards);
    let n = per * shards as u64;
    let exp_bits = sc.fleet.servers[0].profile.dh_exponent_bits;
    if !a.json {
        println!("tlsim bench: {n} full DHE handshakes (TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, ffdhe2048, {exp_bits}-bit exponents, OpenSSL 3.0 profiles), one thread");
        println!("modexp backend: {}", crypto::modexp_backend());
    }

    // 1. The whole study path on one thread, `--repeat` times without probes for the rate
    //    and `--repeat` times with the cost probes (tlsim::cost) on for the split; the
    //    medians are reported (this machine is shared, single runs vary by ±10 %).
    let all: Vec<u32> = (0..shards).collect();
    // Warm-up (not timed): builds the fixed-base tables and Montgomery contexts once per
    // process, as any study does on its first connection.
    study.run(&[0], 1, None, false, &|_| {})?;
    let repeat = a.repeat.max(1);
    let mut plain_runs = Vec::new();
    let mut done = 0;
    for _ in 0..repeat {
        let t = Instant::now();
        let res = study.run(&all, 1, None, false, &|_| {})?;
        plain_runs.push(secs(t));
        done = res.iter().map(|r| r.connections).sum();
        let failed: u64 = res
            .iter()
            .flat_map(|r| r.cells.iter())
            .map(|(_, c)| c.failures)
            .sum();
        if failed > 0 {
            return Err(format!("{failed} bench handshakes failed"));
        }
    }
    let mut probed_runs: Vec<(f64, tlsim::cost::Costs)> = Vec::new();
    for _ in 0..repeat {
        tlsim::cost::start();
        let t = Instant::now();
        study.run(&all, 1, None, false, &|_| {})?;
        let elapsed = secs(t);
        probed_runs.push((elapsed, tlsim::cost::stop()));
    }
    let t_study = median(&plain_runs);
    // The probed run with the median share outside modexp.
    probed_runs.sort_by(|x, y| {
        let share = |r: &(f64, tlsim::cost::Costs)| 1.0 - r.1.modexp.as_secs_f64() / r.0;
        share(x).total_cmp(&share(y))
    });
    let (t_probed, costs) = probed_runs[probed_runs.len() / 2];
    let shares: Vec<String> = probed_runs
        .iter()
        .map(|(t, c)| format!("{:.1} %", 100.0 * (1.0 - c.modexp.as_secs_f64() / t)))
        .collect();

    // 2. The modular exponentiations alone (2 key generations + 2 shared secrets per
    //    handshake, same exponent length): the floor.
    let g = DhGroup::named(GroupId::Ffdhe2048);
    let mut rng = tlsim::seed::rng_for(99, &[]);
    let t = Instant::now();
    for _ in 0..n {
        let c = g.generate(&mut rng, exp_bits);
        let s = g.generate(&mut rng, exp_bits);
        let z1 = g
            .shared_secret(&c.private, &s.public)
            .map_err(|e| e.to_string())?;
        let z2 = g
            .shared_secret(&s.private, &c.public)
            .map_err(|e| e.to_string())?;
        assert_eq!(z1, z2, "both sides agree");
    }
    let t_floor = secs(t);

    let rate = done as f64 / t_study;
    let per_hs = |t: f64| 1e6 * t / done as f64;
    let m = costs.modexp.as_secs_f64();
    let p = costs.prf.as_secs_f64();
    let e = costs.engine_own().as_secs_f64();
    let net = (t_probed - m - p - e).max(0.0);
    let outside = 100.0 * (1.0 - m / t_probed);
    let mut report = serde_json::json!({
        "handshakes": done,
        "suite": "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        "group": "ffdhe2048",
        "exponent_bits": exp_bits,
        "modexp_backend": crypto::modexp_backend(),
        "seconds": t_study,
        "runs_seconds": plain_runs,
        "runs_share_outside_modexp_percent": probed_runs
            .iter()
            .map(|(t, c)| 100.0 * (1.0 - c.modexp.as_secs_f64() / t))
            .collect::<Vec<_>>(),
        "handshakes_per_sec_per_core": rate,
        "us_per_handshake": per_hs(t_study),
        "split_us_per_handshake": {
            "modexp": per_hs(m),
            "prf_mac": per_hs(p),
            "engine": per_hs(e),
            "network_and_study": per_hs(net),
            "total_with_probes": per_hs(t_probed),
        },
        "share_outside_modexp_percent": outside,
        "modexp_alone_us_per_handshake": per_hs(t_floor),
    });
    if !a.json {
        println!("\nstudy path: {done} handshakes in {t_study:.2} s = {rate:.0} handshakes/s/core ({:.0} µs each; median of {repeat} runs: {})", per_hs(t_study), plain_runs.iter().map(|t| format!("{:.0}/s", done as f64 / t)).collect::<Vec<_>>().join(", "));
        println!(
            "cost split inside the study path (runs with probes on; the median of {repeat} by share outside modexp: {:.0} µs per handshake):",
            per_hs(t_probed)
        );
        for (name, v) in [
            ("modular exponentiation (4 per handshake)", m),
            ("PRF, transcript hashes, record MAC/AEAD", p),
            ("engine (state machine, codec, rest)", e),
            ("network simulation and study (turmoil)", net),
        ] {
            println!(
                "  {name:<42} {:>6.0} µs  {:>5.1} %",
                per_hs(v),
                100.0 * v / t_probed
            );
        }
        println!(
            "  share outside modular exponentiation: {outside:.1} % (runs: {})",
            shares.join(", ")
        );
        println!(
            "modexp alone, same work outside a handshake: {:.0} µs per handshake",
            per_hs(t_floor)
        );
    }

    // 3. A real OpenSSL DHE-RSA handshake loop in this process.
    match openssl_loop(a.openssl_handshakes, g) {
        Ok(per) => {
            report["openssl_us_per_handshake"] = (per * 1e6).into();
            report["ratio_to_openssl"] = (rate * per).into();
            if !a.json {
                println!(
                    "\nreal OpenSSL 3 loop (client + server in one process, memory buffers, same suite and group): {:.0} µs per handshake = {:.0} handshakes/s/core",
                    per * 1e6,
                    1.0 / per
                );
                println!("ratio tlsim study path / real OpenSSL: {:.1}×", rate * per);
            }
        }
        Err(e) => {
            report["openssl_error"] = e.clone().into();
            if !a.json {
                println!("\nreal OpenSSL loop: not measured ({e})");
            }
        }
    }
    if a.json {
        println!("{report:#}");
    }
    Ok(ExitCode::SUCCESS)
}

/// An in-memory duplex: what one side writes, the other reads.
#[derive(Clone, Debug)]
struct Pipe {
    rx: Rc<RefCell<VecDeque<u8>>>,
    tx: Rc<RefCell<VecDeque<u8>>>,
}

impl Read for Pipe {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut rx = self.rx.borrow_mut();
        if rx.is_empty() {
            return Err(std::io::ErrorKind::WouldBlock.into());
        }
        let n = buf.len().min(rx.len());
        for (i, b) in rx.drain(..n).enumerate() {
            buf[i] = b;
        }
        Ok(n)
    }
}

impl Write for Pipe {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.tx.borrow_mut().extend(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn openssl_loop(count: u32, group: &DhGroup) -> Result<f64, String> {
    use openssl::ssl::{HandshakeError, Ssl, SslContext, SslMethod, SslVerifyMode, SslVersion};
    let e = |x: openssl::error::ErrorStack| x.to_string();
    let cert = openssl::x509::X509::from_pem(tlsim::engine::TEST_CERT_PEM.as_bytes()).map_err(e)?;
    let key = openssl::pkey::PKey::private_key_from_pem(tlsim::engine::TEST_KEY_PEM.as_bytes())
        .map_err(e)?;
    let p = openssl::bn::BigNum::from_slice(&group.p.to_bytes_be()).map_err(e)?;
    let g = openssl::bn::BigNum::from_u32(2).map_err(e)?;
    let dh = openssl::dh::Dh::from_pqg(p, None, g).map_err(e)?;
    let mut sb = SslContext::builder(SslMethod::tls()).map_err(e)?;
    sb.set_certificate(&cert).map_err(e)?;
    sb.set_private_key(&key).map_err(e)?;
    sb.set_tmp_dh(&dh).map_err(e)?;
    sb.set_cipher_list("DHE-RSA-AES128-GCM-SHA256").map_err(e)?;
    sb.set_max_proto_version(Some(SslVersion::TLS1_2))
        .map_err(e)?;
    sb.set_session_cache_mode(openssl::ssl::SslSessionCacheMode::OFF);
    let sctx = sb.build();
    let mut cb = SslContext::builder(SslMethod::tls()).map_err(e)?;
    cb.set_verify(SslVerifyMode::NONE);
    cb.set_cipher_list("DHE-RSA-AES128-GCM-SHA256").map_err(e)?;
    cb.set_max_proto_version(Some(SslVersion::TLS1_2))
        .map_err(e)?;
    let cctx = cb.build();
    let start = Instant::now();
    for _ in 0..count {
        let (a, b) = (
            Rc::new(RefCell::new(VecDeque::new())),
            Rc::new(RefCell::new(VecDeque::new())),
        );
        let cpipe = Pipe {
            rx: a.clone(),
            tx: b.clone(),
        };
        let spipe = Pipe { rx: b, tx: a };
        let mut client = Some(Ssl::new(&cctx).map_err(e)?.connect(cpipe));
        let mut server = Some(Ssl::new(&sctx).map_err(e)?.accept(spipe));
        let (mut cdone, mut sdone) = (false, false);
        for _ in 0..50 {
            if let Some(r) = client.take() {
                client = match r {
                    Ok(s) => {
                        cdone = true;
                        Some(Ok(s))
                    }
                    Err(HandshakeError::WouldBlock(m)) => Some(m.handshake()),
                    Err(err) => return Err(format!("OpenSSL client: {err}")),
                };
            }
            if let Some(r) = server.take() {
                server = match r {
                    Ok(s) => {
                        sdone = true;
                        Some(Ok(s))
                    }
                    Err(HandshakeError::WouldBlock(m)) => Some(m.handshake()),
                    Err(err) => return Err(format!("OpenSSL server: {err}")),
                };
            }
            if cdone && sdone {
                break;
            }
        }
        if !(cdone && sdone) {
            return Err("OpenSSL handshake did not complete".into());
        }
    }
    Ok(start.elapsed().as_secs_f64() / count as f64)
}
