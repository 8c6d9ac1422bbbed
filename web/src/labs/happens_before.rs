//! The Happens-before lab: a few nodes gossip under the deterministic simulator, drawn as an
//! animated space-time diagram. Selecting an event shows its Lamport timestamp and vector
//! clock, highlights its causal past and future, and marks the events concurrent with it —
//! the relation of Lamport's "Time, Clocks, and the Ordering of Events" (1978), §2, which
//! vector clocks (Fidge 1988; Mattern 1989) capture exactly.
//!
//! Seed and parameters live in the URL (`#/lab/happens-before?seed=7&nodes=5&…`).

use std::collections::BTreeMap;

use chronoscope::scenario::happens_before::{
    self, Params, ACTIONS, LATENCY_MS, LOSS_PERCENT, NODES,
};
use chronoscope::trace::EventId;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::components::diagram::SpaceTimeDiagram;
use crate::components::export::{use_trace_exports, ExportMenu};
use crate::components::inspector::EventInspector;
use crate::components::playback::{
    use_playback_keys, use_playback_timer, use_seek, Playback, PlaybackAction, PlaybackControls,
};
use crate::components::tour::{Tour, TourMove, TourStep};
use crate::components::SharedTrace;
use crate::query::Query;
use crate::Route;

/// Reads the lab's parameters from a query string, clamping each into range; the returned
/// notes say what was changed and why.
pub fn params_from_query(query: &Query) -> (Params, Vec<String>) {
    let d = Params::default();
    let mut notes = Vec::new();
    let raw = Params {
        nodes: query.u32_or("nodes", d.nodes, &mut notes),
        seed: query.u64_or("seed", d.seed, &mut notes),
        actions: query.u32_or("actions", d.actions, &mut notes),
        latency_min_ms: query.u32_or("lat_min", d.latency_min_ms, &mut notes),
        latency_max_ms: query.u32_or("lat_max", d.latency_max_ms, &mut notes),
        loss_percent: query.u32_or("loss", d.loss_percent, &mut notes),
    };
    let (params, adjustments) = raw.clamp();
    notes.extend(adjustments.iter().map(ToString::to_string));
    (params, notes)
}

/// The query string that reproduces `params`.
pub fn params_to_query(params: &Params) -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        ("nodes", params.nodes.to_string()),
        ("seed", params.seed.to_string()),
        ("actions", params.actions.to_string()),
        ("lat_min", params.latency_min_ms.to_string()),
        ("lat_max", params.latency_max_ms.to_string()),
        ("loss", params.loss_percent.to_string()),
    ])
}

/// The lab page: reads the URL, runs the scenario, shows the run.
#[function_component(HappensBeforeLab)]
pub fn happens_before_lab() -> Html {
    let location = use_location();
    let query_str = location
        .as_ref()
        .map(|l| l.query_str().to_string())
        .unwrap_or_default();
    let (params, notes) = params_from_query(&Query::parse(&query_str));
    let run_key = format!("{params:?}");
    let seek = use_state(|| None::<(u32, f64)>);
    let navigator = use_navigator();
    let on_tour = {
        let seek = seek.clone();
        Callback::from(move |m: TourMove| {
            if let (Some(query), Some(nav)) = (m.query, &navigator) {
                let route = Route::Lab {
                    slug: "happens-before".into(),
                };
                let pairs: BTreeMap<String, String> = Query::parse(query).into_pairs();
                if nav.push_with_query(&route, &pairs).is_err() {
                    web_sys::console::error_1(&"could not update the URL".into());
                }
            }
            if let Some(at) = m.at {
                let n = seek.map_or(0, |(n, _)| n + 1);
                seek.set(Some((n, at)));
            }
        })
    };
    html! {
        <section class="lab" id="lab-happens-before">
            <h2>{"Happens-before"}</h2>
            <p class="explain">
                {"Event "}<em>{"a"}</em>{" happens before "}<em>{"b"}</em>{" when they are on the same node in that order, \
                or a is the send and b the receive of one message, or a chain of those links them (Lamport 1978, §2). \
                A Lamport timestamp respects that order but cannot reveal it: different timestamps may still be concurrent. \
                A vector clock (Fidge 1988; Mattern 1989) captures it exactly — a → b if and only if V(a) < V(b). \
                Select an event: its causal past and future light up, and everything else is concurrent with it."}
            </p>
            if !notes.is_empty() {
                <div class="notice" role="alert">
                    <strong>{"Some parameters were adjusted:"}</strong>
                    <ul>{ for notes.iter().map(|n| html!{ <li>{ n.clone() }</li> }) }</ul>
                </div>
            }
            <Tour steps={tour_steps()} on_move={on_tour} />
            <ParamsForm params={params.clone()} />
            <HappensBeforeRun key={run_key} {params} seek={*seek} />
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct RunProps {
    params: Params,
    /// A requested playback position: (request number, fraction of the run).
    #[prop_or_default]
    seek: Option<(u32, f64)>,
}

#[function_component(HappensBeforeRun)]
fn happens_before_run(props: &RunProps) -> Html {
    let result = use_memo(props.params.clone(), |p| {
        happens_before::run(p).map(SharedTrace::from)
    });
    let total = result.as_ref().as_ref().map_or(0, |t| t.events().len());
    let p = &props.params;
    let export_name = format!("happens-before-seed{}-n{}", p.seed, p.nodes);
    let exports = use_trace_exports(export_name.clone(), result.as_ref().as_ref().ok().cloned());
    let playback = use_reducer(|| Playback::new(total).apply(PlaybackAction::Play));
    let selected = use_state(|| None::<EventId>);
    let compare = use_state(|| None::<EventId>);
    use_playback_timer(playback.clone());
    use_playback_keys(playback.clone());
    let trace = match result.as_ref() {
        Ok(trace) => trace.clone(),
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
    use_seek(playback.clone(), props.seek);
    let messages = trace.messages().len();
    let delivered = trace
        .messages()
        .iter()
        .filter(|m| m.receive().is_some())
        .count();
    html! {
        <div class="run">
            <p class="run-summary">
                { format!("{} nodes · {} events · {} messages ({} delivered, {} lost)",
                    trace.node_count(), trace.events().len(), messages, delivered, messages - delivered) }
            </p>
            <PlaybackControls playback={playback.clone()} />
            <div class="run-body">
                <SpaceTimeDiagram trace={trace.clone()} shown={playback.position} selected={*selected} {on_select}
                    compare={*compare} {on_compare} />
                <EventInspector trace={trace.clone()} selected={*selected} compare={*compare} />
            </div>
            <ExportMenu name={export_name} texts={(*exports).clone()} />
            <p class="keys">{"Keys: Space play/pause · ←/→ step · Home/End · +/− speed · Tab to an event, Enter to select"}</p>
        </div>
    }
}

/// The lab's guided tour.
pub fn tour_steps() -> Vec<TourStep> {
    vec![
        TourStep {
            title: "Messages make order",
            text: "Each line is a node, each dot an event, each arrow a message. Events on one line are ordered; \
                   a message orders its send before its receive. Nothing else is ordered.",
            query: Some("seed=5&nodes=4&actions=6&lat_min=10&lat_max=80&loss=0"),
            at: Some(0.35),
        },
        TourStep {
            title: "An event's causal past",
            text: "Click a green receive dot near the end. Orange events happened before it, teal ones after it; \
                   grey ones are concurrent — no chain of messages links them either way.",
            query: None,
            at: Some(1.0),
        },
        TourStep {
            title: "What Lamport timestamps cannot tell",
            text: "Now shift-click a grey (concurrent) event. Their Lamport timestamps differ, so Lamport orders them, \
                   but the vector clocks are incomparable: the inspector shows the two entries that prove it.",
            query: None,
            at: Some(1.0),
        },
        TourStep {
            title: "Lost messages carry no causality",
            text: "With 30 % loss, ✕ marks messages that never arrived. A lost message creates no happens-before edge, \
                   so more events end up concurrent.",
            query: Some("seed=5&nodes=4&actions=8&lat_min=10&lat_max=80&loss=30"),
            at: Some(1.0),
        },
        TourStep {
            title: "Make it yours",
            text: "Change nodes, latency and loss above and press Run, or try New seed. The URL holds everything: \
                   share it and others see exactly this run.",
            query: None,
            at: None,
        },
    ]
}

#[derive(Properties, PartialEq)]
struct ParamsFormProps {
    params: Params,
}

fn number_field(
    label: &'static str,
    name: &'static str,
    value: String,
    range: (u32, u32),
    on_change: Callback<(&'static str, String)>,
) -> Html {
    let oninput = Callback::from(move |e: InputEvent| {
        if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
            on_change.emit((name, input.value()));
        }
    });
    html! {
        <label>{ label }
            <input type="number" name={name} min={range.0.to_string()} max={range.1.to_string()} value={value} {oninput} />
        </label>
    }
}

#[function_component(ParamsForm)]
fn params_form(props: &ParamsFormProps) -> Html {
    let draft = use_state(|| params_to_query(&props.params));
    {
        let draft = draft.clone();
        use_effect_with(props.params.clone(), move |p| draft.set(params_to_query(p)));
    }
    let navigator = use_navigator();
    let on_change = {
        let draft = draft.clone();
        Callback::from(move |(name, value): (&'static str, String)| {
            let mut next = (*draft).clone();
            next.insert(name, value);
            draft.set(next);
        })
    };
    let go = {
        let navigator = navigator.clone();
        move |query: BTreeMap<&'static str, String>| {
            if let Some(nav) = &navigator {
                let route = Route::Lab {
                    slug: "happens-before".into(),
                };
                if nav.push_with_query(&route, &query).is_err() {
                    web_sys::console::error_1(&"could not update the URL".into());
                }
            }
        }
    };
    let onsubmit = {
        let draft = draft.clone();
        let go = go.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            go((*draft).clone());
        })
    };
    let new_seed = {
        let draft = draft.clone();
        Callback::from(move |_: MouseEvent| {
            let mut next = (*draft).clone();
            let seed = (js_sys::Math::random() * 1e15) as u64;
            next.insert("seed", seed.to_string());
            go(next);
        })
    };
    let field = |label, name: &'static str, range: &std::ops::RangeInclusive<u32>| {
        number_field(
            label,
            name,
            draft.get(name).cloned().unwrap_or_default(),
            (*range.start(), *range.end()),
            on_change.clone(),
        )
    };
    html! {
        <form class="params" {onsubmit} aria-label="Run parameters">
            { field("nodes", "nodes", &NODES) }
            { field("actions per node", "actions", &ACTIONS) }
            { field("latency min (ms)", "lat_min", &LATENCY_MS) }
            { field("latency max (ms)", "lat_max", &LATENCY_MS) }
            { field("loss (%)", "loss", &LOSS_PERCENT) }
            <label>{"seed"}
                <input type="text" name="seed" inputmode="numeric" value={draft.get("seed").cloned().unwrap_or_default()}
                    oninput={ let on_change = on_change.clone(); Callback::from(move |e: InputEvent| {
                        if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() { on_change.emit(("seed", input.value())); }
                    })} />
            </label>
            <button type="submit" class="run-button">{"Run"}</button>
            <button type="button" class="seed-button" onclick={new_seed}>{"New seed"}</button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_round_trips_and_absurd_values_are_clamped_with_notes() {
        let p = Params {
            nodes: 5,
            seed: 99,
            ..Params::default()
        };
        let qs: Vec<String> = params_to_query(&p)
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let (back, notes) = params_from_query(&Query::parse(&qs.join("&")));
        assert_eq!(back, p);
        assert!(notes.is_empty());

        let (p, notes) = params_from_query(&Query::parse("nodes=10000&lat_min=-5&seed=garbage"));
        assert_eq!(p.nodes, *NODES.end());
        assert_eq!(p.latency_min_ms, Params::default().latency_min_ms);
        assert_eq!(p.seed, Params::default().seed);
        assert_eq!(notes.len(), 3, "{notes:?}");
    }
}
