//! Retention (issue 10, finding 10): the real binary deletes users not seen for
//! `--retention-days` when it starts, and `--retention-days 0` keeps everyone.

use super::binary::{Backend, Launch};
use super::harness::PATIENCE;
use backend::store::{SqliteStore, UserRecord, UserStore};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

const DAY_MS: u64 = 24 * 3600 * 1000;

fn now_ms() -> u64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970");
    since.as_millis() as u64
}

/// A file with one user seen `days_ago` for each of `days`.
async fn file_with_users_seen(database: &Path, days: &[u64]) {
    let store = SqliteStore::open(database).expect("open");
    let users = days
        .iter()
        .map(|&days_ago| UserRecord {
            email: format!("seen{days_ago}@example.com"),
            name: format!("Seen {days_ago} days ago"),
            latitude: None,
            longitude: None,
            is_connected: false,
            last_seen_ms: now_ms() - days_ago * DAY_MS,
        })
        .collect();
    store.write(users).await.expect("write");
}

async fn emails_in(database: &Path) -> Vec<String> {
    let store = SqliteStore::open(database).expect("open");
    let users = store.list().await.expect("list");
    users.into_iter().map(|user| user.email).collect()
}

async fn start_keeping(database: &Path, days: &str) -> Backend {
    Launch::new()
        .database(database)
        .args(["--retention-days", days])
        .start()
        .await
}

#[tokio::test]
async fn users_not_seen_for_the_retention_period_are_deleted_at_start() {
    let folder = tempfile::TempDir::new().expect("temp dir");
    let database = folder.path().join("users.sqlite3");
    file_with_users_seen(&database, &[1, 29, 31, 400]).await;

    let mut backend = start_keeping(&database, "30").await;
    let line = backend
        .logged(PATIENCE, |line| line.contains("users not seen for"))
        .await;
    assert!(
        line.contains("deleted 2 users not seen for 30 days"),
        "{line}"
    );
    assert_eq!(
        emails_in(&database).await,
        ["seen1@example.com", "seen29@example.com"]
    );
    backend.terminate();
    assert!(backend.wait_exit().await.success());
    println!("retention: 4 users, 2 not seen for 30 days deleted at start: {line}");
}

#[tokio::test]
async fn retention_0_keeps_everyone() {
    let folder = tempfile::TempDir::new().expect("temp dir");
    let database = folder.path().join("users.sqlite3");
    file_with_users_seen(&database, &[1, 10_000]).await;

    let mut backend = start_keeping(&database, "0").await;
    backend.terminate();
    assert!(backend.wait_exit().await.success());
    let purged = backend
        .log_lines()
        .iter()
        .any(|line| line.contains("not seen for"));
    assert!(!purged, "{:#?}", backend.log_lines());
    assert_eq!(emails_in(&database).await.len(), 2);
}
