//! The Clock-drift & sync lab: quartz clocks drifting apart, kept together by Cristian's
//! algorithm (1989) or Berkeley (Gusella & Zatti 1989), or by nothing; corrections stepped,
//! slewed or NTP-hybrid (Mills, RFC 5905). The run is the core's
//! [`drift`](chronoscope::scenario::drift) scenario; this page draws its trace, plots each
//! node's offset from true time and the skew (max − min) with the playback position as the
//! cursor, and checks live that no clock went backwards and that the skew stays within the
//! bound once synchronised.
//!
//! Seed and parameters live in the URL (`#/lab/clock-drift?method=cristian&adjust=slew&…`).

use std::collections::BTreeMap;
use std::rc::Rc;

use chronoscope::node::NodeId;
use chronoscope::scenario::drift::{
    self, AdjustMode, Method, Params, Run, SyncEvent, DRIFT_PPM, DURATION_S, FAULT_PERCENT,
    INITIAL_SKEW_MS, INTERVAL_S, JUMP_AT_S, JUMP_MS, LATENCY_MS, NODES, OUTLIER_MS, SLEW_PPM,
    TICK_MS,
};
use chronoscope::time::{Instant, Span};
use chronoscope::trace::{EventId, Trace};
use yew::prelude::*;
use yew_router::prelude::*;

use super::param_form::{
    choice_name, choice_or, go, i32_or, notes_view, true_time_at, use_lab_playback, use_tour,
    Field, FieldKind, ParamForm,
};
use crate::components::badge::{Invariant, InvariantBadges};
use crate::components::diagram::SpaceTimeDiagram;
use crate::components::export::{use_trace_exports, ExportMenu, TextExport};
use crate::components::inspector::EventInspector;
use crate::components::playback::{use_playback_keys, use_playback_timer, PlaybackControls};
use crate::components::plot::{Plot, Series, PALETTE};
use crate::components::tour::{Tour, TourStep};
use crate::components::SharedTrace;
use crate::query::Query;

/// The lab's URL slug.
pub const SLUG: &str = "clock-drift";

/// URL names of the methods.
pub const METHODS: [(&str, Method); 3] = [
    ("none", Method::None),
    ("cristian", Method::Cristian),
    ("berkeley", Method::Berkeley),
];
/// URL names of the ways to apply a correction.
pub const ADJUSTS: [(&str, AdjustMode); 3] = [
    ("step", AdjustMode::Step),
    ("slew", AdjustMode::Slew),
    ("hybrid", AdjustMode::Hybrid),
];

/// The lab's defaults: four nodes drifting ±200 ppm from a 100 ms spread, Berkeley every
/// 20 s for two minutes, sampled every second.
pub fn lab_defaults() -> Params {
    Params {
        nodes: 4,
        drift_ppm: 200,
        duration_s: 120,
        tick_ms: 1_000,
        initial_skew_ms: 100,
        interval_s: 20,
        ..Params::default()
    }
}

/// Reads the lab's parameters from a query string, clamping each into range; the returned
/// notes say what was changed and why.
pub fn params_from_query(query: &Query) -> (Params, Vec<String>) {
    let d = lab_defaults();
    let mut notes = Vec::new();
    let n = &mut notes;
    let raw = Params {
        nodes: query.u32_or("nodes", d.nodes, n),
        seed: query.u64_or("seed", d.seed, n),
        drift_ppm: query.u32_or("drift", d.drift_ppm, n),
        method: choice_or(query, "method", &METHODS, d.method, n),
        interval_s: query.u32_or("interval", d.interval_s, n),
        duration_s: query.u32_or("duration", d.duration_s, n),
        tick_ms: query.u32_or("tick", d.tick_ms, n),
        latency_min_ms: query.u32_or("lat_min", d.latency_min_ms, n),
        latency_max_ms: query.u32_or("lat_max", d.latency_max_ms, n),
        asymmetry_ms: query.u32_or("asym", d.asymmetry_ms, n),
        initial_skew_ms: query.u32_or("skew", d.initial_skew_ms, n),
        adjust: choice_or(query, "adjust", &ADJUSTS, d.adjust, n),
        slew_ppm: query.u32_or("slew", d.slew_ppm, n),
        outlier_ms: query.u32_or("outlier", d.outlier_ms, n),
        leader: query.u32_or("leader", d.leader, n),
        loss_percent: query.u32_or("loss", d.loss_percent, n),
        duplicate_percent: query.u32_or("dup", d.duplicate_percent, n),
        jump_ms: i32_or(query, "jump", d.jump_ms, n),
        jump_at_s: query.u32_or("jump_at", d.jump_at_s, n),
        jump_node: query.u32_or("jump_node", d.jump_node, n),
    };
    let (params, adjustments) = raw.clamp();
    notes.extend(adjustments.iter().map(ToString::to_string));
    (params, notes)
}

/// The query string that reproduces `params`.
pub fn params_to_query(p: &Params) -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        ("nodes", p.nodes.to_string()),
        ("seed", p.seed.to_string()),
        ("drift", p.drift_ppm.to_string()),
        ("method", choice_name(&METHODS, p.method).to_string()),
        ("interval", p.interval_s.to_string()),
        ("duration", p.duration_s.to_string()),
        ("tick", p.tick_ms.to_string()),
        ("lat_min", p.latency_min_ms.to_string()),
        ("lat_max", p.latency_max_ms.to_string()),
        ("asym", p.asymmetry_ms.to_string()),
        ("skew", p.initial_skew_ms.to_string()),
        ("adjust", choice_name(&ADJUSTS, p.adjust).to_string()),
        ("slew", p.slew_ppm.to_string()),
        ("outlier", p.outlier_ms.to_string()),
        ("leader", p.leader.to_string()),
        ("loss", p.loss_percent.to_string()),
        ("dup", p.duplicate_percent.to_string()),
        ("jump", p.jump_ms.to_string()),
        ("jump_at", p.jump_at_s.to_string()),
        ("jump_node", p.jump_node.to_string()),
    ])
}

/// The "clock jump" button's parameters: +10 s on a follower 40 % into the run, or no jump
/// when there is one already.
pub fn toggled_jump(p: &Params) -> Params {
    if p.jump_ms != 0 {
        return Params {
            jump_ms: 0,
            ..p.clone()
        };
    }
    let node = if p.leader == p.nodes - 1 {
        0
    } else {
        p.nodes - 1
    };
    Params {
        jump_ms: 10_000,
        jump_at_s: (p.duration_s * 2 / 5).max(1),
        jump_node: node,
        ..p.clone()
    }
}

fn range(r: &std::ops::RangeInclusive<u32>) -> std::ops::RangeInclusive<i64> {
    i64::from(*r.start())..=i64::from(*r.end())
}

fn fields() -> Vec<Field> {
    const METHOD_NAMES: &[&str] = &["none", "cristian", "berkeley"];
    const ADJUST_NAMES: &[&str] = &["step", "slew", "hybrid"];
    vec![
        Field {
            name: "method",
            label: "sync",
            kind: FieldKind::Choice(METHOD_NAMES),
        },
        Field {
            name: "adjust",
            label: "correction",
            kind: FieldKind::Choice(ADJUST_NAMES),
        },
        Field::number("nodes", "nodes", range(&NODES)),
        Field::number("drift", "drift ± (ppm)", range(&DRIFT_PPM)),
        Field::number("skew", "initial spread (ms)", range(&INITIAL_SKEW_MS)),
        Field::number("interval", "sync every (s)", range(&INTERVAL_S)),
        Field::number("duration", "duration (s)", range(&DURATION_S)),
        Field::number("tick", "sample every (ms)", range(&TICK_MS)),
        Field::number("lat_min", "latency min (ms)", range(&LATENCY_MS)),
        Field::number("lat_max", "latency max (ms)", range(&LATENCY_MS)),
        Field::number("asym", "asymmetry (ms)", range(&LATENCY_MS)),
        Field::number("slew", "slew rate (ppm)", range(&SLEW_PPM)),
        Field::number("outlier", "outlier (ms)", range(&OUTLIER_MS)),
        Field::number("leader", "leader/server", 0..=i64::from(*NODES.end() - 1)),
        Field::number("loss", "loss (%)", range(&FAULT_PERCENT)),
        Field::number("dup", "duplication (%)", range(&FAULT_PERCENT)),
        Field::number(
            "jump",
            "clock jump (ms)",
            i64::from(*JUMP_MS.start())..=i64::from(*JUMP_MS.end()),
        ),
        Field::number("jump_at", "jump at (s)", range(&JUMP_AT_S)),
        Field::number("jump_node", "jump node", 0..=i64::from(*NODES.end() - 1)),
        Field {
            name: "seed",
            label: "seed",
            kind: FieldKind::Seed,
        },
    ]
}

/// The lab page: reads the URL, runs the scenario, shows the run.
#[function_component(ClockDriftLab)]
pub fn clock_drift_lab() -> Html {
    let location = use_location();
    let query_str = location
        .as_ref()
        .map(|l| l.query_str().to_string())
        .unwrap_or_default();
    let (params, notes) = params_from_query(&Query::parse(&query_str));
    let run_key = format!("{params:?}");
    let (seek, on_tour) = use_tour(SLUG);
    let navigator = use_navigator();
    let jump = {
        let next = toggled_jump(&params);
        Callback::from(move |_: MouseEvent| go(&navigator, SLUG, &params_to_query(&next)))
    };
    html! {
        <section class="lab" id="lab-clock-drift">
            <h2>{"Clock drift & sync"}</h2>
            <p class="explain">
                {"Every node's quartz clock runs a little fast or slow (tens to hundreds of ppm), so without help the clocks \
                drift apart linearly. Cristian's algorithm (Cristian 1989, “Probabilistic clock synchronization”) asks a time \
                server and sets the clock to its answer plus half the round trip — wrong by at most RTT/2. The Berkeley \
                algorithm (Gusella & Zatti 1989) has a leader poll everyone, average the readings while leaving out outliers, \
                and send each node its own correction. How a correction is applied matters: stepping jumps the clock at once, \
                and can move it backwards — timestamps repeat, durations go negative; NTP (Mills, RFC 5905) instead slews \
                small corrections by running the clock up to 500 ppm faster or slower, and steps only above 128 ms. \
                Press “clock jump” to throw one clock 10 s ahead and watch step and slew pull it back."}
            </p>
            { notes_view(&notes) }
            <Tour steps={tour_steps()} on_move={on_tour} />
            <ParamForm slug={SLUG} fields={fields()} values={params_to_query(&params)} />
            <p class="lab-actions">
                <button type="button" class="jump-button" onclick={jump} aria-pressed={(params.jump_ms != 0).to_string()}>
                    { if params.jump_ms != 0 { format!("✕ Remove the clock jump ({:+} ms)", params.jump_ms) } else { "⚡ Clock jump (+10 s)".to_string() } }
                </button>
            </p>
            <ClockDriftRun key={run_key} {params} {seek} />
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct RunProps {
    params: Params,
    #[prop_or_default]
    seek: Option<(u32, f64)>,
}

/// A run, split so the trace can be shared with the diagram without copying.
struct Shown {
    trace: SharedTrace,
    run: Rc<Run>,
    plots: (Rc<Vec<Series>>, Rc<Vec<Series>>),
}

fn ms(s: Span) -> f64 {
    s.as_millis_f64()
}

fn secs(t: Instant) -> f64 {
    t.as_millis_f64() / 1e3
}

/// The first backward step of a sampled clock at or before `t`: (node, when, by how much).
pub fn first_backward_step(run: &Run, t: Instant) -> Option<(NodeId, Instant, Span)> {
    run.samples
        .windows(2)
        .take_while(|w| w[1].at <= t)
        .find_map(|w| {
            w[0].readings
                .iter()
                .zip(&w[1].readings)
                .enumerate()
                .find(|(_, (a, b))| b < a)
                .map(|(i, (a, b))| (NodeId(i as u32), w[1].at, a.since(*b)))
        })
}

/// The largest skew among samples up to `t` that the bound covers: once every node has been
/// corrected and outside the instants a round's corrections are in flight (every sample
/// when nothing synchronises: then no bound is promised).
pub fn worst_skew_checked(run: &Run, params: &Params, t: Instant) -> Option<Span> {
    let in_flight = |at: Instant| {
        run.syncs
            .iter()
            .any(|e| at >= e.at() && at <= e.at() + run.settle)
    };
    run.samples
        .iter()
        .filter(|s| s.at <= t)
        .filter(|s| match (params.method, run.synced_at) {
            (Method::None, _) => true,
            (_, Some(start)) => s.at >= start && !in_flight(s.at),
            (_, None) => false,
        })
        .map(|s| s.skew)
        .max()
}

/// The live invariants at true time `t`.
pub fn invariants(run: &Run, params: &Params, t: Instant) -> Vec<Invariant> {
    let monotonic = match first_backward_step(run, t) {
        None => Invariant {
            name: "monotonic".into(),
            holds: true,
            detail: "no clock has read less than at its previous sample".into(),
        },
        Some((node, at, by)) => Invariant {
            name: "monotonic".into(),
            holds: false,
            detail: format!(
                "node {node}'s clock went back {:.1} ms at {:.1} s",
                ms(by),
                secs(at)
            ),
        },
    };
    let bound = run.bound;
    let skew = match (params.method, worst_skew_checked(run, params, t)) {
        (Method::None, worst) => Invariant {
            name: format!("skew ≤ {:.1} ms", ms(bound)),
            holds: worst.is_none_or(|w| w <= bound),
            detail: format!(
                "no sync: nothing bounds the skew (worst so far {:.1} ms)",
                worst.map_or(0.0, ms)
            ),
        },
        (_, None) => Invariant {
            name: format!("skew ≤ {:.1} ms once synced", ms(bound)),
            holds: true,
            detail: "not every node has been corrected yet".into(),
        },
        (_, Some(worst)) => Invariant {
            name: format!("skew ≤ {:.1} ms once synced", ms(bound)),
            holds: worst <= bound,
            detail: format!(
                "worst skew since every node was corrected: {:.3} ms",
                ms(worst)
            ),
        },
    };
    vec![monotonic, skew]
}

/// The plotted series: per-node offsets (ms) and the skew with a comb marking syncs.
pub fn series(run: &Run, trace: &Trace) -> (Rc<Vec<Series>>, Rc<Vec<Series>>) {
    let offsets = (0..trace.node_count())
        .map(|i| Series {
            name: format!("{} ({:+.0} ppm)", NodeId(i), run.drift_ppm[i as usize]),
            points: run
                .samples
                .iter()
                .map(|s| (secs(s.at), ms(s.offsets[i as usize])))
                .collect(),
            color: PALETTE[i as usize % PALETTE.len()],
        })
        .collect();
    let skew: Vec<(f64, f64)> = run
        .samples
        .iter()
        .map(|s| (secs(s.at), ms(s.skew)))
        .collect();
    let top = skew.iter().map(|p| p.1).fold(ms(run.bound), f64::max);
    let mut comb = vec![(0.0, 0.0)];
    for e in &run.syncs {
        let x = secs(e.at());
        comb.extend([(x, 0.0), (x, top * 0.15), (x, 0.0)]);
    }
    comb.push((skew.last().map_or(0.0, |p| p.0), 0.0));
    let mut skews = vec![Series {
        name: "skew (max − min)".into(),
        points: skew,
        color: PALETTE[4],
    }];
    if !run.syncs.is_empty() {
        skews.push(Series {
            name: "sync".into(),
            points: comb,
            color: PALETTE[0],
        });
    }
    (Rc::new(offsets), Rc::new(skews))
}

/// The samples as CSV: true time, each node's offset and the skew (ms).
pub fn samples_csv(run: &Run) -> String {
    let nodes = run.drift_ppm.len();
    let mut out = String::from("true_time_s");
    for i in 0..nodes {
        out.push_str(&format!(",offset_{}_ms", NodeId(i as u32)));
    }
    out.push_str(",skew_ms,after_sync\n");
    for s in &run.samples {
        out.push_str(&format!("{:.6}", secs(s.at)));
        for o in &s.offsets {
            out.push_str(&format!(",{:.6}", ms(*o)));
        }
        out.push_str(&format!(",{:.6},{}\n", ms(s.skew), u8::from(s.after_sync)));
    }
    out
}

fn sync_line(e: &SyncEvent) -> String {
    match e {
        SyncEvent::Berkeley { at, report } => {
            let outliers: Vec<String> = report
                .samples
                .iter()
                .filter(|s| s.outlier)
                .map(|s| s.node.to_string())
                .collect();
            format!(
                "{:.2} s — Berkeley round {} led by {}: average offset {:+.3} ms{}",
                secs(*at),
                report.round,
                report.leader,
                ms(report.average_offset),
                if outliers.is_empty() {
                    String::new()
                } else {
                    format!("; left out as outliers: {}", outliers.join(", "))
                }
            )
        }
        SyncEvent::Cristian {
            at,
            node,
            exchange,
            applied,
        } => format!(
            "{:.2} s — Cristian at {node}: RTT {:.3} ms, correction {:+.3} ms{}",
            secs(*at),
            ms(exchange.rtt),
            ms(exchange.offset),
            if *applied { "" } else { " (discarded)" }
        ),
    }
}

#[function_component(ClockDriftRun)]
fn clock_drift_run(props: &RunProps) -> Html {
    let result = use_memo(props.params.clone(), |p| {
        drift::run(p).map(|mut run| {
            let trace = std::mem::replace(&mut run.trace, Trace::new(0));
            let plots = series(&run, &trace);
            Shown {
                trace: SharedTrace::from(trace),
                run: Rc::new(run),
                plots,
            }
        })
    });
    let total = result
        .as_ref()
        .as_ref()
        .map_or(0, |s| s.trace.events().len());
    let playback = use_lab_playback(total, 3, props.seek);
    let selected = use_state(|| None::<EventId>);
    let compare = use_state(|| None::<EventId>);
    use_playback_timer(playback.clone());
    use_playback_keys(playback.clone());
    let p = &props.params;
    let export_name = format!(
        "clock-drift-{}-{}-seed{}",
        choice_name(&METHODS, p.method),
        choice_name(&ADJUSTS, p.adjust),
        p.seed
    );
    let exports = use_trace_exports(
        export_name.clone(),
        result.as_ref().as_ref().ok().map(|s| s.trace.clone()),
    );
    let shown = match result.as_ref() {
        Ok(s) => s,
        Err(e) => {
            return html! { <div class="notice error" role="alert">{ format!("This run cannot be simulated: {e}") }</div> }
        }
    };
    let (trace, run) = (shown.trace.clone(), shown.run.clone());
    let end = Instant::from_millis(i64::from(p.duration_s) * 1_000);
    let t = true_time_at(&trace, playback.position, end);
    let now = run
        .samples
        .iter()
        .take_while(|s| s.at <= t)
        .last()
        .or(run.samples.first());
    let skew_now = now.map_or(0.0, |s| ms(s.skew));
    let worst = run
        .samples
        .iter()
        .take_while(|s| s.at <= t)
        .map(|s| ms(s.skew))
        .fold(0.0, f64::max);
    let on_select = {
        let selected = selected.clone();
        Callback::from(move |e: EventId| selected.set(Some(e)))
    };
    let on_compare = {
        let compare = compare.clone();
        Callback::from(move |e: EventId| compare.set(Some(e)))
    };
    let (offsets, skews) = shown.plots.clone();
    let cursor = Some(secs(t));
    html! {
        <div class="run">
            <p class="run-summary">
                { format!("{} nodes · {} events · {} messages · {} syncs · {} backward steps in the samples",
                    trace.node_count(), trace.events().len(), trace.messages().len(), run.syncs.len(), run.backward_steps()) }
                if trace.events().is_empty() {
                    { " — without sync the nodes never talk, so the diagram stays empty; the plots show the drift" }
                }
            </p>
            <InvariantBadges invariants={invariants(&run, p, t)} />
            <dl class="readout">
                <dt>{"true time"}</dt><dd class="time-now">{ format!("{:.2} s", secs(t)) }</dd>
                <dt>{"skew now"}</dt><dd class="skew-now" data-ms={format!("{skew_now:.6}")}>{ format!("{skew_now:.3} ms") }</dd>
                <dt>{"max skew so far"}</dt><dd class="skew-max" data-ms={format!("{worst:.6}")}>{ format!("{worst:.3} ms") }</dd>
                <dt>{"bound once synced"}</dt><dd class="skew-bound">{ format!("{:.3} ms", ms(run.bound)) }</dd>
            </dl>
            <PlaybackControls playback={playback.clone()} />
            <div class="run-body">
                <SpaceTimeDiagram trace={trace.clone()} shown={playback.position} selected={*selected} {on_select}
                    compare={*compare} {on_compare} />
                <EventInspector trace={trace} selected={*selected} compare={*compare} />
            </div>
            <div class="plots">
                <Plot series={offsets} title="Offset from true time per node" x_label="true time (s)" y_label="offset (ms)" {cursor} />
                <Plot series={skews} title="Skew (max − min reading); shaded: the bound" x_label="true time (s)" y_label="skew (ms)"
                    {cursor} band={Some((0.0, ms(run.bound)))} />
            </div>
            <h3>{"Sync events"}</h3>
            if run.syncs.is_empty() {
                <p class="syncs-none">{"No synchronisation: nothing pulls the clocks together."}</p>
            } else {
                <ol class="syncs">
                    { for run.syncs.iter().map(|e| html! {
                        <li class={classes!(if e.at() <= t { "past" } else { "future" })}>{ sync_line(e) }</li>
                    }) }
                </ol>
            }
            <ExportMenu name={export_name.clone()} texts={exports.iter().cloned().chain([TextExport {
                label: "CSV",
                filename: format!("{export_name}.csv"),
                mime: "text/csv",
                contents: { let run = run.clone(); Rc::new(move || samples_csv(&run)) },
            }]).collect::<Vec<_>>()} />
            <p class="keys">{"Keys: Space play/pause · ←/→ step · Home/End · +/− speed · Tab to an event, Enter to select"}</p>
        </div>
    }
}

/// The lab's guided tour.
pub fn tour_steps() -> Vec<TourStep> {
    vec![
        TourStep {
            title: "Clocks drift apart",
            text: "With no synchronisation each clock keeps its own rate: the offsets are straight lines and the skew \
                   grows for ever. No bound holds.",
            query: Some("method=none&nodes=4&drift=200&skew=100&duration=120&tick=1000&seed=1"),
            at: Some(1.0),
        },
        TourStep {
            title: "Berkeley pulls them together",
            text: "Every 20 s the leader polls, averages and sends each node its correction: the skew drops to a few \
                   milliseconds at each sync (the blue comb) and creeps up in between.",
            query: Some("method=berkeley&adjust=step&nodes=4&drift=200&skew=100&duration=120&tick=1000&seed=1"),
            at: Some(1.0),
        },
        TourStep {
            title: "Stepping moves a clock backwards",
            text: "A clock jumps 10 s ahead at 48 s. Berkeley leaves it out of the average as an outlier and steps it back \
                   at the next round: its clock reads less than a moment before — the monotonic badge turns red.",
            query: Some("method=berkeley&adjust=step&nodes=4&drift=200&skew=100&duration=120&tick=1000&seed=1&jump=10000&jump_at=48&jump_node=3"),
            at: Some(0.75),
        },
        TourStep {
            title: "Slewing keeps time moving forward",
            text: "Same jump, slewed at 500 ppm: the clock is pulled back by running slow, never backwards. Monotonic stays \
                   green — but 10 s at 500 ppm takes 5.5 hours, so the skew stays large. That is why NTP steps above 128 ms.",
            query: Some("method=berkeley&adjust=slew&nodes=4&drift=200&skew=100&duration=120&tick=1000&seed=1&jump=10000&jump_at=48&jump_node=3"),
            at: Some(1.0),
        },
        TourStep {
            title: "Cristian against a time server",
            text: "Each client asks the server (a perfect clock) and adds half the round trip. An asymmetric path \
                   (40 ms more out of the server) shifts every client by half the asymmetry: the error Cristian cannot see.",
            query: Some("method=cristian&adjust=step&nodes=4&drift=200&skew=100&duration=120&tick=1000&seed=1&asym=40"),
            at: Some(1.0),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_of(query: &str) -> (Params, Run) {
        let (p, notes) = params_from_query(&Query::parse(query));
        assert!(notes.is_empty(), "{query}: {notes:?}");
        let run = drift::run(&p).unwrap();
        (p, run)
    }

    fn end(p: &Params) -> Instant {
        Instant::from_millis(i64::from(p.duration_s) * 1_000)
    }

    fn holds(run: &Run, p: &Params, name: &str) -> bool {
        invariants(run, p, end(p))
            .into_iter()
            .find(|i| i.name.starts_with(name))
            .unwrap()
            .holds
    }

    #[test]
    fn query_round_trips_and_bad_values_are_noted() {
        let p = toggled_jump(&Params {
            method: Method::Cristian,
            adjust: AdjustMode::Hybrid,
            ..lab_defaults()
        });
        let qs: Vec<String> = params_to_query(&p)
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let (back, notes) = params_from_query(&Query::parse(&qs.join("&")));
        assert_eq!(back, p);
        assert!(notes.is_empty());
        assert_eq!(toggled_jump(&p).jump_ms, 0);

        let (p, notes) = params_from_query(&Query::parse(
            "nodes=99&method=sundial&jump=-99999999&leader=7",
        ));
        assert_eq!(p.nodes, *NODES.end());
        assert_eq!(p.method, lab_defaults().method);
        assert_eq!(p.jump_ms, *JUMP_MS.start());
        assert_eq!(notes.len(), 3, "{notes:?}");
    }

    #[test]
    fn the_tour_shows_what_it_says() {
        let steps = tour_steps();
        let q = |i: usize| steps[i].query.unwrap();
        let (p0, none) = run_of(q(0));
        let (p1, berkeley) = run_of(q(1));
        let last = |r: &Run| r.samples.last().unwrap().skew;
        assert!(
            last(&berkeley).as_nanos() * 10 < last(&none).as_nanos(),
            "sync reduces the skew"
        );
        assert!(!holds(&none, &p0, "skew"));
        assert!(holds(&berkeley, &p1, "skew") && holds(&berkeley, &p1, "monotonic"));
        let (p2, stepped) = run_of(q(2));
        assert!(!holds(&stepped, &p2, "monotonic"), "stepping back is seen");
        let at = first_backward_step(&stepped, end(&p2)).unwrap().1;
        assert!(at <= Instant::from_millis((p2.duration_s as f64 * 750.0) as i64));
        let (p3, slewed) = run_of(q(3));
        assert!(holds(&slewed, &p3, "monotonic"), "slewing never goes back");
        let (_, cristian) = run_of(q(4));
        assert!(cristian
            .syncs
            .iter()
            .all(|e| matches!(e, SyncEvent::Cristian { .. })));
    }

    #[test]
    fn csv_has_a_row_per_sample_and_a_column_per_node() {
        let (p, run) = run_of("method=berkeley");
        let csv = samples_csv(&run);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), run.samples.len() + 1);
        assert!(lines
            .iter()
            .all(|l| l.split(',').count() == p.nodes as usize + 3));
    }

    #[test]
    fn backward_steps_are_found_only_up_to_the_cursor() {
        let (p, run) = run_of(tour_steps()[2].query.unwrap());
        let (_, at, by) = first_backward_step(&run, end(&p)).unwrap();
        assert!(by > Span::from_millis(9_000));
        assert!(first_backward_step(&run, at - Span::from_nanos(1)).is_none());
    }
}
