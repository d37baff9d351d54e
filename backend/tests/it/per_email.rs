//! Issue 10, finding 10: memory per distinct email. Users who registered and left cost the
//! server nothing once their last state is written: no set of every email ever seen.

use super::binary::Backend;
use super::harness::{Client, PATIENCE};
use std::path::Path;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio::time::Instant;

/// Distinct emails registered before the measure, so allocator pools, SQLite's page cache
/// and the tables of the hub have reached their working size.
const WARM_UP: usize = 2_000;
/// Distinct emails registered and closed between the two measures.
const MEASURED: usize = 20_000;
/// Clients registering at once.
const CONCURRENCY: usize = 16;
/// Growth of RSS allowed per email, in bytes. The server that kept a set of every email
/// seen (and SQLite's default 2 MiB page cache, filling as the file grew) measured 216 B
/// per email here, about 90 B of it the set; without them about 20 B remain (the bounded
/// page cache still filling, allocator noise).
const GROWTH_PER_EMAIL_LIMIT: f64 = 60.0;

/// Registers `count` distinct users (`{prefix}{i}@example.com`), each on its own connection
/// closed once it is welcomed.
async fn register_and_leave(url: &str, prefix: &str, count: usize) {
    let mut running = JoinSet::new();
    for i in 0..count {
        if running.len() == CONCURRENCY {
            running
                .join_next()
                .await
                .expect("a task")
                .expect("no panic");
        }
        let (url, email) = (url.to_owned(), format!("{prefix}{i}@example.com"));
        running.spawn(async move {
            let mut client = Client::connect(&url, Some(shared::DELTA_SUBPROTOCOL)).await;
            client.add_user(&email, "Passer-by", Some((1.0, 2.0))).await;
            client.recv_type("welcome").await;
            client.close().await;
        });
    }
    while let Some(done) = running.join_next().await {
        done.expect("no panic");
    }
}

/// Waits until the file holds `count` users, none of them connected: the server has then
/// seen every close and written it.
async fn await_written(database: &Path, count: usize) {
    let conn = rusqlite::Connection::open(database).expect("open the file");
    conn.busy_timeout(Duration::from_secs(5))
        .expect("busy timeout");
    let deadline = Instant::now() + PATIENCE * 6;
    loop {
        let (users, connected): (i64, i64) = conn
            .query_row(
                "SELECT COUNT(*), COALESCE(SUM(is_connected), 0) FROM users",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .expect("count");
        if users == count as i64 && connected == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{users} of {count} users written, {connected} still connected"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The lowest RSS over two seconds: the server gives freed memory back once presence has
/// been quiet for a second, and the lowest sample is what it keeps.
async fn settled_rss_kib(backend: &Backend) -> u64 {
    let mut lowest = backend.rss_kib();
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        lowest = lowest.min(backend.rss_kib());
    }
    lowest
}

/// The bytes of the chat store's file and its WAL: every registration remembers its member
/// there (`room_members`), on disk, and the writer's page cache (bounded) may hold those
/// pages. Only the writer touches them here: nobody asks for history or conversations.
fn chat_file_bytes(database: &Path) -> u64 {
    let file = backend::config::chat_file_beside(database);
    let wal = file.with_extension("sqlite3-wal");
    [file, wal]
        .iter()
        .filter_map(|path| std::fs::metadata(path).ok())
        .map(|metadata| metadata.len())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn distinct_emails_registered_and_closed_cost_no_memory_each() {
    let folder = tempfile::TempDir::new().expect("temp dir");
    let database = folder.path().join("users.sqlite3");
    let backend = Backend::start(&database).await;

    register_and_leave(&backend.url, "warm", WARM_UP).await;
    await_written(&database, WARM_UP).await;
    let before = settled_rss_kib(&backend).await;
    let chat_before = chat_file_bytes(&database);

    let started = Instant::now();
    register_and_leave(&backend.url, "passer", MEASURED).await;
    await_written(&database, WARM_UP + MEASURED).await;
    let took = started.elapsed();
    let after = settled_rss_kib(&backend).await;
    let chat_cached = chat_file_bytes(&database).saturating_sub(chat_before);

    // What the chat store's cache may hold of the members it wrote is on disk, bounded by
    // its page cache: not memory per email.
    let grown = (after as f64 - before as f64) * 1024.0 - chat_cached as f64;
    let per_email = grown.max(0.0) / MEASURED as f64;
    println!(
        "per email: {MEASURED} distinct emails registered and closed in {took:.1?} \
         (after {WARM_UP} to warm up); RSS {before} KiB -> {after} KiB, of it up to {} KiB \
         the chat store's page cache of the members it wrote; {per_email:.0} B per email",
        chat_cached / 1024
    );
    assert!(
        per_email < GROWTH_PER_EMAIL_LIMIT,
        "{per_email:.0} B of RSS kept per email ({before} KiB -> {after} KiB)"
    );
}
