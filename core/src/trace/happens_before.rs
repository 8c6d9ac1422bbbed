//! Happens-before queries over a [`Trace`] (Lamport 1978, §2, the relation "→").
//!
//! `a → b` when `a` precedes `b` on the same node, or `a` is the send and `b` the receive of
//! one message, or by transitivity. The answers come from the trace's graph alone; they are
//! what vector clocks are tested against.

use alloc::vec;
use alloc::vec::Vec;

use super::{EventId, Trace};
use crate::clock::Causality;

/// Reachability for every pair of events, as one bit set of causal predecessors per event.
///
/// Building costs O(n²/64) words; meant for traces of up to tens of thousands of events.
///
/// ```
/// use chronoscope::scenario::happens_before::{self, Params};
/// use chronoscope::trace::CausalIndex;
/// let trace = happens_before::run(&Params::default()).unwrap();
/// let index = CausalIndex::build(&trace);
/// let first = trace.events()[0].id;
/// assert!(!index.happens_before(first, first));
/// ```
#[derive(Clone, Debug)]
pub struct CausalIndex {
    words: usize,
    past: Vec<u64>,
    len: usize,
}

impl CausalIndex {
    /// Computes the causal past of every event (events are in a topological order).
    pub fn build(trace: &Trace) -> Self {
        let len = trace.events().len();
        let words = len.div_ceil(64).max(1);
        let mut past = vec![0u64; words * len];
        for event in trace.events() {
            let i = event.id.index();
            for pred in trace.predecessors(event.id) {
                let p = pred.index();
                debug_assert!(p < i, "trace events must be in topological order");
                let (before, after) = past.split_at_mut(i * words);
                let src = &before[p * words..(p + 1) * words];
                let dst = &mut after[..words];
                for (d, s) in dst.iter_mut().zip(src) {
                    *d |= *s;
                }
                dst[p / 64] |= 1 << (p % 64);
            }
        }
        CausalIndex { words, past, len }
    }

    /// Whether `a → b`.
    pub fn happens_before(&self, a: EventId, b: EventId) -> bool {
        let (a, b) = (a.index(), b.index());
        a < self.len && b < self.len && self.past[b * self.words + a / 64] & (1 << (a % 64)) != 0
    }

    /// How `a` relates to `b`.
    pub fn relation(&self, a: EventId, b: EventId) -> Causality {
        if a == b {
            Causality::Equal
        } else if self.happens_before(a, b) {
            Causality::Before
        } else if self.happens_before(b, a) {
            Causality::After
        } else {
            Causality::Concurrent
        }
    }
}

/// The events that happened before `event` (its causal past), ascending.
pub fn causal_past(trace: &Trace, event: EventId) -> Vec<EventId> {
    let mut seen = vec![false; trace.events().len()];
    let mut stack: Vec<EventId> = trace.predecessors(event).collect();
    while let Some(e) = stack.pop() {
        if core::mem::replace(&mut seen[e.index()], true) {
            continue;
        }
        stack.extend(trace.predecessors(e));
    }
    collect(&seen)
}

/// The events that `event` happened before (its causal future), ascending.
pub fn causal_future(trace: &Trace, event: EventId) -> Vec<EventId> {
    let n = trace.events().len();
    let mut reached = vec![false; n];
    if event.index() >= n {
        return Vec::new();
    }
    reached[event.index()] = true;
    // Events are topologically ordered: one forward sweep suffices.
    for e in &trace.events()[event.index() + 1..] {
        if trace.predecessors(e.id).any(|p| reached[p.index()]) {
            reached[e.id.index()] = true;
        }
    }
    reached[event.index()] = false;
    collect(&reached)
}

/// The events concurrent with `event`: neither in its past nor in its future.
pub fn concurrent_with(trace: &Trace, event: EventId) -> Vec<EventId> {
    let past = causal_past(trace, event);
    let future = causal_future(trace, event);
    trace
        .events()
        .iter()
        .map(|e| e.id)
        .filter(|&e| {
            e != event && past.binary_search(&e).is_err() && future.binary_search(&e).is_err()
        })
        .collect()
}

fn collect(flags: &[bool]) -> Vec<EventId> {
    flags
        .iter()
        .enumerate()
        .filter(|(_, f)| **f)
        .map(|(i, _)| EventId(i as u32))
        .collect()
}
