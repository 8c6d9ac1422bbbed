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
use std::rc::Rc;

use chronoscope::scenario::comparison::{
    self, ComparisonRun, Disagreement, LabParams, Params, Scheme, SchemeReport, SCHEME_KEYS, SPEC,
};
use chronoscope::trace::EventId;
use wasm_bindgen::JsCast;
use yew_router::prelude::*;

use super::kit::{self, prelude::*};

const SLUG: &str = "comparison";
/// The key the ordering buttons set.
const SCHEME: &[&str] = &["scheme"];
/// Rows shown per disagreement list.
const MAX_ROWS: usize = 40;

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

fn stamp(run: &ComparisonRun, scheme: Scheme, e: EventId) -> String {
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

fn pairs_table(
    run: &ComparisonRun,
    report: &SchemeReport,
    select_pair: Callback<(EventId, EventId)>,
) -> Html {
    let scheme = report.scheme;
    if report.disagreements.is_empty() {
        return html! {
            <p class="pairs-empty">{ format!("{} agrees with happens-before on every pair: it orders exactly the related pairs and leaves every concurrent pair unordered.", scheme.name()) }</p>
        };
    }
    let name = |e: EventId| {
        run.trace
            .event(e)
            .map(|ev| format!("#{} ({})", e.0, ev.node))
            .unwrap_or_default()
    };
    let rows: Vec<PairRow> = report
        .disagreements
        .iter()
        .take(MAX_ROWS)
        .map(|d| {
            let (a, b) = (d.a, d.b);
            let (kind, why) = match d.kind {
                Disagreement::Violation => (
                    "violation",
                    format!(
                        "{} → {} but {} puts {} first",
                        name(a),
                        name(b),
                        scheme.name(),
                        name(b)
                    ),
                ),
                Disagreement::Imposed => (
                    "imposed",
                    format!(
                        "{} ∥ {} (concurrent) but {} puts {} first",
                        name(a),
                        name(b),
                        scheme.name(),
                        name(a)
                    ),
                ),
            };
            PairRow {
                a,
                b,
                kind,
                why,
                stamps: (stamp(run, scheme, a), stamp(run, scheme, b)),
            }
        })
        .collect();
    let more = report.disagreements.len().saturating_sub(MAX_ROWS);
    html! {
        <PairsTable key={scheme_key(scheme)} scheme={scheme.name()} rows={Rc::new(rows)} {more} {select_pair} />
    }
}

/// One row of the disagreement list.
#[derive(Clone, PartialEq)]
struct PairRow {
    a: EventId,
    b: EventId,
    kind: &'static str,
    why: String,
    stamps: (String, String),
}

#[derive(Properties, PartialEq)]
struct PairsProps {
    scheme: &'static str,
    rows: Rc<Vec<PairRow>>,
    /// Disagreements not listed.
    more: usize,
    select_pair: Callback<(EventId, EventId)>,
}

/// Where a key moves the table's roving tab stop from row `at` of `len` rows (WAI-ARIA:
/// ↑/↓ one row, Home/End the first and last); `None` for keys that do not move it.
fn row_step(key: &str, at: usize, len: usize) -> Option<usize> {
    let last = len.checked_sub(1)?;
    let at = at.min(last);
    match key {
        "ArrowUp" => Some(at.saturating_sub(1)),
        "ArrowDown" => Some((at + 1).min(last)),
        "Home" => Some(0),
        "End" => Some(last),
        _ => None,
    }
}

/// The row index of the pairs-table row holding an event's target.
fn row_of(target: Option<web_sys::EventTarget>) -> Option<usize> {
    let el = target?.dyn_into::<web_sys::Element>().ok()?;
    el.closest("tr.pair-row")
        .ok()??
        .get_attribute("data-row")?
        .parse()
        .ok()
}

/// The disagreement list: one tab stop (a roving tabindex, as in the space-time diagram).
/// Only the active row is in the tab order; ↑/↓ move it, Home/End jump to the ends, Enter or
/// Space (or a click) select the row's two events in the diagram.
#[function_component(PairsTable)]
fn pairs_table_view(props: &PairsProps) -> Html {
    let len = props.rows.len();
    let active_state = use_state(|| 0usize);
    let active = (*active_state).min(len.saturating_sub(1));
    let body = use_node_ref();
    // Set when a key moved the tab stop: once the new active row is drawn, it takes the focus.
    let focus_pending = use_mut_ref(|| false);
    {
        let (body, focus_pending) = (body.clone(), focus_pending.clone());
        use_effect_with(active, move |active| {
            if std::mem::take(&mut *focus_pending.borrow_mut()) {
                let row = body
                    .cast::<web_sys::Element>()
                    .and_then(|el| {
                        el.query_selector(&format!("tr[data-row=\"{active}\"]"))
                            .ok()?
                    })
                    .and_then(|row| row.dyn_into::<web_sys::HtmlElement>().ok());
                if let Some(row) = row {
                    let _ = row.focus();
                }
            }
        });
    }
    let onkeydown = {
        let (rows, set_active) = (props.rows.clone(), active_state.setter());
        let select_pair = props.select_pair.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.alt_key() || e.ctrl_key() || e.meta_key() {
                return;
            }
            let Some(from) = row_of(e.target()) else {
                return;
            };
            let key = e.key();
            if let Some(to) = row_step(&key, from, rows.len()) {
                // Handled here: the document's playback shortcuts skip prevented keys.
                e.prevent_default();
                if to != from {
                    *focus_pending.borrow_mut() = true;
                    set_active.set(to);
                }
            } else if matches!(key.as_str(), "Enter" | " ") {
                // Enter or Space, like a button; Space must not scroll the page.
                e.prevent_default();
                if let Some(r) = rows.get(from) {
                    select_pair.emit((r.a, r.b));
                }
            }
        })
    };
    let onfocusin = {
        let set_active = active_state.setter();
        Callback::from(move |e: FocusEvent| {
            if let Some(row) = row_of(e.target()) {
                if row != active {
                    set_active.set(row);
                }
            }
        })
    };
    let rows = props.rows.iter().enumerate().map(|(i, r)| {
        let (a, b) = (r.a, r.b);
        let onclick = props.select_pair.reform(move |_: MouseEvent| (a, b));
        html! {
            <tr class={classes!("pair-row", r.kind)} tabindex={if i == active { "0" } else { "-1" }}
                data-row={i.to_string()} data-a={a.0.to_string()} data-b={b.0.to_string()} {onclick}>
                <td>{ r.kind }</td>
                <td>{ r.why.clone() }</td>
                <td><code>{ r.stamps.0.clone() }</code></td>
                <td><code>{ r.stamps.1.clone() }</code></td>
            </tr>
        }
    });
    let more = props.more;
    html! {
        <table class="pairs">
            <caption>{ format!("Where {} disagrees with happens-before (whole run; click a row, or Tab to the table, ↑/↓ between rows and Enter, to select both events)", props.scheme) }</caption>
            <thead><tr><th>{"kind"}</th><th>{"pair"}</th><th>{"stamp a"}</th><th>{"stamp b"}</th></tr></thead>
            <tbody ref={body} {onkeydown} {onfocusin}>{ for rows }</tbody>
            if more > 0 {
                <tfoot><tr><td colspan="4">{ format!("… and {more} more") }</td></tr></tfoot>
            }
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

    #[test]
    fn row_keys_move_the_tab_stop_within_the_list() {
        assert_eq!(row_step("ArrowDown", 0, 3), Some(1));
        assert_eq!(row_step("ArrowDown", 2, 3), Some(2));
        assert_eq!(row_step("ArrowUp", 0, 3), Some(0));
        assert_eq!(row_step("ArrowUp", 2, 3), Some(1));
        assert_eq!(row_step("Home", 2, 3), Some(0));
        assert_eq!(row_step("End", 0, 3), Some(2));
        // A stale index past the end is clamped; an empty list has no stop; other keys pass.
        assert_eq!(row_step("ArrowUp", 9, 3), Some(1));
        assert_eq!(row_step("End", 0, 0), None);
        assert_eq!(row_step("ArrowLeft", 1, 3), None);
        assert_eq!(row_step("Enter", 1, 3), None);
    }
}
