//! A bulk fill of a room's history for benchmarks and demos (`backend chat-seed`): one
//! transaction, prepared statements, the same tables and ids as posted messages.
//! Run it while the server is stopped: its transaction holds the file's write lock.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::params;

use super::ids::Ids;
use super::messages::{remember, touch_conversation};
use super::model::{ChatStoreError, ROOM_KEY, now_ms};
use super::schema::{file_error, open_writer};

/// What to fill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedPlan {
    pub room: String,
    pub messages: u64,
    /// Senders, taking turns: `seed-0@example.invalid`, `seed-1@...`.
    pub senders: u64,
    /// When the first message was sent (ms since the epoch), and the time between two.
    pub first_at: i64,
    pub step_ms: i64,
}

impl SeedPlan {
    /// `messages` from `senders`, one a second, the last one sent now.
    pub fn ending_now(room: &str, messages: u64, senders: u64) -> Self {
        let step_ms = 1_000;
        let span = i64::try_from(messages)
            .unwrap_or(i64::MAX)
            .saturating_mul(step_ms);
        Self {
            room: room.to_owned(),
            messages,
            senders: senders.max(1),
            first_at: now_ms().saturating_sub(span),
            step_ms,
        }
    }
}

/// The email of seeded sender `k`.
pub fn seed_sender(k: u64) -> String {
    format!("seed-{k}@example.invalid")
}

/// What a fill did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seeded {
    pub first_id: i64,
    pub last_id: i64,
    pub elapsed: Duration,
}

/// Fills the chat file at `path` as `plan` says, in one transaction.
pub fn seed(path: &Path, plan: &SeedPlan) -> Result<Seeded, ChatStoreError> {
    let started = Instant::now();
    let mut conn = open_writer(path)?;
    let fail = |e: rusqlite::Error| file_error(path, &e);
    let tx = conn.transaction().map_err(fail)?;
    let senders = plan.senders.max(1);
    let names: Vec<(String, String)> = (0..senders)
        .map(|k| (seed_sender(k), format!("Seed {k}")))
        .collect();
    let now = now_ms();
    for (email, name) in &names {
        remember(&tx, &plan.room, email, name, now).map_err(fail)?;
    }
    let (mut first_id, mut last_id, mut last_at) = (0, 0, 0);
    let mut ids = Ids::read(&tx).map_err(fail)?;
    {
        let mut insert = tx
            .prepare_cached(
                "INSERT INTO chat_messages (id, room, conversation, sender, name, text, sent_at,
                    changed)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?1)",
            )
            .map_err(fail)?;
        let mut text = String::new();
        for i in 0..plan.messages {
            let sent_at = plan.first_at.saturating_add(
                i64::try_from(i)
                    .unwrap_or(i64::MAX)
                    .saturating_mul(plan.step_ms),
            );
            let id = ids.take();
            let (email, name) = &names[usize::try_from(i % senders).unwrap_or(0)];
            text.clear();
            let _ = write!(text, "seed message {i}");
            insert
                .execute(params![id, plan.room, ROOM_KEY, email, name, text, sent_at])
                .map_err(fail)?;
            if first_id == 0 {
                first_id = id;
            }
            (last_id, last_at) = (id, sent_at);
        }
    }
    ids.save(&tx).map_err(fail)?;
    if last_id > 0 {
        touch_conversation(&tx, &plan.room, ROOM_KEY, last_id, last_at).map_err(fail)?;
    }
    tx.commit().map_err(fail)?;
    Ok(Seeded {
        first_id,
        last_id,
        elapsed: started.elapsed(),
    })
}
