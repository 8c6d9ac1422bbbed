//! Exports of an imported DAG: Mermaid (the flowchart of the source document's project 8, and a
//! sequence diagram), Graphviz DOT, ShiViz (file form, re-importable with
//! [`shiviz::parse_file`](super::shiviz::parse_file)) and JSON lines (re-importable with
//! [`json_lines::parse`](super::json_lines::parse)).
//!
//! Imported text is data: every label is escaped for its target — Mermaid entity codes, DOT
//! string escapes, [`escape_xml`] for SVG/HTML — so a log cannot inject markup or script.
//! Invariant: `import(export(log))` has the same DAG as `log` (for ShiViz, text and names have
//! their line breaks turned into spaces, and fields are not written).

use alloc::format;
use alloc::string::String;
use core::fmt::Write;

use super::dag::{Execution, Log};
use super::json;
use super::EventId;

/// The parser regex written on the first line of a ShiViz export.
pub const SHIVIZ_REGEX: &str = r"^event: (?<event>.*)\nhost: (?<host>.*)\nclock: (?<clock>\{.*\})$";
/// The delimiter regex written on the second line of a multi-execution ShiViz export.
pub const SHIVIZ_DELIMITER: &str = r"^=== (?<trace>.*) ===$";

/// Escapes text for XML/HTML/SVG content and attribute values.
///
/// ```
/// use chronoscope::trace::export::escape_xml;
/// assert_eq!(escape_xml("<script>\"&'"), "&lt;script&gt;&quot;&amp;&#39;");
/// ```
pub fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && !matches!(c, '\n' | '\t') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for a Mermaid label: markup and statement characters become `#code;` entities.
pub fn escape_mermaid(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '#' | '"' | '<' | '>' | '&' | ';' | '%' | '`' | '|' | '\\' | '{' | '}' | '[' | ']'
            | '(' | ')' => {
                let _ = write!(out, "#{};", c as u32);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for a double-quoted DOT string.
pub fn escape_dot(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if matches!(c, '\n' | '\r') { ' ' } else { c })
        .collect()
}

fn node_id(exec: &Execution, id: EventId) -> String {
    exec.event(id)
        .map_or(String::new(), |e| format!("n{}_{}", e.host.0, e.seq + 1))
}

/// A Mermaid flowchart (`graph TD`), as in the source document: one box per event labelled
/// `Node <host>: <text>`, an arrow per local step and per message.
///
/// ```
/// use chronoscope::trace::{export, json_lines};
/// let log = json_lines::parse("{\"node\":\"A\",\"event\":\"<b>\",\"vc\":[1]}").unwrap();
/// let m = export::to_mermaid(&log.executions[0]);
/// assert!(m.starts_with("graph TD") && m.contains("n0_1[\"Node A: #60;b#62;\"]"));
/// ```
pub fn to_mermaid(exec: &Execution) -> String {
    let mut out = String::from("graph TD\n");
    for e in exec.events() {
        let host = escape_mermaid(exec.host_name(e.host));
        let _ = writeln!(
            out,
            "  {}[\"Node {host}: {}\"]",
            node_id(exec, e.id),
            escape_mermaid(&e.text)
        );
    }
    for e in exec.events() {
        if let Some(prev) = e
            .seq
            .checked_sub(1)
            .and_then(|s| exec.events_of(e.host).get(s as usize))
        {
            let _ = writeln!(
                out,
                "  {} --> {}",
                node_id(exec, *prev),
                node_id(exec, e.id)
            );
        }
        for p in &e.parents {
            let _ = writeln!(
                out,
                "  {} -->|msg| {}",
                node_id(exec, *p),
                node_id(exec, e.id)
            );
        }
    }
    out
}

/// A Mermaid sequence diagram: one participant per host; a receive is an arrow from each of
/// its senders' hosts labelled with the receive's text, any other event a note over its host.
pub fn to_mermaid_sequence(exec: &Execution) -> String {
    let mut out = String::from("sequenceDiagram\n");
    for (i, h) in exec.hosts().iter().enumerate() {
        let _ = writeln!(out, "  participant h{i} as {}", escape_mermaid(h));
    }
    for e in exec.events() {
        let text = escape_mermaid(&e.text);
        if e.parents.is_empty() {
            let _ = writeln!(out, "  Note over h{}: {text}", e.host.0);
        }
        for p in e.parents.iter().filter_map(|p| exec.event(*p)) {
            let _ = writeln!(out, "  h{}->>h{}: {text}", p.host.0, e.host.0);
        }
    }
    out
}

/// A Graphviz digraph: one cluster per host, local edges solid, message edges blue.
pub fn to_dot(exec: &Execution) -> String {
    let mut out = String::new();
    let name = escape_dot(exec.name().unwrap_or("execution"));
    let _ = writeln!(
        out,
        "digraph \"{name}\" {{\n  rankdir=TB;\n  node [shape=box];"
    );
    for (h, host) in exec.hosts().iter().enumerate() {
        let _ = writeln!(
            out,
            "  subgraph cluster_{h} {{\n    label=\"{}\";",
            escape_dot(host)
        );
        let ids = exec.events_of(crate::node::NodeId(h as u32));
        for id in ids {
            let text = exec.event(*id).map_or("", |e| e.text.as_str());
            let _ = writeln!(out, "    e{} [label=\"{}\"];", id.0, escape_dot(text));
        }
        for w in ids.windows(2) {
            let _ = writeln!(out, "    e{} -> e{};", w[0].0, w[1].0);
        }
        out.push_str("  }\n");
    }
    for (send, recv) in exec.messages() {
        let _ = writeln!(out, "  e{} -> e{} [color=blue];", send.0, recv.0);
    }
    out.push_str("}\n");
    out
}

/// The log in ShiViz's file form: the parser regex, the delimiter (blank for a single unnamed
/// execution), then per event three lines `event: …`, `host: …`, `clock: {…}`.
pub fn to_shiviz(log: &Log) -> String {
    let delimited = log.executions.len() > 1 || log.executions.iter().any(|x| x.name().is_some());
    let mut out = format!(
        "{SHIVIZ_REGEX}\n{}\n",
        if delimited { SHIVIZ_DELIMITER } else { "" }
    );
    for exec in &log.executions {
        if delimited {
            let _ = writeln!(out, "=== {} ===", one_line(exec.name().unwrap_or("")));
        }
        for e in exec.events() {
            let _ = writeln!(
                out,
                "event: {}\nhost: {}\nclock: {}",
                one_line(&e.text),
                one_line(exec.host_name(e.host)),
                clock_json(exec, e.id)
            );
        }
    }
    out
}

fn clock_json(exec: &Execution, id: EventId) -> String {
    let mut out = String::from("{");
    if let Some(e) = exec.event(id) {
        for (i, (h, c)) in e.clock.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            json::write_string(&mut out, exec.host_name(h));
            let _ = write!(out, ":{c}");
        }
    }
    out.push('}');
    out
}

/// The log as JSON lines: `{"execution":…}` before each named execution, then per event
/// `{"node":…,"event":…,"vc":{…},"fields":{…}}`.
pub fn to_json_lines(log: &Log) -> String {
    let mut out = String::new();
    for exec in &log.executions {
        if let Some(name) = exec.name() {
            out.push_str("{\"execution\":");
            json::write_string(&mut out, name);
            out.push_str("}\n");
        }
        for e in exec.events() {
            out.push_str("{\"node\":");
            json::write_string(&mut out, exec.host_name(e.host));
            out.push_str(",\"event\":");
            json::write_string(&mut out, &e.text);
            out.push_str(",\"vc\":");
            out.push_str(&clock_json(exec, e.id));
            if !e.fields.is_empty() {
                out.push_str(",\"fields\":{");
                for (i, (k, v)) in e.fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    json::write_string(&mut out, k);
                    out.push(':');
                    json::write_string(&mut out, v);
                }
                out.push('}');
            }
            out.push_str("}\n");
        }
    }
    out
}
