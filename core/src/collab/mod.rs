//! The collaborative editor's replication, Byzantine-safe (issue 10): Kleppmann, "Making
//! CRDTs Byzantine Fault Tolerant" (PaPoC 2022) and Kleppmann & Howard, "Byzantine Eventual
//! Consistency and the Fundamental Limits of Peer-to-Peer Databases" (2020).
//!
//! Any page on the same origin can post on the editor's channel, so a message is evidence,
//! not truth. Every edit is an [`Update`](update::Update) named by the SHA-256 of its
//! content and dependencies and signed by its author's Ed25519 key; a replica delivers an
//! update only after everything it names, so two different updates never share an id and a
//! forger can only author updates under its own key. Invariant (strong eventual consistency
//! among honest replicas, BEC §4): honest replicas that delivered the same updates hold the
//! same text, and anti-entropy brings every honest replica every update any honest replica
//! delivered, whatever a Byzantine sender posts.
//!
//! One concern per file:
//! - [`codec`]: the canonical byte encoding; [`update`]: hashing, signing, verifying;
//!   [`runs`]: what an update does (insert a run, delete ranges).
//! - [`hash_rga`]: the RGA text over hash-named elements.
//! - [`graph`]: delivered updates, heads, derived vector clock, equivocations.
//! - [`holdback`]: updates waiting for their dependencies, with caps and expiry.
//! - [`anti_entropy`]: answering requests for missing updates in bounded bundles.
//! - [`peers`]: membership, presence and per-peer rate buckets; [`presence`]: signed
//!   heartbeats that prove an idle tab holds its key; [`limits`]: every cap.
//! - [`message`]: the wire messages; [`refusals`]: refusal counts by reason.
//! - [`replica`]: the [`Protocol`](crate::protocol::Protocol); [`edit`]: local edits;
//!   [`persist`]: save/restore.

pub mod anti_entropy;
pub mod codec;
pub mod edit;
pub mod graph;
pub mod hash_rga;
pub mod holdback;
pub mod limits;
pub mod message;
pub mod peers;
pub mod persist;
pub mod presence;
pub mod refusals;
pub mod replica;
pub mod runs;
pub mod update;

pub use edit::{EditError, Operation};
pub use graph::Equivocation;
pub use limits::{Limits, LimitsError};
pub use message::Message;
pub use persist::{RestoreError, Saved};
pub use refusals::{Refusal, Refusals};
pub use replica::{Output, Replica, Timer};
pub use update::{Author, AuthorKey, CharId, CharRange, Op, Update, UpdateHash};
