//! The registry of labs: one entry per concept, in the order the home page lists them.
//! Adding a lab means adding one file and one entry here; the router, the home page and the
//! smoke test that walks the registry pick it up from this list.

pub mod bcast_kit;
pub mod byzantine_sync;
pub mod causal_broadcast;
pub mod clock_drift;
pub mod comparison;
pub mod conflict_store;
pub mod crdt;
pub mod editor;
pub mod happens_before;
pub mod hybrid_logical;
pub mod kit;
pub mod lamport_chat;
pub mod lease;
pub mod param_form;
pub mod snapshot;
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
        slug: clock_drift::SLUG,
    title: "Clock drift & sync",
    summary: "Quartz clocks drift apart; Cristian's and Berkeley's algorithms pull them together. Watch the \
              skew, step versus slew, and a clock jump that stepping undoes by moving time backwards.",
    source: "Cristian 1989; Gusella & Zatti 1989; Mills, RFC 5905",
    view: || html! { <clock_drift::ClockDriftLab /> },
    },
    LabInfo {
        slug: "happens-before",
    title: "Happens-before",
    summary: "Nodes gossip over a lossy, jittery network. Pick an event to see its Lamport \
              timestamp, its vector clock, its causal past and future, and what is concurrent with it.",
    source: "Lamport 1978; Fidge 1988; Mattern 1989",
    view: || html! { <happens_before::HappensBeforeLab /> },
    },
    LabInfo {
        slug: "lamport-chat",
        title: "Lamport chat",
        summary: "Three chat panes and a slow link: messages wait as [PENDING] until stable, then every pane \
                  displays them in one (Lamport time, node) order.",
        source: "Lamport 1978, §4",
        view: || html! { <lamport_chat::LamportChatLab /> },
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
        slug: "snapshot",
        title: "Snapshot",
        summary: "Banks move money while Chandy-Lamport markers travel: see the cut on the diagram, the money per \
                  node and in flight, and every snapshot's total checked against the initial total.",
        source: "Chandy & Lamport 1985",
        view: || html! { <snapshot::SnapshotLab /> },
    },
    LabInfo {
        slug: "causal-broadcast",
        title: "Causal broadcast",
        summary: "Broadcasts over a reordering network: watch each node's hold-back queue, and its delivery order \
                  against its arrival order; no message is delivered before its dependencies.",
        source: "Birman, Schiper & Stephenson 1991",
        view: || html! { <causal_broadcast::CausalBroadcastLab /> },
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
        slug: "crdt",
        title: "CRDTs",
        summary: "Counter replicas update offline behind a partition, gossip their states and converge when it \
                  heals; then apply operations by hand to two replicas of a G-Set, 2P-Set, OR-Set, LWW- or \
                  MV-Register and merge them both ways.",
        source: "Shapiro, Preguiça, Baquero, Zawirski 2011",
        view: || html! { <crdt::CrdtLab /> },
    },
    LabInfo {
        slug: lease::SLUG,
    title: "Leases & fencing",
    summary: "A worker checks its lease, freezes in a GC pause past the expiry, and writes anyway. With fencing \
              tokens the store rejects the stale write; without them it corrupts the data. A slow clock does the same.",
    source: "Gray & Cheriton 1989; Kleppmann 2016",
    view: || html! { <lease::LeaseLab /> },
    },
    LabInfo {
        slug: byzantine_sync::SLUG,
    title: "Byzantine clock sync",
    summary: "n clocks synchronise in rounds while f of them lie, some telling each peer a different time. \
              With n ≥ 3f + 1 the correct clocks stay within a bound; with n = 3f a two-faced liar drives them apart.",
    source: "Lundelius Welch & Lynch 1988; Lamport, Shostak & Pease 1982; Dolev, Halpern & Strong 1984; Marzullo 1984",
    view: || html! { <byzantine_sync::ByzantineSyncLab /> },
    },
    LabInfo {
        slug: "comparison",
        title: "Comparison",
        summary: "One run ordered by Lamport, vector clocks, HLC and physical timestamps, with every \
                  pair where an ordering disagrees with true happens-before listed.",
        source: "Lamport 1978; Fidge 1988; Mattern 1989; Kulkarni et al. 2014",
        view: || html! { <comparison::ComparisonLab /> },
    },
    LabInfo {
        slug: "editor",
    title: "Collaborative editor",
    summary: "Every browser tab is a peer of one shared text over a BroadcastChannel: causal delivery \
              you can watch, an RGA CRDT that converges, and a naive mode that diverges.",
    source: "Birman, Schiper & Stephenson 1991; Roh et al. 2011",
    view: || html! { <editor::EditorLab /> },
    },
    LabInfo {
        slug: "trace",
    title: "Trace visualizer",
    summary: "Paste, upload or drop a log stamped with vector clocks (ShiViz / GoVector / JSON lines) and see its \
              space-time diagram; search, hide hosts, pick events, export Mermaid, DOT, ShiViz or JSON.",
    source: "Fidge 1988; Mattern 1989; Beschastnikh et al. 2016 (ShiViz)",
    view: || html! { <trace_viewer::TraceViewerLab /> },
    },
];

/// The lab with this slug.
pub fn find(slug: &str) -> Option<&'static LabInfo> {
    LABS.iter().find(|lab| lab.slug == slug)
}
