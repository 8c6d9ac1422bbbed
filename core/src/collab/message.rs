//! The messages replicas exchange, and their canonical binary form (what a browser tab
//! posts on its channel; the tab runtime only moves these bytes).
//!
//! Live edits travel as [`Message::Updates`]; anti-entropy is pull-based (after Kleppmann &
//! Howard, "Byzantine Eventual Consistency", §5.1): heartbeats carry the sender's heads, a
//! replica that lacks a head sends a [`Message::Request`], and only a [`Message::Bundle`]
//! answering a request of this replica (by nonce) is read. Invariant: decoding never
//! allocates more than the input's length, and every list has a cap, so a message costs
//! time linear in its size.

use alloc::vec::Vec;

use super::codec::{DecodeError, Reader, Writer};
use super::update::{AuthorKey, Update, UpdateHash, MIN_ENCODED};

/// The most updates in one message, and the most hashes or clock entries in one list.
pub const MAX_LIST: usize = 1_024;

/// One message between replicas.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// New updates, each verified on its own (a local edit, or several for a paste).
    Updates(Vec<Update>),
    /// "I am here; these are my heads."
    Heartbeat {
        /// The author key the sender claims (proven by `proof`).
        author: AuthorKey,
        /// Some of the sender's heads (a rotating window when it has many).
        heads: Vec<UpdateHash>,
        /// The author's signature of (its key, the sender's transport address):
        /// [`presence::prove`](super::presence::prove).
        proof: [u8; 64],
    },
    /// "I am leaving."
    Bye {
        /// The author key the sender claims.
        author: AuthorKey,
    },
    /// "Send me these updates and whatever they depend on that I lack."
    Request {
        /// Matches the answer to the question.
        nonce: u64,
        /// Hashes wanted.
        want: Vec<UpdateHash>,
        /// The requester's vector clock (a hint of what it already has).
        have: Vec<(AuthorKey, u64)>,
    },
    /// The answer to a request: updates in an order that puts dependencies first.
    Bundle {
        /// The request's nonce.
        nonce: u64,
        /// The updates.
        updates: Vec<Update>,
    },
    /// Bytes that did not decode (kept so the refusal is counted by the replica).
    Garbage {
        /// Their length.
        len: usize,
    },
}

impl Message {
    /// The canonical encoding.
    ///
    /// ```
    /// use chronoscope::collab::message::Message;
    /// use chronoscope::collab::update::AuthorKey;
    /// let m = Message::Bye { author: AuthorKey([1; 32]) };
    /// assert_eq!(Message::decode(&m.encode()), Ok(m));
    /// assert!(Message::decode(&[0xff]).is_err());
    /// ```
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        match self {
            Message::Updates(us) => {
                w.u8(0);
                w.len(us.len());
                for u in us {
                    u.encode(&mut w);
                }
            }
            Message::Heartbeat {
                author,
                heads,
                proof,
            } => {
                w.u8(1);
                w.raw(&author.0);
                w.len(heads.len());
                for h in heads {
                    w.raw(&h.0);
                }
                w.raw(proof);
            }
            Message::Bye { author } => {
                w.u8(2);
                w.raw(&author.0);
            }
            Message::Request { nonce, want, have } => {
                w.u8(3);
                w.u64(*nonce);
                w.len(want.len());
                for h in want {
                    w.raw(&h.0);
                }
                w.len(have.len());
                for (a, s) in have {
                    w.raw(&a.0);
                    w.u64(*s);
                }
            }
            Message::Bundle { nonce, updates } => {
                w.u8(4);
                w.u64(*nonce);
                w.len(updates.len());
                for u in updates {
                    u.encode(&mut w);
                }
            }
            Message::Garbage { len } => {
                w.u8(5);
                w.len(*len);
            }
        }
        w.bytes
    }

    /// The encoded length in bytes (what the rate limits charge).
    pub fn encoded_len(&self) -> usize {
        match self {
            Message::Updates(us) => 1 + 4 + us.iter().map(Update::encoded_len).sum::<usize>(),
            Message::Heartbeat { heads, .. } => 1 + 32 + 4 + 32 * heads.len() + 64,
            Message::Bye { .. } => 1 + 32,
            Message::Request { want, have, .. } => {
                1 + 8 + 4 + 32 * want.len() + 4 + 40 * have.len()
            }
            Message::Bundle { updates, .. } => {
                1 + 8 + 4 + updates.iter().map(Update::encoded_len).sum::<usize>()
            }
            Message::Garbage { len } => *len,
        }
    }

    /// Decodes one message, refusing anything malformed, over [`MAX_LIST`] items, or with
    /// bytes left over.
    pub fn decode(bytes: &[u8]) -> Result<Message, DecodeError> {
        let mut r = Reader::new(bytes);
        let m = match r.tag(5)? {
            0 => Message::Updates(updates(&mut r)?),
            1 => Message::Heartbeat {
                author: AuthorKey(r.array()?),
                heads: hashes(&mut r)?,
                proof: r.array()?,
            },
            2 => Message::Bye {
                author: AuthorKey(r.array()?),
            },
            3 => {
                let nonce = r.u64()?;
                let want = hashes(&mut r)?;
                let n = r.len(MAX_LIST, 40)?;
                let mut have = Vec::with_capacity(n);
                for _ in 0..n {
                    have.push((AuthorKey(r.array()?), r.u64()?));
                }
                Message::Request { nonce, want, have }
            }
            _ => Message::Bundle {
                nonce: r.u64()?,
                updates: updates(&mut r)?,
            },
        };
        r.finish()?;
        Ok(m)
    }

    /// Decodes, or turns undecodable bytes into [`Message::Garbage`] so the replica counts
    /// them (a tab runtime hands every received payload to the replica this way).
    pub fn decode_or_garbage(bytes: &[u8]) -> Message {
        Message::decode(bytes).unwrap_or(Message::Garbage { len: bytes.len() })
    }
}

fn hashes(r: &mut Reader<'_>) -> Result<Vec<UpdateHash>, DecodeError> {
    let n = r.len(MAX_LIST, 32)?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(UpdateHash(r.array()?));
    }
    Ok(out)
}

fn updates(r: &mut Reader<'_>) -> Result<Vec<Update>, DecodeError> {
    let n = r.len(MAX_LIST, MIN_ENCODED)?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(Update::decode(r)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collab::update::{Author, CharId, Op};
    use alloc::vec;

    #[test]
    fn every_message_round_trips_and_reports_its_length() {
        let a = Author::from_seed([5; 32]);
        let u = Update::sign(&a, 1, vec![], Op::insert_char(None, 'q'));
        let v = Update::sign(&a, 2, vec![u.id], Op::delete_char(CharId::new(u.id, 0)));
        let all = [
            Message::Updates(vec![u.clone(), v.clone()]),
            Message::Heartbeat {
                author: a.key(),
                heads: vec![v.id],
                proof: crate::collab::presence::prove(&a, crate::node::NodeId(4)),
            },
            Message::Bye { author: a.key() },
            Message::Request {
                nonce: 9,
                want: vec![u.id],
                have: vec![(a.key(), 3)],
            },
            Message::Bundle {
                nonce: 9,
                updates: vec![u, v],
            },
        ];
        for m in all {
            let bytes = m.encode();
            assert_eq!(bytes.len(), m.encoded_len(), "{m:?}");
            assert_eq!(Message::decode(&bytes), Ok(m));
        }
    }

    #[test]
    fn hostile_bytes_are_refused() {
        assert_eq!(
            Message::decode(&[9]),
            Err(DecodeError::UnknownTag { at: 0, tag: 9 })
        );
        // A list claiming a billion updates in five bytes.
        assert!(Message::decode(&[0, 0, 0xCA, 0x9A, 0x3B]).is_err());
        let mut bye = Message::Bye {
            author: AuthorKey([0; 32]),
        }
        .encode();
        bye.push(0);
        assert_eq!(Message::decode(&bye), Err(DecodeError::Trailing { at: 33 }));
        assert_eq!(
            Message::decode_or_garbage(&[1, 2]),
            Message::Garbage { len: 2 }
        );
    }
}
