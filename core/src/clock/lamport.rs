//! Lamport's logical clock (Lamport 1978, §2 "the clock condition" IR1/IR2).
//!
//! Invariant (clock condition): if `a → b` (happens-before) then `C(a) < C(b)`. The pair
//! `(time, node)` — [`LamportStamp`] — extends this to a total order that every node agrees on.

use core::fmt;

use super::ClockError;
use crate::node::NodeId;

/// A scalar logical clock.
///
/// ```
/// use chronoscope::clock::LamportClock;
/// let mut a = LamportClock::new();
/// let mut b = LamportClock::new();
/// let sent = a.try_send()?;         // a: 1
/// b.try_tick()?;                     // b: 1
/// let received = b.try_receive(sent)?;
/// assert_eq!(received, 2);           // max(1, 1) + 1
/// // A remote time with no successor is refused, not capped.
/// assert!(b.try_receive(u64::MAX).is_err());
/// assert_eq!(b.time(), 2);
/// # Ok::<(), chronoscope::clock::ClockError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LamportClock {
    time: u64,
}

impl LamportClock {
    /// A clock at zero.
    pub const fn new() -> Self {
        LamportClock { time: 0 }
    }
    /// The current value.
    pub const fn time(&self) -> u64 {
        self.time
    }
    /// A local event: increments and returns the new value (IR1).
    ///
    /// Refuses with [`ClockError::CounterOverflow`], leaving the clock unchanged, when the
    /// clock already stands at `u64::MAX` (reachable only after receiving such a time).
    pub fn try_tick(&mut self) -> Result<u64, ClockError> {
        self.time = self
            .time
            .checked_add(1)
            .ok_or(ClockError::CounterOverflow { node: None })?;
        Ok(self.time)
    }
    /// A send event: the same as [`try_tick`](Self::try_tick); the result travels with the
    /// message.
    pub fn try_send(&mut self) -> Result<u64, ClockError> {
        self.try_tick()
    }
    /// A receive event: `max(local, remote) + 1` (IR2).
    ///
    /// A remote time of `u64::MAX` leaves no later time to take: the receive is refused with
    /// [`ClockError::CounterOverflow`] and the clock is left unchanged (never capped, which
    /// would give two events the same time and break the clock condition).
    pub fn try_receive(&mut self, remote: u64) -> Result<u64, ClockError> {
        let next = self
            .time
            .max(remote)
            .checked_add(1)
            .ok_or(ClockError::CounterOverflow { node: None })?;
        self.time = next;
        Ok(next)
    }
}

/// A Lamport timestamp with the node that made it: the total-order key `(time, node)`.
///
/// ```
/// use chronoscope::{clock::LamportStamp, node::NodeId};
/// let a = LamportStamp { time: 3, node: NodeId(1) };
/// let b = LamportStamp { time: 3, node: NodeId(2) };
/// assert!(a < b); // ties broken by node id
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LamportStamp {
    /// The Lamport time.
    pub time: u64,
    /// The node that stamped it (tie-breaker).
    pub node: NodeId,
}

impl fmt::Display for LamportStamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({}, {})", self.time, self.node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receive_jumps_past_remote() {
        let mut c = LamportClock::new();
        assert_eq!(c.try_receive(41), Ok(42));
        assert_eq!(c.try_receive(3), Ok(43));
        assert_eq!(c.try_tick(), Ok(44));
    }

    #[test]
    fn overflow_is_refused_and_leaves_the_clock_unchanged() {
        let overflow = Err(ClockError::CounterOverflow { node: None });
        let mut c = LamportClock::new();
        assert_eq!(c.try_receive(u64::MAX), overflow);
        assert_eq!(c.time(), 0);
        // The last representable time can be reached, but nothing after it.
        assert_eq!(c.try_receive(u64::MAX - 1), Ok(u64::MAX));
        let before = c;
        assert_eq!(c.try_tick(), overflow);
        assert_eq!(c.try_send(), overflow);
        assert_eq!(c.try_receive(5), overflow);
        assert_eq!(c, before);
    }
}
