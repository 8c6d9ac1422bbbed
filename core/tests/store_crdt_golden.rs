//! Golden figures of the `metadata_cost` and `crdt_counters` examples (fixed seeds), and the
//! CRDT scenario converging over many seeded schedules, also when gossip is lost or duplicated.
#![cfg(not(target_arch = "wasm32"))]

use chronoscope::scenario::crdt::{self, CounterOutput};
use chronoscope::store::metadata::{cost_table, CostParams, Mechanism};
use proptest::prelude::*;

#[test]
fn metadata_cost_table() {
    let rows = cost_table(&CostParams::default()).unwrap();
    let row = |nodes: u32, m: Mechanism| {
        rows.iter()
            .find(|r| r.nodes == nodes && r.mechanism == m)
            .unwrap()
    };
    let pruned = Mechanism::PrunedVersionVectors { cap: 8 };
    let got: Vec<(u32, usize, usize, usize)> = [3, 10, 50]
        .into_iter()
        .map(|n| {
            (
                n,
                row(n, Mechanism::VectorClocks).bytes_per_value(),
                row(n, pruned).bytes_per_value(),
                row(n, Mechanism::DvvSet).bytes_per_value(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [(3, 41, 65, 17), (10, 113, 164, 16), (50, 580, 164, 16)]
    );
    assert_eq!(row(10, pruned).lost_writes, 1);
    assert_eq!(row(50, pruned).lost_writes, 1);
    assert!(rows
        .iter()
        .filter(|r| r.mechanism != pruned)
        .all(|r| r.correct()));
}

#[test]
fn crdt_counters_default_run() {
    let r = crdt::run(&crdt::Params::default()).unwrap();
    assert_eq!(r.expected, 23);
    assert!(r
        .finals
        .iter()
        .all(|s| s.to_string() == r.finals[0].to_string()));
    assert_eq!(r.finals[0].to_string(), "P{A:10, B:10, C:11} N{A:4, C:4}");
    let first_merge_at_c = r
        .outputs
        .iter()
        .find(|o| o.node.0 == 2 && matches!(o.output, CounterOutput::Merged { .. }))
        .map(|o| (o.at.as_millis(), o.output.clone()));
    assert_eq!(
        first_merge_at_c,
        Some((
            2_011,
            CounterOutput::Merged {
                from: chronoscope::node::NodeId(0),
                before: 7,
                after: 19
            }
        ))
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    #[test]
    fn crdt_scenario_converges_for_any_seed(
        seed in any::<u64>(),
        nodes in 2u32..=5,
        ops in 1u32..=6,
        offline in 0u32..=3_000,
        gossip in 50u32..=400,
        loss in crdt::PERCENT,
        duplicate in crdt::PERCENT,
    ) {
        let p = crdt::Params {
            nodes,
            ops_per_node: ops,
            gossip_ms: gossip,
            offline_ms: offline,
            loss_percent: loss,
            duplicate_percent: duplicate,
            seed,
        };
        let r = crdt::run(&p).unwrap();
        prop_assert!(r.converged_at.is_some());
        for s in &r.finals {
            prop_assert_eq!(s, &r.finals[0]);
        }
    }
}
