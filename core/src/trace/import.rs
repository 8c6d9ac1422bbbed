//! One entry point for pasted or uploaded logs: picks the format the way a person would, so
//! the native example and the web lab behave alike.
//!
//! With a parser regex given, the text is a ShiViz log read with it (and the delimiter, if
//! given). Otherwise: text whose first non-blank character is `{` is JSON lines; text whose
//! first line holds a named group (`(?<`) is ShiViz's file form (regex, delimiter, log);
//! anything else is a two-line log: read with ShiViz's default (GoVector) regex when its first
//! line is a `host {clock}` line, and with the event line first when only its second line is.

use super::dag::Log;
use super::error::ImportError;
use super::json_lines;
use super::pattern::Engine;
use super::shiviz::{self, ParseOptions, EVENT_FIRST_REGEX, GOVECTOR_REGEX};

/// Imports a log, detecting its format (see the module docs), with the native regex engine.
///
/// ```
/// use chronoscope::trace::import::import;
/// let jsonl = import("{\"node\":\"A\",\"event\":\"go\",\"vc\":[1]}", None, None).unwrap();
/// let govector = import("A {\"A\":1}\ngo\n", None, None).unwrap();
/// assert!(jsonl.executions[0].same_dag(&govector.executions[0]));
/// ```
#[cfg(feature = "native-regex")]
pub fn import(
    text: &str,
    regex: Option<&str>,
    delimiter: Option<&str>,
) -> Result<Log, ImportError> {
    import_with(&super::js_regex::NativeEngine, text, regex, delimiter)
}

/// [`import`] with ShiViz regexes compiled by `engine`.
pub fn import_with(
    engine: &'static dyn Engine,
    text: &str,
    regex: Option<&str>,
    delimiter: Option<&str>,
) -> Result<Log, ImportError> {
    let first = text.lines().next().unwrap_or("");
    let with = |regex: &str| {
        let options = ParseOptions::with_engine(engine, regex)?;
        let options = match delimiter.filter(|d| !d.trim().is_empty()) {
            Some(d) => options.with_delimiter(d)?,
            None => options,
        };
        shiviz::parse(text, &options)
    };
    match regex.filter(|r| !r.trim().is_empty()) {
        Some(r) => with(r),
        None if text.trim_start().starts_with('{') => json_lines::parse(text),
        None if first.contains("(?<") || first.contains("(?P<") => {
            shiviz::parse_file_with(engine, text)
        }
        None => {
            let mut lines = text.lines().filter(|l| !l.trim().is_empty());
            let (one, two) = (lines.next(), lines.next());
            if !one.is_some_and(is_clock_line) && two.is_some_and(is_clock_line) {
                with(EVENT_FIRST_REGEX)
            } else {
                with(GOVECTOR_REGEX)
            }
        }
    }
}

/// Whether `line` looks like a GoVector `host {clock}` line: one word, a space, then a JSON
/// object (whether the object is a valid clock is for the parser to say).
fn is_clock_line(line: &str) -> bool {
    let line = line.trim();
    line.split_once(' ').is_some_and(|(host, clock)| {
        let clock = clock.trim();
        !host.is_empty() && clock.starts_with('{') && clock.ends_with('}')
    })
}

#[cfg(all(test, feature = "native-regex"))]
mod tests {
    use super::*;

    #[test]
    fn a_log_whose_event_line_comes_first_is_read_that_way() {
        let event_first = "start\na {\"a\":1}\nrecv\nb {\"a\":1, \"b\":1}\n";
        let host_first = "a {\"a\":1}\nstart\nb {\"a\":1, \"b\":1}\nrecv\n";
        let (x, y) = (
            import(event_first, None, None).unwrap(),
            import(host_first, None, None).unwrap(),
        );
        assert!(x.executions[0].same_dag(&y.executions[0]));
        assert_eq!(x.executions[0].events()[0].text, "start");
    }

    #[test]
    fn clock_lines_are_one_word_then_an_object() {
        assert!(is_clock_line("24464 {\"24464\":1} "));
        assert!(!is_clock_line("Workers are: "));
        assert!(!is_clock_line("{\"a\":1}"));
        assert!(!is_clock_line("two words {\"a\":1}"));
    }
}
