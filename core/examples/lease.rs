//! Leases with fencing tokens: a worker paused (GC) past its lease wakes up and writes with
//! a stale token. With fencing the store rejects it; without, the data is corrupted.
//!
//! ```text
//! cargo run -p chronoscope --example lease                      # the document's run, then variants
//! cargo run -p chronoscope --example lease -- --no-fencing --times
//! cargo run -p chronoscope --example lease -- --pause 0 --a-drift -200000 --a-write 4500 --b-write 200
//! ```
//!
//! Flags: `--no-fencing`, `--lease MS`, `--pause MS`, `--a-write MS`, `--b-acquire MS`,
//! `--b-write MS`, `--a-drift PPM`, `--server-drift PPM`, `--margin MS`, `--seed N`,
//! `--times` (prefix true times), `--verbose` (every step).

use chronoscope::lease::fenced_lock::{LeaseOutput, SERVER};
use chronoscope::lease::fencing::WriteError;
use chronoscope::node::NodeId;
use chronoscope::scenario::lease::{self, Happening, Params, Run};

/// `println!` into a string, so a golden test can run the example in-process.
macro_rules! say {
    ($out:expr, $($t:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($out, $($t)*);
    }};
}

fn who(node: NodeId) -> String {
    if node == SERVER {
        "Server".to_string()
    } else {
        format!("Worker {}", NodeId(node.0 - 1))
    }
}

fn print(out: &mut String, run: &Run, times: bool, verbose: bool) {
    let mut paused = std::collections::BTreeSet::new();
    let mut expired = std::collections::BTreeSet::new();
    let granted: std::collections::BTreeSet<u64> = run
        .timeline
        .iter()
        .filter_map(|l| match l.what {
            Happening::Output(LeaseOutput::Granted { token, .. }) => Some(token),
            _ => None,
        })
        .collect();
    for line in &run.timeline {
        let text = match &line.what {
            Happening::Paused(span) => {
                paused.insert(line.node);
                Some(format!(
                    "GC PAUSE ({} seconds)...",
                    span.as_millis_f64() / 1e3
                ))
            }
            Happening::Output(o) => match o {
                LeaseOutput::Acquired { token, .. } => {
                    Some(format!("Acquired Lease (Token: {token})"))
                }
                // An expiry nobody was waiting for is only shown in verbose mode.
                LeaseOutput::Expired { token, .. } if !verbose && !granted.contains(&(token + 1)) => {
                    expired.insert(*token);
                    None
                }
                LeaseOutput::Expired { token, .. } => {
                    let first = expired.is_empty();
                    expired.insert(*token);
                    Some(if first && !verbose {
                        "Lease Expired.".to_string()
                    } else {
                        format!("Lease Expired (Token: {token}).")
                    })
                }
                LeaseOutput::WriteSent { token, .. } if paused.remove(&line.node) => Some(format!(
                    "Wakes up, tries to write with Token {token}..."
                )),
                LeaseOutput::WriteSent { token, .. } if expired.contains(token) => Some(format!(
                    "Writes with Token {token} (still valid by its own clock)..."
                )),
                LeaseOutput::WriteDone { token, result: Ok(()) } => {
                    Some(format!("Write Success (Token: {token})"))
                }
                LeaseOutput::Rejected {
                    error: WriteError::StaleToken { highest, .. },
                    ..
                } => Some(format!("REJECTED: Higher Token ({highest}) already used.")),
                LeaseOutput::Accepted { token, .. }
                    if run.accepted.iter().any(|a| a.token > *token) =>
                {
                    Some(format!(
                        "ACCEPTED stale write with Token {token} after a higher token's: data corrupted!"
                    ))
                }
                LeaseOutput::CheckFailed { token } => Some(format!(
                    "Lease (Token: {token}) ran out by my clock: not writing."
                )),
                other if verbose => Some(format!("{other:?}")),
                _ => None,
            },
        };
        if let Some(text) = text {
            let at = if times {
                format!("[T={:>7.3}s] ", line.at.as_millis_f64() / 1e3)
            } else {
                String::new()
            };
            say!(out, "{at}[{}] {text}", who(line.node));
        }
    }
}

fn summary(out: &mut String, run: &Run) {
    let tokens: Vec<String> = run.accepted.iter().map(|a| a.token.to_string()).collect();
    say!(
        out,
        "  → store accepted tokens [{}]; stale write rejected: {}; data corrupted: {}",
        tokens.join(", "),
        run.stale_rejected,
        run.corrupted
    );
    if let (Some(server), Some(a)) = (run.server_expired_at, run.a_believed_until) {
        say!(out,
            "  → server expired A's lease at T={:.3}s; A's own clock said it lasted until T={:.3}s{}",
            server.as_millis_f64() / 1e3,
            a.as_millis_f64() / 1e3,
            if run.drift_overlap().as_nanos() > 0 {
                format!(
                    " — {:.3}s into B's lease",
                    run.drift_overlap().as_millis_f64() / 1e3
                )
            } else {
                String::new()
            }
        );
    }
}

fn parse(args: &[String]) -> Result<(Option<Params>, bool, bool), String> {
    let mut p = Params::default();
    let (mut custom, mut times, mut verbose) = (false, false, false);
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--times" => times = true,
            "--verbose" => verbose = true,
            "--no-fencing" => {
                custom = true;
                p.fencing = false;
            }
            _ => {
                custom = true;
                let v = it.next().ok_or(format!("{flag} needs a value"))?;
                let n =
                    || -> Result<u32, String> { v.parse().map_err(|_| format!("{flag}: {v}?")) };
                let i =
                    || -> Result<i32, String> { v.parse().map_err(|_| format!("{flag}: {v}?")) };
                match flag.as_str() {
                    "--lease" => p.lease_ms = n()?,
                    "--pause" => p.pause_ms = n()?,
                    "--a-write" => p.a_write_after_ms = n()?,
                    "--b-acquire" => p.b_acquire_ms = n()?,
                    "--b-write" => p.b_write_after_ms = n()?,
                    "--margin" => p.margin_ms = n()?,
                    "--a-drift" => p.a_drift_ppm = i()?,
                    "--server-drift" => p.server_drift_ppm = i()?,
                    "--seed" => p.seed = u64::from(n()?),
                    _ => return Err(format!("unknown flag {flag}")),
                }
            }
        }
    }
    Ok((custom.then_some(p), times, verbose))
}

fn go(out: &mut String, p: &Params, times: bool, verbose: bool) {
    let (p, notes) = p.clone().clamp();
    for n in notes {
        say!(out, "lease: {n}");
    }
    match lease::run(&p) {
        Ok(run) => {
            print(out, &run, times, verbose);
            summary(out, &run);
        }
        Err(e) => say!(out, "lease: {e}"),
    }
}

/// Runs the example for `args` and returns what it prints (or the error message).
pub fn render(args: &[String]) -> Result<String, String> {
    let (custom, times, verbose) = parse(args)?;
    let mut out = String::new();
    if let Some(p) = custom {
        go(&mut out, &p, times, verbose);
        return Ok(out);
    }
    let doc = Params::default();
    go(&mut out, &doc, times, verbose);
    say!(out, "\n--- the same run without fencing ---");
    go(
        &mut out,
        &Params {
            fencing: false,
            ..doc.clone()
        },
        times,
        verbose,
    );
    let drift = Params {
        pause_ms: 0,
        a_drift_ppm: -200_000,
        a_write_after_ms: 4_500,
        b_write_after_ms: 200,
        ..doc.clone()
    };
    say!(
        out,
        "\n--- no pause, but worker A's clock runs 20% slow (lease measured on its own clock) ---"
    );
    go(&mut out, &drift, times, verbose);
    say!(out, "\n--- the same, A keeps a 1.5 s safety margin ---");
    go(
        &mut out,
        &Params {
            margin_ms: 1_500,
            ..drift
        },
        times,
        verbose,
    );
    Ok(out)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match render(&args) {
        Ok(text) => print!("{text}"),
        Err(e) => {
            eprintln!("lease: {e}");
            std::process::exit(2);
        }
    }
}
