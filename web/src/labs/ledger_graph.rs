//! The ledger's dashboard in a tab (the source's "conflict visualization"): the causal graph of
//! the entries this tab's replica knows, as a space-time diagram. Each entry is an event on its
//! origin replica's lane; events come in the ledger's canonical order `(HLC, origin)` — which
//! the core keeps as a linear extension of happens-before, so the trace is topologically
//! ordered. An arrow joins an entry to each entry of another replica it directly depends on:
//! its vector clock names, per replica, the last entry it saw; dependencies that another
//! dependency already implies (by the core's `Entry::happened_before`) are left out. Pending
//! entries (not yet in the log) are marked; labels carry the offset, HLC and state. Nothing is
//! recomputed here: the entries, clocks and states are the replica's.

use std::collections::{BTreeMap, BTreeSet};

use chronoscope::broadcast::BroadcastId;
use chronoscope::ledger::commit::LogEntry;
use chronoscope::ledger::entry::Entry;
use chronoscope::node::NodeId;
use chronoscope::time::Instant;
use chronoscope::trace::{EventId, EventKind, MessageFate, Trace};

/// The most entries the graph draws (the latest ones, in canonical order).
pub const GRAPH_WINDOW: usize = 300;

/// Where an entry stands at this replica.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// In the log at this offset, committed.
    Committed(u64),
    /// In the log at this offset, shipped by a leader but not committed yet.
    Shipped(u64),
    /// Delivered by causal broadcast, waiting for a leader to give it an offset.
    Pending,
}

/// The causal graph of one replica's entries.
#[derive(Clone, Debug, PartialEq)]
pub struct CausalGraph {
    /// One event per drawn entry, on its origin's lane.
    pub trace: Trace,
    /// The lanes' names (`A`, `B (this tab)` …).
    pub names: Vec<String>,
    /// The events of pending (not yet logged) entries.
    pub pending: BTreeSet<EventId>,
    /// How many known entries are not drawn (the earliest).
    pub not_drawn: usize,
}

/// Builds the graph of the log's entries (the first `committed` committed) and the pending
/// ones, on `lanes` lanes; `me` names this tab's lane.
pub fn causal_graph(
    log: &[LogEntry],
    committed: u64,
    pending: &[Entry],
    lanes: u32,
    me: Option<NodeId>,
) -> CausalGraph {
    let mut known: Vec<(&Entry, Standing)> = log
        .iter()
        .enumerate()
        .map(|(o, l)| {
            let o = o as u64;
            let s = if o < committed {
                Standing::Committed(o)
            } else {
                Standing::Shipped(o)
            };
            (&l.entry, s)
        })
        .chain(pending.iter().map(|e| (e, Standing::Pending)))
        .collect();
    known.sort_by_key(|(e, _)| e.key());
    known.dedup_by_key(|(e, _)| e.id);
    let not_drawn = known.len().saturating_sub(GRAPH_WINDOW);
    let known = &known[not_drawn..];
    let lanes = known
        .iter()
        .map(|(e, _)| e.id.origin.0 + 1)
        .chain([lanes])
        .max()
        .unwrap_or(lanes);
    let names = (0..lanes)
        .map(NodeId)
        .map(|n| {
            if Some(n) == me {
                format!("{n} (this tab)")
            } else {
                n.to_string()
            }
        })
        .collect();
    let mut trace = Trace::new(lanes);
    let mut events: BTreeMap<BroadcastId, (EventId, &Entry)> = BTreeMap::new();
    let mut last_of: BTreeMap<NodeId, &Entry> = BTreeMap::new();
    let mut marked = BTreeSet::new();
    for (pos, &(entry, standing)) in known.iter().enumerate() {
        let lane = entry.id.origin;
        // The latest entry of each other replica this one saw, if this tab knows it.
        let deps: Vec<(EventId, &Entry)> = entry
            .clock
            .iter()
            .filter(|&(n, c)| n != lane && c > 0)
            .filter_map(|(n, c)| events.get(&BroadcastId { origin: n, seq: c }).copied())
            .collect();
        let own = last_of.get(&lane).copied();
        let direct: Vec<(EventId, NodeId)> = deps
            .iter()
            .filter(|(_, d)| {
                !deps.iter().any(|(_, o)| d.happened_before(o))
                    && !own.is_some_and(|o| d.happened_before(o) || d.id == o.id)
            })
            .map(|(e, d)| (*e, d.id.origin))
            .collect();
        let messages: Vec<_> = direct
            .iter()
            .map(|&(e, from)| (trace.push_message(from, lane, e, None), from))
            .collect();
        let kind = match messages.first() {
            Some(&(message, from)) => EventKind::Receive { message, from },
            None => EventKind::Local,
        };
        let state = match standing {
            Standing::Committed(o) => format!("committed at offset {o}"),
            Standing::Shipped(o) => format!("shipped at offset {o}, not committed"),
            Standing::Pending => "pending (no offset yet)".to_string(),
        };
        let label = format!(
            "{} = {} · HLC {} · {state}",
            entry.id, entry.value, entry.hlc
        );
        let at = Instant::from_millis(pos as i64);
        let e = trace.push_event(
            lane,
            kind,
            at,
            at,
            pos as u64 + 1,
            (*entry.clock).clone(),
            label,
        );
        for (m, _) in messages {
            trace.set_fate(m, MessageFate::Delivered(e));
        }
        if standing == Standing::Pending {
            marked.insert(e);
        }
        events.insert(entry.id, (e, entry));
        last_of.insert(lane, entry);
    }
    CausalGraph {
        trace,
        names,
        pending: marked,
        not_drawn,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chronoscope::clock::{HlcTimestamp, VectorClock};

    fn entry(origin: u32, seq: u64, ms: u64, clock: &[(u32, u64)], value: u64) -> Entry {
        Entry::new(
            BroadcastId {
                origin: NodeId(origin),
                seq,
            },
            HlcTimestamp::new(ms, 0).unwrap(),
            VectorClock::from_entries(clock.iter().map(|&(n, c)| (NodeId(n), c))),
            value,
        )
    }

    #[test]
    fn entries_sit_on_their_origin_lanes_with_arrows_for_direct_dependencies() {
        // A:1, then B:1 answering it, then C:1 answering B:1 (so also after A:1): C's only
        // direct dependency is B:1. A:2 is concurrent with both and still pending.
        let a1 = entry(0, 1, 10, &[(0, 1)], 7);
        let b1 = entry(1, 1, 20, &[(0, 1), (1, 1)], 8);
        let c1 = entry(2, 1, 30, &[(0, 1), (1, 1), (2, 1)], 9);
        let a2 = entry(0, 2, 25, &[(0, 2)], 10);
        let log: Vec<LogEntry> = [&c1, &a1, &b1]
            .iter()
            .map(|e| LogEntry {
                token: 101,
                entry: (*e).clone(),
            })
            .collect();
        let g = causal_graph(&log, 2, &[a2.clone(), a1.clone()], 3, Some(NodeId(1)));
        assert_eq!(g.not_drawn, 0);
        let events = g.trace.events();
        assert_eq!(events.len(), 4, "one event per distinct entry");
        let order: Vec<(u32, u64)> = events
            .iter()
            .map(|e| (e.node.0, e.vector.total()))
            .collect();
        assert_eq!(
            order,
            [(0, 1), (1, 2), (0, 2), (2, 3)],
            "canonical (HLC, origin) order on origin lanes"
        );
        let arrows: Vec<(u32, u32)> = g
            .trace
            .messages()
            .iter()
            .map(|m| (m.from.0, m.to.0))
            .collect();
        assert_eq!(
            arrows,
            [(0, 1), (1, 2)],
            "A:1 → B:1 → C:1, the implied A:1 → C:1 left out"
        );
        assert!(g.trace.messages().iter().all(|m| m.receive().is_some()));
        assert_eq!(g.pending.len(), 1);
        let pending = &events[g.pending.first().unwrap().index()];
        assert!(pending.label.starts_with("A:2 = 10") && pending.label.contains("pending"));
        assert!(events[0].label.contains("committed at offset 1"));
        assert!(events[1].label.contains("shipped at offset 2"));
        assert_eq!(g.names[1], "B (this tab)");
    }
}
