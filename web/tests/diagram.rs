//! Browser tests of the shared space-time diagram (wasm-bindgen-test in headless Chromium):
//! it draws every visible event and message of a run, and clicking an event highlights
//! exactly the causal past and future the core computes.
#![cfg(target_arch = "wasm32")]

use chronoscope::scenario::happens_before::{self, Params};
use chronoscope::trace::{happens_before as hb, EventId, EventKind};
use chronoscope_web::components::diagram::SpaceTimeDiagram;
use chronoscope_web::components::SharedTrace;
use gloo_timers::future::TimeoutFuture;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

#[derive(Properties, PartialEq)]
struct HarnessProps {
    trace: SharedTrace,
    shown: usize,
}

/// The diagram with its selection held in state, as a lab holds it.
#[function_component(Harness)]
fn harness(props: &HarnessProps) -> Html {
    let selected = use_state(|| None::<EventId>);
    let on_select = {
        let selected = selected.clone();
        Callback::from(move |e| selected.set(Some(e)))
    };
    html! { <SpaceTimeDiagram trace={props.trace.clone()} shown={props.shown} selected={*selected} {on_select} /> }
}

fn mount(props: HarnessProps) -> web_sys::Element {
    let doc = web_sys::window().unwrap().document().unwrap();
    let root = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<Harness>::with_root_and_props(root.clone(), props).render();
    root
}

fn count(root: &web_sys::Element, selector: &str) -> u32 {
    root.query_selector_all(selector).unwrap().length()
}

fn trace() -> SharedTrace {
    happens_before::run(&Params {
        nodes: 4,
        actions: 8,
        loss_percent: 10,
        ..Params::default()
    })
    .unwrap()
    .into()
}

#[wasm_bindgen_test]
async fn draws_one_dot_per_shown_event_and_one_lane_per_node() {
    let trace = trace();
    let total = trace.events().len();
    let root = mount(HarnessProps {
        trace: trace.clone(),
        shown: total,
    });
    TimeoutFuture::new(0).await;
    assert_eq!(count(&root, "circle.event") as usize, total);
    assert_eq!(count(&root, "g.lane") as usize, trace.node_count() as usize);
    assert_eq!(count(&root, "line.msg") as usize, trace.messages().len());

    let partial = mount(HarnessProps {
        trace: trace.clone(),
        shown: total / 3,
    });
    TimeoutFuture::new(0).await;
    assert_eq!(count(&partial, "circle.event") as usize, total / 3);
}

#[wasm_bindgen_test]
async fn clicking_an_event_highlights_its_causal_past_and_future() {
    let trace = trace();
    let total = trace.events().len();
    // A receive late in the run has a non-trivial past.
    let target = trace
        .events()
        .iter()
        .rev()
        .find(|e| matches!(e.kind, EventKind::Receive { .. }))
        .expect("the run has a receive")
        .id;
    let root = mount(HarnessProps {
        trace: trace.clone(),
        shown: total,
    });
    TimeoutFuture::new(0).await;
    assert_eq!(count(&root, "circle.selected"), 0);

    let circle = root
        .query_selector(&format!("circle[data-event='{}']", target.0))
        .unwrap()
        .expect("the target's dot is drawn");
    let init = web_sys::MouseEventInit::new();
    init.set_bubbles(true);
    let click = web_sys::MouseEvent::new_with_mouse_event_init_dict("click", &init).unwrap();
    circle.dispatch_event(click.unchecked_ref()).unwrap();
    TimeoutFuture::new(0).await;

    let past = hb::causal_past(&trace, target);
    let future = hb::causal_future(&trace, target);
    assert!(!past.is_empty());
    assert_eq!(count(&root, "circle.selected"), 1);
    assert_eq!(count(&root, "circle.past") as usize, past.len());
    assert_eq!(count(&root, "circle.future") as usize, future.len());
    assert_eq!(
        count(&root, "circle.concurrent") as usize,
        total - 1 - past.len() - future.len()
    );
    for p in past {
        let el = root
            .query_selector(&format!("circle[data-event='{}']", p.0))
            .unwrap()
            .unwrap();
        assert!(
            el.get_attribute("class")
                .unwrap_or_default()
                .split_whitespace()
                .any(|c| c == "past"),
            "event {} should be in the past",
            p.0
        );
    }
}
