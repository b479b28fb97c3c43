//! The `Profile`: every behaviour difference between two TLS stacks, as one plain struct of
//! named knobs. The engine reads each knob at the one place it matters; the catalogue
//! ([`catalogue`]) builds profiles of real builds, with a primary source for every value
//! (docs/field-facts.md).
//!
//! Defaults are the RFC-compliant, modern behaviour (an OpenSSL 3-like peer), so a profile
//! that only sets the knobs where a real stack differs reads as a list of its quirks.

pub(crate) mod builtin;
pub mod catalogue;
pub(crate) mod cipher_order;
pub(crate) mod file;
pub(crate) mod overlay;
mod pair;
pub(crate) mod registry;
mod stack;
pub(crate) mod text;
pub(crate) mod validate;

pub use builtin::builtin;
pub use catalogue::{catalogue_names, resolve, Resolved, Role};
pub use file::{to_json, PROFILE_FORMAT};
pub use overlay::{
    apply_cipher_order, apply_files, apply_registry, notes_text, OverlayEffect, OverlayFile,
    OverlayKind,
};
pub use pair::PairSetup;
pub use stack::Stack;

pub use cipher_order::{parse_cipher_order, CipherOrder};
pub use registry::{
    key_matches, parse_reg, schannel_settings, RegData, RegError, RegFile, RegFormat, RegValue,
    SchannelOverlay, SchannelSetting,
};
pub use text::{decode_text, read_input_bytes, read_text, read_text_at, TextError};
pub use validate::{MAX_LIFETIME_SECS, MAX_SIMULATED_MS};

use crate::crypto::tls13::Tls13Suite;
use crate::crypto::{GroupId, PublicEncoding};
use crate::wire::{suite_by_name, CipherSuite, ProtocolVersion};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Loads a profile: a built-in test profile name, a catalogue name (`win2012r2`,
/// `win2012r2@2019-10-08`, `win2016+KB4537806`, `openssl-1.0.2`, …), or a profile file
/// (TOML or JSON, optionally over a `base`: [`file`]).
/// An unknown name gets a "did you mean" list.
pub fn load(spec: &str) -> Result<Profile, String> {
    resolve(spec).map(|r| r.profile)
}

/// A protocol version as written in profile files: "ssl3.0", "tls1.0", "tls1.1", "tls1.2",
/// "tls1.3".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TlsVersion {
    #[serde(rename = "ssl3.0")]
    Ssl30,
    #[serde(rename = "tls1.0")]
    Tls10,
    #[serde(rename = "tls1.1")]
    Tls11,
    #[serde(rename = "tls1.2")]
    Tls12,
    #[serde(rename = "tls1.3")]
    Tls13,
}

impl TlsVersion {
    pub const ALL: [TlsVersion; 5] = [
        Self::Ssl30,
        Self::Tls10,
        Self::Tls11,
        Self::Tls12,
        Self::Tls13,
    ];

    pub fn wire(self) -> ProtocolVersion {
        match self {
            Self::Ssl30 => ProtocolVersion::SSLv3,
            Self::Tls10 => ProtocolVersion::TLSv1_0,
            Self::Tls11 => ProtocolVersion::TLSv1_1,
            Self::Tls12 => ProtocolVersion::TLSv1_2,
            Self::Tls13 => ProtocolVersion::TLSv1_3,
        }
    }

    pub fn from_wire(v: ProtocolVersion) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.wire() == v)
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Ssl30 => "SSL 3.0",
            Self::Tls10 => "TLS 1.0",
            Self::Tls11 => "TLS 1.1",
            Self::Tls12 => "TLS 1.2",
            Self::Tls13 => "TLS 1.3",
        }
    }
}

/// A key-exchange group of TLS 1.3 (RFC 8446 §4.2.7), as written in profile files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tls13Group {
    X25519,
    Secp256r1,
    Secp384r1,
    /// The RFC 7919 finite-field groups.
    Ffdhe2048,
    Ffdhe3072,
    Ffdhe4096,
    Ffdhe6144,
    Ffdhe8192,
}

impl Tls13Group {
    pub fn wire(self) -> crate::wire::NamedGroup {
        use crate::wire::NamedGroup as N;
        match self {
            Self::X25519 => N::X25519,
            Self::Secp256r1 => N::Secp256r1,
            Self::Secp384r1 => N::Secp384r1,
            Self::Ffdhe2048 => N::Ffdhe2048,
            Self::Ffdhe3072 => N::Ffdhe3072,
            Self::Ffdhe4096 => N::Ffdhe4096,
            Self::Ffdhe6144 => N::Ffdhe6144,
            Self::Ffdhe8192 => N::Ffdhe8192,
        }
    }

    /// The RFC 7919 group of an FFDHE entry, None for the elliptic curves.
    pub fn ffdhe(self) -> Option<&'static crate::crypto::DhGroup> {
        let bits = match self {
            Self::Ffdhe2048 => 2048,
            Self::Ffdhe3072 => 3072,
            Self::Ffdhe4096 => 4096,
            Self::Ffdhe6144 => 6144,
            Self::Ffdhe8192 => 8192,
            _ => return None,
        };
        crate::crypto::rfc7919_group(bits)
    }
}

/// How a peer turns the TLS 1.3 FFDHE shared secret Z into the key schedule's input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tls13FfdheZ {
    /// RFC 8446 §7.4.1: "the shared secret ... is ... left-padded with zeros up to the size
    /// of the prime".
    Pad,
    /// Leading zero bytes removed, as in TLS 1.2: Java's TLS 1.3 before JDK-8328046
    /// (openjdk/jdk PR 27343), reported as random bad_record_mac against OpenSSL in
    /// openssl/openssl issue 23728.
    Strip,
}

/// What a TLS 1.3 server does with a plaintext alert record that arrives after its flight,
/// while it holds the client's handshake keys (an OpenSSL client's alert,
/// `tls13_client_plaintext_alerts`). Observed on 127.0.0.1: docs/tls13-alerts.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tls13PlaintextAlert {
    /// Reads it as the client's alert (OpenSSL: `ENC_READ_STATE_ALLOW_PLAIN_ALERTS`).
    Read,
    /// Refuses the record with unexpected_message (RFC 8446 §5: an unexpected record type;
    /// NSS, SSL_ERROR_RX_UNEXPECTED_RECORD_TYPE).
    UnexpectedMessage,
    /// Opens it as a protected record, fails, and sends bad_record_mac (GnuTLS: "Decryption
    /// has failed.").
    BadRecordMac,
    /// Opens it as a protected record, fails, and sends handshake_failure (JSSE: a
    /// BadPaddingException during the handshake).
    HandshakeFailure,
}

impl Tls13PlaintextAlert {
    /// The alert a refusing server sends; None for [`Tls13PlaintextAlert::Read`].
    pub fn refusal(self) -> Option<crate::wire::AlertDescription> {
        use crate::wire::AlertDescription as A;
        match self {
            Tls13PlaintextAlert::Read => None,
            Tls13PlaintextAlert::UnexpectedMessage => Some(A::UnexpectedMessage),
            Tls13PlaintextAlert::BadRecordMac => Some(A::BadRecordMac),
            Tls13PlaintextAlert::HandshakeFailure => Some(A::HandshakeFailure),
        }
    }
}

/// A `psk_key_exchange_modes` value (RFC 8446 §4.2.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PskMode {
    /// PSK-only key establishment.
    PskKe,
    /// PSK with (EC)DHE key establishment.
    PskDheKe,
}

/// How a peer turns the DH shared secret Z into the pre-master secret (mechanism M1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LeadingZeros {
    /// RFC 5246 §8.1.2: "Leading bytes of Z that contain all zero bits are stripped".
    /// OpenSSL 1.0.2–3.x, Java SunJSSE, BouncyCastle in TLS 1.2 (docs/field-facts.md, M1).
    Strip,
    /// Z left-padded to the length of p (as RFC 8446 §7.4.1 does for TLS 1.3).
    Keep,
    /// Keep the zeros only when EMS was not negotiated: one reading of KB4528489 item 1,
    /// modelled as a hypothesis (unverified: Microsoft does not say which side keeps).
    KeepUnlessEms,
}

/// RFC 7627 §5.3 resumption rules, as a peer applies them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EmsResumption {
    /// Every MUST and SHOULD of RFC 7627 §5.3: the client does not offer to resume a
    /// non-EMS session and aborts when the ServerHello's EMS status differs from the
    /// original session's; the server aborts when the original session had EMS and the
    /// ClientHello lacks it, does a full handshake when only the ClientHello has it, and
    /// aborts when neither has it.
    Strict,
    /// Pre-RFC 7627 behaviour (and Java's `allowLegacyResumption=true`): resume whatever
    /// the EMS status. Unsafe (triple handshake), but what unpatched stacks do.
    Legacy,
    /// The 8 Oct 2019 Windows updates (CVE-2019-1318, KB4519976 and siblings): EMS is
    /// enforced on resumption, but a non-EMS session is answered with a full handshake
    /// rather than an abort (KB4517389 notes the extra CPU of those full handshakes). The
    /// client does not offer to resume a non-EMS session; the MUST-abort cases still abort.
    Oct2019,
}

/// How a peer ends a connection it gives up on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FatalClose {
    /// Send the fatal alert RFC 5246 names, then close (FIN).
    Alert,
    /// Close the TCP connection (FIN) without an alert: SQL Server in the KB4557473 trace.
    Fin,
    /// Reset the TCP connection: IIS on a short client DH value (TLS-Attacker issues #47/#50).
    Rst,
}

/// What a peer does when asked to renegotiate after its handshake completed: a ClientHello
/// arriving at a server, or a HelloRequest arriving at a client. tlsim never renegotiates;
/// the knob says how it refuses. RFC 5246 §7.2.2: no_renegotiation (100) "is always a
/// warning" and leaves the requester to decide whether to go on; RFC 5746 §4.2 and §4.4
/// recommend refusing legacy renegotiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Renegotiation {
    /// Answer with a warning no_renegotiation (100) alert and keep the connection: what an
    /// OpenSSL 3.0 server does by default (openssl/openssl CHANGES.md, 3.0.0:
    /// "Client-initiated renegotiation is disabled by default", unless
    /// `SSL_OP_ALLOW_CLIENT_RENEGOTIATION`; observed with 3.0.19 `s_server` against
    /// `s_client`'s `R` command: `warning no_renegotiation`).
    NoRenegotiationWarning,
    /// End the connection with a fatal handshake_failure (40) alert, as RFC 5746 §4.2
    /// allows a client to answer an insecure HelloRequest, and as an OpenSSL client does
    /// when its own renegotiation is declined.
    HandshakeFailureFatal,
}

/// The behaviour knobs of one TLS stack as client and as server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Profile {
    /// Short name (`win2012r2`, `openssl-1.0.2`, …).
    pub name: String,
    /// One line for listings.
    pub summary: String,
    /// The implementation whose words the failure report uses (Schannel events for
    /// Windows, OpenSSL reasons, Java exceptions …); decides nothing in the handshake.
    pub stack: Stack,

    // ---- versions ----
    /// Versions enabled as a client (Schannel `Protocols\…\Client\Enabled`).
    pub client_versions: Vec<TlsVersion>,
    /// Versions enabled as a server (Schannel `Protocols\…\Server\Enabled`).
    pub server_versions: Vec<TlsVersion>,

    // ---- cipher suites ----
    /// Suites the client offers, in order (IANA names in files).
    #[serde(with = "suite_names")]
    pub client_suites: Vec<CipherSuite>,
    /// Suites the server accepts, in its preference order.
    #[serde(with = "suite_names")]
    pub server_suites: Vec<CipherSuite>,
    /// True: the server picks the first suite in the client's order that it accepts
    /// (OpenSSL's default without `SSL_OP_CIPHER_SERVER_PREFERENCE`). False: its own order
    /// (Schannel, ELB policies).
    pub server_honors_client_order: bool,
    /// Curves offered (client) and accepted (server), in preference order.
    pub curves: Vec<crate::crypto::Curve>,

    // ---- finite-field DH ----
    /// The group a server uses for DHE. Schannel before Windows 10: 1024-bit; Windows 10:
    /// 2048-bit (Microsoft Learn "TLS registry settings", Diffie-Hellman ServerMinKeyBitLength).
    pub dh_group: GroupId,
    /// A custom prime (hex) overriding `dh_group`, with generator 2: for groups no RFC
    /// names, e.g. the 768-bit group of MS15-055's Logjam era, or a sparse test prime.
    pub dh_custom_prime: Option<String>,
    /// Bits of the private exponent (0 = full length). OpenSSL uses ~225 bits for ffdhe2048.
    pub dh_exponent_bits: usize,
    /// Smallest DH group the client accepts (Schannel `ClientMinKeyBitLength`, 1024 after
    /// MS15-055, May 2015).
    pub client_min_dh_bits: usize,
    /// Smallest DH group a server will use for DHE suites (Schannel
    /// `ServerMinKeyBitLength`): below it the server does not select DHE suites.
    pub server_min_dh_bits: usize,
    /// How Z becomes the pre-master secret (M1).
    pub premaster_leading_zeros: LeadingZeros,
    /// How this peer writes its own public value Ys/Yc (M2/M3). OpenSSL 3 pads both
    /// (PR #12331); OpenSSL 1.1.1 pads Ys only (PR #1350).
    pub public_value_encoding: PublicEncoding,
    /// How this peer writes its public value as a client, if different from
    /// `public_value_encoding` (OpenSSL 1.0.2–1.1.1 pad Ys but send Yc minimal).
    pub client_public_value_encoding: Option<PublicEncoding>,
    /// Whether a peer public value shorter than p is accepted. Old Schannel clients (M2)
    /// and IIS on 2008 R2–2016 (M3) reject it.
    pub accepts_short_peer_public: bool,
    /// As a server, if different from `accepts_short_peer_public`: Windows 10 fixed the
    /// client side (M2) while IIS on Server 2016 still rejected a short Yc (M3).
    pub server_accepts_short_peer_public: Option<bool>,
    /// Seconds a server reuses its "ephemeral" DH/ECDH key pair across handshakes (0 = a
    /// fresh key every handshake). Schannel `EphemKeyReuseTime` (IIS); default lifetime
    /// unverified (M11). Clients always generate a fresh key: the sources (saotn.org on IIS,
    /// SSL Labs' "public server param reuse") document the reuse for servers only.
    pub ephemeral_key_reuse_secs: u64,

    // ---- extended master secret ----
    /// Client offers extended_master_secret (0x0017). Schannel
    /// `DisableClientExtendedMasterSecret=0`.
    pub ems_offer: bool,
    /// Server negotiates EMS when offered. Schannel `DisableServerExtendedMasterSecret=0`.
    pub ems_negotiate: bool,
    /// RFC 7627 §5.3 resumption rules (M4).
    pub ems_resumption: EmsResumption,

    // ---- resumption ----
    /// Client tries to resume cached sessions at all.
    pub client_resumes: bool,
    /// Client session lifetime in seconds (Schannel `ClientCacheTime`, 10 hours; 0 = off).
    pub client_cache_secs: u64,
    /// Server session-ID cache entries (Schannel `MaximumCacheSize` 20,000; 0 = off).
    pub server_cache_size: usize,
    /// Server session lifetime in seconds (Schannel `ServerCacheTime`, 10 hours).
    pub server_cache_secs: u64,
    /// Client sends the session_ticket extension (RFC 5077).
    pub client_tickets: bool,
    /// Server issues and accepts session tickets.
    pub server_tickets: bool,
    /// Ticket lifetime hint and acceptance window, in seconds.
    pub ticket_lifetime_secs: u64,

    // ---- message sizes (M7) ----
    /// Largest fragmented handshake message a client accepts (Schannel
    /// `MessageLimitClient`, default 0x8000; 0 = fragmented messages rejected; None = no
    /// limit but the protocol's 2^24-1).
    pub message_limit_client: Option<u32>,
    /// As `message_limit_client`, for a server without client auth (`MessageLimitServer`,
    /// 0x4000).
    pub message_limit_server: Option<u32>,
    /// As above, for a server that requested a client certificate
    /// (`MessageLimitServerClientAuth`, 0x8000).
    pub message_limit_server_client_auth: Option<u32>,
    /// Largest handshake message accepted whether fragmented or not (Java
    /// `jdk.tls.maxHandshakeMessageSize`, 32768).
    pub max_handshake_message: Option<u32>,
    /// Largest record fragment this peer sends (≤ 16384).
    pub max_fragment: usize,
    /// Whether several handshake messages share one record.
    pub pack_handshake_messages: bool,
    /// Sizes in bytes of the certificates this peer sends (leaf first). Certificates are
    /// modelled as opaque DER-sized blobs in the simulated mode.
    pub cert_chain: Vec<usize>,

    // ---- client authentication ----
    /// Server sends CertificateRequest in full handshakes.
    pub request_client_cert: bool,
    /// Server sends CertificateRequest in an abbreviated handshake too: not RFC 2246/5246
    /// compliant, breaks every resumed connection (KB4528489 item 2, M5).
    pub cert_request_on_resume: bool,
    /// Server lists its trusted CAs in CertificateRequest (Schannel
    /// `SendTrustedIssuerList`: TRUE up to 2008 R2, FALSE from 2012).
    pub send_trusted_issuer_list: bool,
    /// Total bytes of the CA distinguished names sent when the list is sent.
    pub trusted_issuer_bytes: usize,
    /// As a client, holds a certificate to answer CertificateRequest with (its
    /// `cert_chain` in the simulated mode, the bundled test client certificate in bridge
    /// mode) and signs CertificateVerify. False: an empty Certificate and no
    /// CertificateVerify (RFC 5246 §7.4.6), what a client without a configured certificate
    /// sends.
    pub client_cert: bool,

    // ---- legacy hello ----
    /// As a server, accepts a ClientHello in the SSL 2.0 CLIENT-HELLO format (RFC 5246
    /// Appendix E.2; RFC 6176 §3: servers MAY still accept it). False: the first byte is
    /// not a TLS content type and the connection fails with unexpected_message.
    pub accept_sslv2_hello: bool,

    // ---- FTPS (M6) ----
    /// As an FTPS server: a data connection must resume the control connection's TLS
    /// session (vsftpd `require_ssl_reuse`, ProFTPD ≥ 1.3.3rc1, FileZilla Server 1.x always,
    /// 0.9.x as an option), else the transfer is refused with `ftps_reuse_reply`.
    pub ftps_require_reuse: bool,
    /// The reply an FTPS server sends on the control connection when a data connection's
    /// TLS session was not resumed (docs/field-facts.md M6: vsftpd's 522, FileZilla 1.x's 425).
    pub ftps_reuse_reply: Option<String>,

    // ---- failure behaviour ----
    /// How this peer ends a connection on a fatal error.
    pub fatal_close: FatalClose,
    /// How this peer ends a connection as a server, if different from `fatal_close` (IIS
    /// resets; SQL Server closes with FIN).
    pub server_fatal_close: Option<FatalClose>,
    /// How this peer refuses a renegotiation request after the handshake (RFC 5746).
    pub renegotiation: Renegotiation,
    /// Server name sent in SNI by the client.
    pub server_name: Option<String>,

    // ---- TLS 1.3 (RFC 8446): used when both sides list "tls1.3" in their versions ----
    /// TLS 1.3 suites offered (client) or accepted in preference order (server), by their
    /// RFC 8446 §B.4 names.
    #[serde(with = "tls13_suite_names")]
    pub tls13_suites: Vec<Tls13Suite>,
    /// Groups offered in supported_groups (client) and accepted in preference order
    /// (server) in TLS 1.3.
    pub tls13_groups: Vec<Tls13Group>,
    /// Groups a client sends a key share for in its first ClientHello: its prediction of
    /// the server's choice. A server that wants another group of `tls13_groups` answers
    /// with a HelloRetryRequest (RFC 8446 §4.1.4).
    pub tls13_key_shares: Vec<Tls13Group>,
    /// As a client, answers a HelloRetryRequest with a second ClientHello. False: aborts
    /// the handshake on a HelloRetryRequest.
    pub tls13_client_handles_hrr: bool,
    /// How the FFDHE shared secret enters the TLS 1.3 key schedule.
    pub tls13_ffdhe_z: Tls13FfdheZ,
    /// NewSessionTickets a server sends after a TLS 1.3 handshake (0 = none). OpenSSL
    /// sends two by default (SSL_CTX_set_num_tickets(3)).
    pub tls13_tickets: u32,
    /// The lifetime of a TLS 1.3 ticket in seconds, at most 604,800 (RFC 8446 §4.6.1).
    pub tls13_ticket_lifetime_secs: u64,
    /// psk_key_exchange_modes a client offers and a server accepts (RFC 8446 §4.2.9).
    pub tls13_psk_modes: Vec<PskMode>,
    /// Middlebox compatibility mode (RFC 8446 Appendix D.4): a non-empty
    /// legacy_session_id and a dummy ChangeCipherSpec.
    pub tls13_middlebox_compat: bool,
    /// As a TLS 1.3-capable client that negotiated TLS 1.2 or lower, checks the downgrade
    /// sentinel in ServerHello.random and aborts with illegal_parameter when it is there
    /// (RFC 8446 §4.1.3: a MUST).
    pub tls13_downgrade_check: bool,
    /// As a TLS 1.3 client, sends a fatal alert after the ServerHello and before its own
    /// Finished in plaintext: its write keys change only when it writes its second flight
    /// (OpenSSL 1.1.1 to 3.1). False: protected under its client handshake traffic keys,
    /// installed with the ServerHello (RFC 8446 §5, §7.3; JSSE, GnuTLS, NSS). A peer that
    /// derived other keys (an FFDHE `Z` mismatch) cannot decrypt such an alert and reports
    /// bad_record_mac itself. Observed on loopback: docs/tls13-alerts.md.
    pub tls13_client_plaintext_alerts: bool,
    /// As a TLS 1.3 server after its flight (holding the client's handshake keys), what it
    /// does with a plaintext alert record: read it (OpenSSL) or fail on it with an alert of
    /// its own (RFC 8446 §5's unexpected_message by default).
    pub tls13_server_plaintext_alert: Tls13PlaintextAlert,
}

impl Default for Profile {
    fn default() -> Self {
        use crate::wire::CipherSuite as S;
        let suites = vec![
            S(0xC02F), // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
            S(0xC030), // TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
            S(0x009E), // TLS_DHE_RSA_WITH_AES_128_GCM_SHA256
            S(0x009F), // TLS_DHE_RSA_WITH_AES_256_GCM_SHA384
            S(0xC013), // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA
            S(0x0033), // TLS_DHE_RSA_WITH_AES_128_CBC_SHA
            S(0x009C), // TLS_RSA_WITH_AES_128_GCM_SHA256
            S(0x002F), // TLS_RSA_WITH_AES_128_CBC_SHA
        ];
        Profile {
            name: "rfc-strict".into(),
            summary: "RFC-compliant TLS 1.2 peer (OpenSSL 3-like)".into(),
            stack: Stack::Generic,
            client_versions: vec![TlsVersion::Tls12],
            server_versions: vec![TlsVersion::Tls12],
            client_suites: suites.clone(),
            server_suites: suites,
            server_honors_client_order: true,
            curves: vec![
                crate::crypto::Curve::X25519,
                crate::crypto::Curve::Secp256r1,
            ],
            dh_group: GroupId::Ffdhe2048,
            dh_custom_prime: None,
            dh_exponent_bits: 256,
            client_min_dh_bits: 1024,
            server_min_dh_bits: 1024,
            premaster_leading_zeros: LeadingZeros::Strip,
            public_value_encoding: PublicEncoding::Padded,
            client_public_value_encoding: None,
            accepts_short_peer_public: true,
            server_accepts_short_peer_public: None,
            ephemeral_key_reuse_secs: 0,
            ems_offer: true,
            ems_negotiate: true,
            ems_resumption: EmsResumption::Strict,
            client_resumes: true,
            client_cache_secs: 36_000,
            server_cache_size: 20_000,
            server_cache_secs: 36_000,
            client_tickets: true,
            server_tickets: true,
            ticket_lifetime_secs: 7_200,
            message_limit_client: None,
            message_limit_server: None,
            message_limit_server_client_auth: None,
            max_handshake_message: None,
            max_fragment: crate::wire::MAX_FRAGMENT,
            pack_handshake_messages: true,
            cert_chain: vec![1_200, 1_100],
            request_client_cert: false,
            cert_request_on_resume: false,
            send_trusted_issuer_list: false,
            client_cert: true,
            accept_sslv2_hello: false,
            trusted_issuer_bytes: 0,
            fatal_close: FatalClose::Alert,
            server_fatal_close: None,
            renegotiation: Renegotiation::NoRenegotiationWarning,
            ftps_require_reuse: false,
            ftps_reuse_reply: None,
            server_name: Some("server.test".into()),
            tls13_suites: Tls13Suite::ALL.to_vec(),
            tls13_groups: vec![
                Tls13Group::X25519,
                Tls13Group::Secp256r1,
                Tls13Group::Secp384r1,
            ],
            tls13_key_shares: vec![Tls13Group::X25519],
            tls13_client_handles_hrr: true,
            tls13_ffdhe_z: Tls13FfdheZ::Pad,
            tls13_tickets: 2,
            tls13_ticket_lifetime_secs: 7_200,
            tls13_psk_modes: vec![PskMode::PskDheKe],
            tls13_middlebox_compat: true,
            tls13_downgrade_check: true,
            tls13_client_plaintext_alerts: false,
            tls13_server_plaintext_alert: Tls13PlaintextAlert::UnexpectedMessage,
        }
    }
}

impl Profile {
    /// Parse a profile from TOML; unknown keys are errors.
    pub fn from_toml(text: &str) -> Result<Profile, toml::de::Error> {
        toml::from_str(text)
    }

    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("a Profile always serialises to TOML")
    }

    /// The encoding this peer uses for its own public value in the given role.
    pub fn public_encoding(&self, as_client: bool) -> PublicEncoding {
        match (as_client, self.client_public_value_encoding) {
            (true, Some(e)) => e,
            _ => self.public_value_encoding,
        }
    }

    /// Whether this peer accepts a DH public value shorter than p in the given role.
    pub fn accepts_short_public(&self, as_client: bool) -> bool {
        match (as_client, self.server_accepts_short_peer_public) {
            (false, Some(v)) => v,
            _ => self.accepts_short_peer_public,
        }
    }

    /// The highest version this peer enables as a client, TLS 1.3 aside: the version of
    /// the TLS 1.0–1.2 ClientHello (TLS 1.3 is offered in supported_versions).
    pub fn max_legacy_client_version(&self) -> Option<TlsVersion> {
        self.client_versions
            .iter()
            .copied()
            .filter(|v| *v <= TlsVersion::Tls12)
            .max()
    }

    /// Whether this peer enables TLS 1.3 in the given role.
    pub fn tls13(&self, as_client: bool) -> bool {
        let v = if as_client {
            &self.client_versions
        } else {
            &self.server_versions
        };
        v.contains(&TlsVersion::Tls13)
    }

    /// How this peer turns Z into the pre-master secret (M1) in a handshake that did or did
    /// not negotiate the extended master secret: the one reading of
    /// `premaster_leading_zeros`, for the engine and for `study::theory`.
    pub fn premaster_encoding(&self, ems: bool) -> crate::crypto::PremasterEncoding {
        use crate::crypto::PremasterEncoding as E;
        match self.premaster_leading_zeros {
            LeadingZeros::Strip => E::Strip,
            LeadingZeros::Keep => E::Keep,
            LeadingZeros::KeepUnlessEms if ems => E::Strip,
            LeadingZeros::KeepUnlessEms => E::Keep,
        }
    }

    /// How this peer encodes the TLS 1.3 FFDHE shared secret Z for the key schedule: the one
    /// reading of `tls13_ffdhe_z`, for the engine and for `study::theory` (issue 16).
    pub fn tls13_z_encoding(&self) -> crate::crypto::PremasterEncoding {
        use crate::crypto::PremasterEncoding as E;
        match self.tls13_ffdhe_z {
            Tls13FfdheZ::Pad => E::Keep,
            Tls13FfdheZ::Strip => E::Strip,
        }
    }

    /// Whether this peer, as a server, answers with the extended master secret a
    /// ClientHello that does (`offered`) or does not offer it.
    pub fn negotiates_ems(&self, offered: bool) -> bool {
        offered && self.ems_negotiate
    }

    /// How this peer closes on a fatal error in the given role.
    pub fn close_style(&self, as_client: bool) -> FatalClose {
        match (as_client, self.server_fatal_close) {
            (false, Some(v)) => v,
            _ => self.fatal_close,
        }
    }

    /// The DH group this peer serves.
    pub fn server_dh_group(&self) -> Result<crate::crypto::DhGroup, String> {
        match &self.dh_custom_prime {
            None => Ok(crate::crypto::DhGroup::named(self.dh_group).clone()),
            Some(hex) => {
                let p =
                    validate::parse_prime_hex(hex).map_err(|m| format!("dh_custom_prime: {m}"))?;
                Ok(crate::crypto::DhGroup::custom(
                    p,
                    num_bigint::BigUint::from(2u32),
                ))
            }
        }
    }
}

/// Serialise suites as IANA names; read IANA, OpenSSL or hex spellings.
mod suite_names {
    use super::*;

    pub(super) fn serialize<S: Serializer>(v: &[CipherSuite], s: S) -> Result<S::Ok, S::Error> {
        let names: Vec<String> = v.iter().map(|c| c.name()).collect();
        names.serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<CipherSuite>, D::Error> {
        let names = Vec::<String>::deserialize(d)?;
        names
            .iter()
            .map(|n| {
                suite_by_name(n)
                    .map(|i| i.suite)
                    .ok_or_else(|| serde::de::Error::custom(format!("unknown cipher suite {n:?}")))
            })
            .collect()
    }
}

/// The TLS 1.3 suite of an RFC 8446 §B.4 name (`TLS_AES_128_GCM_SHA256`, any case), None
/// for any other name.
pub fn tls13_suite_by_name(name: &str) -> Option<Tls13Suite> {
    tls13_suite_names::NAMES
        .iter()
        .find(|(_, n)| n.eq_ignore_ascii_case(name))
        .map(|(t, _)| *t)
}

/// TLS 1.3 suites as their RFC 8446 §B.4 names (`TLS_AES_128_GCM_SHA256`, …).
mod tls13_suite_names {
    use super::*;

    pub(super) const NAMES: [(Tls13Suite, &str); 3] = [
        (Tls13Suite::Aes128GcmSha256, "TLS_AES_128_GCM_SHA256"),
        (Tls13Suite::Aes256GcmSha384, "TLS_AES_256_GCM_SHA384"),
        (
            Tls13Suite::ChaCha20Poly1305Sha256,
            "TLS_CHACHA20_POLY1305_SHA256",
        ),
    ];

    pub(super) fn serialize<S: Serializer>(v: &[Tls13Suite], s: S) -> Result<S::Ok, S::Error> {
        let names: Vec<&str> = v
            .iter()
            .filter_map(|x| NAMES.iter().find(|(y, _)| y == x).map(|(_, n)| *n))
            .collect();
        names.serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<Tls13Suite>, D::Error> {
        let names = Vec::<String>::deserialize(d)?;
        names
            .iter()
            .map(|n| {
                NAMES
                    .iter()
                    .find(|(_, m)| m.eq_ignore_ascii_case(n))
                    .map(|(x, _)| *x)
                    .ok_or_else(|| {
                        serde::de::Error::custom(format!(
                            "unknown TLS 1.3 cipher suite {n:?} (one of TLS_AES_128_GCM_SHA256, \
                             TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256)"
                        ))
                    })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_round_trip_and_unknown_keys_rejected() {
        let p = Profile::default();
        let text = p.to_toml();
        assert!(
            text.contains("TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"),
            "{text}"
        );
        assert_eq!(Profile::from_toml(&text).expect("round trip"), p);
        let err = Profile::from_toml("name = \"x\"\nno_such_knob = 1\n").unwrap_err();
        assert!(err.to_string().contains("no_such_knob"), "{err}");
        let err = Profile::from_toml("client_suites = [\"TLS_BOGUS\"]\n").unwrap_err();
        assert!(err.to_string().contains("TLS_BOGUS"), "{err}");
    }

    #[test]
    fn partial_file_takes_defaults() {
        let p = Profile::from_toml(
            "name = \"k\"\npremaster_leading_zeros = \"keep\"\nclient_suites = [\"DHE-RSA-AES256-GCM-SHA384\"]\n",
        )
        .expect("valid");
        assert_eq!(p.premaster_leading_zeros, LeadingZeros::Keep);
        assert_eq!(p.client_suites, vec![CipherSuite(0x009F)]);
        assert_eq!(p.server_suites, Profile::default().server_suites);
    }
}
