//! Gossip (epidemic) broadcast (Demers et al. 1987, "Epidemic algorithms for replicated
//! database maintenance", §1.4 rumour mongering; Kleppmann's Cambridge notes, "Gossip
//! protocols").
//!
//! The origin delivers its message and sends it to `fanout` peers chosen at random; every
//! node that receives a message for the first time delivers it and forwards it to `fanout`
//! random peers (not the one it came from). Repeated copies are dropped. With a fanout of
//! about `ln n` plus a few, the message reaches every node with high probability while each
//! node sends only `fanout` copies — far fewer than eager reliable broadcast's `n − 1`.
//!
//! Invariant: every node delivers each message at most once.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use super::reliable::{RelayOutput, Relayed, Seen};
use crate::node::NodeId;
use crate::protocol::{Context, Outbox, Protocol};
use crate::rng::Rng;

/// Gossip broadcast at one node; operations are payloads to broadcast.
///
/// ```
/// use chronoscope::broadcast::{gossip::GossipBroadcast, reliable::RelayOutput};
/// use chronoscope::sim::{SimConfig, Simulation};
/// use chronoscope::{node::NodeId, time::Instant};
/// let nodes = (0..8).map(|_| GossipBroadcast::new(7)).collect(); // fanout n-1: a flood
/// let mut sim = Simulation::new(nodes, SimConfig::default()).unwrap();
/// sim.schedule_operation(Instant::from_millis(1), NodeId(3), "rumour").unwrap();
/// sim.run_until(Instant::from_millis(1_000));
/// let reached = sim.outputs().iter()
///     .filter(|r| matches!(r.output, RelayOutput::Delivered { .. })).count();
/// assert_eq!(reached, 8);
/// ```
#[derive(Clone, Debug)]
pub struct GossipBroadcast<T> {
    fanout: usize,
    peers: Vec<NodeId>,
    seen: Seen,
    forwarded: u64,
    _payload: core::marker::PhantomData<T>,
}

impl<T: Clone + fmt::Debug> GossipBroadcast<T> {
    /// A node that forwards each new message to `fanout` random peers.
    pub fn new(fanout: usize) -> Self {
        GossipBroadcast {
            fanout,
            peers: Vec::new(),
            seen: Seen::default(),
            forwarded: 0,
            _payload: core::marker::PhantomData,
        }
    }

    /// How many copies this node sent (own broadcasts and forwards).
    pub fn forwarded(&self) -> u64 {
        self.forwarded
    }

    fn spread(
        &mut self,
        rng: &mut Rng,
        except: Option<NodeId>,
        message: Relayed<T>,
        out: &mut Outbox<Self>,
    ) {
        let mut candidates: Vec<NodeId> = self
            .peers
            .iter()
            .copied()
            .filter(|p| Some(*p) != except)
            .collect();
        let picks = self.fanout.min(candidates.len());
        for k in 0..picks {
            let j = k + rng.below((candidates.len() - k) as u64) as usize;
            candidates.swap(k, j);
            self.forwarded += 1;
            out.send(candidates[k], message.clone());
        }
    }
}

impl<T: Clone + fmt::Debug> Protocol for GossipBroadcast<T> {
    type Message = Relayed<T>;
    type Timer = ();
    type Operation = T;
    type Output = RelayOutput<T>;

    fn describe_message(message: &Relayed<T>) -> String {
        message.to_string()
    }
    fn describe_output(output: &RelayOutput<T>) -> String {
        output.to_string()
    }

    fn on_start(&mut self, ctx: &mut Context<'_>, _out: &mut Outbox<Self>) {
        self.peers = ctx.peers.to_vec();
    }

    fn on_operation(&mut self, ctx: &mut Context<'_>, payload: T, out: &mut Outbox<Self>) {
        let id = self.seen.next_own(ctx.node);
        out.output(RelayOutput::Delivered {
            id,
            payload: payload.clone(),
        });
        self.spread(ctx.rng, None, Relayed { id, payload }, out);
    }

    fn on_message(
        &mut self,
        ctx: &mut Context<'_>,
        from: NodeId,
        message: Relayed<T>,
        out: &mut Outbox<Self>,
    ) {
        match self.seen.check(ctx.node, message.id) {
            Err(error) => out.output(RelayOutput::Rejected { from, error }),
            Ok(false) => {}
            Ok(true) => {
                self.seen.delivered.insert(message.id);
                out.output(RelayOutput::Delivered {
                    id: message.id,
                    payload: message.payload.clone(),
                });
                self.spread(ctx.rng, Some(from), message, out);
            }
        }
    }
}
