//! Tests of the write-behind writer against an in-memory store that can fail or stall.

use super::shared::MAX_SEEN;
use super::*;
use crate::store::StoreError;
use futures_util::FutureExt;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::Semaphore;

/// An in-memory store that can fail its next writes or hold them at a gate.
#[derive(Default)]
struct FakeStore {
    users: Mutex<HashMap<String, UserRecord>>,
    /// Every batch the store was asked to write, failed ones included.
    attempts: Mutex<Vec<Vec<UserRecord>>>,
    fail_next: AtomicUsize,
    /// When set, each write waits for and uses up one permit here.
    gate: Option<Semaphore>,
    /// Notified when a write starts.
    started: Notify,
}

impl FakeStore {
    fn gated() -> FakeStore {
        FakeStore {
            gate: Some(Semaphore::new(0)),
            ..FakeStore::default()
        }
    }

    /// Lets `writes` more writes through the gate.
    fn release(&self, writes: usize) {
        self.gate.as_ref().unwrap().add_permits(writes);
    }

    fn failing(times: usize) -> FakeStore {
        FakeStore {
            fail_next: AtomicUsize::new(times),
            ..FakeStore::default()
        }
    }

    fn stored(&self, email: &str) -> Option<UserRecord> {
        self.users.lock().unwrap().get(email).cloned()
    }

    fn attempts_with(&self, email: &str) -> usize {
        let attempts = self.attempts.lock().unwrap();
        attempts
            .iter()
            .filter(|batch| batch.iter().any(|r| r.email == email))
            .count()
    }
}

impl UserStore for FakeStore {
    async fn write(&self, records: Vec<UserRecord>) -> Result<(), StoreError> {
        self.attempts.lock().unwrap().push(records.clone());
        self.started.notify_one();
        if let Some(gate) = &self.gate {
            gate.acquire().await.unwrap().forget();
        }
        let failed = self
            .fail_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        if failed.is_ok() {
            return Err(StoreError("store is down".into()));
        }
        let mut users = self.users.lock().unwrap();
        for r in records {
            users.insert(r.email.clone(), r);
        }
        Ok(())
    }

    async fn reset_presence(&self) -> Result<(), StoreError> {
        Ok(())
    }

    async fn get(&self, email: &str) -> Result<Option<UserRecord>, StoreError> {
        Ok(self.stored(email))
    }

    async fn purge_not_seen_since(&self, cutoff_ms: u64) -> Result<usize, StoreError> {
        let mut users = self.users.lock().unwrap();
        let before = users.len();
        users.retain(|_, r| r.is_connected || r.last_seen_ms >= cutoff_ms);
        Ok(before - users.len())
    }
}

fn at(email: &str, step: u64) -> UserRecord {
    UserRecord {
        email: email.into(),
        name: email.to_uppercase(),
        latitude: Some(step as f64),
        longitude: Some(-(step as f64)),
        is_connected: true,
        last_seen_ms: step,
    }
}

/// Fails the test instead of hanging it when a bug keeps a future pending.
async fn within<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(5), future)
        .await
        .expect("timed out")
}

async fn flushed(writer: &WriteBehind) {
    within(writer.flush()).await;
}

const FAST: RetryPolicy = RetryPolicy {
    initial: Duration::from_millis(1),
    max: Duration::from_millis(5),
};

#[tokio::test]
async fn latest_record_wins() {
    let store = Arc::new(FakeStore::default());
    let writer = WriteBehind::spawn(Arc::clone(&store), FAST);
    for step in 1..=3 {
        writer.record(at("ada@example.com", step));
    }
    writer.record(at("bob@example.com", 1));
    flushed(&writer).await;

    assert_eq!(
        store.stored("ada@example.com"),
        Some(at("ada@example.com", 3))
    );
    assert_eq!(
        store.stored("bob@example.com"),
        Some(at("bob@example.com", 1))
    );
    assert_eq!(writer.pending(), 0);
}

#[tokio::test]
async fn flush_waits_for_the_write() {
    let store = Arc::new(FakeStore::gated());
    let writer = WriteBehind::spawn(Arc::clone(&store), FAST);
    writer.record(at("ada@example.com", 1));
    store.started.notified().await;

    let flush = writer.flush();
    tokio::pin!(flush);
    assert!(
        flush.as_mut().now_or_never().is_none(),
        "flushed before the write"
    );
    assert_eq!(writer.pending(), 1);

    store.release(1);
    within(flush).await;
    assert_eq!(
        store.stored("ada@example.com"),
        Some(at("ada@example.com", 1))
    );
    assert_eq!(writer.pending(), 0);
}

#[tokio::test]
async fn failed_writes_are_retried_until_they_succeed() {
    let store = Arc::new(FakeStore {
        fail_next: AtomicUsize::new(3),
        ..FakeStore::gated()
    });
    let writer = WriteBehind::spawn(Arc::clone(&store), FAST);
    writer.record(at("ada@example.com", 1));
    store.started.notified().await;
    // Recorded while the first (failing) write is in flight: the retry must not undo it.
    writer.record(at("ada@example.com", 2));
    store.release(10);
    flushed(&writer).await;

    assert_eq!(
        store.stored("ada@example.com"),
        Some(at("ada@example.com", 2))
    );
    assert_eq!(store.attempts_with("ada@example.com"), 4);
    assert_eq!(writer.pending(), 0);
}

#[tokio::test]
async fn ten_updates_while_slow_cost_at_most_two_writes() {
    let store = Arc::new(FakeStore::gated());
    let writer = WriteBehind::spawn(Arc::clone(&store), FAST);
    writer.record(at("ada@example.com", 1));
    store.started.notified().await;
    for step in 2..=10 {
        writer.record(at("ada@example.com", step));
    }
    assert_eq!(writer.pending(), 2, "one in flight, one coalesced");

    let flush = writer.flush();
    tokio::pin!(flush);
    assert!(flush.as_mut().now_or_never().is_none());
    store.release(1);
    store.started.notified().await;
    // The first write is done but the 10th move is still in flight.
    assert!(flush.as_mut().now_or_never().is_none(), "flushed too early");
    store.release(1);
    within(flush).await;

    assert_eq!(store.attempts_with("ada@example.com"), 2);
    assert_eq!(
        store.stored("ada@example.com"),
        Some(at("ada@example.com", 10))
    );
    assert_eq!(writer.pending(), 0);
}

#[tokio::test]
async fn shutdown_flushes() {
    let store = Arc::new(FakeStore::failing(1));
    let writer = WriteBehind::spawn(Arc::clone(&store), FAST);
    writer.record(at("ada@example.com", 1));
    writer.record(at("bob@example.com", 1));

    assert!(
        within(writer.shutdown(Duration::from_secs(3600)))
            .await
            .is_empty()
    );
    assert_eq!(
        store.stored("ada@example.com"),
        Some(at("ada@example.com", 1))
    );
    assert_eq!(
        store.stored("bob@example.com"),
        Some(at("bob@example.com", 1))
    );
    // The writer is gone, so a later flush must not wait for it.
    writer.record(at("ada@example.com", 2));
    flushed(&writer).await;
    assert_eq!(writer.pending(), 1);
}

#[tokio::test]
async fn shutdown_gives_up_after_deadline_when_store_is_down() {
    let store = Arc::new(FakeStore::failing(usize::MAX));
    let writer = WriteBehind::spawn(Arc::clone(&store), FAST);
    writer.record(at("ada@example.com", 1));
    store.started.notified().await;

    assert_eq!(
        within(writer.shutdown(Duration::from_millis(50))).await,
        ["ada@example.com"]
    );
    assert_eq!(writer.pending(), 1);
    assert_eq!(store.stored("ada@example.com"), None);
}

#[tokio::test]
async fn shutdown_gives_up_when_a_write_hangs() {
    let store = Arc::new(FakeStore::gated());
    let writer = WriteBehind::spawn(Arc::clone(&store), FAST);
    writer.record(at("ada@example.com", 1));
    store.started.notified().await;

    assert_eq!(
        within(writer.shutdown(Duration::from_millis(50))).await,
        ["ada@example.com"],
        "the write in flight is named"
    );
    // Flushers are released once the writer is gone.
    flushed(&writer).await;
}

#[tokio::test]
async fn record_unless_seen_leaves_known_users_alone() {
    let store = Arc::new(FakeStore::default());
    let writer = WriteBehind::spawn(Arc::clone(&store), FAST);
    writer.begin_corrections();
    writer.record(at("ada@example.com", 2));
    flushed(&writer).await;
    assert!(!writer.record_unless_seen(at("ada@example.com", 1)));
    assert!(writer.record_unless_seen(at("bob@example.com", 1)));
    assert!(!writer.record_unless_seen(at("bob@example.com", 3)));
    flushed(&writer).await;
    assert_eq!(
        store.stored("ada@example.com"),
        Some(at("ada@example.com", 2))
    );
    assert_eq!(
        store.stored("bob@example.com"),
        Some(at("bob@example.com", 1))
    );
}

#[tokio::test]
async fn nothing_is_kept_per_email_outside_the_corrections() {
    let store = Arc::new(FakeStore::default());
    let writer = WriteBehind::spawn(Arc::clone(&store), FAST);
    writer.record(at("ada@example.com", 1));
    assert!(writer.shared.lock().seen.is_none());
    assert!(
        !writer.record_unless_seen(at("bob@example.com", 1)),
        "who was seen is not known: no correction"
    );

    writer.begin_corrections();
    writer.record(at("carol@example.com", 1));
    assert!(writer.record_unless_seen(at("dan@example.com", 1)));
    assert_eq!(
        writer.shared.lock().seen.as_ref().map(HashSet::len),
        Some(2)
    );
    writer.end_corrections();
    assert!(
        writer.shared.lock().seen.is_none(),
        "the emails are forgotten"
    );
    assert!(!writer.record_unless_seen(at("erin@example.com", 1)));
    flushed(&writer).await;
    assert_eq!(store.stored("bob@example.com"), None);
    assert!(store.stored("dan@example.com").is_some());
}

#[tokio::test]
async fn corrections_are_given_up_past_the_bound() {
    let store = Arc::new(FakeStore::default());
    let writer = WriteBehind::spawn(Arc::clone(&store), FAST);
    writer.begin_corrections();
    for i in 0..=MAX_SEEN {
        writer.record(at(&format!("user{i}@example.com"), 1));
    }
    assert!(writer.shared.lock().seen.is_none());
    assert!(!writer.record_unless_seen(at("late@example.com", 1)));
}

#[tokio::test]
async fn shutdown_retries_at_once_and_often_within_the_deadline() {
    // A long backoff: without the shutdown's cap the next try would come after an hour.
    let slow = RetryPolicy {
        initial: Duration::from_secs(3600),
        max: Duration::from_secs(3600),
    };
    let store = Arc::new(FakeStore::failing(3));
    let writer = WriteBehind::spawn(Arc::clone(&store), slow);
    writer.record(at("ada@example.com", 1));
    store.started.notified().await;

    let started = tokio::time::Instant::now();
    let unwritten = within(writer.shutdown(Duration::from_secs(4))).await;
    assert!(unwritten.is_empty(), "{unwritten:?}");
    assert_eq!(store.attempts_with("ada@example.com"), 4);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        store.stored("ada@example.com"),
        Some(at("ada@example.com", 1))
    );
}
