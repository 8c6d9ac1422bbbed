//! Parameters as data: each scenario declares its parameters once, as a [`Spec`] — a list of
//! [`Field`]s (URL key, label, unit, range or choices, one-line help, and how to read and
//! write the value in the scenario's `Params`) plus the defaults and the rules that tie
//! fields together. Clamping, validation, the URL round trip (`key=value` pairs to `Params`
//! and back), the labs' forms, their notes and the README's parameter lists all derive from
//! it, so a key cannot be spelt two ways.
//!
//! Reading is total: any `key=value` pairs give parameters in range, and a [`Note`] for each
//! value that could not be used as given — "not a number" is told apart from "out of range",
//! unknown keys are named, and only keys the pairs hold are spoken of.
//!
//! ```
//! use chronoscope::scenario::happens_before::SPEC;
//! let (params, notes) = SPEC.read([("nodes", "99"), ("seed", "7"), ("nodez", "3")]);
//! assert_eq!((params.nodes, params.seed), (8, 7));
//! assert_eq!(notes[0].to_string(), "nodes = 99 is out of range; using 8 (allowed: 2–8)");
//! assert_eq!(notes[1].to_string(), "nodez is not a parameter of this lab (did you mean nodes?); ignored");
//! assert_eq!(SPEC.read(SPEC.write(&params).iter().map(|(k, v)| (*k, v.as_str()))).0, params);
//! ```

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

/// One parameter that a clamp had to change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Adjustment {
    /// The parameter's name (as in the URL).
    pub name: &'static str,
    /// The value given.
    pub given: String,
    /// The value used instead.
    pub used: String,
}

impl fmt::Display for Adjustment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} = {} is out of range; using {}",
            self.name, self.given, self.used
        )
    }
}

/// What values a parameter takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A whole number in `min..=max`.
    Int {
        /// The smallest allowed value.
        min: i64,
        /// The largest allowed value.
        max: i64,
    },
    /// One of these names; the value is the name's index.
    Choice(&'static [&'static str]),
    /// On (1) or off (0); the URL says `1`/`0` (`true`/`false`, `on`/`off` are read too).
    Switch,
    /// A 64-bit seed, `0..=u64::MAX`.
    Seed,
}

impl Kind {
    /// The smallest and largest value.
    pub fn bounds(&self) -> (i128, i128) {
        match *self {
            Kind::Int { min, max } => (min.into(), max.into()),
            Kind::Choice(names) => (0, names.len().saturating_sub(1) as i128),
            Kind::Switch => (0, 1),
            Kind::Seed => (0, u64::MAX.into()),
        }
    }
}

/// One parameter, as people see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param {
    /// The URL key.
    pub key: &'static str,
    /// The form's label.
    pub label: &'static str,
    /// The unit (`"ms"`, `"%"`, `""` for none).
    pub unit: &'static str,
    /// The values it takes.
    pub kind: Kind,
    /// One line on what it does.
    pub help: &'static str,
}

/// Why a raw URL value was not usable as given.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Refusal {
    NotANumber,
    OutOfRange(i128),
    NotAChoice,
    NotASwitch,
}

impl Param {
    /// `value` as the URL writes it (a choice's name, a switch's `1`/`0`).
    pub fn format(&self, value: i128) -> String {
        match self.kind {
            Kind::Choice(names) => names.get(value as usize).copied().unwrap_or("").to_string(),
            _ => value.to_string(),
        }
    }

    /// The allowed values, for people: `2–8`, `none, cristian, berkeley`, `1, 0`.
    pub fn allowed(&self) -> String {
        match self.kind {
            Kind::Int { min, max } => format!("{min}–{max}"),
            Kind::Choice(names) => names.join(", "),
            Kind::Switch => "1, 0".into(),
            Kind::Seed => format!("0–{}", u64::MAX),
        }
    }

    /// `value` brought into range.
    pub fn clamp(&self, value: i128) -> i128 {
        let (lo, hi) = self.kind.bounds();
        value.clamp(lo, hi)
    }

    fn parse(&self, raw: &str) -> Result<i128, Refusal> {
        let raw = raw.trim();
        match self.kind {
            Kind::Choice(names) => names
                .iter()
                .position(|n| *n == raw)
                .map(|i| i as i128)
                .ok_or(Refusal::NotAChoice),
            Kind::Switch => match raw {
                "1" | "true" | "on" | "yes" => Ok(1),
                "0" | "false" | "off" | "no" => Ok(0),
                _ => Err(Refusal::NotASwitch),
            },
            Kind::Int { .. } | Kind::Seed => {
                let digits = raw.strip_prefix(['-', '+']).unwrap_or(raw);
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(Refusal::NotANumber);
                }
                // A whole number too long for i128 is still a number: out of range.
                let value = raw.parse::<i128>().unwrap_or(if raw.starts_with('-') {
                    i128::MIN
                } else {
                    i128::MAX
                });
                let clamped = self.clamp(value);
                if clamped == value {
                    Ok(value)
                } else {
                    Err(Refusal::OutOfRange(clamped))
                }
            }
        }
    }
}

/// One parameter of the scenario whose parameters are `P`: how it looks and where it lives.
pub struct Field<P> {
    /// How it looks.
    pub param: Param,
    /// Its value in `P`.
    pub get: fn(&P) -> i128,
    /// Sets it in `P` (given a value within [`Kind::bounds`]).
    pub set: fn(&mut P, i128),
}

/// A scenario's parameters, declared once.
pub struct Spec<P: 'static> {
    /// Every parameter, in form order.
    pub fields: &'static [Field<P>],
    /// The values a lab starts from.
    pub defaults: fn() -> P,
    /// The rules between fields (e.g. latency max ≥ min), applied after each field is in its
    /// range; each change is reported.
    pub relate: fn(P) -> (P, Vec<Adjustment>),
}

/// What reading a URL did with a value it could not use as given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// Not a whole number at all.
    NotANumber {
        /// The key.
        key: &'static str,
        /// The value given (at most 40 characters of it).
        given: String,
        /// The value used.
        used: String,
    },
    /// A whole number outside the parameter's range.
    OutOfRange {
        /// The key.
        key: &'static str,
        /// The value given (at most 40 characters of it).
        given: String,
        /// The range, for people.
        allowed: String,
        /// The value used (the nearest end of the range).
        used: String,
    },
    /// Not one of the allowed names, or not 1/0 for a switch.
    NotAllowed {
        /// The key.
        key: &'static str,
        /// The value given (at most 40 characters of it).
        given: String,
        /// The allowed values, for people.
        allowed: String,
        /// The value used.
        used: String,
    },
    /// A key no parameter has.
    Unknown {
        /// The key given (at most 40 characters of it).
        key: String,
        /// The closest known key, if one is close.
        suggestion: Option<&'static str>,
    },
    /// A value in range on its own but not together with the others.
    Adjusted(Adjustment),
}

impl Note {
    /// The key the note is about.
    pub fn key(&self) -> &str {
        match self {
            Note::NotANumber { key, .. }
            | Note::OutOfRange { key, .. }
            | Note::NotAllowed { key, .. } => key,
            Note::Unknown { key, .. } => key,
            Note::Adjusted(a) => a.name,
        }
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::NotANumber { key, given, used } => {
                write!(f, "{key} = \"{given}\" is not a whole number; using {used}")
            }
            Note::OutOfRange {
                key,
                given,
                allowed,
                used,
            } => write!(
                f,
                "{key} = {given} is out of range; using {used} (allowed: {allowed})"
            ),
            Note::NotAllowed {
                key,
                given,
                allowed,
                used,
            } => write!(
                f,
                "{key} = \"{given}\" is not one of {allowed}; using {used}"
            ),
            Note::Unknown { key, suggestion } => {
                write!(f, "{key} is not a parameter of this lab")?;
                if let Some(s) = suggestion {
                    write!(f, " (did you mean {s}?)")?;
                }
                write!(f, "; ignored")
            }
            Note::Adjusted(a) => write!(f, "{a}"),
        }
    }
}

fn shown(raw: &str) -> String {
    raw.chars().take(40).collect()
}

/// The edit distance between `a` and `b` (for "did you mean").
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (row[j + 1] + 1)
                .min(row[j] + 1)
                .min(prev + usize::from(ca != *cb));
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

impl<P> Spec<P> {
    /// The parameter with URL key `key`.
    pub fn param(&self, key: &str) -> Option<&'static Param> {
        self.fields
            .iter()
            .find(|f| f.param.key == key)
            .map(|f| &f.param)
    }

    /// The value of parameter `key` in `p`.
    pub fn value(&self, p: &P, key: &str) -> Option<i128> {
        self.fields
            .iter()
            .find(|f| f.param.key == key)
            .map(|f| (f.get)(p))
    }

    /// Every parameter, in form order.
    pub fn params(&self) -> impl Iterator<Item = &'static Param> {
        self.fields.iter().map(|f| &f.param)
    }

    /// Brings every field into its range, then applies [`Spec::relate`]; each change is
    /// reported.
    pub fn clamp(&self, mut p: P) -> (P, Vec<Adjustment>) {
        let mut changes = Vec::new();
        for f in self.fields {
            let value = (f.get)(&p);
            let clamped = f.param.clamp(value);
            if clamped != value {
                changes.push(Adjustment {
                    name: f.param.key,
                    given: f.param.format(value),
                    used: f.param.format(clamped),
                });
                (f.set)(&mut p, clamped);
            }
        }
        let (p, related) = (self.relate)(p);
        changes.extend(related);
        (p, changes)
    }

    /// The key of the first parameter of `p` out of its range or breaking a rule, if any.
    pub fn first_invalid(&self, p: &P) -> Option<&'static str>
    where
        P: Clone,
    {
        self.clamp(p.clone()).1.first().map(|a| a.name)
    }

    /// Parameters from `key=value` pairs: the defaults, overridden by every usable value,
    /// each unusable one noted. Later pairs win; notes speak only of keys the pairs hold.
    pub fn read<'a>(&self, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> (P, Vec<Note>) {
        let mut p = (self.defaults)();
        let mut notes = Vec::new();
        let mut given: Vec<&'static str> = Vec::new();
        for (key, raw) in pairs {
            let Some(f) = self.fields.iter().find(|f| f.param.key == key) else {
                let suggestion = self
                    .params()
                    .map(|p| (distance(key, p.key), p.key))
                    .filter(|(d, _)| *d <= 2)
                    .min()
                    .map(|(_, k)| k);
                notes.push(Note::Unknown {
                    key: shown(key),
                    suggestion,
                });
                continue;
            };
            notes.retain(|n: &Note| n.key() != key);
            given.push(f.param.key);
            let default = (f.get)(&(self.defaults)());
            let value = match f.param.parse(raw) {
                Ok(v) => v,
                Err(refusal) => {
                    let (given, param) = (shown(raw.trim()), &f.param);
                    let (used, note) = match refusal {
                        Refusal::NotANumber => {
                            let used = param.format(default);
                            let note = Note::NotANumber {
                                key: param.key,
                                given,
                                used: used.clone(),
                            };
                            (default, note)
                        }
                        Refusal::OutOfRange(clamped) => (
                            clamped,
                            Note::OutOfRange {
                                key: param.key,
                                given,
                                allowed: param.allowed(),
                                used: param.format(clamped),
                            },
                        ),
                        Refusal::NotAChoice | Refusal::NotASwitch => (
                            default,
                            Note::NotAllowed {
                                key: param.key,
                                given,
                                allowed: param.allowed(),
                                used: param.format(default),
                            },
                        ),
                    };
                    notes.push(note);
                    used
                }
            };
            (f.set)(&mut p, value);
        }
        let (p, changes) = self.clamp(p);
        for change in changes.into_iter().filter(|a| given.contains(&a.name)) {
            // A value already noted as out of range says where it finally landed.
            match notes.iter_mut().find_map(|n| match n {
                Note::OutOfRange { key, used, .. } if *key == change.name => Some(used),
                _ => None,
            }) {
                Some(used) => *used = change.used,
                None => notes.push(Note::Adjusted(change)),
            }
        }
        (p, notes)
    }

    /// The `key=value` pairs that reproduce `p` (every field, in form order).
    pub fn write(&self, p: &P) -> Vec<(&'static str, String)> {
        self.fields
            .iter()
            .map(|f| (f.param.key, f.param.format((f.get)(p))))
            .collect()
    }

    /// A Markdown table of the parameters (key, values, default, help), as the README lists
    /// them.
    pub fn markdown(&self) -> String {
        let defaults = (self.defaults)();
        let mut out =
            String::from("| key | values | default | what it sets |\n|---|---|---|---|\n");
        for f in self.fields {
            let unit = if f.param.unit.is_empty() {
                String::new()
            } else {
                format!(" {}", f.param.unit)
            };
            out.push_str(&format!(
                "| `{}` | {}{unit} | {} | {} |\n",
                f.param.key,
                f.param.allowed(),
                f.param.format((f.get)(&defaults)),
                f.param.help
            ));
        }
        out
    }
}

/// A [`Spec`] with its parameter type hidden, for code that handles every lab alike (the
/// registry, its tests, the form).
pub trait AnySpec: Sync {
    /// Every parameter, in form order.
    fn all(&self) -> Vec<&'static Param>;
    /// Reads `pairs` and writes the result back: the URL the pairs stand for, and the notes.
    fn normalize(&self, pairs: &[(&str, &str)]) -> (Vec<(&'static str, String)>, Vec<Note>);
    /// [`Spec::markdown`].
    fn table(&self) -> String;
}

impl<P> AnySpec for Spec<P> {
    fn all(&self) -> Vec<&'static Param> {
        self.params().collect()
    }
    fn normalize(&self, pairs: &[(&str, &str)]) -> (Vec<(&'static str, String)>, Vec<Note>) {
        let (p, notes) = self.read(pairs.iter().copied());
        (self.write(&p), notes)
    }
    fn table(&self) -> String {
        self.markdown()
    }
}

/// A whole-number [`Field`] over `min..=max` (a `const` helper for the scenarios' specs).
pub const fn int<P>(
    key: &'static str,
    label: &'static str,
    unit: &'static str,
    (min, max): (i64, i64),
    help: &'static str,
    get: fn(&P) -> i128,
    set: fn(&mut P, i128),
) -> Field<P> {
    Field {
        param: Param {
            key,
            label,
            unit,
            kind: Kind::Int { min, max },
            help,
        },
        get,
        set,
    }
}

/// A [`Field`] of another [`Kind`] (a `const` helper for the scenarios' specs).
pub const fn other<P>(
    key: &'static str,
    label: &'static str,
    kind: Kind,
    help: &'static str,
    get: fn(&P) -> i128,
    set: fn(&mut P, i128),
) -> Field<P> {
    Field {
        param: Param {
            key,
            label,
            unit: "",
            kind,
            help,
        },
        get,
        set,
    }
}

/// The run's random seed (key `seed`): every scenario's, declared once.
pub const fn seed<P>(get: fn(&P) -> i128, set: fn(&mut P, i128)) -> Field<P> {
    other(
        "seed",
        "seed",
        Kind::Seed,
        "the run's random seed",
        get,
        set,
    )
}

/// The shortest one-way network delay (key `lat_min`, ms) over `range`.
pub const fn lat_min<P>(range: (i64, i64), get: fn(&P) -> i128, set: fn(&mut P, i128)) -> Field<P> {
    int(
        "lat_min",
        "latency min",
        "ms",
        range,
        "shortest one-way delay",
        get,
        set,
    )
}

/// The longest one-way network delay (key `lat_max`, ms) over `range`; a scenario's
/// [`Spec::relate`] keeps it at least `lat_min`.
pub const fn lat_max<P>(range: (i64, i64), get: fn(&P) -> i128, set: fn(&mut P, i128)) -> Field<P> {
    int(
        "lat_max",
        "latency max",
        "ms",
        range,
        "longest one-way delay (at least the shortest)",
        get,
        set,
    )
}

/// The chance a message is lost (key `loss`, %) over `range`.
pub const fn loss<P>(range: (i64, i64), get: fn(&P) -> i128, set: fn(&mut P, i128)) -> Field<P> {
    int(
        "loss",
        "loss",
        "%",
        range,
        "chance a message is lost",
        get,
        set,
    )
}

/// The chance a message is delivered twice (key `dup`, %) over `range`.
pub const fn dup<P>(range: (i64, i64), get: fn(&P) -> i128, set: fn(&mut P, i128)) -> Field<P> {
    int(
        "dup",
        "duplication",
        "%",
        range,
        "chance a message is delivered twice",
        get,
        set,
    )
}

/// Lowers `value` below `limit` (e.g. a node index below the node count), noting the change.
pub fn below(key: &'static str, value: &mut u32, limit: u32, notes: &mut Vec<Adjustment>) {
    if *value >= limit {
        let used = limit.saturating_sub(1);
        notes.push(Adjustment {
            name: key,
            given: format!("{value}"),
            used: format!("{used}"),
        });
        *value = used;
    }
}

/// No rules between fields (a scenario's [`Spec::relate`] when each field stands alone).
pub fn unrelated<P>(p: P) -> (P, Vec<Adjustment>) {
    (p, Vec::new())
}

/// `range` as the `(min, max)` pair [`int`] takes.
pub const fn span(range: &core::ops::RangeInclusive<u32>) -> (i64, i64) {
    (*range.start() as i64, *range.end() as i64)
}

/// The index of `value` in `all` (0 if absent), for choice fields.
pub fn index_of<T: PartialEq>(all: &[T], value: &T) -> i128 {
    all.iter().position(|v| v == value).unwrap_or(0) as i128
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, PartialEq, Default)]
    struct P {
        n: u32,
        jump: i32,
        mode: u8,
        on: bool,
        seed: u64,
    }

    static SPEC: Spec<P> = Spec {
        fields: &[
            int(
                "n",
                "nodes",
                "",
                (2, 8),
                "how many",
                |p| p.n.into(),
                |p, v| p.n = v as u32,
            ),
            int(
                "jump",
                "jump",
                "ms",
                (-100, 100),
                "a jump",
                |p| p.jump.into(),
                |p, v| p.jump = v as i32,
            ),
            other(
                "mode",
                "mode",
                Kind::Choice(&["step", "slew"]),
                "how",
                |p| p.mode.into(),
                |p, v| p.mode = v as u8,
            ),
            other(
                "on",
                "on",
                Kind::Switch,
                "whether",
                |p| p.on.into(),
                |p, v| p.on = v != 0,
            ),
            other(
                "seed",
                "seed",
                Kind::Seed,
                "the seed",
                |p| p.seed.into(),
                |p, v| p.seed = v as u64,
            ),
        ],
        defaults: || P {
            n: 4,
            ..P::default()
        },
        relate: |mut p| {
            let mut changes = Vec::new();
            if p.on && p.n < 3 {
                changes.push(Adjustment {
                    name: "n",
                    given: p.n.to_string(),
                    used: "3".into(),
                });
                p.n = 3;
            }
            (p, changes)
        },
    };

    fn notes(q: &[(&str, &str)]) -> Vec<String> {
        SPEC.read(q.iter().copied())
            .1
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn not_a_number_and_out_of_range_are_told_apart() {
        assert_eq!(
            notes(&[("n", "x")]),
            ["n = \"x\" is not a whole number; using 4"]
        );
        assert_eq!(
            notes(&[("n", "99999999999999")]),
            ["n = 99999999999999 is out of range; using 8 (allowed: 2–8)"]
        );
        assert_eq!(
            notes(&[("n", "9".repeat(60).as_str())])[0],
            format!(
                "n = {} is out of range; using 8 (allowed: 2–8)",
                "9".repeat(40)
            )
        );
        assert_eq!(
            notes(&[("jump", "-1000")]),
            ["jump = -1000 is out of range; using -100 (allowed: -100–100)"]
        );
        assert_eq!(
            notes(&[("mode", "warp")]),
            ["mode = \"warp\" is not one of step, slew; using step"]
        );
        assert_eq!(
            notes(&[("on", "maybe")]),
            ["on = \"maybe\" is not one of 1, 0; using 0"]
        );
        assert_eq!(
            notes(&[("seed", "-1")]),
            ["seed = -1 is out of range; using 0 (allowed: 0–18446744073709551615)"]
        );
        assert_eq!(
            notes(&[("seed", "18446744073709551615")]),
            Vec::<String>::new()
        );
    }

    #[test]
    fn unknown_keys_are_named_and_only_given_keys_are_spoken_of() {
        assert_eq!(
            notes(&[("nn", "3")]),
            ["nn is not a parameter of this lab (did you mean n?); ignored"]
        );
        assert_eq!(
            notes(&[("zzzzzz", "3")]),
            ["zzzzzz is not a parameter of this lab; ignored"]
        );
        // `on` forces n ≥ 3: said when the URL gave n, silent when n is the default.
        assert_eq!(SPEC.read([("on", "1"), ("n", "2")]).1.len(), 1);
        let (p, quiet) = SPEC.read([("on", "1")]);
        assert!(quiet.is_empty() && p.n == 4);
        // Out of range, then constrained by another field: one note, with the final value.
        assert_eq!(
            notes(&[("on", "1"), ("n", "1")]),
            ["n = 1 is out of range; using 3 (allowed: 2–8)"]
        );
        // A later good value replaces an earlier bad one and its note.
        assert!(notes(&[("n", "x"), ("n", "5")]).is_empty());
    }

    #[test]
    fn writes_read_back() {
        let p = P {
            n: 7,
            jump: -5,
            mode: 1,
            on: true,
            seed: u64::MAX,
        };
        let pairs = SPEC.write(&p);
        let (back, notes) = SPEC.read(pairs.iter().map(|(k, v)| (*k, v.as_str())));
        assert_eq!((back, notes), (p, Vec::new()));
        assert!(SPEC
            .markdown()
            .contains("| `mode` | step, slew | step | how |"));
    }
}
