//! What a frame is, for counting frames out by type: a server message's `type`, a relayed
//! signal's kind, the keep-alive ping. A fixed set, so a counter per kind sits in an array
//! indexed by [`FrameKind::index`] and no client's words ever become a label.

use shared::{ServerMessage, SignalKind};

/// The type of a frame the server writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameKind {
    /// One of the server's own messages, or a control frame.
    Own(Own),
    /// A relayed signal (signaling or call control), by its kind.
    Relayed(SignalKind),
}

/// The server's own frames. The order is the counters' order; `ALL` lists every one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Own {
    UpdateUsers,
    Welcome,
    Presence,
    Chat,
    Chats,
    ChatAck,
    ChatHistory,
    ChatReceipt,
    ChatRead,
    Typing,
    ChatConversations,
    Error,
    DeviceLink,
    IceServers,
    SignedOut,
    Pong,
    /// The WebSocket ping of the keep-alive tick.
    Ping,
    /// The echo route's answer (and the frames tests build by hand).
    Echo,
    /// A relayed signal that came as a typed message whose kind is not known here.
    Signal,
}

impl Own {
    pub const ALL: [Own; 19] = [
        Own::UpdateUsers,
        Own::Welcome,
        Own::Presence,
        Own::Chat,
        Own::Chats,
        Own::ChatAck,
        Own::ChatHistory,
        Own::ChatReceipt,
        Own::ChatRead,
        Own::Typing,
        Own::ChatConversations,
        Own::Error,
        Own::DeviceLink,
        Own::IceServers,
        Own::SignedOut,
        Own::Pong,
        Own::Ping,
        Own::Echo,
        Own::Signal,
    ];

    /// The `type` on the wire (a control frame's or the catch-all's word otherwise).
    pub const fn label(self) -> &'static str {
        match self {
            Own::UpdateUsers => "update-users",
            Own::Welcome => "welcome",
            Own::Presence => "presence",
            Own::Chat => "chat",
            Own::Chats => "chats",
            Own::ChatAck => "chat-ack",
            Own::ChatHistory => "chat-history",
            Own::ChatReceipt => "chat-receipt",
            Own::ChatRead => "chat-read",
            Own::Typing => "typing",
            Own::ChatConversations => "chat-conversations",
            Own::Error => "error",
            Own::DeviceLink => "device-link",
            Own::IceServers => "ice-servers",
            Own::SignedOut => "signed-out",
            Own::Pong => "pong",
            Own::Ping => "ping",
            Own::Echo => "echo",
            Own::Signal => "signal",
        }
    }
}

impl FrameKind {
    /// How many kinds there are: the length of an array indexed by [`FrameKind::index`].
    pub const COUNT: usize = Own::ALL.len() + SignalKind::ALL.len();

    /// The kind of `message`'s frame.
    pub fn of(message: &ServerMessage) -> FrameKind {
        use ServerMessage as M;
        FrameKind::Own(match message {
            M::UpdateUsers { .. } => Own::UpdateUsers,
            M::Welcome(_) => Own::Welcome,
            M::Presence(_) => Own::Presence,
            M::Chat(_) => Own::Chat,
            M::Chats(_) => Own::Chats,
            M::ChatAck(_) => Own::ChatAck,
            M::ChatHistory(_) => Own::ChatHistory,
            M::ChatReceipt(_) => Own::ChatReceipt,
            M::ChatRead(_) => Own::ChatRead,
            M::Typing(_) => Own::Typing,
            M::ChatConversations { .. } => Own::ChatConversations,
            M::Error(_) => Own::Error,
            M::DeviceLink(_) => Own::DeviceLink,
            M::IceServers(_) => Own::IceServers,
            M::SignedOut(_) => Own::SignedOut,
            M::Pong => Own::Pong,
            // The relay frames signals from their sender's bytes with their kind; only
            // tests and tools build the typed form.
            _ => Own::Signal,
        })
    }

    /// The kind's place in `0..COUNT`.
    pub fn index(self) -> usize {
        match self {
            // Fieldless enums: their discriminants count from 0 in the order of `ALL`.
            FrameKind::Own(own) => own as usize,
            FrameKind::Relayed(kind) => Own::ALL.len() + kind as usize,
        }
    }

    /// The label of the counter: the frame's `type`.
    pub fn label(self) -> &'static str {
        match self {
            FrameKind::Own(own) => own.label(),
            FrameKind::Relayed(kind) => kind.as_str(),
        }
    }

    /// Every kind, in the order of [`FrameKind::index`].
    pub fn all() -> impl Iterator<Item = FrameKind> {
        let own = Own::ALL.into_iter().map(FrameKind::Own);
        own.chain(SignalKind::ALL.into_iter().map(FrameKind::Relayed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_index_in_order() {
        for (position, kind) in FrameKind::all().enumerate() {
            assert_eq!(kind.index(), position, "{kind:?}");
        }
        assert_eq!(FrameKind::all().count(), FrameKind::COUNT);
    }

    #[test]
    fn labels_are_distinct() {
        let labels: std::collections::HashSet<_> = FrameKind::all().map(|k| k.label()).collect();
        assert_eq!(labels.len(), FrameKind::COUNT);
    }

    #[test]
    fn a_message_is_labelled_by_its_type_on_the_wire() {
        let fixtures: serde_json::Value =
            serde_json::from_str(include_str!("../../../shared/tests/fixtures/wire.json"))
                .expect("the fixtures are JSON");
        let mut seen = std::collections::HashSet::new();
        let servers = fixtures["fixtures"].as_array().expect("a list");
        for fixture in servers.iter().filter(|f| f["direction"] == "server") {
            let text = fixture["json"].as_str().expect("its text");
            let message: ServerMessage = serde_json::from_str(text).expect(text);
            let wire: serde_json::Value = serde_json::from_str(text).expect("JSON");
            let tag = wire["type"].as_str().expect("a type");
            let want = match SignalKind::from_tag(tag) {
                Some(_) => "signal",
                None => tag,
            };
            assert_eq!(FrameKind::of(&message).label(), want, "{text}");
            seen.insert(want.to_owned());
        }
        for own in Own::ALL {
            let written_by_hand = [Own::Ping, Own::Echo, Own::Signal].contains(&own);
            assert!(written_by_hand || seen.contains(own.label()), "{own:?}");
        }
    }
}
