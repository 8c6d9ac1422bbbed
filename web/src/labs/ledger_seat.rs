//! One tab's ledger replica and its seat's saved state: [`TabLedger`] is the core's
//! [`Replica`] as a tab runs it — it keeps its own part of the latest Chandy-Lamport backup
//! (Chandy & Lamport 1985) — and [`save`] / [`restore`] write and read what whoever sits in the
//! seat next reboots from: the replica's [`Disk`] (promise register, HLC, own appends) and that
//! backup part, through [`Replica::reboot`].
//!
//! Invariant: a restored seat never promises the lease to a second holder before the saved
//! promise could have run out, and never reuses an entry id; every saved value is range-checked
//! like a message from the channel.

use chronoscope::clock::HlcTimestamp;
use chronoscope::ledger::backup::BackupPart;
use chronoscope::ledger::commit::Accept;
use chronoscope::ledger::disk::Disk;
use chronoscope::ledger::election::{LeaseVoter, Promise};
use chronoscope::ledger::replica::{
    LedgerConfig, LedgerMessage, LedgerOp, LedgerOutput, LedgerTimer, Replica,
};
use chronoscope::ledger::state::ReplicaState;
use chronoscope::node::NodeId;
use chronoscope::protocol::{Context, Effect, Outbox, Protocol};
use chronoscope::snapshot::chandy_lamport::SnapshotId;
use chronoscope::time::{Instant, Span};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::ledger_codec::{
    broadcast_of, entry_from_wire, entry_to_wire, log_entries, log_from_wire, LedgerCodec,
    LedgerWireError, WireEntry, WireLog, MAX_SAFE, MAX_SAVED_BYTES,
};

/// The ledger replica one tab runs: the core's [`Replica`], its latest backup part, and —
/// when the tab took over a seat — what it reboots from once started.
#[derive(Clone, Debug)]
pub struct TabLedger {
    replica: Replica,
    boot: Option<(Disk, Option<BackupPart>)>,
    backup: Option<(SnapshotId, String)>,
    rebooted: Option<Option<SnapshotId>>,
    shipper: Option<(NodeId, u64)>,
}

impl TabLedger {
    /// A fresh replica with `config`.
    pub fn new(config: LedgerConfig) -> Self {
        TabLedger {
            replica: Replica::new(config),
            boot: None,
            backup: None,
            rebooted: None,
            shipper: None,
        }
    }
    /// The replica.
    pub fn replica(&self) -> &Replica {
        &self.replica
    }
    /// The snapshot of the latest backup part this tab holds (and saves for its seat).
    pub fn backup(&self) -> Option<SnapshotId> {
        self.backup.as_ref().map(|b| b.0)
    }
    /// Whether this tab rebooted from a saved seat, and from which snapshot (`Some(None)`:
    /// from the disk alone, no backup part was saved).
    pub fn rebooted(&self) -> Option<Option<SnapshotId>> {
        self.rebooted
    }

    /// The last leader whose shipment this replica accepted, with its token.
    pub fn shipper(&self) -> Option<(NodeId, u64)> {
        self.shipper
    }

    fn forward(&mut self, mut inner: Outbox<Replica>, out: &mut Outbox<Self>) {
        for e in inner.drain() {
            match e {
                Effect::Send { to, message } => out.send(to, message),
                Effect::SetTimer { after, timer } => out.set_timer(after, timer),
                Effect::CancelTimer { timer } => out.cancel_timer(timer),
                Effect::Output(o) => {
                    if let LedgerOutput::BackedUp(part) = &o {
                        self.backup = Some((part.id, backup_json(part)));
                    }
                    out.output(o);
                }
            }
        }
    }
}

impl Protocol for TabLedger {
    type Message = LedgerMessage;
    type Timer = LedgerTimer;
    type Operation = LedgerOp;
    type Output = LedgerOutput;

    fn describe_message(m: &LedgerMessage) -> String {
        Replica::describe_message(m)
    }

    fn on_start(&mut self, ctx: &mut Context<'_>, out: &mut Outbox<Self>) {
        let mut inner = Outbox::new();
        self.replica.on_start(ctx, &mut inner);
        if let Some((disk, part)) = self.boot.take() {
            self.rebooted = Some(part.as_ref().map(|p| p.id));
            self.replica.reboot(disk, part, &mut inner);
        }
        self.forward(inner, out);
    }

    fn on_message(
        &mut self,
        ctx: &mut Context<'_>,
        from: NodeId,
        m: LedgerMessage,
        out: &mut Outbox<Self>,
    ) {
        let shipped = match &m {
            LedgerMessage::Accept(a) => Some(a.token),
            _ => None,
        };
        let mut inner = Outbox::new();
        self.replica.on_message(ctx, from, m, &mut inner);
        if let Some(token) = shipped {
            let state = self.replica.state();
            if state.log.token() == token && token >= state.voter.highest() {
                self.shipper = Some((from, token));
            }
        }
        self.forward(inner, out);
    }

    fn on_timer(&mut self, ctx: &mut Context<'_>, t: LedgerTimer, out: &mut Outbox<Self>) {
        let mut inner = Outbox::new();
        self.replica.on_timer(ctx, t, &mut inner);
        self.forward(inner, out);
    }

    fn on_operation(&mut self, ctx: &mut Context<'_>, op: LedgerOp, out: &mut Outbox<Self>) {
        let mut inner = Outbox::new();
        self.replica.on_operation(ctx, op, &mut inner);
        self.forward(inner, out);
    }
}

/// A backup part as saved: the recorded state with its in-flight messages replayed, as a
/// log and the other replicas' pending entries (this replica's own come back from its disk).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedBackup {
    id: u32,
    by: u32,
    node: u32,
    log: WireLog,
    pending: Vec<WireEntry>,
}

fn backup_json(part: &BackupPart) -> String {
    let state = part.replayed(true);
    let saved = SavedBackup {
        id: part.id.0,
        by: part.initiator.0,
        node: part.node.0,
        log: WireLog {
            t: state.log.token(),
            es: log_entries(state.log.entries()),
            c: state.log.committed_len(),
        },
        pending: state
            .pending()
            .iter()
            .filter(|e| e.id.origin != part.node)
            .map(entry_to_wire)
            .collect(),
    };
    serde_json::to_string(&saved).unwrap_or_default()
}

/// A seat's saved state: the replica's disk and its latest backup part.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Saved<'a> {
    v: u32,
    seat: u32,
    /// `(token, holder)` of the last promise, and the highest token seen.
    promise: Option<(u64, u32)>,
    highest: u64,
    hlc: u64,
    appended: u64,
    own: Vec<WireEntry>,
    #[serde(borrow)]
    backup: Option<&'a RawValue>,
}

/// A backup part read back: the saved log accepted, the saved pending entries received.
fn part(codec: &LedgerCodec, node: NodeId, json: &str) -> Result<BackupPart, LedgerWireError> {
    let bad = |why: String| LedgerWireError::Saved(why);
    let b: SavedBackup = serde_json::from_str(json).map_err(|e| bad(e.to_string()))?;
    if b.node != node.0 {
        return Err(bad(format!("the backup part belongs to seat {}", b.node)));
    }
    let check = codec.check();
    check.seat(NodeId(b.by))?;
    let entries = log_from_wire(b.log.es);
    check.log(b.log.t, &entries, b.log.c)?;
    let mut state = ReplicaState::new(node, codec.config.causal);
    if b.log.t > 0 {
        let accept = Accept {
            token: b.log.t,
            from: 0,
            entries: entries.into(),
            commit: b.log.c,
        };
        state
            .accept(&accept, true, Instant::ZERO)
            .map_err(|e| bad(e.to_string()))?;
    }
    check.count(b.pending.len())?;
    for e in b.pending {
        let e = entry_from_wire(e);
        check.entry(&e)?;
        // An entry refused here (its own, or a duplicate) simply is not pending.
        let _ = state.receive(broadcast_of(e), Instant::ZERO);
    }
    Ok(BackupPart {
        id: SnapshotId(b.id),
        node,
        initiator: NodeId(b.by),
        state,
        in_flight: Vec::new(),
    })
}

/// The seat's saved state: the disk and the latest backup part.
pub fn save(node: NodeId, ledger: &TabLedger) -> Option<String> {
    let disk = ledger.replica.disk();
    let raw = ledger
        .backup
        .as_ref()
        .and_then(|(_, json)| RawValue::from_string(json.clone()).ok());
    let saved = Saved {
        v: 1,
        seat: node.0,
        promise: disk.voter.promise().map(|p| (p.token, p.holder.0)),
        highest: disk.voter.highest(),
        hlc: disk.hlc.as_u64(),
        appended: disk.appended,
        own: disk.own.iter().map(|m| entry_to_wire(&m.payload)).collect(),
        backup: raw.as_deref(),
    };
    serde_json::to_string(&saved).ok()
}

/// A replica for `node` that reboots from its seat's saved state once started.
pub fn restore(
    codec: &LedgerCodec,
    node: NodeId,
    json: &str,
) -> Result<Option<TabLedger>, LedgerWireError> {
    let bad = |why: String| LedgerWireError::Saved(why);
    if json.len() > MAX_SAVED_BYTES {
        return Err(bad(format!("{} bytes is too long", json.len())));
    }
    let s: Saved<'_> = serde_json::from_str(json).map_err(|e| bad(e.to_string()))?;
    if s.v != 1 || s.seat != node.0 {
        return Err(bad("unknown version, or another seat's state".into()));
    }
    let check = codec.check();
    check.num("token", s.highest, MAX_SAFE)?;
    check.num("appended", s.appended, MAX_SAFE)?;
    check.count(s.own.len())?;
    // The promise's end was on the closed tab's clock: the new tab keeps it a whole
    // lease (and the time to sit down) from its own start, which is never shorter. A
    // promise to this seat itself is dropped: the process it protected is gone.
    let promise = match s.promise.filter(|&(_, holder)| holder != node.0) {
        Some((token, holder)) => {
            check.seat(NodeId(holder))?;
            check.num("token", token, MAX_SAFE)?;
            Some(Promise {
                token,
                holder: NodeId(holder),
                until: Instant::ZERO + codec.config.lease + Span::from_millis(1_000),
            })
        }
        None => None,
    };
    let mut own = Vec::with_capacity(s.own.len());
    for e in s.own {
        let e = entry_from_wire(e);
        check.entry(&e)?;
        own.push(broadcast_of(e));
    }
    let disk = Disk {
        voter: LeaseVoter::from_parts(promise, s.highest),
        hlc: HlcTimestamp::from_u64(s.hlc),
        appended: s.appended,
        own,
    };
    let part = match s.backup {
        Some(raw) => Some(part(codec, node, raw.get())?),
        None => None,
    };
    let mut ledger = TabLedger::new(codec.config);
    ledger.backup = s.backup.and_then(|raw| {
        let id = part.as_ref()?.id;
        Some((id, raw.get().to_string()))
    });
    ledger.boot = Some((disk, part));
    Ok(Some(ledger))
}
