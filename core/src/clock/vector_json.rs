//! Vector clocks in ShiViz's JSON clock form, `{"A":1,"B":2}` (Beschastnikh et al., "Debugging
//! Distributed Systems: ShiViz", CACM 2016; the form ShiViz's log parser expects).
//!
//! [`VectorClock`]'s `Display` writes the form; [`VectorClock::parse_shiviz`] reads it back
//! without any dependency, and with the `serde` feature the clock serialises to and from the
//! same JSON object. Node names are those [`NodeId`]'s `Display` prints (`A`…`Z`, `N26`, …).
//! Parsing is strict and total: malformed input, unknown names, repeated nodes, negative or
//! overflowing counters give a [`ClockParseError`] naming the byte where it went wrong, never a
//! panic. Zero counters are accepted and dropped (a missing entry reads 0).
//!
//! Invariant: `parse_shiviz(&v.to_string()) == Ok(v)` for every clock `v`.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::VectorClock;
use crate::node::NodeId;

/// What is wrong with a serialised clock, and at which byte offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClockParseError {
    /// Something other than `expected` at `at` (or the input ended there).
    Expected {
        /// What the grammar wanted.
        expected: &'static str,
        /// The byte offset.
        at: usize,
    },
    /// A key that is not a node name.
    UnknownNode {
        /// The key.
        name: String,
        /// The byte offset of the key.
        at: usize,
    },
    /// The same node twice.
    DuplicateNode {
        /// The node.
        node: NodeId,
        /// The byte offset of the second key.
        at: usize,
    },
    /// A negative counter.
    NegativeCounter {
        /// The byte offset.
        at: usize,
    },
    /// A counter above `u64::MAX`.
    CounterOverflow {
        /// The byte offset.
        at: usize,
    },
}

impl fmt::Display for ClockParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClockParseError::Expected { expected, at } => {
                write!(f, "expected {expected} at byte {at}")
            }
            ClockParseError::UnknownNode { name, at } => {
                write!(f, "unknown node name {name:?} at byte {at}")
            }
            ClockParseError::DuplicateNode { node, at } => {
                write!(f, "node {node} repeated at byte {at}")
            }
            ClockParseError::NegativeCounter { at } => write!(f, "negative counter at byte {at}"),
            ClockParseError::CounterOverflow { at } => {
                write!(f, "counter above 2^64-1 at byte {at}")
            }
        }
    }
}

impl core::error::Error for ClockParseError {}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn skip_ws(&mut self) {
        while matches!(self.bytes.get(self.at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }
    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.bytes.get(self.at).copied()
    }
    fn expect(&mut self, byte: u8, expected: &'static str) -> Result<(), ClockParseError> {
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(ClockParseError::Expected {
                expected,
                at: self.at,
            })
        }
    }
    fn key(&mut self) -> Result<(NodeId, usize), ClockParseError> {
        self.expect(b'"', "'\"'")?;
        let start = self.at;
        let len = self.bytes[start..].iter().position(|&b| b == b'"').ok_or(
            ClockParseError::Expected {
                expected: "closing '\"'",
                at: self.bytes.len(),
            },
        )?;
        self.at = start + len + 1;
        let raw = &self.bytes[start..start + len];
        let name = core::str::from_utf8(raw).unwrap_or("");
        // Only canonical names: `NodeId::from_name` also accepts "N5" and "N07".
        let canonical = NodeId::from_name(name).filter(|&n| prints_as(n, name));
        match canonical {
            Some(node) => Ok((node, start - 1)),
            None => Err(ClockParseError::UnknownNode {
                name: String::from_utf8_lossy(raw).into_owned(),
                at: start - 1,
            }),
        }
    }
    fn counter(&mut self) -> Result<u64, ClockParseError> {
        let start = {
            self.skip_ws();
            self.at
        };
        if self.bytes.get(self.at) == Some(&b'-') {
            return Err(ClockParseError::NegativeCounter { at: start });
        }
        let mut value: u64 = 0;
        let mut digits = 0;
        while let Some(d @ b'0'..=b'9') = self.bytes.get(self.at).copied() {
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(d - b'0')))
                .ok_or(ClockParseError::CounterOverflow { at: start })?;
            self.at += 1;
            digits += 1;
        }
        if digits == 0 {
            return Err(ClockParseError::Expected {
                expected: "a counter",
                at: start,
            });
        }
        Ok(value)
    }
}

/// The first key (in input order) that repeats an earlier one: O(n log n), so a hostile
/// input with many keys cannot make parsing quadratic.
fn first_repeat(keys: &mut [(NodeId, usize)]) -> Option<(NodeId, usize)> {
    if keys.windows(2).all(|w| w[0].0 < w[1].0) {
        return None; // the canonical (sorted) form
    }
    keys.sort_unstable();
    keys.windows(2)
        .filter(|w| w[0].0 == w[1].0)
        .map(|w| w[1])
        .min_by_key(|k| k.1)
}

/// Whether `node` prints exactly as `name` (so `"N07"` and `"N5"` are refused).
fn prints_as(node: NodeId, name: &str) -> bool {
    use core::fmt::Write;
    let mut buf = ShortName::default();
    write!(buf, "{node}").is_ok() && buf.as_str() == name
}

/// A stack buffer for a printed node name (at most `N` + 10 digits).
#[derive(Default)]
struct ShortName {
    bytes: [u8; 16],
    len: usize,
}

impl ShortName {
    fn as_str(&self) -> &str {
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

impl fmt::Write for ShortName {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        self.bytes
            .get_mut(self.len..end)
            .ok_or(fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl VectorClock {
    /// Parses ShiViz's JSON clock form, e.g. `{"A":1,"B":2}` (whitespace allowed).
    ///
    /// ```
    /// use chronoscope::{clock::{ClockParseError, VectorClock}, node::NodeId};
    /// let v = VectorClock::parse_shiviz(r#"{"A": 1, "N27": 4}"#).unwrap();
    /// assert_eq!((v.get(NodeId(0)), v.get(NodeId(27))), (1, 4));
    /// assert_eq!(VectorClock::parse_shiviz(&v.to_string()), Ok(v));
    /// assert_eq!(VectorClock::parse_shiviz(r#"{"A":-1}"#), Err(ClockParseError::NegativeCounter { at: 5 }));
    /// ```
    pub fn parse_shiviz(text: &str) -> Result<VectorClock, ClockParseError> {
        let mut cur = Cursor {
            bytes: text.as_bytes(),
            at: 0,
        };
        cur.expect(b'{', "'{'")?;
        let mut pairs: Vec<(NodeId, u64)> = Vec::new();
        let mut keys: Vec<(NodeId, usize)> = Vec::new();
        if cur.peek() == Some(b'}') {
            cur.at += 1;
        } else {
            loop {
                let (node, at) = cur.key()?;
                keys.push((node, at));
                cur.expect(b':', "':'")?;
                pairs.push((node, cur.counter()?));
                match cur.peek() {
                    Some(b',') => cur.at += 1,
                    Some(b'}') => {
                        cur.at += 1;
                        break;
                    }
                    _ => {
                        return Err(ClockParseError::Expected {
                            expected: "',' or '}'",
                            at: cur.at,
                        })
                    }
                }
            }
        }
        if cur.peek().is_some() {
            return Err(ClockParseError::Expected {
                expected: "end of input",
                at: cur.at,
            });
        }
        if let Some((node, at)) = first_repeat(&mut keys) {
            return Err(ClockParseError::DuplicateNode { node, at });
        }
        Ok(VectorClock::from_entries(pairs))
    }
}

#[cfg(feature = "serde")]
mod serde_impl {
    use super::*;
    use serde::de::{Error, MapAccess, Visitor};
    use serde::ser::SerializeMap;

    impl serde::Serialize for VectorClock {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut map = s.serialize_map(Some(self.len()))?;
            for (node, counter) in self.iter() {
                map.serialize_entry(&alloc::format!("{node}"), &counter)?;
            }
            map.end()
        }
    }

    struct ClockVisitor;

    impl<'de> Visitor<'de> for ClockVisitor {
        type Value = VectorClock;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(r#"a ShiViz clock object such as {"A":1,"B":2}"#)
        }
        fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<VectorClock, M::Error> {
            let mut pairs: Vec<(NodeId, u64)> = Vec::new();
            let mut keys: Vec<(NodeId, usize)> = Vec::new();
            while let Some(name) = map.next_key::<String>()? {
                let node = NodeId::from_name(&name)
                    .filter(|&n| prints_as(n, &name))
                    .ok_or_else(|| {
                        M::Error::custom(alloc::format!("unknown node name {name:?}"))
                    })?;
                keys.push((node, keys.len()));
                pairs.push((node, map.next_value::<u64>()?));
            }
            if let Some((node, _)) = first_repeat(&mut keys) {
                return Err(M::Error::custom(alloc::format!("node {node} repeated")));
            }
            Ok(VectorClock::from_entries(pairs))
        }
    }

    impl<'de> serde::Deserialize<'de> for VectorClock {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_map(ClockVisitor)
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn clock() -> impl Strategy<Value = VectorClock> {
        proptest::collection::vec((0u32..60, any::<u64>()), 0..8)
            .prop_map(|v| VectorClock::from_entries(v.into_iter().map(|(n, c)| (NodeId(n), c))))
    }

    proptest! {
        #[test]
        fn display_round_trips(v in clock()) {
            prop_assert_eq!(VectorClock::parse_shiviz(&v.to_string()), Ok(v));
        }

        #[test]
        fn arbitrary_text_never_panics(s in ".{0,40}", t in r#"[{}":,\-0-9AN \\]{0,30}"#) {
            let _ = VectorClock::parse_shiviz(&s);
            if let Ok(v) = VectorClock::parse_shiviz(&t) {
                prop_assert_eq!(VectorClock::parse_shiviz(&v.to_string()), Ok(v));
            }
        }
    }

    #[test]
    fn malformed_clocks_get_typed_errors() {
        let err = |s: &str| VectorClock::parse_shiviz(s).unwrap_err();
        assert!(matches!(err(""), ClockParseError::Expected { at: 0, .. }));
        assert!(matches!(
            err(r#"{"A":1"#),
            ClockParseError::Expected { at: 6, .. }
        ));
        assert!(matches!(
            err(r#"{"A":1,}"#),
            ClockParseError::Expected { .. }
        ));
        assert!(matches!(
            err(r#"{"A":1} x"#),
            ClockParseError::Expected { at: 8, .. }
        ));
        assert!(matches!(
            err(r#"{"host1":1}"#),
            ClockParseError::UnknownNode { .. }
        ));
        assert!(matches!(
            err(r#"{"a":1}"#),
            ClockParseError::UnknownNode { .. }
        ));
        assert!(matches!(
            err(r#"{"N07":1}"#),
            ClockParseError::UnknownNode { .. }
        ));
        assert!(matches!(
            err(r#"{"A":1,"A":2}"#),
            ClockParseError::DuplicateNode { at: 7, .. }
        ));
        assert!(matches!(
            err(r#"{"A":-3}"#),
            ClockParseError::NegativeCounter { at: 5 }
        ));
        assert!(matches!(
            err(r#"{"A":18446744073709551616}"#),
            ClockParseError::CounterOverflow { at: 5 }
        ));
        assert!(matches!(
            err(r#"{"A":1.5}"#),
            ClockParseError::Expected { at: 6, .. }
        ));
        assert!(matches!(
            err(r#"{"N5":1}"#),
            ClockParseError::UnknownNode { .. }
        ));
        let max = VectorClock::parse_shiviz(r#"{"A":18446744073709551615,"B":0}"#).unwrap();
        assert_eq!(max.iter().collect::<Vec<_>>(), [(NodeId(0), u64::MAX)]);
        // A parsed clock at the top is refused by the receiving clock, never capped.
        let mut local = VectorClock::from_entries([(NodeId(0), 3), (NodeId(1), 2)]);
        let before = local.clone();
        assert_eq!(
            local.try_receive(NodeId(0), &max),
            Err(crate::clock::ClockError::CounterOverflow {
                node: Some(NodeId(0))
            })
        );
        assert_eq!(local, before);
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serde_json_round_trips_and_refuses_bad_counters() {
        let v = VectorClock::parse_shiviz(r#"{"A":1,"N30":2}"#).unwrap();
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(json, r#"{"A":1,"N30":2}"#);
        assert_eq!(serde_json::from_str::<VectorClock>(&json).unwrap(), v);
        assert!(serde_json::from_str::<VectorClock>(r#"{"A":-1}"#).is_err());
        assert!(serde_json::from_str::<VectorClock>(r#"{"A":18446744073709551616}"#).is_err());
        assert!(serde_json::from_str::<VectorClock>(r#"{"x":1}"#).is_err());
        assert!(serde_json::from_str::<VectorClock>(r#"[1]"#).is_err());
        assert!(serde_json::from_str::<VectorClock>(r#"{"B":1,"A":1,"B":2}"#).is_err());
    }
}
