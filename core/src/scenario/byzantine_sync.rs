//! The Byzantine-clocks lab's run: `n` nodes synchronise in rounds
//! ([`welch_lynch`](crate::sync::welch_lynch)); the last `faulty` of them lie (constant,
//! two-faced, adaptively splitting, random, or silent). The protocol is told to tolerate `f`.
//!
//! The run samples every clock twice a round and reports the skew among the *correct*
//! clocks next to the theoretical bound `(2ε + 2ρ(R + W + D))/(1 − c)` with `c = f/(n − 2f)`
//! (1/2 for the midpoint), which holds when `n ≥ 3f + 1`, at most `f` nodes lie and the
//! convergence function is fault-tolerant. With `n = 3f` there is no bound, and a two-faced
//! liar keeps the correct clocks from converging while drift drives them apart.

use alloc::format;
use alloc::vec::Vec;
use core::ops::RangeInclusive;

use super::params::{index_of, int, other, seed, span, Adjustment, Kind, Spec};
use crate::clock::PhysicalClock;
use crate::node::NodeId;
use crate::rng::Rng;
use crate::sim::{Latency, Network, SimConfig, SimError, Simulation};
use crate::sync::discipline::Disciplined;
use crate::sync::welch_lynch::{Behaviour, Config, Convergence, RoundOutput, WelchLynch};
use crate::time::{Instant, Span};
use crate::trace::Trace;

/// Allowed node counts.
pub const NODES: RangeInclusive<u32> = 2..=16;
/// Allowed `f` to tolerate.
pub const TOLERATE: RangeInclusive<u32> = 0..=7;
/// Allowed lie sizes, ms.
pub const LIE_MS: RangeInclusive<u32> = 0..=3_600_000;
/// Allowed round periods, ms.
pub const ROUND_MS: RangeInclusive<u32> = 100..=60_000;
/// Allowed round counts.
pub const ROUNDS: RangeInclusive<u32> = 1..=1_000;
/// Allowed drift bounds, ppm.
pub const DRIFT_PPM: RangeInclusive<u32> = 0..=10_000;

/// How the faulty nodes lie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// The same offset to everyone.
    Constant,
    /// `+lie` to the fast half of the correct nodes, `−lie` to the slow half.
    TwoFaced,
    /// Two-faced, adaptively (tells whoever it saw ahead that it is further ahead).
    Splitting,
    /// A fresh random lie in `[−lie, +lie]` per message.
    Random,
    /// Says nothing.
    Silent,
}

/// The knobs of a Byzantine run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    /// Number of nodes `n`.
    pub nodes: u32,
    /// How many of them lie (the last ones).
    pub faulty: u32,
    /// The `f` the protocol tolerates.
    pub tolerate: u32,
    /// How they lie.
    pub strategy: Strategy,
    /// Size of the lie, ms.
    pub lie_ms: u32,
    /// The convergence function.
    pub convergence: Convergence,
    /// Round period `R`, ms (the collection window is `R/2`).
    pub round_ms: u32,
    /// Rounds to run.
    pub rounds: u32,
    /// Shortest one-way latency, ms (at most `R/4`).
    pub latency_min_ms: u32,
    /// Longest one-way latency, ms (at most `R/4`).
    pub latency_max_ms: u32,
    /// Drift rates are drawn from `[−drift, +drift]` ppm.
    pub drift_ppm: u32,
    /// Initial offsets are drawn from `[−spread/2, +spread/2]`, ms (at most `R/4`).
    pub initial_skew_ms: u32,
    /// The seed.
    pub seed: u64,
}

impl Default for Params {
    /// Four nodes, one two-faced liar, the fault-tolerant average.
    fn default() -> Self {
        Params {
            nodes: 4,
            faulty: 1,
            tolerate: 1,
            strategy: Strategy::TwoFaced,
            lie_ms: 500,
            convergence: Convergence::FaultTolerantAverage,
            round_ms: 2_000,
            rounds: 60,
            latency_min_ms: 5,
            latency_max_ms: 15,
            drift_ppm: 200,
            initial_skew_ms: 100,
            seed: 1,
        }
    }
}

/// Why a run could not start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ByzantineError {
    /// A parameter is outside its range (its URL name).
    OutOfRange(&'static str),
    /// The simulator refused the configuration.
    Sim(SimError),
}

impl core::fmt::Display for ByzantineError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ByzantineError::OutOfRange(n) => write!(f, "parameter {n} is out of range"),
            ByzantineError::Sim(e) => write!(f, "simulator: {e}"),
        }
    }
}

impl core::error::Error for ByzantineError {}

/// The lab's defaults: the scenario's (four nodes, one two-faced liar, f = 1) with clocks
/// drifting ±1000 ppm, so that without a bound the drift shows within a minute.
pub fn lab_defaults() -> Params {
    Params {
        drift_ppm: 1_000,
        rounds: 40,
        ..Params::default()
    }
}

/// The liars' strategies in URL order.
pub const STRATEGIES: [Strategy; 5] = [
    Strategy::Constant,
    Strategy::TwoFaced,
    Strategy::Splitting,
    Strategy::Random,
    Strategy::Silent,
];
/// The convergence functions in URL order.
pub const CONVERGENCES: [Convergence; 3] = [
    Convergence::FaultTolerantAverage,
    Convergence::FaultTolerantMidpoint,
    Convergence::Mean,
];

/// The parameters, declared once: URL keys, ranges, labels and help.
pub static SPEC: Spec<Params> = Spec {
    fields: &[
        int(
            "nodes",
            "n (nodes)",
            "",
            span(&NODES),
            "how many clocks synchronise",
            |p| p.nodes.into(),
            |p, v| p.nodes = v as u32,
        ),
        int(
            "faulty",
            "liars",
            "",
            (0, *NODES.end() as i64 - 1),
            "how many of them lie (below n)",
            |p| p.faulty.into(),
            |p, v| p.faulty = v as u32,
        ),
        int(
            "f",
            "f tolerated",
            "",
            span(&TOLERATE),
            "how many liars the convergence function discards on each side",
            |p| p.tolerate.into(),
            |p, v| p.tolerate = v as u32,
        ),
        other(
            "strategy",
            "liars' strategy",
            Kind::Choice(&["constant", "two-faced", "splitting", "random", "silent"]),
            "what the liars say",
            |p| index_of(&STRATEGIES, &p.strategy),
            |p, v| p.strategy = STRATEGIES[v as usize],
        ),
        other(
            "convergence",
            "convergence",
            Kind::Choice(&["fta", "midpoint", "mean"]),
            "how a node combines the readings: fault-tolerant average, midpoint, or plain mean",
            |p| index_of(&CONVERGENCES, &p.convergence),
            |p, v| p.convergence = CONVERGENCES[v as usize],
        ),
        int(
            "lie",
            "lie",
            "ms",
            span(&LIE_MS),
            "how far from the truth the liars' readings are",
            |p| p.lie_ms.into(),
            |p, v| p.lie_ms = v as u32,
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
            "round",
            "round",
            "ms",
            span(&ROUND_MS),
            "time between sync rounds",
            |p| p.round_ms.into(),
            |p, v| p.round_ms = v as u32,
        ),
        int(
            "rounds",
            "rounds",
            "",
            span(&ROUNDS),
            "how many rounds run",
            |p| p.rounds.into(),
            |p, v| p.rounds = v as u32,
        ),
        int(
            "lat_min",
            "latency min",
            "ms",
            (0, *ROUND_MS.end() as i64 / 4),
            "shortest one-way delay (within a quarter round)",
            |p| p.latency_min_ms.into(),
            |p, v| p.latency_min_ms = v as u32,
        ),
        int(
            "lat_max",
            "latency max",
            "ms",
            (0, *ROUND_MS.end() as i64 / 4),
            "longest one-way delay (at least the shortest, within a quarter round)",
            |p| p.latency_max_ms.into(),
            |p, v| p.latency_max_ms = v as u32,
        ),
        int(
            "skew",
            "initial spread",
            "ms",
            (0, *ROUND_MS.end() as i64 / 4),
            "initial offsets are drawn within this (within a quarter round)",
            |p| p.initial_skew_ms.into(),
            |p, v| p.initial_skew_ms = v as u32,
        ),
        seed(|p| p.seed.into(), |p, v| p.seed = v as u64),
    ],
    defaults: lab_defaults,
    relate,
};

/// The ranges that depend on other fields (liars below n; latencies and spread within a
/// quarter round), applied twice since they chain; each change is reported.
fn relate(mut p: Params) -> (Params, Vec<Adjustment>) {
    let mut notes = Vec::new();
    // Two passes: lat_max depends on lat_min.
    for _ in 0..2 {
        for (name, value, range) in p.ranges() {
            let clamped = value.clamp(*range.start(), *range.end());
            if clamped != value {
                notes.push(Adjustment {
                    name,
                    given: format!("{value}"),
                    used: format!("{clamped}"),
                });
                match name {
                    "faulty" => p.faulty = clamped,
                    "lat_min" => p.latency_min_ms = clamped,
                    "lat_max" => p.latency_max_ms = clamped,
                    _ => p.initial_skew_ms = clamped,
                }
            }
        }
    }
    (p, notes)
}

impl Params {
    /// The ranges that depend on other fields (the rest are [`SPEC`]'s).
    fn ranges(&self) -> [(&'static str, u32, RangeInclusive<u32>); 4] {
        let quarter = self.round_ms.clamp(*ROUND_MS.start(), *ROUND_MS.end()) / 4;
        let nodes = self.nodes.clamp(*NODES.start(), *NODES.end());
        [
            ("faulty", self.faulty, 0..=nodes - 1),
            ("lat_min", self.latency_min_ms, 0..=quarter),
            (
                "lat_max",
                self.latency_max_ms,
                self.latency_min_ms.min(quarter)..=quarter,
            ),
            ("skew", self.initial_skew_ms, 0..=quarter),
        ]
    }

    /// Checks every parameter against its range.
    pub fn validate(&self) -> Result<(), ByzantineError> {
        match SPEC.first_invalid(self) {
            Some(key) => Err(ByzantineError::OutOfRange(key)),
            None => Ok(()),
        }
    }

    /// Brings every parameter into its range, reporting each change (see [`SPEC`]).
    pub fn clamp(self) -> (Params, Vec<Adjustment>) {
        SPEC.clamp(self)
    }

    /// The correct nodes (the first `n − faulty`).
    pub fn correct(&self) -> Vec<NodeId> {
        (0..self.nodes.saturating_sub(self.faulty))
            .map(NodeId)
            .collect()
    }

    fn config(&self) -> Config {
        let min = Span::from_millis(self.latency_min_ms.into());
        let max = Span::from_millis(self.latency_max_ms.into());
        let round = Span::from_millis(self.round_ms.into());
        Config {
            f: self.tolerate as usize,
            round,
            window: Span::from_nanos(round.as_nanos() / 2),
            delay: Span::from_nanos((min.as_nanos() + max.as_nanos()) / 2),
            uncertainty: Span::from_nanos((max.as_nanos() - min.as_nanos()) / 2),
            convergence: self.convergence,
        }
    }

    /// Each node's physical clock, drawn from the seed. A drift no clock accepts (parameters
    /// that were neither validated nor clamped) is refused with
    /// [`ByzantineError::OutOfRange`]`("drift")`, never clamped here.
    pub fn clocks(&self) -> Result<Vec<PhysicalClock>, ByzantineError> {
        let mut rng = Rng::seed_from_u64(self.seed ^ 0xB72A_11CE_5EED_0002);
        let drift = i64::from(self.drift_ppm) * 100;
        let half = i64::from(self.initial_skew_ms) * 500_000;
        (0..self.nodes)
            .map(|_| {
                let ppm = rng.in_range(-drift, drift) as f64 / 100.0;
                PhysicalClock::try_new(Span::from_nanos(rng.in_range(-half, half)), ppm)
                    .map_err(|_| ByzantineError::OutOfRange("drift"))
            })
            .collect()
    }

    /// The nodes: the correct ones honest, the last `faulty` lying as `strategy` says (the
    /// fast half of the correct nodes, by drift in `clocks`, is told "later"). A round the
    /// protocol refuses (parameters neither validated nor clamped) is refused with
    /// [`ByzantineError::OutOfRange`]`("round")`, never clamped here.
    fn nodes(&self, clocks: &[PhysicalClock]) -> Result<Vec<WelchLynch>, ByzantineError> {
        let config = self.config();
        let correct = self.correct();
        let lie = Span::from_millis(self.lie_ms.into());
        let mut by_drift: Vec<(i64, NodeId)> = correct
            .iter()
            .filter_map(|n| {
                clocks
                    .get(n.index())
                    .map(|c| ((c.drift_ppm() * 100.0) as i64, *n))
            })
            .collect();
        by_drift.sort();
        let ahead: Vec<NodeId> = by_drift[by_drift.len() / 2..].iter().map(|x| x.1).collect();
        (0..self.nodes)
            .map(|i| {
                let behaviour = if (i as usize) < correct.len() {
                    Behaviour::Honest
                } else {
                    match self.strategy {
                        Strategy::Constant => Behaviour::Constant(lie),
                        Strategy::TwoFaced => Behaviour::TwoFaced {
                            magnitude: lie,
                            ahead: ahead.clone(),
                        },
                        Strategy::Splitting => Behaviour::Splitting(lie),
                        Strategy::Random => Behaviour::Random(lie),
                        Strategy::Silent => Behaviour::Silent,
                    }
                };
                WelchLynch::new(config, behaviour)
            })
            .collect::<Result<_, _>>()
            // The window is R/2, so a refused round or window is the URL's `round`.
            .map_err(|_| ByzantineError::OutOfRange("round"))
    }

    /// The convergence rate `c` (how much of the skew survives a round), if a bound holds.
    pub fn convergence_rate(&self) -> Option<f64> {
        let (n, f) = (self.nodes as usize, self.tolerate as usize);
        if n < 3 * f + 1 || self.faulty > self.tolerate {
            return None;
        }
        match self.convergence {
            Convergence::FaultTolerantAverage => Some(f as f64 / (n - 2 * f) as f64),
            Convergence::FaultTolerantMidpoint => Some(0.5),
            Convergence::Mean if self.faulty == 0 => Some(0.0),
            _ => None,
        }
    }

    /// The skew the correct clocks stay within once converged, if theory promises one.
    pub fn bound(&self) -> Option<Span> {
        let c = self.convergence_rate()?;
        let cfg = self.config();
        let rho = f64::from(self.drift_ppm) * 1e-6;
        let exposure = cfg.round + cfg.window + Span::from_millis(self.latency_max_ms.into());
        let per_round =
            Span::from_nanos(2 * cfg.uncertainty.as_nanos()) + exposure.mul_f64(2.0 * rho);
        Some(per_round.mul_f64(1.0 / (1.0 - c)) + Span::from_micros(1))
    }

    /// The skew allowed at true time `t`: the bound plus what is left of the initial spread
    /// after the rounds completed by then (it shrinks by `c` per round), if a bound applies.
    pub fn allowed_at(&self, t: Instant) -> Option<Span> {
        let (bound, c) = (self.bound()?, self.convergence_rate()?);
        let round = i64::from(self.round_ms) * 1_000_000;
        // Rounds every correct node has surely completed (allowing for a round of skew).
        let done = (t.as_nanos() / round - 2).max(0);
        let mut left = Span::from_millis(self.initial_skew_ms.into()).mul_f64(1.5)
            + self.bound().unwrap_or(Span::ZERO);
        for _ in 0..done.min(200) {
            left = left.mul_f64(c);
            if left < Span::from_nanos(1) {
                break;
            }
        }
        Some(bound + left)
    }
}

/// The clocks at one true instant.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// True time.
    pub at: Instant,
    /// Every node's offset from true time (software reading − true time).
    pub offsets: Vec<Span>,
    /// Max − min over the correct nodes.
    pub correct_skew: Span,
}

/// What the run showed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoundOutcome {
    /// A bound applies and every sample kept within it (plus what was left of the initial
    /// spread, see [`Params::allowed_at`]).
    BoundHeld,
    /// A bound applies and was exceeded (never expected: a bug).
    BoundViolated {
        /// True time of the first violation.
        at: Instant,
        /// The skew then.
        skew: Span,
    },
    /// No bound applies (`n ≤ 3f`, too many liars, or an unprotected mean).
    NoGuarantee,
}

/// A finished Byzantine run.
#[derive(Clone, Debug)]
pub struct Run {
    /// The trace.
    pub trace: Trace,
    /// Samples twice a round.
    pub samples: Vec<Sample>,
    /// The correct nodes.
    pub correct: Vec<NodeId>,
    /// [`Params::bound`].
    pub bound: Option<Span>,
    /// The verdict.
    pub verdict: BoundOutcome,
    /// Each correct node's round reports (estimates and corrections).
    pub rounds: Vec<(Instant, NodeId, RoundOutput)>,
}

impl Run {
    /// The largest correct-clock skew over the second half of the run (once converged).
    pub fn max_skew_converged(&self) -> Span {
        self.samples[self.samples.len() / 2..]
            .iter()
            .map(|s| s.correct_skew)
            .max()
            .unwrap_or(Span::ZERO)
    }
    /// The correct-clock skew at the last sample.
    pub fn final_skew(&self) -> Span {
        self.samples.last().map_or(Span::ZERO, |s| s.correct_skew)
    }
}

/// Runs the scenario; out-of-range parameters are refused (see [`Params::clamp`]).
///
/// ```
/// use chronoscope::scenario::byzantine_sync::{self, Params, BoundOutcome};
/// let four = byzantine_sync::run(&Params::default()).unwrap(); // n = 4, one two-faced liar
/// assert_eq!(four.verdict, BoundOutcome::BoundHeld);
/// let three = byzantine_sync::run(&Params { nodes: 3, ..Params::default() }).unwrap();
/// assert_eq!(three.verdict, BoundOutcome::NoGuarantee);
/// ```
pub fn run(params: &Params) -> Result<Run, ByzantineError> {
    run_with_labels(params, true)
}

/// [`run`], choosing whether trace events get labels (off: faster, for sweeps and tests).
pub fn run_with_labels(params: &Params, labels: bool) -> Result<Run, ByzantineError> {
    params.validate()?;
    let config = params.config();
    let clocks = params.clocks()?;
    let correct = params.correct();
    let nodes = params.nodes(&clocks)?;
    let sim_config = SimConfig {
        seed: params.seed,
        network: Network {
            latency: Latency::Uniform {
                min: Span::from_millis(params.latency_min_ms.into()),
                max: Span::from_millis(params.latency_max_ms.into()),
            },
            ..Network::default()
        },
        clocks,
        labels,
    };
    let mut sim = Simulation::new(nodes, sim_config).map_err(ByzantineError::Sim)?;
    let half = Span::from_nanos(config.round.as_nanos() / 2);
    let mut samples = Vec::new();
    for k in 0..=(2 * u64::from(params.rounds) + 1) {
        let at = Instant::ZERO + Span::from_nanos(half.as_nanos() * k as i64 + 1);
        sim.run_until(at);
        let offsets: Vec<Span> = (0..params.nodes)
            .map(|i| {
                let n = NodeId(i);
                let phys = sim.clock(n).map_or(at, |c| c.read(at));
                sim.node(n)
                    .map_or(phys, |p| p.software_time(phys))
                    .since(at)
            })
            .collect();
        let correct_offsets = || offsets[..correct.len()].iter();
        let correct_skew = match (correct_offsets().max(), correct_offsets().min()) {
            (Some(hi), Some(lo)) => *hi - *lo,
            _ => Span::ZERO,
        };
        samples.push(Sample {
            at,
            offsets,
            correct_skew,
        });
    }
    let bound = params.bound();
    let verdict = match bound {
        None => BoundOutcome::NoGuarantee,
        Some(_) => samples
            .iter()
            .find(|s| params.allowed_at(s.at).is_some_and(|a| s.correct_skew > a))
            .map_or(BoundOutcome::BoundHeld, |s| BoundOutcome::BoundViolated {
                at: s.at,
                skew: s.correct_skew,
            }),
    };
    let rounds = sim
        .outputs()
        .iter()
        .filter(|r| r.node.index() < correct.len())
        .map(|r| (r.at, r.node, r.output.clone()))
        .collect();
    Ok(Run {
        trace: sim.finish(),
        samples,
        correct,
        bound,
        verdict,
        rounds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_run_holds_its_bound() {
        let run = run(&Params::default()).unwrap();
        assert_eq!(
            run.verdict,
            BoundOutcome::BoundHeld,
            "{:?}",
            run.max_skew_converged()
        );
        assert!(run.bound.is_some());
    }

    #[test]
    fn clamp_then_validate() {
        let wild = Params {
            nodes: 99,
            faulty: 99,
            round_ms: 1,
            latency_min_ms: 999,
            latency_max_ms: 3,
            initial_skew_ms: 10_000,
            ..Params::default()
        };
        assert!(wild.validate().is_err());
        let (p, notes) = wild.clamp();
        assert!(!notes.is_empty());
        assert_eq!(p.validate(), Ok(()));
        assert_eq!((p.nodes, p.faulty, p.round_ms), (16, 15, 100));
        assert!(p.latency_max_ms >= p.latency_min_ms);
    }

    #[test]
    fn unvalidated_absurd_drift_is_refused_not_clamped() {
        let wild = Params {
            drift_ppm: u32::MAX,
            ..Params::default()
        };
        assert_eq!(wild.clocks(), Err(ByzantineError::OutOfRange("drift")));
        let clocks = Params::default().clocks().unwrap();
        assert!(clocks.iter().all(|c| c.drift_ppm().abs() <= 200.0));
    }

    #[test]
    fn unvalidated_absurd_round_is_refused_not_clamped() {
        let p = Params::default();
        let clocks = p.clocks().unwrap();
        let zero = Params {
            round_ms: 0,
            ..p.clone()
        };
        assert_eq!(
            zero.nodes(&clocks),
            Err(ByzantineError::OutOfRange("round"))
        );
        // Valid parameters build every node with the round and window as computed.
        let nodes = p.nodes(&clocks).unwrap();
        assert_eq!(nodes.len(), p.nodes as usize);
        assert!(nodes.iter().all(|n| *n.config() == p.config()));
        assert_eq!(
            nodes.iter().filter(|n| !n.is_honest()).count(),
            p.faulty as usize
        );
    }
}
