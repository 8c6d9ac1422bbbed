//! The HLC lab's invariants (Kulkarni et al., "Logical Physical Clocks", OPODIS 2014, §3):
//! every node's HLC stamps strictly increase, `l − pt` stays within the skew bound ε, and —
//! the contrast the lab draws — whether the physical clocks themselves ever went back.

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use super::Invariant;
use crate::scenario::hybrid_logical::HlcRun;

impl HlcRun {
    /// Which invariants hold once the first `shown` events have happened.
    ///
    /// ```
    /// use chronoscope::scenario::hybrid_logical::{run, Params};
    /// let set_back = run(&Params { jump_ms: 300_000, ..Params::default() }).unwrap();
    /// let all = set_back.trace.events().len();
    /// let verdicts = set_back.invariants(all);
    /// assert!(verdicts[0].holds, "the HLC never goes back");
    /// assert!(!verdicts[2].holds, "the physical clock did");
    /// ```
    pub fn invariants(&self, shown: usize) -> Vec<Invariant> {
        let verdict = self.verdict(shown);
        let eps_ms = self.epsilon.as_millis_f64();
        vec![
            Invariant::new(
                "HLC never goes back",
                verdict.hlc_monotonic,
                "every node's stamps strictly increase",
            ),
            Invariant::new(
                format!("l − pt ≤ ε = {eps_ms:.1} ms"),
                (verdict.max_lead_ms as f64) <= eps_ms,
                format!("largest l − pt so far: {} ms", verdict.max_lead_ms),
            ),
            Invariant::new(
                "physical clocks never go back",
                verdict.physical_monotonic,
                if verdict.physical_monotonic {
                    "no clock has been set back yet"
                } else {
                    "a clock was set back: physical timestamps would reorder events"
                },
            ),
        ]
    }
}
