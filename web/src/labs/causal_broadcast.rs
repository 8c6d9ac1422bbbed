//! The Causal-broadcast lab: nodes broadcast over a reordering network; each holds back a
//! message until everything it causally depends on has been delivered (Birman, Schiper &
//! Stephenson, "Lightweight causal and atomic group multicast", 1991). The page shows each
//! node's hold-back queue at the playback position, its arrival order against its delivery
//! order, queue lengths over time, and stuck reports.
//!
//! Everything is computed by `chronoscope::scenario::causal_broadcast` and checked by
//! `chronoscope::scenario::checks::causal_broadcast`; this file only shows it.

use std::collections::BTreeSet;
use std::rc::Rc;

use chronoscope::broadcast::BroadcastId;
use chronoscope::scenario::causal_broadcast::{self, Params, Run, SPEC};
use chronoscope::scenario::checks::causal_broadcast::OrderCheck;
use chronoscope::trace::{EventId, Trace};

use super::kit::{prelude::*, time_at};

const SLUG: &str = "causal-broadcast";

/// The lab page: reads the URL, runs the scenario, shows the run.
#[function_component(CausalBroadcastLab)]
pub fn causal_broadcast_lab() -> Html {
    html! {
        <LabPage<Params, Computed> slug={SLUG} title="Causal broadcast" explain={EXPLAIN} spec={&SPEC} tour={tour_steps as fn() -> Vec<TourStep>} run={&RUN} />
    }
}

const EXPLAIN: &str = "Every node broadcasts a few messages; the network reorders them. Causal broadcast (Birman, Schiper & \
                Stephenson 1991) delivers a message only after every message its sender had delivered before sending it: \
                each message carries its sender's vector clock, and a receiver holds it back while some entry shows a \
                message it has not yet delivered. So a reply is never shown before the message it answers — but messages \
                that are concurrent may be delivered in different orders at different nodes. The hold-back queue of each \
                node is shown at the playback position; a message lost without retransmission leaves its dependants stuck, \
                and the node says so.";

struct Computed {
    trace: SharedTrace,
    run: Run,
    check: OrderCheck,
    broadcasts: Shared<BTreeSet<EventId>>,
    series: Rc<Vec<Series>>,
    /// Per node: messages that were held back and later delivered.
    held_then_delivered: Vec<Vec<BroadcastId>>,
}

fn compute(p: &Params) -> Result<Computed, String> {
    let mut run = causal_broadcast::run(p).map_err(|e| e.to_string())?;
    let check = run.order_check();
    let trace = std::mem::replace(&mut run.trace, Trace::new(0));
    let broadcasts = run.broadcasts.values().copied().collect();
    let series = run
        .nodes
        .iter()
        .map(|v| Series {
            name: format!("{}", v.node),
            points: step_points(
                run.holdback
                    .iter()
                    .filter(|h| h.node == v.node)
                    .map(|h| (h.at.as_millis_f64(), h.waiting.len() as f64)),
            ),
            color: PALETTE[v.node.index() % PALETTE.len()],
        })
        .collect();
    let held_then_delivered = run
        .nodes
        .iter()
        .map(|v| {
            let held: BTreeSet<BroadcastId> = run
                .holdback
                .iter()
                .filter(|h| h.node == v.node)
                .flat_map(|h| h.waiting.iter().map(|(id, _)| *id))
                .collect();
            v.delivery
                .iter()
                .copied()
                .filter(|id| held.contains(id))
                .collect()
        })
        .collect();
    Ok(Computed {
        trace: SharedTrace::from(trace),
        run,
        check,
        broadcasts: Shared(Rc::new(broadcasts)),
        series: Rc::new(series),
        held_then_delivered,
    })
}

fn id_list(ids: &[BroadcastId], class: &'static str) -> Html {
    html! {
        <ol class={classes!("ids", class)}>
            { for ids.iter().map(|id| html! { <li>{ id.to_string() }</li> }) }
        </ol>
    }
}

static RUN: RunSpec<Params, Computed> = RunSpec::new(compute, view, |p| {
    format!("causal-broadcast-seed{}-n{}", p.seed, p.nodes)
});

impl Traced for Computed {
    fn shared_trace(&self) -> SharedTrace {
        self.trace.clone()
    }
}

fn view(_: &Params, c: &Computed, lab: &LabRun) -> Html {
    let playback = &lab.playback;
    let run = &c.run;
    let trace = c.trace.clone();
    let now = time_at(&trace, playback.position);
    let now_ms = now.as_millis_f64();
    let invariants = run.invariants(&c.check, now);
    let held_total: usize = c.held_then_delivered.iter().map(Vec::len).sum();
    let nodes = run.nodes.iter().map(|v| {
        let queue = run
            .holdback
            .iter()
            .take_while(|h| h.at <= now)
            .filter(|h| h.node == v.node)
            .last()
            .map(|h| h.waiting.clone())
            .unwrap_or_default();
        let own_removed: Vec<BroadcastId> = v
            .delivery
            .iter()
            .copied()
            .filter(|id| id.origin != v.node)
            .collect();
        let reordered = own_removed != v.arrival;
        html! {
            <div class="node-view" data-node={v.node.to_string()}>
                <h4>{ format!("Node {}", v.node) }</h4>
                <p>{ format!("Hold-back queue at {now_ms:.0} ms:") }</p>
                <ul class="holdback" aria-live="polite">
                    if queue.is_empty() { <li class="empty">{"(empty)"}</li> }
                    { for queue.iter().map(|(id, wait)| html! {
                        <li class="held">{ format!("{id} waits for {wait}") }</li>
                    }) }
                </ul>
                <p>{"Arrival order (others' messages):"}</p>
                { id_list(&v.arrival, "arrival") }
                <p>{ if reordered { "Delivery order (differs from arrival):" } else { "Delivery order:" } }</p>
                { id_list(&v.delivery, "delivery") }
                <p class="held-then-delivered">{ format!("held back, then delivered: {}",
                    c.held_then_delivered[v.node.index()].iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")) }</p>
            </div>
        }
    });
    html! {
        <div class="run">
            <p class="run-summary">
                { format!("{} nodes · {} events · peak hold-back {} · {} messages held back then delivered · {} stuck reports",
                    trace.node_count(), trace.events().len(), run.peak_held, held_total, run.stuck.len()) }
            </p>
            <PlaybackControls playback={playback.clone()} />
            <InvariantBadges {invariants} />
            { lab.body(&trace, Some(c.broadcasts.clone()), None) }
            <p>{"Ringed events are broadcasts. "}{ format!("Now: {now_ms:.0} ms") }</p>
            <div class="lab-state nodes">{ for nodes }</div>
            <Plot series={c.series.clone()} title="Hold-back queue length per node" x_label="true time (ms)"
                y_label="messages held" cursor={Some(now_ms)} />
            { lab.footer(lab.export_name.clone(), vec![]) }
        </div>
    }
}

/// The lab's guided tour.
pub fn tour_steps() -> Vec<TourStep> {
    vec![
        TourStep {
            title: "A slow link",
            text: "Messages from A to the last node take two extra seconds. Everything B and the others send after \
                   hearing from A depends on A's message — and reaches the last node first.",
            query: Some("seed=1&nodes=3&messages=3&slow=2000&loss=0"),
            at: Some(0.4),
        },
        TourStep {
            title: "Held back",
            text: "The last node's hold-back queue now holds messages waiting for A's. Their vector clocks say they \
                   depend on something it has not delivered yet.",
            query: None,
            at: Some(0.6),
        },
        TourStep {
            title: "Delivered in causal order",
            text: "When A's message finally arrives, the queue drains: delivery order differs from arrival order, \
                   and no message was delivered before its dependencies.",
            query: None,
            at: Some(1.0),
        },
        TourStep {
            title: "Loss without retransmission",
            text: "With 30 % loss and no retransmission, some dependants wait forever; after the stuck limit the \
                   node reports what it is waiting for. Set retransmit to 1 to repair it.",
            query: Some("seed=1&nodes=3&messages=5&slow=0&loss=30&stuck=1000"),
            at: Some(1.0),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::kit;
    use chronoscope::scenario::causal_broadcast::lab_defaults;

    #[test]
    fn query_round_trips_and_the_default_run_holds_back_in_causal_order() {
        let p = Params {
            nodes: 4,
            seed: 7,
            crash: Some(2),
            retransmit: true,
            ..lab_defaults()
        };
        let (back, notes) = kit::round_trip(&SPEC, &p);
        assert_eq!(back, p);
        assert!(notes.is_empty(), "{notes:?}");
        let (p, notes) = kit::read(&SPEC, &Query::parse("nodes=99&crash=50&loss=90"));
        assert_eq!(notes.len(), 3, "{notes:?}");
        assert_eq!(p.crash, None);

        let c = compute(&lab_defaults()).unwrap();
        assert!(c.check.violations.is_empty());
        assert_eq!(c.check.unmatched, 0);
        assert!(c.check.related_pairs > 0);
        assert!(c.held_then_delivered.iter().any(|h| !h.is_empty()));
    }
}
