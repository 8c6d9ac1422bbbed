//! A lease server: grants one time-bounded lease at a time on a resource, each with a fencing
//! token one higher than the last, queues other requests, and expires a lease when its
//! duration has passed *on the server's own clock*.
//!
//! Gray & Cheriton, "Leases: An Efficient Fault-Tolerant Mechanism for Distributed File
//! Cache Consistency", SOSP 1989, §2 (a lease is a lock with a time limit, so a crashed or
//! silent holder cannot block everyone forever), with Kleppmann's fencing tokens (DDIA ch.
//! 8). The holder measures the same duration on *its* clock, from when it asked: drift
//! between the two clocks, or a pause of the holder, makes the two views disagree.
//!
//! Invariant: tokens are issued strictly increasing, and at most one lease is live at the
//! server at any moment.

use alloc::collections::VecDeque;
use core::fmt;

use crate::node::NodeId;
use crate::time::{Instant, Span};

/// The longest lease the server grants.
pub const MAX_LEASE: Span = Span::from_secs(24 * 3_600);

/// Why a lease request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeaseError {
    /// The duration was zero or negative.
    NonPositiveDuration(Span),
    /// The duration exceeds [`MAX_LEASE`].
    TooLong(Span),
    /// The requester already holds the lease or is already waiting.
    AlreadyRequested(NodeId),
}

impl fmt::Display for LeaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LeaseError::NonPositiveDuration(d) => write!(f, "lease duration {d} is not positive"),
            LeaseError::TooLong(d) => write!(f, "lease duration {d} exceeds {MAX_LEASE}"),
            LeaseError::AlreadyRequested(n) => write!(f, "{n} already holds or awaits the lease"),
        }
    }
}

impl core::error::Error for LeaseError {}

/// A live lease.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lease {
    /// The holder.
    pub holder: NodeId,
    /// Its fencing token.
    pub token: u64,
    /// When it expires, on the server's clock.
    pub expires: Instant,
}

/// The lease table for one resource.
///
/// # Examples
///
/// ```
/// use chronoscope::lease::server::LeaseServer;
/// use chronoscope::node::NodeId;
/// use chronoscope::time::{Instant, Span};
/// let mut server = LeaseServer::new(101);
/// let (a, b) = (NodeId(1), NodeId(2));
/// let five = Span::from_secs(5);
/// let lease = server.request(Instant::ZERO, a, five).unwrap().unwrap();
/// assert_eq!(lease.token, 101);
/// assert_eq!(server.request(Instant::ZERO, b, five), Ok(None)); // queued
/// let (expired, next) = server.expire(Instant::from_millis(5_000), 101);
/// assert_eq!(expired.map(|l| l.holder), Some(a));
/// assert_eq!(next.map(|l| (l.holder, l.token)), Some((b, 102)));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaseServer {
    next_token: u64,
    current: Option<Lease>,
    waiting: VecDeque<(NodeId, Span)>,
}

impl LeaseServer {
    /// A server whose first token is `first_token`.
    pub fn new(first_token: u64) -> Self {
        LeaseServer {
            next_token: first_token,
            current: None,
            waiting: VecDeque::new(),
        }
    }

    /// The live lease, if any.
    pub fn current(&self) -> Option<Lease> {
        self.current
    }

    /// The last token issued (one below the next).
    pub fn last_token(&self) -> u64 {
        self.next_token.saturating_sub(1)
    }

    /// Checks a request without applying it.
    pub fn validate(&self, from: NodeId, duration: Span) -> Result<(), LeaseError> {
        if duration <= Span::ZERO {
            return Err(LeaseError::NonPositiveDuration(duration));
        }
        if duration > MAX_LEASE {
            return Err(LeaseError::TooLong(duration));
        }
        if self.current.is_some_and(|l| l.holder == from)
            || self.waiting.iter().any(|(n, _)| *n == from)
        {
            return Err(LeaseError::AlreadyRequested(from));
        }
        Ok(())
    }

    fn grant(&mut self, now: Instant, holder: NodeId, duration: Span) -> Lease {
        let lease = Lease {
            holder,
            token: self.next_token,
            expires: now + duration,
        };
        self.next_token = self.next_token.saturating_add(1);
        self.current = Some(lease);
        lease
    }

    /// Requests a lease for `duration` at server time `now`: granted at once if free
    /// (`Ok(Some(lease))`), queued otherwise (`Ok(None)`).
    pub fn request(
        &mut self,
        now: Instant,
        from: NodeId,
        duration: Span,
    ) -> Result<Option<Lease>, LeaseError> {
        self.validate(from, duration)?;
        if self.current.is_none() {
            Ok(Some(self.grant(now, from, duration)))
        } else {
            self.waiting.push_back((from, duration));
            Ok(None)
        }
    }

    /// Ends lease `token` (its time is up, or its holder released it) at server time `now`,
    /// and grants the next waiter. A token that is not the live lease changes nothing.
    pub fn expire(&mut self, now: Instant, token: u64) -> (Option<Lease>, Option<Lease>) {
        match self.current {
            Some(l) if l.token == token => {
                self.current = None;
                let next = self
                    .waiting
                    .pop_front()
                    .map(|(holder, duration)| self.grant(now, holder, duration));
                (Some(l), next)
            }
            _ => (None, None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_requests_get_typed_errors() {
        let mut s = LeaseServer::new(1);
        let a = NodeId(1);
        assert_eq!(
            s.request(Instant::ZERO, a, Span::from_secs(-5)),
            Err(LeaseError::NonPositiveDuration(Span::from_secs(-5)))
        );
        assert!(matches!(
            s.request(Instant::ZERO, a, Span::from_secs(1_000_000)),
            Err(LeaseError::TooLong(_))
        ));
        s.request(Instant::ZERO, a, Span::from_secs(1)).unwrap();
        assert_eq!(
            s.request(Instant::ZERO, a, Span::from_secs(1)),
            Err(LeaseError::AlreadyRequested(a))
        );
    }

    #[test]
    fn stale_expiry_and_token_overflow_do_not_panic() {
        let mut s = LeaseServer::new(u64::MAX);
        let l = s
            .request(Instant::ZERO, NodeId(1), Span::from_secs(1))
            .unwrap()
            .unwrap();
        assert_eq!(s.expire(Instant::ZERO, l.token).0, Some(l));
        assert_eq!(s.expire(Instant::ZERO, l.token), (None, None));
    }
}
