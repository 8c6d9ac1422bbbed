//! Chandy-Lamport snapshots (source document, project 4). First the document's situation —
//! nodes with $50, $40 and $20, node 2 sending $10 to node 1 just before node 1 snapshots —
//! then a busy run: 5 nodes moving money at random while several snapshots run at once.
//!
//! `cargo run -p chronoscope --example snapshot_trigger -- [--nodes N] [--seed N]
//! [--snapshots N] [--transfers N] [--window MS]`

use chronoscope::scenario::snapshot::{self, Params};
use std::fmt::Write;
use std::process::ExitCode;

fn parse(args: &[String]) -> Result<Params, String> {
    let mut p = Params {
        snapshots: 3,
        ..Params::default()
    };
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |_| format!("{flag}: '{value}' is not a non-negative whole number");
        match flag.as_str() {
            "--nodes" => p.nodes = value.parse().map_err(bad)?,
            "--seed" => p.seed = value.parse().map_err(bad)?,
            "--snapshots" => p.snapshots = value.parse().map_err(bad)?,
            "--transfers" => p.transfers = value.parse().map_err(bad)?,
            "--window" => p.snapshot_window_ms = value.parse().map_err(bad)?,
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
    let _ = writeln!(out, "$ ./snapshot_trigger");
    let _ = writeln!(out, "Snapshot Initiated...");
    let doc = snapshot::document_example().map_err(|e| e.to_string())?;
    for line in doc.reports.iter().skip(1) {
        let _ = writeln!(out, "{line}");
    }
    let run = snapshot::run(&params).map_err(|e| e.to_string())?;
    let _ = writeln!(
        out,
        "\n# {} nodes with ${} each, {} random transfers each, {} snapshots (seed {})",
        params.nodes, params.initial_balance, params.transfers, params.snapshots, params.seed
    );
    for cut in &run.cuts {
        let times: Vec<String> = cut
            .points
            .iter()
            .map(|p| format!("{}@{:.1}ms", p.node, p.at.as_millis_f64()))
            .collect();
        let _ = writeln!(out, "# cut {}: {}", cut.id, times.join(" "));
    }
    let _ = writeln!(
        out,
        "# at most {} snapshots in flight at once",
        run.max_concurrent()
    );
    for line in &run.reports {
        let _ = writeln!(out, "{line}");
    }
    Ok(out)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match render(&args) {
        Ok(out) => {
            print!("{out}");
            if out.contains("FAILURE") {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
