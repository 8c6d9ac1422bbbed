//! Laws of the hybrid logical clock and of TrueTime, checked on simulator runs with drifting
//! physical clocks and clock jumps: HLC stamps follow happens-before (checked against the
//! trace's own graph), never go back, stay at or above the physical clock and, when skew is
//! bounded, within ε of it; TrueTime's interval always holds the true time.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeMap;

use chronoscope::clock::{
    HlcTimestamp, HybridLogicalClock, PhysicalClock, TrueTime, TrueTimeConfig,
};
use chronoscope::node::NodeId;
use chronoscope::protocol::{Context, Outbox, Protocol};
use chronoscope::sim::{Latency, Network, SimConfig, Simulation};
use chronoscope::time::{Instant, Span};
use chronoscope::trace::{CausalIndex, EventId};
use proptest::prelude::*;

/// Stamps an HLC on every timer tick (sending the stamp to a random peer) and every receive.
struct HlcNode {
    hlc: HybridLogicalClock,
    sends_left: u32,
}

/// One HLC stamp, with the physical reading it was taken at.
#[derive(Clone, Debug)]
struct Stamped {
    ts: HlcTimestamp,
    pt: Instant,
    rejected: bool,
}

impl HlcNode {
    fn stamp(&mut self, ctx: &mut Context<'_>, out: &mut Outbox<Self>) -> HlcTimestamp {
        let ts = self.hlc.now(ctx.now).unwrap();
        out.output(Stamped {
            ts,
            pt: ctx.now,
            rejected: false,
        });
        ts
    }
}

impl Protocol for HlcNode {
    type Message = HlcTimestamp;
    type Timer = ();
    type Operation = ();
    type Output = Stamped;

    fn on_start(&mut self, ctx: &mut Context<'_>, out: &mut Outbox<Self>) {
        out.set_timer(Span::from_micros(ctx.rng.in_range(100, 5_000)), ());
    }
    fn on_timer(&mut self, ctx: &mut Context<'_>, _: (), out: &mut Outbox<Self>) {
        if self.sends_left == 0 {
            return;
        }
        self.sends_left -= 1;
        let ts = self.stamp(ctx, out);
        let to = ctx.peers[ctx.rng.below(ctx.peers.len() as u64) as usize];
        out.send(to, ts);
        out.set_timer(Span::from_micros(ctx.rng.in_range(100, 5_000)), ());
    }
    fn on_message(
        &mut self,
        ctx: &mut Context<'_>,
        _: NodeId,
        m: HlcTimestamp,
        out: &mut Outbox<Self>,
    ) {
        match self.hlc.update(m, ctx.now) {
            Ok(ts) => out.output(Stamped {
                ts,
                pt: ctx.now,
                rejected: false,
            }),
            Err(_) => out.output(Stamped {
                ts: self.hlc.last(),
                pt: ctx.now,
                rejected: true,
            }),
        }
    }
    fn on_operation(&mut self, ctx: &mut Context<'_>, _: (), out: &mut Outbox<Self>) {
        self.stamp(ctx, out);
    }
}

struct Run {
    trace: chronoscope::trace::Trace,
    stamps: BTreeMap<EventId, (NodeId, Stamped)>,
}

fn run_hlc(
    seed: u64,
    nodes: u32,
    clocks: Vec<PhysicalClock>,
    jumps: &[(u32, u32, i64)],
    max_offset: Option<Span>,
) -> Run {
    let protocols = (0..nodes)
        .map(|_| HlcNode {
            hlc: max_offset.map_or_else(HybridLogicalClock::unbounded, |m| {
                HybridLogicalClock::new(m).expect("a non-negative max offset")
            }),
            sends_left: 25,
        })
        .collect();
    let config = SimConfig {
        seed,
        network: Network {
            latency: Latency::Uniform {
                min: Span::from_micros(200),
                max: Span::from_millis(8),
            },
            ..Network::default()
        },
        clocks,
        labels: false,
    };
    let mut sim = Simulation::new(protocols, config).unwrap();
    for &(node, at_ms, by_ms) in jumps {
        let node = NodeId(node % nodes);
        sim.schedule_clock_jump(
            Instant::from_millis(at_ms.into()),
            node,
            Span::from_millis(by_ms),
        )
        .unwrap();
        sim.schedule_operation(Instant::from_millis(at_ms.into()), node, ())
            .unwrap();
    }
    sim.run_until(Instant::from_millis(10_000));
    let stamps = sim
        .outputs()
        .iter()
        .map(|r| (r.event, (r.node, r.output.clone())))
        .collect();
    Run {
        trace: sim.finish(),
        stamps,
    }
}

fn clocks(nodes: u32, offsets_us: &[i64], drifts: &[f64]) -> Vec<PhysicalClock> {
    (0..nodes as usize)
        .map(|i| {
            PhysicalClock::new(
                Span::from_micros(offsets_us[i % offsets_us.len()]),
                drifts[i % drifts.len()],
            )
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    /// Under arbitrary jumps (minutes, both ways) and drift: per node strictly increasing,
    /// `l ≥ pt`, and `e → f` implies `hlc(e) < hlc(f)`; `c` never exceeds the number of
    /// causally preceding stamps with the same `l` (the paper's Theorem 3 argument).
    #[test]
    fn hlc_follows_happens_before_across_jumps(
        seed in any::<u64>(),
        nodes in 2u32..5,
        offsets in proptest::collection::vec(-2_000_000i64..2_000_000, 1..5),
        drifts in proptest::collection::vec(-300.0f64..300.0, 1..5),
        jumps in proptest::collection::vec((0u32..5, 0u32..120, -300_000i64..300_000), 0..4),
    ) {
        let run = run_hlc(seed, nodes, clocks(nodes, &offsets, &drifts), &jumps, None);
        let index = CausalIndex::build(&run.trace);
        let mut last: BTreeMap<NodeId, HlcTimestamp> = BTreeMap::new();
        for (&e, (node, s)) in &run.stamps {
            prop_assert!(!s.rejected);
            prop_assert!(s.ts.physical_ms() >= HybridLogicalClock::physical_ms(s.pt));
            if let Some(prev) = last.insert(*node, s.ts) {
                prop_assert!(s.ts > prev, "node {} went from {} to {}", node, prev, s.ts);
            }
            let mut same_l_before = 0u64;
            for (&f, (_, t)) in &run.stamps {
                if index.happens_before(f, e) {
                    prop_assert!(t.ts < s.ts, "{:?} -> {:?} but {} >= {}", f, e, t.ts, s.ts);
                    same_l_before += u64::from(t.ts.physical_ms() == s.ts.physical_ms());
                }
            }
            // The initial (0, 0) counts as one more stamp with l = 0.
            let initial = u64::from(s.ts.physical_ms() == 0);
            prop_assert!(u64::from(s.ts.logical()) <= same_l_before + initial, "{:?} {} {:?} {}", e, node, s, same_l_before);
        }
    }

    /// With clocks within ε of each other (no jumps), `l − pt ≤ ε` and nothing is rejected
    /// by a max offset of ε.
    #[test]
    fn hlc_stays_within_skew_of_physical_time(
        seed in any::<u64>(),
        nodes in 2u32..5,
        offsets in proptest::collection::vec(0i64..20_000, 1..5),
        drifts in proptest::collection::vec(-100.0f64..100.0, 1..5),
    ) {
        let cs = clocks(nodes, &offsets, &drifts);
        // Skew over the 10 s run: offsets differ by < 20 ms, drift adds < 2 ms.
        let eps_ms = 22;
        let run = run_hlc(seed, nodes, cs, &[], Some(Span::from_millis(eps_ms)));
        prop_assert!(!run.stamps.is_empty());
        for (node, s) in run.stamps.values() {
            prop_assert!(!s.rejected, "node {} rejected a stamp", node);
            let pt = HybridLogicalClock::physical_ms(s.pt);
            prop_assert!(s.ts.physical_ms() - pt <= eps_ms as u64 + 1, "l {} pt {}", s.ts, pt);
        }
    }
}

#[test]
fn hlc_rejects_a_node_whose_clock_runs_far_ahead() {
    let cs = vec![
        PhysicalClock::new(Span::from_secs(60), 0.0),
        PhysicalClock::perfect(),
        PhysicalClock::perfect(),
    ];
    let run = run_hlc(7, 3, cs, &[], Some(Span::from_millis(500)));
    let rejected = run.stamps.values().filter(|(_, s)| s.rejected).count();
    assert!(rejected > 0);
    // Nodes B and C never adopt A's future time.
    for (node, s) in run.stamps.values() {
        if *node != NodeId(0) {
            assert!(s.ts.physical_ms() < 20_000, "{node} took {}", s.ts);
        }
    }
}

/// A node that queries TrueTime and syncs when told to.
struct TrueTimeNode {
    tt: TrueTime,
}

#[derive(Clone, Debug)]
enum TtOp {
    Sync,
    Query,
}

impl Protocol for TrueTimeNode {
    type Message = ();
    type Timer = ();
    type Operation = TtOp;
    type Output = chronoscope::clock::Interval;

    fn on_message(&mut self, _: &mut Context<'_>, _: NodeId, _: (), _: &mut Outbox<Self>) {}
    fn on_operation(&mut self, ctx: &mut Context<'_>, op: TtOp, out: &mut Outbox<Self>) {
        match op {
            TtOp::Sync => self.tt.sync(ctx.now),
            TtOp::Query => out.output(self.tt.now(ctx.now)),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    /// A clock drifting within 200 ppm (wandering, even) and resynced to within the base
    /// uncertainty every 30 s: every TrueTime interval holds the true time.
    #[test]
    fn true_time_interval_holds_true_time(
        seed in any::<u64>(),
        // The edges (drift exactly at the bound, error exactly the base) are where a
        // first-order ε would fail; draw them often.
        start_ppm in prop_oneof![Just(-200.0f64), Just(200.0), -200.0f64..200.0],
        step_ppm in prop_oneof![Just(0.0f64), Just(40.0)],
        residuals in proptest::collection::vec(
            prop_oneof![Just(-1_000_000i64), Just(1_000_000), -1_000_000i64..=1_000_000],
            8,
        ),
        queries in proptest::collection::vec(0i64..240_000_000, 1..60),
    ) {
        let walk = chronoscope::clock::DriftWalk {
            start_ppm,
            bound_ppm: 200.0,
            step_ppm,
            interval: Span::from_secs(3),
            horizon: Span::from_secs(300),
            seed,
        };
        let initial = Span::from_nanos(residuals[0]);
        let mut model = PhysicalClock::with_drift_walk(initial, &walk).unwrap();
        let tt = TrueTime::new(TrueTimeConfig::default(), model.read(Instant::ZERO)).unwrap();
        let mut sim = Simulation::new(
            vec![TrueTimeNode { tt }],
            SimConfig { seed, clocks: vec![model.clone()], ..SimConfig::default() },
        ).unwrap();
        for (k, residual) in residuals.iter().enumerate().skip(1) {
            // The time masters step the clock to within the base uncertainty, then TT syncs.
            let at = Instant::from_millis(30_000 * k as i64);
            let correction = at.since(model.read(at)) + Span::from_nanos(*residual);
            model.jump(correction);
            sim.schedule_clock_jump(at, NodeId(0), correction).unwrap();
            sim.schedule_operation(at, NodeId(0), TtOp::Sync).unwrap();
        }
        for q in queries {
            sim.schedule_operation(Instant::from_micros(q), NodeId(0), TtOp::Query).unwrap();
        }
        sim.run_until(Instant::from_millis(241_000));
        for r in sim.outputs() {
            prop_assert!(r.output.contains(r.at), "true {} outside {}", r.at, r.output);
        }
    }
}
