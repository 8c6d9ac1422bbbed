//! The Hybrid-logical-clocks lab: nodes stamp every message with an HLC `(l, c)` (Kulkarni
//! et al., "Logical Physical Clocks", OPODIS 2014), over drifting, skewed physical clocks.
//! "Set A's clock back 5 min" schedules a backward jump: the physical clock goes back, the
//! HLC does not. A node far ahead drags every HLC into the future — unless a max offset
//! refuses its stamps. Plots show physical time and HLC per node against true time; badges
//! check `l − pt ≤ ε` and monotonicity at the playback position.
//!
//! Parameters live in the URL (`#/lab/hybrid-logical-clocks?jump_ms=300000&…`).

use std::collections::BTreeMap;
use std::rc::Rc;

use chronoscope::scenario::hybrid_logical::{self, HlcRun, Params, StampKind, EPOCH, SPEC};
use chronoscope::trace::EventId;
use yew_router::prelude::*;

use super::kit::{self, clock_time, prelude::*};

const SLUG: &str = "hybrid-logical-clocks";

/// The lab page: reads the URL, runs the scenario, shows the run.
#[function_component(HybridLogicalLab)]
pub fn hybrid_logical_lab() -> Html {
    let (params, notes, seek, on_tour) = use_lab_page(SLUG, &SPEC);
    let navigator = use_navigator();
    let query = kit::write(&SPEC, &params);
    let action = |label: &'static str, class: &'static str, key: &'static str, value: u32| {
        let navigator = navigator.clone();
        let next = kit::with(&query, key, value);
        let onclick = Callback::from(move |_: MouseEvent| kit::go(&navigator, SLUG, &next));
        html! { <button type="button" class={classes!("lab-action", class)} {onclick}>{ label }</button> }
    };
    let explain = html! {
                {"A hybrid logical clock (Kulkarni, Demirbas et al., \"Logical Physical Clocks\", OPODIS 2014, §3) stamps each event with \
                (l, c): l is the largest physical time the node has heard of, c a counter for events that share it. On a send, \
                l = max(l, pt); on a receive, l = max(l, l_msg, pt); c counts up while l stays put. So stamps follow happens-before \
                like Lamport's clock, stay within the clock skew ε of physical time (l − pt ≤ ε), and never go back — even when \
                an operator or NTP sets the physical clock back. The price: a node whose clock runs far ahead drags everyone's l \
                with it, which is why CockroachDB refuses stamps beyond a max offset."}
    };
    page(
        SLUG,
        "Hybrid logical clocks",
        explain,
        html! { <>
                { notes_view(&notes) }
                <div class="lab-actions">
                    if params.jump_ms == 0 {
                        { action("Set A's clock back 5 min", "set-back", "jump_ms", 300_000) }
                    } else {
                        { action("Undo the clock jump", "undo-jump", "jump_ms", 0) }
                    }
                    if params.ahead_ms == 0 {
                        { action("Run the last node 60 s ahead", "run-ahead", "ahead_ms", 60_000) }
                    } else {
                        { action("Bring the last node back", "undo-ahead", "ahead_ms", 0) }
                    }
                    if params.max_offset_ms == 0 {
                        { action("Refuse stamps > 500 ms ahead", "set-max-offset", "max_offset", 500) }
                    } else {
                        { action("Accept any stamp (no max offset)", "unset-max-offset", "max_offset", 0) }
                    }
                </div>
                <Tour steps={tour_steps()} on_move={on_tour} />
                <ParamForm slug={SLUG} spec={SpecRef(&SPEC)} values={query.clone()} />
                <LabRunView<Params, Prepared> {params} {seek} run={&RUN} />
        </> },
    )
}

struct Prepared {
    run: HlcRun,
    trace: SharedTrace,
    physical: Rc<Vec<Series>>,
    hlc: Rc<Vec<Series>>,
}

fn prepare(params: &Params) -> Result<Prepared, String> {
    let run = hybrid_logical::run(params).map_err(|e| e.to_string())?;
    let names: Vec<String> = run.trace.nodes().map(|n| n.to_string()).collect();
    let series = |all: Vec<Vec<(f64, f64)>>, what: &str| -> Rc<Vec<Series>> {
        Rc::new(
            all.into_iter()
                .enumerate()
                .map(|(i, points)| Series {
                    name: format!("{} {what}", names[i]),
                    points: points.into_iter().map(|(t, y)| (t / 1_000.0, y)).collect(),
                    color: PALETTE[i % PALETTE.len()],
                })
                .collect(),
        )
    };
    let physical = series(run.physical_series(), "physical");
    let hlc = series(run.hlc_series(), "HLC l");
    let trace = SharedTrace::from(run.trace.clone());
    Ok(Prepared {
        run,
        trace,
        physical,
        hlc,
    })
}

static RUN: RunSpec<Params, Prepared> = RunSpec::new(prepare, view, |p| {
    format!("hlc-seed{}-n{}", p.seed, p.nodes)
});

impl Traced for Prepared {
    fn shared_trace(&self) -> SharedTrace {
        self.trace.clone()
    }
}

fn view(_: &Params, prepared: &Prepared, lab: &LabRun) -> Html {
    let playback = &lab.playback;
    let run = &prepared.run;
    let trace = prepared.trace.clone();
    let shown = playback.position;
    let eps_ms = run.epsilon.as_millis_f64();
    let invariants = run.invariants(shown);
    let cursor = cursor_s(&trace, shown);
    html! {
        <div class="run">
            <p class="run-summary">
                { format!("{} nodes · {} events · {} messages · {} stamps refused",
                    trace.node_count(), trace.events().len(), trace.messages().len(), run.rejections.len()) }
                if let Some((node, at, by)) = run.jump {
                    { format!(" · {node}'s clock set back {:.0} s at {:.3} s", -by.as_millis_f64() / 1_000.0, at.as_millis_f64() / 1_000.0) }
                }
            </p>
            <InvariantBadges {invariants} />
            { now_table(run, shown) }
            <PlaybackControls playback={playback.clone()} />
            { lab.body(&trace, None, Some(selected_stamp(run, lab.selected))) }
            <div class="plots">
                <Plot series={prepared.physical.clone()} title="Physical clock − true time"
                    x_label="true time (s)" y_label="ms" {cursor} />
                <Plot series={prepared.hlc.clone()} title="HLC l − true time"
                    x_label="true time (s)" y_label="ms" {cursor} band={Some((-eps_ms, eps_ms))} />
            </div>
            { lab.footer(lab.export_name.clone(), vec![]) }
        </div>
    }
}

/// Each node's physical reading and HLC after the first `shown` events.
fn now_table(run: &HlcRun, shown: usize) -> Html {
    let mut last: BTreeMap<u32, (i64, Option<(u64, u16)>)> = BTreeMap::new();
    for e in run.trace.events().iter().take(shown) {
        let entry = last.entry(e.node.0).or_insert((0, None));
        entry.0 = e.local_time.as_millis();
        if let Some(s) = &run.stamps[e.id.index()] {
            entry.1 = Some((s.hlc.physical_ms(), s.hlc.logical()));
        }
    }
    let epoch = EPOCH.as_nanos() / 1_000_000;
    html! {
        <table class="hlc-now">
            <caption>{"At the playback position"}</caption>
            <thead><tr><th>{"node"}</th><th>{"physical clock pt"}</th><th>{"HLC l"}</th><th>{"HLC c"}</th><th>{"l − pt"}</th></tr></thead>
            <tbody>
            { for run.trace.nodes().map(|node| {
                let (pt, hlc) = last.get(&node.0).copied().unwrap_or((0, None));
                let known = last.contains_key(&node.0);
                html! {
                    <tr class="hlc-row" data-node={node.to_string()} data-pt={pt.to_string()}
                        data-l={hlc.map(|h| h.0.to_string()).unwrap_or_default()}
                        data-c={hlc.map(|h| h.1.to_string()).unwrap_or_default()}>
                        <td>{ node.to_string() }</td>
                        <td>{ if known { clock_time(pt) } else { "—".into() } }</td>
                        <td>{ hlc.map(|h| clock_time(h.0 as i64)).unwrap_or_else(|| "—".into()) }</td>
                        <td>{ hlc.map(|h| h.1.to_string()).unwrap_or_else(|| "—".into()) }</td>
                        <td>{ hlc.map(|h| format!("{} ms", h.0 as i64 - pt)).unwrap_or_else(|| "—".into()) }</td>
                    </tr>
                }
            }) }
            </tbody>
            <tfoot><tr><td colspan="5">{ format!("Clocks start near {} (true time 0).", clock_time(epoch)) }</td></tr></tfoot>
        </table>
    }
}

fn selected_stamp(run: &HlcRun, selected: Option<EventId>) -> Html {
    let Some(s) = selected.and_then(|e| run.stamps.get(e.index()).copied().flatten()) else {
        return html! {};
    };
    let pt = s.pt.as_millis();
    let what = match s.kind {
        StampKind::Send => "send: the message carries this stamp".to_string(),
        StampKind::Receive => "receive: l = max(l, l_msg, pt)".to_string(),
        StampKind::Rejected(e) => format!("refused: {e}"),
    };
    html! {
        <div class="hlc-selected">
            <h3>{"HLC stamp"}</h3>
            <dl>
                <dt>{"(l, c)"}</dt><dd class="sel-hlc">{ format!("({}, {})", clock_time(s.hlc.physical_ms() as i64), s.hlc.logical()) }</dd>
                <dt>{"pt"}</dt><dd>{ clock_time(pt) }</dd>
                <dt>{"l − pt"}</dt><dd>{ format!("{} ms", s.hlc.physical_ms() as i64 - pt) }</dd>
                <dt>{"what"}</dt><dd>{ what }</dd>
            </dl>
        </div>
    }
}

/// The lab's guided tour.
pub fn tour_steps() -> Vec<TourStep> {
    vec![
        TourStep {
            title: "HLC tracks physical time",
            text: "Three nodes with clocks 20 ms apart stamp every message. In the lower plot each node's l stays within \
                   the green band (±ε) of true time: HLC is as readable as a wall clock, yet orders events like Lamport's.",
            query: Some("seed=1&nodes=3&sends=10&skew_ms=20&jump_ms=0&ahead_ms=0&max_offset=0"),
            at: Some(0.5),
        },
        TourStep {
            title: "Set a clock back five minutes",
            text: "A's clock jumps back 5 min at 0.5 s. Its physical reading drops (upper plot, red badge), but its HLC keeps \
                   l and counts c up: the table and the green \"never goes back\" badge show it.",
            query: Some("seed=1&nodes=3&sends=10&skew_ms=20&jump_ms=300000&jump_at=500&ahead_ms=0&max_offset=0"),
            at: Some(0.7),
        },
        TourStep {
            title: "One clock far ahead",
            text: "The last node's clock runs 60 s ahead. Every node that hears from it adopts its l: HLC stays monotonic, \
                   but l − pt is now a minute — the ε badge turns red.",
            query: Some("seed=1&nodes=3&sends=10&skew_ms=20&jump_ms=0&ahead_ms=60000&max_offset=0"),
            at: Some(1.0),
        },
        TourStep {
            title: "Max offset refuses the outlier",
            text: "With a 500 ms max offset, stamps more than 500 ms ahead of the local clock are refused (the clock is left \
                   unchanged); the others' l stays near true time and the ε badge is green again.",
            query: Some("seed=1&nodes=3&sends=10&skew_ms=20&jump_ms=0&ahead_ms=60000&max_offset=500"),
            at: Some(1.0),
        },
    ]
}
