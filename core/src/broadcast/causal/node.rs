//! Causal broadcast as a [`Protocol`]: the [`CausalQueue`] of one node plus optional
//! acknowledgements and retransmission (losses are repaired while the sender lives), optional
//! relaying on first receipt (a message survives its sender crashing), and a timer per held
//! message that reports it "stuck waiting for X:n" once held `stuck_after`.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use super::{CausalError, CausalMessage, CausalQueue, Receipt};
use crate::broadcast::BroadcastId;
use crate::clock::VectorClock;
use crate::node::NodeId;
use crate::protocol::{Context, Outbox, Protocol};
use crate::time::Span;

/// Settings of a [`CausalBroadcast`] node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CausalConfig {
    /// A message held this long (local time) is reported as stuck.
    pub stuck_after: Span,
    /// Retransmit unacknowledged broadcasts at this interval (`None`: no acks, no repair).
    pub retransmit: Option<Span>,
    /// Relay every message on first receipt (eager reliable broadcast underneath), so a
    /// message survives its sender crashing after reaching a single node.
    pub relay: bool,
}

impl Default for CausalConfig {
    fn default() -> Self {
        CausalConfig {
            stuck_after: Span::from_millis(500),
            retransmit: None,
            relay: false,
        }
    }
}

/// What travels between [`CausalBroadcast`] nodes.
#[derive(Clone, Debug, PartialEq)]
pub enum CausalWire<T> {
    /// A broadcast (first copy or retransmission).
    Data(CausalMessage<T>),
    /// "I have this message" (only when retransmission is on).
    Ack(BroadcastId),
}

impl<T: fmt::Debug> fmt::Display for CausalWire<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CausalWire::Data(m) => write!(f, "{} {:?} {}", m.id(), m.payload, m.clock),
            CausalWire::Ack(id) => write!(f, "ack {id}"),
        }
    }
}

/// Timers of a [`CausalBroadcast`] node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CausalTimer {
    /// Check whether this message is still held.
    Stuck(BroadcastId),
    /// Resend unacknowledged broadcasts.
    Retransmit,
}

/// What a [`CausalBroadcast`] node reports.
#[derive(Clone, Debug, PartialEq)]
pub enum CausalOutput<T> {
    /// A message was delivered (own broadcasts are delivered when sent).
    Delivered {
        /// The message.
        id: BroadcastId,
        /// Its vector clock.
        clock: VectorClock,
        /// Its payload.
        payload: T,
    },
    /// A message arrived early and is held back.
    HeldBack {
        /// The message.
        id: BroadcastId,
        /// Its vector clock.
        clock: VectorClock,
        /// The next missing message it depends on.
        waiting_for: BroadcastId,
    },
    /// A message has been held at least `stuck_after`: "stuck waiting for X:n".
    Stuck {
        /// The message.
        id: BroadcastId,
        /// The next missing message it depends on.
        waiting_for: BroadcastId,
        /// How long it has waited.
        waited: Span,
    },
    /// An incoming message was refused.
    Rejected {
        /// The node it came from.
        from: NodeId,
        /// Why.
        error: CausalError,
    },
}

impl<T: fmt::Debug> fmt::Display for CausalOutput<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CausalOutput::Delivered { id, clock, payload } => {
                write!(f, "deliver {id} {payload:?} {clock}")
            }
            CausalOutput::HeldBack {
                id,
                clock,
                waiting_for,
            } => write!(f, "hold {id} {clock} — waiting for {waiting_for}"),
            CausalOutput::Stuck {
                id,
                waiting_for,
                waited,
            } => write!(f, "{id} stuck waiting for {waiting_for} ({waited})"),
            CausalOutput::Rejected { from, error } => write!(f, "rejected from {from}: {error}"),
        }
    }
}

/// Causal broadcast at one node, as a [`Protocol`]; operations are payloads to broadcast.
///
/// ```
/// use chronoscope::broadcast::causal::{CausalBroadcast, CausalConfig, CausalOutput};
/// use chronoscope::sim::{SimConfig, Simulation};
/// use chronoscope::{node::NodeId, time::Instant};
/// let nodes = (0..3).map(|_| CausalBroadcast::new(CausalConfig::default())).collect();
/// let mut sim = Simulation::new(nodes, SimConfig::default()).unwrap();
/// sim.schedule_operation(Instant::from_millis(1), NodeId(0), "Hello").unwrap();
/// sim.run_until(Instant::from_millis(1_000));
/// let delivered = sim.outputs().iter()
///     .filter(|r| matches!(r.output, CausalOutput::Delivered { .. }))
///     .count();
/// assert_eq!(delivered, 3);
/// ```
#[derive(Clone, Debug)]
pub struct CausalBroadcast<T> {
    queue: Option<CausalQueue<T>>,
    config: CausalConfig,
    peers: Vec<NodeId>,
    sent: BTreeMap<u64, CausalMessage<T>>,
    unacked: BTreeMap<u64, BTreeSet<NodeId>>,
    retransmit_armed: bool,
    retransmissions: u64,
}

impl<T: Clone + fmt::Debug> CausalBroadcast<T> {
    /// A node with the given settings.
    pub fn new(config: CausalConfig) -> Self {
        CausalBroadcast {
            queue: None,
            config,
            peers: Vec::new(),
            sent: BTreeMap::new(),
            unacked: BTreeMap::new(),
            retransmit_armed: false,
            retransmissions: 0,
        }
    }

    /// The node's queue (`None` before the run starts).
    pub fn queue(&self) -> Option<&CausalQueue<T>> {
        self.queue.as_ref()
    }

    /// How many copies were retransmitted.
    pub fn retransmissions(&self) -> u64 {
        self.retransmissions
    }

    fn queue_mut(&mut self, me: NodeId) -> &mut CausalQueue<T> {
        self.queue.get_or_insert_with(|| CausalQueue::new(me))
    }

    fn arm_retransmit(&mut self, out: &mut Outbox<Self>) {
        if let Some(every) = self.config.retransmit {
            if !self.retransmit_armed && !self.unacked.is_empty() {
                self.retransmit_armed = true;
                out.set_timer(every, CausalTimer::Retransmit);
            }
        }
    }

    fn emit_delivered(out: &mut Outbox<Self>, messages: Vec<CausalMessage<T>>) {
        for m in messages {
            out.output(CausalOutput::Delivered {
                id: m.id(),
                clock: m.clock,
                payload: m.payload,
            });
        }
    }
}

impl<T: Clone + fmt::Debug> Protocol for CausalBroadcast<T> {
    type Message = CausalWire<T>;
    type Timer = CausalTimer;
    type Operation = T;
    type Output = CausalOutput<T>;

    fn describe_message(message: &CausalWire<T>) -> String {
        message.to_string()
    }
    fn describe_output(output: &CausalOutput<T>) -> String {
        output.to_string()
    }

    fn on_start(&mut self, ctx: &mut Context<'_>, _out: &mut Outbox<Self>) {
        self.peers = ctx.peers.to_vec();
        self.queue_mut(ctx.node);
    }

    fn on_operation(&mut self, ctx: &mut Context<'_>, payload: T, out: &mut Outbox<Self>) {
        // This protocol never fast-forwards its queue, so its own count is the number of
        // operations it has broadcast and cannot reach u64::MAX: a refusal cannot happen
        // here, and would leave the queue unchanged and send nothing.
        let Ok(message) = self.queue_mut(ctx.node).try_broadcast(payload) else {
            return;
        };
        let seq = message.id().seq;
        out.output(CausalOutput::Delivered {
            id: message.id(),
            clock: message.clock.clone(),
            payload: message.payload.clone(),
        });
        out.send_to_all(&self.peers, CausalWire::Data(message.clone()));
        if self.config.retransmit.is_some() && !self.peers.is_empty() {
            self.sent.insert(seq, message);
            self.unacked
                .insert(seq, self.peers.iter().copied().collect());
            self.arm_retransmit(out);
        }
    }

    fn on_message(
        &mut self,
        ctx: &mut Context<'_>,
        from: NodeId,
        wire: CausalWire<T>,
        out: &mut Outbox<Self>,
    ) {
        match wire {
            CausalWire::Ack(id) => {
                if id.origin == ctx.node {
                    if let Some(waiting) = self.unacked.get_mut(&id.seq) {
                        waiting.remove(&from);
                        if waiting.is_empty() {
                            self.unacked.remove(&id.seq);
                            self.sent.remove(&id.seq);
                        }
                    }
                }
            }
            CausalWire::Data(message) => {
                if message.sender != from && !self.config.relay {
                    out.output(CausalOutput::Rejected {
                        from,
                        error: CausalError::SenderMismatch {
                            claimed: message.sender,
                            actual: from,
                        },
                    });
                    return;
                }
                let id = message.id();
                let clock = message.clock.clone();
                let now = ctx.now;
                let copy = self.config.relay.then(|| message.clone());
                match self.queue_mut(ctx.node).receive(message, now) {
                    Err(error) => out.output(CausalOutput::Rejected { from, error }),
                    Ok(receipt) => {
                        if self.config.retransmit.is_some() {
                            out.send(id.origin, CausalWire::Ack(id));
                        }
                        if let (Some(copy), false) = (copy, matches!(receipt, Receipt::Duplicate)) {
                            for &peer in &self.peers {
                                if peer != from && peer != id.origin {
                                    out.send(peer, CausalWire::Data(copy.clone()));
                                }
                            }
                        }
                        match receipt {
                            Receipt::Duplicate => {}
                            Receipt::Held { waiting_for } => {
                                out.output(CausalOutput::HeldBack {
                                    id,
                                    clock,
                                    waiting_for,
                                });
                                out.set_timer(self.config.stuck_after, CausalTimer::Stuck(id));
                            }
                            Receipt::Delivered(messages) => Self::emit_delivered(out, messages),
                        }
                    }
                }
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_>, timer: CausalTimer, out: &mut Outbox<Self>) {
        match timer {
            CausalTimer::Stuck(id) => {
                if let Some(w) = self.queue.as_ref().and_then(|q| q.held(id)) {
                    out.output(CausalOutput::Stuck {
                        id,
                        waiting_for: w.waiting_for,
                        waited: ctx.now.since(w.arrived),
                    });
                }
            }
            CausalTimer::Retransmit => {
                self.retransmit_armed = false;
                for (seq, waiting) in &self.unacked {
                    if let Some(message) = self.sent.get(seq) {
                        for &peer in waiting {
                            self.retransmissions += 1;
                            out.send(peer, CausalWire::Data(message.clone()));
                        }
                    }
                }
                self.arm_retransmit(out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Instant;

    #[test]
    fn relaying_saves_a_message_whose_sender_crashed() {
        use crate::sim::{LinkRule, Network, SimConfig, Simulation};
        // A's copy to C is lost and A crashes at once; only B has A:1.
        let delivered_at_c = |relay: bool| {
            let mut network = Network::constant(Span::from_millis(10));
            network.links.insert(
                (NodeId(0), NodeId(2)),
                LinkRule {
                    loss: Some(1.0),
                    ..LinkRule::default()
                },
            );
            let config = CausalConfig {
                relay,
                ..CausalConfig::default()
            };
            let nodes = (0..3).map(|_| CausalBroadcast::new(config)).collect();
            let mut sim = Simulation::new(
                nodes,
                SimConfig {
                    network,
                    ..SimConfig::default()
                },
            )
            .unwrap();
            sim.schedule_operation(Instant::from_millis(1), NodeId(0), "a")
                .unwrap();
            sim.schedule_crash(Instant::from_millis(2), NodeId(0))
                .unwrap();
            sim.run_until(Instant::from_millis(1_000));
            sim.outputs()
                .iter()
                .filter(|r| r.node == NodeId(2))
                .filter(|r| matches!(r.output, CausalOutput::Delivered { .. }))
                .count()
        };
        assert_eq!(delivered_at_c(false), 0);
        assert_eq!(delivered_at_c(true), 1);
    }
}
