//! Unit tests of the outbox: order, bounds, shared entries, pings and closing.

use super::*;

fn frame(size: usize) -> Frame {
    Frame::text(&"x".repeat(size))
}

#[test]
fn frames_come_out_in_order_and_an_emptied_queue_holds_no_storage() {
    let outbox = Outbox::new(10, 1_000_000);
    for size in 1..=5 {
        assert_eq!(outbox.push(frame(size), true), Pushed::Queued);
    }
    let mut batch = Vec::new();
    outbox.take(&mut batch, 3).expect("not kicked");
    outbox.take(&mut batch, 3).expect("not kicked");
    let sizes: Vec<usize> = batch.iter().map(|f| f.payload().len()).collect();
    assert_eq!(sizes, [1, 2, 3, 4, 5]);
    assert_eq!(outbox.pending().frames.capacity(), 0);
}

#[test]
fn the_frame_bound_and_the_byte_bound_each_kick() {
    let by_count = Outbox::new(2, 1_000_000);
    by_count.push(frame(1), true);
    by_count.push(frame(1), true);
    assert!(matches!(
        by_count.push(frame(1), false),
        Pushed::Kicked { .. }
    ));
    assert_eq!(by_count.push(frame(1), true), Pushed::Dropped);
    assert_eq!(by_count.take(&mut Vec::new(), 10), Err(Closed::Kicked));

    let by_bytes = Outbox::new(100, 100);
    assert_eq!(
        by_bytes.push(frame(500), true),
        Pushed::Queued,
        "first always fits"
    );
    assert!(matches!(
        by_bytes.push(frame(1), true),
        Pushed::Kicked { .. }
    ));
}

#[test]
fn a_snapshot_is_not_counted_against_the_byte_bound_and_written_bytes_make_room() {
    let outbox = Outbox::new(100, 100);
    assert_eq!(outbox.push(frame(500), false), Pushed::Queued, "a snapshot");
    assert_eq!(
        outbox.push(frame(60), true),
        Pushed::Queued,
        "the delta after it"
    );
    assert!(matches!(
        outbox.push(frame(60), true),
        Pushed::Kicked { .. }
    ));

    let outbox = Outbox::new(100, 100);
    outbox.push(frame(500), false);
    outbox.push(frame(60), true);
    let mut batch = Vec::new();
    let taken = outbox.take(&mut batch, 10).expect("not kicked");
    assert_eq!(taken.counted_bytes, frame(60).len());
    outbox.written(taken.counted_bytes);
    assert_eq!(outbox.push(frame(90), true), Pushed::Queued);
}

#[test]
fn shared_frames_are_one_entry_taken_whole_and_never_counted() {
    let outbox = Outbox::new(2, 10);
    let pages: Arc<[Frame]> = (1..=5).map(frame).collect();
    assert_eq!(outbox.push(frame(50), true), Pushed::Queued);
    assert_eq!(outbox.push_shared(Arc::clone(&pages)), Pushed::Queued);
    let mut batch = Vec::new();
    let taken = outbox.take(&mut batch, 2).expect("open");
    assert_eq!(batch.len(), 6, "the shared entry is taken whole");
    assert_eq!(&batch[1..], &pages[..]);
    assert_eq!(taken.counted_bytes, frame(50).len());
}

#[test]
fn a_ping_leads_the_next_batch_once_and_a_close_wins_over_frames() {
    let outbox = Outbox::new(10, 1_000);
    outbox.push(frame(1), true);
    outbox.ping();
    let mut batch = Vec::new();
    let taken = outbox.take(&mut batch, 10).expect("open");
    assert!(taken.ping_due);
    assert_eq!(batch, [Frame::ping(), frame(1)]);
    let taken = outbox.take(&mut batch, 10).expect("open");
    assert!(!taken.ping_due);
    outbox.push(frame(1), true);
    outbox.close(Closed::ServerShutdown);
    outbox.close(Closed::Kicked);
    assert_eq!(outbox.take(&mut batch, 10), Err(Closed::ServerShutdown));
    assert_eq!(outbox.push(frame(1), true), Pushed::Dropped);
}

#[tokio::test]
async fn a_push_made_while_nobody_waits_still_wakes_the_next_wait() {
    let outbox = Outbox::new(10, 1_000);
    outbox.push(frame(1), true);
    tokio::time::timeout(std::time::Duration::from_secs(5), outbox.woken())
        .await
        .expect("woken by the earlier push");
}

#[tokio::test]
async fn a_push_wakes_a_waiting_task_once_and_the_wake_is_taken() {
    let outbox = Arc::new(Outbox::new(10, 1_000));
    let waiter = tokio::spawn({
        let outbox = Arc::clone(&outbox);
        async move { outbox.woken().await }
    });
    // Pushed whether the waiter waits already or not: either way it returns.
    outbox.push(frame(1), true);
    tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
        .await
        .expect("woken by the push")
        .expect("the waiter ran");
    let again = tokio::time::timeout(std::time::Duration::from_millis(50), outbox.woken());
    assert!(again.await.is_err(), "one push, one wake");
}
