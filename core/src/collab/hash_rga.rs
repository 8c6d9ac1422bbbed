//! RGA over hash-named elements: the Replicated Growable Array of Roh, Jeong, Kim and Lee
//! ("Replicated abstract data types", JPDC 2011, §3.4–3.5), with each character named by the
//! hash of the update that inserted it instead of a `(counter, node)` pair a forger could
//! reuse (Kleppmann, "Making CRDTs Byzantine Fault Tolerant", PaPoC 2022, §4).
//!
//! An element's [`ElementId`] is `(lamport, hash)`: `lamport` is computed by every receiver
//! from the update's dependencies (one more than the largest among its dependencies and
//! its anchor), never claimed by the sender, and the hash breaks ties between concurrent
//! inserts the same way everywhere. Invariant (as in [`crate::crdt::rga`]): elements lie in
//! the order of a depth-first walk of the insert tree, siblings in *descending* id order,
//! and every element's id exceeds its anchor's; so replicas that apply the same inserts and
//! deletes in any order that puts an anchor before its inserts hold the same sequence.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::update::UpdateHash;

/// The position-deciding name of one character.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ElementId {
    /// One more than the largest Lamport number among the insert's dependencies and anchor.
    pub lamport: u64,
    /// The hash of the insert update.
    pub hash: UpdateHash,
}

impl fmt::Display for ElementId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.lamport, self.hash)
    }
}

/// One character, visible or a tombstone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Element {
    /// Its id.
    pub id: ElementId,
    /// The element it was inserted after (`None`: the start of the text).
    pub after: Option<UpdateHash>,
    /// The character.
    pub ch: char,
    /// Whether it has been deleted.
    pub deleted: bool,
}

/// Why an edit cannot be applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashRgaError {
    /// The anchor of an insert is not an element here.
    UnknownAnchor(UpdateHash),
    /// The target of a delete is not an element here.
    UnknownTarget(UpdateHash),
    /// An element with this hash already exists.
    Duplicate(UpdateHash),
    /// The insert's id is not larger than its anchor's.
    NotAfterAnchor(UpdateHash),
}

impl fmt::Display for HashRgaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HashRgaError::UnknownAnchor(h) => write!(f, "insert after unknown element {h}"),
            HashRgaError::UnknownTarget(h) => write!(f, "delete of unknown element {h}"),
            HashRgaError::Duplicate(h) => write!(f, "element {h} already exists"),
            HashRgaError::NotAfterAnchor(h) => {
                write!(f, "element {h} is not later than its anchor")
            }
        }
    }
}

impl core::error::Error for HashRgaError {}

/// A text replica whose characters are named by update hashes.
///
/// # Examples
///
/// ```
/// use chronoscope::collab::hash_rga::{ElementId, HashRga};
/// use chronoscope::collab::update::UpdateHash;
/// let id = |l, b| ElementId { lamport: l, hash: UpdateHash([b; 32]) };
/// let mut a = HashRga::new();
/// a.insert(id(1, 1), None, 'x').unwrap();
/// // Two concurrent inserts after 'x', applied in either order, land the same way.
/// let mut b = a.clone();
/// a.insert(id(2, 5), Some(id(1, 1).hash), 'A').unwrap();
/// a.insert(id(2, 9), Some(id(1, 1).hash), 'B').unwrap();
/// b.insert(id(2, 9), Some(id(1, 1).hash), 'B').unwrap();
/// b.insert(id(2, 5), Some(id(1, 1).hash), 'A').unwrap();
/// assert_eq!(a.text(), "xBA");
/// assert_eq!(a.text(), b.text());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HashRga {
    elements: Vec<Element>,
    visible: usize,
}

impl HashRga {
    /// An empty text.
    pub const fn new() -> Self {
        HashRga {
            elements: Vec::new(),
            visible: 0,
        }
    }

    /// Every element, tombstones included, in document order.
    pub fn elements(&self) -> &[Element] {
        &self.elements
    }

    /// The visible text.
    pub fn text(&self) -> String {
        self.elements
            .iter()
            .filter(|e| !e.deleted)
            .map(|e| e.ch)
            .collect()
    }

    /// The number of visible characters.
    pub fn len(&self) -> usize {
        self.visible
    }

    /// Whether no character is visible.
    pub fn is_empty(&self) -> bool {
        self.visible == 0
    }

    fn position(&self, hash: UpdateHash) -> Option<usize> {
        self.elements.iter().position(|e| e.id.hash == hash)
    }

    /// The element inserted by update `hash`.
    pub fn element(&self, hash: UpdateHash) -> Option<&Element> {
        self.position(hash).map(|i| &self.elements[i])
    }

    /// The hash of the `index`-th visible character.
    pub fn hash_at(&self, index: usize) -> Option<UpdateHash> {
        self.elements
            .iter()
            .filter(|e| !e.deleted)
            .nth(index)
            .map(|e| e.id.hash)
    }

    /// The hashes of the visible characters `start..start + len` (fewer at the end).
    pub fn hashes_in(&self, start: usize, len: usize) -> Vec<UpdateHash> {
        self.elements
            .iter()
            .filter(|e| !e.deleted)
            .skip(start)
            .take(len)
            .map(|e| e.id.hash)
            .collect()
    }

    /// Checks an insert without applying it.
    pub fn check_insert(
        &self,
        id: ElementId,
        after: Option<UpdateHash>,
    ) -> Result<(), HashRgaError> {
        if self.position(id.hash).is_some() {
            return Err(HashRgaError::Duplicate(id.hash));
        }
        if let Some(a) = after {
            let anchor = self.element(a).ok_or(HashRgaError::UnknownAnchor(a))?;
            if anchor.id >= id {
                return Err(HashRgaError::NotAfterAnchor(id.hash));
            }
        }
        Ok(())
    }

    /// Inserts `ch` named `id` right after the element `after` (`None`: at the start).
    pub fn insert(
        &mut self,
        id: ElementId,
        after: Option<UpdateHash>,
        ch: char,
    ) -> Result<(), HashRgaError> {
        self.check_insert(id, after)?;
        let mut i = match after {
            None => 0,
            Some(a) => self.position(a).map_or(0, |p| p + 1),
        };
        while i < self.elements.len() && self.elements[i].id > id {
            i += 1;
        }
        self.elements.insert(
            i,
            Element {
                id,
                after,
                ch,
                deleted: false,
            },
        );
        self.visible += 1;
        Ok(())
    }

    /// Marks the element `target` deleted (deleting a tombstone again changes nothing).
    /// Returns whether the visible text changed.
    pub fn delete(&mut self, target: UpdateHash) -> Result<bool, HashRgaError> {
        let i = self
            .position(target)
            .ok_or(HashRgaError::UnknownTarget(target))?;
        if self.elements[i].deleted {
            return Ok(false);
        }
        self.elements[i].deleted = true;
        self.visible -= 1;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(lamport: u64, b: u8) -> ElementId {
        ElementId {
            lamport,
            hash: UpdateHash([b; 32]),
        }
    }

    #[test]
    fn refusals_name_what_is_wrong() {
        let mut t = HashRga::new();
        t.insert(id(1, 1), None, 'a').unwrap();
        assert_eq!(
            t.insert(id(1, 1), None, 'b'),
            Err(HashRgaError::Duplicate(id(1, 1).hash))
        );
        assert_eq!(
            t.insert(id(2, 2), Some(id(9, 9).hash), 'b'),
            Err(HashRgaError::UnknownAnchor(id(9, 9).hash))
        );
        assert_eq!(
            t.insert(id(1, 0), Some(id(1, 1).hash), 'b'),
            Err(HashRgaError::NotAfterAnchor(id(1, 0).hash))
        );
        assert_eq!(
            t.delete(id(9, 9).hash),
            Err(HashRgaError::UnknownTarget(id(9, 9).hash))
        );
        assert_eq!(t.delete(id(1, 1).hash), Ok(true));
        assert_eq!(t.delete(id(1, 1).hash), Ok(false));
        assert_eq!(t.text(), "");
        assert_eq!(t.elements().len(), 1);
    }

    #[test]
    fn a_typed_word_reads_in_order_and_later_inserts_at_the_start_go_first() {
        let mut t = HashRga::new();
        t.insert(id(1, 1), None, 'c').unwrap();
        t.insert(id(2, 2), Some(id(1, 1).hash), 'a').unwrap();
        t.insert(id(3, 3), Some(id(2, 2).hash), 't').unwrap();
        t.insert(id(4, 0), None, 'S').unwrap();
        assert_eq!(t.text(), "Scat");
        assert_eq!(t.hash_at(1), Some(id(1, 1).hash));
        assert_eq!(t.hashes_in(2, 5), alloc::vec![id(2, 2).hash, id(3, 3).hash]);
    }
}
