//! Ledger entries: an appended value stamped with a hybrid logical clock (Kulkarni et al.,
//! OPODIS 2014) and the vector clock of causal broadcast (Birman, Schiper & Stephenson 1991),
//! plus the checks that a sequence of entries respects happens-before.
//!
//! The ledger's canonical order is `(HLC, origin node)`: because a replica absorbs the HLC of
//! every entry it delivers before stamping its own, `e → f` implies `hlc(e) < hlc(f)`, so the
//! canonical order is a linear extension of happens-before. The vector clock is the
//! *evidence* of happens-before the checks use: `e → f` iff `clock(e) < clock(f)`.
//!
//! Invariant checked here, not assumed: a log is a linear extension of happens-before when no
//! entry appears after an entry that depends on it ([`first_causal_violation`]).

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use core::fmt;

use crate::broadcast::BroadcastId;
use crate::clock::{Causality, HlcTimestamp, VectorClock};
use crate::node::NodeId;

/// One appended value.
///
/// # Examples
///
/// ```
/// use chronoscope::broadcast::BroadcastId;
/// use chronoscope::clock::{HlcTimestamp, VectorClock};
/// use chronoscope::ledger::entry::Entry;
/// use chronoscope::node::NodeId;
/// let (a, b) = (NodeId(0), NodeId(1));
/// let question = Entry::new(BroadcastId { origin: a, seq: 1 }, HlcTimestamp::new(10, 0).unwrap(),
///     VectorClock::from_entries([(a, 1)]), 7);
/// let reply = Entry::new(BroadcastId { origin: b, seq: 1 }, HlcTimestamp::new(10, 1).unwrap(),
///     VectorClock::from_entries([(a, 1), (b, 1)]), 8);
/// assert!(question.happened_before(&reply));
/// assert!(question.key() < reply.key());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// `origin:seq`, unique in a run (the causal broadcast's identity).
    pub id: BroadcastId,
    /// The hybrid logical timestamp its origin gave it.
    pub hlc: HlcTimestamp,
    /// The origin's delivered counts when it appended (its own entry included); shared, so
    /// copying an entry from queue to log to shipment never copies its clock.
    pub clock: Arc<VectorClock>,
    /// The appended value.
    pub value: u64,
}

impl Entry {
    /// An entry.
    pub fn new(id: BroadcastId, hlc: HlcTimestamp, clock: VectorClock, value: u64) -> Self {
        Entry {
            id,
            hlc,
            clock: Arc::new(clock),
            value,
        }
    }

    /// The canonical order key `(HLC, origin)`.
    pub fn key(&self) -> (HlcTimestamp, NodeId) {
        (self.hlc, self.id.origin)
    }

    /// Whether `self → other` (by the vector clocks).
    pub fn happened_before(&self, other: &Entry) -> bool {
        self.clock.compare(&other.clock) == Causality::Before
    }

    /// How many entries of `node` this entry depends on (its own origin: the earlier ones).
    fn depends_on(&self, node: NodeId) -> u64 {
        let v = self.clock.get(node);
        if node == self.id.origin {
            v.saturating_sub(1)
        } else {
            v
        }
    }
}

impl fmt::Display for Entry {
    /// `A:1 = 7 @ 10.0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} = {} @ {}", self.id, self.value, self.hlc)
    }
}

/// A pair of entries in the wrong order: `later` depends on `earlier`, yet comes first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CausalViolation {
    /// Position of the entry that depends on the other.
    pub first: usize,
    /// The dependent entry's id.
    pub dependent: BroadcastId,
    /// The entry it depends on, which comes after it.
    pub dependency: BroadcastId,
}

impl fmt::Display for CausalViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (position {}) is shown before {}, which it depends on",
            self.dependent, self.first, self.dependency
        )
    }
}

/// The first place where `entries` is not a linear extension of happens-before, if any.
///
/// One pass: it keeps, per node, the largest dependency on that node seen so far; an entry
/// `n:s` arriving with `s` at most that bound comes after something that depends on it.
///
/// ```
/// use chronoscope::broadcast::BroadcastId;
/// use chronoscope::clock::{HlcTimestamp, VectorClock};
/// use chronoscope::ledger::entry::{first_causal_violation, Entry};
/// use chronoscope::node::NodeId;
/// let (a, b) = (NodeId(0), NodeId(1));
/// let q = Entry::new(BroadcastId { origin: a, seq: 1 }, HlcTimestamp::ZERO, VectorClock::from_entries([(a, 1)]), 1);
/// let r = Entry::new(BroadcastId { origin: b, seq: 1 }, HlcTimestamp::ZERO, VectorClock::from_entries([(a, 1), (b, 1)]), 2);
/// assert!(first_causal_violation([&q, &r]).is_none());
/// assert_eq!(first_causal_violation([&r, &q]).unwrap().dependent, r.id);
/// ```
pub fn first_causal_violation<'a>(
    entries: impl IntoIterator<Item = &'a Entry>,
) -> Option<CausalViolation> {
    // For each node: (largest dependency, the entry that has it, its position).
    let mut bound: BTreeMap<NodeId, (u64, BroadcastId, usize)> = BTreeMap::new();
    for (pos, e) in entries.into_iter().enumerate() {
        if let Some(&(dep, who, at)) = bound.get(&e.id.origin) {
            if e.id.seq <= dep {
                return Some(CausalViolation {
                    first: at,
                    dependent: who,
                    dependency: e.id,
                });
            }
        }
        for (node, _) in e.clock.iter() {
            let d = e.depends_on(node);
            let slot = bound.entry(node).or_insert((0, e.id, pos));
            if d > slot.0 {
                *slot = (d, e.id, pos);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec::Vec;

    fn e(origin: u32, seq: u64, clock: &[(u32, u64)]) -> Entry {
        Entry::new(
            BroadcastId {
                origin: NodeId(origin),
                seq,
            },
            HlcTimestamp::ZERO,
            VectorClock::from_entries(clock.iter().map(|&(n, c)| (NodeId(n), c))),
            0,
        )
    }

    #[test]
    fn same_origin_out_of_order_is_a_violation() {
        let a1 = e(0, 1, &[(0, 1)]);
        let a2 = e(0, 2, &[(0, 2)]);
        assert!(first_causal_violation([&a1, &a2]).is_none());
        let v = first_causal_violation([&a2, &a1]).unwrap();
        assert_eq!((v.dependent, v.dependency), (a2.id, a1.id));
        assert_eq!(
            v.to_string(),
            "A:2 (position 0) is shown before A:1, which it depends on"
        );
    }

    #[test]
    fn transitive_dependencies_are_caught_and_concurrency_is_free() {
        let a1 = e(0, 1, &[(0, 1)]);
        let b1 = e(1, 1, &[(0, 1), (1, 1)]);
        let c1 = e(2, 1, &[(0, 1), (1, 1), (2, 1)]);
        let d1 = e(3, 1, &[(3, 1)]);
        let good: Vec<&Entry> = alloc::vec![&d1, &a1, &b1, &c1];
        assert!(first_causal_violation(good).is_none());
        assert!(first_causal_violation([&c1, &a1, &b1]).is_some());
        assert!(first_causal_violation([&a1, &c1, &d1, &b1]).is_some());
    }
}
