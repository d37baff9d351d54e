//! Unit tests of the hub's side of the backplane: other nodes' members merged into the
//! tick, this node's changes handed over once per tick, frames forwarded to the nodes
//! holding their recipients, and a node's users dropped when it is gone.

use super::Fixture;
use crate::backplane::{self, Audience, Inbound, NodeId, Outbound, RoomChange};
use crate::hub::Outbox;
use serde_json::Value;
use shared::User;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

const ROOM: &str = "r";
const ANN: &str = "ann@example.com";
const BEN: &str = "ben@example.com";

fn node(id: &str) -> NodeId {
    NodeId::parse(id).expect("a node id")
}

fn user(email: &str, name: &str) -> User {
    User {
        name: name.to_owned(),
        email: email.to_owned(),
        latitude: Some(1.0),
        longitude: Some(2.0),
        is_connected: true,
        in_call: false,
    }
}

fn joined(email: &str) -> Inbound {
    Inbound::Presence {
        node: node("n2"),
        changes: vec![RoomChange {
            room: ROOM.to_owned(),
            upserts: vec![user(email, "Ben")],
            leaves: Vec::new(),
        }],
    }
}

/// A hub on a backplane with nothing behind it, and the queue the backplane would read.
fn clustered() -> (Fixture, mpsc::Receiver<Outbound>) {
    let (backplane, outbound) = backplane::detached();
    let mut fixture = Fixture::new();
    fixture.hub = fixture.hub.clone().with_backplane(backplane);
    (fixture, outbound)
}

/// The presence frames queued for `outbox` since the last call.
fn deltas(outbox: &Arc<Outbox>) -> Vec<Value> {
    let mut frames = Vec::new();
    let _ = outbox.take(&mut frames, 64);
    frames
        .iter()
        .map(|frame| serde_json::from_str::<Value>(frame.payload()).expect("json"))
        .filter(|frame| frame["type"] == "presence")
        .collect()
}

fn lists(frames: &[Value], key: &str, email: &str) -> bool {
    frames.iter().any(|frame| {
        frame[key]
            .as_array()
            .into_iter()
            .flatten()
            .any(|entry| entry == email || entry["email"] == email || entry[0] == email)
    })
}

#[tokio::test]
async fn another_nodes_member_joins_the_next_tick_and_this_nodes_changes_go_out_once() {
    let (fixture, mut outbound) = clustered();
    let ann = fixture.join(1, ROOM, ANN);
    fixture.hub.flush_presence(Duration::ZERO);
    match outbound.try_recv() {
        Ok(Outbound::Presence(changes)) => {
            assert_eq!(changes.len(), 1, "one entry per room");
            assert_eq!(
                changes[0]
                    .upserts
                    .iter()
                    .map(|u| &u.email)
                    .collect::<Vec<_>>(),
                [ANN]
            );
        }
        other => panic!("ann's join goes out at the tick: {other:?}"),
    }
    deltas(&ann);

    fixture.hub.apply_remote(joined(BEN));
    assert!(deltas(&ann).is_empty(), "nothing before the tick");
    fixture.hub.flush_presence(Duration::ZERO);
    assert!(lists(&deltas(&ann), "joined", BEN));
    assert!(
        outbound.try_recv().is_err(),
        "a remote change is not sent back out"
    );
    assert_eq!(fixture.hub.online_users(ROOM).len(), 2);
}

#[tokio::test]
async fn a_user_on_two_nodes_stays_when_one_lets_go_and_leaves_when_its_node_is_gone() {
    let (fixture, mut outbound) = clustered();
    let ann = fixture.join(1, ROOM, ANN);
    fixture.join(2, ROOM, BEN);
    fixture.hub.apply_remote(joined(BEN));
    fixture.hub.flush_presence(Duration::ZERO);
    deltas(&ann);
    while outbound.try_recv().is_ok() {}

    fixture.hub.disconnect(2);
    fixture.hub.flush_presence(Duration::ZERO);
    assert!(
        !lists(&deltas(&ann), "left", BEN),
        "node n2 still holds ben"
    );
    match outbound.try_recv() {
        Ok(Outbound::Presence(changes)) => assert_eq!(changes[0].leaves, [BEN]),
        other => panic!("this node lets ben go: {other:?}"),
    }

    fixture
        .hub
        .apply_remote(Inbound::NodeGone { node: node("n2") });
    fixture.hub.flush_presence(Duration::ZERO);
    assert!(lists(&deltas(&ann), "left", BEN));
}

#[tokio::test]
async fn a_nodes_replacement_keeps_who_it_still_holds() {
    let (fixture, _outbound) = clustered();
    let ann = fixture.join(1, ROOM, ANN);
    fixture.hub.apply_remote(joined(BEN));
    fixture.hub.flush_presence(Duration::ZERO);
    deltas(&ann);
    let rooms = vec![backplane::RoomState {
        room: ROOM.to_owned(),
        users: vec![user(BEN, "Ben")],
    }];
    fixture.hub.apply_remote(Inbound::Replace {
        node: node("n2"),
        rooms,
    });
    fixture.hub.flush_presence(Duration::ZERO);
    assert!(!lists(&deltas(&ann), "left", BEN), "no leave, no flapping");
    fixture.hub.apply_remote(Inbound::Replace {
        node: node("n2"),
        rooms: Vec::new(),
    });
    fixture.hub.flush_presence(Duration::ZERO);
    assert!(lists(&deltas(&ann), "left", BEN));
}

#[tokio::test]
async fn a_frame_forwarded_here_reaches_only_its_audience_in_its_room() {
    let (fixture, _outbound) = clustered();
    let ann = fixture.join(1, ROOM, ANN);
    let ben = fixture.join(2, ROOM, BEN);
    let elsewhere = fixture.join(3, "other", "cy@example.com");
    for outbox in [&ann, &ben, &elsewhere] {
        outbox.take(&mut Vec::new(), 64).expect("open");
    }
    let text = r#"{"type":"sdp-offer","from":"eve@example.com"}"#;
    fixture.hub.apply_remote(Inbound::Deliver {
        room: ROOM.to_owned(),
        audience: Audience::Members(vec![BEN.to_owned()]),
        kind: "sdp-offer".to_owned(),
        text: text.to_owned(),
    });
    let taken = |outbox: &Arc<Outbox>| {
        let mut frames = Vec::new();
        let _ = outbox.take(&mut frames, 64);
        frames
            .iter()
            .map(|f| f.payload().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(taken(&ben), [text]);
    assert!(taken(&ann).is_empty() && taken(&elsewhere).is_empty());
}

#[tokio::test]
async fn a_node_alone_notes_nothing_for_a_backplane() {
    let fixture = Fixture::new();
    fixture.join(1, ROOM, ANN);
    fixture.hub.disconnect(1);
    assert!(fixture.hub.lock().local_changes_are_empty());
}

#[tokio::test]
async fn an_email_another_node_holds_is_online_here_until_every_room_lets_it_go() {
    let (fixture, _outbound) = clustered();
    let hub = &fixture.hub;
    assert!(!hub.is_online(BEN, true));
    hub.apply_remote(joined(BEN));
    assert!(hub.is_online(BEN, true), "held by n2: in use cluster-wide");
    assert!(!hub.is_online(BEN, false), "no connection here holds ben");
    let elsewhere = |upserts, leaves| Inbound::Presence {
        node: node("n2"),
        changes: vec![RoomChange {
            room: "other".to_owned(),
            upserts,
            leaves,
        }],
    };
    hub.apply_remote(elsewhere(vec![user(BEN, "Ben")], Vec::new()));
    hub.apply_remote(Inbound::Presence {
        node: node("n2"),
        changes: vec![RoomChange {
            room: ROOM.to_owned(),
            upserts: Vec::new(),
            leaves: vec![BEN.to_owned()],
        }],
    });
    assert!(hub.is_online(BEN, true), "still held in the other room");
    hub.apply_remote(elsewhere(Vec::new(), vec![BEN.to_owned()]));
    assert!(!hub.is_online(BEN, true), "let go of in both rooms");

    hub.apply_remote(joined(BEN));
    hub.apply_remote(Inbound::NodeGone { node: node("n2") });
    assert!(!hub.is_online(BEN, true), "its node is gone");
    hub.apply_remote(joined(BEN));
    hub.apply_remote(Inbound::Replace {
        node: node("n2"),
        rooms: Vec::new(),
    });
    assert!(
        !hub.is_online(BEN, true),
        "its node's whole state no longer holds ben"
    );
}
