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
use alloc::vec::Vec;

mod params;
pub use params::*;

use crate::ledger::backup::BackupPart;
use crate::ledger::live::{self, Dated};
use crate::ledger::replica::{LedgerOp, LedgerOutput, Replica};
use crate::ledger::state::ReplicaState;
use crate::ledger::verdict::{self, Evidence, Verdict};
use crate::node::NodeId;
use crate::rng::Rng;
use crate::sim::{Latency, Network, Partition, Reported, SimConfig, Simulation};
use crate::snapshot::chandy_lamport::SnapshotId;
use crate::time::{Instant, Span};
use crate::trace::Trace;

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
    /// The same verdicts, each with the instant it first broke (see [`live`]).
    pub dated: Vec<Dated>,
    /// When the run ended (true time).
    pub end: Instant,
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
    /// The verdicts as they stand at true time `t`, in [`verdict::NAMES`] order: a broken
    /// one reads broken from the instant its first evidence was reported, holding before
    /// (for a badge that turns red the moment an invariant breaks).
    ///
    /// ```
    /// use chronoscope::scenario::ledger::{self, Params};
    /// use chronoscope::time::Instant;
    /// let run = ledger::run(&Params { fencing: false, ..Params::default() }).unwrap();
    /// let at = run.broken_at("committed stable").expect("the stale leader overwrote a commit");
    /// assert!(at > Instant::ZERO);
    /// assert!(run.verdicts_at(at - chronoscope::time::Span::from_nanos(1)).iter().all(|v| v.holds()));
    /// assert!(!run.holds_at("committed stable", at).unwrap());
    /// ```
    pub fn verdicts_at(&self, t: Instant) -> Vec<Verdict> {
        self.dated.iter().map(|d| d.at(t)).collect()
    }
    /// Whether the verdict called `name` holds at true time `t` (`None`: no such verdict).
    pub fn holds_at(&self, name: &str, t: Instant) -> Option<bool> {
        self.dated
            .iter()
            .find(|d| d.verdict.name == name)
            .map(|d| d.holds_at(t))
    }
    /// When the verdict called `name` first broke (`None`: it held, or no such verdict).
    pub fn broken_at(&self, name: &str) -> Option<Instant> {
        self.dated
            .iter()
            .find(|d| d.verdict.name == name)
            .and_then(|d| d.broken_at)
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
    let evidence = Evidence {
        replicas: &refs,
        outputs: &outputs,
        trace: &trace,
        settled: true,
    };
    let verdicts = verdict::judge(evidence);
    let end = params.end();
    let dated = live::date(evidence, &verdicts, end);
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
        dated,
        end,
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
        let mut named: Vec<&str> = notes.iter().map(|a| a.name).collect();
        named.dedup();
        assert_eq!(
            named,
            ["replicas", "lease", "tick", "jump", "crash", "tick", "lat_max", "crash"],
            "{notes:?}"
        );
        assert_eq!(p.validate(), Ok(()));
        assert_eq!((p.replicas, p.lease_ms, p.tick_ms), (1, 100, 25));
        assert_eq!(
            (p.latency_max_ms, p.jump_ms, p.crash_replica),
            (50, -600_000, 0)
        );
    }

    #[test]
    fn the_spec_declares_every_knob_once_and_its_defaults_are_in_range() {
        let keys: Vec<&str> = SPEC.params().map(|p| p.key).collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!((keys.len(), sorted.len()), (22, 22));
        assert_eq!(Params::default().clamp().1, []);
        let (p, notes) = SPEC.read([("tick", "500"), ("lease", "1000"), ("crash", "3")]);
        assert_eq!((p.tick_ms, p.crash_replica), (250, 2));
        assert_eq!(notes.len(), 2, "{notes:?}");
    }
}
