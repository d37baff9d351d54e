//! Tests of the SQLite store on real files: round trips, the schema, the purge, locks.

use super::schema::SCHEMA_VERSION;
use super::*;
use tempfile::TempDir;

fn user(email: &str, position: Option<(f64, f64)>, connected: bool) -> UserRecord {
    UserRecord {
        email: email.into(),
        name: format!("name of {email}"),
        latitude: position.map(|p| p.0),
        longitude: position.map(|p| p.1),
        is_connected: connected,
        last_seen_ms: 1_700_000_000_000,
    }
}

fn open(dir: &TempDir) -> SqliteStore {
    SqliteStore::open(dir.path().join("users.db")).unwrap()
}

#[tokio::test]
async fn write_then_get_round_trips() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    let ada = user("ada@example.com", Some((51.5, -0.12)), true);
    let bob = user("bob@example.com", None, false);
    store.write(vec![ada.clone(), bob.clone()]).await.unwrap();

    assert_eq!(store.get("ada@example.com").await.unwrap(), Some(ada));
    assert_eq!(store.get("bob@example.com").await.unwrap(), Some(bob));
    assert_eq!(store.get("nobody@example.com").await.unwrap(), None);
    assert_eq!(store.count().await.unwrap(), 2);
}

#[tokio::test]
async fn reopen_keeps_users() {
    let dir = TempDir::new().unwrap();
    let ada = user("ada@example.com", Some((48.85, 2.35)), true);
    {
        let store = open(&dir);
        store.write(vec![ada.clone()]).await.unwrap();
    }
    let store = open(&dir);
    assert_eq!(store.get("ada@example.com").await.unwrap(), Some(ada));
}

#[tokio::test]
async fn missing_position_keeps_stored_position() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    store
        .write(vec![user("ada@example.com", Some((1.0, 2.0)), true)])
        .await
        .unwrap();
    let mut later = user("ada@example.com", None, false);
    later.name = "Ada L.".into();
    later.last_seen_ms += 1000;
    store.write(vec![later.clone()]).await.unwrap();

    let stored = store.get("ada@example.com").await.unwrap().unwrap();
    assert_eq!((stored.latitude, stored.longitude), (Some(1.0), Some(2.0)));
    assert_eq!(stored.name, "Ada L.");
    assert!(!stored.is_connected);
    assert_eq!(stored.last_seen_ms, later.last_seen_ms);
}

#[tokio::test]
async fn reset_presence_marks_everyone_disconnected() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    store
        .write(vec![
            user("ada@example.com", None, true),
            user("bob@example.com", Some((0.0, 0.0)), true),
        ])
        .await
        .unwrap();
    store.reset_presence().await.unwrap();

    let users = store.list().await.unwrap();
    assert_eq!(users.len(), 2);
    assert!(users.iter().all(|u| !u.is_connected), "{users:?}");
}

#[test]
fn garbage_file_is_an_error_not_a_panic() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("users.db");
    std::fs::write(
        &path,
        b"this is not a sqlite database, just some text".repeat(100),
    )
    .unwrap();
    let err = SqliteStore::open(&path)
        .err()
        .expect("garbage must not open");
    assert!(err.0.contains("users.db"), "{err}");
}

#[test]
fn newer_schema_is_refused() {
    let dir = TempDir::new().unwrap();
    drop(open(&dir));
    let raw = Connection::open(dir.path().join("users.db")).unwrap();
    raw.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    drop(raw);
    let err = SqliteStore::open(dir.path().join("users.db"))
        .err()
        .unwrap();
    assert!(err.0.contains("newer"), "{err}");
}

#[tokio::test]
async fn purge_deletes_users_not_seen_since_the_cutoff_unless_connected() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    let day_ms = 24 * 3600 * 1000;
    let now = 1_700_000_000_000;
    let seen = |email: &str, days_ago: u64, connected: bool| UserRecord {
        last_seen_ms: now - days_ago * day_ms,
        ..user(email, Some((1.0, 2.0)), connected)
    };
    let mut users = vec![
        seen("old@example.com", 200, false),
        seen("recent@example.com", 10, false),
        seen("online@example.com", 400, true),
        seen("edge@example.com", 180, false),
    ];
    users.extend((0..12_000).map(|i| seen(&format!("gone{i}@example.com"), 365, false)));
    store.write(users).await.unwrap();

    let purged = store
        .purge_not_seen_since(now - 180 * day_ms)
        .await
        .unwrap();
    assert_eq!(purged, 12_001, "more than two chunks");
    let left: Vec<String> = store
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.email)
        .collect();
    assert_eq!(
        left,
        [
            "edge@example.com",
            "online@example.com",
            "recent@example.com"
        ]
    );
    assert_eq!(
        store
            .purge_not_seen_since(now - 180 * day_ms)
            .await
            .unwrap(),
        0
    );
}

#[test]
fn a_version_2_file_loses_the_last_seen_index_and_keeps_its_users() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("users.db");
    let raw = Connection::open(&path).unwrap();
    raw.execute_batch(
        "CREATE TABLE users (email TEXT PRIMARY KEY, name TEXT NOT NULL, latitude REAL NULL,
             longitude REAL NULL, is_connected INTEGER NOT NULL, last_seen_ms INTEGER NOT NULL);
         CREATE INDEX users_last_seen ON users (last_seen_ms);
         INSERT INTO users VALUES ('ada@example.com', 'Ada', NULL, NULL, 0, 1);
         PRAGMA user_version = 2;",
    )
    .unwrap();
    drop(raw);
    drop(open(&dir));
    let raw = Connection::open(&path).unwrap();
    let indexes: i64 = raw
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'users_last_seen'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    let users: i64 = raw
        .query_row("SELECT count(*) FROM users", [], |row| row.get(0))
        .unwrap();
    let version: i64 = raw
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap();
    assert_eq!((indexes, users, version), (0, 1, SCHEMA_VERSION));
}

#[tokio::test]
async fn creates_parent_directories() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("a/b/c/users.db");
    let store = SqliteStore::open(&path).unwrap();
    store
        .write(vec![user("ada@example.com", None, true)])
        .await
        .unwrap();
    assert!(path.is_file());
    assert_eq!(store.count().await.unwrap(), 1);
}
