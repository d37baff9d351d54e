//! Durable chat's frames, both directions: the stored message in its three states (new,
//! edited, deleted), acks, history pages, receipts, read markers, typing hints and the
//! conversations' list, each built from the Rust types and compared with its fixture; the
//! client's requests as they decode; and the `clientId` a refusal carries.

use crate::fixtures::json as fixture;
use crate::server_json::assert_json;
use crate::{decoded, refused, refused_field};
use shared::{
    ChatAck, ChatBatch, ChatDelivery, ChatHistory, ChatReceipt, ChatRequest, ClientMessage,
    Conversation, ConversationSummary, DeleteRequest, EditRequest, ErrorCode, ErrorFrame,
    HistoryRequest, ProtocolError, ReadMarker, ReadRequest, ReceiptState, ServerMessage,
    TypingNotice, TypingRequest, refused_client_id,
};

const ALICE: &str = "alice@example.com";
const BOB: &str = "bob@example.com";

fn bob() -> Conversation {
    Conversation::Direct(BOB.into())
}

fn lunch() -> ChatDelivery {
    ChatDelivery {
        id: 1234,
        from: ALICE.into(),
        name: "Alice".into(),
        text: "Lunch?".into(),
        sent_at: 1_764_060_000_000,
        client_id: Some("k3J9-aa01".into()),
        ..ChatDelivery::default()
    }
}

fn just_you() -> ChatDelivery {
    ChatDelivery {
        id: 1235,
        text: "Just you".into(),
        to: Some(BOB.into()),
        sent_at: 1_764_060_001_000,
        client_id: Some("k3J9-aa02".into()),
        ..lunch()
    }
}

fn deleted() -> ChatDelivery {
    ChatDelivery {
        text: String::new(),
        client_id: None,
        deleted: true,
        ..lunch()
    }
}

#[test]
fn a_stored_message_carries_its_client_id_after_sent_at() {
    assert_json(&ServerMessage::Chat(lunch()), fixture("chat-room-stored"));
    assert_json(
        &ServerMessage::Chat(just_you()),
        fixture("chat-direct-stored"),
    );
}

#[test]
fn a_commit_of_several_room_messages_is_one_chats_frame_of_chat_bodies() {
    let reply = ChatDelivery {
        id: 1236,
        from: BOB.into(),
        name: "Bob".into(),
        text: "Yes!".into(),
        sent_at: 1_764_060_002_000,
        client_id: Some("p0Q7-bb01".into()),
        ..ChatDelivery::default()
    };
    let batch = ChatBatch {
        messages: vec![lunch(), reply],
    };
    assert_json(&ServerMessage::Chats(batch), fixture("chats-room-stored"));
}

#[test]
fn an_edit_and_a_delete_are_the_same_shape_as_a_new_message() {
    let edited = ChatDelivery {
        text: "Lunch at 1?".into(),
        client_id: None,
        edited_at: Some(1_764_060_060_000),
        ..lunch()
    };
    assert_json(&ServerMessage::Chat(edited), fixture("chat-edited"));
    assert_json(&ServerMessage::Chat(deleted()), fixture("chat-deleted"));
}

#[test]
fn an_ack_says_duplicate_only_when_it_is_one() {
    let ack = ChatAck {
        client_id: "k3J9-aa01".into(),
        id: 1234,
        sent_at: 1_764_060_000_000,
        duplicate: false,
    };
    assert_json(&ServerMessage::ChatAck(ack.clone()), fixture("chat-ack"));
    let duplicate = ChatAck {
        duplicate: true,
        ..ack
    };
    assert_json(
        &ServerMessage::ChatAck(duplicate),
        fixture("chat-ack-duplicate"),
    );
}

#[test]
fn history_pages_hold_deliveries_without_their_type() {
    let older = ChatDelivery {
        id: 1233,
        from: BOB.into(),
        name: "Bob".into(),
        text: "Anyone hungry?".into(),
        sent_at: 1_764_059_990_000,
        ..ChatDelivery::default()
    };
    let page = ChatHistory {
        conversation: Some(Conversation::Room),
        messages: vec![older, lunch()],
        more: true,
        cursor: 1240,
    };
    assert_json(
        &ServerMessage::ChatHistory(page),
        fixture("chat-history-room-page"),
    );
    let own_direct = ChatDelivery {
        delivered: true,
        read: true,
        ..just_you()
    };
    let gap = ChatHistory {
        conversation: None,
        messages: vec![own_direct, deleted()],
        more: false,
        cursor: 1241,
    };
    assert_json(
        &ServerMessage::ChatHistory(gap),
        fixture("chat-history-after-all"),
    );
    let empty = ChatHistory {
        conversation: Some(bob()),
        messages: Vec::new(),
        more: false,
        cursor: 0,
    };
    assert_json(
        &ServerMessage::ChatHistory(empty),
        fixture("chat-history-empty"),
    );
}

#[test]
fn receipts_and_read_markers_name_the_conversation() {
    for (state, name) in [
        (ReceiptState::Delivered, "chat-receipt-delivered"),
        (ReceiptState::Read, "chat-receipt-read"),
    ] {
        let receipt = ChatReceipt {
            conversation: bob(),
            state,
            up_to: 1235,
        };
        assert_json(&ServerMessage::ChatReceipt(receipt), fixture(name));
    }
    let moved = ReadMarker {
        conversation: bob(),
        up_to: 1235,
    };
    assert_json(&ServerMessage::ChatRead(moved), fixture("chat-read-moved"));
}

#[test]
fn typing_names_who_and_where() {
    let direct = TypingNotice {
        from: ALICE.into(),
        name: "Alice".into(),
        to: Some(BOB.into()),
    };
    assert_json(
        &ServerMessage::Typing(direct.clone()),
        fixture("typing-direct-relayed"),
    );
    let room = TypingNotice { to: None, ..direct };
    assert_json(&ServerMessage::Typing(room), fixture("typing-room-relayed"));
}

#[test]
fn conversations_list_the_room_and_each_direct_one() {
    let conversations = vec![
        ConversationSummary {
            conversation: Conversation::Room,
            last_id: Some(1240),
            last_at: Some(1_764_060_100_000),
            unread: 3,
            read_up_to: 1237,
            ..ConversationSummary::default()
        },
        ConversationSummary {
            conversation: bob(),
            name: Some("Bob".into()),
            last_id: Some(1235),
            last_at: Some(1_764_060_001_000),
            unread: 0,
            read_up_to: 1235,
            peer_read_up_to: Some(1235),
            peer_delivered_up_to: Some(1235),
        },
        ConversationSummary {
            conversation: Conversation::Direct("carol@example.com".into()),
            name: Some("Carol".into()),
            ..ConversationSummary::default()
        },
    ];
    assert_json(
        &ServerMessage::ChatConversations { conversations },
        fixture("chat-conversations"),
    );
}

#[test]
fn a_refused_chat_names_its_client_id_and_others_do_not() {
    let error = ProtocolError::new(ErrorCode::RateLimited, "too many chat messages: slow down");
    let frame = ErrorFrame::from(error).for_client_id(Some("k3J9-aa01"));
    assert_json(
        &ServerMessage::Error(frame),
        fixture("error-rate-limited-chat"),
    );
    let text = fixture("browser-chat-room-with-client-id");
    assert_eq!(decoded(text).client_id(), Some("k3J9-aa01"));
    assert_eq!(decoded(fixture("chat-to-room")).client_id(), None);
    assert_eq!(decoded(fixture("browser-chat-edit")).client_id(), None);
    let unknown = refused(
        fixture("refused-history/unknown-conversation"),
        ErrorCode::UnknownConversation,
    );
    assert_eq!(unknown.field, Some("conversation"));
    assert_json(
        &ServerMessage::Error(ErrorFrame::from(unknown)),
        fixture("error-unknown-conversation"),
    );
}

#[test]
fn a_chat_refused_as_it_decodes_still_names_a_valid_client_id() {
    let long = "x".repeat(shared::CHAT_TEXT_MAX_CHARS + 1);
    let too_long = serde_json::json!({"type": "chat", "text": long, "clientId": "k3J9-aa01"});
    let too_long = too_long.to_string();
    refused_field(&too_long, "text");
    assert_eq!(refused_client_id(&too_long).as_deref(), Some("k3J9-aa01"));
    for text in [
        r#"{"type":"chat","text":"","clientId":"a b"}"#,
        r#"{"type":"chat","text":""}"#,
        r#"{"type":"chat-edit","id":1,"text":"","clientId":"k3J9"}"#,
        "not json",
    ] {
        assert_eq!(refused_client_id(text), None, "{text}");
    }
}

#[test]
fn a_client_id_of_64_characters_is_accepted() {
    let id = "a-Z_9".repeat(13);
    let id = &id[..64];
    let text = serde_json::json!({"type": "chat", "text": "hi", "clientId": id}).to_string();
    assert_eq!(decoded(&text).client_id(), Some(id));
}

#[test]
fn history_defaults_to_the_room_and_a_page_of_50() {
    let ClientMessage::ChatHistory(request) = decoded(r#"{"type":"chat-history"}"#) else {
        panic!("not a chat-history");
    };
    assert_eq!(request.conversation_or_room(), Conversation::Room);
    assert_eq!(request.page_size(), shared::HISTORY_PAGE_DEFAULT);
    let ClientMessage::ChatRead(read) = decoded(fixture("chat-read-room")) else {
        panic!("not a chat-read");
    };
    assert!(read.sends_receipt(), "receipts unless asked not to");
}

/// What the chat requests of the fixtures file decode to, in the file's order.
pub fn chat_messages() -> Vec<(&'static str, ClientMessage)> {
    let chat = |text: &str, to: Option<&str>, client_id: &str| {
        ClientMessage::Chat(ChatRequest {
            text: text.into(),
            to: to.map(str::to_owned),
            client_id: Some(client_id.into()),
        })
    };
    let history = |conversation, before, after, limit| {
        ClientMessage::ChatHistory(HistoryRequest {
            conversation,
            before,
            after,
            limit,
        })
    };
    let read = |conversation, receipt| {
        ClientMessage::ChatRead(ReadRequest {
            conversation,
            up_to: 1240,
            receipt,
        })
    };
    vec![
        (
            "browser-chat-room-with-client-id",
            chat("Lunch?", None, "k3J9-aa01"),
        ),
        (
            "browser-chat-direct-with-client-id",
            chat("Just you", Some(BOB), "k3J9-aa02"),
        ),
        (
            "browser-chat-history-before",
            history(Some(Conversation::Room), Some(1234), None, Some(50)),
        ),
        (
            "browser-chat-history-after",
            history(None, None, Some(1180), None),
        ),
        (
            "browser-chat-history-direct-latest",
            history(Some(bob()), None, None, None),
        ),
        (
            "chat-history-conversation-untrimmed",
            history(Some(bob()), None, None, Some(200)),
        ),
        (
            "browser-chat-edit",
            ClientMessage::ChatEdit(EditRequest {
                id: 1234,
                text: "Lunch at 1?".into(),
            }),
        ),
        (
            "browser-chat-delete",
            ClientMessage::ChatDelete(DeleteRequest { id: 1234 }),
        ),
        ("browser-chat-read", read(bob(), Some(true))),
        ("browser-chat-read-no-receipt", read(bob(), Some(false))),
        ("chat-read-room", read(Conversation::Room, None)),
        (
            "browser-typing-direct",
            ClientMessage::Typing(TypingRequest {
                to: Some(BOB.into()),
            }),
        ),
        (
            "browser-typing-room",
            ClientMessage::Typing(TypingRequest::default()),
        ),
        (
            "browser-chat-conversations",
            ClientMessage::ChatConversations,
        ),
    ]
}
