//! Spanner's TrueTime: the uncertainty ε as a sawtooth between syncs (1 ms base, 200 µs/s
//! drift bound, 30 s sync period → 1 to 7 ms), and commit wait: a transaction picks
//! `s = TT.now().latest` and waits until `TT.after(s)` before making its commit visible.
//!
//! `cargo run -p chronoscope --example truetime` (it takes no options).
mod common;

use chronoscope::clock::{PhysicalClock, TrueTime, TrueTimeConfig};
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

/// Runs the example for `args` and returns what it prints (or the error message).
pub fn render(args: &[String]) -> Result<String, String> {
    if let Some(flag) = args.first() {
        return Err(format!("unknown option {flag} (truetime takes no options)"));
    }
    let mut out = String::new();
    let config = TrueTimeConfig::default();
    // A clock drifting at +150 ppm (within the 200 ppm bound), 0.4 ms off after its last sync.
    let mut clock = PhysicalClock::new(Span::from_micros(400), 150.0);
    let mut tt = TrueTime::new(config, clock.read(Instant::ZERO)).map_err(|e| e.to_string())?;
    say!(
        out,
        "TrueTime: base {}, drift bound {} ppm, sync every {}",
        config.base,
        config.drift_ppm,
        config.sync_period
    );
    say!(
        out,
        "{:>9} {:>10} {:>9}  {:>26}  holds",
        "true s",
        "local",
        "epsilon",
        "TT.now()"
    );
    let mut worst = Span::ZERO;
    for step in 0..=18 {
        let t = Instant::from_millis(step * 5_000);
        if step > 0 && tt.sync_due(clock.read(t)) {
            // The time masters step the clock to within 0.3 ms of true time; the sawtooth drops.
            let correction = t.since(clock.read(t)) + Span::from_micros(-300);
            clock.jump(correction);
            tt.sync(clock.read(t));
            say!(
                out,
                "{:>9} --- sync: clock corrected by {correction}, epsilon back to {}",
                step * 5,
                tt.epsilon(clock.read(t))
            );
        }
        let local = clock.read(t);
        let now = tt.now(local);
        worst = worst.max(tt.epsilon(local));
        let bar = "#".repeat((tt.epsilon(local).as_nanos() / 250_000) as usize);
        say!(
            out,
            "{:>9} {:>10.3} {:>9}  [{:.3}, {:.3}]  {}  {bar}",
            step * 5,
            local.as_millis_f64() / 1e3,
            format!("{}", tt.epsilon(local)),
            now.earliest.as_millis_f64(),
            now.latest.as_millis_f64(),
            if now.contains(t) { "yes" } else { "NO" },
        );
    }
    say!(
        out,
        "largest epsilon seen: {worst} (model maximum {})",
        tt.max_epsilon()
    );
    say!(out);

    // Commit wait at two points of the sawtooth.
    for (label, at_ms) in [
        ("just after a sync", 90_000),
        ("late in the period", 119_000),
    ] {
        let t = Instant::from_millis(at_ms);
        let local = clock.read(t);
        let now = tt.now(local);
        let s = now.latest;
        let wait = tt.commit_wait(local, s);
        say!(
            out,
            "[{label}] TT.now() = [{:.3} ms, {:.3} ms] (epsilon {})",
            now.earliest.as_millis_f64(),
            now.latest.as_millis_f64(),
            tt.epsilon(local)
        );
        say!(
            out,
            "  assigned commit timestamp s = {:.3} ms",
            s.as_millis_f64()
        );
        say!(out, "  WAIT {wait} (about 2 epsilon) until TT.after(s)");
        let done = local + wait;
        say!(
            out,
            "  after the wait: TT.after(s) = {}, earliest = {:.3} ms > s; COMMIT visible",
            tt.after(done, s),
            tt.now(done).earliest.as_millis_f64()
        );
    }
    Ok(out)
}

fn main() -> ExitCode {
    common::run(render)
}
