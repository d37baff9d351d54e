//! Unit tests of the hub's bookkeeping that no client can observe directly.

use super::*;
use crate::store::{RetryPolicy, SqliteStore, UserStore};

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

    fn join(&self, id: ConnId, room: &str, email: &str) {
        let outbox = Arc::new(Outbox::new(16, usize::MAX));
        self.hub.connect(id, room.to_owned(), true, outbox);
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
        };
        self.hub.register(id, profile).expect("registered");
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
