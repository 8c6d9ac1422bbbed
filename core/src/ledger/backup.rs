//! Backups by Chandy-Lamport snapshot (Chandy & Lamport 1985, §3 the marker algorithm) of
//! the ledger: each replica records its [`ReplicaState`] when it starts or first hears of
//! snapshot `id`, sends a marker on every channel, and records every shipment that arrives
//! on a channel after it recorded and before that channel's marker — the entries *in flight*
//! across the cut. The snapshot ids and their refusals are the ones of
//! [`snapshot::chandy_lamport`](crate::snapshot::chandy_lamport).
//!
//! A replica that lost its state restores from its part of the latest complete backup:
//! the recorded state with the in-flight shipments replayed through the same door as live
//! ones ([`ReplicaState::receive`], [`ReplicaState::accept`]), then catches up from the
//! leader like any lagging replica.
//!
//! Invariant (FIFO channels, as the algorithm requires): the recorded cut is consistent — no
//! message is recorded as received whose sending is outside the cut.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::sync::Arc;
use alloc::vec::Vec;

use super::commit::Accept;
use super::entry::Entry;
use super::state::ReplicaState;
use crate::broadcast::causal::CausalMessage;
use crate::node::NodeId;
use crate::snapshot::chandy_lamport::{SnapshotError, SnapshotId};
use crate::time::Instant;

/// A message recorded on a channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InFlight {
    /// Entries broadcast by a replica.
    Entries(Arc<[CausalMessage<Entry>]>),
    /// A leader's shipment.
    Accept(Accept),
}

/// One replica's part of a backup.
#[derive(Clone, Debug)]
pub struct BackupPart {
    /// The snapshot.
    pub id: SnapshotId,
    /// The replica.
    pub node: NodeId,
    /// The node that started the snapshot.
    pub initiator: NodeId,
    /// The state recorded.
    pub state: ReplicaState,
    /// What arrived on each channel between the recording and the channel's marker.
    pub in_flight: Vec<(NodeId, InFlight)>,
}

impl BackupPart {
    /// The recorded state with the in-flight messages replayed (fencing as configured).
    ///
    /// Refused messages (a stale token) are skipped, exactly as the live replica would.
    pub fn replayed(&self, fencing: bool) -> ReplicaState {
        let mut state = self.state.clone();
        for (_, m) in &self.in_flight {
            match m {
                InFlight::Entries(list) => {
                    for e in list.iter() {
                        let _ = state.receive(e.clone(), Instant::ZERO);
                    }
                }
                InFlight::Accept(a) => {
                    let _ = state.accept(a, fencing, Instant::ZERO);
                }
            }
        }
        state
    }
}

#[derive(Clone, Debug)]
struct Recording {
    part: BackupPart,
    open: BTreeSet<NodeId>,
}

/// The snapshots a replica is taking part in.
///
/// # Examples
///
/// ```
/// use chronoscope::ledger::backup::Recorder;
/// use chronoscope::ledger::state::ReplicaState;
/// use chronoscope::node::NodeId;
/// use chronoscope::snapshot::chandy_lamport::SnapshotId;
/// let (a, b, c) = (NodeId(0), NodeId(1), NodeId(2));
/// let mut r = Recorder::default();
/// // B's marker arrives first: A records, with the channel from B empty.
/// r.start(SnapshotId(1), a, b, Some(b), &[b, c], ReplicaState::new(a, true)).unwrap();
/// assert!(r.marker(SnapshotId(1), c).unwrap().is_some()); // every channel closed: done
/// ```
#[derive(Clone, Debug, Default)]
pub struct Recorder {
    active: BTreeMap<SnapshotId, Recording>,
    finished: BTreeSet<SnapshotId>,
}

impl Recorder {
    /// Whether this replica already recorded `id`.
    pub fn knows(&self, id: SnapshotId) -> bool {
        self.active.contains_key(&id) || self.finished.contains(&id)
    }

    /// Records `state` for snapshot `id` started by `initiator`; `via` is the channel whose
    /// marker triggered it (recorded empty). Returns the part at once if no channel is open.
    pub fn start(
        &mut self,
        id: SnapshotId,
        me: NodeId,
        initiator: NodeId,
        via: Option<NodeId>,
        peers: &[NodeId],
        state: ReplicaState,
    ) -> Result<Option<BackupPart>, SnapshotError> {
        if self.knows(id) {
            return Err(SnapshotError::IdReused(id));
        }
        let open: BTreeSet<NodeId> = peers.iter().copied().filter(|&p| Some(p) != via).collect();
        let part = BackupPart {
            id,
            node: me,
            initiator,
            state,
            in_flight: Vec::new(),
        };
        if open.is_empty() {
            self.finished.insert(id);
            return Ok(Some(part));
        }
        self.active.insert(id, Recording { part, open });
        Ok(None)
    }

    /// A marker for `id` arrived on the channel from `from`: that channel's recording ends.
    /// Returns the finished part once every channel is closed.
    pub fn marker(
        &mut self,
        id: SnapshotId,
        from: NodeId,
    ) -> Result<Option<BackupPart>, SnapshotError> {
        let Some(rec) = self.active.get_mut(&id) else {
            // Finished (or abandoned in a crash): a late or duplicated marker changes nothing.
            return if self.finished.contains(&id) {
                Ok(None)
            } else {
                Err(SnapshotError::DuplicateMarker { id, from })
            };
        };
        if !rec.open.remove(&from) {
            return Err(SnapshotError::DuplicateMarker { id, from });
        }
        if !rec.open.is_empty() {
            return Ok(None);
        }
        self.finished.insert(id);
        Ok(self.active.remove(&id).map(|r| r.part))
    }

    /// A message arrived from `from`: recorded for every snapshot whose channel is open.
    pub fn observe(&mut self, from: NodeId, message: &InFlight) {
        for rec in self.active.values_mut() {
            if rec.open.contains(&from) {
                rec.part.in_flight.push((from, message.clone()));
            }
        }
    }

    /// Whether any snapshot is recording (so messages need copying).
    pub fn recording(&self) -> bool {
        !self.active.is_empty()
    }

    /// Abandons every recording in progress (the replica crashed): those snapshots will
    /// never complete here.
    pub fn abandon(&mut self) {
        let ids: Vec<SnapshotId> = self.active.keys().copied().collect();
        self.finished.extend(ids);
        self.active.clear();
    }
}

/// Every replica's part of one snapshot: a complete backup.
#[derive(Clone, Debug)]
pub struct Backup {
    /// The snapshot.
    pub id: SnapshotId,
    /// The parts, by replica.
    pub parts: BTreeMap<NodeId, BackupPart>,
}

impl Backup {
    /// Assembles the backup `id` from `parts` if every one of `replicas` recorded its part.
    pub fn assemble<'a>(
        id: SnapshotId,
        replicas: usize,
        parts: impl IntoIterator<Item = &'a BackupPart>,
    ) -> Option<Backup> {
        let parts: BTreeMap<NodeId, BackupPart> = parts
            .into_iter()
            .filter(|p| p.id == id)
            .map(|p| (p.node, p.clone()))
            .collect();
        (parts.len() == replicas).then_some(Backup { id, parts })
    }
}
