//! Trace import: parse + validate + build the happens-before DAG for a generated GoVector-style
//! ShiViz log of 100,000 events on 8 hosts (about a quarter of them receives), and the same log
//! as JSON lines. Goal (issue 7): under 1 s natively.
//! (Benchmarks are native only; on wasm32 this file compiles to an empty program.)

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use chronoscope::trace::shiviz::{self, ParseOptions, GOVECTOR_REGEX};
    use chronoscope::trace::{export, json_lines};
    use criterion::{criterion_group, Criterion, Throughput};

    const EVENTS: usize = 100_000;
    const HOSTS: usize = 8;

    /// A deterministic log: each step one host sends, receives a pending message, or works locally.
    fn generate() -> String {
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        let mut clocks = vec![vec![0u64; HOSTS]; HOSTS];
        let mut inbox: Vec<Vec<Vec<u64>>> = vec![Vec::new(); HOSTS];
        let mut out = String::with_capacity(EVENTS * 80);
        for i in 0..EVENTS {
            let h = next(HOSTS as u64) as usize;
            let action = if !inbox[h].is_empty() && next(2) == 0 {
                let msg = inbox[h].remove(0);
                for (c, m) in clocks[h].iter_mut().zip(&msg) {
                    *c = (*c).max(*m);
                }
                "receive"
            } else if next(3) == 0 {
                "send"
            } else {
                "local"
            };
            clocks[h][h] += 1;
            if action == "send" {
                let to = (h + 1 + next(HOSTS as u64 - 1) as usize) % HOSTS;
                inbox[to].push(clocks[h].clone());
            }
            out.push_str(&format!("host{h} {{"));
            let entries: Vec<String> = (0..HOSTS)
                .filter(|k| clocks[h][*k] > 0)
                .map(|k| format!("\"host{k}\":{}", clocks[h][k]))
                .collect();
            out.push_str(&entries.join(", "));
            out.push_str(&format!("}}\n{action} #{i} at host{h}\n"));
        }
        out
    }

    fn trace_import(c: &mut Criterion) {
        let text = generate();
        let options = ParseOptions::new(GOVECTOR_REGEX).unwrap();
        let log = shiviz::parse(&text, &options).unwrap();
        assert_eq!(log.executions[0].events().len(), EVENTS);
        let jsonl = export::to_json_lines(&log);
        let mut group = c.benchmark_group("trace_import");
        group.throughput(Throughput::Elements(EVENTS as u64));
        group.sample_size(10);
        group.bench_function("shiviz_govector_100k", |b| {
            b.iter(|| shiviz::parse(&text, &options).map(|l| l.executions.len()))
        });
        group.bench_function("json_lines_100k", |b| {
            b.iter(|| json_lines::parse(&jsonl).map(|l| l.executions.len()))
        });
        group.bench_function("to_trace_100k", |b| {
            b.iter(|| log.executions[0].to_trace().events().len())
        });
        group.finish();
    }

    criterion_group!(benches, trace_import);
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(native::benches);

#[cfg(target_arch = "wasm32")]
fn main() {}
