//! Lamport's logical clock (Lamport 1978, §2 "the clock condition" IR1/IR2).
//!
//! Invariant (clock condition): if `a → b` (happens-before) then `C(a) < C(b)`. The pair
//! `(time, node)` — [`LamportStamp`] — extends this to a total order that every node agrees on.

use core::fmt;

use crate::node::NodeId;

/// A scalar logical clock.
///
/// ```
/// use chronoscope::clock::LamportClock;
/// let mut a = LamportClock::new();
/// let mut b = LamportClock::new();
/// let sent = a.send();          // a: 1
/// b.tick();                     // b: 1
/// let received = b.receive(sent);
/// assert_eq!(received, 2);      // max(1, 1) + 1
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
    /// A local event: increments and returns the new value (IR1). Saturates at `u64::MAX`.
    pub fn tick(&mut self) -> u64 {
        self.time = self.time.saturating_add(1);
        self.time
    }
    /// A send event: the same as [`tick`](Self::tick); the result travels with the message.
    pub fn send(&mut self) -> u64 {
        self.tick()
    }
    /// A receive event: `max(local, remote) + 1` (IR2).
    pub fn receive(&mut self, remote: u64) -> u64 {
        self.time = self.time.max(remote);
        self.tick()
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
    fn receive_jumps_past_remote_and_saturates() {
        let mut c = LamportClock::new();
        assert_eq!(c.receive(41), 42);
        assert_eq!(c.receive(3), 43);
        let mut big = LamportClock { time: u64::MAX };
        assert_eq!(big.tick(), u64::MAX);
    }
}
