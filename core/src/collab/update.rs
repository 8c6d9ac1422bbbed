//! Signed updates named by the hash of their content and dependencies (Kleppmann, "Making
//! CRDTs Byzantine Fault Tolerant", PaPoC 2022, §3–4; Kleppmann & Howard, "Byzantine
//! Eventual Consistency and the Fundamental Limits of Peer-to-Peer Databases", 2020, §4).
//!
//! An [`Update`] is `{author, seq, deps, op}`: the author's Ed25519 public key, the author's
//! sequence number, the hashes of the updates the author had as heads, and one text edit.
//! Its id is the SHA-256 of the canonical encoding of those four fields; the author signs
//! the id. Invariant: an update that passes [`Update::verify`] has exactly the id it claims
//! (so two different updates can never share one) and was signed by the key it names (so a
//! forger can author updates only under its own key).

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::fmt;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use super::codec::{DecodeError, Reader, Writer};

/// The most dependencies one update may name.
pub const MAX_DEPS: usize = 32;

/// Domain separation for the hashed bytes (a hash of anything else never names an update).
const DOMAIN: &[u8] = b"chronoscope/collab/update/v1";

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

/// One text edit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Insert `ch` right after the element made by update `after` (`None`: at the start).
    Insert {
        /// The insert update whose character this one follows.
        after: Option<UpdateHash>,
        /// The character.
        ch: char,
    },
    /// Delete the element made by update `target`.
    Delete {
        /// The insert update whose character is deleted.
        target: UpdateHash,
    },
}

impl Op {
    /// The update this edit refers to (an implicit dependency: it is delivered first).
    pub fn reference(&self) -> Option<UpdateHash> {
        match *self {
            Op::Insert { after, .. } => after,
            Op::Delete { target } => Some(target),
        }
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
    /// Dependencies not strictly ascending (so not canonical), or too many.
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
                    "update {id} has unsorted, repeated or too many dependencies"
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

    /// Checks `update`'s signature, like [`Update::verify_signature`].
    pub fn verify_signature(&mut self, update: &Update) -> Result<(), UpdateError> {
        if self.keys.len() >= Self::CAP && !self.keys.contains_key(&update.author) {
            self.keys.clear();
        }
        let key = self
            .keys
            .entry(update.author)
            .or_insert_with(|| VerifyingKey::from_bytes(&update.author.0).ok());
        update.verify_with(key.as_ref())
    }
}

/// One signed edit as it travels and is stored.
///
/// # Examples
///
/// ```
/// use chronoscope::collab::update::{Author, Op, Update, UpdateError};
/// let alice = Author::from_seed([1; 32]);
/// let u = Update::sign(&alice, 1, Vec::new(), Op::Insert { after: None, ch: 'a' });
/// assert_eq!(u.verify(), Ok(()));
/// let mut forged = u.clone();
/// forged.op = Op::Insert { after: None, ch: 'z' }; // same id, other content
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

/// The smallest encoded update: id, author, seq, an empty dependency list, an insert at
/// the start, signature.
pub const MIN_ENCODED: usize = 32 + 32 + 8 + 4 + (1 + 1 + 4) + 64;

impl Update {
    /// Makes and signs an update; `deps` is sorted and deduplicated (canonical form) and
    /// cut to [`MAX_DEPS`] (the caller puts the ones it must keep first).
    pub fn sign(author: &Author, seq: u64, mut deps: Vec<UpdateHash>, op: Op) -> Update {
        deps.truncate(MAX_DEPS);
        deps.sort_unstable();
        deps.dedup();
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

    /// Checks the dependencies' canonical form, the id and the signature.
    pub fn verify(&self) -> Result<(), UpdateError> {
        self.verify_hash()?;
        self.verify_signature()
    }

    /// Checks the dependencies' canonical form and that the id is the content's hash (cheap).
    pub fn verify_hash(&self) -> Result<(), UpdateError> {
        if self.content_hash() != self.id {
            return Err(UpdateError::BadHash { claimed: self.id });
        }
        let sorted = self.deps.windows(2).all(|w| w[0] < w[1]);
        if !sorted || self.deps.len() > MAX_DEPS {
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
        let op = match self.op {
            Op::Insert { after: None, .. } => 1 + 1 + 4,
            Op::Insert { after: Some(_), .. } => 1 + 1 + 32 + 4,
            Op::Delete { .. } => 1 + 32,
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
                    _ => Some(UpdateHash(r.array()?)),
                };
                Op::Insert {
                    after,
                    ch: r.char()?,
                }
            }
            _ => Op::Delete {
                target: UpdateHash(r.array()?),
            },
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

fn encode_content<S: Sink>(w: &mut S, author: &AuthorKey, seq: u64, deps: &[UpdateHash], op: &Op) {
    w.raw(&author.0);
    w.raw(&seq.to_le_bytes());
    w.raw(&u32::try_from(deps.len()).unwrap_or(u32::MAX).to_le_bytes());
    for d in deps {
        w.raw(&d.0);
    }
    match *op {
        Op::Insert { after, ch } => {
            w.raw(&[0]);
            match after {
                None => w.raw(&[0]),
                Some(a) => {
                    w.raw(&[1]);
                    w.raw(&a.0);
                }
            }
            w.raw(&(ch as u32).to_le_bytes());
        }
        Op::Delete { target } => {
            w.raw(&[1]);
            w.raw(&target.0);
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

    fn alice() -> Author {
        Author::from_seed([7; 32])
    }

    #[test]
    fn a_signed_update_verifies_and_round_trips() {
        let a = alice();
        let first = Update::sign(
            &a,
            1,
            Vec::new(),
            Op::Insert {
                after: None,
                ch: 'h',
            },
        );
        let second = Update::sign(
            &a,
            2,
            alloc::vec![first.id],
            Op::Insert {
                after: Some(first.id),
                ch: 'i',
            },
        );
        for u in [&first, &second] {
            assert_eq!(u.verify(), Ok(()));
            let mut w = Writer::new();
            u.encode(&mut w);
            assert_eq!(w.bytes.len(), u.encoded_len());
            let mut r = Reader::new(&w.bytes);
            assert_eq!(Update::decode(&mut r).as_ref(), Ok(u));
            assert_eq!(r.finish(), Ok(()));
        }
    }

    #[test]
    fn forged_content_author_and_order_are_refused() {
        let a = alice();
        let mallory = Author::from_seed([9; 32]);
        let u = Update::sign(
            &a,
            1,
            Vec::new(),
            Op::Insert {
                after: None,
                ch: 'h',
            },
        );
        let mut other_seq = u.clone();
        other_seq.seq = 2;
        assert_eq!(
            other_seq.verify(),
            Err(UpdateError::BadHash { claimed: u.id })
        );
        // Mallory signs an update naming Alice as its author.
        let mut claimed = Update::sign(&mallory, 1, Vec::new(), Op::Delete { target: u.id });
        claimed.author = a.key();
        claimed.id = claimed.content_hash();
        assert_eq!(
            claimed.verify(),
            Err(UpdateError::BadSignature { id: claimed.id })
        );
        // Unsorted dependencies are not canonical.
        let (x, y) = (UpdateHash([1; 32]), UpdateHash([2; 32]));
        let mut unsorted = Update::sign(&a, 1, alloc::vec![x, y], Op::Delete { target: x });
        unsorted.deps = alloc::vec![y, x];
        unsorted.id = unsorted.content_hash();
        assert_eq!(
            unsorted.verify(),
            Err(UpdateError::Malformed { id: unsorted.id })
        );
    }

    #[test]
    fn the_hash_covers_every_field() {
        let a = alice();
        let base = Update::sign(
            &a,
            1,
            Vec::new(),
            Op::Insert {
                after: None,
                ch: 'h',
            },
        );
        let variants = [
            Update::sign(
                &a,
                2,
                Vec::new(),
                Op::Insert {
                    after: None,
                    ch: 'h',
                },
            ),
            Update::sign(
                &a,
                1,
                alloc::vec![base.id],
                Op::Insert {
                    after: None,
                    ch: 'h',
                },
            ),
            Update::sign(
                &a,
                1,
                Vec::new(),
                Op::Insert {
                    after: None,
                    ch: 'j',
                },
            ),
            Update::sign(&a, 1, Vec::new(), Op::Delete { target: base.id }),
            Update::sign(
                &Author::from_seed([8; 32]),
                1,
                Vec::new(),
                Op::Insert {
                    after: None,
                    ch: 'h',
                },
            ),
        ];
        for v in variants {
            assert_ne!(v.id, base.id);
        }
    }
}
