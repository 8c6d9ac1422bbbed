//! Clock synchronisation: Cristian's algorithm, Berkeley, NTP-style slewing and stepping, and
//! Byzantine-tolerant synchronisation (Marzullo's intersection, fault-tolerant averaging).
//!
//! - [`discipline`]: the software clock a correction is applied to (step, slew, NTP hybrid).
//! - [`cristian`]: Cristian's algorithm (client asks a time server, adds RTT/2).
//! - [`berkeley`]: the Berkeley algorithm (leader polls, discards outliers, averages).
//! - [`marzullo`]: Marzullo's interval intersection (as NTP uses), classic and f-tolerant.
//! - [`ntp_select`]: an NTP-style client choosing among lying servers with Marzullo.
//! - [`fault_tolerant_average`]: trim the f highest and lowest, average (or midpoint).
//! - [`welch_lynch`]: round-based Byzantine-tolerant sync with lying, two-faced nodes.
//! - [`error`]: [`SyncConfigError`], which the protocols' constructors (and
//!   [`discipline::Discipline::new`]) return for an absurd parameter (a zero interval, a negative
//!   outlier bound, a window past its round, a slew rate out of range) instead of silently changing it.

pub mod berkeley;
pub mod cristian;
pub mod discipline;
pub mod error;
pub mod fault_tolerant_average;
pub mod marzullo;
pub mod ntp_select;
pub mod welch_lynch;

pub use error::{SyncConfigError, MIN_INTERVAL};
