//! What a ledger replica keeps on disk across a crash (the durable half of the crash model of
//! [`LedgerOp::Crash`](super::wire::LedgerOp::Crash)): its promise register — like Raft's
//! `currentTerm` and `votedFor` (Ongaro & Ousterhout 2014, §5.2, Figure 2 "persistent state") —
//! its hybrid logical clock, how many entries it ever appended, and its own entries not yet
//! seen committed. Everything else (the log, pending entries, the role) is volatile and comes
//! back from a Chandy-Lamport backup part ([`backup`](super::backup)) and the leader.
//!
//! A driver whose replicas really lose their process — a closed browser tab, whose seat a new
//! tab takes — saves a [`Disk`] and hands it to
//! [`Replica::reboot`](super::replica::Replica::reboot).
//!
//! Invariant: a replica rebooted from its disk never promises a token it promised before to
//! someone else, never uses an entry id twice, and keeps its clock monotonic.

use alloc::vec::Vec;

use super::election::LeaseVoter;
use super::entry::Entry;
use crate::broadcast::causal::CausalMessage;
use crate::clock::HlcTimestamp;

/// A replica's durable state.
///
/// # Examples
///
/// ```
/// use chronoscope::ledger::replica::{LedgerConfig, Replica};
/// let disk = Replica::new(LedgerConfig::default()).disk();
/// assert_eq!((disk.appended, disk.own.len(), disk.voter.highest()), (0, 0, 0));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disk {
    /// The promise register.
    pub voter: LeaseVoter,
    /// The hybrid clock's last timestamp.
    pub hlc: HlcTimestamp,
    /// How many entries the replica ever appended.
    pub appended: u64,
    /// Its own entries not yet seen committed, as broadcast.
    pub own: Vec<CausalMessage<Entry>>,
}
