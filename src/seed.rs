//! Counter-derived seeds: every random stream in tlsim comes from a ChaCha RNG whose seed is
//! derived from a study seed and a path of counters (shard, peer, connection, purpose), never
//! from a shared stream whose order could depend on scheduling.

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sha2::{Digest, Sha256};

/// What a stream is for: the first counter of its path, so that two purposes never share a
/// stream. The numbers are part of every derived seed: changing one moves every outcome
/// drawn from it, so they are fixed (the fleet's were its first seven integers).
///
/// The in-memory pair and the bridge derive theirs without a purpose, from `(connection,
/// side)` and `(u64::MAX, side)` paths of two counters (`engine::Pair`, `bridge`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Purpose {
    /// A fleet server's session state (session-ID cache, ticket keys), built at each boot
    /// of its host: path (server host, server, boot).
    ServerState = 1,
    /// A fleet server connection's engine (randoms, DH keys): path (server host, server,
    /// listening port, boot, accept number; connections refused for a full backlog are not
    /// numbered).
    ServerConnection = 2,
    /// The stream wrapper of a fleet server connection: path as [`Purpose::ServerConnection`].
    ServerStream = 3,
    /// A fleet client peer's session state: path (client host, client entry, peer).
    ClientState = 4,
    /// A fleet client peer's schedule (resume-or-forget, fault rolls, jitter): path as
    /// [`Purpose::ClientState`].
    ClientSchedule = 5,
    /// A fleet client connection's engine: path (client host, client entry, peer,
    /// connection, channel).
    ClientConnection = 6,
    /// The stream wrapper of a fleet client connection (where its connection fault acts):
    /// path as [`Purpose::ClientConnection`].
    ClientStream = 7,
    /// A fuzzer mutation: path (target, iteration).
    Fuzz = 0x7f22,
    /// A study shard's seed: path (shard). The number spells "STUDY" in ASCII.
    StudyShard = 0x0053_5455_4459,
}

/// A ChaCha20 RNG seeded from `seed` and a path of counters. Two different paths give
/// independent streams; the same path always gives the same stream.
pub fn rng_for(seed: u64, path: &[u64]) -> ChaCha20Rng {
    derive(seed, None, path)
}

/// The stream for `purpose` at `path` under `seed`: the same stream as
/// `rng_for(seed, [purpose as u64, path…])`.
pub fn rng_at(seed: u64, purpose: Purpose, path: &[u64]) -> ChaCha20Rng {
    derive(seed, Some(purpose as u64), path)
}

/// SHA-256 over the seed, the path's length and its counters (the purpose first).
fn derive(seed: u64, first: Option<u64>, path: &[u64]) -> ChaCha20Rng {
    let mut h = Sha256::new();
    h.update(b"tlsim seed v1");
    h.update(seed.to_be_bytes());
    let len = path.len() as u64 + u64::from(first.is_some());
    h.update(len.to_be_bytes());
    for p in first.iter().chain(path) {
        h.update(p.to_be_bytes());
    }
    let out: [u8; 32] = h.finalize().into();
    ChaCha20Rng::from_seed(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::RngCore;

    #[test]
    fn same_path_same_stream_different_path_different_stream() {
        let a = rng_for(7, &[1, 2]).next_u64();
        let b = rng_for(7, &[1, 2]).next_u64();
        let c = rng_for(7, &[2, 1]).next_u64();
        let d = rng_for(8, &[1, 2]).next_u64();
        assert_eq!(a, b);
        assert_eq!(a, 5_377_460_698_291_529_253);
        assert_ne!(a, c);
        assert_ne!(a, d);
    }

    /// A purpose is the integer its callers passed before it was a type, so no derived
    /// seed (and no outcome) moved; the first draws are pinned as well.
    #[test]
    fn purposes_derive_the_seeds_of_their_integers() {
        use Purpose as P;
        let all = [
            (P::ServerState, 1),
            (P::ServerConnection, 2),
            (P::ServerStream, 3),
            (P::ClientState, 4),
            (P::ClientSchedule, 5),
            (P::ClientConnection, 6),
            (P::ClientStream, 7),
            (P::Fuzz, 0x7f22),
            (P::StudyShard, 0x0053_5455_4459),
        ];
        for (p, n) in all {
            for path in [&[][..], &[3][..], &[0, 1, 2, 3, 4][..]] {
                let mut old = vec![n];
                old.extend_from_slice(path);
                assert_eq!(
                    rng_at(2019, p, path).next_u64(),
                    rng_for(2019, &old).next_u64(),
                    "{p:?} at {path:?}"
                );
            }
        }
        assert_eq!(rng_at(2019, P::StudyShard, &[0]).next_u64(), PINNED_SHARD_0);
        assert_eq!(
            rng_at(1, P::ClientConnection, &[0, 0, 0, 0, 0]).next_u64(),
            PINNED_CLIENT_CONN
        );
    }

    /// First draws of `rng_for(2019, [0x0053_5455_4459, 0])` and `rng_for(1, [6, 0, 0, 0, 0,
    /// 0])` as the code before `Purpose` derived them (checked with an independent SHA-256 +
    /// ChaCha20 computation, which also gives `rng_for(7, [1, 2])` = 5377460698291529253).
    const PINNED_SHARD_0: u64 = 11_657_466_232_661_681_816;
    const PINNED_CLIENT_CONN: u64 = 5_527_333_785_699_133_845;
}
