//! The operator's commands (`backend release-claim EMAIL`, `backend devices EMAIL`,
//! `backend chat-seed --room ROOM --messages N`): they act on the claims (in the data
//! folder, or in PostgreSQL with a postgres:// `--database`) or the chat file and exit.

use crate::admission::claims::ClaimStore;
use crate::config::{Args, Command};
use crate::store::StoreError;
use crate::store::chat::{SeedPlan, seed};
use crate::store::postgres::{self, Pool};
use std::path::PathBuf;
use std::process::ExitCode;

/// Opens the claims of the deployment `args` describe: in PostgreSQL through `pool` when
/// `--database` is a URL, else in the claims' SQLite file.
pub fn open_claims(
    args: &Args,
    pool: Option<&Pool>,
) -> Result<ClaimStore, crate::admission::claims::ClaimError> {
    let ttl = args.server_config().admission.session_ttl;
    match pool {
        Some(pool) => Ok(ClaimStore::postgres(pool.clone(), ttl)),
        None => ClaimStore::open(&args.claims_database(), ttl),
    }
}

/// The PostgreSQL pool of `--database` (sized by `--database-pool-size`), `None` for a
/// SQLite file. Connects nothing yet.
pub fn postgres_pool(args: &Args) -> Result<Option<Pool>, StoreError> {
    let Some(url) = args.postgres() else {
        return Ok(None);
    };
    let ca_file = args.store.database_ca_file.as_deref();
    postgres::connect(url, args.store.database_pool_size, ca_file).map(Some)
}

/// The chat file of the deployment `args` describe, the server's own
/// ([`Args::chat_database`]: `--chat-database`, else beside the users' file, or in the data
/// folder with `--users-api`).
pub fn chat_database(args: &Args) -> PathBuf {
    args.chat_database()
}

/// Runs one command; what it did goes to stdout, what failed to stderr.
pub async fn run_command(args: &Args, command: &Command) -> ExitCode {
    let done = match command {
        Command::ReleaseClaim { email } | Command::Devices { email } => {
            on_claims(args, command, email).await
        }
        Command::ChatSeed {
            room,
            messages,
            senders,
        } => chat_seed(args, room, *messages, *senders).await,
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}

async fn on_claims(args: &Args, command: &Command, email: &str) -> Result<(), String> {
    let pool = postgres_pool(args).map_err(|e| format!("cannot reach the database: {e}"))?;
    let claims =
        open_claims(args, pool.as_ref()).map_err(|e| format!("cannot open the claims: {e}"))?;
    let email = shared::normalize_email(email).map_err(|e| e.message)?;
    let done = match command {
        Command::ReleaseClaim { .. } => claims.release(&email).await.map(|removed| {
            println!(
                "released {email}: {removed} devices signed out; the next to register claims it"
            );
        }),
        _ => claims.devices(&email).await.map(|devices| {
            println!("{email}: {} devices", devices.len());
            for (device, last_used_ms) in devices {
                println!("{device}\tlast used {last_used_ms} ms after the epoch");
            }
        }),
    };
    done.map_err(|e| e.to_string())
}

/// Fills `room` with `messages` from `senders`, one a second up to now.
async fn chat_seed(args: &Args, room: &str, messages: u64, senders: u64) -> Result<(), String> {
    let room = shared::normalize_room(room).map_err(|e| e.message)?;
    let path = chat_database(args);
    let plan = SeedPlan::ending_now(&room, messages, senders);
    let filling = tokio::task::spawn_blocking(move || seed(&path, &plan).map(|s| (s, path)));
    let (seeded, path) = filling
        .await
        .map_err(|e| format!("the fill stopped: {e}"))?
        .map_err(|e| e.to_string())?;
    let per_second = messages as f64 / seeded.elapsed.as_secs_f64().max(1e-9);
    println!(
        "seeded room {room} in {}: {messages} messages from {} senders, ids {} to {}, \
         in {:.2} s ({per_second:.0} messages/s)",
        path.display(),
        senders.max(1),
        seeded.first_id,
        seeded.last_id,
        seeded.elapsed.as_secs_f64()
    );
    Ok(())
}
