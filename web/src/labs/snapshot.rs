//! The Snapshot lab: bank nodes move money over FIFO channels while Chandy-Lamport snapshots
//! run (Chandy & Lamport, "Distributed Snapshots", 1985). Markers travel as messages on the
//! space-time diagram; each snapshot's cut is ringed; the page shows the money at every node
//! and in flight at the playback position, a plot of it over time, and each assembled
//! global state with its total checked against the initial total.
//!
//! Everything is computed by `chronoscope::scenario::snapshot`; this file only shows it.

use std::collections::BTreeSet;
use std::rc::Rc;

use chronoscope::node::NodeId;
use chronoscope::scenario::snapshot::{self, Params, Run, SPEC};
use chronoscope::trace::{EventId, Trace};

use super::kit::{prelude::*, time_at};

const SLUG: &str = "snapshot";

/// The lab page: reads the URL, runs the scenario, shows the run.
#[function_component(SnapshotLab)]
pub fn snapshot_lab() -> Html {
    html! {
        <LabPage<Params, Computed> slug={SLUG} title="Snapshot (Chandy-Lamport)" explain={EXPLAIN} spec={&SPEC} tour={tour_steps as fn() -> Vec<TourStep>} run={&RUN} />
    }
}

const EXPLAIN: &str = "Every node holds money and sends random amounts to the others over FIFO channels, so the total never changes — \
                but no node can see it all at once. A Chandy-Lamport snapshot (Chandy & Lamport 1985) records a consistent global \
                state without stopping anyone: the initiator records its balance and sends a marker on every channel; a node that \
                receives its first marker records its balance and forwards markers; money arriving on a channel after the node \
                recorded and before that channel's marker is recorded as in flight. The recorded points form a consistent cut \
                (ringed on the diagram): no money is received inside the cut that was sent outside it, so recorded balances plus \
                in-flight money equal the initial total, even though that state may never have existed at any single instant.";

/// One run, computed once: the trace apart, the rest of the core's report beside it.
struct Computed {
    trace: SharedTrace,
    run: Run,
    cut_events: Shared<BTreeSet<EventId>>,
    series: Rc<Vec<Series>>,
}

fn compute(p: &Params) -> Result<Computed, String> {
    let mut run = snapshot::run(p).map_err(|e| e.to_string())?;
    let trace = SharedTrace::from(std::mem::replace(&mut run.trace, Trace::new(0)));
    let cut_events = run
        .cuts
        .iter()
        .flat_map(|c| c.points.iter().map(|pt| pt.event))
        .collect();
    let mut series: Vec<Series> = (0..p.nodes as usize)
        .map(|i| Series {
            name: format!("{}", NodeId(i as u32)),
            points: run
                .money
                .iter()
                .map(|m| (m.at.as_millis_f64(), m.balances[i] as f64))
                .collect(),
            color: PALETTE[i % PALETTE.len()],
        })
        .collect();
    series.push(Series {
        name: "in flight".into(),
        points: run
            .money
            .iter()
            .map(|m| (m.at.as_millis_f64(), m.in_flight as f64))
            .collect(),
        color: (30, 30, 30),
    });
    Ok(Computed {
        trace,
        run,
        cut_events: Shared(Rc::new(cut_events)),
        series: Rc::new(series),
    })
}

static RUN: RunSpec<Params, Computed> = RunSpec::new(compute, view, |p| {
    format!("snapshot-seed{}-n{}", p.seed, p.nodes)
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
    // Money at the playback position: the last sample at or before it.
    let sample = run
        .money
        .iter()
        .take_while(|m| m.at <= now)
        .last()
        .or(run.money.first());
    let mut invariants: Vec<Invariant> = Vec::new();
    if let Some(m) = sample {
        let sum = m.balances.iter().sum::<u64>() + m.in_flight;
        invariants.push(Invariant {
            name: "money is conserved right now".into(),
            holds: sum == run.initial_total,
            detail: format!(
                "balances {} + in flight {} = {sum} (initial {})",
                m.balances.iter().sum::<u64>(),
                m.in_flight,
                run.initial_total
            ),
        });
    }
    for cut in &run.cuts {
        if let (Some(state), Some(done)) = (&cut.state, cut.completed_at) {
            if done <= now {
                let t = state.total();
                invariants.push(Invariant {
                    name: format!("snapshot {} total = initial total", cut.id),
                    holds: t == run.initial_total,
                    detail: format!("{t} vs {}", run.initial_total),
                });
            }
        }
    }
    let money_now = match sample {
        Some(m) => html! {
            <table class="money-now" aria-label="Money at the playback position">
                <tr><th>{"node"}</th><th>{"balance"}</th></tr>
                { for m.balances.iter().enumerate().map(|(i, b)| html! {
                    <tr class="node-money"><td>{ format!("{}", NodeId(i as u32)) }</td><td>{ b }</td></tr>
                }) }
                <tr class="in-flight"><td>{"in flight"}</td><td>{ m.in_flight }</td></tr>
                <tr class="total-now"><td>{"total"}</td><td>{ m.balances.iter().sum::<u64>() + m.in_flight }</td></tr>
            </table>
        },
        None => html! {},
    };
    let cuts = run.cuts.iter().map(|cut| {
        let recorded: Vec<_> = cut.points.iter().filter(|pt| pt.at <= now).collect();
        let status = match cut.completed_at {
            Some(done) if done <= now => "complete",
            _ if recorded.is_empty() => "not started",
            _ => "markers travelling",
        };
        let complete = status == "complete";
        let state = cut.state.as_ref().filter(|_| complete);
        html! {
            <div class={classes!("cut", status.replace(' ', "-"))} data-snapshot={cut.id.0.to_string()}>
                <h4>{ format!("Snapshot {} — {status}", cut.id) }</h4>
                <p>{"Recorded: "}
                    { for recorded.iter().map(|pt| html! {
                        <span class="cut-point">{ format!("{} ${} @ {:.1} ms  ", pt.node, pt.balance, pt.at.as_millis_f64()) }</span>
                    }) }
                </p>
                if let Some(s) = state {
                    <p>{"In flight: "}
                        { for s.in_flight.iter().filter(|ch| ch.total() > 0).map(|ch| html! {
                            <span class="cut-channel">{ format!("{}→{} ${}  ", ch.from, ch.to, ch.total()) }</span>
                        }) }
                    </p>
                    <p class="cut-total" data-total={s.total().to_string()} data-initial={run.initial_total.to_string()}>
                        { format!("Balances {} + in flight {} = total {} (initial {})",
                            s.total() - s.in_flight_total(), s.in_flight_total(), s.total(), run.initial_total) }
                    </p>
                }
            </div>
        }
    });
    html! {
        <div class="run">
            <p class="run-summary">
                { format!("{} nodes · {} events · initial total ${} · {} snapshots (at most {} at once)",
                    trace.node_count(), trace.events().len(), run.initial_total, run.cuts.len(), run.max_concurrent()) }
            </p>
            <PlaybackControls playback={playback.clone()} />
            <InvariantBadges {invariants} />
            { lab.body(&trace, Some(c.cut_events.clone()), None) }
            <div class="lab-state">
                <div>
                    <h3>{ format!("Money at {now_ms:.1} ms") }</h3>
                    { money_now }
                </div>
                <div class="cuts">
                    <h3>{"Snapshots (ringed events are the cut)"}</h3>
                    { for cuts }
                </div>
            </div>
            <Plot series={c.series.clone()} title="Money per node and in flight" x_label="true time (ms)"
                y_label="$" cursor={Some(now_ms)} />
            { lab.footer(lab.export_name.clone(), vec![]) }
        </div>
    }
}

/// The lab's guided tour.
pub fn tour_steps() -> Vec<TourStep> {
    vec![
        TourStep {
            title: "Money moves, the total does not",
            text: "Each arrow carrying money is a transfer. The plot shows each balance and the money in flight; \
                   their sum stays the initial total, but no node sees it.",
            query: Some("seed=3&nodes=4&snapshots=1&transfers=10&window=150"),
            at: Some(0.3),
        },
        TourStep {
            title: "Markers travel",
            text: "The initiator recorded its balance and sent a marker on every channel. Each node records its balance \
                   when its first marker arrives: those recordings are the ringed events.",
            query: None,
            at: Some(0.6),
        },
        TourStep {
            title: "The cut adds up",
            text: "At the end, the recorded balances plus the money recorded in flight equal the initial total: \
                   the badge is green. No single instant had exactly these balances.",
            query: None,
            at: Some(1.0),
        },
        TourStep {
            title: "Several snapshots at once",
            text: "Three snapshots started close together overlap; markers carry their snapshot's id, \
                   so each cut is kept apart and each one adds up.",
            query: Some("seed=3&nodes=4&snapshots=3&transfers=10&window=60"),
            at: Some(1.0),
        },
    ]
}
