//! The registry of labs: one entry per concept, in the order the home page lists them.
//! Adding a lab means adding one file and one entry here; the router, the home page and the
//! smoke test that walks the registry pick it up from this list.

pub mod causal_broadcast;
pub mod happens_before;
pub mod kit;
pub mod lamport_chat;
pub mod snapshot;
pub mod trace_viewer;

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
    slug: "trace",
    title: "Trace visualizer",
    summary: "Paste, upload or drop a log stamped with vector clocks (ShiViz / GoVector / JSON lines) and see its \
              space-time diagram; search, hide hosts, pick events, export Mermaid, DOT, ShiViz or JSON.",
    source: "Fidge 1988; Mattern 1989; Beschastnikh et al. 2016 (ShiViz)",
    view: || html! { <trace_viewer::TraceViewerLab /> },
}, LabInfo {
    slug: "lamport-chat",
    title: "Lamport chat",
    summary: "Three chat panes and a slow link: messages wait as [PENDING] until stable, then every pane \
              displays them in one (Lamport time, node) order.",
    source: "Lamport 1978, §4",
    view: || html! { <lamport_chat::LamportChatLab /> },
}, LabInfo {
    slug: "snapshot",
    title: "Snapshot",
    summary: "Banks move money while Chandy-Lamport markers travel: see the cut on the diagram, the money per \
              node and in flight, and every snapshot's total checked against the initial total.",
    source: "Chandy & Lamport 1985",
    view: || html! { <snapshot::SnapshotLab /> },
}, LabInfo {
    slug: "causal-broadcast",
    title: "Causal broadcast",
    summary: "Broadcasts over a reordering network: watch each node's hold-back queue, and its delivery order \
              against its arrival order; no message is delivered before its dependencies.",
    source: "Birman, Schiper & Stephenson 1991",
    view: || html! { <causal_broadcast::CausalBroadcastLab /> },
}];

/// The lab with this slug.
pub fn find(slug: &str) -> Option<&'static LabInfo> {
    LABS.iter().find(|lab| lab.slug == slug)
}
