//! Drifting clocks kept together (or not) by Cristian's algorithm or Berkeley.
//!
//! ```text
//! cargo run -p chronoscope --example drift_sim -- --nodes 3 --drift-rate 50ppm --sync berkeley --interval 20
//! ```
//!
//! Other flags: `--sync cristian|none`, `--duration S`, `--tick MS`, `--latency MIN-MAX`
//! (ms), `--asymmetry MS`, `--initial-skew MS`, `--adjust step|slew|hybrid`, `--slew PPM`,
//! `--seed N`, `--jump MS` (a clock jump, like the document's `j` key) with `--jump-at S`
//! (default 25) and `--jump-node X` (default C).

use chronoscope::node::NodeId;
use chronoscope::scenario::drift::{self, AdjustMode, Method, Params, Sample, SyncEvent};
use chronoscope::time::{Instant, Span};

/// `println!` into a string, so a golden test can run the example in-process.
macro_rules! say {
    ($out:expr) => {{
        $out.push('\n');
    }};
    ($out:expr, $($t:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($out, $($t)*);
    }};
}

fn secs(t: Instant) -> String {
    format!("{:.3}s", t.as_nanos() as f64 / 1e9)
}

fn micros(s: Span) -> String {
    format!("{:.6}s", s.as_nanos() as f64 / 1e9)
}

fn signed(s: Span) -> String {
    format!("{:+.6}s", s.as_nanos() as f64 / 1e9)
}

fn parse(args: &[String]) -> Result<Params, String> {
    let mut p = Params::default();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{flag} needs a value"));
        let num = |v: String| -> Result<u32, String> {
            v.trim_end_matches("ppm")
                .trim_end_matches("ms")
                .trim_end_matches('s')
                .parse()
                .map_err(|_| format!("{flag}: not a number: {v}"))
        };
        match flag.as_str() {
            "--nodes" => p.nodes = num(value()?)?,
            "--drift-rate" => p.drift_ppm = num(value()?)?,
            "--interval" => p.interval_s = num(value()?)?,
            "--duration" => p.duration_s = num(value()?)?,
            "--tick" => p.tick_ms = num(value()?)?,
            "--asymmetry" => p.asymmetry_ms = num(value()?)?,
            "--initial-skew" => p.initial_skew_ms = num(value()?)?,
            "--slew" => p.slew_ppm = num(value()?)?,
            "--seed" => {
                p.seed = value()?.parse().map_err(|_| "--seed: not a number")?;
            }
            "--jump" => {
                p.jump_ms = value()?.parse().map_err(|_| "--jump: not a number")?;
                if p.jump_at_s == 0 {
                    p.jump_at_s = 25;
                }
                if p.jump_node == 0 {
                    p.jump_node = 2;
                }
            }
            "--jump-at" => p.jump_at_s = num(value()?)?,
            "--jump-node" => {
                let v = value()?;
                p.jump_node = NodeId::from_name(&v).ok_or(format!("--jump-node {v}?"))?.0;
            }
            "--latency" => {
                let v = value()?;
                let (lo, hi) = v.split_once('-').ok_or("--latency wants MIN-MAX")?;
                p.latency_min_ms = num(lo.to_string())?;
                p.latency_max_ms = num(hi.to_string())?;
            }
            "--sync" => {
                p.method = match value()?.as_str() {
                    "berkeley" => Method::Berkeley,
                    "cristian" => Method::Cristian,
                    "none" => Method::None,
                    other => return Err(format!("--sync {other}: want berkeley|cristian|none")),
                }
            }
            "--adjust" => {
                p.adjust = match value()?.as_str() {
                    "step" => AdjustMode::Step,
                    "slew" => AdjustMode::Slew,
                    "hybrid" => AdjustMode::Hybrid,
                    other => return Err(format!("--adjust {other}: want step|slew|hybrid")),
                }
            }
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(p)
}

fn print_sample(out: &mut String, s: &Sample, bound: Span) {
    let nodes: Vec<String> = s
        .readings
        .iter()
        .enumerate()
        .map(|(i, r)| format!("Node {}: {}", NodeId(i as u32), secs(*r)))
        .collect();
    let mark = if s.skew <= bound { " ✓" } else { "" };
    say!(
        out,
        "[T={}] {} | Skew: {}{mark}",
        secs(s.at),
        nodes.join(" | "),
        micros(s.skew)
    );
}

fn print_sync(out: &mut String, event: &SyncEvent) {
    match event {
        SyncEvent::Berkeley { at, report } => {
            say!(out, "[T={}] ⚡ SYNC EVENT (Berkeley Algorithm)", secs(*at));
            say!(
                out,
                "  → Leader (Node {}) requests timestamps from all nodes (its clock: {})",
                report.leader,
                secs(report.polled_at)
            );
            for s in report.samples.iter().filter(|s| s.node != report.leader) {
                let half = Span::from_nanos(s.rtt.as_nanos() / 2);
                let outlier = if s.outlier {
                    " — OUTLIER, not averaged"
                } else {
                    ""
                };
                say!(
                    out,
                    "  → Node {} reports: {} (RTT: {}ms, adjusted: {:.3} - {:.3} = {}){outlier}",
                    s.node,
                    secs(s.reported),
                    s.rtt.as_nanos() / 1_000_000,
                    s.reported.as_nanos() as f64 / 1e9,
                    half.as_nanos() as f64 / 1e9,
                    secs(s.adjusted)
                );
            }
            for m in &report.missing {
                say!(out, "  → Node {m} did not answer in time");
            }
            say!(out, "  → Computed average: {}", secs(report.average));
            let deltas: Vec<String> = report
                .samples
                .iter()
                .map(|s| format!("{}: {}", s.node, signed(s.delta)))
                .collect();
            say!(out, "  → Sending adjustments: {}", deltas.join(", "));
        }
        SyncEvent::Cristian {
            at,
            node,
            exchange,
            applied,
        } => {
            let verdict = if *applied {
                "applied"
            } else {
                "discarded (RTT too long)"
            };
            say!(
                out,
                "[T={}] ⚡ SYNC EVENT (Cristian) Node {node}: server said {}, RTT {:.1}ms, \
                 received at {} → offset {} ({verdict})",
                secs(*at),
                secs(exchange.server_time),
                exchange.rtt.as_millis_f64(),
                secs(exchange.received_at),
                signed(exchange.offset)
            );
        }
    }
}

/// Runs the example for `args` and returns what it prints (or the error message).
pub fn render(args: &[String]) -> Result<String, String> {
    let params = parse(args)?;
    let (params, notes) = params.clamp();
    let mut out = String::new();
    for n in notes {
        say!(out, "drift_sim: {n}");
    }
    let run = drift::run(&params).map_err(|e| e.to_string())?;
    let per_day = f64::from(params.drift_ppm) * 86_400.0 / 1e6;
    say!(
        out,
        "Simulating {} nodes with {}ppm drift (~{per_day:.1} seconds/day)",
        params.nodes,
        params.drift_ppm
    );
    let rates: Vec<String> = run
        .drift_ppm
        .iter()
        .enumerate()
        .map(|(i, d)| format!("{}: {d:+.2}ppm", NodeId(i as u32)))
        .collect();
    say!(out, "Drift rates: {}", rates.join(", "));
    say!(
        out,
        "Network latency: {}-{}ms (random){}",
        params.latency_min_ms,
        params.latency_max_ms,
        if params.asymmetry_ms > 0 {
            format!(
                ", +{}ms on every path out of the leader",
                params.asymmetry_ms
            )
        } else {
            String::new()
        }
    );
    say!(
        out,
        "Skew bound after sync (jitter + asymmetry + drift): {}",
        micros(run.bound)
    );
    // Interleave samples and sync reports by true time.
    let mut syncs = run.syncs.iter().peekable();
    let jump_at = Instant::from_millis(i64::from(params.jump_at_s) * 1_000);
    let mut jump_told = params.jump_ms == 0;
    for s in &run.samples {
        if !jump_told && s.at >= jump_at {
            jump_told = true;
            say!(
                out,
                "[T={}] ⚠ Node {}'s clock jumps {}",
                secs(jump_at),
                NodeId(params.jump_node),
                signed(Span::from_millis(params.jump_ms.into()))
            );
        }
        while let Some(e) = syncs.peek() {
            if e.at() > s.at {
                break;
            }
            print_sync(&mut out, e);
            syncs.next();
        }
        print_sample(&mut out, s, run.bound);
    }
    for e in syncs {
        print_sync(&mut out, e);
    }
    match run.max_skew_in_sync() {
        Some(worst) => say!(
            out,
            "Worst skew once synchronised: {} (bound {})",
            micros(worst),
            micros(run.bound)
        ),
        None => say!(out, "Never synchronised: skew grows without bound."),
    }
    let jitter = i64::from(params.latency_max_ms - params.latency_min_ms) * 1_000_000;
    let drift = 2.0 * f64::from(params.drift_ppm) * 1e-6 * f64::from(params.interval_s) * 1e9;
    if params.method != Method::None && jitter as f64 > drift {
        say!(
            out,
            "Note: latency jitter ({}ms) exceeds the drift between syncs ({:.3}ms): \
             the sync cannot be more precise than the network.",
            jitter / 1_000_000,
            drift / 1e6
        );
    }
    Ok(out)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match render(&args) {
        Ok(text) => print!("{text}"),
        Err(e) => {
            eprintln!("drift_sim: {e}");
            std::process::exit(2);
        }
    }
}
