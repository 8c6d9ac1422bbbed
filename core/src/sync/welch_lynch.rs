//! Round-based Byzantine-tolerant clock synchronisation (Lundelius Welch & Lynch 1988,
//! "A New Fault-Tolerant Algorithm for Clock Synchronization", §3): every round, when its
//! software clock reads `k·R`, each node broadcasts its time; `W` later it estimates every
//! peer's clock from the messages of round `k` (reading + assumed delay `δ` − own clock),
//! combines the estimates with a convergence function and corrects its clock by the result.
//!
//! Up to `f` nodes are Byzantine: they may lie by a constant, lie *two-faced* (different
//! times to different peers, statically or adaptively pushing the group apart), lie at
//! random, or stay silent. The convergence function decides what the liars can do:
//! [`Convergence::Mean`] (no protection), or the fault-tolerant average or midpoint
//! ([`super::fault_tolerant_average`]). (Marzullo's intersection needs intervals that contain
//! the *true* time, i.e. sources with known error bounds: see [`super::ntp_select`].)
//!
//! Invariant (tested over generated liar strategies): with `n ≥ 3f + 1` and the fault-tolerant
//! average, the correct clocks stay within `(2ε + 2ρR)/(1 − c)` of each other, where
//! `ε = (max − min delay)/2`, `ρ` the drift bound and `c = f/(n − 2f)` the convergence rate;
//! with `n = 3f` (so `c = 1`) a two-faced liar can keep them from converging, and drift then
//! drives them apart without bound.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::node::NodeId;
use crate::protocol::{Context, Outbox, Protocol};
use crate::sync::discipline::{Discipline, Disciplined};
use crate::sync::error::SyncConfigError;
use crate::sync::fault_tolerant_average::{fault_tolerant_average, fault_tolerant_midpoint, mean};
use crate::time::{Instant, Span};

/// How a node combines its estimates of the others' clocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Convergence {
    /// The plain mean (one liar moves everyone).
    Mean,
    /// Discard the `f` highest and lowest, average the rest.
    FaultTolerantAverage,
    /// Discard the `f` highest and lowest, take the midpoint of the rest.
    FaultTolerantMidpoint,
}

/// What a Byzantine node does with the times it sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Follows the protocol.
    Honest,
    /// Adds the same `lie` to every time it sends.
    Constant(Span),
    /// Adds `+magnitude` for the peers in `ahead` and `−magnitude` for the others.
    TwoFaced {
        /// Size of the lie.
        magnitude: Span,
        /// Peers told the time is later than it is.
        ahead: Vec<NodeId>,
    },
    /// Two-faced, adaptively: tells peers whose clocks it saw at or above the median that
    /// it is `magnitude` ahead, and the others that it is `magnitude` behind — pushing each
    /// half further out.
    Splitting(Span),
    /// A fresh uniform lie in `[−max, max]` for every message.
    Random(Span),
    /// Sends nothing.
    Silent,
}

/// The knobs every node of a run shares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Faults to tolerate (`f`).
    pub f: usize,
    /// Round period `R` (software clock; at least [`MIN_INTERVAL`](crate::sync::MIN_INTERVAL)).
    pub round: Span,
    /// Collection window `W` after a round starts (in `[0, R)`).
    pub window: Span,
    /// Assumed one-way delay `δ`.
    pub delay: Span,
    /// Delay uncertainty `ε`: half the spread of one-way delays (the estimation error).
    pub uncertainty: Span,
    /// How estimates are combined.
    pub convergence: Convergence,
}

/// A node of the run.
///
/// # Examples
///
/// ```
/// use chronoscope::clock::PhysicalClock;
/// use chronoscope::node::NodeId;
/// use chronoscope::sim::{Network, SimConfig, Simulation};
/// use chronoscope::sync::discipline::Disciplined;
/// use chronoscope::sync::welch_lynch::{Behaviour, Config, Convergence, WelchLynch};
/// use chronoscope::time::{Instant, Span};
/// let config = Config {
///     f: 1,
///     round: Span::from_secs(1),
///     window: Span::from_millis(500),
///     delay: Span::from_millis(10),
///     uncertainty: Span::ZERO,
///     convergence: Convergence::FaultTolerantAverage,
/// };
/// let mut nodes = (0..3)
///     .map(|_| WelchLynch::new(config, Behaviour::Honest))
///     .collect::<Result<Vec<_>, _>>()?;
/// nodes.push(WelchLynch::new(config, Behaviour::Constant(Span::from_secs(3_600)))?);
/// let clocks = (0..4).map(|i| PhysicalClock::new(Span::from_millis(30 * i), 0.0)).collect();
/// let sim_config = SimConfig { network: Network::constant(Span::from_millis(10)), clocks, ..SimConfig::default() };
/// let mut sim = Simulation::new(nodes, sim_config).unwrap();
/// sim.run_until(Instant::from_millis(20_000));
/// let read = |i| {
///     let t = Instant::from_millis(20_000);
///     sim.node(NodeId(i)).unwrap().software_time(sim.clock(NodeId(i)).unwrap().read(t))
/// };
/// // The three honest clocks, 60 ms apart at the start, agree; the liar moved nobody.
/// assert!(read(2).since(read(0)).abs() < Span::from_micros(10));
/// assert!(read(0).since(Instant::from_millis(20_000)) < Span::from_millis(60));
/// // A window that does not end before the next round is refused, not clamped.
/// let late = Config { window: Span::from_secs(1), ..config };
/// assert!(WelchLynch::new(late, Behaviour::Honest).is_err());
/// # Ok::<(), chronoscope::sync::SyncConfigError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct WelchLynch {
    config: Config,
    behaviour: Behaviour,
    clock: Discipline,
    round: u64,
    /// Estimates of peers' clocks relative to this node's *physical* clock, by round.
    estimates: BTreeMap<(u64, NodeId), Span>,
    /// The last estimates of each peer relative to this node's software clock.
    last_seen: BTreeMap<NodeId, Span>,
}

/// A node's announced time for a round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeMessage {
    /// The round.
    pub round: u64,
    /// The sender's (claimed) software clock when it sent.
    pub time: Instant,
}

/// Timers: start a round, or combine its estimates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoundTimer {
    /// Broadcast for round `k`.
    Broadcast(u64),
    /// Combine round `k`'s estimates.
    Collect(u64),
}

/// What a node reports each round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoundOutput {
    /// The node corrected its clock.
    Adjusted {
        /// The round.
        round: u64,
        /// The estimates of the others' clocks relative to this one (own entry 0; peers not
        /// heard from count as 0).
        estimates: Vec<(NodeId, Span)>,
        /// The correction applied.
        correction: Span,
    },
    /// The convergence function refused the estimates (`n ≤ 2f`: nothing left); the
    /// clock was left alone.
    NoAgreement {
        /// The round.
        round: u64,
    },
}

impl WelchLynch {
    /// A node with the shared `config`, behaving as `behaviour`. Corrections are stepped.
    /// The config is used exactly as given, or refused with [`SyncConfigError`]: a round
    /// shorter than [`MIN_INTERVAL`](crate::sync::MIN_INTERVAL) ([`IntervalTooShort`](SyncConfigError::IntervalTooShort)
    /// naming `"round"`), a negative window ([`Negative`](SyncConfigError::Negative) naming
    /// `"window"`), or a window that does not end before the next round
    /// ([`WindowNotBelowRound`](SyncConfigError::WindowNotBelowRound)).
    pub fn new(config: Config, behaviour: Behaviour) -> Result<Self, SyncConfigError> {
        let Config { round, window, .. } = config;
        SyncConfigError::check_interval("round", round)?;
        SyncConfigError::check_non_negative("window", window)?;
        if window >= round {
            return Err(SyncConfigError::WindowNotBelowRound { window, round });
        }
        Ok(WelchLynch {
            config,
            behaviour,
            clock: Discipline::plain(),
            round: 0,
            estimates: BTreeMap::new(),
            last_seen: BTreeMap::new(),
        })
    }

    /// Whether this node follows the protocol.
    pub fn is_honest(&self) -> bool {
        self.behaviour == Behaviour::Honest
    }

    /// The shared configuration (exactly as given to [`new`](Self::new)).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Arms `timer` for when the software clock reads `at`.
    fn arm_at(&self, ctx: &Context<'_>, at: Instant, timer: RoundTimer, out: &mut Outbox<Self>) {
        let wait = at.since(self.clock.read(ctx.now)).max(Span::ZERO);
        out.set_timer(wait, timer);
    }

    fn round_start(&self, k: u64) -> Instant {
        Instant::ZERO + Span::from_nanos(self.config.round.as_nanos().saturating_mul(k as i64))
    }

    fn lie(&self, ctx: &mut Context<'_>, to: NodeId) -> Option<Span> {
        match &self.behaviour {
            Behaviour::Honest => Some(Span::ZERO),
            Behaviour::Constant(l) => Some(*l),
            Behaviour::TwoFaced { magnitude, ahead } => Some(if ahead.contains(&to) {
                *magnitude
            } else {
                Span::ZERO - *magnitude
            }),
            Behaviour::Splitting(m) => {
                let mut seen: Vec<Span> = self.last_seen.values().copied().collect();
                seen.sort();
                let median = seen.get(seen.len() / 2).copied().unwrap_or(Span::ZERO);
                let theirs = self.last_seen.get(&to).copied().unwrap_or(Span::ZERO);
                Some(if theirs >= median {
                    *m
                } else {
                    Span::ZERO - *m
                })
            }
            Behaviour::Random(max) => {
                let m = max.abs().as_nanos();
                Some(Span::from_nanos(ctx.rng.in_range(-m, m)))
            }
            Behaviour::Silent => None,
        }
    }

    fn combine(&self, values: &[Span]) -> Option<Span> {
        let f = self.config.f;
        match self.config.convergence {
            Convergence::Mean => Some(mean(values)),
            Convergence::FaultTolerantAverage => fault_tolerant_average(values, f).ok(),
            Convergence::FaultTolerantMidpoint => fault_tolerant_midpoint(values, f).ok(),
        }
    }
}

impl Disciplined for WelchLynch {
    fn discipline(&self) -> &Discipline {
        &self.clock
    }
}

impl Protocol for WelchLynch {
    type Message = TimeMessage;
    type Timer = RoundTimer;
    type Operation = ();
    type Output = RoundOutput;

    fn describe_message(message: &TimeMessage) -> String {
        format!("time {}, round {}", message.time, message.round)
    }
    fn describe_output(output: &RoundOutput) -> String {
        match output {
            RoundOutput::Adjusted {
                round, correction, ..
            } => format!("round {round}: corrected by {correction}"),
            RoundOutput::NoAgreement { round } => {
                format!("round {round}: no agreement, clock left alone")
            }
        }
    }

    fn on_start(&mut self, ctx: &mut Context<'_>, out: &mut Outbox<Self>) {
        // The first round starts at the first multiple of R after the clock's reading.
        let now = self.clock.read(ctx.now).as_nanos().max(0);
        let k = (now / self.config.round.as_nanos()) as u64 + 1;
        self.arm_at(ctx, self.round_start(k), RoundTimer::Broadcast(k), out);
    }

    fn on_message(
        &mut self,
        ctx: &mut Context<'_>,
        from: NodeId,
        message: TimeMessage,
        _out: &mut Outbox<Self>,
    ) {
        if message.round < self.round {
            return; // for a round already combined
        }
        let estimate = (message.time + self.config.delay).since(ctx.now);
        self.estimates.insert((message.round, from), estimate);
        self.last_seen
            .insert(from, estimate - self.clock.correction(ctx.now));
    }

    fn on_timer(&mut self, ctx: &mut Context<'_>, timer: RoundTimer, out: &mut Outbox<Self>) {
        match timer {
            RoundTimer::Broadcast(k) => {
                let now = self.clock.read(ctx.now);
                for &to in ctx.peers {
                    if let Some(lie) = self.lie(ctx, to) {
                        out.send(
                            to,
                            TimeMessage {
                                round: k,
                                time: now + lie,
                            },
                        );
                    }
                }
                let at = self.round_start(k) + self.config.window;
                self.arm_at(ctx, at, RoundTimer::Collect(k), out);
            }
            RoundTimer::Collect(k) => {
                let correction = self.clock.correction(ctx.now);
                let mut estimates = Vec::with_capacity(ctx.peers.len() + 1);
                estimates.push((ctx.node, Span::ZERO));
                for &p in ctx.peers {
                    let e = self
                        .estimates
                        .get(&(k, p))
                        .map_or(Span::ZERO, |e| *e - correction);
                    estimates.push((p, e));
                }
                estimates.sort_by_key(|(n, _)| *n);
                self.estimates = self.estimates.split_off(&(k + 1, NodeId(0)));
                self.round = k + 1;
                let values: Vec<Span> = estimates.iter().map(|(_, e)| *e).collect();
                match self.combine(&values) {
                    Some(c) => {
                        self.clock.correct(ctx.now, c);
                        out.output(RoundOutput::Adjusted {
                            round: k,
                            estimates,
                            correction: c,
                        });
                    }
                    None => out.output(RoundOutput::NoAgreement { round: k }),
                }
                let next = self.round_start(k + 1);
                self.arm_at(ctx, next, RoundTimer::Broadcast(k + 1), out);
            }
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::sync::MIN_INTERVAL;
    use proptest::prelude::*;

    fn config(round: Span, window: Span) -> Config {
        Config {
            f: 1,
            round,
            window,
            delay: Span::from_millis(10),
            uncertainty: Span::ZERO,
            convergence: Convergence::FaultTolerantAverage,
        }
    }

    #[test]
    fn an_absurd_round_or_window_is_refused_not_clamped() {
        let ms = Span::from_millis;
        for round in [Span::ZERO, Span::from_nanos(999_999), ms(-1_000)] {
            let e = WelchLynch::new(config(round, Span::ZERO), Behaviour::Honest).unwrap_err();
            assert_eq!(
                e,
                SyncConfigError::IntervalTooShort {
                    param: "round",
                    value: round
                }
            );
            assert_eq!(e.param(), "round");
        }
        let e = WelchLynch::new(config(ms(1_000), ms(-1)), Behaviour::Honest).unwrap_err();
        assert_eq!(
            e,
            SyncConfigError::Negative {
                param: "window",
                value: ms(-1)
            }
        );
        for window in [ms(1_000), ms(1_001), Span::from_nanos(i64::MAX)] {
            let e = WelchLynch::new(config(ms(1_000), window), Behaviour::Honest).unwrap_err();
            assert_eq!(
                e,
                SyncConfigError::WindowNotBelowRound {
                    window,
                    round: ms(1_000)
                }
            );
        }
        let e = WelchLynch::new(config(ms(1_000), ms(1_000)), Behaviour::Honest).unwrap_err();
        assert!(
            e.to_string().contains("must be shorter than the round"),
            "{e}"
        );
        // The extremes that are accepted are kept exactly.
        let edge = config(MIN_INTERVAL, MIN_INTERVAL - Span::from_nanos(1));
        assert_eq!(
            *WelchLynch::new(edge, Behaviour::Honest).unwrap().config(),
            edge
        );
    }

    proptest! {
        /// Any round and window either build a node whose config is exactly the one given,
        /// or are refused with the error naming the first rule they break — never clamped.
        #[test]
        fn any_round_and_window_are_kept_or_refused(
            round_ns in prop_oneof![any::<i64>(), -2_000_000i64..4_000_000],
            window_ns in prop_oneof![any::<i64>(), -2_000_000i64..4_000_000],
            near_round in proptest::option::of(-2i64..=2),
        ) {
            // Half the cases put the window within 2 ns of the round, where `<` matters.
            let window_ns = near_round.map_or(window_ns, |d| round_ns.saturating_add(d));
            let (round, window) = (Span::from_nanos(round_ns), Span::from_nanos(window_ns));
            let given = config(round, window);
            match WelchLynch::new(given, Behaviour::Honest) {
                Ok(node) => {
                    prop_assert!(round >= MIN_INTERVAL && window >= Span::ZERO && window < round);
                    prop_assert_eq!(*node.config(), given);
                }
                Err(e) if round < MIN_INTERVAL => prop_assert_eq!(
                    e,
                    SyncConfigError::IntervalTooShort { param: "round", value: round }
                ),
                Err(e) if window < Span::ZERO => prop_assert_eq!(
                    e,
                    SyncConfigError::Negative { param: "window", value: window }
                ),
                Err(e) => {
                    prop_assert!(window >= round);
                    prop_assert_eq!(e, SyncConfigError::WindowNotBelowRound { window, round });
                }
            }
        }
    }
}
