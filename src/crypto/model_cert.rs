//! Modelled certificates and signatures of the simulated mode (DESIGN.md principle 1): an
//! X.509 certificate that is well formed (Wireshark dissects it) and exactly as long as a
//! profile's `cert_chain` says, and a "signature" that is a digest of exactly what a real one
//! covers. Only their sizes and equality matter to the engine; bridge mode uses real ones
//! ([`crate::engine::RealCrypto`]).

use sha2::{Digest, Sha256};

/// A modelled RSA signature over `parts` under `label`: a digest of exactly what a real
/// signature covers, stretched to an RSA-2048 signature's size (256 bytes).
pub(crate) fn modelled_signature(label: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(b"tlsim modelled signature ");
    h.update(label);
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p);
    }
    let d = h.finalize();
    d.iter().cycle().take(256).copied().collect()
}

/// DER: tag, definite length, body.
fn der(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    match u8::try_from(body.len()) {
        Ok(short) if short < 0x80 => v.push(short),
        _ => long_length(&mut v, body.len()),
    }
    v.extend_from_slice(body);
    v
}

/// A DER long-form length: `0x80 | k`, then `n` in `k` big-endian bytes, the fewest that hold
/// it.
fn long_length(v: &mut Vec<u8>, n: usize) {
    let len = n.to_be_bytes();
    let skip = len.iter().take_while(|b| **b == 0).count();
    v.push(0x80 | len_of_len(len.len() - skip));
    v.extend_from_slice(&len[skip..]);
}

/// `k`, a count of length bytes, for the `0x80 | k` byte of a long-form length.
fn len_of_len(k: usize) -> u8 {
    u8::try_from(k).expect("a length has at most size_of::<usize>() = 8 bytes")
}

/// [`build_model_cert`], memoised per thread: the bytes depend only on the arguments, and a
/// study builds the same few certificates for every connection.
pub(crate) fn model_cert(size: usize, index: usize, who: &'static str) -> Vec<u8> {
    use std::cell::RefCell;
    use std::collections::BTreeMap;
    type Cache = BTreeMap<(usize, usize, &'static str), Vec<u8>>;
    thread_local! {
        static CACHE: RefCell<Cache> = const { RefCell::new(BTreeMap::new()) };
    }
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= 64 {
            c.clear(); // bounded: a scenario uses a handful of sizes
        }
        c.entry((size, index, who))
            .or_insert_with(|| build_model_cert(size, index, who))
            .clone()
    })
}

pub(crate) fn build_model_cert(size: usize, index: usize, who: &str) -> Vec<u8> {
    // A well-formed X.509 structure of exactly the configured size, so that Wireshark
    // dissects it: subject and issuer "CN=tlsim modelled certificate …", a small modelled
    // RSA key and a modelled signature (filler) that takes up the rest of the size. Its
    // contents are modelled (DESIGN.md principle 1); only its size matters to the engine.
    let text = format!("tlsim modelled certificate {who} {index}");
    let filler = |n: usize| -> Vec<u8> { text.bytes().cycle().take(n).collect() };
    let alg = |oid_last: u8| {
        let mut b = der(
            0x06,
            &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, oid_last],
        );
        b.extend(der(0x05, &[]));
        der(0x30, &b)
    };
    for pad in 0..4 {
        let mut cn = der(0x06, &[0x55, 0x04, 0x03]);
        cn.extend(der(0x0c, format!("{text}{}", ".".repeat(pad)).as_bytes()));
        let name = der(0x30, &der(0x31, &der(0x30, &cn)));
        let mut validity = der(0x17, b"190101000000Z");
        validity.extend(der(0x17, b"291231235959Z"));
        let mut modulus = vec![0x00, 0xc0];
        modulus.extend(filler(63));
        let mut rsa = der(0x02, &modulus);
        rsa.extend(der(0x02, &[0x01, 0x00, 0x01]));
        let mut key = vec![0x00];
        key.extend(der(0x30, &rsa));
        let mut spki = alg(0x01);
        spki.extend(der(0x03, &key));
        let mut tbs = der(0xa0, &der(0x02, &[0x02]));
        // Serial number 0x01nn, nn = (index + 1) mod 128 (from the low byte of `index`).
        let low = index.to_le_bytes()[0];
        tbs.extend(der(0x02, &[0x01, low.wrapping_add(1) & 0x7f]));
        tbs.extend(alg(0x0b));
        tbs.extend(&name);
        tbs.extend(der(0x30, &validity));
        tbs.extend(&name);
        tbs.extend(der(0x30, &spki));
        let tbs = der(0x30, &tbs);
        let sig_alg = alg(0x0b);
        let fixed = tbs.len() + sig_alg.len();
        let total = |l: usize| {
            let sig_len = der(0x03, &vec![0; l + 1]).len();
            der(0x30, &vec![0; fixed + sig_len]).len()
        };
        let est = size.saturating_sub(fixed + 10);
        let found = (est.saturating_sub(10)..est + 10).find(|l| total(*l) == size);
        if let Some(l) = found {
            let mut sig = vec![0x00];
            sig.extend(filler(l));
            let mut body = tbs;
            body.extend(sig_alg);
            body.extend(der(0x03, &sig));
            return der(0x30, &body);
        }
    }
    // Too small for the structure, or one of the few sizes that no DER SEQUENCE has (65540:
    // a 65536-byte body needs a 3-byte length, 65535 fits 2): a SEQUENCE header with a
    // `k`-byte long-form length and filler. `k` is 2 up to 65539 bytes (the header is
    // `30 82 hi lo`, 4 bytes); past that, the byte count of `size` itself, which holds the
    // smaller body length (with leading zeros: BER, not DER, but the right length).
    let k = if size <= 0xffff + 4 {
        2
    } else {
        size.to_be_bytes().iter().skip_while(|b| **b == 0).count()
    };
    let body = size.saturating_sub(2 + k);
    let len = body.to_be_bytes();
    let mut c = vec![0x30, 0x80 | len_of_len(k)];
    c.extend_from_slice(&len[len.len() - k..]);
    c.extend(filler(body));
    c.truncate(size.max(4));
    c
}

#[cfg(test)]
mod tests {
    #[test]
    fn model_cert_has_the_configured_size() {
        for size in [300, 1100, 1200, 4000, 12_000, 40_000, 70_000] {
            let c = super::model_cert(size, 1, "server");
            assert_eq!(c.len(), size);
            assert_eq!(c, super::build_model_cert(size, 1, "server"));
            assert_eq!(c[0], 0x30);
        }
    }

    /// The sizes the structure cannot take get a blob whose header holds the right length:
    /// tiny ones, and 65540 (a body of 65536 bytes needs a 3-byte length, of 65535 only 2).
    #[test]
    fn fallback_blob_header_holds_its_length() {
        for (size, header) in [
            (0, &[0x30, 0x82, 0, 0][..]),
            (3, &[0x30, 0x82, 0, 0]),
            (200, &[0x30, 0x82, 0, 196]),
            (276, &[0x30, 0x82, 1, 16]),
            (65540, &[0x30, 0x83, 0, 0xff, 0xff]),
        ] {
            let c = super::build_model_cert(size, 1, "server");
            assert_eq!(c.len(), size.max(4));
            assert_eq!(&c[..header.len()], header);
        }
    }
}
