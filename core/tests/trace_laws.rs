//! Laws of every simulated run, checked over hundreds of seeded runs: the vector clocks the
//! simulator stamps order events exactly as the trace's happens-before graph does, Lamport
//! timestamps extend that order, and a run is a pure function of its seed.
#![cfg(not(target_arch = "wasm32"))]

use chronoscope::clock::Causality;
use chronoscope::scenario::happens_before::{self, Params};
use chronoscope::trace::{happens_before as hb, CausalIndex, MessageFate};
use proptest::prelude::*;

fn params() -> impl Strategy<Value = Params> {
    (
        2u32..=6,
        any::<u64>(),
        1u32..=10,
        0u32..=30,
        0u32..=120,
        0u32..=30,
    )
        .prop_map(|(nodes, seed, actions, lat_min, lat_span, loss)| Params {
            nodes,
            seed,
            actions,
            latency_min_ms: lat_min,
            latency_max_ms: lat_min + lat_span,
            loss_percent: loss,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn vector_order_is_happens_before_and_lamport_extends_it(p in params()) {
        let trace = happens_before::run(&p).unwrap();
        let index = CausalIndex::build(&trace);
        for a in trace.events() {
            for b in trace.events() {
                let by_graph = index.relation(a.id, b.id);
                let by_clock = a.vector.compare(&b.vector);
                prop_assert_eq!(by_graph, by_clock, "events {:?} and {:?}", a.id, b.id);
                if by_graph == Causality::Before {
                    prop_assert!(a.lamport < b.lamport);
                }
            }
        }
    }

    #[test]
    fn a_run_is_identical_for_the_same_seed(p in params()) {
        prop_assert_eq!(happens_before::run(&p).unwrap(), happens_before::run(&p).unwrap());
    }
}

#[test]
fn different_seeds_give_different_runs() {
    let a = happens_before::run(&Params {
        seed: 1,
        ..Params::default()
    })
    .unwrap();
    let b = happens_before::run(&Params {
        seed: 2,
        ..Params::default()
    })
    .unwrap();
    assert_ne!(a, b);
}

#[test]
fn every_message_is_delivered_or_dropped_and_receives_follow_sends() {
    let trace = happens_before::run(&Params {
        loss_percent: 20,
        actions: 20,
        ..Params::default()
    })
    .unwrap();
    let mut dropped = 0;
    for m in trace.messages() {
        match m.fate {
            MessageFate::Delivered(r) => {
                let (s, r) = (&trace.events()[m.send.index()], &trace.events()[r.index()]);
                assert!(s.true_time <= r.true_time);
                assert_eq!((s.node, r.node), (m.from, m.to));
            }
            MessageFate::Dropped(_) => dropped += 1,
            MessageFate::InFlight => panic!("finished trace has a message in flight"),
        }
    }
    assert!(
        dropped > 0,
        "20% loss over {} messages dropped none",
        trace.messages().len()
    );
}

#[test]
fn causal_past_future_and_concurrent_partition_the_other_events() {
    let trace = happens_before::run(&Params::default()).unwrap();
    let index = CausalIndex::build(&trace);
    for e in trace.events() {
        let past = hb::causal_past(&trace, e.id);
        let future = hb::causal_future(&trace, e.id);
        let concurrent = hb::concurrent_with(&trace, e.id);
        assert_eq!(
            past.len() + future.len() + concurrent.len() + 1,
            trace.events().len()
        );
        assert!(past.iter().all(|&p| index.happens_before(p, e.id)));
        assert!(future.iter().all(|&f| index.happens_before(e.id, f)));
        assert!(concurrent
            .iter()
            .all(|&c| index.relation(c, e.id) == Causality::Concurrent));
    }
}
