//! The invariants a ledger run is judged by, as named verdicts a lab's badges only display.
//!
//! - **causal order**: every replica shows its entries (log, then pending) in an order that
//!   extends happens-before — no reply before the entry it answers.
//! - **HLC order**: the canonical key `(HLC, node)` of every entry is above the keys of the
//!   entries it depends on.
//! - **one token per offset**: no offset was ever committed with two different entries or
//!   under two different tokens (no split brain).
//! - **committed stable**: whatever was reported committed anywhere is still at its offset in
//!   every replica's final committed log (nothing lost or reordered across leader changes).
//! - **consistent snapshots**: every complete backup is a consistent cut of the trace, and its
//!   restore + replay gives a causally ordered log whose committed part equals the final
//!   log's first entries (the same entries, tokens and order; never longer).
//! - **replicas agree** (once the network healed and the run settled): every live replica
//!   has the same committed log, and every append is in it.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::backup::{Backup, BackupPart};
use super::commit::LogEntry;
use super::entry::{first_causal_violation, Entry};
use super::replica::{LedgerOutput, Replica};
use crate::broadcast::BroadcastId;
use crate::node::NodeId;
use crate::sim::Reported;
use crate::snapshot::chandy_lamport::SnapshotId;
use crate::trace::{EventId, Trace};

/// One named verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Its name.
    pub name: &'static str,
    /// `None` when it holds; otherwise the first counterexample.
    pub broken: Option<String>,
}

impl Verdict {
    fn new(name: &'static str, result: Result<(), String>) -> Self {
        Verdict {
            name,
            broken: result.err(),
        }
    }
    /// Whether it holds.
    pub fn holds(&self) -> bool {
        self.broken.is_none()
    }
}

/// The verdict names, in display order.
pub const NAMES: [&str; 7] = [
    "causal order",
    "HLC order",
    "one token per offset",
    "committed stable",
    "consistent snapshots",
    "replicas agree",
    "every append committed",
];

/// What the judge looks at.
#[derive(Clone, Copy, Debug)]
pub struct Evidence<'a> {
    /// Each replica's final state, by node index.
    pub replicas: &'a [&'a Replica],
    /// Everything they reported.
    pub outputs: &'a [Reported<LedgerOutput>],
    /// The trace.
    pub trace: &'a Trace,
    /// Whether the run ended long enough after the last fault for agreement to be due.
    pub settled: bool,
}

/// Judges a run; every verdict in [`NAMES`] order.
pub fn judge(ev: Evidence<'_>) -> Vec<Verdict> {
    let backups = backups(ev.outputs, ev.replicas.len());
    let fencing = ev.replicas.first().is_none_or(|r| r.config().fencing);
    let reference = reference_log(ev.replicas);
    let pending_ok = |_: ()| Ok(());
    let agree = if ev.settled {
        agreement(ev.replicas)
    } else {
        pending_ok(())
    };
    let all_in = if ev.settled {
        every_append_committed(ev.outputs, &reference)
    } else {
        pending_ok(())
    };
    alloc::vec![
        Verdict::new(NAMES[0], causal_order(ev.replicas, ev.outputs)),
        Verdict::new(NAMES[1], hlc_order(ev.replicas)),
        Verdict::new(NAMES[2], one_token_per_offset(ev.outputs)),
        Verdict::new(NAMES[3], committed_stable(ev.outputs, ev.replicas)),
        Verdict::new(
            NAMES[4],
            consistent_snapshots(&backups, ev.outputs, ev.trace, &reference, fencing)
        ),
        Verdict::new(NAMES[5], agree),
        Verdict::new(NAMES[6], all_in),
    ]
}

fn live<'a>(replicas: &'a [&'a Replica]) -> impl Iterator<Item = (NodeId, &'a Replica)> + 'a {
    replicas
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.is_down())
        .map(|(i, r)| (NodeId(i as u32), *r))
}

/// The longest committed log among live replicas (the one the others are judged against).
pub fn reference_log(replicas: &[&Replica]) -> Vec<LogEntry> {
    live(replicas)
        .map(|(_, r)| r.state().log.committed())
        .max_by_key(|l| l.len())
        .map(<[LogEntry]>::to_vec)
        .unwrap_or_default()
}

/// Every replica's exposed order extends happens-before, and no entry was ever delivered
/// after one that depends on it.
pub fn causal_order(
    replicas: &[&Replica],
    outputs: &[Reported<LedgerOutput>],
) -> Result<(), String> {
    if let Some(r) = outputs
        .iter()
        .find(|r| matches!(r.output, LedgerOutput::DeliveredLate { .. }))
    {
        if let LedgerOutput::DeliveredLate { id } = r.output {
            return Err(format!(
                "replica {} showed an entry depending on {id} before {id} itself",
                r.node
            ));
        }
    }
    for (n, r) in live(replicas) {
        if let Some(v) = first_causal_violation(r.state().exposed()) {
            return Err(format!("replica {n}: {v}"));
        }
    }
    Ok(())
}

/// Keys `(HLC, node)` rise along every dependency.
pub fn hlc_order(replicas: &[&Replica]) -> Result<(), String> {
    for (n, r) in live(replicas) {
        let keyed: BTreeMap<BroadcastId, &Entry> = r.state().exposed().map(|e| (e.id, e)).collect();
        for e in keyed.values() {
            for (k, v) in e.clock.iter() {
                let dep = if k == e.id.origin { v - 1 } else { v };
                if dep == 0 {
                    continue;
                }
                let id = BroadcastId {
                    origin: k,
                    seq: dep,
                };
                if let Some(d) = keyed.get(&id) {
                    if d.key() >= e.key() {
                        return Err(format!(
                            "replica {n}: {} depends on {} but its HLC {} is not above {}",
                            e.id, d.id, e.hlc, d.hlc
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Every `(offset, (token, entry))` reported committed, by offset; a conflict is an error.
fn committed_history(
    outputs: &[Reported<LedgerOutput>],
) -> Result<BTreeMap<u64, (u64, BroadcastId)>, String> {
    let mut at: BTreeMap<u64, (u64, BroadcastId)> = BTreeMap::new();
    for r in outputs {
        if let LedgerOutput::Committed { from, entries, .. } = &r.output {
            for (k, &(token, id)) in entries.iter().enumerate() {
                let offset = from + k as u64;
                match at.get(&offset) {
                    Some(&(t, i)) if (t, i) != (token, id) => {
                        return Err(format!(
                            "offset {offset}: token {t} committed {i}, token {token} committed {id} (at {})",
                            r.node
                        ))
                    }
                    _ => {
                        at.insert(offset, (token, id));
                    }
                }
            }
        }
    }
    Ok(at)
}

/// No offset committed twice differently.
pub fn one_token_per_offset(outputs: &[Reported<LedgerOutput>]) -> Result<(), String> {
    committed_history(outputs).map(|_| ())
}

/// Everything ever committed is still at its offset in every live replica's committed log.
pub fn committed_stable(
    outputs: &[Reported<LedgerOutput>],
    replicas: &[&Replica],
) -> Result<(), String> {
    let mut first: BTreeMap<u64, (u64, BroadcastId)> = BTreeMap::new();
    for r in outputs {
        if let LedgerOutput::CommittedLost { from, lost } = &r.output {
            return Err(format!(
                "replica {}: {from}'s shipment replaced committed {} at offset {}",
                r.node, lost.was, lost.offset
            ));
        }
        if let LedgerOutput::Committed { from, entries, .. } = &r.output {
            for (k, &e) in entries.iter().enumerate() {
                first.entry(from + k as u64).or_insert(e);
            }
        }
    }
    for (n, r) in live(replicas) {
        for (offset, l) in r.state().log.committed().iter().enumerate() {
            if let Some(&(token, id)) = first.get(&(offset as u64)) {
                if (l.token, l.entry.id) != (token, id) {
                    return Err(format!(
                        "replica {n} offset {offset}: {} (token {}) where {id} (token {token}) was committed",
                        l.entry.id, l.token
                    ));
                }
            }
        }
    }
    // Nothing committed went missing from the longest log.
    let longest = reference_log(replicas);
    if let Some((&offset, &(_, id))) = first.iter().find(|(o, _)| **o >= longest.len() as u64) {
        return Err(format!(
            "offset {offset} ({id}) was committed but no live replica's committed log reaches it"
        ));
    }
    Ok(())
}

/// Live replicas hold the same committed log.
pub fn agreement(replicas: &[&Replica]) -> Result<(), String> {
    let mut it = live(replicas);
    let Some((n0, r0)) = it.next() else {
        return Ok(());
    };
    for (n, r) in it {
        let (a, b) = (r0.state().log.committed(), r.state().log.committed());
        if a != b {
            let at = a
                .iter()
                .zip(b)
                .position(|(x, y)| x != y)
                .unwrap_or(a.len().min(b.len()));
            return Err(format!(
                "{n0} and {n} differ at offset {at} ({} vs {} committed)",
                a.len(),
                b.len()
            ));
        }
    }
    Ok(())
}

/// Every appended entry reached the committed log.
pub fn every_append_committed(
    outputs: &[Reported<LedgerOutput>],
    reference: &[LogEntry],
) -> Result<(), String> {
    let ids: alloc::collections::BTreeSet<BroadcastId> =
        reference.iter().map(|l| l.entry.id).collect();
    for r in outputs {
        if let LedgerOutput::Appended(e) = &r.output {
            if !ids.contains(&e.id) {
                return Err(format!(
                    "{} was appended at {} but never committed",
                    e.id, r.node
                ));
            }
        }
    }
    Ok(())
}

/// The complete backups in `outputs` (every replica recorded its part), by snapshot.
pub fn backups(outputs: &[Reported<LedgerOutput>], replicas: usize) -> Vec<Backup> {
    let mut parts: BTreeMap<SnapshotId, Vec<&BackupPart>> = BTreeMap::new();
    for r in outputs {
        if let LedgerOutput::BackedUp(p) = &r.output {
            parts.entry(p.id).or_default().push(p);
        }
    }
    parts
        .into_iter()
        .filter_map(|(id, ps)| Backup::assemble(id, replicas, ps))
        .collect()
}

/// Each replica's cut event for snapshot `id`: its `Recorded` output.
fn cut_events(outputs: &[Reported<LedgerOutput>], id: SnapshotId) -> BTreeMap<NodeId, EventId> {
    outputs
        .iter()
        .filter_map(|r| match &r.output {
            LedgerOutput::Recorded { id: i, .. } if *i == id => Some((r.node, r.event)),
            _ => None,
        })
        .collect()
}

/// Complete backups are consistent cuts whose replay is causally ordered and agrees with
/// the final committed log.
pub fn consistent_snapshots(
    backups: &[Backup],
    outputs: &[Reported<LedgerOutput>],
    trace: &Trace,
    reference: &[LogEntry],
    fencing: bool,
) -> Result<(), String> {
    for b in backups {
        let cuts = cut_events(outputs, b.id);
        for m in trace.messages() {
            let (Some(recv), Some(&cut_r), Some(&cut_s)) =
                (m.receive(), cuts.get(&m.to), cuts.get(&m.from))
            else {
                continue;
            };
            // The marker that triggered the recording is received just before it.
            // (one handler: the receive event, then the recording).
            let triggering = recv.0 + 1 == cut_r.0;
            if recv < cut_r && !triggering && m.send > cut_s {
                return Err(format!(
                    "snapshot {}: a message from {} sent after its cut was received by {} before its cut",
                    b.id, m.from, m.to
                ));
            }
        }
        for (n, part) in &b.parts {
            let state = part.replayed(fencing);
            if let Some(v) = first_causal_violation(state.exposed()) {
                return Err(format!("snapshot {} replica {n}: replay: {v}", b.id));
            }
            // Restore + replay reproduces the log: what the restored replica holds committed
            // is, entry for entry, the final log up to its length — never more.
            let committed = state.log.committed();
            if reference.get(..committed.len()) != Some(committed) {
                let at = committed
                    .iter()
                    .zip(reference)
                    .position(|(x, y)| x != y)
                    .unwrap_or(reference.len());
                return Err(format!(
                    "snapshot {} replica {n}: restored committed log ({} entries) differs from the final one ({}) at offset {at}",
                    b.id,
                    committed.len(),
                    reference.len()
                ));
            }
        }
    }
    Ok(())
}
