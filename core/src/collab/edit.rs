//! Local edits: what the editor's text area asks for, turned into signed updates.
//!
//! An insert of several characters becomes a chain of single-character inserts, each after
//! the previous one; a delete becomes one delete per character; "replace the whole text"
//! (what a text area reports) becomes the edit between the common prefix and suffix of the
//! old and new texts, so a keystroke costs one update, not a rewrite. Each update names
//! the replica's current heads as dependencies (at most [`MAX_DEPS`]) and is delivered
//! locally at once. Invariant: a local edit only ever adds updates signed with this
//! replica's key and numbered after every update of its own it has delivered.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::message::Message;
use super::replica::{Output, Replica, Timer};
use super::update::{Op, Update, MAX_DEPS};
use crate::protocol::{Context, Outbox};

/// A local edit (what the editor's text area asks for).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operation {
    /// Insert `text` so that it starts at visible character `index`.
    Insert {
        /// Where (0 = the start).
        index: usize,
        /// What.
        text: String,
    },
    /// Delete `len` visible characters from `index`.
    Delete {
        /// The first one.
        index: usize,
        /// How many.
        len: usize,
    },
    /// Make the text equal to `text` (the text area's new value): the replica computes the
    /// edit as the change between the common prefix and suffix.
    Replace {
        /// The new text.
        text: String,
    },
    /// Say bye and stop.
    Leave,
}

/// Why a local edit was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EditError {
    /// The edit reaches past the end of the text.
    OutOfRange {
        /// The end the edit asked for.
        end: usize,
        /// The text's length.
        len: usize,
    },
    /// The replica has left.
    Left,
}

impl fmt::Display for EditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EditError::OutOfRange { end, len } => {
                write!(
                    f,
                    "edit reaches {end}, past the end of a {len}-character text"
                )
            }
            EditError::Left => f.write_str("the replica has left the room"),
        }
    }
}

impl core::error::Error for EditError {}

impl Replica {
    /// Applies a local edit, sending the updates it makes.
    pub fn edit(
        &mut self,
        ctx: &mut Context<'_>,
        operation: Operation,
        out: &mut Outbox<Self>,
    ) -> Result<(), EditError> {
        if self.left {
            return Err(EditError::Left);
        }
        let len = self.graph.rga().len();
        let mut made = Vec::new();
        match operation {
            Operation::Insert { index, text } => {
                if index > len {
                    return Err(EditError::OutOfRange { end: index, len });
                }
                self.insert_local(index, &text, &mut made);
            }
            Operation::Delete { index, len: n } => {
                let end = index.saturating_add(n);
                if end > len {
                    return Err(EditError::OutOfRange { end, len });
                }
                self.delete_local(index, n, &mut made);
            }
            Operation::Replace { text } => {
                let old: Vec<char> = self.text().chars().collect();
                let new: Vec<char> = text.chars().collect();
                let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
                let suffix = old[prefix..]
                    .iter()
                    .rev()
                    .zip(new[prefix..].iter().rev())
                    .take_while(|(a, b)| a == b)
                    .count();
                self.delete_local(prefix, old.len() - prefix - suffix, &mut made);
                let inserted: String = new[prefix..new.len() - suffix].iter().collect();
                self.insert_local(prefix, &inserted, &mut made);
            }
            Operation::Leave => {
                self.left = true;
                let author = self.author.key();
                out.send_to_all(ctx.peers, Message::Bye { author });
                out.cancel_timer(Timer::Tick);
                out.output(Output::Save(self.saved()));
                return Ok(());
            }
        }
        if !made.is_empty() {
            self.dirty = true;
            out.output(Output::Text(self.text()));
            for chunk in made.chunks(self.limits.max_bundle.max(1)) {
                out.send_to_all(ctx.peers, Message::Updates(chunk.to_vec()));
            }
        }
        Ok(())
    }

    fn make(&mut self, op: Op) -> Option<Update> {
        let heads = self.graph.heads().iter().copied().take(MAX_DEPS).collect();
        let u = Update::sign(&self.author, self.next_seq, heads, op);
        self.next_seq += 1;
        self.graph
            .deliver(u.clone(), self.limits.max_invalid)
            .ok()
            .map(|_| u)
    }

    fn insert_local(&mut self, index: usize, text: &str, made: &mut Vec<Update>) {
        let mut after = index
            .checked_sub(1)
            .and_then(|i| self.graph.rga().hash_at(i));
        for ch in text.chars() {
            if let Some(u) = self.make(Op::Insert { after, ch }) {
                after = Some(u.id);
                made.push(u);
            }
        }
    }

    fn delete_local(&mut self, index: usize, len: usize, made: &mut Vec<Update>) {
        for target in self.graph.rga().hashes_in(index, len) {
            if let Some(u) = self.make(Op::Delete { target }) {
                made.push(u);
            }
        }
    }
}
