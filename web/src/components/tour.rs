//! A guided tour: three to six steps that each explain one moment of a lab and may set its
//! parameters (a URL query) and move playback to the event that matters. Skippable at any
//! step; keyboard accessible (the buttons are ordinary buttons).

use yew::prelude::*;

/// One step of a tour.
#[derive(Clone, Debug, PartialEq)]
pub struct TourStep {
    /// Short heading.
    pub title: &'static str,
    /// What to look at.
    pub text: &'static str,
    /// Parameters to switch to (a query string without `?`), if the step needs a new run.
    pub query: Option<&'static str>,
    /// Where to pause playback: a fraction of the run (0.0 = start, 1.0 = end).
    pub at: Option<f64>,
}

/// What the lab should do when a step is shown.
#[derive(Clone, Debug, PartialEq)]
pub struct TourMove {
    /// Parameters to switch to.
    pub query: Option<&'static str>,
    /// Playback position as a fraction of the run.
    pub at: Option<f64>,
}

/// Props of [`Tour`].
#[derive(Properties, PartialEq)]
pub struct TourProps {
    /// The steps.
    pub steps: Vec<TourStep>,
    /// Called with each step's move when it is shown.
    pub on_move: Callback<TourMove>,
}

/// The tour panel: "Start tour", then Back / Next / Skip through the steps.
#[function_component(Tour)]
pub fn tour(props: &TourProps) -> Html {
    let step = use_state(|| None::<usize>);
    let show = {
        let step = step.clone();
        let steps = props.steps.clone();
        let on_move = props.on_move.clone();
        Callback::from(move |i: Option<usize>| {
            if let Some(s) = i.and_then(|i| steps.get(i)) {
                on_move.emit(TourMove {
                    query: s.query,
                    at: s.at,
                });
            }
            step.set(i.filter(|i| *i < steps.len()));
        })
    };
    match *step {
        None => html! {
            <div class="tour">
                <button class="tour-start" onclick={show.reform(|_| Some(0))}>{ format!("▶ Guided tour ({} steps)", props.steps.len()) }</button>
            </div>
        },
        Some(i) => {
            let s = &props.steps[i];
            let last = i + 1 == props.steps.len();
            html! {
                <div class="tour active" role="dialog" aria-label="Guided tour">
                    <p class="tour-count">{ format!("Step {} of {}", i + 1, props.steps.len()) }</p>
                    <h3>{ s.title }</h3>
                    <p>{ s.text }</p>
                    <button class="tour-back" disabled={i == 0} onclick={show.reform(move |_| Some(i.saturating_sub(1)))}>{"Back"}</button>
                    <button class="tour-next" onclick={show.reform(move |_| if last { None } else { Some(i + 1) })}>
                        { if last { "Finish" } else { "Next" } }
                    </button>
                    <button class="tour-skip" onclick={show.reform(|_| None)}>{"Skip tour"}</button>
                </div>
            }
        }
    }
}
