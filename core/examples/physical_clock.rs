//! A physical clock model: drift (constant and a temperature random walk), NTP-style
//! correction by slew versus step, the panic threshold, the monotonic reading versus the wall
//! reading, and a smeared leap second.
//!
//! `cargo run -p chronoscope --example physical_clock` (it takes no options).
mod common;

use chronoscope::clock::{Adjustment, Applied, DriftWalk, LeapSecond, PhysicalClock};
use chronoscope::time::{Instant, Span};
use std::process::ExitCode;

/// `println!` into a string, so a golden test can run the example in-process.
macro_rules! say {
    ($out:expr, $($t:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($out, $($t)*);
    }};
}

fn secs(s: i64) -> Instant {
    Instant::from_millis(s * 1_000)
}

/// Runs the example for `args` and returns what it prints (or the error message).
pub fn render(args: &[String]) -> Result<String, String> {
    if let Some(flag) = args.first() {
        return Err(format!(
            "unknown option {flag} (physical_clock takes no options)"
        ));
    }
    let mut out = String::new();
    say!(
        out,
        "## Drift: three clocks at +50, -50 ppm and a random walk within ±50 ppm"
    );
    let walk = DriftWalk {
        seed: 3,
        ..DriftWalk::default()
    };
    let clocks = [
        PhysicalClock::new(Span::ZERO, 50.0),
        PhysicalClock::new(Span::ZERO, -50.0),
        PhysicalClock::with_drift_walk(Span::ZERO, &walk).map_err(|e| e.to_string())?,
    ];
    say!(
        out,
        "{:>7} {:>12} {:>12} {:>12} {:>12}",
        "true s",
        "+50 ppm",
        "-50 ppm",
        "walk",
        "walk ppm"
    );
    for s in [0, 600, 1_200, 1_800, 2_400, 3_000, 3_600] {
        let t = secs(s);
        let err: Vec<String> = clocks
            .iter()
            .map(|c| format!("{}", c.read(t) - t))
            .collect();
        say!(
            out,
            "{s:>7} {:>12} {:>12} {:>12} {:>12.2}",
            err[0],
            err[1],
            err[2],
            clocks[2].drift_ppm_at(t)
        );
    }

    say!(
        out,
        "\n## Correcting a clock 100 ms fast: slew (500 ppm) vs step"
    );
    let fast = PhysicalClock::new(Span::from_millis(100), 0.0);
    let (mut slewed, mut stepped) = (fast.clone(), fast);
    let t0 = secs(10);
    let before_step = stepped.read(t0);
    let done = slewed
        .adjust(t0, Span::from_millis(-100), Adjustment::Slew)
        .map_err(|e| e.to_string())?;
    stepped
        .adjust(t0, Span::from_millis(-100), Adjustment::Step)
        .map_err(|e| e.to_string())?;
    if let Applied::Slewing { amount, done_at } = done {
        say!(
            out,
            "slewing {amount} at 500 ppm: done at true time {done_at}"
        );
    }
    say!(
        out,
        "{:>7} {:>14} {:>14} {:>14} {:>14}",
        "true s",
        "slew wall err",
        "slew mono",
        "step wall err",
        "step mono"
    );
    // Readings are answered for instants at or after the last correction.
    for s in [10, 11, 60, 110, 210, 300] {
        let t = secs(s);
        say!(
            out,
            "{s:>7} {:>14} {:>14} {:>14} {:>14}",
            format!("{}", slewed.read(t) - t),
            format!("{}", slewed.monotonic(t).since(Instant::ZERO)),
            format!("{}", stepped.read(t) - t),
            format!("{}", stepped.monotonic(t).since(Instant::ZERO)),
        );
    }
    say!(out,
        "at 10 s the step moved the wall reading from {before_step} to {}; the monotonic reading never moves back",
        stepped.read(t0)
    );

    say!(out, "\n## Panic threshold (1000 s, as ntpd)");
    match stepped.adjust(secs(400), Span::from_secs(-3_600), Adjustment::Auto) {
        Ok(r) => say!(out, "accepted?! {r:?}"),
        Err(e) => say!(
            out,
            "refused: {e} (clock unchanged: reads {} at 400 s)",
            stepped.read(secs(400))
        ),
    }

    say!(
        out,
        "\n## Leap second at 24:00:00, smeared over 24 h (Google) vs stepped (POSIX)"
    );
    let midnight = secs(86_400);
    let smear = LeapSecond {
        at: midnight,
        insert: true,
        smear: Some(Span::from_secs(86_400)),
    };
    let smeared = PhysicalClock::perfect()
        .with_leap_second(smear)
        .map_err(|e| e.to_string())?;
    let posix = PhysicalClock::perfect()
        .with_leap_second(LeapSecond {
            smear: None,
            ..smear
        })
        .map_err(|e| e.to_string())?;
    for s in [43_200, 64_800, 86_399, 86_400, 108_000, 129_600] {
        let t = secs(s);
        say!(
            out,
            "true {s:>6} s: smeared {:>12}  stepped {:>12}",
            format!("{}", smeared.read(t) - t),
            format!("{}", posix.read(t) - t)
        );
    }
    Ok(out)
}

fn main() -> ExitCode {
    common::run(render)
}
