//! DH modular-exponentiation benchmark: `cargo bench --bench modexp`.
//!
//! Plain `std::time::Instant`, no harness: each line is the median (and the 10th/90th
//! percentiles) of per-operation times over `ITERS` timed runs after a warm-up, on
//! ffdhe2048 with 256-bit private exponents (tlsim's default `dh_exponent_bits`). Inputs
//! cycle through `INPUTS` seeded exponents and peer values. Timings on a shared machine are
//! noisy: the load average is printed before and after.
//!
//! `MODEXP_BENCH_ITERS=N` overrides the iteration count.

use std::hint::black_box;
use std::time::{Duration, Instant};

use num_bigint::BigUint;
use tlsim::crypto::{DhGroup, GroupId};
use tlsim::seed::rng_for;

const INPUTS: usize = 16;

fn iters() -> usize {
    std::env::var("MODEXP_BENCH_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300)
        .max(1)
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "n/a".into())
}

/// Times `op(i)` `n` times (after `n / 10 + 1` warm-up runs); returns the sorted durations.
fn measure(n: usize, mut op: impl FnMut(usize)) -> Vec<Duration> {
    for i in 0..n / 10 + 1 {
        op(i);
    }
    let mut times: Vec<Duration> = (0..n)
        .map(|i| {
            let t = Instant::now();
            op(i);
            t.elapsed()
        })
        .collect();
    times.sort();
    times
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Prints one line and returns the median in microseconds.
fn report(name: &str, times: &[Duration]) -> f64 {
    let n = times.len();
    let med = us(times[n / 2]);
    println!(
        "{name:<52} median {med:>9.1} us   p10 {:>9.1}   p90 {:>9.1}   (n={n})",
        us(times[n / 10]),
        us(times[n * 9 / 10]),
    );
    med
}

fn main() {
    let n = iters();
    let g = DhGroup::named(GroupId::Ffdhe2048);
    println!(
        "tlsim modexp bench: {} (p {} bits), 256-bit exponents, {n} iterations per line",
        g.name,
        g.bits()
    );
    println!(
        "openssl-bn feature: {}",
        if cfg!(feature = "openssl-bn") {
            "on"
        } else {
            "off"
        }
    );
    println!("load average before: {}", loadavg());

    // Seeded inputs: private exponents and peer public values, as a handshake would see them.
    let keys: Vec<_> = (0..INPUTS as u64)
        .map(|i| g.generate(&mut rng_for(77, &[i]), 256))
        .collect();
    let xs: Vec<&BigUint> = keys.iter().map(|k| &k.private).collect();
    let ys: Vec<&BigUint> = keys.iter().map(|k| &k.public).collect();
    let at = |i: usize| (xs[i % INPUTS], ys[(i + 1) % INPUTS]);

    let reference = report(
        "num-bigint modpow  Y^x mod p",
        &measure(n, |i| {
            let (x, y) = at(i);
            black_box(g.modexp_reference(y, x));
        }),
    );
    report(
        "num-bigint modpow  g^x mod p (g = 2)",
        &measure(n, |i| {
            black_box(g.modexp_reference(&g.g, at(i).0));
        }),
    );
    let fast = report(
        "modexp (dispatch)  Y^x mod p",
        &measure(n, |i| {
            let (x, y) = at(i);
            black_box(g.modexp(y, x));
        }),
    );
    let fast_g = report(
        "modexp (dispatch)  g^x mod p (g = 2)",
        &measure(n, |i| {
            black_box(g.modexp(&g.g, at(i).0));
        }),
    );
    let keygen = report(
        "public_from_private g^x (fixed-base when on)",
        &measure(n, |i| {
            black_box(g.public_from_private(at(i).0));
        }),
    );

    #[cfg(feature = "openssl-bn")]
    {
        use tlsim::crypto::bn::FixedBaseTable;
        println!("-- fixed-base tables, 512-bit reach (build once; g^x per op) --");
        for window in [4u32, 5, 6, 7, 8] {
            let t = Instant::now();
            let table = FixedBaseTable::new(&g.g, &g.p, window, 512).expect("table");
            let build = t.elapsed();
            let name = format!(
                "fixed-base w={window} g^x  [{} entries, {:.1} MiB, built in {:.0} ms]",
                table.entries(),
                (table.entries() * g.byte_len()) as f64 / (1 << 20) as f64,
                build.as_secs_f64() * 1e3
            );
            report(
                &name,
                &measure(n, |i| {
                    black_box(table.pow(at(i).0));
                }),
            );
        }
    }

    #[cfg(feature = "openssl-bn")]
    {
        use tlsim::crypto::bn::{mod_exp, Mont};
        println!("-- backends for Y^x mod p --");
        report(
            "OpenSSL BN_mod_exp (fresh Montgomery context)",
            &measure(n, |i| {
                let (x, y) = at(i);
                black_box(mod_exp(y, x, &g.p));
            }),
        );
        let mont = Mont::new(&g.p).expect("odd modulus");
        report(
            "OpenSSL BN_mod_exp_mont (cached context)",
            &measure(n, |i| {
                let (x, y) = at(i);
                black_box(mont.mod_exp(y, x));
            }),
        );
    }
    #[cfg(target_arch = "x86_64")]
    match tlsim::crypto::ifma::IfmaMont::new(&g.p) {
        Some(ctx) => {
            report(
                "AVX-512 IFMA (crypto::ifma)",
                &measure(n, |i| {
                    let (x, y) = at(i);
                    black_box(ctx.mod_exp(y, x));
                }),
            );
        }
        None => println!("AVX-512 IFMA: not available on this CPU"),
    }

    println!("-- full DHE exchange: 2 keygens + 2 shared secrets --");
    let exchange = |i: usize| {
        let mut rng = rng_for(78, &[i as u64]);
        let c = g.generate(&mut rng, 256);
        let s = g.generate(&mut rng, 256);
        let zc = g.shared_secret(&c.private, &s.public).unwrap();
        let zs = g.shared_secret(&s.private, &c.public).unwrap();
        debug_assert_eq!(zc, zs);
        black_box((zc, zs));
    };
    let full = report("full exchange (default backend)", &measure(n, exchange));
    let full_ref = report(
        "full exchange (num-bigint reference)",
        &measure(n, |i| {
            let mut rng = rng_for(78, &[i as u64]);
            let c = g.generate(&mut rng, 256).private;
            let s = g.generate(&mut rng, 256).private;
            let (yc, ys) = (g.modexp_reference(&g.g, &c), g.modexp_reference(&g.g, &s));
            black_box((g.modexp_reference(&ys, &c), g.modexp_reference(&yc, &s)));
        }),
    );

    println!("-- summary (medians) --");
    println!(
        "Y^x: num-bigint {reference:.1} us vs dispatch {fast:.1} us ({:.1}x)",
        reference / fast
    );
    println!("g^x: plain modexp {fast_g:.1} us vs public_from_private {keygen:.1} us");
    println!(
        "full exchange: {full:.1} us ({:.0} exchanges/s/core of DH alone) vs reference {full_ref:.1} us",
        1e6 / full
    );
    println!("load average after: {}", loadavg());
}
