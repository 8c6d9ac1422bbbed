//! Membership and presence: who is around, who is gone, and how much each may send.
//!
//! Peers are keyed by the transport's [`NodeId`], which is untrusted: it only says where to
//! send an answer. A peer is *proven* once it has sent a valid update this replica did not
//! have, or a heartbeat whose presence proof verifies ([`super::presence`]); until then it is on probation and forgotten after `probation`, so made-up peers
//! (a flood of heartbeats under invented ids) expire and never fill the table for long.
//! Invariant: at most `max_peers` peers are known, at most `max_unproven_peers` of them
//! unproven; each has its own message and byte buckets (SWIM-style failure detection is
//! simplified to a silence timeout: Das, Gupta & Motivala, DSN 2002, §3).

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use super::limits::{Bucket, Limits};
use super::refusals::Refusal;
use super::update::AuthorKey;
use crate::node::NodeId;
use crate::time::Instant;

/// What this replica knows of one peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerInfo {
    /// The author key its heartbeats claim (unverified: a label, not an identity).
    pub author: Option<AuthorKey>,
    /// When it was first heard.
    pub first_heard: Instant,
    /// When it was last heard.
    pub last_heard: Instant,
    /// Whether it has sent a valid update this replica lacked, or a valid presence proof.
    pub proven: bool,
    /// Whether it said bye or went silent.
    pub gone: bool,
    messages: Bucket,
    bytes: Bucket,
}

/// A presence change to report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    /// The peer became (again) present and proven.
    Joined(NodeId),
    /// The peer left or went silent.
    Gone(NodeId),
}

/// The peer table.
#[derive(Clone, Debug, Default)]
pub struct Peers {
    map: BTreeMap<NodeId, PeerInfo>,
}

impl Peers {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }
    /// Every known peer.
    pub fn iter(&self) -> impl Iterator<Item = (NodeId, &PeerInfo)> + '_ {
        self.map.iter().map(|(n, p)| (*n, p))
    }
    /// One peer.
    pub fn get(&self, node: NodeId) -> Option<&PeerInfo> {
        self.map.get(&node)
    }
    /// Peers proven and not gone.
    pub fn present(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.map
            .iter()
            .filter(|(_, p)| p.proven && !p.gone)
            .map(|(n, _)| *n)
    }

    /// Admits a message of `bytes` from `from` at `now`: finds or makes its entry and
    /// charges its buckets. Returns a presence change if a gone, proven peer is heard again.
    pub fn admit(
        &mut self,
        from: NodeId,
        bytes: usize,
        now: Instant,
        limits: &Limits,
    ) -> Result<Option<Presence>, Refusal> {
        if !self.map.contains_key(&from) {
            let unproven = self.map.values().filter(|p| !p.proven).count();
            if self.map.len() >= limits.max_peers {
                // Make room by forgetting the longest-silent gone peer, if any.
                let oldest_gone = self
                    .map
                    .iter()
                    .filter(|(_, p)| p.gone)
                    .min_by_key(|(_, p)| p.last_heard)
                    .map(|(n, _)| *n);
                match oldest_gone {
                    Some(n) => {
                        self.map.remove(&n);
                    }
                    None => return Err(Refusal::OverCap),
                }
            }
            if unproven >= limits.max_unproven_peers {
                return Err(Refusal::OverCap);
            }
            self.map.insert(
                from,
                PeerInfo {
                    author: None,
                    first_heard: now,
                    last_heard: now,
                    proven: false,
                    gone: false,
                    messages: Bucket::full(limits.peer_messages_per_sec, now),
                    bytes: Bucket::full(limits.peer_bytes_per_sec, now),
                },
            );
        }
        let Some(p) = self.map.get_mut(&from) else {
            return Err(Refusal::OverCap);
        };
        if !p.messages.take(limits.peer_messages_per_sec, 1, now)
            || !p.bytes.take(limits.peer_bytes_per_sec, bytes as u64, now)
        {
            return Err(Refusal::OverRate);
        }
        p.last_heard = p.last_heard.max(now);
        if p.gone && p.proven {
            p.gone = false;
            return Ok(Some(Presence::Joined(from)));
        }
        p.gone = false;
        Ok(None)
    }

    /// Records the author key `from` claims.
    pub fn claim(&mut self, from: NodeId, author: AuthorKey) {
        if let Some(p) = self.map.get_mut(&from) {
            p.author = Some(author);
        }
    }

    /// Marks `from` proven (it sent a valid new update or presence proof); reports it
    /// joined the first time.
    pub fn prove(&mut self, from: NodeId) -> Option<Presence> {
        let p = self.map.get_mut(&from)?;
        if p.proven {
            return None;
        }
        p.proven = true;
        Some(Presence::Joined(from))
    }

    /// Marks `from` gone (it said bye).
    pub fn leave(&mut self, from: NodeId) -> Option<Presence> {
        let p = self.map.get_mut(&from)?;
        if p.gone {
            return None;
        }
        p.gone = true;
        p.proven.then_some(Presence::Gone(from))
    }

    /// Marks silent proven peers gone and forgets unproven peers past their probation;
    /// returns the presence changes and how many unproven peers expired.
    pub fn tick(&mut self, now: Instant, limits: &Limits) -> (Vec<Presence>, usize) {
        let mut changes = Vec::new();
        let before = self.map.len();
        self.map
            .retain(|_, p| p.proven || now.since(p.first_heard) < limits.probation);
        let expired = before - self.map.len();
        for (n, p) in self.map.iter_mut() {
            if p.proven && !p.gone && now.since(p.last_heard) >= limits.gone_after {
                p.gone = true;
                changes.push(Presence::Gone(*n));
            }
        }
        (changes, expired)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Span;

    #[test]
    fn unproven_peers_are_capped_and_expire_proven_ones_go_silent() {
        let limits = Limits {
            max_peers: 3,
            max_unproven_peers: 2,
            peer_messages_per_sec: 2,
            ..Limits::default()
        };
        let t = Instant::ZERO;
        let mut peers = Peers::new();
        assert_eq!(peers.admit(NodeId(1), 10, t, &limits), Ok(None));
        assert_eq!(peers.admit(NodeId(2), 10, t, &limits), Ok(None));
        assert_eq!(
            peers.admit(NodeId(3), 10, t, &limits),
            Err(Refusal::OverCap)
        );
        assert_eq!(peers.prove(NodeId(1)), Some(Presence::Joined(NodeId(1))));
        assert_eq!(peers.admit(NodeId(3), 10, t, &limits), Ok(None));
        // Two messages per second: the third in the same instant is over rate.
        assert_eq!(peers.admit(NodeId(1), 10, t, &limits), Ok(None));
        assert_eq!(
            peers.admit(NodeId(1), 10, t, &limits),
            Err(Refusal::OverRate)
        );
        let later = t + limits.probation;
        let (changes, expired) = peers.tick(later, &limits);
        assert_eq!(expired, 2);
        assert_eq!(changes, alloc::vec![Presence::Gone(NodeId(1))]);
        assert_eq!(
            peers.admit(NodeId(1), 10, later + Span::from_millis(1), &limits),
            Ok(Some(Presence::Joined(NodeId(1))))
        );
        assert_eq!(peers.leave(NodeId(1)), Some(Presence::Gone(NodeId(1))));
    }
}
