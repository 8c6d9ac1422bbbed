//! One entry point for pasted or uploaded logs: picks the format the way a person would, so
//! the native example and the web lab behave alike.
//!
//! With a parser regex given, the text is a ShiViz log read with it (and the delimiter, if
//! given). Otherwise: text whose first non-blank character is `{` is JSON lines; text whose
//! first line holds a named group (`(?<`) is ShiViz's file form (regex, delimiter, log);
//! anything else is a GoVector log read with ShiViz's default regex.

use super::dag::Log;
use super::error::ImportError;
use super::json_lines;
use super::shiviz::{self, ParseOptions, GOVECTOR_REGEX};

/// Imports a log, detecting its format (see the module docs).
///
/// ```
/// use chronoscope::trace::import::import;
/// let jsonl = import("{\"node\":\"A\",\"event\":\"go\",\"vc\":[1]}", None, None).unwrap();
/// let govector = import("A {\"A\":1}\ngo\n", None, None).unwrap();
/// assert!(jsonl.executions[0].same_dag(&govector.executions[0]));
/// ```
pub fn import(
    text: &str,
    regex: Option<&str>,
    delimiter: Option<&str>,
) -> Result<Log, ImportError> {
    let first = text.lines().next().unwrap_or("");
    let with = |regex: &str| {
        let options = ParseOptions::new(regex)?;
        let options = match delimiter.filter(|d| !d.trim().is_empty()) {
            Some(d) => options.with_delimiter(d)?,
            None => options,
        };
        shiviz::parse(text, &options)
    };
    match regex.filter(|r| !r.trim().is_empty()) {
        Some(r) => with(r),
        None if text.trim_start().starts_with('{') => json_lines::parse(text),
        None if first.contains("(?<") || first.contains("(?P<") => shiviz::parse_file(text),
        None => with(GOVECTOR_REGEX),
    }
}
