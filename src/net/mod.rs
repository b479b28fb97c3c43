//! The simulated fleet: turmoil hosts (machines or sites), each running many logical TLS
//! peers as tokio tasks, connected over turmoil's seeded TCP. The TLS engine is the sans-IO
//! engine; this module only moves its bytes, keeps the per-host session state, injects the
//! configured network faults and collects both sides' reports into outcomes.
//!
//! turmoil facts that shape this (DESIGN.md "The network"): a step costs roughly the cube of
//! the host count, so a host is a machine or a site and carries many peers; each Sim is
//! built and run on one thread; turmoil's TCP has no retransmit (a dropped segment stalls
//! the connection until the application's timeout); per-connection faults go through a
//! seeded stream wrapper here, not turmoil's per-link `fail_rate`.
//!
//! The parts, one job each: `spec` (the fleet's description and the Sim it builds: hosts,
//! ports, latencies, capacities), `server` (server hosts: listeners, accept loops, FTPS
//! checks), `client` (client hosts: peers, their connection schedules and sessions, FTPS
//! transfers), `faults` (connection faults and the host-level fault timeline), `collect`
//! (both sides' reports matched into ordered [`ConnRecord`]s), with `drive` moving one
//! engine's bytes over the seeded stream wrapper of `stream`.

mod client;
mod collect;
mod drive;
mod faults;
mod server;
mod spec;
mod stream;
mod validate;

pub use collect::{Channel, ConnRecord};
pub use faults::{ConnFault, FaultSpec};
pub use spec::{
    AppProtocol, ClientSpec, Fleet, FtpsServer, LinkSpec, ServerSpec, DEFAULT_BACKLOG, MAX_BACKLOG,
};
pub use validate::{
    client_connections, client_end_ms, host_name_ok, max_connections_per_run, record_bytes,
    FleetIssue, Locus, EPHEMERAL_PORTS, MAX_FTPS_TRANSFERS, MAX_HOSTS, RUN_RECORD_BUDGET,
};

/// Run a fleet to completion and return every connection's record, in a deterministic
/// order (client host, client, peer, connection index).
pub fn run_fleet(fleet: &Fleet) -> Result<Vec<ConnRecord>, String> {
    // Every value checked before the simulation exists: nothing below may panic on what a
    // file said (validate.rs), and the end time cannot overflow.
    fleet.validate()?;
    let end_ms = fleet.end_estimate_ms()?;
    let collector = collect::Collector::shared();
    let mut sim = spec::build_sim(fleet, end_ms);
    server::add_server_hosts(&mut sim, fleet, &collector);
    client::add_client_hosts(&mut sim, fleet, &collector);
    spec::set_link_latencies(&mut sim, fleet);
    faults::run_with_host_faults(&mut sim, &fleet.faults)?;
    drop(sim);
    collect::records(fleet, collector)
}
