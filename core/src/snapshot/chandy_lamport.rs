//! The Chandy-Lamport distributed snapshot (Chandy & Lamport 1985, "Distributed Snapshots:
//! Determining Global States of Distributed Systems", §3 the marker algorithm), on a network
//! of bank nodes moving money over FIFO channels.
//!
//! Any node may initiate a snapshot `id`: it records its balance and sends a marker on every
//! outgoing channel. A node receiving its first marker for `id` records its balance, marks
//! that channel empty, sends markers on, and starts recording every other incoming channel;
//! a later marker on a channel stops that channel's recording. Once every incoming channel
//! has delivered its marker, the node sends its recorded balance and channel contents to the
//! initiator, which assembles the global state. Several snapshots may run at once; they are
//! kept apart by id.
//!
//! Invariant (on reliable FIFO channels): the recorded cut is consistent, and the recorded
//! total — balances plus money recorded in flight — equals the money in the system.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::node::NodeId;
use crate::protocol::{Context, Outbox, Protocol};
use crate::time::Span;

/// A snapshot's identity, chosen by its initiator and unique in the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SnapshotId(pub u32);

impl fmt::Display for SnapshotId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Money recorded on one channel: sent before the sender's cut, received after the
/// receiver's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelState {
    /// The sending end.
    pub from: NodeId,
    /// The receiving end.
    pub to: NodeId,
    /// The amounts, in arrival order.
    pub amounts: Vec<u64>,
}

impl ChannelState {
    /// The money on the channel.
    pub fn total(&self) -> u64 {
        self.amounts.iter().copied().fold(0, u64::saturating_add)
    }
}

/// What one node recorded for one snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeReport {
    /// The snapshot.
    pub id: SnapshotId,
    /// The reporting node.
    pub node: NodeId,
    /// Its recorded balance.
    pub balance: u64,
    /// Its incoming channels' recorded contents.
    pub channels: Vec<ChannelState>,
}

/// The global state an initiator assembled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GlobalState {
    /// The snapshot.
    pub id: SnapshotId,
    /// The node that initiated it.
    pub initiator: NodeId,
    /// Every node's recorded balance, by node.
    pub balances: Vec<(NodeId, u64)>,
    /// Every channel that had money in flight.
    pub in_flight: Vec<ChannelState>,
}

impl GlobalState {
    /// The money recorded in flight.
    pub fn in_flight_total(&self) -> u64 {
        self.in_flight
            .iter()
            .map(ChannelState::total)
            .fold(0, u64::saturating_add)
    }

    /// Balances plus money in flight.
    pub fn total(&self) -> u64 {
        self.balances
            .iter()
            .map(|b| b.1)
            .fold(self.in_flight_total(), u64::saturating_add)
    }

    /// The source document's `snapshot_trigger` report (nodes numbered from 1).
    pub fn report_lines(&self, initial: u64) -> Vec<String> {
        let mut lines = Vec::new();
        for (node, balance) in &self.balances {
            lines.push(format!("Node {} State: ${balance}", node.0 + 1));
        }
        for c in &self.in_flight {
            lines.push(format!(
                "In-flight ({}->{}): ${}",
                c.from.0 + 1,
                c.to.0 + 1,
                c.total()
            ));
        }
        let total = self.total();
        if total == initial {
            lines.push(format!("TOTAL: ${total} (Matches initial ${initial})"));
            lines.push(String::from("SUCCESS: Consistent Global State captured."));
        } else {
            lines.push(format!("TOTAL: ${total} (Initial was ${initial})"));
            lines.push(String::from("FAILURE: money was created or lost."));
        }
        lines
    }
}

/// Local operations at a bank node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BankOp {
    /// Send `amount` to `to`.
    Transfer {
        /// The receiver.
        to: NodeId,
        /// The amount.
        amount: u64,
    },
    /// Initiate snapshot `id` here.
    Snapshot(SnapshotId),
}

/// What travels between bank nodes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BankMessage {
    /// A transfer.
    Money {
        /// The amount.
        amount: u64,
    },
    /// A snapshot marker.
    Marker {
        /// The snapshot.
        id: SnapshotId,
        /// Who started it (where reports go).
        initiator: NodeId,
    },
    /// A node's recorded state, sent to the initiator.
    Report(NodeReport),
}

/// Timers of a bank node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BankTimer {
    /// Time for the next automatic transfer.
    Transfer,
    /// Give up waiting for a snapshot's reports.
    Timeout(SnapshotId),
}

/// A refused operation or message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnapshotError {
    /// This node already took part in a snapshot with this id.
    IdReused(SnapshotId),
    /// A transfer to a node that does not exist.
    UnknownNode(NodeId),
    /// A transfer to oneself.
    SelfTransfer,
    /// A transfer of nothing.
    ZeroAmount,
    /// A transfer of more than the balance.
    InsufficientFunds {
        /// The balance.
        balance: u64,
        /// The amount asked for.
        amount: u64,
    },
    /// Two initiators used the same id.
    ConflictingInitiator {
        /// The snapshot.
        id: SnapshotId,
        /// The initiator known here.
        known: NodeId,
        /// The initiator the marker names.
        claimed: NodeId,
    },
    /// A second marker for the same snapshot on the same channel.
    DuplicateMarker {
        /// The snapshot.
        id: SnapshotId,
        /// The channel's sender.
        from: NodeId,
    },
    /// A report this node did not ask for (or a duplicate, or one naming another node).
    UnexpectedReport {
        /// The snapshot.
        id: SnapshotId,
        /// The node it came from.
        from: NodeId,
    },
    /// Incoming money would overflow the balance.
    Overflow,
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnapshotError::IdReused(id) => write!(f, "snapshot id {id} was already used"),
            SnapshotError::UnknownNode(n) => write!(f, "no node {n}"),
            SnapshotError::SelfTransfer => f.write_str("cannot transfer to oneself"),
            SnapshotError::ZeroAmount => f.write_str("cannot transfer nothing"),
            SnapshotError::InsufficientFunds { balance, amount } => {
                write!(f, "cannot send ${amount} with a balance of ${balance}")
            }
            SnapshotError::ConflictingInitiator { id, known, claimed } => write!(
                f,
                "snapshot {id} was started by {known} but a marker names {claimed}"
            ),
            SnapshotError::DuplicateMarker { id, from } => {
                write!(f, "second marker for {id} from {from}")
            }
            SnapshotError::UnexpectedReport { id, from } => {
                write!(f, "unexpected report for {id} from {from}")
            }
            SnapshotError::Overflow => f.write_str("balance overflow"),
        }
    }
}

impl core::error::Error for SnapshotError {}

/// What a bank node reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BankOutput {
    /// Money sent.
    Sent {
        /// The receiver.
        to: NodeId,
        /// The amount.
        amount: u64,
    },
    /// Money received.
    Received {
        /// The sender.
        from: NodeId,
        /// The amount.
        amount: u64,
    },
    /// The node recorded its state for a snapshot: its point on the cut.
    Recorded {
        /// The snapshot.
        id: SnapshotId,
        /// The balance recorded.
        balance: u64,
    },
    /// A channel's recording ended (its marker arrived).
    ChannelRecorded {
        /// The snapshot.
        id: SnapshotId,
        /// The channel and what was recorded on it.
        channel: ChannelState,
    },
    /// The initiator assembled the global state.
    Completed(GlobalState),
    /// The initiator gave up waiting for reports.
    TimedOut {
        /// The snapshot.
        id: SnapshotId,
        /// The nodes that never reported.
        missing: Vec<NodeId>,
    },
    /// Something was refused.
    Rejected(SnapshotError),
}

#[derive(Clone, Debug)]
struct Recording {
    initiator: NodeId,
    balance: u64,
    open: BTreeMap<NodeId, Vec<u64>>,
    closed: BTreeMap<NodeId, Vec<u64>>,
    reported: bool,
}

/// Automatic random transfers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AutoTransfers {
    /// How many transfers the node makes.
    pub count: u32,
    /// Mean time between them (local clock).
    pub mean_interval: Span,
    /// The largest amount per transfer.
    pub max_amount: u64,
}

/// A bank node taking part in Chandy-Lamport snapshots.
///
/// ```
/// use chronoscope::snapshot::chandy_lamport::{Bank, BankOp, BankOutput, SnapshotId};
/// use chronoscope::sim::{Network, SimConfig, Simulation};
/// use chronoscope::{node::NodeId, time::{Instant, Span}};
/// let nodes = [50, 30, 20].map(|b| Bank::new(b)).to_vec();
/// let network = Network { fifo: true, ..Network::default() };
/// let mut sim = Simulation::new(nodes, SimConfig { network, ..SimConfig::default() }).unwrap();
/// let transfer = BankOp::Transfer { to: NodeId(0), amount: 10 };
/// sim.schedule_operation(Instant::from_millis(1), NodeId(1), transfer).unwrap();
/// sim.schedule_operation(Instant::from_millis(2), NodeId(0), BankOp::Snapshot(SnapshotId(1))).unwrap();
/// sim.run_until(Instant::from_millis(1_000));
/// let state = sim.outputs().iter().find_map(|r| match &r.output {
///     BankOutput::Completed(s) => Some(s.clone()), _ => None }).unwrap();
/// assert_eq!(state.total(), 100);
/// ```
#[derive(Clone, Debug)]
pub struct Bank {
    balance: u64,
    peers: Vec<NodeId>,
    auto: Option<AutoTransfers>,
    timeout: Span,
    recordings: BTreeMap<SnapshotId, Recording>,
    collecting: BTreeMap<SnapshotId, BTreeMap<NodeId, NodeReport>>,
}

impl Bank {
    /// A node starting with `balance`.
    pub fn new(balance: u64) -> Self {
        Bank {
            balance,
            peers: Vec::new(),
            auto: None,
            timeout: Span::from_secs(10),
            recordings: BTreeMap::new(),
            collecting: BTreeMap::new(),
        }
    }

    /// Makes the node send random amounts to random peers.
    pub fn with_auto_transfers(mut self, auto: AutoTransfers) -> Self {
        self.auto = Some(auto);
        self
    }

    /// Sets how long an initiator waits for reports before reporting a timeout.
    pub fn with_timeout(mut self, timeout: Span) -> Self {
        self.timeout = timeout;
        self
    }

    /// The current balance.
    pub fn balance(&self) -> u64 {
        self.balance
    }

    /// Checks a local operation.
    pub fn validate(&self, me: NodeId, op: &BankOp) -> Result<(), SnapshotError> {
        match *op {
            BankOp::Transfer { to, amount } => {
                if to == me {
                    Err(SnapshotError::SelfTransfer)
                } else if !self.peers.contains(&to) {
                    Err(SnapshotError::UnknownNode(to))
                } else if amount == 0 {
                    Err(SnapshotError::ZeroAmount)
                } else if amount > self.balance {
                    Err(SnapshotError::InsufficientFunds {
                        balance: self.balance,
                        amount,
                    })
                } else {
                    Ok(())
                }
            }
            BankOp::Snapshot(id) => {
                if self.recordings.contains_key(&id) || self.collecting.contains_key(&id) {
                    Err(SnapshotError::IdReused(id))
                } else {
                    Ok(())
                }
            }
        }
    }

    fn send_money(&mut self, to: NodeId, amount: u64, out: &mut Outbox<Self>) {
        self.balance -= amount.min(self.balance);
        out.output(BankOutput::Sent { to, amount });
        out.send(to, BankMessage::Money { amount });
    }

    fn arm(&self, ctx: &mut Context<'_>, out: &mut Outbox<Self>) {
        if let Some(auto) = self.auto.filter(|a| a.count > 0) {
            let mean = auto.mean_interval.as_nanos().max(1) as f64;
            out.set_timer(
                Span::from_nanos(ctx.rng.exponential(mean) as i64 + 1),
                BankTimer::Transfer,
            );
        }
    }

    /// Records local state for `id` and sends markers; `via` is the channel whose marker
    /// triggered it (recorded as empty).
    fn record(
        &mut self,
        me: NodeId,
        id: SnapshotId,
        initiator: NodeId,
        via: Option<NodeId>,
        out: &mut Outbox<Self>,
    ) {
        let mut rec = Recording {
            initiator,
            balance: self.balance,
            open: BTreeMap::new(),
            closed: BTreeMap::new(),
            reported: false,
        };
        for &p in &self.peers {
            if Some(p) == via {
                rec.closed.insert(p, Vec::new());
            } else {
                rec.open.insert(p, Vec::new());
            }
        }
        out.output(BankOutput::Recorded {
            id,
            balance: self.balance,
        });
        if let Some(p) = via {
            out.output(BankOutput::ChannelRecorded {
                id,
                channel: ChannelState {
                    from: p,
                    to: me,
                    amounts: Vec::new(),
                },
            });
        }
        self.recordings.insert(id, rec);
        out.send_to_all(&self.peers, BankMessage::Marker { id, initiator });
        self.maybe_report(me, id, out);
    }

    fn maybe_report(&mut self, me: NodeId, id: SnapshotId, out: &mut Outbox<Self>) {
        let Some(rec) = self.recordings.get_mut(&id) else {
            return;
        };
        if !rec.open.is_empty() || rec.reported {
            return;
        }
        rec.reported = true;
        let report = NodeReport {
            id,
            node: me,
            balance: rec.balance,
            channels: rec
                .closed
                .iter()
                .map(|(&from, amounts)| ChannelState {
                    from,
                    to: me,
                    amounts: amounts.clone(),
                })
                .collect(),
        };
        if rec.initiator == me {
            self.collect(me, report, out);
        } else {
            out.send(rec.initiator, BankMessage::Report(report));
        }
    }

    fn collect(&mut self, from: NodeId, report: NodeReport, out: &mut Outbox<Self>) {
        let id = report.id;
        let Some(reports) = self.collecting.get_mut(&id) else {
            out.output(BankOutput::Rejected(SnapshotError::UnexpectedReport {
                id,
                from,
            }));
            return;
        };
        if report.node != from || reports.contains_key(&from) {
            out.output(BankOutput::Rejected(SnapshotError::UnexpectedReport {
                id,
                from,
            }));
            return;
        }
        reports.insert(from, report);
        if reports.len() == self.peers.len() + 1 {
            let (initiator, balances, in_flight) = (
                self.recordings.get(&id).map_or(from, |r| r.initiator),
                reports.values().map(|r| (r.node, r.balance)).collect(),
                reports
                    .values()
                    .flat_map(|r| r.channels.iter())
                    .filter(|c| !c.amounts.is_empty())
                    .cloned()
                    .collect(),
            );
            out.cancel_timer(BankTimer::Timeout(id));
            out.output(BankOutput::Completed(GlobalState {
                id,
                initiator,
                balances,
                in_flight,
            }));
        }
    }
}

impl Protocol for Bank {
    type Message = BankMessage;
    type Timer = BankTimer;
    type Operation = BankOp;
    type Output = BankOutput;

    fn describe_message(message: &BankMessage) -> String {
        match message {
            BankMessage::Money { amount } => format!("${amount}"),
            BankMessage::Marker { id, initiator } => {
                format!("marker of snapshot {id} ({initiator}'s)")
            }
            BankMessage::Report(r) => format!(
                "snapshot {id} report: {node} holds ${balance}",
                id = r.id,
                node = r.node,
                balance = r.balance
            ),
        }
    }
    fn describe_operation(operation: &BankOp) -> String {
        match operation {
            BankOp::Transfer { to, amount } => format!("transfer ${amount} to {to}"),
            BankOp::Snapshot(id) => format!("start snapshot {id}"),
        }
    }
    fn describe_output(output: &BankOutput) -> String {
        match output {
            BankOutput::Sent { to, amount } => format!("sent ${amount} to {to}"),
            BankOutput::Received { from, amount } => format!("received ${amount} from {from}"),
            BankOutput::Recorded { id, balance } => {
                format!("snapshot {id}: recorded own balance ${balance}")
            }
            BankOutput::ChannelRecorded { id, channel } => format!(
                "snapshot {id}: channel {}→{} held ${}",
                channel.from,
                channel.to,
                channel.total()
            ),
            BankOutput::Completed(state) => format!(
                "snapshot {} complete: ${} in balances + ${} in flight",
                state.id,
                state.total().saturating_sub(state.in_flight_total()),
                state.in_flight_total()
            ),
            BankOutput::TimedOut { id, missing } => {
                let missing: Vec<String> = missing.iter().map(|n| format!("{n}")).collect();
                format!("snapshot {id} timed out waiting for {}", missing.join(", "))
            }
            BankOutput::Rejected(error) => format!("refused: {error}"),
        }
    }

    fn on_start(&mut self, ctx: &mut Context<'_>, out: &mut Outbox<Self>) {
        self.peers = ctx.peers.to_vec();
        self.arm(ctx, out);
    }

    fn on_operation(&mut self, ctx: &mut Context<'_>, op: BankOp, out: &mut Outbox<Self>) {
        if let Err(e) = self.validate(ctx.node, &op) {
            out.output(BankOutput::Rejected(e));
            return;
        }
        match op {
            BankOp::Transfer { to, amount } => self.send_money(to, amount, out),
            BankOp::Snapshot(id) => {
                self.collecting.insert(id, BTreeMap::new());
                self.record(ctx.node, id, ctx.node, None, out);
                out.set_timer(self.timeout, BankTimer::Timeout(id));
            }
        }
    }

    fn on_message(
        &mut self,
        ctx: &mut Context<'_>,
        from: NodeId,
        message: BankMessage,
        out: &mut Outbox<Self>,
    ) {
        match message {
            BankMessage::Money { amount } => {
                let Some(balance) = self.balance.checked_add(amount) else {
                    out.output(BankOutput::Rejected(SnapshotError::Overflow));
                    return;
                };
                self.balance = balance;
                out.output(BankOutput::Received { from, amount });
                for rec in self.recordings.values_mut() {
                    if let Some(channel) = rec.open.get_mut(&from) {
                        channel.push(amount);
                    }
                }
            }
            BankMessage::Marker { id, initiator } => match self.recordings.get_mut(&id) {
                None => self.record(ctx.node, id, initiator, Some(from), out),
                Some(rec) if rec.initiator != initiator => {
                    out.output(BankOutput::Rejected(SnapshotError::ConflictingInitiator {
                        id,
                        known: rec.initiator,
                        claimed: initiator,
                    }));
                }
                Some(rec) => match rec.open.remove(&from) {
                    None => out.output(BankOutput::Rejected(SnapshotError::DuplicateMarker {
                        id,
                        from,
                    })),
                    Some(amounts) => {
                        rec.closed.insert(from, amounts.clone());
                        out.output(BankOutput::ChannelRecorded {
                            id,
                            channel: ChannelState {
                                from,
                                to: ctx.node,
                                amounts,
                            },
                        });
                        self.maybe_report(ctx.node, id, out);
                    }
                },
            },
            BankMessage::Report(report) => self.collect(from, report, out),
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_>, timer: BankTimer, out: &mut Outbox<Self>) {
        match timer {
            BankTimer::Transfer => {
                let Some(auto) = self.auto.as_mut() else {
                    return;
                };
                auto.count = auto.count.saturating_sub(1);
                let max = auto.max_amount.min(self.balance);
                if max > 0 && !self.peers.is_empty() {
                    let to = self.peers[ctx.rng.below(self.peers.len() as u64) as usize];
                    let amount = 1 + ctx.rng.below(max);
                    self.send_money(to, amount, out);
                }
                self.arm(ctx, out);
            }
            BankTimer::Timeout(id) => {
                if let Some(reports) = self.collecting.get(&id) {
                    if reports.len() <= self.peers.len() {
                        let missing = core::iter::once(ctx.node)
                            .chain(self.peers.iter().copied())
                            .filter(|n| !reports.contains_key(n))
                            .collect::<Vec<_>>();
                        let mut missing = missing;
                        missing.sort_unstable();
                        out.output(BankOutput::TimedOut { id, missing });
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{Network, SimConfig, Simulation};
    use crate::time::Instant;

    #[test]
    fn bad_operations_are_refused_and_change_nothing() {
        let nodes = [10, 10].map(Bank::new).to_vec();
        let mut sim = Simulation::new(nodes, SimConfig::default()).unwrap();
        let (a, b) = (NodeId(0), NodeId(1));
        let ops = [
            BankOp::Transfer { to: a, amount: 1 },
            BankOp::Transfer {
                to: NodeId(9),
                amount: 1,
            },
            BankOp::Transfer { to: b, amount: 0 },
            BankOp::Transfer { to: b, amount: 11 },
            BankOp::Snapshot(SnapshotId(1)),
            BankOp::Snapshot(SnapshotId(1)),
        ];
        for (k, op) in ops.into_iter().enumerate() {
            sim.schedule_operation(Instant::from_millis(k as i64 * 100), a, op)
                .unwrap();
        }
        sim.run_until(Instant::from_millis(5_000));
        let rejected: Vec<_> = sim
            .outputs()
            .iter()
            .filter_map(|r| match r.output {
                BankOutput::Rejected(e) => Some(e),
                _ => None,
            })
            .collect();
        assert_eq!(
            rejected,
            [
                SnapshotError::SelfTransfer,
                SnapshotError::UnknownNode(NodeId(9)),
                SnapshotError::ZeroAmount,
                SnapshotError::InsufficientFunds {
                    balance: 10,
                    amount: 11
                },
                SnapshotError::IdReused(SnapshotId(1)),
            ]
        );
        assert_eq!(sim.node(a).unwrap().balance(), 10);
    }

    #[test]
    fn in_flight_money_is_recorded_on_its_channel() {
        // B sends $10 to A just before A snapshots; the transfer is slow, the marker fast
        // enough to reach B after B sent, so the $10 is in flight on B → A.
        let nodes = [50, 30, 20].map(Bank::new).to_vec();
        let network = Network {
            fifo: true,
            ..Network::constant(Span::from_millis(10))
        };
        let mut sim = Simulation::new(
            nodes,
            SimConfig {
                network,
                ..SimConfig::default()
            },
        )
        .unwrap();
        let (a, b) = (NodeId(0), NodeId(1));
        sim.schedule_operation(
            Instant::from_millis(5),
            b,
            BankOp::Transfer { to: a, amount: 10 },
        )
        .unwrap();
        sim.schedule_operation(Instant::from_millis(6), a, BankOp::Snapshot(SnapshotId(7)))
            .unwrap();
        sim.run_until(Instant::from_millis(1_000));
        let state = sim
            .outputs()
            .iter()
            .find_map(|r| match &r.output {
                BankOutput::Completed(s) => Some(s.clone()),
                _ => None,
            })
            .unwrap();
        assert_eq!(state.balances, [(a, 50), (b, 20), (NodeId(2), 20)]);
        assert_eq!(
            state.in_flight,
            [ChannelState {
                from: b,
                to: a,
                amounts: alloc::vec![10]
            }]
        );
        assert_eq!(
            state.report_lines(100).last().unwrap(),
            "SUCCESS: Consistent Global State captured."
        );
    }
}
