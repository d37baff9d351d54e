//! A large room's snapshot comes in bounded frames: a `welcome` with the first users, then
//! `presence` frames with the rest, so no connection's buffers grow with the room.

use super::harness::{Client, TestServer};
use serde_json::Value;
use shared::PRESENCE_FRAME_MAX_ENTRIES;
use std::collections::BTreeSet;

fn entries(frame: &Value) -> usize {
    ["users", "joined", "moved", "left"]
        .iter()
        .map(|key| frame[*key].as_array().map_or(0, Vec::len))
        .sum()
}

#[tokio::test]
async fn a_large_room_is_welcomed_in_bounded_frames_and_nobody_is_missing() {
    let server = TestServer::start().await;
    let crowd = PRESENCE_FRAME_MAX_ENTRIES * 2 + 10;
    let mut members = Vec::new();
    for n in 0..crowd {
        let mut member = Client::legacy(&server, "").await;
        member
            .add_user(
                &format!("user{n:03}@example.com"),
                &format!("User {n}"),
                None,
            )
            .await;
        members.push(member);
    }
    let expected: BTreeSet<String> = (0..crowd)
        .map(|n| format!("user{n:03}@example.com"))
        .collect();
    let everyone: Vec<&str> = expected.iter().map(String::as_str).collect();
    if let Some(last) = members.last_mut() {
        last.await_online(&everyone).await;
    }
    let mut watcher = Client::delta(&server, "").await;
    watcher
        .add_user("watcher@example.com", "Watcher", None)
        .await;
    let mut seen = BTreeSet::new();
    while !expected.is_subset(&seen) {
        let frame = watcher.recv().await;
        assert!(
            entries(&frame) <= PRESENCE_FRAME_MAX_ENTRIES,
            "frame too big: {}",
            entries(&frame)
        );
        for list in ["users", "joined"] {
            for user in frame[list].as_array().into_iter().flatten() {
                if let Some(email) = user["email"].as_str() {
                    seen.insert(email.to_owned());
                }
            }
        }
    }
    let welcome = watcher.received_of("welcome");
    assert_eq!(welcome.len(), 1);
    assert_eq!(
        entries(welcome[0]),
        PRESENCE_FRAME_MAX_ENTRIES,
        "the welcome is full, the rest follows"
    );
}
