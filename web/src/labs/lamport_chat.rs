//! The Lamport-chat lab: three (or more) chat panes over a network where the link from A to
//! the last node is slow. Each message is stamped `(Lamport time, node)` and displayed only
//! once it is stable — every node has been heard from with a later stamp — so all panes show
//! one total order (Lamport, "Time, Clocks, and the Ordering of Events", 1978, §4).
//!
//! Everything is computed by `chronoscope::scenario::lamport_chat`; this file only shows it.

use std::rc::Rc;

use chronoscope::scenario::lamport_chat::{self, Params, Run, SPEC};
use chronoscope::trace::Trace;

use super::kit::{self, prelude::*, time_at};
use super::lamport_tabs::{self, LamportTabs};

const SLUG: &str = "lamport-chat";

/// The lab page: reads the URL, runs the scenario, shows the run.
#[function_component(LamportChatLab)]
pub fn lamport_chat_lab() -> Html {
    let query = kit::use_query();
    if query.get("mode") == Some("tabs") {
        return real_tabs(&query);
    }
    let (params, notes) = kit::read(&SPEC, &query);
    let (seek, on_tour) = use_tour(SLUG);
    let explain = html! {
                {"A says “Hi”, B answers “Hello Alice”, and the link from A to the last node is slow, so that node hears the \
                answer before the question. Lamport's total order (Lamport 1978, §4, the mutual-exclusion algorithm's \
                request queue) fixes this: every message is stamped (Lamport time, node id), every node acknowledges what \
                it hears, and a message is displayed only when it is the smallest stamp pending and a later stamp has \
                been heard from every other node — nothing smaller can still arrive. Until then it is [PENDING]; then \
                [DISPLAY] in stamp order, so every pane shows the same conversation in the same order."}
    };
    page(
        SLUG,
        "Lamport chat",
        explain,
        html! { <>
                { mode_switch(false) }
                <LabControls slug={SLUG} spec={SpecRef(&SPEC)} values={kit::write(&SPEC, &params)} {notes} steps={tour_steps()} {on_tour} />
                <LabRunView<Params, Computed> {params} {seek} run={&RUN} />
        </> },
    )
}

/// Links between the simulated run and the real-tabs mode.
fn mode_switch(tabs: bool) -> Html {
    html! {
        <nav class="mode-switch" aria-label="Lamport chat mode">
            <a href="#/lab/lamport-chat" aria-current={(!tabs).then_some("page")}>{"Simulated network"}</a>
            {" · "}
            <a href="#/lab/lamport-chat?mode=tabs&room=main&seats=3" aria-current={tabs.then_some("page")}>{"Real tabs"}</a>
        </nav>
    }
}

/// The real-tabs mode: this tab is one participant of a room with a fixed number of seats.
fn real_tabs(query: &Query) -> Html {
    let (room, seats, notes) = lamport_tabs::room_from_query(query);
    html! {
        <section class="lab" id="lab-lamport-chat">
            <h2>{"Lamport chat — real tabs"}</h2>
            { mode_switch(true) }
            <p class="explain">
                {"Open this page in two or more tabs of this browser (same room): each tab is one chat participant \
                running the core's total-order protocol, the same code the simulated mode runs, here driven by the tab \
                runtime over a BroadcastChannel. Lamport's rule needs known membership — a message is displayed only \
                once a later stamp was heard from every other participant — so the room has a fixed number of seats \
                (URL: seats=…). Each tab claims a free seat (A, B, C …); until every seat is taken, messages to an \
                empty seat wait and everything stays [PENDING]: that is the algorithm, not a bug. Once stable, every \
                tab shows the same messages in the same (time, seat) order. Your tab's delay, drop rate, duplication \
                and held links are the simulator's network rules applied to what this tab sends; anything else posted \
                on the channel is checked and, if bad, refused and counted below. Lamport's algorithm is not fault \
                tolerant: a dropped message stalls everyone, which the tab reports as stuck."}
            </p>
            { notes_view(&notes) }
            <LamportTabs key={format!("{room}/{seats}")} room={room.clone()} {seats} />
        </section>
    }
}

struct Computed {
    trace: SharedTrace,
    run: Run,
    series: Rc<Vec<Series>>,
}

fn compute(p: &Params) -> Result<Computed, String> {
    let mut run = lamport_chat::run(p).map_err(|e| e.to_string())?;
    let trace = std::mem::replace(&mut run.trace, Trace::new(0));
    let series = run
        .nodes
        .iter()
        .map(|v| Series {
            name: format!("{}", v.node),
            points: step_points(
                run.pending
                    .iter()
                    .filter(|q| q.node == v.node)
                    .map(|q| (q.at.as_millis_f64(), q.pending.len() as f64)),
            ),
            color: PALETTE[v.node.index() % PALETTE.len()],
        })
        .collect();
    Ok(Computed {
        trace: SharedTrace::from(trace),
        run,
        series: Rc::new(series),
    })
}

static RUN: RunSpec<Params, Computed> = RunSpec::new(compute, view, |p| {
    format!("lamport-chat-seed{}-n{}", p.seed, p.nodes)
});

impl Traced for Computed {
    fn shared_trace(&self) -> SharedTrace {
        self.trace.clone()
    }
}

fn view(_: &Params, c: &Computed, lab: &LabRun) -> Html {
    let playback = &lab.playback;
    let run = &c.run;
    let trace = c.trace.clone();
    let now = time_at(&trace, playback.position);
    let now_ms = now.as_millis_f64();
    let first = run
        .nodes
        .first()
        .map(|v| v.display.clone())
        .unwrap_or_default();
    let differing: Vec<String> = run
        .nodes
        .iter()
        .filter(|v| v.display != first)
        .map(|v| v.node.to_string())
        .collect();
    let sorted = run
        .nodes
        .iter()
        .all(|v| v.display.windows(2).all(|w| w[0] < w[1]));
    let invariants = vec![
        Invariant {
            name: "identical display order at every node".into(),
            holds: differing.is_empty(),
            detail: if differing.is_empty() {
                format!(
                    "{} messages, same order in all {} panes",
                    first.len(),
                    run.nodes.len()
                )
            } else {
                format!("differs at {}", differing.join(", "))
            },
        },
        Invariant {
            name: "displayed in (Lamport time, node) order".into(),
            holds: sorted,
            detail: "each pane's stamps ascend".into(),
        },
    ];
    let panes = run.nodes.iter().map(|v| {
        let pending = run
            .pending
            .iter()
            .take_while(|q| q.at <= now)
            .filter(|q| q.node == v.node)
            .last()
            .map(|q| q.pending.clone())
            .unwrap_or_default();
        let order: Vec<String> = v.display.iter().map(ToString::to_string).collect();
        let reordered = v.arrival != v.display;
        html! {
            <div class="chat-pane" data-node={v.node.to_string()} data-order={order.join(" ")}>
                <h4>{ format!("Node {}", v.node) }</h4>
                <p>{ format!("Pending at {now_ms:.0} ms: ") }
                    <span class="pending-now">{ if pending.is_empty() { "(none)".to_string() }
                        else { pending.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ") } }</span>
                </p>
                <ol class="chat-lines">
                    { for v.lines.iter().map(|l| html! {
                        <li class={classes!("chat-line", if l.starts_with("[DISPLAY]") { "display" } else if l.starts_with("[PENDING]") { "pending" } else { "other" })}>{ l.clone() }</li>
                    }) }
                </ol>
                <p class="arrival">{ format!("Arrival order: {}{}",
                    v.arrival.iter().map(ToString::to_string).collect::<Vec<_>>().join(" "),
                    if reordered { " (display order differs)" } else { "" }) }</p>
            </div>
        }
    });
    html! {
        <div class="run">
            <p class="run-summary">
                { format!("{} nodes · {} events · {} messages displayed per pane",
                    trace.node_count(), trace.events().len(), first.len()) }
            </p>
            <PlaybackControls playback={playback.clone()} />
            <InvariantBadges {invariants} />
            { lab.body(&trace, None, None) }
            <div class="lab-state chat-panes">{ for panes }</div>
            <Plot series={c.series.clone()} title="Pending (hold-back) messages per node" x_label="true time (ms)"
                y_label="messages pending" cursor={Some(now_ms)} />
            { lab.footer(lab.export_name.clone(), vec![]) }
        </div>
    }
}

/// The lab's guided tour.
pub fn tour_steps() -> Vec<TourStep> {
    vec![
        TourStep {
            title: "A question, an answer, a slow link",
            text: "A sends “Hi” at time 1; B answers. The link from A to C carries two extra seconds, so C hears \
                   B's answer first — and shows it as [PENDING].",
            query: Some("seed=1&nodes=3&extra=0&slow=2000"),
            at: Some(0.4),
        },
        TourStep {
            title: "Held back until stable",
            text: "C cannot display (2, B) yet: a message with a smaller stamp may still come from A. Watch C's \
                   pending list and the plot.",
            query: None,
            at: Some(0.6),
        },
        TourStep {
            title: "One order everywhere",
            text: "When “Hi” finally arrives, C displays (1, A) and then (2, B): every pane shows the same order, \
                   and the badge is green.",
            query: None,
            at: Some(1.0),
        },
        TourStep {
            title: "A busy room",
            text: "Five nodes sending extra messages: more waiting, still one order in every pane.",
            query: Some("seed=4&nodes=5&extra=4&lat_max=400&slow=2000"),
            at: Some(1.0),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_round_trips_and_absurd_values_are_clamped_with_notes() {
        use chronoscope::scenario::lamport_chat::{NODES, SLOW_MS};
        let p = Params {
            nodes: 4,
            seed: 3,
            extra_messages: 2,
            ..Params::default()
        };
        let (back, notes) = kit::round_trip(&SPEC, &p);
        assert_eq!(back, p);
        assert!(notes.is_empty());
        let (p, notes) = kit::read(&SPEC, &Query::parse("nodes=1&slow=999999&seed=x"));
        assert_eq!((p.nodes, p.slow_link_ms), (*NODES.start(), *SLOW_MS.end()));
        assert_eq!(notes.len(), 3, "{notes:?}");
        assert!(compute(&p).is_ok());
    }
}
