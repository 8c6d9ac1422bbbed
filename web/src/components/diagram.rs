//! The space-time diagram (SVG): one horizontal line per node, events as dots, messages as
//! arrows (Lamport 1978, figure 1, turned sideways). Clicking (or pressing Enter on) an event
//! selects it; the diagram then highlights its causal past and future and marks the events
//! concurrent with it. Every lab reuses this component.
//!
//! Geometry comes from the pure [`layout`](super::layout::layout); causality from the core's
//! happens-before queries — the view computes neither itself.

use std::collections::BTreeSet;

use chronoscope::trace::{happens_before, EventId};
use yew::prelude::*;

use super::layout::{layout, ArrowState, DotKind, LayoutOptions};
use super::SharedTrace;

/// The diagram's styles, embedded in the SVG so that exported SVG/PNG files look the same.
pub const DIAGRAM_CSS: &str = "
.lane line { stroke: #b8b8b8; stroke-width: 2; }
.lane-label { font: 700 15px system-ui, sans-serif; fill: #1d1d1f; }
.msg { stroke: #4a5568; stroke-width: 1.4; }
.msg.in-flight { stroke-dasharray: 5 4; stroke: #2b6cb0; }
.msg.dropped { stroke-dasharray: 2 3; stroke: #c53030; }
.msg.causal { stroke: #dd6b20; stroke-width: 2.4; }
.lost { fill: #c53030; font: 12px sans-serif; }
marker path { fill: #4a5568; }
.cursor { stroke: #2b6cb0; stroke-width: 1; stroke-dasharray: 3 3; opacity: .6; }
.event { stroke: #fff; stroke-width: 2; cursor: pointer; }
.event.send { fill: #2b6cb0; }
.event.receive { fill: #2f855a; }
.event.local { fill: #805ad5; }
.event.past { fill: #dd6b20; }
.event.future { fill: #0987a0; }
.event.concurrent { fill: #a0a0a0; opacity: .55; }
.event.selected { fill: #e53e3e; stroke: #000; stroke-width: 2.5; }
.event.compared { stroke: #000; stroke-width: 3; stroke-dasharray: 2 2; opacity: 1; }
.event:focus-visible { outline: 3px solid #2b6cb0; }
";

/// Props of [`SpaceTimeDiagram`].
#[derive(Properties, PartialEq)]
pub struct DiagramProps {
    /// The run to draw.
    pub trace: SharedTrace,
    /// How many events (in trace order) are visible.
    pub shown: usize,
    /// The selected event, if any.
    #[prop_or_default]
    pub selected: Option<EventId>,
    /// Called when the user selects an event.
    #[prop_or_default]
    pub on_select: Callback<EventId>,
    /// A second event to compare with the selected one (shift-click or shift-Enter).
    #[prop_or_default]
    pub compare: Option<EventId>,
    /// Called when the user picks an event to compare with (shift-click or shift-Enter).
    #[prop_or_default]
    pub on_compare: Callback<EventId>,
}

/// The causal neighbourhood of the selected event.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Highlight {
    /// Events that happened before the selected one.
    pub past: BTreeSet<EventId>,
    /// Events the selected one happened before.
    pub future: BTreeSet<EventId>,
}

impl Highlight {
    /// The highlight for `selected` in `trace` (empty when nothing is selected).
    pub fn of(trace: &SharedTrace, selected: Option<EventId>) -> Highlight {
        match selected {
            Some(e) if e.index() < trace.events().len() => Highlight {
                past: happens_before::causal_past(trace, e).into_iter().collect(),
                future: happens_before::causal_future(trace, e)
                    .into_iter()
                    .collect(),
            },
            _ => Highlight::default(),
        }
    }
}

/// The space-time diagram.
#[function_component(SpaceTimeDiagram)]
pub fn space_time_diagram(props: &DiagramProps) -> Html {
    let opts = LayoutOptions::default();
    let diagram = {
        let trace = props.trace.clone();
        use_memo((trace, props.shown), move |(trace, shown)| {
            layout(trace, *shown, &opts)
        })
    };
    let highlight = {
        let trace = props.trace.clone();
        use_memo((trace, props.selected), |(trace, selected)| {
            Highlight::of(trace, *selected)
        })
    };
    let scroller = use_node_ref();
    {
        // Keep the playback cursor in view while the run plays or is scrubbed.
        let scroller = scroller.clone();
        let cursor_x = diagram.cursor_x;
        use_effect_with(cursor_x as i64, move |_| {
            if let Some(el) = scroller.cast::<web_sys::Element>() {
                let (left, width) = (f64::from(el.scroll_left()), f64::from(el.client_width()));
                if width > 0.0 && (cursor_x > left + width - 40.0 || cursor_x < left) {
                    el.set_scroll_left((cursor_x - width * 0.75).max(0.0) as i32);
                }
            }
        });
    }
    let selected = props.selected;
    let class_of = |e: EventId| -> &'static str {
        if Some(e) == selected {
            "selected"
        } else if highlight.past.contains(&e) {
            "past"
        } else if highlight.future.contains(&e) {
            "future"
        } else if selected.is_some() {
            "concurrent"
        } else {
            ""
        }
    };
    let in_causal_chain = |e: EventId| {
        Some(e) == selected || highlight.past.contains(&e) || highlight.future.contains(&e)
    };

    let lanes = diagram.lanes.iter().map(|lane| {
        html! {
            <g class="lane" key={format!("lane-{}", lane.node.0)}>
                <text class="lane-label" x="8" y={(lane.y + 5.0).to_string()}>{ lane.node.to_string() }</text>
                <line x1={opts.left.to_string()} y1={lane.y.to_string()} x2={diagram.width.to_string()} y2={lane.y.to_string()} />
            </g>
        }
    });
    let arrows = diagram.arrows.iter().map(|a| {
        let state = match a.state {
            ArrowState::Delivered => "delivered",
            ArrowState::InFlight => "in-flight",
            ArrowState::Dropped => "dropped",
        };
        let causal = a.to_event.is_some_and(|r| in_causal_chain(a.from_event) && in_causal_chain(r) && selected.is_some());
        let class = classes!("msg", state, causal.then_some("causal"));
        html! {
            <g key={format!("msg-{}", a.message.0)}>
                <line class={class} x1={a.x1.to_string()} y1={a.y1.to_string()} x2={a.x2.to_string()} y2={a.y2.to_string()}
                    marker-end={(a.state != ArrowState::Dropped).then_some("url(#arrowhead)")} />
                if a.state == ArrowState::Dropped {
                    <text class="lost" x={(a.x2 - 4.0).to_string()} y={(a.y2 + 4.0).to_string()}>{"✕"}</text>
                }
            </g>
        }
    });
    let dots = diagram.dots.iter().map(|d| {
        let kind = match d.kind {
            DotKind::Send => "send",
            DotKind::Receive => "receive",
            DotKind::Local => "local",
        };
        let event = d.event;
        let onclick = {
            let (on_select, on_compare) = (props.on_select.clone(), props.on_compare.clone());
            Callback::from(move |e: MouseEvent| {
                if e.shift_key() { on_compare.emit(event) } else { on_select.emit(event) }
            })
        };
        let onkeydown = {
            let (on_select, on_compare) = (props.on_select.clone(), props.on_compare.clone());
            Callback::from(move |e: KeyboardEvent| {
                if e.key() == "Enter" {
                    e.prevent_default();
                    if e.shift_key() { on_compare.emit(event) } else { on_select.emit(event) }
                }
            })
        };
        let label = props.trace.event(event).map(|e| e.label.clone()).unwrap_or_default();
        html! {
            <circle key={format!("ev-{}", event.0)} class={classes!("event", kind, class_of(event), (props.compare == Some(event)).then_some("compared"))}
                data-event={event.0.to_string()} cx={d.x.to_string()} cy={d.y.to_string()} r="7"
                tabindex="0" role="button" aria-label={format!("event {} at {}: {}", event.0, d.node, label)}
                {onclick} {onkeydown}>
                <title>{ format!("#{} {}: {}", event.0, d.node, label) }</title>
            </circle>
        }
    });
    html! {
        <div class="diagram-scroll" ref={scroller}>
            <svg class="spacetime" width={diagram.width.to_string()} height={diagram.height.to_string()}
                viewBox={format!("0 0 {} {}", diagram.width, diagram.height)} role="img"
                aria-label={format!("Space-time diagram: {} nodes, {} of {} events shown",
                    props.trace.node_count(), diagram.dots.len(), props.trace.events().len())}>
                <style>{ DIAGRAM_CSS }</style>
                <defs>
                    <marker id="arrowhead" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto-start-reverse">
                        <path d="M 0 0 L 10 5 L 0 10 z" />
                    </marker>
                </defs>
                { for lanes }
                { for arrows }
                <line class="cursor" x1={diagram.cursor_x.to_string()} y1="0" x2={diagram.cursor_x.to_string()} y2={diagram.height.to_string()} />
                { for dots }
            </svg>
        </div>
    }
}
