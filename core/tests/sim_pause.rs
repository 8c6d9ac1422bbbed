//! The simulator's stop-the-world pause (`schedule_pause`): a paused node handles nothing
//! until the pause ends — messages, timers and operations due meanwhile are deferred, in
//! their original order — while its clock keeps running.
#![cfg(not(target_arch = "wasm32"))]

use chronoscope::node::NodeId;
use chronoscope::protocol::{Context, Outbox, Protocol};
use chronoscope::sim::{Network, SimConfig, Simulation};
use chronoscope::time::{Instant, Span};
use proptest::prelude::*;

/// Node 0 sends a numbered message every 10 ms (20 in all); node 1 reports each delivery,
/// and a tick of its own timer every 7 ms.
#[derive(Clone, Debug)]
struct Ticker {
    sent: u32,
}

#[derive(Clone, Debug, PartialEq)]
enum Seen {
    Message(u32, Instant),
    Tick(Instant),
    Poke(Instant),
}

impl Protocol for Ticker {
    type Message = u32;
    type Timer = ();
    type Operation = ();
    type Output = Seen;

    fn on_start(&mut self, _ctx: &mut Context<'_>, out: &mut Outbox<Self>) {
        out.set_timer(Span::from_millis(7), ());
    }

    fn on_message(&mut self, ctx: &mut Context<'_>, _from: NodeId, m: u32, out: &mut Outbox<Self>) {
        out.output(Seen::Message(m, ctx.now));
    }

    fn on_timer(&mut self, ctx: &mut Context<'_>, _t: (), out: &mut Outbox<Self>) {
        if ctx.node == NodeId(0) {
            if self.sent < 20 {
                self.sent += 1;
                out.send(NodeId(1), self.sent);
                out.set_timer(Span::from_millis(10), ());
            }
        } else {
            out.output(Seen::Tick(ctx.now));
            if ctx.now < Instant::from_millis(300) {
                out.set_timer(Span::from_millis(7), ());
            }
        }
    }

    fn on_operation(&mut self, ctx: &mut Context<'_>, _op: (), out: &mut Outbox<Self>) {
        out.output(Seen::Poke(ctx.now));
    }
}

fn run(pause_at: i64, pause_ms: i64, latency_ms: i64, fifo: bool) -> Simulation<Ticker> {
    let nodes = vec![Ticker { sent: 0 }, Ticker { sent: 0 }];
    let network = Network {
        fifo,
        ..Network::constant(Span::from_millis(latency_ms))
    };
    let mut sim = Simulation::new(
        nodes,
        SimConfig {
            network,
            ..SimConfig::default()
        },
    )
    .unwrap();
    let (b, at) = (NodeId(1), Instant::from_millis(pause_at));
    sim.schedule_pause(at, b, Span::from_millis(pause_ms))
        .unwrap();
    sim.schedule_operation(at + Span::from_millis(1), b, ())
        .unwrap();
    sim.run_until(Instant::from_millis(1_000));
    sim
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn nothing_is_handled_during_a_pause_and_order_is_kept(
        pause_at in 0i64..200,
        pause_ms in 1i64..300,
        latency in 0i64..30,
    ) {
        let sim = run(pause_at, pause_ms, latency, true);
        let (start, end) = (Instant::from_millis(pause_at), Instant::from_millis(pause_at + pause_ms));
        let mut last = 0;
        let mut poked = false;
        for r in sim.outputs().iter().filter(|r| r.node == NodeId(1)) {
            prop_assert!(!(r.at > start && r.at < end), "{r:?} during the pause");
            match r.output {
                Seen::Message(m, local) => {
                    prop_assert_eq!(m, last + 1, "messages out of order");
                    last = m;
                    // The clock kept running: local time equals true time (perfect clock).
                    prop_assert_eq!(local, r.at);
                }
                Seen::Poke(local) => {
                    poked = true;
                    prop_assert!(local >= end, "the operation ran before the pause ended");
                }
                Seen::Tick(_) => {}
            }
        }
        prop_assert_eq!(last, 20, "every message delivered");
        prop_assert!(poked);
    }
}

#[test]
fn a_pause_of_an_unknown_node_is_a_typed_error() {
    let mut sim = Simulation::new(vec![Ticker { sent: 0 }], SimConfig::default()).unwrap();
    assert!(sim
        .schedule_pause(Instant::ZERO, NodeId(7), Span::from_millis(1))
        .is_err());
}

#[test]
fn every_schedule_call_refuses_an_unknown_node_with_its_id() {
    use chronoscope::sim::SimError;
    let mut sim = Simulation::new(
        vec![Ticker { sent: 0 }, Ticker { sent: 0 }],
        SimConfig::default(),
    )
    .unwrap();
    let (at, ms) = (Instant::from_millis(5), Span::from_millis(1));
    // The first id past the last node, and one far beyond.
    for bad in [NodeId(2), NodeId(u32::MAX)] {
        let unknown = Err(SimError::UnknownNode(bad));
        assert_eq!(sim.schedule_operation(at, bad, ()), unknown);
        assert_eq!(sim.schedule_clock_jump(at, bad, ms), unknown);
        assert_eq!(sim.schedule_crash(at, bad), unknown);
        assert_eq!(sim.schedule_pause(at, bad, ms), unknown);
    }
    assert_eq!(
        SimError::UnknownNode(NodeId(2)).to_string(),
        format!("no node {} in this run", NodeId(2))
    );
    // Nothing was scheduled: the run is the same as one without those calls.
    sim.run_until(Instant::from_millis(100));
    assert!(sim
        .outputs()
        .iter()
        .all(|r| !matches!(r.output, Seen::Poke(_))));
    assert!(sim.node(NodeId(1)).is_some());
    // The last real node is accepted.
    assert_eq!(sim.schedule_operation(at, NodeId(1), ()), Ok(()));
}
