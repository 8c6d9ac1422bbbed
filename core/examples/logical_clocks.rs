//! Lamport clocks against vector clocks on one small, scripted exchange (Lamport 1978, §2–3;
//! Fidge 1988; Mattern 1989): every event stamped by both, then pairs of events compared. A
//! Lamport timestamp respects happens-before (a → b ⇒ L(a) < L(b)) but cannot reveal it; the
//! vector clock captures it exactly (a → b ⇔ V(a) < V(b)), so it also tells concurrent events
//! apart. Ends with ShiViz's JSON clock form, read back, and a hostile clock refused.
//!
//! `cargo run -p chronoscope --example logical_clocks` (it takes no options).
mod common;

use chronoscope::clock::{Causality, LamportClock, LamportStamp, VectorClock};
use chronoscope::node::NodeId;
use std::fmt::Write;
use std::process::ExitCode;

/// One node's two clocks.
#[derive(Default)]
struct Node {
    lamport: LamportClock,
    vector: VectorClock,
}

/// A stamped event.
struct Event {
    name: &'static str,
    node: NodeId,
    what: String,
    lamport: u64,
    vector: VectorClock,
}

fn main() -> ExitCode {
    common::run(render)
}

/// Runs the example and returns what it prints (or the error message).
pub fn render(args: &[String]) -> Result<String, String> {
    if let Some(arg) = args.first() {
        return Err(format!("unknown option {arg} (this example takes none)"));
    }
    let (a, b, c) = (NodeId(0), NodeId(1), NodeId(2));
    let mut nodes: [Node; 3] = Default::default();
    let mut events: Vec<Event> = Vec::new();
    let error = |e: chronoscope::clock::ClockError| e.to_string();

    // The script: (name, node, action). A send carries both clocks; a receive merges them.
    enum Step {
        Local,
        Send(&'static str),
        Receive(&'static str),
    }
    let script = [
        ("a1", a, Step::Local),
        ("b1", b, Step::Local),
        ("a2", a, Step::Send("m1")),
        ("c1", c, Step::Local),
        ("b2", b, Step::Receive("m1")),
        ("b3", b, Step::Send("m2")),
        ("c2", c, Step::Receive("m2")),
        ("a3", a, Step::Local),
    ];
    let mut in_flight: Vec<(&'static str, u64, VectorClock)> = Vec::new();
    for (name, node, step) in script {
        let n = &mut nodes[node.index()];
        let what = match step {
            Step::Local => {
                n.lamport.try_tick().map_err(error)?;
                n.vector.try_increment(node).map_err(error)?;
                "local".to_string()
            }
            Step::Send(m) => {
                let stamp = n.lamport.try_send().map_err(error)?;
                n.vector.try_increment(node).map_err(error)?;
                in_flight.push((m, stamp, n.vector.clone()));
                format!("send {m}")
            }
            Step::Receive(m) => {
                let i = in_flight
                    .iter()
                    .position(|(name, ..)| *name == m)
                    .ok_or_else(|| format!("{m} was never sent"))?;
                let (_, stamp, vector) = in_flight.remove(i);
                n.lamport.try_receive(stamp).map_err(error)?;
                n.vector.try_receive(node, &vector).map_err(error)?;
                format!("receive {m}")
            }
        };
        events.push(Event {
            name,
            node,
            what,
            lamport: n.lamport.time(),
            vector: n.vector.clone(),
        });
    }

    let mut out = String::new();
    let _ = writeln!(
        out,
        "== events, each stamped by a Lamport clock and a vector clock =="
    );
    for e in &events {
        let _ = writeln!(
            out,
            "{:<3} at {}  {:<11} Lamport {}  vector {}",
            e.name, e.node, e.what, e.lamport, e.vector
        );
    }

    let _ = writeln!(out, "\n== pairs: what each clock can tell ==");
    let find = |name: &str| events.iter().find(|e| e.name == name);
    for (x, y) in [
        ("a1", "c2"),
        ("a2", "b2"),
        ("c1", "a2"),
        ("a1", "b1"),
        ("a3", "c2"),
    ] {
        let (Some(x), Some(y)) = (find(x), find(y)) else {
            return Err(format!("no event named {x} or {y}"));
        };
        let lamport = match x.lamport.cmp(&y.lamport) {
            core::cmp::Ordering::Less => format!("L {} < {}", x.lamport, y.lamport),
            core::cmp::Ordering::Greater => format!("L {} > {}", x.lamport, y.lamport),
            core::cmp::Ordering::Equal => format!("L {} = {}", x.lamport, y.lamport),
        };
        let causality = x.vector.compare(&y.vector);
        let verdict = match causality {
            Causality::Before => format!("{} happened before {}", x.name, y.name),
            Causality::After => format!("{} happened before {}", y.name, x.name),
            Causality::Equal => "the same event".to_string(),
            Causality::Concurrent if x.lamport != y.lamport => {
                "concurrent: a smaller Lamport time does not mean happened-before".to_string()
            }
            Causality::Concurrent => "concurrent (equal Lamport times)".to_string(),
        };
        let _ = writeln!(
            out,
            "{} vs {}: {lamport}; vector: {causality} -> {verdict}",
            x.name, y.name
        );
    }

    let _ = writeln!(out, "\n== a total order: (Lamport time, node) ==");
    let mut order: Vec<(LamportStamp, &str)> = events
        .iter()
        .map(|e| {
            let stamp = LamportStamp {
                time: e.lamport,
                node: e.node,
            };
            (stamp, e.name)
        })
        .collect();
    order.sort_by_key(|(stamp, _)| (stamp.time, stamp.node));
    let line: Vec<String> = order.iter().map(|(s, n)| format!("{n}{s}")).collect();
    let _ = writeln!(out, "{}", line.join(" < "));

    let _ = writeln!(out, "\n== ShiViz's JSON clock form ==");
    let last = events.last().ok_or("no events")?;
    let text = last.vector.to_string();
    let back = VectorClock::parse_shiviz(&text).map_err(|e| e.to_string())?;
    let _ = writeln!(
        out,
        "{}'s clock as ShiViz writes it: {text}; read back equal: {}",
        last.name,
        back == last.vector
    );
    let hostile = r#"{"A":18446744073709551615}"#;
    let mut receiver = VectorClock::new();
    match VectorClock::parse_shiviz(hostile) {
        Ok(remote) => match receiver.try_receive(a, &remote) {
            Ok(_) => {
                let _ = writeln!(out, "hostile clock {hostile} accepted (should not be)");
            }
            Err(e) => {
                let _ = writeln!(
                    out,
                    "receiving {hostile}: refused ({e}); clock still {receiver}"
                );
            }
        },
        Err(e) => {
            let _ = writeln!(out, "parsing {hostile}: refused ({e})");
        }
    }
    Ok(out)
}
