//! What the collaborative editor shows, derived from the core's replica (never recomputed
//! here): the session as a space-time diagram built from the hash graph, the hold-back
//! queue, the vector clock, refusals by reason and equivocations, and the simulated
//! forgery lesson (`chronoscope::scenario::collab`).
//!
//! The diagram's lanes are *authors* (Ed25519 keys), not tabs: one event per delivered
//! update in this tab's delivery order, and an arrow from each update by another author
//! that it names as a dependency. Its vector clocks are the authors' sequence numbers,
//! merged along dependencies — the replica's own `vector_clock()` at each delivery. The
//! diagram draws at most [`WINDOW`] updates, the latest ones, and says where it starts.

use std::collections::BTreeMap;

use chronoscope::clock::VectorClock;
use chronoscope::collab::graph::Graph;
use chronoscope::collab::{AuthorKey, Replica, UpdateHash};
use chronoscope::node::NodeId;
use chronoscope::time::Instant;
use chronoscope::trace::{EventId, EventKind, MessageFate, Trace};
use yew::prelude::*;

use crate::components::diagram::Shared;
use crate::components::SharedTrace;

/// The most updates the session diagram draws.
pub const WINDOW: usize = 600;
/// How far the drawn window moves when it is full (so it is rebuilt rarely).
const STEP: usize = 200;
/// How often, at most, the drawn diagram is refreshed (ms).
const REFRESH_MS: f64 = 1_000.0;
/// While updates keep arriving the diagram waits for a pause this long (ms) …
const PAUSE_MS: f64 = 300.0;
/// … but not longer than this (ms).
const REFRESH_AT_LEAST_MS: f64 = 5_000.0;

/// The session diagram, built incrementally from the replica's delivery log.
pub struct Session {
    trace: Trace,
    start: usize,
    seen: usize,
    lanes: BTreeMap<AuthorKey, NodeId>,
    names: Vec<String>,
    events: BTreeMap<UpdateHash, (EventId, VectorClock)>,
    shared: SharedTrace,
    shared_names: Shared<Vec<String>>,
    shared_at: f64,
    changed_at: f64,
    stale: bool,
}

impl Session {
    /// An empty session whose first lane is this tab's author `me`.
    pub fn new(me: AuthorKey) -> Session {
        let mut s = Session {
            trace: Trace::new(1),
            start: 0,
            seen: 0,
            lanes: BTreeMap::new(),
            names: Vec::new(),
            events: BTreeMap::new(),
            shared: SharedTrace::from(Trace::new(1)),
            shared_names: Shared(std::rc::Rc::new(Vec::new())),
            shared_at: f64::NEG_INFINITY,
            changed_at: f64::NEG_INFINITY,
            stale: false,
        };
        s.lane(me, true);
        s
    }

    fn lane(&mut self, author: AuthorKey, me: bool) -> NodeId {
        let next = NodeId(self.lanes.len() as u32);
        let names = &mut self.names;
        *self.lanes.entry(author).or_insert_with(|| {
            names.push(if me {
                format!("@{author} (this tab)")
            } else {
                format!("@{author}")
            });
            next
        })
    }

    fn rebuild(&mut self, start: usize) {
        let me = self
            .names
            .first()
            .and_then(|_| self.lanes.iter().find(|(_, l)| l.0 == 0).map(|(a, _)| *a));
        self.trace = Trace::new(1);
        self.lanes.clear();
        self.names.clear();
        self.events.clear();
        if let Some(me) = me {
            self.lane(me, true);
        }
        self.start = start;
        self.seen = start;
    }

    /// Draws what the graph delivered since the last call (at `now`, ms); returns whether
    /// anything changed.
    pub fn sync(&mut self, graph: &Graph, now: f64) -> bool {
        let log = graph.log();
        if log.len() < self.seen {
            self.rebuild(0);
        }
        if log.len() - self.start > WINDOW {
            let start = (log.len() - WINDOW + STEP).min(log.len());
            self.rebuild(start);
        }
        let changed = self.seen < log.len();
        for (pos, hash) in log.iter().enumerate().skip(self.seen) {
            let Some(d) = graph.get(hash) else { continue };
            let u = &d.update;
            let lane = self.lane(u.author, false);
            let mut vector = VectorClock::new();
            let mut from = Vec::new();
            for dep in &u.deps {
                if let Some((e, v)) = self.events.get(dep) {
                    vector.merge(v);
                    let dep_lane = self.trace.event(*e).map(|e| e.node);
                    if let Some(dep_lane) = dep_lane.filter(|l| *l != lane) {
                        from.push((*e, dep_lane));
                    }
                }
            }
            vector.set(lane, u.seq);
            let messages: Vec<_> = from
                .iter()
                .map(|(e, l)| (self.trace.push_message(*l, lane, *e, None), *l))
                .collect();
            let kind = match messages.first() {
                Some(&(message, from)) => EventKind::Receive { message, from },
                None => EventKind::Local,
            };
            let at = Instant::from_millis(pos as i64);
            let label = format!("@{} #{}: {:?}", u.author, u.seq, u.op);
            let e = self
                .trace
                .push_event(lane, kind, at, at, d.lamport, vector.clone(), label);
            for (m, _) in messages {
                self.trace.set_fate(m, MessageFate::Delivered(e));
            }
            self.events.insert(*hash, (e, vector));
        }
        self.seen = log.len();
        self.stale |= changed;
        if changed {
            self.changed_at = now;
        }
        changed
    }

    /// The trace to draw and its lanes' names (authors' keys), refreshed at most every
    /// [`REFRESH_MS`], when updates pause for [`PAUSE_MS`] or [`REFRESH_AT_LEAST_MS`] passed
    /// (redrawing hundreds of events costs more than a keystroke; unchanged values keep
    /// their identity, so the diagram is not redrawn in between).
    pub fn shared(&mut self, now: f64) -> (SharedTrace, Shared<Vec<String>>) {
        let since = now - self.shared_at;
        let due = since >= REFRESH_AT_LEAST_MS
            || (since >= REFRESH_MS && now - self.changed_at >= PAUSE_MS);
        if self.stale && due {
            self.shared = SharedTrace::from(self.trace.clone());
            self.shared_names = Shared(std::rc::Rc::new(self.names.clone()));
            self.shared_at = now;
            self.stale = false;
        }
        (self.shared.clone(), self.shared_names.clone())
    }
    /// How many delivered updates are not drawn (the oldest).
    pub fn not_drawn(&self) -> usize {
        self.start
    }
}

/// A vector clock over authors as text: `{@a1b2c3: 4, @d4e5f6: 2}`.
pub fn clock_text(replica: &Replica) -> String {
    let entries: Vec<String> = replica
        .vector_clock()
        .iter()
        .map(|(a, n)| format!("@{a}: {n}"))
        .collect();
    format!("{{{}}}", entries.join(", "))
}

/// The hold-back queue: what each waiting update is and what it waits for.
pub fn holdback(replica: &Replica) -> Html {
    let waiting: Vec<Html> = replica
        .held()
        .take(50)
        .map(|h| {
            let missing: Vec<String> = h.missing.iter().map(|m| format!("#{m}")).collect();
            html! {
                <li class="waiting">{ format!("update @{} #{} ({:?}) from tab {} — waiting for {}",
                    h.update.author, h.update.seq, h.update.op, h.from.0, missing.join(", ")) }</li>
            }
        })
        .collect();
    let n = replica.held().count();
    html! {
        <section class="holdback" aria-live="polite">
            <h3>{ format!("Hold-back queue ({n})") }</h3>
            if n == 0 {
                <p class="empty">{"Nothing waiting: every update received has been delivered."}</p>
            } else {
                <ul>{ for waiting }</ul>
                if n > 50 { <p>{ format!("… and {} more", n - 50) }</p> }
            }
        </section>
    }
}

/// Equivocations found (two updates by one author with one sequence number), as a warning.
pub fn equivocations(replica: &Replica) -> Html {
    let found = replica.equivocations();
    if found.is_empty() {
        return html! {};
    }
    html! {
        <div class="notice warning equivocation" role="alert">
            <strong>{ format!("{} equivocation(s): an author signed two different updates with one number", found.len()) }</strong>
            <ul>{ for found.iter().take(10).map(|e| html! {
                <li>{ format!("@{} #{}: #{} and #{} (both kept; every honest tab keeps both the same way)",
                    e.author, e.seq, e.first, e.second) }</li>
            }) }</ul>
        </div>
    }
}

/// The simulated lesson behind `&naive=1`: one forged edit against a plain vector-clock
/// room and a hash-linked room (`chronoscope::scenario::collab`).
pub fn lesson(seed: u64) -> Html {
    let body = match chronoscope::scenario::collab::run(seed) {
        Ok(c) => {
            let room = |name: &str, class: &str, r: &chronoscope::scenario::collab::RoomOutcome| {
                html! {
                    <div class={classes!("lesson-room", class.to_string())} data-split={r.split.to_string()}>
                        <h4>{ name.to_string() }</h4>
                        <ul>{ for r.texts.iter().zip(["A", "B", "C"]).map(|(t, p)| html! {
                            <li>{ format!("peer {p}: “{t}”") }</li>
                        }) }</ul>
                        <p class="verdict">{ if r.split { "split for good: the peers never agree again" } else { "whole: every peer shows the same text" } }</p>
                    </div>
                }
            };
            let refused: Vec<String> = c
                .hash_linked
                .refusals
                .nonzero()
                .map(|(r, n)| format!("{r} {n}"))
                .collect();
            html! {
                <>
                    { room("Plain room (vector clocks, (counter, peer) ids)", "plain", &c.plain) }
                    { room("Hash-linked room (this editor)", "hashed", &c.hash_linked) }
                    <p>{ format!("Refused in the hash-linked room: {}", refused.join(", ")) }</p>
                </>
            }
        }
        Err(e) => {
            html! { <p class="notice error">{ format!("the simulation could not run: {e}") }</p> }
        }
    };
    html! {
        <section class="lesson" aria-label="Forgery lesson">
            <h3>{"Lesson: one forged edit, two rooms (simulated, seed "}{ seed }{")"}</h3>
            <p>{"Peer A types “ab”; a fourth page forges A's next edit (same author, next number, another \
                character) and posts it to B and C; then A really types “c”. The plain room delivers the \
                forgery as A's edit and drops A's real one as a duplicate. The hash-linked room names each \
                update by the hash of its content and checks its signature, so the forgery is refused. \
                This runs in the deterministic simulator; the editor above is always hash-linked."}</p>
            <div class="lesson-rooms">{ body }</div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chronoscope::collab::Operation;
    use chronoscope::sim::{SimConfig, Simulation};

    #[test]
    fn the_session_draws_one_event_per_update_with_arrows_across_authors() {
        let nodes = (0u8..2)
            .map(|i| Replica::new([i + 1; 32], Default::default()))
            .collect();
        let config = SimConfig {
            seed: 3,
            labels: false,
            ..Default::default()
        };
        let mut sim = Simulation::new(nodes, config).unwrap();
        let insert = |text: &str| Operation::Insert {
            index: 0,
            text: text.into(),
        };
        sim.schedule_operation(Instant::from_millis(10), NodeId(0), insert("ab"))
            .unwrap();
        sim.run_until(Instant::from_millis(2_000));
        sim.schedule_operation(Instant::from_millis(2_010), NodeId(1), insert("c"))
            .unwrap();
        sim.run_until(Instant::from_millis(4_000));
        let replica = sim.node(NodeId(0)).unwrap();
        assert_eq!(replica.text(), "cab");
        let mut session = Session::new(replica.author());
        assert!(session.sync(replica.graph(), 0.0));
        assert!(!session.sync(replica.graph(), 0.0));
        let (trace, names) = session.shared(0.0);
        assert_eq!(trace.events().len(), 3);
        assert_eq!(names.0.len(), 2);
        assert!(names.0[0].ends_with("(this tab)"));
        assert!(
            session.shared(1.0).1 == names,
            "unchanged names keep their identity"
        );
        // "c" by the other author depends on "b": one arrow from lane 0 to lane 1.
        assert_eq!(trace.messages().len(), 1);
        let m = &trace.messages()[0];
        assert_eq!((m.from, m.to), (NodeId(0), NodeId(1)));
        let last = &trace.events()[2];
        assert_eq!(last.vector.get(NodeId(0)), 2);
        assert_eq!(last.vector.get(NodeId(1)), 1);
        assert_eq!(session.not_drawn(), 0);
        assert!(clock_text(replica).contains(": 2"));
    }
}
