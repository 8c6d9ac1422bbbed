//! Why a log could not be imported: one error type for every importer (ShiViz, JSON lines),
//! each naming the line of the original text and saying what to fix.
//!
//! The rules are ShiViz's (Beschastnikh et al., "Debugging distributed systems", CACM 2016;
//! ShiViz's `ModelGraph` checks), stated so that the message says what is wrong *and* how to
//! repair it.

use alloc::boxed::Box;
use alloc::string::String;
use core::fmt;

/// An import failure at a line of the text (1-based), or at no line (a regex given separately).
///
/// ```
/// use chronoscope::trace::shiviz::{parse, ParseOptions};
/// let opts = ParseOptions::new("(?<host>\\w+) (?<clock>\\{.*\\}) (?<event>.*)").unwrap();
/// let err = parse("a {\"a\":2} hello\n", &opts).unwrap_err();
/// assert_eq!(err.line, Some(1));
/// assert!(err.to_string().starts_with("line 1:"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportError {
    /// The 1-based line of the original text the error is about, when there is one.
    pub line: Option<u32>,
    /// What went wrong.
    pub kind: ImportErrorKind,
    /// The text of that line as logged (shortened), so the message shows what was read.
    pub quote: Option<Box<str>>,
}

/// What went wrong while importing a log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportErrorKind {
    /// The parser or delimiter regex does not compile.
    BadRegex {
        /// `"parser"` or `"delimiter"`.
        role: &'static str,
        /// The pattern exactly as the user wrote it.
        pattern: String,
        /// What is wrong with it.
        message: String,
    },
    /// The parser or delimiter regex compiled but its engine stopped while searching the log
    /// (in the browser: a line longer than its cap on the work of one match).
    RegexFailed {
        /// `"parser"` or `"delimiter"`.
        role: &'static str,
        /// The pattern exactly as the user wrote it.
        pattern: String,
        /// Why it stopped.
        message: String,
    },
    /// The parser regex lacks a required named group.
    MissingGroup {
        /// `"parser"` or `"delimiter"`.
        role: &'static str,
        /// The group it needs (`event`, `host`, `clock` or `trace`).
        group: &'static str,
    },
    /// An execution has text but the parser regex matched nothing in it.
    NoEvents {
        /// The execution's name (empty for the unnamed first one).
        execution: String,
    },
    /// Two executions share a name.
    DuplicateExecution {
        /// The repeated name.
        execution: String,
    },
    /// A clock or a JSON line is not the JSON expected.
    BadJson {
        /// What was expected.
        message: String,
    },
    /// An event's clock has no entry for its own host.
    OwnEntryMissing {
        /// The host.
        host: String,
    },
    /// A host appears twice in one clock.
    DuplicateEntry {
        /// The repeated host.
        host: String,
    },
    /// A host's first event does not have its own entry at 1.
    FirstClockNotOne {
        /// The host.
        host: String,
        /// The smallest own entry it logged.
        got: u64,
    },
    /// Two consecutive events of a host do not step its own entry by exactly 1.
    LocalStepNotOne {
        /// The host.
        host: String,
        /// The previous own entry.
        previous: u64,
        /// This event's own entry.
        got: u64,
    },
    /// A clock names a host that logs no event.
    UnknownHost {
        /// The host named in the clock.
        host: String,
    },
    /// A clock names a counter of another host that host never reached.
    BeyondHost {
        /// The other host.
        host: String,
        /// The counter named.
        counter: u64,
        /// How many events that host logged.
        logged: u64,
    },
    /// An entry fell between two consecutive events of a host.
    ClockWentBack {
        /// The event's host.
        host: String,
        /// The entry that fell.
        entry: String,
        /// Its value at the previous event.
        previous: u64,
        /// Its value here.
        got: u64,
    },
    /// The event knows another host's event but not everything that event knew.
    NotTransitive {
        /// The event's host.
        host: String,
        /// The other host whose event it knows.
        knows: String,
        /// That event's counter.
        counter: u64,
        /// The entry the known event has higher.
        entry: String,
        /// That entry in the known event.
        needed: u64,
        /// That entry in this event.
        got: u64,
    },
    /// Clocks that make two events each happen before the other.
    Cycle,
}

impl ImportError {
    /// An error at a line.
    pub fn at(line: u32, kind: ImportErrorKind) -> Self {
        ImportError {
            line: Some(line),
            kind,
            quote: None,
        }
    }
    /// An error at no line (a regex given apart from the log).
    pub fn general(kind: ImportErrorKind) -> Self {
        ImportError {
            line: None,
            kind,
            quote: None,
        }
    }
    /// Adds the text of the error's line, taken from `text` (the whole original text), cut
    /// to [`QUOTE_CHARS`] characters.
    pub fn quoting(mut self, text: &str) -> Self {
        if let Some(line) = self
            .line
            .and_then(|l| (l as usize).checked_sub(1))
            .and_then(|l| text.split('\n').nth(l))
        {
            let line = line.trim_end_matches('\r');
            let mut quote: String = line.chars().take(QUOTE_CHARS).collect();
            if line.chars().nth(QUOTE_CHARS).is_some() {
                quote.push('…');
            }
            self.quote = Some(quote.into_boxed_str());
        }
        self
    }
}

/// The longest quote of a log line an error carries, in characters.
pub const QUOTE_CHARS: usize = 120;

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        write!(f, "{}", self.kind)?;
        if let Some(quote) = &self.quote {
            write!(f, "; the line reads: {quote}")?;
        }
        Ok(())
    }
}

impl fmt::Display for ImportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ImportErrorKind::*;
        match self {
            BadRegex { role, pattern, message } => {
                write!(f, "the {role} regex /{pattern}/ does not compile: {message}")
            }
            RegexFailed { role, pattern, message } => {
                write!(f, "the {role} regex /{pattern}/ could not run: {message}")
            }
            MissingGroup { role, group } => write!(
                f,
                "the {role} regex needs a named group (?<{group}>...); add one"
            ),
            NoEvents { execution } => write!(
                f,
                "the parser regex matches no event in execution \"{execution}\"; check the regex against the log"
            ),
            DuplicateExecution { execution } => write!(
                f,
                "two executions are named \"{execution}\"; give each a unique name"
            ),
            BadJson { message } => write!(f, "{message}"),
            OwnEntryMissing { host } => write!(
                f,
                "the clock of host \"{host}\" has no entry for \"{host}\" itself; add \"{host}\":<its event number>"
            ),
            DuplicateEntry { host } => write!(f, "host \"{host}\" appears twice in the clock; keep one entry"),
            FirstClockNotOne { host, got } => write!(
                f,
                "the first event of host \"{host}\" has \"{host}\":{got}; a host's clock must start at 1"
            ),
            LocalStepNotOne { host, previous, got } if previous == got => write!(
                f,
                "two events of host \"{host}\" both have \"{host}\":{got}; each event must add exactly 1"
            ),
            LocalStepNotOne { host, previous, got } => write!(
                f,
                "host \"{host}\" goes from \"{host}\":{previous} to \"{host}\":{got}; each event must add exactly 1 (expected {})",
                previous.saturating_add(1)
            ),
            UnknownHost { host } => write!(
                f,
                "the clock names host \"{host}\", which logs no event; remove the entry or add that host's events"
            ),
            BeyondHost { host, counter, logged } => write!(
                f,
                "the clock names event {counter} of host \"{host}\", but \"{host}\" logged only {logged} events"
            ),
            ClockWentBack { host, entry, previous, got } => write!(
                f,
                "the entry \"{entry}\" of host \"{host}\"'s clock falls from {previous} to {got}; clocks never decrease"
            ),
            NotTransitive { host, knows, counter, entry, needed, got } => write!(
                f,
                "orderings are not transitive: host \"{host}\" knows event {counter} of \"{knows}\", which has \"{entry}\":{needed}, but this clock has \"{entry}\":{got}; raise it to at least {needed}"
            ),
            Cycle => write!(
                f,
                "the clocks make events happen before each other in a cycle (two events with equal clocks?)"
            ),
        }
    }
}

impl core::error::Error for ImportError {}
