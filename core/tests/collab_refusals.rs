//! One test per refusal reason of the collaborative replica (core/src/collab), driving a
//! single replica by hand: each hostile input is refused, counted under its reason, and
//! leaves the text as it was. Plus the cases the issue names: a forged state transfer
//! cannot replace the text even when it answers a real request, an update signed with the
//! replica's own key that it lost (an older save) is taken back and its numbering continues
//! after it, and an equivocation is reported.
#![cfg(not(target_arch = "wasm32"))]

use chronoscope::collab::message::Message;
use chronoscope::collab::presence::prove;
use chronoscope::collab::replica::{Operation, Output, Replica, Timer};
use chronoscope::collab::update::{Author, CharId, Op, Update, UpdateHash};
use chronoscope::collab::{Limits, Refusal};
use chronoscope::node::NodeId;
use chronoscope::protocol::{Context, Effect, Outbox, Protocol};
use chronoscope::rng::Rng;
use chronoscope::time::{Instant, Span};

const ME: NodeId = NodeId(0);
const PEER: NodeId = NodeId(1);
const OTHER: NodeId = NodeId(2);

struct Driver {
    replica: Replica,
    rng: Rng,
    now: Instant,
}

impl Driver {
    fn new(limits: Limits) -> Driver {
        Driver {
            replica: Replica::new([1; 32], limits),
            rng: Rng::seed_from_u64(3),
            now: Instant::from_millis(1_000),
        }
    }

    fn ctx<R>(&mut self, f: impl FnOnce(&mut Replica, &mut Context<'_>) -> R) -> R {
        let mut ctx = Context {
            node: ME,
            now: self.now,
            peers: &[PEER, OTHER],
            rng: &mut self.rng,
        };
        f(&mut self.replica, &mut ctx)
    }

    fn receive(&mut self, from: NodeId, m: Message) -> Vec<Effect<Message, Timer, Output>> {
        let mut out = Outbox::new();
        self.ctx(|r, ctx| r.on_message(ctx, from, m, &mut out));
        out.drain().collect()
    }

    fn type_text(&mut self, text: &str) -> Vec<Update> {
        let mut out = Outbox::new();
        let index = self.replica.text().chars().count();
        let op = Operation::Insert {
            index,
            text: text.into(),
        };
        self.ctx(|r, ctx| r.edit(ctx, op, &mut out)).unwrap();
        out.drain()
            .filter_map(|e| match e {
                Effect::Send {
                    message: Message::Updates(us),
                    to: PEER,
                } => Some(us),
                _ => None,
            })
            .flatten()
            .collect()
    }

    fn count(&self, reason: Refusal) -> u64 {
        self.replica.refusals().get(reason)
    }
}

fn peer_update(author: &Author, seq: u64, deps: Vec<UpdateHash>, op: Op) -> Update {
    Update::sign(author, seq, deps, op)
}

fn bob() -> Author {
    Author::from_seed([2; 32])
}

#[test]
fn a_forged_id_is_a_bad_hash() {
    let mut d = Driver::new(Limits::default());
    let mine = d.type_text("hi");
    let mut forged = mine[0].clone();
    forged.op = Op::insert_char(None, 'Z');
    d.receive(PEER, Message::Updates(vec![forged]));
    assert_eq!(d.count(Refusal::BadHash), 1);
    assert_eq!(d.replica.text(), "hi");
}

#[test]
fn a_claimed_author_is_a_bad_signature_and_a_replayed_forgery_costs_no_verification() {
    let mut d = Driver::new(Limits::default());
    let mallory = Author::from_seed([9; 32]);
    let mut claim = peer_update(&mallory, 1, vec![], Op::insert_char(None, 'Z'));
    claim.author = bob().key();
    claim.id = claim.content_hash();
    d.receive(PEER, Message::Updates(vec![claim.clone()]));
    d.receive(PEER, Message::Updates(vec![claim]));
    assert_eq!(d.count(Refusal::BadSignature), 2);
    assert_eq!(d.replica.text(), "");
}

#[test]
fn garbage_and_unsorted_dependencies_are_malformed() {
    let mut d = Driver::new(Limits::default());
    d.receive(PEER, Message::decode_or_garbage(&[0xff, 1, 2]));
    let b = bob();
    let x = peer_update(&b, 1, vec![], Op::insert_char(None, 'x'));
    let y = peer_update(&b, 2, vec![], Op::insert_char(None, 'y'));
    let mut unsorted = peer_update(
        &b,
        3,
        vec![x.id, y.id],
        Op::delete_char(CharId::new(x.id, 0)),
    );
    unsorted.deps.sort_unstable_by(|p, q| q.cmp(p));
    unsorted.id = unsorted.content_hash();
    d.receive(PEER, Message::Updates(vec![unsorted]));
    assert_eq!(d.count(Refusal::Malformed), 2);
}

#[test]
fn an_edit_anchored_on_a_delete_is_invalid_and_so_is_its_dependent() {
    let mut d = Driver::new(Limits::default());
    let b = bob();
    let x = peer_update(&b, 1, vec![], Op::insert_char(None, 'x'));
    let del = peer_update(&b, 2, vec![x.id], Op::delete_char(CharId::new(x.id, 0)));
    let bad = peer_update(
        &b,
        3,
        vec![del.id],
        Op::insert_char(Some(CharId::new(del.id, 0)), 'Z'),
    );
    let child = peer_update(
        &b,
        4,
        vec![bad.id],
        Op::insert_char(Some(CharId::new(bad.id, 0)), 'Z'),
    );
    // The dependent arrives first and waits; the invalid update then takes it down too.
    d.receive(PEER, Message::Updates(vec![child, x, del, bad]));
    assert_eq!(d.count(Refusal::Invalid), 2);
    assert_eq!(d.replica.text(), "");
    assert_eq!(d.replica.held().count(), 0);
}

#[test]
fn a_flood_from_one_peer_is_over_rate_and_leaves_others_alone() {
    let limits = Limits {
        peer_messages_per_sec: 5,
        ..Limits::default()
    };
    let mut d = Driver::new(limits);
    let hb = |b: &Author| Message::Heartbeat {
        author: b.key(),
        heads: vec![],
        proof: prove(b, PEER),
    };
    for _ in 0..20 {
        d.receive(PEER, hb(&bob()));
    }
    assert_eq!(d.count(Refusal::OverRate), 15);
    // Another peer still gets through, and a second later the first one too.
    let x = peer_update(&bob(), 1, vec![], Op::insert_char(None, 'x'));
    d.receive(OTHER, Message::Updates(vec![x]));
    assert_eq!(d.replica.text(), "x");
    d.now += Span::from_millis(1_000);
    d.receive(PEER, hb(&bob()));
    assert_eq!(d.count(Refusal::OverRate), 15);
}

#[test]
fn oversized_messages_too_many_unknown_peers_and_a_full_hold_back_are_over_cap() {
    let limits = Limits {
        max_unproven_peers: 2,
        max_held_per_peer: 1,
        max_message_bytes: 4_000,
        ..Limits::default()
    };
    let mut d = Driver::new(limits);
    let b = bob();
    let x = peer_update(&b, 1, vec![], Op::insert_char(None, 'x'));
    d.receive(PEER, Message::Updates(vec![x.clone(); 40]));
    assert_eq!(d.count(Refusal::OverCap), 1, "over the byte cap");
    let gap = UpdateHash([5; 32]);
    let waiting = |seq| peer_update(&b, seq, vec![gap], Op::insert_char(None, 'w'));
    d.receive(PEER, Message::Updates(vec![waiting(2), waiting(3)]));
    assert_eq!(d.count(Refusal::OverCap), 2, "hold-back full for this peer");
    assert_eq!(d.replica.held().count(), 1);
    for k in 10..13 {
        d.receive(NodeId(k), Message::Bye { author: b.key() });
    }
    // PEER is proven (it sent valid updates); 10 and 11 fill the two places for
    // unproven peers; 12 finds no room.
    assert_eq!(d.count(Refusal::OverCap), 3);
    assert!(d.replica.peers().get(NodeId(12)).is_none());
}

#[test]
fn an_unasked_state_transfer_is_refused_and_an_asked_one_only_adds() {
    let mut d = Driver::new(Limits::default());
    d.type_text("ab");
    let b = bob();
    let x = peer_update(&b, 1, vec![], Op::insert_char(None, 'x'));
    d.receive(
        PEER,
        Message::Bundle {
            nonce: 42,
            updates: vec![x.clone()],
        },
    );
    assert_eq!(d.count(Refusal::Unrequested), 1);
    assert_eq!(d.replica.text(), "ab");
    // A heartbeat naming x makes the replica ask PEER; the answer carries x and a forgery
    // claiming one of our ids: x is added, the forgery refused, nothing replaced.
    let effects = d.receive(
        PEER,
        Message::Heartbeat {
            author: b.key(),
            heads: vec![x.id],
            proof: prove(&b, PEER),
        },
    );
    let nonce = effects
        .iter()
        .find_map(|e| match e {
            Effect::Send {
                to: PEER,
                message: Message::Request { nonce, .. },
            } => Some(*nonce),
            _ => None,
        })
        .expect("a request for the unknown head");
    let mut forged = d
        .replica
        .graph()
        .get(&d.replica.graph().log()[0])
        .unwrap()
        .update
        .clone();
    forged.op = Op::insert_char(None, 'Z');
    // The right nonce from the wrong peer is still unrequested.
    d.receive(
        OTHER,
        Message::Bundle {
            nonce,
            updates: vec![x.clone()],
        },
    );
    assert_eq!(d.count(Refusal::Unrequested), 2);
    d.receive(
        PEER,
        Message::Bundle {
            nonce,
            updates: vec![forged, x],
        },
    );
    assert_eq!(d.count(Refusal::BadHash), 1);
    // x and a were both typed first: their hashes order them; "ab" stays whole.
    let text = d.replica.text();
    assert!(text == "xab" || text == "abx", "{text}");
    // Replayed: the nonce is spent.
    d.receive(
        PEER,
        Message::Bundle {
            nonce,
            updates: vec![],
        },
    );
    assert_eq!(d.count(Refusal::Unrequested), 3);
}

#[test]
fn a_replayed_update_is_a_duplicate() {
    let mut d = Driver::new(Limits::default());
    let x = peer_update(&bob(), 1, vec![], Op::insert_char(None, 'x'));
    d.receive(PEER, Message::Updates(vec![x.clone()]));
    d.receive(OTHER, Message::Updates(vec![x]));
    assert_eq!(d.count(Refusal::Duplicate), 1);
    assert_eq!(d.replica.text(), "x");
}

#[test]
fn messages_claiming_my_key_or_my_transport_id_are_impersonation() {
    let mut d = Driver::new(Limits::default());
    let me = d.replica.author();
    d.receive(
        PEER,
        Message::Heartbeat {
            author: me,
            heads: vec![],
            proof: [0; 64],
        },
    );
    d.receive(PEER, Message::Bye { author: me });
    d.receive(ME, Message::Updates(vec![]));
    assert_eq!(d.count(Refusal::Impersonation), 3);
}

#[test]
fn held_updates_and_unproven_peers_expire() {
    let mut d = Driver::new(Limits::default());
    let gap = UpdateHash([5; 32]);
    let w = peer_update(&bob(), 1, vec![gap], Op::insert_char(None, 'w'));
    d.receive(PEER, Message::Updates(vec![w]));
    d.receive(
        OTHER,
        Message::Heartbeat {
            author: bob().key(),
            heads: vec![],
            proof: [0; 64],
        },
    );
    assert_eq!(d.replica.held().count(), 1);
    d.now += d.replica.limits().hold_timeout;
    let mut out = Outbox::new();
    d.ctx(|r, ctx| r.on_timer(ctx, Timer::Tick, &mut out));
    // The held update, and OTHER (never sent a valid update, nor a valid presence proof);
    // PEER did, so it stays.
    assert_eq!(d.count(Refusal::Expired), 2);
    assert_eq!(d.replica.held().count(), 0);
    assert!(d.replica.peers().get(OTHER).is_none());
    assert!(d.replica.peers().get(PEER).is_some());
}

#[test]
fn my_own_lost_update_comes_back_and_my_numbering_continues_after_it() {
    let mut d = Driver::new(Limits::default());
    let early = d.replica.saved();
    let sent = d.type_text("ab");
    // Reload from the save taken before "ab": a peer sends them back.
    d.replica = Replica::restore([1; 32], Limits::default(), &early).unwrap();
    d.receive(PEER, Message::Updates(sent));
    assert_eq!(d.replica.text(), "ab");
    let next = d.type_text("c");
    assert_eq!(next[0].seq, 2, "\"ab\" was one update");
    assert!(d.replica.equivocations().is_empty());
}

#[test]
fn two_updates_with_one_sequence_number_are_both_kept_and_reported() {
    let mut d = Driver::new(Limits::default());
    let m = Author::from_seed([9; 32]);
    let a = peer_update(&m, 1, vec![], Op::insert_char(None, 'a'));
    let b = peer_update(&m, 1, vec![], Op::insert_char(None, 'b'));
    d.receive(PEER, Message::Updates(vec![a.clone()]));
    let effects = d.receive(OTHER, Message::Updates(vec![b.clone()]));
    assert!(effects
        .iter()
        .any(|e| matches!(e, Effect::Output(Output::Equivocation(q)) if q.author == m.key())));
    assert_eq!(d.replica.equivocations().len(), 1);
    assert_eq!(d.replica.text().len(), 2);
}

#[test]
fn an_idle_tab_proves_its_presence_and_forged_or_replayed_peers_expire() {
    let mut d = Driver::new(Limits::default());
    // Bob's tab never types: its heartbeats are all it sends.
    let mut bob_tab = Replica::new([2; 32], Limits::default());
    let mut bob_rng = Rng::seed_from_u64(9);
    let mut beat = |now| {
        let mut ctx = Context {
            node: PEER,
            now,
            peers: &[ME],
            rng: &mut bob_rng,
        };
        let mut out = Outbox::new();
        bob_tab.on_start(&mut ctx, &mut out);
        let beat = out.drain().find_map(|e| match e {
            Effect::Send { message, .. } => Some(message),
            _ => None,
        });
        beat.expect("a heartbeat")
    };
    let first = beat(d.now);
    let effects = d.receive(PEER, first.clone());
    assert!(effects
        .iter()
        .any(|e| matches!(e, Effect::Output(Output::PeerJoined(PEER)))));
    // The same heartbeat replayed from another address, a made-up key with a made-up
    // proof, and a flood of made-up proofs from one page (checked once a period).
    d.receive(OTHER, first);
    d.receive(
        NodeId(7),
        Message::Heartbeat {
            author: Author::from_seed([3; 32]).key(),
            heads: vec![],
            proof: [1; 64],
        },
    );
    for k in 0..100u8 {
        d.receive(
            NodeId(8),
            Message::Heartbeat {
                author: bob().key(),
                heads: vec![],
                proof: [k; 64],
            },
        );
    }
    assert_eq!(d.count(Refusal::BadSignature), 3);
    // Fifteen seconds of heartbeats from Bob only, and the replica's ticks.
    let end = d.now + d.replica.limits().probation + Span::from_millis(5_000);
    while d.now < end {
        d.now += d.replica.limits().heartbeat;
        let m = beat(d.now);
        d.receive(PEER, m);
        let mut out = Outbox::new();
        d.ctx(|r, ctx| r.on_timer(ctx, Timer::Tick, &mut out));
    }
    let present: Vec<NodeId> = d.replica.peers().present().collect();
    assert_eq!(present, vec![PEER]);
    for forged in [OTHER, NodeId(7), NodeId(8)] {
        assert!(
            d.replica.peers().get(forged).is_none(),
            "{forged:?} expired"
        );
    }
    assert_eq!(d.count(Refusal::Expired), 3);
    assert_eq!(d.count(Refusal::BadSignature), 3);
}
