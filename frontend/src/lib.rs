//! meetmap's frontend server: the browser app's static files plus `/config.json`.
//!
//! Codemap, from the entry down (a module imports only from the ones below it):
//! - `lib.rs`: [`run`], the accept loop, one task per connection, graceful shutdown.
//! - `routes`: method check and dispatch (`/healthz`, `/config.json`, the `/vendor/`
//!   mounts, the app), and the headers every answer gets on its way out.
//! - `security`: the headers every response carries: Content-Security-Policy (built from
//!   the tile and WebSocket URLs), `nosniff`, referrer, permissions, opener and framing.
//! - `runtime_config`: the `/config.json` document.
//! - `files/`: request paths made safe, the embedded folders, symlink containment on
//!   disk, directory indexes, reading files, their content types and cache validators.
//! - `config/`: [`Config`], flags with environment fallbacks.
//! - `admission/`: the caps on connections at once (in total and per address), a place
//!   held by each connection from accept to its end, past a cap `503`; the open-file
//!   limit (raised at start) the total cap is derived from, and the bound on files open
//!   at once.
//! - `response`: the body type and the plain-text answers every part uses.
//!
//! Architecture invariant: no response contains bytes of a file outside the served
//! folders: the app and the libraries' `dist/` folders, embedded in the binary at build
//! time (the default) or on disk (`--public-dir`, `--vendor-dir`); paths are checked
//! lexically (`files::request_path`) and, on disk, again after resolving symlinks
//! (`files::serve`), by the same code for every folder.

mod admission;
mod config;
mod files;
mod response;
mod routes;
mod runtime_config;
mod security;

pub use admission::{DESCRIPTOR_MARGIN, LimitTooSmall, MaxConnections, MaxConnectionsError};
pub use config::{Config, IceServers, IceServersError, IceTransportPolicy, Millis, MillisError};

use std::convert::Infallible;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use log::{debug, info, warn};
use tokio::net::{TcpListener, TcpStream};

use crate::admission::{Admission, MAX_REFUSALS_IN_FLIGHT, Place};
use crate::files::Folder;
use crate::routes::Site;

/// Largest request head (request line and headers); bigger ones get 431.
const MAX_HEADER_BYTES: usize = 16 * 1024;
/// How long shutdown waits for open connections before abandoning them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// Pause after a failed accept (e.g. out of file descriptors) so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Why [`run`] could not start serving.
#[derive(Debug)]
pub enum StartError {
    /// The public folder cannot be resolved (missing, unreadable).
    PublicDir { dir: PathBuf, source: io::Error },
    /// The open-file limit leaves no descriptor for connections.
    OpenFileLimit(LimitTooSmall),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PublicDir { dir, source } => {
                write!(f, "cannot open public dir {}: {source}", dir.display())
            }
            Self::OpenFileLimit(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::PublicDir { source, .. } => Some(source),
            Self::OpenFileLimit(e) => Some(e),
        }
    }
}

/// Serves the app (embedded, or `config.public_dir`) on `listener` until `shutdown`
/// completes; logs `serving <source> on http://<addr>/` once it is ready.
///
/// Then it stops accepting, lets open connections finish their current request (idle
/// keep-alive connections close at once) and returns after at most [`SHUTDOWN_GRACE`].
/// Fails only at startup: when the public folder cannot be resolved, or the open-file
/// limit leaves no room for connections.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future,
) -> Result<(), StartError> {
    let admission = admission_at_start(&config)?;
    let site = Arc::new(site_at_start(&config).await?);
    if let Ok(addr) = listener.local_addr() {
        info!("serving {} on http://{addr}/", site.describe());
    }
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout.duration())
        .max_header_size(MAX_HEADER_BYTES);
    let server = Server {
        refusing: {
            let mut refusing = http.clone();
            refusing.keep_alive(false);
            refusing
        },
        http,
        site,
        graceful: GracefulShutdown::new(),
    };
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
        // Taken before the request head is read: idle connections count too.
        match admission.admit(peer.ip()) {
            Some(place) => server.serve(stream, peer, next_conn, place),
            None => debug!(
                "conn={next_conn} from {peer}: closed, {MAX_REFUSALS_IN_FLIGHT} refusals in flight"
            ),
        }
    }

    drop(listener);
    let graceful = server.graceful;
    info!("shutting down, {} connection(s) open", graceful.count());
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        warn!("connections still open after {SHUTDOWN_GRACE:?}, abandoning them");
    }
    Ok(())
}

/// The connection caps, the total one derived from the open-file limit (raised now).
fn admission_at_start(config: &Config) -> Result<Admission, StartError> {
    let total =
        admission::total_cap_at_start(config.max_connections).map_err(StartError::OpenFileLimit)?;
    let per_ip = match config.max_connections_per_ip {
        0 => "no cap".to_owned(),
        n => n.to_string(),
    };
    info!(
        "connections capped at {} in total (open-file limit {}), per address: {per_ip}",
        total.cap, total.limit
    );
    Ok(Admission::new(total.cap, config.max_connections_per_ip))
}

/// The site: the embedded app, or the public folder resolved; the libraries embedded, or
/// looked for in the vendor folder (their absence is a warning).
async fn site_at_start(config: &Config) -> Result<Site, StartError> {
    let app = match &config.public_dir {
        None => Folder::Embedded(files::APP),
        Some(dir) => Folder::Disk(tokio::fs::canonicalize(dir).await.map_err(|source| {
            StartError::PublicDir {
                dir: dir.clone(),
                source,
            }
        })?),
    };
    let Some(vendor_dir) = &config.vendor_dir else {
        return Ok(Site::new(app, config));
    };
    for mount in routes::VENDOR_MOUNTS {
        let dist = mount.dist(vendor_dir);
        if tokio::fs::metadata(&dist).await.is_err() {
            warn!(
                "{} is not installed in {}: the app runs without it (run `npm ci` in frontend/)",
                mount.package,
                dist.display()
            );
        }
    }
    Ok(Site::new(app, config))
}

/// What the accept loop hands every connection.
struct Server {
    /// HTTP/1.1 with the header timeout and size limit.
    http: http1::Builder,
    /// The same, without keep-alive: for connections answered `503` and closed.
    refusing: http1::Builder,
    site: Arc<Site>,
    /// Watches every connection, so shutdown can wait for them.
    graceful: GracefulShutdown,
}

impl Server {
    /// Serves one accepted connection in its own task, holding its `place`: its requests
    /// answered, or every one of them refused with `503` when the place is a refusal.
    fn serve(&self, stream: TcpStream, peer: SocketAddr, conn: u64, place: Place) {
        let site = Arc::clone(&self.site);
        let io = TokioIo::new(stream);
        if let Some(cap) = place.refused() {
            debug!("conn={conn} from {peer}: refused, {cap}");
            let service = service_fn(move |req| {
                let res = routes::unavailable(&req, &site, conn, cap.message());
                async move { Ok::<_, Infallible>(res) }
            });
            let connection = self.refusing.serve_connection(io, service);
            spawn_connection(conn, place, self.graceful.watch(connection));
            return;
        }
        debug!("conn={conn} accepted from {peer}");
        let service = service_fn(move |req| {
            let site = Arc::clone(&site);
            async move { Ok::<_, Infallible>(routes::handle(req, &site, conn).await) }
        });
        let connection = self.http.serve_connection(io, service);
        spawn_connection(conn, place, self.graceful.watch(connection));
    }
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
