//! Export of a run: the lab's diagram as SVG or PNG, and text formats (JSON, ShiViz log,
//! Mermaid) produced by the core, offered as file downloads.

use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use yew::prelude::*;

/// Offers `contents` as a file download named `filename`.
pub fn download(filename: &str, mime: &str, contents: &str) -> Result<(), JsValue> {
    let parts = js_sys::Array::of1(&JsValue::from_str(contents));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)?;
    download_blob(filename, &blob)
}

fn download_blob(filename: &str, blob: &web_sys::Blob) -> Result<(), JsValue> {
    let url = web_sys::Url::create_object_url_with_blob(blob)?;
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let a: web_sys::HtmlAnchorElement = doc.create_element("a")?.dyn_into()?;
    a.set_href(&url);
    a.set_download(filename);
    a.click();
    web_sys::Url::revoke_object_url(&url)?;
    Ok(())
}

/// The markup of the first `svg.spacetime` inside `root` (styles are embedded in it).
pub fn diagram_svg(root: &web_sys::Element) -> Option<String> {
    let svg = root.query_selector("svg.spacetime").ok()??;
    let mut markup = svg.outer_html();
    if !markup.contains("xmlns=") {
        markup = markup.replacen("<svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"", 1);
    }
    Some(markup)
}

/// Renders SVG markup onto a canvas and downloads it as a PNG (asynchronously).
pub fn download_png(filename: &str, svg: &str, width: u32, height: u32) -> Result<(), JsValue> {
    let parts = js_sys::Array::of1(&JsValue::from_str(svg));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("image/svg+xml");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let image = web_sys::HtmlImageElement::new()?;
    let filename = filename.to_string();
    let img = image.clone();
    let src = url.clone();
    let onload = Closure::once(move || {
        let result = (|| -> Result<(), JsValue> {
            let doc = web_sys::window()
                .and_then(|w| w.document())
                .ok_or("no document")?;
            let canvas: web_sys::HtmlCanvasElement = doc.create_element("canvas")?.dyn_into()?;
            canvas.set_width(width);
            canvas.set_height(height);
            let ctx: web_sys::CanvasRenderingContext2d = canvas
                .get_context("2d")?
                .ok_or("no 2D context")?
                .dyn_into()?;
            ctx.set_fill_style_str("#ffffff");
            ctx.fill_rect(0.0, 0.0, width.into(), height.into());
            ctx.draw_image_with_html_image_element(&img, 0.0, 0.0)?;
            let data = canvas.to_data_url_with_type("image/png")?;
            let a: web_sys::HtmlAnchorElement = doc.create_element("a")?.dyn_into()?;
            a.set_href(&data);
            a.set_download(&filename);
            a.click();
            web_sys::Url::revoke_object_url(&src)?;
            Ok(())
        })();
        if let Err(e) = result {
            web_sys::console::error_2(&"PNG export failed:".into(), &e);
        }
    });
    image.set_onload(Some(onload.as_ref().unchecked_ref()));
    onload.forget();
    image.set_src(&url);
    Ok(())
}

/// One text export: a button label, a file name and how to produce the contents.
#[derive(Clone)]
pub struct TextExport {
    /// Button label, e.g. "JSON".
    pub label: &'static str,
    /// File name to save as.
    pub filename: String,
    /// MIME type.
    pub mime: &'static str,
    /// Produces the file's contents on demand.
    pub contents: std::rc::Rc<dyn Fn() -> String>,
}

impl PartialEq for TextExport {
    fn eq(&self, other: &Self) -> bool {
        self.label == other.label
            && self.filename == other.filename
            && std::rc::Rc::ptr_eq(&self.contents, &other.contents)
    }
}

/// The text exports every lab offers for a run: ShiViz log, JSON lines, Mermaid and DOT,
/// all produced by the core's trace export (each re-imports in the Trace visualizer, except
/// the diagrams). A trace the exporter refuses yields a file that says why.
pub fn trace_exports(name: &str, trace: &super::SharedTrace) -> Vec<TextExport> {
    use chronoscope::trace::dag::{Execution, Log};
    use chronoscope::trace::export::{to_dot, to_json_lines, to_mermaid, to_shiviz};
    let execution = std::rc::Rc::new(Execution::from_trace(trace));
    let make = |label: &'static str, ext: &str, mime: &'static str, f: fn(&Execution) -> String| {
        let execution = execution.clone();
        TextExport {
            label,
            filename: format!("{name}.{ext}"),
            mime,
            contents: std::rc::Rc::new(move || match execution.as_ref() {
                Ok(exec) => f(exec),
                Err(e) => format!("this run cannot be exported: {e}\n"),
            }),
        }
    };
    fn as_log(exec: &Execution, f: fn(&Log) -> String) -> String {
        f(&Log {
            executions: vec![exec.clone()],
        })
    }
    vec![
        make("ShiViz", "log", "text/plain", |e| as_log(e, to_shiviz)),
        make("JSON", "jsonl", "application/x-ndjson", |e| {
            as_log(e, to_json_lines)
        }),
        make("Mermaid", "mmd", "text/plain", to_mermaid),
        make("DOT", "dot", "text/vnd.graphviz", to_dot),
    ]
}

/// The [`trace_exports`] of a lab's run, built once per run rather than on every playback
/// tick: `name` is the base of the file names; `trace` is `None` when the run failed (then
/// nothing is offered).
#[hook]
pub fn use_trace_exports(
    name: String,
    trace: Option<super::SharedTrace>,
) -> std::rc::Rc<Vec<TextExport>> {
    use_memo((name, trace), |(name, trace)| {
        trace
            .as_ref()
            .map(|t| trace_exports(name, t))
            .unwrap_or_default()
    })
}

/// Props of [`ExportMenu`].
#[derive(Properties, PartialEq)]
pub struct ExportProps {
    /// Base of the file names, e.g. "happens-before-seed-5".
    pub name: AttrValue,
    /// The text formats offered.
    #[prop_or_default]
    pub texts: Vec<TextExport>,
}

/// Export buttons: each text format, plus the diagram as SVG and PNG.
#[function_component(ExportMenu)]
pub fn export_menu(props: &ExportProps) -> Html {
    let root = use_node_ref();
    let error = use_state(|| None::<String>);
    let report = {
        let error = error.clone();
        move |r: Result<(), JsValue>| error.set(r.err().map(|e| format!("{e:?}")))
    };
    let text_buttons: Vec<Html> = props.texts.iter().map(|t| {
        let t = t.clone();
        let report = report.clone();
        html! {
            <button class={format!("export-{}", t.label.to_lowercase())}
                onclick={Callback::from(move |_: MouseEvent| report(download(&t.filename, t.mime, &(t.contents)())))}>
                { t.label }
            </button>
        }
    }).collect();
    let svg_button = {
        let root = root.clone();
        let name = props.name.clone();
        let report = report.clone();
        Callback::from(move |_: MouseEvent| {
            let markup = root
                .cast::<web_sys::Element>()
                .and_then(|r| r.parent_element())
                .and_then(|p| diagram_svg(&p));
            report(match markup {
                Some(svg) => download(&format!("{name}.svg"), "image/svg+xml", &svg),
                None => Err("no diagram to export".into()),
            })
        })
    };
    let png_button = {
        let root = root.clone();
        let name = props.name.clone();
        Callback::from(move |_: MouseEvent| {
            let parent = root
                .cast::<web_sys::Element>()
                .and_then(|r| r.parent_element());
            let svg = parent
                .as_ref()
                .and_then(|p| p.query_selector("svg.spacetime").ok().flatten());
            let result = match (svg, parent.as_ref().and_then(diagram_svg)) {
                (Some(el), Some(markup)) => {
                    let w = el
                        .get_attribute("width")
                        .and_then(|v| v.parse::<f64>().ok())
                        .unwrap_or(800.0);
                    let h = el
                        .get_attribute("height")
                        .and_then(|v| v.parse::<f64>().ok())
                        .unwrap_or(400.0);
                    download_png(
                        &format!("{name}.png"),
                        &markup,
                        w.ceil() as u32,
                        h.ceil() as u32,
                    )
                }
                _ => Err("no diagram to export".into()),
            };
            report(result)
        })
    };
    html! {
        <div class="export" ref={root} role="group" aria-label="Export this run">
            <span class="export-label">{"Export:"}</span>
            { for text_buttons }
            <button class="export-svg" onclick={svg_button}>{"SVG"}</button>
            <button class="export-png" onclick={png_button}>{"PNG"}</button>
            if let Some(e) = (*error).clone() {
                <span class="notice error">{ format!("Export failed: {e}") }</span>
            }
        </div>
    }
}
