//! Positive-negative counter (Shapiro et al. 2011, §3.1.2, Specification 7): two grow-only
//! counters, one for increments and one for decrements; the value is their difference.
//!
//! Invariant: the value equals (increments − decrements) over every update merged in,
//! each counted once, whatever the merge order.

use core::fmt;

use super::g_counter::{CounterError, GCounter, Increment};
use super::{CvRdt, Update};
use crate::node::NodeId;

/// An update to a PN-counter, made by `node`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PnOp {
    /// Add `by`.
    Increment {
        /// The replica.
        node: NodeId,
        /// The amount.
        by: u64,
    },
    /// Subtract `by`.
    Decrement {
        /// The replica.
        node: NodeId,
        /// The amount.
        by: u64,
    },
}

/// A counter that goes up and down.
///
/// ```
/// use chronoscope::crdt::{pn_counter::{PnCounter, PnOp}, CvRdt, Update};
/// use chronoscope::node::NodeId;
/// let (mut a, mut c) = (PnCounter::default(), PnCounter::default());
/// a.try_apply(PnOp::Increment { node: NodeId(0), by: 5 }).unwrap();
/// c.try_apply(PnOp::Decrement { node: NodeId(2), by: 2 }).unwrap(); // offline
/// c.merge(&a);
/// assert_eq!(c.value(), 3);
/// assert_eq!(c.to_string(), "P{A:5} N{C:2}");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PnCounter {
    p: GCounter,
    n: GCounter,
}

impl PnCounter {
    /// The increments.
    pub fn increments(&self) -> &GCounter {
        &self.p
    }
    /// The decrements.
    pub fn decrements(&self) -> &GCounter {
        &self.n
    }
}

impl CvRdt for PnCounter {
    type Value = i128;

    fn merge(&mut self, other: &Self) {
        self.p.merge(&other.p);
        self.n.merge(&other.n);
    }

    fn value(&self) -> i128 {
        i128::from(self.p.value()) - i128::from(self.n.value())
    }
}

impl Update for PnCounter {
    type Op = PnOp;
    type Error = CounterError;

    fn validate_op(&self, op: &PnOp) -> Result<(), CounterError> {
        match *op {
            PnOp::Increment { node, by } => self.p.validate_op(&Increment { node, by }),
            PnOp::Decrement { node, by } => self.n.validate_op(&Increment { node, by }),
        }
    }

    fn apply(&mut self, op: PnOp) {
        match op {
            PnOp::Increment { node, by } => self.p.apply(Increment { node, by }),
            PnOp::Decrement { node, by } => self.n.apply(Increment { node, by }),
        }
    }
}

impl fmt::Display for PnCounter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "P{} N{}", self.p, self.n)
    }
}
