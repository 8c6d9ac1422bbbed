//! The metadata cost of detecting conflicts as the cluster grows 3 → 10 → 50 replicas:
//! bytes per stored value for vector clocks, pruned version vectors (Riak-style, cap 8,
//! replica A's clock an hour behind), per-sibling dotted version vectors and DVVSet, and
//! whether each still keeps exactly the right siblings.
//!
//! `cargo run -p chronoscope --example metadata_cost [-- --cap 8] [--skew-ms -3600000]`
//!
//! An unknown flag, a missing value or one that is not a number is an error.
mod common;

use chronoscope::store::metadata::{cost_table, CostParams};
use std::fmt::Write;
use std::process::ExitCode;

fn parse(args: &[String]) -> Result<CostParams, String> {
    let mut params = CostParams::default();
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--cap" => {
                params.prune_cap = value
                    .parse()
                    .map_err(|_| format!("{flag}: '{value}' is not a non-negative whole number"))?
            }
            "--skew-ms" => {
                params.skew_ms = value
                    .parse()
                    .map_err(|_| format!("{flag}: '{value}' is not a whole number of ms"))?
            }
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
    let params = parse(args)?;
    let rows = cost_table(&params).map_err(|e| e.to_string())?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} rounds of writes and random gossip, anti-entropy, then one concurrent write per replica; replica A's clock {:+} ms",
        params.rounds, params.skew_ms
    );
    let _ = writeln!(
        out,
        "{:>5}  {:<24} {:>8} {:>10} {:>11} {:>9} {:>6} {:>13}  verdict",
        "nodes", "mechanism", "values", "meta B", "B/value", "expected", "lost", "false sibl."
    );
    for r in &rows {
        let _ = writeln!(
            out,
            "{:>5}  {:<24} {:>8} {:>10} {:>11} {:>9} {:>6} {:>13}  {}",
            r.nodes,
            r.mechanism.to_string(),
            r.values,
            r.metadata_bytes,
            r.bytes_per_value(),
            r.expected_siblings,
            r.lost_writes,
            r.false_siblings,
            if r.correct() {
                "siblings exact"
            } else if r.lost_writes > 0 {
                "WRITES LOST (false descends)"
            } else {
                "false siblings"
            }
        );
    }
    Ok(out)
}
