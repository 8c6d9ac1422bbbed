//! Walks the lab registry in a real browser: every lab renders its page (with a diagram)
//! without an internal error. Adding a lab to the registry adds it to this test.
#![cfg(target_arch = "wasm32")]

use chronoscope_web::labs::LABS;
use gloo_timers::future::TimeoutFuture;
use wasm_bindgen_test::*;
use yew::prelude::*;
use yew_router::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

#[derive(Properties, PartialEq)]
struct LabHostProps {
    index: usize,
}

#[function_component(LabHost)]
fn lab_host(props: &LabHostProps) -> Html {
    html! { <HashRouter>{ (LABS[props.index].view)() }</HashRouter> }
}

#[wasm_bindgen_test]
async fn every_registered_lab_renders_a_diagram() {
    assert!(!LABS.is_empty());
    let doc = web_sys::window().unwrap().document().unwrap();
    for (index, lab) in LABS.iter().enumerate() {
        let root = doc.create_element("div").unwrap();
        doc.body().unwrap().append_child(&root).unwrap();
        yew::Renderer::<LabHost>::with_root_and_props(root.clone(), LabHostProps { index })
            .render();
        TimeoutFuture::new(50).await;
        assert!(
            root.query_selector("svg.spacetime").unwrap().is_some(),
            "lab {} rendered no space-time diagram",
            lab.slug
        );
        assert!(
            root.query_selector(".notice.error").unwrap().is_none(),
            "lab {} shows an error",
            lab.slug
        );
    }
}
