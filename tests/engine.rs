//! Engine tests: each interop mechanism M1–M5, M7–M9 emerges between two profiles, and the
//! same pair succeeds when the knob is set compliantly. Outcomes are asserted on mechanism,
//! detecting side and alert.

use tlsim::engine::{Close, HandshakeKind, Mechanism, Outcome, Pair, Run, Side, Status};
use tlsim::profile::builtin;
use tlsim::profile::{EmsResumption, FatalClose, Profile};

fn prof(name: &str) -> Profile {
    builtin(name).unwrap_or_else(|| panic!("built-in profile {name}"))
}

fn one(client: Profile, server: Profile, seed: u64) -> Run {
    Pair::new(client, server, seed).connect()
}

/// The first seed in `0..limit` whose connection fails, with its run.
fn first_failure(client: &Profile, server: &Profile, limit: u64) -> (u64, Run) {
    (0..limit)
        .map(|s| (s, one(client.clone(), server.clone(), s)))
        .find(|(_, r)| !r.outcome.ok())
        .unwrap_or_else(|| panic!("no failure in {limit} seeds"))
}

fn assert_failure(o: &Outcome, mechanism: &str, side: Side, alert: Option<u8>) {
    assert_eq!(o.outcome, Status::Failed, "{o:#?}");
    assert_eq!(
        o.mechanism.map(Mechanism::as_str),
        Some(mechanism),
        "{o:#?}"
    );
    assert_eq!(o.detected_by, Some(side), "{o:#?}");
    assert_eq!(o.alert.map(|a| a.to_u8()), alert, "{o:#?}");
}

#[test]
fn compliant_pair_does_full_then_resumed_handshake() {
    let mut pair = Pair::new(prof("rfc-strict"), prof("rfc-strict"), 3);
    let first = pair.connect();
    assert!(first.outcome.ok(), "{:#?}", first.outcome);
    assert_eq!(first.outcome.handshake, HandshakeKind::Full);
    assert!(first.outcome.ems);
    let second = pair.connect();
    assert!(second.outcome.ok(), "{:#?}", second.outcome);
    assert_eq!(second.outcome.handshake, HandshakeKind::Resumed);
    assert!(second.outcome.ems);
}

#[test]
fn m1_dh_premaster_zeros_keep_vs_strip() {
    let (client, server) = (prof("keep-zeros"), prof("strip-zeros"));
    let (seed, run) = first_failure(&client, &server, 3000);
    let o = &run.outcome;
    // The server reads the client's Finished record with keys from a different master
    // secret: the record MAC fails first.
    assert_failure(o, "dh-premaster-zeros", Side::Server, Some(20));
    let z = o.client.truth.z.clone().expect("client computed Z");
    assert_eq!(
        Some(z.clone()),
        o.server.truth.z,
        "both sides computed the same Z"
    );
    assert!(
        z.len() < 256,
        "Z has a leading zero byte: {} bytes",
        z.len()
    );
    let (cpm, spm) = (
        o.client.truth.premaster.clone().unwrap(),
        o.server.truth.premaster.clone().unwrap(),
    );
    assert_eq!(cpm.len(), 256, "client kept the zero");
    assert!(spm.len() < 256, "server stripped it");
    assert_ne!(o.client.truth.master, o.server.truth.master);
    // Compliant on both sides: the same seed succeeds.
    let ok = one(prof("strip-zeros"), prof("strip-zeros"), seed);
    assert!(ok.outcome.ok(), "{:#?}", ok.outcome);
    // Both keeping also agrees (they disagree with RFC 5246 but not with each other).
    let ok = one(prof("keep-zeros"), prof("keep-zeros"), seed);
    assert!(ok.outcome.ok(), "{:#?}", ok.outcome);
}

#[test]
fn m1_windows_server_closes_with_fin_and_no_alert() {
    let mut server = prof("strip-zeros");
    server.fatal_close = FatalClose::Fin;
    let (_, run) = first_failure(&prof("keep-zeros"), &server, 3000);
    assert_failure(&run.outcome, "dh-premaster-zeros", Side::Server, None);
    assert_eq!(run.outcome.close, Some(Close::Fin));
    assert_eq!(
        run.outcome.client.peer_closed,
        Some(tlsim::engine::CloseKind::Fin)
    );
}

#[test]
fn m2_short_server_public_rejected_by_client() {
    let (client, server) = (prof("rejects-short-public"), prof("minimal-public"));
    let (seed, run) = first_failure(&client, &server, 3000);
    assert_failure(
        &run.outcome,
        "dh-short-server-public",
        Side::Client,
        Some(80),
    );
    assert!(run.outcome.server.truth.sent_public_len.unwrap() < 256);
    assert_eq!(
        run.outcome.at.map(|m| m.to_string()).as_deref(),
        Some("ServerKeyExchange")
    );
    // A padding server (OpenSSL ≥ 1.0.2 after PR #1350) never trips the old client.
    let ok = one(client, prof("strip-zeros"), seed);
    assert!(ok.outcome.ok(), "{:#?}", ok.outcome);
}

#[test]
fn m3_short_client_public_reset_by_iis() {
    let mut server = prof("rejects-short-public");
    server.fatal_close = FatalClose::Rst;
    let client = prof("minimal-public");
    let (seed, run) = first_failure(&client, &server, 3000);
    assert_failure(&run.outcome, "dh-short-client-public", Side::Server, None);
    assert_eq!(run.outcome.close, Some(Close::Rst));
    assert_eq!(
        run.outcome.at.map(|m| m.to_string()).as_deref(),
        Some("ClientKeyExchange")
    );
    let ok = one(prof("strip-zeros"), server, seed);
    assert!(ok.outcome.ok(), "{:#?}", ok.outcome);
}

#[test]
fn m4_oct2019_client_refuses_to_resume_non_ems_session() {
    let mut pair = Pair::new(prof("oct2019-resume"), prof("no-ems"), 5);
    let first = pair.connect();
    assert!(first.outcome.ok());
    assert!(!first.outcome.ems);
    let second = pair.connect();
    assert!(second.outcome.ok(), "{:#?}", second.outcome);
    assert_eq!(second.outcome.handshake, HandshakeKind::ResumeRefused);
    // A legacy client resumes the same non-EMS session.
    let mut pair = Pair::new(prof("legacy-resume"), prof("no-ems"), 5);
    pair.connect();
    assert_eq!(pair.connect().outcome.handshake, HandshakeKind::Resumed);
}

#[test]
fn m5_certificate_request_on_resumption() {
    let mut pair = Pair::new(prof("rfc-strict"), prof("cert-request-on-resume"), 7);
    let first = pair.connect();
    assert!(first.outcome.ok(), "{:#?}", first.outcome);
    let second = pair.connect();
    assert_failure(
        &second.outcome,
        "cert-request-on-resume",
        Side::Client,
        Some(10),
    );
    // The same server asking for a certificate only in full handshakes is fine.
    let mut server = prof("cert-request-on-resume");
    server.cert_request_on_resume = false;
    let mut pair = Pair::new(prof("rfc-strict"), server, 7);
    assert!(pair.connect().outcome.ok());
    let again = pair.connect();
    assert!(again.outcome.ok(), "{:#?}", again.outcome);
    assert_eq!(again.outcome.handshake, HandshakeKind::Resumed);
}

#[test]
fn m7_message_too_large_and_fragmented_rejected() {
    let run = one(prof("schannel-message-limits"), prof("big-chain"), 1);
    assert_failure(&run.outcome, "message-too-large", Side::Client, Some(47));
    assert_eq!(
        run.outcome.at.map(|m| m.to_string()).as_deref(),
        Some("Certificate")
    );
    assert!(one(prof("rfc-strict"), prof("big-chain"), 1).outcome.ok());

    let mut server = prof("rfc-strict");
    server.max_fragment = 1000;
    let run = one(prof("message-limit-0"), server.clone(), 1);
    assert_failure(
        &run.outcome,
        "fragmented-message-rejected",
        Side::Client,
        Some(47),
    );
    assert!(one(prof("schannel-message-limits"), server, 1).outcome.ok());
}

#[test]
fn m8_no_shared_cipher_and_version() {
    let mut client = prof("rfc-strict");
    client.client_suites = vec![
        tlsim::wire::suite_by_name("DHE-RSA-AES128-SHA")
            .unwrap()
            .suite,
    ];
    let run = one(client.clone(), prof("rsa-only"), 1);
    assert_failure(&run.outcome, "no-shared-cipher", Side::Server, Some(40));
    assert!(one(client, prof("rfc-strict"), 1).outcome.ok());

    let run = one(prof("tls10-only"), prof("rfc-strict"), 1);
    assert_failure(&run.outcome, "no-shared-version", Side::Server, Some(70));
    assert!(one(prof("tls10-only"), prof("tls10-only"), 1).outcome.ok());
}

#[test]
fn m9_dh_group_too_small() {
    let mut client = prof("min-dh-2048");
    client.client_suites = prof("strip-zeros").client_suites;
    let run = one(client.clone(), prof("dh-1024"), 1);
    assert_failure(&run.outcome, "dh-group-too-small", Side::Client, Some(71));
    client.client_min_dh_bits = 1024;
    assert!(one(client, prof("dh-1024"), 1).outcome.ok());
}

/// RFC 7627 §5.3, server side: original session EMS × resuming ClientHello EMS × server
/// policy. The client is legacy so that it offers every session and accepts any answer,
/// isolating the server's rule.
#[test]
fn rfc7627_server_resumption_matrix() {
    use EmsResumption::*;
    // (original EMS, hello EMS, policy, expected handshake or failure mechanism)
    let table = [
        (true, true, Strict, "resumed"),
        (true, true, Legacy, "resumed"),
        (true, true, Oct2019, "resumed"),
        (true, false, Strict, "ems-resume-mismatch"), // MUST abort
        (true, false, Oct2019, "ems-resume-mismatch"),
        (true, false, Legacy, "resumed"),
        (false, true, Strict, "resume-refused"), // MUST NOT resume, SHOULD full handshake
        (false, true, Oct2019, "resume-refused"),
        (false, true, Legacy, "resumed"),
        (false, false, Strict, "ems-resume-mismatch"), // SHOULD abort
        (false, false, Oct2019, "resume-refused"),     // Windows: full handshake instead
        (false, false, Legacy, "resumed"),
    ];
    for (orig, hello, policy, expect) in table {
        let mut c1 = prof("legacy-resume");
        c1.ems_offer = orig;
        let mut server = prof("rfc-strict");
        server.ems_resumption = policy;
        let mut pair = Pair::new(c1.clone(), server, 11);
        let first = pair.connect();
        assert!(first.outcome.ok());
        assert_eq!(first.outcome.ems, orig);
        let mut c2 = c1.clone();
        c2.ems_offer = hello;
        pair.client = std::sync::Arc::new(c2);
        let o = pair.connect().outcome;
        let got = o
            .mechanism
            .map_or_else(|| o.handshake.to_string(), |m| m.to_string());
        assert_eq!(got, expect, "orig={orig} hello={hello} {policy:?}: {o:#?}");
        if expect == "ems-resume-mismatch" {
            assert_eq!(o.detected_by, Some(Side::Server));
            assert_eq!(o.alert.map(|a| a.to_u8()), Some(40));
        }
    }
}

/// RFC 7627 §5.3, client side.
#[test]
fn rfc7627_client_rules() {
    // SHOULD NOT offer a non-EMS session: a strict client falls back to a full handshake.
    let mut pair = Pair::new(prof("rfc-strict"), prof("no-ems"), 2);
    pair.connect();
    assert_eq!(
        pair.connect().outcome.handshake,
        HandshakeKind::ResumeRefused
    );
    // MUST abort when the ServerHello's EMS status differs from the original session's:
    // the original had EMS, then the server (same cache) stops negotiating it.
    let mut pair = Pair::new(prof("rfc-strict"), prof("rfc-strict"), 2);
    assert!(pair.connect().outcome.ems);
    let mut server = prof("rfc-strict");
    server.ems_negotiate = false;
    pair.server = std::sync::Arc::new(server);
    let o = pair.connect().outcome;
    assert_failure(&o, "ems-resume-mismatch", Side::Client, Some(40));
}

#[test]
fn ticket_resumption_works_without_a_server_cache() {
    let mut server = prof("rfc-strict");
    server.server_cache_size = 0;
    let mut pair = Pair::new(prof("rfc-strict"), server, 9);
    assert!(pair.connect().outcome.ok());
    let o = pair.connect().outcome;
    assert_eq!(o.handshake, HandshakeKind::Resumed, "{o:#?}");
    // Without tickets and without a cache there is nothing to resume.
    let mut server = prof("rfc-strict");
    server.server_cache_size = 0;
    server.server_tickets = false;
    let mut pair = Pair::new(prof("rfc-strict"), server, 9);
    pair.connect();
    assert_eq!(pair.connect().outcome.handshake, HandshakeKind::Full);
}

#[test]
fn session_cache_expires_on_simulated_time() {
    let mut client = prof("rfc-strict");
    client.client_tickets = false;
    let mut server = prof("rfc-strict");
    server.server_cache_secs = 60;
    let mut pair = Pair::new(client, server, 4);
    pair.connect();
    assert_eq!(pair.connect().outcome.handshake, HandshakeKind::Resumed);
    pair.now += 61_000;
    assert_eq!(
        pair.connect().outcome.handshake,
        HandshakeKind::ResumeRefused
    );
}
