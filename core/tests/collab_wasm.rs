//! The collaborative text's per-update cost in a browser (wasm-bindgen-test, headless
//! Chromium): naming (SHA-256), signing and verifying (Ed25519) updates in WASM. It checks
//! that every update verifies and reports the cost per update; it asserts no timing.
#![cfg(target_arch = "wasm32")]

use chronoscope::collab::message::Message;
use chronoscope::collab::update::{Author, CharId, Op, Update, UpdateHash};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn updates_hash_sign_and_verify_in_the_browser() {
    const N: usize = 200;
    let alice = Author::from_seed([7; 32]);
    let mut prev = UpdateHash([3; 32]);
    let start = js_sys::Date::now();
    let updates: Vec<Update> = (0..N as u64)
        .map(|seq| {
            let op = Op::insert_char(Some(CharId::new(prev, 0)), 'x');
            let u = Update::sign(&alice, seq + 1, vec![prev], op);
            prev = u.id;
            u
        })
        .collect();
    let signed = js_sys::Date::now();
    assert!(updates.iter().all(|u| u.verify().is_ok()));
    let verified = js_sys::Date::now();
    for u in &updates {
        assert_eq!(u.content_hash(), u.id);
    }
    let hashed = js_sys::Date::now();
    let bytes = Message::Updates(vec![updates[0].clone()]).encode().len();
    let per = |a: f64, b: f64| (b - a) * 1_000.0 / N as f64;
    console_log!(
        "collab in WASM, per update: hash {:.1} µs, hash + sign {:.1} µs, hash + verify {:.1} µs; \
         {} bytes on the wire",
        per(verified, hashed),
        per(start, signed),
        per(signed, verified),
        bytes
    );
}
