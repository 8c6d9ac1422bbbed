//! The Lamport-chat lab's run (the source document's project 2): A says "Hi", B replies
//! "Hello Alice", and the link from A to the last node is slowed down so that node hears the
//! reply first. Every node shows `[PENDING]` lines for messages not yet stable and
//! `[DISPLAY]` lines in the one total order (see
//! [`total_order`](crate::broadcast::total_order)). Extra random messages make it busier.

use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::ops::RangeInclusive;

use super::causal_broadcast::RunError;
use super::happens_before::lat_max_at_least_min;
use super::params::{int, lat_max, lat_min, seed, span, Adjustment, Spec};
use crate::broadcast::total_order::{LamportChat, TotalOrderOutput};
use crate::clock::LamportStamp;
use crate::node::NodeId;
use crate::sim::{Latency, LinkRule, Network, SimConfig, Simulation};
use crate::time::{Instant, Span};
use crate::trace::Trace;

/// Allowed node counts.
pub const NODES: RangeInclusive<u32> = 2..=6;
/// Allowed extra random messages per node.
pub const EXTRA: RangeInclusive<u32> = 0..=10;
/// Allowed one-way latency bounds, ms.
pub const LATENCY_MS: RangeInclusive<u32> = 0..=2_000;
/// Allowed injected delay on the slow link, ms.
pub const SLOW_MS: RangeInclusive<u32> = 0..=30_000;
/// Allowed stuck-report delays, ms.
pub const STUCK_MS: RangeInclusive<u32> = 1..=60_000;

/// The knobs of a Lamport-chat run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    /// Number of nodes.
    pub nodes: u32,
    /// The seed.
    pub seed: u64,
    /// Random extra messages per node (besides "Hi" and "Hello Alice").
    pub extra_messages: u32,
    /// Shortest one-way latency, ms.
    pub latency_min_ms: u32,
    /// Longest one-way latency, ms.
    pub latency_max_ms: u32,
    /// Injected delay on the link from A to the last node, ms.
    pub slow_link_ms: u32,
    /// A message pending this long is reported stuck, ms.
    pub stuck_after_ms: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            nodes: 3,
            seed: 1,
            extra_messages: 0,
            latency_min_ms: 10,
            latency_max_ms: 50,
            slow_link_ms: 2_000,
            stuck_after_ms: 10_000,
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
            "how many chat panes",
            |p| p.nodes.into(),
            |p, v| p.nodes = v as u32,
        ),
        int(
            "extra",
            "extra messages per node",
            "",
            span(&EXTRA),
            "random messages each node adds to the script",
            |p| p.extra_messages.into(),
            |p, v| p.extra_messages = v as u32,
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
        int(
            "slow",
            "slow link A → last",
            "ms",
            span(&SLOW_MS),
            "injected delay on the link from A to the last node",
            |p| p.slow_link_ms.into(),
            |p, v| p.slow_link_ms = v as u32,
        ),
        int(
            "stuck",
            "stuck after",
            "ms",
            span(&STUCK_MS),
            "a message pending this long is reported stuck",
            |p| p.stuck_after_ms.into(),
            |p, v| p.stuck_after_ms = v as u32,
        ),
        seed(|p| p.seed.into(), |p, v| p.seed = v as u64),
    ],
    defaults: Params::default,
    relate: |mut p: Params| {
        let mut notes = Vec::new();
        lat_max_at_least_min(&mut p.latency_min_ms, &mut p.latency_max_ms, &mut notes);
        (p, notes)
    },
};

impl Params {
    /// Accepts the parameters exactly when [`clamp`](Self::clamp) would change nothing.
    pub fn validate(&self) -> Result<(), RunError> {
        let (_, notes) = self.clone().clamp();
        if notes.is_empty() {
            Ok(())
        } else {
            Err(RunError::OutOfRange(notes))
        }
    }

    /// Brings every parameter into its range, reporting each change (see [`SPEC`]).
    pub fn clamp(self) -> (Params, Vec<Adjustment>) {
        SPEC.clamp(self)
    }

    /// The simulator configuration these parameters describe.
    pub fn config(&self) -> SimConfig {
        let mut network = Network {
            latency: Latency::Uniform {
                min: Span::from_millis(self.latency_min_ms.into()),
                max: Span::from_millis(self.latency_max_ms.into()),
            },
            ..Network::default()
        };
        network.links.insert(
            (NodeId(0), NodeId(self.nodes.saturating_sub(1))),
            LinkRule {
                extra_delay: Span::from_millis(self.slow_link_ms.into()),
                ..LinkRule::default()
            },
        );
        SimConfig {
            seed: self.seed,
            network,
            clocks: Vec::new(),
            labels: true,
        }
    }
}

/// One node's screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatView {
    /// The node.
    pub node: NodeId,
    /// Messages in the order the node first saw them (own included).
    pub arrival: Vec<LamportStamp>,
    /// Messages in display order.
    pub display: Vec<LamportStamp>,
    /// The node's output lines, in the source document's format.
    pub lines: Vec<String>,
}

/// The pending (hold-back) queue of one node just after it changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingQueue {
    /// True time of the change.
    pub at: Instant,
    /// The node.
    pub node: NodeId,
    /// The pending stamps, ascending.
    pub pending: Vec<LamportStamp>,
}

/// Everything a lab displays about one run.
#[derive(Clone, Debug)]
pub struct Run {
    /// The trace.
    pub trace: Trace,
    /// Per node: arrival order, display order, lines.
    pub nodes: Vec<ChatView>,
    /// Pending queues over time.
    pub pending: Vec<PendingQueue>,
}

/// Runs the scenario; out-of-range parameters are refused (call [`Params::clamp`] first).
///
/// ```
/// use chronoscope::scenario::lamport_chat::{run, Params};
/// let run = run(&Params::default()).unwrap();
/// assert_eq!(run.nodes[2].lines[0], "[PENDING] (2, B): Hello Alice");
/// assert!(run.nodes.iter().all(|v| v.display == run.nodes[0].display));
/// ```
pub fn run(params: &Params) -> Result<Run, RunError> {
    params.validate()?;
    let stuck = Span::from_millis(params.stuck_after_ms.into());
    let nodes = (0..params.nodes).map(|_| LamportChat::new(stuck)).collect();
    let mut sim = Simulation::new(nodes, params.config())?;
    // B replies once "Hi" has certainly reached it (after the longest latency).
    let reply_at = i64::from(params.latency_max_ms) + 50;
    sim.schedule_operation(Instant::from_millis(1), NodeId(0), "Hi".to_string())?;
    sim.schedule_operation(
        Instant::from_millis(reply_at),
        NodeId(1),
        "Hello Alice".to_string(),
    )?;
    let mut rng = crate::rng::Rng::seed_from_u64(params.seed ^ 0xC4A7);
    for node in 0..params.nodes {
        for k in 0..params.extra_messages {
            let at = Instant::from_millis(rng.in_range(0, 2_000));
            sim.schedule_operation(at, NodeId(node), format!("{} says {}", NodeId(node), k + 1))?;
        }
    }
    sim.run_until(Instant::from_millis(
        i64::from(params.slow_link_ms) + i64::from(params.stuck_after_ms) + 10_000,
    ));
    let mut views: Vec<ChatView> = (0..params.nodes)
        .map(|n| ChatView {
            node: NodeId(n),
            arrival: Vec::new(),
            display: Vec::new(),
            lines: Vec::new(),
        })
        .collect();
    let mut queues: Vec<BTreeSet<LamportStamp>> =
        (0..params.nodes).map(|_| BTreeSet::new()).collect();
    let mut pending = Vec::new();
    for r in sim.outputs() {
        let i = r.node.index();
        let view = &mut views[i];
        view.lines.push(r.output.to_string());
        let changed = match &r.output {
            TotalOrderOutput::Pending { stamp, .. } => {
                view.arrival.push(*stamp);
                queues[i].insert(*stamp)
            }
            TotalOrderOutput::Display { stamp, .. } => {
                if !view.arrival.contains(stamp) {
                    view.arrival.push(*stamp);
                }
                view.display.push(*stamp);
                queues[i].remove(stamp)
            }
            _ => false,
        };
        if changed {
            pending.push(PendingQueue {
                at: r.at,
                node: r.node,
                pending: queues[i].iter().copied().collect(),
            });
        }
    }
    Ok(Run {
        trace: sim.finish(),
        nodes: views,
        pending,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lagging_node_shows_the_documents_lines() {
        let run = run(&Params::default()).unwrap();
        let c = &run.nodes[2];
        assert_eq!(
            c.lines,
            [
                "[PENDING] (2, B): Hello Alice",
                "[DISPLAY] (1, A): Hi",
                "[DISPLAY] (2, B): Hello Alice"
            ]
        );
        assert_ne!(c.arrival, c.display);
        for v in &run.nodes {
            assert_eq!(v.display, c.display);
        }
        assert!(run
            .pending
            .iter()
            .any(|q| q.node == NodeId(2) && !q.pending.is_empty()));
    }

    #[test]
    fn busy_runs_agree_and_bad_params_are_refused() {
        let p = Params {
            nodes: 5,
            extra_messages: 4,
            latency_max_ms: 400,
            ..Params::default()
        };
        let run = run(&p).unwrap();
        let first = &run.nodes[0].display;
        assert_eq!(first.len(), 22);
        assert!(run.nodes.iter().all(|v| &v.display == first));
        let bad = Params {
            nodes: 1,
            ..Params::default()
        };
        assert!(matches!(super::run(&bad), Err(RunError::OutOfRange(_))));
    }
}
