//! The clock-skew audit against generated logs whose skews are known: hosts stamp events with
//! true time plus a fixed offset, messages take 1 to 5 ms. The true offsets must lie within the
//! computed bounds, the bounds must be tight enough to exclude answers more than the fastest
//! round trip away, and every listed disagreement must be a real happens-before pair with
//! timestamps the wrong way round (and the count must equal a brute-force count).
#![cfg(not(target_arch = "wasm32"))]

use chronoscope::node::NodeId;
use chronoscope::trace::dag::Execution;
use chronoscope::trace::shiviz::{parse, ParseOptions};
use chronoscope::trace::skew::{disagreements, offset_bounds, timestamps, Offsets};
use proptest::prelude::*;

const REGEX: &str = r"(?<host>\S+) (?<timestamp>\S+) (?<clock>{.*})\n(?<event>.*)";
const MAX_DELAY_US: i64 = 5_000;

/// A log of `hosts` hosts with clock offsets `offsets` (µs): first a ping-pong between host 0
/// and every other host, then random messages; `(seed)` drives the choices. Timestamps are
/// written as ISO dates. Returns the log text.
fn generate(offsets: &[i64], seed: u64, messages: usize) -> String {
    let n = offsets.len();
    let mut rng = seed | 1;
    let mut next = |m: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % m
    };
    let mut clocks = vec![vec![0u64; n]; n];
    let mut now: i64 = 1_000_000_000_000; // a few decades after 1970, in µs
    let mut lines = String::new();
    let log = |host: usize, clock: &[u64], true_time: i64, what: &str, lines: &mut String| {
        let ts = true_time + offsets[host];
        let (secs, micros) = (ts.div_euclid(1_000_000), ts.rem_euclid(1_000_000));
        let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        // 1970-01-01 + days, written as a date the audit reads (day count kept small).
        let date = civil(days);
        let entries: Vec<String> = clock
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(h, c)| format!("\"h{h}\":{c}"))
            .collect();
        lines.push_str(&format!(
            "h{host} {date}T{:02}:{:02}:{:02}.{micros:06}Z {{{}}}\n{what}\n",
            rest / 3600,
            rest / 60 % 60,
            rest % 60,
            entries.join(", ")
        ));
    };
    let pairs: Vec<(usize, usize)> = (1..n)
        .flat_map(|h| [(0, h), (h, 0)])
        .chain((0..messages).map(|_| {
            let a = next(n as u64) as usize;
            (a, (a + 1 + next(n as u64 - 1) as usize) % n)
        }))
        .collect();
    for (from, to) in pairs {
        now += 1_000 + next(3_000) as i64;
        clocks[from][from] += 1;
        let sent = clocks[from].clone();
        log(from, &sent, now, &format!("send to h{to}"), &mut lines);
        let delay = 1_000 + next((MAX_DELAY_US - 1_000) as u64 + 1) as i64;
        now += delay;
        for (k, c) in sent.iter().enumerate() {
            clocks[to][k] = clocks[to][k].max(*c);
        }
        clocks[to][to] += 1;
        let got = clocks[to].clone();
        log(to, &got, now, &format!("receive from h{from}"), &mut lines);
    }
    lines
}

fn civil(days: i64) -> String {
    // Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn import(text: &str) -> Execution {
    let opts = ParseOptions::new(REGEX).unwrap();
    parse(text, &opts).unwrap().executions.remove(0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn true_offsets_lie_within_tight_bounds(
        offsets in prop::collection::vec(-50_000i64..50_000, 2..6),
        seed in any::<u64>(),
        messages in 0usize..30,
    ) {
        let exec = import(&generate(&offsets, seed, messages));
        let (field, ts) = timestamps(&exec, None).unwrap();
        prop_assert_eq!(field, "timestamp");
        let host = |name: &str| exec.hosts().iter().position(|h| h == name).unwrap();
        let reference = NodeId(host("h0") as u32);
        let Offsets::Bounds(bounds) = offset_bounds(&exec, &ts, reference) else {
            panic!("constant offsets always fit");
        };
        for b in &bounds {
            let name = exec.host_name(b.host);
            let truth = offsets[name[1..].parse::<usize>().unwrap()] - offsets[0];
            let (lo, hi) = (b.lower.unwrap(), b.upper.unwrap());
            prop_assert!(lo <= truth && truth <= hi, "{name}: {truth} not in [{lo}, {hi}]");
            // Tight: each side is within one message's delay of the truth, so any answer more
            // than the slowest delay away is excluded.
            prop_assert!(hi - truth <= MAX_DELAY_US && truth - lo <= MAX_DELAY_US, "{name}: [{lo}, {hi}] vs {truth}");
        }
    }

    #[test]
    fn disagreements_are_exactly_the_reversed_pairs(
        offsets in prop::collection::vec(-20_000i64..20_000, 2..5),
        seed in any::<u64>(),
        messages in 0usize..20,
        limit in 0usize..50,
    ) {
        let exec = import(&generate(&offsets, seed, messages));
        let (_, ts) = timestamps(&exec, Some("timestamp")).unwrap();
        let found = disagreements(&exec, &ts, limit);
        let mut brute = Vec::new();
        for b in exec.events() {
            for a in exec.events() {
                if exec.happens_before(a.id, b.id) && ts[b.id.index()] < ts[a.id.index()] {
                    brute.push((a.id, b.id));
                }
            }
        }
        prop_assert_eq!(found.total, brute.len());
        prop_assert_eq!(&found.pairs[..], &brute[..brute.len().min(limit)]);
        // Synchronised clocks never disagree with causality.
        let zero = vec![0; offsets.len()];
        let exec = import(&generate(&zero, seed, messages));
        let (_, ts) = timestamps(&exec, None).unwrap();
        prop_assert_eq!(disagreements(&exec, &ts, 10).total, 0);
    }
}

#[test]
fn drifting_clocks_are_reported_as_inconsistent() {
    // a and b exchange twice; between the exchanges b's clock jumps back 10 ms, which no
    // constant offset explains.
    let text = "a 1000 {\"a\":1}\nping\nb 1002 {\"a\":1, \"b\":1}\npong\na 1004 {\"a\":2, \"b\":1}\nping\n\
                b 996 {\"a\":2, \"b\":2}\npong\n";
    let exec = import(text);
    let (_, ts) = timestamps(&exec, None).unwrap();
    assert_eq!(
        offset_bounds(&exec, &ts, NodeId(0)),
        Offsets::Inconsistent(vec![NodeId(0), NodeId(1)])
    );
    // b's last event (996) is stamped before all three events in its causal past.
    let found = disagreements(&exec, &ts, 10);
    assert_eq!(found.total, 3);
    assert!(found.pairs.iter().all(|&(_, b)| b.index() == 3));
}
