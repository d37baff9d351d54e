//! The backend with its test-only echo route at `/__echo`, for the Autobahn testsuite
//! (`backend/tests/autobahn/run.sh`): listens on a free loopback port, prints
//! `listening on 127.0.0.1:PORT`, and serves until its standard input closes.

use backend::ServerConfig;
use std::io::{Read, Write};
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let folder = tempfile::TempDir::new()?;
    let database = folder.path().join("echo.sqlite3");
    let store = backend::open_sqlite_store(&database).await?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let mut config = ServerConfig::default();
    config.connection.echo_route = true;
    // The testsuite's client sends the origin of its own page.
    config.admission.allowed_origins = vec!["*".into()];
    let claims_file = backend::config::claims_file_beside(&database);
    let claims = backend::claims::ClaimStore::open(&claims_file, config.admission.session_ttl)?;
    let chat = backend::open_chat_store_beside(&database, Default::default())?;
    println!("listening on {address}");
    std::io::stdout().flush()?;
    // Standard input is read on a thread of its own: blocking reads, no tokio feature.
    let (closed, stdin_closed) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let mut sink = [0u8; 64];
        while matches!(std::io::stdin().read(&mut sink), Ok(count) if count > 0) {}
        let _ = closed.send(());
    });
    backend::run(listener, config, store, claims, chat, stdin_closed).await;
    Ok(())
}
