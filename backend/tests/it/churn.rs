//! Churn: a thousand random connects, registrations, clean closes and abrupt drops from 50
//! client slots, watched by one observer; afterwards presence is exactly the open
//! registered connections.
//!
//! Presence deltas are idempotent statements batched per tick: `joined` says "online with
//! this profile", `left` says "offline". Within one tick a user's changes coalesce into one
//! entry (whether they are online at the tick), so a user who came and went between two
//! ticks produces a `left` without a `joined` before it, and one who went and came back
//! produces only a `joined`. What "one `left` per user who left" means, then:
//! - no frame names a user twice;
//! - a user offline at the end, once shown online, is last named in a `left`;
//! - every `left` after their last `joined` beyond the first is one of these unseen visits,
//!   so there are never more `left`s for a user than times that user went from zero open
//!   registered connections to one (counted by the driver);
//! - the observer's view and a fresh client's list both equal the open registered
//!   connections: no ghost, nobody missing.

use super::frames::delta_emails;
use super::harness::{Client, PATIENCE, TestServer, emails};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::time::Instant;

const OPERATIONS: usize = 1_000;
const SLOTS: usize = 50;
/// Fewer emails than slots, so users often have several tabs.
const EMAILS: usize = 30;
const SEED: u64 = 0x6d65_6574_6d61_7036;
const OBSERVER: &str = "observer@example.com";

/// One client slot: empty, connected, or connected and registered as an email.
type Slot = Option<(Client, Option<String>)>;

/// What the driver did, and what it knows of each email.
#[derive(Default)]
struct Driver {
    connects: usize,
    registrations: usize,
    closes: usize,
    drops: usize,
    /// Open registered connections per email.
    open: BTreeMap<String, usize>,
    /// Times each email went from no open registered connection to one.
    visits: BTreeMap<String, usize>,
}

impl Driver {
    fn registered(&mut self, email: &str) {
        self.registrations += 1;
        let open = self.open.entry(email.to_owned()).or_default();
        if *open == 0 {
            *self.visits.entry(email.to_owned()).or_default() += 1;
        }
        *open += 1;
    }

    fn gone(&mut self, email: Option<&str>) {
        if let Some(email) = email
            && let Some(open) = self.open.get_mut(email)
        {
            *open -= 1;
        }
    }

    fn online(&self) -> BTreeSet<String> {
        self.open
            .iter()
            .filter(|(_, open)| **open > 0)
            .map(|(email, _)| email.clone())
            .collect()
    }
}

#[tokio::test]
async fn presence_survives_a_thousand_random_operations() {
    let server = TestServer::start().await;
    let mut observer = Client::delta(&server, "").await;
    observer.add_user(OBSERVER, "Observer", None).await;
    observer.await_online(&[OBSERVER]).await;

    // The observer reads all along, so its outbox never fills while the driver works.
    let (stop, stopped) = oneshot::channel::<()>();
    let watching = tokio::spawn(async move {
        tokio::pin!(stopped);
        loop {
            tokio::select! {
                _ = &mut stopped => return observer,
                _ = tokio::time::timeout(Duration::from_secs(1), observer.recv()) => {}
            }
        }
    });

    let mut rng = fastrand::Rng::with_seed(SEED);
    let mut slots: Vec<Slot> = (0..SLOTS).map(|_| None).collect();
    let mut driver = Driver::default();
    let started = Instant::now();
    for _ in 0..OPERATIONS {
        let slot = rng.usize(0..SLOTS);
        match slots[slot].take() {
            None => {
                driver.connects += 1;
                slots[slot] = Some((Client::delta(&server, "").await, None));
            }
            Some((mut client, None)) if rng.u8(0..2) == 0 => {
                let email = format!("user{}@example.com", rng.usize(0..EMAILS));
                client.add_user(&email, &email, None).await;
                driver.registered(&email);
                slots[slot] = Some((client, Some(email)));
            }
            Some((client, email)) => {
                if rng.bool() {
                    driver.closes += 1;
                    client.close().await;
                } else {
                    driver.drops += 1;
                    client.drop_abruptly();
                }
                driver.gone(email.as_deref());
            }
        }
    }
    let churned = started.elapsed();

    let _ = stop.send(());
    let mut observer = watching.await.expect("observer task");
    let mut expected = driver.online();
    expected.insert(OBSERVER.to_owned());
    let converged = await_view(&mut observer, &expected).await;
    let seen: BTreeSet<String> = observer.online().into_iter().collect();
    let ghosts: Vec<&String> = seen.difference(&expected).collect();
    let missing: Vec<&String> = expected.difference(&seen).collect();
    let mut fresh = Client::legacy(&server, "").await;
    let list = fresh.recv_type("update-users").await;
    let listed: BTreeSet<String> = emails(&list["users"]).into_iter().collect();

    let report = check_lefts(&observer.received, &expected, &driver.visits);
    println!(
        "churn: {OPERATIONS} operations in {churned:?} ({} connects, {} registrations, \
         {} clean closes, {} abrupt drops); {} online at the end; converged in {converged:?}; \
         observer: {} presence frames, {} joined, {} left; ghosts {}, missing {}; \
         fresh list {} users; users offline at the end {}, with extra lefts from unseen visits {}",
        driver.connects,
        driver.registrations,
        driver.closes,
        driver.drops,
        expected.len() - 1,
        report.frames,
        report.joined,
        report.left,
        ghosts.len(),
        missing.len(),
        listed.len(),
        report.offline_users,
        report.users_with_extra_lefts,
    );
    assert!(
        ghosts.is_empty() && missing.is_empty(),
        "ghosts {ghosts:?}, missing {missing:?}"
    );
    assert_eq!(listed, expected, "a fresh client's list");
    assert!(
        report.problems.is_empty(),
        "presence deltas: {:#?}",
        report.problems
    );
    assert!(driver.registrations > 100 && driver.drops > 100 && driver.closes > 100);
}

/// Reads until the observer's view is `expected` or the patience runs out; returns how
/// long it took.
async fn await_view(observer: &mut Client, expected: &BTreeSet<String>) -> Duration {
    let started = Instant::now();
    let deadline = started + PATIENCE;
    while observer.online().into_iter().collect::<BTreeSet<_>>() != *expected {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let _ = tokio::time::timeout(left.min(Duration::from_secs(1)), observer.recv()).await;
    }
    started.elapsed()
}

#[derive(Debug, Default)]
struct LeftReport {
    frames: usize,
    joined: usize,
    left: usize,
    offline_users: usize,
    users_with_extra_lefts: usize,
    problems: Vec<String>,
}

/// Checks the observer's `presence` frames against the rules in this file's doc.
fn check_lefts(
    received: &[Value],
    online: &BTreeSet<String>,
    visits: &BTreeMap<String, usize>,
) -> LeftReport {
    let mut report = LeftReport::default();
    // Per email, the sequence of entries naming it: true for joined, false for left.
    let mut history: BTreeMap<String, Vec<bool>> = BTreeMap::new();
    for frame in received.iter().filter(|f| f["type"] == "presence") {
        report.frames += 1;
        let joined = emails(&frame["joined"]);
        let left = delta_emails(frame, "left");
        let moved = delta_emails(frame, "moved");
        let mut named: Vec<&String> = joined.iter().chain(&left).chain(&moved).collect();
        named.sort();
        let before = named.len();
        named.dedup();
        if named.len() != before {
            report
                .problems
                .push(format!("a frame names a user twice: {frame}"));
        }
        report.joined += joined.len();
        report.left += left.len();
        for email in joined {
            history.entry(email).or_default().push(true);
        }
        for email in left {
            history.entry(email).or_default().push(false);
        }
    }
    for (email, entries) in &history {
        if email == OBSERVER {
            continue;
        }
        let lefts = entries.iter().filter(|joined| !**joined).count();
        let visits = visits.get(email).copied().unwrap_or(0);
        if lefts > visits {
            report.problems.push(format!(
                "{email}: {lefts} lefts for {visits} visits: {entries:?}"
            ));
        }
        if online.contains(email) {
            continue;
        }
        report.offline_users += 1;
        let Some(last_joined) = entries.iter().rposition(|joined| *joined) else {
            // Every visit came and went between two ticks: only `left`s, all harmless.
            continue;
        };
        let after = entries.len() - last_joined - 1;
        match after {
            0 => report
                .problems
                .push(format!("{email}: offline but its last entry is joined")),
            1 => {}
            _ => report.users_with_extra_lefts += 1,
        }
    }
    report
}
