//! The Byzantine clock-sync lab: `n` clocks synchronise in rounds (Lundelius Welch & Lynch
//! 1988) while `faulty` of them lie — the same lie to all, a different one to each half
//! (two-faced), adaptively, at random, or by silence. With `n ≥ 3f + 1` the fault-tolerant
//! average keeps the correct clocks within a bound; with `n = 3f` a two-faced liar keeps them
//! from converging while drift drives them apart (the `n > 3f` bound of Lamport, Shostak &
//! Pease 1982 and Dolev, Halpern & Strong 1984).
//!
//! The run is the core's [`byzantine_sync`](chronoscope::scenario::byzantine_sync) scenario.
//! Each round's estimates of one node are also drawn as Marzullo intervals (Marzullo 1984),
//! with the core's fault-tolerant [`intersection`](chronoscope::sync::marzullo::intersection).

use std::rc::Rc;

use chronoscope::node::NodeId;
use chronoscope::scenario::byzantine_sync::{self, Params, Run, SPEC};
use chronoscope::sync::marzullo::{intersection, Agreement, Interval, MarzulloError};
use chronoscope::sync::welch_lynch::RoundOutput;
use chronoscope::time::{Instant, Span};
use chronoscope::trace::Trace;

use super::kit::{self, prelude::*, true_time_at};

/// The lab's URL slug.
pub const SLUG: &str = "byzantine-sync";

/// The lab page: reads the URL, runs the scenario, shows the run.
#[function_component(ByzantineSyncLab)]
pub fn byzantine_sync_lab() -> Html {
    let (params, notes, seek, on_tour) = use_lab_page(SLUG, &SPEC);
    let run_key = format!("{params:?}");
    html! {
        <section class="lab" id="lab-byzantine-sync">
            <h2>{"Byzantine clock sync"}</h2>
            <p class="explain">
                {"Each round every node broadcasts its clock, estimates everyone else's from the messages, and corrects \
                its own by a fault-tolerant average: drop the f highest and f lowest estimates, average the rest \
                (Lundelius Welch & Lynch 1988, “A new fault-tolerant algorithm for clock synchronization”). A liar that \
                tells everyone the same wrong time is simply dropped. A two-faced liar tells the fast half it is ahead and \
                the slow half it is behind — and with n = 3f nodes that is enough to keep the correct clocks from ever \
                agreeing, so drift drives them apart: as for Byzantine agreement (Lamport, Shostak & Pease 1982), clock \
                synchronisation needs n ≥ 3f + 1 (Dolev, Halpern & Strong 1984). Marzullo's algorithm (1984), which NTP \
                refines (Mills), makes the same cut on intervals: believe only the time covered by at least n − f sources."}
            </p>
            <LabControls slug={SLUG} spec={SpecRef(&SPEC)} values={kit::write(&SPEC, &params)} {notes} steps={tour_steps()} {on_tour} />
            <ByzantineRun key={run_key} {params} {seek} />
        </section>
    }
}

struct Shown {
    trace: SharedTrace,
    run: Rc<Run>,
    plots: (Rc<Vec<Series>>, Rc<Vec<Series>>),
}

fn ms(s: Span) -> f64 {
    s.as_millis_f64()
}

/// The plots: every node's offset from true time, and the correct clocks' skew next to what
/// the bound allows (x in rounds).
pub fn series(run: &Run, p: &Params, nodes: u32) -> (Rc<Vec<Series>>, Rc<Vec<Series>>) {
    let round = f64::from(p.round_ms);
    let x = |at: Instant| at.as_millis_f64() / round;
    let offsets = (0..nodes)
        .map(|i| {
            let node = NodeId(i);
            let liar = !run.correct.contains(&node);
            Series {
                name: format!("{node}{}", if liar { " (liar)" } else { "" }),
                points: run
                    .samples
                    .iter()
                    .map(|s| (x(s.at), ms(s.offsets[i as usize])))
                    .collect(),
                color: if liar {
                    (197, 48, 48)
                } else {
                    PALETTE[i as usize % PALETTE.len()]
                },
            }
        })
        .collect();
    let mut skews = vec![Series {
        name: "correct-clock skew".into(),
        points: run
            .samples
            .iter()
            .map(|s| (x(s.at), ms(s.correct_skew)))
            .collect(),
        color: PALETTE[0],
    }];
    if let Some(r) = p.reference() {
        skews.push(Series {
            name: format!("allowed (n = {})", r.nodes),
            points: run
                .samples
                .iter()
                .filter_map(|s| r.allowed_at(s.at).map(|a| (x(s.at), ms(a))))
                .collect(),
            color: (47, 133, 90),
        });
    }
    (Rc::new(offsets), Rc::new(skews))
}

/// The samples as CSV: true time, each node's offset (ms, liars marked `*`) and the
/// correct clocks' skew.
pub fn samples_csv(run: &Run) -> String {
    let nodes = run.samples.first().map_or(0, |s| s.offsets.len());
    let mut out = String::from("true_time_s");
    for i in 0..nodes {
        let node = NodeId(i as u32);
        let mark = if run.correct.contains(&node) { "" } else { "*" };
        out.push_str(&format!(",offset_{node}{mark}_ms"));
    }
    out.push_str(",correct_skew_ms\n");
    for s in &run.samples {
        out.push_str(&format!("{:.6}", s.at.as_millis_f64() / 1e3));
        for o in &s.offsets {
            out.push_str(&format!(",{:.6}", ms(*o)));
        }
        out.push_str(&format!(",{:.6}\n", ms(s.correct_skew)));
    }
    out
}

/// One node's view of a round as Marzullo intervals: each source's estimate ± the delay
/// uncertainty, and the core's fault-tolerant intersection of them.
#[derive(Clone, Debug, PartialEq)]
pub struct MarzulloView {
    /// The round.
    pub round: u64,
    /// True time of the node's report.
    pub at: Instant,
    /// Each source's interval (relative to the node's clock).
    pub sources: Vec<(NodeId, Interval)>,
    /// Covered by at least `n − f` sources.
    pub agreed: Result<Agreement, MarzulloError>,
    /// The correction the node applied.
    pub correction: Span,
}

/// `node`'s last round report at or before `t`, as intervals.
pub fn marzullo_view(run: &Run, p: &Params, node: NodeId, t: Instant) -> Option<MarzulloView> {
    let eps =
        Span::from_micros((i64::from(p.latency_max_ms) - i64::from(p.latency_min_ms)) * 1_000 / 2);
    run.rounds
        .iter()
        .rev()
        .filter(|(at, n, _)| *n == node && *at <= t)
        .find_map(|(at, _, out)| match out {
            RoundOutput::Adjusted {
                round,
                estimates,
                correction,
            } => Some((at, round, estimates, correction)),
            RoundOutput::NoAgreement { .. } => None,
        })
        .map(|(at, round, estimates, correction)| {
            let sources: Vec<(NodeId, Interval)> = estimates
                .iter()
                .map(|(n, e)| (*n, Interval::around(Instant::ZERO + *e, eps)))
                .collect();
            let intervals: Vec<Interval> = sources.iter().map(|s| s.1).collect();
            MarzulloView {
                round: *round,
                at: *at,
                agreed: intersection(&intervals, p.tolerate as usize),
                sources,
                correction: *correction,
            }
        })
}

fn marzullo_svg(view: &MarzulloView, correct: &[NodeId]) -> Html {
    let mids: Vec<f64> = view
        .sources
        .iter()
        .map(|(_, i)| ms(i.midpoint().since(Instant::ZERO)))
        .collect();
    // Centre on the agreed interval (or the median estimate) and show the sources near it;
    // those far away are drawn as arrows at the edge with their value.
    let centre = match &view.agreed {
        Ok(a) => ms(a.interval.midpoint().since(Instant::ZERO)),
        Err(_) => {
            let mut m = mids.clone();
            m.sort_by(f64::total_cmp);
            m.get(m.len() / 2).copied().unwrap_or(0.0)
        }
    };
    let mut reach: Vec<f64> = view
        .sources
        .iter()
        .map(|(_, i)| {
            (ms(i.lo.since(Instant::ZERO)) - centre)
                .abs()
                .max((ms(i.hi.since(Instant::ZERO)) - centre).abs())
        })
        .collect();
    reach.sort_by(f64::total_cmp);
    let keep = correct.len().clamp(1, reach.len().max(1));
    let half = (reach.get(keep - 1).copied().unwrap_or(1.0) * 1.25).max(1.0);
    let (w, left, right, row) = (600.0, 90.0, 110.0, 24.0);
    let x =
        |v: f64| left + (w - left - right) * ((v - centre + half) / (2.0 * half)).clamp(0.0, 1.0);
    let height = 30.0 + row * view.sources.len() as f64 + 20.0;
    let agreed = view.agreed.as_ref().ok().map(|a| {
        (
            ms(a.interval.lo.since(Instant::ZERO)),
            ms(a.interval.hi.since(Instant::ZERO)),
        )
    });
    html! {
        <svg class="marzullo" width={w.to_string()} height={height.to_string()} role="img"
            aria-label="Each source's interval and the interval covered by at least n − f of them">
            if let Some((lo, hi)) = agreed {
                <rect class="mz-agreed" x={x(lo).to_string()} y="18" width={(x(hi) - x(lo)).max(2.0).to_string()}
                    height={(row * view.sources.len() as f64 + 8.0).to_string()} />
            }
            <line class="mz-zero" x1={x(0.0).to_string()} x2={x(0.0).to_string()} y1="14" y2={(height - 16.0).to_string()} />
            <text class="mz-axis" x={x(0.0).to_string()} y="12">{"own clock"}</text>
            { for view.sources.iter().enumerate().map(|(k, (node, i))| {
                let (lo, hi) = (ms(i.lo.since(Instant::ZERO)), ms(i.hi.since(Instant::ZERO)));
                let y = 30.0 + row * k as f64;
                let liar = !correct.contains(node);
                let off = if hi < centre - half { Some("◀") } else if lo > centre + half { Some("▶") } else { None };
                html! {
                    <g class={classes!("mz-source", liar.then_some("liar"))}>
                        <text x="4" y={(y + 4.0).to_string()}>{ format!("{node}{}", if liar { " (liar)" } else { "" }) }</text>
                        <rect x={x(lo).to_string()} y={(y - 6.0).to_string()} width={(x(hi) - x(lo)).max(3.0).to_string()} height="12" rx="3" />
                        <text class="mz-value" x={(w - right + 12.0).to_string()} y={(y + 4.0).to_string()}>
                            { format!("{}{:+.2} ms", off.unwrap_or(""), mids[k]) }
                        </text>
                    </g>
                }
            }) }
            <text class="mz-axis" x={left.to_string()} y={(height - 4.0).to_string()}>{ format!("{:+.2} ms", centre - half) }</text>
            <text class="mz-axis" x={(w - right - 50.0).to_string()} y={(height - 4.0).to_string()}>{ format!("{:+.2} ms", centre + half) }</text>
        </svg>
    }
}

#[function_component(ByzantineRun)]
fn byzantine_run(props: &RunProps<Params>) -> Html {
    let result = use_memo(props.params.clone(), |p| {
        byzantine_sync::run(p).map(|mut run| {
            let trace = std::mem::replace(&mut run.trace, Trace::new(0));
            let plots = series(&run, p, trace.node_count());
            Shown {
                trace: SharedTrace::from(trace),
                run: Rc::new(run),
                plots,
            }
        })
    });
    let p = &props.params;
    let export_name = format!(
        "byzantine-n{}-f{}-{}-seed{}",
        p.nodes,
        p.tolerate,
        kit::write(&SPEC, p)["strategy"],
        p.seed
    );
    let lab = use_lab_run(
        result.as_ref().as_ref().ok().map(|s| s.trace.clone()),
        export_name.clone(),
        5,
        props.seek,
    );
    let viewer = use_state(|| NodeId(0));
    let playback = lab.playback.clone();
    let shown = match result.as_ref() {
        Ok(s) => s,
        Err(e) => return run_error(e),
    };
    let (trace, run) = (shown.trace.clone(), shown.run.clone());
    let end = run.samples.last().map_or(Instant::ZERO, |s| s.at);
    let t = true_time_at(&trace, playback.position, end);
    let on_viewer = {
        let viewer = viewer.clone();
        Callback::from(move |e: Event| {
            if let Some(select) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                if let Ok(i) = select.value().parse::<u32>() {
                    viewer.set(NodeId(i));
                }
            }
        })
    };
    let (offsets, skews) = shown.plots.clone();
    let band = p.reference().and_then(|r| r.bound()).map(|b| (0.0, ms(b)));
    let cursor = Some(t.as_millis_f64() / f64::from(p.round_ms));
    let skew_now = run
        .samples
        .iter()
        .take_while(|s| s.at <= t)
        .last()
        .map_or(0.0, |s| ms(s.correct_skew));
    let view = marzullo_view(&run, p, *viewer, t);
    html! {
        <div class="run">
            <p class="run-summary">
                { format!("{} nodes ({} lying, {}) · f = {} · {} events · {} messages · {} rounds of {} ms",
                    trace.node_count(), p.faulty, kit::write(&SPEC, p)["strategy"], p.tolerate,
                    trace.events().len(), trace.messages().len(), p.rounds, p.round_ms) }
            </p>
            <InvariantBadges invariants={run.invariants(p, t)} />
            <dl class="readout">
                <dt>{"true time"}</dt><dd class="time-now">{ format!("{:.2} s", t.as_millis_f64() / 1e3) }</dd>
                <dt>{"correct-clock skew now"}</dt><dd class="skew-now" data-ms={format!("{skew_now:.6}")}>{ format!("{skew_now:.3} ms") }</dd>
                <dt>{"bound"}</dt><dd class="skew-bound">{ match run.bound { Some(b) => format!("{:.3} ms", ms(b)), None => "none (n ≤ 3f, too many liars, or the plain mean)".into() } }</dd>
            </dl>
            <PlaybackControls playback={playback.clone()} />
            <div class="run-body">
                <SpaceTimeDiagram trace={trace.clone()} shown={playback.position} selected={lab.selected}
                    on_select={lab.on_select.clone()} compare={lab.compare} on_compare={lab.on_compare.clone()} />
                <EventInspector trace={trace} selected={lab.selected} compare={lab.compare} />
            </div>
            <div class="plots">
                <Plot series={offsets} title="Offset from true time per node" x_label="round" y_label="offset (ms)" cursor={cursor} />
                <Plot series={skews} title="Skew of the correct clocks; shaded: the bound" x_label="round" y_label="skew (ms)"
                    cursor={cursor} band={band} />
            </div>
            <h3>{"Marzullo intervals"}</h3>
            <p>
                <label>{"as seen by "}
                    <select class="mz-viewer" onchange={on_viewer} aria-label="Whose estimates to show">
                        { for run.correct.iter().map(|n| html! {
                            <option value={n.0.to_string()} selected={*n == *viewer}>{ n.to_string() }</option>
                        }) }
                    </select>
                </label>
            </p>
            { match &view {
                None => html! { <p class="mz-none">{"No round has completed yet at this point of the run."}</p> },
                Some(v) => html! {
                    <>
                        <p class="mz-caption">
                            { format!("Round {} at {:.2} s: each source's estimate relative to {}'s clock, ± the delay uncertainty. ",
                                v.round, v.at.as_millis_f64() / 1e3, *viewer) }
                            { match &v.agreed {
                                Ok(a) => format!("Covered by ≥ n − f = {} sources: [{:+.3}, {:+.3}] ms. The fault-tolerant average corrected by {:+.3} ms.",
                                    p.nodes as usize - (p.tolerate as usize).min(p.nodes as usize),
                                    ms(a.interval.lo.since(Instant::ZERO)), ms(a.interval.hi.since(Instant::ZERO)), ms(v.correction)),
                                Err(e) => format!("No agreement: {e}. The fault-tolerant average corrected by {:+.3} ms.", ms(v.correction)),
                            } }
                        </p>
                        { marzullo_svg(v, &run.correct) }
                    </>
                },
            } }
            <ExportMenu name={export_name.clone()} texts={lab.exports.iter().cloned().chain([TextExport {
                label: "CSV",
                filename: format!("{export_name}.csv"),
                mime: "text/csv",
                contents: { let run = run.clone(); Rc::new(move || samples_csv(&run)) },
            }]).collect::<Vec<_>>()} />
            <p class="keys">{"Keys: Space play/pause · ←/→ step · Home/End · +/− speed · Tab to the diagram, arrow keys between events, Enter to select"}</p>
        </div>
    }
}

/// The lab's guided tour.
pub fn tour_steps() -> Vec<TourStep> {
    vec![
        TourStep {
            title: "Four nodes, one two-faced liar",
            text: "D tells the fast half of A, B, C that it is 500 ms ahead and the slow half that it is 500 ms behind. \
                   Each node drops the highest and lowest estimate: the lie is always one of them. The skew stays in the \
                   shaded bound.",
            query: Some("nodes=4&faulty=1&f=1&strategy=two-faced&lie=500&convergence=fta&drift=1000&rounds=40&seed=1"),
            at: Some(0.5),
        },
        TourStep {
            title: "Marzullo's view of the same round",
            text: "Below the plots: A's estimates as intervals. The liar's is far off to one side; the interval covered \
                   by n − f = 3 sources holds the correct clocks.",
            query: None,
            at: Some(0.5),
        },
        TourStep {
            title: "Three nodes are not enough",
            text: "Now n = 3 = 3f. The fast correct node sees the liar ahead and its peer behind, the slow one the opposite: \
                   each keeps its own clock as the middle value. Nothing pulls them together; drift drives them apart and \
                   the badge turns red.",
            query: Some("nodes=3&faulty=1&f=1&strategy=two-faced&lie=500&convergence=fta&drift=1000&rounds=40&seed=1"),
            at: Some(1.0),
        },
        TourStep {
            title: "The plain mean trusts everyone",
            text: "Back to four nodes with the plain mean: the liar's ±500 ms enters every average, so the correct clocks \
                   are pulled a quarter of the lie apart.",
            query: Some("nodes=4&faulty=1&f=1&strategy=two-faced&lie=500&convergence=mean&drift=1000&rounds=40&seed=1"),
            at: Some(1.0),
        },
        TourStep {
            title: "Seven nodes, two adaptive liars",
            text: "n = 7 tolerates f = 2: two liars splitting the group adaptively still cannot push the correct clocks \
                   out of the bound.",
            query: Some("nodes=7&faulty=2&f=2&strategy=splitting&lie=500&convergence=fta&drift=1000&rounds=40&seed=3"),
            at: Some(1.0),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_of(query: &str) -> (Params, Run) {
        let p = kit::quiet(&SPEC, query);
        let run = byzantine_sync::run(&p).unwrap();
        (p, run)
    }

    fn within(query: &str) -> bool {
        let (p, run) = run_of(query);
        let end = run.samples.last().unwrap().at;
        run.invariants(&p, end)[2].holds
    }

    #[test]
    fn the_tour_shows_what_it_says() {
        let steps = tour_steps();
        let q = |i: usize| steps[i].query.unwrap();
        assert!(within(q(0)), "n = 4 keeps its bound");
        assert!(!within(q(2)), "n = 3 with a two-faced liar drifts apart");
        assert!(within(q(4)), "n = 7 tolerates two splitters");
        let (p, run) = run_of(q(3));
        assert!(!run.invariants(&p, run.samples.last().unwrap().at)[2].holds);
    }

    #[test]
    fn csv_marks_the_liars() {
        let (_, run) = run_of("nodes=4&faulty=1&rounds=3");
        let csv = samples_csv(&run);
        assert!(csv.starts_with("true_time_s,offset_A_ms,offset_B_ms,offset_C_ms,offset_D*_ms,"));
        assert_eq!(csv.lines().count(), run.samples.len() + 1);
    }

    #[test]
    fn marzullo_view_keeps_the_liar_out() {
        let (p, run) = run_of(tour_steps()[0].query.unwrap());
        let end = run.samples.last().unwrap().at;
        let view = marzullo_view(&run, &p, NodeId(0), end).unwrap();
        assert_eq!(view.sources.len(), 4);
        let agreed = view.agreed.unwrap().interval;
        let liar = view.sources.iter().find(|s| s.0 == NodeId(3)).unwrap().1;
        assert!(liar.hi < agreed.lo || liar.lo > agreed.hi);
        assert!(marzullo_view(&run, &p, NodeId(0), Instant::ZERO).is_none());
    }
}
