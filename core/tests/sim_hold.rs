//! The simulator's held links (`LinkRule::held`, `Verdict::Hold`, `set_link_rule`): a held
//! link loses nothing and delivers nothing; lifting the hold releases its messages, in send
//! order on a FIFO network, each judged afresh. The tab runtime applies the same rules.
#![cfg(not(target_arch = "wasm32"))]

use chronoscope::node::NodeId;
use chronoscope::protocol::{Context, Outbox, Protocol};
use chronoscope::sim::{LinkRule, Network, SimConfig, SimError, Simulation};
use chronoscope::time::{Instant, Span};
use chronoscope::trace::{DropReason, MessageFate};
use proptest::prelude::*;

/// Node 0 sends `count` numbered messages to node 1 at start; node 1 reports each one.
#[derive(Clone, Debug)]
struct Burst {
    count: u32,
}

impl Protocol for Burst {
    type Message = u32;
    type Timer = ();
    type Operation = ();
    type Output = u32;

    fn on_start(&mut self, ctx: &mut Context<'_>, out: &mut Outbox<Self>) {
        if ctx.node == NodeId(0) {
            for k in 1..=self.count {
                out.send(NodeId(1), k);
            }
        }
    }

    fn on_message(
        &mut self,
        _ctx: &mut Context<'_>,
        _from: NodeId,
        m: u32,
        out: &mut Outbox<Self>,
    ) {
        out.output(m);
    }
}

fn held_run(count: u32, seed: u64, fifo: bool) -> Simulation<Burst> {
    let mut network = Network {
        fifo,
        ..Network::default()
    };
    network.links.insert(
        (NodeId(0), NodeId(1)),
        LinkRule {
            held: true,
            ..LinkRule::default()
        },
    );
    let nodes = vec![Burst { count }, Burst { count: 0 }];
    Simulation::new(
        nodes,
        SimConfig {
            seed,
            network,
            ..SimConfig::default()
        },
    )
    .unwrap()
}

#[test]
fn a_held_link_delivers_nothing_until_released_and_then_everything() {
    let mut sim = held_run(5, 1, true);
    sim.run_until(Instant::from_millis(1_000));
    assert!(sim.outputs().is_empty());
    assert_eq!(sim.held(), 5);
    sim.set_link_rule(NodeId(0), NodeId(1), LinkRule::default())
        .unwrap();
    assert_eq!(sim.held(), 0);
    sim.run_until(Instant::from_millis(2_000));
    let got: Vec<u32> = sim.outputs().iter().map(|r| r.output).collect();
    assert_eq!(got, [1, 2, 3, 4, 5]);
    assert!(sim
        .outputs()
        .iter()
        .all(|r| r.at >= Instant::from_millis(1_000)));
}

#[test]
fn messages_still_held_at_the_end_are_in_flight_and_bad_rules_are_refused() {
    let mut sim = held_run(3, 2, false);
    sim.run_until(Instant::from_millis(100));
    assert_eq!(
        sim.set_link_rule(NodeId(0), NodeId(7), LinkRule::default()),
        Err(SimError::UnknownNode(NodeId(7)))
    );
    let bad = LinkRule {
        duplicate: Some(2.0),
        ..LinkRule::default()
    };
    assert!(matches!(
        sim.set_link_rule(NodeId(0), NodeId(1), bad),
        Err(SimError::Network(_))
    ));
    assert_eq!(sim.held(), 3, "a refused rule releases nothing");
    let trace = sim.finish();
    let fates: Vec<MessageFate> = trace.messages().iter().map(|m| m.fate).collect();
    assert_eq!(
        fates,
        vec![MessageFate::Dropped(DropReason::InFlightAtEnd); 3]
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Releasing a hold onto a lossy, duplicating link delivers each message at most as
    /// often as the rule allows (once, or twice when duplicated) and in order when FIFO.
    #[test]
    fn released_messages_obey_the_new_rule(seed in any::<u64>(), count in 1u32..20, loss in 0.0f64..1.0) {
        let mut sim = held_run(count, seed, true);
        sim.run_until(Instant::from_millis(50));
        let rule = LinkRule { loss: Some(loss), duplicate: Some(0.5), extra_delay: Span::from_millis(1), ..LinkRule::default() };
        sim.set_link_rule(NodeId(0), NodeId(1), rule).unwrap();
        sim.run_until(Instant::from_millis(5_000));
        let got: Vec<u32> = sim.outputs().iter().map(|r| r.output).collect();
        prop_assert!(got.windows(2).all(|w| w[0] <= w[1]), "out of order: {:?}", got);
        for k in 1..=count {
            prop_assert!(got.iter().filter(|&&m| m == k).count() <= 2);
        }
        prop_assert_eq!(sim.held(), 0);
    }
}
