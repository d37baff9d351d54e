//! Chat with storage: a room of subprotocol clients, some of them sending `chat` with a
//! client id each at a total rate, with a window of unacked messages per sender. Measured:
//! the ack latency (send → `chat-ack`, and an ack means stored), messages stored per
//! second, the server's CPU per message; checked: every message acked once, and every
//! measured receiver given every other sender's messages once each, in that sender's order.
//!
//! The public side is [`ChatJob`] (a worker's), [`ChatSettings`] and [`run`] (the
//! parent's); `job` is what every worker is told, `client` one connection's task,
//! `ledger` its books.

mod client;
mod job;
mod ledger;

pub use job::{ChatJob, ChatSettings};

use super::context::Context;
use super::setup::{cpu_per, failed, note_first_error, serve_in_room, start_clients};
use crate::clock::now_us;
use crate::procstat::{self, Sample};
use crate::report::{Counts, Row, with_latency};
use crate::workers::{Down, Job, Share, Up};
use std::time::Duration;
use tokio::sync::mpsc;

/// The targets: messages stored per second, at this p99 of the ack latency.
pub const TARGET_RATE: f64 = 20_000.0;
pub const TARGET_P99_MS: f64 = 50.0;

impl Job for ChatJob {
    const NAME: &'static str = "Chat";

    async fn work(share: Share<Self>, up: &mpsc::Sender<Up>, down: mpsc::Receiver<Down>) -> Counts {
        serve_in_room(share, up, down, client::client).await
    }
}

/// Runs the chat scenario; one row.
pub async fn run(ctx: &Context, settings: ChatSettings) -> Row {
    let job = ChatJob::new(&ctx.target, ctx.ramp, settings);
    let clients = settings.clients.max(1);
    let row = Row {
        scenario: "chat".into(),
        load: format!(
            "{clients} users in one room, {} sending {} msg/s in all, window {}, {} s",
            job.senders, settings.rate, job.window, settings.seconds
        ),
        ..Row::default()
    };
    let (pool, setup) = match start_clients(ctx, clients, &job).await {
        Ok(started) => started,
        Err(error) => return failed(row, error),
    };
    let before = ctx.server_pid.and_then(procstat::sample);
    pool.go(now_us() + 500_000, setup.failed_clients.clone())
        .await;
    let limit = Duration::from_millis(job.deadline_ms) + Duration::from_secs(60);
    let mut counts = match pool.finish(limit).await {
        Ok(counts) => counts,
        Err(error) => return failed(row, error),
    };
    let after = ctx.server_pid.and_then(procstat::sample);
    counts.connect_errors = setup.connect_errors;
    let absent = setup.failed_clients.iter().filter(|i| **i < job.senders);
    let planned = job.messages * (job.senders - absent.count()) as u64;
    let mut row = judged(row, &counts, planned, (before, after));
    note_first_error(&mut row, counts.errors.first().or(setup.errors.first()));
    row
}

/// Messages stored per second: the acks over the span they came out in, first to last
/// (`acked - 1` gaps). Not over the run from its first send: that span holds the last ack's
/// latency as well, so a server keeping up with exactly the target rate would measure
/// below it. A server slower than the offered rate spreads its acks over a longer span
/// (and its p99 grows); a generator sending late does too.
fn stored_rate(counts: &Counts) -> f64 {
    let span_us = counts.last_us.saturating_sub(counts.first_ack_us);
    if counts.first_ack_us == 0 || span_us == 0 {
        return 0.0;
    }
    counts.acked.saturating_sub(1) as f64 * 1e6 / span_us as f64
}

/// The row of a run that ran: `planned` messages were to be sent in all.
fn judged(
    mut row: Row,
    counts: &Counts,
    planned: u64,
    server: (Option<Sample>, Option<Sample>),
) -> Row {
    row = with_latency(row, counts.latency().as_ref());
    let unacked = counts.sent.saturating_sub(counts.acked);
    row.lost = Some(unacked + counts.lost);
    let rate = stored_rate(counts);
    row.result = format!("{rate:.0} msg/s stored");
    row.cpu_us_per_msg = cpu_per(server.0, server.1, counts.acked as f64);
    row.correct = counts.sent == planned
        && unacked == 0
        && counts.lost == 0
        && counts.duplicated == 0
        && counts.reordered == 0
        && counts.dropped == 0
        && counts.connect_errors == 0
        && counts.error_count == 0
        && counts.received > 0;
    row.held =
        row.correct && rate >= TARGET_RATE && row.p99_ms.is_some_and(|p99| p99 <= TARGET_P99_MS);
    row.notes = format!(
        "latency = send → ack; {} of {planned} sent, {} acked; measured receivers: {} of {} \
         delivered, {} duplicated, {} out of order; {} dropped, {} failed to register; \
         sender lag max {} ms",
        counts.sent,
        counts.acked,
        counts.received,
        counts.due,
        counts.duplicated,
        counts.reordered,
        counts.dropped,
        counts.connect_errors,
        counts.send_lag_max_us / 1000
    );
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_is_read_over_the_acks_own_span() {
        let counts = Counts {
            acked: 100_001,
            first_us: 500_000,
            first_ack_us: 1_000_000,
            last_us: 6_000_000,
            ..Counts::default()
        };
        assert_eq!(stored_rate(&counts), 20_000.0);
        let unacked = Counts {
            first_us: 500_000,
            ..Counts::default()
        };
        assert_eq!(stored_rate(&unacked), 0.0);
    }
}
