//! Java (SunJSSE): the `javax.net.ssl` exception the application catches, as JDK 17
//! throws it. Sources: openjdk/jdk `sun/security/ssl/Alert.java` (exception class per
//! alert: handshake-only alerts give `SSLHandshakeException`, unexpected_message
//! `SSLProtocolException`, others `SSLException`; "Received fatal alert: NAME"),
//! `SSLTransport.java` (a failed AEAD tag, TLS 1.2 or 1.3, is bad_record_mac with the
//! cipher's message: GCM's "Tag mismatch!", ChaCha20-Poly1305's "Tag mismatch"; a bad
//! CBC MAC during the handshake is handshake_failure), `SSLCipher.java` ("bad record MAC"),
//! `Finished.java`, `SSLSocketImpl.java`, `SSLSocketInputRecord.java`; the strings were
//! checked in the JDK 17.0.15 module image (`jimage extract`, `javap -c`). Seen on 127.0.0.1
//! with a JDK 17 client: "javax.net.ssl.SSLHandshakeException: Received fatal alert:
//! handshake_failure" (from `openssl s_server`), "…: Remote host terminated the handshake"
//! (listener closes, FIN) and "java.net.SocketException: Connection reset" (RST).

use super::{error_of, Ctx, Seen, VendorText};
use crate::engine::{CloseKind, LocalError, Side};
use crate::wire::AlertDescription;

const ALERT: &str = "openjdk/jdk src/java.base/share/classes/sun/security/ssl/Alert.java (AlertConsumer: \"Received fatal alert: \" + description; createSSLException picks the class from the alert's handshakeOnly flag)";
const RECORD: &str = "openjdk/jdk sun/security/ssl/SSLTransport.java (AEADBadTagException -> bad_record_mac; BadPaddingException during a handshake -> handshake_failure), com/sun/crypto/provider/GaloisCounterMode.java (\"Tag mismatch!\" in JDK 17), sun/security/ssl/SSLCipher.java (\"bad record MAC\")";
/// The AEAD tag failure, TLS 1.2 GCM / ChaCha20 suites and every TLS 1.3 record.
const AEAD: &str = "openjdk/jdk sun/security/ssl/SSLTransport.java decode(): an AEADBadTagException is fatal bad_record_mac with the cipher's message, in TLS 1.2 and 1.3, during the handshake too; com/sun/crypto/provider/GaloisCounterMode.java (GCMDecrypt: \"Tag mismatch!\") and ChaCha20Cipher.java (EngineAEADDec: \"Tag mismatch\"); checked with javap -c in the JDK 17.0.15 module image; the TLS 1.3 FFDHE case as a Java 17 client reported it: https://github.com/openssl/openssl/issues/23728 (\"SSL error: Tag mismatch\")";
const FINISHED: &str =
    "openjdk/jdk sun/security/ssl/Finished.java: \"The Finished message cannot be verified.\"";
const NO_SUITE: &str = "openjdk/jdk sun/security/ssl/ServerHello.java (T12ServerHelloProducer.chooseCipherSuite): \"no cipher suites in common\"";
const DH: &str = "openjdk/jdk sun/security/ssl/DHServerKeyExchange.java: \"DH ServerKeyExchange does not comply to algorithm constraints\" (jdk.tls.disabledAlgorithms DH keySize < 1024)";
const SIZE: &str = "openjdk/jdk sun/security/ssl/SSLSocketInputRecord.java: \"The size of the handshake message (N) exceeds the maximum allowed size (M)\" (jdk.tls.maxHandshakeMessageSize)";
/// A plaintext record (an OpenSSL client's alert) where a TLS 1.3 server expected a protected one.
const PLAIN13: &str = "openjdk/jdk sun/security/ssl/SSLCipher.java (T13GcmReadCipherGenerator decrypt: \"Insufficient buffer remaining for AEAD cipher fragment (N). Needs to be more than tag size (16)\", a BadPaddingException) and SSLTransport.java (during a handshake: handshake_failure); observed with a JDK 17.0.15 server and javax.net.debug against OpenSSL 3.0.19 s_client's plaintext alert (docs/tls13-alerts.md)";
const CLOSED: &str = "openjdk/jdk sun/security/ssl/SSLSocketImpl.java: an EOF during the handshake is \"Remote host terminated the handshake\"; a reset is java.net.SocketException \"Connection reset\" (java.net socket I/O)";

/// `Alert.handshakeOnly` of Alert.java.
fn handshake_only(a: AlertDescription) -> bool {
    (40..=71).contains(&a.to_u8()) || a.to_u8() == 100 || a.to_u8() >= 109
}

fn class_for(a: AlertDescription) -> &'static str {
    if a == AlertDescription::UnexpectedMessage {
        "javax.net.ssl.SSLProtocolException"
    } else if handshake_only(a) {
        "javax.net.ssl.SSLHandshakeException"
    } else {
        "javax.net.ssl.SSLException"
    }
}

pub(super) fn words(seen: &Seen, ctx: &Ctx) -> Vec<VendorText> {
    let (text, source) = match seen {
        Seen::ReceivedAlert(a) => (
            format!("{}: Received fatal alert: {}", class_for(*a), a.name()),
            ALERT,
        ),
        Seen::SentAlert { .. } | Seen::ClosedSilently { .. } => match error_of(seen) {
            Some(LocalError::BadRecordMac) => {
                // Every TLS 1.3 suite is AEAD (TLS_AES_*_GCM_*, TLS_CHACHA20_POLY1305_*).
                if ctx.suite.is_some_and(|s| s.contains("CHACHA20")) {
                    ("javax.net.ssl.SSLException: Tag mismatch".to_string(), AEAD)
                } else if ctx.suite.is_some_and(|s| s.contains("GCM")) {
                    ("javax.net.ssl.SSLException: Tag mismatch!".to_string(), AEAD)
                } else {
                    (
                        "javax.net.ssl.SSLHandshakeException: bad record MAC (JSSE sends handshake_failure for it during a handshake)"
                            .to_string(),
                        RECORD,
                    )
                }
            }
            Some(LocalError::PlaintextAlert { .. }) => (
                "javax.net.ssl.SSLHandshakeException: Insufficient buffer remaining for AEAD cipher fragment (2). Needs to be more than tag size (16)".into(),
                PLAIN13,
            ),
            Some(LocalError::FinishedMismatch) => (
                "javax.net.ssl.SSLHandshakeException: The Finished message cannot be verified."
                    .into(),
                FINISHED,
            ),
            Some(LocalError::NoSharedCipher) if ctx.side == Side::Server => (
                "javax.net.ssl.SSLHandshakeException: no cipher suites in common".into(),
                NO_SUITE,
            ),
            Some(LocalError::DhGroupTooSmall { .. }) => (
                "javax.net.ssl.SSLHandshakeException: DH ServerKeyExchange does not comply to algorithm constraints".into(),
                DH,
            ),
            Some(LocalError::MessageTooLarge { len, limit, .. }) => (
                format!("javax.net.ssl.SSLProtocolException: The size of the handshake message ({len}) exceeds the maximum allowed size ({limit})"),
                SIZE,
            ),
            _ => return Vec::new(),
        },
        Seen::PeerClosed(CloseKind::Fin) => (
            "javax.net.ssl.SSLHandshakeException: Remote host terminated the handshake".into(),
            CLOSED,
        ),
        Seen::PeerClosed(CloseKind::Rst) => ("java.net.SocketException: Connection reset".into(), CLOSED),
        Seen::TimedOut => return Vec::new(),
    };
    vec![ctx.text("Java", format!("\"{text}\""), source)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Stack;

    fn mac_text(suite: Option<&str>) -> String {
        let e = LocalError::BadRecordMac;
        let seen = Seen::SentAlert {
            alert: AlertDescription::BadRecordMac,
            error: Some(&e),
        };
        let ctx = Ctx {
            side: Side::Client,
            stack: Stack::Jsse,
            suite,
        };
        words(&seen, &ctx).remove(0).text
    }

    /// A TLS 1.3 record that fails its tag (a Z mismatch's first encrypted record) is
    /// the cipher's AEADBadTagException in JDK 17: GCM's "Tag mismatch!", ChaCha20's
    /// "Tag mismatch"; a TLS 1.2 CBC MAC failure keeps SSLCipher's "bad record MAC".
    #[test]
    fn aead_failures_are_the_ciphers_tag_mismatch() {
        for (suite, want) in [
            (
                "TLS_AES_128_GCM_SHA256",
                "\"javax.net.ssl.SSLException: Tag mismatch!\"",
            ),
            (
                "TLS_AES_256_GCM_SHA384",
                "\"javax.net.ssl.SSLException: Tag mismatch!\"",
            ),
            (
                "TLS_CHACHA20_POLY1305_SHA256",
                "\"javax.net.ssl.SSLException: Tag mismatch\"",
            ),
            (
                "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                "\"javax.net.ssl.SSLException: Tag mismatch!\"",
            ),
        ] {
            assert_eq!(mac_text(Some(suite)), want, "{suite}");
        }
        assert!(mac_text(Some("TLS_DHE_RSA_WITH_AES_128_CBC_SHA")).contains("bad record MAC"));
    }
}
