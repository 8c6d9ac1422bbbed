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

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    /// Labels a hostile log could carry: quote and bracket breakouts, statement separators,
    /// line breaks that would start a new Mermaid/DOT statement, markup and script.
    const HOSTILE: &[&str] = &[
        "\"",
        "a\"] --> X[\"pwned",
        "x\"]; click n0_1 \"javascript:alert(1)\"",
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "line1\nline2",
        "a\r\nb\u{0}c\u{1b}[31m",
        "%%{init: {\"theme\":\"dark\"}}%%",
        "(round) {curly} [square] |pipe| `tick` #hash; &amp;",
        "back\\slash\\\" and \\n literal",
        "\" -> evil; evil [label=\"",
        "}\ndigraph x {",
        "",
    ];

    /// Undoes Mermaid's `#code;` entities.
    fn unescape_mermaid(s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find('#') {
            out.push_str(&rest[..i]);
            let after = &rest[i + 1..];
            let end = after.find(';').expect("an entity ends with ';'");
            let code: u32 = after[..end].parse().expect("a decimal entity");
            out.push(char::from_u32(code).expect("a char"));
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out
    }

    /// Undoes DOT's string escapes.
    fn unescape_dot(s: &str) -> String {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('n') => out.push('\n'),
                    Some(o) => out.push(o),
                    None => panic!("dangling backslash in {s:?}"),
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    /// What a label should read as once escaped: control characters (newlines included, which
    /// Mermaid cannot carry in a label) become spaces.
    fn controls_to_spaces(s: &str, keep_newline: bool) -> String {
        s.chars()
            .map(|c| match c {
                '\n' if keep_newline => '\n',
                c if c.is_control() => ' ',
                c => c,
            })
            .collect()
    }

    #[test]
    fn escape_mermaid_leaves_no_breakout_character_and_reads_back() {
        assert_eq!(
            escape_mermaid("<script>\"x\"</script>"),
            "#60;script#62;#34;x#34;#60;/script#62;"
        );
        assert_eq!(escape_mermaid("a\"]\nb["), "a#34;#93; b#91;");
        for label in HOSTILE {
            let escaped = escape_mermaid(label);
            // Outside entities: no quote, bracket, brace, markup, separator or line break.
            let mut bare = escaped.clone();
            for (i, _) in escaped
                .match_indices('#')
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
            {
                let end = i + escaped[i..].find(';').unwrap() + 1;
                assert!(escaped[i + 1..end - 1].chars().all(|c| c.is_ascii_digit()));
                bare.replace_range(i..end, "");
            }
            for bad in "\"<>&;%`|\\{}[]()#\n\r".chars() {
                assert!(!bare.contains(bad), "{label:?} → {escaped:?} keeps {bad:?}");
            }
            assert!(!bare.chars().any(char::is_control), "{escaped:?}");
            assert_eq!(unescape_mermaid(&escaped), controls_to_spaces(label, false));
        }
    }

    #[test]
    fn escape_dot_keeps_every_label_inside_its_quotes_and_reads_back() {
        assert_eq!(escape_dot("say \"hi\"\n"), "say \\\"hi\\\"\\n");
        assert_eq!(escape_dot("a\\\""), "a\\\\\\\"");
        for label in HOSTILE {
            let escaped = escape_dot(label);
            assert!(!escaped.contains('\n') && !escaped.chars().any(char::is_control));
            // Every quote is escaped, i.e. preceded by an odd run of backslashes.
            let bytes = escaped.as_bytes();
            for (i, _) in escaped.match_indices('"') {
                let run = bytes[..i].iter().rev().take_while(|&&b| b == b'\\').count();
                assert!(run % 2 == 1, "{label:?} → {escaped:?}: bare quote at {i}");
            }
            // And no dangling backslash could swallow the closing quote.
            let trailing = bytes.iter().rev().take_while(|&&b| b == b'\\').count();
            assert!(trailing % 2 == 0, "{escaped:?}");
            assert_eq!(unescape_dot(&escaped), controls_to_spaces(label, true));
        }
    }

    #[test]
    fn hostile_hosts_and_events_stay_inside_their_labels_in_every_export() {
        use crate::trace::json_lines;
        // JSON lines can carry any text, line breaks included, as host and event.
        let host = "h\"] --> Z[\"<script>";
        let event = "e\"];\n}\ndigraph x { <img src=x onerror=alert(1)>";
        let line = |node: &str, text: &str, vc: &str| {
            let mut out = String::from("{\"node\":");
            json::write_string(&mut out, node);
            out.push_str(",\"event\":");
            json::write_string(&mut out, text);
            out + ",\"vc\":" + vc + "}\n"
        };
        let text = line(host, event, "[1]") + &line("B", HOSTILE[1], "[1,1]");
        let log = json_lines::parse(&text).unwrap();
        let exec = &log.executions[0];
        let mermaid = to_mermaid(exec);
        // One line per statement: header, 2 nodes, 1 message.
        assert_eq!(mermaid.lines().count(), 4, "{mermaid}");
        assert!(!mermaid.contains("<script>") && !mermaid.contains("<img"));
        for l in mermaid.lines().skip(1) {
            assert_eq!(l.matches('"').count() % 2, 0, "{l}");
        }
        let sequence = to_mermaid_sequence(exec);
        assert!(!sequence.contains("<script>") && !sequence.contains("<img"));
        let dot = to_dot(exec);
        assert!(!dot.contains("\ndigraph x"), "{dot}");
        assert_eq!(dot.lines().filter(|l| l.starts_with("digraph")).count(), 1);
        // 3 header lines, per host 4 (subgraph, label, its event, close), the message, close.
        assert_eq!(dot.lines().count(), 3 + 2 * 4 + 1 + 1, "{dot}");
        for l in dot.lines() {
            let bytes = l.as_bytes();
            let bare = l
                .match_indices('"')
                .filter(|(i, _)| {
                    bytes[..*i]
                        .iter()
                        .rev()
                        .take_while(|&&b| b == b'\\')
                        .count()
                        % 2
                        == 0
                })
                .count();
            assert!(bare == 0 || bare == 2, "{l}");
        }
    }
}
