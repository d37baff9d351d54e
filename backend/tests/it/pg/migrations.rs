//! Two backends started at once on an empty database: the migrations take turns under
//! their advisory lock, and both nodes come up and serve.

use super::{database, pool};
use crate::it::binary::Launch;
use crate::it::harness::Client;

#[tokio::test]
async fn two_backends_started_at_once_on_an_empty_database_both_come_up() {
    let (_server, url) = database("migrations_race").await;
    let folders = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let start = |id: &'static str, folder: &tempfile::TempDir| {
        Launch::new()
            .args(["--database", &url, "--node-id", id])
            .arg("--data-dir")
            .arg(folder.path())
            .start()
    };
    let (one, two) = tokio::join!(start("n1", &folders[0]), start("n2", &folders[1]));
    for (backend, email) in [(&one, "one@example.com"), (&two, "two@example.com")] {
        let url = format!("{}?room=lobby", backend.url);
        let mut client = Client::connect(&url, Some(shared::DELTA_SUBPROTOCOL)).await;
        client.add_user(email, "Someone", None).await;
        let welcome = client.recv_type("welcome").await;
        assert!(welcome["token"].is_string(), "{welcome}");
    }
    let conn = pool(&url).get().await.expect("a connection");
    let rows = conn
        .query(
            "SELECT part, version FROM meetmap_schema ORDER BY part",
            &[],
        )
        .await
        .expect("the versions");
    let parts: Vec<(String, i32)> = rows.iter().map(|row| (row.get(0), row.get(1))).collect();
    let expected = [
        ("chat".into(), 2),
        ("claims".into(), 2),
        ("users".into(), 1),
    ];
    assert_eq!(parts, expected);
}
