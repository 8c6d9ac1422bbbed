//! Browser tabs as peers: the tab runtime, for any core `Protocol` (transport only — the
//! protocols live in the core; the Lamport chat's real-tabs mode and the collaborative
//! editor are its clients):
//! - [`runtime`]: drives a protocol between tabs — codec, envelope, faults as the
//!   simulator's network rules, timers, bounded batched input. Pure; tested natively.
//! - [`envelope`]: the envelope around each message and the typed refusals. Pure.
//! - [`seats`]: the room's known membership (tabs claim seats `A`, `B`, …; or an open
//!   room of the tabs heard) — the core's [`chronoscope::membership::seats`], which the
//!   runtime feeds the announcements it hears; re-exported for the labs.
//! - [`browser`]: the glue — the `BroadcastChannel`, one timeout, storage.
//!
//! Their native tests live beside, in `web/src/tabs_tests/` (Lamport-chat tests); the
//! seats' tests are the core's `core/tests/membership_seats.rs`.

pub mod browser;
pub mod envelope;
pub mod runtime;
pub use chronoscope::membership::seats;
