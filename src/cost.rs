//! Opt-in cost accounting for `tlsim bench`: wall time spent in modular exponentiation, in
//! PRF/hash/record-MAC work and in the sans-IO engine, summed over all threads while a
//! measurement is on (the bench runs its study on one worker thread). Everything else a study does (turmoil, tokio, framing, aggregation)
//! is the network and study share.
//!
//! Off by default, and then each probe is one relaxed atomic load: no clock is read.
//! Nothing measured here reaches a study's output; only `tlsim bench` prints it.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// What a probe measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `DhGroup::modexp` and the fixed-base `g^x` tables.
    Modexp,
    /// TLS PRF, transcript hashes and record protection.
    Prf,
    /// The engine's entry points (including the two above, which [`Costs`] subtracts).
    Engine,
}

/// Accumulated time per [`Kind`] since [`start`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Costs {
    pub modexp: Duration,
    pub prf: Duration,
    /// Engine time including the modexp and PRF calls made inside it.
    pub engine_total: Duration,
}

impl Costs {
    /// Engine time without the modexp and PRF work it called.
    pub fn engine_own(&self) -> Duration {
        self.engine_total.saturating_sub(self.modexp + self.prf)
    }
}

static ON: AtomicBool = AtomicBool::new(false);
/// Nanoseconds per kind.
static ACC: [AtomicU64; 3] = [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];

thread_local! {
    /// Nesting depth per kind, so that a probe inside a probe of the same kind counts once.
    static DEPTH: Cell<[u8; 3]> = const { Cell::new([0; 3]) };
}

/// Starts (or restarts) accounting, from zero. One measurement at a time per process.
pub fn start() {
    for a in &ACC {
        a.store(0, Ordering::Relaxed);
    }
    ON.store(true, Ordering::SeqCst);
}

/// Stops accounting and returns what was accumulated.
pub fn stop() -> Costs {
    ON.store(false, Ordering::SeqCst);
    let get = |k: Kind| Duration::from_nanos(ACC[k as usize].load(Ordering::Relaxed));
    Costs {
        modexp: get(Kind::Modexp),
        prf: get(Kind::Prf),
        engine_total: get(Kind::Engine),
    }
}

/// Runs `f`, adding its wall time to `kind` when accounting is on.
#[inline]
pub fn probe<T>(kind: Kind, f: impl FnOnce() -> T) -> T {
    if !ON.load(Ordering::Relaxed) {
        return f();
    }
    let i = kind as usize;
    let outer = DEPTH.with(|d| {
        let mut v = d.get();
        v[i] = v[i].saturating_add(1);
        d.set(v);
        v[i] == 1
    });
    let t = outer.then(Instant::now);
    let r = f();
    DEPTH.with(|d| {
        let mut v = d.get();
        v[i] = v[i].saturating_sub(1);
        d.set(v);
    });
    if let Some(t) = t {
        let nanos = u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX);
        ACC[i].fetch_add(nanos, Ordering::Relaxed);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_by_default_and_nesting_counts_once() {
        // Off: nothing accumulates.
        probe(Kind::Modexp, || {
            std::thread::sleep(Duration::from_millis(2))
        });
        assert_eq!(stop(), Costs::default());
        start();
        probe(Kind::Engine, || {
            probe(Kind::Modexp, || {
                probe(Kind::Modexp, || {
                    std::thread::sleep(Duration::from_millis(5))
                })
            })
        });
        let c = stop();
        assert!(c.modexp >= Duration::from_millis(5));
        // Counted once despite the nested probe.
        assert!(c.modexp < Duration::from_millis(500), "{c:?}");
        assert!(c.engine_total >= c.modexp);
        assert_eq!(c.prf, Duration::ZERO);
        assert!(c.engine_own() <= c.engine_total);
    }
}
