//! Last-writer-wins register (Shapiro et al. 2011, §3.2.1, Specification 8): each write
//! carries a unique, totally ordered stamp; merge keeps the value with the larger stamp.
//!
//! Invariant: the register holds the write with the largest stamp merged in. Stamps must
//! be unique per write; a second, different value under an existing stamp is refused, and
//! if two states disagree anyway merge breaks the tie by the larger value, so it stays a
//! join. What the stamps mean is the caller's choice (see
//! [`store::lww`](crate::store::lww) for what wall-clock stamps do under skew).

use core::fmt::{self, Debug};

use super::{CvRdt, Update};
use crate::store::lww::LwwStamp;

/// A write: a value and its stamp.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Set<T> {
    /// The write's stamp (unique per write).
    pub stamp: LwwStamp,
    /// The value written.
    pub value: T,
}

/// Why a write is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LwwError {
    /// The stamp is already used by a different value.
    StampReused,
}

impl fmt::Display for LwwError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("stamp already used by a different value")
    }
}

impl core::error::Error for LwwError {}

/// A last-writer-wins register.
///
/// ```
/// use chronoscope::crdt::{lww_register::Set, CvRdt, LwwRegister, Update};
/// use chronoscope::{node::NodeId, store::lww::LwwStamp};
/// let stamp = |time, n| LwwStamp { time, node: NodeId(n) };
/// let (mut a, mut b) = (LwwRegister::default(), LwwRegister::default());
/// a.try_apply(Set { stamp: stamp(10, 0), value: "blue" }).unwrap();
/// b.try_apply(Set { stamp: stamp(12, 1), value: "green" }).unwrap();
/// a.merge(&b);
/// assert_eq!(a.value(), Some("green"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LwwRegister<T> {
    current: Option<(LwwStamp, T)>,
}

impl<T> Default for LwwRegister<T> {
    fn default() -> Self {
        LwwRegister { current: None }
    }
}

impl<T: Ord + Clone + Debug> LwwRegister<T> {
    /// The current stamp.
    pub fn stamp(&self) -> Option<LwwStamp> {
        self.current.as_ref().map(|(s, _)| *s)
    }

    fn offer(&mut self, stamp: LwwStamp, value: &T) {
        let wins = match &self.current {
            None => true,
            Some((s, v)) => (stamp, value) > (*s, v),
        };
        if wins {
            self.current = Some((stamp, value.clone()));
        }
    }
}

impl<T: Ord + Clone + Debug> CvRdt for LwwRegister<T> {
    type Value = Option<T>;

    fn merge(&mut self, other: &Self) {
        if let Some((s, v)) = &other.current {
            self.offer(*s, v);
        }
    }

    fn value(&self) -> Option<T> {
        self.current.as_ref().map(|(_, v)| v.clone())
    }
}

impl<T: Ord + Clone + Debug> Update for LwwRegister<T> {
    type Op = Set<T>;
    type Error = LwwError;

    fn validate_op(&self, op: &Set<T>) -> Result<(), LwwError> {
        match &self.current {
            Some((s, v)) if *s == op.stamp && *v != op.value => Err(LwwError::StampReused),
            _ => Ok(()),
        }
    }

    fn apply(&mut self, op: Set<T>) {
        self.offer(op.stamp, &op.value);
    }
}
