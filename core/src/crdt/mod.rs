//! Conflict-free replicated data types (Shapiro, Preguiça, Baquero, Zawirski 2011, "A
//! comprehensive study of Convergent and Commutative Replicated Data Types", INRIA RR-7506).
//!
//! Every type here is *state-based* (a CvRDT, §2.2): replicas update their own state
//! offline and, whenever they meet, `merge` states. Merge is the least upper bound of a
//! join-semilattice — commutative, associative and idempotent — so replicas that have seen
//! the same updates hold the same state whatever the order, duplication or batching of the
//! merges (strong eventual consistency). Updates follow "check, then apply":
//! [`Update::validate_op`] says whether an operation is allowed (a typed error if not), and
//! [`Update::apply`] then cannot fail.
//!
//! - [`g_counter`]: grow-only counter (§3.1.1); [`pn_counter`]: increments and decrements
//!   (§3.1.2).
//! - [`g_set`]: grow-only set (§3.3.1); [`two_phase_set`]: add, then remove once (§3.3.2);
//!   [`or_set`]: observed-remove set, add wins (§3.3.5).
//! - [`lww_register`]: last-writer-wins register (§3.2.1); [`mv_register`]: multi-value
//!   register keeping concurrent writes (§3.2.2).

pub mod g_counter;
pub mod g_set;
pub mod lww_register;
pub mod mv_register;
pub mod naive_text;
pub mod or_set;
pub mod pn_counter;
pub mod rga;
pub mod two_phase_set;

use core::fmt::Debug;

pub use g_counter::GCounter;
pub use g_set::GSet;
pub use lww_register::LwwRegister;
pub use mv_register::MvRegister;
pub use or_set::OrSet;
pub use pn_counter::PnCounter;
pub use two_phase_set::TwoPhaseSet;

/// A state-based CRDT: states form a join-semilattice and `merge` is its join.
///
/// Laws (property-tested for every type): `merge` is commutative, associative and
/// idempotent, and `a.merge(b)` leaves `a` at least as large as both.
pub trait CvRdt: Clone + Debug + PartialEq {
    /// What a user reads.
    type Value;

    /// Joins `other` into `self`.
    fn merge(&mut self, other: &Self);

    /// The current value.
    fn value(&self) -> Self::Value;

    /// The join of two states.
    fn merged(&self, other: &Self) -> Self {
        let mut out = self.clone();
        out.merge(other);
        out
    }
}

/// A CRDT updated by operations, checked before they are applied.
pub trait Update: CvRdt {
    /// An update a replica makes to its own state.
    type Op: Clone + Debug;
    /// Why an operation is refused.
    type Error: core::error::Error + Clone + PartialEq;

    /// Whether `op` may be applied to this state.
    fn validate_op(&self, op: &Self::Op) -> Result<(), Self::Error>;

    /// Applies an operation [`validate_op`](Self::validate_op) accepted. An operation it
    /// would refuse is ignored or saturated, never a panic.
    fn apply(&mut self, op: Self::Op);

    /// Checks, then applies.
    fn try_apply(&mut self, op: Self::Op) -> Result<(), Self::Error> {
        self.validate_op(&op)?;
        self.apply(op);
        Ok(())
    }
}
