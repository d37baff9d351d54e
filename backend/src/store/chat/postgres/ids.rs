//! Ids on PostgreSQL: one `nextval` of the `chat_ids` sequence per id a batch may hand out,
//! taken in one statement after the batch holds the lock of every room it writes to, so
//! that within a room ids are committed in increasing order whichever node commits (a
//! reader's cursor never passes a message that commits later).

use deadpool_postgres::Transaction;

use super::super::job::Job;
use super::super::messages::JobError;
use super::super::model::ChatRefusal;
use super::sql::{execute, rows};

/// The advisory locks' first key for rooms (the second is the room's hash): apart from
/// the one-key locks (the migrations').
const ROOM_LOCKS: i32 = 0x6368_6174; // "chat"

/// The ids a batch took, in increasing order.
pub(super) struct Ids {
    /// Highest first, so that [`Ids::take`] pops the lowest.
    left: Vec<i64>,
}

impl Ids {
    /// The lock keys of the rooms `batch` posts or changes in, in one order for every node
    /// (two batches locking the same rooms never deadlock), and the ids it may use.
    pub fn wanted_by(batch: &[Job]) -> (Vec<i32>, i64) {
        let mut rooms: Vec<i32> = batch.iter().filter_map(room_of).map(room_hash).collect();
        let wanted = i64::try_from(rooms.len()).unwrap_or(i64::MAX);
        rooms.sort_unstable();
        rooms.dedup();
        (rooms, wanted)
    }

    /// Locks `rooms` (from [`Ids::wanted_by`]), then takes `wanted` ids.
    pub async fn reserve(
        tx: &Transaction<'_>,
        rooms: Vec<i32>,
        wanted: i64,
    ) -> Result<Ids, tokio_postgres::Error> {
        for room in &rooms {
            execute(
                tx,
                "SELECT pg_advisory_xact_lock($1, $2)",
                &[&ROOM_LOCKS, room],
            )
            .await?;
        }
        let mut left = Vec::new();
        if wanted > 0 {
            let sql = "SELECT nextval('chat_ids') FROM generate_series(1, $1::bigint)";
            for row in rows(tx, sql, &[&wanted]).await? {
                left.push(row.try_get::<_, i64>(0)?);
            }
        }
        left.sort_unstable_by(|a, b| b.cmp(a));
        Ok(Ids { left })
    }

    /// The next id (refused, never short, as many were taken as jobs may use).
    pub fn take(&mut self) -> Result<i64, JobError> {
        self.left
            .pop()
            .ok_or(JobError::Refused(ChatRefusal::StoreUnavailable))
    }
}

/// The room a job takes an id in, if it takes one.
fn room_of(job: &Job) -> Option<&str> {
    match job {
        Job::Post(post, _) => Some(&post.room),
        Job::Change(change, _) => Some(&change.room),
        _ => None,
    }
}

/// The room's lock key: FNV-1a of its name (the same on every node and build).
fn room_hash(room: &str) -> i32 {
    let hash = room.bytes().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    });
    i32::from_ne_bytes(hash.to_ne_bytes())
}
