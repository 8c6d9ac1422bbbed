//! Clocks: the physical clock a node reads, and the logical clocks that order events.
//!
//! - [`physical`]: a drifting oscillator with offset and jumps (the simulator gives every
//!   node one).
//! - [`lamport`]: Lamport's scalar clock (Lamport 1978, "Time, Clocks, and the Ordering of
//!   Events in a Distributed System").
//! - [`vector`]: vector clocks (Fidge 1988; Mattern 1989), whose order equals happens-before.

pub mod lamport;
pub mod physical;
pub mod vector;

pub use lamport::{LamportClock, LamportStamp};
pub use physical::PhysicalClock;
pub use vector::{Causality, VectorClock};

pub mod dotted_version_vector;
pub mod dvvset;
pub mod version_vector;

pub use dotted_version_vector::{Dot, DottedVersionVector, DvvSiblings};
pub use dvvset::{DvvEntry, DvvSet};
pub use version_vector::{Entry as VersionEntry, SiblingSet, VersionVector, VvSiblings};
