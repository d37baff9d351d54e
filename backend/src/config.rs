//! The server's settings: command-line flags with environment fallbacks (clap), turned
//! into each module's own config. The defaults are those configs' own `Default`s, which
//! the flags show; [`ServerConfig`] bundles the configs for `run` (tests build one
//! directly).

mod admission;
mod backplane;
mod budget;
mod chat;
mod connection;
mod database;
mod presence;
mod secret_file;
mod service;
mod store;
mod turn;
mod units;

pub use database::Database;
pub use presence::PresenceConfig;
pub use service::{LogFormat, masked};

use crate::admission::budget::BudgetConfig;
use crate::admission::{AdmissionConfig, Secret, SecretError, SessionKey};
use crate::connection::ConnectionConfig;
use crate::store::StoreConfig;
use crate::store::chat::{CHAT_FILE_NAME, ChatConfig};
use clap::Parser;
use secret_file::read_secret_file;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

/// What a running server is told: each module's config.
#[derive(Debug, Clone, Default)]
pub struct ServerConfig {
    pub connection: ConnectionConfig,
    pub admission: AdmissionConfig,
    pub budget: BudgetConfig,
    pub presence: PresenceConfig,
    pub store: StoreConfig,
    /// Several backends as one through Redis (`--redis`); `None` stands alone.
    pub backplane: Option<crate::backplane::BackplaneConfig>,
}

/// The backend's command line. Every flag also reads an environment variable.
#[derive(Debug, Parser)]
#[command(
    name = "backend",
    version,
    about = "meetmap WebSocket server: presence, chat and call signaling"
)]
pub struct Args {
    /// Address to listen on.
    #[arg(
        long,
        env = "MEETMAP_BACKEND_ADDR",
        default_value_t = SocketAddr::from((Ipv4Addr::LOCALHOST, shared::DEFAULT_BACKEND_PORT))
    )]
    pub listen: SocketAddr,
    /// Where users and claims are kept: a SQLite file of this backend's own (the embedded
    /// default, created with its folder if missing; claims and chat in files beside it),
    /// or a postgres:// (postgresql://) URL that several backends share (users, claims
    /// and link codes; the tables are made at first use).
    #[arg(
        long,
        env = "MEETMAP_DATABASE",
        value_name = "FILE|URL",
        default_value = database::DEFAULT_DATABASE,
        value_parser = Database::parse,
        hide_env_values = true
    )]
    pub database: Database,
    #[command(flatten)]
    pub store: store::StoreArgs,
    #[command(flatten)]
    pub chat: chat::ChatArgs,
    #[command(flatten)]
    pub connection: connection::ConnectionArgs,
    #[command(flatten)]
    pub presence: presence::PresenceArgs,
    #[command(flatten)]
    pub budget: budget::BudgetArgs,
    #[command(flatten)]
    pub admission: admission::AdmissionArgs,
    #[command(flatten)]
    pub service: service::ServiceArgs,
    #[command(flatten)]
    pub backplane: backplane::BackplaneArgs,
    #[command(flatten)]
    pub turn: turn::TurnArgs,
    /// Secret signing session tokens, at least 32 bytes. Without it, one is generated and
    /// kept in session.key in the data folder.
    #[arg(long, env = "MEETMAP_SESSION_SECRET", hide_env_values = true)]
    pub session_secret: Option<Secret>,
    /// Folder of the generated session secret; by default the SQLite file's folder, or
    /// ./data with --users-api or a PostgreSQL --database.
    #[arg(long, env = "MEETMAP_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// An operator's command instead of serving.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What the operator can do from the command line, on the claims and the chat file in the
/// data folder.
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
    /// Fills a room's chat history with generated messages (for benchmarks and demos), in
    /// the chat file beside the users' file; run it while the server is stopped.
    ChatSeed {
        /// The room, as in `?room=`.
        #[arg(long)]
        room: String,
        /// How many messages.
        #[arg(long)]
        messages: u64,
        /// How many senders take turns (seed-0@example.invalid, ...).
        #[arg(long, default_value_t = 10)]
        senders: u64,
    },
}

/// The claims' SQLite file, in the data folder.
pub const CLAIMS_FILE_NAME: &str = "claims.sqlite3";

/// The claims' file of the users' SQLite file `database`.
pub fn claims_file_beside(database: &std::path::Path) -> PathBuf {
    database.with_file_name(CLAIMS_FILE_NAME)
}

/// The chat store's file of the users' SQLite file `database`.
pub fn chat_file_beside(database: &std::path::Path) -> PathBuf {
    database.with_file_name(CHAT_FILE_NAME)
}

impl Args {
    /// Each module's config from the flags; the session key is a random one
    /// ([`Args::session_key`] reads or makes the deployment's).
    pub fn server_config(&self) -> ServerConfig {
        ServerConfig {
            connection: self.connection.config(),
            admission: self.admission.config(),
            budget: self.budget.config(),
            presence: self.presence.config(),
            store: self.store.config(),
            backplane: self.backplane.config(),
        }
    }

    /// The SQLite file of the claims: `claims.sqlite3` beside the users' file, or in the
    /// data folder when users are in a remote API. A file of its own, so that claims and
    /// the users store's writes never wait for each other's locks.
    pub fn claims_database(&self) -> PathBuf {
        match self.users_file() {
            Some(file) => claims_file_beside(file),
            None => self.data_dir().join(CLAIMS_FILE_NAME),
        }
    }

    /// The chat store's SQLite file: `--chat-database`, else `chat.sqlite3` beside the
    /// users' file, or in the data folder when users are in a remote API (which keeps no
    /// messages).
    pub fn chat_database(&self) -> PathBuf {
        match (&self.chat.chat_database, self.users_file()) {
            (Some(path), _) => path.clone(),
            (None, None) => self.data_dir().join(CHAT_FILE_NAME),
            (None, Some(file)) => chat_file_beside(file),
        }
    }

    /// The chat store's settings; members are kept as long as the users store keeps users.
    pub fn chat_config(&self) -> ChatConfig {
        self.chat.config(self.store.config().retention)
    }

    /// The users' SQLite file: `--database` unless it is PostgreSQL or users are in a
    /// remote API.
    pub fn users_file(&self) -> Option<&std::path::Path> {
        match &self.store.users_api {
            Some(_) => None,
            None => self.database.sqlite_file(),
        }
    }

    /// The PostgreSQL database of users and claims, when `--database` is a URL.
    pub fn postgres(&self) -> Option<&crate::store::postgres::PostgresUrl> {
        match &self.database {
            Database::Postgres(url) => Some(url),
            Database::Sqlite(_) => None,
        }
    }

    /// The folder of server-side files such as the generated session secret.
    pub fn data_dir(&self) -> PathBuf {
        match (&self.data_dir, self.users_file()) {
            (Some(folder), _) => folder.clone(),
            (None, None) => PathBuf::from("data"),
            (None, Some(file)) => match file.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
                _ => PathBuf::from("."),
            },
        }
    }

    /// The session key: from `--session-secret` or `--session-secret-file`, else kept in
    /// the data folder.
    pub fn session_key(&self) -> Result<SessionKey, SecretError> {
        if let Some(path) = &self.service.session_secret_file {
            return SessionKey::from_secret(&read_secret_file(path)?);
        }
        match &self.session_secret {
            Some(secret) => SessionKey::from_secret(secret),
            None => SessionKey::load_or_create(&self.data_dir()),
        }
    }

    /// The effective configuration, for `--print-config`: every flag after the
    /// environment and the defaults, secrets masked.
    pub fn printed(&self) -> String {
        masked(&format!("{self:#?}"))
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
