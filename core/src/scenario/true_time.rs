//! The TrueTime lab's run: Spanner-like transactions on nodes whose clocks drift and are
//! resynced every 30 s (staggered), each node answering `TT.now()` with an interval of
//! half-width ε (Corbett et al., "Spanner", OSDI 2012, §3 and §4.1.2–4.2).
//!
//! A transaction picks its commit timestamp `s = TT.now().latest`; with *commit wait* on it
//! makes its commit visible only once `TT.after(s)` holds. Each root transaction, once
//! committed, tells a random other node (an outside channel — a user, a queue — not the
//! database), which at once starts a follow-up transaction.
//!
//! **External consistency** (§4.1.2): if T₂ starts after T₁'s commit is visible (in true
//! time), then `s₁ < s₂`. [`TrueTimeRun::pairs`] checks it for every such pair. Commit wait
//! guarantees it: T₁ becomes visible after true time `s₁`, and T₂'s `s₂ ≥` its true start.
//! Without commit wait, a follow-up on a node whose ε is small (just synced) can pick a
//! timestamp below that of a transaction on a node late in its sawtooth — a violation.

use alloc::collections::BTreeMap;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;
use core::ops::RangeInclusive;

use super::params::{int, other, seed, span, unrelated, Adjustment, Kind, Spec};
use crate::clock::{Interval, PhysicalClock, TrueTime, TrueTimeConfig, TrueTimeError};
use crate::node::NodeId;
use crate::rng::Rng;
use crate::sim::{Latency, Network, SimConfig, SimError, Simulation};
use crate::time::{Instant, Span};
use crate::trace::{EventId, Trace};

/// Allowed node counts.
pub const NODES: RangeInclusive<u32> = 2..=5;
/// Allowed numbers of root transactions (each also causes one follow-up).
pub const TXNS: RangeInclusive<u32> = 1..=30;
/// Allowed longest latency of the "committed" notice, ms.
pub const LATENCY_MS: RangeInclusive<u32> = 1..=1_000;
/// Allowed clock drift, ppm (TrueTime assumes at most 200).
pub const DRIFT_PPM: RangeInclusive<u32> = 0..=200;
/// How long a run lasts: three sync periods.
pub const HORIZON: Span = Span::from_secs(90);

/// The knobs of a TrueTime run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    /// Number of nodes.
    pub nodes: u32,
    /// The seed.
    pub seed: u64,
    /// Root transactions, spread over the 90 s run.
    pub txns: u32,
    /// Whether commits wait until `TT.after(s)`.
    pub commit_wait: bool,
    /// The notice that starts a follow-up takes 0.2 ms up to this many ms.
    pub latency_max_ms: u32,
    /// Clocks drift by up to this many ppm.
    pub drift_ppm: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            nodes: 3,
            seed: 1,
            txns: 10,
            commit_wait: true,
            latency_max_ms: 3,
            drift_ppm: 150,
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
            "how many nodes run transactions",
            |p| p.nodes.into(),
            |p, v| p.nodes = v as u32,
        ),
        int(
            "txns",
            "transactions",
            "",
            span(&TXNS),
            "root transactions over the 90 s run (each causes one follow-up)",
            |p| p.txns.into(),
            |p, v| p.txns = v as u32,
        ),
        other(
            "wait",
            "commit wait",
            Kind::Switch,
            "whether commits wait until TT.after(s)",
            |p| p.commit_wait.into(),
            |p, v| p.commit_wait = v != 0,
        ),
        int(
            "lat_max",
            "notice latency max",
            "ms",
            span(&LATENCY_MS),
            "the commit notice that starts a follow-up takes up to this",
            |p| p.latency_max_ms.into(),
            |p, v| p.latency_max_ms = v as u32,
        ),
        int(
            "drift",
            "clock drift",
            "ppm",
            span(&DRIFT_PPM),
            "clocks drift by up to this (TrueTime assumes ≤ 200)",
            |p| p.drift_ppm.into(),
            |p, v| p.drift_ppm = v as u32,
        ),
        seed(|p| p.seed.into(), |p, v| p.seed = v as u64),
    ],
    defaults: Params::default,
    relate: unrelated,
};

impl Params {
    /// Brings every parameter into its range, reporting each change (see [`SPEC`]).
    pub fn clamp(self) -> (Params, Vec<Adjustment>) {
        SPEC.clamp(self)
    }
}

pub use crate::clock::commit_wait::{Notice, SpannerNode, TxnEvent, TxnOp, TxnTimer};

/// One transaction of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Txn {
    /// Its id (roots first, then follow-ups).
    pub id: u32,
    /// Its node.
    pub node: NodeId,
    /// The root it follows, for a follow-up.
    pub follows: Option<u32>,
    /// The trace event where it began.
    pub begin: EventId,
    /// The trace event where its commit became visible.
    pub commit: EventId,
    /// True time of the start.
    pub start: Instant,
    /// True time the commit became visible.
    pub committed: Instant,
    /// `TT.now()` at the start.
    pub interval: Interval,
    /// The commit timestamp.
    pub s: Instant,
    /// The commit wait (local time).
    pub wait: Span,
}

/// One checked pair: `first` was visible before `second` started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PairCheck {
    /// Index into [`TrueTimeRun::txns`] of the earlier transaction.
    pub first: usize,
    /// Index of the later one.
    pub second: usize,
    /// True time from `first`'s commit to `second`'s start.
    pub gap: Span,
    /// Whether `s_first < s_second`.
    pub holds: bool,
}

/// A finished run.
#[derive(Clone, Debug, PartialEq)]
pub struct TrueTimeRun {
    /// The trace.
    pub trace: Trace,
    /// Every transaction that committed, by start time.
    pub txns: Vec<Txn>,
    /// Every pair `(T₁, T₂)` with T₁ visible before T₂ started, and its verdict.
    pub pairs: Vec<PairCheck>,
    /// Per node: `(true time, ε)` samples of the sawtooth.
    pub epsilon: Vec<Vec<(Instant, Span)>>,
    /// Every sync: node and true time.
    pub syncs: Vec<(NodeId, Instant)>,
}

impl TrueTimeRun {
    /// `(pairs decided, violations)` among pairs whose later transaction began within the
    /// first `shown` events.
    pub fn external_consistency(&self, shown: usize) -> (usize, usize) {
        let decided = self
            .pairs
            .iter()
            .filter(|p| self.txns[p.second].begin.index() < shown);
        decided.fold((0, 0), |(n, bad), p| (n + 1, bad + usize::from(!p.holds)))
    }
    /// The pairs that violate external consistency.
    pub fn violations(&self) -> impl Iterator<Item = &PairCheck> {
        self.pairs.iter().filter(|p| !p.holds)
    }
}

const SAMPLE: Span = Span::from_millis(500);

/// Why a TrueTime run could not be set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunError {
    /// The simulator refused the set-up.
    Sim(SimError),
    /// TrueTime refused its configuration.
    TrueTime(TrueTimeError),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Sim(e) => write!(f, "simulator: {e}"),
            RunError::TrueTime(e) => write!(f, "TrueTime: {e}"),
        }
    }
}

impl core::error::Error for RunError {}

impl From<SimError> for RunError {
    fn from(e: SimError) -> Self {
        RunError::Sim(e)
    }
}

impl From<TrueTimeError> for RunError {
    fn from(e: TrueTimeError) -> Self {
        RunError::TrueTime(e)
    }
}

/// Runs the scenario (parameters are clamped first).
///
/// ```
/// use chronoscope::scenario::true_time::{run, Params};
/// let with = run(&Params::default()).unwrap();
/// assert!(with.violations().next().is_none());
/// assert!(with.txns.iter().all(|t| t.committed > t.s)); // visible only once s has passed
/// ```
pub fn run(params: &Params) -> Result<TrueTimeRun, RunError> {
    let (p, _) = params.clone().clamp();
    let n = p.nodes as usize;
    let config = TrueTimeConfig::default();
    let mut rng = Rng::seed_from_u64(p.seed ^ 0x7472_7565_7469_6d65);
    let base_us = config.base.as_nanos() / 1_000;
    let residual =
        |rng: &mut Rng| Span::from_micros(rng.in_range(-base_us * 9 / 10, base_us * 9 / 10));
    let mut models: Vec<PhysicalClock> = (0..n)
        .map(|_| {
            let drift = f64::from(p.drift_ppm) * (rng.unit_f64() * 2.0 - 1.0);
            PhysicalClock::new(residual(&mut rng), drift)
        })
        .collect();
    let clocks = models.clone();
    let mut tts = Vec::with_capacity(n);
    for m in &models {
        tts.push(TrueTime::new(config, m.read(Instant::ZERO))?);
    }
    // Root transactions at random nodes and times (1 s .. 89 s).
    let mut starts: Vec<Vec<(Span, u32)>> = vec![Vec::new(); n];
    for txn in 0..p.txns {
        let node = rng.below(n as u64) as usize;
        let at = Span::from_micros(rng.in_range(1_000_000, 89_000_000));
        starts[node].push((at, txn));
    }
    // Syncs: node i at (30 k + 30 i / n) s, with a residual error within the base.
    let period = config.sync_period.as_nanos();
    let mut syncs: Vec<(NodeId, Instant)> = Vec::new();
    for i in 0..n {
        let phase = period * i as i64 / n as i64;
        let mut t = if phase == 0 { period } else { phase };
        while t < HORIZON.as_nanos() {
            syncs.push((NodeId(i as u32), Instant::from_nanos(t)));
            t += period;
        }
    }
    syncs.sort_by_key(|&(node, at)| (at, node));
    let nodes = (0..n)
        .map(|i| {
            SpannerNode::new(
                tts[i],
                p.commit_wait,
                core::mem::take(&mut starts[i]),
                p.txns,
            )
        })
        .collect();
    let sim_config = SimConfig {
        seed: p.seed,
        network: Network {
            latency: Latency::Uniform {
                min: Span::from_micros(200),
                max: Span::from_millis(p.latency_max_ms.into()),
            },
            ..Network::default()
        },
        clocks,
        labels: true,
    };
    let mut sim = Simulation::new(nodes, sim_config)?;
    // ε sawtooth samples, walked alongside the corrections the time masters make.
    let mut epsilon: Vec<Vec<(Instant, Span)>> = vec![Vec::new(); n];
    let mut next_sync = syncs.iter().peekable();
    let mut t = Instant::ZERO;
    while t <= Instant::ZERO + HORIZON {
        while let Some(&&(node, at)) = next_sync.peek().filter(|(_, at)| *at <= t) {
            next_sync.next();
            let i = node.index();
            epsilon[i].push((at, tts[i].epsilon(models[i].read(at))));
            let correction = (at + residual(&mut rng)).since(models[i].read(at));
            models[i].jump(correction);
            tts[i].sync(models[i].read(at));
            epsilon[i].push((at, tts[i].epsilon(models[i].read(at))));
            sim.schedule_clock_jump(at, node, correction)?;
            sim.schedule_operation(at, node, TxnOp::Sync)?;
        }
        for i in 0..n {
            epsilon[i].push((t, tts[i].epsilon(models[i].read(t))));
        }
        t += SAMPLE;
    }
    sim.run_until(Instant::ZERO + HORIZON + Span::from_secs(1));
    let mut begun: BTreeMap<u32, (NodeId, EventId, Instant, Interval, Instant)> = BTreeMap::new();
    let mut txns = Vec::new();
    for r in sim.outputs() {
        match r.output {
            TxnEvent::Begin { txn, interval, s } => {
                begun.insert(txn, (r.node, r.event, r.at, interval, s));
            }
            TxnEvent::Commit { txn, wait, .. } => {
                if let Some(&(node, begin, start, interval, s)) = begun.get(&txn) {
                    txns.push(Txn {
                        id: txn,
                        node,
                        follows: txn.checked_sub(p.txns),
                        begin,
                        commit: r.event,
                        start,
                        committed: r.at,
                        interval,
                        s,
                        wait,
                    });
                }
            }
        }
    }
    txns.sort_by_key(|t| (t.start, t.id));
    let mut pairs = Vec::new();
    for (i, a) in txns.iter().enumerate() {
        for (j, b) in txns.iter().enumerate() {
            if a.committed < b.start {
                pairs.push(PairCheck {
                    first: i,
                    second: j,
                    gap: b.start.since(a.committed),
                    holds: a.s < b.s,
                });
            }
        }
    }
    Ok(TrueTimeRun {
        trace: sim.finish(),
        txns,
        pairs,
        epsilon,
        syncs,
    })
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_transaction_commits_and_the_sawtooth_stays_within_one_to_seven_ms() {
        let r = run(&Params::default()).unwrap();
        assert_eq!(r.txns.len(), 20);
        assert_eq!(r.txns.iter().filter(|t| t.follows.is_some()).count(), 10);
        for series in &r.epsilon {
            assert!(series
                .iter()
                .all(|&(_, e)| e >= Span::from_millis(1) && e < Span::from_micros(7_010)));
            assert!(series.iter().any(|&(_, e)| e > Span::from_millis(6)));
        }
        assert_eq!(r.syncs.len(), 8); // 2 for node A (30, 60 s), 3 each for B and C
    }

    #[test]
    fn without_commit_wait_the_default_run_violates_external_consistency() {
        let off = run(&Params {
            commit_wait: false,
            ..Params::default()
        })
        .unwrap();
        assert!(off.txns.iter().all(|t| t.wait == Span::ZERO));
        let bad = off
            .violations()
            .next()
            .expect("a violation with commit wait off");
        let (a, b) = (off.txns[bad.first], off.txns[bad.second]);
        assert!(a.committed < b.start && a.s >= b.s);
        let (decided, violated) = off.external_consistency(off.trace.events().len());
        assert_eq!(decided, off.pairs.len());
        assert!(violated > 0);
        assert_eq!(off.external_consistency(0), (0, 0));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// Commit wait on ⇒ external consistency for every pair, TT.now() holds the true
        /// start, and each commit is visible only after its timestamp.
        #[test]
        fn commit_wait_gives_external_consistency(
            seed in any::<u64>(), nodes in 2u32..6, txns in 1u32..16, lat in 1u32..10, drift in 0u32..=200,
        ) {
            let r = run(&Params { nodes, seed, txns, commit_wait: true, latency_max_ms: lat, drift_ppm: drift }).unwrap();
            prop_assert_eq!(r.txns.len() as u32, 2 * txns);
            for t in &r.txns {
                prop_assert!(t.interval.contains(t.start), "{:?}", t);
                prop_assert!(t.committed > t.s, "{:?}", t);
            }
            prop_assert!(r.violations().next().is_none());
        }
    }

    #[test]
    fn without_commit_wait_some_seed_violates() {
        let violating = (0..20)
            .filter(|&seed| {
                let r = run(&Params {
                    seed,
                    commit_wait: false,
                    ..Params::default()
                })
                .unwrap();
                let violated = r.violations().next().is_some();
                violated
            })
            .count();
        assert!(violating >= 5, "only {violating} of 20 seeds violate");
    }
}
