//! Byzantine-tolerant clock synchronisation: correct clocks stay within a bound with
//! `n ≥ 3f + 1`, and drift apart with `n = 3f` when a two-faced liar is present.
//!
//! ```text
//! cargo run -p chronoscope --example bft_sync                 # the n = 3f+1 vs n = 3f comparison
//! cargo run -p chronoscope --example bft_sync -- --nodes 7 --faulty 2 --f 2 --strategy splitting \
//!     --convergence fta --lie 500 --rounds 60 --seed 3 --verbose
//! ```
//!
//! Strategies: `constant|two-faced|splitting|random|silent`; convergence:
//! `mean|fta|midpoint`.

use chronoscope::node::NodeId;
use chronoscope::scenario::byzantine_sync::{self, BoundOutcome, Params, Strategy};
use chronoscope::scenario::ntp_select;
use chronoscope::sync::marzullo::Interval;
use chronoscope::sync::welch_lynch::{Convergence, RoundOutput};
use chronoscope::time::Span;

/// `println!` into a string, so a golden test can run the example in-process.
macro_rules! say {
    ($out:expr, $($t:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($out, $($t)*);
    }};
}

fn ms(s: Span) -> String {
    format!("{:.3}ms", s.as_millis_f64())
}

fn parse(args: &[String]) -> Result<(Option<Params>, bool), String> {
    let mut p = Params::default();
    let (mut custom, mut verbose) = (false, false);
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        if flag == "--verbose" {
            verbose = true;
            continue;
        }
        custom = true;
        let v = it.next().ok_or(format!("{flag} needs a value"))?;
        let num = || -> Result<u32, String> { v.parse().map_err(|_| format!("{flag}: {v}?")) };
        match flag.as_str() {
            "--nodes" => p.nodes = num()?,
            "--faulty" => p.faulty = num()?,
            "--f" => p.tolerate = num()?,
            "--lie" => p.lie_ms = num()?,
            "--rounds" => p.rounds = num()?,
            "--round" => p.round_ms = num()?,
            "--drift-rate" => p.drift_ppm = num()?,
            "--seed" => p.seed = u64::from(num()?),
            "--strategy" => {
                p.strategy = match v.as_str() {
                    "constant" => Strategy::Constant,
                    "two-faced" => Strategy::TwoFaced,
                    "splitting" => Strategy::Splitting,
                    "random" => Strategy::Random,
                    "silent" => Strategy::Silent,
                    _ => return Err(format!("--strategy {v}?")),
                }
            }
            "--convergence" => {
                p.convergence = match v.as_str() {
                    "mean" => Convergence::Mean,
                    "fta" => Convergence::FaultTolerantAverage,
                    "midpoint" => Convergence::FaultTolerantMidpoint,
                    _ => return Err(format!("--convergence {v}?")),
                }
            }
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok((custom.then_some(p), verbose))
}

fn interval(i: &Interval) -> String {
    format!(
        "[{:+.1}, {:+.1}]ms",
        i.lo.as_millis_f64(),
        i.hi.as_millis_f64()
    )
}

/// Marzullo as NTP uses it: one client, several servers, some lying within the error bars.
fn selection(out: &mut String) {
    let p = ntp_select::Params::default();
    let Ok(run) = ntp_select::run(&p) else {
        return;
    };
    say!(
        out,
        "== NTP-style selection (Marzullo): {} servers (±{}ms), {} lie by +{}ms claiming zero error, f={}",
        p.servers,
        p.error_ms,
        p.liars,
        p.lie_ms,
        p.tolerate
    );
    for (k, r) in run.rounds.iter().enumerate().take(2) {
        say!(
            out,
            "[Round {}] true offset (true time − client clock): {:+.1}ms",
            k + 1,
            r.truth.as_millis_f64()
        );
        for (server, i) in &r.sources {
            let liar = if run.liars.contains(server) {
                " (liar)"
            } else {
                ""
            };
            say!(out, "  → Server {server}: {}{liar}", interval(i));
        }
        if let Some(c) = &r.classic {
            say!(
                out,
                "  → Most sources agree ({}) on {}: {}",
                c.sources,
                interval(&c.interval),
                if r.classic_contains_truth {
                    "contains the truth"
                } else {
                    "MISSES the truth ✗"
                }
            );
        }
        match &r.agreed {
            Ok(a) => say!(
                out,
                "  → Fault-tolerant intersection (≥ {} sources): {}: {}; client error after: {:+.1}ms",
                p.servers - p.tolerate,
                interval(&a.interval),
                if r.contains_truth { "contains the truth ✓" } else { "misses the truth ✗" },
                r.error_after.as_millis_f64()
            ),
            Err(e) => say!(out, "  → no agreement: {e}"),
        }
    }
}

fn describe(p: &Params) -> String {
    format!(
        "n={} f={} liars={} ({:?} ±{}ms), {:?}",
        p.nodes, p.tolerate, p.faulty, p.strategy, p.lie_ms, p.convergence
    )
}

fn report(out: &mut String, p: &Params, verbose: bool) {
    let run = match byzantine_sync::run(p) {
        Ok(r) => r,
        Err(e) => {
            say!(out, "bft_sync: {e}");
            return;
        }
    };
    say!(out, "== {}", describe(p));
    if verbose {
        for (at, node, output) in run.rounds.iter().take(3 * run.correct.len()) {
            if let RoundOutput::Adjusted {
                round,
                estimates,
                correction,
            } = output
            {
                let es: Vec<String> = estimates
                    .iter()
                    .map(|(n, e)| format!("{n}:{:+.1}", e.as_millis_f64()))
                    .collect();
                say!(
                    out,
                    "[T={:.3}s] [Round {round}] Node {node} hears (ms) {} → correction {:+.3}ms",
                    at.as_millis_f64() / 1e3,
                    es.join(" "),
                    correction.as_millis_f64()
                );
            }
        }
    }
    let step = (run.samples.len() / 8).max(1);
    for s in run.samples.iter().step_by(step) {
        let offs: Vec<String> = s
            .offsets
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let who = NodeId(i as u32);
                let mark = if run.correct.contains(&who) { "" } else { "*" };
                format!("{who}{mark}:{:+.1}", o.as_millis_f64())
            })
            .collect();
        say!(
            out,
            "[T={:>6.1}s] offsets (ms) {} | correct skew {}",
            s.at.as_millis_f64() / 1e3,
            offs.join(" "),
            ms(s.correct_skew)
        );
    }
    match (run.bound, run.verdict) {
        (Some(b), BoundOutcome::BoundHeld) => say!(
            out,
            "Bound (n ≥ 3f+1): {} — held: worst skew once converged {} ✓",
            ms(b),
            ms(run.max_skew_converged())
        ),
        (Some(b), BoundOutcome::BoundViolated { at, skew }) => say!(
            out,
            "Bound {}: VIOLATED at T={:.1}s with skew {} ✗",
            ms(b),
            at.as_millis_f64() / 1e3,
            ms(skew)
        ),
        _ => say!(
            out,
            "No bound applies (n ≤ 3f, too many liars, or no fault tolerance): final skew {}",
            ms(run.final_skew())
        ),
    }
    out.push('\n');
}

/// Runs the example for `args` and returns what it prints (or the error message).
pub fn render(args: &[String]) -> Result<String, String> {
    let (custom, verbose) = parse(args)?;
    let mut out = String::new();
    if let Some(p) = custom {
        let (p, notes) = p.clamp();
        for n in notes {
            say!(out, "bft_sync: {n}");
        }
        report(&mut out, &p, verbose);
        return Ok(out);
    }
    // The demonstration: one two-faced liar, drifting clocks, 200 rounds of 2 s.
    let base = Params {
        rounds: 200,
        initial_skew_ms: 0,
        ..Params::default()
    };
    say!(
        out,
        "BFT clock sync: the fast half of the correct clocks is told the liar is ahead,"
    );
    say!(
        out,
        "the slow half that it is behind. (* marks a Byzantine node.)\n"
    );
    report(&mut out, &base, verbose);
    report(
        &mut out,
        &Params {
            nodes: 3,
            ..base.clone()
        },
        verbose,
    );
    report(
        &mut out,
        &Params {
            convergence: Convergence::Mean,
            ..base.clone()
        },
        verbose,
    );
    report(
        &mut out,
        &Params {
            nodes: 7,
            faulty: 2,
            tolerate: 2,
            strategy: Strategy::Splitting,
            ..base
        },
        verbose,
    );
    selection(&mut out);
    Ok(out)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match render(&args) {
        Ok(text) => print!("{text}"),
        Err(e) => {
            eprintln!("bft_sync: {e}");
            std::process::exit(2);
        }
    }
}
