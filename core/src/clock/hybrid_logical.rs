//! Hybrid logical clocks (Kulkarni, Demirbas, Madappa, Avva, Leone, "Logical Physical Clocks",
//! OPODIS 2014, §3 Fig. 5 "HLC algorithm").
//!
//! A timestamp is `(l, c)`: `l` is the largest physical time (milliseconds) the node has heard
//! of, `c` a logical counter that orders events sharing the same `l`. Send or local event:
//! `l' = max(l, pt)`, `c' = c + 1` if `l' = l` else `0`. Receive of `(l_m, c_m)`:
//! `l' = max(l, l_m, pt)`, and `c'` is `max(c, c_m) + 1`, `c + 1`, `c_m + 1` or `0` depending on
//! which of them `l'` equals.
//!
//! **Packing.** `(l, c)` is packed into one `u64`: the high 48 bits are `l` in milliseconds
//! (enough for 8 900 years after the epoch), the low 16 bits are `c`. Comparing the `u64`s
//! compares `(l, c)` lexicographically, and both rules above become one line each:
//! send = `max(pt << 16, last + 1)`, receive = `max(pt << 16, last + 1, remote + 1)`.
//!
//! **Logical overflow: borrow from `l`.** If `c` would pass 65 535, the `+ 1` carries into `l`
//! (the timestamp `(l + 1, 0)`), as uhlc does: the clock stays total and monotonic and never
//! fails, at the cost of `l` running 1 ms ahead of physical time per 65 536 events stamped
//! within one millisecond. The paper's bound (`c` is at most the number of causally preceding
//! events with the same `l`) keeps this out of reach at realistic rates.
//!
//! **Physical readings** before the epoch count as 0 ms; beyond 2⁴⁸ − 1 ms they saturate.
//!
//! **Max offset.** A remote stamp whose `l` is more than `max_offset` ahead of the local
//! physical reading is refused with [`HlcError::RemoteTooFarAhead`] and the clock is left
//! unchanged (CockroachDB's `--max-offset`, uhlc's `max_delta`): one bad clock cannot drag
//! every node's timestamps into the future.
//!
//! Invariants: timestamps a node issues strictly increase whatever its physical clock does;
//! `l ≥ pt`; if `e → f` then `hlc(e) < hlc(f)`; with physical skew at most ε, `l − pt ≤ ε`.

use core::fmt;

use crate::time::{Instant, Span};

const LOGICAL_BITS: u32 = 16;
const NANOS_PER_MS: i64 = 1_000_000;

/// A hybrid logical timestamp `(l, c)` packed into 64 bits (48-bit ms + 16-bit counter).
///
/// ```
/// use chronoscope::clock::HlcTimestamp;
/// let t = HlcTimestamp::new(1_000, 3).unwrap();
/// assert_eq!((t.physical_ms(), t.logical()), (1_000, 3));
/// assert_eq!(t.as_u64(), (1_000 << 16) | 3);
/// assert!(t < HlcTimestamp::new(1_001, 0).unwrap());
/// assert!(HlcTimestamp::new(1 << 48, 0).is_err());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HlcTimestamp(u64);

impl HlcTimestamp {
    /// The smallest timestamp `(0, 0)`.
    pub const ZERO: HlcTimestamp = HlcTimestamp(0);
    /// The largest physical part, in milliseconds (2⁴⁸ − 1).
    pub const MAX_PHYSICAL_MS: u64 = (1 << (64 - LOGICAL_BITS)) - 1;

    /// `(physical_ms, logical)`, or an error if `physical_ms` does not fit in 48 bits.
    pub const fn new(physical_ms: u64, logical: u16) -> Result<Self, HlcError> {
        if physical_ms > Self::MAX_PHYSICAL_MS {
            return Err(HlcError::PhysicalOutOfRange(physical_ms));
        }
        Ok(HlcTimestamp((physical_ms << LOGICAL_BITS) | logical as u64))
    }
    /// The timestamp a packed `u64` stands for (every `u64` is one).
    pub const fn from_u64(packed: u64) -> Self {
        HlcTimestamp(packed)
    }
    /// The packed form.
    pub const fn as_u64(self) -> u64 {
        self.0
    }
    /// `l`, in milliseconds.
    pub const fn physical_ms(self) -> u64 {
        self.0 >> LOGICAL_BITS
    }
    /// `c`.
    pub const fn logical(self) -> u16 {
        self.0 as u16
    }
}

impl fmt::Display for HlcTimestamp {
    /// `l.c`, e.g. `43200000.2`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.physical_ms(), self.logical())
    }
}

/// Why a hybrid logical clock refused an input (the clock is left unchanged).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HlcError {
    /// A remote stamp is further ahead of the local physical clock than the max offset.
    RemoteTooFarAhead {
        /// The remote stamp.
        remote: HlcTimestamp,
        /// The local physical reading, in ms.
        local_ms: u64,
        /// The configured bound, in ms.
        max_offset_ms: u64,
    },
    /// A physical time beyond 2⁴⁸ − 1 ms.
    PhysicalOutOfRange(u64),
    /// The clock stands at the last representable timestamp.
    Exhausted,
    /// A max offset below zero (the bound on how far ahead a remote stamp may be).
    NegativeMaxOffset(Span),
}

impl fmt::Display for HlcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HlcError::RemoteTooFarAhead {
                remote,
                local_ms,
                max_offset_ms,
            } => write!(
                f,
                "remote timestamp {remote} is more than {max_offset_ms} ms ahead of local {local_ms} ms"
            ),
            HlcError::PhysicalOutOfRange(ms) => write!(f, "physical time {ms} ms needs more than 48 bits"),
            HlcError::Exhausted => f.write_str("the hybrid logical clock has no timestamp left"),
            HlcError::NegativeMaxOffset(s) => write!(f, "max offset {s} is negative"),
        }
    }
}

impl core::error::Error for HlcError {}

/// A hybrid logical clock at one node.
///
/// ```
/// use chronoscope::{clock::{HlcError, HybridLogicalClock}, time::{Instant, Span}};
/// let mut hlc = HybridLogicalClock::new(Span::from_millis(500))?;
/// let a = hlc.now(Instant::from_millis(1_000)).unwrap();
/// // The physical clock is set back five minutes: the HLC keeps increasing.
/// let b = hlc.now(Instant::from_millis(1_000 - 300_000)).unwrap();
/// assert!(b > a && b.physical_ms() == 1_000 && b.logical() == 1);
/// // A remote stamp 10 s ahead of our physical clock is refused; nothing changes.
/// let far = chronoscope::clock::HlcTimestamp::new(11_000, 0).unwrap();
/// assert!(matches!(hlc.update(far, Instant::from_millis(1_000)), Err(HlcError::RemoteTooFarAhead { .. })));
/// assert_eq!(hlc.last(), b);
/// // A negative max offset is refused rather than read as 0.
/// assert_eq!(
///     HybridLogicalClock::new(Span::from_millis(-1)),
///     Err(HlcError::NegativeMaxOffset(Span::from_millis(-1)))
/// );
/// # Ok::<(), HlcError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HybridLogicalClock {
    last: HlcTimestamp,
    max_offset_ms: u64,
}

impl HybridLogicalClock {
    /// A clock at `(0, 0)` refusing remote stamps more than `max_offset` ahead, or
    /// [`HlcError::NegativeMaxOffset`] if `max_offset` is negative. Timestamps count whole
    /// milliseconds, so a sub-millisecond part of `max_offset` is dropped (1.9 ms allows 1 ms).
    pub fn new(max_offset: Span) -> Result<Self, HlcError> {
        if max_offset < Span::ZERO {
            return Err(HlcError::NegativeMaxOffset(max_offset));
        }
        Ok(Self::with_max_offset_ms(
            (max_offset.as_nanos() / NANOS_PER_MS) as u64,
        ))
    }
    /// A clock at `(0, 0)` refusing remote stamps more than `max_offset_ms` milliseconds
    /// ahead (every `u64` is a valid bound; `u64::MAX` is [`unbounded`](Self::unbounded)).
    pub const fn with_max_offset_ms(max_offset_ms: u64) -> Self {
        HybridLogicalClock {
            last: HlcTimestamp::ZERO,
            max_offset_ms,
        }
    }
    /// A clock that accepts remote stamps however far ahead (the paper's unbounded rule).
    pub fn unbounded() -> Self {
        HybridLogicalClock {
            last: HlcTimestamp::ZERO,
            max_offset_ms: u64::MAX,
        }
    }
    /// The last timestamp issued or absorbed.
    pub fn last(&self) -> HlcTimestamp {
        self.last
    }
    /// The max offset, in ms (`u64::MAX` when unbounded).
    pub fn max_offset_ms(&self) -> u64 {
        self.max_offset_ms
    }

    /// A physical reading in whole ms, clamped into `0..=2⁴⁸ − 1`.
    pub fn physical_ms(pt: Instant) -> u64 {
        (pt.as_millis().max(0) as u64).min(HlcTimestamp::MAX_PHYSICAL_MS)
    }

    /// A send or local event at physical reading `pt`: returns the event's timestamp.
    pub fn now(&mut self, pt: Instant) -> Result<HlcTimestamp, HlcError> {
        let next = self.last.0.checked_add(1).ok_or(HlcError::Exhausted)?;
        self.last = HlcTimestamp(next.max(Self::physical_ms(pt) << LOGICAL_BITS));
        Ok(self.last)
    }

    /// Checks that `remote` may be absorbed at physical reading `pt`.
    pub fn validate_update(&self, remote: HlcTimestamp, pt: Instant) -> Result<(), HlcError> {
        let local_ms = Self::physical_ms(pt);
        if remote.physical_ms() > local_ms.saturating_add(self.max_offset_ms) {
            return Err(HlcError::RemoteTooFarAhead {
                remote,
                local_ms,
                max_offset_ms: self.max_offset_ms,
            });
        }
        if self.last.0.max(remote.0) == u64::MAX {
            return Err(HlcError::Exhausted);
        }
        Ok(())
    }

    /// A receive event of a message stamped `remote`, at physical reading `pt`: returns the
    /// event's timestamp, or refuses (leaving the clock unchanged).
    pub fn update(&mut self, remote: HlcTimestamp, pt: Instant) -> Result<HlcTimestamp, HlcError> {
        self.validate_update(remote, pt)?;
        let next = (self.last.0.max(remote.0) + 1).max(Self::physical_ms(pt) << LOGICAL_BITS);
        self.last = HlcTimestamp(next);
        Ok(self.last)
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The paper's Fig. 5, written out literally on `(l, c)` pairs.
    fn paper_receive(l: u64, c: u64, lm: u64, cm: u64, pt: u64) -> (u64, u64) {
        let l2 = l.max(lm).max(pt);
        let c2 = if l2 == l && l2 == lm {
            c.max(cm) + 1
        } else if l2 == l {
            c + 1
        } else if l2 == lm {
            cm + 1
        } else {
            0
        };
        (l2, c2)
    }

    fn at(ms: u64) -> Instant {
        Instant::from_millis(ms as i64)
    }

    proptest! {
        #[test]
        fn packed_rules_equal_the_papers_rules(
            l in 0u64..50, c in 0u64..1_000, lm in 0u64..50, cm in 0u64..1_000, pt in 0u64..50,
        ) {
            let mut hlc = HybridLogicalClock::unbounded();
            hlc.last = HlcTimestamp::new(l, c as u16).unwrap();
            let remote = HlcTimestamp::new(lm, cm as u16).unwrap();
            let got = hlc.update(remote, at(pt)).unwrap();
            prop_assert_eq!((got.physical_ms(), got.logical() as u64), paper_receive(l, c, lm, cm, pt));
            let mut send = HybridLogicalClock::unbounded();
            send.last = HlcTimestamp::new(l, c as u16).unwrap();
            let s = send.now(at(pt)).unwrap();
            let expect = if pt > l { (pt, 0) } else { (l, c + 1) };
            prop_assert_eq!((s.physical_ms(), s.logical() as u64), expect);
        }
    }

    #[test]
    fn negative_max_offset_is_refused_naming_it() {
        let e = HybridLogicalClock::new(Span::from_nanos(-1)).unwrap_err();
        assert_eq!(e, HlcError::NegativeMaxOffset(Span::from_nanos(-1)));
        assert!(e.to_string().starts_with("max offset -"), "{e}");
        assert!(e.to_string().ends_with(" is negative"), "{e}");
        assert_eq!(
            HybridLogicalClock::new(Span::from_nanos(i64::MIN)),
            Err(HlcError::NegativeMaxOffset(Span::from_nanos(i64::MIN)))
        );
        let zero = HybridLogicalClock::new(Span::ZERO).unwrap();
        assert_eq!(zero.max_offset_ms(), 0);
        let sub_ms = HybridLogicalClock::new(Span::from_micros(1_900)).unwrap();
        assert_eq!(sub_ms.max_offset_ms(), 1);
        assert_eq!(HybridLogicalClock::with_max_offset_ms(7).max_offset_ms(), 7);
    }

    proptest! {
        /// Any max offset either builds a clock with that bound (in whole ms) or is refused
        /// with the value; a negative one is never read as 0.
        #[test]
        fn any_max_offset_is_kept_or_refused(ns in any::<i64>()) {
            match HybridLogicalClock::new(Span::from_nanos(ns)) {
                Ok(c) => {
                    prop_assert!(ns >= 0);
                    prop_assert_eq!(c.max_offset_ms(), (ns / NANOS_PER_MS) as u64);
                }
                Err(e) => {
                    prop_assert!(ns < 0);
                    prop_assert_eq!(e, HlcError::NegativeMaxOffset(Span::from_nanos(ns)));
                }
            }
        }
    }

    #[test]
    fn overflow_borrows_from_l_and_rejection_leaves_clock_unchanged() {
        let mut hlc = HybridLogicalClock::new(Span::from_millis(100)).unwrap();
        hlc.last = HlcTimestamp::new(7, u16::MAX).unwrap();
        let t = hlc.now(at(7)).unwrap();
        assert_eq!((t.physical_ms(), t.logical()), (8, 0));
        let before = hlc;
        let far = HlcTimestamp::new(108, 0).unwrap();
        assert!(hlc.update(far, at(7)).is_err());
        assert_eq!(hlc, before);
        assert!(hlc
            .update(HlcTimestamp::new(107, 0).unwrap(), at(7))
            .is_ok());
        hlc.last = HlcTimestamp::from_u64(u64::MAX);
        assert_eq!(hlc.now(at(7)), Err(HlcError::Exhausted));
        assert_eq!(HybridLogicalClock::physical_ms(Instant::from_millis(-5)), 0);
        assert_eq!(HlcTimestamp::new(5, 2).unwrap().to_string(), "5.2");
    }
}
