//! The Byzantine-safe collaborative text (core/src/collab): the cost of naming, signing and
//! verifying one update, a remote keystroke handled by a replica holding a 2,000-character
//! document, a remote 4,096-character run (one update: a paste) applied to that document,
//! a local 100,000-character paste, and a 1,000-message flood (made-up heartbeats, forged
//! ids) handled by one replica. Bytes per update on the wire (a keystroke, a 1,000-character
//! paste) are printed once.
//! (Benchmarks are native only; on wasm32 this file compiles to an empty program.)

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use chronoscope::collab::message::Message;
    use chronoscope::collab::replica::{Operation, Replica};
    use chronoscope::collab::update::{Author, CharId, Op, Update, UpdateHash};
    use chronoscope::collab::Limits;
    use chronoscope::node::NodeId;
    use chronoscope::protocol::{Context, Outbox, Protocol};
    use chronoscope::rng::Rng;
    use chronoscope::time::Instant;
    use criterion::{criterion_group, BatchSize, Criterion};

    const PEER: NodeId = NodeId(1);

    fn with_ctx<R>(f: impl FnOnce(&mut Context<'_>) -> R) -> R {
        let mut rng = Rng::seed_from_u64(1);
        let mut ctx = Context {
            node: NodeId(0),
            now: Instant::from_millis(1_000),
            peers: &[PEER],
            rng: &mut rng,
        };
        f(&mut ctx)
    }

    /// A replica (key 2) holding a `chars`-character document typed by key 1.
    fn document(chars: usize) -> Replica {
        let mut typist = Replica::new([1; 32], Limits::default());
        with_ctx(|ctx| {
            let mut out = Outbox::new();
            for k in 0..chars {
                let index = (k * 7919) % (typist.text().chars().count() + 1);
                let text = char::from(b'a' + (k % 26) as u8).to_string();
                typist
                    .edit(ctx, Operation::Insert { index, text }, &mut out)
                    .unwrap();
                out.drain().for_each(drop);
            }
        });
        Replica::restore([2; 32], Limits::default(), &typist.saved()).unwrap()
    }

    fn collab(c: &mut Criterion) {
        let mut group = c.benchmark_group("collab");
        group.sample_size(30);
        let alice = Author::from_seed([7; 32]);
        let deps = vec![UpdateHash([3; 32])];
        let op = Op::insert_char(Some(CharId::new(UpdateHash([3; 32]), 0)), 'x');
        let u = Update::sign(&alice, 42, deps.clone(), op.clone());

        let one = Message::Updates(vec![u.clone()]).encode().len();
        let del = Update::sign(
            &alice,
            43,
            vec![u.id],
            Op::delete_char(CharId::new(u.id, 0)),
        );
        eprintln!(
            "collab: an insert with one dependency is {} bytes encoded, a delete {} bytes; \
             alone in a message {} bytes",
            u.encoded_len(),
            del.encoded_len(),
            one
        );

        group.bench_function("update_hash", |b| b.iter(|| u.content_hash()));
        group.bench_function("update_sign", |b| {
            b.iter(|| Update::sign(&alice, 42, deps.clone(), op.clone()))
        });
        group.bench_function("update_verify", |b| b.iter(|| u.verify()));
        let bytes = Message::Updates(vec![u.clone()]).encode();
        group.bench_function("message_decode", |b| b.iter(|| Message::decode(&bytes)));

        // A remote keystroke into a 2,000-character document: verify, deliver, render.
        let doc = document(2_000);
        let heads: Vec<UpdateHash> = doc.graph().heads().iter().copied().collect();
        let anchor = doc.graph().rga().char_at(1_000);
        let bob = Author::from_seed([9; 32]);
        let key = Update::sign(&bob, 1, heads, Op::insert_char(anchor, 'k'));
        // Bytes on the wire of what a replica really sends: a keystroke into the document
        // (its heads as dependencies), and a 1,000-character paste.
        let sent = |text: String| {
            let mut r = doc.clone();
            with_ctx(|ctx| {
                let mut out = Outbox::new();
                let index = 1_000;
                r.edit(ctx, Operation::Insert { index, text }, &mut out)
                    .unwrap();
                let updates: Vec<Update> = out
                    .drain()
                    .filter_map(|e| match e {
                        chronoscope::protocol::Effect::Send {
                            message: Message::Updates(us),
                            ..
                        } => Some(us),
                        _ => None,
                    })
                    .flatten()
                    .collect();
                let bytes = Message::Updates(updates.clone()).encode().len();
                (
                    updates.len(),
                    updates.iter().map(Update::encoded_len).sum::<usize>(),
                    bytes,
                )
            })
        };
        let (n1, u1, m1) = sent("k".into());
        let (n2, u2, m2) = sent("0123456789".repeat(100));
        eprintln!(
            "collab: a keystroke is {n1} update of {u1} bytes ({m1} bytes as a message); \
             a 1,000-character paste is {n2} update of {u2} bytes ({m2} bytes as a message)"
        );

        group.bench_function("remote_keystroke_2k_chars", |b| {
            b.iter_batched(
                || doc.clone(),
                |mut r| {
                    with_ctx(|ctx| {
                        let mut out = Outbox::new();
                        r.on_message(ctx, PEER, Message::Updates(vec![key.clone()]), &mut out);
                        let effects: Vec<_> = out.drain().collect();
                        (r, effects)
                    })
                },
                BatchSize::LargeInput,
            )
        });

        // A remote paste: one update carrying a 4,096-character run, into the same document
        // (verify, deliver, RGA insert of the run, text out).
        let heads: Vec<UpdateHash> = doc.graph().heads().iter().copied().collect();
        let run: String = (0..4_096)
            .map(|k| char::from(b'a' + (k % 26) as u8))
            .collect();
        let paste = Update::sign(
            &bob,
            2,
            heads,
            Op::Insert {
                after: anchor,
                text: run,
            },
        );
        group.bench_function("remote_run_4k_chars_into_2k_chars", |b| {
            b.iter_batched(
                || doc.clone(),
                |mut r| {
                    with_ctx(|ctx| {
                        let mut out = Outbox::new();
                        r.on_message(ctx, PEER, Message::Updates(vec![paste.clone()]), &mut out);
                        let effects: Vec<_> = out.drain().collect();
                        (r, effects)
                    })
                },
                BatchSize::LargeInput,
            )
        });

        // A local 100,000-character paste into an empty text: 25 signed runs, one message.
        let big: String = (0..100_000)
            .map(|k| char::from(b' ' + (k * 7 % 95) as u8))
            .collect();
        group.bench_function("local_paste_100k_chars", |b| {
            b.iter_batched(
                || Replica::new([1; 32], Limits::default()),
                |mut r| {
                    with_ctx(|ctx| {
                        let mut out = Outbox::new();
                        let text = big.clone();
                        r.edit(ctx, Operation::Insert { index: 0, text }, &mut out)
                            .unwrap();
                        let effects: Vec<_> = out.drain().collect();
                        (r, effects)
                    })
                },
                BatchSize::LargeInput,
            )
        });

        // A 1,000-message flood from one page: made-up heartbeats, then forged ids.
        let forged: Vec<Message> = (0..500u64)
            .map(|k| {
                let mut h = [0u8; 32];
                h[..8].copy_from_slice(&k.to_le_bytes());
                Message::Heartbeat {
                    author: bob.key(),
                    heads: vec![UpdateHash(h)],
                    proof: [k as u8; 64],
                }
            })
            .chain((0..500).map(|_| {
                let mut f = key.clone();
                f.op = Op::insert_char(None, 'Z');
                Message::Updates(vec![f])
            }))
            .collect();
        group.bench_function("flood_1000_messages_2k_chars", |b| {
            b.iter_batched(
                || (doc.clone(), forged.clone()),
                |(mut r, flood)| {
                    with_ctx(|ctx| {
                        let mut out = Outbox::new();
                        for m in flood {
                            r.on_message(ctx, PEER, m, &mut out);
                        }
                        let effects: Vec<_> = out.drain().collect();
                        (r, effects)
                    })
                },
                BatchSize::LargeInput,
            )
        });
        // The same forged ids from 1,000 made-up transport ids (each its own rate budget):
        // the table of unproven peers fills, the rest is refused at the door.
        group.bench_function("flood_1000_senders_2k_chars", |b| {
            b.iter_batched(
                || (doc.clone(), forged.clone()),
                |(mut r, flood)| {
                    with_ctx(|ctx| {
                        let mut out = Outbox::new();
                        for (k, m) in flood.into_iter().enumerate() {
                            r.on_message(ctx, NodeId(10 + k as u32), m, &mut out);
                        }
                        let effects: Vec<_> = out.drain().collect();
                        (r, effects)
                    })
                },
                BatchSize::LargeInput,
            )
        });
        // 1,000 forged ids from one peer with no rate limit: the hash check alone.
        let open = Limits {
            peer_messages_per_sec: u32::MAX / 2,
            peer_bytes_per_sec: u32::MAX / 2,
            total_messages_per_sec: u32::MAX / 2,
            total_bytes_per_sec: u32::MAX / 2,
            ..Limits::default()
        };
        let unlimited = Replica::restore([2; 32], open, &doc.saved()).unwrap();
        group.bench_function("forged_ids_1000_unlimited_2k_chars", |b| {
            b.iter_batched(
                || (unlimited.clone(), forged[500..].to_vec()),
                |(mut r, flood)| {
                    with_ctx(|ctx| {
                        let mut out = Outbox::new();
                        for m in flood.iter().cycle().take(1_000) {
                            r.on_message(ctx, PEER, m.clone(), &mut out);
                        }
                        let effects: Vec<_> = out.drain().collect();
                        (r, effects)
                    })
                },
                BatchSize::LargeInput,
            )
        });
        group.finish();
    }

    criterion_group!(benches, collab);
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(native::benches);

#[cfg(target_arch = "wasm32")]
fn main() {}
