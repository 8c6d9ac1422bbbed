//! Golden tests for the clock-sync, lease and conflict-store examples: each example is compiled
//! into this test (via `#[path]`) and run in-process; its key lines — the source documents'
//! output — are pinned.
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

#[allow(dead_code)]
#[path = "../examples/conflict_store.rs"]
mod conflict_store;

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

/// The lines of the `conflict_store` section for the strategy whose heading starts `title`.
fn strategy_section<'a>(out: &'a str, title: &str) -> Vec<&'a str> {
    let heading = format!("=== {title} — ");
    let section = out
        .split("\n\n")
        .find(|s| s.starts_with(&heading))
        .unwrap_or_else(|| panic!("no section {title}"));
    section.lines().collect()
}

/// Where `line` is in `lines` (it must be there).
fn line_at(lines: &[&str], line: &str) -> usize {
    lines
        .iter()
        .position(|l| *l == line)
        .unwrap_or_else(|| panic!("missing line {line:?} in\n{}", lines.join("\n")))
}

#[test]
fn conflict_store_shows_lww_losing_acked_writes_and_vector_clocks_keeping_siblings() {
    let out = conflict_store::render(&[]).unwrap();

    // Wall-clock LWW, node A 5 s fast: B's write is acknowledged, then dropped for A's
    // (older, but higher-stamped) write.
    let lww = strategy_section(&out, "wall-clock last-write-wins");
    assert_eq!(
        lww[0],
        "=== wall-clock last-write-wins — node A's clock +5000 ms, 3 nodes, 50 ms latency ==="
    );
    let acked = line_at(
        &lww,
        r#"[    10 ms] B  OK cart="eggs" as B#1 [wall 10.000 ms@B]"#,
    );
    let dropped = line_at(
        &lww,
        r#"[    50 ms] B  cart: DROPPED B#1 "eggs" (it had been acked), displaced by A#1 which never saw it"#,
    );
    assert!(acked < dropped);
    line_at(&lww, r#"[   500 ms] B  read cart -> ["milk"] OK context -"#);
    // The far-future tombstone (C's clock an hour ahead) swallows every later write.
    let tombstone = line_at(
        &lww,
        "[  4501 ms] C  OK session=<deleted> as C#3 [wall 3604501.000 ms@C]",
    );
    for (write, value) in [("A#3", "s2"), ("A#4", "s3"), ("B#3", "s4")] {
        let lost = lww
            .iter()
            .position(|l| {
                l.ends_with(&format!(
                    r#"session: DROPPED {write} "{value}" (it had been acked), displaced by C#3 which never saw it"#
                ))
            })
            .unwrap_or_else(|| panic!("{write} {value} not dropped"));
        assert!(tombstone < lost);
    }
    line_at(
        &lww,
        "[  7000 ms] C  read session -> [<deleted>] NOT FOUND (tombstone) context -",
    );
    assert!(lww.iter().any(|l| l
        .starts_with("summary: 10 writes acked; 6 acked then silently lost: B#1 cart=\"eggs\", ")
        && l.ends_with("; 0 concurrent pairs kept as siblings; replicas converged: yes")));
    line_at(
        &lww,
        r#"final at A: cart=["milk"]  profile=["v1"]  session=[<deleted>]"#,
    );

    // Lamport LWW: a clean causal order (C's v2 wins over the v1 it read), but one of the
    // concurrent cart writes is silently dropped — no siblings, no "concurrent".
    let lamport = strategy_section(&out, "Lamport last-write-wins");
    line_at(
        &lamport,
        r#"[    50 ms] B  cart: DROPPED A#1 "milk" (it had been acked), displaced by B#1 which never saw it"#,
    );
    line_at(
        &lamport,
        r#"[  2000 ms] A  read profile -> ["v2"] OK context lamport 5"#,
    );
    assert!(!lamport.iter().any(|l| l.contains("concurrent;")));
    assert!(lamport.iter().any(|l| l.contains(
        "acked then silently lost: A#1 cart=\"milk\", A#3 session=\"s2\"; 0 concurrent pairs"
    )));

    // Vector clocks (and DVVs): both cart writes reported concurrent and kept; the
    // far-future delete is just another concurrent version; nothing lost.
    for title in [
        "vector clocks with siblings",
        "dotted version vectors with siblings",
    ] {
        let vc = strategy_section(&out, title);
        line_at(
            &vc,
            "[    50 ms] B  cart: A#1 and B#1 are concurrent; both kept as siblings",
        );
        line_at(
            &vc,
            r#"[   500 ms] A  read cart -> ["milk", "eggs"] CONFLICT context {"A":1,"B":1}"#,
        );
        line_at(
            &vc,
            "[  4551 ms] A  session: A#3 and C#3 are concurrent; both kept as siblings",
        );
        assert!(
            vc.iter()
                .any(|l| l
                    .starts_with(r#"[  5000 ms] A  read session -> ["s2", <deleted>] CONFLICT"#))
        );
        assert!(!vc.iter().any(|l| l.contains("DROPPED")), "{title}");
        line_at(
            &vc,
            "summary: 10 writes acked; 0 acked then silently lost; 2 concurrent pairs kept as siblings; replicas converged: yes",
        );
        line_at(
            &vc,
            r#"final at A: cart=["eggs,milk"]  profile=["v2"]  session=["s4"]"#,
        );
    }
}

#[test]
fn conflict_store_options_select_clamp_or_refuse() {
    let one = conflict_store::render(&args("--strategy vclock --skew-ms -2000 --nodes 4")).unwrap();
    assert_eq!(one.matches("=== ").count(), 1);
    assert!(one.starts_with(
        "=== vector clocks with siblings — node A's clock -2000 ms, 4 nodes, 50 ms latency ==="
    ));
    let clamped = conflict_store::render(&args("--strategy lww --nodes 99")).unwrap();
    assert!(clamped.starts_with("note: nodes = 99 is out of range; using 8\n"));
    for (bad, names) in [
        ("--bogus 1", "--bogus"),
        ("--nodes three", "three"),
        ("--skew-ms 5s", "5s"),
        ("--latency-ms -5", "-5"),
        ("--strategy newest", "newest"),
        ("--seed", "--seed"),
    ] {
        let err = conflict_store::render(&args(bad)).unwrap_err();
        assert!(err.contains(names), "{bad}: {err}");
    }
}
