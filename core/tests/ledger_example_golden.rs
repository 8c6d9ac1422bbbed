//! Golden test for the Chronos ledger example (`core/examples/chronos_ledger.rs`): compiled in
//! via `#[path]` and run in-process; the source document's key lines — appends with HLC
//! stamps, the leader's GC pause, `REJECTED: token 101 < 102`, a snapshot and its cut, a
//! restore, "all replicas agree" — are pinned in order.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::duplicate_mod)]

#[allow(dead_code)]
#[path = "../examples/chronos_ledger.rs"]
mod chronos_ledger;

fn args(line: &str) -> Vec<String> {
    line.split_whitespace().map(String::from).collect()
}

/// Asserts that `wanted` occur in `out`, in this order, each as a whole line.
fn in_order(out: &str, wanted: &[&str]) {
    let mut lines = out.lines();
    for w in wanted {
        assert!(
            lines.any(|l| l == *w),
            "missing (or out of order): {w}\n{out}"
        );
    }
}

#[test]
fn the_ledger_survives_a_frozen_leader_a_crash_and_a_restore() {
    let out = chronos_ledger::render(&[]).unwrap();
    in_order(
        &out,
        &[
            "[Replica B] Acquired Lease from a majority (Token: 101), adopting a log of 0",
            "[Replica A] Append A:1 = 1 (HLC 1099.0)",
            "[Replica B] Append B:1 = 6 (HLC 1596.0)",
            "[Replica B] GC PAUSE (1.5 seconds)...",
            "[Replica C] Acquired Lease from a majority (Token: 102), adopting a log of 4",
            "[Replica A] Snapshot #1: records its log (13 entries, 13 committed)",
            "[Replica C] Snapshot #1: records its log (13 entries, 13 committed) on A's marker",
            "[Replica B] Wakes up, ships offsets 4..6 with Token 101",
            "[Replica A] REJECTED: token 101 < 102",
            "[Replica C] REJECTED: token 101 < 102",
            "[Replica C] CRASHES (log and queues lost)",
            "[Replica C] restores from backup #1",
            "[Replica C] Restored from snapshot #1: 13 entries, catching up",
            "[Replica C] Refused: append: restored replica has recovered 6 of its 10 own entries; appends wait",
            "  ✓ causal order",
            "  ✓ one token per offset",
            "  ✓ committed stable",
            "  ✓ consistent snapshots",
            "  ✓ replicas agree",
        ],
    );
    assert_eq!(
        out.lines().last(),
        Some("all replicas agree: 28 entries committed (tokens 101, 102, 103), every log extends happens-before")
    );
}

#[test]
fn the_unsafe_variants_break_their_invariants() {
    let out = chronos_ledger::render(&args("--no-fencing")).unwrap();
    assert!(
        out.lines()
            .any(|l| l
                .starts_with("  ✗ committed stable: replica A: B's shipment replaced committed")),
        "{out}"
    );
    assert!(!out.contains("REJECTED"), "{out}");
    assert_eq!(
        out.lines().last(),
        Some("replicas DISAGREE or an invariant broke (see ✗ above)")
    );
    let out = chronos_ledger::render(&args("--no-causal --seed 3")).unwrap();
    assert!(
        out.contains(
            "  ✗ causal order: replica C showed an entry depending on A:1 before A:1 itself"
        ),
        "{out}"
    );
}

#[test]
fn bad_flags_are_refused_and_absurd_values_clamped_with_a_note() {
    assert_eq!(
        chronos_ledger::render(&args("--bogus 1")),
        Err("unknown flag --bogus".to_string())
    );
    assert_eq!(
        chronos_ledger::render(&args("--seed")),
        Err("--seed needs a value".to_string())
    );
    let out = chronos_ledger::render(&args("--replicas 100 --appends 4")).unwrap();
    assert!(
        out.starts_with("chronos_ledger: replicas = 100 is out of range; using 9\n"),
        "{out}"
    );
    assert!(out.ends_with("every log extends happens-before\n"), "{out}");
}
