//! Leases with fencing tokens (Gray & Cheriton 1989; Kleppmann 2016).
