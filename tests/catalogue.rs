//! The profile catalogue against the "done when" list of issue 5: patch levels that differ
//! in exactly one knob, registry overlays, and engine runs between catalogue profiles that
//! reproduce KB4557473 (M1), the Oct 2019 resumption refusal (M4) and the ELB policy
//! mismatch (M8).

use tlsim::engine::{Close, HandshakeKind, Mechanism, Pair, Run, Side, Status};
use tlsim::profile::catalogue::{self, catalogue, diff, knob_values};
use tlsim::profile::{
    apply_registry, load, parse_reg, resolve, schannel_settings, EmsResumption, LeadingZeros,
    Profile,
};
use tlsim::wire::CipherSuite;

fn differing(a: &str, b: &str) -> Vec<String> {
    diff(&resolve(a).unwrap(), &resolve(b).unwrap())
        .into_iter()
        .map(|d| d.knob)
        .collect()
}

#[test]
fn every_facts_row_is_a_profile_or_an_update() {
    for name in [
        "win7",
        "win2008r2",
        "win8.1",
        "win2012r2",
        "win10-1507",
        "win10-1511",
        "win10-1607",
        "win2016",
        "win10-1709",
        "win10-1803",
        "win10-1809",
        "win2019",
        "win10-1903",
        "win11",
        "win2022",
        "win2019-sqlserver",
        "openssl-1.0.1",
        "openssl-1.0.2",
        "openssl-1.1.1",
        "openssl-3.0",
        "java-8u161",
        "bouncycastle-jsse",
        "filezilla-server-0.9.60",
        "filezilla-server-1",
        "vsftpd",
        "elb-2015-02",
        "elb-2015-03",
        "elb-2015-05",
        "elb-2016-08",
        "elb-tls-1-2-2017-01",
        "elb-tls13-1-2-2021-06",
        "elb-tls13-1-3-2021-06",
        "java-11",
        "java-17",
        "java-21",
        "java-26",
        "gnutls-3.7",
    ] {
        let r = resolve(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(catalogue::unsourced(&r), Vec::<String>::new(), "{name}");
    }
    for kb in [
        "MS15-055",
        "KB3042058",
        "MS15-121",
        "KB3081320",
        "KB4519976",
        "KB4520003",
        "KB4520005",
        "KB4519990",
        "KB4520011",
        "KB4519998",
        "KB4519338",
        "KB4517389",
        "KB4537806",
        "KB4540670",
    ] {
        assert!(catalogue().update(kb).is_some(), "{kb}");
    }
    assert!(catalogue::catalogue_names().contains(&"win2012r2".to_string()));
}

#[test]
fn oct_2019_rollup_changes_only_the_ems_resumption_policy() {
    assert_eq!(
        differing("win2012r2@2019-09-30", "win2012r2@2019-10-08"),
        ["ems_resumption"]
    );
    assert_eq!(
        load("win2012r2@2019-10-08").unwrap().ems_resumption,
        EmsResumption::Oct2019
    );
}

#[test]
fn kb4537806_strips_z_zeros_on_server_2016() {
    assert_eq!(
        differing("win2016@2020-02-01", "win2016@2020-02-26"),
        ["premaster_leading_zeros"]
    );
    assert_eq!(
        load("win2016@2020-02-01").unwrap().premaster_leading_zeros,
        LeadingZeros::Keep
    );
    assert_eq!(
        load("win2016@2020-02-26").unwrap().premaster_leading_zeros,
        LeadingZeros::Strip
    );
    let r = resolve("win2016@2020-02-26").unwrap();
    assert_eq!(
        r.origins["premaster_leading_zeros"].set_by,
        "KB4537806 (2020-02-25)"
    );
}

const SCH: &str = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL";

fn reg(body: &str) -> Vec<u8> {
    format!("Windows Registry Editor Version 5.00\r\n\r\n{body}").into_bytes()
}

#[test]
fn registry_overlay_changes_exactly_its_knobs() {
    let bytes = reg(&format!(
        "[{SCH}]\r\n\"DisableClientExtendedMasterSecret\"=dword:00000001\r\n\r\n\
         [{SCH}\\Messaging]\r\n\"MessageLimitServer\"=dword:00000000\r\n"
    ));
    let overlay = schannel_settings(&parse_reg(&bytes, "t.reg").unwrap(), "t.reg").unwrap();
    assert!(overlay.ignored.is_empty(), "{:?}", overlay.ignored);
    let before = load("win2012r2").unwrap();
    let mut after = before.clone();
    let changed = apply_registry(&mut after, &overlay);
    assert_eq!(changed, ["ems_offer", "message_limit_server"]);
    let (a, b) = (knob_values(&before), knob_values(&after));
    let differ: Vec<&String> = a.keys().filter(|k| a[*k] != b[*k]).collect();
    assert_eq!(differ, ["ems_offer", "message_limit_server"]);
    assert!(!after.ems_offer);
    assert_eq!(after.message_limit_server, Some(0));

    // Through a resolution, the origin names the file and line.
    let mut r = resolve("win2012r2").unwrap();
    r.apply_registry(&overlay, "t.reg").unwrap();
    assert_eq!(r.origins["ems_offer"].set_by, "registry t.reg:4");
    assert_eq!(r.origins["message_limit_server"].set_by, "registry t.reg:7");
}

#[test]
fn malformed_registry_names_the_line_or_lists_what_it_ignored() {
    let err = parse_reg(b"Windows Registry Editor 5\r\n", "bad.reg").unwrap_err();
    assert_eq!(err.line, 1, "{err}");
    let bytes = reg(&format!(
        "[{SCH}]\r\n\"DisableClientExtendedMasterSecret\"=\"1\"\r\n"
    ));
    let err = schannel_settings(&parse_reg(&bytes, "t.reg").unwrap(), "t.reg").unwrap_err();
    assert_eq!(err.line, 4, "{err}");
    assert!(err.to_string().contains("expected dword"), "{err}");
    let bytes = reg(&format!(
        "[{SCH}\\Ciphers\\RC4 128/128]\r\n\"Enabled\"=dword:00000000\r\n\
         [{SCH}\\Messaging]\r\n\"MessageLimitClient\"=dword:00010000\r\n"
    ));
    let overlay = schannel_settings(&parse_reg(&bytes, "t.reg").unwrap(), "t.reg").unwrap();
    let mut r = resolve("win2019").unwrap();
    r.apply_registry(&overlay, "t.reg").unwrap();
    assert_eq!(r.ignored.len(), 1, "{:?}", r.ignored);
    assert_eq!(r.ignored[0].1, 4);
    assert!(r.ignored[0].0.contains("RC4"));
    assert_eq!(r.profile.message_limit_client, Some(0x10000));
}

#[test]
fn unknown_name_suggests() {
    let err = load("win2012-r2").unwrap_err();
    assert!(
        err.contains("did you mean") && err.contains("win2012r2"),
        "{err}"
    );
    assert_eq!(load("server2012r2").unwrap(), {
        let mut p = load("win2012r2").unwrap();
        p.name = "server2012r2".into();
        p
    });
}

fn only_suite(mut p: Profile, s: u16) -> Profile {
    p.client_suites = vec![CipherSuite(s)];
    p
}

#[test]
fn kb4557473_server_2012r2_client_vs_server_2019_sql_server() {
    let client = only_suite(load("win2012r2").unwrap(), 0x009F);
    let server = load("win2019-sqlserver").unwrap();
    let (seed, run): (u64, Run) = (0..3000)
        .map(|s| (s, Pair::new(client.clone(), server.clone(), s).connect()))
        .find(|(_, r)| !r.outcome.ok())
        .expect("a failure within 3000 seeds");
    let o = &run.outcome;
    assert_eq!(
        o.mechanism.map(Mechanism::as_str),
        Some("dh-premaster-zeros"),
        "{o:#?}"
    );
    assert_eq!(o.detected_by, Some(Side::Server), "{o:#?}");
    assert_eq!(o.close, Some(Close::Fin), "{o:#?}");
    assert_eq!(o.alert.map(|a| a.to_u8()), None, "{o:#?}");
    assert_eq!(
        o.suite.as_deref(),
        Some("TLS_DHE_RSA_WITH_AES_256_GCM_SHA384")
    );
    // The same seed between two fixed peers succeeds.
    let fixed = only_suite(load("win2019").unwrap(), 0x009F);
    assert!(Pair::new(fixed, server, seed).connect().outcome.ok());
}

#[test]
fn oct_2019_windows_client_refuses_to_resume_with_openssl_102() {
    let server = load("openssl-1.0.2").unwrap();
    let mut pair = Pair::new(load("win2012r2@2019-10-08").unwrap(), server.clone(), 7);
    let first = pair.connect();
    assert!(first.outcome.ok(), "{:#?}", first.outcome);
    assert!(!first.outcome.ems);
    let second = pair.connect();
    assert!(second.outcome.ok(), "{:#?}", second.outcome);
    assert_eq!(second.outcome.handshake, HandshakeKind::ResumeRefused);
    // A month earlier the same client resumed.
    let mut pair = Pair::new(load("win2012r2@2019-09-30").unwrap(), server, 7);
    assert!(pair.connect().outcome.ok());
    assert_eq!(pair.connect().outcome.handshake, HandshakeKind::Resumed);
}

#[test]
fn elb_tls_1_2_2017_01_rejects_dhe_only_curl() {
    // curl --cipher DHE-RSA-AES128-SHA (OpenSSL) against the ELB policy.
    let client = only_suite(load("openssl-1.1.1").unwrap(), 0x0033);
    let run = Pair::new(client, load("elb-tls-1-2-2017-01").unwrap(), 1).connect();
    let o = &run.outcome;
    assert_eq!(o.outcome, Status::Failed, "{o:#?}");
    assert_eq!(
        o.mechanism.map(Mechanism::as_str),
        Some("no-shared-cipher"),
        "{o:#?}"
    );
    assert_eq!(o.detected_by, Some(Side::Server), "{o:#?}");
    assert_eq!(o.alert.map(|a| a.to_u8()), Some(40), "{o:#?}");
}

// ---- issue 12: names, dates, overlays and files are checked where they are read ----

#[test]
fn a_builtin_profile_with_a_date_or_kb_says_it_has_no_timeline() {
    for spec in ["rfc-strict@2019-10-08", "keep-zeros+KB4537806"] {
        let err = load(spec).unwrap_err();
        assert!(
            err.contains("built-in profile without a patch timeline"),
            "{spec}: {err}"
        );
        assert!(
            err.contains("@date and +KB apply to Windows builds"),
            "{err}"
        );
        assert!(err.contains("win2012r2"), "{err}");
        assert!(!err.contains("did you mean"), "{err}");
    }
}

#[test]
fn a_date_before_the_build_was_released_is_refused() {
    let err = load("win2012r2@1900-01-01").unwrap_err();
    assert!(
        err.contains("2013-10-18") && err.contains("before"),
        "{err}"
    );
    assert!(load("win2012r2@2013-10-17").is_err());
    load("win2012r2@2013-10-18").expect("the release day itself");
    let err = load("win11@2020-01-01").unwrap_err();
    assert!(err.contains("2021-08-18"), "{err}");
    // Every build has a release date with its source.
    for e in catalogue().entries.iter().filter(|e| e.build) {
        let d = e
            .released
            .as_deref()
            .unwrap_or_else(|| panic!("{}", e.name));
        assert!(
            e.released_source
                .as_deref()
                .is_some_and(|s| s.contains("learn.microsoft.com")),
            "{}",
            e.name
        );
        load(&format!("{}@{d}", e.name)).unwrap_or_else(|m| panic!("{m}"));
    }
}

#[test]
fn impossible_dates_are_refused() {
    for (d, want) in [
        ("2019-02-30", "February 2019 has 28 days"),
        ("2019-02-29", "February 2019 has 28 days"),
        ("2019-13-01", "month 13"),
        ("2019-04-31", "April 2019 has 30 days"),
        ("2019-00-10", "month 0"),
        ("2019-1-01", "YYYY-MM-DD"),
    ] {
        let err = load(&format!("win2012r2@{d}")).unwrap_err();
        assert!(err.contains(want), "{d}: {err}");
    }
    load("win2012r2@2020-02-29").expect("a leap day");
}

#[test]
fn every_catalogue_and_builtin_profile_passes_validation() {
    for name in catalogue::catalogue_names() {
        let p = load(&name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(p.validate(), Vec::<(String, String)>::new(), "{name}");
    }
}

#[test]
fn profile_validate_names_each_field() {
    let fields = |p: Profile| -> Vec<String> { p.validate().into_iter().map(|e| e.0).collect() };
    let ok = Profile::default();
    assert!(ok.validate().is_empty());
    assert_eq!(
        fields(Profile {
            cert_chain: vec![1 << 24],
            max_fragment: 0,
            message_limit_client: Some(1 << 24),
            ..Profile::default()
        }),
        ["cert_chain", "max_fragment", "message_limit_client"]
    );
    assert_eq!(
        fields(Profile {
            server_name: Some("a".repeat(70_000)),
            ..Profile::default()
        }),
        ["server_name"]
    );
    assert_eq!(
        fields(Profile {
            dh_exponent_bits: 1_000_000,
            ..Profile::default()
        }),
        ["dh_exponent_bits"]
    );
    // The exponent is bounded by the group the profile serves.
    let small = Profile {
        dh_group: tlsim::crypto::GroupId::Oakley2,
        dh_exponent_bits: 1500,
        ..Profile::default()
    };
    assert_eq!(fields(small), ["dh_exponent_bits"]);
    // A client whose versions can use none of its suites.
    let gcm_tls10 = Profile {
        client_versions: vec![tlsim::profile::TlsVersion::Tls10],
        client_suites: vec![CipherSuite(0x009C)],
        ..Profile::default()
    };
    assert!(
        fields(gcm_tls10.clone()).is_empty(),
        "a server-only use is fine"
    );
    let client_fields: Vec<String> = gcm_tls10
        .client_issues()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(client_fields, ["client_suites"]);
}

fn utf16le(s: &str) -> Vec<u8> {
    let mut v = vec![0xFF, 0xFE];
    for u in s.encode_utf16() {
        v.extend_from_slice(&u.to_le_bytes());
    }
    v
}

#[test]
fn text_files_are_read_as_utf8_or_utf16_with_bom() {
    use tlsim::profile::decode_text;
    let text = "Name\r\n----\r\nTLS_RSA_WITH_AES_128_CBC_SHA\r\n";
    assert_eq!(
        decode_text(&utf16le(text), "o.txt").unwrap(),
        "Name\n----\nTLS_RSA_WITH_AES_128_CBC_SHA\n"
    );
    let mut be = vec![0xFE, 0xFF];
    for u in text.encode_utf16() {
        be.extend_from_slice(&u.to_be_bytes());
    }
    assert_eq!(
        decode_text(&be, "o.txt").unwrap(),
        decode_text(text.as_bytes(), "o.txt").unwrap()
    );
    let e = decode_text(b"ok\nstill ok\n\xff\xfe\xfd", "x.txt").unwrap_err();
    assert!(e.starts_with("x.txt:3:"), "{e}");
    let e = decode_text(&[0xFF, 0xFE, 0x41], "odd.txt").unwrap_err();
    assert!(e.contains("UTF-16") && e.contains("odd.txt"), "{e}");
    // An unpaired surrogate on line 2.
    let mut bad = utf16le("a\n");
    bad.extend_from_slice(&0xD800u16.to_le_bytes());
    let e = decode_text(&bad, "s.txt").unwrap_err();
    assert!(e.starts_with("s.txt:2:"), "{e}");
}

#[test]
fn a_utf16_cipher_order_file_parses_and_an_empty_one_is_refused() {
    use tlsim::profile::{decode_text, parse_cipher_order};
    let text = decode_text(
        &utf16le("\r\nName\r\n----\r\nTLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\r\n"),
        "order.txt",
    )
    .unwrap();
    let o = parse_cipher_order(&text, "order.txt").unwrap();
    assert_eq!(o.suites, vec![CipherSuite(0xC02F)]);
    let e = parse_cipher_order("Name\n----\n", "empty.txt").unwrap_err();
    assert!(e.to_string().contains("no cipher suite"), "{e}");
    // Only TLS 1.3 suites: since issue 16 they are an order of their own (tls13_suites);
    // only the CCM pair, which tlsim does not model, leaves nothing.
    let o = parse_cipher_order("Name\n----\nTLS_AES_128_GCM_SHA256\n", "tls13.txt").unwrap();
    assert!(o.suites.is_empty() && o.tls13_suites.len() == 1);
    let e = parse_cipher_order("Name\n----\nTLS_AES_128_CCM_SHA256\n", "ccm.txt").unwrap_err();
    assert!(e.to_string().contains("no cipher suite"), "{e}");
    let e = parse_cipher_order("AES128-SHA\n!AES128-SHA\n", "gone.txt").unwrap_err();
    assert!(e.to_string().starts_with("gone.txt:2:"), "{e}");
}

#[test]
fn a_profile_file_is_decoded_and_validated() {
    let dir = std::env::temp_dir().join(format!("tlsim-cat-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.toml");
    std::fs::write(&good, utf16le("name = \"g\"\r\nems_offer = false\r\n")).unwrap();
    let p = load(good.to_str().unwrap()).unwrap();
    assert!(!p.ems_offer);
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "name = \"b\"\nmax_fragment = 20000\n").unwrap();
    let e = load(bad.to_str().unwrap()).unwrap_err();
    assert!(e.contains("max_fragment") && e.contains("16384"), "{e}");
    assert!(
        e.contains("bad.toml:2:16: max_fragment"),
        "the knob's line: {e}"
    );
}

#[test]
fn a_registry_overlay_that_breaks_a_wire_limit_is_refused_with_its_line() {
    let bytes = reg(&format!(
        "[{SCH}\\Messaging]\r\n\"MessageLimitClient\"=dword:ffffffff\r\n"
    ));
    let overlay = schannel_settings(&parse_reg(&bytes, "t.reg").unwrap(), "t.reg").unwrap();
    let mut r = resolve("win2019").unwrap();
    let e = r.apply_registry(&overlay, "t.reg").unwrap_err();
    assert!(
        e.contains("message_limit_client") && e.contains("t.reg:4"),
        "{e}"
    );
}

/// Every catalogue entry that enables TLS 1.3 in a role says where each of its TLS 1.3 knobs
/// comes from, defaults included: a TLS 1.3 knob left at tlsim's default is a claim too.
#[test]
fn every_tls13_knob_of_a_tls13_entry_has_a_source() {
    let cat = catalogue();
    let mut tls13_entries = 0;
    for e in cat.entries.iter().filter(|e| !e.is_abstract) {
        let r = cat.resolve(&e.name).expect("resolves");
        if !(r.profile.tls13(true) || r.profile.tls13(false)) {
            continue;
        }
        tls13_entries += 1;
        let rows = catalogue::knob_rows(&r);
        let tls13_knobs: Vec<_> = rows
            .iter()
            .filter(|k| k.knob.starts_with("tls13_"))
            .collect();
        assert_eq!(tls13_knobs.len(), 12, "the twelve TLS 1.3 knobs of Profile");
        for row in tls13_knobs {
            let source = row.origin.as_ref().map(|o| o.source.trim()).unwrap_or("");
            assert!(!source.is_empty(), "{}: {} has no source", e.name, row.knob);
        }
        for v in ["client_versions", "server_versions"] {
            let row = rows.iter().find(|k| k.knob == v).expect(v);
            if row.value.to_string().contains("tls1.3") {
                let src = row.origin.as_ref().map(|o| o.source.as_str()).unwrap_or("");
                assert!(
                    !src.is_empty(),
                    "{}: {v} enables TLS 1.3 without a source",
                    e.name
                );
                assert!(
                    !src.contains("not negotiated by this engine"),
                    "{}: {v}: {src}",
                    e.name
                );
            }
        }
    }
    assert!(
        tls13_entries >= 10,
        "{tls13_entries} entries enable TLS 1.3"
    );
}

/// Issue 16's catalogue: which builds enable TLS 1.3 and how each encodes the TLS 1.3
/// FFDHE secret.
#[test]
fn tls13_in_the_catalogue_follows_the_vendors() {
    use tlsim::profile::{Tls13FfdheZ, Tls13Group};
    let p = |n: &str| load(n).unwrap_or_else(|e| panic!("{n}: {e}"));
    for n in [
        "win2022",
        "win11",
        "openssl-1.1.1",
        "openssl-3.0",
        "java-11",
        "java-17",
    ] {
        assert!(p(n).tls13(true) && p(n).tls13(false), "{n} enables TLS 1.3");
    }
    for n in [
        "win2012r2",
        "win2016",
        "win2019",
        "win10-1903",
        "openssl-1.0.2",
        "java-8u161",
    ] {
        assert!(
            !p(n).tls13(true) && !p(n).tls13(false),
            "{n} has no TLS 1.3"
        );
    }
    assert!(p("elb-tls13-1-2-2021-06").tls13(false));
    assert!(!p("elb-tls-1-2-2017-01").tls13(false));
    assert_eq!(
        p("elb-tls13-1-3-2021-06").server_versions,
        vec![tlsim::profile::TlsVersion::Tls13]
    );
    for n in ["java-11", "java-17", "java-21"] {
        assert_eq!(p(n).tls13_ffdhe_z, Tls13FfdheZ::Strip, "{n}: JDK-8328046");
    }
    for n in ["java-26", "openssl-3.0", "gnutls-3.7", "win2022"] {
        assert_eq!(p(n).tls13_ffdhe_z, Tls13FfdheZ::Pad, "{n}");
    }
    // FFDHE in TLS 1.3: OpenSSL 3 and Java offer it, OpenSSL 1.1.1 and Schannel do not.
    for (n, ffdhe) in [
        ("openssl-3.0", true),
        ("java-17", true),
        ("openssl-1.1.1", false),
        ("win2022", false),
    ] {
        assert_eq!(
            p(n).tls13_groups.contains(&Tls13Group::Ffdhe2048),
            ffdhe,
            "{n}"
        );
    }
    assert_eq!(p("openssl-3.0").tls13_key_shares, vec![Tls13Group::X25519]);
    assert_eq!(p("openssl-3.0").tls13_tickets, 2);
}

/// `Protocols\TLS 1.3\{Client,Server}` keys follow Microsoft Learn "TLS registry settings"
/// as the other versions do: each role is its own key, `Enabled=0` turns the version off,
/// and `DisabledByDefault=1` keeps it off for applications that do not ask for it by name
/// (tlsim's peers never do); `Enabled=1` with `DisabledByDefault=0` turns it on.
#[test]
fn registry_tls13_keys_act_per_role_like_the_other_versions() {
    use tlsim::profile::TlsVersion::*;
    let apply = |build: &str, body: String| {
        let bytes = reg(&body);
        let o = schannel_settings(&parse_reg(&bytes, "t.reg").unwrap(), "t.reg").unwrap();
        assert!(o.ignored.is_empty(), "{:?}", o.ignored);
        let mut p = load(build).unwrap();
        let changed = apply_registry(&mut p, &o);
        (p, changed)
    };
    let (p, changed) = apply(
        "win2022",
        format!("[{SCH}\\Protocols\\TLS 1.3\\Client]\r\n\"DisabledByDefault\"=dword:00000001\r\n"),
    );
    assert_eq!(changed, ["client_versions"]);
    assert_eq!(p.client_versions, vec![Tls10, Tls11, Tls12]);
    assert!(p.tls13(false), "the Server key is another key");
    let (p, _) = apply(
        "win2022",
        format!("[{SCH}\\Protocols\\TLS 1.3\\Server]\r\n\"Enabled\"=dword:00000000\r\n"),
    );
    assert!(!p.tls13(false) && p.tls13(true));
    let (p, changed) = apply(
        "win2019",
        format!(
            "[{SCH}\\Protocols\\TLS 1.3\\Client]\r\n\"Enabled\"=dword:00000001\r\n\
             \"DisabledByDefault\"=dword:00000000\r\n"
        ),
    );
    assert_eq!(changed, ["client_versions"]);
    assert!(p.tls13(true) && !p.tls13(false));
}

/// A cipher-order file's TLS 1.3 suites become the profile's `tls13_suites`, in the file's
/// order; its TLS 1.2 suites the TLS 1.2 lists (issue 16: they were skipped before).
#[test]
fn cipher_order_tls13_suites_apply_in_their_order() {
    use tlsim::crypto::tls13::Tls13Suite;
    let order = tlsim::profile::parse_cipher_order(
        "Name\n----\nTLS_AES_128_GCM_SHA256\nTLS_AES_256_GCM_SHA384\n\
         TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n",
        "o.txt",
    )
    .unwrap();
    let mut r = resolve("win2022").unwrap();
    r.apply_cipher_order(&order, "o.txt").unwrap();
    assert_eq!(
        r.profile.tls13_suites,
        vec![Tls13Suite::Aes128GcmSha256, Tls13Suite::Aes256GcmSha384]
    );
    assert_eq!(r.profile.client_suites, vec![CipherSuite(0xC02F)]);
    assert_eq!(r.origins["tls13_suites"].set_by, "cipher-order o.txt");
    assert!(r.ignored.is_empty(), "{:?}", r.ignored);
}
