//! Commit wait (Corbett et al., "Spanner", OSDI 2012, §4.1.2): a transaction coordinator that
//! picks its commit timestamp `s = TT.now().latest` and, with commit wait on, makes the commit
//! visible only once `TT.after(s)` holds; a committed root transaction tells another node (an
//! outside channel), which starts a follow-up at once. The TrueTime lab runs it.
//!
//! Invariant (§4.2, external consistency): with commit wait, a transaction that starts after
//! another's commit is visible gets a larger timestamp.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::true_time::{Interval, TrueTime};
use crate::node::NodeId;
use crate::protocol::{Context, Outbox, Protocol};
use crate::time::{Instant, Span};

/// What a node reports about its transactions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxnEvent {
    /// A transaction started and picked its timestamp.
    Begin {
        /// The transaction.
        txn: u32,
        /// `TT.now()` at the start.
        interval: Interval,
        /// The commit timestamp `s = TT.now().latest`.
        s: Instant,
    },
    /// A transaction's commit became visible.
    Commit {
        /// The transaction.
        txn: u32,
        /// Its timestamp.
        s: Instant,
        /// How long it waited (local time; zero without commit wait).
        wait: Span,
    },
}

/// A node's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxnTimer {
    /// Start root transaction `n`.
    Begin(u32),
    /// Check whether transaction `n` may commit.
    CommitWait(u32),
}

/// A node's operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxnOp {
    /// The time masters just corrected the clock: restart the ε sawtooth.
    Sync,
}

/// "Transaction `n` committed" — sent outside the database; the receiver starts a follow-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Notice(pub u32);

/// A Spanner-like transaction coordinator.
///
/// ```
/// use chronoscope::clock::{TrueTime, TrueTimeConfig};
/// use chronoscope::clock::commit_wait::{SpannerNode, TxnEvent};
/// use chronoscope::sim::{SimConfig, Simulation};
/// use chronoscope::time::{Instant, Span};
/// let tt = TrueTime::new(TrueTimeConfig::default(), Instant::ZERO).unwrap();
/// let nodes = vec![SpannerNode::new(tt, true, vec![(Span::from_millis(5), 0)], 1), SpannerNode::new(tt, true, vec![], 1)];
/// let mut sim = Simulation::new(nodes, SimConfig::default()).unwrap();
/// sim.run_until(Instant::from_millis(1_000));
/// let commits: Vec<_> = sim.outputs().iter().filter(|r| matches!(r.output, TxnEvent::Commit { .. })).collect();
/// assert_eq!(commits.len(), 2); // the root and its follow-up
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct SpannerNode {
    tt: TrueTime,
    commit_wait: bool,
    starts: Vec<(Span, u32)>,
    roots: u32,
    waiting: BTreeMap<u32, (Instant, Span)>,
}

impl SpannerNode {
    /// A node with TrueTime `tt` that starts root transaction `id` after each `(delay, id)`
    /// of `starts` (local time); ids `roots..` are follow-ups (the follow-up of root `k` is
    /// `roots + k`).
    pub fn new(tt: TrueTime, commit_wait: bool, starts: Vec<(Span, u32)>, roots: u32) -> Self {
        SpannerNode {
            tt,
            commit_wait,
            starts,
            roots,
            waiting: BTreeMap::new(),
        }
    }

    fn begin(&mut self, ctx: &mut Context<'_>, txn: u32, out: &mut Outbox<Self>) {
        let interval = self.tt.now(ctx.now);
        let s = interval.latest;
        out.output(TxnEvent::Begin { txn, interval, s });
        if self.commit_wait {
            self.waiting.insert(txn, (s, Span::ZERO));
            self.check_wait(ctx, txn, out);
        } else {
            self.commit(ctx, txn, s, Span::ZERO, out);
        }
    }

    fn check_wait(&mut self, ctx: &mut Context<'_>, txn: u32, out: &mut Outbox<Self>) {
        let Some(&(s, waited)) = self.waiting.get(&txn) else {
            return;
        };
        let wait = self.tt.commit_wait(ctx.now, s);
        if wait == Span::ZERO {
            self.waiting.remove(&txn);
            self.commit(ctx, txn, s, waited, out);
        } else {
            self.waiting.insert(txn, (s, waited + wait));
            out.set_timer(wait, TxnTimer::CommitWait(txn));
        }
    }

    fn commit(
        &mut self,
        ctx: &mut Context<'_>,
        txn: u32,
        s: Instant,
        wait: Span,
        out: &mut Outbox<Self>,
    ) {
        out.output(TxnEvent::Commit { txn, s, wait });
        if txn < self.roots && !ctx.peers.is_empty() {
            let to = ctx.peers[ctx.rng.below(ctx.peers.len() as u64) as usize];
            out.send(to, Notice(txn));
        }
    }
}

impl Protocol for SpannerNode {
    type Message = Notice;
    type Timer = TxnTimer;
    type Operation = TxnOp;
    type Output = TxnEvent;

    fn describe_message(notice: &Notice) -> String {
        format!("txn {} committed", notice.0)
    }
    fn describe_operation(operation: &TxnOp) -> String {
        match operation {
            TxnOp::Sync => String::from("time masters sync: ε restarts"),
        }
    }
    fn describe_output(event: &TxnEvent) -> String {
        match event {
            TxnEvent::Begin { txn, interval, s } => {
                format!("txn {txn} begins: TT.now() = {interval}, s = {s}")
            }
            TxnEvent::Commit { txn, s, wait } => {
                format!("txn {txn} commits at s = {s} after waiting {wait}")
            }
        }
    }

    fn on_start(&mut self, _ctx: &mut Context<'_>, out: &mut Outbox<Self>) {
        for &(after, txn) in &self.starts {
            out.set_timer(after, TxnTimer::Begin(txn));
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_>, timer: TxnTimer, out: &mut Outbox<Self>) {
        match timer {
            TxnTimer::Begin(txn) => self.begin(ctx, txn, out),
            TxnTimer::CommitWait(txn) => self.check_wait(ctx, txn, out),
        }
    }

    fn on_message(
        &mut self,
        ctx: &mut Context<'_>,
        _from: NodeId,
        Notice(root): Notice,
        out: &mut Outbox<Self>,
    ) {
        self.begin(ctx, self.roots.saturating_add(root), out);
    }

    fn on_operation(&mut self, ctx: &mut Context<'_>, op: TxnOp, _out: &mut Outbox<Self>) {
        match op {
            TxnOp::Sync => self.tt.sync(ctx.now),
        }
    }
}
