//! The verdicts the labs' badges show, asserted on the runs their tours set up: each
//! invariant holds where the lab says it holds and breaks where the lab says it breaks.

use chronoscope::scenario::checks::Invariant;
use chronoscope::scenario::{byzantine_sync, causal_broadcast, drift, lease};
use chronoscope::time::Instant;

fn holds(verdicts: &[Invariant], name: &str) -> bool {
    verdicts
        .iter()
        .find(|v| v.name.starts_with(name))
        .unwrap_or_else(|| panic!("no verdict {name} in {verdicts:?}"))
        .holds
}

fn drift_run(query: &[(&str, &str)]) -> (drift::Params, drift::Run) {
    let (p, notes) = drift::SPEC.read(query.iter().copied());
    assert!(notes.is_empty(), "{notes:?}");
    let run = drift::run(&p).unwrap();
    (p, run)
}

#[test]
fn stepping_a_jumped_clock_back_breaks_monotonic_and_slewing_does_not() {
    let jump = [
        ("method", "berkeley"),
        ("jump", "10000"),
        ("jump_at", "48"),
        ("jump_node", "3"),
    ];
    let end = Instant::from_millis(120_000);
    let (p, stepped) = drift_run(&[&jump[..], &[("adjust", "step")]].concat());
    let at_end = stepped.invariants(&p, end);
    assert!(!holds(&at_end, "monotonic"));
    let (_, at, _) = stepped.first_backward_step(end).unwrap();
    // Before the step back the badge is still green.
    let before = stepped.invariants(&p, at - chronoscope::time::Span::from_nanos(1));
    assert!(holds(&before, "monotonic"));
    let (p, slewed) = drift_run(&[&jump[..], &[("adjust", "slew")]].concat());
    assert!(holds(&slewed.invariants(&p, end), "monotonic"));
}

#[test]
fn berkeley_keeps_the_skew_bound_and_no_sync_does_not() {
    let end = Instant::from_millis(120_000);
    let (p, synced) = drift_run(&[("method", "berkeley")]);
    assert!(synced.invariants(&p, end).iter().all(|v| v.holds));
    let (p, free) = drift_run(&[("method", "none")]);
    assert!(!holds(&free.invariants(&p, end), "skew"));
}

#[test]
fn fencing_keeps_tokens_increasing_and_a_fast_clock_overlaps_the_views() {
    let end = Instant::from_millis(60_000);
    let fenced = lease::run(&lease::Params::default()).unwrap();
    assert!(fenced.invariants(end).iter().all(|v| v.holds));
    let open = lease::run(&lease::Params {
        fencing: false,
        ..lease::Params::default()
    })
    .unwrap();
    assert!(!holds(
        &open.invariants(end),
        "accepted tokens never decrease"
    ));
    // Nothing is broken before the stale write lands.
    assert!(open.invariants(Instant::ZERO).iter().all(|v| v.holds));
}

#[test]
fn three_nodes_cannot_outvote_a_two_faced_liar() {
    let end = Instant::from_millis(200_000);
    let p = byzantine_sync::lab_defaults();
    let four = byzantine_sync::run(&p).unwrap();
    assert!(four.invariants(&p, end).iter().all(|v| v.holds));
    let p3 = byzantine_sync::Params { nodes: 3, ..p };
    let three = byzantine_sync::run(&p3).unwrap();
    let verdicts = three.invariants(&p3, end);
    assert!(!holds(&verdicts, "n ≥ 3f + 1"));
    assert!(
        !holds(&verdicts, "correct clocks within bound"),
        "{verdicts:?}"
    );
}

#[test]
fn every_delivery_has_its_broadcast_event_and_order_holds() {
    for seed in 1..=5 {
        let p = causal_broadcast::Params {
            seed,
            slow_link_ms: 2_000,
            ..causal_broadcast::lab_defaults()
        };
        let run = causal_broadcast::run(&p).unwrap();
        let check = run.order_check();
        assert_eq!(check.unmatched, 0);
        assert!(check.related_pairs > 0);
        let broadcasts = (p.nodes * p.messages) as usize;
        assert_eq!(run.broadcasts.len(), broadcasts);
        let verdicts = run.invariants(&check, Instant::from_millis(60_000));
        assert!(
            verdicts.iter().all(|v| v.holds),
            "seed {seed}: {verdicts:?}"
        );
    }
}

#[test]
fn a_delivery_ahead_of_its_causal_past_is_caught() {
    use chronoscope::broadcast::BroadcastId;
    use chronoscope::node::NodeId;
    use chronoscope::scenario::causal_broadcast::{NodeView, Run};
    use chronoscope::trace::Trace;
    let id = |n: u32, seq: u64| BroadcastId {
        origin: NodeId(n),
        seq,
    };
    let view = |n: u32, delivery: Vec<BroadcastId>| NodeView {
        node: NodeId(n),
        arrival: Vec::new(),
        delivery,
    };
    // A broadcasts A:1; B delivers it, then broadcasts B:1; C delivers B:1 first.
    let run = |c: Vec<BroadcastId>| Run {
        trace: Trace::new(3),
        nodes: vec![
            view(0, vec![id(0, 1), id(1, 1)]),
            view(1, vec![id(0, 1), id(1, 1)]),
            view(2, c),
        ],
        holdback: Vec::new(),
        stuck: Vec::new(),
        lines: Vec::new(),
        peak_held: 0,
        broadcasts: Default::default(),
    };
    let bad = run(vec![id(1, 1), id(0, 1)]);
    assert!(bad.dependencies()[&id(1, 1)].contains(&id(0, 1)));
    let check = bad.order_check();
    assert_eq!(
        check.violations,
        ["C delivered B:1 before its dependency A:1"]
    );
    assert!(!holds(
        &bad.invariants(&check, Instant::ZERO),
        "no delivery"
    ));
    let good = run(vec![id(0, 1), id(1, 1)]);
    assert!(good.order_check().violations.is_empty());
}
