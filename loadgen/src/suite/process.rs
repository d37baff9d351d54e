//! What the suite's servers share as child processes: a free loopback address picked for
//! them, the wait until they accept, and a stop that signals before it kills.

use std::time::Duration;
use tokio::process::Child;

/// How often a starting server is tried.
const POLL: Duration = Duration::from_millis(100);

/// A free `127.0.0.1:PORT`, picked here and freed for the server (which logs the address
/// it was given, not one it bound).
pub fn free_address() -> Result<String, String> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map_err(|error| format!("no free port: {error}"))?
        .port();
    Ok(format!("127.0.0.1:{port}"))
}

/// Whether `address` accepts a connection within `limit`.
pub async fn listening_within(address: &str, limit: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if tokio::net::TcpStream::connect(address).await.is_ok() {
            return true;
        }
        tokio::time::sleep(POLL).await;
    }
    false
}

/// SIGTERM to `child` (`pid`), then a wait of at most `grace`; killed if it does not stop.
pub async fn stop(mut child: Child, pid: u32, grace: Duration) {
    if let Ok(pid) = i32::try_from(pid) {
        // SAFETY: kill only sends a signal to the child the suite started.
        unsafe { libc::kill(pid, libc::SIGTERM) };
    }
    if tokio::time::timeout(grace, child.wait()).await.is_err() {
        let _ = child.kill().await;
    }
}
