//! The caps that bound the work any sender can cause, and the token buckets that meter
//! messages and bytes per second on the replica's own clock (`ctx.now`).
//!
//! Invariant: with these caps, handling one message costs time linear in its size plus a
//! bounded amount, and the replica's memory for other peers' unconfirmed input (held-back
//! updates, unknown peers, outstanding requests) never exceeds the caps, whatever is sent.

use core::fmt;

use crate::time::{Instant, Span};

/// Every cap and period of a replica.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// How often heartbeats go out and timeouts are checked.
    pub heartbeat: Span,
    /// After how long without a word a peer is marked gone.
    pub gone_after: Span,
    /// How long a peer that never delivered a valid update is remembered.
    pub probation: Span,
    /// How long a held-back update waits for its dependencies before it is dropped.
    pub hold_timeout: Span,
    /// How long before missing dependencies are asked for again.
    pub request_retry: Span,
    /// The most peers known at once.
    pub max_peers: usize,
    /// The most of them that have not yet delivered a valid update.
    pub max_unproven_peers: usize,
    /// The most held-back updates received from one peer.
    pub max_held_per_peer: usize,
    /// The most held-back updates in total.
    pub max_held_total: usize,
    /// The most encoded bytes of held-back updates in total.
    pub max_held_bytes: usize,
    /// The most updates sent in one bundle (state transfer or answer to a request).
    pub max_bundle: usize,
    /// The most hashes asked for in one request, or heads in one heartbeat.
    pub max_hashes: usize,
    /// The most requests waiting for an answer.
    pub max_pending_requests: usize,
    /// The most refused-as-invalid hashes remembered (so their dependents are refused too).
    pub max_invalid: usize,
    /// The most messages per second from one peer (also the burst).
    pub peer_messages_per_sec: u32,
    /// The most bytes per second from one peer (also the burst).
    pub peer_bytes_per_sec: u32,
    /// The most messages per second from everyone together.
    pub total_messages_per_sec: u32,
    /// The most bytes per second from everyone together.
    pub total_bytes_per_sec: u32,
    /// The largest message accepted, in encoded bytes.
    pub max_message_bytes: usize,
    /// The most characters a local insert puts in one update (longer pastes become several
    /// updates); at most [`MAX_RUN`](super::update::MAX_RUN), which every replica enforces.
    pub max_run: usize,
    /// The most heartbeat signatures checked per second, from everyone together (a
    /// heartbeat's proof is checked once per peer and key, then remembered).
    pub beat_checks_per_sec: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            heartbeat: Span::from_millis(500),
            gone_after: Span::from_millis(3_000),
            probation: Span::from_millis(10_000),
            hold_timeout: Span::from_millis(30_000),
            request_retry: Span::from_millis(1_000),
            max_peers: 64,
            max_unproven_peers: 16,
            max_held_per_peer: 1_024,
            max_held_total: 4_096,
            max_held_bytes: 8 * 1024 * 1024,
            max_bundle: 256,
            max_hashes: 32,
            max_pending_requests: 64,
            max_invalid: 4_096,
            peer_messages_per_sec: 400,
            peer_bytes_per_sec: 512 * 1024,
            total_messages_per_sec: 2_000,
            total_bytes_per_sec: 2 * 1024 * 1024,
            max_message_bytes: 256 * 1024,
            max_run: super::update::MAX_RUN,
            beat_checks_per_sec: 32,
        }
    }
}

/// A cap that cannot work as given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitsError {
    /// A period that is not positive (a zero heartbeat would fire forever at one instant).
    NotPositive(&'static str),
    /// A count or rate of zero, which would refuse everything.
    Zero(&'static str),
}

impl fmt::Display for LimitsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimitsError::NotPositive(what) => write!(f, "limit {what} must be a positive span"),
            LimitsError::Zero(what) => write!(f, "limit {what} must be at least 1"),
        }
    }
}

impl core::error::Error for LimitsError {}

impl Limits {
    /// Checks that every period is positive and every cap at least 1.
    ///
    /// ```
    /// use chronoscope::collab::limits::{Limits, LimitsError};
    /// assert_eq!(Limits::default().validate(), Ok(()));
    /// let bad = Limits { max_bundle: 0, ..Limits::default() };
    /// assert_eq!(bad.validate(), Err(LimitsError::Zero("max_bundle")));
    /// ```
    pub fn validate(&self) -> Result<(), LimitsError> {
        let spans = [
            ("heartbeat", self.heartbeat),
            ("gone_after", self.gone_after),
            ("probation", self.probation),
            ("hold_timeout", self.hold_timeout),
            ("request_retry", self.request_retry),
        ];
        if let Some((what, _)) = spans.iter().find(|(_, s)| *s <= Span::ZERO) {
            return Err(LimitsError::NotPositive(what));
        }
        let counts = [
            ("max_peers", self.max_peers),
            ("max_unproven_peers", self.max_unproven_peers),
            ("max_held_per_peer", self.max_held_per_peer),
            ("max_held_total", self.max_held_total),
            ("max_held_bytes", self.max_held_bytes),
            ("max_bundle", self.max_bundle),
            ("max_hashes", self.max_hashes),
            ("max_pending_requests", self.max_pending_requests),
            ("max_invalid", self.max_invalid),
            ("peer_messages_per_sec", self.peer_messages_per_sec as usize),
            ("peer_bytes_per_sec", self.peer_bytes_per_sec as usize),
            (
                "total_messages_per_sec",
                self.total_messages_per_sec as usize,
            ),
            ("total_bytes_per_sec", self.total_bytes_per_sec as usize),
            ("max_message_bytes", self.max_message_bytes),
            ("max_run", self.max_run),
            ("beat_checks_per_sec", self.beat_checks_per_sec as usize),
        ];
        match counts.iter().find(|(_, n)| *n == 0) {
            Some((what, _)) => Err(LimitsError::Zero(what)),
            None => Ok(()),
        }
    }

    /// The heartbeat period, at least 1 ms (so limits that skipped [`Limits::validate`]
    /// still cannot make the timer fire forever at one instant).
    pub fn tick_period(&self) -> Span {
        self.heartbeat.max(Span::from_millis(1))
    }
}

/// A token bucket: `rate` tokens per second, holding at most `rate` (one second of burst).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bucket {
    /// Tokens available, in millionths.
    micro_tokens: u64,
    /// When the bucket was last refilled.
    at: Instant,
}

impl Bucket {
    /// A full bucket at `now`.
    pub fn full(rate: u32, now: Instant) -> Bucket {
        Bucket {
            micro_tokens: u64::from(rate) * 1_000_000,
            at: now,
        }
    }

    /// Takes `cost` tokens if available (refilling first); returns whether it could.
    /// A clock that went backwards refills nothing.
    pub fn take(&mut self, rate: u32, cost: u64, now: Instant) -> bool {
        let elapsed = now.since(self.at).as_nanos().max(0) as u128;
        let cap = u128::from(rate) * 1_000_000;
        // rate tokens per second = rate micro-tokens per microsecond = rate / 1000 per ns.
        let refill = elapsed * u128::from(rate) / 1_000;
        let now_tokens = (u128::from(self.micro_tokens) + refill).min(cap);
        self.micro_tokens = now_tokens as u64;
        if now > self.at {
            self.at = now;
        }
        let need = u128::from(cost) * 1_000_000;
        if now_tokens >= need {
            self.micro_tokens = (now_tokens - need) as u64;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_one_second_of_burst_then_its_rate() {
        let t0 = Instant::from_millis(1_000);
        let mut b = Bucket::full(10, t0);
        assert!((0..10).all(|_| b.take(10, 1, t0)));
        assert!(!b.take(10, 1, t0));
        // 100 ms later one token is back.
        let t1 = t0 + Span::from_millis(100);
        assert!(b.take(10, 1, t1));
        assert!(!b.take(10, 1, t1));
        // A clock jump backwards refills nothing; a long pause refills at most the burst.
        assert!(!b.take(10, 1, t0));
        let t2 = t1 + Span::from_millis(60_000);
        assert!(b.take(10, 10, t2));
        assert!(!b.take(10, 1, t2));
    }
}
