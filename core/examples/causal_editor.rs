//! Causal multicast for a collaborative editor (source document, project 5), driven the way
//! a browser tab drives it: no simulator, just [`CausalQueue`] values passed between peers.
//! A types "Hello", B sees it and types "World", C receives "World" first and buffers it
//! until "Hello" arrives. Then a simulated run with a lossy network and no retransmission
//! shows hold-back timeouts reported as "stuck waiting for X:n".
//!
//! `cargo run -p chronoscope --example causal_editor -- [--seed N] [--loss PERCENT]`
mod common;

use chronoscope::broadcast::causal::{CausalMessage, CausalQueue, Receipt};
use chronoscope::node::NodeId;
use chronoscope::scenario::causal_broadcast::{self, Params};
use chronoscope::time::Instant;
use std::fmt::Write;
use std::process::ExitCode;

fn receive(
    out: &mut String,
    queue: &mut CausalQueue<&'static str>,
    m: CausalMessage<&'static str>,
) {
    let me = queue.node();
    let _ = writeln!(
        out,
        "[Node {me}] Received: {:?} (VC: {})",
        m.payload, m.clock
    );
    match queue.receive(m, Instant::ZERO) {
        Err(e) => {
            let _ = writeln!(out, "[Node {me}] REJECTED: {e}");
        }
        Ok(Receipt::Duplicate) => {
            let _ = writeln!(out, "[Node {me}] Duplicate, ignored.");
        }
        Ok(Receipt::Held { waiting_for }) => {
            let _ = writeln!(
                out,
                "[Node {me}] Dependency missing ({waiting_for}). Local VC is {}. Moving to buffer.",
                queue.delivered()
            );
        }
        Ok(Receipt::Delivered(list)) => {
            for (k, d) in list.iter().enumerate() {
                if k == 0 {
                    let _ = writeln!(out, "[Node {me}] Applying: {:?}", d.payload);
                } else {
                    let _ = writeln!(
                        out,
                        "[Node {me}] Dependency met for buffered message. Applying: {:?}",
                        d.payload
                    );
                }
            }
        }
    }
}

/// Runs the example for `args` and returns what it prints (or the error message).
pub fn render(args: &[String]) -> Result<String, String> {
    let mut out = String::new();
    let mut params = Params {
        loss_percent: 20,
        messages: 4,
        stuck_after_ms: 500,
        ..Params::default()
    };
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let Some(value) = args.next().and_then(|v| v.parse::<u64>().ok()) else {
            return Err(format!("{flag} needs a whole number"));
        };
        match flag.as_str() {
            "--seed" => params.seed = value,
            "--loss" => params.loss_percent = u32::try_from(value).unwrap_or(u32::MAX),
            other => return Err(format!("unknown option {other}")),
        }
    }
    let (a, b, c) = (NodeId(0), NodeId(1), NodeId(2));
    let (mut qa, mut qb, mut qc) = (
        CausalQueue::new(a),
        CausalQueue::new(b),
        CausalQueue::new(c),
    );
    let hello = qa.try_broadcast("Hello").map_err(|e| e.to_string())?;
    receive(&mut out, &mut qb, hello.clone());
    let world = qb.try_broadcast("World").map_err(|e| e.to_string())?;
    receive(&mut out, &mut qc, world);
    for w in qc.waiting() {
        let _ = writeln!(out, "[Node C] buffer: {w}");
    }
    receive(&mut out, &mut qc, hello);

    let (params, notes) = params.clamp();
    for n in notes {
        let _ = writeln!(out, "# note: {n}");
    }
    let _ = writeln!(
        out,
        "\n# {} nodes, {} broadcasts each, {}% loss, no retransmission (seed {})",
        params.nodes, params.messages, params.loss_percent, params.seed
    );
    let run = causal_broadcast::run(&params).map_err(|e| e.to_string())?;
    for line in &run.lines {
        let _ = writeln!(out, "{line}");
    }
    for v in &run.nodes {
        let ids: Vec<String> = v.delivery.iter().map(|i| i.to_string()).collect();
        let _ = writeln!(
            out,
            "# {} delivered {}: {}",
            v.node,
            ids.len(),
            ids.join(" ")
        );
    }
    let _ = writeln!(
        out,
        "# stuck reports: {}, peak hold-back queue: {}",
        run.stuck.len(),
        run.peak_held
    );
    Ok(out)
}

fn main() -> ExitCode {
    common::run(render)
}
