//! The regex engine a ShiViz import runs, behind a small trait: ShiViz's parser and delimiter
//! regexes are JavaScript regexes (ECMAScript 2018, §22.2) applied with the `g` and `m` flags
//! (Beschastnikh et al., "Debugging distributed systems", CACM 2016), so an [`Engine`] compiles
//! a pattern as the user wrote it and a [`Pattern`] walks its matches over a range of a log.
//!
//! Two engines implement it: the native one ([`NativeEngine`](super::js_regex::NativeEngine),
//! behind the default `native-regex` feature: JavaScript syntax translated for the
//! linear-time `regex-automata`, without look-around) for native tools and tests, and the
//! browser's own `RegExp` (exact JavaScript semantics, in the web crate), which keeps the
//! regex engine out of the WebAssembly bundle. This module also holds what both need from the
//! pattern's text alone: its capture groups' names ([`group_names`]).
//!
//! Invariant: every function here returns a value or a [`PatternError`] for any input; group
//! spans an engine reports are byte ranges on `char` boundaries of the text it was given.

use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::ops::Range;

/// Why a pattern cannot be compiled or run. Messages speak of the pattern as the user wrote it
/// (never of an engine's internal rewrite of it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatternError {
    /// Not a valid JavaScript regex; the engine's reason.
    Invalid(String),
    /// Valid JavaScript this engine cannot run (look-around or back-references natively).
    Unsupported(String),
    /// A repetition a backtracking engine (the browser's) could take exponential time on;
    /// refused before it runs so the page never freezes.
    Catastrophic(String),
    /// A line longer than the browser engine accepts (its cap on the work of one match).
    LineTooLong {
        /// Byte offset of the line's start in the text searched.
        at: usize,
        /// The line's length, in characters.
        chars: usize,
        /// The longest line accepted, in characters.
        limit: usize,
    },
    /// The engine failed while searching (a message from the browser).
    Failed(String),
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PatternError::Invalid(m)
            | PatternError::Unsupported(m)
            | PatternError::Catastrophic(m)
            | PatternError::Failed(m) => f.write_str(m),
            PatternError::LineTooLong { chars, limit, .. } => write!(
                f,
                "the line is {chars} characters long; the browser's regex engine reads lines of at most {limit} characters (a cap on the work of one match, so a slow pattern cannot freeze the page)"
            ),
        }
    }
}

impl core::error::Error for PatternError {}

/// What a search calls for each match: the group spans; `false` stops the search.
pub type OnMatch<'a> = dyn FnMut(&[Option<Range<usize>>]) -> bool + 'a;

/// Compiles patterns written in JavaScript syntax, to be run with the `m` flag.
pub trait Engine: fmt::Debug {
    /// Compiles `pattern` (JavaScript syntax, as the user wrote it).
    fn compile(&self, pattern: &str) -> Result<Rc<dyn Pattern>, PatternError>;
}

/// A compiled pattern.
pub trait Pattern: fmt::Debug {
    /// The names of its capture groups in order, group 0 (the whole match) first; `None` for
    /// an unnamed group.
    fn group_names(&self) -> &[Option<String>];

    /// Calls `on_match` with the group spans (byte ranges in `text`, indexed as
    /// [`group_names`](Pattern::group_names); `None` for a group that did not take part) of
    /// every match in `text[range]`, leftmost first, each search starting where the last
    /// match ended (one character further after an empty match), as JavaScript's `exec` loop
    /// with the `g` flag does. `^` and `$` match at line boundaries. Stops early when
    /// `on_match` returns `false`.
    fn for_each_match(
        &self,
        text: &str,
        range: Range<usize>,
        on_match: &mut OnMatch<'_>,
    ) -> Result<(), PatternError>;

    /// The index of the group named `name`.
    fn group_index(&self, name: &str) -> Option<usize> {
        self.group_names()
            .iter()
            .position(|n| n.as_deref() == Some(name))
    }
}

/// The capture groups of a JavaScript pattern, in the order JavaScript numbers them, group 0
/// first: `(…)` is unnamed, `(?<name>…)` named; `(?:…)`, look-around, escaped parentheses and
/// parentheses inside a character class capture nothing.
///
/// ```
/// use chronoscope::trace::pattern::group_names;
/// let names = group_names(r"(?<host>\S*) (\d)(?:x)(?<=y)[(]\((?<clock>{.*})");
/// let names: Vec<_> = names.iter().map(|n| n.as_deref()).collect();
/// assert_eq!(names, [None, Some("host"), None, Some("clock")]);
/// ```
pub fn group_names(pattern: &str) -> Vec<Option<String>> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut names = alloc::vec![None];
    let mut in_class = false;
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '(' if !in_class => match (chars.get(i + 1), chars.get(i + 2), chars.get(i + 3)) {
                (Some('?'), Some('<'), Some(c)) if *c != '=' && *c != '!' => {
                    let name: String = chars[i + 3..].iter().take_while(|c| **c != '>').collect();
                    names.push(Some(name));
                }
                (Some('?'), _, _) => {}
                _ => names.push(None),
            },
            _ => {}
        }
        i += 1;
    }
    names
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn groups_are_numbered_as_javascript_numbers_them() {
        let names = group_names(r"(a)(?<b>x(?<c>y))\((?!z)(?<!w)[(\]](d)");
        let names: Vec<_> = names.iter().map(|n| n.as_deref()).collect();
        assert_eq!(names, [None, None, Some("b"), Some("c"), None]);
    }

    #[cfg(feature = "native-regex")]
    #[test]
    fn the_native_engine_agrees_with_the_scanner_on_group_names() {
        use super::super::js_regex::NativeEngine;
        for p in [
            super::super::shiviz::GOVECTOR_REGEX,
            super::super::shiviz::TLA_REGEX,
            super::super::shiviz::TLA_DELIMITER,
            r"(?<ip>(\d{1,3}\.){3}\d{1,3}) (?<date>(\d{1,2}/){2}\d{4}) (?<event>.*)\n(?<host>\w*) (?<clock>.*)",
        ] {
            let native = NativeEngine.compile(p).unwrap();
            assert_eq!(native.group_names(), group_names(p), "{p}");
        }
    }

    #[cfg(feature = "native-regex")]
    #[test]
    fn errors_quote_the_pattern_as_written() {
        use super::super::shiviz::ParseOptions;
        let err = ParseOptions::new(r"(?<host>\S*) (?<clock>{.*}").unwrap_err();
        let text = err.to_string();
        assert!(text.contains(r"/(?<host>\S*) (?<clock>{.*}/"), "{text}");
        assert!(!text.contains("x{2000}"), "no internal rewrite: {text}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn scanning_never_panics(s in r"[\\\[\](){}?<>=!:a-z]{0,24}") {
            prop_assert!(!group_names(&s).is_empty());
        }
    }
}
