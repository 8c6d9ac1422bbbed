//! Clustering the executions of a log, as ShiViz's cluster view does (Beschastnikh et al.,
//! "Debugging distributed systems", CACM 2016, §4): by number of processes (hosts), or by
//! distance to a chosen base execution, the distance being the number of differing events
//! found by [`compare`].
//!
//! Invariant: every execution lands in exactly one cluster; clusters are ordered by their key
//! (ascending), executions inside a cluster by their position in the log.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use super::compare::compare;
use super::dag::Log;

/// One cluster: the key the executions share and their positions in [`Log::executions`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cluster {
    /// The number of hosts, or the distance to the base.
    pub key: usize,
    /// Positions of the executions in the log, ascending.
    pub executions: Vec<usize>,
}

fn group(keys: impl Iterator<Item = (usize, usize)>) -> Vec<Cluster> {
    let mut map: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, key) in keys {
        map.entry(key).or_default().push(i);
    }
    map.into_iter()
        .map(|(key, executions)| Cluster { key, executions })
        .collect()
}

/// Executions grouped by how many hosts they have.
///
/// ```
/// use chronoscope::trace::cluster::by_process_count;
/// use chronoscope::trace::shiviz::{parse, ParseOptions, GOVECTOR_REGEX};
/// let opts = ParseOptions::new(GOVECTOR_REGEX).unwrap().with_delimiter("^== (?<trace>.*)$").unwrap();
/// let log = parse("== one\na {\"a\":1}\nx\n== two\na {\"a\":1}\nx\nb {\"a\":1, \"b\":1}\ny\n", &opts).unwrap();
/// let clusters = by_process_count(&log);
/// assert_eq!((clusters[0].key, clusters[1].key), (1, 2));
/// ```
pub fn by_process_count(log: &Log) -> Vec<Cluster> {
    group(
        log.executions
            .iter()
            .enumerate()
            .map(|(i, e)| (i, e.hosts().len())),
    )
}

/// Executions grouped by their distance to execution `base` (which lands at distance 0, with
/// every execution identical to it). An out-of-range `base` gives no clusters.
pub fn by_distance(log: &Log, base: usize) -> Vec<Cluster> {
    let Some(b) = log.executions.get(base) else {
        return Vec::new();
    };
    group(log.executions.iter().enumerate().map(|(i, e)| {
        let c = compare(b, e);
        // Hosts missing on either side count as differences too (their events already do,
        // but a host with no counterpart should never look identical).
        let hosts = c.left_hosts.len() + c.right_hosts.len();
        (i, c.distance() + hosts)
    }))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::trace::shiviz::{parse, ParseOptions, GOVECTOR_REGEX};
    use proptest::prelude::*;

    fn log(executions: &[Vec<(u8, u8)>]) -> Log {
        let mut text = String::new();
        for (i, events) in executions.iter().enumerate() {
            text.push_str(&alloc::format!("== run {i}\n"));
            let mut count = [0u64; 3];
            for (h, t) in events {
                let h = *h as usize % 3;
                count[h] += 1;
                text.push_str(&alloc::format!(
                    "h{h} {{\"h{h}\":{}}}\nevent {}\n",
                    count[h],
                    t % 3
                ));
            }
        }
        let opts = ParseOptions::new(GOVECTOR_REGEX)
            .unwrap()
            .with_delimiter("^== (?<trace>.*)$")
            .unwrap();
        parse(&text, &opts).unwrap()
    }
    use alloc::string::String;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(100))]
        #[test]
        fn clusters_partition_the_log(runs in prop::collection::vec(prop::collection::vec((0u8..3, 0u8..3), 1..8), 1..6), base in 0usize..6) {
            let log = log(&runs);
            let n = log.executions.len();
            for clusters in [by_process_count(&log), by_distance(&log, base % n)] {
                let mut all: Vec<usize> = clusters.iter().flat_map(|c| c.executions.clone()).collect();
                all.sort_unstable();
                prop_assert_eq!(all, (0..n).collect::<Vec<_>>());
                prop_assert!(clusters.windows(2).all(|w| w[0].key < w[1].key));
            }
            let by_hosts = by_process_count(&log);
            for c in &by_hosts {
                for &e in &c.executions {
                    prop_assert_eq!(log.executions[e].hosts().len(), c.key);
                }
            }
            let by_dist = by_distance(&log, base % n);
            prop_assert_eq!(by_dist[0].key, 0);
            prop_assert!(by_dist[0].executions.contains(&(base % n)));
        }
    }
}
