//! The Comparison lab's run: one gossip run (see [`gossip`](super::gossip)) over nodes whose
//! physical clocks are skewed, ordered four ways — Lamport timestamps (Lamport 1978, with
//! node ids breaking ties), vector clocks (Fidge 1988; Mattern 1989), hybrid logical clocks
//! (Kulkarni et al. 2014) and physical timestamps as last-writer-wins stores use them — and
//! each ordering compared, pair by pair, with true happens-before (the trace's own graph,
//! [`CausalIndex`]).
//!
//! Two kinds of disagreement: an ordering may *impose* an order on concurrent events (Lamport,
//! HLC and physical time all do, being total), which is harmless but invents information; or
//! it may *violate* happens-before, ordering an event before something that happened before
//! it. Vector clocks do neither; Lamport and HLC never violate; physical timestamps violate
//! whenever a message reaches a node whose clock is behind the sender's by more than the
//! latency.

use alloc::vec;
use alloc::vec::Vec;
use core::cmp::Ordering;
use core::ops::RangeInclusive;

use super::gossip::Gossip;
use super::params::{index_of, int, other, seed, span, unrelated, Adjustment, Kind, Spec};
use crate::clock::{Causality, HlcTimestamp, HybridLogicalClock, PhysicalClock};
use crate::rng::Rng;
use crate::sim::{Latency, Network, SimConfig, SimError, Simulation};
use crate::time::{Instant, Span};
use crate::trace::{CausalIndex, EventId, EventKind, Trace};

/// Allowed node counts.
pub const NODES: RangeInclusive<u32> = 2..=6;
/// Allowed actions per node.
pub const ACTIONS: RangeInclusive<u32> = 1..=30;
/// Allowed clock skew (offsets are drawn within ± half of it), ms.
pub const SKEW_MS: RangeInclusive<u32> = 0..=5_000;

/// The knobs of a Comparison run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    /// Number of nodes.
    pub nodes: u32,
    /// The seed.
    pub seed: u64,
    /// Timer-driven actions (sends or internal steps) per node.
    pub actions: u32,
    /// Physical clock offsets are spread over this many ms.
    pub skew_ms: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            nodes: 3,
            seed: 1,
            actions: 6,
            skew_ms: 300,
        }
    }
}

/// The lab's parameters: a run's, and the ordering it shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabParams {
    /// The run.
    pub run: Params,
    /// The ordering shown.
    pub scheme: Scheme,
}

impl Default for LabParams {
    fn default() -> Self {
        LabParams {
            run: Params::default(),
            scheme: Scheme::Physical,
        }
    }
}

/// URL names of the orderings, in [`Scheme::ALL`] order.
pub const SCHEME_KEYS: [&str; 4] = ["lamport", "vector", "hlc", "physical"];

/// The lab's parameters, declared once: URL keys, ranges, labels and help.
pub static SPEC: Spec<LabParams> = Spec {
    fields: &[
        int(
            "nodes",
            "nodes",
            "",
            span(&NODES),
            "how many nodes exchange messages",
            |p| p.run.nodes.into(),
            |p, v| p.run.nodes = v as u32,
        ),
        int(
            "actions",
            "actions per node",
            "",
            span(&ACTIONS),
            "timer-driven sends or internal steps each node takes",
            |p| p.run.actions.into(),
            |p, v| p.run.actions = v as u32,
        ),
        int(
            "skew_ms",
            "clock skew",
            "ms",
            span(&SKEW_MS),
            "physical clock offsets are drawn within this spread",
            |p| p.run.skew_ms.into(),
            |p, v| p.run.skew_ms = v as u32,
        ),
        other(
            "scheme",
            "ordering shown",
            Kind::Choice(&SCHEME_KEYS),
            "the ordering drawn against happens-before",
            |p| index_of(&Scheme::ALL, &p.scheme),
            |p, v| p.scheme = Scheme::ALL[v as usize],
        ),
        seed(|p| p.run.seed.into(), |p, v| p.run.seed = v as u64),
    ],
    defaults: LabParams::default,
    relate: unrelated,
};

impl Params {
    /// Brings every parameter into its range, reporting each change (see [`SPEC`]).
    pub fn clamp(self) -> (Params, Vec<Adjustment>) {
        let (lab, changes) = SPEC.clamp(LabParams {
            run: self,
            ..LabParams::default()
        });
        (lab.run, changes)
    }
}

/// The four orderings compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scheme {
    /// Lamport timestamps, ties broken by node id: a total order.
    Lamport,
    /// Vector clocks: a partial order (incomparable = concurrent).
    Vector,
    /// Hybrid logical clocks `(l, c)`, ties broken by node id: a total order.
    Hlc,
    /// Physical clock readings, ties broken by node id (last-writer-wins): a total order.
    Physical,
}

impl Scheme {
    /// All four, in display order.
    pub const ALL: [Scheme; 4] = [
        Scheme::Lamport,
        Scheme::Vector,
        Scheme::Hlc,
        Scheme::Physical,
    ];

    /// A short name.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Lamport => "Lamport",
            Scheme::Vector => "vector clocks",
            Scheme::Hlc => "HLC",
            Scheme::Physical => "physical (LWW)",
        }
    }
}

/// How an ordering and happens-before disagree on one pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Disagreement {
    /// The events are concurrent but the ordering puts one first.
    Imposed,
    /// `a → b` but the ordering puts `b` first (or cannot tell them apart).
    Violation,
}

/// One pair on which an ordering disagrees with happens-before.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PairDisagreement {
    /// The kind.
    pub kind: Disagreement,
    /// For a violation, the event that happened first; for an imposed order, the event
    /// the ordering puts first.
    pub a: EventId,
    /// The other event.
    pub b: EventId,
}

/// One ordering's verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemeReport {
    /// The ordering.
    pub scheme: Scheme,
    /// Pairs where it disagrees with happens-before (violations first).
    pub disagreements: Vec<PairDisagreement>,
}

impl SchemeReport {
    /// Number of imposed orders.
    pub fn imposed(&self) -> usize {
        self.count(Disagreement::Imposed)
    }
    /// Number of violations.
    pub fn violations(&self) -> usize {
        self.count(Disagreement::Violation)
    }
    fn count(&self, kind: Disagreement) -> usize {
        self.disagreements.iter().filter(|d| d.kind == kind).count()
    }
}

/// A finished comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct ComparisonRun {
    /// The trace.
    pub trace: Trace,
    /// Per event: its HLC stamp.
    pub hlc: Vec<HlcTimestamp>,
    /// One report per [`Scheme::ALL`] entry.
    pub reports: Vec<SchemeReport>,
    /// Pairs of events related by happens-before, and concurrent pairs.
    pub related_pairs: usize,
    /// Concurrent pairs.
    pub concurrent_pairs: usize,
}

/// The HLC stamp of every event of `trace`, as nodes running the unbounded HLC (sending
/// their stamp on every message) would have assigned them, with each event's local clock
/// reading as `pt`.
///
/// ```
/// use chronoscope::scenario::{comparison::hlc_stamps, happens_before};
/// let trace = happens_before::run(&Default::default()).unwrap();
/// let hlc = hlc_stamps(&trace);
/// assert_eq!(hlc.len(), trace.events().len());
/// ```
pub fn hlc_stamps(trace: &Trace) -> Vec<HlcTimestamp> {
    let mut clocks = vec![HybridLogicalClock::unbounded(); trace.node_count() as usize];
    let mut out: Vec<HlcTimestamp> = Vec::with_capacity(trace.events().len());
    // Events are in true-time order, so every send precedes its receive.
    for e in trace.events() {
        let clock = &mut clocks[e.node.index()];
        let remote = match e.kind {
            EventKind::Receive { message, .. } => trace
                .message(message)
                .and_then(|m| out.get(m.send.index()).copied()),
            _ => None,
        };
        let stamp = match remote {
            Some(r) => clock.update(r, e.local_time),
            None => clock.now(e.local_time),
        };
        out.push(stamp.unwrap_or(clock.last()));
    }
    out
}

fn order(
    scheme: Scheme,
    trace: &Trace,
    hlc: &[HlcTimestamp],
    a: EventId,
    b: EventId,
) -> Option<Ordering> {
    let (ea, eb) = (trace.event(a)?, trace.event(b)?);
    let total = |x: Ordering| Some(x.then(ea.node.cmp(&eb.node)));
    match scheme {
        Scheme::Lamport => total(ea.lamport.cmp(&eb.lamport)),
        Scheme::Hlc => total(hlc[a.index()].cmp(&hlc[b.index()])),
        Scheme::Physical => total(ea.local_time.cmp(&eb.local_time)),
        Scheme::Vector => match ea.vector.compare(&eb.vector) {
            Causality::Before => Some(Ordering::Less),
            Causality::After => Some(Ordering::Greater),
            Causality::Equal => Some(Ordering::Equal),
            Causality::Concurrent => None,
        },
    }
}

/// Compares each ordering of `trace` with happens-before.
pub fn compare(trace: Trace) -> ComparisonRun {
    let index = CausalIndex::build(&trace);
    let hlc = hlc_stamps(&trace);
    let ids: Vec<EventId> = trace.events().iter().map(|e| e.id).collect();
    let mut reports: Vec<SchemeReport> = Scheme::ALL
        .iter()
        .map(|&scheme| SchemeReport {
            scheme,
            disagreements: Vec::new(),
        })
        .collect();
    let (mut related, mut concurrent) = (0, 0);
    for (i, &a) in ids.iter().enumerate() {
        for &b in &ids[i + 1..] {
            let truth = index.relation(a, b);
            match truth {
                Causality::Concurrent => concurrent += 1,
                _ => related += 1,
            }
            for report in &mut reports {
                let said = order(report.scheme, &trace, &hlc, a, b);
                let d = match (truth, said) {
                    (Causality::Before, Some(Ordering::Less))
                    | (Causality::After, Some(Ordering::Greater)) => None,
                    (Causality::Before, _) => Some(PairDisagreement {
                        kind: Disagreement::Violation,
                        a,
                        b,
                    }),
                    (Causality::After, _) => Some(PairDisagreement {
                        kind: Disagreement::Violation,
                        a: b,
                        b: a,
                    }),
                    (Causality::Concurrent, Some(Ordering::Less)) => Some(PairDisagreement {
                        kind: Disagreement::Imposed,
                        a,
                        b,
                    }),
                    (Causality::Concurrent, Some(Ordering::Greater)) => Some(PairDisagreement {
                        kind: Disagreement::Imposed,
                        a: b,
                        b: a,
                    }),
                    _ => None,
                };
                report.disagreements.extend(d);
            }
        }
    }
    for report in &mut reports {
        report
            .disagreements
            .sort_by_key(|d| (d.kind == Disagreement::Imposed, d.a, d.b));
    }
    ComparisonRun {
        trace,
        hlc,
        reports,
        related_pairs: related,
        concurrent_pairs: concurrent,
    }
}

/// Runs the gossip with skewed clocks (parameters are clamped first) and compares.
///
/// ```
/// use chronoscope::scenario::comparison::{run, Params, Scheme};
/// let r = run(&Params { skew_ms: 400, ..Params::default() }).unwrap();
/// let by = |s| r.reports.iter().find(|x| x.scheme == s).unwrap();
/// assert_eq!(by(Scheme::Vector).disagreements.len(), 0);
/// assert_eq!(by(Scheme::Lamport).violations() + by(Scheme::Hlc).violations(), 0);
/// assert!(by(Scheme::Physical).violations() > 0);
/// ```
pub fn run(params: &Params) -> Result<ComparisonRun, SimError> {
    let (p, _) = params.clone().clamp();
    let mut rng = Rng::seed_from_u64(p.seed ^ 0x636f_6d70_6172_6500);
    let half = i64::from(p.skew_ms) * 500;
    let clocks = (0..p.nodes)
        .map(|_| {
            let offset = Span::from_micros(rng.in_range(-half, half.max(-half + 1)));
            PhysicalClock::new(offset, rng.unit_f64() * 100.0 - 50.0)
        })
        .collect();
    let config = SimConfig {
        seed: p.seed,
        network: Network {
            latency: Latency::Uniform {
                min: Span::from_millis(10),
                max: Span::from_millis(80),
            },
            ..Network::default()
        },
        clocks,
        labels: true,
    };
    let nodes = (0..p.nodes).map(|_| Gossip::new(p.actions)).collect();
    let mut sim = Simulation::new(nodes, config)?;
    sim.run_until(Instant::from_millis(3_600_000));
    Ok(compare(sim.finish()))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn report(r: &ComparisonRun, s: Scheme) -> &SchemeReport {
        &r.reports[Scheme::ALL.iter().position(|x| *x == s).unwrap()]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Vector clocks agree exactly; Lamport and HLC never violate and impose an order on
        /// every concurrent pair; physical time's violations are all real inversions.
        #[test]
        fn orderings_against_happens_before(seed in any::<u64>(), nodes in 2u32..5, actions in 1u32..8, skew in 0u32..2_000) {
            let r = run(&Params { nodes, seed, actions, skew_ms: skew }).unwrap();
            let n = r.trace.events().len();
            prop_assert_eq!(r.related_pairs + r.concurrent_pairs, n * (n - 1) / 2);
            prop_assert!(report(&r, Scheme::Vector).disagreements.is_empty());
            for s in [Scheme::Lamport, Scheme::Hlc] {
                prop_assert_eq!(report(&r, s).violations(), 0);
                prop_assert_eq!(report(&r, s).imposed(), r.concurrent_pairs);
            }
            let index = CausalIndex::build(&r.trace);
            for d in &report(&r, Scheme::Physical).disagreements {
                let (a, b) = (&r.trace.events()[d.a.index()], &r.trace.events()[d.b.index()]);
                if d.kind == Disagreement::Violation {
                    prop_assert!(index.happens_before(d.a, d.b));
                    prop_assert!(b.local_time <= a.local_time);
                }
            }
        }
    }

    #[test]
    fn physical_timestamps_violate_under_skew_and_not_without() {
        let skewed = (0..10)
            .filter(|&seed| {
                let r = run(&Params {
                    seed,
                    skew_ms: 300,
                    ..Params::default()
                })
                .unwrap();
                report(&r, Scheme::Physical).violations() > 0
            })
            .count();
        assert!(skewed >= 5, "{skewed}");
        // Without skew (drift ≤ 50 ppm, latency ≥ 10 ms), physical order respects causality.
        for seed in 0..10 {
            let r = run(&Params {
                seed,
                skew_ms: 0,
                ..Params::default()
            })
            .unwrap();
            assert_eq!(report(&r, Scheme::Physical).violations(), 0, "seed {seed}");
        }
    }
}
