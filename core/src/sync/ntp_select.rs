//! NTP-style source selection: a client asks several time servers, turns each answer into an
//! interval that must contain the true time if the server is honest, and sets its clock to
//! the middle of Marzullo's fault-tolerant intersection, so that up to `f` lying servers
//! cannot pull it away from the truth.
//!
//! Mills, "Network Time Protocol Version 4", RFC 5905 §11.2.1 (the selection algorithm),
//! built on Marzullo's intersection ([`super::marzullo`]) and Cristian's round-trip
//! reasoning ([`super::cristian`]): an answer `T` with claimed error `E` received at `t2`
//! after a round trip `RTT`, with one-way delays at least `d`, says the server's clock read
//! between `T + d` and `T + RTT − d` at `t2`, so the true time minus the client's clock lies in
//! `[T + d − E − t2, T + RTT − d + E − t2]`.
//!
//! Servers may lie: a constant offset, a random one, two-faced (different times to different
//! clients), or *confident* (a lie with a claimed error of zero, the most persuasive kind).
//!
//! Invariant (tested over generated liars): whenever at most `f` servers lie, the agreed
//! interval contains the true offset, so right after the correction the client is within
//! half the interval's width of true time.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::node::NodeId;
use crate::protocol::{Context, Outbox, Protocol};
use crate::sync::discipline::{Discipline, Disciplined};
use crate::sync::error::SyncConfigError;
use crate::sync::marzullo::{intersection, Agreement, Interval, MarzulloError};
use crate::time::{Instant, Span};

/// How a server answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerBehaviour {
    /// Its clock, and its real error bound.
    Honest,
    /// Its clock plus `lie`, with its usual error bound.
    Offset(Span),
    /// Its clock plus `lie`, claiming an error of zero.
    Confident(Span),
    /// Its clock plus a fresh uniform lie in `[−max, max]`.
    Random(Span),
    /// `+magnitude` to the clients in `ahead`, `−magnitude` to the others.
    TwoFaced {
        /// Size of the lie.
        magnitude: Span,
        /// Clients told a later time.
        ahead: Vec<NodeId>,
    },
}

/// A node: a time server or a selecting client.
///
/// # Examples
///
/// ```
/// use chronoscope::clock::PhysicalClock;
/// use chronoscope::node::NodeId;
/// use chronoscope::sim::{Network, SimConfig, Simulation};
/// use chronoscope::sync::ntp_select::{NtpNode, NtpOutput, ServerBehaviour};
/// use chronoscope::time::{Instant, Span};
/// let ms = Span::from_millis;
/// let servers = [NodeId(1), NodeId(2), NodeId(3)];
/// let nodes = vec![
///     NtpNode::client(servers.to_vec(), 1, Span::from_secs(10), Span::ZERO)?,
///     NtpNode::server(ms(2), ServerBehaviour::Honest)?,
///     NtpNode::server(ms(2), ServerBehaviour::Honest)?,
///     NtpNode::server(ms(2), ServerBehaviour::Confident(Span::from_secs(60)))?,
/// ];
/// let clocks = vec![PhysicalClock::new(Span::from_secs(3), 0.0)]; // the client is 3 s ahead
/// let config = SimConfig { network: Network::constant(ms(5)), clocks, ..SimConfig::default() };
/// let mut sim = Simulation::new(nodes, config).unwrap();
/// sim.run_until(Instant::from_millis(10_500));
/// let NtpOutput::Selected { agreed: Ok(a), before, .. } = &sim.outputs()[0].output else { panic!() };
/// let truth = sim.outputs()[0].at.since(*before); // true time − client clock
/// assert!(a.interval.contains(Instant::ZERO + truth));
/// // A negative error bound is refused, not read as its absolute value.
/// assert!(NtpNode::server(ms(-2), ServerBehaviour::Honest).is_err());
/// # Ok::<(), chronoscope::sync::SyncConfigError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum NtpNode {
    /// A time server (build it with [`NtpNode::server`], which refuses a negative `error`).
    Server {
        /// The error bound it claims (honestly, unless it lies); 0 or more.
        error: Span,
        /// How it answers.
        behaviour: ServerBehaviour,
    },
    /// The client.
    Client(Client),
}

/// The selecting client's state.
#[derive(Clone, Debug, PartialEq)]
pub struct Client {
    servers: Vec<NodeId>,
    f: usize,
    interval: Span,
    min_delay: Span,
    timeout: Span,
    drift_ppm: u32,
    clock: Discipline,
    round: u64,
    sent: Instant,
    selected: bool,
    answers: Vec<(NodeId, Interval, Instant)>,
}

/// Messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NtpMessage {
    /// Client → server: what time is it?
    Query {
        /// The client's round.
        round: u64,
    },
    /// Server → client: the time, and the server's error bound.
    Answer {
        /// The round answered.
        round: u64,
        /// The server's (claimed) time.
        time: Instant,
        /// The server's (claimed) error bound.
        error: Span,
    },
}

/// The client's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NtpTimer {
    /// Start a round.
    Poll,
    /// Stop waiting for round `k`.
    Deadline(u64),
}

/// What the client reports each round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NtpOutput {
    /// A selection was made (or refused).
    Selected {
        /// The round.
        round: u64,
        /// Each answering server's interval for (true time − client clock), by server id.
        sources: Vec<(NodeId, Interval)>,
        /// The fault-tolerant intersection, or why there is none (then the clock is kept).
        agreed: Result<Agreement, MarzulloError>,
        /// The client's software clock just before the correction.
        before: Instant,
        /// The correction applied (zero without agreement).
        correction: Span,
    },
}

impl NtpNode {
    /// A server claiming error bound `error`, answering as `behaviour`, or
    /// [`SyncConfigError::Negative`] naming `"error"` if `error` is negative (an error bound
    /// is a magnitude; it is never replaced by its absolute value).
    pub fn server(error: Span, behaviour: ServerBehaviour) -> Result<Self, SyncConfigError> {
        SyncConfigError::check_non_negative("error", error)?;
        Ok(NtpNode::Server { error, behaviour })
    }

    /// A client polling `servers` every `interval`, tolerating `f` liars, knowing one-way
    /// delays are at least `min_delay`. Corrections are stepped; answers are awaited for a
    /// second. Refused with [`SyncConfigError::IntervalTooShort`] if `interval` is shorter
    /// than [`MIN_INTERVAL`](crate::sync::MIN_INTERVAL), or [`SyncConfigError::Negative`] naming `"min_delay"` if
    /// `min_delay` is negative — never adjusted.
    pub fn client(
        servers: Vec<NodeId>,
        f: usize,
        interval: Span,
        min_delay: Span,
    ) -> Result<Self, SyncConfigError> {
        SyncConfigError::check_interval("interval", interval)?;
        SyncConfigError::check_non_negative("min_delay", min_delay)?;
        Ok(NtpNode::Client(Client {
            servers,
            f,
            interval,
            min_delay,
            timeout: Span::from_secs(1),
            drift_ppm: 0,
            clock: Discipline::plain(),
            round: 0,
            sent: Instant::ZERO,
            selected: true,
            answers: Vec::new(),
        }))
    }

    /// Tells the client its own clock may drift by up to `ppm` (intervals are widened for
    /// the time between an answer and the selection).
    pub fn with_client_drift(mut self, ppm: u32) -> Self {
        if let NtpNode::Client(c) = &mut self {
            c.drift_ppm = ppm;
        }
        self
    }
}

impl Client {
    /// The poll interval (as given to [`NtpNode::client`]).
    pub fn interval(&self) -> Span {
        self.interval
    }

    /// The smallest one-way delay the client assumes (as given to [`NtpNode::client`]).
    pub fn min_delay(&self) -> Span {
        self.min_delay
    }

    fn select(&mut self, ctx: &Context<'_>, out: &mut Outbox<NtpNode>) {
        if self.selected {
            return;
        }
        self.selected = true;
        out.cancel_timer(NtpTimer::Deadline(self.round));
        let rho = f64::from(self.drift_ppm) * 1e-6;
        let mut sources: Vec<(NodeId, Interval)> = self
            .answers
            .drain(..)
            .map(|(n, i, at)| {
                let aging = ctx.now.since(at).mul_f64(rho) + Span::from_nanos(1);
                (n, Interval::new(i.lo - aging, i.hi + aging).unwrap_or(i))
            })
            .collect();
        sources.sort_by_key(|(n, _)| *n);
        let intervals: Vec<Interval> = sources.iter().map(|(_, i)| *i).collect();
        let agreed = intersection(&intervals, self.f);
        let before = self.clock.read(ctx.now);
        let correction = match &agreed {
            Ok(a) => a.interval.midpoint().since(Instant::ZERO),
            Err(_) => Span::ZERO,
        };
        self.clock.correct(ctx.now, correction);
        out.output(NtpOutput::Selected {
            round: self.round,
            sources,
            agreed,
            before,
            correction,
        });
        out.set_timer(self.interval, NtpTimer::Poll);
    }
}

impl Disciplined for NtpNode {
    fn discipline(&self) -> &Discipline {
        static PLAIN: Discipline = Discipline::plain();
        match self {
            NtpNode::Client(c) => &c.clock,
            NtpNode::Server { .. } => &PLAIN,
        }
    }
}

impl Protocol for NtpNode {
    type Message = NtpMessage;
    type Timer = NtpTimer;
    type Operation = ();
    type Output = NtpOutput;

    fn describe_message(message: &NtpMessage) -> String {
        match message {
            NtpMessage::Query { round } => format!("query, round {round}"),
            NtpMessage::Answer { round, time, error } => {
                format!("answer {time} ± {error}, round {round}")
            }
        }
    }
    fn describe_output(output: &NtpOutput) -> String {
        let NtpOutput::Selected {
            round,
            sources,
            agreed,
            correction,
            ..
        } = output;
        match agreed {
            Ok(a) => format!(
                "round {round}: {} of {} sources agree, corrected by {correction}",
                a.sources,
                sources.len()
            ),
            Err(e) => format!("round {round}: no agreement ({e})"),
        }
    }

    fn on_start(&mut self, _ctx: &mut Context<'_>, out: &mut Outbox<Self>) {
        if let NtpNode::Client(c) = self {
            out.set_timer(c.interval, NtpTimer::Poll);
        }
    }

    fn on_message(
        &mut self,
        ctx: &mut Context<'_>,
        from: NodeId,
        message: NtpMessage,
        out: &mut Outbox<Self>,
    ) {
        match (self, message) {
            (NtpNode::Server { error, behaviour }, NtpMessage::Query { round }) => {
                let (lie, claimed) = match behaviour {
                    ServerBehaviour::Honest => (Span::ZERO, *error),
                    ServerBehaviour::Offset(l) => (*l, *error),
                    ServerBehaviour::Confident(l) => (*l, Span::ZERO),
                    ServerBehaviour::Random(m) => {
                        let m = m.abs().as_nanos();
                        (Span::from_nanos(ctx.rng.in_range(-m, m)), *error)
                    }
                    ServerBehaviour::TwoFaced { magnitude, ahead } => {
                        let l = if ahead.contains(&from) {
                            *magnitude
                        } else {
                            Span::ZERO - *magnitude
                        };
                        (l, *error)
                    }
                };
                out.send(
                    from,
                    NtpMessage::Answer {
                        round,
                        time: ctx.now + lie,
                        error: claimed,
                    },
                );
            }
            (NtpNode::Client(c), NtpMessage::Answer { round, time, error }) => {
                if round != c.round
                    || c.selected
                    || !c.servers.contains(&from)
                    || c.answers.iter().any(|(n, _, _)| *n == from)
                {
                    return;
                }
                let rtt = ctx.now.since(c.sent).max(Span::ZERO);
                let t2 = c.clock.read(ctx.now);
                let d = c.min_delay.min(Span::from_nanos(rtt.as_nanos() / 2));
                let lo = (time + d - error).since(t2);
                let hi = (time + rtt - d + error).since(t2);
                let interval = Interval {
                    lo: Instant::ZERO + lo,
                    hi: Instant::ZERO + hi.max(lo),
                };
                c.answers.push((from, interval, ctx.now));
                if c.answers.len() == c.servers.len() {
                    c.select(ctx, out);
                }
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_>, timer: NtpTimer, out: &mut Outbox<Self>) {
        let NtpNode::Client(c) = self else { return };
        match timer {
            NtpTimer::Poll => {
                c.round += 1;
                c.selected = false;
                c.sent = ctx.now;
                c.answers.clear();
                for &s in &c.servers {
                    out.send(s, NtpMessage::Query { round: c.round });
                }
                out.set_timer(c.timeout, NtpTimer::Deadline(c.round));
            }
            NtpTimer::Deadline(k) if k == c.round => c.select(ctx, out),
            NtpTimer::Deadline(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::MIN_INTERVAL;

    #[test]
    fn an_absurd_error_interval_or_min_delay_is_refused_not_clamped() {
        let ms = Span::from_millis;
        let e = NtpNode::server(ms(-3), ServerBehaviour::Honest).unwrap_err();
        assert_eq!(
            e,
            SyncConfigError::Negative {
                param: "error",
                value: ms(-3)
            }
        );
        assert_eq!(
            e.to_string(),
            "error -3 ms is negative (it must be 0 or more)"
        );
        assert_eq!(
            NtpNode::server(Span::ZERO, ServerBehaviour::Honest),
            Ok(NtpNode::Server {
                error: Span::ZERO,
                behaviour: ServerBehaviour::Honest
            })
        );

        let servers = alloc::vec![NodeId(1)];
        for interval in [Span::ZERO, Span::from_nanos(999_999), ms(-10)] {
            assert_eq!(
                NtpNode::client(servers.clone(), 0, interval, Span::ZERO),
                Err(SyncConfigError::IntervalTooShort {
                    param: "interval",
                    value: interval
                })
            );
        }
        assert_eq!(
            NtpNode::client(servers.clone(), 0, ms(10), Span::from_nanos(-1)),
            Err(SyncConfigError::Negative {
                param: "min_delay",
                value: Span::from_nanos(-1)
            })
        );
        let Ok(NtpNode::Client(c)) = NtpNode::client(servers, 0, MIN_INTERVAL, Span::ZERO) else {
            panic!("the smallest accepted interval and delay were refused");
        };
        assert_eq!((c.interval(), c.min_delay()), (MIN_INTERVAL, Span::ZERO));
    }
}
