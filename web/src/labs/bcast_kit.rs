//! What the Lamport-chat lab still uses until it moves to [`kit`](super::kit) (whose pieces
//! these mostly forward to): a parameter form over numeric fields, the notice, the tour
//! callback and the true time at the playback position.

use std::collections::BTreeMap;

use yew::prelude::*;
use yew_router::prelude::*;

use super::kit;
use crate::components::tour::TourMove;
use crate::query::Query;

/// One numeric field of a lab's parameter form.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// The visible label.
    pub label: &'static str,
    /// The URL key.
    pub name: &'static str,
    /// Smallest allowed value.
    pub min: u32,
    /// Largest allowed value.
    pub max: u32,
}

impl Field {
    /// A field over an inclusive range.
    pub fn new(
        label: &'static str,
        name: &'static str,
        range: &std::ops::RangeInclusive<u32>,
    ) -> Field {
        Field {
            label,
            name,
            min: *range.start(),
            max: *range.end(),
        }
    }
}

/// The "some parameters were adjusted" notice (the kit's).
pub fn notices(notes: &[String]) -> Html {
    kit::notes_view(notes)
}

/// The reading of the lab's URL query string (the kit's).
#[hook]
pub fn use_lab_query() -> Query {
    kit::use_query()
}

/// A tour callback for lab `slug`: a step's query replaces the URL, its `at` asks the run
/// for a playback position (request number, fraction of the run) through `seek`.
#[hook]
pub fn use_tour_moves(
    slug: &'static str,
    seek: UseStateHandle<Option<(u32, f64)>>,
) -> Callback<TourMove> {
    let navigator = use_navigator();
    Callback::from(move |m: TourMove| {
        if let Some(query) = m.query {
            kit::go(&navigator, slug, &Query::parse(query).into_pairs());
        }
        if let Some(at) = m.at {
            let n = seek.map_or(0, |(n, _)| n + 1);
            seek.set(Some((n, at)));
        }
    })
}

pub use super::kit::time_at;

/// Props of [`LabForm`].
#[derive(Properties, PartialEq)]
pub struct LabFormProps {
    /// The lab's slug (the form navigates there).
    pub slug: &'static str,
    /// The numeric fields.
    pub fields: Vec<Field>,
    /// The current values by URL key (the seed included).
    pub values: BTreeMap<&'static str, String>,
}

/// A parameter form: edits a draft of the query and navigates on Run / New seed.
#[function_component(LabForm)]
pub fn lab_form(props: &LabFormProps) -> Html {
    let draft = use_state(|| props.values.clone());
    {
        let draft = draft.clone();
        use_effect_with(props.values.clone(), move |v| draft.set(v.clone()));
    }
    let navigator = use_navigator();
    let slug = props.slug;
    let edit = |name: &'static str| {
        let draft = draft.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                let mut next = (*draft).clone();
                next.insert(name, input.value());
                draft.set(next);
            }
        })
    };
    let to_pairs = |m: &BTreeMap<&'static str, String>| -> BTreeMap<String, String> {
        m.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    };
    let onsubmit = {
        let draft = draft.clone();
        let navigator = navigator.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            kit::go(&navigator, slug, &to_pairs(&draft));
        })
    };
    let new_seed = {
        let draft = draft.clone();
        Callback::from(move |_: MouseEvent| {
            let mut next = to_pairs(&draft);
            let seed = (js_sys::Math::random() * 1e15) as u64;
            next.insert("seed".into(), seed.to_string());
            kit::go(&navigator, slug, &next);
        })
    };
    let value = |name: &str| draft.get(name).cloned().unwrap_or_default();
    html! {
        <form class="params" {onsubmit} aria-label="Run parameters">
            { for props.fields.iter().map(|f| html! {
                <label>{ f.label }
                    <input type="number" name={f.name} min={f.min.to_string()} max={f.max.to_string()}
                        value={value(f.name)} oninput={edit(f.name)} />
                </label>
            }) }
            <label>{"seed"}
                <input type="text" name="seed" inputmode="numeric" value={value("seed")} oninput={edit("seed")} />
            </label>
            <button type="submit" class="run-button">{"Run"}</button>
            <button type="button" class="seed-button" onclick={new_seed}>{"New seed"}</button>
        </form>
    }
}
