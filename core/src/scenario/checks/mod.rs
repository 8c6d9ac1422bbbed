//! The invariants each lab's badges show, computed here so that a badge only displays a
//! verdict and a core test can assert the very same verdict: every check answers "which
//! invariants hold at true time `t`" for one scenario's finished run, as named
//! [`Invariant`]s (what is claimed, whether it holds so far, the numbers behind it).

use alloc::string::String;

pub mod byzantine_sync;
pub mod causal_broadcast;
pub mod drift;
pub mod hybrid_logical;
pub mod lease;

/// One named invariant and whether it holds up to the time asked about.
///
/// ```
/// use chronoscope::scenario::checks::Invariant;
/// let ok = Invariant::new("monotonic", true, "no clock went back");
/// assert!(ok.holds && ok.name == "monotonic");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invariant {
    /// What is claimed, e.g. "skew ≤ 12.0 ms once synced".
    pub name: String,
    /// Whether it holds at the time asked about.
    pub holds: bool,
    /// The numbers behind the verdict.
    pub detail: String,
}

impl Invariant {
    /// An invariant named `name` that `holds`, with `detail`.
    pub fn new(name: impl Into<String>, holds: bool, detail: impl Into<String>) -> Invariant {
        Invariant {
            name: name.into(),
            holds,
            detail: detail.into(),
        }
    }
}
