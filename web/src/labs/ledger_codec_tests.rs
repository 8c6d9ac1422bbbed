//! Native tests of the ledger between tabs: the codec's round trip and refusals, and three
//! ledger tabs on a fake `BroadcastChannel` — a frozen leader's shipment refused by fencing,
//! a closed tab's seat taken by a new tab that reboots from the saved backup.

use super::*;
use crate::tabs::runtime::TabRuntime;
use chronoscope::ledger::replica::{LedgerOp, LedgerOutput};

type Tab = TabRuntime<LedgerCodec>;

fn codec() -> LedgerCodec {
    LedgerCodec {
        config: tab_config(3),
    }
}

fn tab(i: usize) -> Tab {
    TabRuntime::new(
        codec(),
        TabLedger::new(codec().config),
        3,
        i as u32 + 1,
        i as u64 + 11,
        0.0,
        None,
    )
}

/// Tabs on one fake channel; every post reaches every other live tab after its delay.
struct Room {
    tabs: Vec<Option<Tab>>,
    wire: Vec<(f64, u64, usize, String)>,
    outputs: Vec<Vec<LedgerOutput>>,
    storage: std::collections::BTreeMap<NodeId, String>,
    now: f64,
    order: u64,
}

impl Room {
    fn new(n: usize) -> Room {
        Room {
            tabs: (0..n).map(|i| Some(tab(i))).collect(),
            wire: Vec::new(),
            outputs: vec![Vec::new(); n],
            storage: Default::default(),
            now: 0.0,
            order: 0,
        }
    }

    fn tab(&mut self, i: usize) -> &mut Tab {
        self.tabs[i].as_mut().unwrap()
    }

    fn run(&mut self, ms: f64) {
        let end = self.now + ms;
        while self.now < end {
            self.wire
                .sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let due = self.wire.iter().take_while(|w| w.0 <= self.now).count();
            for (_, _, from, json) in self.wire.drain(..due).collect::<Vec<_>>() {
                for (i, t) in self.tabs.iter_mut().enumerate() {
                    if let (true, Some(t)) = (i != from, t) {
                        t.receive(json.clone());
                    }
                }
            }
            for i in 0..self.tabs.len() {
                let now = self.now;
                let storage = &self.storage;
                let Some(t) = self.tabs[i].as_mut() else {
                    continue;
                };
                t.pump(now, 256);
                t.poll(now, |seat| storage.get(&seat).cloned());
                if let (Some(seat), Some(json)) = (t.seats().seat(), t.saved()) {
                    self.storage.insert(seat, json);
                }
                for p in t.take_posts() {
                    self.order += 1;
                    self.wire
                        .push((now + f64::from(p.delay_ms), self.order, i, p.json));
                }
                self.outputs[i].extend(t.take_outputs());
            }
            self.now += 10.0;
        }
    }

    /// The tab that believes it leads under the highest token.
    fn leader(&self) -> Option<(usize, u64)> {
        self.tabs
            .iter()
            .enumerate()
            .rev()
            .filter_map(|(i, t)| {
                let (token, _) = t.as_ref()?.protocol().replica().leading()?;
                Some((i, token))
            })
            .max_by_key(|l| l.1)
    }

    fn append(&mut self, i: usize, v: u64) {
        let now = self.now;
        assert!(self.tab(i).operate(LedgerOp::Append(v), now));
    }

    fn committed(&self, i: usize) -> Vec<(BroadcastId, u64)> {
        let r = self.tabs[i].as_ref().unwrap().protocol().replica();
        r.state()
            .log
            .committed()
            .iter()
            .map(|l| (l.entry.id, l.entry.value))
            .collect()
    }
}

#[test]
fn every_message_survives_the_round_trip() {
    let mut room = Room::new(3);
    room.run(3_000.0);
    for v in 0..6 {
        room.append(v as usize % 3, v);
        room.run(30.0);
    }
    let now = room.now;
    room.tab(1).operate(LedgerOp::Snapshot(SnapshotId(5)), now);
    room.run(2_000.0);
    // Every post the room carried decodes, validates and encodes back to the same text.
    let c = codec();
    let mut kinds = std::collections::BTreeSet::new();
    let mut tab0 = tab(0);
    for i in 0..3 {
        for o in &room.outputs[i] {
            kinds.insert(
                format!("{o:?}")
                    .split([' ', '(', '{'])
                    .next()
                    .unwrap()
                    .to_string(),
            );
        }
    }
    // A fresh pass with every message kind, encoded from values.
    let entry = entry_from_wire((1, 99 << 16, vec![(0, 2), (1, 3)], 42));
    let log = ReplicaLog::restore(
        102,
        vec![LogEntry {
            token: 101,
            entry: entry.clone(),
        }],
        1,
    );
    let messages = [
        LedgerMessage::Entries(vec![broadcast_of(entry.clone())].into()),
        LedgerMessage::RequestLease {
            token: 102,
            duration: Span::from_millis(2_000),
            recency: (101, 4),
        },
        LedgerMessage::Grant {
            token: 102,
            log: Some(log.clone()),
            learner: false,
        },
        LedgerMessage::Grant {
            token: 103,
            log: None,
            learner: true,
        },
        LedgerMessage::Refuse {
            token: 102,
            error: ElectionError::Promised {
                holder: NodeId(2),
                token: 101,
                left: Span::from_millis(300),
            },
        },
        LedgerMessage::Release { token: 102 },
        LedgerMessage::Renew {
            token: 102,
            duration: Span::from_millis(2_000),
        },
        LedgerMessage::Renewed { token: 102 },
        LedgerMessage::Accept(Accept {
            token: 102,
            from: 0,
            entries: log.entries().to_vec().into(),
            commit: 1,
        }),
        LedgerMessage::Ack { token: 102, len: 1 },
        LedgerMessage::Nack {
            token: 101,
            error: CommitError::StaleToken {
                token: 101,
                promised: 102,
            },
            recency: (102, 1),
        },
        LedgerMessage::Marker {
            id: SnapshotId(9),
            initiator: NodeId(1),
        },
    ];
    for m in &messages {
        let json = c.encode(m);
        let back = c.decode(&json).unwrap();
        c.validate(&back).unwrap();
        assert_eq!(c.encode(&back), json);
    }
    assert!(room.leader().is_some());
    assert!(kinds.contains("Committed"), "{kinds:?}");
    assert!(kinds.contains("BackedUp"), "{kinds:?}");
    assert!(tab0.saved().is_none(), "an unseated tab saves nothing");
}

#[test]
fn hostile_messages_are_refused_by_the_codec() {
    let c = codec();
    let bad = [
        r#"{"entries":[[7,1,[[7,1]],1]]}"#,       // seat 7 in a room of 3
        r#"{"entries":[[0,1,[[1,1]],1]]}"#,       // clock does not count the entry
        r#"{"ask":{"t":102,"d":-5,"r":[0,0]}}"#,  // negative lease
        r#"{"renew":{"t":102,"d":99999999}}"#,    // a lease of days
        r#"{"ack":{"t":102,"len":99999999999}}"#, // absurd length
        r#"{"accept":{"t":101,"from":0,"es":[[102,[0,1,[[0,1]],1]]],"c":0}}"#, // entry token above the shipment's
        r#"{"marker":{"id":1,"by":30}}"#,
    ];
    for b in bad {
        let m = c.decode(b).unwrap_or_else(|e| panic!("{b}: {e}"));
        assert!(c.validate(&m).is_err(), "{b} should be refused");
    }
    for b in [
        r#"{"nope":1}"#,
        r#"{"ack":{"t":1}}"#,
        r#"{"ack":{"t":1,"len":2,"x":3}}"#,
        "[]",
    ] {
        assert!(c.decode(b).is_err(), "{b} should not parse");
    }
}

#[test]
fn a_frozen_leader_wakes_and_ships_under_its_old_token_which_the_others_refuse() {
    let mut room = Room::new(3);
    room.run(3_000.0);
    let (leader, token) = room.leader().expect("a leader within 3 s");
    for v in 1..=4 {
        room.append(v as usize % 3, v);
        room.run(50.0);
    }
    room.run(1_000.0);
    assert_eq!(room.committed(0).len(), 4);
    // The leader appends, then freezes for three leases.
    room.append(leader, 5);
    let until = room.now + 6_000.0;
    room.tab(leader).freeze(until);
    room.run(5_000.0);
    // It still believes it leads; another tab leads under a higher token.
    assert_eq!(
        room.tabs[leader]
            .as_ref()
            .unwrap()
            .protocol()
            .replica()
            .leading()
            .map(|l| l.0),
        Some(token)
    );
    let (next, newer) = room.leader().expect("another tab took over");
    assert_ne!(next, leader);
    assert!(newer > token);
    let other = (0..3).find(|&i| i != leader && i != next).unwrap();
    room.append(other, 6);
    room.run(3_000.0);
    // On waking it shipped under its old token before reading its mail: refused.
    let refused: Vec<String> = (0..3)
        .filter(|&i| i != leader)
        .flat_map(|i| room.outputs[i].iter())
        .filter_map(|o| match o {
            LedgerOutput::Rejected { error, .. } => Some(error.to_string()),
            _ => None,
        })
        .collect();
    assert!(
        refused.contains(&format!("token {token} < {newer}")),
        "{refused:?}"
    );
    let logs: Vec<_> = (0..3).map(|i| room.committed(i)).collect();
    assert_eq!(logs[0].len(), 6, "{logs:?}");
    assert!(logs.iter().all(|l| *l == logs[0]));
}

#[test]
fn a_new_tab_in_a_closed_tabs_seat_reboots_from_its_backup_and_catches_up() {
    let mut room = Room::new(3);
    room.run(3_000.0);
    for v in 1..=4 {
        room.append(v as usize % 3, v);
        room.run(50.0);
    }
    room.run(500.0);
    let now = room.now;
    room.tab(0).operate(LedgerOp::Snapshot(SnapshotId(77)), now);
    room.run(1_000.0);
    let (leader, _) = room.leader().unwrap();
    let victim = (0..3).find(|&i| i != leader).unwrap();
    assert_eq!(
        room.tabs[victim].as_ref().unwrap().protocol().backup(),
        Some(SnapshotId(77))
    );
    let seat = room.tab(victim).seats().seat().unwrap();
    let bye = room.tab(victim).bye().unwrap();
    room.wire.push((room.now, u64::MAX, victim, bye));
    room.tabs[victim] = None;
    room.run(200.0);
    for v in 5..=6 {
        room.append(leader, v);
        room.run(50.0);
    }
    // A new tab (another token) sits in the free seat and reboots from what it saved.
    let fresh = TabRuntime::new(
        codec(),
        TabLedger::new(codec().config),
        3,
        40,
        99,
        room.now,
        None,
    );
    room.tabs[victim] = Some(fresh);
    room.run(4_000.0);
    let t = room.tabs[victim].as_ref().unwrap();
    assert_eq!(t.seats().seat(), Some(seat));
    assert_eq!(t.protocol().rebooted(), Some(Some(SnapshotId(77))));
    assert!(room.outputs[victim]
        .iter()
        .any(|o| matches!(o, LedgerOutput::Restored { id, .. } if *id == SnapshotId(77))));
    let logs: Vec<_> = (0..3).map(|i| room.committed(i)).collect();
    assert_eq!(logs[0].len(), 6, "{logs:?}");
    assert!(logs.iter().all(|l| *l == logs[0]), "{logs:?}");
}
