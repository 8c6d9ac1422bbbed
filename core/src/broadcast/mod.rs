//! Broadcast protocols: FIFO, causal, total order (Lamport), reliable and gossip broadcast.
//!
//! Every protocol here delivers application messages identified by a [`BroadcastId`] (the
//! origin node and its per-origin sequence number, printed `A:1`). Protocols that hold
//! messages back (FIFO, causal, total order) never wait silently: a message held longer than
//! the configured `stuck_after` produces an explicit "stuck waiting for X:n" output.
//!
//! - [`fifo`]: sequence numbers per sender (Cachin, Guerraoui & Rodrigues, *Introduction to
//!   Reliable and Secure Distributed Programming*, §3.8).
//! - [`causal`]: vector-clock hold-back (Birman, Schiper & Stephenson 1991), usable outside
//!   the simulator with dynamic membership.
//! - [`total_order`]: Lamport's total order with `(time, node)` stamps and stability
//!   (Lamport 1978, §3) — the Lamport chat.
//! - [`reliable`]: eager reliable broadcast (relay on first receipt, de-duplicated).
//! - [`gossip`]: gossip (epidemic) broadcast to a few random peers.

pub mod causal;
pub mod fifo;
pub mod gossip;
pub mod reliable;
pub mod total_order;

use core::fmt;

use crate::node::NodeId;

/// The identity of one broadcast: the node that sent it and its sequence number there
/// (1-based: the first broadcast of `A` is `A:1`).
///
/// ```
/// use chronoscope::{broadcast::BroadcastId, node::NodeId};
/// let id = BroadcastId { origin: NodeId(0), seq: 1 };
/// assert_eq!(id.to_string(), "A:1");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BroadcastId {
    /// The node that broadcast the message.
    pub origin: NodeId,
    /// Its sequence number at the origin (1-based).
    pub seq: u64,
}

impl fmt::Display for BroadcastId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.origin, self.seq)
    }
}
