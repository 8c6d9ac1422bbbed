//! Runs in the collaborative text (core/src/collab): an update inserts a run of characters
//! or deletes ranges of them, so a paste is a handful of signed updates, not one per
//! character.
//!
//! - Law: replicas that type, paste and delete runs concurrently and receive each other's
//!   updates in any order (held back until their dependencies arrive) converge on the
//!   same text, in which every character typed appears exactly once (tombstones included),
//!   after the character it was typed after and after the previous characters of its run;
//!   the visible text is exactly the typed characters nobody deleted; and every local edit
//!   does to the local text what the text area asked for.
//! - A 100,000-character paste is at most 100 updates, goes out in messages within the
//!   message cap, saves in at most 150 KB, restores to the same text, and a peer receiving
//!   it shows the same text.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::{BTreeMap, BTreeSet};

use chronoscope::collab::message::Message;
use chronoscope::collab::replica::{Operation, Replica};
use chronoscope::collab::update::CharId;
use chronoscope::collab::{Limits, Refusal};
use chronoscope::node::NodeId;
use chronoscope::protocol::{Context, Effect, Outbox, Protocol};
use chronoscope::rng::Rng;
use chronoscope::time::{Instant, Span};
use proptest::prelude::*;

/// Typed characters are unique, from the CJK block on (so each can be counted).
const BASE: u32 = 0x4E00;

#[derive(Clone, Debug)]
enum Step {
    /// Replica `who` inserts a run of `n` new characters at fraction `at / 65536`.
    Insert { who: usize, at: u16, n: u16 },
    /// Replica `who` deletes up to `n` characters there.
    Delete { who: usize, at: u16, n: u16 },
    /// Replica `who` replaces up to `del` characters there with `n` new ones, as a text
    /// area does (`Operation::Replace` with the whole new text).
    Replace {
        who: usize,
        at: u16,
        del: u16,
        n: u16,
    },
    /// The message at fraction `pick / 65536` of the queue is delivered now.
    Deliver { pick: u16 },
}

fn step(replicas: usize) -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..replicas, any::<u16>(), 1u16..40).prop_map(|(who, at, n)| Step::Insert { who, at, n }),
        2 => (0..replicas, any::<u16>(), 1u16..30).prop_map(|(who, at, n)| Step::Delete { who, at, n }),
        1 => (0..replicas, any::<u16>(), 0u16..20, 1u16..20)
            .prop_map(|(who, at, del, n)| Step::Replace { who, at, del, n }),
        4 => any::<u16>().prop_map(|pick| Step::Deliver { pick }),
    ]
}

struct Room {
    replicas: Vec<Replica>,
    /// Messages in flight: (from, to, message).
    queue: Vec<(usize, usize, Message)>,
    rng: Rng,
    now: Instant,
    next_char: u32,
    typed: Vec<char>,
    deleted: BTreeSet<char>,
}

impl Room {
    fn new(n: usize, limits: Limits) -> Room {
        Room {
            replicas: (0..n)
                .map(|i| Replica::new([i as u8 + 1; 32], limits))
                .collect(),
            queue: Vec::new(),
            rng: Rng::seed_from_u64(1),
            now: Instant::from_millis(1),
            next_char: BASE,
            typed: Vec::new(),
            deleted: BTreeSet::new(),
        }
    }

    fn peers(&self, me: usize) -> Vec<NodeId> {
        (0..self.replicas.len())
            .filter(|&i| i != me)
            .map(|i| NodeId(i as u32))
            .collect()
    }

    fn fresh(&mut self, n: u16) -> String {
        (0..n)
            .map(|_| {
                let c = char::from_u32(self.next_char).expect("a CJK character");
                self.next_char += 1;
                self.typed.push(c);
                c
            })
            .collect()
    }

    /// Runs `f` on replica `who` and queues the live updates it sends (requests and
    /// heartbeats are not needed here: every update is delivered eventually).
    fn with(
        &mut self,
        who: usize,
        f: impl FnOnce(&mut Replica, &mut Context<'_>, &mut Outbox<Replica>),
    ) {
        self.now += Span::from_millis(10);
        let peers = self.peers(who);
        let mut out = Outbox::new();
        let mut ctx = Context {
            node: NodeId(who as u32),
            now: self.now,
            peers: &peers,
            rng: &mut self.rng,
        };
        f(&mut self.replicas[who], &mut ctx, &mut out);
        for e in out.drain() {
            if let Effect::Send {
                to,
                message: m @ Message::Updates(_),
            } = e
            {
                self.queue.push((who, to.index(), m));
            }
        }
    }

    fn edit(&mut self, who: usize, at: u16, del: u16, n: u16) {
        let old: Vec<char> = self.replicas[who].text().chars().collect();
        let index = (at as usize * (old.len() + 1)) >> 16;
        let end = (index + del as usize).min(old.len());
        let new = self.fresh(n);
        let mut expected: String = old[..index].iter().collect();
        expected.push_str(&new);
        expected.extend(&old[end..]);
        self.deleted.extend(&old[index..end]);
        let operation = match (del, n) {
            (0, _) => Operation::Insert { index, text: new },
            (_, 0) => Operation::Delete {
                index,
                len: end - index,
            },
            _ => Operation::Replace {
                text: expected.clone(),
            },
        };
        self.with(who, |r, ctx, out| {
            r.edit(ctx, operation, out).expect("an edit in range");
        });
        assert_eq!(
            self.replicas[who].text(),
            expected,
            "the local edit of {who}"
        );
    }

    fn deliver(&mut self, k: usize) {
        let (from, to, m) = self.queue.remove(k);
        self.with(to, |r, ctx, out| {
            r.on_message(ctx, NodeId(from as u32), m, out)
        });
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Concurrent runs, delivered in any order, converge with every character once and in
    /// causal order.
    #[test]
    fn concurrent_runs_converge_with_every_character_once_in_causal_order(
        replicas in 2usize..=3,
        steps in proptest::collection::vec(step(3), 1..24),
    ) {
        let mut room = Room::new(replicas, Limits::default());
        for s in steps {
            match s {
                Step::Insert { who, at, n } => room.edit(who % replicas, at, 0, n),
                Step::Delete { who, at, n } => room.edit(who % replicas, at, n, 0),
                Step::Replace { who, at, del, n } => room.edit(who % replicas, at, del, n),
                Step::Deliver { pick } => {
                    if !room.queue.is_empty() {
                        let k = (pick as usize * room.queue.len()) >> 16;
                        room.deliver(k);
                    }
                }
            }
        }
        // Deliver the rest, newest first (the order most in need of holding back).
        while let Some(k) = room.queue.len().checked_sub(1) {
            room.deliver(k);
        }
        let text = room.replicas[0].text();
        for r in &room.replicas {
            prop_assert_eq!(r.text(), text.clone());
            prop_assert_eq!(r.held().count(), 0);
            prop_assert_eq!(r.refusals().total(), 0, "{}", r.refusals());
        }
        let elements = room.replicas[0].graph().rga().elements();
        let position: BTreeMap<CharId, usize> =
            elements.iter().enumerate().map(|(i, e)| (e.id.char_id(), i)).collect();
        let mut count: BTreeMap<char, usize> = BTreeMap::new();
        for (i, e) in elements.iter().enumerate() {
            *count.entry(e.ch).or_default() += 1;
            if let Some(a) = e.after {
                prop_assert!(position[&a] < i, "element {} precedes its anchor", i);
            }
            if e.id.offset > 0 {
                let prev = CharId::new(e.id.hash, e.id.offset - 1);
                prop_assert!(position[&prev] < i, "a run out of order at {}", i);
            }
        }
        for c in &room.typed {
            prop_assert_eq!(count.get(c).copied(), Some(1), "typed {:?}", c);
        }
        let visible: BTreeSet<char> = text.chars().collect();
        let expected: BTreeSet<char> =
            room.typed.iter().copied().filter(|c| !room.deleted.contains(c)).collect();
        prop_assert_eq!(visible, expected);
        prop_assert_eq!(text.chars().count(), room.typed.len() - room.deleted.len());
    }
}

#[test]
fn a_100k_character_paste_is_few_updates_and_a_small_save() {
    const N: usize = 100_000;
    let paste: String = (0..N)
        .map(|k| char::from(b' ' + (k * 7 % 95) as u8))
        .collect();
    let mut room = Room::new(2, Limits::default());
    room.with(0, |r, ctx, out| {
        r.edit(
            ctx,
            Operation::Insert {
                index: 0,
                text: paste.clone(),
            },
            out,
        )
        .expect("a paste into an empty text");
    });
    let a = &room.replicas[0];
    assert_eq!(a.text(), paste);
    let updates = a.graph().len();
    assert!(updates <= 100, "{updates} updates");
    let limit = a.limits().max_message_bytes;
    let sizes: Vec<usize> = room
        .queue
        .iter()
        .map(|(_, _, m)| m.encode().len())
        .collect();
    assert!(sizes.iter().all(|&s| s <= limit), "{sizes:?}");
    let saved = a.saved();
    assert!(saved.bytes.len() <= 150_000, "{} bytes", saved.bytes.len());
    let back = Replica::restore([1; 32], Limits::default(), &saved).expect("its own save");
    assert_eq!(back.text(), paste);
    // The peer shows the same text, from the same few updates, refusing nothing.
    while !room.queue.is_empty() {
        room.deliver(0);
    }
    let b = &room.replicas[1];
    assert_eq!(b.text(), paste);
    assert_eq!(b.graph().len(), updates);
    assert_eq!(b.refusals().get(Refusal::OverRate), 0);
    // Deleting it all again is a few updates too.
    room.with(1, |r, ctx, out| {
        r.edit(ctx, Operation::Delete { index: 0, len: N }, out)
            .expect("in range");
    });
    assert_eq!(room.replicas[1].text(), "");
    assert!(room.replicas[1].graph().len() - updates <= 100);
    while !room.queue.is_empty() {
        room.deliver(0);
    }
    assert_eq!(room.replicas[0].text(), "");
    eprintln!(
        "100,000-character paste: {updates} updates, {} message(s) of {sizes:?} bytes, save {} bytes",
        sizes.len(),
        saved.bytes.len()
    );
}

/// Valid encodings of every message shape with runs and ranges, to mutate.
fn samples() -> Vec<Vec<u8>> {
    use chronoscope::collab::presence::prove;
    use chronoscope::collab::update::{Author, CharRange, Op, Update};
    let a = Author::from_seed([5; 32]);
    let run = Update::sign(
        &a,
        1,
        vec![],
        Op::Insert {
            after: None,
            text: "héllo, wörld ✓".into(),
        },
    );
    let after = Update::sign(
        &a,
        2,
        vec![run.id],
        Op::Insert {
            after: Some(CharId::new(run.id, 3)),
            text: "🦀".into(),
        },
    );
    let ranges = vec![
        CharRange {
            update: run.id,
            start: 0,
            len: 2,
        },
        CharRange {
            update: run.id,
            start: 5,
            len: 3,
        },
        CharRange {
            update: after.id,
            start: 0,
            len: 1,
        },
    ];
    let del = Update::sign(&a, 3, vec![after.id], Op::Delete { ranges });
    [
        Message::Updates(vec![run.clone(), after.clone(), del.clone()]),
        Message::Bundle {
            nonce: 7,
            updates: vec![del],
        },
        Message::Heartbeat {
            author: a.key(),
            heads: vec![after.id],
            proof: prove(&a, NodeId(2)),
        },
        Message::Request {
            nonce: 1,
            want: vec![run.id],
            have: vec![(a.key(), 2)],
        },
    ]
    .iter()
    .map(Message::encode)
    .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1_000, ..ProptestConfig::default() })]

    /// Hostile bytes (valid messages with bytes flipped, cut or inserted, or pure noise)
    /// never panic the decoder, and whatever decodes is canonical: it encodes back to the
    /// very same bytes (one value, one encoding — what lets a hash name an update).
    #[test]
    fn hostile_bytes_never_panic_and_what_decodes_is_canonical(
        which in 0usize..5,
        edits in proptest::collection::vec((any::<u16>(), any::<u8>(), 0u8..3), 0..6),
        noise in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let samples = samples();
        let mut bytes = if which < samples.len() { samples[which].clone() } else { noise };
        for (at, value, kind) in edits {
            let i = if bytes.is_empty() { 0 } else { at as usize % bytes.len() };
            match kind {
                0 if !bytes.is_empty() => bytes[i] ^= value | 1,
                1 => bytes.truncate(i),
                _ => bytes.insert(i.min(bytes.len()), value),
            }
        }
        if let Ok(m) = Message::decode(&bytes) {
            prop_assert_eq!(m.encode(), bytes.clone());
            prop_assert_eq!(m.encoded_len(), bytes.len());
        }
        // A replica handed any of it refuses or accepts without panicking.
        let mut r = Replica::new([1; 32], Limits::default());
        let mut rng = Rng::seed_from_u64(3);
        let mut ctx = Context { node: NodeId(0), now: Instant::from_millis(5), peers: &[NodeId(1)], rng: &mut rng };
        let mut out = Outbox::new();
        r.on_message(&mut ctx, NodeId(1), Message::decode_or_garbage(&bytes), &mut out);
        // A flipped byte inside a run changes its hash: only the signed characters can show.
        let text = r.text();
        prop_assert!(text.chars().count() <= 15, "{}", text);
        prop_assert!(text.chars().all(|c| "héllo, wörld ✓🦀".contains(c)), "{}", text);
    }
}
