//! The chat store on real SQLite files in temporary folders: posting, dedupe, edits and
//! deletes, the writer's queue and batches (`tests/` for history, markers, retention,
//! the schema and the figures).

mod db;
mod history;
mod markers;
mod perf;
mod pg;
mod pg_plans;
mod plans;
mod retention;

use super::*;
use db::{Db, on_both};
use std::sync::mpsc;
use std::time::Duration;

/// How long a test waits for one answer of the writer.
const ANSWER: Duration = Duration::from_secs(10);

pub(super) const ROOM: &str = "lobby";

pub(super) fn open_with(dir: &tempfile::TempDir, config: ChatConfig) -> ChatStore {
    ChatStore::open(&dir.path().join(CHAT_FILE_NAME), config).unwrap()
}

pub(super) fn open_in(dir: &tempfile::TempDir) -> ChatStore {
    open_with(dir, ChatConfig::default())
}

pub(super) fn message(
    from: &str,
    to: Option<&str>,
    text: &str,
    client_id: Option<&str>,
) -> NewMessage {
    NewMessage {
        room: ROOM.into(),
        from: from.into(),
        name: from.split('@').next().unwrap_or(from).into(),
        to: to.map(str::to_owned),
        text: text.into(),
        client_id: client_id.map(str::to_owned),
        to_online: false,
    }
}

/// Calls `submit` with a `done` and waits for what it is given.
pub(super) fn wait<T: Send + 'static>(submit: impl FnOnce(Box<dyn FnOnce(T) + Send>)) -> T {
    let (done, outcome) = mpsc::channel();
    submit(Box::new(move |value| drop(done.send(value))));
    outcome.recv_timeout(ANSWER).unwrap()
}

/// Posts `message` and waits for its outcome.
pub(super) fn post(store: &ChatStore, message: NewMessage) -> Result<Posted, ChatRefusal> {
    let (done, outcome) = mpsc::channel();
    store.post(message, move |posted| drop(done.send(posted)))?;
    outcome.recv_timeout(ANSWER).unwrap()
}

pub(super) fn posted(store: &ChatStore, from: &str, text: &str) -> StoredMessage {
    post(store, message(from, None, text, None))
        .unwrap()
        .message
}

pub(super) fn edit(
    store: &ChatStore,
    by: &str,
    id: i64,
    text: &str,
) -> Result<StoredMessage, ChatRefusal> {
    let edit = Edit {
        room: ROOM.into(),
        by: by.into(),
        id,
        text: text.into(),
    };
    wait(|done| store.edit(edit, done).unwrap())
}

pub(super) fn delete(store: &ChatStore, by: &str, id: i64) -> Result<StoredMessage, ChatRefusal> {
    let delete = Delete {
        room: ROOM.into(),
        by: by.into(),
        id,
    };
    wait(|done| store.delete(delete, done).unwrap())
}

/// Remembers members and waits until the writer has committed them.
pub(super) fn remember(store: &ChatStore, emails: &[&str]) {
    for email in emails {
        store.remember_member(ROOM, email, &email.to_uppercase());
    }
    block_on(store.flush());
}

pub(super) fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

on_both! {
    fn a_posted_message_is_stored_with_an_increasing_id(db) {
        let store = db.open_default();
        let first = post(&store, message("alice@x.com", None, "hello", Some("a-1"))).unwrap();
        let second = post(&store, message("bob@x.com", None, "hi", None)).unwrap();
        assert!(!first.duplicate);
        assert_eq!(first.message.text, "hello");
        assert_eq!(first.message.client_id.as_deref(), Some("a-1"));
        assert!(first.message.sent_at > 0);
        assert!(second.message.id > first.message.id);
    }
}

on_both! {
    fn a_repeated_client_id_is_a_duplicate_with_the_same_message_and_refused_with_another(db) {
        let store = db.open_default();
        let first = post(&store, message("alice@x.com", None, "lunch?", Some("k-1"))).unwrap();
        let again = post(&store, message("alice@x.com", None, "lunch?", Some("k-1"))).unwrap();
        assert!(again.duplicate);
        assert_eq!(again.message, first.message);
        let other_text = post(&store, message("alice@x.com", None, "dinner?", Some("k-1")));
        assert_eq!(other_text, Err(ChatRefusal::ClientIdReused));
        remember(&store, &["bob@x.com"]);
        let other_to = post(
            &store,
            message("alice@x.com", Some("bob@x.com"), "lunch?", Some("k-1")),
        );
        assert_eq!(other_to, Err(ChatRefusal::ClientIdReused));
        // Another sender's client ids are their own.
        let bob = post(&store, message("bob@x.com", None, "lunch?", Some("k-1"))).unwrap();
        assert!(!bob.duplicate);
        let page = block_on(store.history(latest("alice@x.com", None))).unwrap();
        assert_eq!(page.messages.len(), 2, "stored once per sender");
    }
}

pub(super) fn latest(email: &str, conversation: Option<Conversation>) -> HistoryQuery {
    HistoryQuery {
        room: ROOM.into(),
        email: email.into(),
        conversation,
        range: HistoryRange::Latest,
        limit: 50,
    }
}

on_both! {
    fn a_direct_message_needs_a_recipient_known_in_the_room_or_online(db) {
        let store = db.open_default();
        let unknown = post(
            &store,
            message("alice@x.com", Some("carol@x.com"), "hi", None),
        );
        assert_eq!(unknown, Err(ChatRefusal::UnknownRecipient));
        let mut online = message("alice@x.com", Some("carol@x.com"), "hi", None);
        online.to_online = true;
        assert!(post(&store, online).is_ok());
        remember(&store, &["bob@x.com"]);
        let known = post(
            &store,
            message("alice@x.com", Some("bob@x.com"), "hi", None),
        )
        .unwrap();
        assert_eq!(known.message.to.as_deref(), Some("bob@x.com"));
    }
}

on_both! {
    fn ids_stay_unique_when_the_store_is_opened_again(db) {
        let last = {
            let store = db.open_default();
            posted(&store, "alice@x.com", "one");
            posted(&store, "alice@x.com", "two").id
        };
        let store = db.open_default();
        assert!(posted(&store, "bob@x.com", "three").id > last);
    }
}

on_both! {
    fn own_messages_are_edited_and_deleted_within_the_window_each_a_new_row(db) {
        let store = db.open_default();
        let sent = posted(&store, "alice@x.com", "lunch?");
        let edited = edit(&store, "alice@x.com", sent.id, "lunch at 1?").unwrap();
        assert_eq!((edited.id, edited.text.as_str()), (sent.id, "lunch at 1?"));
        assert!(edited.edited_at.is_some());
        let deleted = delete(&store, "alice@x.com", sent.id).unwrap();
        assert!(deleted.deleted);
        assert_eq!(deleted.text, "");
        let changed = db.count(&format!("SELECT changed FROM chat_messages WHERE id = {}", sent.id));
        assert!(changed > sent.id + 1, "its edit and its delete each took an id");
        if let Db::Sqlite(dir) = db {
            let rows = rows_in_log(dir);
            assert_eq!(rows, 2, "its edit and its delete (a new message has no log row)");
        }
        assert_eq!(
            edit(&store, "alice@x.com", sent.id, "again"),
            Err(ChatRefusal::UnknownMessage)
        );
        assert_eq!(
            delete(&store, "alice@x.com", sent.id),
            Err(ChatRefusal::UnknownMessage)
        );
    }
}

pub(super) fn rows_in_log(dir: &tempfile::TempDir) -> i64 {
    let conn = rusqlite::Connection::open(dir.path().join(CHAT_FILE_NAME)).unwrap();
    conn.query_row("SELECT COUNT(*) FROM chat_log", [], |row| row.get(0))
        .unwrap()
}

on_both! {
    fn others_messages_unknown_ids_and_closed_windows_are_refused(db) {
        let store = db.open_default();
        let sent = posted(&store, "alice@x.com", "mine");
        assert_eq!(
            edit(&store, "bob@x.com", sent.id, "yours"),
            Err(ChatRefusal::NotYourMessage)
        );
        assert_eq!(
            delete(&store, "bob@x.com", sent.id),
            Err(ChatRefusal::NotYourMessage)
        );
        assert_eq!(
            edit(&store, "alice@x.com", sent.id + 100, "x"),
            Err(ChatRefusal::UnknownMessage)
        );
        let elsewhere = Edit {
            room: "other".into(),
            by: "alice@x.com".into(),
            id: sent.id,
            text: "x".into(),
        };
        let moved = wait(|done| store.edit(elsewhere, done).unwrap());
        assert_eq!(
            moved,
            Err(ChatRefusal::UnknownMessage),
            "a message of another room"
        );
        // A message sent an hour ago: past the edit window.
        let old = posted(&store, "bob@x.com", "long ago");
        db.execute("UPDATE chat_messages SET sent_at = sent_at - 3600000 WHERE sender = 'bob@x.com'");
        assert_eq!(
            edit(&store, &old.from, old.id, "late"),
            Err(ChatRefusal::EditWindowClosed)
        );
        assert_eq!(
            delete(&store, &old.from, old.id),
            Err(ChatRefusal::EditWindowClosed)
        );
        assert_eq!(
            edit(&store, "alice@x.com", sent.id, "still mine")
                .unwrap()
                .text,
            "still mine"
        );
    }
}

on_both! {
    fn a_full_queue_refuses_at_once_with_store_busy(db) {
        let config = ChatConfig {
            queue_capacity: 1,
            ..ChatConfig::default()
        };
        let store = db.open(config);
        // The first post's `done` holds the writer thread until released.
        let (release, held) = mpsc::channel::<()>();
        let (started, writer_busy) = mpsc::channel();
        store
            .post(message("alice@x.com", None, "first", None), move |_| {
                let _ = started.send(());
                let _ = held.recv_timeout(ANSWER);
            })
            .unwrap();
        writer_busy.recv_timeout(ANSWER).unwrap();
        let (second_done, second) = mpsc::channel();
        store
            .post(message("alice@x.com", None, "second", None), move |p| {
                drop(second_done.send(p))
            })
            .unwrap();
        let third = store.post(message("alice@x.com", None, "third", None), |_| {});
        assert_eq!(third, Err(ChatRefusal::StoreBusy));
        release.send(()).unwrap();
        assert!(second.recv_timeout(ANSWER).unwrap().is_ok());
    }
}

#[test]
fn a_batch_the_file_cannot_take_is_refused_and_nothing_of_it_stored() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_in(&dir);
    let locker = rusqlite::Connection::open(dir.path().join(CHAT_FILE_NAME)).unwrap();
    locker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let refused = post(&store, message("alice@x.com", None, "lost?", Some("c-1")));
    assert_eq!(refused, Err(ChatRefusal::StoreUnavailable));
    locker.execute_batch("ROLLBACK").unwrap();
    let page = block_on(store.history(latest("alice@x.com", None))).unwrap();
    assert!(page.messages.is_empty());
    // Sent again, it is stored (not a duplicate: nothing was).
    let again = post(&store, message("alice@x.com", None, "lost?", Some("c-1"))).unwrap();
    assert!(!again.duplicate);
}

#[test]
fn every_done_runs_after_the_commit_in_submit_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_in(&dir);
    let path = dir.path().join(CHAT_FILE_NAME);
    let (done, answers) = mpsc::channel();
    let count = 500;
    for i in 0..count {
        let (done, path) = (done.clone(), path.clone());
        let text = format!("m{i}");
        store
            .post(message("alice@x.com", None, &text, None), move |posted| {
                let posted = posted.unwrap();
                // Another connection sees it: it is committed.
                let other = rusqlite::Connection::open(path).unwrap();
                let stored: String = other
                    .query_row(
                        "SELECT text FROM chat_messages WHERE id = ?1",
                        [posted.message.id],
                        |r| r.get(0),
                    )
                    .unwrap();
                drop(done.send((i, posted.message.id, stored)));
            })
            .unwrap();
    }
    let mut last_id = 0;
    for expected in 0..count {
        let (i, id, stored) = answers.recv_timeout(ANSWER).unwrap();
        assert_eq!((i, stored), (expected, format!("m{expected}")));
        assert!(id > last_id);
        last_id = id;
    }
}

on_both! {
    fn flush_resolves_once_everything_queued_before_it_is_committed(db) {
        let store = db.open_default();
        for i in 0..200 {
            store
                .post(message("alice@x.com", None, &format!("m{i}"), None), |_| {})
                .unwrap();
        }
        block_on(store.flush());
        assert_eq!(db.count("SELECT COUNT(*) FROM chat_messages"), 200);
    }
}
