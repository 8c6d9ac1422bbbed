//! A hybrid logical clock generating 64-bit timestamps while its physical clock is set back
//! five minutes: the HLC keeps increasing and still reads like recent wall time (the source
//! document's `hlc_gen` project), then a peer's stamp from a clock far in the future is refused.
//!
//! `cargo run -p chronoscope --example hlc_gen` (it takes no options).
mod common;

use chronoscope::clock::{HlcTimestamp, HybridLogicalClock, PhysicalClock};
use chronoscope::time::{Instant, Span};
use std::process::ExitCode;

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

const NOON_MS: i64 = 12 * 3_600_000;

fn clock_time(ms: i64) -> String {
    let ms = ms.rem_euclid(86_400_000);
    let (h, m, s, milli) = (
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1_000 % 60,
        ms % 1_000,
    );
    format!("{h:02}:{m:02}:{s:02}.{milli:03}")
}

fn show(out: &mut String, ts: HlcTimestamp, pt: Instant, note: &str) {
    let line = format!(
        "TS: {} = {:#018x}  (HLC l: {}, c: {})  physical: {}  {note}",
        clock_time(ts.physical_ms() as i64),
        ts.as_u64(),
        clock_time(ts.physical_ms() as i64),
        ts.logical(),
        clock_time(pt.as_millis()),
    );
    say!(out, "{}", line.trim_end());
}

/// Runs the example for `args` and returns what it prints (or the error message).
pub fn render(args: &[String]) -> Result<String, String> {
    if let Some(flag) = args.first() {
        return Err(format!("unknown option {flag} (hlc_gen takes no options)"));
    }
    let mut out = String::new();
    // The system clock reads 12:00:00 at true time zero.
    let mut system = PhysicalClock::new(Span::from_millis(NOON_MS), 0.0);
    let mut hlc = HybridLogicalClock::with_max_offset_ms(500);
    let mut true_now = Instant::ZERO;
    let stamp = |out: &mut String,
                 system: &PhysicalClock,
                 hlc: &mut HybridLogicalClock,
                 t: Instant,
                 note: &str| {
        let pt = system.read(t);
        match hlc.now(pt) {
            Ok(ts) => show(out, ts, pt, note),
            Err(e) => say!(out, "error: {e}"),
        }
    };
    say!(
        out,
        "# System time: {}",
        clock_time(system.read(true_now).as_millis())
    );
    for _ in 0..3 {
        stamp(&mut out, &system, &mut hlc, true_now, "");
        true_now += Span::from_micros(400);
    }
    say!(out, "# Manually set system time back 5 minutes");
    system.jump(Span::from_secs(-300));
    say!(
        out,
        "# System time: {}",
        clock_time(system.read(true_now).as_millis())
    );
    for i in 0..5 {
        let note = if i == 0 {
            "# CAUSALITY PRESERVED: still after the last stamp"
        } else {
            ""
        };
        stamp(&mut out, &system, &mut hlc, true_now, note);
        true_now += Span::from_millis(1);
    }
    say!(out, "# ... l stays at the last time heard of until the physical clock passes it again (in 5 min)");
    true_now += Span::from_secs(300);
    stamp(
        &mut out,
        &system,
        &mut hlc,
        true_now,
        "# physical time has caught up: c back to 0",
    );

    say!(out);
    say!(
        out,
        "# A peer whose clock runs 10 s fast sends a stamp (max offset 500 ms):"
    );
    let pt = system.read(true_now);
    let remote = HlcTimestamp::new((pt.as_millis() + 10_000) as u64, 0).unwrap_or_default();
    let before = hlc.last();
    match hlc.update(remote, pt) {
        Ok(ts) => show(&mut out, ts, pt, "accepted"),
        Err(e) => say!(out, "refused: {e}"),
    }
    if hlc.last() != before {
        return Err(
            "the stamp 10 s ahead moved the clock; it should be refused and leave it unchanged"
                .into(),
        );
    }
    let near = HlcTimestamp::new((pt.as_millis() + 200) as u64, 7).unwrap_or_default();
    match hlc.update(near, pt) {
        Ok(ts) => show(
            &mut out,
            ts,
            pt,
            "# a peer 200 ms ahead is absorbed: l follows it, c = 7 + 1",
        ),
        Err(e) => say!(out, "refused: {e}"),
    }
    Ok(out)
}

fn main() -> ExitCode {
    common::run(render)
}
