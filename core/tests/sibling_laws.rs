//! Laws of the sibling sets (DVV, DVVSet, and plain version vectors where they apply), over
//! generated histories of client reads, writes through replicas and replica syncs, checked
//! against a ground-truth model of what each write's client had seen:
//! concurrent writes survive as siblings, a write that saw a sibling supersedes it, no write
//! is lost without being seen, and sync is commutative, associative and idempotent.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeSet;

use chronoscope::clock::{
    ClockError, DvvSet, DvvSiblings, SiblingSet, VectorClock, VersionVector, VvSiblings,
};
use chronoscope::node::NodeId;
use chronoscope::time::Instant;
use proptest::prelude::*;

const REPLICAS: usize = 3;
const CLIENTS: usize = 3;

#[derive(Clone, Debug)]
enum Op {
    /// Client `client` reads the key at `replica` (its context is replaced).
    Read { client: usize, replica: usize },
    /// Client `client` writes with its last context through `replica`.
    Write { client: usize, replica: usize },
    /// `from` sends its state of the key to `to`, which joins it.
    Sync { from: usize, to: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..CLIENTS, 0..REPLICAS).prop_map(|(client, replica)| Op::Read { client, replica }),
        (0..CLIENTS, 0..REPLICAS).prop_map(|(client, replica)| Op::Write { client, replica }),
        (0..REPLICAS, 0..REPLICAS).prop_map(|(from, to)| Op::Sync { from, to }),
    ]
}

/// Histories where each write's client has just read the replica it writes through (the
/// only use plain version vectors with replica ids are sound for).
fn read_own_replica_history() -> impl Strategy<Value = Vec<Op>> {
    proptest::collection::vec(
        prop_oneof![
            (0..REPLICAS).prop_map(|r| vec![
                Op::Read {
                    client: 0,
                    replica: r
                },
                Op::Write {
                    client: 0,
                    replica: r
                }
            ]),
            (0..REPLICAS, 0..REPLICAS).prop_map(|(from, to)| vec![Op::Sync { from, to }]),
        ],
        0..25,
    )
    .prop_map(|v| v.into_iter().flatten().collect())
}

/// Replays `ops`, checking after every step that each replica holds exactly the writes no
/// other known write had seen. Returns the final replica states.
fn replay<S: SiblingSet<u32>>(ops: &[Op]) -> Result<Vec<S>, TestCaseError> {
    let mut replicas: Vec<S> = vec![S::default(); REPLICAS];
    let mut known: Vec<BTreeSet<u32>> = vec![BTreeSet::new(); REPLICAS];
    let mut clients: Vec<(S::Context, BTreeSet<u32>)> = vec![Default::default(); CLIENTS];
    let mut past: Vec<BTreeSet<u32>> = Vec::new();
    for (step, op) in ops.iter().enumerate() {
        match *op {
            Op::Read { client, replica } => {
                clients[client] = (replicas[replica].context(), known[replica].clone());
            }
            Op::Write { client, replica } => {
                let id = past.len() as u32;
                let (ctx, seen) = clients[client].clone();
                past.push(seen.clone());
                let now = Instant::from_millis(step as i64);
                let gone = replicas[replica]
                    .try_update(&ctx, NodeId(replica as u32), now, id)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                for g in &gone {
                    prop_assert!(seen.contains(g), "write {id} superseded unseen {g}");
                }
                known[replica].extend(seen);
                known[replica].insert(id);
            }
            Op::Sync { from, to } => {
                let other = replicas[from].clone();
                replicas[to].sync(&other);
                let k = known[from].clone();
                known[to].extend(k);
            }
        }
        for r in 0..REPLICAS {
            let expected: BTreeSet<u32> = known[r]
                .iter()
                .copied()
                .filter(|&w| !known[r].iter().any(|&x| past[x as usize].contains(&w)))
                .collect();
            let got: BTreeSet<u32> = replicas[r].values().into_iter().copied().collect();
            prop_assert_eq!(
                replicas[r].values().len(),
                got.len(),
                "duplicate sibling at {}",
                r
            );
            prop_assert_eq!(
                &got,
                &expected,
                "replica {} after step {} {:?}",
                r,
                step,
                op
            );
        }
    }
    Ok(replicas)
}

fn sync_laws<S: SiblingSet<u32>>(states: &[S]) -> Result<(), TestCaseError> {
    let join = |x: &S, y: &S| {
        let mut z = x.clone();
        z.sync(y);
        z
    };
    let (a, b, c) = (&states[0], &states[1], &states[2]);
    prop_assert_eq!(join(a, b), join(b, a));
    prop_assert_eq!(join(&join(a, b), c), join(a, &join(b, c)));
    prop_assert_eq!(&join(a, a), a);
    // After a full exchange every replica holds the same siblings.
    let all = join(&join(a, b), c);
    prop_assert_eq!(join(c, &join(b, a)), all);
    Ok(())
}

/// A counter with no successor is refused, not capped: a write whose context puts the
/// writing replica's counter at `u64::MAX − 1` takes the last counter; after it, any write
/// through that replica — and first, any write whose context claims `u64::MAX` — is refused
/// with `CounterOverflow` and leaves the key exactly as it was.
fn overflow_is_refused<S: SiblingSet<u32>>(
    states: &[S],
    replica: usize,
    at: impl Fn(&S::Context, NodeId, u64) -> S::Context,
) -> Result<(), TestCaseError> {
    let node = NodeId(replica as u32);
    let overflow = Err(ClockError::CounterOverflow { node: Some(node) });
    let mut key = states[replica].clone();
    let before = key.clone();
    let top = at(&key.context(), node, u64::MAX);
    prop_assert_eq!(
        key.try_update(&top, node, Instant::ZERO, 1000),
        overflow.clone()
    );
    prop_assert_eq!(&key, &before);
    let last = at(&key.context(), node, u64::MAX - 1);
    prop_assert!(key.try_update(&last, node, Instant::ZERO, 1001).is_ok());
    prop_assert_eq!(key.values(), vec![&1001]);
    let full = key.clone();
    prop_assert_eq!(
        key.try_update(&S::Context::default(), node, Instant::ZERO, 1002),
        overflow
    );
    prop_assert_eq!(&key, &full);
    Ok(())
}

fn vv_at(ctx: &VersionVector, node: NodeId, counter: u64) -> VersionVector {
    let mut ctx = ctx.clone();
    ctx.set(node, counter, Instant::ZERO);
    ctx
}

fn clock_at(ctx: &VectorClock, node: NodeId, counter: u64) -> VectorClock {
    let mut ctx = ctx.clone();
    ctx.set(node, counter);
    ctx
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn a_refused_write_leaves_the_key_unchanged(
        ops in proptest::collection::vec(op(), 0..40),
        replica in 0..REPLICAS,
    ) {
        overflow_is_refused(&replay::<DvvSiblings<u32>>(&ops)?, replica, clock_at)?;
        overflow_is_refused(&replay::<DvvSet<u32>>(&ops)?, replica, clock_at)?;
    }

    #[test]
    fn a_refused_version_vector_write_leaves_the_key_unchanged(
        ops in read_own_replica_history(),
        replica in 0..REPLICAS,
    ) {
        overflow_is_refused(&replay::<VvSiblings<u32>>(&ops)?, replica, vv_at)?;
    }

    #[test]
    fn dvv_siblings_keep_exactly_the_unseen_writes(ops in proptest::collection::vec(op(), 0..40)) {
        let states = replay::<DvvSiblings<u32>>(&ops)?;
        sync_laws(&states)?;
    }

    #[test]
    fn dvvset_keeps_exactly_the_unseen_writes(ops in proptest::collection::vec(op(), 0..40)) {
        let states = replay::<DvvSet<u32>>(&ops)?;
        sync_laws(&states)?;
    }

    #[test]
    fn dvvset_and_dvv_siblings_agree(ops in proptest::collection::vec(op(), 0..40)) {
        let a = replay::<DvvSet<u32>>(&ops)?;
        let b = replay::<DvvSiblings<u32>>(&ops)?;
        for (x, y) in a.iter().zip(&b) {
            prop_assert_eq!(x.context(), y.context());
        }
    }

    #[test]
    fn version_vectors_are_sound_when_clients_read_their_replica(ops in read_own_replica_history()) {
        let states = replay::<VvSiblings<u32>>(&ops)?;
        sync_laws(&states)?;
    }
}

#[test]
fn version_vectors_fail_the_general_law() {
    // Two clients read the empty key and both write through replica A.
    let ops = [
        Op::Read {
            client: 0,
            replica: 0,
        },
        Op::Read {
            client: 1,
            replica: 0,
        },
        Op::Write {
            client: 0,
            replica: 0,
        },
        Op::Write {
            client: 1,
            replica: 0,
        },
    ];
    assert!(replay::<VvSiblings<u32>>(&ops).is_err());
    assert!(replay::<DvvSet<u32>>(&ops).is_ok());
    assert!(replay::<DvvSiblings<u32>>(&ops).is_ok());
}
