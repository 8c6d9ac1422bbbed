//! The error a synchronisation protocol's constructor returns instead of silently changing an
//! absurd parameter.
//!
//! A poll interval of zero, a negative outlier threshold or error bound, a collection window
//! at or past the end of its round, a slew rate of 0 ppm or one that would run a clock
//! backwards: none of these can be used as given, and quietly replacing them (with 1 ms, the
//! absolute value, the nearest allowed rate) would run a different protocol from the one
//! asked for. Every constructor in [`crate::sync`] that takes such a parameter refuses it with
//! [`SyncConfigError`], naming the parameter and its value; a value it accepts is used
//! unchanged.

use core::fmt;

use super::discipline::MAX_SLEW_PPM;
use crate::time::Span;

/// The shortest poll interval or round period a protocol accepts (1 ms).
pub const MIN_INTERVAL: Span = Span::from_millis(1);

/// A synchronisation parameter that cannot be used as given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SyncConfigError {
    /// A poll interval or round period shorter than [`MIN_INTERVAL`] (zero or negative
    /// included).
    IntervalTooShort {
        /// Which parameter (`"interval"` or `"round"`).
        param: &'static str,
        /// The value given.
        value: Span,
    },
    /// A span that is a bound or a magnitude (an outlier threshold, an error bound, a minimum
    /// delay, a collection window, a step threshold) and is negative.
    Negative {
        /// Which parameter (e.g. `"outlier"`, `"error"`, `"min_delay"`, `"window"`,
        /// `"threshold"`).
        param: &'static str,
        /// The value given.
        value: Span,
    },
    /// A Welch–Lynch collection window that does not end before the next round starts.
    WindowNotBelowRound {
        /// The window given.
        window: Span,
        /// The round period it must be shorter than.
        round: Span,
    },
    /// A slew rate (`max_rate_ppm`) of 0 or above [`MAX_SLEW_PPM`].
    SlewRateOutOfRange {
        /// The rate given, in ppm.
        ppm: u32,
    },
}

impl SyncConfigError {
    /// Accepts a poll interval or round period of at least [`MIN_INTERVAL`], else refuses it
    /// as [`IntervalTooShort`](SyncConfigError::IntervalTooShort) naming `param`.
    pub fn check_interval(param: &'static str, value: Span) -> Result<(), SyncConfigError> {
        if value < MIN_INTERVAL {
            return Err(SyncConfigError::IntervalTooShort { param, value });
        }
        Ok(())
    }

    /// Accepts a bound or magnitude of zero or more, else refuses it as
    /// [`Negative`](SyncConfigError::Negative) naming `param`.
    pub fn check_non_negative(param: &'static str, value: Span) -> Result<(), SyncConfigError> {
        if value < Span::ZERO {
            return Err(SyncConfigError::Negative { param, value });
        }
        Ok(())
    }

    /// The name of the parameter that was refused (`"interval"`, `"round"`, `"outlier"`,
    /// `"error"`, `"min_delay"`, `"window"`, `"threshold"` or `"max_rate_ppm"`).
    pub fn param(&self) -> &'static str {
        match self {
            SyncConfigError::IntervalTooShort { param, .. }
            | SyncConfigError::Negative { param, .. } => param,
            SyncConfigError::WindowNotBelowRound { .. } => "window",
            SyncConfigError::SlewRateOutOfRange { .. } => "max_rate_ppm",
        }
    }
}

/// Writes a span exactly: whole milliseconds as `N ms`, anything finer as `N ns`.
fn exact(f: &mut fmt::Formatter<'_>, s: Span) -> fmt::Result {
    let ns = s.as_nanos();
    if ns % 1_000_000 == 0 {
        write!(f, "{} ms", ns / 1_000_000)
    } else {
        write!(f, "{ns} ns")
    }
}

impl fmt::Display for SyncConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SyncConfigError::IntervalTooShort { param, value } => {
                write!(f, "{param} ")?;
                exact(f, value)?;
                f.write_str(" is shorter than the minimum of ")?;
                exact(f, MIN_INTERVAL)
            }
            SyncConfigError::Negative { param, value } => {
                write!(f, "{param} ")?;
                exact(f, value)?;
                f.write_str(" is negative (it must be 0 or more)")
            }
            SyncConfigError::WindowNotBelowRound { window, round } => {
                f.write_str("window ")?;
                exact(f, window)?;
                f.write_str(" does not end before the round of ")?;
                exact(f, round)?;
                f.write_str(" (it must be shorter than the round)")
            }
            SyncConfigError::SlewRateOutOfRange { ppm } => {
                write!(
                    f,
                    "max_rate_ppm {ppm} ppm is outside the allowed 1..={MAX_SLEW_PPM} ppm"
                )
            }
        }
    }
}

impl core::error::Error for SyncConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_names_its_parameter_value_and_what_is_allowed() {
        let short = SyncConfigError::IntervalTooShort {
            param: "interval",
            value: Span::ZERO,
        };
        assert_eq!(short.param(), "interval");
        assert_eq!(
            short.to_string(),
            "interval 0 ms is shorter than the minimum of 1 ms"
        );

        let negative = SyncConfigError::Negative {
            param: "outlier",
            value: Span::from_nanos(-1),
        };
        assert_eq!(negative.param(), "outlier");
        assert_eq!(
            negative.to_string(),
            "outlier -1 ns is negative (it must be 0 or more)"
        );

        let window = SyncConfigError::WindowNotBelowRound {
            window: Span::from_secs(2),
            round: Span::from_secs(1),
        };
        assert_eq!(window.param(), "window");
        assert_eq!(
            window.to_string(),
            "window 2000 ms does not end before the round of 1000 ms \
             (it must be shorter than the round)"
        );

        let slew = SyncConfigError::SlewRateOutOfRange { ppm: 0 };
        assert_eq!(slew.param(), "max_rate_ppm");
        assert_eq!(
            slew.to_string(),
            "max_rate_ppm 0 ppm is outside the allowed 1..=500000 ppm"
        );
    }
}
