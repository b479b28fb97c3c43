//! Codec-wide tests: known bytes written out by hand from RFC 5246's structures, and
//! property tests (round trips, no panics on arbitrary input, reassembly of any split).

use super::*;
use proptest::prelude::*;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("test hex is valid"))
        .collect()
}

/// A TLS 1.2 ClientHello: suites C02F, 009F and the renegotiation SCSV; null compression;
/// EMS, empty renegotiation_info, empty session_ticket, SNI "localhost", secp256r1.
const CLIENT_HELLO: &str = "
    01 000056
    0303
    000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
    00
    0006 c02f 009f 00ff
    01 00
    0027
      0017 0000
      ff01 0001 00
      0023 0000
      0000 000e 000c 00 0009 6c6f63616c686f7374
      000a 0004 0002 0017
";

#[test]
fn known_client_hello_decodes() {
    let bytes = hex(CLIENT_HELLO);
    let m = HandshakeMessage::from_bytes(&bytes, true).unwrap();
    let HandshakePayload::ClientHello(ch) = &m.payload else {
        panic!("not a ClientHello: {m:?}");
    };
    assert_eq!(ch.version, ProtocolVersion::TLSv1_2);
    assert_eq!(ch.random[31], 0x1f);
    assert!(ch.session_id.is_empty());
    assert_eq!(
        ch.suites,
        vec![
            CipherSuite(0xC02F),
            CipherSuite(0x009F),
            CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV
        ]
    );
    assert_eq!(ch.compression, vec![CompressionMethod::Null]);
    assert!(ch.offers_ems());
    assert_eq!(ch.renegotiation_info(), Some(&[][..]));
    assert_eq!(ch.session_ticket(), Some(&[][..]));
    assert_eq!(ch.server_name(), Some(&b"localhost"[..]));
    assert_eq!(ch.groups(), Some(&[NamedGroup::Secp256r1][..]));
    assert!(ch.has_ext(ExtensionType::SessionTicket));
    assert!(!ch.has_ext(ExtensionType::SignatureAlgorithms));
    assert_eq!(m.to_bytes(), bytes);
    assert_eq!(
        m.to_string(),
        "ClientHello(TLS 1.2, sid=0, suites=[ECDHE-RSA-AES128-GCM-SHA256,\
         DHE-RSA-AES256-GCM-SHA384,TLS_EMPTY_RENEGOTIATION_INFO_SCSV], \
         ext=[extended_master_secret,renegotiation_info,session_ticket,server_name,\
         supported_groups])"
    );
}

#[test]
fn extension_code_points_on_the_wire() {
    let ext_bytes = |e: ClientExtension| {
        let ch = ClientHello {
            version: ProtocolVersion::TLSv1_2,
            random: [0; 32],
            session_id: SessionId::empty(),
            suites: vec![CipherSuite(0x002F)],
            compression: vec![CompressionMethod::Null],
            extensions: vec![e],
        };
        let b = ch.to_bytes();
        // version 2 + random 32 + sid 1 + suites 4 + compression 2 + block length 2
        b[43..].to_vec()
    };
    assert_eq!(
        ext_bytes(ClientExtension::ExtendedMasterSecret),
        hex("0017 0000")
    );
    assert_eq!(
        ext_bytes(ClientExtension::RenegotiationInfo(vec![])),
        hex("ff01 0001 00")
    );
    assert_eq!(
        ext_bytes(ClientExtension::SessionTicket(vec![0xab, 0xcd])),
        hex("0023 0002 abcd")
    );
    let sh = ServerHello {
        version: ProtocolVersion::TLSv1_2,
        random: [0; 32],
        session_id: SessionId(vec![7; 32]),
        suite: CipherSuite(0x009F),
        compression: CompressionMethod::Null,
        extensions: vec![
            ServerExtension::ExtendedMasterSecret,
            ServerExtension::RenegotiationInfo(vec![]),
            ServerExtension::SessionTicket,
        ],
    };
    let b = sh.to_bytes();
    assert_eq!(b[70..], hex("000d 0017 0000 ff01 0001 00 0023 0000")[..]);
    assert!(ServerHello::from_bytes(&b).unwrap().offers_ems());
}

#[test]
fn no_extensions_means_no_block() {
    let ch = ClientHello {
        version: ProtocolVersion::TLSv1_0,
        random: [1; 32],
        session_id: SessionId::empty(),
        suites: vec![CipherSuite(0x000A)],
        compression: vec![CompressionMethod::Null],
        extensions: vec![],
    };
    let b = ch.to_bytes();
    assert_eq!(b.len(), 2 + 32 + 1 + 4 + 2);
    assert_eq!(ClientHello::from_bytes(&b), Ok(ch.clone()));
    // An empty block decodes to the same value.
    let mut with_block = b.clone();
    with_block.extend_from_slice(&[0, 0]);
    assert_eq!(ClientHello::from_bytes(&with_block), Ok(ch));
}

#[test]
fn client_hello_legacy_rules() {
    let good = hex(CLIENT_HELLO)[4..].to_vec();
    assert!(ClientHello::from_bytes(&good).is_ok());
    // session_id of 33 bytes.
    let mut b = good[..34].to_vec();
    b.push(33);
    b.extend_from_slice(&[0; 33]);
    b.extend_from_slice(&good[35..]);
    assert_eq!(ClientHello::from_bytes(&b), Err(InvalidMessage::TooLong));
    // Empty and odd-length suite lists.
    let tail = &good[35 + 8..];
    let mut b = good[..35].to_vec();
    b.extend_from_slice(&[0, 0]);
    b.extend_from_slice(tail);
    assert_eq!(
        ClientHello::from_bytes(&b),
        Err(InvalidMessage::EmptyVector("cipher_suites"))
    );
    let mut b = good[..35].to_vec();
    b.extend_from_slice(&[0, 3, 0xc0, 0x2f, 0]);
    b.extend_from_slice(tail);
    assert!(ClientHello::from_bytes(&b).is_err());
    // Empty compression list.
    let mut b = good[..43].to_vec();
    b.push(0);
    b.extend_from_slice(&good[45..]);
    assert_eq!(
        ClientHello::from_bytes(&b),
        Err(InvalidMessage::EmptyVector("compression_methods"))
    );
    // Trailing byte after the extensions block.
    let mut b = good.clone();
    b.push(0);
    assert!(ClientHello::from_bytes(&b).is_err());
    // Extensions block longer than the message.
    let mut b = good.clone();
    b[46] += 1;
    assert!(ClientHello::from_bytes(&b).is_err());
}

#[test]
fn duplicate_and_malformed_extensions() {
    let mut ch = ClientHello {
        version: ProtocolVersion::TLSv1_2,
        random: [0; 32],
        session_id: SessionId::empty(),
        suites: vec![CipherSuite(0x002F)],
        compression: vec![CompressionMethod::Null],
        extensions: vec![
            ClientExtension::ExtendedMasterSecret,
            ClientExtension::Unknown {
                typ: 0x0017,
                data: vec![],
            },
        ],
    };
    let e = ClientHello::from_bytes(&ch.to_bytes()).unwrap_err();
    assert_eq!(e, InvalidMessage::DuplicateExtension(0x0017));
    assert_eq!(e.alert(), AlertDescription::IllegalParameter);
    // extended_master_secret with a body.
    ch.extensions = vec![ClientExtension::Unknown {
        typ: 0x0017,
        data: vec![0],
    }];
    let e = ClientHello::from_bytes(&ch.to_bytes()).unwrap_err();
    assert_eq!(e.alert(), AlertDescription::DecodeError);
    // A server_name list with two entries is kept whole.
    let data = hex("0009 00 0001 61 01 0002 6263");
    ch.extensions = vec![ClientExtension::Unknown {
        typ: 0,
        data: data.clone(),
    }];
    let back = ClientHello::from_bytes(&ch.to_bytes()).unwrap();
    assert_eq!(back.extensions, ch.extensions);
    assert_eq!(back.server_name(), None);
}

#[test]
fn key_exchange_known_bytes() {
    // DHE with a leading zero in Ys, TLS 1.2 rsa_pkcs1_sha256 signature.
    let body = hex("0002 00ff 0001 02 0003 0000 05 0401 0002 aabb");
    let ske = ServerKeyExchangePayload::read_as(KeyExchange::DheRsa, true, &body).unwrap();
    let ServerKeyExchangePayload::Dhe { params, sig } = &ske else {
        panic!("not DHE");
    };
    assert_eq!(params.ys, vec![0, 0, 5]);
    assert_eq!(sig.scheme, Some(SignatureScheme::RsaPkcs1Sha256));
    assert_eq!(ske.params_bytes(), hex("0002 00ff 0001 02 0003 0000 05"));
    assert_eq!(ske.to_bytes(), body);
    assert!(ServerKeyExchangePayload::read_as(KeyExchange::DheRsa, false, &body).is_err());
    assert!(ServerKeyExchangePayload::read_as(KeyExchange::Rsa, true, &body).is_err());
    // ECDHE x25519, TLS 1.0 (no algorithm pair).
    let body = hex("03 001d 02 0909 0001 ee");
    let ske = ServerKeyExchangePayload::read_as(KeyExchange::EcdheRsa, false, &body).unwrap();
    assert_eq!(ske.sig().scheme, None);
    assert_eq!(ske.to_bytes(), body);
    let e =
        ServerKeyExchangePayload::read_as(KeyExchange::EcdheRsa, false, &hex("01 001d 01 09 0000"))
            .unwrap_err();
    assert_eq!(e.alert(), AlertDescription::IllegalParameter);
    // ClientKeyExchange: Yc keeps its leading zero; an empty Yc is refused.
    assert_eq!(
        ClientKeyExchangePayload::read_as(KeyExchange::DheDss, &hex("0002 0007")),
        Ok(ClientKeyExchangePayload::Dh(vec![0, 7]))
    );
    assert!(ClientKeyExchangePayload::read_as(KeyExchange::DheDss, &hex("0000")).is_err());
    assert_eq!(
        ClientKeyExchangePayload::read_as(KeyExchange::Rsa, &hex("0000")),
        Ok(ClientKeyExchangePayload::Rsa(vec![]))
    );
}

#[test]
fn reads_a_flight_message_by_message() {
    let flight = [
        HandshakeMessage::new(HandshakePayload::Certificate(vec![vec![0x30, 0x00]])),
        HandshakeMessage::new(HandshakePayload::CertificateRequest(CertificateRequest {
            cert_types: vec![ClientCertificateType::RsaSign],
            sig_algs: Some(vec![SignatureScheme::RsaPkcs1Sha256]),
            authorities: vec![vec![0x30, 0x01, 0x00]],
        })),
        HandshakeMessage::new(HandshakePayload::ServerHelloDone),
    ];
    let bytes: Vec<u8> = flight.iter().flat_map(HandshakeMessage::to_bytes).collect();
    assert_eq!(
        bytes,
        hex("0b 000008 000005 000002 3000
             0d 00000d 01 01 0002 0401 0005 0003 300100
             0e 000000")
    );
    let mut r = Reader::new(&bytes);
    for m in &flight {
        assert_eq!(&HandshakeMessage::read(&mut r, true).unwrap(), m);
    }
    assert!(r.is_empty());
    // Read as TLS 1.1, the CertificateRequest's algorithm list is taken for the CA list.
    let mut r = Reader::new(&bytes[12..]);
    assert!(HandshakeMessage::read(&mut r, false).is_err());
}

#[test]
fn alert_known_bytes() {
    let a = Alert::from_bytes(&[2, 40]).unwrap();
    assert_eq!(a, Alert::fatal(AlertDescription::HandshakeFailure));
    assert_eq!(a.to_string(), "Alert(fatal, handshake_failure (40))");
    assert_eq!(
        Alert::fatal(AlertDescription::BadRecordMac).to_bytes(),
        vec![2, 20]
    );
}

// ---------------------------------------------------------------------------------------
// Strategies

fn bytes(min: usize, max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), min..=max)
}

fn version() -> impl Strategy<Value = ProtocolVersion> {
    any::<u16>().prop_map(ProtocolVersion::from)
}

fn scheme() -> impl Strategy<Value = SignatureScheme> {
    any::<u16>().prop_map(SignatureScheme::from)
}

fn group() -> impl Strategy<Value = NamedGroup> {
    any::<u16>().prop_map(NamedGroup::from)
}

fn session_id() -> impl Strategy<Value = SessionId> {
    bytes(0, 32).prop_map(SessionId)
}

const CLIENT_MODELLED: [u16; 7] = [0, 10, 11, 13, 0x17, 0x23, 0xff01];

fn client_ext() -> impl Strategy<Value = ClientExtension> {
    prop_oneof![
        bytes(0, 40).prop_map(ClientExtension::ServerName),
        prop::collection::vec(group(), 1..8).prop_map(ClientExtension::SupportedGroups),
        bytes(1, 4).prop_map(ClientExtension::EcPointFormats),
        prop::collection::vec(scheme(), 1..12).prop_map(ClientExtension::SignatureAlgorithms),
        Just(ClientExtension::ExtendedMasterSecret),
        bytes(0, 36).prop_map(ClientExtension::RenegotiationInfo),
        bytes(0, 80).prop_map(ClientExtension::SessionTicket),
        (
            any::<u16>().prop_filter("modelled", |t| !CLIENT_MODELLED.contains(t)),
            bytes(0, 40)
        )
            .prop_map(|(typ, data)| ClientExtension::Unknown { typ, data }),
        // A server_name list that is not a single host_name: kept whole.
        (bytes(0, 10), bytes(0, 10)).prop_map(|(a, b)| {
            let mut list = Vec::new();
            for n in [&a, &b] {
                list.push(0);
                put_vec(&mut list, 2, n);
            }
            let mut data = Vec::new();
            put_vec(&mut data, 2, &list);
            ClientExtension::Unknown { typ: 0, data }
        }),
    ]
}

const SERVER_MODELLED: [u16; 5] = [0, 11, 0x17, 0x23, 0xff01];

fn server_ext() -> impl Strategy<Value = ServerExtension> {
    prop_oneof![
        bytes(1, 4).prop_map(ServerExtension::EcPointFormats),
        Just(ServerExtension::ExtendedMasterSecret),
        bytes(0, 36).prop_map(ServerExtension::RenegotiationInfo),
        Just(ServerExtension::SessionTicket),
        Just(ServerExtension::ServerNameAck),
        (
            any::<u16>().prop_filter("modelled", |t| !SERVER_MODELLED.contains(t)),
            bytes(0, 40)
        )
            .prop_map(|(typ, data)| ServerExtension::Unknown { typ, data }),
    ]
}

/// Drops later extensions of a type already present (a valid hello has no duplicates).
fn dedup<E>(v: Vec<E>, typ: impl Fn(&E) -> ExtensionType) -> Vec<E> {
    let mut seen = std::collections::BTreeSet::new();
    v.into_iter().filter(|e| seen.insert(typ(e))).collect()
}

fn client_hello() -> impl Strategy<Value = ClientHello> {
    (
        version(),
        any::<[u8; 32]>(),
        session_id(),
        prop::collection::vec(any::<u16>().prop_map(CipherSuite), 1..30),
        prop::collection::vec(any::<u8>().prop_map(CompressionMethod::from), 1..3),
        prop::collection::vec(client_ext(), 0..10),
    )
        .prop_map(
            |(version, random, session_id, suites, compression, ext)| ClientHello {
                version,
                random,
                session_id,
                suites,
                compression,
                extensions: dedup(ext, ClientExtension::ext_type),
            },
        )
}

fn server_hello() -> impl Strategy<Value = ServerHello> {
    (
        version(),
        any::<[u8; 32]>(),
        session_id(),
        any::<u16>().prop_map(CipherSuite),
        any::<u8>().prop_map(CompressionMethod::from),
        prop::collection::vec(server_ext(), 0..7),
    )
        .prop_map(
            |(version, random, session_id, suite, compression, ext)| ServerHello {
                version,
                random,
                session_id,
                suite,
                compression,
                extensions: dedup(ext, ServerExtension::ext_type),
            },
        )
}

fn digitally_signed(tls12: bool) -> impl Strategy<Value = DigitallySigned> {
    (scheme(), bytes(0, 80)).prop_map(move |(s, signature)| DigitallySigned {
        scheme: tls12.then_some(s),
        signature,
    })
}

fn ske(tls12: bool) -> impl Strategy<Value = ServerKeyExchangePayload> {
    prop_oneof![
        (
            bytes(1, 80),
            bytes(1, 4),
            bytes(1, 80),
            digitally_signed(tls12)
        )
            .prop_map(|(p, g, ys, sig)| ServerKeyExchangePayload::Dhe {
                params: ServerDhParams { p, g, ys },
                sig
            }),
        (group(), bytes(1, 100), digitally_signed(tls12)).prop_map(|(group, point, sig)| {
            ServerKeyExchangePayload::Ecdhe {
                params: ServerEcdhParams {
                    curve_type: ServerEcdhParams::NAMED_CURVE,
                    group,
                    point,
                },
                sig,
            }
        }),
    ]
}

fn cke() -> impl Strategy<Value = (KeyExchange, ClientKeyExchangePayload)> {
    prop_oneof![
        bytes(0, 300).prop_map(|b| (KeyExchange::Rsa, ClientKeyExchangePayload::Rsa(b))),
        bytes(1, 300).prop_map(|b| (KeyExchange::DheDss, ClientKeyExchangePayload::Dh(b))),
        bytes(1, 255).prop_map(|b| (KeyExchange::EcdheEcdsa, ClientKeyExchangePayload::Ecdh(b))),
    ]
}

fn cert_request(tls12: bool) -> impl Strategy<Value = CertificateRequest> {
    (
        prop::collection::vec(any::<u8>().prop_map(ClientCertificateType::from), 1..5),
        prop::collection::vec(scheme(), 1..10),
        prop::collection::vec(bytes(1, 60), 0..5),
    )
        .prop_map(move |(cert_types, s, authorities)| CertificateRequest {
            cert_types,
            sig_algs: tls12.then_some(s),
            authorities,
        })
}

fn unknown_handshake_type() -> impl Strategy<Value = u8> {
    any::<u8>().prop_filter("known type", |t| !HandshakeType::from(*t).is_known())
}

fn handshake(tls12: bool) -> impl Strategy<Value = HandshakeMessage> {
    prop_oneof![
        Just(HandshakePayload::HelloRequest),
        client_hello().prop_map(HandshakePayload::ClientHello),
        server_hello().prop_map(HandshakePayload::ServerHello),
        prop::collection::vec(bytes(1, 200), 0..4).prop_map(HandshakePayload::Certificate),
        ske(tls12).prop_map(|s| HandshakePayload::ServerKeyExchange(s.to_bytes())),
        cert_request(tls12).prop_map(HandshakePayload::CertificateRequest),
        Just(HandshakePayload::ServerHelloDone),
        digitally_signed(tls12).prop_map(HandshakePayload::CertificateVerify),
        cke().prop_map(|(_, c)| HandshakePayload::ClientKeyExchange(c.to_bytes())),
        bytes(0, 36).prop_map(HandshakePayload::Finished),
        (any::<u32>(), bytes(0, 200)).prop_map(|(lifetime_hint, ticket)| {
            HandshakePayload::NewSessionTicket(NewSessionTicketPayload {
                lifetime_hint,
                ticket,
            })
        }),
        (unknown_handshake_type(), bytes(0, 50)).prop_map(|(t, b)| HandshakePayload::Unknown(t, b)),
    ]
    .prop_map(HandshakeMessage::new)
}

fn tls12_and_handshake() -> impl Strategy<Value = (bool, HandshakeMessage)> {
    any::<bool>().prop_flat_map(|t| (Just(t), handshake(t)))
}

fn record() -> impl Strategy<Value = Record> {
    (any::<u8>(), any::<u16>(), bytes(0, 300)).prop_map(|(t, v, fragment)| Record {
        typ: ContentType::from(t),
        version: ProtocolVersion::from(v),
        fragment,
    })
}

/// Cuts `data` at the given fractions into non-empty pieces.
fn split(data: &[u8], cuts: &[prop::sample::Index]) -> Vec<Vec<u8>> {
    let mut points: Vec<usize> = cuts.iter().map(|i| i.index(data.len())).collect();
    points.push(0);
    points.push(data.len());
    points.sort_unstable();
    points.dedup();
    points
        .windows(2)
        .map(|w| data[w[0]..w[1]].to_vec())
        .collect()
}

/// Overwrites one byte of a valid encoding and sometimes truncates it, so that fuzzing
/// reaches past the first length check.
fn mutate(mut b: Vec<u8>, pos: prop::sample::Index, val: u8, cut: prop::sample::Index) -> Vec<u8> {
    if !b.is_empty() {
        let i = pos.index(b.len());
        b[i] = val;
        let keep = cut.index(b.len() + 1);
        if keep < b.len() / 2 {
            b.truncate(keep);
        }
    }
    b
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn handshake_messages_round_trip((tls12, m) in tls12_and_handshake()) {
        let b = m.to_bytes();
        prop_assert_eq!(HandshakeMessage::from_bytes(&b, tls12), Ok(m.clone()));
        prop_assert_eq!(b.len(), 4 + u32::from_be_bytes([0, b[1], b[2], b[3]]) as usize);
        prop_assert_eq!(b[0], m.typ().to_u8());
        prop_assert!(!m.to_string().is_empty());
    }

    #[test]
    fn client_hello_round_trips(ch in client_hello()) {
        prop_assert_eq!(ClientHello::from_bytes(&ch.to_bytes()), Ok(ch.clone()));
    }

    #[test]
    fn server_hello_round_trips(sh in server_hello()) {
        prop_assert_eq!(ServerHello::from_bytes(&sh.to_bytes()), Ok(sh.clone()));
    }

    #[test]
    fn ske_round_trips(
        (tls12, s) in any::<bool>().prop_flat_map(|t| (Just(t), ske(t))),
        rsa in any::<bool>(),
    ) {
        let kx = match (&s, rsa) {
            (ServerKeyExchangePayload::Dhe { .. }, true) => KeyExchange::DheRsa,
            (ServerKeyExchangePayload::Dhe { .. }, false) => KeyExchange::DheDss,
            (ServerKeyExchangePayload::Ecdhe { .. }, true) => KeyExchange::EcdheRsa,
            (ServerKeyExchangePayload::Ecdhe { .. }, false) => KeyExchange::EcdheEcdsa,
        };
        let b = s.to_bytes();
        prop_assert_eq!(ServerKeyExchangePayload::read_as(kx, tls12, &b), Ok(s.clone()));
        prop_assert!(b.starts_with(&s.params_bytes()));
        // The other version's reading either fails or differs; it never panics.
        let _ = ServerKeyExchangePayload::read_as(kx, !tls12, &b);
    }

    #[test]
    fn cke_round_trips((kx, c) in cke()) {
        prop_assert_eq!(ClientKeyExchangePayload::read_as(kx, &c.to_bytes()), Ok(c.clone()));
    }

    #[test]
    fn alert_and_record_round_trip(l in any::<u8>(), d in any::<u8>(), r in record()) {
        let a = Alert { level: AlertLevel::from(l), description: AlertDescription::from(d) };
        prop_assert_eq!(Alert::from_bytes(&a.to_bytes()), Ok(a));
        prop_assert_eq!(Record::from_bytes(&r.to_bytes()), Ok(r.clone()));
        if r.typ.is_known() {
            let mut d = RecordDeframer::new();
            d.push(&r.to_bytes());
            prop_assert_eq!(d.pop(), Ok(Some(r.clone())));
            prop_assert_eq!(d.buffered(), 0);
        }
    }

    #[test]
    fn decoders_never_panic_on_arbitrary_bytes(b in bytes(0, 400), tls12 in any::<bool>()) {
        let _ = HandshakeMessage::read(&mut Reader::new(&b), tls12);
        for kx in [KeyExchange::Rsa, KeyExchange::DheRsa, KeyExchange::EcdheEcdsa] {
            let _ = ServerKeyExchangePayload::read_as(kx, tls12, &b);
            let _ = ClientKeyExchangePayload::read_as(kx, &b);
        }
        let _ = ClientHello::from_bytes(&b);
        let _ = ServerHello::from_bytes(&b);
        let mut d = RecordDeframer::new();
        d.push(&b);
        while let Ok(Some(_)) = d.pop() {}
        let mut j = HandshakeJoiner::new();
        for piece in b.chunks(7) {
            let _ = j.push(piece);
            let _ = j.peek_header();
            while let Some(m) = j.pop() {
                let _ = HandshakeMessage::from_bytes(&m.raw, tls12);
            }
        }
    }

    #[test]
    fn decoders_never_panic_on_mutated_messages(
        (tls12, m) in tls12_and_handshake(),
        pos in any::<prop::sample::Index>(),
        val in any::<u8>(),
        cut in any::<prop::sample::Index>(),
    ) {
        let b = mutate(m.to_bytes(), pos, val, cut);
        let _ = HandshakeMessage::read(&mut Reader::new(&b), tls12);
        if b.len() > 4 {
            for kx in [KeyExchange::Rsa, KeyExchange::DheDss, KeyExchange::EcdheRsa] {
                let _ = ServerKeyExchangePayload::read_as(kx, tls12, &b[4..]);
                let _ = ClientKeyExchangePayload::read_as(kx, &b[4..]);
            }
        }
    }

    #[test]
    fn any_split_of_a_flight_reassembles(
        msgs in prop::collection::vec(handshake(true), 1..6),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let encoded: Vec<Vec<u8>> = msgs.iter().map(HandshakeMessage::to_bytes).collect();
        let mut j = HandshakeJoiner::new();
        let mut out = Vec::new();
        for piece in split(&encoded.concat(), &cuts) {
            j.push(&piece).unwrap();
            while let Some(m) = j.pop() {
                out.push(m);
            }
        }
        prop_assert!(j.is_empty());
        prop_assert_eq!(out.len(), msgs.len());
        for ((got, want), m) in out.iter().zip(&encoded).zip(&msgs) {
            prop_assert_eq!(&got.raw, want);
            prop_assert_eq!(got.typ, m.typ());
            prop_assert_eq!(got.body_len, want.len() - 4);
            prop_assert_eq!(&HandshakeMessage::from_bytes(&got.raw, true).unwrap(), m);
        }
    }

    #[test]
    fn fragment_handshake_reassembles_with_record_counts(
        msgs in prop::collection::vec(handshake(true), 1..6),
        max in 1usize..300,
        pack in any::<bool>(),
    ) {
        let encoded: Vec<Vec<u8>> = msgs.iter().map(HandshakeMessage::to_bytes).collect();
        let records = fragment_handshake(&encoded, max, pack);
        prop_assert!(records.iter().all(|r| !r.is_empty() && r.len() <= max));
        let mut j = HandshakeJoiner::new();
        let mut out = Vec::new();
        for r in &records {
            j.push(r).unwrap();
            if let Some((t, len)) = j.peek_header() {
                let cur = &encoded[out.len() + j.ready()];
                prop_assert_eq!(t.to_u8(), cur[0]);
                prop_assert_eq!(len, cur.len() - 4);
            }
            while let Some(m) = j.pop() {
                out.push(m);
            }
        }
        prop_assert!(j.is_empty());
        prop_assert_eq!(out.len(), encoded.len());
        let mut start = 0;
        for (got, want) in out.iter().zip(&encoded) {
            prop_assert_eq!(&got.raw, want);
            let expected = if pack {
                let end = start + want.len();
                (end - 1) / max - start / max + 1
            } else {
                want.len().div_ceil(max)
            };
            prop_assert_eq!(got.records, expected);
            start += want.len();
        }
    }
}
