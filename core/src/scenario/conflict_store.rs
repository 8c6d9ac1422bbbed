//! The conflict-detecting store's demo script: a replicated key-value store (see
//! [`store::replica`](crate::store::replica)) with node A's clock skewed, run through four
//! phases under one conflict strategy:
//!
//! 1. **Concurrent writes** — A writes `cart="milk"`, B writes `cart="eggs"` 10 ms later,
//!    neither having seen the other.
//! 2. **A causal overwrite** — A writes `profile="v1"`; C reads it and writes `"v2"`.
//! 3. **Resolving** — C reads the cart and writes back the union of its siblings.
//! 4. **A far-future tombstone** — C's clock jumps an hour ahead just long enough to delete
//!    `session`; A writes concurrently, then A and B read and write `session` again.
//!
//! With A's clock ahead, wall-clock LWW acknowledges B's and C's writes and then drops them
//! (the highest timestamp belongs to the fastest clock, not the latest write), and the
//! tombstone swallows every later write; Lamport LWW keeps causal order but silently picks a
//! winner between concurrent writes; vector clocks and DVVs report `concurrent`, keep both
//! siblings, and lose nothing.
//!
//! Parameters come from URLs; [`Params::clamp`] brings any value into range and reports
//! what it changed, [`Params::validate`] refuses out-of-range values with a typed error.

use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::ops::RangeInclusive;

use super::params::{index_of, int, other, span, unrelated, Adjustment, Kind, Spec};
use crate::clock::PhysicalClock;
use crate::node::NodeId;
use crate::sim::{Network, Reported, SimConfig, SimError, Simulation};
use crate::store::merge::Merge;
use crate::store::replica::{Key, Operation, Output, WriteContext};
use crate::store::{Replica, Strategy, WriteId};
use crate::time::{Instant, Span};
use crate::trace::Trace;

/// Allowed skews of node A's clock, in milliseconds (± 10 minutes).
pub const SKEW_MS: RangeInclusive<i64> = -600_000..=600_000;
/// Allowed node counts (the script uses A, B and C; more nodes only replicate).
pub const NODES: RangeInclusive<u32> = 3..=8;
/// Allowed one-way latencies, in milliseconds (the script's steps are 400 ms apart).
pub const LATENCY_MS: RangeInclusive<u32> = 20..=300;

/// The knobs of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    /// The conflict strategy every replica uses.
    pub strategy: Strategy,
    /// How far node A's clock runs ahead of true time (negative: behind), ms.
    pub skew_ms: i64,
    /// Number of replicas.
    pub nodes: u32,
    /// One-way replication latency, ms.
    pub latency_ms: u32,
    /// The seed.
    pub seed: u64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            strategy: Strategy::WallClockLww,
            skew_ms: 5_000,
            nodes: 3,
            latency_ms: 50,
            seed: 1,
        }
    }
}

/// The phases a lab can focus on (0: all).
pub const PHASES: RangeInclusive<u32> = 0..=4;

/// The lab's parameters: a run's, and the phase it focuses on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabParams {
    /// The run.
    pub run: Params,
    /// The phase to focus on (0: all).
    pub phase: u32,
}

/// The lab's parameters, declared once: URL keys, ranges, labels and help.
pub static SPEC: Spec<LabParams> = Spec {
    fields: &[
        other("strategy", "strategy", Kind::Choice(&["lww", "lamport", "vclock", "dvv"]), "how replicas order versions: wall-clock LWW, Lamport LWW, vector clocks, dotted version vectors", |p| index_of(&Strategy::ALL, &p.run.strategy), |p, v| p.run.strategy = Strategy::ALL[v as usize]),
        int("skew", "A's clock skew", "ms", (*SKEW_MS.start(), *SKEW_MS.end()), "how far node A's clock is off (negative = behind)", |p| p.run.skew_ms.into(), |p, v| p.run.skew_ms = v as i64),
        int("nodes", "replicas", "", span(&NODES), "how many replicas", |p| p.run.nodes.into(), |p, v| p.run.nodes = v as u32),
        int("latency", "latency", "ms", span(&LATENCY_MS), "one-way delay of every message", |p| p.run.latency_ms.into(), |p, v| p.run.latency_ms = v as u32),
        int("phase", "phase", "", span(&PHASES), "the script phase to focus on (0 = all)", |p| p.phase.into(), |p, v| p.phase = v as u32),
        other("seed", "seed", Kind::Seed, "the run's random seed", |p| p.run.seed.into(), |p, v| p.run.seed = v as u64),
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
    pub given: i64,
    /// The smallest allowed value.
    pub min: i64,
    /// The largest allowed value.
    pub max: i64,
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} = {} is outside {}..={}",
            self.name, self.given, self.min, self.max
        )
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
        match SPEC.first_invalid(&lab).and_then(|key| SPEC.param(key)) {
            Some(param) => {
                let (min, max) = param.kind.bounds();
                Err(ParamError {
                    name: param.key,
                    given: SPEC.value(&lab, param.key).unwrap_or_default() as i64,
                    min: min as i64,
                    max: max as i64,
                })
            }
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

    /// The simulator configuration: a constant-latency network, A's clock skewed.
    pub fn config(&self) -> SimConfig {
        let mut clocks = alloc::vec![PhysicalClock::perfect(); self.nodes as usize];
        if let Some(a) = clocks.first_mut() {
            *a = PhysicalClock::new(Span::from_millis(self.skew_ms), 0.0);
        }
        SimConfig {
            seed: self.seed,
            network: Network::constant(Span::from_millis(self.latency_ms.into())),
            clocks,
            labels: true,
        }
    }
}

/// What one step of the script does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// A client request.
    Op(Operation),
    /// The node's physical clock jumps.
    ClockJump(Span),
}

/// One scripted step: at true time `at`, at `node`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// True time.
    pub at: Instant,
    /// Where.
    pub node: NodeId,
    /// What.
    pub action: Action,
}

/// A phase of the script: a title, when it starts, and its steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phase {
    /// What the phase shows.
    pub title: &'static str,
    /// When it starts (true time).
    pub start: Instant,
    /// Its steps.
    pub steps: Vec<Step>,
}

const A: NodeId = NodeId(0);
const B: NodeId = NodeId(1);
const C: NodeId = NodeId(2);

fn op(ms: i64, node: NodeId, operation: Operation) -> Step {
    Step {
        at: Instant::from_millis(ms),
        node,
        action: Action::Op(operation),
    }
}
fn get(ms: i64, node: NodeId, key: &str) -> Step {
    op(ms, node, Operation::Get { key: key.into() })
}
fn put(ms: i64, node: NodeId, key: &str, value: &str, context: WriteContext) -> Step {
    op(
        ms,
        node,
        Operation::Put {
            key: key.into(),
            value: value.into(),
            context,
        },
    )
}

/// The demo script (the same for every strategy).
pub fn script() -> Vec<Phase> {
    use WriteContext::{Blind, LastRead};
    let hour = Span::from_secs(3_600);
    alloc::vec![
        Phase {
            title: "1. concurrent writes: A and B both write cart, neither seeing the other",
            start: Instant::ZERO,
            steps: alloc::vec![
                put(0, A, "cart", "milk", Blind),
                put(10, B, "cart", "eggs", Blind),
                get(500, A, "cart"),
                get(500, B, "cart"),
            ],
        },
        Phase {
            title: "2. a causal overwrite: C reads A's profile, then writes a new one",
            start: Instant::from_millis(1_000),
            steps: alloc::vec![
                put(1_000, A, "profile", "v1", Blind),
                get(1_500, C, "profile"),
                put(1_501, C, "profile", "v2", LastRead),
                get(2_000, A, "profile"),
            ],
        },
        Phase {
            title: "3. resolving: C reads the cart and writes back the union of its siblings",
            start: Instant::from_millis(2_500),
            steps: alloc::vec![
                op(
                    2_500,
                    C,
                    Operation::Resolve {
                        key: "cart".into(),
                        merge: Merge::Union,
                    }
                ),
                get(3_000, A, "cart"),
            ],
        },
        Phase {
            title: "4. a far-future tombstone: C deletes session with its clock an hour ahead",
            start: Instant::from_millis(4_000),
            steps: alloc::vec![
                put(4_000, B, "session", "s1", Blind),
                get(4_400, C, "session"),
                get(4_450, A, "session"),
                Step {
                    at: Instant::from_millis(4_500),
                    node: C,
                    action: Action::ClockJump(hour),
                },
                op(
                    4_501,
                    C,
                    Operation::Delete {
                        key: "session".into(),
                        context: LastRead
                    }
                ),
                Step {
                    at: Instant::from_millis(4_502),
                    node: C,
                    action: Action::ClockJump(Span::ZERO - hour),
                },
                put(4_501, A, "session", "s2", LastRead),
                get(5_000, A, "session"),
                put(5_001, A, "session", "s3", LastRead),
                get(6_000, B, "session"),
                put(6_001, B, "session", "s4", LastRead),
                get(7_000, A, "session"),
                get(7_000, C, "session"),
            ],
        },
    ]
}

/// A write that was acknowledged and later discarded unseen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LostWrite {
    /// The key.
    pub key: Key,
    /// The write.
    pub write: WriteId,
    /// Its value (`None`: a delete).
    pub value: Option<String>,
    /// When the loss was first reported (true time).
    pub at: Instant,
}

/// Everything a run produced.
#[derive(Clone, Debug)]
pub struct Report {
    /// The parameters used.
    pub params: Params,
    /// The script that ran.
    pub phases: Vec<Phase>,
    /// Every replica output, in order.
    pub outputs: Vec<Reported<Output>>,
    /// Writes acknowledged to clients.
    pub acked: Vec<WriteId>,
    /// Acknowledged writes that were then dropped unseen (each once).
    pub lost: Vec<LostWrite>,
    /// Pairs of writes reported concurrent (each pair once).
    pub concurrent: Vec<(Key, WriteId, WriteId)>,
    /// Whether every replica ended with the same versions of every key.
    pub converged: bool,
    /// The final values at node A, per key.
    pub final_values: Vec<(Key, Vec<Option<String>>)>,
    /// The run's trace.
    pub trace: Trace,
}

impl Report {
    /// The run as the demo script prints it: phase headings, every output (each loss and
    /// each concurrent pair once), a summary line and the final values at node A.
    pub fn transcript(&self) -> Vec<String> {
        let p = &self.params;
        let mut lines = alloc::vec![format!(
            "=== {} — node A's clock {:+} ms, {} nodes, {} ms latency ===",
            p.strategy, p.skew_ms, p.nodes, p.latency_ms
        )];
        let mut lost_seen = BTreeSet::new();
        let mut pairs_seen = BTreeSet::new();
        let mut phase = 0;
        for r in &self.outputs {
            while phase < self.phases.len() && self.phases[phase].start <= r.at {
                lines.push(format!("-- {}", self.phases[phase].title));
                phase += 1;
            }
            let fresh = match &r.output {
                Output::Lost { write, .. } => lost_seen.insert(*write),
                Output::Concurrent { key, a, b } => pairs_seen.insert((key.clone(), *a, *b)),
                _ => true,
            };
            if fresh {
                lines.push(format!(
                    "[{:>6} ms] {}  {}",
                    r.at.as_millis(),
                    r.node,
                    r.output
                ));
            }
        }
        let show = |v: &Option<String>| match v {
            Some(v) => format!("{v:?}"),
            None => String::from("<deleted>"),
        };
        let lost: Vec<String> = self
            .lost
            .iter()
            .map(|l| format!("{} {}={}", l.write, l.key, show(&l.value)))
            .collect();
        lines.push(format!(
            "summary: {} writes acked; {} acked then silently lost{}{}; {} concurrent pairs kept as siblings; replicas converged: {}",
            self.acked.len(),
            lost.len(),
            if lost.is_empty() { "" } else { ": " },
            lost.join(", "),
            self.concurrent.len(),
            if self.converged { "yes" } else { "no" }
        ));
        let finals: Vec<String> = self
            .final_values
            .iter()
            .map(|(k, vs)| {
                let vs: Vec<String> = vs.iter().map(show).collect();
                format!("{k}=[{}]", vs.join(", "))
            })
            .collect();
        lines.push(format!("final at A: {}", finals.join("  ")));
        lines
    }
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

/// Runs the script under `params.strategy`.
///
/// ```
/// use chronoscope::scenario::conflict_store::{run, Params};
/// use chronoscope::store::Strategy;
/// let lww = run(&Params::default()).unwrap();
/// assert!(!lww.lost.is_empty()); // acked, then silently dropped
/// let vc = run(&Params { strategy: Strategy::VectorClocks, ..Params::default() }).unwrap();
/// assert!(vc.lost.is_empty() && !vc.concurrent.is_empty());
/// ```
pub fn run(params: &Params) -> Result<Report, RunError> {
    params.validate().map_err(RunError::Param)?;
    let nodes = (0..params.nodes)
        .map(|_| Replica::new(params.strategy))
        .collect();
    let mut sim = Simulation::new(nodes, params.config()).map_err(RunError::Sim)?;
    let phases = script();
    for step in phases.iter().flat_map(|p| &p.steps) {
        match &step.action {
            Action::Op(o) => sim.schedule_operation(step.at, step.node, o.clone()),
            Action::ClockJump(by) => sim.schedule_clock_jump(step.at, step.node, *by),
        }
        .map_err(RunError::Sim)?;
    }
    sim.run_until(Instant::from_millis(60_000));

    let outputs: Vec<Reported<Output>> = sim.outputs().to_vec();
    let mut acked = Vec::new();
    let mut lost = Vec::new();
    let mut lost_ids = BTreeSet::new();
    let mut concurrent = Vec::new();
    for r in &outputs {
        match &r.output {
            Output::Ack { write, .. } => acked.push(*write),
            Output::Lost {
                key, write, value, ..
            } if lost_ids.insert(*write) => lost.push(LostWrite {
                key: key.clone(),
                write: *write,
                value: value.clone(),
                at: r.at,
            }),
            Output::Concurrent { key, a, b } => {
                let pair = (key.clone(), *a, *b);
                if !concurrent.contains(&pair) {
                    concurrent.push(pair);
                }
            }
            _ => {}
        }
    }
    let replicas: Vec<&Replica> = (0..params.nodes)
        .filter_map(|i| sim.node(NodeId(i)))
        .collect();
    let converged = replicas.windows(2).all(|w| {
        let keys: BTreeSet<&str> = w[0].keys().chain(w[1].keys()).collect();
        keys.iter().all(|k| w[0].versions(k) == w[1].versions(k))
    });
    let final_values = replicas
        .first()
        .map(|a| {
            a.keys()
                .map(|k| {
                    let values = a
                        .values(k)
                        .into_iter()
                        .map(|v| v.map(String::from))
                        .collect();
                    (String::from(k), values)
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Report {
        params: params.clone(),
        phases,
        outputs,
        acked,
        lost,
        concurrent,
        converged,
        final_values,
        trace: sim.finish(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(strategy: Strategy) -> Report {
        run(&Params {
            strategy,
            ..Params::default()
        })
        .unwrap()
    }

    fn lost_values(r: &Report) -> Vec<Option<&str>> {
        r.lost.iter().map(|l| l.value.as_deref()).collect()
    }

    fn final_of<'a>(r: &'a Report, key: &str) -> Vec<Option<&'a str>> {
        r.final_values
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.iter().map(|x| x.as_deref()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn wall_clock_lww_acks_then_drops_writes_and_the_tombstone_wins() {
        let r = with(Strategy::WallClockLww);
        assert!(r.converged);
        assert!(r.concurrent.is_empty());
        // B's eggs (concurrent), C's v2 (causally later!), C's cart merge, and every
        // session write after the far-future delete (s1 was seen by the delete: not lost).
        assert_eq!(
            lost_values(&r),
            [
                Some("eggs"),
                Some("v2"),
                Some("milk"),
                Some("s2"),
                Some("s3"),
                Some("s4")
            ]
        );
        assert!(r.lost.iter().all(|l| r.acked.contains(&l.write)));
        assert_eq!(final_of(&r, "session"), [None]);
        assert_eq!(final_of(&r, "profile"), [Some("v1")]);
    }

    #[test]
    fn lamport_lww_keeps_causal_order_but_picks_a_concurrent_winner() {
        let r = with(Strategy::LamportLww);
        assert!(r.converged);
        assert!(r.concurrent.is_empty());
        let lost = lost_values(&r);
        // Exactly one of the concurrent cart writes is dropped; the causal v2 survives.
        assert_eq!(
            lost.iter()
                .filter(|v| matches!(v, Some("milk" | "eggs")))
                .count(),
            1
        );
        assert!(!lost.contains(&Some("v2")));
        assert_eq!(final_of(&r, "profile"), [Some("v2")]);
        assert_eq!(final_of(&r, "session"), [Some("s4")]);
    }

    #[test]
    fn sibling_strategies_report_concurrency_and_lose_nothing() {
        for s in [Strategy::VectorClocks, Strategy::DottedVersionVectors] {
            let r = with(s);
            assert!(r.converged, "{s}");
            assert!(r.lost.is_empty(), "{s}: {:?}", r.lost);
            let pairs: Vec<(&str, u32, u32)> = r
                .concurrent
                .iter()
                .map(|(k, a, b)| (k.as_str(), a.node.0, b.node.0))
                .collect();
            assert!(pairs.contains(&("cart", 0, 1)), "{s}: {pairs:?}");
            // The far-future delete is just another concurrent version.
            assert!(pairs.contains(&("session", 0, 2)), "{s}: {pairs:?}");
            assert_eq!(final_of(&r, "cart"), [Some("eggs,milk")]);
            assert_eq!(final_of(&r, "profile"), [Some("v2")]);
            assert_eq!(final_of(&r, "session"), [Some("s4")]);
        }
    }

    #[test]
    fn no_skew_no_loss_for_causal_writes_under_wall_clock() {
        let r = run(&Params {
            skew_ms: 0,
            ..Params::default()
        })
        .unwrap();
        assert!(!lost_values(&r).contains(&Some("v2")));
    }

    #[test]
    fn params_are_validated_and_clamped() {
        let bad = Params {
            skew_ms: i64::MAX,
            nodes: 1,
            ..Params::default()
        };
        assert_eq!(
            run(&bad).unwrap_err().to_string(),
            "skew = 9223372036854775807 is outside -600000..=600000"
        );
        let (p, notes) = bad.clamp();
        assert_eq!((p.skew_ms, p.nodes), (600_000, 3));
        assert_eq!(notes.len(), 2);
        assert!(run(&p).is_ok());
    }
}
