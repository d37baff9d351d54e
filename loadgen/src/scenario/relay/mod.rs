//! Relay: P pairs exchanging addressed signaling frames as fast as the server takes them
//! (a window of frames in flight each way); messages per second and latency. `server`
//! is what differs when the server is PeerJS's instead of meetmap's.

mod server;

pub use server::{PEERJS_KEY, Server};

use server::{PEERJS_HEARTBEAT, Read};

use super::context::Context;
use super::setup::{
    cpu_per, failed, note_first_error, open_with_and_report, setup_limit, shares, start_ready,
    tally, wait_go,
};
use crate::clock::{instant_at, now_us};
use crate::conn::{self, Ramp, Target, Ws};
use crate::procstat;
use crate::report::{Counts, Row, new_histogram, with_latency};
use crate::workers::{Down, Job, Share, Up, split};
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

/// The targets: messages per second and p99.
pub const TARGET_RATE: f64 = 150_000.0;
pub const TARGET_P99_MS: f64 = 50.0;
/// Time after the sending stops for the frames in flight to arrive.
const GRACE: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RelayJob {
    pub target: Target,
    pub ramp: Ramp,
    pub seconds: u64,
    /// Frames in flight each way per pair.
    pub window: u64,
    /// Whose server `target` is.
    #[serde(default)]
    pub server: Server,
}

impl Job for RelayJob {
    const NAME: &'static str = "Relay";

    async fn work(
        share: Share<Self>,
        up: &mpsc::Sender<Up>,
        mut down: mpsc::Receiver<Down>,
    ) -> Counts {
        let job = &share.job;
        // Pair p is clients 2p and 2p+1. The seed's clients have no `to`: one room per pair.
        let indices = (2 * share.first..2 * (share.first + share.count)).collect();
        // PeerJS has no rooms: its frames are always addressed.
        let legacy = job.target.legacy && job.server == Server::Meetmap;
        let room = |index: usize| {
            if legacy {
                format!("relay-{}", index / 2)
            } else {
                "relay".to_string()
            }
        };
        let server = job.server;
        let open = |index| server.open(&job.target, room(index), index);
        let opened = open_with_and_report(indices, job.ramp, open, up).await;
        let Some((start_us, _)) = wait_go(&mut down).await else {
            return Counts::default();
        };
        let (sockets, dropped) = opened.release().await;
        let mut by_index: HashMap<usize, Ws> = sockets.into_iter().collect();
        let until_us = start_us + job.seconds * 1_000_000;
        let mut pairs = JoinSet::new();
        for pair in share.first..share.first + share.count {
            if let (Some(a), Some(b)) = (
                by_index.remove(&(2 * pair)),
                by_index.remove(&(2 * pair + 1)),
            ) {
                let state = PairState::new(pair, server, legacy);
                pairs.spawn(run_pair(state, [a, b], start_us, until_us, job.window));
            }
        }
        let counts = Counts {
            dropped: dropped as u64,
            first_us: start_us,
            last_us: until_us,
            ..Counts::default()
        };
        tally(pairs, counts, "a pair task panicked").await
    }
}

/// One pair: each side keeps `window` frames in flight to the other until `until_us`,
/// then waits for the last ones.
async fn run_pair(
    mut state: PairState,
    mut sockets: [Ws; 2],
    start_us: u64,
    until_us: u64,
    window: u64,
) -> (Counts, Histogram<u64>) {
    let pair = state.pair;
    let mut next_beat_us = start_us;
    tokio::time::sleep_until(instant_at(start_us)).await;
    let stop = tokio::time::sleep_until(instant_at(until_us + GRACE.as_micros() as u64));
    tokio::pin!(stop);
    loop {
        let sending = now_us() < until_us;
        if let Some(beat) = state.server.heartbeat()
            && now_us() >= next_beat_us
        {
            next_beat_us += PEERJS_HEARTBEAT.as_micros() as u64;
            if let Err(error) = send_each(&mut sockets, beat).await {
                state
                    .counts
                    .error(format!("pair {pair}: heartbeat: {error}"));
                return (state.counts, state.latency);
            }
        }
        for (side, socket) in sockets.iter_mut().enumerate() {
            if !sending || state.in_flight[side] >= window {
                continue;
            }
            if let Err(error) = state.top_up(side, socket, window).await {
                state.counts.error(format!("pair {pair}: {error}"));
                return (state.counts, state.latency);
            }
        }
        if !sending && state.in_flight == [0, 0] {
            break;
        }
        let [a, b] = &mut sockets;
        let (side, message) = tokio::select! {
            message = a.next() => (0, message),
            message = b.next() => (1, message),
            _ = &mut stop => break,
        };
        if !state.read(side, message) {
            break;
        }
    }
    state.counts.due = state.counts.sent;
    state.counts.lost = state.counts.sent.saturating_sub(state.counts.received);
    for socket in sockets {
        tokio::spawn(conn::close(socket));
    }
    (state.counts, state.latency)
}

/// Sends `text` on each socket.
async fn send_each(sockets: &mut [Ws; 2], text: &str) -> Result<(), WsError> {
    for socket in sockets {
        socket.send(Message::Text(text.into())).await?;
    }
    Ok(())
}

/// What one pair has sent, has in flight each way, and has measured.
struct PairState {
    pair: usize,
    server: Server,
    /// Seed protocol: frames go to the room, unaddressed.
    legacy: bool,
    /// Each side's name on the server.
    ids: [String; 2],
    /// Frames sent by each side that its partner has not read yet.
    in_flight: [u64; 2],
    /// The last frame's number, over both sides.
    number: u64,
    counts: Counts,
    latency: Histogram<u64>,
}

impl PairState {
    fn new(pair: usize, server: Server, legacy: bool) -> Self {
        Self {
            pair,
            server,
            legacy,
            ids: [server.id(2 * pair), server.id(2 * pair + 1)],
            in_flight: [0; 2],
            number: 0,
            counts: Counts::default(),
            latency: new_histogram(),
        }
    }

    /// Feeds `side` frames to its partner until its window is full, then flushes them.
    async fn top_up(&mut self, side: usize, socket: &mut Ws, window: u64) -> Result<(), WsError> {
        let to = (!self.legacy).then_some(self.ids[1 - side].as_str());
        while self.in_flight[side] < window {
            self.number += 1;
            let frame = self.server.frame(to, now_us(), self.number);
            if socket.feed(Message::Text(frame.into())).await.is_err() {
                break;
            }
            self.in_flight[side] += 1;
            self.counts.sent += 1;
        }
        socket.flush().await
    }

    /// Takes in what `side` read: false once that side's connection has ended.
    fn read(&mut self, side: usize, message: Option<Result<Message, WsError>>) -> bool {
        let pair = self.pair;
        match message {
            Some(Ok(Message::Text(text))) => {
                self.counts.frames += 1;
                self.read_text(side, &text);
                true
            }
            Some(Ok(_)) => true,
            Some(Err(error)) => {
                self.counts.error(format!("pair {pair}: {error}"));
                self.counts.dropped += 1;
                false
            }
            None => {
                self.counts
                    .error(format!("pair {pair}: closed by the server"));
                self.counts.dropped += 1;
                false
            }
        }
    }

    /// A frame from the partner frees a place in its window and is timed; an error is
    /// noted.
    fn read_text(&mut self, side: usize, text: &str) {
        let partner = 1 - side;
        match self.server.read(text) {
            Read::Relayed { from, sent_us } if from == self.ids[partner] => {
                let _ = self.latency.record(now_us().saturating_sub(sent_us).max(1));
                self.in_flight[partner] = self.in_flight[partner].saturating_sub(1);
                self.counts.received += 1;
            }
            Read::Refused => self.counts.error(format!("pair {}: {text}", self.pair)),
            Read::Relayed { .. } | Read::Other => {}
        }
    }
}

/// Runs the relay with `pairs` pairs for `seconds` against meetmap's backend; one row.
pub async fn run(ctx: &Context, pairs: usize, seconds: u64, window: u64) -> Row {
    run_against(ctx, Server::Meetmap, pairs, seconds, window).await
}

/// [`run`] against `server`'s kind of server at `ctx`'s target.
pub async fn run_against(
    ctx: &Context,
    server: Server,
    pairs: usize,
    seconds: u64,
    window: u64,
) -> Row {
    let scenario = match server {
        Server::Meetmap => "relay",
        Server::PeerJs => "relay, PeerJS server",
    };
    let mut row = Row {
        scenario: scenario.into(),
        load: format!("{pairs} pairs, window {window} each way, {seconds} s"),
        ..Row::default()
    };
    let job = RelayJob {
        target: ctx.target.clone(),
        ramp: ctx.ramp,
        seconds,
        window,
        server,
    };
    let shares = shares(split(pairs, ctx.workers_for(2 * pairs)), &job);
    let (pool, setup) =
        match start_ready(shares, ctx.in_process, setup_limit(2 * pairs, ctx.ramp)).await {
            Ok(started) => started,
            Err(error) => return failed(row, error),
        };
    let before = ctx.server_pid.and_then(procstat::sample);
    pool.go(now_us() + 300_000, Vec::new()).await;
    let limit = Duration::from_secs(seconds + 60);
    let counts = match pool.finish(limit).await {
        Ok(counts) => counts,
        Err(error) => return failed(row, error),
    };
    let after = ctx.server_pid.and_then(procstat::sample);
    row = with_latency(row, counts.latency().as_ref());
    let rate = counts.received as f64 / seconds.max(1) as f64;
    row.result = format!("{rate:.0} msg/s");
    row.lost = Some(counts.lost);
    row.cpu_us_per_msg = cpu_per(before, after, counts.received as f64);
    row.correct =
        counts.lost == 0 && counts.dropped == 0 && counts.received > 0 && setup.connect_errors == 0;
    row.held =
        row.correct && rate >= TARGET_RATE && row.p99_ms.is_some_and(|p99| p99 <= TARGET_P99_MS);
    row.notes = format!(
        "{} sent, {} received, {} dropped, {} failed to register",
        counts.sent, counts.received, counts.dropped, setup.connect_errors
    );
    note_first_error(&mut row, counts.errors.first().or(setup.errors.first()));
    row
}
