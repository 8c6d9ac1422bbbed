//! Pieces shared by the clock labs (drift, leases, Byzantine sync): a parameter form built
//! from a list of fields, URL parsing for signed numbers, switches and named choices (each
//! bad value replaced by the default *with a note*), the tour hook, and the mapping from a
//! playback position to true time. Nothing here knows an algorithm; the core runs them.

use std::collections::BTreeMap;

use chronoscope::time::Instant;
use chronoscope::trace::Trace;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::components::playback::{Playback, PlaybackAction};
use crate::components::tour::TourMove;
use crate::query::Query;
use crate::Route;

/// A signed integer parameter; unparsable values give `default` and a note.
pub fn i32_or(query: &Query, key: &str, default: i32, notes: &mut Vec<String>) -> i32 {
    match query.get(key) {
        None => default,
        Some(raw) => raw.trim().parse().unwrap_or_else(|_| {
            let shown: String = raw.chars().take(40).collect();
            notes.push(format!(
                "{key} = \"{shown}\" is not a whole number between {} and {}; using {default}",
                i32::MIN,
                i32::MAX
            ));
            default
        }),
    }
}

/// An on/off parameter (`1`/`0`, `true`/`false`, `on`/`off`); anything else gives `default`
/// and a note.
pub fn bool_or(query: &Query, key: &str, default: bool, notes: &mut Vec<String>) -> bool {
    match query.get(key).map(str::trim) {
        None => default,
        Some("1" | "true" | "on" | "yes") => true,
        Some("0" | "false" | "off" | "no") => false,
        Some(raw) => {
            let shown: String = raw.chars().take(40).collect();
            notes.push(format!(
                "{key} = \"{shown}\" is not 1 or 0; using {}",
                u8::from(default)
            ));
            default
        }
    }
}

/// A parameter naming one of `options`; an unknown name gives `default` and a note.
pub fn choice_or<T: Copy + PartialEq>(
    query: &Query,
    key: &str,
    options: &[(&'static str, T)],
    default: T,
    notes: &mut Vec<String>,
) -> T {
    match query.get(key) {
        None => default,
        Some(raw) => match options.iter().find(|(name, _)| *name == raw.trim()) {
            Some((_, v)) => *v,
            None => {
                let shown: String = raw.chars().take(40).collect();
                let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
                notes.push(format!(
                    "{key} = \"{shown}\" is not one of {}; using {}",
                    names.join(", "),
                    choice_name(options, default)
                ));
                default
            }
        },
    }
}

/// The URL name of `value` among `options` (empty if it has none).
pub fn choice_name<T: PartialEq>(options: &[(&'static str, T)], value: T) -> &'static str {
    options
        .iter()
        .find(|(_, v)| *v == value)
        .map_or("", |(n, _)| n)
}

/// Moves to lab `slug` with `query` (reporting failure on the console).
pub fn go<K: AsRef<str> + Ord>(
    navigator: &Option<Navigator>,
    slug: &'static str,
    query: &BTreeMap<K, String>,
) {
    if let Some(nav) = navigator {
        let pairs: BTreeMap<&str, &str> = query
            .iter()
            .map(|(k, v)| (k.as_ref(), v.as_str()))
            .collect();
        let route = Route::Lab { slug: slug.into() };
        if nav.push_with_query(&route, &pairs).is_err() {
            web_sys::console::error_1(&"could not update the URL".into());
        }
    }
}

/// The tour's wiring for lab `slug`: the requested playback position (request number,
/// fraction of the run) and the callback the [`Tour`](crate::components::tour::Tour) calls.
#[hook]
pub fn use_tour(slug: &'static str) -> (Option<(u32, f64)>, Callback<TourMove>) {
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

/// A playback over `total` events that starts playing at speed index `speed` (see
/// [`SPEEDS`](crate::components::playback::SPEEDS)), and honours tour seek requests.
#[hook]
pub fn use_lab_playback(
    total: usize,
    speed: usize,
    seek: Option<(u32, f64)>,
) -> UseReducerHandle<Playback> {
    let playback = use_reducer(move || {
        Playback {
            speed,
            ..Playback::new(total)
        }
        .apply(PlaybackAction::Play)
    });
    {
        let playback = playback.clone();
        use_effect_with(seek, move |seek| {
            if let Some((_, at)) = seek {
                playback.dispatch(PlaybackAction::Seek(
                    (at.clamp(0.0, 1.0) * playback.total as f64).round() as usize,
                ));
            }
        });
    }
    playback
}

/// True time at playback `position` (events shown): the last shown event's true time, zero
/// before the first, and `end` once every event is shown.
pub fn true_time_at(trace: &Trace, position: usize, end: Instant) -> Instant {
    let events = trace.events();
    if position >= events.len() {
        end.max(events.last().map_or(Instant::ZERO, |e| e.true_time))
    } else if position == 0 {
        Instant::ZERO
    } else {
        events[position - 1].true_time
    }
}

/// The notice listing adjusted parameters (nothing when there are none).
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

/// What kind of input a field is.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldKind {
    /// A whole number in `[min, max]`.
    Number {
        /// Smallest allowed.
        min: i64,
        /// Largest allowed.
        max: i64,
    },
    /// One of these names (applied at once).
    Choice(&'static [&'static str]),
    /// A check box, `1`/`0` (applied at once).
    Check,
    /// A 64-bit seed.
    Seed,
}

/// One field of a parameter form.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// The URL name.
    pub name: &'static str,
    /// What the form says.
    pub label: &'static str,
    /// The input.
    pub kind: FieldKind,
}

impl Field {
    /// A number field.
    pub fn number(
        name: &'static str,
        label: &'static str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Field {
        Field {
            name,
            label,
            kind: FieldKind::Number {
                min: *range.start(),
                max: *range.end(),
            },
        }
    }
}

/// Props of [`ParamForm`].
#[derive(Properties, PartialEq)]
pub struct ParamFormProps {
    /// The lab's slug (where the form navigates).
    pub slug: &'static str,
    /// The fields, in order.
    pub fields: Vec<Field>,
    /// The current values (the URL that reproduces the run).
    pub values: BTreeMap<&'static str, String>,
}

/// A form over the lab's URL parameters: numbers apply on Run, choices and check boxes at
/// once; "New seed" draws a fresh seed.
#[function_component(ParamForm)]
pub fn param_form(props: &ParamFormProps) -> Html {
    let draft = use_state(|| props.values.clone());
    {
        let draft = draft.clone();
        use_effect_with(props.values.clone(), move |v| draft.set(v.clone()));
    }
    let navigator = use_navigator();
    let slug = props.slug;
    let set = {
        let draft = draft.clone();
        Callback::from(move |(name, value): (&'static str, String)| {
            let mut next = (*draft).clone();
            next.insert(name, value);
            draft.set(next);
        })
    };
    let apply = {
        let draft = draft.clone();
        let navigator = navigator.clone();
        Callback::from(move |(name, value): (&'static str, String)| {
            let mut next = (*draft).clone();
            next.insert(name, value);
            go(&navigator, slug, &next);
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
            let mut next = (*draft).clone();
            next.insert("seed", ((js_sys::Math::random() * 1e15) as u64).to_string());
            go(&navigator, slug, &next);
        })
    };
    let field = |f: &Field| -> Html {
        let value = draft.get(f.name).cloned().unwrap_or_default();
        let name = f.name;
        match &f.kind {
            FieldKind::Number { min, max } => {
                let set = set.clone();
                let oninput = Callback::from(move |e: InputEvent| {
                    if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                        set.emit((name, input.value()));
                    }
                });
                html! {
                    <label>{ f.label }
                        <input type="number" name={name} min={min.to_string()} max={max.to_string()} {value} {oninput} />
                    </label>
                }
            }
            FieldKind::Seed => {
                let set = set.clone();
                let oninput = Callback::from(move |e: InputEvent| {
                    if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                        set.emit((name, input.value()));
                    }
                });
                html! {
                    <label>{ f.label }
                        <input type="text" inputmode="numeric" name={name} {value} {oninput} />
                    </label>
                }
            }
            FieldKind::Choice(options) => {
                let apply = apply.clone();
                let onchange = Callback::from(move |e: Event| {
                    if let Some(select) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                        apply.emit((name, select.value()));
                    }
                });
                html! {
                    <label>{ f.label }
                        <select name={name} {onchange}>
                            { for options.iter().map(|o| html! {
                                <option value={*o} selected={value == *o}>{ *o }</option>
                            }) }
                        </select>
                    </label>
                }
            }
            FieldKind::Check => {
                let apply = apply.clone();
                let onchange = Callback::from(move |e: Event| {
                    if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                        apply.emit((name, if input.checked() { "1" } else { "0" }.into()));
                    }
                });
                html! {
                    <label class="check">
                        <input type="checkbox" name={name} checked={value == "1"} {onchange} />
                        { f.label }
                    </label>
                }
            }
        }
    };
    html! {
        <form class="params" {onsubmit} aria-label="Run parameters">
            { for props.fields.iter().map(field) }
            <button type="submit" class="run-button">{"Run"}</button>
            <button type="button" class="seed-button" onclick={new_seed}>{"New seed"}</button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_switches_and_choices_fall_back_with_notes() {
        let q = Query::parse("a=-5&b=x&on=1&off=0&bad=maybe&m=slew&n=warp");
        let mut notes = Vec::new();
        assert_eq!(i32_or(&q, "a", 3, &mut notes), -5);
        assert_eq!(i32_or(&q, "b", 3, &mut notes), 3);
        assert!(bool_or(&q, "on", false, &mut notes));
        assert!(!bool_or(&q, "off", true, &mut notes));
        assert!(bool_or(&q, "bad", true, &mut notes));
        let opts = [("step", 0), ("slew", 1)];
        assert_eq!(choice_or(&q, "m", &opts, 0, &mut notes), 1);
        assert_eq!(choice_or(&q, "n", &opts, 0, &mut notes), 0);
        assert_eq!(choice_or(&q, "missing", &opts, 1, &mut notes), 1);
        assert_eq!(notes.len(), 3, "{notes:?}");
        assert!(notes[2].contains("step, slew"));
        assert_eq!(choice_name(&opts, 1), "slew");
    }
}
