//! Live invariant badges: a lab states each invariant it checks (e.g. "snapshot total =
//! initial total", "HLC l − pt ≤ ε") and the badge turns red the moment a setting breaks it.
//! The lab computes the verdict from core state; the badge only shows it.

use yew::prelude::*;

/// One checked invariant: computed in the core (see
/// [`chronoscope::scenario::checks`]) or by a lab from core state; the badge only shows it.
pub use chronoscope::scenario::checks::Invariant;

/// Props of [`InvariantBadges`].
#[derive(Properties, PartialEq)]
pub struct BadgesProps {
    /// The invariants to show.
    pub invariants: Vec<Invariant>,
}

/// A row of green (holds) / red (broken) badges.
#[function_component(InvariantBadges)]
pub fn invariant_badges(props: &BadgesProps) -> Html {
    html! {
        <ul class="badges" aria-label="Invariants" aria-live="polite">
            { for props.invariants.iter().map(|inv| html! {
                <li class={classes!("badge", if inv.holds { "holds" } else { "broken" })} title={inv.detail.clone()}>
                    <span class="badge-mark">{ if inv.holds { "✓" } else { "✗" } }</span>
                    <span class="badge-name">{ inv.name.clone() }</span>
                    <span class="badge-detail">{ inv.detail.clone() }</span>
                </li>
            }) }
        </ul>
    }
}
