//! One replica of a multi-leader key-value store with Dynamo-style contexts (DeCandia et al.
//! 2007, "Dynamo", §4.4 "Data Versioning"): any replica accepts a write, acknowledges it,
//! and sends the key's new state to every peer, which joins it with its own.
//!
//! Clients read (getting the values and a *context*), then write with that context; how
//! concurrent versions are resolved is the [`Strategy`]: wall-clock last-write-wins (the
//! replica's physical clock `ctx.now`), Lamport last-write-wins, version vectors with
//! siblings, or dotted version vectors with siblings.
//!
//! The strategies never see it, but every stored version also carries an *audit trail*: its
//! [`WriteId`] and the ids of every write its client had seen. When a version is discarded
//! and no survivor had seen it, the replica reports [`Output::Lost`] — the write was
//! acknowledged and then silently dropped. Invariant checked by the tests: under the
//! sibling strategies (with clients that read before writing) nothing is ever lost.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use super::lww::{LwwRegister, LwwStamp, Offer};
use super::merge::{Merge, MergeError};
use super::Strategy;
use crate::clock::{
    ClockError, DvvSiblings, LamportClock, SiblingSet, VectorClock, VersionVector, VvSiblings,
};
use crate::node::NodeId;
use crate::protocol::{Context as Ctx, Outbox, Protocol};
use crate::time::Span;

/// A key of the store.
pub type Key = String;

/// A write's identity: the replica that accepted it and its sequence number there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WriteId {
    /// The replica that accepted the write.
    pub node: NodeId,
    /// Its number among that replica's writes (from 1).
    pub seq: u32,
}

impl fmt::Display for WriteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.node, self.seq)
    }
}

/// A stored version: the value (`None` is a tombstone) and its audit trail.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Item {
    /// The write that made it.
    pub id: WriteId,
    /// The value, or `None` for a delete.
    pub value: Option<String>,
    /// Every write the writing client had seen (the audit trail; strategies ignore it).
    pub seen: BTreeSet<WriteId>,
}

/// A key's versions, in the shape its strategy keeps them.
#[derive(Clone, Debug, PartialEq)]
pub enum Versions {
    /// One value with its stamp (both last-write-wins strategies).
    Lww(LwwRegister<Item>),
    /// Siblings, each with a version vector.
    Vector(VvSiblings<Item>),
    /// Siblings, each with a dotted version vector.
    Dotted(DvvSiblings<Item>),
}

impl Versions {
    fn empty(strategy: Strategy) -> Self {
        match strategy {
            Strategy::WallClockLww | Strategy::LamportLww => Versions::Lww(LwwRegister::default()),
            Strategy::VectorClocks => Versions::Vector(VvSiblings::default()),
            Strategy::DottedVersionVectors => Versions::Dotted(DvvSiblings::default()),
        }
    }

    /// The surviving versions with their clocks printed, in a deterministic order.
    pub fn describe(&self) -> Vec<VersionInfo> {
        let info = |item: &Item, clock: String| VersionInfo {
            id: item.id,
            value: item.value.clone(),
            clock,
        };
        match self {
            Versions::Lww(r) => match (r.value(), r.stamp()) {
                (Some(item), Some(s)) => alloc::vec![info(item, format!("{s}"))],
                _ => Vec::new(),
            },
            Versions::Vector(s) => s
                .versions()
                .iter()
                .map(|(vv, item)| info(item, format!("{vv}")))
                .collect(),
            Versions::Dotted(s) => s
                .versions()
                .iter()
                .map(|(d, item)| info(item, format!("{d}")))
                .collect(),
        }
    }

    /// The surviving items.
    pub fn items(&self) -> Vec<&Item> {
        match self {
            Versions::Lww(r) => r.value().into_iter().collect(),
            Versions::Vector(s) => s.values(),
            Versions::Dotted(s) => s.values(),
        }
    }
}

/// One surviving version as a read shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionInfo {
    /// The write that made it.
    pub id: WriteId,
    /// Its value (`None`: deleted).
    pub value: Option<String>,
    /// Its causality metadata, printed (a stamp, a version vector or a DVV).
    pub clock: String,
}

/// The causal part of a read's context, in the strategy's own terms.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Clock {
    /// Wall-clock last-write-wins carries no context.
    #[default]
    None,
    /// The Lamport time of the version read.
    Lamport(u64),
    /// The join of the siblings' version vectors.
    Vector(VersionVector),
    /// The join of the siblings' dotted version vectors.
    Dotted(VectorClock),
}

impl fmt::Display for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Clock::None => f.write_str("-"),
            Clock::Lamport(t) => write!(f, "lamport {t}"),
            Clock::Vector(v) => write!(f, "{v}"),
            Clock::Dotted(v) => write!(f, "{v}"),
        }
    }
}

/// What a read hands the client, to pass back with its next write.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context {
    /// The strategy's causal context.
    pub clock: Clock,
    /// The audit trail: every write the read covered.
    pub seen: BTreeSet<WriteId>,
}

impl Context {
    fn vector(&self) -> VersionVector {
        match &self.clock {
            Clock::Vector(v) => v.clone(),
            Clock::Dotted(c) => VersionVector::from_clock(c, crate::time::Instant::ZERO),
            _ => VersionVector::new(),
        }
    }
    fn dotted(&self) -> VectorClock {
        match &self.clock {
            Clock::Dotted(c) => c.clone(),
            Clock::Vector(v) => v.to_clock(),
            _ => VectorClock::new(),
        }
    }
    fn lamport(&self) -> u64 {
        match self.clock {
            Clock::Lamport(t) => t,
            _ => 0,
        }
    }
}

/// Which context a write carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WriteContext {
    /// None: the client writes without reading first.
    Blind,
    /// The context of the last read of this key at this replica (a co-located client that
    /// read, then writes).
    LastRead,
    /// A context the client kept from an earlier read.
    Given(Context),
}

/// A client request to one replica.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operation {
    /// Read a key (reports [`Output::Read`]; remembered for [`WriteContext::LastRead`]).
    Get {
        /// The key.
        key: Key,
    },
    /// Write a value.
    Put {
        /// The key.
        key: Key,
        /// The value.
        value: String,
        /// The context the client passes.
        context: WriteContext,
    },
    /// Delete a key (writes a tombstone).
    Delete {
        /// The key.
        key: Key,
        /// The context the client passes.
        context: WriteContext,
    },
    /// Read the key's siblings here, merge them, and write the result with the read's
    /// context (a client resolving a conflict).
    Resolve {
        /// The key.
        key: Key,
        /// How to merge.
        merge: Merge,
    },
}

/// A request the replica refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreError {
    /// Keys must not be empty.
    EmptyKey,
    /// The siblings could not be merged.
    Merge(MergeError),
    /// The write's context (or a synced state) holds a counter with no successor; the write
    /// was refused and the key left unchanged.
    Clock(ClockError),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::EmptyKey => f.write_str("empty key"),
            StoreError::Merge(e) => write!(f, "merge: {e}"),
            StoreError::Clock(e) => write!(f, "clock: {e}"),
        }
    }
}

impl core::error::Error for StoreError {}

/// Replication traffic between replicas.
#[derive(Clone, PartialEq)]
pub enum Message {
    /// The sender's whole state of one key, to be joined.
    Replicate {
        /// The key.
        key: Key,
        /// The sender's versions.
        versions: Versions,
    },
}

impl fmt::Debug for Message {
    /// Concise, for trace labels: `Replicate cart [A#1 {"A":1}, B#1 {"B":1}]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Message::Replicate { key, versions } = self;
        write!(f, "Replicate {key} [")?;
        for (k, v) in versions.describe().iter().enumerate() {
            if k > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{} {}", v.id, v.clock)?;
        }
        f.write_str("]")
    }
}

/// What a replica reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// A write was accepted and acknowledged to the client.
    Ack {
        /// The key.
        key: Key,
        /// The write.
        write: WriteId,
        /// Its value (`None`: a delete).
        value: Option<String>,
        /// The metadata it was stamped with, printed.
        clock: String,
    },
    /// A read's result.
    Read {
        /// The key.
        key: Key,
        /// The surviving versions (more than one: siblings, a conflict).
        versions: Vec<VersionInfo>,
        /// The context handed to the client.
        context: Context,
    },
    /// Two writes were found concurrent and both kept as siblings.
    Concurrent {
        /// The key.
        key: Key,
        /// One write.
        a: WriteId,
        /// The other.
        b: WriteId,
    },
    /// A write was discarded though no surviving version had seen it.
    Lost {
        /// The key.
        key: Key,
        /// The write dropped.
        write: WriteId,
        /// Its value.
        value: Option<String>,
        /// A surviving write that displaced it.
        by: Option<WriteId>,
    },
    /// A request was refused.
    Refused {
        /// The key.
        key: Key,
        /// Why.
        error: StoreError,
    },
}

fn show(value: &Option<String>) -> String {
    match value {
        Some(v) => format!("{v:?}"),
        None => String::from("<deleted>"),
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Output::Ack {
                key,
                write,
                value,
                clock,
            } => write!(f, "OK {key}={} as {write} [{clock}]", show(value)),
            Output::Read {
                key,
                versions,
                context,
            } => {
                let values: Vec<String> = versions.iter().map(|v| show(&v.value)).collect();
                let status = match versions.len() {
                    0 => "NOT FOUND",
                    1 if versions[0].value.is_none() => "NOT FOUND (tombstone)",
                    1 => "OK",
                    _ => "CONFLICT",
                };
                write!(
                    f,
                    "read {key} -> [{}] {status} context {}",
                    values.join(", "),
                    context.clock
                )
            }
            Output::Concurrent { key, a, b } => {
                write!(
                    f,
                    "{key}: {a} and {b} are concurrent; both kept as siblings"
                )
            }
            Output::Lost {
                key,
                write,
                value,
                by,
            } => {
                write!(
                    f,
                    "{key}: DROPPED {write} {} (it had been acked)",
                    show(value)
                )?;
                if let Some(by) = by {
                    write!(f, ", displaced by {by} which never saw it")?;
                }
                Ok(())
            }
            Output::Refused { key, error } => write!(f, "refused {key}: {error}"),
        }
    }
}

/// One replica of the store.
///
/// ```
/// use chronoscope::store::{Replica, Strategy, replica::{Operation, Output, WriteContext}};
/// use chronoscope::sim::{SimConfig, Simulation};
/// use chronoscope::{node::NodeId, time::Instant};
/// let nodes = (0..2).map(|_| Replica::new(Strategy::VectorClocks)).collect();
/// let mut sim = Simulation::new(nodes, SimConfig::default()).unwrap();
/// let put = |v: &str| Operation::Put { key: "k".into(), value: v.into(), context: WriteContext::Blind };
/// sim.schedule_operation(Instant::ZERO, NodeId(0), put("x")).unwrap();
/// sim.schedule_operation(Instant::ZERO, NodeId(1), put("y")).unwrap();
/// sim.run_until(Instant::from_millis(1_000));
/// assert_eq!(sim.node(NodeId(0)).unwrap().values("k").len(), 2); // siblings
/// assert!(sim.outputs().iter().any(|r| matches!(r.output, Output::Concurrent { .. })));
/// ```
#[derive(Clone, Debug)]
pub struct Replica {
    strategy: Strategy,
    keys: BTreeMap<Key, Versions>,
    lamport: LamportClock,
    writes: u32,
    last_read: BTreeMap<Key, Context>,
    acked: Vec<WriteId>,
    lost: BTreeSet<WriteId>,
    anti_entropy: Option<Span>,
}

impl Replica {
    /// An empty replica resolving conflicts with `strategy`.
    pub fn new(strategy: Strategy) -> Self {
        Replica {
            strategy,
            keys: BTreeMap::new(),
            lamport: LamportClock::new(),
            writes: 0,
            last_read: BTreeMap::new(),
            acked: Vec::new(),
            lost: BTreeSet::new(),
            anti_entropy: None,
        }
    }

    /// Also pushes every key's state to every peer every `period` (at least 1 ms), so
    /// replicas converge even when replication messages are lost or a partition heals.
    pub fn with_anti_entropy(mut self, period: Span) -> Self {
        self.anti_entropy = Some(period.max(Span::from_millis(1)));
        self
    }

    /// The replica's strategy.
    pub fn strategy(&self) -> Strategy {
        self.strategy
    }

    /// The versions of `key` here (`None` if never written).
    pub fn versions(&self, key: &str) -> Option<&Versions> {
        self.keys.get(key)
    }

    /// The surviving values of `key` (`None` entries are tombstones).
    pub fn values(&self, key: &str) -> Vec<Option<&str>> {
        self.keys
            .get(key)
            .map(|v| v.items().iter().map(|i| i.value.as_deref()).collect())
            .unwrap_or_default()
    }

    /// Every key this replica holds, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }

    /// The writes this replica acknowledged, in order.
    pub fn acked(&self) -> &[WriteId] {
        &self.acked
    }

    /// The writes this replica saw discarded unseen (acknowledged somewhere, then lost).
    pub fn lost(&self) -> &BTreeSet<WriteId> {
        &self.lost
    }

    fn read_context(&self, key: &str) -> Context {
        let Some(versions) = self.keys.get(key) else {
            return Context::default();
        };
        let mut seen = BTreeSet::new();
        for item in versions.items() {
            seen.insert(item.id);
            seen.extend(item.seen.iter().copied());
        }
        let clock = match versions {
            Versions::Lww(r) => match (self.strategy, r.stamp()) {
                (Strategy::LamportLww, Some(s)) => Clock::Lamport(s.time.max(0) as u64),
                _ => Clock::None,
            },
            Versions::Vector(s) => Clock::Vector(s.context()),
            Versions::Dotted(s) => Clock::Dotted(s.context()),
        };
        Context { clock, seen }
    }

    /// Reports every discarded item that no survivor had seen (once per write).
    fn report_dropped(&mut self, key: &str, dropped: Vec<Item>, out: &mut Outbox<Self>) {
        let Some(versions) = self.keys.get(key) else {
            return;
        };
        let survivors: Vec<&Item> = versions.items();
        let mut lost = Vec::new();
        for item in dropped {
            let seen_by_survivor = survivors.iter().any(|s| s.seen.contains(&item.id));
            if !seen_by_survivor && !survivors.iter().any(|s| s.id == item.id) {
                lost.push((item, survivors.first().map(|s| s.id)));
            }
        }
        for (item, by) in lost {
            if self.lost.insert(item.id) {
                out.output(Output::Lost {
                    key: key.into(),
                    write: item.id,
                    value: item.value,
                    by,
                });
            }
        }
    }

    /// Reports pairs of surviving items, one of them in `fresh`, neither having seen the other.
    fn report_concurrent(&self, key: &str, fresh: &[WriteId], out: &mut Outbox<Self>) {
        let Some(versions) = self.keys.get(key) else {
            return;
        };
        let items = versions.items();
        for a in items.iter().filter(|i| fresh.contains(&i.id)) {
            for b in &items {
                let fresh_pair_seen_once = fresh.contains(&b.id) && b.id < a.id;
                if a.id != b.id
                    && !fresh_pair_seen_once
                    && !a.seen.contains(&b.id)
                    && !b.seen.contains(&a.id)
                {
                    out.output(Output::Concurrent {
                        key: key.into(),
                        a: b.id.min(a.id),
                        b: b.id.max(a.id),
                    });
                }
            }
        }
    }

    fn write(
        &mut self,
        ctx: &mut Ctx<'_>,
        key: Key,
        value: Option<String>,
        context: WriteContext,
        out: &mut Outbox<Self>,
    ) {
        if key.is_empty() {
            out.output(Output::Refused {
                key,
                error: StoreError::EmptyKey,
            });
            return;
        }
        let context = match context {
            WriteContext::Blind => Context::default(),
            WriteContext::LastRead => self.last_read.get(&key).cloned().unwrap_or_default(),
            WriteContext::Given(c) => c,
        };
        let id = WriteId {
            node: ctx.node,
            seq: self.writes.saturating_add(1),
        };
        let item = Item {
            id,
            value: value.clone(),
            seen: context.seen.clone(),
        };
        let strategy = self.strategy;
        let versions = self
            .keys
            .entry(key.clone())
            .or_insert_with(|| Versions::empty(strategy));
        let stored = match versions {
            Versions::Lww(reg) => {
                let time = match strategy {
                    // An LWW stamp holds at most i64::MAX: a Lamport time past that is
                    // refused like one past u64::MAX, and the clock only advances when
                    // the write is taken (all or nothing).
                    Strategy::LamportLww => {
                        let mut next = self.lamport;
                        next.try_receive(context.lamport()).and_then(|t| {
                            let time = i64::try_from(t)
                                .map_err(|_| ClockError::CounterOverflow { node: None })?;
                            self.lamport = next;
                            Ok(time)
                        })
                    }
                    _ => Ok(ctx.now.as_nanos()),
                };
                time.map(|time| {
                    let stamp = LwwStamp {
                        time,
                        node: ctx.node,
                    };
                    let clock = match strategy {
                        Strategy::LamportLww => format!("lamport ({time}, {})", ctx.node),
                        _ => format!("wall {}@{}", ctx.now, ctx.node),
                    };
                    let dropped = match reg.offer(stamp, item) {
                        Offer::Stored => Vec::new(),
                        Offer::Replaced(old) | Offer::Rejected(old) => alloc::vec![old],
                    };
                    (dropped, clock)
                })
            }
            Versions::Vector(s) => s
                .try_update(&context.vector(), ctx.node, ctx.now, item)
                .map(|gone| {
                    let clock = s
                        .versions()
                        .iter()
                        .find(|(_, i)| i.id == id)
                        .map(|(vv, _)| format!("{vv}"))
                        .unwrap_or_default();
                    (gone, clock)
                }),
            Versions::Dotted(s) => s
                .try_update(&context.dotted(), ctx.node, ctx.now, item)
                .map(|gone| {
                    let clock = s
                        .versions()
                        .iter()
                        .find(|(_, i)| i.id == id)
                        .map(|(d, _)| format!("{d}"))
                        .unwrap_or_default();
                    (gone, clock)
                }),
        };
        // A refused write changed no clock and no key; it is not acknowledged.
        let (dropped, clock) = match stored {
            Ok(stored) => stored,
            Err(e) => {
                out.output(Output::Refused {
                    key,
                    error: StoreError::Clock(e),
                });
                return;
            }
        };
        self.writes = id.seq;
        let state = versions.clone();
        self.acked.push(id);
        out.output(Output::Ack {
            key: key.clone(),
            write: id,
            value,
            clock,
        });
        self.report_dropped(&key, dropped, out);
        self.report_concurrent(&key, &[id], out);
        out.send_to_all(
            ctx.peers,
            Message::Replicate {
                key,
                versions: state,
            },
        );
    }

    fn read(&mut self, key: Key, out: &mut Outbox<Self>) -> Context {
        let context = self.read_context(&key);
        let versions = self
            .keys
            .get(&key)
            .map(Versions::describe)
            .unwrap_or_default();
        self.last_read.insert(key.clone(), context.clone());
        out.output(Output::Read {
            key,
            versions,
            context: context.clone(),
        });
        context
    }
}

impl Protocol for Replica {
    type Message = Message;
    type Timer = ();
    type Operation = Operation;
    type Output = Output;

    fn describe_message(message: &Message) -> String {
        format!("{message:?}").replacen("Replicate", "replicate", 1)
    }
    fn describe_operation(operation: &Operation) -> String {
        let context = |c: &WriteContext| match c {
            WriteContext::Blind => "blind",
            WriteContext::LastRead => "after a read",
            WriteContext::Given(_) => "with a given context",
        };
        match operation {
            Operation::Get { key } => format!("get {key}"),
            Operation::Put {
                key,
                value,
                context: c,
            } => format!("put {key}={value:?} ({})", context(c)),
            Operation::Delete { key, context: c } => format!("delete {key} ({})", context(c)),
            Operation::Resolve { key, merge } => match merge {
                Merge::Union => format!("resolve {key}: keep the union"),
                Merge::Pick(i) => format!("resolve {key}: pick sibling {i}"),
            },
        }
    }
    fn describe_output(output: &Output) -> String {
        output.to_string()
    }

    fn on_start(&mut self, _ctx: &mut Ctx<'_>, out: &mut Outbox<Self>) {
        if let Some(period) = self.anti_entropy {
            out.set_timer(period, ());
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_>, _timer: (), out: &mut Outbox<Self>) {
        for (key, versions) in &self.keys {
            out.send_to_all(
                ctx.peers,
                Message::Replicate {
                    key: key.clone(),
                    versions: versions.clone(),
                },
            );
        }
        if let Some(period) = self.anti_entropy {
            out.set_timer(period, ());
        }
    }

    fn on_message(
        &mut self,
        _ctx: &mut Ctx<'_>,
        _from: NodeId,
        message: Message,
        out: &mut Outbox<Self>,
    ) {
        let Message::Replicate { key, versions } = message;
        let remote: Vec<WriteId> = versions.items().iter().map(|i| i.id).collect();
        let strategy = self.strategy;
        let local = self
            .keys
            .entry(key.clone())
            .or_insert_with(|| Versions::empty(strategy));
        let known: Vec<WriteId> = local.items().iter().map(|i| i.id).collect();
        let dropped = match (local, &versions) {
            (Versions::Lww(mine), Versions::Lww(theirs)) => {
                if let Some(s) = theirs.stamp() {
                    if strategy == Strategy::LamportLww {
                        // Refused only when this clock already stands at u64::MAX (a client
                        // context put it there): it stays there, the stamp still joins, and
                        // the next Lamport write here is refused with a typed error.
                        let _ = self.lamport.try_receive(s.time.max(0) as u64);
                    }
                }
                match mine.merge(theirs) {
                    Offer::Stored => Vec::new(),
                    Offer::Replaced(old) | Offer::Rejected(old) => alloc::vec![old],
                }
            }
            (Versions::Vector(mine), Versions::Vector(theirs)) => mine.sync(theirs),
            (Versions::Dotted(mine), Versions::Dotted(theirs)) => mine.sync(theirs),
            // A replica running another strategy: nothing sensible to join.
            _ => return,
        };
        self.report_dropped(&key, dropped, out);
        let fresh: Vec<WriteId> = remote.into_iter().filter(|w| !known.contains(w)).collect();
        self.report_concurrent(&key, &fresh, out);
    }

    fn on_operation(&mut self, ctx: &mut Ctx<'_>, operation: Operation, out: &mut Outbox<Self>) {
        match operation {
            Operation::Get { key } => {
                self.read(key, out);
            }
            Operation::Put {
                key,
                value,
                context,
            } => self.write(ctx, key, Some(value), context, out),
            Operation::Delete { key, context } => self.write(ctx, key, None, context, out),
            Operation::Resolve { key, merge } => {
                self.read(key.clone(), out);
                let values = self.values(&key);
                match merge.apply(&values) {
                    Ok(value) => self.write(ctx, key, value, WriteContext::LastRead, out),
                    Err(e) => out.output(Output::Refused {
                        key,
                        error: StoreError::Merge(e),
                    }),
                }
            }
        }
    }
}
