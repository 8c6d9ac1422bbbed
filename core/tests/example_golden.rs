//! Golden tests for the clock-sync and lease examples: each example is compiled into this test
//! (via `#[path]`) and run in-process; its key lines — the source documents' output — are
//! pinned.
#![cfg(not(target_arch = "wasm32"))]

#[allow(dead_code)]
#[path = "../examples/drift_sim.rs"]
mod drift_sim;

#[allow(dead_code)]
#[path = "../examples/bft_sync.rs"]
mod bft_sync;

#[allow(dead_code)]
#[path = "../examples/lease.rs"]
mod lease;

fn args(line: &str) -> Vec<String> {
    line.split_whitespace().map(String::from).collect()
}

#[test]
fn lease_prints_the_documents_run_then_the_unsafe_variants() {
    let out = lease::render(&[]).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[..7],
        [
            "[Worker A] Acquired Lease (Token: 101)",
            "[Worker A] GC PAUSE (10 seconds)...",
            "[Server] Lease Expired.",
            "[Worker B] Acquired Lease (Token: 102)",
            "[Worker B] Write Success (Token: 102)",
            "[Worker A] Wakes up, tries to write with Token 101...",
            "[Server] REJECTED: Higher Token (102) already used.",
        ]
    );
    assert!(out.contains(
        "[Server] ACCEPTED stale write with Token 101 after a higher token's: data corrupted!"
    ));
    assert!(out.contains(
        "store accepted tokens [102, 101]; stale write rejected: false; data corrupted: true"
    ));
    assert!(out.contains("[Worker A] Writes with Token 101 (still valid by its own clock)..."));
    assert!(out.contains("[Worker A] Lease (Token: 101) ran out by my clock: not writing."));
    assert!(lease::render(&args("--bogus 1")).is_err());
}

#[test]
fn drift_sim_prints_the_documents_berkeley_run() {
    let out = drift_sim::render(&args(
        "--nodes 3 --drift-rate 50ppm --sync berkeley --interval 20",
    ))
    .unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "Simulating 3 nodes with 50ppm drift (~4.3 seconds/day)"
    );
    assert!(lines.contains(&"Network latency: 5-15ms (random)"));
    for t in [
        "0.000", "5.000", "10.000", "15.000", "20.000", "20.100", "25.000", "30.000",
    ] {
        let prefix = format!("[T={t}s] Node A: ");
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&prefix) && l.contains("| Skew: ")),
            "no sample at {t}"
        );
    }
    let sync = lines
        .iter()
        .position(|l| l.contains("⚡ SYNC EVENT (Berkeley Algorithm)"))
        .expect("a sync event");
    assert!(lines[sync].starts_with("[T=20.0"));
    assert!(lines[sync + 1].starts_with("  → Leader (Node B) requests timestamps from all nodes"));
    assert!(lines[sync + 2].starts_with("  → Node A reports: "));
    assert!(lines[sync + 2].contains("(RTT: "));
    assert!(lines[sync + 3].starts_with("  → Node C reports: "));
    assert!(lines[sync + 4].starts_with("  → Computed average: "));
    assert!(lines[sync + 5].starts_with("  → Sending adjustments: B: "));
    assert!(out.contains("Worst skew once synchronised: "));
    for method in ["cristian", "none"] {
        let out = drift_sim::render(&args(&format!("--sync {method}"))).unwrap();
        assert!(out.contains("[T=30.000s]"), "{method}");
    }
    assert!(drift_sim::render(&args("--sync sundial")).is_err());
    let jumped = drift_sim::render(&args("--jump 10000 --duration 60")).unwrap();
    assert!(jumped.contains("[T=25.000s] ⚠ Node C's clock jumps +10.000000s"));
    assert!(jumped.contains("— OUTLIER, not averaged"));
}

#[test]
fn bft_sync_shows_the_bound_holding_and_breaking() {
    let out = bft_sync::render(&[]).unwrap();
    let sections: Vec<&str> = out.split("== ").skip(1).collect();
    assert_eq!(sections.len(), 5);
    assert!(sections[0].starts_with("n=4 f=1 liars=1 (TwoFaced"));
    assert!(sections[0].contains("— held: worst skew once converged"));
    assert!(sections[1].starts_with("n=3 f=1 liars=1 (TwoFaced"));
    assert!(sections[1].contains("No bound applies"));
    assert!(sections[2].contains("Mean"));
    assert!(sections[3].starts_with("n=7 f=2 liars=2 (Splitting"));
    assert!(sections[3].contains("— held"));
    assert!(sections[4].starts_with("NTP-style selection (Marzullo): 5 servers"));
    assert!(sections[4].contains("MISSES the truth ✗"));
    assert!(sections[4].contains("contains the truth ✓"));
    assert!(!sections[4].contains("misses the truth ✗"));
    let custom = bft_sync::render(&args("--nodes 4 --convergence midpoint --rounds 10")).unwrap();
    assert!(custom.contains("FaultTolerantMidpoint"));
}

/// The skew a drift_sim sample line reports at `[T=<t>s]`.
fn skew_at(out: &str, t: &str) -> f64 {
    let prefix = format!("[T={t}s] Node A: ");
    let line = out
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no sample at {t}"));
    let skew = line.split("| Skew: ").nth(1).expect("a skew column");
    skew.trim_end_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .expect("a number of seconds")
}

#[test]
fn drift_sim_berkeley_sync_pulls_drifted_clocks_together() {
    // With drift (~1000 ppm) well above the network jitter, the skew grows until the sync
    // at 20 s and drops right after it.
    let out = drift_sim::render(&args(
        "--nodes 3 --drift-rate 1000ppm --sync berkeley --interval 20",
    ))
    .unwrap();
    let (early, before, after) = (
        skew_at(&out, "5.000"),
        skew_at(&out, "20.000"),
        skew_at(&out, "20.100"),
    );
    assert!(
        early < before,
        "skew grows while drifting: {early} then {before}"
    );
    assert!(
        after < before / 2.0,
        "skew {before} before the sync, {after} after"
    );
    // Without a sync it keeps growing.
    let unsynced = drift_sim::render(&args("--nodes 3 --drift-rate 1000ppm --sync none")).unwrap();
    assert!(skew_at(&unsynced, "25.000") > before);
}
