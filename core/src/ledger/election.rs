//! The leader lease, granted by a majority of replicas (the textbook leader lease of
//! Chandra, Griesemer & Redstone, "Paxos Made Live", PODC 2007, §5.2 "master leases"; Gray &
//! Cheriton, SOSP 1989), each grant numbered by a fencing token (Kleppmann, DDIA ch. 8).
//!
//! A candidate asks every replica for the lease under a token one above the highest it has
//! seen. A replica ([`LeaseVoter`]) grants it when the token is above every token it has seen
//! and it has no live promise to someone else *by its own clock*; granting is a promise not to
//! grant another before `now + duration` on that clock. With grants from a majority the
//! candidate leads until `asked + duration − margin` on *its* clock ([`Candidacy`]). A replica
//! restored without its log (a *learner*) still keeps its promise register, so its promise
//! counts toward the majority; but its log is no evidence of what was committed, so a
//! candidate also needs grants from `n − majority + 1` replicas that kept their logs — that
//! many meet every commit majority, which is what lets the candidate adopt every committed
//! entry (with four replicas and one learner, two informed grants and the learner's suffice,
//! where refusing learners would need all three others). The lease
//! is therefore only as safe as the clocks: a replica whose clock jumps forward, or a leader
//! frozen (GC pause) or whose clock runs slow, can leave two replicas believing they lead.
//! Fencing is what still holds then: every replica refuses anything stamped with a token below
//! the highest it has promised.
//!
//! Invariant: a voter never promises two different holders at overlapping times of its own
//! clock, and the tokens it promises strictly increase.

use alloc::collections::BTreeSet;
use core::fmt;

use crate::node::NodeId;
use crate::time::{Instant, Span};

/// A voter's promise: it grants no other lease before `until` on its own clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Promise {
    /// The promised token.
    pub token: u64,
    /// The replica it was promised to.
    pub holder: NodeId,
    /// End of the promise, on the voter's clock.
    pub until: Instant,
}

/// Why a voter refused a lease request or renewal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElectionError {
    /// The token is not above the highest already seen.
    StaleToken {
        /// The token asked for.
        token: u64,
        /// The highest token this voter has seen.
        highest: u64,
    },
    /// The voter promised someone else, and the promise has not run out on its clock.
    Promised {
        /// The current holder.
        holder: NodeId,
        /// Its token.
        token: u64,
        /// Time left on the voter's clock.
        left: Span,
    },
    /// A renewal for a lease this voter did not grant (or no longer holds).
    NotHolder {
        /// The token of the renewal.
        token: u64,
    },
}

impl fmt::Display for ElectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ElectionError::StaleToken { token, highest } => {
                write!(f, "lease token {token} is not above {highest}")
            }
            ElectionError::Promised {
                holder,
                token,
                left,
            } => write!(f, "promised to {holder} (token {token}) for {left} more"),
            ElectionError::NotHolder { token } => {
                write!(f, "no promise under token {token} to renew")
            }
        }
    }
}

impl core::error::Error for ElectionError {}

/// One replica's promise register (kept across a crash, like Raft's `currentTerm`).
///
/// # Examples
///
/// ```
/// use chronoscope::ledger::election::{ElectionError, LeaseVoter};
/// use chronoscope::node::NodeId;
/// use chronoscope::time::{Instant, Span};
/// let (a, b) = (NodeId(0), NodeId(1));
/// let mut v = LeaseVoter::default();
/// let lease = Span::from_millis(600);
/// v.grant(Instant::ZERO, 101, a, lease).unwrap();
/// // B asks before A's lease ran out on this voter's clock: refused.
/// assert!(matches!(v.grant(Instant::from_millis(100), 102, b, lease), Err(ElectionError::Promised { .. })));
/// // After it ran out, B gets it with a higher token; A's token is now stale here.
/// v.grant(Instant::from_millis(600), 102, b, lease).unwrap();
/// assert_eq!(v.fence(101), Err(102));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LeaseVoter {
    promise: Option<Promise>,
    highest: u64,
}

impl LeaseVoter {
    /// A register read back from disk: `promise` and the highest token seen (a token below
    /// the promise's is raised to it).
    pub fn from_parts(promise: Option<Promise>, highest: u64) -> Self {
        let highest = promise.map_or(highest, |p| highest.max(p.token));
        LeaseVoter { promise, highest }
    }

    /// The live or last promise.
    pub fn promise(&self) -> Option<Promise> {
        self.promise
    }

    /// The highest token promised or seen in an accepted write.
    pub fn highest(&self) -> u64 {
        self.highest
    }

    /// Whether a promise is live at `now` (voter's clock).
    pub fn bound_at(&self, now: Instant) -> bool {
        self.promise.is_some_and(|p| now < p.until)
    }

    /// Checks a request for `token` from `candidate` at `now` without changing anything.
    pub fn validate_grant(
        &self,
        now: Instant,
        token: u64,
        candidate: NodeId,
    ) -> Result<(), ElectionError> {
        // The candidate asking again (its request or this grant was lost): grant again.
        if self
            .promise
            .is_some_and(|p| p.token == token && p.holder == candidate && token == self.highest)
        {
            return Ok(());
        }
        if token <= self.highest {
            return Err(ElectionError::StaleToken {
                token,
                highest: self.highest,
            });
        }
        match self.promise {
            Some(p) if now < p.until && p.holder != candidate => Err(ElectionError::Promised {
                holder: p.holder,
                token: p.token,
                left: p.until.since(now),
            }),
            _ => Ok(()),
        }
    }

    /// Checks, then promises `token` to `candidate` until `now + duration` (the same candidate
    /// asking again for the same token — its request or the grant was lost — gets it again).
    pub fn grant(
        &mut self,
        now: Instant,
        token: u64,
        candidate: NodeId,
        duration: Span,
    ) -> Result<Promise, ElectionError> {
        self.validate_grant(now, token, candidate)?;
        let p = Promise {
            token,
            holder: candidate,
            until: now + duration,
        };
        self.promise = Some(p);
        self.highest = token;
        Ok(p)
    }

    /// Extends the promise of `token` to `holder` until `now + duration`.
    pub fn renew(
        &mut self,
        now: Instant,
        token: u64,
        holder: NodeId,
        duration: Span,
    ) -> Result<Promise, ElectionError> {
        match &mut self.promise {
            Some(p) if p.token == token && p.holder == holder && token == self.highest => {
                p.until = p.until.max(now + duration);
                Ok(*p)
            }
            _ => Err(ElectionError::NotHolder { token }),
        }
    }

    /// Withdraws the promise of `token` to `holder`, a candidate that lost (itself, or a
    /// peer that said so): nobody leads under that token — the candidate ignores grants
    /// that arrive late — so nothing relies on it (the token stays seen).
    pub fn release(&mut self, holder: NodeId, token: u64) {
        if self
            .promise
            .is_some_and(|p| p.holder == holder && p.token == token)
        {
            self.promise = None;
        }
    }

    /// Fencing: `Ok` when `token` is at least the highest seen, else `Err(highest)`.
    pub fn fence(&self, token: u64) -> Result<(), u64> {
        if token >= self.highest {
            Ok(())
        } else {
            Err(self.highest)
        }
    }

    /// Notes a token seen on an accepted write (so older ones are fenced off).
    pub fn observe(&mut self, token: u64) {
        self.highest = self.highest.max(token);
    }
}

/// A candidate collecting grants, then a leader holding the lease.
///
/// # Examples
///
/// ```
/// use chronoscope::ledger::election::Candidacy;
/// use chronoscope::node::NodeId;
/// use chronoscope::time::{Instant, Span};
/// let mut c = Candidacy::new(102, Instant::from_millis(1_000), 3);
/// assert!(!c.grant(NodeId(0)));
/// assert!(c.grant(NodeId(2)));   // 2 of 3: a majority
/// assert_eq!(c.lease_end(Span::from_millis(600), Span::from_millis(50)), Instant::from_millis(1_550));
/// // Four replicas, D restored without its log: its promise counts, but two of the
/// // three grants must come from replicas that kept their logs.
/// let mut c = Candidacy::new(103, Instant::ZERO, 4);
/// assert!(!c.grant(NodeId(0)));
/// assert!(!c.grant_from_learner(NodeId(3)));
/// assert!(!c.grant_from_learner(NodeId(2))); // three promises, one informed: not yet
/// assert!(c.grant(NodeId(1)));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidacy {
    /// The token asked for.
    pub token: u64,
    /// When it asked (its clock).
    pub asked: Instant,
    replicas: usize,
    grants: BTreeSet<NodeId>,
    learners: BTreeSet<NodeId>,
}

impl Candidacy {
    /// A candidacy for `token`, asked at `asked`, among `replicas` replicas.
    pub fn new(token: u64, asked: Instant, replicas: usize) -> Self {
        Candidacy {
            token,
            asked,
            replicas,
            grants: BTreeSet::new(),
            learners: BTreeSet::new(),
        }
    }

    /// A majority of `replicas`.
    pub fn majority(replicas: usize) -> usize {
        replicas / 2 + 1
    }

    /// How many grants must come from replicas that kept their logs: `replicas − majority
    /// + 1`, so that they meet every majority that committed an entry.
    pub fn informed_needed(replicas: usize) -> usize {
        replicas + 1 - Self::majority(replicas)
    }

    /// Counts a grant from `voter`, which kept its log; returns whether the candidate won.
    pub fn grant(&mut self, voter: NodeId) -> bool {
        self.learners.remove(&voter);
        self.grants.insert(voter);
        self.won()
    }

    /// Counts a grant from `voter`, a learner (restored, not caught up): its promise counts
    /// toward the majority, its log is no evidence. Returns whether the candidate won.
    pub fn grant_from_learner(&mut self, voter: NodeId) -> bool {
        if self.grants.insert(voter) {
            self.learners.insert(voter);
        }
        self.won()
    }

    /// A majority promised, and enough of them kept their logs.
    fn won(&self) -> bool {
        self.grants.len() >= Self::majority(self.replicas)
            && self.grants.len() - self.learners.len() >= Self::informed_needed(self.replicas)
    }

    /// The voters that granted so far.
    pub fn grants(&self) -> &BTreeSet<NodeId> {
        &self.grants
    }

    /// Until when the lease is believed held (candidate's clock): measured from when it
    /// *asked*, so it ends before any voter's promise does if the clocks run at one rate.
    pub fn lease_end(&self, duration: Span, margin: Span) -> Instant {
        self.asked + duration - margin
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_strictly_increase_and_renewals_need_the_holder() {
        let mut v = LeaseVoter::default();
        let d = Span::from_millis(100);
        v.grant(Instant::ZERO, 5, NodeId(1), d).unwrap();
        assert_eq!(
            v.grant(Instant::from_millis(500), 5, NodeId(2), d),
            Err(ElectionError::StaleToken {
                token: 5,
                highest: 5
            })
        );
        assert_eq!(
            v.renew(Instant::from_millis(50), 5, NodeId(2), d),
            Err(ElectionError::NotHolder { token: 5 })
        );
        let p = v.renew(Instant::from_millis(50), 5, NodeId(1), d).unwrap();
        assert_eq!(p.until, Instant::from_millis(150));
        // The same holder may re-ask with a higher token while its promise lives.
        assert!(v.grant(Instant::from_millis(60), 6, NodeId(1), d).is_ok());
        v.observe(9);
        assert_eq!(v.fence(8), Err(9));
        assert_eq!(v.fence(9), Ok(()));
        assert!(v.renew(Instant::from_millis(70), 6, NodeId(1), d).is_err());
        // Asked again for the same token by the same candidate: granted again, nobody else.
        let mut v = LeaseVoter::default();
        v.grant(Instant::ZERO, 7, NodeId(1), d).unwrap();
        let again = v.grant(Instant::from_millis(30), 7, NodeId(1), d).unwrap();
        assert_eq!(again.until, Instant::from_millis(130));
        assert!(v.grant(Instant::from_millis(30), 7, NodeId(2), d).is_err());
        v.release(NodeId(1), 7);
        assert!(v.grant(Instant::from_millis(40), 7, NodeId(1), d).is_err());
    }
}
