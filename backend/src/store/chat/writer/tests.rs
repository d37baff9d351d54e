//! Batches run straight on a real file: a failure in SQLite refuses its job alone, a
//! repeat within one batch is a duplicate, and the tail (ids, conversations) is written
//! once.

use std::sync::mpsc;

use rusqlite::Connection;

use super::super::job::{BatchEnd, Job, Reply, WriterSettings};
use super::super::model::{ChatRefusal, NewMessage, Posted};
use super::super::schema::open_writer;
use super::super::tests::message;
use super::batch::{answer, run_batch};

type Answers = mpsc::Receiver<(usize, Result<Posted, ChatRefusal>)>;

/// A post job for each of `posts`, answered on the channel with its index.
fn jobs(posts: Vec<NewMessage>) -> (Vec<Job>, Answers) {
    let (sent, answers) = mpsc::channel();
    let jobs = posts
        .into_iter()
        .enumerate()
        .map(|(i, post)| {
            let sent = sent.clone();
            let reply: Reply<Posted> = Box::new(move |outcome| drop(sent.send((i, outcome))));
            Job::Post(post, reply)
        })
        .collect();
    (jobs, answers)
}

/// Runs `posts` as one batch on `conn`, which commits; their answers in order.
fn run(conn: &mut Connection, posts: Vec<NewMessage>) -> Vec<Result<Posted, ChatRefusal>> {
    let settings = WriterSettings {
        edit_window_ms: 1,
        batch_end: BatchEnd::default(),
    };
    let (batch, answers) = jobs(posts);
    let mut outcomes = Vec::new();
    assert!(run_batch(conn, &settings, &batch, &mut outcomes));
    for (job, outcome) in batch.into_iter().zip(outcomes) {
        answer(job, outcome, true);
    }
    answers.try_iter().map(|(_, outcome)| outcome).collect()
}

fn fresh() -> (tempfile::TempDir, Connection) {
    let dir = tempfile::tempdir().unwrap();
    let conn = open_writer(&dir.path().join("chat.sqlite3")).unwrap();
    (dir, conn)
}

fn texts(conn: &Connection) -> Vec<String> {
    conn.prepare("SELECT text FROM chat_messages ORDER BY id")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// (the last id handed out, the room's last message, the direct conversations' count).
fn tail_of(conn: &Connection) -> (i64, i64, i64) {
    conn.query_row(
        "SELECT (SELECT last FROM chat_ids),
            (SELECT last_id FROM chat_conversations WHERE conversation = ''),
            (SELECT COUNT(*) FROM chat_conversations WHERE conversation <> '')",
        [],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
    )
    .unwrap()
}

#[test]
fn a_failure_in_sqlite_refuses_its_job_alone_and_the_rest_of_the_batch_is_stored() {
    let (_dir, mut conn) = fresh();
    conn.execute_batch(
        "CREATE TRIGGER poison BEFORE INSERT ON chat_messages WHEN NEW.text = 'poison'
         BEGIN SELECT RAISE(ABORT, 'poisoned'); END;",
    )
    .unwrap();
    let posts = ["first", "poison", "last"]
        .map(|text| message("a@x.com", None, text, Some(text)))
        .into();
    let answered: Vec<Result<String, ChatRefusal>> = run(&mut conn, posts)
        .into_iter()
        .map(|outcome| outcome.map(|posted| posted.message.text))
        .collect();
    assert_eq!(
        answered,
        [
            Ok("first".to_owned()),
            Err(ChatRefusal::StoreUnavailable),
            Ok("last".to_owned()),
        ]
    );
    assert_eq!(texts(&conn), ["first", "last"]);
    assert_eq!(
        tail_of(&conn),
        (3, 3, 0),
        "the batch ran again from the start (the poisoned post's id skipped), and the \
         room's last message is the last one stored"
    );
}

#[test]
fn a_repeat_within_one_batch_is_a_duplicate_and_each_conversation_ends_at_its_last() {
    let (_dir, mut conn) = fresh();
    conn.execute_batch(
        "INSERT INTO room_members (room, email, name, last_seen)
         VALUES ('lobby', 'b@x.com', 'B', 0)",
    )
    .unwrap();
    let posts = vec![
        message("a@x.com", None, "one", Some("k-1")),
        message("a@x.com", Some("b@x.com"), "psst", Some("k-2")),
        message("a@x.com", None, "one", Some("k-1")),
        message("a@x.com", None, "two", Some("k-1")),
        message("b@x.com", None, "three", None),
    ];
    let answered = run(&mut conn, posts);
    let first = answered[0].as_ref().unwrap();
    let again = answered[2].as_ref().unwrap();
    assert!(!first.duplicate && again.duplicate);
    assert_eq!(again.message, first.message);
    assert_eq!(answered[3], Err(ChatRefusal::ClientIdReused));
    let third = answered[4].as_ref().unwrap();
    assert_eq!(texts(&conn), ["one", "psst", "three"]);
    let (last, room_last, directs) = tail_of(&conn);
    assert_eq!((room_last, directs), (third.message.id, 1));
    assert!(
        last >= third.message.id,
        "the sequence is past every id stored"
    );
}

#[test]
fn a_resend_is_a_duplicate_even_after_its_recipient_was_forgotten() {
    let (_dir, mut conn) = fresh();
    conn.execute_batch(
        "INSERT INTO room_members (room, email, name, last_seen)
         VALUES ('lobby', 'b@x.com', 'B', 0)",
    )
    .unwrap();
    let direct = || message("a@x.com", Some("b@x.com"), "psst", Some("k-1"));
    let first = run(&mut conn, vec![direct()]).remove(0).unwrap();
    conn.execute_batch("DELETE FROM room_members").unwrap();
    let again = run(&mut conn, vec![direct()]).remove(0).unwrap();
    assert!(again.duplicate);
    assert_eq!(again.message, first.message);
    let other = message("a@x.com", Some("b@x.com"), "psst", Some("k-2"));
    assert_eq!(
        run(&mut conn, vec![other]),
        [Err(ChatRefusal::UnknownRecipient)]
    );
}
