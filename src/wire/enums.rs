//! Typed TLS protocol numbers. Every enum keeps unknown code points in an `Unknown`
//! variant so that decoding never loses information and re-encoding is exact.
//! Code points and spellings: RFC 5246, RFC 8422, RFC 7919, RFC 8446 §4.2.3, IANA TLS
//! parameters registry.

use super::codec::{Codec, InvalidMessage, Reader};

macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident: $ty:ident, $to:ident, $reader:ident {
            $( $(#[$vmeta:meta])* $var:ident = $val:literal => $spell:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* $var, )*
            /// A code point this codec does not know; kept so it re-encodes unchanged.
            Unknown($ty),
        }

        impl From<$ty> for $name {
            fn from(v: $ty) -> Self {
                match v {
                    $( $val => $name::$var, )*
                    other => $name::Unknown(other),
                }
            }
        }

        impl From<$name> for $ty {
            fn from(v: $name) -> $ty {
                v.$to()
            }
        }

        impl $name {
            /// All known variants, in declaration order.
            pub const ALL: &'static [$name] = &[ $( $name::$var, )* ];

            /// The code point on the wire.
            pub fn $to(self) -> $ty {
                match self {
                    $( $name::$var => $val, )*
                    $name::Unknown(v) => v,
                }
            }

            /// The registry spelling, or "unknown" for an unknown code point.
            pub fn name(self) -> &'static str {
                match self {
                    $( $name::$var => $spell, )*
                    $name::Unknown(_) => "unknown",
                }
            }

            /// True unless this is an `Unknown` code point.
            pub fn is_known(self) -> bool {
                !matches!(self, $name::Unknown(_))
            }
        }

        impl Codec for $name {
            fn encode(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.$to().to_be_bytes());
            }
            fn read(r: &mut Reader) -> Result<Self, InvalidMessage> {
                Ok($name::from(r.$reader()?))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self {
                    $name::Unknown(v) => write!(f, "unknown({:#x})", v),
                    known => f.write_str(known.name()),
                }
            }
        }
    };
}

wire_enum! {
    /// Record layer content type (RFC 5246 §6.2.1).
    ContentType: u8, to_u8, u8 {
        ChangeCipherSpec = 20 => "change_cipher_spec",
        Alert = 21 => "alert",
        Handshake = 22 => "handshake",
        ApplicationData = 23 => "application_data",
    }
}

wire_enum! {
    /// Handshake message type (RFC 5246 §7.4, RFC 5077 §3.3, RFC 8446 §4).
    HandshakeType: u8, to_u8, u8 {
        HelloRequest = 0 => "hello_request",
        ClientHello = 1 => "client_hello",
        ServerHello = 2 => "server_hello",
        NewSessionTicket = 4 => "new_session_ticket",
        /// TLS 1.3 only (RFC 8446 §4.3.1); a TLS 1.2 parser reads it as an unknown message.
        EncryptedExtensions = 8 => "encrypted_extensions",
        Certificate = 11 => "certificate",
        ServerKeyExchange = 12 => "server_key_exchange",
        CertificateRequest = 13 => "certificate_request",
        ServerHelloDone = 14 => "server_hello_done",
        CertificateVerify = 15 => "certificate_verify",
        ClientKeyExchange = 16 => "client_key_exchange",
        Finished = 20 => "finished",
    }
}

wire_enum! {
    /// Alert level (RFC 5246 §7.2).
    AlertLevel: u8, to_u8, u8 {
        Warning = 1 => "warning",
        Fatal = 2 => "fatal",
    }
}

wire_enum! {
    /// Alert description (RFC 5246 §7.2, RFC 7507 for inappropriate_fallback, RFC 8446 §6.2
    /// for TLS 1.3's).
    AlertDescription: u8, to_u8, u8 {
        CloseNotify = 0 => "close_notify",
        UnexpectedMessage = 10 => "unexpected_message",
        BadRecordMac = 20 => "bad_record_mac",
        DecryptionFailed = 21 => "decryption_failed",
        RecordOverflow = 22 => "record_overflow",
        DecompressionFailure = 30 => "decompression_failure",
        HandshakeFailure = 40 => "handshake_failure",
        NoCertificate = 41 => "no_certificate",
        BadCertificate = 42 => "bad_certificate",
        UnsupportedCertificate = 43 => "unsupported_certificate",
        CertificateRevoked = 44 => "certificate_revoked",
        CertificateExpired = 45 => "certificate_expired",
        CertificateUnknown = 46 => "certificate_unknown",
        IllegalParameter = 47 => "illegal_parameter",
        UnknownCa = 48 => "unknown_ca",
        AccessDenied = 49 => "access_denied",
        DecodeError = 50 => "decode_error",
        DecryptError = 51 => "decrypt_error",
        ExportRestriction = 60 => "export_restriction",
        ProtocolVersion = 70 => "protocol_version",
        InsufficientSecurity = 71 => "insufficient_security",
        InternalError = 80 => "internal_error",
        InappropriateFallback = 86 => "inappropriate_fallback",
        UserCanceled = 90 => "user_canceled",
        NoRenegotiation = 100 => "no_renegotiation",
        // RFC 8446 §6.2: TLS 1.3's alerts (the 1.2 ones above keep their numbers).
        MissingExtension = 109 => "missing_extension",
        UnsupportedExtension = 110 => "unsupported_extension",
        UnrecognizedName = 112 => "unrecognized_name",
        BadCertificateStatusResponse = 113 => "bad_certificate_status_response",
        UnknownPskIdentity = 115 => "unknown_psk_identity",
        CertificateRequired = 116 => "certificate_required",
        NoApplicationProtocol = 120 => "no_application_protocol",
    }
}

wire_enum! {
    /// Protocol version (RFC 5246 Appendix E, RFC 8446).
    ProtocolVersion: u16, to_u16, u16 {
        SSLv3 = 0x0300 => "SSL 3.0",
        TLSv1_0 = 0x0301 => "TLS 1.0",
        TLSv1_1 = 0x0302 => "TLS 1.1",
        TLSv1_2 = 0x0303 => "TLS 1.2",
        TLSv1_3 = 0x0304 => "TLS 1.3",
    }
}

wire_enum! {
    /// Hello extension type (IANA "TLS ExtensionType Values").
    ExtensionType: u16, to_u16, u16 {
        ServerName = 0 => "server_name",
        MaxFragmentLength = 1 => "max_fragment_length",
        StatusRequest = 5 => "status_request",
        SupportedGroups = 10 => "supported_groups",
        EcPointFormats = 11 => "ec_point_formats",
        SignatureAlgorithms = 13 => "signature_algorithms",
        Heartbeat = 15 => "heartbeat",
        Alpn = 16 => "application_layer_protocol_negotiation",
        SignedCertificateTimestamp = 18 => "signed_certificate_timestamp",
        Padding = 21 => "padding",
        EncryptThenMac = 22 => "encrypt_then_mac",
        ExtendedMasterSecret = 0x0017 => "extended_master_secret",
        SessionTicket = 0x0023 => "session_ticket",
        PreSharedKey = 41 => "pre_shared_key",
        SupportedVersions = 43 => "supported_versions",
        PskKeyExchangeModes = 45 => "psk_key_exchange_modes",
        KeyShare = 51 => "key_share",
        RenegotiationInfo = 0xff01 => "renegotiation_info",
    }
}

wire_enum! {
    /// Named group for (EC)DHE (RFC 8422 §5.1.1, RFC 7919).
    NamedGroup: u16, to_u16, u16 {
        Secp256r1 = 23 => "secp256r1",
        Secp384r1 = 24 => "secp384r1",
        Secp521r1 = 25 => "secp521r1",
        X25519 = 29 => "x25519",
        X448 = 30 => "x448",
        Ffdhe2048 = 256 => "ffdhe2048",
        Ffdhe3072 = 257 => "ffdhe3072",
        Ffdhe4096 = 258 => "ffdhe4096",
        Ffdhe6144 = 259 => "ffdhe6144",
        Ffdhe8192 = 260 => "ffdhe8192",
    }
}

wire_enum! {
    /// A TLS 1.2 SignatureAndHashAlgorithm pair (hash byte, signature byte) read as one
    /// u16, named with the TLS 1.3 SignatureScheme spelling where one exists.
    SignatureScheme: u16, to_u16, u16 {
        RsaPkcs1Md5 = 0x0101 => "rsa_pkcs1_md5",
        RsaPkcs1Sha1 = 0x0201 => "rsa_pkcs1_sha1",
        DsaSha1 = 0x0202 => "dsa_sha1",
        EcdsaSha1 = 0x0203 => "ecdsa_sha1",
        RsaPkcs1Sha224 = 0x0301 => "rsa_pkcs1_sha224",
        DsaSha224 = 0x0302 => "dsa_sha224",
        EcdsaSha224 = 0x0303 => "ecdsa_sha224",
        RsaPkcs1Sha256 = 0x0401 => "rsa_pkcs1_sha256",
        DsaSha256 = 0x0402 => "dsa_sha256",
        EcdsaSecp256r1Sha256 = 0x0403 => "ecdsa_secp256r1_sha256",
        RsaPkcs1Sha384 = 0x0501 => "rsa_pkcs1_sha384",
        DsaSha384 = 0x0502 => "dsa_sha384",
        EcdsaSecp384r1Sha384 = 0x0503 => "ecdsa_secp384r1_sha384",
        RsaPkcs1Sha512 = 0x0601 => "rsa_pkcs1_sha512",
        DsaSha512 = 0x0602 => "dsa_sha512",
        EcdsaSecp521r1Sha512 = 0x0603 => "ecdsa_secp521r1_sha512",
        RsaPssRsaeSha256 = 0x0804 => "rsa_pss_rsae_sha256",
        RsaPssRsaeSha384 = 0x0805 => "rsa_pss_rsae_sha384",
        RsaPssRsaeSha512 = 0x0806 => "rsa_pss_rsae_sha512",
        Ed25519 = 0x0807 => "ed25519",
        Ed448 = 0x0808 => "ed448",
        RsaPssPssSha256 = 0x0809 => "rsa_pss_pss_sha256",
        RsaPssPssSha384 = 0x080a => "rsa_pss_pss_sha384",
        RsaPssPssSha512 = 0x080b => "rsa_pss_pss_sha512",
    }
}

wire_enum! {
    /// Compression method (RFC 5246 §7.4.1.2, RFC 3749).
    CompressionMethod: u8, to_u8, u8 {
        Null = 0 => "null",
        Deflate = 1 => "deflate",
    }
}

wire_enum! {
    /// Certificate type in a CertificateRequest (RFC 5246 §7.4.4, RFC 8422 §5.5).
    ClientCertificateType: u8, to_u8, u8 {
        RsaSign = 1 => "rsa_sign",
        DssSign = 2 => "dss_sign",
        RsaFixedDh = 3 => "rsa_fixed_dh",
        DssFixedDh = 4 => "dss_fixed_dh",
        EcdsaSign = 64 => "ecdsa_sign",
        RsaFixedEcdh = 65 => "rsa_fixed_ecdh",
        EcdsaFixedEcdh = 66 => "ecdsa_fixed_ecdh",
    }
}

impl ProtocolVersion {
    /// True for TLS 1.2 and later, where signatures carry a SignatureAndHashAlgorithm.
    pub fn is_tls12_or_later(self) -> bool {
        self.to_u16() >= 0x0303
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_points_and_names() {
        assert_eq!(AlertDescription::from(20), AlertDescription::BadRecordMac);
        assert_eq!(AlertDescription::BadRecordMac.name(), "bad_record_mac");
        assert_eq!(AlertDescription::from(86).name(), "inappropriate_fallback");
        assert_eq!(ProtocolVersion::TLSv1_2.name(), "TLS 1.2");
        assert_eq!(ExtensionType::ExtendedMasterSecret.to_u16(), 0x0017);
        assert_eq!(
            ExtensionType::from(0xff01),
            ExtensionType::RenegotiationInfo
        );
        assert_eq!(SignatureScheme::EcdsaSecp521r1Sha512.to_u16(), 0x0603);
        assert_eq!(NamedGroup::from(256), NamedGroup::Ffdhe2048);
        assert_eq!(ContentType::from(99), ContentType::Unknown(99));
        assert_eq!(ContentType::Unknown(99).to_bytes(), vec![99]);
        assert_eq!(HandshakeType::Finished.to_bytes(), vec![20]);
        assert_eq!(ProtocolVersion::TLSv1_0.to_bytes(), vec![3, 1]);
        assert_eq!(ClientCertificateType::EcdsaSign.to_u8(), 64);
    }

    #[test]
    fn every_known_value_round_trips() {
        for v in AlertDescription::ALL {
            assert_eq!(AlertDescription::from(v.to_u8()), *v);
        }
        for v in SignatureScheme::ALL {
            assert_eq!(SignatureScheme::from_bytes(&v.to_bytes()), Ok(*v));
        }
        for v in ExtensionType::ALL {
            assert_eq!(ExtensionType::from(v.to_u16()), *v);
        }
    }
}
