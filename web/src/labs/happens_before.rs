//! The Happens-before lab: a few nodes gossip under the deterministic simulator, drawn as an
//! animated space-time diagram. Selecting an event shows its Lamport timestamp and vector
//! clock, highlights its causal past and future, and marks the events concurrent with it —
//! the relation of Lamport's "Time, Clocks, and the Ordering of Events" (1978), §2, which
//! vector clocks (Fidge 1988; Mattern 1989) capture exactly.
//!
//! Seed and parameters live in the URL (`#/lab/happens-before?seed=7&nodes=5&…`).

use chronoscope::scenario::happens_before::{self, Params, SPEC};

use super::kit::{self, prelude::*};

const SLUG: &str = "happens-before";

/// The lab page: reads the URL, runs the scenario, shows the run.
#[function_component(HappensBeforeLab)]
pub fn happens_before_lab() -> Html {
    let (params, notes, seek, on_tour) = use_lab_page(SLUG, &SPEC);
    let explain = html! { <>
        {"Event "}<em>{"a"}</em>{" happens before "}<em>{"b"}</em>{" when they are on the same node in that order, \
        or a is the send and b the receive of one message, or a chain of those links them (Lamport 1978, §2). \
        A Lamport timestamp respects that order but cannot reveal it: different timestamps may still be concurrent. \
        A vector clock (Fidge 1988; Mattern 1989) captures it exactly — a → b if and only if V(a) < V(b). \
        Select an event: its causal past and future light up, and everything else is concurrent with it."}
    </> };
    page(
        SLUG,
        "Happens-before",
        explain,
        html! { <>
            <LabControls slug={SLUG} spec={SpecRef(&SPEC)} values={kit::write(&SPEC, &params)} {notes} steps={tour_steps()} {on_tour} />
            <LabRunView<Params, SharedTrace> {params} {seek} run={&RUN} />
        </> },
    )
}

static RUN: RunSpec<Params, SharedTrace> = RunSpec::new(
    |p| {
        happens_before::run(p)
            .map(SharedTrace::from)
            .map_err(|e| e.to_string())
    },
    view,
    |p| format!("happens-before-seed{}-n{}", p.seed, p.nodes),
);

fn view(_: &Params, trace: &SharedTrace, lab: &LabRun) -> Html {
    let messages = trace.messages().len();
    let delivered = trace
        .messages()
        .iter()
        .filter(|m| m.receive().is_some())
        .count();
    html! {
        <div class="run">
            <p class="run-summary">
                { format!("{} nodes · {} events · {} messages ({} delivered, {} lost)",
                    trace.node_count(), trace.events().len(), messages, delivered, messages - delivered) }
            </p>
            <PlaybackControls playback={lab.playback.clone()} />
            { lab.body(trace, None, None) }
            { lab.footer(lab.export_name.clone(), vec![]) }
        </div>
    }
}

/// The lab's guided tour.
pub fn tour_steps() -> Vec<TourStep> {
    vec![
        TourStep {
            title: "Messages make order",
            text: "Each line is a node, each dot an event, each arrow a message. Events on one line are ordered; \
                   a message orders its send before its receive. Nothing else is ordered.",
            query: Some("seed=5&nodes=4&actions=6&lat_min=10&lat_max=80&loss=0"),
            at: Some(0.35),
        },
        TourStep {
            title: "An event's causal past",
            text: "Click a green receive dot near the end. Orange events happened before it, teal ones after it; \
                   grey ones are concurrent — no chain of messages links them either way.",
            query: None,
            at: Some(1.0),
        },
        TourStep {
            title: "What Lamport timestamps cannot tell",
            text: "Now shift-click a grey (concurrent) event. Their Lamport timestamps differ, so Lamport orders them, \
                   but the vector clocks are incomparable: the inspector shows the two entries that prove it.",
            query: None,
            at: Some(1.0),
        },
        TourStep {
            title: "Lost messages carry no causality",
            text: "With 30 % loss, ✕ marks messages that never arrived. A lost message creates no happens-before edge, \
                   so more events end up concurrent.",
            query: Some("seed=5&nodes=4&actions=8&lat_min=10&lat_max=80&loss=30"),
            at: Some(1.0),
        },
        TourStep {
            title: "Make it yours",
            text: "Open the parameters above, change nodes, latency and loss and press Run, or try New seed. The URL holds everything: \
                   share it and others see exactly this run.",
            query: None,
            at: None,
        },
    ]
}
