//! The metadata cost of detecting conflicts as the cluster grows 3 → 10 → 50 replicas:
//! bytes per stored value for vector clocks, pruned version vectors (Riak-style, cap 8,
//! replica A's clock an hour behind), per-sibling dotted version vectors and DVVSet, and
//! whether each still keeps exactly the right siblings.
//!
//! `cargo run -p chronoscope --example metadata_cost [-- --cap 8] [--skew-ms -3600000]`
use chronoscope::store::metadata::{cost_table, CostParams};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse::<i64>().ok())
    };
    let mut params = CostParams::default();
    if let Some(cap) = arg("--cap") {
        params.prune_cap = cap.max(0) as usize;
    }
    if let Some(skew) = arg("--skew-ms") {
        params.skew_ms = skew;
    }
    let rows = match cost_table(&params) {
        Ok(rows) => rows,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    println!(
        "{} rounds of writes and random gossip, anti-entropy, then one concurrent write per replica; replica A's clock {:+} ms",
        params.rounds, params.skew_ms
    );
    println!(
        "{:>5}  {:<24} {:>8} {:>10} {:>11} {:>9} {:>6} {:>13}  verdict",
        "nodes", "mechanism", "values", "meta B", "B/value", "expected", "lost", "false sibl."
    );
    for r in &rows {
        println!(
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
}
