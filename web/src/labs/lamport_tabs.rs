//! The Lamport chat in real tabs: each browser tab is one participant running the core's
//! `TotalOrder` (`chronoscope::broadcast::total_order`, Lamport 1978 §3) through the tab
//! runtime (`crate::tabs::runtime`). The protocol needs known membership — a message is
//! stable once a later stamp was heard from *every* other node — so a room has a fixed
//! number of seats; each tab claims one (`A`, `B`, `C` …) and the protocol's peers are the
//! other seats, occupied or not. A message waits [PENDING] until stable, then every tab
//! shows it in the same `(time, seat)` order. This file holds the JSON codec and the view.

use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

use chronoscope::broadcast::total_order::{
    ChatBody, ChatPacket, LamportChat, TotalOrderOutput, TotalOrderState, MAX_LINK_GAP,
};
use chronoscope::clock::LamportStamp;
use chronoscope::node::NodeId;
use chronoscope::time::{Instant, Span};
use serde::{Deserialize, Serialize};
use yew::prelude::*;

use crate::tabs::browser::{self, now_ms, Connection};
use crate::tabs::runtime::{TabRuntime, WireCodec, MAX_DELAY_MS};
use crate::tabs::seats::{Standing, MAX_SEATS};

/// The longest chat text, in characters.
pub const MAX_TEXT_CHARS: usize = 280;
/// The largest time or sequence number accepted (what a JavaScript number holds exactly).
pub const MAX_SAFE: u64 = (1 << 53) - 1;
/// How long a message may stay pending before the tab reports it stuck.
pub const STUCK_MS: i64 = 5_000;
/// Most lines the view keeps.
const LINES_KEPT: usize = 500;

/// A chat packet on the wire: `{"seq":1,"chat":[1,0,"Hi"]}` or `{"seq":2,"ack":5}`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WirePacket {
    seq: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    chat: Option<(u64, u32, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ack: Option<u64>,
}

/// A saved chat node: its seat and the core's `TotalOrderState` as plain lists.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedChat {
    v: u32,
    seat: u32,
    stuck_ms: i64,
    clock: u64,
    peers: Vec<u32>,
    promised_out: u64,
    link_out: Vec<(u32, u64)>,
    link_in: Vec<(u32, u64)>,
    reorder: Vec<(u32, WirePacket)>,
    promised_in: Vec<(u32, u64)>,
    queue: Vec<(u64, u32, String, i64)>,
    displayed: u64,
}

/// The longest saved chat state read, in bytes (checked before parsing).
pub const MAX_SAVED_BYTES: usize = 2 * 1024 * 1024;

/// Why a chat packet was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChatWireError {
    /// Not the packet's JSON shape.
    Shape(String),
    /// Both or neither of `chat` and `ack`.
    Body,
    /// A number out of range.
    Range(&'static str, u64),
    /// A text too long or with control characters.
    Text(String),
    /// A saved state that cannot be restored.
    Saved(String),
}

impl fmt::Display for ChatWireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChatWireError::Shape(e) => write!(f, "not a chat packet: {e}"),
            ChatWireError::Body => f.write_str("a packet carries exactly one of chat and ack"),
            ChatWireError::Range(what, v) => write!(f, "{what} {v} out of range"),
            ChatWireError::Text(why) => write!(f, "text {why}"),
            ChatWireError::Saved(why) => write!(f, "saved chat: {why}"),
        }
    }
}

impl std::error::Error for ChatWireError {}

/// The JSON codec of the Lamport chat's packets.
#[derive(Clone, Copy, Debug, Default)]
pub struct ChatCodec;

impl WireCodec for ChatCodec {
    type Protocol = LamportChat;
    type Error = ChatWireError;

    fn max_bytes(&self) -> usize {
        // The text's characters take at most 4 bytes each, plus JSON escapes and numbers.
        MAX_TEXT_CHARS * 6 + 96
    }

    fn encode(&self, m: &ChatPacket<String>) -> String {
        serde_json::to_string(&to_wire(m)).unwrap_or_default()
    }

    fn decode(&self, json: &str) -> Result<ChatPacket<String>, ChatWireError> {
        let w: WirePacket =
            serde_json::from_str(json).map_err(|e| ChatWireError::Shape(e.to_string()))?;
        from_wire(w)
    }

    fn validate(&self, m: &ChatPacket<String>) -> Result<(), ChatWireError> {
        check(m)
    }

    fn save(&self, node: NodeId, chat: &LamportChat) -> Option<String> {
        let s = chat.state();
        let pairs = |m: &BTreeMap<NodeId, u64>| m.iter().map(|(n, v)| (n.0, *v)).collect();
        let saved = SavedChat {
            v: 1,
            seat: node.0,
            stuck_ms: (s.stuck_after.as_millis_f64()) as i64,
            clock: s.clock,
            peers: s.peers.iter().map(|p| p.0).collect(),
            promised_out: s.promised_out,
            link_out: pairs(&s.link_out),
            link_in: pairs(&s.link_in),
            reorder: s
                .reorder
                .iter()
                .map(|(&(n, seq), body)| {
                    let packet = ChatPacket {
                        link_seq: seq,
                        body: body.clone(),
                    };
                    (n.0, to_wire(&packet))
                })
                .collect(),
            promised_in: pairs(&s.promised_in),
            queue: s
                .queue
                .iter()
                .map(|(st, (t, at))| (st.time, st.node.0, t.clone(), at.as_millis()))
                .collect(),
            displayed: s.displayed,
        };
        serde_json::to_string(&saved).ok()
    }

    fn restore(&self, node: NodeId, json: &str) -> Result<Option<LamportChat>, ChatWireError> {
        let bad = |why: String| ChatWireError::Saved(why);
        if json.len() > MAX_SAVED_BYTES {
            return Err(bad(format!("{} bytes is too long", json.len())));
        }
        let s: SavedChat = serde_json::from_str(json).map_err(|e| bad(e.to_string()))?;
        if s.v != 1 || s.seat != node.0 || s.stuck_ms < 0 {
            return Err(bad(
                "unknown version, another seat's state, or a negative delay".into(),
            ));
        }
        let map = |v: Vec<(u32, u64)>| v.into_iter().map(|(n, x)| (NodeId(n), x)).collect();
        let mut reorder = BTreeMap::new();
        for (n, w) in s.reorder {
            let packet = from_wire(w)?;
            check(&packet)?;
            reorder.insert((NodeId(n), packet.link_seq), packet.body);
        }
        let mut queue = BTreeMap::new();
        for (time, node, text, at) in s.queue {
            let stamp = LamportStamp {
                time,
                node: NodeId(node),
            };
            let body = ChatBody::Chat { stamp, text };
            check(&ChatPacket {
                link_seq: 1,
                body: body.clone(),
            })?;
            if let ChatBody::Chat { text, .. } = body {
                queue.insert(stamp, (text, Instant::from_millis(at)));
            }
        }
        let state = TotalOrderState {
            stuck_after: Span::from_millis(s.stuck_ms),
            clock: s.clock,
            peers: s.peers.into_iter().map(NodeId).collect(),
            promised_out: s.promised_out,
            link_out: map(s.link_out),
            link_in: map(s.link_in),
            reorder,
            promised_in: map(s.promised_in),
            queue,
            displayed: s.displayed,
        };
        LamportChat::from_state(NodeId(s.seat), state)
            .map(Some)
            .map_err(|e| bad(e.to_string()))
    }
}

fn to_wire(m: &ChatPacket<String>) -> WirePacket {
    match &m.body {
        ChatBody::Chat { stamp, text } => WirePacket {
            seq: m.link_seq,
            chat: Some((stamp.time, stamp.node.0, text.clone())),
            ack: None,
        },
        ChatBody::Ack { clock } => WirePacket {
            seq: m.link_seq,
            chat: None,
            ack: Some(*clock),
        },
    }
}

fn from_wire(w: WirePacket) -> Result<ChatPacket<String>, ChatWireError> {
    let body = match (w.chat, w.ack) {
        (Some((time, node, text)), None) => ChatBody::Chat {
            stamp: LamportStamp {
                time,
                node: NodeId(node),
            },
            text,
        },
        (None, Some(clock)) => ChatBody::Ack { clock },
        _ => return Err(ChatWireError::Body),
    };
    Ok(ChatPacket {
        link_seq: w.seq,
        body,
    })
}

fn check(m: &ChatPacket<String>) -> Result<(), ChatWireError> {
    if m.link_seq == 0 || m.link_seq > MAX_SAFE.min(MAX_LINK_GAP * 64) {
        return Err(ChatWireError::Range("link sequence number", m.link_seq));
    }
    match &m.body {
        ChatBody::Ack { clock } if *clock > MAX_SAFE => {
            Err(ChatWireError::Range("ack clock", *clock))
        }
        ChatBody::Ack { .. } => Ok(()),
        ChatBody::Chat { stamp, text } => {
            if stamp.time == 0 || stamp.time > MAX_SAFE {
                return Err(ChatWireError::Range("Lamport time", stamp.time));
            }
            if stamp.node.0 >= MAX_SEATS {
                return Err(ChatWireError::Range("seat", u64::from(stamp.node.0)));
            }
            if text.chars().count() > MAX_TEXT_CHARS {
                return Err(ChatWireError::Text(format!(
                    "longer than {MAX_TEXT_CHARS} characters"
                )));
            }
            match text.chars().find(|c| c.is_control()) {
                Some(c) => Err(ChatWireError::Text(format!(
                    "has control character U+{:04X}",
                    c as u32
                ))),
                None => Ok(()),
            }
        }
    }
}

/// What the view shows, folded from the protocol's outputs.
#[derive(Default)]
struct ChatLog {
    displayed: Vec<(LamportStamp, String)>,
    notes: Vec<String>,
}

impl ChatLog {
    fn fold(&mut self, outputs: Vec<TotalOrderOutput<String>>) {
        for o in outputs {
            match o {
                TotalOrderOutput::Display { stamp, text } => self.displayed.push((stamp, text)),
                TotalOrderOutput::Pending { .. } => {}
                other => self.notes.push(other.to_string()),
            }
        }
        if self.displayed.len() > LINES_KEPT {
            self.displayed.drain(..self.displayed.len() - LINES_KEPT);
        }
        if self.notes.len() > 8 {
            self.notes.drain(..self.notes.len() - 8);
        }
    }
}

/// Seats in a room when the URL names none.
pub const DEFAULT_SEATS: u32 = 3;
/// The most seats the lab offers.
pub const MOST_SEATS: u32 = 8;

/// Reads the room and its seat count from the URL (`room=…&seats=…`); unusable values are
/// replaced with a note.
pub fn room_from_query(query: &crate::query::Query) -> (String, u32, Vec<String>) {
    let mut notes = Vec::new();
    let room = match query.get("room") {
        None => "main".to_string(),
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
                "room = \"{shown}\" is not 1–40 letters, digits, '-' or '_'; using \"main\""
            ));
            "main".to_string()
        }
    };
    let asked = query.u32_or("seats", DEFAULT_SEATS, &mut notes);
    let seats = asked.clamp(2, MOST_SEATS);
    if seats != asked {
        notes.push(format!(
            "seats = {asked} is outside 2–{MOST_SEATS}; using {seats}"
        ));
    }
    (room, seats, notes)
}

/// The channel name of a room of `seats` seats.
pub fn channel_name(room: &str, seats: u32) -> String {
    format!("chronoscope-tabs:lamport-chat:{room}:{seats}")
}

/// Properties of [`LamportTabs`].
#[derive(Properties, PartialEq)]
pub struct TabsProps {
    /// The room name (already checked).
    pub room: String,
    /// The number of seats.
    pub seats: u32,
}

#[derive(Default, PartialEq)]
struct Redraw(u64);

impl Reducible for Redraw {
    type Action = ();
    fn reduce(self: Rc<Self>, _: ()) -> Rc<Self> {
        Rc::new(Redraw(self.0 + 1))
    }
}

/// One tab's seat in a real-tabs Lamport chat room.
#[function_component(LamportTabs)]
pub fn lamport_tabs(props: &TabsProps) -> Html {
    let name = channel_name(&props.room, props.seats);
    let runtime = {
        let (name, seats) = (name.clone(), props.seats);
        use_mut_ref(move || {
            let (token, resume) = browser::identity(&name);
            let chat = LamportChat::new(Span::from_millis(STUCK_MS));
            TabRuntime::new(
                ChatCodec,
                chat,
                seats,
                token,
                browser::random_u64(),
                now_ms(),
                resume,
            )
        })
    };
    let log = use_mut_ref(ChatLog::default);
    let redraw = use_reducer(Redraw::default);
    let error = use_state(|| None::<String>);
    let draft = use_node_ref();
    {
        let (runtime, log, error) = (runtime.clone(), log.clone(), error.clone());
        let redraw = redraw.dispatcher();
        use_effect_with(name.clone(), move |name| {
            let on_change: browser::OnChange = {
                let runtime = runtime.clone();
                Rc::new(move || {
                    let outputs = runtime.borrow_mut().take_outputs();
                    log.borrow_mut().fold(outputs);
                    redraw.dispatch(());
                })
            };
            let connection: Option<Connection<ChatCodec>> =
                match Connection::open(name, runtime, on_change) {
                    Ok(c) => Some(c),
                    Err(e) => {
                        error.set(Some(e));
                        None
                    }
                };
            move || drop(connection)
        });
    }
    let onsubmit = {
        let (runtime, draft) = (runtime.clone(), draft.clone());
        let redraw = redraw.dispatcher();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(input) = draft.cast::<web_sys::HtmlInputElement>() else {
                return;
            };
            let text: String = input.value().trim().chars().take(MAX_TEXT_CHARS).collect();
            if text.is_empty() || text.chars().any(char::is_control) {
                return;
            }
            if runtime.borrow_mut().operate(text, now_ms()) {
                input.set_value("");
            }
            redraw.dispatch(());
        })
    };
    let number = |apply: fn(&mut TabRuntime<ChatCodec>, u32), max: u32| {
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
    let on_delay = number(TabRuntime::set_delay, MAX_DELAY_MS);
    let on_drop = number(TabRuntime::set_drop, 100);
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
    let toggle_hold = {
        let runtime = runtime.clone();
        let redraw = redraw.dispatcher();
        Callback::from(move |seat: NodeId| {
            {
                let mut rt = runtime.borrow_mut();
                let held = rt.is_held(seat);
                rt.set_held(seat, !held, now_ms());
            }
            redraw.dispatch(());
        })
    };

    let rt = runtime.borrow();
    let log = log.borrow();
    let seats = rt.seats();
    let me = seats.seat();
    let (standing, standing_text) = match seats.standing() {
        Standing::Looking(_) => ("looking", "looking for a free seat…".to_string()),
        Standing::Claiming(s, _) => ("claiming", format!("claiming seat {s}…")),
        Standing::Seated(s) => (
            "seated",
            format!(
                "you are seat {s} of {} in room “{}”",
                seats.count(),
                props.room
            ),
        ),
        Standing::Full => (
            "full",
            format!("all {} seats are taken: watching only", seats.count()),
        ),
    };
    let held = rt.held();
    let seat_items = seats.all().filter(|&s| Some(s) != me).map(|s| {
        let live = seats.present(s);
        let is_held = rt.is_held(s);
        let waiting = held.get(&s).copied().unwrap_or(0);
        let onclick = toggle_hold.reform(move |_: MouseEvent| s);
        html! {
            <li class={classes!("seat", live.then_some("live"))} data-seat={s.to_string()}>
                <span class="seat-name">{ format!("{s} ") }</span>
                <span class="seat-status">{ if live { "here" } else { "empty (messages wait)" } }</span>
                if waiting > 0 { <span class="seat-waiting">{ format!(" · {waiting} waiting") }</span> }
                <button type="button" class={classes!("hold", is_held.then_some("held"))} aria-pressed={is_held.to_string()}
                    disabled={me.is_none()} {onclick}>
                    { if is_held { "release link" } else { "hold link" } }
                </button>
            </li>
        }
    });
    let pending = rt.protocol().pending();
    let earlier = rt
        .protocol()
        .displayed()
        .saturating_sub(log.displayed.len() as u64);
    let counters = rt.counters();
    let refused = counters.refused_total();
    let refused_detail: Vec<String> = counters
        .refused
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    let order: Vec<String> = log.displayed.iter().map(|(s, _)| s.to_string()).collect();
    let net = rt.network();
    let delay = match net.latency {
        chronoscope::sim::Latency::Constant(d) => d.as_millis_f64() as u32,
        _ => 0,
    };
    let by_kind: BTreeMap<_, _> = counters.refused.clone();
    html! {
        <div class="tabs-chat" data-seat={me.map(|s| s.to_string()).unwrap_or_default()} data-standing={standing}
            data-refused={refused.to_string()} data-order={order.join(" ")} data-pending={pending.len().to_string()}>
            if let Some(e) = &*error { <div class="notice error" role="alert">{ e.clone() }</div> }
            <p class="seat-line">{ standing_text }</p>
            <form class="chat-form" {onsubmit}>
                <label>{"Message "}
                    <input type="text" class="chat-input" ref={draft} maxlength={MAX_TEXT_CHARS.to_string()}
                        disabled={me.is_none()} autocomplete="off" />
                </label>
                <button type="submit" class="send" disabled={me.is_none()}>{"Send"}</button>
            </form>
            if earlier > 0 {
                <p class="earlier-note">{ format!("{earlier} earlier message(s) were displayed before this tab (re)loaded; \
                    its saved state keeps its place in the order.") }</p>
            }
            <ol class="chat-lines" aria-live="polite">
                { for log.displayed.iter().map(|(stamp, text)| html! {
                    <li class="chat-line display" data-stamp={stamp.to_string()}>{ format!("[DISPLAY] {stamp}: {text}") }</li>
                }) }
                { for pending.iter().map(|(stamp, text, waiting)| html! {
                    <li class="chat-line pending" data-stamp={stamp.to_string()}>
                        { format!("[PENDING] {stamp}: {text} — waiting for a later stamp from {}",
                            waiting.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")) }
                    </li>
                }) }
            </ol>
            <section class="seats-panel">
                <h4>{"Other seats"}</h4>
                <ul class="seats">{ for seat_items }</ul>
            </section>
            <section class="net-controls">
                <h4>{"This tab's outgoing network (the simulator's link rules)"}</h4>
                <label>{"delay (ms) "}<input type="number" class="delay" min="0" max={MAX_DELAY_MS.to_string()}
                    value={delay.to_string()} onchange={on_delay} /></label>
                <label>{" drop (%) "}<input type="number" class="drop" min="0" max="100"
                    value={((net.loss * 100.0).round() as u32).to_string()} onchange={on_drop} /></label>
                <label>{" duplicate "}<input type="checkbox" class="duplicate" checked={net.duplicate > 0.0}
                    onchange={on_dup} /></label>
                <p class="net-counters">{ format!("sent {} · posted {} · dropped {} · delivered to me {}",
                    counters.sent, counters.posted, counters.dropped, counters.delivered) }</p>
            </section>
            <section class="refusals" data-refused={refused.to_string()}>
                <p>{ format!("Refused from the channel: {refused}") }
                    if !by_kind.is_empty() { { format!(" ({})", refused_detail.join(", ")) } }
                </p>
                <ul class="notes">
                    { for rt.notes().map(|n| html! { <li>{ n.clone() }</li> }) }
                    { for log.notes.iter().map(|n| html! { <li class="protocol-note">{ n.clone() }</li> }) }
                </ul>
            </section>
        </div>
    }
}
