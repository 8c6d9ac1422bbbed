//! The canonical byte encoding shared by update hashing, the wire and saved replicas.
//!
//! Little-endian fixed-width integers, length-prefixed lists, nothing optional left implicit
//! — so one value has exactly one encoding, which is what lets the SHA-256 of the encoding
//! name an update (Kleppmann, "Making CRDTs Byzantine Fault Tolerant", PaPoC 2022, §3: the
//! hash must cover the content *and* the dependencies). The [`Reader`] never reads past its
//! input and never allocates more than the input could hold, so hostile bytes cost at most
//! their own length.

use alloc::vec::Vec;
use core::fmt;

/// Why bytes could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The input ended inside a value.
    Truncated {
        /// Byte offset where more input was needed.
        at: usize,
    },
    /// A tag byte names no known variant.
    UnknownTag {
        /// Byte offset of the tag.
        at: usize,
        /// The tag found.
        tag: u8,
    },
    /// A list is longer than its cap allows.
    TooLong {
        /// Byte offset of the length.
        at: usize,
        /// The length found.
        len: u64,
        /// The largest length allowed there.
        max: usize,
    },
    /// A character field is not a Unicode scalar value.
    BadChar {
        /// Byte offset of the character.
        at: usize,
    },
    /// Bytes left over after the value.
    Trailing {
        /// Byte offset of the first unread byte.
        at: usize,
    },
    /// The input is larger than any message or save may be.
    Oversized {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            DecodeError::Truncated { at } => write!(f, "input ends inside a value at byte {at}"),
            DecodeError::UnknownTag { at, tag } => write!(f, "unknown tag {tag} at byte {at}"),
            DecodeError::TooLong { at, len, max } => {
                write!(
                    f,
                    "list of {len} items at byte {at} exceeds the cap of {max}"
                )
            }
            DecodeError::BadChar { at } => write!(f, "not a Unicode character at byte {at}"),
            DecodeError::Trailing { at } => write!(f, "unexpected bytes after the value at {at}"),
            DecodeError::Oversized { len, max } => {
                write!(f, "{len} bytes exceed the {max}-byte limit")
            }
        }
    }
}

impl core::error::Error for DecodeError {}

/// Appends canonical encodings to a byte vector.
#[derive(Debug, Default)]
pub struct Writer {
    /// The bytes written so far.
    pub bytes: Vec<u8>,
}

impl Writer {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }
    /// One byte.
    pub fn u8(&mut self, v: u8) {
        self.bytes.push(v);
    }
    /// A little-endian `u32`.
    pub fn u32(&mut self, v: u32) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }
    /// A little-endian `u64`.
    pub fn u64(&mut self, v: u64) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }
    /// Raw bytes of a fixed-size field.
    pub fn raw(&mut self, v: &[u8]) {
        self.bytes.extend_from_slice(v);
    }
    /// A list length.
    pub fn len(&mut self, n: usize) {
        self.u32(u32::try_from(n).unwrap_or(u32::MAX));
    }
}

/// Reads canonical encodings from a byte slice, refusing anything malformed.
#[derive(Debug)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, at: 0 }
    }
    /// The current byte offset.
    pub fn position(&self) -> usize {
        self.at
    }
    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.at
    }
    /// `n` raw bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.remaining() < n {
            return Err(DecodeError::Truncated {
                at: self.bytes.len(),
            });
        }
        let out = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(out)
    }
    /// A fixed-size array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
    /// One byte.
    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }
    /// A little-endian `u32`.
    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    /// A little-endian `u64`.
    pub fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    /// A list length, at most `max`, and at most what `item_bytes`-sized items the rest of
    /// the input could hold (so a hostile length never reserves memory it does not carry).
    pub fn len(&mut self, max: usize, item_bytes: usize) -> Result<usize, DecodeError> {
        let at = self.at;
        let n = self.u32()? as usize;
        if n > max {
            return Err(DecodeError::TooLong {
                at,
                len: n as u64,
                max,
            });
        }
        if n.saturating_mul(item_bytes.max(1)) > self.remaining() {
            return Err(DecodeError::Truncated {
                at: self.bytes.len(),
            });
        }
        Ok(n)
    }
    /// A tag byte, refused unless below `variants`.
    pub fn tag(&mut self, variants: u8) -> Result<u8, DecodeError> {
        let at = self.at;
        let tag = self.u8()?;
        if tag < variants {
            Ok(tag)
        } else {
            Err(DecodeError::UnknownTag { at, tag })
        }
    }
    /// A Unicode scalar value.
    pub fn char(&mut self) -> Result<char, DecodeError> {
        let at = self.at;
        char::from_u32(self.u32()?).ok_or(DecodeError::BadChar { at })
    }
    /// Refuses leftover bytes.
    pub fn finish(&self) -> Result<(), DecodeError> {
        if self.remaining() == 0 {
            Ok(())
        } else {
            Err(DecodeError::Trailing { at: self.at })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let mut w = Writer::new();
        w.u8(1);
        w.u32(7);
        w.u64(u64::MAX);
        w.len(2);
        w.u32('é' as u32);
        let mut r = Reader::new(&w.bytes);
        assert_eq!(r.tag(2), Ok(1));
        assert_eq!(r.u32(), Ok(7));
        assert_eq!(r.u64(), Ok(u64::MAX));
        assert_eq!(r.len(2, 1), Ok(2));
        assert_eq!(r.char(), Ok('é'));
        assert_eq!(r.finish(), Ok(()));
        assert_eq!(
            Reader::new(&[5]).tag(2),
            Err(DecodeError::UnknownTag { at: 0, tag: 5 })
        );
        assert_eq!(
            Reader::new(&[9, 0, 0, 0]).len(4, 1),
            Err(DecodeError::TooLong {
                at: 0,
                len: 9,
                max: 4
            })
        );
        // A length the input cannot carry is refused before anything is reserved.
        assert_eq!(
            Reader::new(&[3, 0, 0, 0]).len(100, 32),
            Err(DecodeError::Truncated { at: 4 })
        );
        assert_eq!(
            Reader::new(&[0, 0xD8, 0, 0]).char(),
            Err(DecodeError::BadChar { at: 0 })
        );
    }
}
