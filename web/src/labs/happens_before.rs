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
    let run_key = format!("{params:?}");
    html! {
        <section class="lab" id="lab-happens-before">
            <h2>{"Happens-before"}</h2>
            <p class="explain">
                {"Event "}<em>{"a"}</em>{" happens before "}<em>{"b"}</em>{" when they are on the same node in that order, \
                or a is the send and b the receive of one message, or a chain of those links them (Lamport 1978, §2). \
                A Lamport timestamp respects that order but cannot reveal it: different timestamps may still be concurrent. \
                A vector clock (Fidge 1988; Mattern 1989) captures it exactly — a → b if and only if V(a) < V(b). \
                Select an event: its causal past and future light up, and everything else is concurrent with it."}
            </p>
            <LabControls slug={SLUG} spec={SpecRef(&SPEC)} values={kit::write(&SPEC, &params)} {notes} steps={tour_steps()} {on_tour} />
            <HappensBeforeRun key={run_key} {params} {seek} />
        </section>
    }
}

#[function_component(HappensBeforeRun)]
fn happens_before_run(props: &RunProps<Params>) -> Html {
    let result = use_memo(props.params.clone(), |p| {
        happens_before::run(p).map(SharedTrace::from)
    });
    let p = &props.params;
    let export_name = format!("happens-before-seed{}-n{}", p.seed, p.nodes);
    let lab = use_lab_run(
        result.as_ref().as_ref().ok().cloned(),
        export_name.clone(),
        2,
        props.seek,
    );
    let playback = lab.playback.clone();
    let trace = match result.as_ref() {
        Ok(trace) => trace.clone(),
        Err(e) => return run_error(e),
    };
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
            <PlaybackControls playback={playback.clone()} />
            <div class="run-body">
                <SpaceTimeDiagram trace={trace.clone()} shown={playback.position} selected={lab.selected}
                    on_select={lab.on_select.clone()} compare={lab.compare} on_compare={lab.on_compare.clone()} />
                <EventInspector trace={trace.clone()} selected={lab.selected} compare={lab.compare} />
            </div>
            <ExportMenu name={export_name} texts={(*lab.exports).clone()} />
            <p class="keys">{"Keys: Space play/pause · ←/→ step · Home/End · +/− speed · Tab to the diagram, arrow keys between events, Enter to select"}</p>
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
            text: "Change nodes, latency and loss above and press Run, or try New seed. The URL holds everything: \
                   share it and others see exactly this run.",
            query: None,
            at: None,
        },
    ]
}
