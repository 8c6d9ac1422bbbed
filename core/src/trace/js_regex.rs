//! JavaScript regular expressions (ECMAScript 2018, §22.2), as ShiViz users write them,
//! translated to the syntax of the `regex-automata` crate and compiled with JavaScript's
//! `gm` behaviour: multi-line anchors, `.` not matching line ends (`\n` or `\r`).
//!
//! Translated: `(?<name>…)` is kept (both engines accept it); `\d \w \s \b` get their
//! JavaScript (ASCII / JS-whitespace) meaning instead of Unicode's; `{` and `}` that are not a
//! quantifier become literals, as in JavaScript; `\/` becomes `/`; inside classes `[`, `&`,
//! `~` are literals. What JavaScript has and the engine lacks (look-around, back-references)
//! is reported as a compile error naming the feature and its position in the pattern as the
//! user wrote it; no error message ever shows the translation. Invariant: translation never
//! panics, for any input.
//!
//! [`NativeEngine`] runs these regexes for a ShiViz import through the
//! [`pattern`](super::pattern) trait (the `native-regex` feature, on by default; the browser
//! build uses the browser's own `RegExp` instead).

use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::ops::Range;

use regex_automata::meta::Regex;
use regex_automata::util::captures::Captures;
use regex_automata::util::syntax;

use super::pattern::{Engine, OnMatch, Pattern, PatternError};

/// The native engine: JavaScript syntax translated for `regex-automata` (linear time, no
/// look-around or back-references).
///
/// ```
/// use chronoscope::trace::js_regex::NativeEngine;
/// use chronoscope::trace::pattern::Engine;
/// let re = NativeEngine.compile(r"^(?<host>\w+) (?<n>\d)$").unwrap();
/// let mut hosts = Vec::new();
/// let text = "a 1\nb 2\n";
/// re.for_each_match(text, 0..text.len(), &mut |g| {
///     hosts.push(&text[g[1].clone().unwrap()]);
///     true
/// })
/// .unwrap();
/// assert_eq!(hosts, ["a", "b"]);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct NativeEngine;

impl Engine for NativeEngine {
    fn compile(&self, pattern: &str) -> Result<Rc<dyn Pattern>, PatternError> {
        if let Some(message) = unsupported(pattern) {
            return Err(PatternError::Unsupported(message));
        }
        let regex = compile(pattern).map_err(PatternError::Invalid)?;
        let names = regex
            .group_info()
            .pattern_names(regex_automata::PatternID::ZERO)
            .map(|n| n.map(String::from))
            .collect();
        Ok(Rc::new(NativePattern { regex, names }))
    }
}

/// A pattern compiled by [`NativeEngine`].
#[derive(Clone, Debug)]
struct NativePattern {
    regex: Regex,
    names: Vec<Option<String>>,
}

impl Pattern for NativePattern {
    fn group_names(&self) -> &[Option<String>] {
        &self.names
    }

    fn for_each_match(
        &self,
        text: &str,
        range: Range<usize>,
        on_match: &mut OnMatch<'_>,
    ) -> Result<(), PatternError> {
        let re = &self.regex;
        let mut caps: Captures = re.create_captures();
        let mut spans = Vec::with_capacity(self.names.len());
        let end = range.end.min(text.len());
        let mut at = range.start;
        while at <= end {
            // Anchors see all of `text`, so `^` matches only at real line starts.
            let input = regex_automata::Input::new(text).range(at..end);
            re.search_captures(&input, &mut caps);
            let Some(m) = caps.get_match() else { break };
            // Step past an empty match by one character, as JavaScript's `exec` loop must.
            at = if m.is_empty() {
                text[m.end()..]
                    .chars()
                    .next()
                    .map_or(end + 1, |c| m.end() + c.len_utf8())
            } else {
                m.end()
            };
            spans.clear();
            spans.extend((0..self.names.len()).map(|g| caps.get_group(g).map(|s| s.range())));
            if !on_match(&spans) {
                break;
            }
        }
        Ok(())
    }
}

/// JavaScript's `\s`: the characters of WhiteSpace and LineTerminator, as class items.
const JS_SPACE: &str =
    r"\t\n\x0B\x0C\r \xA0\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}";

/// Compiles a JavaScript regex. The error explains what is wrong in the pattern as written
/// (never in its translation): JavaScript features the engine lacks (look-around,
/// back-references) are named with their position; other errors give the engine's reason.
///
/// ```
/// use chronoscope::trace::js_regex::compile;
/// let re = compile(r"(?<host>\w+) (?<clock>{.*})").unwrap();
/// assert!(re.is_match(r#"alice {"alice":1}"#));
/// let err = compile(r"^(?!Init)\S+").unwrap_err();
/// assert!(err.contains("look-ahead (?!") && err.contains("character 2"), "{err}");
/// assert!(!compile(r"(\S").unwrap_err().contains("x{2000}"), "no internal rewrite");
/// ```
pub fn compile(pattern: &str) -> Result<Regex, String> {
    if let Some(message) = unsupported(pattern) {
        return Err(message);
    }
    let translated = translate(pattern);
    Regex::builder()
        .syntax(syntax::Config::new().multi_line(true).crlf(true))
        .build(&translated)
        .map_err(|e| match e.syntax_error() {
            // The engine's message quotes the translated pattern; keep only its reason.
            Some(syntax) => {
                let text = syntax.to_string();
                let reason = text
                    .lines()
                    .rev()
                    .find_map(|l| l.strip_prefix("error: "))
                    .unwrap_or("the pattern is not a valid regex");
                String::from(reason)
            }
            None => e.to_string(),
        })
}

/// The first JavaScript feature in `pattern` that the engine cannot run, explained, with its
/// 1-based character position in the pattern.
fn unsupported(pattern: &str) -> Option<String> {
    let chars: alloc::vec::Vec<char> = pattern.chars().collect();
    let mut in_class = false;
    let mut i = 0;
    while i < chars.len() {
        let at = i + 1;
        match chars[i] {
            '\\' => {
                match chars.get(i + 1) {
                    Some(d @ '1'..='9') if !in_class => {
                        return Some(alloc::format!(
                            "the back-reference \\{d} at character {at} is JavaScript syntax this engine cannot run; match the repeated text with its own pattern"
                        ))
                    }
                    Some('k') if !in_class && chars.get(i + 2) == Some(&'<') => {
                        return Some(alloc::format!(
                            "the named back-reference \\k<…> at character {at} is JavaScript syntax this engine cannot run; match the repeated text with its own pattern"
                        ))
                    }
                    _ => {}
                }
                i += 2;
                continue;
            }
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '(' if !in_class && chars.get(i + 1) == Some(&'?') => {
                let what = match (chars.get(i + 2), chars.get(i + 3)) {
                    (Some('='), _) => Some("look-ahead (?=…)"),
                    (Some('!'), _) => Some("negative look-ahead (?!…)"),
                    (Some('<'), Some('=')) => Some("look-behind (?<=…)"),
                    (Some('<'), Some('!')) => Some("negative look-behind (?<!…)"),
                    _ => None,
                };
                if let Some(what) = what {
                    return Some(alloc::format!(
                        "the {what} at character {at} is JavaScript syntax this engine cannot run (it matches in linear time, without look-around); capture the text instead and search the imported events"
                    ));
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Rewrites JavaScript regex syntax into the engine's syntax (see the module docs).
pub fn translate(pattern: &str) -> String {
    let chars: alloc::vec::Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut i = 0;
    let mut in_class = false;
    let mut class_start = false;
    while i < chars.len() {
        let c = chars[i];
        let first_in_class = core::mem::replace(&mut class_start, false);
        if c == '\\' {
            let Some(&e) = chars.get(i + 1) else {
                out.push('\\');
                break;
            };
            i += 2;
            let item = match (e, in_class) {
                ('d', false) => "[0-9]",
                ('D', false) => "[^0-9]",
                ('w', false) => "[0-9A-Za-z_]",
                ('W', false) => "[^0-9A-Za-z_]",
                ('d', true) => "0-9",
                ('w', true) => "0-9A-Za-z_",
                ('D', true) => "[^0-9]",
                ('W', true) => "[^0-9A-Za-z_]",
                ('b', false) => r"(?-u:\b)",
                ('B', false) => r"(?-u:\B)",
                ('b', true) => r"\x08",
                ('/', _) => "/",
                ('s', false) | ('S', false) | ('s', true) | ('S', true) => {
                    let negated = e == 'S';
                    if in_class && !negated {
                        out.push_str(JS_SPACE);
                    } else {
                        out.push_str(if negated { "[^" } else { "[" });
                        out.push_str(JS_SPACE);
                        out.push(']');
                    }
                    continue;
                }
                _ => {
                    out.push('\\');
                    out.push(e);
                    continue;
                }
            };
            out.push_str(item);
            continue;
        }
        if in_class {
            match c {
                ']' if !first_in_class => {
                    in_class = false;
                    out.push(']');
                }
                ']' => out.push_str(r"\]"),
                '^' if first_in_class && out.ends_with('[') => {
                    out.push('^');
                    class_start = true;
                }
                '[' | '&' | '~' => {
                    out.push('\\');
                    out.push(c);
                }
                '-' if chars.get(i + 1) == Some(&'-') => out.push_str(r"\-"),
                c => out.push(c),
            }
            i += 1;
            continue;
        }
        match c {
            '[' => {
                // JavaScript's `[]` matches nothing and `[^]` matches anything.
                if chars.get(i + 1) == Some(&']') {
                    out.push_str("[a&&b]");
                    i += 2;
                    continue;
                }
                if chars.get(i + 1) == Some(&'^') && chars.get(i + 2) == Some(&']') {
                    out.push_str("(?s:.)");
                    i += 3;
                    continue;
                }
                in_class = true;
                class_start = true;
                out.push('[');
            }
            '{' => match quantifier_len(&chars[i..]) {
                Some(len) if !out.is_empty() => {
                    out.extend(&chars[i..i + len]);
                    i += len;
                    continue;
                }
                _ => out.push_str(r"\{"),
            },
            '}' => out.push_str(r"\}"),
            ']' => out.push_str(r"\]"),
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// The length of a `{n}`, `{n,}` or `{n,m}` quantifier at the start of `s`, if there is one.
fn quantifier_len(s: &[char]) -> Option<usize> {
    let mut i = 1;
    let digits = |i: &mut usize| {
        let start = *i;
        while s.get(*i).is_some_and(|c| c.is_ascii_digit()) {
            *i += 1;
        }
        *i > start
    };
    if !digits(&mut i) {
        return None;
    }
    if s.get(i) == Some(&',') {
        i += 1;
        digits(&mut i);
    }
    (s.get(i) == Some(&'}')).then_some(i + 1)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn javascript_meanings() {
        assert_eq!(translate(r"{.*}"), r"\{.*\}");
        assert_eq!(translate(r"a{2,3}"), r"a{2,3}");
        assert_eq!(translate(r"[\w-]"), r"[0-9A-Za-z_-]");
        assert_eq!(translate(r"[]a]"), r"[a&&b]a\]");
        let re = compile(r"^\w+ \d$").unwrap();
        assert!(re.is_match("x\nab 1\n"));
        assert!(!re.is_match("é 1"), "\\w is ASCII in JavaScript");
        assert!(compile(r"(?<event>.*)\n(?<host>\S*) (?<clock>{.*})").is_ok());
        assert!(compile(r"(a)\1").is_err());
        let dot = compile(r"a.b").unwrap();
        assert!(!dot.is_match("a\rb") && !dot.is_match("a\nb"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn translation_and_compilation_never_panic(s in any::<String>()) {
            let _ = compile(&s);
        }
        #[test]
        fn regex_like_strings_never_panic(s in r"[\\\[\]{}()?<>*+.^$|a-z0-9,&~-]{0,24}") {
            let _ = compile(&s);
        }
    }
}
