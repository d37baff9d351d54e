//! The operator's commands (`backend release-claim EMAIL`, `backend devices EMAIL`): they
//! act on the claims in the data folder, while the server runs or not, and exit.

use crate::admission::claims::ClaimStore;
use crate::config::{Args, Command};
use std::process::ExitCode;

/// Opens the claims of the deployment `args` describe.
pub fn open_claims(args: &Args) -> Result<ClaimStore, crate::admission::claims::ClaimError> {
    ClaimStore::open(
        &args.claims_database(),
        args.server_config().admission.session_ttl,
    )
}

/// Runs one command; what it did goes to stdout, what failed to stderr.
pub async fn run_command(args: &Args, command: &Command) -> ExitCode {
    let claims = match open_claims(args) {
        Ok(claims) => claims,
        Err(error) => {
            eprintln!("cannot open the claims: {error}");
            return ExitCode::FAILURE;
        }
    };
    let (Command::ReleaseClaim { email } | Command::Devices { email }) = command;
    let email = match shared::normalize_email(email) {
        Ok(email) => email,
        Err(error) => {
            eprintln!("{}", error.message);
            return ExitCode::FAILURE;
        }
    };
    let done = match command {
        Command::ReleaseClaim { .. } => claims.release(&email).await.map(|removed| {
            println!(
                "released {email}: {removed} devices signed out; the next to register claims it"
            );
        }),
        Command::Devices { .. } => claims.devices(&email).await.map(|devices| {
            println!("{email}: {} devices", devices.len());
            for (device, last_used_ms) in devices {
                println!("{device}\tlast used {last_used_ms} ms after the epoch");
            }
        }),
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}
