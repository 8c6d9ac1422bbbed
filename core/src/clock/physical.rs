//! A node's physical clock: a quartz oscillator that drifts at a constant rate (in parts per
//! million) from an initial offset, and that can be jumped forwards or backwards.
//!
//! Model (as in the drift exercises of Tanenbaum & van Steen, "Distributed Systems", §6.1):
//! `reading(t) = t + offset + drift_ppm · 10⁻⁶ · (t − t₀) + jumps`. The reading is a pure
//! function of true time, so the simulator can ask for it at any instant and also invert
//! it to turn a local-clock timer into a true-time deadline.

use crate::time::{Instant, Span};

/// A drifting physical clock.
///
/// ```
/// use chronoscope::{clock::PhysicalClock, time::{Instant, Span}};
/// let clock = PhysicalClock::new(Span::from_millis(5), 100.0); // 5 ms ahead, +100 ppm
/// let reading = clock.read(Instant::from_millis(1_000));
/// assert_eq!(reading, Instant::from_micros(1_005_100)); // +5 ms, +0.1 ms of drift
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct PhysicalClock {
    offset: Span,
    drift_ppm: f64,
}

impl PhysicalClock {
    /// A clock that starts `offset` ahead of true time (negative: behind) and gains
    /// `drift_ppm` microseconds per second (negative: loses). Non-finite drift counts as 0.
    pub fn new(offset: Span, drift_ppm: f64) -> Self {
        let drift_ppm = if drift_ppm.is_finite() {
            drift_ppm
        } else {
            0.0
        };
        PhysicalClock { offset, drift_ppm }
    }
    /// A perfect clock.
    pub fn perfect() -> Self {
        Self::new(Span::ZERO, 0.0)
    }
    /// The drift rate in parts per million.
    pub fn drift_ppm(&self) -> f64 {
        self.drift_ppm
    }
    /// The offset the clock had at true time zero plus every jump since.
    pub fn offset(&self) -> Span {
        self.offset
    }
    /// The clock's reading at true time `now`.
    pub fn read(&self, now: Instant) -> Instant {
        let drift = Span::from_nanos(now.as_nanos()).mul_f64(self.drift_ppm * 1e-6);
        now + self.offset + drift
    }
    /// Moves the clock by `by` (an NTP *step*, an operator's mistake, a VM resume).
    pub fn jump(&mut self, by: Span) {
        self.offset = self.offset + by;
    }
    /// How much true time passes while this clock advances by `local` (at least 1 ns for
    /// any positive span, so timers always make progress).
    pub fn true_span_for(&self, local: Span) -> Span {
        let rate = 1.0 + self.drift_ppm * 1e-6;
        let rate = if rate > 1e-3 { rate } else { 1e-3 };
        let span = local.mul_f64(1.0 / rate);
        if local > Span::ZERO && span <= Span::ZERO {
            Span::from_nanos(1)
        } else {
            span
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drift_accumulates_and_jumps_apply() {
        let mut c = PhysicalClock::new(Span::ZERO, -50.0);
        assert_eq!(
            c.read(Instant::from_millis(20_000)),
            Instant::from_millis(19_999)
        );
        c.jump(Span::from_secs(-300));
        assert_eq!(
            c.read(Instant::from_millis(20_000)),
            Instant::from_millis(19_999 - 300_000)
        );
    }

    #[test]
    fn true_span_inverts_drift() {
        let c = PhysicalClock::new(Span::ZERO, 1_000.0);
        let t = c.true_span_for(Span::from_millis(1_001));
        assert!((t.as_nanos() - 1_000_000_000).abs() < 10, "{t:?}");
        assert_eq!(
            PhysicalClock::new(Span::ZERO, 0.0).true_span_for(Span::from_nanos(1)),
            Span::from_nanos(1)
        );
    }
}
