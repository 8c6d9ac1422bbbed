//! The Clock-drift & sync lab: quartz clocks drifting apart, kept together by Cristian's
//! algorithm (1989) or Berkeley (Gusella & Zatti 1989), or by nothing; corrections stepped,
//! slewed or NTP-hybrid (Mills, RFC 5905). The run is the core's
//! [`drift`](chronoscope::scenario::drift) scenario; this page draws its trace, plots each
//! node's offset from true time and the skew (max − min) with the playback position as the
//! cursor, and checks live that no clock went backwards and that the skew stays within the
//! bound once synchronised.
//!
//! Seed and parameters live in the URL (`#/lab/clock-drift?method=cristian&adjust=slew&…`).

use std::rc::Rc;

use chronoscope::node::NodeId;
use chronoscope::scenario::drift::{self, Params, Run, SyncEvent, SPEC};
use chronoscope::time::{Instant, Span};
use chronoscope::trace::Trace;
use yew_router::prelude::*;

use super::kit::{self, go, prelude::*, true_time_at};

/// The lab's URL slug.
pub const SLUG: &str = "clock-drift";

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

/// The lab page: reads the URL, runs the scenario, shows the run.
#[function_component(ClockDriftLab)]
pub fn clock_drift_lab() -> Html {
    let (params, notes, seek, on_tour) = use_lab_page(SLUG, &SPEC);
    let navigator = use_navigator();
    let jump = {
        let next = toggled_jump(&params);
        Callback::from(move |_: MouseEvent| go(&navigator, SLUG, &kit::write(&SPEC, &next)))
    };
    let explain = html! {
                {"Every node's quartz clock runs a little fast or slow (tens to hundreds of ppm), so without help the clocks \
                drift apart linearly. Cristian's algorithm (Cristian 1989, “Probabilistic clock synchronization”) asks a time \
                server and sets the clock to its answer plus half the round trip — wrong by at most RTT/2. The Berkeley \
                algorithm (Gusella & Zatti 1989) has a leader poll everyone, average the readings while leaving out outliers, \
                and send each node its own correction. How a correction is applied matters: stepping jumps the clock at once, \
                and can move it backwards — timestamps repeat, durations go negative; NTP (Mills, RFC 5905) instead slews \
                small corrections by running the clock up to 500 ppm faster or slower, and steps only above 128 ms. \
                Press “clock jump” to throw one clock 10 s ahead and watch step and slew pull it back."}
    };
    page(
        SLUG,
        "Clock drift & sync",
        explain,
        html! { <>
                <LabControls slug={SLUG} spec={SpecRef(&SPEC)} values={kit::write(&SPEC, &params)} {notes} steps={tour_steps()} {on_tour} />
                <p class="lab-actions">
                    <button type="button" class="jump-button" onclick={jump} aria-pressed={(params.jump_ms != 0).to_string()}>
                        { if params.jump_ms != 0 { format!("✕ Remove the clock jump ({:+} ms)", params.jump_ms) } else { "⚡ Clock jump (+10 s)".to_string() } }
                    </button>
                </p>
                <LabRunView<Params, Shown> {params} {seek} run={&RUN} />
        </> },
    )
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

static RUN: RunSpec<Params, Shown> = RunSpec::new(
    |p| {
        let mut run = drift::run(p).map_err(|e| e.to_string())?;
        let trace = std::mem::replace(&mut run.trace, Trace::new(0));
        let plots = series(&run, &trace);
        Ok(Shown {
            trace: SharedTrace::from(trace),
            run: Rc::new(run),
            plots,
        })
    },
    view,
    |p| {
        let q = kit::write(&SPEC, p);
        format!("clock-drift-{}-{}-seed{}", q["method"], q["adjust"], p.seed)
    },
)
.at_speed(3);

impl Traced for Shown {
    fn shared_trace(&self) -> SharedTrace {
        self.trace.clone()
    }
}

fn view(p: &Params, shown: &Shown, lab: &LabRun) -> Html {
    let playback = &lab.playback;
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
            <InvariantBadges invariants={run.invariants(p, t)} />
            <dl class="readout">
                <dt>{"true time"}</dt><dd class="time-now">{ format!("{:.2} s", secs(t)) }</dd>
                <dt>{"skew now"}</dt><dd class="skew-now" data-ms={format!("{skew_now:.6}")}>{ format!("{skew_now:.3} ms") }</dd>
                <dt>{"max skew so far"}</dt><dd class="skew-max" data-ms={format!("{worst:.6}")}>{ format!("{worst:.3} ms") }</dd>
                <dt>{"bound once synced"}</dt><dd class="skew-bound">{ format!("{:.3} ms", ms(run.bound)) }</dd>
            </dl>
            <PlaybackControls playback={playback.clone()} />
            { lab.body(&trace, None, None) }
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
            { lab.footer(lab.export_name.clone(), vec![csv_export(&lab.export_name, move || samples_csv(&run))]) }
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
        let p = kit::quiet(&SPEC, query);
        let run = drift::run(&p).unwrap();
        (p, run)
    }

    fn end(p: &Params) -> Instant {
        Instant::from_millis(i64::from(p.duration_s) * 1_000)
    }

    fn holds(run: &Run, p: &Params, name: &str) -> bool {
        run.invariants(p, end(p))
            .into_iter()
            .find(|i| i.name.starts_with(name))
            .unwrap()
            .holds
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
        let at = stepped.first_backward_step(end(&p2)).unwrap().1;
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
        let (_, at, by) = run.first_backward_step(end(&p)).unwrap();
        assert!(by > Span::from_millis(9_000));
        assert!(run.first_backward_step(at - Span::from_nanos(1)).is_none());
    }
}
