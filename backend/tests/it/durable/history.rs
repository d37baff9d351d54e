//! History: a late joiner gets the recent page, pages back with `before` to the very first
//! message, and after a gap asks `after` its cursor for only what changed (new messages
//! and an edit made meanwhile).

use super::{history, member, number, roomy_config, send, texts};
use crate::it::harness::TestServer;
use serde_json::json;

const SENT: usize = 120;

#[tokio::test]
async fn a_late_joiner_pages_back_to_the_first_message_and_catches_up_only_the_gap() {
    let server = TestServer::start_with(roomy_config()).await;
    let mut alice = member(&server, "alice@example.com", "Alice").await;
    for n in 0..SENT {
        send(&mut alice, &format!("m{n}"), None, &format!("a-{n}")).await;
    }
    let mut carol = member(&server, "carol@example.com", "Carol").await;
    let latest = history(&mut carol, json!({"conversation": "room"})).await;
    let expected: Vec<String> = (SENT - 50..SENT).map(|n| format!("m{n}")).collect();
    assert_eq!(texts(&latest), expected, "the latest page of 50");
    assert_eq!(latest["more"], true);
    assert_eq!(latest["conversation"], "room");
    let cursor = number(&latest, "cursor");

    let mut pages = vec![texts(&latest)];
    let mut page = latest;
    let mut asked = 0;
    while page["more"] == true {
        asked += 1;
        assert!(asked <= SENT, "paging does not end");
        let oldest = number(&page["messages"][0], "id");
        let request = json!({"conversation": "room", "before": oldest, "limit": 30});
        page = history(&mut carol, request).await;
        pages.insert(0, texts(&page));
    }
    let all: Vec<String> = pages.concat();
    let sent: Vec<String> = (0..SENT).map(|n| format!("m{n}")).collect();
    assert_eq!(
        all, sent,
        "paging back reaches the first message, in order, once each"
    );

    // Carol is away; Alice writes three more and edits one Carol has seen.
    carol.close().await;
    let seen = number(&page["messages"][0], "id");
    alice
        .send_json(json!({"type": "chat-edit", "id": seen, "text": "m0, edited"}))
        .await;
    for n in SENT..SENT + 3 {
        send(&mut alice, &format!("m{n}"), None, &format!("a-{n}")).await;
    }
    let mut carol = member(&server, "carol@example.com", "Carol").await;
    let gap = history(&mut carol, json!({"after": cursor})).await;
    assert_eq!(texts(&gap), ["m0, edited", "m120", "m121", "m122"], "{gap}");
    assert!(gap["messages"][0]["editedAt"].is_u64(), "{gap}");
    assert_eq!(gap["more"], false);
    assert!(
        gap.get("conversation").is_none(),
        "an `after` over all names none: {gap}"
    );
    let again = history(&mut carol, json!({"after": number(&gap, "cursor")})).await;
    assert_eq!(
        texts(&again),
        Vec::<String>::new(),
        "nothing since the new cursor"
    );
    println!(
        "history: {SENT} messages paged back in {} pages; the gap after cursor {cursor} is 4 changes",
        pages.len()
    );
}
