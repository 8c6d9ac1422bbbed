//! The tab runtime: drives any core [`Protocol`] between browser tabs, as the simulator
//! drives it between simulated nodes (one protocol, several drivers — stateright runs one
//! `Actor` under its checker and over UDP). It only moves bytes, timers and saved state:
//!
//! - **messages** go through one [`WireCodec`] (encode; size check before parsing, decode,
//!   validate, each failure a typed [`Refusal`] that is counted and shown), inside a small
//!   envelope naming the sender's and receiver's seats (the core's
//!   [`chronoscope::membership::seats`], fed the tab's local clock);
//! - **faults are data**: the tab's delay, drop rate, duplication and held links are a core
//!   [`Network`] judged by the simulator's own [`Network::judge`] for every outgoing message;
//!   messages to a seat nobody sits in wait as on a held link;
//! - **timers** (`SetTimer`/`CancelTimer`) become deadlines in local ms, fired by [`poll`];
//! - **untrusted input** is queued (bounded), then handled in batches ([`pump`]) so that
//!   the page can give each frame a budget and never freezes; nothing here panics on input.
//!
//! Pure: time is an input (ms), posts come out as strings with a delay; [`super::browser`]
//! does the `BroadcastChannel`, the timeouts and the storage. Native tests drive several
//! runtimes through a fake channel.
//!
//! [`poll`]: TabRuntime::poll
//! [`pump`]: TabRuntime::pump

use std::collections::{BTreeMap, VecDeque};
use std::fmt;

use chronoscope::node::NodeId;
use chronoscope::protocol::{Context, Effect, Outbox, Protocol};
use chronoscope::rng::Rng;
use chronoscope::sim::{Latency, LinkRule, Network, Verdict};
use chronoscope::time::{Instant, Span};
use serde_json::value::RawValue;

use super::envelope::{Envelope, Kind};
pub use super::envelope::{Post, Refusal};
use chronoscope::membership::seats::{Heard, Seats, ANNOUNCE};

/// A protocol's messages on the wire: JSON strings, checked before they reach the protocol.
pub trait WireCodec {
    /// The protocol it serves.
    type Protocol: Protocol;
    /// Why a message or a saved state was refused.
    type Error: fmt::Display;
    /// The longest encoded message accepted, in bytes (checked before parsing).
    fn max_bytes(&self) -> usize;
    /// The message as JSON.
    fn encode(&self, message: &<Self::Protocol as Protocol>::Message) -> String;
    /// Parses JSON into a message (shape only).
    fn decode(&self, json: &str) -> Result<<Self::Protocol as Protocol>::Message, Self::Error>;
    /// Checks a decoded message's meaning (ranges, sizes) before the protocol sees it.
    fn validate(&self, message: &<Self::Protocol as Protocol>::Message) -> Result<(), Self::Error>;
    /// The state of the protocol running as `node`, as a value to store, if it can be saved.
    fn save(&self, _node: NodeId, _protocol: &Self::Protocol) -> Option<String> {
        None
    }
    /// Whether the protocol says when to save (see [`asks_to_save`](Self::asks_to_save));
    /// otherwise (the default) its state is saved after any input.
    fn saves_when_asked(&self) -> bool {
        false
    }
    /// Whether this output asks the driver to save (e.g. the protocol's `Save` output).
    fn asks_to_save(&self, _output: &<Self::Protocol as Protocol>::Output) -> bool {
        false
    }
    /// A protocol for `node` restored from [`save`](Self::save)'s output (`Ok(None)`: not
    /// supported).
    fn restore(&self, _node: NodeId, _json: &str) -> Result<Option<Self::Protocol>, Self::Error> {
        Ok(None)
    }
}

/// The most messages waiting to be handled; more are refused as a flood.
pub const INBOX_MAX: usize = 4_000;
/// The most messages waiting on held links; the oldest are dropped beyond.
pub const HELD_MAX: usize = 10_000;
/// The longest delay a tab may add (ms).
pub const MAX_DELAY_MS: u32 = 10_000;
/// The most refusal texts kept for display.
const NOTES_KEPT: usize = 8;
/// Bytes an envelope adds around a message, at most (checked with the message's limit).
const ENVELOPE_BYTES: usize = 160;

/// Counters the page shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Counters {
    /// Protocol messages sent (before faults).
    pub sent: u64,
    /// Copies posted (after faults: duplicates count twice).
    pub posted: u64,
    /// Messages the tab's drop rate dropped.
    pub dropped: u64,
    /// Protocol messages handed to the protocol.
    pub delivered: u64,
    /// Refusals by kind.
    pub refused: BTreeMap<&'static str, u64>,
}

impl Counters {
    /// All refusals.
    pub fn refused_total(&self) -> u64 {
        self.refused.values().sum()
    }
}

/// One tab's runtime for protocol `C::Protocol`.
pub struct TabRuntime<C: WireCodec> {
    codec: C,
    protocol: C::Protocol,
    started: bool,
    seats: Seats,
    epoch: f64,
    rng: Rng,
    fault_rng: Rng,
    network: Network,
    timers: Vec<(f64, u64, <C::Protocol as Protocol>::Timer)>,
    next_timer: u64,
    inbox: VecDeque<String>,
    held: Vec<(NodeId, String)>,
    posts: Vec<Post>,
    outputs: Vec<<C::Protocol as Protocol>::Output>,
    counters: Counters,
    notes: VecDeque<String>,
    dirty: bool,
    preloaded: bool,
    frozen_until: Option<f64>,
}

impl<C: WireCodec> TabRuntime<C> {
    /// A runtime for a tab with `token` in a room of `seats` seats, created at `now` (ms),
    /// running `protocol` once seated; `resume` is the seat held before a reload.
    pub fn new(
        codec: C,
        protocol: C::Protocol,
        seats: u32,
        token: u32,
        seed: u64,
        now: f64,
        resume: Option<NodeId>,
    ) -> Self {
        let seats = Seats::new(seats, token, Instant::ZERO, resume);
        Self::with_seats(codec, protocol, seats, seed, now)
    }

    /// A runtime for a tab of an open room (no fixed seats; see [`Seats::open`]).
    pub fn open(codec: C, protocol: C::Protocol, token: u32, seed: u64, now: f64) -> Self {
        Self::with_seats(
            codec,
            protocol,
            Seats::open(token, Instant::ZERO),
            seed,
            now,
        )
    }

    fn with_seats(codec: C, protocol: C::Protocol, seats: Seats, seed: u64, now: f64) -> Self {
        let mut rng = Rng::seed_from_u64(seed);
        let fault_rng = rng.fork(1);
        TabRuntime {
            codec,
            protocol,
            started: false,
            seats,
            epoch: now,
            rng,
            fault_rng,
            network: Network::constant(Span::ZERO),
            timers: Vec::new(),
            next_timer: 0,
            inbox: VecDeque::new(),
            held: Vec::new(),
            posts: Vec::new(),
            outputs: Vec::new(),
            counters: Counters::default(),
            notes: VecDeque::new(),
            dirty: false,
            preloaded: false,
            frozen_until: None,
        }
    }

    /// Marks the protocol as already restored by the page: nothing is loaded when the tab
    /// sits down.
    pub fn preloaded(mut self) -> Self {
        self.preloaded = true;
        self
    }

    /// The protocol.
    pub fn protocol(&self) -> &C::Protocol {
        &self.protocol
    }
    /// The seats as this tab sees them.
    pub fn seats(&self) -> &Seats {
        &self.seats
    }
    /// This tab's fault rules (the simulator's network model).
    pub fn network(&self) -> &Network {
        &self.network
    }
    /// The counters.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }
    /// The latest refusals, newest last.
    pub fn notes(&self) -> impl Iterator<Item = &String> {
        self.notes.iter()
    }
    /// Messages waiting to be handled.
    pub fn backlog(&self) -> usize {
        self.inbox.len()
    }
    /// Messages waiting on held links (or for an absent seat), per seat.
    pub fn held(&self) -> BTreeMap<NodeId, usize> {
        let mut by = BTreeMap::new();
        for (to, _) in &self.held {
            *by.entry(*to).or_insert(0) += 1;
        }
        by
    }
    /// Whether the protocol changed since the last [`saved`](Self::saved).
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// Whether the protocol has started (the tab sat down).
    pub fn started(&self) -> bool {
        self.started
    }

    /// Takes the posts to make.
    pub fn take_posts(&mut self) -> Vec<Post> {
        std::mem::take(&mut self.posts)
    }
    /// Takes what the protocol reported.
    pub fn take_outputs(&mut self) -> Vec<<C::Protocol as Protocol>::Output> {
        std::mem::take(&mut self.outputs)
    }

    /// The earliest time (ms) something is due: a timer, an announcement, queued input
    /// (while frozen: the waking time).
    pub fn next_wakeup(&self, now: f64) -> f64 {
        if let Some(until) = self.frozen_until {
            return until.max(now);
        }
        let timer = self
            .timers
            .iter()
            .map(|t| t.0)
            .fold(f64::INFINITY, f64::min);
        match self.inbox.is_empty() {
            true => timer.min(now + ANNOUNCE.as_millis_f64() / 2.0),
            false => now,
        }
    }

    fn refuse(&mut self, why: Refusal) {
        *self.counters.refused.entry(why.kind()).or_insert(0) += 1;
        self.note(format!("refused: {why}"));
    }

    fn note(&mut self, text: String) {
        if self.notes.len() == NOTES_KEPT {
            self.notes.pop_front();
        }
        self.notes.push_back(text);
    }

    /// Queues one incoming string (its length checked first); handled by [`pump`](Self::pump).
    pub fn receive(&mut self, raw: String) {
        if raw.len() > self.limit() {
            self.receive_oversized(raw.len());
        } else if self.inbox.len() >= INBOX_MAX {
            self.refuse(Refusal::Flood);
        } else {
            self.inbox.push_back(raw);
        }
    }

    /// The longest incoming string accepted, in bytes.
    pub fn limit(&self) -> usize {
        self.codec.max_bytes() + ENVELOPE_BYTES
    }

    /// Refuses an incoming value that is too long (or not a string) without copying it.
    pub fn receive_oversized(&mut self, bytes: usize) {
        let limit = self.limit();
        self.refuse(Refusal::Oversized { bytes, limit });
    }

    /// Freezes the tab until `until` (ms) — a GC pause, a throttled background tab: it
    /// handles no message, fires no timer, announces nothing and runs no operation, while
    /// what arrives queues up (bounded as always). On waking, due timers fire first — the
    /// frozen code resumes where it stopped, before it reads its mail — then the queue.
    pub fn freeze(&mut self, until: f64) {
        self.frozen_until = Some(until);
    }

    /// Until when the tab is frozen (`None`: it is not).
    pub fn frozen_until(&self) -> Option<f64> {
        self.frozen_until
    }

    /// Whether the tab is frozen at `now`; wakes it (due timers first) once the time came.
    fn asleep(&mut self, now: f64) -> bool {
        match self.frozen_until {
            Some(until) if now < until => true,
            Some(_) => {
                self.frozen_until = None;
                if self.started {
                    self.fire_timers(now);
                }
                false
            }
            None => false,
        }
    }

    /// Handles at most `budget` queued messages; returns how many are left to handle now
    /// (0 while frozen).
    pub fn pump(&mut self, now: f64, budget: usize) -> usize {
        if self.asleep(now) {
            return 0;
        }
        for _ in 0..budget {
            let Some(raw) = self.inbox.pop_front() else {
                break;
            };
            if let Err(why) = self.handle(&raw, now) {
                self.refuse(why);
            }
        }
        self.inbox.len()
    }

    fn handle(&mut self, raw: &str, now: f64) -> Result<(), Refusal> {
        let env: Envelope<'_> =
            serde_json::from_str(raw).map_err(|e| Refusal::Malformed(e.to_string()))?;
        let seat = NodeId(env.seat);
        if !self.seats.valid(seat) {
            return Err(Refusal::NoSuchSeat(env.seat));
        }
        match env.k {
            Kind::Seat => {
                match self
                    .seats
                    .heard(seat, env.token, env.claim.unwrap_or(false), self.clock(now))
                {
                    Heard::Noted => {}
                    Heard::Impersonation => return Err(Refusal::Impersonation(seat)),
                    Heard::NoSuchSeat => return Err(Refusal::NoSuchSeat(env.seat)),
                    Heard::Full => return Err(Refusal::RoomFull(seat)),
                }
                if self.seats.present(seat) {
                    self.release(seat, now);
                }
                Ok(())
            }
            Kind::Bye => {
                if env.token == self.seats.token() || self.seats.seat() == Some(seat) {
                    return Err(Refusal::Impersonation(seat));
                }
                self.seats.left(seat, env.token);
                Ok(())
            }
            Kind::Msg => {
                let (Some(to), Some(m)) = (env.to, env.m) else {
                    return Err(Refusal::Malformed("a message needs `to` and `m`".into()));
                };
                if !self.seats.valid(NodeId(to)) {
                    return Err(Refusal::NoSuchSeat(to));
                }
                let Some(me) = self.seats.seat().filter(|_| self.started) else {
                    return Ok(()); // not seated: nobody's message is for this tab yet
                };
                if env.token == self.seats.token() || seat == me {
                    return Err(Refusal::Impersonation(seat));
                }
                if NodeId(to) != me {
                    return Ok(()); // for another tab
                }
                match self.seats.token_of(seat) {
                    Some(t) if t != env.token => return Err(Refusal::ForgedSender(seat)),
                    Some(_) => self.seats.alive(seat, self.clock(now)),
                    None => {
                        // Heard before its announcement (or after a long silence): note it.
                        match self.seats.heard(seat, env.token, false, self.clock(now)) {
                            Heard::Noted => {}
                            Heard::Full => return Err(Refusal::RoomFull(seat)),
                            _ => return Err(Refusal::NoSuchSeat(env.seat)),
                        }
                    }
                }
                let message = self
                    .codec
                    .decode(m.get())
                    .map_err(|e| Refusal::Codec(e.to_string()))?;
                self.codec
                    .validate(&message)
                    .map_err(|e| Refusal::Codec(e.to_string()))?;
                self.counters.delivered += 1;
                self.run(now, |p, ctx, out| p.on_message(ctx, seat, message, out));
                Ok(())
            }
        }
    }

    /// Runs one protocol input and carries out its effects.
    fn run(
        &mut self,
        now: f64,
        input: impl FnOnce(&mut C::Protocol, &mut Context<'_>, &mut Outbox<C::Protocol>),
    ) {
        let Some(me) = self.seats.seat() else {
            return;
        };
        let peers = self.seats.peers();
        let mut out = Outbox::new();
        let mut ctx = Context {
            node: me,
            now: self.clock(now),
            peers: &peers,
            rng: &mut self.rng,
        };
        input(&mut self.protocol, &mut ctx, &mut out);
        self.dirty |= !self.codec.saves_when_asked();
        for effect in out.drain() {
            match effect {
                Effect::Send { to, message } => {
                    self.counters.sent += 1;
                    let json = self.envelope(Kind::Msg, me, Some(to), Some(&message));
                    self.send(me, to, json, now);
                }
                Effect::SetTimer { after, timer } => {
                    let at = now + after.as_millis_f64().max(0.0);
                    self.next_timer += 1;
                    self.timers.push((at, self.next_timer, timer));
                }
                Effect::CancelTimer { timer } => self.timers.retain(|t| t.2 != timer),
                Effect::Output(o) => {
                    self.dirty |= self.codec.asks_to_save(&o);
                    self.outputs.push(o);
                }
            }
        }
    }

    /// The protocol's clock reading at page time `now` (ms): local time since the tab began.
    pub fn clock(&self, now: f64) -> Instant {
        Instant::from_nanos(((now - self.epoch).max(0.0) * 1e6) as i64)
    }

    fn envelope(
        &self,
        k: Kind,
        seat: NodeId,
        to: Option<NodeId>,
        message: Option<&<C::Protocol as Protocol>::Message>,
    ) -> String {
        let body = message.map(|m| self.codec.encode(m));
        let raw = body
            .as_deref()
            .and_then(|b| RawValue::from_string(b.into()).ok());
        let env = Envelope {
            k,
            seat: seat.0,
            token: self.seats.token(),
            claim: (k == Kind::Seat).then(|| self.seats.seat().is_none()),
            to: to.map(|t| t.0),
            m: raw.as_deref(),
        };
        serde_json::to_string(&env).unwrap_or_default()
    }

    /// Judges one outgoing message with the tab's network (a seat nobody sits in holds it).
    fn send(&mut self, me: NodeId, to: NodeId, json: String, now: f64) {
        let verdict = if self.seats.present(to) {
            self.network
                .judge(me, to, self.clock(now), &mut self.fault_rng)
        } else if self.seats.is_open() {
            // An open room's protocol keeps its own membership: nobody to hold it for.
            Verdict::Drop(chronoscope::trace::DropReason::ReceiverCrashed)
        } else {
            Verdict::Hold
        };
        match verdict {
            Verdict::Drop(_) => self.counters.dropped += 1,
            Verdict::Hold => {
                if self.held.len() >= HELD_MAX {
                    self.held.remove(0);
                    self.counters.dropped += 1;
                }
                self.held.push((to, json));
            }
            Verdict::Deliver(delays) => {
                for d in delays {
                    self.counters.posted += 1;
                    let delay_ms = d.as_millis_f64().clamp(0.0, f64::from(MAX_DELAY_MS)) as u32;
                    self.posts.push(Post {
                        json: json.clone(),
                        delay_ms,
                    });
                }
            }
        }
    }

    /// Judges again the messages waiting for `seat` (after a hold is lifted or the seat is
    /// taken), in the order they were sent.
    fn release(&mut self, seat: NodeId, now: f64) {
        let Some(me) = self.seats.seat() else {
            return;
        };
        if !self.seats.present(seat) || self.is_held(seat) {
            return;
        }
        let (go, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|(to, _)| *to == seat);
        self.held = keep;
        for (to, json) in go {
            self.send(me, to, json, now);
        }
    }

    /// Runs a local operation (once seated); `false` if the tab has no seat yet or is frozen.
    pub fn operate(&mut self, op: <C::Protocol as Protocol>::Operation, now: f64) -> bool {
        if self.seats.seat().is_none() || self.asleep(now) {
            return false;
        }
        self.run(now, |p, ctx, out| p.on_operation(ctx, op, out));
        true
    }

    /// Advances time: seats (claim, sit, announce), then due timers in deadline order. When
    /// the tab sits down, `load` is asked for the seat's saved state (restored if the codec
    /// can) before the protocol starts.
    pub fn poll(&mut self, now: f64, load: impl FnOnce(NodeId) -> Option<String>) {
        if self.asleep(now) {
            return;
        }
        let (sat, announce) = self.seats.tick(self.clock(now));
        if let Some((seat, _)) = self.seats.announced().filter(|_| announce) {
            let json = self.envelope(Kind::Seat, seat, None, None);
            self.posts.push(Post { json, delay_ms: 0 });
        }
        if let Some(seat) = self.seats.seat().filter(|_| sat && !self.started) {
            if let Some(json) = load(seat).filter(|_| !self.preloaded) {
                match self.codec.restore(seat, &json) {
                    Ok(Some(p)) => self.protocol = p,
                    Ok(None) => {}
                    Err(e) => self.note(format!("saved state for seat {seat} not restored: {e}")),
                }
            }
            self.started = true;
            self.run(now, |p, ctx, out| p.on_start(ctx, out));
        }
        if !self.started {
            return;
        }
        for seat in self.held().into_keys() {
            self.release(seat, now);
        }
        self.fire_timers(now);
    }

    /// Fires the timers due at `now`, in deadline order.
    fn fire_timers(&mut self, now: f64) {
        loop {
            let due = self
                .timers
                .iter()
                .enumerate()
                .filter(|(_, t)| t.0 <= now)
                .min_by(|a, b| a.1 .0.total_cmp(&b.1 .0).then(a.1 .1.cmp(&b.1 .1)))
                .map(|(i, _)| i);
            let Some(i) = due else { break };
            let (_, _, timer) = self.timers.swap_remove(i);
            self.run(now, |p, ctx, out| p.on_timer(ctx, timer, out));
        }
    }

    /// The post saying this tab leaves its seat (for `pagehide`), if seated.
    pub fn bye(&self) -> Option<String> {
        let seat = self.seats.seat()?;
        Some(self.envelope(Kind::Bye, seat, None, None))
    }

    /// Sets the delay added to every outgoing message (ms, at most [`MAX_DELAY_MS`]).
    pub fn set_delay(&mut self, ms: u32) {
        let ms = ms.min(MAX_DELAY_MS);
        self.network.latency = Latency::Constant(Span::from_millis(i64::from(ms)));
    }
    /// Sets the share of outgoing messages dropped (percent, at most 100).
    pub fn set_drop(&mut self, percent: u32) {
        self.network.loss = f64::from(percent.min(100)) / 100.0;
    }
    /// Sets whether every outgoing message is posted twice.
    pub fn set_duplicate(&mut self, on: bool) {
        self.network.duplicate = if on { 1.0 } else { 0.0 };
    }
    /// Whether the link to `seat` is held.
    pub fn is_held(&self, seat: NodeId) -> bool {
        let me = self.seats.seat().unwrap_or(NodeId(u32::MAX));
        self.network.links.get(&(me, seat)).is_some_and(|r| r.held)
    }
    /// Holds (or releases) the link to `seat`: its messages wait until released.
    pub fn set_held(&mut self, seat: NodeId, held: bool, now: f64) {
        let Some(me) = self.seats.seat() else {
            return;
        };
        if held {
            let rule = LinkRule {
                held: true,
                ..LinkRule::default()
            };
            self.network.links.insert((me, seat), rule);
        } else {
            self.network.links.remove(&(me, seat));
            self.release(seat, now);
        }
    }

    /// The protocol's state to store, if the codec can save it; clears [`is_dirty`](Self::is_dirty).
    pub fn saved(&mut self) -> Option<String> {
        self.dirty = false;
        match self.seats.seat() {
            Some(seat) if self.started => self.codec.save(seat, &self.protocol),
            _ => None,
        }
    }
}

#[cfg(test)]
#[path = "../tabs_tests/runtime.rs"]
mod tests;
