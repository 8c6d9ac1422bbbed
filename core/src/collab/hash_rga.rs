//! RGA over hash-named runs: the Replicated Growable Array of Roh, Jeong, Kim and Lee
//! ("Replicated abstract data types", JPDC 2011, §3.4–3.5), with each character named by
//! `(hash of the insert update, offset in its run)` instead of a `(counter, node)` pair a
//! forger could reuse (Kleppmann, "Making CRDTs Byzantine Fault Tolerant", PaPoC 2022, §4),
//! and a run of characters inserted by one update the way Automerge and Yjs do it: character
//! `k` of a run is an insert after character `k − 1` whose Lamport number is one larger.
//!
//! An element's [`ElementId`] is `(lamport, hash, offset)`: `lamport` is computed by every
//! receiver from the update's dependencies (one more than the largest among its
//! dependencies and its anchor's update, plus the offset), never claimed by the sender, and
//! the hash breaks ties between concurrent inserts the same way everywhere. Invariant (as in
//! [`crate::crdt::rga`]): elements lie in the order of a depth-first walk of the insert tree,
//! siblings in *descending* id order, and every element's id exceeds its anchor's; so
//! replicas that apply the same inserts and deletes in any order that puts an anchor's
//! update before its inserts hold the same sequence. A run lands contiguously (nothing can
//! be anchored inside it before it exists), and a later insert after character `k` of a run
//! has a larger id than character `k + 1`, so it goes between them.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::update::{CharId, CharRange, UpdateHash};

/// The position-deciding name of one character.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ElementId {
    /// The run's Lamport number plus `offset`.
    pub lamport: u64,
    /// The hash of the insert update.
    pub hash: UpdateHash,
    /// The character's index in the run.
    pub offset: u32,
}

impl ElementId {
    /// The character's name (without the Lamport number).
    pub fn char_id(&self) -> CharId {
        CharId::new(self.hash, self.offset)
    }
}

impl fmt::Display for ElementId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}+{}", self.lamport, self.hash, self.offset)
    }
}

/// One character, visible or a tombstone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Element {
    /// Its id.
    pub id: ElementId,
    /// The character it was inserted after (`None`: the start of the text).
    pub after: Option<CharId>,
    /// The character.
    pub ch: char,
    /// Whether it has been deleted.
    pub deleted: bool,
}

/// Why an edit cannot be applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashRgaError {
    /// The anchor of an insert is not a character here.
    UnknownAnchor(CharId),
    /// A character a delete names is not here.
    UnknownTarget(CharId),
    /// Characters of this update already exist.
    Duplicate(UpdateHash),
    /// The insert's id is not larger than its anchor's.
    NotAfterAnchor(UpdateHash),
    /// An insert of no characters.
    EmptyRun(UpdateHash),
}

impl fmt::Display for HashRgaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HashRgaError::UnknownAnchor(c) => write!(f, "insert after unknown character {c}"),
            HashRgaError::UnknownTarget(c) => write!(f, "delete of unknown character {c}"),
            HashRgaError::Duplicate(h) => write!(f, "characters of {h} already exist"),
            HashRgaError::NotAfterAnchor(h) => {
                write!(f, "run {h} is not later than its anchor")
            }
            HashRgaError::EmptyRun(h) => write!(f, "run {h} has no characters"),
        }
    }
}

impl core::error::Error for HashRgaError {}

/// A text replica whose characters are named by (update hash, offset).
///
/// # Examples
///
/// ```
/// use chronoscope::collab::hash_rga::HashRga;
/// use chronoscope::collab::update::{CharId, CharRange, UpdateHash};
/// let (x, a, b) = (UpdateHash([1; 32]), UpdateHash([5; 32]), UpdateHash([9; 32]));
/// let mut one = HashRga::new();
/// one.insert_run(x, 1, None, "xy").unwrap();
/// // Two concurrent runs after 'x' (Lamport 3: after x's run), applied in either order,
/// // land the same way, between 'x' and 'y'.
/// let mut two = one.clone();
/// one.insert_run(a, 3, Some(CharId::new(x, 0)), "AA").unwrap();
/// one.insert_run(b, 3, Some(CharId::new(x, 0)), "BB").unwrap();
/// two.insert_run(b, 3, Some(CharId::new(x, 0)), "BB").unwrap();
/// two.insert_run(a, 3, Some(CharId::new(x, 0)), "AA").unwrap();
/// assert_eq!(one.text(), "xBBAAy");
/// assert_eq!(one.text(), two.text());
/// one.delete(&[CharRange { update: b, start: 0, len: 2 }]).unwrap();
/// assert_eq!(one.text(), "xAAy");
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

    fn position(&self, c: CharId) -> Option<usize> {
        self.elements
            .iter()
            .position(|e| e.id.offset == c.offset && e.id.hash == c.update)
    }

    /// The character `c`.
    pub fn element(&self, c: CharId) -> Option<&Element> {
        self.position(c).map(|i| &self.elements[i])
    }

    /// The name of the `index`-th visible character.
    pub fn char_at(&self, index: usize) -> Option<CharId> {
        self.elements
            .iter()
            .filter(|e| !e.deleted)
            .nth(index)
            .map(|e| e.id.char_id())
    }

    /// The names of the visible characters `start..start + len` (fewer at the end).
    pub fn chars_in(&self, start: usize, len: usize) -> Vec<CharId> {
        self.elements
            .iter()
            .filter(|e| !e.deleted)
            .skip(start)
            .take(len)
            .map(|e| e.id.char_id())
            .collect()
    }

    /// Checks an insert of a run named `hash` with Lamport number `lamport` after `after`
    /// without applying it; returns where its first character goes.
    pub fn check_insert(
        &self,
        hash: UpdateHash,
        lamport: u64,
        after: Option<CharId>,
    ) -> Result<usize, HashRgaError> {
        let first = ElementId {
            lamport,
            hash,
            offset: 0,
        };
        let mut anchor = None;
        for (i, e) in self.elements.iter().enumerate() {
            if e.id.hash == hash {
                return Err(HashRgaError::Duplicate(hash));
            }
            if Some(e.id.char_id()) == after {
                anchor = Some(i);
            }
        }
        let mut i = match (after, anchor) {
            (None, _) => 0,
            (Some(a), None) => return Err(HashRgaError::UnknownAnchor(a)),
            (Some(_), Some(p)) => {
                if self.elements[p].id >= first {
                    return Err(HashRgaError::NotAfterAnchor(hash));
                }
                p + 1
            }
        };
        while i < self.elements.len() && self.elements[i].id > first {
            i += 1;
        }
        Ok(i)
    }

    /// Inserts the run `text`, named `hash` with Lamport number `lamport`, right after the
    /// character `after` (`None`: at the start). Returns how many characters it added.
    pub fn insert_run(
        &mut self,
        hash: UpdateHash,
        lamport: u64,
        after: Option<CharId>,
        text: &str,
    ) -> Result<usize, HashRgaError> {
        if text.is_empty() {
            return Err(HashRgaError::EmptyRun(hash));
        }
        let at = self.check_insert(hash, lamport, after)?;
        let run = text.chars().enumerate().map(|(k, ch)| {
            let offset = k as u32;
            Element {
                id: ElementId {
                    lamport: lamport + u64::from(offset),
                    hash,
                    offset,
                },
                after: if k == 0 {
                    after
                } else {
                    Some(CharId::new(hash, offset - 1))
                },
                ch,
                deleted: false,
            }
        });
        let before = self.elements.len();
        self.elements.splice(at..at, run);
        let added = self.elements.len() - before;
        self.visible += added;
        Ok(added)
    }

    /// Marks every character of `ranges` (canonical: sorted, disjoint) deleted; deleting a
    /// tombstone again changes nothing. Returns how many visible characters it removed.
    /// Refuses, changing nothing, if a named character is not here.
    pub fn delete(&mut self, ranges: &[CharRange]) -> Result<usize, HashRgaError> {
        let expected: u64 = ranges.iter().map(|r| u64::from(r.len)).sum();
        let mut found = Vec::new();
        for (i, e) in self.elements.iter().enumerate() {
            if found.len() as u64 == expected {
                break;
            }
            let key = (e.id.hash, e.id.offset);
            // The last range starting at or before this character.
            let k = ranges.partition_point(|r| (r.update, r.start) <= key);
            if k > 0 {
                let r = &ranges[k - 1];
                if r.update == e.id.hash && u64::from(e.id.offset) < r.end() {
                    found.push(i);
                }
            }
        }
        if found.len() as u64 != expected {
            let missing = ranges
                .iter()
                .flat_map(|r| {
                    (r.start..r.start.saturating_add(r.len)).map(|o| CharId::new(r.update, o))
                })
                .find(|c| self.position(*c).is_none())
                .unwrap_or(CharId::new(UpdateHash::default(), 0));
            return Err(HashRgaError::UnknownTarget(missing));
        }
        let mut removed = 0;
        for i in found {
            let e = &mut self.elements[i];
            if !e.deleted {
                e.deleted = true;
                removed += 1;
            }
        }
        self.visible -= removed;
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn h(b: u8) -> UpdateHash {
        UpdateHash([b; 32])
    }

    fn range(update: UpdateHash, start: u32, len: u32) -> CharRange {
        CharRange { update, start, len }
    }

    #[test]
    fn refusals_name_what_is_wrong_and_change_nothing() {
        let mut t = HashRga::new();
        t.insert_run(h(1), 1, None, "ab").unwrap();
        assert_eq!(
            t.insert_run(h(1), 5, None, "c"),
            Err(HashRgaError::Duplicate(h(1)))
        );
        assert_eq!(
            t.insert_run(h(2), 5, Some(CharId::new(h(1), 2)), "c"),
            Err(HashRgaError::UnknownAnchor(CharId::new(h(1), 2)))
        );
        assert_eq!(
            t.insert_run(h(0), 2, Some(CharId::new(h(1), 1)), "c"),
            Err(HashRgaError::NotAfterAnchor(h(0)))
        );
        assert_eq!(
            t.insert_run(h(3), 9, None, ""),
            Err(HashRgaError::EmptyRun(h(3)))
        );
        assert_eq!(
            t.delete(&[range(h(1), 1, 2)]),
            Err(HashRgaError::UnknownTarget(CharId::new(h(1), 2)))
        );
        assert_eq!(t.text(), "ab");
        assert_eq!(t.delete(&[range(h(1), 0, 2)]), Ok(2));
        assert_eq!(t.delete(&[range(h(1), 1, 1)]), Ok(0));
        assert_eq!(t.text(), "");
        assert_eq!(t.elements().len(), 2);
    }

    #[test]
    fn an_insert_inside_a_run_splits_it_and_later_runs_at_the_start_go_first() {
        let mut t = HashRga::new();
        t.insert_run(h(1), 1, None, "cat").unwrap();
        // After 'c' (the run's Lamport numbers are 1..=3; the insert's is 4).
        t.insert_run(h(2), 4, Some(CharId::new(h(1), 0)), "o")
            .unwrap();
        t.insert_run(h(3), 5, None, "S").unwrap();
        assert_eq!(t.text(), "Scoat");
        assert_eq!(t.char_at(2), Some(CharId::new(h(2), 0)));
        assert_eq!(
            t.chars_in(3, 5),
            vec![CharId::new(h(1), 1), CharId::new(h(1), 2)]
        );
        t.delete(&[range(h(1), 0, 2), range(h(3), 0, 1)]).unwrap();
        assert_eq!(t.text(), "ot");
        assert_eq!(t.len(), 2);
    }
}
