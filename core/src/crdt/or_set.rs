//! Observed-remove set (Shapiro et al. 2011, §3.3.5, Specification 15), state-based: every
//! add is tagged with a unique dot `(replica, counter)`; a remove tombstones the tags it has
//! *observed*. An element is present while it has a tag not tombstoned — so an add
//! concurrent with a remove survives (add wins).
//!
//! Invariant: tags are unique (each replica's counter only grows, and merge takes the
//! maximum); merge is the union of tags and of tombstones.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;
use core::fmt::{self, Debug};

use super::{CvRdt, Update};
use crate::node::NodeId;

/// A unique tag: the replica that added and its add counter.
pub type Tag = (NodeId, u64);

/// An update to an OR-set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrOp<T> {
    /// Replica `node` adds `item` (with a fresh tag).
    Add {
        /// The replica adding.
        node: NodeId,
        /// The element.
        item: T,
    },
    /// Remove `item`: tombstone every tag of it observed here.
    Remove(T),
}

/// Why an OR-set update is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrSetError {
    /// The element is not present here, so there is nothing observed to remove.
    NotPresent,
    /// The replica's tag counter is exhausted.
    TagOverflow,
}

impl fmt::Display for OrSetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OrSetError::NotPresent => "element is not in the set",
            OrSetError::TagOverflow => "tag counter overflow",
        })
    }
}

impl core::error::Error for OrSetError {}

/// An observed-remove (add-wins) set.
///
/// ```
/// use chronoscope::crdt::{or_set::OrOp, CvRdt, OrSet, Update};
/// use chronoscope::node::NodeId;
/// let mut a = OrSet::default();
/// a.try_apply(OrOp::Add { node: NodeId(0), item: "milk" }).unwrap();
/// let mut b = a.clone();
/// b.try_apply(OrOp::Remove("milk")).unwrap();                        // B removes ...
/// a.try_apply(OrOp::Add { node: NodeId(0), item: "milk" }).unwrap(); // ... as A re-adds
/// a.merge(&b);
/// assert_eq!(a.value(), ["milk"]); // the unobserved add wins
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrSet<T: Ord> {
    adds: BTreeMap<T, BTreeSet<Tag>>,
    tombstones: BTreeSet<Tag>,
    counters: BTreeMap<NodeId, u64>,
}

impl<T: Ord> Default for OrSet<T> {
    fn default() -> Self {
        OrSet {
            adds: BTreeMap::new(),
            tombstones: BTreeSet::new(),
            counters: BTreeMap::new(),
        }
    }
}

impl<T: Ord + Clone> OrSet<T> {
    /// Whether `item` is present (has a live tag).
    pub fn contains(&self, item: &T) -> bool {
        self.adds
            .get(item)
            .is_some_and(|tags| tags.iter().any(|t| !self.tombstones.contains(t)))
    }
}

impl<T: Ord + Clone + Debug> CvRdt for OrSet<T> {
    type Value = Vec<T>;

    fn merge(&mut self, other: &Self) {
        for (item, tags) in &other.adds {
            self.adds
                .entry(item.clone())
                .or_default()
                .extend(tags.iter().copied());
        }
        self.tombstones.extend(other.tombstones.iter().copied());
        for (&n, &c) in &other.counters {
            let mine = self.counters.entry(n).or_insert(0);
            *mine = (*mine).max(c);
        }
    }

    /// The present elements, sorted.
    fn value(&self) -> Vec<T> {
        self.adds
            .keys()
            .filter(|i| self.contains(i))
            .cloned()
            .collect()
    }
}

impl<T: Ord + Clone + Debug> Update for OrSet<T> {
    type Op = OrOp<T>;
    type Error = OrSetError;

    fn validate_op(&self, op: &OrOp<T>) -> Result<(), OrSetError> {
        match op {
            OrOp::Add { node, .. } => match self.counters.get(node) {
                Some(&c) if c == u64::MAX => Err(OrSetError::TagOverflow),
                _ => Ok(()),
            },
            OrOp::Remove(item) if !self.contains(item) => Err(OrSetError::NotPresent),
            OrOp::Remove(_) => Ok(()),
        }
    }

    fn apply(&mut self, op: OrOp<T>) {
        match op {
            OrOp::Add { node, item } => {
                let counter = self.counters.entry(node).or_insert(0);
                if *counter == u64::MAX {
                    return;
                }
                *counter += 1;
                let tag = (node, *counter);
                self.adds.entry(item).or_default().insert(tag);
            }
            OrOp::Remove(item) => {
                if let Some(tags) = self.adds.get(&item) {
                    self.tombstones.extend(tags.iter().copied());
                }
            }
        }
    }
}
