//! The Chronos ledger: replicas append values stamped by hybrid logical clocks, spread them
//! by causal broadcast, and a leader elected by a majority lease orders them into offsets
//! under its fencing token. The leader is frozen past its lease (a GC pause): another replica
//! takes the lease with a higher token, and the frozen leader's batch is refused when it
//! wakes. A snapshot is taken, a replica crashes and restores from it, and all agree.
//!
//! ```text
//! cargo run -p chronoscope --example chronos_ledger
//! cargo run -p chronoscope --example chronos_ledger -- --no-fencing
//! cargo run -p chronoscope --example chronos_ledger -- --no-causal --verbose --seed 3
//! ```
//!
//! Flags: `--no-fencing`, `--no-causal`, `--seed N`, `--replicas N`, `--appends N`,
//! `--freeze MS`, `--loss PERCENT`, `--dup PERCENT`, `--times` (prefix true times),
//! `--verbose` (every append and commit).

mod common;

use chronoscope::ledger::replica::LedgerOutput;
use chronoscope::scenario::ledger::{self, Fault, Happening, Line, Params, Run};

/// `println!` into a string, so a golden test can run the example in-process.
macro_rules! say {
    ($out:expr, $($t:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($out, $($t)*);
    }};
}

/// The example's run: the default one, plus a crash of replica C restored from a backup.
pub fn params() -> Params {
    Params {
        freeze_at_ms: 597,
        crash_at_ms: 2_300,
        restore_after_ms: 400,
        ..Params::default()
    }
}

fn line(run: &Run, l: &Line, verbose: bool) -> Option<String> {
    let stale = |token: u64| run.leases.iter().any(|s| s.token > token && s.from <= l.at);
    Some(match &l.what {
        Happening::Fault(f) => match f {
            Fault::Freeze(span) => format!("GC PAUSE ({} seconds)...", span.as_millis_f64() / 1e3),
            Fault::Partition(span) => {
                format!(
                    "PARTITIONED from the others ({} s)",
                    span.as_millis_f64() / 1e3
                )
            }
            Fault::ClockJump(by) => format!("clock jumps by {by}"),
            Fault::Snapshot(id) => format!("starts snapshot {id}"),
            Fault::Crash => "CRASHES (log and queues lost)".to_string(),
            Fault::Restore(Some(id)) => format!("restores from backup {id}"),
            Fault::Restore(None) => "restores empty (no complete backup)".to_string(),
        },
        Happening::Output(o) => {
            match o {
                LedgerOutput::Appended(e) if verbose || e.id.seq <= 2 => {
                    format!("Append {} = {} (HLC {})", e.id, e.value, e.hlc)
                }
                LedgerOutput::Elected { token, adopted, .. } => {
                    format!("Acquired Lease from a majority (Token: {token}), adopting a log of {adopted}")
                }
                LedgerOutput::Shipped {
                    token, from, count, ..
                } if verbose || stale(*token) => format!(
                    "{} offsets {from}..{} with Token {token}",
                    if stale(*token) {
                        "Wakes up, ships"
                    } else {
                        "Ships"
                    },
                    from + count,
                ),
                LedgerOutput::Rejected { error, .. } => format!("REJECTED: {error}"),
                LedgerOutput::Superseded { token, by } => {
                    format!("Steps down: Token {token} superseded by {by}")
                }
                LedgerOutput::LeaseExpired { token } => {
                    format!("Lease (Token: {token}) ran out by its own clock: steps down")
                }
                LedgerOutput::Recorded {
                    id,
                    via,
                    log_len,
                    committed,
                } => format!(
                    "Snapshot {id}: records its log ({log_len} entries, {committed} committed){}",
                    via.map(|v| format!(" on {v}'s marker")).unwrap_or_default()
                ),
                LedgerOutput::BackedUp(part) => format!(
                    "Snapshot {}: part done, {} message(s) recorded in flight",
                    part.id,
                    part.in_flight.len()
                ),
                LedgerOutput::Restored { id, log_len } => {
                    format!("Restored from snapshot {id}: {log_len} entries, catching up")
                }
                LedgerOutput::Refused(e) => format!("Refused: {e}"),
                LedgerOutput::Committed { from, entries, .. } if verbose => {
                    format!("Committed offsets {from}..{}", from + entries.len() as u64)
                }
                LedgerOutput::HeldBack { id, waiting_for } if verbose => {
                    format!("Holds {id} back until {waiting_for} arrives")
                }
                _ => return None,
            }
        }
    })
}

fn print(out: &mut String, run: &Run, times: bool, verbose: bool) {
    for l in &run.timeline {
        let Some(text) = line(run, l, verbose) else {
            continue;
        };
        let at = if times {
            format!("[T={:>7.3}s] ", l.at.as_millis_f64() / 1e3)
        } else {
            String::new()
        };
        say!(out, "{at}[Replica {}] {text}", l.node);
    }
    let live: Vec<_> = run.replicas.iter().filter(|r| !r.is_down()).collect();
    let committed = live.first().map_or(0, |r| r.state().log.committed_len());
    let tokens: std::collections::BTreeSet<u64> = live
        .first()
        .map(|r| r.state().log.committed().iter().map(|l| l.token).collect())
        .unwrap_or_default();
    for v in &run.verdicts {
        match &v.broken {
            None => say!(out, "  ✓ {}", v.name),
            Some(why) => say!(out, "  ✗ {}: {why}", v.name),
        }
    }
    if run.all_hold() {
        say!(
            out,
            "all replicas agree: {committed} entries committed (tokens {}), every log extends happens-before",
            tokens.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
        );
    } else {
        say!(out, "replicas DISAGREE or an invariant broke (see ✗ above)");
    }
}

fn parse(args: &[String]) -> Result<(Params, bool, bool), String> {
    let mut p = params();
    let (mut times, mut verbose) = (false, false);
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--times" => times = true,
            "--verbose" => verbose = true,
            "--no-fencing" => p.fencing = false,
            "--no-causal" => p.causal = false,
            _ => {
                let v = it.next().ok_or(format!("{flag} needs a value"))?;
                let n =
                    || -> Result<u32, String> { v.parse().map_err(|_| format!("{flag}: {v}?")) };
                match flag.as_str() {
                    "--seed" => p.seed = u64::from(n()?),
                    "--replicas" => p.replicas = n()?,
                    "--appends" => p.appends = n()?,
                    "--freeze" => p.freeze_ms = n()?,
                    "--loss" => p.loss_percent = n()?,
                    "--dup" => p.duplicate_percent = n()?,
                    _ => return Err(format!("unknown flag {flag}")),
                }
            }
        }
    }
    Ok((p, times, verbose))
}

/// Runs the example for `args` and returns what it prints (or the error message).
pub fn render(args: &[String]) -> Result<String, String> {
    let (p, times, verbose) = parse(args)?;
    let (p, notes) = p.clamp();
    let mut out = String::new();
    for n in notes {
        say!(out, "chronos_ledger: {n}");
    }
    let run = ledger::run(&p).map_err(|e| e.to_string())?;
    print(&mut out, &run, times, verbose);
    Ok(out)
}

fn main() -> std::process::ExitCode {
    common::run(render)
}
