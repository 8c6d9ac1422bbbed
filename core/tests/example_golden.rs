//! Golden tests for the clock-sync, lease, conflict-store, clock and CRDT-counter examples: each example is compiled
//! into this test (via `#[path]`) and run in-process; its key lines — the source documents'
//! output — are pinned.
#![cfg(not(target_arch = "wasm32"))]
// Each example brings `examples/common` (its `main` helper, unused here) along with it.
#![allow(clippy::duplicate_mod)]

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

#[allow(dead_code)]
#[path = "../examples/hlc_gen.rs"]
mod hlc_gen;

#[allow(dead_code)]
#[path = "../examples/truetime.rs"]
mod truetime;

#[allow(dead_code)]
#[path = "../examples/physical_clock.rs"]
mod physical_clock;

#[allow(dead_code)]
#[path = "../examples/crdt_counters.rs"]
mod crdt_counters;

#[allow(dead_code)]
#[path = "../examples/metadata_cost.rs"]
mod metadata_cost;

#[allow(dead_code)]
#[path = "../examples/logical_clocks.rs"]
mod logical_clocks;

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

#[test]
fn hlc_gen_keeps_increasing_while_the_system_clock_is_set_back() {
    let out = hlc_gen::render(&[]).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    // The document's run: 12:00:00, then the system clock set back to 11:55:00.
    assert_eq!(lines[0], "# System time: 12:00:00.000");
    let back = line_at(&lines, "# Manually set system time back 5 minutes");
    assert_eq!(lines[back + 1], "# System time: 11:55:00.001");
    // The first stamp after the jump is still after the last one, and still reads 12:00:00.
    assert_eq!(
        lines[back + 2],
        "TS: 12:00:00.000 = 0x000002932e000003  (HLC l: 12:00:00.000, c: 3)  physical: 11:55:00.001  # CAUSALITY PRESERVED: still after the last stamp"
    );
    // Every stamp, as a 64-bit number, is larger than the one before.
    let stamps: Vec<u64> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("TS: "))
        .map(|l| {
            let hex = l.split(" = 0x").nth(1).expect("a hex stamp");
            u64::from_str_radix(&hex[..16], 16).expect("16 hex digits")
        })
        .collect();
    assert_eq!(stamps.len(), 10);
    assert!(
        stamps.windows(2).all(|w| w[0] < w[1]),
        "not increasing: {stamps:x?}"
    );
    // While the physical clock reads 11:55, l stays at the recent 12:00:00 and c counts.
    let behind: Vec<&&str> = lines
        .iter()
        .filter(|l| l.starts_with("TS: ") && l.contains("physical: 11:55:"))
        .collect();
    assert_eq!(behind.len(), 5);
    assert!(behind
        .iter()
        .all(|l| l.starts_with("TS: 12:00:00.000 = ") && l.contains("(HLC l: 12:00:00.000, c: ")));
    assert!(lines.iter().any(|l| l.starts_with("TS: 12:00:00.006 ")
        && l.contains("c: 0)")
        && l.ends_with("# physical time has caught up: c back to 0")));
    // A peer 10 s ahead is refused; one 200 ms ahead is absorbed.
    line_at(
        &lines,
        "refused: remote timestamp 43210006.0 is more than 500 ms ahead of local 43200006 ms",
    );
    assert!(lines
        .iter()
        .any(|l| l.starts_with("TS: 12:00:00.206 ") && l.contains("(HLC l: 12:00:00.206, c: 8)")));
    let err = hlc_gen::render(&args("--minutes 10")).unwrap_err();
    assert!(err.contains("--minutes"), "{err}");
}

#[test]
fn truetime_epsilon_is_a_sawtooth_from_1_to_7_ms() {
    let out = truetime::render(&[]).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "TrueTime: base 1.000 ms, drift bound 200 ppm, sync every 30000.000 ms"
    );
    // Table rows: true seconds, local seconds, epsilon, "ms", [earliest, latest], holds.
    let rows: Vec<(u32, f64, &str)> = lines
        .iter()
        .filter_map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            let t = cols.first()?.parse().ok()?;
            let eps = cols.get(2)?.parse().ok()?;
            (cols.get(3) == Some(&"ms")).then_some((t, eps, *cols.get(6)?))
        })
        .collect();
    assert_eq!(rows.len(), 19);
    assert!(
        rows.iter().all(|r| r.2 == "yes"),
        "TT.now() missed: {rows:?}"
    );
    for (t, eps, _) in &rows {
        match t % 30 {
            0 => assert_eq!(*eps, 1.0, "right after the sync at {t} s"),
            25 => assert_eq!(*eps, 6.002, "25 s after a sync ({t} s)"),
            _ => assert!((1.0..=7.001).contains(eps), "{t} s: {eps}"),
        }
    }
    // Between syncs ε only grows.
    assert!(rows.windows(2).all(|w| w[1].0 % 30 == 0 || w[0].1 < w[1].1));
    for t in [30, 60, 90] {
        assert!(
            lines.iter().any(|l| l
                .trim_start()
                .starts_with(&format!("{t} --- sync: clock corrected by "))
                && l.ends_with("epsilon back to 1.000 ms")),
            "no sync at {t} s"
        );
    }
    line_at(
        &lines,
        "largest epsilon seen: 6.002 ms (model maximum 7.001 ms)",
    );
    // Commit wait: about 2 ε right after a sync (1 ms) and just before the next (~7 ms).
    line_at(
        &lines,
        "[just after a sync] TT.now() = [89998.700 ms, 90000.700 ms] (epsilon 1.000 ms)",
    );
    line_at(
        &lines,
        "[late in the period] TT.now() = [118997.248 ms, 119010.852 ms] (epsilon 6.802 ms)",
    );
    line_at(
        &lines,
        "  WAIT 2.000 ms (about 2 epsilon) until TT.after(s)",
    );
    line_at(
        &lines,
        "  WAIT 13.607 ms (about 2 epsilon) until TT.after(s)",
    );
    assert_eq!(out.matches("TT.after(s) = true").count(), 2);
    assert!(!out.contains("TT.after(s) = false"));
    assert!(truetime::render(&args("--epsilon 5")).is_err());
}

#[test]
fn physical_clock_slew_stays_monotonic_step_goes_back_panic_threshold_refuses() {
    let out = physical_clock::render(&[]).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    // Constant drift: ±50 ppm is ±180 ms after an hour.
    assert!(lines
        .iter()
        .any(|l| l.trim_start().starts_with("3600   180.000 ms  -180.000 ms")));
    line_at(
        &lines,
        "slewing -100.000 ms at 500 ppm: done at true time 210000.000 ms",
    );
    // Rows of the slew/step table: true s, then four "<value> ms" columns.
    let header = lines
        .iter()
        .position(|l| l.contains("slew wall err"))
        .expect("the slew/step table");
    let rows: Vec<[f64; 5]> = lines[header + 1..]
        .iter()
        .map_while(|l| {
            let c: Vec<&str> = l.split_whitespace().collect();
            let n = |i: usize| c.get(i)?.parse::<f64>().ok();
            Some([n(0)?, n(1)?, n(3)?, n(5)?, n(7)?])
        })
        .collect();
    assert_eq!(rows.len(), 6);
    // Slewed: the wall reading (true + error) and the monotonic reading only move forward,
    // and the error shrinks to zero by 210 s.
    for w in rows.windows(2) {
        let wall = |r: &[f64; 5]| r[0] * 1e3 + r[1];
        assert!(wall(&w[0]) < wall(&w[1]), "slewed wall went back: {w:?}");
        assert!(w[0][2] < w[1][2], "slewed monotonic went back: {w:?}");
    }
    assert_eq!((rows[0][1], rows[4][1]), (100.0, 0.0));
    // Stepped: the error is gone at once — the wall reading jumped back 100 ms — while its
    // monotonic reading still only moves forward.
    assert!(rows.iter().all(|r| r[3] == 0.0));
    assert!(rows.windows(2).all(|w| w[0][4] < w[1][4]));
    line_at(
        &lines,
        "at 10 s the step moved the wall reading from 10100.000 ms to 10000.000 ms; the monotonic reading never moves back",
    );
    line_at(
        &lines,
        "refused: correction -3600000.000 ms exceeds the panic threshold 1000000.000 ms (clock unchanged: reads 400000.000 ms at 400 s)",
    );
    // The leap second: smeared half-way at midnight, stepped by a whole second.
    line_at(
        &lines,
        "true  86400 s: smeared  -500.000 ms  stepped -1000.000 ms",
    );
    line_at(
        &lines,
        "true 129600 s: smeared -1000.000 ms  stepped -1000.000 ms",
    );
    assert!(physical_clock::render(&args("--drift 50")).is_err());
}

#[test]
fn crdt_counters_merge_in_any_order_and_the_partitioned_replica_converges() {
    let out = crdt_counters::render(&[]).unwrap();
    // Offline G-Counters merge to the same state in either order, and merging again changes nothing.
    assert!(out.contains("merge A⊔B⊔C      state {A:5, B:3, C:2}  value 10\n"));
    assert!(out.contains("merge C⊔B⊔A      state {A:5, B:3, C:2}  value 10 (commutative)"));
    assert!(out.contains("merge again      state {A:5, B:3, C:2}  value 10 (idempotent)"));
    // The PN-Counter: C's decrement is missing until the partition heals, then every op counts.
    assert!(out.contains("A⊔B while C is offline: value 7 (C alone: -2)"));
    assert!(out.contains("partition heals, C merges: state P{A:5, B:3} N{A:1, C:2} value 5"));
    // The simulated run: C works offline, then every replica reaches the expected total.
    assert!(out.contains(
        "== simulated: 3 replicas, C offline for 2000 ms, gossip every 200 ms (seed 1) =="
    ));
    let offline: Vec<&str> = out.lines().filter(|l| l.ends_with("(offline)")).collect();
    assert!(
        !offline.is_empty() && offline.iter().all(|l| l.contains("] C ")),
        "{offline:?}"
    );
    let last = out.lines().last().unwrap();
    let (values, rest) = last
        .strip_prefix("converged: ")
        .and_then(|r| r.split_once(" (expected "))
        .unwrap_or_else(|| panic!("not converged: {last}"));
    let expected: i64 = rest.split(')').next().unwrap().parse().unwrap();
    for v in values.split(' ') {
        assert_eq!(
            v.split('=').nth(1).unwrap().parse::<i64>().unwrap(),
            expected,
            "{last}"
        );
    }
    // Out-of-range values are clamped with a note; anything else wrong is an error.
    let clamped = crdt_counters::render(&args("--nodes 99")).unwrap();
    assert!(clamped.starts_with("note: nodes = 99 is out of range; using 8\n"));
    for bad in ["--bogus 1", "--nodes", "--nodes three", "--seed -1"] {
        let err = crdt_counters::render(&args(bad)).unwrap_err();
        assert!(err.contains(bad.split(' ').next().unwrap()), "{bad}: {err}");
    }
}

#[test]
fn metadata_cost_grows_with_the_cluster_and_only_pruning_loses_writes() {
    let out = metadata_cost::render(&[]).unwrap();
    // (nodes, mechanism, bytes per value, verdict) of every table row.
    let rows: Vec<(u32, String, u64, String)> = out
        .lines()
        .skip(2)
        .map(|l| {
            let nodes = l[..5].trim().parse().unwrap();
            let mechanism = l[7..31].trim().to_string();
            let cols: Vec<&str> = l[31..].split_whitespace().collect();
            let verdict = l.split("  ").last().unwrap().trim().to_string();
            (nodes, mechanism, cols[2].parse().unwrap(), verdict)
        })
        .collect();
    assert_eq!(rows.len(), 12, "{out}");
    assert_eq!(
        rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        [3, 3, 3, 3, 10, 10, 10, 10, 50, 50, 50, 50]
    );
    let per_value = |nodes: u32, mechanism: &str| {
        rows.iter()
            .find(|r| r.0 == nodes && r.1.starts_with(mechanism))
            .map(|r| r.2)
            .unwrap()
    };
    // Vector clocks and per-sibling DVVs grow with the cluster; DVVSet stays small.
    assert!(per_value(3, "vector clocks") < per_value(10, "vector clocks"));
    assert!(per_value(10, "vector clocks") < per_value(50, "vector clocks"));
    assert!(per_value(50, "DVVSet") * 10 < per_value(50, "dotted version vectors"));
    // Pruning caps the size but loses a write once the cluster outgrows the cap; the others
    // keep exactly the right siblings at every size.
    for (nodes, mechanism, _, verdict) in &rows {
        if mechanism.starts_with("pruned") && *nodes > 8 {
            assert_eq!(
                verdict, "WRITES LOST (false descends)",
                "{nodes} {mechanism}"
            );
        } else {
            assert_eq!(verdict, "siblings exact", "{nodes} {mechanism}");
        }
    }
    for bad in ["--bogus 1", "--cap", "--cap -1", "--skew-ms soon"] {
        let err = metadata_cost::render(&args(bad)).unwrap_err();
        assert!(err.contains(bad.split(' ').next().unwrap()), "{bad}: {err}");
    }
}

#[test]
fn logical_clocks_show_what_lamport_time_cannot_tell() {
    let out = logical_clocks::render(&[]).unwrap();
    // Stamps as the rules give them (IR1/IR2; vector merge on receive).
    assert!(out.contains("b2  at B  receive m1  Lamport 3  vector {\"A\":2,\"B\":2}"));
    assert!(out.contains("c2  at C  receive m2  Lamport 5  vector {\"A\":2,\"B\":3,\"C\":2}"));
    // A chain through two messages is seen by both clocks.
    assert!(out.contains("a1 vs c2: L 1 < 5; vector: before -> a1 happened before c2"));
    // Lamport orders c1 before a2, yet they are concurrent: only the vector clock says so.
    assert!(out.contains(
        "c1 vs a2: L 1 < 2; vector: concurrent -> concurrent: a smaller Lamport time does not mean happened-before"
    ));
    assert!(out.contains("a1 vs b1: L 1 = 1; vector: concurrent"));
    // The total order breaks Lamport ties by node.
    assert!(out.contains("a1(1, A) < b1(1, B) < c1(1, C) < a2(2, A) < a3(3, A) < b2(3, B)"));
    assert!(out.contains("read back equal: true"));
    // A hostile clock at u64::MAX is refused and leaves the receiver unchanged.
    assert!(out
        .contains("refused (node A's counter is at u64::MAX and cannot advance); clock still {}"));
    assert!(logical_clocks::render(&args("--nodes 3")).is_err());
}
