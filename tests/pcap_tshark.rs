//! The pcap export dissects cleanly in Wireshark's tshark: no malformed packets, no expert
//! errors, the expected TLS message sequence, the extended_master_secret extension (23) in
//! ClientHello and ServerHello when negotiated, and the alert or FIN at the end of a
//! failing connection. Skipped (with a message) when tshark is not installed; with
//! `TLSIM_INSTALL_TSHARK=1` as root it runs `apt-get install -y tshark` first.

use std::path::{Path, PathBuf};
use std::process::Command;
use tlsim::engine::{HandshakeKind, Pair, Run};
use tlsim::profile::builtin;
use tlsim::report::pcap::capture;

fn have_tshark() -> bool {
    Command::new("tshark").arg("--version").output().is_ok()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn tshark_available() -> bool {
    if have_tshark() {
        return true;
    }
    if std::env::var("TLSIM_INSTALL_TSHARK").as_deref() == Ok("1") && is_root() {
        let _ = Command::new("apt-get").arg("update").status();
        let _ = Command::new("apt-get")
            .args(["install", "-y", "tshark"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status();
        return have_tshark();
    }
    false
}

fn tshark(file: &Path, args: &[&str]) -> String {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(file)
        .args(args)
        .output()
        .expect("tshark runs");
    assert!(
        out.status.success(),
        "tshark {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn write(name: &str, runs: &[Run]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tlsim-pcap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, capture(runs, 443)).unwrap();
    path
}

/// Per frame: (handshake types, extension types, alert descriptions, TCP flags).
fn fields(file: &Path) -> Vec<[String; 4]> {
    tshark(
        file,
        &[
            "-T",
            "fields",
            "-E",
            "separator=|",
            "-e",
            "tls.handshake.type",
            "-e",
            "tls.handshake.extension.type",
            "-e",
            "tls.alert_message.desc",
            "-e",
            "tcp.flags.str",
        ],
    )
    .lines()
    .map(|l| {
        let mut p = l.split('|').map(str::to_string);
        std::array::from_fn(|_| p.next().unwrap_or_default())
    })
    .collect()
}

/// Every dissection check that applies to any capture; returns the handshake types in
/// order (the TLS message sequence).
fn check_clean(file: &Path) -> Vec<u32> {
    let v = tshark(file, &["-V"]);
    assert!(!v.contains("Malformed Packet"), "malformed packet:\n{v}");
    assert!(
        !v.contains("BER Error"),
        "a certificate did not dissect:\n{v}"
    );
    let expert = tshark(file, &["-q", "-z", "expert"]);
    assert!(!expert.contains("Errors ("), "expert errors:\n{expert}");
    assert!(!expert.contains("Malformed"), "malformed:\n{expert}");
    for bad in [
        "checksum",
        "Previous segment",
        "ACKed unseen",
        "retransmission",
        "Out-Of-Order",
    ] {
        assert!(
            !expert.to_lowercase().contains(&bad.to_lowercase()),
            "tshark expert info mentions {bad}:\n{expert}"
        );
    }
    // Checksums verified, not just present.
    let ck = tshark(
        file,
        &[
            "-o",
            "tcp.check_checksum:TRUE",
            "-o",
            "ip.check_checksum:TRUE",
            "-T",
            "fields",
            "-e",
            "ip.checksum.status",
            "-e",
            "tcp.checksum.status",
        ],
    );
    for l in ck.lines() {
        assert_eq!(
            l.trim(),
            "1\t1",
            "IPv4 / TCP checksum status (1 = good): {ck}"
        );
    }
    fields(file)
        .iter()
        .flat_map(|f| {
            f[0].split(',')
                .filter(|s| !s.is_empty())
                .map(|s| s.parse::<u32>().unwrap())
                .collect::<Vec<_>>()
        })
        .collect()
}

fn prof(n: &str) -> tlsim::profile::Profile {
    builtin(n).unwrap()
}

#[test]
fn pcaps_dissect_cleanly_in_tshark() {
    if !tshark_available() {
        println!("skipped: tshark not found (apt-get install tshark)");
        return;
    }
    // A full DHE handshake with EMS, then a resumed one.
    let mut pair = Pair::new(prof("strip-zeros"), prof("strip-zeros"), 3);
    let full = pair.connect();
    let resumed = pair.connect();
    assert!(full.outcome.ok() && full.outcome.ems);
    assert_eq!(resumed.outcome.handshake, HandshakeKind::Resumed);
    let f = write("full.pcap", std::slice::from_ref(&full));
    let types = check_clean(&f);
    // ClientHello, ServerHello, Certificate, ServerKeyExchange, ServerHelloDone,
    // ClientKeyExchange; the Finished messages are encrypted records tshark cannot read
    // without the key log (tests/pcap_decrypt.rs reads them with it).
    assert_eq!(&types[..6], &[1, 2, 11, 12, 14, 16], "{types:?}");
    let rows = fields(&f);
    let ext = |ht: &str| {
        rows.iter()
            .find(|r| r[0].split(',').next() == Some(ht))
            .map(|r| r[1].split(',').map(str::to_string).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    assert!(ext("1").contains(&"23".to_string()), "EMS in ClientHello");
    assert!(ext("2").contains(&"23".to_string()), "EMS in ServerHello");
    // ChangeCipherSpec from both sides.
    let ccs = tshark(&f, &["-Y", "tls.record.content_type == 20"]);
    assert_eq!(ccs.lines().count(), 2, "{ccs}");

    let both = write("resumed.pcap", &[full.clone(), resumed]);
    let types = check_clean(&both);
    // The second connection: ClientHello, ServerHello, then (abbreviated) no Certificate
    // or key exchange.
    let second = types
        .iter()
        .rposition(|&t| t == 1)
        .expect("a second ClientHello");
    assert_eq!(&types[second..second + 2], &[1, 2], "{types:?}");
    assert!(
        types[second..].iter().all(|t| ![11, 12, 16].contains(t)),
        "{types:?}"
    );
    let syns = tshark(&both, &["-Y", "tcp.flags.syn == 1 && tcp.flags.ack == 0"]);
    assert_eq!(syns.lines().count(), 2, "two TCP connections");
    let resumption = tshark(&both, &["-q", "-z", "expert"]);
    assert!(resumption.contains("Session resumption"), "{resumption}");

    // A failing DHE connection: keep-zeros client, strip-zeros server.
    let (c, s) = (prof("keep-zeros"), prof("strip-zeros"));
    let fail = (0..3000)
        .map(|seed| Pair::new(c.clone(), s.clone(), seed).connect())
        .find(|r| !r.outcome.ok())
        .expect("a failing seed");
    let f = write("failed.pcap", std::slice::from_ref(&fail));
    let types = check_clean(&f);
    assert_eq!(&types[..6], &[1, 2, 11, 12, 14, 16], "{types:?}");
    let rows = fields(&f);
    let alert_row = rows
        .iter()
        .position(|r| !r[2].is_empty())
        .expect("an alert frame");
    assert_eq!(rows[alert_row][2], "20", "bad_record_mac");
    assert!(
        rows[alert_row + 1..].iter().any(|r| r[3].contains('F')),
        "a FIN after the alert: {rows:?}"
    );

    // KB4557473: the server closes with a FIN and no alert.
    let (_, _, kb) = tlsim::report::demo::kb4557473_run().unwrap();
    let f = write("kb4557473.pcap", std::slice::from_ref(&kb));
    check_clean(&f);
    let rows = fields(&f);
    assert!(rows.iter().all(|r| r[2].is_empty()), "no alert: {rows:?}");
    assert!(rows.iter().any(|r| r[3].contains('F')), "a FIN: {rows:?}");
}

/// The TLS handshake types at the start of a TDS packet's data: the records before the
/// first ChangeCipherSpec (content type 20), each a handshake record (22) whose messages
/// are read in turn.
fn handshake_types_in(data: &[u8]) -> Vec<u8> {
    let mut out = vec![];
    let mut rec = data;
    while rec.len() >= 5 && rec[0] == 22 {
        let len = usize::from(u16::from_be_bytes([rec[3], rec[4]]));
        let Some(body) = rec.get(5..5 + len) else {
            break;
        };
        let mut m = body;
        while m.len() >= 4 {
            out.push(m[0]);
            let n = usize::from(m[1]) << 16 | usize::from(m[2]) << 8 | usize::from(m[3]);
            m = m.get(4 + n..).unwrap_or(&[]);
        }
        rec = &rec[5 + len..];
    }
    out
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

/// KB4557473's scenario (`app_protocol = "tds"`): tshark dissects the capture as TDS on
/// port 1433 with no malformed packet and no unknown packet type; the PRELOGIN exchange
/// (type 0x12 from the client, 0x04 response) comes first, then the TLS handshake
/// flights travel as the data of TDS PRELOGIN packets (ClientHello; ServerHello,
/// Certificate, ServerKeyExchange, ServerHelloDone; ClientKeyExchange), each flight one
/// TDS packet. Over plain TLS each flight is one TCP send: the client's
/// ClientKeyExchange, ChangeCipherSpec and Finished in one segment.
#[test]
fn kb4557473_pcap_is_tds_prelogin_around_tls() {
    if !tshark_available() {
        println!("skipped: tshark not found (apt-get install tshark)");
        return;
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/kb4557473-sqlserver.toml");
    let sc = tlsim::scenario::Scenario::load(&path).unwrap();
    let mut fleet = sc.fleet.clone();
    fleet.record = true;
    assert_eq!(fleet.servers[0].app_protocol, tlsim::net::AppProtocol::Tds);
    let records = tlsim::net::run_fleet(&fleet).unwrap();
    let dir = std::env::temp_dir().join(format!("tlsim-pcap-tds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("kb4557473.pcap");
    let first: Vec<_> = records.iter().take(3).cloned().collect();
    std::fs::write(&f, tlsim::report::pcap::capture_fleet(&fleet, &first)).unwrap();
    let v = tshark(&f, &["-V"]);
    assert!(v.contains("Tabular Data Stream"), "dissected as TDS");
    assert!(!v.contains("Malformed Packet"), "malformed packet:\n{v}");
    assert!(!v.contains("Unknown Packet Type"), "unknown TDS type:\n{v}");
    let expert = tshark(&f, &["-q", "-z", "expert"]);
    assert!(!expert.contains("Errors ("), "expert errors:\n{expert}");
    let rows: Vec<(u16, u8, Vec<u8>)> = tshark(
        &f,
        &[
            "-Y",
            "tds",
            "-T",
            "fields",
            "-e",
            "tcp.srcport",
            "-e",
            "tds.type",
            "-e",
            "data.data",
        ],
    )
    .lines()
    .map(|l| {
        let mut p = l.split('\t');
        let port = p.next().unwrap_or("").parse().unwrap();
        let ty = p.next().unwrap_or("").parse().unwrap();
        (port, ty, hex(p.next().unwrap_or("")))
    })
    .collect();
    // Per connection: PRELOGIN, its response, then the handshake in PRELOGIN packets.
    let conn: Vec<_> = rows
        .iter()
        .take_while(|r| r.0 == 49152 || r.0 == 1433)
        .collect();
    assert_eq!((conn[0].0, conn[0].1), (49152, 0x12), "{conn:?}");
    assert_eq!((conn[1].0, conn[1].1), (1433, 0x04), "{conn:?}");
    assert!(conn[2..].iter().all(|r| r.1 == 0x12), "{conn:?}");
    let types: Vec<Vec<u8>> = conn[2..].iter().map(|r| handshake_types_in(&r.2)).collect();
    assert_eq!(
        &types[..3],
        &[vec![1], vec![2, 11, 12, 14], vec![16]],
        "{types:?}"
    );
    assert!(
        conn[4].2.windows(6).any(|w| w == [20, 3, 3, 0, 1, 1]),
        "CCS in the client's last flight"
    );

    // Plain TLS: the client's last flight in one segment.
    let mut pair = Pair::new(prof("strip-zeros"), prof("strip-zeros"), 3);
    let full = pair.connect();
    let t = write("flight.pcap", std::slice::from_ref(&full));
    let ct = tshark(&t, &["-T", "fields", "-e", "tls.record.content_type"]);
    assert!(
        ct.lines().any(|l| l.trim() == "22,20,22"),
        "one segment per flight:\n{ct}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `app_protocol` takes "tls" or "tds"; anything else is one error at its line and column.
#[test]
fn app_protocol_knob_is_validated_at_its_position() {
    let text = "[[server]]\nhost = \"sql\"\nport = 1433\nprofile = \"win2019-sqlserver\"\napp_protocol = \"tdss\"\n";
    let e = tlsim::scenario::Scenario::parse(text, "x.toml", "x", None).unwrap_err();
    assert_eq!((e.line, e.column), (5, 16), "{e:?}");
    assert!(
        e.message.contains("tds") && e.message.contains("tls"),
        "{}",
        e.message
    );
    // The shipped KB4557473 scenario sets it (kb4557473_pcap_is_tds_prelogin_around_tls);
    // a scenario that does not say is plain TLS.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/m1-dh-premaster-zeros.toml");
    let sc = tlsim::scenario::Scenario::load(&path).unwrap();
    assert_eq!(
        sc.fleet.servers[0].app_protocol,
        tlsim::net::AppProtocol::Tls
    );
}
