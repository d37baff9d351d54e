//! A connection's chat: its messages, edits, deletes and read markers handed to the chat
//! store without waiting (the store's writer thread delivers through the hub once each is
//! committed, in the order sent), and history and the conversations' list awaited and
//! written back. Typing hints go straight to the hub.

use super::{Ending, Peer, Refused, budget_of};
use crate::connection::context::Context;
use crate::frame::Frame;
use crate::hub::{
    ConnId, conversations_frame, history_frame, refusal_error, store_conversation, store_id,
};
use crate::store::chat::{
    ChatRefusal, Delete, Edit, HistoryQuery, HistoryRange, NewMessage, Posted, ReadMarker,
    StoredMessage,
};
use shared::{
    ChatRequest, ClientMessage, DeleteRequest, EditRequest, ErrorCode, HistoryRequest,
    ProtocolError, ReadRequest,
};
use std::sync::Arc;

impl Peer {
    /// An edit, a delete, a read marker or a typing hint; any other message is no chat's.
    pub(super) fn on_chat_change(&mut self, message: ClientMessage) -> Result<(), ProtocolError> {
        match message {
            ClientMessage::ChatEdit(edit) => self.edit_chat(edit),
            ClientMessage::ChatDelete(delete) => self.delete_chat(delete),
            ClientMessage::ChatRead(read) => self.read_chat(read),
            ClientMessage::Typing(typing) => self.typing(typing.to),
            _ => Ok(()),
        }
    }

    /// A `chat-history` or `chat-conversations`: the store's answer written back, or its
    /// refusal handed back.
    pub(super) async fn answer_chat_query(
        &mut self,
        query: ClientMessage,
    ) -> Result<Result<(), ProtocolError>, Ending> {
        let answer = match query {
            ClientMessage::ChatHistory(request) => self.chat_history(request).await,
            ClientMessage::ChatConversations => self.chat_conversations().await,
            _ => return Ok(Ok(())),
        };
        match answer {
            Ok(frame) => {
                self.write_frames(&[frame]).await?;
                Ok(Ok(()))
            }
            Err(error) => Ok(Err(error)),
        }
    }

    /// A `chat`: checked and charged by the hub, then queued to the store; its delivery,
    /// ack or refusal comes from the store's writer thread.
    pub(super) fn post_chat(&mut self, request: ChatRequest) -> Result<(), Refused> {
        let refused = |error| Refused::chat(error, request.client_id.as_deref());
        let fan_out = budget_of(&mut self.budget, &self.context.budget).fan_out();
        let sender = self
            .context
            .hub
            .check_chat(self.id, &request, fan_out)
            .map_err(refused)?;
        let client_id = request.client_id.clone();
        let message = NewMessage {
            room: sender.room.to_string(),
            from: sender.email.to_string(),
            name: sender.name,
            to: request.to,
            text: request.text,
            client_id: request.client_id,
            to_online: sender.to_online,
        };
        let (context, id) = (Arc::clone(&self.context), self.id);
        let done = move |outcome| on_posted(&context, id, outcome, client_id.as_deref());
        self.context
            .chat
            .post(message, done)
            .map_err(|refusal| Refused::chat(refusal_error(&refusal), None))
    }

    /// A `chat-edit` of one's own message, queued to the store.
    fn edit_chat(&self, edit: EditRequest) -> Result<(), ProtocolError> {
        let (room, email) = self.seat()?;
        let edit = Edit {
            room: room.to_owned(),
            by: email.to_owned(),
            id: store_id(edit.id),
            text: edit.text,
        };
        let queued = self.context.chat.edit(edit, self.when_changed());
        queued.map_err(|refusal| refusal_error(&refusal))
    }

    /// A `chat-delete` of one's own message, queued to the store.
    fn delete_chat(&self, delete: DeleteRequest) -> Result<(), ProtocolError> {
        let (room, email) = self.seat()?;
        let delete = Delete {
            room: room.to_owned(),
            by: email.to_owned(),
            id: store_id(delete.id),
        };
        let queued = self.context.chat.delete(delete, self.when_changed());
        queued.map_err(|refusal| refusal_error(&refusal))
    }

    /// A `chat-read`: the reader's marker, queued to the store; the reader's other
    /// connections and, with a receipt, the other person learn it once stored.
    fn read_chat(&self, read: ReadRequest) -> Result<(), ProtocolError> {
        let (room, reader) = self.seat()?;
        let marker = ReadMarker {
            room: room.to_owned(),
            reader: reader.to_owned(),
            conversation: store_conversation(&read.conversation),
            up_to: store_id(read.up_to),
            receipt: read.sends_receipt(),
        };
        let (context, id) = (Arc::clone(&self.context), self.id);
        let (room, reader) = (room.to_owned(), reader.to_owned());
        let done = move |outcome: Result<_, ChatRefusal>| match outcome {
            Ok(moved) => context
                .hub
                .read_moved(id, &room, &reader, read.conversation, &moved),
            Err(refusal) => context.hub.refuse(id, refusal_error(&refusal), None),
        };
        self.context
            .chat
            .mark_read(marker, done)
            .map_err(|refusal| refusal_error(&refusal))
    }

    /// A `chat-history`: the page from the store's reader, written back. Direct messages
    /// it hands their recipient count as delivered.
    pub(super) async fn chat_history(
        &self,
        request: HistoryRequest,
    ) -> Result<Frame, ProtocolError> {
        let (room, email) = self.seat()?;
        let range = match (request.after, request.before) {
            (Some(after), _) => HistoryRange::After(store_id(after)),
            (None, Some(before)) => HistoryRange::Before(store_id(before)),
            (None, None) => HistoryRange::Latest,
        };
        let echoed = match range {
            HistoryRange::After(_) => request.conversation.clone(),
            _ => Some(request.conversation_or_room()),
        };
        let query = HistoryQuery {
            room: room.to_owned(),
            email: email.to_owned(),
            conversation: request.conversation.as_ref().map(store_conversation),
            range,
            limit: usize::try_from(request.page_size()).unwrap_or(usize::MAX),
        };
        let page = self.context.chat.history(query).await;
        let page = page.map_err(|refusal| refusal_error(&refusal))?;
        let to_me: Vec<i64> = page
            .messages
            .iter()
            .filter(|entry| entry.message.to.as_deref() == Some(email))
            .map(|entry| entry.message.id)
            .collect();
        if !to_me.is_empty() {
            mark_delivered(&self.context, room, email, to_me);
        }
        Ok(Frame::message(&history_frame(page, echoed)))
    }

    /// A `chat-conversations`: the user's conversations in the room, from the store.
    async fn chat_conversations(&self) -> Result<Frame, ProtocolError> {
        let (room, email) = self.seat()?;
        let listed = self.context.chat.conversations(room, email).await;
        let summaries = listed.map_err(|refusal| refusal_error(&refusal))?;
        Ok(Frame::message(&conversations_frame(summaries)))
    }

    /// A `typing` hint to the hub; over a rate or a budget it is dropped without an answer.
    fn typing(&mut self, to: Option<String>) -> Result<(), ProtocolError> {
        let fan_out = budget_of(&mut self.budget, &self.context.budget).fan_out();
        match self.context.hub.typing(self.id, to, fan_out) {
            Err(error) if error.code == ErrorCode::RateLimited => Ok(()),
            outcome => outcome,
        }
    }

    /// The room and email the connection registered with.
    fn seat(&self) -> Result<(&str, &str), ProtocolError> {
        let registered = self.registered.as_ref().ok_or_else(|| {
            ProtocolError::new(ErrorCode::NotRegistered, "send add-user before chat")
        })?;
        Ok((&registered.room, &registered.email))
    }

    /// What the writer thread does once an edit or a delete is committed or refused.
    fn when_changed(&self) -> impl FnOnce(Result<StoredMessage, ChatRefusal>) + Send + 'static {
        let (context, id) = (Arc::clone(&self.context), self.id);
        move |outcome| match outcome {
            Ok(message) => context.hub.deliver_change(&message),
            Err(refusal) => context.hub.refuse(id, refusal_error(&refusal), None),
        }
    }
}

/// On the writer thread, once a post is committed or refused.
fn on_posted(
    context: &Context,
    sender: ConnId,
    outcome: Result<Posted, ChatRefusal>,
    client_id: Option<&str>,
) {
    let posted = match outcome {
        Ok(posted) => posted,
        Err(refusal) => {
            return context
                .hub
                .refuse(sender, refusal_error(&refusal), client_id);
        }
    };
    let reached = context.hub.deliver_chat(sender, &posted);
    let message = &posted.message;
    if let Some(to) = message.to.as_deref()
        && reached > 0
        && !posted.duplicate
    {
        mark_delivered(context, &message.room, to, vec![message.id]);
    }
}

/// Records that direct messages `ids` reached `recipient`; their senders get a
/// `chat-receipt` `delivered` once it is stored.
fn mark_delivered(context: &Context, room: &str, recipient: &str, ids: Vec<i64>) {
    let hub = context.hub.clone();
    let (room_name, email) = (room.to_owned(), recipient.to_owned());
    let done = move |receipts: Vec<(String, i64)>| {
        hub.send_delivered(&room_name, &email, &receipts);
    };
    context.chat.mark_delivered(room, recipient, ids, done);
}
