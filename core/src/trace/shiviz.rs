//! ShiViz log import (Beschastnikh et al., "Debugging distributed systems", CACM 2016; the
//! format written by GoVector, CVector, JVector, Akka and TLA+ tooling).
//!
//! A *parser regex* with named groups — `event`, `host` and `clock` required, any other named
//! group an extra field — is applied over the whole text, globally and multi-line, as ShiViz
//! does with a JavaScript regex; the regex decides the layout (GoVector puts the `host {clock}`
//! line after the event line). An optional *delimiter regex* splits the text into executions:
//! each match starts a new one, named by its `trace` group; text before the first delimiter
//! that holds no event is a preamble and skipped (ShiViz would refuse it). A clock may be
//! written as the contents of a JSON string (`{\"n1\":1}`, as TLC prints it); it is read
//! with `\"` unescaped, as ShiViz retries it. The *file form* carries both: first
//! line the parser regex, second line the delimiter (blank for none), then the log.
//!
//! Invariant: any text and any regex give a [`Log`] or an [`ImportError`] naming the line of the
//! original text (1-based); never a panic. Validity rules: see [`validity`](super::validity).

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::ops::Range;

use super::dag::Log;
use super::error::{ImportError, ImportErrorKind as K};
use super::json::{self, Json};
use super::pattern::{Engine, OnMatch, Pattern, PatternError};
use super::validity::{build_execution, RawEvent};

/// ShiViz's default parser regex, for GoVector logs: a `host {clock}` line, then the event line.
pub const GOVECTOR_REGEX: &str = r"(?<host>\S*) (?<clock>{.*})\n(?<event>.*)";

/// The same two-line form with the event line *before* its host-and-clock line (as in ShiViz's
/// `simpledb` example).
pub const EVENT_FIRST_REGEX: &str = r"(?<event>.*)\n(?<host>\S*) (?<clock>{.*})";

/// A parser regex for TLC's error traces with ShiViz's `Host` and `Clock` trace expressions
/// (TLA+ CommunityModules' `ShiViz` module): the `State n: <Action(args) line …>` line, then —
/// among the state's variables, each on a line starting with `/\` — the clock (a JSON string
/// with escaped quotes) and the host. The initial state (`<Initial predicate>`) is not an event.
pub const TLA_REGEX: &str = r#"^State \d+: <(?<event>\w+\([^)]*\)) line (?<location>[^>]*)>$\n(?:^.*\n)*?^/\\ Clock = "(?<clock>.*)"$\n(?:^.*\n)*?^/\\ Host = "(?<host>[^"]*)"$"#;

/// The delimiter for TLC's output with `-continue`: one execution per violated invariant.
pub const TLA_DELIMITER: &str = r"^Error: (?<trace>Invariant \w+ is violated)\.$";

/// A compiled regex with the pattern as the user wrote it (for messages).
#[derive(Clone, Debug)]
struct Compiled {
    role: &'static str,
    source: String,
    pattern: Rc<dyn Pattern>,
}

impl Compiled {
    fn new(engine: &dyn Engine, role: &'static str, source: &str) -> Result<Self, ImportError> {
        let bad = |message: String| {
            ImportError::general(K::BadRegex {
                role,
                pattern: source.to_owned(),
                message,
            })
        };
        let pattern = engine.compile(source).map_err(|e| bad(e.to_string()))?;
        Ok(Compiled {
            role,
            source: source.to_owned(),
            pattern,
        })
    }
    fn group(&self, name: &'static str) -> Result<usize, ImportError> {
        let role = self.role;
        self.pattern
            .group_index(name)
            .ok_or(ImportError::general(K::MissingGroup { role, group: name }))
    }
    /// The pattern's matches in `text[range]`; an engine failure names the line it stopped at
    /// (`lines` gives the line of a byte offset in `text`).
    fn for_each_match(
        &self,
        text: &str,
        range: Range<usize>,
        lines: impl Fn(usize) -> u32,
        on_match: &mut OnMatch<'_>,
    ) -> Result<(), ImportError> {
        let start = range.start;
        self.pattern
            .for_each_match(text, range, on_match)
            .map_err(|e| {
                let at = match e {
                    PatternError::LineTooLong { at, .. } => at,
                    _ => start,
                };
                ImportError::at(
                    lines(at),
                    K::RegexFailed {
                        role: self.role,
                        pattern: self.source.clone(),
                        message: e.to_string(),
                    },
                )
            })
    }
}

/// The compiled parser and delimiter regexes.
///
/// ```
/// use chronoscope::trace::shiviz::{parse, ParseOptions, GOVECTOR_REGEX};
/// let opts = ParseOptions::new(GOVECTOR_REGEX).unwrap();
/// let log = parse("a {\"a\":1}\nstart\nb {\"a\":1, \"b\":1}\nrecv\n", &opts).unwrap();
/// let exec = &log.executions[0];
/// assert_eq!(exec.hosts(), ["a", "b"]);
/// assert_eq!(exec.events()[1].parents.len(), 1);
/// assert!(ParseOptions::new("(?<host>.*)").is_err());
/// ```
#[derive(Clone, Debug)]
pub struct ParseOptions {
    engine: &'static dyn Engine,
    parser: Compiled,
    delimiter: Option<Compiled>,
    groups: [usize; 3],
    fields: Vec<(usize, String)>,
}

impl ParseOptions {
    /// Compiles a parser regex (JavaScript syntax) that has `event`, `host` and `clock` groups,
    /// with the native engine.
    #[cfg(feature = "native-regex")]
    pub fn new(parser: &str) -> Result<Self, ImportError> {
        Self::with_engine(&super::js_regex::NativeEngine, parser)
    }
    /// Compiles a parser regex (JavaScript syntax) that has `event`, `host` and `clock` groups,
    /// with `engine` (the browser passes its `RegExp`; the delimiter uses the same engine).
    pub fn with_engine(engine: &'static dyn Engine, parser: &str) -> Result<Self, ImportError> {
        let re = Compiled::new(engine, "parser", parser)?;
        let groups = [re.group("event")?, re.group("host")?, re.group("clock")?];
        let fields = re
            .pattern
            .group_names()
            .iter()
            .enumerate()
            .filter_map(|(i, n)| {
                n.as_ref()
                    .filter(|_| !groups.contains(&i))
                    .map(|n| (i, n.clone()))
            })
            .collect();
        Ok(ParseOptions {
            engine,
            parser: re,
            delimiter: None,
            groups,
            fields,
        })
    }
    /// Adds a delimiter regex (JavaScript syntax) with a `trace` group naming each execution.
    pub fn with_delimiter(mut self, delimiter: &str) -> Result<Self, ImportError> {
        let re = Compiled::new(self.engine, "delimiter", delimiter)?;
        re.group("trace")?;
        self.delimiter = Some(re);
        Ok(self)
    }
}

/// 1-based line numbers of byte offsets.
struct Lines(Vec<usize>);

impl Lines {
    fn new(text: &str) -> Self {
        let starts = core::iter::once(0)
            .chain(
                text.bytes()
                    .enumerate()
                    .filter(|(_, b)| *b == b'\n')
                    .map(|(i, _)| i + 1),
            )
            .collect();
        Lines(starts)
    }
    fn of(&self, offset: usize) -> u32 {
        self.0.partition_point(|&s| s <= offset) as u32
    }
}

/// Parses a log with the given regexes.
pub fn parse(text: &str, options: &ParseOptions) -> Result<Log, ImportError> {
    if text.contains("\r\n") {
        return parse(&text.replace("\r\n", "\n"), options);
    }
    parse_from(text, 0, options).map_err(|e| e.quoting(text))
}

/// Parses the file form: line 1 the parser regex, line 2 the delimiter regex (blank: none),
/// then the log, with the native engine. Errors name lines of the whole file.
#[cfg(feature = "native-regex")]
pub fn parse_file(text: &str) -> Result<Log, ImportError> {
    parse_file_with(&super::js_regex::NativeEngine, text)
}

/// [`parse_file`] with the regexes compiled by `engine`.
pub fn parse_file_with(engine: &'static dyn Engine, text: &str) -> Result<Log, ImportError> {
    if text.contains("\r\n") {
        return parse_file_with(engine, &text.replace("\r\n", "\n"));
    }
    let line_end = |from: usize| text[from..].find('\n').map_or(text.len(), |i| from + i);
    let first = line_end(0);
    let second_start = (first + 1).min(text.len());
    let second = line_end(second_start);
    let base = (second + 1).min(text.len());
    let parser = text[..first].trim_end_matches('\r');
    let delimiter = text[second_start..second].trim_end_matches('\r');
    let at = |line| {
        move |e: ImportError| ImportError {
            line: Some(line),
            ..e
        }
    };
    let mut options = ParseOptions::with_engine(engine, parser).map_err(at(1))?;
    if !delimiter.trim().is_empty() {
        options = options.with_delimiter(delimiter).map_err(at(2))?;
    }
    parse_from(text, base, &options).map_err(|e| e.quoting(text))
}

/// Parses `text[base..]`, numbering lines in all of `text`.
fn parse_from(text: &str, base: usize, options: &ParseOptions) -> Result<Log, ImportError> {
    let lines = Lines::new(text);
    let body = &text[base..];
    // Executions: (name, start, end, line of the delimiter).
    let mut segments: Vec<(Option<String>, usize, usize, u32)> = Vec::new();
    match &options.delimiter {
        None => segments.push((None, 0, body.len(), 1)),
        Some(delim) => {
            let mut start = 0;
            let mut name = None;
            let mut line = lines.of(base);
            delim.for_each_match(
                body,
                0..body.len(),
                |at| lines.of(base + at),
                &mut |groups| {
                    let Some(m) = groups[0].clone().filter(|m| !m.is_empty()) else {
                        return true;
                    };
                    segments.push((name.take(), start, m.start, line));
                    let trace = delim
                        .pattern
                        .group_index("trace")
                        .and_then(|g| groups.get(g).cloned().flatten())
                        .map_or("", |s| &body[s]);
                    name = Some(trace.to_owned());
                    start = m.end;
                    line = lines.of(base + m.start);
                    true
                },
            )?;
            segments.push((name, start, body.len(), line));
        }
    }
    let mut log = Log::default();
    let mut seen: Vec<&str> = Vec::new();
    for (name, start, end, line) in &segments {
        let chunk = &body[*start..*end];
        if chunk.trim().is_empty() {
            continue;
        }
        let label = name.as_deref().unwrap_or("");
        if seen.contains(&label) {
            let execution = label.to_owned();
            return Err(ImportError::at(*line, K::DuplicateExecution { execution }));
        }
        seen.push(label);
        let raw = read_events(text, base + start, base + end, &lines, options)?;
        if raw.is_empty() {
            // Text before the first delimiter with no event in it is a preamble (a model
            // checker's banner before its first error trace), not an execution.
            if name.is_none() && segments.len() > 1 {
                continue;
            }
            let execution = label.to_owned();
            return Err(ImportError::at(*line, K::NoEvents { execution }));
        }
        log.executions.push(build_execution(name.clone(), raw)?);
    }
    Ok(log)
}

/// Reads the events in `text[start..end]`; anchors see the whole text, so `^` matches only at
/// real line starts.
fn read_events(
    text: &str,
    start: usize,
    end: usize,
    lines: &Lines,
    options: &ParseOptions,
) -> Result<Vec<RawEvent>, ImportError> {
    let mut events = Vec::new();
    let mut failed = None;
    let [event, host, clock] = options.groups;
    options
        .parser
        .for_each_match(text, start..end, |at| lines.of(at), &mut |groups| {
            let Some(m) = groups[0].clone() else {
                return true;
            };
            let span = |g: usize| groups.get(g).cloned().flatten();
            let text_of = |g: usize| span(g).map_or("", |s| &text[s]);
            let clock_start = span(clock).map_or(m.start, |s| s.start);
            let line = lines.of(m.start);
            let clock_line = lines.of(clock_start);
            let clock = match read_clock(text_of(clock)) {
                Ok(clock) => clock,
                Err(message) => {
                    failed = Some(ImportError::at(clock_line, K::BadJson { message }));
                    return false;
                }
            };
            let fields = options
                .fields
                .iter()
                .filter_map(|(g, name)| span(*g).map(|s| (name.clone(), text[s].to_owned())))
                .collect();
            events.push(RawEvent {
                host: text_of(host).to_owned(),
                clock,
                text: text_of(event).to_owned(),
                fields,
                line,
                clock_line,
            });
            true
        })?;
    match failed {
        Some(e) => Err(e),
        None => Ok(events),
    }
}

/// Reads a clock: a JSON object of host name → whole number. A clock written as an escaped
/// JSON string's contents (`{\"n1\":1}`, as TLC's ShiViz output prints it) is read again with
/// `\"` unescaped, as ShiViz does.
///
/// ```
/// use chronoscope::trace::shiviz::read_clock;
/// let clock = read_clock(r#"{\"n1\":0,\"n2\":1}"#).unwrap();
/// assert_eq!(clock, [("n1".to_string(), 0), ("n2".to_string(), 1)]);
/// assert!(read_clock(r#"{\"n1\":x}"#).unwrap_err().contains("not valid JSON"));
/// ```
pub fn read_clock(text: &str) -> Result<Vec<(String, u64)>, String> {
    if let Some(clock) = read_plain_clock(text) {
        return Ok(clock);
    }
    match json::parse(text) {
        Ok(value) => clock_from_json(value),
        Err(e) if text.contains("\\\"") => {
            let unescaped = text.replace("\\\"", "\"");
            if let Some(clock) = read_plain_clock(&unescaped) {
                return Ok(clock);
            }
            let value = json::parse(&unescaped).map_err(|_| {
                format!("the clock is not valid JSON, even with \\\" read as \": {e} of {text:?}")
            })?;
            clock_from_json(value)
        }
        Err(e) => Err(format!("the clock is not valid JSON: {e} of {text:?}")),
    }
}

/// The common case without building a JSON tree: `{"name": 12, …}` with no escapes in names.
/// `None` for anything else, which the general reader then parses (and explains, if wrong).
fn read_plain_clock(text: &str) -> Option<Vec<(String, u64)>> {
    let b = text.as_bytes();
    let ws = |i: &mut usize| {
        while matches!(b.get(*i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            *i += 1;
        }
    };
    let mut i = 0;
    ws(&mut i);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    let mut out = Vec::new();
    ws(&mut i);
    if b.get(i) == Some(&b'}') {
        i += 1;
        ws(&mut i);
        return (i == b.len()).then_some(out);
    }
    loop {
        ws(&mut i);
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let start = i + 1;
        let len = b[start..]
            .iter()
            .position(|c| *c == b'"' || *c == b'\\' || *c < 0x20)?;
        if b[start + len] != b'"' {
            return None;
        }
        let name = text.get(start..start + len)?;
        i = start + len + 1;
        ws(&mut i);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i += 1;
        ws(&mut i);
        let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0
            || digits > 19
            || (digits > 1 && b[i] == b'0')
            || matches!(b.get(i + digits), Some(b'.' | b'e' | b'E'))
        {
            return None;
        }
        let value = text.get(i..i + digits)?.parse().ok()?;
        out.push((String::from(name), value));
        i += digits;
        ws(&mut i);
        match b.get(i) {
            Some(b',') => i += 1,
            Some(b'}') => {
                i += 1;
                ws(&mut i);
                return (i == b.len()).then_some(out);
            }
            _ => return None,
        }
    }
}

/// A clock from an already-parsed JSON value (an object of host name → whole number).
pub fn clock_from_json(value: Json) -> Result<Vec<(String, u64)>, String> {
    let Json::Object(entries) = value else {
        return Err(format!(
            "the clock must be a JSON object like {{\"host\":1}}, not {}",
            value.kind()
        ));
    };
    entries
        .into_iter()
        .map(|(host, v)| match v.as_u64() {
            Some(c) => Ok((host, c)),
            None => Err(format!(
                "the clock entry {host:?} must be a whole number >= 0, not {}",
                v.kind()
            )),
        })
        .collect()
}
