//! The Chronos ledger between real tabs: the JSON codec of
//! [`LedgerMessage`] for the tab runtime
//! (`crate::tabs::runtime`) — one short JSON form per message (`{"ask":{"t":102,…}}`,
//! entries as `[origin, HLC, clock, value]`), and the range checks every message passes
//! before the replica sees it. The replica one tab runs, and its seat's saved state, are in
//! [`super::ledger_seat`].
//!
//! Invariant: every message reaches the replica only after [`LedgerCodec::validate`] (seats in
//! the room's range, bounded sizes, counts and durations); nothing here panics on input.

use std::fmt;

use chronoscope::broadcast::causal::CausalMessage;
use chronoscope::broadcast::BroadcastId;
use chronoscope::clock::{HlcTimestamp, VectorClock};
use chronoscope::ledger::commit::{Accept, CommitError, LogEntry, ReplicaLog};
use chronoscope::ledger::election::ElectionError;
use chronoscope::ledger::entry::Entry;
use chronoscope::ledger::replica::{LedgerConfig, LedgerMessage};
use chronoscope::node::NodeId;
use chronoscope::snapshot::chandy_lamport::SnapshotId;
use chronoscope::time::Span;
use serde::{Deserialize, Serialize};

use super::ledger_seat;
pub use super::ledger_seat::TabLedger;
use crate::tabs::runtime::WireCodec;
use crate::tabs::seats::MAX_SEATS;

/// The longest encoded message accepted, in bytes (a new leader ships its whole log).
pub const MAX_BYTES: usize = 2 * 1024 * 1024;
/// The most entries one message may carry.
pub const MAX_ENTRIES: usize = 20_000;
/// The largest offset or log length accepted.
pub const MAX_LOG: u64 = 1_000_000;
/// The largest token, count or sequence number accepted (what a JavaScript number holds).
pub const MAX_SAFE: u64 = (1 << 53) - 1;
/// The longest lease a message may ask for or renew (ms).
pub const MAX_LEASE_MS: i64 = 60_000;
/// The longest saved state read, in bytes.
pub const MAX_SAVED_BYTES: usize = 4 * 1024 * 1024;

/// The ledger's settings between tabs of a room of `seats` seats: a 2 s lease (a tab must
/// be silent that long before another stands), renewed past half-time, 250 ms margin, a
/// 100 ms tick, up to 500 ms of random backoff before standing.
pub fn tab_config(seats: u32) -> LedgerConfig {
    LedgerConfig {
        replicas: seats as usize,
        lease: Span::from_millis(2_000),
        margin: Span::from_millis(250),
        tick: Span::from_millis(100),
        jitter: Span::from_millis(500),
        ..LedgerConfig::default()
    }
}

/// One entry: `[origin, packed HLC, [[node, count], …], value]`; its id is
/// `origin:clock[origin]`.
pub(super) type WireEntry = (u32, u64, Vec<(u32, u64)>, u64);

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WireLog {
    pub(super) t: u64,
    pub(super) es: Vec<(u64, WireEntry)>,
    pub(super) c: u64,
}

#[derive(Serialize, Deserialize)]
enum WireElection {
    Stale(u64, u64),
    Promised(u32, u64, i64),
    NotHolder(u64),
}

#[derive(Serialize, Deserialize)]
enum WireCommit {
    Stale(u64, u64),
    Gap(u64, u64),
    Partial(u64, u64),
}

/// A message on the wire, e.g. `{"ask":{"t":102,"d":2000,"r":[101,4]}}`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "lowercase")]
enum WireMessage {
    Entries(Vec<WireEntry>),
    Ask {
        t: u64,
        d: i64,
        r: (u64, u64),
    },
    Grant {
        t: u64,
        log: Option<WireLog>,
        /// The voter is a learner (its promise counts, not its log); absent: false.
        #[serde(default, skip_serializing_if = "is_false")]
        l: bool,
    },
    Refuse {
        t: u64,
        e: WireElection,
    },
    Release {
        t: u64,
    },
    Renew {
        t: u64,
        d: i64,
    },
    Renewed {
        t: u64,
    },
    Accept(WireLogFrom),
    Ack {
        t: u64,
        len: u64,
    },
    Nack {
        t: u64,
        e: WireCommit,
        r: (u64, u64),
    },
    Marker {
        id: u32,
        by: u32,
    },
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireLogFrom {
    t: u64,
    from: u64,
    es: Vec<(u64, WireEntry)>,
    c: u64,
}

/// Why a message or a saved state was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LedgerWireError {
    /// Not the message's JSON shape.
    Shape(String),
    /// A seat outside the room's range.
    Seat(u32),
    /// A number out of range.
    Range(&'static str, i64),
    /// Too many entries in one message.
    TooMany(usize),
    /// An entry whose clock has no entry for its own origin.
    NoOwnCount(u32),
    /// A saved state that cannot be restored.
    Saved(String),
}

impl fmt::Display for LedgerWireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LedgerWireError::Shape(e) => write!(f, "not a ledger message: {e}"),
            LedgerWireError::Seat(s) => write!(f, "seat {s} is outside the room"),
            LedgerWireError::Range(what, v) => write!(f, "{what} {v} out of range"),
            LedgerWireError::TooMany(n) => {
                write!(f, "{n} entries in one message (at most {MAX_ENTRIES})")
            }
            LedgerWireError::NoOwnCount(o) => write!(
                f,
                "an entry of {} whose clock does not count it",
                NodeId(*o)
            ),
            LedgerWireError::Saved(why) => write!(f, "saved ledger: {why}"),
        }
    }
}

impl std::error::Error for LedgerWireError {}

fn span_ms(s: Span) -> i64 {
    s.as_nanos() / 1_000_000
}

pub(super) fn entry_to_wire(e: &Entry) -> WireEntry {
    (
        e.id.origin.0,
        e.hlc.as_u64(),
        e.clock.iter().map(|(n, c)| (n.0, c)).collect(),
        e.value,
    )
}

pub(super) fn entry_from_wire(w: WireEntry) -> Entry {
    let (origin, hlc, clock, value) = w;
    let clock = VectorClock::from_entries(clock.into_iter().map(|(n, c)| (NodeId(n), c)));
    let id = BroadcastId {
        origin: NodeId(origin),
        seq: clock.get(NodeId(origin)),
    };
    Entry::new(id, HlcTimestamp::from_u64(hlc), clock, value)
}

pub(super) fn broadcast_of(e: Entry) -> CausalMessage<Entry> {
    CausalMessage {
        sender: e.id.origin,
        clock: (*e.clock).clone(),
        payload: e,
    }
}

pub(super) fn log_entries(es: &[LogEntry]) -> Vec<(u64, WireEntry)> {
    es.iter()
        .map(|l| (l.token, entry_to_wire(&l.entry)))
        .collect()
}

pub(super) fn log_from_wire(es: Vec<(u64, WireEntry)>) -> Vec<LogEntry> {
    es.into_iter()
        .map(|(token, e)| LogEntry {
            token,
            entry: entry_from_wire(e),
        })
        .collect()
}

fn to_wire(m: &LedgerMessage) -> WireMessage {
    match m {
        LedgerMessage::Entries(list) => {
            WireMessage::Entries(list.iter().map(|m| entry_to_wire(&m.payload)).collect())
        }
        LedgerMessage::RequestLease {
            token,
            duration,
            recency,
        } => WireMessage::Ask {
            t: *token,
            d: span_ms(*duration),
            r: *recency,
        },
        LedgerMessage::Grant {
            token,
            log,
            learner,
        } => WireMessage::Grant {
            t: *token,
            l: *learner,
            log: log.as_ref().map(|l| WireLog {
                t: l.token(),
                es: log_entries(l.entries()),
                c: l.committed_len(),
            }),
        },
        LedgerMessage::Refuse { token, error } => WireMessage::Refuse {
            t: *token,
            e: match *error {
                ElectionError::StaleToken { token, highest } => WireElection::Stale(token, highest),
                ElectionError::Promised {
                    holder,
                    token,
                    left,
                } => WireElection::Promised(holder.0, token, span_ms(left)),
                ElectionError::NotHolder { token } => WireElection::NotHolder(token),
            },
        },
        LedgerMessage::Release { token } => WireMessage::Release { t: *token },
        LedgerMessage::Renew { token, duration } => WireMessage::Renew {
            t: *token,
            d: span_ms(*duration),
        },
        LedgerMessage::Renewed { token } => WireMessage::Renewed { t: *token },
        LedgerMessage::Accept(a) => WireMessage::Accept(WireLogFrom {
            t: a.token,
            from: a.from,
            es: log_entries(&a.entries),
            c: a.commit,
        }),
        LedgerMessage::Ack { token, len } => WireMessage::Ack {
            t: *token,
            len: *len,
        },
        LedgerMessage::Nack {
            token,
            error,
            recency,
        } => WireMessage::Nack {
            t: *token,
            e: match *error {
                CommitError::StaleToken { token, promised } => WireCommit::Stale(token, promised),
                CommitError::Gap { from, len } => WireCommit::Gap(from, len),
                CommitError::PartialFromNewLeader { token, from } => {
                    WireCommit::Partial(token, from)
                }
            },
            r: *recency,
        },
        LedgerMessage::Marker { id, initiator } => WireMessage::Marker {
            id: id.0,
            by: initiator.0,
        },
    }
}

fn from_wire(w: WireMessage) -> LedgerMessage {
    match w {
        WireMessage::Entries(list) => LedgerMessage::Entries(
            list.into_iter()
                .map(|e| broadcast_of(entry_from_wire(e)))
                .collect(),
        ),
        WireMessage::Ask { t, d, r } => LedgerMessage::RequestLease {
            token: t,
            duration: Span::from_millis(d),
            recency: r,
        },
        WireMessage::Grant { t, log, l } => LedgerMessage::Grant {
            token: t,
            learner: l,
            log: log.map(|l| ReplicaLog::restore(l.t, log_from_wire(l.es), l.c)),
        },
        WireMessage::Refuse { t, e } => LedgerMessage::Refuse {
            token: t,
            error: match e {
                WireElection::Stale(token, highest) => ElectionError::StaleToken { token, highest },
                WireElection::Promised(holder, token, left) => ElectionError::Promised {
                    holder: NodeId(holder),
                    token,
                    left: Span::from_millis(left),
                },
                WireElection::NotHolder(token) => ElectionError::NotHolder { token },
            },
        },
        WireMessage::Release { t } => LedgerMessage::Release { token: t },
        WireMessage::Renew { t, d } => LedgerMessage::Renew {
            token: t,
            duration: Span::from_millis(d),
        },
        WireMessage::Renewed { t } => LedgerMessage::Renewed { token: t },
        WireMessage::Accept(a) => LedgerMessage::Accept(Accept {
            token: a.t,
            from: a.from,
            entries: log_from_wire(a.es).into(),
            commit: a.c,
        }),
        WireMessage::Ack { t, len } => LedgerMessage::Ack { token: t, len },
        WireMessage::Nack { t, e, r } => LedgerMessage::Nack {
            token: t,
            error: match e {
                WireCommit::Stale(token, promised) => CommitError::StaleToken { token, promised },
                WireCommit::Gap(from, len) => CommitError::Gap { from, len },
                WireCommit::Partial(token, from) => {
                    CommitError::PartialFromNewLeader { token, from }
                }
            },
            recency: r,
        },
        WireMessage::Marker { id, by } => LedgerMessage::Marker {
            id: SnapshotId(id),
            initiator: NodeId(by),
        },
    }
}

/// Range checks shared by messages and saved states.
pub(super) struct Check {
    seats: u32,
}

impl Check {
    pub(super) fn seat(&self, n: NodeId) -> Result<(), LedgerWireError> {
        if n.0 < self.seats.min(MAX_SEATS) {
            Ok(())
        } else {
            Err(LedgerWireError::Seat(n.0))
        }
    }
    pub(super) fn num(&self, what: &'static str, v: u64, max: u64) -> Result<(), LedgerWireError> {
        if v <= max {
            Ok(())
        } else {
            Err(LedgerWireError::Range(what, v.min(i64::MAX as u64) as i64))
        }
    }
    fn lease(&self, d: Span) -> Result<(), LedgerWireError> {
        let ms = span_ms(d);
        if (0..=MAX_LEASE_MS).contains(&ms) && d.as_nanos() >= 0 {
            Ok(())
        } else {
            Err(LedgerWireError::Range("lease (ms)", ms))
        }
    }
    pub(super) fn count(&self, n: usize) -> Result<(), LedgerWireError> {
        if n <= MAX_ENTRIES {
            Ok(())
        } else {
            Err(LedgerWireError::TooMany(n))
        }
    }
    pub(super) fn entry(&self, e: &Entry) -> Result<(), LedgerWireError> {
        self.seat(e.id.origin)?;
        if e.id.seq == 0 {
            return Err(LedgerWireError::NoOwnCount(e.id.origin.0));
        }
        if e.clock.len() > self.seats as usize {
            return Err(LedgerWireError::Range("clock size", e.clock.len() as i64));
        }
        for (n, c) in e.clock.iter() {
            self.seat(n)?;
            self.num("clock count", c, MAX_SAFE)?;
        }
        Ok(())
    }
    pub(super) fn log(
        &self,
        token: u64,
        es: &[LogEntry],
        commit: u64,
    ) -> Result<(), LedgerWireError> {
        self.num("token", token, MAX_SAFE)?;
        self.count(es.len())?;
        self.num("commit point", commit, MAX_LOG)?;
        for l in es {
            self.num("entry token", l.token, token)?;
            self.entry(&l.entry)?;
        }
        Ok(())
    }
    fn recency(&self, r: (u64, u64)) -> Result<(), LedgerWireError> {
        self.num("token", r.0, MAX_SAFE)?;
        self.num("log length", r.1, MAX_LOG)
    }
    fn message(&self, m: &LedgerMessage) -> Result<(), LedgerWireError> {
        match m {
            LedgerMessage::Entries(list) => {
                self.count(list.len())?;
                list.iter().try_for_each(|m| self.entry(&m.payload))
            }
            LedgerMessage::RequestLease {
                token,
                duration,
                recency,
            } => {
                self.num("token", *token, MAX_SAFE)?;
                self.lease(*duration)?;
                self.recency(*recency)
            }
            LedgerMessage::Grant { token, log, .. } => {
                self.num("token", *token, MAX_SAFE)?;
                match log {
                    Some(l) => self.log(l.token(), l.entries(), l.committed_len()),
                    None => Ok(()),
                }
            }
            LedgerMessage::Refuse { token, error } => {
                self.num("token", *token, MAX_SAFE)?;
                match *error {
                    ElectionError::StaleToken { token, highest } => {
                        self.num("token", token.max(highest), MAX_SAFE)
                    }
                    ElectionError::Promised {
                        holder,
                        token,
                        left,
                    } => {
                        self.seat(holder)?;
                        self.num("token", token, MAX_SAFE)?;
                        self.lease(left)
                    }
                    ElectionError::NotHolder { token } => self.num("token", token, MAX_SAFE),
                }
            }
            LedgerMessage::Release { token } | LedgerMessage::Renewed { token } => {
                self.num("token", *token, MAX_SAFE)
            }
            LedgerMessage::Renew { token, duration } => {
                self.num("token", *token, MAX_SAFE)?;
                self.lease(*duration)
            }
            LedgerMessage::Accept(a) => {
                self.num("offset", a.from, MAX_LOG)?;
                self.log(a.token, &a.entries, a.commit)
            }
            LedgerMessage::Ack { token, len } => {
                self.num("token", *token, MAX_SAFE)?;
                self.num("log length", *len, MAX_LOG)
            }
            LedgerMessage::Nack {
                token,
                error,
                recency,
            } => {
                self.num("token", *token, MAX_SAFE)?;
                self.recency(*recency)?;
                let (a, b) = match *error {
                    CommitError::StaleToken { token, promised } => (token, promised),
                    CommitError::Gap { from, len } => (from, len),
                    CommitError::PartialFromNewLeader { token, from } => (token, from),
                };
                self.num("number", a.max(b), MAX_SAFE)
            }
            LedgerMessage::Marker { initiator, .. } => self.seat(*initiator),
        }
    }
}

/// The JSON codec of the ledger's messages and saved seats, for a room of `seats` seats.
#[derive(Clone, Copy, Debug)]
pub struct LedgerCodec {
    /// The settings every replica of the room runs.
    pub config: LedgerConfig,
}

impl LedgerCodec {
    pub(super) fn check(&self) -> Check {
        Check {
            seats: self.config.replicas as u32,
        }
    }
}

impl WireCodec for LedgerCodec {
    type Protocol = TabLedger;
    type Error = LedgerWireError;

    fn max_bytes(&self) -> usize {
        MAX_BYTES
    }

    fn encode(&self, m: &LedgerMessage) -> String {
        serde_json::to_string(&to_wire(m)).unwrap_or_default()
    }

    fn decode(&self, json: &str) -> Result<LedgerMessage, LedgerWireError> {
        let w: WireMessage =
            serde_json::from_str(json).map_err(|e| LedgerWireError::Shape(e.to_string()))?;
        Ok(from_wire(w))
    }

    fn validate(&self, m: &LedgerMessage) -> Result<(), LedgerWireError> {
        self.check().message(m)
    }

    fn save(&self, node: NodeId, ledger: &TabLedger) -> Option<String> {
        ledger_seat::save(node, ledger)
    }

    fn restore(&self, node: NodeId, json: &str) -> Result<Option<TabLedger>, LedgerWireError> {
        ledger_seat::restore(self, node, json)
    }
}
/// Serde: a learner flag is written only when set.
fn is_false(b: &bool) -> bool {
    !*b
}

#[cfg(test)]
#[path = "ledger_codec_tests.rs"]
mod tests;
