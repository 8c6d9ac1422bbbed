//! The home page (the list of labs, from the registry) and the not-found page.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::labs::LABS;
use crate::Route;

/// Lists every lab of the registry.
#[function_component(Home)]
pub fn home() -> Html {
    html! {
        <section class="home">
            <p class="tagline">
                {"Chronoscope lets you see time in distributed systems: drifting clocks, Lamport and vector clocks, \
                  and the protocols built on them, each running for real in a deterministic simulator."}
            </p>
            <ul class="lab-list">
                { for LABS.iter().map(|lab| html! {
                    <li class="lab-card" key={lab.slug}>
                        <Link<Route> to={Route::Lab { slug: lab.slug.to_string() }}>{ lab.title }</Link<Route>>
                        <p>{ lab.summary }</p>
                        <p class="source">{ lab.source }</p>
                    </li>
                }) }
            </ul>
        </section>
    }
}

/// Props of [`NotFound`].
#[derive(Properties, PartialEq)]
pub struct NotFoundProps {
    /// What was asked for.
    #[prop_or_default]
    pub what: String,
}

/// Shown for an unknown URL or lab.
#[function_component(NotFound)]
pub fn not_found(props: &NotFoundProps) -> Html {
    html! {
        <section class="not-found" role="alert">
            <h2>{"Not found"}</h2>
            <p>{ if props.what.is_empty() { "There is no page at this address.".to_string() } else { format!("There is no lab called “{}”.", props.what) } }</p>
            <Link<Route> to={Route::Home}>{"Back to the labs"}</Link<Route>>
        </section>
    }
}
