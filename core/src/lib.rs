//! # Chronoscope core
//!
//! Time in distributed systems, modelled as **pure state machines** and run by a
//! **deterministic discrete-event simulator**. The crate is `no_std` + `alloc`: it never
//! reads a wall clock, never does I/O and never touches a global random number generator.
//! Whatever drives it — the simulator in [`sim`], a lab in the browser, or real browser
//! tabs — passes time and randomness in, and carries out the effects that come back.
//!
//! Layout (one module per family):
//! - [`time`], [`rng`], [`node`], [`protocol`]: the foundations every family shares.
//! - [`clock`]: physical (drifting) clocks, Lamport, vector and hybrid logical clocks,
//!   TrueTime, version vectors, dotted version vectors and DVVSet.
//! - [`sim`]: the simulator, its event queue and its fault-injecting network model.
//! - [`trace`]: the record of a run, its happens-before queries, and log import/export.
//! - [`scenario`]: ready-made runs that labs, examples and benchmarks share.
//! - [`sync`], [`broadcast`], [`snapshot`], [`store`], [`crdt`], [`lease`]: the protocols.
//! - [`collab`]: the collaborative editor's Byzantine-safe replication (hash-linked,
//!   signed updates over an RGA text).
//! - [`ledger`]: the Chronos ledger, composed from the clocks, causal broadcast, leases and
//!   snapshots.
//! - [`membership`]: who is in a room of real peers (seats that browser tabs claim).
//!
//! ```
//! use chronoscope::scenario::happens_before::{self, Params};
//! let trace = happens_before::run(&Params::default()).unwrap();
//! assert!(!trace.events().is_empty());
//! ```
#![cfg_attr(not(any(test, feature = "std")), no_std)]
#![deny(missing_docs)]
#![warn(clippy::iter_over_hash_type)]

extern crate alloc;

pub mod broadcast;
pub mod clock;
pub mod collab;
pub mod crdt;
pub mod lease;
pub mod ledger;
pub mod membership;
pub mod node;
pub mod protocol;
pub mod rng;
pub mod scenario;
pub mod sim;
pub mod snapshot;
pub mod store;
pub mod sync;
pub mod time;
pub mod trace;
