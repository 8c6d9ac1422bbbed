//! Laws of Byzantine-tolerant clock synchronisation: Marzullo's fault-tolerant intersection
//! contains the true time whenever at most `f` sources lie; the fault-tolerant average stays
//! within the correct values' range; with `n ≥ 3f + 1` the round protocol keeps the correct
//! clocks within the theoretical bound against every liar strategy of a generated family; with
//! `n = 3f` a two-faced liar stops convergence and drift drives the correct clocks apart.
#![cfg(not(target_arch = "wasm32"))]

use chronoscope::scenario::byzantine_sync::{self, BoundOutcome, Params, Strategy as Lie};
use chronoscope::scenario::ntp_select::{self, LiarKind};
use chronoscope::sync::fault_tolerant_average::fault_tolerant_average;
use chronoscope::sync::marzullo::{intersection, Interval};
use chronoscope::sync::welch_lynch::Convergence;
use chronoscope::time::{Instant, Span};
use proptest::prelude::*;

fn any_interval() -> impl Strategy<Value = Interval> {
    (-5_000_000i64..5_000_000, 0i64..3_000_000).prop_map(|(lo, w)| {
        Interval::new(Instant::from_nanos(lo), Instant::from_nanos(lo + w)).unwrap()
    })
}

fn lie() -> impl Strategy<Value = Lie> {
    prop_oneof![
        Just(Lie::Constant),
        Just(Lie::TwoFaced),
        Just(Lie::Splitting),
        Just(Lie::Random),
        Just(Lie::Silent),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1_000, ..ProptestConfig::default() })]

    #[test]
    fn marzullo_contains_true_time_when_at_most_f_lie(
        truth in -1_000_000i64..1_000_000,
        correct in prop::collection::vec((0i64..1_000_000, 0i64..1_000_000), 1..8),
        liars in prop::collection::vec(any_interval(), 0..5),
        seed in any::<u64>(),
    ) {
        let mut sources: Vec<Interval> = correct
            .iter()
            .map(|(below, above)| {
                Interval::new(Instant::from_nanos(truth - below), Instant::from_nanos(truth + above))
                    .unwrap()
            })
            .collect();
        let f = liars.len();
        sources.extend(liars);
        // Shuffle deterministically so liars are not always last.
        sources.sort_by_key(|i| (i.lo.as_nanos() ^ seed as i64, i.hi));
        let agreed = intersection(&sources, f).unwrap();
        prop_assert!(agreed.interval.contains(Instant::from_nanos(truth)), "{agreed:?}");
    }

    #[test]
    fn fta_stays_within_the_correct_range(
        correct in prop::collection::vec(-1_000_000_000i64..1_000_000_000, 1..10),
        liars in prop::collection::vec(any::<i64>(), 0..4),
    ) {
        let f = liars.len();
        prop_assume!(correct.len() + f > 2 * f);
        let lo = *correct.iter().min().unwrap();
        let hi = *correct.iter().max().unwrap();
        let values: Vec<Span> = correct.iter().chain(&liars).map(|v| Span::from_nanos(*v)).collect();
        let r = fault_tolerant_average(&values, f).unwrap().as_nanos();
        prop_assert!(lo <= r && r <= hi, "{lo} <= {r} <= {hi}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1_000, ..ProptestConfig::default() })]

    #[test]
    fn n_at_least_3f_plus_1_keeps_correct_clocks_bounded(
        f in 1u32..=2,
        extra in 0u32..=1,
        liars_fewer in 0u32..=1,
        strategy in lie(),
        lie in 0u32..=10_000,
        midpoint in any::<bool>(),
        lat_min in 0u32..=20,
        jitter in 0u32..=30,
        drift in 0u32..=500,
        skew in 0u32..=200,
        seed in any::<u64>(),
    ) {
        let p = Params {
            nodes: (3 * f + 1 + extra).max(2),
            // At least one liar in every schedule (fewer liars than tolerated only when f = 2).
            faulty: (f - liars_fewer).max(1),
            tolerate: f,
            strategy,
            lie_ms: lie,
            convergence: if midpoint {
                Convergence::FaultTolerantMidpoint
            } else {
                Convergence::FaultTolerantAverage
            },
            round_ms: 1_000,
            rounds: 8,
            latency_min_ms: lat_min,
            latency_max_ms: lat_min + jitter,
            drift_ppm: drift,
            initial_skew_ms: skew,
            seed,
        };
        let run = byzantine_sync::run_with_labels(&p, false).unwrap();
        prop_assert_eq!(run.verdict, BoundOutcome::BoundHeld, "bound {:?}", run.bound);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1_000, ..ProptestConfig::default() })]

    #[test]
    fn ntp_selection_contains_true_time_when_at_most_f_servers_lie(
        servers in 1u32..=9,
        f_seed in any::<u32>(),
        liars_seed in any::<u32>(),
        kind in prop_oneof![Just(LiarKind::Offset), Just(LiarKind::Confident), Just(LiarKind::Random)],
        lie in 0u32..=5_000,
        error in 0u32..=100,
        offset in 0u32..=10_000,
        drift in 0u32..=1_000,
        lat_min in 0u32..=30,
        jitter in 0u32..=100,
        seed in any::<u64>(),
    ) {
        let f = f_seed % servers;
        let p = ntp_select::Params {
            servers,
            liars: liars_seed % (f + 1),
            tolerate: f,
            kind,
            lie_ms: lie,
            error_ms: error,
            client_offset_ms: offset,
            client_drift_ppm: drift,
            latency_min_ms: lat_min,
            latency_max_ms: lat_min + jitter,
            rounds: 2,
            seed,
        };
        let run = ntp_select::run(&p).unwrap();
        prop_assert_eq!(run.rounds.len(), 2);
        for r in &run.rounds {
            prop_assert!(r.contains_truth, "{r:?}");
            let half = r.agreed.as_ref().unwrap().interval.width().as_nanos() / 2 + 1;
            prop_assert!(r.error_after.abs().as_nanos() <= half, "{r:?}");
        }
    }
}

#[test]
fn classic_marzullo_is_fooled_by_subtle_liars_the_tolerant_one_is_not() {
    let fooled = (1..=10u64)
        .filter(|&seed| {
            let run = ntp_select::run(&ntp_select::Params {
                seed,
                ..ntp_select::Params::default()
            })
            .unwrap();
            assert!(run.rounds.iter().all(|r| r.contains_truth), "seed {seed}");
            run.rounds.iter().any(|r| !r.classic_contains_truth)
        })
        .count();
    assert!(fooled >= 5, "classic fooled in only {fooled} of 10 runs");
}

#[test]
fn n_equal_3f_lets_a_two_faced_liar_drive_correct_clocks_apart() {
    for seed in 1..=6u64 {
        let base = Params {
            nodes: 4,
            rounds: 150,
            initial_skew_ms: 0,
            drift_ppm: 200,
            seed,
            ..Params::default()
        };
        let three = Params {
            nodes: 3,
            ..base.clone()
        };
        // The two correct clocks' drift difference, and how far apart it carries them.
        let clocks = three.clocks().unwrap();
        let rate = (clocks[0].drift_ppm() - clocks[1].drift_ppm()).abs() * 1e-6;
        let run3 = byzantine_sync::run(&three).unwrap();
        let elapsed = run3.samples.last().unwrap().at.as_nanos() as f64;
        let final3 = run3.final_skew().as_nanos() as f64;
        assert_eq!(run3.verdict, BoundOutcome::NoGuarantee);
        assert!(
            final3 >= 0.8 * rate * elapsed,
            "seed {seed}: skew {final3} ns, free drift would give {} ns",
            rate * elapsed
        );
        let run4 = byzantine_sync::run(&base).unwrap();
        assert_eq!(run4.verdict, BoundOutcome::BoundHeld, "seed {seed}");
        if rate * elapsed > 2.0 * run4.bound.unwrap().as_nanos() as f64 {
            assert!(run3.final_skew() > run4.bound.unwrap(), "seed {seed}");
        }
    }
}

#[test]
fn an_unprotected_mean_is_dragged_by_one_liar() {
    let p = Params {
        convergence: Convergence::Mean,
        strategy: Lie::Constant,
        lie_ms: 1_000,
        drift_ppm: 0,
        initial_skew_ms: 0,
        rounds: 20,
        ..Params::default()
    };
    let run = byzantine_sync::run(&p).unwrap();
    let last = run.samples.last().unwrap();
    // Each round everyone moves lie/n = 250 ms forwards (less the liar's own pull).
    assert!(last.offsets[0] > Span::from_secs(3), "{:?}", last.offsets);
    let fta = byzantine_sync::run(&Params {
        convergence: Convergence::FaultTolerantAverage,
        ..p
    })
    .unwrap();
    let moved = fta.samples.last().unwrap().offsets[0];
    assert!(moved.abs() < Span::from_millis(100), "{moved:?}");
}
