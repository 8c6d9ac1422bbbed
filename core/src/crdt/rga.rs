//! RGA, the Replicated Growable Array of Roh, Jeong, Kim and Lee, "Replicated abstract data
//! types: Building blocks for collaborative applications" (JPDC 2011), §3.4–3.5: a sequence
//! CRDT for collaborative text. Every character gets a unique id `(counter, node)` whose
//! counter is a Lamport timestamp (greater than every counter its author had seen); an insert
//! names the id of the character it goes *after*, and a delete only marks its target as a
//! tombstone, so later inserts can still anchor on it.
//!
//! Invariant: the elements are kept in the order of a depth-first walk of the insert tree
//! with siblings in *descending* id order. An insert therefore starts right after its anchor
//! and skips every element with a larger id — those are later siblings' subtrees, which by
//! the Lamport property all have larger ids — so replicas that apply the same operations in
//! any causal order (anchor before insert, insert before delete) hold the same elements in the
//! same order: concurrent inserts at the same place converge, and no character is ever lost.
//!
//! Operations are checked, then applied: [`Rga::validate_op`] reports a
//! [`RgaError`] for an unknown anchor or target, a reused id, or an id that does not come
//! after its anchor; [`Rga::apply`] is infallible.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::node::NodeId;

/// The id of one character: a Lamport counter and its author. Ids are ordered by counter,
/// then by node, which breaks ties between concurrent inserts the same way everywhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OpId {
    /// The Lamport counter (≥ 1).
    pub counter: u64,
    /// The node that inserted the character.
    pub node: NodeId,
}

impl fmt::Display for OpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.counter, self.node)
    }
}

/// One RGA operation, as it travels between replicas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RgaOp {
    /// Insert `ch` with id `id` right after the element `after` (`None`: at the start).
    Insert {
        /// The new character's id.
        id: OpId,
        /// The element it follows, or `None` for the head of the document.
        after: Option<OpId>,
        /// The character.
        ch: char,
    },
    /// Mark the element `target` as deleted (a tombstone).
    Delete {
        /// The element deleted.
        target: OpId,
    },
}

/// One element of the array: a character, visible or a tombstone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Element {
    /// Its id.
    pub id: OpId,
    /// The character.
    pub ch: char,
    /// Whether it has been deleted.
    pub deleted: bool,
}

/// Why an operation (or a state) was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RgaError {
    /// The anchor of an insert is not (yet) in this replica.
    UnknownAnchor(OpId),
    /// The target of a delete is not (yet) in this replica.
    UnknownTarget(OpId),
    /// An element with this id already exists.
    DuplicateId(OpId),
    /// An id whose counter is 0 or not greater than its anchor's (it cannot be a Lamport
    /// timestamp of an insert made after seeing the anchor).
    NotAfterAnchor {
        /// The insert's id.
        id: OpId,
        /// Its anchor.
        after: OpId,
    },
    /// A counter of 0 (counters start at 1).
    ZeroCounter,
    /// A visible index past the end of the text.
    IndexOutOfRange {
        /// The index asked for.
        index: usize,
        /// The number of visible characters.
        len: usize,
    },
}

impl fmt::Display for RgaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RgaError::UnknownAnchor(id) => write!(f, "insert after unknown element {id}"),
            RgaError::UnknownTarget(id) => write!(f, "delete of unknown element {id}"),
            RgaError::DuplicateId(id) => write!(f, "element {id} already exists"),
            RgaError::NotAfterAnchor { id, after } => {
                write!(f, "id {id} is not later than its anchor {after}")
            }
            RgaError::ZeroCounter => write!(f, "counter 0 is not a valid id"),
            RgaError::IndexOutOfRange { index, len } => {
                write!(f, "index {index} is past the end of a {len}-character text")
            }
        }
    }
}

impl core::error::Error for RgaError {}

/// One replica of an RGA text.
///
/// # Examples
///
/// Two replicas insert at the same place concurrently, then exchange operations in
/// opposite orders; they end with the same text.
///
/// ```
/// use chronoscope::crdt::rga::Rga;
/// use chronoscope::node::NodeId;
/// let (mut a, mut b) = (Rga::new(), Rga::new());
/// let x = a.insert_local(NodeId(0), 0, 'x').unwrap();
/// b.apply_checked(&x).unwrap();
/// let from_a = a.insert_local(NodeId(0), 1, 'A').unwrap();
/// let from_b = b.insert_local(NodeId(1), 1, 'B').unwrap();
/// a.apply_checked(&from_b).unwrap();
/// b.apply_checked(&from_a).unwrap();
/// assert_eq!(a.text(), b.text());
/// assert_eq!(a.text(), "xBA");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rga {
    elements: Vec<Element>,
    max_counter: u64,
    visible: usize,
}

impl Rga {
    /// An empty text.
    pub const fn new() -> Self {
        Rga {
            elements: Vec::new(),
            max_counter: 0,
            visible: 0,
        }
    }

    /// Rebuilds a replica from its elements in document order (a persisted state or a state
    /// transfer). Refuses duplicate ids and zero counters.
    pub fn from_elements(elements: Vec<Element>) -> Result<Rga, RgaError> {
        let mut ids: Vec<OpId> = elements.iter().map(|e| e.id).collect();
        ids.sort_unstable();
        if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
            return Err(RgaError::DuplicateId(w[0]));
        }
        if ids.first().is_some_and(|id| id.counter == 0) {
            return Err(RgaError::ZeroCounter);
        }
        let max_counter = ids.last().map_or(0, |id| id.counter);
        let visible = elements.iter().filter(|e| !e.deleted).count();
        Ok(Rga {
            elements,
            max_counter,
            visible,
        })
    }

    /// Every element, tombstones included, in document order.
    pub fn elements(&self) -> &[Element] {
        &self.elements
    }

    /// The visible text.
    pub fn text(&self) -> String {
        self.elements
            .iter()
            .filter(|e| !e.deleted)
            .map(|e| e.ch)
            .collect()
    }

    /// The number of visible characters.
    pub fn len(&self) -> usize {
        self.visible
    }

    /// Whether no character is visible.
    pub fn is_empty(&self) -> bool {
        self.visible == 0
    }

    /// The largest counter this replica has seen (the next local insert uses one more).
    pub fn max_counter(&self) -> u64 {
        self.max_counter
    }

    /// Whether an element with this id exists (visible or not).
    pub fn contains(&self, id: OpId) -> bool {
        self.position(id).is_some()
    }

    /// The element with this id.
    pub fn element(&self, id: OpId) -> Option<&Element> {
        self.position(id).map(|i| &self.elements[i])
    }

    fn position(&self, id: OpId) -> Option<usize> {
        self.elements.iter().position(|e| e.id == id)
    }

    /// The array position of the `index`-th visible element.
    fn visible_position(&self, index: usize) -> Option<usize> {
        self.elements
            .iter()
            .enumerate()
            .filter(|(_, e)| !e.deleted)
            .nth(index)
            .map(|(i, _)| i)
    }

    /// The id of the `index`-th visible character.
    pub fn id_at(&self, index: usize) -> Option<OpId> {
        self.visible_position(index).map(|i| self.elements[i].id)
    }

    /// The visible index of the element `id`, or of the first visible character after it
    /// when it is a tombstone (where a cursor anchored on it now stands).
    pub fn visible_index_of(&self, id: OpId) -> Option<usize> {
        let pos = self.position(id)?;
        Some(self.elements[..pos].iter().filter(|e| !e.deleted).count())
    }

    /// Checks an operation against this replica without changing it.
    pub fn validate_op(&self, op: &RgaOp) -> Result<(), RgaError> {
        match *op {
            RgaOp::Insert { id, after, .. } => {
                if id.counter == 0 {
                    return Err(RgaError::ZeroCounter);
                }
                if let Some(after) = after {
                    if id.counter <= after.counter {
                        return Err(RgaError::NotAfterAnchor { id, after });
                    }
                }
                if self.contains(id) {
                    return Err(RgaError::DuplicateId(id));
                }
                match after {
                    Some(a) if !self.contains(a) => Err(RgaError::UnknownAnchor(a)),
                    _ => Ok(()),
                }
            }
            RgaOp::Delete { target } if !self.contains(target) => {
                Err(RgaError::UnknownTarget(target))
            }
            RgaOp::Delete { .. } => Ok(()),
        }
    }

    /// Applies an operation that [`validate_op`](Self::validate_op) accepted. An operation
    /// it would refuse is ignored, so this never fails and never panics. Deleting a
    /// tombstone again changes nothing.
    pub fn apply(&mut self, op: &RgaOp) {
        if self.validate_op(op).is_err() {
            return;
        }
        match *op {
            RgaOp::Insert { id, after, ch } => {
                let mut i = match after {
                    None => 0,
                    Some(a) => self.position(a).map_or(0, |p| p + 1),
                };
                while i < self.elements.len() && self.elements[i].id > id {
                    i += 1;
                }
                self.elements.insert(
                    i,
                    Element {
                        id,
                        ch,
                        deleted: false,
                    },
                );
                self.visible += 1;
                self.max_counter = self.max_counter.max(id.counter);
            }
            RgaOp::Delete { target } => {
                if let Some(i) = self.position(target) {
                    if !self.elements[i].deleted {
                        self.elements[i].deleted = true;
                        self.visible -= 1;
                    }
                }
            }
        }
    }

    /// Validates, then applies.
    pub fn apply_checked(&mut self, op: &RgaOp) -> Result<(), RgaError> {
        self.validate_op(op)?;
        self.apply(op);
        Ok(())
    }

    /// Inserts `ch` by `node` so that it becomes the `index`-th visible character; returns
    /// the operation to send to the other replicas.
    pub fn insert_local(
        &mut self,
        node: NodeId,
        index: usize,
        ch: char,
    ) -> Result<RgaOp, RgaError> {
        if index > self.visible {
            return Err(RgaError::IndexOutOfRange {
                index,
                len: self.visible,
            });
        }
        let after = match index {
            0 => None,
            i => self.id_at(i - 1),
        };
        let id = OpId {
            counter: self.max_counter.saturating_add(1),
            node,
        };
        let op = RgaOp::Insert { id, after, ch };
        self.apply(&op);
        Ok(op)
    }

    /// Inserts the characters of `run` by `node` so that the first becomes the `index`-th
    /// visible character and each of the others follows the previous one — exactly what
    /// `run.len()` calls of [`insert_local`](Self::insert_local) at `index`, `index + 1`, …
    /// would do, but in one pass over the array (a paste). Returns the operations to send.
    pub fn insert_run_local(
        &mut self,
        node: NodeId,
        index: usize,
        run: &[char],
    ) -> Result<Vec<RgaOp>, RgaError> {
        let Some((&first, rest)) = run.split_first() else {
            return Ok(Vec::new());
        };
        let first_op = self.insert_local(node, index, first)?;
        let RgaOp::Insert { id: first_id, .. } = first_op else {
            return Ok(alloc::vec![first_op]);
        };
        // The element after the new one has a smaller id (the insert's skip stopped there),
        // so every later character of the run lands right after its predecessor.
        let pos = self.position(first_id).map_or(0, |p| p + 1);
        let mut ops = Vec::with_capacity(run.len());
        ops.push(first_op);
        let mut prev = first_id;
        let mut added = Vec::with_capacity(rest.len());
        for &ch in rest {
            let id = OpId {
                counter: prev.counter.saturating_add(1),
                node,
            };
            ops.push(RgaOp::Insert {
                id,
                after: Some(prev),
                ch,
            });
            added.push(Element {
                id,
                ch,
                deleted: false,
            });
            prev = id;
        }
        self.visible += added.len();
        self.max_counter = self.max_counter.max(prev.counter);
        self.elements.splice(pos..pos, added);
        Ok(ops)
    }

    /// Deletes `count` visible characters from the `index`-th on, in one pass; returns the
    /// elements deleted (as they were), one [`RgaOp::Delete`] to send for each.
    pub fn delete_range_local(
        &mut self,
        index: usize,
        count: usize,
    ) -> Result<Vec<Element>, RgaError> {
        let end = index.saturating_add(count);
        if end > self.visible {
            return Err(RgaError::IndexOutOfRange {
                index: end,
                len: self.visible,
            });
        }
        let mut gone = Vec::with_capacity(count);
        let visible = self.elements.iter_mut().filter(|e| !e.deleted);
        for e in visible.skip(index).take(count) {
            gone.push(*e);
            e.deleted = true;
        }
        self.visible -= gone.len();
        Ok(gone)
    }

    /// Inserts `ch` by `node` right after the element `after` (visible or not), as undoing a
    /// delete does: the tombstone still marks the place.
    pub fn insert_after_local(
        &mut self,
        node: NodeId,
        after: Option<OpId>,
        ch: char,
    ) -> Result<RgaOp, RgaError> {
        let id = OpId {
            counter: self.max_counter.saturating_add(1),
            node,
        };
        let op = RgaOp::Insert { id, after, ch };
        self.validate_op(&op)?;
        self.apply(&op);
        Ok(op)
    }

    /// Deletes the `index`-th visible character; returns the operation to send.
    pub fn delete_local(&mut self, index: usize) -> Result<RgaOp, RgaError> {
        let target = self.id_at(index).ok_or(RgaError::IndexOutOfRange {
            index,
            len: self.visible,
        })?;
        let op = RgaOp::Delete { target };
        self.apply(&op);
        Ok(op)
    }

    /// The anchor an element was inserted after is not stored; this is the element right
    /// before `id` in document order (what an undo of its deletion re-inserts after).
    pub fn predecessor(&self, id: OpId) -> Option<OpId> {
        let pos = self.position(id)?;
        pos.checked_sub(1).map(|p| self.elements[p].id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: NodeId = NodeId(0);
    const B: NodeId = NodeId(1);
    const C: NodeId = NodeId(2);

    fn type_in(rga: &mut Rga, node: NodeId, at: usize, s: &str) -> Vec<RgaOp> {
        s.chars()
            .enumerate()
            .map(|(k, ch)| rga.insert_local(node, at + k, ch).unwrap())
            .collect()
    }

    #[test]
    fn local_edits_give_the_typed_text() {
        let mut r = Rga::new();
        type_in(&mut r, A, 0, "helo");
        r.insert_local(A, 3, 'l').unwrap();
        assert_eq!(r.text(), "hello");
        r.delete_local(0).unwrap();
        assert_eq!(r.text(), "ello");
        assert_eq!(r.len(), 4);
        assert_eq!(r.elements().len(), 5);
        assert!(r.delete_local(4).is_err());
        assert!(r.insert_local(A, 9, 'x').is_err());
    }

    #[test]
    fn runs_and_ranges_equal_one_character_at_a_time() {
        let mut base = Rga::new();
        type_in(&mut base, A, 0, "hello world");
        let remote = base.insert_local(B, 5, '!').unwrap();
        base.delete_local(2).unwrap();
        let (mut one, mut run) = (base.clone(), base.clone());
        let singles = type_in(&mut one, C, 4, "XYZ");
        let ops = run.insert_run_local(C, 4, &['X', 'Y', 'Z']).unwrap();
        assert_eq!(ops, singles);
        assert_eq!(run, one);
        // A replica applying the ops one by one agrees too.
        let mut other = base.clone();
        for op in &ops {
            other.apply_checked(op).unwrap();
        }
        assert_eq!(other, run);
        let gone = run.delete_range_local(3, 4).unwrap();
        for _ in 0..4 {
            one.delete_local(3).unwrap();
        }
        assert_eq!(run, one);
        assert_eq!(gone.len(), 4);
        assert!(run.delete_range_local(run.len(), 1).is_err());
        let _ = remote;
    }

    #[test]
    fn three_concurrent_words_at_the_same_place_converge_in_every_order() {
        let mut base = Rga::new();
        let head = type_in(&mut base, A, 0, "[]");
        let mut words = Vec::new();
        for (node, word) in [(A, "one"), (B, "two"), (C, "six")] {
            let mut r = base.clone();
            words.push(type_in(&mut r, node, 1, word));
        }
        let orders = [
            [0, 1, 2],
            [0, 2, 1],
            [1, 0, 2],
            [1, 2, 0],
            [2, 0, 1],
            [2, 1, 0],
        ];
        let texts: Vec<String> = orders
            .iter()
            .map(|order| {
                let mut r = Rga::new();
                for op in &head {
                    r.apply_checked(op).unwrap();
                }
                for &w in order {
                    for op in &words[w] {
                        r.apply_checked(op).unwrap();
                    }
                }
                r.text()
            })
            .collect();
        assert!(texts.iter().all(|t| t == &texts[0]), "{texts:?}");
        // Words are not interleaved: each stays contiguous.
        for w in ["one", "two", "six"] {
            assert!(texts[0].contains(w), "{}", texts[0]);
        }
    }

    #[test]
    fn bad_operations_are_refused_and_change_nothing() {
        let mut r = Rga::new();
        let ops = type_in(&mut r, A, 0, "ab");
        let before = r.clone();
        let ghost = OpId {
            counter: 50,
            node: B,
        };
        let bad = [
            RgaOp::Insert {
                id: OpId {
                    counter: 60,
                    node: B,
                },
                after: Some(ghost),
                ch: 'x',
            },
            RgaOp::Delete { target: ghost },
            ops[1],
            RgaOp::Insert {
                id: OpId {
                    counter: 0,
                    node: B,
                },
                after: None,
                ch: 'x',
            },
            RgaOp::Insert {
                id: OpId {
                    counter: 1,
                    node: B,
                },
                after: Some(OpId {
                    counter: 1,
                    node: A,
                }),
                ch: 'x',
            },
        ];
        for op in &bad {
            assert!(r.validate_op(op).is_err(), "{op:?}");
            r.apply(op);
            assert_eq!(r, before);
        }
        assert_eq!(
            Rga::from_elements(alloc::vec![r.elements()[0], r.elements()[0]]),
            Err(RgaError::DuplicateId(r.elements()[0].id))
        );
        assert_eq!(Rga::from_elements(r.elements().to_vec()), Ok(r));
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod laws {
    use super::*;
    use crate::clock::VectorClock;
    use alloc::collections::BTreeSet;
    use proptest::prelude::*;

    /// An operation with the vector clock of its author when it was made.
    struct Sent {
        origin: NodeId,
        clock: VectorClock,
        op: RgaOp,
    }

    struct Replica {
        rga: Rga,
        delivered: VectorClock,
    }

    fn deliverable(r: &Replica, m: &Sent) -> bool {
        m.clock.get(m.origin) == r.delivered.get(m.origin) + 1
            && m.clock
                .iter()
                .all(|(k, c)| k == m.origin || c <= r.delivered.get(k))
    }

    /// Runs a random session: `steps` of (replica, action, choice); an action is a local
    /// insert, a local delete or a causal delivery of a random deliverable message. Then every
    /// replica receives everything left, again in a random causal order.
    fn session(n: usize, steps: &[(usize, u8, usize)]) -> (Vec<Replica>, Vec<Sent>) {
        let mut replicas: Vec<Replica> = (0..n)
            .map(|_| Replica {
                rga: Rga::new(),
                delivered: VectorClock::new(),
            })
            .collect();
        let mut log: Vec<Sent> = Vec::new();
        let mut got: Vec<BTreeSet<usize>> = (0..n).map(|_| BTreeSet::new()).collect();
        fn deliver(
            replicas: &mut [Replica],
            got: &mut [BTreeSet<usize>],
            log: &[Sent],
            r: usize,
            pick: usize,
        ) -> bool {
            let ready: Vec<usize> = (0..log.len())
                .filter(|i| !got[r].contains(i) && deliverable(&replicas[r], &log[*i]))
                .collect();
            if ready.is_empty() {
                return false;
            }
            let i = ready[pick % ready.len()];
            let rep = &mut replicas[r];
            rep.rga.apply_checked(&log[i].op).unwrap();
            rep.delivered
                .set(log[i].origin, log[i].clock.get(log[i].origin));
            got[r].insert(i);
            true
        }
        for &(r, action, choice) in steps {
            let r = r % n;
            let node = NodeId(r as u32);
            match action % 4 {
                0 | 1 => {
                    let rep = &mut replicas[r];
                    let index = choice % (rep.rga.len() + 1);
                    let ch = char::from(b'a' + (choice % 26) as u8);
                    let op = rep.rga.insert_local(node, index, ch).unwrap();
                    rep.delivered.try_increment(node).unwrap();
                    log.push(Sent {
                        origin: node,
                        clock: rep.delivered.clone(),
                        op,
                    });
                    got[r].insert(log.len() - 1);
                }
                2 if !replicas[r].rga.is_empty() => {
                    let rep = &mut replicas[r];
                    let op = rep.rga.delete_local(choice % rep.rga.len()).unwrap();
                    rep.delivered.try_increment(node).unwrap();
                    log.push(Sent {
                        origin: node,
                        clock: rep.delivered.clone(),
                        op,
                    });
                    got[r].insert(log.len() - 1);
                }
                _ => {
                    deliver(&mut replicas, &mut got, &log, r, choice);
                }
            }
        }
        for r in 0..n {
            let mut pick = r * 7 + 3;
            while deliver(&mut replicas, &mut got, &log, r, pick) {
                pick = pick.wrapping_mul(31).wrapping_add(17);
            }
        }
        (replicas, log)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn replicas_converge_and_lose_no_character(
            n in 2usize..5,
            steps in proptest::collection::vec((0usize..8, 0u8..4, 0usize..1000), 0..120),
        ) {
            let (replicas, log) = session(n, &steps);
            let text = replicas[0].rga.text();
            for r in &replicas {
                prop_assert_eq!(r.rga.elements(), replicas[0].rga.elements());
                prop_assert_eq!(&r.rga.text(), &text);
            }
            let inserted: BTreeSet<OpId> = log.iter().filter_map(|m| match m.op {
                RgaOp::Insert { id, .. } => Some(id),
                _ => None,
            }).collect();
            let deleted: BTreeSet<OpId> = log.iter().filter_map(|m| match m.op {
                RgaOp::Delete { target } => Some(target),
                _ => None,
            }).collect();
            let present: BTreeSet<OpId> = replicas[0].rga.elements().iter().map(|e| e.id).collect();
            prop_assert_eq!(&present, &inserted);
            let visible: BTreeSet<OpId> = replicas[0].rga.elements().iter()
                .filter(|e| !e.deleted).map(|e| e.id).collect();
            let expected: BTreeSet<OpId> = inserted.difference(&deleted).copied().collect();
            prop_assert_eq!(visible, expected);
        }
    }
}
