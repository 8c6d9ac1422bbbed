//! A storage service that checks *fencing tokens*: every write carries the token of the
//! lease its writer held, and the store rejects any token lower than the highest it has
//! already accepted.
//!
//! Kleppmann, "Designing Data-Intensive Applications", ch. 8, "Fencing tokens" (and his
//! 2016 post "How to do distributed locking"): a lease alone cannot stop a writer that was
//! paused past its expiry and wakes up believing it still holds it; a monotonically
//! increasing token checked by the resource itself can. With fencing off the store accepts
//! writes in arrival order, which is how a stale writer corrupts data.
//!
//! Invariant (tested over random runs): with fencing on, the tokens of accepted writes never
//! decrease — a lower token's write never lands after a higher one's. Whatever the fencing
//! mode, the store accepts only tokens the lease server issued, each from the node it was
//! issued to: a forged token (even one below the first issued) or another worker's token is
//! refused with a typed error.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::fmt;

use crate::node::NodeId;

/// Whether the store checks tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fencing {
    /// Reject tokens below the highest accepted.
    On,
    /// Accept every write (the unsafe variant).
    Off,
}

/// Why a write was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteError {
    /// A higher token has already been used.
    StaleToken {
        /// The token presented.
        token: u64,
        /// The highest token accepted so far.
        highest: u64,
    },
    /// The token was never issued by the lease server (forged or corrupted).
    NeverIssued {
        /// The token presented.
        token: u64,
    },
    /// The token was issued to another node than the one presenting it.
    NotHolder {
        /// The token presented.
        token: u64,
        /// The node the token was issued to.
        holder: NodeId,
        /// The node that presented it.
        writer: NodeId,
    },
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::StaleToken { token, highest } => write!(
                f,
                "token {token} is stale: higher token ({highest}) already used"
            ),
            WriteError::NeverIssued { token } => write!(f, "token {token} was never issued"),
            WriteError::NotHolder {
                token,
                holder,
                writer,
            } => write!(f, "token {token} was issued to {holder}, not {writer}"),
        }
    }
}

impl core::error::Error for WriteError {}

/// One accepted write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// The writer's token.
    pub token: u64,
    /// The value written.
    pub value: u64,
}

/// The fenced store: one register plus the history of accepted writes.
///
/// # Examples
///
/// ```
/// use chronoscope::lease::fencing::{Fencing, FencedStore, WriteError};
/// use chronoscope::node::NodeId;
/// let (a, b) = (NodeId(1), NodeId(2));
/// let mut store = FencedStore::new(Fencing::On);
/// store.issue(101, a);
/// store.issue(102, b);
/// assert_eq!(store.write(102, b, 7), Ok(()));
/// assert_eq!(store.write(101, a, 9), Err(WriteError::StaleToken { token: 101, highest: 102 }));
/// assert_eq!(store.value(), Some(7));
/// assert_eq!(store.write(500, a, 1), Err(WriteError::NeverIssued { token: 500 }));
/// assert_eq!(store.write(5, a, 1), Err(WriteError::NeverIssued { token: 5 }));
/// assert_eq!(
///     store.write(102, a, 1),
///     Err(WriteError::NotHolder { token: 102, holder: b, writer: a })
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FencedStore {
    fencing: Fencing,
    /// Every token the lease server issued, with the node it was issued to.
    holders: BTreeMap<u64, NodeId>,
    highest: u64,
    history: Vec<Accepted>,
}

impl FencedStore {
    /// An empty store.
    pub fn new(fencing: Fencing) -> Self {
        FencedStore {
            fencing,
            holders: BTreeMap::new(),
            highest: 0,
            history: Vec::new(),
        }
    }

    /// Whether tokens are checked.
    pub fn fencing(&self) -> Fencing {
        self.fencing
    }

    /// Tells the store that the lease server issued `token` to `holder` (they share a host,
    /// or the server informs the store), so forged tokens, and tokens presented by another
    /// node than their holder, can be told apart. Re-issuing a token keeps its first holder.
    pub fn issue(&mut self, token: u64, holder: NodeId) {
        self.holders.entry(token).or_insert(holder);
    }

    /// Checks a write by `writer` without applying it: the token must have been issued, to
    /// `writer`; with fencing on it must also be at least the highest accepted.
    pub fn validate(&self, token: u64, writer: NodeId) -> Result<(), WriteError> {
        let Some(&holder) = self.holders.get(&token) else {
            return Err(WriteError::NeverIssued { token });
        };
        if holder != writer {
            return Err(WriteError::NotHolder {
                token,
                holder,
                writer,
            });
        }
        if self.fencing == Fencing::On && token < self.highest {
            return Err(WriteError::StaleToken {
                token,
                highest: self.highest,
            });
        }
        Ok(())
    }

    /// Checks, then applies, a write of `value` by `writer` holding `token`.
    pub fn write(&mut self, token: u64, writer: NodeId, value: u64) -> Result<(), WriteError> {
        self.validate(token, writer)?;
        self.highest = self.highest.max(token);
        self.history.push(Accepted { token, value });
        Ok(())
    }

    /// The register's current value.
    pub fn value(&self) -> Option<u64> {
        self.history.last().map(|a| a.value)
    }

    /// Every accepted write, in order.
    pub fn history(&self) -> &[Accepted] {
        &self.history
    }

    /// Whether some write landed after a write with a higher token (data corrupted by a
    /// stale writer).
    pub fn out_of_order(&self) -> bool {
        self.history
            .iter()
            .scan(0, |max, a| {
                let stale = a.token < *max;
                *max = (*max).max(a.token);
                Some(stale)
            })
            .any(|stale| stale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: NodeId = NodeId(1);
    const B: NodeId = NodeId(2);

    #[test]
    fn without_fencing_a_stale_write_lands_out_of_order() {
        let mut store = FencedStore::new(Fencing::Off);
        store.issue(101, A);
        store.issue(102, B);
        store.write(102, B, 1).unwrap();
        store.write(101, A, 2).unwrap();
        assert!(store.out_of_order());
        assert_eq!(store.value(), Some(2));
    }

    #[test]
    fn equal_tokens_are_fine() {
        let mut store = FencedStore::new(Fencing::On);
        store.issue(5, A);
        store.write(5, A, 1).unwrap();
        store.write(5, A, 2).unwrap();
        assert!(!store.out_of_order());
    }

    #[test]
    fn a_token_below_the_first_issued_is_refused_in_either_mode() {
        for fencing in [Fencing::On, Fencing::Off] {
            let mut store = FencedStore::new(fencing);
            store.issue(101, A);
            store.issue(102, B);
            // Below, between and above the issued tokens: none was issued.
            for token in [0, 5, 100, 103] {
                assert_eq!(
                    store.write(token, A, 9),
                    Err(WriteError::NeverIssued { token })
                );
            }
            assert_eq!(store.history(), &[]);
        }
    }

    #[test]
    fn another_workers_token_is_refused_in_either_mode() {
        for fencing in [Fencing::On, Fencing::Off] {
            let mut store = FencedStore::new(fencing);
            store.issue(101, A);
            store.issue(102, B);
            // A presents B's (newest) token: refused though it is not stale.
            assert_eq!(
                store.write(102, A, 9),
                Err(WriteError::NotHolder {
                    token: 102,
                    holder: B,
                    writer: A
                })
            );
            // Re-issuing does not hand the token to someone else.
            store.issue(102, A);
            assert!(store.write(102, A, 9).is_err());
            assert_eq!(store.write(102, B, 7), Ok(()));
            assert_eq!(
                store.history(),
                &[Accepted {
                    token: 102,
                    value: 7
                }]
            );
        }
    }
}
