//! The Trace visualizer: real logs in, space-time diagrams and Mermaid out (project 8 of the
//! source documents, made compatible with ShiViz — Beschastnikh et al., "Debugging distributed
//! systems", CACM 2016). Paste, upload or drop a log written by GoVector, CVector, JVector,
//! Akka or TLA+ tooling; pick or edit the parser regex; see its happens-before DAG drawn with
//! the shared space-time diagram. Parsing, validity rules, the DAG and every export live in
//! `chronoscope::trace`; this page only wires them to the screen.
//!
//! Imported text is data: Yew escapes every label it renders, and the core escapes labels in
//! Mermaid and DOT, so a log cannot inject markup or script.

use std::collections::BTreeSet;
use std::rc::Rc;

use chronoscope::trace::dag::{Execution, Log};
use chronoscope::trace::export::{
    to_dot, to_json_lines, to_mermaid, to_shiviz, SHIVIZ_DELIMITER, SHIVIZ_REGEX,
};
use chronoscope::trace::shiviz::{EVENT_FIRST_REGEX, GOVECTOR_REGEX, TLA_DELIMITER, TLA_REGEX};
use chronoscope::trace::EventId;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use chronoscope::trace::host_order::{self, HostOrder};

use crate::components::diagram::{Shared, SpaceTimeDiagram};
use crate::components::inspector::{LogDetails, LoggedEvent};

#[path = "trace_analysis.rs"]
mod analysis;
use analysis::{analyse, AnalysisPanel, Settings};

/// A log shared between components (equality is identity).
pub type SharedLog = Shared<Log>;
use crate::components::export::{ExportMenu, TextExport};
use crate::components::inspector::EventInspector;
use crate::components::SharedTrace;

use super::trace_import::WORKER_ABOVE_BYTES;
pub use super::trace_import::{import, Format, MAX_LOG_BYTES};
use super::trace_import_job::{ImportJob, Progress, Source, Stage, Update};

/// A sample log (GoVector's order: the `host {clock}` line, then the event) so the page shows
/// something on first visit.
pub const SAMPLE: &str = "client {\"client\":1}\nsend request\nserver {\"client\":1, \"server\":1}\nreceive request\nserver {\"client\":1, \"server\":2}\nsend reply\nclient {\"client\":2}\nlocal work\nclient {\"client\":3, \"server\":2}\nreceive reply\n";

/// One execution of a shared log, without copying it (equality is identity): a render of the
/// page never clones a million events, and props compare in constant time.
#[derive(Clone)]
pub struct ExecRef {
    log: Rc<Log>,
    index: usize,
    /// Its trace, when already built (a big log's, between frames).
    full: Option<SharedTrace>,
}

impl ExecRef {
    /// Execution `index` of `log`, if it has one, with its trace if already built.
    pub fn new(log: Rc<Log>, index: usize, full: Option<SharedTrace>) -> Option<ExecRef> {
        (index < log.executions.len()).then_some(ExecRef { log, index, full })
    }
    /// The execution (`new` checked the index and the log never changes).
    pub fn get(&self) -> &Execution {
        &self.log.executions[self.index]
    }
}

impl PartialEq for ExecRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.log, &other.log) && self.index == other.index
    }
}

#[derive(Clone, PartialEq)]
struct Loaded {
    log: Rc<Log>,
    execution: usize,
    /// The first execution's trace, when the import built it between frames.
    first_trace: Option<SharedTrace>,
}

/// Events the search query matches (text, `field=value` or `host=NAME`; see
/// `chronoscope::trace::search`).
pub fn search(exec: &Execution, query: &str) -> BTreeSet<EventId> {
    chronoscope::trace::search::search(exec, query)
        .into_iter()
        .collect()
}

/// Execution events `hits` as the diagram draws them: how many of them are visible (a hidden
/// host's are not) and the drawn events standing for them — a collapsed run of local events
/// stands for every event in it, so a match inside a run marks the run.
pub fn drawn_matches(
    hits: impl IntoIterator<Item = EventId>,
    map: &[Option<EventId>],
) -> (usize, BTreeSet<EventId>) {
    let mut count = 0;
    let mut drawn = BTreeSet::new();
    for hit in hits {
        if let Some(d) = map.get(hit.index()).copied().flatten() {
            count += 1;
            drawn.insert(d);
        }
    }
    (count, drawn)
}

/// The Trace visualizer page.
#[function_component(TraceViewerLab)]
pub fn trace_viewer_lab() -> Html {
    let text = use_state(|| SAMPLE.to_string());
    let format = use_state(|| Format::ShiViz);
    let regex = use_state(|| GOVECTOR_REGEX.to_string());
    let delimiter = use_state(String::new);
    let loaded = use_state(|| {
        import(SAMPLE, Format::ShiViz, GOVECTOR_REGEX, "")
            .ok()
            .map(|log| Loaded {
                log: Rc::new(log),
                execution: 0,
                first_trace: None,
            })
    });
    let error = use_state(|| None::<String>);
    let hidden = use_state(BTreeSet::<usize>::new);
    let highlighted = use_state(BTreeSet::<usize>::new);
    let collapse = use_state(|| false);
    let query = use_state(String::new);
    let selected = use_state(|| None::<EventId>);
    let compare = use_state(|| None::<EventId>);
    let order = use_state(HostOrder::default);
    let settings = use_state(Settings::default);
    let step = use_state(|| 0usize);

    let progress = use_state(|| None::<Progress>);
    let notice = use_state(|| None::<String>);
    // The import running in the Web Worker, if any (dropping it terminates the worker).
    let job = use_mut_ref(|| None::<ImportJob>);
    let show = {
        let (loaded, error, hidden, selected, compare) = (
            loaded.clone(),
            error.clone(),
            hidden.clone(),
            selected.clone(),
            compare.clone(),
        );
        Callback::from(move |(log, first_trace): (Log, Option<SharedTrace>)| {
            loaded.set(Some(Loaded {
                log: Rc::new(log),
                execution: 0,
                first_trace,
            }));
            error.set(None);
            hidden.set(BTreeSet::new());
            selected.set(None);
            compare.set(None);
        })
    };
    let on_update = {
        let (show, error, progress) = (show.clone(), error.clone(), progress.clone());
        Callback::from(move |update: Update| match update {
            Update::Progress(p) => progress.set(Some(p)),
            Update::Done(log, trace) => {
                progress.set(None);
                show.emit((log, trace));
            }
            Update::Failed(e) => {
                progress.set(None);
                error.set(Some(e));
            }
        })
    };
    // Big logs: parse in the worker; the page only shows progress and decodes the result.
    let start_job = {
        let (format, regex, delimiter) = (format.clone(), regex.clone(), delimiter.clone());
        let (job, progress, notice, error, on_update, show) = (
            job.clone(),
            progress.clone(),
            notice.clone(),
            error.clone(),
            on_update.clone(),
            show.clone(),
        );
        Callback::from(move |source: Source| {
            // A new import replaces (and so cancels) a running one.
            job.borrow_mut().take();
            notice.set(None);
            let fallback_text = match &source {
                Source::Text(t) => Some(t.clone()),
                Source::File(_) => None,
            };
            match ImportJob::start(source, *format, &regex, &delimiter, on_update.clone()) {
                Ok(started) => {
                    *job.borrow_mut() = Some(started);
                    progress.set(Some(Progress {
                        stage: Stage::Parse,
                        done: 0.0,
                        total: 0.0,
                    }));
                }
                // No worker (e.g. its script is missing): parse here, as small logs are.
                Err(why) => match fallback_text {
                    Some(text) => match import(&text, *format, &regex, &delimiter) {
                        Ok(log) => show.emit((log, None)),
                        Err(e) => error.set(Some(e)),
                    },
                    None => error.set(Some(why)),
                },
            }
        })
    };
    let cancel = {
        let (job, progress, notice) = (job.clone(), progress.clone(), notice.clone());
        Callback::from(move |_: MouseEvent| {
            if job.borrow_mut().take().is_some_and(|j| j.running()) {
                notice.set(Some(
                    "import cancelled; the previous trace is still shown".into(),
                ));
            }
            progress.set(None);
        })
    };
    let parse = {
        let (format, regex, delimiter) = (format.clone(), regex.clone(), delimiter.clone());
        let (show, error, notice, start_job) = (
            show.clone(),
            error.clone(),
            notice.clone(),
            start_job.clone(),
        );
        // Takes the text itself: a state handle captured here would hold the previous text.
        Callback::from(move |text: String| {
            if text.len() >= WORKER_ABOVE_BYTES && text.len() <= MAX_LOG_BYTES {
                start_job.emit(Source::Text(text));
                return;
            }
            notice.set(None);
            match import(&text, *format, &regex, &delimiter) {
                Ok(log) => show.emit((log, None)),
                Err(e) => error.set(Some(e)),
            }
        })
    };
    let on_text = {
        let text = text.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(t) = e.target_dyn_into::<web_sys::HtmlTextAreaElement>() {
                text.set(t.value());
            }
        })
    };
    let load_file = {
        let (text, error, parse) = (text.clone(), error.clone(), parse.clone());
        let start_job = start_job.clone();
        Callback::from(move |file: web_sys::File| {
            if file.size() > MAX_LOG_BYTES as f64 {
                error.set(Some(format!(
                    "{} is {} bytes; the limit is {MAX_LOG_BYTES}",
                    file.name(),
                    file.size()
                )));
                return;
            }
            // A big file goes to the worker as is: the page never holds its text (nor puts
            // megabytes into the text box).
            if file.size() >= WORKER_ABOVE_BYTES as f64 {
                start_job.emit(Source::File(file));
                return;
            }
            let (text, error, parse) = (text.clone(), error.clone(), parse.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match wasm_bindgen_futures::JsFuture::from(file.text()).await {
                    Ok(v) => {
                        let contents = v.as_string().unwrap_or_default();
                        text.set(contents.clone());
                        parse.emit(contents);
                    }
                    Err(_) => error.set(Some(format!("could not read {}", file.name()))),
                }
            });
        })
    };
    let on_upload = {
        let load_file = load_file.clone();
        Callback::from(move |e: Event| {
            let file = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                .and_then(|i| i.files())
                .and_then(|f| f.get(0));
            if let Some(file) = file {
                load_file.emit(file);
            }
        })
    };
    let on_drop = {
        let load_file = load_file.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            if let Some(file) = e
                .data_transfer()
                .and_then(|d| d.files())
                .and_then(|f| f.get(0))
            {
                load_file.emit(file);
            }
        })
    };
    let on_dragover = Callback::from(|e: DragEvent| e.prevent_default());
    let on_format = {
        let (format, regex, delimiter) = (format.clone(), regex.clone(), delimiter.clone());
        Callback::from(move |e: Event| {
            let Some(sel) = e.target_dyn_into::<web_sys::HtmlSelectElement>() else {
                return;
            };
            let (f, r, d) = match sel.value().as_str() {
                "shiviz-export" => (Format::ShiViz, SHIVIZ_REGEX, SHIVIZ_DELIMITER),
                "shiviz-file" => (Format::ShiVizFile, "", ""),
                "json-lines" => (Format::JsonLines, "", ""),
                "event-first" => (Format::ShiViz, EVENT_FIRST_REGEX, ""),
                "tla" => (Format::ShiViz, TLA_REGEX, TLA_DELIMITER),
                _ => (Format::ShiViz, GOVECTOR_REGEX, ""),
            };
            format.set(f);
            regex.set(r.to_string());
            delimiter.set(d.to_string());
        })
    };
    let text_setter = |state: UseStateHandle<String>| {
        Callback::from(move |e: InputEvent| {
            if let Some(i) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                state.set(i.value());
            }
        })
    };

    let current = loaded.as_ref().and_then(|l| {
        let full = l.first_trace.clone().filter(|_| l.execution == 0);
        ExecRef::new(l.log.clone(), l.execution, full).map(|e| (l.clone(), e))
    });
    let view = current.map(|(l, exec)| {
        html! {
            <ExecutionView key={format!("{:p}-{}-{:?}-{}-{:?}", Rc::as_ptr(&l.log), l.execution, *hidden, *collapse, *order)} log={Shared(l.log.clone())}
                execution={l.execution} {exec} hidden={(*hidden).clone()} collapse={*collapse} highlighted={(*highlighted).clone()} query={(*query).clone()}
                selected={*selected} compare={*compare} order={*order} settings={(*settings).clone()} step={*step}
                on_order={ let o = order.clone(); let s = selected.clone(); Callback::from(move |v: HostOrder| { s.set(None); o.set(v); }) }
                on_settings={ let st = settings.clone(); let p = step.clone(); Callback::from(move |v: Settings| { p.set(0); st.set(v); }) }
                on_step={ let p = step.clone(); Callback::from(move |v: usize| p.set(v)) }
                on_select={ let s = selected.clone(); Callback::from(move |e| s.set(Some(e))) }
                on_compare={ let c = compare.clone(); Callback::from(move |e| c.set(Some(e))) }
                on_hide={ let h = hidden.clone(); let s = selected.clone(); Callback::from(move |host: usize| {
                    let mut next = (*h).clone();
                    if !next.remove(&host) { next.insert(host); }
                    s.set(None);
                    h.set(next);
                }) }
                on_highlight={ let h = highlighted.clone(); Callback::from(move |host: usize| {
                    let mut next = (*h).clone();
                    if !next.remove(&host) { next.insert(host); }
                    h.set(next);
                }) }
                on_collapse={ let c = collapse.clone(); let s = selected.clone(); Callback::from(move |on: bool| { s.set(None); c.set(on); }) }
                on_execution={ let l2 = loaded.clone(); let s = selected.clone(); let p = step.clone(); let h = hidden.clone(); Callback::from(move |i: usize| {
                    if let Some(cur) = (*l2).clone() { l2.set(Some(Loaded { execution: i, ..cur })); s.set(None); p.set(0); h.set(BTreeSet::new()); }
                }) }
                on_query={ let q = query.clone(); Callback::from(move |v: String| q.set(v)) } />
        }
    });
    html! {
        <section class="lab" id="lab-trace">
            <h2>{"Trace visualizer"}</h2>
            <p class="explain">
                {"Rebuild the space-time diagram of a real system from its logs. Each log line carries the host's vector clock \
                  (as written by GoVector, CVector, JVector, Akka or TLA+ traces, the format ShiViz reads); the clocks give the \
                  happens-before DAG — local order plus one message edge wherever a host's clock learns of another host's event \
                  (Fidge 1988; Mattern 1989; Beschastnikh et al. 2016). Invalid logs are refused with the line and what to fix."}
            </p>
            <div class="import" ondrop={on_drop} ondragover={on_dragover}>
                <div class="import-controls">
                    <label>{"format "}
                        <select class="trace-format" onchange={on_format} aria-label="Log format">
                            <option value="govector" selected=true>{"ShiViz / GoVector (host line first)"}</option>
                            <option value="event-first">{"ShiViz, event line first (e.g. simpledb)"}</option>
                            <option value="shiviz-export">{"ShiViz (as exported by Chronoscope)"}</option>
                            <option value="tla">{"TLA+ (TLC error traces with ShiViz's Host and Clock)"}</option>
                            <option value="shiviz-file">{"ShiViz file (regex on line 1, delimiter on line 2)"}</option>
                            <option value="json-lines">{"JSON lines {\"node\",\"event\",\"vc\"}"}</option>
                        </select>
                    </label>
                    if *format == Format::ShiViz {
                        <label class="wide">{"parser regex "}
                            <input class="trace-regex" type="text" value={(*regex).clone()} oninput={text_setter(regex.clone())} spellcheck="false" />
                        </label>
                        <label>{"execution delimiter "}
                            <input class="trace-delimiter" type="text" value={(*delimiter).clone()} oninput={text_setter(delimiter.clone())}
                                placeholder="optional, e.g. ^=== (?<trace>.*) ===$" spellcheck="false" />
                        </label>
                    }
                    <label>{"upload "}<input class="trace-upload" type="file" accept=".log,.txt,.json,.jsonl" onchange={on_upload} /></label>
                    <button class="trace-parse" onclick={ let text = text.clone(); parse.reform(move |_: MouseEvent| (*text).clone()) }>{"Parse"}</button>
                </div>
                <textarea class="trace-text" rows="8" value={(*text).clone()} oninput={on_text} spellcheck="false"
                    aria-label="Log text (paste, or drop a file here)" />
                <p class="hint">{"Paste a log, upload a file, or drop one on this box."}</p>
            </div>
            if let Some(p) = *progress {
                <div class="trace-import" role="status" aria-live="polite">
                    if p.stage == Stage::Parse {
                        <progress class="trace-progress" data-stage="parse" aria-label="Import progress" />
                    } else {
                        <progress class="trace-progress" data-stage={p.stage.name()}
                            aria-label="Import progress" max={p.total.max(1.0).to_string()} value={p.done.to_string()} />
                    }
                    <span class="trace-progress-text">{ p.describe() }</span>
                    <button class="trace-cancel" onclick={cancel}>{"Cancel"}</button>
                </div>
            }
            if let Some(n) = (*notice).clone() {
                <p class="notice trace-notice" role="status">{ n }</p>
            }
            if let Some(e) = (*error).clone() {
                <div class="notice error trace-error" role="alert">{ format!("Could not import the log: {e}") }</div>
            }
            { for view }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct ExecutionViewProps {
    log: Shared<Log>,
    execution: usize,
    exec: ExecRef,
    hidden: BTreeSet<usize>,
    collapse: bool,
    highlighted: BTreeSet<usize>,
    query: String,
    selected: Option<EventId>,
    compare: Option<EventId>,
    on_select: Callback<EventId>,
    on_compare: Callback<EventId>,
    on_hide: Callback<usize>,
    on_highlight: Callback<usize>,
    on_collapse: Callback<bool>,
    on_execution: Callback<usize>,
    on_query: Callback<String>,
    order: HostOrder,
    on_order: Callback<HostOrder>,
    settings: Settings,
    on_settings: Callback<Settings>,
    step: usize,
    on_step: Callback<usize>,
}

/// What the diagram draws: the trace of the visible hosts, their names, the execution's event
/// id behind each drawn event, and for each execution event the drawn event standing for it
/// (none when its host is hidden).
type Visible = (SharedTrace, Vec<String>, Vec<EventId>, Vec<Option<EventId>>);

/// Keeps only the events of visible hosts (messages between visible hosts stay drawn).
/// Happens-before stays the full execution's: where a hidden host carried causality (A → hidden
/// B → C), the drawn trace gets an undrawn predecessor edge from the latest event of each
/// visible host in the event's causal past (`Execution::cut_through`), so the diagram's
/// past/future/concurrent colouring and the inspector agree with the whole log.
#[cfg(test)]
fn visible_execution(exec: &Execution, hidden: &BTreeSet<usize>, collapse: bool) -> Visible {
    let order: Vec<usize> = (0..exec.hosts().len()).collect();
    visible_in_order(exec, hidden, collapse, &order, None)
}

/// [`visible_execution`] with the lanes in `order` (host indices; a permutation).
fn visible_in_order(
    exec: &Execution,
    hidden: &BTreeSet<usize>,
    collapse: bool,
    order: &[usize],
    built: Option<SharedTrace>,
) -> Visible {
    // The execution's trace (already built for a big log's first execution).
    let full = built.unwrap_or_else(|| exec.to_trace().into());
    let identity = order.iter().enumerate().all(|(i, h)| i == *h);
    if hidden.is_empty() && !collapse && identity {
        let ids: Vec<EventId> = exec.events().iter().map(|e| e.id).collect();
        let map = ids.iter().copied().map(Some).collect();
        return (full, exec.hosts().to_vec(), ids, map);
    }
    // Rebuild through the trace API (as `Execution::to_trace` does) so ids stay dense and
    // topologically ordered; a receive with several parents keeps the extra ones as
    // predecessors.
    use chronoscope::node::NodeId;
    use chronoscope::trace::{EventKind, MessageFate, MessageId, Trace};
    let keep: Vec<usize> = order
        .iter()
        .copied()
        .filter(|h| !hidden.contains(h))
        .collect();
    let lane = |node: NodeId| {
        keep.iter()
            .position(|&k| k == node.index())
            .map(|i| NodeId(i as u32))
    };
    let kept: Vec<(EventId, EventId)> = full
        .messages()
        .iter()
        .filter_map(|m| Some((m.send, m.receive()?)))
        .filter(|(s, r)| {
            lane(full.events()[s.index()].node).is_some()
                && lane(full.events()[r.index()].node).is_some()
        })
        .collect();
    let mut kinds = vec![EventKind::Local; full.events().len()];
    for (i, &(s, r)) in kept.iter().enumerate().rev() {
        let message = MessageId(i as u32);
        let (from, to) = (full.events()[s.index()].node, full.events()[r.index()].node);
        let (Some(from), Some(to)) = (lane(from), lane(to)) else {
            continue;
        };
        if !matches!(kinds[s.index()], EventKind::Receive { .. }) {
            kinds[s.index()] = EventKind::Send { message, to };
        }
        kinds[r.index()] = EventKind::Receive { message, from };
    }
    let mut trace = Trace::new(keep.len() as u32);
    let mut map = vec![None; full.events().len()];
    let mut original = Vec::new();
    // Per lane: the event standing for the current run of local events, its size and first label.
    let mut runs: Vec<Option<(EventId, usize, String)>> = vec![None; keep.len()];
    for e in full.events() {
        let Some(node) = lane(e.node) else { continue };
        let local = kinds[e.id.index()] == EventKind::Local;
        if collapse && local {
            if let Some((rep, count, first)) = &mut runs[node.index()] {
                *count += 1;
                trace.set_label(*rep, format!("{count} local events: {first} … {}", e.label));
                map[e.id.index()] = Some(*rep);
                continue;
            }
        }
        let id = trace.push_event(
            node,
            kinds[e.id.index()],
            e.true_time,
            e.local_time,
            e.lamport,
            e.vector.clone(),
            e.label.clone(),
        );
        map[e.id.index()] = Some(id);
        original.push(e.id);
        runs[node.index()] = (collapse && local).then(|| (id, 1, e.label.clone()));
        // Causality through hidden hosts: the latest event of every other visible host that
        // happened before this one (its cut's frontier) becomes a direct predecessor.
        if keep.len() < exec.hosts().len() {
            let cut = exec.cut_through(e.id);
            for &h in keep.iter().filter(|&&h| h != e.node.index()) {
                let latest = cut
                    .get(h)
                    .and_then(|&n| (n as usize).checked_sub(1))
                    .and_then(|i| exec.events_of(NodeId(h as u32)).get(i))
                    .and_then(|u| map.get(u.index()).copied().flatten());
                if let Some(u) = latest {
                    trace.add_predecessor(id, u);
                }
            }
        }
    }
    for &(s, r) in &kept {
        let (Some(ns), Some(nr)) = (map[s.index()], map[r.index()]) else {
            continue;
        };
        let (from, to) = (
            trace.events()[ns.index()].node,
            trace.events()[nr.index()].node,
        );
        let m = trace.push_message(from, to, ns, None);
        trace.set_fate(m, MessageFate::Delivered(nr));
        if !matches!(trace.event(nr).map(|e| e.kind), Some(EventKind::Receive { message, .. }) if message == m)
        {
            trace.add_predecessor(nr, ns);
        }
    }
    let names = keep.iter().map(|&h| exec.hosts()[h].clone()).collect();
    (trace.into(), names, original, map)
}

/// What the inspector shows of the log for the drawn event `drawn`: its line, its clock keyed
/// by host names, its fields and how many log events it stands for (a collapsed run).
fn logged_event(
    exec: &Execution,
    original: &[EventId],
    map: &[Option<EventId>],
    drawn: EventId,
) -> Option<LoggedEvent> {
    let e = exec.event(*original.get(drawn.index())?)?;
    let entries: Vec<String> = e
        .clock
        .iter()
        .map(|(h, c)| format!("{:?}:{c}", exec.host_name(h)))
        .collect();
    Some(LoggedEvent {
        line: e.line,
        clock: format!("{{{}}}", entries.join(", ")),
        fields: e.fields.clone(),
        stands_for: map.iter().filter(|d| **d == Some(drawn)).count().max(1),
    })
}

/// The drawn events concurrent with the drawn event `selected`, decided on the full execution
/// (`Execution::concurrent_with`), so hiding a host never makes ordered events look concurrent.
fn concurrent_in_view(
    exec: &Execution,
    original: &[EventId],
    map: &[Option<EventId>],
    selected: EventId,
) -> Vec<EventId> {
    let Some(&of) = original.get(selected.index()) else {
        return Vec::new();
    };
    let drawn: BTreeSet<EventId> = exec
        .concurrent_with(of)
        .into_iter()
        .filter_map(|e| map.get(e.index()).copied().flatten())
        .filter(|&e| e != selected)
        .collect();
    drawn.into_iter().collect()
}

#[function_component(ExecutionView)]
fn execution_view(props: &ExecutionViewProps) -> Html {
    let exec = props.exec.get();
    let built = use_memo(
        (
            props.exec.clone(),
            props.hidden.clone(),
            props.collapse,
            props.order,
        ),
        |(exec, hidden, collapse, order)| {
            let lanes: Vec<usize> = host_order::order(exec.get(), *order)
                .into_iter()
                .map(|h| h.index())
                .collect();
            visible_in_order(exec.get(), hidden, *collapse, &lanes, exec.full.clone())
        },
    );
    let analysis = use_memo(
        (props.log.clone(), props.execution, props.settings.clone()),
        |(log, execution, settings)| Rc::new(analyse(&log.0, *execution, settings)),
    );
    let details = LogDetails {
        hosts: Rc::new(built.1.clone()),
        event: props
            .selected
            .and_then(|d| logged_event(exec, &built.2, &built.3, d)),
    };
    let (trace, names, original, map) = (*built).clone();
    let matches = use_memo(
        (
            props.exec.clone(),
            props.query.clone(),
            props.highlighted.clone(),
            built.clone(),
            analysis.clone(),
        ),
        move |(exec, q, highlighted, built, analysis)| {
            let map = &built.3;
            let (count, mut drawn) = drawn_matches(search(exec.get(), q), map);
            let lit = exec
                .get()
                .events()
                .iter()
                .filter(|e| highlighted.contains(&e.host.index()))
                .map(|e| e.id);
            drawn.extend(drawn_matches(lit, map).1);
            let found = analysis
                .findings
                .iter()
                .flat_map(|f| f.events.iter().copied());
            drawn.extend(drawn_matches(found, map).1);
            (count, Shared(Rc::new(drawn)))
        },
    );
    let on_step = {
        let (on_step, on_select, analysis, map) = (
            props.on_step.clone(),
            props.on_select.clone(),
            analysis.clone(),
            built.3.clone(),
        );
        Callback::from(move |i: usize| {
            on_step.emit(i);
            let first = analysis.findings.get(i).and_then(|f| {
                drawn_matches(f.events.iter().copied(), &map)
                    .1
                    .into_iter()
                    .next()
            });
            if let Some(d) = first {
                on_select.emit(d);
            }
        })
    };
    let concurrent = props
        .selected
        .filter(|e| e.index() < trace.events().len())
        .map(|e| concurrent_in_view(exec, &original, &map, e));
    let log = props.log.clone();
    let exports = {
        let name = "trace".to_string();
        let (l1, l2, e1, e2) = (
            log.clone(),
            log.clone(),
            props.exec.clone(),
            props.exec.clone(),
        );
        vec![
            TextExport {
                label: "Mermaid",
                filename: format!("{name}.mmd"),
                mime: "text/plain",
                contents: Rc::new(move || to_mermaid(e1.get())),
            },
            TextExport {
                label: "DOT",
                filename: format!("{name}.dot"),
                mime: "text/vnd.graphviz",
                contents: Rc::new(move || to_dot(e2.get())),
            },
            TextExport {
                label: "ShiViz",
                filename: format!("{name}.log"),
                mime: "text/plain",
                contents: Rc::new(move || to_shiviz(&l1.0)),
            },
            TextExport {
                label: "JSON",
                filename: format!("{name}.jsonl"),
                mime: "application/x-ndjson",
                contents: Rc::new(move || to_json_lines(&l2.0)),
            },
        ]
    };
    let executions = props.log.0.executions.iter().enumerate().map(|(i, ex)| {
        let label = ex.name().map(str::to_string).unwrap_or_else(|| format!("execution {}", i + 1));
        html! { <option value={i.to_string()} selected={i == props.execution}>{ format!("{label} ({} events)", ex.events().len()) }</option> }
    });
    let on_execution = props.on_execution.reform(|e: Event| {
        e.target_dyn_into::<web_sys::HtmlSelectElement>()
            .and_then(|s| s.value().parse().ok())
            .unwrap_or(0)
    });
    let on_query = props.on_query.reform(|e: InputEvent| {
        e.target_dyn_into::<web_sys::HtmlInputElement>()
            .map(|i| i.value())
            .unwrap_or_default()
    });
    let on_order = props.on_order.reform(|e: Event| {
        match e
            .target_dyn_into::<web_sys::HtmlSelectElement>()
            .map(|s| s.value())
            .as_deref()
        {
            Some("first") => HostOrder::FirstAppearance,
            Some("events") => HostOrder::EventCount,
            _ => HostOrder::AsImported,
        }
    });
    let hosts = exec.hosts().iter().enumerate().map(|(h, name)| {
        let on_hide = props.on_hide.reform(move |_: Event| h);
        let on_highlight = props.on_highlight.reform(move |_: MouseEvent| h);
        let lit = props.highlighted.contains(&h);
        html! {
            <span class="host-toggle">
                <label><input type="checkbox" checked={!props.hidden.contains(&h)} onchange={on_hide}
                    aria-label={format!("show host {name}")} />{ name.clone() }</label>
                <button class={classes!("host-highlight", lit.then_some("on"))} aria-pressed={lit.to_string()}
                    title={format!("highlight {name}'s events")} onclick={on_highlight}>{"★"}</button>
            </span>
        }
    });
    html! {
        <div class="execution">
            <p class="run-summary trace-summary">
                { format!("{} execution(s) · this one: {} hosts · {} events · {} messages",
                    props.log.0.executions.len(), exec.hosts().len(), exec.events().len(), exec.messages().count()) }
            </p>
            <div class="trace-tools">
                if props.log.0.executions.len() > 1 {
                    <label>{"execution "}<select class="trace-execution" onchange={on_execution}>{ for executions }</select></label>
                }
                <label>{"search "}<input class="trace-search" type="search" value={props.query.clone()} oninput={on_query}
                    placeholder="text, or field=value" /></label>
                if !props.query.trim().is_empty() {
                    <span class="trace-matches">{ format!("{} match(es)", matches.0) }</span>
                }
                <label><input class="trace-collapse" type="checkbox" checked={props.collapse}
                    onchange={props.on_collapse.reform(|e: Event| e.target_dyn_into::<web_sys::HtmlInputElement>().is_some_and(|i| i.checked()))} />
                    {" collapse runs of local events"}</label>
                <span class="hosts" role="group" aria-label="Show, hide or highlight hosts">{"hosts: "}{ for hosts }</span>
                <label>{"order hosts "}<select class="host-order" onchange={on_order}>
                    <option value="imported" selected={props.order == HostOrder::AsImported}>{"as imported"}</option>
                    <option value="first" selected={props.order == HostOrder::FirstAppearance}>{"by first appearance"}</option>
                    <option value="events" selected={props.order == HostOrder::EventCount}>{"by number of events"}</option>
                </select></label>
            </div>
            <AnalysisPanel log={props.log.clone()} execution={props.execution} analysis={(*analysis).clone()}
                settings={props.settings.clone()} step={props.step} on_settings={props.on_settings.clone()}
                on_step={on_step} on_execution={props.on_execution.clone()} />
            <div class="run-body">
                <SpaceTimeDiagram trace={trace.clone()} shown={trace.events().len()} selected={props.selected}
                    on_select={props.on_select.clone()} compare={props.compare} on_compare={props.on_compare.clone()}
                    lane_names={Some(Shared(Rc::new(names)))} marked={Some(matches.1.clone())} />
                <EventInspector trace={trace.clone()} selected={props.selected} compare={props.compare} log={Some(details)} />
            </div>
            if let Some(set) = concurrent {
                <p class="concurrent-set">{ format!("Concurrent with the selected event: {}",
                    if set.is_empty() { "none".to_string() } else { set.iter().map(|e| format!("#{}", e.0)).collect::<Vec<_>>().join(", ") }) }</p>
            }
            <ExportMenu name="trace" texts={exports} />
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_imports_and_search_finds_text_and_fields() {
        let log = import(SAMPLE, Format::ShiViz, GOVECTOR_REGEX, "").unwrap();
        let exec = &log.executions[0];
        assert_eq!((exec.hosts().len(), exec.events().len()), (2, 5));
        assert_eq!(search(exec, "REPLY").len(), 2);
        assert!(search(exec, "  ").is_empty());
    }

    #[test]
    fn bad_logs_name_the_line_and_huge_ones_are_refused() {
        let broken = SAMPLE.replace(
            "{\"client\":1, \"server\":2}",
            "{\"client\":1, \"server\":5}",
        );
        let err = import(&broken, Format::ShiViz, GOVECTOR_REGEX, "").unwrap_err();
        assert!(err.starts_with("line 5"), "{err}");
        let err = import("x", Format::ShiViz, "(?<host>", "").unwrap_err();
        assert!(err.contains("regex"), "{err}");
        let huge = "a".repeat(MAX_LOG_BYTES + 1);
        assert!(import(&huge, Format::JsonLines, "", "")
            .unwrap_err()
            .contains("limit"));
    }

    #[test]
    fn hiding_a_host_drops_its_events_and_keeps_the_rest_consistent() {
        let log = import(SAMPLE, Format::ShiViz, GOVECTOR_REGEX, "").unwrap();
        let exec = &log.executions[0];
        let (trace, names, original, _) = visible_execution(exec, &BTreeSet::from([1]), false);
        assert_eq!(names, ["client"]);
        assert_eq!(trace.events().len(), 3);
        assert_eq!(original.len(), 3);
        assert!(trace.messages().is_empty());
    }

    #[test]
    fn collapsing_merges_runs_of_local_events_only() {
        let text = "a {\"a\":1}\nx1\na {\"a\":2}\nx2\na {\"a\":3}\nx3\na {\"a\":4}\nsend\nb {\"a\":4, \"b\":1}\nrecv\n";
        let log = import(text, Format::ShiViz, GOVECTOR_REGEX, "").unwrap();
        let exec = &log.executions[0];
        let (trace, _, original, _) = visible_execution(exec, &BTreeSet::new(), true);
        assert_eq!(
            trace.events().len(),
            3,
            "x1..x3 become one event, then send and recv"
        );
        assert_eq!(original.len(), 3);
        assert_eq!(trace.events()[0].label, "3 local events: x1 … x3");
        assert_eq!(trace.messages().len(), 1);
        let (plain, _, _, _) = visible_execution(exec, &BTreeSet::new(), false);
        assert_eq!(plain.events().len(), 5);
    }

    #[test]
    fn hiding_the_middle_host_keeps_a_and_c_ordered() {
        use chronoscope::trace::happens_before::{self, CausalIndex};
        // a sends to b, b forwards to c; c also has an event before the receive, concurrent
        // with a's send.
        let text = "a {\"a\":1}\nsend\nb {\"a\":1, \"b\":1}\nrecv\nb {\"a\":1, \"b\":2}\nforward\n\
                    c {\"c\":1}\nidle\nc {\"a\":1, \"b\":2, \"c\":2}\nrecv forward\n";
        let log = import(text, Format::ShiViz, GOVECTOR_REGEX, "").unwrap();
        let exec = &log.executions[0];
        assert_eq!(exec.hosts(), ["a", "b", "c"]);
        let (trace, names, original, map) = visible_execution(exec, &BTreeSet::from([1]), false);
        assert_eq!(names, ["a", "c"]);
        let drawn = |label: &str| {
            trace
                .events()
                .iter()
                .find(|e| e.label == label)
                .map(|e| e.id)
                .unwrap()
        };
        let (send, idle, recv) = (drawn("send"), drawn("idle"), drawn("recv forward"));
        // No message is drawn between a and c (it went through hidden b) …
        assert!(trace.messages().is_empty());
        // … yet a's send still happened before c's receive, on the diagram's own index …
        let index = CausalIndex::build(&trace);
        assert!(index.happens_before(send, recv));
        assert!(happens_before::causal_past(&trace, recv).contains(&send));
        assert!(!happens_before::concurrent_with(&trace, send).contains(&recv));
        // … and in the concurrent set the page prints, which only names c's idle event.
        assert_eq!(concurrent_in_view(exec, &original, &map, send), [idle]);
        assert_eq!(concurrent_in_view(exec, &original, &map, recv), []);
        assert_eq!(concurrent_in_view(exec, &original, &map, idle), [send]);
        // Every drawn pair relates exactly as in the full execution.
        for a in trace.events() {
            for b in trace.events() {
                let (oa, ob) = (original[a.id.index()], original[b.id.index()]);
                assert_eq!(
                    index.happens_before(a.id, b.id),
                    exec.happens_before(oa, ob),
                    "{} vs {}",
                    a.label,
                    b.label
                );
            }
        }
    }

    #[test]
    fn search_under_collapse_counts_every_match_and_marks_its_run() {
        // Three local events on a, then a send; with runs collapsed x1..x3 are drawn as one.
        let text = "a {\"a\":1}\nx1\na {\"a\":2}\nx2\na {\"a\":3}\nx3\na {\"a\":4}\nsend\nb {\"a\":4, \"b\":1}\nrecv\n";
        let log = import(text, Format::ShiViz, GOVECTOR_REGEX, "").unwrap();
        let exec = &log.executions[0];
        let (_, _, _, map) = visible_execution(exec, &BTreeSet::new(), true);
        let (count, drawn) = drawn_matches(search(exec, "x"), &map);
        assert_eq!(
            count, 3,
            "x1, x2 and x3 all match, though two are inside a run"
        );
        assert_eq!(drawn, BTreeSet::from([EventId(0)]));
        let (count, drawn) = drawn_matches(search(exec, "host=b"), &map);
        assert_eq!((count, drawn.len()), (1, 1));
        // A hidden host's matches are not counted.
        let (_, _, _, map) = visible_execution(exec, &BTreeSet::from([0]), true);
        assert_eq!(drawn_matches(search(exec, "x"), &map).0, 0);
    }

    #[test]
    fn ordering_hosts_permutes_lanes_and_keeps_happens_before() {
        use chronoscope::trace::happens_before::CausalIndex;
        let log = import(SAMPLE, Format::ShiViz, GOVECTOR_REGEX, "").unwrap();
        let exec = &log.executions[0];
        let (trace, names, original, _) =
            visible_in_order(exec, &BTreeSet::new(), false, &[1, 0], None);
        assert_eq!(names, ["server", "client"]);
        assert_eq!(trace.events().len(), 5);
        assert_eq!(trace.messages().len(), exec.messages().count());
        let index = CausalIndex::build(&trace);
        for a in trace.events() {
            assert_eq!(
                names[a.node.index()],
                exec.host_name(exec.event(original[a.id.index()]).unwrap().host)
            );
            for b in trace.events() {
                let (oa, ob) = (original[a.id.index()], original[b.id.index()]);
                assert_eq!(
                    index.happens_before(a.id, b.id),
                    exec.happens_before(oa, ob)
                );
            }
        }
        let first = logged_event(exec, &original, &[], EventId(0)).unwrap();
        assert_eq!(first.clock, "{\"client\":1}");
        assert_eq!((first.line, first.stands_for), (1, 1));
    }

    #[test]
    fn the_event_first_layout_reads_a_simpledb_style_log() {
        let text = "start\na {\"a\":1}\nrecv\nb {\"a\":1, \"b\":1}\n";
        let log = import(text, Format::ShiViz, EVENT_FIRST_REGEX, "").unwrap();
        assert_eq!(log.executions[0].events().len(), 2);
        assert_eq!(log.executions[0].events()[0].text, "start");
        // Read in GoVector's layout the lines pair up wrongly: "start" is lost and "recv" is
        // attached to the first clock.
        let shifted = import(text, Format::ShiViz, GOVECTOR_REGEX, "").unwrap();
        assert_eq!(shifted.executions[0].events()[0].text, "recv");
    }
}
