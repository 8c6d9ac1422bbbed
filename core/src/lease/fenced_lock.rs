//! A lease-based lock with fencing, as a protocol: one server node runs the
//! [`LeaseServer`] and the [`FencedStore`]; worker nodes acquire the lease, check it on their
//! own clock, do some work, then write with their token.
//!
//! The classic failure (Kleppmann, DDIA ch. 8, "The leader and the lock"; Gray & Cheriton
//! 1989): a worker checks that its lease is still valid, is paused (a stop-the-world GC, see
//! [`Simulation::schedule_pause`](crate::sim::Simulation::schedule_pause)) past the expiry,
//! the server grants the lease to someone else, and the woken worker writes anyway. A slow
//! worker clock does the same without any pause: the worker measures the lease on its own
//! clock and believes it longer than the server does. Fencing makes the *store* reject the
//! stale token; without it the stale write lands out of order.
//!
//! Invariant: the server's tokens strictly increase; with [`Fencing::On`] the store's
//! accepted tokens never decrease.

use alloc::format;
use alloc::string::String;

use crate::lease::fencing::{FencedStore, Fencing, WriteError};
use crate::lease::server::{LeaseError, LeaseServer};
use crate::node::NodeId;
use crate::protocol::{Context, Outbox, Protocol};
use crate::time::{Instant, Span};

/// The server node's id in every run (workers are the other nodes).
pub const SERVER: NodeId = NodeId(0);

/// One node: the lease server (with the store) or a worker.
///
/// # Examples
///
/// ```
/// use chronoscope::lease::fenced_lock::{LeaseNode, LeaseOp, LeaseOutput, WorkerPlan, SERVER};
/// use chronoscope::lease::fencing::Fencing;
/// use chronoscope::node::NodeId;
/// use chronoscope::sim::{Network, SimConfig, Simulation};
/// use chronoscope::time::{Instant, Span};
/// let plan = WorkerPlan::new(Span::from_secs(5), Span::from_secs(1));
/// let nodes = vec![LeaseNode::server(101, Fencing::On), LeaseNode::worker(plan, 1)];
/// let config = SimConfig { network: Network::constant(Span::from_millis(5)), ..SimConfig::default() };
/// let mut sim = Simulation::new(nodes, config).unwrap();
/// sim.schedule_operation(Instant::ZERO, NodeId(1), LeaseOp::Acquire).unwrap();
/// sim.run_until(Instant::from_millis(2_000));
/// assert!(sim.outputs().iter().any(|r| r.output == LeaseOutput::Accepted { from: NodeId(1), token: 101, value: 1 }));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum LeaseNode {
    /// The lease server and the fenced store.
    Server {
        /// The lease table.
        leases: LeaseServer,
        /// The store.
        store: FencedStore,
    },
    /// A worker.
    Worker(Worker),
}

/// What a worker does with a lease.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkerPlan {
    /// The lease duration it asks for.
    pub duration: Span,
    /// After the grant, how long (its clock) until it checks the lease and starts writing.
    pub write_after: Span,
    /// Time between the check and the write (where a pause hurts).
    pub work: Span,
    /// Safety margin: the worker treats its lease as over this much early.
    pub margin: Span,
}

impl WorkerPlan {
    /// Ask for `duration`, write `write_after` the grant, 10 ms of work, no margin.
    pub fn new(duration: Span, write_after: Span) -> Self {
        WorkerPlan {
            duration,
            write_after,
            work: Span::from_millis(10),
            margin: Span::ZERO,
        }
    }
}

/// A worker's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Worker {
    plan: WorkerPlan,
    value: u64,
    asked_at: Option<Instant>,
    held: Option<(u64, Instant)>,
}

/// Messages between workers and the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeaseMessage {
    /// Worker → server: grant me the lease for `duration`.
    Acquire {
        /// Requested duration.
        duration: Span,
    },
    /// Server → worker: the lease is yours.
    Granted {
        /// Its fencing token.
        token: u64,
        /// Its duration.
        duration: Span,
    },
    /// Server → worker: the request was invalid.
    Refused(LeaseError),
    /// Worker → store: write `value` under `token`.
    Write {
        /// The writer's token.
        token: u64,
        /// The value.
        value: u64,
    },
    /// Store → worker: the outcome.
    WriteAck {
        /// The token the write carried.
        token: u64,
        /// Accepted, or why not.
        result: Result<(), WriteError>,
    },
}

/// Timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeaseTimer {
    /// Server: lease `token`'s time is up.
    Expire(u64),
    /// Worker: check the lease, then start the work.
    Check(u64),
    /// Worker: the work is done; write.
    Write(u64),
}

/// Operations a scenario asks of a worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeaseOp {
    /// Ask for the lease (with the plan's duration).
    Acquire,
    /// Ask for a lease of an explicit duration (bad values are refused by the server).
    AcquireFor(Span),
}

/// What nodes report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeaseOutput {
    /// Server: granted `token` to `to`.
    Granted {
        /// The new holder.
        to: NodeId,
        /// Its token.
        token: u64,
    },
    /// Server: lease `token` of `holder` expired.
    Expired {
        /// The former holder.
        holder: NodeId,
        /// Its token.
        token: u64,
    },
    /// Server: refused a request.
    RequestRefused {
        /// The requester.
        from: NodeId,
        /// Why.
        error: LeaseError,
    },
    /// Store: accepted a write.
    Accepted {
        /// The writer.
        from: NodeId,
        /// Its token.
        token: u64,
        /// The value.
        value: u64,
    },
    /// Store: rejected a write.
    Rejected {
        /// The writer.
        from: NodeId,
        /// Why.
        error: WriteError,
    },
    /// Worker: got the lease; believes it valid until `local_expiry` on its own clock.
    Acquired {
        /// The token.
        token: u64,
        /// The worker's own deadline (its clock).
        local_expiry: Instant,
    },
    /// Worker: its lease is still valid by its clock; it starts the work.
    CheckPassed {
        /// The token.
        token: u64,
        /// Time left by its clock.
        remaining: Span,
    },
    /// Worker: its lease ran out by its own clock; it does not write.
    CheckFailed {
        /// The token.
        token: u64,
    },
    /// Worker: sent its write (without re-checking: the work is done).
    WriteSent {
        /// The token carried.
        token: u64,
        /// The value.
        value: u64,
    },
    /// Worker: heard back from the store.
    WriteDone {
        /// The token carried.
        token: u64,
        /// The store's answer.
        result: Result<(), WriteError>,
    },
    /// Worker: its request was refused.
    Refused(LeaseError),
}

impl LeaseNode {
    /// The server node, issuing tokens from `first_token`, with the store fenced or not.
    pub fn server(first_token: u64, fencing: Fencing) -> Self {
        LeaseNode::Server {
            leases: LeaseServer::new(first_token),
            store: FencedStore::new(fencing),
        }
    }

    /// A worker following `plan` that writes `value`.
    pub fn worker(plan: WorkerPlan, value: u64) -> Self {
        LeaseNode::Worker(Worker {
            plan,
            value,
            asked_at: None,
            held: None,
        })
    }

    /// The store (on the server node).
    pub fn store(&self) -> Option<&FencedStore> {
        match self {
            LeaseNode::Server { store, .. } => Some(store),
            LeaseNode::Worker(_) => None,
        }
    }

    fn grant(
        store: &mut FencedStore,
        to: NodeId,
        token: u64,
        duration: Span,
        out: &mut Outbox<Self>,
    ) {
        store.issue(token, to);
        out.send(to, LeaseMessage::Granted { token, duration });
        out.set_timer(duration, LeaseTimer::Expire(token));
        out.output(LeaseOutput::Granted { to, token });
    }
}

impl Protocol for LeaseNode {
    type Message = LeaseMessage;
    type Timer = LeaseTimer;
    type Operation = LeaseOp;
    type Output = LeaseOutput;

    fn describe_message(message: &LeaseMessage) -> String {
        match message {
            LeaseMessage::Acquire { duration } => format!("ask for a lease of {duration}"),
            LeaseMessage::Granted { token, duration } => {
                format!("lease granted: token {token} for {duration}")
            }
            LeaseMessage::Refused(error) => format!("lease refused: {error}"),
            LeaseMessage::Write { token, value } => format!("write {value} with token {token}"),
            LeaseMessage::WriteAck { token, result } => match result {
                Ok(()) => format!("write with token {token} accepted"),
                Err(error) => format!("write with token {token} rejected: {error}"),
            },
        }
    }
    fn describe_operation(operation: &LeaseOp) -> String {
        match operation {
            LeaseOp::Acquire => String::from("ask for the lease"),
            LeaseOp::AcquireFor(duration) => format!("ask for the lease for {duration}"),
        }
    }
    fn describe_output(output: &LeaseOutput) -> String {
        match output {
            LeaseOutput::Granted { to, token } => format!("granted token {token} to {to}"),
            LeaseOutput::Expired { holder, token } => {
                format!("{holder}'s lease (token {token}) expired")
            }
            LeaseOutput::RequestRefused { from, error } => {
                format!("refused {from}'s request: {error}")
            }
            LeaseOutput::Accepted { from, token, value } => {
                format!("store accepted {value} from {from} (token {token})")
            }
            LeaseOutput::Rejected { from, error } => {
                format!("store rejected {from}'s write: {error}")
            }
            LeaseOutput::Acquired {
                token,
                local_expiry,
            } => format!("holds token {token} until {local_expiry} (local clock)"),
            LeaseOutput::CheckPassed { token, remaining } => {
                format!("token {token} still valid, {remaining} left")
            }
            LeaseOutput::CheckFailed { token } => format!("token {token} no longer valid"),
            LeaseOutput::WriteSent { token, value } => {
                format!("sent write {value} with token {token}")
            }
            LeaseOutput::WriteDone { token, result } => match result {
                Ok(()) => format!("write with token {token} done"),
                Err(error) => format!("write with token {token} failed: {error}"),
            },
            LeaseOutput::Refused(error) => format!("request refused: {error}"),
        }
    }

    fn on_message(
        &mut self,
        ctx: &mut Context<'_>,
        from: NodeId,
        message: LeaseMessage,
        out: &mut Outbox<Self>,
    ) {
        match (self, message) {
            (LeaseNode::Server { leases, store }, LeaseMessage::Acquire { duration }) => {
                match leases.request(ctx.now, from, duration) {
                    Ok(Some(l)) => Self::grant(store, from, l.token, duration, out),
                    Ok(None) => {}
                    Err(error) => {
                        out.send(from, LeaseMessage::Refused(error));
                        out.output(LeaseOutput::RequestRefused { from, error });
                    }
                }
            }
            (LeaseNode::Server { store, .. }, LeaseMessage::Write { token, value }) => {
                let result = store.write(token, from, value);
                out.output(match result {
                    Ok(()) => LeaseOutput::Accepted { from, token, value },
                    Err(error) => LeaseOutput::Rejected { from, error },
                });
                out.send(from, LeaseMessage::WriteAck { token, result });
            }
            (LeaseNode::Worker(w), LeaseMessage::Granted { token, duration }) => {
                let start = w.asked_at.unwrap_or(ctx.now);
                let local_expiry = start + duration - w.plan.margin;
                w.held = Some((token, local_expiry));
                out.output(LeaseOutput::Acquired {
                    token,
                    local_expiry,
                });
                out.set_timer(w.plan.write_after, LeaseTimer::Check(token));
            }
            (LeaseNode::Worker(_), LeaseMessage::Refused(e)) => {
                out.output(LeaseOutput::Refused(e));
            }
            (LeaseNode::Worker(_), LeaseMessage::WriteAck { token, result }) => {
                out.output(LeaseOutput::WriteDone { token, result });
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_>, timer: LeaseTimer, out: &mut Outbox<Self>) {
        match (self, timer) {
            (LeaseNode::Server { leases, store }, LeaseTimer::Expire(token)) => {
                let (expired, next) = leases.expire(ctx.now, token);
                if let Some(l) = expired {
                    out.output(LeaseOutput::Expired {
                        holder: l.holder,
                        token: l.token,
                    });
                }
                if let Some(n) = next {
                    let duration = n.expires.since(ctx.now);
                    Self::grant(store, n.holder, n.token, duration, out);
                }
            }
            (LeaseNode::Worker(w), LeaseTimer::Check(token)) => {
                let Some((held, expiry)) = w.held else { return };
                if held != token {
                    return;
                }
                if ctx.now < expiry {
                    out.output(LeaseOutput::CheckPassed {
                        token,
                        remaining: expiry.since(ctx.now),
                    });
                    out.set_timer(w.plan.work, LeaseTimer::Write(token));
                } else {
                    w.held = None;
                    out.output(LeaseOutput::CheckFailed { token });
                }
            }
            (LeaseNode::Worker(w), LeaseTimer::Write(token)) => {
                let value = w.value;
                out.send(SERVER, LeaseMessage::Write { token, value });
                out.output(LeaseOutput::WriteSent { token, value });
            }
            _ => {}
        }
    }

    fn on_operation(&mut self, ctx: &mut Context<'_>, op: LeaseOp, out: &mut Outbox<Self>) {
        if let LeaseNode::Worker(w) = self {
            let duration = match op {
                LeaseOp::Acquire => w.plan.duration,
                LeaseOp::AcquireFor(d) => d,
            };
            w.asked_at = Some(ctx.now);
            out.send(SERVER, LeaseMessage::Acquire { duration });
        }
    }
}
