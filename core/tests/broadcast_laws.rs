//! Laws of the broadcast protocols over random seeded schedules (latency, loss, duplication,
//! reordering, crashes, partitions that heal before the run ends): causal delivery never
//! precedes a causal dependency (checked against the trace's happens-before, not against the
//! protocol's own clocks) and, with retransmission, loses nothing from a live sender once
//! partitions heal; FIFO delivers each sender's messages in order; total order is identical
//! everywhere (a common prefix under loss and partitions); reliable and gossip broadcast
//! deliver at most once; and nothing stays held back without a "stuck" report.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::{BTreeMap, BTreeSet};

use chronoscope::broadcast::causal::{CausalBroadcast, CausalConfig, CausalOutput};
use chronoscope::broadcast::fifo::{FifoBroadcast, FifoOutput};
use chronoscope::broadcast::gossip::GossipBroadcast;
use chronoscope::broadcast::reliable::{RelayOutput, ReliableBroadcast};
use chronoscope::broadcast::total_order::{TotalOrder, TotalOrderOutput};
use chronoscope::broadcast::BroadcastId;
use chronoscope::clock::LamportStamp;
use chronoscope::node::NodeId;
use chronoscope::sim::{Latency, LinkRule, Network, Partition, SimConfig, Simulation};
use chronoscope::time::{Instant, Span};
use chronoscope::trace::{CausalIndex, EventId};
use proptest::prelude::*;

const CASES: u32 = 1000;

/// A random schedule: nodes, seed, broadcasts `(time ms, node)`, latency, loss, duplication,
/// an optional crash `(time ms, node)`, an optional slow link, and partitions.
#[derive(Clone, Debug)]
struct Schedule {
    nodes: u32,
    seed: u64,
    ops: Vec<(i64, u32)>,
    lat_min: i64,
    lat_span: i64,
    loss: f64,
    duplicate: f64,
    crash: Option<(i64, u32)>,
    slow_link: Option<(u32, u32, i64)>,
    /// Partitions `(side bit mask, from ms, length ms)`: the nodes whose bit is set are cut
    /// off from the others during `[from, from + length)`. Every side is a proper non-empty
    /// subset, and every partition heals by [`HEALED_BY_MS`].
    partitions: Vec<(u32, i64, i64)>,
}

/// Every generated partition has healed by then (true time, ms); runs last well beyond it.
const HEALED_BY_MS: i64 = 1_000;

/// Schedules with at most `max_loss` loss, a crash if `crashes`, and up to two partitions
/// (overlapping the broadcasts, healed by [`HEALED_BY_MS`]) if `partitions`.
fn schedule(max_loss: f64, crashes: bool, partitions: bool) -> impl Strategy<Value = Schedule> {
    (2u32..=5, any::<u64>()).prop_flat_map(move |(nodes, seed)| {
        let max_parts = if partitions { 2 } else { 0 };
        (
            proptest::collection::vec((0i64..300, 0..nodes), 1..10),
            0i64..20,
            0i64..150,
            0.0..=max_loss,
            0.0f64..0.3,
            proptest::option::of((0i64..400, 0..nodes))
                .prop_filter("crashes", move |c| crashes || c.is_none()),
            proptest::option::of((0..nodes, 0..nodes, 0i64..500)),
            proptest::collection::vec(
                (1..(1u32 << nodes) - 1, 0i64..400, 1i64..=HEALED_BY_MS - 400),
                0..=max_parts,
            ),
        )
            .prop_map(
                move |(ops, lat_min, lat_span, loss, duplicate, crash, slow_link, partitions)| {
                    Schedule {
                        nodes,
                        seed,
                        ops,
                        lat_min,
                        lat_span,
                        loss,
                        duplicate,
                        crash,
                        slow_link,
                        partitions,
                    }
                },
            )
    })
}

impl Schedule {
    fn config(&self) -> SimConfig {
        let mut network = Network {
            latency: Latency::Uniform {
                min: Span::from_millis(self.lat_min),
                max: Span::from_millis(self.lat_min + self.lat_span),
            },
            loss: self.loss,
            duplicate: self.duplicate,
            partitions: self
                .partitions
                .iter()
                .map(|&(mask, from, len)| Partition {
                    side: (0..self.nodes)
                        .filter(|i| mask & (1 << i) != 0)
                        .map(NodeId)
                        .collect(),
                    from: Instant::from_millis(from),
                    until: Instant::from_millis(from + len),
                })
                .collect(),
            ..Network::default()
        };
        if let Some((from, to, extra)) = self.slow_link {
            network.links.insert(
                (NodeId(from), NodeId(to)),
                LinkRule {
                    extra_delay: Span::from_millis(extra),
                    ..LinkRule::default()
                },
            );
        }
        SimConfig {
            seed: self.seed,
            network,
            ..SimConfig::default()
        }
    }

    fn run<P: chronoscope::protocol::Protocol>(
        &self,
        nodes: Vec<P>,
        op: impl Fn(usize) -> P::Operation,
        until_ms: i64,
    ) -> Simulation<P> {
        let mut sim = Simulation::new(nodes, self.config()).unwrap();
        for (k, &(at, node)) in self.ops.iter().enumerate() {
            sim.schedule_operation(Instant::from_millis(at), NodeId(node), op(k))
                .unwrap();
        }
        if let Some((at, node)) = self.crash {
            sim.schedule_crash(Instant::from_millis(at), NodeId(node))
                .unwrap();
        }
        sim.run_until(Instant::from_millis(until_ms));
        sim
    }

    fn crashed(&self, node: NodeId) -> bool {
        self.crash.is_some_and(|(_, n)| NodeId(n) == node)
    }
}

/// Per node, the delivered ids in order with their trace events.
type Deliveries<K> = BTreeMap<NodeId, Vec<(K, EventId)>>;

/// The causal dependencies of every broadcast, computed from the outputs alone: a broadcast
/// depends on everything its sender had delivered before it (own broadcasts included) and,
/// transitively, on their dependencies. Outputs are in time order, so dependencies are known
/// before they are needed.
fn dependencies<K: Ord + Copy>(
    events: impl Iterator<Item = (NodeId, K, bool)>,
) -> BTreeMap<K, BTreeSet<K>> {
    let mut delivered: BTreeMap<NodeId, BTreeSet<K>> = BTreeMap::new();
    let mut deps: BTreeMap<K, BTreeSet<K>> = BTreeMap::new();
    for (node, id, own) in events {
        let seen = delivered.entry(node).or_default();
        if own {
            let mut all = BTreeSet::new();
            for d in seen.iter() {
                all.insert(*d);
                if let Some(more) = deps.get(d) {
                    all.extend(more.iter().copied());
                }
            }
            deps.insert(id, all);
        }
        seen.insert(id);
    }
    deps
}

/// Checks causal delivery: every node delivers all of a message's dependencies before it.
/// Also checks that the dependency relation is contained in the trace's happens-before
/// (the broadcasts' events are ordered by the independently built [`CausalIndex`]).
fn delivers_dependencies_first<K: Ord + Copy + std::fmt::Debug>(
    index: &CausalIndex,
    deliveries: &Deliveries<K>,
    deps: &BTreeMap<K, BTreeSet<K>>,
    broadcast_event: &BTreeMap<K, EventId>,
) -> Result<(), TestCaseError> {
    for (m, ds) in deps {
        for d in ds {
            prop_assert!(
                index.happens_before(broadcast_event[d], broadcast_event[m]),
                "{d:?} counted as a dependency of {m:?} without happening before it"
            );
        }
    }
    for (node, list) in deliveries {
        let mut done = BTreeSet::new();
        for (m, _) in list {
            if let Some(ds) = deps.get(m) {
                for d in ds {
                    prop_assert!(
                        done.contains(d),
                        "{node} delivered {m:?} before its dependency {d:?}"
                    );
                }
            }
            done.insert(*m);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// Causal broadcast: never early, never twice, never silently held, and — while the
    /// sender (and the senders of its dependencies) live and retransmission is on — never
    /// lost once partitions heal, on schedules with and without a crash and partitions.
    #[test]
    fn causal_delivery_respects_happens_before(
        s in schedule(0.3, true, true),
        relay in any::<bool>(),
    ) {
        let config = CausalConfig {
            stuck_after: Span::from_millis(400),
            retransmit: Some(Span::from_millis(100)),
            relay,
        };
        let nodes = (0..s.nodes).map(|_| CausalBroadcast::<usize>::new(config)).collect();
        let sim = s.run(nodes, |k| k, 3_000);
        let mut deliveries: Deliveries<BroadcastId> = BTreeMap::new();
        let mut origin_event = BTreeMap::new();
        let mut stuck = BTreeSet::new();
        for r in sim.outputs() {
            match &r.output {
                CausalOutput::Delivered { id, .. } => {
                    if id.origin == r.node {
                        origin_event.insert(*id, r.event);
                    }
                    deliveries.entry(r.node).or_default().push((*id, r.event));
                }
                CausalOutput::Stuck { id, .. } => { stuck.insert((r.node, *id)); }
                CausalOutput::HeldBack { .. } => {}
                CausalOutput::Rejected { error, .. } => prop_assert!(false, "rejected: {error}"),
            }
        }
        for list in deliveries.values() {
            let unique: BTreeSet<_> = list.iter().map(|d| d.0).collect();
            prop_assert_eq!(unique.len(), list.len(), "a message was delivered twice");
        }
        let trace = sim.trace();
        let index = CausalIndex::build(trace);
        let deps = dependencies(sim.outputs().iter().filter_map(|r| match r.output {
            CausalOutput::Delivered { id, .. } => Some((r.node, id, id.origin == r.node)),
            _ => None,
        }));
        delivers_dependencies_first(&index, &deliveries, &deps, &origin_event)?;
        // Nothing held silently: whatever is still held long enough was reported stuck.
        for node in trace.nodes() {
            if s.crashed(node) { continue; }
            let queue = sim.node(node).unwrap().queue().unwrap();
            for w in queue.waiting() {
                if sim.now().since(w.arrived) > Span::from_millis(500) {
                    prop_assert!(stuck.contains(&(node, w.message.id())), "{} held silently", w.message.id());
                }
            }
        }
        // Never lost while the sender lives, crash or not: retransmission repairs every loss,
        // and every copy a partition dropped once it has healed (by `HEALED_BY_MS`, two
        // seconds before the end), until each peer acks, so every live node delivers every
        // broadcast whose origin is
        // live and whose causal dependencies all come from live origins. (A dependency from a
        // crashed node has no one retransmitting it — relays are sent once — so a message
        // depending on it may stay held; that is reported stuck, checked above.)
        let live = |id: &BroadcastId| !s.crashed(id.origin);
        for m in origin_event.keys() {
            if !live(m) || !deps.get(m).is_none_or(|ds| ds.iter().all(live)) {
                continue;
            }
            for node in trace.nodes() {
                if s.crashed(node) { continue; }
                let got = deliveries.get(&node).is_some_and(|l| l.iter().any(|(id, _)| id == m));
                prop_assert!(got, "live {} never delivered {} from a live origin", node, m);
            }
        }
        // With no crash every broadcast qualifies: each node delivered all of them.
        if s.crash.is_none() {
            for node in trace.nodes() {
                let got = deliveries.get(&node).map_or(0, Vec::len);
                prop_assert_eq!(got, origin_event.len(), "{} missed messages", node);
            }
        }
    }

    /// FIFO broadcast: each sender's messages in order, at most once; held ones reported —
    /// also when partitions drop messages (it has no retransmission, so what a partition
    /// drops stays missing and its successors stay held, reported stuck).
    #[test]
    fn fifo_delivers_each_senders_messages_in_order(s in schedule(0.3, true, true)) {
        let stuck_after = Span::from_millis(300);
        let nodes = (0..s.nodes).map(|_| FifoBroadcast::<usize>::new(stuck_after)).collect();
        let sim = s.run(nodes, |k| k, 3_000);
        let mut next: BTreeMap<(NodeId, NodeId), u64> = BTreeMap::new();
        let mut stuck = BTreeSet::new();
        for r in sim.outputs() {
            match &r.output {
                FifoOutput::Delivered { id, .. } => {
                    let n = next.entry((r.node, id.origin)).or_insert(1);
                    prop_assert_eq!(id.seq, *n, "{} delivered {} out of order", r.node, id);
                    *n += 1;
                }
                FifoOutput::Stuck { id, waiting_for, .. } => {
                    prop_assert_eq!(waiting_for.origin, id.origin);
                    stuck.insert((r.node, *id));
                }
                FifoOutput::HeldBack { .. } => {}
                FifoOutput::Rejected { error, .. } => prop_assert!(false, "rejected: {error}"),
            }
        }
        for node in sim.trace().nodes() {
            if s.crashed(node) { continue; }
            for (id, _) in sim.node(node).unwrap().held() {
                prop_assert!(stuck.contains(&(node, id)), "{} held silently at {}", id, node);
            }
        }
    }

    /// Lamport total order: on a reordering, duplicating (lossless) network, every node
    /// displays every message, in the same order, ascending by stamp. No partitions here:
    /// the protocol has no retransmission, so a packet a partition drops leaves a gap on its
    /// link that stalls everyone for good (the next law covers partitions).
    #[test]
    fn total_order_is_identical_everywhere(s in schedule(0.0, false, false)) {
        let nodes = (0..s.nodes).map(|_| TotalOrder::<usize>::new(Span::from_secs(60))).collect();
        let sim = s.run(nodes, |k| k, 20_000);
        let mut shown: BTreeMap<NodeId, Vec<LamportStamp>> = BTreeMap::new();
        let mut origin_event = BTreeMap::new();
        for r in sim.outputs() {
            match &r.output {
                TotalOrderOutput::Display { stamp, .. } => {
                    shown.entry(r.node).or_default().push(*stamp);
                }
                TotalOrderOutput::Pending { stamp, .. } if stamp.node == r.node => {
                    origin_event.insert(*stamp, r.event);
                }
                TotalOrderOutput::Rejected { error, .. } => prop_assert!(false, "rejected: {error}"),
                _ => {}
            }
        }
        let reference = shown.get(&NodeId(0)).cloned().unwrap_or_default();
        prop_assert_eq!(reference.len(), s.ops.len());
        let mut sorted = reference.clone();
        sorted.sort();
        prop_assert_eq!(&sorted, &reference);
        for node in sim.trace().nodes() {
            prop_assert_eq!(shown.get(&node).cloned().unwrap_or_default(), reference.clone());
        }
        // A reply is displayed after what its sender had seen: if the sender had received
        // (pending or displayed) m1 before broadcasting m2, m1 sorts first.
        let deps = dependencies(sim.outputs().iter().filter_map(|r| match &r.output {
            TotalOrderOutput::Pending { stamp, .. } | TotalOrderOutput::Display { stamp, .. } => {
                Some((r.node, *stamp, stamp.node == r.node && origin_event.get(stamp) == Some(&r.event)))
            }
            _ => None,
        }));
        for (m, ds) in &deps {
            prop_assert!(ds.iter().all(|d| d < m), "{m:?} sorts before one of its dependencies");
        }
    }

    /// With loss, crashes and partitions the total order stalls but never disagrees: every
    /// node's display is a prefix of one common order, ascending by stamp, without repeats.
    #[test]
    fn total_order_under_loss_stays_prefix_consistent(s in schedule(0.3, true, true)) {
        let nodes = (0..s.nodes).map(|_| TotalOrder::<usize>::new(Span::from_millis(500))).collect();
        let sim = s.run(nodes, |k| k, 3_000);
        let mut shown: BTreeMap<NodeId, Vec<LamportStamp>> = BTreeMap::new();
        for r in sim.outputs() {
            if let TotalOrderOutput::Display { stamp, .. } = &r.output {
                shown.entry(r.node).or_default().push(*stamp);
            }
        }
        let longest = shown.values().max_by_key(|l| l.len()).cloned().unwrap_or_default();
        prop_assert!(longest.windows(2).all(|w| w[0] < w[1]), "not ascending: {longest:?}");
        for list in shown.values() {
            prop_assert_eq!(&longest[..list.len()], &list[..]);
        }
    }

    /// Total order's hold-back timeouts are reported, never silent. Its documented promise:
    /// a message pending (received or sent but not yet stable) for `stuck_after` is
    /// reported `Stuck`, with how long it waited and the nodes that have not yet promised a
    /// later stamp. So, under loss, crashes and partitions (which stall the order for good):
    /// every message held past the limit — until it is displayed, its node crashes, or the
    /// run ends — was reported stuck before it was displayed; every report names a message
    /// that was pending at that node, had waited at least the limit and was not displayed
    /// yet; and what a live node still holds at the end is exactly what it reported pending
    /// and never displayed.
    #[test]
    fn total_order_reports_every_overdue_hold_back(
        s in schedule(0.3, true, true),
        stuck_ms in 50i64..600,
    ) {
        let stuck_after = Span::from_millis(stuck_ms);
        let nodes = (0..s.nodes).map(|_| TotalOrder::<usize>::new(stuck_after)).collect();
        let sim = s.run(nodes, |k| k, 3_000);
        // Per (node, stamp): when it went pending, and the output index of its display.
        let mut pending: BTreeMap<(NodeId, LamportStamp), Instant> = BTreeMap::new();
        let mut displayed: BTreeMap<(NodeId, LamportStamp), usize> = BTreeMap::new();
        let mut stuck: BTreeMap<(NodeId, LamportStamp), usize> = BTreeMap::new();
        for (k, r) in sim.outputs().iter().enumerate() {
            match &r.output {
                TotalOrderOutput::Pending { stamp, .. } => {
                    prop_assert!(pending.insert((r.node, *stamp), r.at).is_none(), "pending twice");
                }
                TotalOrderOutput::Display { stamp, .. } => {
                    displayed.insert((r.node, *stamp), k);
                }
                TotalOrderOutput::Stuck { stamp, waiting_for, waited } => {
                    let key = (r.node, *stamp);
                    let since = pending.get(&key).copied();
                    prop_assert!(since.is_some(), "{} reported {stamp} stuck, never pending", r.node);
                    prop_assert!(
                        !displayed.contains_key(&key),
                        "{} reported {stamp} stuck after displaying it", r.node
                    );
                    prop_assert!(*waited >= stuck_after, "stuck after only {waited}");
                    prop_assert_eq!(Some(*waited), since.map(|t| r.at.since(t)));
                    prop_assert!(!waiting_for.is_empty(), "stuck waiting for no one");
                    prop_assert!(!waiting_for.contains(&r.node), "waiting for itself");
                    stuck.entry(key).or_insert(k);
                }
                TotalOrderOutput::Rejected { error, .. } => prop_assert!(false, "rejected: {error}"),
            }
        }
        for (&(node, stamp), &since) in &pending {
            let crashed_at = s.crash.filter(|c| NodeId(c.1) == node).map(|c| Instant::from_millis(c.0));
            let shown = displayed.get(&(node, stamp)).copied();
            let until = shown.map_or(sim.now(), |k| sim.outputs()[k].at);
            let until = crashed_at.map_or(until, |c| until.min(c));
            if until.since(since) > stuck_after {
                let reported = stuck.get(&(node, stamp)).copied();
                prop_assert!(
                    reported.is_some_and(|r| shown.is_none_or(|d| r < d)),
                    "{} held {} for {} past the limit {} without a stuck report",
                    node, stamp, until.since(since), stuck_after
                );
            }
        }
        for node in sim.trace().nodes() {
            if s.crashed(node) { continue; }
            let held: BTreeSet<LamportStamp> =
                sim.node(node).unwrap().pending().iter().map(|p| p.0).collect();
            let reported: BTreeSet<LamportStamp> = pending
                .keys()
                .filter(|k| k.0 == node && !displayed.contains_key(k))
                .map(|k| k.1)
                .collect();
            prop_assert_eq!(held, reported, "{} holds messages it never reported pending", node);
        }
    }

    /// Eager reliable broadcast with duplication and a crash: every live node delivers every
    /// broadcast exactly once. No partitions: it promises delivery on reliable links only
    /// (relays are sent once, never retransmitted), and a partition is a burst of loss.
    #[test]
    fn reliable_broadcast_delivers_exactly_once(s in schedule(0.0, true, false)) {
        let nodes = (0..s.nodes).map(|_| ReliableBroadcast::<usize>::new(true)).collect();
        let sim = s.run(nodes, |k| k, 5_000);
        let mut count: BTreeMap<(NodeId, BroadcastId), u32> = BTreeMap::new();
        let mut sent = BTreeSet::new();
        for r in sim.outputs() {
            if let RelayOutput::Delivered { id, .. } = r.output {
                *count.entry((r.node, id)).or_default() += 1;
                if id.origin == r.node { sent.insert(id); }
            }
        }
        prop_assert!(count.values().all(|c| *c == 1), "a message was delivered twice");
        for node in sim.trace().nodes() {
            if s.crashed(node) { continue; }
            for id in &sent {
                prop_assert!(count.contains_key(&(node, *id)), "{} never delivered {}", node, id);
            }
        }
    }

    /// Gossip under loss and partitions: never a duplicate delivery.
    #[test]
    fn relaying_broadcasts_never_deliver_twice(
        s in schedule(0.4, true, true),
        fanout in 1usize..4,
    ) {
        let nodes = (0..s.nodes).map(|_| GossipBroadcast::<usize>::new(fanout)).collect();
        let sim = s.run(nodes, |k| k, 5_000);
        let mut seen = BTreeSet::new();
        for r in sim.outputs() {
            if let RelayOutput::Delivered { id, .. } = r.output {
                prop_assert!(seen.insert((r.node, id)), "{} delivered {} twice", r.node, id);
            }
        }
    }
}

#[test]
fn without_retransmission_a_lost_dependency_is_reported_stuck() {
    // A broadcasts; its copy to C is lost. B delivers it and replies; C holds B's reply and
    // reports it stuck waiting for A:1.
    let mut network = Network::constant(Span::from_millis(10));
    network.links.insert(
        (NodeId(0), NodeId(2)),
        LinkRule {
            loss: Some(1.0),
            ..LinkRule::default()
        },
    );
    let config = CausalConfig {
        stuck_after: Span::from_millis(200),
        retransmit: None,
        relay: false,
    };
    let nodes = (0..3).map(|_| CausalBroadcast::new(config)).collect();
    let mut sim = Simulation::new(
        nodes,
        SimConfig {
            network,
            ..SimConfig::default()
        },
    )
    .unwrap();
    sim.schedule_operation(Instant::from_millis(1), NodeId(0), "Hello")
        .unwrap();
    sim.schedule_operation(Instant::from_millis(50), NodeId(1), "World")
        .unwrap();
    sim.run_until(Instant::from_millis(1_000));
    let lines: Vec<String> = sim
        .outputs()
        .iter()
        .filter(|r| r.node == NodeId(2))
        .map(|r| r.output.to_string())
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("B:1 stuck waiting for A:1")),
        "{lines:?}"
    );
}
