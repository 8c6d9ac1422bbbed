//! The Causal-broadcast lab's run: nodes broadcast at random times over a reordering, lossy
//! network (see [`causal`](crate::broadcast::causal)); the lab shows each node's arrival
//! order against its delivery order, the hold-back queue over time, and what got stuck
//! (lost messages without retransmission, a crashed sender).
//!
//! Parameters come from URLs; [`Params::clamp`] brings any value into its documented range
//! and reports each change.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::ops::RangeInclusive;

use super::happens_before::lat_max_at_least_min;
use super::params::{dup, int, lat_max, lat_min, loss, other, seed, span, Adjustment, Kind, Spec};
use crate::broadcast::causal::{CausalBroadcast, CausalConfig, CausalOutput};
use crate::broadcast::BroadcastId;
use crate::node::NodeId;
use crate::sim::{Latency, LinkRule, Network, SimConfig, SimError, Simulation};
use crate::time::{Instant, Span};
use crate::trace::{EventId, Trace};

/// Allowed node counts.
pub const NODES: RangeInclusive<u32> = 2..=8;
/// Allowed broadcasts per node.
pub const MESSAGES: RangeInclusive<u32> = 1..=20;
/// Allowed one-way latency bounds, in milliseconds.
pub const LATENCY_MS: RangeInclusive<u32> = 0..=5_000;
/// Allowed loss and duplication probabilities, in percent.
pub const PERCENT: RangeInclusive<u32> = 0..=50;
/// Allowed stuck-report delays and extra link delays, in milliseconds.
pub const WAIT_MS: RangeInclusive<u32> = 1..=60_000;

/// The knobs of a Causal-broadcast run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    /// Number of nodes.
    pub nodes: u32,
    /// The seed.
    pub seed: u64,
    /// Broadcasts per node, at random times within the first second.
    pub messages: u32,
    /// Shortest one-way latency, ms.
    pub latency_min_ms: u32,
    /// Longest one-way latency, ms.
    pub latency_max_ms: u32,
    /// Message loss, percent.
    pub loss_percent: u32,
    /// Message duplication, percent.
    pub duplicate_percent: u32,
    /// Whether senders retransmit until acknowledged.
    pub retransmit: bool,
    /// Whether every node relays each message on first receipt.
    pub relay: bool,
    /// A message held this long is reported stuck, ms.
    pub stuck_after_ms: u32,
    /// Crash this node (index) at `crash_at_ms`, if any.
    pub crash: Option<u32>,
    /// When the crash happens, ms.
    pub crash_at_ms: u32,
    /// Extra delay on the link from node 0 to the last node, ms (0: none).
    pub slow_link_ms: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            nodes: 3,
            seed: 1,
            messages: 3,
            latency_min_ms: 10,
            latency_max_ms: 120,
            loss_percent: 0,
            duplicate_percent: 0,
            retransmit: false,
            relay: false,
            stuck_after_ms: 1_000,
            crash: None,
            crash_at_ms: 500,
            slow_link_ms: 0,
        }
    }
}

/// Why a scenario did not run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunError {
    /// Parameters outside their ranges (what [`Params::clamp`] would change).
    OutOfRange(Vec<Adjustment>),
    /// The simulator refused the set-up.
    Sim(SimError),
}

impl core::fmt::Display for RunError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            RunError::OutOfRange(notes) => {
                f.write_str("parameters out of range:")?;
                for n in notes {
                    write!(f, " {n};")?;
                }
                Ok(())
            }
            RunError::Sim(e) => write!(f, "{e}"),
        }
    }
}

impl core::error::Error for RunError {}

impl From<SimError> for RunError {
    fn from(e: SimError) -> Self {
        RunError::Sim(e)
    }
}

/// The lab's defaults: a 2 s slow link from A to the last node, stuck after 5 s.
pub fn lab_defaults() -> Params {
    Params {
        slow_link_ms: 2_000,
        stuck_after_ms: 5_000,
        ..Params::default()
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
            "how many nodes broadcast",
            |p| p.nodes.into(),
            |p, v| p.nodes = v as u32,
        ),
        int(
            "messages",
            "broadcasts per node",
            "",
            span(&MESSAGES),
            "broadcasts each node makes",
            |p| p.messages.into(),
            |p, v| p.messages = v as u32,
        ),
        lat_min(
            span(&LATENCY_MS),
            |p| p.latency_min_ms.into(),
            |p, v| p.latency_min_ms = v as u32,
        ),
        lat_max(
            span(&LATENCY_MS),
            |p| p.latency_max_ms.into(),
            |p, v| p.latency_max_ms = v as u32,
        ),
        loss(
            span(&PERCENT),
            |p| p.loss_percent.into(),
            |p, v| p.loss_percent = v as u32,
        ),
        dup(
            span(&PERCENT),
            |p| p.duplicate_percent.into(),
            |p, v| p.duplicate_percent = v as u32,
        ),
        other(
            "retransmit",
            "retransmit",
            Kind::Switch,
            "senders resend until every node has acknowledged",
            |p| p.retransmit.into(),
            |p, v| p.retransmit = v != 0,
        ),
        other(
            "relay",
            "relay",
            Kind::Switch,
            "receivers forward each first copy (eager reliable broadcast)",
            |p| p.relay.into(),
            |p, v| p.relay = v != 0,
        ),
        int(
            "slow",
            "extra delay A → last node",
            "ms",
            (0, *WAIT_MS.end() as i64),
            "injected delay on the link from A to the last node",
            |p| p.slow_link_ms.into(),
            |p, v| p.slow_link_ms = v as u32,
        ),
        int(
            "stuck",
            "stuck after",
            "ms",
            span(&WAIT_MS),
            "a message held back this long is reported stuck",
            |p| p.stuck_after_ms.into(),
            |p, v| p.stuck_after_ms = v as u32,
        ),
        other(
            "crash",
            "crash node",
            Kind::Choice(&CRASH),
            "a node that crashes (none, or its index below nodes)",
            |p| crash_index(p.crash),
            |p, v| p.crash = (v > 0).then(|| v as u32 - 1),
        ),
        int(
            "crash_at",
            "crash at",
            "ms",
            span(&WAIT_MS),
            "when that node crashes",
            |p| p.crash_at_ms.into(),
            |p, v| p.crash_at_ms = v as u32,
        ),
        seed(|p| p.seed.into(), |p, v| p.seed = v as u64),
    ],
    defaults: lab_defaults,
    relate: |mut p: Params| {
        let mut notes = Vec::new();
        lat_max_at_least_min(&mut p.latency_min_ms, &mut p.latency_max_ms, &mut notes);
        if let Some(c) = p.crash.filter(|c| *c >= p.nodes) {
            notes.push(Adjustment {
                name: "crash",
                given: format!("{c}"),
                used: String::from("none"),
            });
            p.crash = None;
        }
        (p, notes)
    },
};

/// `crash` as an index into [`CRASH`] (a node beyond the choices reads as none here;
/// [`Spec::relate`] reports it).
fn crash_index(crash: Option<u32>) -> i128 {
    crash
        .filter(|c| c < NODES.end())
        .map_or(0, |c| i128::from(c) + 1)
}

/// The crash choices: none, or a node index.
const CRASH: [&str; 9] = ["none", "0", "1", "2", "3", "4", "5", "6", "7"];

impl Params {
    /// Brings every parameter into its range, reporting each change (see [`SPEC`]).
    pub fn clamp(self) -> (Params, Vec<Adjustment>) {
        SPEC.clamp(self)
    }

    /// Accepts the parameters exactly when [`clamp`](Self::clamp) would change nothing.
    pub fn validate(&self) -> Result<(), RunError> {
        let (_, notes) = self.clone().clamp();
        if notes.is_empty() {
            Ok(())
        } else {
            Err(RunError::OutOfRange(notes))
        }
    }

    /// The simulator configuration these parameters describe.
    pub fn config(&self) -> SimConfig {
        let mut network = Network {
            latency: Latency::Uniform {
                min: Span::from_millis(self.latency_min_ms.into()),
                max: Span::from_millis(self.latency_max_ms.into()),
            },
            loss: f64::from(self.loss_percent) / 100.0,
            duplicate: f64::from(self.duplicate_percent) / 100.0,
            ..Network::default()
        };
        if self.slow_link_ms > 0 {
            network.links.insert(
                (NodeId(0), NodeId(self.nodes.saturating_sub(1))),
                LinkRule {
                    extra_delay: Span::from_millis(self.slow_link_ms.into()),
                    ..LinkRule::default()
                },
            );
        }
        SimConfig {
            seed: self.seed,
            network,
            clocks: Vec::new(),
            labels: true,
        }
    }
}

/// One node's view: the order messages arrived in against the order they were delivered in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeView {
    /// The node.
    pub node: NodeId,
    /// Other nodes' messages in order of first arrival.
    pub arrival: Vec<BroadcastId>,
    /// All messages (own included) in delivery order.
    pub delivery: Vec<BroadcastId>,
}

/// The hold-back queue of one node just after it changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HoldBack {
    /// True time of the change.
    pub at: Instant,
    /// The node.
    pub node: NodeId,
    /// Each held message with the next missing message it depends on.
    pub waiting: Vec<(BroadcastId, BroadcastId)>,
}

/// Everything a lab displays about one run.
#[derive(Clone, Debug)]
pub struct Run {
    /// The trace.
    pub trace: Trace,
    /// Per node: arrival order against delivery order.
    pub nodes: Vec<NodeView>,
    /// Hold-back queue contents over time.
    pub holdback: Vec<HoldBack>,
    /// Every stuck report: when, where, which message, waiting for what.
    pub stuck: Vec<(Instant, NodeId, BroadcastId, BroadcastId)>,
    /// Every output as a printable line, prefixed by time and node.
    pub lines: Vec<String>,
    /// The largest hold-back queue any node had.
    pub peak_held: usize,
    /// Each broadcast's event in the trace (its origin's own delivery, recorded right after
    /// the operation and before any send, so causally the broadcast itself).
    pub broadcasts: BTreeMap<BroadcastId, EventId>,
}

/// Runs the scenario; out-of-range parameters are refused (call [`Params::clamp`] first).
///
/// ```
/// use chronoscope::scenario::causal_broadcast::{run, Params};
/// let (params, _notes) = Params { slow_link_ms: 2_000, ..Params::default() }.clamp();
/// let run = run(&params).unwrap();
/// let c = &run.nodes[2];
/// assert_eq!(c.delivery.len(), 9); // 3 nodes × 3 broadcasts, own included
/// assert!(run.holdback.iter().any(|h| !h.waiting.is_empty()));
/// ```
pub fn run(params: &Params) -> Result<Run, RunError> {
    params.validate()?;
    let config = CausalConfig {
        stuck_after: Span::from_millis(params.stuck_after_ms.into()),
        retransmit: params.retransmit.then(|| Span::from_millis(200)),
        relay: params.relay,
    };
    let nodes = (0..params.nodes)
        .map(|_| CausalBroadcast::<String>::new(config))
        .collect();
    let mut sim = Simulation::new(nodes, params.config())?;
    let mut rng = crate::rng::Rng::seed_from_u64(params.seed ^ 0xCA05A1);
    for node in 0..params.nodes {
        let mut times: Vec<i64> = (0..params.messages)
            .map(|_| rng.in_range(0, 1_000))
            .collect();
        times.sort_unstable();
        for (k, at) in times.into_iter().enumerate() {
            let text = format!("{}{}", NodeId(node), k + 1);
            sim.schedule_operation(Instant::from_millis(at), NodeId(node), text)?;
        }
    }
    if let Some(c) = params.crash {
        sim.schedule_crash(Instant::from_millis(params.crash_at_ms.into()), NodeId(c))?;
    }
    let end = Instant::from_millis(i64::from(params.stuck_after_ms) * 2 + 20_000);
    sim.run_until(end);
    let peak_held = (0..params.nodes)
        .filter_map(|n| sim.node(NodeId(n)).and_then(|p| p.queue()))
        .map(|q| q.peak_held())
        .max()
        .unwrap_or(0);
    let mut views: Vec<NodeView> = (0..params.nodes)
        .map(|n| NodeView {
            node: NodeId(n),
            arrival: Vec::new(),
            delivery: Vec::new(),
        })
        .collect();
    let mut queues: BTreeMap<NodeId, BTreeMap<BroadcastId, BroadcastId>> = BTreeMap::new();
    let mut holdback = Vec::new();
    let mut stuck = Vec::new();
    let mut lines = Vec::new();
    let mut broadcasts = BTreeMap::new();
    for r in sim.outputs() {
        lines.push(format!(
            "{:>8.1} ms [{}] {}",
            r.at.as_millis_f64(),
            r.node,
            r.output
        ));
        let view = &mut views[r.node.index()];
        let queue = queues.entry(r.node).or_default();
        let changed = match &r.output {
            CausalOutput::Delivered { id, .. } => {
                if id.origin == r.node {
                    // Reported before the broadcast's sends, right after the operation.
                    broadcasts.entry(*id).or_insert(r.event);
                }
                if id.origin != r.node && !view.arrival.contains(id) {
                    view.arrival.push(*id);
                }
                view.delivery.push(*id);
                queue.remove(id).is_some()
            }
            CausalOutput::HeldBack {
                id, waiting_for, ..
            } => {
                view.arrival.push(*id);
                queue.insert(*id, *waiting_for);
                true
            }
            CausalOutput::Stuck {
                id, waiting_for, ..
            } => {
                stuck.push((r.at, r.node, *id, *waiting_for));
                queue.insert(*id, *waiting_for) != Some(*waiting_for)
            }
            CausalOutput::Rejected { .. } => false,
        };
        if changed {
            holdback.push(HoldBack {
                at: r.at,
                node: r.node,
                waiting: queue.iter().map(|(a, b)| (*a, *b)).collect(),
            });
        }
    }
    Ok(Run {
        trace: sim.finish(),
        nodes: views,
        holdback,
        stuck,
        lines,
        peak_held,
        broadcasts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamp_reports_changes_and_run_refuses_unclamped() {
        let bad = Params {
            nodes: 99,
            crash: Some(50),
            loss_percent: 90,
            ..Params::default()
        };
        assert!(run(&bad).is_err());
        let (p, notes) = bad.clamp();
        assert_eq!(p.nodes, 8);
        assert_eq!(p.crash, None);
        assert_eq!(notes.len(), 3);
        assert!(run(&p).is_ok());
    }

    #[test]
    fn a_slow_link_makes_messages_wait_and_delivery_differs_from_arrival() {
        let p = Params {
            slow_link_ms: 2_000,
            ..Params::default()
        };
        let run = run(&p).unwrap();
        let last = run.nodes.last().unwrap();
        assert_eq!(last.delivery.len(), 9);
        assert_ne!(
            last.arrival,
            last.delivery
                .iter()
                .copied()
                .filter(|id| id.origin != last.node)
                .collect::<Vec<_>>()
        );
        assert!(run.peak_held > 0);
        assert!(run.holdback.iter().any(|h| !h.waiting.is_empty()));
        // Every queue ends empty: nothing was lost.
        for node in 0..3 {
            let last = run.holdback.iter().rev().find(|h| h.node == NodeId(node));
            if let Some(h) = last {
                assert!(h.waiting.is_empty());
            }
        }
    }

    #[test]
    fn loss_without_retransmission_is_reported_stuck_and_retransmission_repairs_it() {
        let lossy = Params {
            loss_percent: 30,
            messages: 5,
            ..Params::default()
        };
        let broken = run(&lossy).unwrap();
        assert!(!broken.stuck.is_empty());
        let repaired = run(&Params {
            retransmit: true,
            ..lossy
        })
        .unwrap();
        assert!(repaired.nodes.iter().all(|v| v.delivery.len() == 15));
    }
}
