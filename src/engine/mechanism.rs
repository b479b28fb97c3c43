//! The mechanism ids: why a connection failed, one variant each. This enum is the only
//! definition of every id; JSON, snapshots, scenario `[expect]` tables and study shard files
//! spell them in kebab-case ([`Mechanism::as_str`]). Each variant says what happened, which
//! profile knob(s) decide it, the engine function where it is decided, and its primary source
//! (docs/field-facts.md gives the longer story, M1–M11). The classifier that names them is
//! [`crate::engine::classify()`].

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// Why a connection failed. Ordered by id (alphabetically), as the tables list them;
/// [`Mechanism::ALL`] is in the order the classifier tests them.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mechanism {
    /// Neither side reported an error, yet the handshake did not complete on both sides
    /// (in the bridge: the tlsim side never got going, e.g. the connect failed). No knob
    /// decides it: it names a gap in what was observed, not a behaviour. Decided in
    /// `engine::classify` (src/engine/classify.rs). Source: none (tlsim's own category).
    Incomplete,
    /// M1. Both sides computed the same DH shared secret Z, whose top byte was zero; one
    /// side stripped the leading zero byte from the pre-master secret and the other kept it,
    /// so the master secrets, and with them the Finished check, differ. Knobs:
    /// `premaster_leading_zeros` (strip / keep / keep-unless-ems, read through
    /// `Profile::premaster_encoding`) on each side; the server's `dh_group` /
    /// `dh_custom_prime` set how often Z starts with a zero byte. Decided in
    /// `Common::dh_premaster_for` (src/engine/conn.rs), called from
    /// `ClientHs::send_client_flight` (src/engine/conn/client.rs) and `ServerHs::on_client_kx`
    /// (src/engine/conn/server.rs); seen by the peer in `Common::check_finished`
    /// (src/engine/conn.rs) or the record MAC in `Connection::handle_record`
    /// (src/engine/conn.rs).
    /// Sources: RFC 5246 §8.1.2 ("Leading bytes of Z that contain all zero bits are
    /// stripped"), RFC 8446 §7.4.1 (TLS 1.3 pads), Microsoft KB4557473 "Applications
    /// experience forcibly closed TLS connection errors when connecting SQL Servers in
    /// Windows".
    DhPremasterZeros,
    /// One side derived an extended master secret (RFC 7627 §4) and the other did not, so
    /// the Finished check fails. Knobs: the client's `ems_offer`, the server's
    /// `ems_negotiate` (`Profile::negotiates_ems`). Decided where each side settles EMS:
    /// `ServerHs::on_client_hello` (src/engine/conn/server.rs) and `ClientHs::on_server_hello`
    /// (src/engine/conn/client.rs), into `Negotiated`; used in `Common::derive_master`
    /// (src/engine/conn.rs). Source: RFC 7627 §4 and §5.1.
    EmsMismatch,
    /// The Finished (or a protected record) did not verify and neither M1 nor EMS explains
    /// it: the two key schedules differ some other way. No single knob. Decided in
    /// `Common::check_finished` (src/engine/conn.rs) / `Connection::handle_record`
    /// (src/engine/conn.rs). Source: RFC 5246 §7.4.9 (Finished), §6.2.3 (record MAC).
    KeyMismatch,
    /// M2. The server sent its DH public value Ys shorter than p (minimal encoding, about one
    /// ServerKeyExchange in 256) and the client refuses short values (old Schannel clients:
    /// Internet Explorer 11 / WinINet on Windows 7 and 8.1). Knobs: the server's
    /// `public_value_encoding = "minimal"`, the client's `accepts_short_peer_public = false`
    /// (`Profile::public_encoding`, `Profile::accepts_short_public`). Decided in
    /// `Common::check_peer_public` (src/engine/conn.rs), called from `ClientHs::on_server_kx`
    /// (src/engine/conn/client.rs). Sources: openssl/openssl PR
    /// 1320 and PR 1350 (OpenSSL began zero-padding Ys for this), dotnet/corefx issues 7812
    /// and 31611.
    DhShortServerPublic,
    /// M3. The client sent its DH public value Yc shorter than p and the server refuses short
    /// values (IIS on Windows Server 2008 R2–2016, which answers with a TCP reset). Knobs: the
    /// client's `client_public_value_encoding` / `public_value_encoding = "minimal"`, the
    /// server's `server_accepts_short_peer_public` / `accepts_short_peer_public = false`,
    /// and its `server_fatal_close = "rst"`. Decided in `Common::check_peer_public`
    /// (src/engine/conn.rs), called from `ServerHs::on_client_kx`
    /// (src/engine/conn/server.rs). Sources: TLS-Attacker issues
    /// 47 and 50 (github.com/tls-attacker/TLS-Attacker), openssl/openssl PR 12331
    /// (OpenSSL 3.0 pads Yc for this).
    DhShortClientPublic,
    /// M7. A handshake message's header announced a length above the receiver's limit
    /// (Schannel's `MessageLimit*` for a message split across records, Java's cap for any
    /// message, or the longest body the message's structure allows), and the receiver refused
    /// it before reassembling it. Knobs: `message_limit_client`, `message_limit_server`,
    /// `message_limit_server_client_auth`, `max_handshake_message` on the receiver;
    /// `cert_chain`, `max_fragment` on the sender. Decided in `HeaderLimits::check`
    /// (src/engine/conn.rs), from `Connection::handle_record` (src/engine/conn.rs). Sources:
    /// Microsoft Learn
    /// "Transport Layer Security (TLS) registry settings" (Messaging keys), openjdk/jdk
    /// `sun/security/ssl/SSLConfiguration.java` (`jdk.tls.maxHandshakeMessageSize`).
    MessageTooLarge,
    /// M7 with a limit of 0: the receiver refuses any handshake message split across records,
    /// however small. Knobs: `message_limit_client` / `message_limit_server` /
    /// `message_limit_server_client_auth` = 0 on the receiver; `max_fragment` and
    /// `pack_handshake_messages` on the sender. Decided in `HeaderLimits::check`
    /// (src/engine/conn.rs). Source: Microsoft Learn
    /// "Transport Layer Security (TLS) registry settings", Messaging ("fragmented messages
    /// are not processed and will cause the TLS handshake to fail").
    FragmentedMessageRejected,
    /// M8. The server accepts none of the cipher suites the client offered (handshake_failure,
    /// alert 40). Knobs: the client's `client_suites`, the server's `server_suites`,
    /// `server_min_dh_bits` (drops DHE suites) and `curves`. Decided in
    /// `ServerHs::choose_suite` (src/engine/conn/server.rs), called from
    /// `ServerHs::on_client_hello` (src/engine/conn/server.rs). Sources: RFC 5246 §7.4.1.3
    /// and §7.2.2; AWS "Predefined
    /// SSL security policies for Classic Load Balancers" (policies without DHE).
    NoSharedCipher,
    /// M8. No protocol version is enabled on both sides (protocol_version, alert 70). Knobs:
    /// `client_versions`, `server_versions`. Decided in `ServerHs::on_client_hello`
    /// (src/engine/conn/server.rs) or `ClientHs::on_server_hello`
    /// (src/engine/conn/client.rs). Sources: RFC 5246
    /// Appendix E.1 and §7.2.2.
    NoSharedVersion,
    /// M9. The server's DH group is smaller than the client's minimum (insufficient_security,
    /// alert 71). Knobs: the client's `client_min_dh_bits`, the server's `dh_group` /
    /// `dh_custom_prime`. Decided in `ClientHs::on_server_kx` (src/engine/conn/client.rs).
    /// Sources: Microsoft Security Bulletin MS15-055 (clients
    /// refuse groups under 1024 bits), ssllabs/ssllabs-scan issue 128.
    DhGroupTooSmall,
    /// M4. A resumption broke an RFC 7627 §5.3 rule (the original session and the new hello
    /// disagree on EMS) and a side aborted. Knobs: `ems_resumption` (strict / oct2019 /
    /// legacy) on both sides, `ems_offer`, `ems_negotiate`. Decided in
    /// `ServerHs::ems_decision` (src/engine/conn/server.rs) and `ClientHs::on_server_hello`
    /// (src/engine/conn/client.rs). Sources: RFC 7627 §5.3;
    /// Microsoft KB4528489 "Transport Layer Security (TLS) connections might fail or timeout
    /// when connecting or attempting a resumption" (enforced from 8 October 2019,
    /// CVE-2019-1318).
    EmsResumeMismatch,
    /// M5. The server sent CertificateRequest in an abbreviated (resumed) handshake, where it
    /// does not belong; the client answered unexpected_message (alert 10). Knob: the server's
    /// `cert_request_on_resume`. Decided in `ServerHs::resume_session`
    /// (src/engine/conn/server.rs), refused by the client in `ClientHs::after_hello`
    /// (src/engine/conn/client.rs). Sources: Microsoft KB4528489 item 2; RFC 5246 §7.3;
    /// OpenSSL `ssl/statem/statem_clnt.c` (the client's unexpected_message).
    CertRequestOnResume,
    /// M10. The connection was reset (TCP RST) before the handshake completed, and no side
    /// found anything wrong itself. Knobs: the scenario's `[[fault]]` entries (a crashed
    /// host, a reset connection) and a server's listen `backlog` (a connection the accept
    /// queue has no room for is reset: `net::server::AcceptQueue::admit`, src/net/server.rs).
    /// Decided in `Connection::handle_close` (src/engine/conn.rs), fed by the fleet's network
    /// (`net`). Sources: network faults are configured, not taken from a stack; the backlog
    /// default and rule cite `listen(2)` and Microsoft's Winsock `listen` (see
    /// `net::DEFAULT_BACKLOG`).
    ConnectionReset,
    /// M10. The peer closed the connection (TCP FIN) before the handshake completed, and no
    /// side found anything wrong itself (in the bridge: the real peer closed without an
    /// alert). Knobs: the scenario's `[[fault]]` entries. Decided in
    /// `Connection::handle_close` (src/engine/conn.rs). Source: none beyond the scenario.
    ConnectionClosed,
    /// M10. A side's application gave up waiting for the peer: the network stalled, dropped
    /// or partitioned the connection. Knobs: the scenario's `[[fault]]` entries (partition,
    /// stall, loss) and the fleet's `timeout_ms`; the bridge's `Limits`; both become the
    /// engine's `Timeouts`. Decided in `Connection::handle_timeout` (src/engine/conn.rs)
    /// once the deadline `Connection::poll_timeout` (src/engine/conn.rs) reported has passed,
    /// called by the driver: `net::drive::deadline_passed` (src/net/drive.rs),
    /// `bridge::drive` (src/bridge/mod.rs). Source: none beyond the scenario.
    NetworkTimeout,
    /// A side rejected the handshake for a reason none of the above names (a decode error, a
    /// bad signature, an illegal parameter, an unsupported extension, an unexpected message
    /// other than M5, a record above its RFC 5246 §6.2 size limit), or rejected a record
    /// after the handshake completed (one that does not decrypt, an oversized or unexpected
    /// one). No single knob. Decided wherever the engine raises its
    /// `LocalError`; the alert comes from `engine::outcome::alert_for`. Source: RFC 5246
    /// §7.2.2.
    ProtocolError,
    /// M6. An FTPS data connection completed its TLS handshake without resuming the control
    /// connection's session, and the server, which requires that, refused the transfer on
    /// the control connection. Knobs: the server's `ftps_require_reuse` and
    /// `ftps_reuse_reply`; whether the client resumes: `client_resumes`, `ems_resumption`
    /// (an October 2019 Windows client never offers a non-EMS session), the server's
    /// `ems_negotiate`. Decided by the FTPS server's data-channel check in
    /// `net::server::serve` (src/net/server.rs) and named in `engine::classify`
    /// (`Context::FtpsDataRefused`). Sources: Microsoft KB4528489 item 3;
    /// robinrodricks/FluentFTP issues 1738, 1283 and 948; vsftpd.conf(5) `require_ssl_reuse`.
    FtpsDataNotResumed,
    /// After the handshake the peer asked to renegotiate (a ClientHello to a server, a
    /// HelloRequest to a client) and this side refused with a fatal handshake_failure (40).
    /// Knob: `renegotiation = "handshake-failure-fatal"` on the refusing side (the default,
    /// `no-renegotiation-warning`, answers with a warning and keeps the connection). Decided
    /// in `Common::refuse_renegotiation` (src/engine/conn.rs). Sources: RFC 5746 §4.2 and
    /// §4.4, RFC 5246 §7.2.2 (no_renegotiation is a warning).
    RenegotiationRefused,
    /// TLS 1.3: a TLS 1.3-capable client negotiated TLS 1.2 or lower and found the
    /// downgrade sentinel ("DOWNGRD" 01 / 00) in ServerHello.random, written by a server
    /// that enables TLS 1.3 but answered an older hello: something between them removed
    /// the client's TLS 1.3 offer (a middlebox rewriting the ClientHello, or an attacker).
    /// The client aborts with illegal_parameter. Knobs: `client_versions` / `server_versions`
    /// ("tls1.3" on both), the client's `tls13_downgrade_check`. Decided in
    /// `ClientHs::on_server_hello` (src/engine/conn/client.rs); the sentinel is written in
    /// `ServerHs::on_client_hello` (src/engine/conn/server.rs). Source: RFC 8446 §4.1.3.
    Tls13DowngradeDetected,
    /// TLS 1.3: the server answered with a HelloRetryRequest (none of the client's predicted
    /// key shares is in a group it accepts) and the client cannot send a second ClientHello.
    /// Knobs: the client's `tls13_key_shares` and `tls13_client_handles_hrr`, the server's
    /// `tls13_groups`. Decided in `tls13::switch` (src/engine/conn/tls13.rs). Source:
    /// RFC 8446 §4.1.4 (HelloRetryRequest), §4.2.8 (the key-share prediction).
    Tls13HrrUnsupported,
    /// TLS 1.3: no group the server accepts is in the client's supported_groups, so there
    /// is neither a key share to use nor one to ask for in a HelloRetryRequest; the server
    /// aborts with handshake_failure. Knobs: the client's `tls13_groups`, the server's
    /// `tls13_groups`. Decided in `tls13::switch` (src/engine/conn/tls13.rs). Source:
    /// RFC 8446 §4.1.1 ("If the server is unable to negotiate a supported set of
    /// parameters ... it MUST abort the handshake with either a handshake_failure or
    /// insufficient_security fatal alert").
    Tls13NoCommonGroup,
    /// TLS 1.3 on an RFC 7919 FFDHE group: Z had a leading zero byte (about one handshake in
    /// 256 on ffdhe2048, computed from p) and one side padded it to the length of p as RFC
    /// 8446 §7.4.1 requires while the other stripped it as TLS 1.2 does, so their handshake
    /// secrets differ and the first encrypted record (EncryptedExtensions) fails with
    /// bad_record_mac. Knob: `tls13_ffdhe_z` (`Profile::tls13_z_encoding`), with an FFDHE
    /// group in both sides' `tls13_groups`. Decided where the module computes the shared
    /// secret (`Kex::agree` in src/tls13/mod.rs) and detected by the record layer
    /// (src/crypto/record13.rs). Sources: openjdk/jdk PR 27343 (JDK-8328046, Java stripped
    /// the zeros), openssl/openssl issue 23728 (random bad_record_mac against OpenSSL).
    Tls13FfdheZMismatch,
    /// Bridge only: the handshake with the real peer completed but the application-data round
    /// trip did not. No knob. Decided in `engine::classify` (`Context::Bridge`) from what
    /// `bridge::drive` received. Source: none.
    AppData,
    /// Bridge only: the real peer sent a fatal alert that tlsim cannot attribute to a known
    /// mechanism from its own side's secrets. No knob. Decided in `engine::classify`
    /// (`Context::Bridge`). Source: RFC 5246 §7.2 (the alert itself).
    PeerAlert,
}

use Mechanism::*;

impl Mechanism {
    /// Every mechanism, in the order the classifier tests them: the in-memory pair's ids,
    /// then the FTPS data-channel refusal, then the bridge-only ids.
    pub const ALL: &'static [Mechanism] = &[
        Incomplete,
        DhPremasterZeros,
        EmsMismatch,
        KeyMismatch,
        DhShortServerPublic,
        DhShortClientPublic,
        MessageTooLarge,
        FragmentedMessageRejected,
        NoSharedCipher,
        NoSharedVersion,
        DhGroupTooSmall,
        EmsResumeMismatch,
        CertRequestOnResume,
        ConnectionReset,
        ConnectionClosed,
        NetworkTimeout,
        ProtocolError,
        RenegotiationRefused,
        Tls13DowngradeDetected,
        Tls13HrrUnsupported,
        Tls13NoCommonGroup,
        Tls13FfdheZMismatch,
        FtpsDataNotResumed,
        AppData,
        PeerAlert,
    ];

    /// The stable id, as JSON, tables and scenario files spell it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Incomplete => "incomplete",
            DhPremasterZeros => "dh-premaster-zeros",
            EmsMismatch => "ems-mismatch",
            KeyMismatch => "key-mismatch",
            DhShortServerPublic => "dh-short-server-public",
            DhShortClientPublic => "dh-short-client-public",
            MessageTooLarge => "message-too-large",
            FragmentedMessageRejected => "fragmented-message-rejected",
            NoSharedCipher => "no-shared-cipher",
            NoSharedVersion => "no-shared-version",
            DhGroupTooSmall => "dh-group-too-small",
            EmsResumeMismatch => "ems-resume-mismatch",
            CertRequestOnResume => "cert-request-on-resume",
            ConnectionReset => "connection-reset",
            ConnectionClosed => "connection-closed",
            NetworkTimeout => "network-timeout",
            ProtocolError => "protocol-error",
            RenegotiationRefused => "renegotiation-refused",
            Tls13DowngradeDetected => "tls13-downgrade-detected",
            Tls13HrrUnsupported => "tls13-hrr-unsupported",
            Tls13NoCommonGroup => "tls13-no-common-group",
            Tls13FfdheZMismatch => "tls13-ffdhe-z-mismatch",
            FtpsDataNotResumed => "ftps-data-not-resumed",
            AppData => "app-data",
            PeerAlert => "peer-alert",
        }
    }

    /// Only the socket bridge names it (a simulated peer's view is never one-sided).
    pub fn bridge_only(self) -> bool {
        matches!(self, AppData | PeerAlert)
    }

    /// The mechanisms simulated connections (the in-memory pair, the fleet) can show, in
    /// classifier order: what a scenario's `[expect]` may name.
    pub fn simulated() -> impl Iterator<Item = Mechanism> + Clone {
        Self::ALL.iter().copied().filter(|m| !m.bridge_only())
    }

    /// The mechanism a scenario's `[expect]` names: one of [`Mechanism::simulated`], or an
    /// error that lists them and suggests the closest.
    pub fn parse_simulated(name: &str) -> Result<Mechanism, String> {
        parse_among(name, Self::simulated())
    }
}

/// `name` as one of `among`, or "unknown mechanism …; did you mean …?; mechanisms: …".
fn parse_among(
    name: &str,
    among: impl Iterator<Item = Mechanism> + Clone,
) -> Result<Mechanism, String> {
    if let Some(m) = among.clone().find(|m| m.as_str() == name) {
        return Ok(m);
    }
    let hint = among
        .clone()
        .map(|m| (crate::text::edit_distance(name, m.as_str()), m.as_str()))
        .filter(|(d, _)| *d <= 3)
        .min()
        .map(|(_, m)| format!("; did you mean {m:?}?"))
        .unwrap_or_default();
    let list: Vec<&str> = among.map(Mechanism::as_str).collect();
    Err(format!(
        "unknown mechanism {name:?}{hint}; mechanisms: {}",
        list.join(", ")
    ))
}

impl FromStr for Mechanism {
    type Err = String;

    fn from_str(s: &str) -> Result<Mechanism, String> {
        parse_among(s, Self::ALL.iter().copied())
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// The id in quotes, as the `String` it replaces printed: error messages that list
/// mechanisms with `{:?}` read the same.
impl fmt::Debug for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// By id, so maps keyed by mechanism list them alphabetically, as tables always have.
impl Ord for Mechanism {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for Mechanism {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl serde::Serialize for Mechanism {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Mechanism {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Mechanism, D::Error> {
        d.deserialize_str(super::outcome::ParseVisitor::new("a mechanism id"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_is_listed_once_and_parses_back() {
        let mut ids: Vec<&str> = Mechanism::ALL.iter().map(|m| m.as_str()).collect();
        for m in Mechanism::ALL {
            assert_eq!(m.as_str().parse::<Mechanism>(), Ok(*m));
            assert_eq!(
                serde_json::to_string(m).unwrap(),
                format!("\"{}\"", m.as_str())
            );
            let back: Mechanism = serde_json::from_str(&format!("\"{m}\"")).unwrap();
            assert_eq!(back, *m);
        }
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), Mechanism::ALL.len());
        // as_str is an exhaustive match: a new variant missing from ALL fails here.
        assert_eq!(Mechanism::ALL.len(), 25);
    }

    #[test]
    fn unknown_ids_get_a_hint_and_the_list() {
        let e = "dh-premaster-zero".parse::<Mechanism>().unwrap_err();
        assert!(e.contains("did you mean \"dh-premaster-zeros\"?"), "{e}");
        assert!(e.contains(FtpsDataNotResumed.as_str()), "{e}");
        // A scenario cannot expect a bridge-only mechanism: not among those listed.
        let e = Mechanism::parse_simulated(PeerAlert.as_str()).unwrap_err();
        let list = e.split("; mechanisms: ").nth(1).unwrap_or_default();
        assert!(list.contains(NetworkTimeout.as_str()), "{e}");
        assert!(!list.contains(PeerAlert.as_str()), "{e}");
        assert!(serde_json::from_str::<Mechanism>("\"made-up\"").is_err());
    }

    /// Every function a variant's doc names as deciding it exists: a code span `Type::f` or
    /// `module::f` followed by a file "(src/…)" has `fn f` (and `impl Type`) in that file;
    /// one without a file has them in some file of `src/`.
    #[test]
    fn deciding_functions_exist() {
        fn sources(dir: &std::path::Path, out: &mut Vec<String>) {
            for e in std::fs::read_dir(dir).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    sources(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push(std::fs::read_to_string(&p).unwrap());
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut all = Vec::new();
        sources(&root.join("src"), &mut all);
        let docs: Vec<&str> = include_str!("mechanism.rs")
            .lines()
            .take_while(|l| !l.starts_with("use Mechanism::*"))
            .filter_map(|l| l.trim_start().strip_prefix("///"))
            .collect();
        let docs = docs.join(" ");
        let spans: Vec<&str> = docs.split('`').collect();
        let ident = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_');
        let mut checked = 0;
        for i in (1..spans.len()).step_by(2) {
            let segs: Vec<&str> = spans[i].split("::").collect();
            let Some((f, path)) = segs.split_last() else {
                continue;
            };
            if path.is_empty()
                || !segs.iter().all(|s| ident(s))
                || !f.starts_with(char::is_lowercase)
            {
                continue; // not a path, or a type or variant (`Context::Bridge`)
            }
            let ty = path.last().filter(|t| t.starts_with(char::is_uppercase));
            let file = spans[i + 1]
                .trim_start()
                .strip_prefix('(')
                .and_then(|t| t.split(')').next())
                .filter(|t| t.starts_with("src/"));
            let texts = match file {
                Some(f) => vec![std::fs::read_to_string(root.join(f))
                    .unwrap_or_else(|e| panic!("{}: {f}: {e}", spans[i]))],
                None => all.clone(),
            };
            let found = texts.iter().any(|t| {
                (t.contains(&format!("fn {f}(")) || t.contains(&format!("fn {f}<")))
                    && ty.is_none_or(|ty| {
                        t.contains(&format!("impl {ty} {{")) || t.contains(&format!(" for {ty} {{"))
                    })
            });
            assert!(found, "`{}` ({file:?}) names no function", spans[i]);
            checked += 1;
        }
        assert!(checked >= 30, "only {checked} function paths found");
    }

    #[test]
    fn maps_order_by_id() {
        let mut v = vec![NetworkTimeout, DhPremasterZeros, AppData];
        v.sort();
        assert_eq!(v, vec![AppData, DhPremasterZeros, NetworkTimeout]);
        assert_eq!(format!("{:<20}|", Incomplete), "incomplete          |");
        assert_eq!(format!("{:?}", vec![KeyMismatch]), "[\"key-mismatch\"]");
    }
}
