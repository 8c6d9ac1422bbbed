//! Clocks: the physical clock a node reads, and the logical clocks that order events.
//!
//! - [`physical`]: a drifting oscillator with offset, jumps and a monotonic reading (the
//!   simulator gives every node one); [`discipline`] corrects it by step or slew with ntpd's
//!   panic threshold, [`drift_walk`] makes its drift wander with temperature, and
//!   [`leap_second`] steps or smears leap seconds.
//! - [`lamport`]: Lamport's scalar clock (Lamport 1978, "Time, Clocks, and the Ordering of
//!   Events in a Distributed System").
//! - [`vector`]: vector clocks (Fidge 1988; Mattern 1989), whose order equals happens-before;
//!   [`vector_json`] reads and writes them in ShiViz's JSON form.
//! - [`hybrid_logical`]: hybrid logical clocks (Kulkarni et al. 2014); [`hybrid_logical_node`]
//!   a node that exchanges their stamps.
//! - [`true_time`]: Spanner's TrueTime intervals (Corbett et al. 2012); [`commit_wait`] the
//!   transaction coordinator that waits them out.

pub mod commit_wait;
pub mod discipline;
pub mod drift_walk;
pub mod error;
pub mod hybrid_logical;
pub mod hybrid_logical_node;
pub mod lamport;
pub mod leap_second;
pub mod physical;
pub mod true_time;
pub mod vector;
pub mod vector_json;

pub use discipline::{AdjustError, Adjustment, Applied, ClockConfigError, Discipline};
pub use drift_walk::DriftWalk;
pub use error::ClockError;
pub use hybrid_logical::{HlcError, HlcTimestamp, HybridLogicalClock};
pub use lamport::{LamportClock, LamportStamp};
pub use leap_second::LeapSecond;
pub use physical::PhysicalClock;
pub use true_time::{Interval, TrueTime, TrueTimeConfig, TrueTimeError};
pub use vector::{Causality, VectorClock};
pub use vector_json::ClockParseError;

pub mod dotted_version_vector;
pub mod dvvset;
pub mod version_vector;

pub use dotted_version_vector::{Dot, DottedVersionVector, DvvSiblings};
pub use dvvset::{DvvEntry, DvvSet};
pub use version_vector::{Entry as VersionEntry, SiblingSet, VersionVector, VvSiblings};
