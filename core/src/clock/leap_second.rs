//! Leap seconds on a wall clock: stepped (POSIX) or smeared (Google's and Amazon's leap smear).
//!
//! UTC occasionally inserts (or could delete) a second. A POSIX clock cannot show 23:59:60,
//! so at the leap it steps back one second and repeats it; a *smearing* clock instead runs
//! slow (or fast) by one second spread linearly over a window centred on the leap — Google
//! smears over 24 h, noon to noon, an 11.6 ppm rate change (Google Public NTP, "Leap Smear").
//! The correction is a function of the clock's own unsmeared reading, so it applies on top
//! of drift, offset and slew, and never touches the monotonic reading.
//!
//! Invariant: with a smear window of at least [`LeapSecond::MIN_SMEAR`], the smeared wall
//! reading never goes back; after the window it differs from the unsmeared one by exactly 1 s.

use super::discipline::ClockConfigError;
use crate::time::{Instant, Span};

const SECOND: i64 = 1_000_000_000;

/// A leap second, as the wall clock applies it.
///
/// ```
/// use chronoscope::{clock::{LeapSecond, PhysicalClock}, time::{Instant, Span}};
/// let midnight = Instant::from_millis(86_400_000);
/// let leap = LeapSecond { at: midnight, insert: true, smear: Some(Span::from_secs(86_400)) };
/// let clock = PhysicalClock::perfect().with_leap_second(leap).unwrap();
/// assert_eq!(clock.read(midnight), midnight - Span::from_millis(500)); // half-way through
/// let after = midnight + Span::from_secs(50_000);
/// assert_eq!(clock.read(after), after - Span::from_secs(1));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeapSecond {
    /// The wall reading at which the leap takes effect (midnight UTC).
    pub at: Instant,
    /// `true` for an inserted second (the clock falls 1 s behind), `false` for a deleted one.
    pub insert: bool,
    /// `None`: step at `at`. `Some(window)`: smear linearly over `window` centred on `at`.
    pub smear: Option<Span>,
}

impl LeapSecond {
    /// The shortest smear window (the smeared clock must keep a positive rate).
    pub const MIN_SMEAR: Span = Span::from_secs(2);
    /// The longest smear window (a week).
    pub const MAX_SMEAR: Span = Span::from_secs(7 * 86_400);

    /// Checks the smear window.
    pub fn validate(&self) -> Result<(), ClockConfigError> {
        match self.smear {
            Some(w) if w < Self::MIN_SMEAR || w > Self::MAX_SMEAR => {
                Err(ClockConfigError::SmearWindow(w))
            }
            _ => Ok(()),
        }
    }

    /// What to add to the unsmeared reading `raw`.
    pub fn correction(&self, raw: Instant) -> Span {
        let sign = if self.insert { -1 } else { 1 };
        let done = match self.smear {
            None => {
                if raw >= self.at {
                    SECOND
                } else {
                    0
                }
            }
            Some(window) => {
                let w = window.as_nanos().max(1) as i128;
                let start = self.at.as_nanos() as i128 - w / 2;
                let into = (raw.as_nanos() as i128 - start).clamp(0, w);
                (into * SECOND as i128 / w) as i64
            }
        };
        Span::from_nanos(sign * done)
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::clock::PhysicalClock;

    #[test]
    fn step_repeats_a_second_and_smear_never_goes_back() {
        let at = Instant::from_millis(10_000);
        let stepped = PhysicalClock::perfect()
            .with_leap_second(LeapSecond {
                at,
                insert: true,
                smear: None,
            })
            .unwrap();
        assert_eq!(
            stepped.read(at - Span::from_nanos(1)),
            at - Span::from_nanos(1)
        );
        assert_eq!(stepped.read(at), at - Span::from_secs(1));
        assert_eq!(stepped.monotonic(at), at);
        let smeared = PhysicalClock::perfect()
            .with_leap_second(LeapSecond {
                at,
                insert: true,
                smear: Some(Span::from_secs(4)),
            })
            .unwrap();
        let mut last = smeared.read(Instant::ZERO);
        for ms in 0..20_000 {
            let r = smeared.read(Instant::from_millis(ms));
            assert!(r >= last);
            last = r;
        }
        let deleted = LeapSecond {
            at,
            insert: false,
            smear: Some(Span::from_secs(4)),
        };
        assert_eq!(
            deleted.correction(at + Span::from_secs(2)),
            Span::from_secs(1)
        );
        let bad = LeapSecond {
            at,
            insert: true,
            smear: Some(Span::from_secs(1)),
        };
        assert!(PhysicalClock::perfect().with_leap_second(bad).is_err());
    }
}
