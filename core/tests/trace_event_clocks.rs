//! `Trace::with_event_clocks`: whatever clocks a recorder wrote (the collaborative editor's
//! count deliveries, not events), the recomputed ones make a valid ShiViz execution whose
//! happens-before is exactly the recorded structure's.
#![cfg(not(target_arch = "wasm32"))]

use chronoscope::clock::VectorClock;
use chronoscope::node::NodeId;
use chronoscope::rng::Rng;
use chronoscope::time::Instant;
use chronoscope::trace::dag::Execution;
use chronoscope::trace::{CausalIndex, EventKind, MessageFate, Trace};

/// A random run whose recorded clocks are useless for ShiViz (empty, or the sender's only):
/// local events, sends, receives of pending messages, some messages lost.
fn random_run(seed: u64) -> Trace {
    let mut rng = Rng::seed_from_u64(seed);
    let nodes = 2 + rng.below(4) as u32;
    let mut trace = Trace::new(nodes);
    let mut pending = Vec::new();
    let t = Instant::ZERO;
    for step in 0..60 {
        let node = NodeId(rng.below(u64::from(nodes)) as u32);
        let label = format!("e{step}");
        match rng.below(3) {
            0 if !pending.is_empty() => {
                let (m, from, to, clock): (_, NodeId, NodeId, VectorClock) =
                    pending.remove(rng.below(pending.len() as u64) as usize);
                let kind = EventKind::Receive { message: m, from };
                let e = trace.push_event(to, kind, t, t, 0, clock, label);
                trace.set_fate(m, MessageFate::Delivered(e));
            }
            1 => {
                let to = NodeId((node.0 + 1 + rng.below(u64::from(nodes - 1)) as u32) % nodes);
                let clock = VectorClock::from_entries([(node, 1)]);
                let e = trace.push_event(node, EventKind::Local, t, t, 0, clock.clone(), label);
                let m = trace.push_message(node, to, e, None);
                trace.set_send_kind(e, m, to);
                if rng.below(5) > 0 {
                    pending.push((m, node, to, clock));
                }
            }
            _ => {
                trace.push_event(node, EventKind::Local, t, t, 0, VectorClock::new(), label);
            }
        }
    }
    trace
}

#[test]
fn recomputed_clocks_make_any_run_a_valid_execution_with_the_same_happens_before() {
    for seed in 0..200 {
        let trace = random_run(seed);
        let stamped = trace.with_event_clocks();
        let exec = Execution::from_trace(&stamped)
            .unwrap_or_else(|e| panic!("seed {seed}: recomputed clocks rejected: {e}"));
        assert_eq!(exec.events().len(), trace.events().len());
        let index = CausalIndex::build(&trace);
        for a in trace.events() {
            let ea = exec.events()[a.id.index()].id;
            assert_eq!(
                exec.events()[a.id.index()].text,
                a.label,
                "seed {seed}: order kept"
            );
            for b in trace.events() {
                let eb = exec.events()[b.id.index()].id;
                assert_eq!(
                    exec.happens_before(ea, eb),
                    index.happens_before(a.id, b.id),
                    "seed {seed}: {} vs {}",
                    a.label,
                    b.label
                );
            }
        }
        // Only the clocks changed.
        for (x, y) in trace.events().iter().zip(stamped.events()) {
            assert_eq!((x.node, x.kind, &x.label), (y.node, y.kind, &y.label));
        }
        assert_eq!(trace.messages(), stamped.messages());
    }
}

#[test]
fn a_delivery_counting_receive_is_rejected_until_restamped() {
    let (a, b, t) = (NodeId(0), NodeId(1), Instant::ZERO);
    let sent = VectorClock::from_entries([(a, 1)]);
    let mut trace = Trace::new(2);
    let send = trace.push_event(a, EventKind::Local, t, t, 1, sent.clone(), "send".into());
    let m = trace.push_message(a, b, send, None);
    trace.set_send_kind(send, m, b);
    let recv = trace.push_event(
        b,
        EventKind::Receive {
            message: m,
            from: a,
        },
        t,
        t,
        2,
        sent,
        "deliver".into(),
    );
    trace.set_fate(m, MessageFate::Delivered(recv));
    assert!(Execution::from_trace(&trace).is_err());
    let stamped = trace.with_event_clocks();
    assert_eq!(
        stamped.events()[1].vector,
        VectorClock::from_entries([(a, 1), (b, 1)])
    );
    assert!(Execution::from_trace(&stamped).is_ok());
    assert_eq!(Trace::new(3).with_event_clocks(), Trace::new(3));
}
