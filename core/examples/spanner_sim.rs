//! Spanner's commit wait (Corbett et al. 2012, §4.1.2): a write takes the commit timestamp
//! `s = TT.now().latest` and waits until `TT.after(s)` before its commit becomes visible, so
//! any transaction that starts later (in true time) gets a larger timestamp — external
//! consistency. Prints the source document's `spanner_sim --write` run, then the same
//! Spanner-like workload (`scenario::true_time`) with commit wait on and off.
//!
//! `cargo run -p chronoscope --example spanner_sim -- [--write "Key=1, Val=A"] [--at-ms MS]
//! [--seed N] [--no-workload]`

use chronoscope::clock::{TrueTime, TrueTimeConfig};
use chronoscope::scenario::true_time::{self, Params};
use chronoscope::time::{Instant, Span};

fn ms(t: Instant) -> String {
    format!("{:.3}ms", t.as_millis_f64())
}

/// Runs the example with `args` (without the program name) and returns what it prints.
pub fn render(args: &[String]) -> Result<String, String> {
    let mut write = String::from("Key=1, Val=A");
    let mut at_ms: i64 = 25_000;
    let mut seed = 1u64;
    let mut workload = true;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "--write" => write = value("--write")?,
            "--at-ms" => {
                let v = value("--at-ms")?;
                at_ms = v
                    .parse()
                    .map_err(|_| format!("--at-ms: '{v}' is not a whole number of ms"))?;
                if !(0..=30_000).contains(&at_ms) {
                    return Err(format!(
                        "--at-ms: {at_ms} is outside one sync period (0..=30000)"
                    ));
                }
            }
            "--seed" => {
                let v = value("--seed")?;
                seed = v
                    .parse()
                    .map_err(|_| format!("--seed: '{v}' is not a non-negative whole number"))?;
            }
            "--no-workload" => workload = false,
            other => return Err(format!("unknown option {other}")),
        }
    }
    let mut out = String::new();
    // One write on a node whose clock synced `at_ms` ago (the sawtooth: ε = 1 ms + 200 µs/s).
    let synced = Instant::from_millis(1_000);
    let tt = TrueTime::new(TrueTimeConfig::default(), synced).map_err(|e| e.to_string())?;
    let local = synced + Span::from_millis(at_ms);
    let now = tt.now(local);
    let epsilon = tt.epsilon(local);
    out += &format!("[Client] Write \"{write}\"\n");
    out += &format!(
        "[TrueTime] Now: [{}, {}] (Epsilon: {})\n",
        ms(now.earliest),
        ms(now.latest),
        ms(Instant::ZERO + epsilon)
    );
    let s = now.latest;
    out += &format!("[Spanner] Assigned Commit Timestamp: {}\n", ms(s));
    let wait = tt.commit_wait(local, s);
    out += &format!(
        "[Spanner] WAIT: Sleeping for {} to ensure safety...\n",
        ms(Instant::ZERO + wait)
    );
    if !tt.after(local + wait, s) {
        return Err("commit wait ended before TT.after(s) held".into());
    }
    out += &format!(
        "[Spanner] COMMIT SUCCESS: TT.after({}) holds at local {}.\n",
        ms(s),
        ms(local + wait)
    );
    if workload {
        out += "\nWorkload (scenario::true_time): roots plus follow-ups started by their commit notices\n";
        for commit_wait in [true, false] {
            let params = Params {
                seed,
                commit_wait,
                ..Params::default()
            };
            let run = true_time::run(&params).map_err(|e| e.to_string())?;
            let violations: Vec<_> = run.violations().collect();
            let waits: Vec<f64> = run.txns.iter().map(|t| t.wait.as_millis_f64()).collect();
            let mean_wait = waits.iter().sum::<f64>() / waits.len().max(1) as f64;
            let mean_eps = run
                .txns
                .iter()
                .map(|t| (t.interval.latest - t.interval.earliest).as_millis_f64() / 2.0)
                .sum::<f64>()
                / run.txns.len().max(1) as f64;
            out += &format!(
                "commit wait {:<3}: {} transactions, {} ordered pairs checked, {} external-consistency violation(s); mean commit wait {:.2} ms = {:.2} × mean ε ({:.2} ms)\n",
                if commit_wait { "on" } else { "off" },
                run.txns.len(),
                run.pairs.len(),
                violations.len(),
                mean_wait,
                if mean_eps > 0.0 { mean_wait / mean_eps } else { 0.0 },
                mean_eps
            );
        }
    }
    Ok(out)
}

#[allow(dead_code)]
fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match render(&args) {
        Ok(out) => {
            print!("{out}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
