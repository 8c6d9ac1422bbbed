//! Fault-tolerant averaging: of `n` clock readings, up to `f` of them arbitrary (Byzantine),
//! discard the `f` highest and the `f` lowest and combine the rest.
//!
//! Lundelius Welch & Lynch, "A New Fault-Tolerant Algorithm for Clock Synchronization",
//! Information and Computation 77(1), 1988, §3 (the *fault-tolerant midpoint*: the middle of
//! the `(f+1)`-th smallest and largest values), and Dolev, Lynch, Pinter, Stark & Weihl,
//! "Reaching Approximate Agreement in the Presence of Faults", JACM 33(3), 1986 (the
//! *fault-tolerant average*: the mean of the `n − 2f` values left). Both need `n > 2f` to
//! have anything left, and `n ≥ 3f + 1` for correct clocks to converge.
//!
//! Invariant (tested): whatever the `f` faulty values are, the result lies within the range
//! of the correct values, because at most `f` values lie outside it on either side and those
//! are exactly the ones trimmed.

use alloc::vec::Vec;
use core::fmt;

use crate::time::Span;

/// Why the values cannot be combined.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FtaError {
    /// `n ≤ 2f`: trimming `f` from each end leaves nothing.
    TooFewValues {
        /// Values given.
        n: usize,
        /// Faults to tolerate.
        f: usize,
    },
}

impl fmt::Display for FtaError {
    fn fmt(&self, fm: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FtaError::TooFewValues { n, f } => write!(
                fm,
                "{n} values cannot tolerate {f} faults (need more than {})",
                2 * f
            ),
        }
    }
}

impl core::error::Error for FtaError {}

fn trimmed(values: &[Span], f: usize) -> Result<Vec<Span>, FtaError> {
    let n = values.len();
    if n <= 2 * f {
        return Err(FtaError::TooFewValues { n, f });
    }
    let mut v = values.to_vec();
    v.sort();
    Ok(v[f..n - f].to_vec())
}

/// The mean of the values left after discarding the `f` highest and `f` lowest.
///
/// # Examples
///
/// ```
/// use chronoscope::sync::fault_tolerant_average::fault_tolerant_average;
/// use chronoscope::time::Span;
/// let ms = Span::from_millis;
/// // One liar claims +1 hour; with f = 1 it is trimmed away.
/// let v = [ms(0), ms(4), ms(6), ms(3_600_000)];
/// assert_eq!(fault_tolerant_average(&v, 1), Ok(ms(5)));
/// ```
pub fn fault_tolerant_average(values: &[Span], f: usize) -> Result<Span, FtaError> {
    let kept = trimmed(values, f)?;
    let sum: i128 = kept.iter().map(|s| i128::from(s.as_nanos())).sum();
    Ok(Span::from_nanos((sum / kept.len() as i128) as i64))
}

/// Lundelius-Welch-Lynch's fault-tolerant midpoint: halfway between the `(f+1)`-th smallest
/// and the `(f+1)`-th largest value.
///
/// # Examples
///
/// ```
/// use chronoscope::sync::fault_tolerant_average::fault_tolerant_midpoint;
/// use chronoscope::time::Span;
/// let ms = Span::from_millis;
/// assert_eq!(fault_tolerant_midpoint(&[ms(-900), ms(0), ms(2), ms(10)], 1), Ok(ms(1)));
/// ```
pub fn fault_tolerant_midpoint(values: &[Span], f: usize) -> Result<Span, FtaError> {
    let kept = trimmed(values, f)?;
    let (lo, hi) = (kept[0].as_nanos(), kept[kept.len() - 1].as_nanos());
    Ok(Span::from_nanos(
        ((i128::from(lo) + i128::from(hi)) / 2) as i64,
    ))
}

/// The plain mean (no fault tolerance: one liar moves it arbitrarily far); zero when empty.
pub fn mean(values: &[Span]) -> Span {
    let sum: i128 = values.iter().map(|s| i128::from(s.as_nanos())).sum();
    Span::from_nanos((sum / values.len().max(1) as i128) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_few_values_is_an_error_not_a_panic() {
        let v = [Span::ZERO, Span::from_millis(1)];
        assert_eq!(
            fault_tolerant_average(&v, 1),
            Err(FtaError::TooFewValues { n: 2, f: 1 })
        );
        assert!(fault_tolerant_midpoint(&[], 0).is_err());
        assert_eq!(mean(&[]), Span::ZERO);
    }

    #[test]
    fn a_single_liar_drags_the_mean_but_not_the_fta() {
        let ms = Span::from_millis;
        let v = [ms(0), ms(1), ms(2), ms(1_000_000)];
        assert!(mean(&v) > ms(100_000));
        assert_eq!(fault_tolerant_average(&v, 1), Ok(Span::from_micros(1_500)));
    }
}
