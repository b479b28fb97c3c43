//! The cryptography whose disagreements cause interop failures: finite-field Diffie–Hellman
//! (with the RFC 5246 §8.1.2 leading-zero stripping of the shared secret, mechanism M1), the
//! TLS 1.0–1.2 PRF and everything derived from it (master secret, extended master secret, key
//! block, Finished), elliptic-curve DH, and the simulated record protection.
//!
//! Every random value comes from an RNG passed in by the caller (in practice a
//! `rand_chacha::ChaCha20Rng` from [`crate::seed::rng_for`]); nothing here reads OS randomness.

#[cfg(feature = "openssl-bn")]
pub mod bn;
mod dh;
mod ecdh;
mod ffdhe;
#[cfg(target_arch = "x86_64")]
pub mod ifma;
pub(crate) mod model_cert;
mod prf;
mod record;
pub mod record13;
mod stats;
pub mod tls13;

pub use dh::*;
pub use ecdh::*;
pub use ffdhe::rfc7919_group;
pub use prf::*;
pub use record::*;
pub use stats::*;

/// The big-integer backend `DhGroup::modexp` uses in this build.
pub fn modexp_backend() -> String {
    let mut parts = Vec::new();
    #[cfg(target_arch = "x86_64")]
    if ifma::available() {
        parts.push("AVX-512 IFMA Montgomery exponentiation (crypto::ifma) for the named groups");
    }
    if cfg!(feature = "openssl-bn") {
        parts.push("OpenSSL libcrypto BN_mod_exp_mont with cached Montgomery contexts otherwise");
        parts.push("fixed-base Montgomery tables (libcrypto) for g^x");
    } else {
        parts.push("num-bigint modpow (pure Rust) otherwise");
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::rng_for;
    use num_bigint::BigUint;

    /// The whole M1 chain: a DHE exchange whose Z has a zero top byte, one peer stripping and
    /// the other keeping it, gives different master secrets, different Finished values and
    /// different record MAC keys, so the first protected record fails with bad_record_mac.
    /// With EMS the same happens (EMS does not help against M1). With Z of full length both
    /// peers agree.
    #[test]
    fn m1_chain_to_bad_record_mac() {
        let g = DhGroup::named(GroupId::Ffdhe2048);
        let threshold = BigUint::from(1u32) << (8 * 255);
        let cr = [0xc1u8; 32];
        let sr = [0x5eu8; 32];
        let alg = PrfAlgorithm::Sha256;
        let mut seen = (false, false);
        for i in 0..5000u64 {
            let mut rng = rng_for(77, &[i]);
            let c = g.generate(&mut rng, 256);
            let s = g.generate(&mut rng, 256);
            let z_client = g.shared_secret(&c.private, &s.public).unwrap();
            let z_server = g.shared_secret(&s.private, &c.public).unwrap();
            let short = z_client < threshold;
            if (short && seen.0) || (!short && seen.1) {
                continue;
            }
            let pm_c = dh_premaster(&z_client, g, PremasterEncoding::Strip);
            let pm_s = dh_premaster(&z_server, g, PremasterEncoding::Keep);
            let ms_c = master_secret(alg, &pm_c, &cr, &sr);
            let ms_s = master_secret(alg, &pm_s, &cr, &sr);
            let hh = handshake_hash(alg, b"transcript");
            let ems_c = extended_master_secret(alg, &pm_c, &hh);
            let ems_s = extended_master_secret(alg, &pm_s, &hh);
            let n = KeyBlock::total_len(20, 16, 16);
            let kb_c = KeyBlock::split(&key_block(alg, &ms_c, &sr, &cr, n), 20, 16, 16);
            let kb_s = KeyBlock::split(&key_block(alg, &ms_s, &sr, &cr, n), 20, 16, 16);
            let mut client_tx = RecordProtector::mac_only(MacHash::Sha1, kb_c.client_mac.clone());
            let mut server_rx = RecordProtector::mac_only(MacHash::Sha1, kb_s.client_mac.clone());
            let fin = verify_data(alg, &ms_c, true, &hh);
            let rec = client_tx.seal(22, 0x0303, &fin);
            let opened = server_rx.open(22, 0x0303, &rec);
            if short {
                assert_ne!(ms_c, ms_s);
                assert_ne!(ems_c, ems_s);
                assert_ne!(fin, verify_data(alg, &ms_s, true, &hh));
                assert_eq!(opened, Err(BadRecordMac));
                seen.0 = true;
            } else {
                assert_eq!(ms_c, ms_s);
                assert_eq!(ems_c, ems_s);
                assert_eq!(opened.unwrap(), fin.to_vec());
                seen.1 = true;
            }
            if seen.0 && seen.1 {
                return;
            }
        }
        panic!("did not see both cases: {seen:?}");
    }
}
