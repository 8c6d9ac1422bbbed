//! The Trace visualizer's Web Worker: reads a big log (a `File`, in slices, or text), parses
//! and validates it with the core (`chronoscope::trace`, through the page's own
//! [`import`](trace_import::import), so errors read the same), and sends the happens-before DAG
//! back in the compact chunked form of `chronoscope::trace::wire` — the page decodes one chunk
//! per task and never blocks on the parse. Trunk builds it from `index.html`'s
//! `<link data-trunk rel="rust" data-bin="trace_worker" data-type="worker"
//! data-bindgen-target="web" data-loader-shim …>` as `trace_worker_loader.js`, a module worker
//! (the browser-`RegExp` engine's inline JavaScript needs ES modules); it links the core,
//! wasm-bindgen and that engine only (no Yew).
//!
//! Messages: the worker says `{kind: "ready"}` once loaded; then page → worker:
//! `{file?: File, text?: string, format, regex, delimiter}`; worker → page: `{kind: "progress", stage: "read" | "parse", done, total}`, then either
//! `{kind: "error", message}` or `{kind: "header", bytes}`, `{kind: "chunk", bytes}` … and
//! `{kind: "done"}` (byte arrays are transferred, not copied).

#[cfg(target_arch = "wasm32")]
#[path = "../labs/trace_import.rs"]
#[allow(dead_code)]
mod trace_import;

// The browser's `RegExp` behind the core's regex trait, as on the page (workers have it too).
#[cfg(target_arch = "wasm32")]
#[path = "../browser_regex.rs"]
#[allow(dead_code, unused_imports)]
mod browser_regex;

/// Events per chunk sent to the page: small enough that decoding one stays well under a
/// frame on a slow machine, large enough that messages stay few (200 for 1 M events).
#[cfg(target_arch = "wasm32")]
const EVENTS_PER_CHUNK: usize = 5_000;

/// Bytes read from a file at a time (each slice reports progress).
#[cfg(target_arch = "wasm32")]
const READ_SLICE: usize = 2 * 1024 * 1024;

#[cfg(target_arch = "wasm32")]
mod worker {
    use super::trace_import::{import, Format, MAX_LOG_BYTES};
    use super::{EVENTS_PER_CHUNK, READ_SLICE};
    use chronoscope::trace::wire;
    use js_sys::{Array, Object, Reflect, Uint8Array};
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::{DedicatedWorkerGlobalScope, File, FileReaderSync, MessageEvent};

    fn scope() -> DedicatedWorkerGlobalScope {
        js_sys::global().unchecked_into()
    }

    fn message(kind: &str, pairs: &[(&str, JsValue)]) -> Object {
        let obj = Object::new();
        let _ = Reflect::set(&obj, &"kind".into(), &kind.into());
        for (k, v) in pairs {
            let _ = Reflect::set(&obj, &(*k).into(), v);
        }
        obj
    }

    fn post(kind: &str, pairs: &[(&str, JsValue)]) {
        let _ = scope().post_message(&message(kind, pairs));
    }

    fn progress(stage: &str, done: f64, total: f64) {
        post(
            "progress",
            &[
                ("stage", stage.into()),
                ("done", done.into()),
                ("total", total.into()),
            ],
        );
    }

    /// Posts `bytes` as a `Uint8Array` whose buffer is transferred.
    fn post_bytes(kind: &str, bytes: &[u8]) {
        let array = Uint8Array::from(bytes);
        let obj = message(kind, &[("bytes", array.clone().into())]);
        let transfer = Array::of1(&array.buffer());
        let _ = scope().post_message_with_transfer(&obj, &transfer);
    }

    /// The file's text, read slice by slice (UTF-8, invalid bytes replaced as `File.text()`
    /// does), reporting bytes read.
    fn read_file(file: &File) -> Result<String, String> {
        let size = file.size();
        if size > MAX_LOG_BYTES as f64 {
            return Err(format!(
                "{} is {size} bytes; the limit is {MAX_LOG_BYTES}",
                file.name()
            ));
        }
        let reader =
            FileReaderSync::new().map_err(|_| "this browser cannot read files in a worker")?;
        let mut bytes = Vec::with_capacity(size as usize);
        let mut at = 0.0;
        while at < size {
            let end = (at + READ_SLICE as f64).min(size);
            let slice = file
                .slice_with_f64_and_f64(at, end)
                .map_err(|_| format!("could not read {}", file.name()))?;
            let buffer = reader
                .read_as_array_buffer(&slice)
                .map_err(|_| format!("could not read {}", file.name()))?;
            bytes.extend_from_slice(&Uint8Array::new(&buffer).to_vec());
            at = end;
            progress("read", at, size);
        }
        Ok(match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }

    fn field(data: &JsValue, name: &str) -> JsValue {
        Reflect::get(data, &name.into()).unwrap_or(JsValue::UNDEFINED)
    }

    fn run(data: &JsValue) -> Result<(), String> {
        let text = match field(data, "file").dyn_into::<File>() {
            Ok(file) => read_file(&file)?,
            Err(_) => field(data, "text").as_string().unwrap_or_default(),
        };
        let format = field(data, "format")
            .as_string()
            .and_then(|f| Format::from_name(&f))
            .unwrap_or(Format::ShiViz);
        let regex = field(data, "regex").as_string().unwrap_or_default();
        let delimiter = field(data, "delimiter").as_string().unwrap_or_default();
        let lines = text.bytes().filter(|b| *b == b'\n').count() as f64;
        progress("parse", 0.0, lines);
        let log = import(&text, format, &regex, &delimiter)?;
        drop(text);
        post_bytes("header", &wire::header(&log));
        for chunk in wire::chunks(&log, EVENTS_PER_CHUNK) {
            post_bytes("chunk", &chunk);
        }
        post("done", &[]);
        Ok(())
    }

    /// Installs the message handler.
    pub fn start() {
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(|e: MessageEvent| {
            if let Err(message) = run(&e.data()) {
                post("error", &[("message", message.into())]);
            }
        });
        scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        // A message sent before this handler existed (while the wasm loaded) is lost: the
        // page waits for this one before sending its request.
        post("ready", &[]);
    }
}

fn main() {
    #[cfg(target_arch = "wasm32")]
    worker::start();
}
