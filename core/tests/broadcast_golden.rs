//! Golden runs: the `lamport_chat`, `snapshot_trigger` and `causal_editor` examples are
//! compiled into this test (via `#[path]`) and run in-process, their key lines — the source
//! documents' output — pinned; so are the event counts of the fixed-seed scenarios they print,
//! so that any change in behaviour shows up here.
#![cfg(not(target_arch = "wasm32"))]
// Each example brings `examples/common` (its `main` helper, unused here) along with it.
#![allow(clippy::duplicate_mod)]

use chronoscope::scenario::{causal_broadcast, lamport_chat, snapshot};

#[allow(dead_code)]
#[path = "../examples/lamport_chat.rs"]
mod lamport_chat_example;

#[allow(dead_code)]
#[path = "../examples/snapshot_trigger.rs"]
mod snapshot_trigger_example;

#[allow(dead_code)]
#[path = "../examples/causal_editor.rs"]
mod causal_editor_example;

fn args(line: &str) -> Vec<String> {
    line.split_whitespace().map(String::from).collect()
}

#[test]
fn lamport_chat_example_prints_the_documents_node_c_output() {
    let out = lamport_chat_example::render(&[]).unwrap();
    let c = out.split("# Node C output:\n").nth(1).unwrap();
    let lines: Vec<&str> = c.lines().take(3).collect();
    assert_eq!(
        lines,
        [
            "[PENDING] (2, B): Hello Alice",
            "[DISPLAY] (1, A): Hi",
            "[DISPLAY] (2, B): Hello Alice",
        ]
    );
    assert!(out.ends_with("# 3 nodes displayed 2 messages in the same order: (1, A) (2, B)\n"));
    let busy = lamport_chat_example::render(&args("--nodes 5 --extra 3 --lat-max 400")).unwrap();
    assert!(busy.contains("# 5 nodes displayed 17 messages in the same order"));
    assert!(lamport_chat_example::render(&args("--bogus 1")).is_err());
    assert!(lamport_chat_example::render(&args("--nodes 999"))
        .unwrap()
        .starts_with("# note: nodes = 999 is out of range; using 6"));
}

#[test]
fn snapshot_trigger_example_prints_the_documents_output() {
    let out = snapshot_trigger_example::render(&[]).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[..9],
        [
            "$ ./snapshot_trigger",
            "Snapshot Initiated...",
            "Node 1 State: $50",
            "Node 2 State: $30",
            "Node 3 State: $20",
            "In-flight (2->1): $10",
            "TOTAL: $110 (Matches initial $110)",
            "SUCCESS: Consistent Global State captured.",
            "",
        ]
    );
    assert!(out.contains("# at most 3 snapshots in flight at once"));
    assert_eq!(out.matches("SUCCESS").count(), 4);
    assert!(!out.contains("FAILURE"));
}

#[test]
fn causal_editor_example_buffers_world_until_hello() {
    let out = causal_editor_example::render(&[]).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[2..8],
        [
            "[Node C] Received: \"World\" (VC: {\"A\":1,\"B\":1})",
            "[Node C] Dependency missing (A:1). Local VC is {}. Moving to buffer.",
            "[Node C] buffer: received World {\"A\":1,\"B\":1} — waiting for A:1",
            "[Node C] Received: \"Hello\" (VC: {\"A\":1})",
            "[Node C] Applying: \"Hello\"",
            "[Node C] Dependency met for buffered message. Applying: \"World\"",
        ]
    );
    assert!(out.contains("[A] C:3 stuck waiting for B:2 (500.000 ms)"));
}

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
