//! Live verdicts: which of the ledger's invariants ([`verdict`]) hold at a
//! given instant of a run, for badges that turn red the moment one breaks.
//!
//! A run is judged once, at its end; this file then dates each broken verdict by the first
//! piece of evidence in the run's reports — the instant a replica showed an entry after one
//! depending on it (`DeliveredLate`), the instant a second token committed a different entry
//! at an offset already committed (the split brain), the instant a shipment replaced a
//! committed entry (`CommittedLost`), the instant an inconsistent backup completed. A verdict
//! only the final state can decide (HLC order over the final logs, replicas agree, every
//! append committed — which are due once the run settled) is dated at the run's end.
//!
//! Invariant: a verdict that holds at the end holds at every instant; one that is broken at
//! the end is broken from its date on and holds strictly before it (the evidence is
//! cumulative: what was reported stays reported).

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use super::replica::LedgerOutput;
use super::verdict::{self, Evidence, Verdict, NAMES};
use crate::broadcast::BroadcastId;
use crate::sim::Reported;
use crate::time::Instant;

/// One verdict with the instant it first broke.
///
/// # Examples
///
/// ```
/// use chronoscope::ledger::live::Dated;
/// use chronoscope::ledger::verdict::Verdict;
/// use chronoscope::time::Instant;
/// let v = Dated {
///     verdict: Verdict { name: "committed stable", broken: Some("offset 3 replaced".into()) },
///     broken_at: Some(Instant::from_millis(2_400)),
/// };
/// assert!(v.holds_at(Instant::from_millis(2_399)));
/// assert!(!v.holds_at(Instant::from_millis(2_400)));
/// assert_eq!(v.at(Instant::from_millis(1_000)).broken, None);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dated {
    /// The verdict at the end of the run.
    pub verdict: Verdict,
    /// When it first broke (true time); `None` when it held throughout.
    pub broken_at: Option<Instant>,
}

impl Dated {
    /// Whether it holds at true time `t`.
    pub fn holds_at(&self, t: Instant) -> bool {
        self.broken_at.is_none_or(|at| t < at)
    }
    /// The verdict as a badge shows it at `t`: broken (with its counterexample) from its
    /// date on, holding before.
    pub fn at(&self, t: Instant) -> Verdict {
        Verdict {
            name: self.verdict.name,
            broken: if self.holds_at(t) {
                None
            } else {
                self.verdict.broken.clone()
            },
        }
    }
}

/// Dates `verdicts` (as [`verdict::judge`] returned them for `ev`, in [`NAMES`] order); `end`
/// is the run's end, the date of what only the final state shows.
pub fn date(ev: Evidence<'_>, verdicts: &[Verdict], end: Instant) -> Vec<Dated> {
    verdicts
        .iter()
        .map(|v| Dated {
            broken_at: (!v.holds()).then(|| first_evidence(ev, v.name).unwrap_or(end).min(end)),
            verdict: v.clone(),
        })
        .collect()
}

fn first_evidence(ev: Evidence<'_>, name: &str) -> Option<Instant> {
    let outputs = ev.outputs;
    match name {
        n if n == NAMES[0] => outputs
            .iter()
            .find(|r| matches!(r.output, LedgerOutput::DeliveredLate { .. }))
            .map(|r| r.at),
        n if n == NAMES[2] => first_conflicting_commit(outputs),
        n if n == NAMES[3] => {
            let lost = outputs
                .iter()
                .find(|r| matches!(r.output, LedgerOutput::CommittedLost { .. }))
                .map(|r| r.at);
            match (lost, first_conflicting_commit(outputs)) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }
        }
        n if n == NAMES[4] => first_inconsistent_backup(ev),
        _ => None,
    }
}

/// The instant an offset was first reported committed with a different `(token, entry)`
/// than before.
fn first_conflicting_commit(outputs: &[Reported<LedgerOutput>]) -> Option<Instant> {
    let mut at: BTreeMap<u64, (u64, BroadcastId)> = BTreeMap::new();
    for r in outputs {
        if let LedgerOutput::Committed { from, entries, .. } = &r.output {
            for (k, &e) in entries.iter().enumerate() {
                if *at.entry(from + k as u64).or_insert(e) != e {
                    return Some(r.at);
                }
            }
        }
    }
    None
}

/// The instant the first inconsistent backup completed (its last part was reported).
fn first_inconsistent_backup(ev: Evidence<'_>) -> Option<Instant> {
    let fencing = ev.replicas.first().is_none_or(|r| r.config().fencing);
    let reference = verdict::reference_log(ev.replicas);
    verdict::backups(ev.outputs, ev.replicas.len())
        .into_iter()
        .filter(|b| {
            verdict::consistent_snapshots(
                core::slice::from_ref(b),
                ev.outputs,
                ev.trace,
                &reference,
                fencing,
            )
            .is_err()
        })
        .filter_map(|b| {
            ev.outputs
                .iter()
                .filter(|r| matches!(&r.output, LedgerOutput::BackedUp(p) if p.id == b.id))
                .map(|r| r.at)
                .max()
        })
        .min()
}
