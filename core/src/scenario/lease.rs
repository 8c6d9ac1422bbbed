//! The Leases lab's run (the source document's lease manager): worker A takes a lease,
//! passes its validity check, and is paused (GC) right then; worker B asks for the lease,
//! gets it when A's expires on the server's clock, and writes; A wakes up and writes with its
//! old token. With fencing the store rejects A; without, A's stale write lands after B's.
//!
//! A's clock can also drift (or the server's): the lease is measured on each side's own
//! clock, so a slow worker clock believes the lease longer than the server does — the run
//! reports that window ([`Run::drift_overlap`]) and whether a safety margin closes it.

use alloc::vec::Vec;
use core::ops::RangeInclusive;

use super::happens_before::lat_max_at_least_min;
use super::params::{dup, int, lat_max, lat_min, loss, other, seed, span, Adjustment, Kind, Spec};
use crate::clock::PhysicalClock;
use crate::lease::fenced_lock::{LeaseNode, LeaseOp, LeaseOutput, WorkerPlan, SERVER};
use crate::lease::fencing::{Accepted, Fencing};
use crate::node::NodeId;
use crate::sim::{Latency, Network, SimConfig, SimError, Simulation};
use crate::time::{Instant, Span};
use crate::trace::Trace;

/// Worker A.
pub const WORKER_A: NodeId = NodeId(1);
/// Worker B.
pub const WORKER_B: NodeId = NodeId(2);

/// Allowed durations (lease, pause, delays, margin), ms.
pub const DURATION_MS: RangeInclusive<u32> = 0..=600_000;
/// Allowed lease lengths, ms.
pub const LEASE_MS: RangeInclusive<u32> = 1..=600_000;
/// Allowed work times (check → write), ms.
pub const WORK_MS: RangeInclusive<u32> = 1..=60_000;
/// Allowed latencies, ms.
pub const LATENCY_MS: RangeInclusive<u32> = 0..=5_000;
/// Allowed loss and duplication probabilities, percent.
pub const FAULT_PERCENT: RangeInclusive<u32> = 0..=50;
/// Allowed clock drifts, ppm (±50 %).
pub const DRIFT_PPM: RangeInclusive<i32> = -500_000..=500_000;

/// The knobs of a lease run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    /// The seed (latencies).
    pub seed: u64,
    /// Whether the store checks fencing tokens.
    pub fencing: bool,
    /// Lease duration, ms.
    pub lease_ms: u32,
    /// A's GC pause, starting right after its validity check, ms (0: none).
    pub pause_ms: u32,
    /// A checks its lease this long after the grant (its clock), ms.
    pub a_write_after_ms: u32,
    /// B asks for the lease at this true time, ms.
    pub b_acquire_ms: u32,
    /// B checks and writes this long after its grant, ms.
    pub b_write_after_ms: u32,
    /// Work between check and write, ms.
    pub work_ms: u32,
    /// A's clock drift, ppm (negative: slow).
    pub a_drift_ppm: i32,
    /// The server's clock drift, ppm.
    pub server_drift_ppm: i32,
    /// Workers' safety margin, ms.
    pub margin_ms: u32,
    /// Shortest one-way latency, ms.
    pub latency_min_ms: u32,
    /// Longest one-way latency, ms.
    pub latency_max_ms: u32,
    /// The first fencing token.
    pub first_token: u64,
    /// Message loss, percent.
    pub loss_percent: u32,
    /// Message duplication, percent.
    pub duplicate_percent: u32,
}

impl Default for Params {
    /// The source document's run: a 5 s lease, a 10 s GC pause, fencing on.
    fn default() -> Self {
        Params {
            seed: 1,
            fencing: true,
            lease_ms: 5_000,
            pause_ms: 10_000,
            a_write_after_ms: 1_000,
            b_acquire_ms: 2_000,
            b_write_after_ms: 1_000,
            work_ms: 10,
            a_drift_ppm: 0,
            server_drift_ppm: 0,
            margin_ms: 0,
            latency_min_ms: 1,
            latency_max_ms: 5,
            first_token: 101,
            loss_percent: 0,
            duplicate_percent: 0,
        }
    }
}

/// Why a lease run could not start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeaseScenarioError {
    /// A parameter is outside its range (its URL name).
    OutOfRange(&'static str),
    /// The simulator refused the configuration.
    Sim(SimError),
}

impl core::fmt::Display for LeaseScenarioError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            LeaseScenarioError::OutOfRange(n) => write!(f, "parameter {n} is out of range"),
            LeaseScenarioError::Sim(e) => write!(f, "simulator: {e}"),
        }
    }
}

impl core::error::Error for LeaseScenarioError {}

/// The parameters, declared once: URL keys, ranges, labels and help.
pub static SPEC: Spec<Params> = Spec {
    fields: &[
        other(
            "fencing",
            "fencing tokens checked by the store",
            Kind::Switch,
            "the store refuses writes with an older token than it has seen",
            |p| p.fencing.into(),
            |p, v| p.fencing = v != 0,
        ),
        int(
            "lease",
            "lease",
            "ms",
            span(&LEASE_MS),
            "how long a granted lease lasts",
            |p| p.lease_ms.into(),
            |p, v| p.lease_ms = v as u32,
        ),
        int(
            "pause",
            "B's GC pause",
            "ms",
            span(&DURATION_MS),
            "how long B freezes after checking its lease",
            |p| p.pause_ms.into(),
            |p, v| p.pause_ms = v as u32,
        ),
        int(
            "a_write",
            "B checks after",
            "ms",
            span(&DURATION_MS),
            "when B checks its lease and starts writing",
            |p| p.a_write_after_ms.into(),
            |p, v| p.a_write_after_ms = v as u32,
        ),
        int(
            "work",
            "work before writing",
            "ms",
            span(&WORK_MS),
            "how long a write takes to prepare",
            |p| p.work_ms.into(),
            |p, v| p.work_ms = v as u32,
        ),
        int(
            "b_acquire",
            "C asks at",
            "ms",
            span(&DURATION_MS),
            "when C asks for the lease",
            |p| p.b_acquire_ms.into(),
            |p, v| p.b_acquire_ms = v as u32,
        ),
        int(
            "b_write",
            "C writes after",
            "ms",
            span(&DURATION_MS),
            "how long after its grant C writes",
            |p| p.b_write_after_ms.into(),
            |p, v| p.b_write_after_ms = v as u32,
        ),
        int(
            "a_drift",
            "B's clock drift",
            "ppm",
            (*DRIFT_PPM.start() as i64, *DRIFT_PPM.end() as i64),
            "B's clock rate error (negative = slow)",
            |p| p.a_drift_ppm.into(),
            |p, v| p.a_drift_ppm = v as i32,
        ),
        int(
            "server_drift",
            "server's clock drift",
            "ppm",
            (*DRIFT_PPM.start() as i64, *DRIFT_PPM.end() as i64),
            "the lock server's clock rate error",
            |p| p.server_drift_ppm.into(),
            |p, v| p.server_drift_ppm = v as i32,
        ),
        int(
            "margin",
            "safety margin",
            "ms",
            span(&DURATION_MS),
            "holders stop this long before their lease ends",
            |p| p.margin_ms.into(),
            |p, v| p.margin_ms = v as u32,
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
            "token",
            "first token",
            "",
            (1, u32::MAX as i64),
            "the first fencing token the server hands out",
            |p| p.first_token.into(),
            |p, v| p.first_token = v as u64,
        ),
        loss(
            span(&FAULT_PERCENT),
            |p| p.loss_percent.into(),
            |p, v| p.loss_percent = v as u32,
        ),
        dup(
            span(&FAULT_PERCENT),
            |p| p.duplicate_percent.into(),
            |p, v| p.duplicate_percent = v as u32,
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
    /// Checks every parameter against its range (see [`SPEC`]).
    pub fn validate(&self) -> Result<(), LeaseScenarioError> {
        match SPEC.first_invalid(self) {
            Some(key) => Err(LeaseScenarioError::OutOfRange(key)),
            None => Ok(()),
        }
    }

    /// Brings every parameter into its range, reporting each change (see [`SPEC`]).
    pub fn clamp(self) -> (Params, Vec<Adjustment>) {
        SPEC.clamp(self)
    }

    fn ms(v: u32) -> Span {
        Span::from_millis(v.into())
    }

    fn plan(&self, write_after: u32) -> WorkerPlan {
        WorkerPlan {
            duration: Self::ms(self.lease_ms),
            write_after: Self::ms(write_after),
            work: Self::ms(self.work_ms),
            margin: Self::ms(self.margin_ms),
        }
    }
}

/// One line of the run's story.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Happening {
    /// A protocol output.
    Output(LeaseOutput),
    /// The node froze (GC pause) for this long.
    Paused(Span),
}

/// One line with where and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// True time.
    pub at: Instant,
    /// The node.
    pub node: NodeId,
    /// What happened.
    pub what: Happening,
}

/// A finished lease run.
#[derive(Clone, Debug)]
pub struct Run {
    /// The trace.
    pub trace: Trace,
    /// What happened, in order.
    pub timeline: Vec<Line>,
    /// Every write the store accepted, in order.
    pub accepted: Vec<Accepted>,
    /// Whether a write landed after a higher token's write (data corrupted).
    pub corrupted: bool,
    /// Whether the store rejected a stale token.
    pub stale_rejected: bool,
    /// True time the server expired A's lease.
    pub server_expired_at: Option<Instant>,
    /// True time A's own clock reached its lease deadline.
    pub a_believed_until: Option<Instant>,
    /// True time the server granted the lease to B.
    pub b_granted_at: Option<Instant>,
}

impl Run {
    /// How long A believed (by its clock alone, pauses aside) it held a lease the server had
    /// already given to B; zero when the clocks kept the views apart.
    pub fn drift_overlap(&self) -> Span {
        match (self.a_believed_until, self.b_granted_at) {
            (Some(a), Some(b)) => a.since(b).max(Span::ZERO),
            _ => Span::ZERO,
        }
    }
}

/// The true time at which `clock` reads `local` (inverting the drift model).
fn true_time_at(clock: &PhysicalClock, local: Instant) -> Instant {
    let rate = 1.0 + clock.drift_ppm() * 1e-6;
    let rate = if rate > 1e-3 { rate } else { 1e-3 };
    let base = local.since(Instant::ZERO) - clock.offset();
    Instant::ZERO + base.mul_f64(1.0 / rate)
}

/// Runs the scenario; out-of-range parameters are refused (see [`Params::clamp`]).
///
/// ```
/// use chronoscope::scenario::lease::{self, Params};
/// let fenced = lease::run(&Params::default()).unwrap(); // 5 s lease, 10 s GC pause
/// assert!(fenced.stale_rejected && !fenced.corrupted);
/// let unfenced = lease::run(&Params { fencing: false, ..Params::default() }).unwrap();
/// assert!(unfenced.corrupted);
/// ```
pub fn run(params: &Params) -> Result<Run, LeaseScenarioError> {
    params.validate()?;
    let fencing = if params.fencing {
        Fencing::On
    } else {
        Fencing::Off
    };
    let nodes = alloc::vec![
        LeaseNode::server(params.first_token, fencing),
        LeaseNode::worker(params.plan(params.a_write_after_ms), 1),
        LeaseNode::worker(params.plan(params.b_write_after_ms), 2),
    ];
    let clocks = alloc::vec![
        PhysicalClock::new(Span::ZERO, f64::from(params.server_drift_ppm)),
        PhysicalClock::new(Span::ZERO, f64::from(params.a_drift_ppm)),
        PhysicalClock::perfect(),
    ];
    let config = SimConfig {
        seed: params.seed,
        network: Network {
            latency: Latency::Uniform {
                min: Params::ms(params.latency_min_ms),
                max: Params::ms(params.latency_max_ms),
            },
            loss: f64::from(params.loss_percent) / 100.0,
            duplicate: f64::from(params.duplicate_percent) / 100.0,
            ..Network::default()
        },
        clocks,
        labels: true,
    };
    let mut sim = Simulation::new(nodes, config).map_err(LeaseScenarioError::Sim)?;
    let sim_err = LeaseScenarioError::Sim;
    sim.schedule_operation(Instant::ZERO, WORKER_A, LeaseOp::Acquire)
        .map_err(sim_err)?;
    sim.schedule_operation(
        Instant::ZERO + Params::ms(params.b_acquire_ms),
        WORKER_B,
        LeaseOp::Acquire,
    )
    .map_err(sim_err)?;
    let mut timeline = Vec::new();
    let mut seen = 0;
    let mut paused = params.pause_ms == 0;
    while sim.step() {
        let fresh: Vec<_> = sim.outputs()[seen..].to_vec();
        seen = sim.outputs().len();
        for r in fresh {
            timeline.push(Line {
                at: r.at,
                node: r.node,
                what: Happening::Output(r.output.clone()),
            });
            let a_checked =
                r.node == WORKER_A && matches!(r.output, LeaseOutput::CheckPassed { .. });
            if a_checked && !paused {
                paused = true;
                let span = Params::ms(params.pause_ms);
                sim.schedule_pause(r.at, WORKER_A, span).map_err(sim_err)?;
                timeline.push(Line {
                    at: r.at,
                    node: WORKER_A,
                    what: Happening::Paused(span),
                });
            }
        }
    }
    let find = |pred: &dyn Fn(&Line) -> bool| timeline.iter().find(|l| pred(l)).map(|l| l.at);
    let a_expiry = timeline.iter().find_map(|l| match l.what {
        Happening::Output(LeaseOutput::Acquired { local_expiry, .. }) if l.node == WORKER_A => {
            Some(local_expiry)
        }
        _ => None,
    });
    let a_clock = sim
        .clock(WORKER_A)
        .cloned()
        .unwrap_or_else(PhysicalClock::perfect);
    let store = sim.node(SERVER).and_then(LeaseNode::store);
    let accepted = store.map(|s| s.history().to_vec()).unwrap_or_default();
    let corrupted = store.is_some_and(|s| s.out_of_order());
    Ok(Run {
        stale_rejected: find(&|l| {
            matches!(
                l.what,
                Happening::Output(LeaseOutput::Rejected {
                    error: crate::lease::fencing::WriteError::StaleToken { .. },
                    ..
                })
            )
        })
        .is_some(),
        server_expired_at: find(
            &|l| matches!(l.what, Happening::Output(LeaseOutput::Expired { holder, .. }) if holder == WORKER_A),
        ),
        b_granted_at: find(
            &|l| matches!(l.what, Happening::Output(LeaseOutput::Granted { to, .. }) if to == WORKER_B),
        ),
        a_believed_until: a_expiry.map(|e| true_time_at(&a_clock, e)),
        accepted,
        corrupted,
        timeline,
        trace: sim.finish(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documents_run_rejects_the_stale_write() {
        let run = run(&Params::default()).unwrap();
        assert!(run.stale_rejected);
        assert!(!run.corrupted);
        assert_eq!(run.accepted.len(), 1);
        assert_eq!(run.accepted[0].token, 102);
    }

    #[test]
    fn without_fencing_the_stale_write_corrupts() {
        let run = run(&Params {
            fencing: false,
            ..Params::default()
        })
        .unwrap();
        assert!(run.corrupted);
        let tokens: Vec<u64> = run.accepted.iter().map(|a| a.token).collect();
        assert_eq!(tokens, [102, 101]);
    }

    #[test]
    fn clamp_then_validate() {
        let wild = Params {
            lease_ms: 0,
            a_drift_ppm: i32::MIN,
            latency_min_ms: 10,
            latency_max_ms: 2,
            first_token: 0,
            ..Params::default()
        };
        assert!(wild.validate().is_err());
        let (p, notes) = wild.clamp();
        assert_eq!(notes.len(), 4);
        assert_eq!(p.validate(), Ok(()));
    }
}
