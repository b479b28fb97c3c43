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
    // ClientKeyExchange; the Finished messages are protected records tshark cannot read.
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
    // The second connection: ClientHello, ServerHello only in the clear.
    assert_eq!(&types[types.len() - 2..], &[1, 2], "{types:?}");
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
