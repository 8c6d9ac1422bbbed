//! Browser tabs as peers: the collaborative editor's transport (`BroadcastChannel`),
//! presence, persistence (`localStorage`) and the pure peer state machine they drive.
//!
//! - [`wire`]: the JSON messages and their validation (schema, sizes, ids, clock sanity).
//! - [`peer`]: one tab's peer — RGA (or naive) replica on top of the core's causal queue,
//!   presence, network controls, undo, the session trace. Pure; tested natively.
//! - [`channel`]: the browser glue — the channel, timers and storage.

pub mod channel;
pub mod peer;
pub mod wire;
