//! The registry of labs: one entry per concept, in the order the home page lists them.
//! Adding a lab means adding one file and one entry here; the router, the home page and the
//! smoke test that walks the registry pick it up from this list.

pub mod byzantine_marzullo;
pub mod byzantine_sync;
pub mod causal_broadcast;
pub mod clock_drift;
pub mod collab_codec;
pub mod comparison;
pub mod comparison_pairs;
pub mod conflict_store;
pub mod conflict_store_compare;
pub mod conflict_store_cost;
pub mod crdt;
pub mod crdt_panel;
pub mod crdt_replicas;
pub mod editor;
pub mod editor_views;
pub mod happens_before;
pub mod hybrid_logical;
pub mod kit;
pub mod lamport_chat;
pub mod lamport_tabs;
pub mod lease;
pub mod lease_timeline;
pub mod ledger;
pub mod ledger_codec;
pub mod ledger_graph;
pub mod ledger_seat;
pub mod ledger_tabs;
pub mod snapshot;
pub mod trace_import;
pub mod trace_import_job;
pub mod trace_viewer;
pub mod true_time;

use yew::prelude::*;

use chronoscope::scenario::params::AnySpec;
use chronoscope::scenario::{
    byzantine_sync as byzantine_run, causal_broadcast as causal_run, comparison as comparison_run,
    conflict_store as store_run, crdt as crdt_run, drift, happens_before as hb_run,
    hybrid_logical as hlc_run, lamport_chat as chat_run, lease as lease_run, ledger as ledger_run,
    snapshot as snapshot_run, true_time as tt_run,
};

use crate::components::tour::TourStep;
use crate::query::Query;

/// One lab: its URL slug, what the home page says about it, its page and its guided tour.
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
    /// Its guided tour; `None` for a lab with no run of its own to tour (the editor, the
    /// trace visualizer).
    pub tour: Option<TourInfo>,
    /// Its URL parameters, declared once in the core; `None` for a lab without any.
    pub spec: Option<&'static dyn AnySpec>,
}

/// A lab's guided tour, and how the lab reads a query (so that each step's can be checked).
pub struct TourInfo {
    /// The steps.
    pub steps: fn() -> Vec<TourStep>,
    /// The notes the lab shows for a query: each value it could not read or had to clamp.
    pub notes: fn(&Query) -> Vec<String>,
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
        tour: Some(TourInfo { steps: clock_drift::tour_steps, notes: |q| kit::read(&drift::SPEC, q).1 }),
        spec: Some(&drift::SPEC),
    },
    LabInfo {
        slug: "happens-before",
        title: "Happens-before",
        summary: "Nodes gossip over a lossy, jittery network. Pick an event to see its Lamport \
                  timestamp, its vector clock, its causal past and future, and what is concurrent with it.",
        source: "Lamport 1978; Fidge 1988; Mattern 1989",
        view: || html! { <happens_before::HappensBeforeLab /> },
        tour: Some(TourInfo { steps: happens_before::tour_steps, notes: |q| kit::read(&hb_run::SPEC, q).1 }),
        spec: Some(&hb_run::SPEC),
    },
    LabInfo {
        slug: "lamport-chat",
        title: "Lamport chat",
        summary: "Three chat panes and a slow link: messages wait as [PENDING] until stable, then every pane \
                  displays them in one (Lamport time, node) order.",
        source: "Lamport 1978, §4",
        view: || html! { <lamport_chat::LamportChatLab /> },
        tour: Some(TourInfo { steps: lamport_chat::tour_steps, notes: |q| kit::read(&chat_run::SPEC, q).1 }),
        spec: Some(&chat_run::SPEC),
    },
    LabInfo {
        slug: "conflict-store",
        title: "Conflict store",
        summary: "The same replicated-store script under wall-clock LWW, Lamport LWW, vector clocks and \
                  dotted version vectors: the acknowledged write LWW silently drops, the siblings version \
                  vectors keep, a far-future tombstone, and the metadata each pays from 3 to 50 replicas.",
        source: "DeCandia et al. 2007 (Dynamo); Preguiça et al. 2012 (DVV)",
        view: || html! { <conflict_store::ConflictStoreLab /> },
        tour: Some(TourInfo { steps: conflict_store::tour_steps, notes: |q| kit::read(&store_run::SPEC, q).1 }),
        spec: Some(&store_run::SPEC),
    },
    LabInfo {
        slug: "snapshot",
        title: "Snapshot",
        summary: "Banks move money while Chandy-Lamport markers travel: see the cut on the diagram, the money per \
                  node and in flight, and every snapshot's total checked against the initial total.",
        source: "Chandy & Lamport 1985",
        view: || html! { <snapshot::SnapshotLab /> },
        tour: Some(TourInfo { steps: snapshot::tour_steps, notes: |q| kit::read(&snapshot_run::SPEC, q).1 }),
        spec: Some(&snapshot_run::SPEC),
    },
    LabInfo {
        slug: "causal-broadcast",
        title: "Causal broadcast",
        summary: "Broadcasts over a reordering network: watch each node's hold-back queue, and its delivery order \
                  against its arrival order; no message is delivered before its dependencies.",
        source: "Birman, Schiper & Stephenson 1991",
        view: || html! { <causal_broadcast::CausalBroadcastLab /> },
        tour: Some(TourInfo { steps: causal_broadcast::tour_steps, notes: |q| kit::read(&causal_run::SPEC, q).1 }),
        spec: Some(&causal_run::SPEC),
    },
    LabInfo {
        slug: "hybrid-logical-clocks",
        title: "Hybrid logical clocks",
        summary: "Physical time and HLC per node: set a clock back five minutes and watch the HLC \
                  hold; run one node far ahead and see the max offset refuse its stamps.",
        source: "Kulkarni, Demirbas et al. 2014",
        view: || html! { <hybrid_logical::HybridLogicalLab /> },
        tour: Some(TourInfo { steps: hybrid_logical::tour_steps, notes: |q| kit::read(&hlc_run::SPEC, q).1 }),
        spec: Some(&hlc_run::SPEC),
    },
    LabInfo {
        slug: "true-time",
        title: "TrueTime & commit wait",
        summary: "The ε sawtooth, transactions with their [earliest, latest] intervals and commit \
                  waits, and the external-consistency check: turn commit wait off and see it fail.",
        source: "Corbett et al. 2012 (Spanner), §4.1.2–4.2",
        view: || html! { <true_time::TrueTimeLab /> },
        tour: Some(TourInfo { steps: true_time::tour_steps, notes: |q| kit::read(&tt_run::SPEC, q).1 }),
        spec: Some(&tt_run::SPEC),
    },
    LabInfo {
        slug: "crdt",
        title: "CRDTs",
        summary: "Counter replicas update offline behind a partition, gossip their states and converge when it \
                  heals; then apply operations by hand to two replicas of a G-Set, 2P-Set, OR-Set, LWW- or \
                  MV-Register and merge them both ways.",
        source: "Shapiro, Preguiça, Baquero, Zawirski 2011",
        view: || html! { <crdt::CrdtLab /> },
        tour: Some(TourInfo { steps: crdt::tour_steps, notes: |q| crdt::params_from_query(q).1 }),
        spec: Some(&crdt_run::SPEC),
    },
    LabInfo {
        slug: lease::SLUG,
        title: "Leases & fencing",
        summary: "A worker checks its lease, freezes in a GC pause past the expiry, and writes anyway. With fencing \
                  tokens the store rejects the stale write; without them it corrupts the data. A slow clock does the same.",
        source: "Gray & Cheriton 1989; Kleppmann 2016",
        view: || html! { <lease::LeaseLab /> },
        tour: Some(TourInfo { steps: lease::tour_steps, notes: |q| kit::read(&lease_run::SPEC, q).1 }),
        spec: Some(&lease_run::SPEC),
    },
    LabInfo {
        slug: ledger::SLUG,
        title: "Chronos ledger",
        summary: "A replicated log: HLC-stamped appends spread by causal broadcast, a leader leased by a majority \
                  and fenced by tokens, Chandy-Lamport backups. Freeze the leader, partition it, jump its clock, \
                  crash a replica — and switch fencing or causal delivery off to see what breaks.",
        source: "Kulkarni et al. 2014; Birman, Schiper & Stephenson 1991; Chandy & Lamport 1985; Kleppmann 2016",
        view: || html! { <ledger::LedgerLab /> },
        tour: Some(TourInfo { steps: ledger::tour_steps, notes: |q| kit::read(&ledger_run::SPEC, q).1 }),
        spec: Some(&ledger_run::SPEC),
    },
    LabInfo {
        slug: byzantine_sync::SLUG,
        title: "Byzantine clock sync",
        summary: "n clocks synchronise in rounds while f of them lie, some telling each peer a different time. \
                  With n ≥ 3f + 1 the correct clocks stay within a bound; with n = 3f a two-faced liar drives them apart.",
        source: "Lundelius Welch & Lynch 1988; Lamport, Shostak & Pease 1982; Dolev, Halpern & Strong 1984; Marzullo 1984",
        view: || html! { <byzantine_sync::ByzantineSyncLab /> },
        tour: Some(TourInfo { steps: byzantine_sync::tour_steps, notes: |q| kit::read(&byzantine_run::SPEC, q).1 }),
        spec: Some(&byzantine_run::SPEC),
    },
    LabInfo {
        slug: "comparison",
        title: "Comparison",
        summary: "One run ordered by Lamport, vector clocks, HLC and physical timestamps, with every \
                  pair where an ordering disagrees with true happens-before listed.",
        source: "Lamport 1978; Fidge 1988; Mattern 1989; Kulkarni et al. 2014",
        view: || html! { <comparison::ComparisonLab /> },
        tour: Some(TourInfo { steps: comparison::tour_steps, notes: |q| comparison::params_from_query(q).2 }),
        spec: Some(&comparison_run::SPEC),
    },
    LabInfo {
        slug: "editor",
        title: "Collaborative editor",
        summary: "Every browser tab is a replica of one shared text over a BroadcastChannel: hash-named, \
                  signed updates held back until their dependencies arrive, forgeries refused and counted.",
        source: "Kleppmann, PaPoC 2022; Kleppmann & Howard 2020; Roh et al. 2011",
        view: || html! { <editor::EditorLab /> },
        tour: None,
        spec: None,
    },
    LabInfo {
        slug: "trace",
        title: "Trace visualizer",
        summary: "Paste, upload or drop a log stamped with vector clocks (ShiViz / GoVector / JSON lines) and see its \
                  space-time diagram; search, hide hosts, pick events, export Mermaid, DOT, ShiViz or JSON.",
        source: "Fidge 1988; Mattern 1989; Beschastnikh et al. 2016 (ShiViz)",
        view: || html! { <trace_viewer::TraceViewerLab /> },
        tour: None,
        spec: None,
    },
];

/// The lab with this slug.
pub fn find(slug: &str) -> Option<&'static LabInfo> {
    LABS.iter().find(|lab| lab.slug == slug)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tour_has_three_to_six_steps_whose_queries_the_lab_takes_as_they_are() {
        let mut untoured = Vec::new();
        for lab in LABS {
            let Some(tour) = &lab.tour else {
                untoured.push(lab.slug);
                continue;
            };
            let steps = (tour.steps)();
            assert!(
                (3..=6).contains(&steps.len()),
                "{}: {} tour steps",
                lab.slug,
                steps.len()
            );
            assert!(
                steps.iter().any(|s| s.query.is_some()),
                "{}: no step sets up a run",
                lab.slug
            );
            for (i, step) in steps.iter().enumerate() {
                if let Some(query) = step.query {
                    let notes = (tour.notes)(&Query::parse(query));
                    assert!(
                        notes.is_empty(),
                        "{} step {}: {query}: {notes:?}",
                        lab.slug,
                        i + 1
                    );
                }
                if let Some(at) = step.at {
                    assert!(
                        (0.0..=1.0).contains(&at),
                        "{} step {}: at {at}",
                        lab.slug,
                        i + 1
                    );
                }
                assert!(!step.title.is_empty() && !step.text.is_empty());
            }
            // The check can fail: a value out of range is noted.
            assert!(
                !(tour.notes)(&Query::parse("seed=x")).is_empty(),
                "{}",
                lab.slug
            );
        }
        assert_eq!(untoured, ["editor", "trace"], "labs without a tour");
    }

    /// Every parameter of every lab round-trips the URL: a random in-range value of one
    /// parameter, or of all at once, is read back as given — or a note names the key whose
    /// value another parameter constrained; the form's URL reads back without a note; a
    /// misspelt key is named, with the key it resembles.
    #[test]
    fn every_parameter_of_every_lab_round_trips_and_a_misspelt_key_is_named() {
        use chronoscope::rng::Rng;
        use chronoscope::scenario::params::{Kind, Note};
        let mut rng = Rng::seed_from_u64(13);
        let mut random = |kind: Kind| -> String {
            match kind {
                Kind::Int { min, max } => rng.in_range(min, max).to_string(),
                Kind::Choice(names) => names[rng.below(names.len() as u64) as usize].to_string(),
                Kind::Switch => rng.below(2).to_string(),
                Kind::Seed => rng.next_u64().to_string(),
            }
        };
        let mut checked = 0;
        for lab in LABS {
            let Some(spec) = lab.spec else { continue };
            let params = spec.all();
            let (defaults, quiet) = spec.normalize(&[]);
            assert!(quiet.is_empty(), "{}: {quiet:?}", lab.slug);
            for round in 0..40 {
                // One parameter at a time, then all of them at once.
                let given: Vec<(&str, String)> = if round < 20 {
                    let p = params[round % params.len()];
                    vec![(p.key, random(p.kind))]
                } else {
                    params.iter().map(|p| (p.key, random(p.kind))).collect()
                };
                let pairs: Vec<(&str, &str)> =
                    given.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let (url, notes) = spec.normalize(&pairs);
                for (key, value) in &given {
                    let back = &url.iter().find(|(k, _)| k == key).unwrap().1;
                    let noted = notes
                        .iter()
                        .any(|n| matches!(n, Note::Adjusted(a) if a.name == *key));
                    assert!(
                        back == value || noted,
                        "{}: {key}={value} read back as {back}, {notes:?}",
                        lab.slug
                    );
                    checked += 1;
                }
                assert!(
                    notes.iter().all(|n| matches!(n, Note::Adjusted(_))),
                    "{}: an in-range value was refused: {notes:?}",
                    lab.slug
                );
                // What the form writes reads back as it is.
                let written: Vec<(&str, &str)> =
                    url.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let (again, none) = spec.normalize(&written);
                assert_eq!((&again, none.len()), (&url, 0), "{}", lab.slug);
            }
            assert_eq!(defaults.len(), params.len(), "{}", lab.slug);
            // Garbage is told apart from a number out of range, and both are noted.
            for p in &params {
                let (_, notes) = spec.normalize(&[(p.key, "x!")]);
                assert!(
                    matches!(notes[..], [Note::NotANumber { key, .. } | Note::NotAllowed { key, .. }] if key == p.key),
                    "{} {}: {notes:?}",
                    lab.slug,
                    p.key
                );
                if let Kind::Int { max, .. } = p.kind {
                    let above = (i128::from(max) + 1).to_string();
                    let (url, notes) = spec.normalize(&[(p.key, above.as_str())]);
                    let [Note::OutOfRange { key, used, .. }] = &notes[..] else {
                        panic!("{} {}: {notes:?}", lab.slug, p.key);
                    };
                    assert_eq!(*key, p.key);
                    assert!(url.contains(&(p.key, used.clone())), "{}", lab.slug);
                }
            }
            // A misspelt key is named (with what it resembles), not silently dropped.
            let key = params[0].key;
            let typo = format!("{key}x");
            let (_, notes) = spec.normalize(&[(typo.as_str(), "1")]);
            assert_eq!(
                notes,
                [Note::Unknown {
                    key: typo.clone(),
                    suggestion: Some(key)
                }],
                "{}",
                lab.slug
            );
        }
        assert!(checked > 1_000, "{checked}");
    }

    /// The README's parameter tables are the specs' own (`UPDATE_README=1 cargo test -p
    /// chronoscope-web --lib readme` rewrites them).
    #[test]
    fn readme_parameter_tables_match_the_specs() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md");
        let readme = std::fs::read_to_string(path).unwrap();
        let mut updated = readme.clone();
        for lab in LABS {
            let Some(spec) = lab.spec else { continue };
            let open = format!("<!-- params:{} -->\n", lab.slug);
            let close = format!("<!-- /params:{} -->", lab.slug);
            let start = updated
                .find(&open)
                .unwrap_or_else(|| panic!("README has no {open}"))
                + open.len();
            let end = start + updated[start..].find(&close).unwrap();
            updated.replace_range(start..end, &spec.table());
        }
        if std::env::var_os("UPDATE_README").is_some() {
            std::fs::write(path, &updated).unwrap();
        } else {
            assert!(
                readme == updated,
                "README parameter tables differ from the specs: run with UPDATE_README=1"
            );
        }
    }

    #[test]
    fn slugs_are_unique() {
        for (i, lab) in LABS.iter().enumerate() {
            assert_eq!(find(lab.slug).map(|l| l.title), Some(lab.title));
            assert!(LABS[..i].iter().all(|l| l.slug != lab.slug), "{}", lab.slug);
        }
    }
}
