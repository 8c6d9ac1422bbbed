//! Causal multicast for a collaborative editor (source document, project 5), driven the way
//! a browser tab drives it: no simulator, just [`CausalQueue`] values passed between peers.
//! A types "Hello", B sees it and types "World", C receives "World" first and buffers it
//! until "Hello" arrives. Then a simulated run with a lossy network and no retransmission
//! shows hold-back timeouts reported as "stuck waiting for X:n".
//!
//! `cargo run -p chronoscope --example causal_editor -- [--seed N] [--loss PERCENT]`

use chronoscope::broadcast::causal::{CausalMessage, CausalQueue, Receipt};
use chronoscope::node::NodeId;
use chronoscope::scenario::causal_broadcast::{self, Params};
use chronoscope::time::Instant;
use std::process::ExitCode;

fn receive(queue: &mut CausalQueue<&'static str>, m: CausalMessage<&'static str>) {
    let me = queue.node();
    println!("[Node {me}] Received: {:?} (VC: {})", m.payload, m.clock);
    match queue.receive(m, Instant::ZERO) {
        Err(e) => println!("[Node {me}] REJECTED: {e}"),
        Ok(Receipt::Duplicate) => println!("[Node {me}] Duplicate, ignored."),
        Ok(Receipt::Held { waiting_for }) => println!(
            "[Node {me}] Dependency missing ({waiting_for}). Local VC is {}. Moving to buffer.",
            queue.delivered()
        ),
        Ok(Receipt::Delivered(list)) => {
            for (k, d) in list.iter().enumerate() {
                if k == 0 {
                    println!("[Node {me}] Applying: {:?}", d.payload);
                } else {
                    println!(
                        "[Node {me}] Dependency met for buffered message. Applying: {:?}",
                        d.payload
                    );
                }
            }
        }
    }
}

fn main() -> ExitCode {
    let mut params = Params {
        loss_percent: 20,
        messages: 4,
        stuck_after_ms: 500,
        ..Params::default()
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let Some(value) = args.next().and_then(|v| v.parse::<u64>().ok()) else {
            eprintln!("error: {flag} needs a whole number");
            return ExitCode::FAILURE;
        };
        match flag.as_str() {
            "--seed" => params.seed = value,
            "--loss" => params.loss_percent = u32::try_from(value).unwrap_or(u32::MAX),
            other => {
                eprintln!("error: unknown option {other}");
                return ExitCode::FAILURE;
            }
        }
    }
    let (a, b, c) = (NodeId(0), NodeId(1), NodeId(2));
    let (mut qa, mut qb, mut qc) = (
        CausalQueue::new(a),
        CausalQueue::new(b),
        CausalQueue::new(c),
    );
    let hello = qa.broadcast("Hello");
    receive(&mut qb, hello.clone());
    let world = qb.broadcast("World");
    receive(&mut qc, world);
    for w in qc.waiting() {
        println!("[Node C] buffer: {w}");
    }
    receive(&mut qc, hello);
    let _ = &mut qa;

    let (params, notes) = params.clamp();
    for n in notes {
        eprintln!("note: {n}");
    }
    println!();
    println!(
        "# {} nodes, {} broadcasts each, {}% loss, no retransmission (seed {})",
        params.nodes, params.messages, params.loss_percent, params.seed
    );
    let run = match causal_broadcast::run(&params) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    for line in &run.lines {
        println!("{line}");
    }
    for v in &run.nodes {
        let ids: Vec<String> = v.delivery.iter().map(|i| i.to_string()).collect();
        println!("# {} delivered {}: {}", v.node, ids.len(), ids.join(" "));
    }
    println!(
        "# stuck reports: {}, peak hold-back queue: {}",
        run.stuck.len(),
        run.peak_held
    );
    ExitCode::SUCCESS
}
