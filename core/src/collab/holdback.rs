//! The hold-back queue of hash-linked delivery (Kleppmann & Howard, "Byzantine Eventual
//! Consistency", §4.2): verified updates whose dependencies are not all delivered yet,
//! indexed by the hashes they wait for so a delivery wakes only its dependents.
//!
//! Invariant: at most `max_held_per_peer` updates received from one peer,
//! `max_held_total` in all and `max_held_bytes` encoded bytes in all are held (an update
//! may carry a 4,096-character run, so the count alone would not bound memory); each held update is listed under every hash it was
//! missing when held, and is dropped (counted as expired) once it has waited
//! `hold_timeout`, so an update naming hashes nobody has costs bounded memory for a
//! bounded time.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use super::limits::Limits;
use super::refusals::Refusal;
use super::update::{Update, UpdateHash};
use crate::node::NodeId;
use crate::time::Instant;

/// One held-back update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Held {
    /// The update (already verified).
    pub update: Update,
    /// The peer it came from (asked for the missing dependencies).
    pub from: NodeId,
    /// When it was first held.
    pub since: Instant,
    /// The hashes it was missing when held.
    pub missing: Vec<UpdateHash>,
}

/// Verified updates waiting for their dependencies.
#[derive(Clone, Debug, Default)]
pub struct HoldBack {
    held: BTreeMap<UpdateHash, Held>,
    waiting_on: BTreeMap<UpdateHash, Vec<UpdateHash>>,
    per_peer: BTreeMap<NodeId, usize>,
    bytes: usize,
}

impl HoldBack {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }
    /// The number of held updates.
    pub fn len(&self) -> usize {
        self.held.len()
    }
    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }
    /// The encoded bytes of the held updates.
    pub fn bytes(&self) -> usize {
        self.bytes
    }
    /// Whether `hash` is held.
    pub fn contains(&self, hash: &UpdateHash) -> bool {
        self.held.contains_key(hash)
    }
    /// The held updates, by hash.
    pub fn iter(&self) -> impl Iterator<Item = &Held> + '_ {
        self.held.values()
    }
    /// Hashes some held update waits for that are not held themselves, with the peer to
    /// ask (the sender of the first update waiting for it).
    pub fn wanted(&self) -> impl Iterator<Item = (UpdateHash, NodeId)> + '_ {
        self.waiting_on.iter().filter_map(|(h, waiters)| {
            if self.held.contains_key(h) {
                return None;
            }
            waiters
                .iter()
                .find_map(|w| self.held.get(w))
                .map(|held| (*h, held.from))
        })
    }

    /// Holds `update` (received from `from`, missing `missing`), unless a cap is reached
    /// (or it is held already): then it is dropped and [`Refusal::OverCap`] returned.
    pub fn hold(
        &mut self,
        update: Update,
        from: NodeId,
        now: Instant,
        missing: Vec<UpdateHash>,
        limits: &Limits,
    ) -> Result<(), Refusal> {
        let mine = self.per_peer.get(&from).copied().unwrap_or(0);
        let size = update.encoded_len();
        if self.held.len() >= limits.max_held_total
            || mine >= limits.max_held_per_peer
            || self.bytes.saturating_add(size) > limits.max_held_bytes
            || self.held.contains_key(&update.id)
        {
            return Err(Refusal::OverCap);
        }
        self.bytes += size;
        for m in &missing {
            self.waiting_on.entry(*m).or_default().push(update.id);
        }
        *self.per_peer.entry(from).or_insert(0) += 1;
        self.held.insert(
            update.id,
            Held {
                update,
                from,
                since: now,
                missing,
            },
        );
        Ok(())
    }

    fn remove(&mut self, hash: &UpdateHash) -> Option<Held> {
        let held = self.held.remove(hash)?;
        self.bytes -= held.update.encoded_len();
        if let Some(n) = self.per_peer.get_mut(&held.from) {
            *n -= 1;
            if *n == 0 {
                self.per_peer.remove(&held.from);
            }
        }
        for m in &held.missing {
            if let Some(list) = self.waiting_on.get_mut(m) {
                list.retain(|w| w != hash);
                if list.is_empty() {
                    self.waiting_on.remove(m);
                }
            }
        }
        Some(held)
    }

    /// Takes out every update that was waiting for `hash` (to be checked again).
    pub fn wake(&mut self, hash: &UpdateHash) -> Vec<Held> {
        let Some(waiters) = self.waiting_on.remove(hash) else {
            return Vec::new();
        };
        waiters.iter().filter_map(|w| self.remove(w)).collect()
    }

    /// Drops every update held for `timeout` or longer; returns how many.
    pub fn expire(&mut self, now: Instant, limits: &Limits) -> usize {
        let old: Vec<UpdateHash> = self
            .held
            .values()
            .filter(|h| now.since(h.since) >= limits.hold_timeout)
            .map(|h| h.update.id)
            .collect();
        for h in &old {
            self.remove(h);
        }
        old.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collab::update::{Author, CharId, Op};
    use crate::time::Span;
    use alloc::vec;

    #[test]
    fn caps_wake_and_expiry() {
        let a = Author::from_seed([3; 32]);
        let limits = Limits {
            max_held_per_peer: 2,
            max_held_total: 3,
            ..Limits::default()
        };
        let gap = UpdateHash([9; 32]);
        let mk = |seq| Update::sign(&a, seq, vec![gap], Op::delete_char(CharId::new(gap, 0)));
        let mut q = HoldBack::new();
        let t = Instant::ZERO;
        assert!(q.hold(mk(1), NodeId(1), t, vec![gap], &limits).is_ok());
        assert!(q.hold(mk(2), NodeId(1), t, vec![gap], &limits).is_ok());
        assert!(q.hold(mk(3), NodeId(1), t, vec![gap], &limits).is_err());
        assert!(q.hold(mk(3), NodeId(2), t, vec![gap], &limits).is_ok());
        assert!(q.hold(mk(4), NodeId(3), t, vec![gap], &limits).is_err());
        assert_eq!(q.wanted().collect::<Vec<_>>(), vec![(gap, NodeId(1))]);
        assert_eq!(q.wake(&gap).len(), 3);
        assert!(q.is_empty());
        q.hold(mk(1), NodeId(1), t, vec![gap], &limits).unwrap();
        assert_eq!(q.expire(t + Span::from_millis(1), &limits), 0);
        assert_eq!(q.expire(t + limits.hold_timeout, &limits), 1);
        assert!(q.is_empty());
        assert_eq!(q.wanted().count(), 0);
        assert_eq!(q.bytes(), 0);
        // Two long runs fill a byte cap that the count cap would not.
        let run = |seq| {
            let text = "x".repeat(1_000);
            Update::sign(&a, seq, vec![gap], Op::Insert { after: None, text })
        };
        let small = Limits {
            max_held_bytes: 2_500,
            ..Limits::default()
        };
        assert!(q.hold(run(1), NodeId(1), t, vec![gap], &small).is_ok());
        assert!(q.hold(run(2), NodeId(2), t, vec![gap], &small).is_ok());
        assert_eq!(
            q.hold(run(3), NodeId(3), t, vec![gap], &small),
            Err(Refusal::OverCap)
        );
        assert_eq!(q.wake(&gap).len(), 2);
        assert_eq!(q.bytes(), 0);
    }
}
