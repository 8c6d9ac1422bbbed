//! The Comparison lab's disagreement list: every pair where an ordering disagrees with
//! happens-before, as one tab stop (a roving tabindex, as in the space-time diagram, after
//! the WAI-ARIA grid pattern): ↑/↓ and Home/End move between rows, Enter or Space (or a
//! click) select the row's two events in the diagram.

use std::rc::Rc;

use chronoscope::scenario::comparison::{ComparisonRun, Disagreement, SchemeReport};
use chronoscope::trace::EventId;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::comparison::{scheme_key, stamp};

/// Rows shown per disagreement list.
const MAX_ROWS: usize = 40;

/// The list of the pairs where `report`'s ordering disagrees with happens-before (the first
/// [`MAX_ROWS`]), each selecting its two events.
pub fn pairs_table(
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

#[cfg(test)]
mod tests {
    use super::*;

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
