//! The editor lab's switch: one forged message against two rooms (issue 10).
//!
//! Three honest peers share a text; peer A types "ab", then a fourth page forges A's next
//! edit — same author, next sequence number, another character — and posts it to B and C;
//! then A really types "c". In the **plain room** (vector-clock causal broadcast,
//! [`crate::broadcast::causal::CausalQueue`], over an RGA with `(counter, peer)` ids,
//! [`crate::crdt::rga`]) B and C deliver the forgery as A's edit and drop A's real one as a
//! duplicate: the room splits for good. In the **hash-linked room**
//! ([`crate::collab::Replica`]: updates named by the hash of their content and signed,
//! Kleppmann, "Making CRDTs Byzantine Fault Tolerant", PaPoC 2022) the forgery fails the
//! hash check, is counted, and every peer shows "abc". Invariant shown: the hash-linked room
//! stays whole under the very message that splits the plain one.

use alloc::string::String;
use alloc::vec::Vec;

use crate::broadcast::causal::{CausalMessage, CausalQueue, Receipt};
use crate::collab::message::Message;
use crate::collab::replica::{Operation, Replica, Timer};
use crate::collab::update::{CharId, Op, Update};
use crate::collab::{Limits, Refusals};
use crate::crdt::rga::{OpId, Rga, RgaOp};
use crate::node::NodeId;
use crate::protocol::{Context, Effect, Outbox, Protocol};
use crate::sim::{Network, SimConfig, SimError, Simulation};
use crate::time::{Instant, Span};

/// The forged character.
pub const FORGED: char = 'Z';
/// The victim (peer A) and the forging page (node D).
const VICTIM: NodeId = NodeId(0);
const FORGER: NodeId = NodeId(3);

/// What each room ended with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoomOutcome {
    /// The text at A, B and C.
    pub texts: Vec<String>,
    /// Whether the honest peers disagree.
    pub split: bool,
    /// How many inputs the honest peers refused, by reason (hash-linked room only).
    pub refusals: Refusals,
}

/// Both rooms under the same attack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comparison {
    /// Vector clocks + `(counter, peer)` ids.
    pub plain: RoomOutcome,
    /// Hash-named, signed updates.
    pub hash_linked: RoomOutcome,
}

/// A local input in either room.
#[derive(Clone, Debug)]
pub enum Step {
    /// Type a character at the end.
    Type(char),
    /// (Forger only) post a forgery of the victim's next edit to everyone but the victim.
    Forge,
}

/// A peer of the plain room (or the page forging in it).
#[derive(Debug)]
pub struct PlainPeer {
    queue: CausalQueue<RgaOp>,
    rga: Rga,
    last: Option<CausalMessage<RgaOp>>,
}

impl Protocol for PlainPeer {
    type Message = CausalMessage<RgaOp>;
    type Timer = ();
    type Operation = Step;
    type Output = ();

    fn on_message(
        &mut self,
        ctx: &mut Context<'_>,
        _: NodeId,
        m: Self::Message,
        _: &mut Outbox<Self>,
    ) {
        if m.sender == VICTIM {
            self.last = Some(m.clone());
        }
        if let Ok(Receipt::Delivered(list)) = self.queue.receive(m, ctx.now) {
            for d in list {
                // A refused operation (a reused id) is dropped: what the old editor did.
                let _ = self.rga.apply_checked(&d.payload);
            }
        }
    }

    fn on_operation(&mut self, ctx: &mut Context<'_>, step: Step, out: &mut Outbox<Self>) {
        match step {
            Step::Type(ch) => {
                let Ok(op) = self.rga.insert_local(ctx.node, self.rga.len(), ch) else {
                    return;
                };
                if let Ok(m) = self.queue.try_broadcast(op) {
                    out.send_to_all(ctx.peers, m);
                }
            }
            Step::Forge => {
                let Some(last) = self.last.clone() else {
                    return;
                };
                let RgaOp::Insert { id, .. } = last.payload else {
                    return;
                };
                let mut clock = last.clock.clone();
                let _ = clock.try_increment(VICTIM);
                let forged = CausalMessage {
                    sender: VICTIM,
                    clock,
                    payload: RgaOp::Insert {
                        id: OpId {
                            counter: id.counter + 1,
                            node: VICTIM,
                        },
                        after: Some(id),
                        ch: FORGED,
                    },
                };
                let others: Vec<NodeId> =
                    ctx.peers.iter().copied().filter(|p| *p != VICTIM).collect();
                out.send_to_all(&others, forged);
            }
        }
    }
}

/// A peer of the hash-linked room, or the page forging in it.
#[derive(Debug)]
pub enum HashPeer {
    /// An honest replica.
    Honest(alloc::boxed::Box<Replica>),
    /// The forger: remembers the victim's last update.
    Forger(Option<alloc::boxed::Box<Update>>),
}

impl Protocol for HashPeer {
    type Message = Message;
    type Timer = Timer;
    type Operation = Step;
    type Output = ();

    fn on_start(&mut self, ctx: &mut Context<'_>, out: &mut Outbox<Self>) {
        if let HashPeer::Honest(r) = self {
            let mut inner = Outbox::new();
            r.on_start(ctx, &mut inner);
            forward(inner, out);
        }
    }

    fn on_message(
        &mut self,
        ctx: &mut Context<'_>,
        from: NodeId,
        m: Message,
        out: &mut Outbox<Self>,
    ) {
        match self {
            HashPeer::Honest(r) => {
                let mut inner = Outbox::new();
                r.on_message(ctx, from, m, &mut inner);
                forward(inner, out);
            }
            HashPeer::Forger(last) => {
                if let Message::Updates(us) = m {
                    if from == VICTIM {
                        *last = us
                            .last()
                            .cloned()
                            .map(alloc::boxed::Box::new)
                            .or(last.take());
                    }
                }
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_>, t: Timer, out: &mut Outbox<Self>) {
        if let HashPeer::Honest(r) = self {
            let mut inner = Outbox::new();
            r.on_timer(ctx, t, &mut inner);
            forward(inner, out);
        }
    }

    fn on_operation(&mut self, ctx: &mut Context<'_>, step: Step, out: &mut Outbox<Self>) {
        match (self, step) {
            (HashPeer::Honest(r), Step::Type(ch)) => {
                let index = r.graph().rga().len();
                let mut inner = Outbox::new();
                let op = Operation::Insert {
                    index,
                    text: ch.into(),
                };
                if r.edit(ctx, op, &mut inner).is_ok() {
                    forward(inner, out);
                }
            }
            (HashPeer::Forger(Some(last)), Step::Forge) => {
                // The old attack, word for word: the victim's id, another character.
                let mut forged = Update::clone(last);
                forged.op = Op::insert_char(Some(CharId::new(last.id, 0)), FORGED);
                let others: Vec<NodeId> =
                    ctx.peers.iter().copied().filter(|p| *p != VICTIM).collect();
                out.send_to_all(&others, Message::Updates(alloc::vec![forged]));
            }
            _ => {}
        }
    }
}

fn forward(mut inner: Outbox<Replica>, out: &mut Outbox<HashPeer>) {
    for e in inner.drain() {
        match e {
            Effect::Send { to, message } => out.send(to, message),
            Effect::SetTimer { after, timer } => out.set_timer(after, timer),
            Effect::CancelTimer { timer } => out.cancel_timer(timer),
            Effect::Output(_) => {}
        }
    }
}

fn schedule<P: Protocol<Operation = Step>>(sim: &mut Simulation<P>) -> Result<(), SimError> {
    sim.schedule_operation(Instant::from_millis(10), VICTIM, Step::Type('a'))?;
    sim.schedule_operation(Instant::from_millis(20), VICTIM, Step::Type('b'))?;
    sim.schedule_operation(Instant::from_millis(100), FORGER, Step::Forge)?;
    sim.schedule_operation(Instant::from_millis(200), VICTIM, Step::Type('c'))?;
    Ok(())
}

fn config(seed: u64) -> SimConfig {
    SimConfig {
        seed,
        network: Network::constant(Span::from_millis(5)),
        labels: true,
        ..SimConfig::default()
    }
}

fn outcome(texts: Vec<String>, refusals: Refusals) -> RoomOutcome {
    let split = texts.windows(2).any(|w| w[0] != w[1]);
    RoomOutcome {
        texts,
        split,
        refusals,
    }
}

/// Runs the plain room (returned for its trace) under the attack.
pub fn plain_room(seed: u64) -> Result<Simulation<PlainPeer>, SimError> {
    let peers = (0..4)
        .map(|i| PlainPeer {
            queue: CausalQueue::new(NodeId(i)),
            rga: Rga::new(),
            last: None,
        })
        .collect();
    let mut sim = Simulation::new(peers, config(seed))?;
    schedule(&mut sim)?;
    sim.run_until(Instant::from_millis(2_000));
    Ok(sim)
}

/// Runs the hash-linked room (returned for its trace) under the same attack.
pub fn hash_room(seed: u64) -> Result<Simulation<HashPeer>, SimError> {
    let peers = (0u8..4)
        .map(|i| match i {
            3 => HashPeer::Forger(None),
            _ => HashPeer::Honest(alloc::boxed::Box::new(Replica::new(
                [i + 1; 32],
                Limits::default(),
            ))),
        })
        .collect();
    let mut sim = Simulation::new(peers, config(seed))?;
    schedule(&mut sim)?;
    sim.run_until(Instant::from_millis(2_000));
    Ok(sim)
}

/// Both rooms under the same forged message.
///
/// ```
/// use chronoscope::scenario::collab::run;
/// let c = run(1).unwrap();
/// assert!(c.plain.split);
/// assert!(!c.hash_linked.split);
/// assert!(c.hash_linked.texts.iter().all(|t| t == "abc"));
/// ```
pub fn run(seed: u64) -> Result<Comparison, SimError> {
    let plain = plain_room(seed)?;
    let plain_texts = (0..3)
        .filter_map(|i| plain.node(NodeId(i)).map(|p| p.rga.text()))
        .collect();
    let hash = hash_room(seed)?;
    let mut refusals = Refusals::default();
    let mut hash_texts = Vec::new();
    for i in 0..3 {
        if let Some(HashPeer::Honest(r)) = hash.node(NodeId(i)) {
            hash_texts.push(r.text());
            for (reason, n) in r.refusals().nonzero() {
                for _ in 0..n {
                    refusals.count(reason);
                }
            }
        }
    }
    Ok(Comparison {
        plain: outcome(plain_texts, Refusals::default()),
        hash_linked: outcome(hash_texts, refusals),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collab::Refusal;

    #[test]
    fn the_forgery_splits_the_plain_room_and_not_the_hash_linked_one() {
        let c = run(7).unwrap();
        assert_eq!(c.plain.texts[0], "abc");
        assert!(c.plain.texts[1..].iter().all(|t| t.contains(FORGED)));
        assert!(c.plain.split);
        assert_eq!(c.hash_linked.texts, alloc::vec!["abc"; 3]);
        assert!(!c.hash_linked.split);
        assert_eq!(c.hash_linked.refusals.get(Refusal::BadHash), 2);
    }
}
