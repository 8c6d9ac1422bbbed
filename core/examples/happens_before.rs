//! Runs the Happens-before lab's scenario natively and prints the run: one line per event
//! with its node, kind, Lamport timestamp and vector clock, then a summary. The same seed and
//! parameters give exactly the run the browser lab shows.
//!
//! `cargo run -p chronoscope --example happens_before -- [--seed N] [--nodes N] [--actions N]
//! [--lat-min MS] [--lat-max MS] [--loss PERCENT] [--summary]`

use chronoscope::scenario::happens_before::{self, Params};
use chronoscope::trace::{EventKind, MessageFate};
use std::process::ExitCode;

fn parse_args() -> Result<(Params, bool), String> {
    let mut p = Params::default();
    let mut summary_only = false;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--summary" {
            summary_only = true;
            continue;
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |_| format!("{flag}: '{value}' is not a non-negative whole number");
        match flag.as_str() {
            "--seed" => p.seed = value.parse().map_err(bad)?,
            "--nodes" => p.nodes = value.parse().map_err(bad)?,
            "--actions" => p.actions = value.parse().map_err(bad)?,
            "--lat-min" => p.latency_min_ms = value.parse().map_err(bad)?,
            "--lat-max" => p.latency_max_ms = value.parse().map_err(bad)?,
            "--loss" => p.loss_percent = value.parse().map_err(bad)?,
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok((p, summary_only))
}

fn main() -> ExitCode {
    let (params, summary_only) = match parse_args() {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let (params, notes) = params.clamp();
    for note in notes {
        eprintln!("note: {note}");
    }
    let trace = match happens_before::run(&params) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if !summary_only {
        for e in trace.events() {
            let kind = match e.kind {
                EventKind::Send { to, .. } => format!("send → {to}"),
                EventKind::Receive { from, .. } => format!("recv ← {from}"),
                EventKind::Local => "local".into(),
            };
            println!(
                "#{:<4} {}  {:<10} t={:>9}  L={:<4} V={}",
                e.id.0,
                e.node,
                kind,
                e.true_time.to_string(),
                e.lamport,
                e.vector
            );
        }
    }
    let lost = trace
        .messages()
        .iter()
        .filter(|m| matches!(m.fate, MessageFate::Dropped(_)))
        .count();
    println!(
        "nodes={} events={} messages={} lost={}",
        trace.node_count(),
        trace.events().len(),
        trace.messages().len(),
        lost
    );
    ExitCode::SUCCESS
}
