//! Parameters of the Lamport-chat, causal-broadcast and snapshot scenarios come from URLs:
//! whatever the values, `clamp` yields parameters that `validate` accepts, it reports a change
//! exactly when the original values were out of range, and the clamped run never panics.
#![cfg(not(target_arch = "wasm32"))]

use chronoscope::scenario::{causal_broadcast, lamport_chat, snapshot};
use proptest::prelude::*;

fn any_u32() -> impl Strategy<Value = u32> {
    prop_oneof![0u32..=20, any::<u32>(), Just(u32::MAX)]
}

/// Values small enough that a clamped run stays quick.
fn modest() -> impl Strategy<Value = u32> {
    prop_oneof![0u32..=12, 0u32..=300]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn lamport_chat_clamp_validates(v in prop::collection::vec(any_u32(), 6), seed in any::<u64>()) {
        let p = lamport_chat::Params {
            nodes: v[0], seed, extra_messages: v[1], latency_min_ms: v[2],
            latency_max_ms: v[3], slow_link_ms: v[4], stuck_after_ms: v[5],
        };
        let valid = p.validate().is_ok();
        let (c, notes) = p.clamp();
        prop_assert_eq!(c.validate(), Ok(()));
        prop_assert_eq!(valid, notes.is_empty(), "{:?}", notes);
    }

    #[test]
    fn causal_broadcast_clamp_validates(
        v in prop::collection::vec(any_u32(), 9),
        crash in proptest::option::of(any_u32()),
        flags in any::<(bool, bool)>(),
        seed in any::<u64>(),
    ) {
        let p = causal_broadcast::Params {
            nodes: v[0], seed, messages: v[1], latency_min_ms: v[2], latency_max_ms: v[3],
            loss_percent: v[4], duplicate_percent: v[5], retransmit: flags.0, relay: flags.1,
            stuck_after_ms: v[6], crash, crash_at_ms: v[7], slow_link_ms: v[8],
        };
        let valid = p.validate().is_ok();
        let (c, notes) = p.clamp();
        prop_assert_eq!(c.validate(), Ok(()));
        prop_assert_eq!(valid, notes.is_empty(), "{:?}", notes);
    }

    #[test]
    fn snapshot_clamp_validates(v in prop::collection::vec(any_u32(), 8), seed in any::<u64>()) {
        let p = snapshot::Params {
            nodes: v[0], seed, initial_balance: v[1], transfers: v[2], max_amount: v[3],
            latency_min_ms: v[4], latency_max_ms: v[5], snapshots: v[6], snapshot_window_ms: v[7],
        };
        let valid = p.validate().is_ok();
        let (c, notes) = p.clamp();
        prop_assert_eq!(c.validate(), Ok(()));
        prop_assert_eq!(valid, notes.is_empty(), "{:?}", notes);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    /// Clamped runs complete with sane results: chat displays agree, snapshots conserve.
    #[test]
    fn clamped_runs_complete(v in prop::collection::vec(modest(), 8), seed in any::<u64>()) {
        let (chat, _) = lamport_chat::Params {
            nodes: v[0], seed, extra_messages: v[1] % 4, latency_min_ms: v[2],
            latency_max_ms: v[3], slow_link_ms: v[4], stuck_after_ms: v[5] + 1,
        }
        .clamp();
        let run = lamport_chat::run(&chat).unwrap();
        prop_assert!(run.nodes.iter().all(|n| n.display == run.nodes[0].display));
        let (causal, _) = causal_broadcast::Params {
            nodes: v[0], seed, messages: v[1] % 6, loss_percent: v[6], crash: Some(v[7] % 8),
            ..causal_broadcast::Params::default()
        }
        .clamp();
        prop_assert!(causal_broadcast::run(&causal).is_ok());
        let (snap, _) = snapshot::Params {
            nodes: v[0], seed, transfers: v[1], snapshots: v[6], latency_max_ms: v[3],
            ..snapshot::Params::default()
        }
        .clamp();
        let run = snapshot::run(&snap).unwrap();
        for cut in &run.cuts {
            prop_assert_eq!(cut.state.as_ref().map(|s| s.total()), Some(run.initial_total));
        }
    }
}
