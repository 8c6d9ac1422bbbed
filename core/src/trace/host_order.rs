//! Orders for an execution's hosts (the diagram's lanes), as ShiViz offers (Beschastnikh et
//! al., "Debugging distributed systems", CACM 2016, §4): by number of events (busiest first)
//! or by first appearance in the log (the line of each host's first event).
//!
//! Invariant: each order is a permutation of the hosts; ties keep first appearance.

use alloc::vec::Vec;

use super::dag::Execution;
use crate::node::NodeId;

/// The orders offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum HostOrder {
    /// As the importer numbered them (order of first appearance in topological order).
    #[default]
    AsImported,
    /// By the line of each host's first event in the log.
    FirstAppearance,
    /// Most events first.
    EventCount,
}

/// The hosts of `exec` in `order`.
///
/// ```
/// use chronoscope::trace::host_order::{order, HostOrder};
/// use chronoscope::trace::shiviz::{parse, ParseOptions, GOVECTOR_REGEX};
/// let opts = ParseOptions::new(GOVECTOR_REGEX).unwrap();
/// let log = parse("a {\"a\":1}\nx\nb {\"b\":1}\ny\nb {\"b\":2}\nz\n", &opts).unwrap();
/// let exec = &log.executions[0];
/// let names = |o| order(exec, o).iter().map(|h| exec.host_name(*h).to_string()).collect::<Vec<_>>();
/// assert_eq!(names(HostOrder::EventCount), ["b", "a"]);
/// assert_eq!(names(HostOrder::FirstAppearance), ["a", "b"]);
/// ```
pub fn order(exec: &Execution, order: HostOrder) -> Vec<NodeId> {
    let first_line = |h: NodeId| {
        exec.events_of(h)
            .iter()
            .map(|e| exec.events()[e.index()].line)
            .min()
            .unwrap_or(u32::MAX)
    };
    let mut hosts: Vec<NodeId> = (0..exec.hosts().len() as u32).map(NodeId).collect();
    match order {
        HostOrder::AsImported => {}
        HostOrder::FirstAppearance => hosts.sort_by_key(|&h| (first_line(h), h)),
        HostOrder::EventCount => hosts.sort_by_key(|&h| {
            (
                core::cmp::Reverse(exec.events_of(h).len()),
                first_line(h),
                h,
            )
        }),
    }
    hosts
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::trace::shiviz::{parse, ParseOptions, GOVECTOR_REGEX};
    use alloc::string::String;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn orders_are_permutations_sorted_by_their_key(hosts in prop::collection::vec(0usize..4, 1..30)) {
            let mut count = [0u64; 4];
            let mut text = String::new();
            for h in &hosts {
                count[*h] += 1;
                text.push_str(&alloc::format!("h{h} {{\"h{h}\":{}}}\nev\n", count[*h]));
            }
            let log = parse(&text, &ParseOptions::new(GOVECTOR_REGEX).unwrap()).unwrap();
            let exec = &log.executions[0];
            for o in [HostOrder::AsImported, HostOrder::FirstAppearance, HostOrder::EventCount] {
                let mut sorted = order(exec, o);
                let got = sorted.clone();
                sorted.sort();
                prop_assert_eq!(sorted, (0..exec.hosts().len() as u32).map(NodeId).collect::<Vec<_>>());
                if o == HostOrder::EventCount {
                    prop_assert!(got.windows(2).all(|w| exec.events_of(w[0]).len() >= exec.events_of(w[1]).len()));
                }
                if o == HostOrder::FirstAppearance {
                    // Host names h0..h3 appear in the order the generator first used them.
                    let mut first: Vec<usize> = Vec::new();
                    for h in &hosts { if !first.contains(h) { first.push(*h); } }
                    let names: Vec<String> = got.iter().map(|h| String::from(exec.host_name(*h))).collect();
                    let expected: Vec<String> = first.iter().map(|h| alloc::format!("h{h}")).collect();
                    prop_assert_eq!(names, expected);
                }
            }
        }
    }
}
