//! One libFuzzer target for every harness target: `TLSIM_FUZZ_TARGET` names it (`wire`,
//! `client-sim`, …, default `wire`). The first input byte picks the seed whose context the
//! rest runs in; panics abort, as libFuzzer expects, and broken invariants panic too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tlsim::fuzz::{Corpus, Target};

fn corpus() -> &'static Corpus {
    static C: OnceLock<Corpus> = OnceLock::new();
    C.get_or_init(|| {
        let name = std::env::var("TLSIM_FUZZ_TARGET").unwrap_or_else(|_| "wire".into());
        let target = Target::from_name(&name).expect("TLSIM_FUZZ_TARGET names a target");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        Corpus::build(target, &root).expect("the corpus builds")
    })
}

fuzz_target!(|data: &[u8]| {
    let c = corpus();
    if let Err(e) = c.execute(&c.raw_input(data)) {
        panic!("invariant: {e}");
    }
});
