//! The Happens-before lab's run: a few nodes gossiping at random (see
//! [`gossip`](super::gossip)), over a network with random latency and optional loss, with
//! every event stamped with Lamport and vector clocks by the simulator.
//!
//! Parameters come from URLs typed by people, so each has a documented range; [`Params::clamp`]
//! brings any value into range and says what it changed, so nothing is silently altered.

use alloc::format;
use alloc::vec::Vec;
use core::ops::RangeInclusive;

use super::gossip::Gossip;
use super::params::{int, lat_max, lat_min, loss, seed, span, Spec};
use crate::clock::PhysicalClock;
use crate::sim::{Latency, Network, SimConfig, SimError, Simulation};
use crate::time::{Instant, Span};
use crate::trace::Trace;

/// Allowed node counts.
pub const NODES: RangeInclusive<u32> = 2..=8;
/// Allowed actions per node.
pub const ACTIONS: RangeInclusive<u32> = 1..=250;
/// Allowed one-way latency bounds, in milliseconds.
pub const LATENCY_MS: RangeInclusive<u32> = 0..=5_000;
/// Allowed loss probabilities, in percent.
pub const LOSS_PERCENT: RangeInclusive<u32> = 0..=50;

/// The knobs of a Happens-before run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    /// Number of nodes.
    pub nodes: u32,
    /// The seed.
    pub seed: u64,
    /// Timer-driven actions (sends or internal steps) per node.
    pub actions: u32,
    /// Shortest one-way latency, ms.
    pub latency_min_ms: u32,
    /// Longest one-way latency, ms.
    pub latency_max_ms: u32,
    /// Message loss, percent.
    pub loss_percent: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            nodes: 4,
            seed: 1,
            actions: 6,
            latency_min_ms: 10,
            latency_max_ms: 80,
            loss_percent: 0,
        }
    }
}

pub use super::params::Adjustment;

/// The parameters, declared once: URL keys, ranges, labels and help.
pub static SPEC: Spec<Params> = Spec {
    fields: &[
        int(
            "nodes",
            "nodes",
            "",
            span(&NODES),
            "how many nodes gossip",
            |p| p.nodes.into(),
            |p, v| p.nodes = v as u32,
        ),
        int(
            "actions",
            "actions per node",
            "",
            span(&ACTIONS),
            "timer-driven sends or internal steps each node takes",
            |p| p.actions.into(),
            |p, v| p.actions = v as u32,
        ),
        lat_min(
            span(&LATENCY_MS),
            |p| p.latency_min_ms.into(),
            |p, v| p.latency_min_ms = v as u32,
        ),
        lat_max(
            span(&LATENCY_MS),
            |p| p.latency_max_ms.into(),
            |p, v| p.latency_max_ms = v as u32,
        ),
        loss(
            span(&LOSS_PERCENT),
            |p| p.loss_percent.into(),
            |p, v| p.loss_percent = v as u32,
        ),
        seed(|p| p.seed.into(), |p, v| p.seed = v as u64),
    ],
    defaults: Params::default,
    relate: |mut p: Params| {
        let mut notes = Vec::new();
        lat_max_at_least_min(&mut p.latency_min_ms, &mut p.latency_max_ms, &mut notes);
        (p, notes)
    },
};

/// Raises `max` to `min` when it is below, noting the change under `lat_max`.
pub(crate) fn lat_max_at_least_min(min: &mut u32, max: &mut u32, notes: &mut Vec<Adjustment>) {
    if *max < *min {
        notes.push(Adjustment {
            name: "lat_max",
            given: format!("{max}"),
            used: format!("{min}"),
        });
        *max = *min;
    }
}

impl Params {
    /// Brings every parameter into its range, reporting each change (see [`SPEC`]).
    pub fn clamp(self) -> (Params, Vec<Adjustment>) {
        SPEC.clamp(self)
    }

    /// The simulator configuration these parameters describe.
    pub fn config(&self) -> SimConfig {
        SimConfig {
            seed: self.seed,
            network: Network {
                latency: Latency::Uniform {
                    min: Span::from_millis(self.latency_min_ms.into()),
                    max: Span::from_millis(self.latency_max_ms.into()),
                },
                loss: f64::from(self.loss_percent) / 100.0,
                ..Network::default()
            },
            clocks: (0..self.nodes)
                .map(|i| {
                    PhysicalClock::new(Span::from_micros(i64::from(i) * 700), f64::from(i) * 40.0)
                })
                .collect(),
            labels: true,
        }
    }
}

/// Runs the scenario to completion (every action taken, every message delivered or lost).
///
/// Parameters outside their ranges are refused with the simulator's error; call
/// [`Params::clamp`] first to accept anything.
pub fn run(params: &Params) -> Result<Trace, SimError> {
    if !NODES.contains(&params.nodes) {
        return Err(SimError::NodeCount(params.nodes as usize));
    }
    let nodes = (0..params.nodes)
        .map(|_| Gossip::new(params.actions))
        .collect();
    let mut sim = Simulation::new(nodes, params.config())?;
    // Every node stops after its actions, so the queue drains; the bound is a safety net.
    sim.run_until(Instant::from_millis(3_600_000));
    Ok(sim.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamp_reports_every_change() {
        let (p, notes) = Params {
            nodes: 10_000,
            latency_min_ms: 90,
            latency_max_ms: 20,
            ..Params::default()
        }
        .clamp();
        assert_eq!(p.nodes, 8);
        assert_eq!(p.latency_max_ms, 90);
        assert_eq!(notes.len(), 2);
        assert_eq!(
            notes[0].to_string(),
            "nodes = 10000 is out of range; using 8"
        );
    }

    #[test]
    fn run_refuses_out_of_range_nodes() {
        let p = Params {
            nodes: 0,
            ..Params::default()
        };
        assert_eq!(run(&p), Err(SimError::NodeCount(0)));
    }
}
