//! What `tlsim bench` measures: DHE (ffdhe2048) handshakes per second per core through the
//! whole study path, the cost split (modular exponentiation, PRF/MAC, engine, network), the
//! modular exponentiations alone, and a real OpenSSL handshake loop (client and server in
//! one process, memory buffers) in the same run; TLS 1.3 handshakes per second per core of
//! the `tls13` module (client and server in memory) for each group of [`TLS13_GROUPS`],
//! each beside the real OpenSSL loop with the same group; and the cost of protecting one
//! record with each TLS 1.2 record protection. It reports what it measured; it asserts
//! nothing.

use crate::cost::Costs;
use crate::crypto::{self, DhGroup, GroupId};
use crate::scenario::Scenario;
use crate::study::Study;
use crate::wire::NamedGroup;
use std::time::Instant;

/// The bench scenario: two OpenSSL 3.0 peers, full DHE handshakes only, in TLS 1.2 (the
/// catalogue's openssl-3.0 also speaks TLS 1.3, which would negotiate X25519).
pub const SCENARIO: &str = r#"description = "bench: full DHE handshakes on ffdhe2048 between two OpenSSL 3.0 peers"
seed = 1
[network]
latency_ms = [1, 1]
[[server]]
host = "web"
profile = "openssl-3.0"
set = { server_versions = ["tls1.2"], server_suites = ["TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"], dh_group = "ffdhe2048" }
[[client]]
host = "clients"
profile = "openssl-3.0"
set = { client_resumes = false, client_versions = ["tls1.2"], client_suites = ["TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"] }
peers = 10
connections = 100
interval_ms = 5
targets = ["web:443"]
"#;

/// The suite every bench handshake negotiates.
const SUITE: &str = "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256";

/// The TLS 1.3 groups `tlsim bench` measures, with their OpenSSL names: each row is one
/// value here. A group the `tls13` module cannot run yet prints "not yet: …" with its error.
pub const TLS13_GROUPS: [(NamedGroup, &str); 2] = [
    (NamedGroup::X25519, "X25519"),
    (NamedGroup::Ffdhe2048, "ffdhe2048"),
];

/// One TLS 1.3 row: seconds per handshake of tlsim's `tls13` module and of the real OpenSSL
/// loop with the same group (TLS_AES_128_GCM_SHA256, RSA-PSS, no tickets), or why not.
#[derive(Debug, Clone)]
pub struct Tls13Row {
    pub group: &'static str,
    pub tlsim: Result<f64, String>,
    pub openssl: Result<f64, String>,
}

/// Microseconds to seal and open one 16-byte record (a TLS 1.2 Finished) with each record
/// protection, and the name of each.
pub type RecordCosts = Vec<(&'static str, f64)>;

/// What to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct BenchOptions {
    /// Connections through the study path (rounded up to whole shards of the scenario).
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 4000))]
    pub connections: u64,
    /// Handshakes of the real OpenSSL loop.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 300))]
    pub openssl_handshakes: u32,
    /// Timed runs of the study path, each with and without the cost probes; medians are
    /// reported (at least 1).
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 3))]
    pub repeat: u32,
}

/// The bench, sized and ready to run.
#[derive(Debug, Clone)]
pub struct Bench {
    study: Study,
    opts: BenchOptions,
    exp_bits: usize,
}

/// What one bench run measured (seconds).
#[derive(Debug, Clone)]
pub struct BenchReport {
    pub handshakes: u64,
    pub exponent_bits: usize,
    pub repeat: u32,
    /// The study path without probes, per run, and their median.
    pub runs: Vec<f64>,
    pub seconds: f64,
    /// The runs with the cost probes on, sorted by their share outside modexp, and the
    /// median of them.
    pub probed_runs: Vec<(f64, Costs)>,
    pub probed: (f64, Costs),
    /// The same modular exponentiations outside a handshake.
    pub modexp_alone: f64,
    /// Seconds per handshake of the real OpenSSL loop, or why it was not measured.
    pub openssl: Result<f64, String>,
    /// TLS 1.3 handshakes, one row per group of [`TLS13_GROUPS`].
    pub tls13: Vec<Tls13Row>,
    /// The record protections alone.
    pub records: RecordCosts,
}

/// The median (upper median for an even count) of `xs`; 0 for none.
fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

impl Bench {
    pub fn new(opts: BenchOptions) -> Result<Bench, String> {
        let sc = Scenario::parse(SCENARIO, "bench", "bench", None).map_err(|e| e.to_string())?;
        let exp_bits = sc
            .fleet
            .servers
            .first()
            .ok_or("the bench scenario has a server")?
            .profile
            .dh_exponent_bits;
        let study = Study::sized(sc, SCENARIO, 1, opts.connections)
            .map_err(|e| format!("--connections {}: {e}", opts.connections))?;
        Ok(Bench {
            study,
            opts,
            exp_bits,
        })
    }

    /// Handshakes of one run of the study path.
    fn handshakes(&self) -> u64 {
        self.study
            .per_shard()
            .saturating_mul(u64::from(self.study.header.shards))
    }

    /// What is about to be measured, printed before it runs.
    pub fn intro(&self) -> String {
        format!(
            "tlsim bench: {} full DHE handshakes ({SUITE}, ffdhe2048, {}-bit exponents, OpenSSL \
             3.0 profiles), one thread\nCPU: {}\nmodexp backend: {}\n",
            self.handshakes(),
            self.exp_bits,
            cpu_line(),
            crypto::modexp_backend()
        )
    }

    pub fn run(&self) -> Result<BenchReport, String> {
        // 1. The whole study path on one thread, `repeat` times without probes for the
        //    rate and `repeat` times with the cost probes (crate::cost) on for the split;
        //    the medians are reported (a shared machine varies by ±10 % between runs).
        let all: Vec<u32> = (0..self.study.header.shards).collect();
        // Warm-up (not timed): builds the fixed-base tables and Montgomery contexts once
        // per process, as any study does on its first connection.
        self.study.run(&[0], 1, None, false, &|_| {})?;
        let repeat = self.opts.repeat.max(1);
        let mut runs = Vec::new();
        let mut done = 0;
        for _ in 0..repeat {
            let t = Instant::now();
            let res = self.study.run(&all, 1, None, false, &|_| {})?;
            runs.push(t.elapsed().as_secs_f64());
            done = res.iter().map(|r| r.connections).sum();
            let failed: u64 = res
                .iter()
                .flat_map(|r| r.cells.iter())
                .map(|(_, c)| c.failures)
                .sum();
            if failed > 0 {
                return Err(format!("{failed} bench handshakes failed"));
            }
            // Every handshake must be the one measured (a profile change once made them
            // TLS 1.3 X25519 handshakes, and the bench printed those as DHE).
            if let Some((k, _)) = res
                .iter()
                .flat_map(|r| r.cells.iter())
                .find(|(k, _)| k.2 != SUITE)
            {
                return Err(format!("bench handshakes negotiated {}, not {SUITE}", k.2));
            }
        }
        let mut probed_runs: Vec<(f64, Costs)> = Vec::new();
        for _ in 0..repeat {
            crate::cost::start();
            let t = Instant::now();
            self.study.run(&all, 1, None, false, &|_| {})?;
            let elapsed = t.elapsed().as_secs_f64();
            probed_runs.push((elapsed, crate::cost::stop()));
        }
        probed_runs.sort_by(|x, y| outside_modexp(x).total_cmp(&outside_modexp(y)));
        let probed = probed_runs
            .get(probed_runs.len() / 2)
            .copied()
            .unwrap_or_default();

        // 2. The modular exponentiations alone (2 key generations + 2 shared secrets per
        //    handshake, same exponent length): the floor.
        let g = DhGroup::named(GroupId::Ffdhe2048);
        let mut rng = crate::seed::rng_for(99, &[]);
        let t = Instant::now();
        for _ in 0..self.handshakes() {
            let c = g.generate(&mut rng, self.exp_bits);
            let s = g.generate(&mut rng, self.exp_bits);
            let z1 = g
                .shared_secret(&c.private, &s.public)
                .map_err(|e| e.to_string())?;
            let z2 = g
                .shared_secret(&s.private, &c.public)
                .map_err(|e| e.to_string())?;
            assert_eq!(z1, z2, "both sides agree");
        }
        let modexp_alone = t.elapsed().as_secs_f64();

        // 3. A real OpenSSL DHE-RSA handshake loop in this process.
        let n = self.opts.openssl_handshakes;
        let openssl = openssl_loop(n, Loop::Tls12Dhe(g));

        // 4. TLS 1.3: the tls13 module and OpenSSL, `openssl_handshakes` each, per group.
        let tls13 = TLS13_GROUPS
            .iter()
            .map(|&(group, name)| Tls13Row {
                group: name,
                tlsim: tls13_loop(n, group),
                openssl: openssl_loop(n, Loop::Tls13(name)),
            })
            .collect();
        Ok(BenchReport {
            tls13,
            records: record_costs(),
            handshakes: done,
            exponent_bits: self.exp_bits,
            repeat,
            seconds: median(&runs),
            runs,
            probed_runs,
            probed,
            modexp_alone,
            openssl,
        })
    }
}

/// Seconds per handshake of `count` TLS 1.3 handshakes of the `tls13` module (a fresh
/// client and server in memory each time, TLS_AES_128_GCM_SHA256, `group` for the key
/// share, the bundled RSA test certificate, no ticket); the first failure's error
/// ("not yet" for a group the module lacks).
pub fn tls13_loop(count: u32, group: NamedGroup) -> Result<f64, String> {
    use crate::crypto::tls13::Tls13Suite;
    use crate::tls13::{handshake_in_memory, Client13, Config13, Server13};
    let cfg = Config13 {
        suites: vec![Tls13Suite::Aes128GcmSha256],
        groups: vec![group],
        key_share_groups: vec![group],
        send_ticket: false,
        ..Config13::default()
    };
    let rc = crate::engine::RealCrypto::test_server();
    let key = rc.key.ok_or("the bundled test key")?;
    let start = Instant::now();
    for i in 0..count {
        let mut c = Client13::new(cfg.clone(), crate::seed::rng_for(7, &[u64::from(i), 1]));
        let mut s = Server13::new(
            cfg.clone(),
            rc.cert_chain.clone(),
            key.clone(),
            crate::seed::rng_for(7, &[u64::from(i), 2]),
        );
        handshake_in_memory(&mut c, &mut s).map_err(|e| {
            if i == 0 {
                format!("not yet: the tls13 module does not run {group:?} ({e})")
            } else {
                e.to_string()
            }
        })?;
        if c.negotiated().map(|n| n.group) != Some(group) {
            return Err(format!("negotiated {:?}", c.negotiated()));
        }
    }
    Ok(start.elapsed().as_secs_f64() / f64::from(count.max(1)))
}

/// Microseconds to seal and open one 16-byte handshake record with each TLS 1.2 record
/// protection (`crypto::record`), over 20 000 records each.
pub fn record_costs() -> RecordCosts {
    use crate::crypto::{MacHash, RecordProtector};
    const N: u32 = 20_000;
    let (k16, k32, mac) = ([0x11u8; 16], [0x22u8; 32], [0x33u8; 32]);
    let kinds: [(&'static str, RecordProtector); 5] = [
        (
            "HMAC-SHA256 only (3DES/RC4 fallback)",
            RecordProtector::mac_only(MacHash::Sha256, mac.to_vec()),
        ),
        (
            "AES-128-GCM (RFC 5288)",
            RecordProtector::aes_gcm(&k16, &[1, 2, 3, 4]).expect("valid key"),
        ),
        (
            "ChaCha20-Poly1305 (RFC 7905)",
            RecordProtector::chacha20_poly1305(&k32, &[5; 12]).expect("valid key"),
        ),
        (
            "AES-128-CBC + HMAC-SHA256, explicit IV",
            RecordProtector::aes_cbc(MacHash::Sha256, &mac, &k16, None).expect("valid key"),
        ),
        (
            "AES-128-CBC + HMAC-SHA1, TLS 1.0 implicit IV",
            RecordProtector::aes_cbc(MacHash::Sha1, &mac[..20], &k16, Some(&[9; 16]))
                .expect("valid key"),
        ),
    ];
    kinds
        .into_iter()
        .map(|(name, p)| {
            let (mut tx, mut rx) = (p.clone(), p);
            let fin = [0x14u8; 16];
            let t = Instant::now();
            for _ in 0..N {
                let rec = tx.seal(22, 0x0303, &fin);
                let ok = rx.open(22, 0x0303, &rec).is_ok();
                debug_assert!(ok);
            }
            (name, 1e6 * t.elapsed().as_secs_f64() / f64::from(N))
        })
        .collect()
}

/// The CPU's model name (the first `model name` of /proc/cpuinfo, where there is one) and
/// whether the AVX-512 IFMA path is in use: the figures of `tlsim bench` depend on both
/// (without IFMA the named groups' exponentiations take the libcrypto or num-bigint path).
pub fn cpu_line() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| format!("unknown ({})", std::env::consts::ARCH));
    #[cfg(target_arch = "x86_64")]
    let ifma = crypto::ifma::available();
    #[cfg(not(target_arch = "x86_64"))]
    let ifma = false;
    let path = if ifma {
        "AVX-512 IFMA: yes, used"
    } else {
        "AVX-512 IFMA: no (expect about half the handshake rate of an IFMA CPU)"
    };
    format!("{model}; {path}")
}

/// The share (%) of a probed run spent outside modular exponentiation.
fn outside_modexp(r: &(f64, Costs)) -> f64 {
    100.0 * (1.0 - r.1.modexp.as_secs_f64() / r.0)
}

impl BenchReport {
    fn per_hs(&self, t: f64) -> f64 {
        1e6 * t / self.handshakes as f64
    }

    fn rate(&self) -> f64 {
        self.handshakes as f64 / self.seconds
    }

    /// The split of the median probed run: (modexp, PRF/MAC, engine, network and study).
    fn split(&self) -> [f64; 4] {
        let (t, c) = self.probed;
        let m = c.modexp.as_secs_f64();
        let p = c.prf.as_secs_f64();
        let e = c.engine_own().as_secs_f64();
        [m, p, e, (t - m - p - e).max(0.0)]
    }

    /// The measurements after [`Bench::intro`], as text.
    pub fn text(&self) -> String {
        let (done, t_study, repeat, t_probed) =
            (self.handshakes, self.seconds, self.repeat, self.probed.0);
        let runs: Vec<String> = self
            .runs
            .iter()
            .map(|t| format!("{:.0}/s", done as f64 / t))
            .collect();
        let mut s = format!(
            "\nstudy path: {done} handshakes in {t_study:.2} s = {:.0} handshakes/s/core ({:.0} \
             µs each; median of {repeat} runs: {})\ncost split inside the study path (runs \
             with probes on; the median of {repeat} by share outside modexp: {:.0} µs per \
             handshake):\n",
            self.rate(),
            self.per_hs(t_study),
            runs.join(", "),
            self.per_hs(t_probed)
        );
        let names = [
            "modular exponentiation (4 per handshake)",
            "PRF, transcript hashes, record MAC/AEAD",
            "engine (state machine, codec, rest)",
            "network simulation and study (turmoil)",
        ];
        for (name, v) in names.into_iter().zip(self.split()) {
            s.push_str(&format!(
                "  {name:<42} {:>6.0} µs  {:>5.1} %\n",
                self.per_hs(v),
                100.0 * v / t_probed
            ));
        }
        let shares: Vec<String> = self
            .probed_runs
            .iter()
            .map(|r| format!("{:.1} %", outside_modexp(r)))
            .collect();
        s.push_str(&format!(
            "  share outside modular exponentiation: {:.1} % (runs: {})\nmodexp alone, same \
             work outside a handshake: {:.0} µs per handshake\n",
            outside_modexp(&self.probed),
            shares.join(", "),
            self.per_hs(self.modexp_alone)
        ));
        match &self.openssl {
            Ok(per) => s.push_str(&format!(
                "\nreal OpenSSL 3 loop (client + server in one process, memory buffers, same \
                 suite and group): {:.0} µs per handshake = {:.0} handshakes/s/core\nratio \
                 tlsim study path / real OpenSSL: {:.1}×\n",
                per * 1e6,
                1.0 / per,
                self.rate() * per
            )),
            Err(e) => s.push_str(&format!("\nreal OpenSSL loop: not measured ({e})\n")),
        }
        s.push_str(&format!(
            "\nTLS 1.3 full handshakes (TLS_AES_128_GCM_SHA256, RSA-PSS, no tickets), tlsim \
             tls13 module in memory vs the real OpenSSL 3 loop; the TLS 1.2 row is the study path \
             above:\n  {:<36} {:>14} {:>14}\n  {:<36} {:>14} {:>14}\n",
            "",
            "tlsim",
            "OpenSSL 3",
            "TLS 1.2 DHE ffdhe2048 (study path)",
            format!("{:.0}/s/core", self.rate()),
            rate_text(&self.openssl)
        ));
        for r in &self.tls13 {
            let short = |x: &Result<f64, String>| match x {
                Ok(_) => rate_text(x),
                Err(e) if e.starts_with("not yet") => "not yet".to_string(),
                Err(_) => "not measured".to_string(),
            };
            s.push_str(&format!(
                "  {:<36} {:>14} {:>14}\n",
                format!("TLS 1.3 {}", r.group),
                short(&r.tlsim),
                short(&r.openssl)
            ));
            for (who, x) in [("tlsim", &r.tlsim), ("OpenSSL", &r.openssl)] {
                if let Err(e) = x {
                    s.push_str(&format!("    {who}: {e}\n"));
                }
            }
        }
        s.push_str("record protection of one 16-byte handshake record, seal + open:\n");
        for (name, us) in &self.records {
            s.push_str(&format!("  {name:<46} {us:>6.2} µs\n"));
        }
        s
    }

    /// The measurements as one JSON object.
    pub fn json(&self) -> serde_json::Value {
        let [m, p, e, net] = self.split();
        let mut report = serde_json::json!({
            "handshakes": self.handshakes,
            "suite": SUITE,
            "group": "ffdhe2048",
            "exponent_bits": self.exponent_bits,
            "modexp_backend": crypto::modexp_backend(),
            "seconds": self.seconds,
            "runs_seconds": self.runs,
            "runs_share_outside_modexp_percent": self
                .probed_runs
                .iter()
                .map(outside_modexp)
                .collect::<Vec<_>>(),
            "handshakes_per_sec_per_core": self.rate(),
            "us_per_handshake": self.per_hs(self.seconds),
            "split_us_per_handshake": {
                "modexp": self.per_hs(m),
                "prf_mac": self.per_hs(p),
                "engine": self.per_hs(e),
                "network_and_study": self.per_hs(net),
                "total_with_probes": self.per_hs(self.probed.0),
            },
            "share_outside_modexp_percent": outside_modexp(&self.probed),
            "modexp_alone_us_per_handshake": self.per_hs(self.modexp_alone),
        });
        match &self.openssl {
            Ok(per) => {
                report["openssl_us_per_handshake"] = (per * 1e6).into();
                report["ratio_to_openssl"] = (self.rate() * per).into();
            }
            Err(e) => report["openssl_error"] = e.clone().into(),
        }
        let per_sec = |r: &Result<f64, String>| match r {
            Ok(t) => serde_json::json!({ "handshakes_per_sec_per_core": 1.0 / t }),
            Err(e) => serde_json::json!({ "error": e }),
        };
        report["tls13"] = self
            .tls13
            .iter()
            .map(|r| {
                serde_json::json!({
                    "group": r.group,
                    "tlsim": per_sec(&r.tlsim),
                    "openssl": per_sec(&r.openssl),
                })
            })
            .collect::<Vec<_>>()
            .into();
        report["record_us_seal_open"] = self
            .records
            .iter()
            .map(|(n, us)| serde_json::json!({ "protection": n, "us": us }))
            .collect::<Vec<_>>()
            .into();
        report
    }
}

/// "N/s/core" for a measured seconds-per-handshake, "not yet: …" or the error otherwise.
fn rate_text(r: &Result<f64, String>) -> String {
    match r {
        Ok(t) => format!("{:.0}/s/core", 1.0 / t),
        Err(e) if e.contains("not yet") => e.clone(),
        Err(e) => format!("not measured: {e}"),
    }
}

/// Which real OpenSSL handshake loop to run.
#[derive(Debug, Clone, Copy)]
enum Loop<'a> {
    /// TLS 1.2 DHE-RSA-AES128-GCM-SHA256 with this group.
    Tls12Dhe(&'a DhGroup),
    /// TLS 1.3 TLS_AES_128_GCM_SHA256 with this OpenSSL group name.
    Tls13(&'static str),
}

#[cfg(not(feature = "openssl-bn"))]
fn openssl_loop(_count: u32, _which: Loop<'_>) -> Result<f64, String> {
    Err("tlsim was built without OpenSSL (feature openssl-bn)".into())
}

/// Seconds per handshake of `count` real OpenSSL handshakes between a client and a server
/// in this process, no session cache or tickets: TLS 1.2 DHE-RSA with a DH group, or TLS
/// 1.3 with a named group.
#[cfg(feature = "openssl-bn")]
fn openssl_loop(count: u32, which: Loop<'_>) -> Result<f64, String> {
    use openssl::ssl::{HandshakeError, Ssl, SslContext, SslMethod, SslVerifyMode, SslVersion};
    let e = |x: openssl::error::ErrorStack| x.to_string();
    let cert = openssl::x509::X509::from_pem(crate::engine::TEST_CERT_PEM.as_bytes()).map_err(e)?;
    let key = openssl::pkey::PKey::private_key_from_pem(crate::engine::TEST_KEY_PEM.as_bytes())
        .map_err(e)?;
    let mut sb = SslContext::builder(SslMethod::tls()).map_err(e)?;
    sb.set_certificate(&cert).map_err(e)?;
    sb.set_private_key(&key).map_err(e)?;
    sb.set_session_cache_mode(openssl::ssl::SslSessionCacheMode::OFF);
    let mut cb = SslContext::builder(SslMethod::tls()).map_err(e)?;
    cb.set_verify(SslVerifyMode::NONE);
    match which {
        Loop::Tls12Dhe(group) => {
            let p = openssl::bn::BigNum::from_slice(&group.p.to_bytes_be()).map_err(e)?;
            let g = openssl::bn::BigNum::from_u32(2).map_err(e)?;
            let dh = openssl::dh::Dh::from_pqg(p, None, g).map_err(e)?;
            sb.set_tmp_dh(&dh).map_err(e)?;
            for b in [&mut sb, &mut cb] {
                b.set_cipher_list("DHE-RSA-AES128-GCM-SHA256").map_err(e)?;
                b.set_max_proto_version(Some(SslVersion::TLS1_2))
                    .map_err(e)?;
            }
        }
        Loop::Tls13(group) => {
            sb.set_num_tickets(0).map_err(e)?;
            for b in [&mut sb, &mut cb] {
                b.set_ciphersuites("TLS_AES_128_GCM_SHA256").map_err(e)?;
                b.set_groups_list(group).map_err(e)?;
                b.set_min_proto_version(Some(SslVersion::TLS1_3))
                    .map_err(e)?;
            }
        }
    }
    let sctx = sb.build();
    let cctx = cb.build();
    let start = Instant::now();
    for _ in 0..count {
        let (cpipe, spipe) = pipe::pair();
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
    Ok(start.elapsed().as_secs_f64() / f64::from(count))
}

/// An in-memory duplex for the OpenSSL loop: what one side writes, the other reads.
#[cfg(feature = "openssl-bn")]
mod pipe {
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::io::{Read, Write};
    use std::rc::Rc;

    #[derive(Clone, Debug)]
    pub(super) struct Pipe {
        rx: Rc<RefCell<VecDeque<u8>>>,
        tx: Rc<RefCell<VecDeque<u8>>>,
    }

    /// The client's and the server's ends.
    pub(super) fn pair() -> (Pipe, Pipe) {
        let (a, b) = (
            Rc::new(RefCell::new(VecDeque::new())),
            Rc::new(RefCell::new(VecDeque::new())),
        );
        (
            Pipe {
                rx: a.clone(),
                tx: b.clone(),
            },
            Pipe { rx: b, tx: a },
        )
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
}
