//! The conflict-detecting store's demo script: the same four phases under each conflict
//! strategy, with node A's clock skewed.
//!
//! `cargo run -p chronoscope --example conflict_store [-- --strategy lww|lamport|vclock|dvv|all]
//! [--skew-ms 5000] [--nodes 3] [--latency-ms 50]`
use chronoscope::scenario::conflict_store::{run, Params};
use chronoscope::store::Strategy;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let mut params = Params::default();
    if let Some(v) = arg("--skew-ms").and_then(|v| v.parse().ok()) {
        params.skew_ms = v;
    }
    if let Some(v) = arg("--nodes").and_then(|v| v.parse().ok()) {
        params.nodes = v;
    }
    if let Some(v) = arg("--latency-ms").and_then(|v| v.parse().ok()) {
        params.latency_ms = v;
    }
    let strategies: Vec<Strategy> = match arg("--strategy").as_deref() {
        None | Some("all") => Strategy::ALL.to_vec(),
        Some(name) => match Strategy::from_name(name) {
            Some(s) => vec![s],
            None => {
                eprintln!("unknown strategy {name:?}; use lww, lamport, vclock, dvv or all");
                std::process::exit(2);
            }
        },
    };
    let (params, notes) = params.clamp();
    for n in notes {
        eprintln!("note: {n}");
    }
    for strategy in strategies {
        let p = Params {
            strategy,
            ..params.clone()
        };
        let report = match run(&p) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(2);
            }
        };
        for line in report.transcript() {
            println!("{line}");
        }
        println!();
    }
}
