//! The Collaborative editor lab: every browser tab that opens `#/lab/editor?room=NAME` is a
//! peer of one shared text. Tabs talk only over a `BroadcastChannel`; edits carry vector
//! clocks and are delivered causally by the core's causal queue (Birman, Schiper and
//! Stephenson 1991), and an RGA sequence CRDT (Roh et al. 2011) makes concurrent inserts at
//! the same place converge. `&naive=1` switches the room to position-based edits, which
//! diverge — the lesson the CRDT answers.
//!
//! Each tab has its own network controls (delay, drop, duplicate, hold the link to one
//! peer), shows its hold-back queue live, and draws the session as a space-time diagram.
//! The replica persists in `localStorage`, so a reload restores it and re-syncs.

use std::rc::Rc;

use chronoscope::trace::EventId;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{BroadcastChannel, HtmlTextAreaElement, MessageEvent};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::components::diagram::SpaceTimeDiagram;
use crate::components::export::{trace_exports, ExportMenu};
use crate::components::inspector::EventInspector;
use crate::components::SharedTrace;
use crate::query::Query;
use crate::tabs::channel::{self, now_ms, post_all};
use crate::tabs::peer::{Mode, Outgoing, Peer, MAX_DELAY_MS, TRACE_LIMIT};
use crate::Route;

/// The room used when the URL names none (or an unusable one).
pub const DEFAULT_ROOM: &str = "main";

/// Reads the room name and mode from the URL; an unusable room name is replaced by
/// [`DEFAULT_ROOM`] with a note.
pub fn room_from_query(query: &Query) -> (String, Mode, Vec<String>) {
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
    let mode = match query.get("naive") {
        Some("1") | Some("true") => Mode::Naive,
        _ => Mode::Crdt,
    };
    (room, mode, notes)
}

/// The lab page.
#[function_component(EditorLab)]
pub fn editor_lab() -> Html {
    let location = use_location();
    let query_str = location
        .as_ref()
        .map(|l| l.query_str().to_string())
        .unwrap_or_default();
    let (room, mode, notes) = room_from_query(&Query::parse(&query_str));
    html! {
        <section class="lab" id="lab-editor">
            <h2>{"Collaborative editor"}</h2>
            <p class="explain">
                {"Open this page in several tabs: each tab is a peer, and they share one text over a \
                BroadcastChannel — nothing else. Every edit carries its author's vector clock; a tab delivers \
                it only after everything it causally depends on (Birman, Schiper & Stephenson 1991), holding it \
                back until then. Causal order alone does not make concurrent inserts at the same place agree, \
                so the text is an RGA (Roh et al. 2011): every character has a unique id, inserts name the \
                character they follow, and ties break the same way everywhere. Switch to naive mode to see \
                position-based edits diverge. Delay, drop, duplicate or hold messages below and watch the \
                hold-back queue and the space-time diagram."}
            </p>
            if !notes.is_empty() {
                <div class="notice" role="alert">
                    <strong>{"Some parameters were adjusted:"}</strong>
                    <ul>{ for notes.iter().map(|n| html!{ <li>{ n.clone() }</li> }) }</ul>
                </div>
            }
            <RoomView key={format!("{room}/{mode:?}")} room={room.clone()} naive={mode == Mode::Naive} />
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct RoomProps {
    room: String,
    naive: bool,
}

struct Tab {
    peer: Peer,
    channel: Option<BroadcastChannel>,
    room: String,
    restore_note: Option<String>,
    save_error: Option<String>,
    last_save: f64,
}

impl Tab {
    fn post(&self, out: Vec<Outgoing>) {
        if let Some(ch) = &self.channel {
            post_all(ch, out);
        }
    }

    fn save(&mut self) {
        let json = self.peer.save();
        self.save_error = channel::save(&self.room, self.peer.mode(), self.peer.id(), &json).err();
        self.last_save = now_ms();
    }
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

#[function_component(RoomView)]
fn room_view(props: &RoomProps) -> Html {
    let mode = if props.naive { Mode::Naive } else { Mode::Crdt };
    let tab = {
        let room = props.room.clone();
        use_mut_ref(move || {
            let (id, saved) = channel::identity(&room, mode);
            let mut peer = Peer::new(id, mode, channel::random_seed(), now_ms());
            let restore_note = match saved.map(|s| peer.restore(&s)) {
                Some(Ok(())) => Some("restored the saved replica".to_string()),
                Some(Err(e)) => Some(format!("could not restore the saved replica: {e}")),
                None => None,
            };
            Tab {
                peer,
                channel: None,
                room,
                restore_note,
                save_error: None,
                last_save: 0.0,
            }
        })
    };
    let redraw = use_reducer(Redraw::default);
    // The selected event's place in the whole session (see `selected_id`).
    let selected = use_state(|| None::<u64>);
    let textarea = use_node_ref();
    let navigator = use_navigator();

    {
        let tab = tab.clone();
        let redraw = redraw.dispatcher();
        let name = channel::channel_name(&props.room, mode);
        use_effect_with((), move |_| {
            let channel = BroadcastChannel::new(&name).ok();
            let onmessage = {
                let tab = tab.clone();
                let redraw = redraw.clone();
                Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
                    let raw = e
                        .data()
                        .as_string()
                        .unwrap_or_else(|| "<not a string>".to_string());
                    {
                        let mut t = tab.borrow_mut();
                        let out = t.peer.receive(&raw, now_ms());
                        t.post(out);
                    }
                    redraw.dispatch(());
                })
            };
            if let Some(ch) = &channel {
                ch.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
            }
            tab.borrow_mut().channel = channel.clone();
            let interval = {
                let tab = tab.clone();
                let redraw = redraw.clone();
                gloo_timers::callback::Interval::new(100, move || {
                    let changed = {
                        let mut t = tab.borrow_mut();
                        let before = t.peer.version();
                        let now = now_ms();
                        let out = t.peer.tick(now);
                        t.post(out);
                        let error_before = t.save_error.clone();
                        if t.peer.is_dirty() && now - t.last_save >= 300.0 {
                            t.save();
                        }
                        // A save failing (or working again) is news too.
                        t.peer.version() != before || t.save_error != error_before
                    };
                    if changed {
                        redraw.dispatch(());
                    }
                })
            };
            let pagehide = web_sys::window().map(|w| {
                let tab = tab.clone();
                gloo_events::EventListener::new(&w, "pagehide", move |_| {
                    let mut t = tab.borrow_mut();
                    t.save();
                    let bye = t.peer.bye();
                    t.post(vec![Outgoing {
                        json: bye,
                        delay_ms: 0,
                    }]);
                })
            });
            move || {
                drop(interval);
                drop(pagehide);
                let mut t = tab.borrow_mut();
                t.save();
                let bye = t.peer.bye();
                t.post(vec![Outgoing {
                    json: bye,
                    delay_ms: 0,
                }]);
                if let Some(ch) = t.channel.take() {
                    ch.set_onmessage(None);
                    ch.close();
                }
                drop(onmessage);
            }
        });
    }

    // Keep the textarea showing the replica, moving the caret past remote edits.
    {
        let tab = tab.clone();
        let textarea = textarea.clone();
        use_effect(move || {
            if let Some(ta) = textarea.cast::<HtmlTextAreaElement>() {
                let text = tab.borrow().peer.text();
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

    let oninput = {
        let tab = tab.clone();
        let redraw = redraw.dispatcher();
        Callback::from(move |e: InputEvent| {
            if let Some(ta) = e.target_dyn_into::<HtmlTextAreaElement>() {
                {
                    let mut t = tab.borrow_mut();
                    let out = t.peer.local_input(&ta.value(), now_ms());
                    t.post(out);
                }
                redraw.dispatch(());
            }
        })
    };
    let undo = {
        let tab = tab.clone();
        let redraw = redraw.dispatcher();
        Callback::from(move |()| {
            {
                let mut t = tab.borrow_mut();
                let out = t.peer.undo(now_ms());
                t.post(out);
            }
            redraw.dispatch(());
        })
    };
    let onkeydown = {
        let undo = undo.clone();
        Callback::from(move |e: KeyboardEvent| {
            let key = e.key().to_lowercase();
            if (e.ctrl_key() || e.meta_key()) && (key == "z" || key == "y") {
                e.prevent_default();
                if key == "z" && !e.shift_key() {
                    undo.emit(());
                }
            }
        })
    };
    let control = |apply: fn(&mut Peer, u32), max: u32| {
        let tab = tab.clone();
        let redraw = redraw.dispatcher();
        Callback::from(move |e: Event| {
            if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                let value = input.value().trim().parse::<u32>().unwrap_or(0).min(max);
                apply(&mut tab.borrow_mut().peer, value);
                redraw.dispatch(());
            }
        })
    };
    let on_delay = control(Peer::set_delay, MAX_DELAY_MS);
    let on_drop = control(Peer::set_drop, 100);
    let on_dup = {
        let tab = tab.clone();
        let redraw = redraw.dispatcher();
        Callback::from(move |e: Event| {
            if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                tab.borrow_mut().peer.set_duplicate(input.checked());
                redraw.dispatch(());
            }
        })
    };
    let on_naive = {
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
        let tab = tab.clone();
        let redraw = redraw.dispatcher();
        Callback::from(move |peer: u32| {
            {
                let mut t = tab.borrow_mut();
                if t.peer.controls().held.contains(&peer) {
                    let out = t.peer.release(peer);
                    t.post(out);
                } else {
                    t.peer.hold(peer);
                }
            }
            redraw.dispatch(());
        })
    };

    let trace_version = tab.borrow().peer.trace_version();
    let trace = {
        let tab = tab.clone();
        use_memo(trace_version, move |_| {
            SharedTrace::from(tab.borrow().peer.trace().clone())
        })
    };
    // The exports carry clocks recomputed from the drawn messages (one tick per event): the
    // tabs' own clocks count delivered edits, which ShiViz's rules reject (a receive does not
    // tick them). Built once per trace change, not on every render.
    let exports = {
        let trace = trace.clone();
        let name = format!("editor-{}-{:x}", props.room, tab.borrow().peer.id());
        use_memo(trace_version, move |_| {
            trace_exports(&name, &SharedTrace::from(trace.with_event_clocks()))
        })
    };
    let on_select = {
        let selected = selected.clone();
        let tab = tab.clone();
        Callback::from(move |e: EventId| {
            let dropped = tab.borrow().peer.trace_dropped();
            selected.set(Some(dropped + e.0 as u64))
        })
    };

    let t = tab.borrow();
    let peer = &t.peer;
    let me = peer.id();
    let controls = peer.controls();
    let waiting = peer.holdback_view();
    let peers = peer.peers().iter().map(|(&id, info)| {
        let held = controls.held.contains(&id);
        let onclick = toggle_hold.reform(move |_: MouseEvent| id);
        let status = if info.left { "left" } else if info.gone { "gone" } else { "live" };
        html! {
            <li class={classes!("peer", status)} data-peer={id.to_string()} key={id.to_string()}>
                <span class="peer-name">{ peer.name_of(id) }</span>
                <span class="peer-id">{ format!(" #{id:x} ") }</span>
                <span class="peer-status">{ status }</span>
                <span class="peer-delivered">{ format!(" · has {} of my edits", info.delivered.get(chronoscope::node::NodeId(me))) }</span>
                <button type="button" class={classes!("hold", held.then_some("held"))} aria-pressed={held.to_string()} {onclick}>
                    { if held { format!("Release link ({} waiting)", peer.held_count(id)) } else { "Hold link".to_string() } }
                </button>
            </li>
        }
    });
    let lane_legend: Vec<String> = std::iter::once(format!("A = this tab (#{me:x})"))
        .chain(
            peer.peers()
                .keys()
                .map(|&id| format!("{} = #{id:x}", peer.name_of(id))),
        )
        .collect();
    let events = trace.events().len();
    let dropped = peer.trace_dropped();
    // The selection is kept as the event's place in the whole session, so it stays on the
    // same event (or goes away) when the oldest events are dropped.
    let selected_id = (*selected)
        .and_then(|abs| abs.checked_sub(dropped))
        .map(|i| EventId(i as u32));
    html! {
        <div class="editor" data-peer={me.to_string()} data-synced={peer.is_synced().to_string()}>
            <p class="whoami">
                { format!("This tab is peer A (#{me:x}) in room “{}”, ", t.room) }
                <strong class="mode">{ if mode == Mode::Crdt { "RGA (converges)" } else { "naive positions (diverges)" } }</strong>
                {" · my clock "}<code class="my-clock">{ peer.clock_view() }</code>
                if !peer.is_synced() { <span class="syncing">{" · syncing…"}</span> }
            </p>
            if let Some(note) = &t.restore_note {
                <p class="restore-note">{ note.clone() }</p>
            }
            if let Some(err) = &t.save_error {
                <div class="notice warning" role="alert">{ err.clone() }</div>
            }
            <label class="doc-label">{"Shared text"}
                <textarea class="doc" ref={textarea} rows="6" spellcheck="false" aria-label="Shared text"
                    {oninput} {onkeydown} />
            </label>
            <div class="editor-actions">
                <button type="button" class="undo" disabled={!peer.can_undo()} onclick={undo.reform(|_: MouseEvent| ())}>
                    {"Undo my last edit"}
                </button>
                <span class="hint">{" (Ctrl+Z; undoes only this tab's edits)"}</span>
            </div>
            <fieldset class="net-controls">
                <legend>{"This tab's outgoing network"}</legend>
                <label>{"delay (ms) "}
                    <input class="ctl-delay" type="number" min="0" max={MAX_DELAY_MS.to_string()} value={controls.delay_ms.to_string()} onchange={on_delay} />
                </label>
                <label>{"drop (%) "}
                    <input class="ctl-drop" type="number" min="0" max="100" value={controls.drop_percent.to_string()} onchange={on_drop} />
                </label>
                <label>
                    <input class="ctl-dup" type="checkbox" checked={controls.duplicate} onchange={on_dup} />
                    {" duplicate every edit"}
                </label>
                <label>
                    <input class="ctl-naive" type="checkbox" checked={mode == Mode::Naive} onchange={on_naive} />
                    {" naive mode (position-based edits, no CRDT)"}
                </label>
            </fieldset>
            <section class="peers-panel">
                <h3>{"Peers"}</h3>
                if peer.peers().is_empty() {
                    <p class="empty">{"No other tab yet: open this page in another tab."}</p>
                } else {
                    <ul class="peers">{ for peers }</ul>
                }
            </section>
            <section class="holdback" aria-live="polite">
                <h3>{ format!("Hold-back queue ({})", waiting.len()) }</h3>
                if waiting.is_empty() {
                    <p class="empty">{"Nothing waiting: every edit received has been delivered."}</p>
                } else {
                    <ul>{ for waiting.iter().map(|w| html!{ <li class="waiting">{ w.clone() }</li> }) }</ul>
                }
            </section>
            if !peer.warnings().is_empty() {
                <div class="notice warning rejected" role="alert">
                    <strong class="rejected-count">{ format!("{} message(s) rejected", peer.rejected()) }</strong>
                    <ul>{ for peer.warnings().iter().rev().map(|w| html!{ <li class="warning-item">{ w.clone() }</li> }) }</ul>
                </div>
            }
            <section class="session">
                <h3>{ format!("Session as seen by this tab ({} events)", dropped + events as u64) }</h3>
                if dropped > 0 {
                    <p class="notice trace-window" role="status">
                        { format!("Showing the last {events} of {} events; the session's first {dropped} events are not drawn \
                            (this tab keeps at most {TRACE_LIMIT}).", dropped + events as u64) }
                    </p>
                }
                <p class="legend">{ lane_legend.join(" · ") }</p>
                <div class="run-body">
                    <SpaceTimeDiagram trace={(*trace).clone()} shown={events} selected={selected_id} {on_select} />
                    <EventInspector trace={(*trace).clone()} selected={selected_id} />
                </div>
                <ExportMenu name={format!("editor-{}-{me:x}", t.room)} texts={(*exports).clone()} />
                <p class="hint export-note">{"The ShiViz, JSON, Mermaid and DOT files hold this diagram with vector clocks \
                    recomputed from its messages (one tick per event, as ShiViz requires); the clocks the tabs exchange \
                    count delivered edits (a receive does not tick them), so the inspector shows those and the files do not."}</p>
            </section>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_names_are_checked() {
        let (room, mode, notes) = room_from_query(&Query::parse("room=team-1&naive=1"));
        assert_eq!(
            (room.as_str(), mode, notes.len()),
            ("team-1", Mode::Naive, 0)
        );
        let (room, mode, notes) = room_from_query(&Query::parse("room=%3Cscript%3E"));
        assert_eq!(
            (room.as_str(), mode, notes.len()),
            (DEFAULT_ROOM, Mode::Crdt, 1)
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
