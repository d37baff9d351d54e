//! Issue 10, finding 11: no write lost around the store's outages, with the real binary.
//! The SQLite file locked by another process when SIGTERM comes, a file-size limit (a
//! full disk) while users register, and a file locked when the server starts.

use super::binary::{Backend, Launch};
use super::harness::{Client, PATIENCE};
use std::path::Path;
use std::time::Duration;
use tokio::time::Instant;

/// Users registered in each scenario.
const USERS: usize = 20;
/// How long a test lets the backend wait for the store before the outage ends.
const OUTAGE: Duration = Duration::from_secs(1);

fn email(i: usize) -> String {
    format!("user{i}@example.com")
}

/// Registers `count` users, each on its own connection (kept open), welcomed.
async fn register(backend: &Backend, count: usize) -> Vec<Client> {
    let mut clients = Vec::new();
    for i in 0..count {
        let mut client = Client::connect(&backend.url, Some(shared::DELTA_SUBPROTOCOL)).await;
        client.add_user(&email(i), "User", Some((48.0, 2.0))).await;
        client.recv_type("welcome").await;
        clients.push(client);
    }
    clients
}

/// Moves every client a little, round after round, until the users store logs a failed
/// write: the store commits at most every 50 ms, so the log file grows by a few pages per
/// round until it passes the file-size limit. The failed line.
async fn keep_moving_until_a_write_fails(backend: &mut Backend, clients: &mut [Client]) -> String {
    let is_failure = |line: &str| line.contains("write of") && line.contains("failed");
    let deadline = Instant::now() + PATIENCE * 2;
    for round in 1.. {
        for (i, client) in clients.iter_mut().enumerate() {
            let at = (48.0 + f64::from(round) * 1e-4, 2.0);
            let frame = super::frames::profile("update-user", &email(i), "User", Some(at));
            client.send_json(frame).await;
        }
        if let Some(line) = backend
            .try_await_log(Duration::from_millis(100), is_failure)
            .await
        {
            return line;
        }
        assert!(
            Instant::now() < deadline,
            "no failed write: {:#?}",
            backend.log_lines()
        );
    }
    unreachable!()
}

/// The users in the file (email, connected), read without the store's own code.
fn stored(database: &Path) -> Vec<(String, bool)> {
    let conn = rusqlite::Connection::open(database).expect("open the file");
    conn.busy_timeout(PATIENCE).expect("busy timeout");
    let mut query = conn
        .prepare("SELECT email, is_connected FROM users ORDER BY email")
        .expect("prepare");
    let rows = query.query_map([], |row| Ok((row.get(0)?, row.get(1)?)));
    rows.expect("query").map(|row| row.expect("row")).collect()
}

/// A file with the schema, created the way the server creates it, and closed.
/// The users' file and the chat store's beside it, created before the server starts (so
/// that a file-size limit set from the users' file's size leaves the chat file's schema be).
fn prepared_file(database: &Path) {
    drop(backend::store::SqliteStore::open(database).expect("create the file"));
    let chat = backend::config::chat_file_beside(database);
    drop(backend::store::chat::ChatStore::open(&chat, Default::default()).expect("chat file"));
}

/// Another process's lock on the whole file: a connection in `BEGIN EXCLUSIVE`.
fn lock(database: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(database).expect("open the file");
    conn.busy_timeout(PATIENCE).expect("busy timeout");
    conn.execute_batch("BEGIN EXCLUSIVE")
        .expect("lock the file");
    conn
}

/// SIGTERM, the clients closed by the server, and the exit status; returns how long the
/// process took to exit.
async fn terminate(backend: &mut Backend, clients: &mut [Client]) -> Duration {
    let signalled = Instant::now();
    backend.terminate();
    for client in clients.iter_mut() {
        assert_eq!(client.closed().await, Some(1001));
    }
    signalled.elapsed()
}

fn assert_everyone_stored_offline(database: &Path, count: usize) {
    let users = stored(database);
    let expected: Vec<(String, bool)> = {
        let mut emails: Vec<String> = (0..count).map(email).collect();
        emails.sort();
        emails.into_iter().map(|email| (email, false)).collect()
    };
    assert_eq!(users, expected, "every user, stored offline");
}

#[tokio::test]
async fn users_registered_while_the_file_is_locked_are_written_after_sigterm() {
    let folder = tempfile::TempDir::new().expect("temp dir");
    let database = folder.path().join("users.sqlite3");
    let mut backend = Backend::start(&database).await;
    let locker = lock(&database);
    let mut clients = register(&backend, USERS).await;

    let signalled = Instant::now();
    backend.terminate();
    for client in &mut clients {
        assert_eq!(client.closed().await, Some(1001));
    }
    let waiting = backend
        .await_log(PATIENCE, |line| line.contains("waiting up to"))
        .await;
    // The backend waits for the store; the other process lets go a little later.
    tokio::time::sleep(OUTAGE).await;
    locker.execute_batch("COMMIT").expect("unlock");
    let status = backend.wait_exit_within(PATIENCE * 4).await;
    let waited = signalled.elapsed();
    let log = backend.log_lines().to_vec();
    assert!(status.success(), "{status:?}: {log:#?}");
    assert!(
        log.iter().any(|line| line.contains("every change written")),
        "{log:#?}"
    );

    let found = stored(&database).len();
    println!(
        "locked at SIGTERM: {USERS} users registered, {found} found in the file; \
         exited {waited:.1?} after SIGTERM, the lock held {OUTAGE:?} after: {waiting}"
    );
    assert_everyone_stored_offline(&database, USERS);
}

#[tokio::test]
async fn users_registered_while_the_disk_is_full_are_written_once_it_has_room() {
    let folder = tempfile::TempDir::new().expect("temp dir");
    let database = folder.path().join("users.sqlite3");
    prepared_file(&database);
    // Larger than SQLite's shared-memory index (32 KiB), which must fit under the limit.
    {
        let conn = rusqlite::Connection::open(&database).expect("open");
        conn.execute_batch(
            "CREATE TABLE padding (b BLOB); INSERT INTO padding VALUES (zeroblob(36000))",
        )
        .expect("pad the file");
    }
    let size = std::fs::metadata(&database).expect("the file").len();
    let mut backend = Launch::new()
        .database(&database)
        .pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: size,
                rlim_max: libc::RLIM_INFINITY,
            };
            // SAFETY: setrlimit is async-signal-safe; it only changes this child's limit.
            match unsafe { libc::setrlimit(libc::RLIMIT_FSIZE, &limit) } {
                0 => Ok(()),
                _ => Err(std::io::Error::last_os_error()),
            }
        })
        .args(["--presence-rate", "1000", "--presence-burst", "1000"])
        .start()
        .await;
    let mut clients = register(&backend, USERS).await;
    let failed = keep_moving_until_a_write_fails(&mut backend, &mut clients).await;

    // Room again: the limit lifted from outside, as an operator frees disk space.
    let pid = libc::pid_t::try_from(backend.pid()).expect("a pid");
    let unlimited = libc::rlimit {
        rlim_cur: libc::RLIM_INFINITY,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: prlimit only changes the child's limit; no memory is handed over but ours.
    let raised =
        unsafe { libc::prlimit(pid, libc::RLIMIT_FSIZE, &unlimited, std::ptr::null_mut()) };
    assert_eq!(raised, 0, "prlimit: {}", std::io::Error::last_os_error());
    let waited = terminate(&mut backend, &mut clients).await;
    let status = backend.wait_exit_within(PATIENCE * 4).await;
    let log = backend.log_lines().to_vec();
    assert!(status.success(), "{status:?}: {log:#?}");

    let found = stored(&database).len();
    println!(
        "disk full: file limited to {size} bytes, {USERS} users registered, {found} found in \
         the file after the limit was lifted and SIGTERM (exit {waited:.1?} after it); {failed}"
    );
    assert_everyone_stored_offline(&database, USERS);
}

#[tokio::test]
async fn a_file_locked_at_start_does_not_stop_the_server() {
    let folder = tempfile::TempDir::new().expect("temp dir");
    let database = folder.path().join("users.sqlite3");
    prepared_file(&database);
    // Left online by a crashed run: the presence reset must still happen.
    {
        let conn = rusqlite::Connection::open(&database).expect("open");
        conn.execute(
            "INSERT INTO users VALUES ('stale@example.com', 'Stale', NULL, NULL, 1, 0)",
            [],
        )
        .expect("insert");
    }
    let locker = lock(&database);

    let started = Instant::now();
    let mut backend = Launch::new()
        .database(&database)
        .listen_within(PATIENCE * 4)
        .start()
        .await;
    let listened = started.elapsed();
    let mut clients = register(&backend, 1).await;
    // Each try waits out SQLite's busy timeout (5 s), the purge at start's first.
    backend
        .await_log(PATIENCE * 4, |line| {
            line.contains("write of") && line.contains("failed")
        })
        .await;
    tokio::time::sleep(OUTAGE).await;
    locker.execute_batch("COMMIT").expect("unlock");
    drop(locker);

    let deadline = Instant::now() + PATIENCE * 4;
    while stored(&database).len() < 2 {
        assert!(Instant::now() < deadline, "the row never arrived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let arrived = started.elapsed();
    let users = stored(&database);
    assert_eq!(
        users,
        [("stale@example.com".to_owned(), false), (email(0), true),],
        "the file prepared (everyone offline) before the first write"
    );
    println!(
        "locked at start: listening after {listened:.1?}, 1 user registered, {} found in the \
         file {arrived:.1?} after start (the lock held past the busy timeout)",
        users.len() - 1
    );
    terminate(&mut backend, &mut clients).await;
    assert!(backend.wait_exit().await.success());
}

/// The chat file locked by another process at start (a backup, `sqlite3` left in a
/// transaction): the server waits for it instead of exiting, and chat works once it is let
/// go. Before, the chat store's one-second busy timeout made the backend exit.
#[tokio::test]
async fn a_chat_file_locked_at_start_holds_the_start_until_it_is_let_go() {
    let folder = tempfile::TempDir::new().expect("temp dir");
    let database = folder.path().join("users.sqlite3");
    prepared_file(&database);
    let locker = lock(&backend::config::chat_file_beside(&database));
    let released = std::thread::spawn(move || {
        // The lock is held as long as a backup would take: longer than a busy timeout.
        std::thread::sleep(OUTAGE * 3);
        locker.execute_batch("COMMIT").expect("unlock");
    });

    let started = Instant::now();
    let backend = Launch::new()
        .database(&database)
        .listen_within(PATIENCE * 4)
        .start()
        .await;
    let listened = started.elapsed();
    released.join().expect("the locker");
    let mut client = super::durable::joined(&backend.url, "ada@example.com", "Ada").await;
    let ack = super::durable::send(&mut client, "after the lock", None, "ada-1").await;
    assert_eq!(ack["type"], "chat-ack", "{ack}");
    assert!(
        listened >= OUTAGE * 3,
        "listened after {listened:?}, before the lock was let go"
    );
    println!(
        "chat file locked {:?} at start: listening after {listened:?}, chat acked",
        OUTAGE * 3
    );
}
