//! A node that exchanges hybrid-logical-clock stamps (Kulkarni et al., "Logical Physical
//! Clocks", OPODIS 2014, §3): it sends its HLC stamp to a random peer every 50–150 ms of local
//! time, absorbs every stamp it receives (or logs the refusal, when a max offset is set), and
//! keeps a log of every stamp. The HLC lab runs it under the simulator.
//!
//! Invariant: the stamps a node logs for its sends and absorbed receives strictly increase,
//! whatever its physical clock does (see [`HybridLogicalClock`]).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::hybrid_logical::{HlcError, HlcTimestamp, HybridLogicalClock};
use crate::node::NodeId;
use crate::protocol::{Context, Outbox, Protocol};
use crate::time::{Instant, Span};

/// What one stamp in a node's log was for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StampKind {
    /// A send (the message carries the stamp).
    Send,
    /// A receive whose stamp was absorbed.
    Receive,
    /// A receive whose stamp was refused (the clock did not move).
    Rejected(HlcError),
}

/// One entry of an [`HlcNode`]'s log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// Send, receive or refused receive.
    pub kind: StampKind,
    /// The physical reading `pt` at that moment.
    pub pt: Instant,
    /// The clock's value after the event (unchanged for a refused receive).
    pub hlc: HlcTimestamp,
}

/// A node that sends its HLC stamp to a random peer every 50–150 ms (local time), absorbs
/// every stamp it receives, and logs each stamp.
///
/// ```
/// use chronoscope::clock::HybridLogicalClock;
/// use chronoscope::clock::hybrid_logical_node::HlcNode;
/// use chronoscope::sim::{SimConfig, Simulation};
/// use chronoscope::node::NodeId;
/// use chronoscope::time::Instant;
/// let nodes = (0..3).map(|_| HlcNode::new(HybridLogicalClock::unbounded(), 4)).collect();
/// let mut sim = Simulation::new(nodes, SimConfig::default()).unwrap();
/// sim.run_until(Instant::from_millis(5_000));
/// let log = sim.node(NodeId(0)).unwrap().log();
/// assert!(log.windows(2).all(|w| w[0].hlc < w[1].hlc));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct HlcNode {
    hlc: HybridLogicalClock,
    sends_left: u32,
    log: Vec<Stamp>,
}

impl HlcNode {
    /// A node with clock `hlc` that will send `sends` messages.
    pub fn new(hlc: HybridLogicalClock, sends: u32) -> Self {
        HlcNode {
            hlc,
            sends_left: sends,
            log: Vec::new(),
        }
    }
    /// Every stamp so far, in order.
    pub fn log(&self) -> &[Stamp] {
        &self.log
    }
    /// The clock.
    pub fn clock(&self) -> &HybridLogicalClock {
        &self.hlc
    }
    fn arm(&self, ctx: &mut Context<'_>, out: &mut Outbox<Self>) {
        if self.sends_left > 0 {
            out.set_timer(Span::from_millis(ctx.rng.in_range(50, 150)), ());
        }
    }
}

impl Protocol for HlcNode {
    type Message = HlcTimestamp;
    type Timer = ();
    type Operation = ();
    type Output = ();

    fn describe_message(stamp: &HlcTimestamp) -> String {
        format!("HLC {stamp}")
    }

    fn on_start(&mut self, ctx: &mut Context<'_>, out: &mut Outbox<Self>) {
        self.arm(ctx, out);
    }

    fn on_timer(&mut self, ctx: &mut Context<'_>, _: (), out: &mut Outbox<Self>) {
        if self.sends_left == 0 || ctx.peers.is_empty() {
            return;
        }
        // `now` fails only at the last representable timestamp: then the node falls silent.
        let Ok(ts) = self.hlc.now(ctx.now) else {
            return;
        };
        self.sends_left -= 1;
        self.log.push(Stamp {
            kind: StampKind::Send,
            pt: ctx.now,
            hlc: ts,
        });
        let to = ctx.peers[ctx.rng.below(ctx.peers.len() as u64) as usize];
        out.send(to, ts);
        self.arm(ctx, out);
    }

    fn on_message(
        &mut self,
        ctx: &mut Context<'_>,
        _from: NodeId,
        remote: HlcTimestamp,
        _out: &mut Outbox<Self>,
    ) {
        let kind = match self.hlc.update(remote, ctx.now) {
            Ok(_) => StampKind::Receive,
            Err(e) => StampKind::Rejected(e),
        };
        self.log.push(Stamp {
            kind,
            pt: ctx.now,
            hlc: self.hlc.last(),
        });
    }
}
