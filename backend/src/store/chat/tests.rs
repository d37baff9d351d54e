//! The chat store on real SQLite files in temporary folders.

use super::*;
use std::sync::mpsc;
use std::time::Duration;

/// How long a test waits for one answer of the writer.
const ANSWER: Duration = Duration::from_secs(10);

fn open_in(dir: &tempfile::TempDir) -> ChatStore {
    ChatStore::open(&dir.path().join(CHAT_FILE_NAME), ChatConfig::default()).unwrap()
}

fn room_message(from: &str, text: &str, client_id: Option<&str>) -> NewMessage {
    NewMessage {
        room: "lobby".into(),
        from: from.into(),
        name: from.split('@').next().unwrap_or(from).into(),
        to: None,
        text: text.into(),
        client_id: client_id.map(str::to_owned),
        to_online: false,
    }
}

/// Posts `message` and waits for its outcome.
fn post(store: &ChatStore, message: NewMessage) -> Result<Posted, ChatRefusal> {
    let (done, outcome) = mpsc::channel();
    store.post(message, move |posted| drop(done.send(posted)))?;
    outcome.recv_timeout(ANSWER).unwrap()
}

#[test]
fn a_posted_message_is_stored_with_an_increasing_id() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_in(&dir);
    let first = post(&store, room_message("alice@x.com", "hello", Some("a-1"))).unwrap();
    let second = post(&store, room_message("bob@x.com", "hi", None)).unwrap();
    assert!(!first.duplicate);
    assert_eq!(first.message.text, "hello");
    assert!(second.message.id > first.message.id);
}
