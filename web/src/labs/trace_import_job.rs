//! A big log's import, run in the Trace visualizer's Web Worker (`src/bin/trace_worker.rs`):
//! starts the worker, turns its messages into progress updates, decodes the DAG it sends
//! (`chronoscope::trace::wire`, one chunk per message, so no single task blocks the page), and
//! cancels by terminating the worker. The page's own state is untouched until the log is
//! complete, so a cancelled or failed import leaves the previous trace on screen.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use chronoscope::trace::dag::{Log, TraceBuilder};
use chronoscope::trace::wire::Decoder;
use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{ErrorEvent, MessageEvent, Worker, WorkerOptions, WorkerType};
use yew::Callback;

use super::trace_import::Format;
use crate::components::SharedTrace;

/// Events and messages per slice when the page builds the diagram's trace between frames.
const TRACE_SLICE: usize = 20_000;

/// The worker's script, as Trunk's loader shim names it (beside `index.html`).
pub const WORKER_SCRIPT: &str = "./trace_worker_loader.js";

/// What to import.
pub enum Source {
    /// Text typed or pasted in the page.
    Text(String),
    /// A file the worker reads itself (slice by slice).
    File(web_sys::File),
}

/// What the import is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Reading the file (`done` / `total` bytes).
    Read,
    /// Parsing and checking (`total` lines; the core's parse reports no steps of its own).
    Parse,
    /// Receiving the checked DAG (`done` / `total` events).
    Receive,
    /// Building the diagram's trace between frames (`done` / `total` events and messages).
    Draw,
}

impl Stage {
    /// Its name in the page (`data-stage` of the progress bar).
    pub fn name(self) -> &'static str {
        match self {
            Stage::Read => "read",
            Stage::Parse => "parse",
            Stage::Receive => "receive",
            Stage::Draw => "draw",
        }
    }
}

/// How far an import has got.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    /// The current stage.
    pub stage: Stage,
    /// Units done in this stage.
    pub done: f64,
    /// Units in this stage.
    pub total: f64,
}

impl Progress {
    /// The sentence shown beside the bar.
    pub fn describe(&self) -> String {
        let mb = |b: f64| b / (1024.0 * 1024.0);
        match self.stage {
            Stage::Read => format!(
                "reading the file: {:.1} of {:.1} MB",
                mb(self.done),
                mb(self.total)
            ),
            Stage::Parse if self.total == 0.0 => "starting the import…".to_string(),
            Stage::Parse => format!(
                "parsing and checking {} lines in the background…",
                self.total
            ),
            Stage::Receive => format!(
                "receiving the checked events: {} of {}",
                self.done, self.total
            ),
            Stage::Draw => format!(
                "preparing the diagram: {} of {} events and messages",
                self.done, self.total
            ),
        }
    }
}

/// A message from an import.
#[derive(Debug)]
pub enum Update {
    /// It advanced.
    Progress(Progress),
    /// It finished with this log (at least one execution) and the trace of its first
    /// execution, built between frames.
    Done(Log, Option<SharedTrace>),
    /// It failed; the message names the line and the pattern, as a page-side import would.
    Failed(String),
}

/// A running import; dropping it terminates the worker.
pub struct ImportJob {
    worker: Worker,
    live: Rc<Cell<bool>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

fn field(data: &JsValue, name: &str) -> JsValue {
    Reflect::get(data, &name.into()).unwrap_or(JsValue::UNDEFINED)
}

fn bytes(data: &JsValue) -> Vec<u8> {
    field(data, "bytes")
        .dyn_into::<Uint8Array>()
        .map(|a| a.to_vec())
        .unwrap_or_default()
}

impl ImportJob {
    /// Starts the worker on `source`; `on_update` hears its progress and its end (once).
    pub fn start(
        source: Source,
        format: Format,
        regex: &str,
        delimiter: &str,
        on_update: Callback<Update>,
    ) -> Result<ImportJob, String> {
        // A module worker: the regex engine's JavaScript snippet needs ES modules.
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Module);
        let worker = Worker::new_with_options(WORKER_SCRIPT, &options)
            .map_err(|e| format!("could not start the import worker: {e:?}"))?;
        let live = Rc::new(Cell::new(true));
        let decoder = Rc::new(RefCell::new(None::<Decoder>));
        let finish = {
            let (live, worker, on_update) = (live.clone(), worker.clone(), on_update.clone());
            move |update: Update| {
                if live.replace(false) {
                    worker.terminate();
                    on_update.emit(update);
                }
            }
        };
        let request = Object::new();
        let set = |k: &str, v: JsValue| {
            let _ = Reflect::set(&request, &k.into(), &v);
        };
        match source {
            Source::Text(text) => set("text", text.into()),
            Source::File(file) => set("file", file.into()),
        }
        set("format", format.name().into());
        set("regex", regex.into());
        set("delimiter", delimiter.into());
        // Sent once the worker says it is ready (a message sent while it loads would be lost).
        let mut request = Some(request);
        let on_message = {
            let (live, finish, sender) = (live.clone(), finish.clone(), worker.clone());
            Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
                if !live.get() {
                    return;
                }
                let data = e.data();
                let on_update = on_update.clone();
                let number = |name| field(&data, name).as_f64().unwrap_or(0.0);
                let kind = field(&data, "kind").as_string().unwrap_or_default();
                let mut decoder = decoder.borrow_mut();
                match kind.as_str() {
                    "ready" => {
                        if let Some(request) = request.take() {
                            if let Err(e) = sender.post_message(&request) {
                                finish(Update::Failed(format!(
                                    "could not start the import worker: {e:?}"
                                )));
                            }
                        }
                    }
                    "progress" => {
                        let stage = match field(&data, "stage").as_string().as_deref() {
                            Some("read") => Stage::Read,
                            _ => Stage::Parse,
                        };
                        on_update.emit(Update::Progress(Progress {
                            stage,
                            done: number("done"),
                            total: number("total"),
                        }));
                    }
                    "header" => match Decoder::new(&bytes(&data)) {
                        Ok(d) => {
                            on_update.emit(Update::Progress(Progress {
                                stage: Stage::Receive,
                                done: 0.0,
                                total: d.total() as f64,
                            }));
                            *decoder = Some(d);
                        }
                        Err(err) => finish(Update::Failed(format!("internal error: {err}"))),
                    },
                    "chunk" => {
                        let result = match decoder.as_mut() {
                            Some(d) => d.push(&bytes(&data)).map(|_| Progress {
                                stage: Stage::Receive,
                                done: d.received() as f64,
                                total: d.total() as f64,
                            }),
                            None => {
                                finish(Update::Failed("internal error: no header".into()));
                                return;
                            }
                        };
                        match result {
                            Ok(p) => on_update.emit(Update::Progress(p)),
                            Err(err) => finish(Update::Failed(format!("internal error: {err}"))),
                        }
                    }
                    "done" => match decoder.take().map(Decoder::finish) {
                        Some(Ok(log)) => {
                            // The worker's part is over; the trace is built here, a slice per task.
                            sender.terminate();
                            let (live, on_update) = (live.clone(), on_update.clone());
                            wasm_bindgen_futures::spawn_local(async move {
                                let mut trace = None;
                                if let Some(exec) = log.executions.first() {
                                    let mut builder = TraceBuilder::new(exec);
                                    loop {
                                        gloo_timers::future::TimeoutFuture::new(0).await;
                                        if !live.get() {
                                            return;
                                        }
                                        let complete = builder.step(exec, TRACE_SLICE);
                                        on_update.emit(Update::Progress(Progress {
                                            stage: Stage::Draw,
                                            done: builder.done() as f64,
                                            total: builder.total() as f64,
                                        }));
                                        if complete {
                                            break;
                                        }
                                    }
                                    trace = Some(SharedTrace::from(builder.finish()));
                                    gloo_timers::future::TimeoutFuture::new(0).await;
                                }
                                if live.replace(false) {
                                    on_update.emit(Update::Done(log, trace));
                                }
                            });
                        }
                        Some(Err(err)) => finish(Update::Failed(format!("internal error: {err}"))),
                        None => finish(Update::Failed("internal error: no header".into())),
                    },
                    "error" => finish(Update::Failed(
                        field(&data, "message").as_string().unwrap_or_default(),
                    )),
                    _ => {}
                }
            })
        };
        let on_error = {
            let finish = finish.clone();
            Closure::<dyn FnMut(ErrorEvent)>::new(move |e: ErrorEvent| {
                e.prevent_default();
                finish(Update::Failed(format!(
                    "the import worker stopped: {}",
                    e.message()
                )));
            })
        };
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(ImportJob {
            worker,
            live,
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    /// Whether the import still runs (no end reported, not cancelled).
    pub fn running(&self) -> bool {
        self.live.get()
    }
}

impl Drop for ImportJob {
    fn drop(&mut self) {
        self.live.set(false);
        self.worker.terminate();
    }
}
