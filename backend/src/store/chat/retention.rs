//! Retention in the background: messages older than the retention period, beyond the
//! bound per conversation, and members not seen for the users' retention, deleted at
//! start and then hourly, in bounded steps queued to the writer like any other job.

use std::time::Duration;

use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use super::backend::Backend;
use super::config::ChatConfig;
use super::job::Job;
use super::model::now_ms;
use super::purge::{PURGE_BATCH, Purge};

/// Time between two passes.
pub(super) const RETENTION_INTERVAL: Duration = Duration::from_secs(3600);

/// What a pass deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Messages older than the retention period.
    pub old: usize,
    /// Messages beyond the bound of their conversation.
    pub beyond: usize,
    /// Members not seen for the members' retention.
    pub members: usize,
}

/// Runs [`purge_once`] at once and then every [`RETENTION_INTERVAL`] until `stop`.
pub(super) async fn purge_periodically(
    backend: Backend,
    config: ChatConfig,
    stop: CancellationToken,
) {
    let mut ticks = tokio::time::interval(RETENTION_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = ticks.tick() => {}
        }
        let purged = tokio::select! {
            _ = stop.cancelled() => return,
            purged = purge_once(&backend, &config) => purged,
        };
        if purged != Purged::default() {
            log::info!(
                "chat store: deleted {} old messages, {} beyond a conversation's bound, \
                 {} members not seen for long",
                purged.old,
                purged.beyond,
                purged.members
            );
        }
    }
}

/// One pass of retention, step by step.
pub(super) async fn purge_once(backend: &Backend, config: &ChatConfig) -> Purged {
    let now = now_ms();
    let before =
        |keep: Duration| now.saturating_sub(i64::try_from(keep.as_millis()).unwrap_or(i64::MAX));
    let mut purged = Purged::default();
    if let Some(keep) = config.retention {
        purged.old = until_done(backend, || Purge::SentBefore(before(keep))).await;
    }
    if let Some(max) = config.max_per_conversation {
        match backend.over_the_bound(max).await {
            Ok(over) => {
                for (room, key, below) in over {
                    let step = || Purge::Beyond {
                        room: room.clone(),
                        key: key.clone(),
                        below,
                    };
                    purged.beyond += until_done(backend, step).await;
                }
            }
            Err(refusal) => log::warn!("chat store: retention could not count: {refusal}"),
        }
    }
    if let Some(keep) = config.member_retention {
        purged.members = until_done(backend, || Purge::MembersBefore(before(keep))).await;
    }
    purged
}

/// Runs the steps `step` makes until one deletes less than a full batch; the rows deleted.
async fn until_done(backend: &Backend, step: impl Fn() -> Purge) -> usize {
    let full = usize::try_from(PURGE_BATCH).unwrap_or(usize::MAX);
    let mut total = 0;
    loop {
        let (done, deleted) = oneshot::channel();
        if !backend.submit_waiting(Job::Purge(step(), done)).await {
            return total;
        }
        let deleted = deleted.await.unwrap_or(0);
        total += deleted;
        if deleted < full {
            return total;
        }
    }
}
