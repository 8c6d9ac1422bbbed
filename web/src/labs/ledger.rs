//! The Chronos ledger lab: replicas append values stamped by hybrid logical clocks and spread
//! them by causal broadcast; a leader elected by a majority lease orders them into offsets
//! under its fencing token; Chandy-Lamport backups are taken; the classic failures are one
//! click away (freeze the leader past its lease, partition it, jump its clock, crash and
//! restore a replica). The badges are the core's verdicts
//! ([`ledger::verdict`](chronoscope::ledger::verdict)); the page only displays them.
//!
//! The run is the core's [`ledger`](chronoscope::scenario::ledger) scenario.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use chronoscope::ledger::replica::LedgerOutput;
use chronoscope::node::NodeId;
use chronoscope::scenario::ledger::{self, Fault, Happening, Line, Params, Run, SPEC};
use chronoscope::time::Instant;
use chronoscope::trace::{EventId, Trace};

use super::kit::{self, prelude::*, true_time_at};
use crate::components::diagram::Shared;

/// The lab's URL slug.
pub const SLUG: &str = "ledger";

/// The classic failures, as one-click variations of the current run.
fn fault_buttons(p: &Params) -> Vec<(&'static str, &'static str, Params)> {
    let none = Params {
        freeze_ms: 0,
        partition_ms: 0,
        jump_ms: 0,
        restore_after_ms: 0,
        ..p.clone()
    };
    vec![
        (
            "freeze",
            "Freeze the leader past its lease",
            Params {
                freeze_ms: p.lease_ms.saturating_mul(5) / 2,
                freeze_at_ms: 600,
                ..none.clone()
            },
        ),
        (
            "partition",
            "Partition the leader",
            Params {
                partition_ms: p.lease_ms.saturating_mul(3),
                partition_at_ms: 600,
                ..none.clone()
            },
        ),
        (
            "jump",
            "Set the leader's clock back",
            Params {
                jump_ms: -(p.lease_ms.saturating_mul(3).min(600_000) as i32),
                jump_at_ms: 600,
                ..none.clone()
            },
        ),
        (
            "crash",
            "Crash and restore a replica",
            Params {
                crash_at_ms: p.window_ms * 3 / 4,
                restore_after_ms: 400,
                snapshots: p.snapshots.max(1),
                ..none.clone()
            },
        ),
        ("none", "No faults", none),
    ]
}

/// The lab page: reads the URL, runs the scenario, shows the run.
#[function_component(LedgerLab)]
pub fn ledger_lab() -> Html {
    let query = kit::use_query();
    if query.get("mode") == Some("tabs") {
        return real_tabs(&query);
    }
    let (params, notes, seek, on_tour) = use_lab_page(SLUG, &SPEC);
    let run_key = format!("{params:?}");
    let link = |p: &Params| {
        let qs: Vec<String> = kit::write(&SPEC, p)
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        format!("#/lab/{SLUG}?{}", qs.join("&"))
    };
    html! {
        <section class="lab" id="lab-ledger">
            <h2>{"Chronos ledger"}</h2>
            <p class="explain">
                {"The source documents' capstone: a replicated log, “like Kafka with causality as a first-class citizen”. \
                Every append is stamped by its replica's hybrid logical clock (Kulkarni et al. 2014) and spread by causal \
                broadcast (Birman, Schiper & Stephenson 1991), so no replica shows a reply before the entry it answers. \
                A leader orders entries into offsets and ships its log; an offset is committed once a majority holds it. \
                Who grants the leader its lease is part of the design: here there is no lease server, so a majority of \
                replicas grant it, each promising by its own clock not to grant another before it expires — the textbook \
                leader lease, only as safe as the clocks. A leader frozen in a GC pause (or a throttled tab), or whose \
                clock is set back, still believes it leads while the others elect a successor with a higher fencing token. \
                What still holds then is fencing: every replica refuses a shipment stamped with a token below the highest \
                it has promised. Any replica can start a Chandy-Lamport snapshot (ringed on the diagram); a crashed \
                replica restores from the latest complete one and catches up."}
            </p>
            { mode_switch(false) }
            <LabControls slug={SLUG} spec={SpecRef(&SPEC)} values={kit::write(&SPEC, &params)} {notes} steps={tour_steps()} {on_tour} />
            <nav class="fault-buttons" aria-label="Classic failures">
                { for fault_buttons(&params).into_iter().map(|(id, label, p)| html! {
                    <a class="button fault" data-fault={id} href={link(&p)}>{ label }</a>
                }) }
            </nav>
            <LedgerRun key={run_key} {params} {seek} />
        </section>
    }
}

/// Links between the simulated run and the real-tabs mode.
fn mode_switch(tabs: bool) -> Html {
    html! {
        <nav class="mode-switch" aria-label="Ledger mode">
            <a href={format!("#/lab/{SLUG}")} aria-current={(!tabs).then_some("page")}>{"Simulated network"}</a>
            {" · "}
            <a href={format!("#/lab/{SLUG}?mode=tabs&room=main&seats=3")} aria-current={tabs.then_some("page")}>{"Real tabs"}</a>
        </nav>
    }
}

/// The real-tabs mode: this tab is one replica of a room with a fixed number of seats.
fn real_tabs(query: &crate::query::Query) -> Html {
    let (room, seats, notes) = super::lamport_tabs::room_from_query(query);
    html! {
        <section class="lab" id="lab-ledger">
            <h2>{"Chronos ledger — real tabs"}</h2>
            { mode_switch(true) }
            <p class="explain">
                {"Open this page in three tabs of this browser (same room): each tab is one replica — the core's ledger \
                replica, the code the simulated mode runs, driven by the tab runtime over a BroadcastChannel. The replicas \
                elect a leader by the textbook majority lease: there is no lease server between tabs, so each replica \
                promises, by its own clock, not to grant another lease before the current one ends (2 s here; the leader \
                stops 0.25 s early). That is only as safe as the tabs' clocks and timers: a tab frozen in a GC pause or \
                throttled in the background still believes it leads when it wakes, and ships its log. Fencing is what \
                holds then: every replica refuses a shipment under a token below the highest it has promised, and shows \
                it (REJECTED: token 101 < 102). Freeze the leader's tab past its lease to see it; close the leader's tab \
                and another takes over once the lease ran out (the measured failover time is shown). Take a snapshot in \
                any tab: each tab saves its Chandy-Lamport part with what it keeps on disk (its promise register, clock \
                and own entries), and a new tab sitting in a closed tab's seat reboots from them and catches up."}
            </p>
            { kit::notes_view(&notes) }
            <super::ledger_tabs::LedgerTabs key={format!("{room}/{seats}")} room={room.clone()} {seats} />
        </section>
    }
}

struct Shown {
    trace: SharedTrace,
    run: Rc<Run>,
    cuts: Shared<BTreeSet<EventId>>,
}

fn secs(t: Instant) -> f64 {
    t.as_millis_f64() / 1e3
}

/// The badges: the core's verdicts as they stand at true time `t` (each turns red at the
/// first evidence of its break, `Run::verdicts_at`).
pub fn invariants(run: &Run, t: Instant) -> Vec<Invariant> {
    run.verdicts_at(t)
        .iter()
        .map(|v| Invariant {
            name: v.name.to_string(),
            holds: v.holds(),
            detail: v.broken.clone().unwrap_or_else(|| "holds".into()),
        })
        .collect()
}

/// One line of the story, in words (`None`: too fine-grained to tell).
pub fn describe(l: &Line) -> Option<String> {
    let n = l.node;
    let what = match &l.what {
        Happening::Fault(f) => match f {
            Fault::Freeze(s) => format!(
                "{n} freezes (GC pause) for {:.3} s",
                s.as_millis_f64() / 1e3
            ),
            Fault::Partition(s) => format!("{n} is cut off for {:.3} s", s.as_millis_f64() / 1e3),
            Fault::ClockJump(by) => format!("{n}'s clock jumps by {by}"),
            Fault::Snapshot(id) => format!("{n} starts snapshot {id}"),
            Fault::Crash => format!("{n} crashes: its log and queues are lost"),
            Fault::Restore(Some(id)) => format!("{n} restores from backup {id}"),
            Fault::Restore(None) => format!("{n} restores empty (no complete backup yet)"),
        },
        Happening::Output(o) => match o {
            LedgerOutput::Appended(e) => {
                format!("{n} appends {} = {} (HLC {})", e.id, e.value, e.hlc)
            }
            LedgerOutput::Elected { token, adopted, .. } => {
                format!("{n} holds the lease from a majority: token {token} (adopts a log of {adopted})")
            }
            LedgerOutput::Shipped {
                token, from, count, ..
            } => {
                format!(
                    "{n} ships offsets {from}..{} under token {token}",
                    from + count
                )
            }
            LedgerOutput::Rejected { from, error } => {
                format!("{n} REJECTED {from}'s shipment: {error}")
            }
            LedgerOutput::Superseded { token, by } => {
                format!("{n} steps down: token {token} superseded by {by}")
            }
            LedgerOutput::LeaseExpired { token } => {
                format!("{n}'s lease (token {token}) ran out by its own clock")
            }
            LedgerOutput::CommittedLost { from, lost } => format!(
                "{n}: {from}'s shipment REPLACED committed {} at offset {} — split brain",
                lost.was, lost.offset
            ),
            LedgerOutput::DeliveredLate { id } => {
                format!("{n} shows {id} after an entry that depends on it")
            }
            LedgerOutput::Recorded { id, log_len, .. } => {
                format!("{n} records snapshot {id} ({log_len} entries)")
            }
            LedgerOutput::BackedUp(part) => format!(
                "{n} finishes its part of snapshot {} ({} in flight)",
                part.id,
                part.in_flight.len()
            ),
            LedgerOutput::Restored { id, log_len } => {
                format!("{n} restored from {id}: {log_len} entries, catching up")
            }
            LedgerOutput::Refused(e) => format!("{n} refused: {e}"),
            _ => return None,
        },
    };
    Some(format!("{:.3} s — {what}", secs(l.at)))
}

/// Lease bars per replica lane, and the faults and refusals as marks (true time).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Timeline {
    /// (lane, from, to, label, class).
    pub bars: Vec<(usize, Instant, Instant, String, &'static str)>,
    /// (lane, at, label, class).
    pub marks: Vec<(usize, Instant, String, &'static str)>,
    /// The end of the drawn span.
    pub end: Instant,
}

/// Lays out `run` as a lease timeline.
pub fn timeline(run: &Run) -> Timeline {
    let end = run.params.end();
    let mut tl = Timeline {
        end,
        ..Timeline::default()
    };
    for s in &run.leases {
        tl.bars.push((
            s.holder.index(),
            s.from,
            s.until.unwrap_or(end),
            format!("token {}", s.token),
            "lease",
        ));
    }
    let mut crashed: BTreeMap<usize, Instant> = BTreeMap::new();
    for l in &run.timeline {
        let lane = l.node.index();
        match &l.what {
            Happening::Fault(Fault::Freeze(s)) => {
                tl.bars
                    .push((lane, l.at, l.at + *s, "frozen".into(), "pause"))
            }
            Happening::Fault(Fault::Partition(s)) => {
                tl.bars
                    .push((lane, l.at, l.at + *s, "cut off".into(), "pause"))
            }
            Happening::Fault(Fault::Crash) => {
                crashed.insert(lane, l.at);
            }
            Happening::Fault(Fault::Restore(_)) => {
                if let Some(from) = crashed.remove(&lane) {
                    tl.bars.push((lane, from, l.at, "down".into(), "pause"));
                }
            }
            Happening::Fault(Fault::ClockJump(by)) => {
                tl.marks.push((lane, l.at, format!("clock {by}"), "check"))
            }
            Happening::Fault(Fault::Snapshot(id)) => {
                tl.marks
                    .push((lane, l.at, format!("snapshot {id}"), "write"))
            }
            Happening::Output(LedgerOutput::Rejected { error, .. }) => {
                tl.marks
                    .push((lane, l.at, format!("✗ {error}"), "rejected"))
            }
            Happening::Output(LedgerOutput::CommittedLost { lost, .. }) => {
                tl.marks
                    .push((lane, l.at, format!("lost {}", lost.was), "rejected"))
            }
            _ => {}
        }
    }
    tl
}

fn timeline_svg(tl: &Timeline, lanes: usize, t: Instant) -> Html {
    let (w, left, right, lane_h) = (820.0, 90.0, 40.0, 44.0);
    let span = tl.end.as_nanos().max(1) as f64;
    let x = |at: Instant| left + (w - left - right) * (at.as_nanos() as f64 / span);
    let y = |lane: usize| 30.0 + lane as f64 * lane_h;
    let ticks = (0..=10).map(|k| Instant::from_nanos(tl.end.as_nanos() * k / 10));
    let top = |class: &str| -> (f64, f64) {
        match class {
            "pause" => (3.0, 14.0),
            _ => (-15.0, 16.0),
        }
    };
    html! {
        <svg class="lease-timeline ledger-timeline" width={w.to_string()} height={(30.0 + lanes as f64 * lane_h + 14.0).to_string()}
            role="img" aria-label="Lease timeline: each replica's leases with their tokens, faults and refused shipments, in true time">
            { for (0..lanes).map(|i| html! {
                <g class="tl-lane">
                    <text x="4" y={(y(i) + 4.0).to_string()}>{ format!("replica {}", NodeId(i as u32)) }</text>
                    <line x1={left.to_string()} x2={(w - right).to_string()} y1={y(i).to_string()} y2={y(i).to_string()} />
                </g>
            }) }
            { for ticks.map(|at| html! {
                <text class="tl-tick" x={x(at).to_string()} y={(y(lanes.saturating_sub(1)) + 30.0).to_string()}>{ format!("{:.1}s", secs(at)) }</text>
            }) }
            { for tl.bars.iter().map(|(lane, from, to, label, class)| {
                let (dy, h) = top(class);
                html! {
                    <g class={classes!("tl-bar", *class)}>
                        <rect x={x(*from).to_string()} y={(y(*lane) + dy).to_string()} width={(x(*to) - x(*from)).max(2.0).to_string()}
                            height={h.to_string()} rx="3" />
                        <text x={(x(*from) + 4.0).to_string()} y={(y(*lane) + dy + h - 4.0).to_string()}>{ label.clone() }</text>
                    </g>
                }
            }) }
            { for tl.marks.iter().map(|(lane, at, label, class)| {
                // Refusals are labelled above the lane, snapshots and clock jumps below it.
                let (y1, y2, ty) = if *class == "rejected" {
                    (y(*lane) - 18.0, y(*lane), y(*lane) - 19.0)
                } else {
                    (y(*lane), y(*lane) + 18.0, y(*lane) + 28.0)
                };
                html! {
                    <g class={classes!("tl-mark", *class, if *at <= t { "shown" } else { "later" })}>
                        <line x1={x(*at).to_string()} x2={x(*at).to_string()} y1={y1.to_string()} y2={y2.to_string()} />
                        <text x={(x(*at) + 3.0).to_string()} y={ty.to_string()}>{ label.clone() }</text>
                    </g>
                }
            }) }
            <line class="tl-cursor" x1={x(t).to_string()} x2={x(t).to_string()} y1="6" y2={(y(lanes.saturating_sub(1)) + 20.0).to_string()} />
        </svg>
    }
}

fn logs_view(run: &Run) -> Html {
    html! {
        <div class="ledger-logs" style="display: flex; flex-wrap: wrap; gap: 0 2em;">
            { for run.replicas.iter().enumerate().map(|(i, r)| {
                let s = r.state();
                let committed = s.log.committed_len();
                let status = if r.is_down() { "down" } else if r.leading().is_some() { "leader" } else { "follower" };
                html! {
                    <div class="ledger-log" data-replica={NodeId(i as u32).to_string()} data-committed={committed.to_string()}>
                        <h4>{ format!("Replica {} — {status}, log token {}, {} committed, {} pending", NodeId(i as u32),
                            s.log.token(), committed, s.pending().len()) }</h4>
                        <table>
                            <thead><tr><th>{"offset"}</th><th>{"entry"}</th><th>{"value"}</th><th>{"HLC"}</th><th>{"token"}</th><th>{"state"}</th></tr></thead>
                            <tbody>
                                { for s.log.entries().iter().enumerate().map(|(o, l)| html! {
                                    <tr class={if (o as u64) < committed { "committed" } else { "uncommitted" }}>
                                        <td>{ o }</td><td>{ l.entry.id.to_string() }</td><td>{ l.entry.value }</td>
                                        <td>{ l.entry.hlc.to_string() }</td><td>{ l.token }</td>
                                        <td>{ if (o as u64) < committed { "committed" } else { "shipped" } }</td>
                                    </tr>
                                }) }
                                { for s.pending().iter().map(|e| html! {
                                    <tr class="pending">
                                        <td>{"—"}</td><td>{ e.id.to_string() }</td><td>{ e.value }</td>
                                        <td>{ e.hlc.to_string() }</td><td>{"—"}</td><td>{"pending"}</td>
                                    </tr>
                                }) }
                            </tbody>
                        </table>
                    </div>
                }
            }) }
        </div>
    }
}

fn cuts_view(run: &Run) -> Html {
    html! {
        <div class="ledger-cuts">
            { for run.cuts.iter().map(|c| html! {
                <p class={classes!("cut", if c.complete { "complete" } else { "incomplete" })} data-snapshot={c.id.0.to_string()}>
                    { format!("Snapshot {} — {}: ", c.id, if c.complete { "complete backup" } else { "incomplete" }) }
                    { for c.points.iter().map(|pt| html! {
                        <span class="cut-point">{ format!("{} at {:.3} s ({} entries)  ", pt.node, secs(pt.at), pt.log_len) }</span>
                    }) }
                </p>
            }) }
        </div>
    }
}

#[function_component(LedgerRun)]
fn ledger_run(props: &RunProps<Params>) -> Html {
    let result = use_memo(props.params.clone(), |p| {
        ledger::run(p).map(|mut run| {
            let trace = std::mem::replace(&mut run.trace, Trace::new(0));
            let cuts = run
                .cuts
                .iter()
                .flat_map(|c| c.points.iter().map(|pt| pt.event))
                .collect();
            Shown {
                trace: SharedTrace::from(trace),
                run: Rc::new(run),
                cuts: Shared(Rc::new(cuts)),
            }
        })
    });
    let p = &props.params;
    let export_name = format!(
        "ledger-fencing{}-causal{}-seed{}",
        u8::from(p.fencing),
        u8::from(p.causal),
        p.seed
    );
    let lab = use_lab_run(
        result.as_ref().as_ref().ok().map(|s| s.trace.clone()),
        export_name.clone(),
        3,
        props.seek,
    );
    let playback = lab.playback.clone();
    let shown = match result.as_ref() {
        Ok(s) => s,
        Err(e) => return run_error(e),
    };
    let (trace, run) = (shown.trace.clone(), shown.run.clone());
    let tl = timeline(&run);
    let t = true_time_at(&trace, playback.position, tl.end);
    let rejected = run
        .outputs
        .iter()
        .filter(|r| matches!(r.output, LedgerOutput::Rejected { .. }))
        .count();
    html! {
        <div class="run">
            <p class="run-summary">
                { format!("{} replicas · {} events · {} messages · fencing {} · causal delivery {} · {} leases · {} stale shipments refused",
                    trace.node_count(), trace.events().len(), trace.messages().len(),
                    if p.fencing { "on" } else { "off" }, if p.causal { "on" } else { "off" },
                    run.leases.len(), rejected) }
            </p>
            <InvariantBadges invariants={invariants(&run, t)} />
            { timeline_svg(&tl, run.replicas.len(), t) }
            <PlaybackControls playback={playback.clone()} />
            <div class="run-body">
                <SpaceTimeDiagram trace={trace.clone()} shown={playback.position} selected={lab.selected}
                    on_select={lab.on_select.clone()} compare={lab.compare} on_compare={lab.on_compare.clone()}
                    marked={shown.cuts.clone()} />
                <EventInspector trace={trace} selected={lab.selected} compare={lab.compare} />
            </div>
            <h3>{"Snapshot cuts"}</h3>
            { cuts_view(&run) }
            <h3>{"Each replica's log at the end"}</h3>
            { logs_view(&run) }
            <h3>{"What happened"}</h3>
            <ol class="ledger-story">
                { for run.timeline.iter().filter(|l| l.at <= t).filter_map(describe).map(|d| html! { <li>{ d }</li> }) }
            </ol>
            <ExportMenu name={export_name.clone()} texts={lab.exports.iter().cloned().chain([TextExport {
                label: "Log",
                filename: format!("{export_name}.txt"),
                mime: "text/plain",
                contents: { let run = run.clone(); Rc::new(move || run.timeline.iter().filter_map(describe).map(|d| d + "\n").collect()) },
            }]).collect::<Vec<_>>()} />
            <p class="keys">{"Keys: Space play/pause · ←/→ step · Home/End · +/− speed · Tab to the diagram, arrow keys between events, Enter to select"}</p>
        </div>
    }
}

/// The lab's guided tour.
pub fn tour_steps() -> Vec<TourStep> {
    vec![
        TourStep {
            title: "A leader elected by a majority",
            text: "Three replicas. One asks the others for the lease under token 101; with a majority's grants it \
                   leads, orders the appended entries into offsets and ships its log. Each entry carries its HLC.",
            query: Some("freeze=0&seed=7"),
            at: Some(0.5),
        },
        TourStep {
            title: "Frozen past its lease",
            text: "The leader freezes in a 1.5 s GC pause — longer than its 600 ms lease. The others see their \
                   promises run out by their own clocks and elect a new leader with token 102.",
            query: Some("freeze=1500&freeze_at=597&seed=7"),
            at: Some(0.3),
        },
        TourStep {
            title: "Fencing refuses the stale batch",
            text: "The frozen leader wakes up and ships the batch it checked before the pause, under token 101. Every \
                   replica has promised 102: REJECTED: token 101 < 102. All badges stay green.",
            query: None,
            at: Some(1.0),
        },
        TourStep {
            title: "Without fencing: split brain",
            text: "Same run, replicas no longer check tokens: the stale batch overwrites committed offsets. The badge \
                   “committed stable” turns red.",
            query: Some("fencing=0&freeze=1500&freeze_at=597&seed=7"),
            at: Some(1.0),
        },
        TourStep {
            title: "Backups: crash and restore",
            text: "A snapshot is taken (its cut is ringed on the diagram); replica C then crashes, restores from its \
                   part of the backup, replays what was in flight, and catches up from the leader.",
            query: Some("freeze=1500&freeze_at=597&crash_at=2300&restore_after=400&seed=7"),
            at: Some(1.0),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_of(query: &str) -> Run {
        ledger::run(&kit::quiet(&SPEC, query)).unwrap()
    }

    fn holds(run: &Run, name: &str) -> bool {
        invariants(run, run.end)
            .iter()
            .find(|i| i.name == name)
            .unwrap()
            .holds
    }

    #[test]
    fn query_round_trips_and_bad_values_are_noted() {
        let p = Params {
            fencing: false,
            jump_ms: -900,
            ..Params::default()
        };
        let qs: Vec<String> = kit::write(&SPEC, &p)
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let (back, notes) = kit::read(&SPEC, &Query::parse(&qs.join("&")));
        assert_eq!(back, p);
        assert!(notes.is_empty());
        let (p, notes) = kit::read(&SPEC, &Query::parse("fencing=perhaps&replicas=99&lease=0"));
        assert!(p.fencing);
        assert_eq!(p.replicas, 9);
        assert_eq!(p.lease_ms, 100);
        assert_eq!(notes.len(), 3, "{notes:?}");
    }

    #[test]
    fn the_tour_shows_what_it_says() {
        let steps = tour_steps();
        let calm = run_of(steps[0].query.unwrap());
        assert!(calm.all_hold());
        let fenced = run_of(steps[1].query.unwrap());
        assert!(fenced.all_hold() && fenced.stale_rejected());
        assert!(fenced.leases.iter().any(|l| l.token == 102));
        let open = run_of(steps[3].query.unwrap());
        assert!(!holds(&open, "committed stable"));
        // The badge is green until the first evidence of the break, red from then on.
        let broke = open.broken_at("committed stable").expect("dated");
        assert!(broke > Instant::ZERO && broke <= open.end);
        assert!(invariants(&open, Instant::ZERO).iter().all(|i| i.holds));
        let at_break = invariants(&open, broke);
        assert!(!at_break
            .iter()
            .any(|i| i.name == "committed stable" && i.holds));
        let restored = run_of(steps[4].query.unwrap());
        assert!(restored.all_hold());
        assert!(restored
            .timeline
            .iter()
            .any(|l| matches!(l.what, Happening::Fault(Fault::Restore(Some(_))))));
    }

    #[test]
    fn every_fault_button_gives_a_valid_run_and_the_timeline_stays_in_range() {
        let p = Params::default();
        for (_, _, q) in fault_buttons(&p) {
            assert_eq!(q.validate(), Ok(()));
            let run = ledger::run(&q).unwrap();
            assert!(run.all_hold(), "{q:?}");
            let tl = timeline(&run);
            assert!(tl.bars.iter().all(|b| b.1 <= b.2));
            assert!(!tl.bars.is_empty());
        }
    }
}
