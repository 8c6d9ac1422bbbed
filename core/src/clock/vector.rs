//! Vector clocks (Fidge 1988; Mattern 1989, "Virtual Time and Global States").
//!
//! A sparse, deterministic representation: entries sorted by node id, zero entries omitted,
//! so any number of nodes may join at any time (a missing entry reads 0) and two clocks that
//! mean the same thing are byte-for-byte equal.
//!
//! Invariants: `merge` is the least upper bound of the pointwise order (commutative,
//! associative, idempotent); on any trace, `V(a) < V(b)` exactly when `a → b`.

use alloc::vec::Vec;
use core::cmp::Ordering;
use core::fmt;

use super::ClockError;
use crate::node::NodeId;

/// How two events (or clocks) relate causally.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Causality {
    /// The first happened before the second.
    Before,
    /// The first happened after the second.
    After,
    /// They are the same clock.
    Equal,
    /// Neither happened before the other.
    Concurrent,
}

impl fmt::Display for Causality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Causality::Before => "before",
            Causality::After => "after",
            Causality::Equal => "equal",
            Causality::Concurrent => "concurrent",
        })
    }
}

/// A sparse vector clock.
///
/// ```
/// use chronoscope::{clock::{Causality, VectorClock}, node::NodeId};
/// let (a, b) = (NodeId(0), NodeId(1));
/// let mut x = VectorClock::new();
/// x.try_increment(a)?;
/// let mut y = x.clone();
/// y.try_increment(b)?;
/// assert_eq!(x.compare(&y), Causality::Before);
/// let mut z = x.clone();
/// z.try_increment(a)?;
/// assert_eq!(y.compare(&z), Causality::Concurrent);
/// assert_eq!(y.to_string(), r#"{"A":1,"B":1}"#);
/// # Ok::<(), chronoscope::clock::ClockError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct VectorClock {
    entries: Vec<(NodeId, u64)>,
}

impl VectorClock {
    /// The zero clock.
    pub const fn new() -> Self {
        VectorClock {
            entries: Vec::new(),
        }
    }

    /// A clock from `(node, counter)` pairs in any order; zero counters are dropped and a node
    /// listed twice keeps its larger counter.
    pub fn from_entries(pairs: impl IntoIterator<Item = (NodeId, u64)>) -> Self {
        let mut entries: Vec<(NodeId, u64)> = pairs.into_iter().filter(|(_, c)| *c > 0).collect();
        entries.sort_unstable();
        entries.dedup_by(|later, earlier| {
            if later.0 == earlier.0 {
                earlier.1 = earlier.1.max(later.1);
                true
            } else {
                false
            }
        });
        VectorClock { entries }
    }

    /// The counter for `node` (0 when absent).
    pub fn get(&self, node: NodeId) -> u64 {
        match self.entries.binary_search_by_key(&node, |e| e.0) {
            Ok(i) => self.entries[i].1,
            Err(_) => 0,
        }
    }

    /// Sets the counter for `node` (0 removes the entry).
    pub fn set(&mut self, node: NodeId, counter: u64) {
        match self.entries.binary_search_by_key(&node, |e| e.0) {
            Ok(i) if counter == 0 => {
                self.entries.remove(i);
            }
            Ok(i) => self.entries[i].1 = counter,
            Err(_) if counter == 0 => {}
            Err(i) => self.entries.insert(i, (node, counter)),
        }
    }

    /// Increments `node`'s entry and returns the new value.
    ///
    /// Refuses with [`ClockError::CounterOverflow`], leaving the clock unchanged, when the
    /// entry already stands at `u64::MAX` (reachable only through a counter set or merged
    /// from outside: counting one event at a time never gets there).
    pub fn try_increment(&mut self, node: NodeId) -> Result<u64, ClockError> {
        match self.entries.binary_search_by_key(&node, |e| e.0) {
            Ok(i) => {
                let next = self.entries[i]
                    .1
                    .checked_add(1)
                    .ok_or(ClockError::CounterOverflow { node: Some(node) })?;
                self.entries[i].1 = next;
                Ok(next)
            }
            Err(i) => {
                self.entries.insert(i, (node, 1));
                Ok(1)
            }
        }
    }

    /// A receive event at `node`: merges `remote` in, then increments `node`'s entry; returns
    /// the new value of that entry.
    ///
    /// All or nothing: when the increment would pass `u64::MAX` (the merged entry for `node`
    /// already stands there) nothing is merged and [`ClockError::CounterOverflow`] is
    /// returned.
    pub fn try_receive(&mut self, node: NodeId, remote: &VectorClock) -> Result<u64, ClockError> {
        if self.get(node).max(remote.get(node)) == u64::MAX {
            return Err(ClockError::CounterOverflow { node: Some(node) });
        }
        self.merge(remote);
        self.try_increment(node)
    }

    /// Replaces `self` with the least upper bound of `self` and `other` (pointwise max).
    ///
    /// In place: one pass raises shared entries and counts the nodes only `other` has; if
    /// there are any, the vector grows once and a second pass merges from the back.
    pub fn merge(&mut self, other: &VectorClock) {
        let (a, b) = (&mut self.entries, &other.entries);
        let mut missing = 0;
        let (mut i, mut j) = (0, 0);
        while j < b.len() {
            if i == a.len() {
                missing += b.len() - j;
                break;
            }
            match a[i].0.cmp(&b[j].0) {
                Ordering::Less => i += 1,
                Ordering::Greater => {
                    missing += 1;
                    j += 1;
                }
                Ordering::Equal => {
                    a[i].1 = a[i].1.max(b[j].1);
                    i += 1;
                    j += 1;
                }
            }
        }
        if missing == 0 {
            return;
        }
        let old = a.len();
        a.resize(old + missing, (NodeId(0), 0));
        let (mut i, mut j, mut k) = (old, b.len(), old + missing);
        while j > 0 {
            k -= 1;
            if i > 0 && a[i - 1].0 >= b[j - 1].0 {
                // Shared entries were already raised in the first pass.
                if a[i - 1].0 == b[j - 1].0 {
                    j -= 1;
                }
                a[k] = a[i - 1];
                i -= 1;
            } else {
                a[k] = b[j - 1];
                j -= 1;
            }
        }
    }

    /// The least upper bound of two clocks.
    pub fn merged(&self, other: &VectorClock) -> VectorClock {
        let mut out = self.clone();
        out.merge(other);
        out
    }

    /// Compares two clocks in one pass over both entry lists.
    pub fn compare(&self, other: &VectorClock) -> Causality {
        let (mut less, mut greater) = (false, false);
        let (a, b) = (&self.entries, &other.entries);
        let (mut i, mut j) = (0, 0);
        while i < a.len() && j < b.len() {
            match a[i].0.cmp(&b[j].0) {
                Ordering::Less => {
                    greater = true;
                    i += 1;
                }
                Ordering::Greater => {
                    less = true;
                    j += 1;
                }
                Ordering::Equal => {
                    match a[i].1.cmp(&b[j].1) {
                        Ordering::Less => less = true,
                        Ordering::Greater => greater = true,
                        Ordering::Equal => {}
                    }
                    i += 1;
                    j += 1;
                }
            }
            if less && greater {
                return Causality::Concurrent;
            }
        }
        greater |= i < a.len();
        less |= j < b.len();
        match (less, greater) {
            (false, false) => Causality::Equal,
            (true, false) => Causality::Before,
            (false, true) => Causality::After,
            (true, true) => Causality::Concurrent,
        }
    }

    /// Why two clocks compare as they do: the first node whose entry is smaller in `self`
    /// than in `other`, and the first whose entry is larger, each as `(node, self, other)`.
    /// Both present means concurrent; neither means equal.
    ///
    /// ```
    /// use chronoscope::{clock::VectorClock, node::NodeId};
    /// let a = VectorClock::from_entries([(NodeId(0), 2)]);
    /// let b = VectorClock::from_entries([(NodeId(1), 1)]);
    /// assert_eq!(a.witnesses(&b), (Some((NodeId(1), 0, 1)), Some((NodeId(0), 2, 0))));
    /// ```
    #[allow(clippy::type_complexity)]
    pub fn witnesses(
        &self,
        other: &VectorClock,
    ) -> (Option<(NodeId, u64, u64)>, Option<(NodeId, u64, u64)>) {
        let mut nodes: Vec<NodeId> = self.iter().chain(other.iter()).map(|(n, _)| n).collect();
        nodes.sort_unstable();
        nodes.dedup();
        let entry = |n: NodeId| (n, self.get(n), other.get(n));
        let smaller = nodes.iter().map(|&n| entry(n)).find(|(_, a, b)| a < b);
        let larger = nodes.iter().map(|&n| entry(n)).find(|(_, a, b)| a > b);
        (smaller, larger)
    }

    /// Whether `self` is at least `other` in every entry (`self ≥ other`).
    pub fn dominates(&self, other: &VectorClock) -> bool {
        matches!(self.compare(other), Causality::After | Causality::Equal)
    }

    /// Whether the two clocks are concurrent.
    pub fn concurrent_with(&self, other: &VectorClock) -> bool {
        self.compare(other) == Causality::Concurrent
    }

    /// The non-zero entries, sorted by node.
    pub fn iter(&self) -> impl Iterator<Item = (NodeId, u64)> + '_ {
        self.entries.iter().copied()
    }

    /// The number of non-zero entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether every entry is zero.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The sum of all counters (the number of events this clock has seen).
    pub fn total(&self) -> u64 {
        self.entries
            .iter()
            .map(|e| e.1)
            .fold(0, u64::saturating_add)
    }

    /// Bytes needed to store the clock compactly: per entry a 4-byte node id and an 8-byte
    /// counter, plus a 4-byte length.
    pub fn byte_size(&self) -> usize {
        4 + self.entries.len() * 12
    }

    /// The clock as a dense array for `nodes` nodes (entries beyond `nodes` are ignored).
    pub fn to_dense(&self, nodes: usize) -> Vec<u64> {
        let mut dense = alloc::vec![0; nodes];
        for (n, c) in self.iter() {
            if let Some(slot) = dense.get_mut(n.index()) {
                *slot = c;
            }
        }
        dense
    }
}

impl PartialOrd for VectorClock {
    /// The causal partial order; `None` for concurrent clocks.
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match self.compare(other) {
            Causality::Before => Some(Ordering::Less),
            Causality::After => Some(Ordering::Greater),
            Causality::Equal => Some(Ordering::Equal),
            Causality::Concurrent => None,
        }
    }
}

impl fmt::Display for VectorClock {
    /// ShiViz's JSON clock form, e.g. `{"A":1,"B":2}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (k, (node, counter)) in self.entries.iter().enumerate() {
            if k > 0 {
                f.write_str(",")?;
            }
            write!(f, "\"{node}\":{counter}")?;
        }
        f.write_str("}")
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn clock() -> impl Strategy<Value = VectorClock> {
        proptest::collection::vec((0u32..6, 0u64..5), 0..6)
            .prop_map(|v| VectorClock::from_entries(v.into_iter().map(|(n, c)| (NodeId(n), c))))
    }

    fn pointwise_le(a: &VectorClock, b: &VectorClock) -> bool {
        (0..6).all(|n| a.get(NodeId(n)) <= b.get(NodeId(n)))
    }

    proptest! {
        #[test]
        fn compare_agrees_with_pointwise_order(a in clock(), b in clock()) {
            let expected = match (pointwise_le(&a, &b), pointwise_le(&b, &a)) {
                (true, true) => Causality::Equal,
                (true, false) => Causality::Before,
                (false, true) => Causality::After,
                (false, false) => Causality::Concurrent,
            };
            prop_assert_eq!(a.compare(&b), expected);
        }

        #[test]
        fn witnesses_explain_the_comparison(a in clock(), b in clock()) {
            let expected = match a.witnesses(&b) {
                (None, None) => Causality::Equal,
                (Some(_), None) => Causality::Before,
                (None, Some(_)) => Causality::After,
                (Some(_), Some(_)) => Causality::Concurrent,
            };
            prop_assert_eq!(a.compare(&b), expected);
        }

        #[test]
        fn order_is_a_partial_order(a in clock(), b in clock(), c in clock()) {
            prop_assert!(a <= a);
            if a <= b && b <= a { prop_assert_eq!(&a, &b); }
            if a <= b && b <= c { prop_assert!(a <= c); }
        }

        #[test]
        fn merge_is_the_least_upper_bound(a in clock(), b in clock(), c in clock()) {
            let ab = a.merged(&b);
            prop_assert_eq!(&ab, &VectorClock::from_entries(a.iter().chain(b.iter())));
            prop_assert_eq!(&ab, &b.merged(&a));
            prop_assert_eq!(ab.merged(&c), a.merged(&b.merged(&c)));
            prop_assert_eq!(a.merged(&a), a.clone());
            prop_assert!(a <= ab && b <= ab);
            if a <= c && b <= c { prop_assert!(ab <= c); }
        }

        #[test]
        fn a_refused_increment_or_receive_leaves_the_clock_unchanged(
            a in clock(), b in clock(), node in 0u32..6, at_max in any::<bool>(),
        ) {
            // Put `node`'s entry at the top in one of the two clocks.
            let (mut a, mut b) = (a, b);
            if at_max { a.set(NodeId(node), u64::MAX) } else { b.set(NodeId(node), u64::MAX) }
            let overflow = Err(ClockError::CounterOverflow { node: Some(NodeId(node)) });
            let before = a.clone();
            prop_assert_eq!(a.try_receive(NodeId(node), &b), overflow);
            prop_assert_eq!(&a, &before);
            if at_max {
                prop_assert_eq!(a.try_increment(NodeId(node)), overflow);
                prop_assert_eq!(&a, &before);
            } else {
                // With the remote's entry lowered again, the receive is the merge plus one.
                b.set(NodeId(node), 0);
                let mut expected = before.merged(&b);
                expected.set(NodeId(node), before.get(NodeId(node)) + 1);
                prop_assert_eq!(a.try_receive(NodeId(node), &b), Ok(before.get(NodeId(node)) + 1));
                prop_assert_eq!(&a, &expected);
            }
        }
    }

    #[test]
    fn set_and_increment_keep_entries_sorted_and_sparse() {
        let mut v = VectorClock::new();
        v.try_increment(NodeId(3)).unwrap();
        v.try_increment(NodeId(1)).unwrap();
        v.set(NodeId(2), 5);
        v.set(NodeId(3), 0);
        assert_eq!(
            v.iter().collect::<Vec<_>>(),
            [(NodeId(1), 1), (NodeId(2), 5)]
        );
        assert_eq!(v.to_dense(3), [0, 1, 5]);
        assert_eq!(v.byte_size(), 28);
        assert_eq!(v.total(), 6);
    }
}
