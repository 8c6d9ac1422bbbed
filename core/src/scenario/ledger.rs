//! The Chronos ledger's run: replicas append values at random times, a leader elected by a
//! majority lease orders them, snapshots are taken, and the classic failures are scheduled —
//! freeze the leader past its lease (a GC pause, a throttled tab), cut the leader off by a
//! partition that heals, jump the leader's clock, crash a replica and restore it from the
//! latest backup — with message loss and duplication on top. The run ends long after the
//! last fault, so the replicas must agree; the [verdicts](crate::ledger::verdict) say
//! whether they do, and whether anything broke on the way.
//!
//! Channels are FIFO (Chandy-Lamport's assumption); latency is random per message, so a
//! reply routed through a fast replica can still overtake its question on a slow link —
//! what causal delivery is for.

use alloc::boxed::Box;
use alloc::format;
use alloc::vec::Vec;
use core::ops::RangeInclusive;

use super::happens_before::Adjustment;
use crate::ledger::backup::BackupPart;
use crate::ledger::replica::{LedgerConfig, LedgerOp, LedgerOutput, Replica};
use crate::ledger::state::ReplicaState;
use crate::ledger::verdict::{self, Evidence, Verdict};
use crate::node::NodeId;
use crate::rng::Rng;
use crate::sim::{Latency, Network, Partition, Reported, SimConfig, SimError, Simulation};
use crate::snapshot::chandy_lamport::SnapshotId;
use crate::time::{Instant, Span};
use crate::trace::Trace;

/// Allowed replica counts.
pub const REPLICAS: RangeInclusive<u32> = 1..=9;
/// Allowed append counts.
pub const APPENDS: RangeInclusive<u32> = 0..=5_000;
/// Allowed lease durations, ms.
pub const LEASE_MS: RangeInclusive<u32> = 100..=60_000;
/// Allowed ticks (batch windows), ms.
pub const TICK_MS: RangeInclusive<u32> = 1..=1_000;
/// Allowed latencies, ms.
pub const LATENCY_MS: RangeInclusive<u32> = 0..=1_000;
/// Allowed loss and duplication, percent.
pub const FAULT_PERCENT: RangeInclusive<u32> = 0..=30;
/// Allowed fault times and lengths, ms.
pub const SPAN_MS: RangeInclusive<u32> = 0..=600_000;
/// Allowed clock jumps, ms (either way).
pub const JUMP_MS: RangeInclusive<i32> = -600_000..=600_000;
/// Allowed snapshot counts.
pub const SNAPSHOTS: RangeInclusive<u32> = 0..=20;
/// Appends start at this true time (after the first election).
pub const START_MS: u32 = 1_000;

/// The knobs of a ledger run (all times are true times in ms from the start of appends;
/// a length of 0 switches the fault off).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    /// The seed (latencies, losses, who appends when).
    pub seed: u64,
    /// Number of replicas.
    pub replicas: u32,
    /// Number of appends.
    pub appends: u32,
    /// Appends are spread over this window, ms.
    pub window_ms: u32,
    /// Replicas fence off stale tokens.
    pub fencing: bool,
    /// Causal delivery of appends.
    pub causal: bool,
    /// Lease duration, ms.
    pub lease_ms: u32,
    /// Tick (leader batch window), ms.
    pub tick_ms: u32,
    /// Shortest one-way latency, ms.
    pub latency_min_ms: u32,
    /// Longest one-way latency, ms.
    pub latency_max_ms: u32,
    /// Message loss, percent.
    pub loss_percent: u32,
    /// Message duplication, percent.
    pub duplicate_percent: u32,
    /// Freeze whoever leads at `freeze_at_ms` for this long, ms.
    pub freeze_ms: u32,
    /// When, ms.
    pub freeze_at_ms: u32,
    /// Cut whoever leads at `partition_at_ms` off for this long, ms.
    pub partition_ms: u32,
    /// When, ms.
    pub partition_at_ms: u32,
    /// Jump the clock of whoever leads at `jump_at_ms` by this much (negative: back), ms.
    pub jump_ms: i32,
    /// When, ms.
    pub jump_at_ms: u32,
    /// Crash this replica (index) at `crash_at_ms`…
    pub crash_replica: u32,
    /// …at this time, ms…
    pub crash_at_ms: u32,
    /// …and restore it from the latest complete backup this long after, ms (0: no crash).
    pub restore_after_ms: u32,
    /// Snapshots, started at even intervals over the window by replicas in turn.
    pub snapshots: u32,
}

impl Default for Params {
    /// Three replicas, 30 appends, one snapshot, the leader frozen past its lease.
    fn default() -> Self {
        Params {
            seed: 7,
            replicas: 3,
            appends: 30,
            window_ms: 3_000,
            fencing: true,
            causal: true,
            lease_ms: 600,
            tick_ms: 20,
            latency_min_ms: 2,
            latency_max_ms: 20,
            loss_percent: 0,
            duplicate_percent: 0,
            freeze_ms: 1_500,
            freeze_at_ms: 1_200,
            partition_ms: 0,
            partition_at_ms: 0,
            jump_ms: 0,
            jump_at_ms: 0,
            crash_replica: 2,
            crash_at_ms: 0,
            restore_after_ms: 0,
            snapshots: 1,
        }
    }
}

/// Why a ledger run could not start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LedgerScenarioError {
    /// A parameter is outside its range (its URL name).
    OutOfRange(&'static str),
    /// The simulator refused the configuration.
    Sim(SimError),
}

impl core::fmt::Display for LedgerScenarioError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            LedgerScenarioError::OutOfRange(n) => write!(f, "parameter {n} is out of range"),
            LedgerScenarioError::Sim(e) => write!(f, "simulator: {e}"),
        }
    }
}

impl core::error::Error for LedgerScenarioError {}

impl Params {
    fn u32_fields(&mut self) -> [(&'static str, &mut u32, RangeInclusive<u32>); 18] {
        let min = self
            .latency_min_ms
            .clamp(*LATENCY_MS.start(), *LATENCY_MS.end());
        let lease = self.lease_ms.clamp(*LEASE_MS.start(), *LEASE_MS.end());
        let replicas = self.replicas.clamp(*REPLICAS.start(), *REPLICAS.end());
        [
            ("replicas", &mut self.replicas, REPLICAS),
            ("appends", &mut self.appends, APPENDS),
            ("window", &mut self.window_ms, 1..=*SPAN_MS.end()),
            ("lease", &mut self.lease_ms, LEASE_MS),
            // The leader must tick several times per lease to renew it.
            (
                "tick",
                &mut self.tick_ms,
                *TICK_MS.start()..=(lease / 4).min(*TICK_MS.end()),
            ),
            ("lat_min", &mut self.latency_min_ms, LATENCY_MS),
            ("lat_max", &mut self.latency_max_ms, min..=*LATENCY_MS.end()),
            ("loss", &mut self.loss_percent, FAULT_PERCENT),
            ("dup", &mut self.duplicate_percent, FAULT_PERCENT),
            ("freeze", &mut self.freeze_ms, SPAN_MS),
            ("freeze_at", &mut self.freeze_at_ms, SPAN_MS),
            ("partition", &mut self.partition_ms, SPAN_MS),
            ("partition_at", &mut self.partition_at_ms, SPAN_MS),
            ("jump_at", &mut self.jump_at_ms, SPAN_MS),
            ("crash", &mut self.crash_replica, 0..=replicas - 1),
            ("crash_at", &mut self.crash_at_ms, SPAN_MS),
            ("restore_after", &mut self.restore_after_ms, SPAN_MS),
            ("snapshots", &mut self.snapshots, SNAPSHOTS),
        ]
    }

    /// Checks every parameter against its range.
    pub fn validate(&self) -> Result<(), LedgerScenarioError> {
        let mut copy = self.clone();
        for (name, value, range) in copy.u32_fields() {
            if !range.contains(value) {
                return Err(LedgerScenarioError::OutOfRange(name));
            }
        }
        if !JUMP_MS.contains(&self.jump_ms) {
            return Err(LedgerScenarioError::OutOfRange("jump"));
        }
        Ok(())
    }

    /// Brings every parameter into its range, reporting each change.
    pub fn clamp(mut self) -> (Params, Vec<Adjustment>) {
        let mut notes = Vec::new();
        for (name, value, range) in self.u32_fields() {
            let clamped = (*value).clamp(*range.start(), *range.end());
            if clamped != *value {
                notes.push(Adjustment {
                    name,
                    given: format!("{value}"),
                    used: format!("{clamped}"),
                });
                *value = clamped;
            }
        }
        let j = self.jump_ms.clamp(*JUMP_MS.start(), *JUMP_MS.end());
        if j != self.jump_ms {
            notes.push(Adjustment {
                name: "jump",
                given: format!("{}", self.jump_ms),
                used: format!("{j}"),
            });
            self.jump_ms = j;
        }
        (self, notes)
    }

    /// The replicas' settings.
    pub fn config(&self) -> LedgerConfig {
        let lease = ms(self.lease_ms);
        LedgerConfig {
            replicas: self.replicas as usize,
            fencing: self.fencing,
            causal: self.causal,
            lease,
            margin: lease.mul_f64(0.1),
            tick: ms(self.tick_ms),
            jitter: lease.mul_f64(0.4),
            first_token: 101,
            resend_ticks: 10,
        }
    }

    fn at(&self, offset_ms: u32) -> Instant {
        Instant::from_millis(i64::from(START_MS) + i64::from(offset_ms))
    }

    /// When the run ends: well after the window and the last fault, so agreement is due.
    pub fn end(&self) -> Instant {
        let mut last = self.window_ms;
        for (at, len) in [
            (self.freeze_at_ms, self.freeze_ms),
            (self.partition_at_ms, self.partition_ms),
            (self.crash_at_ms, self.restore_after_ms),
        ] {
            if len > 0 {
                last = last.max(at.saturating_add(len));
            }
        }
        if self.jump_ms != 0 {
            last = last.max(self.jump_at_ms.saturating_add(self.jump_ms.unsigned_abs()));
        }
        self.at(last) + Span::from_millis(1_000).max(ms(self.lease_ms).mul_f64(10.0))
    }
}

fn ms(v: u32) -> Span {
    Span::from_millis(v.into())
}

/// A fault the scenario applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The node froze (GC pause) for this long.
    Freeze(Span),
    /// The node was cut off from the others for this long.
    Partition(Span),
    /// The node's clock jumped.
    ClockJump(Span),
    /// A snapshot was started here.
    Snapshot(SnapshotId),
    /// The node crashed.
    Crash,
    /// The node was restored (from this backup, or empty when none was complete).
    Restore(Option<SnapshotId>),
}

/// One line of the run's story.
#[derive(Clone, Debug)]
pub enum Happening {
    /// A replica's output.
    Output(LedgerOutput),
    /// A fault the scenario applied.
    Fault(Fault),
}

/// One line with where and when.
#[derive(Clone, Debug)]
pub struct Line {
    /// True time.
    pub at: Instant,
    /// The node.
    pub node: NodeId,
    /// What happened.
    pub what: Happening,
}

/// One lease on the timeline (true times).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeaseSpan {
    /// Its token.
    pub token: u64,
    /// The holder.
    pub holder: NodeId,
    /// When it was elected.
    pub from: Instant,
    /// When it stepped down (`None`: still leading at the end).
    pub until: Option<Instant>,
}

/// One replica's point on a snapshot's cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CutPoint {
    /// The replica.
    pub node: NodeId,
    /// True time it recorded.
    pub at: Instant,
    /// Its trace event.
    pub event: crate::trace::EventId,
    /// The log length recorded.
    pub log_len: u64,
}

/// A snapshot's cut.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cut {
    /// The snapshot.
    pub id: SnapshotId,
    /// Every replica that recorded.
    pub points: Vec<CutPoint>,
    /// Whether every replica finished its part (a backup exists).
    pub complete: bool,
}

/// A finished run.
#[derive(Clone, Debug)]
pub struct Run {
    /// The parameters used.
    pub params: Params,
    /// The trace.
    pub trace: Trace,
    /// Outputs and faults, in order.
    pub timeline: Vec<Line>,
    /// Everything replicas reported.
    pub outputs: Vec<Reported<LedgerOutput>>,
    /// Each replica's final state, by index.
    pub replicas: Vec<Replica>,
    /// The leases, in election order.
    pub leases: Vec<LeaseSpan>,
    /// The snapshots' cuts.
    pub cuts: Vec<Cut>,
    /// The invariant verdicts, in [`verdict::NAMES`] order.
    pub verdicts: Vec<Verdict>,
}

impl Run {
    /// The verdict called `name`.
    pub fn verdict(&self, name: &str) -> Option<&Verdict> {
        self.verdicts.iter().find(|v| v.name == name)
    }
    /// Whether every verdict holds.
    pub fn all_hold(&self) -> bool {
        self.verdicts.iter().all(Verdict::holds)
    }
    /// Whether a stale leader's shipment was refused somewhere.
    pub fn stale_rejected(&self) -> bool {
        self.outputs
            .iter()
            .any(|r| matches!(r.output, LedgerOutput::Rejected { .. }))
    }
}

fn leader_at(sim: &Simulation<Replica>, n: u32) -> Option<NodeId> {
    (0..n)
        .map(NodeId)
        .filter(|&id| {
            sim.node(id)
                .is_some_and(|r| r.leading().is_some() && !r.is_down())
        })
        .max_by_key(|&id| sim.node(id).and_then(Replica::leading).map(|l| l.0))
}

#[derive(Clone, Copy)]
enum Planned {
    Freeze,
    Partition,
    Jump,
    Crash,
    Restore,
    Snapshot(u32),
}

/// Runs the scenario; out-of-range parameters are refused (see [`Params::clamp`]).
///
/// ```
/// use chronoscope::scenario::ledger::{self, Params};
/// let run = ledger::run(&Params::default()).unwrap(); // the leader frozen past its lease
/// assert!(run.stale_rejected() && run.all_hold());
/// ```
pub fn run(params: &Params) -> Result<Run, LedgerScenarioError> {
    run_with(params, true)
}

/// [`run`], choosing whether trace events get text labels (off: faster, for tests and
/// benchmarks).
pub fn run_with(params: &Params, labels: bool) -> Result<Run, LedgerScenarioError> {
    params.validate()?;
    let n = params.replicas;
    let config = params.config();
    let nodes = (0..n).map(|_| Replica::new(config)).collect();
    let sim_config = SimConfig {
        seed: params.seed,
        network: Network {
            latency: Latency::Uniform {
                min: ms(params.latency_min_ms),
                max: ms(params.latency_max_ms),
            },
            loss: f64::from(params.loss_percent) / 100.0,
            duplicate: f64::from(params.duplicate_percent) / 100.0,
            fifo: true,
            ..Network::default()
        },
        clocks: Vec::new(),
        labels,
    };
    let err = LedgerScenarioError::Sim;
    let mut sim = Simulation::new(nodes, sim_config).map_err(err)?;
    // The appends: who and when, from the seed.
    let mut rng = Rng::seed_from_u64(params.seed ^ 0x1ed9e7);
    let window = i64::from(params.window_ms);
    let mut times: Vec<(i64, u32)> = (0..params.appends)
        .map(|_| (rng.in_range(0, window), rng.below(u64::from(n)) as u32))
        .collect();
    times.sort_unstable();
    for (k, (t, node)) in times.into_iter().enumerate() {
        let at = params.at(0) + Span::from_millis(t);
        sim.schedule_operation(at, NodeId(node), LedgerOp::Append(k as u64 + 1))
            .map_err(err)?;
    }
    // The faults, in time order.
    let mut plan: Vec<(Instant, Planned)> = Vec::new();
    if params.freeze_ms > 0 {
        plan.push((params.at(params.freeze_at_ms), Planned::Freeze));
    }
    if params.partition_ms > 0 {
        plan.push((params.at(params.partition_at_ms), Planned::Partition));
    }
    if params.jump_ms != 0 {
        plan.push((params.at(params.jump_at_ms), Planned::Jump));
    }
    if params.restore_after_ms > 0 {
        plan.push((params.at(params.crash_at_ms), Planned::Crash));
        plan.push((
            params.at(params.crash_at_ms.saturating_add(params.restore_after_ms)),
            Planned::Restore,
        ));
    }
    for k in 0..params.snapshots {
        let t =
            (u64::from(params.window_ms) * u64::from(2 * k + 1)) / u64::from(2 * params.snapshots);
        plan.push((params.at(t as u32), Planned::Snapshot(k)));
    }
    plan.sort_by_key(|(at, _)| *at);
    let mut faults: Vec<Line> = Vec::new();
    for (at, what) in plan {
        sim.run_until(at);
        let leader = leader_at(&sim, n);
        let mut line = |node: NodeId, fault: Fault| {
            faults.push(Line {
                at,
                node,
                what: Happening::Fault(fault),
            })
        };
        match what {
            Planned::Freeze => {
                if let Some(l) = leader {
                    let span = ms(params.freeze_ms);
                    sim.schedule_pause(at, l, span).map_err(err)?;
                    line(l, Fault::Freeze(span));
                }
            }
            Planned::Partition => {
                if let Some(l) = leader {
                    let span = ms(params.partition_ms);
                    sim.add_partition(Partition {
                        side: [l].into_iter().collect(),
                        from: at,
                        until: at + span,
                    });
                    line(l, Fault::Partition(span));
                }
            }
            Planned::Jump => {
                if let Some(l) = leader {
                    let by = Span::from_millis(params.jump_ms.into());
                    sim.schedule_clock_jump(at, l, by).map_err(err)?;
                    line(l, Fault::ClockJump(by));
                }
            }
            Planned::Crash => {
                let node = NodeId(params.crash_replica);
                sim.schedule_operation(at, node, LedgerOp::Crash)
                    .map_err(err)?;
                line(node, Fault::Crash);
            }
            Planned::Restore => {
                let node = NodeId(params.crash_replica);
                let latest = verdict::backups(sim.outputs(), n as usize).pop();
                let part = match latest.as_ref().and_then(|b| b.parts.get(&node)) {
                    Some(p) => p.clone(),
                    None => BackupPart {
                        id: SnapshotId(0),
                        node,
                        initiator: node,
                        state: ReplicaState::new(node, params.causal),
                        in_flight: Vec::new(),
                    },
                };
                let from = latest.as_ref().map(|b| b.id);
                sim.schedule_operation(at, node, LedgerOp::Restore(Box::new(part)))
                    .map_err(err)?;
                line(node, Fault::Restore(from));
            }
            Planned::Snapshot(k) => {
                let node = NodeId(k % n);
                let id = SnapshotId(k + 1);
                sim.schedule_operation(at, node, LedgerOp::Snapshot(id))
                    .map_err(err)?;
                line(node, Fault::Snapshot(id));
            }
        }
    }
    sim.run_until(params.end());
    let outputs = sim.outputs().to_vec();
    let replicas: Vec<Replica> = (0..n)
        .filter_map(|i| sim.node(NodeId(i)).cloned())
        .collect();
    let trace = sim.finish();
    let refs: Vec<&Replica> = replicas.iter().collect();
    let verdicts = verdict::judge(Evidence {
        replicas: &refs,
        outputs: &outputs,
        trace: &trace,
        settled: true,
    });
    let mut timeline: Vec<Line> = outputs
        .iter()
        .map(|r| Line {
            at: r.at,
            node: r.node,
            what: Happening::Output(r.output.clone()),
        })
        .collect();
    // Faults go before the outputs of the same instant.
    for f in faults {
        let pos = timeline.partition_point(|l| l.at < f.at);
        timeline.insert(pos, f);
    }
    Ok(Run {
        params: params.clone(),
        leases: leases(&outputs),
        cuts: cuts(&outputs, n as usize),
        verdicts,
        timeline,
        outputs,
        replicas,
        trace,
    })
}

fn leases(outputs: &[Reported<LedgerOutput>]) -> Vec<LeaseSpan> {
    let mut spans: Vec<LeaseSpan> = Vec::new();
    for r in outputs {
        match r.output {
            LedgerOutput::Elected { token, .. } => spans.push(LeaseSpan {
                token,
                holder: r.node,
                from: r.at,
                until: None,
            }),
            LedgerOutput::LeaseExpired { token } | LedgerOutput::Superseded { token, .. } => {
                if let Some(s) = spans
                    .iter_mut()
                    .find(|s| s.token == token && s.holder == r.node && s.until.is_none())
                {
                    s.until = Some(r.at);
                }
            }
            LedgerOutput::Granted { .. } | LedgerOutput::Crashed => {
                // A leader that granted a higher token or crashed stepped down.
                let token = match r.output {
                    LedgerOutput::Granted { token, .. } => token,
                    _ => u64::MAX,
                };
                for s in spans
                    .iter_mut()
                    .filter(|s| s.holder == r.node && s.until.is_none() && s.token < token)
                {
                    s.until = Some(r.at);
                }
            }
            _ => {}
        }
    }
    spans
}

fn cuts(outputs: &[Reported<LedgerOutput>], replicas: usize) -> Vec<Cut> {
    let mut cuts: Vec<Cut> = Vec::new();
    for r in outputs {
        match &r.output {
            LedgerOutput::Recorded { id, log_len, .. } => {
                let point = CutPoint {
                    node: r.node,
                    at: r.at,
                    event: r.event,
                    log_len: *log_len,
                };
                match cuts.iter_mut().find(|c| c.id == *id) {
                    Some(c) => c.points.push(point),
                    None => cuts.push(Cut {
                        id: *id,
                        points: alloc::vec![point],
                        complete: false,
                    }),
                }
            }
            LedgerOutput::BackedUp(_) => {}
            _ => {}
        }
    }
    let complete: Vec<SnapshotId> = verdict::backups(outputs, replicas)
        .into_iter()
        .map(|b| b.id)
        .collect();
    for c in &mut cuts {
        c.complete = complete.contains(&c.id);
    }
    cuts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamp_then_validate() {
        let wild = Params {
            replicas: 0,
            lease_ms: 1,
            tick_ms: 5_000,
            latency_min_ms: 50,
            latency_max_ms: 2,
            jump_ms: i32::MIN,
            crash_replica: 40,
            ..Params::default()
        };
        assert!(wild.validate().is_err());
        let (p, notes) = wild.clamp();
        assert_eq!(notes.len(), 6, "{notes:?}");
        assert_eq!(p.validate(), Ok(()));
    }
}
