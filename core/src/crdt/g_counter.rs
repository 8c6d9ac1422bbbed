//! Grow-only counter (Shapiro et al. 2011, §3.1.1, Specification 6).
//!
//! One slot per replica; a replica only increments its own slot; merge takes the pointwise
//! maximum and the value is the sum. Each slot is that replica's own logical timeline, so
//! the state is a vector clock of increments. Invariant: the value equals the sum of every
//! increment merged in, each counted once.

use alloc::collections::BTreeMap;
use core::fmt;

use super::{CvRdt, Update};
use crate::node::NodeId;

/// An increment made by `node` to its own slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Increment {
    /// The replica incrementing (its own slot).
    pub node: NodeId,
    /// By how much.
    pub by: u64,
}

/// Why a counter update is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CounterError {
    /// The slot (or the total) would overflow.
    Overflow,
}

impl fmt::Display for CounterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("counter overflow")
    }
}

impl core::error::Error for CounterError {}

/// A grow-only counter.
///
/// ```
/// use chronoscope::crdt::{g_counter::{GCounter, Increment}, CvRdt, Update};
/// use chronoscope::node::NodeId;
/// let (mut a, mut b) = (GCounter::default(), GCounter::default());
/// a.try_apply(Increment { node: NodeId(0), by: 5 }).unwrap();
/// b.try_apply(Increment { node: NodeId(1), by: 3 }).unwrap();
/// a.merge(&b);
/// a.merge(&b); // idempotent
/// assert_eq!(a.value(), 8);
/// assert_eq!(a.to_string(), "{A:5, B:3}");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GCounter {
    slots: BTreeMap<NodeId, u64>,
}

impl GCounter {
    /// `node`'s slot.
    pub fn get(&self, node: NodeId) -> u64 {
        self.slots.get(&node).copied().unwrap_or(0)
    }

    /// The non-zero slots, by node.
    pub fn slots(&self) -> impl Iterator<Item = (NodeId, u64)> + '_ {
        self.slots.iter().map(|(n, c)| (*n, *c))
    }

    fn total(&self) -> Option<u64> {
        self.slots.values().try_fold(0u64, |s, c| s.checked_add(*c))
    }
}

impl CvRdt for GCounter {
    type Value = u64;

    fn merge(&mut self, other: &Self) {
        for (&n, &c) in &other.slots {
            let slot = self.slots.entry(n).or_insert(0);
            *slot = (*slot).max(c);
        }
    }

    /// The sum of the slots (saturating).
    fn value(&self) -> u64 {
        self.slots.values().fold(0u64, |s, c| s.saturating_add(*c))
    }
}

impl Update for GCounter {
    type Op = Increment;
    type Error = CounterError;

    fn validate_op(&self, op: &Increment) -> Result<(), CounterError> {
        let slot_ok = self.get(op.node).checked_add(op.by).is_some();
        let total_ok = self.total().and_then(|t| t.checked_add(op.by)).is_some();
        if slot_ok && total_ok {
            Ok(())
        } else {
            Err(CounterError::Overflow)
        }
    }

    fn apply(&mut self, op: Increment) {
        if op.by > 0 {
            let slot = self.slots.entry(op.node).or_insert(0);
            *slot = slot.saturating_add(op.by);
        }
    }
}

impl fmt::Display for GCounter {
    /// `{A:5, B:3}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (k, (n, c)) in self.slots.iter().enumerate() {
            if k > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{n}:{c}")?;
        }
        f.write_str("}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overflow_is_refused_and_state_unchanged() {
        let mut c = GCounter::default();
        c.try_apply(Increment {
            node: NodeId(0),
            by: u64::MAX,
        })
        .unwrap();
        let before = c.clone();
        let err = c.try_apply(Increment {
            node: NodeId(1),
            by: 1,
        });
        assert_eq!(err, Err(CounterError::Overflow));
        assert_eq!(c, before);
    }
}
