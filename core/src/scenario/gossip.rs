//! Random gossip: every node, on a timer, either does an internal step or tells a random
//! peer a rumour; a node that hears a rumour passes it on with some probability. It is the
//! simplest protocol that produces a rich happens-before graph (sends, receives, internal
//! events, concurrency), used by the Happens-before lab and the simulator benchmark.

use alloc::format;
use alloc::string::String;

use crate::node::NodeId;
use crate::protocol::{Context, Outbox, Protocol};
use crate::time::Span;

/// A gossiping node.
#[derive(Clone, Debug, PartialEq)]
pub struct Gossip {
    remaining: u32,
    mean_interval: Span,
    internal_probability: f64,
    forward_probability: f64,
    heard: u32,
}

/// A rumour: who started it and its number there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rumour {
    /// The node that started it.
    pub origin: NodeId,
    /// Its sequence number at the origin.
    pub number: u32,
}

/// What a gossiping node reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GossipOutput {
    /// An internal computation step.
    Internal,
}

impl Gossip {
    /// A node that takes `actions` timer-driven actions (each a send or an internal step),
    /// every 20 ms on average, 20 % of them internal, and never forwards.
    pub fn new(actions: u32) -> Self {
        Gossip {
            remaining: actions,
            mean_interval: Span::from_millis(20),
            internal_probability: 0.2,
            forward_probability: 0.0,
            heard: 0,
        }
    }
    /// Sets the mean time between actions.
    pub fn with_interval(mut self, mean: Span) -> Self {
        self.mean_interval = mean.max(Span::from_nanos(1));
        self
    }
    /// Sets the probability that an action is internal (not a send).
    pub fn with_internal_probability(mut self, p: f64) -> Self {
        self.internal_probability = p;
        self
    }
    /// Sets the probability that a heard rumour is passed on to a random peer.
    pub fn with_forward_probability(mut self, p: f64) -> Self {
        self.forward_probability = p;
        self
    }
    /// How many rumours this node has heard.
    pub fn heard(&self) -> u32 {
        self.heard
    }

    fn arm(&self, ctx: &mut Context<'_>, out: &mut Outbox<Self>) {
        if self.remaining > 0 {
            let mean = self.mean_interval.as_nanos() as f64;
            let wait = Span::from_nanos(ctx.rng.exponential(mean) as i64 + 1);
            out.set_timer(wait, ());
        }
    }

    fn random_peer(ctx: &mut Context<'_>) -> Option<NodeId> {
        let n = ctx.peers.len() as u64;
        (n > 0).then(|| ctx.peers[ctx.rng.below(n) as usize])
    }
}

impl Protocol for Gossip {
    type Message = Rumour;
    type Timer = ();
    type Operation = ();
    type Output = GossipOutput;

    fn describe_message(rumour: &Rumour) -> String {
        format!("rumour {}#{}", rumour.origin, rumour.number)
    }
    fn describe_output(output: &GossipOutput) -> String {
        match output {
            GossipOutput::Internal => String::from("internal step"),
        }
    }

    fn on_start(&mut self, ctx: &mut Context<'_>, out: &mut Outbox<Self>) {
        self.arm(ctx, out);
    }

    fn on_message(
        &mut self,
        ctx: &mut Context<'_>,
        _from: NodeId,
        rumour: Rumour,
        out: &mut Outbox<Self>,
    ) {
        self.heard += 1;
        if ctx.rng.chance(self.forward_probability) {
            if let Some(peer) = Self::random_peer(ctx) {
                out.send(peer, rumour);
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_>, _timer: (), out: &mut Outbox<Self>) {
        if self.remaining == 0 {
            return;
        }
        self.remaining -= 1;
        match Self::random_peer(ctx) {
            Some(peer) if !ctx.rng.chance(self.internal_probability) => out.send(
                peer,
                Rumour {
                    origin: ctx.node,
                    number: self.remaining,
                },
            ),
            _ => out.output(GossipOutput::Internal),
        }
        self.arm(ctx, out);
    }
}
