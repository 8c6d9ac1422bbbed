//! FIFO broadcast: sequence numbers per sender (Cachin, Guerraoui & Rodrigues,
//! *Introduction to Reliable and Secure Distributed Programming*, §3.8 "FIFO and causal
//! broadcast"; Kleppmann's Cambridge notes, "Broadcast algorithms").
//!
//! Each sender numbers its broadcasts 1, 2, 3, …; a receiver delivers message `s:n` only
//! after `s:1 … s:n-1`, holding early arrivals back. Messages of different senders are not
//! ordered. There is no retransmission: a lost message leaves its successors held, and after
//! `stuck_after` each one is reported "stuck waiting for s:n" — never silently.
//!
//! Invariant: at every node, the messages of one sender are delivered in the order it sent
//! them, each at most once.

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use super::BroadcastId;
use crate::node::NodeId;
use crate::protocol::{Context, Outbox, Protocol};
use crate::time::{Instant, Span};

/// One FIFO broadcast as it travels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FifoMessage<T> {
    /// `sender:seq`.
    pub id: BroadcastId,
    /// The payload.
    pub payload: T,
}

impl<T: fmt::Debug> fmt::Display for FifoMessage<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?}", self.id, self.payload)
    }
}

/// Why an incoming message was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FifoError {
    /// Sequence numbers start at 1.
    SeqZero,
    /// The message names a different sender than the node it came from.
    SenderMismatch {
        /// The sender it names.
        claimed: NodeId,
        /// The node it came from.
        actual: NodeId,
    },
    /// The message is implausibly far ahead of the next expected from its sender.
    TooFarAhead {
        /// The message.
        id: BroadcastId,
        /// The next expected sequence number.
        next: u64,
    },
}

impl fmt::Display for FifoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FifoError::SeqZero => f.write_str("sequence numbers start at 1"),
            FifoError::SenderMismatch { claimed, actual } => {
                write!(f, "message claims sender {claimed} but came from {actual}")
            }
            FifoError::TooFarAhead { id, next } => {
                write!(f, "{id} is too far ahead (next expected seq {next})")
            }
        }
    }
}

impl core::error::Error for FifoError {}

/// What a [`FifoBroadcast`] node reports.
#[derive(Clone, Debug, PartialEq)]
pub enum FifoOutput<T> {
    /// Delivered (own broadcasts are delivered when sent).
    Delivered {
        /// The message.
        id: BroadcastId,
        /// Its payload.
        payload: T,
    },
    /// Arrived early; held until `waiting_for` is delivered.
    HeldBack {
        /// The message.
        id: BroadcastId,
        /// The next missing message from the same sender.
        waiting_for: BroadcastId,
    },
    /// Held at least `stuck_after`.
    Stuck {
        /// The message.
        id: BroadcastId,
        /// The next missing message from the same sender.
        waiting_for: BroadcastId,
        /// How long it has waited.
        waited: Span,
    },
    /// An incoming message was refused.
    Rejected {
        /// The node it came from.
        from: NodeId,
        /// Why.
        error: FifoError,
    },
}

impl<T: fmt::Debug> fmt::Display for FifoOutput<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FifoOutput::Delivered { id, payload } => write!(f, "deliver {id} {payload:?}"),
            FifoOutput::HeldBack { id, waiting_for } => {
                write!(f, "hold {id} — waiting for {waiting_for}")
            }
            FifoOutput::Stuck {
                id,
                waiting_for,
                waited,
            } => write!(f, "{id} stuck waiting for {waiting_for} ({waited})"),
            FifoOutput::Rejected { from, error } => write!(f, "rejected from {from}: {error}"),
        }
    }
}

/// The largest gap accepted between a message and the next expected from its sender.
pub const MAX_GAP: u64 = 1 << 20;

/// FIFO broadcast at one node; operations are payloads to broadcast.
///
/// ```
/// use chronoscope::broadcast::fifo::{FifoBroadcast, FifoOutput};
/// use chronoscope::sim::{SimConfig, Simulation};
/// use chronoscope::{node::NodeId, time::{Instant, Span}};
/// let nodes = (0..3).map(|_| FifoBroadcast::new(Span::from_millis(500))).collect();
/// let mut sim = Simulation::new(nodes, SimConfig::default()).unwrap();
/// for (k, word) in ["one", "two", "three"].into_iter().enumerate() {
///     sim.schedule_operation(Instant::from_millis(k as i64), NodeId(0), word).unwrap();
/// }
/// sim.run_until(Instant::from_millis(1_000));
/// let at_b: Vec<_> = sim.outputs().iter().filter(|r| r.node == NodeId(1))
///     .filter_map(|r| match r.output { FifoOutput::Delivered { payload, .. } => Some(payload), _ => None })
///     .collect();
/// assert_eq!(at_b, ["one", "two", "three"]);
/// ```
#[derive(Clone, Debug)]
pub struct FifoBroadcast<T> {
    stuck_after: Span,
    peers: Vec<NodeId>,
    sent: u64,
    delivered: BTreeMap<NodeId, u64>,
    held: BTreeMap<BroadcastId, (T, Instant)>,
}

impl<T: Clone + fmt::Debug> FifoBroadcast<T> {
    /// A node that reports messages held longer than `stuck_after`.
    pub fn new(stuck_after: Span) -> Self {
        FifoBroadcast {
            stuck_after,
            peers: Vec::new(),
            sent: 0,
            delivered: BTreeMap::new(),
            held: BTreeMap::new(),
        }
    }

    /// How many messages from `sender` were delivered.
    pub fn delivered_from(&self, sender: NodeId) -> u64 {
        self.delivered.get(&sender).copied().unwrap_or(0)
    }

    /// The held messages, by id.
    pub fn held(&self) -> impl Iterator<Item = (BroadcastId, &T)> + '_ {
        self.held.iter().map(|(id, (p, _))| (*id, p))
    }

    fn next_from(&self, sender: NodeId) -> BroadcastId {
        BroadcastId {
            origin: sender,
            seq: self.delivered_from(sender).saturating_add(1),
        }
    }

    /// Checks an incoming message.
    pub fn validate(&self, from: NodeId, message: &FifoMessage<T>) -> Result<(), FifoError> {
        let id = message.id;
        if id.origin != from {
            return Err(FifoError::SenderMismatch {
                claimed: id.origin,
                actual: from,
            });
        }
        if id.seq == 0 {
            return Err(FifoError::SeqZero);
        }
        let next = self.next_from(from).seq;
        if id.seq > next && id.seq - next > MAX_GAP {
            return Err(FifoError::TooFarAhead { id, next });
        }
        Ok(())
    }
}

impl<T: Clone + fmt::Debug> Protocol for FifoBroadcast<T> {
    type Message = FifoMessage<T>;
    type Timer = BroadcastId;
    type Operation = T;
    type Output = FifoOutput<T>;

    fn describe_message(message: &FifoMessage<T>) -> String {
        message.to_string()
    }
    fn describe_output(output: &FifoOutput<T>) -> String {
        output.to_string()
    }

    fn on_start(&mut self, ctx: &mut Context<'_>, _out: &mut Outbox<Self>) {
        self.peers = ctx.peers.to_vec();
    }

    fn on_operation(&mut self, ctx: &mut Context<'_>, payload: T, out: &mut Outbox<Self>) {
        self.sent += 1;
        let id = BroadcastId {
            origin: ctx.node,
            seq: self.sent,
        };
        self.delivered.insert(ctx.node, self.sent);
        out.output(FifoOutput::Delivered {
            id,
            payload: payload.clone(),
        });
        out.send_to_all(&self.peers, FifoMessage { id, payload });
    }

    fn on_message(
        &mut self,
        ctx: &mut Context<'_>,
        from: NodeId,
        message: FifoMessage<T>,
        out: &mut Outbox<Self>,
    ) {
        if let Err(error) = self.validate(from, &message) {
            out.output(FifoOutput::Rejected { from, error });
            return;
        }
        let id = message.id;
        let next = self.next_from(from);
        if id.seq < next.seq || self.held.contains_key(&id) {
            return; // duplicate
        }
        if id.seq > next.seq {
            self.held.insert(id, (message.payload, ctx.now));
            out.output(FifoOutput::HeldBack {
                id,
                waiting_for: next,
            });
            out.set_timer(self.stuck_after, id);
            return;
        }
        let mut seq = id.seq;
        let mut payload = message.payload;
        loop {
            self.delivered.insert(from, seq);
            out.output(FifoOutput::Delivered {
                id: BroadcastId { origin: from, seq },
                payload,
            });
            let following = BroadcastId {
                origin: from,
                seq: seq + 1,
            };
            match self.held.remove(&following) {
                Some((p, _)) => {
                    seq += 1;
                    payload = p;
                }
                None => break,
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_>, id: BroadcastId, out: &mut Outbox<Self>) {
        if let Some((_, arrived)) = self.held.get(&id) {
            out.output(FifoOutput::Stuck {
                id,
                waiting_for: self.next_from(id.origin),
                waited: ctx.now.since(*arrived),
            });
        }
    }
}
