//! Clock synchronisation: Cristian's algorithm, Berkeley, NTP-style slewing and stepping, and
//! Byzantine-tolerant synchronisation (Marzullo's intersection, fault-tolerant averaging).
