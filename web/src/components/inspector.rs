//! The event inspector: everything the trace knows about the selected event — node, kind,
//! true and local time, Lamport timestamp, vector clock — and how many events lie in its
//! causal past, its causal future, and neither (concurrent).

use chronoscope::trace::{EventId, EventKind};
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
                <p class="hint">{"Click an event (or focus it and press Enter) to see its clocks and its causal past and future."}</p>
            </aside>
        };
    };
    let kind = match event.kind {
        EventKind::Send { to, .. } => format!("send to {to}"),
        EventKind::Receive { from, .. } => format!("receive from {from}"),
        EventKind::Local => "local".to_string(),
    };
    let total = props.trace.events().len();
    let concurrent = total - 1 - highlight.past.len() - highlight.future.len();
    html! {
        <aside class="inspector" aria-live="polite">
            <h3>{ format!("Event #{} at {}", event.id.0, event.node) }</h3>
            <dl>
                <dt>{"kind"}</dt><dd class="insp-kind">{ kind }</dd>
                <dt>{"what"}</dt><dd>{ event.label.clone() }</dd>
                <dt>{"Lamport"}</dt><dd class="insp-lamport">{ event.lamport }</dd>
                <dt>{"vector clock"}</dt><dd class="insp-vector"><code>{ event.vector.to_string() }</code></dd>
                <dt>{"true time"}</dt><dd>{ event.true_time.to_string() }</dd>
                <dt>{"local clock"}</dt><dd>{ event.local_time.to_string() }</dd>
                <dt>{"causal past"}</dt><dd class="insp-past">{ highlight.past.len() }</dd>
                <dt>{"causal future"}</dt><dd class="insp-future">{ highlight.future.len() }</dd>
                <dt>{"concurrent"}</dt><dd class="insp-concurrent">{ concurrent }</dd>
            </dl>
            <p class="legend">
                <span class="key past">{"past"}</span>{" happened before it · "}
                <span class="key future">{"future"}</span>{" happened after it · "}
                <span class="key concurrent">{"concurrent"}</span>{" neither (vector clocks incomparable)"}
            </p>
        </aside>
    }
}
