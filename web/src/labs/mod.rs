//! The registry of labs: one entry per concept, in the order the home page lists them.
//! Adding a lab means adding one file and one entry here; the router, the home page and the
//! smoke test that walks the registry pick it up from this list.

pub mod comparison;
pub mod happens_before;
pub mod hybrid_logical;
pub mod kit;
pub mod trace_viewer;
pub mod true_time;

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
        slug: "trace",
        title: "Trace visualizer",
        summary: "Paste, upload or drop a log stamped with vector clocks (ShiViz / GoVector / JSON lines) and see its \
                  space-time diagram; search, hide hosts, pick events, export Mermaid, DOT, ShiViz or JSON.",
        source: "Fidge 1988; Mattern 1989; Beschastnikh et al. 2016 (ShiViz)",
        view: || html! { <trace_viewer::TraceViewerLab /> },
    },
    LabInfo {
        slug: "hybrid-logical-clocks",
        title: "Hybrid logical clocks",
        summary: "Physical time and HLC per node: set a clock back five minutes and watch the HLC \
                  hold; run one node far ahead and see the max offset refuse its stamps.",
        source: "Kulkarni, Demirbas et al. 2014",
        view: || html! { <hybrid_logical::HybridLogicalLab /> },
    },
    LabInfo {
        slug: "true-time",
        title: "TrueTime & commit wait",
        summary: "The ε sawtooth, transactions with their [earliest, latest] intervals and commit \
                  waits, and the external-consistency check: turn commit wait off and see it fail.",
        source: "Corbett et al. 2012 (Spanner), §4.1.2–4.2",
        view: || html! { <true_time::TrueTimeLab /> },
    },
    LabInfo {
        slug: "comparison",
        title: "Comparison",
        summary: "One run ordered by Lamport, vector clocks, HLC and physical timestamps, with every \
                  pair where an ordering disagrees with true happens-before listed.",
        source: "Lamport 1978; Fidge 1988; Mattern 1989; Kulkarni et al. 2014",
        view: || html! { <comparison::ComparisonLab /> },
    },
];

/// The lab with this slug.
pub fn find(slug: &str) -> Option<&'static LabInfo> {
    LABS.iter().find(|lab| lab.slug == slug)
}
