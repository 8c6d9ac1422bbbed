//! A static guard against catastrophic backtracking ("ReDoS"; Davis et al., "The impact of
//! regular expression denial of service in practice", ESEC/FSE 2018, §2) for patterns run by
//! a backtracking engine such as the browser's `RegExp`, which cannot be interrupted once a
//! match has started.
//!
//! The exponential cases are repetitions of a group whose body can match the same text in
//! more than one way — nested quantifiers (`(a+)+`, `(\w+\s?)*`) or alternatives
//! (`(a|ab)*`). A repeated group (`*`, `+`, `{n,}` or `{n,m}` with m > 16) whose body has a
//! variable part is accepted only when its body has a *separator*: a mandatory single
//! character that no variable part of the body can match, so each repetition ends at a
//! separator and a line has one way to split — the multi-line idiom `(?:^.*\n)*?` of TLA+
//! parser regexes passes, `(.*\n?)*` does not. Character classes are compared over ASCII and
//! a few non-ASCII probes (JavaScript's extra white space and line terminators, letters).
//!
//! Invariant: [`check`] never panics and accepts every pattern without a repeated group.
//! Polynomial patterns (`.*.*=`) pass; the browser engine bounds them by its line cap.

use alloc::format;
use alloc::vec::Vec;

use super::pattern::PatternError;

/// Repetitions bounded by at most this many iterations are not checked.
pub const SMALL_BOUND: u32 = 16;

/// Groups nested deeper than this are read as literal parentheses.
const MAX_DEPTH: usize = 64;

/// Non-ASCII probe characters for class comparisons.
const PROBES: [char; 16] = [
    '\u{85}', '\u{A0}', '\u{1680}', '\u{2000}', '\u{2028}', '\u{2029}', '\u{202F}', '\u{3000}',
    '\u{FEFF}', 'é', 'Ω', 'ü', 'ſ', '\u{212A}', '中', 'я',
];

/// A set of characters, as its members among ASCII and [`PROBES`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Set(u128, u16);

impl Set {
    fn of(f: impl Fn(char) -> bool) -> Set {
        let mut s = Set::default();
        for c in 0u8..128 {
            if f(c as char) {
                s.0 |= 1 << c;
            }
        }
        for (i, c) in PROBES.iter().enumerate() {
            if f(*c) {
                s.1 |= 1 << i;
            }
        }
        s
    }
    fn union(self, o: Set) -> Set {
        Set(self.0 | o.0, self.1 | o.1)
    }
    fn meets(self, o: Set) -> bool {
        self.0 & o.0 != 0 || self.1 & o.1 != 0
    }
    fn is_empty(self) -> bool {
        self == Set::default()
    }
}

fn js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\u{FEFF}'
    )
}

fn word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// A parsed term: an atom and how often it repeats.
#[derive(Debug)]
struct Term {
    atom: Atom,
    min: u32,
    max: Option<u32>,
    /// 1-based character position of the atom in the pattern.
    at: usize,
}

#[derive(Debug)]
enum Atom {
    /// One character of a set.
    Char(Set),
    /// A group (capturing or not, or look-around) with its alternatives.
    Group(Vec<Vec<Term>>),
    /// An assertion or back-reference (consumes no character of its own here).
    Empty,
}

struct Parser {
    chars: Vec<char>,
    i: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).copied()
    }
    fn alternatives(&mut self) -> Vec<Vec<Term>> {
        let mut alts = alloc::vec![self.sequence()];
        while self.peek() == Some('|') {
            self.i += 1;
            alts.push(self.sequence());
        }
        alts
    }
    fn sequence(&mut self) -> Vec<Term> {
        let mut terms = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || (c == ')' && self.depth > 0) {
                break;
            }
            let at = self.i + 1;
            let atom = self.atom();
            let (min, max) = self.quantifier().unwrap_or((1, Some(1)));
            terms.push(Term { atom, min, max, at });
        }
        terms
    }
    fn atom(&mut self) -> Atom {
        let c = self.chars[self.i];
        self.i += 1;
        match c {
            // Deeper nesting than any log regex needs reads as literals (bounded recursion).
            '(' if self.depth < MAX_DEPTH => {
                if self.peek() == Some('?') {
                    self.i += 1;
                    match self.peek() {
                        Some('<') if !matches!(self.chars.get(self.i + 1), Some('=' | '!')) => {
                            while self.peek().is_some_and(|c| c != '>') {
                                self.i += 1;
                            }
                            self.i += 1;
                        }
                        Some('<') => self.i += 2,
                        Some(_) => self.i += 1,
                        None => {}
                    }
                }
                self.depth += 1;
                let alts = self.alternatives();
                self.depth -= 1;
                if self.peek() == Some(')') {
                    self.i += 1;
                }
                Atom::Group(alts)
            }
            '[' => Atom::Char(self.class()),
            '.' => Atom::Char(Set::of(|c| {
                !matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
            })),
            '^' | '$' => Atom::Empty,
            '\\' => match self.escape(false) {
                Some(set) => Atom::Char(set),
                None => Atom::Empty,
            },
            c => Atom::Char(Set::of(|x| x == c)),
        }
    }
    /// An escape after its backslash: its set, or `None` for an assertion or back-reference.
    fn escape(&mut self, in_class: bool) -> Option<Set> {
        let Some(e) = self.peek() else {
            return Some(Set::of(|c| c == '\\'));
        };
        self.i += 1;
        Some(match e {
            'd' => Set::of(|c| c.is_ascii_digit()),
            'D' => Set::of(|c| !c.is_ascii_digit()),
            'w' => Set::of(word),
            'W' => Set::of(|c| !word(c)),
            's' => Set::of(js_space),
            'S' => Set::of(|c| !js_space(c)),
            'b' if in_class => Set::of(|c| c == '\u{8}'),
            'b' | 'B' | '1'..='9' => return None,
            'k' if self.peek() == Some('<') => {
                while self.peek().is_some_and(|c| c != '>') {
                    self.i += 1;
                }
                self.i += 1;
                return None;
            }
            'n' => Set::of(|c| c == '\n'),
            'r' => Set::of(|c| c == '\r'),
            't' => Set::of(|c| c == '\t'),
            'f' => Set::of(|c| c == '\u{0C}'),
            'v' => Set::of(|c| c == '\u{0B}'),
            '0' => Set::of(|c| c == '\0'),
            'x' | 'u' => {
                let len = if e == 'x' { 2 } else { 4 };
                let hex: alloc::string::String = self.chars.iter().skip(self.i).take(len).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) if hex.len() == len => {
                        self.i += len;
                        Set::of(|c| c == ch)
                    }
                    _ => Set::of(|c| c == e),
                }
            }
            e => Set::of(|c| c == e),
        })
    }
    /// A character class after its `[`.
    fn class(&mut self) -> Set {
        let negated = self.peek() == Some('^');
        if negated {
            self.i += 1;
        }
        let mut set = Set::default();
        let mut last: Option<char> = None;
        while let Some(c) = self.peek() {
            self.i += 1;
            match c {
                ']' => break,
                '\\' => {
                    // A range from an escape (`[\x00-\x1f]`) reads as its two ends and `-`.
                    last = None;
                    if let Some(s) = self.escape(true) {
                        set = set.union(s);
                    }
                }
                '-' if last.is_some() && !matches!(self.peek(), None | Some(']')) => {
                    let from = last.take().unwrap_or('-');
                    let to = self.chars[self.i];
                    self.i += 1;
                    set = set.union(Set::of(|x| from <= x && x <= to));
                }
                c => {
                    set = set.union(Set::of(|x| x == c));
                    last = Some(c);
                }
            }
        }
        if negated {
            Set(!set.0, !set.1)
        } else {
            set
        }
    }
    /// A quantifier after an atom, if one follows: `(min, max)`, `None` max for unbounded.
    fn quantifier(&mut self) -> Option<(u32, Option<u32>)> {
        let q = match self.peek()? {
            '*' => (0, None),
            '+' => (1, None),
            '?' => (0, Some(1)),
            '{' => {
                let rest: alloc::string::String = self.chars[self.i + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_digit() || **c == ',')
                    .collect();
                if self.chars.get(self.i + 1 + rest.chars().count()) != Some(&'}') {
                    return None;
                }
                let number = |s: &str| s.parse::<u32>().ok();
                let q = match rest.split_once(',') {
                    None => number(&rest).map(|n| (n, Some(n))),
                    Some((a, "")) => number(a).map(|n| (n, None)),
                    Some((a, b)) => number(a).zip(number(b)).map(|(a, b)| (a, Some(b))),
                }?;
                self.i += rest.chars().count() + 1;
                q
            }
            _ => return None,
        };
        self.i += 1;
        if self.peek() == Some('?') {
            self.i += 1;
        }
        Some(q)
    }
}

/// Every character the atom can match.
fn chars_of(atom: &Atom) -> Set {
    match atom {
        Atom::Char(s) => *s,
        Atom::Group(alts) => alts
            .iter()
            .flatten()
            .fold(Set::default(), |s, t| s.union(chars_of(&t.atom))),
        Atom::Empty => Set::default(),
    }
}

/// Whether `alts` can match texts of different lengths or one text in different ways.
fn variable(alts: &[Vec<Term>]) -> bool {
    alts.len() > 1
        || alts.iter().flatten().any(|t| {
            Some(t.min) != t.max || matches!(&t.atom, Atom::Group(inner) if variable(inner))
        })
}

/// Whether a repeated group with these alternatives splits text one way only (see the module
/// docs).
fn has_separator(alts: &[Vec<Term>]) -> bool {
    let [body] = alts else { return false };
    let varying = body
        .iter()
        .filter(|t| {
            Some(t.min) != t.max || matches!(&t.atom, Atom::Group(inner) if variable(inner))
        })
        .fold(Set::default(), |s, t| s.union(chars_of(&t.atom)));
    body.iter().any(|t| {
        matches!(t.atom, Atom::Char(s) if t.min >= 1 && Some(t.min) == t.max && !s.is_empty() && !s.meets(varying))
    })
}

fn walk(alts: &[Vec<Term>]) -> Result<(), usize> {
    for term in alts.iter().flatten() {
        if let Atom::Group(inner) = &term.atom {
            let repeats = !matches!(term.max, Some(m) if m <= SMALL_BOUND);
            if repeats && variable(inner) && !has_separator(inner) {
                return Err(term.at);
            }
            walk(inner)?;
        }
    }
    Ok(())
}

/// Refuses a pattern with a repetition a backtracking engine could take exponential time on
/// (see the module docs); the error names its position in the pattern as written.
///
/// ```
/// use chronoscope::trace::backtracking::check;
/// assert!(check(r"(?:^.*\n)*?^/\\ Host = (?<host>\w+)").is_ok());
/// let err = check(r"^(?<event>(\w+\s?)*)$").unwrap_err().to_string();
/// assert!(err.contains("character 11"), "{err}");
/// ```
pub fn check(pattern: &str) -> Result<(), PatternError> {
    let mut parser = Parser {
        chars: pattern.chars().collect(),
        i: 0,
        depth: 0,
    };
    let alts = parser.alternatives();
    walk(&alts).map_err(|at| {
        PatternError::Catastrophic(format!(
            "the repeated group at character {at} can match the same text in more than one way (nested repetition such as (a+)+, or alternatives such as (a|ab)*), so the browser's regex engine could take exponential time on a line that almost matches; end each repetition with a character its inner part cannot match, as in (?:^.*\\n)*, or bound it with {{n,m}} where m <= {SMALL_BOUND}"
        ))
    })
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn exponential_patterns_are_refused_and_log_patterns_pass() {
        for bad in [
            r"(a+)+b",
            r"(a|a)*b",
            r"(a|ab)*c",
            r"^(\w+\s?)*$",
            r"(.*)*x",
            r"(.*\n?)*x",
            r"(?:(?:a*)b?)+",
            r"(x+x+){17}y",
            r"([^,]*,?)+$",
        ] {
            assert!(
                matches!(check(bad), Err(PatternError::Catastrophic(_))),
                "{bad}"
            );
        }
        for good in [
            super::super::shiviz::GOVECTOR_REGEX,
            super::super::shiviz::EVENT_FIRST_REGEX,
            super::super::shiviz::TLA_REGEX,
            super::super::shiviz::TLA_DELIMITER,
            r"(?<ip>(\d{1,3}\.){3}\d{1,3}) (?<date>(\d{1,2}/){2}\d{4}) (?<event>.*)",
            r"(?:[^,]*,)+x",
            r"(ab)*",
            r"(?:^.*\n)*",
            r"(\d+\.)+\d",
            r"([a-z]+-)*[a-z]+",
            r"(a+){3}",
        ] {
            assert_eq!(check(good), Ok(()), "{good}");
        }
    }

    #[test]
    fn the_position_is_the_repeated_group_as_written() {
        let err = check(r"\S+ (?<x>(?:é+)+)").unwrap_err().to_string();
        assert!(err.contains("character 10"), "{err}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]
        #[test]
        fn checking_never_panics(s in r"[\\\[\](){}?<>=!:*+|^$.,a-z0-9-]{0,24}") {
            let _ = check(&s);
        }
        #[test]
        fn checking_any_text_never_panics(s in any::<alloc::string::String>()) {
            let _ = check(&s);
        }
    }
}
