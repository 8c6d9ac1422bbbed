//! URL query parameters: every lab keeps its seed and parameters in the URL so that a link
//! reproduces the exact run. Values typed by people are parsed here; anything unusable is
//! replaced by a default *with a note the page shows*, never silently and never by panicking.

use std::collections::BTreeMap;

/// Parsed `key=value` pairs of a query string.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Query {
    pairs: BTreeMap<String, String>,
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Query {
    /// Parses `?a=1&b=2` (the leading `?` is optional; later duplicates win).
    pub fn parse(query: &str) -> Query {
        let pairs = query
            .trim_start_matches('?')
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (percent_decode(k), percent_decode(v)),
                None => (percent_decode(p), String::new()),
            })
            .collect();
        Query { pairs }
    }

    /// The pairs, for building a new URL.
    pub fn into_pairs(self) -> BTreeMap<String, String> {
        self.pairs
    }

    /// Every `(key, value)` pair, in key order.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The raw value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs.get(key).map(String::as_str)
    }

    /// An unsigned integer parameter; a missing value gives `default`, an unparsable one
    /// gives `default` and a note.
    pub fn u32_or(&self, key: &str, default: u32, notes: &mut Vec<String>) -> u32 {
        match self.get(key) {
            None => default,
            Some(raw) => raw.trim().parse().unwrap_or_else(|_| {
                let shown: String = raw.chars().take(40).collect();
                notes.push(format!(
                    "{key} = \"{shown}\" is not a whole number ≥ 0; using {default}"
                ));
                default
            }),
        }
    }

    /// A 64-bit seed; an unparsable one gives `default` and a note.
    pub fn u64_or(&self, key: &str, default: u64, notes: &mut Vec<String>) -> u64 {
        match self.get(key) {
            None => default,
            Some(raw) => raw.trim().parse().unwrap_or_else(|_| {
                let shown: String = raw.chars().take(40).collect();
                notes.push(format!(
                    "{key} = \"{shown}\" is not a number between 0 and {}; using {default}",
                    u64::MAX
                ));
                default
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_decodes() {
        let q = Query::parse("?nodes=5&seed=12&name=a%20b+c&flag");
        assert_eq!(q.get("nodes"), Some("5"));
        assert_eq!(q.get("name"), Some("a b c"));
        assert_eq!(q.get("flag"), Some(""));
        assert_eq!(Query::parse("%zz=%4").get("%zz"), Some("%4"));
    }

    #[test]
    fn garbage_gives_the_default_and_a_note() {
        let q = Query::parse("nodes=-3&seed=abc&ok=7");
        let mut notes = Vec::new();
        assert_eq!(q.u32_or("nodes", 4, &mut notes), 4);
        assert_eq!(q.u64_or("seed", 1, &mut notes), 1);
        assert_eq!(q.u32_or("ok", 0, &mut notes), 7);
        assert_eq!(q.u32_or("missing", 9, &mut notes), 9);
        assert_eq!(notes.len(), 2);
        assert!(notes[1].contains("seed"));
    }
}
