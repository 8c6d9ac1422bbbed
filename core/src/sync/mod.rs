//! Clock synchronisation: Cristian's algorithm, Berkeley, NTP-style slewing and stepping, and
//! Byzantine-tolerant synchronisation (Marzullo's intersection, fault-tolerant averaging).
//!
//! - [`discipline`]: the software clock a correction is applied to (step, slew, NTP hybrid).
//! - [`cristian`]: Cristian's algorithm (client asks a time server, adds RTT/2).
//! - [`berkeley`]: the Berkeley algorithm (leader polls, discards outliers, averages).

pub mod berkeley;
pub mod cristian;
pub mod discipline;
