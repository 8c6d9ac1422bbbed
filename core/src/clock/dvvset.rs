//! DVVSet: a compact set of dotted version vectors for one key (Gonçalves, Almeida, Baquero,
//! Fonte, "Dotted Version Vector Sets", the `dvvset` library used by Riak; the merge rule
//! follows its `sync`/`merge` functions).
//!
//! Instead of one clock per sibling, the key keeps one entry per replica:
//! `(replica, n, [v_n, v_(n-1), …, v_(n-k+1)])` — the replica's latest counter `n` and the
//! values it made that are still alive, newest first. Value `v_j` has the implicit dot
//! `(replica, j)`; every dot up to `n − k` is covered (seen and superseded). Metadata is one
//! entry per replica however many siblings there are.
//!
//! Invariant: an entry's values are exactly the dots `n−k+1 ..= n` of that replica not yet
//! superseded; `sync` keeps, per replica, the larger counter and only the values whose dots
//! neither side has covered — so sync is commutative, associative and idempotent. This
//! version keeps no *anonymous* (client-side) values: every update goes through a replica.

use alloc::vec::Vec;
use core::cmp::Ordering;
use core::fmt;

use super::vector::VectorClock;
use super::version_vector::SiblingSet;
use super::ClockError;
use crate::node::NodeId;
use crate::time::Instant;

/// One replica's entry: its counter and its live values, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DvvEntry<V> {
    /// The replica.
    pub node: NodeId,
    /// The replica's latest counter this key has seen.
    pub counter: u64,
    /// Live values, newest first: `values[i]` has dot `(node, counter − i)`.
    pub values: Vec<V>,
}

/// A dotted version vector set: a key's siblings with one clock entry per replica.
///
/// ```
/// use chronoscope::{clock::{DvvSet, SiblingSet, VectorClock}, node::NodeId, time::Instant};
/// let (a, b) = (NodeId(0), NodeId(1));
/// let t = Instant::ZERO;
/// let mut at_a = DvvSet::default();
/// at_a.try_update(&VectorClock::new(), a, t, "milk")?;
/// let mut at_b = DvvSet::default();
/// at_b.try_update(&VectorClock::new(), b, t, "eggs")?;
/// at_a.sync(&at_b);
/// assert_eq!(at_a.values(), [&"milk", &"eggs"]);
/// assert_eq!(at_a.context().to_string(), r#"{"A":1,"B":1}"#);
/// let ctx = at_a.context();
/// at_a.try_update(&ctx, b, t, "milk,eggs")?;
/// assert_eq!(at_a.values(), [&"milk,eggs"]);
/// assert_eq!(at_a.to_string(), r#"[(A,1,[]),(B,2,["milk,eggs"])]"#);
/// # Ok::<(), chronoscope::clock::ClockError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DvvSet<V> {
    entries: Vec<DvvEntry<V>>,
}

impl<V> Default for DvvSet<V> {
    fn default() -> Self {
        DvvSet {
            entries: Vec::new(),
        }
    }
}

impl<V: Clone> DvvSet<V> {
    /// The entries, sorted by replica.
    pub fn entries(&self) -> &[DvvEntry<V>] {
        &self.entries
    }

    /// The `dvvset` merge of one replica's two entries: the larger counter, and the values
    /// whose dots neither side has covered.
    fn merge_entry(x: &DvvEntry<V>, y: &DvvEntry<V>) -> DvvEntry<V> {
        let (hi, lo) = if x.counter >= y.counter {
            (x, y)
        } else {
            (y, x)
        };
        let hi_floor = hi.counter.saturating_sub(hi.values.len() as u64);
        let lo_floor = lo.counter.saturating_sub(lo.values.len() as u64);
        let values = if hi_floor >= lo_floor {
            hi.values.clone()
        } else {
            // Keep hi's values with dots above lo's floor.
            let keep = hi.counter.saturating_sub(lo_floor) as usize;
            hi.values.iter().take(keep).cloned().collect()
        };
        DvvEntry {
            node: hi.node,
            counter: hi.counter,
            values,
        }
    }

    fn join_entries(a: &[DvvEntry<V>], b: &[DvvEntry<V>]) -> Vec<DvvEntry<V>> {
        let mut out = Vec::with_capacity(a.len().max(b.len()));
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            let order = match (a.get(i), b.get(j)) {
                (Some(x), Some(y)) => x.node.cmp(&y.node),
                (Some(_), None) => Ordering::Less,
                _ => Ordering::Greater,
            };
            match order {
                Ordering::Less => {
                    out.push(a[i].clone());
                    i += 1;
                }
                Ordering::Greater => {
                    out.push(b[j].clone());
                    j += 1;
                }
                Ordering::Equal => {
                    out.push(Self::merge_entry(&a[i], &b[j]));
                    i += 1;
                    j += 1;
                }
            }
        }
        out
    }
}

impl<V: Clone + fmt::Debug + PartialEq> SiblingSet<V> for DvvSet<V> {
    type Context = VectorClock;

    fn context(&self) -> VectorClock {
        VectorClock::from_entries(self.entries.iter().map(|e| (e.node, e.counter)))
    }

    fn try_update(
        &mut self,
        context: &VectorClock,
        node: NodeId,
        _now: Instant,
        value: V,
    ) -> Result<Vec<V>, ClockError> {
        // The event's counter passes both the key's and the context's counter for `node`;
        // check it before changing anything, so a refused write leaves the key as it was.
        let known = match self.entries.binary_search_by_key(&node, |e| e.node) {
            Ok(i) => self.entries[i].counter,
            Err(_) => 0,
        };
        let counter = known
            .max(context.get(node))
            .checked_add(1)
            .ok_or(ClockError::CounterOverflow { node: Some(node) })?;
        let client: Vec<DvvEntry<V>> = context
            .iter()
            .map(|(node, counter)| DvvEntry {
                node,
                counter,
                values: Vec::new(),
            })
            .collect();
        // The values the client's context covers are superseded by this write.
        let mut gone = Vec::new();
        for e in &self.entries {
            let seen = context.get(e.node);
            for (i, v) in e.values.iter().enumerate() {
                if e.counter.saturating_sub(i as u64) <= seen {
                    gone.push(v.clone());
                }
            }
        }
        self.entries = Self::join_entries(&client, &self.entries);
        // The event: bump `node`'s counter and put the value first in its list.
        match self.entries.binary_search_by_key(&node, |e| e.node) {
            Ok(i) => {
                let e = &mut self.entries[i];
                e.counter = counter;
                e.values.insert(0, value);
            }
            Err(i) => self.entries.insert(
                i,
                DvvEntry {
                    node,
                    counter,
                    values: alloc::vec![value],
                },
            ),
        }
        Ok(gone)
    }

    fn sync(&mut self, other: &Self) -> Vec<V> {
        let joined = Self::join_entries(&self.entries, &other.entries);
        let mut dropped = Vec::new();
        for side in [&self.entries, &other.entries] {
            for e in side.iter() {
                let Ok(k) = joined.binary_search_by_key(&e.node, |x| x.node) else {
                    continue;
                };
                let j = &joined[k];
                let floor = j.counter.saturating_sub(j.values.len() as u64);
                // Value i of e has dot e.counter − i; it is gone if at or below the floor.
                for (i, v) in e.values.iter().enumerate() {
                    let dot = e.counter.saturating_sub(i as u64);
                    if dot <= floor && !dropped.contains(v) {
                        dropped.push(v.clone());
                    }
                }
            }
        }
        self.entries = joined;
        dropped
    }

    fn values(&self) -> Vec<&V> {
        self.entries.iter().flat_map(|e| e.values.iter()).collect()
    }

    fn metadata_bytes(&self) -> usize {
        // A 4-byte length, then per entry a 4-byte id, an 8-byte counter and a 4-byte
        // count of live values (the values' dots are implicit).
        4 + self.entries.len() * 16
    }
}

impl<V: fmt::Debug> fmt::Display for DvvSet<V> {
    /// `[(A,1,[]),(B,2,["x"])]`, as the `dvvset` library prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (k, e) in self.entries.iter().enumerate() {
            if k > 0 {
                f.write_str(",")?;
            }
            write!(f, "({},{},{:?})", e.node, e.counter, e.values)?;
        }
        f.write_str("]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_entry_keeps_only_uncovered_dots() {
        let a = NodeId(0);
        // x: counter 5, live dots 4 and 5; y: counter 3, live dots 2 and 3 (so 1 covered).
        let x = DvvEntry {
            node: a,
            counter: 5,
            values: alloc::vec!["a5", "a4"],
        };
        let y = DvvEntry {
            node: a,
            counter: 3,
            values: alloc::vec!["a3", "a2"],
        };
        // x covers 1..=3, so a3 and a2 are gone; y covers only 1, so a4, a5 live.
        let m = DvvSet::merge_entry(&x, &y);
        assert_eq!(m.values, ["a5", "a4"]);
        // A client that saw up to 4 covers a4.
        let c = DvvEntry {
            node: a,
            counter: 4,
            values: alloc::vec![],
        };
        assert_eq!(DvvSet::merge_entry(&x, &c).values, ["a5"]);
    }

    #[test]
    fn concurrent_writes_through_one_replica_both_survive() {
        let a = NodeId(0);
        let mut key = DvvSet::default();
        key.try_update(&VectorClock::new(), a, Instant::ZERO, 1)
            .unwrap();
        key.try_update(&VectorClock::new(), a, Instant::ZERO, 2)
            .unwrap();
        assert_eq!(key.values(), [&2, &1]);
        let gone = key.try_update(&VectorClock::from_entries([(a, 1)]), a, Instant::ZERO, 3);
        assert_eq!(gone, Ok(alloc::vec![1]));
        assert_eq!(key.values(), [&3, &2]);
        assert_eq!(key.metadata_bytes(), 20);
    }
}
