//! History: clients registered in a room that holds many messages (filled beforehand by
//! `backend chat-seed`), each asking `chat-history` for the page just older than a random
//! message, one request at a time; the page latency (request → answer) and pages per
//! second, every page checked (its size, ascending ids, all older than asked).
//!
//! The room must hold only the seeded messages, whose ids follow each other: a client
//! reads the latest id from the latest page and takes the `messages` ids below it as the
//! room's.

use super::context::Context;
use super::setup::{
    RoomJob, Start, cpu_per, failed, note_first_error, serve_in_room, start_clients,
};
use crate::clock::{instant_at, now_us};
use crate::conn::{self, Ramp, Target, Ws};
use crate::procstat;
use crate::report::{Counts, Row, new_histogram, with_latency};
use crate::wire::{self, ChatProbe, ROOM_CONVERSATION};
use crate::workers::{Down, Job, Share, Up};
use futures_util::StreamExt;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// The target: p99 of a page's latency.
pub const TARGET_P99_MS: f64 = 10.0;
/// The page size the scenario asks for: the server's default, which the app asks for.
pub const PAGE: u32 = shared::HISTORY_PAGE_DEFAULT as u32;
/// Time for one answer before the client gives up.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HistoryJob {
    pub target: Target,
    pub room: String,
    pub ramp: Ramp,
    pub seconds: u64,
    /// Messages the room holds (its ids: the latest and the ones below it).
    pub messages: u64,
    pub limit: u32,
}

/// The settings of one history run.
#[derive(Debug, Clone)]
pub struct HistorySettings {
    pub clients: usize,
    pub seconds: u64,
    /// The room, seeded with `messages` messages.
    pub room: String,
    pub messages: u64,
}

impl Job for HistoryJob {
    const NAME: &'static str = "History";

    async fn work(share: Share<Self>, up: &mpsc::Sender<Up>, down: mpsc::Receiver<Down>) -> Counts {
        serve_in_room(share, up, down, reader).await
    }
}

impl RoomJob for HistoryJob {
    fn place(&self) -> (&Target, &str, Ramp) {
        (&self.target, &self.room, self.ramp)
    }
}

/// One client: finds the room's ids, then asks for pages before random ids until the
/// time is up; its counts (pages asked, answered) and page latency.
async fn reader(start: Start<HistoryJob>) -> (Counts, Histogram<u64>) {
    let Start {
        index,
        mut socket,
        start_us,
        job,
        ..
    } = start;
    let mut counts = Counts::default();
    let mut latency = new_histogram();
    tokio::time::sleep_until(instant_at(start_us)).await;
    let end_us = start_us + job.seconds * 1_000_000;
    let outcome = async {
        let latest = ask(&mut socket, None, job.limit).await?;
        let highest = latest
            .ids
            .last()
            .copied()
            .ok_or("the room holds no messages")?;
        let lowest = highest
            .saturating_sub(job.messages.saturating_sub(1))
            .max(1);
        // Every page a whole one, if the room holds that many.
        let first_before = (lowest + u64::from(job.limit)).min(highest);
        let mut random = Random::new(index as u64 ^ now_us());
        while now_us() < end_us {
            let before = random.between(first_before, highest);
            let asked_us = now_us();
            counts.sent += 1;
            let page = ask(&mut socket, Some(before), job.limit).await?;
            let _ = latency.record(now_us().saturating_sub(asked_us).max(1));
            counts.received += 1;
            if let Err(error) = check_page(&page, before, lowest, job.limit) {
                counts.error(format!("client {index}: page before {before}: {error}"));
            }
        }
        Ok::<_, String>(())
    };
    if let Err(error) = outcome.await {
        counts.error(format!("client {index}: {error}"));
        counts.lost = counts.sent - counts.received;
    }
    tokio::spawn(conn::close(socket));
    (counts, latency)
}

/// Asks for a page of the room (`before` a message, or the latest) and waits for the
/// answer (other frames, such as presence, are skipped).
async fn ask(socket: &mut Ws, before: Option<u64>, limit: u32) -> Result<Page, String> {
    conn::send_text(socket, wire::history_frame(before, limit)).await?;
    let answer = async {
        while let Some(message) = socket.next().await {
            let text = match message {
                Ok(Message::Text(text)) => text,
                Ok(_) => continue,
                Err(error) => return Err(format!("read: {error}")),
            };
            let Ok(probe) = serde_json::from_str::<ChatProbe>(&text) else {
                continue;
            };
            match probe.kind.as_ref() {
                "chat-history" => return page_of(probe),
                "error" => return Err(format!("refused: {text}")),
                _ => {}
            }
        }
        Err("closed by the server".to_string())
    };
    tokio::time::timeout(ANSWER_TIMEOUT, answer)
        .await
        .unwrap_or_else(|_| Err("no answer in time".into()))
}

/// A `chat-history` answer, read for what the scenario checks.
#[derive(Debug, Default, PartialEq)]
pub struct Page {
    pub ids: Vec<u64>,
    /// Whether the server says older messages are left.
    pub more: bool,
}

/// The page of a `chat-history` answer, which must be for the room.
fn page_of(probe: ChatProbe) -> Result<Page, String> {
    if probe.conversation.as_deref() != Some(ROOM_CONVERSATION) {
        return Err(format!("answer for {:?}, not the room", probe.conversation));
    }
    let ids = probe
        .messages
        .unwrap_or_default()
        .iter()
        .map(|m| m.id)
        .collect();
    Ok(Page {
        ids,
        more: probe.more,
    })
}

/// Checks a page asked before message `before` of a room whose ids run from `lowest`:
/// `limit` messages (or all older ones if fewer), ascending, each older than `before`,
/// following each other up to just below it; `more` when older ones are left.
pub fn check_page(page: &Page, before: u64, lowest: u64, limit: u32) -> Result<(), String> {
    let ids = &page.ids;
    let older = before.saturating_sub(lowest);
    let expected = older.min(u64::from(limit));
    if ids.len() as u64 != expected {
        return Err(format!("{} messages, {expected} expected", ids.len()));
    }
    if !ids.windows(2).all(|pair| pair[0] < pair[1]) {
        return Err(format!("ids not ascending: {ids:?}"));
    }
    if ids.iter().any(|id| *id >= before) {
        return Err(format!("an id not older than {before}: {ids:?}"));
    }
    if let Some(first) = ids.first()
        && *first != before - expected
    {
        return Err(format!("starts at {first}, not {}", before - expected));
    }
    if page.more != (expected < older) {
        return Err(format!("more is {} with {older} older messages", page.more));
    }
    Ok(())
}

/// A small xorshift generator: random places in the room, different for each client.
struct Random(u64);

impl Random {
    fn new(seed: u64) -> Self {
        Self(seed | 1)
    }

    /// A number in `low..=high` (`low` if the range is empty).
    fn between(&mut self, low: u64, high: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        low + self.0 % (high.saturating_sub(low) + 1)
    }
}

/// Runs the history scenario against a room seeded beforehand; one row.
pub async fn run(ctx: &Context, settings: &HistorySettings) -> Row {
    let clients = settings.clients.max(1);
    let mut row = Row {
        scenario: "chat history".into(),
        load: format!(
            "{clients} clients, a page of {PAGE} before a random message, one at a time, \
             room of {} messages, {} s",
            settings.messages, settings.seconds
        ),
        ..Row::default()
    };
    let job = HistoryJob {
        target: Target {
            url: ctx.target.url.clone(),
            legacy: false,
        },
        room: settings.room.clone(),
        ramp: ctx.ramp,
        seconds: settings.seconds.max(1),
        messages: settings.messages,
        limit: PAGE,
    };
    let (pool, setup) = match start_clients(ctx, clients, &job).await {
        Ok(started) => started,
        Err(error) => return failed(row, error),
    };
    let before = ctx.server_pid.and_then(procstat::sample);
    pool.go(now_us() + 300_000, Vec::new()).await;
    let limit = Duration::from_secs(job.seconds) + ANSWER_TIMEOUT + Duration::from_secs(60);
    let counts = match pool.finish(limit).await {
        Ok(counts) => counts,
        Err(error) => return failed(row, error),
    };
    let after = ctx.server_pid.and_then(procstat::sample);
    row = with_latency(row, counts.latency().as_ref());
    let rate = counts.received as f64 / job.seconds as f64;
    row.result = format!("{rate:.0} pages/s");
    row.lost = Some(counts.lost);
    row.cpu_us_per_msg = cpu_per(before, after, counts.received as f64);
    row.correct = counts.error_count == 0
        && counts.lost == 0
        && counts.dropped == 0
        && counts.received > 0
        && setup.connect_errors == 0;
    row.held = row.correct && row.p99_ms.is_some_and(|p99| p99 <= TARGET_P99_MS);
    row.notes = format!(
        "latency = request → page; {} pages checked, {} bad, {} dropped, {} failed to register; CPU per page",
        counts.received, counts.error_count, counts.dropped, setup.connect_errors
    );
    note_first_error(&mut row, counts.errors.first().or(setup.errors.first()));
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(ids: impl IntoIterator<Item = u64>, more: bool) -> Page {
        Page {
            ids: ids.into_iter().collect(),
            more,
        }
    }

    #[test]
    fn a_whole_page_is_the_fifty_just_older_ascending() {
        assert_eq!(check_page(&page(950..1000, true), 1000, 1, 50), Ok(()));
        assert_eq!(
            check_page(&page(1..51, false), 51, 1, 50),
            Ok(()),
            "the oldest"
        );
        assert_eq!(
            check_page(&page(1..10, false), 10, 1, 50),
            Ok(()),
            "a short one"
        );
    }

    #[test]
    fn a_wrong_page_is_named() {
        let refusal = |page: Page| check_page(&page, 1000, 1, 50).unwrap_err();
        assert!(refusal(page((950..1000).rev(), true)).contains("ascending"));
        assert!(refusal(page(951..1001, true)).contains("not older"));
        assert!(refusal(page(960..1000, true)).contains("40 messages"));
        assert!(refusal(page(940..990, true)).contains("starts at 940"));
        assert!(refusal(page(950..1000, false)).contains("more is false"));
        let oldest = check_page(&page(1..51, true), 51, 1, 50).unwrap_err();
        assert!(oldest.contains("more is true"), "{oldest}");
    }

    #[test]
    fn random_places_stay_in_the_room() {
        let mut random = Random::new(7);
        let places: Vec<u64> = (0..1000).map(|_| random.between(51, 1_000_000)).collect();
        assert!(places.iter().all(|p| (51..=1_000_000).contains(p)));
        assert!(places.iter().any(|p| *p > 500_000) && places.iter().any(|p| *p < 500_000));
        assert_eq!(Random::new(3).between(5, 5), 5);
    }
}
