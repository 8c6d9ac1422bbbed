//! The Byzantine clock-sync lab's Marzullo panel: one correct node's estimates of a round
//! drawn as intervals (Marzullo 1984), each source's estimate ± the delay uncertainty, with
//! the core's fault-tolerant [`intersection`] of them — the time covered by at least `n − f`
//! sources, which holds the correct clocks however the `f` liars lie.

use std::rc::Rc;

use chronoscope::node::NodeId;
use chronoscope::scenario::byzantine_sync::{Params, Run};
use chronoscope::sync::marzullo::{intersection, Agreement, Interval, MarzulloError};
use chronoscope::sync::welch_lynch::RoundOutput;
use chronoscope::time::{Instant, Span};
use yew::prelude::*;

fn ms(s: Span) -> f64 {
    s.as_millis_f64()
}

/// A run as a prop: equal when it is the same run.
#[derive(Clone)]
pub struct SharedRun(pub Rc<Run>);

impl PartialEq for SharedRun {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// Props of [`MarzulloPanel`].
#[derive(Properties, PartialEq)]
pub struct MarzulloProps {
    /// The run.
    pub run: SharedRun,
    /// Its parameters.
    pub params: Params,
    /// The true time at the playback position.
    pub t: Instant,
}

/// The panel: a selector of the correct node whose view is shown, and its last round at or
/// before the playback position.
#[function_component(MarzulloPanel)]
pub fn marzullo_panel(props: &MarzulloProps) -> Html {
    let viewer = use_state(|| NodeId(0));
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
    let viewer_now = *viewer;
    let p = &props.params;
    html! {
        <>
            <h3>{"Marzullo intervals"}</h3>
            <p>
                <label>{"as seen by "}
                    <select class="mz-viewer" onchange={on_viewer} aria-label="Whose estimates to show">
                        { for props.run.0.correct.iter().map(|n| html! {
                            <option value={n.0.to_string()} selected={*n == viewer_now}>{ n.to_string() }</option>
                        }) }
                    </select>
                </label>
            </p>
            { match &marzullo_view(&props.run.0, p, viewer_now, props.t) {
                None => html! { <p class="mz-none">{"No round has completed yet at this point of the run."}</p> },
                Some(v) => html! {
                    <>
                        <p class="mz-caption">
                            { format!("Round {} at {:.2} s: each source's estimate relative to {}'s clock, ± the delay uncertainty. ",
                                v.round, v.at.as_millis_f64() / 1e3, viewer_now) }
                            { match &v.agreed {
                                Ok(a) => format!("Covered by ≥ n − f = {} sources: [{:+.3}, {:+.3}] ms. The fault-tolerant average corrected by {:+.3} ms.",
                                    p.nodes as usize - (p.tolerate as usize).min(p.nodes as usize),
                                    ms(a.interval.lo.since(Instant::ZERO)), ms(a.interval.hi.since(Instant::ZERO)), ms(v.correction)),
                                Err(e) => format!("No agreement: {e}. The fault-tolerant average corrected by {:+.3} ms.", ms(v.correction)),
                            } }
                        </p>
                        { marzullo_svg(v, &props.run.0.correct) }
                    </>
                },
            } }
        </>
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::kit;
    use chronoscope::scenario::byzantine_sync::{self, SPEC};

    #[test]
    fn marzullo_view_keeps_the_liar_out() {
        let (p, run) = run_of(crate::labs::byzantine_sync::tour_steps()[0].query.unwrap());
        let end = run.samples.last().unwrap().at;
        let view = marzullo_view(&run, &p, NodeId(0), end).unwrap();
        assert_eq!(view.sources.len(), 4);
        let agreed = view.agreed.unwrap().interval;
        let liar = view.sources.iter().find(|s| s.0 == NodeId(3)).unwrap().1;
        assert!(liar.hi < agreed.lo || liar.lo > agreed.hi);
        assert!(marzullo_view(&run, &p, NodeId(0), Instant::ZERO).is_none());
    }

    fn run_of(query: &str) -> (Params, Run) {
        let p = kit::quiet(&SPEC, query);
        let run = byzantine_sync::run(&p).unwrap();
        (p, run)
    }
}
