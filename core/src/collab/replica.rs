//! One replica of the collaborative text as a [`Protocol`]: Byzantine eventual consistency
//! for an RGA text (Kleppmann, "Making CRDTs Byzantine Fault Tolerant", PaPoC 2022, §4;
//! Kleppmann & Howard, "Byzantine Eventual Consistency", §4–5).
//!
//! Local edits become signed, hash-named [`Update`]s sent to every peer; received updates
//! are checked (hash, form, signature) one by one, held back until what they name is
//! delivered, and delivered into the [`Graph`]. Heartbeats carry heads and a signed proof
//! of presence ([`presence`], so an idle tab stays present), and a replica pulls
//! what it lacks with requests answered by bundles (read only when asked for). Every input
//! passes the rate limits and caps of [`Limits`]; every refusal is counted in
//! [`Refusals`]. Invariants: the text only ever grows by valid updates (no message replaces
//! it); two replicas that delivered the same updates show the same text; the node ids of
//! the [`Context`] are used only to address answers, never as identities.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::vec::Vec;

use super::anti_entropy;
pub use super::edit::{EditError, Operation};
use super::graph::{Equivocation, Graph, Readiness};
use super::holdback::{Held, HoldBack};
use super::limits::{Bucket, Limits};
use super::message::Message;
use super::peers::{Peers, Presence};
use super::persist::Saved;
use super::presence::{self, Check, Proofs};
use super::refusals::{Refusal, Refusals};
use super::update::{Author, AuthorKey, KeyCache, Update, UpdateHash};
use crate::node::NodeId;
use crate::protocol::{Context, Outbox, Protocol};
use crate::time::Instant;

/// The replica's only timer: heartbeat, retransmission and expiry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// Every [`Limits::heartbeat`].
    Tick,
}

/// What the replica reports to its driver.
#[derive(Clone, Debug, PartialEq)]
pub enum Output {
    /// The visible text changed; here it is.
    Text(String),
    /// An input was refused.
    Refused(Refusal),
    /// An author signed two updates with one sequence number (both are kept).
    Equivocation(Equivocation),
    /// The state to store (the driver keeps the latest; [`Replica::restore`] reads it).
    Save(Saved),
    /// A peer became present.
    PeerJoined(NodeId),
    /// A peer left or went silent.
    PeerGone(NodeId),
    /// A local edit was refused.
    EditRefused(EditError),
}

#[derive(Clone, Debug)]
struct Pending {
    peer: NodeId,
    sent: Instant,
    want: Vec<UpdateHash>,
    /// Whether it was already asked again (or is itself a second asking).
    reasked: bool,
}

/// One collaborative-text replica.
///
/// # Examples
///
/// ```
/// use chronoscope::collab::replica::{Operation, Replica};
/// use chronoscope::sim::{SimConfig, Simulation};
/// use chronoscope::node::NodeId;
/// use chronoscope::time::Instant;
/// let nodes = (0u8..3).map(|i| Replica::new([i; 32], Default::default())).collect();
/// let mut sim = Simulation::new(nodes, SimConfig { seed: 7, labels: false, ..Default::default() }).unwrap();
/// let type_at = |i| Operation::Insert { index: 0, text: "hi".into() };
/// sim.schedule_operation(Instant::from_millis(10), NodeId(0), type_at(0)).unwrap();
/// sim.schedule_operation(Instant::from_millis(10), NodeId(1), type_at(1)).unwrap();
/// sim.run_until(Instant::from_millis(3_000));
/// let text = sim.node(NodeId(2)).unwrap().text();
/// assert_eq!(text.len(), 4);
/// assert!((0..3).all(|n| sim.node(NodeId(n)).unwrap().text() == text));
/// ```
#[derive(Clone, Debug)]
pub struct Replica {
    pub(super) author: Author,
    pub(super) limits: Limits,
    pub(super) graph: Graph,
    held: HoldBack,
    peers: Peers,
    refusals: Refusals,
    pending: BTreeMap<u64, Pending>,
    requested: BTreeMap<(UpdateHash, NodeId), Instant>,
    pub(super) next_seq: u64,
    ticks: u64,
    pub(super) dirty: bool,
    pub(super) left: bool,
    total: Option<(Bucket, Bucket)>,
    keys: KeyCache,
    deferred: BTreeMap<NodeId, Vec<UpdateHash>>,
    forgeries: BTreeSet<(UpdateHash, [u8; 64])>,
    proofs: Proofs,
    my_proof: Option<(NodeId, [u8; 64])>,
}

impl Replica {
    /// A replica with an empty text whose author key comes from the secret `seed`.
    pub fn new(seed: [u8; 32], limits: Limits) -> Replica {
        Replica::with_author(Author::from_seed(seed), limits)
    }

    fn with_author(author: Author, limits: Limits) -> Replica {
        Replica {
            author,
            limits,
            graph: Graph::new(),
            held: HoldBack::new(),
            peers: Peers::new(),
            refusals: Refusals::default(),
            pending: BTreeMap::new(),
            requested: BTreeMap::new(),
            next_seq: 1,
            ticks: 0,
            dirty: false,
            left: false,
            total: None,
            keys: KeyCache::default(),
            deferred: BTreeMap::new(),
            forgeries: BTreeSet::new(),
            proofs: Proofs::default(),
            my_proof: None,
        }
    }

    /// The visible text.
    pub fn text(&self) -> String {
        self.graph.rga().text()
    }
    /// This replica's public key.
    pub fn author(&self) -> AuthorKey {
        self.author.key()
    }
    /// The caps in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }
    /// The delivered updates (hash graph, text, vector clock, equivocations).
    pub fn graph(&self) -> &Graph {
        &self.graph
    }
    /// The hold-back queue's contents.
    pub fn held(&self) -> impl Iterator<Item = &Held> + '_ {
        self.held.iter()
    }
    /// The vector clock derived from the hash graph.
    pub fn vector_clock(&self) -> &BTreeMap<AuthorKey, u64> {
        self.graph.vector_clock()
    }
    /// Refusals so far, by reason.
    pub fn refusals(&self) -> &Refusals {
        &self.refusals
    }
    /// Every equivocation found.
    pub fn equivocations(&self) -> &[Equivocation] {
        self.graph.equivocations()
    }
    /// The peer table.
    pub fn peers(&self) -> &Peers {
        &self.peers
    }
    /// Requests waiting for an answer: `(nonce, peer asked, hashes wanted)`.
    pub fn outstanding(&self) -> impl Iterator<Item = (u64, NodeId, &[UpdateHash])> + '_ {
        self.pending
            .iter()
            .map(|(n, p)| (*n, p.peer, p.want.as_slice()))
    }
    /// Hashes to ask each peer for once its outstanding request is answered.
    pub fn deferred(&self) -> &BTreeMap<NodeId, Vec<UpdateHash>> {
        &self.deferred
    }
    /// Whether this replica has left.
    pub fn has_left(&self) -> bool {
        self.left
    }

    pub(super) fn from_parts(author: Author, limits: Limits, graph: Graph) -> Replica {
        let mut r = Replica::with_author(author, limits);
        r.next_seq = graph.max_seq(&r.author.key()).saturating_add(1);
        r.graph = graph;
        r
    }

    fn refuse(&mut self, reason: Refusal, out: &mut Outbox<Self>) {
        self.refusals.count(reason);
        out.output(Output::Refused(reason));
    }

    fn presence(change: Option<Presence>, out: &mut Outbox<Self>) {
        match change {
            Some(Presence::Joined(n)) => out.output(Output::PeerJoined(n)),
            Some(Presence::Gone(n)) => out.output(Output::PeerGone(n)),
            None => {}
        }
    }

    /// Checks one received update and delivers or holds it; returns whether the text
    /// changed.
    fn receive_update(
        &mut self,
        ctx: &mut Context<'_>,
        from: NodeId,
        u: Update,
        out: &mut Outbox<Self>,
    ) -> bool {
        if let Err(e) = u.verify_hash() {
            let reason = match e {
                super::update::UpdateError::BadHash { .. } => Refusal::BadHash,
                _ => Refusal::Malformed,
            };
            self.refuse(reason, out);
            return false;
        }
        if self.graph.contains(&u.id) || self.held.contains(&u.id) {
            self.refuse(Refusal::Duplicate, out);
            return false;
        }
        if self.graph.is_invalid(&u.id) {
            self.refuse(Refusal::Invalid, out);
            return false;
        }
        // A replayed forgery (same id *and* signature) is refused without verifying again.
        let seen_forgery = self.forgeries.contains(&(u.id, u.signature));
        if seen_forgery || self.keys.verify_signature(&u).is_err() {
            if !seen_forgery {
                if self.forgeries.len() >= KeyCache::CAP {
                    self.forgeries.clear();
                }
                self.forgeries.insert((u.id, u.signature));
            }
            self.refuse(Refusal::BadSignature, out);
            return false;
        }
        Self::presence(self.peers.prove(from), out);
        match self.graph.readiness(&u) {
            Readiness::Invalid => {
                self.graph.mark_invalid(u.id, self.limits.max_invalid);
                self.refuse(Refusal::Invalid, out);
                false
            }
            Readiness::Missing(missing) => {
                let ask = missing.clone();
                match self.held.hold(u, from, ctx.now, missing, &self.limits) {
                    Ok(()) => {
                        self.request(ctx, from, ask, false, out);
                    }
                    Err(_) => self.refuse(Refusal::OverCap, out),
                }
                false
            }
            Readiness::Ready => self.deliver(u, out),
        }
    }

    /// Delivers a ready update and everything held back that it unblocks.
    fn deliver(&mut self, first: Update, out: &mut Outbox<Self>) -> bool {
        let mut changed = false;
        let mut stack = alloc::vec![first];
        while let Some(u) = stack.pop() {
            let (id, author, seq) = (u.id, u.author, u.seq);
            match self.graph.deliver(u, self.limits.max_invalid) {
                Ok(d) => {
                    self.dirty = true;
                    changed |= d.text_changed;
                    if let Some(e) = d.equivocation {
                        out.output(Output::Equivocation(e));
                    }
                    if author == self.author.key() {
                        // One of this replica's own updates it had lost (an older save).
                        self.next_seq = self.next_seq.max(seq.saturating_add(1));
                    }
                }
                Err(()) => self.refuse(Refusal::Invalid, out),
            }
            for w in self.held.wake(&id) {
                match self.graph.readiness(&w.update) {
                    Readiness::Ready => stack.push(w.update),
                    Readiness::Missing(m) => {
                        if self
                            .held
                            .hold(w.update, w.from, w.since, m, &self.limits)
                            .is_err()
                        {
                            self.refuse(Refusal::OverCap, out);
                        }
                    }
                    Readiness::Invalid => {
                        self.graph
                            .mark_invalid(w.update.id, self.limits.max_invalid);
                        self.refuse(Refusal::Invalid, out);
                    }
                }
            }
        }
        changed
    }

    /// Asks `peer` for `want` (skipping hashes asked for recently unless `again`); returns
    /// the request's nonce if one went out.
    fn request(
        &mut self,
        ctx: &mut Context<'_>,
        peer: NodeId,
        want: Vec<UpdateHash>,
        again: bool,
        out: &mut Outbox<Self>,
    ) -> Option<u64> {
        let now = ctx.now;
        let retry = self.limits.request_retry;
        // One request at a time per peer (so a flood of heartbeats naming made-up heads
        // draws one request per retry period, not one per heartbeat).
        let waiting = self
            .pending
            .values()
            .any(|p| p.peer == peer && now.since(p.sent) < retry);
        if waiting && !again {
            // Asked once the answer comes (or at the next tick), so nothing is starved.
            if self.peers.get(peer).is_some() {
                let later = self.deferred.entry(peer).or_default();
                for h in want {
                    if later.len() < self.limits.max_hashes && !later.contains(&h) {
                        later.push(h);
                    }
                }
            }
            return None;
        }
        let mut ask = Vec::new();
        for h in want {
            if ask.len() >= self.limits.max_hashes {
                break;
            }
            // Recently asked of this peer; another peer advertising it is asked too (the
            // first may be the one whose answers keep getting lost, or withheld).
            let recent = self
                .requested
                .get(&(h, peer))
                .is_some_and(|t| now.since(*t) < retry);
            if (again || !recent) && !ask.contains(&h) {
                ask.push(h);
            }
        }
        if ask.is_empty() {
            return None;
        }
        if self.requested.len() >= self.limits.max_held_total {
            self.requested.retain(|_, t| now.since(*t) < retry);
        }
        if self.requested.len() < self.limits.max_held_total {
            for h in &ask {
                self.requested.insert((*h, peer), now);
            }
        }
        if self.pending.len() >= self.limits.max_pending_requests {
            let oldest = self
                .pending
                .iter()
                .min_by_key(|(_, p)| p.sent)
                .map(|(n, _)| *n);
            if let Some(n) = oldest {
                self.pending.remove(&n);
            }
        }
        let nonce = ctx.rng.next_u64();
        let mut have: Vec<(AuthorKey, u64)> = self
            .graph
            .vector_clock()
            .iter()
            .map(|(a, s)| (*a, *s))
            .collect();
        if have.len() > 64 {
            have.sort_unstable_by_key(|x| core::cmp::Reverse(x.1));
            have.truncate(64);
        }
        self.pending.insert(
            nonce,
            Pending {
                peer,
                sent: now,
                want: ask.clone(),
                reasked: false,
            },
        );
        out.send(
            peer,
            Message::Request {
                nonce,
                want: ask,
                have,
            },
        );
        Some(nonce)
    }

    /// Asks `peer` again for whatever of `want` is still missing; returns the request's
    /// nonce if one went out.
    fn flush(
        &mut self,
        ctx: &mut Context<'_>,
        peer: NodeId,
        mut want: Vec<UpdateHash>,
        out: &mut Outbox<Self>,
    ) -> Option<u64> {
        want.retain(|h| {
            !self.graph.contains(h) && !self.held.contains(h) && !self.graph.is_invalid(h)
        });
        if want.is_empty() {
            return None;
        }
        self.request(ctx, peer, want, true, out)
    }

    fn heartbeat(&mut self, node: NodeId) -> Message {
        let proof = match self.my_proof {
            Some((n, p)) if n == node => p,
            _ => {
                let p = presence::prove(&self.author, node);
                self.my_proof = Some((node, p));
                p
            }
        };
        let heads = self.graph.heads();
        let cap = self.limits.max_hashes.max(1);
        let skip = if heads.len() > cap {
            (self.ticks as usize * cap) % heads.len()
        } else {
            0
        };
        Message::Heartbeat {
            author: self.author.key(),
            heads: heads
                .iter()
                .cycle()
                .skip(skip)
                .take(cap.min(heads.len()))
                .copied()
                .collect(),
            proof,
        }
    }

    fn admit(
        &mut self,
        ctx: &Context<'_>,
        from: NodeId,
        size: usize,
        out: &mut Outbox<Self>,
    ) -> bool {
        if from == ctx.node {
            self.refuse(Refusal::Impersonation, out);
            return false;
        }
        if size > self.limits.max_message_bytes {
            self.refuse(Refusal::OverCap, out);
            return false;
        }
        match self.peers.admit(from, size, ctx.now, &self.limits) {
            Ok(change) => Self::presence(change, out),
            Err(reason) => {
                self.refuse(reason, out);
                return false;
            }
        }
        let l = &self.limits;
        let (msgs, bytes) = self.total.get_or_insert_with(|| {
            (
                Bucket::full(l.total_messages_per_sec, ctx.now),
                Bucket::full(l.total_bytes_per_sec, ctx.now),
            )
        });
        if !msgs.take(l.total_messages_per_sec, 1, ctx.now)
            || !bytes.take(l.total_bytes_per_sec, size as u64, ctx.now)
        {
            self.refuse(Refusal::OverRate, out);
            return false;
        }
        true
    }
}

impl Protocol for Replica {
    type Message = Message;
    type Timer = Timer;
    type Operation = Operation;
    type Output = Output;

    fn on_start(&mut self, ctx: &mut Context<'_>, out: &mut Outbox<Self>) {
        if self.left {
            return;
        }
        if !self.graph.is_empty() {
            out.output(Output::Text(self.text()));
        }
        let beat = self.heartbeat(ctx.node);
        out.send_to_all(ctx.peers, beat);
        out.set_timer(self.limits.tick_period(), Timer::Tick);
    }

    fn on_message(
        &mut self,
        ctx: &mut Context<'_>,
        from: NodeId,
        message: Message,
        out: &mut Outbox<Self>,
    ) {
        if self.left || !self.admit(ctx, from, message.encoded_len(), out) {
            return;
        }
        let mine = self.author.key();
        let mut changed = false;
        match message {
            Message::Garbage { .. } => self.refuse(Refusal::Malformed, out),
            Message::Updates(updates) => {
                if updates.len() > self.limits.max_bundle {
                    self.refuse(Refusal::OverCap, out);
                    return;
                }
                for u in updates {
                    changed |= self.receive_update(ctx, from, u, out);
                }
            }
            Message::Heartbeat { author, .. } | Message::Bye { author } if author == mine => {
                self.refuse(Refusal::Impersonation, out);
            }
            Message::Heartbeat {
                author,
                mut heads,
                proof,
            } => {
                self.peers.claim(from, author);
                let keys = &mut self.keys;
                match self
                    .proofs
                    .check(from, author, &proof, ctx.now, &self.limits, keys)
                {
                    // Known too: the peer table may have forgotten a proven peer.
                    Check::Valid | Check::Known => Self::presence(self.peers.prove(from), out),
                    Check::Bad => self.refuse(Refusal::BadSignature, out),
                    Check::Deferred => {}
                }
                heads.truncate(self.limits.max_hashes);
                heads.retain(|h| {
                    !self.graph.contains(h) && !self.held.contains(h) && !self.graph.is_invalid(h)
                });
                self.request(ctx, from, heads, false, out);
            }
            Message::Bye { author } => {
                self.peers.claim(from, author);
                Self::presence(self.peers.leave(from), out);
            }
            Message::Request {
                nonce,
                mut want,
                have,
            } => {
                want.truncate(self.limits.max_hashes);
                // Answered even when empty, so the requester's question is settled and its
                // next one to this peer goes out at once.
                let room = self.limits.max_message_bytes.saturating_sub(1 + 8 + 4);
                let updates =
                    anti_entropy::answer(&self.graph, &want, &have, self.limits.max_bundle, room);
                out.send(from, Message::Bundle { nonce, updates });
            }
            Message::Bundle { nonce, updates } => {
                let Some(p) = self.pending.get(&nonce).filter(|p| p.peer == from) else {
                    self.refuse(Refusal::Unrequested, out);
                    return;
                };
                let want = p.want.clone();
                self.pending.remove(&nonce);
                let got_any = !updates.is_empty();
                if updates.len() > self.limits.max_bundle {
                    // The first `max_bundle` are read; the rest are refused once.
                    self.refuse(Refusal::OverCap, out);
                }
                for u in updates.into_iter().take(self.limits.max_bundle) {
                    changed |= self.receive_update(ctx, from, u, out);
                }
                let mut still: Vec<UpdateHash> = want
                    .into_iter()
                    .filter(|h| !self.graph.contains(h) && !self.graph.is_invalid(h))
                    .collect();
                if !got_any {
                    still.clear();
                }
                still.extend(self.deferred.remove(&from).unwrap_or_default());
                self.flush(ctx, from, still, out);
            }
        }
        if changed {
            out.output(Output::Text(self.text()));
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_>, _timer: Timer, out: &mut Outbox<Self>) {
        if self.left {
            return;
        }
        self.ticks += 1;
        let now = ctx.now;
        let (changes, expired) = self.peers.tick(now, &self.limits);
        for c in changes {
            Self::presence(Some(c), out);
        }
        for _ in 0..expired + self.held.expire(now, &self.limits) {
            self.refuse(Refusal::Expired, out);
        }
        let stale = self.limits.request_retry;
        self.pending
            .retain(|_, p| now.since(p.sent) < stale + stale);
        self.requested.retain(|_, t| now.since(*t) < stale);
        // Missing dependencies: ask the peer that sent the waiting update (unless asked
        // recently) and, since that peer may be the one withholding them, one other peer
        // in turn each tick.
        let mut by_peer: BTreeMap<NodeId, Vec<UpdateHash>> = BTreeMap::new();
        let mut all = Vec::new();
        for (h, peer) in self.held.wanted().take(self.limits.max_hashes) {
            by_peer.entry(peer).or_default().push(h);
            all.push(h);
        }
        for (peer, want) in by_peer {
            self.request(ctx, peer, want, false, out);
        }
        let others: Vec<NodeId> = self
            .peers
            .iter()
            .filter(|(_, p)| !p.gone)
            .map(|(n, _)| n)
            .collect();
        if !all.is_empty() && !others.is_empty() {
            let peer = others[self.ticks as usize % others.len()];
            self.request(ctx, peer, all, true, out);
        }
        // A request unanswered after a heartbeat period (a round trip takes far less) is
        // asked once more now, with what was deferred for that peer: under heavy loss the
        // request or its bundle is lost about half the time, and waiting for the peer's next
        // heartbeat to ask again (itself lost as often) leaves a lagging replica with few
        // attempts. Once per request, so a peer that never answers draws at most two
        // requests per advertisement (and a gone peer is not asked again).
        let period = self.limits.tick_period();
        let mut again: BTreeMap<NodeId, (Vec<UpdateHash>, bool)> = BTreeMap::new();
        for p in self.pending.values_mut() {
            let present = self.peers.get(p.peer).is_some_and(|i| !i.gone);
            if present && !p.reasked && now.since(p.sent) >= period {
                p.reasked = true;
                let (want, overdue) = again.entry(p.peer).or_default();
                want.extend(p.want.iter().copied());
                *overdue = true;
            }
        }
        for (peer, want) in core::mem::take(&mut self.deferred) {
            again.entry(peer).or_default().0.extend(want);
        }
        for (peer, (want, overdue)) in again {
            if self.peers.get(peer).is_none() {
                continue;
            }
            let sent = self.flush(ctx, peer, want, out);
            if let Some(p) = sent.and_then(|n| self.pending.get_mut(&n)) {
                // A second asking is not asked again; what was deferred may be.
                p.reasked |= overdue;
            }
        }
        let beat = self.heartbeat(ctx.node);
        out.send_to_all(ctx.peers, beat);
        if self.dirty {
            self.dirty = false;
            out.output(Output::Save(self.saved()));
        }
        out.set_timer(self.limits.tick_period(), Timer::Tick);
    }

    fn on_operation(
        &mut self,
        ctx: &mut Context<'_>,
        operation: Operation,
        out: &mut Outbox<Self>,
    ) {
        if let Err(e) = self.edit(ctx, operation, out) {
            out.output(Output::EditRefused(e));
        }
    }
}
