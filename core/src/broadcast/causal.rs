//! Causal broadcast with a vector-clock hold-back queue (Birman, Schiper & Stephenson 1991,
//! "Lightweight causal and atomic group multicast", §3; Coulouris et al. §15.4.3).
//!
//! Each message carries the sender's vector of *delivered* counts, its own entry incremented.
//! A receiver delivers message `m` from `s` when `V_m[s] = local[s] + 1` (it is the next from
//! `s`) and `V_m[k] ≤ local[k]` for every other `k` (everything `s` had delivered when it sent
//! `m` has been delivered here). Otherwise `m` waits in the hold-back queue.
//!
//! Invariant: if the broadcast of `m1` happened before the broadcast of `m2`, every node
//! delivers `m1` before `m2`; no message is delivered twice.
//!
//! [`CausalQueue`] is the sans-I/O core: clocks are sparse [`VectorClock`]s keyed by
//! [`NodeId`], so peers may join and leave (missing entries are 0), and a browser tab can
//! drive it directly over a `BroadcastChannel`. Each held message is indexed by the one
//! `(node, count)` it is blocked on, so a delivery wakes only the messages waiting for it
//! (no rescan of the whole queue). [`CausalBroadcast`] wraps it as a [`Protocol`] with
//! optional acknowledgements and retransmission (so losses are repaired while the sender
//! lives) and explicit "stuck" reports for messages held too long.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;
use core::fmt;

use super::BroadcastId;
use crate::clock::VectorClock;
use crate::node::NodeId;
use crate::protocol::{Context, Outbox, Protocol};
use crate::time::{Instant, Span};

/// One causal broadcast as it travels: the sender, its vector of delivered counts at send
/// time (its own entry is the message's sequence number) and the payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CausalMessage<T> {
    /// The broadcasting node.
    pub sender: NodeId,
    /// The sender's delivered counts, its own entry incremented for this message.
    pub clock: VectorClock,
    /// The application payload.
    pub payload: T,
}

impl<T> CausalMessage<T> {
    /// The message's identity, `sender:clock[sender]`.
    pub fn id(&self) -> BroadcastId {
        BroadcastId {
            origin: self.sender,
            seq: self.clock.get(self.sender),
        }
    }
}

/// Why an incoming message was refused (it is dropped; nothing else changes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CausalError {
    /// A message claiming to come from this very node.
    FromSelf,
    /// The sender's own entry is 0: no message can have that clock.
    NoOwnEntry {
        /// The claimed sender.
        sender: NodeId,
    },
    /// The clock says the sender had delivered more of this node's messages than it ever sent.
    FutureDependency {
        /// This node.
        node: NodeId,
        /// The count the clock claims.
        claimed: u64,
        /// How many this node has sent.
        sent: u64,
    },
    /// The message is implausibly far ahead of what was delivered from its sender.
    TooFarAhead {
        /// The message.
        id: BroadcastId,
        /// The next sequence number expected from the sender.
        next: u64,
        /// The largest gap accepted.
        max_gap: u64,
    },
    /// The hold-back queue is full.
    HoldBackFull {
        /// Its capacity.
        capacity: usize,
    },
    /// The network sender differs from the message's claimed sender.
    SenderMismatch {
        /// The sender the message names.
        claimed: NodeId,
        /// The node it actually came from.
        actual: NodeId,
    },
}

impl fmt::Display for CausalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CausalError::FromSelf => f.write_str("message claims to come from this node"),
            CausalError::NoOwnEntry { sender } => {
                write!(f, "clock has no entry for its sender {sender}")
            }
            CausalError::FutureDependency {
                node,
                claimed,
                sent,
            } => write!(
                f,
                "clock depends on {node}:{claimed} but {node} has only sent {sent}"
            ),
            CausalError::TooFarAhead { id, next, max_gap } => write!(
                f,
                "{id} is too far ahead (next expected seq {next}, max gap {max_gap})"
            ),
            CausalError::HoldBackFull { capacity } => {
                write!(f, "hold-back queue full ({capacity} messages)")
            }
            CausalError::SenderMismatch { claimed, actual } => {
                write!(f, "message claims sender {claimed} but came from {actual}")
            }
        }
    }
}

impl core::error::Error for CausalError {}

/// What [`CausalQueue::receive`] did with a valid message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Receipt<T> {
    /// Already delivered or already held: ignored.
    Duplicate,
    /// Held back until `waiting_for` (the first missing dependency) is delivered.
    Held {
        /// The next missing message it depends on.
        waiting_for: BroadcastId,
    },
    /// Delivered, followed by every held message it unblocked, in delivery order.
    Delivered(Vec<CausalMessage<T>>),
}

#[derive(Clone, Debug)]
struct Held<T> {
    message: CausalMessage<T>,
    arrived: Instant,
    /// `(node, count)`: blocked until `node`'s delivered count reaches `count`.
    blocker: (NodeId, u64),
}

/// A held message, as a lab or editor displays it.
#[derive(Clone, Copy, Debug)]
pub struct Waiting<'a, T> {
    /// The held message.
    pub message: &'a CausalMessage<T>,
    /// When it arrived (the caller's clock).
    pub arrived: Instant,
    /// The next missing message it depends on.
    pub waiting_for: BroadcastId,
}

impl<T: fmt::Display> fmt::Display for Waiting<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "received {} {} — waiting for {}",
            self.message.payload, self.message.clock, self.waiting_for
        )
    }
}

/// The hold-back queue and delivered vector of one node (no I/O, no timers).
///
/// ```
/// use chronoscope::broadcast::causal::{CausalQueue, Receipt};
/// use chronoscope::{node::NodeId, time::Instant};
/// let (a, b, c) = (NodeId(0), NodeId(1), NodeId(2));
/// let (mut qa, mut qb, mut qc) = (CausalQueue::new(a), CausalQueue::new(b), CausalQueue::new(c));
/// let hello = qa.broadcast("Hello");
/// qb.receive(hello.clone(), Instant::ZERO).unwrap();
/// let world = qb.broadcast("World"); // depends on Hello
/// // C gets World first: it waits for A:1.
/// let r = qc.receive(world, Instant::ZERO).unwrap();
/// assert_eq!(r, Receipt::Held { waiting_for: hello.id() });
/// assert_eq!(qc.waiting().next().unwrap().to_string(),
///            r#"received World {"A":1,"B":1} — waiting for A:1"#);
/// // Hello arrives: both are delivered, in causal order.
/// let Receipt::Delivered(d) = qc.receive(hello, Instant::ZERO).unwrap() else { panic!() };
/// assert_eq!(d.iter().map(|m| m.payload).collect::<Vec<_>>(), ["Hello", "World"]);
/// ```
#[derive(Clone, Debug)]
pub struct CausalQueue<T> {
    me: NodeId,
    delivered: VectorClock,
    held: BTreeMap<BroadcastId, Held<T>>,
    waiting_on: BTreeMap<(NodeId, u64), Vec<BroadcastId>>,
    max_gap: u64,
    capacity: usize,
    peak: usize,
}

/// The default largest accepted gap between a message and the next expected from its sender.
pub const DEFAULT_MAX_GAP: u64 = 1 << 20;
/// The default hold-back capacity.
pub const DEFAULT_CAPACITY: usize = 1 << 20;

impl<T: Clone> CausalQueue<T> {
    /// An empty queue for node `me`.
    pub fn new(me: NodeId) -> Self {
        CausalQueue {
            me,
            delivered: VectorClock::new(),
            held: BTreeMap::new(),
            waiting_on: BTreeMap::new(),
            max_gap: DEFAULT_MAX_GAP,
            capacity: DEFAULT_CAPACITY,
            peak: 0,
        }
    }

    /// Sets the largest accepted gap and the hold-back capacity (both at least 1).
    pub fn with_limits(mut self, max_gap: u64, capacity: usize) -> Self {
        self.max_gap = max_gap.max(1);
        self.capacity = capacity.max(1);
        self
    }

    /// This node.
    pub fn node(&self) -> NodeId {
        self.me
    }

    /// How many messages from each node have been delivered here (own broadcasts included).
    pub fn delivered(&self) -> &VectorClock {
        &self.delivered
    }

    /// The number of held messages.
    pub fn held_len(&self) -> usize {
        self.held.len()
    }

    /// The largest number of messages ever held at once.
    pub fn peak_held(&self) -> usize {
        self.peak
    }

    /// Stamps a new broadcast; it counts as delivered here at once.
    pub fn broadcast(&mut self, payload: T) -> CausalMessage<T> {
        self.delivered.increment(self.me);
        CausalMessage {
            sender: self.me,
            clock: self.delivered.clone(),
            payload,
        }
    }

    /// Checks an incoming message without changing anything.
    pub fn validate(&self, message: &CausalMessage<T>) -> Result<(), CausalError> {
        let sender = message.sender;
        if sender == self.me {
            return Err(CausalError::FromSelf);
        }
        let seq = message.clock.get(sender);
        if seq == 0 {
            return Err(CausalError::NoOwnEntry { sender });
        }
        let claimed = message.clock.get(self.me);
        let sent = self.delivered.get(self.me);
        if claimed > sent {
            return Err(CausalError::FutureDependency {
                node: self.me,
                claimed,
                sent,
            });
        }
        let next = self.delivered.get(sender).saturating_add(1);
        if seq > next && seq - next > self.max_gap {
            return Err(CausalError::TooFarAhead {
                id: message.id(),
                next,
                max_gap: self.max_gap,
            });
        }
        if self.held.len() >= self.capacity
            && !self.is_duplicate(message)
            && self.blocker(message).is_some()
        {
            return Err(CausalError::HoldBackFull {
                capacity: self.capacity,
            });
        }
        Ok(())
    }

    fn is_duplicate(&self, message: &CausalMessage<T>) -> bool {
        let id = message.id();
        self.delivered.get(id.origin) >= id.seq || self.held.contains_key(&id)
    }

    /// The dependency blocking `message`, as `(node, count)`, or `None` when deliverable.
    fn blocker(&self, message: &CausalMessage<T>) -> Option<(NodeId, u64)> {
        message.clock.iter().find_map(|(k, v)| {
            let need = if k == message.sender { v - 1 } else { v };
            (self.delivered.get(k) < need).then_some((k, need))
        })
    }

    fn missing(&self, blocker: (NodeId, u64)) -> BroadcastId {
        BroadcastId {
            origin: blocker.0,
            seq: self.delivered.get(blocker.0) + 1,
        }
    }

    /// Validates, then holds back or delivers `message` (which arrived at `now`).
    pub fn receive(
        &mut self,
        message: CausalMessage<T>,
        now: Instant,
    ) -> Result<Receipt<T>, CausalError> {
        self.validate(&message)?;
        if self.is_duplicate(&message) {
            return Ok(Receipt::Duplicate);
        }
        if let Some(blocker) = self.blocker(&message) {
            let id = message.id();
            self.waiting_on.entry(blocker).or_default().push(id);
            self.held.insert(
                id,
                Held {
                    message,
                    arrived: now,
                    blocker,
                },
            );
            self.peak = self.peak.max(self.held.len());
            return Ok(Receipt::Held {
                waiting_for: self.missing(blocker),
            });
        }
        let mut out = Vec::new();
        self.deliver(message, &mut out);
        Ok(Receipt::Delivered(out))
    }

    /// Delivers `message` and everything it unblocks, transitively.
    fn deliver(&mut self, message: CausalMessage<T>, out: &mut Vec<CausalMessage<T>>) {
        let mut woken = Vec::new();
        let id = message.id();
        self.delivered.set(id.origin, id.seq);
        woken.push((id.origin, id.seq));
        out.push(message);
        while let Some(key) = woken.pop() {
            let Some(ids) = self.waiting_on.remove(&key) else {
                continue;
            };
            for id in ids {
                let Some(held) = self.held.get(&id) else {
                    continue;
                };
                match self.blocker(&held.message) {
                    Some(blocker) => {
                        self.waiting_on.entry(blocker).or_default().push(id);
                        if let Some(h) = self.held.get_mut(&id) {
                            h.blocker = blocker;
                        }
                    }
                    None => {
                        if let Some(h) = self.held.remove(&id) {
                            self.delivered.set(id.origin, id.seq);
                            woken.push((id.origin, id.seq));
                            out.push(h.message);
                        }
                    }
                }
            }
        }
    }

    /// Every held message with what it waits for, ordered by id.
    pub fn waiting(&self) -> impl Iterator<Item = Waiting<'_, T>> + '_ {
        self.held.values().map(|h| Waiting {
            message: &h.message,
            arrived: h.arrived,
            waiting_for: self.missing(h.blocker),
        })
    }

    /// The held message `id`, if it is still held.
    pub fn held(&self, id: BroadcastId) -> Option<Waiting<'_, T>> {
        self.held.get(&id).map(|h| Waiting {
            message: &h.message,
            arrived: h.arrived,
            waiting_for: self.missing(h.blocker),
        })
    }

    /// Held messages that arrived at least `after` before `now`.
    pub fn overdue(&self, now: Instant, after: Span) -> impl Iterator<Item = Waiting<'_, T>> + '_ {
        self.waiting()
            .filter(move |w| now.since(w.arrived) >= after)
    }

    /// A peer left for good: drops its held messages and returns them. Messages of others
    /// that depend on its undelivered messages stay held (and will be reported overdue).
    pub fn forget(&mut self, peer: NodeId) -> Vec<CausalMessage<T>> {
        let ids: Vec<BroadcastId> = self
            .held
            .keys()
            .filter(|id| id.origin == peer)
            .copied()
            .collect();
        let mut dropped = Vec::new();
        for id in ids {
            if let Some(h) = self.held.remove(&id) {
                if let Some(list) = self.waiting_on.get_mut(&h.blocker) {
                    list.retain(|x| *x != id);
                    if list.is_empty() {
                        self.waiting_on.remove(&h.blocker);
                    }
                }
                dropped.push(h.message);
            }
        }
        dropped
    }

    /// Adopts a state transfer (or a persisted replica) that already holds everything up to
    /// `clock`: the delivered vector rises to at least `clock`, held messages it covers are
    /// dropped as duplicates, and those now deliverable are delivered and returned, in
    /// delivery order. Additive; used by the tab editor when a peer joins or reloads.
    pub fn fast_forward(&mut self, clock: &VectorClock) -> Vec<CausalMessage<T>> {
        self.delivered.merge(clock);
        let held: Vec<(CausalMessage<T>, Instant)> = core::mem::take(&mut self.held)
            .into_values()
            .map(|h| (h.message, h.arrived))
            .collect();
        self.waiting_on.clear();
        let mut out = Vec::new();
        let mut progress = true;
        let mut rest = held;
        while progress {
            progress = false;
            let mut still = Vec::new();
            for (message, arrived) in rest {
                if self.is_duplicate(&message) {
                    continue;
                }
                if self.blocker(&message).is_none() {
                    self.deliver(message, &mut out);
                    progress = true;
                } else {
                    still.push((message, arrived));
                }
            }
            rest = still;
        }
        for (message, arrived) in rest {
            if let Some(blocker) = self.blocker(&message) {
                let id = message.id();
                self.waiting_on.entry(blocker).or_default().push(id);
                self.held.insert(
                    id,
                    Held {
                        message,
                        arrived,
                        blocker,
                    },
                );
            }
        }
        out
    }
}

/// Settings of a [`CausalBroadcast`] node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CausalConfig {
    /// A message held this long (local time) is reported as stuck.
    pub stuck_after: Span,
    /// Retransmit unacknowledged broadcasts at this interval (`None`: no acks, no repair).
    pub retransmit: Option<Span>,
}

impl Default for CausalConfig {
    fn default() -> Self {
        CausalConfig {
            stuck_after: Span::from_millis(500),
            retransmit: None,
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

    fn on_start(&mut self, ctx: &mut Context<'_>, _out: &mut Outbox<Self>) {
        self.peers = ctx.peers.to_vec();
        self.queue_mut(ctx.node);
    }

    fn on_operation(&mut self, ctx: &mut Context<'_>, payload: T, out: &mut Outbox<Self>) {
        let message = self.queue_mut(ctx.node).broadcast(payload);
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
                if message.sender != from {
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
                match self.queue_mut(ctx.node).receive(message, now) {
                    Err(error) => out.output(CausalOutput::Rejected { from, error }),
                    Ok(receipt) => {
                        if self.config.retransmit.is_some() {
                            out.send(from, CausalWire::Ack(id));
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
    use alloc::string::ToString;

    fn msg(
        sender: u32,
        clock: &[(u32, u64)],
        payload: &'static str,
    ) -> CausalMessage<&'static str> {
        CausalMessage {
            sender: NodeId(sender),
            clock: VectorClock::from_entries(clock.iter().map(|&(n, c)| (NodeId(n), c))),
            payload,
        }
    }

    #[test]
    fn fifo_gap_from_one_sender_is_held_then_released() {
        let mut q = CausalQueue::new(NodeId(2));
        let r = q
            .receive(msg(0, &[(0, 2)], "second"), Instant::ZERO)
            .unwrap();
        assert_eq!(
            r,
            Receipt::Held {
                waiting_for: BroadcastId {
                    origin: NodeId(0),
                    seq: 1
                }
            }
        );
        let Receipt::Delivered(d) = q
            .receive(msg(0, &[(0, 1)], "first"), Instant::ZERO)
            .unwrap()
        else {
            panic!("not delivered")
        };
        assert_eq!(
            d.iter().map(|m| m.payload).collect::<Vec<_>>(),
            ["first", "second"]
        );
        assert_eq!(q.held_len(), 0);
        assert_eq!(q.peak_held(), 1);
        assert_eq!(
            q.receive(msg(0, &[(0, 1)], "first"), Instant::ZERO),
            Ok(Receipt::Duplicate)
        );
    }

    #[test]
    fn concurrent_messages_need_no_wait() {
        let mut q = CausalQueue::new(NodeId(2));
        assert!(matches!(
            q.receive(msg(1, &[(1, 1)], "x"), Instant::ZERO),
            Ok(Receipt::Delivered(_))
        ));
        assert!(matches!(
            q.receive(msg(0, &[(0, 1)], "y"), Instant::ZERO),
            Ok(Receipt::Delivered(_))
        ));
    }

    #[test]
    fn a_chain_of_dependencies_is_released_in_order() {
        // C receives B:2 (depends on A:2), A:2, B:1 (depends on A:1), then A:1.
        let mut q = CausalQueue::new(NodeId(2));
        q.receive(msg(1, &[(0, 2), (1, 2)], "b2"), Instant::ZERO)
            .unwrap();
        q.receive(msg(0, &[(0, 2)], "a2"), Instant::ZERO).unwrap();
        q.receive(msg(1, &[(0, 1), (1, 1)], "b1"), Instant::ZERO)
            .unwrap();
        assert_eq!(q.held_len(), 3);
        let waits: Vec<_> = q.waiting().map(|w| w.waiting_for.to_string()).collect();
        assert_eq!(waits, ["A:1", "A:1", "A:1"]);
        let Receipt::Delivered(d) = q.receive(msg(0, &[(0, 1)], "a1"), Instant::ZERO).unwrap()
        else {
            panic!("not delivered")
        };
        let order: Vec<_> = d.iter().map(|m| m.payload).collect();
        assert_eq!(order.len(), 4);
        let pos = |p| order.iter().position(|x| *x == p).unwrap();
        assert!(pos("a1") < pos("a2") && pos("a2") < pos("b2"));
        assert!(pos("a1") < pos("b1") && pos("b1") < pos("b2"));
    }

    #[test]
    fn impossible_clocks_are_refused() {
        let mut q: CausalQueue<&str> = CausalQueue::new(NodeId(2)).with_limits(10, 2);
        assert_eq!(
            q.receive(msg(2, &[(2, 1)], "me"), Instant::ZERO),
            Err(CausalError::FromSelf)
        );
        assert_eq!(
            q.receive(msg(0, &[(1, 1)], "none"), Instant::ZERO),
            Err(CausalError::NoOwnEntry { sender: NodeId(0) })
        );
        assert_eq!(
            q.receive(msg(0, &[(0, 1), (2, 5)], "future"), Instant::ZERO),
            Err(CausalError::FutureDependency {
                node: NodeId(2),
                claimed: 5,
                sent: 0
            })
        );
        assert!(matches!(
            q.receive(msg(0, &[(0, u64::MAX)], "far"), Instant::ZERO),
            Err(CausalError::TooFarAhead { .. })
        ));
        q.receive(msg(0, &[(0, 3)], "h1"), Instant::ZERO).unwrap();
        q.receive(msg(1, &[(1, 3)], "h2"), Instant::ZERO).unwrap();
        assert_eq!(
            q.receive(msg(1, &[(1, 4)], "h3"), Instant::ZERO),
            Err(CausalError::HoldBackFull { capacity: 2 })
        );
        assert_eq!(
            q.receive(msg(1, &[(1, 3)], "h2"), Instant::ZERO),
            Ok(Receipt::Duplicate)
        );
    }

    #[test]
    fn peers_can_join_late_and_leave() {
        let mut q = CausalQueue::new(NodeId(0));
        // Node 40 joins: its message names only itself.
        assert!(matches!(
            q.receive(msg(40, &[(40, 1)], "hi"), Instant::ZERO),
            Ok(Receipt::Delivered(_))
        ));
        q.receive(msg(41, &[(41, 2)], "held"), Instant::ZERO)
            .unwrap();
        let overdue: Vec<_> = q
            .overdue(Instant::from_millis(10), Span::from_millis(5))
            .map(|w| w.waiting_for)
            .collect();
        assert_eq!(
            overdue,
            [BroadcastId {
                origin: NodeId(41),
                seq: 1
            }]
        );
        assert_eq!(q.forget(NodeId(41)).len(), 1);
        assert_eq!(q.held_len(), 0);
    }
}
