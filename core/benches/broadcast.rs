//! Broadcast benchmarks.
//! - `causal_queue/10k_msgs_50_peers_shuffled`: one receiver takes 10,000 causally related
//!   broadcasts from 50 peers in a fully shuffled order (heavy reordering); reports the time
//!   and the hold-back queue's peak size. The queue wakes only the messages waiting for each
//!   delivery, so it never rescans the whole queue.
//! - `causal_queue_2k/{indexed,naive_rescan}`: the same on 2,000 messages against the
//!   textbook loop that rescans the whole queue after every arrival.
//! - `simulator/causal_10_nodes`: trace events (sends, receives, deliveries) per second for
//!   a 10-node causal broadcast run of 2,000 broadcasts (labels off).
//!
//! (Benchmarks are native only; on wasm32 this file compiles to an empty program.)

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use chronoscope::broadcast::causal::{
        CausalBroadcast, CausalConfig, CausalMessage, CausalQueue,
    };
    use chronoscope::clock::VectorClock;
    use chronoscope::node::NodeId;
    use chronoscope::rng::Rng;
    use chronoscope::sim::{SimConfig, Simulation};
    use chronoscope::time::{Instant, Span};
    use criterion::{criterion_group, Criterion, Throughput};

    const PEERS: u32 = 50;
    const MESSAGES: usize = 10_000;

    /// A causal history: each new message's sender has first caught up with a random earlier
    /// message (and so with that message's whole causal past).
    fn history(seed: u64, len: usize) -> Vec<CausalMessage<u32>> {
        let mut rng = Rng::seed_from_u64(seed);
        let mut known: Vec<VectorClock> = (0..PEERS).map(|_| VectorClock::new()).collect();
        let mut out: Vec<CausalMessage<u32>> = Vec::with_capacity(len);
        for k in 0..len {
            let s = rng.below(PEERS.into()) as usize;
            if !out.is_empty() && rng.chance(0.7) {
                let m = rng.below(out.len() as u64) as usize;
                let clock = out[m].clock.clone();
                known[s].merge(&clock);
            }
            known[s].try_increment(NodeId(s as u32)).unwrap();
            out.push(CausalMessage {
                sender: NodeId(s as u32),
                clock: known[s].clone(),
                payload: k as u32,
            });
        }
        out
    }

    fn shuffled(mut v: Vec<CausalMessage<u32>>, seed: u64) -> Vec<CausalMessage<u32>> {
        let mut rng = Rng::seed_from_u64(seed);
        for i in (1..v.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            v.swap(i, j);
        }
        v
    }

    fn deliver_all(arrivals: &[CausalMessage<u32>]) -> (usize, usize) {
        let mut q = CausalQueue::new(NodeId(PEERS));
        let mut delivered = 0;
        for m in arrivals {
            if let Ok(chronoscope::broadcast::causal::Receipt::Delivered(d)) =
                q.receive(m.clone(), Instant::ZERO)
            {
                delivered += d.len();
            }
        }
        (delivered, q.peak_held())
    }

    /// Runs 2,000 broadcasts among 10 nodes; returns (inputs handled, trace events recorded).
    /// The textbook hold-back loop for comparison: after each arrival, rescan the whole
    /// queue until nothing more is deliverable.
    fn naive_deliver_all(arrivals: &[CausalMessage<u32>]) -> usize {
        let mut local = VectorClock::new();
        let mut held: Vec<CausalMessage<u32>> = Vec::new();
        let mut delivered = 0;
        for m in arrivals {
            held.push(m.clone());
            let mut progress = true;
            while progress {
                progress = false;
                let mut i = 0;
                while i < held.len() {
                    let h = &held[i];
                    let s = h.sender;
                    let ready = h.clock.get(s) == local.get(s) + 1
                        && h.clock.iter().all(|(k, v)| k == s || v <= local.get(k));
                    if ready {
                        local.set(s, h.clock.get(s));
                        held.swap_remove(i);
                        delivered += 1;
                        progress = true;
                    } else {
                        i += 1;
                    }
                }
            }
        }
        delivered
    }

    fn causal_run() -> (u64, u64) {
        let config = CausalConfig {
            stuck_after: Span::from_secs(10),
            retransmit: None,
            relay: false,
        };
        let nodes = (0..10)
            .map(|_| CausalBroadcast::<u32>::new(config))
            .collect();
        let Ok(mut sim) = Simulation::new(
            nodes,
            SimConfig {
                seed: 7,
                labels: false,
                ..SimConfig::default()
            },
        ) else {
            return (0, 0);
        };
        let mut rng = Rng::seed_from_u64(3);
        for k in 0..2_000u32 {
            let at = Instant::from_millis(rng.in_range(0, 20_000));
            let _ = sim.schedule_operation(at, NodeId(k % 10), k);
        }
        sim.run_until(Instant::MAX);
        (sim.processed(), sim.trace().events().len() as u64)
    }

    fn benches(c: &mut Criterion) {
        let arrivals = shuffled(history(1, MESSAGES), 2);
        let (delivered, peak) = deliver_all(&arrivals);
        eprintln!("causal queue: delivered {delivered} of {MESSAGES}, hold-back peak {peak}");
        let mut group = c.benchmark_group("causal_queue");
        group.throughput(Throughput::Elements(MESSAGES as u64));
        group.sample_size(10);
        group.bench_function("10k_msgs_50_peers_shuffled", |b| {
            b.iter(|| deliver_all(&arrivals))
        });
        group.finish();

        let small = shuffled(history(1, 2_000), 2);
        let mut group = c.benchmark_group("causal_queue_2k");
        group.throughput(Throughput::Elements(2_000));
        group.sample_size(10);
        group.bench_function("indexed", |b| b.iter(|| deliver_all(&small)));
        group.bench_function("naive_rescan", |b| b.iter(|| naive_deliver_all(&small)));
        group.finish();

        let (inputs, events) = causal_run();
        eprintln!("causal 10 nodes: {inputs} inputs, {events} trace events per run");
        let mut group = c.benchmark_group("simulator");
        group.throughput(Throughput::Elements(events));
        group.sample_size(10);
        group.bench_function("causal_10_nodes", |b| b.iter(causal_run));
        group.finish();
    }

    criterion_group!(broadcast, benches);
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(native::broadcast);

#[cfg(target_arch = "wasm32")]
fn main() {}
