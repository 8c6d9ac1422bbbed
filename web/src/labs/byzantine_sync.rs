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
use chronoscope::time::{Instant, Span};
use chronoscope::trace::Trace;

use super::byzantine_marzullo::{MarzulloPanel, SharedRun};
use super::kit::{self, prelude::*, true_time_at};

/// The lab's URL slug.
pub const SLUG: &str = "byzantine-sync";

/// The lab page: reads the URL, runs the scenario, shows the run.
#[function_component(ByzantineSyncLab)]
pub fn byzantine_sync_lab() -> Html {
    html! {
        <LabPage<Params, Shown> slug={SLUG} title="Byzantine clock sync" explain={EXPLAIN} spec={&SPEC} tour={tour_steps as fn() -> Vec<TourStep>} run={&RUN} />
    }
}

const EXPLAIN: &str = "Each round every node broadcasts its clock, estimates everyone else's from the messages, and corrects \
                its own by a fault-tolerant average: drop the f highest and f lowest estimates, average the rest \
                (Lundelius Welch & Lynch 1988, “A new fault-tolerant algorithm for clock synchronization”). A liar that \
                tells everyone the same wrong time is simply dropped. A two-faced liar tells the fast half it is ahead and \
                the slow half it is behind — and with n = 3f nodes that is enough to keep the correct clocks from ever \
                agreeing, so drift drives them apart: as for Byzantine agreement (Lamport, Shostak & Pease 1982), clock \
                synchronisation needs n ≥ 3f + 1 (Dolev, Halpern & Strong 1984). Marzullo's algorithm (1984), which NTP \
                refines (Mills), makes the same cut on intervals: believe only the time covered by at least n − f sources.";

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

static RUN: RunSpec<Params, Shown> = RunSpec::new(
    |p| {
        let mut run = byzantine_sync::run(p).map_err(|e| e.to_string())?;
        let trace = std::mem::replace(&mut run.trace, Trace::new(0));
        let plots = series(&run, p, trace.node_count());
        Ok(Shown {
            trace: SharedTrace::from(trace),
            run: Rc::new(run),
            plots,
        })
    },
    view,
    |p| {
        format!(
            "byzantine-n{}-f{}-{}-seed{}",
            p.nodes,
            p.tolerate,
            kit::write(&SPEC, p)["strategy"],
            p.seed
        )
    },
)
.at_speed(5);

impl Traced for Shown {
    fn shared_trace(&self) -> SharedTrace {
        self.trace.clone()
    }
}

fn view(p: &Params, shown: &Shown, lab: &LabRun) -> Html {
    let playback = &lab.playback;
    let (trace, run) = (shown.trace.clone(), shown.run.clone());
    let end = run.samples.last().map_or(Instant::ZERO, |s| s.at);
    let t = true_time_at(&trace, playback.position, end);
    let (offsets, skews) = shown.plots.clone();
    let band = p.reference().and_then(|r| r.bound()).map(|b| (0.0, ms(b)));
    let cursor = Some(t.as_millis_f64() / f64::from(p.round_ms));
    let skew_now = run
        .samples
        .iter()
        .take_while(|s| s.at <= t)
        .last()
        .map_or(0.0, |s| ms(s.correct_skew));
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
            { lab.body(&trace, None, None) }
            <div class="plots">
                <Plot series={offsets} title="Offset from true time per node" x_label="round" y_label="offset (ms)" cursor={cursor} />
                <Plot series={skews} title="Skew of the correct clocks; shaded: the bound" x_label="round" y_label="skew (ms)"
                    cursor={cursor} band={band} />
            </div>
            <MarzulloPanel run={SharedRun(run.clone())} params={p.clone()} {t} />
            { lab.footer(lab.export_name.clone(), vec![csv_export(&lab.export_name, move || samples_csv(&run))]) }
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
}
