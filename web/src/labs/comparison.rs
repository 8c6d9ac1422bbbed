//! The Comparison lab: one gossip run over skewed physical clocks, ordered by Lamport
//! timestamps (Lamport 1978), vector clocks (Fidge 1988; Mattern 1989), hybrid logical clocks
//! (Kulkarni et al. 2014) and physical timestamps (last-writer-wins), each compared pair by
//! pair with true happens-before. A selector picks the ordering; its disagreements are
//! listed, and clicking one selects the two events in the diagram. The list is one tab stop
//! (a roving tabindex, like the diagram's): ↑/↓ and Home/End move between rows, Enter or Space
//! selects the row's pair.
//!
//! Parameters live in the URL (`#/lab/comparison?skew_ms=400&scheme=physical&…`).

use std::collections::BTreeMap;

use chronoscope::scenario::comparison::{
    self, ComparisonRun, Disagreement, LabParams, Params, Scheme, SchemeReport, SCHEME_KEYS, SPEC,
};
use chronoscope::trace::EventId;
use yew_router::prelude::*;

use super::comparison_pairs::pairs_table;
use super::kit::{self, prelude::*};

const SLUG: &str = "comparison";
/// The key the ordering buttons set.
const SCHEME: &[&str] = &["scheme"];

/// The URL name of a scheme.
pub fn scheme_key(s: Scheme) -> &'static str {
    SCHEME_KEYS[Scheme::ALL.iter().position(|x| *x == s).unwrap_or(0)]
}

/// Reads the lab's parameters and the selected scheme from a query string (see
/// [`comparison::SPEC`]); the notes say what could not be used as given.
pub fn params_from_query(query: &Query) -> (Params, Scheme, Vec<String>) {
    let (lab, notes) = kit::read(&SPEC, query);
    (lab.run, lab.scheme, notes)
}

/// The query string that reproduces `params` and `scheme`.
pub fn params_to_query(params: &Params, scheme: Scheme) -> BTreeMap<&'static str, String> {
    kit::write(
        &SPEC,
        &LabParams {
            run: params.clone(),
            scheme,
        },
    )
}

/// The lab page: reads the URL, runs the scenario, shows the run.
#[function_component(ComparisonLab)]
pub fn comparison_lab() -> Html {
    let (params, scheme, notes) = params_from_query(&kit::use_query());
    let (seek, on_tour) = kit::use_tour(SLUG);
    let navigator = use_navigator();
    let query = params_to_query(&params, scheme);
    let pick = {
        let query = query.clone();
        Callback::from(move |s: Scheme| {
            kit::go(
                &navigator,
                SLUG,
                &kit::with(&query, "scheme", scheme_key(s)),
            )
        })
    };
    let explain = html! {
                {"Happens-before (Lamport 1978, §2) is the only order a distributed run really has: a → b when a chain of \
                local steps and messages leads from a to b. Lamport timestamps respect it but also order every concurrent \
                pair; vector clocks (Fidge 1988; Mattern 1989) capture it exactly; hybrid logical clocks (Kulkarni et al. 2014) \
                behave like Lamport's while staying close to physical time; plain physical timestamps — what last-writer-wins \
                stores compare — follow neither: with skewed clocks a receive can carry an earlier timestamp than its send, so \
                an event is ordered before something that happened before it. Here the same run is ordered four ways and \
                every pair of events is checked."}
    };
    page(
        SLUG,
        "Comparison: four orderings against happens-before",
        explain,
        html! { <>
                { notes_view(&notes) }
                <Tour steps={tour_steps()} on_move={on_tour} />
                <ParamForm slug={SLUG} spec={SpecRef(&SPEC)} values={query.clone()} elsewhere={SCHEME} />
                <ComparisonRunView key={format!("{params:?}")} params={params.clone()} {scheme} on_pick={pick} {seek} />
        </> },
    )
}

#[derive(Properties, PartialEq)]
struct RunProps {
    params: Params,
    scheme: Scheme,
    on_pick: Callback<Scheme>,
    #[prop_or_default]
    seek: Seek,
}

struct Prepared {
    run: ComparisonRun,
    trace: SharedTrace,
}

fn prepare(params: &Params) -> Result<Prepared, String> {
    let run = comparison::run(params).map_err(|e| e.to_string())?;
    let trace = SharedTrace::from(run.trace.clone());
    Ok(Prepared { run, trace })
}

/// `(imposed, violations)` among pairs whose events are both within the first `shown`.
fn counts(report: &SchemeReport, shown: usize) -> (usize, usize) {
    report
        .disagreements
        .iter()
        .filter(|d| d.a.index() < shown && d.b.index() < shown)
        .fold((0, 0), |(i, v), d| match d.kind {
            Disagreement::Imposed => (i + 1, v),
            Disagreement::Violation => (i, v + 1),
        })
}

#[function_component(ComparisonRunView)]
fn comparison_run_view(props: &RunProps) -> Html {
    let result = use_memo(props.params.clone(), prepare);
    let p = &props.params;
    let export_name = format!("comparison-seed{}-skew{}", p.seed, p.skew_ms);
    let lab = use_lab_run(
        result.as_ref().as_ref().ok().map(|p| p.trace.clone()),
        export_name.clone(),
        2,
        props.seek,
    );
    let playback = lab.playback.clone();
    let prepared = match result.as_ref() {
        Ok(p) => p,
        Err(e) => return run_error(e),
    };
    let run = &prepared.run;
    let trace = prepared.trace.clone();
    let shown = playback.position;
    let invariants: Vec<Invariant> = run
        .reports
        .iter()
        .map(|r| {
            let (imposed, violations) = counts(r, shown);
            Invariant {
                name: format!("{} respects happens-before", r.scheme.name()),
                holds: violations == 0,
                detail: format!("{violations} violations · {imposed} concurrent pairs ordered"),
            }
        })
        .collect();
    let select_pair = lab.select_pair.clone();
    let scheme = props.scheme;
    let report = run.reports.iter().find(|r| r.scheme == scheme);
    html! {
        <div class="run">
            <p class="run-summary">
                { format!("{} nodes · {} events · {} pairs related by happens-before · {} concurrent pairs",
                    trace.node_count(), trace.events().len(), run.related_pairs, run.concurrent_pairs) }
            </p>
            <InvariantBadges {invariants} />
            { summary_table(run, shown, scheme, &props.on_pick) }
            <PlaybackControls playback={playback.clone()} />
            { lab.body(&trace, None, Some(stamps_of(run, lab.selected, lab.compare))) }
            if let Some(report) = report {
                { pairs_table(run, report, select_pair) }
            }
            { lab.footer(export_name, vec![]) }
        </div>
    }
}

fn summary_table(
    run: &ComparisonRun,
    shown: usize,
    current: Scheme,
    on_pick: &Callback<Scheme>,
) -> Html {
    html! {
        <table class="scheme-summary">
            <caption>{"Disagreements with happens-before among the events shown (pick an ordering to list them)"}</caption>
            <thead><tr><th>{"ordering"}</th><th>{"concurrent pairs it orders"}</th><th>{"violations"}</th></tr></thead>
            <tbody>
            { for run.reports.iter().map(|r| {
                let (imposed, violations) = counts(r, shown);
                let s = r.scheme;
                html! {
                    <tr class={classes!("scheme-row", (s == current).then_some("current"))} data-scheme={scheme_key(s)}>
                        <td>
                            <button type="button" class={classes!("scheme-pick", format!("scheme-{}", scheme_key(s)))}
                                aria-pressed={(s == current).to_string()} onclick={on_pick.reform(move |_: MouseEvent| s)}>
                                { r.scheme.name() }
                            </button>
                        </td>
                        <td class="imposed">{ imposed }</td>
                        <td class={classes!("violations", (violations > 0).then_some("bad"))}>{ violations }</td>
                    </tr>
                }
            }) }
            </tbody>
        </table>
    }
}

/// Event `e`'s stamp under `scheme`.
pub fn stamp(run: &ComparisonRun, scheme: Scheme, e: EventId) -> String {
    let Some(ev) = run.trace.event(e) else {
        return String::new();
    };
    match scheme {
        Scheme::Lamport => format!("{} ({})", ev.lamport, ev.node),
        Scheme::Vector => ev.vector.to_string(),
        Scheme::Hlc => run
            .hlc
            .get(e.index())
            .map(|h| h.to_string())
            .unwrap_or_default(),
        Scheme::Physical => ev.local_time.to_string(),
    }
}

fn stamps_of(run: &ComparisonRun, a: Option<EventId>, b: Option<EventId>) -> Html {
    let events: Vec<EventId> = a.into_iter().chain(b).collect();
    if events.is_empty() {
        return html! {};
    }
    html! {
        <table class="event-stamps">
            <caption>{"The selected events under each ordering"}</caption>
            <thead><tr><th></th>{ for events.iter().map(|e| html!{ <th>{ format!("#{}", e.0) }</th> }) }</tr></thead>
            <tbody>
            { for Scheme::ALL.iter().map(|&s| html! {
                <tr><th>{ s.name() }</th>{ for events.iter().map(|&e| html!{ <td><code>{ stamp(run, s, e) }</code></td> }) }</tr>
            }) }
            </tbody>
        </table>
    }
}

/// The lab's guided tour.
pub fn tour_steps() -> Vec<TourStep> {
    vec![
        TourStep {
            title: "Vector clocks: exactly happens-before",
            text: "Vector clocks order two events only when one happened before the other, and leave concurrent events \
                   unordered: zero disagreements.",
            query: Some("seed=1&nodes=3&actions=6&skew_ms=300&scheme=vector"),
            at: Some(1.0),
        },
        TourStep {
            title: "Lamport and HLC invent an order",
            text: "Both are total orders: every concurrent pair gets an order that means nothing. Yet neither ever puts an \
                   event before something that happened before it — their violation count stays 0.",
            query: Some("seed=1&nodes=3&actions=6&skew_ms=300&scheme=hlc"),
            at: Some(1.0),
        },
        TourStep {
            title: "Physical timestamps break causality",
            text: "With clocks up to 300 ms apart, a message can arrive at a node whose clock reads earlier than the sender's \
                   did. Last-writer-wins would let the earlier write win. Click a violation to see the pair in the diagram.",
            query: Some("seed=1&nodes=3&actions=6&skew_ms=300&scheme=physical"),
            at: Some(1.0),
        },
        TourStep {
            title: "Without skew, physical time looks fine",
            text: "With synchronised clocks and messages taking ≥ 10 ms, physical order respects every message here — \
                   but it still orders concurrent events, and a little skew is enough to break it.",
            query: Some("seed=1&nodes=3&actions=6&skew_ms=0&scheme=physical"),
            at: Some(1.0),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use chronoscope::scenario::comparison::SKEW_MS;

    #[test]
    fn query_round_trips_and_bad_values_get_notes() {
        let p = Params {
            skew_ms: 400,
            seed: 3,
            ..Params::default()
        };
        let qs: Vec<String> = params_to_query(&p, Scheme::Hlc)
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let (back, scheme, notes) = params_from_query(&Query::parse(&qs.join("&")));
        assert_eq!((back, scheme), (p, Scheme::Hlc));
        assert!(notes.is_empty());
        let (p, scheme, notes) = params_from_query(&Query::parse("scheme=sundial&skew_ms=99999"));
        assert_eq!((p.skew_ms, scheme), (*SKEW_MS.end(), Scheme::Physical));
        assert_eq!(notes.len(), 2, "{notes:?}");
    }
}
