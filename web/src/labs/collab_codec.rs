//! The JSON codec that lets the tab runtime carry the core's collaborative replica
//! (`chronoscope::collab`, Byzantine-safe, hash-linked and signed updates) between tabs:
//! a message is its canonical byte encoding as a hex JSON string, and the saved state is
//! the replica's saved bytes in hex. Everything a message means is checked by the core
//! (hash, signature, caps, whether a bundle was asked for); this codec only checks the size
//! and the form. The editor lab (`super::editor`) runs on it.

use std::fmt;

use chronoscope::collab::message::Message;
use chronoscope::collab::{Limits, Output, Replica, Saved};
use chronoscope::node::NodeId;
use serde::Deserialize;

use crate::tabs::runtime::WireCodec;

/// Why a message or a save was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CollabWireError {
    /// Not a JSON string of hex digits.
    NotHex,
    /// Longer than the replica's limit once decoded.
    Oversized(usize),
    /// The bytes do not decode as a message.
    Decode(String),
    /// The saved state was refused.
    Restore(String),
}

impl fmt::Display for CollabWireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CollabWireError::NotHex => f.write_str("not a hex string"),
            CollabWireError::Oversized(n) => write!(f, "{n} bytes is over the message limit"),
            CollabWireError::Decode(e) => write!(f, "does not decode: {e}"),
            CollabWireError::Restore(e) => write!(f, "saved replica refused: {e}"),
        }
    }
}

impl std::error::Error for CollabWireError {}

/// The codec of one tab's replica: it knows the tab's secret seed (to restore its key).
#[derive(Clone)]
pub struct CollabCodec {
    seed: [u8; 32],
    limits: Limits,
}

impl CollabCodec {
    /// A codec for a tab whose author key comes from `seed`.
    pub fn new(seed: [u8; 32], limits: Limits) -> Self {
        CollabCodec { seed, limits }
    }
}

fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

fn from_hex(s: &str) -> Result<Vec<u8>, CollabWireError> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => Ok(c - b'0'),
        b'a'..=b'f' => Ok(c - b'a' + 10),
        _ => Err(CollabWireError::NotHex),
    };
    if !s.len().is_multiple_of(2) {
        return Err(CollabWireError::NotHex);
    }
    s.as_bytes()
        .chunks(2)
        .map(|p| Ok(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
}

impl WireCodec for CollabCodec {
    type Protocol = Replica;
    type Error = CollabWireError;

    fn max_bytes(&self) -> usize {
        2 * self.limits.max_message_bytes + 2
    }

    fn encode(&self, m: &Message) -> String {
        format!("\"{}\"", to_hex(&m.encode()))
    }

    fn decode(&self, json: &str) -> Result<Message, CollabWireError> {
        let hex = String::deserialize(&mut serde_json::Deserializer::from_str(json))
            .map_err(|_| CollabWireError::NotHex)?;
        let bytes = from_hex(&hex)?;
        if bytes.len() > self.limits.max_message_bytes {
            return Err(CollabWireError::Oversized(bytes.len()));
        }
        Message::decode(&bytes).map_err(|e| CollabWireError::Decode(e.to_string()))
    }

    fn validate(&self, m: &Message) -> Result<(), CollabWireError> {
        match m.encoded_len() {
            n if n > self.limits.max_message_bytes => Err(CollabWireError::Oversized(n)),
            _ => Ok(()),
        }
    }

    fn saves_when_asked(&self) -> bool {
        true
    }

    fn asks_to_save(&self, output: &Output) -> bool {
        matches!(output, Output::Save(_))
    }

    fn save(&self, _node: NodeId, replica: &Replica) -> Option<String> {
        Some(to_hex(&replica.saved().bytes))
    }

    fn restore(&self, _node: NodeId, json: &str) -> Result<Option<Replica>, CollabWireError> {
        let saved = Saved {
            bytes: from_hex(json)?,
        };
        Replica::restore(self.seed, self.limits, &saved)
            .map(Some)
            .map_err(|e| CollabWireError::Restore(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tabs::runtime::TabRuntime;
    use chronoscope::collab::replica::Operation;
    use chronoscope::collab::update::{Op, Update};
    use chronoscope::collab::Refusal;

    type Tab = TabRuntime<CollabCodec>;

    fn tab(i: u8, now: f64) -> Tab {
        let seed = [i + 1; 32];
        let codec = CollabCodec::new(seed, Limits::default());
        let replica = Replica::new(seed, Limits::default());
        TabRuntime::open(codec, replica, 100 + u32::from(i), u64::from(i), now)
    }

    /// Tabs on one fake channel (every post reaches every other tab after its delay) and
    /// a list of raw strings a forger posts.
    struct Room {
        tabs: Vec<Tab>,
        wire: Vec<(f64, u64, usize, String)>,
        seen: Vec<String>,
        now: f64,
        n: u64,
    }

    impl Room {
        fn step(&mut self, forged: &mut Vec<String>) {
            self.wire
                .sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let due = self.wire.iter().take_while(|w| w.0 <= self.now).count();
            for (_, _, from, json) in self.wire.drain(..due).collect::<Vec<_>>() {
                self.seen.push(json.clone());
                for (i, t) in self.tabs.iter_mut().enumerate() {
                    if i != from {
                        t.receive(json.clone());
                    }
                }
            }
            for f in forged.drain(..) {
                for t in &mut self.tabs {
                    t.receive(f.clone());
                }
            }
            for (i, t) in self.tabs.iter_mut().enumerate() {
                t.pump(self.now, 64);
                t.poll(self.now, |_| None);
                t.take_outputs();
                for p in t.take_posts() {
                    self.n += 1;
                    self.wire
                        .push((self.now + f64::from(p.delay_ms), self.n, i, p.json));
                }
            }
            self.now += 10.0;
        }

        fn texts(&self) -> Vec<String> {
            self.tabs.iter().map(|t| t.protocol().text()).collect()
        }
    }

    #[test]
    fn three_replicas_converge_through_the_runtime_and_forgeries_change_nothing() {
        let mut room = Room {
            tabs: (0..3).map(|i| tab(i, 0.0)).collect(),
            wire: Vec::new(),
            seen: Vec::new(),
            now: 0.0,
            n: 0,
        };
        let mut forged = Vec::new();
        for _ in 0..100 {
            room.step(&mut forged);
        }
        room.tabs[0].set_delay(60);
        room.tabs[1].set_duplicate(true);
        room.tabs[2].set_drop(30);
        let words = ["alpha ", "bravo ", "charlie "];
        for k in 0..8 {
            for (i, w) in words.iter().enumerate() {
                let t = &mut room.tabs[i];
                let mut text = t.protocol().text();
                text.push_str(&w[k % w.len()..k % w.len() + 1]);
                assert!(t.operate(Operation::Replace { text }, room.now));
            }
            room.step(&mut forged);
        }
        // A forger reuses an honest update's id with another character, and posts an
        // unrequested bundle and a flood of garbage, under a made-up tab id.
        let honest = room
            .seen
            .iter()
            .find_map(|raw| {
                let v: serde_json::Value = serde_json::from_str(raw).ok()?;
                let m = CollabCodec::new([0; 32], Limits::default())
                    .decode(&v.get("m")?.to_string())
                    .ok()?;
                match m {
                    Message::Updates(us) => Some(us[0].clone()),
                    _ => None,
                }
            })
            .expect("an update went by");
        let mut fake: Update = honest.clone();
        fake.op = Op::insert_char(None, 'X');
        let envelope = |m: &Message| {
            let codec = CollabCodec::new([0; 32], Limits::default());
            format!(
                "{{\"k\":\"msg\",\"seat\":666,\"token\":666,\"to\":{},\"m\":{}}}",
                100,
                codec.encode(m)
            )
        };
        for to in 100..103 {
            let m = Message::Updates(vec![fake.clone()]);
            forged.push(envelope(&m).replace("\"to\":100", &format!("\"to\":{to}")));
            let b = Message::Bundle {
                nonce: 1,
                updates: vec![fake.clone()],
            };
            forged.push(envelope(&b).replace("\"to\":100", &format!("\"to\":{to}")));
        }
        for k in 0..1_000 {
            forged.push(format!(
                "{{\"k\":\"msg\",\"seat\":666,\"token\":666,\"to\":{},\"m\":\"zz\"}}",
                100 + k % 3
            ));
        }
        room.step(&mut forged);
        for t in &mut room.tabs {
            t.set_drop(0);
        }
        for _ in 0..1_500 {
            room.step(&mut forged);
        }
        let texts = room.texts();
        assert_eq!(texts[0], texts[1], "{texts:?}");
        assert_eq!(texts[0], texts[2], "{texts:?}");
        assert_eq!(texts[0].chars().count(), 24);
        assert!(!texts[0].contains('X'));
        for t in &room.tabs {
            let core = t.protocol().refusals();
            assert!(core.get(Refusal::BadHash) >= 1, "{:?}", core);
            assert!(t.counters().refused["invalid message"] >= 300);
        }
        assert!(room.tabs[1].seats().peers().contains(&NodeId(100)));
    }

    #[test]
    fn a_tab_saves_when_its_replica_asks_not_after_every_heartbeat() {
        let mut room = Room {
            tabs: (0..2).map(|i| tab(i, 0.0)).collect(),
            wire: Vec::new(),
            seen: Vec::new(),
            now: 0.0,
            n: 0,
        };
        let mut none = Vec::new();
        for _ in 0..100 {
            room.step(&mut none);
        }
        for t in &mut room.tabs {
            t.saved();
        }
        // Heartbeats go both ways for two seconds: nothing changed, nothing to save.
        for _ in 0..200 {
            room.step(&mut none);
        }
        assert!(room.tabs.iter().all(|t| !t.is_dirty()));
        let text = "hi".to_string();
        assert!(room.tabs[0].operate(Operation::Replace { text }, room.now));
        // The replica asks (its `Save` output) at its next heartbeat, in both tabs.
        for _ in 0..100 {
            room.step(&mut none);
        }
        assert!(room.tabs.iter().all(|t| t.is_dirty()));
        assert_eq!(room.texts(), ["hi", "hi"]);
    }

    #[test]
    fn saved_replicas_round_trip_and_garbage_saves_are_refused() {
        let codec = CollabCodec::new([7; 32], Limits::default());
        let mut t = TabRuntime::open(
            codec.clone(),
            Replica::new([7; 32], Limits::default()),
            5,
            1,
            0.0,
        );
        t.poll(0.0, |_| None);
        t.operate(
            Operation::Replace {
                text: "héllo".into(),
            },
            1.0,
        );
        let saved = t.saved().expect("the replica saves");
        let back = codec.restore(NodeId(5), &saved).unwrap().unwrap();
        assert_eq!(back.text(), "héllo");
        assert!(codec.restore(NodeId(5), "zz").is_err());
        assert!(codec.restore(NodeId(5), "00ff").is_err());
        let mut fresh = TabRuntime::open(
            codec.clone(),
            Replica::new([7; 32], Limits::default()),
            5,
            1,
            0.0,
        );
        fresh.poll(0.0, |_| Some(saved.clone()));
        assert_eq!(fresh.protocol().text(), "héllo");
        assert_eq!(codec.decode("\"0g\""), Err(CollabWireError::NotHex));
        assert_eq!(codec.decode("12"), Err(CollabWireError::NotHex));
    }
}
