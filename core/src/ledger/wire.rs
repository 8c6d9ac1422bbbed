//! What replicas of the ledger exchange and report: settings, messages, timers, operations,
//! errors and outputs of [`Replica`](super::replica::Replica) (kept apart from the state
//! machine so that a driver — the simulator, a lab, a browser tab — can name them alone).
//!
//! Invariant: every message a replica can receive is one of [`LedgerMessage`]'s variants and
//! every refusal is a typed value ([`LedgerError`], or the errors the outputs carry).

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use super::backup::BackupPart;
use super::commit::{Accept, CommitError, ReplicaLog};
use super::election::ElectionError;
use super::entry::Entry;
use super::state::{AppendError, Overwritten};
use crate::broadcast::causal::{CausalError, CausalMessage};
use crate::broadcast::BroadcastId;
use crate::node::NodeId;
use crate::snapshot::chandy_lamport::{SnapshotError, SnapshotId};
use crate::time::{Instant, Span};

/// Settings shared by every replica of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LedgerConfig {
    /// The number of replicas (majorities are counted out of it).
    pub replicas: usize,
    /// Replicas refuse shipments under a token below the highest they promised.
    pub fencing: bool,
    /// Entries are delivered in causal order (off: on receipt).
    pub causal: bool,
    /// Lease duration.
    pub lease: Span,
    /// The leader treats its lease as over this much early.
    pub margin: Span,
    /// Tick: the leader's batch window, and how often everyone checks its timers.
    pub tick: Span,
    /// A follower whose promise ran out waits a random time below this before asking.
    pub jitter: Span,
    /// The first fencing token.
    pub first_token: u64,
    /// Every this many ticks, a replica resends its own entries not yet committed.
    pub resend_ticks: u32,
}

impl Default for LedgerConfig {
    fn default() -> Self {
        LedgerConfig {
            replicas: 3,
            fencing: true,
            causal: true,
            lease: Span::from_millis(600),
            margin: Span::from_millis(50),
            tick: Span::from_millis(20),
            jitter: Span::from_millis(200),
            first_token: 101,
            resend_ticks: 10,
        }
    }
}

/// What travels between replicas.
#[derive(Clone, Debug)]
pub enum LedgerMessage {
    /// Entries, by causal broadcast (shared: one broadcast goes to every peer).
    Entries(Arc<[CausalMessage<Entry>]>),
    /// A candidate asks for the lease.
    RequestLease {
        /// The token it will lead under.
        token: u64,
        /// The lease it asks for.
        duration: Span,
        /// Its log's recency `(token, length)`.
        recency: (u64, u64),
    },
    /// A voter grants it, with its log when more recent than the candidate's.
    Grant {
        /// The token granted.
        token: u64,
        /// The voter's log, if more recent.
        log: Option<ReplicaLog>,
        /// The voter is a learner (restored, not caught up): its promise counts, its log
        /// (never sent) is no evidence of what was committed.
        learner: bool,
    },
    /// A voter refuses.
    Refuse {
        /// The token asked for.
        token: u64,
        /// Why.
        error: ElectionError,
    },
    /// A candidate lost under `token`: its voters may release their promise.
    Release {
        /// The token.
        token: u64,
    },
    /// The leader extends its lease.
    Renew {
        /// Its token.
        token: u64,
        /// The extension.
        duration: Span,
    },
    /// A voter extended its promise.
    Renewed {
        /// The token.
        token: u64,
    },
    /// The leader ships its log.
    Accept(Accept),
    /// A replica holds `len` offsets under `token`.
    Ack {
        /// The leader's token.
        token: u64,
        /// The replica's log length.
        len: u64,
    },
    /// A replica refused a shipment.
    Nack {
        /// The shipment's token.
        token: u64,
        /// Why.
        error: CommitError,
        /// The replica's log recency `(token, length)`.
        recency: (u64, u64),
    },
    /// A Chandy-Lamport marker.
    Marker {
        /// The snapshot.
        id: SnapshotId,
        /// Who started it.
        initiator: NodeId,
    },
}

/// Timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LedgerTimer {
    /// The periodic tick.
    Tick,
}

/// Local operations.
#[derive(Clone, Debug)]
pub enum LedgerOp {
    /// Append a value.
    Append(u64),
    /// Append several values in one broadcast.
    AppendMany(Vec<u64>),
    /// Start snapshot `id` here.
    Snapshot(SnapshotId),
    /// Lose every volatile state (the promise register, the hybrid clock and the count of
    /// own entries survive, as on disk) and stop until restored.
    Crash,
    /// Come back from a crash with this backup part.
    Restore(Box<BackupPart>),
}

/// Why an operation was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LedgerError {
    /// The replica is down.
    Down,
    /// A restore while the replica is up.
    NotDown,
    /// A backup part recorded by another replica.
    WrongPart {
        /// The replica it belongs to.
        part: NodeId,
    },
    /// The snapshot request was refused.
    Snapshot(SnapshotError),
    /// The append was refused.
    Append(AppendError),
}

impl fmt::Display for LedgerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LedgerError::Down => f.write_str("the replica is down"),
            LedgerError::NotDown => f.write_str("only a crashed replica can be restored"),
            LedgerError::WrongPart { part } => write!(f, "the backup part belongs to {part}"),
            LedgerError::Snapshot(e) => write!(f, "snapshot: {e}"),
            LedgerError::Append(e) => write!(f, "append: {e}"),
        }
    }
}

impl core::error::Error for LedgerError {}

/// What a replica reports.
#[derive(Clone, Debug)]
pub enum LedgerOutput {
    /// A local append.
    Appended(Entry),
    /// An entry arrived early and waits.
    HeldBack {
        /// The entry.
        id: BroadcastId,
        /// Its first missing dependency.
        waiting_for: BroadcastId,
    },
    /// An entry was shown after one that depends on it (eager delivery: causality broken).
    DeliveredLate {
        /// The entry that came too late.
        id: BroadcastId,
    },
    /// An entry message was refused.
    EntryRefused {
        /// The sender.
        from: NodeId,
        /// Why.
        error: CausalError,
    },
    /// This replica asks for the lease.
    Candidate {
        /// The token.
        token: u64,
    },
    /// This replica promised the lease.
    Granted {
        /// The token.
        token: u64,
        /// To whom.
        to: NodeId,
    },
    /// This replica leads.
    Elected {
        /// Its token.
        token: u64,
        /// The length of the log it adopted.
        adopted: u64,
        /// Until when it believes it leads (its clock).
        until: Instant,
    },
    /// The lease was renewed by a majority.
    Renewed {
        /// The token.
        token: u64,
        /// The new end (leader's clock).
        until: Instant,
    },
    /// The lease ran out on the leader's own clock: it steps down.
    LeaseExpired {
        /// The token.
        token: u64,
    },
    /// A replica told the leader of a higher token: it steps down.
    Superseded {
        /// Its token.
        token: u64,
        /// The higher one.
        by: u64,
    },
    /// The leader shipped a batch (checked at the previous tick).
    Shipped {
        /// The token.
        token: u64,
        /// The first new offset.
        from: u64,
        /// How many entries.
        count: u64,
        /// The lease end it believed in when it checked.
        believed_until: Instant,
    },
    /// A shipment was refused by fencing.
    Rejected {
        /// The leader that sent it.
        from: NodeId,
        /// Why.
        error: CommitError,
    },
    /// Offsets became committed here.
    Committed {
        /// The log's token.
        token: u64,
        /// The first committed offset.
        from: u64,
        /// `(assigning token, entry)` per offset.
        entries: Vec<(u64, BroadcastId)>,
    },
    /// A shipment replaced a committed entry here (split brain; only without fencing).
    CommittedLost {
        /// The leader that shipped it.
        from: NodeId,
        /// What was replaced.
        lost: Overwritten,
    },
    /// This replica recorded its state for a snapshot.
    Recorded {
        /// The snapshot.
        id: SnapshotId,
        /// The channel whose marker triggered it (`None`: the initiator).
        via: Option<NodeId>,
        /// Log length recorded.
        log_len: u64,
        /// Committed length recorded.
        committed: u64,
    },
    /// This replica's part of a snapshot is complete.
    BackedUp(Box<BackupPart>),
    /// The replica crashed.
    Crashed,
    /// The replica restored from a backup.
    Restored {
        /// The snapshot.
        id: SnapshotId,
        /// Log length after replay.
        log_len: u64,
    },
    /// An operation was refused.
    Refused(LedgerError),
}
