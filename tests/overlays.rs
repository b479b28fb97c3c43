//! Overlays everywhere: `.reg` exports and cipher orders named by scenario peers or given
//! over a loaded scenario, profile files over a catalogue base, and every text input in
//! UTF-16LE with its byte-order mark.

use std::path::{Path, PathBuf};
use tlsim::profile::{OverlayFile, OverlayKind};
use tlsim::scenario::{PeerOverlay, PeerSelector, Scenario};

const SCH: &str = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL";

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

fn utf16le(s: &str) -> Vec<u8> {
    let mut v = vec![0xFF, 0xFE];
    for u in s.replace('\n', "\r\n").encode_utf16() {
        v.extend_from_slice(&u.to_le_bytes());
    }
    v
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tlsim-ov-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

const SCENARIO: &str = r#"description = "overlays"
seed = 7

[[server]]
host = "sql"
port = 1433
profile = "win2019-sqlserver"

[[client]]
host = "app"
profile = "app.json"
registry = "disable-dhe.reg"
cipher_order = "order.txt"
connections = 3
targets = ["sql:1433"]
"#;

#[test]
fn utf16le_inputs_of_every_kind_load_relative_to_the_scenario() {
    let dir = temp_dir("u16");
    // A profile file over a catalogue base (JSON), a .reg export, a cipher order and the
    // scenario itself, all UTF-16LE with a BOM and CRLF, as Windows tools write them.
    std::fs::write(
        dir.join("app.json"),
        utf16le(
            "{\n  \"base\": \"win2012r2@2019-10-08\",\n  \"name\": \"app\",\n  \"premaster_leading_zeros\": \"strip\"\n}\n",
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("disable-dhe.reg"),
        utf16le(&format!(
            "Windows Registry Editor Version 5.00\n\n[{SCH}\\KeyExchangeAlgorithms\\Diffie-Hellman]\n\"Enabled\"=dword:00000000\n\n[{SCH}\\Hashes\\MD5]\n\"Enabled\"=dword:00000000\n"
        )),
    )
    .unwrap();
    std::fs::write(
        dir.join("order.txt"),
        utf16le("\nName\n----\nTLS_DHE_RSA_WITH_AES_256_GCM_SHA384\nTLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384\nTLS_AES_256_GCM_SHA384\n\n"),
    )
    .unwrap();
    std::fs::write(dir.join("s.toml"), utf16le(SCENARIO)).unwrap();
    let sc = Scenario::load(&dir.join("s.toml")).unwrap_or_else(|e| panic!("{e}"));
    let client = &sc.fleet.clients[0].profile;
    // The cipher order came after the registry: its DHE suite is back.
    assert_eq!(
        client
            .client_suites
            .iter()
            .map(|s| s.name())
            .collect::<Vec<_>>(),
        [
            "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"
        ]
    );
    assert_eq!(
        client.premaster_leading_zeros,
        tlsim::profile::LeadingZeros::Strip
    );
    assert_eq!(
        sc.windows_builds.clients,
        vec![Some("win2012r2".to_string())]
    );
    assert_eq!(sc.windows_builds.servers, vec![Some("win2019".to_string())]);
    assert_eq!(sc.overlays.len(), 2);
    assert!(sc.overlays.iter().all(|o| !o.command_line));
    let notes = sc.overlay_notes().join("\n");
    assert!(
        notes.contains("Hashes\\MD5\\Enabled: not modelled"),
        "{notes}"
    );
    // The TLS 1.3 suite on line 6 is applied now (issue 16), into tls13_suites.
    assert!(notes.contains("tls13_suites"), "{notes}");
    assert!(notes.contains("(scenario file)"), "{notes}");
    // The overlays' contents identify the study: another .reg, another identity.
    let identity = sc.overlay_identity();
    assert!(identity.contains("registry"), "{identity}");
    std::fs::write(
        dir.join("disable-dhe.reg"),
        utf16le(&format!(
            "Windows Registry Editor Version 5.00\n\n[{SCH}\\KeyExchangeAlgorithms\\Diffie-Hellman]\n\"Enabled\"=dword:00000001\n"
        )),
    )
    .unwrap();
    let again = Scenario::load(&dir.join("s.toml")).unwrap();
    assert_ne!(again.overlay_identity(), identity);
    assert_eq!(again.name, sc.name);
}

#[test]
fn scenario_overlay_errors_name_the_field_and_the_overlay_line() {
    let dir = temp_dir("err");
    std::fs::write(dir.join("app.json"), "{\"base\": \"win2012r2\"}").unwrap();
    std::fs::write(
        dir.join("order.txt"),
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n",
    )
    .unwrap();
    let missing = Scenario::parse(SCENARIO, "s.toml", "s", Some(&dir))
        .expect_err("no .reg")
        .to_string();
    assert!(missing.starts_with("s.toml:12:12: registry: "), "{missing}");
    assert!(missing.contains("disable-dhe.reg"), "{missing}");
    std::fs::write(
        dir.join("disable-dhe.reg"),
        format!("Windows Registry Editor Version 5.00\n\n[{SCH}]\n\"DisableClientExtendedMasterSecret\"=\"yes\"\n"),
    )
    .unwrap();
    let bad = Scenario::parse(SCENARIO, "s.toml", "s", Some(&dir))
        .expect_err("a string for a dword")
        .to_string();
    assert!(bad.starts_with("s.toml:12:12: registry: "), "{bad}");
    assert!(bad.contains("disable-dhe.reg:4: "), "{bad}");
    std::fs::write(
        dir.join("disable-dhe.reg"),
        "Windows Registry Editor Version 5.00\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("order.txt"),
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA265\n",
    )
    .unwrap();
    let typo = Scenario::parse(SCENARIO, "s.toml", "s", Some(&dir))
        .expect_err("a typo")
        .to_string();
    assert!(typo.starts_with("s.toml:13:16: cipher_order: "), "{typo}");
    assert!(
        typo.contains("order.txt:1: ") && typo.contains("did you mean"),
        "{typo}"
    );
    // A profile file's unknown base: the profile file's own position and a suggestion.
    std::fs::write(dir.join("app.json"), "{\"base\": \"win2012r3\"}").unwrap();
    let base = Scenario::parse(SCENARIO, "s.toml", "s", Some(&dir))
        .expect_err("unknown base")
        .to_string();
    assert!(base.starts_with("s.toml:11:11: profile: "), "{base}");
    assert!(base.contains("app.json:1:10: base: "), "{base}");
    assert!(base.contains("did you mean win2012r2"), "{base}");
}

fn load(kind: OverlayKind, name: &str) -> OverlayFile {
    let p = examples().join(name);
    OverlayFile::load(kind, &p, name).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn command_line_overlays_select_windows_peers_by_default() {
    let sc = Scenario::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/october-2019-fleet.toml"),
    )
    .unwrap();
    assert!(sc.overlays.is_empty());
    assert_eq!(sc.overlay_identity(), "");
    assert_eq!(sc.with_overlays(&[]).unwrap().name, sc.name);
    let reg = load(OverlayKind::Registry, "schannel-disable-dhe.reg");
    let dhe = |p: &tlsim::profile::Profile| {
        p.client_suites
            .iter()
            .chain(&p.server_suites)
            .any(|s| s.info().is_some_and(|i| i.is_dhe()))
    };
    let all = sc
        .with_overlays(&[PeerOverlay {
            peers: PeerSelector::Windows,
            overlay: reg.clone(),
        }])
        .unwrap();
    assert!(
        all.name.starts_with("october-2019-fleet+overlays-"),
        "{}",
        all.name
    );
    assert_eq!(tlsim::scenario::base_name(&all.name), "october-2019-fleet");
    for (s, before) in all.fleet.servers.iter().zip(&sc.fleet.servers) {
        // The Windows server loses DHE; OpenSSL, the ELB and FileZilla keep theirs.
        let windows = s.profile.name.starts_with("win");
        assert_eq!(
            dhe(&s.profile),
            !windows && dhe(&before.profile),
            "{}",
            s.label
        );
    }
    assert!(all.fleet.clients.iter().all(|c| !dhe(&c.profile)));
    assert!(!all.overlay_identity().is_empty());
    // One host only.
    let one = sc
        .with_overlays(&[PeerOverlay {
            peers: PeerSelector::Named("sqlapp".into()),
            overlay: reg.clone(),
        }])
        .unwrap();
    assert_eq!(one.overlays.len(), 1);
    assert_ne!(one.name, all.name);
    // A selector that matches nothing, and a scenario without Windows peers.
    let e = sc
        .with_overlays(&[PeerOverlay {
            peers: PeerSelector::Named("nosuch".into()),
            overlay: reg.clone(),
        }])
        .unwrap_err();
    assert!(e.contains("no peer") && e.contains("host sqlapp"), "{e}");
    let m1 = Scenario::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/m1-dh-premaster-zeros.toml"),
    )
    .unwrap();
    let e = m1
        .with_overlays(&[PeerOverlay {
            peers: PeerSelector::Windows,
            overlay: reg.clone(),
        }])
        .unwrap_err();
    assert!(
        e.contains("no peer whose profile is a Windows build"),
        "{e}"
    );
    // M1's client offers DHE only: the registry would leave it nothing, which is refused.
    let e = m1
        .with_overlays(&[PeerOverlay {
            peers: PeerSelector::Clients,
            overlay: reg,
        }])
        .unwrap_err();
    assert!(e.contains("could not connect at all"), "{e}");
}

#[test]
fn peer_selector_splits_only_a_peer_prefix() {
    assert_eq!(
        PeerSelector::split("client=a.reg"),
        (PeerSelector::Clients, "a.reg")
    );
    assert_eq!(
        PeerSelector::split("sqlapp=dir/a=b.reg"),
        (PeerSelector::Named("sqlapp".into()), "dir/a=b.reg")
    );
    assert_eq!(
        PeerSelector::split("dir/a=b.reg"),
        (PeerSelector::Windows, "dir/a=b.reg")
    );
    assert_eq!(
        PeerSelector::split("a.reg"),
        (PeerSelector::Windows, "a.reg")
    );
}

#[test]
fn shipped_examples_parse_in_utf16le() {
    for name in [
        "schannel-disable-dhe.reg",
        "schannel-enable-ems.reg",
        "Get-TlsCipherSuite-no-dhe.txt",
    ] {
        let bytes = std::fs::read(examples().join(name)).unwrap();
        assert_eq!(&bytes[..2], &[0xFF, 0xFE], "{name}: UTF-16LE with its BOM");
    }
    let order = load(OverlayKind::CipherOrder, "Get-TlsCipherSuite-no-dhe.txt");
    let mut r = tlsim::profile::resolve("win2016@2019-10-08").unwrap();
    let effect = order.apply(&mut r).unwrap();
    assert!(effect.changed.contains(&"client_suites".to_string()));
    assert!(r
        .profile
        .client_suites
        .iter()
        .all(|s| !s.info().is_some_and(|i| i.is_dhe())));
    // ECDSA suites stay in the client's offer, not in an RSA-certificate server's list.
    assert!(r
        .profile
        .client_suites
        .iter()
        .any(|s| s.name().contains("ECDSA")));
    assert!(r
        .profile
        .server_suites
        .iter()
        .all(|s| !s.name().contains("ECDSA")));
    assert!(effect.ignored.iter().any(|i| i.0.starts_with("TLS_PSK_")));
    let ems = load(OverlayKind::Registry, "schannel-enable-ems.reg");
    let mut off = tlsim::profile::resolve("win2012r2@2019-10-08").unwrap();
    off.profile.ems_offer = false;
    off.profile.ems_negotiate = false;
    let effect = ems.apply(&mut off).unwrap();
    assert!(off.profile.ems_offer && off.profile.ems_negotiate);
    assert_eq!(effect.changed, ["ems_negotiate", "ems_offer"]);
    assert!(effect.ignored.iter().any(|i| i.0.ends_with("EventLogging")));
}
