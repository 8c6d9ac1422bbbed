//! The kit's parameter form: one input per parameter of a scenario's
//! [`Spec`](chronoscope::scenario::params::Spec), folded behind one summary so that the page
//! costs one tab stop until the reader opens it.

use std::collections::BTreeMap;

use chronoscope::scenario::params::{AnySpec, Kind, Param};
use yew::prelude::*;
use yew_router::prelude::*;

use super::{go, with};

/// A scenario's [`Spec`] as a prop: equal when it is the same spec.
#[derive(Clone, Copy)]
pub struct SpecRef(pub &'static dyn AnySpec);

impl PartialEq for SpecRef {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::addr_eq(self.0, other.0)
    }
}

/// Props of [`ParamForm`].
#[derive(Properties, PartialEq)]
pub struct ParamFormProps {
    /// The lab's slug (where the form navigates).
    pub slug: &'static str,
    /// The scenario's parameters.
    pub spec: SpecRef,
    /// The current values (the URL that reproduces the run).
    pub values: BTreeMap<&'static str, String>,
    /// Keys the lab sets with widgets of its own (left out of the form).
    #[prop_or_default]
    pub elsewhere: &'static [&'static str],
}

fn label_of(p: &Param) -> String {
    if p.unit.is_empty() {
        p.label.to_string()
    } else {
        format!("{} ({})", p.label, p.unit)
    }
}

/// A form over the lab's URL parameters, one input per parameter of the spec: numbers and
/// the seed apply on Run, choices and switches at once; "New seed" draws a fresh seed. It is
/// folded in a `<details>` whose summary is its one tab stop until opened.
#[function_component(ParamForm)]
pub fn param_form(props: &ParamFormProps) -> Html {
    let draft = use_state(|| props.values.clone());
    {
        let draft = draft.clone();
        use_effect_with(props.values.clone(), move |v| draft.set(v.clone()));
    }
    let navigator = use_navigator();
    let slug = props.slug;
    // (key, value, apply now?)
    let edit = {
        let draft = draft.clone();
        let navigator = navigator.clone();
        Callback::from(move |(key, value, now): (&'static str, String, bool)| {
            let next = with(&draft, key, value);
            if now {
                go(&navigator, slug, &next);
            } else {
                draft.set(next);
            }
        })
    };
    let onsubmit = {
        let draft = draft.clone();
        let navigator = navigator.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            go(&navigator, slug, &*draft);
        })
    };
    let new_seed = {
        let draft = draft.clone();
        Callback::from(move |_: MouseEvent| {
            let seed = (js_sys::Math::random() * 1e15) as u64;
            go(&navigator, slug, &with(&draft, "seed", seed));
        })
    };
    let field = |p: &'static Param| -> Html {
        let key = p.key;
        let value = draft.get(key).cloned().unwrap_or_default();
        let edit = edit.clone();
        let title = p.help;
        match p.kind {
            Kind::Int { min, max } => {
                let oninput = Callback::from(move |e: InputEvent| {
                    if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                        edit.emit((key, input.value(), false));
                    }
                });
                html! {
                    <label {title}>{ label_of(p) }
                        <input type="number" name={key} min={min.to_string()} max={max.to_string()} {value} {oninput} />
                    </label>
                }
            }
            Kind::Seed => {
                let oninput = Callback::from(move |e: InputEvent| {
                    if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                        edit.emit((key, input.value(), false));
                    }
                });
                html! {
                    <label {title}>{ label_of(p) }
                        <input type="text" inputmode="numeric" name={key} {value} {oninput} />
                    </label>
                }
            }
            Kind::Choice(names) => {
                let onchange = Callback::from(move |e: Event| {
                    if let Some(select) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                        edit.emit((key, select.value(), true));
                    }
                });
                html! {
                    <label {title}>{ label_of(p) }
                        <select name={key} {onchange}>
                            { for names.iter().map(|o| html! {
                                <option value={*o} selected={value == *o}>{ *o }</option>
                            }) }
                        </select>
                    </label>
                }
            }
            Kind::Switch => {
                let onchange = Callback::from(move |e: Event| {
                    if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                        edit.emit((key, if input.checked() { "1" } else { "0" }.into(), true));
                    }
                });
                html! {
                    <label class="check" {title}>
                        <input type="checkbox" name={key} checked={value == "1"} {onchange} />
                        { label_of(p) }
                    </label>
                }
            }
        }
    };
    let shown: Vec<&'static Param> = props
        .spec
        .0
        .all()
        .into_iter()
        .filter(|p| !props.elsewhere.contains(&p.key))
        .collect();
    // Folded: one tab stop (the summary) until the reader opens it, so Tab reaches the run.
    html! {
        <details class="params-fold">
            <summary>{ format!("Parameters ({}) — open to change the run", shown.len()) }</summary>
            <form class="params" {onsubmit} aria-label="Run parameters">
                { for shown.into_iter().map(field) }
                <button type="submit" class="run-button">{"Run"}</button>
                <button type="button" class="seed-button" onclick={new_seed}>{"New seed"}</button>
            </form>
        </details>
    }
}
