//! Total-order broadcast with Lamport timestamps — the Lamport chat (Lamport 1978, "Time,
//! Clocks, and the Ordering of Events in a Distributed System", §3 total ordering and the
//! mutual-exclusion algorithm's rule that a request is acted on once a later message has
//! been received from every process).
//!
//! Every chat message is stamped `(time, node)` ([`LamportStamp`]); every node keeps a
//! hold-back queue sorted by stamp and displays the head only when it is *stable*: every
//! other node has sent something (a chat or an acknowledgement) promising that all its future
//! messages carry a larger time. Links are made FIFO inside the protocol (per-link sequence
//! numbers, reordering buffer), which is what makes a promise final. A receiver catches its
//! clock up to the stamps it sees (`max`) and each broadcast ticks it, so a reply to `(1, A)`
//! is stamped `(2, B)` as in the source document's example.
//!
//! Invariant: every node displays the same messages in the same order — ascending
//! `(time, node)` — and that order extends happens-before. Not fault tolerant: a crashed or
//! cut-off node stalls everyone, which is reported ("stuck waiting for …"), never silent.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use crate::clock::LamportStamp;
use crate::node::NodeId;
use crate::protocol::{Context, Outbox, Protocol};
use crate::time::{Instant, Span};

/// What one packet carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChatBody<T> {
    /// A chat message.
    Chat {
        /// Its stamp.
        stamp: LamportStamp,
        /// Its text.
        text: T,
    },
    /// "Every message I send from now on has a time greater than `clock`."
    Ack {
        /// The sender's clock.
        clock: u64,
    },
}

/// A packet on one link, numbered so that the receiver processes the link in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatPacket<T> {
    /// The packet's position on its link (1-based).
    pub link_seq: u64,
    /// What it carries.
    pub body: ChatBody<T>,
}

/// Why an incoming packet was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TotalOrderError {
    /// A chat stamped with another node's id than the node it came from.
    StampMismatch {
        /// The node named in the stamp.
        claimed: NodeId,
        /// The node it came from.
        actual: NodeId,
    },
    /// A time at or below what the node already promised to exceed.
    Regressed {
        /// The sender.
        from: NodeId,
        /// Its earlier promise.
        promised: u64,
        /// The time received now.
        got: u64,
    },
    /// A time so large that no later stamp could exist.
    ClockExhausted,
    /// Link sequence numbers start at 1.
    LinkSeqZero,
    /// A packet implausibly far ahead on its link.
    TooFarAhead {
        /// The next expected link sequence number.
        next: u64,
        /// The one received.
        got: u64,
    },
}

impl fmt::Display for TotalOrderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TotalOrderError::StampMismatch { claimed, actual } => {
                write!(f, "stamp names {claimed} but came from {actual}")
            }
            TotalOrderError::Regressed {
                from,
                promised,
                got,
            } => write!(f, "{from} promised times above {promised} but sent {got}"),
            TotalOrderError::ClockExhausted => f.write_str("Lamport time exhausted"),
            TotalOrderError::LinkSeqZero => f.write_str("link sequence numbers start at 1"),
            TotalOrderError::TooFarAhead { next, got } => {
                write!(f, "link packet {got} too far ahead of {next}")
            }
        }
    }
}

impl core::error::Error for TotalOrderError {}

/// What a [`TotalOrder`] node reports.
#[derive(Clone, Debug, PartialEq)]
pub enum TotalOrderOutput<T> {
    /// Received (or sent) but not yet stable: shown greyed out.
    Pending {
        /// Its stamp.
        stamp: LamportStamp,
        /// Its text.
        text: T,
    },
    /// Stable and displayed, in the total order.
    Display {
        /// Its stamp.
        stamp: LamportStamp,
        /// Its text.
        text: T,
    },
    /// Pending for at least `stuck_after`.
    Stuck {
        /// Its stamp.
        stamp: LamportStamp,
        /// The nodes that have not yet promised a later time.
        waiting_for: Vec<NodeId>,
        /// How long it has been pending.
        waited: Span,
    },
    /// An incoming packet (or, with `from` this node, a broadcast) was refused.
    Rejected {
        /// The node it came from.
        from: NodeId,
        /// Why.
        error: TotalOrderError,
    },
}

impl<T: fmt::Display> fmt::Display for TotalOrderOutput<T> {
    /// The source document's format: `[PENDING] (2, B): Hello Alice`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TotalOrderOutput::Pending { stamp, text } => write!(f, "[PENDING] {stamp}: {text}"),
            TotalOrderOutput::Display { stamp, text } => write!(f, "[DISPLAY] {stamp}: {text}"),
            TotalOrderOutput::Stuck {
                stamp,
                waiting_for,
                waited,
            } => {
                write!(f, "[STUCK] {stamp} waited {waited} for a later stamp from")?;
                for n in waiting_for {
                    write!(f, " {n}")?;
                }
                Ok(())
            }
            TotalOrderOutput::Rejected { from, error } => {
                write!(f, "[REJECTED] from {from}: {error}")
            }
        }
    }
}

/// A node's whole state as plain data, for a driver to store and hand back after a reload
/// (stateright's `Command::Save` idea: persistence is a value, not I/O in the protocol).
#[derive(Clone, Debug, PartialEq)]
pub struct TotalOrderState<T> {
    /// How long a message may wait before it is reported stuck.
    pub stuck_after: Span,
    /// The Lamport clock.
    pub clock: u64,
    /// The other nodes.
    pub peers: Vec<NodeId>,
    /// The largest time promised to the others.
    pub promised_out: u64,
    /// Per peer, the last link sequence number sent.
    pub link_out: BTreeMap<NodeId, u64>,
    /// Per peer, the last link sequence number processed.
    pub link_in: BTreeMap<NodeId, u64>,
    /// Packets received ahead of their turn.
    pub reorder: BTreeMap<(NodeId, u64), ChatBody<T>>,
    /// Per peer, the largest time it promised.
    pub promised_in: BTreeMap<NodeId, u64>,
    /// The hold-back queue, with arrival times (local clock).
    pub queue: BTreeMap<LamportStamp, (T, Instant)>,
    /// How many messages were displayed.
    pub displayed: u64,
}

/// Why a saved state cannot be restored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TotalOrderStateError {
    /// A promise or queued stamp is ahead of the node's own clock (the clock would go back).
    ClockBehind {
        /// The clock saved.
        clock: u64,
        /// The larger time found.
        seen: u64,
    },
    /// A peer is the node itself, or a peer appears twice.
    BadPeers,
}

impl fmt::Display for TotalOrderStateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TotalOrderStateError::ClockBehind { clock, seen } => {
                write!(f, "saved clock {clock} is behind a saved time {seen}")
            }
            TotalOrderStateError::BadPeers => f.write_str("saved peers repeat or include the node"),
        }
    }
}

impl core::error::Error for TotalOrderStateError {}

/// The largest accepted gap in link sequence numbers.
pub const MAX_LINK_GAP: u64 = 1 << 20;

/// A total-order (Lamport) broadcast node; operations are texts to broadcast.
///
/// ```
/// use chronoscope::broadcast::total_order::{LamportChat, TotalOrderOutput};
/// use chronoscope::sim::{SimConfig, Simulation};
/// use chronoscope::{node::NodeId, time::{Instant, Span}};
/// let nodes = (0..3).map(|_| LamportChat::new(Span::from_secs(5))).collect();
/// let mut sim = Simulation::new(nodes, SimConfig::default()).unwrap();
/// sim.schedule_operation(Instant::from_millis(1), NodeId(0), "Hi".to_string()).unwrap();
/// sim.schedule_operation(Instant::from_millis(1), NodeId(1), "Yo".to_string()).unwrap();
/// sim.run_until(Instant::from_millis(1_000));
/// let shown = |n| sim.outputs().iter().filter(|r| r.node == NodeId(n))
///     .filter_map(|r| match &r.output { TotalOrderOutput::Display { text, .. } => Some(text.clone()), _ => None })
///     .collect::<Vec<_>>();
/// assert_eq!(shown(0), ["Hi", "Yo"]); // (1, A) < (1, B)
/// assert_eq!(shown(0), shown(2));
/// ```
#[derive(Clone, Debug)]
pub struct TotalOrder<T> {
    stuck_after: Span,
    clock: u64,
    peers: Vec<NodeId>,
    promised_out: u64,
    link_out: BTreeMap<NodeId, u64>,
    link_in: BTreeMap<NodeId, u64>,
    reorder: BTreeMap<(NodeId, u64), ChatBody<T>>,
    promised_in: BTreeMap<NodeId, u64>,
    queue: BTreeMap<LamportStamp, (T, Instant)>,
    displayed: u64,
}

/// The Lamport chat: total-order broadcast of strings.
pub type LamportChat = TotalOrder<alloc::string::String>;

impl<T: Clone + fmt::Debug> TotalOrder<T> {
    /// A node that reports messages pending longer than `stuck_after`.
    pub fn new(stuck_after: Span) -> Self {
        TotalOrder {
            stuck_after,
            clock: 0,
            peers: Vec::new(),
            promised_out: 0,
            link_out: BTreeMap::new(),
            link_in: BTreeMap::new(),
            reorder: BTreeMap::new(),
            promised_in: BTreeMap::new(),
            queue: BTreeMap::new(),
            displayed: 0,
        }
    }

    /// The node's Lamport clock.
    pub fn clock(&self) -> u64 {
        self.clock
    }

    /// How many messages were displayed.
    pub fn displayed(&self) -> u64 {
        self.displayed
    }

    /// The whole state as a value (see [`TotalOrderState`]).
    pub fn state(&self) -> TotalOrderState<T> {
        TotalOrderState {
            stuck_after: self.stuck_after,
            clock: self.clock,
            peers: self.peers.clone(),
            promised_out: self.promised_out,
            link_out: self.link_out.clone(),
            link_in: self.link_in.clone(),
            reorder: self.reorder.clone(),
            promised_in: self.promised_in.clone(),
            queue: self.queue.clone(),
            displayed: self.displayed,
        }
    }

    /// A node for `node` restored from a saved state, refused if its clock is behind a time
    /// it holds or its peers are not distinct others.
    ///
    /// ```
    /// use chronoscope::broadcast::total_order::LamportChat;
    /// use chronoscope::{node::NodeId, time::Span};
    /// let chat = LamportChat::new(Span::from_secs(5));
    /// let mut state = chat.state();
    /// assert!(LamportChat::from_state(NodeId(0), state.clone()).is_ok());
    /// state.promised_out = state.clock + 1;
    /// assert!(LamportChat::from_state(NodeId(0), state).is_err());
    /// ```
    pub fn from_state(node: NodeId, s: TotalOrderState<T>) -> Result<Self, TotalOrderStateError> {
        let mut peers = s.peers.clone();
        peers.sort_unstable();
        peers.dedup();
        if peers.len() != s.peers.len() || peers.contains(&node) {
            return Err(TotalOrderStateError::BadPeers);
        }
        let seen = s
            .promised_in
            .values()
            .copied()
            .chain(s.queue.keys().map(|k| k.time))
            .chain([s.promised_out])
            .max()
            .unwrap_or(0);
        if seen > s.clock {
            return Err(TotalOrderStateError::ClockBehind {
                clock: s.clock,
                seen,
            });
        }
        Ok(TotalOrder {
            stuck_after: s.stuck_after,
            clock: s.clock,
            peers: s.peers,
            promised_out: s.promised_out,
            link_out: s.link_out,
            link_in: s.link_in,
            reorder: s.reorder,
            promised_in: s.promised_in,
            queue: s.queue,
            displayed: s.displayed,
        })
    }

    /// The hold-back queue in stamp order, each with the nodes it still waits for.
    pub fn pending(&self) -> Vec<(LamportStamp, &T, Vec<NodeId>)> {
        self.queue
            .iter()
            .map(|(s, (t, _))| (*s, t, self.missing_promises(*s)))
            .collect()
    }

    fn missing_promises(&self, stamp: LamportStamp) -> Vec<NodeId> {
        self.peers
            .iter()
            .copied()
            .filter(|&p| p != stamp.node && self.promise(p) < stamp.time)
            .collect()
    }

    fn promise(&self, p: NodeId) -> u64 {
        self.promised_in.get(&p).copied().unwrap_or(0)
    }

    fn send_all(&mut self, body: ChatBody<T>, out: &mut Outbox<Self>) {
        for &p in &self.peers {
            let seq = self.link_out.entry(p).or_insert(0);
            *seq += 1;
            out.send(
                p,
                ChatPacket {
                    link_seq: *seq,
                    body: body.clone(),
                },
            );
        }
    }

    fn check_body(&self, from: NodeId, body: &ChatBody<T>) -> Result<(), TotalOrderError> {
        let time = match body {
            ChatBody::Chat { stamp, .. } => {
                if stamp.node != from {
                    return Err(TotalOrderError::StampMismatch {
                        claimed: stamp.node,
                        actual: from,
                    });
                }
                // A chat must exceed every earlier promise strictly.
                let promised = self.promise(from);
                if stamp.time <= promised {
                    return Err(TotalOrderError::Regressed {
                        from,
                        promised,
                        got: stamp.time,
                    });
                }
                stamp.time
            }
            ChatBody::Ack { clock } => {
                let promised = self.promise(from);
                if *clock < promised {
                    return Err(TotalOrderError::Regressed {
                        from,
                        promised,
                        got: *clock,
                    });
                }
                *clock
            }
        };
        if time == u64::MAX {
            return Err(TotalOrderError::ClockExhausted);
        }
        Ok(())
    }

    fn process(
        &mut self,
        ctx: &mut Context<'_>,
        from: NodeId,
        body: ChatBody<T>,
        out: &mut Outbox<Self>,
    ) {
        if let Err(error) = self.check_body(from, &body) {
            out.output(TotalOrderOutput::Rejected { from, error });
            return;
        }
        match body {
            ChatBody::Ack { clock } => {
                self.promised_in.insert(from, clock);
                self.clock = self.clock.max(clock);
                self.display_stable(out);
            }
            ChatBody::Chat { stamp, text } => {
                self.promised_in.insert(from, stamp.time);
                self.clock = self.clock.max(stamp.time);
                self.queue.insert(stamp, (text.clone(), ctx.now));
                self.display_stable(out);
                if self.queue.contains_key(&stamp) {
                    out.output(TotalOrderOutput::Pending { stamp, text });
                    out.set_timer(self.stuck_after, stamp);
                }
                if self.promised_out < self.clock {
                    self.promised_out = self.clock;
                    self.send_all(ChatBody::Ack { clock: self.clock }, out);
                }
            }
        }
    }

    fn display_stable(&mut self, out: &mut Outbox<Self>) {
        while let Some((&stamp, _)) = self.queue.first_key_value() {
            if !self.missing_promises(stamp).is_empty() {
                break;
            }
            if let Some((text, _)) = self.queue.remove(&stamp) {
                self.displayed += 1;
                out.output(TotalOrderOutput::Display { stamp, text });
            }
        }
    }
}

impl<T: Clone + fmt::Debug> Protocol for TotalOrder<T> {
    type Message = ChatPacket<T>;
    type Timer = LamportStamp;
    type Operation = T;
    type Output = TotalOrderOutput<T>;

    fn describe_message(packet: &ChatPacket<T>) -> String {
        match &packet.body {
            ChatBody::Chat { stamp, text } => format!("chat {stamp} {text:?}"),
            ChatBody::Ack { clock } => format!("ack, clock {clock}"),
        }
    }
    fn describe_output(output: &TotalOrderOutput<T>) -> String {
        match output {
            TotalOrderOutput::Pending { stamp, text } => format!("pending {stamp} {text:?}"),
            TotalOrderOutput::Display { stamp, text } => format!("display {stamp} {text:?}"),
            TotalOrderOutput::Stuck {
                stamp,
                waiting_for,
                waited,
            } => {
                let from: Vec<String> = waiting_for.iter().map(ToString::to_string).collect();
                format!("{stamp} stuck {waited}, waiting for {}", from.join(", "))
            }
            TotalOrderOutput::Rejected { from, error } => format!("rejected from {from}: {error}"),
        }
    }

    fn on_start(&mut self, ctx: &mut Context<'_>, _out: &mut Outbox<Self>) {
        self.peers = ctx.peers.to_vec();
    }

    fn on_operation(&mut self, ctx: &mut Context<'_>, text: T, out: &mut Outbox<Self>) {
        if self.clock >= u64::MAX - 1 {
            // Nothing more can be ordered; say so rather than drop the message silently.
            out.output(TotalOrderOutput::Rejected {
                from: ctx.node,
                error: TotalOrderError::ClockExhausted,
            });
            return;
        }
        self.clock += 1;
        self.promised_out = self.clock;
        let stamp = LamportStamp {
            time: self.clock,
            node: ctx.node,
        };
        self.queue.insert(stamp, (text.clone(), ctx.now));
        self.display_stable(out);
        if self.queue.contains_key(&stamp) {
            out.output(TotalOrderOutput::Pending {
                stamp,
                text: text.clone(),
            });
            out.set_timer(self.stuck_after, stamp);
        }
        self.send_all(ChatBody::Chat { stamp, text }, out);
    }

    fn on_message(
        &mut self,
        ctx: &mut Context<'_>,
        from: NodeId,
        packet: ChatPacket<T>,
        out: &mut Outbox<Self>,
    ) {
        let next = self.link_in.get(&from).copied().unwrap_or(0) + 1;
        if packet.link_seq == 0 {
            out.output(TotalOrderOutput::Rejected {
                from,
                error: TotalOrderError::LinkSeqZero,
            });
            return;
        }
        if packet.link_seq < next || self.reorder.contains_key(&(from, packet.link_seq)) {
            return; // duplicate
        }
        if packet.link_seq - next > MAX_LINK_GAP {
            out.output(TotalOrderOutput::Rejected {
                from,
                error: TotalOrderError::TooFarAhead {
                    next,
                    got: packet.link_seq,
                },
            });
            return;
        }
        if packet.link_seq > next {
            self.reorder.insert((from, packet.link_seq), packet.body);
            return;
        }
        let mut seq = next;
        let mut body = packet.body;
        loop {
            self.link_in.insert(from, seq);
            self.process(ctx, from, body, out);
            seq += 1;
            match self.reorder.remove(&(from, seq)) {
                Some(b) => body = b,
                None => break,
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_>, stamp: LamportStamp, out: &mut Outbox<Self>) {
        let Some((_, arrived)) = self.queue.get(&stamp) else {
            return;
        };
        let waited = ctx.now.since(*arrived);
        let mut waiting_for: Vec<NodeId> = self
            .queue
            .range(..=stamp)
            .flat_map(|(s, _)| self.missing_promises(*s))
            .collect();
        waiting_for.sort_unstable();
        waiting_for.dedup();
        out.output(TotalOrderOutput::Stuck {
            stamp,
            waiting_for,
            waited,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Effect;
    use crate::rng::Rng;

    const PEERS: [NodeId; 2] = [NodeId(1), NodeId(2)];

    fn feed(
        node: &mut TotalOrder<&'static str>,
        from: u32,
        link_seq: u64,
        body: ChatBody<&'static str>,
    ) -> Vec<TotalOrderOutput<&'static str>> {
        let mut rng = Rng::seed_from_u64(0);
        let mut ctx = Context {
            node: NodeId(0),
            now: Instant::ZERO,
            peers: &PEERS,
            rng: &mut rng,
        };
        let mut out = Outbox::new();
        if link_seq == 1 && from == 1 {
            node.on_start(&mut ctx, &mut out);
        }
        node.on_message(
            &mut ctx,
            NodeId(from),
            ChatPacket { link_seq, body },
            &mut out,
        );
        out.drain()
            .filter_map(|e| match e {
                Effect::Output(o) => Some(o),
                _ => None,
            })
            .collect()
    }

    fn chat(time: u64, node: u32, text: &'static str) -> ChatBody<&'static str> {
        ChatBody::Chat {
            stamp: LamportStamp {
                time,
                node: NodeId(node),
            },
            text,
        }
    }

    #[test]
    fn bad_packets_get_typed_errors_and_change_nothing() {
        let mut a = TotalOrder::new(Span::from_secs(1));
        assert_eq!(
            feed(&mut a, 1, 1, chat(5, 1, "hi")),
            [TotalOrderOutput::Pending {
                stamp: LamportStamp {
                    time: 5,
                    node: NodeId(1)
                },
                text: "hi"
            }]
        );
        let rejected = |outs: Vec<TotalOrderOutput<&str>>| match outs.as_slice() {
            [TotalOrderOutput::Rejected { error, .. }] => Some(*error),
            _ => None,
        };
        assert_eq!(
            rejected(feed(&mut a, 1, 2, chat(5, 1, "again"))),
            Some(TotalOrderError::Regressed {
                from: NodeId(1),
                promised: 5,
                got: 5
            })
        );
        assert_eq!(
            rejected(feed(&mut a, 1, 3, chat(9, 2, "forged"))),
            Some(TotalOrderError::StampMismatch {
                claimed: NodeId(2),
                actual: NodeId(1)
            })
        );
        assert_eq!(
            rejected(feed(&mut a, 1, 4, ChatBody::Ack { clock: u64::MAX })),
            Some(TotalOrderError::ClockExhausted)
        );
        assert_eq!(
            rejected(feed(&mut a, 2, 0, ChatBody::Ack { clock: 1 })),
            Some(TotalOrderError::LinkSeqZero)
        );
        assert!(matches!(
            rejected(feed(&mut a, 2, u64::MAX, ChatBody::Ack { clock: 1 })),
            Some(TotalOrderError::TooFarAhead { .. })
        ));
        // C's promise makes B's message stable.
        let outs = feed(&mut a, 2, 1, ChatBody::Ack { clock: 5 });
        assert!(matches!(
            outs.as_slice(),
            [TotalOrderOutput::Display { text: "hi", .. }]
        ));
        assert_eq!(a.displayed(), 1);
    }

    #[test]
    fn a_restored_node_continues_where_the_saved_one_stopped() {
        let mut a = TotalOrder::new(Span::from_secs(1));
        feed(&mut a, 1, 1, chat(5, 1, "hi"));
        let mut b = TotalOrder::from_state(NodeId(0), a.state()).unwrap();
        // C's promise stabilises B's message in the restored node, as in the original.
        let outs = feed(&mut b, 2, 1, ChatBody::Ack { clock: 5 });
        assert!(matches!(
            outs.as_slice(),
            [TotalOrderOutput::Display { text: "hi", .. }]
        ));
        // A replay of B's first packet is a duplicate for the restored node too.
        assert!(feed(&mut b, 1, 1, chat(5, 1, "hi")).is_empty());
        let mut bad = a.state();
        bad.peers.push(NodeId(0));
        assert_eq!(
            TotalOrder::from_state(NodeId(0), bad).err(),
            Some(TotalOrderStateError::BadPeers)
        );
        let mut behind = a.state();
        behind.clock = 1;
        assert_eq!(
            TotalOrder::from_state(NodeId(0), behind).err(),
            Some(TotalOrderStateError::ClockBehind { clock: 1, seen: 5 })
        );
    }

    #[test]
    fn out_of_order_link_packets_are_processed_in_order() {
        let mut a = TotalOrder::new(Span::from_secs(1));
        assert!(feed(&mut a, 1, 1, ChatBody::Ack { clock: 1 }).is_empty());
        assert!(feed(&mut a, 1, 3, chat(3, 1, "second")).is_empty());
        let outs = feed(&mut a, 1, 2, chat(2, 1, "first"));
        let texts: Vec<_> = outs
            .iter()
            .filter_map(|o| match o {
                TotalOrderOutput::Pending { text, .. } => Some(*text),
                _ => None,
            })
            .collect();
        assert_eq!(texts, ["first", "second"]);
        assert_eq!(a.pending().len(), 2);
        assert_eq!(a.pending()[0].2, [NodeId(2)]);
    }
}
