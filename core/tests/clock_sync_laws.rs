//! Laws of clock synchronisation over seeded runs of the drift scenario: once synchronised,
//! Cristian and Berkeley (stepping) keep every clock within the bound computed from latency
//! jitter, asymmetry and drift; slewing never moves a clock backwards; more jitter and
//! asymmetric paths measurably degrade accuracy.
#![cfg(not(target_arch = "wasm32"))]

use chronoscope::scenario::drift::{self, AdjustMode, Method, Params};
use chronoscope::time::Span;
use proptest::prelude::*;

fn params(method: Method) -> impl Strategy<Value = Params> {
    (
        2u32..=6,
        any::<u64>(),
        0u32..=500,
        0u32..=30,
        0u32..=60,
        0u32..=20,
        0u32..=5_000,
        5u32..=30,
        0u32..=30,
    )
        .prop_map(
            move |(nodes, seed, drift, lat_min, jitter, asym, skew, interval, dup)| Params {
                nodes,
                seed,
                drift_ppm: drift,
                method,
                interval_s: interval,
                duration_s: 4 * interval,
                tick_ms: 700,
                latency_min_ms: lat_min,
                latency_max_ms: lat_min + jitter,
                asymmetry_ms: asym,
                initial_skew_ms: skew,
                adjust: AdjustMode::Step,
                outlier_ms: 3_600_000,
                leader: (seed % u64::from(nodes)) as u32,
                duplicate_percent: dup,
                ..Params::default()
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1_000, ..ProptestConfig::default() })]

    #[test]
    fn berkeley_keeps_skew_within_the_jitter_bound(p in params(Method::Berkeley)) {
        let run = drift::run(&p).unwrap();
        let worst = run.max_skew_in_sync().expect("synchronised");
        prop_assert!(worst <= run.bound, "worst {worst:?} > bound {:?}", run.bound);
        // And it really synchronised: from up to 5 s apart to within the bound.
        let first = &run.samples[0];
        prop_assert!(first.skew <= Span::from_millis(p.initial_skew_ms.into()));
    }

    #[test]
    fn cristian_keeps_skew_within_the_jitter_bound(p in params(Method::Cristian)) {
        let run = drift::run(&p).unwrap();
        let worst = run.max_skew_in_sync().expect("synchronised");
        prop_assert!(worst <= run.bound, "worst {worst:?} > bound {:?}", run.bound);
    }

    #[test]
    fn slewing_never_moves_a_clock_backwards(p in params(Method::Berkeley)) {
        let p = Params { adjust: AdjustMode::Slew, ..p };
        let run = drift::run(&p).unwrap();
        for w in run.samples.windows(2) {
            for (a, b) in w[0].readings.iter().zip(&w[1].readings) {
                prop_assert!(b >= a, "{a:?} then {b:?}");
            }
        }
    }
}

#[test]
fn stepping_can_move_a_clock_backwards_and_slewing_takes_time() {
    let base = Params {
        initial_skew_ms: 2_000,
        duration_s: 60,
        tick_ms: 100,
        ..Params::default()
    };
    let stepped = drift::run(&base).unwrap();
    let backwards = stepped
        .samples
        .windows(2)
        .any(|w| w[0].readings.iter().zip(&w[1].readings).any(|(a, b)| b < a));
    assert!(
        backwards,
        "a 2 s spread corrected by steps moves someone back"
    );
    let slewed = drift::run(&Params {
        adjust: AdjustMode::Slew,
        ..base
    })
    .unwrap();
    assert_eq!(slewed.backward_steps(), 0);
    // 500 ppm absorbs 0.5 ms per second: 40 s after the first sync, a spread of up to 2 s
    // is still far from absorbed, while stepping already converged.
    let at = |run: &drift::Run| {
        run.samples
            .iter()
            .find(|s| s.at.as_millis() >= 50_000)
            .unwrap()
            .skew
    };
    assert!(at(&stepped) <= stepped.bound);
    assert!(at(&slewed) > Span::from_millis(100), "{:?}", at(&slewed));
}

fn mean_skew_in_sync(p: &Params) -> i64 {
    let run = drift::run(p).unwrap();
    let start = run.synced_at.unwrap();
    let skews: Vec<i64> = run
        .samples
        .iter()
        .filter(|s| s.at >= start)
        .map(|s| s.skew.as_nanos())
        .collect();
    skews.iter().sum::<i64>() / skews.len() as i64
}

#[test]
fn latency_jitter_and_asymmetry_degrade_accuracy() {
    let seeds = 1..=8u64;
    let avg = |f: &dyn Fn(u64) -> Params| {
        seeds.clone().map(|s| mean_skew_in_sync(&f(s))).sum::<i64>() / 8
    };
    let base = |seed| Params {
        seed,
        nodes: 5,
        duration_s: 200,
        tick_ms: 1_000,
        method: Method::Cristian,
        leader: 0,
        drift_ppm: 0,
        latency_min_ms: 10,
        latency_max_ms: 12,
        ..Params::default()
    };
    let calm = avg(&base);
    let jittery = avg(&|s| Params {
        latency_max_ms: 80,
        ..base(s)
    });
    let asymmetric = avg(&|s| Params {
        asymmetry_ms: 40,
        ..base(s)
    });
    assert!(jittery > 5 * calm, "calm {calm} ns, jittery {jittery} ns");
    // Every client lands ~20 ms behind the server: skew ≈ asymmetry / 2.
    assert!(
        (asymmetric - 20_000_000).abs() < 3_000_000,
        "asymmetric {asymmetric} ns"
    );
}
