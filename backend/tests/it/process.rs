//! The real `backend` binary as a process: killed with SIGKILL during activity and
//! restarted on the same SQLite file, stopped with SIGTERM, and run on the worker threads
//! it is given.

use super::binary::{Backend, Launch};
use super::harness::{Client, PATIENCE, emails, lists_exactly, profile};
use backend::store::{SqliteStore, UserStore};
use futures_util::{SinkExt, StreamExt};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tempfile::TempDir;
use tokio_tungstenite::tungstenite::Message;

/// How a mover's connection ended.
struct MoverEnd {
    moves: u32,
    /// Whether the server sent a close frame before the connection ended.
    close_frame: bool,
}

/// Connects, registers as `user{i}` and sends a new position every 5 ms, reading
/// whatever the server sends, until the connection ends.
async fn keep_moving(url: String, i: u32) -> MoverEnd {
    let (socket, _) = tokio::time::timeout(PATIENCE, tokio_tungstenite::connect_async(url))
        .await
        .expect("handshake in time")
        .expect("connect");
    let (mut sink, mut stream) = socket.split();
    let email = format!("user{i}@example.com");
    let name = format!("User {i}");
    let register = profile("add-user", &email, &name, None).to_string();
    let mut moves = 0u32;
    let mut close_frame = false;
    let mut ticker = tokio::time::interval(Duration::from_millis(5));
    if sink.send(Message::Text(register.into())).await.is_err() {
        return MoverEnd { moves, close_frame };
    }
    loop {
        tokio::select! {
            next = stream.next() => match next {
                Some(Ok(Message::Close(_))) => close_frame = true,
                Some(Ok(_)) => {}
                None | Some(Err(_)) => return MoverEnd { moves, close_frame },
            },
            _ = ticker.tick() => {
                let position = (48.0 + f64::from(moves) * 1e-4, 2.0 + f64::from(i) * 1e-3);
                let frame = profile("update-user", &email, &name, Some(position)).to_string();
                // A failed send means the connection is gone; the read side says how.
                if sink.send(Message::Text(frame.into())).await.is_ok() {
                    moves += 1;
                }
            }
        }
    }
}

fn database_in(folder: &TempDir) -> PathBuf {
    folder.path().join("users.sqlite3")
}

/// `PRAGMA integrity_check` of the file, as SQLite reports it (`ok` when intact).
fn integrity_check(database: &Path) -> String {
    let conn = rusqlite::Connection::open(database).expect("open the file");
    conn.query_row("PRAGMA integrity_check", [], |row| row.get::<_, String>(0))
        .expect("integrity check")
}

/// Waits until the store file holds at least `count` users with a position (the server
/// writes behind).
async fn await_stored(database: &Path, count: usize) {
    let store = SqliteStore::open(database).expect("open the file");
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let users = store.list().await.expect("list");
        let stored = users.iter().filter(|u| u.latitude.is_some()).count();
        if stored >= count {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {stored} of {count} users written"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn kill_9_during_activity_leaves_an_intact_store_and_nobody_online() {
    let folder = TempDir::new().expect("temp dir");
    let database = database_in(&folder);
    let mut backend = Backend::start(&database).await;

    // Ten users register, then keep moving until the process dies under them.
    let users: u32 = 10;
    let mut movers = Vec::new();
    for i in 0..users {
        movers.push(tokio::spawn(keep_moving(backend.url.clone(), i)));
    }
    // Activity is under way once every user's moves reach the file.
    await_stored(&database, users as usize).await;
    backend.kill_9();

    let mut total_moves = 0;
    for mover in movers {
        let ended = tokio::time::timeout(PATIENCE, mover)
            .await
            .expect("the mover notices the crash")
            .expect("no panic");
        total_moves += ended.moves;
        // The connection just ends: a crash sends no close frame.
        assert!(!ended.close_frame, "a close frame from a killed process");
    }

    assert_eq!(integrity_check(&database), "ok");
    let store = SqliteStore::open(&database).expect("open after the crash");
    let records = store.list().await.expect("list");
    assert_eq!(
        records.len(),
        users as usize,
        "every user registered before the crash"
    );
    for record in &records {
        assert!(
            record
                .latitude
                .is_none_or(|lat| (48.0..49.0).contains(&lat)),
            "{record:?}"
        );
    }
    let stored_online = records.iter().filter(|r| r.is_connected).count();
    drop(store);

    // A restart on the same file: nobody is online until they come back.
    let mut restarted = Backend::start(&database).await;
    let store = SqliteStore::open(&database).expect("open after the restart");
    let records = store.list().await.expect("list");
    assert!(
        records.iter().all(|r| !r.is_connected),
        "users still stored online after the restart: {records:?}"
    );
    drop(store);
    let mut fresh = Client::connect(&restarted.url, None).await;
    assert!(
        lists_exactly(&fresh.recv().await, &[]),
        "a restarted server shows nobody online"
    );

    // A client reconnects and registers as the same user: shown online exactly once.
    let mut again = Client::connect(&restarted.url, Some(shared::DELTA_SUBPROTOCOL)).await;
    again.add_user("user3@example.com", "User 3", None).await;
    let welcome = again.recv_type("welcome").await;
    assert_eq!(emails(&welcome["users"]), ["user3@example.com"]);
    let list = fresh
        .recv_until(|frame| {
            frame["type"] == "update-users" && frame["users"] != serde_json::json!([])
        })
        .await;
    assert_eq!(emails(&list["users"]), ["user3@example.com"]);
    // A client arriving now gets the room's list at once: user3, once.
    let mut check = Client::connect(&restarted.url, None).await;
    let listed = check.recv_type("update-users").await;
    assert_eq!(emails(&listed["users"]), ["user3@example.com"]);

    restarted.terminate();
    let (status, _, _, _) = tokio::join!(
        restarted.wait_exit(),
        fresh.closed(),
        again.closed(),
        check.closed()
    );
    assert!(status.success(), "{status:?}: {:?}", restarted.log_lines());
    assert_eq!(integrity_check(&database), "ok");
    println!(
        "kill -9: {users} users, {total_moves} moves sent before the crash, \
         {stored_online} stored online at the crash, 0 online after the restart"
    );
}

#[tokio::test]
async fn sigterm_closes_every_client_with_1001_exits_0_and_flushes_the_store() {
    let folder = TempDir::new().expect("temp dir");
    let database = database_in(&folder);
    // Idle clients stay until the SIGTERM: the test reads one client at a time, and the
    // others must not be closed for not answering pings before it (a 1 s idle timeout
    // raced Alice's move, held up to a second after her join, and lost it with her).
    let mut backend = Launch::new()
        .database(&database)
        .args(["--ping-interval-ms", "200", "--idle-timeout-ms", "30000"])
        .start()
        .await;

    let mut legacy = Client::connect(&backend.url, None).await;
    let mut delta = Client::connect(
        &format!("{}?room=r", backend.url),
        Some(shared::DELTA_SUBPROTOCOL),
    )
    .await;
    let mut unregistered = Client::connect(&backend.url, None).await;
    let mut unregistered_delta =
        Client::connect(&backend.url, Some(shared::DELTA_SUBPROTOCOL)).await;
    legacy
        .add_user("alice@example.com", "Alice", Some((48.85, 2.35)))
        .await;
    delta.add_user("bob@example.com", "Bob", None).await;
    legacy.await_online(&["alice@example.com"]).await;
    delta.await_online(&["bob@example.com"]).await;

    // Alice moves; once the room has been told, the server has taken the move, and the
    // SIGTERM comes right after: only the shutdown flush can have written it.
    legacy
        .send_json(profile(
            "update-user",
            "alice@example.com",
            "Alice",
            Some((48.8566, 2.3522)),
        ))
        .await;
    unregistered
        .recv_until(|frame| {
            frame["type"] == "update-users" && frame["users"][0]["latitude"] == 48.8566
        })
        .await;
    backend.terminate();

    let (status, codes) = tokio::join!(backend.wait_exit(), async {
        let mut codes = Vec::new();
        for client in [
            &mut legacy,
            &mut delta,
            &mut unregistered,
            &mut unregistered_delta,
        ] {
            codes.push(client.closed().await);
        }
        codes
    });
    assert_eq!(codes, [Some(1001); 4], "every client hears 1001 going away");
    let log = backend.log_lines().to_vec();
    assert_eq!(status.code(), Some(0), "{status:?}: {log:?}");

    assert_eq!(integrity_check(&database), "ok");
    let store = SqliteStore::open(&database).expect("open the file");
    let alice = store
        .get("alice@example.com")
        .await
        .expect("get")
        .expect("alice stored");
    assert_eq!(
        (alice.latitude, alice.longitude),
        (Some(48.8566), Some(2.3522))
    );
    assert!(!alice.is_connected, "{alice:?}");
    let bob = store
        .get("bob@example.com")
        .await
        .expect("get")
        .expect("bob stored");
    assert!(!bob.is_connected, "{bob:?}");
    println!("sigterm: 4 clients closed with 1001, exit 0, last position flushed");
}

#[tokio::test]
async fn the_worker_threads_flag_and_its_variable_set_how_many_threads_serve() {
    let folder = TempDir::new().expect("temp dir");
    // The start-up line reads the runtime's own count of its workers.
    let mut one = Launch::new()
        .database(&database_in(&folder))
        .args(["--worker-threads", "1"])
        .start()
        .await;
    one.logged(PATIENCE, |line| {
        line.contains("serving on 1 worker thread(s)")
    })
    .await;
    let mut client = Client::connect(&one.url, Some(shared::DELTA_SUBPROTOCOL)).await;
    client.add_user("ann@example.com", "Ann", None).await;
    client.await_online(&["ann@example.com"]).await;

    let other = TempDir::new().expect("temp dir");
    let mut three = Launch::new()
        .database(&database_in(&other))
        .env("MEETMAP_WORKER_THREADS", "3")
        .start()
        .await;
    three
        .logged(PATIENCE, |line| {
            line.contains("serving on 3 worker thread(s)")
        })
        .await;
}
