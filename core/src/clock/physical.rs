//! A node's physical clock: a quartz oscillator that drifts (at a constant rate, or along a
//! bounded random walk that models temperature), an offset, forward and backward jumps, and
//! an NTP-style discipline that corrects it by *step* or by *slew*.
//!
//! Model (Tanenbaum & van Steen, "Distributed Systems", §6.1; Mills, "Computer Network Time
//! Synchronization", ch. 4 for ntpd's step/slew/panic rules):
//!
//! - the **oscillator** counts `t + Σ drift_i · Δt_i` over piecewise-constant drift segments
//!   (exact integer arithmetic in parts per 10¹²);
//! - the **wall reading** is oscillator + offset (initial offset, jumps, steps) + slew applied
//!   so far, then an optional [`LeapSecond`] correction;
//! - the **monotonic reading** is oscillator + slew: steps, jumps and leap seconds never touch
//!   it, and since drift is capped at ±[`MAX_DRIFT_PPM`] and slew at [`MAX_SLEW_PPM`] its rate
//!   stays above 0.4, so it never goes back (Linux's `CLOCK_MONOTONIC`).
//!
//! Both readings are pure functions of true time (for any instant at or after the last
//! [`adjust`](PhysicalClock::adjust)), so the simulator can ask for them at any instant.
//! Invariants: the monotonic reading never decreases; a slew moves the wall reading at most
//! `slew_ppm` µs per second away from the unslewed one; a correction beyond the panic
//! threshold is refused and leaves the clock unchanged.

use alloc::vec::Vec;

use super::discipline::Slew;
use super::discipline::{AdjustError, Adjustment, Applied, ClockConfigError, Discipline};
use super::drift_walk::DriftWalk;
use super::leap_second::LeapSecond;
use crate::time::{Instant, Span};

/// The largest drift a clock accepts, in ppm (10 %: far beyond any real quartz).
pub const MAX_DRIFT_PPM: f64 = 500_000.0;
/// The fastest slew a discipline accepts, in ppm.
pub const MAX_SLEW_PPM: u32 = 100_000;
const PPT_PER_PPM: f64 = 1e6;
const ONE: i128 = 1_000_000_000_000; // parts per 10^12

/// Checks a drift parameter named `param`: finite and within ±[`MAX_DRIFT_PPM`].
pub(crate) fn check_drift(param: &'static str, ppm: f64) -> Result<(), ClockConfigError> {
    if !ppm.is_finite() {
        return Err(ClockConfigError::NotFinite { param, value: ppm });
    }
    if ppm.abs() > MAX_DRIFT_PPM {
        return Err(ClockConfigError::DriftOutOfRange { param, ppm });
    }
    Ok(())
}

/// Converts ppm to parts per 10¹². Callers check the drift first ([`check_drift`]); as a
/// last line of defence against arithmetic trouble it still clamps to ±[`MAX_DRIFT_PPM`] and
/// maps NaN to 0.
pub(crate) fn ppm_to_ppt(ppm: f64) -> i64 {
    let ppm = if ppm.is_nan() {
        0.0
    } else {
        ppm.clamp(-MAX_DRIFT_PPM, MAX_DRIFT_PPM)
    };
    let v = ppm * PPT_PER_PPM;
    (if v >= 0.0 { v + 0.5 } else { v - 0.5 }) as i64
}

/// `d · ppt / 10¹²`, rounded to nearest (ties up), saturating.
fn scale(d: i64, ppt: i64) -> i64 {
    let v = (d as i128 * ppt as i128 + ONE / 2).div_euclid(ONE);
    v.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

/// One piece of constant drift: from true time `start`, the oscillator reads `base + Δ + drift`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Segment {
    pub(crate) start: i64,
    pub(crate) base: i64,
    pub(crate) ppt: i64,
}

impl Segment {
    pub(crate) fn at(&self, t: i64) -> i64 {
        let d = t.saturating_sub(self.start);
        self.base
            .saturating_add(d)
            .saturating_add(scale(d, self.ppt))
    }
}

/// A drifting, disciplined physical clock.
///
/// ```
/// use chronoscope::{clock::{Adjustment, PhysicalClock}, time::{Instant, Span}};
/// let mut clock = PhysicalClock::new(Span::from_millis(5), 100.0); // 5 ms ahead, +100 ppm
/// let reading = clock.read(Instant::from_millis(1_000));
/// assert_eq!(reading, Instant::from_micros(1_005_100)); // +5 ms, +0.1 ms of drift
///
/// // Slew the 5.1 ms error away at ntpd's 500 ppm: it takes 10.2 s of true time.
/// clock.adjust(Instant::from_millis(1_000), Span::from_micros(-5_100), Adjustment::Slew).unwrap();
/// let later = Instant::from_millis(11_200);
/// assert_eq!(clock.read(later), later + Span::from_micros(1_020)); // only the new drift is left
/// // A correction of an hour is refused, as ntpd's panic threshold does.
/// assert!(clock.adjust(later, Span::from_secs(3_600), Adjustment::Step).is_err());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct PhysicalClock {
    segments: Vec<Segment>,
    nominal_ppm: f64,
    offset: Span,
    slewed: Span,
    slew: Option<Slew>,
    last_adjust: Instant,
    discipline: Discipline,
    leap: Option<LeapSecond>,
}

impl PhysicalClock {
    /// A clock that starts `offset` ahead of true time (negative: behind) and gains
    /// `drift_ppm` microseconds per second (negative: loses), or
    /// [`ClockConfigError::NotFinite`] / [`ClockConfigError::DriftOutOfRange`] naming the
    /// drift if it is NaN, infinite or beyond ±[`MAX_DRIFT_PPM`]. Use this for any drift that
    /// comes from a user, a file or a message.
    ///
    /// [`drift_ppm`](Self::drift_ppm) then returns exactly `drift_ppm`; the oscillator counts
    /// it to the nearest part in 10¹².
    ///
    /// ```
    /// use chronoscope::{clock::{ClockConfigError, PhysicalClock}, time::Span};
    /// assert_eq!(PhysicalClock::try_new(Span::ZERO, 12.5).unwrap().drift_ppm(), 12.5);
    /// assert_eq!(
    ///     PhysicalClock::try_new(Span::ZERO, 1e6),
    ///     Err(ClockConfigError::DriftOutOfRange { param: "drift_ppm", ppm: 1e6 })
    /// );
    /// assert!(PhysicalClock::try_new(Span::ZERO, f64::NAN).is_err());
    /// ```
    pub fn try_new(offset: Span, drift_ppm: f64) -> Result<Self, ClockConfigError> {
        check_drift("drift_ppm", drift_ppm)?;
        Ok(Self::constant_drift(offset, drift_ppm))
    }

    /// [`try_new`](Self::try_new) for a drift that is a constant or already validated (a
    /// scenario's clamped parameters, a test's literal): the infallible path, for code that
    /// knows its drift is finite and within ±[`MAX_DRIFT_PPM`]. It cannot report anything
    /// else, so it would clamp the drift into range (NaN and ±∞ counting as 0) — never pass
    /// it a value from a user, a file or a message; use [`try_new`](Self::try_new).
    pub fn new(offset: Span, drift_ppm: f64) -> Self {
        let drift_ppm = if drift_ppm.is_finite() {
            drift_ppm.clamp(-MAX_DRIFT_PPM, MAX_DRIFT_PPM)
        } else {
            0.0
        };
        Self::constant_drift(offset, drift_ppm)
    }

    /// A clock with constant drift `drift_ppm`, which the caller has checked.
    fn constant_drift(offset: Span, drift_ppm: f64) -> Self {
        let mut clock = Self::from_segments(
            offset,
            alloc::vec![Segment {
                start: 0,
                base: 0,
                ppt: ppm_to_ppt(drift_ppm),
            }],
        );
        clock.nominal_ppm = drift_ppm;
        clock
    }

    fn from_segments(offset: Span, segments: Vec<Segment>) -> Self {
        let nominal_ppm = segments.first().map_or(0.0, |s| s.ppt as f64 / PPT_PER_PPM);
        PhysicalClock {
            segments,
            nominal_ppm,
            offset,
            slewed: Span::ZERO,
            slew: None,
            last_adjust: Instant::from_nanos(i64::MIN),
            discipline: Discipline::default(),
            leap: None,
        }
    }

    /// A clock whose drift follows the bounded random walk `walk` (temperature), fixed by its seed.
    pub fn with_drift_walk(offset: Span, walk: &DriftWalk) -> Result<Self, ClockConfigError> {
        Ok(Self::from_segments(offset, walk.segments()?))
    }

    /// A perfect clock.
    pub fn perfect() -> Self {
        Self::constant_drift(Span::ZERO, 0.0)
    }

    /// Replaces the discipline (slew rate, step and panic thresholds) after checking it.
    pub fn with_discipline(mut self, discipline: Discipline) -> Result<Self, ClockConfigError> {
        discipline.validate()?;
        self.discipline = discipline;
        Ok(self)
    }

    /// Adds a leap second to the wall reading (stepped or smeared; see [`LeapSecond`]).
    pub fn with_leap_second(mut self, leap: LeapSecond) -> Result<Self, ClockConfigError> {
        leap.validate()?;
        self.leap = Some(leap);
        Ok(self)
    }

    /// The discipline in force.
    pub fn discipline(&self) -> Discipline {
        self.discipline
    }
    /// The drift rate at true time zero, in parts per million.
    pub fn drift_ppm(&self) -> f64 {
        self.nominal_ppm
    }
    /// The drift rate at true time `now`, in parts per million.
    pub fn drift_ppm_at(&self, now: Instant) -> f64 {
        self.segment(now.as_nanos()).ppt as f64 / PPT_PER_PPM
    }
    /// The offset the clock had at true time zero plus every jump, step and finished slew.
    pub fn offset(&self) -> Span {
        self.offset + self.slewed
    }

    fn segment(&self, t: i64) -> &Segment {
        let i = self.segments.partition_point(|s| s.start <= t);
        &self.segments[i.saturating_sub(1)]
    }

    fn oscillator(&self, now: Instant) -> Span {
        Span::from_nanos(self.segment(now.as_nanos()).at(now.as_nanos()))
    }

    fn slew_applied(&self, now: Instant) -> Span {
        self.slewed + self.slew.map_or(Span::ZERO, |s| s.applied(now))
    }

    /// The clock's wall reading at true time `now` (may jump backwards on steps and jumps).
    pub fn read(&self, now: Instant) -> Instant {
        let raw = Instant::ZERO + self.oscillator(now) + self.offset + self.slew_applied(now);
        match &self.leap {
            Some(leap) => raw + leap.correction(raw),
            None => raw,
        }
    }

    /// The monotonic reading at true time `now`: time since true time zero as this oscillator
    /// counts it, slewed but never stepped. It never decreases.
    pub fn monotonic(&self, now: Instant) -> Instant {
        Instant::ZERO + self.oscillator(now) + self.slew_applied(now)
    }

    /// Moves the clock by `by` (an operator's mistake, a VM resume): unchecked, and unlike
    /// [`adjust`](Self::adjust) it bypasses the discipline. The monotonic reading is unaffected.
    pub fn jump(&mut self, by: Span) {
        self.offset = self.offset + by;
    }

    /// Checks that `correction` at true time `now` would be accepted.
    pub fn validate_adjust(&self, now: Instant, correction: Span) -> Result<(), AdjustError> {
        if now < self.last_adjust {
            return Err(AdjustError::BeforeLastAdjustment {
                now,
                last: self.last_adjust,
            });
        }
        let threshold = self.discipline.panic_threshold;
        if correction.abs() > threshold {
            return Err(AdjustError::Panic {
                correction,
                threshold,
            });
        }
        Ok(())
    }

    /// Corrects the wall reading by `correction` at true time `now` (as NTP does after a
    /// poll). A slew in progress is cut short: what it applied stays, the rest is replaced.
    pub fn adjust(
        &mut self,
        now: Instant,
        correction: Span,
        how: Adjustment,
    ) -> Result<Applied, AdjustError> {
        self.validate_adjust(now, correction)?;
        self.slewed = self.slew_applied(now);
        self.slew = None;
        self.last_adjust = now;
        let step = match how {
            Adjustment::Step => true,
            Adjustment::Slew => false,
            Adjustment::Auto => correction.abs() > self.discipline.step_threshold,
        };
        if step {
            self.offset = self.offset + correction;
            return Ok(Applied::Stepped(correction));
        }
        let slew = Slew {
            start: now,
            amount: correction,
            ppm: self.discipline.slew_ppm,
        };
        if correction != Span::ZERO {
            self.slew = Some(slew);
        }
        Ok(Applied::Slewing {
            amount: correction,
            done_at: slew.done_at(),
        })
    }

    /// The part of the current slew not yet applied at true time `now`.
    pub fn slew_remaining(&self, now: Instant) -> Span {
        self.slew.map_or(Span::ZERO, |s| s.amount - s.applied(now))
    }

    /// How much true time passes while this clock advances by `local`, at the nominal drift
    /// (at least 1 ns for any positive span, so timers always make progress).
    pub fn true_span_for(&self, local: Span) -> Span {
        let rate = 1.0 + self.nominal_ppm * 1e-6;
        let rate = if rate > 1e-3 { rate } else { 1e-3 };
        let span = local.mul_f64(1.0 / rate);
        if local > Span::ZERO && span <= Span::ZERO {
            Span::from_nanos(1)
        } else {
            span
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
        assert_eq!(
            c.monotonic(Instant::from_millis(20_000)),
            Instant::from_millis(19_999)
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

    #[test]
    fn auto_steps_big_and_slews_small_and_panics_on_huge() {
        let mut c = PhysicalClock::perfect();
        let t = Instant::from_millis(1_000);
        assert_eq!(
            c.adjust(t, Span::from_secs(1), Adjustment::Auto),
            Ok(Applied::Stepped(Span::from_secs(1)))
        );
        assert_eq!(c.read(t), t + Span::from_secs(1));
        let r = c.adjust(t, Span::from_millis(-10), Adjustment::Auto);
        assert_eq!(
            r,
            Ok(Applied::Slewing {
                amount: Span::from_millis(-10),
                done_at: t + Span::from_secs(20)
            })
        );
        assert_eq!(
            c.read(t + Span::from_secs(10)),
            t + Span::from_secs(11) - Span::from_millis(5)
        );
        assert_eq!(
            c.slew_remaining(t + Span::from_secs(10)),
            Span::from_millis(-5)
        );
        let before = c.clone();
        let e = c.adjust(t, Span::from_secs(-1_001), Adjustment::Step);
        assert!(matches!(e, Err(AdjustError::Panic { .. })));
        assert!(matches!(
            c.adjust(Instant::ZERO, Span::ZERO, Adjustment::Step),
            Err(AdjustError::BeforeLastAdjustment { .. })
        ));
        assert_eq!(c, before);
        assert!(PhysicalClock::perfect()
            .with_discipline(Discipline {
                slew_ppm: 0,
                ..Discipline::default()
            })
            .is_err());
    }

    #[test]
    fn try_new_refuses_bad_drift_naming_it() {
        let nan = PhysicalClock::try_new(Span::ZERO, f64::NAN).unwrap_err();
        assert!(
            matches!(nan, ClockConfigError::NotFinite { param: "drift_ppm", value } if value.is_nan()),
            "{nan:?}"
        );
        assert_eq!(nan.to_string(), "drift_ppm is NaN, not a finite number");
        assert_eq!(
            PhysicalClock::try_new(Span::ZERO, f64::NEG_INFINITY),
            Err(ClockConfigError::NotFinite {
                param: "drift_ppm",
                value: f64::NEG_INFINITY
            })
        );
        let far = PhysicalClock::try_new(Span::ZERO, 500_000.5).unwrap_err();
        assert_eq!(
            far,
            ClockConfigError::DriftOutOfRange {
                param: "drift_ppm",
                ppm: 500_000.5
            }
        );
        assert_eq!(
            far.to_string(),
            "drift_ppm 500000.5 ppm is outside ±500000 ppm"
        );
        assert!(matches!(
            PhysicalClock::try_new(Span::ZERO, -1e9),
            Err(ClockConfigError::DriftOutOfRange { ppm, .. }) if ppm == -1e9
        ));
        // The limits themselves are accepted, exactly.
        for ppm in [-MAX_DRIFT_PPM, MAX_DRIFT_PPM, 0.0, -0.0, 1e-9] {
            let c = PhysicalClock::try_new(Span::from_millis(3), ppm).unwrap();
            assert_eq!(c.drift_ppm().to_bits(), ppm.to_bits());
            assert_eq!(c.offset(), Span::from_millis(3));
        }
    }

    fn any_drift() -> impl Strategy<Value = f64> {
        prop_oneof![
            any::<f64>(),
            -600_000.0f64..600_000.0,
            -1_000.0f64..1_000.0,
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            Just(MAX_DRIFT_PPM),
            Just(-MAX_DRIFT_PPM),
            Just(f64::from_bits(MAX_DRIFT_PPM.to_bits() + 1)),
            Just(f64::MAX),
            Just(f64::MIN_POSITIVE),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        /// Any drift builds a clock whose drift is exactly the input, or is refused with an
        /// error carrying the input; it is never silently changed.
        #[test]
        fn any_drift_is_kept_exactly_or_refused(ppm in any_drift(), offset in any::<i64>()) {
            let offset = Span::from_nanos(offset);
            match PhysicalClock::try_new(offset, ppm) {
                Ok(c) => {
                    prop_assert!(ppm.is_finite() && ppm.abs() <= MAX_DRIFT_PPM);
                    prop_assert_eq!(c.drift_ppm().to_bits(), ppm.to_bits());
                    prop_assert_eq!(c.offset(), offset);
                }
                Err(ClockConfigError::NotFinite { param, value }) => {
                    prop_assert!(!ppm.is_finite());
                    prop_assert_eq!(param, "drift_ppm");
                    prop_assert_eq!(value.to_bits(), ppm.to_bits());
                }
                Err(ClockConfigError::DriftOutOfRange { param, ppm: got }) => {
                    prop_assert!(ppm.is_finite() && ppm.abs() > MAX_DRIFT_PPM);
                    prop_assert_eq!(param, "drift_ppm");
                    prop_assert_eq!(got.to_bits(), ppm.to_bits());
                }
                Err(e) => prop_assert!(false, "unexpected error {:?}", e),
            }
        }
    }

    fn op() -> impl Strategy<Value = (u32, i64, u8)> {
        (1u32..5_000, -2_000_000i64..2_000_000, 0u8..4)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn monotonic_never_decreases_and_slew_respects_its_rate(
            drift in -500.0f64..500.0,
            slew_ppm in 1u32..2_000,
            ops in proptest::collection::vec(op(), 1..30),
        ) {
            let d = Discipline { slew_ppm, ..Discipline::default() };
            let mut c = PhysicalClock::new(Span::ZERO, drift).with_discipline(d).unwrap();
            let mut t = Instant::ZERO;
            let mut mono = c.monotonic(t);
            for (dt_ms, amount_us, kind) in ops {
                let next = t + Span::from_millis(dt_ms.into());
                // Between adjustments, the wall reading strays from the drift-only reading by
                // at most slew_ppm per second.
                let mut free = c.clone();
                free.slew = None;
                let strayed = |at: Instant| (c.read(at) - free.read(at)) - (c.read(t) - free.read(t));
                let bound = next.since(t).as_nanos() as i128 * slew_ppm as i128 / 1_000_000;
                prop_assert!((strayed(next).as_nanos().abs() as i128) <= bound);
                for k in 0..=8 {
                    let at = t + Span::from_nanos(next.since(t).as_nanos() * k / 8);
                    let m = c.monotonic(at);
                    prop_assert!(m >= mono, "monotonic went back at {:?}", at);
                    mono = m;
                }
                t = next;
                let amount = Span::from_micros(amount_us);
                match kind {
                    0 => { c.adjust(t, amount, Adjustment::Step).unwrap(); }
                    1 => { c.adjust(t, amount, Adjustment::Slew).unwrap(); }
                    2 => { c.adjust(t, amount, Adjustment::Auto).unwrap(); }
                    _ => c.jump(Span::from_nanos(amount.as_nanos() * 1_000)),
                }
            }
        }
    }
}
