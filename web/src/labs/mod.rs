//! The registry of labs: one entry per concept, in the order the home page lists them.
//! Adding a lab means adding one file and one entry here; the router, the home page and the
//! smoke test that walks the registry pick it up from this list.

pub mod editor;
pub mod happens_before;

use yew::prelude::*;

/// One lab: its URL slug, what the home page says about it, and its page.
pub struct LabInfo {
    /// The URL slug (`#/lab/<slug>`).
    pub slug: &'static str,
    /// The title.
    pub title: &'static str,
    /// One sentence on what it shows.
    pub summary: &'static str,
    /// The paper (or chapter) it follows.
    pub source: &'static str,
    /// Renders the lab's page.
    pub view: fn() -> Html,
}

/// Every lab, in home-page order.
pub const LABS: &[LabInfo] = &[LabInfo {
    slug: "happens-before",
    title: "Happens-before",
    summary: "Nodes gossip over a lossy, jittery network. Pick an event to see its Lamport \
              timestamp, its vector clock, its causal past and future, and what is concurrent with it.",
    source: "Lamport 1978; Fidge 1988; Mattern 1989",
    view: || html! { <happens_before::HappensBeforeLab /> },
}, LabInfo {
    slug: "editor",
    title: "Collaborative editor",
    summary: "Every browser tab is a peer of one shared text over a BroadcastChannel: causal delivery \
              you can watch, an RGA CRDT that converges, and a naive mode that diverges.",
    source: "Birman, Schiper & Stephenson 1991; Roh et al. 2011",
    view: || html! { <editor::EditorLab /> },
}];

/// The lab with this slug.
pub fn find(slug: &str) -> Option<&'static LabInfo> {
    LABS.iter().find(|lab| lab.slug == slug)
}
