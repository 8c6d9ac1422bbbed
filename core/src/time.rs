//! Virtual time: points on a timeline ([`Instant`]) and signed spans ([`Span`]), both in
//! nanoseconds.
//!
//! The same types serve the simulator's *true* time and each node's *local* clock reading,
//! which is why an [`Instant`] is signed: a clock that runs behind may read before zero.
//! Arithmetic saturates instead of overflowing, so an absurd parameter can never panic.

use core::fmt;
use core::ops::{Add, AddAssign, Sub};

/// A point in time, in nanoseconds since the start of a run (or since a clock's epoch).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(i64);

/// A signed length of time in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span(i64);

impl Instant {
    /// The start of every run.
    pub const ZERO: Instant = Instant(0);
    /// The latest representable instant.
    pub const MAX: Instant = Instant(i64::MAX);

    /// An instant `nanos` nanoseconds after zero.
    pub const fn from_nanos(nanos: i64) -> Self {
        Instant(nanos)
    }
    /// An instant `micros` microseconds after zero (saturating).
    pub const fn from_micros(micros: i64) -> Self {
        Instant(micros.saturating_mul(1_000))
    }
    /// An instant `millis` milliseconds after zero (saturating).
    pub const fn from_millis(millis: i64) -> Self {
        Instant(millis.saturating_mul(1_000_000))
    }
    /// Nanoseconds since zero.
    pub const fn as_nanos(self) -> i64 {
        self.0
    }
    /// Whole milliseconds since zero (rounded towards negative infinity).
    pub const fn as_millis(self) -> i64 {
        self.0.div_euclid(1_000_000)
    }
    /// Milliseconds since zero as a float, for plots and labels.
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }
    /// The span from `earlier` to `self` (negative when `earlier` is later).
    pub const fn since(self, earlier: Instant) -> Span {
        Span(self.0.saturating_sub(earlier.0))
    }
}

impl Span {
    /// No time at all.
    pub const ZERO: Span = Span(0);

    /// A span of `nanos` nanoseconds.
    pub const fn from_nanos(nanos: i64) -> Self {
        Span(nanos)
    }
    /// A span of `micros` microseconds (saturating).
    pub const fn from_micros(micros: i64) -> Self {
        Span(micros.saturating_mul(1_000))
    }
    /// A span of `millis` milliseconds (saturating).
    pub const fn from_millis(millis: i64) -> Self {
        Span(millis.saturating_mul(1_000_000))
    }
    /// A span of `secs` seconds (saturating).
    pub const fn from_secs(secs: i64) -> Self {
        Span(secs.saturating_mul(1_000_000_000))
    }
    /// The span in nanoseconds.
    pub const fn as_nanos(self) -> i64 {
        self.0
    }
    /// The span in milliseconds as a float, for plots and labels.
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }
    /// The absolute value of the span.
    pub const fn abs(self) -> Span {
        Span(self.0.saturating_abs())
    }
    /// The span multiplied by a float factor, rounded to the nearest nanosecond and
    /// saturating at the bounds.
    pub fn mul_f64(self, factor: f64) -> Span {
        let v = self.0 as f64 * factor;
        if v.is_nan() {
            Span(0)
        } else {
            // `as` saturates for out-of-range floats; `round` is not in `core`.
            let rounded = if v >= 0.0 { v + 0.5 } else { v - 0.5 };
            Span(rounded as i64)
        }
    }
}

impl Add<Span> for Instant {
    type Output = Instant;
    fn add(self, rhs: Span) -> Instant {
        Instant(self.0.saturating_add(rhs.0))
    }
}
impl AddAssign<Span> for Instant {
    fn add_assign(&mut self, rhs: Span) {
        *self = *self + rhs;
    }
}
impl Sub<Span> for Instant {
    type Output = Instant;
    fn sub(self, rhs: Span) -> Instant {
        Instant(self.0.saturating_sub(rhs.0))
    }
}
impl Sub<Instant> for Instant {
    type Output = Span;
    fn sub(self, rhs: Instant) -> Span {
        self.since(rhs)
    }
}
impl Add for Span {
    type Output = Span;
    fn add(self, rhs: Span) -> Span {
        Span(self.0.saturating_add(rhs.0))
    }
}
impl Sub for Span {
    type Output = Span;
    fn sub(self, rhs: Span) -> Span {
        Span(self.0.saturating_sub(rhs.0))
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3} ms", self.as_millis_f64())
    }
}
impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3} ms", self.as_millis_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates_instead_of_overflowing() {
        assert_eq!(Instant::MAX + Span::from_secs(1), Instant::MAX);
        assert_eq!(Instant::from_millis(i64::MAX).as_nanos(), i64::MAX);
        assert_eq!(Span::from_nanos(10).mul_f64(f64::NAN), Span::ZERO);
    }

    #[test]
    fn since_is_signed() {
        let a = Instant::from_millis(5);
        let b = Instant::from_millis(7);
        assert_eq!(b.since(a), Span::from_millis(2));
        assert_eq!(a - b, Span::from_millis(-2));
        assert_eq!(Instant::from_nanos(-1).as_millis(), -1);
    }
}
