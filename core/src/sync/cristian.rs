//! Cristian's algorithm: a client asks a time server for the time and corrects its clock by
//! the answer plus half the round trip.
//!
//! Cristian, "Probabilistic clock synchronization", Distributed Computing 3(3), 1989, §3
//! (also Tanenbaum & van Steen, "Distributed Systems", §6.1.2). The client sends a request
//! at `t0`, the server answers with its time `T`, the reply arrives at `t2`; assuming the
//! two legs took equally long, the server's clock read `T + (t2 − t0)/2` at `t2`, so the
//! client's offset is `T + RTT/2 − t2`. Round trips are measured on the client's physical
//! (monotonic) clock; times are read from the software clock the correction disciplines.
//!
//! Invariant: with one-way delays in `[min, max]` the estimate is within
//! `(RTT − 2·min)/2 ≤ (max − min)` of the server's clock (Cristian's accuracy bound), and
//! an asymmetric path biases it by half the asymmetry — tests measure both.

use alloc::format;
use alloc::string::String;

use crate::node::NodeId;
use crate::protocol::{Context, Outbox, Protocol};
use crate::sync::discipline::{Adjust, Discipline, Disciplined};
use crate::sync::error::SyncConfigError;
use crate::time::{Instant, Span};

/// A node of a Cristian run: the time server, or a client polling it.
///
/// # Examples
///
/// ```
/// use chronoscope::clock::PhysicalClock;
/// use chronoscope::node::NodeId;
/// use chronoscope::sim::{Network, SimConfig, Simulation};
/// use chronoscope::sync::cristian::Cristian;
/// use chronoscope::sync::discipline::{Adjust, Disciplined};
/// use chronoscope::time::{Instant, Span};
/// let nodes = vec![
///     Cristian::server(),
///     Cristian::client(NodeId(0), Span::from_millis(500), Adjust::Step)?,
/// ];
/// let clocks = vec![PhysicalClock::perfect(), PhysicalClock::new(Span::from_millis(300), 0.0)];
/// let config = SimConfig { network: Network::constant(Span::from_millis(5)), clocks, ..SimConfig::default() };
/// let mut sim = Simulation::new(nodes, config).unwrap();
/// sim.run_until(Instant::from_millis(1_000));
/// let t = Instant::from_millis(1_000);
/// let client = sim.node(NodeId(1)).unwrap();
/// // Symmetric constant delay: the client now agrees with the server exactly.
/// assert_eq!(client.software_time(sim.clock(NodeId(1)).unwrap().read(t)), t);
/// // A zero poll interval is refused, not raised to 1 ms.
/// assert!(Cristian::client(NodeId(0), Span::ZERO, Adjust::Step).is_err());
/// # Ok::<(), chronoscope::sync::SyncConfigError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Cristian {
    role: Role,
    clock: Discipline,
}

#[derive(Clone, Debug, PartialEq)]
enum Role {
    Server,
    Client {
        server: NodeId,
        interval: Span,
        max_rtt: Option<Span>,
        next_id: u64,
        outstanding: Option<(u64, Instant)>,
    },
}

/// Messages of Cristian's algorithm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CristianMessage {
    /// "What time is it?" (numbered, so a late reply is not matched to a newer request).
    Request {
        /// The request's number.
        id: u64,
    },
    /// The server's software clock when it answered.
    Reply {
        /// The request answered.
        id: u64,
        /// The server's time `T`.
        server_time: Instant,
    },
}

/// The client's poll timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Poll;

/// What a client reports after each exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CristianOutput {
    /// The clock was corrected.
    Adjusted(Exchange),
    /// The reply took longer than the client accepts; it was ignored.
    Discarded(Exchange),
}

/// One request/reply exchange as the client saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exchange {
    /// The server's reported time `T`.
    pub server_time: Instant,
    /// The round trip, on the client's physical clock.
    pub rtt: Span,
    /// The client's software clock when the reply arrived (`t2`).
    pub received_at: Instant,
    /// `T + RTT/2 − t2`: the correction.
    pub offset: Span,
}

impl Cristian {
    /// The time server: it answers requests with its own clock and never adjusts.
    pub fn server() -> Self {
        Cristian {
            role: Role::Server,
            clock: Discipline::plain(),
        }
    }

    /// A client polling `server` every `interval` (of its physical clock), applying
    /// corrections with `adjust`. The first poll is one interval after start. Refused with
    /// [`SyncConfigError::IntervalTooShort`] if `interval` is shorter than [`MIN_INTERVAL`](crate::sync::MIN_INTERVAL),
    /// or as [`Adjust::validate`] says — never adjusted.
    pub fn client(server: NodeId, interval: Span, adjust: Adjust) -> Result<Self, SyncConfigError> {
        SyncConfigError::check_interval("interval", interval)?;
        Ok(Cristian {
            role: Role::Client {
                server,
                interval,
                max_rtt: None,
                next_id: 0,
                outstanding: None,
            },
            clock: Discipline::new(adjust)?,
        })
    }

    /// The poll interval, if this node is a client (as given to [`client`](Self::client)).
    pub fn interval(&self) -> Option<Span> {
        match &self.role {
            Role::Client { interval, .. } => Some(*interval),
            Role::Server => None,
        }
    }

    /// Ignores replies whose round trip exceeds `max_rtt` (Cristian's filter).
    pub fn with_max_rtt(mut self, max_rtt: Span) -> Self {
        if let Role::Client { max_rtt: m, .. } = &mut self.role {
            *m = Some(max_rtt);
        }
        self
    }

    /// Whether this node is the server.
    pub fn is_server(&self) -> bool {
        self.role == Role::Server
    }

    fn poll(&mut self, ctx: &mut Context<'_>, out: &mut Outbox<Self>) {
        if let Role::Client {
            server,
            interval,
            next_id,
            outstanding,
            ..
        } = &mut self.role
        {
            *next_id += 1;
            *outstanding = Some((*next_id, ctx.now));
            out.send(*server, CristianMessage::Request { id: *next_id });
            out.set_timer(*interval, Poll);
        }
    }
}

impl Disciplined for Cristian {
    fn discipline(&self) -> &Discipline {
        &self.clock
    }
}

impl Protocol for Cristian {
    type Message = CristianMessage;
    type Timer = Poll;
    type Operation = Poll;
    type Output = CristianOutput;

    fn describe_message(message: &CristianMessage) -> String {
        match message {
            CristianMessage::Request { id } => format!("time request #{id}"),
            CristianMessage::Reply { id, server_time } => {
                format!("time reply #{id}: {server_time}")
            }
        }
    }
    fn describe_operation(_: &Poll) -> String {
        String::from("poll the server")
    }
    fn describe_output(output: &CristianOutput) -> String {
        match output {
            CristianOutput::Adjusted(e) => {
                format!("adjusted by {} (round trip {})", e.offset, e.rtt)
            }
            CristianOutput::Discarded(e) => format!("reply discarded: round trip {}", e.rtt),
        }
    }

    fn on_start(&mut self, _ctx: &mut Context<'_>, out: &mut Outbox<Self>) {
        if let Role::Client { interval, .. } = &self.role {
            out.set_timer(*interval, Poll);
        }
    }

    fn on_message(
        &mut self,
        ctx: &mut Context<'_>,
        from: NodeId,
        message: CristianMessage,
        out: &mut Outbox<Self>,
    ) {
        match (message, &mut self.role) {
            (CristianMessage::Request { id }, Role::Server) => {
                let server_time = self.clock.read(ctx.now);
                out.send(from, CristianMessage::Reply { id, server_time });
            }
            (
                CristianMessage::Reply { id, server_time },
                Role::Client {
                    server,
                    max_rtt,
                    outstanding,
                    ..
                },
            ) if from == *server => {
                let Some((expected, sent)) = *outstanding else {
                    return;
                };
                if id != expected {
                    return;
                }
                *outstanding = None;
                let rtt = ctx.now.since(sent);
                let received_at = self.clock.read(ctx.now);
                let half = Span::from_nanos(rtt.as_nanos() / 2);
                let exchange = Exchange {
                    server_time,
                    rtt,
                    received_at,
                    offset: (server_time + half).since(received_at),
                };
                if max_rtt.is_some_and(|m| rtt > m) {
                    out.output(CristianOutput::Discarded(exchange));
                } else {
                    self.clock.correct(ctx.now, exchange.offset);
                    out.output(CristianOutput::Adjusted(exchange));
                }
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_>, _timer: Poll, out: &mut Outbox<Self>) {
        self.poll(ctx, out);
    }

    fn on_operation(&mut self, ctx: &mut Context<'_>, _op: Poll, out: &mut Outbox<Self>) {
        // A manual sync: poll now (the periodic timer keeps its own schedule).
        if let Role::Client {
            server,
            next_id,
            outstanding,
            ..
        } = &mut self.role
        {
            *next_id += 1;
            *outstanding = Some((*next_id, ctx.now));
            out.send(*server, CristianMessage::Request { id: *next_id });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::PhysicalClock;
    use crate::sim::{Latency, LinkRule, Network, SimConfig, Simulation};
    use crate::sync::MIN_INTERVAL;
    use alloc::vec;
    use alloc::vec::Vec;

    /// The client's error (software − true) right after each adjustment.
    fn errors(network: Network, seed: u64) -> Vec<Span> {
        let nodes = vec![
            Cristian::server(),
            Cristian::client(NodeId(0), Span::from_secs(1), Adjust::Step).unwrap(),
        ];
        let clocks = vec![
            PhysicalClock::perfect(),
            PhysicalClock::new(Span::from_millis(250), 40.0),
        ];
        let mut sim = Simulation::new(
            nodes,
            SimConfig {
                seed,
                network,
                clocks,
                labels: false,
            },
        )
        .unwrap();
        sim.run_until(Instant::from_millis(40_000));
        // Right after a step the client reads received_at + offset; the server (a perfect
        // clock) reads the true time of arrival.
        sim.outputs()
            .iter()
            .filter_map(|r| match &r.output {
                CristianOutput::Adjusted(e) => Some((e.received_at + e.offset).since(r.at)),
                CristianOutput::Discarded(_) => None,
            })
            .collect()
    }

    fn mean_abs(v: &[Span]) -> i64 {
        v.iter().map(|s| s.abs().as_nanos()).sum::<i64>() / v.len().max(1) as i64
    }

    #[test]
    fn error_is_bounded_by_the_latency_jitter() {
        let net = Network {
            latency: Latency::Uniform {
                min: Span::from_millis(5),
                max: Span::from_millis(15),
            },
            ..Network::default()
        };
        let errs = errors(net, 3);
        assert!(errs.len() > 30);
        for e in &errs {
            // |error| ≤ (max − min) = 10 ms (plus drift over one RTT, well under 1 µs).
            assert!(e.abs() <= Span::from_micros(10_001), "{e:?}");
        }
    }

    #[test]
    fn more_jitter_means_worse_accuracy() {
        let narrow = Network {
            latency: Latency::Uniform {
                min: Span::from_millis(9),
                max: Span::from_millis(11),
            },
            ..Network::default()
        };
        let wide = Network {
            latency: Latency::Uniform {
                min: Span::from_millis(1),
                max: Span::from_millis(60),
            },
            ..Network::default()
        };
        let (a, b) = (mean_abs(&errors(narrow, 7)), mean_abs(&errors(wide, 7)));
        assert!(b > 5 * a, "narrow {a} ns vs wide {b} ns");
    }

    #[test]
    fn an_asymmetric_path_biases_by_half_the_asymmetry() {
        let mut net = Network::constant(Span::from_millis(5));
        net.links.insert(
            (NodeId(0), NodeId(1)),
            LinkRule {
                extra_delay: Span::from_millis(40),
                ..LinkRule::default()
            },
        );
        let errs = errors(net, 1);
        // Reply leg 45 ms, request leg 5 ms: RTT/2 = 25 ms but the reply took 45 ms, so
        // the client lands 20 ms behind the server, every time.
        for e in &errs {
            assert!((e.as_nanos() + 20_000_000).abs() < 10_000, "{e:?}");
        }
    }

    #[test]
    fn an_absurd_interval_or_rate_is_refused_not_clamped() {
        for interval in [Span::ZERO, Span::from_nanos(999_999), Span::from_secs(-1)] {
            let e = Cristian::client(NodeId(0), interval, Adjust::Step).unwrap_err();
            assert_eq!(
                e,
                SyncConfigError::IntervalTooShort {
                    param: "interval",
                    value: interval
                }
            );
        }
        let e = Cristian::client(NodeId(0), Span::ZERO, Adjust::Step).unwrap_err();
        assert_eq!(
            e.to_string(),
            "interval 0 ms is shorter than the minimum of 1 ms"
        );
        let fast = Adjust::Slew {
            max_rate_ppm: 1_000_000,
        };
        assert_eq!(
            Cristian::client(NodeId(0), Span::from_secs(1), fast),
            Err(SyncConfigError::SlewRateOutOfRange { ppm: 1_000_000 })
        );
        let client = Cristian::client(NodeId(0), MIN_INTERVAL, Adjust::Step).unwrap();
        assert_eq!(client.interval(), Some(MIN_INTERVAL));
        assert_eq!(Cristian::server().interval(), None);
    }
}
