//! Every input the collaborative replica turns away, by reason (the issue's "every refusal
//! counted and shown"; Kleppmann & Howard, "Byzantine Eventual Consistency", §4: a message
//! is evidence, and evidence that does not check out is dropped — but visibly).
//!
//! Invariant: each refused input (a whole message, or one update inside a bundle) adds one
//! to exactly one counter; nothing refused changes the replica's text.

use core::fmt;

/// Why one input was turned away.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Refusal {
    /// An update whose claimed id is not the hash of its content (a forged or reused id).
    BadHash,
    /// An update whose signature does not verify under the key it names.
    BadSignature,
    /// Bytes or fields that do not decode, or are not in canonical form.
    Malformed,
    /// A well-signed update that can never apply (its anchor or target is not a character,
    /// or it depends on such an update).
    Invalid,
    /// More messages or bytes per second from one peer, or in total, than the caps allow.
    OverRate,
    /// A hold-back queue, the peer table or another bounded table is full.
    OverCap,
    /// A state transfer (bundle) nobody here asked for.
    Unrequested,
    /// An update already delivered or already held back (a replay or a duplicate copy).
    Duplicate,
    /// A message claiming this replica's own author key that this replica did not make.
    Impersonation,
    /// A held-back update whose dependencies never arrived, or a peer that never delivered
    /// a valid update, dropped after its time ran out.
    Expired,
}

impl Refusal {
    /// Every reason, in display order.
    pub const ALL: [Refusal; 10] = [
        Refusal::BadHash,
        Refusal::BadSignature,
        Refusal::Malformed,
        Refusal::Invalid,
        Refusal::OverRate,
        Refusal::OverCap,
        Refusal::Unrequested,
        Refusal::Duplicate,
        Refusal::Impersonation,
        Refusal::Expired,
    ];
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Refusal::BadHash => "bad hash",
            Refusal::BadSignature => "bad signature",
            Refusal::Malformed => "malformed",
            Refusal::Invalid => "invalid",
            Refusal::OverRate => "over rate",
            Refusal::OverCap => "over cap",
            Refusal::Unrequested => "unrequested state",
            Refusal::Duplicate => "replay/duplicate",
            Refusal::Impersonation => "impersonation",
            Refusal::Expired => "expired",
        })
    }
}

/// Refusal counts by reason.
///
/// ```
/// use chronoscope::collab::refusals::{Refusal, Refusals};
/// let mut r = Refusals::default();
/// r.count(Refusal::BadHash);
/// r.count(Refusal::BadHash);
/// assert_eq!(r.get(Refusal::BadHash), 2);
/// assert_eq!(r.total(), 2);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Refusals {
    counts: [u64; 10],
}

impl Refusals {
    fn slot(reason: Refusal) -> usize {
        Refusal::ALL
            .iter()
            .position(|r| *r == reason)
            .unwrap_or_default()
    }
    /// Adds one refusal.
    pub fn count(&mut self, reason: Refusal) {
        let c = &mut self.counts[Self::slot(reason)];
        *c = c.saturating_add(1);
    }
    /// How many inputs were refused for `reason`.
    pub fn get(&self, reason: Refusal) -> u64 {
        self.counts[Self::slot(reason)]
    }
    /// All refusals.
    pub fn total(&self) -> u64 {
        self.counts.iter().fold(0u64, |a, c| a.saturating_add(*c))
    }
    /// `(reason, count)` for every reason with a non-zero count.
    pub fn nonzero(&self) -> impl Iterator<Item = (Refusal, u64)> + '_ {
        Refusal::ALL
            .iter()
            .map(|r| (*r, self.get(*r)))
            .filter(|(_, c)| *c > 0)
    }
}

impl fmt::Display for Refusals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (r, c) in self.nonzero() {
            if !first {
                f.write_str(", ")?;
            }
            first = false;
            write!(f, "{r}: {c}")?;
        }
        if first {
            f.write_str("none")?;
        }
        Ok(())
    }
}
