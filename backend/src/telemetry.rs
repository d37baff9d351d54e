//! The server's metrics (a leaf module but for the kinds of frames it counts): each name
//! written once here, and the small calls the other
//! modules make to move them. Labels are fixed sets (a message type, an error code, a
//! refusal's reason), never a client's words, except the room of the few largest rooms.
//! Without a recorder installed (no `--admin-listen`) every call is a no-op.

use crate::frame::FrameKind;
use metrics::{Counter, counter, gauge, histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use metrics_util::MetricKindMask;
use std::cell::RefCell;
use std::sync::Arc;
use std::thread::LocalKey;
use std::time::{Duration, Instant};

/// Connections open now, handshakes included.
pub const CONNECTIONS_OPEN: &str = "meetmap_connections_open";
/// Users online now (distinct emails with a registered connection).
pub const USERS_ONLINE: &str = "meetmap_users_online";
/// Users online in each of the largest rooms (label `room`).
pub const ROOM_USERS_ONLINE: &str = "meetmap_room_users_online";
/// Users online in the rooms not listed one by one.
pub const OTHER_ROOMS_USERS_ONLINE: &str = "meetmap_other_rooms_users_online";
/// Rooms the hub holds.
pub const ROOMS: &str = "meetmap_rooms";
/// Frames read from clients, by message type (label `type`; `invalid` when undecodable).
pub const FRAMES_IN: &str = "meetmap_frames_in_total";
/// Frames written to clients' sockets, by type (label `type`: a server message's, a relayed
/// signal's, `ping` for the keep-alive).
pub const FRAMES_OUT: &str = "meetmap_frames_out_total";
/// Error frames sent to clients, by error code (label `code`).
pub const ERRORS: &str = "meetmap_errors_total";
/// Frames dropped over a rate or fan-out budget (answered with `rate-limited` or dropped
/// silently, as typing hints are).
pub const RATE_LIMITED: &str = "meetmap_rate_limited_frames_total";
/// Connections closed because their outbound queue was full (a client too slow to read).
pub const SLOW_CONSUMER_CLOSES: &str = "meetmap_slow_consumer_closes_total";
/// Connections ended, by why (label `reason`).
pub const CONNECTIONS_CLOSED: &str = "meetmap_connections_closed_total";
/// Connections refused before or at the handshake, by why (label `reason`).
pub const HANDSHAKE_REFUSALS: &str = "meetmap_handshake_refusals_total";
/// Seconds one write of the users store took (a batch), failed ones included.
pub const STORE_WRITE_SECONDS: &str = "meetmap_store_write_seconds";
/// Failed writes of the users store (each retried).
pub const STORE_WRITE_FAILURES: &str = "meetmap_store_write_failures_total";
/// User records waiting for the users store.
pub const STORE_PENDING: &str = "meetmap_store_pending_writes";
/// Seconds one presence tick (every dirty room flushed) took.
pub const PRESENCE_TICK_SECONDS: &str = "meetmap_presence_tick_seconds";
/// 1 while the backplane (`--redis`) is connected to Redis, 0 while degraded (this node's
/// clients only); absent without `--redis`.
pub const BACKPLANE_UP: &str = "meetmap_backplane_up";

/// How many rooms get a gauge of their own.
pub const LARGEST_ROOMS: usize = 10;

/// A gauge not set for this long (a room no longer among the largest) leaves the output.
const GAUGE_IDLE: Duration = Duration::from_secs(300);

/// Installs the process's Prometheus recorder; its handle renders `/metrics`. Fails if a
/// recorder is installed already.
pub fn install() -> Result<PrometheusHandle, String> {
    let recorder = PrometheusBuilder::new()
        .idle_timeout(MetricKindMask::GAUGE, Some(GAUGE_IDLE))
        .build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder).map_err(|error| error.to_string())?;
    describe();
    Ok(handle)
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_gauge!(
        CONNECTIONS_OPEN,
        "Connections open now, handshakes included."
    );
    describe_gauge!(USERS_ONLINE, "Users online now (distinct emails).");
    describe_gauge!(
        ROOM_USERS_ONLINE,
        "Users online in each of the largest rooms."
    );
    describe_gauge!(OTHER_ROOMS_USERS_ONLINE, "Users online in the other rooms.");
    describe_gauge!(ROOMS, "Rooms the hub holds.");
    describe_counter!(FRAMES_IN, "Frames read from clients, by message type.");
    describe_counter!(FRAMES_OUT, "Frames written to clients' sockets, by type.");
    describe_counter!(ERRORS, "Error frames sent to clients, by error code.");
    describe_counter!(
        RATE_LIMITED,
        "Frames dropped over a rate or fan-out budget."
    );
    describe_counter!(
        SLOW_CONSUMER_CLOSES,
        "Connections closed as too slow to read."
    );
    describe_counter!(CONNECTIONS_CLOSED, "Connections ended, by reason.");
    describe_counter!(
        HANDSHAKE_REFUSALS,
        "Connections refused at the handshake, by reason."
    );
    describe_histogram!(STORE_WRITE_SECONDS, "Seconds one users-store write took.");
    describe_counter!(STORE_WRITE_FAILURES, "Failed users-store writes (retried).");
    describe_gauge!(STORE_PENDING, "User records waiting for the users store.");
    describe_histogram!(PRESENCE_TICK_SECONDS, "Seconds one presence tick took.");
    describe_gauge!(BACKPLANE_UP, "1 while the backplane is connected to Redis.");
}

/// The per-frame counters' handles, per worker thread and per label (by the label's
/// address: every label is a `&'static str`): a frame then costs an atomic add, not the
/// registry's lookup of its name and labels. Handles are made on first use, after
/// `install`, which `main` runs before serving.
type Handles = RefCell<Vec<(usize, Counter)>>;

thread_local! {
    static FRAMES_IN_BY_TYPE: Handles = const { RefCell::new(Vec::new()) };
    static ERRORS_BY_CODE: Handles = const { RefCell::new(Vec::new()) };
    static UNLABELLED: Handles = const { RefCell::new(Vec::new()) };
    /// One handle per frame kind, indexed by `FrameKind::index`: no lookup per frame.
    static FRAMES_OUT_BY_TYPE: RefCell<Option<Box<[Counter; FrameKind::COUNT]>>> =
        const { RefCell::new(None) };
}

/// Adds `by` to the counter `label` names in `handles`, made by `make` on first use.
fn add(
    handles: &'static LocalKey<Handles>,
    label: &'static str,
    by: u64,
    make: fn(&'static str) -> Counter,
) {
    handles.with_borrow_mut(|handles| {
        let key = label.as_ptr() as usize;
        match handles.iter().find(|(known, _)| *known == key) {
            Some((_, counter)) => counter.increment(by),
            None => {
                let counter = make(label);
                counter.increment(by);
                handles.push((key, counter));
            }
        }
    });
}

/// A frame read from a client, by its message type.
pub fn frame_in(kind: &'static str) {
    add(
        &FRAMES_IN_BY_TYPE,
        kind,
        1,
        |kind| counter!(FRAMES_IN, "type" => kind),
    );
}

/// Frames written to a client's socket, by their kinds: one add per run of one kind.
pub(crate) fn frames_out(kinds: impl IntoIterator<Item = FrameKind>) {
    FRAMES_OUT_BY_TYPE.with_borrow_mut(|handles| {
        let handles = handles.get_or_insert_with(|| {
            Box::new(std::array::from_fn(|index| {
                let label = FrameKind::all().nth(index).map_or("", FrameKind::label);
                counter!(FRAMES_OUT, "type" => label)
            }))
        });
        let mut kinds = kinds.into_iter();
        let Some(mut last) = kinds.next() else {
            return;
        };
        let mut count = 1;
        for kind in kinds {
            if kind == last {
                count += 1;
                continue;
            }
            handles[last.index()].increment(count);
            (last, count) = (kind, 1);
        }
        handles[last.index()].increment(count);
    });
}

/// An error frame sent, with its code (`shared::ErrorCode::as_str`).
pub fn error_sent(code: &'static str) {
    add(
        &ERRORS_BY_CODE,
        code,
        1,
        |code| counter!(ERRORS, "code" => code),
    );
}

/// A frame dropped over a rate.
pub fn rate_limited() {
    add(&UNLABELLED, RATE_LIMITED, 1, |name| counter!(name));
}

/// A connection ended; `slow` when its outbound queue overflowed.
pub fn connection_closed(reason: &'static str, slow: bool) {
    counter!(CONNECTIONS_CLOSED, "reason" => reason).increment(1);
    if slow {
        counter!(SLOW_CONSUMER_CLOSES).increment(1);
    }
}

/// A connection refused before it became a WebSocket.
pub fn handshake_refused(reason: &'static str) {
    counter!(HANDSHAKE_REFUSALS, "reason" => reason).increment(1);
}

/// One users-store write and how long it took.
pub fn store_write(took: Duration, ok: bool) {
    histogram!(STORE_WRITE_SECONDS).record(took.as_secs_f64());
    if !ok {
        counter!(STORE_WRITE_FAILURES).increment(1);
    }
}

/// One presence tick and how long it took.
pub fn presence_tick(took: Duration) {
    histogram!(PRESENCE_TICK_SECONDS).record(took.as_secs_f64());
}

/// Whether the backplane is connected to Redis now.
pub fn backplane_up(up: bool) {
    gauge!(BACKPLANE_UP).set(if up { 1.0 } else { 0.0 });
}

/// Who is online, as counted at a presence tick.
pub struct Census {
    pub connections: usize,
    pub users: usize,
    pub rooms: usize,
    /// The largest rooms (at most [`LARGEST_ROOMS`]) and their users online.
    pub largest: Vec<(Arc<str>, usize)>,
    /// Users online in the other rooms.
    pub others: usize,
}

/// Sets the gauges of who is online at most once per interval, remembering the rooms it
/// listed: one no longer among the largest is set to 0, then left to leave the output.
pub struct CensusTaker {
    interval: Duration,
    last: Option<Instant>,
    listed: Vec<Arc<str>>,
}

impl CensusTaker {
    pub fn new(interval: Duration) -> CensusTaker {
        CensusTaker {
            interval,
            last: None,
            listed: Vec::new(),
        }
    }

    /// Takes the census (`count`: the hub's, and the users store's pending writes) if the
    /// interval has passed since the last.
    pub fn tick(&mut self, count: impl FnOnce() -> (Census, usize)) {
        let now = Instant::now();
        if self.last.is_some_and(|last| now - last < self.interval) {
            return;
        }
        self.last = Some(now);
        let (census, pending) = count();
        gauge!(STORE_PENDING).set(pending as f64);
        set_census(&census, &mut self.listed);
    }
}

fn set_census(census: &Census, previous: &mut Vec<Arc<str>>) {
    gauge!(CONNECTIONS_OPEN).set(census.connections as f64);
    gauge!(USERS_ONLINE).set(census.users as f64);
    gauge!(ROOMS).set(census.rooms as f64);
    gauge!(OTHER_ROOMS_USERS_ONLINE).set(census.others as f64);
    for room in previous.iter() {
        if !census.largest.iter().any(|(name, _)| name == room) {
            gauge!(ROOM_USERS_ONLINE, "room" => room.to_string()).set(0.0);
        }
    }
    for (room, users) in &census.largest {
        gauge!(ROOM_USERS_ONLINE, "room" => room.to_string()).set(*users as f64);
    }
    *previous = census
        .largest
        .iter()
        .map(|(name, _)| Arc::clone(name))
        .collect();
}
