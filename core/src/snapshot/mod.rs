//! Global snapshots: the Chandy-Lamport algorithm (Chandy & Lamport 1985).

pub mod chandy_lamport;
