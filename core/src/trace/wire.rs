//! A compact binary form of an imported, already validated [`Log`], cut into pieces: how a Web
//! Worker that parsed a big log hands the happens-before DAG to the page without the page
//! parsing or validating anything again, and without blocking it (the page decodes one piece
//! per task).
//!
//! Layout: a *header* (magic `CSW1`, then per execution its name, host names and event count)
//! and *chunks* (an execution index, the first event's id, a count, then per event its host,
//! local position, clock entries, text, fields, line and message parents). Integers are
//! LEB128 varints, strings are a length and UTF-8 bytes. A 1 M-event GoVector log of 8 hosts
//! takes about a third of its text's size.
//!
//! Invariant: `Decoder::new(header)` fed every chunk in order gives back exactly the encoded
//! log (`core/tests/trace_wire.rs`). The decoder checks the structure the DAG relies on — hosts
//! and clock entries name known hosts, events arrive in order with each host's local position
//! counting up, parents come earlier — and refuses anything else with a [`WireError`]; it
//! never panics and never allocates more than its input can fill.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::dag::{Execution, Log, LogEvent};
use super::EventId;
use crate::clock::VectorClock;
use crate::node::NodeId;

/// The four bytes every header starts with (version 1).
pub const MAGIC: &[u8; 4] = b"CSW1";

/// Why bytes could not be decoded as a log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WireError {
    /// The header does not start with [`MAGIC`].
    BadMagic,
    /// The bytes end inside a value (`at` = offset in the header or chunk).
    Truncated {
        /// Where the missing value starts.
        at: usize,
    },
    /// A number does not fit (a varint longer than 64 bits, or a count beyond `u32`), or is
    /// written with more bytes than it needs (every value has exactly one encoding).
    Overflow {
        /// Where the number starts.
        at: usize,
    },
    /// A string is not UTF-8.
    BadUtf8 {
        /// Where the string starts.
        at: usize,
    },
    /// A chunk names an execution the header does not have.
    NoSuchExecution {
        /// The index in the chunk.
        execution: u64,
    },
    /// A chunk does not continue where the previous one of its execution stopped.
    OutOfOrder {
        /// The execution.
        execution: usize,
        /// The event id the decoder expected next.
        expected: u32,
        /// The first event id of the chunk.
        got: u64,
    },
    /// An event breaks the DAG's structure (what, and which event).
    BadEvent {
        /// The execution.
        execution: usize,
        /// The event's id.
        event: u32,
        /// What is wrong (`"host"`, `"clock entry"`, `"local position"`, `"parent"`, `"count"`).
        what: &'static str,
    },
    /// Bytes remain after the last value of a header or chunk.
    TrailingBytes {
        /// Where they start.
        at: usize,
    },
    /// [`Decoder::finish`] before every event arrived.
    Incomplete {
        /// The execution that is short.
        execution: usize,
        /// Events announced by the header.
        expected: u32,
        /// Events received.
        got: u32,
    },
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::BadMagic => {
                write!(f, "the data is not an encoded trace log (no CSW1 header)")
            }
            WireError::Truncated { at } => write!(f, "the encoded log ends early at byte {at}"),
            WireError::Overflow { at } => write!(f, "a number at byte {at} is too large"),
            WireError::BadUtf8 { at } => write!(f, "the text at byte {at} is not UTF-8"),
            WireError::NoSuchExecution { execution } => {
                write!(
                    f,
                    "a chunk names execution {execution}, which the header lacks"
                )
            }
            WireError::OutOfOrder {
                execution,
                expected,
                got,
            } => write!(
                f,
                "execution {execution}: a chunk starts at event {got}, expected {expected}"
            ),
            WireError::BadEvent {
                execution,
                event,
                what,
            } => {
                write!(f, "execution {execution}, event {event}: bad {what}")
            }
            WireError::TrailingBytes { at } => write!(f, "unexpected bytes from byte {at}"),
            WireError::Incomplete {
                execution,
                expected,
                got,
            } => write!(
                f,
                "execution {execution} has {got} of its {expected} events"
            ),
        }
    }
}

impl core::error::Error for WireError {}

fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

/// The header of `log`: its executions' names, hosts and event counts.
pub fn header(log: &Log) -> Vec<u8> {
    let mut out = Vec::from(&MAGIC[..]);
    put(&mut out, log.executions.len() as u64);
    for exec in &log.executions {
        match exec.name() {
            Some(name) => {
                put(&mut out, 1);
                put_str(&mut out, name);
            }
            None => put(&mut out, 0),
        }
        put(&mut out, exec.hosts().len() as u64);
        for host in exec.hosts() {
            put_str(&mut out, host);
        }
        put(&mut out, exec.events().len() as u64);
    }
    out
}

/// The events of `log` as chunks of at most `events_per_chunk` events (at least 1), execution
/// by execution, in order. Lazy: each chunk is encoded when asked for.
pub fn chunks(log: &Log, events_per_chunk: usize) -> impl Iterator<Item = Vec<u8>> + '_ {
    let size = events_per_chunk.max(1);
    log.executions
        .iter()
        .enumerate()
        .flat_map(move |(x, exec)| {
            exec.events()
                .chunks(size)
                .map(move |events| encode_chunk(x, events))
        })
}

fn encode_chunk(execution: usize, events: &[LogEvent]) -> Vec<u8> {
    let mut out = Vec::with_capacity(events.len() * 48);
    put(&mut out, execution as u64);
    put(&mut out, events.first().map_or(0, |e| e.id.0 as u64));
    put(&mut out, events.len() as u64);
    for e in events {
        put(&mut out, e.host.0 as u64);
        put(&mut out, e.seq as u64);
        put(&mut out, e.clock.len() as u64);
        for (node, count) in e.clock.iter() {
            put(&mut out, node.0 as u64);
            put(&mut out, count);
        }
        put_str(&mut out, &e.text);
        put(&mut out, e.fields.len() as u64);
        for (k, v) in &e.fields {
            put_str(&mut out, k);
            put_str(&mut out, v);
        }
        put(&mut out, e.line as u64);
        put(&mut out, e.parents.len() as u64);
        for p in &e.parents {
            put(&mut out, p.0 as u64);
        }
    }
    out
}

/// Reads varints and strings from a byte slice.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn num(&mut self) -> Result<u64, WireError> {
        let start = self.at;
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = *self
                .bytes
                .get(self.at)
                .ok_or(WireError::Truncated { at: start })?;
            self.at += 1;
            let part = u64::from(b & 0x7f);
            if shift == 63 && part > 1 {
                return Err(WireError::Overflow { at: start });
            }
            v |= part << shift;
            if b & 0x80 == 0 {
                // One encoding per number: a trailing zero byte is refused.
                return if b == 0 && shift > 0 {
                    Err(WireError::Overflow { at: start })
                } else {
                    Ok(v)
                };
            }
        }
        Err(WireError::Overflow { at: start })
    }
    fn u32(&mut self) -> Result<u32, WireError> {
        let at = self.at;
        u32::try_from(self.num()?).map_err(|_| WireError::Overflow { at })
    }
    /// A count of items that each take at least one byte: never more than the bytes left.
    fn count(&mut self) -> Result<usize, WireError> {
        let at = self.at;
        let n = self.num()?;
        let left = (self.bytes.len() - self.at) as u64;
        if n > left {
            return Err(WireError::Truncated { at });
        }
        Ok(n as usize)
    }
    fn str(&mut self) -> Result<String, WireError> {
        let at = self.at;
        let len = self.count()?;
        let bytes = &self.bytes[self.at..self.at + len];
        self.at += len;
        core::str::from_utf8(bytes)
            .map(String::from)
            .map_err(|_| WireError::BadUtf8 { at })
    }
    fn end(&self) -> Result<(), WireError> {
        if self.at == self.bytes.len() {
            Ok(())
        } else {
            Err(WireError::TrailingBytes { at: self.at })
        }
    }
}

/// One execution being received.
struct Partial {
    name: Option<String>,
    hosts: Vec<String>,
    expected: u32,
    events: Vec<LogEvent>,
    per_host: Vec<u32>,
}

/// Rebuilds a [`Log`] from its header and chunks.
///
/// ```
/// use chronoscope::trace::import::import;
/// use chronoscope::trace::wire::{self, Decoder};
/// let log = import("a {\"a\":1}\nstart\nb {\"a\":1, \"b\":1}\nrecv\n", None, None).unwrap();
/// let mut decoder = Decoder::new(&wire::header(&log)).unwrap();
/// for chunk in wire::chunks(&log, 1) {
///     decoder.push(&chunk).unwrap();
/// }
/// assert_eq!(decoder.received(), 2);
/// assert_eq!(decoder.finish().unwrap(), log);
/// ```
pub struct Decoder {
    executions: Vec<Partial>,
    received: usize,
}

impl Decoder {
    /// Starts from a header made by [`header`].
    pub fn new(header: &[u8]) -> Result<Self, WireError> {
        if header.get(..4) != Some(&MAGIC[..]) {
            return Err(WireError::BadMagic);
        }
        let mut r = Reader {
            bytes: header,
            at: 4,
        };
        let n = r.count()?;
        let mut executions = Vec::new();
        for _ in 0..n {
            let name = match r.num()? {
                0 => None,
                _ => Some(r.str()?),
            };
            let host_count = r.count()?;
            let mut hosts = Vec::new();
            for _ in 0..host_count {
                hosts.push(r.str()?);
            }
            let expected = r.u32()?;
            let per_host = alloc::vec![0; hosts.len()];
            executions.push(Partial {
                name,
                hosts,
                expected,
                events: Vec::new(),
                per_host,
            });
        }
        r.end()?;
        Ok(Decoder {
            executions,
            received: 0,
        })
    }

    /// Events announced by the header, over all executions.
    pub fn total(&self) -> usize {
        self.executions.iter().map(|p| p.expected as usize).sum()
    }

    /// Events received so far, over all executions.
    pub fn received(&self) -> usize {
        self.received
    }

    /// Decodes one chunk (chunks of an execution must come in order); returns how many events
    /// it held. On error nothing of the chunk is kept.
    pub fn push(&mut self, chunk: &[u8]) -> Result<usize, WireError> {
        let mut r = Reader {
            bytes: chunk,
            at: 0,
        };
        let x = r.num()?;
        let execution = usize::try_from(x)
            .ok()
            .filter(|&i| i < self.executions.len())
            .ok_or(WireError::NoSuchExecution { execution: x })?;
        let partial = &mut self.executions[execution];
        let first = r.num()?;
        let have = partial.events.len() as u32;
        if first != u64::from(have) {
            return Err(WireError::OutOfOrder {
                execution,
                expected: have,
                got: first,
            });
        }
        let count = r.count()?;
        let hosts = partial.hosts.len();
        let mut per_host = partial.per_host.clone();
        let mut events = Vec::new();
        for i in 0..count {
            let id = have as u64 + i as u64;
            let id = u32::try_from(id).map_err(|_| WireError::Overflow { at: r.at })?;
            let bad = |what| WireError::BadEvent {
                execution,
                event: id,
                what,
            };
            if id >= partial.expected {
                return Err(bad("count"));
            }
            let host = r.u32()?;
            let slot = per_host.get_mut(host as usize).ok_or(bad("host"))?;
            let seq = r.u32()?;
            if seq != *slot {
                return Err(bad("local position"));
            }
            *slot += 1;
            let entries = r.count()?;
            let mut pairs: Vec<(NodeId, u64)> = Vec::with_capacity(entries.min(hosts));
            for _ in 0..entries {
                let node = NodeId(r.u32()?);
                let count = r.num()?;
                // Ascending hosts, no zero counts: the clock's one encoding.
                if node.index() >= hosts || count == 0 || pairs.last().is_some_and(|l| l.0 >= node)
                {
                    return Err(bad("clock entry"));
                }
                pairs.push((node, count));
            }
            let text = r.str()?;
            let field_count = r.count()?;
            let mut fields = Vec::new();
            for _ in 0..field_count {
                fields.push((r.str()?, r.str()?));
            }
            let line = r.u32()?;
            let parent_count = r.count()?;
            let mut parents = Vec::new();
            for _ in 0..parent_count {
                let p = r.u32()?;
                if p >= id {
                    return Err(bad("parent"));
                }
                parents.push(EventId(p));
            }
            events.push(LogEvent {
                id: EventId(id),
                host: NodeId(host),
                seq,
                clock: VectorClock::from_entries(pairs),
                text,
                fields,
                line,
                parents,
            });
        }
        r.end()?;
        partial.per_host = per_host;
        partial.events.append(&mut events);
        self.received += count;
        Ok(count)
    }

    /// The log, once every announced event has arrived.
    pub fn finish(self) -> Result<Log, WireError> {
        let mut log = Log::default();
        for (execution, p) in self.executions.into_iter().enumerate() {
            let got = p.events.len() as u32;
            if got != p.expected {
                return Err(WireError::Incomplete {
                    execution,
                    expected: p.expected,
                    got,
                });
            }
            log.executions
                .push(Execution::from_events(p.name, p.hosts, p.events));
        }
        Ok(log)
    }
}
