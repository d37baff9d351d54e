//! The welcome spliced from a snapshot's first page is the welcome serialised whole.

use super::*;

fn user(name: &str, email: &str) -> User {
    User {
        name: name.into(),
        email: email.into(),
        latitude: Some(48.85),
        longitude: Some(2.35),
        is_connected: true,
        in_call: false,
    }
}

fn welcome(you: User, users: Vec<User>) -> Welcome {
    Welcome {
        you,
        room: "lobby".into(),
        users,
        token: "t0k3n".into(),
        ice_servers: None,
    }
}

/// The welcome `Snapshot::welcome` frames, against the one serialised with the users the
/// snapshot's first page lists, `you` inserted in name order.
fn assert_spliced_as_whole(members: Vec<User>, you: User) {
    let snapshot = Snapshot::of(members.clone());
    let spliced = snapshot.welcome(welcome(you.clone(), Vec::new()));
    let mut expected = snapshot.first_page.clone();
    if !expected.iter().any(|user| user.email == you.email) {
        let at = expected.partition_point(|u| (&u.name, &u.email) < (&you.name, &you.email));
        expected.insert(at, you.clone());
    }
    let whole = Frame::message(&ServerMessage::Welcome(welcome(you, expected)));
    assert_eq!(spliced.payload(), whole.payload());
}

#[test]
fn a_welcome_into_an_empty_room_lists_only_its_member() {
    assert_spliced_as_whole(Vec::new(), user("Ann", "ann@x.test"));
}

#[test]
fn the_new_member_goes_first_middle_or_last_by_name() {
    let members = vec![user("Bob", "bob@x.test"), user("Dan", "dan@x.test")];
    for name in ["Aaa", "Cid", "Zed"] {
        assert_spliced_as_whole(members.clone(), user(name, "new@x.test"));
    }
}

#[test]
fn a_member_already_in_the_snapshot_is_listed_once() {
    let members = vec![user("Ann", "ann@x.test"), user("Bob", "bob@x.test")];
    assert_spliced_as_whole(members, user("Ann", "ann@x.test"));
}

#[test]
fn names_that_look_like_the_marker_do_not_move_the_splice() {
    let odd = r#"x","users":[],"y"#;
    let members = vec![user(odd, "odd@x.test"), user("Bob", "bob@x.test")];
    assert_spliced_as_whole(members, user(odd, "me\"users\":[]@x.test"));
}

#[test]
fn a_full_first_page_takes_the_new_member_and_leaves_the_rest_to_pages() {
    let members: Vec<User> = (0..PRESENCE_FRAME_MAX_ENTRIES + 10)
        .map(|n| user(&format!("user {n:03}"), &format!("u{n}@x.test")))
        .collect();
    let snapshot = Snapshot::of(members.clone());
    assert_eq!(snapshot.first_page.len(), PRESENCE_FRAME_MAX_ENTRIES - 1);
    assert_eq!(snapshot.rest.len(), 1);
    assert_spliced_as_whole(members, user("user 000a", "late@x.test"));
}

#[test]
fn a_welcome_with_turn_keeps_its_ice_servers_after_the_users() {
    let bob = user("Bob", "bob@x.test");
    let snapshot = Snapshot::of(vec![bob.clone()]);
    let you = user("Ann", "ann@x.test");
    let turn = shared::IceServer {
        urls: vec!["turn:t.example:3478?transport=udp".into()],
        username: "1767225600:users".into(),
        credential: "c3Q=".into(),
    };
    let with_turn = |users| Welcome {
        ice_servers: Some(vec![turn.clone()]),
        ..welcome(you.clone(), users)
    };
    let spliced = snapshot.welcome(with_turn(Vec::new()));
    let whole = Frame::message(&ServerMessage::Welcome(with_turn(vec![you.clone(), bob])));
    assert_eq!(spliced.payload(), whole.payload());
}
