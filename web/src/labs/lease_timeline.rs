//! The Leases & fencing lab's timeline: on one true-time axis, the lease as the server sees
//! it and as worker B believes it (on its own, possibly slow, clock), B's GC pause, and each
//! write with the token it carried — the gap between the two leases is where the stale write
//! lands.

use std::collections::BTreeMap;

use chronoscope::lease::fenced_lock::LeaseOutput;
use chronoscope::lease::fencing::WriteError;
use chronoscope::node::NodeId;
use chronoscope::scenario::lease::{Happening, Run, WORKER_A, WORKER_B};
use chronoscope::time::{Instant, Span};
use yew::prelude::*;

use super::lease::who;

fn secs(t: Instant) -> f64 {
    t.as_millis_f64() / 1e3
}

/// The bars and marks of the lease timeline (true time), computed from the run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Timeline {
    /// (lane, from, to, label, class).
    pub bars: Vec<(usize, Instant, Instant, String, &'static str)>,
    /// (lane, at, label, class).
    pub marks: Vec<(usize, Instant, String, &'static str)>,
    /// The end of the drawn span.
    pub end: Instant,
}

fn lane(node: NodeId) -> usize {
    match node {
        WORKER_A => 1,
        WORKER_B => 2,
        _ => 0,
    }
}

/// Lays out `run` as lease bars (server's and B's views), the pause, and the writes.
pub fn timeline(run: &Run) -> Timeline {
    let last = run.timeline.last().map_or(Instant::ZERO, |l| l.at);
    let end = last
        .max(run.a_believed_until.unwrap_or(Instant::ZERO))
        .max(Instant::from_millis(1));
    let end = end + Span::from_nanos(end.as_nanos() / 20);
    let mut tl = Timeline {
        end,
        ..Timeline::default()
    };
    let mut granted: BTreeMap<u64, (NodeId, Instant)> = BTreeMap::new();
    for l in &run.timeline {
        match &l.what {
            Happening::Paused(span) => tl.bars.push((
                lane(l.node),
                l.at,
                l.at + *span,
                format!("GC pause {:.1} s", span.as_millis_f64() / 1e3),
                "pause",
            )),
            Happening::Output(o) => match o {
                LeaseOutput::Granted { to, token } => {
                    granted.insert(*token, (*to, l.at));
                }
                LeaseOutput::Expired { token, .. } => {
                    if let Some((to, from)) = granted.remove(token) {
                        tl.bars.push((
                            0,
                            from,
                            l.at,
                            format!("{}: token {token}", who(to)),
                            "lease",
                        ));
                    }
                }
                LeaseOutput::Acquired { token, .. } if l.node == WORKER_A => {
                    if let Some(until) = run.a_believed_until {
                        tl.bars.push((
                            1,
                            l.at,
                            until,
                            format!("B's view of lease {token}"),
                            "belief",
                        ));
                    }
                }
                LeaseOutput::WriteSent { token, .. } => {
                    tl.marks
                        .push((lane(l.node), l.at, format!("write {token}"), "write"))
                }
                LeaseOutput::Accepted { token, .. } => {
                    tl.marks.push((0, l.at, format!("✓ {token}"), "accepted"))
                }
                LeaseOutput::Rejected { error, .. } => {
                    let token = match error {
                        WriteError::StaleToken { token, .. }
                        | WriteError::NeverIssued { token }
                        | WriteError::NotHolder { token, .. } => *token,
                    };
                    tl.marks.push((0, l.at, format!("✗ {token}"), "rejected"))
                }
                LeaseOutput::CheckPassed { .. } | LeaseOutput::CheckFailed { .. } => {
                    tl.marks.push((lane(l.node), l.at, "check".into(), "check"))
                }
                _ => {}
            },
        }
    }
    for (token, (to, from)) in granted {
        tl.bars
            .push((0, from, end, format!("{}: token {token}", who(to)), "lease"));
    }
    tl
}

/// The timeline drawn up to true time `t`.
pub fn timeline_svg(tl: &Timeline, t: Instant) -> Html {
    let (w, left, right, lane_h) = (820.0, 90.0, 80.0, 56.0);
    let span = tl.end.as_nanos().max(1) as f64;
    let x = |at: Instant| left + (w - left - right) * (at.as_nanos() as f64 / span);
    let y = |lane: usize| 38.0 + lane as f64 * lane_h;
    let names = ["server A", "worker B", "worker C"];
    let ticks = (0..=10).map(|k| Instant::from_nanos(tl.end.as_nanos() * k / 10));
    // Leases sit on the lane; B's own view above it and the pause below, so both show.
    let top = |class: &str| -> (f64, f64) {
        match class {
            "belief" => (-17.0, 14.0),
            "pause" => (3.0, 14.0),
            _ => (-9.0, 18.0),
        }
    };
    html! {
        <svg class="lease-timeline" width={w.to_string()} height={(38.0 + 3.0 * lane_h + 8.0).to_string()}
            role="img" aria-label="Lease timeline: grants, expiries, the pause and the writes, in true time">
            { for names.iter().enumerate().map(|(i, n)| html! {
                <g class="tl-lane">
                    <text x="4" y={(y(i) + 4.0).to_string()}>{ *n }</text>
                    <line x1={left.to_string()} x2={(w - right).to_string()} y1={y(i).to_string()} y2={y(i).to_string()} />
                </g>
            }) }
            { for ticks.map(|at| html! {
                <text class="tl-tick" x={x(at).to_string()} y={(y(2) + 36.0).to_string()}>{ format!("{:.1}s", secs(at)) }</text>
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
                // Checks are labelled below the lane, writes and the store's verdicts above.
                let below = *class == "check";
                let (y1, y2, ty) = if below {
                    (y(*lane), y(*lane) + 20.0, y(*lane) + 30.0)
                } else {
                    (y(*lane) - 20.0, y(*lane), y(*lane) - 22.0)
                };
                html! {
                    <g class={classes!("tl-mark", *class, if *at <= t { "shown" } else { "later" })}>
                        <line x1={x(*at).to_string()} x2={x(*at).to_string()} y1={y1.to_string()} y2={y2.to_string()} />
                        <text x={(x(*at) + 3.0).to_string()} y={ty.to_string()}>{ label.clone() }</text>
                    </g>
                }
            }) }
            <line class="tl-cursor" x1={x(t).to_string()} x2={x(t).to_string()} y1="6" y2={(y(2) + 24.0).to_string()} />
        </svg>
    }
}
