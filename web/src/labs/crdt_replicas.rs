//! The CRDT lab's replicas: which of the core's CRDTs the hands-on panel puts side by side
//! (G-Counter, PN-Counter, G-Set, 2P-Set, OR-Set, LWW- and MV-Register; Shapiro, Preguiça,
//! Baquero, Zawirski 2011, §3), the operations each offers, and two replicas of one of them.
//! Every operation goes through the core's `validate_op` / `apply`, every merge through its
//! `merge`; this file only maps a button and an input to them.

use chronoscope::crdt::g_counter::Increment;
use chronoscope::crdt::lww_register::Set;
use chronoscope::crdt::mv_register::Write;
use chronoscope::crdt::or_set::OrOp;
use chronoscope::crdt::pn_counter::PnOp;
use chronoscope::crdt::two_phase_set::TwoPhaseOp;
use chronoscope::crdt::{
    CvRdt, GCounter, GSet, LwwRegister, MvRegister, OrSet, PnCounter, TwoPhaseSet, Update,
};
use chronoscope::node::NodeId;
use chronoscope::scenario::crdt::PANEL_TYPES;
use chronoscope::store::lww::LwwStamp;

/// The CRDTs of the hands-on panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Grow-only counter.
    GCounter,
    /// Increment/decrement counter.
    PnCounter,
    /// Grow-only set.
    GSet,
    /// Two-phase set: add, then remove once.
    TwoPhaseSet,
    /// Observed-remove set: add wins.
    OrSet,
    /// Last-writer-wins register.
    LwwRegister,
    /// Multi-value register.
    MvRegister,
}

impl Kind {
    /// Every kind, in the selector's order.
    pub const ALL: [Kind; 7] = [
        Kind::GCounter,
        Kind::PnCounter,
        Kind::GSet,
        Kind::TwoPhaseSet,
        Kind::OrSet,
        Kind::LwwRegister,
        Kind::MvRegister,
    ];

    /// The name used in the URL (the core's [`PANEL_TYPES`], in [`Kind::ALL`] order).
    pub fn name(self) -> &'static str {
        PANEL_TYPES[Kind::ALL.iter().position(|k| *k == self).unwrap_or(0)]
    }

    /// The name people read.
    pub fn title(self) -> &'static str {
        match self {
            Kind::GCounter => "G-Counter",
            Kind::PnCounter => "PN-Counter",
            Kind::GSet => "G-Set",
            Kind::TwoPhaseSet => "2P-Set",
            Kind::OrSet => "OR-Set",
            Kind::LwwRegister => "LWW-Register",
            Kind::MvRegister => "MV-Register",
        }
    }

    /// Parses [`name`](Self::name).
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The operations its replicas offer.
    pub fn ops(self) -> &'static [OpKind] {
        match self {
            Kind::GCounter => &[OpKind::Increment],
            Kind::PnCounter => &[OpKind::Increment, OpKind::Decrement],
            Kind::GSet => &[OpKind::Add],
            Kind::TwoPhaseSet | Kind::OrSet => &[OpKind::Add, OpKind::Remove],
            Kind::LwwRegister | Kind::MvRegister => &[OpKind::Set],
        }
    }

    /// What its merge does, in one sentence (Shapiro et al. 2011, §3).
    pub fn rule(self) -> &'static str {
        match self {
            Kind::GCounter => "One slot per replica; merge takes each slot's maximum; the value is the sum (§3.1.1).",
            Kind::PnCounter => "Two G-Counters, increments and decrements; the value is their difference (§3.1.2).",
            Kind::GSet => "Merge is set union; nothing can be removed (§3.3.1).",
            Kind::TwoPhaseSet => "An add set and a remove set (tombstones): an element removed once can never come back, \
                                  and only an element present here can be removed (§3.3.2).",
            Kind::OrSet => "Each add gets a unique tag; remove tombstones only the tags it has seen, so a concurrent \
                            add survives — add wins (§3.3.5).",
            Kind::LwwRegister => "Each write carries a stamp (here a shared step counter standing in for a clock); \
                                  merge keeps the highest stamp, so one concurrent write is silently lost (§3.2.1).",
            Kind::MvRegister => "Each write carries a version vector; merge keeps every write no other has seen, \
                                 so concurrent writes both survive until one write supersedes them (§3.2.2).",
        }
    }
}

/// An operation a panel button asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpKind {
    /// Add the amount.
    Increment,
    /// Subtract the amount.
    Decrement,
    /// Add the element.
    Add,
    /// Remove the element.
    Remove,
    /// Write the value.
    Set,
}

impl OpKind {
    /// The button's text.
    pub fn label(self) -> &'static str {
        match self {
            OpKind::Increment => "+",
            OpKind::Decrement => "−",
            OpKind::Add => "add",
            OpKind::Remove => "remove",
            OpKind::Set => "set",
        }
    }
    /// The button's class.
    pub fn class(self) -> &'static str {
        match self {
            OpKind::Increment => "op-inc",
            OpKind::Decrement => "op-dec",
            OpKind::Add => "op-add",
            OpKind::Remove => "op-remove",
            OpKind::Set => "op-set",
        }
    }
}

/// Two replicas of one CRDT type.
#[derive(Clone, Debug, PartialEq)]
pub enum Replicas {
    /// G-Counters.
    GCounter([GCounter; 2]),
    /// PN-Counters.
    PnCounter([PnCounter; 2]),
    /// G-Sets.
    GSet([GSet<String>; 2]),
    /// 2P-Sets.
    TwoPhaseSet([TwoPhaseSet<String>; 2]),
    /// OR-Sets.
    OrSet([OrSet<String>; 2]),
    /// LWW-Registers.
    LwwRegister([LwwRegister<String>; 2]),
    /// MV-Registers.
    MvRegister([MvRegister<String>; 2]),
}

fn checked<C: Update>(c: &mut C, op: C::Op) -> Result<(), String> {
    c.try_apply(op).map_err(|e| e.to_string())
}

fn merge_pair<C: CvRdt>(r: &mut [C; 2], into: usize, from: usize) {
    let other = r[from].clone();
    r[into].merge(&other);
}

fn list(items: &[String]) -> String {
    let shown: Vec<String> = items.iter().map(|s| format!("{s:?}")).collect();
    format!("{{{}}}", shown.join(", "))
}

impl Replicas {
    /// Two empty replicas of `kind`.
    pub fn new(kind: Kind) -> Replicas {
        match kind {
            Kind::GCounter => Replicas::GCounter(Default::default()),
            Kind::PnCounter => Replicas::PnCounter(Default::default()),
            Kind::GSet => Replicas::GSet(Default::default()),
            Kind::TwoPhaseSet => Replicas::TwoPhaseSet(Default::default()),
            Kind::OrSet => Replicas::OrSet(Default::default()),
            Kind::LwwRegister => Replicas::LwwRegister(Default::default()),
            Kind::MvRegister => Replicas::MvRegister(Default::default()),
        }
    }

    /// Applies an operation at replica `i` (0 or 1) through the core's check-then-apply;
    /// `tick` stamps LWW writes. A refused operation leaves the state unchanged and returns
    /// the core's error, printed.
    pub fn apply(&mut self, i: usize, op: OpKind, input: &str, tick: i64) -> Result<(), String> {
        let node = NodeId(i as u32);
        let amount = || -> Result<u64, String> {
            input
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|&n| n >= 1)
                .ok_or_else(|| format!("amount \"{}\" is not a whole number ≥ 1", input.trim()))
        };
        let item = || -> Result<String, String> {
            let s = input.trim();
            if s.is_empty() {
                Err("type an element or value first".into())
            } else {
                Ok(s.chars().take(40).collect())
            }
        };
        match (self, op) {
            (Replicas::GCounter(r), OpKind::Increment) => checked(
                &mut r[i],
                Increment {
                    node,
                    by: amount()?,
                },
            ),
            (Replicas::PnCounter(r), OpKind::Increment) => checked(
                &mut r[i],
                PnOp::Increment {
                    node,
                    by: amount()?,
                },
            ),
            (Replicas::PnCounter(r), OpKind::Decrement) => checked(
                &mut r[i],
                PnOp::Decrement {
                    node,
                    by: amount()?,
                },
            ),
            (Replicas::GSet(r), OpKind::Add) => checked(&mut r[i], item()?),
            (Replicas::TwoPhaseSet(r), OpKind::Add) => checked(&mut r[i], TwoPhaseOp::Add(item()?)),
            (Replicas::TwoPhaseSet(r), OpKind::Remove) => {
                checked(&mut r[i], TwoPhaseOp::Remove(item()?))
            }
            (Replicas::OrSet(r), OpKind::Add) => checked(
                &mut r[i],
                OrOp::Add {
                    node,
                    item: item()?,
                },
            ),
            (Replicas::OrSet(r), OpKind::Remove) => checked(&mut r[i], OrOp::Remove(item()?)),
            (Replicas::LwwRegister(r), OpKind::Set) => checked(
                &mut r[i],
                Set {
                    stamp: LwwStamp { time: tick, node },
                    value: item()?,
                },
            ),
            (Replicas::MvRegister(r), OpKind::Set) => checked(
                &mut r[i],
                Write {
                    node,
                    value: item()?,
                },
            ),
            (_, op) => Err(format!("{op:?} is not an operation of this type")),
        }
    }

    /// Merges replica `from`'s state into replica `into`.
    pub fn merge(&mut self, into: usize, from: usize) {
        match self {
            Replicas::GCounter(r) => merge_pair(r, into, from),
            Replicas::PnCounter(r) => merge_pair(r, into, from),
            Replicas::GSet(r) => merge_pair(r, into, from),
            Replicas::TwoPhaseSet(r) => merge_pair(r, into, from),
            Replicas::OrSet(r) => merge_pair(r, into, from),
            Replicas::LwwRegister(r) => merge_pair(r, into, from),
            Replicas::MvRegister(r) => merge_pair(r, into, from),
        }
    }

    /// Replica `i`'s value, printed.
    pub fn value(&self, i: usize) -> String {
        match self {
            Replicas::GCounter(r) => r[i].value().to_string(),
            Replicas::PnCounter(r) => r[i].value().to_string(),
            Replicas::GSet(r) => list(&r[i].value()),
            Replicas::TwoPhaseSet(r) => list(&r[i].value()),
            Replicas::OrSet(r) => list(&r[i].value()),
            Replicas::LwwRegister(r) => r[i]
                .value()
                .map_or_else(|| "(empty)".into(), |v| format!("{v:?}")),
            Replicas::MvRegister(r) => list(&r[i].value()),
        }
    }

    /// Replica `i`'s internal state, printed.
    pub fn state(&self, i: usize) -> String {
        match self {
            Replicas::GCounter(r) => r[i].to_string(),
            Replicas::PnCounter(r) => r[i].to_string(),
            Replicas::GSet(r) => format!("{:?}", r[i]),
            Replicas::TwoPhaseSet(r) => format!("{:?}", r[i]),
            Replicas::OrSet(r) => format!("{:?}", r[i]),
            Replicas::LwwRegister(r) => format!("{:?}", r[i]),
            Replicas::MvRegister(r) => format!("{:?}", r[i]),
        }
    }

    /// Whether the two replicas hold the same state.
    pub fn converged(&self) -> bool {
        match self {
            Replicas::GCounter(r) => r[0] == r[1],
            Replicas::PnCounter(r) => r[0] == r[1],
            Replicas::GSet(r) => r[0] == r[1],
            Replicas::TwoPhaseSet(r) => r[0] == r[1],
            Replicas::OrSet(r) => r[0] == r[1],
            Replicas::LwwRegister(r) => r[0] == r[1],
            Replicas::MvRegister(r) => r[0] == r[1],
        }
    }
}
