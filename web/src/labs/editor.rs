//! The Collaborative editor lab: every browser tab that opens `#/lab/editor?room=NAME` is a
//! replica of one shared text, the core's Byzantine-safe `chronoscope::collab::Replica`
//! (Kleppmann, "Making CRDTs Byzantine Fault Tolerant", PaPoC 2022: updates named by the
//! hash of their content and dependencies, signed, delivered after what they name), driven
//! between tabs by the generic tab runtime (`crate::tabs`) through [`CollabCodec`].
//!
//! This file is the driver and the page: the text area turns each input into
//! `Operation::Replace`; the tab's network controls are the runtime's fault rules; the
//! views (`super::editor_views`) read the replica. Saved state is the replica's saved
//! updates, restored on reload (checked again by the core). `&naive=1` shows the simulated
//! forgery lesson (`chronoscope::scenario::collab`) next to the real editor.

use std::cell::RefCell;
use std::rc::Rc;

use chronoscope::collab::{Limits, Operation, Output, Replica};
use chronoscope::node::NodeId;
use chronoscope::sim::Latency;
use chronoscope::trace::EventId;
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;
use yew_router::prelude::*;

use super::collab_codec::CollabCodec;
use super::editor_views::{self as views, Session};
use crate::components::diagram::SpaceTimeDiagram;
use crate::components::inspector::EventInspector;
use crate::query::Query;
use crate::tabs::browser::{self, now_ms, Connection};
use crate::tabs::runtime::{TabRuntime, WireCodec, MAX_DELAY_MS};
use crate::Route;

/// The room used when the URL names none (or an unusable one).
pub const DEFAULT_ROOM: &str = "main";
/// The seed of the simulated forgery lesson.
const LESSON_SEED: u64 = 7;

/// Reads the room name and whether the lesson is shown from the URL; an unusable room
/// name is replaced by [`DEFAULT_ROOM`] with a note.
pub fn room_from_query(query: &Query) -> (String, bool, Vec<String>) {
    let mut notes = Vec::new();
    let room = match query.get("room") {
        None => DEFAULT_ROOM.to_string(),
        Some(r)
            if !r.is_empty()
                && r.len() <= 40
                && r.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
        {
            r.to_string()
        }
        Some(r) => {
            let shown: String = r.chars().take(40).collect();
            notes.push(format!(
                "room = \"{shown}\" is not 1–40 letters, digits, '-' or '_'; using \"{DEFAULT_ROOM}\""
            ));
            DEFAULT_ROOM.to_string()
        }
    };
    let lesson = matches!(query.get("naive"), Some("1") | Some("true"));
    (room, lesson, notes)
}

/// The channel of a room.
pub fn channel_name(room: &str) -> String {
    format!("chronoscope-editor:hash:{room}")
}

/// The lab page.
#[function_component(EditorLab)]
pub fn editor_lab() -> Html {
    let location = use_location();
    let query_str = location
        .as_ref()
        .map(|l| l.query_str().to_string())
        .unwrap_or_default();
    let (room, lesson, notes) = room_from_query(&Query::parse(&query_str));
    html! {
        <section class="lab" id="lab-editor">
            <h2>{"Collaborative editor"}</h2>
            <p class="explain">
                {"Open this page in several tabs: each tab is a replica of one text, and they talk only over a \
                BroadcastChannel — which any page of this site can post on, so a message is evidence, not truth. \
                Every edit is an update named by the SHA-256 of its content and of the updates it depends on, \
                signed with the tab's own Ed25519 key (Kleppmann, PaPoC 2022). A tab delivers an update only \
                after everything it names, holding it back until then; the text is an RGA over those hashes, so \
                concurrent inserts converge. Forged ids, unsigned or replayed updates, state nobody asked for and \
                floods are refused and counted below. Delay, drop, duplicate or hold messages and watch the \
                hold-back queue and the session diagram."}
            </p>
            if !notes.is_empty() {
                <div class="notice" role="alert">
                    <strong>{"Some parameters were adjusted:"}</strong>
                    <ul>{ for notes.iter().map(|n| html!{ <li>{ n.clone() }</li> }) }</ul>
                </div>
            }
            <RoomView key={room.clone()} room={room.clone()} {lesson} />
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct RoomProps {
    room: String,
    lesson: bool,
}

#[derive(Default, PartialEq)]
struct Redraw(u64);

impl Reducible for Redraw {
    type Action = ();
    fn reduce(self: Rc<Self>, _: ()) -> Rc<Self> {
        Rc::new(Redraw(self.0 + 1))
    }
}

/// Converts a char index into a UTF-16 offset of `s`.
fn utf16_offset(s: &str, chars: usize) -> u32 {
    s.chars().take(chars).map(char::len_utf16).sum::<usize>() as u32
}

/// Converts a UTF-16 offset of `s` into a char index.
fn char_index(s: &str, utf16: u32) -> usize {
    let mut units = 0usize;
    for (i, c) in s.chars().enumerate() {
        if units >= utf16 as usize {
            return i;
        }
        units += c.len_utf16();
    }
    s.chars().count()
}

/// Where a caret at char index `caret` of `old` stands in `new`: unchanged before the
/// first difference, shifted by the length change after it.
pub fn moved_caret(old: &str, new: &str, caret: usize) -> usize {
    let prefix = old
        .chars()
        .zip(new.chars())
        .take_while(|(a, b)| a == b)
        .count();
    if caret <= prefix {
        return caret;
    }
    let (old_len, new_len) = (old.chars().count(), new.chars().count());
    (caret + new_len)
        .saturating_sub(old_len)
        .max(prefix)
        .min(new_len)
}

type Runtime = TabRuntime<CollabCodec>;

/// Builds the tab's runtime: its replica restored from this tab's save (a reload), else
/// from the room's latest save under this tab's own key (a new tab), else empty.
fn start(name: &str) -> (Runtime, Option<String>) {
    let (token, _) = browser::identity(name);
    let me = NodeId(token.max(1));
    let seed = browser::tab_secret(name);
    let limits = Limits::default();
    let codec = CollabCodec::new(seed, limits);
    let saved = browser::load_saved(name, me)
        .map(|json| (json, "restored this tab's saved text"))
        .or_else(|| {
            browser::last_saved(name)
                .map(|(_, json)| (json, "restored the text this room's tabs saved last"))
        });
    let (replica, note) = match saved {
        None => (Replica::new(seed, limits), None),
        Some((json, what)) => match codec.restore(me, &json) {
            Ok(Some(r)) => (r, Some(what.to_string())),
            Ok(None) => (Replica::new(seed, limits), None),
            Err(e) => (
                Replica::new(seed, limits),
                Some(format!("could not restore the saved text: {e}")),
            ),
        },
    };
    let rt = TabRuntime::open(codec, replica, token, browser::random_u64(), now_ms());
    (rt.preloaded(), note)
}

#[function_component(RoomView)]
fn room_view(props: &RoomProps) -> Html {
    let name = channel_name(&props.room);
    let init = {
        let name = name.clone();
        use_state(move || {
            let (rt, note) = start(&name);
            (Rc::new(RefCell::new(rt)), note)
        })
    };
    let runtime: Rc<RefCell<Runtime>> = init.0.clone();
    let restore_note = init.1.clone();
    let session = {
        let runtime = runtime.clone();
        use_mut_ref(move || Session::new(runtime.borrow().protocol().author()))
    };
    let connection = use_mut_ref(|| None::<Connection<CollabCodec>>);
    let edit_notes = use_mut_ref(Vec::<String>::new);
    let redraw = use_reducer(Redraw::default);
    let selected = use_state(|| None::<EventId>);
    let error = use_state(|| None::<String>);
    let textarea = use_node_ref();
    let navigator = use_navigator();

    {
        let (runtime, connection, edit_notes, error) = (
            runtime.clone(),
            connection.clone(),
            edit_notes.clone(),
            error.clone(),
        );
        let redraw = redraw.dispatcher();
        use_effect_with(name.clone(), move |name| {
            let on_change: browser::OnChange = {
                let runtime = runtime.clone();
                Rc::new(move || {
                    let outputs = runtime.borrow_mut().take_outputs();
                    let mut notes = edit_notes.borrow_mut();
                    for o in outputs {
                        if let Output::EditRefused(e) = o {
                            notes.push(format!("edit refused: {e}"));
                        }
                    }
                    let excess = notes.len().saturating_sub(5);
                    notes.drain(..excess);
                    redraw.dispatch(());
                })
            };
            match Connection::open(name, runtime, on_change) {
                Ok(c) => *connection.borrow_mut() = Some(c),
                Err(e) => error.set(Some(e)),
            }
            move || drop(connection.borrow_mut().take())
        });
    }

    // Keep the textarea showing the replica, moving the caret past remote edits.
    {
        let runtime = runtime.clone();
        let textarea = textarea.clone();
        use_effect(move || {
            if let Some(ta) = textarea.cast::<HtmlTextAreaElement>() {
                let text = runtime.borrow().protocol().text();
                let old = ta.value();
                if old != text {
                    let caret = ta.selection_start().ok().flatten().unwrap_or(0);
                    let caret = moved_caret(&old, &text, char_index(&old, caret));
                    ta.set_value(&text);
                    let at = utf16_offset(&text, caret);
                    let _ = ta.set_selection_range(at, at);
                }
            }
        });
    }

    let kick = {
        let connection = connection.clone();
        move || {
            if let Some(c) = connection.borrow().as_ref() {
                c.kick();
            }
        }
    };
    let oninput = {
        let runtime = runtime.clone();
        let kick = kick.clone();
        let redraw = redraw.dispatcher();
        Callback::from(move |e: InputEvent| {
            if let Some(ta) = e.target_dyn_into::<HtmlTextAreaElement>() {
                let text = ta.value();
                runtime
                    .borrow_mut()
                    .operate(Operation::Replace { text }, now_ms());
                kick();
                redraw.dispatch(());
            }
        })
    };
    let number = |apply: fn(&mut Runtime, u32), max: u32| {
        let runtime = runtime.clone();
        let redraw = redraw.dispatcher();
        Callback::from(move |e: Event| {
            if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                let value = input.value().trim().parse::<u32>().unwrap_or(0).min(max);
                apply(&mut runtime.borrow_mut(), value);
                redraw.dispatch(());
            }
        })
    };
    let on_delay = number(Runtime::set_delay, MAX_DELAY_MS);
    let on_drop = number(Runtime::set_drop, 100);
    let on_dup = {
        let runtime = runtime.clone();
        let redraw = redraw.dispatcher();
        Callback::from(move |e: Event| {
            if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                runtime.borrow_mut().set_duplicate(input.checked());
                redraw.dispatch(());
            }
        })
    };
    let on_lesson = {
        let room = props.room.clone();
        Callback::from(move |e: Event| {
            if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                if let Some(nav) = &navigator {
                    let mut query = vec![("room", room.clone())];
                    if input.checked() {
                        query.push(("naive", "1".to_string()));
                    }
                    let route = Route::Lab {
                        slug: "editor".into(),
                    };
                    if nav.push_with_query(&route, &query).is_err() {
                        web_sys::console::error_1(&"could not update the URL".into());
                    }
                }
            }
        })
    };
    let toggle_hold = {
        let runtime = runtime.clone();
        let redraw = redraw.dispatcher();
        Callback::from(move |peer: NodeId| {
            {
                let mut rt = runtime.borrow_mut();
                let held = rt.is_held(peer);
                rt.set_held(peer, !held, now_ms());
            }
            kick();
            redraw.dispatch(());
        })
    };
    let on_select = {
        let selected = selected.clone();
        Callback::from(move |e: EventId| selected.set(Some(e)))
    };

    let rt = runtime.borrow();
    let replica = rt.protocol();
    let me = rt.seats().seat();
    let (trace, lanes, not_drawn) = {
        let mut s = session.borrow_mut();
        let now = now_ms();
        s.sync(replica.graph(), now);
        let (trace, lanes) = s.shared(now);
        (trace, lanes, s.not_drawn())
    };
    let selected_id = (*selected).filter(|e| e.index() < trace.events().len());
    let held = rt.held();
    let peers = replica
        .peers()
        .iter()
        .filter(|(_, p)| p.proven || !p.gone)
        .map(|(id, p)| {
            let is_held = rt.is_held(id);
            let waiting = held.get(&id).copied().unwrap_or(0);
            let onclick = toggle_hold.reform(move |_: MouseEvent| id);
            let status = match (p.gone, p.proven) {
                (true, _) => "gone",
                (false, true) => "live",
                (false, false) => "unproven",
            };
            let author = p.author.map(|a| format!(" @{a}")).unwrap_or_default();
            html! {
                <li class={classes!("peer", status)} data-peer={id.0.to_string()} key={id.0.to_string()}>
                    <span class="peer-name">{ format!("tab {}{author} ", id.0) }</span>
                    <span class="peer-status">{ status }</span>
                    <button type="button" class={classes!("hold", is_held.then_some("held"))}
                        aria-pressed={is_held.to_string()} onclick={onclick}>
                        { if is_held { format!("Release link ({waiting} waiting)") } else { "Hold link".to_string() } }
                    </button>
                </li>
            }
        })
        .collect::<Vec<Html>>();
    let counters = rt.counters();
    let core_refusals = replica.refusals();
    let refused = counters.refused_total() + core_refusals.total();
    let by_replica: Vec<String> = core_refusals
        .nonzero()
        .map(|(r, n)| format!("{r} {n}"))
        .collect();
    let by_runtime: Vec<String> = counters
        .refused
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    let delay = match rt.network().latency {
        Latency::Constant(d) => d.as_millis_f64() as u32,
        _ => 0,
    };
    let drop_percent = (rt.network().loss * 100.0).round() as u32;
    let save_error = connection.borrow().as_ref().and_then(|c| c.save_error());
    let total = replica.graph().len();
    html! {
        <div class="editor" data-peer={me.map(|m| m.0.to_string()).unwrap_or_default()}
            data-synced={me.is_some().to_string()} data-refused={refused.to_string()}
            data-equivocations={replica.equivocations().len().to_string()} data-delivered={total.to_string()}>
            if let Some(e) = &*error { <div class="notice error" role="alert">{ e.clone() }</div> }
            <p class="whoami">
                { format!("This tab is tab {} with author key @{} in room “{}” · ",
                    me.map(|m| m.0).unwrap_or(0), replica.author(), props.room) }
                {"vector clock "}<code class="my-clock">{ views::clock_text(replica) }</code>
            </p>
            if let Some(note) = restore_note {
                <p class="restore-note">{ note }</p>
            }
            if let Some(err) = save_error {
                <div class="notice warning save-error" role="alert">{ err }</div>
            }
            <label class="doc-label">{"Shared text"}
                <textarea class="doc" ref={textarea} rows="6" spellcheck="false" aria-label="Shared text"
                    {oninput} />
            </label>
            { for edit_notes.borrow().iter().map(|n| html! { <p class="notice edit-note">{ n.clone() }</p> }) }
            { views::equivocations(replica) }
            <fieldset class="net-controls">
                <legend>{"This tab's outgoing network (the simulator's link rules)"}</legend>
                <label>{"delay (ms) "}
                    <input class="ctl-delay" type="number" min="0" max={MAX_DELAY_MS.to_string()} value={delay.to_string()} onchange={on_delay} />
                </label>
                <label>{" drop (%) "}
                    <input class="ctl-drop" type="number" min="0" max="100" value={drop_percent.to_string()} onchange={on_drop} />
                </label>
                <label>
                    <input class="ctl-dup" type="checkbox" checked={rt.network().duplicate > 0.0} onchange={on_dup} />
                    {" post every message twice"}
                </label>
                <p class="net-counters">{ format!("sent {} · posted {} · dropped {} · received {}",
                    counters.sent, counters.posted, counters.dropped, counters.delivered) }</p>
            </fieldset>
            <section class="peers-panel">
                <h3>{"Other tabs"}</h3>
                if peers.is_empty() {
                    <p class="empty">{"No other tab yet: open this page in another tab."}</p>
                } else {
                    <ul class="peers">{ for peers }</ul>
                }
            </section>
            { views::holdback(replica) }
            <section class="refusals" data-refused={refused.to_string()} aria-live="polite">
                <h3>{ format!("Refused from the channel: {refused}") }</h3>
                if !by_replica.is_empty() {
                    <p class="by-reason replica">{ format!("by the replica: {}", by_replica.join(", ")) }</p>
                }
                if !by_runtime.is_empty() {
                    <p class="by-reason runtime">{ format!("by the tab runtime: {}", by_runtime.join(", ")) }</p>
                }
                <ul class="notes">{ for rt.notes().map(|n| html! { <li>{ n.clone() }</li> }) }</ul>
            </section>
            <section class="session">
                <h3>{ format!("Session: {total} updates delivered by this tab (lanes are authors)") }</h3>
                if not_drawn > 0 {
                    <p class="notice trace-window" role="status">
                        { format!("The diagram starts at update {} of {total}: the first {not_drawn} are delivered and kept \
                            in the hash graph but not drawn (at most {} are drawn).", not_drawn + 1, views::WINDOW) }
                    </p>
                }
                <div class="run-body">
                    <SpaceTimeDiagram trace={trace.clone()} shown={trace.events().len()} selected={selected_id}
                        {on_select} lane_names={Some(lanes)} />
                    <EventInspector trace={trace.clone()} selected={selected_id} />
                </div>
            </section>
            <label class="lesson-switch">
                <input class="ctl-naive" type="checkbox" checked={props.lesson} onchange={on_lesson} />
                {" show the forgery lesson: a plain vector-clock room against this hash-linked room (simulated)"}
            </label>
            if props.lesson { { views::lesson(LESSON_SEED) } }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_names_are_checked() {
        let (room, lesson, notes) = room_from_query(&Query::parse("room=team-1&naive=1"));
        assert_eq!((room.as_str(), lesson, notes.len()), ("team-1", true, 0));
        let (room, lesson, notes) = room_from_query(&Query::parse("room=%3Cscript%3E"));
        assert_eq!(
            (room.as_str(), lesson, notes.len()),
            (DEFAULT_ROOM, false, 1)
        );
    }

    #[test]
    fn caret_moves_past_remote_edits_only() {
        assert_eq!(moved_caret("abc", "Xabc", 3), 4);
        assert_eq!(moved_caret("abc", "abcX", 3), 3);
        assert_eq!(moved_caret("abc", "ac", 3), 2);
        assert_eq!(moved_caret("abc", "abc", 1), 1);
        assert_eq!(char_index("aé😀b", utf16_offset("aé😀b", 3)), 3);
    }
}
