//! One tab's peer, as a pure state machine: its replica (RGA, or the naive position-based
//! text), the core's causal queue, presence, the per-tab network controls and the record of
//! the session as a [`Trace`]. It never touches the browser: every input comes with `now`
//! (milliseconds of the shared wall clock) and returns the JSON strings to post, each with
//! the delay to wait before posting. The glue in [`super::channel`] does the posting, the
//! timers and the storage; native tests drive several peers through a fake channel.
//!
//! Protocol, in short:
//! - every local edit is stamped by the causal queue and sent to each known peer (one copy
//!   per peer, so that a link can be held or a copy dropped);
//! - heartbeats (every [`HEARTBEAT_MS`]) carry the sender's delivered vector; a peer silent
//!   for [`GONE_AFTER_MS`] is marked gone; a peer that lacks some of *my* edits gets them
//!   again (the origin retransmits), so drops and late joiners are repaired;
//! - a tab that is not yet synced says `hello` in its heartbeats, and live peers answer with
//!   a state transfer, adopted when it contains everything the tab has delivered;
//! - a gone peer's entry is left out of the clocks this tab sends once every peer that may
//!   still get them (gone ones heard in the last [`FORGET_AFTER_MS`] included) has delivered
//!   all of that peer's edits this tab knows of (clocks shrink with membership);
//! - heartbeats go to every known peer that has not left, so a tab back from sleep is heard
//!   again, and a peer lacking edits whose author is gone gets a state transfer.

use std::collections::{BTreeMap, BTreeSet};

use chronoscope::broadcast::causal::{CausalMessage, CausalQueue, Receipt};
use chronoscope::clock::VectorClock;
use chronoscope::crdt::naive_text::{NaiveOp, NaiveText};
use chronoscope::crdt::rga::{OpId, Rga, RgaOp};
use chronoscope::node::NodeId;
use chronoscope::rng::Rng;
use chronoscope::time::Instant;
use chronoscope::trace::{DropReason, EventId, EventKind, MessageFate, MessageId, Trace};
use serde::{Deserialize, Serialize};

use super::wire::{
    check_clock, clock_from_wire, clock_to_wire, elements_from_wire, elements_to_wire, DocOp, Wire,
    WireClock, WireDoc, WireOp,
};

/// How often a tab says it is alive.
pub const HEARTBEAT_MS: f64 = 500.0;
/// After how long without a word a peer counts as gone.
pub const GONE_AFTER_MS: f64 = 3000.0;
/// After how long without a word a gone peer stops getting edits (it catches up through
/// retransmission or a state transfer if it comes back).
pub const FORGET_AFTER_MS: f64 = 30_000.0;
/// The most sent edits kept waiting for an acknowledgement to draw.
pub const ACKS_KEPT: usize = 2_000;
/// How long a new tab asks for a state transfer before it goes on alone.
pub const SYNC_WAIT_MS: f64 = 1000.0;
/// How long a new tab waits for a state transfer when peers with edits are around.
pub const SYNC_GIVE_UP_MS: f64 = 10_000.0;
/// A peer lacking more of this tab's edits than this gets a state transfer instead.
pub const STATE_INSTEAD_OF: usize = 200;
/// The least time between two retransmissions to one peer.
pub const RETRANSMIT_MS: f64 = 1000.0;
/// The most events the session diagram records.
pub const TRACE_LIMIT: usize = 600;
/// The most warnings kept for display.
pub const WARNINGS_KEPT: usize = 20;
/// The longest allowed outgoing delay (ms).
pub const MAX_DELAY_MS: u32 = 10_000;

/// Which replica the room uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The RGA sequence CRDT: converges.
    Crdt,
    /// Position-based edits: diverges under concurrency.
    Naive,
}

/// A JSON string to post on the channel after `delay_ms`.
#[derive(Clone, Debug, PartialEq)]
pub struct Outgoing {
    /// The message.
    pub json: String,
    /// How long to wait first.
    pub delay_ms: u32,
}

/// What this tab knows about another.
#[derive(Clone, Debug, PartialEq)]
pub struct PeerInfo {
    /// Its lane in the session diagram.
    pub lane: NodeId,
    /// When it was last heard (ms).
    pub last_seen: f64,
    /// Whether it is considered gone (silent too long, or said bye).
    pub gone: bool,
    /// Whether it said bye.
    pub left: bool,
    /// What it last said it had delivered.
    pub delivered: VectorClock,
    /// Whether its last heartbeat asked for a state transfer.
    pub asking: bool,
    last_retransmit: f64,
    last_state_sent: f64,
}

/// The per-tab network controls (outgoing messages only).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Controls {
    /// Delay before posting, in ms.
    pub delay_ms: u32,
    /// Percentage of edit and state messages dropped.
    pub drop_percent: u32,
    /// Whether every edit message is posted twice.
    pub duplicate: bool,
    /// Peers whose link is held: messages to them wait until released.
    pub held: BTreeSet<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum UndoStep {
    Inserted(OpId),
    Deleted(OpId, char),
}

#[derive(Serialize, Deserialize)]
struct Saved {
    v: u32,
    me: u32,
    delivered: WireClock,
    doc: WireDoc,
    own: Vec<(WireClock, WireOp)>,
}

/// One tab's peer.
pub struct Peer {
    me: u32,
    mode: Mode,
    rga: Rga,
    naive: NaiveText,
    queue: CausalQueue<DocOp>,
    own: Vec<CausalMessage<DocOp>>,
    peers: BTreeMap<u32, PeerInfo>,
    controls: Controls,
    held_out: Vec<(u32, String, Option<MessageId>)>,
    undo: Vec<Vec<UndoStep>>,
    warnings: Vec<String>,
    rejected: u64,
    trace: Trace,
    trace_version: u64,
    lanes: Vec<u32>,
    acks: Vec<(u32, u64, MessageId, String)>,
    rng: Rng,
    started: f64,
    synced: bool,
    last_heartbeat: f64,
    dirty: bool,
    version: u64,
    /// The latest time this peer was given (by any input), for presence decisions.
    now: f64,
}

fn letter(lane: NodeId) -> String {
    lane.to_string()
}

impl Peer {
    /// A fresh peer `me` (non-zero) in a room of the given mode, started at `now`.
    pub fn new(me: u32, mode: Mode, seed: u64, now: f64) -> Peer {
        let me = me.max(1);
        Peer {
            me,
            mode,
            rga: Rga::new(),
            naive: NaiveText::new(),
            queue: CausalQueue::new(NodeId(me)).with_limits(1 << 20, 10_000),
            own: Vec::new(),
            peers: BTreeMap::new(),
            controls: Controls::default(),
            held_out: Vec::new(),
            undo: Vec::new(),
            warnings: Vec::new(),
            rejected: 0,
            trace: Trace::new(1),
            trace_version: 0,
            lanes: vec![me],
            acks: Vec::new(),
            rng: Rng::seed_from_u64(seed),
            started: now,
            synced: false,
            last_heartbeat: f64::NEG_INFINITY,
            dirty: false,
            version: 0,
            now,
        }
    }

    // ---- views -------------------------------------------------------------------------

    /// This tab's peer id.
    pub fn id(&self) -> u32 {
        self.me
    }
    /// The room's mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }
    /// The document's text.
    pub fn text(&self) -> String {
        match self.mode {
            Mode::Crdt => self.rga.text(),
            Mode::Naive => self.naive.text(),
        }
    }
    /// Bumped on every change (for re-rendering).
    pub fn version(&self) -> u64 {
        self.version
    }
    /// The session so far.
    pub fn trace(&self) -> &Trace {
        &self.trace
    }
    /// Bumped when the trace changes.
    pub fn trace_version(&self) -> u64 {
        self.trace_version
    }
    /// The latest warnings, oldest first.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
    /// How many incoming messages were rejected.
    pub fn rejected(&self) -> u64 {
        self.rejected
    }
    /// The peers this tab knows of.
    pub fn peers(&self) -> &BTreeMap<u32, PeerInfo> {
        &self.peers
    }
    /// The network controls.
    pub fn controls(&self) -> &Controls {
        &self.controls
    }
    /// How many messages wait on the held link to `peer`.
    pub fn held_count(&self, peer: u32) -> usize {
        self.held_out.iter().filter(|(to, ..)| *to == peer).count()
    }
    /// Whether the replica holds state worth saving.
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }
    /// Whether a state transfer was adopted (or none was needed).
    pub fn is_synced(&self) -> bool {
        self.synced
    }
    /// Whether there is an own edit to undo.
    pub fn can_undo(&self) -> bool {
        self.mode == Mode::Crdt && !self.undo.is_empty()
    }

    /// A peer's short name in this tab: its diagram lane letter.
    pub fn name_of(&self, peer: u32) -> String {
        match self.lanes.iter().position(|&p| p == peer) {
            Some(i) => letter(NodeId(i as u32)),
            None => format!("#{peer:x}"),
        }
    }

    fn clock_text(&self, clock: &VectorClock) -> String {
        let parts: Vec<String> = clock
            .iter()
            .map(|(n, c)| format!("{}:{c}", self.name_of(n.0)))
            .collect();
        format!("[{}]", parts.join(", "))
    }

    /// The clock this tab would stamp now (gone peers pruned), as text.
    pub fn clock_view(&self) -> String {
        self.clock_text(&self.outgoing_clock(self.queue.delivered()))
    }

    /// The hold-back queue, one line per waiting message:
    /// `received 'y' [A:1, B:1] — waiting for A:1`.
    pub fn holdback_view(&self) -> Vec<String> {
        self.queue
            .waiting()
            .map(|w| {
                format!(
                    "received {} {} from {} — waiting for {}:{}",
                    w.message.payload.describe(),
                    self.clock_text(&w.message.clock),
                    self.name_of(w.message.sender.0),
                    self.name_of(w.waiting_for.origin.0),
                    w.waiting_for.seq
                )
            })
            .collect()
    }

    // ---- helpers -----------------------------------------------------------------------

    fn changed(&mut self) {
        self.version += 1;
    }

    fn warn(&mut self, text: String) {
        self.rejected += 1;
        self.warnings.push(text);
        if self.warnings.len() > WARNINGS_KEPT {
            self.warnings.remove(0);
        }
        self.changed();
    }

    fn lane(&mut self, peer: u32) -> NodeId {
        match self.lanes.iter().position(|&p| p == peer) {
            Some(i) => NodeId(i as u32),
            None => {
                self.lanes.push(peer);
                NodeId(self.lanes.len() as u32 - 1)
            }
        }
    }

    fn lane_clock(&mut self, clock: &VectorClock) -> VectorClock {
        let entries: Vec<(u32, u64)> = clock.iter().map(|(n, c)| (n.0, c)).collect();
        VectorClock::from_entries(entries.into_iter().map(|(p, c)| (self.lane(p), c)))
    }

    fn trace_room(&self, events: usize) -> bool {
        self.trace.events().len() + events <= TRACE_LIMIT
    }

    fn push_event(
        &mut self,
        peer: u32,
        kind: EventKind,
        now: f64,
        clock: &VectorClock,
        label: String,
    ) -> EventId {
        let node = self.lane(peer);
        let vector = self.lane_clock(clock);
        let t = Instant::from_millis((now - self.started).max(0.0) as i64);
        self.trace_version += 1;
        self.trace
            .push_event(node, kind, t, t, vector.total(), vector, label)
    }

    fn push_send(
        &mut self,
        from: u32,
        to: u32,
        now: f64,
        clock: &VectorClock,
        label: String,
    ) -> MessageId {
        let to_lane = self.lane(to);
        let e = self.push_event(from, EventKind::Local, now, clock, label);
        let from_lane = self.lane(from);
        let m = self.trace.push_message(from_lane, to_lane, e, None);
        self.trace.set_send_kind(e, m, to_lane);
        m
    }

    fn push_receive(
        &mut self,
        at: u32,
        from: u32,
        m: MessageId,
        now: f64,
        clock: &VectorClock,
        label: String,
    ) {
        let from_lane = self.lane(from);
        let e = self.push_event(
            at,
            EventKind::Receive {
                message: m,
                from: from_lane,
            },
            now,
            clock,
            label,
        );
        self.trace.set_fate(m, MessageFate::Delivered(e));
    }

    fn live(&self, peer: u32) -> bool {
        self.peers.get(&peer).is_some_and(|p| !p.gone)
    }

    /// Whether `peer` may still get this tab's edits: it has not left and was heard in the
    /// last [`FORGET_AFTER_MS`] (a gone peer may only be slow, or behind a held link).
    fn recipient(&self, peer: &PeerInfo) -> bool {
        !peer.left && self.now - peer.last_seen < FORGET_AFTER_MS
    }

    /// A gone peer's entry may be left out once every peer that may still get this tab's
    /// edits — gone ones within [`FORGET_AFTER_MS`] included, not only live ones — has
    /// delivered all of its edits this tab has (the gone peer itself has its own). Otherwise
    /// a returning peer would get an edit without the dependency that entry stood for.
    fn prunable(&self, node: NodeId) -> bool {
        node.0 != self.me
            && !self.live(node.0)
            && self
                .peers
                .iter()
                .filter(|(id, p)| **id != node.0 && self.recipient(p))
                .all(|(_, p)| p.delivered.get(node) >= self.queue.delivered().get(node))
    }

    fn outgoing_clock(&self, clock: &VectorClock) -> VectorClock {
        VectorClock::from_entries(clock.iter().filter(|(n, _)| !self.prunable(*n)))
    }

    fn touch(&mut self, peer: u32, now: f64) {
        let lane = self.lane(peer);
        let info = self.peers.entry(peer).or_insert_with(|| PeerInfo {
            lane,
            last_seen: now,
            gone: false,
            left: false,
            delivered: VectorClock::new(),
            asking: false,
            last_retransmit: f64::NEG_INFINITY,
            last_state_sent: f64::NEG_INFINITY,
        });
        info.last_seen = now;
        info.gone = false;
        info.left = false;
        self.version += 1;
    }

    /// Posts `wire` to `to` through the network controls.
    fn send(&mut self, to: u32, wire: &Wire, traced: Option<MessageId>, out: &mut Vec<Outgoing>) {
        let lossy = !matches!(wire, Wire::Heartbeat { .. } | Wire::Bye { .. });
        if self.controls.held.contains(&to) {
            if lossy {
                self.held_out.push((to, wire.to_json(), traced));
            }
            return;
        }
        if lossy
            && self.controls.drop_percent > 0
            && self.rng.below(100) < u64::from(self.controls.drop_percent)
        {
            if let Some(m) = traced {
                self.trace
                    .set_fate(m, MessageFate::Dropped(DropReason::Lost));
                self.trace_version += 1;
            }
            return;
        }
        let json = wire.to_json();
        let delay_ms = self.controls.delay_ms;
        if lossy && self.controls.duplicate {
            out.push(Outgoing {
                json: json.clone(),
                delay_ms,
            });
        }
        out.push(Outgoing { json, delay_ms });
    }

    /// Peers that get edits: see [`Self::recipient`].
    fn recipients(&self) -> Vec<u32> {
        self.peers
            .iter()
            .filter(|(_, p)| self.recipient(p))
            .map(|(id, _)| *id)
            .collect()
    }

    /// Stamps and sends one local edit.
    fn broadcast(&mut self, op: DocOp, now: f64, out: &mut Vec<Outgoing>) {
        // Refused only when a state transfer claimed this tab's own count at u64::MAX: the
        // edit stays local, unsent, and the user is told why.
        let mut msg = match self.queue.try_broadcast(op) {
            Ok(msg) => msg,
            Err(e) => {
                self.warn(format!("could not send an edit: {e}"));
                return;
            }
        };
        msg.clock = self.outgoing_clock(&msg.clock);
        let seq = msg.clock.get(NodeId(self.me));
        let recipients = self.recipients();
        if recipients.is_empty() && self.trace_room(1) {
            let clock = msg.clock.clone();
            self.push_event(
                self.me,
                EventKind::Local,
                now,
                &clock,
                format!("edit {}", op.describe()),
            );
        }
        for to in recipients {
            let traced = if self.trace_room(2) {
                let clock = msg.clock.clone();
                let m = self.push_send(self.me, to, now, &clock, format!("send {}", op.describe()));
                if self.acks.len() >= ACKS_KEPT {
                    self.acks.remove(0);
                }
                self.acks.push((to, seq, m, op.describe()));
                Some(m)
            } else {
                None
            };
            let wire = Wire::Op {
                from: self.me,
                to,
                clock: clock_to_wire(&msg.clock),
                op: op.to_wire(),
            };
            self.send(to, &wire, traced, out);
        }
        self.own.push(msg);
        self.dirty = true;
    }

    // ---- local input -------------------------------------------------------------------

    /// The user changed the text to `new_text` (a textarea's value): the difference becomes
    /// deletes and inserts at the place it happened.
    pub fn local_input(&mut self, new_text: &str, now: f64) -> Vec<Outgoing> {
        self.now = self.now.max(now);
        let old: Vec<char> = self.text().chars().collect();
        let new: Vec<char> = new_text.chars().collect();
        let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
        let max_suffix = old.len().min(new.len()) - prefix;
        let suffix = old
            .iter()
            .rev()
            .zip(new.iter().rev())
            .take(max_suffix)
            .take_while(|(a, b)| a == b)
            .count();
        let deleted = old.len() - prefix - suffix;
        let inserted = &new[prefix..new.len() - suffix];
        let mut out = Vec::new();
        let mut steps = Vec::new();
        match self.mode {
            Mode::Crdt => {
                let gone = self
                    .rga
                    .delete_range_local(prefix, deleted)
                    .unwrap_or_default();
                for e in gone {
                    steps.push(UndoStep::Deleted(e.id, e.ch));
                    let op = DocOp::Rga(RgaOp::Delete { target: e.id });
                    self.broadcast(op, now, &mut out);
                }
                let ops = self
                    .rga
                    .insert_run_local(NodeId(self.me), prefix, inserted)
                    .unwrap_or_default();
                for op in ops {
                    if let RgaOp::Insert { id, .. } = op {
                        steps.push(UndoStep::Inserted(id));
                    }
                    self.broadcast(DocOp::Rga(op), now, &mut out);
                }
            }
            Mode::Naive => {
                for _ in 0..deleted {
                    let op = NaiveOp::Delete { index: prefix };
                    self.naive.apply(&op);
                    self.broadcast(DocOp::Naive(op), now, &mut out);
                }
                for (k, &ch) in inserted.iter().enumerate() {
                    let op = NaiveOp::Insert {
                        index: prefix + k,
                        ch,
                    };
                    self.naive.apply(&op);
                    self.broadcast(DocOp::Naive(op), now, &mut out);
                }
            }
        }
        if !steps.is_empty() {
            self.undo.push(steps);
        }
        self.changed();
        out
    }

    /// Undoes this tab's latest edit (and only this tab's): its inserts are deleted, its
    /// deletes re-inserted where they were. Other tabs' edits are untouched.
    pub fn undo(&mut self, now: f64) -> Vec<Outgoing> {
        self.now = self.now.max(now);
        let mut out = Vec::new();
        if self.mode != Mode::Crdt {
            return out;
        }
        let Some(steps) = self.undo.pop() else {
            return out;
        };
        for step in steps.into_iter().rev() {
            let op = match step {
                UndoStep::Inserted(id) => {
                    if self.rga.element(id).is_none_or(|e| e.deleted) {
                        continue;
                    }
                    let op = RgaOp::Delete { target: id };
                    self.rga.apply(&op);
                    op
                }
                UndoStep::Deleted(target, ch) => {
                    match self
                        .rga
                        .insert_after_local(NodeId(self.me), Some(target), ch)
                    {
                        Ok(op) => op,
                        Err(_) => continue,
                    }
                }
            };
            self.broadcast(DocOp::Rga(op), now, &mut out);
        }
        self.changed();
        out
    }

    // ---- controls ----------------------------------------------------------------------

    /// Sets the outgoing delay (clamped to [`MAX_DELAY_MS`]).
    pub fn set_delay(&mut self, ms: u32) {
        self.controls.delay_ms = ms.min(MAX_DELAY_MS);
        self.changed();
    }
    /// Sets the drop percentage (clamped to 100).
    pub fn set_drop(&mut self, percent: u32) {
        self.controls.drop_percent = percent.min(100);
        self.changed();
    }
    /// Turns duplication on or off.
    pub fn set_duplicate(&mut self, on: bool) {
        self.controls.duplicate = on;
        self.changed();
    }
    /// Holds the link to `peer`.
    pub fn hold(&mut self, peer: u32) {
        self.controls.held.insert(peer);
        self.changed();
    }
    /// Releases the link to `peer`: what waited on it is posted now (with the delay).
    pub fn release(&mut self, peer: u32) -> Vec<Outgoing> {
        self.controls.held.remove(&peer);
        let (go, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut self.held_out)
            .into_iter()
            .partition(|(to, ..)| *to == peer);
        self.held_out = keep;
        self.changed();
        go.into_iter()
            .map(|(_, json, _)| Outgoing {
                json,
                delay_ms: self.controls.delay_ms,
            })
            .collect()
    }

    // ---- time --------------------------------------------------------------------------

    /// Periodic work: heartbeats, presence timeouts, ending the wait for a state transfer.
    pub fn tick(&mut self, now: f64) -> Vec<Outgoing> {
        self.now = self.now.max(now);
        let mut out = Vec::new();
        // Alone, or only with peers that have nothing this tab lacks: nothing to wait for.
        let mine = self.queue.delivered();
        let someone_has_edits = self
            .peers
            .values()
            .any(|p| !p.gone && !mine.dominates(&p.delivered));
        let waited = now - self.started;
        if !self.synced
            && waited >= SYNC_WAIT_MS
            && (!someone_has_edits || waited >= SYNC_GIVE_UP_MS)
        {
            self.synced = true;
            self.changed();
        }
        for (id, p) in self.peers.iter_mut() {
            if !p.gone && now - p.last_seen > GONE_AFTER_MS {
                p.gone = true;
                let _ = id;
                self.version += 1;
            }
        }
        if now - self.last_heartbeat >= HEARTBEAT_MS {
            self.last_heartbeat = now;
            let delivered = clock_to_wire(self.queue.delivered());
            let hello = !self.synced;
            if hello {
                let wire = Wire::Heartbeat {
                    from: self.me,
                    to: 0,
                    delivered: delivered.clone(),
                    hello,
                };
                out.push(Outgoing {
                    json: wire.to_json(),
                    delay_ms: self.controls.delay_ms,
                });
            }
            // Every peer that has not left hears the heartbeat, forgotten ones too: a tab
            // back from sleep and the tabs that forgot it find each other again.
            let known: Vec<u32> = self
                .peers
                .iter()
                .filter(|(_, p)| !p.left)
                .map(|(id, _)| *id)
                .collect();
            for to in known {
                let wire = Wire::Heartbeat {
                    from: self.me,
                    to,
                    delivered: delivered.clone(),
                    hello,
                };
                self.send(to, &wire, None, &mut out);
            }
        }
        out
    }

    /// The message to post when the tab closes.
    pub fn bye(&self) -> String {
        Wire::Bye { from: self.me }.to_json()
    }

    // ---- incoming ----------------------------------------------------------------------

    /// Handles one string received on the channel. Invalid input is rejected with a
    /// warning and changes nothing else.
    pub fn receive(&mut self, raw: &str, now: f64) -> Vec<Outgoing> {
        self.now = self.now.max(now);
        let mut out = Vec::new();
        let wire = match Wire::parse(raw) {
            Ok(w) => w,
            Err(e) => {
                self.warn(format!("rejected a message: {e}"));
                return out;
            }
        };
        if wire.to() != 0 && wire.to() != self.me {
            return out; // addressed to another tab
        }
        let from = wire.from();
        if from == self.me {
            self.warn("rejected a message claiming to come from this tab".to_string());
            return out;
        }
        match wire {
            Wire::Op { clock, op, .. } => self.on_op(from, clock, op, now, &mut out),
            Wire::Heartbeat {
                delivered, hello, ..
            } => self.on_heartbeat(from, delivered, hello, now, &mut out),
            Wire::State { delivered, doc, .. } => self.on_state(from, delivered, doc, now),
            Wire::Bye { .. } => {
                if let Some(p) = self.peers.get_mut(&from) {
                    p.gone = true;
                    p.left = true;
                }
                self.changed();
            }
        }
        out
    }

    fn on_op(
        &mut self,
        from: u32,
        clock: WireClock,
        op: WireOp,
        now: f64,
        out: &mut Vec<Outgoing>,
    ) {
        let op = DocOp::from_wire(&op);
        let wrong_mode = matches!(
            (self.mode, op),
            (Mode::Crdt, DocOp::Naive(_)) | (Mode::Naive, DocOp::Rga(_))
        );
        if wrong_mode {
            self.warn(format!(
                "rejected an edit from {}: it is for a room in the other mode",
                self.name_of(from)
            ));
            return;
        }
        let message = CausalMessage {
            sender: NodeId(from),
            clock: clock_from_wire(&clock),
            payload: op,
        };
        if let Err(e) = self.queue.validate(&message) {
            self.warn(format!("rejected an edit from {}: {e}", self.name_of(from)));
            return;
        }
        self.touch(from, now);
        let sent_clock = message.clock.clone();
        let receipt = match self.queue.receive(message, Instant::ZERO) {
            Ok(r) => r,
            Err(e) => {
                self.warn(format!("rejected an edit from {}: {e}", self.name_of(from)));
                return;
            }
        };
        let what = op.describe();
        let (label, delivered) = match receipt {
            Receipt::Duplicate => (format!("duplicate {what} ignored"), Vec::new()),
            Receipt::Held { waiting_for } => (
                format!(
                    "received {what} {} — waiting for {}:{}",
                    self.clock_text(&sent_clock),
                    self.name_of(waiting_for.origin.0),
                    waiting_for.seq
                ),
                Vec::new(),
            ),
            Receipt::Delivered(list) => (format!("deliver {what}"), list),
        };
        if self.trace_room(2) {
            let m = self.push_send(from, self.me, now, &sent_clock, format!("send {what}"));
            let mine = self.queue.delivered().clone();
            self.push_receive(self.me, from, m, now, &mine, label);
        }
        for (k, msg) in delivered.into_iter().enumerate() {
            if k > 0 && self.trace_room(1) {
                let mine = self.queue.delivered().clone();
                let label = format!(
                    "deliver {} from {} (was waiting)",
                    msg.payload.describe(),
                    self.name_of(msg.sender.0)
                );
                self.push_event(self.me, EventKind::Local, now, &mine, label);
            }
            self.apply_remote(&msg);
        }
        let _ = out;
        self.changed();
    }

    fn apply_remote(&mut self, msg: &CausalMessage<DocOp>) {
        match msg.payload {
            DocOp::Rga(op) => match self.rga.validate_op(&op) {
                Ok(()) => self.rga.apply(&op),
                Err(e) => {
                    let who = self.name_of(msg.sender.0);
                    self.warn(format!("dropped an edit from {who}: {e}"));
                }
            },
            DocOp::Naive(op) => self.naive.apply(&op),
        }
        self.dirty = true;
    }

    fn on_heartbeat(
        &mut self,
        from: u32,
        delivered: WireClock,
        hello: bool,
        now: f64,
        out: &mut Vec<Outgoing>,
    ) {
        self.touch(from, now);
        let theirs = clock_from_wire(&delivered);
        let mine_seen = theirs.get(NodeId(self.me));
        if let Some(p) = self.peers.get_mut(&from) {
            p.delivered.merge(&theirs);
            p.asking = hello;
        }
        // Acknowledged edits: draw their delivery on the peer's lane.
        let (acked, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.acks)
            .into_iter()
            .partition(|(to, seq, ..)| *to == from && *seq <= mine_seen);
        self.acks = rest;
        for (_, _, m, what) in acked {
            if self.trace_room(1) {
                self.push_receive(from, self.me, m, now, &theirs, format!("deliver {what}"));
            }
        }
        let held = self.controls.held.contains(&from);
        // Retransmit my edits it lacks (after drops, or to a late joiner).
        let lacking_count = self
            .own
            .iter()
            .filter(|m| m.clock.get(NodeId(self.me)) > mine_seen)
            .count();
        // It lacks edits whose author is gone (nobody will retransmit them): only a state
        // transfer brings them.
        let orphaned =
            self.queue.delivered().iter().any(|(n, c)| {
                n.0 != self.me && n.0 != from && !self.live(n.0) && theirs.get(n) < c
            });
        // Far behind, or missing orphaned edits, and everything it has is here too: a state
        // transfer.
        let wants_state = hello
            || ((lacking_count > STATE_INSTEAD_OF || orphaned)
                && self.queue.delivered().dominates(&theirs));
        let lacking: Vec<CausalMessage<DocOp>> = if wants_state {
            Vec::new()
        } else {
            self.own
                .iter()
                .filter(|m| m.clock.get(NodeId(self.me)) > mine_seen)
                .take(500)
                .cloned()
                .collect()
        };
        let due = self.peers.get(&from).is_some_and(|p| {
            now - p.last_retransmit >= RETRANSMIT_MS + f64::from(self.controls.delay_ms)
        });
        if !lacking.is_empty() && !held && due {
            if let Some(p) = self.peers.get_mut(&from) {
                p.last_retransmit = now;
            }
            for msg in lacking {
                let wire = Wire::Op {
                    from: self.me,
                    to: from,
                    clock: clock_to_wire(&msg.clock),
                    op: msg.payload.to_wire(),
                };
                self.send(from, &wire, None, out);
            }
        }
        // A peer asking to sync gets a state transfer from one synced tab: the one that has
        // delivered the most (then the smallest id), so joiners are not flooded with states.
        let state_due = self
            .peers
            .get(&from)
            .is_some_and(|p| now - p.last_state_sent >= RETRANSMIT_MS);
        let rank = |total: u64, id: u32| (total, std::cmp::Reverse(id));
        let mine = rank(self.queue.delivered().total(), self.me);
        let responder = !hello
            || (self.synced
                && self
                    .peers
                    .iter()
                    .filter(|(id, p)| **id != from && !p.gone && !p.asking)
                    .all(|(id, p)| rank(p.delivered.total(), *id) < mine));
        if wants_state && responder && state_due && !self.queue.delivered().is_empty() {
            if let Some(p) = self.peers.get_mut(&from) {
                p.last_state_sent = now;
            }
            let wire = Wire::State {
                from: self.me,
                to: from,
                delivered: clock_to_wire(self.queue.delivered()),
                doc: self.doc_to_wire(),
            };
            let traced = if self.trace_room(2) {
                let clock = self.queue.delivered().clone();
                Some(self.push_send(self.me, from, now, &clock, "state transfer".to_string()))
            } else {
                None
            };
            self.send(from, &wire, traced, out);
        }
    }

    fn doc_to_wire(&self) -> WireDoc {
        match self.mode {
            Mode::Crdt => WireDoc::Rga {
                elements: elements_to_wire(self.rga.elements()),
            },
            Mode::Naive => WireDoc::Naive {
                text: self.naive.text(),
            },
        }
    }

    /// Replaces the replica with `doc` at `delivered` if that is at least what this tab has.
    fn adopt(&mut self, delivered: &VectorClock, doc: &WireDoc) -> Result<bool, String> {
        if !delivered.dominates(self.queue.delivered()) || delivered == self.queue.delivered() {
            return Ok(false);
        }
        match (self.mode, doc) {
            (Mode::Crdt, WireDoc::Rga { elements }) => {
                self.rga =
                    Rga::from_elements(elements_from_wire(elements)).map_err(|e| e.to_string())?;
            }
            (Mode::Naive, WireDoc::Naive { text }) => self.naive = NaiveText::from_text(text),
            _ => return Err("state for a room in the other mode".to_string()),
        }
        let released = self.queue.fast_forward(delivered);
        for msg in &released {
            self.apply_remote(msg);
        }
        self.dirty = true;
        Ok(true)
    }

    fn on_state(&mut self, from: u32, delivered: WireClock, doc: WireDoc, now: f64) {
        self.touch(from, now);
        let clock = clock_from_wire(&delivered);
        match self.adopt(&clock, &doc) {
            Ok(adopted) => {
                self.synced = true;
                if self.trace_room(2) {
                    let m = self.push_send(from, self.me, now, &clock, "state transfer".into());
                    let label = if adopted {
                        "adopt state"
                    } else {
                        "state not needed"
                    };
                    let mine = self.queue.delivered().clone();
                    self.push_receive(self.me, from, m, now, &mine, label.into());
                }
            }
            Err(e) => self.warn(format!(
                "rejected a state transfer from {}: {e}",
                self.name_of(from)
            )),
        }
        self.changed();
    }

    // ---- persistence -------------------------------------------------------------------

    /// The replica as JSON for local storage.
    pub fn save(&mut self) -> String {
        self.dirty = false;
        let saved = Saved {
            v: 1,
            me: self.me,
            delivered: clock_to_wire(self.queue.delivered()),
            doc: self.doc_to_wire(),
            own: self
                .own
                .iter()
                .map(|m| (clock_to_wire(&m.clock), m.payload.to_wire()))
                .collect(),
        };
        serde_json::to_string(&saved).unwrap_or_default()
    }

    /// The peer id a saved replica belongs to.
    pub fn saved_owner(json: &str) -> Option<u32> {
        serde_json::from_str::<Saved>(json).ok().map(|s| s.me)
    }

    /// Restores a saved replica (this tab's own, or the room's latest when this tab is
    /// new: then only the document, not the edit log). Checked like a state transfer.
    pub fn restore(&mut self, json: &str) -> Result<(), String> {
        let saved: Saved = serde_json::from_str(json).map_err(|e| e.to_string())?;
        check_clock(&saved.delivered).map_err(|e| e.to_string())?;
        let raw = Wire::State {
            from: saved.me.max(1),
            to: 0,
            delivered: saved.delivered.clone(),
            doc: saved.doc.clone(),
        };
        Wire::parse(&raw.to_json()).map_err(|e| e.to_string())?;
        let clock = clock_from_wire(&saved.delivered);
        if saved.me == self.me {
            let mut own = Vec::new();
            for (c, op) in &saved.own {
                check_clock(c).map_err(|e| e.to_string())?;
                own.push(CausalMessage {
                    sender: NodeId(self.me),
                    clock: clock_from_wire(c),
                    payload: DocOp::from_wire(op),
                });
            }
            self.own = own;
        } else if clock.get(NodeId(self.me)) > 0 {
            return Err("saved replica already contains edits by this tab's id".into());
        }
        self.adopt(&clock, &saved.doc)?;
        self.dirty = false;
        self.changed();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake channel: every posted string reaches every other peer (after its delay, in
    /// order of due time), as `BroadcastChannel` does between tabs.
    struct Net {
        peers: Vec<Peer>,
        queue: Vec<(f64, usize, String)>,
        now: f64,
        /// Tabs that neither tick nor hear anything (frozen, or their machine asleep): what
        /// is posted while they sleep never reaches them.
        asleep: BTreeSet<usize>,
    }

    impl Net {
        fn new(n: usize, mode: Mode) -> Net {
            let peers = (0..n)
                .map(|i| Peer::new(100 + i as u32, mode, i as u64, 0.0))
                .collect();
            Net {
                peers,
                queue: Vec::new(),
                now: 0.0,
                asleep: BTreeSet::new(),
            }
        }
        fn post(&mut self, from: usize, out: Vec<Outgoing>) {
            for o in out {
                self.queue
                    .push((self.now + f64::from(o.delay_ms), from, o.json));
            }
        }
        fn run(&mut self, ms: u32) {
            let end = self.now + f64::from(ms);
            while self.now < end {
                self.now += 10.0;
                for i in 0..self.peers.len() {
                    if self.asleep.contains(&i) {
                        continue;
                    }
                    let out = self.peers[i].tick(self.now);
                    self.post(i, out);
                }
                self.queue.sort_by(|a, b| a.0.total_cmp(&b.0));
                let due: Vec<_> = self
                    .queue
                    .iter()
                    .take_while(|m| m.0 <= self.now)
                    .cloned()
                    .collect();
                self.queue.drain(..due.len());
                for (_, from, json) in due {
                    for i in 0..self.peers.len() {
                        if i != from && !self.asleep.contains(&i) {
                            let out = self.peers[i].receive(&json, self.now);
                            self.post(i, out);
                        }
                    }
                }
            }
        }
        fn type_at_end(&mut self, i: usize, s: &str) {
            for ch in s.chars() {
                let text = format!("{}{ch}", self.peers[i].text());
                let out = self.peers[i].local_input(&text, self.now);
                self.post(i, out);
            }
        }
        fn texts(&self) -> Vec<String> {
            self.peers.iter().map(Peer::text).collect()
        }
    }

    fn is_subsequence(word: &str, text: &str) -> bool {
        let mut it = text.chars();
        word.chars().all(|c| it.any(|t| t == c))
    }

    #[test]
    fn three_tabs_with_holds_drops_and_duplicates_converge() {
        let mut net = Net::new(3, Mode::Crdt);
        net.run(2000);
        let ids: Vec<u32> = net.peers.iter().map(Peer::id).collect();
        net.peers[0].hold(ids[2]);
        net.peers[1].set_duplicate(true);
        net.peers[2].set_drop(40);
        net.peers[2].set_delay(120);
        net.type_at_end(0, "alpha");
        net.type_at_end(1, "bravo");
        net.type_at_end(2, "charlie");
        net.run(300);
        assert!(
            net.peers[2]
                .holdback_view()
                .iter()
                .any(|l| l.contains("waiting for"))
                || net.peers[2].text() != net.peers[0].text()
        );
        let out = net.peers[0].release(ids[2]);
        net.post(0, out);
        net.peers[2].set_drop(0);
        net.run(4000);
        let texts = net.texts();
        assert!(texts.iter().all(|t| t == &texts[0]), "{texts:?}");
        for w in ["alpha", "bravo", "charlie"] {
            assert!(is_subsequence(w, &texts[0]), "{w} in {}", texts[0]);
        }
        assert_eq!(texts[0].chars().count(), 17);
        assert!(net.peers.iter().all(|p| p.holdback_view().is_empty()));
    }

    /// Whether `peer`'s stamping clock (as shown) has an entry for `other`.
    fn clock_names(peer: &Peer, other: u32) -> bool {
        peer.clock_view()
            .contains(&format!("{}:", peer.name_of(other)))
    }

    #[test]
    fn a_silent_peer_goes_gone_its_entry_is_pruned_and_it_converges_when_back() {
        for away_ms in [5_000, 40_000] {
            let mut net = Net::new(3, Mode::Crdt);
            net.run(2000);
            let c = net.peers[2].id();
            net.type_at_end(2, "c");
            net.type_at_end(0, "a");
            net.run(1000);
            assert_eq!(net.texts(), vec!["ca"; 3]);
            assert!(clock_names(&net.peers[0], c));
            // C falls silent: no bye, no heartbeat.
            net.asleep.insert(2);
            net.run(GONE_AFTER_MS as u32 + 1000);
            let info = &net.peers[0].peers()[&c];
            assert!(info.gone && !info.left, "{info:?}");
            // Everyone live (B) has C's edit, and C has its own: the entry is left out.
            assert!(
                !clock_names(&net.peers[0], c),
                "{}",
                net.peers[0].clock_view()
            );
            assert!(
                !clock_names(&net.peers[1], c),
                "{}",
                net.peers[1].clock_view()
            );
            // Edits made while C is away; C misses them all.
            net.type_at_end(0, "!");
            net.type_at_end(1, "?");
            net.run(away_ms);
            assert_eq!(net.peers[2].text(), "ca");
            net.asleep.remove(&2);
            net.run(4000);
            let texts = net.texts();
            assert!(texts.iter().all(|t| t == &texts[0]), "{away_ms}: {texts:?}");
            assert_eq!(texts[0].chars().count(), 4, "{texts:?}");
            assert!(!net.peers[0].peers()[&c].gone);
            assert!(net.peers.iter().all(|p| p.warnings().is_empty()));
            assert!(net.peers.iter().all(|p| p.holdback_view().is_empty()));
        }
    }

    #[test]
    fn a_gone_peer_gets_no_edit_whose_dependency_was_pruned() {
        // A, B, C, D. C is silent (its links held: it hears, nobody hears it); D's edit never
        // reaches C, then D leaves. A's next edit depends on D's: it must not reach C without
        // that dependency, and C must end up with both.
        let mut net = Net::new(4, Mode::Crdt);
        net.run(2000);
        let ids: Vec<u32> = net.peers.iter().map(Peer::id).collect();
        for &other in [ids[0], ids[1], ids[3]].iter() {
            net.peers[2].hold(other);
        }
        net.peers[3].hold(ids[2]);
        net.type_at_end(3, "d");
        net.run(200);
        assert_eq!(net.texts(), vec!["d", "d", "", "d"]);
        let bye = net.peers[3].bye();
        net.post(
            3,
            vec![Outgoing {
                json: bye,
                delay_ms: 0,
            }],
        );
        net.run(50);
        net.asleep.insert(3);
        net.run(GONE_AFTER_MS as u32 + 500);
        assert!(net.peers[0].peers()[&ids[2]].gone);
        assert!(net.peers[0].peers()[&ids[3]].left);
        net.type_at_end(0, "x");
        net.run(300);
        assert!(
            net.peers[2].warnings().is_empty(),
            "C dropped an edit: {:?}",
            net.peers[2].warnings()
        );
        // C comes back.
        for &other in [ids[0], ids[1], ids[3]].iter() {
            let out = net.peers[2].release(other);
            net.post(2, out);
        }
        net.run(4000);
        assert_eq!(net.peers[0].text(), "dx");
        assert_eq!(net.peers[1].text(), "dx");
        assert_eq!(net.peers[2].text(), "dx", "{:?}", net.peers[2].warnings());
        assert!(net.peers[2].holdback_view().is_empty());
        // With C caught up, D's entry is pruned again.
        assert!(
            !clock_names(&net.peers[0], ids[3]),
            "{}",
            net.peers[0].clock_view()
        );
    }

    #[test]
    fn the_session_exports_as_a_valid_execution_once_clocks_count_events() {
        use chronoscope::trace::dag::Execution;
        use chronoscope::trace::CausalIndex;
        let mut net = Net::new(3, Mode::Crdt);
        net.run(2000);
        net.peers[1].set_duplicate(true);
        net.type_at_end(0, "ab");
        net.type_at_end(1, "cd");
        net.run(1500);
        for p in &net.peers {
            let trace = p.trace();
            assert!(trace.messages().len() >= 4);
            // The tabs' clocks count delivered edits: ShiViz's rules reject them …
            assert!(Execution::from_trace(trace).is_err());
            // … the export's recomputed clocks are valid and order events as the diagram does.
            let exec = Execution::from_trace(&trace.with_event_clocks()).unwrap();
            let index = CausalIndex::build(trace);
            for a in trace.events() {
                for b in trace.events() {
                    assert_eq!(
                        exec.happens_before(a.id, b.id),
                        index.happens_before(a.id, b.id)
                    );
                }
            }
        }
    }

    #[test]
    fn a_held_dependency_makes_a_reply_wait_then_it_is_delivered() {
        let mut net = Net::new(3, Mode::Crdt);
        net.run(2000);
        let c = net.peers[2].id();
        net.peers[0].hold(c);
        net.type_at_end(0, "x");
        net.run(100);
        assert_eq!(net.peers[1].text(), "x");
        net.type_at_end(1, "y");
        net.run(100);
        let waiting = net.peers[2].holdback_view();
        assert_eq!(waiting.len(), 1, "{waiting:?}");
        assert!(waiting[0].contains("waiting for B:1"), "{waiting:?}");
        assert_eq!(net.peers[2].text(), "");
        let out = net.peers[0].release(c);
        net.post(0, out);
        net.run(100);
        assert_eq!(net.peers[2].text(), "xy");
        assert!(net.peers[2].holdback_view().is_empty());
    }

    #[test]
    fn late_joiner_catches_up_and_garbage_changes_nothing() {
        let mut net = Net::new(2, Mode::Crdt);
        net.run(2000);
        net.type_at_end(0, "hello");
        net.run(200);
        net.peers.push(Peer::new(999, Mode::Crdt, 9, net.now));
        net.run(2000);
        assert_eq!(net.texts(), vec!["hello"; 3]);
        // A paste and a cut replacing a selection: one input, many edits.
        let out = net.peers[1].local_input("he[pasted]o", net.now);
        net.post(1, out);
        net.run(300);
        assert_eq!(net.texts(), vec!["he[pasted]o"; 3]);
        let before = net.peers[2].text();
        for bad in ["garbage", "{\"t\":\"op\"", &"x".repeat(20_000), "{\"t\":\"op\",\"from\":5,\"to\":0,\"clock\":[[5,3000000]],\"op\":{\"k\":\"del\",\"target\":[1,5]}}"] {
            net.peers[2].receive(bad, net.now);
        }
        assert_eq!(net.peers[2].text(), before);
        assert_eq!(net.peers[2].rejected(), 4);
    }

    #[test]
    fn undo_touches_only_own_edits_and_save_restores() {
        let mut net = Net::new(2, Mode::Crdt);
        net.run(2000);
        net.type_at_end(0, "ab");
        net.run(100);
        net.type_at_end(1, "cd");
        net.run(100);
        net.type_at_end(0, "e");
        net.run(100);
        let out = net.peers[0].undo(net.now);
        net.post(0, out);
        net.run(100);
        assert_eq!(net.texts(), vec!["abcd", "abcd"]);
        let out = net.peers[0].undo(net.now);
        net.post(0, out);
        net.run(100);
        assert_eq!(net.texts(), vec!["acd", "acd"]);
        let out = net.peers[0].undo(net.now);
        net.post(0, out);
        net.run(100);
        assert_eq!(net.texts(), vec!["cd", "cd"]);
        assert!(!net.peers[0].can_undo());
        // B's undo of its delete-free history restores nothing of A's.
        let out = net.peers[1].local_input("d", net.now);
        net.post(1, out);
        let out = net.peers[1].undo(net.now);
        net.post(1, out);
        net.run(100);
        assert_eq!(net.texts(), vec!["cd", "cd"]);
        let saved = net.peers[0].save();
        let mut again = Peer::new(net.peers[0].id(), Mode::Crdt, 5, net.now);
        again.restore(&saved).unwrap();
        assert_eq!(again.text(), "cd");
        let mut stranger = Peer::new(4242, Mode::Crdt, 5, net.now);
        stranger.restore(&saved).unwrap();
        assert_eq!(stranger.text(), "cd");
    }

    #[test]
    fn two_tabs_restored_from_the_same_replica_do_not_wait_for_each_other() {
        let mut net = Net::new(1, Mode::Crdt);
        net.run(1200);
        net.type_at_end(0, "saved");
        let saved = net.peers[0].save();
        let start = net.now;
        net.peers = (0..2)
            .map(|i| {
                let mut p = Peer::new(500 + i, Mode::Crdt, u64::from(i), start);
                p.restore(&saved).unwrap();
                p
            })
            .collect();
        net.run(1500);
        assert!(net.peers.iter().all(Peer::is_synced));
        net.type_at_end(1, "!");
        net.run(200);
        assert_eq!(net.texts(), vec!["saved!"; 2]);
    }

    #[test]
    fn naive_mode_diverges_under_concurrent_edits() {
        let mut net = Net::new(2, Mode::Naive);
        net.run(2000);
        net.type_at_end(0, "ab");
        net.run(100);
        let ids: Vec<u32> = net.peers.iter().map(Peer::id).collect();
        net.peers[0].hold(ids[1]);
        net.peers[1].hold(ids[0]);
        let out = net.peers[0].local_input("aXb", net.now);
        net.post(0, out);
        let out = net.peers[1].local_input("aYb", net.now);
        net.post(1, out);
        let out = net.peers[0].release(ids[1]);
        net.post(0, out);
        let out = net.peers[1].release(ids[0]);
        net.post(1, out);
        net.run(500);
        let t = net.texts();
        assert_ne!(t[0], t[1]);
        assert_eq!(t[0].len(), 4);
    }
}
