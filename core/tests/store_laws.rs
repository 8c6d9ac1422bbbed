//! Laws of the replicated store over random seeded workloads (random latencies and
//! reordering, loss, duplication, a partition, skewed clocks; reads, blind and contextual
//! writes, deletes, merges; anti-entropy on): every strategy converges, only acknowledged
//! writes are ever reported lost, and dotted version vectors lose nothing. Plus the demo
//! script's key lines pinned (golden).
#![cfg(not(target_arch = "wasm32"))]

use chronoscope::clock::PhysicalClock;
use chronoscope::node::NodeId;
use chronoscope::scenario::conflict_store::{self, Params};
use chronoscope::sim::{Latency, Network, Partition, SimConfig, Simulation};
use chronoscope::store::merge::Merge;
use chronoscope::store::replica::{Operation, Output, WriteContext};
use chronoscope::store::{Replica, Strategy};
use chronoscope::time::{Instant, Span};
use proptest::prelude::{any, prop_assert, proptest, ProptestConfig};
use proptest::strategy::Strategy as _;
use std::collections::BTreeSet;

#[derive(Clone, Debug)]
struct Workload {
    nodes: u32,
    seed: u64,
    max_latency_ms: i64,
    offsets_ms: Vec<i64>,
    ops: Vec<(i64, u32, u8, u8)>,
    /// Loss and duplication, percent; a partition cutting this node off in 100..900 ms.
    faults: Option<(u32, u32, u32)>,
}

fn workload() -> impl proptest::strategy::Strategy<Value = Workload> {
    (2u32..=4, any::<u64>(), 1i64..200).prop_flat_map(|(nodes, seed, lat)| {
        (
            proptest::collection::vec(-2_000i64..2_000, nodes as usize),
            proptest::collection::vec((0i64..800, 0..nodes, 0u8..5, 0u8..2), 1..25),
            proptest::option::of((0u32..=20, 0u32..=20, 0..nodes)),
        )
            .prop_map(move |(offsets_ms, ops, faults)| Workload {
                nodes,
                seed,
                max_latency_ms: lat,
                offsets_ms,
                ops,
                faults,
            })
    })
}

fn operation(kind: u8, key: u8, n: usize) -> Operation {
    let key = format!("k{key}");
    match kind {
        0 => Operation::Get { key },
        1 => Operation::Put {
            key,
            value: format!("w{n}"),
            context: WriteContext::Blind,
        },
        2 => Operation::Put {
            key,
            value: format!("w{n}"),
            context: WriteContext::LastRead,
        },
        3 => Operation::Delete {
            key,
            context: WriteContext::LastRead,
        },
        _ => Operation::Resolve {
            key,
            merge: Merge::Union,
        },
    }
}

fn simulate(w: &Workload, strategy: Strategy) -> Simulation<Replica> {
    let config = SimConfig {
        seed: w.seed,
        network: Network {
            latency: Latency::Uniform {
                min: Span::from_millis(1),
                max: Span::from_millis(w.max_latency_ms),
            },
            loss: w.faults.map_or(0.0, |f| f64::from(f.0) / 100.0),
            duplicate: w.faults.map_or(0.0, |f| f64::from(f.1) / 100.0),
            partitions: w
                .faults
                .map(|f| Partition {
                    side: BTreeSet::from([NodeId(f.2)]),
                    from: Instant::from_millis(100),
                    until: Instant::from_millis(900),
                })
                .into_iter()
                .collect(),
            ..Network::default()
        },
        clocks: w
            .offsets_ms
            .iter()
            .map(|&o| PhysicalClock::new(Span::from_millis(o), 0.0))
            .collect(),
        labels: false,
    };
    // Anti-entropy every 200 ms repairs lost messages and healed partitions.
    let nodes = (0..w.nodes)
        .map(|_| match w.faults {
            Some(_) => Replica::new(strategy).with_anti_entropy(Span::from_millis(200)),
            None => Replica::new(strategy),
        })
        .collect();
    let mut sim = Simulation::new(nodes, config).unwrap();
    for (n, &(at, node, kind, key)) in w.ops.iter().enumerate() {
        sim.schedule_operation(
            Instant::from_millis(at),
            NodeId(node),
            operation(kind, key, n),
        )
        .unwrap();
    }
    sim.run_until(Instant::from_millis(3_000));
    sim
}

fn converged(sim: &Simulation<Replica>, nodes: u32) -> bool {
    let a = sim.node(NodeId(0)).unwrap();
    (1..nodes).all(|i| {
        let b = sim.node(NodeId(i)).unwrap();
        a.keys().eq(b.keys()) && a.keys().all(|k| a.versions(k) == b.versions(k))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn every_strategy_converges_and_only_acked_writes_are_lost(w in workload()) {
        for strategy in Strategy::ALL {
            let sim = simulate(&w, strategy);
            prop_assert!(converged(&sim, w.nodes), "{} diverged", strategy);
            let acked: Vec<_> = sim.outputs().iter().filter_map(|r| match r.output {
                Output::Ack { write, .. } => Some(write),
                _ => None,
            }).collect();
            for r in sim.outputs() {
                if let Output::Lost { write, .. } = r.output {
                    prop_assert!(acked.contains(&write));
                    prop_assert!(!strategy.keeps_siblings() || strategy == Strategy::VectorClocks,
                        "{} lost {}", strategy, write);
                }
            }
        }
    }
}

#[test]
fn version_vectors_lose_a_write_when_two_clients_share_a_replica() {
    // A client reads k at A; another client writes k blind at A; the first client then
    // writes with its (stale) context: {A:2} descends {A:1}, so the blind write is lost.
    // Dotted version vectors keep both.
    let w = Workload {
        nodes: 2,
        seed: 1,
        max_latency_ms: 10,
        offsets_ms: vec![0, 0],
        ops: vec![(0, 0, 0, 0), (1, 0, 1, 0), (2, 0, 2, 0)],
        faults: None,
    };
    let lost = |s| {
        let mut ids: Vec<_> = simulate(&w, s)
            .outputs()
            .iter()
            .filter_map(|r| match r.output {
                Output::Lost { write, .. } => Some(write),
                _ => None,
            })
            .collect();
        ids.sort();
        ids.dedup();
        ids.len()
    };
    assert_eq!(lost(Strategy::VectorClocks), 1);
    assert_eq!(lost(Strategy::DottedVersionVectors), 0);
}

#[test]
fn demo_script_key_lines() {
    let transcript = |strategy| {
        conflict_store::run(&Params {
            strategy,
            ..Params::default()
        })
        .unwrap()
        .transcript()
    };
    let lww = transcript(Strategy::WallClockLww);
    for line in [
        r#"[    10 ms] B  OK cart="eggs" as B#1 [wall 10.000 ms@B]"#,
        r#"[    50 ms] B  cart: DROPPED B#1 "eggs" (it had been acked), displaced by A#1 which never saw it"#,
        r#"[  1501 ms] C  profile: DROPPED C#1 "v2" (it had been acked), displaced by A#2 which never saw it"#,
        r#"[  4501 ms] C  OK session=<deleted> as C#3 [wall 3604501.000 ms@C]"#,
        r#"[  7000 ms] A  read session -> [<deleted>] NOT FOUND (tombstone) context -"#,
        r#"final at A: cart=["milk"]  profile=["v1"]  session=[<deleted>]"#,
    ] {
        assert!(lww.iter().any(|l| l == line), "missing {line}\n{lww:#?}");
    }
    let lamport = transcript(Strategy::LamportLww);
    assert!(lamport.iter().any(|l| l
        == r#"[    50 ms] B  cart: DROPPED A#1 "milk" (it had been acked), displaced by B#1 which never saw it"#));
    for s in [Strategy::VectorClocks, Strategy::DottedVersionVectors] {
        let t = transcript(s);
        for line in [
            "[    50 ms] B  cart: A#1 and B#1 are concurrent; both kept as siblings",
            "[  4551 ms] A  session: A#3 and C#3 are concurrent; both kept as siblings",
            r#"final at A: cart=["eggs,milk"]  profile=["v2"]  session=["s4"]"#,
        ] {
            assert!(t.iter().any(|l| l == line), "{s}: missing {line}\n{t:#?}");
        }
        assert!(t
            .iter()
            .any(|l| l.starts_with(r#"[   500 ms] A  read cart -> ["milk", "eggs"] CONFLICT"#)));
        assert!(t.iter().any(|l| l.starts_with(
            "summary: 10 writes acked; 0 acked then silently lost; 2 concurrent pairs"
        )));
    }
}
