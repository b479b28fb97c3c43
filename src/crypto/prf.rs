//! The TLS 1.0/1.1 PRF (RFC 2246 §5) and the TLS 1.2 PRF (RFC 5246 §5), with the values
//! derived from them: master secret (RFC 5246 §8.1), extended master secret (RFC 7627 §4),
//! key block (RFC 5246 §6.3) and Finished verify_data (RFC 5246 §7.4.9).

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384};

/// Which PRF a connection uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum PrfAlgorithm {
    /// TLS 1.0/1.1: `P_MD5(S1, ..) XOR P_SHA1(S2, ..)`.
    Tls10,
    /// TLS 1.2 with SHA-256 (the default).
    Sha256,
    /// TLS 1.2 with SHA-384 (`*_SHA384` suites).
    Sha384,
}

/// P_hash(secret, seed) of RFC 5246 §5, XORed into `out` (so P_MD5 and P_SHA1 can share it).
fn p_hash_xor<M: Mac + KeyInit + Clone>(secret: &[u8], label: &[u8], seed: &[u8], out: &mut [u8]) {
    // HMAC accepts keys of any length, so this cannot fail.
    let keyed = <M as KeyInit>::new_from_slice(secret).expect("HMAC takes any key length");
    // A(1) = HMAC(secret, label || seed)
    let mut a = {
        let mut m = keyed.clone();
        m.update(label);
        m.update(seed);
        m.finalize().into_bytes()
    };
    let mut pos = 0;
    while pos < out.len() {
        let mut m = keyed.clone();
        m.update(&a);
        m.update(label);
        m.update(seed);
        let block = m.finalize().into_bytes();
        for (o, b) in out[pos..].iter_mut().zip(block.iter()) {
            *o ^= *b;
        }
        pos += block.len();
        if pos < out.len() {
            // A(i+1) = HMAC(secret, A(i)), only when another block is needed
            let mut m = keyed.clone();
            m.update(&a);
            a = m.finalize().into_bytes();
        }
    }
}

/// PRF(secret, label, seed) truncated to `out_len` bytes.
pub fn prf(alg: PrfAlgorithm, secret: &[u8], label: &[u8], seed: &[u8], out_len: usize) -> Vec<u8> {
    crate::cost::probe(crate::cost::Kind::Prf, || {
        prf_unprobed(alg, secret, label, seed, out_len)
    })
}

fn prf_unprobed(
    alg: PrfAlgorithm,
    secret: &[u8],
    label: &[u8],
    seed: &[u8],
    out_len: usize,
) -> Vec<u8> {
    let mut out = vec![0u8; out_len];
    match alg {
        PrfAlgorithm::Tls10 => {
            // RFC 2246 §5: S1 is the first ceil(len/2) bytes, S2 the last ceil(len/2) bytes
            // (they share a byte when the length is odd).
            let half = secret.len().div_ceil(2);
            let s1 = &secret[..half];
            let s2 = &secret[secret.len() - half..];
            p_hash_xor::<Hmac<Md5>>(s1, label, seed, &mut out);
            p_hash_xor::<Hmac<Sha1>>(s2, label, seed, &mut out);
        }
        PrfAlgorithm::Sha256 => p_hash_xor::<Hmac<Sha256>>(secret, label, seed, &mut out),
        PrfAlgorithm::Sha384 => p_hash_xor::<Hmac<Sha384>>(secret, label, seed, &mut out),
    }
    out
}

fn to48(v: Vec<u8>) -> [u8; 48] {
    let mut out = [0u8; 48];
    out.copy_from_slice(&v[..48]);
    out
}

/// RFC 5246 §8.1: PRF(pre_master, "master secret", client_random || server_random)[0..48].
pub fn master_secret(
    alg: PrfAlgorithm,
    pre_master: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> [u8; 48] {
    let mut seed = [0u8; 64];
    seed[..32].copy_from_slice(client_random);
    seed[32..].copy_from_slice(server_random);
    to48(prf(alg, pre_master, b"master secret", &seed, 48))
}

/// RFC 7627 §4: PRF(pre_master, "extended master secret", session_hash)[0..48].
pub fn extended_master_secret(
    alg: PrfAlgorithm,
    pre_master: &[u8],
    session_hash: &[u8],
) -> [u8; 48] {
    to48(prf(
        alg,
        pre_master,
        b"extended master secret",
        session_hash,
        48,
    ))
}

/// RFC 5246 §6.3: PRF(master, "key expansion", server_random || client_random)[0..len].
pub fn key_block(
    alg: PrfAlgorithm,
    master: &[u8; 48],
    server_random: &[u8; 32],
    client_random: &[u8; 32],
    len: usize,
) -> Vec<u8> {
    let mut seed = [0u8; 64];
    seed[..32].copy_from_slice(server_random);
    seed[32..].copy_from_slice(client_random);
    prf(alg, master, b"key expansion", &seed, len)
}

/// RFC 5246 §7.4.9: PRF(master, "client finished" | "server finished", handshake_hash)[0..12].
pub fn verify_data(
    alg: PrfAlgorithm,
    master: &[u8; 48],
    from_client: bool,
    handshake_hash: &[u8],
) -> [u8; 12] {
    let label: &[u8] = if from_client {
        b"client finished"
    } else {
        b"server finished"
    };
    let v = prf(alg, master, label, handshake_hash, 12);
    let mut out = [0u8; 12];
    out.copy_from_slice(&v);
    out
}

/// The handshake hash fed to Finished and to the EMS session hash: `MD5(t) || SHA1(t)`
/// (36 bytes) for TLS 1.0/1.1, otherwise the PRF hash of `t`.
pub fn handshake_hash(alg: PrfAlgorithm, transcript: &[u8]) -> Vec<u8> {
    crate::cost::probe(crate::cost::Kind::Prf, || {
        handshake_hash_unprobed(alg, transcript)
    })
}

/// A running [`handshake_hash`]: feed the transcript as it grows and read the hash of
/// everything fed so far, so that the EMS session hash, CertificateVerify and both Finished
/// messages cost only the new bytes instead of re-hashing the whole transcript.
#[derive(Clone, Debug)]
pub struct RunningHash {
    alg: PrfAlgorithm,
    fed: usize,
    state: RunningState,
}

#[derive(Clone, Debug)]
enum RunningState {
    Tls10(Md5, Sha1),
    Sha256(Sha256),
    Sha384(Sha384),
}

impl RunningHash {
    pub fn new(alg: PrfAlgorithm) -> RunningHash {
        let state = match alg {
            PrfAlgorithm::Tls10 => RunningState::Tls10(Md5::new(), Sha1::new()),
            PrfAlgorithm::Sha256 => RunningState::Sha256(Sha256::new()),
            PrfAlgorithm::Sha384 => RunningState::Sha384(Sha384::new()),
        };
        RunningHash { alg, fed: 0, state }
    }

    pub fn alg(&self) -> PrfAlgorithm {
        self.alg
    }

    /// Bytes fed so far.
    pub fn fed(&self) -> usize {
        self.fed
    }

    pub fn update(&mut self, bytes: &[u8]) {
        crate::cost::probe(crate::cost::Kind::Prf, || {
            self.fed += bytes.len();
            match &mut self.state {
                RunningState::Tls10(m, s) => {
                    m.update(bytes);
                    s.update(bytes);
                }
                RunningState::Sha256(h) => h.update(bytes),
                RunningState::Sha384(h) => h.update(bytes),
            }
        })
    }

    /// `handshake_hash(alg, everything fed)`.
    pub fn current(&self) -> Vec<u8> {
        crate::cost::probe(crate::cost::Kind::Prf, || match &self.state {
            RunningState::Tls10(m, s) => {
                let mut v = m.clone().finalize().to_vec();
                v.extend_from_slice(&s.clone().finalize());
                v
            }
            RunningState::Sha256(h) => h.clone().finalize().to_vec(),
            RunningState::Sha384(h) => h.clone().finalize().to_vec(),
        })
    }
}

fn handshake_hash_unprobed(alg: PrfAlgorithm, transcript: &[u8]) -> Vec<u8> {
    match alg {
        PrfAlgorithm::Tls10 => {
            let mut v = Md5::digest(transcript).to_vec();
            v.extend_from_slice(&Sha1::digest(transcript));
            v
        }
        PrfAlgorithm::Sha256 => Sha256::digest(transcript).to_vec(),
        PrfAlgorithm::Sha384 => Sha384::digest(transcript).to_vec(),
    }
}

/// Lower-case hex of `bytes` (for logs and tests).
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut v = Vec::with_capacity(2 * bytes.len());
    for &b in bytes {
        v.extend_from_slice(&[DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]]);
    }
    String::from_utf8(v).unwrap_or_default() // ASCII digits: always valid
}

/// Parses lower- or upper-case hex; `None` on odd length or a non-hex digit.
pub fn from_hex(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        from_hex(s).expect("test hex")
    }

    /// The running transcript hash equals `handshake_hash` of every prefix it has been fed,
    /// across block boundaries, for all three PRF hashes; reading it does not consume it.
    #[test]
    fn running_hash_equals_handshake_hash_of_each_prefix() {
        let t: Vec<u8> = (0..3000u32).map(|i| (i * 7 + 3).to_le_bytes()[0]).collect();
        for alg in [
            PrfAlgorithm::Tls10,
            PrfAlgorithm::Sha256,
            PrfAlgorithm::Sha384,
        ] {
            let mut r = RunningHash::new(alg);
            assert_eq!(r.current(), handshake_hash(alg, &[]));
            let mut fed = 0;
            for cut in [1, 63, 64, 65, 128, 1000, 2999, 3000] {
                r.update(&t[fed..cut]);
                fed = cut;
                assert_eq!(r.fed(), cut);
                assert_eq!(r.current(), handshake_hash(alg, &t[..cut]), "{alg:?} {cut}");
                assert_eq!(r.current(), handshake_hash(alg, &t[..cut]), "read twice");
            }
        }
    }

    /// Lower-case hex, and back.
    #[test]
    fn hex_round_trip() {
        let bytes: Vec<u8> = (0..=255u8).collect();
        let s = to_hex(&bytes);
        assert_eq!(&s[..8], "00010203");
        assert_eq!(&s[s.len() - 4..], "feff");
        assert_eq!(from_hex(&s), Some(bytes));
    }

    /// TLS 1.2 PRF, SHA-256: the test vector posted to the IETF TLS list
    /// (https://www.ietf.org/mail-archive/web/tls/current/msg03416.html), reproduced in
    /// GnuTLS tests/tls12-prf.c and elsewhere.
    #[test]
    fn tls12_prf_sha256_ietf_vector() {
        let out = prf(
            PrfAlgorithm::Sha256,
            &h("9bbe436ba940f017b17652849a71db35"),
            b"test label",
            &h("a0ba9f936cda311827a6f796ffd5198c"),
            100,
        );
        assert_eq!(
            to_hex(&out),
            "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a\
             6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab\
             4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701\
             87347b66"
        );
    }

    /// TLS 1.2 PRF, SHA-384: same source (IETF TLS list msg03416, GnuTLS tests/tls12-prf.c).
    #[test]
    fn tls12_prf_sha384_ietf_vector() {
        let out = prf(
            PrfAlgorithm::Sha384,
            &h("b80b733d6ceefcdc71566ea48e5567df"),
            b"test label",
            &h("cd665cf6a8447dd6ff8b27555edb7465"),
            148,
        );
        assert_eq!(
            to_hex(&out),
            "7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cd\
             e9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd\
             8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d918425\
             9b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee6\
             91c8f3a26854308d5eaa3be85e0990703d73e56f"
        );
    }

    /// TLS 1.0/1.1 PRF (MD5-SHA1): the NIST CAVS vectors in OpenSSL's
    /// test/recipes/30-test_evp_data/evpkdf_tls11_prf.txt ("TLS1 PRF tests (from NIST test
    /// vectors)"): a master secret and then a key block, which also exercises the seed order
    /// of master_secret (client||server) and key_block (server||client).
    #[test]
    fn tls10_prf_nist_vectors_via_master_secret_and_key_block() {
        let pms = h("bded7fa5c1699c010be23dd06ada3a48349f21e5f86263d512c0c5cc379f0e780ec55d9844b2f1db02a96453513568d0");
        let cr: [u8; 32] = h("e5acaf549cd25c22d964c0d930fa4b5261d2507fad84c33715b7b9a864020693")
            .try_into()
            .unwrap();
        let sr: [u8; 32] = h("135e4d557fdf3aa6406d82975d5c606a9734c9334b42136e96990fbd5358cdb2")
            .try_into()
            .unwrap();
        let ms = master_secret(PrfAlgorithm::Tls10, &pms, &cr, &sr);
        assert_eq!(
            to_hex(&ms),
            "2f6962dfbc744c4b2138bb6b3d33054c5ecc14f24851d9896395a44ab3964efc2090c5bf51a0891209f46c1e1e998f62"
        );
        let sr2: [u8; 32] = h("67267e650eb32444119d222a368c191af3082888dc35afe8368e638c828874be")
            .try_into()
            .unwrap();
        let cr2: [u8; 32] = h("d58a7b1cd4fedaa232159df652ce188f9d997e061b9bf48e83b62990440931f6")
            .try_into()
            .unwrap();
        let kb = key_block(PrfAlgorithm::Tls10, &ms, &sr2, &cr2, 104);
        assert_eq!(
            to_hex(&kb),
            "3088825988e77fce68d19f756e18e43eb7fe672433504feaf99b3c503d9091b164f166db301d70c9\
             fc0870b4a94563907bee1a61fb786cb717576890bcc51cb9ead97e01d0a2fea99c953377b195205f\
             f07b369589178796edc963fd80fdbe518a2fc1c35c18ae8d"
        );
    }

    /// TLS 1.0 PRF on an even- and an odd-length secret (for the odd one S1 and S2 share the
    /// middle byte), label empty and seed "abc", generated with OpenSSL 3.0.19:
    /// `openssl kdf -binary -keylen 4 -kdfopt digest:MD5-SHA1 -kdfopt hexsecret:0102
    ///  -kdfopt seed:abc TLS1-PRF | xxd -p` gives 42ad5b01, and with `hexsecret:010203`
    /// gives 425d2d97.
    #[test]
    fn tls10_prf_openssl_generated() {
        let out = prf(PrfAlgorithm::Tls10, &[1, 2], b"", b"abc", 4);
        assert_eq!(to_hex(&out), "42ad5b01");
        let out = prf(PrfAlgorithm::Tls10, &[1, 2, 3], b"", b"abc", 4);
        assert_eq!(to_hex(&out), "425d2d97");
    }

    const PM: &str = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f30";
    const T1: &[u8] = b"tlsim EMS transcript: ClientHello|ServerHello|Certificate|ServerKeyExchange|ServerHelloDone|ClientKeyExchange";
    const T2: &[u8] = b"tlsim Finished transcript: ClientHello|ServerHello|Certificate|ServerKeyExchange|ServerHelloDone|ClientKeyExchange";

    /// EMS and Finished against OpenSSL 3.0.19, computed with (T1, T2 are the byte strings
    /// above written with printf to t1.bin / t2.bin; PM = bytes 01..30):
    /// ```text
    /// H1=$(openssl dgst -sha256 -r t1.bin | cut -d' ' -f1)   # 72e4a2ad...
    /// MS=$(openssl kdf -binary -keylen 48 -kdfopt digest:SHA256 -kdfopt hexsecret:$PM \
    ///      -kdfopt hexseed:$(printf 'extended master secret' | xxd -p -c 256)$H1 TLS1-PRF | xxd -p -c 256)
    /// H2=$(openssl dgst -sha256 -r t2.bin | cut -d' ' -f1)
    /// CF=$(openssl kdf -binary -keylen 12 -kdfopt digest:SHA256 -kdfopt hexsecret:$MS \
    ///      -kdfopt hexseed:$(printf 'client finished' | xxd -p -c 256)$H2 TLS1-PRF | xxd -p)
    /// (likewise 'server finished'; and digest:SHA384 / dgst -sha384 for the SHA-384 EMS)
    /// ```
    #[test]
    fn ems_and_finished_match_openssl() {
        let pm = h(PM);
        let h1 = handshake_hash(PrfAlgorithm::Sha256, T1);
        assert_eq!(
            to_hex(&h1),
            "72e4a2adde1b6f9538efbb9a957d7a3aef632b12340c23cd446c43474881a6ec"
        );
        let ms = extended_master_secret(PrfAlgorithm::Sha256, &pm, &h1);
        assert_eq!(
            to_hex(&ms),
            "8f9f12a7f35f9c593fdab2c7f9b2d2feaf64db67019c83e150ecbc5cf86be42e9a725eb8ca4b138a38d0c883def9c38d"
        );
        let h2 = handshake_hash(PrfAlgorithm::Sha256, T2);
        assert_eq!(
            to_hex(&h2),
            "b5fc7a3b0a18cc2666f4383c896f504e1ce7715461a40483a672b62a0970292f"
        );
        assert_eq!(
            to_hex(&verify_data(PrfAlgorithm::Sha256, &ms, true, &h2)),
            "34c585da2408dadd1c843406"
        );
        assert_eq!(
            to_hex(&verify_data(PrfAlgorithm::Sha256, &ms, false, &h2)),
            "4d9178bc1cc6ec366e32c57b"
        );
        let h3 = handshake_hash(PrfAlgorithm::Sha384, T1);
        assert_eq!(
            to_hex(&h3),
            "5338085622bf2456677d9a21448564b9ed61593a3dd24b9f65beae0d6fb3e082590004a03b8ecc58073d78e8a261a74d"
        );
        assert_eq!(
            to_hex(&extended_master_secret(PrfAlgorithm::Sha384, &pm, &h3)),
            "9af39005939bef0f0678c0cded89af6feb287401c14a6f58e6df2469f3959fa27a756dea9b450a0263a6301a3b6de831"
        );
    }

    #[test]
    fn handshake_hash_lengths_and_prefix_property() {
        assert_eq!(handshake_hash(PrfAlgorithm::Tls10, b"x").len(), 36);
        assert_eq!(handshake_hash(PrfAlgorithm::Sha256, b"x").len(), 32);
        assert_eq!(handshake_hash(PrfAlgorithm::Sha384, b"x").len(), 48);
        // Longer output is an extension of shorter output.
        for alg in [
            PrfAlgorithm::Tls10,
            PrfAlgorithm::Sha256,
            PrfAlgorithm::Sha384,
        ] {
            let a = prf(alg, b"secret", b"label", b"seed", 33);
            let b = prf(alg, b"secret", b"label", b"seed", 97);
            assert_eq!(&b[..33], &a[..]);
            assert!(prf(alg, b"secret", b"label", b"seed", 0).is_empty());
        }
    }

    fn openssl_prf(
        digest: &str,
        secret: &[u8],
        label: &[u8],
        seed: &[u8],
        len: usize,
    ) -> Option<Vec<u8>> {
        let mut ls = label.to_vec();
        ls.extend_from_slice(seed);
        let out = std::process::Command::new("openssl")
            .args([
                "kdf",
                "-binary",
                "-keylen",
                &len.to_string(),
                "-kdfopt",
                &format!("digest:{digest}"),
                "-kdfopt",
                &format!("hexsecret:{}", to_hex(secret)),
                "-kdfopt",
                &format!("hexseed:{}", to_hex(&ls)),
                "TLS1-PRF",
            ])
            .output()
            .ok()?;
        if !out.status.success() {
            return None;
        }
        Some(out.stdout)
    }

    /// Live cross-check against `openssl kdf` when it is installed.
    #[test]
    fn live_openssl_cross_check() {
        if std::process::Command::new("openssl")
            .arg("version")
            .output()
            .is_err()
        {
            println!("skipped: openssl not found");
            return;
        }
        type Case<'a> = (&'a [u8], &'a [u8], &'a [u8], usize);
        let cases: [Case; 3] = [
            (
                b"\x00\x01\x02secret with a zero",
                b"master secret",
                &[7u8; 64],
                48,
            ),
            (&[0xabu8; 255], b"key expansion", b"seed bytes", 136),
            (&[0x5au8; 49], b"client finished", &[1u8; 36], 12),
        ];
        let mut ran = 0;
        for (alg, digest) in [
            (PrfAlgorithm::Tls10, "MD5-SHA1"),
            (PrfAlgorithm::Sha256, "SHA256"),
            (PrfAlgorithm::Sha384, "SHA384"),
        ] {
            for (secret, label, seed, len) in cases {
                match openssl_prf(digest, secret, label, seed, len) {
                    Some(want) => {
                        assert_eq!(prf(alg, secret, label, seed, len), want, "{alg:?} {len}");
                        ran += 1;
                    }
                    None => println!("openssl kdf failed for {digest}; skipped"),
                }
            }
        }
        // EMS and Finished through the derived functions.
        let t = b"live transcript";
        let sh = handshake_hash(PrfAlgorithm::Sha256, t);
        let ems = extended_master_secret(PrfAlgorithm::Sha256, b"pre-master", &sh);
        if let Some(want) = openssl_prf("SHA256", b"pre-master", b"extended master secret", &sh, 48)
        {
            assert_eq!(ems.to_vec(), want);
            ran += 1;
        }
        if let Some(want) = openssl_prf("SHA256", &ems, b"server finished", &sh, 12) {
            assert_eq!(
                verify_data(PrfAlgorithm::Sha256, &ems, false, &sh).to_vec(),
                want
            );
            ran += 1;
        }
        println!("openssl live cross-check: {ran} comparisons");
    }
}
