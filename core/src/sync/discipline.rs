//! NTP-style clock discipline: a *software clock* on top of the physical one, corrected by
//! **stepping** (jump at once) or by **slewing** (run slightly fast or slow until the
//! correction is absorbed), or by NTP's hybrid (slew small corrections, step large ones).
//!
//! Model (Mills, "Computer Network Time Synchronization", 2nd ed., §4 and the Linux
//! `adjtime(3)` semantics): `software(p) = p + base + applied(p)`, where `p` is the physical
//! reading, `base` every correction already absorbed, and `applied(p)` the part of the
//! pending correction slewed in so far, at most `max_rate_ppm` · (p − start of the slew).
//! The reading is a pure function of the physical reading, so anyone holding the discipline
//! can read the software clock at any moment without mutating it.
//!
//! Invariant: under [`Adjust::Slew`] the software clock never runs backwards (its rate stays
//! within `1 ± max_rate_ppm · 10⁻⁶` of the physical clock's, and the rate is capped below 1),
//! and a correction `c` is fully absorbed after `|c| / max_rate` of physical time. A step
//! backwards is the only way the software clock reads a smaller value later.

use super::error::SyncConfigError;
use crate::time::{Instant, Span};

/// The Linux kernel's `adjtime` slew rate: 500 ppm (0.5 ms per second).
pub const DEFAULT_SLEW_PPM: u32 = 500;
/// NTP's step threshold: corrections above 128 ms are stepped, smaller ones slewed.
pub const NTP_STEP_THRESHOLD: Span = Span::from_millis(128);
/// The largest slew rate accepted (50 %, so a slewing clock still moves forwards).
pub const MAX_SLEW_PPM: u32 = 500_000;

/// How a correction is applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Adjust {
    /// Jump by the whole correction at once (may move the clock backwards).
    Step,
    /// Absorb the correction gradually, at most `max_rate_ppm` per unit of physical time.
    Slew {
        /// The largest rate change, in parts per million (`1..=`[`MAX_SLEW_PPM`]; anything
        /// else is refused by [`Discipline::new`]).
        max_rate_ppm: u32,
    },
    /// NTP: step when `|correction| > threshold`, slew otherwise.
    Hybrid {
        /// The slew rate for small corrections (`1..=`[`MAX_SLEW_PPM`], as for
        /// [`Adjust::Slew`]).
        max_rate_ppm: u32,
        /// Corrections larger than this are stepped (0 or more).
        threshold: Span,
    },
}

/// A software clock disciplined by corrections.
///
/// # Examples
///
/// ```
/// use chronoscope::sync::discipline::{Adjust, Discipline};
/// use chronoscope::time::{Instant, Span};
/// let mut clock = Discipline::new(Adjust::Slew { max_rate_ppm: 500 }).unwrap();
/// // At physical 10 s the clock is told it is 5 ms ahead: slew it back over 10 s.
/// clock.correct(Instant::from_millis(10_000), Span::from_millis(-5));
/// assert_eq!(clock.read(Instant::from_millis(12_000)), Instant::from_millis(11_999));
/// assert_eq!(clock.read(Instant::from_millis(30_000)), Instant::from_millis(29_995));
/// // A rate of 0 ppm could never absorb anything: it is refused, not raised to 1.
/// assert_eq!(
///     Discipline::new(Adjust::Slew { max_rate_ppm: 0 }),
///     Err(chronoscope::sync::SyncConfigError::SlewRateOutOfRange { ppm: 0 })
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Discipline {
    adjust: Adjust,
    base: Span,
    pending: Span,
    since: Instant,
    steps: u32,
}

/// The slew rate of a policy [`Adjust::validate`] accepted (0 for stepping).
fn rate_ppm(adjust: Adjust) -> i64 {
    match adjust {
        Adjust::Step => 0,
        Adjust::Slew { max_rate_ppm } | Adjust::Hybrid { max_rate_ppm, .. } => {
            i64::from(max_rate_ppm)
        }
    }
}

impl Adjust {
    /// Checks the policy: a slew rate in `1..=`[`MAX_SLEW_PPM`]
    /// ([`SyncConfigError::SlewRateOutOfRange`] otherwise — 0 would never absorb a
    /// correction, and a faster rate could run the software clock backwards) and a
    /// non-negative hybrid step threshold ([`SyncConfigError::Negative`] naming
    /// `"threshold"`).
    pub fn validate(&self) -> Result<(), SyncConfigError> {
        match *self {
            Adjust::Step => Ok(()),
            Adjust::Slew { max_rate_ppm } | Adjust::Hybrid { max_rate_ppm, .. }
                if max_rate_ppm == 0 || max_rate_ppm > MAX_SLEW_PPM =>
            {
                Err(SyncConfigError::SlewRateOutOfRange { ppm: max_rate_ppm })
            }
            Adjust::Hybrid { threshold, .. } => {
                SyncConfigError::check_non_negative("threshold", threshold)
            }
            Adjust::Slew { .. } => Ok(()),
        }
    }
}

impl Discipline {
    /// An uncorrected software clock with the stepping policy ([`Adjust::Step`], which needs
    /// no parameters, so this cannot fail).
    pub const fn plain() -> Self {
        Discipline {
            adjust: Adjust::Step,
            base: Span::ZERO,
            pending: Span::ZERO,
            since: Instant::ZERO,
            steps: 0,
        }
    }

    /// An uncorrected software clock (it reads the physical clock) with the given policy, or
    /// the [`SyncConfigError`] from [`Adjust::validate`] if the policy's slew rate or
    /// threshold cannot be used (they are never clamped).
    pub fn new(adjust: Adjust) -> Result<Self, SyncConfigError> {
        adjust.validate()?;
        Ok(Discipline {
            adjust,
            ..Self::plain()
        })
    }

    /// The policy.
    pub fn adjust(&self) -> Adjust {
        self.adjust
    }

    /// The part of the pending correction absorbed by physical reading `physical`.
    fn applied(&self, physical: Instant) -> Span {
        let elapsed = physical.since(self.since).as_nanos().max(0) as i128;
        let max = (elapsed * rate_ppm(self.adjust) as i128 / 1_000_000) as i64;
        let pending = self.pending.as_nanos();
        Span::from_nanos(pending.clamp(-max, max))
    }

    /// The software clock's reading when the physical clock reads `physical`.
    pub fn read(&self, physical: Instant) -> Instant {
        physical + self.base + self.applied(physical)
    }

    /// The total correction in force at `physical` (software − physical).
    pub fn correction(&self, physical: Instant) -> Span {
        self.base + self.applied(physical)
    }

    /// The correction not yet absorbed at `physical`.
    pub fn outstanding(&self, physical: Instant) -> Span {
        self.pending - self.applied(physical)
    }

    /// How many corrections were stepped.
    pub fn steps(&self) -> u32 {
        self.steps
    }

    /// Applies a correction of `by` (the software clock should move by `by` from where it
    /// reads now), measured when the physical clock read `physical`. As in NTP, a new
    /// measurement supersedes whatever was still being slewed: it was taken against the
    /// software clock as it stands, so the part not yet absorbed is already in `by`.
    pub fn correct(&mut self, physical: Instant, by: Span) {
        let absorbed = self.applied(physical);
        self.base = self.base + absorbed;
        let step = match self.adjust {
            Adjust::Step => true,
            Adjust::Slew { .. } => false,
            Adjust::Hybrid { threshold, .. } => by.abs() > threshold,
        };
        if step {
            self.base = self.base + by;
            self.pending = Span::ZERO;
            self.steps += 1;
        } else {
            self.pending = by;
        }
        self.since = physical;
    }
}

/// A protocol whose node keeps a [`Discipline`]d software clock (so a scenario can read it).
pub trait Disciplined {
    /// The node's software clock.
    fn discipline(&self) -> &Discipline;
    /// The node's software clock reading when its physical clock reads `physical`.
    fn software_time(&self, physical: Instant) -> Instant {
        self.discipline().read(physical)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: i64) -> Instant {
        Instant::from_millis(v)
    }

    #[test]
    fn step_jumps_at_once_and_can_go_backwards() {
        let mut d = Discipline::plain();
        let before = d.read(ms(1_000));
        d.correct(ms(1_000), Span::from_millis(-20));
        assert_eq!(d.read(ms(1_000)), before - Span::from_millis(20));
        assert!(
            d.read(ms(1_010)) < before,
            "stepping back breaks monotonicity"
        );
        assert_eq!(d.steps(), 1);
    }

    #[test]
    fn slew_absorbs_at_the_rate_and_stays_monotonic() {
        let mut d = Discipline::new(Adjust::Slew {
            max_rate_ppm: 1_000,
        })
        .unwrap();
        d.correct(ms(0), Span::from_millis(-20));
        // 1 ms per second: 20 s to absorb.
        assert_eq!(d.outstanding(ms(10_000)), Span::from_millis(-10));
        assert_eq!(d.outstanding(ms(20_000)), Span::ZERO);
        let mut last = d.read(ms(0));
        for t in (0..30_000).step_by(7) {
            let now = d.read(ms(t));
            assert!(now >= last);
            last = now;
        }
        assert_eq!(d.read(ms(25_000)), ms(24_980));
    }

    #[test]
    fn a_new_measurement_supersedes_the_pending_slew() {
        let mut d = Discipline::new(Adjust::Slew {
            max_rate_ppm: 1_000,
        })
        .unwrap();
        d.correct(ms(0), Span::from_millis(10));
        // 5 ms absorbed; the new measurement (taken against the clock as it stands) says 4.
        d.correct(ms(5_000), Span::from_millis(4));
        assert_eq!(d.correction(ms(5_000)), Span::from_millis(5));
        assert_eq!(d.outstanding(ms(5_000)), Span::from_millis(4));
        assert_eq!(d.correction(ms(100_000)), Span::from_millis(9));
    }

    #[test]
    fn hybrid_steps_big_and_slews_small() {
        let mut d = Discipline::new(Adjust::Hybrid {
            max_rate_ppm: 500,
            threshold: NTP_STEP_THRESHOLD,
        })
        .unwrap();
        d.correct(ms(0), Span::from_millis(50));
        assert_eq!(d.steps(), 0);
        d.correct(ms(0), Span::from_millis(500));
        assert_eq!(d.steps(), 1);
        assert_eq!(d.correction(ms(0)), Span::from_millis(500));
    }

    #[test]
    fn an_unusable_slew_rate_or_threshold_is_refused_not_clamped() {
        for ppm in [0, MAX_SLEW_PPM + 1, u32::MAX] {
            let slew = Adjust::Slew { max_rate_ppm: ppm };
            assert_eq!(
                Discipline::new(slew),
                Err(SyncConfigError::SlewRateOutOfRange { ppm })
            );
            let hybrid = Adjust::Hybrid {
                max_rate_ppm: ppm,
                threshold: NTP_STEP_THRESHOLD,
            };
            assert_eq!(
                Discipline::new(hybrid),
                Err(SyncConfigError::SlewRateOutOfRange { ppm })
            );
        }
        let negative = Adjust::Hybrid {
            max_rate_ppm: 500,
            threshold: Span::from_millis(-128),
        };
        let e = Discipline::new(negative).unwrap_err();
        assert_eq!(
            e,
            SyncConfigError::Negative {
                param: "threshold",
                value: Span::from_millis(-128)
            }
        );
        assert_eq!(
            e.to_string(),
            "threshold -128 ms is negative (it must be 0 or more)"
        );
        // The bounds themselves are accepted and used unchanged.
        for ppm in [1, MAX_SLEW_PPM] {
            let slew = Adjust::Slew { max_rate_ppm: ppm };
            assert_eq!(Discipline::new(slew).unwrap().adjust(), slew);
        }
        let zero = Adjust::Hybrid {
            max_rate_ppm: 1,
            threshold: Span::ZERO,
        };
        assert_eq!(Discipline::new(zero).unwrap().adjust(), zero);
        assert_eq!(Discipline::new(Adjust::Step), Ok(Discipline::plain()));
    }
}
