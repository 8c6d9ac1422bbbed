//! The error a logical clock returns instead of silently changing itself.
//!
//! Logical counters are `u64`. A clock that only counts its own events cannot reach
//! `u64::MAX` in practice, but a clock that takes a value from outside — a received Lamport
//! time, a merged vector, a client's context, a parsed ShiViz clock — can be handed one
//! there. Capping the counter would silently break the clock condition (two events would
//! share a time), so every operation that could overflow is checked and, on overflow,
//! refuses with [`ClockError`] and leaves the clock exactly as it was.

use core::fmt;

use crate::node::NodeId;

/// Why a logical clock refused an operation (the clock is left unchanged).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClockError {
    /// Advancing a counter would pass `u64::MAX`.
    CounterOverflow {
        /// The node whose entry would overflow (`None` for a scalar Lamport clock).
        node: Option<NodeId>,
    },
}

impl fmt::Display for ClockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClockError::CounterOverflow { node: Some(n) } => {
                write!(f, "node {n}'s counter is at u64::MAX and cannot advance")
            }
            ClockError::CounterOverflow { node: None } => {
                f.write_str("the Lamport clock is at u64::MAX and cannot advance")
            }
        }
    }
}

impl core::error::Error for ClockError {}
