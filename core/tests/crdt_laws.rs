//! CRDT laws over generated histories: replicas apply random (validated) operations offline
//! and merge random peers' states; then merge is commutative, associative and idempotent on
//! the states reached, and replicas that receive every state — in any order, with
//! duplicates — converge to the same state.
#![cfg(not(target_arch = "wasm32"))]

use chronoscope::crdt::g_counter::Increment;
use chronoscope::crdt::lww_register::Set;
use chronoscope::crdt::mv_register::Write;
use chronoscope::crdt::or_set::OrOp;
use chronoscope::crdt::pn_counter::PnOp;
use chronoscope::crdt::two_phase_set::TwoPhaseOp;
use chronoscope::crdt::{
    CvRdt, GCounter, GSet, LwwRegister, MvRegister, OrSet, PnCounter, TwoPhaseSet, Update,
};
use chronoscope::node::NodeId;
use chronoscope::store::lww::LwwStamp;
use proptest::prelude::*;

const REPLICAS: usize = 3;

/// A step of a history: replica `at` either makes an update from the raw numbers `(a, b)`,
/// or merges the current state of replica `from`.
#[derive(Clone, Debug)]
enum Step {
    Update { at: usize, a: u8, b: u8 },
    Merge { at: usize, from: usize },
}

fn history() -> impl Strategy<Value = Vec<Step>> {
    proptest::collection::vec(
        prop_oneof![
            3 => (0..REPLICAS, any::<u8>(), any::<u8>()).prop_map(|(at, a, b)| Step::Update { at, a, b }),
            1 => (0..REPLICAS, 0..REPLICAS).prop_map(|(at, from)| Step::Merge { at, from }),
        ],
        0..30,
    )
}

/// Runs a history; operations a replica's state refuses are skipped (and must leave the
/// state unchanged). Returns the replicas' states and every state reached along the way.
fn run<C: Update + Default>(
    steps: &[Step],
    make: impl Fn(NodeId, u8, u8) -> C::Op,
) -> Result<(Vec<C>, Vec<C>), TestCaseError> {
    let mut replicas = vec![C::default(); REPLICAS];
    let mut seen = Vec::new();
    for step in steps {
        match *step {
            Step::Update { at, a, b } => {
                let op = make(NodeId(at as u32), a, b);
                let before = replicas[at].clone();
                if replicas[at].try_apply(op).is_err() {
                    prop_assert_eq!(&replicas[at], &before, "a refused op changed the state");
                }
            }
            Step::Merge { at, from } => {
                let other = replicas[from].clone();
                replicas[at].merge(&other);
            }
        }
        seen.push(
            replicas[match *step {
                Step::Update { at, .. } | Step::Merge { at, .. } => at,
            }]
            .clone(),
        );
    }
    Ok((replicas, seen))
}

fn laws<C: Update + Default>(
    steps: &[Step],
    order: &[usize],
    make: impl Fn(NodeId, u8, u8) -> C::Op,
) -> Result<C, TestCaseError> {
    let (replicas, seen) = run::<C>(steps, make)?;
    let pick = |k: usize| seen.get(k % seen.len().max(1)).cloned().unwrap_or_default();
    let (a, b, c) = (pick(order[0]), pick(order[1]), pick(order[2]));
    prop_assert_eq!(a.merged(&b), b.merged(&a), "commutative");
    prop_assert_eq!(
        a.merged(&b).merged(&c),
        a.merged(&b.merged(&c)),
        "associative"
    );
    prop_assert_eq!(a.merged(&a), a.clone(), "idempotent");
    // Deliver every replica's final state to every replica, in the order `order` gives,
    // twice (duplicates); all must end equal to the plain join.
    let join = replicas.iter().fold(C::default(), |acc, r| acc.merged(r));
    for (k, r) in replicas.iter().enumerate() {
        let mut s = r.clone();
        for i in order.iter().chain(order.iter()) {
            s.merge(&replicas[(i + k) % REPLICAS]);
        }
        prop_assert_eq!(&s, &join, "replica {} did not converge", k);
    }
    Ok(join)
}

fn order() -> impl Strategy<Value = Vec<usize>> {
    Just((0..REPLICAS).collect::<Vec<_>>()).prop_shuffle()
}

fn increments(steps: &[Step]) -> (u64, u64) {
    let (mut up, mut down) = (0, 0);
    for s in steps {
        if let Step::Update { a, b, .. } = *s {
            if b % 2 == 0 {
                up += u64::from(a);
            } else {
                down += u64::from(a);
            }
        }
    }
    (up, down)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn g_counter(steps in history(), order in order()) {
        let join = laws::<GCounter>(&steps, &order, |node, a, _| Increment { node, by: a.into() })?;
        // Every increment counted once (merges of the final states cover all of them).
        let (up, down) = increments(&steps);
        prop_assert_eq!(join.value(), up + down);
    }

    #[test]
    fn pn_counter(steps in history(), order in order()) {
        let join = laws::<PnCounter>(&steps, &order, |node, a, b| {
            let by = a.into();
            if b % 2 == 0 { PnOp::Increment { node, by } } else { PnOp::Decrement { node, by } }
        })?;
        let (up, down) = increments(&steps);
        prop_assert_eq!(join.value(), i128::from(up) - i128::from(down));
    }

    #[test]
    fn g_set(steps in history(), order in order()) {
        let join = laws::<GSet<u8>>(&steps, &order, |_, a, _| a % 8)?;
        let added: std::collections::BTreeSet<u8> = steps.iter().filter_map(|s| match *s {
            Step::Update { a, .. } => Some(a % 8),
            _ => None,
        }).collect();
        prop_assert_eq!(join.value(), added.into_iter().collect::<Vec<_>>());
    }

    #[test]
    fn two_phase_set(steps in history(), order in order()) {
        laws::<TwoPhaseSet<u8>>(&steps, &order, |_, a, b| {
            if b % 3 == 0 { TwoPhaseOp::Remove(a % 4) } else { TwoPhaseOp::Add(a % 4) }
        })?;
    }

    #[test]
    fn or_set(steps in history(), order in order()) {
        laws::<OrSet<u8>>(&steps, &order, |node, a, b| {
            if b % 3 == 0 { OrOp::Remove(a % 4) } else { OrOp::Add { node, item: a % 4 } }
        })?;
    }

    #[test]
    fn lww_register(steps in history(), order in order()) {
        // The value is a function of the stamp, as unique stamps make it.
        laws::<LwwRegister<u32>>(&steps, &order, |node, a, _| Set {
            stamp: LwwStamp { time: i64::from(a % 16), node },
            value: u32::from(a % 16) * 10 + node.0,
        })?;
    }

    #[test]
    fn mv_register(steps in history(), order in order()) {
        let join = laws::<MvRegister<u8>>(&steps, &order, |node, a, _| Write { node, value: a % 5 })?;
        // The values kept are pairwise concurrent.
        for (i, (c1, _)) in join.versions().iter().enumerate() {
            for (c2, _) in &join.versions()[i + 1..] {
                prop_assert!(c1.concurrent_with(c2) || c1 == c2);
            }
        }
    }
}

#[test]
fn or_set_add_wins_and_two_phase_remove_wins() {
    let a = NodeId(0);
    let mut x = OrSet::default();
    x.try_apply(OrOp::Add { node: a, item: 1 }).unwrap();
    let mut y = x.clone();
    y.try_apply(OrOp::Remove(1)).unwrap();
    x.try_apply(OrOp::Add { node: a, item: 1 }).unwrap();
    assert_eq!(x.merged(&y).value(), [1]);

    let mut p = TwoPhaseSet::default();
    p.try_apply(TwoPhaseOp::Add(1)).unwrap();
    let mut q = p.clone();
    q.try_apply(TwoPhaseOp::Remove(1)).unwrap();
    assert!(p.merged(&q).value().is_empty());
}
