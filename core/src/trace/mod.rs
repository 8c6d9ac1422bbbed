//! The trace of a run: every event at every node, with its true time, the node's local clock
//! reading, its Lamport timestamp and its vector clock, and every message as a
//! send → receive pair (or a send that was lost).
//!
//! Happens-before (Lamport 1978, §2) is answered from the trace's own graph — local order
//! plus message edges — never from the clocks stamped on it, so that tests can check the
//! clocks *against* it.
//!
//! Real logs come in through [`import`] ([`shiviz`] and [`json_lines`] readers, checked by
//! [`validity`]) as a happens-before DAG ([`dag`]) that converts to a `Trace`, and go out
//! through [`export`] (Mermaid, Graphviz DOT, ShiViz, JSON lines); [`wire`] carries a parsed log
//! compactly from a Web Worker to the page. Pure analyses over an
//! imported execution: [`search`], [`motifs`], [`compare`], [`cluster`], [`host_order`] and the
//! clock-skew audit [`skew`].

pub mod happens_before;
pub mod host_order;

// Importing real logs (ShiViz, JSON lines) into a happens-before DAG, and exporting it.
pub mod backtracking;
pub mod cluster;
pub mod compare;
pub mod dag;
pub mod error;
pub mod export;
pub mod import;
#[cfg(feature = "native-regex")]
pub mod js_regex;
pub mod json;
pub mod json_lines;
pub mod motifs;
pub mod pattern;
pub mod search;
pub mod shiviz;
pub mod skew;
pub mod validity;
pub mod wire;

use alloc::string::String;
use alloc::vec::Vec;

use crate::clock::VectorClock;
use crate::node::NodeId;
use crate::time::Instant;

pub use happens_before::CausalIndex;

/// The position of an event in [`Trace::events`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId(pub u32);

/// The position of a message in [`Trace::messages`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageId(pub u32);

impl EventId {
    /// The event's index in [`Trace::events`].
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}
impl MessageId {
    /// The message's index in [`Trace::messages`].
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// What kind of event a node went through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// The node sent a message.
    Send {
        /// The message sent.
        message: MessageId,
        /// Its destination.
        to: NodeId,
    },
    /// A message was delivered to the node.
    Receive {
        /// The message received.
        message: MessageId,
        /// Its sender.
        from: NodeId,
    },
    /// Something happened inside the node (an output, an operation, a clock jump).
    Local,
}

/// One event of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// The event's id (its index in the trace).
    pub id: EventId,
    /// The node where it happened.
    pub node: NodeId,
    /// Its position among the node's events (0-based).
    pub seq: u32,
    /// Send, receive or local.
    pub kind: EventKind,
    /// The simulator's true time.
    pub true_time: Instant,
    /// The node's physical clock reading at that moment.
    pub local_time: Instant,
    /// The Lamport timestamp the event got.
    pub lamport: u64,
    /// The vector clock the event got.
    pub vector: VectorClock,
    /// A short human-readable description.
    pub label: String,
}

/// Why a message never arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// The network lost it at random.
    Lost,
    /// A partition separated sender and receiver.
    Partitioned,
    /// The receiver had crashed.
    ReceiverCrashed,
    /// The run ended while it was in flight.
    InFlightAtEnd,
}

/// What became of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageFate {
    /// Still travelling (only while a run is in progress).
    InFlight,
    /// Delivered by the given event.
    Delivered(EventId),
    /// Never delivered.
    Dropped(DropReason),
}

/// One message (one copy, if the network duplicated it).
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    /// The message's id.
    pub id: MessageId,
    /// Its sender.
    pub from: NodeId,
    /// Its destination.
    pub to: NodeId,
    /// The send event.
    pub send: EventId,
    /// What became of it.
    pub fate: MessageFate,
    /// The copy it duplicates, if the network duplicated a send.
    pub duplicate_of: Option<MessageId>,
}

impl Message {
    /// The receive event, if the message was delivered.
    pub fn receive(&self) -> Option<EventId> {
        match self.fate {
            MessageFate::Delivered(e) => Some(e),
            _ => None,
        }
    }
}

/// The full record of a run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Trace {
    node_count: u32,
    events: Vec<Event>,
    messages: Vec<Message>,
    per_node: Vec<Vec<EventId>>,
    /// Further causal predecessors `(event, predecessor)`, sorted: an imported log's event may
    /// merge several messages at once (see [`dag::Execution::to_trace`]). Empty for simulated runs.
    extra_predecessors: Vec<(EventId, EventId)>,
}

impl Trace {
    /// An empty trace for `node_count` nodes.
    pub fn new(node_count: u32) -> Self {
        Trace {
            node_count,
            events: Vec::new(),
            messages: Vec::new(),
            per_node: (0..node_count).map(|_| Vec::new()).collect(),
            extra_predecessors: Vec::new(),
        }
    }
    /// The number of nodes.
    pub fn node_count(&self) -> u32 {
        self.node_count
    }
    /// Every node id of the run, ascending.
    pub fn nodes(&self) -> impl Iterator<Item = NodeId> {
        (0..self.node_count).map(NodeId)
    }
    /// All events in the order they happened (a topological order of happens-before).
    pub fn events(&self) -> &[Event] {
        &self.events
    }
    /// All messages in the order they were sent.
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }
    /// One event.
    pub fn event(&self, id: EventId) -> Option<&Event> {
        self.events.get(id.index())
    }
    /// One message.
    pub fn message(&self, id: MessageId) -> Option<&Message> {
        self.messages.get(id.index())
    }
    /// The events of one node, in local order.
    pub fn events_of(&self, node: NodeId) -> &[EventId] {
        self.per_node
            .get(node.index())
            .map_or(&[], |v| v.as_slice())
    }

    /// The event's immediate predecessors: the previous event on its node and, for a
    /// receive, the matching send.
    pub fn predecessors(&self, id: EventId) -> impl Iterator<Item = EventId> + '_ {
        let event = self.event(id);
        let local = event.and_then(|e| {
            e.seq
                .checked_sub(1)
                .map(|s| self.per_node[e.node.index()][s as usize])
        });
        let remote = event.and_then(|e| match e.kind {
            EventKind::Receive { message, .. } => self.message(message).map(|m| m.send),
            _ => None,
        });
        let lo = self.extra_predecessors.partition_point(|p| p.0 < id);
        let hi = self.extra_predecessors.partition_point(|p| p.0 <= id);
        let extra = self.extra_predecessors[lo..hi].iter().map(|p| p.1);
        local.into_iter().chain(remote).chain(extra)
    }

    /// Records that `predecessor` happened directly before `event` besides its local
    /// predecessor and its receive's sender (a receive that merged several messages). Ignored
    /// unless `predecessor` comes earlier in the trace, which keeps the events topologically
    /// ordered.
    pub fn add_predecessor(&mut self, event: EventId, predecessor: EventId) {
        if predecessor < event && event.index() < self.events.len() {
            let entry = (event, predecessor);
            if let Err(at) = self.extra_predecessors.binary_search(&entry) {
                self.extra_predecessors.insert(at, entry);
            }
        }
    }

    /// Appends an event; the caller fills in clocks and label. Returns its id.
    #[allow(clippy::too_many_arguments)]
    pub fn push_event(
        &mut self,
        node: NodeId,
        kind: EventKind,
        true_time: Instant,
        local_time: Instant,
        lamport: u64,
        vector: VectorClock,
        label: String,
    ) -> EventId {
        let id = EventId(self.events.len() as u32);
        while self.per_node.len() <= node.index() {
            self.per_node.push(Vec::new());
            self.node_count = self.per_node.len() as u32;
        }
        let seq = self.per_node[node.index()].len() as u32;
        self.per_node[node.index()].push(id);
        self.events.push(Event {
            id,
            node,
            seq,
            kind,
            true_time,
            local_time,
            lamport,
            vector,
            label,
        });
        id
    }

    /// Records a message sent by event `send`; returns its id.
    pub fn push_message(
        &mut self,
        from: NodeId,
        to: NodeId,
        send: EventId,
        duplicate_of: Option<MessageId>,
    ) -> MessageId {
        let id = MessageId(self.messages.len() as u32);
        self.messages.push(Message {
            id,
            from,
            to,
            send,
            fate: MessageFate::InFlight,
            duplicate_of,
        });
        id
    }

    /// Sets what became of a message.
    pub fn set_fate(&mut self, message: MessageId, fate: MessageFate) {
        if let Some(m) = self.messages.get_mut(message.index()) {
            m.fate = fate;
        }
    }

    /// Replaces an event's label (e.g. when a view merges a run of events into one).
    pub fn set_label(&mut self, event: EventId, label: String) {
        if let Some(e) = self.events.get_mut(event.index()) {
            e.label = label;
        }
    }

    /// Sets the `Send` event's message id (events are recorded before their message).
    pub fn set_send_kind(&mut self, event: EventId, message: MessageId, to: NodeId) {
        if let Some(e) = self.events.get_mut(event.index()) {
            e.kind = EventKind::Send { message, to };
        }
    }

    /// Keeps only the first `events` events and the messages they sent, re-marking messages
    /// whose receive was cut off as in flight. Used to show a run part-way through.
    pub fn prefix(&self, events: usize) -> Trace {
        let events = events.min(self.events.len());
        let mut out = Trace::new(self.node_count);
        for e in &self.events[..events] {
            out.per_node[e.node.index()].push(e.id);
            out.events.push(e.clone());
        }
        for m in &self.messages {
            if m.send.index() < events {
                let mut m = m.clone();
                if let MessageFate::Delivered(r) = m.fate {
                    if r.index() >= events {
                        m.fate = MessageFate::InFlight;
                    }
                }
                out.messages.push(m);
            }
        }
        out.extra_predecessors = self
            .extra_predecessors
            .iter()
            .copied()
            .filter(|p| p.0.index() < events)
            .collect();
        out
    }

    /// The same run with every event's vector clock recomputed from the recorded structure
    /// alone (Fidge 1988; Mattern 1989): an event merges the clocks of its
    /// [`predecessors`](Self::predecessors) and ticks its own node's entry. Nothing else
    /// changes. For recorders whose clocks count something other than events (a causal
    /// broadcast's count deliveries, and a receive does not tick them): those clocks break
    /// ShiViz's rules, while these make [`dag::Execution::from_trace`] accept the run with
    /// exactly the happens-before the diagram draws.
    ///
    /// ```
    /// use chronoscope::clock::VectorClock;
    /// use chronoscope::node::NodeId;
    /// use chronoscope::time::Instant;
    /// use chronoscope::trace::{dag::Execution, EventKind, MessageFate, Trace};
    /// let (a, b, t) = (NodeId(0), NodeId(1), Instant::ZERO);
    /// let sent = VectorClock::from_entries([(a, 1)]);
    /// let mut trace = Trace::new(2);
    /// let send = trace.push_event(a, EventKind::Local, t, t, 1, sent.clone(), "send".into());
    /// let m = trace.push_message(a, b, send, None);
    /// trace.set_send_kind(send, m, b);
    /// // A delivery clock: the receive does not tick B's entry.
    /// let kind = EventKind::Receive { message: m, from: a };
    /// let recv = trace.push_event(b, kind, t, t, 2, sent, "deliver".into());
    /// trace.set_fate(m, MessageFate::Delivered(recv));
    /// assert!(Execution::from_trace(&trace).is_err());
    /// let exec = Execution::from_trace(&trace.with_event_clocks()).unwrap();
    /// assert!(exec.happens_before(exec.events()[0].id, exec.events()[1].id));
    /// ```
    pub fn with_event_clocks(&self) -> Trace {
        let mut out = self.clone();
        let mut clocks: Vec<VectorClock> = Vec::with_capacity(self.events.len());
        for e in &self.events {
            let mut clock = VectorClock::new();
            for p in self.predecessors(e.id) {
                // Predecessors come earlier (the trace is in topological order).
                if let Some(c) = clocks.get(p.index()) {
                    clock.merge(c);
                }
            }
            // An entry counts one node's events in this trace, so it stays far below
            // `u64::MAX` and the checked increment cannot refuse here.
            let _ = clock.try_increment(e.node);
            clocks.push(clock);
        }
        for (e, clock) in out.events.iter_mut().zip(clocks) {
            e.vector = clock;
        }
        out
    }
}
