//! Trace import in a browser (wasm-bindgen-test, headless Chromium): a corpus log parses into
//! the executions the manifest lists, and its ShiViz export imports back to the same DAG.
#![cfg(target_arch = "wasm32")]

use chronoscope::trace::shiviz::{self, ParseOptions};
use chronoscope::trace::{export, import::import};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const LOG: &str = include_str!("../../../shared/interop/shiviz/facebook-multiple.log");
const PARSER: &str = r"(?<ip>(\d{1,3}\.){3}\d{1,3}) (?<date>(\d{1,2}/){2}\d{4} (\d{2}:){2}\d{2} (AM|PM)) (?<action>(INFO|GET|POST)) (?<event>.*)\n(?<host>\w*) (?<clock>.*)";

#[wasm_bindgen_test]
fn a_corpus_log_imports_and_round_trips_in_the_browser() {
    let options = ParseOptions::new(PARSER)
        .and_then(|o| o.with_delimiter("^=== (?<trace>.*) ===$"))
        .unwrap();
    let log = shiviz::parse(LOG, &options).unwrap();
    let counts: Vec<(usize, usize)> = log
        .executions
        .iter()
        .map(|x| (x.events().len(), x.hosts().len()))
        .collect();
    assert_eq!(counts, [(47, 4), (41, 4)]);
    let back = import(&export::to_shiviz(&log), None, None).unwrap();
    for (a, b) in log.executions.iter().zip(&back.executions) {
        assert!(a.same_dag(b));
    }
}

/// A GoVector log of `events` events on 8 hosts: each step one host sends, receives a pending
/// message, or works locally (the native benchmark's generator, condensed).
fn generate(events: usize) -> String {
    const HOSTS: usize = 8;
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    let mut clocks = vec![vec![0u64; HOSTS]; HOSTS];
    let mut inbox: Vec<Vec<Vec<u64>>> = vec![Vec::new(); HOSTS];
    let mut out = String::new();
    for i in 0..events {
        let h = next(HOSTS as u64) as usize;
        if !inbox[h].is_empty() && next(2) == 0 {
            let msg = inbox[h].remove(0);
            for (c, m) in clocks[h].iter_mut().zip(&msg) {
                *c = (*c).max(*m);
            }
        }
        clocks[h][h] += 1;
        if next(3) == 0 {
            let to = (h + 1 + next(HOSTS as u64 - 1) as usize) % HOSTS;
            inbox[to].push(clocks[h].clone());
        }
        let entries: Vec<String> = (0..HOSTS)
            .filter(|k| clocks[h][*k] > 0)
            .map(|k| format!("\"host{k}\":{}", clocks[h][k]))
            .collect();
        out += &format!("host{h} {{{}}}\nevent {i}\n", entries.join(", "));
    }
    out
}

/// Prints the import time (run with `--release -- --nocapture` for the README figure; debug
/// builds use 10,000 events to keep the suite fast).
#[wasm_bindgen_test]
fn a_100k_event_log_imports_in_the_browser() {
    let events = if cfg!(debug_assertions) {
        10_000
    } else {
        100_000
    };
    let text = generate(events);
    let start = js_sys::Date::now();
    let log = import(&text, None, None).unwrap();
    let millis = js_sys::Date::now() - start;
    assert_eq!(log.executions[0].events().len(), events);
    assert_eq!(log.executions[0].hosts().len(), 8);
    console_log!("{events}-event GoVector log imported in {millis} ms");
}
