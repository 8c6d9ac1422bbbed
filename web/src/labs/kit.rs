//! The one kit every lab is built from. Parameters come from the scenario's
//! [`Spec`](chronoscope::scenario::params::Spec) in the core: the URL is read and written
//! through it ([`read`], [`write`]), the notes it returns are shown by [`notes_view`], and
//! [`ParamForm`] draws one input per parameter. [`use_tour`] links a tour to the URL and the
//! playback position; [`use_lab_run`] gathers what a run's view needs (playback with its
//! timer and keys, the selected events, the trace exports). Nothing here knows an algorithm.

use std::collections::BTreeMap;

use chronoscope::scenario::params::Spec;
use chronoscope::time::Instant;
use chronoscope::trace::Trace;
use yew::prelude::*;
use yew_router::prelude::*;

pub use crate::components::playback::use_seek;
use crate::components::tour::{Tour, TourMove, TourStep};
use crate::query::Query;
use crate::Route;

mod form;
mod page;
mod run;

pub use form::{ParamForm, ParamFormProps, SpecRef};
pub use page::{page, LabPage, LabRunView, RunSpec, Traced};
pub use run::{csv_export, cursor_s, step_points, use_lab_playback, use_lab_run, LabRun};

/// What a lab's page is drawn with: the kit, the shared components and Yew.
pub mod prelude {
    pub use super::{
        csv_export, cursor_s, notes_view, page, run_error, step_points, use_lab_page, use_lab_run,
        use_tour, LabControls, LabPage, LabRun, LabRunView, ParamForm, RunProps, RunSpec, Seek,
        SpecRef, Traced,
    };
    pub use crate::components::badge::{Invariant, InvariantBadges};
    pub use crate::components::diagram::Shared;
    pub use crate::components::diagram::SpaceTimeDiagram;
    pub use crate::components::export::{ExportMenu, TextExport};
    pub use crate::components::inspector::EventInspector;
    pub use crate::components::playback::{PlaybackAction, PlaybackControls};
    pub use crate::components::plot::{Plot, Series, PALETTE};
    pub use crate::components::tour::{Tour, TourStep};
    pub use crate::components::SharedTrace;
    pub use crate::query::Query;
    pub use yew::prelude::*;
}

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

/// The parameters `query` stands for, and a note for each value that could not be used as
/// given (see [`Spec::read`]).
pub fn read<P>(spec: &Spec<P>, query: &Query) -> (P, Vec<String>) {
    let (p, notes) = spec.read(query.pairs());
    (p, notes.iter().map(ToString::to_string).collect())
}

/// The URL pairs that reproduce `p`.
pub fn write<P>(spec: &Spec<P>, p: &P) -> BTreeMap<&'static str, String> {
    spec.write(p).into_iter().collect()
}

/// Moves to lab `slug` with `query` (reporting failure on the console).
pub fn go<K: AsRef<str> + Ord>(
    navigator: &Option<Navigator>,
    slug: &str,
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

/// The notice listing what was adjusted (nothing when `notes` is empty).
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

/// Props of a lab's run view: the parameters it runs, and the tour's requested position.
#[derive(Properties, PartialEq)]
pub struct RunProps<P: PartialEq> {
    /// The parameters.
    pub params: P,
    /// A requested playback position.
    #[prop_or_default]
    pub seek: Seek,
}

/// Props of [`LabControls`].
#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    /// The lab's slug.
    pub slug: &'static str,
    /// The scenario's parameters.
    pub spec: SpecRef,
    /// The current values.
    pub values: BTreeMap<&'static str, String>,
    /// Keys the lab sets with widgets of its own.
    #[prop_or_default]
    pub elsewhere: &'static [&'static str],
    /// What reading the URL had to adjust.
    pub notes: Vec<String>,
    /// The guided tour.
    pub steps: Vec<TourStep>,
    /// Where the tour's moves go.
    pub on_tour: Callback<TourMove>,
}

/// A lab's controls: the notes on its URL, its tour, and its parameter form.
#[function_component(LabControls)]
pub fn lab_controls(props: &ControlsProps) -> Html {
    html! {
        <>
            { notes_view(&props.notes) }
            <Tour steps={props.steps.clone()} on_move={props.on_tour.clone()} />
            <ParamForm slug={props.slug} spec={props.spec} values={props.values.clone()} elsewhere={props.elsewhere} />
        </>
    }
}

/// The notice shown instead of a run the core refused.
pub fn run_error(e: impl std::fmt::Display) -> Html {
    html! { <div class="notice error" role="alert">{ format!("This run cannot be simulated: {e}") }</div> }
}

/// A lab page's state from its URL: the parameters `spec` reads there, the notes on what it
/// adjusted, and the tour's wiring (see [`use_tour`]).
// The hook macro repeats the bound it needs for `P`.
#[allow(clippy::multiple_bound_locations)]
#[hook]
pub fn use_lab_page<P: 'static>(
    slug: &'static str,
    spec: &'static Spec<P>,
) -> (P, Vec<String>, Seek, Callback<TourMove>) {
    let (params, notes) = read(spec, &use_query());
    let (seek, on_tour) = use_tour(slug);
    (params, notes, seek, on_tour)
}

/// What `p` reads back as from the URL that [`write`] gives for it, with the notes (for
/// tests of the URL round trip).
pub fn round_trip<P>(spec: &Spec<P>, p: &P) -> (P, Vec<String>) {
    let pairs: Vec<String> = write(spec, p)
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    read(spec, &Query::parse(&pairs.join("&")))
}

/// The parameters `query` stands for, which must need no note (for tests of tour queries).
pub fn quiet<P>(spec: &Spec<P>, query: &str) -> P {
    let (p, notes) = read(spec, &Query::parse(query));
    assert!(notes.is_empty(), "{query}: {notes:?}");
    p
}

/// The tour's wiring for lab `slug`: a step's query replaces the URL's, and its position is
/// handed to the run as a [`Seek`].
#[hook]
pub fn use_tour(slug: &'static str) -> (Seek, Callback<TourMove>) {
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

/// True time at playback `position` (events shown): the last shown event's true time, zero
/// before the first, and `end` once every event is shown.
pub fn true_time_at(trace: &Trace, position: usize, end: Instant) -> Instant {
    let events = trace.events();
    if position >= events.len() {
        end.max(events.last().map_or(Instant::ZERO, |e| e.true_time))
    } else {
        time_at(trace, position)
    }
}

/// The true time of the last event shown at playback position `shown` (zero before any).
pub fn time_at(trace: &Trace, shown: usize) -> Instant {
    shown
        .checked_sub(1)
        .and_then(|i| trace.events().get(i))
        .map_or(Instant::ZERO, |e| e.true_time)
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
