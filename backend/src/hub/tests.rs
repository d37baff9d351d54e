//! Unit tests of the hub's bookkeeping that no client can observe directly.

use super::*;
use crate::store::{RetryPolicy, SqliteStore, UserStore};
use std::time::Duration;

struct Fixture {
    hub: Hub,
    writer: WriteBehind,
    store: Arc<SqliteStore>,
    _folder: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let folder = tempfile::TempDir::new().expect("temp dir");
        let store = Arc::new(SqliteStore::open(folder.path().join("users.sqlite3")).expect("open"));
        let writer = WriteBehind::spawn(store.clone(), RetryPolicy::default());
        let hub = Hub::new(writer.clone());
        Self {
            hub,
            writer,
            store,
            _folder: folder,
        }
    }

    fn join(&self, id: ConnId, room: &str, email: &str) -> Arc<Outbox> {
        let outbox = Arc::new(Outbox::new(1024, usize::MAX));
        self.hub
            .connect(id, room.to_owned(), true, Arc::clone(&outbox));
        let profile = Profile {
            email: email.to_owned(),
            name: "Alice".to_owned(),
            latitude: None,
            longitude: None,
            is_connected: None,
            in_call: None,
            room: None,
            access_code: None,
            token: None,
            link_code: None,
        };
        let admitted = Admitted {
            device: None,
            token: Some("token".into()),
            created: false,
            may_join_online: true,
            ice_servers: None,
        };
        self.hub
            .register(id, profile, Some(&admitted))
            .expect("registered");
        outbox
    }

    /// The emails a welcome in `room` would list now, in order.
    fn snapshot_emails(&self, room: &str) -> Vec<String> {
        let mut state = self.hub.lock();
        let Some(room) = state.room(room) else {
            return Vec::new();
        };
        let snapshot = room.snapshot();
        let rest = snapshot.rest.iter().flat_map(|frame| {
            let delta: serde_json::Value = serde_json::from_str(frame.payload()).expect("json");
            let joined = delta["joined"].as_array().cloned().unwrap_or_default();
            joined
                .into_iter()
                .map(|user| user["email"].as_str().unwrap_or("").to_owned())
        });
        snapshot
            .first_page
            .iter()
            .map(|user| user.email.clone())
            .chain(rest)
            .collect()
    }

    async fn stored_connected(&self, email: &str) -> bool {
        self.writer.flush().await;
        self.store
            .get(email)
            .await
            .expect("read")
            .expect("stored")
            .is_connected
    }
}

#[tokio::test]
async fn a_room_is_dropped_once_nobody_is_in_it() {
    let fixture = Fixture::new();
    fixture.join(1, "ephemeral", "alice@example.com");
    assert_eq!(fixture.hub.room_count(), 1);
    fixture.hub.disconnect(1);
    fixture.hub.flush_presence(Duration::ZERO);
    assert_eq!(
        fixture.hub.room_count(),
        0,
        "no state left for a room nobody is in"
    );
}

#[tokio::test]
async fn a_user_in_two_rooms_is_stored_connected_until_the_last_tab_closes() {
    let fixture = Fixture::new();
    fixture.join(1, "a", "alice@example.com");
    fixture.join(2, "b", "alice@example.com");
    fixture.hub.disconnect(1);
    assert!(
        fixture.stored_connected("alice@example.com").await,
        "still online in room b"
    );
    fixture.hub.disconnect(2);
    assert!(
        !fixture.stored_connected("alice@example.com").await,
        "gone from both rooms"
    );
}

#[tokio::test]
async fn a_welcome_snapshot_is_reused_until_a_delta_is_sent_and_still_lists_the_newcomer() {
    let fixture = Fixture::new();
    fixture.join(1, "r", "a@example.com");
    assert_eq!(fixture.snapshot_emails("r"), ["a@example.com"]);

    // Same tick: b's welcome comes from the snapshot taken for a, plus b itself.
    let outbox = fixture.join(2, "r", "b@example.com");
    assert_eq!(fixture.snapshot_emails("r"), ["a@example.com"], "reused");
    let mut frames = Vec::new();
    outbox.take(&mut frames, 16).expect("open");
    let welcome: serde_json::Value = serde_json::from_str(frames[0].payload()).expect("json");
    let listed: Vec<&str> = welcome["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter_map(|user| user["email"].as_str())
        .collect();
    assert_eq!(listed, ["a@example.com", "b@example.com"]);

    // The tick sends b's join as a delta: whoever comes next needs a fresh snapshot.
    assert!(fixture.hub.flush_presence(Duration::ZERO));
    assert_eq!(
        fixture.snapshot_emails("r"),
        ["a@example.com", "b@example.com"]
    );
}

#[tokio::test]
async fn a_tick_sends_one_presence_frame_however_many_changed() {
    let fixture = Fixture::new();
    let watcher = fixture.join(1, "crowd", "watcher@example.com");
    assert!(fixture.hub.flush_presence(Duration::ZERO));
    watcher.take(&mut Vec::new(), 64).expect("open");

    let crowd = shared::PRESENCE_FRAME_MAX_ENTRIES * 3;
    for n in 0..crowd {
        fixture.join(2 + n as u64, "crowd", &format!("user{n}@example.com"));
    }
    assert!(fixture.hub.flush_presence(Duration::ZERO));
    let mut frames = Vec::new();
    watcher.take(&mut frames, 64).expect("open");
    assert_eq!(frames.len(), 1, "one frame for the tick");
    let delta: serde_json::Value = serde_json::from_str(frames[0].payload()).expect("json");
    assert_eq!(delta["joined"].as_array().map(Vec::len), Some(crowd));
}

#[path = "remote_tests.rs"]
mod remote;

#[tokio::test]
async fn a_room_past_its_users_per_tick_sends_its_presence_every_few_ticks() {
    let fixture = Fixture::new();
    let hub = fixture.hub.clone().with_room_users_per_tick(2);
    let drain = |outbox: &Outbox| {
        let mut frames = Vec::new();
        outbox.take(&mut frames, 64).expect("open");
        frames.len()
    };
    let watcher = fixture.join(1, "large", "watcher@example.com");
    fixture.join(2, "large", "b@example.com");
    fixture.join(3, "large", "c@example.com");
    let alone = fixture.join(4, "small", "alone@example.com");
    assert!(hub.flush_presence(Duration::ZERO), "the joins");
    drain(&watcher);
    drain(&alone);

    // Three users, over two a tick: the room sends every 2nd tick, leaves included.
    fixture.hub.disconnect(3);
    assert!(
        !hub.flush_presence(Duration::ZERO),
        "c's leave waits a tick"
    );
    assert_eq!(drain(&watcher), 0);
    assert!(hub.flush_presence(Duration::ZERO), "then it goes");
    assert_eq!(drain(&watcher), 1, "one frame, nothing lost by the wait");

    // Two users: every tick again. Three: the wait comes back; a small room never waits.
    fixture.join(5, "large", "d@example.com");
    assert!(
        hub.flush_presence(Duration::ZERO),
        "d's join: the room was not waiting"
    );
    assert_eq!(drain(&watcher), 1);
    fixture.hub.disconnect(5);
    fixture.join(6, "small", "e@example.com");
    assert!(hub.flush_presence(Duration::ZERO), "the small room's join");
    assert_eq!(drain(&alone), 1);
    assert_eq!(drain(&watcher), 0, "d's leave waits a tick");
    assert!(hub.flush_presence(Duration::ZERO));
    assert_eq!(drain(&watcher), 1);
}
