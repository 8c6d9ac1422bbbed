//! Dotted version vectors (Preguiça, Baquero, Almeida, Fonte, Gonçalves 2012, "Dotted
//! Version Vectors: Logical Clocks for Optimistic Replication", §4–§5).
//!
//! A plain version vector with replica ids cannot tell "client 2 overwrote client 1's write
//! at replica A" from "both wrote at A without seeing each other": both produce `{A:n+1}`.
//! A DVV separates the *dot* — the single event `(replica, counter)` that made the version —
//! from the causal *context* the writing client had read. Its causal history is
//! `{dot} ∪ C[context]`, which need not be contiguous per replica, so replica ids suffice
//! (metadata bounded by the number of replicas, not clients).
//!
//! Invariants: a dot is created once (the replica's counter passes every dot and context
//! entry it knows); `x` is obsolete given `y` exactly when `x`'s dot is in `y`'s history
//! (`x.dot.counter ≤ y.context[x.dot.node]`, §5.1); a sibling set keeps exactly the versions
//! no other version makes obsolete, so a join is commutative, associative and idempotent.

use alloc::vec::Vec;
use core::fmt;

use super::vector::{Causality, VectorClock};
use super::version_vector::SiblingSet;
use super::ClockError;
use crate::node::NodeId;
use crate::time::Instant;

/// One update event: the replica that made it and that replica's counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Dot {
    /// The replica that made the update.
    pub node: NodeId,
    /// The replica's counter for it (from 1).
    pub counter: u64,
}

impl fmt::Display for Dot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({},{})", self.node, self.counter)
    }
}

/// A dotted version vector: the version's own dot plus the context its writer had seen.
///
/// ```
/// use chronoscope::{clock::{Causality, Dot, DottedVersionVector, VectorClock}, node::NodeId};
/// let a = NodeId(0);
/// // Two clients wrote at replica A, neither having seen the other (empty contexts).
/// let x = DottedVersionVector::new(Dot { node: a, counter: 1 }, VectorClock::new());
/// let y = DottedVersionVector::new(Dot { node: a, counter: 2 }, VectorClock::new());
/// assert_eq!(x.compare(&y), Causality::Concurrent); // a version vector would say Before
/// // A third client read both ({A:2}) and wrote: it descends both.
/// let z = DottedVersionVector::new(Dot { node: a, counter: 3 }, VectorClock::from_entries([(a, 2)]));
/// assert!(z.descends(&x) && z.descends(&y));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DottedVersionVector {
    dot: Dot,
    context: VectorClock,
}

impl DottedVersionVector {
    /// A version made by event `dot` by a client that had seen `context`.
    pub fn new(dot: Dot, context: VectorClock) -> Self {
        DottedVersionVector { dot, context }
    }

    /// The version's own event.
    pub fn dot(&self) -> Dot {
        self.dot
    }

    /// What the writer had seen.
    pub fn context(&self) -> &VectorClock {
        &self.context
    }

    /// Whether `dot` is in this version's causal history.
    pub fn contains(&self, dot: Dot) -> bool {
        dot == self.dot || dot.counter <= self.context.get(dot.node)
    }

    /// Whether this version's history includes `other`'s (`self ≥ other`).
    pub fn descends(&self, other: &DottedVersionVector) -> bool {
        self.contains(other.dot)
    }

    /// The causal relation between two versions.
    pub fn compare(&self, other: &DottedVersionVector) -> Causality {
        match (other.descends(self), self.descends(other)) {
            (true, true) => Causality::Equal,
            (true, false) => Causality::Before,
            (false, true) => Causality::After,
            (false, false) => Causality::Concurrent,
        }
    }

    /// The history as a (possibly over-approximating) vector clock: the context joined
    /// with the dot.
    pub fn to_clock(&self) -> VectorClock {
        let mut clock = self.context.clone();
        if clock.get(self.dot.node) < self.dot.counter {
            clock.set(self.dot.node, self.dot.counter);
        }
        clock
    }

    /// Bytes to store it: the dot (4 + 8) plus the context's compact size.
    pub fn byte_size(&self) -> usize {
        12 + self.context.byte_size()
    }
}

impl fmt::Display for DottedVersionVector {
    /// `(A,3){"A":2,"B":1}`: the dot, then the context.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.dot, self.context)
    }
}

/// A key's siblings, each with its own dotted version vector (the DVV paper's server-side
/// `sync` and `update`, §5.2).
///
/// ```
/// use chronoscope::{clock::{DvvSiblings, SiblingSet, VectorClock}, node::NodeId, time::Instant};
/// let a = NodeId(0);
/// let mut key = DvvSiblings::default();
/// // Two clients read nothing and both write through replica A.
/// key.try_update(&VectorClock::new(), a, Instant::ZERO, "first")?;
/// key.try_update(&VectorClock::new(), a, Instant::ZERO, "second")?;
/// assert_eq!(key.values(), [&"first", &"second"]); // both survive
/// let ctx = key.context();
/// let gone = key.try_update(&ctx, a, Instant::ZERO, "merged")?;
/// assert_eq!(gone, ["first", "second"]);
/// assert_eq!(key.values(), [&"merged"]);
/// # Ok::<(), chronoscope::clock::ClockError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DvvSiblings<V> {
    versions: Vec<(DottedVersionVector, V)>,
}

impl<V> Default for DvvSiblings<V> {
    fn default() -> Self {
        DvvSiblings {
            versions: Vec::new(),
        }
    }
}

impl<V> DvvSiblings<V> {
    /// The siblings with their clocks, sorted by dot.
    pub fn versions(&self) -> &[(DottedVersionVector, V)] {
        &self.versions
    }

    /// The highest counter of `node` this key's state knows of (in dots or contexts).
    fn max_counter(&self, node: NodeId) -> u64 {
        self.versions
            .iter()
            .map(|(d, _)| {
                let own = if d.dot.node == node { d.dot.counter } else { 0 };
                own.max(d.context.get(node))
            })
            .max()
            .unwrap_or(0)
    }
}

impl<V: Clone + fmt::Debug + PartialEq> SiblingSet<V> for DvvSiblings<V> {
    type Context = VectorClock;

    fn context(&self) -> VectorClock {
        let mut ctx = VectorClock::new();
        for (d, _) in &self.versions {
            ctx.merge(&d.to_clock());
        }
        ctx
    }

    fn try_update(
        &mut self,
        context: &VectorClock,
        node: NodeId,
        _now: Instant,
        value: V,
    ) -> Result<Vec<V>, ClockError> {
        let counter = self
            .max_counter(node)
            .max(context.get(node))
            .checked_add(1)
            .ok_or(ClockError::CounterOverflow { node: Some(node) })?;
        let new = DottedVersionVector::new(Dot { node, counter }, context.clone());
        let (gone, kept): (Vec<_>, Vec<_>) = core::mem::take(&mut self.versions)
            .into_iter()
            .partition(|(old, _)| new.descends(old));
        self.versions = kept;
        // The new dot is the largest of `node`'s, so pushing keeps the order by dot only
        // among `node`'s versions; sort to keep the whole list canonical.
        self.versions.push((new, value));
        self.versions.sort_by_key(|(d, _)| d.dot);
        Ok(gone.into_iter().map(|(_, v)| v).collect())
    }

    fn sync(&mut self, other: &Self) -> Vec<V> {
        let mut all = core::mem::take(&mut self.versions);
        for x in &other.versions {
            if !all.iter().any(|(d, _)| d.dot == x.0.dot) {
                all.push(x.clone());
            }
        }
        let dots: Vec<DottedVersionVector> = all.iter().map(|(d, _)| d.clone()).collect();
        let mut dropped = Vec::new();
        for (d, v) in all {
            if dots.iter().any(|e| e.dot != d.dot && e.descends(&d)) {
                dropped.push(v);
            } else {
                self.versions.push((d, v));
            }
        }
        self.versions.sort_by_key(|(d, _)| d.dot);
        dropped
    }

    fn values(&self) -> Vec<&V> {
        self.versions.iter().map(|(_, v)| v).collect()
    }

    fn metadata_bytes(&self) -> usize {
        4 + self
            .versions
            .iter()
            .map(|(d, _)| d.byte_size())
            .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_that_saw_one_sibling_supersedes_only_that_one() {
        let (a, b) = (NodeId(0), NodeId(1));
        let t = Instant::ZERO;
        let mut at_a = DvvSiblings::default();
        at_a.try_update(&VectorClock::new(), a, t, "x").unwrap();
        let seen_x = at_a.context();
        let mut at_b = DvvSiblings::default();
        at_b.try_update(&VectorClock::new(), b, t, "y").unwrap();
        at_a.sync(&at_b);
        assert_eq!(at_a.values(), [&"x", &"y"]);
        // A client that had read only x writes at B.
        let gone = at_b.try_update(&seen_x, b, t, "x'").unwrap();
        assert!(gone.is_empty(), "x is not at B yet; y was not seen");
        let dropped = at_a.sync(&at_b);
        assert_eq!(dropped, ["x"]);
        assert_eq!(at_a.values(), [&"y", &"x'"]);
        assert_eq!(at_a.versions()[1].0.to_string(), r#"(B,2){"A":1}"#);
    }
}
