//! Simulator throughput: simulated inputs handled per second for a 10-node gossip run
//! (timers, sends, receives, forwards), with tracing on but labels off.
//! (Benchmarks are native only; on wasm32 this file compiles to an empty program.)

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use chronoscope::scenario::gossip::Gossip;
    use chronoscope::sim::{SimConfig, Simulation};
    use chronoscope::time::Instant;
    use criterion::{criterion_group, Criterion, Throughput};

    fn gossip_run() -> u64 {
        let nodes = (0..10)
            .map(|_| Gossip::new(2_000).with_forward_probability(0.5))
            .collect();
        let config = SimConfig {
            seed: 42,
            labels: false,
            ..SimConfig::default()
        };
        let Ok(mut sim) = Simulation::new(nodes, config) else {
            return 0;
        };
        sim.run_until(Instant::MAX);
        sim.processed()
    }

    fn simulator(c: &mut Criterion) {
        let events = gossip_run();
        let mut group = c.benchmark_group("simulator");
        group.throughput(Throughput::Elements(events));
        group.sample_size(10);
        group.bench_function("gossip_10_nodes", |b| b.iter(gossip_run));
        group.finish();
    }

    criterion_group!(benches, simulator);
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(native::benches);

#[cfg(target_arch = "wasm32")]
fn main() {}
