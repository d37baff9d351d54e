//! The claims tables on a real SQLite file.

use super::*;
use crate::admission::claims::Claimed;
use tempfile::TempDir;

const ALICE: &str = "alice@example.com";
const DAY_MS: u64 = 24 * 60 * 60 * 1000;
const NOW: u64 = 1_800_000_000_000;

fn open(dir: &TempDir) -> SqliteClaims {
    SqliteClaims::open(
        &dir.path().join("claims.sqlite3"),
        Duration::from_secs(30 * 86_400),
    )
    .unwrap()
}

#[tokio::test]
async fn the_first_claim_wins_and_its_device_is_live() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    assert!(!store.is_claimed(ALICE, NOW).await.unwrap());
    let Claimed::New(device) = store.claim(ALICE, ALICE, NOW).await.unwrap() else {
        panic!("not claimed");
    };
    assert!(store.is_claimed(ALICE, NOW).await.unwrap());
    assert_eq!(
        store.claim(ALICE, ALICE, NOW).await.unwrap(),
        Claimed::Taken
    );
    assert!(store.touch_device(ALICE, &device, NOW).await.unwrap());
    assert!(!store.touch_device(ALICE, "forged", NOW).await.unwrap());
    assert!(
        !store
            .touch_device("bob@example.com", &device, NOW)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn a_lookalike_of_a_known_email_is_refused() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    store.claim(ALICE, "skeleton-of-alice", NOW).await.unwrap();
    assert_eq!(
        store
            .claim("аlice@example.com", "skeleton-of-alice", NOW)
            .await
            .unwrap(),
        Claimed::Confusable {
            existing: ALICE.into()
        }
    );
    let seen = store
        .note_identity("alicе@example.com", "skeleton-of-alice", NOW)
        .await
        .unwrap();
    assert_eq!(seen.as_deref(), Some(ALICE));
    assert_eq!(
        store
            .note_identity("bob@example.com", "bob", NOW)
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn revoked_and_released_devices_no_longer_hold_the_claim() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    let Claimed::New(phone) = store.claim(ALICE, ALICE, NOW).await.unwrap() else {
        panic!("not claimed");
    };
    let laptop = store.add_device(ALICE, ALICE, NOW).await.unwrap();
    assert_eq!(store.devices(ALICE).await.unwrap().len(), 2);
    store.revoke(ALICE, &phone).await.unwrap();
    assert!(!store.touch_device(ALICE, &phone, NOW).await.unwrap());
    assert!(store.touch_device(ALICE, &laptop, NOW).await.unwrap());
    assert_eq!(store.release(ALICE).await.unwrap(), 1);
    assert!(!store.is_claimed(ALICE, NOW).await.unwrap());
    assert!(matches!(
        store.claim(ALICE, ALICE, NOW).await.unwrap(),
        Claimed::New(_)
    ));
}

#[tokio::test]
async fn an_unused_device_lapses_and_the_purge_forgets_it() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    store.claim(ALICE, ALICE, NOW).await.unwrap();
    store
        .note_identity("bob@example.com", "bob", NOW)
        .await
        .unwrap();
    let later = NOW + 31 * DAY_MS;
    assert!(!store.is_claimed(ALICE, later).await.unwrap());
    let removed = store.purge(later, NOW + 1).await.unwrap();
    assert_eq!(removed, 3, "alice's device, alice's and bob's identities");
    assert!(store.devices(ALICE).await.unwrap().is_empty());
}

#[tokio::test]
async fn two_claimants_at_once_one_wins() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    let (a, b) = tokio::join!(
        store.claim(ALICE, ALICE, NOW),
        store.claim(ALICE, ALICE, NOW)
    );
    let won = [a.unwrap(), b.unwrap()]
        .iter()
        .filter(|c| matches!(c, Claimed::New(_)))
        .count();
    assert_eq!(won, 1);
}

#[tokio::test]
async fn claims_made_while_another_process_locks_the_file_are_kept_and_written_later() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    let locker = Connection::open(dir.path().join("claims.sqlite3")).unwrap();
    locker.execute_batch("BEGIN EXCLUSIVE").unwrap();

    let Claimed::New(device) = store.claim(ALICE, ALICE, NOW).await.unwrap() else {
        panic!("not claimed");
    };
    assert!(store.is_claimed(ALICE, NOW).await.unwrap());
    assert_eq!(
        store.claim(ALICE, ALICE, NOW).await.unwrap(),
        Claimed::Taken
    );
    assert!(store.touch_device(ALICE, &device, NOW).await.unwrap());
    assert!(!store.flush().await, "still locked");

    locker.execute_batch("COMMIT").unwrap();
    assert!(store.flush().await);
    let rows: i64 = locker
        .query_row("SELECT COUNT(*) FROM claim_devices", [], |row| row.get(0))
        .unwrap();
    assert_eq!(rows, 1, "the claim reached the file");
}
