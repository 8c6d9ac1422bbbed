//! Event labels are written for people: every lab's default run labels its events in words
//! (`send rumour B#5 to D`), never with the program text of a message (`Rumour { origin: B,
//! number: 5 }`, `Span(25617760)`), and each seeded run pins a few exact labels.
#![cfg(not(target_arch = "wasm32"))]

use chronoscope::scenario::{
    byzantine_sync, causal_broadcast, comparison, conflict_store, crdt, drift, happens_before,
    hybrid_logical, lamport_chat, lease, ntp_select, snapshot, true_time,
};
use chronoscope::trace::{EventKind, Trace};

/// Every lab's default run (and both synchronising drift methods).
fn runs() -> Vec<(&'static str, Trace)> {
    let drift = |method| {
        drift::run(&drift::Params {
            method,
            ..Default::default()
        })
        .unwrap()
        .trace
    };
    vec![
        (
            "happens_before",
            happens_before::run(&Default::default()).unwrap(),
        ),
        (
            "byzantine_sync",
            byzantine_sync::run(&Default::default()).unwrap().trace,
        ),
        (
            "causal_broadcast",
            causal_broadcast::run(&Default::default()).unwrap().trace,
        ),
        (
            "comparison",
            comparison::run(&Default::default()).unwrap().trace,
        ),
        (
            "conflict_store",
            conflict_store::run(&Default::default()).unwrap().trace,
        ),
        ("crdt", crdt::run(&Default::default()).unwrap().trace),
        ("drift cristian", drift(drift::Method::Cristian)),
        ("drift berkeley", drift(drift::Method::Berkeley)),
        (
            "hybrid_logical",
            hybrid_logical::run(&Default::default()).unwrap().trace,
        ),
        (
            "lamport_chat",
            lamport_chat::run(&Default::default()).unwrap().trace,
        ),
        ("lease", lease::run(&Default::default()).unwrap().trace),
        (
            "ntp_select",
            ntp_select::run(&Default::default()).unwrap().trace,
        ),
        (
            "snapshot",
            snapshot::run(&Default::default()).unwrap().trace,
        ),
        (
            "true_time",
            true_time::run(&Default::default()).unwrap().trace,
        ),
    ]
}

/// Pieces of Rust's `Debug` output that a human label never contains.
const PROGRAM_TEXT: [&str; 11] = [
    "{ ", " }", "Span(", "Instant(", "Some(", "Ok(", "Err(", "Id {", "::", "Vec", "[(",
];

#[test]
fn every_lab_labels_its_events_in_words() {
    for (lab, trace) in runs() {
        assert!(!trace.events().is_empty(), "{lab}: no events");
        for e in trace.events() {
            let label = &e.label;
            assert!(
                !label.is_empty() && label != "()",
                "{lab}: event {} has no label",
                e.id.0
            );
            for bit in PROGRAM_TEXT {
                assert!(
                    !label.contains(bit),
                    "{lab}: event {} reads like program text ({bit:?}): {label}",
                    e.id.0
                );
            }
            match e.kind {
                EventKind::Send { to, .. } => assert!(
                    label.starts_with("send ") && label.ends_with(&format!(" to {to}")),
                    "{lab}: {label}"
                ),
                EventKind::Receive { from, .. } => assert!(
                    label.starts_with("recv ") && label.ends_with(&format!(" from {from}")),
                    "{lab}: {label}"
                ),
                EventKind::Local => {}
            }
        }
    }
}

#[test]
fn seeded_runs_pin_their_labels() {
    let labels =
        |trace: &Trace| -> Vec<String> { trace.events().iter().map(|e| e.label.clone()).collect() };
    let hb = labels(&happens_before::run(&Default::default()).unwrap());
    assert!(hb.iter().any(|l| l == "internal step"));
    let rumour = hb.iter().find(|l| l.starts_with("send ")).unwrap();
    let words: Vec<&str> = rumour.split(' ').collect();
    assert_eq!((words[0], words[1], words[3]), ("send", "rumour", "to"));
    let (origin, number) = words[2].split_once('#').unwrap();
    assert!(
        origin.len() == 1 && number.parse::<u32>().is_ok(),
        "{rumour}"
    );

    let chat = labels(&lamport_chat::run(&Default::default()).unwrap().trace);
    for line in [
        "\"Hi\"",
        "send chat (1, A) \"Hi\" to B",
        "pending (1, A) \"Hi\"",
        "display (2, B) \"Hello Alice\"",
    ] {
        assert!(chat.iter().any(|l| l == line), "chat: no {line:?}");
    }
    let bank = labels(&snapshot::run(&Default::default()).unwrap().trace);
    assert!(bank.iter().any(|l| l == "start snapshot #1"), "{bank:?}");
    assert!(bank
        .iter()
        .any(|l| l.starts_with("send marker of snapshot #1 (")));
    let lease = labels(&lease::run(&Default::default()).unwrap().trace);
    assert!(
        lease.iter().any(|l| l == "granted token 101 to B"),
        "{lease:?}"
    );
    assert!(lease
        .iter()
        .any(|l| l.starts_with("store rejected B's write: token 101 is stale")));
}
