//! Persistence as a value (stateright's `Command::Save` idea): the replica hands its driver
//! a [`Saved`] — its delivered updates in delivery order, canonically encoded — and
//! [`Replica::restore`] rebuilds a replica from one, checking every update again (a stored
//! value is as untrusted as a message: any same-origin script can write the storage).
//!
//! Invariant: a restored replica has delivered exactly the saved updates, in an order that
//! puts each after everything it names, so its text equals the saved replica's; corrupt,
//! truncated, reordered or forged data is refused with a [`RestoreError`] naming the first
//! bad update, and nothing is half-restored.

use alloc::vec::Vec;
use core::fmt;

use super::codec::{DecodeError, Reader, Writer};
use super::graph::{Graph, Readiness};
use super::limits::Limits;
use super::replica::Replica;
use super::update::{Author, Update, UpdateError, MIN_ENCODED};

/// The first bytes of every save.
const MAGIC: &[u8; 8] = b"CHRCOLB2";

/// A replica's state as the driver stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Saved {
    /// The encoded updates.
    pub bytes: Vec<u8>,
}

/// Why a saved value could not be restored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestoreError {
    /// It does not start with this format's magic bytes.
    NotASave,
    /// Its bytes do not decode.
    Decode(DecodeError),
    /// Update number `index` does not verify.
    Update {
        /// Its position in the save.
        index: usize,
        /// What is wrong with it.
        error: UpdateError,
    },
    /// Update number `index` names an update not saved before it, or repeats one.
    OutOfOrder {
        /// Its position in the save.
        index: usize,
    },
    /// Update number `index` is well signed but its edit cannot apply.
    Invalid {
        /// Its position in the save.
        index: usize,
    },
}

impl fmt::Display for RestoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RestoreError::NotASave => f.write_str("not a saved collaborative text"),
            RestoreError::Decode(e) => write!(f, "saved text: {e}"),
            RestoreError::Update { index, error } => write!(f, "saved update {index}: {error}"),
            RestoreError::OutOfOrder { index } => {
                write!(
                    f,
                    "saved update {index} comes before what it depends on, or twice"
                )
            }
            RestoreError::Invalid { index } => write!(f, "saved update {index} cannot apply"),
        }
    }
}

impl core::error::Error for RestoreError {}

impl From<DecodeError> for RestoreError {
    fn from(e: DecodeError) -> Self {
        RestoreError::Decode(e)
    }
}

impl Replica {
    /// The replica's state as a value to store.
    pub fn saved(&self) -> Saved {
        let mut w = Writer::new();
        w.raw(MAGIC);
        let log = self.graph().log();
        w.len(log.len());
        for h in log {
            if let Some(d) = self.graph().get(h) {
                d.update.encode(&mut w);
            }
        }
        Saved { bytes: w.bytes }
    }

    /// A replica with secret `seed` and the updates of `saved`, every one checked again.
    ///
    /// ```
    /// use chronoscope::collab::persist::{RestoreError, Saved};
    /// use chronoscope::collab::replica::Replica;
    /// let empty = Replica::new([1; 32], Default::default()).saved();
    /// assert!(Replica::restore([1; 32], Default::default(), &empty).is_ok());
    /// let junk = Saved { bytes: b"hello".to_vec() };
    /// assert_eq!(Replica::restore([1; 32], Default::default(), &junk).err(), Some(RestoreError::NotASave));
    /// ```
    pub fn restore(seed: [u8; 32], limits: Limits, saved: &Saved) -> Result<Replica, RestoreError> {
        let bytes = &saved.bytes;
        if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
            return Err(RestoreError::NotASave);
        }
        let mut r = Reader::new(&bytes[MAGIC.len()..]);
        let n = r.len(usize::MAX, MIN_ENCODED)?;
        let mut graph = Graph::new();
        for index in 0..n {
            let u = Update::decode(&mut r)?;
            u.verify()
                .map_err(|error| RestoreError::Update { index, error })?;
            if graph.contains(&u.id) || graph.readiness(&u) != Readiness::Ready {
                return Err(RestoreError::OutOfOrder { index });
            }
            graph
                .deliver(u, 0)
                .map_err(|()| RestoreError::Invalid { index })?;
        }
        r.finish()?;
        Ok(Replica::from_parts(Author::from_seed(seed), limits, graph))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collab::replica::Operation;
    use crate::protocol::{Context, Outbox};
    use crate::rng::Rng;
    use crate::time::Instant;
    use alloc::string::String;

    fn typed(text: &str) -> Replica {
        let mut r = Replica::new([4; 32], Limits::default());
        let mut rng = Rng::seed_from_u64(1);
        let mut ctx = Context {
            node: crate::node::NodeId(0),
            now: Instant::ZERO,
            peers: &[],
            rng: &mut rng,
        };
        let mut out = Outbox::new();
        let op = Operation::Insert {
            index: 0,
            text: String::from(text),
        };
        r.edit(&mut ctx, op, &mut out).unwrap();
        r.edit(&mut ctx, Operation::Delete { index: 0, len: 1 }, &mut out)
            .unwrap();
        r
    }

    #[test]
    fn a_save_round_trips_and_the_own_sequence_continues() {
        let r = typed("abc");
        let back = Replica::restore([4; 32], Limits::default(), &r.saved()).unwrap();
        assert_eq!(back.text(), "bc");
        assert_eq!(back.graph().log(), r.graph().log());
        // One update for the run, one for the delete.
        assert_eq!(back.graph().max_seq(&back.author()), 2);
    }

    #[test]
    fn corrupt_saves_are_refused_with_the_first_bad_update() {
        let saved = typed("abc").saved();
        // Flip a bit inside the first update's run ('a' becomes 'c'): its hash no longer
        // matches.
        let mut flipped = saved.clone();
        let run = MAGIC.len() + 4 + 32 + 32 + 8 + 4 + 1 + 1 + 4;
        assert_eq!(flipped.bytes[run], b'a');
        flipped.bytes[run] ^= 2;
        assert!(matches!(
            Replica::restore([4; 32], Limits::default(), &flipped),
            Err(RestoreError::Update { index: 0, .. })
        ));
        let mut truncated = saved.clone();
        truncated.bytes.truncate(saved.bytes.len() - 3);
        assert!(matches!(
            Replica::restore([4; 32], Limits::default(), &truncated),
            Err(RestoreError::Decode(_))
        ));
        let mut extra = saved.clone();
        extra.bytes.push(0);
        assert!(matches!(
            Replica::restore([4; 32], Limits::default(), &extra),
            Err(RestoreError::Decode(DecodeError::Trailing { .. }))
        ));
    }
}
