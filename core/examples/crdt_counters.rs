//! CRDT counters: G-Counter and PN-Counter replicas updating offline and merging, then the
//! simulated run of `scenario::crdt` (one replica partitioned away, gossip every 200 ms).
//!
//! `cargo run -p chronoscope --example crdt_counters [-- --nodes 3] [--offline-ms 2000] [--seed 1]`
//!
//! Values outside their range are clamped, with a note saying so; an unknown flag, a missing
//! value or one that is not a number is an error.
mod common;

use chronoscope::crdt::g_counter::Increment;
use chronoscope::crdt::pn_counter::PnOp;
use chronoscope::crdt::{CvRdt, GCounter, PnCounter, Update};
use chronoscope::node::NodeId;
use chronoscope::scenario::crdt::{run, CounterOp, CounterOutput, Params};
use std::fmt::Write;
use std::process::ExitCode;

fn parse(args: &[String]) -> Result<Params, String> {
    let mut params = Params::default();
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let whole = |_| format!("{flag}: '{value}' is not a non-negative whole number");
        match flag.as_str() {
            "--nodes" => params.nodes = value.parse().map_err(whole)?,
            "--offline-ms" => params.offline_ms = value.parse().map_err(whole)?,
            "--seed" => params.seed = value.parse().map_err(whole)?,
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(params)
}

fn main() -> ExitCode {
    common::run(render)
}

/// Runs the example for `args` and returns what it prints (or the error message).
pub fn render(args: &[String]) -> Result<String, String> {
    let (params, notes) = parse(args)?.clamp();
    let mut out = String::new();
    for n in notes {
        let _ = writeln!(out, "note: {n}");
    }

    let (a, b, c) = (NodeId(0), NodeId(1), NodeId(2));

    let _ = writeln!(
        out,
        "== G-Counter: three replicas increment offline, then merge =="
    );
    let mut g = [
        GCounter::default(),
        GCounter::default(),
        GCounter::default(),
    ];
    for (i, (node, by)) in [(a, 5), (b, 3), (c, 2)].into_iter().enumerate() {
        if g[i].try_apply(Increment { node, by }).is_ok() {
            let _ = writeln!(
                out,
                "Node {node}: +{by:<3} state {:<16} value {}",
                g[i].to_string(),
                g[i].value()
            );
        }
    }
    let all = g.iter().fold(GCounter::default(), |acc, s| acc.merged(s));
    let reversed = g
        .iter()
        .rev()
        .fold(GCounter::default(), |acc, s| acc.merged(s));
    let _ = writeln!(
        out,
        "merge A⊔B⊔C      state {:<16} value {}",
        all.to_string(),
        all.value()
    );
    let _ = writeln!(
        out,
        "merge C⊔B⊔A      state {:<16} value {} (commutative)",
        reversed.to_string(),
        reversed.value()
    );
    let _ = writeln!(
        out,
        "merge again      state {:<16} value {} (idempotent)",
        all.merged(&all).to_string(),
        all.merged(&all).value()
    );

    let _ = writeln!(
        out,
        "\n== PN-Counter: increments and decrements, C offline =="
    );
    let mut pn = [
        PnCounter::default(),
        PnCounter::default(),
        PnCounter::default(),
    ];
    let ops = [
        (0, PnOp::Increment { node: a, by: 5 }),
        (1, PnOp::Increment { node: b, by: 3 }),
        (2, PnOp::Decrement { node: c, by: 2 }),
        (0, PnOp::Decrement { node: a, by: 1 }),
    ];
    for (i, op) in ops {
        if pn[i].try_apply(op).is_ok() {
            let (node, sign, by) = match op {
                PnOp::Increment { node, by } => (node, '+', by),
                PnOp::Decrement { node, by } => (node, '-', by),
            };
            let _ = writeln!(
                out,
                "Node {node}: {sign}{by:<3} state {:<22} value {}",
                pn[i].to_string(),
                pn[i].value()
            );
        }
    }
    let ab = pn[0].merged(&pn[1]);
    let _ = writeln!(
        out,
        "A⊔B while C is offline: value {} (C alone: {})",
        ab.value(),
        pn[2].value()
    );
    let healed = ab.merged(&pn[2]);
    let _ = writeln!(
        out,
        "partition heals, C merges: state {healed} value {}",
        healed.value()
    );

    let last = NodeId(params.nodes - 1);
    let _ = writeln!(
        out,
        "\n== simulated: {} replicas, {last} offline for {} ms, gossip every {} ms (seed {}) ==",
        params.nodes, params.offline_ms, params.gossip_ms, params.seed
    );
    let report = run(&params).map_err(|e| e.to_string())?;
    for r in &report.outputs {
        let line = match &r.output {
            CounterOutput::Applied { op, value } => {
                let op = match op {
                    CounterOp::Increment(by) => format!("+{by}"),
                    CounterOp::Decrement(by) => format!("-{by}"),
                };
                let offline = if r.node == last && r.at.as_millis() < i64::from(params.offline_ms) {
                    " (offline)"
                } else {
                    ""
                };
                format!("{op:<4} local value {value}{offline}")
            }
            CounterOutput::Refused { op } => format!("refused {op:?}"),
            CounterOutput::Merged {
                from,
                before,
                after,
            } => {
                format!("merged {from}'s state: {before} -> {after}")
            }
        };
        let _ = writeln!(out, "[{:>6} ms] {}  {line}", r.at.as_millis(), r.node);
    }
    let values: Vec<String> = report
        .finals
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{}={}", NodeId(i as u32), s.value()))
        .collect();
    match report.converged_at {
        Some(t) => writeln!(
            out,
            "converged: {} (expected {}) — last change at {} ms",
            values.join(" "),
            report.expected,
            t.as_millis()
        ),
        None => writeln!(
            out,
            "NOT converged: {} (expected {})",
            values.join(" "),
            report.expected
        ),
    }
    .map_err(|e| e.to_string())?;
    Ok(out)
}
