//! The hold-back queue of vector-clock causal delivery (Birman, Schiper and Stephenson,
//! "Lightweight causal and atomic group multicast", ACM TOCS 1991, §4; the CBCAST rule), in
//! a form that works outside the simulator and with a membership that changes: clocks are
//! sparse, a node nobody has heard of counts as 0, and a node can be left out of future
//! clocks when it has gone.
//!
//! A message from `j` stamped `V` is delivered at a replica whose delivered-clock is `D`
//! once `V[j] = D[j] + 1` and `V[k] ≤ D[k]` for every other `k`; until then it waits in the
//! queue. Invariant: every message is delivered at most once, and only after every message
//! that causally precedes it (as far as its clock says) has been delivered.
//!
//! Incoming stamps are checked first ([`HoldBackQueue::validate`]): a zero sequence number, a
//! jump too far ahead of what was delivered, or a full queue is a [`HoldBackError`], never a
//! panic.

use alloc::vec::Vec;
use core::fmt;

use crate::clock::VectorClock;
use crate::node::NodeId;

/// A message with its origin and the origin's vector clock when it sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamped<M> {
    /// The node that broadcast it.
    pub origin: NodeId,
    /// The origin's clock at the send; `clock.get(origin)` is its sequence number.
    pub clock: VectorClock,
    /// The payload.
    pub payload: M,
}

impl<M> Stamped<M> {
    /// The origin's sequence number (1 for its first message).
    pub fn seq(&self) -> u64 {
        self.clock.get(self.origin)
    }
}

/// Why an incoming message was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HoldBackError {
    /// The clock has no entry for the origin (sequence number 0).
    ZeroSequence,
    /// The clock is further ahead of what this replica delivered than any honest peer
    /// could be.
    TooFarAhead {
        /// The node whose entry jumps.
        node: NodeId,
        /// By how much it is ahead.
        gap: u64,
    },
    /// The queue already holds its capacity of messages.
    Full,
}

impl fmt::Display for HoldBackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HoldBackError::ZeroSequence => write!(f, "clock has no entry for its sender"),
            HoldBackError::TooFarAhead { node, gap } => {
                write!(
                    f,
                    "clock entry for {node} is {gap} ahead of what was delivered"
                )
            }
            HoldBackError::Full => write!(f, "hold-back queue is full"),
        }
    }
}

impl core::error::Error for HoldBackError {}

/// Causal delivery: a delivered-clock and the messages waiting for their causal past.
///
/// # Examples
///
/// A reply overtakes the message it answers; the queue holds it back until the first
/// arrives.
///
/// ```
/// use chronoscope::broadcast::holdback_queue::HoldBackQueue;
/// use chronoscope::node::NodeId;
/// let (a, b, c) = (NodeId(0), NodeId(1), NodeId(2));
/// let mut at_a = HoldBackQueue::new(100, 1000);
/// let mut at_b = HoldBackQueue::new(100, 1000);
/// let mut at_c = HoldBackQueue::new(100, 1000);
/// let hello = at_a.stamp(a, "Hello");
/// at_b.receive(hello.clone());
/// let world = at_b.stamp(b, "World");
/// assert!(at_c.receive(world.clone()).is_empty()); // held: waiting for A:1
/// assert_eq!(at_c.missing(&world), vec![(a, 1)]);
/// let delivered = at_c.receive(hello);
/// assert_eq!(delivered.iter().map(|m| m.payload).collect::<Vec<_>>(), ["Hello", "World"]);
/// assert!(at_c.pending().is_empty());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HoldBackQueue<M> {
    delivered: VectorClock,
    pending: Vec<Stamped<M>>,
    capacity: usize,
    max_gap: u64,
}

impl<M: Clone> HoldBackQueue<M> {
    /// An empty queue holding at most `capacity` messages and refusing clocks more than
    /// `max_gap` ahead of what was delivered.
    pub fn new(capacity: usize, max_gap: u64) -> Self {
        HoldBackQueue {
            delivered: VectorClock::new(),
            pending: Vec::new(),
            capacity,
            max_gap,
        }
    }

    /// What this replica has delivered: entry `k` counts `k`'s messages delivered.
    pub fn delivered(&self) -> &VectorClock {
        &self.delivered
    }

    /// The messages waiting, in arrival order.
    pub fn pending(&self) -> &[Stamped<M>] {
        &self.pending
    }

    /// Stamps a local broadcast by `me` (delivered locally at once) and returns the message
    /// to send.
    pub fn stamp(&mut self, me: NodeId, payload: M) -> Stamped<M> {
        self.delivered.increment(me);
        Stamped {
            origin: me,
            clock: self.delivered.clone(),
            payload,
        }
    }

    /// Whether the message was already delivered or is already waiting.
    pub fn is_duplicate(&self, msg: &Stamped<M>) -> bool {
        msg.seq() <= self.delivered.get(msg.origin)
            || self
                .pending
                .iter()
                .any(|p| p.origin == msg.origin && p.seq() == msg.seq())
    }

    /// Checks an incoming message's stamp against this queue.
    pub fn validate(&self, msg: &Stamped<M>) -> Result<(), HoldBackError> {
        if msg.seq() == 0 {
            return Err(HoldBackError::ZeroSequence);
        }
        for (node, counter) in msg.clock.iter() {
            let gap = counter.saturating_sub(self.delivered.get(node));
            if gap > self.max_gap {
                return Err(HoldBackError::TooFarAhead { node, gap });
            }
        }
        if self.pending.len() >= self.capacity && !self.is_duplicate(msg) {
            return Err(HoldBackError::Full);
        }
        Ok(())
    }

    fn ready(&self, msg: &Stamped<M>) -> bool {
        msg.seq() == self.delivered.get(msg.origin) + 1
            && msg
                .clock
                .iter()
                .all(|(k, c)| k == msg.origin || c <= self.delivered.get(k))
    }

    /// What `msg` still waits for: per node, the next message of that node it needs.
    pub fn missing(&self, msg: &Stamped<M>) -> Vec<(NodeId, u64)> {
        msg.clock
            .iter()
            .filter_map(|(k, c)| {
                let have = self.delivered.get(k);
                let need = if k == msg.origin { c - 1 } else { c };
                (need > have).then_some((k, have + 1))
            })
            .collect()
    }

    /// Takes in a message that [`validate`](Self::validate) accepted; returns the messages
    /// now delivered, in a causal order (empty for a duplicate or one that must wait). A
    /// message that validation would refuse is dropped.
    pub fn receive(&mut self, msg: Stamped<M>) -> Vec<Stamped<M>> {
        if self.is_duplicate(&msg) || self.validate(&msg).is_err() {
            return Vec::new();
        }
        self.pending.push(msg);
        self.drain()
    }

    /// Delivers every waiting message whose causal past is now delivered.
    fn drain(&mut self) -> Vec<Stamped<M>> {
        let mut out = Vec::new();
        while let Some(i) = self.pending.iter().position(|m| self.ready(m)) {
            let msg = self.pending.remove(i);
            self.delivered.set(msg.origin, msg.seq());
            out.push(msg);
        }
        out
    }

    /// Adopts a state transfer that already contains everything up to `clock`: the
    /// delivered-clock moves up to it, waiting messages it covers are dropped, and those now
    /// ready are delivered (and returned).
    pub fn fast_forward(&mut self, clock: &VectorClock) -> Vec<Stamped<M>> {
        self.delivered.merge(clock);
        let delivered = &self.delivered;
        self.pending.retain(|m| m.seq() > delivered.get(m.origin));
        self.drain()
    }

    /// Replaces the delivered-clock (restoring a persisted replica); the queue empties.
    pub fn restore(&mut self, delivered: VectorClock) {
        self.delivered = delivered;
        self.pending.clear();
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod laws {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Messages of a random causal history, received in a random order with duplicates,
        /// are each delivered exactly once and never before their causal past.
        #[test]
        fn delivery_is_causal_and_exactly_once(
            n in 2usize..5,
            sends in proptest::collection::vec((0usize..5, proptest::collection::vec(0usize..64, 0..3)), 1..40),
            order in proptest::collection::vec(0usize..1000, 0..200),
        ) {
            // Build a history: each send first "receives" some earlier messages.
            let mut senders: Vec<HoldBackQueue<usize>> = (0..n).map(|_| HoldBackQueue::new(1000, 1000)).collect();
            let mut log: Vec<Stamped<usize>> = Vec::new();
            for (who, reads) in &sends {
                let who = who % n;
                for r in reads {
                    if !log.is_empty() {
                        let m = log[r % log.len()].clone();
                        // Only deliverable messages take effect; others just wait.
                        senders[who].receive(m);
                    }
                }
                let id = log.len();
                log.push(senders[who].stamp(NodeId(who as u32), id));
            }
            // A fresh observer receives a shuffled sequence with duplicates, then everything.
            let mut obs: HoldBackQueue<usize> = HoldBackQueue::new(1000, 1000);
            let mut got: Vec<Stamped<usize>> = Vec::new();
            for k in order.iter().copied().chain(0..log.len()).map(|k| k % log.len()).collect::<Vec<_>>() {
                got.extend(obs.receive(log[k].clone()));
            }
            got.extend(obs.fast_forward(&VectorClock::new()));
            prop_assert!(obs.pending().is_empty());
            let mut ids: Vec<usize> = got.iter().map(|m| m.payload).collect();
            for (pos, m) in got.iter().enumerate() {
                for earlier in &got[pos + 1..] {
                    // Nothing delivered later may be in this one's causal past.
                    prop_assert!(earlier.clock.compare(&m.clock) != crate::clock::Causality::Before, "{:?} before {:?}", m.clock, earlier.clock);
                }
            }
            ids.sort_unstable();
            prop_assert_eq!(ids, (0..log.len()).collect::<Vec<_>>());
        }
    }

    #[test]
    fn absurd_stamps_are_refused() {
        let mut q: HoldBackQueue<()> = HoldBackQueue::new(1, 10);
        let zero = Stamped {
            origin: NodeId(1),
            clock: VectorClock::new(),
            payload: (),
        };
        assert_eq!(q.validate(&zero), Err(HoldBackError::ZeroSequence));
        let far = Stamped {
            origin: NodeId(1),
            clock: VectorClock::from_entries([(NodeId(1), 50)]),
            payload: (),
        };
        assert!(matches!(
            q.validate(&far),
            Err(HoldBackError::TooFarAhead { .. })
        ));
        let waits = Stamped {
            origin: NodeId(1),
            clock: VectorClock::from_entries([(NodeId(1), 2)]),
            payload: (),
        };
        assert!(q.receive(waits).is_empty());
        let another = Stamped {
            origin: NodeId(2),
            clock: VectorClock::from_entries([(NodeId(2), 2)]),
            payload: (),
        };
        assert_eq!(q.validate(&another), Err(HoldBackError::Full));
        assert!(q.receive(zero).is_empty());
        assert_eq!(q.pending().len(), 1);
    }
}
