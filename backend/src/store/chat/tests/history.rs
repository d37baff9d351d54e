//! History: pages back to the first message, the gap after a cursor, direct
//! conversations kept apart, and bad queries.

use super::*;

fn query(
    email: &str,
    conversation: Option<Conversation>,
    range: HistoryRange,
    limit: usize,
) -> HistoryQuery {
    HistoryQuery {
        room: ROOM.into(),
        email: email.into(),
        conversation,
        range,
        limit,
    }
}

fn ids(page: &HistoryPage) -> Vec<i64> {
    page.messages.iter().map(|entry| entry.message.id).collect()
}

on_both! {
    fn pages_before_a_message_reach_the_first_one(db) {
        let store = db.open_default();
        let sent: Vec<i64> = (0..120)
            .map(|i| posted(&store, "alice@x.com", &format!("m{i}")).id)
            .collect();
        let newest =
            block_on(store.history(query("bob@x.com", None, HistoryRange::Latest, 50))).unwrap();
        assert_eq!(ids(&newest), sent[70..].to_vec());
        assert!(newest.more);
        assert_eq!(newest.cursor, sent[119], "the store's latest row");
        let mut oldest = newest.messages[0].message.id;
        let mut seen = 50;
        loop {
            let range = HistoryRange::Before(oldest);
            let page = block_on(store.history(query("bob@x.com", Some(Conversation::Room), range, 50)))
                .unwrap();
            assert!(ids(&page).windows(2).all(|w| w[0] < w[1]), "ascending ids");
            seen += page.messages.len();
            oldest = page.messages[0].message.id;
            if !page.more {
                break;
            }
        }
        assert_eq!((seen, oldest), (120, sent[0]));
    }
}

on_both! {
    fn after_a_cursor_only_the_gap_comes_with_edits_and_deletes_in_their_current_state(db) {
        let store = db.open_default();
        let before_gap = posted(&store, "alice@x.com", "seen");
        let cursor = block_on(store.history(latest("bob@x.com", None)))
            .unwrap()
            .cursor;
        let new = posted(&store, "alice@x.com", "missed");
        edit(&store, "alice@x.com", before_gap.id, "seen, edited").unwrap();
        let gone = posted(&store, "alice@x.com", "oops");
        delete(&store, "alice@x.com", gone.id).unwrap();
        let gap =
            block_on(store.history(query("bob@x.com", None, HistoryRange::After(cursor), 50))).unwrap();
        assert_eq!(
            ids(&gap),
            vec![new.id, before_gap.id, gone.id],
            "in order of change"
        );
        assert_eq!(gap.messages[1].message.text, "seen, edited");
        assert!(gap.messages[2].message.deleted && gap.messages[2].message.text.is_empty());
        assert!(!gap.more);
        let nothing = block_on(store.history(query(
            "bob@x.com",
            None,
            HistoryRange::After(gap.cursor),
            50,
        )))
        .unwrap();
        assert!(nothing.messages.is_empty());
        assert_eq!(nothing.cursor, gap.cursor);
    }
}

on_both! {
    fn a_full_page_after_a_cursor_says_more_and_the_next_cursor_goes_on_from_it(db) {
        let store = db.open_default();
        let sent: Vec<i64> = (0..7)
            .map(|i| posted(&store, "alice@x.com", &format!("m{i}")).id)
            .collect();
        let first =
            block_on(store.history(query("bob@x.com", None, HistoryRange::After(0), 5))).unwrap();
        assert!(first.more);
        assert_eq!((ids(&first), first.cursor), (sent[..5].to_vec(), sent[4]));
        let rest = block_on(store.history(query(
            "bob@x.com",
            None,
            HistoryRange::After(first.cursor),
            5,
        )))
        .unwrap();
        assert_eq!(ids(&rest), sent[5..].to_vec());
        assert!(!rest.more);
    }
}

on_both! {
    fn direct_conversations_are_apart_and_seen_only_by_their_two_people(db) {
        let store = db.open_default();
        remember(&store, &["alice@x.com", "bob@x.com", "carol@x.com"]);
        let room = posted(&store, "alice@x.com", "to all");
        let to_bob = post(
            &store,
            message("alice@x.com", Some("bob@x.com"), "just you", None),
        )
        .unwrap()
        .message;
        let to_carol = post(
            &store,
            message("alice@x.com", Some("carol@x.com"), "secret", None),
        )
        .unwrap()
        .message;
        let bob = |conversation, range| {
            block_on(store.history(query("bob@x.com", conversation, range, 50))).unwrap()
        };
        assert_eq!(
            ids(&bob(None, HistoryRange::Latest)),
            vec![room.id],
            "the room only"
        );
        let direct = Some(Conversation::Direct("alice@x.com".into()));
        assert_eq!(
            ids(&bob(direct.clone(), HistoryRange::Latest)),
            vec![to_bob.id]
        );
        assert_eq!(
            ids(&bob(None, HistoryRange::After(0))),
            vec![room.id, to_bob.id],
            "not carol's"
        );
        assert_eq!(ids(&bob(direct, HistoryRange::After(0))), vec![to_bob.id]);
        let alice =
            block_on(store.history(query("alice@x.com", None, HistoryRange::After(0), 50))).unwrap();
        assert_eq!(ids(&alice), vec![room.id, to_bob.id, to_carol.id]);
    }
}

on_both! {
    fn bad_queries_get_their_refusal(db) {
        let store = db.open_default();
        remember(&store, &["bob@x.com"]);
        let in_room = posted(&store, "alice@x.com", "room");
        let direct = post(
            &store,
            message("alice@x.com", Some("bob@x.com"), "dm", None),
        )
        .unwrap()
        .message;
        let run = |q| block_on(store.history(q));
        let stranger = Some(Conversation::Direct("nobody@x.com".into()));
        assert_eq!(
            run(query("alice@x.com", stranger, HistoryRange::Latest, 50)),
            Err(ChatRefusal::UnknownConversation)
        );
        let before_dm_in_room = query("alice@x.com", None, HistoryRange::Before(direct.id), 50);
        assert_eq!(run(before_dm_in_room), Err(ChatRefusal::UnknownMessage));
        let nowhere = query(
            "alice@x.com",
            None,
            HistoryRange::Before(in_room.id + 1_000),
            50,
        );
        assert_eq!(run(nowhere), Err(ChatRefusal::UnknownMessage));
        for _ in 0..(MAX_PAGE + 5) {
            posted(&store, "alice@x.com", "more");
        }
        let huge = run(query("alice@x.com", None, HistoryRange::Latest, 1_000_000)).unwrap();
        assert_eq!(huge.messages.len(), MAX_PAGE, "bounded");
        let none = run(query("alice@x.com", None, HistoryRange::Latest, 0)).unwrap();
        assert_eq!(none.messages.len(), 1, "at least one");
    }
}
