//! Clocks against the best Rust crates doing the same job, in the same run:
//! vector-clock compare / merge / increment at 3, 10 and 50 nodes vs `crdts::VClock`, and
//! hybrid-logical-clock new-timestamp and update-from-remote vs `uhlc::HLC`.
//! Both sides get the same inputs and the same fake physical clock (an atomic counter).
//! (Benchmarks are native only; on wasm32 this file compiles to an empty program.)

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::hint::black_box;
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

    use chronoscope::clock::{HlcTimestamp, HybridLogicalClock, VectorClock};
    use chronoscope::node::NodeId;
    use chronoscope::time::Instant;
    use crdts::{CmRDT, CvRDT, VClock};
    use criterion::{criterion_group, BatchSize, BenchmarkId, Criterion};

    type Entries = Vec<(u32, u64)>;

    /// Two concurrent clocks over `n` nodes that differ at the first and the last entry,
    /// so a comparison must scan everything.
    fn pair(n: u32) -> (Entries, Entries) {
        let a: Entries = (0..n).map(|i| (i, u64::from(i) * 3 + 5)).collect();
        let mut b = a.clone();
        b[0].1 += 1;
        b[n as usize - 1].1 -= 1;
        (a, b)
    }

    fn ours(entries: &[(u32, u64)]) -> VectorClock {
        VectorClock::from_entries(entries.iter().map(|&(n, c)| (NodeId(n), c)))
    }

    fn peer(entries: &[(u32, u64)]) -> VClock<u32> {
        entries
            .iter()
            .map(|&(n, c)| crdts::Dot::new(n, c))
            .collect()
    }

    fn vector_clocks(c: &mut Criterion) {
        let mut group = c.benchmark_group("vector_clock");
        for n in [3u32, 10, 50] {
            let (a, b) = pair(n);
            let (oa, ob) = (ours(&a), ours(&b));
            let (pa, pb) = (peer(&a), peer(&b));
            assert_eq!(oa.partial_cmp(&ob), pa.partial_cmp(&pb));
            group.bench_with_input(BenchmarkId::new("compare/ours", n), &n, |bench, _| {
                bench.iter(|| black_box(&oa).partial_cmp(black_box(&ob)))
            });
            group.bench_with_input(BenchmarkId::new("compare/crdts", n), &n, |bench, _| {
                bench.iter(|| black_box(&pa).partial_cmp(black_box(&pb)))
            });
            // Merge into a fresh copy of `a` (made outside the timing); crdts's merge takes
            // the other clock by value, ours by reference.
            group.bench_with_input(BenchmarkId::new("merge/ours", n), &n, |bench, _| {
                bench.iter_batched(
                    || oa.clone(),
                    |mut x| {
                        x.merge(black_box(&ob));
                        x
                    },
                    BatchSize::SmallInput,
                )
            });
            group.bench_with_input(BenchmarkId::new("merge/crdts", n), &n, |bench, _| {
                bench.iter_batched(
                    || (pa.clone(), pb.clone()),
                    |(mut x, y)| {
                        x.merge(black_box(y));
                        x
                    },
                    BatchSize::SmallInput,
                )
            });
            let mid = n / 2;
            let mut oi = oa.clone();
            group.bench_with_input(BenchmarkId::new("increment/ours", n), &n, |bench, _| {
                bench.iter(|| oi.try_increment(black_box(NodeId(mid))))
            });
            let mut pi = pa.clone();
            group.bench_with_input(BenchmarkId::new("increment/crdts", n), &n, |bench, _| {
                bench.iter(|| {
                    let dot = pi.inc(black_box(mid));
                    pi.apply(dot);
                })
            });
        }
        group.finish();
    }

    /// The fake physical clock both HLCs read: advances 1 µs per reading.
    static FAKE_NANOS: AtomicU64 = AtomicU64::new(1_700_000_000_000_000_000);

    fn fake_ntp64() -> uhlc::NTP64 {
        let ns = FAKE_NANOS.fetch_add(1_000, Relaxed);
        uhlc::NTP64::from(std::time::Duration::from_nanos(ns))
    }

    fn fake_instant() -> Instant {
        Instant::from_nanos(FAKE_NANOS.fetch_add(1_000, Relaxed) as i64)
    }

    fn hybrid_logical_clocks(c: &mut Criterion) {
        let mut group = c.benchmark_group("hlc");
        let mut hlc = HybridLogicalClock::with_max_offset_ms(500);
        group.bench_function("new_timestamp/ours", |b| b.iter(|| hlc.now(fake_instant())));
        let peer = uhlc::HLCBuilder::new().with_clock(fake_ntp64).build();
        group.bench_function("new_timestamp/uhlc", |b| b.iter(|| peer.new_timestamp()));

        // A remote stamp 100 ms ahead of the fake clock at the start (within both bounds).
        let start = FAKE_NANOS.load(Relaxed);
        let ms = (start / 1_000_000 + 100).min(HlcTimestamp::MAX_PHYSICAL_MS);
        let remote = HlcTimestamp::new(ms, 3).unwrap_or_default();
        group.bench_function("update/ours", |b| {
            b.iter(|| hlc.update(black_box(remote), fake_instant()))
        });
        let remote_peer = uhlc::Timestamp::new(
            uhlc::NTP64::from(std::time::Duration::from_nanos(start + 100_000_000)),
            uhlc::ID::try_from([7u8]).unwrap_or_else(|_| uhlc::ID::rand()),
        );
        group.bench_function("update/uhlc", |b| {
            b.iter(|| peer.update_with_timestamp(black_box(&remote_peer)))
        });
        group.finish();
    }

    criterion_group!(benches, vector_clocks, hybrid_logical_clocks);
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(native::benches);

#[cfg(target_arch = "wasm32")]
fn main() {}
