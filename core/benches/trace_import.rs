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

    /// Motif search, comparison and the skew audit over the same 100,000 events. Goal (issue
    /// 12): motif search under 1 s.
    fn trace_analysis(c: &mut Criterion) {
        use chronoscope::trace::{compare, motifs, skew};
        let text = generate();
        let options = ParseOptions::new(GOVECTOR_REGEX).unwrap();
        let log = shiviz::parse(&text, &options).unwrap();
        let exec = &log.executions[0];
        let custom = motifs::Pattern::parse("A->B, B->C, C->A").unwrap();
        // Timestamps: the event's position, with host 3's clock 5 units ahead.
        let ts: Vec<Option<i64>> = exec
            .events()
            .iter()
            .map(|e| Some(i64::from(e.line) + if e.host.0 == 3 { 5 } else { 0 }))
            .collect();
        let mut group = c.benchmark_group("trace_analysis");
        group.throughput(Throughput::Elements(EVENTS as u64));
        group.sample_size(10);
        group.bench_function("motif_request_response_100k", |b| {
            b.iter(|| motifs::request_response(exec, motifs::DEFAULT_MAX_GAP).len())
        });
        group.bench_function("motif_custom_triangle_100k", |b| {
            b.iter(|| motifs::find(exec, &custom, motifs::DEFAULT_MAX_GAP).len())
        });
        group.bench_function("motif_broadcast_and_gather_100k", |b| {
            b.iter(|| motifs::broadcasts(exec, 2).len() + motifs::gathers(exec, 2).len())
        });
        group.bench_function("compare_with_itself_100k", |b| {
            b.iter(|| compare::compare(exec, exec).distance())
        });
        group.bench_function("skew_audit_100k", |b| {
            b.iter(|| {
                let found = skew::disagreements(exec, &ts, 1000).total;
                let bounds = skew::offset_bounds(exec, &ts, chronoscope::node::NodeId(0));
                (found, bounds)
            })
        });
        group.finish();
    }

    criterion_group!(benches, trace_import, trace_analysis);
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(native::benches);

#[cfg(target_arch = "wasm32")]
fn main() {}
