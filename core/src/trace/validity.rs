//! From logged events to a happens-before DAG: ShiViz's validity rules and its inference of
//! message edges from vector clocks (Beschastnikh et al., "Debugging distributed systems",
//! CACM 2016; ShiViz `ModelGraph`).
//!
//! Rules checked, each reported at the line of the offending event: every clock has its own
//! host's entry; a host's own entries are 1, 2, 3, … (they give the host's local order, whatever
//! the line order; if they do not, the error names the first line where the numbering read in
//! line order breaks); every host a clock names logs events, at least as many as named; a host's
//! entries never fall from one event to the next; and orderings are transitive — an event that
//! knows event `m` of host `k` knows everything that event knew.
//!
//! Message edges: an event `e` of host `h` *receives from* host `k` when its entry for `k`
//! rose above the entry of `h`'s previous event (or above 0 for `h`'s first event); the sender
//! is `k`'s event whose own entry is that value. Candidates already known through another
//! candidate are dropped (a transitive reduction, as ShiViz does), so a relayed message yields
//! one edge, not one per host on its way. Invariant (given the rules): `a → b` in the DAG
//! exactly when `clock(a) < clock(b)`.

use alloc::collections::{BTreeMap, BinaryHeap};
use alloc::string::String;
use alloc::vec::Vec;
use core::cmp::Reverse;

use super::dag::{Execution, LogEvent};
use super::error::{ImportError, ImportErrorKind as K};
use super::EventId;
use crate::clock::VectorClock;
use crate::node::NodeId;

/// One event as an importer read it, before validation: names, not ids.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct RawEvent {
    /// The host that logged it.
    pub host: String,
    /// Its vector clock, as `(host name, counter)` pairs in source order.
    pub clock: Vec<(String, u64)>,
    /// The event's text.
    pub text: String,
    /// Extra fields (other named groups, other JSON keys), in source order.
    pub fields: Vec<(String, String)>,
    /// The 1-based line where the event starts.
    pub line: u32,
    /// The 1-based line of its clock (GoVector puts it on the next line).
    pub clock_line: u32,
}

/// Validates `raw` (events in line order) and builds the execution's DAG.
///
/// ```
/// use chronoscope::trace::validity::{build_execution, RawEvent};
/// let ev = |host: &str, clock: &[(&str, u64)], line| RawEvent {
///     host: host.into(),
///     clock: clock.iter().map(|(h, c)| (h.to_string(), *c)).collect(),
///     text: format!("e{line}"), line, clock_line: line, ..Default::default()
/// };
/// let exec = build_execution(None, vec![
///     ev("a", &[("a", 1)], 1),
///     ev("b", &[("a", 1), ("b", 1)], 2),
/// ]).unwrap();
/// assert_eq!(exec.events()[1].parents, [chronoscope::trace::EventId(0)]);
/// let err = build_execution(None, vec![ev("a", &[("a", 2)], 7)]).unwrap_err();
/// assert_eq!(err.line, Some(7));
/// ```
pub fn build_execution(
    execution: Option<String>,
    raw: Vec<RawEvent>,
) -> Result<Execution, ImportError> {
    let n = raw.len();
    // Hosts in order of first appearance as a logging host.
    let mut ids: BTreeMap<&str, u32> = BTreeMap::new();
    for e in &raw {
        let next = ids.len() as u32;
        ids.entry(e.host.as_str()).or_insert(next);
    }
    let mut names: Vec<&str> = Vec::with_capacity(ids.len());
    names.resize(ids.len(), "");
    for (name, id) in &ids {
        names[*id as usize] = name;
    }
    let host_of: Vec<NodeId> = raw.iter().map(|e| NodeId(ids[e.host.as_str()])).collect();
    let name = |id: NodeId| String::from(names[id.index()]);

    // Per-event rules: entries resolve to logging hosts, no duplicates, own entry present.
    let mut clocks = Vec::with_capacity(n);
    let mut own = Vec::with_capacity(n);
    for (i, e) in raw.iter().enumerate() {
        let mut pairs = Vec::with_capacity(e.clock.len());
        for (h, c) in &e.clock {
            match ids.get(h.as_str()) {
                Some(id) => pairs.push((NodeId(*id), *c)),
                None if *c == 0 => {}
                None => {
                    return Err(ImportError::at(
                        e.clock_line,
                        K::UnknownHost { host: h.clone() },
                    ))
                }
            }
        }
        pairs.sort_unstable_by_key(|p| p.0);
        if let Some(w) = pairs.windows(2).find(|w| w[0].0 == w[1].0) {
            let host = name(w[0].0);
            return Err(ImportError::at(e.clock_line, K::DuplicateEntry { host }));
        }
        let clock = VectorClock::from_entries(pairs);
        let mine = clock.get(host_of[i]);
        if mine == 0 {
            let host = e.host.clone();
            return Err(ImportError::at(e.clock_line, K::OwnEntryMissing { host }));
        }
        clocks.push(clock);
        own.push(mine);
    }

    // Local order: each host's events sorted by their own entry, which must run 1, 2, 3, …
    let mut per_host: Vec<Vec<usize>> = (0..names.len()).map(|_| Vec::new()).collect();
    for (i, h) in host_of.iter().enumerate() {
        per_host[h.index()].push(i);
    }
    let mut first_error: Option<ImportError> = None;
    let mut note = |line: u32, kind: K| {
        if first_error.as_ref().is_none_or(|e| e.line > Some(line)) {
            first_error = Some(ImportError::at(line, kind));
        }
    };
    let mut seq = alloc::vec![0u32; n];
    for (h, list) in per_host.iter_mut().enumerate() {
        let host = || String::from(names[h]);
        // Where the numbering first breaks when read in line order: that line is the one to fix.
        let mut previous = 0u64;
        let broken = list.iter().find_map(|&i| {
            let step = own[i] != previous.saturating_add(1);
            let at = (raw[i].clock_line, previous, own[i]);
            previous = own[i];
            step.then_some(at)
        });
        list.sort_by_key(|&i| own[i]);
        let numbered = list.iter().zip(1u64..).all(|(&i, n)| own[i] == n);
        if let (false, Some((line, previous, got))) = (numbered, broken) {
            let kind = match previous {
                0 => K::FirstClockNotOne { host: host(), got },
                _ => K::LocalStepNotOne {
                    host: host(),
                    previous,
                    got,
                },
            };
            note(line, kind);
            continue;
        }
        for (k, w) in list.windows(2).enumerate() {
            let (p, e) = (w[0], w[1]);
            seq[e] = k as u32 + 1;
            if let Some((entry, previous)) = (!clocks[e].dominates(&clocks[p]))
                .then(|| clocks[p].iter().find(|(k, m)| clocks[e].get(*k) < *m))
                .flatten()
            {
                let kind = K::ClockWentBack {
                    host: host(),
                    entry: name(entry),
                    previous,
                    got: clocks[e].get(entry),
                };
                note(raw[e].clock_line, kind);
            }
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }

    // Transitivity and message edges, in line order so the first error is the earliest.
    let empty = VectorClock::new();
    let mut parents: Vec<Vec<usize>> = Vec::with_capacity(n);
    for (i, e) in raw.iter().enumerate() {
        let h = host_of[i];
        let prev = seq[i]
            .checked_sub(1)
            .map(|s| per_host[h.index()][s as usize]);
        let prev_clock = prev.map_or(&empty, |p| &clocks[p]);
        let mut candidates: Vec<(NodeId, u64, usize)> = Vec::new();
        for (k, m) in clocks[i].iter() {
            if k == h || m <= prev_clock.get(k) {
                continue;
            }
            let logged = per_host[k.index()].len() as u64;
            let Some(&f) = usize::try_from(m - 1)
                .ok()
                .and_then(|x| per_host[k.index()].get(x))
            else {
                let kind = K::BeyondHost {
                    host: name(k),
                    counter: m,
                    logged,
                };
                return Err(ImportError::at(e.clock_line, kind));
            };
            if let Some((j, x)) = (!clocks[i].dominates(&clocks[f]))
                .then(|| clocks[f].iter().find(|(j, x)| clocks[i].get(*j) < *x))
                .flatten()
            {
                let kind = K::NotTransitive {
                    host: name(h),
                    knows: name(k),
                    counter: m,
                    entry: name(j),
                    needed: x,
                    got: clocks[i].get(j),
                };
                return Err(ImportError::at(e.clock_line, kind));
            }
            candidates.push((k, m, f));
        }
        let direct = candidates
            .iter()
            .filter(|(k, m, _)| {
                !candidates
                    .iter()
                    .any(|(j, _, g)| j != k && clocks[*g].get(*k) >= *m)
            })
            .map(|c| c.2)
            .collect();
        parents.push(direct);
    }

    // A topological order, earliest line first among the ready events (Kahn's algorithm).
    let mut waiting: Vec<usize> = (0..n)
        .map(|i| parents[i].len() + usize::from(seq[i] > 0))
        .collect();
    let mut children: Vec<Vec<usize>> = (0..n).map(|_| Vec::new()).collect();
    for (i, ps) in parents.iter().enumerate() {
        for &p in ps {
            children[p].push(i);
        }
    }
    let mut ready: BinaryHeap<Reverse<usize>> =
        (0..n).filter(|&i| waiting[i] == 0).map(Reverse).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(Reverse(i)) = ready.pop() {
        order.push(i);
        let h = host_of[i].index();
        let next = per_host[h].get(seq[i] as usize + 1).copied();
        for c in children[i].iter().copied().chain(next) {
            waiting[c] -= 1;
            if waiting[c] == 0 {
                ready.push(Reverse(c));
            }
        }
    }
    if order.len() < n {
        let stuck = (0..n).find(|&i| waiting[i] > 0).unwrap_or(0);
        return Err(ImportError::at(raw[stuck].clock_line, K::Cycle));
    }

    // Renumber hosts by first appearance in that order, events by their position in it.
    let mut host_map = alloc::vec![u32::MAX; names.len()];
    let mut hosts = Vec::with_capacity(names.len());
    let mut position = alloc::vec![0u32; n];
    for (pos, &i) in order.iter().enumerate() {
        position[i] = pos as u32;
        let h = host_of[i].index();
        if host_map[h] == u32::MAX {
            host_map[h] = hosts.len() as u32;
            hosts.push(String::from(names[h]));
        }
    }
    let identity = host_map.iter().enumerate().all(|(i, h)| *h as usize == i);
    let mut slots: Vec<Option<RawEvent>> = raw.into_iter().map(Some).collect();
    let mut events = Vec::with_capacity(n);
    for (pos, &i) in order.iter().enumerate() {
        let e = slots[i].take().unwrap_or_default();
        let clock = if identity {
            core::mem::take(&mut clocks[i])
        } else {
            let renumbered = clocks[i]
                .iter()
                .map(|(k, m)| (NodeId(host_map[k.index()]), m));
            VectorClock::from_entries(renumbered)
        };
        let mut ps: Vec<EventId> = parents[i].iter().map(|&p| EventId(position[p])).collect();
        ps.sort_unstable();
        events.push(LogEvent {
            id: EventId(pos as u32),
            host: NodeId(host_map[host_of[i].index()]),
            seq: seq[i],
            clock,
            text: e.text,
            fields: e.fields,
            line: e.line,
            parents: ps,
        });
    }
    Ok(Execution::from_events(execution, hosts, events))
}
