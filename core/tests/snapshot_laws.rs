//! Laws of Chandy-Lamport snapshots over random seeded schedules on FIFO channels with
//! random latency, random transfers, several snapshots in flight at once and, optionally, one
//! node stalled for a while: every snapshot completes, conserves money, records exactly the
//! money in flight across its cut, and its cut is consistent by the trace's happens-before.
//!
//! The stall stands in for a partition that heals. The algorithm assumes reliable FIFO
//! channels, and the simulator's partitions drop messages (a dropped transfer destroys money,
//! a dropped marker stalls the snapshot until its timeout), which no reliable channel does;
//! over reliable channels (TCP retransmitting across the cut) a healed partition only delays
//! traffic. A paused node models that: every message to it during the stall is delivered,
//! in order, when it ends, and it sends nothing meanwhile — markers and transfers are
//! delayed, never lost.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeMap;

use chronoscope::node::NodeId;
use chronoscope::sim::{Latency, Network, SimConfig, Simulation};
use chronoscope::snapshot::chandy_lamport::{
    AutoTransfers, Bank, BankOp, BankOutput, GlobalState, SnapshotId,
};
use chronoscope::time::{Instant, Span};
use chronoscope::trace::{CausalIndex, EventId};
use proptest::prelude::*;

#[derive(Clone, Debug)]
struct Schedule {
    balances: Vec<u64>,
    seed: u64,
    transfers: u32,
    lat_min: i64,
    lat_span: i64,
    snapshots: Vec<(i64, u32)>,
    /// A node stalled `(node, from ms, length ms)`: its inputs are deferred, in order.
    stall: Option<(u32, i64, i64)>,
}

fn schedule() -> impl Strategy<Value = Schedule> {
    proptest::collection::vec(0u64..200, 2..=5).prop_flat_map(|balances| {
        let n = balances.len() as u32;
        (
            Just(balances),
            any::<u64>(),
            0u32..25,
            0i64..20,
            0i64..100,
            proptest::collection::vec((0i64..400, 0..n), 1..4),
            proptest::option::of((0..n, 0i64..400, 1i64..2_000)),
        )
            .prop_map(
                |(balances, seed, transfers, lat_min, lat_span, snapshots, stall)| Schedule {
                    balances,
                    seed,
                    transfers,
                    lat_min,
                    lat_span,
                    snapshots,
                    stall,
                },
            )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn snapshots_conserve_money_and_cut_consistently(s in schedule()) {
        let auto = AutoTransfers {
            count: s.transfers,
            mean_interval: Span::from_millis(20),
            max_amount: 40,
        };
        let nodes = s
            .balances
            .iter()
            .map(|&b| Bank::new(b).with_auto_transfers(auto))
            .collect();
        let config = SimConfig {
            seed: s.seed,
            network: Network {
                fifo: true,
                latency: Latency::Uniform {
                    min: Span::from_millis(s.lat_min),
                    max: Span::from_millis(s.lat_min + s.lat_span),
                },
                ..Network::default()
            },
            ..SimConfig::default()
        };
        let mut sim = Simulation::new(nodes, config).unwrap();
        for (k, &(at, node)) in s.snapshots.iter().enumerate() {
            sim.schedule_operation(
                Instant::from_millis(at),
                NodeId(node),
                BankOp::Snapshot(SnapshotId(k as u32)),
            )
            .unwrap();
        }
        if let Some((node, from, len)) = s.stall {
            sim.schedule_pause(Instant::from_millis(from), NodeId(node), Span::from_millis(len))
                .unwrap();
        }
        sim.run_until(Instant::from_millis(60_000));
        let initial: u64 = s.balances.iter().sum();
        let n = s.balances.len();

        // Per node, its outputs in order, with their trace events.
        let mut per_node: BTreeMap<NodeId, Vec<(&BankOutput, EventId)>> = BTreeMap::new();
        let mut completed: BTreeMap<SnapshotId, &GlobalState> = BTreeMap::new();
        for r in sim.outputs() {
            per_node.entry(r.node).or_default().push((&r.output, r.event));
            match &r.output {
                BankOutput::Completed(g) => { completed.insert(g.id, g); }
                BankOutput::Rejected(e) => prop_assert!(false, "rejected: {e}"),
                BankOutput::TimedOut { id, .. } => prop_assert!(false, "{id} timed out"),
                _ => {}
            }
        }
        prop_assert_eq!(completed.len(), s.snapshots.len());
        let current: u64 = (0..n as u32).map(|i| sim.node(NodeId(i)).unwrap().balance()).sum();
        prop_assert_eq!(current, initial);

        let trace = sim.trace();
        let index = CausalIndex::build(trace);
        for (id, state) in &completed {
            prop_assert_eq!(state.total(), initial, "snapshot {} lost or created money", id);
            prop_assert_eq!(state.balances.len(), n);
            // Each node's cut: its `Recorded` output; the recording happened in the handler
            // of the event just before it (the first marker's receipt, or the operation).
            let mut boundary = BTreeMap::new();
            let mut sent_before: BTreeMap<(NodeId, NodeId), Vec<u64>> = BTreeMap::new();
            let mut received_before: BTreeMap<(NodeId, NodeId), usize> = BTreeMap::new();
            for (&node, outputs) in &per_node {
                let cut = outputs.iter().position(|(o, _)| {
                    matches!(o, BankOutput::Recorded { id: x, .. } if x == id)
                });
                let Some(cut) = cut else { continue };
                let event = outputs[cut].1;
                let seq = trace.event(event).unwrap().seq;
                boundary.insert(node, trace.events_of(node)[seq as usize - 1]);
                for (o, _) in &outputs[..cut] {
                    match **o {
                        BankOutput::Sent { to, amount } => {
                            sent_before.entry((node, to)).or_default().push(amount)
                        }
                        BankOutput::Received { from, .. } => {
                            *received_before.entry((from, node)).or_default() += 1
                        }
                        _ => {}
                    }
                }
                let recorded = state.balances.iter().find(|b| b.0 == node).map(|b| b.1);
                prop_assert_eq!(recorded, Some(match outputs[cut].0 {
                    BankOutput::Recorded { balance, .. } => *balance,
                    _ => unreachable!(),
                }));
            }
            prop_assert_eq!(boundary.len(), n);
            // Consistency by happens-before: no node's first post-cut event happens before
            // another node's last pre-cut event.
            for (&i, &bi) in &boundary {
                for (&j, &bj) in &boundary {
                    let seq = trace.event(bj).unwrap().seq;
                    if i == j || seq == 0 { continue; }
                    let last_pre = trace.events_of(j)[seq as usize - 1];
                    prop_assert!(
                        !index.happens_before(bi, last_pre),
                        "snapshot {}: the cut at {} happens before a pre-cut event at {}", id, i, j
                    );
                }
            }
            // Exactly the money sent before the sender's cut and received after the
            // receiver's is recorded in flight (FIFO: the k-th send is the k-th receive).
            for from in 0..n as u32 {
                for to in 0..n as u32 {
                    let link = (NodeId(from), NodeId(to));
                    if from == to { continue; }
                    let sent = sent_before.get(&link).cloned().unwrap_or_default();
                    let received = received_before.get(&link).copied().unwrap_or(0);
                    prop_assert!(received <= sent.len(), "received after the cut something sent after it");
                    let expected = &sent[received..];
                    let recorded = state
                        .in_flight
                        .iter()
                        .find(|c| (c.from, c.to) == link)
                        .map(|c| c.amounts.clone())
                        .unwrap_or_default();
                    prop_assert_eq!(&recorded[..], expected, "channel {:?}", link);
                }
            }
        }
    }
}

#[test]
fn a_crashed_node_makes_the_initiator_time_out_with_a_report() {
    let nodes = [10, 10, 10]
        .map(|b| Bank::new(b).with_timeout(Span::from_millis(500)))
        .to_vec();
    let config = SimConfig {
        network: Network {
            fifo: true,
            ..Network::constant(Span::from_millis(10))
        },
        ..SimConfig::default()
    };
    let mut sim = Simulation::new(nodes, config).unwrap();
    sim.schedule_crash(Instant::from_millis(1), NodeId(2))
        .unwrap();
    sim.schedule_operation(
        Instant::from_millis(5),
        NodeId(0),
        BankOp::Snapshot(SnapshotId(3)),
    )
    .unwrap();
    sim.run_until(Instant::from_millis(2_000));
    let timed_out = sim.outputs().iter().find_map(|r| match &r.output {
        BankOutput::TimedOut { id, missing } => Some((*id, missing.clone())),
        _ => None,
    });
    // A never hears C's marker, so neither A nor B (nor C) can report.
    assert_eq!(
        timed_out,
        Some((SnapshotId(3), vec![NodeId(0), NodeId(1), NodeId(2)]))
    );
}
