//! The ShiViz interoperability corpus (../shared/interop/shiviz/): every log parses with the
//! regex and delimiter its manifest gives into exactly the executions, event counts and host
//! counts listed; exports re-import to the same DAG; broken clocks are reported at their line.
#![cfg(not(target_arch = "wasm32"))]

use chronoscope::trace::dag::Log;
use chronoscope::trace::error::ImportErrorKind as K;
use chronoscope::trace::json::{self, Json};
use chronoscope::trace::shiviz::{self, ParseOptions};
use chronoscope::trace::{export, json_lines, CausalIndex};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/interop/shiviz/");

struct Entry {
    file: String,
    parser: String,
    delimiter: Option<String>,
    executions: Vec<(Option<String>, u64, u64)>,
}

fn get<'a>(obj: &'a Json, key: &str) -> &'a Json {
    let Json::Object(entries) = obj else {
        panic!("not an object")
    };
    &entries.iter().find(|(k, _)| k == key).unwrap().1
}

fn string(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(s.clone()),
        _ => None,
    }
}

fn manifest() -> Vec<Entry> {
    let text = std::fs::read_to_string(format!("{CORPUS}manifest.json")).unwrap();
    let Json::Array(logs) = get(&json::parse(&text).unwrap(), "logs").clone() else {
        panic!()
    };
    logs.iter()
        .map(|log| {
            let Json::Array(execs) = get(log, "executions") else {
                panic!()
            };
            Entry {
                file: string(get(log, "file")).unwrap(),
                parser: string(get(log, "parser")).unwrap(),
                delimiter: string(get(log, "delimiter")),
                executions: execs
                    .iter()
                    .map(|e| {
                        let n = |k| get(e, k).as_u64().unwrap();
                        (string(get(e, "name")), n("events"), n("hosts"))
                    })
                    .collect(),
            }
        })
        .collect()
}

fn options(entry: &Entry) -> ParseOptions {
    let opts = ParseOptions::new(&entry.parser).unwrap();
    match &entry.delimiter {
        Some(d) => opts.with_delimiter(d).unwrap(),
        None => opts,
    }
}

fn read(entry: &Entry) -> String {
    std::fs::read_to_string(format!("{CORPUS}{}", entry.file)).unwrap()
}

#[test]
fn every_corpus_log_parses_into_the_listed_executions() {
    let entries = manifest();
    assert_eq!(entries.len(), 5);
    for entry in &entries {
        let log = shiviz::parse(&read(entry), &options(entry))
            .unwrap_or_else(|e| panic!("{}: {e}", entry.file));
        let got: Vec<_> = log
            .executions
            .iter()
            .map(|x| {
                (
                    x.name().map(String::from),
                    x.events().len() as u64,
                    x.hosts().len() as u64,
                )
            })
            .collect();
        assert_eq!(got, entry.executions, "{}", entry.file);
        let crlf = shiviz::parse(&read(entry).replace('\n', "\r\n"), &options(entry)).unwrap();
        assert!(same_log(&log, &crlf), "{}: Windows line ends", entry.file);
    }
}

fn corpus() -> Vec<(String, Log)> {
    manifest()
        .iter()
        .map(|e| {
            (
                e.file.clone(),
                shiviz::parse(&read(e), &options(e)).unwrap(),
            )
        })
        .collect()
}

fn same_log(a: &Log, b: &Log) -> bool {
    a.executions.len() == b.executions.len()
        && a.executions
            .iter()
            .zip(&b.executions)
            .all(|(x, y)| x.name() == y.name() && x.same_dag(y))
}

#[test]
fn shiviz_and_json_exports_import_to_the_same_dag() {
    for (file, log) in corpus() {
        let shiviz_text = export::to_shiviz(&log);
        let back = shiviz::parse_file(&shiviz_text).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(same_log(&log, &back), "{file}: ShiViz round trip");
        let back = json_lines::parse(&export::to_json_lines(&log)).unwrap();
        assert!(same_log(&log, &back), "{file}: JSON round trip");
        assert_eq!(
            back.executions[0].events()[0].fields,
            log.executions[0].events()[0].fields
        );
        if file == "facebook.log" {
            let text = std::fs::read_to_string(format!("{CORPUS}{file}")).unwrap();
            let exec = &log.executions[0];
            let posts = text.lines().filter(|l| l.contains("M POST ")).count();
            assert_eq!(exec.with_field("action", "POST").len(), posts);
            let breakfast = text.lines().filter(|l| l.contains("Breakfast")).count();
            assert_eq!(exec.search("Breakfast").len(), breakfast);
        }
    }
}

#[test]
fn trace_conversion_keeps_happens_before_including_multi_sender_receives() {
    let mut multi = 0;
    for (file, log) in corpus() {
        for exec in &log.executions {
            let trace = exec.to_trace();
            let index = CausalIndex::build(&trace);
            assert_eq!(trace.events().len(), exec.events().len());
            assert_eq!(trace.messages().len(), exec.messages().count());
            multi += exec.events().iter().filter(|e| e.parents.len() > 1).count();
            for a in exec.events() {
                for b in exec.events() {
                    let by_dag = exec.relation(a.id, b.id);
                    assert_eq!(
                        by_dag,
                        index.relation(a.id, b.id),
                        "{file}: {:?} {:?}",
                        a.id,
                        b.id
                    );
                    assert_eq!(by_dag, a.clock.compare(&b.clock));
                }
                let past = exec.causal_past(a.id);
                let future = exec.causal_future(a.id);
                let concurrent = exec.concurrent_with(a.id);
                assert_eq!(
                    past.len() + future.len() + concurrent.len() + 1,
                    exec.events().len()
                );
                assert!(exec.is_consistent_cut(&exec.cut_through(a.id)));
            }
        }
    }
    assert!(
        multi > 0,
        "simpledb.log has receives that merge two senders"
    );
}

/// Replaces the `nth` (1-based) line of `text` using `edit`, returning the new text.
fn edit_line(text: &str, nth: usize, edit: impl Fn(&str) -> String) -> String {
    text.split('\n')
        .enumerate()
        .map(|(i, l)| if i + 1 == nth { edit(l) } else { l.to_string() })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn an_edited_clock_is_reported_at_its_line() {
    let entry = manifest()
        .into_iter()
        .find(|e| e.file == "facebook.log")
        .unwrap();
    let text = read(&entry);
    let opts = options(&entry);
    let lines: Vec<&str> = text.split('\n').collect();
    assert_eq!(
        lines[3],
        r#"alice {"alice":2, "loadBalancer": 2, "eastDC":6, "westDC": 3}"#
    );
    let check = |broken: String, line: u32, want: fn(&K) -> bool| {
        let err = shiviz::parse(&broken, &opts).unwrap_err();
        assert_eq!(err.line, Some(line), "{err}");
        assert!(want(&err.kind), "{err}");
        assert!(err.to_string().starts_with(&format!("line {line}: ")));
    };
    // A local step of 2 instead of 1.
    check(
        edit_line(&text, 4, |l| l.replace(r#""alice":2"#, r#""alice":3"#)),
        4,
        |k| {
            matches!(
                k,
                K::LocalStepNotOne {
                    previous: 1,
                    got: 3,
                    ..
                }
            )
        },
    );
    // The own entry removed.
    check(
        edit_line(&text, 4, |l| l.replace(r#""alice":2, "#, "")),
        4,
        |k| matches!(k, K::OwnEntryMissing { host } if host == "alice"),
    );
    // A host that never logs.
    check(
        edit_line(&text, 4, |l| l.replace("westDC", "mallory")),
        4,
        |k| matches!(k, K::UnknownHost { host } if host == "mallory"),
    );
    // An entry of 0 is no entry.
    check(
        edit_line(&text, 2, |l| l.replace(r#""alice":1"#, r#""alice":0"#)),
        2,
        |k| matches!(k, K::OwnEntryMissing { .. }),
    );
    // The first clock not 1: a host whose events are numbered from 2.
    let govector = ParseOptions::new(shiviz::GOVECTOR_REGEX).unwrap();
    let err = shiviz::parse(
        "a {\"a\":1}\nx\nb {\"b\":2}\ny\nb {\"b\":3}\nz\n",
        &govector,
    )
    .unwrap_err();
    assert_eq!(err.line, Some(3));
    assert_eq!(
        err.kind,
        K::FirstClockNotOne {
            host: "b".into(),
            got: 2
        }
    );
    // Knowing eastDC's 6th event without what that event knew: not transitive.
    check(
        edit_line(&text, 4, |l| {
            l.replace(r#""loadBalancer": 2"#, r#""loadBalancer": 1"#)
        }),
        4,
        |k| matches!(k, K::NotTransitive { entry, .. } if entry == "loadBalancer"),
    );
    // Malformed JSON.
    check(
        edit_line(&text, 4, |l| l.replace(r#", "eastDC""#, r#" "eastDC""#)),
        4,
        |k| matches!(k, K::BadJson { message } if message.contains("expected ',' or '}'")),
    );
}

#[test]
fn regex_errors_say_what_is_missing() {
    let err = ParseOptions::new("(?<host>x) (?<clock>y)").unwrap_err();
    assert_eq!(
        err.kind,
        K::MissingGroup {
            role: "parser",
            group: "event"
        }
    );
    assert!(matches!(
        ParseOptions::new("(?<event>(").unwrap_err().kind,
        K::BadRegex { .. }
    ));
    let err = shiviz::parse_file("(?<event>.*)\n(?<nope>=)\nx").unwrap_err();
    assert_eq!(err.line, Some(1));
    let err =
        shiviz::parse_file("(?<event>.*) (?<host>x) (?<clock>.*)\n(?<nope>=)\nx").unwrap_err();
    assert_eq!(err.line, Some(2));
    let err = shiviz::parse_file("(?<event>.*)(?<host>)(?<clock>)\n\nno clocks here").unwrap_err();
    assert_eq!(err.line, Some(3), "{err}");
}

#[test]
fn a_gap_in_a_hosts_numbering_is_reported_where_it_starts() {
    let entry = manifest()
        .into_iter()
        .find(|e| e.file == "simple-reliable-broadcast.log")
        .unwrap();
    let text = edit_line(&read(&entry), 5, |l| {
        l.replace(r#""node1" : 3"#, r#""node1" : 5"#)
    });
    let err = shiviz::parse(&text, &options(&entry)).unwrap_err();
    assert_eq!(err.line, Some(5), "{err}");
    assert_eq!(
        err.kind,
        K::LocalStepNotOne {
            host: "node1".into(),
            previous: 2,
            got: 5
        }
    );
}

/// A TLC error-trace dump (`tlc -continue` found two violations) with ShiViz's `Host` and
/// `Clock` trace expressions: clocks printed as escaped JSON strings, read with a multi-line
/// regex whose lines start with `^`; each `Error: Invariant … is violated.` line starts an
/// execution; the banner before the first one is skipped; the initial state (host "--", all
/// clocks 0) does not match the regex.
const TLA_LOG: &str = include_str!("data/tla_ping_pong.log");
use chronoscope::trace::shiviz::{TLA_DELIMITER, TLA_REGEX as TLA_PARSER};

#[test]
fn a_tla_trace_with_escaped_clocks_and_anchored_lines_imports() {
    let opts = ParseOptions::new(TLA_PARSER)
        .unwrap()
        .with_delimiter(TLA_DELIMITER)
        .unwrap();
    let log = shiviz::parse(TLA_LOG, &opts).unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<_> = log.executions.iter().map(|e| e.name()).collect();
    assert_eq!(
        names,
        [
            Some("Invariant AllPongsCounted is violated"),
            Some("Invariant NoPongBeforeDone is violated")
        ]
    );
    let first = &log.executions[0];
    assert_eq!(first.hosts(), ["n1", "n2", "n3"]);
    assert_eq!(first.events().len(), 8);
    let texts: Vec<_> = first.events().iter().map(|e| e.text.as_str()).collect();
    assert_eq!(texts[0], "SendPing(n1, n2)");
    assert_eq!(texts[7], "RecvPong(n1)");
    // Ping n1→n2, ping n1→n3, pong n2→n1, pong n3→n1.
    let messages: Vec<_> = first
        .messages()
        .map(|(s, r)| {
            (
                first.events()[s.index()].line,
                first.events()[r.index()].line,
            )
        })
        .collect();
    assert_eq!(messages.len(), 4, "{messages:?}");
    let e = &first.events()[0];
    assert_eq!(e.line, 16, "the event's line is its State line");
    assert_eq!(
        e.fields,
        [(
            "location".to_string(),
            "21, col 5 to line 25, col 42 of module PingPong".to_string()
        )]
    );
    let second = &log.executions[1];
    assert_eq!((second.hosts().len(), second.events().len()), (2, 3));
    assert_eq!(second.messages().count(), 1);
    // Without the anchors' multi-line meaning, or with the clock read literally, it fails.
    let literal = TLA_LOG.replace("\\\"", "'");
    let err = shiviz::parse(&literal, &opts).unwrap_err().to_string();
    assert!(
        err.contains("not valid JSON") && err.contains("line 17"),
        "{err}"
    );
    assert!(
        err.contains(r#"/\ Clock = "{'n1':1"#),
        "quotes the log line: {err}"
    );
}

#[test]
fn regex_errors_quote_the_pattern_as_written() {
    let err = ParseOptions::new(r"(?<host>\S+) (?<clock>{.*}) (?<event>.*").unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(r"/(?<host>\S+) (?<clock>{.*}) (?<event>.*/"),
        "{text}"
    );
    assert!(!text.contains("x{2000}"), "no internal rewrite: {text}");
    let err = ParseOptions::new(r"^(?<event>(?!Initial)\w+) (?<host>\w+) (?<clock>.*)")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("negative look-ahead") && err.contains("character 11"),
        "{err}"
    );
}
