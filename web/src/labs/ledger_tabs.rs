//! The Chronos ledger in real tabs: each browser tab is one replica (a seat `A`, `B`, `C` …)
//! running the core's [`Replica`](chronoscope::ledger::replica::Replica) through the tab
//! runtime (`crate::tabs::runtime`) with the codec of [`super::ledger_codec`]. The lease is
//! the textbook majority lease of the simulated lab — there is no lease server between tabs —
//! and fencing tokens keep the log safe when its assumptions fail: a tab frozen past its lease
//! ("freeze this tab", a GC pause or a throttled background tab) wakes up still believing it
//! leads, ships under its old token, and the others refuse it (`REJECTED: token 101 < 102`).
//! Closing the leader's tab fails over once its lease ran out; the view measures how long
//! that took. Any tab starts a Chandy-Lamport snapshot; each tab saves its part with its disk
//! for whoever sits in its seat next.

use std::collections::BTreeSet;
use std::rc::Rc;

use chronoscope::ledger::replica::{LedgerOp, LedgerOutput};
use chronoscope::node::NodeId;
use chronoscope::snapshot::chandy_lamport::SnapshotId;
use chronoscope::trace::EventId;
use yew::prelude::*;

use super::ledger_codec::{tab_config, LedgerCodec, TabLedger};
use super::ledger_graph::{causal_graph, GRAPH_WINDOW};
use crate::components::diagram::{Shared, SpaceTimeDiagram};
use crate::components::inspector::EventInspector;
use crate::components::net_controls as net;
use crate::components::SharedTrace;
use crate::tabs::browser::{self, now_ms, Connection};
use crate::tabs::runtime::TabRuntime;
use crate::tabs::seats::Standing;

/// The longest freeze the control offers (s).
pub const MAX_FREEZE_S: u32 = 60;
/// Events the view keeps.
const EVENTS_KEPT: usize = 14;

type Runtime = TabRuntime<LedgerCodec>;

/// What the graph was built from (log length, committed, pending, token, last entry).
type GraphKey = (u64, u64, usize, u64, Option<String>);

/// The drawn causal graph, rebuilt only when the replica's entries change (so the diagram
/// keeps its identity, and its focus, in between).
struct DrawnGraph {
    key: Option<GraphKey>,
    trace: SharedTrace,
    names: Shared<Vec<String>>,
    pending: Shared<BTreeSet<EventId>>,
    not_drawn: usize,
}

impl Default for DrawnGraph {
    fn default() -> Self {
        DrawnGraph {
            key: None,
            trace: SharedTrace::from(chronoscope::trace::Trace::new(1)),
            names: Shared(Rc::new(Vec::new())),
            pending: Shared(Rc::new(BTreeSet::new())),
            not_drawn: 0,
        }
    }
}

/// The channel name of a room of `seats` seats.
pub fn channel_name(room: &str, seats: u32) -> String {
    format!("chronoscope-tabs:ledger:{room}:{seats}")
}

/// A failover this tab saw: the old leader's last word, and the new leader.
#[derive(Clone, Debug, PartialEq)]
pub struct Failover {
    /// The old leader and its token.
    pub from: (NodeId, u64),
    /// The new leader and its token.
    pub to: (NodeId, u64),
    /// From the old leader's last message here to the first sign of the new one (ms).
    pub ms: f64,
}

/// What the view shows beyond the replica's state, folded from the protocol's outputs.
#[derive(Default)]
struct TabView {
    events: Vec<String>,
    rejected: Vec<String>,
    /// The leader as this tab knows it: seat, token, when it was last heard (ms).
    leader: Option<(NodeId, u64, f64)>,
    failovers: Vec<Failover>,
    append_note: Option<String>,
}

impl TabView {
    fn event(&mut self, text: String) {
        self.events.push(text);
        if self.events.len() > EVENTS_KEPT {
            self.events.remove(0);
        }
    }

    fn fold(&mut self, outputs: Vec<LedgerOutput>) {
        for o in outputs {
            match o {
                LedgerOutput::Rejected { from, error } => {
                    self.rejected
                        .push(format!("REJECTED: {error} (a shipment from {from})"));
                    if self.rejected.len() > EVENTS_KEPT {
                        self.rejected.remove(0);
                    }
                }
                LedgerOutput::Elected { token, adopted, .. } => self.event(format!(
                    "this tab holds the lease from a majority: token {token} (adopts a log of {adopted})"
                )),
                LedgerOutput::Candidate { token } => {
                    self.event(format!("this tab asks for the lease under token {token}"))
                }
                LedgerOutput::Granted { token, to } => {
                    self.event(format!("promised the lease to {to} (token {token})"))
                }
                LedgerOutput::LeaseExpired { token } => self.event(format!(
                    "this tab's lease (token {token}) ran out by its own clock: it steps down"
                )),
                LedgerOutput::Superseded { token, by } => self.event(format!(
                    "told of a higher token: {token} superseded by {by}, steps down"
                )),
                LedgerOutput::Shipped {
                    token, from, count, ..
                } => self.event(format!(
                    "shipped offsets {from}..{} under token {token}",
                    from + count
                )),
                LedgerOutput::Recorded { id, log_len, .. } => {
                    self.event(format!("recorded snapshot {id} ({log_len} entries)"))
                }
                LedgerOutput::BackedUp(part) => self.event(format!(
                    "backup part of snapshot {} saved for this seat ({} in flight)",
                    part.id,
                    part.in_flight.len()
                )),
                LedgerOutput::Restored { id, log_len } => self.event(format!(
                    "rebooted in this seat from snapshot {id}: {log_len} entries, catching up"
                )),
                LedgerOutput::Refused(e) => self.append_note = Some(format!("refused: {e}")),
                LedgerOutput::EntryRefused { from, error } => {
                    self.event(format!("an entry from {from} refused: {error}"))
                }
                LedgerOutput::CommittedLost { from, lost } => self.event(format!(
                    "{from}'s shipment REPLACED committed {} at offset {}",
                    lost.was, lost.offset
                )),
                _ => {}
            }
        }
    }

    /// Follows who leads, as this tab knows it, and measures a failover when the lease
    /// passes from a silent leader to another seat.
    fn track(&mut self, rt: &Runtime, now: f64) {
        let Some(me) = rt.seats().seat() else {
            return;
        };
        let replica = rt.protocol().replica();
        let voter = replica.state().voter;
        // Who leads: this tab; or whom it promised the lease under the highest token it
        // knows; or the last leader whose shipment it accepted — whichever token is higher.
        let promised = voter
            .promise()
            .filter(|p| p.token == voter.highest())
            .map(|p| (p.holder, p.token));
        let seen = match replica.leading() {
            Some((token, _)) => Some((me, token)),
            None => promised
                .into_iter()
                .chain(rt.protocol().shipper())
                .max_by_key(|l| l.1),
        };
        let heard = |seat: NodeId| {
            if seat == me {
                Some(now)
            } else {
                rt.seats()
                    .occupants()
                    .get(&seat)
                    .map(|o| now - (rt.clock(now) - o.last_seen).as_millis_f64())
            }
        };
        match (self.leader, seen) {
            (Some((old, token, last)), Some((new, t))) if t > token && new != old => {
                if old != me {
                    self.failovers.push(Failover {
                        from: (old, token),
                        to: (new, t),
                        ms: (now - last).max(0.0),
                    });
                }
                self.leader = Some((new, t, heard(new).unwrap_or(now)));
            }
            (Some((old, token, last)), _) => {
                let at = heard(old).unwrap_or(last).max(last);
                let (seat, t) = seen.filter(|&(_, t)| t > token).unwrap_or((old, token));
                self.leader = Some((seat, t, if seat == old { at } else { now }));
            }
            (None, Some((new, t))) => self.leader = Some((new, t, heard(new).unwrap_or(now))),
            (None, None) => {}
        }
    }
}

/// Properties of [`LedgerTabs`].
#[derive(Properties, PartialEq)]
pub struct TabsProps {
    /// The room name (already checked).
    pub room: String,
    /// The number of seats (replicas).
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

fn secs(ms: f64) -> String {
    format!("{:.2} s", ms / 1e3)
}

/// One tab's replica in a real-tabs ledger room.
#[function_component(LedgerTabs)]
pub fn ledger_tabs(props: &TabsProps) -> Html {
    let name = channel_name(&props.room, props.seats);
    let config = tab_config(props.seats);
    let runtime = {
        let (name, seats) = (name.clone(), props.seats);
        use_mut_ref(move || {
            let (token, resume) = browser::identity(&name);
            TabRuntime::new(
                LedgerCodec { config },
                TabLedger::new(config),
                seats,
                token,
                browser::random_u64(),
                now_ms(),
                resume,
            )
        })
    };
    let view = use_mut_ref(TabView::default);
    let graph = use_mut_ref(DrawnGraph::default);
    let selected = use_state(|| None::<EventId>);
    let redraw = use_reducer(Redraw::default);
    let error = use_state(|| None::<String>);
    let value_ref = use_node_ref();
    let freeze_ref = use_node_ref();
    {
        let (runtime, view, error) = (runtime.clone(), view.clone(), error.clone());
        let redraw = redraw.dispatcher();
        use_effect_with(name.clone(), move |name| {
            let on_change: browser::OnChange = {
                let runtime = runtime.clone();
                Rc::new(move || {
                    let outputs = runtime.borrow_mut().take_outputs();
                    let mut v = view.borrow_mut();
                    v.fold(outputs);
                    v.track(&runtime.borrow(), now_ms());
                    redraw.dispatch(());
                })
            };
            let connection: Option<Connection<LedgerCodec>> =
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
    let operate = {
        let (runtime, view) = (runtime.clone(), view.clone());
        let redraw = redraw.dispatcher();
        move |op: LedgerOp| {
            let done = runtime.borrow_mut().operate(op, now_ms());
            let outputs = runtime.borrow_mut().take_outputs();
            let mut v = view.borrow_mut();
            v.append_note = (!done).then(|| {
                "this tab is frozen (or not seated yet): it handles nothing until it wakes".into()
            });
            v.fold(outputs);
            redraw.dispatch(());
        }
    };
    let onappend = {
        let (operate, value_ref, view) = (operate.clone(), value_ref.clone(), view.clone());
        let redraw = redraw.dispatcher();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(input) = value_ref.cast::<web_sys::HtmlInputElement>() else {
                return;
            };
            match input.value().trim().parse::<u64>() {
                Ok(v) if v <= super::ledger_codec::MAX_SAFE => {
                    operate(LedgerOp::Append(v));
                    input.set_value(&(v + 1).to_string());
                }
                _ => {
                    view.borrow_mut().append_note = Some(format!(
                        "“{}” is not a whole number from 0 to 2⁵³ − 1",
                        input.value()
                    ));
                    redraw.dispatch(());
                }
            }
        })
    };
    let after: net::After = {
        let redraw = redraw.dispatcher();
        Rc::new(move || redraw.dispatch(()))
    };
    let on_select = {
        let selected = selected.clone();
        Callback::from(move |e: EventId| selected.set(Some(e)))
    };
    let onsnapshot = {
        let operate = operate.clone();
        Callback::from(move |_: MouseEvent| {
            let id = (browser::random_u64() as u32 % 9_000) + 1_000;
            operate(LedgerOp::Snapshot(SnapshotId(id)));
        })
    };
    let onfreeze = {
        let (runtime, freeze_ref) = (runtime.clone(), freeze_ref.clone());
        let redraw = redraw.dispatcher();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(input) = freeze_ref.cast::<web_sys::HtmlInputElement>() else {
                return;
            };
            let s = input.value().trim().parse::<f64>().unwrap_or(5.0);
            let s = if s.is_finite() {
                s.clamp(0.1, f64::from(MAX_FREEZE_S))
            } else {
                5.0
            };
            input.set_value(&s.to_string());
            runtime.borrow_mut().freeze(now_ms() + s * 1e3);
            redraw.dispatch(());
        })
    };

    let rt = runtime.borrow();
    let v = view.borrow();
    let now = now_ms();
    let seats = rt.seats();
    let me = seats.seat();
    let (standing, standing_text) = match seats.standing() {
        Standing::Looking(_) => ("looking", "looking for a free seat…".to_string()),
        Standing::Claiming(s, _) => ("claiming", format!("claiming seat {s}…")),
        Standing::Seated(s) => (
            "seated",
            format!(
                "you are replica {s} of {} in room “{}”",
                seats.count(),
                props.room
            ),
        ),
        Standing::Full => (
            "full",
            format!(
                "all {} seats are taken: watching only (close a tab to free one)",
                seats.count()
            ),
        ),
    };
    let ledger = rt.protocol();
    let replica = ledger.replica();
    let state = replica.state();
    let log = &state.log;
    let committed = log.committed_len();
    let frozen = rt.frozen_until().filter(|&u| u > now);
    let leading = replica.leading();
    let lease_text = match (leading, v.leader) {
        (Some((token, until)), _) => format!(
            "This tab leads under token {token}; by its own clock its lease runs {} more.",
            secs((until.as_millis_f64() - rt.clock(now).as_millis_f64()).max(0.0))
        ),
        (None, Some((seat, token, _))) => {
            format!(
                "Leader: {seat} under token {token} (this tab's log is token {}).",
                log.token()
            )
        }
        (None, None) => "No leader known yet: the replicas are electing one.".to_string(),
    };
    let counters = rt.counters();
    let refused = counters.refused_total();
    let refused_detail: Vec<String> = counters
        .refused
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    let log_data: Vec<String> = log
        .committed()
        .iter()
        .map(|l| format!("{}={}", l.entry.id, l.entry.value))
        .collect();
    let last_failover = v.failovers.last();
    let (trace, lanes, pending_marks, not_drawn) = {
        let mut g = graph.borrow_mut();
        let key = (
            log.len(),
            committed,
            state.pending().len(),
            log.token(),
            log.entries().last().map(|l| l.entry.id.to_string()),
        );
        if g.key.as_ref() != Some(&key) {
            let built = causal_graph(log.entries(), committed, state.pending(), props.seats, me);
            g.trace = SharedTrace::from(built.trace);
            g.names = Shared(Rc::new(built.names));
            g.pending = Shared(Rc::new(built.pending));
            g.not_drawn = built.not_drawn;
            g.key = Some(key);
        }
        (
            g.trace.clone(),
            g.names.clone(),
            g.pending.clone(),
            g.not_drawn,
        )
    };
    let selected_id = (*selected).filter(|e| e.index() < trace.events().len());
    let links: Vec<Html> = (0..props.seats)
        .map(chronoscope::node::NodeId)
        .filter(|&s| Some(s) != me)
        .map(|s| {
            html! {
                <li class="link" data-peer={s.to_string()} key={s.to_string()}>
                    { format!("to {s} ") }{ net::hold_button(&runtime, s, &after) }
                </li>
            }
        })
        .collect();
    html! {
        <div class="tabs-ledger"
            data-seat={me.map(|s| s.to_string()).unwrap_or_default()} data-standing={standing}
            data-leader={v.leader.map(|l| l.0.to_string()).unwrap_or_default()}
            data-token={v.leader.map(|l| l.1.to_string()).unwrap_or_default()}
            data-leading={leading.is_some().to_string()} data-frozen={frozen.is_some().to_string()}
            data-committed={committed.to_string()} data-log={log_data.join(" ")}
            data-rejected={v.rejected.len().to_string()} data-refused={refused.to_string()}
            data-backup={ledger.backup().map(|b| b.0.to_string()).unwrap_or_default()}
            data-restored={ledger.rebooted().map(|b| b.map(|s| s.0.to_string()).unwrap_or_else(|| "disk".into())).unwrap_or_default()}
            data-failover-ms={last_failover.map(|f| format!("{:.0}", f.ms)).unwrap_or_default()}>
            if let Some(e) = &*error { <div class="notice error" role="alert">{ e.clone() }</div> }
            <p class="seat-line">{ standing_text }</p>
            <p class="lease-line">{ lease_text }</p>
            if let Some(until) = frozen {
                <p class="notice warning frozen-note" role="status">
                    { format!("Frozen (a GC pause, a throttled tab): this tab handles no message and no timer for another {}; \
                        {} message(s) queued. It wakes up still believing what it believed.", secs(until - now), rt.backlog()) }
                </p>
            }
            if let Some(f) = last_failover {
                <p class="failover">{ format!("Failover: {} (token {}) → {} (token {}) {} after {} was last heard here \
                    (lease {} + margin {}; up to {} random backoff before standing).",
                    f.from.0, f.from.1, f.to.0, f.to.1, secs(f.ms), f.from.0,
                    secs(config.lease.as_millis_f64()), secs(config.margin.as_millis_f64()), secs(config.jitter.as_millis_f64())) }</p>
            }
            <div class="ledger-controls">
                <form class="append-form" onsubmit={onappend}>
                    <label>{"Value "}<input type="number" class="append-value" ref={value_ref} min="0" placeholder="a number" disabled={me.is_none()} /></label>
                    <button type="submit" class="append" disabled={me.is_none()}>{"Append"}</button>
                </form>
                <form class="freeze-form" onsubmit={onfreeze}>
                    <label>{"Freeze this tab for "}<input type="number" class="freeze-seconds" ref={freeze_ref} min="0.1"
                        max={MAX_FREEZE_S.to_string()} step="0.1" placeholder="5" disabled={me.is_none()} />{" s "}</label>
                    <button type="submit" class="freeze" disabled={me.is_none() || frozen.is_some()}>{"Freeze"}</button>
                </form>
                <button type="button" class="snapshot" disabled={me.is_none()} onclick={onsnapshot}>{"Take snapshot"}</button>
            </div>
            if let Some(n) = &v.append_note { <p class="append-note">{ n.clone() }</p> }
            <p class="backup-line">
                { match (ledger.backup(), ledger.rebooted()) {
                    (Some(id), _) => format!("Latest backup part for this seat: snapshot {id} (saved with this tab's disk; \
                        whoever sits here next reboots from it)."),
                    (None, _) => "No backup part yet: press “Take snapshot” in any tab.".to_string(),
                } }
                { match ledger.rebooted() {
                    Some(Some(id)) => format!(" This tab rebooted from snapshot {id} and caught up from the leader."),
                    Some(None) => " This tab rebooted from its seat's disk alone (no backup was saved) and caught up.".to_string(),
                    None => String::new(),
                } }
            </p>
            if !v.rejected.is_empty() {
                <section class="rejections">
                    <h4>{ format!("Stale shipments this tab refused ({})", v.rejected.len()) }</h4>
                    <ul>{ for v.rejected.iter().map(|r| html! { <li class="rejected">{ r.clone() }</li> }) }</ul>
                </section>
            }
            <h4>{ format!("This replica's log — token {}, {} committed, {} shipped, {} pending",
                log.token(), committed, log.len() - committed, state.pending().len()) }</h4>
            <p class="hint">{"HLC: milliseconds on this tab's own clock (since it opened) . logical counter — \
                roughly physical, perfectly causal: an entry's HLC is above that of every entry it depends on."}</p>
            <table class="ledger-log">
                <thead><tr><th>{"offset"}</th><th>{"entry"}</th><th>{"value"}</th><th>{"HLC"}</th><th>{"token"}</th><th>{"state"}</th></tr></thead>
                <tbody>
                    { for log.entries().iter().enumerate().map(|(o, l)| {
                        let done = (o as u64) < committed;
                        html! {
                            <tr class={if done { "committed" } else { "uncommitted" }}>
                                <td>{ o }</td><td>{ l.entry.id.to_string() }</td><td>{ l.entry.value }</td>
                                <td>{ l.entry.hlc.to_string() }</td><td>{ l.token }</td>
                                <td>{ if done { "committed" } else { "shipped" } }</td>
                            </tr>
                        }
                    }) }
                    { for state.pending().iter().map(|e| html! {
                        <tr class="pending">
                            <td>{"—"}</td><td>{ e.id.to_string() }</td><td>{ e.value }</td>
                            <td>{ e.hlc.to_string() }</td><td>{"—"}</td><td>{"pending"}</td>
                        </tr>
                    }) }
                </tbody>
            </table>
            <section class="ledger-graph" data-events={trace.events().len().to_string()}
                data-pending={pending_marks.0.len().to_string()}>
                <h4>{ format!("Causal graph of the {} entries this tab knows (lanes are replicas)", trace.events().len() + not_drawn) }</h4>
                <p class="hint">{"Each entry sits on its origin replica's lane in the ledger's order (HLC, replica); an arrow \
                    joins it to each entry of another replica it directly depends on (from its vector clock). \
                    Ringed: pending entries, not yet given an offset. Hover or select an entry for its offset, HLC and state."}</p>
                if not_drawn > 0 {
                    <p class="notice trace-window" role="status">{ format!("The graph draws the latest {GRAPH_WINDOW} entries: \
                        the first {not_drawn} are not drawn.") }</p>
                }
                <div class="run-body">
                    <SpaceTimeDiagram trace={trace.clone()} shown={trace.events().len()} selected={selected_id}
                        {on_select} lane_names={Some(lanes)} marked={Some(pending_marks.clone())} />
                    <EventInspector trace={trace.clone()} selected={selected_id} />
                </div>
            </section>
            { net::controls(&runtime, &after) }
            <section class="links-panel">
                <h4>{"Links from this tab"}</h4>
                <ul class="links">{ for links }</ul>
            </section>
            <h4>{"What this tab saw"}</h4>
            <ol class="ledger-events">{ for v.events.iter().map(|e| html! { <li>{ e.clone() }</li> }) }</ol>
            <section class="refusals" data-refused={refused.to_string()}>
                <p>{ format!("sent {} · posted {} · dropped {} · delivered to me {} · refused from the channel: {refused}",
                    counters.sent, counters.posted, counters.dropped, counters.delivered) }
                    if !refused_detail.is_empty() { { format!(" ({})", refused_detail.join(", ")) } }
                </p>
                <ul class="notes">{ for rt.notes().map(|n| html! { <li>{ n.clone() }</li> }) }</ul>
            </section>
        </div>
    }
}
