//! The Clock-drift lab's run (the source document's `drift_sim`): a few nodes whose quartz
//! clocks drift at up to ± `drift_ppm`, kept together by Cristian's algorithm, by Berkeley,
//! or by nothing, with corrections stepped, slewed or NTP-hybrid, over a network with
//! latency jitter and an optionally asymmetric path out of the leader.
//!
//! The run samples every node's *software* clock every tick (and once just after each sync),
//! so a lab can plot per-node offset from true time and the skew (max − min reading), next
//! to [`Run::bound`]: the skew the sync can promise, `(max − min latency) + asymmetry +
//! 2ρ·(interval + 1 s)`. Parameters come from URLs; [`Params::clamp`] reports every change.

use alloc::collections::BTreeSet;
use alloc::vec::Vec;
use core::ops::RangeInclusive;

use super::happens_before::lat_max_at_least_min;
use super::params::{
    below, dup, index_of, int, lat_max, lat_min, loss, other, seed, span, Adjustment, Kind, Spec,
};
use crate::clock::PhysicalClock;
use crate::node::NodeId;
use crate::protocol::Protocol;
use crate::rng::Rng;
use crate::sim::{Latency, LinkRule, Network, Reported, SimConfig, SimError, Simulation};
use crate::sync::berkeley::{Berkeley, BerkeleyOutput, SyncReport};
use crate::sync::cristian::{Cristian, CristianOutput, Exchange};
use crate::sync::discipline::{Adjust, Disciplined, NTP_STEP_THRESHOLD};
use crate::sync::SyncConfigError;
use crate::time::{Instant, Span};
use crate::trace::Trace;

/// Allowed node counts.
pub const NODES: RangeInclusive<u32> = 2..=8;
/// Allowed drift bounds, ppm (up to 1 %).
pub const DRIFT_PPM: RangeInclusive<u32> = 0..=10_000;
/// Allowed sync intervals, seconds.
pub const INTERVAL_S: RangeInclusive<u32> = 1..=3_600;
/// Allowed run lengths, seconds.
pub const DURATION_S: RangeInclusive<u32> = 1..=7_200;
/// Allowed sampling periods, ms.
pub const TICK_MS: RangeInclusive<u32> = 100..=600_000;
/// Allowed one-way latencies and asymmetry, ms.
pub const LATENCY_MS: RangeInclusive<u32> = 0..=5_000;
/// Allowed initial offset spreads, ms.
pub const INITIAL_SKEW_MS: RangeInclusive<u32> = 0..=600_000;
/// Allowed slew rates, ppm.
pub const SLEW_PPM: RangeInclusive<u32> = 1..=500_000;
/// Allowed outlier thresholds, ms.
pub const OUTLIER_MS: RangeInclusive<u32> = 1..=3_600_000;
/// Allowed clock-jump times, s.
pub const JUMP_AT_S: RangeInclusive<u32> = 0..=7_200;
/// Allowed clock jumps, ms (± one hour).
pub const JUMP_MS: RangeInclusive<i32> = -3_600_000..=3_600_000;
/// Allowed loss and duplication probabilities, percent.
pub const FAULT_PERCENT: RangeInclusive<u32> = 0..=50;
/// The most samples a run records (longer runs are sampled more coarsely).
pub const MAX_SAMPLES: u32 = 5_000;

/// Which synchronisation algorithm runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// None: watch the clocks drift apart.
    None,
    /// Cristian's algorithm against the leader (a perfect reference clock).
    Cristian,
    /// The Berkeley algorithm led by the leader.
    Berkeley,
}

/// How corrections are applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdjustMode {
    /// Step at once.
    Step,
    /// Slew at `slew_ppm`.
    Slew,
    /// NTP: slew below 128 ms, step above.
    Hybrid,
}

/// The knobs of a drift run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    /// Number of nodes.
    pub nodes: u32,
    /// The seed (drift rates, initial offsets and latencies derive from it).
    pub seed: u64,
    /// Each node drifts at a rate drawn uniformly from `[−drift_ppm, +drift_ppm]`.
    pub drift_ppm: u32,
    /// The synchronisation algorithm.
    pub method: Method,
    /// Seconds between syncs.
    pub interval_s: u32,
    /// Length of the run, seconds.
    pub duration_s: u32,
    /// Sampling period, ms.
    pub tick_ms: u32,
    /// Shortest one-way latency, ms.
    pub latency_min_ms: u32,
    /// Longest one-way latency, ms.
    pub latency_max_ms: u32,
    /// Extra delay on every link out of the leader (an asymmetric path), ms.
    pub asymmetry_ms: u32,
    /// Initial offsets are drawn from `[−spread/2, +spread/2]`, ms.
    pub initial_skew_ms: u32,
    /// Step, slew or hybrid.
    pub adjust: AdjustMode,
    /// Slew rate, ppm.
    pub slew_ppm: u32,
    /// Berkeley's outlier threshold, ms.
    pub outlier_ms: u32,
    /// The leader (Berkeley) or time server (Cristian).
    pub leader: u32,
    /// Message loss, percent.
    pub loss_percent: u32,
    /// Message duplication, percent.
    pub duplicate_percent: u32,
    /// A clock jump (an operator's mistake, a VM resume) of this many ms (0: none)…
    pub jump_ms: i32,
    /// …at this true time, s…
    pub jump_at_s: u32,
    /// …on this node.
    pub jump_node: u32,
}

impl Default for Params {
    /// The source document's run: 3 nodes, 50 ppm, Berkeley every 20 s, 5–15 ms latency.
    fn default() -> Self {
        Params {
            nodes: 3,
            seed: 1,
            drift_ppm: 50,
            method: Method::Berkeley,
            interval_s: 20,
            duration_s: 30,
            tick_ms: 5_000,
            latency_min_ms: 5,
            latency_max_ms: 15,
            asymmetry_ms: 0,
            initial_skew_ms: 0,
            adjust: AdjustMode::Step,
            slew_ppm: 500,
            outlier_ms: 1_000,
            leader: 1,
            loss_percent: 0,
            duplicate_percent: 0,
            jump_ms: 0,
            jump_at_s: 0,
            jump_node: 0,
        }
    }
}

/// The lab's defaults: four nodes drifting ±200 ppm from a 100 ms spread, Berkeley every
/// 20 s for two minutes, sampled every second.
pub fn lab_defaults() -> Params {
    Params {
        nodes: 4,
        drift_ppm: 200,
        duration_s: 120,
        tick_ms: 1_000,
        initial_skew_ms: 100,
        interval_s: 20,
        ..Params::default()
    }
}

/// The methods in URL order.
pub const METHODS: [Method; 3] = [Method::None, Method::Cristian, Method::Berkeley];
/// The ways to apply a correction in URL order.
pub const ADJUSTS: [AdjustMode; 3] = [AdjustMode::Step, AdjustMode::Slew, AdjustMode::Hybrid];
/// The largest node index.
const LAST_NODE: (i64, i64) = (0, *NODES.end() as i64 - 1);

/// The parameters, declared once: URL keys, ranges, labels and help.
pub static SPEC: Spec<Params> = Spec {
    fields: &[
        other(
            "method",
            "sync",
            Kind::Choice(&["none", "cristian", "berkeley"]),
            "the synchronisation algorithm",
            |p| index_of(&METHODS, &p.method),
            |p, v| p.method = METHODS[v as usize],
        ),
        other(
            "adjust",
            "correction",
            Kind::Choice(&["step", "slew", "hybrid"]),
            "step at once, slew, or NTP's hybrid (step above 128 ms)",
            |p| index_of(&ADJUSTS, &p.adjust),
            |p, v| p.adjust = ADJUSTS[v as usize],
        ),
        int(
            "nodes",
            "nodes",
            "",
            span(&NODES),
            "how many clocks",
            |p| p.nodes.into(),
            |p, v| p.nodes = v as u32,
        ),
        int(
            "drift",
            "drift ±",
            "ppm",
            span(&DRIFT_PPM),
            "each clock's rate error is drawn within ± this",
            |p| p.drift_ppm.into(),
            |p, v| p.drift_ppm = v as u32,
        ),
        int(
            "skew",
            "initial spread",
            "ms",
            span(&INITIAL_SKEW_MS),
            "initial offsets are drawn within ± half of this",
            |p| p.initial_skew_ms.into(),
            |p, v| p.initial_skew_ms = v as u32,
        ),
        int(
            "interval",
            "sync every",
            "s",
            span(&INTERVAL_S),
            "time between sync rounds",
            |p| p.interval_s.into(),
            |p, v| p.interval_s = v as u32,
        ),
        int(
            "duration",
            "duration",
            "s",
            span(&DURATION_S),
            "length of the run",
            |p| p.duration_s.into(),
            |p, v| p.duration_s = v as u32,
        ),
        int(
            "tick",
            "sample every",
            "ms",
            span(&TICK_MS),
            "sampling period of the plots",
            |p| p.tick_ms.into(),
            |p, v| p.tick_ms = v as u32,
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
            "asym",
            "asymmetry",
            "ms",
            span(&LATENCY_MS),
            "extra delay on every link out of the leader",
            |p| p.asymmetry_ms.into(),
            |p, v| p.asymmetry_ms = v as u32,
        ),
        int(
            "slew",
            "slew rate",
            "ppm",
            span(&SLEW_PPM),
            "how fast a slewed correction is applied",
            |p| p.slew_ppm.into(),
            |p, v| p.slew_ppm = v as u32,
        ),
        int(
            "outlier",
            "outlier",
            "ms",
            span(&OUTLIER_MS),
            "Berkeley leaves out readings further than this from the leader's",
            |p| p.outlier_ms.into(),
            |p, v| p.outlier_ms = v as u32,
        ),
        int(
            "leader",
            "leader/server",
            "",
            LAST_NODE,
            "the Berkeley leader or Cristian's time server (below nodes)",
            |p| p.leader.into(),
            |p, v| p.leader = v as u32,
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
        int(
            "jump",
            "clock jump",
            "ms",
            (*JUMP_MS.start() as i64, *JUMP_MS.end() as i64),
            "one clock jumps by this (0 = no jump)",
            |p| p.jump_ms.into(),
            |p, v| p.jump_ms = v as i32,
        ),
        int(
            "jump_at",
            "jump at",
            "s",
            span(&JUMP_AT_S),
            "when the clock jumps",
            |p| p.jump_at_s.into(),
            |p, v| p.jump_at_s = v as u32,
        ),
        int(
            "jump_node",
            "jump node",
            "",
            LAST_NODE,
            "which clock jumps (below nodes)",
            |p| p.jump_node.into(),
            |p, v| p.jump_node = v as u32,
        ),
        seed(|p| p.seed.into(), |p, v| p.seed = v as u64),
    ],
    defaults: lab_defaults,
    relate: |mut p: Params| {
        let mut notes = Vec::new();
        lat_max_at_least_min(&mut p.latency_min_ms, &mut p.latency_max_ms, &mut notes);
        below("leader", &mut p.leader, p.nodes, &mut notes);
        below("jump_node", &mut p.jump_node, p.nodes, &mut notes);
        (p, notes)
    },
};

/// Why a drift run could not start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DriftError {
    /// A parameter is outside its documented range (its URL name).
    OutOfRange(&'static str),
    /// The simulator refused the configuration.
    Sim(SimError),
}

impl core::fmt::Display for DriftError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            DriftError::OutOfRange(name) => write!(f, "parameter {name} is out of range"),
            DriftError::Sim(e) => write!(f, "simulator: {e}"),
        }
    }
}

impl core::error::Error for DriftError {}

/// A sync constructor's refusal as the URL parameter it came from (only reachable with
/// parameters that were neither validated nor clamped).
fn refused(e: SyncConfigError) -> DriftError {
    DriftError::OutOfRange(match e.param() {
        "max_rate_ppm" => "slew",
        other => other, // "interval", "outlier" (the URL names match)
    })
}

impl Params {
    /// Brings every parameter into its range, reporting each change (see [`SPEC`]).
    pub fn clamp(self) -> (Params, Vec<Adjustment>) {
        SPEC.clamp(self)
    }

    /// Checks every parameter against its range (see [`SPEC`]).
    pub fn validate(&self) -> Result<(), DriftError> {
        match SPEC.first_invalid(self) {
            Some(key) => Err(DriftError::OutOfRange(key)),
            None => Ok(()),
        }
    }

    fn adjust(&self) -> Adjust {
        match self.adjust {
            AdjustMode::Step => Adjust::Step,
            AdjustMode::Slew => Adjust::Slew {
                max_rate_ppm: self.slew_ppm,
            },
            AdjustMode::Hybrid => Adjust::Hybrid {
                max_rate_ppm: self.slew_ppm,
                threshold: NTP_STEP_THRESHOLD,
            },
        }
    }

    /// Each node's physical clock: drift and initial offset drawn from the seed (Cristian's
    /// time server is a perfect reference). A drift no clock accepts (parameters that were
    /// neither validated nor clamped) is refused with [`DriftError::OutOfRange`]`("drift")`,
    /// never clamped here.
    pub fn clocks(&self) -> Result<Vec<PhysicalClock>, DriftError> {
        let mut rng = Rng::seed_from_u64(self.seed ^ 0xD81F_7C10_C4A5_0001);
        let drift = i64::from(self.drift_ppm);
        let half_spread = i64::from(self.initial_skew_ms) * 500_000;
        (0..self.nodes)
            .map(|i| {
                // Drift in steps of 0.01 ppm; offsets in nanoseconds.
                let ppm = rng.in_range(-drift * 100, drift * 100) as f64 / 100.0;
                let offset = Span::from_nanos(rng.in_range(-half_spread, half_spread));
                if self.method == Method::Cristian && i == self.leader {
                    Ok(PhysicalClock::perfect())
                } else {
                    PhysicalClock::try_new(offset, ppm).map_err(|_| DriftError::OutOfRange("drift"))
                }
            })
            .collect()
    }

    /// The simulator configuration these parameters describe (refused as [`clocks`](Self::clocks) is).
    pub fn config(&self) -> Result<SimConfig, DriftError> {
        let mut network = Network {
            latency: Latency::Uniform {
                min: Span::from_millis(self.latency_min_ms.into()),
                max: Span::from_millis(self.latency_max_ms.into()),
            },
            loss: f64::from(self.loss_percent) / 100.0,
            duplicate: f64::from(self.duplicate_percent) / 100.0,
            ..Network::default()
        };
        if self.asymmetry_ms > 0 {
            let leader = NodeId(self.leader);
            for i in (0..self.nodes).filter(|&i| i != self.leader) {
                network.links.insert(
                    (leader, NodeId(i)),
                    LinkRule {
                        extra_delay: Span::from_millis(self.asymmetry_ms.into()),
                        ..LinkRule::default()
                    },
                );
            }
        }
        Ok(SimConfig {
            seed: self.seed,
            network,
            clocks: self.clocks()?,
            labels: true,
        })
    }

    /// The largest skew synchronisation can promise between syncs (for stepped corrections):
    /// latency jitter + asymmetry + two clocks drifting apart for an interval and a round.
    pub fn bound(&self) -> Span {
        let jitter =
            Span::from_millis(i64::from(self.latency_max_ms) - i64::from(self.latency_min_ms));
        let asym = Span::from_millis(self.asymmetry_ms.into());
        let window = Span::from_secs(i64::from(self.interval_s) + 1);
        let drift = window.mul_f64(2.0 * f64::from(self.drift_ppm) * 1e-6);
        jitter + asym + drift + Span::from_micros(10)
    }
}

impl Params {
    /// How long a round's corrections may take to cross the network.
    pub fn settle(&self) -> Span {
        Span::from_millis(i64::from(self.latency_max_ms) + i64::from(self.asymmetry_ms) + 1)
    }
}

/// Every node's software clock at one true instant.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// True time.
    pub at: Instant,
    /// Each node's software clock reading.
    pub readings: Vec<Instant>,
    /// Each node's offset from true time (reading − true time).
    pub offsets: Vec<Span>,
    /// max − min reading.
    pub skew: Span,
    /// Whether this is the extra sample taken just after a sync.
    pub after_sync: bool,
}

/// A sync the run went through.
#[derive(Clone, Debug, PartialEq)]
pub enum SyncEvent {
    /// A Berkeley round, reported by the leader at true time `at`.
    Berkeley {
        /// True time of the report.
        at: Instant,
        /// What the leader computed.
        report: SyncReport,
    },
    /// A Cristian exchange at one client.
    Cristian {
        /// True time the reply arrived.
        at: Instant,
        /// The client.
        node: NodeId,
        /// The exchange.
        exchange: Exchange,
        /// Whether the correction was applied.
        applied: bool,
    },
}

/// A finished drift run: the trace and the numbers a lab plots.
#[derive(Clone, Debug)]
pub struct Run {
    /// The full trace.
    pub trace: Trace,
    /// Samples, in time order.
    pub samples: Vec<Sample>,
    /// Every sync, in time order.
    pub syncs: Vec<SyncEvent>,
    /// Each node's drift rate, ppm.
    pub drift_ppm: Vec<f64>,
    /// [`Params::bound`].
    pub bound: Span,
    /// How long after a sync its corrections may still be crossing the network.
    pub settle: Span,
    /// When every node had been corrected at least once (`None` if that never happened).
    pub synced_at: Option<Instant>,
}

impl SyncEvent {
    /// The true time of the event.
    pub fn at(&self) -> Instant {
        match self {
            SyncEvent::Berkeley { at, .. } | SyncEvent::Cristian { at, .. } => *at,
        }
    }
}

impl Run {
    /// How many times some node's software clock read less than at the previous sample (a
    /// step backwards: what slewing avoids).
    pub fn backward_steps(&self) -> usize {
        self.samples
            .windows(2)
            .map(|w| {
                w[0].readings
                    .iter()
                    .zip(&w[1].readings)
                    .filter(|(a, b)| b < a)
                    .count()
            })
            .sum()
    }

    /// The largest skew among samples taken once every node has been corrected, leaving out
    /// the instants when a round's corrections are still in flight (`None` if no sample
    /// qualifies). With stepped corrections this stays within [`Run::bound`].
    pub fn max_skew_in_sync(&self) -> Option<Span> {
        let start = self.synced_at?;
        self.samples
            .iter()
            .filter(|s| s.at >= start)
            .filter(|s| {
                !self
                    .syncs
                    .iter()
                    .any(|e| s.at >= e.at() && s.at <= e.at() + self.settle)
            })
            .map(|s| s.skew)
            .max()
    }
}

/// When every node had been corrected at least once.
fn synced_at(params: &Params, syncs: &[SyncEvent], settle: Span) -> Option<Instant> {
    match params.method {
        Method::None => None,
        Method::Berkeley => syncs.first().map(|e| e.at() + settle),
        Method::Cristian => {
            let mut last = Instant::ZERO;
            for i in (0..params.nodes).filter(|&i| i != params.leader) {
                let first = syncs.iter().find_map(|e| match e {
                    SyncEvent::Cristian {
                        at, node, applied, ..
                    } if *applied && node.0 == i => Some(*at),
                    _ => None,
                })?;
                last = last.max(first);
            }
            Some(last)
        }
    }
}

fn ceil_to_100ms(t: Instant) -> Instant {
    let step = 100_000_000;
    Instant::from_nanos((t.as_nanos() + step - 1).div_euclid(step) * step)
}

/// Runs the scenario. Out-of-range parameters are refused; call [`Params::clamp`] first to
/// accept anything.
///
/// ```
/// use chronoscope::scenario::drift::{self, Method, Params};
/// let run = drift::run(&Params::default()).unwrap(); // the document's Berkeley run
/// assert!(run.max_skew_in_sync().unwrap() <= run.bound);
/// let free = drift::run(&Params { method: Method::None, ..Params::default() }).unwrap();
/// assert!(free.max_skew_in_sync().is_none());
/// ```
pub fn run(params: &Params) -> Result<Run, DriftError> {
    params.validate()?;
    let settle = params.settle();
    match params.method {
        Method::None => drive(params, params.berkeley_nodes()?, |_| None),
        Method::Berkeley => {
            let nodes = params.berkeley_nodes()?;
            drive(params, nodes, |r: &Reported<BerkeleyOutput>| {
                match &r.output {
                    BerkeleyOutput::Round(report) => Some((
                        SyncEvent::Berkeley {
                            at: r.at,
                            report: report.clone(),
                        },
                        ceil_to_100ms(r.at + settle),
                    )),
                    BerkeleyOutput::Adjusted { .. } => None,
                }
            })
        }
        Method::Cristian => {
            let nodes = params.cristian_nodes()?;
            drive(params, nodes, |r: &Reported<CristianOutput>| {
                let (exchange, applied) = match &r.output {
                    CristianOutput::Adjusted(e) => (*e, true),
                    CristianOutput::Discarded(e) => (*e, false),
                };
                Some((
                    SyncEvent::Cristian {
                        at: r.at,
                        node: r.node,
                        exchange,
                        applied,
                    },
                    ceil_to_100ms(r.at + Span::from_nanos(1)),
                ))
            })
        }
    }
}

impl Params {
    /// The Berkeley nodes (all followers for [`Method::None`]). A sync parameter the
    /// protocol refuses (parameters neither validated nor clamped) is refused with
    /// [`DriftError::OutOfRange`] naming it, never clamped here.
    fn berkeley_nodes(&self) -> Result<Vec<Berkeley>, DriftError> {
        let adjust = self.adjust();
        let interval = Span::from_secs(self.interval_s.into());
        let outlier = Span::from_millis(self.outlier_ms.into());
        (0..self.nodes)
            .map(|i| {
                if self.method == Method::Berkeley && i == self.leader {
                    Berkeley::leader(interval, outlier, adjust)
                } else {
                    Berkeley::follower(adjust)
                }
            })
            .collect::<Result<_, _>>()
            .map_err(refused)
    }

    /// The Cristian nodes: the leader serves, the others poll it (refused as
    /// [`berkeley_nodes`](Self::berkeley_nodes) is).
    fn cristian_nodes(&self) -> Result<Vec<Cristian>, DriftError> {
        let adjust = self.adjust();
        let interval = Span::from_secs(self.interval_s.into());
        (0..self.nodes)
            .map(|i| {
                if i == self.leader {
                    Ok(Cristian::server())
                } else {
                    Cristian::client(NodeId(self.leader), interval, adjust)
                }
            })
            .collect::<Result<_, _>>()
            .map_err(refused)
    }
}

/// Runs `nodes`, sampling every tick and once after each sync `classify` recognises.
fn drive<P: Protocol + Disciplined>(
    params: &Params,
    nodes: Vec<P>,
    classify: impl Fn(&Reported<P::Output>) -> Option<(SyncEvent, Instant)>,
) -> Result<Run, DriftError> {
    let config = params.config()?;
    let drift_ppm = config.clocks.iter().map(PhysicalClock::drift_ppm).collect();
    let mut sim = Simulation::new(nodes, config).map_err(DriftError::Sim)?;
    if params.jump_ms != 0 {
        let at = Instant::from_millis(i64::from(params.jump_at_s) * 1_000);
        let by = Span::from_millis(params.jump_ms.into());
        sim.schedule_clock_jump(at, NodeId(params.jump_node), by)
            .map_err(DriftError::Sim)?;
    }
    let end = Instant::from_millis(i64::from(params.duration_s) * 1_000);
    let ticks = (i64::from(params.duration_s) * 1_000 / i64::from(params.tick_ms) + 1)
        .min(i64::from(MAX_SAMPLES));
    let tick = Span::from_nanos(end.as_nanos() / (ticks - 1).max(1));
    let mut times: BTreeSet<(Instant, bool)> = (0..ticks)
        .map(|k| (Instant::ZERO + Span::from_nanos(tick.as_nanos() * k), false))
        .collect();
    let (mut samples, mut syncs, mut seen) = (Vec::new(), Vec::new(), 0);
    while let Some(&(t, after_sync)) = times.first() {
        if sim.next_at().is_some_and(|n| n <= t) {
            sim.step();
            for r in &sim.outputs()[seen..] {
                if let Some((event, sample_at)) = classify(r) {
                    syncs.push(event);
                    if sample_at <= end {
                        times.insert((sample_at, true));
                    }
                }
            }
            seen = sim.outputs().len();
            continue;
        }
        times.pop_first();
        sim.run_until(t);
        if samples.last().is_some_and(|s: &Sample| s.at == t) {
            continue;
        }
        let readings: Vec<Instant> = (0..params.nodes)
            .map(|i| {
                let node = NodeId(i);
                let physical = sim.clock(node).map_or(t, |c| c.read(t));
                sim.node(node)
                    .map_or(physical, |p| p.software_time(physical))
            })
            .collect();
        let skew = match (readings.iter().max(), readings.iter().min()) {
            (Some(hi), Some(lo)) => hi.since(*lo),
            _ => Span::ZERO,
        };
        samples.push(Sample {
            at: t,
            offsets: readings.iter().map(|r| r.since(t)).collect(),
            readings,
            skew,
            after_sync,
        });
    }
    let settle = params.settle();
    Ok(Run {
        trace: sim.finish(),
        synced_at: synced_at(params, &syncs, settle),
        samples,
        syncs,
        drift_ppm,
        bound: params.bound(),
        settle,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_reproduce_the_documents_shape() {
        let run = run(&Params::default()).unwrap();
        let regular: Vec<_> = run.samples.iter().filter(|s| !s.after_sync).collect();
        assert_eq!(regular.len(), 7); // 0, 5, …, 30 s
        assert_eq!(run.syncs.len(), 1);
        assert!(run.samples.iter().any(|s| s.after_sync));
        assert!(run.max_skew_in_sync().unwrap() <= run.bound);
    }

    #[test]
    fn without_sync_skew_grows_linearly() {
        let p = Params {
            method: Method::None,
            drift_ppm: 1_000,
            duration_s: 100,
            tick_ms: 10_000,
            ..Params::default()
        };
        let run = run(&p).unwrap();
        let skews: Vec<i64> = run.samples.iter().map(|s| s.skew.as_nanos()).collect();
        assert!(skews.windows(2).all(|w| w[1] > w[0]), "{skews:?}");
        let (hi, lo) = run
            .drift_ppm
            .iter()
            .fold((f64::MIN, f64::MAX), |(h, l), d| (h.max(*d), l.min(*d)));
        let expected = (hi - lo) * 1e-6 * 100e9;
        assert!((skews[10] as f64 - expected).abs() < 1e3, "{skews:?}");
    }

    #[test]
    fn a_jumped_clock_is_left_out_of_the_average_and_pulled_back() {
        let p = Params {
            nodes: 4,
            jump_ms: 10_000,
            jump_at_s: 25,
            jump_node: 2,
            duration_s: 60,
            ..Params::default()
        };
        let run = run(&p).unwrap();
        let second = run
            .syncs
            .iter()
            .filter_map(|e| match e {
                SyncEvent::Berkeley { report, .. } => Some(report),
                SyncEvent::Cristian { .. } => None,
            })
            .nth(1)
            .unwrap();
        let c = second.samples.iter().find(|s| s.node == NodeId(2)).unwrap();
        assert!(c.outlier);
        assert!(c.delta < Span::from_millis(-9_900));
        assert!(second.average_offset.abs() < Span::from_millis(20));
        assert!(run.samples.last().unwrap().skew <= run.bound);
    }

    #[test]
    fn clamp_and_validate_agree() {
        let wild = Params {
            nodes: 0,
            drift_ppm: u32::MAX,
            tick_ms: 0,
            latency_min_ms: 80,
            latency_max_ms: 10,
            leader: 99,
            ..Params::default()
        };
        assert!(wild.validate().is_err());
        let (p, notes) = wild.clamp();
        assert!(notes.len() >= 5);
        assert_eq!(p.validate(), Ok(()));
        assert_eq!(p.leader, 1);
        assert_eq!(p.latency_max_ms, 80);
    }

    #[test]
    fn unvalidated_absurd_drift_is_refused_not_clamped() {
        let wild = Params {
            drift_ppm: u32::MAX,
            ..Params::default()
        };
        assert_eq!(wild.clocks(), Err(DriftError::OutOfRange("drift")));
        assert!(matches!(
            wild.config(),
            Err(DriftError::OutOfRange("drift"))
        ));
        // In range, every clock keeps the drift drawn for it (steps of 0.01 ppm).
        let clocks = Params::default().clocks().unwrap();
        assert!(clocks
            .iter()
            .all(|c| (c.drift_ppm() * 100.0).fract() == 0.0 && c.drift_ppm().abs() <= 50.0));
    }

    #[test]
    fn unvalidated_sync_parameters_are_refused_naming_them_not_clamped() {
        let zero_interval = Params {
            interval_s: 0,
            ..Params::default()
        };
        let err = DriftError::OutOfRange("interval");
        assert_eq!(zero_interval.berkeley_nodes(), Err(err));
        let cristian = Params {
            method: Method::Cristian,
            ..zero_interval
        };
        assert_eq!(cristian.cristian_nodes(), Err(err));
        let zero_slew = Params {
            adjust: AdjustMode::Slew,
            slew_ppm: 0,
            ..Params::default()
        };
        let err = DriftError::OutOfRange("slew");
        assert_eq!(zero_slew.berkeley_nodes(), Err(err));
        let hybrid = Params {
            method: Method::Cristian,
            adjust: AdjustMode::Hybrid,
            slew_ppm: u32::MAX,
            ..Params::default()
        };
        assert_eq!(hybrid.cristian_nodes(), Err(err));
        // run() validates first, so the same parameters are refused there too.
        assert_eq!(run(&zero_slew).err(), Some(err));
        // Valid parameters build every node with the values given.
        let p = Params::default();
        let nodes = p.berkeley_nodes().unwrap();
        let leader = &nodes[p.leader as usize];
        assert_eq!(leader.interval(), Some(Span::from_secs(20)));
        assert_eq!(leader.outlier(), Some(Span::from_millis(1_000)));
    }
}
