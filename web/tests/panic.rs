//! The page side of the panic hook (wasm-bindgen-test in headless Chromium): an internal error
//! shows as one alert at the top of the page, with what to do next. The hook itself only
//! formats the panic and calls [`show_internal_error`]; a real panic cannot be tested here,
//! since it aborts the whole test binary.
#![cfg(target_arch = "wasm32")]

use chronoscope_web::show_internal_error;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn an_internal_error_shows_as_one_alert_at_the_top_of_the_page() {
    let doc = web_sys::window().unwrap().document().unwrap();
    let body = doc.body().unwrap();
    body.append_child(&doc.create_element("main").unwrap())
        .unwrap();
    assert!(doc.get_element_by_id("panic").is_none());

    show_internal_error("Chronoscope hit an internal error: first");
    let panel = doc.get_element_by_id("panic").expect("no #panic panel");
    assert_eq!(panel.get_attribute("role").as_deref(), Some("alert"));
    assert_eq!(
        body.first_element_child(),
        Some(panel.clone()),
        "not at the top"
    );
    let text = panel.text_content().unwrap_or_default();
    assert!(text.contains("internal error: first"), "{text}");
    assert!(text.contains("Reload the page"), "{text}");

    // A second error replaces the first in the same panel.
    show_internal_error("Chronoscope hit an internal error: second");
    assert_eq!(doc.query_selector_all("#panic").unwrap().length(), 1);
    let text = panel.text_content().unwrap_or_default();
    assert!(text.contains("second") && !text.contains("first"), "{text}");
    panel.remove();
}
