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
//! (no rescan of the whole queue). [`CausalBroadcast`] wraps it as a [`Protocol`](crate::protocol::Protocol) with
//! optional acknowledgements and retransmission (so losses are repaired while the sender
//! lives) and explicit "stuck" reports for messages held too long; [`wire`] gives messages
//! a text form for carrying them between browser tabs.

mod node;
pub mod wire;

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::fmt;

use super::BroadcastId;
use crate::clock::{ClockError, VectorClock};
use crate::node::NodeId;
use crate::time::{Instant, Span};

pub use node::{CausalBroadcast, CausalConfig, CausalOutput, CausalTimer, CausalWire};
pub use wire::DecodeError;

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
/// let hello = qa.try_broadcast("Hello").unwrap();
/// qb.receive(hello.clone(), Instant::ZERO).unwrap();
/// let world = qb.try_broadcast("World").unwrap(); // depends on Hello
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
    ///
    /// Refused with [`ClockError::CounterOverflow`], the queue unchanged, when this node's
    /// own count already stands at `u64::MAX` — reachable only through
    /// [`fast_forward`](Self::fast_forward) to a clock that claims it.
    pub fn try_broadcast(&mut self, payload: T) -> Result<CausalMessage<T>, ClockError> {
        self.delivered.try_increment(self.me)?;
        Ok(CausalMessage {
            sender: self.me,
            clock: self.delivered.clone(),
            payload,
        })
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
            seq: self.delivered.get(blocker.0).saturating_add(1),
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
        let id = message.id();
        self.delivered.set(id.origin, id.seq);
        out.push(message);
        if self.waiting_on.is_empty() {
            // Nothing is held: nothing to wake (the common case, without a work list).
            return;
        }
        let mut woken = alloc::vec![(id.origin, id.seq)];
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
#[cfg(all(test, not(target_arch = "wasm32")))]
mod laws {
    use super::*;
    use proptest::prelude::*;

    /// A causal history among `peers`: before each broadcast the sender may catch up with a
    /// random earlier message (and so with its whole causal past).
    fn history(peers: u32, picks: &[(u32, Option<usize>)]) -> Vec<CausalMessage<usize>> {
        let mut known: Vec<VectorClock> = (0..peers).map(|_| VectorClock::new()).collect();
        let mut out: Vec<CausalMessage<usize>> = Vec::new();
        for (k, &(s, catch_up)) in picks.iter().enumerate() {
            let s = (s % peers) as usize;
            if let Some(m) = catch_up.filter(|_| !out.is_empty()) {
                let clock = out[m % out.len()].clock.clone();
                known[s].merge(&clock);
            }
            known[s].try_increment(NodeId(s as u32)).unwrap();
            out.push(CausalMessage {
                sender: NodeId(s as u32),
                clock: known[s].clone(),
                payload: k,
            });
        }
        out
    }

    proptest! {
        /// Whatever the arrival order (with duplicates), every message is delivered exactly
        /// once, each at a moment the delivery condition held, and nothing stays held: the
        /// wake-up index never forgets a deliverable message.
        #[test]
        fn any_arrival_order_delivers_everything_in_causal_order(
            peers in 1u32..6,
            picks in proptest::collection::vec((0u32..6, proptest::option::of(0usize..1000)), 1..60),
            order in proptest::collection::vec(any::<proptest::sample::Index>(), 0..120),
        ) {
            let msgs = history(peers, &picks);
            let mut arrivals: Vec<CausalMessage<usize>> = msgs.clone();
            for (k, ix) in order.iter().enumerate() {
                if k % 3 == 0 {
                    arrivals.push(msgs[ix.index(msgs.len())].clone()); // a duplicate
                } else {
                    let (i, j) = (ix.index(arrivals.len()), k % arrivals.len());
                    arrivals.swap(i, j);
                }
            }
            let me = NodeId(peers); // a pure receiver
            let mut q = CausalQueue::new(me);
            let mut shadow = VectorClock::new();
            let mut count = 0;
            for m in arrivals {
                if let Receipt::Delivered(list) = q.receive(m, Instant::ZERO).unwrap() {
                    for d in list {
                        let s = d.sender;
                        prop_assert_eq!(d.clock.get(s), shadow.get(s) + 1);
                        prop_assert!(d.clock.iter().all(|(k, v)| k == s || v <= shadow.get(k)));
                        shadow.set(s, d.clock.get(s));
                        count += 1;
                    }
                }
            }
            prop_assert_eq!(count, msgs.len());
            prop_assert_eq!(q.held_len(), 0);
            prop_assert_eq!(q.delivered(), &shadow);
        }
    }
}
