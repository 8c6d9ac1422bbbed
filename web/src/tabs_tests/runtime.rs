//! Native tests of the tab runtime: Lamport-chat tabs on a fake `BroadcastChannel`.

use super::*;
use crate::labs::lamport_tabs::ChatCodec;
use chronoscope::broadcast::total_order::{LamportChat, TotalOrderOutput};

type Chat = TabRuntime<ChatCodec>;

/// Tabs on one fake `BroadcastChannel`: every post reaches every other tab after its
/// delay, in post order among equal times; tab `i` has token `i + 1`.
struct Room {
    tabs: Vec<Chat>,
    wire: Vec<(f64, u64, usize, String)>,
    shown: Vec<Vec<String>>,
    stuck: usize,
    now: f64,
    order: u64,
    offline: Vec<bool>,
    loads: Vec<Option<String>>,
}

impl Room {
    fn new(n: usize, seats: u32) -> Room {
        let tabs = (0..n)
            .map(|i| {
                let chat = LamportChat::new(Span::from_secs(5));
                TabRuntime::new(ChatCodec, chat, seats, i as u32 + 1, i as u64, 0.0, None)
            })
            .collect();
        Room {
            tabs,
            wire: Vec::new(),
            shown: vec![Vec::new(); n],
            stuck: 0,
            now: 0.0,
            order: 0,
            offline: vec![false; n],
            loads: vec![None; n],
        }
    }

    fn collect(&mut self, i: usize) {
        for p in self.tabs[i].take_posts() {
            self.order += 1;
            let at = self.now + f64::from(p.delay_ms);
            self.wire.push((at, self.order, i, p.json));
        }
        for o in self.tabs[i].take_outputs() {
            match o {
                TotalOrderOutput::Display { stamp, text } => {
                    self.shown[i].push(format!("{stamp} {text}"))
                }
                TotalOrderOutput::Stuck { .. } => self.stuck += 1,
                _ => {}
            }
        }
    }

    fn run(&mut self, ms: f64) {
        let end = self.now + ms;
        while self.now < end {
            self.wire
                .sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let due = self.wire.iter().take_while(|w| w.0 <= self.now).count();
            for (_, _, from, json) in self.wire.drain(..due).collect::<Vec<_>>() {
                for (i, t) in self.tabs.iter_mut().enumerate() {
                    if i != from && !self.offline[i] {
                        t.receive(json.clone());
                    }
                }
            }
            for i in 0..self.tabs.len() {
                if self.offline[i] {
                    continue;
                }
                let loads = &mut self.loads;
                self.tabs[i].pump(self.now, 64);
                self.tabs[i].poll(self.now, |_| loads[i].take());
                self.collect(i);
            }
            self.now += 10.0;
        }
    }

    fn say(&mut self, i: usize, text: &str) {
        assert!(self.tabs[i].operate(text.to_string(), self.now));
        self.collect(i);
    }
}

#[test]
fn three_tabs_take_seats_and_show_one_order_despite_delay_duplicates_and_a_hold() {
    let mut room = Room::new(3, 3);
    room.run(2_000.0);
    let mut seats: Vec<NodeId> = room
        .tabs
        .iter()
        .map(|t| t.seats().seat().unwrap())
        .collect();
    seats.sort();
    assert_eq!(seats, [NodeId(0), NodeId(1), NodeId(2)]);
    room.tabs[0].set_delay(120);
    room.tabs[1].set_duplicate(true);
    let c = room.tabs[2].seats().seat().unwrap();
    let a = room.tabs[0].seats().seat().unwrap();
    room.tabs[2].set_held(a, true, room.now);
    for k in 0..5 {
        for i in 0..3 {
            room.say(i, &format!("m{i}.{k}"));
        }
        room.run(30.0);
    }
    room.run(1_000.0);
    // Held: tab 2's messages to A wait, so nothing of C's is stable at A.
    assert!(room.tabs[2].held().get(&a).copied().unwrap_or(0) > 0);
    assert!(room.shown[0]
        .iter()
        .all(|l| !l.contains(&format!(", {c})"))));
    room.tabs[2].set_held(a, false, room.now);
    room.collect(2);
    room.run(2_000.0);
    assert_eq!(room.shown[0].len(), 15, "{:?}", room.shown);
    assert_eq!(room.shown[0], room.shown[1]);
    assert_eq!(room.shown[0], room.shown[2]);
    assert!(room.tabs.iter().all(|t| t.protocol().pending().is_empty()));
    assert!(room.tabs.iter().all(|t| t.counters().refused_total() == 0));
}

#[test]
fn garbage_forgeries_and_floods_are_refused_and_counted_and_change_nothing() {
    let mut room = Room::new(2, 2);
    room.run(1_500.0);
    room.say(0, "hello");
    room.run(500.0);
    assert_eq!(room.shown[1].len(), 1);
    let me = room.tabs[1].seats().seat().unwrap();
    let other = room.tabs[0].seats().seat().unwrap();
    let t = &mut room.tabs[1];
    let bad = [
        "not json".to_string(),
        "{\"k\":\"msg\"}".to_string(),
        format!(
            "{{\"k\":\"msg\",\"seat\":9,\"token\":5,\"to\":{},\"m\":{{}}}}",
            me.0
        ),
        // Its own seat and token.
        format!("{{\"k\":\"seat\",\"seat\":{},\"token\":2}}", me.0),
        // Another tab's seat with a made-up token.
        format!(
            "{{\"k\":\"msg\",\"seat\":{},\"token\":77,\"to\":{},\"m\":{{\"seq\":2,\"ack\":9}}}}",
            other.0, me.0
        ),
        // The right token, a packet the codec refuses.
        format!(
            "{{\"k\":\"msg\",\"seat\":{},\"token\":1,\"to\":{},\"m\":{{\"seq\":0,\"ack\":9}}}}",
            other.0, me.0
        ),
        "x".repeat(100_000),
    ];
    for b in bad {
        t.receive(b);
    }
    t.pump(room.now, 100);
    let c = t.counters();
    assert_eq!(c.refused_total(), 7, "{:?}", c.refused);
    for kind in [
        "malformed",
        "no such seat",
        "impersonation",
        "forged sender",
        "invalid message",
        "oversized",
    ] {
        assert!(c.refused.contains_key(kind), "{kind}: {:?}", c.refused);
    }
    // A flood: the inbox is bounded, the rest refused; a budget leaves the rest queued.
    for _ in 0..INBOX_MAX + 50 {
        t.receive("{\"k\":\"seat\",\"seat\":0,\"token\":1,\"claim\":true}".into());
    }
    assert_eq!(t.counters().refused["flood"], 50);
    assert_eq!(t.pump(room.now, 100), INBOX_MAX - 100);
    room.run(1_000.0);
    room.say(1, "still here");
    room.run(500.0);
    assert_eq!(room.shown[0], room.shown[1]);
    assert_eq!(room.shown[0].len(), 2);
}

#[test]
fn a_reloaded_tab_takes_its_seat_back_with_its_saved_state_and_the_room_goes_on() {
    let mut room = Room::new(3, 3);
    room.run(2_000.0);
    for i in 0..3 {
        room.say(i, &format!("before {i}"));
    }
    room.run(1_000.0);
    assert_eq!(room.shown[1].len(), 3);
    // Tab 1 reloads: it saves, says bye, is gone a while, comes back with its token.
    let seat = room.tabs[1].seats().seat().unwrap();
    let saved = room.tabs[1].saved().expect("the chat saves");
    let bye = room.tabs[1].bye().unwrap();
    room.offline[1] = true;
    room.wire.push((room.now, u64::MAX, 1, bye));
    room.run(50.0);
    room.say(0, "while away");
    room.run(500.0);
    let chat = LamportChat::new(Span::from_secs(5));
    room.tabs[1] = TabRuntime::new(ChatCodec, chat, 3, 2, 7, room.now, Some(seat));
    room.loads[1] = Some(saved);
    room.shown[1].clear();
    room.offline[1] = false;
    room.run(2_000.0);
    assert_eq!(room.tabs[1].seats().seat(), Some(seat));
    room.say(1, "back");
    room.run(1_000.0);
    assert_eq!(room.shown[0].len(), 5, "{:?}", room.shown);
    assert_eq!(room.shown[0], room.shown[2]);
    assert_eq!(room.shown[1], room.shown[0][3..], "{:?}", room.shown);
    assert!(room.tabs.iter().all(|t| t.protocol().pending().is_empty()));
    assert_eq!(room.tabs[1].protocol().displayed(), 5);
    // A save of another seat, or garbage, is refused with a note; the tab starts afresh.
    let other = room.tabs[0].saved().unwrap();
    let chat = LamportChat::new(Span::from_secs(5));
    let mut t = TabRuntime::new(ChatCodec, chat, 3, 2, 7, room.now, Some(seat));
    t.poll(room.now + 1_000.0, |_| Some(other));
    assert!(
        t.notes().any(|n| n.contains("another seat")),
        "{:?}",
        t.notes().collect::<Vec<_>>()
    );
    assert_eq!(t.protocol().displayed(), 0);
}

#[test]
fn a_seat_nobody_sits_in_holds_messages_and_timers_fire() {
    let mut room = Room::new(2, 3);
    room.run(1_500.0);
    room.say(0, "anyone?");
    room.run(6_000.0);
    // Seat C is empty: the message waits for it, pending, and is reported stuck.
    assert!(room.shown[0].is_empty());
    let empty = NodeId(2);
    assert!(room.tabs[0].held().get(&empty).copied().unwrap_or(0) > 0);
    assert_eq!(room.tabs[0].protocol().pending().len(), 1);
    assert!(room.stuck >= 1, "the stuck timer fired");
    let mut late = Chat::new(
        ChatCodec,
        LamportChat::new(Span::from_secs(5)),
        3,
        9,
        9,
        room.now,
        None,
    );
    late.poll(room.now, |_| None);
    room.tabs.push(late);
    room.shown.push(Vec::new());
    room.offline.push(false);
    room.loads.push(None);
    room.run(2_000.0);
    assert_eq!(room.tabs[2].seats().seat(), Some(empty));
    assert_eq!(room.shown[0].len(), 1, "{:?}", room.shown);
    assert_eq!(room.shown[0], room.shown[2]);
}

#[test]
fn a_frozen_tab_handles_nothing_until_it_wakes_then_catches_up_with_what_queued() {
    let mut room = Room::new(2, 2);
    room.run(1_500.0);
    let until = room.now + 2_000.0;
    room.tabs[1].freeze(until);
    assert_eq!(room.tabs[1].frozen_until(), Some(until));
    assert_eq!(room.tabs[1].next_wakeup(room.now), until);
    assert!(!room.tabs[1].operate("while frozen".into(), room.now));
    for k in 0..3 {
        room.say(0, &format!("m{k}"));
        room.run(100.0);
    }
    room.run(1_000.0);
    // Frozen: its mail waits, nothing is shown, nothing is refused.
    assert!(room.tabs[1].backlog() >= 3, "{}", room.tabs[1].backlog());
    assert!(room.shown[1].is_empty());
    assert_eq!(room.tabs[1].pump(room.now, 100), 0);
    room.run(2_000.0);
    assert_eq!(room.tabs[1].frozen_until(), None);
    assert_eq!(room.tabs[1].backlog(), 0);
    room.say(1, "awake");
    room.run(1_000.0);
    assert_eq!(room.shown[0].len(), 4, "{:?}", room.shown);
    assert_eq!(room.shown[0], room.shown[1]);
    assert_eq!(room.tabs[1].counters().refused_total(), 0);
}
