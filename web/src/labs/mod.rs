//! The registry of labs: one entry per concept, in the order the home page lists them.
//! Adding a lab means adding one file and one entry here; the router, the home page and the
//! smoke test that walks the registry pick it up from this list.

pub mod conflict_store;
pub mod crdt;
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
pub const LABS: &[LabInfo] = &[
    LabInfo {
    slug: "happens-before",
    title: "Happens-before",
    summary: "Nodes gossip over a lossy, jittery network. Pick an event to see its Lamport \
              timestamp, its vector clock, its causal past and future, and what is concurrent with it.",
    source: "Lamport 1978; Fidge 1988; Mattern 1989",
    view: || html! { <happens_before::HappensBeforeLab /> },
    },
    LabInfo {
        slug: "conflict-store",
        title: "Conflict store",
        summary: "The same replicated-store script under wall-clock LWW, Lamport LWW, vector clocks and \
                  dotted version vectors: the acknowledged write LWW silently drops, the siblings version \
                  vectors keep, a far-future tombstone, and the metadata each pays from 3 to 50 replicas.",
        source: "DeCandia et al. 2007 (Dynamo); Preguiça et al. 2012 (DVV)",
        view: || html! { <conflict_store::ConflictStoreLab /> },
    },
    LabInfo {
        slug: "crdt",
        title: "CRDTs",
        summary: "Counter replicas update offline behind a partition, gossip their states and converge when it \
                  heals; then apply operations by hand to two replicas of a G-Set, 2P-Set, OR-Set, LWW- or \
                  MV-Register and merge them both ways.",
        source: "Shapiro, Preguiça, Baquero, Zawirski 2011",
        view: || html! { <crdt::CrdtLab /> },
    },
];

/// The lab with this slug.
pub fn find(slug: &str) -> Option<&'static LabInfo> {
    LABS.iter().find(|lab| lab.slug == slug)
}
