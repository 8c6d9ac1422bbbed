//! Pieces the clock labs share: reading the URL's query, switching to new parameters,
//! showing clamping notes, a parameter form built from field descriptions, and the
//! tour-to-playback link (a tour step sets parameters and asks for a playback position).

use std::collections::BTreeMap;

use yew::prelude::*;
use yew_router::prelude::*;

use crate::components::playback::{Playback, PlaybackAction};
use crate::components::tour::TourMove;
use crate::query::Query;
use crate::Route;

/// The current URL's query string.
#[hook]
pub fn use_query() -> Query {
    let location = use_location();
    let raw = location
        .as_ref()
        .map(|l| l.query_str().to_string())
        .unwrap_or_default();
    Query::parse(&raw)
}

/// Navigates to lab `slug` with `query` (logs, never panics, if the URL cannot change).
pub fn go<Q: pairs::QueryPairs>(navigator: &Option<Navigator>, slug: &str, query: &Q) {
    if let Some(nav) = navigator {
        let route = Route::Lab { slug: slug.into() };
        if nav.push_with_query(&route, &query.pairs()).is_err() {
            web_sys::console::error_1(&"could not update the URL".into());
        }
    }
}

/// Query maps of either key type.
pub mod pairs {
    use std::collections::BTreeMap;

    /// Something that turns into `key=value` pairs.
    pub trait QueryPairs {
        /// The pairs.
        fn pairs(&self) -> BTreeMap<String, String>;
    }
    impl QueryPairs for BTreeMap<&'static str, String> {
        fn pairs(&self) -> BTreeMap<String, String> {
            self.iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect()
        }
    }
    impl QueryPairs for BTreeMap<String, String> {
        fn pairs(&self) -> BTreeMap<String, String> {
            self.clone()
        }
    }
}

/// `query` with `key` set to `value`.
pub fn with(
    query: &BTreeMap<&'static str, String>,
    key: &'static str,
    value: impl ToString,
) -> BTreeMap<&'static str, String> {
    let mut next = query.clone();
    next.insert(key, value.to_string());
    next
}

/// The notice listing what was clamped (nothing when `notes` is empty).
pub fn notes_view(notes: &[String]) -> Html {
    if notes.is_empty() {
        return html! {};
    }
    html! {
        <div class="notice" role="alert">
            <strong>{"Some parameters were adjusted:"}</strong>
            <ul>{ for notes.iter().map(|n| html!{ <li>{ n.clone() }</li> }) }</ul>
        </div>
    }
}

/// A tour's requested playback position: (request number, fraction of the run).
pub type Seek = Option<(u32, f64)>;

/// The state and callback linking a [`Tour`](crate::components::tour::Tour) to a lab: a
/// step's query replaces the URL's, and its position is handed to the run as a [`Seek`].
#[hook]
pub fn use_tour_moves(slug: &'static str) -> (Seek, Callback<TourMove>) {
    let seek = use_state(|| None::<(u32, f64)>);
    let navigator = use_navigator();
    let on_move = {
        let seek = seek.clone();
        Callback::from(move |m: TourMove| {
            if let Some(query) = m.query {
                go(&navigator, slug, &Query::parse(query).into_pairs());
            }
            if let Some(at) = m.at {
                let n = seek.map_or(0, |(n, _)| n + 1);
                seek.set(Some((n, at)));
            }
        })
    };
    (*seek, on_move)
}

/// Moves `playback` when a tour asks for a position.
#[hook]
pub fn use_seek(playback: UseReducerHandle<Playback>, seek: Seek) {
    use_effect_with(seek, move |seek| {
        if let Some((_, at)) = seek {
            let to = (at * playback.total as f64).round() as usize;
            playback.dispatch(PlaybackAction::Seek(to));
        }
    });
}

/// One numeric field of a [`LabForm`].
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// The label shown.
    pub label: &'static str,
    /// The URL parameter.
    pub name: &'static str,
    /// The allowed range.
    pub range: (u32, u32),
}

/// Props of [`LabForm`].
#[derive(Properties, PartialEq)]
pub struct LabFormProps {
    /// The lab's slug (where Run navigates).
    pub slug: &'static str,
    /// The numeric fields, in order.
    pub fields: Vec<Field>,
    /// The current parameters as URL pairs (including `seed`).
    pub query: BTreeMap<&'static str, String>,
}

/// A parameter form: number fields, a seed, Run and New seed.
#[function_component(LabForm)]
pub fn lab_form(props: &LabFormProps) -> Html {
    let draft = use_state(|| props.query.clone());
    {
        let draft = draft.clone();
        use_effect_with(props.query.clone(), move |q| draft.set(q.clone()));
    }
    let navigator = use_navigator();
    let slug = props.slug;
    let set = |name: &'static str| {
        let draft = draft.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                draft.set(with(&draft, name, input.value()));
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
    let value = |name: &str| draft.get(name).cloned().unwrap_or_default();
    html! {
        <form class="params" {onsubmit} aria-label="Run parameters">
            { for props.fields.iter().map(|f| html! {
                <label>{ f.label }
                    <input type="number" name={f.name} min={f.range.0.to_string()} max={f.range.1.to_string()}
                        value={value(f.name)} oninput={set(f.name)} />
                </label>
            }) }
            <label>{"seed"}
                <input type="text" name="seed" inputmode="numeric" value={value("seed")} oninput={set("seed")} />
            </label>
            <button type="submit" class="run-button">{"Run"}</button>
            <button type="button" class="seed-button" onclick={new_seed}>{"New seed"}</button>
        </form>
    }
}

/// `ms` milliseconds after midnight as `hh:mm:ss.mmm` (negative values get a sign).
pub fn clock_time(ms: i64) -> String {
    let sign = if ms < 0 { "−" } else { "" };
    let ms = ms.unsigned_abs();
    format!(
        "{sign}{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1_000 % 60,
        ms % 1_000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_time_formats_hours_to_millis() {
        assert_eq!(clock_time(43_200_512), "12:00:00.512");
        assert_eq!(clock_time(42_900_000), "11:55:00.000");
        assert_eq!(clock_time(-1_500), "−00:00:01.500");
        let q = BTreeMap::from([("a", "1".to_string())]);
        assert_eq!(with(&q, "b", 2).len(), 2);
    }
}
