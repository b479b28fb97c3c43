//! `tlsim bench`: measured by `tlsim::bench`, printed here.

use std::process::ExitCode;
use tlsim::bench::{Bench, BenchOptions};
use tlsim::study::StudyError;

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

pub fn run(a: BenchArgs) -> Result<ExitCode, StudyError> {
    let (connections, openssl_handshakes, repeat) = (a.connections, a.openssl_handshakes, a.repeat);
    let bench = Bench::new(BenchOptions {
        connections,
        openssl_handshakes,
        repeat,
    })?;
    if !a.json {
        print!("{}", bench.intro());
    }
    let r = bench.run()?;
    if a.json {
        println!("{:#}", r.json());
    } else {
        print!("{}", r.text());
    }
    Ok(ExitCode::SUCCESS)
}
