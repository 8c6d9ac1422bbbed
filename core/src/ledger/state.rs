//! One replica's ledger state, as the protocol mutates it and as a backup records it: the
//! log it accepted from a leader, the entries delivered but not yet in the log, its promise
//! register and its hybrid logical clock. The live replica and a replay after a restore go
//! through the same two doors, [`ReplicaState::receive`] and [`ReplicaState::accept`].
//!
//! Invariant: an entry is in the log or pending, never both; what the replica exposes (the
//! log, then pending entries in delivery order) is a linear extension of happens-before when
//! delivery is causal and fencing is on.

use alloc::vec::Vec;

use super::commit::{Accept, CommitError, ReplicaLog};
use super::delivery::{Arrival, Delivery};
use super::election::LeaseVoter;
use super::entry::Entry;
use super::id_set::IdSet;
use crate::broadcast::causal::{CausalError, CausalMessage};
use crate::broadcast::BroadcastId;
use crate::clock::{ClockError, HybridLogicalClock, VectorClock};
use crate::node::NodeId;
use crate::time::Instant;

/// Why a local append was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppendError {
    /// The replica's entry counter is exhausted.
    Clock(ClockError),
    /// Restored from a backup, the replica has not yet recovered its own later entries
    /// (`have` of `need`): a new one would reuse an id.
    Recovering {
        /// Own entries recovered.
        have: u64,
        /// Own entries it had appended before the crash.
        need: u64,
    },
}

impl core::fmt::Display for AppendError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            AppendError::Clock(e) => write!(f, "{e}"),
            AppendError::Recovering { have, need } => write!(
                f,
                "restored replica has recovered {have} of its {need} own entries; appends wait"
            ),
        }
    }
}

impl core::error::Error for AppendError {}

impl From<ClockError> for AppendError {
    fn from(e: ClockError) -> Self {
        AppendError::Clock(e)
    }
}

/// A committed entry a shipment replaced (only possible without fencing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Overwritten {
    /// The offset.
    pub offset: u64,
    /// The committed entry that was there.
    pub was: BroadcastId,
    /// What is there now (`None`: the log is shorter).
    pub now: Option<BroadcastId>,
}

/// What an accepted shipment did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    /// Offsets it committed.
    pub committed: core::ops::Range<u64>,
    /// The first committed entry it replaced, if any.
    pub lost: Option<Overwritten>,
}

/// The state of one replica.
///
/// # Examples
///
/// ```
/// use chronoscope::ledger::state::ReplicaState;
/// use chronoscope::node::NodeId;
/// use chronoscope::time::Instant;
/// let mut a = ReplicaState::new(NodeId(0), true);
/// let m = a.append(Instant::from_millis(5), 42).unwrap();
/// assert_eq!(m.payload.hlc.physical_ms(), 5);
/// assert_eq!(a.pending().len(), 1);
/// let mut b = ReplicaState::new(NodeId(1), true);
/// b.receive(m, Instant::from_millis(3)).unwrap();
/// // B's hybrid clock absorbed A's stamp: its next entry is ordered after A's.
/// assert!(b.append(Instant::from_millis(3), 7).unwrap().payload.hlc.physical_ms() == 5);
/// ```
#[derive(Clone, Debug)]
pub struct ReplicaState {
    /// The accepted log.
    pub log: ReplicaLog,
    /// Delivery of entries from the network.
    pub delivery: Delivery,
    /// The promise register.
    pub voter: LeaseVoter,
    /// The replica's hybrid logical clock.
    pub hlc: HybridLogicalClock,
    pending: Vec<Entry>,
    in_log: IdSet,
    own_floor: u64,
}

impl ReplicaState {
    /// An empty replica `me`, with causal or eager delivery.
    pub fn new(me: NodeId, causal: bool) -> Self {
        ReplicaState {
            log: ReplicaLog::default(),
            delivery: if causal {
                Delivery::causal(me)
            } else {
                Delivery::eager(me)
            },
            voter: LeaseVoter::default(),
            hlc: HybridLogicalClock::unbounded(),
            pending: Vec::new(),
            in_log: IdSet::default(),
            own_floor: 0,
        }
    }

    /// Entries delivered here but not yet in the log, in delivery order.
    pub fn pending(&self) -> &[Entry] {
        &self.pending
    }

    /// What the replica shows: its log, then its pending entries.
    pub fn exposed(&self) -> impl Iterator<Item = &Entry> + '_ {
        self.log
            .entries()
            .iter()
            .map(|l| &l.entry)
            .chain(self.pending.iter())
    }

    /// Whether `id` is in the log.
    pub fn in_log(&self, id: BroadcastId) -> bool {
        self.in_log.contains(id)
    }

    /// Appends a local value: stamps it (HLC at physical reading `now`, vector clock), makes
    /// it pending here, and returns the message to broadcast.
    pub fn append(
        &mut self,
        now: Instant,
        value: u64,
    ) -> Result<CausalMessage<Entry>, AppendError> {
        if let Some((have, need)) = self.recovering() {
            return Err(AppendError::Recovering { have, need });
        }
        let hlc = self
            .hlc
            .now(now)
            .map_err(|_| ClockError::CounterOverflow { node: None })?;
        let message = self.delivery.stamp(hlc, value)?;
        self.pending.push(message.payload.clone());
        Ok(message)
    }

    fn absorb(&mut self, entry: &Entry, now: Instant) {
        // Unbounded HLC: the ledger's order must extend happens-before whatever the clocks.
        let _ = self.hlc.update(entry.hlc, now);
    }

    /// An entry arrives from the network; returns what was delivered.
    pub fn receive(
        &mut self,
        message: CausalMessage<Entry>,
        now: Instant,
    ) -> Result<Arrival, CausalError> {
        let arrival = self.delivery.receive(message, now)?;
        let list = match &arrival {
            Arrival::Delivered(list) => list.as_slice(),
            Arrival::Late(e) => core::slice::from_ref(e),
            _ => &[],
        };
        for e in list {
            let _ = self.hlc.update(e.hlc, now);
            if !self.in_log.contains(e.id) {
                self.pending.push(e.clone());
            }
        }
        Ok(arrival)
    }

    /// Checks a shipment: fencing and its shape. Unfenced (the unsafe variant), a replica
    /// writes whatever any leader ships at the offsets it names, like a store that accepts
    /// every write; only a gap is refused.
    pub fn validate(&self, accept: &Accept, fencing: bool) -> Result<(), CommitError> {
        if !fencing {
            if accept.from > self.log.len() {
                return Err(CommitError::Gap {
                    from: accept.from,
                    len: self.log.len(),
                });
            }
            return Ok(());
        }
        self.voter
            .fence(accept.token)
            .map_err(|promised| CommitError::StaleToken {
                token: accept.token,
                promised,
            })?;
        self.log.validate(accept)
    }

    /// Checks, then applies a leader's shipment; returns the offsets it committed.
    pub fn accept(
        &mut self,
        accept: &Accept,
        fencing: bool,
        now: Instant,
    ) -> Result<Applied, CommitError> {
        self.validate(accept, fencing)?;
        let before = self.log.committed_len();
        let mut lost = None;
        if accept.token != self.log.token() {
            // A new leader's log replaces this one (unfenced: overwrites from `from` on).
            let old = core::mem::take(&mut self.log);
            let kept = old.entries()[..accept.from as usize].to_vec();
            self.log = ReplicaLog::restore(accept.token, kept, old.committed_len());
            self.log.apply(accept)?;
            lost = old
                .committed()
                .iter()
                .enumerate()
                .find(|(i, l)| self.log.entries().get(*i).map(|n| n.entry.id) != Some(l.entry.id))
                .map(|(i, l)| Overwritten {
                    offset: i as u64,
                    was: l.entry.id,
                    now: self.log.entries().get(i).map(|n| n.entry.id),
                });
            self.relink(old);
        } else {
            let from = self.log.len();
            self.log.apply(accept)?;
            self.took_in(from as usize, now);
        }
        if fencing {
            self.voter.observe(accept.token);
        }
        Ok(Applied {
            committed: before.min(self.log.committed_len())..self.log.committed_len(),
            lost,
        })
    }

    /// The log's entries from offset `from` on just entered it: out of pending, delivered,
    /// absorbed.
    fn took_in(&mut self, from: usize, now: Instant) {
        let fresh = self.log.entries().get(from..).unwrap_or_default();
        if fresh.is_empty() {
            return;
        }
        let mut clock = VectorClock::new();
        let mut ids = Vec::with_capacity(fresh.len());
        for l in fresh {
            let e = &l.entry;
            self.in_log.insert(e.id);
            clock.merge(&e.clock);
            ids.push(e.id);
            // Unbounded HLC: the ledger's order must extend happens-before whatever the clocks.
            let _ = self.hlc.update(e.hlc, now);
        }
        let released = self.delivery.caught_up(&clock, &ids);
        for e in released {
            self.absorb(&e, now);
            if !self.in_log.contains(e.id) {
                self.pending.push(e);
            }
        }
        if !self.pending.is_empty() {
            let in_log = &self.in_log;
            self.pending.retain(|e| !in_log.contains(e.id));
        }
    }

    /// The log was replaced by `self.log`: entries of `old` it lacks go back to pending.
    fn relink(&mut self, old: ReplicaLog) {
        self.in_log = self.log.entries().iter().map(|l| l.entry.id).collect();
        let in_log = &self.in_log;
        let mut back: Vec<Entry> = old
            .entries()
            .iter()
            .filter(|l| !in_log.contains(l.entry.id))
            .map(|l| l.entry.clone())
            .collect();
        back.append(&mut self.pending);
        self.pending = back;
        self.took_in(0, Instant::ZERO);
    }

    /// Leader: adopt `log` (the most recent among its grants) under `token`.
    pub fn adopt(&mut self, token: u64, log: ReplicaLog) {
        let old = core::mem::take(&mut self.log);
        let mut adopted = old.clone();
        adopted.adopt(token, log);
        self.log = adopted;
        self.relink(old);
    }

    /// Leader: moves every pending entry into the log, in canonical `(HLC, node)` order;
    /// returns the first new offset.
    pub fn seal(&mut self) -> u64 {
        let from = self.log.len();
        let mut batch = core::mem::take(&mut self.pending);
        batch.sort_by_key(Entry::key);
        for e in batch {
            self.in_log.insert(e.id);
            self.log.push(e);
        }
        from
    }

    /// Restores from a backup: the recorded state, with the persistent parts of `self`
    /// (promise register, hybrid clock, the count of entries it ever appended) kept.
    ///
    /// Its own entries appended after the backup are *not* taken back at once: whatever
    /// they depended on may be missing here. Each returns through the leader's log or
    /// [`recover_own`](Self::recover_own), once its dependencies are back; until all have,
    /// the replica appends nothing new, so no entry id is ever used twice.
    pub fn restored_from(&self, me: NodeId, mut backup: ReplicaState) -> ReplicaState {
        backup.voter = self.voter;
        backup.hlc = self.hlc;
        backup.own_floor = self.own_floor.max(self.delivery.delivered().get(me));
        backup
    }

    /// Takes back one of its own entries after a restore, once everything it depends on is
    /// delivered here and it is the next of its own; returns whether it is back (or was).
    pub fn recover_own(&mut self, message: &CausalMessage<Entry>) -> bool {
        let me = self.delivery.node();
        let id = message.payload.id;
        let have = self.delivery.delivered().get(me);
        if id.origin != me || id.seq <= have {
            return true;
        }
        let delivered = self.delivery.delivered();
        if id.seq != have + 1
            || message
                .clock
                .iter()
                .any(|(k, v)| k != me && delivered.get(k) < v)
        {
            return false;
        }
        let released = self
            .delivery
            .caught_up(&VectorClock::from_entries([(me, id.seq)]), &[id]);
        for e in core::iter::once(message.payload.clone()).chain(released) {
            self.absorb(&e, Instant::ZERO);
            if !self.in_log.contains(e.id) {
                self.pending.push(e);
            }
        }
        true
    }

    /// How many entries this replica ever appended (as it would keep on disk).
    pub fn appended(&self) -> u64 {
        let me = self.delivery.node();
        self.own_floor.max(self.delivery.delivered().get(me))
    }

    /// Raises the count of own entries ever appended to `count` (read back from disk):
    /// appends wait until that many are back, so no id is used twice.
    pub fn raise_appended(&mut self, count: u64) {
        self.own_floor = self.own_floor.max(count);
    }

    /// Whether this replica is still waiting to recover its own entries (after a restore).
    pub fn recovering(&self) -> Option<(u64, u64)> {
        let me = self.delivery.node();
        let have = self.delivery.delivered().get(me);
        (have < self.own_floor).then_some((have, self.own_floor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::commit::LogEntry;

    #[test]
    fn a_new_leaders_log_sends_dropped_entries_back_to_pending() {
        let (a, b) = (NodeId(0), NodeId(1));
        let mut ra = ReplicaState::new(a, true);
        let mut rb = ReplicaState::new(b, true);
        let x = ra.append(Instant::from_millis(1), 1).unwrap();
        let y = ra.append(Instant::from_millis(2), 2).unwrap();
        rb.receive(x.clone(), Instant::ZERO).unwrap();
        rb.receive(y.clone(), Instant::ZERO).unwrap();
        let ship = |token, es: &[&CausalMessage<Entry>]| Accept {
            token,
            from: 0,
            entries: es
                .iter()
                .map(|m| LogEntry {
                    token,
                    entry: m.payload.clone(),
                })
                .collect::<Vec<_>>()
                .into(),
            commit: 0,
        };
        rb.accept(&ship(101, &[&x, &y]), true, Instant::ZERO)
            .unwrap();
        assert!(rb.pending().is_empty());
        rb.accept(&ship(102, &[&x]), true, Instant::ZERO).unwrap();
        assert_eq!(rb.pending().len(), 1);
        assert_eq!(rb.pending()[0].value, 2);
        assert_eq!(
            rb.accept(&ship(101, &[&x, &y]), true, Instant::ZERO),
            Err(CommitError::StaleToken {
                token: 101,
                promised: 102
            })
        );
        // Unfenced, the stale shipment replaces the newer log.
        assert!(rb
            .accept(&ship(101, &[&x, &y]), false, Instant::ZERO)
            .is_ok());
        assert_eq!(rb.log.token(), 101);
    }
}
