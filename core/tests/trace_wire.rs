//! Laws of the compact form a Web Worker uses to hand a parsed log to the page
//! (`chronoscope::trace::wire`): a log cut into chunks of any size decodes back to exactly the
//! same log (names, hosts, events, clocks, fields, lines, parents); missing, repeated or
//! damaged chunks are refused, never decoded into a different log, and no bytes make the
//! decoder panic. The page then builds the diagram's trace a slice at a time
//! (`dag::TraceBuilder`): any slicing gives exactly `Execution::to_trace`.
#![cfg(not(target_arch = "wasm32"))]

use chronoscope::scenario::happens_before::{self, Params};
use chronoscope::trace::dag::{Execution, Log, TraceBuilder};
use chronoscope::trace::shiviz::{self, ParseOptions};
use chronoscope::trace::wire::{self, Decoder, WireError};
use proptest::prelude::*;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/interop/shiviz/");

fn params() -> impl Strategy<Value = Params> {
    (2u32..=5, any::<u64>(), 1u32..=6, 0u32..=20).prop_map(|(nodes, seed, actions, loss)| Params {
        nodes,
        seed,
        actions,
        loss_percent: loss,
        ..Params::default()
    })
}

/// A log of one or two simulated executions, with labels as event texts.
fn log_of(p: &Params, second: Option<&Params>) -> Log {
    let exec = |p: &Params| Execution::from_trace(&happens_before::run(p).unwrap()).unwrap();
    Log {
        executions: core::iter::once(p).chain(second).map(exec).collect(),
    }
}

fn round_trip(log: &Log, size: usize) -> Result<Log, WireError> {
    let mut decoder = Decoder::new(&wire::header(log))?;
    for chunk in wire::chunks(log, size) {
        decoder.push(&chunk)?;
    }
    decoder.finish()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(60))]

    #[test]
    fn any_chunk_size_decodes_to_the_same_log(p in params(), q in proptest::option::of(params()), size in 1usize..40) {
        let log = log_of(&p, q.as_ref());
        let back = round_trip(&log, size).unwrap();
        prop_assert_eq!(&back, &log);
        prop_assert_eq!(back.executions.iter().map(|e| e.messages().count()).sum::<usize>(),
            log.executions.iter().map(|e| e.messages().count()).sum::<usize>());
    }

    #[test]
    fn the_trace_built_in_slices_is_to_trace(p in params(), budget in 1usize..30) {
        let log = log_of(&p, None);
        let exec = &log.executions[0];
        let mut builder = TraceBuilder::new(exec);
        let mut steps = 0;
        while !builder.step(exec, budget) {
            steps += 1;
            prop_assert!(builder.done() < builder.total());
        }
        prop_assert_eq!(steps, builder.total().div_ceil(budget).saturating_sub(1));
        prop_assert_eq!(builder.finish(), exec.to_trace());
        // Another execution stops the build without a panic.
        let mut other = TraceBuilder::new(exec);
        prop_assert!(other.step(&Execution::default(), budget) || exec.events().is_empty());
    }

    #[test]
    fn a_missing_or_repeated_chunk_is_refused(p in params(), size in 1usize..8, which in any::<prop::sample::Index>(), repeat in any::<bool>()) {
        let log = log_of(&p, None);
        let chunks: Vec<Vec<u8>> = wire::chunks(&log, size).collect();
        prop_assume!(chunks.len() > 1);
        let k = which.index(chunks.len());
        let mut decoder = Decoder::new(&wire::header(&log)).unwrap();
        let mut refused = false;
        for (i, chunk) in chunks.iter().enumerate() {
            if i == k && !repeat {
                continue;
            }
            refused |= decoder.push(chunk).is_err();
            if i == k && repeat {
                refused |= decoder.push(chunk).is_err();
            }
        }
        prop_assert!(refused || decoder.finish().is_err());
    }

    #[test]
    fn damaged_bytes_never_panic_nor_decode_unnoticed(p in params(), flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4), cut in any::<prop::sample::Index>()) {
        let log = log_of(&p, None);
        let header = wire::header(&log);
        let mut chunks: Vec<Vec<u8>> = wire::chunks(&log, 5).collect();
        // Damage one chunk (flip bytes), or truncate it.
        let k = cut.index(chunks.len());
        let original = chunks[k].clone();
        for (at, byte) in &flips {
            let i = at.index(chunks[k].len());
            chunks[k][i] ^= byte | 1;
        }
        let mut decoder = Decoder::new(&header).unwrap();
        let result: Result<(), WireError> = chunks.iter().try_for_each(|c| decoder.push(c).map(|_| ()));
        if let Ok(()) = result {
            // Some flips still decode (a different label byte, a different clock count): the
            // result is then a structurally sound log, and it differs from the original.
            if let Ok(back) = decoder.finish() {
                prop_assert!(chunks[k] == original || back != log);
            }
        }
        let truncated = &original[..cut.index(original.len())];
        let mut decoder = Decoder::new(&header).unwrap();
        for c in &chunks[..k] {
            let _ = decoder.push(c);
        }
        let _ = decoder.push(truncated);
        let _ = Decoder::new(&header[..cut.index(header.len())]);
    }

    #[test]
    fn arbitrary_bytes_never_panic(header in proptest::collection::vec(any::<u8>(), 0..40), chunk in proptest::collection::vec(any::<u8>(), 0..80)) {
        let mut with_magic = wire::MAGIC.to_vec();
        with_magic.extend_from_slice(&header);
        for h in [&header, &with_magic] {
            if let Ok(mut d) = Decoder::new(h) {
                let _ = d.push(&chunk);
                let _ = d.finish();
            }
        }
    }
}

#[test]
fn a_corpus_log_with_fields_and_named_executions_round_trips_and_is_compact() {
    let text = std::fs::read_to_string(format!("{CORPUS}facebook-multiple.log")).unwrap();
    let regex = r"(?<ip>(\d{1,3}\.){3}\d{1,3}) (?<date>(\d{1,2}/){2}\d{4} (\d{2}:){2}\d{2} (AM|PM)) (?<action>(INFO|GET|POST)) (?<event>.*)\n(?<host>\w*) (?<clock>.*)";
    let options = ParseOptions::new(regex)
        .and_then(|o| o.with_delimiter(r"^=== (?<trace>.*) ===$"))
        .unwrap();
    let log = shiviz::parse(&text, &options).unwrap();
    assert_eq!(log.executions.len(), 2);
    assert_eq!(log.executions[1].name(), Some("Execution #2"));
    assert!(log.executions[0].events()[0].fields.len() >= 3);
    for size in [1, 7, 1000] {
        assert_eq!(round_trip(&log, size).unwrap(), log);
    }
    let bytes: usize =
        wire::header(&log).len() + wire::chunks(&log, 64).map(|c| c.len()).sum::<usize>();
    assert!(
        bytes < text.len(),
        "{bytes} bytes for a {}-byte log",
        text.len()
    );
    // A wrong header is refused with a message.
    let err = Decoder::new(b"CSV1").err().unwrap();
    assert!(err.to_string().contains("CSW1"), "{err}");
}
