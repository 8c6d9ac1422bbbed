//! Last-write-wins registers: keep the value with the highest stamp, drop the other.
//!
//! The stamp is a total order, so every replica picks the same survivor and the register
//! converges (Thomas 1979, "A Majority Consensus Approach to Concurrency Control", the
//! "Thomas write rule"; Cassandra's cell resolution). What the stamp *means* decides what is
//! lost: with wall-clock stamps the fastest clock wins, not the latest write; with Lamport
//! stamps causally later writes win, but of two concurrent writes one is dropped silently.
//!
//! Invariant: the register holds the maximum of every stamp offered to it; `offer` is
//! commutative, associative and idempotent as a join.

use core::fmt;

/// A stamp for last-write-wins: the time (wall-clock nanoseconds, or a Lamport counter) and
/// the writing node as a tie-breaker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LwwStamp {
    /// Wall-clock nanoseconds or a Lamport time, depending on the strategy.
    pub time: i64,
    /// The node that stamped the write (breaks ties).
    pub node: crate::node::NodeId,
}

impl fmt::Display for LwwStamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.time, self.node)
    }
}

/// What happened to an offered value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Offer<V> {
    /// The register was empty or held this very version.
    Stored,
    /// The offered value won; the previous value was dropped.
    Replaced(V),
    /// The offered value lost to the current one and was dropped.
    Rejected(V),
}

/// A last-write-wins register.
///
/// ```
/// use chronoscope::{node::NodeId, store::lww::{LwwRegister, LwwStamp, Offer}};
/// let mut r = LwwRegister::default();
/// let fast = LwwStamp { time: 5_000, node: NodeId(0) }; // a clock 5 s ahead
/// let later = LwwStamp { time: 100, node: NodeId(1) };  // a later write, honest clock
/// assert_eq!(r.offer(fast, "milk"), Offer::Stored);
/// assert_eq!(r.offer(later, "eggs"), Offer::Rejected("eggs")); // silently lost
/// assert_eq!(r.value(), Some(&"milk"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LwwRegister<V> {
    current: Option<(LwwStamp, V)>,
}

impl<V> Default for LwwRegister<V> {
    fn default() -> Self {
        LwwRegister { current: None }
    }
}

impl<V: Clone + PartialEq> LwwRegister<V> {
    /// The current value, if any.
    pub fn value(&self) -> Option<&V> {
        self.current.as_ref().map(|(_, v)| v)
    }

    /// The current stamp, if any.
    pub fn stamp(&self) -> Option<LwwStamp> {
        self.current.as_ref().map(|(s, _)| *s)
    }

    /// Offers a stamped value; the higher stamp wins. Equal stamps with different values
    /// (a misuse: stamps should be unique) keep the current value.
    pub fn offer(&mut self, stamp: LwwStamp, value: V) -> Offer<V> {
        match &mut self.current {
            None => {
                self.current = Some((stamp, value));
                Offer::Stored
            }
            Some((s, v)) if stamp > *s => {
                let old = core::mem::replace(v, value);
                *s = stamp;
                Offer::Replaced(old)
            }
            Some((s, v)) if stamp == *s && *v == value => Offer::Stored,
            Some(_) => Offer::Rejected(value),
        }
    }

    /// Joins another replica's register into this one.
    pub fn merge(&mut self, other: &LwwRegister<V>) -> Offer<V> {
        match &other.current {
            Some((s, v)) => self.offer(*s, v.clone()),
            None => Offer::Stored,
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::node::NodeId;
    use proptest::prelude::*;

    fn reg() -> impl Strategy<Value = LwwRegister<i64>> {
        proptest::option::of((0i64..5, 0u32..3)).prop_map(|o| LwwRegister {
            // The value is a function of the stamp, as unique stamps guarantee.
            current: o.map(|(t, n)| {
                (
                    LwwStamp {
                        time: t,
                        node: NodeId(n),
                    },
                    t * 10 + n as i64,
                )
            }),
        })
    }

    fn join(a: &LwwRegister<i64>, b: &LwwRegister<i64>) -> LwwRegister<i64> {
        let mut x = a.clone();
        x.merge(b);
        x
    }

    proptest! {
        #[test]
        fn merge_is_a_join(a in reg(), b in reg(), c in reg()) {
            prop_assert_eq!(join(&a, &b), join(&b, &a));
            prop_assert_eq!(join(&join(&a, &b), &c), join(&a, &join(&b, &c)));
            prop_assert_eq!(join(&a, &a), a.clone());
            prop_assert_eq!(join(&a, &b).stamp(), a.stamp().max(b.stamp()));
        }
    }
}
