//! Naive position-based collaborative text: every edit travels as "insert `ch` at index `i`"
//! or "delete index `i`" and is applied at that index wherever it arrives. This is the
//! strawman of Ellis and Gibbs, "Concurrency control in groupware systems" (SIGMOD 1989),
//! §1 — what operational transformation and CRDTs such as [`rga`](super::rga) fix.
//!
//! Invariant kept: none worth having. Indices are clamped to the current text, so nothing
//! panics, but two replicas that apply the same concurrent edits in different orders end
//! with different texts. It exists to show that divergence.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// One position-based edit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NaiveOp {
    /// Insert `ch` so that it becomes the character at `index`.
    Insert {
        /// Where.
        index: usize,
        /// What.
        ch: char,
    },
    /// Delete the character at `index`.
    Delete {
        /// Where.
        index: usize,
    },
}

/// Why a naive edit was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NaiveError {
    /// The index is past the end of the text.
    IndexOutOfRange {
        /// The index asked for.
        index: usize,
        /// The text's length in characters.
        len: usize,
    },
}

impl fmt::Display for NaiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NaiveError::IndexOutOfRange { index, len } => {
                write!(f, "index {index} is past the end of a {len}-character text")
            }
        }
    }
}

impl core::error::Error for NaiveError {}

/// A text edited by position.
///
/// # Examples
///
/// Two replicas of `"ab"` insert concurrently at index 1 and apply each other's edit as it
/// comes: they diverge.
///
/// ```
/// use chronoscope::crdt::naive_text::{NaiveOp, NaiveText};
/// let mut x = NaiveText::from_text("ab");
/// let mut y = x.clone();
/// let from_x = NaiveOp::Insert { index: 1, ch: 'X' };
/// let from_y = NaiveOp::Insert { index: 1, ch: 'Y' };
/// x.apply(&from_x);
/// y.apply(&from_y);
/// x.apply(&from_y);
/// y.apply(&from_x);
/// assert_eq!(x.text(), "aYXb");
/// assert_eq!(y.text(), "aXYb");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NaiveText {
    chars: Vec<char>,
}

impl NaiveText {
    /// An empty text.
    pub const fn new() -> Self {
        NaiveText { chars: Vec::new() }
    }

    /// A text holding `s`.
    pub fn from_text(s: &str) -> Self {
        NaiveText {
            chars: s.chars().collect(),
        }
    }

    /// The text.
    pub fn text(&self) -> String {
        self.chars.iter().collect()
    }

    /// Its length in characters.
    pub fn len(&self) -> usize {
        self.chars.len()
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    /// Whether the edit's index fits the current text.
    pub fn validate_op(&self, op: &NaiveOp) -> Result<(), NaiveError> {
        let len = self.chars.len();
        match *op {
            NaiveOp::Insert { index, .. } if index > len => {
                Err(NaiveError::IndexOutOfRange { index, len })
            }
            NaiveOp::Delete { index } if index >= len => {
                Err(NaiveError::IndexOutOfRange { index, len })
            }
            _ => Ok(()),
        }
    }

    /// Applies an edit at its index, clamped to the text (a delete past the end does
    /// nothing) — exactly the naivety this type demonstrates.
    pub fn apply(&mut self, op: &NaiveOp) {
        match *op {
            NaiveOp::Insert { index, ch } => {
                let index = index.min(self.chars.len());
                self.chars.insert(index, ch);
            }
            NaiveOp::Delete { index } => {
                if index < self.chars.len() {
                    self.chars.remove(index);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_delete_and_insert_diverge() {
        let mut x = NaiveText::from_text("abc");
        let mut y = x.clone();
        let del = NaiveOp::Delete { index: 0 };
        let ins = NaiveOp::Insert { index: 2, ch: 'Z' };
        x.apply(&del);
        y.apply(&ins);
        x.apply(&ins);
        y.apply(&del);
        assert_ne!(x.text(), y.text());
        assert_eq!(x.text(), "bcZ");
        assert_eq!(y.text(), "bZc");
    }

    #[test]
    fn out_of_range_edits_are_reported_and_clamped() {
        let mut t = NaiveText::from_text("ab");
        let far = NaiveOp::Insert { index: 9, ch: 'x' };
        assert!(t.validate_op(&far).is_err());
        t.apply(&far);
        assert_eq!(t.text(), "abx");
        t.apply(&NaiveOp::Delete { index: 7 });
        assert_eq!(t.text(), "abx");
    }
}
