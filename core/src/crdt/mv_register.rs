//! Multi-value register (Shapiro et al. 2011, §3.2.2, Specification 10; Dynamo's siblings):
//! each value carries a vector clock; a write at a replica supersedes every value it has
//! seen; merge keeps every value no other value's clock dominates, so concurrent writes all
//! survive and a reader sees them all.
//!
//! Invariant: the values held form an antichain (pairwise concurrent clocks), and merge is
//! the union followed by keeping the maximal elements.

use alloc::vec::Vec;
use core::fmt::Debug;

use super::{CvRdt, Update};
use crate::clock::{Causality, ClockError, VectorClock};
use crate::node::NodeId;

/// A write of `value` at replica `node`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Write<T> {
    /// The writing replica.
    pub node: NodeId,
    /// The value.
    pub value: T,
}

/// A multi-value register.
///
/// ```
/// use chronoscope::crdt::{mv_register::Write, CvRdt, MvRegister, Update};
/// use chronoscope::node::NodeId;
/// let (mut a, mut b) = (MvRegister::default(), MvRegister::default());
/// a.try_apply(Write { node: NodeId(0), value: "Alice" }).unwrap();
/// b.try_apply(Write { node: NodeId(1), value: "Bob" }).unwrap();
/// a.merge(&b);
/// assert_eq!(a.value(), ["Alice", "Bob"]); // concurrent: both kept
/// a.try_apply(Write { node: NodeId(0), value: "Alice & Bob" }).unwrap();
/// assert_eq!(a.value(), ["Alice & Bob"]); // saw both: supersedes both
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MvRegister<T> {
    values: Vec<(VectorClock, T)>,
}

impl<T> Default for MvRegister<T> {
    fn default() -> Self {
        MvRegister { values: Vec::new() }
    }
}

impl<T: Ord + Clone + Debug> MvRegister<T> {
    /// The values with their clocks.
    pub fn versions(&self) -> &[(VectorClock, T)] {
        &self.values
    }

    /// The join of every value's clock (what a writer here has seen).
    pub fn clock(&self) -> VectorClock {
        let mut c = VectorClock::new();
        for (v, _) in &self.values {
            c.merge(v);
        }
        c
    }

    fn sort(&mut self) {
        self.values
            .sort_by(|(c1, v1), (c2, v2)| v1.cmp(v2).then_with(|| c1.iter().cmp(c2.iter())));
    }
}

impl<T: Ord + Clone + Debug> CvRdt for MvRegister<T> {
    type Value = Vec<T>;

    fn merge(&mut self, other: &Self) {
        // Both sides are antichains, so a value can only be dominated by the other side's.
        let dominated_by = |c: &VectorClock, side: &[(VectorClock, T)]| {
            side.iter().any(|(d, _)| d.compare(c) == Causality::After)
        };
        let mine = core::mem::take(&mut self.values);
        let mut kept: Vec<(VectorClock, T)> = Vec::with_capacity(mine.len() + other.values.len());
        for (c, v) in &other.values {
            if !dominated_by(c, &mine) && !mine.iter().any(|(d, w)| d == c && w == v) {
                kept.push((c.clone(), v.clone()));
            }
        }
        for (c, v) in mine {
            if !dominated_by(&c, &other.values) {
                kept.push((c, v));
            }
        }
        self.values = kept;
        self.sort();
    }

    /// The concurrent values, sorted.
    fn value(&self) -> Vec<T> {
        self.values.iter().map(|(_, v)| v.clone()).collect()
    }
}

impl<T: Ord + Clone + Debug> Update for MvRegister<T> {
    type Op = Write<T>;
    type Error = ClockError;

    /// Refuses a write whose node's counter (merged from every sibling's clock, which may
    /// have come from a remote state) already stands at `u64::MAX`.
    fn validate_op(&self, op: &Write<T>) -> Result<(), ClockError> {
        self.clock().try_increment(op.node).map(|_| ())
    }

    /// A refused write (see [`validate_op`](Update::validate_op)) is ignored: the register
    /// is left unchanged, never given a capped clock.
    fn apply(&mut self, op: Write<T>) {
        let mut clock = self.clock();
        if clock.try_increment(op.node).is_ok() {
            self.values = alloc::vec![(clock, op.value)];
        }
    }
}
