//! Finding 5: a relayed payload with `"email":["carol@x.com"]` or an object was relayed
//! unchanged; only string claims were refused.

use super::*;
use crate::it::harness::TestServer;

#[tokio::test]
async fn identity_fields_of_any_json_type_are_refused_unless_exactly_the_senders() {
    let server = TestServer::start_with(claims_config()).await;
    let mut alice = Client::delta(&server, "").await;
    alice.send_json(add_user(ALICE, None, None, None)).await;
    alice.recv_type("welcome").await;
    let mut bob = Client::delta(&server, "").await;
    bob.send_json(add_user("bob@example.com", None, None, None))
        .await;
    bob.recv_type("welcome").await;

    let spoofs = [
        json!(["carol@example.com"]),
        json!({"email": "carol@example.com"}),
        json!(42),
        json!(null),
        json!("carol@example.com"),
    ];
    let fields = ["email", "from", "sender", "user"];
    let mut refused = 0;
    for field in fields {
        for spoof in &spoofs {
            let mut offer = json!({"type": "offer", "to": "bob@example.com", "sdp": "v=0"});
            offer[field] = spoof.clone();
            let refusal = alice.refused(offer).await;
            assert_eq!(refusal["code"], "email-mismatch", "{field}: {spoof}");
            refused += 1;
        }
    }
    println!(
        "spoofed identity fields refused: {refused} of {}",
        fields.len() * spoofs.len()
    );
    // Her own email, as a string, is still fine, and nothing spoofed reached bob.
    alice
        .send_json(json!({"type": "offer", "to": "bob@example.com", "sdp": "v=0", "email": ALICE}))
        .await;
    let offer = bob.recv_type("offer").await;
    assert_eq!(offer["from"], ALICE);
    assert_eq!(bob.received_of("offer").len(), 1);
}
