//! meetmap's frontend server: the browser app's static files plus `/config.json`.
//!
//! Codemap, from the entry down (a module imports only from the ones below it):
//! - `lib.rs`: [`run`], the accept loop, one task per connection, graceful shutdown.
//! - `routes`: method check and dispatch (`/config.json`, the `/vendor/leaflet/` mount,
//!   the public folder), and the headers every answer gets on its way out.
//! - `security`: the headers every response carries: Content-Security-Policy (built from
//!   the tile and WebSocket URLs), `nosniff`, referrer, permissions, opener and framing.
//! - `runtime_config`: the `/config.json` document.
//! - `files/`: request paths made safe, symlink containment, directory indexes, reading
//!   files, their content types and cache validators.
//! - `config/`: [`Config`], flags with environment fallbacks.
//! - `admission/`: the caps on connections at once (in total and per address), a place
//!   held by each connection from accept to its end, past a cap `503`; the open-file
//!   limit (raised at start) the total cap is derived from, and the bound on files open
//!   at once.
//! - `response`: the body type and the plain-text answers every part uses.
//!
//! Architecture invariant: no response contains bytes of a file outside the public
//! folder or Leaflet's `dist/` folder in the vendor folder; paths are checked lexically
//! (`files::request_path`) and again after resolving symlinks (`files::serve`), by the
//! same code for both folders.

mod admission;
mod config;
mod files;
mod response;
mod routes;
mod runtime_config;
mod security;

pub use admission::{DESCRIPTOR_MARGIN, MaxConnections};
pub use config::{Config, IceServers};

use std::convert::Infallible;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use log::{debug, info, warn};
use tokio::net::TcpListener;

use crate::admission::{Admission, MAX_REFUSALS_IN_FLIGHT, Place};
use crate::routes::Site;

/// Largest request head (request line and headers); bigger ones get 431.
const MAX_HEADER_BYTES: usize = 16 * 1024;
/// How long shutdown waits for open connections before abandoning them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// Pause after a failed accept (e.g. out of file descriptors) so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Serves `config.public_dir` on `listener` until `shutdown` completes.
///
/// Then it stops accepting, lets open connections finish their current request (idle
/// keep-alive connections close at once) and returns after at most [`SHUTDOWN_GRACE`].
/// Fails only at startup: when the public folder cannot be resolved, or the open-file
/// limit leaves no room for connections.
pub async fn run(listener: TcpListener, config: Config, shutdown: impl Future) -> io::Result<()> {
    let total = admission::total_cap_at_start(config.max_connections)?;
    let per_ip = match config.max_connections_per_ip {
        0 => "no cap".to_owned(),
        n => n.to_string(),
    };
    info!(
        "connections capped at {} in total (open-file limit {}), per address: {per_ip}",
        total.cap, total.limit
    );
    let admission = Admission::new(total.cap, config.max_connections_per_ip);
    let root = tokio::fs::canonicalize(&config.public_dir)
        .await
        .map_err(|e| {
            let dir = config.public_dir.display();
            io::Error::new(e.kind(), format!("cannot open public dir {dir}: {e}"))
        })?;
    let leaflet_dist = config.vendor_dir.join("leaflet").join("dist");
    if tokio::fs::metadata(leaflet_dist.join("leaflet.js"))
        .await
        .is_err()
    {
        warn!(
            "leaflet is not installed in {}: the app runs without its map (run `npm ci` in frontend/)",
            leaflet_dist.display()
        );
    }
    let site = Arc::new(Site::new(root, leaflet_dist, &config));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout)
        .max_header_size(MAX_HEADER_BYTES);
    let mut refusing = http.clone();
    refusing.keep_alive(false);
    let graceful = GracefulShutdown::new();
    let mut next_conn: u64 = 0;

    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    warn!("accept failed: {e}");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        next_conn += 1;
        let conn = next_conn;
        // Taken before the request head is read: idle connections count too.
        let Some(place) = admission.admit(peer.ip()) else {
            debug!("conn={conn} from {peer}: closed, {MAX_REFUSALS_IN_FLIGHT} refusals in flight");
            continue;
        };
        let site = Arc::clone(&site);
        let io = TokioIo::new(stream);
        if let Some(cap) = place.refused() {
            debug!("conn={conn} from {peer}: refused, {cap}");
            let service = service_fn(move |req| {
                let res = routes::unavailable(&req, &site, conn, cap.message());
                async move { Ok::<_, Infallible>(res) }
            });
            spawn_connection(
                conn,
                place,
                graceful.watch(refusing.serve_connection(io, service)),
            );
            continue;
        }
        debug!("conn={conn} accepted from {peer}");
        let service = service_fn(move |req| {
            let site = Arc::clone(&site);
            async move { Ok::<_, Infallible>(routes::handle(req, &site, conn).await) }
        });
        spawn_connection(
            conn,
            place,
            graceful.watch(http.serve_connection(io, service)),
        );
    }

    drop(listener);
    info!("shutting down, {} connection(s) open", graceful.count());
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        warn!("connections still open after {SHUTDOWN_GRACE:?}, abandoning them");
    }
    Ok(())
}

/// Runs one connection in its own task, which holds the connection's place until it ends.
fn spawn_connection(
    conn: u64,
    place: Place,
    connection: impl Future<Output = hyper::Result<()>> + Send + 'static,
) {
    tokio::spawn(async move {
        match connection.await {
            Ok(()) => debug!("conn={conn} closed"),
            // Also how idle keep-alive connections end.
            Err(e) if e.is_timeout() => debug!("conn={conn} closed: header timeout"),
            Err(e) if e.is_incomplete_message() => debug!("conn={conn} closed by peer: {e}"),
            Err(e) => warn!("conn={conn} closed with error: {e}"),
        }
        // Given back only now that the socket is closed.
        drop(place);
    });
}
