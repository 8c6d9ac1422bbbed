//! The hash graph of delivered updates (Kleppmann & Howard, "Byzantine Eventual
//! Consistency", §4.2: an update is delivered only after every update it names by hash).
//!
//! [`Graph`] keeps the delivered updates in delivery order (a causal order), their heads,
//! each update's Lamport number (computed here: one more than the largest among its
//! dependencies and the runs it edits, counting a run's last character), the per-author sequence numbers — from which the
//! teaching view's vector clock is derived and equivocations are found — and the text
//! ([`HashRga`]). Invariant: an update is delivered at most once, and only when everything
//! it names is delivered; an update whose edit cannot apply (its anchor or target is not a
//! character, or it depends on such an update) is marked invalid on every honest replica
//! alike, since validity depends only on the update's hash-closed past.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;

use super::hash_rga::HashRga;
use super::update::{AuthorKey, Op, Update, UpdateHash};

/// One delivered update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivered {
    /// The update.
    pub update: Update,
    /// Its Lamport number (computed at delivery; an insert's first character's).
    pub lamport: u64,
    /// The Lamport number of its last character (`lamport` for a delete).
    pub last_lamport: u64,
    /// How many characters it inserted (0 for a delete).
    pub run: usize,
    /// Its position in the delivery order.
    pub index: usize,
}

/// Two valid updates signed by one author with one sequence number: both are kept (so
/// every honest replica converges) and the pair is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Equivocation {
    /// The author who signed both.
    pub author: AuthorKey,
    /// The sequence number both claim.
    pub seq: u64,
    /// The update delivered first here.
    pub first: UpdateHash,
    /// The other one.
    pub second: UpdateHash,
}

/// Whether an update can be delivered now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Readiness {
    /// Everything it names is delivered.
    Ready,
    /// These named updates are missing.
    Missing(Vec<UpdateHash>),
    /// It names an update refused as invalid.
    Invalid,
}

/// What delivering an update changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// Whether the visible text changed.
    pub text_changed: bool,
    /// An equivocation the update revealed.
    pub equivocation: Option<Equivocation>,
}

/// The delivered updates and the text they make.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    store: BTreeMap<UpdateHash, Delivered>,
    log: Vec<UpdateHash>,
    heads: BTreeSet<UpdateHash>,
    seqs: BTreeMap<AuthorKey, BTreeMap<u64, Vec<UpdateHash>>>,
    contiguous: BTreeMap<AuthorKey, u64>,
    equivocations: Vec<Equivocation>,
    invalid: BTreeSet<UpdateHash>,
    rga: HashRga,
}

impl Graph {
    /// An empty graph.
    pub fn new() -> Self {
        Self::default()
    }
    /// The text.
    pub fn rga(&self) -> &HashRga {
        &self.rga
    }
    /// The delivered update named `hash`.
    pub fn get(&self, hash: &UpdateHash) -> Option<&Delivered> {
        self.store.get(hash)
    }
    /// Whether `hash` is delivered.
    pub fn contains(&self, hash: &UpdateHash) -> bool {
        self.store.contains_key(hash)
    }
    /// Whether `hash` was refused as invalid.
    pub fn is_invalid(&self, hash: &UpdateHash) -> bool {
        self.invalid.contains(hash)
    }
    /// The number of delivered updates.
    pub fn len(&self) -> usize {
        self.log.len()
    }
    /// Whether nothing is delivered.
    pub fn is_empty(&self) -> bool {
        self.log.is_empty()
    }
    /// The delivered updates' hashes in delivery order.
    pub fn log(&self) -> &[UpdateHash] {
        &self.log
    }
    /// The delivered updates no other delivered update names.
    pub fn heads(&self) -> &BTreeSet<UpdateHash> {
        &self.heads
    }
    /// Every equivocation found, in the order found.
    pub fn equivocations(&self) -> &[Equivocation] {
        &self.equivocations
    }
    /// Whether `author` signed more than one delivered update with sequence number `seq`.
    pub fn equivocated(&self, author: &AuthorKey, seq: u64) -> bool {
        self.seqs
            .get(author)
            .and_then(|m| m.get(&seq))
            .is_some_and(|v| v.len() > 1)
    }
    /// The largest sequence number delivered from `author` (0 if none).
    pub fn max_seq(&self, author: &AuthorKey) -> u64 {
        self.seqs
            .get(author)
            .and_then(|m| m.keys().next_back().copied())
            .unwrap_or(0)
    }
    /// The vector clock derived from the graph: for each author, the largest `k` such that
    /// updates `1..=k` of that author are all delivered.
    pub fn vector_clock(&self) -> &BTreeMap<AuthorKey, u64> {
        &self.contiguous
    }

    /// Whether `update` can be delivered now (its dependencies and the element it edits).
    pub fn readiness(&self, update: &Update) -> Readiness {
        let mut missing = Vec::new();
        for h in update.deps.iter().copied().chain(update.op.references()) {
            if self.invalid.contains(&h) {
                return Readiness::Invalid;
            }
            if !self.store.contains_key(&h) && !missing.contains(&h) {
                missing.push(h);
            }
        }
        if missing.is_empty() {
            Readiness::Ready
        } else {
            Readiness::Missing(missing)
        }
    }

    /// Marks `hash` invalid (remembering at most `cap` of them; returns whether it did).
    pub fn mark_invalid(&mut self, hash: UpdateHash, cap: usize) -> bool {
        if self.invalid.len() >= cap {
            return false;
        }
        self.invalid.insert(hash);
        true
    }

    /// Delivers a ready update, checking its edit. `Err(())` means the update is invalid
    /// (it was marked so, within `invalid_cap`); nothing else changed.
    #[allow(clippy::result_unit_err)]
    pub fn deliver(&mut self, update: Update, invalid_cap: usize) -> Result<Delivery, ()> {
        if self.store.contains_key(&update.id) || self.readiness(&update) != Readiness::Ready {
            return Err(());
        }
        let refs = update.op.references();
        let lamport = 1 + update
            .deps
            .iter()
            .chain(&refs)
            .filter_map(|h| self.store.get(h))
            .map(|d| d.last_lamport)
            .max()
            .unwrap_or(0);
        let run = update.op.run_len();
        // An anchor or target must be a character of a delivered insert (not a delete, not
        // past the end of its run): decided by the update's hash-closed past alone.
        let is_char =
            |u: &UpdateHash, end: u64| self.store.get(u).is_some_and(|d| end <= d.run as u64);
        let applied = match &update.op {
            Op::Insert { after, text } => {
                if after.is_none_or(|a| is_char(&a.update, u64::from(a.offset) + 1)) {
                    self.rga
                        .insert_run(update.id, lamport, *after, text)
                        .map(|_| true)
                        .map_err(|_| ())
                } else {
                    Err(())
                }
            }
            Op::Delete { ranges } => {
                if ranges.iter().all(|r| is_char(&r.update, r.end())) {
                    self.rga.delete(ranges).map(|n| n > 0).map_err(|_| ())
                } else {
                    Err(())
                }
            }
        };
        let Ok(text_changed) = applied else {
            self.mark_invalid(update.id, invalid_cap);
            return Err(());
        };
        for h in update.deps.iter().chain(&refs) {
            self.heads.remove(h);
        }
        self.heads.insert(update.id);
        let same_seq = self
            .seqs
            .entry(update.author)
            .or_default()
            .entry(update.seq)
            .or_default();
        let equivocation = same_seq.first().map(|&first| Equivocation {
            author: update.author,
            seq: update.seq,
            first,
            second: update.id,
        });
        same_seq.push(update.id);
        if let Some(e) = equivocation {
            self.equivocations.push(e);
        }
        let seqs = &self.seqs[&update.author];
        let c = self.contiguous.entry(update.author).or_insert(0);
        while seqs.contains_key(&(*c + 1)) {
            *c += 1;
        }
        self.log.push(update.id);
        self.store.insert(
            update.id,
            Delivered {
                update,
                lamport,
                last_lamport: lamport + run.saturating_sub(1) as u64,
                run,
                index: self.log.len() - 1,
            },
        );
        Ok(Delivery {
            text_changed,
            equivocation,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collab::update::{Author, CharId, CharRange};
    use alloc::vec;

    #[test]
    fn runs_chain_lamport_numbers_and_refer_only_to_their_own_characters() {
        let a = Author::from_seed([1; 32]);
        let mut g = Graph::new();
        let run = |seq, deps, after, text: &str| {
            Update::sign(
                &a,
                seq,
                deps,
                Op::Insert {
                    after,
                    text: text.into(),
                },
            )
        };
        let hello = run(1, vec![], None, "hello");
        g.deliver(hello.clone(), 10).unwrap();
        let d = g.get(&hello.id).unwrap();
        assert_eq!((d.lamport, d.last_lamport, d.run), (1, 5, 5));
        // Past the end of the run: invalid, as anchor and as target.
        let past = run(2, vec![hello.id], Some(CharId::new(hello.id, 5)), "!");
        assert!(g.deliver(past, 10).is_err());
        let r = |start, len| CharRange {
            update: hello.id,
            start,
            len,
        };
        let too_far = Update::sign(
            &a,
            3,
            vec![hello.id],
            Op::Delete {
                ranges: vec![r(3, 3)],
            },
        );
        assert!(g.deliver(too_far, 10).is_err());
        // Inside the run: the new run's Lamport number follows the whole run's.
        let bang = run(4, vec![hello.id], Some(CharId::new(hello.id, 1)), "!!");
        g.deliver(bang.clone(), 10).unwrap();
        assert_eq!(g.get(&bang.id).unwrap().lamport, 6);
        let del = Update::sign(
            &a,
            5,
            vec![bang.id],
            Op::Delete {
                ranges: vec![r(0, 2)],
            },
        );
        assert!(g.deliver(del, 10).unwrap().text_changed);
        assert_eq!(g.rga().text(), "!!llo");
        assert_eq!(g.len(), 3);
    }

    #[test]
    fn delivery_waits_for_dependencies_and_finds_equivocation() {
        let (a, m) = (Author::from_seed([1; 32]), Author::from_seed([2; 32]));
        let mut g = Graph::new();
        let x = Update::sign(&a, 1, vec![], Op::insert_char(None, 'x'));
        let y = Update::sign(
            &a,
            2,
            vec![x.id],
            Op::insert_char(Some(CharId::new(x.id, 0)), 'y'),
        );
        assert_eq!(g.readiness(&y), Readiness::Missing(vec![x.id]));
        assert!(g.deliver(y.clone(), 10).is_err());
        g.deliver(x.clone(), 10).unwrap();
        g.deliver(y.clone(), 10).unwrap();
        assert_eq!(g.rga().text(), "xy");
        assert_eq!(g.get(&y.id).map(|d| d.lamport), Some(2));
        assert_eq!(g.heads().iter().copied().collect::<Vec<_>>(), vec![y.id]);
        // Mallory signs two different updates with seq 1.
        let m1 = Update::sign(
            &m,
            1,
            vec![y.id],
            Op::insert_char(Some(CharId::new(y.id, 0)), '1'),
        );
        let m2 = Update::sign(
            &m,
            1,
            vec![y.id],
            Op::insert_char(Some(CharId::new(y.id, 0)), '2'),
        );
        assert_eq!(g.deliver(m1.clone(), 10).unwrap().equivocation, None);
        let e = g.deliver(m2.clone(), 10).unwrap().equivocation.unwrap();
        assert_eq!((e.first, e.second, e.seq), (m1.id, m2.id, 1));
        assert!(g.equivocated(&m.key(), 1));
        assert_eq!(g.vector_clock().get(&a.key()), Some(&2));
        assert_eq!(g.vector_clock().get(&m.key()), Some(&1));
        assert_eq!(g.heads().len(), 2);
    }

    #[test]
    fn an_edit_of_a_delete_is_invalid_and_so_are_its_dependents() {
        let a = Author::from_seed([1; 32]);
        let mut g = Graph::new();
        let x = Update::sign(&a, 1, vec![], Op::insert_char(None, 'x'));
        let d = Update::sign(&a, 2, vec![x.id], Op::delete_char(CharId::new(x.id, 0)));
        let bad = Update::sign(
            &a,
            3,
            vec![d.id],
            Op::insert_char(Some(CharId::new(d.id, 0)), 'z'),
        );
        let child = Update::sign(&a, 4, vec![bad.id], Op::delete_char(CharId::new(x.id, 0)));
        g.deliver(x, 10).unwrap();
        g.deliver(d, 10).unwrap();
        assert!(g.deliver(bad.clone(), 10).is_err());
        assert!(g.is_invalid(&bad.id));
        assert_eq!(g.readiness(&child), Readiness::Invalid);
        assert_eq!(g.rga().text(), "");
        assert_eq!(g.len(), 2);
    }
}
