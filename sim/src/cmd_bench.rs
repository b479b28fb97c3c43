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
use tlsim::crypto::{self, DhGroup, GroupId, MacHash, PrfAlgorithm, RecordProtector};
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
}

const SCENARIO: &str = r#"description = "bench: full DHE handshakes on ffdhe2048 between two RFC-compliant peers"
seed = 1
[network]
latency_ms = [1, 1]
[[server]]
host = "web"
profile = "strip-zeros"
set = { server_suites = ["TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"] }
[[client]]
host = "clients"
profile = "strip-zeros"
set = { client_resumes = false, client_suites = ["TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"] }
peers = 10
connections = 100
interval_ms = 5
targets = ["web:443"]
"#;

fn secs(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

pub fn run(a: BenchArgs) -> Result<ExitCode, String> {
    let sc = Scenario::parse(SCENARIO, "bench", "bench", None).map_err(|e| e.to_string())?;
    let per = Study::new(sc.clone(), SCENARIO, 1, 1).per_shard();
    let shards = a.connections.div_ceil(per).max(1) as u32;
    let study = Study::new(sc.clone(), SCENARIO, 1, shards);
    let n = per * shards as u64;
    let exp_bits = sc.fleet.servers[0].profile.dh_exponent_bits;
    println!("tlsim bench: {n} full DHE handshakes (TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, ffdhe2048, {exp_bits}-bit exponents), one thread");
    println!("modexp backend: {}", crypto::modexp_backend());

    // 1. The whole study path on one thread.
    let all: Vec<u32> = (0..shards).collect();
    let t = Instant::now();
    let res = study.run(&all, 1, None, false, &|_| {})?;
    let t_study = secs(t);
    let done: u64 = res.iter().map(|r| r.connections).sum();

    // 2. The modular exponentiations alone: 2 key generations + 2 shared secrets each.
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
    let t_modexp = secs(t);

    // 3. PRF and MAC work of a handshake: EMS, key block, 2 Finished (each side computes
    //    both), 4 transcript hashes and 4 record MACs.
    let pms = vec![7u8; 256];
    let transcript = vec![5u8; 3500];
    let t = Instant::now();
    for i in 0..n {
        for _side in 0..2 {
            let h = crypto::handshake_hash(PrfAlgorithm::Sha256, &transcript);
            let ms = crypto::extended_master_secret(PrfAlgorithm::Sha256, &pms, &h);
            let kb = crypto::key_block(PrfAlgorithm::Sha256, &ms, &[1; 32], &[2; 32], 40);
            for from_client in [true, false] {
                let h = crypto::handshake_hash(PrfAlgorithm::Sha256, &transcript);
                std::hint::black_box(crypto::verify_data(
                    PrfAlgorithm::Sha256,
                    &ms,
                    from_client,
                    &h,
                ));
            }
            let mut w = RecordProtector::mac_only(MacHash::Sha256, kb[..20].to_vec());
            let mut r = RecordProtector::mac_only(MacHash::Sha256, kb[..20].to_vec());
            let sealed = w.seal(22, 0x0303, &i.to_be_bytes());
            r.open(22, 0x0303, &sealed).map_err(|e| e.to_string())?;
        }
    }
    let t_prf = secs(t);

    // 4. The engine in memory, no network.
    let client = (*sc.fleet.clients[0].profile).clone();
    let server = (*sc.fleet.servers[0].profile).clone();
    let mut pair = tlsim::engine::Pair::new(client, server, 5);
    let t = Instant::now();
    for _ in 0..n {
        let r = pair.connect();
        if !r.outcome.ok() {
            return Err(format!("bench handshake failed: {:?}", r.outcome.mechanism));
        }
    }
    let t_mem = secs(t);

    let rate = done as f64 / t_study;
    println!("\nstudy path: {done} handshakes in {t_study:.2} s = {rate:.0} handshakes/s/core ({:.0} µs each)", 1e6 * t_study / done as f64);
    let per_hs = |t: f64| 1e6 * t / n as f64;
    let (m, p, e, net) = (
        t_modexp,
        t_prf,
        (t_mem - t_modexp - t_prf).max(0.0),
        (t_study - t_mem).max(0.0),
    );
    println!("cost split per handshake (measured separately):");
    println!(
        "  modular exponentiation (4 per handshake) {:>7.0} µs  {:>5.1} %",
        per_hs(m),
        100.0 * m / t_study
    );
    println!(
        "  PRF, hashes and record MAC              {:>7.0} µs  {:>5.1} %",
        per_hs(p),
        100.0 * p / t_study
    );
    println!(
        "  engine (state machine, codec, rest)     {:>7.0} µs  {:>5.1} %",
        per_hs(e),
        100.0 * e / t_study
    );
    println!(
        "  network simulation (turmoil)            {:>7.0} µs  {:>5.1} %",
        per_hs(net),
        100.0 * net / t_study
    );
    println!(
        "  share outside modular exponentiation: {:.1} %",
        100.0 * (1.0 - m / t_study)
    );

    // 5. A real OpenSSL DHE-RSA handshake loop in this process.
    match openssl_loop(a.openssl_handshakes, g) {
        Ok(per) => {
            println!(
                "\nreal OpenSSL 3 loop (client + server in one process, memory buffers, same suite and group): {:.0} µs per handshake = {:.0} handshakes/s/core",
                per * 1e6,
                1.0 / per
            );
            println!("ratio tlsim study path / real OpenSSL: {:.1}×", rate * per);
        }
        Err(e) => println!("\nreal OpenSSL loop: not measured ({e})"),
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
    let cert =
        openssl::x509::X509::from_pem(tlsim::engine::real::TEST_CERT_PEM.as_bytes()).map_err(e)?;
    let key =
        openssl::pkey::PKey::private_key_from_pem(tlsim::engine::real::TEST_KEY_PEM.as_bytes())
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
