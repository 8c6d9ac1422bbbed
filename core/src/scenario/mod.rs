//! Ready-made runs shared by the labs, the native examples and the benchmarks: each pairs a
//! protocol with parameters (validated, with documented limits) and a seed.

pub mod conflict_store;
pub mod crdt;
pub mod gossip;
pub mod happens_before;
