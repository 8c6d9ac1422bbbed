//! The Leases & fencing lab: worker B takes a lease from server A, checks it, and freezes in
//! a GC pause past its expiry; the server grants the lease to worker C, who writes; B wakes
//! up and writes with its old token. With fencing tokens (Kleppmann 2016) the store rejects
//! B's stale write; without them it lands after C's and corrupts the data. A slow clock on B
//! does the same without any pause: leases (Gray & Cheriton 1989) assume bounded drift.
//!
//! The run is the core's [`lease`](chronoscope::scenario::lease) scenario (whose "worker A"
//! and "worker B" are nodes B and C here, named as the diagram names them).

use std::rc::Rc;

use chronoscope::lease::fenced_lock::LeaseOutput;
use chronoscope::node::NodeId;
use chronoscope::scenario::checks::lease::StaleOutcome;
use chronoscope::scenario::lease::{self, Happening, Line, Params, Run, SPEC, WORKER_A, WORKER_B};
use chronoscope::time::Instant;
use chronoscope::trace::Trace;

use super::kit::{prelude::*, true_time_at};
use super::lease_timeline::{timeline, timeline_svg};

/// The lab's URL slug.
pub const SLUG: &str = "leases";

/// The lab page: reads the URL, runs the scenario, shows the run.
#[function_component(LeaseLab)]
pub fn lease_lab() -> Html {
    html! {
        <LabPage<Params, Shown> slug={SLUG} title="Leases & fencing" explain={EXPLAIN} spec={&SPEC} tour={tour_steps as fn() -> Vec<TourStep>} run={&RUN} />
    }
}

const EXPLAIN: &str = "A lease (Gray & Cheriton 1989, “Leases: an efficient fault-tolerant mechanism for distributed file cache \
                consistency”) is a lock that expires, so a crashed holder cannot block everyone for ever. But the holder \
                cannot know it still holds it: worker B checks its lease, then stops for a 10 s garbage-collection pause; \
                the server (A) sees the lease expire and grants it to worker C; B wakes up and writes, believing it is still \
                the owner. Kleppmann (2016, “How to do distributed locking”) points out that no timing check in the client \
                can close this gap: the storage itself must check a fencing token — a number the lease server increments \
                with each grant — and refuse any write carrying a lower token than one it has already seen. The same \
                happens with no pause at all when B's clock runs slow: it measures the lease on its own clock and believes \
                it longer than the server does; a safety margin helps only if it covers the drift.";

struct Shown {
    trace: SharedTrace,
    run: Rc<Run>,
}

fn secs(t: Instant) -> f64 {
    t.as_millis_f64() / 1e3
}

/// A node as the diagram names it.
pub fn who(node: NodeId) -> String {
    match node {
        WORKER_A => "worker B".into(),
        WORKER_B => "worker C".into(),
        _ => format!("server {node}"),
    }
}

/// One line of the story, in words.
pub fn describe(l: &Line) -> String {
    let what = match &l.what {
        Happening::Paused(span) => format!(
            "{} freezes in a GC pause for {:.3} s",
            who(l.node),
            span.as_millis_f64() / 1e3
        ),
        Happening::Output(o) => match o {
            LeaseOutput::Granted { to, token } => {
                format!("server grants the lease to {} with token {token}", who(*to))
            }
            LeaseOutput::Expired { holder, token } => {
                format!(
                    "server: {}'s lease (token {token}) has expired",
                    who(*holder)
                )
            }
            LeaseOutput::RequestRefused { from, error } => {
                format!("server refuses {}: {error}", who(*from))
            }
            LeaseOutput::Accepted { from, token, value } => format!(
                "store accepted {}'s write of {value} with token {token}",
                who(*from)
            ),
            LeaseOutput::Rejected { from, error } => {
                format!("store rejected {}'s write: {error}", who(*from))
            }
            LeaseOutput::Acquired {
                token,
                local_expiry,
            } => format!(
                "{} holds token {token}, valid until {:.3} s by its own clock",
                who(l.node),
                secs(*local_expiry)
            ),
            LeaseOutput::CheckPassed { token, remaining } => format!(
                "{} checks its lease (token {token}): still valid for {:.3} s by its clock",
                who(l.node),
                remaining.as_millis_f64() / 1e3
            ),
            LeaseOutput::CheckFailed { token } => format!(
                "{} checks its lease (token {token}): expired by its clock — it does not write",
                who(l.node)
            ),
            LeaseOutput::WriteSent { token, value } => {
                format!("{} writes {value} with token {token}", who(l.node))
            }
            LeaseOutput::WriteDone { token, result } => match result {
                Ok(()) => format!("{} hears its write (token {token}) landed", who(l.node)),
                Err(e) => format!("{} hears its write was refused: {e}", who(l.node)),
            },
            LeaseOutput::Refused(e) => format!("{} was refused: {e}", who(l.node)),
        },
    };
    format!("{:.3} s — {what}", secs(l.at))
}

static RUN: RunSpec<Params, Shown> = RunSpec::new(
    |p| {
        let mut run = lease::run(p).map_err(|e| e.to_string())?;
        let trace = std::mem::replace(&mut run.trace, Trace::new(0));
        Ok(Shown {
            trace: SharedTrace::from(trace),
            run: Rc::new(run),
        })
    },
    view,
    |p| {
        format!(
            "leases-fencing{}-pause{}-seed{}",
            u8::from(p.fencing),
            p.pause_ms,
            p.seed
        )
    },
);

impl Traced for Shown {
    fn shared_trace(&self) -> SharedTrace {
        self.trace.clone()
    }
}

fn view(p: &Params, shown: &Shown, lab: &LabRun) -> Html {
    let playback = &lab.playback;
    let (trace, run) = (shown.trace.clone(), shown.run.clone());
    let tl = timeline(&run);
    let t = true_time_at(&trace, playback.position, tl.end);
    let outcome = match run.stale_outcome() {
        StaleOutcome::Rejected(at, token, highest) if at <= t => html! {
            <p class="lease-outcome rejected">{ format!("Fenced: the stale write with token {token} was rejected — the store had already seen {highest}.") }</p>
        },
        StaleOutcome::Corrupted(at, token, highest) if at <= t => html! {
            <p class="lease-outcome corrupted">{ format!("Corrupted: the stale write with token {token} was accepted after token {highest}'s — it overwrote newer data.") }</p>
        },
        StaleOutcome::None if t >= tl.end => html! {
            <p class="lease-outcome none">{"No stale write reached the store."}</p>
        },
        _ => html! { <p class="lease-outcome pending">{"…"}</p> },
    };
    html! {
        <div class="run">
            <p class="run-summary">
                { format!("{} nodes · {} events · {} messages · fencing {} · store accepted tokens {:?}",
                    trace.node_count(), trace.events().len(), trace.messages().len(),
                    if p.fencing { "on" } else { "off" },
                    run.accepted.iter().map(|a| a.token).collect::<Vec<_>>()) }
            </p>
            <InvariantBadges invariants={run.invariants(t)} />
            { outcome }
            { timeline_svg(&tl, t) }
            <PlaybackControls playback={playback.clone()} />
            { lab.body(&trace, None, None) }
            <h3>{"What happened"}</h3>
            <ol class="lease-story">
                { for run.timeline.iter().filter(|l| l.at <= t).map(|l| html! { <li>{ describe(l) }</li> }) }
            </ol>
            { lab.footer(lab.export_name.clone(), vec![TextExport {
                label: "Log",
                filename: format!("{}.txt", lab.export_name),
                mime: "text/plain",
                contents: { let run = run.clone(); Rc::new(move || run.timeline.iter().map(|l| describe(l) + "\n").collect()) },
            }]) }
        </div>
    }
}

/// The lab's guided tour.
pub fn tour_steps() -> Vec<TourStep> {
    vec![
        TourStep {
            title: "A pause past the lease",
            text: "B gets the lease (token 101) for 5 s, checks it after 1 s — still valid — and freezes in a 10 s GC \
                   pause right after the check. Watch the server's bar for token 101 end while B is frozen.",
            query: Some("fencing=1&lease=5000&pause=10000&seed=1"),
            at: Some(0.45),
        },
        TourStep {
            title: "Fencing rejects the stale write",
            text: "C got the lease with token 102 and wrote. B wakes up and writes with 101: the store has seen 102, \
                   so it rejects 101. The badge stays green.",
            query: None,
            at: Some(1.0),
        },
        TourStep {
            title: "Without fencing the data is corrupted",
            text: "Same run, the store no longer checks tokens: B's stale write lands after C's and overwrites newer \
                   data. The badge turns red.",
            query: Some("fencing=0&lease=5000&pause=10000&seed=1"),
            at: Some(1.0),
        },
        TourStep {
            title: "A slow clock does it without a pause",
            text: "No pause now, but B's clock runs at half speed (−500 000 ppm): it checks after 4 s of its time, \
                   8 s of real time, and still believes its 5 s lease valid. Both badges turn red.",
            query: Some("fencing=0&pause=0&a_drift=-500000&a_write=4000&seed=1"),
            at: Some(1.0),
        },
        TourStep {
            title: "A margin must cover the drift",
            text: "B treats its lease as over 3 s early. At half speed it now gives up before the server expires it: \
                   its check fails and it does not write. A margin only works if drift is bounded — fencing works anyway.",
            query: Some("fencing=0&pause=0&a_drift=-500000&a_write=4000&margin=3000&seed=1"),
            at: Some(1.0),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::kit;
    use chronoscope::time::Span;

    fn run_of(query: &str) -> Run {
        let p = kit::quiet(&SPEC, query);
        lease::run(&p).unwrap()
    }

    fn badges(run: &Run) -> Vec<bool> {
        run.invariants(Instant::from_millis(1_000_000))
            .iter()
            .map(|i| i.holds)
            .collect()
    }

    #[test]
    fn the_tour_shows_what_it_says() {
        let steps = tour_steps();
        let fenced = run_of(steps[0].query.unwrap());
        assert!(matches!(
            fenced.stale_outcome(),
            StaleOutcome::Rejected(_, 101, 102)
        ));
        assert_eq!(badges(&fenced), [true, true]);
        let open = run_of(steps[2].query.unwrap());
        assert!(matches!(
            open.stale_outcome(),
            StaleOutcome::Corrupted(_, 101, 102)
        ));
        assert_eq!(badges(&open), [false, true]);
        let slow = run_of(steps[3].query.unwrap());
        assert_eq!(badges(&slow), [false, false]);
        let margin = run_of(steps[4].query.unwrap());
        assert_eq!(badges(&margin), [true, true]);
        assert_eq!(margin.stale_outcome(), StaleOutcome::None);
    }

    #[test]
    fn badges_turn_red_only_when_the_run_gets_there() {
        let open = run_of(tour_steps()[2].query.unwrap());
        let StaleOutcome::Corrupted(at, ..) = open.stale_outcome() else {
            panic!("no corruption")
        };
        assert!(open.invariants(at - Span::from_nanos(1))[0].holds);
        assert!(!open.invariants(at)[0].holds);
    }

    #[test]
    fn the_timeline_draws_both_leases_the_pause_and_the_writes() {
        let tl = timeline(&run_of("fencing=1"));
        let count = |c: &str| {
            tl.bars.iter().filter(|b| b.4 == c).count()
                + tl.marks.iter().filter(|m| m.3 == c).count()
        };
        assert_eq!(count("lease"), 2);
        assert_eq!((count("pause"), count("belief")), (1, 1));
        assert_eq!(
            (count("write"), count("accepted"), count("rejected")),
            (2, 1, 1)
        );
        assert!(tl.bars.iter().all(|b| b.2 <= tl.end));
    }
}
