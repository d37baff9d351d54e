//! Read and delivered markers, receipts in history, and the conversations list.

use super::*;

pub(super) fn read(
    store: &ChatStore,
    reader: &str,
    conversation: Conversation,
    up_to: i64,
    receipt: bool,
) -> Result<ReadMoved, ChatRefusal> {
    let marker = ReadMarker {
        room: ROOM.into(),
        reader: reader.into(),
        conversation,
        up_to,
        receipt,
    };
    wait(|done| store.mark_read(marker, done).unwrap())
}

fn delivered(store: &ChatStore, recipient: &str, ids: Vec<i64>) -> Vec<(String, i64)> {
    wait(|done| store.mark_delivered(ROOM, recipient, ids, done))
}

pub(super) fn direct(from: &str, to: &str, text: &str) -> NewMessage {
    message(from, Some(to), text, None)
}

fn alice() -> Conversation {
    Conversation::Direct("alice@x.com".into())
}

on_both! {
    fn read_markers_only_move_forward_and_tell_the_peer_only_with_receipts(db) {
        let store = db.open_default();
        remember(&store, &["alice@x.com", "bob@x.com"]);
        let first = post(&store, direct("alice@x.com", "bob@x.com", "one"))
            .unwrap()
            .message;
        let second = post(&store, direct("alice@x.com", "bob@x.com", "two"))
            .unwrap()
            .message;
        let moved = read(&store, "bob@x.com", alice(), first.id, true).unwrap();
        assert_eq!(
            moved,
            ReadMoved {
                moved: true,
                up_to: first.id,
                receipt_to: Some("alice@x.com".into())
            }
        );
        let back = read(&store, "bob@x.com", alice(), first.id - 1, true).unwrap();
        assert_eq!(
            back,
            ReadMoved {
                moved: false,
                up_to: first.id,
                receipt_to: None
            }
        );
        let quiet = read(&store, "bob@x.com", alice(), second.id, false).unwrap();
        assert_eq!(
            quiet,
            ReadMoved {
                moved: true,
                up_to: second.id,
                receipt_to: None
            }
        );
        let beyond = read(&store, "bob@x.com", alice(), i64::MAX, true).unwrap();
        assert_eq!(
            beyond.up_to, second.id,
            "bounded by the conversation's last message"
        );
        let stranger = Conversation::Direct("nobody@x.com".into());
        assert_eq!(
            read(&store, "bob@x.com", stranger, 1, true),
            Err(ChatRefusal::UnknownConversation)
        );
    }
}

on_both! {
    fn delivered_markers_give_each_sender_its_highest_new_id_once(db) {
        let store = db.open_default();
        remember(&store, &["alice@x.com", "bob@x.com", "carol@x.com"]);
        let a1 = post(&store, direct("alice@x.com", "bob@x.com", "a1"))
            .unwrap()
            .message;
        let a2 = post(&store, direct("alice@x.com", "bob@x.com", "a2"))
            .unwrap()
            .message;
        let c1 = post(&store, direct("carol@x.com", "bob@x.com", "c1"))
            .unwrap()
            .message;
        let room = posted(&store, "alice@x.com", "room");
        let mut moved = delivered(&store, "bob@x.com", vec![a1.id, a2.id, c1.id, room.id]);
        moved.sort();
        assert_eq!(
            moved,
            vec![("alice@x.com".into(), a2.id), ("carol@x.com".into(), c1.id)]
        );
        assert!(
            delivered(&store, "bob@x.com", vec![a1.id, a2.id]).is_empty(),
            "nothing new"
        );
        assert!(
            delivered(&store, "carol@x.com", vec![a1.id]).is_empty(),
            "not hers"
        );
    }
}

on_both! {
    fn history_tells_the_sender_how_far_its_direct_messages_got(db) {
        let store = db.open_default();
        remember(&store, &["alice@x.com", "bob@x.com"]);
        let sent: Vec<i64> = (0..3)
            .map(|i| {
                post(&store, direct("alice@x.com", "bob@x.com", &format!("m{i}")))
                    .unwrap()
                    .message
                    .id
            })
            .collect();
        delivered(&store, "bob@x.com", vec![sent[1]]);
        read(&store, "bob@x.com", alice(), sent[0], true).unwrap();
        let bob = Some(Conversation::Direct("bob@x.com".into()));
        let page = block_on(store.history(latest("alice@x.com", bob))).unwrap();
        let states: Vec<(bool, bool)> = page
            .messages
            .iter()
            .map(|e| (e.delivered, e.read))
            .collect();
        assert_eq!(states, vec![(true, true), (true, false), (false, false)]);
        // Receipts off: read no longer shows.
        read(&store, "bob@x.com", alice(), sent[1], false).unwrap();
        let bob = Some(Conversation::Direct("bob@x.com".into()));
        let page = block_on(store.history(latest("alice@x.com", bob))).unwrap();
        assert!(page.messages.iter().all(|e| !e.read));
        // The recipient's own view carries no sender states.
        let page = block_on(store.history(latest("bob@x.com", Some(alice())))).unwrap();
        assert!(page.messages.iter().all(|e| !e.delivered && !e.read));
    }
}

on_both! {
    fn conversations_list_the_room_and_each_direct_one_with_unread_counts(db) {
        let store = db.open_default();
        let empty = block_on(store.conversations(ROOM, "bob@x.com")).unwrap();
        assert_eq!(empty.len(), 1);
        assert_eq!(
            (&empty[0].conversation, empty[0].last_id),
            (&Conversation::Room, 0)
        );
        remember(&store, &["alice@x.com", "bob@x.com", "carol@x.com"]);
        let r1 = posted(&store, "alice@x.com", "r1");
        posted(&store, "bob@x.com", "own, never unread");
        let r3 = posted(&store, "carol@x.com", "r3");
        let d1 = post(&store, direct("alice@x.com", "bob@x.com", "d1"))
            .unwrap()
            .message;
        post(&store, direct("alice@x.com", "carol@x.com", "not bob's")).unwrap();
        read(&store, "bob@x.com", Conversation::Room, r1.id, true).unwrap();
        delivered(&store, "bob@x.com", vec![d1.id]);
        let listed = block_on(store.conversations(ROOM, "bob@x.com")).unwrap();
        assert_eq!(listed.len(), 2, "the room and alice: {listed:?}");
        assert_eq!(
            (listed[0].last_id, listed[0].unread, listed[0].read_up_to),
            (r3.id, 1, r1.id)
        );
        let with_alice = &listed[1];
        assert_eq!(with_alice.conversation, alice());
        assert_eq!(with_alice.name.as_deref(), Some("ALICE@X.COM"));
        assert_eq!((with_alice.last_id, with_alice.unread), (d1.id, 1));
        assert_eq!(with_alice.peer_read_up_to, None, "alice read nothing");
        let for_alice = block_on(store.conversations(ROOM, "alice@x.com")).unwrap();
        let with_bob = for_alice
            .iter()
            .find(|c| c.conversation == Conversation::Direct("bob@x.com".into()))
            .unwrap();
        assert_eq!(with_bob.peer_delivered_up_to, Some(d1.id));
        assert_eq!(with_bob.unread, 0, "her own messages");
        read(&store, "bob@x.com", alice(), d1.id, true).unwrap();
        let for_alice = block_on(store.conversations(ROOM, "alice@x.com")).unwrap();
        let with_bob = for_alice
            .iter()
            .find(|c| c.conversation == Conversation::Direct("bob@x.com".into()))
            .unwrap();
        assert_eq!(with_bob.peer_read_up_to, Some(d1.id));
    }
}
