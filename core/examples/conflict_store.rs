//! The conflict-detecting store's demo script: the same four phases under each conflict
//! strategy, with node A's clock skewed.
//!
//! `cargo run -p chronoscope --example conflict_store [-- --strategy lww|lamport|vclock|dvv|all]
//! [--skew-ms 5000] [--nodes 3] [--latency-ms 50] [--seed 1]`
//!
//! Values outside their range are clamped, with a note saying so; an unknown flag, a missing
//! value or one that is not a number is an error.
mod common;

use chronoscope::scenario::conflict_store::{run, Params};
use chronoscope::store::Strategy;
use std::fmt::Write;
use std::process::ExitCode;

fn parse(args: &[String]) -> Result<(Params, Vec<Strategy>), String> {
    let mut p = Params::default();
    let mut strategies = Strategy::ALL.to_vec();
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let whole = |_| format!("{flag}: '{value}' is not a non-negative whole number");
        match flag.as_str() {
            "--skew-ms" => {
                p.skew_ms = value
                    .parse()
                    .map_err(|_| format!("{flag}: '{value}' is not a whole number of ms"))?
            }
            "--nodes" => p.nodes = value.parse().map_err(whole)?,
            "--latency-ms" => p.latency_ms = value.parse().map_err(whole)?,
            "--seed" => p.seed = value.parse().map_err(whole)?,
            "--strategy" if value == "all" => strategies = Strategy::ALL.to_vec(),
            "--strategy" => {
                let s = Strategy::from_name(value).ok_or_else(|| {
                    format!("unknown strategy '{value}'; use lww, lamport, vclock, dvv or all")
                })?;
                strategies = vec![s];
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok((p, strategies))
}

/// Runs the example for `args` and returns what it prints (or the error message).
pub fn render(args: &[String]) -> Result<String, String> {
    let (params, strategies) = parse(args)?;
    let (params, notes) = params.clamp();
    let mut out = String::new();
    for n in notes {
        let _ = writeln!(out, "note: {n}");
    }
    for strategy in strategies {
        let p = Params {
            strategy,
            ..params.clone()
        };
        let report = run(&p).map_err(|e| e.to_string())?;
        for line in report.transcript() {
            let _ = writeln!(out, "{line}");
        }
        let _ = writeln!(out);
    }
    Ok(out)
}

fn main() -> ExitCode {
    common::run(render)
}
