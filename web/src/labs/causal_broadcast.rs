//! The Causal-broadcast lab: nodes broadcast over a reordering network; each holds back a
//! message until everything it causally depends on has been delivered (Birman, Schiper &
//! Stephenson, "Lightweight causal and atomic group multicast", 1991). The page shows each
//! node's hold-back queue at the playback position, its arrival order against its delivery
//! order, queue lengths over time, and stuck reports.
//!
//! Everything is computed by `chronoscope::scenario::causal_broadcast`; this file only shows
//! it, and checks the delivery orders against the trace's happens-before relation.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use chronoscope::broadcast::BroadcastId;
use chronoscope::scenario::causal_broadcast::{
    self, Params, Run, LATENCY_MS, MESSAGES, NODES, PERCENT, WAIT_MS,
};
use chronoscope::trace::{CausalIndex, EventId, EventKind, Trace};
use yew::prelude::*;

use super::bcast_kit::{notices, time_at, use_lab_query, use_tour_moves, Field, LabForm};
use crate::components::badge::{Invariant, InvariantBadges};
use crate::components::diagram::{Shared, SpaceTimeDiagram};
use crate::components::export::{use_trace_exports, ExportMenu};
use crate::components::inspector::EventInspector;
use crate::components::playback::{
    use_playback_keys, use_playback_timer, use_seek, Playback, PlaybackAction, PlaybackControls,
};
use crate::components::plot::{Plot, Series, PALETTE};
use crate::components::tour::{Tour, TourStep};
use crate::components::SharedTrace;
use crate::query::Query;

const SLUG: &str = "causal-broadcast";

/// The lab's defaults: the core's, with a slow link so that something is held back (and a
/// stuck limit above that delay, so the default run reports nothing stuck).
pub fn defaults() -> Params {
    Params {
        slow_link_ms: 2_000,
        stuck_after_ms: 5_000,
        ..Params::default()
    }
}

/// Reads the lab's parameters from a query string, clamping each into range; the returned
/// notes say what was changed and why.
pub fn params_from_query(query: &Query) -> (Params, Vec<String>) {
    let d = defaults();
    let mut notes = Vec::new();
    let flag = |key: &str, default: bool, notes: &mut Vec<String>| {
        query.u32_or(key, u32::from(default), notes) != 0
    };
    let crash = match query.get("crash") {
        None | Some("") | Some("none") => None,
        Some(_) => Some(query.u32_or("crash", 0, &mut notes)),
    };
    let raw = Params {
        nodes: query.u32_or("nodes", d.nodes, &mut notes),
        seed: query.u64_or("seed", d.seed, &mut notes),
        messages: query.u32_or("messages", d.messages, &mut notes),
        latency_min_ms: query.u32_or("lat_min", d.latency_min_ms, &mut notes),
        latency_max_ms: query.u32_or("lat_max", d.latency_max_ms, &mut notes),
        loss_percent: query.u32_or("loss", d.loss_percent, &mut notes),
        duplicate_percent: query.u32_or("dup", d.duplicate_percent, &mut notes),
        retransmit: flag("retransmit", d.retransmit, &mut notes),
        relay: flag("relay", d.relay, &mut notes),
        stuck_after_ms: query.u32_or("stuck", d.stuck_after_ms, &mut notes),
        crash,
        crash_at_ms: query.u32_or("crash_at", d.crash_at_ms, &mut notes),
        slow_link_ms: query.u32_or("slow", d.slow_link_ms, &mut notes),
    };
    let (params, adjustments) = raw.clamp();
    notes.extend(adjustments.iter().map(ToString::to_string));
    (params, notes)
}

/// The query string that reproduces `params`.
pub fn params_to_query(p: &Params) -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        ("nodes", p.nodes.to_string()),
        ("seed", p.seed.to_string()),
        ("messages", p.messages.to_string()),
        ("lat_min", p.latency_min_ms.to_string()),
        ("lat_max", p.latency_max_ms.to_string()),
        ("loss", p.loss_percent.to_string()),
        ("dup", p.duplicate_percent.to_string()),
        ("retransmit", u32::from(p.retransmit).to_string()),
        ("relay", u32::from(p.relay).to_string()),
        ("stuck", p.stuck_after_ms.to_string()),
        (
            "crash",
            p.crash
                .map_or_else(|| "none".to_string(), |c| c.to_string()),
        ),
        ("crash_at", p.crash_at_ms.to_string()),
        ("slow", p.slow_link_ms.to_string()),
    ])
}

fn fields() -> Vec<Field> {
    vec![
        Field::new("nodes", "nodes", &NODES),
        Field::new("broadcasts per node", "messages", &MESSAGES),
        Field::new("latency min (ms)", "lat_min", &LATENCY_MS),
        Field::new("latency max (ms)", "lat_max", &LATENCY_MS),
        Field::new("loss (%)", "loss", &PERCENT),
        Field::new("duplication (%)", "dup", &PERCENT),
        Field::new("retransmit (0/1)", "retransmit", &(0..=1)),
        Field::new("relay (0/1)", "relay", &(0..=1)),
        Field::new(
            "extra delay A → last node (ms)",
            "slow",
            &(0..=*WAIT_MS.end()),
        ),
        Field::new("stuck after (ms)", "stuck", &WAIT_MS),
    ]
}

/// The lab page: reads the URL, runs the scenario, shows the run.
#[function_component(CausalBroadcastLab)]
pub fn causal_broadcast_lab() -> Html {
    let (params, notes) = params_from_query(&use_lab_query());
    let run_key = format!("{params:?}");
    let seek = use_state(|| None::<(u32, f64)>);
    let on_tour = use_tour_moves(SLUG, seek.clone());
    html! {
        <section class="lab" id="lab-causal-broadcast">
            <h2>{"Causal broadcast"}</h2>
            <p class="explain">
                {"Every node broadcasts a few messages; the network reorders them. Causal broadcast (Birman, Schiper & \
                Stephenson 1991) delivers a message only after every message its sender had delivered before sending it: \
                each message carries its sender's vector clock, and a receiver holds it back while some entry shows a \
                message it has not yet delivered. So a reply is never shown before the message it answers — but messages \
                that are concurrent may be delivered in different orders at different nodes. The hold-back queue of each \
                node is shown at the playback position; a message lost without retransmission leaves its dependants stuck, \
                and the node says so."}
            </p>
            { notices(&notes) }
            <Tour steps={tour_steps()} on_move={on_tour} />
            <LabForm slug={SLUG} fields={fields()} values={params_to_query(&params)} />
            <CausalRun key={run_key} {params} seek={*seek} />
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct RunProps {
    params: Params,
    #[prop_or_default]
    seek: Option<(u32, f64)>,
}

/// The causal-order check: pairs delivered against happens-before, over all nodes.
#[derive(Debug, PartialEq)]
struct OrderCheck {
    /// Delivered pairs whose broadcasts are causally related.
    related_pairs: usize,
    /// Of those, pairs delivered after a message that causally follows them.
    violations: Vec<String>,
    /// Broadcasts whose event could not be found in the trace.
    unmatched: usize,
}

/// The trace event of each broadcast: the operation event whose payload is the scenario's
/// text for it (`"A1"` for `A:1`, see the scenario's `run`).
fn broadcast_events(trace: &Trace) -> BTreeMap<BroadcastId, EventId> {
    let mut out = BTreeMap::new();
    for e in trace.events() {
        if !matches!(e.kind, EventKind::Local) {
            continue;
        }
        let Some(text) = e.label.strip_prefix('"').and_then(|l| l.strip_suffix('"')) else {
            continue;
        };
        let origin = format!("{}", e.node);
        if let Some(seq) = text
            .strip_prefix(origin.as_str())
            .and_then(|s| s.parse().ok())
        {
            out.insert(
                BroadcastId {
                    origin: e.node,
                    seq,
                },
                e.id,
            );
        }
    }
    out
}

/// Checks every node's delivery order: no message is delivered after one whose broadcast it
/// happened before (its dependency).
fn check_order(trace: &Trace, run: &Run) -> OrderCheck {
    let events = broadcast_events(trace);
    let index = CausalIndex::build(trace);
    let mut check = OrderCheck {
        related_pairs: 0,
        violations: Vec::new(),
        unmatched: 0,
    };
    for view in &run.nodes {
        let evs: Vec<Option<EventId>> = view
            .delivery
            .iter()
            .map(|id| events.get(id).copied())
            .collect();
        check.unmatched += evs.iter().filter(|e| e.is_none()).count();
        for (i, a) in evs.iter().enumerate() {
            for (j, b) in evs.iter().enumerate().skip(i + 1) {
                if let (Some(a), Some(b)) = (a, b) {
                    if index.happens_before(*a, *b) {
                        check.related_pairs += 1;
                    } else if index.happens_before(*b, *a) {
                        check.related_pairs += 1;
                        check.violations.push(format!(
                            "{} delivered {} before its dependency {}",
                            view.node, view.delivery[i], view.delivery[j]
                        ));
                    }
                }
            }
        }
    }
    check
}

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
    let trace = std::mem::replace(&mut run.trace, Trace::new(0));
    let check = check_order(&trace, &run);
    let broadcasts = broadcast_events(&trace).into_values().collect();
    let series = run
        .nodes
        .iter()
        .map(|v| {
            let mut points = vec![(0.0, 0.0)];
            for h in run.holdback.iter().filter(|h| h.node == v.node) {
                let x = h.at.as_millis_f64();
                points.push((x, points.last().map_or(0.0, |p| p.1)));
                points.push((x, h.waiting.len() as f64));
            }
            Series {
                name: format!("{}", v.node),
                points,
                color: PALETTE[v.node.index() % PALETTE.len()],
            }
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

#[function_component(CausalRun)]
fn causal_run(props: &RunProps) -> Html {
    let result = use_memo(props.params.clone(), compute);
    let total = result
        .as_ref()
        .as_ref()
        .map_or(0, |c| c.trace.events().len());
    let exports = use_trace_exports(
        format!(
            "causal-broadcast-seed{}-n{}",
            props.params.seed, props.params.nodes
        ),
        result.as_ref().as_ref().ok().map(|c| c.trace.clone()),
    );
    let playback = use_reducer(|| Playback::new(total).apply(PlaybackAction::Play));
    let selected = use_state(|| None::<EventId>);
    let compare = use_state(|| None::<EventId>);
    use_playback_timer(playback.clone());
    use_playback_keys(playback.clone());
    use_seek(playback.clone(), props.seek);
    let c = match result.as_ref() {
        Ok(c) => c,
        Err(e) => {
            return html! { <div class="notice error" role="alert">{ format!("This run cannot be simulated: {e}") }</div> }
        }
    };
    let on_select = {
        let selected = selected.clone();
        Callback::from(move |e: EventId| selected.set(Some(e)))
    };
    let on_compare = {
        let compare = compare.clone();
        Callback::from(move |e: EventId| compare.set(Some(e)))
    };
    let p = &props.params;
    let run = &c.run;
    let trace = c.trace.clone();
    let now = time_at(&trace, playback.position);
    let now_ms = now.as_millis_f64();
    let stuck_now: Vec<_> = run.stuck.iter().filter(|s| s.0 <= now).collect();
    let invariants = vec![
        Invariant {
            name: "no delivery before its dependencies".into(),
            holds: c.check.violations.is_empty() && c.check.unmatched == 0,
            detail: if let Some(v) = c.check.violations.first() {
                v.clone()
            } else if c.check.unmatched > 0 {
                format!(
                    "{} deliveries could not be matched to a broadcast",
                    c.check.unmatched
                )
            } else {
                format!(
                    "{} causally related pairs, all delivered in causal order",
                    c.check.related_pairs
                )
            },
        },
        Invariant {
            name: "nothing stuck".into(),
            holds: stuck_now.is_empty(),
            detail: match stuck_now.first() {
                Some((at, node, id, wait)) => format!(
                    "{node}: {id} stuck waiting for {wait} at {:.0} ms",
                    at.as_millis_f64()
                ),
                None => "no message waited past the stuck limit (so far)".into(),
            },
        },
    ];
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
            <div class="run-body">
                <SpaceTimeDiagram trace={trace.clone()} shown={playback.position} selected={*selected} {on_select}
                    compare={*compare} {on_compare} marked={c.broadcasts.clone()} />
                <EventInspector trace={trace.clone()} selected={*selected} compare={*compare} />
            </div>
            <p>{"Ringed events are broadcasts. "}{ format!("Now: {now_ms:.0} ms") }</p>
            <div class="lab-state nodes">{ for nodes }</div>
            <Plot series={c.series.clone()} title="Hold-back queue length per node" x_label="true time (ms)"
                y_label="messages held" cursor={Some(now_ms)} />
            <ExportMenu name={format!("causal-broadcast-seed{}-n{}", p.seed, p.nodes)} texts={(*exports).clone()} />
            <p class="keys">{"Keys: Space play/pause · ←/→ step · Home/End · +/− speed · Tab to an event, Enter to select"}</p>
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

    #[test]
    fn query_round_trips_and_the_default_run_holds_back_in_causal_order() {
        let p = Params {
            nodes: 4,
            seed: 7,
            crash: Some(2),
            retransmit: true,
            ..defaults()
        };
        let qs: Vec<String> = params_to_query(&p)
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let (back, notes) = params_from_query(&Query::parse(&qs.join("&")));
        assert_eq!(back, p);
        assert!(notes.is_empty(), "{notes:?}");
        let (p, notes) = params_from_query(&Query::parse("nodes=99&crash=50&loss=90"));
        assert_eq!(notes.len(), 3, "{notes:?}");
        assert_eq!(p.crash, None);

        let c = compute(&defaults()).unwrap();
        assert!(c.check.violations.is_empty());
        assert_eq!(c.check.unmatched, 0);
        assert!(c.check.related_pairs > 0);
        assert!(c.held_then_delivered.iter().any(|h| !h.is_empty()));
    }

    #[test]
    fn the_order_check_catches_a_dependency_delivered_late() {
        let mut c = compute(&defaults()).unwrap();
        // Swap a causally related pair in some node's delivery order: the check must object.
        let events = broadcast_events(&c.trace);
        let index = CausalIndex::build(&c.trace);
        let view = &mut c.run.nodes[0];
        let (i, j) = (0..view.delivery.len())
            .flat_map(|i| (i + 1..view.delivery.len()).map(move |j| (i, j)))
            .find(|&(i, j)| {
                index.happens_before(events[&view.delivery[i]], events[&view.delivery[j]])
            })
            .unwrap();
        view.delivery.swap(i, j);
        assert!(!check_order(&c.trace, &c.run).violations.is_empty());
    }
}
