//! Request dispatch: the method check, `/config.json`, the vendor mounts, static files, and
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

/// The URL folder of the read-only mounts of npm packages' `dist/` folders.
const VENDOR_FOLDER: &str = "vendor";

/// The npm packages served read-only: the URL folder under `/vendor/` and the package's
/// folder in the vendor folder (its `dist/` is what is served). Leaflet first: the app
/// needs it for a map; the marker clusters are an extra the map works without.
pub(crate) const VENDOR_MOUNTS: [VendorMount; 2] = [
    VendorMount {
        url: "leaflet",
        package: "leaflet",
    },
    VendorMount {
        url: "markercluster",
        package: "leaflet.markercluster",
    },
];

/// One npm package's `dist/` served at `/vendor/<url>/`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct VendorMount {
    pub(crate) url: &'static str,
    pub(crate) package: &'static str,
}

/// What every connection task shares; immutable after startup, so there is no lock.
#[derive(Debug)]
pub(crate) struct Site {
    /// The canonical public folder; every served file's canonical path starts with it.
    root: PathBuf,
    /// Each `VENDOR_MOUNTS` package's `dist/` in the vendor folder, served at
    /// `/vendor/<url>/`, in the same order. Not canonicalized at startup: a package may be
    /// missing (the app then runs without it) or be installed while the server runs.
    vendor_dists: Vec<PathBuf>,
    /// The `/config.json` document, rendered once at startup.
    config_json: Bytes,
    /// The security headers of every response, prepared once at startup.
    security: SecurityHeaders,
}

impl Site {
    /// The site for `config`, serving the canonical public folder `root` and each vendor
    /// package's `dist/` from `config.vendor_dir`: `/config.json` and the security headers
    /// prepared now.
    pub(crate) fn new(root: PathBuf, config: &Config) -> Site {
        Site {
            root,
            vendor_dists: VENDOR_MOUNTS
                .iter()
                .map(|mount| mount.dist(&config.vendor_dir))
                .collect(),
            config_json: runtime_config::render(config),
            security: SecurityHeaders::new(config),
        }
    }
}

impl Site {
    /// The vendor folder a path lies in, and the path below it.
    fn mount_of(&self, path: &RequestPath) -> Option<(&PathBuf, RequestPath)> {
        VENDOR_MOUNTS
            .iter()
            .zip(&self.vendor_dists)
            .find_map(|(mount, dist)| Some((dist, path.strip_prefix(&[VENDOR_FOLDER, mount.url])?)))
    }
}

impl VendorMount {
    /// The package's `dist/` folder in the vendor folder `vendor_dir`.
    pub(crate) fn dist(&self, vendor_dir: &std::path::Path) -> PathBuf {
        vendor_dir.join(self.package).join("dist")
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
            Ok(request_path) => match site.mount_of(&request_path) {
                Some((dist, inner)) => files::serve_mount(dist, &inner, &req, conn).await,
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
