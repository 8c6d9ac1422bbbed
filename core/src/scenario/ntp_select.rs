//! The Marzullo lab's run: an NTP-style client whose clock is off polls `servers` time
//! servers (their clocks within `error_ms` of true time); the last `liars` of them lie — by a
//! constant, *confidently* (claiming zero error), at random. The client tolerates `f` and
//! sets its clock to the middle of Marzullo's fault-tolerant intersection
//! ([`ntp_select`](crate::sync::ntp_select)).
//!
//! Each round reports every source's interval, the agreed interval, whether it contains the
//! true time, the client's error after correcting, and what the classic "most sources agree"
//! answer ([`marzullo::best`](crate::sync::marzullo::best)) would have been.

use alloc::format;
use alloc::vec::Vec;
use core::ops::RangeInclusive;

use super::happens_before::Adjustment;
use crate::clock::PhysicalClock;
use crate::node::NodeId;
use crate::rng::Rng;
use crate::sim::{Latency, Network, SimConfig, SimError, Simulation};
use crate::sync::marzullo::{best, Agreement, Interval, MarzulloError};
use crate::sync::ntp_select::{NtpNode, NtpOutput, ServerBehaviour};
use crate::sync::SyncConfigError;
use crate::time::{Instant, Span};
use crate::trace::Trace;

/// Allowed server counts.
pub const SERVERS: RangeInclusive<u32> = 1..=15;
/// Allowed error bounds and lies, ms.
pub const MS: RangeInclusive<u32> = 0..=3_600_000;
/// Allowed latencies, ms.
pub const LATENCY_MS: RangeInclusive<u32> = 0..=2_000;
/// Allowed rounds.
pub const ROUNDS: RangeInclusive<u32> = 1..=200;
/// Allowed client drift, ppm.
pub const DRIFT_PPM: RangeInclusive<u32> = 0..=10_000;

/// How the lying servers lie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiarKind {
    /// A constant offset, honest-looking error bound.
    Offset,
    /// A constant offset claimed with zero error.
    Confident,
    /// A fresh random offset in `[−lie, +lie]` per answer.
    Random,
}

/// The knobs of a selection run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    /// Number of time servers.
    pub servers: u32,
    /// How many of them lie (the last ones).
    pub liars: u32,
    /// The `f` the client tolerates.
    pub tolerate: u32,
    /// How they lie.
    pub kind: LiarKind,
    /// Size of the lie, ms.
    pub lie_ms: u32,
    /// Honest servers' error bound, ms (their clocks are within it).
    pub error_ms: u32,
    /// The client's initial offset, ms (its clock is ahead by this much).
    pub client_offset_ms: u32,
    /// The client's drift, ppm (it gains).
    pub client_drift_ppm: u32,
    /// Shortest one-way latency, ms.
    pub latency_min_ms: u32,
    /// Longest one-way latency, ms.
    pub latency_max_ms: u32,
    /// Rounds (one every 10 s).
    pub rounds: u32,
    /// The seed.
    pub seed: u64,
}

impl Default for Params {
    /// Five servers, two of them confident liars (+40 ms, inside the honest error bars), `f = 2`.
    fn default() -> Self {
        Params {
            servers: 5,
            liars: 2,
            tolerate: 2,
            kind: LiarKind::Confident,
            lie_ms: 40,
            error_ms: 20,
            client_offset_ms: 3_000,
            client_drift_ppm: 100,
            latency_min_ms: 5,
            latency_max_ms: 40,
            rounds: 5,
            seed: 1,
        }
    }
}

/// Why a run could not start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectError {
    /// A parameter is outside its range (its URL name).
    OutOfRange(&'static str),
    /// The simulator refused the configuration.
    Sim(SimError),
}

impl core::fmt::Display for SelectError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SelectError::OutOfRange(n) => write!(f, "parameter {n} is out of range"),
            SelectError::Sim(e) => write!(f, "simulator: {e}"),
        }
    }
}

impl core::error::Error for SelectError {}

impl Params {
    fn fields(&mut self) -> [(&'static str, &mut u32, RangeInclusive<u32>); 10] {
        let servers = self.servers.clamp(*SERVERS.start(), *SERVERS.end());
        let min = self.latency_min_ms.min(*LATENCY_MS.end());
        [
            ("servers", &mut self.servers, SERVERS),
            ("liars", &mut self.liars, 0..=servers),
            ("f", &mut self.tolerate, 0..=servers - 1),
            ("lie", &mut self.lie_ms, MS),
            ("error", &mut self.error_ms, MS),
            ("offset", &mut self.client_offset_ms, MS),
            ("drift", &mut self.client_drift_ppm, DRIFT_PPM),
            ("lat_min", &mut self.latency_min_ms, LATENCY_MS),
            ("lat_max", &mut self.latency_max_ms, min..=*LATENCY_MS.end()),
            ("rounds", &mut self.rounds, ROUNDS),
        ]
    }

    /// Checks every parameter against its range.
    pub fn validate(&self) -> Result<(), SelectError> {
        let mut copy = self.clone();
        for (name, value, range) in copy.fields() {
            if !range.contains(value) {
                return Err(SelectError::OutOfRange(name));
            }
        }
        Ok(())
    }

    /// Brings every parameter into its range, reporting each change.
    pub fn clamp(mut self) -> (Params, Vec<Adjustment>) {
        let mut notes = Vec::new();
        for (name, value, range) in self.fields() {
            let c = (*value).clamp(*range.start(), *range.end());
            if c != *value {
                notes.push(Adjustment {
                    name,
                    given: format!("{value}"),
                    used: format!("{c}"),
                });
                *value = c;
            }
        }
        (self, notes)
    }
}

impl Params {
    /// The client (node 0), then the servers; the last `liars` of them lie. An error bound
    /// or latency the protocol refuses is refused with [`SelectError::OutOfRange`] naming the
    /// URL parameter, never clamped here (with `u32` milliseconds neither can be negative,
    /// so this cannot happen today; it keeps the mapping honest if the units change).
    fn nodes(&self) -> Result<Vec<NtpNode>, SelectError> {
        let ms = |v: u32| Span::from_millis(v.into());
        let refused = |e: SyncConfigError| {
            SelectError::OutOfRange(match e.param() {
                "min_delay" => "lat_min",
                other => other, // "error"; the poll interval is a constant
            })
        };
        let n = self.servers;
        let honest = n.saturating_sub(self.liars);
        let servers: Vec<NodeId> = (1..=n).map(NodeId).collect();
        let lie = ms(self.lie_ms);
        let client = NtpNode::client(
            servers,
            self.tolerate as usize,
            Span::from_secs(10),
            ms(self.latency_min_ms),
        )
        .map_err(refused)?
        .with_client_drift(self.client_drift_ppm);
        let mut nodes = alloc::vec![client];
        for i in 0..n {
            let behaviour = if i < honest {
                ServerBehaviour::Honest
            } else {
                match self.kind {
                    LiarKind::Offset => ServerBehaviour::Offset(lie),
                    LiarKind::Confident => ServerBehaviour::Confident(lie),
                    LiarKind::Random => ServerBehaviour::Random(lie),
                }
            };
            nodes.push(NtpNode::server(ms(self.error_ms), behaviour).map_err(refused)?);
        }
        Ok(nodes)
    }
}

/// One round as the lab shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Round {
    /// True time of the selection.
    pub at: Instant,
    /// Each server's interval for (true time − client clock).
    pub sources: Vec<(NodeId, Interval)>,
    /// Marzullo's fault-tolerant answer.
    pub agreed: Result<Agreement, MarzulloError>,
    /// The classic answer: the region most sources agree on.
    pub classic: Option<Agreement>,
    /// The true offset (true time − client clock) at the selection.
    pub truth: Span,
    /// Whether the agreed interval contains it.
    pub contains_truth: bool,
    /// Whether the classic answer contains it.
    pub classic_contains_truth: bool,
    /// The client's error (clock − true time) right after correcting.
    pub error_after: Span,
}

/// A finished run.
#[derive(Clone, Debug)]
pub struct Run {
    /// The trace.
    pub trace: Trace,
    /// The rounds.
    pub rounds: Vec<Round>,
    /// The lying servers.
    pub liars: Vec<NodeId>,
}

/// Runs the scenario; out-of-range parameters are refused (see [`Params::clamp`]).
///
/// ```
/// use chronoscope::scenario::ntp_select::{self, Params};
/// let run = ntp_select::run(&Params::default()).unwrap(); // 2 subtle liars of 5, f = 2
/// assert!(run.rounds.iter().all(|r| r.contains_truth));
/// assert!(run.rounds.iter().any(|r| !r.classic_contains_truth));
/// ```
pub fn run(params: &Params) -> Result<Run, SelectError> {
    params.validate()?;
    let ms = |v: u32| Span::from_millis(v.into());
    let n = params.servers;
    let honest = n - params.liars;
    let servers: Vec<NodeId> = (1..=n).map(NodeId).collect();
    let liars: Vec<NodeId> = servers[honest as usize..].to_vec();
    let nodes = params.nodes()?;
    // Honest servers' clocks are within their error bound; the client is off and drifts.
    let mut rng = Rng::seed_from_u64(params.seed ^ 0x4E54_5053_454C_0003);
    let e = i64::from(params.error_ms) * 1_000_000;
    let mut clocks = alloc::vec![PhysicalClock::new(
        ms(params.client_offset_ms),
        f64::from(params.client_drift_ppm)
    )];
    clocks.extend((0..n).map(|_| PhysicalClock::new(Span::from_nanos(rng.in_range(-e, e)), 0.0)));
    let config = SimConfig {
        seed: params.seed,
        network: Network {
            latency: Latency::Uniform {
                min: ms(params.latency_min_ms),
                max: ms(params.latency_max_ms),
            },
            ..Network::default()
        },
        clocks,
        labels: true,
    };
    let mut sim = Simulation::new(nodes, config).map_err(SelectError::Sim)?;
    let mut rounds = Vec::new();
    let mut seen = 0;
    while rounds.len() < params.rounds as usize && sim.step() {
        let fresh: Vec<_> = sim.outputs()[seen..].to_vec();
        seen = sim.outputs().len();
        for r in fresh {
            let NtpOutput::Selected {
                sources,
                agreed,
                before,
                correction,
                ..
            } = r.output;
            let truth = r.at.since(before);
            let intervals: Vec<Interval> = sources.iter().map(|(_, i)| *i).collect();
            let classic = best(&intervals);
            let point = Instant::ZERO + truth;
            rounds.push(Round {
                at: r.at,
                contains_truth: agreed.as_ref().is_ok_and(|a| a.interval.contains(point)),
                classic_contains_truth: classic.is_some_and(|a| a.interval.contains(point)),
                error_after: (before + correction).since(r.at),
                sources,
                agreed,
                classic,
                truth,
            });
        }
    }
    Ok(Run {
        trace: sim.finish(),
        rounds,
        liars,
    })
}
