//! A replicated key-value store with pluggable conflict detection (Dynamo-style contexts).
//!
//! - [`replica`]: one replica as a pure state machine; clients read → context → write.
//! - [`lww`]: last-write-wins registers (wall-clock or Lamport stamps).
//! - [`merge`]: what a client does with siblings (union for carts, or pick one).
//! - [`metadata`]: bytes of causality metadata per stored value, and whether siblings are
//!   still detected, as the cluster grows (vector clocks, pruned version vectors, DVVSet).
//!
//! The version vectors, dotted version vectors and DVVSets themselves live in
//! [`clock`](crate::clock).

pub mod lww;
pub mod merge;
pub mod metadata;
pub mod replica;

use core::fmt;

pub use merge::{Merge, MergeError};
pub use replica::{Replica, WriteId};

/// How a replica resolves concurrent versions of a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Strategy {
    /// Last-write-wins by the accepting replica's physical clock (ties by node id).
    WallClockLww,
    /// Last-write-wins by Lamport timestamp (ties by node id).
    LamportLww,
    /// Version vectors (replica ids) with siblings, as Dynamo and Riak's first versions.
    VectorClocks,
    /// Dotted version vectors with siblings (Preguiça et al. 2012).
    DottedVersionVectors,
}

impl Strategy {
    /// Every strategy, from most to least lossy.
    pub const ALL: [Strategy; 4] = [
        Strategy::WallClockLww,
        Strategy::LamportLww,
        Strategy::VectorClocks,
        Strategy::DottedVersionVectors,
    ];

    /// The short name used in URLs and on the command line.
    ///
    /// ```
    /// use chronoscope::store::Strategy;
    /// for s in Strategy::ALL {
    ///     assert_eq!(Strategy::from_name(s.name()), Some(s));
    /// }
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Strategy::WallClockLww => "lww",
            Strategy::LamportLww => "lamport",
            Strategy::VectorClocks => "vclock",
            Strategy::DottedVersionVectors => "dvv",
        }
    }

    /// Parses [`name`](Self::name) back.
    pub fn from_name(name: &str) -> Option<Strategy> {
        Strategy::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Whether concurrent versions are kept as siblings (rather than one picked).
    pub const fn keeps_siblings(self) -> bool {
        matches!(
            self,
            Strategy::VectorClocks | Strategy::DottedVersionVectors
        )
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Strategy::WallClockLww => "wall-clock last-write-wins",
            Strategy::LamportLww => "Lamport last-write-wins",
            Strategy::VectorClocks => "vector clocks with siblings",
            Strategy::DottedVersionVectors => "dotted version vectors with siblings",
        })
    }
}
