//! Laws of leases with fencing over random runs (lease length, GC pause, timing, clock
//! drift of worker and server, latency, seeds): with fencing on, a lower token's write never
//! lands after a higher one's; whenever the unfenced store is corrupted, the fenced one
//! rejected the stale write instead; a paused worker does nothing until its pause ends; a
//! slow worker clock stretches the lease past the server's expiry, and a margin closes it.
#![cfg(not(target_arch = "wasm32"))]

use chronoscope::lease::fenced_lock::{LeaseMessage, LeaseNode, LeaseOp, LeaseOutput, SERVER};
use chronoscope::lease::fencing::{Fencing, WriteError};
use chronoscope::lease::server::LeaseError;
use chronoscope::node::NodeId;
use chronoscope::protocol::{Context, Effect, Outbox, Protocol};
use chronoscope::rng::Rng;
use chronoscope::scenario::lease::{self, Happening, Params, WORKER_A};
use chronoscope::sim::{Network, SimConfig, Simulation};
use chronoscope::time::{Instant, Span};
use proptest::prelude::*;

fn params() -> impl Strategy<Value = Params> {
    (
        (any::<u64>(), 1u32..=8_000, 0u32..=15_000, 0u32..=8_000),
        (0u32..=8_000, 0u32..=3_000, 1u32..=500),
        (-300_000i32..=300_000, -1_000i32..=1_000, 0u32..=2_000),
        (0u32..=50, 0u32..=200, 0u32..=30, 0u32..=30),
    )
        .prop_map(
            |(
                (seed, lease_ms, pause_ms, a_write),
                (b_acquire, b_write, work),
                (a_drift, s_drift, margin),
                (lat, jitter, loss, dup),
            )| Params {
                seed,
                fencing: true,
                lease_ms,
                pause_ms,
                a_write_after_ms: a_write,
                b_acquire_ms: b_acquire,
                b_write_after_ms: b_write,
                work_ms: work,
                a_drift_ppm: a_drift,
                server_drift_ppm: s_drift,
                margin_ms: margin,
                latency_min_ms: lat,
                latency_max_ms: lat + jitter,
                first_token: 101,
                loss_percent: loss,
                duplicate_percent: dup,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1_000, ..ProptestConfig::default() })]

    #[test]
    fn fencing_never_lets_a_stale_token_land(p in params()) {
        let on = lease::run(&p).unwrap();
        prop_assert!(!on.corrupted);
        let tokens: Vec<u64> = on.accepted.iter().map(|a| a.token).collect();
        prop_assert!(tokens.windows(2).all(|w| w[0] <= w[1]), "{tokens:?}");
        let off = lease::run(&Params { fencing: false, ..p }).unwrap();
        if off.corrupted {
            prop_assert!(on.stale_rejected, "unfenced corrupted but fenced rejected nothing");
        }
        // Fencing only ever removes writes.
        prop_assert!(on.accepted.len() <= off.accepted.len());
    }

    #[test]
    fn a_paused_worker_acts_only_after_its_pause(p in params()) {
        let run = lease::run(&p).unwrap();
        if let Some((start, span)) = run.timeline.iter().find_map(|l| match l.what {
            Happening::Paused(s) => Some((l.at, s)),
            _ => None,
        }) {
            for l in &run.timeline {
                let during = l.at > start && l.at < start + span;
                prop_assert!(!(during && l.node == WORKER_A), "{l:?} during pause from {start:?}");
            }
        }
    }
}

#[test]
fn a_slow_worker_clock_outlives_the_server_lease_and_a_margin_fixes_it() {
    let drift = Params {
        pause_ms: 0,
        a_drift_ppm: -200_000,
        a_write_after_ms: 4_500,
        b_write_after_ms: 200,
        ..Params::default()
    };
    let slow = lease::run(&drift).unwrap();
    // 5 s on a clock 20 % slow last 6.25 s of true time: ~1.25 s into B's lease.
    let overlap = slow.drift_overlap();
    assert!(overlap > Span::from_millis(1_200), "{overlap:?}");
    assert!(slow.stale_rejected);
    let unfenced = lease::run(&Params {
        fencing: false,
        ..drift.clone()
    })
    .unwrap();
    assert!(unfenced.corrupted);
    let perfect = lease::run(&Params {
        a_drift_ppm: 0,
        ..drift.clone()
    })
    .unwrap();
    assert_eq!(perfect.drift_overlap(), Span::ZERO);
    assert!(!perfect.stale_rejected);
    let fast = lease::run(&Params {
        a_drift_ppm: 200_000,
        ..drift.clone()
    })
    .unwrap();
    assert_eq!(fast.drift_overlap(), Span::ZERO);
    let careful = lease::run(&Params {
        margin_ms: 1_500,
        ..drift
    })
    .unwrap();
    assert_eq!(careful.drift_overlap(), Span::ZERO);
    assert!(!careful.stale_rejected);
    assert!(careful
        .timeline
        .iter()
        .any(|l| matches!(l.what, Happening::Output(LeaseOutput::CheckFailed { .. }))));
}

#[test]
fn a_negative_lease_is_refused_with_a_typed_error() {
    let nodes = vec![
        LeaseNode::server(1, Fencing::On),
        LeaseNode::worker(
            chronoscope::lease::fenced_lock::WorkerPlan::new(Span::from_secs(1), Span::ZERO),
            1,
        ),
    ];
    let mut sim = Simulation::new(
        nodes,
        SimConfig {
            network: Network::constant(Span::from_millis(1)),
            ..SimConfig::default()
        },
    )
    .unwrap();
    sim.schedule_operation(
        Instant::ZERO,
        NodeId(1),
        LeaseOp::AcquireFor(Span::from_secs(-3)),
    )
    .unwrap();
    sim.run_until(Instant::from_millis(100));
    let refused = LeaseError::NonPositiveDuration(Span::from_secs(-3));
    assert!(sim
        .outputs()
        .iter()
        .any(|r| r.output == LeaseOutput::Refused(refused)));
}

#[test]
fn a_forged_token_is_rejected_not_accepted() {
    let mut server = LeaseNode::server(101, Fencing::Off);
    let mut rng = Rng::seed_from_u64(0);
    let mut ctx = Context {
        node: SERVER,
        now: Instant::ZERO,
        peers: &[NodeId(1)],
        rng: &mut rng,
    };
    let mut out = Outbox::<LeaseNode>::new();
    server.on_message(
        &mut ctx,
        NodeId(1),
        LeaseMessage::Write {
            token: 9_999,
            value: 1,
        },
        &mut out,
    );
    let forged = WriteError::NeverIssued { token: 9_999 };
    assert!(out.effects().iter().any(|e| matches!(
        e,
        Effect::Output(LeaseOutput::Rejected { error, .. }) if *error == forged
    )));
    assert_eq!(server.store().unwrap().history(), &[]);
}

/// Delivers `message` from `from` to `server` and returns the write rejections it output.
fn rejections(server: &mut LeaseNode, from: NodeId, message: LeaseMessage) -> Vec<WriteError> {
    let mut rng = Rng::seed_from_u64(0);
    let mut ctx = Context {
        node: SERVER,
        now: Instant::ZERO,
        peers: &[NodeId(1), NodeId(2)],
        rng: &mut rng,
    };
    let mut out = Outbox::<LeaseNode>::new();
    server.on_message(&mut ctx, from, message, &mut out);
    out.effects()
        .iter()
        .filter_map(|e| match e {
            Effect::Output(LeaseOutput::Rejected { error, .. }) => Some(*error),
            _ => None,
        })
        .collect()
}

#[test]
fn a_token_below_the_first_issued_or_held_by_another_worker_is_rejected() {
    for fencing in [Fencing::On, Fencing::Off] {
        let mut server = LeaseNode::server(101, fencing);
        let (a, b) = (NodeId(1), NodeId(2));
        let acquire = LeaseMessage::Acquire {
            duration: Span::from_secs(10),
        };
        assert_eq!(rejections(&mut server, a, acquire), []);
        let write = |token| LeaseMessage::Write { token, value: 1 };
        // Tokens start at 101: 5 was never issued, though it is below the highest.
        assert_eq!(
            rejections(&mut server, a, write(5)),
            [WriteError::NeverIssued { token: 5 }]
        );
        // B presents A's token.
        assert_eq!(
            rejections(&mut server, b, write(101)),
            [WriteError::NotHolder {
                token: 101,
                holder: a,
                writer: b
            }]
        );
        assert_eq!(server.store().unwrap().history(), &[]);
        // A's own token is accepted.
        assert_eq!(rejections(&mut server, a, write(101)), []);
        assert_eq!(server.store().unwrap().history().len(), 1);
    }
}
