//! Application merge strategies for siblings: what a client does when a read returns more
//! than one value (Dynamo, DeCandia et al. 2007, §4.4: the shopping cart's *union*, or
//! letting the user pick).
//!
//! Invariant: `Union` never drops an item any sibling holds (so a cart keeps every added
//! item; deletions inside a cart can resurface, the known cost of this merge); `Pick`
//! returns exactly one sibling, or a typed error for an index that does not exist.

use alloc::collections::BTreeSet;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// How a client merges siblings into the one value it writes back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Merge {
    /// Treat each value as a comma-separated set of items and write their union (sorted).
    Union,
    /// Keep sibling number `k` (in read order) and drop the others.
    Pick(usize),
}

/// Why siblings could not be merged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MergeError {
    /// There was nothing to merge (the key has never been written).
    NoSiblings,
    /// `Pick(index)` named a sibling that does not exist.
    PickOutOfRange {
        /// The index asked for.
        index: usize,
        /// How many siblings there were.
        siblings: usize,
    },
}

impl fmt::Display for MergeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MergeError::NoSiblings => f.write_str("no siblings to merge"),
            MergeError::PickOutOfRange { index, siblings } => {
                write!(f, "cannot pick sibling {index} of {siblings}")
            }
        }
    }
}

impl core::error::Error for MergeError {}

impl Merge {
    /// Merges `siblings` (`None` is a tombstone). Under `Union` tombstones contribute no
    /// items; if every sibling is a tombstone the result is a tombstone. Under `Pick` a
    /// picked tombstone means "delete".
    ///
    /// ```
    /// use chronoscope::store::merge::{Merge, MergeError};
    /// let siblings = [Some("milk"), Some("eggs,milk"), None];
    /// assert_eq!(Merge::Union.apply(&siblings), Ok(Some("eggs,milk".into())));
    /// assert_eq!(Merge::Pick(0).apply(&siblings), Ok(Some("milk".into())));
    /// assert_eq!(
    ///     Merge::Pick(3).apply(&siblings),
    ///     Err(MergeError::PickOutOfRange { index: 3, siblings: 3 })
    /// );
    /// ```
    pub fn apply(&self, siblings: &[Option<&str>]) -> Result<Option<String>, MergeError> {
        if siblings.is_empty() {
            return Err(MergeError::NoSiblings);
        }
        match *self {
            Merge::Pick(index) => {
                siblings
                    .get(index)
                    .map(|v| v.map(String::from))
                    .ok_or(MergeError::PickOutOfRange {
                        index,
                        siblings: siblings.len(),
                    })
            }
            Merge::Union => {
                if siblings.iter().all(Option::is_none) {
                    return Ok(None);
                }
                let items: BTreeSet<&str> = siblings
                    .iter()
                    .flatten()
                    .flat_map(|v| v.split(','))
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect();
                Ok(Some(items.into_iter().collect::<Vec<_>>().join(",")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_keeps_every_item_once() {
        let merged = Merge::Union
            .apply(&[Some("milk, eggs"), Some("bread,milk")])
            .unwrap();
        assert_eq!(merged.as_deref(), Some("bread,eggs,milk"));
        assert_eq!(Merge::Union.apply(&[None, None]), Ok(None));
        assert_eq!(Merge::Union.apply(&[]), Err(MergeError::NoSiblings));
    }
}
