//! Golden test for the trace example (`core/examples/trace.rs`): the example is compiled into
//! this test (via `#[path]`) and run in-process on the ShiViz corpus, with the very commands the
//! README shows (read from README.md, so the README cannot drift from what works); key lines of
//! the real output are pinned.
#![cfg(not(target_arch = "wasm32"))]

#[allow(dead_code)]
#[path = "../examples/trace.rs"]
mod trace;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
const SIMPLEDB_REGEX: &str = r"(?<event>.*)\n(?<host>\S*) (?<clock>{.*})";
const FACEBOOK_REGEX: &str = r"(?<ip>(\d{1,3}\.){3}\d{1,3}) (?<date>(\d{1,2}/){2}\d{4} (\d{2}:){2}\d{2} (AM|PM)) (?<action>(INFO|GET|POST)) (?<event>.*)\n(?<host>\w*) (?<clock>.*)";

fn corpus(file: &str) -> String {
    format!("{ROOT}/../shared/interop/shiviz/{file}")
}

/// Splits a one-line shell command the way `sh` would for the README's commands: words on
/// blanks, single quotes taken literally.
fn shell_words(line: &str) -> Vec<String> {
    let (mut words, mut word, mut quoted, mut any) = (Vec::new(), String::new(), false, false);
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    words.push(std::mem::take(&mut word));
                    any = false;
                }
            }
            c => {
                word.push(c);
                any = true;
            }
        }
    }
    assert!(!quoted, "unbalanced quote in {line}");
    if any {
        words.push(word);
    }
    words
}

/// The README's runnable trace commands on corpus files, as example arguments (paths made
/// absolute: the README's are relative to the repository root).
fn readme_commands() -> Vec<Vec<String>> {
    let readme = std::fs::read_to_string(format!("{ROOT}/README.md")).unwrap();
    let prefix = "cargo run -p chronoscope --example trace -- ../shared/";
    readme
        .lines()
        .filter(|l| l.starts_with(prefix))
        .map(|l| {
            let rest = &l["cargo run -p chronoscope --example trace -- ".len()..];
            shell_words(rest)
                .into_iter()
                .map(|w| match w.strip_prefix("../shared/") {
                    Some(path) => format!("{ROOT}/../shared/{path}"),
                    None => w,
                })
                .collect()
        })
        .collect()
}

#[test]
fn every_readme_trace_command_runs_on_the_corpus() {
    let commands = readme_commands();
    assert!(commands.len() >= 2, "README lost its trace commands");
    for args in &commands {
        let out = trace::render(args).unwrap_or_else(|e| panic!("README command {args:?}: {e}"));
        assert!(!out.is_empty());
    }
    // The summary command's real output.
    let summary = trace::render(&commands[0]).unwrap();
    let lines: Vec<&str> = summary.lines().collect();
    assert!(
        lines[0].ends_with("simpledb.log: 1 execution(s)"),
        "{}",
        lines[0]
    );
    assert_eq!(
        lines[1..],
        [
            "  (unnamed): 5 hosts, 509 events, 95 messages",
            "    hosts: 24464, 24468, 24469, 24470, 24471",
        ]
    );
}

#[test]
fn simpledb_mermaid_export_has_every_event_and_message() {
    let args = [
        corpus("simpledb.log"),
        "--regex".into(),
        SIMPLEDB_REGEX.into(),
        "--mermaid".into(),
    ];
    let out = trace::render(&args).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "graph TD");
    assert_eq!(lines[1], r#"  n0_1["Node 24464: Workers are: "]"#);
    let nodes = lines.iter().filter(|l| l.contains("[\"")).count();
    assert_eq!(nodes, 509, "one Mermaid node per event");
}

#[test]
fn simpledb_without_its_regex_is_detected_as_event_line_first() {
    // Its first line is an event, its second a `host {clock}` line: auto-detection reads it with
    // the event line first and gets exactly what the manifest's regex gives.
    let detected = trace::render(&[corpus("simpledb.log")]).unwrap();
    let given = trace::render(&[
        corpus("simpledb.log"),
        "--regex".into(),
        SIMPLEDB_REGEX.into(),
    ])
    .unwrap();
    assert_eq!(detected, given);
    // Forced into GoVector's layout (clock line first) the events shift by one line, so the last
    // worker's first clock arrives before any of its events, and the error says where.
    let err = trace::render(&[
        corpus("simpledb.log"),
        "--regex".into(),
        r"(?<host>\S*) (?<clock>{.*})\n(?<event>.*)".into(),
    ])
    .unwrap_err();
    assert!(
        err.ends_with(
            "simpledb.log: line 190: the clock names host \"24471\", which logs no event; \
             remove the entry or add that host's events; the line reads: \
             24468 {\"24468\":42,\"24469\":38,\"24471\":39,\"24464\":40,\"24470\":40}"
        ),
        "{err}"
    );
}

#[test]
fn facebook_multiple_with_its_delimiter_prints_both_executions() {
    let args = [
        corpus("facebook-multiple.log"),
        "--regex".into(),
        FACEBOOK_REGEX.into(),
        "--delimiter".into(),
        "^=== (?<trace>.*) ===$".into(),
    ];
    let out = trace::render(&args).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].ends_with("facebook-multiple.log: 2 execution(s)"));
    assert!(
        lines[1].starts_with("  Execution #1: 4 hosts, 47 events, "),
        "{}",
        lines[1]
    );
    assert!(
        lines[3].starts_with("  Execution #2: 4 hosts, 41 events, "),
        "{}",
        lines[3]
    );
}

#[test]
fn bad_arguments_are_errors_not_panics() {
    assert!(trace::render(&[]).is_err());
    assert!(trace::render(&["--bogus".into()]).is_err());
    assert!(trace::render(&[corpus("simpledb.log"), "--regex".into()]).is_err());
    assert!(trace::render(&[corpus("no-such-file.log")]).is_err());
    let bad_regex = [corpus("simpledb.log"), "--regex".into(), "(?<event>".into()];
    assert!(trace::render(&bad_regex).is_err());
}
