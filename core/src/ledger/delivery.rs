//! How entries reach a replica before the leader orders them: causal broadcast (Birman,
//! Schiper & Stephenson 1991, through [`CausalQueue`]) or, in the unsafe variant, eager
//! delivery on receipt.
//!
//! With causal delivery an entry is exposed only once everything its origin had seen is
//! exposed here — no replica shows a reply before the entry it answers. Eager delivery keeps
//! the same vector clocks (so the evidence of happens-before is intact and the checks can
//! see the damage) but shows each entry the moment it arrives.
//!
//! Invariant (causal): the delivery order at every replica is a linear extension of
//! happens-before; no entry is delivered twice.

use alloc::collections::BTreeSet;
use alloc::vec::Vec;

use super::entry::Entry;
use crate::broadcast::causal::{CausalError, CausalMessage, CausalQueue, Receipt};
use crate::broadcast::BroadcastId;
use crate::clock::{ClockError, VectorClock};
use crate::node::NodeId;
use crate::time::Instant;

/// What an arriving entry came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Arrival {
    /// Already here.
    Duplicate,
    /// Held back until `waiting_for` arrives.
    Held {
        /// The first missing dependency.
        waiting_for: BroadcastId,
    },
    /// Delivered, with everything it released, in order.
    Delivered(Vec<Entry>),
    /// Delivered *after* an entry that depends on it (eager delivery only): a reply was
    /// shown before the entry it answers.
    Late(Entry),
}

/// Delivery of entries at one replica.
///
/// # Examples
///
/// ```
/// use chronoscope::clock::HlcTimestamp;
/// use chronoscope::ledger::delivery::{Arrival, Delivery};
/// use chronoscope::node::NodeId;
/// use chronoscope::time::Instant;
/// let (a, b, c) = (NodeId(0), NodeId(1), NodeId(2));
/// let (mut da, mut db, mut dc) = (Delivery::causal(a), Delivery::causal(b), Delivery::causal(c));
/// let q = da.stamp(HlcTimestamp::ZERO, 1).unwrap();
/// db.receive(q.clone(), Instant::ZERO).unwrap();
/// let r = db.stamp(HlcTimestamp::ZERO, 2).unwrap(); // a reply to q
/// assert!(matches!(dc.receive(r, Instant::ZERO), Ok(Arrival::Held { .. })));
/// let Ok(Arrival::Delivered(both)) = dc.receive(q, Instant::ZERO) else { panic!() };
/// assert_eq!(both.iter().map(|e| e.value).collect::<Vec<_>>(), [1, 2]);
/// ```
#[derive(Clone, Debug)]
pub enum Delivery {
    /// Causal broadcast's hold-back queue.
    Causal(CausalQueue<Entry>),
    /// Eager: deliver on receipt (the unsafe variant).
    Eager {
        /// This replica.
        me: NodeId,
        /// Every entry seen so far, merged.
        clock: VectorClock,
        /// Ids delivered.
        seen: BTreeSet<BroadcastId>,
    },
}

impl Delivery {
    /// Causal delivery at `me`.
    pub fn causal(me: NodeId) -> Self {
        Delivery::Causal(CausalQueue::new(me))
    }

    /// Eager delivery at `me`.
    pub fn eager(me: NodeId) -> Self {
        Delivery::Eager {
            me,
            clock: VectorClock::new(),
            seen: BTreeSet::new(),
        }
    }

    /// Stamps a new entry of this replica (it counts as delivered here at once).
    pub fn stamp(
        &mut self,
        hlc: crate::clock::HlcTimestamp,
        value: u64,
    ) -> Result<CausalMessage<Entry>, ClockError> {
        let (me, clock) = match self {
            Delivery::Causal(q) => {
                let me = q.node();
                let m = q.try_broadcast(Entry::new(
                    BroadcastId { origin: me, seq: 0 },
                    hlc,
                    VectorClock::new(),
                    value,
                ))?;
                (me, m.clock)
            }
            Delivery::Eager { me, clock, seen } => {
                clock.try_increment(*me)?;
                seen.insert(BroadcastId {
                    origin: *me,
                    seq: clock.get(*me),
                });
                (*me, clock.clone())
            }
        };
        let id = BroadcastId {
            origin: me,
            seq: clock.get(me),
        };
        Ok(CausalMessage {
            sender: me,
            clock: clock.clone(),
            payload: Entry::new(id, hlc, clock, value),
        })
    }

    /// An entry arrives from the network.
    pub fn receive(
        &mut self,
        message: CausalMessage<Entry>,
        now: Instant,
    ) -> Result<Arrival, CausalError> {
        match self {
            Delivery::Causal(q) => Ok(match q.receive(message, now)? {
                Receipt::Duplicate => Arrival::Duplicate,
                Receipt::Held { waiting_for } => Arrival::Held { waiting_for },
                Receipt::Delivered(ms) => {
                    Arrival::Delivered(ms.into_iter().map(|m| m.payload).collect())
                }
            }),
            Delivery::Eager { me, clock, seen } => {
                if message.sender == *me {
                    return Err(CausalError::FromSelf);
                }
                if message.clock.get(message.sender) == 0 {
                    return Err(CausalError::NoOwnEntry {
                        sender: message.sender,
                    });
                }
                let id = message.id();
                if !seen.insert(id) {
                    return Ok(Arrival::Duplicate);
                }
                // Something delivered here already depended on it.
                let late = clock.get(id.origin) >= id.seq;
                clock.merge(&message.clock);
                Ok(if late {
                    Arrival::Late(message.payload)
                } else {
                    Arrival::Delivered(alloc::vec![message.payload])
                })
            }
        }
    }

    /// Entries arrived inside the leader's log: everything up to `clock` is here now.
    /// Returns held entries this released, in delivery order.
    pub fn caught_up(&mut self, clock: &VectorClock, ids: &[BroadcastId]) -> Vec<Entry> {
        match self {
            Delivery::Causal(q) => q
                .fast_forward(clock)
                .into_iter()
                .map(|m| m.payload)
                .collect(),
            Delivery::Eager {
                clock: mine, seen, ..
            } => {
                mine.merge(clock);
                seen.extend(ids.iter().copied());
                Vec::new()
            }
        }
    }

    /// The delivered counts (the vector clock of this replica's knowledge).
    pub fn delivered(&self) -> &VectorClock {
        match self {
            Delivery::Causal(q) => q.delivered(),
            Delivery::Eager { clock, .. } => clock,
        }
    }

    /// This replica.
    pub fn node(&self) -> NodeId {
        match self {
            Delivery::Causal(q) => q.node(),
            Delivery::Eager { me, .. } => *me,
        }
    }

    /// How many entries are held back.
    pub fn held(&self) -> usize {
        match self {
            Delivery::Causal(q) => q.held_len(),
            Delivery::Eager { .. } => 0,
        }
    }
}
