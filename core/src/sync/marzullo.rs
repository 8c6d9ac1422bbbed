//! Marzullo's algorithm: from `n` time sources, each an interval `[t − ε, t + ε]` that
//! claims to contain the true time, find the interval the most sources agree on.
//!
//! Marzullo, "Maintaining the Time in a Distributed System", PhD thesis, Stanford 1984, §3
//! (and Marzullo & Owicki, PODC 1983); NTP's *intersection algorithm* (Mills, RFC 5905
//! §11.2.1) is its refinement. A sweep over the `2n` sorted endpoints counts how many
//! intervals cover each point.
//!
//! Two answers are offered. [`best`] is the classic one: the region covered by the most
//! sources. [`intersection`] is the fault-tolerant one: the smallest interval containing
//! every point covered by at least `n − f` sources. Invariant (tested over generated
//! sources): if at most `f` sources are wrong, every correct interval contains the true
//! time, so the true time is covered `n − f` times and lies inside [`intersection`]'s
//! answer — whereas [`best`] can be steered away from it by liars who agree with each other.

use alloc::vec::Vec;
use core::fmt;

use crate::time::{Instant, Span};

/// A closed interval of time `[lo, hi]`.
///
/// # Examples
///
/// ```
/// use chronoscope::sync::marzullo::Interval;
/// use chronoscope::time::{Instant, Span};
/// let i = Interval::around(Instant::from_millis(10), Span::from_millis(2));
/// assert!(i.contains(Instant::from_millis(12)) && !i.contains(Instant::from_millis(13)));
/// assert_eq!(i.width(), Span::from_millis(4));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Interval {
    /// Earliest.
    pub lo: Instant,
    /// Latest.
    pub hi: Instant,
}

impl Interval {
    /// `[lo, hi]`, or `None` when `lo > hi`.
    pub fn new(lo: Instant, hi: Instant) -> Option<Interval> {
        (lo <= hi).then_some(Interval { lo, hi })
    }
    /// `[mid − radius, mid + radius]` (a negative radius counts as its absolute value).
    pub fn around(mid: Instant, radius: Span) -> Interval {
        let r = radius.abs();
        Interval {
            lo: mid - r,
            hi: mid + r,
        }
    }
    /// Whether `t` lies inside (ends included).
    pub fn contains(&self, t: Instant) -> bool {
        self.lo <= t && t <= self.hi
    }
    /// The middle point.
    pub fn midpoint(&self) -> Instant {
        self.lo + Span::from_nanos(self.hi.since(self.lo).as_nanos() / 2)
    }
    /// `hi − lo`.
    pub fn width(&self) -> Span {
        self.hi.since(self.lo)
    }
}

/// What the sources agree on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Agreement {
    /// The agreed interval.
    pub interval: Interval,
    /// How many sources agree on (cover) it.
    pub sources: usize,
}

/// Why no agreement could be computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarzulloError {
    /// No sources at all.
    NoSources,
    /// `f ≥ n`: tolerating that many faults leaves no one to believe.
    TooManyFaults {
        /// Faults to tolerate.
        f: usize,
        /// Sources.
        n: usize,
    },
    /// No point is covered by `n − f` sources: more than `f` of them must be wrong.
    NoQuorum {
        /// The most sources covering any point.
        best: usize,
        /// The `n − f` needed.
        needed: usize,
    },
}

impl fmt::Display for MarzulloError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MarzulloError::NoSources => f.write_str("no time sources"),
            MarzulloError::TooManyFaults { f: faults, n } => {
                write!(f, "cannot tolerate {faults} faulty sources out of {n}")
            }
            MarzulloError::NoQuorum { best, needed } => write!(
                f,
                "at most {best} sources agree, {needed} needed: too many are faulty"
            ),
        }
    }
}

impl core::error::Error for MarzulloError {}

/// Endpoints sorted so that, at equal times, starts come before ends (closed intervals that
/// touch do overlap).
fn edges(intervals: &[Interval]) -> Vec<(Instant, i8)> {
    let mut e: Vec<(Instant, i8)> = intervals
        .iter()
        .flat_map(|i| [(i.lo, -1), (i.hi, 1)])
        .collect();
    e.sort();
    e
}

/// Classic Marzullo: the first region covered by the most sources.
///
/// # Examples
///
/// ```
/// use chronoscope::sync::marzullo::{best, Interval};
/// use chronoscope::time::Instant;
/// let s = |lo, hi| Interval::new(Instant::from_millis(lo), Instant::from_millis(hi)).unwrap();
/// let a = best(&[s(8, 12), s(11, 13), s(10, 12)]).unwrap();
/// assert_eq!(a.interval, s(11, 12));
/// assert_eq!(a.sources, 3);
/// ```
pub fn best(intervals: &[Interval]) -> Option<Agreement> {
    let e = edges(intervals);
    let (mut count, mut top) = (0usize, 0usize);
    let mut found = None;
    for (k, &(t, kind)) in e.iter().enumerate() {
        if kind < 0 {
            count += 1;
            if count > top {
                top = count;
                // The region runs to the next edge (an end, since starts sort first).
                let hi = e.get(k + 1).map_or(t, |&(next, _)| next);
                found = Some(Agreement {
                    interval: Interval { lo: t, hi },
                    sources: count,
                });
            }
        } else {
            count = count.saturating_sub(1);
        }
    }
    found
}

/// Fault-tolerant Marzullo: the smallest interval containing every point covered by at
/// least `n − f` of the `n` sources.
///
/// # Examples
///
/// ```
/// use chronoscope::sync::marzullo::{intersection, Interval};
/// use chronoscope::time::Instant;
/// let s = |lo, hi| Interval::new(Instant::from_millis(lo), Instant::from_millis(hi)).unwrap();
/// // Three honest clocks around 10 ms and one liar at 50 ms, f = 1.
/// let a = intersection(&[s(8, 12), s(9, 11), s(10, 13), s(49, 51)], 1).unwrap();
/// assert_eq!(a.interval, s(10, 11));
/// assert!(a.interval.contains(Instant::from_millis(10)));
/// ```
pub fn intersection(intervals: &[Interval], f: usize) -> Result<Agreement, MarzulloError> {
    let n = intervals.len();
    if n == 0 {
        return Err(MarzulloError::NoSources);
    }
    if f >= n {
        return Err(MarzulloError::TooManyFaults { f, n });
    }
    let needed = n - f;
    let (mut count, mut top) = (0usize, 0usize);
    let (mut lo, mut hi) = (None, None);
    for (t, kind) in edges(intervals) {
        if kind < 0 {
            count += 1;
            top = top.max(count);
            if count >= needed && lo.is_none() {
                lo = Some(t);
            }
        } else {
            if count >= needed {
                hi = Some(t);
            }
            count = count.saturating_sub(1);
        }
    }
    match (lo, hi) {
        (Some(lo), Some(hi)) => Ok(Agreement {
            interval: Interval { lo, hi },
            sources: top,
        }),
        _ => Err(MarzulloError::NoQuorum { best: top, needed }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(lo: i64, hi: i64) -> Interval {
        Interval::new(Instant::from_millis(lo), Instant::from_millis(hi)).unwrap()
    }

    #[test]
    fn colluding_liars_steer_best_but_not_intersection() {
        // True time 10. Three honest sources; two liars agree with each other and with the
        // edge of one honest interval.
        let sources = [s(9, 11), s(8, 15), s(5, 15), s(13, 20), s(14, 20)];
        let b = best(&sources).unwrap();
        assert_eq!(b.interval, s(14, 15));
        assert!(!b.interval.contains(Instant::from_millis(10)));
        let t = intersection(&sources, 2).unwrap();
        assert!(t.interval.contains(Instant::from_millis(10)), "{t:?}");
    }

    #[test]
    fn errors_are_typed() {
        assert_eq!(intersection(&[], 0), Err(MarzulloError::NoSources));
        assert_eq!(
            intersection(&[s(0, 1)], 1),
            Err(MarzulloError::TooManyFaults { f: 1, n: 1 })
        );
        assert_eq!(
            intersection(&[s(0, 1), s(5, 6), s(9, 10)], 1),
            Err(MarzulloError::NoQuorum { best: 1, needed: 2 })
        );
        assert_eq!(Interval::new(Instant::from_millis(2), Instant::ZERO), None);
    }
}
