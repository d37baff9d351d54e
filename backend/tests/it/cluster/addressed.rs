//! Frames addressed to a member on another node: a direct message and an offer reach
//! them stamped with the sender (the sender's node stamps, never the frame), and a
//! sender's signals arrive in the order sent.

use super::two_nodes;
use serde_json::json;

const ROOM: &str = "calls";
const ANN: &str = "ann@example.com";
const BEN: &str = "ben@example.com";

#[tokio::test]
async fn a_direct_message_and_an_offer_cross_nodes_stamped_with_their_sender() {
    let (_redis, one, two) = two_nodes().await;
    let mut ben = two.member(ROOM, BEN).await;
    let mut ann = one.member(ROOM, ANN).await;
    ann.await_online(&[ANN, BEN]).await;

    ann.chat_to(BEN, "hello from node 1").await;
    let chat = ben.recv_type("chat").await;
    assert_eq!(
        (&chat["from"], &chat["to"], &chat["text"]),
        (&json!(ANN), &json!(BEN), &json!("hello from node 1"))
    );

    let offer = json!({"type": "sdp-offer", "to": BEN, "callId": "c1", "offer": {"type": "offer", "sdp": "v=0\r\n"}});
    ann.send_json(offer).await;
    let relayed = ben.recv_type("sdp-offer").await;
    assert_eq!(
        relayed["from"], ANN,
        "stamped by the sender's node: {relayed}"
    );
    assert_eq!(relayed["offer"]["sdp"], "v=0\r\n");

    // Ben answers back across the nodes, and a sender's signals keep their order.
    for seq in 0..30 {
        let candidate = json!({"type": "new-ice-candidate", "to": ANN, "callId": "c1", "candidate": {"seq": seq}});
        ben.send_json(candidate).await;
    }
    for seq in 0..30 {
        let candidate = ann.recv_type("new-ice-candidate").await;
        assert_eq!(
            (&candidate["from"], &candidate["candidate"]["seq"]),
            (&json!(BEN), &json!(seq))
        );
    }
}

#[tokio::test]
async fn a_frame_claiming_another_sender_is_refused_before_it_leaves_the_node() {
    let (_redis, one, two) = two_nodes().await;
    let mut ben = two.member(ROOM, BEN).await;
    let mut ann = one.member(ROOM, ANN).await;
    ann.await_online(&[ANN, BEN]).await;
    let forged = json!({"type": "sdp-offer", "to": BEN, "from": "eve@example.com", "offer": {}});
    let error = ann.refused(forged).await;
    assert_eq!(error["code"], "email-mismatch", "{error}");
    // The next, honest one arrives first: the forged one never left node 1.
    ann.send_json(json!({"type": "sdp-offer", "to": BEN, "offer": {"n": 2}}))
        .await;
    let relayed = ben.recv_type("sdp-offer").await;
    assert_eq!(
        (&relayed["from"], &relayed["offer"]["n"]),
        (&json!(ANN), &json!(2))
    );
}

#[tokio::test]
async fn room_chat_reaches_the_rooms_members_on_the_other_node_only() {
    let (_redis, one, two) = two_nodes().await;
    let mut ben = two.member(ROOM, BEN).await;
    let mut elsewhere = two.member("another-room", "cy@example.com").await;
    let mut ann = one.member(ROOM, ANN).await;
    ann.await_online(&[ANN, BEN]).await;

    ann.chat("hello, room").await;
    let chat = ben.recv_type("chat").await;
    assert_eq!(
        (&chat["from"], &chat["text"]),
        (&json!(ANN), &json!("hello, room"))
    );
    assert!(chat["to"].is_null(), "a room message: {chat}");
    // Cy, in another room on node 2, gets nothing of it: her own barrier comes first.
    elsewhere.barrier("cy's own").await;
    assert!(
        elsewhere
            .received_of("chat")
            .iter()
            .all(|c| c["text"] == "cy's own")
    );
}
