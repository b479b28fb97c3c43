//! Known-answer tests of the TLS 1.3 key schedule, record protection and messages against
//! RFC 8448 ("Example Handshake Traces for TLS 1.3"): §3 simple 1-RTT handshake, §4's PSK
//! binder from §3's ticket, §5 HelloRetryRequest, §7 compatibility mode. The trace bytes are
//! in tests/data/rfc8448/ (see its README). Every value is derived here from the traces'
//! private keys and hello messages and compared byte for byte.

use std::collections::BTreeMap;

use tlsim::crypto::record13::RecordLayer13;
use tlsim::crypto::tls13::{
    binder_key, derive_secret, early_secret, finished_key, handshake_secret, hkdf_extract,
    psk_binder, resumption_psk, verify_data, Aead13, ApplicationSecrets, HandshakeSecrets, HashAlg,
    TrafficKeys, Transcript,
};
use tlsim::crypto::{Curve, EcdhKeyPair};
use tlsim::wire::tls13::{
    binder_truncation_len, certificate_verify_content, hs, is_hello_retry_request, split_handshake,
    ClientHello13, Message13, ServerHello13, PSK_DHE_KE,
};
use tlsim::wire::{ClientHello, Codec, NamedGroup, ProtocolVersion, ServerHello, SignatureScheme};

const ALG: HashAlg = HashAlg::Sha256;
const AEAD: Aead13 = Aead13::Aes128Gcm;

fn load(text: &str) -> BTreeMap<String, Vec<u8>> {
    text.lines()
        .filter(|l| !l.starts_with('#') && l.contains('='))
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            let v = v.trim();
            let bytes = (0..v.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&v[i..i + 2], 16).unwrap())
                .collect();
            (k.trim().to_string(), bytes)
        })
        .collect()
}

struct Trace(BTreeMap<String, Vec<u8>>);

impl Trace {
    fn get(&self, k: &str) -> &[u8] {
        self.0
            .get(k)
            .unwrap_or_else(|| panic!("no {k} in the trace data"))
    }
    /// The handshake message inside a plaintext record (the record header removed).
    fn msg(&self, k: &str) -> &[u8] {
        &self.get(k)[5..]
    }
}

fn s3() -> Trace {
    Trace(load(include_str!("data/rfc8448/s3.txt")))
}
fn s4() -> Trace {
    Trace(load(include_str!("data/rfc8448/s4.txt")))
}
fn s5() -> Trace {
    Trace(load(include_str!("data/rfc8448/s5.txt")))
}
fn s7() -> Trace {
    Trace(load(include_str!("data/rfc8448/s7.txt")))
}

#[track_caller]
fn same(got: &[u8], want: &[u8], what: &str) {
    assert!(
        got == want,
        "{what}:\n got  {}\n want {}",
        hex(got),
        hex(want)
    );
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn key32(b: &[u8]) -> [u8; 32] {
    b.try_into().unwrap()
}

fn layer(secret: &[u8]) -> RecordLayer13 {
    RecordLayer13::new(AEAD, &TrafficKeys::derive(ALG, AEAD, secret))
}

/// The handshake messages of a decrypted flight, each decoded and re-encoded byte for byte.
fn messages(flight: &[u8], hash_len: usize) -> Vec<(Message13, Vec<u8>)> {
    let mut out = Vec::new();
    let mut rest = flight;
    while !rest.is_empty() {
        let (typ, body, whole, r) = split_handshake(rest).unwrap().expect("whole messages");
        let m = Message13::read_body(typ, body, hash_len).unwrap();
        same(&m.to_bytes(), whole, m.name());
        out.push((m, whole.to_vec()));
        rest = r;
    }
    out
}

/// RFC 8448 §3: both X25519 key pairs and the shared secret.
#[test]
fn s3_key_exchange() {
    let t = s3();
    let c = EcdhKeyPair::from_secret_bytes(Curve::X25519, key32(t.get("client_private"))).unwrap();
    let s = EcdhKeyPair::from_secret_bytes(Curve::X25519, key32(t.get("server_private"))).unwrap();
    same(&c.public, t.get("client_public"), "client public key");
    same(&s.public, t.get("server_public"), "server public key");
    same(
        &c.shared_secret(&s.public).unwrap(),
        t.get("shared_secret"),
        "client's shared secret",
    );
    same(
        &s.shared_secret(&c.public).unwrap(),
        t.get("shared_secret"),
        "server's shared secret",
    );
}

/// RFC 8448 §3: the ClientHello and ServerHello decode into tlsim's types, with their TLS 1.3
/// extensions typed, and re-encode byte for byte.
#[test]
fn s3_hellos_round_trip() {
    let t = s3();
    let ch = ClientHello::from_bytes(&t.msg("client_hello_record")[4..]).unwrap();
    same(
        &ch.to_bytes(),
        &t.msg("client_hello_record")[4..],
        "ClientHello",
    );
    let e = ClientHello13::parse(&ch).unwrap();
    assert_eq!(e.supported_versions, Some(vec![ProtocolVersion::TLSv1_3]));
    let shares = e.key_shares.unwrap();
    assert_eq!(shares.len(), 1);
    assert_eq!(shares[0].group, NamedGroup::X25519);
    same(
        &shares[0].key_exchange,
        t.get("client_public"),
        "client key_share",
    );
    assert_eq!(e.psk_modes, Some(vec![PSK_DHE_KE]));
    let sh = ServerHello::from_bytes(&t.msg("server_hello_record")[4..]).unwrap();
    same(
        &sh.to_bytes(),
        &t.msg("server_hello_record")[4..],
        "ServerHello",
    );
    assert!(!is_hello_retry_request(&sh));
    let s = ServerHello13::parse(&sh).unwrap();
    assert_eq!(s.selected_version, Some(ProtocolVersion::TLSv1_3));
    same(
        &s.key_share.as_ref().unwrap().key_exchange,
        t.get("server_public"),
        "server key_share",
    );
    // Rebuilding the ServerHello's extensions from the typed form gives the same bytes.
    let rebuilt = ServerHello {
        extensions: s.to_extensions(),
        ..sh.clone()
    };
    same(
        &rebuilt.to_bytes(),
        &sh.to_bytes(),
        "ServerHello from typed extensions",
    );
}

/// RFC 8448 §3: every secret of the key schedule, the traffic keys and IVs, both Finished
/// keys and verify_data, from the shared secret and the transcript.
#[test]
fn s3_key_schedule() {
    let t = s3();
    let early = early_secret(ALG, None);
    same(&early, t.get("early_secret"), "early secret");
    same(
        &derive_secret(ALG, &early, b"derived", &ALG.hash(b"")),
        t.get("derived_for_handshake"),
        "derived (handshake)",
    );
    let mut tr = Transcript::new();
    tr.add(t.msg("client_hello_record"));
    tr.add(t.msg("server_hello_record"));
    same(&tr.hash(ALG), t.get("hello_hash"), "hash(CH..SH)");
    let hs_s = HandshakeSecrets::derive(ALG, &early, t.get("shared_secret"), &tr.hash(ALG));
    same(
        &hs_s.handshake_secret,
        t.get("handshake_secret"),
        "handshake secret",
    );
    same(
        &handshake_secret(ALG, &early, t.get("shared_secret")),
        t.get("handshake_secret"),
        "handshake secret (fn)",
    );
    same(&hs_s.client, t.get("client_hs_traffic"), "c hs traffic");
    same(&hs_s.server, t.get("server_hs_traffic"), "s hs traffic");
    same(
        &derive_secret(ALG, &hs_s.handshake_secret, b"derived", &ALG.hash(b"")),
        t.get("derived_for_master"),
        "derived (master)",
    );
    let sk = TrafficKeys::derive(ALG, AEAD, &hs_s.server);
    same(&sk.key, t.get("server_hs_key"), "server handshake key");
    same(&sk.iv, t.get("server_hs_iv"), "server handshake iv");
    let ck = TrafficKeys::derive(ALG, AEAD, &hs_s.client);
    same(&ck.key, t.get("client_hs_key"), "client handshake key");
    same(&ck.iv, t.get("client_hs_iv"), "client handshake iv");

    // Server Finished over CH..CV.
    tr.add(t.get("encrypted_extensions"));
    tr.add(t.get("certificate"));
    tr.add(t.get("certificate_verify"));
    same(
        &finished_key(ALG, &hs_s.server),
        t.get("server_finished_key"),
        "server finished key",
    );
    let sfin = verify_data(ALG, &hs_s.server, &tr.hash(ALG));
    same(&sfin, t.get("server_verify_data"), "server verify_data");
    same(
        &Message13::Finished(sfin).to_bytes(),
        t.get("server_finished"),
        "server Finished",
    );
    tr.add(t.get("server_finished"));
    same(
        &tr.hash(ALG),
        t.get("server_finished_hash"),
        "hash(CH..server Finished)",
    );

    let ap = ApplicationSecrets::derive(ALG, &hs_s.handshake_secret, &tr.hash(ALG));
    same(&ap.master_secret, t.get("master_secret"), "master secret");
    same(&ap.client, t.get("client_ap_traffic"), "c ap traffic");
    same(&ap.server, t.get("server_ap_traffic"), "s ap traffic");
    same(&ap.exporter, t.get("exporter_master"), "exp master");
    let sa = TrafficKeys::derive(ALG, AEAD, &ap.server);
    same(&sa.key, t.get("server_ap_key"), "server application key");
    same(&sa.iv, t.get("server_ap_iv"), "server application iv");
    let ca = TrafficKeys::derive(ALG, AEAD, &ap.client);
    same(&ca.key, t.get("client_ap_key"), "client application key");
    same(&ca.iv, t.get("client_ap_iv"), "client application iv");

    // Client Finished over CH..server Finished.
    same(
        &finished_key(ALG, &hs_s.client),
        t.get("client_finished_key"),
        "client finished key",
    );
    let cfin = verify_data(ALG, &hs_s.client, &tr.hash(ALG));
    same(&cfin, t.get("client_verify_data"), "client verify_data");
    tr.add(&Message13::Finished(cfin).to_bytes());
    same(
        &tr.hash(ALG),
        t.get("client_finished_hash"),
        "hash(CH..client Finished)",
    );
    same(
        &ap.resumption_master_secret(ALG, &tr.hash(ALG)),
        t.get("resumption_master"),
        "res master",
    );
}

/// RFC 8448 §3 on the wire: the server's encrypted flight decrypts to EncryptedExtensions,
/// Certificate, CertificateVerify and Finished, whose messages re-encode byte for byte, and
/// re-encrypts to the trace's record; the CertificateVerify's RSA-PSS signature verifies
/// with the certificate's key; the client's Finished, the NewSessionTicket, the application
/// data and both close_notify alerts re-encrypt byte for byte.
#[test]
fn s3_records() {
    let t = s3();
    let mut tr = Transcript::new();
    tr.add(t.msg("client_hello_record"));
    tr.add(t.msg("server_hello_record"));
    let hs_s = HandshakeSecrets::derive(
        ALG,
        &early_secret(ALG, None),
        t.get("shared_secret"),
        &tr.hash(ALG),
    );

    let rec = t.get("server_flight_record");
    let (typ, flight) = layer(&hs_s.server).open(rec).unwrap();
    assert_eq!(typ, 22);
    let msgs = messages(&flight, 32);
    let names: Vec<_> = msgs.iter().map(|(m, _)| m.name()).collect();
    assert_eq!(
        names,
        [
            "EncryptedExtensions",
            "Certificate",
            "CertificateVerify",
            "Finished"
        ]
    );
    same(
        &msgs[0].1,
        t.get("encrypted_extensions"),
        "EncryptedExtensions",
    );
    same(&msgs[1].1, t.get("certificate"), "Certificate");
    same(&msgs[2].1, t.get("certificate_verify"), "CertificateVerify");
    same(&msgs[3].1, t.get("server_finished"), "server Finished");
    same(
        &layer(&hs_s.server).seal(22, &flight, 0).unwrap(),
        rec,
        "server flight record re-encrypted",
    );

    // The CertificateVerify signs the transcript through Certificate (RFC 8446 §4.4.3).
    let Message13::Certificate { context, entries } = &msgs[1].0 else {
        panic!("not a Certificate")
    };
    assert!(context.is_empty());
    assert_eq!(entries.len(), 1);
    tr.add(&msgs[0].1);
    tr.add(&msgs[1].1);
    let Message13::CertificateVerify { scheme, signature } = &msgs[2].0 else {
        panic!("not a CertificateVerify")
    };
    assert_eq!(*scheme, SignatureScheme::RsaPssRsaeSha256);
    verify_rsa_pss(
        &entries[0].cert_data,
        &certificate_verify_content(true, &tr.hash(ALG)),
        signature,
    );
    tr.add(&msgs[2].1);
    tr.add(&msgs[3].1);

    let ap = ApplicationSecrets::derive(ALG, &hs_s.handshake_secret, &tr.hash(ALG));
    let cfin = Message13::Finished(verify_data(ALG, &hs_s.client, &tr.hash(ALG))).to_bytes();
    same(
        &layer(&hs_s.client).seal(22, &cfin, 0).unwrap(),
        t.get("client_finished_record"),
        "client Finished record",
    );
    tr.add(&cfin);

    // Server application traffic: NewSessionTicket (seq 0), data (1), close_notify (2).
    let mut server_tx = layer(&ap.server);
    let mut server_rx_check = layer(&ap.server);
    let (typ, nst) = server_rx_check
        .open(t.get("new_session_ticket_record"))
        .unwrap();
    assert_eq!(typ, 22);
    same(&nst, t.get("new_session_ticket"), "NewSessionTicket");
    let (nst_typ, nst_body, _, _) = split_handshake(&nst).unwrap().unwrap();
    assert_eq!(nst_typ, hs::NEW_SESSION_TICKET);
    let parsed = Message13::read_body(nst_typ, nst_body, 32).unwrap();
    same(&parsed.to_bytes(), &nst, "NewSessionTicket re-encoded");
    assert_eq!(parsed.max_early_data(), Some(0x400));
    same(
        &server_tx.seal(22, &nst, 0).unwrap(),
        t.get("new_session_ticket_record"),
        "NewSessionTicket record",
    );
    same(
        &server_tx.seal(23, t.get("application_data"), 0).unwrap(),
        t.get("server_application_data_record"),
        "server application data record",
    );
    same(
        &server_tx.seal(21, &[1, 0], 0).unwrap(),
        t.get("server_close_notify_record"),
        "server close_notify record",
    );
    let mut client_tx = layer(&ap.client);
    same(
        &client_tx.seal(23, t.get("application_data"), 0).unwrap(),
        t.get("client_application_data_record"),
        "client application data record",
    );
    same(
        &client_tx.seal(21, &[1, 0], 0).unwrap(),
        t.get("client_close_notify_record"),
        "client close_notify record",
    );
}

fn verify_rsa_pss(cert_der: &[u8], content: &[u8], signature: &[u8]) {
    use rsa::pkcs8::DecodePublicKey;
    use rsa::signature::Verifier;
    use x509_cert::der::{Decode, Encode};
    let cert = x509_cert::Certificate::from_der(cert_der).unwrap();
    let spki = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .unwrap();
    let key = rsa::RsaPublicKey::from_public_key_der(&spki).unwrap();
    let vk = rsa::pss::VerifyingKey::<sha2::Sha256>::new(key);
    let sig = rsa::pss::Signature::try_from(signature).unwrap();
    vk.verify(content, &sig)
        .expect("CertificateVerify verifies");
    let mut tampered = content.to_vec();
    tampered[64] ^= 1;
    assert!(vk.verify(&tampered, &sig).is_err());
}

/// RFC 8448 §3 → §4: the NewSessionTicket's nonce and §3's resumption master secret give the
/// PSK; §4's ClientHello carries that ticket, and its binder, computed over the ClientHello
/// truncated before the binders list, equals the trace's.
#[test]
fn s3_ticket_psk_checks_against_s4_binder() {
    let t3 = s3();
    let t4 = s4();
    let nst = t3.get("new_session_ticket");
    let Message13::NewSessionTicket { nonce, ticket, .. } =
        Message13::read_body(hs::NEW_SESSION_TICKET, &nst[4..], 32).unwrap()
    else {
        panic!("not a NewSessionTicket")
    };
    let psk = resumption_psk(ALG, t3.get("resumption_master"), &nonce);
    same(&psk, t3.get("resumption_psk"), "resumption PSK");

    let early = early_secret(ALG, Some(&psk));
    same(&early, t4.get("early_secret"), "§4 early secret");
    let bk = binder_key(ALG, &early, true);
    same(&bk, t4.get("binder_key"), "§4 res binder key");
    same(
        &finished_key(ALG, &bk),
        t4.get("binder_finished_key"),
        "§4 binder finished key",
    );

    let ch_msg = t4.msg("client_hello_record");
    let ch = ClientHello::from_bytes(&ch_msg[4..]).unwrap();
    same(&ch.to_bytes(), &ch_msg[4..], "§4 ClientHello re-encoded");
    let offered = ClientHello13::parse(&ch).unwrap().psk.unwrap();
    same(
        &offered.identities[0].identity,
        &ticket,
        "§4 PSK identity is §3's ticket",
    );
    let n = binder_truncation_len(ch_msg, &offered).unwrap();
    let mut tr = Transcript::new();
    let binder_hash = tr.hash_with(ALG, &ch_msg[..n]);
    same(&binder_hash, t4.get("binder_hash"), "§4 binder hash");
    let binder = psk_binder(ALG, &bk, &binder_hash);
    same(&binder, t4.get("binder"), "§4 PSK binder");
    same(&offered.binders[0], &binder, "binder in the ClientHello");
    // A wrong resumption secret gives another binder.
    let wrong = resumption_psk(ALG, t3.get("master_secret"), &nonce);
    let wrong_bk = binder_key(ALG, &early_secret(ALG, Some(&wrong)), true);
    assert_ne!(psk_binder(ALG, &wrong_bk, &binder_hash), binder);
    tr.add(ch_msg);
}

/// RFC 8448 §5: the HelloRetryRequest (special random, P-256 selected, cookie), the
/// message_hash transcript (RFC 8446 §4.4.1), the P-256 exchange and every secret after it;
/// the server's flight decrypts and re-encrypts, its Finished verifies, and the client's
/// Finished re-encrypts byte for byte.
#[test]
fn s5_hello_retry_request() {
    let t = s5();
    let cx = EcdhKeyPair::from_secret_bytes(Curve::X25519, key32(t.get("client_x25519_private")))
        .unwrap();
    same(
        &cx.public,
        t.get("client_x25519_public"),
        "client X25519 public",
    );
    let ch1 = ClientHello::from_bytes(&t.msg("client_hello1_record")[4..]).unwrap();
    same(
        &ch1.to_bytes(),
        &t.msg("client_hello1_record")[4..],
        "ClientHello1",
    );

    let hrr = ServerHello::from_bytes(&t.msg("hello_retry_request_record")[4..]).unwrap();
    same(
        &hrr.to_bytes(),
        &t.msg("hello_retry_request_record")[4..],
        "HelloRetryRequest",
    );
    assert!(is_hello_retry_request(&hrr));
    let hrr13 = ServerHello13::parse(&hrr).unwrap();
    assert_eq!(hrr13.hrr_group, Some(NamedGroup::Secp256r1));
    assert_eq!(hrr13.key_share, None);
    same(hrr13.cookie.as_deref().unwrap(), t.get("cookie"), "cookie");
    let rebuilt = ServerHello {
        extensions: hrr13.to_extensions(),
        ..hrr.clone()
    };
    same(
        &rebuilt.to_bytes(),
        &hrr.to_bytes(),
        "HRR from typed extensions",
    );

    let cp = EcdhKeyPair::from_secret_bytes(Curve::Secp256r1, key32(t.get("client_p256_private")))
        .unwrap();
    same(
        &cp.public,
        t.get("client_p256_public"),
        "client P-256 public",
    );
    let ch2 = ClientHello::from_bytes(&t.msg("client_hello2_record")[4..]).unwrap();
    same(
        &ch2.to_bytes(),
        &t.msg("client_hello2_record")[4..],
        "ClientHello2",
    );
    let ch2_13 = ClientHello13::parse(&ch2).unwrap();
    assert_eq!(
        ch2_13.cookie, hrr13.cookie,
        "ClientHello2 echoes the cookie"
    );
    let share = &ch2_13.key_shares.unwrap()[0];
    assert_eq!(share.group, NamedGroup::Secp256r1);
    same(&share.key_exchange, &cp.public, "ClientHello2 key_share");

    let sp = EcdhKeyPair::from_secret_bytes(Curve::Secp256r1, key32(t.get("server_p256_private")))
        .unwrap();
    same(
        &sp.public,
        t.get("server_p256_public"),
        "server P-256 public",
    );
    let sh = ServerHello::from_bytes(&t.msg("server_hello_record")[4..]).unwrap();
    let sh13 = ServerHello13::parse(&sh).unwrap();
    same(
        &sh13.key_share.unwrap().key_exchange,
        &sp.public,
        "ServerHello key_share",
    );
    let z = cp.shared_secret(&sp.public).unwrap();
    same(
        &z,
        &sp.shared_secret(&cp.public).unwrap(),
        "P-256 agreement",
    );

    let mut tr = Transcript::new();
    tr.add(t.msg("client_hello1_record"));
    tr.replace_with_message_hash(ALG);
    tr.add(t.msg("hello_retry_request_record"));
    tr.add(t.msg("client_hello2_record"));
    tr.add(t.msg("server_hello_record"));
    same(&tr.hash(ALG), t.get("hello_hash"), "hash(message_hash..SH)");
    // Without the message_hash substitution the transcript is wrong.
    let mut naive = Transcript::new();
    for k in [
        "client_hello1_record",
        "hello_retry_request_record",
        "client_hello2_record",
        "server_hello_record",
    ] {
        naive.add(t.msg(k));
    }
    assert_ne!(naive.hash(ALG), tr.hash(ALG));

    let hs_s = HandshakeSecrets::derive(ALG, &early_secret(ALG, None), &z, &tr.hash(ALG));
    same(
        &hs_s.handshake_secret,
        t.get("handshake_secret"),
        "handshake secret",
    );
    same(&hs_s.client, t.get("client_hs_traffic"), "c hs traffic");
    same(&hs_s.server, t.get("server_hs_traffic"), "s hs traffic");
    same(
        &derive_secret(ALG, &hs_s.handshake_secret, b"derived", &ALG.hash(b"")),
        t.get("derived_for_master"),
        "derived (master)",
    );
    let sk = TrafficKeys::derive(ALG, AEAD, &hs_s.server);
    same(&sk.key, t.get("server_hs_key"), "server handshake key");
    same(&sk.iv, t.get("server_hs_iv"), "server handshake iv");
    let ck = TrafficKeys::derive(ALG, AEAD, &hs_s.client);
    same(&ck.key, t.get("client_hs_key"), "client handshake key");
    same(&ck.iv, t.get("client_hs_iv"), "client handshake iv");

    let rec = t.get("server_flight_record");
    let (typ, flight) = layer(&hs_s.server).open(rec).unwrap();
    assert_eq!(typ, 22);
    let msgs = messages(&flight, 32);
    same(
        &msgs[0].1,
        t.get("encrypted_extensions"),
        "EncryptedExtensions",
    );
    same(
        &msgs[1].1,
        s3().get("certificate"),
        "Certificate (as in §3)",
    );
    same(&msgs[2].1, t.get("certificate_verify"), "CertificateVerify");
    same(&msgs[3].1, t.get("server_finished"), "server Finished");
    same(
        &layer(&hs_s.server).seal(22, &flight, 0).unwrap(),
        rec,
        "server flight re-encrypted",
    );
    for (_, m) in &msgs[..3] {
        tr.add(m);
    }
    let Message13::Finished(sfin) = &msgs[3].0 else {
        panic!("not Finished")
    };
    same(
        &verify_data(ALG, &hs_s.server, &tr.hash(ALG)),
        sfin,
        "server verify_data",
    );
    tr.add(&msgs[3].1);

    let ap = ApplicationSecrets::derive(ALG, &hs_s.handshake_secret, &tr.hash(ALG));
    same(&ap.master_secret, t.get("master_secret"), "master secret");
    same(&ap.client, t.get("client_ap_traffic"), "c ap traffic");
    same(&ap.server, t.get("server_ap_traffic"), "s ap traffic");
    same(&ap.exporter, t.get("exporter_master"), "exp master");
    let sa = TrafficKeys::derive(ALG, AEAD, &ap.server);
    same(&sa.key, t.get("server_ap_key"), "server application key");
    same(&sa.iv, t.get("server_ap_iv"), "server application iv");
    let ca = TrafficKeys::derive(ALG, AEAD, &ap.client);
    same(&ca.key, t.get("client_ap_key"), "client application key");
    same(&ca.iv, t.get("client_ap_iv"), "client application iv");

    let cfin = Message13::Finished(verify_data(ALG, &hs_s.client, &tr.hash(ALG))).to_bytes();
    same(
        &layer(&hs_s.client).seal(22, &cfin, 0).unwrap(),
        t.get("client_finished_record"),
        "client Finished record",
    );
    tr.add(&cfin);
    same(
        &ap.resumption_master_secret(ALG, &tr.hash(ALG)),
        t.get("resumption_master"),
        "res master",
    );
    same(
        &layer(&ap.client).seal(21, &[1, 0], 0).unwrap(),
        t.get("client_close_notify_record"),
        "client close_notify",
    );
    same(
        &layer(&ap.server).seal(21, &[1, 0], 0).unwrap(),
        t.get("server_close_notify_record"),
        "server close_notify",
    );
}

/// RFC 8448 §7 compatibility mode (RFC 8446 §D.4): the ClientHello's 32-byte
/// legacy_session_id is echoed in the ServerHello, each side sends one unprotected
/// change_cipher_spec record, and the handshake transcript excludes them: the server's
/// flight decrypts and re-encrypts, its Finished verifies, and the client's Finished and
/// both close_notify records re-encrypt byte for byte.
#[test]
fn s7_compatibility_mode() {
    let t = s7();
    let c = EcdhKeyPair::from_secret_bytes(Curve::X25519, key32(t.get("client_private"))).unwrap();
    let s = EcdhKeyPair::from_secret_bytes(Curve::X25519, key32(t.get("server_private"))).unwrap();
    let ch = ClientHello::from_bytes(&t.msg("client_hello_record")[4..]).unwrap();
    let sh = ServerHello::from_bytes(&t.msg("server_hello_record")[4..]).unwrap();
    same(
        &ch.to_bytes(),
        &t.msg("client_hello_record")[4..],
        "ClientHello",
    );
    same(
        &sh.to_bytes(),
        &t.msg("server_hello_record")[4..],
        "ServerHello",
    );
    assert_eq!(ch.session_id.0.len(), 32);
    assert_eq!(sh.session_id, ch.session_id, "legacy_session_id_echo");
    same(
        &ClientHello13::parse(&ch).unwrap().key_shares.unwrap()[0].key_exchange,
        &c.public,
        "client key_share",
    );
    same(
        &ServerHello13::parse(&sh)
            .unwrap()
            .key_share
            .unwrap()
            .key_exchange,
        &s.public,
        "server key_share",
    );
    assert_eq!(
        t.get("server_change_cipher_spec_record"),
        [20, 3, 3, 0, 1, 1]
    );
    assert_eq!(
        t.get("client_change_cipher_spec_record"),
        [20, 3, 3, 0, 1, 1]
    );

    let z = c.shared_secret(&s.public).unwrap();
    let mut tr = Transcript::new();
    tr.add(t.msg("client_hello_record"));
    tr.add(t.msg("server_hello_record"));
    let hs_s = HandshakeSecrets::derive(ALG, &early_secret(ALG, None), &z, &tr.hash(ALG));
    let rec = t.get("server_flight_record");
    let (_, flight) = layer(&hs_s.server).open(rec).unwrap();
    let msgs = messages(&flight, 32);
    same(&msgs[3].1, t.get("server_finished"), "server Finished");
    same(
        &layer(&hs_s.server).seal(22, &flight, 0).unwrap(),
        rec,
        "server flight re-encrypted",
    );
    for (_, m) in &msgs[..3] {
        tr.add(m);
    }
    let Message13::Finished(sfin) = &msgs[3].0 else {
        panic!("not Finished")
    };
    same(
        &verify_data(ALG, &hs_s.server, &tr.hash(ALG)),
        sfin,
        "server verify_data",
    );
    tr.add(&msgs[3].1);
    let ap = ApplicationSecrets::derive(ALG, &hs_s.handshake_secret, &tr.hash(ALG));
    let cfin = Message13::Finished(verify_data(ALG, &hs_s.client, &tr.hash(ALG))).to_bytes();
    same(
        &layer(&hs_s.client).seal(22, &cfin, 0).unwrap(),
        t.get("client_finished_record"),
        "client Finished record",
    );
    same(
        &layer(&ap.client).seal(21, &[1, 0], 0).unwrap(),
        t.get("client_close_notify_record"),
        "client close_notify",
    );
    same(
        &layer(&ap.server).seal(21, &[1, 0], 0).unwrap(),
        t.get("server_close_notify_record"),
        "server close_notify",
    );
}

/// HKDF-Extract with an absent salt equals the explicit zero salt (RFC 5869 §2.2), which the
/// early secret relies on.
#[test]
fn empty_salt_is_zero_salt() {
    assert_eq!(
        hkdf_extract(ALG, b"", &[0; 32]),
        hkdf_extract(ALG, &[0; 32], &[0; 32])
    );
}
