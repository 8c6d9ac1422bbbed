//! The CRDT lab: replicas of a PN-counter update on their own — one cut off by a partition,
//! working offline — and gossip their states; when the partition heals the states merge and
//! every replica converges with no coordination (the core's `scenario::crdt`). Below it, a
//! hands-on panel puts two replicas of any of the core's CRDTs side by side (G-Counter,
//! PN-Counter, G-Set, 2P-Set, OR-Set, LWW- and MV-Register): apply operations on each, merge
//! one into the other, and watch them converge (Shapiro, Preguiça, Baquero, Zawirski 2011,
//! "A comprehensive study of Convergent and Commutative Replicated Data Types"). Every
//! operation goes through the core's `validate_op` / `apply` / `merge`; the lab decides nothing.
//!
//! Seed and parameters live in the URL (`#/lab/crdt?nodes=3&offline=2000&type=or-set&…`).

use std::collections::BTreeMap;
use std::rc::Rc;

use chronoscope::crdt::CvRdt;
use chronoscope::node::NodeId;
use chronoscope::scenario::crdt::{
    self, CounterOp, CounterOutput, LabParams as RunParams, Params, Report, SPEC,
};

use super::crdt_panel::{CrdtPanel, Kind};
use super::kit::{self, prelude::*};

pub(super) const SLUG: &str = "crdt";
/// The key the panel's type selector sets.
const PANEL: &[&str] = &["type"];

/// The lab's URL state: the simulated run's parameters and the panel's CRDT type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabParams {
    /// The scenario's parameters.
    pub run: Params,
    /// The panel's type.
    pub kind: Kind,
}

/// Reads the lab's parameters from a query string (see [`crdt::SPEC`](SPEC)); the notes
/// say what could not be used as given.
pub fn params_from_query(query: &Query) -> (LabParams, Vec<String>) {
    let (lab, notes) = kit::read(&SPEC, query);
    let kind = Kind::ALL.get(lab.panel).copied().unwrap_or(Kind::OrSet);
    (LabParams { run: lab.run, kind }, notes)
}

/// The query string that reproduces `params`.
pub fn params_to_query(params: &LabParams) -> BTreeMap<&'static str, String> {
    let panel = Kind::ALL
        .iter()
        .position(|k| *k == params.kind)
        .unwrap_or(0);
    kit::write(
        &SPEC,
        &RunParams {
            run: params.run.clone(),
            panel,
        },
    )
}

/// The lab page.
#[function_component(CrdtLab)]
pub fn crdt_lab() -> Html {
    let (params, notes) = params_from_query(&kit::use_query());
    let run_key = format!("{:?}", params.run);
    let (seek, on_tour) = use_tour(SLUG);
    let explain = html! {
                {"A conflict-free replicated data type (Shapiro, Preguiça, Baquero and Zawirski 2011) lets every replica \
                update its own copy with no coordination — even while cut off — and still converge: states form a \
                join-semilattice and merge is its least upper bound, so it is commutative, associative and idempotent, \
                and replicas that have seen the same updates hold the same state whatever the order, duplication or \
                batching of the merges (strong eventual consistency). Below, PN-counter replicas update while the last \
                one is partitioned away, gossip their whole state, and converge once the partition heals; then try \
                each type by hand."}
    };
    page(
        SLUG,
        "CRDTs",
        explain,
        html! { <>
                <LabControls slug={SLUG} spec={SpecRef(&SPEC)} values={params_to_query(&params)} elsewhere={PANEL} {notes} steps={tour_steps()} {on_tour} />
                <CrdtRun key={run_key} params={params.run.clone()} {seek} />
                <CrdtPanel key={params.kind.name()} params={params.clone()} />
        </> },
    )
}

/// Shared run; equality is identity.
#[derive(Clone)]
struct SharedRun(Rc<Result<(Report, SharedTrace), String>>);

impl PartialEq for SharedRun {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// Each replica's value over time (a step line per replica), from the run's outputs.
pub fn value_series(report: &Report, nodes: u32, end_ms: f64) -> Vec<Series> {
    (0..nodes)
        .map(|i| {
            let node = NodeId(i);
            let mut points = vec![(0.0, 0.0)];
            let mut value = 0.0;
            for r in report.outputs.iter().filter(|r| r.node == node) {
                let next = match r.output {
                    CounterOutput::Applied { value, .. } => value as f64,
                    CounterOutput::Merged { after, .. } => after as f64,
                    CounterOutput::Refused { .. } => continue,
                };
                let t = r.at.as_millis() as f64;
                points.push((t, value));
                points.push((t, next));
                value = next;
            }
            points.push((end_ms, value));
            Series {
                name: node.to_string(),
                points,
                color: PALETTE[i as usize % PALETTE.len()],
            }
        })
        .collect()
}

/// Each replica's value, and the total of every update applied anywhere, once the first
/// `shown` trace events have happened.
pub fn values_at(report: &Report, nodes: u32, shown: usize) -> (Vec<i128>, i128) {
    let mut values = vec![0i128; nodes as usize];
    let mut total = 0i128;
    for r in report
        .outputs
        .iter()
        .filter(|r| (r.event.0 as usize) < shown)
    {
        let slot = values.get_mut(r.node.0 as usize);
        match r.output {
            CounterOutput::Applied { op, value } => {
                total += match op {
                    CounterOp::Increment(by) => i128::from(by),
                    CounterOp::Decrement(by) => -i128::from(by),
                };
                if let Some(v) = slot {
                    *v = value;
                }
            }
            CounterOutput::Merged { after, .. } => {
                if let Some(v) = slot {
                    *v = after;
                }
            }
            CounterOutput::Refused { .. } => {}
        }
    }
    (values, total)
}

#[function_component(CrdtRun)]
fn crdt_run(props: &RunProps<Params>) -> Html {
    let run = use_memo(props.params.clone(), |p| {
        crdt::run(p)
            .map(|r| {
                let trace = SharedTrace::from(r.trace.clone());
                (r, trace)
            })
            .map_err(|e| e.to_string())
    });
    let run = SharedRun(run);
    let end_ms = run
        .0
        .as_ref()
        .as_ref()
        .ok()
        .and_then(|(_, t)| t.events().last())
        .map_or(1.0, |e| e.true_time.as_millis() as f64);
    let p = &props.params;
    let export_name = format!("crdt-seed{}-n{}", p.seed, p.nodes);
    let lab = use_lab_run(
        run.0.as_ref().as_ref().ok().map(|(_, t)| t.clone()),
        export_name.clone(),
        2,
        props.seek,
    );
    let playback = lab.playback.clone();
    let series = use_memo(run.clone(), move |run| match run.0.as_ref() {
        Ok((r, t)) => value_series(r, t.node_count(), end_ms),
        Err(_) => Vec::new(),
    });
    let (report, trace) = match run.0.as_ref() {
        Ok(r) => r,
        Err(e) => return run_error(e),
    };
    let position = playback.position;
    let (values, so_far) = values_at(report, p.nodes, position);
    let cursor = position
        .checked_sub(1)
        .and_then(|i| trace.events().get(i))
        .map(|e| e.true_time.as_millis() as f64);
    let shown_values: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, v)| format!("{}={v}", NodeId(i as u32)))
        .collect();
    let invariants = vec![Invariant {
        name: "PN-counter: replicas converged".into(),
        holds: values.iter().all(|&v| v == so_far),
        detail: format!(
            "{} · updates so far add up to {so_far}",
            shown_values.join(" ")
        ),
    }];
    let last = NodeId(p.nodes - 1);
    let finals: Vec<String> = report
        .finals
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{}={}", NodeId(i as u32), s.value()))
        .collect();
    html! {
        <div class="run">
            <p class="run-summary">
                { format!("{} replicas · {last} offline for the first {} ms · gossip every {} ms · {} events · final {} (expected {}){}",
                    p.nodes, p.offline_ms, p.gossip_ms, trace.events().len(), finals.join(" "), report.expected,
                    report.converged_at.map_or(" — NOT converged".to_string(), |t| format!(" — converged by {} ms", t.as_millis()))) }
            </p>
            <InvariantBadges {invariants} />
            <PlaybackControls playback={playback.clone()} />
            { lab.body(trace, None, None) }
            <Plot series={series} title="Each replica's counter value" x_label="true time (ms)" y_label="value" {cursor} />
            { lab.footer(export_name, vec![]) }
        </div>
    }
}

/// The lab's guided tour.
pub fn tour_steps() -> Vec<TourStep> {
    vec![
        TourStep {
            title: "Working offline",
            text: "Three replicas of a counter; C (the bottom line) is partitioned away for the first 2 s. \
                   Everyone keeps updating: the badge is red because the replicas disagree.",
            query: Some("nodes=3&ops=4&gossip=200&offline=2000&seed=1"),
            at: Some(0.3),
        },
        TourStep {
            title: "The partition heals",
            text: "After 2 s C's gossip gets through. Each merge takes the larger of every slot, so no update \
                   is counted twice or lost; the plot's lines meet and the badge turns green.",
            query: None,
            at: Some(1.0),
        },
        TourStep {
            title: "A longer outage",
            text: "Ten seconds offline and five replicas: the offline replica diverges further, and still \
                   converges as soon as it can talk again — no coordination, no lost update.",
            query: Some("nodes=5&ops=6&gossip=300&offline=10000&seed=3"),
            at: Some(1.0),
        },
        TourStep {
            title: "Add wins",
            text: "In the panel below, with the OR-Set: add x on A, merge B ← A, remove x on B, add x again on A, \
                   then merge both ways. x survives: the remove only saw the first add.",
            query: Some("nodes=3&ops=4&gossip=200&offline=2000&seed=1&type=or-set"),
            at: None,
        },
        TourStep {
            title: "Removed for good",
            text: "With the 2P-Set, removing what this replica never added is refused with the core's typed error, \
                   and an element removed once can never be added back.",
            query: Some("nodes=3&ops=4&gossip=200&offline=2000&seed=1&type=2p-set"),
            at: None,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::crdt_panel::{OpKind, Replicas};
    use chronoscope::scenario::crdt::NODES;

    #[test]
    fn query_round_trips_and_bad_values_get_notes() {
        let p = LabParams {
            run: Params {
                nodes: 5,
                seed: 9,
                ..Params::default()
            },
            kind: Kind::TwoPhaseSet,
        };
        let qs: Vec<String> = params_to_query(&p)
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let (back, notes) = params_from_query(&Query::parse(&qs.join("&")));
        assert_eq!(back, p);
        assert!(notes.is_empty(), "{notes:?}");
        let (p, notes) = params_from_query(&Query::parse("nodes=99&type=blob&gossip=zz"));
        assert_eq!(p.run.nodes, *NODES.end());
        assert_eq!(p.kind, Kind::OrSet);
        assert_eq!(notes.len(), 3, "{notes:?}");
    }

    #[test]
    fn every_kind_converges_after_merging_both_ways() {
        for kind in Kind::ALL {
            let mut r = Replicas::new(kind);
            for (tick, (i, input)) in [(0, "3"), (1, "4"), (0, "5")].into_iter().enumerate() {
                for &op in kind.ops() {
                    if op != OpKind::Remove && op != OpKind::Decrement {
                        r.apply(i, op, input, tick as i64 + 1).unwrap();
                    }
                }
            }
            assert!(!r.converged(), "{kind:?}");
            r.merge(0, 1);
            r.merge(1, 0);
            assert!(r.converged(), "{kind:?}");
            assert_eq!(r.value(0), r.value(1));
        }
    }

    #[test]
    fn refused_operations_show_the_core_error_and_change_nothing() {
        let mut r = Replicas::new(Kind::TwoPhaseSet);
        let before = r.clone();
        let e = r.apply(0, OpKind::Remove, "ghost", 1).unwrap_err();
        assert_eq!(e, "element is not in the set");
        assert_eq!(r, before);
        r.apply(0, OpKind::Add, "x", 2).unwrap();
        r.apply(0, OpKind::Remove, "x", 3).unwrap();
        assert_eq!(
            r.apply(0, OpKind::Add, "x", 4).unwrap_err(),
            "element was removed and cannot be re-added"
        );
        assert_eq!(r.value(0), "{}");
        assert!(Replicas::new(Kind::GCounter)
            .apply(0, OpKind::Increment, "-2", 1)
            .is_err());
        assert!(Replicas::new(Kind::GSet)
            .apply(0, OpKind::Remove, "x", 1)
            .is_err());
    }

    #[test]
    fn the_run_converges_and_the_badge_follows_playback() {
        let p = Params::default();
        let r = crdt::run(&p).unwrap();
        let events = r.trace.events().len();
        let (end, total) = values_at(&r, p.nodes, events);
        assert!(end.iter().all(|&v| v == total));
        assert_eq!(total, r.expected);
        // Somewhere in the middle (C offline) the replicas disagree.
        assert!((0..events).any(|k| {
            let (v, t) = values_at(&r, p.nodes, k);
            v.iter().any(|&x| x != t)
        }));
        let s = value_series(&r, p.nodes, 10_000.0);
        assert_eq!(s.len(), 3);
        assert!(s
            .iter()
            .all(|l| l.points.last().map(|p| p.1) == Some(r.expected as f64)));
    }
}
