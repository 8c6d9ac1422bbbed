//! The messages tabs exchange over a `BroadcastChannel`, as JSON strings, and their
//! validation. Anything can be posted on a channel — by another version of this page, by a
//! curious user in the console, by a test — so every incoming string is checked before it
//! touches the replica: size first (before parsing), then the schema (serde), then the
//! meaning (ids non-zero, one character per insert, clocks small, sorted, without zero
//! entries, the sender's own entry present). A message that fails is a [`WireError`]; the
//! page shows it as a warning and changes nothing.

use std::collections::BTreeSet;
use std::fmt;

use chronoscope::clock::VectorClock;
use chronoscope::crdt::naive_text::NaiveOp;
use chronoscope::crdt::rga::{Element, OpId, RgaOp};
use chronoscope::node::NodeId;
use serde::{Deserialize, Serialize};

/// Largest message other than a state transfer, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024;
/// Largest state transfer, in bytes.
pub const MAX_STATE_BYTES: usize = 8 * 1024 * 1024;
/// Most entries a clock may have (peers in one room).
pub const MAX_CLOCK_ENTRIES: usize = 256;
/// Most elements a transferred document may have (tombstones included).
pub const MAX_DOC_ELEMENTS: usize = 400_000;
/// Largest counter accepted (what a JavaScript number holds exactly).
pub const MAX_COUNTER: u64 = (1 << 53) - 1;

/// A clock on the wire: `[[peer, counter], …]`, sorted by peer.
pub type WireClock = Vec<(u32, u64)>;

/// An edit on the wire.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "k", deny_unknown_fields)]
pub enum WireOp {
    /// RGA insert: id `[counter, peer]`, anchor or null, one character.
    #[serde(rename = "ins")]
    Insert {
        /// The new element's id.
        id: (u64, u32),
        /// The element it follows.
        after: Option<(u64, u32)>,
        /// The character.
        ch: char,
    },
    /// RGA delete.
    #[serde(rename = "del")]
    Delete {
        /// The element deleted.
        target: (u64, u32),
    },
    /// Naive insert at an index.
    #[serde(rename = "nins")]
    NaiveInsert {
        /// The index.
        i: u32,
        /// The character.
        ch: char,
    },
    /// Naive delete at an index.
    #[serde(rename = "ndel")]
    NaiveDelete {
        /// The index.
        i: u32,
    },
}

/// A document on the wire (state transfer and persistence).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "k", deny_unknown_fields)]
pub enum WireDoc {
    /// An RGA replica: `[counter, peer, char, deleted]` in document order.
    #[serde(rename = "rga")]
    Rga {
        /// The elements.
        elements: Vec<(u64, u32, char, bool)>,
    },
    /// A naive text.
    #[serde(rename = "naive")]
    Naive {
        /// The text.
        text: String,
    },
}

/// One message between tabs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", deny_unknown_fields)]
pub enum Wire {
    /// A causally stamped edit, addressed to one peer.
    #[serde(rename = "op")]
    Op {
        /// The sender (and origin of the edit: only origins send their own edits).
        from: u32,
        /// The addressee.
        to: u32,
        /// The origin's vector clock when it made the edit.
        clock: WireClock,
        /// The edit.
        op: WireOp,
    },
    /// Presence: "I am here and have delivered this much"; `hello` while not yet synced
    /// asks live peers for a state transfer. `to` is 0 for a broadcast.
    #[serde(rename = "hb")]
    Heartbeat {
        /// The sender.
        from: u32,
        /// The addressee (0: everybody).
        to: u32,
        /// What the sender has delivered.
        delivered: WireClock,
        /// Whether it asks for a state transfer.
        hello: bool,
    },
    /// A state transfer to a joining (or re-joining) peer.
    #[serde(rename = "state")]
    State {
        /// The sender.
        from: u32,
        /// The addressee.
        to: u32,
        /// Everything the document contains.
        delivered: WireClock,
        /// The document.
        doc: WireDoc,
    },
    /// The sender is leaving.
    #[serde(rename = "bye")]
    Bye {
        /// The sender.
        from: u32,
    },
}

/// Why an incoming message was refused.
#[derive(Clone, Debug, PartialEq)]
pub enum WireError {
    /// Longer than allowed.
    Oversized {
        /// Its length in bytes.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// Not JSON, or not one of the message shapes.
    Malformed(String),
    /// Well-formed but meaningless (zero id, bad clock, …).
    Invalid(String),
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::Oversized { bytes, limit } => {
                write!(f, "oversized message ({bytes} bytes; limit {limit})")
            }
            WireError::Malformed(why) => write!(f, "malformed message: {why}"),
            WireError::Invalid(why) => write!(f, "invalid message: {why}"),
        }
    }
}

impl std::error::Error for WireError {}

fn invalid(why: impl Into<String>) -> WireError {
    WireError::Invalid(why.into())
}

/// Checks a wire clock: few entries, sorted by peer without repeats, peers and counters
/// non-zero and counters below [`MAX_COUNTER`].
pub fn check_clock(clock: &WireClock) -> Result<(), WireError> {
    if clock.len() > MAX_CLOCK_ENTRIES {
        return Err(invalid(format!("clock has {} entries", clock.len())));
    }
    for w in clock.windows(2) {
        if w[0].0 >= w[1].0 {
            return Err(invalid("clock entries not sorted by peer"));
        }
    }
    for &(peer, c) in clock {
        if peer == 0 || c == 0 || c > MAX_COUNTER {
            return Err(invalid(format!("clock entry [{peer}, {c}] out of range")));
        }
    }
    Ok(())
}

fn check_id(id: (u64, u32)) -> Result<(), WireError> {
    if id.0 == 0 || id.0 > MAX_COUNTER || id.1 == 0 {
        return Err(invalid(format!(
            "element id [{}, {}] out of range",
            id.0, id.1
        )));
    }
    Ok(())
}

fn check_char(ch: char) -> Result<(), WireError> {
    if ch.is_control() && ch != '\n' && ch != '\t' {
        return Err(invalid(format!("control character U+{:04X}", ch as u32)));
    }
    Ok(())
}

impl WireOp {
    /// Checks an edit: ids in range, no control characters.
    pub fn check(&self) -> Result<(), WireError> {
        match *self {
            WireOp::Insert { id, after, ch } => {
                check_id(id)?;
                if let Some(a) = after {
                    check_id(a)?;
                }
                check_char(ch)
            }
            WireOp::Delete { target } => check_id(target),
            WireOp::NaiveInsert { ch, .. } => check_char(ch),
            WireOp::NaiveDelete { .. } => Ok(()),
        }
    }
}

impl WireDoc {
    /// Checks a document: at most [`MAX_DOC_ELEMENTS`] elements, ids in range and unique, no
    /// control characters.
    pub fn check(&self) -> Result<(), WireError> {
        match self {
            WireDoc::Rga { elements } => {
                if elements.len() > MAX_DOC_ELEMENTS {
                    return Err(invalid("document too large"));
                }
                let mut seen = BTreeSet::new();
                for &(c, n, ch, _) in elements {
                    check_id((c, n))?;
                    check_char(ch)?;
                    if !seen.insert((c, n)) {
                        return Err(invalid(format!("element [{c}, {n}] twice")));
                    }
                }
                Ok(())
            }
            WireDoc::Naive { text } => text.chars().try_for_each(check_char),
        }
    }
}

impl Wire {
    /// Parses and validates one incoming string.
    pub fn parse(raw: &str) -> Result<Wire, WireError> {
        if raw.len() > MAX_STATE_BYTES {
            return Err(WireError::Oversized {
                bytes: raw.len(),
                limit: MAX_STATE_BYTES,
            });
        }
        let wire: Wire = serde_json::from_str(raw).map_err(|e| {
            let mut why = e.to_string();
            why.truncate(120);
            WireError::Malformed(why)
        })?;
        if !matches!(wire, Wire::State { .. }) && raw.len() > MAX_MESSAGE_BYTES {
            return Err(WireError::Oversized {
                bytes: raw.len(),
                limit: MAX_MESSAGE_BYTES,
            });
        }
        wire.check()?;
        Ok(wire)
    }

    fn check(&self) -> Result<(), WireError> {
        if self.from() == 0 {
            return Err(invalid("sender id 0"));
        }
        match self {
            Wire::Op {
                from, clock, op, ..
            } => {
                check_clock(clock)?;
                if !clock.iter().any(|&(p, _)| p == *from) {
                    return Err(invalid("op clock lacks the sender's entry"));
                }
                op.check()?;
                if let WireOp::Insert { id, .. } = op {
                    if id.1 != *from {
                        return Err(invalid("insert id names another peer"));
                    }
                }
                Ok(())
            }
            Wire::Heartbeat { delivered, .. } => check_clock(delivered),
            Wire::State { delivered, doc, .. } => {
                check_clock(delivered)?;
                doc.check()
            }
            Wire::Bye { .. } => Ok(()),
        }
    }

    /// The sender.
    pub fn from(&self) -> u32 {
        match self {
            Wire::Op { from, .. }
            | Wire::Heartbeat { from, .. }
            | Wire::State { from, .. }
            | Wire::Bye { from } => *from,
        }
    }

    /// The addressee (0: everybody).
    pub fn to(&self) -> u32 {
        match self {
            Wire::Op { to, .. } | Wire::Heartbeat { to, .. } | Wire::State { to, .. } => *to,
            Wire::Bye { .. } => 0,
        }
    }

    /// The JSON text.
    pub fn to_json(&self) -> String {
        // Serialising these plain types cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A wire clock as a core vector clock (peer ids become node ids).
pub fn clock_from_wire(clock: &WireClock) -> VectorClock {
    VectorClock::from_entries(clock.iter().map(|&(p, c)| (NodeId(p), c)))
}

/// A core vector clock on the wire.
pub fn clock_to_wire(clock: &VectorClock) -> WireClock {
    clock.iter().map(|(n, c)| (n.0, c)).collect()
}

fn id_from_wire(id: (u64, u32)) -> OpId {
    OpId {
        counter: id.0,
        node: NodeId(id.1),
    }
}

fn id_to_wire(id: OpId) -> (u64, u32) {
    (id.counter, id.node.0)
}

/// An edit of either kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocOp {
    /// A CRDT edit.
    Rga(RgaOp),
    /// A position-based edit.
    Naive(NaiveOp),
}

impl DocOp {
    /// From the wire.
    pub fn from_wire(op: &WireOp) -> DocOp {
        match *op {
            WireOp::Insert { id, after, ch } => DocOp::Rga(RgaOp::Insert {
                id: id_from_wire(id),
                after: after.map(id_from_wire),
                ch,
            }),
            WireOp::Delete { target } => DocOp::Rga(RgaOp::Delete {
                target: id_from_wire(target),
            }),
            WireOp::NaiveInsert { i, ch } => DocOp::Naive(NaiveOp::Insert {
                index: i as usize,
                ch,
            }),
            WireOp::NaiveDelete { i } => DocOp::Naive(NaiveOp::Delete { index: i as usize }),
        }
    }

    /// To the wire.
    pub fn to_wire(&self) -> WireOp {
        match *self {
            DocOp::Rga(RgaOp::Insert { id, after, ch }) => WireOp::Insert {
                id: id_to_wire(id),
                after: after.map(id_to_wire),
                ch,
            },
            DocOp::Rga(RgaOp::Delete { target }) => WireOp::Delete {
                target: id_to_wire(target),
            },
            DocOp::Naive(NaiveOp::Insert { index, ch }) => WireOp::NaiveInsert {
                i: index.min(u32::MAX as usize) as u32,
                ch,
            },
            DocOp::Naive(NaiveOp::Delete { index }) => WireOp::NaiveDelete {
                i: index.min(u32::MAX as usize) as u32,
            },
        }
    }

    /// A short description: `'x'` for an insert, `⌫` for a delete.
    pub fn describe(&self) -> String {
        match self {
            DocOp::Rga(RgaOp::Insert { ch, .. }) | DocOp::Naive(NaiveOp::Insert { ch, .. }) => {
                format!("{ch:?}")
            }
            DocOp::Rga(RgaOp::Delete { .. }) | DocOp::Naive(NaiveOp::Delete { .. }) => {
                "⌫".to_string()
            }
        }
    }
}

/// Elements on the wire.
pub fn elements_to_wire(elements: &[Element]) -> Vec<(u64, u32, char, bool)> {
    elements
        .iter()
        .map(|e| (e.id.counter, e.id.node.0, e.ch, e.deleted))
        .collect()
}

/// Elements from the wire.
pub fn elements_from_wire(elements: &[(u64, u32, char, bool)]) -> Vec<Element> {
    elements
        .iter()
        .map(|&(c, n, ch, deleted)| Element {
            id: id_from_wire((c, n)),
            ch,
            deleted,
        })
        .collect()
}

/// A run of RGA elements, as persisted: `[first counter, peer, text, deleted]` stands for
/// consecutive elements (in document order) from `peer` with counters `first`, `first + 1`,
/// … — one per character of `text` — all with the same `deleted` flag. A pasted text is one
/// run.
pub type WireRun = (u64, u32, String, bool);

/// Elements as runs (document order kept): each maximal stretch of elements from one peer
/// with consecutive counters and one `deleted` flag becomes one run.
pub fn elements_to_runs(elements: &[Element]) -> Vec<WireRun> {
    let mut runs: Vec<WireRun> = Vec::new();
    let mut next: Option<(u64, u32, bool)> = None;
    for e in elements {
        let key = (e.id.counter, e.id.node.0, e.deleted);
        match runs.last_mut() {
            Some(run) if next == Some(key) => run.2.push(e.ch),
            _ => runs.push((e.id.counter, e.id.node.0, e.ch.to_string(), e.deleted)),
        }
        next =
            e.id.counter
                .checked_add(1)
                .map(|c| (c, e.id.node.0, e.deleted));
    }
    runs
}

/// Runs back to the elements of a [`WireDoc::Rga`], checked as strictly as a state transfer
/// ([`WireDoc::check`]), and before anything is expanded: at most [`MAX_DOC_ELEMENTS`]
/// characters in all, no empty run, and every counter of a run in range.
pub fn doc_from_runs(runs: &[WireRun]) -> Result<WireDoc, WireError> {
    let mut total = 0usize;
    for (first, peer, text, _) in runs {
        let len = text.chars().count();
        total = total.saturating_add(len);
        if total > MAX_DOC_ELEMENTS {
            return Err(invalid("document too large"));
        }
        if len == 0 {
            return Err(invalid(format!("empty run at [{first}, {peer}]")));
        }
        check_id((*first, *peer))?;
        let last = first
            .checked_add(len as u64 - 1)
            .ok_or_else(|| invalid(format!("run at [{first}, {peer}] out of range")))?;
        check_id((last, *peer))?;
    }
    let mut elements = Vec::with_capacity(total);
    for (first, peer, text, deleted) in runs {
        for (k, ch) in text.chars().enumerate() {
            elements.push((first + k as u64, *peer, ch, *deleted));
        }
    }
    let doc = WireDoc::Rga { elements };
    doc.check()?;
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_garbage() {
        let op = Wire::Op {
            from: 7,
            to: 9,
            clock: vec![(7, 1), (9, 2)],
            op: WireOp::Insert {
                id: (3, 7),
                after: None,
                ch: 'x',
            },
        };
        assert_eq!(Wire::parse(&op.to_json()), Ok(op.clone()));
        let json = op.to_json();
        for bad in [
            "",
            "garbage",
            "{}",
            &json[..json.len() / 2],
            r#"{"t":"op","from":7,"to":9,"clock":[[7,1]],"op":{"k":"ins","id":[3,7],"after":null,"ch":"xy"}}"#,
            r#"{"t":"op","from":7,"to":9,"clock":[[9,1],[7,1]],"op":{"k":"del","target":[3,7]}}"#,
            r#"{"t":"op","from":7,"to":9,"clock":[[9,1]],"op":{"k":"del","target":[3,7]}}"#,
            r#"{"t":"op","from":7,"to":9,"clock":[[7,1]],"op":{"k":"del","target":[0,7]}}"#,
            r#"{"t":"op","from":7,"to":9,"clock":[[7,1]],"op":{"k":"ins","id":[3,8],"after":null,"ch":"x"}}"#,
            r#"{"t":"hb","from":0,"to":0,"delivered":[],"hello":false}"#,
            r#"{"t":"hb","from":1,"to":0,"delivered":[[2,0]],"hello":false}"#,
            r#"{"t":"hb","from":1,"to":0,"delivered":[],"hello":false,"extra":1}"#,
        ] {
            assert!(Wire::parse(bad).is_err(), "accepted {bad}");
        }
        let huge = format!(
            r#"{{"t":"hb","from":1,"to":0,"delivered":[],"hello":false,"pad":"{}"}}"#,
            "x".repeat(MAX_MESSAGE_BYTES)
        );
        assert!(Wire::parse(&huge).is_err());
        let oversized = "x".repeat(MAX_STATE_BYTES + 1);
        assert!(matches!(
            Wire::parse(&oversized),
            Err(WireError::Oversized { .. })
        ));
    }

    fn element(counter: u64, node: u32, ch: char, deleted: bool) -> Element {
        Element {
            id: id_from_wire((counter, node)),
            ch,
            deleted,
        }
    }

    #[test]
    fn runs_round_trip_and_split_where_they_must() {
        let elements = vec![
            element(1, 7, 'a', false),
            element(2, 7, 'b', false),
            element(3, 7, 'c', true),
            element(4, 7, 'd', true),
            element(6, 7, 'e', true),
            element(7, 9, 'f', true),
            element(8, 9, 'g', false),
            element(5, 7, 'h', false),
        ];
        let runs = elements_to_runs(&elements);
        assert_eq!(
            runs,
            vec![
                (1, 7, "ab".to_string(), false),
                (3, 7, "cd".to_string(), true),
                (6, 7, "e".to_string(), true),
                (7, 9, "f".to_string(), true),
                (8, 9, "g".to_string(), false),
                (5, 7, "h".to_string(), false),
            ]
        );
        assert_eq!(
            doc_from_runs(&runs),
            Ok(WireDoc::Rga {
                elements: elements_to_wire(&elements)
            })
        );
        assert_eq!(doc_from_runs(&[]), Ok(WireDoc::Rga { elements: vec![] }));
    }

    #[test]
    fn hostile_runs_are_refused_before_they_are_expanded() {
        let run = |c: u64, n: u32, t: &str| (c, n, t.to_string(), false);
        let huge = "x".repeat(MAX_DOC_ELEMENTS + 1);
        for (bad, why) in [
            (vec![run(1, 7, "abc"), run(3, 7, "x")], "twice"),
            (vec![run(1, 7, "a"), run(1, 7, "b")], "twice"),
            (vec![run(0, 7, "a")], "out of range"),
            (vec![run(1, 0, "a")], "out of range"),
            (vec![run(MAX_COUNTER, 7, "ab")], "out of range"),
            (vec![run(u64::MAX, 7, "ab")], "out of range"),
            (vec![run(1, 7, "")], "empty run"),
            (vec![run(1, 7, "a\u{0}b")], "control character"),
            (vec![run(1, 7, &huge)], "too large"),
            (vec![run(1, 7, "ab"), run(3, 8, &huge[2..])], "too large"),
        ] {
            match doc_from_runs(&bad) {
                Err(WireError::Invalid(e)) => assert!(e.contains(why), "{e}, expected {why}"),
                other => panic!("accepted or wrong error {other:?}"),
            }
        }
    }

    /// Bytes per edit message, clock included, for realistic random 32-bit peer ids and
    /// counters of a long session (the README quotes these figures).
    #[test]
    fn bytes_per_message_including_the_clock() {
        let size = |peers: u32, counter: u64| {
            let ids: Vec<u32> = (0..peers).map(|k| 3_000_000_000 - k * 77_777_777).collect();
            let mut clock: WireClock = ids.iter().map(|&p| (p, counter)).collect();
            clock.sort_unstable();
            let wire = Wire::Op {
                from: ids[0],
                to: ids[1],
                clock,
                op: WireOp::Insert {
                    id: (counter * u64::from(peers), ids[0]),
                    after: Some((counter * u64::from(peers) - 1, ids[1])),
                    ch: 'x',
                },
            };
            let json = wire.to_json();
            assert_eq!(Wire::parse(&json), Ok(wire));
            json.len()
        };
        let (three, ten, ten_long) = (size(3, 50), size(10, 50), size(10, 10_000));
        println!("edit message bytes: 3 peers {three}, 10 peers {ten}, 10 peers after 100k edits {ten_long}");
        assert!(
            three < 200 && ten < 400 && ten_long < 500,
            "{three} {ten} {ten_long}"
        );
        assert!(ten > three);
    }
}
