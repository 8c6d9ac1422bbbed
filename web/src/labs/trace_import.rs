//! How the Trace visualizer reads a log, shared by the page and its Web Worker
//! (`src/bin/trace_worker.rs`, which includes this file and `browser_regex.rs` by path so
//! that it links the core and nothing of Yew; regexes run on the browser's `RegExp` in both): the formats offered, the size limit, and one call to the core's importers.
//! The worker and the page therefore accept the same logs and give the same errors.

use chronoscope::trace::dag::Log;
use chronoscope::trace::json_lines;
use chronoscope::trace::shiviz::{self, ParseOptions};

/// Largest log accepted (bytes): bigger files are refused with a message, not attempted.
pub const MAX_LOG_BYTES: usize = 32 * 1024 * 1024;

/// Logs at least this big (bytes) are parsed in the Web Worker; smaller ones on the page.
pub const WORKER_ABOVE_BYTES: usize = 256 * 1024;

/// The input formats offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A ShiViz log with the parser regex (and optional delimiter) given in the form.
    ShiViz,
    /// A file whose first line is the regex and second line the delimiter.
    ShiVizFile,
    /// JSON lines: `{"node":"A","event":"start","vc":[1,0,0]}`.
    JsonLines,
}

impl Format {
    /// The name the page and the worker use for the format in messages.
    pub fn name(self) -> &'static str {
        match self {
            Format::ShiViz => "shiviz",
            Format::ShiVizFile => "shiviz-file",
            Format::JsonLines => "json-lines",
        }
    }
    /// The format of a [`Format::name`].
    pub fn from_name(name: &str) -> Option<Format> {
        [Format::ShiViz, Format::ShiVizFile, Format::JsonLines]
            .into_iter()
            .find(|f| f.name() == name)
    }
}

/// The message for a log that parsed but holds no event.
pub const NO_EVENTS: &str = "the log holds no events that match the parser regex";

/// Parses `text` in `format`; the error names the line and what to fix.
pub fn import(text: &str, format: Format, regex: &str, delimiter: &str) -> Result<Log, String> {
    if text.len() > MAX_LOG_BYTES {
        return Err(format!(
            "the log is {} bytes; the limit is {MAX_LOG_BYTES}",
            text.len()
        ));
    }
    let result = match format {
        Format::ShiViz => ParseOptions::with_engine(crate::browser_regex::engine(), regex)
            .and_then(|o| {
                if delimiter.trim().is_empty() {
                    Ok(o)
                } else {
                    o.with_delimiter(delimiter)
                }
            })
            .and_then(|o| shiviz::parse(text, &o)),
        Format::ShiVizFile => shiviz::parse_file_with(crate::browser_regex::engine(), text),
        Format::JsonLines => json_lines::parse(text),
    };
    match result {
        Ok(log) if log.executions.is_empty() => Err(NO_EVENTS.into()),
        Ok(log) => Ok(log),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip_and_an_empty_log_is_refused() {
        for f in [Format::ShiViz, Format::ShiVizFile, Format::JsonLines] {
            assert_eq!(Format::from_name(f.name()), Some(f));
        }
        assert_eq!(Format::from_name("csv"), None);
        let regex = r"(?<host>x) (?<clock>y)(?<event>z)";
        // Blank text parses to no execution at all: refused with the page's message.
        let err = import("\n\n", Format::ShiViz, regex, "");
        assert_eq!(err.unwrap_err(), NO_EVENTS);
        // Text the regex does not match is refused by the core, naming the line.
        let err = import("nothing here\n", Format::ShiViz, regex, "");
        assert!(err.unwrap_err().starts_with("line 1"));
    }
}
