//! The CRDT counters run: replicas of a PN-counter (see [`crdt`](crate::crdt)) increment
//! and decrement on their own — one of them cut off by a partition, working offline — and
//! gossip their whole state to every peer on a timer. When the partition heals the states
//! merge and every replica converges to the same value, with no coordination — also when
//! the network loses or duplicates gossip messages (a later round repairs a lost one; a
//! duplicate merges idempotently).
//!
//! Parameters come from URLs; [`Params::clamp`] brings any value into range and reports
//! what it changed; [`run`] refuses out-of-range values with a typed error.

use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use core::ops::RangeInclusive;

use super::params::{int, other, seed, span, unrelated, Adjustment, Kind, Spec};
use crate::crdt::pn_counter::{PnCounter, PnOp};
use crate::crdt::{CvRdt, Update};
use crate::node::NodeId;
use crate::protocol::{Context, Outbox, Protocol};
use crate::sim::{Latency, Network, Partition, Reported, SimConfig, SimError, Simulation};
use crate::time::{Instant, Span};
use crate::trace::Trace;

/// Allowed node counts.
pub const NODES: RangeInclusive<u32> = 2..=8;
/// Allowed operations per node.
pub const OPS: RangeInclusive<u32> = 1..=50;
/// Allowed gossip periods, in milliseconds.
pub const GOSSIP_MS: RangeInclusive<u32> = 10..=5_000;
/// Allowed lengths of the offline period, in milliseconds.
pub const OFFLINE_MS: RangeInclusive<u32> = 0..=60_000;
/// Allowed message loss and duplication probabilities, in percent.
pub const PERCENT: RangeInclusive<u32> = 0..=50;
/// The most gossip periods a run goes on past its planned end while replicas still differ
/// (lost gossip is repaired only by a later round).
pub const EXTRA_ROUNDS: u32 = 100;

/// A PN-counter replica that gossips its state to every peer every `period`.
///
/// ```
/// use chronoscope::scenario::crdt::{CounterReplica, CounterOp};
/// use chronoscope::sim::{SimConfig, Simulation};
/// use chronoscope::{node::NodeId, time::{Instant, Span}};
/// let nodes = (0..3).map(|_| CounterReplica::new(Span::from_millis(100))).collect();
/// let mut sim = Simulation::new(nodes, SimConfig::default()).unwrap();
/// sim.schedule_operation(Instant::ZERO, NodeId(0), CounterOp::Increment(5)).unwrap();
/// sim.schedule_operation(Instant::ZERO, NodeId(2), CounterOp::Decrement(2)).unwrap();
/// sim.run_until(Instant::from_millis(500));
/// assert!((0..3).all(|i| sim.node(NodeId(i)).unwrap().value() == 3));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct CounterReplica {
    state: PnCounter,
    period: Span,
}

/// A local update.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CounterOp {
    /// Add to the counter.
    Increment(u64),
    /// Subtract from the counter.
    Decrement(u64),
}

impl fmt::Display for CounterOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CounterOp::Increment(n) => write!(f, "+{n}"),
            CounterOp::Decrement(n) => write!(f, "−{n}"),
        }
    }
}

/// What a replica reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CounterOutput {
    /// A local update was applied; the replica's value after it.
    Applied {
        /// The update.
        op: CounterOp,
        /// The local value afterwards.
        value: i128,
    },
    /// A local update was refused (it would overflow).
    Refused {
        /// The update.
        op: CounterOp,
    },
    /// A peer's state changed this replica's value.
    Merged {
        /// The peer whose state was merged.
        from: NodeId,
        /// The value before.
        before: i128,
        /// The value after.
        after: i128,
    },
}

impl CounterReplica {
    /// A replica gossiping every `period` (at least 1 ms).
    pub fn new(period: Span) -> Self {
        CounterReplica {
            state: PnCounter::default(),
            period: period.max(Span::from_millis(1)),
        }
    }
    /// The replica's state.
    pub fn state(&self) -> &PnCounter {
        &self.state
    }
    /// The replica's current value.
    pub fn value(&self) -> i128 {
        self.state.value()
    }
}

impl Protocol for CounterReplica {
    type Message = PnCounter;
    type Timer = ();
    type Operation = CounterOp;
    type Output = CounterOutput;

    fn describe_message(state: &PnCounter) -> String {
        format!("counter state {state} = {}", state.value())
    }
    fn describe_operation(op: &CounterOp) -> String {
        op.to_string()
    }
    fn describe_output(output: &CounterOutput) -> String {
        match output {
            CounterOutput::Applied { op, value } => format!("{op} → {value}"),
            CounterOutput::Refused { op } => format!("{op} refused: it would overflow"),
            CounterOutput::Merged {
                from,
                before,
                after,
            } => format!("merge {from}'s state: {before} → {after}"),
        }
    }

    fn on_start(&mut self, _ctx: &mut Context<'_>, out: &mut Outbox<Self>) {
        out.set_timer(self.period, ());
    }

    fn on_timer(&mut self, ctx: &mut Context<'_>, _timer: (), out: &mut Outbox<Self>) {
        out.send_to_all(ctx.peers, self.state.clone());
        out.set_timer(self.period, ());
    }

    fn on_message(
        &mut self,
        _ctx: &mut Context<'_>,
        from: NodeId,
        state: PnCounter,
        out: &mut Outbox<Self>,
    ) {
        let before = self.state.value();
        let old = self.state.clone();
        self.state.merge(&state);
        if self.state != old {
            out.output(CounterOutput::Merged {
                from,
                before,
                after: self.state.value(),
            });
        }
    }

    fn on_operation(&mut self, ctx: &mut Context<'_>, op: CounterOp, out: &mut Outbox<Self>) {
        let pn = match op {
            CounterOp::Increment(by) => PnOp::Increment { node: ctx.node, by },
            CounterOp::Decrement(by) => PnOp::Decrement { node: ctx.node, by },
        };
        match self.state.try_apply(pn) {
            Ok(()) => out.output(CounterOutput::Applied {
                op,
                value: self.state.value(),
            }),
            Err(_) => out.output(CounterOutput::Refused { op }),
        }
    }
}

/// The knobs of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    /// Number of replicas.
    pub nodes: u32,
    /// Updates per replica (random increments and decrements of 1..=5).
    pub ops_per_node: u32,
    /// Gossip period, ms.
    pub gossip_ms: u32,
    /// How long the last replica is cut off from the others, from time 0, ms.
    pub offline_ms: u32,
    /// Probability that a gossip message is lost, percent.
    pub loss_percent: u32,
    /// Probability that a gossip message is delivered twice, percent.
    pub duplicate_percent: u32,
    /// The seed.
    pub seed: u64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            nodes: 3,
            ops_per_node: 4,
            gossip_ms: 200,
            offline_ms: 2_000,
            loss_percent: 0,
            duplicate_percent: 0,
            seed: 1,
        }
    }
}

/// The CRDT types of the lab's hands-on panel, by URL name.
pub const PANEL_TYPES: [&str; 7] = [
    "g-counter",
    "pn-counter",
    "g-set",
    "2p-set",
    "or-set",
    "lww-register",
    "mv-register",
];

/// The lab's parameters: a run's, and the CRDT type of the hands-on panel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabParams {
    /// The run.
    pub run: Params,
    /// The panel's type, an index into [`PANEL_TYPES`].
    pub panel: usize,
}

impl Default for LabParams {
    fn default() -> Self {
        LabParams {
            run: Params::default(),
            panel: 4,
        }
    }
}

/// The lab's parameters, declared once: URL keys, ranges, labels and help.
pub static SPEC: Spec<LabParams> = Spec {
    fields: &[
        int(
            "nodes",
            "replicas",
            "",
            span(&NODES),
            "how many counter replicas",
            |p| p.run.nodes.into(),
            |p, v| p.run.nodes = v as u32,
        ),
        int(
            "ops",
            "updates per replica",
            "",
            span(&OPS),
            "random increments and decrements each replica makes",
            |p| p.run.ops_per_node.into(),
            |p, v| p.run.ops_per_node = v as u32,
        ),
        int(
            "gossip",
            "gossip every",
            "ms",
            span(&GOSSIP_MS),
            "how often a replica sends its state",
            |p| p.run.gossip_ms.into(),
            |p, v| p.run.gossip_ms = v as u32,
        ),
        int(
            "offline",
            "last replica offline for",
            "ms",
            span(&OFFLINE_MS),
            "the last replica is partitioned away this long from the start",
            |p| p.run.offline_ms.into(),
            |p, v| p.run.offline_ms = v as u32,
        ),
        int(
            "loss",
            "loss",
            "%",
            span(&PERCENT),
            "chance a gossip message is lost",
            |p| p.run.loss_percent.into(),
            |p, v| p.run.loss_percent = v as u32,
        ),
        int(
            "dup",
            "duplication",
            "%",
            span(&PERCENT),
            "chance a gossip message is delivered twice",
            |p| p.run.duplicate_percent.into(),
            |p, v| p.run.duplicate_percent = v as u32,
        ),
        other(
            "type",
            "hands-on CRDT",
            Kind::Choice(&PANEL_TYPES),
            "the CRDT of the two-replica panel",
            |p| p.panel as i128,
            |p, v| p.panel = v as usize,
        ),
        seed(|p| p.run.seed.into(), |p, v| p.run.seed = v as u64),
    ],
    defaults: LabParams::default,
    relate: unrelated,
};

/// A parameter outside its range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamError {
    /// The parameter's name (as in the URL).
    pub name: &'static str,
    /// The value given.
    pub given: u32,
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} = {} is out of range", self.name, self.given)
    }
}

impl core::error::Error for ParamError {}

impl Params {
    /// Refuses any parameter outside its range (see [`SPEC`]).
    pub fn validate(&self) -> Result<(), ParamError> {
        let lab = LabParams {
            run: self.clone(),
            ..LabParams::default()
        };
        match SPEC.first_invalid(&lab) {
            Some(name) => Err(ParamError {
                name,
                given: SPEC.value(&lab, name).unwrap_or_default() as u32,
            }),
            None => Ok(()),
        }
    }

    /// Brings every parameter into range, reporting each change (see [`SPEC`]).
    pub fn clamp(self) -> (Params, Vec<Adjustment>) {
        let (lab, changes) = SPEC.clamp(LabParams {
            run: self,
            ..LabParams::default()
        });
        (lab.run, changes)
    }

    fn last(&self) -> NodeId {
        NodeId(self.nodes.saturating_sub(1))
    }

    /// The simulator configuration: 5–30 ms latency, `loss_percent` of messages lost and
    /// `duplicate_percent` delivered twice, the last replica partitioned away during
    /// `[0, offline_ms)`.
    pub fn config(&self) -> SimConfig {
        let mut partitions = Vec::new();
        if self.offline_ms > 0 {
            partitions.push(Partition {
                side: BTreeSet::from([self.last()]),
                from: Instant::ZERO,
                until: Instant::from_millis(self.offline_ms.into()),
            });
        }
        SimConfig {
            seed: self.seed,
            network: Network {
                latency: Latency::Uniform {
                    min: Span::from_millis(5),
                    max: Span::from_millis(30),
                },
                loss: f64::from(self.loss_percent) / 100.0,
                duplicate: f64::from(self.duplicate_percent) / 100.0,
                partitions,
                ..Network::default()
            },
            clocks: Vec::new(),
            labels: true,
        }
    }
}

/// What a run produced.
#[derive(Clone, Debug)]
pub struct Report {
    /// Every update and merge, in order.
    pub outputs: Vec<Reported<CounterOutput>>,
    /// Each replica's final state.
    pub finals: Vec<PnCounter>,
    /// The value every replica should reach: increments − decrements applied.
    pub expected: i128,
    /// When every replica last changed value (true time), if they all converged.
    pub converged_at: Option<Instant>,
    /// The run's trace (each output's `event` points into it).
    pub trace: Trace,
}

/// Why a run could not start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunError {
    /// A parameter was out of range.
    Param(ParamError),
    /// The simulator refused the setup.
    Sim(SimError),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Param(e) => write!(f, "{e}"),
            RunError::Sim(e) => write!(f, "{e}"),
        }
    }
}

impl core::error::Error for RunError {}

/// Runs the scenario: updates spread over the offline period (or the first second), then
/// gossip until well after the partition heals — ten gossip periods and a second after the
/// last update. If replicas still differ then (their gossip was lost), it goes on one period
/// at a time until they agree, for at most [`EXTRA_ROUNDS`] periods.
///
/// ```
/// use chronoscope::scenario::crdt::{run, Params};
/// let r = run(&Params::default()).unwrap();
/// assert!(r.converged_at.is_some());
/// assert!(r.finals.iter().all(|s| r.finals[0] == *s));
/// ```
pub fn run(params: &Params) -> Result<Report, RunError> {
    params.validate().map_err(RunError::Param)?;
    let period = Span::from_millis(params.gossip_ms.into());
    let nodes = (0..params.nodes)
        .map(|_| CounterReplica::new(period))
        .collect();
    let mut sim = Simulation::new(nodes, params.config()).map_err(RunError::Sim)?;
    let mut rng = crate::rng::Rng::seed_from_u64(params.seed);
    let window = i64::from(params.offline_ms.max(1_000));
    let mut expected = 0i128;
    for node in 0..params.nodes {
        for _ in 0..params.ops_per_node {
            let at = Instant::from_millis(rng.in_range(0, window - 1));
            let by = 1 + rng.below(5);
            let op = if rng.chance(0.3) {
                expected -= i128::from(by);
                CounterOp::Decrement(by)
            } else {
                expected += i128::from(by);
                CounterOp::Increment(by)
            };
            sim.schedule_operation(at, NodeId(node), op)
                .map_err(RunError::Sim)?;
        }
    }
    let mut end = Instant::from_millis(window + 10 * i64::from(params.gossip_ms) + 1_000);
    sim.run_until(end);
    let agree = |sim: &Simulation<CounterReplica>| {
        let first = sim.node(NodeId(0)).map(CounterReplica::state);
        (1..params.nodes).all(|i| sim.node(NodeId(i)).map(CounterReplica::state) == first)
    };
    for _ in 0..EXTRA_ROUNDS {
        if agree(&sim) {
            break;
        }
        end += period;
        sim.run_until(end);
    }
    let finals: Vec<PnCounter> = (0..params.nodes)
        .filter_map(|i| sim.node(NodeId(i)).map(|r| r.state().clone()))
        .collect();
    let outputs = sim.outputs().to_vec();
    let converged = finals.iter().all(|s| s.value() == expected);
    let converged_at = converged.then(|| outputs.last().map_or(Instant::ZERO, |r| r.at));
    Ok(Report {
        outputs,
        finals,
        expected,
        converged_at,
        trace: sim.finish(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offline_replica_catches_up_only_after_the_partition_heals() {
        let p = Params::default();
        let r = run(&p).unwrap();
        let last = p.last();
        let merges_into_last: Vec<Instant> = r
            .outputs
            .iter()
            .filter(|o| o.node == last && matches!(o.output, CounterOutput::Merged { .. }))
            .map(|o| o.at)
            .collect();
        assert!(!merges_into_last.is_empty());
        assert!(merges_into_last
            .iter()
            .all(|&t| t >= Instant::from_millis(p.offline_ms.into())));
        assert!(r.finals.iter().all(|s| s.value() == r.expected));
        assert!(r.converged_at.is_some());
    }

    #[test]
    fn params_are_validated_and_clamped() {
        let bad = Params {
            nodes: 0,
            gossip_ms: 0,
            ..Params::default()
        };
        assert_eq!(
            run(&bad).unwrap_err(),
            RunError::Param(ParamError {
                name: "nodes",
                given: 0
            })
        );
        let (p, notes) = bad.clamp();
        assert_eq!(notes.len(), 2);
        assert!(run(&p).is_ok());
        for (name, lossy) in [
            (
                "loss",
                Params {
                    loss_percent: 51,
                    ..Params::default()
                },
            ),
            (
                "dup",
                Params {
                    duplicate_percent: 51,
                    ..Params::default()
                },
            ),
        ] {
            assert_eq!(
                run(&lossy).unwrap_err(),
                RunError::Param(ParamError { name, given: 51 })
            );
            let (p, notes) = lossy.clamp();
            assert_eq!(
                (p.loss_percent.max(p.duplicate_percent), notes.len()),
                (50, 1)
            );
        }
    }

    #[test]
    fn lost_and_duplicated_gossip_is_repaired_and_merged_idempotently() {
        use crate::trace::{DropReason, MessageFate};
        let p = Params {
            nodes: 2,
            loss_percent: 50,
            duplicate_percent: 50,
            gossip_ms: 400,
            ..Params::default()
        };
        let r = run(&p).unwrap();
        let messages = r.trace.messages();
        let lost = messages
            .iter()
            .filter(|m| m.fate == MessageFate::Dropped(DropReason::Lost))
            .count();
        let copies = messages.iter().filter(|m| m.duplicate_of.is_some()).count();
        assert!(
            lost > messages.len() / 5,
            "{lost} of {} lost",
            messages.len()
        );
        assert!(copies > messages.len() / 10, "{copies} duplicates");
        assert_eq!(r.finals[0], r.finals[1]);
        assert!(r.finals.iter().all(|s| s.value() == r.expected));
        assert!(r.converged_at.is_some());
        // No loss and no duplicates by default.
        let clean = run(&Params::default()).unwrap();
        assert!(clean
            .trace
            .messages()
            .iter()
            .all(|m| m.duplicate_of.is_none() && m.fate != MessageFate::Dropped(DropReason::Lost)));
    }
}
