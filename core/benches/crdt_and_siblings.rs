//! CRDT merges against the `crdts` crate (same work, same run), and sibling-set syncs:
//! DVVSet vs per-sibling DVVs vs version vectors, with one concurrent sibling per replica.
//!
//! Each measured iteration merges into a fresh clone prepared outside the timing
//! (`iter_batched`), so `crdts`' by-value `merge(other: Self)` pays no extra clone.
// The peers are native-only dev-dependencies: on wasm32 the bench is an empty binary.
#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(native::benches);

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use chronoscope::clock::{DvvSet, DvvSiblings, SiblingSet, VvSiblings};
    use chronoscope::crdt::g_counter::Increment;
    use chronoscope::crdt::mv_register::Write;
    use chronoscope::crdt::{CvRdt, GCounter, MvRegister, Update};
    use chronoscope::node::NodeId;
    use chronoscope::time::Instant;
    use crdts::{CmRDT, CvRDT};
    use criterion::{criterion_group, BatchSize, BenchmarkId, Criterion};

    const SIZES: [u32; 3] = [3, 10, 50];

    /// The state merged into, and the state merged.
    type Pair<T> = (T, T);

    /// Two counters that each know every actor, with different counts.
    fn counters(n: u32) -> (Pair<GCounter>, Pair<crdts::GCounter<u32>>) {
        let (mut a, mut b) = (GCounter::default(), GCounter::default());
        let (mut pa, mut pb) = (crdts::GCounter::new(), crdts::GCounter::new());
        for i in 0..n {
            let (x, y) = (u64::from(i % 7 + 1), u64::from(i % 5 + 1));
            a.apply(Increment {
                node: NodeId(i),
                by: x,
            });
            b.apply(Increment {
                node: NodeId(i),
                by: y,
            });
            pa.apply(pa.inc_many(i, x));
            pb.apply(pb.inc_many(i, y));
        }
        ((a, b), (pa, pb))
    }

    fn gcounter_merge(c: &mut Criterion) {
        let mut group = c.benchmark_group("gcounter_merge");
        for n in SIZES {
            let ((a, b), (pa, pb)) = counters(n);
            group.bench_with_input(BenchmarkId::new("chronoscope", n), &n, |bench, _| {
                bench.iter_batched(
                    || a.clone(),
                    |mut x| {
                        x.merge(&b);
                        x
                    },
                    BatchSize::SmallInput,
                )
            });
            group.bench_with_input(BenchmarkId::new("crdts", n), &n, |bench, _| {
                bench.iter_batched(
                    || (pa.clone(), pb.clone()),
                    |(mut x, y)| {
                        x.merge(y);
                        x
                    },
                    BatchSize::SmallInput,
                )
            });
        }
        group.finish();
    }

    /// `n` replicas each write once, concurrently; return the merge of the first `n − 1` and
    /// the last replica's register.
    fn registers(n: u32) -> (Pair<MvRegister<u32>>, Pair<crdts::MVReg<u32, u32>>) {
        let mut ours: Vec<MvRegister<u32>> = Vec::new();
        let mut theirs: Vec<crdts::MVReg<u32, u32>> = Vec::new();
        for i in 0..n {
            let mut r = MvRegister::default();
            r.apply(Write {
                node: NodeId(i),
                value: i,
            });
            ours.push(r);
            let mut p = crdts::MVReg::new();
            let op = p.write(i, p.read_ctx().derive_add_ctx(i));
            p.apply(op);
            theirs.push(p);
        }
        let last = ours.pop().unwrap_or_default();
        let rest = ours
            .iter()
            .fold(MvRegister::default(), |acc, r| acc.merged(r));
        let plast = theirs.pop().unwrap_or_default();
        let mut prest = crdts::MVReg::new();
        for p in theirs {
            prest.merge(p);
        }
        ((rest, last), (prest, plast))
    }

    fn mvreg_merge(c: &mut Criterion) {
        let mut group = c.benchmark_group("mvreg_merge_concurrent");
        for n in SIZES {
            let ((a, b), (pa, pb)) = registers(n);
            group.bench_with_input(BenchmarkId::new("chronoscope", n), &n, |bench, _| {
                bench.iter_batched(
                    || a.clone(),
                    |mut x| {
                        x.merge(&b);
                        x
                    },
                    BatchSize::SmallInput,
                )
            });
            group.bench_with_input(BenchmarkId::new("crdts", n), &n, |bench, _| {
                bench.iter_batched(
                    || (pa.clone(), pb.clone()),
                    |(mut x, y)| {
                        x.merge(y);
                        x
                    },
                    BatchSize::SmallInput,
                )
            });
        }
        group.finish();
    }

    /// One sibling per replica at replica `i`, all concurrent; returns the join of all but the
    /// last, and the last.
    fn sibling_sets<S: SiblingSet<u32>>(empty: S, n: u32) -> (S, S) {
        let mut all = Vec::new();
        for i in 0..n {
            let mut s = empty.clone();
            s.try_update(&Default::default(), NodeId(i), Instant::ZERO, i)
                .unwrap();
            all.push(s);
        }
        let last = all.pop().unwrap_or_default();
        let mut rest = empty;
        for s in &all {
            rest.sync(s);
        }
        (rest, last)
    }

    fn sync<S: SiblingSet<u32>>(c: &mut Criterion, name: &str, empty: S) {
        let mut group = c.benchmark_group("siblings_sync");
        for n in SIZES {
            let (a, b) = sibling_sets(empty.clone(), n);
            group.bench_with_input(BenchmarkId::new(name, n), &n, |bench, _| {
                bench.iter_batched(
                    || a.clone(),
                    |mut x| {
                        x.sync(&b);
                        x
                    },
                    BatchSize::SmallInput,
                )
            });
        }
        group.finish();
    }

    fn siblings(c: &mut Criterion) {
        sync(c, "dvvset", DvvSet::<u32>::default());
        sync(c, "dvv_siblings", DvvSiblings::<u32>::default());
        sync(c, "version_vectors", VvSiblings::<u32>::default());
    }

    criterion_group!(benches, gcounter_merge, mvreg_merge, siblings);
}
