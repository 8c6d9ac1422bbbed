//! Local edits: what the editor's text area asks for, turned into signed updates.
//!
//! An insert becomes one update carrying the run of characters (a paste longer than
//! [`Limits::max_run`](super::Limits::max_run) characters, or than a message can carry,
//! becomes several, each after the previous one's last character); a delete becomes one
//! update naming the deleted characters as ranges of runs (at most [`MAX_RANGES`] per
//! update); "replace the whole text"
//! (what a text area reports) becomes the edit between the common prefix and suffix of the
//! old and new texts, so a keystroke costs one update, not a rewrite. Updates go out in
//! messages of at most [`Limits::max_bundle`](super::Limits::max_bundle) updates and
//! [`Limits::max_message_bytes`](super::Limits::max_message_bytes) bytes. Each update names
//! the replica's current heads as dependencies (at most [`MAX_DEPS`]) and is delivered
//! locally at once. Invariant: a local edit only ever adds updates signed with this
//! replica's key and numbered after every update of its own it has delivered.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::message::Message;
use super::replica::{Output, Replica, Timer};
use super::update::{
    CharId, CharRange, Op, Update, MAX_DEPS, MAX_OVERHEAD, MAX_RANGES, MAX_RUN, RANGE_BYTES,
};
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
            for chunk in messages(made, self.limits.max_bundle, self.limits.max_message_bytes) {
                out.send_to_all(ctx.peers, Message::Updates(chunk));
            }
        }
        Ok(())
    }

    fn make(&mut self, op: Op) -> Option<Update> {
        let heads = self.graph.heads().iter().copied().take(MAX_DEPS).collect();
        let u = Update::sign(&self.author, self.next_seq, heads, op);
        // Never send what peers would refuse as malformed (the splitting below keeps
        // within the caps; this is the guard).
        u.verify_hash().ok()?;
        self.next_seq += 1;
        self.graph
            .deliver(u.clone(), self.limits.max_invalid)
            .ok()
            .map(|_| u)
    }

    /// The most UTF-8 bytes of run one update may carry so that it fits in a message.
    fn run_bytes(&self) -> usize {
        let room = self
            .limits
            .max_message_bytes
            .saturating_sub(1 + 4 + MAX_OVERHEAD);
        room.clamp(4, 4 * MAX_RUN)
    }

    fn insert_local(&mut self, index: usize, text: &str, made: &mut Vec<Update>) {
        let mut after = index
            .checked_sub(1)
            .and_then(|i| self.graph.rga().char_at(i));
        let max_chars = self.limits.max_run.clamp(1, MAX_RUN);
        let max_bytes = self.run_bytes();
        let mut rest = text;
        while !rest.is_empty() {
            // Cut after `max_chars` characters or before `max_bytes` bytes.
            let mut cut = 0;
            for (n, (i, ch)) in rest.char_indices().enumerate() {
                if n == max_chars || i + ch.len_utf8() > max_bytes {
                    break;
                }
                cut = i + ch.len_utf8();
            }
            let (run, tail) = rest.split_at(cut.max(rest.chars().next().map_or(0, char::len_utf8)));
            rest = tail;
            let op = Op::Insert {
                after,
                text: run.into(),
            };
            let n = run.chars().count() as u32;
            match self.make(op) {
                Some(u) => {
                    after = Some(CharId::new(u.id, n - 1));
                    made.push(u);
                }
                None => break,
            }
        }
    }

    fn delete_local(&mut self, index: usize, len: usize, made: &mut Vec<Update>) {
        if len == 0 {
            return;
        }
        let mut chars = self.graph.rga().chars_in(index, len);
        chars.sort_unstable();
        let mut ranges: Vec<CharRange> = Vec::new();
        for c in chars {
            match ranges.last_mut() {
                Some(r) if r.update == c.update && r.end() == u64::from(c.offset) => r.len += 1,
                _ => ranges.push(CharRange::one(c)),
            }
        }
        let room = self
            .limits
            .max_message_bytes
            .saturating_sub(1 + 4 + MAX_OVERHEAD);
        let per_update = (room / RANGE_BYTES).clamp(1, MAX_RANGES);
        for chunk in ranges.chunks(per_update) {
            let op = Op::Delete {
                ranges: chunk.to_vec(),
            };
            match self.make(op) {
                Some(u) => made.push(u),
                None => break,
            }
        }
    }
}

/// Splits `updates` into messages of at most `max_count` updates and `max_bytes` encoded
/// bytes (an update too large for any message goes alone).
pub(super) fn messages(
    updates: Vec<Update>,
    max_count: usize,
    max_bytes: usize,
) -> Vec<Vec<Update>> {
    let mut out: Vec<Vec<Update>> = Vec::new();
    let mut bytes = 0;
    for u in updates {
        let size = u.encoded_len();
        let full = out
            .last()
            .is_none_or(|m| m.len() >= max_count.max(1) || 1 + 4 + bytes + size > max_bytes);
        if full {
            out.push(Vec::new());
            bytes = 0;
        }
        bytes += size;
        if let Some(m) = out.last_mut() {
            m.push(u);
        }
    }
    out
}
