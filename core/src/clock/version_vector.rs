//! Version vectors with Riak-style pruning, and the sibling set a Dynamo-style store keeps
//! with them.
//!
//! A version vector tracks versions of one *datum* (Parker et al. 1983, "Detection of Mutual
//! Inconsistency in Distributed Systems"); Dynamo (DeCandia et al. 2007, §4.4) attaches one to
//! every stored value and keeps every value whose vector no other vector descends from: the
//! *siblings*. Each entry also carries the wall-clock time it was last incremented, because
//! Riak bounds the vector's size by *pruning*: once a vector has more than a cap of entries,
//! the entries with the oldest timestamps are dropped (Riak's `big_vclock` / `old_vclock`).
//!
//! Invariant kept without pruning: `a.descends(b)` exactly when every entry of `b` is at most
//! the matching entry of `a`. Pruning breaks the link between that order and causality: a
//! vector that lost an entry can look *descended from* (ordered before) a vector it is
//! really concurrent with, and a store then silently discards it. [`VersionVector::prune`]
//! is there to show that failure, not to hide it.

use alloc::vec::Vec;
use core::cmp::Ordering;
use core::fmt;

use super::vector::{Causality, VectorClock};
use super::ClockError;
use crate::node::NodeId;
use crate::time::Instant;

/// One entry: a node's counter and the (node-local) time it was last incremented.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Entry {
    /// The node (replica) the entry counts updates for.
    pub node: NodeId,
    /// How many of that node's updates the vector covers.
    pub counter: u64,
    /// When the counter was last incremented, by the incrementing node's own clock.
    pub stamp: Instant,
}

/// A version vector whose entries carry timestamps, so it can be pruned as Riak does.
///
/// ```
/// use chronoscope::{clock::{Causality, VersionVector}, node::NodeId, time::Instant};
/// let (a, b, c) = (NodeId(0), NodeId(1), NodeId(2));
/// // x saw an old update from B (B:3 at t = 1) that y never saw; y saw C's.
/// let mut x = VersionVector::new();
/// x.try_increment(b, Instant::from_millis(1))?;
/// x.try_increment(b, Instant::from_millis(1))?;
/// x.try_increment(b, Instant::from_millis(1))?;
/// x.try_increment(a, Instant::from_millis(20))?;
/// let mut y = VersionVector::new();
/// y.try_increment(b, Instant::from_millis(1))?;
/// y.try_increment(b, Instant::from_millis(1))?;
/// y.try_increment(a, Instant::from_millis(20))?;
/// y.try_increment(c, Instant::from_millis(30))?;
/// assert_eq!(x.compare(&y), Causality::Concurrent);
/// // Pruning x to one entry drops B (the oldest): now y seems to descend from x.
/// assert_eq!(x.prune(1), 1);
/// assert_eq!(x.compare(&y), Causality::Before);
/// assert!(y.descends(&x)); // a false "descends": a store would discard x's value
/// # Ok::<(), chronoscope::clock::ClockError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct VersionVector {
    entries: Vec<Entry>,
}

impl VersionVector {
    /// The empty vector (no updates seen).
    pub const fn new() -> Self {
        VersionVector {
            entries: Vec::new(),
        }
    }

    /// A vector from entries in any order; zero counters are dropped, and a node listed
    /// twice keeps its larger counter (with that counter's stamp).
    pub fn from_entries(entries: impl IntoIterator<Item = Entry>) -> Self {
        let mut v = VersionVector::new();
        for e in entries {
            v.join_entry(e);
        }
        v
    }

    /// A vector with the counters of `clock`, every entry stamped `stamp`.
    pub fn from_clock(clock: &VectorClock, stamp: Instant) -> Self {
        VersionVector {
            entries: clock
                .iter()
                .map(|(node, counter)| Entry {
                    node,
                    counter,
                    stamp,
                })
                .collect(),
        }
    }

    /// The counters alone, as a vector clock.
    pub fn to_clock(&self) -> VectorClock {
        VectorClock::from_entries(self.entries.iter().map(|e| (e.node, e.counter)))
    }

    /// The counter for `node` (0 when absent).
    pub fn get(&self, node: NodeId) -> u64 {
        match self.entries.binary_search_by_key(&node, |e| e.node) {
            Ok(i) => self.entries[i].counter,
            Err(_) => 0,
        }
    }

    /// The entries, sorted by node.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the vector has no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Increments `node`'s counter, stamping the entry `now`; returns the new counter.
    ///
    /// Refuses with [`ClockError::CounterOverflow`], leaving the vector unchanged, when the
    /// counter already stands at `u64::MAX`.
    pub fn try_increment(&mut self, node: NodeId, now: Instant) -> Result<u64, ClockError> {
        let counter = self
            .get(node)
            .checked_add(1)
            .ok_or(ClockError::CounterOverflow { node: Some(node) })?;
        self.set(node, counter, now);
        Ok(counter)
    }

    /// Sets `node`'s entry to `counter` stamped `stamp` (0 removes it).
    pub fn set(&mut self, node: NodeId, counter: u64, stamp: Instant) {
        match self.entries.binary_search_by_key(&node, |e| e.node) {
            Ok(i) if counter == 0 => {
                self.entries.remove(i);
            }
            Ok(i) => {
                self.entries[i].counter = counter;
                self.entries[i].stamp = stamp;
            }
            Err(_) if counter == 0 => {}
            Err(i) => self.entries.insert(
                i,
                Entry {
                    node,
                    counter,
                    stamp,
                },
            ),
        }
    }

    fn join_entry(&mut self, e: Entry) {
        if e.counter == 0 {
            return;
        }
        match self.entries.binary_search_by_key(&e.node, |x| x.node) {
            Ok(i) => {
                let mine = &mut self.entries[i];
                // The larger counter wins, with its stamp; equal counters keep the later
                // stamp, so the join does not depend on argument order.
                if (e.counter, e.stamp) > (mine.counter, mine.stamp) {
                    *mine = e;
                }
            }
            Err(i) => self.entries.insert(i, e),
        }
    }

    /// Replaces `self` with the pointwise maximum of both vectors.
    pub fn merge(&mut self, other: &VersionVector) {
        for &e in &other.entries {
            self.join_entry(e);
        }
    }

    /// The pointwise maximum of two vectors.
    pub fn merged(&self, other: &VersionVector) -> VersionVector {
        let mut out = self.clone();
        out.merge(other);
        out
    }

    /// Compares the counters (timestamps play no part).
    pub fn compare(&self, other: &VersionVector) -> Causality {
        let (mut less, mut greater) = (false, false);
        let (a, b) = (&self.entries, &other.entries);
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            let order = match (a.get(i), b.get(j)) {
                (Some(x), Some(y)) => x.node.cmp(&y.node),
                (Some(_), None) => Ordering::Less,
                _ => Ordering::Greater,
            };
            match order {
                Ordering::Less => {
                    greater = true;
                    i += 1;
                }
                Ordering::Greater => {
                    less = true;
                    j += 1;
                }
                Ordering::Equal => {
                    match a[i].counter.cmp(&b[j].counter) {
                        Ordering::Less => less = true,
                        Ordering::Greater => greater = true,
                        Ordering::Equal => {}
                    }
                    i += 1;
                    j += 1;
                }
            }
        }
        match (less, greater) {
            (false, false) => Causality::Equal,
            (true, false) => Causality::Before,
            (false, true) => Causality::After,
            (true, true) => Causality::Concurrent,
        }
    }

    /// Whether `self` covers every update `other` covers (`self ≥ other`).
    pub fn descends(&self, other: &VersionVector) -> bool {
        matches!(self.compare(other), Causality::After | Causality::Equal)
    }

    /// Drops the oldest-stamped entries until at most `max_entries` remain (ties broken by
    /// node id); returns how many were dropped. This loses causal information on purpose.
    pub fn prune(&mut self, max_entries: usize) -> usize {
        if self.entries.len() <= max_entries {
            return 0;
        }
        let dropped = self.entries.len() - max_entries;
        let mut by_age: Vec<Entry> = self.entries.clone();
        by_age.sort_unstable_by_key(|e| (e.stamp, e.node));
        let cut: Vec<NodeId> = by_age[..dropped].iter().map(|e| e.node).collect();
        self.entries.retain(|e| !cut.contains(&e.node));
        dropped
    }

    /// Bytes to store the vector compactly: a 4-byte length, then per entry a 4-byte node
    /// id, an 8-byte counter and, when `with_stamps` (needed to prune), an 8-byte stamp.
    pub fn byte_size(&self, with_stamps: bool) -> usize {
        4 + self.entries.len() * if with_stamps { 20 } else { 12 }
    }
}

impl fmt::Display for VersionVector {
    /// The counters in ShiViz's JSON clock form, e.g. `{"A":1,"B":2}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.to_clock(), f)
    }
}

/// What a per-key causal store offers, whatever its metadata: a read's *context*, an update
/// made with a client's context at a replica, a sync (join) with another replica's state,
/// and the values that survive (the siblings).
///
/// Laws (for the dotted kinds always; for plain version vectors only while each replica's
/// clients read before they write there): concurrent writes survive as siblings; a write
/// whose context covers a sibling supersedes it; no write is lost without being seen; sync
/// is commutative, associative and idempotent.
pub trait SiblingSet<V>: Clone + fmt::Debug + Default + PartialEq {
    /// What a read hands the client, to be passed back with its next write.
    type Context: Clone + fmt::Debug + Default + PartialEq;

    /// The context covering every sibling (what a read returns).
    fn context(&self) -> Self::Context;

    /// A write of `value` at replica `node` (whose clock reads `now`) by a client whose last
    /// read returned `context`. Returns the siblings the write superseded.
    ///
    /// The write's counter for `node` passes every counter the key and the context know for
    /// it; when that would pass `u64::MAX` (a context or a synced state claiming the top
    /// counter) the write is refused with [`ClockError::CounterOverflow`] and the key is left
    /// unchanged.
    fn try_update(
        &mut self,
        context: &Self::Context,
        node: NodeId,
        now: Instant,
        value: V,
    ) -> Result<Vec<V>, ClockError>;

    /// Joins another replica's state of the same key into this one. Returns the values of
    /// either side that the join discarded as obsolete (values already here and kept are not
    /// listed, nor are duplicates).
    fn sync(&mut self, other: &Self) -> Vec<V>;

    /// The surviving values, in a deterministic order.
    fn values(&self) -> Vec<&V>;

    /// Bytes of causality metadata stored for the whole key.
    fn metadata_bytes(&self) -> usize;
}

/// Dynamo-style siblings: each value with its own version vector (replica ids as actors).
/// With `cap` set, every stored vector is pruned to that many entries, as Riak does.
///
/// Replica ids as actors are known to lose an update when two clients write through the
/// same replica without seeing each other (the newer vector looks descended); dotted
/// version vectors fix that (see [`DvvSiblings`](super::DvvSiblings)).
///
/// ```
/// use chronoscope::{clock::{SiblingSet, VvSiblings}, node::NodeId, time::Instant};
/// let (a, b) = (NodeId(0), NodeId(1));
/// let t = Instant::ZERO;
/// let mut at_a = VvSiblings::default();
/// at_a.try_update(&Default::default(), a, t, "milk")?;
/// let mut at_b = VvSiblings::default();
/// at_b.try_update(&Default::default(), b, t, "eggs")?;
/// at_a.sync(&at_b);
/// assert_eq!(at_a.values(), [&"milk", &"eggs"]); // concurrent: both kept
/// let ctx = at_a.context();
/// at_a.try_update(&ctx, a, t, "milk,eggs")?;
/// assert_eq!(at_a.values(), [&"milk,eggs"]); // saw both: supersedes both
/// # Ok::<(), chronoscope::clock::ClockError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VvSiblings<V> {
    versions: Vec<(VersionVector, V)>,
    cap: Option<usize>,
}

impl<V> Default for VvSiblings<V> {
    fn default() -> Self {
        VvSiblings {
            versions: Vec::new(),
            cap: None,
        }
    }
}

impl<V: Clone + Ord + fmt::Debug> VvSiblings<V> {
    /// An empty key whose vectors are pruned to `cap` entries (`None`: never pruned).
    pub fn with_cap(cap: Option<usize>) -> Self {
        VvSiblings {
            versions: Vec::new(),
            cap,
        }
    }

    /// The siblings with their vectors.
    pub fn versions(&self) -> &[(VersionVector, V)] {
        &self.versions
    }

    fn sort(&mut self) {
        self.versions
            .sort_by(|x, y| x.0.entries.cmp(&y.0.entries).then_with(|| x.1.cmp(&y.1)));
        self.versions.dedup();
    }
}

impl<V: Clone + Ord + fmt::Debug> SiblingSet<V> for VvSiblings<V> {
    type Context = VersionVector;

    fn context(&self) -> VersionVector {
        let mut ctx = VersionVector::new();
        for (vv, _) in &self.versions {
            ctx.merge(vv);
        }
        ctx
    }

    fn try_update(
        &mut self,
        context: &VersionVector,
        node: NodeId,
        now: Instant,
        value: V,
    ) -> Result<Vec<V>, ClockError> {
        // The replica's counter must pass every update it has made, seen or not by the client.
        let local = self.versions.iter().map(|(vv, _)| vv.get(node)).max();
        let counter = local
            .unwrap_or(0)
            .max(context.get(node))
            .checked_add(1)
            .ok_or(ClockError::CounterOverflow { node: Some(node) })?;
        let mut vv = context.clone();
        vv.set(node, counter, now);
        let (gone, kept): (Vec<_>, Vec<_>) = core::mem::take(&mut self.versions)
            .into_iter()
            .partition(|(old, _)| vv.descends(old));
        self.versions = kept;
        if let Some(cap) = self.cap {
            vv.prune(cap);
        }
        self.versions.push((vv, value));
        self.sort();
        Ok(gone.into_iter().map(|(_, v)| v).collect())
    }

    fn sync(&mut self, other: &Self) -> Vec<V> {
        let mut all = core::mem::take(&mut self.versions);
        for x in &other.versions {
            if !all.contains(x) {
                all.push(x.clone());
            }
        }
        let mut dropped = Vec::new();
        let mut kept = Vec::new();
        for (vv, v) in &all {
            let obsolete = all.iter().any(|(w, _)| w.compare(vv) == Causality::After);
            if obsolete {
                if !dropped.contains(v) {
                    dropped.push(v.clone());
                }
            } else {
                kept.push((vv.clone(), v.clone()));
            }
        }
        self.versions = kept;
        self.sort();
        dropped
    }

    fn values(&self) -> Vec<&V> {
        self.versions.iter().map(|(_, v)| v).collect()
    }

    fn metadata_bytes(&self) -> usize {
        let stamps = self.cap.is_some();
        4 + self
            .versions
            .iter()
            .map(|(vv, _)| vv.byte_size(stamps))
            .sum::<usize>()
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn vv() -> impl Strategy<Value = VersionVector> {
        proptest::collection::vec((0u32..5, 0u64..4, 0i64..10), 0..6).prop_map(|v| {
            VersionVector::from_entries(v.into_iter().map(|(n, c, s)| Entry {
                node: NodeId(n),
                counter: c,
                stamp: Instant::from_millis(s),
            }))
        })
    }

    proptest! {
        #[test]
        fn compare_matches_vector_clock_compare(a in vv(), b in vv()) {
            prop_assert_eq!(a.compare(&b), a.to_clock().compare(&b.to_clock()));
        }

        #[test]
        fn merge_is_commutative_associative_idempotent(a in vv(), b in vv(), c in vv()) {
            prop_assert_eq!(a.merged(&b), b.merged(&a));
            prop_assert_eq!(a.merged(&b).merged(&c), a.merged(&b.merged(&c)));
            prop_assert_eq!(a.merged(&a), a.clone());
        }

        #[test]
        fn pruning_only_ever_forgets(a in vv(), cap in 0usize..4) {
            let mut p = a.clone();
            let dropped = p.prune(cap);
            prop_assert_eq!(p.len(), a.len().min(cap));
            prop_assert_eq!(p.len() + dropped, a.len());
            prop_assert!(a.descends(&p));
            // The dropped entries are never newer than a kept one.
            for e in a.entries() {
                if p.get(e.node) == 0 {
                    prop_assert!(p.entries().iter().all(|k| (k.stamp, k.node) > (e.stamp, e.node)));
                }
            }
        }
    }

    #[test]
    fn same_replica_concurrent_clients_lose_an_update() {
        // Two clients both read the empty key, then write through replica A: the second
        // vector {A:2} descends {A:1}, so "first" is discarded though nobody saw it.
        let a = NodeId(0);
        let mut s = VvSiblings::default();
        assert_eq!(
            s.try_update(&VersionVector::new(), a, Instant::ZERO, "first"),
            Ok(Vec::new())
        );
        let gone = s
            .try_update(&VersionVector::new(), a, Instant::ZERO, "second")
            .unwrap();
        assert_eq!(gone, ["first"]);
        assert_eq!(s.values(), [&"second"]);
    }

    #[test]
    fn pruned_vectors_drop_a_concurrent_sibling_on_sync() {
        // B's clock runs an hour behind, so B's fresh entry looks oldest and is pruned.
        let (a, b, c, d) = (NodeId(0), NodeId(1), NodeId(2), NodeId(3));
        let hour = Instant::from_millis(3_600_000);
        let seen = VersionVector::from_entries([a, c, d].map(|node| Entry {
            node,
            counter: 1,
            stamp: hour,
        }));
        let mut at_b = VvSiblings::with_cap(Some(3));
        at_b.try_update(&seen, b, Instant::ZERO, "from B").unwrap();
        assert_eq!(at_b.versions()[0].0.get(b), 0, "B's own entry was pruned");
        let mut at_c = VvSiblings::with_cap(Some(3));
        at_c.try_update(&seen, c, hour, "from C").unwrap();
        // Neither client saw the other's write, yet C's vector {A:1,C:2,D:1} descends B's
        // pruned {A:1,C:1,D:1}: the sync discards B's value.
        let lost = at_c.sync(&at_b);
        assert_eq!(lost, ["from B"]);
        assert_eq!(at_c.values(), [&"from C"]);
        // Without the cap both survive.
        let (mut b2, mut c2) = (VvSiblings::default(), VvSiblings::default());
        b2.try_update(&seen, b, Instant::ZERO, "from B").unwrap();
        c2.try_update(&seen, c, hour, "from C").unwrap();
        assert!(c2.sync(&b2).is_empty());
        assert_eq!(c2.values().len(), 2);
    }
}
