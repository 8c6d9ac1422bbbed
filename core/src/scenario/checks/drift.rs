//! The Clock-drift lab's invariants: no sampled clock ever reads less than at its previous
//! sample (monotonic; stepping a clock back breaks it, slewing never does), and, once every
//! node has been corrected, the skew stays within [`Run::bound`] outside the instants a
//! round's corrections are in flight (Cristian 1989; Gusella & Zatti 1989).

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use super::Invariant;
use crate::node::NodeId;
use crate::scenario::drift::{Method, Params, Run};
use crate::time::{Instant, Span};

fn ms(s: Span) -> f64 {
    s.as_millis_f64()
}

fn secs(t: Instant) -> f64 {
    t.as_millis_f64() / 1e3
}

impl Run {
    /// The first backward step of a sampled clock at or before `t`: (node, when, by how much).
    pub fn first_backward_step(&self, t: Instant) -> Option<(NodeId, Instant, Span)> {
        self.samples
            .windows(2)
            .take_while(|w| w[1].at <= t)
            .find_map(|w| {
                w[0].readings
                    .iter()
                    .zip(&w[1].readings)
                    .enumerate()
                    .find(|(_, (a, b))| b < a)
                    .map(|(i, (a, b))| (NodeId(i as u32), w[1].at, a.since(*b)))
            })
    }

    /// The largest skew among samples up to `t` that the bound covers: once every node has
    /// been corrected and outside the instants a round's corrections are in flight (every
    /// sample when nothing synchronises: then no bound is promised).
    pub fn worst_skew_checked(&self, params: &Params, t: Instant) -> Option<Span> {
        let in_flight = |at: Instant| {
            self.syncs
                .iter()
                .any(|e| at >= e.at() && at <= e.at() + self.settle)
        };
        self.samples
            .iter()
            .filter(|s| s.at <= t)
            .filter(|s| match (params.method, self.synced_at) {
                (Method::None, _) => true,
                (_, Some(start)) => s.at >= start && !in_flight(s.at),
                (_, None) => false,
            })
            .map(|s| s.skew)
            .max()
    }

    /// Which invariants hold at true time `t`: "monotonic" and the skew bound.
    ///
    /// ```
    /// use chronoscope::scenario::drift::{self, Params};
    /// let p = Params::default();
    /// let run = drift::run(&p).unwrap();
    /// let end = run.samples.last().unwrap().at;
    /// assert!(run.invariants(&p, end).iter().all(|i| i.holds));
    /// ```
    pub fn invariants(&self, params: &Params, t: Instant) -> Vec<Invariant> {
        let monotonic = match self.first_backward_step(t) {
            None => Invariant::new(
                "monotonic",
                true,
                "no clock has read less than at its previous sample",
            ),
            Some((node, at, by)) => Invariant::new(
                "monotonic",
                false,
                format!(
                    "node {node}'s clock went back {:.1} ms at {:.1} s",
                    ms(by),
                    secs(at)
                ),
            ),
        };
        let bound = self.bound;
        let skew = match (params.method, self.worst_skew_checked(params, t)) {
            (Method::None, worst) => Invariant::new(
                format!("skew ≤ {:.1} ms", ms(bound)),
                worst.is_none_or(|w| w <= bound),
                format!(
                    "no sync: nothing bounds the skew (worst so far {:.1} ms)",
                    worst.map_or(0.0, ms)
                ),
            ),
            (_, None) => Invariant::new(
                format!("skew ≤ {:.1} ms once synced", ms(bound)),
                true,
                "not every node has been corrected yet",
            ),
            (_, Some(worst)) => Invariant::new(
                format!("skew ≤ {:.1} ms once synced", ms(bound)),
                worst <= bound,
                format!(
                    "worst skew since every node was corrected: {:.3} ms",
                    ms(worst)
                ),
            ),
        };
        vec![monotonic, skew]
    }
}
