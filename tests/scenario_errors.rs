//! Bad scenario files give a one-screen error naming file:line and the field.

use tlsim::scenario::Scenario;

const GOOD: &str = r#"description = "x"

[[server]]
host = "web"
profile = "rfc-strict"

[[client]]
host = "c"
profile = "rfc-strict"
connections = 2
targets = ["web:443"]
"#;

fn err(text: &str) -> String {
    Scenario::parse(text, "bad.toml", "bad", None)
        .expect_err("must be rejected")
        .to_string()
}

#[test]
fn the_good_file_parses() {
    let sc = Scenario::parse(GOOD, "good.toml", "good", None).expect("valid");
    assert_eq!(sc.fleet.clients[0].connections, 2);
}

#[test]
fn unknown_profile_names_the_line_and_suggests() {
    let e = err(&GOOD.replace(
        "profile = \"rfc-strict\"\n\n[[client]]",
        "profile = \"rfc-strikt\"\n\n[[client]]",
    ));
    assert!(e.starts_with("bad.toml:5:"), "{e}");
    assert!(e.contains("rfc-strikt") && e.contains("rfc-strict"), "{e}");
}

#[test]
fn wrong_type_names_the_line() {
    let e = err(&GOOD.replace("connections = 2", "connections = \"two\""));
    assert!(e.starts_with("bad.toml:10:"), "{e}");
    assert!(e.contains("invalid type"), "{e}");
}

#[test]
fn missing_field_names_the_table() {
    let e = err(&GOOD.replace("connections = 2\n", ""));
    assert!(
        e.starts_with("bad.toml:7:") || e.starts_with("bad.toml:8:"),
        "{e}"
    );
    assert!(e.contains("connections"), "{e}");
}

#[test]
fn negative_count_names_the_line() {
    let e = err(&GOOD.replace("connections = 2", "connections = -5"));
    assert!(e.starts_with("bad.toml:10:"), "{e}");
    assert!(e.contains("-5"), "{e}");
}

#[test]
fn unknown_field_and_bad_target_are_rejected() {
    let e = err(&GOOD.replace("connections = 2", "connections = 2\nconections = 3"));
    assert!(
        e.starts_with("bad.toml:11:") && e.contains("conections"),
        "{e}"
    );
    let e = err(&GOOD.replace("web:443", "web:444"));
    assert!(
        e.starts_with("bad.toml:11:") && e.contains("web:443"),
        "{e}"
    );
}

#[test]
fn a_bad_knob_in_set_names_its_line() {
    let e = err(&GOOD.replace(
        "connections = 2",
        "connections = 2\nset = { no_such_knob = 1 }",
    ));
    assert!(
        e.starts_with("bad.toml:11:") && e.contains("no_such_knob"),
        "{e}"
    );
}

#[test]
fn a_link_to_an_unknown_host_names_its_line() {
    let e = err(&format!(
        "{GOOD}\n[[link]]\na = \"web\"\nb = \"nowhere\"\nlatency_ms = [40, 120]\n"
    ));
    assert!(
        e.starts_with("bad.toml:15:") && e.contains("nowhere"),
        "{e}"
    );
}

// ---- issue 12: every number range-checked where it is read ----
//
// GOOD is 11 lines; `extra` starts on line 13 (line 12 is blank).

fn with(extra: &str) -> String {
    format!("{GOOD}\n{extra}")
}

/// The error names `line` (and the column when given) and contains every word.
#[track_caller]
fn rejects(text: &str, line: usize, words: &[&str]) {
    let e = err(text);
    assert!(
        e.starts_with(&format!("bad.toml:{line}:")),
        "want line {line}: {e}"
    );
    for w in words {
        assert!(
            e.to_lowercase().contains(&w.to_lowercase()),
            "want {w:?}: {e}"
        );
    }
}

fn client(extra: &str) -> String {
    GOOD.replace("connections = 2\n", &format!("connections = 2\n{extra}\n"))
}

#[test]
fn inverted_and_malformed_latency_ranges_are_rejected() {
    rejects(
        &with("[network]\nlatency_ms = [50, 10]"),
        14,
        &["latency_ms", "50", "10"],
    );
    rejects(
        &with("[network]\nlatency_ms = [1, 2, 3]"),
        14,
        &["latency_ms", "2"],
    );
    rejects(&with("[network]\nlatency_ms = [1]"), 14, &["latency_ms"]);
    rejects(
        &with("[[link]]\na = \"web\"\nb = \"c\"\nlatency_ms = [120, 40]"),
        16,
        &["latency_ms", "120"],
    );
}

#[test]
fn zero_timeout_tick_and_latency_above_the_timeout_are_rejected() {
    rejects(&with("[network]\ntimeout_ms = 0"), 14, &["timeout_ms"]);
    rejects(&with("[network]\ntick_ms = 0"), 14, &["tick_ms"]);
    rejects(
        &with("[network]\nlatency_ms = [10, 20000]\ntimeout_ms = 5000"),
        14,
        &["latency_ms", "timeout_ms"],
    );
    rejects(
        &with("[network]\ntimeout_ms = 5000\ntick_ms = 6000"),
        15,
        &["tick_ms", "timeout_ms"],
    );
}

#[test]
fn fault_shares_outside_zero_to_one_are_rejected() {
    for share in ["2.0", "-1", "nan", "inf", "-inf"] {
        rejects(
            &with(&format!(
                "[[fault]]\nkind = \"connection\"\nshare = {share}\nfault = {{ kind = \"stall\", ms = 10 }}"
            )),
            15,
            &["share"],
        );
    }
    let two = "[[fault]]\nkind = \"connection\"\nshare = 0.6\nfault = { kind = \"stall\", ms = 10 }\n\
               [[fault]]\nkind = \"connection\"\nshare = 0.6\nclient = \"rfc-strict\"\nfault = { kind = \"stall\", ms = 10 }";
    rejects(&with(two), 19, &["share", "1.2", "rfc-strict"]);
}

#[test]
fn fault_times_out_of_order_are_rejected() {
    rejects(
        &with("[[fault]]\nkind = \"partition\"\na = \"web\"\nb = \"c\"\nat_ms = 2000\nuntil_ms = 1000"),
        18,
        &["until_ms", "at_ms"],
    );
    rejects(
        &with("[[fault]]\nkind = \"crash\"\nhost = \"web\"\nat_ms = 2000\nrestart_ms = 1000"),
        17,
        &["restart_ms", "at_ms"],
    );
}

#[test]
fn faults_naming_unknown_or_client_hosts_are_rejected() {
    rejects(
        &with("[[fault]]\nkind = \"partition\"\na = \"web\"\nb = \"nowhere\"\nat_ms = 1\nuntil_ms = 2"),
        16,
        &["nowhere", "hosts: c, web"],
    );
    rejects(
        &with("[[fault]]\nkind = \"crash\"\nhost = \"nowhere\"\nat_ms = 1"),
        15,
        &["nowhere", "hosts"],
    );
    rejects(
        &with("[[fault]]\nkind = \"crash\"\nhost = \"c\"\nat_ms = 1"),
        15,
        &["client host", "server hosts: web"],
    );
    rejects(
        &with("[[fault]]\nkind = \"connection\"\nshare = 0.5\nclient = \"nobody\"\nfault = { kind = \"stall\", ms = 10 }"),
        16,
        &["nobody", "clients: rfc-strict"],
    );
    rejects(
        &with("[[fault]]\nkind = \"partition\"\na = \"web\"\nb = \"web\"\nat_ms = 1\nuntil_ms = 2"),
        16,
        &["itself"],
    );
    rejects(
        &with("[[fault]]\nkind = \"crash\"\nhost = \"web\"\nat_ms = 1\nuntil_ms = 5"),
        17,
        &["until_ms"],
    );
    rejects(&with("[[fault]]\nkind = \"flood\""), 14, &["flood"]);
}

#[test]
fn unknown_mechanisms_in_expect_are_rejected_with_the_list() {
    rejects(
        &with("[expect]\nmechanisms = [\"dh-premaster-zero\"]"),
        14,
        &[
            "dh-premaster-zero",
            "dh-premaster-zeros",
            "ftps-data-not-resumed",
        ],
    );
    rejects(
        &with("[[expect.rates]]\nmechanism = \"nope\"\nrate = 0.1\ntolerance = 0.1"),
        14,
        &["nope", "network-timeout"],
    );
}

/// A scenario may expect every mechanism a simulated connection can show, and none that
/// only the bridge names.
#[test]
fn expect_accepts_exactly_the_simulated_mechanisms() {
    use tlsim::engine::Mechanism;
    for m in Mechanism::ALL {
        let text = with(&format!("[expect]\nmechanisms = [\"{m}\"]"));
        let r = Scenario::parse(&text, "input.toml", "input", None);
        assert_eq!(r.is_ok(), !m.bridge_only(), "{m}: {:?}", r.err());
    }
}

#[test]
fn expect_rates_outside_zero_to_one_are_rejected() {
    let rate = |r: &str, t: &str| {
        with(&format!(
            "[[expect.rates]]\nmechanism = \"dh-premaster-zeros\"\nrate = {r}\ntolerance = {t}"
        ))
    };
    rejects(&rate("1.5", "0.1"), 15, &["rate", "1.5"]);
    rejects(&rate("nan", "0.1"), 15, &["rate", "nan"]);
    rejects(&rate("0.1", "-0.1"), 16, &["tolerance"]);
    rejects(&rate("0.1", "inf"), 16, &["tolerance"]);
    rejects(
        &with("[expect]\nmin_failures = 2\nmax_failures = 1"),
        15,
        &["min_failures", "max_failures"],
    );
}

#[test]
fn resume_ratio_nan_is_rejected() {
    rejects(&client("resume_ratio = nan"), 11, &["resume_ratio"]);
    rejects(&client("resume_ratio = 1.5"), 11, &["resume_ratio"]);
}

#[test]
fn zero_counts_and_empty_targets_are_rejected() {
    rejects(
        &GOOD.replace("connections = 2", "connections = 0"),
        10,
        &["connections"],
    );
    rejects(&client("peers = 0"), 11, &["peers"]);
    rejects(
        &GOOD.replace("targets = [\"web:443\"]", "targets = []"),
        11,
        &["targets"],
    );
    rejects(&with("[report]\nbucket_ms = 0"), 14, &["bucket_ms"]);
}

#[test]
fn duplicate_servers_ports_and_labels_are_rejected() {
    let dup = GOOD.replace(
        "[[client]]",
        "[[server]]\nhost = \"web\"\nprofile = \"no-ems\"\n\n[[client]]",
    );
    rejects(&dup, 8, &["web:443", "twice"]);
    rejects(
        &GOOD.replace("host = \"web\"", "host = \"web\"\nport = 0"),
        5,
        &["port"],
    );
    let ftps = GOOD
        .replace(
            "host = \"web\"",
            "host = \"web\"\nport = 65535\nftps = true",
        )
        .replace("web:443", "web:65535");
    rejects(&ftps, 5, &["65535", "ftps"]);
    let data_port = GOOD
        .replace("host = \"web\"", "host = \"web\"\nftps = true")
        .replace(
            "[[client]]",
            "[[server]]\nhost = \"web\"\nport = 444\nprofile = \"no-ems\"\n\n[[client]]",
        );
    rejects(&data_port, 10, &["444", "ftps"]);
    let twins = with(
        "[[client]]\nhost = \"c\"\nprofile = \"rfc-strict\"\nconnections = 2\ntargets = [\"web:443\"]",
    );
    rejects(&twins, 15, &["label", "rfc-strict"]);
    // Two populations with one label on different hosts are one row of the report: fine.
    let spread = with(
        "[[client]]\nhost = \"d\"\nprofile = \"rfc-strict\"\nconnections = 2\ntargets = [\"web:443\"]",
    );
    Scenario::parse(&spread, "ok.toml", "ok", None).expect("one label over two hosts");
}

#[test]
fn ftps_transfers_need_an_ftps_target() {
    rejects(
        &client("ftps_transfers = 2"),
        11,
        &["ftps_transfers", "web:443"],
    );
}

#[test]
fn simulated_time_that_would_overflow_is_rejected() {
    rejects(
        &client("interval_ms = 9223372036854775807"),
        11,
        &["interval_ms", "10 years"],
    );
    rejects(
        &client("start_ms = 9000000000000000000"),
        11,
        &["start_ms", "10 years"],
    );
    rejects(
        &client("jitter_ms = 9000000000000000000"),
        11,
        &["jitter_ms", "10 years"],
    );
    // Each value in range, the schedule not: 4e9 connections × 1e8 ms.
    rejects(
        &GOOD.replace(
            "connections = 2",
            "connections = 4000000\ninterval_ms = 100000000",
        ),
        10,
        &["simulated time", "10 years"],
    );
    rejects(
        &with("[[fault]]\nkind = \"crash\"\nhost = \"web\"\nat_ms = 9223372036854775807"),
        16,
        &["at_ms", "10 years"],
    );
}

#[test]
fn runs_too_large_for_memory_or_ports_are_rejected() {
    let ftp = GOOD
        .replace("host = \"web\"", "host = \"web\"\nftps = true")
        .replace(
            "connections = 2",
            "connections = 2\nftps_transfers = 4294967295",
        );
    rejects(&ftp, 12, &["ftps_transfers", "999"]);
    let ftp = GOOD
        .replace("host = \"web\"", "host = \"web\"\nftps = true")
        .replace(
            "connections = 2",
            "connections = 200\nftps_transfers = 900\npeers = 10",
        );
    rejects(&ftp, 11, &["1802000", "connections per run"]);
    rejects(
        &client("peers = 1000000"),
        11,
        &["peers", "16384", "ephemeral"],
    );
    // Summed over two client entries on one host.
    let two = with(
        "[[client]]\nhost = \"c\"\nlabel = \"second\"\nprofile = \"rfc-strict\"\nconnections = 1\npeers = 9000\ntargets = [\"web:443\"]",
    )
    .replace("connections = 2", "connections = 1\npeers = 9000");
    rejects(&two, 19, &["18000", "16384", "\"c\""]);
}

/// A knob in `set`, checked against what the wire can carry, named with its line.
#[track_caller]
fn bad_knob(knob: &str, value: &str, words: &[&str]) {
    let text = client(&format!("set = {{ {knob} = {value} }}"));
    let e = err(&text);
    assert!(e.starts_with("bad.toml:11:"), "{knob}: {e}");
    assert!(e.contains(knob), "{knob}: {e}");
    for w in words {
        assert!(e.contains(w), "{knob}: want {w:?}: {e}");
    }
}

#[test]
fn profile_values_the_wire_cannot_carry_are_rejected_before_any_connection() {
    bad_knob("cert_chain", "[16777216]", &["16777215"]);
    bad_knob(
        "cert_chain",
        "[8000000, 8000000, 8000000]",
        &["Certificate"],
    );
    bad_knob("cert_chain", "[]", &["empty"]);
    bad_knob(
        "server_name",
        &format!("\"{}\"", "a".repeat(70_000)),
        &["65535"],
    );
    bad_knob("server_name", "\"\"", &["empty"]);
    bad_knob("max_fragment", "0", &["16384"]);
    bad_knob("max_fragment", "16385", &["16384"]);
    bad_knob("message_limit_client", "16777216", &["16777215"]);
    bad_knob("message_limit_server", "4294967295", &["16777215"]);
    bad_knob("max_handshake_message", "16777216", &["16777215"]);
    bad_knob("dh_exponent_bits", "1000000", &["2048"]);
    bad_knob("dh_exponent_bits", "1", &["2"]);
    bad_knob("client_min_dh_bits", "100000", &["16384"]);
    bad_knob("server_min_dh_bits", "100000", &["16384"]);
    bad_knob("client_cache_secs", "9223372036854775807", &["10 years"]);
    bad_knob("server_cache_secs", "9223372036854775807", &["10 years"]);
    bad_knob("ticket_lifetime_secs", "9223372036854775807", &["10 years"]);
    bad_knob(
        "ephemeral_key_reuse_secs",
        "9223372036854775807",
        &["10 years"],
    );
    bad_knob("server_cache_size", "9223372036854775807", &["entries"]);
    bad_knob("trusted_issuer_bytes", "100000", &["65535"]);
    bad_knob("dh_custom_prime", "\"04\"", &["odd"]);
    bad_knob("dh_custom_prime", "\"zz\"", &["hex"]);
    bad_knob("client_suites", "[]", &["no cipher suite"]);
    let many = vec!["\"TLS_RSA_WITH_AES_128_CBC_SHA\""; 40_000].join(", ");
    bad_knob("client_suites", &format!("[{many}]"), &["32767"]);
    let curves = vec!["\"x25519\""; 40_000].join(", ");
    bad_knob("curves", &format!("[{curves}]"), &["32767"]);
}

#[test]
fn a_bad_knob_points_at_its_own_column_inside_set() {
    let text = client("set = { client_resumes = false, max_fragment = 0 }");
    let e = err(&text);
    let col = "set = { client_resumes = false, max_fragment = ".len() + 1;
    assert!(e.starts_with(&format!("bad.toml:11:{col}:")), "{e}");
}

#[test]
fn a_custom_prime_that_is_not_prime_or_out_of_size_is_rejected() {
    // 2^521 - 1 is prime (a Mersenne prime); 2^521 + 1 is divisible by 3.
    let m521 = format!("1{}", "f".repeat(130));
    let text = client(&format!("set = {{ dh_custom_prime = \"{m521}\" }}"));
    Scenario::parse(&text, "ok.toml", "ok", None).expect("2^521-1 is a prime of 521 bits");
    let composite = format!("2{}1", "0".repeat(129));
    bad_knob(
        "dh_custom_prime",
        &format!("\"{composite}\""),
        &["not prime"],
    );
    bad_knob("dh_custom_prime", "\"fffffffb\"", &["512"]);
    let huge = format!("\"{}\"", "f".repeat(2050 + 1));
    bad_knob("dh_custom_prime", &huge, &["8192"]);
}

#[test]
fn a_profile_file_with_a_bad_value_is_rejected_naming_the_field() {
    let dir = std::env::temp_dir().join(format!("tlsim-se-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("big.toml"),
        "name = \"big\"\ncert_chain = [16777216]\n",
    )
    .unwrap();
    let text = GOOD.replace(
        "profile = \"rfc-strict\"\n\n[[client]]",
        "profile = \"big.toml\"\n\n[[client]]",
    );
    let e = Scenario::parse(&text, "bad.toml", "bad", Some(&dir))
        .expect_err("rejected")
        .to_string();
    assert!(e.starts_with("bad.toml:5:"), "{e}");
    assert!(e.contains("cert_chain"), "{e}");
}

#[test]
fn scenario_files_in_utf16_and_crlf_load() {
    let dir = std::env::temp_dir().join(format!("tlsim-u16-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let crlf = GOOD.replace('\n', "\r\n");
    let mut le = vec![0xFF, 0xFE];
    let mut be = vec![0xFE, 0xFF];
    for u in crlf.encode_utf16() {
        le.extend_from_slice(&u.to_le_bytes());
        be.extend_from_slice(&u.to_be_bytes());
    }
    let mut bom8 = vec![0xEF, 0xBB, 0xBF];
    bom8.extend_from_slice(crlf.as_bytes());
    for (name, bytes) in [("le.toml", le), ("be.toml", be), ("u8.toml", bom8)] {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        let sc = Scenario::load(&p).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(sc.fleet.clients[0].connections, 2);
    }
    // Invalid UTF-8 names the line.
    let p = dir.join("latin1.toml");
    std::fs::write(&p, b"description = \"x\"\n\n# caf\xe9\n").unwrap();
    let e = Scenario::load(&p).expect_err("not UTF-8").to_string();
    assert!(e.contains("latin1.toml:3:"), "{e}");
    assert!(e.contains("UTF-8"), "{e}");
}

#[test]
fn every_shipped_scenario_still_loads() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
    let mut n = 0;
    for sub in ["", "/bench"] {
        for e in std::fs::read_dir(format!("{dir}{sub}")).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "toml") {
                Scenario::load(&p).unwrap_or_else(|e| panic!("{e}"));
                n += 1;
            }
        }
    }
    assert!(n >= 18, "{n}");
}

#[test]
fn names_and_labels_that_break_reports_or_replay_ids_are_rejected() {
    rejects(
        &format!("name = \"a:b\"\n{GOOD}"),
        1,
        &["name", "replay id"],
    );
    rejects(&format!("name = \"\"\n{GOOD}"), 1, &["name"]);
    let e = Scenario::parse(GOOD, "x:y.toml", "x:y", None)
        .expect_err("the default name has a colon")
        .to_string();
    assert!(e.contains("set `name`"), "{e}");
    rejects(&client("label = \" \""), 11, &["label", "empty"]);
    rejects(
        &GOOD.replace("host = \"web\"", "host = \"web\"\nlabel = \"\""),
        5,
        &["label", "empty"],
    );
    rejects(
        &GOOD.replace("host = \"c\"", "host = \"10.0.0.1\""),
        8,
        &["IP address"],
    );
    rejects(
        &GOOD.replace("host = \"c\"", "host = \"my host\""),
        8,
        &["host name"],
    );
}

#[test]
fn expectations_no_run_can_meet_are_rejected() {
    rejects(
        &with("[expect]\nmin_failures = 3"),
        14,
        &["min_failures", "2 connections"],
    );
    rejects(&with("[expect]\nmin_resumed = 30"), 14, &["min_resumed"]);
    rejects(
        &with("[expect]\nall_ok = true\nmechanisms = [\"network-timeout\"]"),
        14,
        &["all_ok"],
    );
}

#[test]
fn too_many_hosts_are_rejected() {
    let mut text = GOOD.to_string();
    for i in 0..1000 {
        text.push_str(&format!(
            "\n[[client]]\nhost = \"h{i}\"\nprofile = \"rfc-strict\"\nconnections = 1\ntargets = [\"web:443\"]\n"
        ));
    }
    // web, c, h0..h997 are 1000 hosts; h998 is the 1001st: its `host` is on line 14 + 6 × 998.
    let e = err(&text);
    assert!(e.starts_with(&format!("bad.toml:{}:", 14 + 6 * 998)), "{e}");
    assert!(e.contains("at most 1000 hosts"), "{e}");
}

#[test]
fn a_stall_or_slow_fault_longer_than_the_timeout_is_rejected() {
    for kind in ["stall", "slow"] {
        rejects(
            &with(&format!(
                "[[fault]]\nkind = \"connection\"\nshare = 0.5\nfault = {{ kind = \"{kind}\", ms = 20000 }}"
            )),
            16,
            &["fault", "timeout_ms"],
        );
    }
}
