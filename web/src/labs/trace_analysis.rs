//! The Trace visualizer's analyses: motif search, comparison with another execution, clusters
//! of executions and the clock-skew audit. Every answer comes from `chronoscope::trace`
//! (`motifs`, `compare`, `cluster`, `skew`); this file turns them into a list of findings the
//! page counts, marks on the diagram and steps through (buttons, or arrow keys in the list),
//! and draws the skew bounds.

use chronoscope::node::NodeId;
use chronoscope::trace::dag::{Execution, Log};
use chronoscope::trace::{cluster, compare, motifs, skew, EventId};

/// Which analysis is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Tool {
    /// None.
    #[default]
    Off,
    /// Motif search.
    Motifs,
    /// Comparison with another execution, and clusters of executions.
    Compare,
    /// The clock-skew audit.
    Skew,
}

/// Which motif.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MotifKind {
    /// `A->B, B->A`.
    #[default]
    RequestResponse,
    /// One host to many.
    Broadcast,
    /// Many hosts to one.
    Gather,
    /// A structured motif typed by the user.
    Custom,
}

/// The analysis settings (kept by the page so they survive re-drawing).
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// The analysis shown.
    pub tool: Tool,
    /// The motif searched.
    pub motif: MotifKind,
    /// The custom motif's text.
    pub pattern: String,
    /// Broadcasts and gathers: at least this many hosts.
    pub min_hosts: usize,
    /// Structured motifs: the largest gap (in events) between a host's motif events.
    pub max_gap: u32,
    /// The execution compared with (an index into the log), and the clusters' base.
    pub other: usize,
    /// The timestamp field (blank: timestamp, date, time or ts).
    pub field: String,
    /// The reference host of the offset bounds.
    pub reference: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            tool: Tool::Off,
            motif: MotifKind::RequestResponse,
            pattern: "A->B, B->C, C->A".into(),
            min_hosts: 2,
            max_gap: motifs::DEFAULT_MAX_GAP,
            other: 0,
            field: String::new(),
            reference: 0,
        }
    }
}

/// One result: what it is and the execution's events it involves (ascending).
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// A one-line description.
    pub label: String,
    /// Its events.
    pub events: Vec<EventId>,
}

/// An analysis' answer.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Analysis {
    /// The results, stepped through in order.
    pub findings: Vec<Finding>,
    /// A sentence summing them up.
    pub summary: String,
    /// Why the analysis could not run (bad motif, no timestamps…).
    pub error: Option<String>,
    /// The skew audit's bounds, when that analysis ran.
    pub bounds: Option<skew::Offsets>,
    /// Clusters by host count and by distance to the base, when comparing.
    pub clusters: Option<(Vec<cluster::Cluster>, Vec<cluster::Cluster>)>,
}

fn events_text(exec: &Execution, events: &[EventId]) -> String {
    events
        .iter()
        .filter_map(|e| exec.event(*e))
        .map(|e| format!("{}: {}", exec.host_name(e.host), e.text))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Runs the analysis `settings` asks for on execution `index` of `log`.
pub fn analyse(log: &Log, index: usize, settings: &Settings) -> Analysis {
    let Some(exec) = log.executions.get(index) else {
        return Analysis::default();
    };
    match settings.tool {
        Tool::Off => Analysis::default(),
        Tool::Motifs => {
            let found = match settings.motif {
                MotifKind::RequestResponse => Ok(motifs::request_response(exec, settings.max_gap)),
                MotifKind::Broadcast => Ok(motifs::broadcasts(exec, settings.min_hosts)),
                MotifKind::Gather => Ok(motifs::gathers(exec, settings.min_hosts)),
                MotifKind::Custom => motifs::Pattern::parse(&settings.pattern)
                    .map(|p| motifs::find(exec, &p, settings.max_gap)),
            };
            match found {
                Err(e) => Analysis {
                    error: Some(e.to_string()),
                    ..Analysis::default()
                },
                Ok(found) => Analysis {
                    summary: format!("{} occurrence(s)", found.len()),
                    findings: found
                        .into_iter()
                        .map(|o| Finding {
                            label: events_text(exec, &o.events),
                            events: o.events,
                        })
                        .collect(),
                    ..Analysis::default()
                },
            }
        }
        Tool::Compare => {
            let other = settings.other.min(log.executions.len() - 1);
            let c = compare::compare(exec, &log.executions[other]);
            let name = |i: usize| execution_name(log, i);
            let mut summary = format!(
                "{} difference(s) between {} and {}: {} event(s) only here, {} only there",
                c.distance(),
                name(index),
                name(other),
                c.left_events.len(),
                c.right_events.len()
            );
            if !c.left_hosts.is_empty() || !c.right_hosts.is_empty() {
                summary.push_str(&format!(
                    "; hosts only here: {}; only there: {}",
                    list_or_none(&c.left_hosts),
                    list_or_none(&c.right_hosts)
                ));
            }
            Analysis {
                findings: c
                    .left_events
                    .iter()
                    .map(|&e| Finding {
                        label: format!("only here: {}", events_text(exec, &[e])),
                        events: vec![e],
                    })
                    .collect(),
                summary,
                clusters: Some((
                    cluster::by_process_count(log),
                    cluster::by_distance(log, other),
                )),
                ..Analysis::default()
            }
        }
        Tool::Skew => {
            let field = Some(settings.field.trim()).filter(|f| !f.is_empty());
            match skew::timestamps(exec, field) {
                Err(e) => Analysis {
                    error: Some(e.to_string()),
                    ..Analysis::default()
                },
                Ok((field, ts)) => {
                    let found = skew::disagreements(exec, &ts, MAX_LISTED);
                    let reference = NodeId(settings.reference.min(exec.hosts().len() - 1) as u32);
                    let bounds = skew::offset_bounds(exec, &ts, reference);
                    let shown = found.pairs.len();
                    Analysis {
                        summary: format!(
                            "{} happens-before pair(s) stamped the wrong way round by field \"{field}\"{}",
                            found.total,
                            if shown < found.total { format!(" (first {shown} listed)") } else { String::new() }
                        ),
                        findings: found
                            .pairs
                            .iter()
                            .map(|&(a, b)| Finding {
                                label: format!(
                                    "{} → {}, yet stamped {} µs earlier",
                                    events_text(exec, &[a]),
                                    events_text(exec, &[b]),
                                    ts[a.index()].unwrap_or(0) - ts[b.index()].unwrap_or(0)
                                ),
                                events: vec![a, b],
                            })
                            .collect(),
                        bounds: Some(bounds),
                        ..Analysis::default()
                    }
                }
            }
        }
    }
}

/// At most this many findings are listed (all are counted).
pub const MAX_LISTED: usize = 500;

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

/// An execution's name as the page shows it.
pub fn execution_name(log: &Log, i: usize) -> String {
    log.executions
        .get(i)
        .and_then(|e| e.name())
        .map(str::to_string)
        .unwrap_or_else(|| format!("execution {}", i + 1))
}

#[path = "trace_analysis_panel.rs"]
mod panel;
pub use panel::AnalysisPanel;

#[cfg(test)]
mod tests {
    use super::*;
    use chronoscope::trace::shiviz::{parse, ParseOptions};

    const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/interop/shiviz/");
    const AKKA: &str = r"\[\w+\] \[(?<date>([^ ]+ [^ ]+))\] [^ ]+ \[akka://Broadcast/user/(?<host>\w+)\] (?<clock>.*\}) (?<event>.*)";

    #[test]
    fn each_tool_lists_findings_on_the_akka_log() {
        let text =
            std::fs::read_to_string(format!("{CORPUS}simple-reliable-broadcast.log")).unwrap();
        let log = parse(
            &text,
            &ParseOptions::with_engine(crate::browser_regex::engine(), AKKA).unwrap(),
        )
        .unwrap();
        let mut s = Settings {
            tool: Tool::Motifs,
            ..Settings::default()
        };
        let rr = analyse(&log, 0, &s);
        assert!(!rr.findings.is_empty(), "{}", rr.summary);
        s.motif = MotifKind::Custom;
        s.pattern = "A->".into();
        assert!(analyse(&log, 0, &s).error.unwrap().contains("X->Y"));
        s.tool = Tool::Skew;
        let audit = analyse(&log, 0, &s);
        assert!(audit.error.is_none(), "{:?}", audit.error);
        assert!(matches!(audit.bounds, Some(skew::Offsets::Bounds(_))));
        s.tool = Tool::Compare;
        let same = analyse(&log, 0, &s);
        assert!(same.findings.is_empty() && same.summary.starts_with("0 difference"));
    }
}
