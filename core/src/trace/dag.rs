//! An imported log as a happens-before DAG (Lamport 1978, §2): per execution, its hosts (by
//! name), its events with vector clocks, local edges (a host's consecutive events) and message
//! edges inferred from the clocks (see [`validity`](super::validity)).
//!
//! Invariant: events are stored in a topological order, so an event's id is its position and
//! every parent has a smaller id; and, because [`validity`](super::validity) accepted the
//! clocks, `a → b` exactly when `clock(a) < clock(b)` — which is how the queries answer in
//! O(log hosts) per pair. [`Execution::to_trace`] turns the DAG into a [`Trace`] so the
//! simulator's happens-before queries and the space-time diagram work on imported logs.

use alloc::string::String;
use alloc::vec::Vec;

use alloc::string::ToString;

use super::error::ImportError;
use super::validity::{build_execution, RawEvent};
use super::{EventId, EventKind, MessageFate, Trace};
use crate::clock::{Causality, VectorClock};
use crate::node::NodeId;
use crate::time::Instant;

/// One imported file: one or more executions.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Log {
    /// The executions, in file order.
    pub executions: Vec<Execution>,
}

/// One logged event, placed in its execution's DAG.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEvent {
    /// Its id: its position in [`Execution::events`].
    pub id: EventId,
    /// The host that logged it.
    pub host: NodeId,
    /// Its position among the host's events (0-based; its own clock entry minus 1).
    pub seq: u32,
    /// Its vector clock, keyed by the execution's host ids.
    pub clock: VectorClock,
    /// The event's text.
    pub text: String,
    /// Extra fields, in source order.
    pub fields: Vec<(String, String)>,
    /// The 1-based line of the original text where it starts.
    pub line: u32,
    /// Events of other hosts it received from directly (message edges), ascending.
    pub parents: Vec<EventId>,
}

/// One execution: a happens-before DAG over named hosts.
///
/// ```
/// use chronoscope::trace::json_lines;
/// let log = json_lines::parse(concat!(
///     r#"{"node":"A","event":"start","vc":[1,0,0]}"#, "\n",
///     r#"{"node":"B","event":"recv_from_A","vc":[1,1,0]}"#, "\n",
///     r#"{"node":"C","event":"independent_task","vc":[0,0,1]}"#, "\n",
/// )).unwrap();
/// let exec = &log.executions[0];
/// let [start, recv, task] = [0, 1, 2].map(|i| exec.events()[i].id);
/// assert!(exec.happens_before(start, recv));
/// assert_eq!(exec.concurrent_with(task), [start, recv]);
/// assert!(!exec.is_consistent_cut(&[0, 1, 0]));
/// let trace = exec.to_trace();
/// assert_eq!(trace.messages().len(), 1);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Execution {
    name: Option<String>,
    hosts: Vec<String>,
    events: Vec<LogEvent>,
    per_host: Vec<Vec<EventId>>,
}

impl Execution {
    /// An execution from events already in topological order with consistent ids.
    pub(super) fn from_events(
        name: Option<String>,
        hosts: Vec<String>,
        events: Vec<LogEvent>,
    ) -> Self {
        let mut per_host: Vec<Vec<EventId>> = hosts.iter().map(|_| Vec::new()).collect();
        for e in &events {
            if let Some(list) = per_host.get_mut(e.host.index()) {
                list.push(e.id);
            }
        }
        Execution {
            name,
            hosts,
            events,
            per_host,
        }
    }
    /// The execution's name (from the delimiter's `trace` group), if it has one.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    /// Host names, indexed by [`NodeId`] (in order of first appearance in [`Self::events`]).
    pub fn hosts(&self) -> &[String] {
        &self.hosts
    }
    /// One host's name.
    pub fn host_name(&self, host: NodeId) -> &str {
        self.hosts.get(host.index()).map_or("", |s| s.as_str())
    }
    /// All events, in a topological order of happens-before.
    pub fn events(&self) -> &[LogEvent] {
        &self.events
    }
    /// One event.
    pub fn event(&self, id: EventId) -> Option<&LogEvent> {
        self.events.get(id.index())
    }
    /// A host's events, in local order.
    pub fn events_of(&self, host: NodeId) -> &[EventId] {
        self.per_host
            .get(host.index())
            .map_or(&[], |v| v.as_slice())
    }
    /// The message edges `(send, receive)`, ordered by receive then send.
    pub fn messages(&self) -> impl Iterator<Item = (EventId, EventId)> + '_ {
        self.events
            .iter()
            .flat_map(|e| e.parents.iter().map(move |p| (*p, e.id)))
    }
    /// Whether `a → b` (decided by the clocks, which validation made exact).
    pub fn happens_before(&self, a: EventId, b: EventId) -> bool {
        match (self.event(a), self.event(b)) {
            (Some(x), Some(y)) => a != b && y.clock.get(x.host) >= x.clock.get(x.host),
            _ => false,
        }
    }
    /// How `a` relates to `b`.
    pub fn relation(&self, a: EventId, b: EventId) -> Causality {
        if a == b {
            Causality::Equal
        } else if self.happens_before(a, b) {
            Causality::Before
        } else if self.happens_before(b, a) {
            Causality::After
        } else {
            Causality::Concurrent
        }
    }
    fn select(&self, keep: impl Fn(EventId) -> bool) -> Vec<EventId> {
        self.events
            .iter()
            .map(|e| e.id)
            .filter(|&e| keep(e))
            .collect()
    }
    /// The events that happened before `event`, ascending.
    pub fn causal_past(&self, event: EventId) -> Vec<EventId> {
        self.select(|e| self.happens_before(e, event))
    }
    /// The events `event` happened before, ascending.
    pub fn causal_future(&self, event: EventId) -> Vec<EventId> {
        self.select(|e| self.happens_before(event, e))
    }
    /// The events concurrent with `event`, ascending.
    pub fn concurrent_with(&self, event: EventId) -> Vec<EventId> {
        if self.event(event).is_none() {
            return Vec::new();
        }
        self.select(|e| self.relation(event, e) == Causality::Concurrent)
    }
    /// Events whose text or any field value contains `needle` (case-sensitive), ascending.
    pub fn search(&self, needle: &str) -> Vec<EventId> {
        self.select(|id| {
            self.event(id).is_some_and(|e| {
                e.text.contains(needle) || e.fields.iter().any(|(_, v)| v.contains(needle))
            })
        })
    }
    /// Events whose field `name` equals `value`, ascending.
    pub fn with_field(&self, name: &str, value: &str) -> Vec<EventId> {
        self.select(|id| {
            self.event(id)
                .is_some_and(|e| e.fields.iter().any(|(k, v)| k == name && v == value))
        })
    }
    /// Whether a cut is consistent, i.e. closed under happens-before. The cut is given by its
    /// frontier: `frontier[h]` = how many of host `h`'s first events it contains (missing
    /// hosts: none). A frontier beyond a host's events is not a cut of this execution.
    pub fn is_consistent_cut(&self, frontier: &[u32]) -> bool {
        let count = |h: usize| frontier.get(h).copied().unwrap_or(0) as u64;
        if frontier.len() > self.hosts.len() && frontier[self.hosts.len()..].iter().any(|c| *c > 0)
        {
            return false;
        }
        self.per_host.iter().enumerate().all(|(h, list)| {
            let c = count(h) as usize;
            c == 0
                || list
                    .get(c - 1)
                    .and_then(|id| self.event(*id))
                    .is_some_and(|last| last.clock.iter().all(|(k, m)| m <= count(k.index())))
        })
    }
    /// The smallest consistent cut containing `event` (its causal past and itself), as a frontier.
    pub fn cut_through(&self, event: EventId) -> Vec<u32> {
        let clock = self.event(event).map(|e| &e.clock);
        (0..self.hosts.len())
            .map(|h| clock.map_or(0, |c| c.get(NodeId(h as u32)).min(u32::MAX as u64) as u32))
            .collect()
    }
    /// An execution from a recorded [`Trace`] (a simulated run, a lab): hosts named as nodes
    /// print (`A`, `B`, …), each event's vector clock and label; an event's "line" is its
    /// position + 1. Fails only if the trace's clocks break the validity rules.
    pub fn from_trace(trace: &Trace) -> Result<Execution, ImportError> {
        let raw = trace
            .events()
            .iter()
            .map(|e| RawEvent {
                host: e.node.to_string(),
                clock: e.vector.iter().map(|(n, c)| (n.to_string(), c)).collect(),
                text: e.label.clone(),
                fields: Vec::new(),
                line: e.id.0.saturating_add(1),
                clock_line: e.id.0.saturating_add(1),
            })
            .collect();
        build_execution(None, raw)
    }
    /// Whether two executions have the same DAG: hosts, and per event its host, clock, text and
    /// parents (lines and fields are not compared).
    pub fn same_dag(&self, other: &Execution) -> bool {
        self.hosts == other.hosts
            && self.events.len() == other.events.len()
            && self.events.iter().zip(&other.events).all(|(a, b)| {
                a.host == b.host && a.clock == b.clock && a.text == b.text && a.parents == b.parents
            })
    }
    /// The execution as a [`Trace`]: event ids are kept; true and local times are the event's
    /// position (in nanoseconds); Lamport stamps are recomputed; each message edge becomes a
    /// delivered message. An event with several direct senders shows as receiving the first;
    /// the others are recorded with [`Trace::add_predecessor`], so happens-before on the trace
    /// equals the DAG's.
    pub fn to_trace(&self) -> Trace {
        let mut builder = TraceBuilder::new(self);
        builder.step(self, usize::MAX);
        builder.finish()
    }
}

/// [`Execution::to_trace`] a slice at a time, so that a page can build the trace of a
/// million-event log between frames instead of in one long task. `step` as often as needed
/// with the execution the builder was made from, then `finish`; the result equals
/// `to_trace()` (`core/tests/trace_wire.rs`).
///
/// ```
/// use chronoscope::trace::dag::TraceBuilder;
/// use chronoscope::trace::import::import;
/// let log = import("a {\"a\":1}\nsend\nb {\"a\":1, \"b\":1}\nrecv\n", None, None).unwrap();
/// let exec = &log.executions[0];
/// let mut builder = TraceBuilder::new(exec);
/// assert_eq!(builder.total(), 3, "two events, one message");
/// while !builder.step(exec, 1) {}
/// assert_eq!(builder.finish(), exec.to_trace());
/// ```
#[derive(Clone, Debug)]
pub struct TraceBuilder {
    edges: Vec<(EventId, EventId)>,
    kinds: Vec<EventKind>,
    hosts: Vec<NodeId>,
    trace: Trace,
    lamport: Vec<u64>,
    last_of_host: Vec<u64>,
    next_event: usize,
    next_edge: usize,
}

impl TraceBuilder {
    /// Starts building `exec`'s trace (sorts its message edges: O(m log m)).
    pub fn new(exec: &Execution) -> Self {
        let mut edges: Vec<(EventId, EventId)> = exec.messages().collect();
        edges.sort_unstable();
        let mut kinds = alloc::vec![EventKind::Local; exec.events.len()];
        // Message ids are positions in `edges`; a receive wins over a send for the kind.
        for (m, &(send, recv)) in edges.iter().enumerate().rev() {
            let message = super::MessageId(m as u32);
            let (from, to) = (
                exec.events[send.index()].host,
                exec.events[recv.index()].host,
            );
            if !matches!(kinds[send.index()], EventKind::Receive { .. }) {
                kinds[send.index()] = EventKind::Send { message, to };
            }
            kinds[recv.index()] = EventKind::Receive { message, from };
        }
        TraceBuilder {
            edges,
            kinds,
            hosts: exec.events.iter().map(|e| e.host).collect(),
            trace: Trace::new(exec.hosts.len() as u32),
            lamport: Vec::with_capacity(exec.events.len()),
            last_of_host: alloc::vec![0u64; exec.hosts.len()],
            next_event: 0,
            next_edge: 0,
        }
    }

    /// Units of work: events plus messages.
    pub fn total(&self) -> usize {
        self.kinds.len() + self.edges.len()
    }

    /// Units done so far.
    pub fn done(&self) -> usize {
        self.next_event + self.next_edge
    }

    /// Does up to `budget` units; returns whether the trace is complete. With an execution
    /// other than the builder's (another event count), it stops and reports complete.
    pub fn step(&mut self, exec: &Execution, budget: usize) -> bool {
        if exec.events.len() != self.kinds.len() {
            self.next_event = self.kinds.len();
            self.next_edge = self.edges.len();
            return true;
        }
        let mut budget = budget;
        while budget > 0 && self.next_event < self.kinds.len() {
            let e = &exec.events[self.next_event];
            let host = self.hosts[self.next_event];
            let from_parents = e
                .parents
                .iter()
                .filter_map(|p| self.lamport.get(p.index()))
                .max()
                .copied()
                .unwrap_or(0);
            let last = self.last_of_host.get(host.index()).copied().unwrap_or(0);
            let stamp = last.max(from_parents) + 1;
            if let Some(l) = self.last_of_host.get_mut(host.index()) {
                *l = stamp;
            }
            self.lamport.push(stamp);
            let at = Instant::from_nanos(e.id.0 as i64);
            let kind = self.kinds[self.next_event];
            self.trace
                .push_event(host, kind, at, at, stamp, e.clock.clone(), e.text.clone());
            self.next_event += 1;
            budget -= 1;
        }
        while budget > 0 && self.next_event == self.kinds.len() && self.next_edge < self.edges.len()
        {
            let (send, recv) = self.edges[self.next_edge];
            let (from, to) = (self.hosts[send.index()], self.hosts[recv.index()]);
            let m = self.trace.push_message(from, to, send, None);
            self.trace.set_fate(m, MessageFate::Delivered(recv));
            if !matches!(self.trace.event(recv).map(|e| e.kind), Some(EventKind::Receive { message, .. }) if message == m)
            {
                self.trace.add_predecessor(recv, send);
            }
            self.next_edge += 1;
            budget -= 1;
        }
        self.done() == self.total()
    }

    /// The trace (complete once `step` returned `true`).
    pub fn finish(self) -> Trace {
        self.trace
    }
}
