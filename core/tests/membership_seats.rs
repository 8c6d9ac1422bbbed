//! Seat claiming between tabs (`membership::seats`): claiming, forgeries, open rooms.
use chronoscope::membership::seats::{Heard, Seats, Standing, CLAIM, GONE, LOOK};
use chronoscope::node::NodeId;
use chronoscope::time::{Instant, Span};

fn t(ms: i64) -> Instant {
    Instant::from_millis(ms)
}

#[test]
fn three_tabs_take_three_different_seats_and_a_fourth_is_a_spectator() {
    let mut tabs: Vec<Seats> = (0..3).map(|i| Seats::new(3, 10 + i, t(0), None)).collect();
    let mut now = t(0);
    while now < t(3000) {
        let mut said = Vec::new();
        for tab in tabs.iter_mut() {
            if tab.tick(now).1 {
                let (seat, claiming) = tab.announced().unwrap();
                said.push((tab.token(), seat, claiming));
            }
        }
        for (token, seat, claiming) in said {
            for tab in tabs.iter_mut().filter(|tab| tab.token() != token) {
                assert_eq!(tab.heard(seat, token, claiming, now), Heard::Noted);
            }
        }
        now += Span::from_millis(50);
    }
    let mut seats: Vec<NodeId> = tabs.iter().map(|tab| tab.seat().unwrap()).collect();
    seats.sort();
    assert_eq!(seats, [NodeId(0), NodeId(1), NodeId(2)]);
    let mut late = Seats::new(3, 99, now, None);
    for tab in &tabs {
        late.heard(tab.seat().unwrap(), tab.token(), false, now);
    }
    late.tick(now + LOOK);
    assert_eq!(late.standing(), Standing::Full);
    assert!(tabs[0].present(tabs[1].seat().unwrap()));
}

#[test]
fn forgeries_are_named_and_silent_seats_go_absent() {
    let mut a = Seats::new(2, 7, t(0), Some(NodeId(0)));
    a.tick(t(0) + CLAIM);
    assert_eq!(a.seat(), Some(NodeId(0)));
    assert_eq!(a.heard(NodeId(1), 7, false, t(400)), Heard::Impersonation);
    assert_eq!(a.heard(NodeId(0), 8, false, t(400)), Heard::Impersonation);
    assert_eq!(a.heard(NodeId(5), 8, false, t(400)), Heard::NoSuchSeat);
    assert_eq!(a.heard(NodeId(1), 8, false, t(400)), Heard::Noted);
    assert!(a.present(NodeId(1)));
    // A claimer with a lower token does not displace the seated tab.
    a.heard(NodeId(1), 1, true, t(500));
    assert_eq!(a.token_of(NodeId(1)), Some(8));
    a.tick(t(400) + GONE + Span::from_millis(1));
    assert!(!a.present(NodeId(1)));
    a.heard(NodeId(1), 8, false, t(20_000));
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
    let mut a = Seats::open(40, t(0));
    assert_eq!(a.tick(t(0)), (true, true));
    assert_eq!(a.seat(), Some(NodeId(40)));
    assert!(a.peers().is_empty());
    assert_eq!(a.heard(NodeId(41), 41, false, t(10)), Heard::Noted);
    assert_eq!(a.heard(NodeId(42), 43, false, t(10)), Heard::NoSuchSeat);
    assert_eq!(a.heard(NodeId(40), 40, false, t(10)), Heard::Impersonation);
    assert_eq!(a.peers(), [NodeId(41)]);
    a.tick(t(20) + GONE);
    assert!(a.peers().is_empty());
}

#[test]
fn a_duplicated_tab_takes_a_new_token_and_another_seat() {
    let mut original = Seats::new(3, 7, t(0), Some(NodeId(1)));
    original.tick(t(0) + CLAIM);
    let mut copy = Seats::new(3, 7, t(1000), Some(NodeId(1)));
    assert_eq!(copy.heard(NodeId(1), 7, false, t(1001)), Heard::Noted);
    assert_ne!(copy.token(), 7);
    copy.tick(t(1002));
    assert_eq!(copy.standing(), Standing::Claiming(NodeId(0), t(1002)));
    assert_eq!(
        original.heard(NodeId(1), 7, true, t(1000)),
        Heard::Impersonation
    );
    copy.tick(t(1002) + CLAIM);
    assert_eq!(copy.seat(), Some(NodeId(0)));
    assert_eq!(original.seat(), Some(NodeId(1)));
}

#[test]
fn a_claim_yields_to_a_seated_tab_or_a_lower_token() {
    let mut b = Seats::new(2, 50, t(0), None);
    let looked = t(0) + LOOK;
    b.tick(looked);
    assert_eq!(b.standing(), Standing::Claiming(NodeId(0), looked));
    b.heard(NodeId(0), 20, true, looked + Span::from_millis(10));
    b.tick(looked + Span::from_millis(20));
    let reclaimed = looked + Span::from_millis(20);
    assert_eq!(b.standing(), Standing::Claiming(NodeId(1), reclaimed));
    b.tick(reclaimed + CLAIM);
    assert_eq!(b.seat(), Some(NodeId(1)));
}
