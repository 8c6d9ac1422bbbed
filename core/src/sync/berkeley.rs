//! The Berkeley algorithm: a leader polls every node's clock, compensates each answer for
//! half its round trip, discards outliers, averages, and sends every node (itself included)
//! the *delta* that brings it to the average.
//!
//! Gusella & Zatti, "The Accuracy of the Clock Synchronization Achieved by TEMPO in Berkeley
//! UNIX 4.3BSD", IEEE TSE 15(7), 1989, §II (also Tanenbaum & van Steen, §6.1.3). Each
//! answer `r` with round trip `RTT` estimates the node's clock at the moment the leader
//! polled as `r − RTT/2`; its offset from the leader is that minus the leader's poll time.
//! Offsets further than `outlier` from the median are left out of the average (a node with
//! a wild clock cannot drag everyone), but still get a delta. Deltas, not absolute times,
//! are sent, so the adjustment message's own latency does not matter.
//!
//! Invariant: with one-way delays in `[min, max]` each offset estimate is off by at most
//! `(max − min)/2`, so right after a round every participating clock is within
//! `max − min` (plus drift during the round) of every other — tests check this bound.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::node::NodeId;
use crate::protocol::{Context, Outbox, Protocol};
use crate::sync::discipline::{Adjust, Discipline, Disciplined};
use crate::sync::error::SyncConfigError;
use crate::time::{Instant, Span};

/// A node of a Berkeley run (the leader or a follower).
///
/// # Examples
///
/// ```
/// use chronoscope::clock::PhysicalClock;
/// use chronoscope::node::NodeId;
/// use chronoscope::sim::{Network, SimConfig, Simulation};
/// use chronoscope::sync::berkeley::{Berkeley, BerkeleyOutput};
/// use chronoscope::sync::discipline::Adjust;
/// use chronoscope::time::{Instant, Span};
/// let leader = Berkeley::leader(Span::from_secs(20), Span::from_millis(100), Adjust::Step)?;
/// let nodes = vec![leader, Berkeley::follower(Adjust::Step)?, Berkeley::follower(Adjust::Step)?];
/// let clocks = (0..3).map(|i| PhysicalClock::new(Span::from_millis(10 * i), 0.0)).collect();
/// let config = SimConfig { network: Network::constant(Span::from_millis(5)), clocks, ..SimConfig::default() };
/// let mut sim = Simulation::new(nodes, config).unwrap();
/// sim.run_until(Instant::from_millis(25_000));
/// let report = sim.outputs().iter().find_map(|r| match &r.output {
///     BerkeleyOutput::Round(report) => Some(report.clone()),
///     _ => None,
/// }).unwrap();
/// // Offsets 0, +10, +20 ms: the average is +10 ms, so the leader moves +10 ms.
/// assert_eq!(report.average_offset, Span::from_millis(10));
/// // A negative outlier threshold is refused, not read as its absolute value.
/// assert!(Berkeley::leader(Span::from_secs(20), Span::from_millis(-100), Adjust::Step).is_err());
/// # Ok::<(), chronoscope::sync::SyncConfigError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Berkeley {
    clock: Discipline,
    leader: Option<Leader>,
    /// The last round whose delta was applied (a duplicated delta is applied once).
    applied: u64,
}

#[derive(Clone, Debug, PartialEq)]
struct Leader {
    interval: Span,
    outlier: Span,
    timeout: Span,
    round: u64,
    /// Physical and software clock when the current round's polls left.
    polled: Option<(Instant, Instant)>,
    answers: Vec<Sample>,
}

/// Messages of the Berkeley algorithm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BerkeleyMessage {
    /// The leader asks for the node's time.
    Poll {
        /// The round.
        round: u64,
    },
    /// A node's software clock when it answered.
    Report {
        /// The round answered.
        round: u64,
        /// The node's time.
        time: Instant,
    },
    /// Move your clock by `delta`.
    Adjust {
        /// The round that decided it.
        round: u64,
        /// The correction.
        delta: Span,
    },
}

/// The leader's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BerkeleyTimer {
    /// Start a round.
    Poll,
    /// Stop waiting for answers to `round`.
    Deadline(u64),
}

/// One node's answer in a round, as the leader evaluated it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample {
    /// The answering node (the leader's own entry has a zero round trip).
    pub node: NodeId,
    /// The time the node reported.
    pub reported: Instant,
    /// The round trip, on the leader's physical clock.
    pub rtt: Span,
    /// `reported − RTT/2`: the node's clock when the leader polled.
    pub adjusted: Instant,
    /// `adjusted − leader's poll time`.
    pub offset: Span,
    /// Whether the sample was left out of the average as an outlier.
    pub outlier: bool,
    /// The correction sent to the node.
    pub delta: Span,
}

/// What the leader computed in one round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncReport {
    /// The round number (from 1).
    pub round: u64,
    /// The leader.
    pub leader: NodeId,
    /// The leader's software clock when it polled.
    pub polled_at: Instant,
    /// Every answer that came in, the leader's own first, then by node id.
    pub samples: Vec<Sample>,
    /// Nodes that did not answer before the deadline (they get no delta).
    pub missing: Vec<NodeId>,
    /// The mean offset of the samples kept.
    pub average_offset: Span,
    /// `polled_at + average_offset`: the agreed time at the poll.
    pub average: Instant,
}

/// What a Berkeley node reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BerkeleyOutput {
    /// The leader finished a round.
    Round(SyncReport),
    /// This node applied a correction.
    Adjusted {
        /// The round that decided it.
        round: u64,
        /// The correction.
        delta: Span,
    },
}

impl Berkeley {
    /// The leader: polls every `interval` (physical clock); samples further than `outlier`
    /// from the median offset are not averaged. Answers are awaited for one second of local
    /// time. Refused with [`SyncConfigError`] — never adjusted — if `interval` is shorter
    /// than [`MIN_INTERVAL`](crate::sync::MIN_INTERVAL) ([`IntervalTooShort`](SyncConfigError::IntervalTooShort)),
    /// `outlier` is negative ([`Negative`](SyncConfigError::Negative)), or `adjust` is
    /// refused by [`Adjust::validate`].
    pub fn leader(interval: Span, outlier: Span, adjust: Adjust) -> Result<Self, SyncConfigError> {
        SyncConfigError::check_interval("interval", interval)?;
        SyncConfigError::check_non_negative("outlier", outlier)?;
        Ok(Berkeley {
            clock: Discipline::new(adjust)?,
            applied: 0,
            leader: Some(Leader {
                interval,
                outlier,
                timeout: Span::from_secs(1),
                round: 0,
                polled: None,
                answers: Vec::new(),
            }),
        })
    }

    /// A follower: answers polls and applies deltas with `adjust` (refused as
    /// [`Adjust::validate`] says).
    pub fn follower(adjust: Adjust) -> Result<Self, SyncConfigError> {
        Ok(Berkeley {
            clock: Discipline::new(adjust)?,
            leader: None,
            applied: 0,
        })
    }

    /// The poll interval, if this node leads (as given to [`leader`](Self::leader)).
    pub fn interval(&self) -> Option<Span> {
        self.leader.as_ref().map(|l| l.interval)
    }

    /// The outlier threshold, if this node leads (as given to [`leader`](Self::leader)).
    pub fn outlier(&self) -> Option<Span> {
        self.leader.as_ref().map(|l| l.outlier)
    }

    /// Whether this node leads.
    pub fn is_leader(&self) -> bool {
        self.leader.is_some()
    }

    fn start_round(&mut self, ctx: &mut Context<'_>, out: &mut Outbox<Self>) {
        let software = self.clock.read(ctx.now);
        let Some(l) = &mut self.leader else { return };
        l.round += 1;
        l.polled = Some((ctx.now, software));
        l.answers.clear();
        out.send_to_all(ctx.peers, BerkeleyMessage::Poll { round: l.round });
        out.set_timer(l.timeout, BerkeleyTimer::Deadline(l.round));
        if ctx.peers.is_empty() {
            self.finish_round(ctx, out);
        }
    }

    fn finish_round(&mut self, ctx: &mut Context<'_>, out: &mut Outbox<Self>) {
        let Some(l) = &mut self.leader else { return };
        let Some((_, polled_at)) = l.polled.take() else {
            return;
        };
        out.cancel_timer(BerkeleyTimer::Deadline(l.round));
        let mut samples = Vec::with_capacity(l.answers.len() + 1);
        samples.push(Sample {
            node: ctx.node,
            reported: polled_at,
            rtt: Span::ZERO,
            adjusted: polled_at,
            offset: Span::ZERO,
            outlier: false,
            delta: Span::ZERO,
        });
        l.answers.sort_by_key(|s| s.node);
        samples.append(&mut l.answers);
        let missing = ctx
            .peers
            .iter()
            .copied()
            .filter(|p| !samples.iter().any(|s| s.node == *p))
            .collect();
        let median = median(samples.iter().map(|s| s.offset).collect());
        let (mut sum, mut kept) = (0i128, 0i128);
        for s in &mut samples {
            s.outlier = (s.offset - median).abs() > l.outlier;
            if !s.outlier {
                sum += i128::from(s.offset.as_nanos());
                kept += 1;
            }
        }
        let average_offset = Span::from_nanos((sum / kept.max(1)) as i64);
        for s in &mut samples {
            s.delta = average_offset - s.offset;
        }
        let round = l.round;
        for s in &samples[1..] {
            out.send(
                s.node,
                BerkeleyMessage::Adjust {
                    round,
                    delta: s.delta,
                },
            );
        }
        out.output(BerkeleyOutput::Round(SyncReport {
            round,
            leader: ctx.node,
            polled_at,
            samples,
            missing,
            average_offset,
            average: polled_at + average_offset,
        }));
        self.clock.correct(ctx.now, average_offset);
        out.output(BerkeleyOutput::Adjusted {
            round,
            delta: average_offset,
        });
        if let Some(l) = &self.leader {
            out.set_timer(l.interval, BerkeleyTimer::Poll);
        }
    }
}

/// The median of `v` (the lower middle for even counts; zero when empty).
fn median(mut v: Vec<Span>) -> Span {
    v.sort();
    v.get(v.len().saturating_sub(1) / 2)
        .copied()
        .unwrap_or(Span::ZERO)
}

impl Disciplined for Berkeley {
    fn discipline(&self) -> &Discipline {
        &self.clock
    }
}

impl Protocol for Berkeley {
    type Message = BerkeleyMessage;
    type Timer = BerkeleyTimer;
    /// A manual round (ignored by followers).
    type Operation = ();
    type Output = BerkeleyOutput;

    fn describe_message(message: &BerkeleyMessage) -> String {
        match message {
            BerkeleyMessage::Poll { round } => format!("poll, round {round}"),
            BerkeleyMessage::Report { round, time } => format!("report {time}, round {round}"),
            BerkeleyMessage::Adjust { round, delta } => format!("adjust by {delta}, round {round}"),
        }
    }
    fn describe_output(output: &BerkeleyOutput) -> String {
        match output {
            BerkeleyOutput::Round(r) => format!(
                "round {}: average offset {} over {} clocks, {} missing",
                r.round,
                r.average_offset,
                r.samples.len(),
                r.missing.len()
            ),
            BerkeleyOutput::Adjusted { round, delta } => {
                format!("adjusted by {delta}, round {round}")
            }
        }
    }

    fn on_start(&mut self, _ctx: &mut Context<'_>, out: &mut Outbox<Self>) {
        if let Some(l) = &self.leader {
            out.set_timer(l.interval, BerkeleyTimer::Poll);
        }
    }

    fn on_message(
        &mut self,
        ctx: &mut Context<'_>,
        from: NodeId,
        message: BerkeleyMessage,
        out: &mut Outbox<Self>,
    ) {
        match message {
            BerkeleyMessage::Poll { round } => {
                let time = self.clock.read(ctx.now);
                out.send(from, BerkeleyMessage::Report { round, time });
            }
            BerkeleyMessage::Report { round, time } => {
                let Some(l) = &mut self.leader else { return };
                let Some((sent, polled_at)) = l.polled else {
                    return;
                };
                if round != l.round || l.answers.iter().any(|s| s.node == from) {
                    return; // late, or a duplicate
                }
                let rtt = ctx.now.since(sent);
                let adjusted = time - Span::from_nanos(rtt.as_nanos() / 2);
                l.answers.push(Sample {
                    node: from,
                    reported: time,
                    rtt,
                    adjusted,
                    offset: adjusted.since(polled_at),
                    outlier: false,
                    delta: Span::ZERO,
                });
                if l.answers.len() == ctx.peers.len() {
                    self.finish_round(ctx, out);
                }
            }
            BerkeleyMessage::Adjust { round, delta } => {
                if round <= self.applied {
                    return; // a duplicate, or older than a delta already applied
                }
                self.applied = round;
                self.clock.correct(ctx.now, delta);
                out.output(BerkeleyOutput::Adjusted { round, delta });
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_>, timer: BerkeleyTimer, out: &mut Outbox<Self>) {
        match timer {
            BerkeleyTimer::Poll => self.start_round(ctx, out),
            BerkeleyTimer::Deadline(round) => {
                if self.leader.as_ref().is_some_and(|l| l.round == round) {
                    self.finish_round(ctx, out);
                }
            }
        }
    }

    fn on_operation(&mut self, ctx: &mut Context<'_>, _op: (), out: &mut Outbox<Self>) {
        if self.leader.as_ref().is_some_and(|l| l.polled.is_none()) {
            out.cancel_timer(BerkeleyTimer::Poll);
            self.start_round(ctx, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::PhysicalClock;
    use crate::sim::{Latency, Network, SimConfig, Simulation};
    use crate::sync::MIN_INTERVAL;
    use alloc::vec;

    #[test]
    fn a_wild_clock_is_left_out_of_the_average_but_still_corrected() {
        let nodes = vec![
            Berkeley::leader(Span::from_secs(10), Span::from_millis(100), Adjust::Step).unwrap(),
            Berkeley::follower(Adjust::Step).unwrap(),
            Berkeley::follower(Adjust::Step).unwrap(),
            Berkeley::follower(Adjust::Step).unwrap(),
        ];
        let clocks = vec![
            PhysicalClock::perfect(),
            PhysicalClock::new(Span::from_millis(20), 0.0),
            PhysicalClock::new(Span::from_millis(-20), 0.0),
            PhysicalClock::new(Span::from_secs(3_600), 0.0),
        ];
        let config = SimConfig {
            network: Network::constant(Span::from_millis(5)),
            clocks,
            ..SimConfig::default()
        };
        let mut sim = Simulation::new(nodes, config).unwrap();
        sim.run_until(Instant::from_millis(10_500));
        let report = sim
            .outputs()
            .iter()
            .find_map(|r| match &r.output {
                BerkeleyOutput::Round(rep) => Some(rep.clone()),
                _ => None,
            })
            .unwrap();
        assert_eq!(report.average_offset, Span::ZERO);
        let wild = report.samples.iter().find(|s| s.node == NodeId(3)).unwrap();
        assert!(wild.outlier);
        assert_eq!(wild.delta, Span::from_secs(-3_600));
        let t = sim.now();
        for n in 0..4 {
            let node = NodeId(n);
            let soft = sim
                .node(node)
                .unwrap()
                .software_time(sim.clock(node).unwrap().read(t));
            assert_eq!(soft, t, "node {node}");
        }
    }

    #[test]
    fn missing_answers_are_reported_not_awaited_forever() {
        let nodes = vec![
            Berkeley::leader(Span::from_secs(5), Span::from_secs(1), Adjust::Step).unwrap(),
            Berkeley::follower(Adjust::Step).unwrap(),
        ];
        let config = SimConfig {
            network: Network {
                latency: Latency::Constant(Span::from_millis(1)),
                loss: 1.0,
                ..Network::default()
            },
            ..SimConfig::default()
        };
        let mut sim = Simulation::new(nodes, config).unwrap();
        sim.run_until(Instant::from_millis(12_000));
        let rounds: Vec<_> = sim
            .outputs()
            .iter()
            .filter_map(|r| match &r.output {
                BerkeleyOutput::Round(rep) => Some(rep.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(rounds.len(), 2);
        assert_eq!(rounds[0].missing, vec![NodeId(1)]);
    }

    #[test]
    fn an_absurd_interval_outlier_or_rate_is_refused_not_clamped() {
        let ms = Span::from_millis;
        for interval in [Span::ZERO, Span::from_nanos(999_999), ms(-5)] {
            assert_eq!(
                Berkeley::leader(interval, ms(100), Adjust::Step),
                Err(SyncConfigError::IntervalTooShort {
                    param: "interval",
                    value: interval
                })
            );
        }
        let e = Berkeley::leader(ms(1_000), Span::from_nanos(-1), Adjust::Step).unwrap_err();
        assert_eq!(
            e,
            SyncConfigError::Negative {
                param: "outlier",
                value: Span::from_nanos(-1)
            }
        );
        assert_eq!(
            e.to_string(),
            "outlier -1 ns is negative (it must be 0 or more)"
        );
        let slew0 = Adjust::Slew { max_rate_ppm: 0 };
        let refused = Err(SyncConfigError::SlewRateOutOfRange { ppm: 0 });
        assert_eq!(Berkeley::leader(ms(1_000), ms(100), slew0), refused);
        assert_eq!(Berkeley::follower(slew0), refused);
        // The smallest accepted values are kept as given.
        let leader = Berkeley::leader(MIN_INTERVAL, Span::ZERO, Adjust::Step).unwrap();
        assert_eq!(leader.interval(), Some(MIN_INTERVAL));
        assert_eq!(leader.outlier(), Some(Span::ZERO));
        assert_eq!(Berkeley::follower(Adjust::Step).unwrap().interval(), None);
    }
}
