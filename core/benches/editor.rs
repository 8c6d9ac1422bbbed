//! The collaborative editor's hot paths: a remote edit delivered by the causal queue and
//! applied to an RGA replica (3 peers, 2,000-character document), and a local keystroke in
//! a 100,000-character document edited by 10 peers (RGA insert + causal stamp).
//! (Benchmarks are native only; on wasm32 this file compiles to an empty program.)

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use chronoscope::broadcast::causal::{CausalMessage, CausalQueue, Receipt};
    use chronoscope::clock::VectorClock;
    use chronoscope::crdt::rga::{Element, OpId, Rga, RgaOp};
    use chronoscope::node::NodeId;
    use chronoscope::time::Instant;
    use criterion::{criterion_group, BatchSize, Criterion};

    /// `peers` replicas type `chars` characters round-robin at spread-out places; returns
    /// replica 0 with its causal queue, and the other peers' queues.
    fn session(peers: u32, chars: usize) -> (Rga, CausalQueue<RgaOp>, Vec<CausalQueue<RgaOp>>) {
        let mut rga = Rga::new();
        let mut queues: Vec<CausalQueue<RgaOp>> =
            (0..peers).map(|p| CausalQueue::new(NodeId(p))).collect();
        for k in 0..chars {
            let author = (k as u32) % peers;
            let at = (k * 7919) % (rga.len() + 1);
            let op = rga
                .insert_local(NodeId(author), at, char::from(b'a' + (k % 26) as u8))
                .unwrap();
            let msg = queues[author as usize].try_broadcast(op).unwrap();
            for (p, q) in queues.iter_mut().enumerate() {
                if p as u32 != author {
                    q.receive(msg.clone(), Instant::ZERO).unwrap();
                }
            }
        }
        let mine = queues.remove(0);
        (rga, mine, queues)
    }

    /// A `chars`-character document typed by `peers` peers in turn (each character after
    /// the previous one), and peer 0's causal queue having delivered all of it.
    fn typed(peers: u32, chars: usize) -> (Rga, CausalQueue<RgaOp>) {
        let elements = (0..chars)
            .map(|k| Element {
                id: OpId {
                    counter: k as u64 + 1,
                    node: NodeId(k as u32 % peers),
                },
                ch: char::from(b'a' + (k % 26) as u8),
                deleted: false,
            })
            .collect();
        let rga = Rga::from_elements(elements).unwrap();
        let per_peer = (chars as u64).div_ceil(u64::from(peers));
        let delivered = VectorClock::from_entries((0..peers).map(|p| (NodeId(p), per_peer)));
        let mut queue = CausalQueue::new(NodeId(0));
        queue.fast_forward(&delivered);
        (rga, queue)
    }

    fn editor(c: &mut Criterion) {
        let mut group = c.benchmark_group("editor");
        group.sample_size(30);

        // Remote edit, 3 peers: peer 1 types one character in the middle; replica 0 receives
        // it through its causal queue and applies it.
        let (rga, queue, mut others) = session(3, 2_000);
        let mut remote = rga.clone();
        let op = remote.insert_local(NodeId(1), 1_000, 'x').unwrap();
        let msg: CausalMessage<RgaOp> = others[0].try_broadcast(op).unwrap();
        group.bench_function("remote_edit_apply_3_peers_2k_chars", |b| {
            b.iter_batched(
                || (rga.clone(), queue.clone(), msg.clone()),
                |(mut rga, mut queue, msg)| {
                    if let Ok(Receipt::Delivered(list)) = queue.receive(msg, Instant::ZERO) {
                        for m in list {
                            if rga.validate_op(&m.payload).is_ok() {
                                rga.apply(&m.payload);
                            }
                        }
                    }
                    rga
                },
                BatchSize::LargeInput,
            )
        });

        // Local keystroke, 100,000 characters, 10 peers: insert in the middle and stamp it.
        let (big, big_queue) = typed(10, 100_000);
        group.bench_function("local_insert_100k_chars_10_peers", |b| {
            b.iter_batched(
                || (big.clone(), big_queue.clone()),
                |(mut rga, mut queue)| {
                    let op = rga.insert_local(NodeId(0), 50_000, 'x').unwrap();
                    let msg = queue.try_broadcast(op).unwrap();
                    (rga, msg)
                },
                BatchSize::LargeInput,
            )
        });

        // Remote edit into the 100,000-character document (10 peers).
        let mut other = CausalQueue::new(NodeId(3));
        other.fast_forward(big_queue.delivered());
        let mut remote = big.clone();
        let op = remote.insert_local(NodeId(3), 50_000, 'y').unwrap();
        let msg = other.try_broadcast(op).unwrap();
        group.bench_function("remote_edit_apply_100k_chars_10_peers", |b| {
            b.iter_batched(
                || (big.clone(), big_queue.clone(), msg.clone()),
                |(mut rga, mut queue, msg)| {
                    if let Ok(Receipt::Delivered(list)) = queue.receive(msg, Instant::ZERO) {
                        for m in list {
                            if rga.validate_op(&m.payload).is_ok() {
                                rga.apply(&m.payload);
                            }
                        }
                    }
                    rga
                },
                BatchSize::LargeInput,
            )
        });
        group.finish();
    }

    criterion_group!(benches, editor);
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(native::benches);

#[cfg(target_arch = "wasm32")]
fn main() {}
