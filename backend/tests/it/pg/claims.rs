//! The claims on PostgreSQL as two nodes see them (two pools on one database): claimants
//! at the same moment, on different nodes, never both win.

use super::{database, pool};
use backend::claims::{ClaimStore, Claimed};
use std::time::Duration;

const NOW: u64 = 1_800_000_000_000;
const TTL: Duration = Duration::from_secs(30 * 86_400);

fn won(outcomes: &[Claimed]) -> usize {
    outcomes
        .iter()
        .filter(|c| matches!(c, Claimed::New(_)))
        .count()
}

#[tokio::test]
async fn two_nodes_claiming_one_email_or_two_lookalikes_at_once_one_wins() {
    let (_server, url) = database("claims_race").await;
    let (a, b) = (
        ClaimStore::postgres(pool(&url), TTL),
        ClaimStore::postgres(pool(&url), TTL),
    );
    for round in 0..20 {
        let email = format!("racer{round}@example.com");
        let (one, two) = tokio::join!(a.claim(&email, &email, NOW), b.claim(&email, &email, NOW));
        assert_eq!(won(&[one.unwrap(), two.unwrap()]), 1, "{email}");
        let (twin_a, twin_b) = (format!("twin{round}a@x.com"), format!("twin{round}b@x.com"));
        let skeleton = format!("twin{round}");
        let (one, two) = tokio::join!(
            a.claim(&twin_a, &skeleton, NOW),
            b.claim(&twin_b, &skeleton, NOW)
        );
        let (one, two) = (one.unwrap(), two.unwrap());
        assert!(
            matches!(two, Claimed::Confusable { .. }) || matches!(one, Claimed::Confusable { .. }),
            "{one:?} {two:?}"
        );
        assert_eq!(won(&[one, two]), 1);
    }
}

#[tokio::test]
async fn a_device_proven_revoked_and_purged_as_in_sqlite() {
    let (_server, url) = database("claims_devices").await;
    let store = ClaimStore::postgres(pool(&url), TTL);
    let Claimed::New(phone) = store.claim("ada@x.com", "ada", NOW).await.unwrap() else {
        panic!("not claimed");
    };
    let laptop = store.add_device("ada@x.com", "ada", NOW + 1).await.unwrap();
    assert!(store.touch_device("ada@x.com", &phone, NOW).await.unwrap());
    assert!(
        !store
            .touch_device("ada@x.com", "forged", NOW)
            .await
            .unwrap()
    );
    let devices = store.devices("ada@x.com").await.unwrap();
    assert_eq!(devices.first().map(|d| d.0.as_str()), Some(laptop.as_str()));
    assert_eq!(store.revoke_others("ada@x.com", &laptop).await.unwrap(), 1);
    assert!(!store.touch_device("ada@x.com", &phone, NOW).await.unwrap());
    let lapsed = NOW + 31 * 86_400_000;
    assert!(!store.is_claimed("ada@x.com", lapsed).await.unwrap());
    assert_eq!(
        store.purge(lapsed, NOW + 2).await.unwrap(),
        2,
        "the device, the identity"
    );
    assert!(store.flush().await);
}

/// `count` first claims of fresh emails, `at_once` in flight; returns claims per second.
async fn claims_per_second(store: &ClaimStore, prefix: &str, count: usize, at_once: usize) -> f64 {
    use futures_util::StreamExt;
    let started = std::time::Instant::now();
    let claimed = futures_util::stream::iter(0..count)
        .map(|i| {
            let email = format!("{prefix}{i}@example.com");
            async move { store.claim(&email, &email, NOW).await }
        })
        .buffer_unordered(at_once)
        .filter(|c| std::future::ready(matches!(c, Ok(Claimed::New(_)))))
        .count()
        .await;
    assert_eq!(claimed, count, "every fresh email claimed");
    count as f64 / started.elapsed().as_secs_f64()
}

/// The figure beside SQLite's: a burst of sign-ins of new emails on each store.
#[tokio::test]
async fn a_burst_of_new_claims_on_postgres_beside_sqlite() {
    let (_server, url) = database("claims_burst").await;
    let postgres = ClaimStore::postgres(pool(&url), TTL);
    let folder = tempfile::tempdir().unwrap();
    let sqlite = ClaimStore::open(&folder.path().join("claims.sqlite3"), TTL).unwrap();
    let pg_rate = claims_per_second(&postgres, "pg", 2_000, 4).await;
    let sqlite_rate = claims_per_second(&sqlite, "lite", 2_000, 4).await;
    println!("new claims: postgres {pg_rate:.0}/s (pool of 4), sqlite {sqlite_rate:.0}/s");
}
