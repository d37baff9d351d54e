//! Finding 4: while `alice@x.com` was online, emails with a zero-width space, a soft
//! hyphen, a fullwidth `ａ`, a Cyrillic `а`, `。` for the dot, or NFD `á` were accepted as
//! new users, and names with invisible characters were accepted.

use super::*;
use crate::it::harness::TestServer;

#[tokio::test]
async fn lookalikes_of_a_claimed_email_are_refused_or_are_the_same_email() {
    let server = TestServer::start_with(claims_config()).await;
    let mut alice = Client::delta(&server, "").await;
    alice
        .send_json(add_user("alice@x.com", None, None, None))
        .await;
    alice.recv_type("welcome").await;
    let mut nfc = Client::delta(&server, "").await;
    nfc.send_json(add_user("jos\u{e1}@x.com", None, None, None))
        .await;
    nfc.recv_type("welcome").await;

    let attempts = [
        ("alice\u{200b}@x.com", "invalid-field"),
        ("al\u{ad}ice@x.com", "invalid-field"),
        ("\u{ff41}lice@x.com", "email-claimed"),
        ("\u{430}lice@x.com", "email-confusable"),
        ("alice@x\u{3002}com", "email-claimed"),
        ("jos\u{61}\u{301}@x.com", "email-claimed"),
    ];
    let mut mallory = Client::delta(&server, "").await;
    for (email, expected) in attempts {
        let refusal = mallory.refused(add_user(email, None, None, None)).await;
        assert_eq!(refusal["code"], expected, "{email:?}: {refusal}");
    }
    println!(
        "lookalike emails refused: {} of {}",
        attempts.len(),
        attempts.len()
    );
    // Offline too, the same-email forms meet the claim.
    alice.close().await;
    let refusal = mallory
        .refused(add_user("\u{ff41}lice@x.com", None, None, None))
        .await;
    assert_eq!(refusal["code"], "email-claimed", "{refusal}");
}

#[tokio::test]
async fn invisible_and_stacked_names_are_refused() {
    let server = TestServer::start_with(claims_config()).await;
    let mut client = Client::delta(&server, "").await;
    let names = [
        "Al\u{ad}ice",
        "Alice\u{61c}",
        "Ali\u{180e}ce",
        "Ali\u{34f}ce",
        "\u{3164}",
        "\u{2800}",
        "Alice\u{e0041}",
        &format!("A{}", "\u{301}".repeat(63)),
    ];
    for name in names {
        let frame = profile("add-user", "mallory@example.com", name, None);
        let refusal = client.refused(frame).await;
        assert_eq!(refusal["code"], "invalid-field", "{name:?}: {refusal}");
        assert_eq!(refusal["field"], "name", "{refusal}");
    }
    println!(
        "invisible or stacked names refused: {} of {}",
        names.len(),
        names.len()
    );
}
