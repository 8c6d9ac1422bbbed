//! The metadata cost of detecting conflicts: bytes of causality metadata per stored value
//! as the cluster grows, for vector clocks, Riak-style pruned version vectors, per-sibling
//! dotted version vectors and DVVSet — and whether each still gets the siblings right.
//!
//! The workload (the same for every mechanism): `rounds` rounds in which each replica's
//! client, with probability ½, reads its replica and writes through it, then every replica
//! gossips its state to one random peer; anti-entropy then brings every replica to the same
//! state; a burst follows in which every replica's client reads and writes once,
//! concurrently (one sibling per replica expected); finally every replica's state is joined
//! into replica A. The ground truth is the
//! set of writes no other write had seen (tracked by write ids, as in the property tests).
//! One replica's clock can be set behind: pruning by timestamp then drops that replica's
//! *fresh* entries first, which is how a pruned vector comes to look descended.
//!
//! Invariant reported, not assumed: `kept == expected` with zero lost writes and zero false
//! siblings for vector clocks and the dotted kinds; pruned vectors trade that for a bound.

use alloc::collections::BTreeSet;
use alloc::vec::Vec;
use core::fmt;

use crate::clock::{DvvSet, DvvSiblings, SiblingSet, VersionEntry, VersionVector, VvSiblings};
use crate::node::NodeId;
use crate::rng::Rng;
use crate::time::{Instant, Span};

/// How a key's causality is tracked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mechanism {
    /// One version vector (replica ids, 12 bytes an entry) per sibling, never pruned.
    VectorClocks,
    /// One version vector per sibling with per-entry timestamps (20 bytes an entry),
    /// pruned to `cap` entries, oldest first.
    PrunedVersionVectors {
        /// The most entries a vector keeps.
        cap: usize,
    },
    /// One dotted version vector per sibling.
    DottedVersionVectors,
    /// One DVVSet per key.
    DvvSet,
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mechanism::VectorClocks => f.write_str("vector clocks"),
            Mechanism::PrunedVersionVectors { cap } => write!(f, "pruned VV (cap {cap})"),
            Mechanism::DottedVersionVectors => f.write_str("dotted version vectors"),
            Mechanism::DvvSet => f.write_str("DVVSet"),
        }
    }
}

/// The knobs of the cost measurement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CostParams {
    /// Cluster sizes to measure.
    pub node_counts: Vec<u32>,
    /// Rounds of writes and gossip before the last (concurrent) round.
    pub rounds: u32,
    /// Entry cap of the pruned version vectors.
    pub prune_cap: usize,
    /// Offset of replica A's clock (negative: behind), milliseconds.
    pub skew_ms: i64,
    /// The seed for the gossip pattern.
    pub seed: u64,
}

impl Default for CostParams {
    fn default() -> Self {
        CostParams {
            node_counts: alloc::vec![3, 10, 50],
            rounds: 5,
            prune_cap: 8,
            skew_ms: -3_600_000,
            seed: 1,
        }
    }
}

/// The largest cluster [`cost_table`] accepts (the version-vector join is quartic in it).
pub const MAX_NODES: u32 = 64;
/// The most rounds [`cost_table`] accepts.
pub const MAX_ROUNDS: u32 = 50;

/// Parameters [`cost_table`] refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CostError {
    /// A cluster size outside `2..=MAX_NODES`.
    Nodes(u32),
    /// More than [`MAX_ROUNDS`] rounds.
    Rounds(u32),
    /// A prune cap of zero.
    ZeroCap,
}

impl fmt::Display for CostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CostError::Nodes(n) => write!(f, "cluster size {n} is outside 2..={MAX_NODES}"),
            CostError::Rounds(r) => write!(f, "{r} rounds is more than {MAX_ROUNDS}"),
            CostError::ZeroCap => f.write_str("a prune cap must keep at least one entry"),
        }
    }
}

impl core::error::Error for CostError {}

/// One mechanism at one cluster size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CostRow {
    /// Cluster size.
    pub nodes: u32,
    /// The mechanism.
    pub mechanism: Mechanism,
    /// Values (siblings) stored at the end.
    pub values: usize,
    /// Bytes of metadata stored for the key.
    pub metadata_bytes: usize,
    /// The siblings the ground truth says must survive.
    pub expected_siblings: usize,
    /// Writes that should have survived but were discarded (false "descends").
    pub lost_writes: usize,
    /// Writes kept as siblings though a later write had seen them (false concurrency).
    pub false_siblings: usize,
}

impl CostRow {
    /// Metadata bytes per stored value (rounded down; 0 when nothing is stored).
    pub fn bytes_per_value(&self) -> usize {
        self.metadata_bytes.checked_div(self.values).unwrap_or(0)
    }

    /// Whether the siblings kept are exactly the expected ones.
    pub fn correct(&self) -> bool {
        self.lost_writes == 0 && self.false_siblings == 0
    }
}

struct Outcome {
    values: usize,
    metadata_bytes: usize,
    expected: usize,
    lost: usize,
    false_siblings: usize,
}

fn measure<S: SiblingSet<u32>>(empty: S, n: u32, p: &CostParams) -> Outcome {
    let n = n as usize;
    let mut rng = Rng::seed_from_u64(p.seed);
    let mut replicas: Vec<S> = alloc::vec![empty; n];
    let mut known: Vec<BTreeSet<u32>> = alloc::vec![BTreeSet::new(); n];
    let mut past: Vec<BTreeSet<u32>> = Vec::new();
    let skew = Span::from_millis(p.skew_ms);
    let write = |replicas: &mut Vec<S>,
                 known: &mut Vec<BTreeSet<u32>>,
                 past: &mut Vec<BTreeSet<u32>>,
                 round: u32,
                 i: usize| {
        // Every write of a round happens 1 ms after the previous one, true time.
        let true_ms = i64::from(round) * 1_000 + i as i64;
        let mut now = Instant::from_millis(true_ms);
        if i == 0 {
            now += skew;
        }
        let ctx = replicas[i].context();
        let id = past.len() as u32;
        past.push(known[i].clone());
        // Counters here count this run's writes (at most rounds × replicas), far below
        // u64::MAX: a refusal cannot happen, and would leave the replica unchanged.
        if replicas[i]
            .try_update(&ctx, NodeId(i as u32), now, id)
            .is_ok()
        {
            known[i].insert(id);
        }
    };
    for round in 0..p.rounds {
        for i in 0..n {
            // Each replica's client writes with probability ½ in a gossip round.
            if rng.below(2) == 0 {
                write(&mut replicas, &mut known, &mut past, round, i);
            }
        }
        for i in 0..n {
            let mut j = rng.below(n as u64 - 1) as usize;
            if j >= i {
                j += 1;
            }
            let state = replicas[i].clone();
            replicas[j].sync(&state);
            let k = known[i].clone();
            known[j].extend(k);
        }
    }
    // Anti-entropy: every replica converges to the join of all.
    for i in 1..n {
        let state = replicas[i].clone();
        replicas[0].sync(&state);
        let k = core::mem::take(&mut known[i]);
        known[0].extend(k);
    }
    for i in 1..n {
        replicas[i] = replicas[0].clone();
        known[i] = known[0].clone();
    }
    // A burst: every replica's client writes once, concurrently.
    for i in 0..n {
        write(&mut replicas, &mut known, &mut past, p.rounds, i);
    }
    for i in 1..n {
        let state = replicas[i].clone();
        replicas[0].sync(&state);
        let k = core::mem::take(&mut known[i]);
        known[0].extend(k);
    }
    let all = &known[0];
    let expected: BTreeSet<u32> = all
        .iter()
        .copied()
        .filter(|w| !all.iter().any(|x| past[*x as usize].contains(w)))
        .collect();
    let kept: BTreeSet<u32> = replicas[0].values().into_iter().copied().collect();
    Outcome {
        values: replicas[0].values().len(),
        metadata_bytes: replicas[0].metadata_bytes(),
        expected: expected.len(),
        lost: expected.difference(&kept).count(),
        false_siblings: kept.difference(&expected).count(),
    }
}

/// Measures every mechanism at every cluster size of `params`.
///
/// ```
/// use chronoscope::store::metadata::{cost_table, CostParams, Mechanism};
/// let rows = cost_table(&CostParams::default()).unwrap();
/// let dvvset_50 = rows.iter().find(|r| r.nodes == 50 && r.mechanism == Mechanism::DvvSet).unwrap();
/// assert!(dvvset_50.correct());
/// let vc_50 = rows.iter().find(|r| r.nodes == 50 && r.mechanism == Mechanism::VectorClocks).unwrap();
/// assert!(vc_50.correct() && vc_50.bytes_per_value() > 10 * dvvset_50.bytes_per_value());
/// ```
pub fn cost_table(params: &CostParams) -> Result<Vec<CostRow>, CostError> {
    if let Some(&n) = params
        .node_counts
        .iter()
        .find(|&&n| !(2..=MAX_NODES).contains(&n))
    {
        return Err(CostError::Nodes(n));
    }
    if params.rounds > MAX_ROUNDS {
        return Err(CostError::Rounds(params.rounds));
    }
    if params.prune_cap == 0 {
        return Err(CostError::ZeroCap);
    }
    let mut rows = Vec::new();
    for &n in &params.node_counts {
        let mechanisms = [
            Mechanism::VectorClocks,
            Mechanism::PrunedVersionVectors {
                cap: params.prune_cap,
            },
            Mechanism::DottedVersionVectors,
            Mechanism::DvvSet,
        ];
        for mechanism in mechanisms {
            let o = match mechanism {
                Mechanism::VectorClocks => measure(VvSiblings::<u32>::with_cap(None), n, params),
                Mechanism::PrunedVersionVectors { cap } => {
                    measure(VvSiblings::<u32>::with_cap(Some(cap)), n, params)
                }
                Mechanism::DottedVersionVectors => {
                    measure(DvvSiblings::<u32>::default(), n, params)
                }
                Mechanism::DvvSet => measure(DvvSet::<u32>::default(), n, params),
            };
            rows.push(CostRow {
                nodes: n,
                mechanism,
                values: o.values,
                metadata_bytes: o.metadata_bytes,
                expected_siblings: o.expected,
                lost_writes: o.lost,
                false_siblings: o.false_siblings,
            });
        }
    }
    Ok(rows)
}

/// The size of an unpruned vector for `nodes` replicas, for reference: `4 + 12·nodes`.
pub fn vector_bytes(nodes: usize) -> usize {
    let v = VersionVector::from_entries((0..nodes).map(|i| VersionEntry {
        node: NodeId(i as u32),
        counter: 1,
        stamp: Instant::ZERO,
    }));
    v.byte_size(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unpruned_and_dotted_mechanisms_are_exact_and_pruning_is_not() {
        let rows = cost_table(&CostParams::default()).unwrap();
        assert_eq!(rows.len(), 12);
        for r in &rows {
            match r.mechanism {
                Mechanism::PrunedVersionVectors { .. } if r.nodes > 8 => {
                    assert!(!r.correct(), "{r:?}");
                    assert!(r.bytes_per_value() <= 4 + 8 * 20 + 4, "{r:?}");
                }
                _ => assert!(r.correct(), "{r:?}"),
            }
            assert_eq!(r.expected_siblings, r.nodes as usize, "{r:?}");
        }
        // Pruning with A's clock behind drops A's fresh entry: a false "descends".
        let pruned_10 = rows
            .iter()
            .find(|r| {
                r.nodes == 10 && matches!(r.mechanism, Mechanism::PrunedVersionVectors { .. })
            })
            .unwrap();
        assert!(pruned_10.lost_writes > 0, "{pruned_10:?}");
        // With every clock right, the same pruning happens to keep the siblings here.
        let honest = cost_table(&CostParams {
            skew_ms: 0,
            ..CostParams::default()
        })
        .unwrap();
        assert!(honest.iter().all(CostRow::correct));
        assert_eq!(vector_bytes(50), 604);
    }

    #[test]
    fn absurd_parameters_are_refused() {
        let p = |f: fn(&mut CostParams)| {
            let mut p = CostParams::default();
            f(&mut p);
            cost_table(&p)
        };
        assert_eq!(
            p(|p| p.node_counts = alloc::vec![1]),
            Err(CostError::Nodes(1))
        );
        assert_eq!(p(|p| p.rounds = 1_000), Err(CostError::Rounds(1_000)));
        assert_eq!(p(|p| p.prune_cap = 0), Err(CostError::ZeroCap));
    }
}
