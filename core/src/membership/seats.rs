//! Seats: the known membership a tab runtime gives its protocol. A room has a fixed number
//! of seats (`A`, `B`, `C` …, the protocol's `NodeId`s); each tab claims one through the
//! channel and keeps it while it announces itself. Protocols that need known membership
//! (Lamport's total order waits for a later stamp from *every* other node) see the seats as
//! their peers, whether or not a tab sits in them yet.
//!
//! Claiming, in short: a tab listens for [`LOOK`], then claims the lowest seat nobody
//! announced; it announces the claim and sits once [`CLAIM`] pass without a conflicting
//! announcement (a seated tab, or a claimer with a lower token, wins). Seated tabs announce
//! every [`ANNOUNCE`]; a seat silent for [`GONE`] (or whose tab said bye) is absent,
//! and the runtime holds messages to it until someone sits there again.
//!
//! An *open* room ([`Seats::open`]) has no fixed seats, for protocols with their own
//! membership (the collaborative editor): each tab is `NodeId(token)` and its peers are
//! the tabs heard from lately. Pure: time is an input (the driver's local [`Instant`]);
//! the tab runtime in `chronoscope-web` carries the announcements on a channel.
//!
//! Invariant: two tabs that hear each other never stay seated in the same seat — a seated
//! tab is never displaced by a claimer, and among claimers of one seat the lowest token
//! wins, so every other claimer goes back to looking.
//!
//! ```
//! use chronoscope::membership::seats::{Seats, CLAIM};
//! use chronoscope::node::NodeId;
//! use chronoscope::time::Instant;
//! let mut seats = Seats::new(3, 7, Instant::ZERO, Some(NodeId(1)));
//! let (sat, _) = seats.tick(Instant::ZERO + CLAIM);
//! assert!(sat);
//! assert_eq!(seats.seat(), Some(NodeId(1)));
//! ```

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::node::NodeId;
use crate::time::{Instant, Span};

/// How long a new tab listens before it claims a seat.
pub const LOOK: Span = Span::from_millis(400);
/// How long a claim must stand unopposed.
pub const CLAIM: Span = Span::from_millis(300);
/// How often a tab announces its seat (or claim).
pub const ANNOUNCE: Span = Span::from_millis(500);
/// After how long without an announcement a seat counts as absent.
pub const GONE: Span = Span::from_secs(10);
/// The most seats a room may have.
pub const MAX_SEATS: u32 = 26;
/// The most other tabs an open room keeps track of (more are refused until some go quiet).
pub const MAX_OPEN: usize = 64;

/// Where this tab stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Listening to who is there, since the given time.
    Looking(Instant),
    /// Claiming a seat, since the given time.
    Claiming(NodeId, Instant),
    /// Sitting in a seat.
    Seated(NodeId),
    /// Every seat is taken: a spectator.
    Full,
}

/// Another tab, as last announced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Occupant {
    /// Its token (a random number that tells tabs apart).
    pub token: u32,
    /// When it was last heard.
    pub last_seen: Instant,
    /// Whether it only claims the seat (not yet seated).
    pub claiming: bool,
}

/// What an announcement did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Heard {
    /// Noted.
    Noted,
    /// It used this tab's own token or seat: a forgery (a tab never hears its own posts).
    Impersonation,
    /// It named a seat outside the room.
    NoSuchSeat,
    /// An open room already tracks [`MAX_OPEN`] other tabs.
    Full,
}

/// The room's seats as this tab sees them.
#[derive(Clone, Debug)]
pub struct Seats {
    open: bool,
    count: u32,
    token: u32,
    standing: Standing,
    occupants: BTreeMap<NodeId, Occupant>,
    last_announce: Option<Instant>,
}

impl Seats {
    /// A tab with `token` joining a room of `count` seats (clamped to `1..=MAX_SEATS`) at
    /// `now`; `resume` is the seat it held before a reload, claimed at once.
    pub fn new(count: u32, token: u32, now: Instant, resume: Option<NodeId>) -> Seats {
        let count = count.clamp(1, MAX_SEATS);
        let standing = match resume {
            Some(seat) if seat.0 < count => Standing::Claiming(seat, now),
            _ => Standing::Looking(now),
        };
        Seats {
            open: false,
            count,
            token,
            standing,
            occupants: BTreeMap::new(),
            last_announce: None,
        }
    }

    /// An open room: this tab is `NodeId(token)` (`token` non-zero) and sits at once.
    pub fn open(token: u32, now: Instant) -> Seats {
        let token = token.max(1);
        Seats {
            open: true,
            count: 0,
            standing: Standing::Claiming(NodeId(token), now - CLAIM),
            ..Seats::new(1, token, now, None)
        }
    }

    /// Whether the room is open (no fixed seats).
    pub fn is_open(&self) -> bool {
        self.open
    }
    /// The number of seats (0 in an open room).
    pub fn count(&self) -> u32 {
        self.count
    }
    /// Whether `seat` can exist in this room.
    pub fn valid(&self, seat: NodeId) -> bool {
        if self.open {
            seat.0 != 0
        } else {
            seat.0 < self.count
        }
    }
    /// The protocol's peers: every other seat, or in an open room the tabs present.
    pub fn peers(&self) -> Vec<NodeId> {
        let me = self.seat();
        if self.open {
            self.occupants
                .iter()
                .filter(|(_, o)| !o.claiming)
                .map(|(&s, _)| s)
                .collect()
        } else {
            self.all().filter(|&s| Some(s) != me).collect()
        }
    }
    /// This tab's token.
    pub fn token(&self) -> u32 {
        self.token
    }
    /// Where this tab stands.
    pub fn standing(&self) -> Standing {
        self.standing
    }
    /// This tab's seat, once seated.
    pub fn seat(&self) -> Option<NodeId> {
        match self.standing {
            Standing::Seated(s) => Some(s),
            _ => None,
        }
    }
    /// The seat this tab claims or holds (what it announces).
    pub fn announced(&self) -> Option<(NodeId, bool)> {
        match self.standing {
            Standing::Seated(s) => Some((s, false)),
            Standing::Claiming(s, _) => Some((s, true)),
            _ => None,
        }
    }
    /// Every seat, in order.
    pub fn all(&self) -> impl Iterator<Item = NodeId> {
        (0..self.count).map(NodeId)
    }
    /// The other tabs heard from, by seat.
    pub fn occupants(&self) -> &BTreeMap<NodeId, Occupant> {
        &self.occupants
    }
    /// Whether a seated tab other than this one sits in `seat`.
    pub fn present(&self, seat: NodeId) -> bool {
        self.occupants.get(&seat).is_some_and(|o| !o.claiming)
    }
    /// The token of the tab in `seat`, if one was heard.
    pub fn token_of(&self, seat: NodeId) -> Option<u32> {
        self.occupants.get(&seat).map(|o| o.token)
    }

    /// Notes an announcement: the tab `token` sits in (or, `claiming`, claims) `seat`.
    pub fn heard(&mut self, seat: NodeId, token: u32, claiming: bool, now: Instant) -> Heard {
        if !self.valid(seat) || (self.open && seat.0 != token) {
            return Heard::NoSuchSeat;
        }
        if let Standing::Claiming(mine, _) = self.standing {
            // A seated tab with this tab's own token is a duplicate of it (a duplicated
            // browser tab copies `sessionStorage`): this one takes a new token and looks on.
            let duplicate = !self.open && !claiming && token == self.token;
            if duplicate {
                self.token = self.token.wrapping_mul(0x9E37_79B1).wrapping_add(1).max(1);
            }
            if duplicate || (mine == seat && (!claiming || token < self.token)) {
                self.standing = Standing::Looking(now - LOOK);
            }
        }
        if token == self.token || self.seat() == Some(seat) {
            return Heard::Impersonation;
        }
        if self.open && !self.occupants.contains_key(&seat) && self.occupants.len() >= MAX_OPEN {
            return Heard::Full;
        }
        let replace = match self.occupants.get(&seat) {
            None => true,
            Some(o) if o.token == token => true,
            // A seated tab is not displaced by a claimer; among claimers the lowest wins.
            Some(o) => now - o.last_seen > GONE || (o.claiming && (!claiming || token < o.token)),
        };
        if replace {
            self.occupants.insert(
                seat,
                Occupant {
                    token,
                    last_seen: now,
                    claiming,
                },
            );
        }
        Heard::Noted
    }

    /// Notes that the tab `token` left `seat`.
    pub fn left(&mut self, seat: NodeId, token: u32) {
        if self.token_of(seat) == Some(token) {
            self.occupants.remove(&seat);
        }
    }

    /// Notes that a message came from `seat`, as a sign of life.
    pub fn alive(&mut self, seat: NodeId, now: Instant) {
        if let Some(o) = self.occupants.get_mut(&seat) {
            o.last_seen = o.last_seen.max(now);
        }
    }

    /// Advances time: forgets silent seats, claims and sits. Returns `(sat, announce)`:
    /// whether this tab just sat down, and whether it should announce itself now.
    pub fn tick(&mut self, now: Instant) -> (bool, bool) {
        self.occupants.retain(|_, o| now - o.last_seen <= GONE);
        let mut sat = false;
        let mut announce = false;
        match self.standing {
            Standing::Looking(since) | Standing::Claiming(_, since) if now < since => {}
            Standing::Looking(since) if now - since >= LOOK => {
                let free = self.all().find(|s| !self.occupants.contains_key(s));
                self.standing = match free {
                    Some(seat) => Standing::Claiming(seat, now),
                    None => Standing::Full,
                };
                announce = free.is_some();
            }
            Standing::Claiming(seat, since) if now - since >= CLAIM => {
                self.standing = Standing::Seated(seat);
                sat = true;
                announce = true;
            }
            Standing::Full if !self.open && self.occupants.len() < self.count as usize => {
                self.standing = Standing::Looking(now);
            }
            _ => {}
        }
        let due = !matches!(self.last_announce, Some(at) if now - at < ANNOUNCE);
        announce |= self.announced().is_some() && due;
        if announce {
            self.last_announce = Some(now);
        }
        (sat, announce)
    }
}
