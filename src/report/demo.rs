//! Teaching demos: each runs real engine connections and narrates them step by step in
//! plain language. Every number and outcome in the narration comes from the run; the only
//! fixed text is what the RFCs, Microsoft's KB articles and the other primary sources of
//! docs/field-facts.md say.
//!
//! A demo writes to a [`Narrator`]: [`TextNarrator`] collects plain text (tests, snapshots);
//! the `tlsim demo` command adds pauses and colours on a terminal.

use super::explain::side_view;
use super::ladder::ladder;
use super::words::vendor_texts;
use crate::crypto::to_hex;
use crate::engine::{LocalError, LocalReport, Mechanism, Outcome, Pair, Run, Secret, Side};
use crate::profile::builtin::builtin;
use crate::profile::{load, EmsResumption, Profile, Stack, Tls13Group};
use crate::wire::{suite_by_name, AlertDescription};
use std::fmt::Write as _;

/// The demos: name and one-line description.
pub const DEMOS: &[(&str, &str)] = &[
    (
        "dhe-leading-zero",
        "M1: one connection in ~256 fails on TLS_DHE_* when one peer keeps Z's leading zero byte",
    ),
    (
        "ems-resumption",
        "M4: the RFC 7627 §5.3 resumption matrix, each cell a real resumption attempt",
    ),
    (
        "ftps-data-channel",
        "M6: an FTPS server refuses a data connection that does not resume the TLS session",
    ),
    (
        "message-limit",
        "M7: Schannel's MessageLimit rejects a large or fragmented handshake message",
    ),
    (
        // Named after the mechanism it shows.
        Mechanism::NoSharedCipher.as_str(),
        "M8: curl --cipher DHE-RSA-AES128-SHA against an AWS ELB TLS-1-2-2017-01 policy",
    ),
    (
        "kb4557473",
        "KB4557473: Server 2012 R2 client, SQL Server on Server 2019, \"forcibly closed\"",
    ),
    (
        "tls13-ffdhe",
        "TLS 1.3: Java 17 strips Z's leading zero where RFC 8446 pads it; OpenSSL 3 fails 1 in ~256",
    ),
];

/// Where a demo's narration goes.
pub trait Narrator {
    /// The title of a step.
    fn heading(&mut self, text: &str);
    /// A paragraph of narration.
    fn say(&mut self, text: &str);
    /// Preformatted text (a ladder, a table, hex).
    fn block(&mut self, text: &str);
    /// The end of a step: a terminal waits for Enter here.
    fn pause(&mut self);
}

/// Collects the narration as plain text; never pauses.
#[derive(Debug, Default, Clone)]
pub struct TextNarrator {
    pub out: String,
}

impl Narrator for TextNarrator {
    fn heading(&mut self, text: &str) {
        let _ = writeln!(self.out, "== {text} ==\n");
    }
    fn say(&mut self, text: &str) {
        let _ = writeln!(self.out, "{}\n", wrap(text, 92));
    }
    fn block(&mut self, text: &str) {
        let _ = writeln!(self.out, "{}", text.trim_end());
        let _ = writeln!(self.out);
    }
    fn pause(&mut self) {}
}

/// The narration for a terminal (`tlsim demo`): each piece goes to `out` as it comes,
/// paragraphs wrapped to 92 columns and blocks fitted to 100, headings and blocks coloured
/// (ANSI) when `colour`; `pause` is called at the end of each step.
pub struct Terminal<O: FnMut(&str), P: FnMut()> {
    pub colour: bool,
    pub out: O,
    pub pause: P,
}

impl<O: FnMut(&str), P: FnMut()> Narrator for Terminal<O, P> {
    fn heading(&mut self, text: &str) {
        (self.out)(&match self.colour {
            true => format!("\x1b[1;36m== {text} ==\x1b[0m\n\n"),
            false => format!("== {text} ==\n\n"),
        });
    }
    fn say(&mut self, text: &str) {
        (self.out)(&format!("{}\n\n", wrap(text, 92)));
    }
    fn block(&mut self, text: &str) {
        let text = super::table::fit(text.trim_end(), 100);
        (self.out)(&match self.colour {
            true => format!("\x1b[2m{text}\x1b[0m\n\n"),
            false => format!("{text}\n\n"),
        });
    }
    fn pause(&mut self) {
        (self.pause)();
    }
}

/// The list of demos `tlsim demo` prints.
pub fn list_text() -> String {
    let mut s = String::from("demos (run one with `tlsim demo NAME`):\n");
    for (n, d) in DEMOS {
        let _ = writeln!(s, "  {n:<18} {d}");
    }
    s
}

/// Word-wrap a paragraph at `width` columns.
pub fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = 0;
    for word in text.split_whitespace() {
        let n = word.chars().count();
        if line > 0 && line + 1 + n > width {
            out.push('\n');
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += n;
    }
    out
}

/// Knobs of a demo run.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct DemoOptions {
    /// How many connections the dhe-leading-zero demo runs to show the rate.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 10_000))]
    pub connections: u64,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            connections: 10_000,
        }
    }
}

/// Run demo `name` into `n`.
pub fn run(name: &str, n: &mut dyn Narrator, opts: DemoOptions) -> Result<(), String> {
    match name {
        "dhe-leading-zero" => dhe_leading_zero(n, opts.connections),
        "ems-resumption" => ems_resumption(n),
        "ftps-data-channel" => ftps_data_channel(n),
        "message-limit" => message_limit(n),
        m if m == Mechanism::NoSharedCipher.as_str() => no_shared_cipher(n),
        "kb4557473" => kb4557473(n),
        "tls13-ffdhe" => tls13_ffdhe(n, opts.connections),
        other => Err(format!(
            "unknown demo {other:?}; the demos are: {}",
            DEMOS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
        )),
    }
}

/// Run demo `name` and return its narration as plain text.
pub fn render(name: &str, opts: DemoOptions) -> Result<String, String> {
    let mut t = TextNarrator::default();
    run(name, &mut t, opts)?;
    Ok(t.out)
}

fn prof(name: &str) -> Result<Profile, String> {
    builtin(name)
        .map(Ok)
        .unwrap_or_else(|| load(name))
        .map_err(|e| format!("profile {name}: {e}"))
}

/// The first seed in `0..limit` whose first connection fails.
fn first_failure(client: &Profile, server: &Profile, limit: u64) -> Result<(u64, Run), String> {
    (0..limit)
        .map(|s| (s, Pair::new(client.clone(), server.clone(), s).connect()))
        .find(|(_, r)| !r.outcome.ok())
        .ok_or_else(|| format!("no failing connection in seeds 0..{limit}"))
}

/// What the peer of the detecting side made of its TLS 1.3 alert: read it, or could not
/// decrypt it (protected under keys the peer does not share, RFC 8446 §5; docs/tls13-alerts.md).
fn alert_fate(o: &Outcome) -> String {
    let (who, peer) = match o.detected_by {
        Some(Side::Client) => ("client", &o.server),
        Some(Side::Server) => ("server", &o.client),
        None => return String::new(),
    };
    let other = if who == "client" { "server" } else { "client" };
    if peer.alert_received.is_some() {
        format!(" The {other} reads it: the alert went out in plaintext.")
    } else if matches!(peer.error, Some(LocalError::BadRecordMac)) {
        format!(" The {who} protects its alert under its own handshake keys (RFC 8446 §5), which the {other} does not share: the {other} cannot decrypt the alert either and reports bad_record_mac itself.")
    } else {
        String::new()
    }
}

fn alert_text(a: Option<AlertDescription>) -> String {
    match a {
        Some(a) => format!("alert {} ({})", a.to_u8(), a.name()),
        None => "no alert".into(),
    }
}

fn hex_rows(bytes: &[u8], bytes_per_row: usize) -> Vec<String> {
    bytes.chunks(bytes_per_row).map(to_hex).collect()
}

fn secret_text(s: Option<&Secret>) -> String {
    s.map_or_else(|| "-".into(), Secret::to_string)
}

fn or_dash<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "-".into(), |v| v.to_string())
}

fn views(n: &mut dyn Narrator, o: &Outcome) {
    n.block(&format!(
        "client sees: {}\nserver sees: {}",
        wrap(&side_view(&o.client), 80).replace('\n', "\n             "),
        wrap(&side_view(&o.server), 80).replace('\n', "\n             ")
    ));
}

/// The same two reports in each stack's words (`report::words`): what an administrator of
/// a Windows, OpenSSL, Java, GnuTLS, NSS peer or of curl would read for this failure.
fn vocabularies(n: &mut dyn Narrator, o: &Outcome, intro: &str) {
    n.say(&format!("{intro}The same two reports, as the administrator of each real stack would read them (each text's source is in src/report/words/):"));
    let mut t = String::new();
    for stack in Stack::ALL.into_iter().filter(|s| *s != Stack::Generic) {
        for r in [&o.client, &o.server] {
            let r = LocalReport { stack, ..r.clone() };
            let texts = vendor_texts(&r)
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ");
            if !texts.is_empty() {
                let head = format!("{} {}:", stack, r.side.name());
                let _ = writeln!(
                    t,
                    "{head:<20} {}",
                    wrap(&texts, 72).replace('\n', "\n                     ")
                );
            }
        }
    }
    n.block(&t);
}

// ---------------------------------------------------------------- dhe-leading-zero

fn dhe_leading_zero(n: &mut dyn Narrator, connections: u64) -> Result<(), String> {
    let client = prof("keep-zeros")?;
    let server = prof("strip-zeros")?;
    let group = server.server_dh_group()?;
    n.heading("DHE and the leading zero byte of Z (M1)");
    n.say(&format!(
        "In a TLS_DHE_* handshake both peers compute the same shared secret Z = g^(xy) mod p on the {}-bit group {:?}. RFC 5246 §8.1.2 says: \"Leading bytes of Z that contain all zero bits are stripped before it is used as the pre_master_secret.\" The client here keeps them (profile keep-zeros), the server strips them (strip-zeros). We search seeds for the first connection where Z starts with a zero byte.",
        group.bits(),
        server.dh_group
    ));
    let (seed, run) = first_failure(&client, &server, 5000)?;
    let o = &run.outcome;
    n.say(&format!(
        "Seed {seed} is the first failing connection. Its ladder:"
    ));
    n.block(&ladder(&run.wire, o));
    n.pause();

    n.heading("The shared secret Z");
    let z = o.client.truth.z.clone().unwrap_or_default();
    let p_len = o.client.truth.p_len.unwrap_or(group.byte_len());
    let zeros = p_len.saturating_sub(z.len());
    let z_padded = [vec![0; zeros], z.0].concat();
    let rows = hex_rows(&z_padded, 32);
    n.say(&format!(
        "Both sides computed the same Z (client and server agree: {}). Written to the length of p ({p_len} bytes), it begins with {zeros} zero byte(s):",
        if o.client.truth.z == o.server.truth.z { "yes" } else { "no" },
    ));
    n.block(&format!(
        "Z = {}\n    {}\n    … ({} more rows of 32 bytes)",
        rows[0],
        rows[1],
        rows.len() - 2
    ));
    n.pause();

    n.heading("Two pre-master secrets");
    let cpm = o.client.truth.premaster.clone().unwrap_or_default();
    let spm = o.server.truth.premaster.clone().unwrap_or_default();
    n.say(&format!(
        "The client kept the zero: its pre-master secret is {} bytes. The server stripped it: {} bytes. Side by side, 16 bytes a row — the server's bytes are the client's shifted left by one:",
        cpm.len(),
        spm.len()
    ));
    let (cr, sr) = (hex_rows(cpm.as_bytes(), 16), hex_rows(spm.as_bytes(), 16));
    let mut t = format!("{:<34} {}\n", "client (kept)", "server (stripped)");
    for i in 0..3 {
        let _ = writeln!(
            t,
            "{:<34} {}",
            cr.get(i).map(String::as_str).unwrap_or(""),
            sr.get(i).map(String::as_str).unwrap_or("")
        );
    }
    let _ = writeln!(t, "{:<34} …", "…");
    let _ = writeln!(
        t,
        "{:<34} {}",
        cr.last().map(String::as_str).unwrap_or(""),
        sr.last().map(String::as_str).unwrap_or("")
    );
    n.block(&t);
    n.say("The master secret is the PRF of the pre-master secret (with the EMS session hash or the randoms), so one byte of difference changes all of it:");
    n.block(&format!(
        "client master: {}\nserver master: {}",
        secret_text(o.client.truth.master.as_ref()),
        secret_text(o.server.truth.master.as_ref())
    ));
    n.pause();

    n.heading("The Finished that fails");
    n.say(&format!(
        "The keys for the records after ChangeCipherSpec come from the master secret. The {} receives the peer's {} record, checks its MAC with keys from its own master secret, and fails: {} (connection ends with: {}). {}",
        o.detected_by.map(Side::name).unwrap_or("-"),
        or_dash(o.at),
        alert_text(o.alert),
        or_dash(o.close),
        o.explanation
    ));
    views(n, o);
    vocabularies(n, o, "The test profiles above speak only the RFC's words. ");
    n.pause();

    n.heading(&format!("{connections} connections"));
    let theory = group.leading_zero_probability();
    n.say(&format!(
        "How often does it happen? The probability that Z's top byte is zero is computed exactly from p: {:.6} (about 1 in {:.1}). Now {connections} fresh connections between the same two peers (no resumption, each with its own seed):",
        theory,
        1.0 / theory
    ));
    let mut c = client.clone();
    c.client_resumes = false;
    let mut pair = Pair::new(c, server.clone(), seed);
    let mut failed = 0u64;
    let mut other = 0u64;
    let mut t = String::new();
    let step = connections.div_ceil(10).max(1);
    for i in 1..=connections {
        let o = pair.connect().outcome;
        if !o.ok() {
            if o.mechanism == Some(Mechanism::DhPremasterZeros) {
                failed += 1;
            } else {
                other += 1;
            }
        }
        if i % step == 0 || i == connections {
            let _ = writeln!(
                t,
                "{i:>7} connections  {failed:>4} failed  rate {:.5}  (theory {:.5})",
                failed as f64 / i as f64,
                theory
            );
        }
    }
    n.block(&t);
    n.say(&format!(
        "{failed} of {connections} connections failed with dh-premaster-zeros{}: an observed rate of {:.5} against the theoretical {:.5}. Nothing rolled dice: each failure is a connection whose Z really began with a zero byte.",
        if other > 0 { format!(" ({other} others failed for other reasons)") } else { String::new() },
        failed as f64 / connections.max(1) as f64,
        theory
    ));
    Ok(())
}

// ---------------------------------------------------------------- tls13-ffdhe

/// `name` from the catalogue with TLS 1.3 on ffdhe2048 only, and no resumption (every
/// connection computes a fresh Z).
fn ffdhe13(name: &str) -> Result<Profile, String> {
    let mut p = prof(name)?;
    p.tls13_groups = vec![Tls13Group::Ffdhe2048];
    p.tls13_key_shares = vec![Tls13Group::Ffdhe2048];
    p.client_resumes = false;
    Ok(p)
}

fn z_rule(t: Option<&crate::engine::Tls13ZTruth>) -> &'static str {
    match t {
        Some(t) if t.stripped => "stripped it",
        Some(_) => "kept it (padded Z to the length of p)",
        None => "-",
    }
}

fn tls13_ffdhe(n: &mut dyn Narrator, connections: u64) -> Result<(), String> {
    let client = ffdhe13("java-17")?;
    let server = ffdhe13("openssl-3.0")?;
    let group = Tls13Group::Ffdhe2048
        .ffdhe()
        .ok_or("ffdhe2048 has no RFC 7919 group")?;
    n.heading("TLS 1.3 FFDHE: the same leading zero, the opposite rule");
    n.say(&format!(
        "TLS 1.2 strips the leading zero bytes of the DHE shared secret Z (RFC 5246 §8.1.2; the dhe-leading-zero demo). TLS 1.3 does the opposite: \"For finite field groups, the conventional Diffie-Hellman computation is performed. The resulting shared secret is used directly, but it is left-padded with zeros to the size of the prime\" (RFC 8446 §7.4.1). OpenSSL 3.0 pads. Java's TLS 1.3 stripped the zeros as in TLS 1.2 until JDK-8328046 (openjdk/jdk PR 27343, 2025), which openssl/openssl issue 23728 reported as random bad_record_mac. Here a Java 17 client and an OpenSSL 3.0 server, both limited to ffdhe2048 ({}-bit p), make fresh TLS 1.3 connections until one fails.",
        group.bits()
    ));
    let (seed, run) = first_failure(&client, &server, 5000)?;
    let o = &run.outcome;
    n.say(&format!(
        "Seed {seed} is the first failing connection ({}). Its ladder:",
        or_dash(o.version.as_deref())
    ));
    n.block(&ladder(&run.wire, o));
    n.pause();

    n.heading("One Z, two secrets");
    let (ct, st) = (
        o.client.truth.tls13_ffdhe_z.as_ref(),
        o.server.truth.tls13_ffdhe_z.as_ref(),
    );
    n.say(&format!(
        "Both sides computed the same Z from the key shares, and it began with a zero byte (client: {}, server: {}). The client {}; the server {}. Z is the input keying material of HKDF-Extract for the handshake secret (RFC 8446 §7.1), so one byte less changes the handshake traffic keys entirely. {} It sends {}.{}",
        ct.map_or("-", |t| if t.leading_zero { "yes" } else { "no" }),
        st.map_or("-", |t| if t.leading_zero { "yes" } else { "no" }),
        z_rule(ct),
        z_rule(st),
        match o.detected_by {
            Some(Side::Client) => "The server's EncryptedExtensions is the first record protected with them: the client cannot decrypt it (the AEAD tag check fails).",
            Some(Side::Server) => "The client's Finished is the first record the server opens with them: the server cannot decrypt it (the AEAD tag check fails).",
            None => "Neither side reported the failure.",
        },
        alert_text(o.alert),
        alert_fate(o),
    ));
    views(n, o);
    vocabularies(n, o, "");
    n.pause();

    n.heading(&format!("{connections} connections"));
    let theory = group.leading_zero_probability();
    n.say(&format!(
        "The rate is the TLS 1.2 one, computed exactly from p: {theory:.6} (about 1 in {:.1}). {connections} fresh connections between the same two peers:",
        1.0 / theory
    ));
    let mut pair = Pair::new(client.clone(), server.clone(), seed);
    let (mut failed, mut other) = (0u64, 0u64);
    for _ in 0..connections {
        let o = pair.connect().outcome;
        if o.mechanism == Some(Mechanism::Tls13FfdheZMismatch) {
            failed += 1;
        } else if !o.ok() {
            other += 1;
        }
    }
    n.block(&format!(
        "{connections:>7} connections  {failed:>4} failed  rate {:.5}  (theory {theory:.5})",
        failed as f64 / connections.max(1) as f64
    ));
    n.say(&format!(
        "{failed} of {connections} failed with tls13-ffdhe-z-mismatch{}. The fix is on either side: a Java with JDK-8328046 (catalogue java-26) pads as OpenSSL does, and an ECDHE group (x25519, secp256r1: every catalogue client predicts one) has no such choice to make.",
        if other > 0 { format!(" ({other} others failed for other reasons)") } else { String::new() },
    ));
    Ok(())
}

// ---------------------------------------------------------------- ems-resumption

fn rfc_rule(orig: bool, hello: bool) -> &'static str {
    match (orig, hello) {
        (true, true) => "resume",
        (true, false) => "MUST abort",
        (false, true) => "MUST NOT resume; SHOULD do a full handshake",
        (false, false) => "SHOULD abort (full handshake if legacy is allowed)",
    }
}

fn ems_resumption(n: &mut dyn Narrator) -> Result<(), String> {
    n.heading("Extended Master Secret and resumption (M4, RFC 7627 §5.3)");
    n.say("A client connects once (a full handshake, with or without the extended_master_secret extension), then comes back offering to resume that session — with or without EMS in the new ClientHello. RFC 7627 §5.3 tells the server what to do in each case; servers follow three policies: strict RFC 7627, legacy (resume anyway) and what Windows enforced from October 2019. Every cell below is a real pair of connections.");
    n.pause();
    let mut t = format!(
        "{:<9} {:<9} {:<8} {:<26} {}\n",
        "orig EMS", "hello EMS", "server", "outcome", "RFC 7627 §5.3 says"
    );
    for orig in [true, false] {
        for hello in [true, false] {
            for (policy, pname) in [
                (EmsResumption::Strict, "strict"),
                (EmsResumption::Oct2019, "oct-2019"),
                (EmsResumption::Legacy, "legacy"),
            ] {
                let mut c1 = prof("legacy-resume")?;
                c1.ems_offer = orig;
                let mut server = prof("rfc-strict")?;
                server.ems_resumption = policy;
                let mut pair = Pair::new(c1.clone(), server, 11);
                let first = pair.connect();
                if !first.outcome.ok() {
                    return Err(format!(
                        "first connection failed: {}",
                        first.outcome.explanation
                    ));
                }
                let mut c2 = c1;
                c2.ems_offer = hello;
                pair.client = std::sync::Arc::new(c2);
                let o = pair.connect().outcome;
                let got = match o.mechanism {
                    Some(m) => format!("{m} ({})", alert_text(o.alert)),
                    None => o.handshake.to_string(),
                };
                let _ = writeln!(
                    t,
                    "{:<9} {:<9} {:<8} {:<26} {}",
                    if orig { "yes" } else { "no" },
                    if hello { "yes" } else { "no" },
                    pname,
                    got,
                    rfc_rule(orig, hello)
                );
            }
        }
    }
    n.block(&t);
    n.say("\"resume-refused\" is a successful full handshake where a resumption was possible: KB4517389's extra CPU and latency. An abort is a failed connection the application sees. A Windows client after October 2019 will not even offer a non-EMS session, which is what breaks FTPS data channels (demo ftps-data-channel).");
    let mut pair = Pair::new(prof("oct2019-resume")?, prof("no-ems")?, 2);
    let a = pair.connect().outcome;
    let b = pair.connect().outcome;
    n.say(&format!(
        "Check: an oct2019-resume client against a no-ems server: first connection {} ({}), second {} ({}).",
        a.outcome, a.handshake, b.outcome, b.handshake
    ));
    Ok(())
}

// ---------------------------------------------------------------- ftps-data-channel

const FTPS_SCENARIO: &str = r#"
description = "the ftps-data-channel demo: FileZilla 1.x-like and 0.9-like servers without EMS"
seed = 6

[[server]]
host = "ftp"
port = 21
profile = "no-ems"
ftps = true
set = { ftps_require_reuse = true, ftps_reuse_reply = "425 Unable to build data connection: TLS session of data connection not resumed" }

[[client]]
host = "win"
profile = "oct2019-resume"
connections = 1
ftps_transfers = 1
targets = ["ftp:21"]

[[client]]
host = "legacy"
profile = "legacy-resume"
connections = 1
ftps_transfers = 1
targets = ["ftp:21"]
"#;

fn ftps_data_channel(n: &mut dyn Narrator) -> Result<(), String> {
    n.heading("FTPS data channels need session reuse (M6, KB4528489 item 3)");
    n.say("FTPS opens a TLS control connection, then a new TLS connection for every transfer. FileZilla Server, vsftpd (require_ssl_reuse) and ProFTPD refuse a data connection whose TLS session is not resumed from the control connection's. Here the server has no EMS (like FileZilla Server 0.9.60 with OpenSSL 1.0.2k); one client behaves like Windows after October 2019 (never resumes a non-EMS session), one is a legacy client. This runs on the simulated network:");
    let sc = crate::scenario::Scenario::parse(FTPS_SCENARIO, "ftps-demo", "ftps-demo", None)
        .map_err(|e| e.to_string())?;
    let records = crate::net::run_fleet(&sc.fleet)?;
    let mut t = String::new();
    for r in &records {
        let o = &r.outcome;
        let _ = writeln!(
            t,
            "{:<16} → {:<20} {:<13} {:<7} {:<15} {}",
            r.client,
            r.server,
            r.channel,
            o.outcome,
            o.handshake,
            r.ftp_reply.as_deref().unwrap_or("")
        );
    }
    n.block(&t);
    n.pause();
    if let Some(r) = records.iter().find(|r| r.ftp_reply.is_some()) {
        n.say(&format!(
            "The data connection's TLS handshake itself succeeded ({} handshake, EMS {}): nothing fails in TLS. The server then looked at whether the session was resumed, found it was not, and answered on the control connection: \"{}\". The client application shows that reply; the Windows TLS logs show nothing. FileZilla Server 0.9.x words the same refusal \"450 TLS session of data connection has not resumed\" (wording unverified, see docs/field-facts.md M6).",
            r.outcome.handshake,
            if r.outcome.ems { "yes" } else { "no" },
            r.ftp_reply.as_deref().unwrap_or("")
        ));
    }
    let legacy_ok = records
        .iter()
        .filter(|r| r.client.contains("legacy") && r.channel == crate::net::Channel::FtpsData)
        .all(|r| r.outcome.ok() && r.ftp_reply.is_none());
    n.say(&format!(
        "The legacy client resumes the non-EMS session and its transfer {}. Microsoft's workaround is to enable EMS on the server side (an FTP server built with an OpenSSL that supports it) so the Windows client may resume.",
        if legacy_ok { "goes through" } else { "also fails" }
    ));
    Ok(())
}

// ---------------------------------------------------------------- message-limit

fn message_limit(n: &mut dyn Narrator) -> Result<(), String> {
    n.heading("Handshake message size limits (M7, Schannel Messaging keys)");
    let server = prof("big-chain")?;
    let chain: usize = server.cert_chain.iter().sum();
    n.say(&format!(
        "Schannel caps the size of a handshake message it will reassemble: MessageLimitClient 0x8000 (32768) bytes by default. A server with a long certificate chain ({} certificates, {chain} bytes of certificates) sends a Certificate message bigger than that, split across records:",
        server.cert_chain.len()
    ));
    // The test profile has Schannel's limits; the demo's client stands for a Windows
    // client, so it speaks Schannel's words.
    let windows_client = Profile {
        stack: Stack::Schannel,
        ..prof("schannel-message-limits")?
    };
    let run = Pair::new(windows_client, server, 7).connect();
    n.block(&ladder(&run.wire, &run.outcome));
    views(n, &run.outcome);
    n.pause();
    let mut s = prof("rfc-strict")?;
    s.max_fragment = 1000;
    n.say("With MessageLimit 0, \"fragmented messages are not processed and will cause the TLS handshake to fail\": any handshake message split across records fails, however small. Here the server writes records of at most 1000 bytes:");
    let windows_client = Profile {
        stack: Stack::Schannel,
        ..prof("message-limit-0")?
    };
    let run = Pair::new(windows_client, s, 7).connect();
    n.block(&ladder(&run.wire, &run.outcome));
    views(n, &run.outcome);
    Ok(())
}

// ---------------------------------------------------------------- no-shared-cipher

fn no_shared_cipher(n: &mut dyn Narrator) -> Result<(), String> {
    n.heading("No shared cipher suite (M8)");
    let mut client = prof("rfc-strict")?;
    let suite = suite_by_name("DHE-RSA-AES128-SHA").ok_or("unknown suite DHE-RSA-AES128-SHA")?;
    client.client_suites = vec![suite.suite];
    // The client is the curl command line tool (on OpenSSL 3): it speaks curl's words.
    client.stack = Stack::Curl;
    n.say(&format!(
        "`curl --cipher DHE-RSA-AES128-SHA https://…` offers one suite, {} (0x{:04X}), to a load balancer with the AWS policy ELBSecurityPolicy-TLS-1-2-2017-01, which accepts no DHE suite:",
        suite.iana, suite.suite.0
    ));
    let run = Pair::new(client, prof("elb-tls-1-2-2017-01")?, 8).connect();
    let o = &run.outcome;
    n.block(&ladder(&run.wire, o));
    n.pause();
    if let Some(a) = o.alert {
        let name = a.name();
        n.say(&format!(
            "The {} answers the ClientHello with a fatal alert {}, {name}. curl shows OpenSSL's reason for it, \"sslv3 alert {}\", and exits with code 35 (CURLE_SSL_CONNECT_ERROR). A Windows client in curl's place would log Schannel event 36887 and get {}.",
            o.detected_by.map(Side::name).unwrap_or("-"),
            a.to_u8(),
            name.replace('_', " "),
            super::explain::sec_e_for_alert(a)
        ));
    }
    views(n, o);
    Ok(())
}

// ---------------------------------------------------------------- kb4557473

fn kb4557473(n: &mut dyn Narrator) -> Result<(), String> {
    n.heading("KB4557473: \"An existing connection was forcibly closed by the remote host\"");
    let (_, server, run) = kb4557473_run()?;
    let o = &run.outcome;
    let group = server.server_dh_group()?;
    n.say(&format!("An application on Windows Server 2012 R2 connects to SQL Server on Windows Server 2019. Its suite order puts TLS_DHE_RSA_WITH_AES_256_GCM_SHA384 (0x009F) first. Most connections work; on the server's {}-bit DH group Z begins with a zero byte with probability {:.5} (1 in {:.0}). We search seeds for the first failure and replay it message by message.", group.bits(), group.leading_zero_probability(), 1.0 / group.leading_zero_probability()));
    n.pause();
    for w in &run.wire {
        let who = w.from.name();
        let what = match w.close {
            Some(k) if w.bytes.is_empty() => format!(
                "the {who} closes the TCP connection ({}) — no TLS alert before it",
                format!("{k:?}").to_uppercase()
            ),
            _ => format!("the {who} sends {} ({} bytes)", w.summary, w.bytes.len()),
        };
        n.say(&format!("{:>4} ms  {what}", w.time_ms));
    }
    n.pause();
    n.heading("The ladder");
    n.block(&ladder(&run.wire, o));
    n.pause();
    n.heading("What each side's administrator sees");
    views(n, o);
    n.say(&format!(
        "The pre-master secrets: client {} bytes, server {} bytes. {} KB4557473 says unpatched computers \"may incorrectly compute the mac by not accounting for the padded zeros\"; which side keeps and which strips is a documented hypothesis here (docs/field-facts.md M1). The KB also reports Schannel event 36888 on the server for this failure, although no alert reaches the wire: the trace shows only the FIN.",
        o.client.truth.premaster.as_ref().map_or(0, Secret::len),
        o.server.truth.premaster.as_ref().map_or(0, Secret::len),
        o.explanation
    ));
    n.say("The fix is the update on the side that mishandles the zeros (KB4557473); the workaround is to take TLS_DHE_* suites out of the client's list (Disable-TlsCipherSuite, or the \"SSL Cipher Suite Order\" group policy), so that ECDHE — whose shared secret has a fixed length — is negotiated instead.");
    Ok(())
}

/// The first failing connection of the KB4557473 pair (client win2012r2 with the DHE
/// suites first and no resumption, server win2019-sqlserver): (client, server, run).
pub fn kb4557473_run() -> Result<(Profile, Profile, Run), String> {
    let mut client = prof("win2012r2")?;
    client.client_suites = [
        "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
    ]
    .iter()
    .filter_map(|s| suite_by_name(s).map(|i| i.suite))
    .collect();
    client.client_resumes = false;
    let server = prof("win2019-sqlserver")?;
    let (_, run) = first_failure(&client, &server, 5000)?;
    Ok((client, server, run))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_narration_is_coloured_only_when_asked() {
        for (colour, want) in [
            (false, "== A ==\n\nsome words\n\nx |  y\n\n"),
            (
                true,
                "\x1b[1;36m== A ==\x1b[0m\n\nsome words\n\n\x1b[2mx |  y\x1b[0m\n\n",
            ),
        ] {
            let (mut out, mut pauses) = (String::new(), 0);
            let mut t = Terminal {
                colour,
                out: |s: &str| out.push_str(s),
                pause: || pauses += 1,
            };
            t.heading("A");
            t.say("some   words");
            t.block("x |  y\n\n");
            t.pause();
            assert_eq!((out.as_str(), pauses), (want, 1));
        }
        assert!(list_text().starts_with("demos (run one with `tlsim demo NAME`):\n"));
        assert_eq!(list_text().lines().count(), DEMOS.len() + 1);
    }
}
