//! The Causal-broadcast lab's invariants (Birman, Schiper & Stephenson 1991): no node
//! delivers a message before every message in its causal past — what its origin had
//! delivered before broadcasting it, transitively — and nothing waits in a hold-back queue
//! past the stuck limit. The causal past is read off the nodes' delivery orders, not off the
//! trace's happens-before: a message that merely *arrived* (held back, undelivered) does
//! not make the receiver's next broadcast depend on it.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::Invariant;
use crate::broadcast::BroadcastId;
use crate::scenario::causal_broadcast::Run;
use crate::time::Instant;

/// Every node's delivery order against happens-before.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderCheck {
    /// Delivered pairs whose broadcasts are causally related.
    pub related_pairs: usize,
    /// Of those, the pairs delivered against it, in words.
    pub violations: Vec<String>,
    /// Deliveries of a broadcast its origin never delivered (never expected).
    pub unmatched: usize,
}

impl Run {
    /// Each broadcast's causal past: the broadcasts its origin had delivered before sending
    /// it, and theirs, transitively (Birman et al.'s "causally precedes", read off the
    /// delivery orders alone, not the protocol's clocks).
    pub fn dependencies(&self) -> BTreeMap<BroadcastId, BTreeSet<BroadcastId>> {
        let mut direct: BTreeMap<BroadcastId, BTreeSet<BroadcastId>> = BTreeMap::new();
        for view in &self.nodes {
            let mut seen = BTreeSet::new();
            for id in &view.delivery {
                if id.origin == view.node {
                    direct.insert(*id, seen.clone());
                }
                seen.insert(*id);
            }
        }
        let mut closed = direct.clone();
        loop {
            let mut grew = false;
            for id in direct.keys() {
                let past: Vec<BroadcastId> = closed[id].iter().copied().collect();
                for p in past {
                    let extra: Vec<BroadcastId> = closed
                        .get(&p)
                        .map(|s| s.iter().copied().collect())
                        .unwrap_or_default();
                    let set = closed.get_mut(id).expect("every key is in closed");
                    for e in extra {
                        grew |= set.insert(e);
                    }
                }
            }
            if !grew {
                return closed;
            }
        }
    }

    /// Checks every node's delivery order: no message is delivered unless everything in its
    /// causal past was delivered there before it.
    pub fn order_check(&self) -> OrderCheck {
        let deps = self.dependencies();
        let mut check = OrderCheck {
            related_pairs: 0,
            violations: Vec::new(),
            unmatched: 0,
        };
        for view in &self.nodes {
            let position: BTreeMap<BroadcastId, usize> = view
                .delivery
                .iter()
                .enumerate()
                .map(|(i, id)| (*id, i))
                .collect();
            for (i, id) in view.delivery.iter().enumerate() {
                let Some(past) = deps.get(id) else {
                    check.unmatched += 1;
                    continue;
                };
                for dep in past {
                    match position.get(dep) {
                        Some(j) if *j < i => check.related_pairs += 1,
                        _ => {
                            check.related_pairs += 1;
                            check.violations.push(format!(
                                "{} delivered {id} before its dependency {dep}",
                                view.node
                            ));
                        }
                    }
                }
            }
        }
        check
    }

    /// Which invariants hold at true time `now`, given the run's [`order_check`](Self::order_check).
    ///
    /// ```
    /// use chronoscope::scenario::causal_broadcast::{run, Params};
    /// use chronoscope::time::Instant;
    /// // A 2 s slow link A → C, and C reports a message stuck after 1 s.
    /// let r = run(&Params { slow_link_ms: 2_000, ..Params::default() }).unwrap();
    /// let verdicts = r.invariants(&r.order_check(), Instant::from_millis(60_000));
    /// assert!(verdicts[0].holds, "delivered in causal order");
    /// assert!(!verdicts[1].holds, "{}", verdicts[1].detail);
    /// ```
    pub fn invariants(&self, check: &OrderCheck, now: Instant) -> Vec<Invariant> {
        let causal = Invariant::new(
            "no delivery before its dependencies",
            check.violations.is_empty() && check.unmatched == 0,
            if let Some(v) = check.violations.first() {
                v.clone()
            } else if check.unmatched > 0 {
                format!(
                    "{} deliveries could not be matched to a broadcast",
                    check.unmatched
                )
            } else {
                format!(
                    "{} causally related pairs, all delivered in causal order",
                    check.related_pairs
                )
            },
        );
        let stuck = self.stuck.iter().find(|s| s.0 <= now);
        let nothing_stuck = Invariant::new(
            "nothing stuck",
            stuck.is_none(),
            match stuck {
                Some((at, node, id, wait)) => format!(
                    "{node}: {id} stuck waiting for {wait} at {:.0} ms",
                    at.as_millis_f64()
                ),
                None => "no message waited past the stuck limit (so far)".into(),
            },
        );
        vec![causal, nothing_stuck]
    }
}
