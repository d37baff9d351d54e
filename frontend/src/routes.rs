//! Request dispatch: the method check, `/config.json`, the Leaflet mount, static files, and
//! the headers every response carries (the security headers of `security`).

use std::path::PathBuf;

use hyper::body::{Body as _, Bytes, Incoming};
use hyper::header::{ALLOW, CONNECTION, CONTENT_LENGTH, HOST, HeaderValue, RETRY_AFTER};
use hyper::{Method, Request, Response, StatusCode};
use log::debug;

use crate::config::Config;
use crate::files::{self, Rejection, RequestPath};
use crate::response::{Body, not_found, text};
use crate::runtime_config;
use crate::security::SecurityHeaders;

/// Seconds a client refused for a full server is told to wait (`Retry-After`).
const RETRY_AFTER_SECONDS: &str = "5";

/// URL folder of the read-only mount of Leaflet's `dist/` folder.
const LEAFLET_PREFIX: [&str; 2] = ["vendor", "leaflet"];

/// What every connection task shares; immutable after startup, so there is no lock.
#[derive(Debug)]
pub(crate) struct Site {
    /// The canonical public folder; every served file's canonical path starts with it.
    root: PathBuf,
    /// Leaflet's `dist/` in the vendor folder, served at `/vendor/leaflet/`. Not
    /// canonicalized at startup: it may be missing (the app then runs without the map) or
    /// be installed while the server runs.
    leaflet_dist: PathBuf,
    /// The `/config.json` document, rendered once at startup.
    config_json: Bytes,
    /// The security headers of every response, prepared once at startup.
    security: SecurityHeaders,
}

impl Site {
    /// The site for `config`, serving the canonical public folder `root` and Leaflet's
    /// `dist/` from `leaflet_dist`: `/config.json` and the security headers prepared now.
    pub(crate) fn new(root: PathBuf, leaflet_dist: PathBuf, config: &Config) -> Site {
        Site {
            root,
            leaflet_dist,
            config_json: runtime_config::render(config),
            security: SecurityHeaders::new(config),
        }
    }
}

/// Answers one request. Never fails: every problem becomes a status code.
pub(crate) async fn handle(req: Request<Incoming>, site: &Site, conn: u64) -> Response<Body> {
    let method = req.method();
    let path = req.uri().path();
    let mut res = if method != Method::GET && method != Method::HEAD {
        let mut res = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
        res.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        res
    } else if path == "/config.json" {
        runtime_config::response(&site.config_json)
    } else {
        match RequestPath::parse(path) {
            Ok(request_path) => match request_path.strip_prefix(&LEAFLET_PREFIX) {
                Some(inner) => files::serve_mount(&site.leaflet_dist, &inner, &req, conn).await,
                None => files::serve(&site.root, &request_path, &req, conn).await,
            },
            Err(Rejection::Malformed(why)) => {
                debug!("conn={conn} refused path {path:?}: {why}");
                text(StatusCode::BAD_REQUEST, "bad request")
            }
            Err(Rejection::Hidden) => not_found(),
        }
    };
    finish(&req, &mut res, site, conn);
    res
}

/// The answer to every request of a connection past a cap: `503` with `Retry-After`, and
/// the connection closed after it. The request's body, if any, is never read.
pub(crate) fn unavailable(
    req: &Request<Incoming>,
    site: &Site,
    conn: u64,
    why: &'static str,
) -> Response<Body> {
    let mut res = text(StatusCode::SERVICE_UNAVAILABLE, why);
    let headers = res.headers_mut();
    headers.insert(RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECONDS));
    headers.insert(CONNECTION, HeaderValue::from_static("close"));
    finish(req, &mut res, site, conn);
    res
}

/// Adds the security headers and `Content-Length`, drops the body of a HEAD answer.
fn finish(req: &Request<Incoming>, res: &mut Response<Body>, site: &Site, conn: u64) {
    // The page host the browser sees: the Host header, or the authority of an
    // absolute-form request target.
    let host = req
        .headers()
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()));
    site.security.apply(res.headers_mut(), host);
    let is_head = req.method() == Method::HEAD;
    let has_body = !matches!(
        res.status(),
        StatusCode::NOT_MODIFIED | StatusCode::NO_CONTENT
    );
    let len = res.body().size_hint().exact();
    if let (true, Some(len)) = (has_body, len) {
        res.headers_mut()
            .insert(CONTENT_LENGTH, HeaderValue::from(len));
    }
    if is_head {
        *res.body_mut() = Body::default();
    }
    let method = req.method();
    let status = res.status().as_u16();
    debug!("conn={conn} {method} {} -> {status}", req.uri());
}
