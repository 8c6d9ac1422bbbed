//! Text edits as runs and ranges: what one signed [`Update`](super::update::Update) does to
//! the text. An insert carries a *run* of up to [`MAX_RUN`] characters, character `k` named
//! `(update id, k)` (a [`CharId`]) and placed as an RGA "insert after" character `k − 1`
//! (Roh et al., JPDC 2011, §3.4), the way Yjs groups consecutive insertions into one item
//! (Nicolaescu et al., "Near Real-Time Peer-to-Peer Shared Editing on Extensible Data
//! Types", GROUP 2016) and Automerge numbers a run's characters consecutively; a delete
//! names up to [`MAX_RANGES`] [`CharRange`]s. So a keystroke, a 1,000-character paste or a
//! selection's deletion is one signed update, not one per character.
//!
//! Invariant: an op has one canonical form ([`Op::normalize`] makes it; a receiver refuses
//! any other as malformed), so the hash over an update's encoding names exactly one edit,
//! and whether an op is well formed is decided by protocol constants alone, alike on every
//! honest replica.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use super::update::UpdateHash;

/// The most characters one insert update carries (longer pastes are split into several
/// updates). A protocol constant, not a [`Limits`](super::Limits) field: whether an update is
/// well formed must be decided alike by every honest replica.
pub const MAX_RUN: usize = 4_096;

/// The most character ranges one delete update names.
pub const MAX_RANGES: usize = 1_024;

/// The name of one character: the insert update that made it and its place in that
/// update's run (0 = the run's first character).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CharId {
    /// The insert update.
    pub update: UpdateHash,
    /// The character's index in the update's run.
    pub offset: u32,
}

impl CharId {
    /// Character `offset` of the run inserted by `update`.
    pub const fn new(update: UpdateHash, offset: u32) -> CharId {
        CharId { update, offset }
    }
}

impl fmt::Display for CharId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}+{}", self.update, self.offset)
    }
}

/// Characters `start..start + len` of the run inserted by `update`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CharRange {
    /// The insert update.
    pub update: UpdateHash,
    /// The first character's index in the run.
    pub start: u32,
    /// How many characters (at least 1).
    pub len: u32,
}

impl CharRange {
    /// The range holding the single character `c`.
    pub const fn one(c: CharId) -> CharRange {
        CharRange {
            update: c.update,
            start: c.offset,
            len: 1,
        }
    }
    /// One past the last offset.
    pub fn end(&self) -> u64 {
        u64::from(self.start) + u64::from(self.len)
    }
}

/// One text edit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// Insert the run `text` right after character `after` (`None`: at the start); its
    /// characters are named `(this update, 0)`, `(this update, 1)`, ….
    Insert {
        /// The character the run follows.
        after: Option<CharId>,
        /// The characters (1 to [`MAX_RUN`] of them).
        text: String,
    },
    /// Delete the characters of `ranges` (sorted by update then start, neither overlapping
    /// nor touching: the canonical form; 1 to [`MAX_RANGES`] of them).
    Delete {
        /// What is deleted.
        ranges: Vec<CharRange>,
    },
}

impl Op {
    /// An insert of the single character `ch` after `after`.
    pub fn insert_char(after: Option<CharId>, ch: char) -> Op {
        Op::Insert {
            after,
            text: ch.to_string(),
        }
    }

    /// A delete of the single character `c`.
    pub fn delete_char(c: CharId) -> Op {
        Op::Delete {
            ranges: alloc::vec![CharRange::one(c)],
        }
    }

    /// The updates this edit refers to, ascending and distinct (implicit dependencies:
    /// they are delivered first).
    pub fn references(&self) -> Vec<UpdateHash> {
        match self {
            Op::Insert { after, .. } => after.iter().map(|c| c.update).collect(),
            Op::Delete { ranges } => {
                let mut refs: Vec<UpdateHash> = ranges.iter().map(|r| r.update).collect();
                refs.sort_unstable();
                refs.dedup();
                refs
            }
        }
    }

    /// How many characters an insert adds (0 for a delete).
    pub fn run_len(&self) -> usize {
        match self {
            Op::Insert { text, .. } => text.chars().count(),
            Op::Delete { .. } => 0,
        }
    }

    /// Puts a delete's ranges in canonical form (sorted, overlapping or touching ranges
    /// merged, empty ones dropped); an insert is left as it is.
    pub fn normalize(&mut self) {
        let Op::Delete { ranges } = self else {
            return;
        };
        ranges.retain(|r| r.len > 0);
        ranges.sort_unstable();
        let mut merged: Vec<CharRange> = Vec::with_capacity(ranges.len());
        for r in ranges.drain(..) {
            match merged.last_mut() {
                Some(last) if last.update == r.update && last.end() >= u64::from(r.start) => {
                    let end = last.end().max(r.end());
                    last.len = u32::try_from(end - u64::from(last.start)).unwrap_or(u32::MAX);
                }
                _ => merged.push(r),
            }
        }
        *ranges = merged;
    }

    /// Whether the edit is in canonical form within the caps.
    pub(super) fn canonical(&self) -> bool {
        match self {
            Op::Insert { text, .. } => {
                !text.is_empty() && text.len() <= 4 * MAX_RUN && text.chars().count() <= MAX_RUN
            }
            Op::Delete { ranges } => {
                let each = ranges
                    .iter()
                    .all(|r| r.len > 0 && r.end() <= MAX_RUN as u64);
                let ordered = ranges.windows(2).all(|w| {
                    w[0].update < w[1].update
                        || (w[0].update == w[1].update && w[0].end() < u64::from(w[1].start))
                });
                !ranges.is_empty() && ranges.len() <= MAX_RANGES && each && ordered
            }
        }
    }
}
