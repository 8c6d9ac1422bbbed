//! Golden runs: the key lines of the `lamport_chat`, `snapshot_trigger` and `causal_editor`
//! examples (they print these scenarios) and the event counts of fixed-seed runs, pinned so
//! that any change in behaviour shows up here.
#![cfg(not(target_arch = "wasm32"))]

use chronoscope::scenario::{causal_broadcast, lamport_chat, snapshot};

#[test]
fn lamport_chat_lagging_node_prints_the_documents_lines() {
    let run = lamport_chat::run(&lamport_chat::Params::default()).unwrap();
    assert_eq!(
        run.nodes[2].lines,
        [
            "[PENDING] (2, B): Hello Alice",
            "[DISPLAY] (1, A): Hi",
            "[DISPLAY] (2, B): Hello Alice",
        ]
    );
    assert_eq!(run.nodes[0].lines[0], "[PENDING] (1, A): Hi");
    assert_eq!(run.trace.events().len(), 32);
}

#[test]
fn snapshot_trigger_prints_the_documents_report() {
    let run = snapshot::document_example().unwrap();
    assert_eq!(
        run.reports[1..],
        [
            "Node 1 State: $50",
            "Node 2 State: $30",
            "Node 3 State: $20",
            "In-flight (2->1): $10",
            "TOTAL: $110 (Matches initial $110)",
            "SUCCESS: Consistent Global State captured.",
        ]
    );
    let busy = snapshot::run(&snapshot::Params {
        snapshots: 3,
        ..snapshot::Params::default()
    })
    .unwrap();
    assert_eq!(busy.cuts.len(), 3);
    assert_eq!(
        busy.reports
            .iter()
            .filter(|l| l.starts_with("SUCCESS"))
            .count(),
        3
    );
    assert_eq!(busy.trace.events().len(), 609);
    assert_eq!(busy.max_concurrent(), 3);
}

#[test]
fn causal_editor_lossy_run_reports_what_is_stuck() {
    let run = causal_broadcast::run(&causal_broadcast::Params {
        loss_percent: 20,
        messages: 4,
        stuck_after_ms: 500,
        ..causal_broadcast::Params::default()
    })
    .unwrap();
    let stuck: Vec<String> = run
        .stuck
        .iter()
        .map(|(_, node, id, w)| format!("{node}: {id} stuck waiting for {w}"))
        .collect();
    assert_eq!(
        stuck,
        [
            "A: C:3 stuck waiting for B:2",
            "A: C:4 stuck waiting for B:2",
            "A: B:4 stuck waiting for B:2",
        ]
    );
    assert_eq!(run.trace.events().len(), 94);
}
