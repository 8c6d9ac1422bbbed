//! The [`Protocol`] trait: every algorithm in Chronoscope is a pure state machine.
//!
//! A protocol never sends, sleeps, reads a clock or draws randomness on its own. It is
//! handed an input — a message, a timer that fired, or a local operation — together with a
//! [`Context`] (its node id, its *local* clock reading, its peers, a seeded random number
//! generator), and it answers by pushing [`Effect`]s into an [`Outbox`]. The simulator, a
//! lab's animation, or a browser tab then carries those effects out (after the stateright
//! `Actor`/`Command` and smoltcp `poll(now)` designs).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Debug;

use crate::node::NodeId;
use crate::rng::Rng;
use crate::time::{Instant, Span};

/// What a node knows when it handles an input.
#[derive(Debug)]
pub struct Context<'a> {
    /// The node handling the input.
    pub node: NodeId,
    /// The node's *local* physical clock reading (not the true time).
    pub now: Instant,
    /// Every other node of the run, in ascending order.
    pub peers: &'a [NodeId],
    /// The node's own seeded random number generator.
    pub rng: &'a mut Rng,
}

/// One thing a protocol wants done.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect<M, T, O> {
    /// Send `message` to node `to`.
    Send {
        /// The destination.
        to: NodeId,
        /// The payload.
        message: M,
    },
    /// Fire `timer` after `after` has elapsed on the node's *local* clock.
    SetTimer {
        /// Local-clock delay.
        after: Span,
        /// The timer value handed back to [`Protocol::on_timer`].
        timer: T,
    },
    /// Cancel every armed timer equal to `timer`.
    CancelTimer {
        /// The timer to cancel.
        timer: T,
    },
    /// Something the protocol reports to its user (a delivery, a display line, a verdict).
    Output(O),
}

/// The effects one input produced, in the order the protocol asked for them.
#[derive(Debug)]
pub struct Outbox<P: Protocol + ?Sized> {
    effects: Vec<Effect<P::Message, P::Timer, P::Output>>,
}

impl<P: Protocol + ?Sized> Default for Outbox<P> {
    fn default() -> Self {
        Outbox {
            effects: Vec::new(),
        }
    }
}

impl<P: Protocol + ?Sized> Outbox<P> {
    /// An empty outbox.
    pub fn new() -> Self {
        Self::default()
    }
    /// Asks for `message` to be sent to `to`.
    pub fn send(&mut self, to: NodeId, message: P::Message) {
        self.effects.push(Effect::Send { to, message });
    }
    /// Asks for `message` to be sent to every node in `peers` (one send each).
    pub fn send_to_all(&mut self, peers: &[NodeId], message: P::Message) {
        for &to in peers {
            self.send(to, message.clone());
        }
    }
    /// Asks for `timer` to fire after `after` on the local clock.
    pub fn set_timer(&mut self, after: Span, timer: P::Timer) {
        self.effects.push(Effect::SetTimer { after, timer });
    }
    /// Asks for every armed timer equal to `timer` to be cancelled.
    pub fn cancel_timer(&mut self, timer: P::Timer) {
        self.effects.push(Effect::CancelTimer { timer });
    }
    /// Reports `output` to the protocol's user.
    pub fn output(&mut self, output: P::Output) {
        self.effects.push(Effect::Output(output));
    }
    /// The effects collected so far.
    pub fn effects(&self) -> &[Effect<P::Message, P::Timer, P::Output>] {
        &self.effects
    }
    /// Takes the collected effects, leaving the outbox empty.
    pub fn drain(&mut self) -> alloc::vec::Drain<'_, Effect<P::Message, P::Timer, P::Output>> {
        self.effects.drain(..)
    }
    /// Whether no effect was asked for.
    pub fn is_empty(&self) -> bool {
        self.effects.is_empty()
    }
}

/// A distributed algorithm at one node, as a pure state machine.
///
/// Invariant every implementation keeps: the only way it affects the world is through the
/// [`Outbox`]; given the same inputs, contexts and random draws it produces the same effects.
pub trait Protocol {
    /// Messages exchanged between nodes.
    type Message: Clone + Debug;
    /// Timer values the protocol sets and gets back.
    type Timer: Clone + Debug + PartialEq;
    /// Local operations a user (or a scenario) asks a node to perform.
    type Operation: Clone + Debug;
    /// What the protocol reports (deliveries, display lines, verdicts).
    type Output: Clone + Debug;

    /// How `message` reads in a trace label, after "send" or "recv" (e.g. `rumour B#5`).
    /// The default is its `Debug` form; a protocol shown to people gives a human one.
    fn describe_message(message: &Self::Message) -> String {
        format!("{message:?}")
    }

    /// How a local operation reads in a trace label (default: its `Debug` form).
    fn describe_operation(operation: &Self::Operation) -> String {
        format!("{operation:?}")
    }

    /// How an output reads in a trace label (default: its `Debug` form).
    fn describe_output(output: &Self::Output) -> String {
        format!("{output:?}")
    }

    /// Called once when the run starts.
    fn on_start(&mut self, _ctx: &mut Context<'_>, _out: &mut Outbox<Self>) {}

    /// Called when `message` from `from` is delivered to this node.
    fn on_message(
        &mut self,
        ctx: &mut Context<'_>,
        from: NodeId,
        message: Self::Message,
        out: &mut Outbox<Self>,
    );

    /// Called when an armed timer fires.
    fn on_timer(&mut self, _ctx: &mut Context<'_>, _timer: Self::Timer, _out: &mut Outbox<Self>) {}

    /// Called when a local operation is requested at this node.
    fn on_operation(
        &mut self,
        _ctx: &mut Context<'_>,
        _operation: Self::Operation,
        _out: &mut Outbox<Self>,
    ) {
    }
}
