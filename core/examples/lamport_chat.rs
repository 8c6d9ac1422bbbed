//! The Lamport chat (source document, project 2): A says "Hi", B replies "Hello Alice", and
//! the link from A to the last node is delayed, so that node receives the reply first. It
//! holds the reply as `[PENDING]` until the total order `(time, node)` is stable, then
//! displays both in the same order as everyone else.
//!
//! `cargo run -p chronoscope --example lamport_chat -- [--nodes N] [--seed N] [--extra N]
//! [--slow-ms MS] [--lat-min MS] [--lat-max MS]`
mod common;

use chronoscope::node::NodeId;
use chronoscope::scenario::lamport_chat::{self, Params};
use std::fmt::Write;
use std::process::ExitCode;

fn parse(args: &[String]) -> Result<Params, String> {
    let mut p = Params::default();
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |_| format!("{flag}: '{value}' is not a non-negative whole number");
        match flag.as_str() {
            "--nodes" => p.nodes = value.parse().map_err(bad)?,
            "--seed" => p.seed = value.parse().map_err(bad)?,
            "--extra" => p.extra_messages = value.parse().map_err(bad)?,
            "--slow-ms" => p.slow_link_ms = value.parse().map_err(bad)?,
            "--lat-min" => p.latency_min_ms = value.parse().map_err(bad)?,
            "--lat-max" => p.latency_max_ms = value.parse().map_err(bad)?,
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(p)
}

/// Runs the example for `args` and returns what it prints (or the error message).
pub fn render(args: &[String]) -> Result<String, String> {
    let (params, notes) = parse(args)?.clamp();
    let mut out = String::new();
    for n in notes {
        let _ = writeln!(out, "# note: {n}");
    }
    let run = lamport_chat::run(&params).map_err(|e| e.to_string())?;
    let last = NodeId(params.nodes - 1);
    let _ = writeln!(out, "# Node A sends \"Hi\" (TS: 1, Node: A)");
    let _ = writeln!(
        out,
        "# Node B receives \"Hi\", sends \"Hello Alice\" (TS: 2, Node: B)"
    );
    let _ = writeln!(
        out,
        "# Link A -> {last} is {} ms slower: node {last} may receive \"Hello Alice\" FIRST",
        params.slow_link_ms
    );
    for view in &run.nodes {
        let _ = writeln!(out, "# Node {} output:", view.node);
        for line in &view.lines {
            let _ = writeln!(out, "{line}");
        }
    }
    let order = &run.nodes[0].display;
    let agree = run.nodes.iter().all(|v| &v.display == order);
    let stamps: Vec<String> = order.iter().map(|s| s.to_string()).collect();
    let _ = writeln!(
        out,
        "# {} nodes displayed {} messages in {} order: {}",
        run.nodes.len(),
        order.len(),
        if agree { "the same" } else { "DIFFERENT" },
        stamps.join(" ")
    );
    Ok(out)
}

fn main() -> ExitCode {
    common::run(render)
}
