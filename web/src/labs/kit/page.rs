//! A lab as data: [`RunSpec`] says how a lab computes its run and draws it, [`LabRunView`]
//! runs it (computed once per parameters, with playback, selection and exports), and
//! [`LabPage`] is a whole page from the slug, title, explanation, parameter spec and tour.

use chronoscope::scenario::params::Spec;
use yew::prelude::*;

use super::{run_error, use_lab_page, use_lab_run, write, LabControls, LabRun, Seek, SpecRef};
use crate::components::tour::TourStep;
use crate::components::SharedTrace;

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
