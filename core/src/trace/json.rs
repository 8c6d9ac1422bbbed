//! A minimal JSON reader and string writer (RFC 8259), just enough for vector clocks
//! (`{"alice":2,"bob":1}`), JSON-lines logs and the JSON export — so the core needs no serde.
//!
//! Invariants: parsing never panics and never recurses deeper than [`MAX_DEPTH`]; numbers keep
//! their exact value (whole numbers as `u64`, others as their source text); objects keep their keys in source order.
//! [`write_string`] output always parses back to the same string.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// How deeply arrays and objects may nest before the reader gives up.
pub const MAX_DEPTH: usize = 64;

/// A parsed JSON value.
///
/// ```
/// use chronoscope::trace::json::{parse, Json};
/// let v = parse(r#"{"a": [1, "x\n"], "b": null}"#).unwrap();
/// let Json::Object(entries) = v else { panic!() };
/// assert_eq!(entries[0].0, "a");
/// assert_eq!(entries[1].1, Json::Null);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number: a whole number that fits a `u64` as such, any other as written.
    Number(Number),
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object, keys in source order (duplicates kept).
    Object(Vec<(String, Json)>),
}

impl Json {
    /// The value as a non-negative integer, if it is one that fits in a `u64`.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Json::Number(Number::Whole(n)) => Some(*n),
            _ => None,
        }
    }
    /// A short name of the value's type, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }
}

/// A JSON number, kept without loss.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Number {
    /// A whole number `0 ..= u64::MAX` (no sign, fraction, exponent or leading zero).
    Whole(u64),
    /// Any other number, as written.
    Text(String),
}

/// Why a text is not JSON: what was expected, and the byte offset where it went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonError {
    /// Byte offset into the parsed text.
    pub offset: usize,
    /// What the reader expected there.
    pub expected: &'static str,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "expected {} at column {}",
            self.expected,
            self.offset + 1
        )
    }
}

impl core::error::Error for JsonError {}

/// Parses one JSON value; only whitespace may surround it.
pub fn parse(text: &str) -> Result<Json, JsonError> {
    let mut reader = Reader {
        bytes: text.as_bytes(),
        pos: 0,
    };
    let value = reader.value(0)?;
    reader.skip_ws();
    if reader.pos < reader.bytes.len() {
        return Err(reader.error("the end of the value"));
    }
    Ok(value)
}

/// Appends `s` as a quoted JSON string, escaping quotes, backslashes and control characters.
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = fmt::write(out, format_args!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends `value` as compact JSON text.
pub fn write_value(out: &mut String, value: &Json) {
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(Number::Whole(n)) => {
            let _ = fmt::write(out, format_args!("{n}"));
        }
        Json::Number(Number::Text(t)) => out.push_str(t),
        Json::String(s) => write_string(out, s),
        Json::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, v);
            }
            out.push(']');
        }
        Json::Object(entries) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, k);
                out.push(':');
                write_value(out, v);
            }
            out.push('}');
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn error(&self, expected: &'static str) -> JsonError {
        JsonError {
            offset: self.pos,
            expected,
        }
    }
    fn skip_ws(&mut self) {
        while matches!(self.bytes.get(self.pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }
    fn eat(&mut self, b: u8) -> bool {
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn value(&mut self, depth: usize) -> Result<Json, JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.error("less deeply nested arrays/objects"));
        }
        self.skip_ws();
        match self.bytes.get(self.pos) {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(Json::String),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => {
                for (word, value) in [
                    ("true", Json::Bool(true)),
                    ("false", Json::Bool(false)),
                    ("null", Json::Null),
                ] {
                    if self.bytes[self.pos..].starts_with(word.as_bytes()) {
                        self.pos += word.len();
                        return Ok(value);
                    }
                }
                Err(self.error("a value (object, array, string, number, true, false or null)"))
            }
        }
    }
    fn object(&mut self, depth: usize) -> Result<Json, JsonError> {
        self.pos += 1;
        let mut entries = Vec::new();
        if self.eat(b'}') {
            return Ok(Json::Object(entries));
        }
        loop {
            self.skip_ws();
            if self.bytes.get(self.pos) != Some(&b'"') {
                return Err(self.error("a quoted key"));
            }
            let key = self.string()?;
            if !self.eat(b':') {
                return Err(self.error("':' after the key"));
            }
            entries.push((key, self.value(depth + 1)?));
            if self.eat(b'}') {
                return Ok(Json::Object(entries));
            }
            if !self.eat(b',') {
                return Err(self.error("',' or '}'"));
            }
        }
    }
    fn array(&mut self, depth: usize) -> Result<Json, JsonError> {
        self.pos += 1;
        let mut items = Vec::new();
        if self.eat(b']') {
            return Ok(Json::Array(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            if self.eat(b']') {
                return Ok(Json::Array(items));
            }
            if !self.eat(b',') {
                return Err(self.error("',' or ']'"));
            }
        }
    }
    fn number(&mut self) -> Result<Json, JsonError> {
        let start = self.pos;
        let digits = |r: &mut Self| {
            let s = r.pos;
            while r.bytes.get(r.pos).is_some_and(u8::is_ascii_digit) {
                r.pos += 1;
            }
            r.pos > s
        };
        if self.bytes.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        if !digits(self) {
            return Err(self.error("a digit"));
        }
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if !digits(self) {
                return Err(self.error("a digit after '.'"));
            }
        }
        if matches!(self.bytes.get(self.pos), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.bytes.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !digits(self) {
                return Err(self.error("a digit in the exponent"));
            }
        }
        // The slice is ASCII digits and signs, so it is valid UTF-8.
        let text = core::str::from_utf8(&self.bytes[start..self.pos]).unwrap_or_default();
        let whole =
            text.bytes().all(|b| b.is_ascii_digit()) && (text.len() == 1 || !text.starts_with('0'));
        Ok(Json::Number(match text.parse() {
            Ok(n) if whole => Number::Whole(n),
            _ => Number::Text(String::from(text)),
        }))
    }
    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = self
                .bytes
                .get(self.pos)
                .and_then(|b| (*b as char).to_digit(16))
                .ok_or_else(|| self.error("four hex digits after \\u"))?;
            v = v * 16 + d;
            self.pos += 1;
        }
        Ok(v)
    }
    fn string(&mut self) -> Result<String, JsonError> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let start = self.pos;
            while self
                .bytes
                .get(self.pos)
                .is_some_and(|b| *b != b'"' && *b != b'\\' && *b >= 0x20)
            {
                self.pos += 1;
            }
            // `start..pos` ends before an ASCII byte or at the end, so it is on a char boundary.
            out.push_str(core::str::from_utf8(&self.bytes[start..self.pos]).unwrap_or_default());
            match self.bytes.get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let c = match self.bytes.get(self.pos) {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            let hi = self.hex4()?;
                            self.pos -= 1;
                            let code = if (0xD800..0xDC00).contains(&hi)
                                && self.bytes[self.pos + 1..].starts_with(b"\\u")
                            {
                                self.pos += 3;
                                let lo = self.hex4()?;
                                self.pos -= 1;
                                0x10000 + ((hi - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF)
                            } else {
                                hi
                            };
                            char::from_u32(code).unwrap_or('\u{FFFD}')
                        }
                        _ => {
                            return Err(self
                                .error("a valid escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u)"))
                        }
                    };
                    self.pos += 1;
                    out.push(c);
                }
                Some(_) => return Err(self.error("no raw control characters in a string")),
                None => return Err(self.error("'\"' to close the string")),
            }
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_clocks_and_reports_where_it_failed() {
        let v = parse(r#"{"node0" : 1, "b\"q": 22}"#).unwrap();
        let Json::Object(e) = v else { panic!() };
        assert_eq!(e[1].0, "b\"q");
        assert_eq!(e[1].1.as_u64(), Some(22));
        assert_eq!(parse(r#"{"a":1,}"#).unwrap_err().offset, 7);
        assert_eq!(
            parse(r#"{"a" 1}"#).unwrap_err().expected,
            "':' after the key"
        );
        assert!(parse("[1] x").is_err());
        assert_eq!(parse("-1.5e3").unwrap().as_u64(), None);
        assert_eq!(
            parse(r#""\ud83d\ude00""#).unwrap(),
            Json::String("😀".into())
        );
        let deep = "[".repeat(MAX_DEPTH + 2);
        assert!(parse(&deep).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn written_strings_parse_back(s in any::<String>()) {
            let mut out = String::new();
            write_string(&mut out, &s);
            prop_assert_eq!(parse(&out), Ok(Json::String(s)));
        }

        #[test]
        fn never_panics(s in any::<String>()) {
            let _ = parse(&s);
        }
    }
}
