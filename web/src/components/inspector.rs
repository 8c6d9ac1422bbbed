//! The event inspector: everything the trace knows about the selected event — node, kind,
//! true and local time, Lamport timestamp, vector clock — and how many events lie in its
//! causal past, its causal future, and neither (concurrent). For an imported log
//! ([`LogDetails`]) it shows the log instead of the simulator's view: host names, the clock
//! keyed by host names, the event's line and every captured field, and no simulated time.

use chronoscope::clock::Causality;
use chronoscope::trace::{happens_before::CausalIndex, Event, EventId, EventKind};
use yew::prelude::*;

use super::diagram::Highlight;
use super::SharedTrace;

/// Props of [`EventInspector`].
#[derive(Properties, PartialEq)]
pub struct InspectorProps {
    /// The run.
    pub trace: SharedTrace,
    /// The selected event.
    pub selected: Option<EventId>,
    /// A second event to compare with the selected one.
    #[prop_or_default]
    pub compare: Option<EventId>,
    /// What the log says about each drawn event, when the trace was imported from a log.
    #[prop_or_default]
    pub log: Option<LogDetails>,
}

/// An imported log's view: lane (host) names and what the log says about the selected event.
#[derive(Clone, PartialEq)]
pub struct LogDetails {
    /// Host names, indexed by lane.
    pub hosts: std::rc::Rc<Vec<String>>,
    /// The selected event as logged (computed for that event only, so big logs cost nothing).
    pub event: Option<LoggedEvent>,
}

/// One logged event, as the log wrote it.
#[derive(Clone, Debug, PartialEq)]
pub struct LoggedEvent {
    /// The 1-based line of the log where it starts.
    pub line: u32,
    /// Its vector clock keyed by host names, `{"alice":2, "bob":1}`.
    pub clock: String,
    /// Every captured field (`date`, `path`, `priority`, …), in the regex's order.
    pub fields: Vec<(String, String)>,
    /// How many log events the drawn one stands for (a collapsed run), at least 1.
    pub stands_for: usize,
}

/// Details of the selected event.
#[function_component(EventInspector)]
pub fn event_inspector(props: &InspectorProps) -> Html {
    let highlight = {
        let trace = props.trace.clone();
        use_memo((trace, props.selected), |(trace, selected)| {
            Highlight::of(trace, *selected)
        })
    };
    let Some(event) = props.selected.and_then(|id| props.trace.event(id)) else {
        return html! {
            <aside class="inspector" aria-live="polite">
                <p class="hint">{"Click an event (or focus it and press Enter) to see its clocks and its causal past and future. \
                    Shift-click a second event to compare the two."}</p>
            </aside>
        };
    };
    let lane = |n: chronoscope::node::NodeId| match &props.log {
        Some(log) => log
            .hosts
            .get(n.index())
            .cloned()
            .unwrap_or_else(|| n.to_string()),
        None => n.to_string(),
    };
    let kind = match event.kind {
        EventKind::Send { to, .. } => format!("send to {}", lane(to)),
        EventKind::Receive { from, .. } => format!("receive from {}", lane(from)),
        EventKind::Local => "local".to_string(),
    };
    let total = props.trace.events().len();
    let concurrent = total - 1 - highlight.past.len() - highlight.future.len();
    let logged = props.log.as_ref().and_then(|l| l.event.as_ref());
    let times = match logged {
        // An imported log has no simulated time: show the log's own record instead.
        Some(logged) => {
            let fields = logged.fields.iter().map(|(k, v)| {
                html! { <><dt>{ k.clone() }</dt><dd class="insp-field" data-field={k.clone()}>{ v.clone() }</dd></> }
            });
            html! {
                <>
                    <dt>{"vector clock"}</dt><dd class="insp-vector"><code>{ logged.clock.clone() }</code></dd>
                    <dt>{"line"}</dt><dd class="insp-line">{ logged.line }</dd>
                    if logged.stands_for > 1 {
                        <dt>{"stands for"}</dt><dd>{ format!("{} log events (a collapsed run)", logged.stands_for) }</dd>
                    }
                    { for fields }
                </>
            }
        }
        None => html! {
            <>
                <dt>{"vector clock"}</dt><dd class="insp-vector"><code>{ event.vector.to_string() }</code></dd>
                <dt>{"true time"}</dt><dd>{ event.true_time.to_string() }</dd>
                <dt>{"local clock"}</dt><dd>{ event.local_time.to_string() }</dd>
            </>
        },
    };
    html! {
        <aside class="inspector" aria-live="polite">
            <h3>{ format!("Event #{} at {}", event.id.0, lane(event.node)) }</h3>
            <dl>
                <dt>{"kind"}</dt><dd class="insp-kind">{ kind }</dd>
                <dt>{"what"}</dt><dd>{ event.label.clone() }</dd>
                <dt>{"Lamport"}</dt><dd class="insp-lamport">{ event.lamport }</dd>
                { times }
                <dt>{"causal past"}</dt><dd class="insp-past">{ highlight.past.len() }</dd>
                <dt>{"causal future"}</dt><dd class="insp-future">{ highlight.future.len() }</dd>
                <dt>{"concurrent"}</dt><dd class="insp-concurrent">{ concurrent }</dd>
            </dl>
            { comparison(&props.trace, event, props.compare, &lane) }
            <p class="legend">
                <span class="key past">{"past"}</span>{" happened before it · "}
                <span class="key future">{"future"}</span>{" happened after it · "}
                <span class="key concurrent">{"concurrent"}</span>{" neither (vector clocks incomparable)"}
            </p>
        </aside>
    }
}

/// Why `a` and `b` are ordered as they are, by vector clocks and by Lamport timestamps.
fn comparison(
    trace: &SharedTrace,
    a: &Event,
    other: Option<EventId>,
    lane: &dyn Fn(chronoscope::node::NodeId) -> String,
) -> Html {
    let Some(b) = other
        .and_then(|id| trace.event(id))
        .filter(|b| b.id != a.id)
    else {
        return html! { <p class="hint compare-hint">{"Shift-click another event to compare."}</p> };
    };
    let relation = a.vector.compare(&b.vector);
    let (smaller, larger) = a.vector.witnesses(&b.vector);
    let name = |e: &Event| format!("#{} ({})", e.id.0, lane(e.node));
    let why = match (relation, smaller, larger) {
        (Causality::Concurrent, Some((n1, x1, y1)), Some((n2, x2, y2))) => format!(
            "V(a)[{n1}] = {x1} < {y1} = V(b)[{n1}] but V(a)[{n2}] = {x2} > {y2} = V(b)[{n2}]: neither clock covers the other.",
            n1 = lane(n1),
            n2 = lane(n2)
        ),
        (Causality::Before, Some((n, x, y)), None) => format!(
            "Every entry of V(a) is ≤ V(b)'s, and V(a)[{n}] = {x} < {y}: a is in b's causal past.",
            n = lane(n)
        ),
        (Causality::After, None, Some((n, x, y))) => format!(
            "Every entry of V(a) is ≥ V(b)'s, and V(a)[{n}] = {x} > {y}: b is in a's causal past.",
            n = lane(n)
        ),
        _ => "The clocks are equal.".to_string(),
    };
    let lamport = match a.lamport.cmp(&b.lamport) {
        core::cmp::Ordering::Less => "L(a) < L(b)",
        core::cmp::Ordering::Greater => "L(a) > L(b)",
        core::cmp::Ordering::Equal => "L(a) = L(b)",
    };
    let lamport_note = if relation == Causality::Concurrent {
        format!("Lamport says {lamport} ({} vs {}), an order that means nothing here: the events are concurrent.", a.lamport, b.lamport)
    } else {
        format!(
            "Lamport agrees: {lamport} ({} vs {}), as the clock condition guarantees.",
            a.lamport, b.lamport
        )
    };
    // The trace's own graph, independent of the clocks, as a cross-check.
    let by_graph = CausalIndex::build(trace).relation(a.id, b.id);
    html! {
        <div class="compare">
            <h4>{ format!("a = {} vs b = {}", name(a), name(b)) }</h4>
            <p class="compare-verdict"><strong>{ format!("a is {relation} b") }</strong>
                { if by_graph == relation { " (the message graph agrees)".to_string() } else { format!(" (but the message graph says {by_graph}!)") } }
            </p>
            <p>{ why }</p>
            <p>{ lamport_note }</p>
        </div>
    }
}
