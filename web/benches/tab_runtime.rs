//! Tab runtime benchmarks: what one incoming message costs a tab (envelope parse, size
//! check, codec, protocol), per message, natively.
//! - `tab_runtime/chat_packets`: 1,000 Lamport-chat packets from a seated tab.
//! - `tab_runtime/garbage`: 1,000 malformed strings (refused and counted).
//! - `tab_runtime/forged_sender`: 1,000 well-formed envelopes with a made-up token.
//! - `tab_runtime/collab_updates`: 200 signed, hash-named collab updates (hash and
//!   signature checked by the core replica).
//!
//! (Benchmarks are native only; on wasm32 this file compiles to an empty program.)

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use chronoscope::broadcast::total_order::LamportChat;
    use chronoscope::collab::replica::Operation;
    use chronoscope::collab::{Limits, Replica};
    use chronoscope::time::Span;
    use chronoscope_web::labs::collab_codec::CollabCodec;
    use chronoscope_web::labs::lamport_tabs::ChatCodec;
    use chronoscope_web::tabs::runtime::{TabRuntime, WireCodec};
    use criterion::{criterion_group, BatchSize, Criterion, Throughput};

    /// Seats two runtimes by passing their posts to each other; returns the time reached.
    fn seat<C: WireCodec>(a: &mut TabRuntime<C>, b: &mut TabRuntime<C>) -> f64 {
        let mut now = 0.0;
        while now < 2_000.0 {
            a.poll(now, |_| None);
            b.poll(now, |_| None);
            for p in a.take_posts() {
                b.receive(p.json);
            }
            for p in b.take_posts() {
                a.receive(p.json);
            }
            a.pump(now, 1_000);
            b.pump(now, 1_000);
            now += 50.0;
        }
        now
    }

    fn chat(token: u32) -> TabRuntime<ChatCodec> {
        let p = LamportChat::new(Span::from_secs(5));
        TabRuntime::new(ChatCodec, p, 2, token, u64::from(token), 0.0, None)
    }

    /// A seated receiver, and `n` posts its peer made for it.
    fn chat_setup(n: usize) -> (TabRuntime<ChatCodec>, Vec<String>, f64) {
        let (mut a, mut b) = (chat(1), chat(2));
        let now = seat(&mut a, &mut b);
        for k in 0..n {
            a.operate(format!("message {k}"), now);
        }
        let posts = a.take_posts().into_iter().map(|p| p.json).collect();
        (b, posts, now)
    }

    fn collab(i: u8) -> TabRuntime<CollabCodec> {
        let seed = [i; 32];
        let codec = CollabCodec::new(seed, Limits::default());
        TabRuntime::open(
            codec,
            Replica::new(seed, Limits::default()),
            u32::from(i),
            0,
            0.0,
        )
    }

    fn collab_setup(n: usize) -> (TabRuntime<CollabCodec>, Vec<String>, f64) {
        let (mut a, mut b) = (collab(1), collab(2));
        let now = seat(&mut a, &mut b);
        let mut text = String::new();
        for k in 0..n {
            text.push(char::from(b'a' + (k % 26) as u8));
            a.operate(Operation::Replace { text: text.clone() }, now);
        }
        let posts = a.take_posts().into_iter().map(|p| p.json).collect();
        (b, posts, now)
    }

    fn handle_all<C: WireCodec>(
        (mut rt, posts, now): (TabRuntime<C>, Vec<String>, f64),
    ) -> TabRuntime<C> {
        for p in posts {
            rt.receive(p);
        }
        rt.pump(now, usize::MAX);
        rt
    }

    fn benches(c: &mut Criterion) {
        let (_, sample, _) = chat_setup(1);
        eprintln!("a chat packet's envelope: {} bytes", sample[0].len());
        let (_, sample, _) = collab_setup(1);
        eprintln!(
            "a one-keystroke collab update's envelope: {} bytes",
            sample[0].len()
        );

        let mut group = c.benchmark_group("tab_runtime");
        group.throughput(Throughput::Elements(1_000));
        group.bench_function("chat_packets", |b| {
            b.iter_batched(|| chat_setup(1_000), handle_all, BatchSize::LargeInput)
        });
        group.bench_function("garbage", |b| {
            b.iter_batched(
                || {
                    let (rt, _, now) = chat_setup(0);
                    (
                        rt,
                        vec!["{\"k\":\"msg\",\"seat\":0,\"to\":".to_string(); 1_000],
                        now,
                    )
                },
                handle_all,
                BatchSize::LargeInput,
            )
        });
        group.bench_function("forged_sender", |b| {
            b.iter_batched(
                || {
                    let (rt, posts, now) = chat_setup(1_000);
                    let forged = posts
                        .into_iter()
                        .map(|p| p.replace("\"token\":1,", "\"token\":99,"))
                        .collect();
                    (rt, forged, now)
                },
                handle_all,
                BatchSize::LargeInput,
            )
        });
        group.throughput(Throughput::Elements(200));
        group.sample_size(20);
        group.bench_function("collab_updates", |b| {
            b.iter_batched(|| collab_setup(200), handle_all, BatchSize::LargeInput)
        });
        group.finish();
    }

    criterion_group!(tab_runtime, benches);
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(native::tab_runtime);

#[cfg(target_arch = "wasm32")]
fn main() {}
