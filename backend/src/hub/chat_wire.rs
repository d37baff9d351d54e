//! The chat store's answers as the wire's frames, and the wire's conversations as the
//! store's: the one place the two vocabularies meet. A leaf of the hub: it names only the
//! store's types and `shared`'s.

use crate::store::chat::{
    ChatRefusal, Conversation as StoreConversation, ConversationSummary as StoreSummary,
    HistoryPage, StoredMessage,
};
use shared::{
    ChatDelivery, ChatHistory, Conversation, ConversationSummary, ErrorCode, ErrorFrame,
    ProtocolError, ServerMessage,
};

/// A stored message (new, edited or deleted) as the `chat` frame's body.
pub fn delivery(message: &StoredMessage) -> ChatDelivery {
    ChatDelivery {
        id: wire_id(message.id),
        from: message.from.clone(),
        name: message.name.clone(),
        text: message.text.clone(),
        to: message.to.clone(),
        sent_at: wire_id(message.sent_at),
        client_id: message.client_id.clone(),
        edited_at: message.edited_at.map(wire_id),
        deleted: message.deleted,
        delivered: false,
        read: false,
    }
}

/// A page of history as its answer, echoing the asked `conversation`.
pub fn history_frame(page: HistoryPage, conversation: Option<Conversation>) -> ServerMessage {
    let messages = page
        .messages
        .into_iter()
        .map(|entry| ChatDelivery {
            delivered: entry.delivered,
            read: entry.read,
            ..delivery(&entry.message)
        })
        .collect();
    ServerMessage::ChatHistory(ChatHistory {
        conversation,
        messages,
        more: page.more,
        cursor: wire_id(page.cursor),
    })
}

/// The user's conversations as the `chat-conversations` answer.
pub fn conversations_frame(summaries: Vec<StoreSummary>) -> ServerMessage {
    let conversations = summaries
        .into_iter()
        .map(|summary| ConversationSummary {
            conversation: wire_conversation(summary.conversation),
            name: summary.name,
            last_id: (summary.last_id > 0).then(|| wire_id(summary.last_id)),
            last_at: (summary.last_id > 0).then(|| wire_id(summary.last_at)),
            unread: summary.unread,
            read_up_to: wire_id(summary.read_up_to),
            peer_read_up_to: summary.peer_read_up_to.map(wire_id),
            peer_delivered_up_to: summary.peer_delivered_up_to.map(wire_id),
        })
        .collect();
    ServerMessage::ChatConversations { conversations }
}

pub fn store_conversation(conversation: &Conversation) -> StoreConversation {
    match conversation {
        Conversation::Room => StoreConversation::Room,
        Conversation::Direct(email) => StoreConversation::Direct(email.clone()),
    }
}

pub fn wire_conversation(conversation: StoreConversation) -> Conversation {
    match conversation {
        StoreConversation::Room => Conversation::Room,
        StoreConversation::Direct(email) => Conversation::Direct(email),
    }
}

/// The store's refusal as the error a client branches on.
pub fn refusal_error(refusal: &ChatRefusal) -> ProtocolError {
    let code = match refusal {
        ChatRefusal::StoreBusy | ChatRefusal::StoreUnavailable => ErrorCode::StoreUnavailable,
        ChatRefusal::ClientIdReused => ErrorCode::ClientIdReused,
        ChatRefusal::UnknownRecipient => ErrorCode::UnknownRecipient,
        ChatRefusal::UnknownConversation => ErrorCode::UnknownConversation,
        ChatRefusal::UnknownMessage => ErrorCode::UnknownMessage,
        ChatRefusal::NotYourMessage => ErrorCode::NotYourMessage,
        ChatRefusal::EditWindowClosed => ErrorCode::EditWindowClosed,
    };
    ProtocolError::new(code, refusal.to_string())
}

/// The `error` frame of a refusal, naming the refused `chat` by its `clientId`.
pub fn refusal_frame(error: ProtocolError, client_id: Option<&str>) -> ServerMessage {
    ServerMessage::Error(ErrorFrame::from(error).for_client_id(client_id))
}

/// A store id or time (from 0, as SQLite keeps them in `i64`) on the wire.
pub fn wire_id(id: i64) -> u64 {
    u64::try_from(id).unwrap_or(0)
}

/// A wire id in the store's `i64` (ids past it name no message).
pub fn store_id(id: u64) -> i64 {
    i64::try_from(id).unwrap_or(i64::MAX)
}
