//! Native tests of the seats (claiming, forgeries, open rooms).
use super::*;

#[test]
fn three_tabs_take_three_different_seats_and_a_fourth_is_a_spectator() {
    let mut tabs: Vec<Seats> = (0..3).map(|i| Seats::new(3, 10 + i, 0.0, None)).collect();
    let mut now = 0.0;
    while now < 3000.0 {
        let mut said = Vec::new();
        for t in tabs.iter_mut() {
            if t.tick(now).1 {
                let (seat, claiming) = t.announced().unwrap();
                said.push((t.token(), seat, claiming));
            }
        }
        for (token, seat, claiming) in said {
            for t in tabs.iter_mut().filter(|t| t.token() != token) {
                assert_eq!(t.heard(seat, token, claiming, now), Heard::Noted);
            }
        }
        now += 50.0;
    }
    let mut seats: Vec<NodeId> = tabs.iter().map(|t| t.seat().unwrap()).collect();
    seats.sort();
    assert_eq!(seats, [NodeId(0), NodeId(1), NodeId(2)]);
    let mut late = Seats::new(3, 99, now, None);
    for t in &tabs {
        late.heard(t.seat().unwrap(), t.token(), false, now);
    }
    late.tick(now + LOOK_MS);
    assert_eq!(late.standing(), Standing::Full);
    assert!(tabs[0].present(tabs[1].seat().unwrap()));
}

#[test]
fn forgeries_are_named_and_silent_seats_go_absent() {
    let mut a = Seats::new(2, 7, 0.0, Some(NodeId(0)));
    a.tick(CLAIM_MS);
    assert_eq!(a.seat(), Some(NodeId(0)));
    assert_eq!(a.heard(NodeId(1), 7, false, 400.0), Heard::Impersonation);
    assert_eq!(a.heard(NodeId(0), 8, false, 400.0), Heard::Impersonation);
    assert_eq!(a.heard(NodeId(5), 8, false, 400.0), Heard::NoSuchSeat);
    assert_eq!(a.heard(NodeId(1), 8, false, 400.0), Heard::Noted);
    assert!(a.present(NodeId(1)));
    // A claimer with a lower token does not displace the seated tab.
    a.heard(NodeId(1), 1, true, 500.0);
    assert_eq!(a.token_of(NodeId(1)), Some(8));
    a.tick(400.0 + GONE_MS + 1.0);
    assert!(!a.present(NodeId(1)));
    a.heard(NodeId(1), 8, false, 20_000.0);
    a.left(NodeId(1), 9);
    assert!(
        a.present(NodeId(1)),
        "only the seat's own token can leave it"
    );
    a.left(NodeId(1), 8);
    assert!(!a.present(NodeId(1)));
}

#[test]
fn an_open_room_sits_at_once_and_its_peers_are_the_tabs_heard() {
    let mut a = Seats::open(40, 0.0);
    assert_eq!(a.tick(0.0), (true, true));
    assert_eq!(a.seat(), Some(NodeId(40)));
    assert!(a.peers().is_empty());
    assert_eq!(a.heard(NodeId(41), 41, false, 10.0), Heard::Noted);
    assert_eq!(a.heard(NodeId(42), 43, false, 10.0), Heard::NoSuchSeat);
    assert_eq!(a.heard(NodeId(40), 40, false, 10.0), Heard::Impersonation);
    assert_eq!(a.peers(), [NodeId(41)]);
    a.tick(20.0 + GONE_MS);
    assert!(a.peers().is_empty());
}

#[test]
fn a_duplicated_tab_takes_a_new_token_and_another_seat() {
    let mut original = Seats::new(3, 7, 0.0, Some(NodeId(1)));
    original.tick(CLAIM_MS);
    let mut copy = Seats::new(3, 7, 1000.0, Some(NodeId(1)));
    assert_eq!(copy.heard(NodeId(1), 7, false, 1001.0), Heard::Noted);
    assert_ne!(copy.token(), 7);
    copy.tick(1002.0);
    assert_eq!(copy.standing(), Standing::Claiming(NodeId(0), 1002.0));
    assert_eq!(
        original.heard(NodeId(1), 7, true, 1000.0),
        Heard::Impersonation
    );
    copy.tick(1002.0 + CLAIM_MS);
    assert_eq!(copy.seat(), Some(NodeId(0)));
    assert_eq!(original.seat(), Some(NodeId(1)));
}

#[test]
fn a_claim_yields_to_a_seated_tab_or_a_lower_token() {
    let mut b = Seats::new(2, 50, 0.0, None);
    b.tick(LOOK_MS);
    assert_eq!(b.standing(), Standing::Claiming(NodeId(0), LOOK_MS));
    b.heard(NodeId(0), 20, true, LOOK_MS + 10.0);
    b.tick(LOOK_MS + 20.0);
    assert_eq!(b.standing(), Standing::Claiming(NodeId(1), LOOK_MS + 20.0));
    b.tick(LOOK_MS + 20.0 + CLAIM_MS);
    assert_eq!(b.seat(), Some(NodeId(1)));
}
