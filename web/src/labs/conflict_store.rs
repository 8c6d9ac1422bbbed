//! The Conflict-store lab: one replicated key-value store script (concurrent writes, a causal
//! overwrite, a merge, a far-future tombstone) run under wall-clock LWW, Lamport LWW, vector
//! clocks and dotted version vectors with node A's clock skewed — the core's
//! `scenario::conflict_store`. It shows the acknowledged writes LWW silently drops, the
//! siblings version vectors keep (DeCandia et al. 2007, Dynamo §4.4; Preguiça et al. 2012,
//! dotted version vectors), and the metadata each mechanism pays as the cluster grows
//! (`store::metadata::cost_table`). The lab only views core results; it decides nothing.
//!
//! Seed and parameters live in the URL (`#/lab/conflict-store?strategy=lww&skew=5000&…`).

use std::rc::Rc;

use chronoscope::scenario::conflict_store::{self, LabParams, Params, Report, SPEC};
use chronoscope::store::replica::Output;
use chronoscope::store::{Strategy, WriteId};
use chronoscope::trace::EventId;

use super::conflict_store_compare::{show_value, CompareTable, Runs, SharedRuns};
use super::conflict_store_cost::MetadataCost;
use super::kit::{self, prelude::*};

/// The lab's URL slug.
pub const SLUG: &str = "conflict-store";

/// The lab page: reads the URL, runs the scenario under all four strategies, shows the
/// chosen one.
#[function_component(ConflictStoreLab)]
pub fn conflict_store_lab() -> Html {
    let (params, notes, seek, on_tour) = use_lab_page(SLUG, &SPEC);
    let run_key = format!("{:?}", params.run);
    let explain = html! {
                {"Dynamo (DeCandia et al. 2007, §4.4) replicates each key and accepts writes anywhere, so two writes \
                may not have seen each other. Last-write-wins keeps the version with the highest timestamp — and \
                the highest timestamp belongs to the fastest clock, not the latest write: with node A's clock ahead, \
                writes are acknowledged to their clients and then silently discarded (Kingsbury's Jepsen tests found \
                exactly this in LWW stores). Lamport timestamps keep causal order but still pick an arbitrary winner \
                between concurrent writes. Version vectors compare causal histories instead: a write that covers \
                neither version is concurrent, and both are kept as siblings for the application to merge. Dotted \
                version vectors (Preguiça et al. 2012) do the same with one dot per write, and DVVSet with one entry \
                per replica however many siblings there are — the plot below shows what that saves."}
    };
    page(
        SLUG,
        "Conflict store",
        explain,
        html! { <>
                <LabControls slug={SLUG} spec={SpecRef(&SPEC)} values={kit::write(&SPEC, &params)} {notes} steps={tour_steps()} {on_tour} />
                <ConflictStoreRun key={run_key} params={params.clone()} {seek} />
                <MetadataCost />
        </> },
    )
}

fn run_all(p: &Params) -> Result<Vec<Report>, String> {
    Strategy::ALL
        .iter()
        .map(|&strategy| {
            conflict_store::run(&Params {
                strategy,
                ..p.clone()
            })
            .map_err(|e| e.to_string())
        })
        .collect()
}

/// The trace event acknowledging `write` to its client.
fn ack_event(report: &Report, write: WriteId) -> Option<EventId> {
    report.outputs.iter().find_map(|r| match &r.output {
        Output::Ack { write: w, .. } if *w == write => Some(r.event),
        _ => None,
    })
}

/// The trace event where `write` was first reported lost.
fn lost_event(report: &Report, write: WriteId) -> Option<EventId> {
    report.outputs.iter().find_map(|r| match &r.output {
        Output::Lost { write: w, .. } if *w == write => Some(r.event),
        _ => None,
    })
}

/// The phase (1-based) a true time falls in.
fn phase_of(report: &Report, at: chronoscope::time::Instant) -> u32 {
    report.phases.iter().filter(|p| p.start <= at).count() as u32
}

/// The transcript, restricted to one phase (0: everything): the header, that phase's
/// lines, the summary and the final values.
pub fn transcript_of_phase(lines: &[String], phase: u32) -> Vec<String> {
    if phase == 0 {
        return lines.to_vec();
    }
    let mut out = Vec::new();
    let mut current = 0;
    let body_end = lines.len().saturating_sub(2);
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with("-- ") {
            current += 1;
        }
        if i == 0 || i >= body_end || current == phase {
            out.push(line.clone());
        }
    }
    out
}

#[function_component(ConflictStoreRun)]
fn conflict_store_run(props: &RunProps<LabParams>) -> Html {
    let runs = use_memo(props.params.run.clone(), |p| {
        let reports = run_all(p)?;
        let chosen = Strategy::ALL
            .iter()
            .position(|&s| s == p.strategy)
            .unwrap_or(0);
        let trace = reports
            .get(chosen)
            .map(|r| SharedTrace::from(r.trace.clone()))
            .ok_or_else(|| "no run for this strategy".to_string())?;
        Ok(Runs {
            reports,
            chosen,
            trace,
        })
    });
    let runs = SharedRuns(runs);
    let trace = runs.0.as_ref().as_ref().ok().map(|r| r.trace.clone());
    let export_name = {
        let p = &props.params;
        format!(
            "conflict-store-{}-seed{}-skew{}",
            p.run.strategy.name(),
            p.run.seed,
            p.run.skew_ms
        )
    };
    let lab = use_lab_run(trace, export_name.clone(), 2, props.seek);
    let playback = lab.playback.clone();
    let (report, trace) = match runs.0.as_ref() {
        Ok(r) => (&r.reports[r.chosen], r.trace.clone()),
        Err(e) => return run_error(e),
    };
    // Selecting from a list: show the whole run so the event is on screen.
    let pick = |a: Option<EventId>, b: Option<EventId>| {
        let (playback, on_select, on_compare) = (
            playback.clone(),
            lab.on_select.clone(),
            lab.on_compare.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            playback.dispatch(PlaybackAction::Pause);
            playback.dispatch(PlaybackAction::Last);
            if let Some(a) = a {
                on_select.emit(a);
            }
            if let Some(b) = b {
                on_compare.emit(b);
            }
        })
    };
    let p = &props.params;
    let position = playback.position;
    let shown = |e: Option<EventId>| e.is_some_and(|e| (e.0 as usize) < position);

    let lost_so_far: Vec<String> = report
        .lost
        .iter()
        .filter(|l| shown(lost_event(report, l.write)))
        .map(|l| format!("{} {}={}", l.write, l.key, show_value(&l.value)))
        .collect();
    let invariants = vec![
        Invariant {
            name: "no acknowledged write lost".into(),
            holds: lost_so_far.is_empty(),
            detail: if lost_so_far.is_empty() {
                format!("{} writes acked, none dropped so far", report.acked.len())
            } else {
                format!(
                    "{} of {} acked writes dropped so far: {}",
                    lost_so_far.len(),
                    report.acked.len(),
                    lost_so_far.join(", ")
                )
            },
        },
        Invariant {
            name: "replicas converged".into(),
            holds: report.converged,
            detail: if report.converged {
                format!(
                    "at the end, all {} replicas hold the same versions of every key",
                    p.run.nodes
                )
            } else {
                "at the end, replicas still disagree".into()
            },
        },
    ];

    let in_phase = |at| p.phase == 0 || phase_of(report, at) == p.phase;
    let lost_items: Vec<Html> = report
        .lost
        .iter()
        .filter(|l| {
            report
                .outputs
                .iter()
                .find(|r| matches!(&r.output, Output::Ack { write, .. } if *write == l.write))
                .is_some_and(|r| in_phase(r.at))
        })
        .map(|l| {
            let ack = ack_event(report, l.write);
            let lost = lost_event(report, l.write);
            let acked_at = report
                .outputs
                .iter()
                .find(|r| Some(r.event) == ack)
                .map_or(0, |r| r.at.as_millis());
            html! {
                <li>
                    <button class="lost-write" data-event={ack.map(|e| e.0.to_string())}
                        onclick={pick(ack, lost)}
                        title="select the acknowledgement in the diagram (compared with the drop)">
                        { format!("{} {} = {} — acked at {} ms, dropped at {} ms",
                            l.write, l.key, show_value(&l.value), acked_at, l.at.as_millis()) }
                    </button>
                </li>
            }
        })
        .collect();
    let sibling_items: Vec<Html> = report
        .concurrent
        .iter()
        .filter(|(_, a, _)| {
            report
                .outputs
                .iter()
                .find(|r| matches!(&r.output, Output::Ack { write, .. } if write == a))
                .is_some_and(|r| in_phase(r.at))
        })
        .map(|(key, a, b)| {
            let ea = ack_event(report, *a);
            let eb = ack_event(report, *b);
            html! {
                <li>
                    <button class="sibling-pair" onclick={pick(ea, eb)}
                        title="select both writes in the diagram">
                        { format!("{key}: {a} ∥ {b} — both kept") }
                    </button>
                </li>
            }
        })
        .collect();

    let lines = report.transcript();
    let transcript = transcript_of_phase(&lines, p.phase).join("\n");
    let full_transcript: Rc<dyn Fn() -> String> = {
        let all_lines = lines.join("\n") + "\n";
        Rc::new(move || all_lines.clone())
    };
    let transcript_export = TextExport {
        label: "Transcript",
        filename: format!("{export_name}.txt"),
        mime: "text/plain",
        contents: full_transcript,
    };
    html! {
        <div class="run">
            <CompareTable runs={runs.clone()} params={p.clone()} />
            <p class="run-summary">
                { format!("{} · {} nodes · {} events · {} writes acked · {} lost · {} concurrent pairs",
                    p.run.strategy, trace.node_count(), trace.events().len(), report.acked.len(),
                    report.lost.len(), report.concurrent.len()) }
            </p>
            <InvariantBadges {invariants} />
            <PlaybackControls playback={playback.clone()} />
            { lab.body(&trace, None, None) }
            <div class="store-lists">
                <div class="lost-list">
                    <h3>{ format!("Acked, then lost ({})", lost_items.len()) }</h3>
                    if lost_items.is_empty() {
                        <p class="none">{"No acknowledged write was dropped."}</p>
                    } else {
                        <ul class="lost-writes">{ for lost_items }</ul>
                    }
                </div>
                <div class="sibling-list">
                    <h3>{ format!("Concurrent, kept as siblings ({})", sibling_items.len()) }</h3>
                    if sibling_items.is_empty() {
                        <p class="none">{"No write was reported concurrent: this strategy picks a winner instead."}</p>
                    } else {
                        <ul class="siblings">{ for sibling_items }</ul>
                    }
                </div>
            </div>
            <details class="transcript-box" open=true>
                <summary>{ if p.phase == 0 { "Transcript".to_string() } else { format!("Transcript (phase {})", p.phase) } }</summary>
                <pre class="transcript">{ transcript }</pre>
            </details>
            { lab.footer(export_name, vec![transcript_export]) }
        </div>
    }
}

/// The lab's guided tour.
pub fn tour_steps() -> Vec<TourStep> {
    vec![
        TourStep {
            title: "Acknowledged, then gone",
            text: "Wall-clock LWW, node A's clock 5 s ahead. Every write is acknowledged, yet the red badge and the \
                   'Acked, then lost' list show writes that vanished: B's concurrent eggs, and C's v2 — written after \
                   reading A's v1. Click one to find it in the diagram.",
            query: Some("strategy=lww&skew=5000&nodes=3&latency=50&seed=1&phase=0"),
            at: Some(1.0),
        },
        TourStep {
            title: "Lamport fixes causality, not concurrency",
            text: "Lamport LWW keeps C's v2 (it saw v1, so its stamp is larger), but still drops one of the two \
                   concurrent cart writes: a total order must pick a winner.",
            query: Some("strategy=lamport&skew=5000&nodes=3&latency=50&seed=1&phase=1"),
            at: Some(1.0),
        },
        TourStep {
            title: "Siblings",
            text: "Vector clocks compare histories, not times. milk and eggs are reported concurrent and both kept; \
                   C reads both and writes back their union. The badge is green: nothing acknowledged was lost.",
            query: Some("strategy=vclock&skew=5000&nodes=3&latency=50&seed=1&phase=0"),
            at: Some(1.0),
        },
        TourStep {
            title: "A delete from the future",
            text: "Phase 4: C's clock jumps an hour ahead just long enough to delete session. Under LWW that \
                   tombstone outranks every later write for an hour — s2, s3 and s4 are acknowledged and lost.",
            query: Some("strategy=lww&skew=5000&nodes=3&latency=50&seed=1&phase=4"),
            at: Some(1.0),
        },
        TourStep {
            title: "What it costs",
            text: "Dotted version vectors keep the same siblings. The plot below shows the price of the metadata \
                   as the cluster grows from 3 to 50 replicas — and what pruning it loses.",
            query: Some("strategy=dvv&skew=5000&nodes=3&latency=50&seed=1&phase=0"),
            at: None,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phase_transcript_keeps_header_phase_and_summary() {
        let r = conflict_store::run(&Params::default()).unwrap();
        let lines = r.transcript();
        let four = transcript_of_phase(&lines, 4);
        assert_eq!(four[0], lines[0]);
        assert!(four[1].starts_with("-- 4."), "{four:?}");
        // The body holds only phase 4's lines: session, never cart or profile.
        let body = &four[1..four.len() - 2];
        assert!(body.len() > 5, "{four:?}");
        assert!(body
            .iter()
            .all(|l| !l.contains("cart") && !l.contains("profile")));
        assert_eq!(four.last(), lines.last());
        assert_eq!(transcript_of_phase(&lines, 0), lines);
    }
}
