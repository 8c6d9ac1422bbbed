//! A text form of [`CausalMessage`]s, for carrying them between browser tabs over a
//! `BroadcastChannel`: `sender|node:count,…|payload`, nodes as numbers. Decoding checks the
//! form and returns typed errors, never panics; whether the clock makes sense is
//! [`CausalQueue::validate`](super::CausalQueue::validate)'s job.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::CausalMessage;
use crate::clock::VectorClock;
use crate::node::NodeId;

/// The most clock entries [`CausalMessage::decode`] accepts.
pub const MAX_WIRE_ENTRIES: usize = 4_096;

/// Why a text-encoded message could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// Fewer than three `|`-separated fields.
    MissingField,
    /// The sender is not a node number.
    BadSender,
    /// A clock entry is not `node:count` with numbers.
    BadEntry,
    /// A clock entry with count 0 (zero entries are left out).
    ZeroCount,
    /// Clock entries not in strictly ascending node order.
    NotCanonical,
    /// More than [`MAX_WIRE_ENTRIES`] entries.
    TooManyEntries,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DecodeError::MissingField => "expected sender|clock|payload",
            DecodeError::BadSender => "sender is not a node number",
            DecodeError::BadEntry => "clock entries must be node:count",
            DecodeError::ZeroCount => "clock entries must be non-zero",
            DecodeError::NotCanonical => "clock entries must ascend by node",
            DecodeError::TooManyEntries => "too many clock entries",
        })
    }
}

impl core::error::Error for DecodeError {}

impl CausalMessage<String> {
    /// A compact text form for carrying the message between browser tabs
    /// (`BroadcastChannel`): `sender|node:count,…|payload`, nodes as numbers.
    ///
    /// ```
    /// use chronoscope::broadcast::causal::{CausalMessage, CausalQueue};
    /// use chronoscope::node::NodeId;
    /// let mut q = CausalQueue::new(NodeId(1));
    /// let m = q.try_broadcast(String::from("Hello | World")).unwrap();
    /// assert_eq!(m.encode(), "1|1:1|Hello | World");
    /// assert_eq!(CausalMessage::decode(&m.encode()), Ok(m));
    /// assert!(CausalMessage::decode("1|1:0|x").is_err());
    /// ```
    pub fn encode(&self) -> String {
        let mut out = format!("{}|", self.sender.0);
        for (k, (node, count)) in self.clock.iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            out.push_str(&format!("{}:{count}", node.0));
        }
        out.push('|');
        out.push_str(&self.payload);
        out
    }

    /// Parses [`encode`](Self::encode)'s form; anything else is a typed error, never a
    /// panic. (Whether the clock makes sense is [`CausalQueue::validate`](super::CausalQueue::validate)'s job.)
    pub fn decode(text: &str) -> Result<Self, DecodeError> {
        let mut parts = text.splitn(3, '|');
        let (Some(sender), Some(clock), Some(payload)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(DecodeError::MissingField);
        };
        let sender = NodeId(sender.parse().map_err(|_| DecodeError::BadSender)?);
        let mut entries: Vec<(NodeId, u64)> = Vec::new();
        if !clock.is_empty() {
            for entry in clock.split(',') {
                if entries.len() == MAX_WIRE_ENTRIES {
                    return Err(DecodeError::TooManyEntries);
                }
                let (node, count) = entry.split_once(':').ok_or(DecodeError::BadEntry)?;
                let node = NodeId(node.parse().map_err(|_| DecodeError::BadEntry)?);
                let count: u64 = count.parse().map_err(|_| DecodeError::BadEntry)?;
                if count == 0 {
                    return Err(DecodeError::ZeroCount);
                }
                if entries.last().is_some_and(|(last, _)| *last >= node) {
                    return Err(DecodeError::NotCanonical);
                }
                entries.push((node, count));
            }
        }
        Ok(CausalMessage {
            sender,
            clock: VectorClock::from_entries(entries),
            payload: String::from(payload),
        })
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod laws {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn wire_text_round_trips_and_garbage_never_panics(
            sender in 0u32..100,
            entries in proptest::collection::vec((0u32..100, 1u64..u64::MAX), 0..8),
            payload in ".*",
            garbage in ".*",
        ) {
            let m = CausalMessage {
                sender: NodeId(sender),
                clock: VectorClock::from_entries(entries.into_iter().map(|(n, c)| (NodeId(n), c))),
                payload,
            };
            prop_assert_eq!(CausalMessage::decode(&m.encode()), Ok(m));
            let _ = CausalMessage::decode(&garbage);
        }

    }
}
