//! Browser tabs as peers.
//!
//! The tab runtime, for any core `Protocol`:
//! - [`runtime`]: drives a protocol between tabs — codec, envelope, faults as the
//!   simulator's network rules, timers, bounded batched input. Pure; tested natively.
//! - [`envelope`]: the envelope around each message and the typed refusals. Pure.
//! - [`seats`]: the room's known membership (tabs claim seats `A`, `B`, …). Pure.
//! - [`browser`]: the glue — the `BroadcastChannel`, one timeout, storage.
//!
//! The collaborative editor (still on its own transport):
//! - [`wire`]: the JSON messages and their validation (schema, sizes, ids, clock sanity).
//! - [`peer`]: one tab's peer — RGA (or naive) replica on top of the core's causal queue,
//!   presence, network controls, undo, the session trace. Pure; tested natively.
//! - [`channel`]: the browser glue — the channel, timers and storage.

pub mod browser;
pub mod channel;
pub mod envelope;
pub mod peer;
pub mod runtime;
pub mod seats;
pub mod wire;
