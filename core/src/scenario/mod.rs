//! Ready-made runs shared by the labs, the native examples and the benchmarks: each pairs a
//! protocol with parameters (validated, with documented limits) and a seed.

pub mod byzantine_sync;
pub mod causal_broadcast;
pub mod checks;
pub mod collab;
pub mod comparison;
pub mod conflict_store;
pub mod crdt;
pub mod drift;
pub mod gossip;
pub mod happens_before;
pub mod hybrid_logical;
pub mod lamport_chat;
pub mod lease;
pub mod ledger;
pub mod ntp_select;
pub mod params;
pub mod snapshot;
pub mod true_time;
