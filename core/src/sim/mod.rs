//! The deterministic discrete-event simulator.
//!
//! Virtual time jumps from one scheduled event to the next (message deliveries, timers,
//! operations, clock jumps, crashes); nothing depends on the host's clock or scheduling, so
//! a run is a pure function of its protocols, its [`SimConfig`] and its seed (after
//! turmoil's and FoundationDB's deterministic simulation). Each node reads its own drifting
//! [`PhysicalClock`]; timers are set in local time and converted to true time.
//!
//! Every run is traced: the simulator stamps a Lamport timestamp and a vector clock on every
//! event it records, independently of the protocol under test, so the trace's
//! happens-before can be compared with both.

pub mod network;

use alloc::collections::BinaryHeap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::cmp::{Ordering, Reverse};
use core::fmt;

use crate::clock::{LamportClock, PhysicalClock, VectorClock};
use crate::node::NodeId;
use crate::protocol::{Context, Effect, Outbox, Protocol};
use crate::rng::Rng;
use crate::time::{Instant, Span};
use crate::trace::{DropReason, EventId, EventKind, MessageFate, MessageId, Trace};

pub use network::{Latency, LinkRule, Network, NetworkError, Partition, Verdict};

/// The most nodes a simulation accepts (an absurd count is refused, not attempted).
pub const MAX_NODES: usize = 1024;

/// Everything that fixes a run besides the protocols.
#[derive(Clone, Debug, PartialEq)]
pub struct SimConfig {
    /// The seed every random draw derives from.
    pub seed: u64,
    /// The network model.
    pub network: Network,
    /// Each node's physical clock (missing entries are perfect clocks).
    pub clocks: Vec<PhysicalClock>,
    /// Whether trace events get human-readable labels (off for benchmarks).
    pub labels: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 0,
            network: Network::default(),
            clocks: Vec::new(),
            labels: true,
        }
    }
}

/// Why a simulation could not be set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimError {
    /// No nodes, or more than [`MAX_NODES`].
    NodeCount(usize),
    /// An invalid network parameter.
    Network(NetworkError),
    /// An operation or fault named a node that does not exist.
    UnknownNode(NodeId),
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::NodeCount(n) => write!(f, "node count {n} is outside 1..={MAX_NODES}"),
            SimError::Network(e) => write!(f, "network: {e}"),
            SimError::UnknownNode(n) => write!(f, "no node {n} in this run"),
        }
    }
}

impl core::error::Error for SimError {}

impl From<NetworkError> for SimError {
    fn from(e: NetworkError) -> Self {
        SimError::Network(e)
    }
}

/// A scheduled input.
#[derive(Debug)]
enum Pending<P: Protocol> {
    Start(NodeId),
    Deliver {
        message: MessageId,
        from: NodeId,
        to: NodeId,
        payload: P::Message,
        lamport: u64,
        vector: VectorClock,
    },
    Timer {
        node: NodeId,
        id: u64,
        timer: P::Timer,
    },
    Operation {
        node: NodeId,
        operation: P::Operation,
    },
    ClockJump {
        node: NodeId,
        by: Span,
    },
    Crash(NodeId),
    Pause {
        node: NodeId,
        span: Span,
    },
}

/// A sent message with its trace stamps, waiting on a held link or about to be dispatched.
#[derive(Debug)]
struct Parked<M> {
    message: MessageId,
    event: EventId,
    from: NodeId,
    to: NodeId,
    payload: M,
    lamport: u64,
    vector: VectorClock,
}

struct Scheduled<P: Protocol> {
    at: Instant,
    seq: u64,
    pending: Pending<P>,
}

impl<P: Protocol> PartialEq for Scheduled<P> {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl<P: Protocol> Eq for Scheduled<P> {}
impl<P: Protocol> PartialOrd for Scheduled<P> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<P: Protocol> Ord for Scheduled<P> {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

struct NodeState<P: Protocol> {
    protocol: P,
    clock: PhysicalClock,
    rng: Rng,
    lamport: LamportClock,
    vector: VectorClock,
    armed: Vec<(u64, P::Timer)>,
    crashed: bool,
    paused_until: Instant,
}

/// An output a protocol reported, with where and when.
#[derive(Clone, Debug, PartialEq)]
pub struct Reported<O> {
    /// True time of the report.
    pub at: Instant,
    /// The reporting node.
    pub node: NodeId,
    /// The trace event recording it.
    pub event: EventId,
    /// What was reported.
    pub output: O,
}

/// A deterministic simulation of `P` at every node.
///
/// ```
/// use chronoscope::scenario::gossip::Gossip;
/// use chronoscope::sim::{SimConfig, Simulation};
/// use chronoscope::time::Instant;
/// let nodes = (0..4).map(|_| Gossip::new(3)).collect();
/// let mut sim = Simulation::new(nodes, SimConfig { seed: 1, ..SimConfig::default() }).unwrap();
/// sim.run_until(Instant::from_millis(1_000));
/// assert!(sim.trace().events().len() > 10);
/// ```
pub struct Simulation<P: Protocol> {
    now: Instant,
    seq: u64,
    /// Sequence numbers for inputs deferred by a pause: below every ordinary one, so at the
    /// instant a pause ends the deferred inputs come first, in the order they were due.
    deferred: u64,
    queue: BinaryHeap<Reverse<Scheduled<P>>>,
    nodes: Vec<NodeState<P>>,
    peers: Vec<Vec<NodeId>>,
    network: Network,
    net_rng: Rng,
    fifo_tail: Vec<Instant>,
    held: Vec<Parked<P::Message>>,
    trace: Trace,
    outputs: Vec<Reported<P::Output>>,
    labels: bool,
    next_timer: u64,
    processed: u64,
    outbox: Outbox<P>,
}

impl<P: Protocol> Simulation<P> {
    /// A simulation of `protocols` (node `i` runs `protocols[i]`), started at true time 0.
    pub fn new(protocols: Vec<P>, config: SimConfig) -> Result<Self, SimError> {
        let n = protocols.len();
        if n == 0 || n > MAX_NODES {
            return Err(SimError::NodeCount(n));
        }
        config.network.validate()?;
        let mut root = Rng::seed_from_u64(config.seed);
        let net_rng = root.fork(u64::MAX);
        let nodes: Vec<NodeState<P>> = protocols
            .into_iter()
            .enumerate()
            .map(|(i, protocol)| NodeState {
                protocol,
                clock: config
                    .clocks
                    .get(i)
                    .cloned()
                    .unwrap_or_else(PhysicalClock::perfect),
                rng: root.fork(i as u64),
                lamport: LamportClock::new(),
                vector: VectorClock::new(),
                armed: Vec::new(),
                crashed: false,
                paused_until: Instant::ZERO,
            })
            .collect();
        let mut sim = Simulation {
            now: Instant::ZERO,
            seq: 1 << 63,
            deferred: 0,
            queue: BinaryHeap::new(),
            peers: (0..n as u32)
                .map(|me| (0..n as u32).filter(|&p| p != me).map(NodeId).collect())
                .collect(),
            nodes,
            network: config.network,
            net_rng,
            fifo_tail: alloc::vec![Instant::ZERO; n * n],
            held: Vec::new(),
            trace: Trace::new(n as u32),
            outputs: Vec::new(),
            labels: config.labels,
            next_timer: 0,
            processed: 0,
            outbox: Outbox::new(),
        };
        for i in 0..n {
            sim.schedule(Instant::ZERO, Pending::Start(NodeId(i as u32)));
        }
        Ok(sim)
    }

    fn schedule(&mut self, at: Instant, pending: Pending<P>) {
        self.seq += 1;
        self.queue.push(Reverse(Scheduled {
            at,
            seq: self.seq,
            pending,
        }));
    }

    fn check_node(&self, node: NodeId) -> Result<(), SimError> {
        if node.index() < self.nodes.len() {
            Ok(())
        } else {
            Err(SimError::UnknownNode(node))
        }
    }

    /// Schedules a local operation at `node` at true time `at`.
    pub fn schedule_operation(
        &mut self,
        at: Instant,
        node: NodeId,
        operation: P::Operation,
    ) -> Result<(), SimError> {
        self.check_node(node)?;
        self.schedule(at, Pending::Operation { node, operation });
        Ok(())
    }

    /// Schedules a jump of `node`'s physical clock by `by` at true time `at`.
    pub fn schedule_clock_jump(
        &mut self,
        at: Instant,
        node: NodeId,
        by: Span,
    ) -> Result<(), SimError> {
        self.check_node(node)?;
        self.schedule(at, Pending::ClockJump { node, by });
        Ok(())
    }

    /// Schedules a crash of `node` at true time `at`: it handles nothing afterwards.
    pub fn schedule_crash(&mut self, at: Instant, node: NodeId) -> Result<(), SimError> {
        self.check_node(node)?;
        self.schedule(at, Pending::Crash(node));
        Ok(())
    }

    /// Schedules a stop-the-world pause of `node` (a GC pause, a VM migration) for `span` of
    /// true time from `at`: the node's clock keeps running, but every input due during the
    /// pause (messages, timers, operations) is deferred, in order, until the pause ends.
    pub fn schedule_pause(
        &mut self,
        at: Instant,
        node: NodeId,
        span: Span,
    ) -> Result<(), SimError> {
        self.check_node(node)?;
        self.schedule(at, Pending::Pause { node, span });
        Ok(())
    }

    /// Adds a partition to the network model from now on (a scenario that partitions
    /// "whoever leads at time t" only knows the side once the run reaches t). Messages
    /// already judged keep their fate.
    pub fn add_partition(&mut self, partition: Partition) {
        self.network.partitions.push(partition);
    }

    /// The current true time.
    pub fn now(&self) -> Instant {
        self.now
    }
    /// The trace so far.
    pub fn trace(&self) -> &Trace {
        &self.trace
    }
    /// Everything the protocols reported so far, in order.
    pub fn outputs(&self) -> &[Reported<P::Output>] {
        &self.outputs
    }
    /// The protocol state at `node`.
    pub fn node(&self, node: NodeId) -> Option<&P> {
        self.nodes.get(node.index()).map(|s| &s.protocol)
    }
    /// `node`'s physical clock.
    pub fn clock(&self, node: NodeId) -> Option<&PhysicalClock> {
        self.nodes.get(node.index()).map(|s| &s.clock)
    }
    /// The number of inputs handled so far.
    pub fn processed(&self) -> u64 {
        self.processed
    }
    /// The true time of the next scheduled input, if any.
    pub fn next_at(&self) -> Option<Instant> {
        self.queue.peek().map(|s| s.0.at)
    }

    /// Runs every input scheduled before or at `deadline`; time then stands at `deadline`.
    pub fn run_until(&mut self, deadline: Instant) {
        while self.next_at().is_some_and(|t| t <= deadline) {
            self.step();
        }
        self.now = self.now.max(deadline);
    }

    /// Handles the next scheduled input; returns `false` when nothing is left.
    pub fn step(&mut self) -> bool {
        let Some(Reverse(Scheduled { at, pending, .. })) = self.queue.pop() else {
            return false;
        };
        self.now = self.now.max(at);
        let target = match &pending {
            Pending::Deliver { to, .. } => Some(*to),
            Pending::Timer { node, .. } | Pending::Operation { node, .. } => Some(*node),
            _ => None,
        };
        if let Some(node) = target {
            let until = self.nodes[node.index()].paused_until;
            if until > self.now {
                self.deferred += 1;
                self.queue.push(Reverse(Scheduled {
                    at: until,
                    seq: self.deferred,
                    pending,
                }));
                return true;
            }
        }
        self.processed += 1;
        match pending {
            Pending::Start(node) => self.handle(node, Input::Start),
            Pending::Deliver {
                message,
                from,
                to,
                payload,
                lamport,
                vector,
            } => {
                if self.nodes[to.index()].crashed {
                    self.trace
                        .set_fate(message, MessageFate::Dropped(DropReason::ReceiverCrashed));
                } else {
                    let label = if self.labels {
                        format!("recv {} from {from}", P::describe_message(&payload))
                    } else {
                        String::new()
                    };
                    let event = self.record(
                        to,
                        EventKind::Receive { message, from },
                        Some((lamport, &vector)),
                        label,
                    );
                    self.trace.set_fate(message, MessageFate::Delivered(event));
                    self.handle(to, Input::Message(from, payload));
                }
            }
            Pending::Timer { node, id, timer } => {
                let armed = &mut self.nodes[node.index()].armed;
                if let Some(pos) = armed.iter().position(|(i, _)| *i == id) {
                    armed.swap_remove(pos);
                    self.handle(node, Input::Timer(timer));
                }
            }
            Pending::Operation { node, operation } => {
                let label = if self.labels {
                    P::describe_operation(&operation)
                } else {
                    String::new()
                };
                self.record(node, EventKind::Local, None, label);
                self.handle(node, Input::Operation(operation));
            }
            Pending::ClockJump { node, by } => {
                self.nodes[node.index()].clock.jump(by);
                let label = if self.labels {
                    format!("clock jump {by}")
                } else {
                    String::new()
                };
                self.record(node, EventKind::Local, None, label);
            }
            Pending::Pause { node, span } => {
                let state = &mut self.nodes[node.index()];
                if !state.crashed {
                    state.paused_until = state.paused_until.max(self.now + span.max(Span::ZERO));
                    let label = if self.labels {
                        format!("pause {span}")
                    } else {
                        String::new()
                    };
                    self.record(node, EventKind::Local, None, label);
                }
            }
            Pending::Crash(node) => {
                let state = &mut self.nodes[node.index()];
                if !state.crashed {
                    state.crashed = true;
                    state.armed.clear();
                    self.record(node, EventKind::Local, None, String::from("crash"));
                }
            }
        }
        true
    }

    /// Stamps and records one event at `node`; `received` carries the message's clocks.
    fn record(
        &mut self,
        node: NodeId,
        kind: EventKind,
        received: Option<(u64, &VectorClock)>,
        label: String,
    ) -> EventId {
        let state = &mut self.nodes[node.index()];
        // The simulator stamps every message itself and each event adds one, so no counter
        // exceeds the number of events processed and the checked operations cannot refuse
        // here. Were one ever refused, the clocks stay unchanged (never capped) and the event
        // carries their current values.
        let stamped = match received {
            Some((remote, vector)) => state
                .vector
                .try_receive(node, vector)
                .and_then(|_| state.lamport.try_receive(remote)),
            None => state
                .vector
                .try_increment(node)
                .and_then(|_| state.lamport.try_tick()),
        };
        let lamport = stamped.unwrap_or(state.lamport.time());
        let local = state.clock.read(self.now);
        self.trace.push_event(
            node,
            kind,
            self.now,
            local,
            lamport,
            state.vector.clone(),
            label,
        )
    }

    fn handle(&mut self, node: NodeId, input: Input<P>) {
        let i = node.index();
        if self.nodes[i].crashed {
            return;
        }
        let mut outbox = core::mem::take(&mut self.outbox);
        {
            let state = &mut self.nodes[i];
            let mut ctx = Context {
                node,
                now: state.clock.read(self.now),
                peers: &self.peers[i],
                rng: &mut state.rng,
            };
            match input {
                Input::Start => state.protocol.on_start(&mut ctx, &mut outbox),
                Input::Message(from, m) => {
                    state.protocol.on_message(&mut ctx, from, m, &mut outbox)
                }
                Input::Timer(t) => state.protocol.on_timer(&mut ctx, t, &mut outbox),
                Input::Operation(o) => state.protocol.on_operation(&mut ctx, o, &mut outbox),
            }
        }
        for effect in outbox.drain() {
            self.apply(node, effect);
        }
        self.outbox = outbox;
    }

    fn apply(&mut self, node: NodeId, effect: Effect<P::Message, P::Timer, P::Output>) {
        match effect {
            Effect::Send { to, message } => self.send(node, to, message),
            Effect::SetTimer { after, timer } => {
                let state = &mut self.nodes[node.index()];
                let id = self.next_timer;
                self.next_timer += 1;
                state.armed.push((id, timer.clone()));
                let at = self.now + state.clock.true_span_for(after.max(Span::ZERO));
                self.schedule(at, Pending::Timer { node, id, timer });
            }
            Effect::CancelTimer { timer } => {
                self.nodes[node.index()].armed.retain(|(_, t)| *t != timer);
            }
            Effect::Output(output) => {
                let label = if self.labels {
                    P::describe_output(&output)
                } else {
                    String::new()
                };
                let event = self.record(node, EventKind::Local, None, label);
                self.outputs.push(Reported {
                    at: self.now,
                    node,
                    event,
                    output,
                });
            }
        }
    }

    fn send(&mut self, from: NodeId, to: NodeId, payload: P::Message) {
        let label = if self.labels {
            format!("send {} to {to}", P::describe_message(&payload))
        } else {
            String::new()
        };
        // Recorded as Local first; the kind is fixed once the message id exists.
        let event = self.record(from, EventKind::Local, None, label);
        if to.index() >= self.nodes.len() {
            // A protocol bug (or a hostile id): record the send as lost rather than panic.
            let id = self.trace.push_message(from, to, event, None);
            self.trace.set_send_kind(event, id, to);
            self.trace
                .set_fate(id, MessageFate::Dropped(DropReason::Lost));
            return;
        }
        let (lamport, vector) = {
            let e = &self.trace.events()[event.index()];
            (e.lamport, e.vector.clone())
        };
        let first = self.trace.push_message(from, to, event, None);
        self.trace.set_send_kind(event, first, to);
        let verdict = self.network.judge(from, to, self.now, &mut self.net_rng);
        self.dispatch(
            Parked {
                message: first,
                event,
                from,
                to,
                payload,
                lamport,
                vector,
            },
            verdict,
        );
    }

    /// Carries out the network's verdict on one message (sent now, or released now).
    fn dispatch(&mut self, m: Parked<P::Message>, verdict: Verdict) {
        match verdict {
            Verdict::Drop(reason) => self.trace.set_fate(m.message, MessageFate::Dropped(reason)),
            Verdict::Hold => self.held.push(m),
            Verdict::Deliver(delays) => {
                let mut copy = m.message;
                for (k, delay) in delays.into_iter().enumerate() {
                    if k > 0 {
                        copy = self
                            .trace
                            .push_message(m.from, m.to, m.event, Some(m.message));
                    }
                    let mut at = self.now + delay;
                    if self.network.fifo {
                        let tail =
                            &mut self.fifo_tail[m.from.index() * self.nodes.len() + m.to.index()];
                        at = at.max(*tail + Span::from_nanos(1));
                        *tail = at;
                    }
                    self.schedule(
                        at,
                        Pending::Deliver {
                            message: copy,
                            from: m.from,
                            to: m.to,
                            payload: m.payload.clone(),
                            lamport: m.lamport,
                            vector: m.vector.clone(),
                        },
                    );
                }
            }
        }
    }

    /// Replaces the rule of the directed link `from → to` from now on. Lifting a hold
    /// releases the messages waiting on the link, in send order, each judged afresh now.
    pub fn set_link_rule(
        &mut self,
        from: NodeId,
        to: NodeId,
        rule: LinkRule,
    ) -> Result<(), SimError> {
        self.check_node(from)?;
        self.check_node(to)?;
        let mut network = self.network.clone();
        network.links.insert((from, to), rule);
        network.validate()?;
        self.network = network;
        let (release, keep): (Vec<_>, Vec<_>) = core::mem::take(&mut self.held)
            .into_iter()
            .partition(|m| (m.from, m.to) == (from, to));
        self.held = keep;
        for m in release {
            let verdict = self.network.judge(from, to, self.now, &mut self.net_rng);
            self.dispatch(m, verdict);
        }
        Ok(())
    }

    /// How many messages wait on held links.
    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// Ends the run: messages still in flight are marked as such, and the trace is returned.
    pub fn finish(mut self) -> Trace {
        let in_flight: Vec<MessageId> = self
            .trace
            .messages()
            .iter()
            .filter(|m| m.fate == MessageFate::InFlight)
            .map(|m| m.id)
            .collect();
        for m in in_flight {
            self.trace
                .set_fate(m, MessageFate::Dropped(DropReason::InFlightAtEnd));
        }
        self.trace
    }
}

enum Input<P: Protocol> {
    Start,
    Message(NodeId, P::Message),
    Timer(P::Timer),
    Operation(P::Operation),
}
