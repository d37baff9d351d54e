//! The server's settings: command-line flags with environment fallbacks, and the plain
//! `ServerConfig` the library runs with (tests build one directly).

use crate::admission::MissingOrigin;
use crate::admission::budget::{Rate, StrikeLimit};
use crate::admission::{DEFAULT_SESSION_TTL, Secret, SecretError, SessionKey};
use crate::store::{DEFAULT_RETENTION_DAYS, RemoteConfig, retention_of_days};
use clap::Parser;
use reqwest::Url;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// Timings and bounds of a running server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// How often the server pings each client.
    pub ping_interval: Duration,
    /// A client heard from (any frame, pongs included) less recently than this is closed
    /// and shown offline.
    pub idle_timeout: Duration,
    /// Presence changes are batched and sent at most once per interval.
    pub presence_interval: Duration,
    /// Frames waiting for one client; past it the client is closed as too slow.
    pub outbox_capacity: usize,
    /// Largest message and frame a client may send.
    pub max_message_bytes: usize,
    /// Time for a client to complete the WebSocket handshake.
    pub handshake_timeout: Duration,
    /// Time for one write to a client; past it the client is closed as too slow.
    pub send_timeout: Duration,
    /// Time given to connections to close at shutdown.
    pub shutdown_grace: Duration,
    /// Bytes queued for one client; past it the client is closed as too slow (1008).
    pub outbox_bytes: usize,
    /// Chat messages one connection may send (see `docs/SECURITY.md`).
    pub chat_rate: Rate,
    /// Signaling and call-control frames one connection may send, ICE candidates aside.
    pub signaling_rate: Rate,
    /// ICE candidates one connection may send.
    pub ice_rate: Rate,
    /// ICE candidates relayed from one connection to one target until the next
    /// `sdp-offer`, `offer` or `call-invite` to it.
    pub ice_per_target: u32,
    /// The presence interval per user: a user's changes (moves, renames, call state) are
    /// broadcast at most once per interval after their join (the latest state wins); joins
    /// and leaves are never delayed.
    pub move_interval: Duration,
    /// Rate-limited frames past which a connection is closed (1008).
    pub rate_limited_strikes: StrikeLimit,
    /// Refused frames (any error code) past which a connection is closed (1008).
    pub bad_frame_strikes: StrikeLimit,
    /// Origins whose pages may connect (`scheme://host[:port]`), `*` for any: a page of
    /// another site must not open a socket with its visitors' cookies (cross-site
    /// WebSocket hijacking). Others get `403` at the handshake.
    pub allowed_origins: Vec<String>,
    /// Requests without `Origin`: not from a browser page, so not a hijacking.
    pub missing_origin: MissingOrigin,
    /// Connections open at once, handshakes included; past it `503`. 0 is no cap.
    pub max_connections: usize,
    /// Connections open at once from one IP address; past it `503`. 0 is no cap.
    pub max_connections_per_ip: usize,
    /// Reverse proxies whose `X-Forwarded-For` names the client: a connection from one of
    /// them counts, for the delays after failed sign-ins, as the client it names.
    pub trusted_proxies: Vec<IpAddr>,
    /// Serves an echo of every message at `/__echo`, for the Autobahn conformance suite;
    /// never set by a flag.
    pub echo_route: bool,
    /// The deployment's access code: registering needs it when set.
    pub access_code: Option<Secret>,
    /// Signs session tokens; a random one per run unless configured (see `session`).
    pub session_key: SessionKey,
    /// How long a session token is good for.
    pub session_ttl: Duration,
    /// A connection may register as an email online elsewhere without its session token,
    /// as with the seed (whose clients get no token), and emails are never claimed: for
    /// trusted networks only.
    pub allow_shared_emails: bool,
    /// A connection that has not registered this long after its handshake is closed
    /// (checked at each ping tick).
    pub register_timeout: Duration,
    /// Emails not used for this long are forgotten by the claims (`None`: kept for ever),
    /// as users are by the store.
    pub retention: Option<Duration>,

    // The users store at shutdown (issue 10, finding 11).
    /// Time the users store is given at shutdown to take the changes still pending
    /// (retried meanwhile), after the connections' grace.
    pub store_shutdown_timeout: Duration,

    // Fan-out budgets and the presence rate (docs/SECURITY.md, "What one client can cost").
    /// Bytes one connection may cause to be delivered: each frame's size times its
    /// recipients.
    pub fan_out_rate: Rate,
    /// Bytes of room chat and signals without `to` one room may carry, whoever sends
    /// them: what every member receives of them.
    pub room_broadcast_rate: Rate,
    /// Bytes of direct chat and addressed signals one user may receive from others.
    pub directed_rate: Rate,
    /// Largest signal without `to`, as sent (it goes to the whole room).
    pub broadcast_signal_max_bytes: usize,
    /// `add-user` and `update-user` frames one connection may send.
    pub presence_rate: Rate,
}

/// Seconds the users store is given at shutdown.
pub const DEFAULT_STORE_SHUTDOWN_TIMEOUT_SECS: u64 = 30;

// The defaults of the fan-out budgets and the presence rate, read by `ServerConfig` and
// the flags alike. Their sum, what a member can be sent within the limits, is worked out
// in docs/SECURITY.md: well under the 1.25 MB/s of a 10 Mbit/s reader.
/// 512 KiB a second per connection, bursts of 1 MiB.
pub const FAN_OUT_RATE: Rate = Rate::new(512.0 * 1024.0, 1024 * 1024);
/// 256 KiB a second per room, bursts of 256 KiB.
pub const ROOM_BROADCAST_RATE: Rate = Rate::new(256.0 * 1024.0, 256 * 1024);
/// 128 KiB a second to one user, bursts of 256 KiB.
pub const DIRECTED_RATE: Rate = Rate::new(128.0 * 1024.0, 256 * 1024);
/// 16 KiB: a video call's SDP fits.
pub const BROADCAST_SIGNAL_MAX_BYTES: usize = 16 * 1024;
/// 10 presence updates a second, bursts of 20.
pub const PRESENCE_RATE: Rate = Rate::new(10.0, 20);

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            ping_interval: Duration::from_secs(15),
            idle_timeout: Duration::from_secs(40),
            presence_interval: Duration::from_millis(100),
            outbox_capacity: 1024,
            max_message_bytes: 64 * 1024,
            handshake_timeout: Duration::from_secs(10),
            send_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(5),
            outbox_bytes: 1024 * 1024,
            chat_rate: Rate::new(5.0, 10),
            signaling_rate: Rate::new(20.0, 40),
            ice_rate: Rate::new(50.0, 200),
            ice_per_target: 200,
            move_interval: Duration::from_secs(1),
            rate_limited_strikes: StrikeLimit {
                max: 20,
                window: Duration::from_secs(10),
            },
            bad_frame_strikes: StrikeLimit {
                max: 50,
                window: Duration::from_secs(10),
            },
            allowed_origins: DEFAULT_ALLOWED_ORIGINS
                .split(',')
                .map(str::to_owned)
                .collect(),
            missing_origin: MissingOrigin::Allow,
            max_connections: 20_000,
            max_connections_per_ip: 200,
            trusted_proxies: Vec::new(),
            echo_route: false,
            access_code: None,
            session_key: SessionKey::random(),
            session_ttl: DEFAULT_SESSION_TTL,
            allow_shared_emails: false,
            register_timeout: Duration::from_millis(DEFAULT_REGISTER_TIMEOUT_MS),
            retention: retention_of_days(DEFAULT_RETENTION_DAYS),
            store_shutdown_timeout: Duration::from_secs(DEFAULT_STORE_SHUTDOWN_TIMEOUT_SECS),
            fan_out_rate: FAN_OUT_RATE,
            room_broadcast_rate: ROOM_BROADCAST_RATE,
            directed_rate: DIRECTED_RATE,
            broadcast_signal_max_bytes: BROADCAST_SIGNAL_MAX_BYTES,
            presence_rate: PRESENCE_RATE,
        }
    }
}

/// Milliseconds a connection has to register after its handshake.
pub const DEFAULT_REGISTER_TIMEOUT_MS: u64 = 30_000;

/// The backend's command line. Every flag also reads an environment variable.
#[derive(Debug, Parser)]
#[command(
    name = "backend",
    version,
    about = "meetmap WebSocket server: presence, chat and call signaling"
)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, env = "MEETMAP_BACKEND_ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// SQLite file of the embedded users store (created with its folder if missing).
    #[arg(long, env = "MEETMAP_DATABASE", default_value = "data/meetmap.sqlite3")]
    pub database: PathBuf,
    /// Base URL of a remote users API to keep users in instead of SQLite, like
    /// http://localhost:4000/api/users (see docs/USERS-API.md).
    #[arg(long, env = "MEETMAP_USERS_API", value_name = "URL")]
    pub users_api: Option<Url>,
    /// Milliseconds to connect to the users API.
    #[arg(
        long,
        env = "MEETMAP_USERS_API_CONNECT_TIMEOUT_MS",
        default_value_t = 2_000
    )]
    pub users_api_connect_timeout_ms: u64,
    /// Milliseconds for one call to the users API, answer included.
    #[arg(long, env = "MEETMAP_USERS_API_TIMEOUT_MS", default_value_t = 5_000)]
    pub users_api_timeout_ms: u64,
    /// Milliseconds between pings to each client.
    #[arg(long, env = "MEETMAP_PING_INTERVAL_MS", default_value_t = 15_000)]
    pub ping_interval_ms: u64,
    /// Milliseconds of silence (no frame, no pong) after which a client is closed.
    #[arg(long, env = "MEETMAP_IDLE_TIMEOUT_MS", default_value_t = 40_000)]
    pub idle_timeout_ms: u64,
    /// Milliseconds between presence broadcasts (changes are batched in between).
    #[arg(long, env = "MEETMAP_PRESENCE_INTERVAL_MS", default_value_t = 100)]
    pub presence_interval_ms: u64,
    /// Frames queued for one client before it is closed as too slow.
    #[arg(long, env = "MEETMAP_OUTBOX_CAPACITY", default_value_t = 1024)]
    pub outbox_capacity: usize,
    /// Largest message a client may send, in bytes.
    #[arg(long, env = "MEETMAP_MAX_MESSAGE_BYTES", default_value_t = 64 * 1024)]
    pub max_message_bytes: usize,
    /// Bytes queued for one client before it is closed as too slow.
    #[arg(long, env = "MEETMAP_OUTBOX_BYTES", default_value_t = 1024 * 1024)]
    pub outbox_bytes: usize,
    /// Chat messages per second one connection may send, sustained.
    #[arg(long, env = "MEETMAP_CHAT_RATE", default_value_t = 5.0)]
    pub chat_rate: f64,
    /// Chat messages one connection may send in a burst.
    #[arg(long, env = "MEETMAP_CHAT_BURST", default_value_t = 10)]
    pub chat_burst: u32,
    /// Signaling and call-control frames per second (ICE candidates aside), sustained.
    #[arg(long, env = "MEETMAP_SIGNALING_RATE", default_value_t = 20.0)]
    pub signaling_rate: f64,
    /// Signaling and call-control frames in a burst.
    #[arg(long, env = "MEETMAP_SIGNALING_BURST", default_value_t = 40)]
    pub signaling_burst: u32,
    /// ICE candidates per second one connection may send, sustained.
    #[arg(long, env = "MEETMAP_ICE_RATE", default_value_t = 50.0)]
    pub ice_rate: f64,
    /// ICE candidates one connection may send in a burst.
    #[arg(long, env = "MEETMAP_ICE_BURST", default_value_t = 200)]
    pub ice_burst: u32,
    /// ICE candidates to one target until the next sdp-offer, offer or call-invite to it.
    #[arg(long, env = "MEETMAP_ICE_PER_TARGET", default_value_t = 200)]
    pub ice_per_target: u32,
    /// Milliseconds between two broadcasts of one user's presence changes (moves, renames,
    /// call state; the latest wins). Joins and leaves are never delayed.
    #[arg(long, env = "MEETMAP_MOVE_INTERVAL_MS", default_value_t = 1_000)]
    pub move_interval_ms: u64,
    /// Rate-limited frames within --strike-window-ms past which a connection is closed.
    #[arg(long, env = "MEETMAP_RATE_LIMITED_MAX", default_value_t = 20)]
    pub rate_limited_max: usize,
    /// Refused frames (any error) within --strike-window-ms past which a connection is
    /// closed.
    #[arg(long, env = "MEETMAP_BAD_FRAMES_MAX", default_value_t = 50)]
    pub bad_frames_max: usize,
    /// Milliseconds over which rate-limited and refused frames are counted.
    #[arg(long, env = "MEETMAP_STRIKE_WINDOW_MS", default_value_t = 10_000)]
    pub strike_window_ms: u64,
    /// Origins whose pages may connect, comma-separated (scheme://host[:port]); `*` allows
    /// any page. The default is the frontend's own origins.
    #[arg(
        long,
        env = "MEETMAP_ALLOWED_ORIGINS",
        value_delimiter = ',',
        default_value = DEFAULT_ALLOWED_ORIGINS
    )]
    pub allowed_origins: Vec<String>,
    /// Requests without an Origin header (not from a browser page: browsers always send
    /// one, so such a request is no cross-site hijacking): allow or deny.
    #[arg(long, env = "MEETMAP_MISSING_ORIGIN", value_enum, default_value_t = MissingOrigin::Allow)]
    pub missing_origin: MissingOrigin,
    /// Connections open at once, handshakes included; more get 503. 0 is as many as the
    /// open-file limit allows. Always lowered to fit the open-file limit (raised to its
    /// hard limit at start) less 320 descriptors for the files, the listener and refusals
    /// in flight.
    #[arg(long, env = "MEETMAP_MAX_CONNECTIONS", default_value_t = 20_000)]
    pub max_connections: usize,
    /// Connections open at once from one IP address (an IPv6 /64 counts as one); more get
    /// 503. 0 is no cap. Raise it (or 0) behind a reverse proxy, where every client has the
    /// proxy's address.
    #[arg(long, env = "MEETMAP_MAX_CONNECTIONS_PER_IP", default_value_t = 200)]
    pub max_connections_per_ip: usize,
    /// Addresses of reverse proxies in front of the server, comma-separated: for a
    /// connection from one of them, the client's address (for the delays after failed
    /// sign-ins) is read from X-Forwarded-For. None by default.
    #[arg(long, env = "MEETMAP_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<IpAddr>,
    /// Access code registering needs (a private deployment); none by default.
    #[arg(long, env = "MEETMAP_ACCESS_CODE", hide_env_values = true)]
    pub access_code: Option<Secret>,
    /// Secret signing session tokens, at least 32 bytes. Without it, one is generated and
    /// kept in session.key in the data folder.
    #[arg(long, env = "MEETMAP_SESSION_SECRET", hide_env_values = true)]
    pub session_secret: Option<Secret>,
    /// Seconds a session token is good for, and a device left unused keeps its claim on its
    /// email (each registration renews both).
    #[arg(long, env = "MEETMAP_SESSION_TTL_SECS", default_value_t = DEFAULT_SESSION_TTL.as_secs())]
    pub session_ttl_secs: u64,
    /// Folder of the generated session secret; by default the SQLite file's folder, or
    /// ./data with --users-api.
    #[arg(long, env = "MEETMAP_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// No claims on emails: any connection may register as any email, online or not,
    /// without a session token, as the seed did (its clients get no token and open several
    /// tabs): trusted networks only.
    #[arg(long, env = "MEETMAP_ALLOW_SHARED_EMAILS")]
    pub allow_shared_emails: bool,
    /// Milliseconds a connection has to register (send add-user) after connecting; past
    /// it, checked at each ping, it is closed (1008).
    #[arg(long, env = "MEETMAP_REGISTER_TIMEOUT_MS", default_value_t = DEFAULT_REGISTER_TIMEOUT_MS)]
    pub register_timeout_ms: u64,
    // The users store's keeping and shutdown (issue 10, findings 10 and 11).
    /// Days a user who is not connected is kept in the SQLite file after they were last
    /// seen; 0 keeps everyone forever. The users API has no delete: there it only bounds
    /// what the backend keeps.
    #[arg(long, env = "MEETMAP_RETENTION_DAYS", default_value_t = DEFAULT_RETENTION_DAYS)]
    pub retention_days: u64,
    /// Seconds the users store is given at shutdown to take the changes still pending
    /// (retried meanwhile), after the connections have closed.
    #[arg(
        long,
        env = "MEETMAP_STORE_SHUTDOWN_TIMEOUT_SECS",
        default_value_t = DEFAULT_STORE_SHUTDOWN_TIMEOUT_SECS
    )]
    pub store_shutdown_timeout_secs: u64,
    // Fan-out budgets and the presence rate.
    /// Bytes per second one connection may cause to be delivered (frame size × recipients),
    /// sustained.
    #[arg(long, env = "MEETMAP_FAN_OUT_BYTES_RATE", default_value_t = FAN_OUT_RATE.per_second)]
    pub fan_out_bytes_rate: f64,
    /// Bytes one connection may cause to be delivered in a burst (a larger frame passes a
    /// full budget and leaves it in debt).
    #[arg(long, env = "MEETMAP_FAN_OUT_BYTES_BURST", default_value_t = FAN_OUT_RATE.burst)]
    pub fan_out_bytes_burst: u32,
    /// Bytes per second of room chat and signals without `to` one room may carry (what each
    /// member receives of them), sustained.
    #[arg(long, env = "MEETMAP_ROOM_BROADCAST_BYTES_RATE", default_value_t = ROOM_BROADCAST_RATE.per_second)]
    pub room_broadcast_bytes_rate: f64,
    /// Bytes of room chat and signals without `to` one room may carry in a burst.
    #[arg(long, env = "MEETMAP_ROOM_BROADCAST_BYTES_BURST", default_value_t = ROOM_BROADCAST_RATE.burst)]
    pub room_broadcast_bytes_burst: u32,
    /// Bytes per second of direct chat and addressed signals one user may receive from
    /// others, sustained.
    #[arg(long, env = "MEETMAP_DIRECTED_BYTES_RATE", default_value_t = DIRECTED_RATE.per_second)]
    pub directed_bytes_rate: f64,
    /// Bytes of direct chat and addressed signals one user may receive in a burst.
    #[arg(long, env = "MEETMAP_DIRECTED_BYTES_BURST", default_value_t = DIRECTED_RATE.burst)]
    pub directed_bytes_burst: u32,
    /// Largest signal without `to` (offer, answer, ICE candidate to the whole room), in
    /// bytes as sent; larger ones are refused (payload-too-large).
    #[arg(long, env = "MEETMAP_BROADCAST_SIGNAL_MAX_BYTES", default_value_t = BROADCAST_SIGNAL_MAX_BYTES)]
    pub broadcast_signal_max_bytes: usize,
    /// add-user and update-user frames per second one connection may send, sustained.
    #[arg(long, env = "MEETMAP_PRESENCE_RATE", default_value_t = PRESENCE_RATE.per_second)]
    pub presence_rate: f64,
    /// add-user and update-user frames one connection may send in a burst.
    #[arg(long, env = "MEETMAP_PRESENCE_BURST", default_value_t = PRESENCE_RATE.burst)]
    pub presence_burst: u32,
    /// An operator's command instead of serving.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What the operator can do from the command line, on the claims in the data folder.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Frees an email claimed by someone's devices (a lost device): every device of it is
    /// signed out, and the next to register claims it.
    ReleaseClaim {
        /// The email, as users type it (it is normalised).
        email: String,
    },
    /// Lists the devices that hold an email, most recently used first.
    Devices { email: String },
}

/// The claims' SQLite file, in the data folder.
pub const CLAIMS_FILE_NAME: &str = "claims.sqlite3";

/// The claims' file of the users' SQLite file `database`.
pub fn claims_file_beside(database: &std::path::Path) -> PathBuf {
    database.with_file_name(CLAIMS_FILE_NAME)
}

/// The frontend's own origins on its default port.
pub const DEFAULT_ALLOWED_ORIGINS: &str = "http://127.0.0.1:3000,http://localhost:3000";

impl Args {
    pub fn server_config(&self) -> ServerConfig {
        ServerConfig {
            ping_interval: Duration::from_millis(self.ping_interval_ms.max(1)),
            idle_timeout: Duration::from_millis(self.idle_timeout_ms.max(1)),
            presence_interval: Duration::from_millis(self.presence_interval_ms.max(1)),
            outbox_capacity: self.outbox_capacity.max(1),
            max_message_bytes: self.max_message_bytes.max(1024),
            outbox_bytes: self.outbox_bytes.max(self.max_message_bytes.max(1024)),
            chat_rate: rate(self.chat_rate, self.chat_burst),
            signaling_rate: rate(self.signaling_rate, self.signaling_burst),
            ice_rate: rate(self.ice_rate, self.ice_burst),
            ice_per_target: self.ice_per_target.max(1),
            move_interval: Duration::from_millis(self.move_interval_ms),
            rate_limited_strikes: StrikeLimit {
                max: self.rate_limited_max.max(1),
                window: Duration::from_millis(self.strike_window_ms.max(1)),
            },
            bad_frame_strikes: StrikeLimit {
                max: self.bad_frames_max.max(1),
                window: Duration::from_millis(self.strike_window_ms.max(1)),
            },
            allowed_origins: self
                .allowed_origins
                .iter()
                .map(|origin| origin.trim().to_owned())
                .filter(|origin| !origin.is_empty())
                .collect(),
            missing_origin: self.missing_origin,
            max_connections: self.max_connections,
            max_connections_per_ip: self.max_connections_per_ip,
            trusted_proxies: self.trusted_proxies.clone(),
            access_code: self.access_code.clone(),
            session_ttl: Duration::from_secs(self.session_ttl_secs.max(1)),
            allow_shared_emails: self.allow_shared_emails,
            register_timeout: Duration::from_millis(self.register_timeout_ms.max(1)),
            retention: self.retention(),
            store_shutdown_timeout: Duration::from_secs(self.store_shutdown_timeout_secs),
            fan_out_rate: rate(self.fan_out_bytes_rate, self.fan_out_bytes_burst),
            room_broadcast_rate: rate(
                self.room_broadcast_bytes_rate,
                self.room_broadcast_bytes_burst,
            ),
            directed_rate: rate(self.directed_bytes_rate, self.directed_bytes_burst),
            broadcast_signal_max_bytes: self.broadcast_signal_max_bytes.max(1),
            presence_rate: rate(self.presence_rate, self.presence_burst),
            ..ServerConfig::default()
        }
    }

    /// The SQLite file of the claims: `claims.sqlite3` beside the users' file, or in the
    /// data folder when users are in a remote API. A file of its own, so that claims and
    /// the users store's writes never wait for each other's locks.
    pub fn claims_database(&self) -> PathBuf {
        match &self.users_api {
            Some(_) => self.data_dir().join(CLAIMS_FILE_NAME),
            None => claims_file_beside(&self.database),
        }
    }

    /// The folder of server-side files such as the generated session secret.
    pub fn data_dir(&self) -> PathBuf {
        match (&self.data_dir, &self.users_api) {
            (Some(folder), _) => folder.clone(),
            (None, Some(_)) => PathBuf::from("data"),
            (None, None) => match self.database.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
                _ => PathBuf::from("."),
            },
        }
    }

    /// The session key: from `--session-secret`, else kept in the data folder.
    pub fn session_key(&self) -> Result<SessionKey, SecretError> {
        match &self.session_secret {
            Some(secret) => SessionKey::from_secret(secret),
            None => SessionKey::load_or_create(&self.data_dir()),
        }
    }

    /// How long users who are not connected are kept; `None` for ever.
    pub fn retention(&self) -> Option<Duration> {
        retention_of_days(self.retention_days)
    }

    /// The remote users store's settings, when `--users-api` is given.
    pub fn remote_config(&self) -> Option<RemoteConfig> {
        let base = self.users_api.clone()?;
        Some(RemoteConfig {
            connect_timeout: Duration::from_millis(self.users_api_connect_timeout_ms.max(1)),
            request_timeout: Duration::from_millis(self.users_api_timeout_ms.max(1)),
            ..RemoteConfig::new(base)
        })
    }
}

/// A rate from its flags: at least one token, and a finite, non-negative refill.
fn rate(per_second: f64, burst: u32) -> Rate {
    let per_second = if per_second.is_finite() {
        per_second.max(0.0)
    } else {
        0.0
    };
    Rate::new(per_second, burst.max(1))
}
