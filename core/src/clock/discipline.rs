//! How a physical clock is corrected, after ntpd's clock discipline (Mills, "Computer Network
//! Time Synchronization", 2nd ed., ch. 4; ntpd's `step`/`slew`/`panic` thresholds).
//!
//! A correction is *stepped* (the wall reading jumps at once) or *slewed* (the clock runs
//! faster or slower by at most `slew_ppm` until the correction is absorbed — 500 ppm in ntpd,
//! so half a millisecond per second). ntpd slews corrections up to 128 ms and steps larger
//! ones; a correction beyond the *panic threshold* (1000 s) is refused outright, because a
//! clock that far off more likely means a broken server than a broken clock.
//!
//! Invariant: a slew moves the reading by at most `slew_ppm · elapsed` and stops exactly at
//! its amount; [`Discipline::validate`] refuses rates and thresholds that could not keep it.

use core::fmt;

use super::drift_walk::DriftWalk;
use super::physical::{MAX_DRIFT_PPM, MAX_SLEW_PPM};
use crate::time::{Instant, Span};

/// How a clock is disciplined (ntpd's defaults: 500 ppm slew, 128 ms step threshold, 1000 s
/// panic threshold).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Discipline {
    /// The largest slew rate, in ppm (µs of correction per second).
    pub slew_ppm: u32,
    /// [`Adjustment::Auto`] steps corrections larger than this and slews the others.
    pub step_threshold: Span,
    /// Corrections larger than this are refused ([`AdjustError::Panic`]).
    pub panic_threshold: Span,
}

impl Default for Discipline {
    fn default() -> Self {
        Discipline {
            slew_ppm: 500,
            step_threshold: Span::from_millis(128),
            panic_threshold: Span::from_secs(1_000),
        }
    }
}

impl Discipline {
    /// Checks the slew rate (1..=[`MAX_SLEW_PPM`]) and that `0 ≤ step ≤ panic`.
    pub fn validate(&self) -> Result<(), ClockConfigError> {
        if self.slew_ppm == 0 || self.slew_ppm > MAX_SLEW_PPM {
            return Err(ClockConfigError::SlewRate(self.slew_ppm));
        }
        let (step, panic) = (self.step_threshold, self.panic_threshold);
        if step < Span::ZERO || panic < step {
            return Err(ClockConfigError::Threshold(step.min(panic)));
        }
        Ok(())
    }
}

/// A clock parameter that cannot be used.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ClockConfigError {
    /// A drift parameter that is NaN or infinite.
    NotFinite {
        /// Which parameter (e.g. `"drift_ppm"`, `"bound_ppm"`).
        param: &'static str,
        /// The value given.
        value: f64,
    },
    /// A drift parameter beyond ±[`MAX_DRIFT_PPM`].
    DriftOutOfRange {
        /// Which parameter (e.g. `"drift_ppm"`, `"start_ppm"`).
        param: &'static str,
        /// The value given, in ppm.
        ppm: f64,
    },
    /// A drift bound or step (a magnitude) that is negative.
    NegativeDriftBound {
        /// Which parameter (`"bound_ppm"` or `"step_ppm"`).
        param: &'static str,
        /// The value given, in ppm.
        ppm: f64,
    },
    /// A random-walk interval that is not positive.
    WalkInterval(Span),
    /// A random walk that would need more than [`DriftWalk::MAX_SEGMENTS`] segments.
    WalkTooLong(u64),
    /// A slew rate of 0 or above [`MAX_SLEW_PPM`].
    SlewRate(u32),
    /// A negative threshold, or a step threshold above the panic threshold.
    Threshold(Span),
    /// A leap-smear window outside [`LeapSecond::MIN_SMEAR`](crate::clock::LeapSecond::MIN_SMEAR)..=[`LeapSecond::MAX_SMEAR`](crate::clock::LeapSecond::MAX_SMEAR).
    SmearWindow(Span),
}

impl fmt::Display for ClockConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClockConfigError::NotFinite { param, value } => {
                write!(f, "{param} is {value}, not a finite number")
            }
            ClockConfigError::DriftOutOfRange { param, ppm } => {
                write!(f, "{param} {ppm} ppm is outside ±{MAX_DRIFT_PPM} ppm")
            }
            ClockConfigError::NegativeDriftBound { param, ppm } => {
                write!(f, "{param} {ppm} ppm is negative (it is a magnitude)")
            }
            ClockConfigError::WalkInterval(s) => write!(f, "random-walk interval {s} must be > 0"),
            ClockConfigError::WalkTooLong(n) => write!(
                f,
                "random walk needs {n} segments (at most {})",
                DriftWalk::MAX_SEGMENTS
            ),
            ClockConfigError::SlewRate(r) => {
                write!(f, "slew rate {r} ppm is outside 1..={MAX_SLEW_PPM}")
            }
            ClockConfigError::Threshold(s) => write!(f, "threshold {s} is negative or inverted"),
            ClockConfigError::SmearWindow(s) => write!(f, "leap-smear window {s} is out of range"),
        }
    }
}

impl core::error::Error for ClockConfigError {}

/// How to apply a correction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Adjustment {
    /// Set the clock at once (the wall reading jumps).
    Step,
    /// Move the clock gradually at the discipline's slew rate.
    Slew,
    /// ntpd's rule: step beyond the step threshold, slew below it.
    Auto,
}

/// What an accepted correction did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// The wall reading moved by this much at once.
    Stepped(Span),
    /// The wall reading will have moved by `amount` at true time `done_at`.
    Slewing {
        /// The whole correction.
        amount: Span,
        /// When the slew completes.
        done_at: Instant,
    },
}

/// Why a correction was refused (the clock is left unchanged).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdjustError {
    /// The correction exceeds the panic threshold (ntpd exits rather than apply it).
    Panic {
        /// The correction asked for.
        correction: Span,
        /// The discipline's panic threshold.
        threshold: Span,
    },
    /// The correction is dated before the previous one (time would be rewritten).
    BeforeLastAdjustment {
        /// When the correction was asked for.
        now: Instant,
        /// When the previous one was applied.
        last: Instant,
    },
}

impl fmt::Display for AdjustError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AdjustError::Panic {
                correction,
                threshold,
            } => {
                write!(
                    f,
                    "correction {correction} exceeds the panic threshold {threshold}"
                )
            }
            AdjustError::BeforeLastAdjustment { now, last } => {
                write!(f, "correction at {now} precedes the previous one at {last}")
            }
        }
    }
}

impl core::error::Error for AdjustError {}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Slew {
    pub(crate) start: Instant,
    pub(crate) amount: Span,
    pub(crate) ppm: u32,
}

impl Slew {
    pub(crate) fn applied(&self, t: Instant) -> Span {
        let elapsed = t.since(self.start).as_nanos().max(0) as i128;
        let reach = elapsed * self.ppm as i128 / 1_000_000;
        let magnitude = reach.min(self.amount.abs().as_nanos() as i128) as i64;
        Span::from_nanos(if self.amount < Span::ZERO {
            -magnitude
        } else {
            magnitude
        })
    }
    pub(crate) fn done_at(&self) -> Instant {
        let ns = self.amount.abs().as_nanos() as i128 * 1_000_000;
        let need = (ns + self.ppm as i128 - 1) / self.ppm as i128;
        self.start + Span::from_nanos(need.min(i64::MAX as i128) as i64)
    }
}
