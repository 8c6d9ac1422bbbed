//! The TrueTime & commit-wait lab: Spanner-like transactions on nodes whose TrueTime
//! uncertainty ε is a 1 → 7 ms sawtooth (resynced every 30 s, staggered), each picking
//! `s = TT.now().latest` and — with commit wait on — waiting until `TT.after(s)` (Corbett et
//! al., "Spanner", OSDI 2012, §4.1.2–4.2). A committed root transaction tells another node,
//! which at once starts a follow-up; the external-consistency badge checks every pair and
//! turns red when commit wait is off and a follow-up gets a smaller timestamp.
//!
//! Parameters live in the URL (`#/lab/true-time?wait=0&…`).

use std::rc::Rc;

use chronoscope::scenario::true_time::{self, Params, TrueTimeRun, Txn, SPEC};
use chronoscope::trace::EventId;
use yew_router::prelude::*;

use super::kit::{self, prelude::*};

const SLUG: &str = "true-time";
/// The key the commit-wait switch above the form sets.
const WAIT: &[&str] = &["wait"];

/// The lab page: reads the URL, runs the scenario, shows the run.
#[function_component(TrueTimeLab)]
pub fn true_time_lab() -> Html {
    let (params, notes, seek, on_tour) = use_lab_page(SLUG, &SPEC);
    let navigator = use_navigator();
    let query = kit::write(&SPEC, &params);
    let toggle_wait = {
        let next = kit::with(&query, "wait", u32::from(!params.commit_wait));
        Callback::from(move |_: Event| kit::go(&navigator, SLUG, &next))
    };
    let explain = html! {
                {"Spanner's TrueTime (Corbett et al., OSDI 2012, §3) answers TT.now() with an interval [earliest, latest] \
                that is guaranteed to hold the true time; its half-width ε grows with the worst-case drift since the last sync \
                with the time masters and drops back at each sync — a 1 → 7 ms sawtooth. A read-write transaction takes \
                s = TT.now().latest as its commit timestamp and then commit-waits until TT.after(s) is true (§4.1.2) before \
                anyone may see the commit. That wait, about 2ε, buys external consistency: if T₂ starts after T₁ has committed, \
                then s₁ < s₂, whatever the clocks of their nodes say (Lemma, §4.2). Turn commit wait off and watch a follow-up \
                on a freshly synced node get a timestamp smaller than the transaction it follows."}
    };
    page(
        SLUG,
        "TrueTime & commit wait",
        explain,
        html! { <>
                { notes_view(&notes) }
                <div class="lab-actions">
                    <label class="commit-wait">
                        <input type="checkbox" name="wait" checked={params.commit_wait} onchange={toggle_wait} />
                        {" commit wait (wait until TT.after(s) before the commit is visible)"}
                    </label>
                </div>
                <Tour steps={tour_steps()} on_move={on_tour} />
                <ParamForm slug={SLUG} spec={SpecRef(&SPEC)} values={query.clone()} elsewhere={WAIT} />
                <LabRunView<Params, Prepared> {params} {seek} run={&RUN} />
        </> },
    )
}

struct Prepared {
    run: TrueTimeRun,
    trace: SharedTrace,
    epsilon: Rc<Vec<Series>>,
}

fn prepare(params: &Params) -> Result<Prepared, String> {
    let run = true_time::run(params).map_err(|e| e.to_string())?;
    let epsilon = Rc::new(
        run.epsilon
            .iter()
            .enumerate()
            .map(|(i, points)| Series {
                name: format!("ε at {}", chronoscope::node::NodeId(i as u32)),
                points: points
                    .iter()
                    .map(|(t, e)| (t.as_millis_f64() / 1_000.0, e.as_millis_f64()))
                    .collect(),
                color: PALETTE[i % PALETTE.len()],
            })
            .collect(),
    );
    let trace = SharedTrace::from(run.trace.clone());
    Ok(Prepared {
        run,
        trace,
        epsilon,
    })
}

static RUN: RunSpec<Params, Prepared> = RunSpec::new(prepare, view, |p| {
    format!("true-time-seed{}-wait{}", p.seed, u8::from(p.commit_wait))
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
    let (decided, violated) = run.external_consistency(shown);
    let begun: Vec<&Txn> = run
        .txns
        .iter()
        .filter(|t| t.begin.index() < shown)
        .collect();
    let contained = begun.iter().all(|t| t.interval.contains(t.start));
    let invariants = vec![
        Invariant {
            name: "external consistency".into(),
            holds: violated == 0,
            detail: format!(
                "{decided} pairs (T₁ visible before T₂ starts) checked, {violated} with s₁ ≥ s₂"
            ),
        },
        Invariant {
            name: "TT.now() holds true time".into(),
            holds: contained,
            detail: format!("{} transactions started", begun.len()),
        },
    ];
    let cursor = cursor_s(&trace, shown);
    let select_pair = lab.select_pair.clone();
    let waits: Vec<f64> = run.txns.iter().map(|t| t.wait.as_millis_f64()).collect();
    let mean_wait = waits.iter().sum::<f64>() / waits.len().max(1) as f64;
    html! {
        <div class="run">
            <p class="run-summary">
                { format!("{} nodes · {} events · {} transactions · {} syncs · mean commit wait {:.2} ms",
                    trace.node_count(), trace.events().len(), run.txns.len(), run.syncs.len(), mean_wait) }
            </p>
            <InvariantBadges {invariants} />
            <PlaybackControls playback={playback.clone()} />
            { lab.body(&trace, None, None) }
            <Plot series={prepared.epsilon.clone()} title="TrueTime uncertainty ε (the sawtooth)"
                x_label="true time (s)" y_label="ε (ms)" {cursor} />
            { timeline(run, shown) }
            { violations_table(run, shown, select_pair) }
            { lab.footer(lab.export_name.clone(), vec![]) }
        </div>
    }
}

const PX_PER_MS: f64 = 14.0;
const WINDOW_MS: (f64, f64) = (-9.0, 23.0);
const LABEL_W: f64 = 150.0;
const ROW_H: f64 = 22.0;

/// Each root transaction and its follow-up on one axis (ms from the root's true start):
/// the `[earliest, latest]` interval, the true start, `s`, and the commit-wait bar.
fn timeline(run: &TrueTimeRun, shown: usize) -> Html {
    let x = |ms: f64| LABEL_W + (ms.clamp(WINDOW_MS.0, WINDOW_MS.1) - WINDOW_MS.0) * PX_PER_MS;
    let width = LABEL_W + (WINDOW_MS.1 - WINDOW_MS.0) * PX_PER_MS + 10.0;
    let roots: Vec<&Txn> = run.txns.iter().filter(|t| t.follows.is_none()).collect();
    let mut rows = Vec::new();
    for root in &roots {
        if root.begin.index() >= shown {
            continue;
        }
        rows.push((*root, root, false));
        if let Some(f) = run
            .txns
            .iter()
            .find(|t| t.follows == Some(root.id) && t.begin.index() < shown)
        {
            rows.push((f, root, f.s <= root.s));
        }
    }
    let height = 30.0 + rows.len() as f64 * ROW_H;
    let row = |k: usize, (t, root, bad): (&Txn, &&Txn, bool)| {
        let y = 26.0 + k as f64 * ROW_H;
        let rel = |i: chronoscope::time::Instant| i.since(root.start).as_millis_f64();
        let (e0, e1) = (rel(t.interval.earliest), rel(t.interval.latest));
        let (start, s, done) = (rel(t.start), rel(t.s), rel(t.committed));
        let label = match t.follows {
            None => format!(
                "T{} at {} @ {:.3} s",
                t.id,
                t.node,
                t.start.as_millis_f64() / 1e3
            ),
            Some(r) => format!("  ↳ T{} at {} (after T{r})", t.id, t.node),
        };
        html! {
            <g class={classes!("txn", bad.then_some("violation"))} data-txn={t.id.to_string()}>
                <text class="txn-label" x="4" y={(y + 4.0).to_string()}>{ label }</text>
                <rect class="tt-interval" x={x(e0).to_string()} y={(y - 7.0).to_string()}
                    width={(x(e1) - x(e0)).max(1.0).to_string()} height="8">
                    <title>{ format!("TT.now() = [{:.3}, {:.3}] ms (ε = {:.3} ms)", t.interval.earliest.as_millis_f64(),
                        t.interval.latest.as_millis_f64(), t.interval.width().as_millis_f64() / 2.0) }</title>
                </rect>
                <rect class="commit-wait" x={x(start).to_string()} y={(y + 2.0).to_string()}
                    width={(x(done) - x(start)).max(1.0).to_string()} height="4">
                    <title>{ format!("commit wait {:.3} ms", t.wait.as_millis_f64()) }</title>
                </rect>
                <line class="true-start" x1={x(start).to_string()} x2={x(start).to_string()} y1={(y - 9.0).to_string()} y2={(y + 7.0).to_string()} />
                <path class="s-mark" d={format!("M {} {} l 4 -5 l 4 5 l -4 5 z", x(s) - 4.0, y - 3.0)}>
                    <title>{ format!("s = {:.3} ms", t.s.as_millis_f64()) }</title>
                </path>
            </g>
        }
    };
    html! {
        <figure class="txn-timeline-figure">
            <svg class="txn-timeline" width={width.to_string()} height={height.to_string()} role="img"
                aria-label="Transactions: TrueTime intervals, timestamps and commit waits">
                <text class="axis" x={x(0.0).to_string()} y="12">{"root starts (0 ms)"}</text>
                <line class="axis-zero" x1={x(0.0).to_string()} x2={x(0.0).to_string()} y1="16" y2={height.to_string()} />
                { for (0..).zip(rows).map(|(k, r)| row(k, r)) }
            </svg>
            <figcaption>
                {"Each root transaction with its follow-up, in ms from the root's true start: blue bar = TT.now() = [earliest, latest], \
                  black tick = true start, diamond = commit timestamp s, green bar = commit wait (until the commit is visible). \
                  A red row got s ≤ the s of the transaction it follows."}
            </figcaption>
        </figure>
    }
}

fn violations_table(
    run: &TrueTimeRun,
    shown: usize,
    select_pair: Callback<(EventId, EventId)>,
) -> Html {
    let bad: Vec<_> = run
        .violations()
        .filter(|p| run.txns[p.second].begin.index() < shown)
        .collect();
    if bad.is_empty() {
        return html! { <p class="no-violations">{"No external-consistency violation so far."}</p> };
    }
    html! {
        <table class="violations">
            <caption>{"External-consistency violations (click a row to select both commits)"}</caption>
            <thead><tr><th>{"T₁ visible"}</th><th>{"T₂ starts"}</th><th>{"gap"}</th><th>{"s₁"}</th><th>{"s₂"}</th></tr></thead>
            <tbody>
            { for bad.iter().take(50).map(|p| {
                let (a, b) = (run.txns[p.first], run.txns[p.second]);
                let onclick = select_pair.reform(move |_: MouseEvent| (a.commit, b.begin));
                let onkeydown = {
                    let select_pair = select_pair.clone();
                    Callback::from(move |e: KeyboardEvent| {
                        if e.key() == "Enter" {
                            e.prevent_default();
                            select_pair.emit((a.commit, b.begin));
                        }
                    })
                };
                html! {
                    <tr class="violation-row" tabindex="0" {onclick} {onkeydown}>
                        <td>{ format!("T{} at {}", a.id, a.node) }</td>
                        <td>{ format!("T{} at {}", b.id, b.node) }</td>
                        <td>{ format!("{:.3} ms later", p.gap.as_millis_f64()) }</td>
                        <td>{ format!("{:.3} ms", a.s.as_millis_f64()) }</td>
                        <td>{ format!("{:.3} ms (smaller by {:.3} ms)", b.s.as_millis_f64(), a.s.since(b.s).as_millis_f64()) }</td>
                    </tr>
                }
            }) }
            </tbody>
        </table>
    }
}

/// The lab's guided tour.
pub fn tour_steps() -> Vec<TourStep> {
    vec![
        TourStep {
            title: "The ε sawtooth",
            text: "Each node's uncertainty grows by 200 µs per second of possible drift and drops to 1 ms when it syncs \
                   with the time masters, every 30 s. Syncs are staggered, so at any moment nodes have different ε.",
            query: Some("seed=1&nodes=3&txns=10&wait=1&lat_max=3&drift=150"),
            at: Some(0.3),
        },
        TourStep {
            title: "Commit wait",
            text: "Each transaction takes s = TT.now().latest (diamond) and waits (green bar) until TT.after(s): only then \
                   is true time surely past s. The wait is about 2ε. Every pair passes the external-consistency check.",
            query: None,
            at: Some(1.0),
        },
        TourStep {
            title: "Turn commit wait off",
            text: "Now commits are visible at once. A follow-up that starts a few ms later on a node that just synced (small ε) \
                   can pick a smaller s than the transaction it follows: the badge turns red and the table lists the pairs.",
            query: Some("seed=1&nodes=3&txns=10&wait=0&lat_max=3&drift=150"),
            at: Some(1.0),
        },
        TourStep {
            title: "Slower notices hide the bug",
            text: "With notices taking up to 50 ms, most follow-ups start after the uncertainty has passed and this run \
                   has no violation left. Rare is not never, though: Spanner does not bet on it and waits.",
            query: Some("seed=1&nodes=3&txns=10&wait=0&lat_max=50&drift=150"),
            at: Some(1.0),
        },
    ]
}
