//! Clock synchronisation and leases: Marzullo's intersection and the fault-tolerant average
//! over 1,001 sources, a one-hour 8-node Berkeley run, a 16-node Byzantine run (5 liars,
//! 100 rounds) and the lease scenario.
//! (Benchmarks are native only; on wasm32 this file compiles to an empty program.)

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use chronoscope::scenario::{byzantine_sync, drift, lease};
    use chronoscope::sync::fault_tolerant_average::fault_tolerant_average;
    use chronoscope::sync::marzullo::{intersection, Interval};
    use chronoscope::time::{Instant, Span};
    use criterion::{black_box, criterion_group, Criterion, Throughput};

    fn sources(n: i64) -> Vec<Interval> {
        (0..n)
            .map(|i| {
                let mid = Instant::from_micros((i * 7_919) % 10_007);
                Interval::around(mid, Span::from_micros(500 + (i * 31) % 977))
            })
            .collect()
    }

    fn pure_functions(c: &mut Criterion) {
        let intervals = sources(1_001);
        let values: Vec<Span> = intervals
            .iter()
            .map(|i| i.midpoint().since(Instant::ZERO))
            .collect();
        let mut group = c.benchmark_group("convergence");
        group.throughput(Throughput::Elements(1_001));
        group.bench_function("marzullo_1001_f333", |b| {
            b.iter(|| intersection(black_box(&intervals), 333))
        });
        group.bench_function("fta_1001_f333", |b| {
            b.iter(|| fault_tolerant_average(black_box(&values), 333))
        });
        group.finish();
    }

    fn scenarios(c: &mut Criterion) {
        let berkeley = drift::Params {
            nodes: 8,
            duration_s: 3_600,
            tick_ms: 10_000,
            initial_skew_ms: 500,
            ..drift::Params::default()
        };
        let byzantine = byzantine_sync::Params {
            nodes: 16,
            faulty: 5,
            tolerate: 5,
            rounds: 100,
            ..byzantine_sync::Params::default()
        };
        let events = |t: &chronoscope::trace::Trace| t.events().len() as u64;
        let mut group = c.benchmark_group("scenarios");
        group.sample_size(10);
        group.throughput(Throughput::Elements(events(
            &drift::run(&berkeley).expect("valid").trace,
        )));
        group.bench_function("berkeley_8_nodes_1h", |b| {
            b.iter(|| drift::run(black_box(&berkeley)))
        });
        group.throughput(Throughput::Elements(events(
            &byzantine_sync::run_with_labels(&byzantine, false)
                .expect("valid")
                .trace,
        )));
        group.bench_function("byzantine_16_nodes_100_rounds", |b| {
            b.iter(|| byzantine_sync::run_with_labels(black_box(&byzantine), false))
        });
        let doc = lease::Params::default();
        group.throughput(Throughput::Elements(events(
            &lease::run(&doc).expect("valid").trace,
        )));
        group.bench_function("lease_gc_pause", |b| b.iter(|| lease::run(black_box(&doc))));
        group.finish();
    }

    criterion_group!(benches, pure_functions, scenarios);
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(native::benches);

#[cfg(target_arch = "wasm32")]
fn main() {}
