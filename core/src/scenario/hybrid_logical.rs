//! The Hybrid-logical-clocks lab's run: nodes exchange messages stamped with a
//! [`HybridLogicalClock`] (Kulkarni et al., "Logical Physical Clocks", OPODIS 2014, §3 Fig. 5)
//! over drifting, offset physical clocks; one node's clock can be set back (a scheduled
//! jump, e.g. −5 min) and one node can run far ahead, to show the max-offset rejection.
//!
//! [`HlcNode`] is the protocol: a pure state machine that stamps every send and receive and
//! keeps a log of its stamps (so the trace holds only sends, receives and clock jumps). The
//! run joins that log to the trace's events and reports, per event, the physical reading
//! `pt` and the stamp `(l, c)`.
//!
//! Invariants shown by the lab: every node's stamps strictly increase even when its physical
//! clock goes back; `e → f ⇒ hlc(e) < hlc(f)`; and `l − pt ≤ ε` while the physical clocks stay
//! within ε of each other — which a clock set back, or a node far ahead without a max offset,
//! breaks.

use alloc::vec;
use alloc::vec::Vec;
use core::ops::RangeInclusive;

use super::params::{int, seed, span, unrelated, Adjustment, Spec};
use crate::clock::{HlcError, HlcTimestamp, HybridLogicalClock, PhysicalClock};
use crate::node::NodeId;
use crate::sim::{Latency, Network, SimConfig, SimError, Simulation};
use crate::time::{Instant, Span};
use crate::trace::{EventId, EventKind, Trace};

/// Every clock starts near 12:00:00 (43 200 000 ms), so that setting one back by up to an
/// hour keeps its readings positive (HLC counts readings before its epoch as 0).
pub const EPOCH: Span = Span::from_millis(43_200_000);

/// Allowed node counts.
pub const NODES: RangeInclusive<u32> = 2..=6;
/// Allowed sends per node.
pub const SENDS: RangeInclusive<u32> = 1..=60;
/// Allowed spread of the clocks' initial offsets, ms.
pub const SKEW_MS: RangeInclusive<u32> = 0..=1_000;
/// Allowed drift bound, ppm.
pub const DRIFT_PPM: RangeInclusive<u32> = 0..=500;
/// Allowed backward jump of node A's clock, ms (0 = none; 300 000 = five minutes).
pub const JUMP_MS: RangeInclusive<u32> = 0..=3_600_000;
/// Allowed true time of the jump, ms.
pub const JUMP_AT_MS: RangeInclusive<u32> = 0..=60_000;
/// Allowed lead of the last node's clock, ms (0 = none).
pub const AHEAD_MS: RangeInclusive<u32> = 0..=3_600_000;
/// Allowed max offset, ms (0 = unbounded: every remote stamp is accepted).
pub const MAX_OFFSET_MS: RangeInclusive<u32> = 0..=600_000;

/// The knobs of a Hybrid-logical-clocks run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    /// Number of nodes.
    pub nodes: u32,
    /// The seed.
    pub seed: u64,
    /// Messages each node sends (about one every 100 ms).
    pub sends: u32,
    /// The clocks' initial offsets are spread evenly over this many ms.
    pub skew_ms: u32,
    /// The clocks drift by up to this many ppm (alternating sign).
    pub drift_ppm: u32,
    /// Node A's clock is set back by this many ms (0 = never).
    pub jump_ms: u32,
    /// ... at this true time, ms.
    pub jump_at_ms: u32,
    /// The last node's clock runs this many ms ahead (0 = not at all).
    pub ahead_ms: u32,
    /// Remote stamps more than this many ms ahead of the local clock are refused (0 = never).
    pub max_offset_ms: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            nodes: 3,
            seed: 1,
            sends: 10,
            skew_ms: 20,
            drift_ppm: 100,
            jump_ms: 0,
            jump_at_ms: 500,
            ahead_ms: 0,
            max_offset_ms: 0,
        }
    }
}

/// The parameters, declared once: URL keys, ranges, labels and help.
pub static SPEC: Spec<Params> = Spec {
    fields: &[
        int(
            "nodes",
            "nodes",
            "",
            span(&NODES),
            "how many nodes exchange stamped messages",
            |p| p.nodes.into(),
            |p, v| p.nodes = v as u32,
        ),
        int(
            "sends",
            "sends per node",
            "",
            span(&SENDS),
            "messages each node sends, about one every 100 ms",
            |p| p.sends.into(),
            |p, v| p.sends = v as u32,
        ),
        int(
            "skew_ms",
            "clock skew",
            "ms",
            span(&SKEW_MS),
            "initial clock offsets spread evenly over this",
            |p| p.skew_ms.into(),
            |p, v| p.skew_ms = v as u32,
        ),
        int(
            "drift",
            "drift",
            "ppm",
            span(&DRIFT_PPM),
            "clocks drift by up to this (alternating sign)",
            |p| p.drift_ppm.into(),
            |p, v| p.drift_ppm = v as u32,
        ),
        int(
            "jump_ms",
            "set A back by",
            "ms",
            span(&JUMP_MS),
            "node A's clock is set back by this (0 = never)",
            |p| p.jump_ms.into(),
            |p, v| p.jump_ms = v as u32,
        ),
        int(
            "jump_at",
            "… at true time",
            "ms",
            span(&JUMP_AT_MS),
            "when A's clock is set back",
            |p| p.jump_at_ms.into(),
            |p, v| p.jump_at_ms = v as u32,
        ),
        int(
            "ahead_ms",
            "last node ahead by",
            "ms",
            span(&AHEAD_MS),
            "the last node's clock runs this far ahead (0 = not at all)",
            |p| p.ahead_ms.into(),
            |p, v| p.ahead_ms = v as u32,
        ),
        int(
            "max_offset",
            "max offset (0 = none)",
            "ms",
            span(&MAX_OFFSET_MS),
            "remote stamps further ahead than this are refused (0 = never)",
            |p| p.max_offset_ms.into(),
            |p, v| p.max_offset_ms = v as u32,
        ),
        seed(|p| p.seed.into(), |p, v| p.seed = v as u64),
    ],
    defaults: Params::default,
    relate: unrelated,
};

impl Params {
    /// Brings every parameter into its range, reporting each change (see [`SPEC`]).
    pub fn clamp(self) -> (Params, Vec<Adjustment>) {
        SPEC.clamp(self)
    }

    /// The assumed bound ε on the skew between the (unfaulted) physical clocks: the offset
    /// spread plus what drift adds over the run (an upper bound), plus 1 ms for rounding.
    pub fn epsilon(&self) -> Span {
        let run_ms = i64::from(self.sends) * 150 + 1_000;
        let drift_us = i64::from(self.drift_ppm) * 2 * run_ms / 1_000;
        Span::from_millis(i64::from(self.skew_ms) + 1) + Span::from_micros(drift_us)
    }

    fn clocks(&self) -> Vec<PhysicalClock> {
        let n = i64::from(self.nodes);
        (0..n)
            .map(|i| {
                let spread = i64::from(self.skew_ms) * 1_000;
                let offset_us = if n > 1 { spread * i / (n - 1) } else { 0 };
                let sign = if i % 2 == 0 { 1.0 } else { -1.0 };
                let drift = sign * f64::from(self.drift_ppm) * (i + 1) as f64 / n as f64;
                let ahead = if i == n - 1 {
                    Span::from_millis(self.ahead_ms.into())
                } else {
                    Span::ZERO
                };
                PhysicalClock::new(
                    EPOCH + Span::from_micros(offset_us - spread / 2) + ahead,
                    drift,
                )
            })
            .collect()
    }

    /// The simulator configuration these parameters describe, for parameters within their
    /// ranges (as [`clamp`](Self::clamp) returns them, with its notes; [`run`] clamps first).
    /// Every drift it derives is then at most [`DRIFT_PPM`]'s 500 ppm, which
    /// [`PhysicalClock::new`] takes as given; an unclamped drift beyond ±500 000 ppm would be
    /// clamped there without a note, so clamp first.
    pub fn config(&self) -> SimConfig {
        SimConfig {
            seed: self.seed,
            network: Network {
                latency: Latency::Uniform {
                    min: Span::from_millis(5),
                    max: Span::from_millis(40),
                },
                ..Network::default()
            },
            clocks: self.clocks(),
            labels: true,
        }
    }
}

pub use crate::clock::hybrid_logical_node::{HlcNode, Stamp, StampKind};

/// A remote stamp a node refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// The receive event.
    pub event: EventId,
    /// The refusing node.
    pub node: NodeId,
    /// Why.
    pub error: HlcError,
}

/// A finished run: the trace, each event's physical reading and HLC stamp, and the refusals.
#[derive(Clone, Debug, PartialEq)]
pub struct HlcRun {
    /// The trace (sends, receives and the clock jump).
    pub trace: Trace,
    /// Per event (indexed by [`EventId`]): its stamp; `None` for the clock-jump event.
    pub stamps: Vec<Option<Stamp>>,
    /// Every refused remote stamp.
    pub rejections: Vec<Rejection>,
    /// The assumed skew bound ε.
    pub epsilon: Span,
    /// The jump, if any: node, true time, amount.
    pub jump: Option<(NodeId, Instant, Span)>,
}

/// The invariants of a run prefix, as the lab's badges show them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HlcChecks {
    /// The largest `l − pt` seen (ms; 0 before any stamp).
    pub max_lead_ms: i64,
    /// Whether every node's absorbed stamps strictly increased.
    pub hlc_monotonic: bool,
    /// Whether every node's physical readings never decreased.
    pub physical_monotonic: bool,
    /// How many remote stamps were refused.
    pub rejections: usize,
}

impl HlcRun {
    /// Per node: `(true time, physical reading − EPOCH − true time)` at each event, in ms,
    /// with an extra point just before a jump so the step shows.
    pub fn physical_series(&self) -> Vec<Vec<(f64, f64)>> {
        let mut out = vec![Vec::new(); self.trace.node_count() as usize];
        for e in self.trace.events() {
            let series = &mut out[e.node.index()];
            let t = e.true_time.as_millis_f64();
            if self.stamps[e.id.index()].is_none() {
                if let Some(&(_, before)) = series.last() {
                    series.push((t, before));
                }
            }
            let offset = e.local_time.since(e.true_time) - EPOCH;
            series.push((t, offset.as_millis_f64()));
        }
        out
    }

    /// Per node: `(true time, l − EPOCH − true time)` at each stamped event, in ms.
    pub fn hlc_series(&self) -> Vec<Vec<(f64, f64)>> {
        let mut out = vec![Vec::new(); self.trace.node_count() as usize];
        for e in self.trace.events() {
            if let Some(s) = &self.stamps[e.id.index()] {
                let l = s.hlc.physical_ms() as f64 - EPOCH.as_millis_f64();
                out[e.node.index()]
                    .push((e.true_time.as_millis_f64(), l - e.true_time.as_millis_f64()));
            }
        }
        out
    }

    /// The invariants over the first `shown` events.
    pub fn verdict(&self, shown: usize) -> HlcChecks {
        let n = self.trace.node_count() as usize;
        let mut last_hlc = vec![None::<HlcTimestamp>; n];
        let mut last_pt = vec![None::<Instant>; n];
        let mut v = HlcChecks {
            max_lead_ms: 0,
            hlc_monotonic: true,
            physical_monotonic: true,
            rejections: 0,
        };
        for e in self.trace.events().iter().take(shown) {
            let i = e.node.index();
            if last_pt[i].is_some_and(|p| e.local_time < p) {
                v.physical_monotonic = false;
            }
            last_pt[i] = Some(e.local_time);
            let Some(s) = &self.stamps[e.id.index()] else {
                continue;
            };
            let pt_ms = HybridLogicalClock::physical_ms(s.pt) as i64;
            v.max_lead_ms = v.max_lead_ms.max(s.hlc.physical_ms() as i64 - pt_ms);
            if let StampKind::Rejected(_) = s.kind {
                v.rejections += 1;
                continue;
            }
            if last_hlc[i].is_some_and(|p| s.hlc <= p) {
                v.hlc_monotonic = false;
            }
            last_hlc[i] = Some(s.hlc);
        }
        v
    }
}

/// Runs the scenario to completion (parameters out of range are clamped first; call
/// [`Params::clamp`] to see what changed).
///
/// ```
/// use chronoscope::scenario::hybrid_logical::{run, Params};
/// let r = run(&Params { jump_ms: 300_000, ..Params::default() }).unwrap();
/// let v = r.verdict(r.trace.events().len());
/// assert!(v.hlc_monotonic && !v.physical_monotonic);
/// ```
pub fn run(params: &Params) -> Result<HlcRun, SimError> {
    let (params, _) = params.clone().clamp();
    let hlc = if params.max_offset_ms == 0 {
        HybridLogicalClock::unbounded()
    } else {
        HybridLogicalClock::with_max_offset_ms(params.max_offset_ms.into())
    };
    let nodes = (0..params.nodes)
        .map(|_| HlcNode::new(hlc, params.sends))
        .collect();
    let mut sim = Simulation::new(nodes, params.config())?;
    let jump = (params.jump_ms > 0).then(|| {
        (
            NodeId(0),
            Instant::from_millis(params.jump_at_ms.into()),
            Span::from_millis(-i64::from(params.jump_ms)),
        )
    });
    if let Some((node, at, by)) = jump {
        sim.schedule_clock_jump(at, node, by)?;
    }
    // Every node stops after its sends, so the queue drains; the bound is a safety net.
    sim.run_until(Instant::from_millis(3_600_000));
    let logs: Vec<Vec<Stamp>> = (0..params.nodes)
        .map(|i| {
            sim.node(NodeId(i))
                .map(|n| n.log().to_vec())
                .unwrap_or_default()
        })
        .collect();
    let trace = sim.finish();
    let mut stamps = vec![None; trace.events().len()];
    let mut rejections = Vec::new();
    for node in trace.nodes() {
        let mut log = logs[node.index()].iter();
        for &id in trace.events_of(node) {
            let Some(event) = trace.event(id) else {
                continue;
            };
            if let EventKind::Local = event.kind {
                continue;
            }
            // The log holds one entry per send and receive, in the node's order.
            if let Some(stamp) = log.next() {
                if let StampKind::Rejected(error) = stamp.kind {
                    rejections.push(Rejection {
                        event: id,
                        node,
                        error,
                    });
                }
                stamps[id.index()] = Some(*stamp);
            }
        }
    }
    rejections.sort_by_key(|r| r.event);
    Ok(HlcRun {
        trace,
        stamps,
        rejections,
        epsilon: params.epsilon(),
        jump,
    })
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::trace::CausalIndex;
    use proptest::prelude::*;

    #[test]
    fn stamps_line_up_with_the_trace() {
        let r = run(&Params::default()).unwrap();
        for e in r.trace.events() {
            let s = r.stamps[e.id.index()].expect("no jump: every event is stamped");
            assert_eq!(s.pt, e.local_time, "event {:?}", e.id);
        }
        let v = r.verdict(r.trace.events().len());
        assert!(v.hlc_monotonic && v.physical_monotonic);
        assert!(v.max_lead_ms <= r.epsilon.as_nanos() / 1_000_000, "{v:?}");
    }

    #[test]
    fn a_node_far_ahead_drags_everyone_unless_max_offset_refuses_it() {
        let ahead = Params {
            ahead_ms: 60_000,
            ..Params::default()
        };
        let free = run(&ahead).unwrap();
        let v = free.verdict(free.trace.events().len());
        assert_eq!(v.rejections, 0);
        assert!(v.max_lead_ms > 50_000, "{v:?}");
        let bounded = run(&Params {
            max_offset_ms: 500,
            ..ahead
        })
        .unwrap();
        let v = bounded.verdict(bounded.trace.events().len());
        assert!(v.rejections > 0);
        assert!(
            v.max_lead_ms <= bounded.epsilon.as_nanos() / 1_000_000,
            "{v:?}"
        );
        assert!(bounded
            .rejections
            .iter()
            .all(|r| matches!(r.error, HlcError::RemoteTooFarAhead { .. })));
    }

    #[test]
    fn clamp_reports_changes() {
        let (p, notes) = Params {
            nodes: 99,
            jump_ms: u32::MAX,
            ..Params::default()
        }
        .clamp();
        assert_eq!((p.nodes, p.jump_ms), (6, 3_600_000));
        assert_eq!(notes.len(), 2);
        let tiny = run(&Params {
            nodes: 1,
            ..Params::default()
        })
        .unwrap();
        assert_eq!(tiny.trace.node_count(), 2);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Whatever the skew, drift and backward jump, HLC follows happens-before and never
        /// goes back at any node.
        #[test]
        fn hlc_never_violates_happens_before(
            seed in any::<u64>(), nodes in 2u32..5, skew in 0u32..1_000, drift in 0u32..500,
            jump in prop_oneof![Just(0u32), Just(300_000), 0u32..3_600_000], jump_at in 0u32..2_000,
        ) {
            let p = Params { nodes, seed, sends: 8, skew_ms: skew, drift_ppm: drift, jump_ms: jump,
                jump_at_ms: jump_at, ..Params::default() };
            let r = run(&p).unwrap();
            let index = CausalIndex::build(&r.trace);
            let stamped: Vec<(EventId, HlcTimestamp)> = r.trace.events().iter()
                .filter_map(|e| r.stamps[e.id.index()].map(|s| (e.id, s.hlc))).collect();
            for &(a, ha) in &stamped {
                for &(b, hb) in &stamped {
                    if index.happens_before(a, b) {
                        prop_assert!(ha < hb, "{:?} -> {:?} but {} >= {}", a, b, ha, hb);
                    }
                }
            }
            prop_assert!(r.verdict(r.trace.events().len()).hlc_monotonic);
            prop_assert!(r.rejections.is_empty());
        }
    }
}
