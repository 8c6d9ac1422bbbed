//! The Conflict-store lab's comparison: the same script's report under every strategy (LWW
//! on wall clocks, LWW on Lamport clocks, vector clocks, dotted version vectors) side by side
//! — what each acknowledged, lost, kept as siblings, and the final values — each row's name
//! switching the lab to that strategy.

use std::rc::Rc;

use chronoscope::scenario::conflict_store::{LabParams, Report, SPEC};
use yew_router::prelude::*;

use super::conflict_store::SLUG;
use super::kit::{self, prelude::*};

/// Every strategy's report on the same parameters, and the chosen one's trace.
pub struct Runs {
    /// One report per strategy, in `Strategy::ALL` order.
    pub reports: Vec<Report>,
    /// The index of the chosen strategy.
    pub chosen: usize,
    /// The chosen strategy's trace.
    pub trace: SharedTrace,
}

/// Shared runs; equality is identity (a new run is a new `Rc`).
#[derive(Clone)]
pub struct SharedRuns(pub Rc<Result<Runs, String>>);

impl PartialEq for SharedRuns {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// A stored value as the lists show it.
pub fn show_value(v: &Option<String>) -> String {
    match v {
        Some(v) => format!("{v:?}"),
        None => "<deleted>".into(),
    }
}

#[derive(Properties, PartialEq)]
/// Props of [`CompareTable`].
pub struct CompareProps {
    /// Every strategy's run.
    pub runs: SharedRuns,
    /// The lab's parameters.
    pub params: LabParams,
}

/// The four strategies side by side on the same run; each name switches the view to it.
#[function_component(CompareTable)]
pub fn compare_table(props: &CompareProps) -> Html {
    let navigator = use_navigator();
    let Ok(Runs { reports: all, .. }) = props.runs.0.as_ref() else {
        return html! {};
    };
    let finals = |r: &Report| {
        r.final_values
            .iter()
            .map(|(k, vs)| {
                let vs: Vec<String> = vs.iter().map(show_value).collect();
                format!("{k}=[{}]", vs.join(", "))
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    let rows = all.iter().map(|r| {
        let s = r.params.strategy;
        let current = s == props.params.run.strategy;
        let onclick = {
            let navigator = navigator.clone();
            let mut next = props.params.clone();
            next.run.strategy = s;
            Callback::from(move |_: MouseEvent| kit::go(&navigator, SLUG, &kit::write(&SPEC, &next)))
        };
        html! {
            <tr class={classes!(current.then_some("current"))} data-strategy={s.name()}>
                <th scope="row"><button class="strategy-link" {onclick} aria-pressed={current.to_string()}>{ s.to_string() }</button></th>
                <td class="num">{ r.acked.len() }</td>
                <td class={classes!("num", "lost-count", (!r.lost.is_empty()).then_some("bad"))}>{ r.lost.len() }</td>
                <td class="num">{ r.concurrent.len() }</td>
                <td>{ if r.converged { "yes" } else { "no" } }</td>
                <td class="finals"><code>{ finals(r) }</code></td>
            </tr>
        }
    });
    html! {
        <table class="strategy-compare">
            <caption>{ format!("The same script, node A's clock {:+} ms, under each strategy", props.params.run.skew_ms) }</caption>
            <thead><tr>
                <th scope="col">{"strategy"}</th><th scope="col">{"acked"}</th><th scope="col">{"acked then lost"}</th>
                <th scope="col">{"concurrent pairs"}</th><th scope="col">{"converged"}</th><th scope="col">{"final values at A"}</th>
            </tr></thead>
            <tbody>{ for rows }</tbody>
        </table>
    }
}
