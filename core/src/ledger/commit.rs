//! Offsets and durability: the leader appends entries to its log under its fencing token and
//! ships the log to the replicas; an offset is *committed* once a majority holds it under the
//! leader's token (Lamport, "Paxos Made Simple", 2001, §2–3 with the whole log as the value and
//! the fencing token as the ballot; Ongaro & Ousterhout, "In Search of an Understandable
//! Consensus Algorithm", 2014, §5.3 for the incremental shipping).
//!
//! A replica accepts a shipment ([`Accept`]) only if its token is at least the highest it has
//! promised — otherwise `REJECTED: token 101 < 102` — and, when the token is new to it, only
//! the whole log (offset 0), which then replaces its own: its log is always one leader's log.
//! A new leader adopts the most recent log among its majority's grants, so whatever a
//! majority held under an earlier token is in it.
//!
//! Invariant (with fencing): a committed offset never changes its entry, and every replica's
//! log is a prefix of the log of the leader whose token it carries.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use super::entry::Entry;
use crate::node::NodeId;

/// One offset of the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    /// The token of the leader that gave the entry this offset.
    pub token: u64,
    /// The entry.
    pub entry: Entry,
}

/// A leader's shipment of its log from offset `from`, with its commit point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accept {
    /// The leader's fencing token.
    pub token: u64,
    /// The first offset shipped.
    pub from: u64,
    /// The entries at `from`, `from + 1`, … (shared: one shipment goes to every follower).
    pub entries: Arc<[LogEntry]>,
    /// Offsets below this are committed.
    pub commit: u64,
}

/// Why a replica refused a shipment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommitError {
    /// Fencing: the token is below the highest the replica has promised.
    StaleToken {
        /// The token presented.
        token: u64,
        /// The highest token promised here.
        promised: u64,
    },
    /// The shipment starts past the end of the replica's log (something was lost).
    Gap {
        /// Where it starts.
        from: u64,
        /// The replica's log length.
        len: u64,
    },
    /// A token new to the replica must ship the whole log, from offset 0.
    PartialFromNewLeader {
        /// The token presented.
        token: u64,
        /// Where the shipment starts.
        from: u64,
    },
}

impl fmt::Display for CommitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommitError::StaleToken { token, promised } => write!(f, "token {token} < {promised}"),
            CommitError::Gap { from, len } => {
                write!(
                    f,
                    "shipment starts at offset {from} past the log's end {len}"
                )
            }
            CommitError::PartialFromNewLeader { token, from } => write!(
                f,
                "token {token} is new here and must ship from offset 0, not {from}"
            ),
        }
    }
}

impl core::error::Error for CommitError {}

/// One replica's log: one leader's log (by token), with a committed prefix.
///
/// # Examples
///
/// ```
/// use chronoscope::ledger::commit::{Accept, CommitError, ReplicaLog};
/// let mut log = ReplicaLog::default();
/// let empty = |token, from, commit| Accept { token, from, entries: vec![].into(), commit };
/// assert_eq!(log.apply(&empty(102, 0, 0)), Ok(0));
/// assert_eq!(log.validate(&empty(102, 3, 0)), Err(CommitError::Gap { from: 3, len: 0 }));
/// assert_eq!(log.validate(&empty(103, 0, 0)), Ok(()));
/// assert_eq!(log.token(), 102);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplicaLog {
    token: u64,
    entries: Vec<LogEntry>,
    committed: u64,
}

impl ReplicaLog {
    /// The token of the leader whose log this is (0: none yet).
    pub fn token(&self) -> u64 {
        self.token
    }
    /// Every entry, by offset.
    pub fn entries(&self) -> &[LogEntry] {
        &self.entries
    }
    /// The number of entries.
    pub fn len(&self) -> u64 {
        self.entries.len() as u64
    }
    /// Whether the log is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    /// The committed prefix.
    pub fn committed(&self) -> &[LogEntry] {
        &self.entries[..self.committed_len() as usize]
    }
    /// Its length (never past the log's end).
    pub fn committed_len(&self) -> u64 {
        self.committed.min(self.len())
    }

    /// Checks a shipment's shape (fencing is the voter's business, see
    /// [`LeaseVoter::fence`](super::election::LeaseVoter::fence)).
    pub fn validate(&self, accept: &Accept) -> Result<(), CommitError> {
        if accept.token != self.token && accept.from != 0 {
            return Err(CommitError::PartialFromNewLeader {
                token: accept.token,
                from: accept.from,
            });
        }
        if accept.from > self.len() {
            return Err(CommitError::Gap {
                from: accept.from,
                len: self.len(),
            });
        }
        Ok(())
    }

    /// Checks, then applies a shipment; returns how many offsets became committed.
    pub fn apply(&mut self, accept: &Accept) -> Result<u64, CommitError> {
        self.validate(accept)?;
        if accept.token != self.token {
            // A new leader's whole log replaces this one.
            self.token = accept.token;
            self.entries.clear();
        }
        let skip = (self.len() - accept.from) as usize;
        self.entries
            .extend(accept.entries.iter().skip(skip).cloned());
        let before = self.committed_len();
        let end = accept.from + accept.entries.len() as u64;
        // Only what this shipment vouches for (up to its end) becomes committed.
        self.committed = self.committed.max(accept.commit.min(end));
        Ok(self.committed_len().saturating_sub(before))
    }

    /// Leader side: adopt `log` (the most recent among the grants) under a new `token`.
    pub fn adopt(&mut self, token: u64, log: ReplicaLog) {
        let committed = self.committed_len().max(log.committed_len());
        self.entries = log.entries;
        self.token = token;
        self.committed = committed.min(self.len());
    }

    /// Leader side: append entries under the log's own token.
    pub fn push(&mut self, entry: Entry) {
        self.entries.push(LogEntry {
            token: self.token,
            entry,
        });
    }

    /// Leader side: mark offsets below `upto` committed; returns how many became so.
    pub fn commit_to(&mut self, upto: u64) -> u64 {
        let before = self.committed_len();
        self.committed = self.committed.max(upto.min(self.len()));
        self.committed_len() - before
    }

    /// Restores a recorded log (a backup).
    pub fn restore(token: u64, entries: Vec<LogEntry>, committed: u64) -> Self {
        ReplicaLog {
            token,
            entries,
            committed,
        }
    }

    /// Which of two logs is more recent: higher token, then longer.
    pub fn recency(&self) -> (u64, u64) {
        (self.token, self.len())
    }
}

/// The leader's view of each follower: the next offset to ship, and the length it holds
/// under the leader's token.
///
/// # Examples
///
/// ```
/// use chronoscope::ledger::commit::Replication;
/// use chronoscope::node::NodeId;
/// let mut r = Replication::new([NodeId(1), NodeId(2)]);
/// r.acked(NodeId(1), 5);
/// assert_eq!(r.commit_point(7, 3), 5); // leader 7, B 5, C 0: the majority holds 5
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Replication {
    next: BTreeMap<NodeId, u64>,
    matched: BTreeMap<NodeId, u64>,
}

impl Replication {
    /// Every follower starts at offset 0.
    pub fn new(followers: impl IntoIterator<Item = NodeId>) -> Self {
        let next: BTreeMap<NodeId, u64> = followers.into_iter().map(|n| (n, 0)).collect();
        Replication {
            matched: next.clone(),
            next,
        }
    }
    /// The next offset to ship to `follower`.
    pub fn next(&self, follower: NodeId) -> u64 {
        self.next.get(&follower).copied().unwrap_or(0)
    }
    /// Notes that everything below `upto` was shipped to `follower`.
    pub fn shipped(&mut self, follower: NodeId, upto: u64) {
        if let Some(n) = self.next.get_mut(&follower) {
            *n = upto;
        }
    }
    /// `follower` holds `len` offsets under the leader's token.
    pub fn acked(&mut self, follower: NodeId, len: u64) {
        if let Some(m) = self.matched.get_mut(&follower) {
            *m = (*m).max(len);
        }
    }
    /// `follower` could not apply a shipment: ship again from `from`.
    pub fn rewind(&mut self, follower: NodeId, from: u64) {
        if let Some(n) = self.next.get_mut(&follower) {
            *n = from;
        }
    }
    /// The longest prefix a majority of `replicas` holds, the leader holding `own`.
    pub fn commit_point(&self, own: u64, replicas: usize) -> u64 {
        let mut lens: Vec<u64> = self.matched.values().copied().collect();
        lens.push(own);
        lens.sort_unstable_by(|a, b| b.cmp(a));
        let majority = replicas / 2 + 1;
        lens.get(majority - 1).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broadcast::BroadcastId;
    use crate::clock::{HlcTimestamp, VectorClock};
    use alloc::string::ToString;

    fn entry(seq: u64) -> Entry {
        Entry::new(
            BroadcastId {
                origin: NodeId(0),
                seq,
            },
            HlcTimestamp::ZERO,
            VectorClock::from_entries([(NodeId(0), seq)]),
            seq,
        )
    }

    fn ship(token: u64, from: u64, seqs: &[u64], commit: u64) -> Accept {
        Accept {
            token,
            from,
            entries: seqs
                .iter()
                .map(|&s| LogEntry {
                    token,
                    entry: entry(s),
                })
                .collect::<Vec<_>>()
                .into(),
            commit,
        }
    }

    #[test]
    fn shipments_are_idempotent_and_old_copies_never_shrink_the_log() {
        let mut log = ReplicaLog::default();
        log.apply(&ship(101, 0, &[1, 2, 3], 2)).unwrap();
        assert_eq!(log.committed_len(), 2);
        // A late, shorter copy of an earlier shipment.
        log.apply(&ship(101, 0, &[1], 0)).unwrap();
        assert_eq!((log.len(), log.committed_len()), (3, 2));
        assert_eq!(log.apply(&ship(101, 3, &[4], 4)), Ok(2));
        assert_eq!(
            log.apply(&ship(101, 9, &[], 4)),
            Err(CommitError::Gap { from: 9, len: 4 })
        );
        assert_eq!(
            log.apply(&ship(102, 2, &[], 4)),
            Err(CommitError::PartialFromNewLeader {
                token: 102,
                from: 2
            })
        );
        assert_eq!(
            CommitError::StaleToken {
                token: 101,
                promised: 102
            }
            .to_string(),
            "token 101 < 102"
        );
    }

    #[test]
    fn a_commit_point_beyond_the_shipment_is_not_trusted() {
        let mut log = ReplicaLog::default();
        log.apply(&ship(7, 0, &[1, 2], 10)).unwrap();
        assert_eq!(log.committed_len(), 2);
        let mut r = Replication::new([NodeId(1), NodeId(2), NodeId(3), NodeId(4)]);
        r.acked(NodeId(1), 4);
        r.acked(NodeId(2), 3);
        assert_eq!(r.commit_point(5, 5), 3);
        r.acked(NodeId(2), 1); // a late ack never lowers it
        assert_eq!(r.commit_point(5, 5), 3);
    }
}
