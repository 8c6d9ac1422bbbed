//! Conflict-free replicated data types (Shapiro et al. 2011).
