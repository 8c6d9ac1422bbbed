//! Temperature-driven oscillator drift as a bounded random walk.
//!
//! A quartz crystal's frequency error follows its temperature; over minutes it wanders rather
//! than staying constant (Mills, "Computer Network Time Synchronization", §12 on oscillator
//! wander). The walk here changes the drift every `interval` of true time by a uniform step in
//! `±step_ppm`, clamped to `±bound_ppm`, for `horizon` of true time (afterwards the last
//! drift holds). It is precomputed from its seed into piecewise-constant segments, so a clock
//! reading stays a pure function of true time.
//!
//! Invariant: every segment's drift lies within `±bound_ppm`, and consecutive segments join
//! (the oscillator reading is continuous).

use alloc::vec::Vec;

use super::discipline::ClockConfigError;
use super::physical::{check_drift, ppm_to_ppt, Segment};
use crate::rng::Rng;
use crate::time::Span;

/// A bounded random walk of the drift rate.
///
/// ```
/// use chronoscope::{clock::{DriftWalk, PhysicalClock}, time::{Instant, Span}};
/// let walk = DriftWalk { start_ppm: 20.0, bound_ppm: 50.0, ..DriftWalk::default() };
/// let clock = PhysicalClock::with_drift_walk(Span::ZERO, &walk).unwrap();
/// let drift = clock.drift_ppm_at(Instant::from_millis(600_000));
/// assert!(drift.abs() <= 50.0);
/// assert_eq!(clock, PhysicalClock::with_drift_walk(Span::ZERO, &walk).unwrap()); // seeded
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DriftWalk {
    /// The drift at true time zero, in ppm (within ±[`MAX_DRIFT_PPM`]; by definition of the
    /// walk, a start beyond `bound_ppm` starts at the bound).
    ///
    /// [`MAX_DRIFT_PPM`]: crate::clock::physical::MAX_DRIFT_PPM
    pub start_ppm: f64,
    /// The largest absolute drift the walk may reach, in ppm.
    pub bound_ppm: f64,
    /// The largest change per interval, in ppm.
    pub step_ppm: f64,
    /// How often the drift changes (true time).
    pub interval: Span,
    /// How long the walk goes on (true time); afterwards the last drift holds.
    pub horizon: Span,
    /// The seed that fixes the walk.
    pub seed: u64,
}

impl Default for DriftWalk {
    /// ±50 ppm, steps of up to 2 ppm every 10 s, for one hour.
    fn default() -> Self {
        DriftWalk {
            start_ppm: 0.0,
            bound_ppm: 50.0,
            step_ppm: 2.0,
            interval: Span::from_secs(10),
            horizon: Span::from_secs(3_600),
            seed: 0,
        }
    }
}

impl DriftWalk {
    /// The most segments a walk may have (horizon / interval).
    pub const MAX_SEGMENTS: u64 = 100_000;

    /// Checks the parameters.
    pub fn validate(&self) -> Result<(), ClockConfigError> {
        check_drift("start_ppm", self.start_ppm)?;
        for (param, ppm) in [("bound_ppm", self.bound_ppm), ("step_ppm", self.step_ppm)] {
            check_drift(param, ppm)?;
            if ppm < 0.0 {
                return Err(ClockConfigError::NegativeDriftBound { param, ppm });
            }
        }
        if self.interval <= Span::ZERO {
            return Err(ClockConfigError::WalkInterval(self.interval));
        }
        let n = self.horizon.as_nanos().max(0) / self.interval.as_nanos();
        if n as u64 > Self::MAX_SEGMENTS {
            return Err(ClockConfigError::WalkTooLong(n as u64));
        }
        Ok(())
    }

    pub(crate) fn segments(&self) -> Result<Vec<Segment>, ClockConfigError> {
        self.validate()?;
        let bound = ppm_to_ppt(self.bound_ppm);
        let step = ppm_to_ppt(self.step_ppm);
        let interval = self.interval.as_nanos();
        let n = self.horizon.as_nanos().max(0) / interval;
        let mut rng = Rng::seed_from_u64(self.seed);
        let mut seg = Segment {
            start: 0,
            base: 0,
            ppt: ppm_to_ppt(self.start_ppm).clamp(-bound, bound),
        };
        let mut out = Vec::with_capacity(n as usize + 1);
        out.push(seg);
        for k in 1..=n {
            let start = k * interval;
            let ppt = (seg.ppt + rng.in_range(-step, step)).clamp(-bound, bound);
            seg = Segment {
                start,
                base: seg.at(start),
                ppt,
            };
            out.push(seg);
        }
        Ok(out)
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::clock::PhysicalClock;
    use crate::time::Instant;
    use proptest::prelude::*;

    #[test]
    fn absurd_walks_are_refused() {
        let bad = |w: DriftWalk| PhysicalClock::with_drift_walk(Span::ZERO, &w).is_err();
        let ok = DriftWalk::default();
        assert!(bad(DriftWalk {
            bound_ppm: f64::NAN,
            ..ok
        }));
        assert!(bad(DriftWalk {
            bound_ppm: -1.0,
            ..ok
        }));
        let e = |w: DriftWalk| w.validate().unwrap_err();
        assert!(matches!(
            e(DriftWalk { bound_ppm: f64::INFINITY, ..ok }),
            ClockConfigError::NotFinite { param: "bound_ppm", value } if value == f64::INFINITY
        ));
        let neg = e(DriftWalk {
            step_ppm: -2.0,
            ..ok
        });
        assert_eq!(
            neg,
            ClockConfigError::NegativeDriftBound {
                param: "step_ppm",
                ppm: -2.0
            }
        );
        assert_eq!(
            neg.to_string(),
            "step_ppm -2 ppm is negative (it is a magnitude)"
        );
        assert_eq!(
            e(DriftWalk {
                start_ppm: -600_000.0,
                ..ok
            }),
            ClockConfigError::DriftOutOfRange {
                param: "start_ppm",
                ppm: -600_000.0
            }
        );
        assert!(bad(DriftWalk {
            interval: Span::ZERO,
            ..ok
        }));
        assert!(bad(DriftWalk {
            horizon: Span::from_secs(i64::MAX / 2_000_000_000),
            interval: Span::from_nanos(1),
            ..ok
        }));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(50))]

        #[test]
        fn walk_stays_in_bound_and_is_continuous(seed in any::<u64>(), bound in 0.0f64..200.0) {
            let walk = DriftWalk { seed, bound_ppm: bound, step_ppm: 20.0, start_ppm: 300.0, ..DriftWalk::default() };
            let c = PhysicalClock::with_drift_walk(Span::ZERO, &walk).unwrap();
            for k in 0..400i64 {
                let t = Instant::from_millis(k * 10_000);
                prop_assert!(c.drift_ppm_at(t).abs() <= bound + 1e-6);
                // Continuity at segment boundaries: one nanosecond apart, one nanosecond apart.
                let step = c.read(t).since(c.read(t - Span::from_nanos(1))).as_nanos();
                prop_assert!((0..=2).contains(&step), "step {} at {}", step, k);
                let err = c.read(t).since(t).as_nanos().abs();
                // Each segment rounds to the nearest nanosecond once.
                prop_assert!(err as f64 <= bound * 1e-6 * t.as_nanos() as f64 + k as f64 + 1.0);
            }
        }
    }
}
