//! Proof of presence: a heartbeat carries its author's Ed25519 signature of
//! `(author key, the sender's transport address)`, so a tab that never types can show it
//! holds the key it claims at the address it speaks from, while a made-up peer (no key, a
//! wrong signature, or an honest tab's proof replayed from another address) cannot.
//!
//! The proof is the same in every heartbeat of a session, so a receiver verifies it once per
//! peer and key and remembers it; checks are capped at one per peer per heartbeat period
//! and [`Limits::beat_checks_per_sec`] in all, so a flood of bad proofs costs a bounded
//! number of verifications (after the "bounded work per message" rule of Kleppmann & Howard,
//! "Byzantine Eventual Consistency", §5; the liveness side stays a silence timeout, SWIM's
//! simplest form: Das, Gupta & Motivala, DSN 2002, §3). Invariant: a peer is marked proven
//! by a heartbeat only if its proof verifies under the key it names for the address it
//! came from. Not covered: a replay at the honest tab's own address keeps it looking
//! present after it left (until the replays stop), and a forger's own keys prove its own
//! peers (any key is a peer, as in BEC; the peer caps bound them).

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use super::limits::{Bucket, Limits};
use super::update::{Author, AuthorKey, KeyCache};
use crate::node::NodeId;
use crate::time::Instant;

/// Domain separation (a presence proof never verifies as anything else, nor the reverse).
const DOMAIN: &[u8] = b"chronoscope/collab/presence/v1";

fn statement(author: AuthorKey, node: NodeId) -> Vec<u8> {
    let mut m = Vec::with_capacity(DOMAIN.len() + 32 + 4);
    m.extend_from_slice(DOMAIN);
    m.extend_from_slice(&author.0);
    m.extend_from_slice(&node.0.to_le_bytes());
    m
}

/// `author`'s proof that it speaks from transport address `node`.
///
/// ```
/// use chronoscope::collab::presence::{prove, Check, Proofs};
/// use chronoscope::collab::update::{Author, KeyCache};
/// use chronoscope::collab::Limits;
/// use chronoscope::node::NodeId;
/// use chronoscope::time::Instant;
/// let alice = Author::from_seed([1; 32]);
/// let proof = prove(&alice, NodeId(3));
/// let (mut proofs, mut keys, limits) = (Proofs::default(), KeyCache::default(), Limits::default());
/// let check = |p: &mut Proofs, k: &mut KeyCache, node| {
///     p.check(node, alice.key(), &proof, Instant::ZERO, &limits, k)
/// };
/// assert_eq!(check(&mut proofs, &mut keys, NodeId(3)), Check::Valid);
/// assert_eq!(check(&mut proofs, &mut keys, NodeId(3)), Check::Known);
/// // The same proof replayed from another address.
/// assert_eq!(check(&mut proofs, &mut keys, NodeId(9)), Check::Bad);
/// ```
pub fn prove(author: &Author, node: NodeId) -> [u8; 64] {
    author.sign_bytes(&statement(author.key(), node))
}

/// What checking one heartbeat's proof found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// It verifies (first time for this peer and key).
    Valid,
    /// The same proof already verified for this peer (no work done).
    Known,
    /// It does not verify.
    Bad,
    /// Not checked now (this peer was checked less than a heartbeat period ago, or the
    /// checks of this second are spent); a later heartbeat will be.
    Deferred,
}

/// Verified proofs and the check budget.
#[derive(Clone, Debug, Default)]
pub struct Proofs {
    verified: BTreeMap<NodeId, (AuthorKey, [u8; 64])>,
    last_check: BTreeMap<NodeId, Instant>,
    budget: Option<Bucket>,
}

impl Proofs {
    /// The most peers remembered in each table (they start over when full).
    pub const CAP: usize = 256;

    /// The key `node` has proven it holds, if any.
    pub fn proven_key(&self, node: NodeId) -> Option<AuthorKey> {
        self.verified.get(&node).map(|(k, _)| *k)
    }

    /// Checks the proof of a heartbeat from `node` claiming `author`.
    pub fn check(
        &mut self,
        node: NodeId,
        author: AuthorKey,
        proof: &[u8; 64],
        now: Instant,
        limits: &Limits,
        keys: &mut KeyCache,
    ) -> Check {
        if self.verified.get(&node) == Some(&(author, *proof)) {
            return Check::Known;
        }
        if self
            .last_check
            .get(&node)
            .is_some_and(|t| now.since(*t) < limits.tick_period())
        {
            return Check::Deferred;
        }
        let rate = limits.beat_checks_per_sec;
        let budget = self.budget.get_or_insert_with(|| Bucket::full(rate, now));
        if !budget.take(rate, 1, now) {
            return Check::Deferred;
        }
        if self.last_check.len() >= Self::CAP && !self.last_check.contains_key(&node) {
            self.last_check.clear();
        }
        self.last_check.insert(node, now);
        if !keys.verify_bytes(author, &statement(author, node), proof) {
            return Check::Bad;
        }
        if self.verified.len() >= Self::CAP && !self.verified.contains_key(&node) {
            self.verified.clear();
        }
        self.verified.insert(node, (author, *proof));
        Check::Valid
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Span;

    #[test]
    fn checks_are_capped_per_peer_and_in_all() {
        let limits = Limits {
            beat_checks_per_sec: 3,
            ..Limits::default()
        };
        let alice = Author::from_seed([1; 32]);
        let mut keys = KeyCache::default();
        let mut p = Proofs::default();
        let t = Instant::from_millis(1_000);
        let junk = [7u8; 64];
        // One peer flooding bad proofs: one check per heartbeat period.
        assert_eq!(
            p.check(NodeId(1), alice.key(), &junk, t, &limits, &mut keys),
            Check::Bad
        );
        for _ in 0..10 {
            assert_eq!(
                p.check(NodeId(1), alice.key(), &junk, t, &limits, &mut keys),
                Check::Deferred
            );
        }
        // Three checks a second in all: two more peers, then the budget is spent.
        assert_eq!(
            p.check(NodeId(2), alice.key(), &junk, t, &limits, &mut keys),
            Check::Bad
        );
        let good = prove(&alice, NodeId(3));
        assert_eq!(
            p.check(NodeId(3), alice.key(), &good, t, &limits, &mut keys),
            Check::Valid
        );
        let good4 = prove(&alice, NodeId(4));
        assert_eq!(
            p.check(NodeId(4), alice.key(), &good4, t, &limits, &mut keys),
            Check::Deferred
        );
        let later = t + Span::from_millis(1_000);
        assert_eq!(
            p.check(NodeId(4), alice.key(), &good4, later, &limits, &mut keys),
            Check::Valid
        );
        assert_eq!(p.proven_key(NodeId(4)), Some(alice.key()));
        assert_eq!(p.proven_key(NodeId(1)), None);
    }
}
