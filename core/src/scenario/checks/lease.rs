//! The Leases lab's invariants: the store never accepts a token lower than one it accepted
//! before (fencing, Kleppmann 2016), and worker B's view of its lease, by its own clock, ends
//! before the server grants the lease to C (Gray & Cheriton 1989: leases assume bounded
//! drift).

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use super::Invariant;
use crate::lease::fenced_lock::LeaseOutput;
use crate::lease::fencing::WriteError;
use crate::scenario::lease::{Happening, Run};
use crate::time::{Instant, Span};

/// How the stale write ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StaleOutcome {
    /// The store refused a stale token at this time: (when, token, highest accepted).
    Rejected(Instant, u64, u64),
    /// The store accepted a token lower than one it had accepted before: (when, token,
    /// highest accepted).
    Corrupted(Instant, u64, u64),
    /// No stale write reached the store.
    None,
}

fn secs(t: Instant) -> f64 {
    t.as_millis_f64() / 1e3
}

impl Run {
    /// The fate of the stale write.
    pub fn stale_outcome(&self) -> StaleOutcome {
        let mut highest = None::<u64>;
        for l in &self.timeline {
            match l.what {
                Happening::Output(LeaseOutput::Rejected {
                    error: WriteError::StaleToken { token, highest },
                    ..
                }) => return StaleOutcome::Rejected(l.at, token, highest),
                Happening::Output(LeaseOutput::Accepted { token, .. }) => {
                    if let Some(h) = highest.filter(|h| token < *h) {
                        return StaleOutcome::Corrupted(l.at, token, h);
                    }
                    highest = highest.max(Some(token));
                }
                _ => {}
            }
        }
        StaleOutcome::None
    }

    /// Which invariants hold at true time `t`.
    ///
    /// ```
    /// use chronoscope::scenario::lease::{self, Params};
    /// use chronoscope::time::Instant;
    /// let fenced = lease::run(&Params::default()).unwrap();
    /// let end = Instant::from_millis(60_000);
    /// assert!(fenced.invariants(end)[0].holds);
    /// let open = lease::run(&Params { fencing: false, ..Params::default() }).unwrap();
    /// assert!(!open.invariants(end)[0].holds);
    /// ```
    pub fn invariants(&self, t: Instant) -> Vec<Invariant> {
        const NEVER_DECREASE: &str = "accepted tokens never decrease";
        let intact = match self.stale_outcome() {
            StaleOutcome::Corrupted(at, token, highest) if at <= t => Invariant::new(
                NEVER_DECREASE,
                false,
                format!(
                    "stale token {token} accepted after {highest} at {:.3} s: data corrupted",
                    secs(at)
                ),
            ),
            StaleOutcome::Rejected(at, token, highest) if at <= t => Invariant::new(
                NEVER_DECREASE,
                true,
                format!("stale token {token} rejected (highest {highest})"),
            ),
            _ => Invariant::new(NEVER_DECREASE, true, "no stale write has reached the store"),
        };
        const VIEWS_APART: &str = "B's lease (by its clock) ends before C's grant";
        let overlap = self.drift_overlap();
        let view = match self.b_granted_at {
            Some(granted) if overlap > Span::ZERO && t >= granted => Invariant::new(
                VIEWS_APART,
                false,
                format!(
                    "B's clock says it holds the lease {:.3} s into C's",
                    overlap.as_millis_f64() / 1e3
                ),
            ),
            _ => Invariant::new(
                VIEWS_APART,
                true,
                match self.a_believed_until {
                    Some(until) => format!("B believes its lease until {:.3} s", secs(until)),
                    None => "B never held the lease".into(),
                },
            ),
        };
        vec![intact, view]
    }
}
