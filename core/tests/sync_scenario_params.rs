//! Parameters of the clock-sync, Byzantine, selection and lease scenarios come from URLs:
//! whatever the values, `clamp` yields parameters that `validate` accepts, and it reports a
//! change exactly when the original values were out of range. Nothing panics.
#![cfg(not(target_arch = "wasm32"))]

use chronoscope::scenario::{byzantine_sync, drift, lease, ntp_select};
use proptest::prelude::*;

fn small() -> impl Strategy<Value = u32> {
    prop_oneof![0u32..=20, any::<u32>(), Just(u32::MAX)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn drift_clamp_validates(v in prop::collection::vec(small(), 14), seed in any::<u64>()) {
        let p = drift::Params {
            nodes: v[0], seed, drift_ppm: v[1], interval_s: v[2], duration_s: v[3],
            tick_ms: v[4], latency_min_ms: v[5], latency_max_ms: v[6], asymmetry_ms: v[7],
            initial_skew_ms: v[8], slew_ppm: v[9], outlier_ms: v[10], leader: v[11],
            loss_percent: v[12], duplicate_percent: v[13], jump_node: v[0] ^ v[1],
            jump_at_s: v[2] ^ v[3], jump_ms: v[3] as i32,
            ..drift::Params::default()
        };
        let valid = p.validate().is_ok();
        let (c, notes) = p.clamp();
        prop_assert_eq!(c.validate(), Ok(()));
        prop_assert_eq!(valid, notes.is_empty(), "{:?}", notes);
    }

    #[test]
    fn byzantine_clamp_validates(v in prop::collection::vec(small(), 10), seed in any::<u64>()) {
        let p = byzantine_sync::Params {
            nodes: v[0], faulty: v[1], tolerate: v[2], lie_ms: v[3], round_ms: v[4],
            rounds: v[5], latency_min_ms: v[6], latency_max_ms: v[7], drift_ppm: v[8],
            initial_skew_ms: v[9], seed,
            ..byzantine_sync::Params::default()
        };
        let valid = p.validate().is_ok();
        let (c, notes) = p.clamp();
        prop_assert_eq!(c.validate(), Ok(()));
        prop_assert_eq!(valid, notes.is_empty(), "{:?}", notes);
    }

    #[test]
    fn selection_clamp_validates(v in prop::collection::vec(small(), 10), seed in any::<u64>()) {
        let p = ntp_select::Params {
            servers: v[0], liars: v[1], tolerate: v[2], lie_ms: v[3], error_ms: v[4],
            client_offset_ms: v[5], client_drift_ppm: v[6], latency_min_ms: v[7],
            latency_max_ms: v[8], rounds: v[9], seed,
            ..ntp_select::Params::default()
        };
        let valid = p.validate().is_ok();
        let (c, notes) = p.clamp();
        prop_assert_eq!(c.validate(), Ok(()));
        prop_assert_eq!(valid, notes.is_empty(), "{:?}", notes);
    }

    #[test]
    fn lease_clamp_validates(
        v in prop::collection::vec(small(), 11),
        drifts in (any::<i32>(), any::<i32>()),
        token in any::<u64>(),
    ) {
        let p = lease::Params {
            lease_ms: v[0], pause_ms: v[1], a_write_after_ms: v[2], b_acquire_ms: v[3],
            b_write_after_ms: v[4], work_ms: v[5], margin_ms: v[6], latency_min_ms: v[7],
            latency_max_ms: v[8], loss_percent: v[9], duplicate_percent: v[10],
            a_drift_ppm: drifts.0, server_drift_ppm: drifts.1, first_token: token,
            ..lease::Params::default()
        };
        let valid = p.validate().is_ok();
        let (c, notes) = p.clamp();
        prop_assert_eq!(c.validate(), Ok(()));
        prop_assert_eq!(valid, notes.is_empty(), "{:?}", notes);
    }
}

#[test]
fn extreme_but_valid_corners_run() {
    let (p, _) = drift::Params {
        nodes: 8,
        drift_ppm: u32::MAX,
        interval_s: 1,
        duration_s: 60,
        latency_max_ms: u32::MAX,
        initial_skew_ms: u32::MAX,
        adjust: drift::AdjustMode::Hybrid,
        ..drift::Params::default()
    }
    .clamp();
    assert!(drift::run(&p).is_ok());
    let (p, _) = lease::Params {
        lease_ms: u32::MAX,
        pause_ms: u32::MAX,
        a_drift_ppm: i32::MIN,
        server_drift_ppm: i32::MAX,
        ..lease::Params::default()
    }
    .clamp();
    assert!(lease::run(&p).is_ok());
    let (p, _) = byzantine_sync::Params {
        nodes: 16,
        faulty: 15,
        tolerate: 7,
        lie_ms: u32::MAX,
        rounds: 20,
        ..byzantine_sync::Params::default()
    }
    .clamp();
    assert!(byzantine_sync::run(&p).is_ok());
    let (p, _) = ntp_select::Params {
        servers: 15,
        liars: 15,
        tolerate: 14,
        lie_ms: u32::MAX,
        ..ntp_select::Params::default()
    }
    .clamp();
    assert!(ntp_select::run(&p).is_ok());
}
