//! Eager reliable broadcast (Cachin, Guerraoui & Rodrigues, *Introduction to Reliable and
//! Secure Distributed Programming*, §3.3 "Eager reliable broadcast"; Kleppmann's Cambridge
//! notes, "Broadcast algorithms").
//!
//! The origin delivers its message and sends it to every peer; every node that receives a
//! message *for the first time* delivers it and relays it to every other peer, so the
//! message survives the origin crashing right after sending it to a single node, and a lossy
//! link is bypassed through other nodes. Copies seen before are dropped (de-duplication).
//! With `relay` off it is plain best-effort broadcast, for comparison.
//!
//! Invariant: every node delivers each message at most once; with reliable links, if any
//! correct node delivers a message, every correct node does.

use alloc::collections::BTreeSet;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use super::BroadcastId;
use crate::node::NodeId;
use crate::protocol::{Context, Outbox, Protocol};

/// One broadcast as it travels (first copy or relay).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Relayed<T> {
    /// `origin:seq`.
    pub id: BroadcastId,
    /// The payload.
    pub payload: T,
}

impl<T: fmt::Debug> fmt::Display for Relayed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?}", self.id, self.payload)
    }
}

/// Why an incoming message was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelayError {
    /// Sequence numbers start at 1.
    SeqZero,
    /// A copy of one of this node's own broadcasts that it never made.
    UnknownOwnMessage(BroadcastId),
}

impl fmt::Display for RelayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RelayError::SeqZero => f.write_str("sequence numbers start at 1"),
            RelayError::UnknownOwnMessage(id) => {
                write!(f, "{id} claims to be ours but was never sent")
            }
        }
    }
}

impl core::error::Error for RelayError {}

/// What a relaying broadcast node reports (shared by [`ReliableBroadcast`] and
/// [`GossipBroadcast`](super::gossip::GossipBroadcast)).
#[derive(Clone, Debug, PartialEq)]
pub enum RelayOutput<T> {
    /// Delivered for the first time.
    Delivered {
        /// The message.
        id: BroadcastId,
        /// Its payload.
        payload: T,
    },
    /// An incoming message was refused.
    Rejected {
        /// The node it came from.
        from: NodeId,
        /// Why.
        error: RelayError,
    },
}

impl<T: fmt::Debug> fmt::Display for RelayOutput<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RelayOutput::Delivered { id, payload } => write!(f, "deliver {id} {payload:?}"),
            RelayOutput::Rejected { from, error } => write!(f, "rejected from {from}: {error}"),
        }
    }
}

/// The bookkeeping shared by relaying broadcasts: own sequence numbers and the set of
/// messages already delivered.
#[derive(Clone, Debug, Default)]
pub(crate) struct Seen {
    pub(crate) sent: u64,
    pub(crate) delivered: BTreeSet<BroadcastId>,
}

impl Seen {
    /// Checks an incoming id; `Ok(true)` when it is new.
    pub(crate) fn check(&self, me: NodeId, id: BroadcastId) -> Result<bool, RelayError> {
        if id.seq == 0 {
            return Err(RelayError::SeqZero);
        }
        if id.origin == me && id.seq > self.sent {
            return Err(RelayError::UnknownOwnMessage(id));
        }
        Ok(!self.delivered.contains(&id))
    }

    /// Numbers and records a new own broadcast.
    pub(crate) fn next_own(&mut self, me: NodeId) -> BroadcastId {
        self.sent += 1;
        let id = BroadcastId {
            origin: me,
            seq: self.sent,
        };
        self.delivered.insert(id);
        id
    }
}

/// Eager reliable broadcast at one node; operations are payloads to broadcast.
///
/// ```
/// use chronoscope::broadcast::reliable::{ReliableBroadcast, RelayOutput};
/// use chronoscope::sim::{LinkRule, Network, SimConfig, Simulation};
/// use chronoscope::{node::NodeId, time::{Instant, Span}};
/// // The link A → C loses everything; C still gets A's message through B.
/// let mut network = Network::constant(Span::from_millis(10));
/// network.links.insert((NodeId(0), NodeId(2)), LinkRule { loss: Some(1.0), ..LinkRule::default() });
/// let nodes = (0..3).map(|_| ReliableBroadcast::new(true)).collect();
/// let mut sim = Simulation::new(nodes, SimConfig { network, ..SimConfig::default() }).unwrap();
/// sim.schedule_operation(Instant::from_millis(1), NodeId(0), "hi").unwrap();
/// sim.run_until(Instant::from_millis(1_000));
/// assert!(sim.outputs().iter().any(|r| r.node == NodeId(2)
///     && matches!(r.output, RelayOutput::Delivered { .. })));
/// ```
#[derive(Clone, Debug)]
pub struct ReliableBroadcast<T> {
    relay: bool,
    peers: Vec<NodeId>,
    seen: Seen,
    relayed: u64,
    _payload: core::marker::PhantomData<T>,
}

impl<T: Clone + fmt::Debug> ReliableBroadcast<T> {
    /// A node that relays first receipts (`relay = false`: best-effort broadcast).
    pub fn new(relay: bool) -> Self {
        ReliableBroadcast {
            relay,
            peers: Vec::new(),
            seen: Seen::default(),
            relayed: 0,
            _payload: core::marker::PhantomData,
        }
    }

    /// The messages delivered here.
    pub fn delivered(&self) -> &BTreeSet<BroadcastId> {
        &self.seen.delivered
    }

    /// How many relay copies this node sent.
    pub fn relayed(&self) -> u64 {
        self.relayed
    }
}

impl<T: Clone + fmt::Debug> Protocol for ReliableBroadcast<T> {
    type Message = Relayed<T>;
    type Timer = ();
    type Operation = T;
    type Output = RelayOutput<T>;

    fn describe_message(message: &Relayed<T>) -> String {
        message.to_string()
    }
    fn describe_output(output: &RelayOutput<T>) -> String {
        output.to_string()
    }

    fn on_start(&mut self, ctx: &mut Context<'_>, _out: &mut Outbox<Self>) {
        self.peers = ctx.peers.to_vec();
    }

    fn on_operation(&mut self, ctx: &mut Context<'_>, payload: T, out: &mut Outbox<Self>) {
        let id = self.seen.next_own(ctx.node);
        out.output(RelayOutput::Delivered {
            id,
            payload: payload.clone(),
        });
        out.send_to_all(&self.peers, Relayed { id, payload });
    }

    fn on_message(
        &mut self,
        ctx: &mut Context<'_>,
        from: NodeId,
        message: Relayed<T>,
        out: &mut Outbox<Self>,
    ) {
        match self.seen.check(ctx.node, message.id) {
            Err(error) => out.output(RelayOutput::Rejected { from, error }),
            Ok(false) => {}
            Ok(true) => {
                self.seen.delivered.insert(message.id);
                out.output(RelayOutput::Delivered {
                    id: message.id,
                    payload: message.payload.clone(),
                });
                if self.relay {
                    for &peer in &self.peers {
                        if peer != from && peer != message.id.origin {
                            self.relayed += 1;
                            out.send(peer, message.clone());
                        }
                    }
                }
            }
        }
    }
}
