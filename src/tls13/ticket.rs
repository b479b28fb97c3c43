//! The server's own ticket format (RFC 8446 §4.6.1 leaves it to the server): the resumption
//! state sealed with AES-256-GCM under the server's ticket key. Plaintext:
//! `version(1) = 1 || suite(2) || age_add(4) || lifetime(4) || psk_len(1) || psk`; sealed:
//! `nonce(12) || ciphertext || tag(16)`, with "tlsim ticket" as the associated data.

use aes_gcm::aead::{Aead, KeyInit, Payload};

use crate::crypto::tls13::Tls13Suite;

const AAD: &[u8] = b"tlsim ticket";

/// What a ticket stands for, on the server.
#[derive(Clone, PartialEq, Eq)]
pub(super) struct TicketState {
    pub(super) suite: Tls13Suite,
    pub(super) age_add: u32,
    pub(super) lifetime: u32,
    pub(super) psk: Vec<u8>,
}

pub(super) fn seal(key: &[u8; 32], nonce: [u8; 12], st: &TicketState) -> Vec<u8> {
    let mut pt = vec![1u8];
    pt.extend_from_slice(&st.suite.id().to_be_bytes());
    pt.extend_from_slice(&st.age_add.to_be_bytes());
    pt.extend_from_slice(&st.lifetime.to_be_bytes());
    // A PSK is a hash output (32 or 48 bytes).
    pt.push(u8::try_from(st.psk.len()).unwrap_or(u8::MAX));
    pt.extend_from_slice(&st.psk);
    let cipher = aes_gcm::Aes256Gcm::new(key.into());
    let ct = cipher
        .encrypt((&nonce).into(), Payload { msg: &pt, aad: AAD })
        .unwrap_or_default();
    let mut out = nonce.to_vec();
    out.extend_from_slice(&ct);
    out
}

/// The state behind `ticket`, or `None` when it was not sealed under `key` (another key,
/// tampered, or not one of ours).
pub(super) fn open(key: &[u8; 32], ticket: &[u8]) -> Option<TicketState> {
    if ticket.len() < 12 + 16 {
        return None;
    }
    let (nonce, ct) = ticket.split_at(12);
    let cipher = aes_gcm::Aes256Gcm::new(key.into());
    let nonce: [u8; 12] = nonce.try_into().ok()?;
    let pt = cipher
        .decrypt((&nonce).into(), Payload { msg: ct, aad: AAD })
        .ok()?;
    if pt.len() < 12 || pt[0] != 1 {
        return None;
    }
    let suite = Tls13Suite::from_id(u16::from_be_bytes([pt[1], pt[2]]))?;
    let age_add = u32::from_be_bytes([pt[3], pt[4], pt[5], pt[6]]);
    let lifetime = u32::from_be_bytes([pt[7], pt[8], pt[9], pt[10]]);
    let n = usize::from(pt[11]);
    let psk = pt.get(12..12 + n)?.to_vec();
    if pt.len() != 12 + n {
        return None;
    }
    Some(TicketState {
        suite,
        age_add,
        lifetime,
        psk,
    })
}
