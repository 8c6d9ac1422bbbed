//! The set of entry ids a replica holds in its log, kept per origin as a contiguous prefix
//! `1..=prefix` plus the stragglers above it — the shape causal delivery produces (an
//! origin's entries reach a log in sequence order), so membership and insertion cost a
//! lookup among the origins instead of a search among every id (a run of 100,000 entries
//! otherwise spends a tenth of its time in a `BTreeSet<BroadcastId>`).
//!
//! Invariant: `contains(id)` is true exactly for the ids inserted since the set was last
//! built, whatever their order (out-of-order ids wait in `above` until the prefix reaches
//! them); no `seq` is ever both in the prefix and above it.

use alloc::collections::BTreeSet;
use alloc::vec::Vec;

use crate::broadcast::BroadcastId;
use crate::node::NodeId;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Origin {
    prefix: u64,
    above: BTreeSet<u64>,
    /// Sequence numbers start at 1; a 0 (only in a forged id) is remembered apart.
    zero: bool,
}

/// A set of [`BroadcastId`]s, compact when each origin's ids arrive mostly in order.
///
/// # Examples
///
/// ```
/// use chronoscope::broadcast::BroadcastId;
/// use chronoscope::ledger::id_set::IdSet;
/// use chronoscope::node::NodeId;
/// let id = |seq| BroadcastId { origin: NodeId(2), seq };
/// let mut s = IdSet::default();
/// assert!(s.insert(id(2))); // out of order: held above the prefix
/// assert!(!s.contains(id(1)) && s.contains(id(2)));
/// assert!(s.insert(id(1)) && !s.insert(id(2)));
/// assert_eq!(s.len(), 2);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IdSet {
    /// Sorted by origin; a handful of replicas, so a scan beats a tree.
    origins: Vec<(NodeId, Origin)>,
    len: usize,
}

impl IdSet {
    fn slot(&self, node: NodeId) -> Result<usize, usize> {
        self.origins.binary_search_by_key(&node, |(n, _)| *n)
    }

    /// Whether `id` is in the set.
    pub fn contains(&self, id: BroadcastId) -> bool {
        match self.slot(id.origin) {
            Ok(i) => {
                let o = &self.origins[i].1;
                match id.seq {
                    0 => o.zero,
                    s => s <= o.prefix || o.above.contains(&s),
                }
            }
            Err(_) => false,
        }
    }

    /// Adds `id`; returns whether it was new.
    pub fn insert(&mut self, id: BroadcastId) -> bool {
        let i = match self.slot(id.origin) {
            Ok(i) => i,
            Err(i) => {
                self.origins.insert(i, (id.origin, Origin::default()));
                i
            }
        };
        let o = &mut self.origins[i].1;
        let new = if id.seq == 0 {
            !core::mem::replace(&mut o.zero, true)
        } else if id.seq <= o.prefix {
            false
        } else if id.seq == o.prefix + 1 {
            o.prefix += 1;
            while o.above.first().is_some_and(|&s| s == o.prefix + 1) {
                o.above.pop_first();
                o.prefix += 1;
            }
            true
        } else {
            o.above.insert(id.seq)
        };
        self.len += usize::from(new);
        new
    }

    /// The number of ids.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl FromIterator<BroadcastId> for IdSet {
    fn from_iter<I: IntoIterator<Item = BroadcastId>>(iter: I) -> Self {
        let mut s = IdSet::default();
        for id in iter {
            s.insert(id);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_a_btreeset_in_any_order() {
        let mut rng = crate::rng::Rng::seed_from_u64(7);
        let mut fast = IdSet::default();
        let mut slow = BTreeSet::new();
        for _ in 0..3_000 {
            let id = BroadcastId {
                origin: NodeId(rng.below(4) as u32),
                seq: rng.below(60),
            };
            assert_eq!(fast.insert(id), slow.insert(id), "{id:?}");
            assert_eq!(fast.len(), slow.len());
            let probe = BroadcastId {
                origin: NodeId(rng.below(5) as u32),
                seq: rng.below(70),
            };
            assert_eq!(fast.contains(probe), slow.contains(&probe), "{probe:?}");
        }
    }
}
