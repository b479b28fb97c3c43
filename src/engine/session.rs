//! State that outlives one connection: the server's session-ID cache and ticket key, the
//! client's session store, and "ephemeral" keys a peer reuses across handshakes. It lives
//! with the peer (a host in the network), and the engine borrows it for each input.

use crate::crypto::{DhGroup, DhKeyPair, EcdhKeyPair};
use crate::wire::{CipherSuite, ProtocolVersion};
use hmac::{Hmac, Mac};
use num_bigint::BigUint;
use rand_core::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::collections::{BTreeMap, VecDeque};

/// Simulated time in milliseconds.
pub type Millis = u64;

/// A resumable TLS session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub id: Vec<u8>,
    pub ticket: Option<Vec<u8>>,
    pub master: Vec<u8>,
    pub suite: CipherSuite,
    pub version: u16,
    /// Whether the session's master secret is an extended master secret (RFC 7627).
    pub ems: bool,
    pub created: Millis,
}

impl Session {
    pub fn protocol_version(&self) -> ProtocolVersion {
        ProtocolVersion::from(self.version)
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        crate::wire::put_vec(&mut out, 1, &self.id);
        crate::wire::put_vec(&mut out, 1, &self.master);
        crate::wire::put_u16(&mut out, self.suite.0);
        crate::wire::put_u16(&mut out, self.version);
        crate::wire::put_u8(&mut out, self.ems as u8);
        out.extend_from_slice(&self.created.to_be_bytes());
        out
    }

    fn decode(b: &[u8]) -> Option<Session> {
        let mut r = crate::wire::Reader::new(b);
        let id = r.sub(1).ok()?.rest().to_vec();
        let master = r.sub(1).ok()?.rest().to_vec();
        let suite = CipherSuite(r.u16().ok()?);
        let version = r.u16().ok()?;
        let ems = r.u8().ok()? == 1;
        let created = u64::from_be_bytes(r.take(8).ok()?.try_into().ok()?);
        r.expect_empty().ok()?;
        Some(Session {
            id,
            ticket: None,
            master,
            suite,
            version,
            ems,
            created,
        })
    }
}

/// A key pair kept for reuse until `expires`.
#[derive(Debug, Clone)]
pub struct CachedDh {
    pub p: BigUint,
    pub pair: DhKeyPair,
    pub expires: Millis,
}

#[derive(Debug, Clone)]
pub struct CachedEc {
    pub pair: EcdhKeyPair,
    pub expires: Millis,
}

/// Per-peer state shared by all of that peer's connections.
#[derive(Debug, Clone)]
pub struct PeerState {
    /// Server session-ID cache, with insertion order for eviction.
    cache: BTreeMap<Vec<u8>, Session>,
    order: VecDeque<Vec<u8>>,
    /// Client session store, keyed by the server's identity (host:port or name).
    client: BTreeMap<String, Session>,
    /// Key that authenticates this server's session tickets.
    ticket_key: [u8; 32],
    pub dh_key: Option<CachedDh>,
    pub ec_keys: BTreeMap<crate::crypto::Curve, CachedEc>,
    /// TLS 1.3 tickets a client holds per server, oldest first, with the time each arrived.
    tickets13: BTreeMap<String, VecDeque<(crate::tls13::Ticket13, Millis)>>,
}

type HmacSha256 = Hmac<Sha256>;

/// TLS 1.3 tickets a client keeps per server (OpenSSL's server sends two per handshake).
pub(crate) const TICKETS13_KEPT: usize = 4;

impl PeerState {
    pub fn new<R: RngCore>(rng: &mut R) -> PeerState {
        let mut ticket_key = [0u8; 32];
        rng.fill_bytes(&mut ticket_key);
        PeerState {
            cache: BTreeMap::new(),
            order: VecDeque::new(),
            client: BTreeMap::new(),
            ticket_key,
            dh_key: None,
            ec_keys: BTreeMap::new(),
            tickets13: BTreeMap::new(),
        }
    }

    // ---- server side ----

    pub fn cache_insert(&mut self, s: Session, max: usize) {
        if max == 0 || s.id.is_empty() {
            return;
        }
        while self.cache.len() >= max {
            match self.order.pop_front() {
                Some(old) => {
                    self.cache.remove(&old);
                }
                None => break,
            }
        }
        self.order.push_back(s.id.clone());
        self.cache.insert(s.id.clone(), s);
    }

    pub fn cache_lookup(&self, id: &[u8], now: Millis, lifetime_secs: u64) -> Option<Session> {
        let s = self.cache.get(id)?;
        (now.saturating_sub(s.created) < lifetime_secs * 1000).then(|| s.clone())
    }

    /// Seal a session into a ticket. The state is authenticated with the server's ticket
    /// key (HMAC-SHA256) but not encrypted: confidentiality of tickets plays no part in any
    /// studied failure (modelled, see DESIGN.md).
    pub fn seal_ticket(&self, s: &Session) -> Vec<u8> {
        let mut body = s.encode();
        let mut mac = HmacSha256::new_from_slice(&self.ticket_key).expect("HMAC takes any key");
        mac.update(&body);
        body.extend_from_slice(&mac.finalize().into_bytes());
        body
    }

    pub fn open_ticket(&self, t: &[u8], now: Millis, lifetime_secs: u64) -> Option<Session> {
        if t.len() < 32 {
            return None;
        }
        let (body, tag) = t.split_at(t.len() - 32);
        let mut mac = HmacSha256::new_from_slice(&self.ticket_key).expect("HMAC takes any key");
        mac.update(body);
        mac.verify_slice(tag).ok()?;
        let s = Session::decode(body)?;
        (now.saturating_sub(s.created) < lifetime_secs * 1000).then_some(s)
    }

    // ---- client side ----

    /// The key a TLS 1.3 server seals its tickets with: this peer's ticket key, so that
    /// every connection of the peer accepts the tickets of the others.
    pub fn ticket_key13(&self) -> [u8; 32] {
        self.ticket_key
    }

    /// A TLS 1.3 client keeps a ticket it received from `server` (at most
    /// [`TICKETS13_KEPT`] per server, the oldest dropped).
    pub fn store_ticket13(&mut self, server: &str, t: crate::tls13::Ticket13, now: Millis) {
        let q = self.tickets13.entry(server.to_string()).or_default();
        q.push_back((t, now));
        while q.len() > TICKETS13_KEPT {
            q.pop_front();
        }
    }

    /// A ticket to offer to `server` at `now`, used once (RFC 8446 §C.4: clients SHOULD NOT
    /// reuse a ticket): the newest whose lifetime (the server's, RFC 8446 §4.6.1) and this
    /// client's `lifetime_secs` have not run out, with its age set. Expired ones are dropped.
    pub fn take_ticket13(
        &mut self,
        server: &str,
        now: Millis,
        lifetime_secs: u64,
    ) -> Option<crate::tls13::Ticket13> {
        let q = self.tickets13.get_mut(server)?;
        while let Some((mut t, at)) = q.pop_back() {
            let age = now.saturating_sub(at);
            let limit = u64::from(t.lifetime)
                .min(lifetime_secs)
                .saturating_mul(1000);
            if age <= limit {
                t.age_ms = u32::try_from(age).unwrap_or(u32::MAX);
                return Some(t);
            }
        }
        None
    }

    pub fn client_store(&mut self, server: &str, s: Session) {
        self.client.insert(server.to_string(), s);
    }

    pub fn client_lookup(&self, server: &str, now: Millis, lifetime_secs: u64) -> Option<Session> {
        let s = self.client.get(server)?;
        (now.saturating_sub(s.created) < lifetime_secs * 1000).then(|| s.clone())
    }

    /// Forget everything held for `server`: the TLS 1.2 session and the TLS 1.3 tickets
    /// (an application that starts afresh, e.g. a new process).
    pub fn client_forget(&mut self, server: &str) {
        self.client.remove(server);
        self.tickets13.remove(server);
    }

    // ---- ephemeral key reuse (M11) ----

    /// A DH key pair for `group`: the cached one while it lives, else a fresh one (cached
    /// for `reuse_secs` when that is non-zero).
    pub fn dh_key_pair<R: RngCore>(
        &mut self,
        group: &DhGroup,
        exponent_bits: usize,
        reuse_secs: u64,
        now: Millis,
        rng: &mut R,
    ) -> DhKeyPair {
        if reuse_secs > 0 {
            if let Some(c) = &self.dh_key {
                if c.p == group.p && now < c.expires {
                    return c.pair.clone();
                }
            }
        }
        let pair = group.generate(rng, exponent_bits);
        if reuse_secs > 0 {
            self.dh_key = Some(CachedDh {
                p: group.p.clone(),
                pair: pair.clone(),
                expires: now + reuse_secs * 1000,
            });
        }
        pair
    }

    pub fn ec_key_pair<R: RngCore>(
        &mut self,
        curve: crate::crypto::Curve,
        reuse_secs: u64,
        now: Millis,
        rng: &mut R,
    ) -> EcdhKeyPair {
        if reuse_secs > 0 {
            if let Some(c) = self.ec_keys.get(&curve) {
                if now < c.expires {
                    return c.pair.clone();
                }
            }
        }
        let pair = EcdhKeyPair::generate(curve, rng);
        if reuse_secs > 0 {
            self.ec_keys.insert(
                curve,
                CachedEc {
                    pair: pair.clone(),
                    expires: now + reuse_secs * 1000,
                },
            );
        }
        pair
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sess(id: u8, created: Millis) -> Session {
        Session {
            id: vec![id; 32],
            ticket: None,
            master: vec![7; 48],
            suite: CipherSuite(0x009F),
            version: 0x0303,
            ems: true,
            created,
        }
    }

    #[test]
    fn cache_evicts_oldest_and_expires() {
        let mut st = PeerState::new(&mut crate::seed::rng_for(1, &[]));
        st.cache_insert(sess(1, 0), 2);
        st.cache_insert(sess(2, 0), 2);
        st.cache_insert(sess(3, 0), 2);
        assert!(st.cache_lookup(&[1; 32], 0, 10).is_none(), "oldest evicted");
        assert!(st.cache_lookup(&[3; 32], 0, 10).is_some());
        assert!(
            st.cache_lookup(&[3; 32], 10_000, 10).is_none(),
            "expired at lifetime"
        );
        st.cache_insert(sess(4, 0), 0);
        assert!(
            st.cache_lookup(&[4; 32], 0, 10).is_none(),
            "size 0 disables the cache"
        );
    }

    #[test]
    fn tickets_round_trip_and_reject_tampering() {
        let st = PeerState::new(&mut crate::seed::rng_for(1, &[]));
        let t = st.seal_ticket(&sess(9, 5));
        let back = st.open_ticket(&t, 6, 10).expect("valid ticket");
        assert_eq!(back.master, vec![7; 48]);
        assert!(back.ems);
        let mut bad = t.clone();
        bad[3] ^= 1;
        assert!(st.open_ticket(&bad, 6, 10).is_none());
        let other = PeerState::new(&mut crate::seed::rng_for(2, &[]));
        assert!(
            other.open_ticket(&t, 6, 10).is_none(),
            "another server's key"
        );
        assert!(st.open_ticket(&t, 20_000, 10).is_none(), "expired");
    }

    #[test]
    fn forgetting_a_server_drops_its_tls13_tickets_too() {
        let mut st = PeerState::new(&mut crate::seed::rng_for(1, &[]));
        let ticket = |n: u8| crate::tls13::Ticket13 {
            ticket: vec![n; 8],
            psk: vec![n; 32],
            lifetime: 7200,
            age_add: 0,
            suite: crate::crypto::tls13::Tls13Suite::Aes128GcmSha256,
            age_ms: 0,
        };
        st.store_ticket13("web:443", ticket(1), 0);
        st.store_ticket13("db:443", ticket(2), 0);
        st.client_forget("web:443");
        assert!(st.take_ticket13("web:443", 10, 7200).is_none());
        let kept = st
            .take_ticket13("db:443", 10, 7200)
            .expect("another server's ticket");
        assert_eq!(kept.ticket, vec![2; 8]);
        assert_eq!(kept.age_ms, 10);
    }
}
