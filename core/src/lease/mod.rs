//! Leases with fencing tokens (Gray & Cheriton 1989; Kleppmann 2016).
//!
//! - [`server`]: the lease table (time-bounded grants, strictly increasing tokens).
//! - [`fencing`]: the store that rejects stale tokens (or, unfenced, accepts them).
//! - [`fenced_lock`]: the protocol tying them to workers that check, pause, and write.

pub mod fenced_lock;
pub mod fencing;
pub mod server;
