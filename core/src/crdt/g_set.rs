//! Grow-only set (Shapiro et al. 2011, §3.3.1, Specification 11): add only; merge is union.
//!
//! Invariant: the set is the union of every element added at any replica merged in.

use alloc::collections::BTreeSet;
use alloc::vec::Vec;
use core::convert::Infallible;
use core::fmt::Debug;

use super::{CvRdt, Update};

/// A grow-only set.
///
/// ```
/// use chronoscope::crdt::{CvRdt, GSet, Update};
/// let (mut a, mut b) = (GSet::default(), GSet::default());
/// a.try_apply("milk").unwrap();
/// b.try_apply("eggs").unwrap();
/// a.merge(&b);
/// assert_eq!(a.value(), ["eggs", "milk"]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GSet<T: Ord> {
    items: BTreeSet<T>,
}

impl<T: Ord> Default for GSet<T> {
    fn default() -> Self {
        GSet {
            items: BTreeSet::new(),
        }
    }
}

impl<T: Ord + Clone> GSet<T> {
    /// Whether `item` is in the set.
    pub fn contains(&self, item: &T) -> bool {
        self.items.contains(item)
    }
}

impl<T: Ord + Clone + Debug> CvRdt for GSet<T> {
    type Value = Vec<T>;

    fn merge(&mut self, other: &Self) {
        self.items.extend(other.items.iter().cloned());
    }

    /// The elements, sorted.
    fn value(&self) -> Vec<T> {
        self.items.iter().cloned().collect()
    }
}

impl<T: Ord + Clone + Debug> Update for GSet<T> {
    /// The element to add.
    type Op = T;
    type Error = Infallible;

    fn validate_op(&self, _op: &T) -> Result<(), Infallible> {
        Ok(())
    }

    fn apply(&mut self, op: T) {
        self.items.insert(op);
    }
}
