//! Laws of trace import and export over simulated runs and fuzzed text: a simulated trace
//! exported as ShiViz or JSON lines imports back to the same happens-before relation; a cut is
//! consistent exactly when it is closed under happens-before; no input makes a parser panic,
//! and every error about a log names a line inside it.
#![cfg(not(target_arch = "wasm32"))]

use chronoscope::scenario::happens_before::{self, Params};
use chronoscope::trace::dag::{Execution, Log};
use chronoscope::trace::shiviz::{self, ParseOptions, GOVECTOR_REGEX};
use chronoscope::trace::{export, json_lines, CausalIndex, EventId, Trace};
use proptest::prelude::*;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/interop/shiviz/");
const FACEBOOK_REGEX: &str = r"(?<ip>(\d{1,3}\.){3}\d{1,3}) (?<date>(\d{1,2}/){2}\d{4} (\d{2}:){2}\d{2} (AM|PM)) (?<action>(INFO|GET|POST)) (?<event>.*)\n(?<host>\w*) (?<clock>.*)";

fn params() -> impl Strategy<Value = Params> {
    (2u32..=5, any::<u64>(), 1u32..=6, 0u32..=20).prop_map(|(nodes, seed, actions, loss)| Params {
        nodes,
        seed,
        actions,
        loss_percent: loss,
        ..Params::default()
    })
}

/// The imported event that stands for `trace` event `id` (same host name, same position).
fn counterpart(exec: &Execution, trace: &Trace, id: EventId) -> EventId {
    let e = &trace.events()[id.index()];
    let name = e.node.to_string();
    let host = exec.hosts().iter().position(|h| *h == name).unwrap();
    exec.events_of(chronoscope::node::NodeId(host as u32))[e.seq as usize]
}

fn assert_same_happens_before(trace: &Trace, back: &Log) -> Result<(), TestCaseError> {
    prop_assert_eq!(back.executions.len(), 1);
    let exec = &back.executions[0];
    prop_assert_eq!(exec.events().len(), trace.events().len());
    let index = CausalIndex::build(trace);
    for a in trace.events() {
        let ia = counterpart(exec, trace, a.id);
        prop_assert_eq!(
            &exec.event(ia).unwrap().text,
            &a.label.replace(['\n', '\r'], " ")
        );
        for b in trace.events() {
            let ib = counterpart(exec, trace, b.id);
            prop_assert_eq!(index.relation(a.id, b.id), exec.relation(ia, ib));
        }
    }
    Ok(())
}

fn is_closed(exec: &Execution, frontier: &[u32]) -> bool {
    let trace = exec.to_trace();
    let index = CausalIndex::build(&trace);
    let inside = |e: EventId| {
        let ev = exec.event(e).unwrap();
        ev.seq < frontier.get(ev.host.index()).copied().unwrap_or(0)
    };
    exec.events().iter().filter(|e| inside(e.id)).all(|e| {
        exec.events()
            .iter()
            .all(|f| !index.happens_before(f.id, e.id) || inside(f.id))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn simulated_runs_round_trip_through_shiviz_and_json(p in params()) {
        let trace = happens_before::run(&p).unwrap();
        let exec = Execution::from_trace(&trace).unwrap();
        let log = Log { executions: vec![exec] };
        let back = shiviz::parse_file(&export::to_shiviz(&log)).unwrap();
        assert_same_happens_before(&trace, &back)?;
        prop_assert!(back.executions[0].same_dag(&log.executions[0]));
        let back = json_lines::parse(&export::to_json_lines(&log)).unwrap();
        assert_same_happens_before(&trace, &back)?;
    }

    #[test]
    fn a_cut_is_consistent_iff_closed_under_happens_before(p in params(), cut in proptest::collection::vec(0u32..8, 0..6)) {
        let trace = happens_before::run(&p).unwrap();
        let exec = Execution::from_trace(&trace).unwrap();
        let fits = cut.iter().enumerate().all(|(h, c)| (*c as usize) <= exec.events_of(chronoscope::node::NodeId(h as u32)).len());
        prop_assert_eq!(exec.is_consistent_cut(&cut), fits && is_closed(&exec, &cut));
    }
}

// Compiled once per test thread (a compiled pattern is not `Sync`: the browser's is a JS object).
thread_local! {
    static GOVECTOR: ParseOptions = ParseOptions::new(GOVECTOR_REGEX).unwrap();
    static FACEBOOK: (ParseOptions, String) = (
        ParseOptions::new(FACEBOOK_REGEX).unwrap(),
        std::fs::read_to_string(format!("{CORPUS}facebook.log")).unwrap(),
    );
}

fn govector() -> ParseOptions {
    GOVECTOR.with(Clone::clone)
}

fn facebook() -> (ParseOptions, String) {
    FACEBOOK.with(Clone::clone)
}

fn line_count(text: &str) -> u32 {
    text.split('\n').count() as u32
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(150))]

    #[test]
    fn arbitrary_text_never_panics_and_errors_name_a_line(bytes in proptest::collection::vec(any::<u8>(), 0..300), s in any::<String>()) {
        let govector = govector();
        for text in [String::from_utf8_lossy(&bytes).into_owned(), s] {
            let lines = line_count(&text);
            if let Err(e) = shiviz::parse(&text, &govector) {
                prop_assert!(e.line.is_some_and(|l| l >= 1 && l <= lines), "{}", e);
            }
            if let Err(e) = shiviz::parse_file(&text) {
                prop_assert!(e.line.is_some_and(|l| l >= 1 && l <= lines), "{}", e);
            }
            if let Err(e) = json_lines::parse(&text) {
                prop_assert!(e.line.is_some_and(|l| l >= 1 && l <= lines), "{}", e);
            }
        }
    }

    #[test]
    fn clock_like_text_never_panics(s in r#"([ab] \{("[ab]":[0-9]{1,2},? ?){0,3}\}\n|e\n|\{|\}|"|:|,){0,24}"#) {
        let govector = govector();
        let text = format!("x\n{s}");
        if let Err(e) = shiviz::parse(&text, &govector) {
            prop_assert!(e.line.is_some_and(|l| l >= 1 && l <= line_count(&text)), "{}", e);
        }
    }

    #[test]
    fn mutated_corpus_text_never_panics_and_errors_name_a_line(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..4, "[0-9{}\",: \n\"a-z]{0,3}"), 1..6)
    ) {
        let (opts, original) = facebook();
        let mut text = original.clone();
        for (at, kind, insert) in &edits {
            let mut i = at.index(text.len() + 1);
            while !text.is_char_boundary(i) { i -= 1; }
            match kind {
                0 => text.insert_str(i, insert),
                1 => { let end = (i + insert.len() + 1).min(text.len()); if text.is_char_boundary(end) { text.replace_range(i..end, ""); } }
                2 => if let Some(d) = text[i..].find(|c: char| c.is_ascii_digit()) { text.replace_range(i + d..i + d + 1, &insert.len().to_string()); }
                _ => if let Some(q) = text[i..].find('\n') { text.insert_str(i + q + 1, "alice {\"alice\":1}\n"); }
            }
        }
        match shiviz::parse(&text, &opts) {
            Ok(log) => {
                let again = shiviz::parse_file(&export::to_shiviz(&log)).unwrap();
                prop_assert!(again.executions[0].same_dag(&log.executions[0]));
            }
            Err(e) => prop_assert!(e.line.is_some_and(|l| l >= 1 && l <= line_count(&text)), "{}", e),
        }
    }
}

#[test]
fn a_relayed_message_yields_one_edge_and_a_merge_yields_two() {
    let log = json_lines::parse(concat!(
        "{\"nodes\":[\"a\",\"b\",\"c\"]}\n",
        "{\"node\":\"a\",\"event\":\"send\",\"vc\":[1,0,0]}\n",
        "{\"node\":\"b\",\"event\":\"forward\",\"vc\":[1,1,0]}\n",
        "{\"node\":\"c\",\"event\":\"local\",\"vc\":[0,0,1]}\n",
        "{\"node\":\"c\",\"event\":\"relayed\",\"vc\":[1,1,2]}\n",
        "{\"node\":\"a\",\"event\":\"again\",\"vc\":[2,0,0]}\n",
        "{\"node\":\"c\",\"event\":\"merge\",\"vc\":{\"a\":2,\"b\":2,\"c\":3}}\n",
        "{\"node\":\"b\",\"event\":\"b2\",\"vc\":[1,2,0]}\n",
    ))
    .unwrap();
    let exec = &log.executions[0];
    let by_text = |t: &str| exec.events().iter().find(|e| e.text == t).unwrap();
    assert_eq!(by_text("relayed").parents, [by_text("forward").id]);
    let mut merge = by_text("merge").parents.clone();
    merge.sort();
    let mut want = vec![by_text("again").id, by_text("b2").id];
    want.sort();
    assert_eq!(merge, want);
    // Topological order even though "b2" is logged after "merge".
    assert!(by_text("b2").id < by_text("merge").id);
    assert_eq!(exec.concurrent_with(by_text("local").id).len(), 4);
}

#[test]
fn json_lines_errors_say_what_to_add() {
    let err = json_lines::parse("{\"event\":\"x\",\"vc\":[1]}").unwrap_err();
    assert_eq!(err.line, Some(1));
    assert!(err.to_string().contains("add \"node\""), "{err}");
    let err = json_lines::parse("{\"node\":\"A\",\"event\":\"x\",\"vc\":[1]}\n\n{\"node\":\"A\",\"event\":\"y\",\"vc\":[2,1]}").unwrap_err();
    assert_eq!(err.line, Some(3));
    assert!(err.to_string().contains("{\"nodes\":[...]}"), "{err}");
    let err = json_lines::parse("[1]").unwrap_err();
    assert!(err.to_string().contains("JSON object"), "{err}");
}
