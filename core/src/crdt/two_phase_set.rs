//! Two-phase set (Shapiro et al. 2011, §3.3.2, Specification 12): a G-Set of additions and
//! a G-Set of removals (tombstones); an element is in the set if added and never removed.
//!
//! Invariant: once removed, an element stays removed everywhere (remove wins, and it cannot
//! be re-added). Preconditions are typed errors: remove needs the element present here
//! (Shapiro's `lookup(e)` precondition), and adding a removed element is refused rather
//! than silently ignored.

use alloc::collections::BTreeSet;
use alloc::vec::Vec;
use core::fmt::{self, Debug};

use super::{CvRdt, Update};

/// An update to a 2P-set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TwoPhaseOp<T> {
    /// Add an element.
    Add(T),
    /// Remove an element (for good).
    Remove(T),
}

/// Why a 2P-set update is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TwoPhaseError {
    /// The element was removed before; it can never come back.
    AlreadyRemoved,
    /// The element is not in the set here, so it cannot be removed.
    NotPresent,
}

impl fmt::Display for TwoPhaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TwoPhaseError::AlreadyRemoved => "element was removed and cannot be re-added",
            TwoPhaseError::NotPresent => "element is not in the set",
        })
    }
}

impl core::error::Error for TwoPhaseError {}

/// A two-phase set.
///
/// ```
/// use chronoscope::crdt::{two_phase_set::{TwoPhaseError, TwoPhaseOp}, CvRdt, TwoPhaseSet, Update};
/// let mut s = TwoPhaseSet::default();
/// s.try_apply(TwoPhaseOp::Add("milk")).unwrap();
/// s.try_apply(TwoPhaseOp::Remove("milk")).unwrap();
/// assert_eq!(s.try_apply(TwoPhaseOp::Add("milk")), Err(TwoPhaseError::AlreadyRemoved));
/// assert!(s.value().is_empty());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TwoPhaseSet<T: Ord> {
    added: BTreeSet<T>,
    removed: BTreeSet<T>,
}

impl<T: Ord> Default for TwoPhaseSet<T> {
    fn default() -> Self {
        TwoPhaseSet {
            added: BTreeSet::new(),
            removed: BTreeSet::new(),
        }
    }
}

impl<T: Ord + Clone> TwoPhaseSet<T> {
    /// Whether `item` is in the set.
    pub fn contains(&self, item: &T) -> bool {
        self.added.contains(item) && !self.removed.contains(item)
    }
}

impl<T: Ord + Clone + Debug> CvRdt for TwoPhaseSet<T> {
    type Value = Vec<T>;

    fn merge(&mut self, other: &Self) {
        self.added.extend(other.added.iter().cloned());
        self.removed.extend(other.removed.iter().cloned());
    }

    /// The elements added and not removed, sorted.
    fn value(&self) -> Vec<T> {
        self.added.difference(&self.removed).cloned().collect()
    }
}

impl<T: Ord + Clone + Debug> Update for TwoPhaseSet<T> {
    type Op = TwoPhaseOp<T>;
    type Error = TwoPhaseError;

    fn validate_op(&self, op: &TwoPhaseOp<T>) -> Result<(), TwoPhaseError> {
        match op {
            TwoPhaseOp::Add(x) if self.removed.contains(x) => Err(TwoPhaseError::AlreadyRemoved),
            TwoPhaseOp::Remove(x) if !self.contains(x) => Err(TwoPhaseError::NotPresent),
            _ => Ok(()),
        }
    }

    fn apply(&mut self, op: TwoPhaseOp<T>) {
        match op {
            TwoPhaseOp::Add(x) => {
                self.added.insert(x);
            }
            TwoPhaseOp::Remove(x) => {
                if self.added.contains(&x) {
                    self.removed.insert(x);
                }
            }
        }
    }
}
