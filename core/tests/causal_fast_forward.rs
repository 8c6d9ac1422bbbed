//! `CausalQueue::fast_forward` (state transfer into a causal queue): a joiner that adopts a
//! peer's state delivers no message twice and releases exactly what the state unblocks.
#![cfg(not(target_arch = "wasm32"))]

use chronoscope::broadcast::causal::{CausalQueue, Receipt};
use chronoscope::clock::VectorClock;
use chronoscope::node::NodeId;
use chronoscope::time::Instant;

#[test]
fn state_transfer_releases_what_it_covers_and_drops_duplicates() {
    let (a, b, c) = (NodeId(0), NodeId(1), NodeId(2));
    let mut qa = CausalQueue::new(a);
    let mut qb = CausalQueue::new(b);
    let a1 = qa.try_broadcast('x').unwrap();
    let a2 = qa.try_broadcast('y').unwrap();
    qb.receive(a1.clone(), Instant::ZERO).unwrap();
    qb.receive(a2.clone(), Instant::ZERO).unwrap();
    let b1 = qb.try_broadcast('z').unwrap(); // depends on A:2
    let a3 = qa.try_broadcast('w').unwrap();

    // The joiner C hears B:1, A:2 and A:3 before any state: all wait (it lacks A:1).
    let mut qc = CausalQueue::new(c);
    for m in [&b1, &a2, &a3] {
        assert!(matches!(
            qc.receive(m.clone(), Instant::ZERO).unwrap(),
            Receipt::Held { .. }
        ));
    }
    // A state holding A:1 and A:2 arrives: A:2 is a duplicate, B:1 and A:3 are released.
    let state = VectorClock::from_entries([(a, 2)]);
    let released: Vec<char> = qc.fast_forward(&state).iter().map(|m| m.payload).collect();
    assert_eq!(released.len(), 2, "{released:?}");
    assert!(released.contains(&'z') && released.contains(&'w'));
    assert_eq!(qc.held_len(), 0);
    assert_eq!(qc.delivered().get(a), 3);
    assert_eq!(qc.delivered().get(b), 1);
    // Replays are duplicates now.
    assert_eq!(qc.receive(a1, Instant::ZERO).unwrap(), Receipt::Duplicate);
    assert_eq!(qc.receive(b1, Instant::ZERO).unwrap(), Receipt::Duplicate);
    // A state that covers nothing new changes nothing.
    assert!(qc.fast_forward(&VectorClock::new()).is_empty());
}
