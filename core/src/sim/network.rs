//! The network model: faults are data (after turmoil's `Verdict` rules).
//!
//! For each message the model draws a [`Verdict`] from the link's latency distribution,
//! loss and duplication probabilities, and the partitions in force. Reordering follows from
//! random latencies unless the network is FIFO, in which case the simulator never lets a
//! later message on a link overtake an earlier one. A held link ([`LinkRule::held`]) keeps
//! its messages waiting ([`Verdict::Hold`]) until the hold is lifted.
//!
//! The same data and the same [`Network::judge`] drive the fault controls of real browser
//! tabs (`chronoscope-web`'s tab runtime): a tab's delay, drop rate, duplication and held
//! links are a `Network` it judges each outgoing message with.

use alloc::collections::BTreeMap;
use alloc::collections::BTreeSet;
use alloc::vec::Vec;
use core::fmt;

use crate::node::NodeId;
use crate::rng::Rng;
use crate::time::{Instant, Span};
use crate::trace::DropReason;

/// A one-way latency distribution.
#[derive(Clone, Debug, PartialEq)]
pub enum Latency {
    /// Always the same delay.
    Constant(Span),
    /// Uniform between `min` and `max` (inclusive).
    Uniform {
        /// Shortest delay.
        min: Span,
        /// Longest delay.
        max: Span,
    },
    /// `min` plus an exponential tail with mean `mean_extra` (a common model of queueing).
    Exponential {
        /// Propagation delay every message pays.
        min: Span,
        /// Mean of the queueing delay on top.
        mean_extra: Span,
    },
}

impl Latency {
    /// Draws one delay (never negative).
    pub fn sample(&self, rng: &mut Rng) -> Span {
        let d = match *self {
            Latency::Constant(d) => d,
            Latency::Uniform { min, max } => {
                Span::from_nanos(rng.in_range(min.as_nanos(), max.as_nanos()))
            }
            Latency::Exponential { min, mean_extra } => {
                min + Span::from_nanos(rng.exponential(mean_extra.as_nanos() as f64) as i64)
            }
        };
        d.max(Span::ZERO)
    }

    /// Checks the distribution's parameters.
    pub fn validate(&self) -> Result<(), NetworkError> {
        let ok = match *self {
            Latency::Constant(d) => d >= Span::ZERO,
            Latency::Uniform { min, max } => min >= Span::ZERO && max >= min,
            Latency::Exponential { min, mean_extra } => {
                min >= Span::ZERO && mean_extra >= Span::ZERO
            }
        };
        if ok {
            Ok(())
        } else {
            Err(NetworkError::InvalidLatency)
        }
    }
}

/// A partition: during `[from, until)`, messages between `side` and the other nodes are lost.
#[derive(Clone, Debug, PartialEq)]
pub struct Partition {
    /// The nodes cut off from the rest.
    pub side: BTreeSet<NodeId>,
    /// When the partition starts (true time).
    pub from: Instant,
    /// When it heals (true time).
    pub until: Instant,
}

impl Partition {
    /// Whether it separates `a` from `b` at `now`.
    pub fn separates(&self, a: NodeId, b: NodeId, now: Instant) -> bool {
        now >= self.from && now < self.until && (self.side.contains(&a) != self.side.contains(&b))
    }
}

/// Overrides for one directed link.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LinkRule {
    /// A latency distribution replacing the network's default.
    pub latency: Option<Latency>,
    /// Extra delay added to every message on the link (asymmetric paths, delay injection).
    pub extra_delay: Span,
    /// A loss probability replacing the network's default.
    pub loss: Option<f64>,
    /// A duplication probability replacing the network's default.
    pub duplicate: Option<f64>,
    /// Whether the link is held: its messages are neither lost nor delivered but wait until
    /// the hold is lifted (a stalled connection, a tab's "hold" button).
    pub held: bool,
}

/// What the network does with one message.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Deliver one copy per delay (two when duplicated).
    Deliver(Vec<Span>),
    /// Never deliver it.
    Drop(DropReason),
    /// Keep it waiting on its held link; judge it again when the hold is lifted.
    Hold,
}

/// An invalid network parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetworkError {
    /// A latency was negative, or a range had `max < min`.
    InvalidLatency,
    /// A probability was outside `[0, 1]` or not a number.
    InvalidProbability,
}

impl fmt::Display for NetworkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NetworkError::InvalidLatency => "latency must be non-negative with max >= min",
            NetworkError::InvalidProbability => "probabilities must lie in [0, 1]",
        })
    }
}

impl core::error::Error for NetworkError {}

/// The network every message crosses.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    /// Default one-way latency.
    pub latency: Latency,
    /// Probability that a message is lost.
    pub loss: f64,
    /// Probability that a message is delivered twice.
    pub duplicate: f64,
    /// Whether each link delivers in send order (no overtaking).
    pub fifo: bool,
    /// Partitions in force at some time.
    pub partitions: Vec<Partition>,
    /// Per-link overrides, keyed by `(from, to)`.
    pub links: BTreeMap<(NodeId, NodeId), LinkRule>,
}

impl Default for Network {
    fn default() -> Self {
        Network {
            latency: Latency::Uniform {
                min: Span::from_millis(5),
                max: Span::from_millis(50),
            },
            loss: 0.0,
            duplicate: 0.0,
            fifo: false,
            partitions: Vec::new(),
            links: BTreeMap::new(),
        }
    }
}

fn probability_ok(p: f64) -> bool {
    (0.0..=1.0).contains(&p)
}

impl Network {
    /// A reliable network with a constant latency.
    pub fn constant(latency: Span) -> Self {
        Network {
            latency: Latency::Constant(latency),
            ..Network::default()
        }
    }

    /// Checks every parameter.
    pub fn validate(&self) -> Result<(), NetworkError> {
        self.latency.validate()?;
        if !probability_ok(self.loss) || !probability_ok(self.duplicate) {
            return Err(NetworkError::InvalidProbability);
        }
        for rule in self.links.values() {
            if let Some(l) = &rule.latency {
                l.validate()?;
            }
            if rule.loss.is_some_and(|p| !probability_ok(p))
                || rule.duplicate.is_some_and(|p| !probability_ok(p))
            {
                return Err(NetworkError::InvalidProbability);
            }
            if rule.extra_delay < Span::ZERO {
                return Err(NetworkError::InvalidLatency);
            }
        }
        Ok(())
    }

    /// Decides the fate of a message sent from `from` to `to` at true time `now`: a
    /// partition drops it, a held link holds it, then loss, latency and duplication are
    /// drawn from `rng` (the link's rule overriding the network's defaults).
    pub fn judge(&self, from: NodeId, to: NodeId, now: Instant, rng: &mut Rng) -> Verdict {
        if self.partitions.iter().any(|p| p.separates(from, to, now)) {
            return Verdict::Drop(DropReason::Partitioned);
        }
        let rule = self.links.get(&(from, to));
        if rule.is_some_and(|r| r.held) {
            return Verdict::Hold;
        }
        let loss = rule.and_then(|r| r.loss).unwrap_or(self.loss);
        if rng.chance(loss) {
            return Verdict::Drop(DropReason::Lost);
        }
        let latency = rule
            .and_then(|r| r.latency.as_ref())
            .unwrap_or(&self.latency);
        let extra = rule.map_or(Span::ZERO, |r| r.extra_delay);
        let duplicate = rule.and_then(|r| r.duplicate).unwrap_or(self.duplicate);
        let mut delays = alloc::vec![latency.sample(rng) + extra];
        if rng.chance(duplicate) {
            delays.push(latency.sample(rng) + extra);
        }
        Verdict::Deliver(delays)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_drop_across_sides_only_while_active() {
        let mut net = Network::constant(Span::from_millis(1));
        net.partitions.push(Partition {
            side: [NodeId(0)].into_iter().collect(),
            from: Instant::from_millis(10),
            until: Instant::from_millis(20),
        });
        let mut rng = Rng::seed_from_u64(1);
        let (a, b, c) = (NodeId(0), NodeId(1), NodeId(2));
        assert_eq!(
            net.judge(a, b, Instant::from_millis(15), &mut rng),
            Verdict::Drop(DropReason::Partitioned)
        );
        assert!(matches!(
            net.judge(b, c, Instant::from_millis(15), &mut rng),
            Verdict::Deliver(_)
        ));
        assert!(matches!(
            net.judge(a, b, Instant::from_millis(20), &mut rng),
            Verdict::Deliver(_)
        ));
    }

    #[test]
    fn link_rules_hold_and_override_duplication() {
        let mut net = Network::constant(Span::from_millis(3));
        let (a, b) = (NodeId(0), NodeId(1));
        let rule = LinkRule {
            held: true,
            ..LinkRule::default()
        };
        net.links.insert((a, b), rule);
        let mut rng = Rng::seed_from_u64(2);
        assert_eq!(net.judge(a, b, Instant::ZERO, &mut rng), Verdict::Hold);
        assert!(matches!(
            net.judge(b, a, Instant::ZERO, &mut rng),
            Verdict::Deliver(d) if d.len() == 1
        ));
        net.links.insert(
            (a, b),
            LinkRule {
                duplicate: Some(1.0),
                extra_delay: Span::from_millis(2),
                ..LinkRule::default()
            },
        );
        assert_eq!(
            net.judge(a, b, Instant::ZERO, &mut rng),
            Verdict::Deliver(alloc::vec![Span::from_millis(5); 2])
        );
        net.links.get_mut(&(a, b)).unwrap().duplicate = Some(-0.5);
        assert_eq!(net.validate(), Err(NetworkError::InvalidProbability));
    }

    #[test]
    fn invalid_parameters_are_refused() {
        let mut net = Network {
            loss: 1.5,
            ..Network::default()
        };
        assert_eq!(net.validate(), Err(NetworkError::InvalidProbability));
        net.loss = f64::NAN;
        assert_eq!(net.validate(), Err(NetworkError::InvalidProbability));
        net.loss = 0.0;
        net.latency = Latency::Uniform {
            min: Span::from_millis(5),
            max: Span::from_millis(1),
        };
        assert_eq!(net.validate(), Err(NetworkError::InvalidLatency));
    }

    #[test]
    fn loss_and_duplication_rates_are_roughly_honoured() {
        let net = Network {
            loss: 0.25,
            duplicate: 0.5,
            ..Network::default()
        };
        let mut rng = Rng::seed_from_u64(5);
        let (mut lost, mut dup) = (0, 0);
        for _ in 0..4000 {
            match net.judge(NodeId(0), NodeId(1), Instant::ZERO, &mut rng) {
                Verdict::Drop(_) => lost += 1,
                Verdict::Deliver(d) if d.len() == 2 => dup += 1,
                Verdict::Deliver(_) => {}
                Verdict::Hold => panic!("no link is held"),
            }
        }
        assert!((900..1100).contains(&lost), "lost {lost}");
        assert!((1300..1700).contains(&dup), "dup {dup}");
    }
}
