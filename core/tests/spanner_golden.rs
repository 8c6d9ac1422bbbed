//! Golden test of the `spanner_sim` example: the source document's write (commit timestamp =
//! TT.now().latest, a commit wait of about 2ε, then success) and the workload's verdicts —
//! no violation with commit wait, some without, and a mean wait of ≈ 2 × mean ε.
#![cfg(not(target_arch = "wasm32"))]

#[allow(dead_code)]
#[path = "../examples/spanner_sim.rs"]
mod spanner_sim;

fn args(line: &str) -> Vec<String> {
    line.split_whitespace().map(String::from).collect()
}

#[test]
fn the_documents_write_waits_two_epsilon_then_commits() {
    let out = spanner_sim::render(&args("--no-workload")).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "[Client] Write \"Key=1, Val=A\"",
            "[TrueTime] Now: [25993.999ms, 26006.001ms] (Epsilon: 6.001ms)",
            "[Spanner] Assigned Commit Timestamp: 26006.001ms",
            "[Spanner] WAIT: Sleeping for 12.004ms to ensure safety...",
            "[Spanner] COMMIT SUCCESS: TT.after(26006.001ms) holds at local 26012.004ms.",
        ]
    );
    // Right after a sync ε is the 1 ms base, and so the wait is about 2 ms.
    let fresh = spanner_sim::render(&args("--no-workload --at-ms 0")).unwrap();
    assert!(fresh.contains("(Epsilon: 1.000ms)"), "{fresh}");
    assert!(fresh.contains("Sleeping for 2.00"), "{fresh}");
}

#[test]
fn the_workload_is_consistent_only_with_commit_wait() {
    let out = spanner_sim::render(&[]).unwrap();
    let on = out
        .lines()
        .find(|l| l.starts_with("commit wait on"))
        .unwrap();
    let off = out
        .lines()
        .find(|l| l.starts_with("commit wait off"))
        .unwrap();
    assert!(on.contains(" 0 external-consistency violation(s)"), "{on}");
    assert!(
        !off.contains(" 0 external-consistency violation(s)"),
        "{off}"
    );
    assert!(
        on.contains("= 2.00 × mean ε")
            || on.contains("= 1.99 × mean ε")
            || on.contains("= 2.01 × mean ε"),
        "{on}"
    );
}

#[test]
fn bad_arguments_are_refused_with_a_message() {
    assert!(spanner_sim::render(&args("--at-ms 99999"))
        .unwrap_err()
        .contains("outside one sync period"));
    assert!(spanner_sim::render(&args("--seed -1"))
        .unwrap_err()
        .contains("--seed"));
    assert!(spanner_sim::render(&args("--bogus"))
        .unwrap_err()
        .contains("unknown option"));
}
