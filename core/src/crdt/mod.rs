//! Conflict-free replicated data types (Shapiro et al. 2011).

pub mod naive_text;
pub mod rga;
