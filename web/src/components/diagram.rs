//! The space-time diagram (SVG): one horizontal line per node, events as dots, messages as
//! arrows (Lamport 1978, figure 1, turned sideways). Clicking (or pressing Enter or Space on)
//! an event selects it; the diagram then highlights its causal past and future and marks the
//! events concurrent with it. Every lab reuses this component.
//!
//! Keyboard: the diagram is one tab stop (a roving tabindex, as in the WAI-ARIA grid pattern:
//! lanes are rows, events are cells). Only the *active* event is in the tab order; ←/→ move it
//! along its lane in time order, ↑/↓ to the nearest event on the lane above or below, Home/End
//! to the lane's first or last event (with Ctrl: the diagram's), Enter or Space select it. The
//! keys a focused diagram handles are not playback shortcuts. Lane names sit in a column left
//! of the scrolling part, so scrolling never slides events under them.
//!
//! Geometry comes from the pure [`layout`](super::layout::layout); causality from the core's
//! happens-before queries — the view computes neither itself.

use std::collections::BTreeSet;

use chronoscope::trace::{happens_before, EventId};
use yew::prelude::*;

use std::rc::Rc;

use wasm_bindgen::JsCast;

use super::layout::{
    cursor_x, in_flight, layout, step, Arrow, ArrowState, Diagram, DotKind, LayoutOptions, Move,
    DOT_RADIUS,
};
use super::SharedTrace;

/// The diagram's styles, embedded in the SVG so that exported SVG/PNG files look the same.
pub const DIAGRAM_CSS: &str = "
.lane line { stroke: #b8b8b8; stroke-width: 2; }
.lane-label { font: 700 14px ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace; fill: #1d1d1f; }
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
.event.marked { stroke: #d69e2e; stroke-width: 4; }
.event.compared { stroke: #000; stroke-width: 3; stroke-dasharray: 2 2; opacity: 1; }
.event:focus-visible { stroke: #1a202c; stroke-width: 3; outline: 3px solid #2b6cb0; outline-offset: 2px; opacity: 1; }
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
    /// Names for the lanes (node `i` gets `names[i]`); default: the node ids (A, B, …).
    #[prop_or_default]
    pub lane_names: Option<Shared<Vec<String>>>,
    /// Events to mark (e.g. search matches).
    #[prop_or_default]
    pub marked: Option<Shared<BTreeSet<EventId>>>,
}

/// Runs with more events than this draw only the chunks near the visible part of the diagram.
pub const CULL_ABOVE: usize = 1_000;

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

/// The diagram's zoom levels: factors on the distance between consecutive events.
pub const ZOOM_LEVELS: [f64; 6] = [0.1, 0.25, 0.5, 1.0, 1.5, 2.0];
/// The zoom level a diagram opens at (100 %).
const ZOOM_DEFAULT: usize = 3;

/// Events per chunk: scrubbing re-renders only the chunk under the cursor (and the messages
/// in flight), so a 2,000-event run stays smooth; the other chunks' props do not change.
pub const CHUNK: usize = 64;

/// Shares a value between components with identity equality (cheap props comparison).
#[derive(Debug)]
pub struct Shared<T>(pub Rc<T>);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}
impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// How an event should be drawn given the selection.
fn event_class(e: EventId, selected: Option<EventId>, highlight: &Highlight) -> &'static str {
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
}

fn arrow_html(a: &Arrow, selected: Option<EventId>, highlight: &Highlight) -> Html {
    let state = match a.state {
        ArrowState::Delivered => "delivered",
        ArrowState::InFlight => "in-flight",
        ArrowState::Dropped => "dropped",
    };
    let linked = |e: EventId| {
        Some(e) == selected || highlight.past.contains(&e) || highlight.future.contains(&e)
    };
    let causal = selected.is_some()
        && a.to_event
            .is_some_and(|r| linked(a.from_event) && linked(r));
    let class = classes!("msg", state, causal.then_some("causal"));
    html! {
        <g key={format!("msg-{}", a.message.0)}>
            <line class={class} data-message={a.message.0.to_string()} x1={a.x1.to_string()} y1={a.y1.to_string()}
                x2={a.x2.to_string()} y2={a.y2.to_string()}
                marker-end={(a.state != ArrowState::Dropped).then_some("url(#arrowhead)")} />
            if a.state == ArrowState::Dropped {
                <text class="lost" x={(a.x2 - 4.0).to_string()} y={(a.y2 + 4.0).to_string()}>{"✕"}</text>
            }
        </g>
    }
}

#[derive(Properties, PartialEq)]
struct ChunkProps {
    trace: SharedTrace,
    full: Shared<Diagram>,
    /// First event of the chunk.
    start: usize,
    /// Events of the chunk that are visible (0 ..= CHUNK).
    visible: usize,
    highlight: Shared<Highlight>,
    selected: Option<EventId>,
    compare: Option<EventId>,
    /// (event, shift held)
    pick: Callback<(EventId, bool)>,
    marked: Option<Shared<BTreeSet<EventId>>>,
    /// The diagram's tab stop, when it is one of this chunk's events.
    active: Option<EventId>,
    /// Far from the visible window: drawn empty.
    culled: bool,
}

/// The events `start .. start + visible`, the delivered messages received among them, and the
/// lost messages sent among them.
#[function_component(Chunk)]
fn chunk(props: &ChunkProps) -> Html {
    if props.culled {
        return html! { <g class="chunk" /> };
    }
    let range = props.start..props.start + props.visible;
    let full = &props.full.0;
    let highlight = &props.highlight.0;
    let arrows = full.arrows.iter().filter(|a| match a.state {
        ArrowState::Delivered => a.to_event.is_some_and(|r| range.contains(&r.index())),
        _ => range.contains(&a.from_event.index()),
    });
    let dots = full.dots[range.start.min(full.dots.len())..range.end.min(full.dots.len())].iter().map(|d| {
        let kind = match d.kind {
            DotKind::Send => "send",
            DotKind::Receive => "receive",
            DotKind::Local => "local",
        };
        let event = d.event;
        let onclick = props.pick.reform(move |e: MouseEvent| (event, e.shift_key()));
        let (label, clocks) = props
            .trace
            .event(event)
            .map(|e| {
                let clocks = format!("Lamport {} · vector {}", e.lamport, e.vector);
                (e.label.as_str(), clocks)
            })
            .unwrap_or_default();
        let class = classes!(
            "event",
            kind,
            event_class(event, props.selected, highlight),
            (props.compare == Some(event)).then_some("compared"),
            props.marked.as_ref().is_some_and(|m| m.0.contains(&event)).then_some("marked")
        );
        html! {
            <circle key={format!("ev-{}", event.0)} {class}
                data-event={event.0.to_string()} cx={d.x.to_string()} cy={d.y.to_string()} r={DOT_RADIUS.to_string()}
                tabindex={if props.active == Some(event) { "0" } else { "-1" }} role="button"
                aria-label={format!("event {} at {}: {}", event.0, d.node, label)}
                {onclick}>
                <title>{ format!("#{} {}: {}\n{clocks}", event.0, d.node, label) }</title>
            </circle>
        }
    });
    html! {
        <g class="chunk">
            { for arrows.map(|a| arrow_html(a, props.selected, highlight)) }
            { for dots }
        </g>
    }
}

/// The event a keyboard event was aimed at (a dot carries its id in `data-event`).
fn event_of_target(target: Option<web_sys::EventTarget>) -> Option<EventId> {
    let el = target?.dyn_into::<web_sys::Element>().ok()?;
    el.get_attribute("data-event")?.parse().ok().map(EventId)
}

/// Focuses an SVG element (`SVGElement.focus()`; web-sys binds it only on HTML elements).
fn focus_element(el: &web_sys::Element) {
    if let Ok(focus) = js_sys::Reflect::get(el, &"focus".into()) {
        if let Some(focus) = focus.dyn_ref::<js_sys::Function>() {
            let _ = focus.call0(el);
        }
    }
}

/// The space-time diagram.
#[function_component(SpaceTimeDiagram)]
pub fn space_time_diagram(props: &DiagramProps) -> Html {
    // Zoom scales the distance between events (not the dots), so a 10,000-event log fits in a
    // few screens at the smallest level and single events can be told apart at the largest.
    let zoom = use_state(|| ZOOM_DEFAULT);
    let opts = LayoutOptions {
        column: LayoutOptions::default().column * ZOOM_LEVELS[*zoom],
        ..LayoutOptions::default()
    };
    // Geometry of the whole run, computed once per trace, names and zoom level.
    let full = use_memo(
        (props.trace.clone(), props.lane_names.clone(), *zoom),
        move |(trace, names, _)| {
            let names = names.as_ref().map_or(&[][..], |n| &n.0[..]);
            Shared(Rc::new(layout(trace, usize::MAX, names, &opts)))
        },
    );
    let diagram = &full.0;
    // Lanes start right of the gutter; the gutter's width is the part of the SVG that the
    // scroller hides (the pinned column shows the names instead).
    let (origin, gutter) = (diagram.origin, diagram.gutter.width);
    let highlight = use_memo(
        (props.trace.clone(), props.selected),
        |(trace, selected)| Shared(Rc::new(Highlight::of(trace, *selected))),
    );
    let total = props.trace.events().len();
    let shown = props.shown.min(total);
    // The roving tab stop: the event last moved to (or clicked), else the selected one, else
    // the first; always a visible one.
    let active_state = use_state(|| None::<EventId>);
    let visible = |e: &EventId| e.index() < shown;
    let active = (*active_state)
        .filter(visible)
        .or(props.selected.filter(visible))
        .or((shown > 0).then_some(EventId(0)));
    // One callback for the whole diagram that always calls the latest handlers, so chunks'
    // props stay equal across renders.
    let handlers = use_mut_ref(|| (props.on_select.clone(), props.on_compare.clone()));
    *handlers.borrow_mut() = (props.on_select.clone(), props.on_compare.clone());
    let pick = {
        let handlers = handlers.clone();
        let set_active = active_state.setter();
        use_memo((), move |_| {
            Callback::from(move |(event, shift): (EventId, bool)| {
                set_active.set(Some(event));
                let (on_select, on_compare) = handlers.borrow().clone();
                if shift {
                    on_compare.emit(event)
                } else {
                    on_select.emit(event)
                }
            })
        })
    };
    let cursor_x = cursor_x(shown, origin, &opts);
    let scroller = use_node_ref();
    // Set when a key moved the tab stop: once the new active event is drawn, it takes the focus.
    let focus_pending = use_mut_ref(|| false);
    {
        let (scroller, focus_pending) = (scroller.clone(), focus_pending.clone());
        use_effect_with(active, move |active| {
            if std::mem::take(&mut *focus_pending.borrow_mut()) {
                let dot = active.and_then(|e| {
                    let el = scroller.cast::<web_sys::Element>()?;
                    el.query_selector(&format!("circle[data-event=\"{}\"]", e.0))
                        .ok()?
                });
                if let Some(dot) = dot {
                    focus_element(&dot);
                }
            }
        });
    }
    let onkeydown = {
        let (full, set_active, pick) = (full.clone(), active_state.setter(), pick.clone());
        let focus_pending = focus_pending.clone();
        Callback::from(move |e: KeyboardEvent| {
            let Some(from) = event_of_target(e.target()) else {
                return;
            };
            if e.alt_key() {
                return;
            }
            let diagram = &full.0;
            let dots = &diagram.dots[..shown.min(diagram.dots.len())];
            if let Some(how) = Move::from_key(&e.key(), e.ctrl_key() || e.meta_key()) {
                // Handled here: the document's playback shortcuts skip prevented keys.
                e.prevent_default();
                if let Some(to) = step(dots, &diagram.lanes, from, how) {
                    *focus_pending.borrow_mut() = true;
                    set_active.set(Some(to));
                }
            } else if matches!(e.key().as_str(), "Enter" | " ") {
                // Enter or Space, like a button; Space must not scroll the page.
                e.prevent_default();
                pick.emit((from, e.shift_key()));
            }
        })
    };
    let onfocusin = {
        let (set_active, current) = (active_state.setter(), active);
        Callback::from(move |e: FocusEvent| {
            if let Some(event) = event_of_target(e.target()) {
                if Some(event) != current {
                    set_active.set(Some(event));
                }
            }
        })
    };
    // Where to scroll once a new zoom level is drawn: the same point in the run stays centred.
    let pending_scroll = use_mut_ref(|| None::<f64>);
    {
        let (scroller, pending_scroll) = (scroller.clone(), pending_scroll.clone());
        use_effect_with(*zoom, move |_| {
            if let (Some(el), Some(left)) = (
                scroller.cast::<web_sys::Element>(),
                pending_scroll.borrow_mut().take(),
            ) {
                el.set_scroll_left(left.max(0.0) as i32);
            }
        });
    }
    let zoom_to = {
        let (zoom, scroller, pending_scroll) =
            (zoom.clone(), scroller.clone(), pending_scroll.clone());
        Callback::from(move |level: usize| {
            let level = level.min(ZOOM_LEVELS.len() - 1);
            if level == *zoom {
                return;
            }
            if let Some(el) = scroller.cast::<web_sys::Element>() {
                // The scroller shows the SVG from x = scrollLeft + gutter.
                let half = f64::from(el.client_width()) / 2.0;
                let centre = f64::from(el.scroll_left()) + gutter + half - origin;
                let ratio = ZOOM_LEVELS[level] / ZOOM_LEVELS[*zoom];
                *pending_scroll.borrow_mut() = Some(centre * ratio + origin - gutter - half);
            }
            zoom.set(level);
        })
    };
    {
        // Keep the playback cursor in view while the run plays or is scrubbed.
        let scroller = scroller.clone();
        use_effect_with(cursor_x as i64, move |_| {
            if let Some(el) = scroller.cast::<web_sys::Element>() {
                let left = f64::from(el.scroll_left()) + gutter;
                let width = f64::from(el.client_width());
                if width > 0.0 && (cursor_x > left + width - 40.0 || cursor_x < left) {
                    el.set_scroll_left((cursor_x - gutter - width * 0.75).max(0.0) as i32);
                }
            }
        });
    }
    // Large runs draw only the chunks near the visible window (one window of margin each side).
    let viewport = use_state(|| (0.0f64, 2_000.0f64));
    let onscroll = {
        let viewport = viewport.clone();
        let scroller = scroller.clone();
        Callback::from(move |_: Event| {
            if let Some(el) = scroller.cast::<web_sys::Element>() {
                viewport.set((
                    f64::from(el.scroll_left()),
                    f64::from(el.client_width()).max(400.0),
                ));
            }
        })
    };
    let cull = total > CULL_ABOVE;
    let (view_left, view_width) = (viewport.0 + gutter, viewport.1);
    let active_chunk = active.map(|e| e.index() / CHUNK);
    let chunk_visible = |c: usize| {
        if !cull || Some(c) == active_chunk {
            // The tab stop's chunk is always drawn, so Tab always finds the diagram.
            return true;
        }
        let x0 = origin + opts.column * (c * CHUNK) as f64;
        let x1 = x0 + opts.column * (CHUNK + 1) as f64;
        x1 >= view_left - view_width && x0 <= view_left + 2.0 * view_width
    };
    let travelling = in_flight(&props.trace, shown, origin, &opts);
    let labels = |class: &'static str| {
        html! {
            <g class={class}>
                { for diagram.gutter.labels.iter().map(|l| html! {
                    <text class="lane-label" x={l.x.to_string()} y={l.baseline.to_string()}>
                        <title>{ l.full.clone() }</title>{ l.text.clone() }
                    </text>
                }) }
            </g>
        }
    };
    let lanes = diagram.lanes.iter().map(|lane| {
        html! {
            <g class="lane" key={format!("lane-{}", lane.node.0)}>
                <line x1={lane.x1.to_string()} y1={lane.y.to_string()} x2={diagram.width.to_string()} y2={lane.y.to_string()} />
            </g>
        }
    });
    // Every chunk stays in the list (culled ones empty), so scrolling never re-creates the
    // chunk holding the focused event: a keyed list whose keys change may rebuild its items.
    let chunks = (0..total.div_ceil(CHUNK)).map(|c| {
        let start = c * CHUNK;
        html! {
            <Chunk key={c} trace={props.trace.clone()} full={(*full).clone()} {start}
                visible={shown.saturating_sub(start).min(CHUNK)} highlight={(*highlight).clone()}
                selected={props.selected} compare={props.compare} pick={(*pick).clone()} marked={props.marked.clone()}
                active={active.filter(|e| e.index() / CHUNK == c)} culled={!chunk_visible(c)} />
        }
    });
    html! {
        <div class="diagram-frame">
        <div class="diagram-zoom" role="group" aria-label="Zoom">
            <button class="zoom-out" title="Zoom out (events closer together)" aria-label="Zoom out"
                disabled={*zoom == 0} onclick={zoom_to.reform({ let z = *zoom; move |_| z.saturating_sub(1) })}>{"−"}</button>
            <span class="zoom-level" aria-live="polite">{ format!("{}%", (ZOOM_LEVELS[*zoom] * 100.0).round()) }</span>
            <button class="zoom-in" title="Zoom in (events further apart)" aria-label="Zoom in"
                disabled={*zoom + 1 == ZOOM_LEVELS.len()} onclick={zoom_to.reform({ let z = *zoom; move |_| z + 1 })}>{"+"}</button>
        </div>
        <div class="diagram-viewport">
            // The lane names, pinned: the scroller beside them never slides events underneath.
            <svg class="lane-gutter" aria-hidden="true" width={gutter.to_string()} height={diagram.height.to_string()}
                viewBox={format!("0 0 {} {}", gutter, diagram.height)}>
                { labels("lane-labels") }
            </svg>
            <div class="diagram-scroll" ref={scroller} {onscroll}>
                // The SVG carries its own copy of the names (for the SVG/PNG exports) in its first
                // `gutter` units, which the canvas's negative margin keeps out of the scroller's
                // view (on the wrapper, so the exported SVG carries no page layout).
                <div class="diagram-canvas" style={format!("margin-left: -{gutter}px")}>
                <svg class="spacetime" width={diagram.width.to_string()} height={diagram.height.to_string()}
                    viewBox={format!("0 0 {} {}", diagram.width, diagram.height)} role="group" data-shown={shown.to_string()}
                    aria-label={format!("Space-time diagram: {} nodes, {} of {} events shown; arrow keys move between events, Enter selects",
                        props.trace.node_count(), shown, total)}
                    {onkeydown} {onfocusin}>
                    <style>{ DIAGRAM_CSS }</style>
                    <defs>
                        <marker id="arrowhead" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto-start-reverse">
                            <path d="M 0 0 L 10 5 L 0 10 z" />
                        </marker>
                    </defs>
                    { labels("gutter-copy") }
                    { for lanes }
                    <g class="in-flight-layer">{ for travelling.iter().map(|a| arrow_html(a, props.selected, &highlight.0)) }</g>
                    <line class="cursor" x1={cursor_x.to_string()} y1="0" x2={cursor_x.to_string()} y2={diagram.height.to_string()} />
                    { for chunks }
                </svg>
                </div>
            </div>
        </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::layout::LABEL_FONT;

    #[test]
    fn the_embedded_css_draws_labels_at_the_size_the_layout_measures() {
        assert!(DIAGRAM_CSS.contains(&format!(
            ".lane-label {{ font: 700 {LABEL_FONT}px ui-monospace"
        )));
    }
}
