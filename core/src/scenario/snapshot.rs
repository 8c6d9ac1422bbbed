//! The Snapshot lab's run (the source document's project 4): bank nodes send money to each
//! other at random over FIFO channels while one or more Chandy-Lamport snapshots run
//! (see [`chandy_lamport`](crate::snapshot::chandy_lamport)). The lab shows each snapshot's
//! cut through the space-time diagram, the money at every node and in flight over time, and
//! each assembled global state with its total against the initial total.

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::ops::RangeInclusive;

use super::causal_broadcast::RunError;
use super::happens_before::lat_max_at_least_min;
use super::params::{int, lat_max, lat_min, seed, span, Adjustment, Spec};
use crate::node::NodeId;
use crate::sim::{Latency, Network, SimConfig, Simulation};
use crate::snapshot::chandy_lamport::{
    AutoTransfers, Bank, BankOp, BankOutput, ChannelState, GlobalState, SnapshotId,
};
use crate::time::{Instant, Span};
use crate::trace::{EventId, Trace};

/// Allowed node counts.
pub const NODES: RangeInclusive<u32> = 2..=8;
/// Allowed initial balances per node.
pub const BALANCE: RangeInclusive<u32> = 0..=1_000_000;
/// Allowed transfers per node.
pub const TRANSFERS: RangeInclusive<u32> = 0..=200;
/// Allowed largest amounts per transfer.
pub const AMOUNT: RangeInclusive<u32> = 1..=1_000_000;
/// Allowed one-way latency bounds, ms.
pub const LATENCY_MS: RangeInclusive<u32> = 0..=5_000;
/// Allowed snapshot counts.
pub const SNAPSHOTS: RangeInclusive<u32> = 1..=5;
/// Allowed windows for snapshot start times, ms.
pub const WINDOW_MS: RangeInclusive<u32> = 0..=60_000;

/// The knobs of a Snapshot run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    /// Number of nodes.
    pub nodes: u32,
    /// The seed.
    pub seed: u64,
    /// Every node's initial balance.
    pub initial_balance: u32,
    /// Random transfers per node (every 50 ms on average).
    pub transfers: u32,
    /// The largest amount per transfer.
    pub max_amount: u32,
    /// Shortest one-way latency, ms.
    pub latency_min_ms: u32,
    /// Longest one-way latency, ms.
    pub latency_max_ms: u32,
    /// Snapshots, started at random nodes at random times (ids 1, 2, …).
    pub snapshots: u32,
    /// Snapshots start within `[0, window]` ms; a short window makes them overlap.
    pub snapshot_window_ms: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            nodes: 5,
            seed: 1,
            initial_balance: 100,
            transfers: 20,
            max_amount: 30,
            latency_min_ms: 10,
            latency_max_ms: 100,
            snapshots: 2,
            snapshot_window_ms: 200,
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
            "how many banks",
            |p| p.nodes.into(),
            |p, v| p.nodes = v as u32,
        ),
        int(
            "balance",
            "initial balance",
            "",
            span(&BALANCE),
            "each bank's starting money",
            |p| p.initial_balance.into(),
            |p, v| p.initial_balance = v as u32,
        ),
        int(
            "transfers",
            "transfers per node",
            "",
            span(&TRANSFERS),
            "transfers each bank makes",
            |p| p.transfers.into(),
            |p, v| p.transfers = v as u32,
        ),
        int(
            "max_amount",
            "largest transfer",
            "",
            span(&AMOUNT),
            "the most one transfer moves",
            |p| p.max_amount.into(),
            |p, v| p.max_amount = v as u32,
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
            "snapshots",
            "snapshots",
            "",
            span(&SNAPSHOTS),
            "how many snapshots start",
            |p| p.snapshots.into(),
            |p, v| p.snapshots = v as u32,
        ),
        int(
            "window",
            "snapshot start window",
            "ms",
            span(&WINDOW_MS),
            "snapshots start at random within this",
            |p| p.snapshot_window_ms.into(),
            |p, v| p.snapshot_window_ms = v as u32,
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

    /// The simulator configuration (FIFO channels, as Chandy-Lamport requires).
    pub fn config(&self) -> SimConfig {
        SimConfig {
            seed: self.seed,
            network: Network {
                latency: Latency::Uniform {
                    min: Span::from_millis(self.latency_min_ms.into()),
                    max: Span::from_millis(self.latency_max_ms.into()),
                },
                fifo: true,
                ..Network::default()
            },
            clocks: Vec::new(),
            labels: true,
        }
    }
}

/// One node's point on a snapshot's cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CutPoint {
    /// The node.
    pub node: NodeId,
    /// The trace event recording its state (everything before it is inside the cut).
    pub event: EventId,
    /// True time of the recording.
    pub at: Instant,
    /// The balance recorded.
    pub balance: u64,
}

/// One snapshot as the lab draws it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cut {
    /// The snapshot.
    pub id: SnapshotId,
    /// Each node's point on the cut, in recording order.
    pub points: Vec<CutPoint>,
    /// Each channel's recording, in the order they closed.
    pub channels: Vec<(Instant, ChannelState)>,
    /// The assembled global state, if the initiator completed it.
    pub state: Option<GlobalState>,
    /// When the initiator assembled it.
    pub completed_at: Option<Instant>,
}

impl Cut {
    /// When the first node recorded its state.
    pub fn started_at(&self) -> Option<Instant> {
        self.points.first().map(|p| p.at)
    }
}

impl Run {
    /// The most snapshots that were in flight (started, not yet assembled) at once.
    pub fn max_concurrent(&self) -> usize {
        let mut edges: Vec<(Instant, i32)> = Vec::new();
        for cut in &self.cuts {
            if let Some(start) = cut.started_at() {
                edges.push((start, 1));
                edges.push((cut.completed_at.unwrap_or(Instant::MAX), -1));
            }
        }
        // At equal times, ends before starts.
        edges.sort();
        let (mut now, mut most) = (0i32, 0i32);
        for (_, d) in edges {
            now += d;
            most = most.max(now);
        }
        most as usize
    }
}

/// Money everywhere just after a transfer was sent or received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MoneySample {
    /// True time.
    pub at: Instant,
    /// Every node's balance.
    pub balances: Vec<u64>,
    /// Money sent but not yet received.
    pub in_flight: u64,
}

/// Everything a lab displays about one run.
#[derive(Clone, Debug)]
pub struct Run {
    /// The trace.
    pub trace: Trace,
    /// The money in the system.
    pub initial_total: u64,
    /// Every snapshot, by id.
    pub cuts: Vec<Cut>,
    /// Money per node and in flight over time.
    pub money: Vec<MoneySample>,
    /// The source document's report for every completed snapshot.
    pub reports: Vec<String>,
}

/// Runs the scenario; out-of-range parameters are refused (call [`Params::clamp`] first).
///
/// ```
/// use chronoscope::scenario::snapshot::{run, Params};
/// let run = run(&Params { snapshots: 3, ..Params::default() }).unwrap();
/// for cut in &run.cuts {
///     assert_eq!(cut.state.as_ref().unwrap().total(), run.initial_total);
/// }
/// ```
pub fn run(params: &Params) -> Result<Run, RunError> {
    params.validate()?;
    let auto = AutoTransfers {
        count: params.transfers,
        mean_interval: Span::from_millis(50),
        max_amount: params.max_amount.into(),
    };
    let mut rng = crate::rng::Rng::seed_from_u64(params.seed ^ 0x5A9);
    let ops = (1..=params.snapshots)
        .map(|k| {
            let at = Instant::from_millis(rng.in_range(0, params.snapshot_window_ms.into()));
            let node = NodeId(rng.below(params.nodes.into()) as u32);
            (at, node, BankOp::Snapshot(SnapshotId(k)))
        })
        .collect::<Vec<_>>();
    let balances = vec![u64::from(params.initial_balance); params.nodes as usize];
    simulate(&balances, Some(auto), &ops, params.config())
}

/// The source document's situation: nodes with $50, $40 and $20; node 2 sends $10 to node 1
/// just before node 1 starts a snapshot, so the $10 is recorded in flight (2→1).
pub fn document_example() -> Result<Run, RunError> {
    let (a, b) = (NodeId(0), NodeId(1));
    let ops = [
        (
            Instant::from_millis(5),
            b,
            BankOp::Transfer { to: a, amount: 10 },
        ),
        (Instant::from_millis(6), a, BankOp::Snapshot(SnapshotId(1))),
    ];
    let config = SimConfig {
        network: Network {
            fifo: true,
            ..Network::constant(Span::from_millis(10))
        },
        ..SimConfig::default()
    };
    simulate(&[50, 40, 20], None, &ops, config)
}

fn simulate(
    balances: &[u64],
    auto: Option<AutoTransfers>,
    ops: &[(Instant, NodeId, BankOp)],
    config: SimConfig,
) -> Result<Run, RunError> {
    let nodes = balances
        .iter()
        .map(|&b| match auto {
            Some(a) => Bank::new(b).with_auto_transfers(a),
            None => Bank::new(b),
        })
        .collect();
    let mut sim = Simulation::new(nodes, config)?;
    for &(at, node, op) in ops {
        sim.schedule_operation(at, node, op)?;
    }
    sim.run_until(Instant::from_millis(3_600_000));
    let initial_total = balances.iter().copied().fold(0, u64::saturating_add);
    let mut current = balances.to_vec();
    let mut in_flight = 0u64;
    let mut money = vec![MoneySample {
        at: Instant::ZERO,
        balances: current.clone(),
        in_flight,
    }];
    let mut cuts: Vec<Cut> = Vec::new();
    let mut reports = Vec::new();
    fn cut_of(cuts: &mut Vec<Cut>, id: SnapshotId) -> &mut Cut {
        let pos = match cuts.iter().position(|c| c.id == id) {
            Some(p) => p,
            None => {
                cuts.push(Cut {
                    id,
                    points: Vec::new(),
                    channels: Vec::new(),
                    state: None,
                    completed_at: None,
                });
                cuts.len() - 1
            }
        };
        &mut cuts[pos]
    }
    for r in sim.outputs() {
        let i = r.node.index();
        match &r.output {
            BankOutput::Sent { amount, .. } => {
                current[i] = current[i].saturating_sub(*amount);
                in_flight = in_flight.saturating_add(*amount);
            }
            BankOutput::Received { amount, .. } => {
                current[i] = current[i].saturating_add(*amount);
                in_flight = in_flight.saturating_sub(*amount);
            }
            BankOutput::Recorded { id, balance } => cut_of(&mut cuts, *id).points.push(CutPoint {
                node: r.node,
                event: r.event,
                at: r.at,
                balance: *balance,
            }),
            BankOutput::ChannelRecorded { id, channel } => cut_of(&mut cuts, *id)
                .channels
                .push((r.at, channel.clone())),
            BankOutput::Completed(state) => {
                reports.push(format!(
                    "Snapshot {} initiated by {}...",
                    state.id, state.initiator
                ));
                reports.extend(state.report_lines(initial_total));
                let cut = cut_of(&mut cuts, state.id);
                cut.state = Some(state.clone());
                cut.completed_at = Some(r.at);
            }
            BankOutput::TimedOut { id, missing } => {
                reports.push(format!("Snapshot {id} timed out; missing {missing:?}"));
            }
            BankOutput::Rejected(e) => reports.push(format!("Rejected at {}: {e}", r.node)),
        }
        if matches!(
            r.output,
            BankOutput::Sent { .. } | BankOutput::Received { .. }
        ) {
            money.push(MoneySample {
                at: r.at,
                balances: current.clone(),
                in_flight,
            });
        }
    }
    cuts.sort_by_key(|c| c.id);
    Ok(Run {
        trace: sim.finish(),
        initial_total,
        cuts,
        money,
        reports,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_example_matches_its_output() {
        let run = document_example().unwrap();
        assert_eq!(
            run.reports,
            [
                "Snapshot #1 initiated by A...",
                "Node 1 State: $50",
                "Node 2 State: $30",
                "Node 3 State: $20",
                "In-flight (2->1): $10",
                "TOTAL: $110 (Matches initial $110)",
                "SUCCESS: Consistent Global State captured."
            ]
        );
    }

    #[test]
    fn concurrent_snapshots_all_conserve_money() {
        let run = run(&Params {
            snapshots: 4,
            ..Params::default()
        })
        .unwrap();
        assert_eq!(run.cuts.len(), 4);
        assert!(run.max_concurrent() >= 2, "snapshots should overlap");
        for cut in &run.cuts {
            assert_eq!(cut.points.len(), 5);
            assert_eq!(
                cut.state.as_ref().map(|s| s.total()),
                Some(run.initial_total)
            );
        }
        assert!(run
            .money
            .iter()
            .all(|m| m.balances.iter().sum::<u64>() + m.in_flight == run.initial_total));
        assert!(run.money.iter().any(|m| m.in_flight > 0));
    }

    #[test]
    fn absurd_params_are_clamped_with_a_report() {
        let (p, notes) = Params {
            nodes: 0,
            snapshots: 100,
            ..Params::default()
        }
        .clamp();
        assert_eq!((p.nodes, p.snapshots), (2, 5));
        assert_eq!(notes.len(), 2);
        assert!(run(&Params {
            nodes: 0,
            ..Params::default()
        })
        .is_err());
    }
}
