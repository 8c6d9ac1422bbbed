//! Chandy-Lamport snapshots (source document, project 4). First the document's situation —
//! nodes with $50, $40 and $20, node 2 sending $10 to node 1 just before node 1 snapshots —
//! then a busy run: 5 nodes moving money at random while several snapshots run at once.
//!
//! `cargo run -p chronoscope --example snapshot_trigger -- [--nodes N] [--seed N]
//! [--snapshots N] [--transfers N]`

use chronoscope::scenario::snapshot::{self, Params};
use std::process::ExitCode;

fn parse_args() -> Result<Params, String> {
    let mut p = Params {
        snapshots: 3,
        ..Params::default()
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |_| format!("{flag}: '{value}' is not a non-negative whole number");
        match flag.as_str() {
            "--nodes" => p.nodes = value.parse().map_err(bad)?,
            "--seed" => p.seed = value.parse().map_err(bad)?,
            "--snapshots" => p.snapshots = value.parse().map_err(bad)?,
            "--transfers" => p.transfers = value.parse().map_err(bad)?,
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(p)
}

fn main() -> ExitCode {
    let params = match parse_args() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (params, notes) = params.clamp();
    for n in notes {
        eprintln!("note: {n}");
    }
    println!("$ ./snapshot_trigger");
    println!("Snapshot Initiated...");
    let Ok(doc) = snapshot::document_example() else {
        eprintln!("error: the document example did not run");
        return ExitCode::FAILURE;
    };
    for line in doc.reports.iter().skip(1) {
        println!("{line}");
    }
    println!();
    let run = match snapshot::run(&params) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "# {} nodes with ${} each, {} random transfers each, {} concurrent snapshots (seed {})",
        params.nodes, params.initial_balance, params.transfers, params.snapshots, params.seed
    );
    let mut ok = true;
    for cut in &run.cuts {
        let times: Vec<String> = cut
            .points
            .iter()
            .map(|p| format!("{}@{:.1}ms", p.node, p.at.as_millis_f64()))
            .collect();
        println!("# cut {}: {}", cut.id, times.join(" "));
        ok &= cut.state.as_ref().map(|s| s.total()) == Some(run.initial_total);
    }
    println!(
        "# at most {} snapshots in flight at once",
        run.max_concurrent()
    );
    for line in &run.reports {
        println!("{line}");
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
