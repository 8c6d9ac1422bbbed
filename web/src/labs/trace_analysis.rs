//! The Trace visualizer's analyses: motif search, comparison with another execution, clusters
//! of executions and the clock-skew audit. Every answer comes from `chronoscope::trace`
//! (`motifs`, `compare`, `cluster`, `skew`); this file turns them into a list of findings the
//! page counts, marks on the diagram and steps through (buttons, or arrow keys in the list),
//! and draws the skew bounds.

use std::rc::Rc;

use chronoscope::node::NodeId;
use chronoscope::trace::dag::{Execution, Log};
use chronoscope::trace::{cluster, compare, motifs, skew, EventId};
use yew::prelude::*;

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

/// Props of [`AnalysisPanel`].
#[derive(Properties, PartialEq)]
pub struct AnalysisProps {
    /// The log.
    pub log: super::SharedLog,
    /// The execution shown.
    pub execution: usize,
    /// Its analysis.
    pub analysis: Rc<Analysis>,
    /// The settings.
    pub settings: Settings,
    /// The finding stepped to.
    pub step: usize,
    /// New settings.
    pub on_settings: Callback<Settings>,
    /// Step to a finding.
    pub on_step: Callback<usize>,
    /// Show another execution.
    pub on_execution: Callback<usize>,
}

/// The analysis controls, the findings list and the skew plot.
#[function_component(AnalysisPanel)]
pub fn analysis_panel(props: &AnalysisProps) -> Html {
    let s = props.settings.clone();
    let log = &props.log.0;
    let Some(exec) = log.executions.get(props.execution) else {
        return html! {};
    };
    let set = |f: fn(&mut Settings, String)| {
        let (s, cb) = (s.clone(), props.on_settings.clone());
        move |value: String| {
            let mut next = s.clone();
            f(&mut next, value);
            cb.emit(next);
        }
    };
    let on_select = |f: fn(&mut Settings, String)| {
        let set = set(f);
        Callback::from(move |e: Event| {
            if let Some(v) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                set(v.value());
            }
        })
    };
    let on_input = |f: fn(&mut Settings, String)| {
        let set = set(f);
        Callback::from(move |e: InputEvent| {
            if let Some(v) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                set(v.value());
            }
        })
    };
    let a = &props.analysis;
    let n = a.findings.len();
    let step = props.step.min(n.saturating_sub(1));
    // Keep the current result in view inside the (scrolling) list.
    let list = use_node_ref();
    {
        let list = list.clone();
        use_effect_with((step, n), move |(step, _)| {
            use wasm_bindgen::JsCast;
            if let Some(list) = list.cast::<web_sys::HtmlElement>() {
                let item = list
                    .children()
                    .item(*step as u32)
                    .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
                if let Some(item) = item {
                    let (top, bottom) =
                        (item.offset_top(), item.offset_top() + item.offset_height());
                    if top < list.scroll_top() || bottom > list.scroll_top() + list.client_height()
                    {
                        list.set_scroll_top(top - list.client_height() / 2);
                    }
                }
            }
        });
    }
    let go = |to: usize| props.on_step.reform(move |_: MouseEvent| to);
    let on_key = {
        let on_step = props.on_step.clone();
        Callback::from(move |e: KeyboardEvent| {
            if n == 0 {
                return;
            }
            let to = match e.key().as_str() {
                "ArrowDown" | "ArrowRight" | "j" => (step + 1) % n,
                "ArrowUp" | "ArrowLeft" | "k" => (step + n - 1) % n,
                "Home" => 0,
                "End" => n - 1,
                _ => return,
            };
            e.prevent_default();
            on_step.emit(to);
        })
    };
    let executions = |selected: usize| {
        (0..log.executions.len())
            .map(|i| html! { <option value={i.to_string()} selected={i == selected}>{ execution_name(log, i) }</option> })
            .collect::<Html>()
    };
    let controls = match s.tool {
        Tool::Off => html! {},
        Tool::Motifs => html! {
            <>
                <label>{"motif "}<select class="motif-kind" onchange={on_select(|s, v| s.motif = match v.as_str() {
                    "broadcast" => MotifKind::Broadcast, "gather" => MotifKind::Gather, "custom" => MotifKind::Custom,
                    _ => MotifKind::RequestResponse })}>
                    <option value="request-response" selected={s.motif == MotifKind::RequestResponse}>{"request-response"}</option>
                    <option value="broadcast" selected={s.motif == MotifKind::Broadcast}>{"broadcast"}</option>
                    <option value="gather" selected={s.motif == MotifKind::Gather}>{"gather"}</option>
                    <option value="custom" selected={s.motif == MotifKind::Custom}>{"custom (structured)"}</option>
                </select></label>
                if matches!(s.motif, MotifKind::Broadcast | MotifKind::Gather) {
                    <label>{"at least "}<input class="motif-min-hosts" type="number" min="1" max="64" value={s.min_hosts.to_string()}
                        oninput={on_input(|s, v| s.min_hosts = v.parse().unwrap_or(2).clamp(1, 64))} />{" hosts"}</label>
                } else {
                    <label>{"within "}<input class="motif-gap" type="number" min="0" max="64" value={s.max_gap.to_string()}
                        oninput={on_input(|s, v| s.max_gap = v.parse().unwrap_or(motifs::DEFAULT_MAX_GAP).min(64))} />{" events per step"}</label>
                }
                if s.motif == MotifKind::Custom {
                    <label class="wide">{"messages "}<input class="motif-pattern" type="text" value={s.pattern.clone()} spellcheck="false"
                        placeholder="A->B, B->C, C->A" oninput={on_input(|s, v| s.pattern = v)} /></label>
                }
            </>
        },
        Tool::Compare => html! {
            <label>{"compare with "}<select class="compare-with" onchange={on_select(|s, v| s.other = v.parse().unwrap_or(0))}>
                { executions(s.other) }</select></label>
        },
        Tool::Skew => {
            let hosts = exec.hosts().iter().enumerate().map(|(i, h)| {
                html! { <option value={i.to_string()} selected={i == s.reference}>{ h.clone() }</option> }
            });
            html! {
                <>
                    <label>{"timestamp field "}<input class="skew-field" type="text" value={s.field.clone()} spellcheck="false"
                        placeholder="timestamp, date, time or ts" oninput={on_input(|s, v| s.field = v)} /></label>
                    <label>{"offsets relative to "}<select class="skew-reference" onchange={on_select(|s, v| s.reference = v.parse().unwrap_or(0))}>
                        { for hosts }</select></label>
                </>
            }
        }
    };
    let items = a.findings.iter().enumerate().map(|(i, f)| {
        let on_click = go(i);
        html! {
            <li id={format!("finding-{i}")} role="option" aria-selected={(i == step).to_string()}
                class={classes!("finding", (i == step).then_some("current"))} onclick={on_click}>{ f.label.clone() }</li>
        }
    });
    let clusters = a.clusters.as_ref().map(|(by_hosts, by_distance)| {
        let row = |title: &str, unit: &str, list: &[cluster::Cluster]| {
            let groups = list.iter().map(|c| {
                let members = c.executions.iter().map(|&i| {
                    let on = props.on_execution.reform(move |_: MouseEvent| i);
                    html! { <button class="cluster-member" onclick={on} aria-pressed={(i == props.execution).to_string()}>{ execution_name(log, i) }</button> }
                });
                html! { <li><span class="cluster-key">{ format!("{} {unit}: ", c.key) }</span>{ for members }</li> }
            });
            html! { <div class="cluster"><h4>{ title.to_string() }</h4><ul>{ for groups }</ul></div> }
        };
        html! {
            <div class="trace-clusters">
                { row("Clusters by number of processes", "hosts", by_hosts) }
                { row(&format!("Clusters by distance to {}", execution_name(log, s.other)), "differences", by_distance) }
            </div>
        }
    });
    html! {
        <div class="trace-analysis">
            <div class="trace-tools">
                <label>{"analyse "}<select class="trace-tool" onchange={on_select(|s, v| s.tool = match v.as_str() {
                    "motifs" => Tool::Motifs, "compare" => Tool::Compare, "skew" => Tool::Skew, _ => Tool::Off })}>
                    <option value="off" selected={s.tool == Tool::Off}>{"nothing"}</option>
                    <option value="motifs" selected={s.tool == Tool::Motifs}>{"motifs"}</option>
                    <option value="compare" selected={s.tool == Tool::Compare}>{"compare executions / clusters"}</option>
                    <option value="skew" selected={s.tool == Tool::Skew}>{"clock-skew audit"}</option>
                </select></label>
                { controls }
            </div>
            if let Some(e) = &a.error {
                <p class="notice error analysis-error" role="alert">{ e.clone() }</p>
            }
            if s.tool != Tool::Off && a.error.is_none() {
                <p class="analysis-summary" aria-live="polite">{ a.summary.clone() }</p>
                if n > 0 {
                    <div class="finding-nav">
                        <button class="finding-prev" onclick={go((step + n - 1) % n)} aria-label="previous result">{"◀ previous"}</button>
                        <span class="finding-position">{ format!("{} of {n}", step + 1) }</span>
                        <button class="finding-next" onclick={go((step + 1) % n)} aria-label="next result">{"next ▶"}</button>
                    </div>
                    <ol ref={list} class="trace-findings" role="listbox" tabindex="0" aria-label="Results (arrow keys step through them)"
                        aria-activedescendant={format!("finding-{step}")} onkeydown={on_key}>{ for items }</ol>
                }
            }
            { for clusters }
            if let Some(bounds) = &a.bounds {
                { skew_view(exec, bounds) }
            }
        </div>
    }
}

/// The offset bounds as a table and an interval plot, with the drift lab's lesson.
fn skew_view(exec: &Execution, offsets: &skew::Offsets) -> Html {
    let lesson = "As in the clock-drift lab, where Cristian's answer is right only to within half a round trip, \
                  a log's timestamps fix each host's clock offset only to an interval as wide as its fastest exchange \
                  each way — and when no fixed offset fits, the clocks drifted.";
    let bounds = match offsets {
        skew::Offsets::Inconsistent(hosts) => {
            let names: Vec<&str> = hosts.iter().map(|h| exec.host_name(*h)).collect();
            return html! {
                <div class="skew-audit">
                    <p class="skew-inconsistent">{ format!("No fixed clock offsets explain these timestamps: around the hosts {} \
                        messages arrive before they were sent whatever the offsets (clocks that drift or jump).", names.join(", ")) }</p>
                    <p class="skew-lesson">{ lesson }</p>
                </div>
            };
        }
        skew::Offsets::Bounds(b) => b,
    };
    let ms = |us: i64| format!("{:.3} ms", us as f64 / 1000.0);
    let rows = bounds.iter().map(|b| {
        html! { <tr class="skew-row"><th scope="row">{ exec.host_name(b.host).to_string() }</th>
            <td>{ b.lower.map_or("unbounded".into(), ms) }</td><td>{ b.upper.map_or("unbounded".into(), ms) }</td></tr> }
    });
    // The plot: one interval per host on a shared axis.
    let finite: Vec<i64> = bounds
        .iter()
        .flat_map(|b| [b.lower, b.upper])
        .flatten()
        .collect();
    let (lo, hi) = (
        finite.iter().copied().min().unwrap_or(0),
        finite.iter().copied().max().unwrap_or(0),
    );
    let span = (hi - lo).max(1) as f64;
    let (w, left, row_h) = (360.0, 90.0, 22.0);
    let x = |v: i64| left + (v - lo) as f64 / span * (w - left - 10.0);
    let bars = bounds.iter().enumerate().map(|(i, b)| {
        let y = 10.0 + i as f64 * row_h;
        let (x1, x2) = (b.lower.map_or(left, x), b.upper.map_or(w - 10.0, x));
        html! {
            <g class="skew-bar">
                <text x="0" y={format!("{:.1}", y + 4.0)} class="skew-host">{ exec.host_name(b.host).to_string() }</text>
                <line x1={format!("{x1:.1}")} x2={format!("{:.1}", x2.max(x1 + 2.0))} y1={format!("{y:.1}")} y2={format!("{y:.1}")}
                    stroke="#2b6cb0" stroke-width="6" stroke-linecap="round" />
            </g>
        }
    });
    let height = 20.0 + bounds.len() as f64 * row_h;
    html! {
        <div class="skew-audit">
            <table class="skew-bounds">
                <caption>{"Each host's clock offset relative to the reference, as the messages bound it"}</caption>
                <thead><tr><th scope="col">{"host"}</th><th scope="col">{"at least"}</th><th scope="col">{"at most"}</th></tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
            <svg class="skew-plot" viewBox={format!("0 0 {w} {height}")} width={w.to_string()} height={height.to_string()}
                role="img" aria-label={format!("Offset intervals from {} to {}", ms(lo), ms(hi))}>
                { for bars }
            </svg>
            <p class="skew-lesson">{ lesson }</p>
        </div>
    }
}

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
