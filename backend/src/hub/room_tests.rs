//! Unit tests of one room's presence: what a tick sends, and when.

use super::*;

const INTERVAL: Duration = Duration::from_secs(1);

fn profile(name: &str, in_call: bool, position: (f64, f64)) -> Profile {
    Profile {
        email: "bob@example.com".into(),
        name: name.into(),
        latitude: Some(position.0),
        longitude: Some(position.1),
        is_connected: None,
        in_call: Some(in_call),
        room: None,
        access_code: None,
        token: None,
        link_code: None,
    }
}

/// A room with one delta listener (connection 1) and Bob.
fn room_with_bob(bob: &Name) -> Room {
    let mut room = Room::default();
    room.listen_to_deltas(1);
    room.upsert_member(2, bob, &profile("Bob", false, (1.0, 1.0)));
    room
}

/// The delta sent at `now`, if any.
fn delta_at(room: &mut Room, now: Instant) -> Option<serde_json::Value> {
    let frames = room.take_presence_frames(now, INTERVAL);
    let frame = frames.delta?;
    let bytes = frame.as_bytes();
    let header = match bytes.get(1)? & 0x7f {
        126 => 4,
        127 => 10,
        _ => 2,
    };
    serde_json::from_slice(&bytes[header..]).ok()
}

#[test]
fn renames_call_states_and_moves_share_one_broadcast_per_interval_and_the_latest_wins() {
    let start = Instant::now();
    let bob = Name::from("bob@example.com");
    let mut room = room_with_bob(&bob);
    let joined = delta_at(&mut room, start).expect("the join at once");
    assert_eq!(joined["joined"][0]["name"], "Bob");
    // A rename, a call, a move: all held within the interval after the join.
    room.upsert_member(2, &bob, &profile("Robert", true, (2.0, 2.0)));
    room.upsert_member(2, &bob, &profile("Bob", false, (3.0, 3.0)));
    room.upsert_member(2, &bob, &profile("Bobby", true, (4.0, 4.0)));
    let tick = Duration::from_millis(100);
    for at in 1..10 {
        assert!(
            delta_at(&mut room, start + tick * at).is_none(),
            "held at {at}"
        );
    }
    let latest = delta_at(&mut room, start + INTERVAL).expect("due after the interval");
    assert_eq!(latest["joined"][0]["name"], "Bobby");
    assert_eq!(latest["joined"][0]["inCall"], true);
    assert_eq!(latest["joined"][0]["latitude"], 4.0);
    // A move alone is a `moved`, and waits for the next interval too.
    room.upsert_member(2, &bob, &profile("Bobby", true, (5.0, 5.0)));
    assert!(delta_at(&mut room, start + INTERVAL + tick).is_none());
    let moved = delta_at(&mut room, start + INTERVAL * 2).expect("the move");
    assert_eq!(moved["moved"][0][1], 5.0);
}

#[test]
fn joins_and_leaves_are_never_held() {
    let start = Instant::now();
    let bob = Name::from("bob@example.com");
    let mut room = room_with_bob(&bob);
    delta_at(&mut room, start).expect("the join");
    room.upsert_member(2, &bob, &profile("Robert", false, (1.0, 1.0)));
    let carol = Name::from("carol@example.com");
    let mut carol_profile = profile("Carol", false, (1.0, 1.0));
    carol_profile.email = carol.to_string();
    room.upsert_member(3, &carol, &carol_profile);
    let soon = start + Duration::from_millis(100);
    let delta = delta_at(&mut room, soon).expect("carol's join at once");
    assert_eq!(delta["joined"].as_array().map(Vec::len), Some(1), "{delta}");
    assert_eq!(delta["joined"][0]["name"], "Carol");
    // Bob leaves while his rename is held: the leave goes at once.
    room.members.remove(&bob);
    room.mark_changed(&bob, true);
    let left = delta_at(&mut room, soon + Duration::from_millis(100)).expect("the leave");
    assert_eq!(left["left"][0], "bob@example.com");
}

#[test]
fn a_member_leaves_with_their_last_connection_and_not_before() {
    let bob = Name::from("bob@example.com");
    let mut room = room_with_bob(&bob);
    delta_at(&mut room, Instant::now()).expect("the join, seen by the listener");
    room.upsert_member(3, &bob, &profile("Bob", false, (1.0, 1.0)));
    assert_eq!(room.connections_of(&bob), Some(&[2, 3][..]));
    assert_eq!(
        room.remove_connection(2, Some(&bob)),
        None,
        "a tab is still open"
    );
    assert_eq!(room.connections_of(&bob), Some(&[3][..]));
    let left = room.remove_connection(3, Some(&bob)).expect("the last tab");
    assert_eq!(left.email, "bob@example.com");
    assert_eq!(room.connections_of(&bob), None);
    assert_eq!(room.name_of(&bob), None);
    assert!(room.has_pending(), "the leave is sent at the next tick");
    assert_eq!(room.remove_connection(1, None), None);
    assert!(room.is_empty() && !room.is_unused());
}

#[test]
fn a_member_in_and_out_before_anyone_was_told_costs_no_delta() {
    let bob = Name::from("bob@example.com");
    let mut room = room_with_bob(&bob);
    assert!(room.remove_connection(2, Some(&bob)).is_some());
    assert!(!room.has_pending(), "nobody heard of the join");
    assert!(delta_at(&mut room, Instant::now()).is_none());
}

#[test]
fn a_member_listed_by_a_snapshot_or_a_full_list_is_sent_as_left() {
    let bob = Name::from("bob@example.com");
    for told in ["snapshot", "full list"] {
        let mut room = room_with_bob(&bob);
        match told {
            "snapshot" => drop(room.snapshot()),
            _ => drop(room.full_list()),
        }
        assert!(room.remove_connection(2, Some(&bob)).is_some());
        let left = delta_at(&mut room, Instant::now()).expect("the leave");
        assert_eq!(left["left"][0], "bob@example.com", "after a {told}");
    }
}

#[test]
fn a_rejoin_within_the_tick_of_a_seen_leave_keeps_the_leave_or_join() {
    let start = Instant::now();
    let bob = Name::from("bob@example.com");
    let mut room = room_with_bob(&bob);
    delta_at(&mut room, start).expect("the join, seen");
    assert!(room.remove_connection(2, Some(&bob)).is_some());
    room.upsert_member(4, &bob, &profile("Bob", false, (1.0, 1.0)));
    assert!(room.remove_connection(4, Some(&bob)).is_some());
    let left = delta_at(&mut room, start + INTERVAL).expect("the leave still goes");
    assert_eq!(left["left"][0], "bob@example.com");
}

/// Guards the idle rows (docs/BENCHMARKS.md): every private room is a boxed `Room`, every
/// member a boxed `Member`; a field added inline to either costs every room or member.
#[test]
fn a_room_and_a_member_stay_small() {
    assert!(
        std::mem::size_of::<Room>() <= 88,
        "{}",
        std::mem::size_of::<Room>()
    );
    assert!(
        std::mem::size_of::<Member>() <= 120,
        "{}",
        std::mem::size_of::<Member>()
    );
}

#[test]
fn a_drained_room_holds_no_pending_table() {
    let bob = Name::from("bob@example.com");
    let mut room = room_with_bob(&bob);
    assert!(room.has_pending(), "Bob's join waits for the tick");
    assert!(delta_at(&mut room, Instant::now()).is_some());
    assert!(room.pending.is_none(), "the table is freed once drained");
    let users = room.users();
    assert_eq!(users.len(), 1);
    assert_eq!(
        users[0].email, "bob@example.com",
        "the email comes from the key"
    );
    assert!(users[0].is_connected);
}
