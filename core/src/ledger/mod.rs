//! The Chronos ledger (the source documents' "Final Overall Project"): a causally ordered,
//! replicated log — "like Kafka with causality as a first-class citizen" — composed from the
//! core's pieces rather than copies of them.
//!
//! - [`entry`]: entries stamped by the hybrid logical clock ([`clock::HybridLogicalClock`](crate::clock::HybridLogicalClock)),
//!   canonical order `(HLC, node)`, and the check that a log extends happens-before.
//! - [`delivery`]: causal broadcast ([`broadcast::causal`](crate::broadcast::causal)) of
//!   appends, or eager delivery in the unsafe variant.
//! - [`election`]: the leader lease granted by a majority, each grant with a fencing token.
//! - [`commit`]: offsets, shipments, fencing (`REJECTED: token 101 < 102`), the commit point.
//! - [`state`]: one replica's state, the one door for live messages and replays
//!   ([`id_set`]: which ids its log holds).
//! - [`backup`]: Chandy-Lamport backups ([`snapshot::chandy_lamport`](crate::snapshot::chandy_lamport)'s ids)
//!   and restore.
//! - [`replica`]: all of it as one [`Protocol`](crate::protocol::Protocol); [`wire`]: its
//!   settings, messages, operations and outputs.
//! - [`verdict`]: the invariants a run is judged by; [`live`]: when each first broke, so a
//!   badge can show which hold at any instant.
//! - [`disk`]: what a replica keeps across a crash, for drivers that really lose one.
//!
//! The unsafe variants ([`LedgerConfig::fencing`](replica::LedgerConfig::fencing) and
//! [`LedgerConfig::causal`](replica::LedgerConfig::causal) off) exist for the lesson: the
//! verdicts then find the split brain, or a reply shown before its question.

pub mod backup;
pub mod commit;
pub mod delivery;
pub mod disk;
pub mod election;
pub mod entry;
pub mod id_set;
pub mod live;
pub mod replica;
pub mod state;
pub mod verdict;
pub mod wire;
