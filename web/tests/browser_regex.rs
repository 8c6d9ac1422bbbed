//! The browser's `RegExp` as the ShiViz import's regex engine (wasm-bindgen-test in headless
//! Chromium): JavaScript's own semantics (look-around, back-references, empty matches),
//! UTF-16 offsets turned into the right byte ranges on non-ASCII text, and the guards that
//! refuse what could freeze the page.
#![cfg(target_arch = "wasm32")]

use chronoscope::trace::error::ImportErrorKind;
use chronoscope::trace::pattern::{Engine, PatternError};
use chronoscope::trace::shiviz::{self, ParseOptions, TLA_DELIMITER};
use chronoscope_web::browser_regex::{engine, BrowserEngine, MAX_LINE_CHARS};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const TLA_LOG: &str = include_str!("../../core/tests/data/tla_ping_pong.log");
const GOVECTOR: &str = r"(?<host>\S*) (?<clock>{.*})\n(?<event>.*)";

fn spans(pattern: &str, text: &str) -> Vec<Vec<Option<String>>> {
    let re = BrowserEngine.compile(pattern).unwrap();
    let mut out = Vec::new();
    re.for_each_match(text, 0..text.len(), &mut |groups| {
        out.push(
            groups
                .iter()
                .map(|g| g.clone().map(|r| text[r].to_owned()))
                .collect(),
        );
        true
    })
    .unwrap();
    out
}

#[wasm_bindgen_test]
fn look_ahead_look_behind_and_back_references_run() {
    let lookahead = r#"^State \d+: <(?!Initial)(?<event>[^>]*)>\n/\\ Clock = "(?<clock>.*)"\n/\\ Host = "(?<host>.*)""#;
    let options = ParseOptions::with_engine(engine(), lookahead)
        .and_then(|o| o.with_delimiter(TLA_DELIMITER))
        .unwrap();
    let log = shiviz::parse(TLA_LOG, &options).unwrap();
    assert_eq!(log.executions.len(), 2);
    assert_eq!(log.executions[0].events().len(), 8);
    assert_eq!(log.executions[0].hosts(), ["n1", "n2", "n3"]);
    let found = spans(r"(?<=id=)(\w+) (\1)", "id=ab ab id=cd ce");
    assert_eq!(
        found,
        [vec![
            Some("ab ab".into()),
            Some("ab".into()),
            Some("ab".into())
        ]]
    );
}

#[wasm_bindgen_test]
fn empty_matches_step_one_character_as_javascript_does() {
    let found: Vec<Option<String>> = spans("x*", "axxb")
        .into_iter()
        .map(|g| g[0].clone())
        .collect();
    let want = ["", "xx", "", ""].map(|s| Some(String::from(s)));
    assert_eq!(found, want);
}

#[wasm_bindgen_test]
fn non_ascii_text_gives_the_right_byte_ranges() {
    let log = "ħost {\"ħost\":1}\nstart 😀 é\nħost {\"ħost\":2}\nnext ü\n";
    let options = ParseOptions::with_engine(engine(), GOVECTOR).unwrap();
    let parsed = shiviz::parse(log, &options).unwrap();
    let exec = &parsed.executions[0];
    assert_eq!(exec.hosts(), ["ħost"]);
    let texts: Vec<&str> = exec.events().iter().map(|e| e.text.as_str()).collect();
    assert_eq!(texts, ["start 😀 é", "next ü"]);
    // `.` without the `u` flag matches half of a surrogate pair: the span rounds up to the
    // whole character, never a byte range inside it.
    assert_eq!(spans(r"😀(.)", "a😀😀b")[0][1].as_deref(), Some("😀"));
}

#[wasm_bindgen_test]
fn bad_catastrophic_and_overlong_input_is_refused_with_a_reason() {
    let err = BrowserEngine.compile(r"(?<host>\S*) (").unwrap_err();
    assert!(
        matches!(&err, PatternError::Invalid(m) if !m.contains("dgm")),
        "{err}"
    );
    let err = BrowserEngine.compile(r"^(\w+\s?)*$").unwrap_err();
    assert!(matches!(err, PatternError::Catastrophic(_)), "{err}");
    let long = format!("a {{\"a\":1}}\n{}\n", "x".repeat(MAX_LINE_CHARS + 1));
    let options = ParseOptions::with_engine(engine(), GOVECTOR).unwrap();
    let err = shiviz::parse(&long, &options).unwrap_err();
    assert_eq!(err.line, Some(2), "{err}");
    assert!(
        matches!(err.kind, ImportErrorKind::RegexFailed { .. }),
        "{err}"
    );
}
