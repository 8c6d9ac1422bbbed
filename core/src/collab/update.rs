//! Signed updates named by the hash of their content and dependencies (Kleppmann, "Making
//! CRDTs Byzantine Fault Tolerant", PaPoC 2022, §3–4; Kleppmann & Howard, "Byzantine
//! Eventual Consistency and the Fundamental Limits of Peer-to-Peer Databases", 2020, §4).
//!
//! An [`Update`] is `{author, seq, deps, op}`: the author's Ed25519 public key, the author's
//! sequence number, the hashes of the updates the author had as heads, and one text edit:
//! an insert of a *run* of up to [`MAX_RUN`] characters (character `i` of the run is named
//! `(update id, i)`, a [`CharId`]) or a delete of up to [`MAX_RANGES`] ranges of such
//! characters, so a keystroke, a 1,000-character paste or a selection's deletion is one
//! signed update. Its id is the SHA-256 of the canonical encoding of those four fields; the
//! author signs the id. Invariant: an update that passes [`Update::verify`] has exactly the id it claims
//! (so two different updates can never share one) and was signed by the key it names (so a
//! forger can author updates only under its own key).

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use super::codec::{DecodeError, Reader, Writer};
pub use super::runs::{CharId, CharRange, Op, MAX_RANGES, MAX_RUN};

/// The most dependencies one update may name.
pub const MAX_DEPS: usize = 32;

/// Domain separation for the hashed bytes (a hash of anything else never names an update).
const DOMAIN: &[u8] = b"chronoscope/collab/update/v2";

/// A SHA-256 digest naming an update.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct UpdateHash(pub [u8; 32]);

impl fmt::Display for UpdateHash {
    /// The first 4 bytes in hex (enough to tell updates apart on screen).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in &self.0[..4] {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for UpdateHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{self}")
    }
}

/// An author's Ed25519 public key (the only identity the protocol trusts).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct AuthorKey(pub [u8; 32]);

impl fmt::Display for AuthorKey {
    /// The first 3 bytes in hex.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in &self.0[..3] {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for AuthorKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "@{self}")
    }
}

/// Why an update was refused before it touched any state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateError {
    /// The claimed id is not the hash of the content (a forged or reused id).
    BadHash {
        /// The id claimed.
        claimed: UpdateHash,
    },
    /// The signature does not verify under the named author's key (or the key is invalid).
    BadSignature {
        /// The update.
        id: UpdateHash,
    },
    /// Dependencies not strictly ascending or too many, an empty or over-long run, or
    /// delete ranges that are empty, unsorted, overlapping, touching or too many (not the
    /// canonical form, or over a cap).
    Malformed {
        /// The update.
        id: UpdateHash,
    },
}

impl fmt::Display for UpdateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UpdateError::BadHash { claimed } => {
                write!(f, "update {claimed} does not hash to its id")
            }
            UpdateError::BadSignature { id } => write!(f, "update {id} has a bad signature"),
            UpdateError::Malformed { id } => {
                write!(
                    f,
                    "update {id} is not in canonical form (dependencies, run or ranges)"
                )
            }
        }
    }
}

impl core::error::Error for UpdateError {}

/// A signing identity, made from 32 seed bytes the driver supplies (the simulator from its
/// seeded generator, a browser tab from `getrandom`).
#[derive(Clone)]
pub struct Author {
    signing: SigningKey,
    key: AuthorKey,
}

impl fmt::Debug for Author {
    /// Shows the public key only, never the secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Author({:?})", self.key)
    }
}

impl Author {
    /// The identity whose secret key is `seed`.
    pub fn from_seed(seed: [u8; 32]) -> Author {
        let signing = SigningKey::from_bytes(&seed);
        let key = AuthorKey(signing.verifying_key().to_bytes());
        Author { signing, key }
    }
    /// The public key.
    pub fn key(&self) -> AuthorKey {
        self.key
    }
    /// Signs `message` (callers put a domain-separation prefix first).
    pub(super) fn sign_bytes(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }
}

/// Author keys already decompressed (a quarter of a verification's cost), so that many
/// updates by one author decompress its key once. Holds at most [`KeyCache::CAP`] keys and
/// starts over when full, so made-up keys cost bounded memory.
#[derive(Clone, Debug, Default)]
pub struct KeyCache {
    keys: BTreeMap<AuthorKey, Option<VerifyingKey>>,
}

impl KeyCache {
    /// The most keys kept.
    pub const CAP: usize = 256;

    fn key(&mut self, author: AuthorKey) -> Option<&VerifyingKey> {
        if self.keys.len() >= Self::CAP && !self.keys.contains_key(&author) {
            self.keys.clear();
        }
        self.keys
            .entry(author)
            .or_insert_with(|| VerifyingKey::from_bytes(&author.0).ok())
            .as_ref()
    }

    /// Checks `update`'s signature, like [`Update::verify_signature`].
    pub fn verify_signature(&mut self, update: &Update) -> Result<(), UpdateError> {
        let key = self.key(update.author);
        update.verify_with(key)
    }

    /// Whether `signature` is `author`'s signature of `message` (strict verification).
    pub fn verify_bytes(
        &mut self,
        author: AuthorKey,
        message: &[u8],
        signature: &[u8; 64],
    ) -> bool {
        let signature = Signature::from_bytes(signature);
        self.key(author)
            .is_some_and(|k| k.verify_strict(message, &signature).is_ok())
    }
}

/// One signed edit as it travels and is stored.
///
/// # Examples
///
/// ```
/// use chronoscope::collab::update::{Author, CharId, Op, Update, UpdateError};
/// let alice = Author::from_seed([1; 32]);
/// let op = Op::Insert { after: None, text: "hello".into() };
/// let u = Update::sign(&alice, 1, Vec::new(), op);
/// assert_eq!(u.verify(), Ok(()));
/// // Its characters are named (u.id, 0) … (u.id, 4); the next run can follow the 'o'.
/// let next = Op::Insert { after: Some(CharId::new(u.id, 4)), text: "!".into() };
/// assert_eq!(Update::sign(&alice, 2, vec![u.id], next).verify(), Ok(()));
/// let mut forged = u.clone();
/// forged.op = Op::Insert { after: None, text: "world".into() }; // same id, other content
/// assert_eq!(forged.verify(), Err(UpdateError::BadHash { claimed: u.id }));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Update {
    /// The id it claims: SHA-256 of the canonical `(author, seq, deps, op)`.
    pub id: UpdateHash,
    /// The author's public key.
    pub author: AuthorKey,
    /// The author's sequence number (1, 2, …).
    pub seq: u64,
    /// Hashes of the author's heads when it made the update, strictly ascending.
    pub deps: Vec<UpdateHash>,
    /// The edit.
    pub op: Op,
    /// The author's Ed25519 signature of `id`.
    pub signature: [u8; 64],
}

/// The smallest encoded update: id, author, seq, an empty dependency list, a one-byte
/// insert at the start, signature.
pub const MIN_ENCODED: usize = 32 + 32 + 8 + 4 + (1 + 1 + 4 + 1) + 64;

/// The bytes of an encoded update besides its run or ranges, at most (id, author, seq,
/// [`MAX_DEPS`] dependencies, tags, anchor, list length, signature).
pub const MAX_OVERHEAD: usize = 32 + 32 + 8 + 4 + 32 * MAX_DEPS + 1 + 1 + 36 + 4 + 64;

/// The encoded size of one delete range.
pub const RANGE_BYTES: usize = 32 + 4 + 4;

impl Update {
    /// Makes and signs an update; `deps` is sorted and deduplicated (canonical form) and
    /// cut to [`MAX_DEPS`] (the caller puts the ones it must keep first), and a delete's
    /// ranges are put in canonical form ([`Op::normalize`]). An insert over [`MAX_RUN`]
    /// characters or a delete over [`MAX_RANGES`] ranges is signed as given and then fails
    /// [`Update::verify_hash`] (the caller splits edits first).
    pub fn sign(author: &Author, seq: u64, mut deps: Vec<UpdateHash>, mut op: Op) -> Update {
        deps.truncate(MAX_DEPS);
        deps.sort_unstable();
        deps.dedup();
        op.normalize();
        let id = content_hash(&author.key, seq, &deps, &op);
        let signature = author.signing.sign(&id.0).to_bytes();
        Update {
            id,
            author: author.key,
            seq,
            deps,
            op,
            signature,
        }
    }

    /// The SHA-256 of the content (what the id must be).
    pub fn content_hash(&self) -> UpdateHash {
        content_hash(&self.author, self.seq, &self.deps, &self.op)
    }

    /// Checks the canonical form, the id and the signature.
    pub fn verify(&self) -> Result<(), UpdateError> {
        self.verify_hash()?;
        self.verify_signature()
    }

    /// Checks the canonical form (dependencies, run, ranges) and that the id is the
    /// content's hash (cheap).
    pub fn verify_hash(&self) -> Result<(), UpdateError> {
        if self.content_hash() != self.id {
            return Err(UpdateError::BadHash { claimed: self.id });
        }
        let sorted = self.deps.windows(2).all(|w| w[0] < w[1]);
        if !sorted || self.deps.len() > MAX_DEPS || !self.op.canonical() {
            return Err(UpdateError::Malformed { id: self.id });
        }
        Ok(())
    }

    /// Checks the signature of the id under the author's key (the costly part).
    pub fn verify_signature(&self) -> Result<(), UpdateError> {
        let key = VerifyingKey::from_bytes(&self.author.0).ok();
        self.verify_with(key.as_ref())
    }

    fn verify_with(&self, key: Option<&VerifyingKey>) -> Result<(), UpdateError> {
        let bad = UpdateError::BadSignature { id: self.id };
        let signature = Signature::from_bytes(&self.signature);
        key.ok_or(bad)?
            .verify_strict(&self.id.0, &signature)
            .map_err(|_| bad)
    }

    /// Appends the wire encoding (id, content, signature).
    pub fn encode(&self, w: &mut Writer) {
        w.raw(&self.id.0);
        encode_content(w, &self.author, self.seq, &self.deps, &self.op);
        w.raw(&self.signature);
    }

    /// The wire encoding's length in bytes.
    pub fn encoded_len(&self) -> usize {
        let op = match &self.op {
            Op::Insert { after, text } => 1 + 1 + after.map_or(0, |_| 36) + 4 + text.len(),
            Op::Delete { ranges } => 1 + 4 + RANGE_BYTES * ranges.len(),
        };
        32 + 32 + 8 + 4 + 32 * self.deps.len() + op + 64
    }

    /// Reads one update's wire encoding (no verification: see [`Update::verify`]).
    pub fn decode(r: &mut Reader<'_>) -> Result<Update, DecodeError> {
        let id = UpdateHash(r.array()?);
        let author = AuthorKey(r.array()?);
        let seq = r.u64()?;
        let n = r.len(MAX_DEPS, 32)?;
        let mut deps = Vec::with_capacity(n);
        for _ in 0..n {
            deps.push(UpdateHash(r.array()?));
        }
        let op = match r.tag(2)? {
            0 => {
                let after = match r.tag(2)? {
                    0 => None,
                    _ => Some(CharId::new(UpdateHash(r.array()?), r.u32()?)),
                };
                Op::Insert {
                    after,
                    text: run(r)?,
                }
            }
            _ => {
                let n = r.len(MAX_RANGES, RANGE_BYTES)?;
                let mut ranges = Vec::with_capacity(n);
                for _ in 0..n {
                    ranges.push(CharRange {
                        update: UpdateHash(r.array()?),
                        start: r.u32()?,
                        len: r.u32()?,
                    });
                }
                Op::Delete { ranges }
            }
        };
        let signature = r.array()?;
        Ok(Update {
            id,
            author,
            seq,
            deps,
            op,
            signature,
        })
    }
}

/// A run: its UTF-8 length in bytes, then the bytes; at most [`MAX_RUN`] characters.
fn run(r: &mut Reader<'_>) -> Result<String, DecodeError> {
    let at = r.position();
    let n = r.len(4 * MAX_RUN, 1)?;
    let bytes = r.take(n)?;
    let text = core::str::from_utf8(bytes).map_err(|_| DecodeError::BadChar { at: at + 4 })?;
    let chars = text.chars().count();
    if chars > MAX_RUN {
        return Err(DecodeError::TooLong {
            at,
            len: chars as u64,
            max: MAX_RUN,
        });
    }
    Ok(String::from(text))
}

/// Where canonical content bytes go: the wire encoding, or straight into the hash.
trait Sink {
    fn raw(&mut self, bytes: &[u8]);
}

impl Sink for Writer {
    fn raw(&mut self, bytes: &[u8]) {
        Writer::raw(self, bytes);
    }
}

impl Sink for Sha256 {
    fn raw(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }
}

fn len_bytes(n: usize) -> [u8; 4] {
    u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes()
}

fn encode_content<S: Sink>(w: &mut S, author: &AuthorKey, seq: u64, deps: &[UpdateHash], op: &Op) {
    w.raw(&author.0);
    w.raw(&seq.to_le_bytes());
    w.raw(&len_bytes(deps.len()));
    for d in deps {
        w.raw(&d.0);
    }
    match op {
        Op::Insert { after, text } => {
            w.raw(&[0]);
            match after {
                None => w.raw(&[0]),
                Some(a) => {
                    w.raw(&[1]);
                    w.raw(&a.update.0);
                    w.raw(&a.offset.to_le_bytes());
                }
            }
            w.raw(&len_bytes(text.len()));
            w.raw(text.as_bytes());
        }
        Op::Delete { ranges } => {
            w.raw(&[1]);
            w.raw(&len_bytes(ranges.len()));
            for r in ranges {
                w.raw(&r.update.0);
                w.raw(&r.start.to_le_bytes());
                w.raw(&r.len.to_le_bytes());
            }
        }
    }
}

fn content_hash(author: &AuthorKey, seq: u64, deps: &[UpdateHash], op: &Op) -> UpdateHash {
    let mut h = Sha256::new();
    h.update(DOMAIN);
    encode_content(&mut h, author, seq, deps, op);
    UpdateHash(h.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn alice() -> Author {
        Author::from_seed([7; 32])
    }

    fn ins(after: Option<CharId>, text: &str) -> Op {
        Op::Insert {
            after,
            text: text.into(),
        }
    }

    #[test]
    fn a_signed_run_verifies_and_round_trips() {
        let a = alice();
        let first = Update::sign(&a, 1, Vec::new(), ins(None, "héllo"));
        let second = Update::sign(
            &a,
            2,
            vec![first.id],
            ins(Some(CharId::new(first.id, 4)), "!"),
        );
        let del = Update::sign(
            &a,
            3,
            vec![second.id],
            Op::Delete {
                ranges: vec![
                    CharRange::one(CharId::new(first.id, 3)),
                    CharRange::one(CharId::new(first.id, 1)),
                    CharRange::one(CharId::new(first.id, 2)),
                ],
            },
        );
        // The three single ranges were merged into one on signing.
        assert_eq!(
            del.op,
            Op::Delete {
                ranges: vec![CharRange {
                    update: first.id,
                    start: 1,
                    len: 3
                }]
            }
        );
        for u in [&first, &second, &del] {
            assert_eq!(u.verify(), Ok(()));
            let mut w = Writer::new();
            u.encode(&mut w);
            assert_eq!(w.bytes.len(), u.encoded_len());
            let mut r = Reader::new(&w.bytes);
            assert_eq!(Update::decode(&mut r).as_ref(), Ok(u));
            assert_eq!(r.finish(), Ok(()));
        }
        assert_eq!(first.op.run_len(), 5);
        assert_eq!(del.op.references(), vec![first.id]);
    }

    #[test]
    fn forged_ids_claimed_authors_and_non_canonical_ops_are_refused() {
        let a = alice();
        let mallory = Author::from_seed([9; 32]);
        let u = Update::sign(&a, 1, Vec::new(), ins(None, "h"));
        let mut forged = u.clone();
        forged.op = ins(None, "x");
        assert_eq!(forged.verify(), Err(UpdateError::BadHash { claimed: u.id }));
        let mut claimed = Update::sign(
            &mallory,
            1,
            Vec::new(),
            Op::delete_char(CharId::new(u.id, 0)),
        );
        claimed.author = a.key();
        claimed.id = claimed.content_hash();
        assert_eq!(
            claimed.verify(),
            Err(UpdateError::BadSignature { id: claimed.id })
        );
        let (x, y) = (UpdateHash([1; 32]), UpdateHash([2; 32]));
        let malformed = |mut v: Update| {
            v.id = v.content_hash();
            v.verify_hash()
        };
        let base = Update::sign(&a, 1, vec![x, y], Op::delete_char(CharId::new(x, 0)));
        let mut unsorted = base.clone();
        unsorted.deps = vec![y, x];
        let mut empty_run = base.clone();
        empty_run.op = ins(None, "");
        let mut long_run = base.clone();
        long_run.op = ins(None, &"a".repeat(MAX_RUN + 1));
        let mut no_ranges = base.clone();
        no_ranges.op = Op::Delete { ranges: vec![] };
        let r = |update, start, len| CharRange { update, start, len };
        let mut touching = base.clone();
        touching.op = Op::Delete {
            ranges: vec![r(x, 0, 2), r(x, 2, 1)],
        };
        let mut backwards = base.clone();
        backwards.op = Op::Delete {
            ranges: vec![r(y, 0, 1), r(x, 0, 1)],
        };
        let mut zero = base.clone();
        zero.op = Op::Delete {
            ranges: vec![r(x, 0, 0)],
        };
        let mut past = base.clone();
        past.op = Op::Delete {
            ranges: vec![r(x, u32::MAX, 2)],
        };
        for v in [
            unsorted, empty_run, long_run, no_ranges, touching, backwards, zero, past,
        ] {
            let id = v.content_hash();
            assert_eq!(malformed(v), Err(UpdateError::Malformed { id }));
        }
        assert_eq!(base.verify(), Ok(()));
    }

    #[test]
    fn hostile_run_bytes_are_refused() {
        let a = alice();
        let u = Update::sign(&a, 1, Vec::new(), ins(None, "ab"));
        let mut w = Writer::new();
        u.encode(&mut w);
        // The run's bytes sit just before the signature: make them invalid UTF-8.
        let mut bad = w.bytes.clone();
        let at = bad.len() - 64 - 2;
        bad[at] = 0xC3;
        assert!(matches!(
            Update::decode(&mut Reader::new(&bad)),
            Err(DecodeError::BadChar { .. })
        ));
        // A run length far over the cap.
        let mut huge = w.bytes.clone();
        let len_at = bad.len() - 64 - 2 - 4;
        huge[len_at..len_at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            Update::decode(&mut Reader::new(&huge)),
            Err(DecodeError::TooLong { .. })
        ));
        // Every truncation is an error, never a panic.
        for cut in 0..w.bytes.len() {
            assert!(Update::decode(&mut Reader::new(&w.bytes[..cut])).is_err());
        }
    }

    #[test]
    fn the_hash_covers_every_field() {
        let a = alice();
        let base = Update::sign(&a, 1, Vec::new(), ins(None, "h"));
        let c = CharId::new(base.id, 0);
        let variants = [
            Update::sign(&a, 2, Vec::new(), ins(None, "h")),
            Update::sign(&a, 1, vec![base.id], ins(None, "h")),
            Update::sign(&a, 1, Vec::new(), ins(None, "j")),
            Update::sign(&a, 1, Vec::new(), ins(None, "hh")),
            Update::sign(&a, 1, Vec::new(), ins(Some(c), "h")),
            Update::sign(&a, 1, Vec::new(), ins(Some(CharId::new(base.id, 1)), "h")),
            Update::sign(&a, 1, Vec::new(), Op::delete_char(c)),
            Update::sign(&Author::from_seed([8; 32]), 1, Vec::new(), ins(None, "h")),
        ];
        let ids: alloc::collections::BTreeSet<UpdateHash> = variants.iter().map(|v| v.id).collect();
        assert_eq!(ids.len(), variants.len());
        assert!(!ids.contains(&base.id));
    }
}
