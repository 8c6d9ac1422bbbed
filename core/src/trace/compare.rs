//! Pairwise comparison of two executions, after ShiViz's "pairwise view" (Beschastnikh et al.,
//! "Debugging distributed systems", CACM 2016, §4 "comparing executions"): hosts are matched by
//! name and, on each shared host, events by their text in local order — the `k`-th event with a
//! given text on host `h` in one execution matches the `k`-th with that text on `h` in the
//! other. Whatever is left unmatched is a difference: hosts only one execution has (with all
//! their events) and events only one execution has.
//!
//! Invariant: comparing an execution with itself finds no difference; comparison is symmetric
//! (swapping the executions swaps the sides); the [`Comparison::distance`] is a metric on the
//! multisets of `(host, text)` pairs.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use super::dag::Execution;
use super::EventId;
use crate::node::NodeId;

/// What differs between a left and a right execution.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Comparison {
    /// Hosts only the left execution has, in its host order.
    pub left_hosts: Vec<String>,
    /// Hosts only the right execution has, in its host order.
    pub right_hosts: Vec<String>,
    /// Left events with no counterpart on the right, ascending.
    pub left_events: Vec<EventId>,
    /// Right events with no counterpart on the left, ascending.
    pub right_events: Vec<EventId>,
}

impl Comparison {
    /// How many events differ, both sides together.
    pub fn distance(&self) -> usize {
        self.left_events.len() + self.right_events.len()
    }
    /// Whether the executions have the same hosts and the same events on each.
    pub fn is_same(&self) -> bool {
        self.left_hosts.is_empty() && self.right_hosts.is_empty() && self.distance() == 0
    }
}

/// Every event as `(host name, text, id)`, sorted (so equal pairs are in local order).
/// Events in `matched` (a host's common prefix, already paired) are left out.
fn keyed<'a>(exec: &'a Execution, matched: &[bool]) -> Vec<(&'a str, &'a str, EventId)> {
    let mut out: Vec<(&str, &str, EventId)> = exec
        .events()
        .iter()
        .filter(|e| !matched.get(e.id.index()).copied().unwrap_or(false))
        .map(|e| (exec.host_name(e.host), e.text.as_str(), e.id))
        .collect();
    out.sort_unstable();
    out
}

/// Per shared host, the longest common prefix of the two hosts' texts pairs up in order (the
/// `k`-th text `t` on each side is the `k`-th occurrence of `t` on both, so this agrees with
/// the matching rule and leaves little to sort when executions are alike).
fn common_prefixes(left: &Execution, right: &Execution) -> (Vec<bool>, Vec<bool>) {
    let mut l = alloc::vec![false; left.events().len()];
    let mut r = alloc::vec![false; right.events().len()];
    let names: BTreeMap<&str, usize> = right
        .hosts()
        .iter()
        .enumerate()
        .map(|(i, h)| (h.as_str(), i))
        .collect();
    for (h, name) in left.hosts().iter().enumerate() {
        let Some(&k) = names.get(name.as_str()) else {
            continue;
        };
        let (a, b) = (
            left.events_of(NodeId(h as u32)),
            right.events_of(NodeId(k as u32)),
        );
        for (x, y) in a.iter().zip(b) {
            if left.events()[x.index()].text != right.events()[y.index()].text {
                break;
            }
            l[x.index()] = true;
            r[y.index()] = true;
        }
    }
    (l, r)
}

/// The events of `mine` beyond the count of their `(host, text)` pair in `theirs`, ascending.
fn unmatched(mine: &[(&str, &str, EventId)], theirs: &[(&str, &str, EventId)]) -> Vec<EventId> {
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < mine.len() {
        let key = (mine[i].0, mine[i].1);
        let run = mine[i..].partition_point(|e| (e.0, e.1) == key);
        while j < theirs.len() && (theirs[j].0, theirs[j].1) < key {
            j += 1;
        }
        let matched = theirs[j..].partition_point(|e| (e.0, e.1) == key);
        out.extend(mine[i + matched.min(run)..i + run].iter().map(|e| e.2));
        i += run;
        j += matched;
    }
    out.sort_unstable();
    out
}

/// Compares two executions (see the module docs).
///
/// ```
/// use chronoscope::trace::compare::compare;
/// use chronoscope::trace::shiviz::{parse, ParseOptions, GOVECTOR_REGEX};
/// let opts = ParseOptions::new(GOVECTOR_REGEX).unwrap();
/// let a = parse("a {\"a\":1}\nstart\na {\"a\":2}\nstop\n", &opts).unwrap();
/// let b = parse("a {\"a\":1}\nstart\na {\"a\":2}\ncrash\n", &opts).unwrap();
/// let c = compare(&a.executions[0], &b.executions[0]);
/// assert_eq!((c.left_events.len(), c.right_events.len()), (1, 1));
/// assert!(compare(&a.executions[0], &a.executions[0]).is_same());
/// ```
pub fn compare(left: &Execution, right: &Execution) -> Comparison {
    let only = |a: &Execution, b: &Execution| -> Vec<String> {
        a.hosts()
            .iter()
            .filter(|h| !b.hosts().contains(h))
            .cloned()
            .collect()
    };
    let (lm, rm) = common_prefixes(left, right);
    let (l, r) = (keyed(left, &lm), keyed(right, &rm));
    Comparison {
        left_hosts: only(left, right),
        right_hosts: only(right, left),
        left_events: unmatched(&l, &r),
        right_events: unmatched(&r, &l),
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::trace::shiviz::{parse, ParseOptions, GOVECTOR_REGEX};
    use proptest::prelude::*;

    /// A one-host-per-event-line log from `(host, text)` pairs.
    fn exec(events: &[(u8, u8)]) -> Execution {
        let mut count = [0u64; 3];
        let mut text = String::new();
        for (h, t) in events {
            let h = *h as usize % 3;
            count[h] += 1;
            text.push_str(&alloc::format!(
                "h{h} {{\"h{h}\":{}}}\nevent {}\n",
                count[h],
                t % 4
            ));
        }
        let opts = ParseOptions::new(GOVECTOR_REGEX).unwrap();
        parse(&text, &opts).unwrap().executions.remove(0)
    }

    fn events() -> impl Strategy<Value = Vec<(u8, u8)>> {
        prop::collection::vec((0u8..3, 0u8..4), 1..20)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(100))]
        #[test]
        fn self_comparison_is_empty_and_comparison_is_symmetric(a in events(), b in events()) {
            let (x, y) = (exec(&a), exec(&b));
            prop_assert!(compare(&x, &x).is_same());
            let (xy, yx) = (compare(&x, &y), compare(&y, &x));
            prop_assert_eq!(&xy.left_events, &yx.right_events);
            prop_assert_eq!(&xy.left_hosts, &yx.right_hosts);
            // The rule, written naively: the k-th (host, text) on the left is matched when the
            // right has more than k of them.
            let naive = |a: &Execution, b: &Execution| {
                let mut seen: alloc::collections::BTreeMap<(&str, &str), usize> = Default::default();
                let mut out = Vec::new();
                for e in a.events() {
                    let key = (a.host_name(e.host), e.text.as_str());
                    let k = seen.entry(key).or_default();
                    let theirs = b.events().iter().filter(|f| (b.host_name(f.host), f.text.as_str()) == key).count();
                    if *k >= theirs { out.push(e.id); }
                    *k += 1;
                }
                out
            };
            prop_assert_eq!(&xy.left_events, &naive(&x, &y));
            prop_assert_eq!(&xy.right_events, &naive(&y, &x));
            // Matched events pair up one to one: the unmatched counts differ by the sizes.
            prop_assert_eq!(
                x.events().len() as i64 - xy.left_events.len() as i64,
                y.events().len() as i64 - xy.right_events.len() as i64
            );
        }

        #[test]
        fn distance_obeys_the_triangle_inequality(a in events(), b in events(), c in events()) {
            let (x, y, z) = (exec(&a), exec(&b), exec(&c));
            let d = |p: &Execution, q: &Execution| compare(p, q).distance();
            prop_assert!(d(&x, &z) <= d(&x, &y) + d(&y, &z));
        }
    }
}
