//! The one kit every lab is built from. Parameters come from the scenario's
//! [`Spec`](chronoscope::scenario::params::Spec) in the core: the URL is read and written
//! through it ([`read`], [`write`]), the notes it returns are shown by [`notes_view`], and
//! [`ParamForm`] draws one input per parameter. [`use_tour`] links a tour to the URL and the
//! playback position; [`use_lab_run`] gathers what a run's view needs (playback with its
//! timer and keys, the selected events, the trace exports). Nothing here knows an algorithm.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use chronoscope::scenario::params::{AnySpec, Kind, Param, Spec};
use chronoscope::time::Instant;
use chronoscope::trace::{EventId, Trace};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::components::diagram::{Shared, SpaceTimeDiagram};
use crate::components::export::{use_trace_exports, ExportMenu, TextExport};
use crate::components::inspector::EventInspector;
pub use crate::components::playback::use_seek;
use crate::components::playback::{
    use_playback_keys, use_playback_timer, Playback, PlaybackAction,
};
use crate::components::tour::{Tour, TourMove, TourStep};
use crate::components::SharedTrace;
use crate::query::Query;
use crate::Route;

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

/// A playback over `total` events that starts playing at speed index `speed` (see
/// [`SPEEDS`](crate::components::playback::SPEEDS)), with its timer and keys, honouring
/// tour seek requests.
#[hook]
pub fn use_lab_playback(total: usize, speed: usize, seek: Seek) -> UseReducerHandle<Playback> {
    let playback = use_reducer(move || {
        Playback {
            speed,
            ..Playback::new(total)
        }
        .apply(PlaybackAction::Play)
    });
    use_playback_timer(playback.clone());
    use_playback_keys(playback.clone());
    use_seek(playback.clone(), seek);
    playback
}

/// What a run's view needs besides the run: its playback, the selected and compared
/// events, and the trace exports.
pub struct LabRun {
    /// The playback (timer and keys attached).
    pub playback: UseReducerHandle<Playback>,
    /// The selected event.
    pub selected: Option<EventId>,
    /// The event compared with it.
    pub compare: Option<EventId>,
    /// Selects an event.
    pub on_select: Callback<EventId>,
    /// Picks the event to compare with.
    pub on_compare: Callback<EventId>,
    /// Selects a pair (the first selected, the second compared), playing far enough to show
    /// both.
    pub select_pair: Callback<(EventId, EventId)>,
    /// The trace's exports (JSON, ShiViz, Mermaid, DOT).
    pub exports: Rc<Vec<TextExport>>,
    /// The name the exports are saved under.
    pub export_name: String,
}

/// The line under every run naming its keyboard shortcuts.
const KEYS: &str = "Keys: Space play/pause · ←/→ step · Home/End · +/− speed · Tab to the diagram, arrow keys between events, Enter to select";

impl LabRun {
    /// The space-time diagram of `trace` up to the playback position, beside the event
    /// inspector (with `side` above it); the events in `marked` are ringed.
    pub fn body(
        &self,
        trace: &SharedTrace,
        marked: Option<Shared<BTreeSet<EventId>>>,
        side: Option<Html>,
    ) -> Html {
        let inspector = html! {
            <EventInspector trace={trace.clone()} selected={self.selected} compare={self.compare} />
        };
        html! {
            <div class="run-body">
                <SpaceTimeDiagram trace={trace.clone()} shown={self.playback.position} selected={self.selected}
                    on_select={self.on_select.clone()} compare={self.compare} on_compare={self.on_compare.clone()} {marked} />
                if let Some(side) = side {
                    <div class="side">{ side }{ inspector }</div>
                } else {
                    { inspector }
                }
            </div>
        }
    }

    /// The run's exports (the trace's, then `extra`) and the line naming the keys.
    pub fn footer(&self, name: impl Into<AttrValue>, extra: Vec<TextExport>) -> Html {
        let texts: Vec<TextExport> = self.exports.iter().cloned().chain(extra).collect();
        html! {
            <>
                <ExportMenu name={name.into()} {texts} />
                <p class="keys">{ KEYS }</p>
            </>
        }
    }
}

/// A CSV export named `name.csv` whose contents `csv` writes when it is downloaded.
pub fn csv_export(name: &str, csv: impl Fn() -> String + 'static) -> TextExport {
    TextExport {
        label: "CSV",
        filename: format!("{name}.csv"),
        mime: "text/csv",
        contents: Rc::new(csv),
    }
}

/// The true time in seconds of the last of the first `shown` events (none before any): where
/// a plot over true time draws its cursor.
pub fn cursor_s(trace: &Trace, shown: usize) -> Option<f64> {
    shown
        .checked_sub(1)
        .and_then(|i| trace.events().get(i))
        .map(|e| e.true_time.as_millis_f64() / 1_000.0)
}

/// A step plot of a count that changes at the given times (ms), starting from zero.
pub fn step_points(changes: impl IntoIterator<Item = (f64, f64)>) -> Vec<(f64, f64)> {
    let mut points = vec![(0.0, 0.0)];
    for (x, y) in changes {
        points.push((x, points.last().map_or(0.0, |p| p.1)));
        points.push((x, y));
    }
    points
}

/// The playback, selection and exports of a run whose trace is `trace` (none if the run
/// failed), starting at speed index `speed`, honouring `seek`.
#[hook]
pub fn use_lab_run(
    trace: Option<SharedTrace>,
    export_name: String,
    speed: usize,
    seek: Seek,
) -> LabRun {
    let total = trace.as_ref().map_or(0, |t| t.events().len());
    let playback = use_lab_playback(total, speed, seek);
    let selected = use_state(|| None::<EventId>);
    let compare = use_state(|| None::<EventId>);
    let exports = use_trace_exports(export_name.clone(), trace);
    let on_select = {
        let selected = selected.clone();
        Callback::from(move |e: EventId| selected.set(Some(e)))
    };
    let on_compare = {
        let compare = compare.clone();
        Callback::from(move |e: EventId| compare.set(Some(e)))
    };
    let select_pair = {
        let (selected, compare, playback) = (selected.clone(), compare.clone(), playback.clone());
        Callback::from(move |(a, b): (EventId, EventId)| {
            let need = a.index().max(b.index()) + 1;
            if playback.position < need {
                playback.dispatch(PlaybackAction::Seek(need));
            }
            selected.set(Some(a));
            compare.set(Some(b));
        })
    };
    LabRun {
        playback,
        select_pair,
        selected: *selected,
        compare: *compare,
        on_select,
        on_compare,
        exports,
        export_name,
    }
}

/// How a lab runs its scenario and shows a run: see [`LabRunView`].
pub struct RunSpec<P: 'static, C: 'static> {
    /// Runs the scenario (once per parameters).
    pub compute: fn(&P) -> Result<C, String>,
    /// The run's trace.
    pub trace: fn(&C) -> SharedTrace,
    /// The name the exports are saved under.
    pub export_name: fn(&P) -> String,
    /// The playback's starting speed (an index into
    /// [`SPEEDS`](crate::components::playback::SPEEDS)).
    pub speed: usize,
    /// Draws the run at the playback position.
    pub view: fn(&P, &C, &LabRun) -> Html,
}

/// A computed run that carries its trace.
pub trait Traced {
    /// The run's trace.
    fn shared_trace(&self) -> SharedTrace;
}

impl Traced for SharedTrace {
    fn shared_trace(&self) -> SharedTrace {
        self.clone()
    }
}

impl<P: 'static, C: Traced + 'static> RunSpec<P, C> {
    /// A run computed by `compute`, drawn by `view`, exported as `export_name`, played back
    /// at normal speed.
    pub const fn new(
        compute: fn(&P) -> Result<C, String>,
        view: fn(&P, &C, &LabRun) -> Html,
        export_name: fn(&P) -> String,
    ) -> Self {
        RunSpec {
            compute,
            trace: C::shared_trace,
            export_name,
            speed: 2,
            view,
        }
    }

    /// The same, starting at speed index `speed`.
    pub const fn at_speed(self, speed: usize) -> Self {
        RunSpec { speed, ..self }
    }
}

/// Props of [`LabPage`].
#[derive(Properties)]
pub struct LabPageProps<P: 'static, C: 'static> {
    /// The lab's slug.
    pub slug: &'static str,
    /// Its title.
    pub title: &'static str,
    /// What it shows, and the papers it follows.
    pub explain: &'static str,
    /// The scenario's parameters.
    pub spec: &'static Spec<P>,
    /// The guided tour.
    pub tour: fn() -> Vec<TourStep>,
    /// How the lab runs the scenario and shows a run.
    pub run: &'static RunSpec<P, C>,
}

impl<P: 'static, C: 'static> PartialEq for LabPageProps<P, C> {
    fn eq(&self, other: &Self) -> bool {
        self.slug == other.slug
    }
}

/// A whole lab page: the parameters from the URL, the notes on them, the tour, the form and
/// the run.
#[function_component(LabPage)]
pub fn lab_page<P: PartialEq + Clone + std::fmt::Debug + 'static, C: 'static>(
    props: &LabPageProps<P, C>,
) -> Html {
    let (params, notes, seek, on_tour) = use_lab_page(props.slug, props.spec);
    let values = write(props.spec, &params);
    page(
        props.slug,
        props.title,
        html! { { props.explain } },
        html! { <>
            <LabControls slug={props.slug} spec={SpecRef(props.spec)} {values} {notes} steps={(props.tour)()} {on_tour} />
            <LabRunView<P, C> {params} {seek} run={props.run} />
        </> },
    )
}

/// Props of [`LabRunView`].
#[derive(Properties)]
pub struct LabRunProps<P: PartialEq + 'static, C: 'static> {
    /// The parameters.
    pub params: P,
    /// A requested playback position.
    #[prop_or_default]
    pub seek: Seek,
    /// How the lab runs and shows it.
    pub run: &'static RunSpec<P, C>,
}

impl<P: PartialEq + 'static, C: 'static> PartialEq for LabRunProps<P, C> {
    fn eq(&self, other: &Self) -> bool {
        self.params == other.params && self.seek == other.seek && std::ptr::eq(self.run, other.run)
    }
}

/// A lab's run: computed once per parameters, played back with its keys, selection and
/// exports ([`use_lab_run`]), drawn by the lab's view — or the notice the core refused it
/// with. New parameters start a new run (and a new playback).
#[function_component(LabRunView)]
pub fn lab_run_view<P: PartialEq + Clone + std::fmt::Debug + 'static, C: 'static>(
    props: &LabRunProps<P, C>,
) -> Html {
    html! {
        <OneRun<P, C> key={format!("{:?}", props.params)} params={props.params.clone()} seek={props.seek} run={props.run} />
    }
}

#[function_component(OneRun)]
fn one_run<P: PartialEq + Clone + 'static, C: 'static>(props: &LabRunProps<P, C>) -> Html {
    let run = props.run;
    let result = use_memo(props.params.clone(), run.compute);
    let trace = result.as_ref().as_ref().ok().map(run.trace);
    let lab = use_lab_run(
        trace,
        (run.export_name)(&props.params),
        run.speed,
        props.seek,
    );
    match result.as_ref() {
        Ok(c) => (run.view)(&props.params, c, &lab),
        Err(e) => run_error(e),
    }
}

/// A lab's page: its title, its explanation, then `body` (the controls and the run).
pub fn page(slug: &str, title: &str, explain: Html, body: Html) -> Html {
    html! {
        <section class="lab" id={format!("lab-{slug}")}>
            <h2>{ title.to_string() }</h2>
            <p class="explain">{ explain }</p>
            { body }
        </section>
    }
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
